"""iCalendar text for the network feed and the per-event files (RFC 5545).

Everything here is a pure function of the series data: no wall clock, no randomness, so
unchanged data gives byte-identical text (CRLF line ends, lines folded at 75 octets by
``icalendar``). Times are written ``DTSTART;TZID=<zone>:…`` with a ``VTIMEZONE`` built from
yearly RRULEs (:func:`vtimezone`), never from a list of explicit dates, which Outlook
ignores. A recurring series is one ``VEVENT``: ``RRULE`` plus one ``EXDATE`` list for its
public holidays, closures and cancelled occurrences (RFC 5545 3.8.5.1), so every client
shows one series.
"""
from __future__ import annotations

import calendar as month_calendar
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from typing import Iterable
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vRecur

from workflows.events.model import ICAL_WEEKDAYS, PRIVATE_KINDS, EventSeries
from workflows.events.rules import is_occurrence, local_datetime, occurrence_dates

PRODID = "-//rers//Robot RERS//FR"
FEED_FILENAME = "calendrier.ics"
EVENT_FILE_PREFIX = "event-"
EVENT_FILE_SUFFIX = ".ics"

_SEARCH_YEARS = 10
"""How far an open-ended rule is searched for its first occurrence."""


# --- VTIMEZONE from rules ---------------------------------------------------------------


@dataclass(frozen=True)
class _Transition:
    """One UTC-offset change of a zone, described the way a VTIMEZONE RRULE needs it."""

    instant: datetime
    """UTC."""
    local: datetime
    """Naive wall-clock time of the change, in the offset before it (RFC 5545 3.6.5)."""
    offset_from: timedelta
    offset_to: timedelta
    daylight: bool
    name: str

    @property
    def byday(self) -> str:
        # "last Sunday" when no later same weekday fits in the month: that is how the
        # EU and most zones word their rule, and it stays true from year to year.
        days_in_month = month_calendar.monthrange(self.local.year, self.local.month)[1]
        nth = -1 if self.local.day + 7 > days_in_month else (self.local.day - 1) // 7 + 1
        return f"{nth}{ICAL_WEEKDAYS[self.local.weekday()]}"

    @property
    def pattern(self) -> tuple:
        """What must repeat from one year to the next for one RRULE to describe it."""
        return (self.local.month, self.byday, self.local.time(), self.offset_from,
                self.offset_to, self.daylight, self.name)


def _transitions(zone: ZoneInfo, year: int) -> list[_Transition]:
    """The offset changes of ``zone`` during ``year``, in order."""
    found = []
    start = datetime(year, 1, 1, tzinfo=timezone.utc)
    end = datetime(year + 1, 1, 1, tzinfo=timezone.utc)
    step = timedelta(days=1)
    t = start
    while t < end:
        u = min(t + step, end)
        if t.astimezone(zone).utcoffset() != u.astimezone(zone).utcoffset():
            low, high = t, u
            while high - low > timedelta(minutes=1):  # bisect down to the minute
                mid = low + (high - low) / 2
                if mid.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
                    low = mid
                else:
                    high = mid
            instant = high.replace(second=0, microsecond=0)
            before, after = low.astimezone(zone), instant.astimezone(zone)
            found.append(
                _Transition(
                    instant=instant,
                    local=(instant + before.utcoffset()).replace(tzinfo=None),
                    offset_from=before.utcoffset(),
                    offset_to=after.utcoffset(),
                    daylight=bool(after.dst()),
                    name=after.tzname() or "",
                )
            )
        t = u
    return found


def vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """A ``VTIMEZONE`` for ``tzid`` valid from ``first_year`` to ``last_year`` and after
    (RFC 5545 3.6.5), from the system's tz database (``zoneinfo``).

    Each run of years with the same changes becomes one ``STANDARD``/``DAYLIGHT`` pair with
    ``RRULE:FREQ=YEARLY;BYMONTH=…;BYDAY=…`` (e.g. ``-1SU`` for the EU), closed by an
    ``UNTIL`` (UTC) when the rules change inside the range; a zone without changes gets one
    ``STANDARD`` block. The year before ``first_year`` is included so that the first
    events of ``first_year`` already have an observance. Raises ``ValueError`` on an
    unknown zone or ``last_year < first_year``.
    """
    if last_year < first_year:
        raise ValueError(f"last_year {last_year} is before first_year {first_year}")
    zone = ZoneInfo(tzid)
    years = range(first_year - 1, last_year + 1)
    by_year = [(year, _transitions(zone, year)) for year in years]
    runs: list[list[tuple[int, list[_Transition]]]] = []
    for year, changes in by_year:
        if runs and [c.pattern for c in runs[-1][-1][1]] == [c.pattern for c in changes]:
            runs[-1].append((year, changes))
        else:
            runs.append([(year, changes)])

    component = Timezone()
    component.add("tzid", tzid)
    for index, run in enumerate(runs):
        first_year_of_run, first_changes = run[0]
        last_changes = run[-1][1]
        closes = index < len(runs) - 1
        if not first_changes:
            start = datetime(first_year_of_run, 1, 1, tzinfo=timezone.utc).astimezone(zone)
            block = TimezoneDaylight() if start.dst() else TimezoneStandard()
            block.add("dtstart", start.replace(tzinfo=None))
            block.add("tzoffsetfrom", start.utcoffset())
            block.add("tzoffsetto", start.utcoffset())
            block.add("tzname", start.tzname() or tzid)
            component.add_component(block)
            continue
        for change, last in zip(first_changes, last_changes):
            block = TimezoneDaylight() if change.daylight else TimezoneStandard()
            block.add("dtstart", change.local)
            rule = {"freq": "YEARLY", "bymonth": change.local.month, "byday": change.byday}
            if closes:
                rule["until"] = last.instant
            block.add("rrule", vRecur(rule))
            block.add("tzoffsetfrom", change.offset_from)
            block.add("tzoffsetto", change.offset_to)
            block.add("tzname", change.name)
            component.add_component(block)
    return component


# --- VEVENTs ----------------------------------------------------------------------------


def _rrule(series: EventSeries, until: datetime | None) -> vRecur:
    rule = series.rule
    day = ICAL_WEEKDAYS[rule.weekday]
    parts: dict = {"freq": rule.freq.upper()}
    if until is not None:
        parts["until"] = until
    if rule.freq == "weekly":
        parts["byday"] = day
    else:
        parts["byday"] = f"{rule.nth}{day}"
    if rule.freq == "yearly":
        parts["bymonth"] = list(rule.months)
    return vRecur(parts)


def _span(series: EventSeries) -> tuple[date, date | None] | None:
    """First and last real occurrence days of a series (ignoring ``cancelled``; last None
    for an open-ended rule), or None when it never occurs."""
    live = replace(series, cancelled=False)
    rule = series.rule
    if rule.until is not None:
        days = occurrence_dates(live, rule.starts, rule.until)
        return (days[0], days[-1]) if days else None
    days = occurrence_dates(live, rule.starts, rule.starts + timedelta(days=366 * _SEARCH_YEARS))
    return (days[0], None) if days else None


