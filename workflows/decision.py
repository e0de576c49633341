"""The step contract: a step reads through a :class:`Plan` and records what it decided there.

A step (:mod:`workflows.steps`) receives the parsed message (:class:`Incoming`) and a
:class:`Plan`: a read view of the store that also shows the step its own pending writes.
It never writes the store, draws a token, reads a file or the clock, nor renders a mail;
it records, in the plan:

- :attr:`Plan.writes` — documents inserted, replaced or deleted (through the plan's
  collections, which read like the store's: ``plan.members.find_one("address", a)``);
- :attr:`Plan.mails` — mails to send: a template name, recipients, the values that fill
  it, a purpose, the cause, threading, attachments as data (:class:`Mail`);
- :attr:`Plan.asked` — questions to ask: kind, addressee, what it is about; the
  question's token is drawn later, and its mail is filled with it (:class:`Question`);
- :attr:`Plan.forwards` — messages handed to the animators, with the reason (:class:`Forward`).

The step returns an outcome for the audit log. :func:`workflows.shell.apply.apply` then
does all of it inside the runner's transaction. Scheduled jobs and the animators'
commands follow the same contract.

Everything here is data and reads: no I/O, no clock, no randomness.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Iterator

from config.settings import Settings
from workflows.mail.model import Parsed
from workflows.mail.rfc5322 import message_id as make_message_id
from workflows.model.said import Said


class Refused(ValueError):
    """What a step refuses to do for an operator's command, said to them: a ``ValueError``
    whose message is a :class:`workflows.model.said.Said` made of ``message`` (English,
    ``{name}`` placeholders filled from ``values``; ``str()`` is that text), translated by
    the command that shows it (:func:`workflows.shell.errors.user_error`): a step does not
    know the operator's language. Extracted into the catalogues (``babel.cfg``)."""

    def __init__(self, message: str, /, **values):
        super().__init__(Said(message, **values))


@dataclass(frozen=True)
class Incoming:
    """One received message: what the parser understood, and the bytes as received
    (kept to forward them to the animators untouched); ``claimed``: the row of
    :data:`workflows.routes.UNCLAIMED` that took a message of no keyword (« STOP » in
    reply to a notice), what the animators are told the robot understood."""

    parsed: Parsed
    raw: bytes
    source_key: str
    claimed: str | None = None


