"""Calendar answers (RFC 5546 METHOD:REPLY) with the tolerances of protocol.md."""
from __future__ import annotations

from workflows.mail.rsvp import read_rsvp

EVENT = b"BEGIN:VCALENDAR\r\n%sBEGIN:VEVENT\r\nUID:u1\r\n%sEND:VEVENT\r\nEND:VCALENDAR\r\n"


def calendar(method: bytes, body: bytes) -> bytes:
    return EVENT % (method, body)


def test_method_in_content_type_only():
    answer = read_rsvp(calendar(b"", b"ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@example.org\r\n"), "REPLY")
    assert answer == {"uid": "u1", "attendee": "a@example.org", "partstat": "accepted",
                      "recurrence_id": None, "comment": None}


def test_not_a_reply():
    assert read_rsvp(calendar(b"METHOD:REQUEST\r\n", b"ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@b.c\r\n"), "") is None
    assert read_rsvp(b"", "REPLY") is None
    assert read_rsvp(b"not a calendar", "REPLY") is None


def test_lower_case_method_and_upper_case_mailto():
    answer = read_rsvp(calendar(b"method:reply\r\n", b"ATTENDEE;PARTSTAT=DECLINED:MAILTO:A@EXAMPLE.ORG\r\n"))
    assert (answer["attendee"], answer["partstat"]) == ("a@example.org", "declined")


def test_windows_zone_recurrence_id_in_utc():
    answer = read_rsvp(calendar(b"METHOD:REPLY\r\n",
                                b"ATTENDEE;PARTSTAT=TENTATIVE:mailto:a@b.c\r\n"
                                b"RECURRENCE-ID;TZID=Romance Standard Time:20260706T090000\r\n"))
    assert answer["recurrence_id"] == "2026-07-06T07:00:00+00:00"


def test_floating_recurrence_id_uses_the_network_zone():
    answer = read_rsvp(calendar(b"METHOD:REPLY\r\n", b"ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@b.c\r\n"
                                b"RECURRENCE-ID:20261214T090000\r\n"))
    assert answer["recurrence_id"] == "2026-12-14T08:00:00+00:00"


def test_fold_inside_a_utf8_character():
    comment = "COMMENT:D’accord, à lundi".encode()
    cut = comment.index("à".encode()) + 1
    answer = read_rsvp(calendar(b"METHOD:REPLY\r\n", b"ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@b.c\r\n"
                                + comment[:cut] + b"\r\n " + comment[cut:] + b"\r\n"))
    assert answer["comment"] == "D’accord, à lundi"


def test_broken_calendar_is_read_by_hand():
    data = (b"BEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\nUID:u2\nDTSTART:notadate\n"
            b"ATTENDEE;PARTSTAT=ACCEPTED:mailto:b@example.org\nRECURRENCE-ID:20261214T080000Z\nEND:VEVENT\n")
    answer = read_rsvp(data)
    assert answer == {"uid": "u2", "attendee": "b@example.org", "partstat": "accepted",
                      "recurrence_id": "2026-12-14T08:00:00+00:00", "comment": None}


def test_unknown_partstat_is_none():
    answer = read_rsvp(calendar(b"METHOD:REPLY\r\n", b"ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:a@b.c\r\n"))
    assert answer["partstat"] is None
