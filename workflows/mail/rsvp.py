"""Answers from calendar clients: a ``text/calendar`` part with ``METHOD:REPLY``
(RFC 5546 iTIP, RFC 6047 iMIP), read with :mod:`icalendar`.

Every VEVENT of a REPLY is an answer (Google answers a series accepted and one date
declined in one calendar); Google's note is the ``X-RESPONSE-COMMENT`` parameter of the
ATTENDEE. Tolerated, as clients really send them: ``method=reply`` in any case (in the
Content-Type or the calendar), ``MAILTO:`` in any case, no ``ORGANIZER``, Windows zone
names (``Romance Standard Time``, mapped by icalendar), lines folded in the middle of a
UTF-8 character (unfolded on bytes before decoding, RFC 5545 3.1), ``RECURRENCE-ID`` for
one occurrence (returned in UTC).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

from workflows.mail.decode import decode_bytes, network_zone
from workflows.mail.textutil import clean_line

_UNFOLD_RE = re.compile(rb"\r?\n[ \t]")
_PARTSTATS = {"accepted": "accepted", "declined": "declined", "tentative": "tentative"}
_MAILTO_RE = re.compile(r"^\s*mailto:", re.IGNORECASE)


def read_rsvp(data: bytes, method_param: str = "", zone: str = "Europe/Paris") -> dict | None:
    """The first answer carried by one calendar part (see :func:`read_rsvps`), or None
    when it is not a REPLY."""
    method, answers = read_calendar(data, method_param, zone)
    return answers[0] if method == "reply" and answers else None


def read_rsvps(data: bytes, method_param: str = "", zone: str = "Europe/Paris") -> list[dict]:
    """Every answer of one calendar part when it is a REPLY (one per VEVENT: a series
    accepted and one date declined are two), else ``[]``."""
    method, answers = read_calendar(data, method_param, zone)
    return answers if method == "reply" else []


def read_calendar(data: bytes, method_param: str = "", zone: str = "Europe/Paris") -> tuple[str, list[dict]]:
    """``(method, answers)`` of one calendar part: the iTIP method (RFC 5546) lower-cased
    (``reply`` when either the Content-Type parameter or the calendar says so, else the
    calendar's, else the parameter's; ``""`` when neither says), and one answer per
    VEVENT: ``{"uid", "attendee" (lower-cased address), "partstat" ("accepted" |
    "declined" | "tentative" | None), "recurrence_id" (UTC ISO-8601 ``…+00:00``, a date
    ``YYYY-MM-DD`` for an all-day occurrence, or None), "comment"}``. ``comment`` is the
    COMMENT property, or Google's ``X-RESPONSE-COMMENT`` parameter of the ATTENDEE.
    ``zone`` is used for a floating RECURRENCE-ID. Never raises."""
    param = method_param.strip().lower()
    if not data:
        return param, []
    text = decode_bytes(_UNFOLD_RE.sub(b"", data), "utf-8").replace("\r\n", "\n").replace("\r", "\n")
    found = _with_icalendar(text, zone) or _by_hand(text, zone)
    if found is None:
        return param, []
    calendar_method, answers = found
    method = "reply" if "reply" in (param, calendar_method) else calendar_method or param
    return method, answers


def _with_icalendar(text: str, zone: str) -> tuple[str, list[dict]] | None:
    """``(method, one answer per VEVENT)`` read by :mod:`icalendar`; None when it refuses
    the calendar or finds no event."""
    try:
        import icalendar

        calendar = icalendar.Calendar.from_ical(text)
        method = str(calendar.get("METHOD") or "").strip().lower()
        answers = []
        for event in calendar.walk("VEVENT"):
            attendees = event.get("ATTENDEE")
            if attendees is None:
                attendees = []
            elif not isinstance(attendees, list):
                attendees = [attendees]
            params = [getattr(value, "params", {}) for value in attendees]
            attendee, partstat, note = _pick_attendee(
                [(str(value), str(param.get("PARTSTAT", "")), str(param.get("X-RESPONSE-COMMENT", "")))
                 for value, param in zip(attendees, params)]
            )
            recurrence = event.get("RECURRENCE-ID")
            comment = event.get("COMMENT")
            comment_text = clean_line(str(comment)) if comment is not None else ""
            answers.append({
                "uid": clean_line(str(event.get("UID") or "")) or None,
                "attendee": attendee,
                "partstat": partstat,
                "recurrence_id": _utc(recurrence.dt, zone) if recurrence is not None else None,
                "comment": comment_text or note,
            })
        return (method, answers) if answers else None
    except Exception:  # icalendar is strict about what it accepts; fall back to reading lines
        return None


def _pick_attendee(attendees: list[tuple[str, str, str]]) -> tuple[str | None, str | None, str | None]:
    """``(address, partstat, note)`` of the attendee that answered, from ``(value,
    PARTSTAT, X-RESPONSE-COMMENT)`` triples: the first with a known PARTSTAT, else the
    first."""
    for value, partstat, note in attendees:
        if partstat.strip().lower() in _PARTSTATS:
            return _address(value), _PARTSTATS[partstat.strip().lower()], _note(note)
    if attendees:
        return _address(attendees[0][0]), None, _note(attendees[0][2])
    return None, None, None


def _note(value: str) -> str | None:
    """Google's X-RESPONSE-COMMENT, unquoted, its escaped line breaks made spaces."""
    text = value.strip().strip('"').replace("\\n", " ").replace("\\,", ",").replace("\\;", ";")
    return clean_line(text) or None


