"""iMIP invitations: REQUEST and CANCEL (RFC 5546) and their MIME shape (RFC 6047)."""
from __future__ import annotations

import email
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from email import policy
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import icalendar
import pytest
from events_support import NOW, ORGANIZER, expand, network, state

from workflows.events import imip
from workflows.events.model import with_cancelled_dates
from workflows.events.state import Change, one_off, reconcile

PERMANENCE = "permanence-9f14ef59@example.org"
ATTENDEES = ["Alice.Martin@example.net", "bob@example.com", "alice.martin@example.net"]


def vevent(text: str) -> icalendar.Event:
    events = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert len(events) == 1
    return events[0]


def test_request_is_the_whole_series_with_organizer_and_attendees():
    series = state()[PERMANENCE]
    text = imip.request(series, ORGANIZER, ATTENDEES, organizer_name="RERS de Souday",
                        names={"alice.martin@example.net": "Alice Martin"})
    cal = icalendar.Calendar.from_ical(text)
    assert cal["METHOD"] == "REQUEST"
    assert cal.walk("VTIMEZONE") and "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in text
    event = vevent(text)
    assert event["UID"] == PERMANENCE and event["SEQUENCE"] == 0 and "RRULE" in event
    assert event["ORGANIZER"] == f"mailto:{ORGANIZER}" and event["ORGANIZER"].params["CN"] == "RERS de Souday"
    attendees = event["ATTENDEE"]
    assert [str(a) for a in attendees] == ["mailto:alice.martin@example.net", "mailto:bob@example.com"]
    for attendee in attendees:
        assert attendee.params["RSVP"] == "TRUE" and attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert attendees[0].params["CN"] == "Alice Martin"
    assert "ATTENDEE;" in text and "RSVP=TRUE" in text.replace("\r\n ", "")
    # One series, not a mail per week: a year of permanences from one VEVENT.
    assert len(expand(text, date(2027, 1, 1), date(2027, 12, 31))) == 47


def test_request_refuses_what_cannot_be_accepted():
    series = state()[PERMANENCE]
    with pytest.raises(ValueError, match="CANCEL"):
        imip.request(replace(series, cancelled=True), ORGANIZER, ATTENDEES)
    with pytest.raises(ValueError, match="attendee"):
        imip.request(series, ORGANIZER, [" "])


def test_cancel_one_occurrence_after_reconcile():
    before = state()
    wanted = {**before, PERMANENCE: with_cancelled_dates(before[PERMANENCE], [date(2027, 6, 7)])}
    after, changes = reconcile(before, wanted, NOW + timedelta(days=1))
    (change,) = changes
    assert change == Change(PERMANENCE, "occurrence_cancelled", date(2027, 6, 7))
    text = imip.cancel(after[PERMANENCE], ORGANIZER, ["bob@example.com"], change.occurrence)
    assert icalendar.Calendar.from_ical(text)["METHOD"] == "CANCEL"
    event = vevent(text)
    assert event["UID"] == PERMANENCE
    assert event["SEQUENCE"] == before[PERMANENCE].sequence + 1
    assert event["STATUS"] == "CANCELLED"
    assert event["RECURRENCE-ID"].dt == datetime(2027, 6, 7, 9, tzinfo=ZoneInfo("Europe/Paris"))
    assert event["RECURRENCE-ID"].params["TZID"] == "Europe/Paris"
    assert "RRULE" not in event
    assert str(event["ATTENDEE"]) == "mailto:bob@example.com"


def test_cancel_the_whole_event():
    net = network()
    meeting = one_off("meeting", "Rencontre de janvier", date(2027, 1, 14), time(14), time(16), network=net)
    stored, _ = reconcile({}, {meeting.uid: meeting}, NOW)
    off, changes = reconcile(stored, {meeting.uid: replace(meeting, cancelled=True)}, NOW + timedelta(hours=2))
    assert changes == [Change(meeting.uid, "cancelled")]
    text = imip.cancel(off[meeting.uid], ORGANIZER, ["bob@example.com"])
    event = vevent(text)
    assert icalendar.Calendar.from_ical(text)["METHOD"] == "CANCEL"
    assert (event["UID"], event["SEQUENCE"], event["STATUS"]) == (meeting.uid, 1, "CANCELLED")
    assert "RECURRENCE-ID" not in event
    assert text.count("STATUS:") == 1


