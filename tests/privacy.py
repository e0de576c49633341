"""The privacy invariant, checked over every mail the SMTP sink received in a test session.

protocol.md: "No member's address or phone number is ever sent to another member before
both consented to that introduction." Issue 17 widens it: no member's address, phone or
surname in any mail to another member, ever — in a group too (a group's members learn
first names at most). At the end of the session, ``tests/conftest.py``
hands :func:`violations` every message aiosmtpd accepted (:attr:`SmtpSink.archive`) and
the folder under which every test's robot kept its store. The facts come from the stores
that sent the mails (found by Message-ID in their outbox): who is a member (address,
phone), who is an animator (the ``rers.toml`` beside the store), and which introductions
both members consented to.

A mail breaks the invariant when one of its envelope recipients who is not an animator
can read, anywhere in it (headers, every text part, calendar parts), the address, the
phone number or the surname of another person of that store — unless the mail is the
``introduction`` of an introduction both members consented to, sent to one of its two
members, and the detail is the other's. A surname is each word of three letters or more
of a member's recorded name that is not the first name the robot shows of them
(:func:`workflows.model.privacy.public_member`), found as a whole word, as written or in
capitals. And within a group (``G-<n>``): a mail about a group (purpose ``group_…`` or a
calendar mail) to one of its askers never names another of its askers by their first
name either — the askers never learn who else asked; only the offerer learns the first
names of those who hold a place.

Known limit: a member erased before the end of the session has left no phone number to
look for (their address is still known from the mails sent to them).
"""
from __future__ import annotations

import email
import json
import re
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Iterable

from workflows.model.privacy import public_member

_EMAIL_RE = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_DIGITS_RE = re.compile(r"\+?\d(?:[\s.\-/()]{0,3}\d){8,}")


def _phone_key(text: str) -> str:
    """The last nine digits: ``+33 6 12 34 56 78``, ``06.12.34.56.78`` and ``0033612345678``
    are one number."""
    digits = re.sub(r"\D", "", text)
    return digits[-9:]


@dataclass
class StoreFacts:
    path: Path
    network: str
    animators: frozenset[str]
    outbox: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Message-ID → (purpose, cause)."""
    member_by_address: dict[str, dict] = field(default_factory=dict)
    phone_owner: dict[str, str] = field(default_factory=dict)
    """Last nine digits → member ref."""
    persons: set[str] = field(default_factory=set)
    """Every address of a person the robot wrote to or recorded (not animators)."""
    introductions: dict[str, dict] = field(default_factory=dict)
    surnames: dict[str, re.Pattern] = field(default_factory=dict)
    """Member ref → a pattern finding their surname's words."""
    surname_owners: dict[str, set[str]] = field(default_factory=dict)
    """A surname's word (as matched: as written or in capitals) → the refs it belongs to."""
    any_surname: re.Pattern | None = None
    """One pattern for every word of :attr:`surname_owners`: a mail is searched once, not
    once per member (a store of the crash test holds hundreds)."""
    first_names: dict[str, str] = field(default_factory=dict)
    """Member ref → the first name the robot shows of them."""
    fellow_askers: dict[str, set[str]] = field(default_factory=dict)
    """Member ref → the other askers of the groups they were asked to join."""
    linked: bool = False
    """The configuration lists linked networks ([[federation.peers]])."""
    peers: frozenset[str] = frozenset()
    """The linked networks' robot addresses."""
    crossings: dict[str, dict] = field(default_factory=dict)
    """Cross-network introductions (collection ``crossings``) by ref."""


_PARTICLES = {"de", "du", "des", "la", "le", "les", "van", "von", "der", "den", "da", "di", "dos", "del", "ben", "bin"}


def _surname_words(member: dict) -> set[str]:
    """The words of ``member``'s name other members must never read (see the module
    docstring), as written and in capitals."""
    name = member.get("name")
    if not isinstance(name, str) or not name.strip():
        return set()
    shown = (public_member(member).first_name or "").lower()
    words = set()
    for word in re.split(r"[\s,;]+", name):
        word = word.strip("()[]\"'.")
        letters = sum(ch.isalpha() for ch in word)
        if letters < 3 or word.lower() == shown or word.lower() in _PARTICLES or "@" in word:
            continue
        words.update({word, word.upper()})
    return words


def _words_pattern(words: Iterable[str]) -> re.Pattern:
    return re.compile(r"(?<![\w])(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
                      + r")(?![\w])")



