"""A linked network's published calendar read back as series (pooled events,
docs/reseaux-voisins.md « Événements partagés »).

The peer is a rers robot: its feed (:func:`workflows.events.ical.feed`) holds one
``VEVENT`` per series — DTSTART/DTEND with a TZID, an optional ``RRULE`` of the
:class:`~workflows.events.model.Rule` subset (``FREQ=WEEKLY;BYDAY=MO``,
``FREQ=MONTHLY;BYDAY=2TH``, ``FREQ=YEARLY;BYMONTH=1,6;BYDAY=-1FR``, with an UNTIL), and
one EXDATE list. :func:`pooled_series` reads that back; a VEVENT outside that subset
(an all-day event, several days long, COUNT or INTERVAL, an override with RECURRENCE-ID,
a zone the system does not know) is left out, and said in ``skipped``.

Each event gets a UID of this network (:func:`pooled_uid`): the same event must not
carry two SEQUENCE numberings under one UID in the agenda of someone who is a member of
both networks (the peer invites them itself, this robot too). The peer's UID stays in
:attr:`~workflows.events.model.EventSeries.peer_uid`: its count messages name it.

Pure: text in, series out; SEQUENCE and DTSTAMP are :func:`workflows.events.state.reconcile`'s.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Collection
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar

from workflows.events.model import ICAL_WEEKDAYS, EventSeries, Rule
from workflows.events.state import network_tag


class FeedError(ValueError):
    """A feed that is not iCalendar text at all; the text says why."""


@dataclass
class FeedRead:
    """What :func:`pooled_series` read: ``series`` by this network's UID, ``skipped``
    one line per VEVENT left out (its UID and why)."""

    series: dict[str, EventSeries] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def pooled_uid(peer: str, peer_uid: str, address: str, domain: str) -> str:
    """``voisin-<12 hex>-<tag>@<domain>``: this network's UID for the event ``peer_uid``
    of the peer robot ``peer`` (both lower-cased into the hash); ``address`` and ``domain``
    are this network's (:func:`workflows.events.state.network_tag`)."""
    digest = hashlib.sha256(f"{peer.lower()} {peer_uid}".encode("utf-8")).hexdigest()[:12]
    return f"voisin-{digest}-{network_tag(address)}@{domain}"


def _local(value, zone: ZoneInfo) -> datetime | None:
    """A DTSTART/DTEND/UNTIL/EXDATE value as a wall-clock datetime of ``zone``; None for
    a date (all-day). A UTC or other-zone time is converted, a floating one taken as is."""
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        return value
    return value.astimezone(zone).replace(tzinfo=None)


def _zone_of(value) -> str | None:
    """The IANA zone a DTSTART names (its TZID), None for UTC or a floating time: those
    are shown in the network's zone."""
    tz = getattr(value, "tzinfo", None)
    key = getattr(tz, "key", None) or getattr(tz, "zone", None)
    return key if isinstance(key, str) and key not in ("UTC", "Etc/UTC", "GMT") else None


def _rule(rrule, starts: date, zone: ZoneInfo) -> Rule:
    """The :class:`Rule` of an RRULE (icalendar's ``vRecur``, upper-case keys, list
    values) starting ``starts``. Raises ``ValueError`` outside the subset."""
    if rrule is None:
        return Rule.once(starts)
    keys = set(rrule) - {"FREQ", "BYDAY", "BYMONTH", "UNTIL", "WKST"}
    if keys:
        raise ValueError(f"RRULE with {', '.join(sorted(keys))}")
    freq = str((rrule.get("FREQ") or [""])[0]).lower()
    days = [str(d).upper() for d in rrule.get("BYDAY") or []]
    if len(days) != 1 or days[0][-2:] not in ICAL_WEEKDAYS:
        raise ValueError("an RRULE needs one BYDAY")
    weekday = ICAL_WEEKDAYS.index(days[0][-2:])
    nth_text = days[0][:-2]
    until_value = (rrule.get("UNTIL") or [None])[0]
    until = None
    if until_value is not None:
        local = _local(until_value, zone)
        until = local.date() if local is not None else until_value
    if freq == "weekly" and not nth_text and not rrule.get("BYMONTH"):
        return Rule.weekly(weekday, starts, until)
    nth = int(nth_text) if nth_text.lstrip("+-").isdigit() else None
    if freq == "monthly" and not rrule.get("BYMONTH"):
        return Rule.monthly(nth, weekday, starts, until)
    if freq == "yearly":
        return Rule.yearly([int(m) for m in rrule.get("BYMONTH") or []], nth, weekday, starts, until)
    raise ValueError(f"RRULE FREQ={freq.upper()} of another shape")


