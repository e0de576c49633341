"""Issue 6 end to end: an animator cancels a permanence by mail (Dovecot), the members who
asked for invitations receive a ``METHOD:CANCEL`` for that occurrence (aiosmtpd), the
feed changes, and answers from Outlook and Gmail are recorded as attendance.

Run in process (``Runner.cycle``) and through the real command (``rers poll --once``).
"""
from __future__ import annotations

import base64
import email
from datetime import date, datetime, timezone
from email import policy

import icalendar
import pytest
import recurring_ical_events

from store import Store
from support import ANIMATORS, NETWORK, member_mail
from workflows.shell.publish import publish_calendar, publish_if_changed
from workflows.shell.runner import Runner

pytestmark = pytest.mark.integration

UTC = timezone.utc
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PERMANENCE = "permanence-58a6ab90@example.org"
INVITED = {"marie.dupont@example.org", "paul.martin@example.net"}

COMMAND = member_mail(ANIMATORS[0], "PERMANENCE ANNULÉE 2026-12-07", "Formation de l'équipe ce jour-là.\n",
                      message_id="<cancel-1@client.example>")

# Outlook: method=REPLY, Windows zone name, MAILTO: in capitals, one occurrence.
OUTLOOK_REPLY = f"""From: Marie Dupont <marie.dupont@example.org>\r
To: {NETWORK}\r
Subject: =?UTF-8?Q?Accept=C3=A9_=3A_Permanence_du_RERS_de_Test?=\r
Date: Tue, 24 Nov 2026 11:00:00 +0100\r
Message-ID: <outlook-reply-1@example.org>\r
MIME-Version: 1.0\r
Content-Type: multipart/alternative; boundary="alt"\r
\r
--alt\r
Content-Type: text/plain; charset=utf-8\r
\r
Marie Dupont a accepté.\r
--alt\r
Content-Type: text/calendar; charset="utf-8"; method=REPLY\r
Content-Transfer-Encoding: 8bit\r
\r
BEGIN:VCALENDAR\r
METHOD:REPLY\r
PRODID:Microsoft Exchange Server 2010\r
VERSION:2.0\r
BEGIN:VTIMEZONE\r
TZID:Romance Standard Time\r
BEGIN:STANDARD\r
DTSTART:16010101T030000\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:16010101T020000\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\r
END:DAYLIGHT\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
ATTENDEE;PARTSTAT=ACCEPTED;CN=Marie Dupont:MAILTO:Marie.Dupont@Example.org\r
ORGANIZER:MAILTO:{NETWORK.upper()}\r
UID:{PERMANENCE}\r
RECURRENCE-ID;TZID=Romance Standard Time:20261214T090000\r
SEQUENCE:1\r
DTSTART;TZID=Romance Standard Time:20261214T090000\r
DTEND;TZID=Romance Standard Time:20261214T120000\r
END:VEVENT\r
END:VCALENDAR\r
\r
--alt--\r
""".encode("utf-8")


