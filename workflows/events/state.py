"""The calendar's state: which series exist, and what changed since the last look.

Pure functions over ``{uid: EventSeries}`` dicts. The shell keeps that dict in the store
(each series as :meth:`EventSeries.to_dict`), builds the wanted series (configuration plus
animator commands), and calls :func:`reconcile` with the clock's ``now``; the result's
``SEQUENCE``/``DTSTAMP`` are what the feed and the invitations carry (RFC 5545 3.8.7.4 and
3.8.7.2, RFC 5546 2.1.4: a change raises SEQUENCE), and its changes say which iTIP
messages to send.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import date, datetime, time, timezone
from types import MappingProxyType
from typing import Iterable, Mapping, NamedTuple

from config.settings import WEEKDAYS, WEEKS, CalendarSettings, MeetingRule, NetworkSettings
from workflows.events.model import CONFIGURED_KINDS, EventSeries, Rule
from workflows.events.rules import is_occurrence, rule_dates, skipped_holidays

CHANGE_KINDS = ("new", "changed", "extended", "restored", "cancelled", "occurrence_cancelled")


class Change(NamedTuple):
    """One change to announce: ``kind`` in :data:`CHANGE_KINDS`; ``occurrence`` is the
    local day of the cancelled occurrence (``occurrence_cancelled`` only, else None)."""

    uid: str
    kind: str
    occurrence: date | None = None


def _utc_second(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    # iCalendar keeps whole seconds; a stored microsecond would never be published anyway.
    return now.astimezone(timezone.utc).replace(microsecond=0)


def _exceptions(series: EventSeries) -> set[date]:
    return set(series.closures) | set(series.cancelled_dates)


def _extended(before: EventSeries, after: EventSeries) -> bool:
    """True when ``after`` is ``before`` with only a later RRULE UNTIL, and the skipped
    days that the added period brings: the publication horizon moved (a new year)."""
    old, new = before.rule.until, after.rule.until
    if old is None or new is None or new <= old or replace(after.rule, until=old) != before.rule:
        return False

    def upto(days: tuple[date, ...]) -> tuple[date, ...]:
        return tuple(d for d in days if d <= old)

    shrunk = replace(after, rule=before.rule, holidays=upto(after.holidays), closures=upto(after.closures),
                     cancelled_dates=upto(after.cancelled_dates))
    return shrunk.content() == before.content()


def _change_of(before: EventSeries, after: EventSeries) -> list[Change]:
    """What to announce when ``before`` became ``after`` (their contents differ)."""
    if after.cancelled:
        return [] if before.cancelled else [Change(after.uid, "cancelled")]
    if before.cancelled:
        # Invitees were told it was off: a REQUEST that puts it back, worded as such.
        return [Change(after.uid, "restored")]
    if _extended(before, after):
        # Still a REQUEST with a higher SEQUENCE (the RRULE changed), but not "a change".
        return [Change(after.uid, "extended")]
    added = _exceptions(after) - _exceptions(before)
    removed = _exceptions(before) - _exceptions(after)
    same_otherwise = replace(before, closures=after.closures, cancelled_dates=after.cancelled_dates)
    if added and not removed and same_otherwise.content() == after.content():
        # Only new skipped days: one CANCEL per real occurrence beats re-sending the series.
        holidays = set(after.holidays)
        return [
            Change(after.uid, "occurrence_cancelled", day)
            for day in sorted(added)
            if day not in holidays and is_occurrence(after, day)
        ]
    return [Change(after.uid, "changed")]


def reconcile(
    previous: Mapping[str, EventSeries],
    current: Mapping[str, EventSeries],
    now: datetime,
) -> tuple[dict[str, EventSeries], list[Change]]:
    """Compare the stored series with the wanted ones.

    ``previous`` is the stored state, ``current`` every series that should exist now (a
    UID missing from it is called off), both keyed by UID; ``now`` an aware datetime.
    Returns ``(state, changes)``: ``state`` keeps a series' ``SEQUENCE`` and ``DTSTAMP``
    when its content did not change and gives it ``SEQUENCE + 1`` and ``DTSTAMP = now``
    (UTC, whole seconds) when it did; a new series starts at ``SEQUENCE 0``. ``changes``
    (ordered by UID) lists ``new``, ``changed``, ``extended`` (only the RRULE's UNTIL moved
    later: :func:`publication_period` reached a new year), ``restored`` (a called-off
    series wanted again), ``cancelled`` and, when the only change is new skipped days, one
    ``occurrence_cancelled`` per real occurrence instead of ``changed``. A series called off stays in the state (``cancelled``) so that its UID and
    SEQUENCE are remembered. Raises ``ValueError`` for a naive ``now`` or a key that is
    not its series' UID.
    """
    stamp = _utc_second(now)
    for uid, series in (*previous.items(), *current.items()):
        if uid != series.uid:
            raise ValueError(f"key {uid!r} holds the series {series.uid!r}")
    state: dict[str, EventSeries] = {}
    changes: list[Change] = []
    for uid in sorted(set(previous) | set(current)):
        before, after = previous.get(uid), current.get(uid)
        if after is None:
            after = replace(before, cancelled=True)
        if before is not None and before.organizer and after.organizer != before.organizer:
            # A UID keeps the ORGANIZER it was published under (the network may have a new
            # address since): the members' agendas accept its updates and cancellations only so.
            after = replace(after, organizer=before.organizer)
        if before is None:
            state[uid] = replace(after, sequence=0, dtstamp=stamp)
            if not after.cancelled:
                changes.append(Change(uid, "new"))
            continue
        if before.content() == after.content():
            state[uid] = replace(after, sequence=before.sequence, dtstamp=before.dtstamp or stamp)
            continue
        state[uid] = replace(after, sequence=before.sequence + 1, dtstamp=stamp)
        changes.extend(_change_of(before, after))
    return state, changes


def wanted(previous: Mapping[str, EventSeries], configured: Iterable[EventSeries]) -> dict[str, EventSeries]:
    """The ``current`` argument of :func:`reconcile` after a configuration read.

    One-off series (meetings, workshops) of ``previous`` stay as they are; the
    ``configured`` series (under the UID their kind is stored with, :func:`stored_uid`)
    replace the stored ones of the same UID but keep the occurrences
    animators cancelled (``cancelled_dates``) and their past (:func:`_keep_past`); a
    configured kind no longer configured is left out, so that :func:`reconcile` calls it
    off.
    """
    out = {uid: s for uid, s in previous.items() if s.kind not in CONFIGURED_KINDS}
    for series in configured:
        series = stored_uid(previous, series)
        before = previous.get(series.uid)
        if before is not None:
            series = _keep_past(before, replace(series, cancelled_dates=before.cancelled_dates))
        out[series.uid] = series
    return out


def _keep_past(before: EventSeries, series: EventSeries) -> EventSeries:
    """``series`` (configured anew from :func:`publication_period`, which starts on 1
    January of this year) starting where ``before`` started, with the holidays and closures
    ``before`` skipped in between: DTSTART stays the first occurrence ever published, so
    that a new year neither moves it nor drops past occurrences from members' calendars.
    A series whose rule now falls on other days (another weekday, week or months), or
    that was called off, starts anew."""
    old, new = before.rule, series.rule
    if before.cancelled or new.starts <= old.starts or (old.freq, old.weekday, old.nth, old.months) != (
            new.freq, new.weekday, new.nth, new.months):
        return series

    def with_past(kept: tuple[date, ...], days: tuple[date, ...]) -> tuple[date, ...]:
        return tuple(sorted({d for d in kept if d < new.starts} | set(days)))

    return replace(series, rule=replace(new, starts=old.starts), holidays=with_past(before.holidays, series.holidays),
                   closures=with_past(before.closures, series.closures))


# --- series from the configuration ------------------------------------------------------

_TITLES = MappingProxyType({
    "fr": MappingProxyType({
        "permanence": "Permanence du {name}",
        "monthly_meeting": "Rencontre mensuelle du {name}",
        "exchange_review": "Échanges sur les échanges du {name}",
    }),
    "en": MappingProxyType({
        "permanence": "{name} drop-in session",
        "monthly_meeting": "{name} monthly meeting",
        "exchange_review": "{name} review of the exchanges",
    }),
})

def network_tag(address: str) -> str:
    """Eight hex digits of the SHA-256 of the network's functional address (lower-cased):
    the part of every UID that tells two networks apart. Two networks on one mail domain
    (``@gmail.com``) would otherwise both publish ``permanence@gmail.com``, and one's
    cancellations would remove the other's events from the agenda of a member of both
    (RFC 5545 3.8.4.7: a UID is globally unique)."""
    return hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()[:8]


_TAGGED = re.compile(r"^(?P<name>.+)-[0-9a-f]{8}@(?P<domain>[^@]+)$")


def legacy_uid(uid: str) -> str | None:
    """The UID a series had before UIDs carried :func:`network_tag`
    (``permanence-1a2b3c4d@x.org`` -> ``permanence@x.org``), None for an untagged one."""
    match = _TAGGED.match(uid)
    return f"{match['name']}@{match['domain']}" if match else None


def short_uid(uid: str) -> str:
    """What the animators type to name an event (``rers calendar cancel …``): the UID's
    local part without the network's tag (``rencontre-20270114-1400-1a2b3c4d@x.org`` ->
    ``rencontre-20270114-1400``); ``normalise_uid`` in :mod:`workflows.steps.event_commands`
    finds the event again from it."""
    match = _TAGGED.match(uid)
    return match["name"] if match else uid.partition("@")[0]


def stored_uid(previous: Mapping[str, EventSeries], series: EventSeries) -> EventSeries:
    """``series`` under the UID it is stored with: its own, or — when only the series of
    an older rers is stored, under the untagged UID (:func:`legacy_uid`), published by
    this same functional address (its organizer unknown, or ``series.organizer``) — that
    one. An upgrade then neither doubles the events in members' agendas nor calls them
    off; after a change of address, the old series are called off under their own
    ORGANIZER and the new ones published with new UIDs."""
    if series.uid in previous:
        return series
    old = legacy_uid(series.uid)
    before = previous.get(old) if old else None
    if before is None or before.kind != series.kind or before.organizer not in (None, series.organizer):
        return series
    return replace(series, uid=old)


_UID_NAMES = MappingProxyType({
    "permanence": "permanence",
    "monthly_meeting": "rencontre-mensuelle",
    "exchange_review": "echanges-sur-les-echanges",
})
"""Local part of each configured series' UID; also its file name (``event-<name>.ics``)."""