def _facts(path: Path) -> StoreFacts | None:
    from config.settings import load
    from store import Store, StoreError
    from support import ANIMATORS, NETWORK

    network, animators, linked, peers = NETWORK, frozenset(ANIMATORS), False, frozenset()
    config = path.parent.parent / "rers.toml"
    if config.exists():
        try:
            settings = load(config)
            network, animators = settings.network.address, frozenset(settings.network.animators)
            linked = bool(settings.federation.peers)
            peers = frozenset(p.address for p in settings.federation.peers)
        except Exception:  # a test's deliberately broken configuration: keep the defaults
            pass
    try:
        store = Store.open(path, lock_timeout=1)
    except (StoreError, OSError, ValueError):
        return None
    facts = StoreFacts(path, network, animators, linked=linked, peers=peers)
    # Stores of other tests may hold hand-made documents: read every field with care.
    for mail in store.outbox.all():
        if mail.get("message_id"):
            facts.outbox[mail["message_id"]] = (mail.get("purpose", ""), mail.get("cause", ""))
        facts.persons.update(r for r in mail.get("recipients") or () if r not in animators and r != network)
    for member in store.members.all():
        if member.get("address"):
            facts.member_by_address[member["address"]] = member
            facts.persons.add(member["address"])
        if member.get("phone") and member.get("ref"):
            facts.phone_owner[_phone_key(member["phone"])] = member["ref"]
        words = _surname_words(member) if member.get("ref") else set()
        if words:
            facts.surnames[member["ref"]] = _words_pattern(words)
            for word in words:
                facts.surname_owners.setdefault(word, set()).add(member["ref"])
        shown = public_member(member).first_name if member.get("ref") and member.get("name") else None
        if isinstance(shown, str) and len(shown) >= 3:
            facts.first_names[member["ref"]] = shown
    if facts.surname_owners:
        facts.any_surname = _words_pattern(facts.surname_owners)
    facts.introductions = {i["ref"]: i for i in store.introductions.all() if i.get("ref")}
    facts.crossings = {c["ref"]: c for c in (store.crossings.all() if hasattr(store, "crossings") else ()) if c.get("ref")}
    for group in (store.groups.all() if hasattr(store, "groups") else ()):
        askers = {a.get("member") for a in group.get("askers") or () if a.get("member")}
        for ref in askers:
            facts.fellow_askers.setdefault(ref, set()).update(askers - {ref, group.get("offer_member")})
    return facts


def _group_mail(purpose: str) -> bool:
    """A mail about a group: its questions, notices and sessions (a group session's
    invitation is ``group_invitation``; reminders and cancellations may be too)."""
    purpose = purpose.removeprefix("question:")
    return purpose.startswith("group_") or purpose in ("invitation", "cancellation", "event_reminder")


def all_facts(base: Path) -> list[StoreFacts]:
    """The facts of every store under ``base``."""
    return [facts for facts in (_facts(path) for path in sorted(base.rglob("rers.json"))) if facts is not None]


def stores_under(base: Path, found: list[StoreFacts] | None = None) -> dict[str, StoreFacts]:
    """Message-ID → the facts of the store that queued it, for every store under ``base``
    (``found``: :func:`all_facts` already read)."""
    by_message: dict[str, StoreFacts] = {}
    for facts in all_facts(base) if found is None else found:
        for mid in facts.outbox:
            by_message[mid] = facts
    return by_message


def readable(message: email.message.Message) -> str:
    """Everything a reader of the mail can see: headers and every text part, decoded."""
    parts = [f"{k}: {v}" for k, v in message.items()]
    for part in message.walk():
        if part.is_multipart():
            continue
        if part.get_content_maintype() == "text" or part.get_content_type() == "application/json":
            payload = part.get_payload(decode=True) or b""
            parts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(parts)


def _allowed(facts: StoreFacts, purpose: str, cause: str, reader: dict | None, owner: str | None) -> bool:
    if purpose != "introduction":
        return False
    intro = facts.introductions.get(cause)
    if intro is None or (intro.get("consents") or {}) != {"offer": "yes", "demand": "yes"}:
        return False
    members = {intro.get("offer_member"), intro.get("demand_member")}
    if None in members:
        return True  # one of them was erased since: both consents are all that is left to check
    return reader is not None and reader.get("ref") in members and owner in members and owner != reader.get("ref")


def _consented_across(facts: StoreFacts, purpose: str, cause: str, reader_address: str, reader: dict | None,
                      message) -> bool:
    """A cross-network introduction both members consented to, and the mail that carries
    one member's first name and contact to the other: the ``introduced`` robot message to
    the peer of the record (our member's), or the ``crossing_introduction`` mail to our
    member (the peer's member's)."""
    def both(record: dict | None) -> bool:
        return record is not None and (record.get("consents") or {}) == {"ours": "yes", "theirs": "yes"}

    if purpose == "crossing_introduction":
        record = facts.crossings.get(cause)
        return both(record) and (record.get("member") is None or (reader or {}).get("ref") == record.get("member"))
    if purpose == "federation" and reader_address in facts.peers and message is not None:
        for part in message.walk():
            if part.get_content_type() == "application/json":
                document = json.loads(part.get_payload(decode=True) or b"{}")
                key = (document.get("body") or {}).get("id")
                return document.get("kind") == "introduced" and any(
                    both(r) and r.get("key") == key and r.get("peer") == reader_address for r in facts.crossings.values())
    return False


