"""The animators' calendar commands, by mail (intent ``event_command``) or command line.

protocol.md, "Animator commands":

- ``PERMANENCE ANNULÉE 2026-12-07`` → :func:`cancel_occurrence`: the permanence of that
  day is skipped (an EXDATE in the feed) and everyone invited gets a ``METHOD:CANCEL``
  with its ``RECURRENCE-ID``;
- ``RENCONTRE 2027-01-14 14:00-16:00 Salle du Havre`` and ``ATELIER <title> …`` →
  :func:`add_one_off`: a one-off meeting or workshop, ``METHOD:REQUEST`` to everyone
  invited (the same command again with another place or title updates it);
- ``rers calendar cancel UID`` → :func:`cancel_event`: a one-off event called off;
- ``rers calendar cancel UID DATE`` → :func:`cancel_occurrence` too: one date of any
  recurring series (the monthly meeting…), exactly as a permanence (protocol.md has no
  mail command for it).

Each returns an :class:`Outcome`; :func:`on_event_command` answers the animator with it
(template ``event_command_done``). Nothing is changed when a command is refused. Dates
are the network's local days, times wall-clock in the network zone.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from typing import Iterable

from config.settings import WEEKDAYS
from workflows.decision import Incoming, Plan
from workflows.events.model import CONFIGURED_KINDS, EventSeries, with_cancelled_dates
from workflows.events.rules import (
    Occurrence,
    local_datetime,
    occurrences,
    public_holidays,
    rule_dates,
    wall_clock_problem,
)
from workflows.events.state import legacy_uid, network_tag, one_off, one_off_uid, publication_period, short_uid
from workflows.events.views import event_view, occurrence_view
from workflows.mail.animator_commands import stated_weekday
from workflows.mail.textutil import fold
from workflows.model.said import Said
from workflows.steps import basics
from workflows.steps.calendar import draft
from workflows.steps.invitations import update_calendar
from workflows.steps.speaking import answer_sender


DEFAULT_DURATION = timedelta(hours=2)
"""Length of a meeting or workshop given with a start time only."""

DEFAULT_TITLES = MappingProxyType({
    "fr": MappingProxyType({"meeting": "Rencontre du {name}", "workshop": "Atelier du {name}",
                            "group_session": "Séance de groupe du {name}"}),
    "en": MappingProxyType({"meeting": "{name} meeting", "workshop": "{name} workshop",
                            "group_session": "{name} group session"}),
})
"""Title of a one-off event given without one (it is the calendar entry's SUMMARY)."""

REASONS = (
    "no_permanence", "no_date", "no_time", "bad_times", "past", "not_permanence_day", "beyond_calendar",
    "holiday", "closure", "already_cancelled", "unknown_event", "configured_event", "nonexistent_time",
    "not_occurrence_day", "cancel_by_mail", "weekday_mismatch", "no_group", "group_not_open",
)
"""Why a command was refused (``refused``) or did nothing (``unchanged``)."""


_NO_DETAIL = MappingProxyType({"weekday": None, "holiday": None, "until": None, "uid": None, "others": [],
                               "nearest": None, "written_weekday": None,
                               "default_end": False, "updated": False, "restored": False, "kept": [],
                               "changes": [], "warnings": [], "time": None, "group": None})


@dataclass
class Outcome:
    """What a calendar command did.

    ``action``: ``cancel_permanence``, ``cancel_occurrence`` (one date of another
    series), ``meeting``, ``workshop`` or ``cancel_event``;
    ``status``: ``done``, ``unchanged`` or ``refused``; ``reason``: one of
    :data:`REASONS` (None when done); ``series``: the event concerned (after the change),
    ``day``: the local day concerned; ``invitations``: mails queued; ``detail``: what the
    answer needs to explain itself (``weekday``, ``holiday``, ``until``, ``default_end``,
    ``updated``, ``restored``, ``kept``, ``changes``, ``warnings``, ``time``, ``others``,
    ``nearest``, ``written_weekday``).
    """

    action: str
    status: str
    reason: str | None = None
    series: EventSeries | None = None
    day: date | None = None
    invitations: int = 0
    detail: dict = field(default_factory=dict)

    def view(self, today: date) -> dict:
        """The template context of ``event_command_done`` (JSON-like)."""
        return {
            "action": self.action,
            "status": self.status,
            "reason": self.reason,
            "event": event_view(self.series, today) if self.series else None,
            "occurrence": occurrence_view(self.series, self.day) if self.series and self.day else None,
            "day": self.day,
            "invitations": self.invitations,
            "detail": {**_NO_DETAIL, **self.detail},
        }

    def said(self) -> Said:
        """The status for an outcome (``done``, ``refused (past)``…), said in the
        operator's language where shown; the reason stays its key (:data:`REASONS`)."""
        status = _STATUS_SAID.get(self.status, self.status)
        return Said("{status} ({reason})", status=status, reason=self.reason) if self.reason else status


_STATUS_SAID = {"done": Said("done"), "refused": Said("refused"), "unchanged": Said("unchanged")}


def cancel_occurrence(plan: Plan, day: date | None, uid: str | None = None) -> Outcome:
    """Cancel the occurrence on ``day`` (a local date) of the recurring series ``uid``
    (``@domain`` may be left out; None: the permanence, action ``cancel_permanence``,
    else ``cancel_occurrence``): an EXDATE in the feed and a ``METHOD:CANCEL`` with its
    ``RECURRENCE-ID`` to everyone invited. A one-off event's own day cancels the event
    (:func:`cancel_event`). Refused, with nothing changed, for an unknown series, no day,
    a day in the past, one beyond the published calendar, a day that is not one of the
    series (``detail``: the permanence's ``weekday`` and the ``others`` events of that
    day, or the ``nearest`` date of the series), a public holiday or a closure;
    ``unchanged`` when it is already cancelled. In a transaction."""
    planned = draft(plan)
    if uid is None:
        action, series = "cancel_permanence", planned.permanence()
    else:
        action, series = "cancel_occurrence", planned.current.get(normalise_uid(plan, uid))
        if series is not None and series.kind == "permanence":
            action = "cancel_permanence"

    def refused(reason: str, status: str = "refused", **detail) -> Outcome:
        return Outcome(action, status, reason, series, day, detail=detail)

    if series is not None and not series.rule.recurring and day == series.rule.starts:
        return cancel_event(plan, series.uid)
    if series is None or series.cancelled:
        return refused("no_permanence") if uid is None else Outcome(
            action, "refused", "unknown_event", day=day, detail={"uid": normalise_uid(plan, uid)})
    weekday = WEEKDAYS[series.rule.weekday] if series.rule.weekday is not None else None
    if day is None:
        return refused("no_date", weekday=weekday)
    if day < planned.today:
        return refused("past")
    if series.rule.until is not None and day > series.rule.until:
        return refused("beyond_calendar", until=series.rule.until)
    if rule_dates(series.rule, day, day) != [day]:
        if action == "cancel_permanence":
            others = _events_of_day(planned.current.values(), day, besides=series.uid)
            return refused("not_permanence_day", weekday=weekday, others=others)
        near = rule_dates(series.rule, day - timedelta(days=400), day + timedelta(days=400))
        return refused("not_occurrence_day", nearest=min(near, key=lambda d: abs(d - day)) if near else None)
    if day in series.holidays:
        names = public_holidays(day, day, plan.settings.calendar.holidays_subdivision)
        return refused("holiday", holiday=names.get(day, ""))
    if day in series.closures:
        return refused("closure")
    if day in series.cancelled_dates:
        return refused("already_cancelled", status="unchanged")
    planned.current[series.uid] = with_cancelled_dates(series, [day])
    state, _changes, queued = update_calendar(plan, planned)
    return Outcome(action, "done", None, state[series.uid], day, len(queued))


def add_one_off(plan: Plan, kind: str, day: date | None, start: time | None, end: time | None, *,
                title: str | None = None, place: str | None = None, group: str | None = None) -> Outcome:
    """Add (or correct) a one-off ``meeting`` or ``workshop`` — or, with ``group``, a
    ``group_session`` of that group (:mod:`workflows.steps.groups`: only its members are
    invited) — on ``day`` from ``start`` to ``end`` (wall-clock, network zone). Its UID depends on kind, day and start
    (:func:`workflows.events.state.one_off_uid`): the same command again corrects the event
    (SEQUENCE + 1). A correction keeps what it leaves out — ``end``, ``title`` or ``place``
    None — from the event as it stands (``detail["kept"]``), and ``detail["changes"]`` says
    what it changed, with the value before; a new event without ``end`` lasts
    :data:`DEFAULT_DURATION` (``detail["default_end"]``). ``place=""`` (command line)
    clears the place. Refused for no day, no start, ``end <= start``, a past day, a day
    beyond the published calendar, or a wall-clock time that daylight saving skips that day. Accepted with a warning
    (``detail["warnings"]``): a time that happens twice that day, another event at the
    same time (:func:`clashes`), a public holiday, a closure day. In a transaction."""
    if kind not in ("meeting", "workshop", "group_session") or (kind == "group_session") != (group is not None):
        raise ValueError(f"a one-off event is a meeting, a workshop or a group's session, not {kind!r}")
    planned = draft(plan)
    if day is None:
        return Outcome(kind, "refused", "no_date")
    if start is None:
        return Outcome(kind, "refused", "no_time", day=day)
    network = plan.settings.network
    default_title = DEFAULT_TITLES.get(network.language, DEFAULT_TITLES["fr"])[kind].format(name=network.name)
    uid = one_off_uid(kind, day, start, network, group)
    old = legacy_uid(uid)
    if uid not in planned.current and old in planned.current and planned.current[old].organizer in (
            None, network.address):
        uid = old  # published by an older rers, before UIDs carried the network's tag: corrected in place
    before = planned.current.get(uid)
    live = before if before is not None and not before.cancelled else None
    title = (title or "").strip() or None
    place = None if place is None else place.strip()
    detail: dict = {"updated": live is not None, "restored": before is not None and before.cancelled}
    if live is not None:
        given = {"title": title, "place": place, "end": end}
        detail["kept"] = [name for name, value in given.items()
                          if value is None and _current(live, name) not in ("", default_title)]
        title, place, end = title or live.title, live.place if place is None else place, end or live.end_time
    if end is None:
        moment = datetime.combine(day, start) + DEFAULT_DURATION
        end = moment.time() if moment.date() == day else time(23, 59)
        detail["default_end"] = True
    if end <= start:
        return Outcome(kind, "refused", "bad_times", day=day)
    if day < planned.today:
        return Outcome(kind, "refused", "past", day=day)
    until = publication_period(planned.today, plan.settings.calendar.horizon_months)[1]
    if day > until:
        # Beyond the published calendar nobody would be invited, nor see it in the feed's
        # window: refused like a cancellation there, with the date it will be possible.
        return Outcome(kind, "refused", "beyond_calendar", day=day, detail={"until": until})
    warnings = []
    for at in (start, end):
        problem = wall_clock_problem(day, at, network.timezone)
        if problem == "nonexistent":
            return Outcome(kind, "refused", "nonexistent_time", day=day, detail={"time": datetime.combine(day, at)})
        if problem == "ambiguous":
            warnings.append({"kind": "ambiguous_time", "time": datetime.combine(day, at)})
    series = replace(one_off(kind, title or default_title, day, start, end, place=place or "", network=network,
                             group=group), uid=uid)
    detail["warnings"] = warnings + _day_warnings(plan, planned.current.values(), series, day)
    if live is not None:
        detail["changes"] = [{"field": name, "before": _current(live, name)} for name in ("title", "place", "end")
                             if _current(live, name) != _current(series, name)]
    planned.current[series.uid] = series
    state, changes, queued = update_calendar(plan, planned)
    if not any(c.uid == series.uid for c in changes):
        return Outcome(kind, "unchanged", None, state[series.uid], day, len(queued), detail)
    return Outcome(kind, "done", None, state[series.uid], day, len(queued), detail)


def clashes(current: Iterable[EventSeries], series: EventSeries, day: date) -> list[tuple[EventSeries, Occurrence]]:
    """The occurrences of the other ``current`` series whose times overlap ``series`` on
    ``day`` (its own occurrence that day): ``(other series, its occurrence)``, by start."""
    mine = occurrences(series, day, day)
    if not mine:
        return []
    found = [(other, occurrence) for other in current if other.uid != series.uid
             for occurrence in occurrences(other, day, day)
             if occurrence.start < mine[0].end and mine[0].start < occurrence.end]
    return sorted(found, key=lambda pair: (pair[1].start, pair[0].uid))


def _day_warnings(plan: Plan, current: Iterable[EventSeries], series: EventSeries, day: date) -> list[dict]:
    """What an animator adding ``series`` on ``day`` should know, though it is accepted:
    another event at the same time, a public holiday, a closure day."""
    warnings = [{"kind": "overlap", "uid": other.uid, "title": other.title, "start": occurrence.start,
                 "end": occurrence.end} for other, occurrence in clashes(current, series, day)]
    holiday = public_holidays(day, day, plan.settings.calendar.holidays_subdivision).get(day)
    if holiday is not None:
        warnings.append({"kind": "holiday", "name": holiday})
    if day in plan.settings.calendar.closures:
        warnings.append({"kind": "closure"})
    return warnings


def _current(series: EventSeries, name: str):
    """The ``title``, ``place`` or ``end`` (an aware datetime) of a one-off ``series``."""
    if name == "end":
        return local_datetime(series.rule.starts, series.end_time, series.tzid)
    return getattr(series, name)


def normalise_uid(plan: Plan, uid: str) -> str:
    """The stored UID an animator means: ``rencontre-20270114-1400`` (with or without the
    network's tag, :func:`workflows.events.state.network_tag`) →
    ``rencontre-20270114-1400-<tag>@<network domain>``, or the untagged UID of an event
    published by an older rers; a UID with its ``@domain`` is taken as written. An
    unknown one comes back as ``<uid>@<domain>``."""
    uid = uid.strip()
    if "@" in uid:
        return uid
    network = plan.settings.network
    plain = f"{uid}@{network.domain}"
    tagged = f"{uid}-{network_tag(network.address)}@{network.domain}"
    # This network's own event first: an untagged one of the same name may be an old,
    # called-off series of an earlier address.
    return next((candidate for candidate in (tagged, plain) if plan.events.find_one("uid", candidate)), plain)


def cancel_event(plan: Plan, uid: str) -> Outcome:
    """Call off the one-off event ``uid`` (``@domain`` may be left out): it leaves the feed
    and everyone invited gets a ``METHOD:CANCEL``. Refused for an unknown UID, a
    configured series (change the configuration instead) or a past event; ``unchanged``
    when already called off. In a transaction."""
    planned = draft(plan)
    uid = normalise_uid(plan, uid)
    series = planned.current.get(uid)
    if series is None:
        return Outcome("cancel_event", "refused", "unknown_event", detail={"uid": uid})
    day = series.rule.starts
    if series.kind in CONFIGURED_KINDS:
        return Outcome("cancel_event", "refused", "configured_event", series, detail={"uid": uid})
    if series.cancelled:
        return Outcome("cancel_event", "unchanged", "already_cancelled", series, day)
    if day < planned.today:
        return Outcome("cancel_event", "refused", "past", series, day)
    del planned.current[uid]
    state, _changes, queued = update_calendar(plan, planned)
    return Outcome("cancel_event", "done", None, state[uid], day, len(queued))


def weekday_mismatch(incoming: Incoming, name: str | None, day: date | None) -> Outcome | None:
    """A refusal when the calendar command ``name`` wrote a weekday that is not the one of
    its date ``day`` (``PERMANENCE ANNULÉE lundi 8 décembre``, a Tuesday): which of the two
    was meant, the robot cannot tell. None when they agree or no weekday was written."""
    if name not in ("cancel_permanence", "meeting", "workshop") or day is None:
        return None
    stated = stated_weekday(f"{incoming.parsed.subject}\n{incoming.parsed.text}", day)
    if stated is None or stated == day.weekday():
        return None
    return Outcome(name, "refused", "weekday_mismatch", day=day, detail={"written_weekday": WEEKDAYS[stated]})


def _says_cancelled(title: str | None) -> bool:
    """True for a ``RENCONTRE ANNULÉE …`` read as a meeting titled « ANNULÉE »."""
    return fold(title or "").startswith(("annul", "supprim"))


def _cancel_by_mail(plan: Plan, kind: str, day: date | None) -> Outcome:
    """``RENCONTRE ANNULÉE <date>``: protocol.md has no such command yet, and it must not
    become an event titled « ANNULÉE ». Refused; ``detail["others"]`` names the events of
    that day, for the command line."""
    others = _events_of_day(draft(plan).current.values(), day) if day else []
    return Outcome(kind, "refused", "cancel_by_mail", day=day, detail={"others": others})


def _events_of_day(current: Iterable[EventSeries], day: date, besides: str | None = None) -> list[dict]:
    """The series (but ``besides``) that take place on ``day``, as ``{"uid": short name
    (:func:`workflows.events.state.short_uid`),
    "title", "recurring"}``: what a refusal names for ``rers calendar cancel``."""
    return [{"uid": short_uid(series.uid), "title": series.title, "recurring": series.rule.recurring}
            for series in current if series.uid != besides and occurrences(series, day, day)]


def command_day(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def command_time(value) -> time | None:
    try:
        return time.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def on_event_command(plan: Plan, incoming: Incoming) -> str:
    """``event_command`` (only a configured animator's message is one): carry out
    ``parsed.command`` and answer the animator with what was done or why not
    (template ``event_command_done``).

    ``command`` shapes (protocol.md): ``{"name": "cancel_permanence", "date":
    "YYYY-MM-DD"|None}``; ``{"name": "meeting"|"workshop", "date", "start": "HH:MM"|None,
    "end": "HH:MM"|None, "place": str|None, "title": str|None}``. Other commands
    (``introduce``, ``report``, ``register``) are not the calendar's: they go to
    :func:`workflows.steps.basics.on_not_automated` until their workflows exist.
    """
    command = incoming.parsed.command or {}
    name = command.get("name")
    mismatch = weekday_mismatch(incoming, name, command_day(command.get("date")))
    if mismatch is not None:
        outcome = mismatch
    elif name == "cancel_permanence":
        outcome = cancel_occurrence(plan, command_day(command.get("date")))
    elif name in ("meeting", "workshop") and _says_cancelled(command.get("title")):
        outcome = _cancel_by_mail(plan, name, command_day(command.get("date")))
    elif name in ("meeting", "workshop"):
        outcome = add_one_off(plan, name, command_day(command.get("date")), command_time(command.get("start")),
                              command_time(command.get("end")), title=command.get("title"), place=command.get("place"))
    else:
        return basics.on_not_automated(plan, incoming)
    answer_sender(plan, incoming, template="event_command_done", values=outcome.view(plan.local_date),
                  purpose="event_command_done")
    plan.audit.info("%s: calendar command %s %s%s, %d invitation(s)", incoming.parsed.message_id, name, outcome.status,
               f" ({outcome.reason})" if outcome.reason else "", outcome.invitations)
    return Said("event_command {name}: {status}", name=name, status=outcome.said())
