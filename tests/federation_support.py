"""Helpers for the linked networks' tests: several robots, each with its own folder,
configuration, store and key, and the mail between them carried by the test."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from store import Store
from support import config_text, member_mail
from workflows.shell.apply import run
from workflows.shell.federation import create_key, key_path, public_key
from workflows.shell.mailboxes.base import SourceMessage
from workflows.shell.outbox import raw_bytes
from workflows.steps.federated_introductions import linked_work
from workflows.steps.federation import share

UTC = timezone.utc
START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
HAVRE, ROUEN = "rers@havre.example", "rers@rouen.example"
A_H, A_R = "anim@havre.example", "anim@rouen.example"


def peers_toml(*peers: "Network") -> str:
    return "[federation]\n" + "".join(
        f'\n[[federation.peers]]\nname = "{p.name}"\naddress = "{p.address}"\nkey = "{p.key}"\n' for p in peers)


class Network:
    """One network's robot in ``root``: ``name``, ``address``, its own key; ``link(*peers)``
    writes its configuration listing them (call it once every network has its key)."""

    def __init__(self, root: Path, name: str, address: str, animator: str, *, now: datetime = START,
                 mailbox: str = "", transport: str = "", more_animators: tuple[str, ...] = ()):
        self.root, self.name, self.address, self.animator = root, name, address, animator
        self.animators = (animator, *more_animators)
        self.now = now
        self.mailbox, self.transport = mailbox, transport
        self.numbers = iter(range(1, 10_000))
        self.carried: dict[str, int] = {}
        self.link()
        create_key(key_path(self.settings))
        self.key = public_key(self.settings)

    def link(self, *peers: "Network", extra: str = "") -> None:
        from config.settings import loads
        from workflows.shell.runner import Runner

        self.root.mkdir(parents=True, exist_ok=True)
        text = config_text(self.root, name=self.name, address=self.address, mailbox=self.mailbox,
                           transport=self.transport, extra=(peers_toml(*peers) if peers else "") + extra)
        text = re.sub(r"animators = \[[^\]]*\]", "animators = [" + ", ".join(f'"{a}"' for a in self.animators) + "]", text)
        (self.root / "rers.toml").write_text(text, encoding="utf-8")
        self.settings = loads(text, base=self.root, source=self.root / "rers.toml")
        path = self.settings.store.path
        if not path.exists():
            Store.create(path)
        self.store = Store.open(path)
        self.runner = Runner(self.settings, self.store, clock=lambda: self.now)

    def later(self, **delta) -> None:
        self.now += timedelta(**delta)

    def restart(self, *peers: "Network", **delta) -> None:
        """This robot loses its store (the same key), ``delta`` later (a day by default),
        and starts again listing ``peers``."""
        for leftover in self.settings.store.path.parent.glob(self.settings.store.path.name + "*"):
            leftover.unlink()
        self.later(**(delta or {"days": 1}))
        self.link(*peers)
        self.carried.clear()
        if not key_path(self.settings).exists():
            create_key(key_path(self.settings))

    def member(self, address: str, name: str, phone: str | None = None) -> dict:
        with self.store.transaction():
            ref = f"M-{self.store.next_number('member')}"
            self.store.members.insert({
                "ref": ref, "address": address, "name": name, "first_name": name.split()[0], "phone": phone,
                "contact": "email", "invitations": False, "status": "confirmed", "language": "fr",
                "created": self.now.isoformat(), "confirmed": self.now.isoformat(), "undeliverable": False})
        return self.store.members.find_one("ref", ref)

    def deliver(self, raw: bytes) -> str:
        (handled,) = self.runner.handle_batch([SourceMessage(f"test:{self.name}:{next(self.numbers)}", raw)])
        return handled.outcome.removeprefix("handled: ")

    def share(self) -> list[str]:
        return run(self.settings, self.store, self.now, share)

    def pass_on(self, to: "Network") -> list[str]:
        """Deliver to ``to`` the robot messages queued for it not passed on yet."""
        done = self.carried.get(to.address, 0)
        outcomes = self.carry(to, already=done)
        self.carried[to.address] = done + len(outcomes)
        return outcomes

    def work(self) -> list[str]:
        """The hourly job of linked networks (catalogue, expiry, matching across)."""
        return run(self.settings, self.store, self.now, linked_work)

    def mail_to(self, address: str, purpose: str) -> bytes:
        """The last mail of ``purpose`` queued for ``address``."""
        return raw_bytes(self.outbox(to=address, purpose=purpose)[-1]["raw"])

    def answer(self, address: str, purpose: str, text: str) -> str:
        """``address`` answers ``text`` to the last question mail of ``purpose`` it got."""
        subject = str(parse(self.mail_to(address, purpose))["Subject"])
        return self.deliver(member_mail(address, f"Re: {subject}", text, to=self.address))

    def outbox(self, *, to: str | None = None, purpose: str | None = None) -> list[dict]:
        return [d for d in self.store.outbox.all()
                if (to is None or to in d["recipients"]) and (purpose is None or d["purpose"] == purpose)]

    def robot_mail(self, to: "Network") -> list[bytes]:
        """The robot-to-robot messages queued for ``to``, oldest first."""
        return [raw_bytes(d["raw"]) for d in self.outbox(to=to.address, purpose="federation")]

    def carry(self, to: "Network", *, already: int = 0) -> list[str]:
        """Deliver to ``to`` the robot messages queued for it past the first ``already``."""
        return [to.deliver(raw) for raw in self.robot_mail(to)[already:]]


def parse(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)


def json_part(raw: bytes) -> str:
    msg = parse(raw)
    (part,) = [p for p in msg.walk() if p.get_content_type() == "application/json"]
    return part.get_payload(decode=True).decode("utf-8")


def forged(raw: bytes, **changes) -> bytes:
    """``raw`` with its JSON part changed (``changes`` into the document) and its
    signature kept: what an attacker without the key can do."""
    msg = parse(raw)
    document = {**json.loads(json_part(raw)), **changes}
    for part in msg.walk():
        if part.get_content_type() == "application/json":
            part.set_content(json.dumps(document).encode("ascii"), maintype="application", subtype="json",
                             filename=part.get_filename())
    del msg["Message-ID"]
    msg["Message-ID"] = f"<forged.{document['seq']}@attacker.example>"
    return msg.as_bytes()


def replayed(raw: bytes) -> bytes:
    """``raw`` sent again under a new Message-ID: what a replaying attacker can do."""
    return re.sub(rb"Message-ID: <", b"Message-ID: <again.", raw, count=1, flags=re.IGNORECASE)


def exchange(havre: Network, rouen: Network) -> list[str]:
    """Carry the robot mail both ways until none is left."""
    outcomes: list[str] = []
    while True:
        step = havre.pass_on(rouen) + rouen.pass_on(havre)
        if not step:
            return outcomes
        outcomes += step


def proposed_pair(root: Path) -> tuple[Network, Network]:
    """Le Havre and Rouen linked under ``root``: Marie's shared demand in Le Havre proposed
    to Paco's shared offer in Rouen (MRV-1), both teams asked."""
    havre = Network(root / "havre", "RERS du Havre", HAVRE, A_H)
    rouen = Network(root / "rouen", "RERS de Rouen", ROUEN, A_R)
    havre.link(rouen)
    rouen.link(havre)
    havre.member("marie@example.com", "Marie Dupont")
    rouen.member("paco@example.net", "Paco Ruiz", phone="+33611223344")
    assert havre.deliver(member_mail("marie@example.com", "DEMANDE : cours d'espagnol", "Réseaux voisins : oui\n",
                                     to=HAVRE)) == "recorded D-1"
    assert rouen.deliver(member_mail("paco@example.net", "OFFRE : cours d'espagnol", "Réseaux voisins : oui\n",
                                     to=ROUEN)) == "recorded O-1"
    assert havre.work() == ["hello to RERS de Rouen"]
    assert exchange(havre, rouen)[-1].endswith("proposal MRV-1 of RERS du Havre: MRV-1, approval asked")
    return havre, rouen