def _address(value: str) -> str | None:
    return clean_line(_MAILTO_RE.sub("", value)).lower() or None


def _utc(value: object, zone: str) -> str | None:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=network_zone(zone))
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return None


_LINE_RE = re.compile(r"^([A-Za-z-]+)((?:;[^:]*)?):(.*)$")


def _by_hand(text: str, zone: str) -> tuple[str, list[dict]] | None:
    """A minimal reader for calendars icalendar refuses: property lines only."""
    method = ""
    in_event = False
    answers: list[dict] = []
    found: dict = {}
    attendees: list[tuple[str, str, str]] = []

    def close() -> None:
        attendee, partstat, note = _pick_attendee(attendees)
        answers.append({
            "uid": found.get("UID"),
            "attendee": attendee,
            "partstat": partstat,
            "recurrence_id": found.get("RECURRENCE-ID"),
            "comment": found.get("COMMENT") or note,
        })

    for line in text.split("\n"):
        match = _LINE_RE.match(line.strip())
        if not match:
            continue
        name, params, value = match.group(1).upper(), match.group(2), match.group(3)
        if name == "METHOD":
            method = value.strip().lower()
        elif name == "BEGIN" and value.strip().upper() == "VEVENT":
            in_event, found, attendees = True, {}, []
        elif name == "END" and value.strip().upper() == "VEVENT" and in_event:
            in_event = False
            close()
        elif in_event and name == "ATTENDEE":
            partstat = re.search(r";PARTSTAT=([^;:]*)", params, re.IGNORECASE)
            note = re.search(r';X-RESPONSE-COMMENT=("[^"]*"|[^;:]*)', params, re.IGNORECASE)
            attendees.append((value, partstat.group(1) if partstat else "", note.group(1) if note else ""))
        elif in_event and name in ("UID", "COMMENT"):
            found[name] = clean_line(value) or None
        elif in_event and name == "RECURRENCE-ID":
            found[name] = _hand_time(value.strip(), params, zone)
    if in_event:  # a calendar cut short: its last event still says who answered what
        close()
    if not answers:
        return None
    return method, answers


def _hand_time(value: str, params: str, zone: str) -> str | None:
    match = re.match(r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?$", value)
    if not match:
        return None
    year, month, day, hour, minute, second, utc = match.groups()
    try:
        if hour is None:
            return date(int(year), int(month), int(day)).isoformat()
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError:
        return None
    if utc:
        return moment.replace(tzinfo=timezone.utc).isoformat()
    tzid = re.search(r";TZID=\"?([^;:\"]*)", params, re.IGNORECASE)
    return _utc(moment.replace(tzinfo=network_zone(tzid.group(1) if tzid else zone)), zone)
