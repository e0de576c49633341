"""Builders shared by the calendar tests (``test_events_*.py``)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import icalendar
import recurring_ical_events

from config.settings import CalendarSettings, MeetingRule, NetworkSettings
from workflows.events.model import EventSeries
from workflows.events.state import reconcile, series_from_settings

UTC = timezone.utc
NOW = datetime(2027, 1, 15, 7, 30, tzinfo=UTC)
TODAY = date(2027, 1, 15)
ORGANIZER = "rers.souday@example.org"
CLOSURES = (date(2026, 12, 28), date(2027, 8, 9), date(2027, 8, 16))


def network(**changes) -> NetworkSettings:
    values = {"name": "RERS de Souday", "address": ORGANIZER, "animators": ("anim@example.org",)}
    return NetworkSettings(**{**values, **changes})


def calendar(**changes) -> CalendarSettings:
    """The example network: Monday permanence, second-Thursday meeting, review in March
    and October, three closures."""
    values = {
        "output_dir": Path("/nonexistent"),
        "closures": CLOSURES,
        "monthly_meeting": MeetingRule(enabled=True, place="Salle du Havre"),
        "exchange_review": MeetingRule(enabled=True, months=(3, 10), end=time(16, 30)),
    }
    return CalendarSettings(**{**values, **changes})


def state(cal: CalendarSettings | None = None, net: NetworkSettings | None = None, *,
          today: date = TODAY, now: datetime = NOW) -> dict[str, EventSeries]:
    """The reconciled state of the configured series, as the shell would first store it."""
    configured = series_from_settings(cal or calendar(), net or network(), today=today)
    new, _ = reconcile({}, {s.uid: s for s in configured}, now)
    return new


def expand(text: str, first: date, last: date) -> list[tuple[str, datetime, datetime]]:
    """``(uid, start UTC, end UTC)`` of every occurrence from ``first`` to ``last``
    (inclusive), as the independent library ``recurring-ical-events`` reads ``text``."""
    cal = icalendar.Calendar.from_ical(text)
    found = recurring_ical_events.of(cal).between(first, last + timedelta(days=1))
    return sorted(
        (str(e["UID"]), e["DTSTART"].dt.astimezone(UTC), e["DTEND"].dt.astimezone(UTC)) for e in found
    )


def days_of(expanded, uid: str) -> list[date]:
    return [start.date() for u, start, _ in expanded if u == uid]
