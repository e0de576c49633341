"""Helpers for the pooled events' tests (issue 19): a linked network's calendar with a
workshop, the feed it publishes, members who chose their kinds of invitations, and a
calendar client's REPLY to an invitation, written the way clients write it: to the
invitation's ORGANIZER."""
from __future__ import annotations

from datetime import date, datetime, time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from icalendar import Calendar, Event, vCalAddress

from federation_support import Network, parse
from workflows.shell.apply import run
from workflows.shell.publish import publish_calendar
from workflows.steps.event_commands import add_one_off

WORKSHOP_DAY = date(2027, 1, 14)


def feed_toml(peer: Network) -> str:
    """The ``[[federation.feeds]]`` table reading ``peer``'s published feed from its folder."""
    return f'\n[[federation.feeds]]\npeer = "{peer.name}"\npath = "{peer.root / "calendar" / "calendrier.ics"}"\n'


def publish_workshop(net: Network, title: str = "Cuisine du monde", start: time = time(14, 0)) -> None:
    """A workshop on :data:`WORKSHOP_DAY` in ``net``'s calendar, and its feed published."""
    outcome = run(net.settings, net.store, net.now, add_one_off, "workshop", WORKSHOP_DAY, start,
                  time(start.hour + 2, 0), title=title, place="Maison des associations")
    assert outcome.status != "refused", outcome
    publish_calendar(net.settings, net.store, net.now)


def choose_invitations(net: Network, member: dict, kinds: list[str] | None) -> None:
    """``member`` asked for the calendar's invitations (``kinds``: the kinds named, None
    for a plain « Invitations : oui »)."""
    with net.store.transaction():
        net.store.members.update(member["id"], invitations=True, invitation_kinds=kinds)


def calendar_of(raw: bytes) -> Calendar:
    """The ``text/calendar`` part of a mail, parsed."""
    (part,) = [p for p in parse(raw).walk() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_content())


def client_reply(invitation: bytes, attendee: str, partstat: str = "ACCEPTED", *, when: datetime) -> tuple[str, bytes]:
    """What a calendar client sends when ``attendee`` answers ``invitation``: ``(to, raw)``,
    ``to`` the ORGANIZER's calendar address (RFC 5546 §3.2.3), never a SENT-BY."""
    (event,) = calendar_of(invitation).walk("VEVENT")
    organizer = str(event["ORGANIZER"]).removeprefix("mailto:").removeprefix("MAILTO:")
    reply = Calendar()
    reply.add("prodid", "-//Test client//EN")
    reply.add("version", "2.0")
    reply.add("method", "REPLY")
    answer = Event()
    for name in ("UID", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY", "ORGANIZER"):
        if name in event:
            answer.add(name, event[name])
    answer.add("dtstamp", when)
    who = vCalAddress(f"mailto:{attendee}")
    who.params["PARTSTAT"] = partstat
    answer.add("attendee", who)
    reply.add_component(answer)
    msg = EmailMessage()
    msg["From"], msg["To"] = attendee, organizer
    msg["Subject"] = f"Accepté : {event['SUMMARY']}"
    msg["Date"], msg["Message-ID"] = format_datetime(when), make_msgid(domain="client.example")
    msg.set_content("Marie a accepté.")
    msg.add_alternative(reply.to_ical().decode("utf-8"), subtype="calendar", params={"method": "REPLY"})
    return organizer, msg.as_bytes()