def series_event(series: EventSeries) -> Event | None:
    """The ``VEVENT`` of a series, or None when it has no occurrence at all.

    ``DTSTART``/``DTEND`` are the first real occurrence (a skipped day never starts a
    series: some clients show the DTSTART instance despite an EXDATE); a recurring series
    adds ``RRULE`` with ``UNTIL`` = the last real occurrence in UTC (RFC 5545 3.3.10 asks
    UTC when DTSTART has a TZID) and the skipped days in between as one ``EXDATE``.
    ``STATUS`` is CANCELLED for a cancelled series, else CONFIRMED. Raises ``ValueError``
    when ``dtstamp`` was never set (run :func:`workflows.events.state.reconcile` first).
    """
    if series.dtstamp is None:
        raise ValueError(f"{series.uid}: no DTSTAMP yet (reconcile the series before publishing)")
    span = _span(series)
    if span is None:
        return None
    first, last = span
    event = Event()
    event.add("uid", series.uid)
    event.add("dtstamp", series.dtstamp)
    event.add("sequence", series.sequence)
    event.add("summary", series.title)
    # The kind, for a linked network that pools this calendar (workflows/events/feeds.py):
    # its config chooses which kinds reach its members (a neighbour's weekly permanence
    # seldom should). An x-prop (RFC 5545, 3.8.8.2): calendar clients ignore it.
    event.add("x-rers-kind", series.kind)
    if series.place:
        event.add("location", series.place)
    if series.description:
        event.add("description", series.description)
    event.add("dtstart", local_datetime(first, series.start_time, series.tzid))
    event.add("dtend", local_datetime(first, series.end_time, series.tzid))
    if series.rule.recurring:
        end = last or series.rule.starts + timedelta(days=366 * _SEARCH_YEARS)
        until = None
        if last is not None:
            until = local_datetime(last, series.start_time, series.tzid).astimezone(timezone.utc)
        event.add("rrule", _rrule(series, until))
        skipped = [
            local_datetime(d, series.start_time, series.tzid)
            for d in series.exdates
            if first < d <= end and is_occurrence(series, d)
        ]
        if skipped:
            event.add("exdate", skipped)
    event.add("status", "CANCELLED" if series.cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def occurrence_event(series: EventSeries, day: date) -> Event:
    """A ``VEVENT`` for the single occurrence ``day`` of a recurring series, identified by
    ``RECURRENCE-ID`` (RFC 5545 3.8.4.4), e.g. for an iTIP CANCEL of one permanence.
    Raises ``ValueError`` when ``day`` is not a day of the series' rule or ``dtstamp`` is unset."""
    if series.dtstamp is None:
        raise ValueError(f"{series.uid}: no DTSTAMP yet (reconcile the series before publishing)")
    if not is_occurrence(series, day):
        raise ValueError(f"{day} is not a day of {series.uid}")
    start = local_datetime(day, series.start_time, series.tzid)
    event = Event()
    event.add("uid", series.uid)
    event.add("dtstamp", series.dtstamp)
    event.add("sequence", series.sequence)
    event.add("recurrence-id", start)
    event.add("summary", series.title)
    if series.place:
        event.add("location", series.place)
    event.add("dtstart", start)
    event.add("dtend", local_datetime(day, series.end_time, series.tzid))
    return event


# --- calendars and files ----------------------------------------------------------------


def _years(series: Iterable[EventSeries]) -> tuple[int, int]:
    starts = [s.rule.starts.year for s in series]
    ends = [(s.rule.until or s.rule.starts).year for s in series]
    return min(starts), max(ends)


def new_calendar(series: list[EventSeries], *, name: str | None = None, tzid: str | None = None,
                 method: str | None = None) -> Calendar:
    """An empty ``VCALENDAR`` with ``VERSION``, ``PRODID``, the ``METHOD`` when given
    (RFC 5546), the feed properties when ``name`` is given (``X-WR-CALNAME``, ``NAME`` and
    ``REFRESH-INTERVAL`` of RFC 7986, ``X-WR-TIMEZONE`` = ``tzid``), and one ``VTIMEZONE``
    per zone the ``series`` use, covering their years."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("name", name)
        cal.add("x-wr-calname", name)
        if tzid:
            cal.add("x-wr-timezone", tzid)
        cal.add("refresh-interval", timedelta(hours=12), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT12H")
    if series:
        first, last = _years(series)
        for zone in sorted({s.tzid for s in series}):
            cal.add_component(vtimezone(zone, first, last))
    return cal


def _ordered(series: Iterable[EventSeries]) -> list[EventSeries]:
    return sorted(series, key=lambda s: (s.rule.starts, s.start_time, s.uid))


def feed(series: Iterable[EventSeries], *, name: str, tzid: str) -> str:
    """The network feed: one ``VEVENT`` per series that is not cancelled and has an
    occurrence, ordered by start then UID. ``name`` is the calendar's display name,
    ``tzid`` the network zone (``X-WR-TIMEZONE``). Returns iCalendar text (CRLF)."""
    events = [(s, series_event(s)) for s in _ordered(series) if not s.cancelled]
    shown = [(s, e) for s, e in events if e is not None]
    cal = new_calendar([s for s, _ in shown], name=name, tzid=tzid)
    for _, event in shown:
        cal.add_component(event)
    return cal.to_ical().decode("utf-8")


def event_filename(series: EventSeries) -> str:
    """``event-<slug>.ics`` from the UID's local part (``permanence@x.org`` →
    ``event-permanence.ics``): the only names :func:`workflows.shell.files.publish`
    cleans up."""
    slug = re.sub(r"[^a-z0-9]+", "-", series.uid.partition("@")[0].lower()).strip("-")
    return f"{EVENT_FILE_PREFIX}{slug or 'event'}{EVENT_FILE_SUFFIX}"


def calendar_files(series: Iterable[EventSeries], *, name: str, tzid: str,
                   feed_filename: str = FEED_FILENAME) -> dict[str, str]:
    """``{filename: iCalendar text}``: the feed under ``feed_filename`` and one
    ``event-<slug>.ics`` per published series (each a one-event calendar named
    ``"<name> – <title>"``). A group's sessions (:data:`PRIVATE_KINDS`) are left out: only
    the group's members have them, by invitation. Raises ``ValueError`` when two UIDs
    give the same file name."""
    series = _ordered(s for s in series if s.kind not in PRIVATE_KINDS)
    files = {feed_filename: feed(series, name=name, tzid=tzid)}
    for one in series:
        if one.cancelled or series_event(one) is None:
            continue
        filename = event_filename(one)
        if filename in files:
            raise ValueError(f"two events would be published as {filename}")
        files[filename] = feed([one], name=f"{name} – {one.title}", tzid=tzid)
    return files