# --- what a step decides ----------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    """A part added to a mail, as data.

    ``kind``: ``original`` (a received message, attached as it is, never parsed: its
    bytes in ``content``), ``calendar`` (an iMIP calendar, RFC 6047: the iCalendar text in
    ``content``, inline and as ``invitation.ics``), ``signed`` (a robot-to-robot message
    to a linked network: the JSON text in ``content``, as ``application/json`` named
    ``filename``, and its detached signature by this network's key, made by the shell
    when the mail is built: :mod:`workflows.model.federation`) or ``file`` (``content``
    bytes of type ``mime`` named ``filename``)."""

    kind: str
    content: bytes | str
    mime: str = "application/octet-stream"
    filename: str | None = None


@dataclass
class Mail:
    """A mail to send: the template ``template`` rendered with ``values`` (plus the
    variables every template gets), to ``to`` and ``cc`` (``(name or None, address)``).

    ``purpose`` names it (``join_ack``, ``forward``…); ``cause`` is the Message-ID (or
    another stable key) of what caused it; ``message_id`` is deterministic (RFC 5322
    §3.6.4), made from them and the recipients unless the step gave one; a question's
    mail gets its own when its token is drawn. The outbox keeps a Message-ID cause only
    hashed (``store.cause_key``): a step may read back, and :meth:`Plan.drop_queued`
    compare, only causes of its own making (``MR-7:ack:offer``, a calendar cause).
    ``to_member``: a mail to members only — confirmed members, when the mail is decided
    (:meth:`Plan.members_only`): the List-Unsubscribe header (RFC 2369) and the footer's
    way to leave the network; a newcomer asked to confirm, a stranger answered, a person
    who just left get neither. ``subject_tag``: the token put before the
    subject, ``[RERS-…]``. ``forget_after_send``: no copy of its bytes and recipients kept
    once sent (a goodbye after an erasure, a data export). ``reply_to``: the address
    « Répondre » writes to (RFC 5322 §3.6.2), when it is not the robot's: the person whose
    message is handed to the animators."""

    template: str
    to: list[tuple[str | None, str]]
    values: dict
    purpose: str
    cause: str
    message_id: str | None = None
    cc: list[tuple[str | None, str]] = field(default_factory=list)
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    auto_submitted: str = "auto-generated"
    to_member: bool = True
    attachments: list[Attachment] = field(default_factory=list)
    subject_tag: str | None = None
    forget_after_send: bool = False
    reply_to: str | None = None
    unsubscribe: str = "RETRAIT"
    """The subject of the ``List-Unsubscribe`` mailto of a member's mail (RFC 2369): what
    stops it — leaving the network, or « Nouvelles : non » for the monthly news."""

    def recipients(self) -> list[str]:
        return [address for _, address in [*self.to, *self.cc]]


@dataclass
class Question:
    """A question to ask: its document is ``questions[id]`` in the plan (``token_hash``
    filled when the token is drawn), its mail ``mail`` (whose values get ``token`` and
    ``expires``, its subject the ``[token]``, its Message-ID ``<token.1@domain>``; None
    when nobody can receive it: the question is kept all the same)."""

    id: int
    kind: str
    subject_ref: str
    address: str
    member: str | None
    expires: datetime
    mail: Mail | None


@dataclass
class Forward:
    """A message handed to the animators: ``reason`` (a key of
    :data:`workflows.mail.reasons.REASONS`) and the mail that carries it."""

    reason: str
    mail: Mail


@dataclass(frozen=True)
class Erased:
    """A person a step erased: their member ``ref`` and their ``address`` (None for a
    member without one); or the member of a linked network whose first name and contact
    this network no longer keeps (``ref``: the cross-network introduction ``MRV-<n>``,
    ``address`` None, ``message_ids``: the Message-IDs, ``<…>``, of the mails that gave
    them to our member). Held by the plan only, never stored: the shell needs them once
    the erasure is written, to take the person's mail — or those mails' copies — out of
    the mailbox's folders and the outbox folder (:mod:`workflows.shell.erasure`), and
    then forgets them."""

    ref: str
    address: str | None
    message_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Write:
    """One store write: ``op`` (``insert``, ``replace``, ``delete``) of document ``id`` in
    ``collection``; ``doc`` is the document written (None for a delete)."""

    op: str
    collection: str
    id: int
    doc: dict | None


# --- the read view ------------------------------------------------------------------------


_LEAVES = frozenset({str, int, float, bool, type(None)})


def _copy(value: Any) -> Any:
    # As the store copies its documents (store.repository._copy; steps do not import the store).
    if isinstance(value, dict):
        out = dict(value)
        for key, item in out.items():
            if type(item) not in _LEAVES:
                out[key] = _copy(item)
        return out
    if isinstance(value, list):
        return [item if type(item) in _LEAVES else _copy(item) for item in value]
    return value


class PlannedCollection:
    """A collection as a step sees it: the stored documents with the plan's own writes
    over them. It reads like :class:`store.Collection` (``get``, ``find_one``, ``find``,
    ``count``, ``all``, ``scan``; documents are copies with their ``"id"``) and writes
    only into the plan (``insert``, ``replace``, ``update``, ``delete``: each one a
    :class:`Write`). Raises :class:`ValueError` on a unique-index clash, as the store
    would raise on applying it."""

    def __init__(self, plan: "Plan", stored):
        self._plan = plan
        self._stored = stored
        self.name: str = stored.name
        self._unique: tuple[str, ...] = tuple(stored.spec.unique)
        self._touched: dict[int, dict | None] = {}
        """Document id → the document as the plan left it (None: deleted)."""
        self._next: int | None = None

    # Reading ------------------------------------------------------------------------

    def _doc(self, doc_id: int, raw: dict) -> dict:
        doc = _copy(raw)  # a new dict already: the id goes into it, not into a third copy
        doc["id"] = doc_id
        return doc

    def get(self, doc_id: int) -> dict | None:
        if doc_id in self._touched:
            raw = self._touched[doc_id]
            return None if raw is None else self._doc(doc_id, raw)
        return self._stored.get(doc_id)

    def _ids(self, field_name: str, value: Any) -> list[int]:
        ids = {i for i in self._stored.ids(field_name, value) if i not in self._touched}
        ids.update(i for i, raw in self._touched.items() if raw is not None and raw.get(field_name) == value)
        return sorted(ids)

    # Most reads come before the plan writes the collection at all: then they are the
    # store's own, without the overlay's bookkeeping (this is the hot path of every message).

    def find_one(self, field_name: str, value: Any) -> dict | None:
        if not self._touched:
            return self._stored.find_one(field_name, value)
        ids = self._ids(field_name, value)
        return self.get(ids[0]) if ids else None

    def find(self, field_name: str, value: Any) -> list[dict]:
        if not self._touched:
            return self._stored.find(field_name, value)
        return [self.get(i) for i in self._ids(field_name, value)]

    def count(self, field_name: str | None = None, value: Any = None) -> int:
        if not self._touched:
            return self._stored.count(field_name, value)
        if field_name is None:
            stored = self._stored.count()
            gone = sum(1 for i, raw in self._touched.items() if raw is None and self._stored.get(i) is not None)
            added = sum(1 for i, raw in self._touched.items() if raw is not None and self._stored.get(i) is None)
            return stored - gone + added
        return len(self._ids(field_name, value))

    def _raw_items(self) -> Iterator[tuple[int, dict]]:
        touched = self._touched
        new = sorted(i for i, raw in touched.items() if raw is not None and i not in self._stored_ids())
        pending = iter(new)
        upcoming = next(pending, None)
        for doc_id, raw in self._stored.raw_items():
            while upcoming is not None and upcoming < doc_id:
                yield upcoming, touched[upcoming]
                upcoming = next(pending, None)
            if doc_id in touched:
                raw = touched[doc_id]
                if raw is None:
                    continue
            yield doc_id, raw
        while upcoming is not None:
            yield upcoming, touched[upcoming]
            upcoming = next(pending, None)

    def _stored_ids(self) -> set[int]:
        return {i for i in self._touched if self._stored.get(i) is not None}

    def all(self) -> list[dict]:
        if not self._touched:
            return self._stored.all()
        return [self._doc(i, raw) for i, raw in self._raw_items()]

    def scan(self, predicate: Callable[[dict], bool]) -> Iterator[dict]:
        """Documents for which ``predicate(document)`` is true, in id order; the predicate
        sees the document itself and must not change it."""
        if not self._touched:
            yield from self._stored.scan(predicate)
            return
        for doc_id, raw in self._raw_items():
            if predicate(raw):
                yield self._doc(doc_id, raw)

    # Writing into the plan -----------------------------------------------------------

    def _check_unique(self, doc: dict, doc_id: int | None) -> None:
        for name in self._unique:
            value = doc.get(name)
            if value is None:
                continue
            for other in self._ids(name, value):
                if other != doc_id:
                    raise ValueError(f"{self.name}: a document with {name}={value!r} already exists")

    def insert(self, doc: dict) -> int:
        """Record a new document; returns the id it will have."""
        doc = {k: v for k, v in _copy(doc).items() if k != "id"}
        self._check_unique(doc, None)
        if self._next is None:
            self._next = self._stored.next_id()
        doc_id, self._next = self._next, self._next + 1
        self._touched[doc_id] = doc
        # The same dict: the overlay replaces documents, it never changes one in place.
        self._plan.writes.append(Write("insert", self.name, doc_id, doc))
        return doc_id

    def replace(self, doc_id: int, doc: dict) -> None:
        """Record the whole document ``doc_id`` replaced (the ``"id"`` key is ignored)."""
        if self.get(doc_id) is None:
            raise ValueError(f"{self.name}: no document {doc_id}")
        doc = {k: v for k, v in _copy(doc).items() if k != "id"}
        self._check_unique(doc, doc_id)
        self._touched[doc_id] = doc
        self._plan.writes.append(Write("replace", self.name, doc_id, doc))

    def update(self, doc_id: int, **fields: Any) -> dict:
        """Record some fields of document ``doc_id`` set; returns the new document."""
        current = self.get(doc_id)
        if current is None:
            raise ValueError(f"{self.name}: no document {doc_id}")
        self.replace(doc_id, {**current, **fields})
        return self.get(doc_id)

    def delete(self, doc_id: int) -> None:
        """Record document ``doc_id`` deleted (nothing when it is absent)."""
        if self.get(doc_id) is None:
            return
        self._touched[doc_id] = None
        self._plan.writes.append(Write("delete", self.name, doc_id, None))


@dataclass(frozen=True)
class Resources:
    """What the shell read for the steps, once: ``texts`` — the current versions of the
    texts a person agrees to when joining (``{name: workflows.model.charter.Text}``);
    ``token_key`` — the store's own key for keyed hashes (bytes); ``matcher`` — the
    matching index kept by the shell for this store (:class:`workflows.steps.matcher.Matcher`),
    a cache that the steps bring up to date through the plan."""

    texts: dict
    token_key: bytes
    matcher: Any = None


@dataclass(frozen=True)
class Note:
    """One line a step would write to a log, kept with its plan: ``logger`` (its name),
    ``level`` (:mod:`logging`'s), ``message`` and ``args`` as for :meth:`logging.Logger.log`."""

    logger: str
    level: int
    message: str
    args: tuple


class Journal:
    """What a step writes to a log, as a logger reads (``plan.audit.info("%s: …", mid)``):
    kept in the plan's ``notes`` and written by the shell when the plan is carried out
    (:func:`workflows.shell.apply.apply`), so that a decision undone or only looked at
    (``rers decide``) tells of nothing that did not happen."""

    def __init__(self, notes: list[Note], logger: str):
        self._notes = notes
        self._logger = logger

    def debug(self, message: str, *args: object) -> None:
        self._notes.append(Note(self._logger, 10, message, args))

    def info(self, message: str, *args: object) -> None:
        self._notes.append(Note(self._logger, 20, message, args))

    def warning(self, message: str, *args: object) -> None:
        self._notes.append(Note(self._logger, 30, message, args))

    def error(self, message: str, *args: object) -> None:
        self._notes.append(Note(self._logger, 40, message, args))


class Plan:
    """What one step decided, over a read view of ``store`` (see the module docstring).

    ``settings``; ``now``: the aware UTC time the step works at, fixed for the whole step;
    ``resources``: what the shell read for the steps (:class:`Resources`). Collections
    read as attributes, like the store's: ``plan.members``, ``plan.outbox``…"""

    def __init__(self, settings: Settings, store, now: datetime, resources: Resources):
        self.settings = settings
        self.now = now
        self.resources = resources
        self.writes: list[Write] = []
        self.mails: list[Mail] = []
        self.asked: list[Question] = []
        """The questions decided (``plan.questions`` is the collection of stored ones)."""
        self.forwards: list[Forward] = []
        self.outgoing: list[Mail] = []
        """Every mail decided, in the order decided (those of questions and forwards too)."""
        self.dropped: list[dict] = []
        """Queued mails of the store the step dropped (see :meth:`drop_queued`)."""
        self.routes_taken: list[tuple[str, str, str, bool]] = []
        """The rows of the route table the message went through, in order: ``(table, key,
        guard, passed)`` — what ``rers decide`` shows."""
        self.repeats: list[Mail] = []
        """Mails decided again that the outbox already holds (same Message-ID): not sent twice."""
        self.erases = False
        """The step erased someone: the store's backup file must not keep them."""
        self.erased: list[Erased] = []
        """Who the step erased (see :meth:`erased_person`, :meth:`erased_copies`)."""
        self.notes: list[Note] = []
        """What the step logged, written once the plan is carried out."""
        self.audit = Journal(self.notes, "rers.audit")
        """The audit log: what was decided about each message (refusals, outcomes)."""
        self.log = Journal(self.notes, "rers.steps")
        """The steps' other log lines (what went unexpectedly, short of a fault)."""
        self.collections = {name: PlannedCollection(self, stored) for name, stored in store.collections.items()}

    def __getattr__(self, name: str) -> PlannedCollection:
        collections = self.__dict__.get("collections")
        if collections and name in collections:
            return collections[name]
        raise AttributeError(name)

    # Time -----------------------------------------------------------------------------

    def stamp(self) -> str:
        """``now`` as stored: UTC ISO-8601 with seconds."""
        return self.now.isoformat(timespec="seconds")

    @property
    def local_date(self) -> date:
        """The network's local date of ``now``."""
        return self.now.astimezone(self.settings.network.zone).date()

    @property
    def today(self) -> str:
        """The network's local date, ISO ``YYYY-MM-DD`` (for daily limits)."""
        return self.local_date.isoformat()

    # Small shared state ---------------------------------------------------------------

    def get_state(self, key: str, default: Any = None) -> Any:
        doc = self.state.find_one("key", key)
        return default if doc is None else doc["value"]

    def set_state(self, key: str, value: Any) -> None:
        doc = self.state.find_one("key", key)
        if doc is None:
            self.state.insert({"key": key, "value": value})
        elif doc["value"] != value:
            self.state.update(doc["id"], value=value)

    def next_number(self, counter: str) -> int:
        """The next number of a counter (``"member"``, ``"offer"``…), 1 first."""
        value = int(self.get_state(f"counter:{counter}") or 0) + 1
        self.set_state(f"counter:{counter}", value)
        return value

    def keyed_hash(self, text: str) -> str:
        """HMAC-SHA256 of ``text`` under the store's own key, in hex: what the store keeps
        instead of a token or an address, so that holding the file is not enough to test
        a guess."""
        return hmac.new(self.resources.token_key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    # Mails ----------------------------------------------------------------------------

    def members_only(self, to: list[tuple[str | None, str]]) -> bool:
        """True when every address of ``to`` is a confirmed member's, in this plan's view
        (a member confirmed or erased by this very step counts as such)."""
        if not to:
            return False
        for _, address in to:
            member = self.members.find_one("address", address.lower())
            if member is None or member.get("status") != "confirmed":
                return False
        return True

    def undeliverable(self, address: str) -> bool:
        """True when ``address`` is a member's that a hard bounce marked undeliverable."""
        member = self.members.find_one("address", address.lower())
        return bool(member and member.get("undeliverable"))

    def mail(self, *, template: str, to: list[tuple[str | None, str]], values: dict, purpose: str, cause: str,
             cc: list[tuple[str | None, str]] = (), in_reply_to: str | None = None, references: list[str] = (),
             auto_submitted: str = "auto-generated", message_id: str | None = None, to_member: bool = True,
             attachments: list[Attachment] = (), subject_tag: str | None = None,
             forget_after_send: bool = False, unsubscribe: str = "RETRAIT") -> str | None:
        """Decide a mail (see :class:`Mail`). Returns its Message-ID, or None when nothing
        is to be sent: with ``to_member``, every address is marked undeliverable; or the
        same mail (same Message-ID) is already queued or sent, or decided in this plan.
        ``to_member`` (a mail meant for a member) holds in the mail only when every
        recipient is a confirmed member now (:meth:`members_only`)."""
        if to_member:
            to = [(name, address) for name, address in to if not self.undeliverable(address)]
            if not to:
                return None
            to_member = self.members_only(to)
        mail = Mail(template=template, to=list(to), values=values, purpose=purpose, cause=cause, cc=list(cc),
                    in_reply_to=in_reply_to, references=list(references), auto_submitted=auto_submitted,
                    to_member=to_member, attachments=list(attachments), subject_tag=subject_tag,
                    forget_after_send=forget_after_send, unsubscribe=unsubscribe)
        mail.message_id = message_id or make_message_id(self.settings.network.domain, purpose, cause,
                                                        *sorted(mail.recipients()), key=self.resources.token_key)
        if self._known(mail):
            return None
        self.mails.append(mail)
        self.outgoing.append(mail)
        return mail.message_id

    def _known(self, mail: Mail) -> bool:
        """True (and noted in :attr:`repeats`) when a mail with this Message-ID is already in
        the outbox or decided in this plan: re-running a decision never doubles a mail."""
        if self.outbox.find_one("message_id", mail.message_id) is None and not any(
                m.message_id == mail.message_id for m in self.outgoing):
            return False
        self.repeats.append(mail)
        return True

    def ask(self, *, document: dict, mail: Mail | None, expires: datetime) -> Question:
        """Decide a question: ``document`` is inserted in ``questions`` now (its token hash
        comes when the token is drawn), ``mail`` (if any) goes with the token. Returns it."""
        doc_id = self.collections["questions"].insert({**document, "token_hash": None})
        question = Question(id=doc_id, kind=document["kind"], subject_ref=document["subject_ref"],
                            address=document["address"], member=document.get("member"), expires=expires, mail=mail)
        self.asked.append(question)
        if mail is not None:
            self.outgoing.append(mail)
        return question

    def forward(self, *, reason: str, mail: Mail) -> str | None:
        """Decide a message handed to the animators (see :class:`Forward`)."""
        mail.message_id = mail.message_id or make_message_id(self.settings.network.domain, mail.purpose, mail.cause,
                                                             *sorted(mail.recipients()),
                                                             key=self.resources.token_key)
        if self._known(mail):
            return None
        self.forwards.append(Forward(reason=reason, mail=mail))
        self.outgoing.append(mail)
        return mail.message_id

    def drop_queued(self, *, purpose: str, cause: str | None = None, recipient: str | None = None) -> list[dict]:
        """Drop the mails of ``purpose`` not sent yet — queued in the store or decided in
        this plan — caused by ``cause`` and to ``recipient`` alone, when given: what a
        later decision made pointless. Returns them (documents of the outbox; for a mail
        of this plan, ``{"message_id", "purpose", "cause", "recipients"}``)."""
        def wanted(purpose_: str, cause_: str, recipients: list[str]) -> bool:
            return purpose_ == purpose and (cause is None or cause_ == cause) and (
                recipient is None or recipients == [recipient])

        dropped = [m for m in self.outbox.find("status", "queued")
                   if wanted(m.get("purpose"), m.get("cause"), m.get("recipients"))]
        for doc in dropped:
            self.outbox.delete(doc["id"])
        self.dropped.extend(dropped)
        mine = [m for m in self.mails if wanted(m.purpose, m.cause, m.recipients())]
        for mail in mine:
            self.mails.remove(mail)
            self.outgoing.remove(mail)
            dropped.append({"message_id": mail.message_id, "purpose": mail.purpose, "cause": mail.cause,
                            "recipients": mail.recipients()})
        return dropped

    def drop_mails(self, predicate: Callable[[Mail], bool]) -> list[Mail]:
        """Drop the mails decided in this plan (questions' and forwards' included) for
        which ``predicate(mail)`` is true: their subject is being erased. Returns them."""
        dropped = [mail for mail in self.outgoing if predicate(mail)]
        for mail in dropped:
            self.outgoing.remove(mail)
            if mail in self.mails:
                self.mails.remove(mail)
            self.forwards = [f for f in self.forwards if f.mail is not mail]
            for question in self.asked:
                if question.mail is mail:
                    question.mail = None
        return dropped

    def forget_backup(self) -> None:
        """The step erased someone: once applied, the store's backup must not keep them."""
        self.erases = True

    def erased_person(self, ref: str, address: str | None) -> None:
        """The step erased the member ``ref`` (``address``: theirs, or None): once the plan
        is applied and written, the store's backup keeps nothing of them
        (:meth:`forget_backup`), and the shell takes their mail out of the mailbox's
        folders and republishes the public page and the calendar feeds."""
        self.forget_backup()
        self.erased.append(Erased(ref, address))

    def erased_copies(self, ref: str, message_ids: list[str]) -> None:
        """The step dropped from the outbox the mails ``message_ids`` (sent already), that
        gave our member a linked network's member's first name and contact, in the
        cross-network introduction ``ref``: once the plan is applied and written, the
        store's backup keeps nothing of them (:meth:`forget_backup`), and the shell takes
        their copies out of ``[transport] sent_folder`` and the outbox folder."""
        self.forget_backup()
        self.erased.append(Erased(ref, None, tuple(message_ids)))
