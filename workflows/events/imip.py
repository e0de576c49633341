"""Calendar invitations by mail: iTIP objects (RFC 5546) and their MIME parts (RFC 6047).

:func:`request` and :func:`cancel` return iCalendar text with ``METHOD`` set;
:func:`add_calendar_parts` puts that text into a mail the way Gmail, Outlook, Apple Mail
and Thunderbird all accept (the shape Google Calendar itself sends)::

    multipart/mixed
      multipart/alternative
        text/plain                      (the French text, already in the message)
        text/html                       (idem)
        text/calendar; method=REQUEST   (inline: the client's Accept/Decline buttons)
      application/ics; name=invitation.ics   (attachment, for clients that look only there)

Outlook only looks for iMIP data in the first child of a multipart/mixed (Microsoft's
notes on RFC 6047 2.4), which is why the inline part sits inside the alternative.
"""
from __future__ import annotations

from datetime import date
from email.message import EmailMessage
from typing import Iterable, Mapping

from icalendar import Calendar, Event, vCalAddress, vText

from workflows.events.ical import new_calendar, occurrence_event, series_event
from workflows.events.model import EventSeries

ATTACHMENT_FILENAME = "invitation.ics"


def _address(address: str, name: str | None, **params: str) -> vCalAddress:
    value = vCalAddress(f"mailto:{address.strip()}")
    if name:
        value.params["CN"] = vText(name)
    for key, param in params.items():
        value.params[key.replace("_", "-").upper()] = param
    return value


def _people(event: Event, organizer: str, organizer_name: str | None, attendees: Iterable[str],
            names: Mapping[str, str] | None, **attendee_params: str) -> None:
    event.add("organizer", _address(organizer, organizer_name))
    names = {k.lower(): v for k, v in (names or {}).items()}
    for address in sorted({a.strip().lower() for a in attendees if a.strip()}):
        event.add("attendee", _address(address, names.get(address), cutype="INDIVIDUAL",
                                       role="REQ-PARTICIPANT", **attendee_params))


def _text(series: EventSeries, event: Event, method: str) -> str:
    cal = new_calendar([series], method=method)
    cal.add_component(event)
    return cal.to_ical().decode("utf-8")


def request(series: EventSeries, organizer: str, attendees: Iterable[str], *,
            organizer_name: str | None = None, names: Mapping[str, str] | None = None) -> str:
    """``METHOD:REQUEST`` for a new or changed series (RFC 5546 3.2.2), as iCalendar text.

    The whole series is one ``VEVENT`` (RRULE and EXDATEs, as in the feed) with the
    series' UID, SEQUENCE and DTSTAMP, ``ORGANIZER:mailto:<organizer>`` (the functional
    address; ``organizer_name`` its CN) and one
    ``ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE``
    per address (lower-cased, sorted, no duplicates; ``names`` maps an address to its CN).
    Raises ``ValueError`` for a cancelled series, one with no occurrence, or no attendee.
    """
    if series.cancelled:
        raise ValueError(f"{series.uid} is cancelled: send a CANCEL, not a REQUEST")
    attendees = list(attendees)
    if not any(a.strip() for a in attendees):
        raise ValueError("a REQUEST needs at least one attendee")
    event = series_event(series)
    if event is None:
        raise ValueError(f"{series.uid} has no occurrence to invite to")
    _people(event, organizer, organizer_name, attendees, names, partstat="NEEDS-ACTION", rsvp="TRUE")
    return _text(series, event, "REQUEST")


def cancel(series: EventSeries, organizer: str, attendees: Iterable[str], occurrence: date | None = None, *,
           organizer_name: str | None = None, names: Mapping[str, str] | None = None) -> str:
    """``METHOD:CANCEL`` (RFC 5546 3.2.5), as iCalendar text, ``STATUS:CANCELLED``.

    Without ``occurrence``: the whole series (same UID, its VEVENT as in a REQUEST). With
    ``occurrence`` (a local ``date`` of the rule): that one occurrence, identified by
    ``RECURRENCE-ID;TZID=…`` at the series' start time. Pass the series as
    :func:`workflows.events.state.reconcile` returned it after the change, so that its
    SEQUENCE is higher than the one attendees hold. Raises ``ValueError`` when
    ``occurrence`` is not a day of the rule, or the series never occurs.
    """
    if occurrence is None:
        event = series_event(series)
        if event is None:
            raise ValueError(f"{series.uid} has no occurrence to cancel")
        event.pop("STATUS")
    else:
        event = occurrence_event(series, occurrence)
    event.add("status", "CANCELLED")
    _people(event, organizer, organizer_name, attendees, names)
    return _text(series, event, "CANCEL")


def calendar_method(calendar_text: str) -> str:
    """The upper-cased ``METHOD`` of an iCalendar text. Raises ``ValueError`` when the text
    does not parse or has no METHOD."""
    try:
        method = Calendar.from_ical(calendar_text).get("METHOD")
    except ValueError as error:
        raise ValueError(f"not iCalendar text: {error}") from None
    if not method:
        raise ValueError("the calendar has no METHOD (RFC 6047 needs one)")
    return str(method).upper()


def _alternative_of(message: EmailMessage) -> EmailMessage:
    """The part that holds (or will hold) the text alternatives."""
    kind = message.get_content_type()
    if kind in ("text/plain", "text/html", "multipart/alternative"):
        return message
    if kind == "multipart/mixed":
        parts = list(message.iter_parts())
        if parts and parts[0].get_content_type() in ("text/plain", "multipart/alternative"):
            return parts[0]
    raise ValueError(f"cannot add a calendar to a {kind} message (want text/plain, multipart/alternative "
                     "or multipart/mixed starting with one)")


def add_calendar_parts(message: EmailMessage, calendar_text: str, *,
                       filename: str = ATTACHMENT_FILENAME) -> EmailMessage:
    """Add an iMIP calendar to ``message`` (RFC 6047 2.4), in place, and return it.

    ``message`` holds the text (and HTML) alternative; ``calendar_text`` comes from
    :func:`request` or :func:`cancel`. Adds ``text/calendar; charset=utf-8;
    method=<METHOD>`` as the last alternative (7bit when ASCII, else base64: no line or
    8BITMIME trouble on the way) and the same bytes as an ``application/ics`` attachment
    named ``filename``, making the message multipart/mixed. Raises ``ValueError`` when the
    calendar has no METHOD or the message has another shape.
    """
    method = calendar_method(calendar_text)
    alternative = _alternative_of(message)
    if calendar_text.isascii():
        alternative.add_alternative(calendar_text, subtype="calendar", charset="utf-8", cte="7bit",
                                    params={"method": method})
    else:
        # As bytes, so that base64 carries iCalendar's own CRLFs (RFC 5545 3.1), not the
        # policy's line ends.
        alternative.add_alternative(calendar_text.encode("utf-8"), maintype="text", subtype="calendar",
                                    cte="base64", params={"charset": "utf-8", "method": method})
    message.add_attachment(calendar_text.encode("utf-8"), maintype="application", subtype="ics",
                           filename=filename, params={"name": filename})
    return message
