"""When events happen: rule dates, public holidays, occurrences in the network zone.

Dates here are local calendar days in the series' zone; an occurrence's start and end are
timezone-aware datetimes in that zone (``ZoneInfo``), so 09:00 in Paris is 08:00 UTC in
winter and 07:00 UTC in summer without any arithmetic of ours. The generation follows
RFC 5545 3.3.10 (RECUR) for the subset of :class:`~workflows.events.model.Rule`, and must
agree with the RRULE that :mod:`workflows.events.ical` writes (the tests check it with an
independent expander).
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays as holidays_lib

from workflows.events.model import EventSeries, Rule


@dataclass(frozen=True)
class Occurrence:
    """One occurrence: ``start``/``end`` aware datetimes in the series' zone, ``day`` local."""

    uid: str
    day: date
    start: datetime
    end: datetime


def local_datetime(day: date, at: time, tzid: str) -> datetime:
    """``day`` at wall-clock ``at`` in zone ``tzid``, timezone-aware.

    A wall-clock time skipped by a DST change (02:30 on the last Sunday of March in Paris)
    is read with the offset before the change (PEP 495 ``fold=0``), as RFC 5545 3.3.5 asks.
    """
    return datetime.combine(day, at, tzinfo=ZoneInfo(tzid))


def wall_clock_problem(day: date, at: time, tzid: str) -> str | None:
    """``"nonexistent"`` when wall-clock ``at`` does not exist on ``day`` in zone ``tzid``
    (skipped when the clocks go forward: 02:30 on the last Sunday of March in Paris),
    ``"ambiguous"`` when it happens twice (the clocks go back: 02:30 on the last Sunday
    of October; RFC 5545 3.3.5 reads it as the first), None for an ordinary time."""
    first = datetime.combine(day, at, tzinfo=ZoneInfo(tzid))
    if first.utcoffset() == first.replace(fold=1).utcoffset():
        return None
    again = first.astimezone(timezone.utc).astimezone(first.tzinfo).replace(tzinfo=None)
    return "ambiguous" if again == first.replace(tzinfo=None) else "nonexistent"


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> date | None:
    """The ``nth`` (1…5, or -1 for the last) ``weekday`` (0 = Monday) of a month, or None
    when the month has no such day (a fifth Thursday)."""
    days_in_month = calendar.monthrange(year, month)[1]
    if nth == -1:
        last = date(year, month, days_in_month)
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    day = 1 + (weekday - first.weekday()) % 7 + 7 * (nth - 1)
    return date(year, month, day) if day <= days_in_month else None


def _months(first: date, last: date):
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def rule_dates(rule: Rule, first: date, last: date) -> list[date]:
    """Every day of ``rule`` between ``first`` and ``last`` (inclusive), before any
    exclusion, sorted. Empty when ``last < first``."""
    first, last = max(first, rule.starts), min(last, rule.until or last)
    if last < first:
        return []
    if rule.freq == "once":
        return [rule.starts] if first <= rule.starts <= last else []
    if rule.freq == "weekly":
        day = first + timedelta(days=(rule.weekday - first.weekday()) % 7)
        out = []
        while day <= last:
            out.append(day)
            day += timedelta(days=7)
        return out
    out = []
    for year, month in _months(first, last):
        if rule.freq == "yearly" and month not in rule.months:
            continue
        day = nth_weekday(year, month, rule.weekday, rule.nth)
        if day is not None and first <= day <= last:
            out.append(day)
    return out


def public_holidays(first: date, last: date, subdivision: str = "", country: str = "FR") -> dict[date, str]:
    """Public holidays between ``first`` and ``last`` (inclusive), ``{day: French name}``.

    From the ``holidays`` package, category ``public``. ``subdivision`` "" is metropolitan
    France; "57" (Moselle) or "6AE" (Alsace) add Good Friday and St Stephen's Day; overseas
    codes ("971", "974", …) add their own days. Raises ``NotImplementedError`` for an unknown
    country or subdivision (from ``holidays``).
    """
    if last < first:
        return {}
    table = holidays_lib.country_holidays(
        country,
        subdiv=subdivision or None,
        years=range(first.year, last.year + 1),
        language="fr",
    )
    return {day: name for day, name in sorted(table.items()) if first <= day <= last}


def skipped_holidays(rule: Rule, first: date, last: date, subdivision: str = "") -> tuple[date, ...]:
    """The days of ``rule`` between ``first`` and ``last`` that are public holidays, sorted:
    the value of :attr:`EventSeries.holidays`."""
    days = rule_dates(rule, first, last)
    if not days:
        return ()
    off = public_holidays(days[0], days[-1], subdivision)
    return tuple(d for d in days if d in off)


def is_occurrence(series: EventSeries, day: date) -> bool:
    """True when ``day`` is a day of the series' rule (exclusions not considered)."""
    return rule_dates(series.rule, day, day) == [day]


def occurrence_dates(series: EventSeries, first: date, last: date) -> list[date]:
    """Days the series really happens between ``first`` and ``last``: the rule's days minus
    holidays, closures and cancelled occurrences; none for a cancelled series."""
    if series.cancelled:
        return []
    skipped = set(series.exdates)
    return [d for d in rule_dates(series.rule, first, last) if d not in skipped]


def occurrences(series: EventSeries, first: date, last: date) -> list[Occurrence]:
    """The occurrences of :func:`occurrence_dates`, with start and end in the series' zone."""
    return [
        Occurrence(
            uid=series.uid,
            day=d,
            start=local_datetime(d, series.start_time, series.tzid),
            end=local_datetime(d, series.end_time, series.tzid),
        )
        for d in occurrence_dates(series, first, last)
    ]


def next_occurrence(series: EventSeries, after: date, horizon_days: int = 400) -> Occurrence | None:
    """The first occurrence on or after ``after`` within ``horizon_days``, or None
    (for "the next permanence" in a text)."""
    found = occurrences(series, after, after + timedelta(days=horizon_days))
    return found[0] if found else None
