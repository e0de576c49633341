"""The shapes of the store's documents people may edit by hand: checked by `rers doctor`
(every problem listed at once) and before `rers run` and `rers poll` start, which refuse
a damaged store with one line pointing to the doctor — never replacing it. A document a
hand edit damaged (an address set to ``null``, a status ``frobbed``) would otherwise be
read by every step as if it were sound: counted, matched, listed, mailed.

:data:`SHAPES` is the one table: for each collection, the word that names its documents,
and for each key the types it may hold, whether it must be there, and the values it may
take (a status), or that it is a time stamp (``stamp``: UTC ISO 8601 text as
:meth:`workflows.decision.Plan.stamp` writes it, read back by ``datetime.fromisoformat``
and compared with aware times: a stamp « hier » or without its offset would crash the
member's MES DONNÉES or a reminder later, message after message). The documents' own descriptions are in :mod:`workflows.model.members`,
:mod:`workflows.model.items`, :mod:`workflows.steps.introductions`,
:mod:`workflows.model.groups`, :mod:`workflows.model.testimonies`. Pure: documents in,
problems out.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from workflows.model.said import LANGUAGES, Said


@dataclass(frozen=True)
class Key:
    """One key of a document: ``types`` it may hold (``type(None)`` among them when it may
    be null); ``required``: it must be there; ``values``: the only ones allowed (empty: any
    of its types); ``null_if``: another key whose truthy value lets this one be null;
    ``stamp``: a time stamp (see the module docstring). ``word``: what names the key for
    the operator, the JSON key itself for a stamp."""

    name: str
    word: Said | str
    types: tuple[type, ...] = (str,)
    required: bool = True
    values: tuple[str, ...] = ()
    null_if: str | None = None
    stamp: bool = False


@dataclass(frozen=True)
class Shape:
    word: Said
    keys: tuple[Key, ...]


_REF = Key("ref", Said("reference"))
_MEMBER_REF = Key("member", Said("member"))
_NULLABLE = (str, type(None))


def _stamps(*names: str) -> tuple[Key, ...]:
    """The time stamps a collection's steps write (null until the thing happens; absent
    in documents written before the key was)."""
    return tuple(Key(name, name, _NULLABLE, required=False, stamp=True) for name in names)


INTRODUCTION_STATUSES = ("proposed", "consent", "introduced", "bilan", "completed", "refused", "declined", "expired",
                         "cancelled")

SHAPES: dict[str, Shape] = {
    "members": Shape(Said("member"), (
        _REF,
        # A member an animator registered may have no address (registered_by names them).
        Key("address", Said("address"), null_if="registered_by"),
        Key("status", Said("status"), values=("pending", "confirmed")),
        Key("name", Said("name"), _NULLABLE, required=False),
        Key("phone", Said("phone"), _NULLABLE, required=False),
        Key("invitations", Said("invitations"), (bool,), required=False),
        Key("language", Said("language"), _NULLABLE, required=False, values=LANGUAGES),
        *_stamps("created", "confirmed"),
    )),
    "items": Shape(Said("item"), (
        _REF,
        Key("kind", Said("kind"), values=("offer", "demand")),
        _MEMBER_REF,
        Key("title", Said("title")),
        Key("status", Said("status"), values=("held", "open", "paused", "closed")),
        *_stamps("created", "closed", "paused", "fresh_since", "freshness_asked"),
    )),
    "introductions": Shape(Said("introduction"), (
        _REF,
        Key("offer", Said("offer")),
        Key("demand", Said("demand")),
        Key("status", Said("status"), values=INTRODUCTION_STATUSES),
        *_stamps("created", "approved", "introduced", "bilan_asked", "closed", "again_after", "reoffered"),
    )),
    "groups": Shape(Said("group"), (
        _REF,
        Key("offer", Said("offer")),
        Key("status", Said("status"), values=("proposed", "lead", "open", *INTRODUCTION_STATUSES[3:])),
        Key("askers", Said("askers"), (list,)),
        *_stamps("created", "approved", "led", "bilan_asked", "closed"),
    )),
    "testimonies": Shape(Said("testimony"), (
        _REF,
        Key("status", Said("status"), values=("held", "published", "refused", "withdrawn")),
        *_stamps("created", "decided", "published", "withdrawn"),
    )),
}
"""Collection → the shape of its documents (see the module docstring)."""


def problems(collections: Mapping[str, Iterable[dict]]) -> list[Said]:
    """Every problem of the documents of ``collections`` (``{collection: documents}``, as
    the store gives them; those without a :data:`SHAPES` entry are not looked at), in
    order, one :class:`Said` each, e.g. « member M-3: address missing », « item O-2:
    unknown status "frobbed" ». Empty when all are sound."""
    found = []
    for name, documents in collections.items():
        shape = SHAPES.get(name)
        if shape is None:
            continue
        for document in documents:
            found.extend(_problems_of(shape, document))
    return found


def _problems_of(shape: Shape, document) -> list[Said]:
    if not isinstance(document, dict):
        return [Said("a {document} that is not a document: {value}", document=shape.word, value=repr(document)[:60])]
    ref = document.get("ref")
    ref = ref if isinstance(ref, str) and ref else f"#{document.get('id', '?')}"
    found = []
    for key in shape.keys:
        value = document.get(key.name)
        if value is None:
            null_ok = type(None) in key.types or bool(key.null_if and document.get(key.null_if))
            if not null_ok and (key.name in document or key.required):
                found.append(Said("{document} {ref}: {key} missing", document=shape.word, ref=ref, key=key.word))
        elif key.values and value not in key.values:
            found.append(Said("{document} {ref}: unknown {key} \"{value}\"", document=shape.word, ref=ref,
                              key=key.word, value=str(value)[:60]))
        elif not isinstance(value, key.types):
            found.append(Said("{document} {ref}: {key} is not readable: {value}", document=shape.word, ref=ref,
                              key=key.word, value=repr(value)[:60]))
        elif key.stamp and not _is_stamp(value):
            found.append(Said("{document} {ref}: {key} is not a date and time with its offset (ISO 8601, as "
                              "2026-12-07T09:00:00+00:00): {value}", document=shape.word, ref=ref, key=key.word,
                              value=repr(value)[:60]))
    return found


def _is_stamp(value: str) -> bool:
    """True when ``value`` reads as an aware ISO 8601 date and time."""
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False
