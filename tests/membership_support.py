"""Helpers for the membership tests: a robot with a movable clock, and replies as real
mail clients write them (Gmail: answer above a ``>`` quote under a French attribution
line; Outlook: answer above an unquoted ``De : / Envoyé : / À : / Objet :`` block).
"""
from __future__ import annotations

import itertools
import json
import re
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from store import Store
from support import ANIMATORS, NETWORK, make_settings
from workflows.shell.mailboxes.base import SourceMessage
from workflows.shell.runner import Runner

UTC = timezone.utc
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TOKEN_RE = re.compile(r"\[(RERS-[A-Z2-9]{8})\]")
_numbers = itertools.count(1)


def parse(raw: bytes | str) -> EmailMessage:
    data = raw.encode("ascii", "surrogateescape") if isinstance(raw, str) else raw
    return message_from_bytes(data, policy=policy.default)


def text_of(msg: EmailMessage) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


def token_of(msg: EmailMessage) -> str:
    found = TOKEN_RE.search(str(msg["Subject"]))
    assert found, f"no token in {msg['Subject']!r}"
    return found.group(1)


def recipients(msg: EmailMessage) -> set[str]:
    return {a.addr_spec.lower() for h in ("To", "Cc") for a in (msg[h].addresses if msg[h] else ())}


class World:
    """A configured robot on a store in ``root``; ``now`` moves the clock; ``deliver``
    runs one message through the real runner (parse, route, savepoint, ledger).
    ``extra``: more sections of the configuration (``[limits]``…)."""

    def __init__(self, root: Path, *, network: str = "", now: datetime = START, extra: str = ""):
        self.settings = make_settings(root, network=network, extra=extra)
        self.store = Store.open(self.settings.store.path)
        self.now = now
        self.runner = Runner(self.settings, self.store, clock=lambda: self.now)

    def later(self, **delta) -> None:
        self.now += timedelta(**delta)

    def deliver(self, raw: bytes) -> str:
        (handled,) = self.runner.handle_batch([SourceMessage(f"test:{next(_numbers)}", raw)])
        return handled.outcome

    def mails(self, to: str | None = None, purpose: str | None = None) -> list[EmailMessage]:
        """Queued (not yet sent) mails, oldest first, to ``to`` and of ``purpose``."""
        found = []
        for doc in self.store.outbox.all():
            if to is not None and to.lower() not in doc["recipients"]:
                continue
            if purpose is not None and doc["purpose"] != purpose:
                continue
            msg = parse(doc["raw"])
            msg.purpose = doc["purpose"]
            msg.forget = doc.get("forget")
            found.append(msg)
        return found

    def last(self, to: str, purpose: str | None = None) -> EmailMessage:
        mails = self.mails(to, purpose)
        assert mails, f"no mail to {to} ({purpose})"
        return mails[-1]

    def snapshot(self) -> dict:
        """What a forgery must not change: members, items, consents, tombstones."""
        return {name: self.store.collections[name].all() for name in ("members", "items", "consents", "tombstones")}

    def member(self, address: str) -> dict | None:
        return self.store.members.find_one("address", address)

    def raw_files(self) -> bytes:
        """The bytes of every file of the store (the file, its backup, its journal)."""
        path = self.settings.store.path
        return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")) if p.is_file())


def mail(sender: str, subject: str, body: str, *, name: str = "", date: datetime = START,
         headers: dict[str, str] | None = None, cte: str = "quoted-printable") -> bytes:
    """A plain mail with a fresh Message-ID (unlike support.member_mail, the same text
    twice is two messages); ``cte="8bit"`` for raw UTF-8 bytes."""
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>" if name else sender
    msg["To"] = NETWORK
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = f"<m{next(_numbers)}@client.example>"
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body, cte=cte)
    return msg.as_bytes(policy=policy.SMTP)