def gmail_reply() -> bytes:
    """Gmail: the calendar base64 inside multipart/alternative plus an invite.ics
    attachment, the whole series declined, no ORGANIZER."""
    calendar = (
        "BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nVERSION:2.0\r\n"
        "CALSCALE:GREGORIAN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nDTSTART:20261123T080000Z\r\n"
        f"DTEND:20261123T110000Z\r\nDTSTAMP:20261124T100000Z\r\nUID:{PERMANENCE}\r\n"
        "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=DECLINED;CN=Paul Mar\r\n"
        " tin;X-NUM-GUESTS=0:mailto:paul.martin@example.net\r\nSEQUENCE:0\r\n"
        "SUMMARY:Permanence du RERS de Test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode("utf-8")
    encoded = base64.encodebytes(calendar).decode("ascii").replace("\n", "\r\n")
    return (
        f"From: Paul Martin <paul.martin@example.net>\r\nTo: {NETWORK}\r\n"
        "Subject: =?UTF-8?Q?Refus=C3=A9_=3A_Permanence_du_RERS_de_Test?=\r\n"
        "Date: Tue, 24 Nov 2026 12:00:00 +0100\r\nMessage-ID: <gmail-reply-1@mail.gmail.com>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="mixed"\r\n\r\n'
        '--mixed\r\nContent-Type: multipart/alternative; boundary="alt"\r\n\r\n'
        "--alt\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\r\n"
        "Paul Martin a refusé cette invitation.\r\n"
        '--alt\r\nContent-Type: text/html; charset="UTF-8"\r\n\r\n'
        "<p>Paul Martin a refus&eacute; cette invitation.</p>\r\n"
        '--alt\r\nContent-Type: text/calendar; charset="UTF-8"; method=REPLY\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{encoded}\r\n--alt--\r\n"
        '--mixed\r\nContent-Type: application/ics; name="invite.ics"\r\n'
        'Content-Disposition: attachment; filename="invite.ics"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        f"{encoded}\r\n--mixed--\r\n"
    ).encode("utf-8")


def prepare(robot) -> Store:
    """Two members who asked for invitations, one who did not; the calendar published and
    its first invitations sent."""
    store = Store.open(robot.settings.store.path)
    with store.transaction():
        for n, (address, name, invitations) in enumerate((
            ("marie.dupont@example.org", "Marie Dupont", True),
            ("paul.martin@example.net", "Paul Martin", True),
            ("zoe.petit@example.com", "Zoé Petit", False),
        ), start=1):
            store.members.insert({
                "ref": f"M-{n}", "address": address, "name": name, "phone": None, "contact": "email",
                "invitations": invitations, "status": "confirmed", "language": "fr",
                "created": NOW.isoformat(), "confirmed": NOW.isoformat(), "undeliverable": False,
            })
    publish_calendar(robot.settings, store, NOW)
    report = Runner(robot.settings, store, clock=lambda: NOW).flush()
    assert len(report.sent) == 4  # a REQUEST of the permanence series to 2 members and 2 animators
    return store


def received_by(sink) -> dict[str, list[email.message.EmailMessage]]:
    out: dict[str, list] = {}
    for message in sink.received:
        parsed = email.message_from_bytes(message.data, policy=policy.default)
        for rcpt in message.rcpt_tos:
            out.setdefault(rcpt.lower(), []).append(parsed)
    return out


def calendar_of(msg) -> tuple[str, icalendar.Calendar]:
    part = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    return part.get_param("method"), icalendar.Calendar.from_ical(part.get_payload(decode=True))


def feed_days(robot) -> list[date]:
    cal = icalendar.Calendar.from_ical((robot.root / "calendar" / "calendrier.ics").read_bytes())
    found = recurring_ical_events.of(cal).between(date(2026, 11, 30), date(2026, 12, 22))
    return sorted(e["DTSTART"].dt.date() for e in found if str(e["UID"]) == PERMANENCE)


def check_cancellations(sink) -> None:
    mails = received_by(sink)
    assert "zoe.petit@example.com" not in mails
    for address in (*INVITED, *ANIMATORS):
        cancels = [m for m in mails[address] if m.get_content_type() == "multipart/mixed"]
        assert len(cancels) == 1, address
        method, cal = calendar_of(cancels[0])
        assert method == "CANCEL" and str(cal["METHOD"]) == "CANCEL"
        event = cal.walk("VEVENT")[0]
        assert str(event["UID"]) == PERMANENCE and int(event["SEQUENCE"]) == 1
        assert event["RECURRENCE-ID"].dt == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
        assert str(event["ORGANIZER"]) == f"mailto:{NETWORK}"
        assert str(event["ATTENDEE"]) == f"mailto:{address}"
        assert cancels[0]["Subject"] == "Annulé : Permanence du RERS de Test – lundi 7 décembre 2026 à 9 h"
        # Still a calendar every client library reads: the cancelled day is one instance.
        instances = recurring_ical_events.of(cal).between(date(2026, 12, 7), date(2026, 12, 8))
        assert len(instances) == 1
    answers = [m for m in mails[ANIMATORS[0]] if m.get_content_type() != "multipart/mixed"]
    assert [str(m["Subject"]) for m in answers] == ["Fait : permanence du lundi 7 décembre 2026 annulée"]
    assert answers[0]["In-Reply-To"] == "<cancel-1@client.example>"


def check_attendance(store: Store) -> None:
    store.refresh()
    found = sorted((d["member"], d["occurrence"], d["partstat"], d["address"]) for d in store.attendance.all())
    assert found == [
        ("M-1", "2026-12-14", "accepted", "marie.dupont@example.org"),
        ("M-2", None, "declined", "paul.martin@example.net"),
    ]


def test_cancel_by_mail_in_process(imap_robot, imap_account, sink):
    store = prepare(imap_robot)
    before = (imap_robot.root / "calendar" / "calendrier.ics").read_bytes()
    assert date(2026, 12, 7) in feed_days(imap_robot)
    sink.clear()
    dovecot = imap_account.dovecot
    dovecot.append(imap_account.user, "INBOX", COMMAND)

    report = Runner(imap_robot.settings, store, clock=lambda: NOW).cycle()
    assert [h.outcome for h in report.handled] == ["handled: event_command cancel_permanence: done"]
    sink.wait_for(5)
    check_cancellations(sink)

    # The cycle published the changed feed itself; nothing is left to publish.
    assert publish_if_changed(imap_robot.settings, store, NOW) == []
    assert (imap_robot.root / "calendar" / "calendrier.ics").read_bytes() != before
    assert feed_days(imap_robot) == [date(2026, 11, 30), date(2026, 12, 14), date(2026, 12, 21)]

    sink.clear()
    dovecot.append(imap_account.user, "INBOX", OUTLOOK_REPLY)
    dovecot.append(imap_account.user, "INBOX", gmail_reply())
    report = Runner(imap_robot.settings, store, clock=lambda: NOW).cycle()
    assert [h.intent for h in report.handled] == ["rsvp", "rsvp"]
    check_attendance(store)
    assert sink.received == []  # answers from calendars are never answered
    assert dovecot.uids(imap_account.user, "INBOX") == []


def test_cancel_by_mail_with_the_real_command(imap_robot, imap_account, sink):
    store = prepare(imap_robot)
    before = (imap_robot.root / "calendar" / "calendrier.ics").read_bytes()
    sink.clear()
    dovecot = imap_account.dovecot
    dovecot.append(imap_account.user, "INBOX", COMMAND)
    dovecot.append(imap_account.user, "INBOX", OUTLOOK_REPLY)
    dovecot.append(imap_account.user, "INBOX", gmail_reply())

    result = imap_robot.command("poll", "--once", now=NOW.isoformat())
    assert "3 message(s) lu(s) : 3 traité(s)" in result.stdout
    sink.wait_for(5)
    check_cancellations(sink)
    check_attendance(store)

    imap_robot.command("calendar", "publish", now=NOW.isoformat())
    assert (imap_robot.root / "calendar" / "calendrier.ics").read_bytes() != before
    assert date(2026, 12, 7) not in feed_days(imap_robot)
    assert len(sink.received) == 5
