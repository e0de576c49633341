"""The calendar's state in the store, and how the robot's mails describe an event.

The pure work is in :mod:`workflows.events`. This module reads and writes the ``events``
collection, one document per ``UID``::

    {"uid": "permanence@example.org", "series": <EventSeries.to_dict()>}

and turns a series into the plain dict the templates receive (:func:`event_view`).

Changing the calendar is two steps, so that a command can look at what would be
published before deciding (``PERMANENCE ANNULÉE`` on a day that is not a permanence):

1. :func:`plan` — the stored series, and the series wanted now: the configured ones
   (``[calendar]``) plus the animators' one-off events and cancellations, with the
   one-off events long past left out (:data:`KEEP_PAST_DAYS`);
2. :func:`commit` — reconcile (RFC 5545 ``SEQUENCE``/``DTSTAMP``), write the series that
   changed, drop the pruned ones; returns the changes to announce.

Times: series hold wall-clock times in the network zone; "today" is the network's local
date of the clock's aware UTC ``now``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from config.settings import WEEKDAYS, Settings
from store import Store
from workflows.context import Context
from workflows.events.model import CONFIGURED_KINDS, EventSeries
from workflows.events.rules import local_datetime, occurrence_dates, rule_dates
from workflows.events.state import Change, reconcile, series_from_settings, wanted
from workflows.mail.compose import Renderer

KEEP_PAST_DAYS = 90
"""A one-off meeting or workshop stays in the state (and the feed) this many days after
it took place, then is dropped: the feed must not grow forever, and a recent event is
still worth seeing in one's calendar."""

UPCOMING_SHOWN = 4
"""How many next dates a mail lists for a series."""


def calendar_context(settings: Settings, store: Store, now: datetime, renderer: Renderer | None = None) -> Context:
    """A :class:`Context` for calendar work outside a message (daily job, command line).
    ``now``: aware."""
    network = settings.network
    return Context(settings=settings, store=store, now=now,
                   renderer=renderer or Renderer(network.language, network.templates_dir, network.timezone))


def local_today(ctx: Context) -> date:
    """The network's local date of ``ctx.now``."""
    return ctx.now.astimezone(ctx.settings.network.zone).date()


def load_series(store: Store) -> dict[str, EventSeries]:
    """Every stored series, by UID (cancelled ones included: their UID and SEQUENCE
    must be remembered)."""
    return {doc["uid"]: EventSeries.from_dict(doc["series"]) for doc in store.events.all()}


def find_series(store: Store, uid: str | None) -> EventSeries | None:
    """The stored series of ``uid``, or None."""
    doc = store.events.find_one("uid", uid) if uid else None
    return EventSeries.from_dict(doc["series"]) if doc else None


def save_series(store: Store, state: dict[str, EventSeries]) -> None:
    """Write the series whose stored form changed. In a transaction."""
    for uid, series in state.items():
        data = series.to_dict()
        doc = store.events.find_one("uid", uid)
        if doc is None:
            store.events.insert({"uid": uid, "series": data})
        elif doc["series"] != data:
            store.events.update(doc["id"], series=data)


def is_stale(series: EventSeries, today: date) -> bool:
    """True for a one-off event whose day is more than :data:`KEEP_PAST_DAYS` before
    ``today`` (configured series are never stale: their rule moves with the years)."""
    if series.kind in CONFIGURED_KINDS:
        return False
    last = series.rule.until or series.rule.starts
    return last < today - timedelta(days=KEEP_PAST_DAYS)


@dataclass
class Plan:
    """What :func:`commit` will reconcile.

    ``previous``: the stored series still kept; ``current``: the series wanted now (a
    command may change it before committing: add a one-off, cancel a day, drop a UID to
    call it off); ``pruned``: UIDs of stored one-off events long past, removed from the
    store without any announcement; ``today``: the network's local date.
    """

    previous: dict[str, EventSeries]
    current: dict[str, EventSeries]
    today: date
    pruned: list[str] = field(default_factory=list)

    def permanence(self) -> EventSeries | None:
        """The wanted weekly permanence series, or None when none is configured."""
        return next((s for s in self.current.values() if s.kind == "permanence" and not s.cancelled), None)


