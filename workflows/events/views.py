"""How the robot's mails and pages describe the calendar, and what a change of it will
reconcile (:class:`CalendarDraft`). Pure: series in, plain dicts and dates out.

Times: series hold wall-clock times in the network zone; "today" is the network's local
date.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from config.settings import WEEKDAYS
from workflows.events.model import CONFIGURED_KINDS, EventSeries
from workflows.events.rules import local_datetime, occurrence_dates, rule_dates

KEEP_PAST_DAYS = 90
"""A one-off meeting or workshop stays in the state (and the feed) this many days after
it took place, then is dropped: the feed must not grow forever, and a recent event is
still worth seeing in one's calendar."""


UPCOMING_SHOWN = 4
"""How many next dates a mail lists for a series."""


def is_stale(series: EventSeries, today: date) -> bool:
    """True for a one-off event whose day is more than :data:`KEEP_PAST_DAYS` before
    ``today`` (configured series are never stale: their rule moves with the years)."""
    if series.kind in CONFIGURED_KINDS:
        return False
    last = series.rule.until or series.rule.starts
    return last < today - timedelta(days=KEEP_PAST_DAYS)


@dataclass
class CalendarDraft:
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