def violations(archive: Iterable, base: Path) -> tuple[list[str], int]:
    """``(problems, mails checked)`` for every received message (``servers.Received``) that
    a robot of a store under ``base`` sent.

    Across networks (linked networks, issue 19): a robot's mail of a linked network must
    not show a person of another linked network's store under ``base`` either (an address
    or a phone of a member of a linked network), to anyone but that person — but for a
    cross-network introduction both members consented to: the ``introduced`` message to
    the peer's robot, and the ``crossing_introduction`` mail to our member
    (:func:`_consented_across`)."""
    found = all_facts(base)
    stores = stores_under(base, found)
    everyone: dict[str, Path] = {}
    phones: dict[str, Path] = {}
    for facts in (f for f in found if f.linked):  # unlinked tests' stores share made-up addresses
        everyone.update({address: facts.path for address in facts.member_by_address})
        phones.update({key: facts.path for key in facts.phone_owner})
    problems, checked = [], 0
    for received in archive:
        try:
            message = email.message_from_bytes(received.data, policy=policy.default)
        except RecursionError:  # an attached message nested too deep for the email package
            message = None
        head = message if message is not None else BytesHeaderParser(policy=policy.default).parsebytes(received.data)
        mid = str(head.get("Message-ID", "")).strip()
        facts = stores.get(mid)
        if facts is None:
            continue  # not a robot's mail (transport tests send their own)
        checked += 1
        purpose, cause = facts.outbox[mid]
        # Unreadable as MIME: the bytes themselves (all 7-bit, as such an attachment is).
        text = readable(message) if message is not None else received.data.decode("utf-8", "replace")
        found_addresses = {a.lower() for a in _EMAIL_RE.findall(text)}
        found_phones = {_phone_key(p) for p in _DIGITS_RE.findall(text)}
        owner_of_address = {a: facts.member_by_address.get(a, {}).get("ref") for a in found_addresses}
        for reader_address in received.rcpt_tos:
            reader_address = reader_address.lower()
            if reader_address in facts.animators or reader_address == facts.network:
                continue
            reader = facts.member_by_address.get(reader_address)
            if _consented_across(facts, purpose, cause, reader_address, reader, message):
                continue
            for address in found_addresses:
                if address == reader_address or address not in facts.persons:
                    continue
                if not _allowed(facts, purpose, cause, reader, owner_of_address.get(address)):
                    problems.append(f"{facts.path}: {mid} ({purpose}) to {reader_address} shows {address}")
            # A mail addressed by name to a person is theirs to read, whatever address the
            # store knows them by now (a member who moved, an address in A-labels).
            addressed_to = str(head.get("To", ""))
            named = {owner for word in set(facts.any_surname.findall(text) if facts.any_surname else ())
                     for owner in facts.surname_owners[word]}
            for owner in sorted(named):
                pattern = facts.surnames[owner]
                if reader is not None and owner == reader.get("ref"):
                    continue
                if reader is None and pattern.search(addressed_to):
                    continue
                found = pattern.search(text)
                if found and not _allowed(facts, purpose, cause, reader, owner):
                    problems.append(f"{facts.path}: {mid} ({purpose}) to {reader_address} shows {owner}'s surname "
                                    f"({found.group()})")
            mine = facts.first_names.get(reader.get("ref")) if reader is not None else None
            for other in (facts.fellow_askers.get(reader.get("ref"), ()) if reader is not None and _group_mail(purpose)
                          else ()):
                name = facts.first_names.get(other)
                if name and name != mine and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text):
                    problems.append(f"{facts.path}: {mid} ({purpose}) to {reader_address} names {other}, "
                                    f"another asker of their group ({name})")
            for address in found_addresses if facts.linked else ():
                if address != reader_address and address not in facts.persons and everyone.get(address, facts.path) \
                        != facts.path:
                    problems.append(f"{facts.path}: {mid} ({purpose}) to {reader_address} shows {address}, a member "
                                    f"of another network ({everyone[address]})")
            for key in found_phones:
                if facts.linked and key not in facts.phone_owner and phones.get(key, facts.path) != facts.path:
                    problems.append(f"{facts.path}: {mid} ({purpose}) to {reader_address} shows the phone of a member "
                                    f"of another network ({phones[key]})")
                owner = facts.phone_owner.get(key)
                if owner is None or (reader is not None and owner == reader.get("ref")):
                    continue
                if not _allowed(facts, purpose, cause, reader, owner):
                    problems.append(f"{facts.path}: {mid} ({purpose}) to {reader_address} shows {owner}'s phone")
    return problems, checked