def plan(ctx: Context) -> Plan:
    """The stored and the wanted series (see the module docstring). Reads only."""
    return plan_for(ctx.settings, ctx.store, local_today(ctx))


def plan_for(settings: Settings, store: Store, today: date) -> Plan:
    """:func:`plan` for the network-local ``today``, without a context (the report)."""
    stored = load_series(store)
    pruned = sorted(uid for uid, series in stored.items() if is_stale(series, today))
    previous = {uid: series for uid, series in stored.items() if uid not in pruned}
    configured = series_from_settings(settings.calendar, settings.network, today=today)
    return Plan(previous=previous, current=wanted(previous, configured), today=today, pruned=pruned)


def commit(ctx: Context, planned: Plan) -> tuple[dict[str, EventSeries], list[Change]]:
    """Reconcile ``planned`` at ``ctx.now``, write the result, delete the pruned series.
    In a transaction. Returns ``(state, changes)`` as :func:`workflows.events.state.reconcile`
    does; announcing the changes is the caller's business."""
    state, changes = reconcile(planned.previous, planned.current, ctx.now)
    save_series(ctx.store, state)
    for uid in planned.pruned:
        doc = ctx.store.events.find_one("uid", uid)
        if doc is not None:
            ctx.store.events.delete(doc["id"])
    return state, changes


# --- how mails describe an event --------------------------------------------------------


def occurrence_view(series: EventSeries, day: date) -> dict:
    """``{"day": date, "start": aware datetime, "end": aware datetime}`` (series' zone)."""
    return {
        "day": day,
        "start": local_datetime(day, series.start_time, series.tzid),
        "end": local_datetime(day, series.end_time, series.tzid),
    }


def upcoming_days(series: EventSeries, today: date) -> list[date]:
    """The days the series really happens from ``today`` to the end of its rule (or a
    year ahead for an open rule)."""
    last = series.rule.until or today + timedelta(days=366)
    return occurrence_dates(series, today, last)


def event_view(series: EventSeries, today: date) -> dict:
    """The plain dict a template gets for one event (JSON-like; dates and aware datetimes
    that the Renderer's filters ``long_date``/``date_time``/``hour`` show in the network
    zone and language)::

        {"uid", "kind", "title", "place", "description", "recurring": bool,
         "frequency": "weekly"|"monthly"|"yearly"|"once", "weekday": "monday"|…|None,
         "nth": 1…5|-1|None, "start"/"end": aware datetimes of the next occurrence (or of
         the first one when none is left), "upcoming": [occurrence views, at most
         UPCOMING_SHOWN], "skipped": [dates from today the rule skips: holidays, closures,
         cancelled days], "until": date|None, "past": bool}
    """
    rule = series.rule
    upcoming = upcoming_days(series, today)
    if upcoming:
        first = upcoming[0]
    else:
        everything = occurrence_dates(series, rule.starts, rule.until or rule.starts)
        first = everything[0] if everything else rule.starts
    horizon = rule.until or today + timedelta(days=366)
    skipped = [d for d in series.exdates if today <= d <= horizon and rule_dates(rule, d, d) == [d]]
    return {
        "uid": series.uid,
        "kind": series.kind,
        "title": series.title,
        "place": series.place,
        "description": series.description,
        "recurring": rule.recurring,
        "frequency": rule.freq,
        "weekday": WEEKDAYS[rule.weekday] if rule.weekday is not None else None,
        "nth": rule.nth,
        "start": local_datetime(first, series.start_time, series.tzid),
        "end": local_datetime(first, series.end_time, series.tzid),
        "upcoming": [occurrence_view(series, d) for d in upcoming[:UPCOMING_SHOWN]],
        "skipped": skipped,
        "until": rule.until,
        "past": not upcoming,
    }