def _exdates(event, zone: ZoneInfo) -> tuple[date, ...]:
    found = event.get("exdate")
    lists = found if isinstance(found, list) else [found] if found is not None else []
    days = set()
    for one in lists:
        for value in getattr(one, "dts", []):
            local = _local(value.dt, zone)
            days.add(local.date() if local is not None else value.dt)
    return tuple(sorted(days))


def _series(event, *, peer: str, address: str, domain: str, fallback_zone: str) -> EventSeries:
    """One VEVENT as a pooled series. Raises ``ValueError`` saying why it cannot be one."""
    if event.get("recurrence-id") is not None:
        raise ValueError("an override of one occurrence (RECURRENCE-ID)")
    peer_uid = str(event.get("uid") or "").strip()
    if not peer_uid:
        raise ValueError("no UID")
    start_prop, end_prop = event.get("dtstart"), event.get("dtend")
    if start_prop is None:
        raise ValueError("no DTSTART")
    start = start_prop.dt
    tzid = _zone_of(start) or fallback_zone
    try:
        zone = ZoneInfo(tzid)
    except (ZoneInfoNotFoundError, ValueError):
        tzid, zone = fallback_zone, ZoneInfo(fallback_zone)
    begins = _local(start, zone)
    if begins is None:
        raise ValueError("an all-day event")
    if end_prop is not None:
        ends = _local(end_prop.dt, zone)
    elif event.get("duration") is not None:
        ends = begins + event.get("duration").dt
    else:
        ends = None
    if ends is None or ends.date() != begins.date() or ends.time() <= begins.time():
        raise ValueError("not within one day")
    rule = _rule(event.get("rrule"), begins.date(), zone)
    return EventSeries(
        uid=pooled_uid(peer, peer_uid, address, domain),
        kind="pooled",
        title=str(event.get("summary") or "").strip() or peer_uid,
        rule=rule,
        start_time=time(begins.hour, begins.minute, begins.second),
        end_time=time(ends.hour, ends.minute, ends.second),
        tzid=tzid,
        place=str(event.get("location") or "").strip(),
        description=str(event.get("description") or "").strip(),
        cancelled_dates=_exdates(event, zone) if rule.recurring else (),
        organizer=address,
        peer=peer.lower(),
        peer_uid=peer_uid,
    )


def pooled_series(text: str, *, peer: str, address: str, domain: str, zone: str, today: date,
                  leave_out: "Collection[str]" = ()) -> FeedRead:
    """The events of the peer robot ``peer``'s feed ``text`` as pooled series of this
    network (``address``, ``domain``; ``zone`` the network's, for a floating time): those
    not cancelled whose last day is not before ``today`` (local), and whose kind (the
    ``X-RERS-KIND`` rers writes, :data:`workflows.events.model.KINDS`) is not in
    ``leave_out`` (an event without it is kept). Raises :class:`FeedError` when ``text``
    is not iCalendar text."""
    try:
        calendar = Calendar.from_ical(text)
    except (ValueError, IndexError, KeyError) as error:
        raise FeedError(f"not iCalendar text: {error}") from None
    read = FeedRead()
    for event in calendar.walk("VEVENT"):
        label = str(event.get("uid") or "(no UID)")
        if str(event.get("status") or "").upper() == "CANCELLED":
            continue
        if str(event.get("x-rers-kind") or "").strip().lower() in leave_out:
            continue
        try:
            series = _series(event, peer=peer, address=address, domain=domain, fallback_zone=zone)
        except (ValueError, TypeError, AttributeError) as error:
            read.skipped.append(f"{label}: {error}")
            continue
        last = series.rule.until if series.rule.recurring else series.rule.starts
        if last is not None and last < today:
            continue
        read.series[series.uid] = series
    return read