def reply(question: EmailMessage, sender: str, answer: str, *, name: str = "", style: str = "gmail",
          date: datetime = START, subject: str | None = None, headers: dict[str, str] | None = None) -> bytes:
    """A reply to ``question`` as a mail client writes it. ``style``: ``gmail`` (``Re:``,
    In-Reply-To/References, ``>`` quote under ``Le … a écrit :``, an HTML part),
    ``outlook`` (``RE :``, no In-Reply-To, the question unquoted under a ``De :`` block)
    or ``bare`` (just the answer, subject kept, no threading headers)."""
    original = text_of(question)
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>" if name else sender
    msg["To"] = f"RERS de Test <{NETWORK}>"
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = f"<r{next(_numbers)}@{'mail.gmail.com' if style == 'gmail' else 'outlook.example'}>"
    for key, value in (headers or {}).items():
        msg[key] = value
    when = "lun. 23 nov. 2026 à 10:00"
    if style == "gmail":
        msg["Subject"] = subject or f"Re: {question['Subject']}"
        msg["In-Reply-To"] = question["Message-ID"]
        msg["References"] = question["Message-ID"]
        quoted = "\n".join("> " + line if line else ">" for line in original.splitlines())
        msg.set_content(f"{answer}\n\nLe {when}, RERS de Test <{NETWORK}> a écrit :\n\n{quoted}\n",
                        cte="quoted-printable")
        msg.add_alternative(
            f'<div dir="ltr">{answer}</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
            f"Le {when}, RERS de Test &lt;{NETWORK}&gt; a écrit&nbsp;:<br></div>"
            f'<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">'
            f"{original.replace(chr(10), '<br>')}</blockquote></div>", subtype="html", cte="quoted-printable")
    elif style == "outlook":
        msg["Subject"] = subject or f"RE : {question['Subject']}"
        msg["Thread-Index"] = "AdnQ4Z0s0Xk2b3mXTk2Xf3Zk3ZkYtA=="
        block = (f"________________________________\nDe : RERS de Test <{NETWORK}>\n"
                 f"Envoyé : lundi 23 novembre 2026 10:00\nÀ : {name or sender} <{sender}>\n"
                 f"Objet : {question['Subject']}\n\n")
        msg.set_content(f"{answer}\n\n{block}{original}\n", cte="quoted-printable")
    else:
        msg["Subject"] = subject or f"Re: {question['Subject']}"
        msg.set_content(f"{answer}\n", cte="quoted-printable")
    return msg.as_bytes(policy=policy.SMTP)


def traces_in(data: bytes, *needles: str) -> list[str]:
    """The needles found in ``data``, as UTF-8 and as JSON-escaped text."""
    found = []
    for needle in needles:
        forms = {needle.encode("utf-8"), json.dumps(needle)[1:-1].encode("ascii")}
        if any(form.lower() in data.lower() for form in forms):
            found.append(needle)
    return found


class Network:
    """For the integration tests: the robot of ``imap_robot`` and its people: ``send`` puts mail in the INBOX,
    ``cycle`` runs the robot at ``now``, ``to`` reads what the sink received."""

    def __init__(self, robot, account, sink):
        self.robot, self.account, self.sink = robot, account, sink
        self.now = START

    def store(self) -> Store:
        return Store.open(self.robot.settings.store.path)

    def cycle(self, *raws: bytes) -> list[str]:
        for raw in raws:
            self.account.dovecot.append(self.account.user, "INBOX", raw)
        report = Runner(self.robot.settings, self.store(), clock=lambda: self.now).cycle()
        assert not report.flush.error and not report.flush.failed
        return [h.outcome for h in report.handled]

    def to(self, address: str):
        return [parse(m.data) for m in self.sink.received if address in m.rcpt_tos]

    def forwarded(self, animator: str = ANIMATORS[0]):
        """What the animators got to handle (``[À traiter] …``), not the calendar's mail."""
        return [m for m in self.to(animator) if str(m["Subject"]).startswith("[À traiter]")]

    def snapshot(self) -> dict:
        store = self.store()
        return {name: store.collections[name].all() for name in ("members", "items", "consents", "tombstones")}

    def store_bytes(self) -> bytes:
        path = self.robot.settings.store.path
        return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")) if p.is_file())
