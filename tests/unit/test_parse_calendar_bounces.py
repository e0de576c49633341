"""Calendar clients' answers and requests, and refusals reported as MDNs (issue 15)."""
from __future__ import annotations

import email

import pytest

from workflows.mail.bounces import failed_addresses, is_bounce
from workflows.mail.rsvp import read_calendar, read_rsvp, read_rsvps

SERIES = b"""BEGIN:VCALENDAR
METHOD:REPLY
BEGIN:VEVENT
UID:permanence@rers.example.org
DTSTART;TZID=Europe/Paris:20261214T090000
RRULE:FREQ=WEEKLY;BYDAY=MO
ATTENDEE;PARTSTAT=ACCEPTED:mailto:marc@example.net
END:VEVENT
BEGIN:VEVENT
UID:permanence@rers.example.org
RECURRENCE-ID;TZID=Europe/Paris:20261221T090000
ATTENDEE;PARTSTAT=DECLINED;X-RESPONSE-COMMENT="Chez le m\xc3\xa9decin":mailto:marc@example.net
END:VEVENT
END:VCALENDAR
"""


def test_every_vevent_of_a_reply_is_an_answer():
    answers = read_rsvps(SERIES)
    assert [(a["partstat"], a["recurrence_id"], a["comment"]) for a in answers] == [
        ("accepted", None, None), ("declined", "2026-12-21T08:00:00+00:00", "Chez le médecin")]
    assert read_rsvp(SERIES) == answers[0]


def test_the_hand_reader_also_reads_every_vevent():
    broken = SERIES.replace(b"BEGIN:VCALENDAR\n", b"BEGIN:VCALENDAR\nDTSTART:not-a-date\n")
    broken = broken.replace(b"RRULE:FREQ=WEEKLY;BYDAY=MO", b"RRULE:FREQ=NOPE;;;")
    method, answers = read_calendar(broken)
    assert method == "reply"
    assert [a["partstat"] for a in answers] == ["accepted", "declined"]
    assert answers[1]["comment"] == "Chez le médecin"


def test_a_comment_property_wins_over_googles_note():
    data = (b"BEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\nUID:u\nCOMMENT:Avec ma voisine\n"
            b"ATTENDEE;PARTSTAT=TENTATIVE;X-RESPONSE-COMMENT=\"autre\":mailto:a@example.net\nEND:VEVENT\nEND:VCALENDAR\n")
    assert read_rsvp(data)["comment"] == "Avec ma voisine"


@pytest.mark.parametrize("method", ["REFRESH", "ADD", "DECLINECOUNTER", "COUNTER", "REQUEST", "CANCEL"])
def test_other_methods_are_not_answers(method):
    data = (f"BEGIN:VCALENDAR\nMETHOD:{method}\nBEGIN:VEVENT\nUID:u\nATTENDEE;PARTSTAT=ACCEPTED:mailto:a@example.net\n"
            "END:VEVENT\nEND:VCALENDAR\n").encode()
    assert read_calendar(data)[0] == method.lower()
    assert read_rsvps(data) == [] and read_rsvp(data) is None


def test_the_content_type_method_counts_when_the_calendar_says_none():
    data = b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:u\nATTENDEE;PARTSTAT=DECLINED:mailto:a@example.net\nEND:VEVENT\nEND:VCALENDAR\n"
    assert read_calendar(data, "REFRESH")[0] == "refresh"
    assert read_calendar(data, "reply")[1][0]["partstat"] == "declined"


def mdn(disposition: str, sender: str = "postmaster@example.net") -> tuple[email.message.Message, str]:
    raw = (f"From: {sender}\nTo: rers@example.org\nSubject: x\nMIME-Version: 1.0\n"
           'Content-Type: multipart/report; report-type=disposition-notification; boundary="b"\n\n'
           "--b\nContent-Type: text/plain\n\nx\n--b\nContent-Type: message/disposition-notification\n\n"
           f"Final-Recipient: rfc822; marie@example.net\nDisposition: {disposition}\n--b--\n")
    return email.message_from_string(raw), sender


@pytest.mark.parametrize("disposition, sender, bounce", [
    ("automatic-action/MDN-sent-automatically; deleted", "marie@example.net", True),  # Sieve reject
    ("automatic-action/MDN-sent-automatically; failed", "postmaster@example.net", True),
    ("automatic-action/MDN-sent-automatically; denied", "marie@example.net", True),
    ("manual-action/MDN-sent-manually; displayed", "marie@example.net", False),  # a read receipt
    ("manual-action/MDN-sent-manually; deleted", "marie@example.net", False),  # deleted unread by a person
    ("automatic-action/MDN-sent-automatically; displayed", "postmaster@example.net", False),
    ("manual-action/MDN-sent-manually; processed", "postmaster@example.net", False),
    ("something odd", "mailer-daemon@example.net", True),  # a postmaster's report that is no receipt
])
def test_mdn_style_reports(disposition, sender, bounce):
    from workflows.mail.decode import collect_bodies

    message, _ = mdn(disposition, sender)
    bodies = collect_bodies(message)
    assert bodies.dispositions == [disposition.lower()]
    assert is_bounce(bodies.report_type, sender, "x", False, bodies.dispositions) is bounce


def test_a_refusal_names_its_final_recipient():
    message, _ = mdn("automatic-action/MDN-sent-automatically; deleted")
    assert failed_addresses(message)[0] == ["marie@example.net"]