def test_cancel_refuses_a_day_outside_the_rule():
    with pytest.raises(ValueError, match="not a day"):
        imip.cancel(state()[PERMANENCE], ORGANIZER, ["bob@example.com"], date(2027, 6, 8))


def test_texts_parse_with_both_libraries():
    series = state()[PERMANENCE]
    for text in (imip.request(series, ORGANIZER, ATTENDEES),
                 imip.cancel(series, ORGANIZER, ATTENDEES),
                 imip.cancel(series, ORGANIZER, ATTENDEES, date(2027, 6, 7))):
        icalendar.Calendar.from_ical(text)
        expand(text, date(2027, 1, 1), date(2027, 12, 31))


def alternative_mail(html: bool = True) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"RERS de Souday <{ORGANIZER}>"
    message["To"] = "bob@example.com"
    message["Subject"] = "Invitation : permanence du lundi"
    message.set_content("Bonjour,\nvous êtes invité à la permanence du lundi.\n")
    if html:
        message.add_alternative("<p>Bonjour, vous êtes invité.</p>", subtype="html")
    return message


def parts_of(message: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


@pytest.mark.parametrize("title", ["Permanence", "Permanence du RERS à Souday"])  # ASCII: 7bit, else base64
def test_mime_shape_accepted_by_gmail_outlook_and_apple(title):
    series = replace(state()[PERMANENCE], title=title)
    text = imip.request(series, ORGANIZER, ["bob@example.com"])
    message = imip.add_calendar_parts(alternative_mail(), text)
    wire = message.as_bytes(policy=policy.SMTP)
    back = email.message_from_bytes(wire, policy=policy.default)
    assert parts_of(back) == ["multipart/mixed", "multipart/alternative", "text/plain", "text/html",
                              "text/calendar", "application/ics"]
    inline = [p for p in back.walk() if p.get_content_type() == "text/calendar"][0]
    assert inline.get_param("method") == "REQUEST" and inline.get_content_charset() == "utf-8"
    assert inline.get_content_disposition() is None
    assert vevent(inline.get_content())["SUMMARY"] == title
    attachment = [p for p in back.walk() if p.get_content_type() == "application/ics"][0]
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invitation.ics"
    assert attachment.get_content() == text.encode("utf-8")  # byte for byte, CRLFs included
    if not title.isascii():
        assert inline["Content-Transfer-Encoding"] == "base64"
        assert inline.get_payload(decode=True) == text.encode("utf-8")


def test_mime_method_follows_the_calendar():
    text = imip.cancel(state()[PERMANENCE], ORGANIZER, ["bob@example.com"], date(2027, 6, 7))
    message = imip.add_calendar_parts(alternative_mail(html=False), text, filename="annulation.ics")
    inline = [p for p in message.walk() if p.get_content_type() == "text/calendar"][0]
    assert inline.get_param("method") == "CANCEL"
    assert parts_of(message) == ["multipart/mixed", "multipart/alternative", "text/plain", "text/calendar",
                                 "application/ics"]
    assert [p.get_filename() for p in message.iter_attachments()] == ["annulation.ics"]


def test_mime_refuses_a_calendar_without_method_or_an_odd_message():
    with pytest.raises(ValueError, match="METHOD"):
        imip.add_calendar_parts(alternative_mail(), "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")
    odd = EmailMessage()
    odd.set_content(b"\x00", maintype="application", subtype="octet-stream")
    text = imip.request(state()[PERMANENCE], ORGANIZER, ["bob@example.com"])
    with pytest.raises(ValueError, match="cannot add"):
        imip.add_calendar_parts(odd, text)


def test_request_is_deterministic():
    series = state()[PERMANENCE]
    assert imip.request(series, ORGANIZER, ATTENDEES) == imip.request(series, ORGANIZER, reversed(ATTENDEES))
    assert "DTSTAMP:20270115T073000Z" in imip.request(series, ORGANIZER, ATTENDEES)
