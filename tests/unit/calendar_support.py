"""Builders shared by the calendar shell's tests (``test_calendar_*.py``): a robot folder
in ``tmp_path`` with its store, a fixed clock, members, ``Parsed`` messages, and the
mails the outbox holds, read back as :class:`email.message.EmailMessage`."""
from __future__ import annotations

import email
from dataclasses import dataclass
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from pathlib import Path

import icalendar

from config.settings import Settings
from store import Store
from support import ANIMATORS, NETWORK, make_settings
from workflows.decision import Incoming, Plan
from workflows.shell.apply import run, view
from workflows.mail.model import Parsed
from workflows.events.state import network_tag

UTC = timezone.utc
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
"""Monday 23 November 2026, 10:00 in Paris: the permanence (Mondays 9-12) is on."""
PERMANENCE = f"permanence-{network_tag(NETWORK)}@{NETWORK.partition('@')[2]}"


@dataclass
class Robot:
    settings: Settings
    store: Store
    root: Path

    def ctx(self, now: datetime = NOW) -> Plan:
        """A read view at ``now``; :func:`in_transaction` carries a step out over it."""
        return view(self.settings, self.store, now)

    def add_member(self, ref: str, address: str | None, *, name: str | None = None, invitations: bool = True,
                   status: str = "confirmed", undeliverable: bool = False) -> dict:
        with self.store.transaction():
            doc_id = self.store.members.insert({
                "ref": ref, "address": address, "name": name, "phone": "+33612345678", "contact": "email",
                "invitations": invitations, "status": status, "language": "fr", "created": NOW.isoformat(),
                "confirmed": NOW.isoformat(), "undeliverable": undeliverable,
            })
        return self.store.members.get(doc_id)

    def mails(self, purpose: str | None = None) -> list[tuple[dict, EmailMessage]]:
        """``(outbox document, parsed message)`` of every queued mail (of ``purpose``)."""
        return [(doc, read_mail(doc["raw"])) for doc in self.store.outbox.all()
                if purpose is None or doc["purpose"] == purpose]


def robot(tmp_path: Path, extra: str = "", network: str = "") -> Robot:
    settings = make_settings(tmp_path / "robot", extra=extra, network=network)
    return Robot(settings=settings, store=Store.open(settings.store.path), root=tmp_path / "robot")


def read_mail(raw: str | bytes) -> EmailMessage:
    data = raw.encode("ascii", "surrogateescape") if isinstance(raw, str) else raw
    return email.message_from_bytes(data, policy=policy.default)


def calendar_part(msg: EmailMessage) -> tuple[EmailMessage, icalendar.Calendar]:
    """The inline ``text/calendar`` part and its parsed calendar."""
    part = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    return part, icalendar.Calendar.from_ical(part.get_payload(decode=True))


def last_answer(bot: Robot) -> tuple[str, str]:
    """The latest answer to an animator's calendar command (``event_command_done``):
    ``(subject, text on one line)``."""
    _, msg = bot.mails("event_command_done")[-1]
    return str(msg["Subject"]), " ".join(text_of(msg).split())


def text_of(msg: EmailMessage) -> str:
    return msg.get_body(("plain",)).get_content().replace("\r\n", "\n")


def incoming(parsed: Parsed, raw: bytes = b"From: x\r\n\r\nbody\r\n") -> Incoming:
    return Incoming(parsed=parsed, raw=raw, source_key="test")


def command(name: str, sender: str = ANIMATORS[0], message_id: str = "<cmd-1@client.example>", **fields) -> Incoming:
    return incoming(Parsed(intent="event_command", sender=sender, message_id=message_id,
                           subject="commande", command={"name": name, **fields}, text=""))


def rsvp(uid: str, attendee: str, partstat: str, recurrence_id: str | None = None, *,
         sender: str | None = None, message_id: str = "<rsvp-1@client.example>", comment: str | None = None) -> Incoming:
    return incoming(Parsed(intent="rsvp", sender=sender or attendee, message_id=message_id, subject="Accepté",
                           rsvp={"uid": uid, "attendee": attendee, "partstat": partstat,
                                 "recurrence_id": recurrence_id, "comment": comment}, text=""))


def in_transaction(store: Store, step, at: Plan, *args, **kwargs):
    """``step(plan, *args, **kwargs)`` carried out as the shell does, at the settings and
    time of the view ``at`` (:func:`workflows.shell.apply.run`)."""
    return run(at.settings, store, at.now, step, *args, **kwargs)
