"""A small network for the introduction tests: a store, members and items put in directly,
replies run through the real parser and the replies dispatcher, the clock in hand."""
from __future__ import annotations

import email
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email import policy
from pathlib import Path

from store import Store
from support import ANIMATORS, make_settings, member_mail
from workflows.steps import followups, introductions
from workflows.decision import Incoming, Plan
from workflows.shell.apply import run, view
from workflows.shell.jobs import followups_job
from workflows.mail.parse import parse_message
from workflows.routes import route
from workflows.shell.runner import parse_options

START = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
_TOKEN_RE = re.compile(r"\[(RERS-[A-Z0-9]{8})\]")


@dataclass
class Sent:
    """One queued mail: envelope recipients, purpose, cause and the parsed message."""

    recipients: list[str]
    purpose: str
    cause: str
    message: email.message.EmailMessage

    @property
    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def token(self) -> str | None:
        found = _TOKEN_RE.search(self.subject)
        return found.group(1) if found else None

    def everything(self) -> str:
        """Headers and every text part, decoded: what a reader of the mail can see."""
        parts = [f"{k}: {v}" for k, v in self.message.items()]
        for part in self.message.walk():
            if part.get_content_maintype() == "text":
                parts.append(part.get_content())
        return "\n".join(parts)


@dataclass
class Net:
    root: Path
    network: str = ""
    extra: str = ""
    now: datetime = START
    settings: object = None
    store: Store = None
    _seen: int = field(default=0)

    def __post_init__(self):
        self.settings = make_settings(self.root, network=self.network, extra=self.extra)
        self.store = Store.open(self.settings.store.path)

    def ctx(self) -> Plan:
        """A read view now (nothing written through it is kept: see :meth:`step`)."""
        return view(self.settings, self.store, self.now)

    def step(self, step, *args, **kwargs):
        """``step(plan, *args, **kwargs)`` carried out now, as the shell does."""
        return run(self.settings, self.store, self.now, step, *args, **kwargs)

    def member(self, address: str | None, name: str | None, *, phone: str | None = None,
               contact: str = "email", first_name: str | None = "") -> dict:
        # ``first_name``: the first name the person gave as such (issue 14: the robot no
        # longer guesses one from "Paco Ruiz", where either word may be the surname). By
        # default the first word of ``name``, as if the person had told it; None: not told.
        if first_name == "":
            first_name = name.split()[0] if name and name.split() else None
        with self.store.transaction():
            ref = f"M-{self.store.next_number('member')}"
            self.store.members.insert({
                "ref": ref, "address": address, "name": name, "first_name": first_name, "phone": phone,
                "contact": contact,
                "invitations": False, "status": "confirmed", "language": "fr", "created": self.now.isoformat(),
                "confirmed": self.now.isoformat(), "undeliverable": False})
        return self.store.members.find_one("ref", ref)

    def item(self, member: dict, kind: str, title: str, *, description: str | None = None,
             availability: str | None = None, status: str = "open", opened: bool = True) -> dict:
        with self.store.transaction():
            ref = f"{'O' if kind == 'offer' else 'D'}-{self.store.next_number(kind)}"
            self.store.items.insert({
                "ref": ref, "kind": kind, "member": member["ref"], "title": title, "description": description,
                "modality": None, "availability": availability, "place": None, "status": status,
                "created": self.now.isoformat(), "closed": None, "source": "<test>"})
            item = self.store.items.find_one("ref", ref)
            if opened and status == "open":
                self.step(introductions.on_items_opened, [item])
        return item

    def intro(self, ref: str = "MR-1") -> dict:
        return self.store.introductions.find_one("ref", ref)

    def mails(self, purpose: str | None = None, to: str | None = None, new: bool = False) -> list[Sent]:
        """Queued mails, oldest first (``new``: only those since the last call with ``new``)."""
        out = []
        docs = self.store.outbox.all()
        start = self._seen if new else 0
        if new:
            self._seen = len(docs)
        for doc in docs[start:]:
            if purpose and not doc["purpose"].startswith(purpose):
                continue
            if to and to not in doc["recipients"]:
                continue
            msg = email.message_from_bytes(doc["raw"].encode("ascii", "surrogateescape"), policy=policy.default)
            out.append(Sent(doc["recipients"], doc["purpose"], doc["cause"], msg))
        return out

    def token(self, to: str, purpose: str) -> str:
        """The token of the latest question of ``purpose`` to ``to``."""
        return [m for m in self.mails(purpose, to) if m.token][-1].token

    def send(self, sender: str, subject: str, body: str, *, headers: dict | None = None, name: str = "") -> str:
        """A mail from ``sender`` through the real parser, routed as the runner would for a
        reply, an introduction command or anything else; returns the outcome."""
        raw = member_mail(sender, subject, body, name=name, headers=headers,
                          message_id=f"<{abs(hash((sender, subject, body, self.now)))}@client.example>")
        parsed = parse_message(raw, parse_options(self.settings), now=self.now)
        incoming = Incoming(parsed, raw, "test")
        return self.step(route(parsed.intent), incoming)

    def answer(self, sender: str, purpose: str, body: str, **kw) -> str:
        token = self.token(sender, purpose)
        return self.send(sender, f"RE: [{token}] la question", body, **kw)

    def later(self, days: float) -> followups.FollowupReport:
        self.now += timedelta(days=days)
        return followups_job(self.settings, self.store, self.now)


__all__ = ["ANIMATORS", "Net", "Sent", "START"]