def publication_period(today: date, horizon_months: int) -> tuple[date, date]:
    """The days configured series cover: 1 January of ``today``'s year to 31 December of
    the year ``horizon_months`` after ``today``. Whole years, so that the series (and the
    invitations' SEQUENCE) change once a year, not every day, while always covering at
    least ``horizon_months`` ahead. A stored series keeps its own earlier start
    (:func:`wanted`), so only the end moves: a change of kind ``extended``."""
    months = today.year * 12 + today.month - 1 + horizon_months
    return date(today.year, 1, 1), date(months // 12, 12, 31)


def _title(kind: str, given: str, network: NetworkSettings) -> str:
    if given.strip():
        return given.strip()
    titles = _TITLES.get(network.language, _TITLES["fr"])
    return titles[kind].format(name=network.name)


def _configured(kind: str, rule: Rule, start: time, end: time, place: str, title: str,
                network: NetworkSettings, subdivision: str, closures: tuple[date, ...] = ()) -> EventSeries:
    until = rule.until or rule.starts
    return EventSeries(
        uid=configured_uid(kind, network),
        organizer=network.address,
        kind=kind,
        title=_title(kind, title, network),
        rule=rule,
        start_time=start,
        end_time=end,
        tzid=network.timezone,
        place=place,
        holidays=skipped_holidays(rule, rule.starts, until, subdivision),
        closures=tuple(sorted(set(closures) & set(rule_dates(rule, rule.starts, until)))),
    )


def configured_uid(kind: str, network: NetworkSettings) -> str:
    """``permanence-<tag>@<domain>`` (``rencontre-mensuelle-…``,
    ``echanges-sur-les-echanges-…``): the UID of the configured series ``kind`` (see
    :func:`network_tag`; a stored series may keep an older one, :func:`stored_uid`)."""
    return f"{_UID_NAMES[kind]}-{network_tag(network.address)}@{network.domain}"


def _meeting_rule(meeting: MeetingRule, starts: date, until: date) -> Rule:
    nth = -1 if meeting.week == "last" else WEEKS.index(meeting.week) + 1
    weekday = WEEKDAYS.index(meeting.weekday)
    if meeting.months:
        return Rule.yearly(meeting.months, nth, weekday, starts, until)
    return Rule.monthly(nth, weekday, starts, until)


def series_from_settings(calendar: CalendarSettings, network: NetworkSettings, *, today: date) -> list[EventSeries]:
    """The configured series (``[calendar.permanence]``, and ``[calendar.monthly_meeting]``
    / ``[calendar.exchange_review]`` when enabled) over :func:`publication_period`.

    Each skips the public holidays of ``calendar.holidays_subdivision``; the permanence
    also skips ``calendar.closures``. Times are wall-clock in ``network.timezone``; UIDs
    are :func:`configured_uid`'s (``permanence-<tag>@<domain>``…), the organizer the
    functional address. ``SEQUENCE``/``DTSTAMP`` are left for :func:`reconcile`.
    ``today`` is the network's local date.
    """
    starts, until = publication_period(today, calendar.horizon_months)
    subdivision = calendar.holidays_subdivision
    permanence = calendar.permanence
    out = [
        _configured(
            "permanence",
            Rule.weekly(WEEKDAYS.index(permanence.weekday), starts, until),
            permanence.start, permanence.end, permanence.place, permanence.title,
            network, subdivision, calendar.closures,
        )
    ]
    for kind, meeting in (("monthly_meeting", calendar.monthly_meeting), ("exchange_review", calendar.exchange_review)):
        if meeting.enabled:
            out.append(_configured(kind, _meeting_rule(meeting, starts, until), meeting.start, meeting.end,
                                   meeting.place, meeting.title, network, subdivision))
    return out


_ONE_OFF_PREFIXES = MappingProxyType({"meeting": "rencontre", "workshop": "atelier", "group_session": "groupe"})


def one_off_uid(kind: str, day: date, start: time, network: NetworkSettings, group: str | None = None) -> str:
    """``rencontre-20270114-1400-<tag>@<domain>`` (or ``atelier-…``; a session of group
    ``G-3``: ``groupe-3-20270120-1000-<tag>@<domain>``; the tag is :func:`network_tag`):
    the UID of the one-off ``kind`` starting on ``day`` at ``start``. Raises
    ``ValueError`` on another kind, or a group session without its group."""
    if kind not in _ONE_OFF_PREFIXES:
        raise ValueError(f"a one-off event is a meeting, a workshop or a group session, not {kind!r}")
    if (kind == "group_session") != (group is not None):
        raise ValueError("a group session, and only one, names its group")
    number = f"{group.partition('-')[2]}-" if group else ""
    return (f"{_ONE_OFF_PREFIXES[kind]}-{number}{day:%Y%m%d}-{start:%H%M}-{network_tag(network.address)}"
            f"@{network.domain}")


def one_off(kind: str, title: str, day: date, start: time, end: time, *, place: str = "",
            description: str = "", network: NetworkSettings, group: str | None = None) -> EventSeries:
    """A one-off ``meeting`` or ``workshop`` (animator command ``RENCONTRE``/``ATELIER`` or
    ``rers calendar add``), or a ``group_session`` of ``group`` (``ATELIER G-3 …``), on
    ``day`` from ``start`` to ``end``, wall-clock in the network zone. Its UID,
    :func:`one_off_uid`, depends on the kind (and group), day and start only (and the
    network), so that the same command sent again with a new place or title updates the
    event instead of doubling it. Raises ``ValueError`` on another kind or ``end <= start``."""
    return EventSeries(
        uid=one_off_uid(kind, day, start, network, group),
        organizer=network.address,
        kind=kind,
        title=title,
        rule=Rule.once(day),
        start_time=start,
        end_time=end,
        tzid=network.timezone,
        place=place,
        description=description,
        group=group,
    )
