"""The shapes of the store's documents people may edit by hand: checked by `rers doctor`
(every problem listed at once) and before `rers run` and `rers poll` start, which refuse
a damaged store with one line pointing to the doctor — never replacing it. A document a
hand edit damaged (an address set to ``null``, a status ``frobbed``, an asker's state
``frobbed``, a reference to a member who does not exist) would otherwise be read by every
step as if it were sound: counted, matched, listed, mailed — or crash a step, message
after message.

:data:`SHAPES` is the one table: for each collection, the word that names its documents,
and for each key the types it may hold, whether it must be there, the values it may take
(a status), its form (``stamp``: UTC ISO 8601 text as
:meth:`workflows.decision.Plan.stamp` writes it, read back by ``datetime.fromisoformat``
and compared with aware times: a stamp « hier » or without its offset would crash the
member's MES DONNÉES or a reminder later; ``day``: a local date ``YYYY-MM-DD``), the shape
of what it holds (``entry``: a dict's keys, or each entry of a list — an asker, an event
of the history, a bilan), and the collection whose document it names (``refers``: an
item's member, an introduction's offer). A reference may name a document erased with its
member when the key ``erased_with`` is there and null (an introduction keeps its offer's ref, its
``offer_member`` emptied). The documents' own descriptions are in
:mod:`workflows.model.members`, :mod:`workflows.steps.pauses`, :mod:`workflows.model.items`,
:mod:`workflows.steps.introductions`, :mod:`workflows.model.groups`,
:mod:`workflows.model.testimonies`, :mod:`workflows.steps.questions` and
:func:`workflows.shell.outbox.queue_message`. Not checked: the robot's own bookkeeping
(ledger, failures, replies, tombstones, audit, state), the calendar (``events``,
``attendance``: written from `rers calendar` and its files, which are checked there) and
what linked networks sent (``crossings``), which nobody mends by hand. Pure: documents
in, problems out.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from workflows.mail.model import CONTACTS
from workflows.model.groups import ASKER_STATE
from workflows.model.groups import STATUS as GROUP_STATUS
from workflows.model.introductions import STATUS as INTRODUCTION_STATUS
from workflows.model.said import LANGUAGES, Said
from workflows.model.testimonies import STATUSES as TESTIMONY_STATUSES


@dataclass(frozen=True)
class Key:
    """One key of a document: ``types`` it may hold (``type(None)`` among them when it may
    be null); ``required``: it must be there; ``values``: the only ones allowed (empty: any
    of its types); ``null_if``: another key whose truthy value lets this one be null;
    ``form``: ``"stamp"`` or ``"day"`` (see the module docstring); ``entry``: the
    :class:`Shape` of a dict value, or of each entry of a list value (a :class:`Key`: each
    entry is a plain value); ``refers``: the collection where a document of that ``ref``
    must be, unless ``erased_with`` names a key that is null. ``word``: what names the
    key for the operator, the JSON key itself for a time stamp."""

    name: str
    word: Said | str
    types: tuple[type, ...] = (str,)
    required: bool = True
    values: tuple[str, ...] = ()
    null_if: str | None = None
    form: str | None = None
    entry: Shape | Key | None = None
    refers: str | None = None
    erased_with: str | None = None
    plain: bool = field(init=False, repr=False)

    def __post_init__(self):
        # Only its type to look at: the check's fast path (55,000 documents in a big store).
        object.__setattr__(self, "plain", not (self.values or self.form or self.entry or self.refers))


@dataclass(frozen=True)
class Shape:
    word: Said
    keys: tuple[Key, ...]


_NULLABLE = (str, type(None))
_REF = Key("ref", Said("reference"))
_MEMBER_REF = Key("member", Said("member"), refers="members")


def _stamps(*names: str, required: tuple[str, ...] = ()) -> tuple[Key, ...]:
    """The time stamps a collection's steps write (null until the thing happens; absent
    in documents written before the key was), but those ``required``."""
    return tuple(Key(name, name, (str,) if name in required else _NULLABLE, required=name in required, form="stamp")
                 for name in names)


def _optional(name: str, word: Said, types: tuple[type, ...] = _NULLABLE, **more) -> Key:
    return Key(name, word, types, required=False, **more)


def _sides(word: Said, types: tuple[type, ...] = _NULLABLE, **more) -> Key:
    """A dict of the two sides of an introduction (``{"offer": …, "demand": …}``)."""
    return _optional(word.message, word, (dict,), entry=Shape(word, (
        _optional("offer", Said("offer"), types, **more), _optional("demand", Said("demand"), types, **more))))


INTRODUCTION_STATUSES = tuple(INTRODUCTION_STATUS)
_ANSWERS = ("yes", "no", "ongoing")
_HISTORY = _optional("history", Said("history"), (list,), entry=Shape(Said("history"), (
    Key("at", "at", form="stamp"), _optional("event", Said("event")))))
_BILAN = Shape(Said("bilan"), (
    _optional("happened", Said("happened"), values=_ANSWERS),
    _optional("interest", Said("interest")), _optional("obstacles", Said("obstacles")),
    _optional("facilitators", Said("facilitators")), _optional("text", Said("text")),
    *_stamps("at")))

SHAPES: dict[str, Shape] = {
    "members": Shape(Said("member"), (
        _REF,
        # A member an animator registered may have no address (registered_by names them).
        Key("address", Said("address"), null_if="registered_by"),
        Key("status", Said("status"), values=("pending", "confirmed")),
        _optional("name", Said("name")),
        _optional("first_name", Said("first name")),
        _optional("phone", Said("phone")),
        _optional("contact", Said("contact"), values=CONTACTS),
        _optional("invitations", Said("invitations"), (bool,)),
        _optional("undeliverable", Said("undeliverable"), (bool,)),
        _optional("invitations_round", Said("invitations round"), (int,)),
        _optional("language", Said("language"), values=LANGUAGES),
        _optional("pause", Said("pause"), (dict, type(None)), entry=Shape(Said("pause"), (
            *_stamps("since"), _optional("until", "until", form="day")))),
        _optional("former", Said("former details"), (list,), entry=Shape(Said("former details"), (
            _optional("name", Said("name")), _optional("phone", Said("phone")),
            _optional("address", Said("address"))))),
        *_stamps("created", "confirmed"),
    )),
    "items": Shape(Said("item"), (
        _REF,
        Key("kind", Said("kind"), values=("offer", "demand")),
        _MEMBER_REF,
        Key("title", Said("title")),
        Key("status", Said("status"), values=("held", "open", "paused", "closed")),
        _optional("paused_by", Said("paused by"), values=("member", "freshness")),
        *_stamps("created", "closed", "paused", "fresh_since", "freshness_asked"),
    )),
    "introductions": Shape(Said("introduction"), (
        _REF,
        Key("offer", Said("offer"), refers="items", erased_with="offer_member"),
        Key("demand", Said("demand"), refers="items", erased_with="demand_member"),
        _optional("offer_member", Said("offerer"), refers="members"),
        _optional("demand_member", Said("asker"), refers="members"),
        Key("status", Said("status"), values=INTRODUCTION_STATUSES),
        _sides(Said("consents"), values=("yes", "no")),
        _sides(Said("contacts"), values=CONTACTS),
        _sides(Said("bilans"), (dict, type(None)), entry=_BILAN),
        _HISTORY,
        *_stamps("created", "approved", "introduced", "bilan_asked", "closed", "again_after", "reoffered"),
    )),
    "groups": Shape(Said("group"), (
        _REF,
        Key("offer", Said("offer"), refers="items", erased_with="offer_member"),
        _optional("offer_member", Said("offerer"), refers="members"),
        Key("status", Said("status"), values=tuple(GROUP_STATUS)),
        _optional("capacity", Said("capacity"), (int, type(None))),
        Key("askers", Said("askers"), (list,), entry=Shape(Said("askers"), (
            # An erased member's entry stays, anonymous: member and demand null.
            Key("member", Said("member"), _NULLABLE, refers="members"),
            Key("demand", Said("demand"), _NULLABLE, refers="items"),
            Key("state", Said("state"), values=tuple(ASKER_STATE)),
            _optional("round", Said("round"), (int,)),
            *_stamps("since", required=("since",))))),
        _optional("places", Said("places"), (list,), entry=Key("places", Said("member"), _NULLABLE, refers="members")),
        _optional("waiting", Said("waiting list"), (list,), entry=Key("waiting", Said("member"), refers="members")),
        _optional("sessions", Said("sessions"), (list,), entry=Key("sessions", Said("session"))),
        _optional("first_session", "first_session", form="day"),
        _optional("bilans", Said("bilans"), (list,), entry=Shape(Said("bilans"), (
            _optional("member", Said("member"), refers="members"),
            _optional("side", Said("side"), values=("offer", "asker")),
            *_BILAN.keys))),
        _HISTORY,
        *_stamps("created", "approved", "led", "bilan_asked", "closed"),
    )),
    "testimonies": Shape(Said("testimony"), (
        _REF,
        _optional("member", Said("member"), refers="members"),
        Key("status", Said("status"), values=TESTIMONY_STATUSES),
        _optional("signature", Said("signature"), values=("anonyme", "prénom")),
        *_stamps("created", "decided", "published", "withdrawn"),
    )),
    "questions": Shape(Said("question"), (
        Key("kind", Said("kind")),
        Key("subject_ref", Said("subject")),
        Key("address", Said("address")),
        _optional("member", Said("member")),
        Key("status", Said("status"), values=("open", "answered", "expired", "cancelled")),
        _optional("data", Said("data"), (dict, type(None))),
        *_stamps("created", "expires", "answered", required=("created", "expires")),
    )),
    "outbox": Shape(Said("mail"), (
        Key("message_id", Said("Message-ID")),
        Key("recipients", Said("recipients"), (list,), entry=Key("recipients", Said("address"))),
        Key("status", Said("status"), values=("queued", "sent", "failed")),
        _optional("attempts", Said("attempts"), (int,)),
        *_stamps("created", "next_attempt", "sent", required=("next_attempt",)),
    )),
}
"""Collection → the shape of its documents (see the module docstring)."""


def problems(collections: Mapping[str, Iterable[dict]]) -> list[Said]:
    """Every problem of the documents of ``collections`` (``{collection: documents}``, as
    the store gives them; those without a :data:`SHAPES` entry are not looked at), in
    order, one :class:`Said` each, e.g. « member M-3: address missing », « item O-2:
    unknown status "frobbed" », « group G-3, askers no. 2: unknown state "frobbed" »,
    « item O-4: member names M-9, which does not exist » (a reference is looked for only
    when its collection is among ``collections``). Empty when all are sound."""
    collections = {name: list(documents) for name, documents in collections.items()}
    refs = {name: {d["ref"] for d in documents if isinstance(d, dict) and isinstance(d.get("ref"), str)}
            for name, documents in collections.items()}
    found = []
    for name, documents in collections.items():
        shape = SHAPES.get(name)
        if shape is None:
            continue
        for document in documents:
            if not isinstance(document, dict):
                found.append(Said("a {document} that is not a document: {value}", document=shape.word,
                                  value=repr(document)[:60]))
                continue
            ref = document.get("ref")
            ref = ref if isinstance(ref, str) and ref else f"#{document.get('id', '?')}"
            found.extend(_problems_of(shape, document, shape.word, ref, refs))
    return found


def _problems_of(shape: Shape, document: dict, word: Said, ref, refs: dict[str, set]) -> list[Said]:
    """The problems of ``document`` (a dict) against ``shape``, said of ``word`` ``ref``
    (a text, or where an entry is: see :func:`_where`). Types are compared exactly: JSON
    gives no subclasses, and ``true`` is no count."""
    found = []
    for key in shape.keys:
        value = document.get(key.name)
        if key.plain and type(value) in key.types:
            continue  # most keys: nothing more to look at (null or absent when they may be)
        if value is None:
            if (key.required or key.name in document) and type(None) not in key.types and not (
                    key.null_if and document.get(key.null_if)):
                found.append(Said("{document} {ref}: {key} missing", document=word, ref=_where(ref), key=key.word))
            continue
        problem = _value_problem(key, value, word, ref)
        if problem is not None:
            found.append(problem)
        elif key.refers in refs and value not in refs[key.refers] and not (
                key.erased_with in document and document[key.erased_with] is None):
            found.append(Said("{document} {ref}: {key} names {value}, which does not exist", document=word,
                              ref=_where(ref), key=key.word, value=str(value)[:60]))
        elif type(key.entry) is Shape and type(value) is dict:
            found.extend(_problems_of(key.entry, value, word, (ref, key.word, None), refs))
        elif key.entry is not None and type(value) is list:
            found.extend(_entries_problems(key.entry, value, word, ref, refs))
    return found


def _entries_problems(entry: Shape | Key, values: list, word: Said, ref, refs: dict[str, set]) -> list[Said]:
    """The problems of the entries of a list: each a document of ``entry`` (said with
    its rank, from 1), or each a plain value of the key ``entry``."""
    found = []
    for n, value in enumerate(values, 1):
        if type(entry) is Key:
            found.extend(_problems_of(Shape(word, (entry,)), {entry.name: value}, word, ref, refs))
        elif type(value) is dict:
            found.extend(_problems_of(entry, value, word, (ref, entry.word, n), refs))
        else:
            found.append(Said("{document} {ref}: {key} is not readable: {value}", document=word,
                              ref=_where((ref, entry.word, n)), key=entry.word, value=repr(value)[:60]))
    return found


def _where(ref) -> Said | str:
    """Where a problem is: a document's ref, or ``(where, key, rank)`` for an entry of one
    (« G-3, askers no. 2 »; rank None: a dict's keys, « MR-1, bilans »), made into a text
    only when a problem is said — most entries have none."""
    if not isinstance(ref, tuple):
        return ref
    outer, key, n = ref
    if n is None:
        return Said("{ref}, {key}", ref=_where(outer), key=key)
    return Said("{ref}, {key} no. {n}", ref=_where(outer), key=key, n=n)


def _value_problem(key: Key, value, word: Said, ref) -> Said | None:
    """What is wrong with the non-null ``value`` of ``key``, or None."""
    if key.values and value not in key.values:
        return Said("{document} {ref}: unknown {key} \"{value}\"", document=word, ref=_where(ref), key=key.word,
                    value=str(value)[:60])
    if type(value) not in key.types:
        return Said("{document} {ref}: {key} is not readable: {value}", document=word, ref=_where(ref), key=key.word,
                    value=repr(value)[:60])
    if key.form == "stamp" and not _is_stamp(value):
        return Said("{document} {ref}: {key} is not a date and time with its offset (ISO 8601, as "
                    "2026-12-07T09:00:00+00:00): {value}", document=word, ref=_where(ref), key=key.word,
                    value=repr(value)[:60])
    if key.form == "day" and not _is_day(value):
        return Said("{document} {ref}: {key} is not a date (as 2026-12-07): {value}", document=word,
                    ref=_where(ref), key=key.word, value=repr(value)[:60])
    return None


def _is_stamp(value: str) -> bool:
    """True when ``value`` reads as an aware ISO 8601 date and time."""
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _is_day(value: str) -> bool:
    """True when ``value`` reads as an ISO 8601 date (``YYYY-MM-DD``)."""
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10
