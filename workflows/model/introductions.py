"""Introductions as data: the two sides, the statuses still in progress, and a bilan as
stored (:func:`bilan_record`). The life of an introduction is in
:mod:`workflows.steps.introductions`.
"""
from __future__ import annotations

import re
from types import MappingProxyType

from workflows.mail.fields import happened_in_text
from workflows.model.said import Label, Said
from workflows.mail.labels import label_of
from workflows.model.voice import split_effects

SIDES = ("offer", "demand")


ACTIVE = ("proposed", "consent", "introduced", "bilan")

STATUS = MappingProxyType({
    "proposed": Label("introduction", "proposed"), "consent": Label("introduction", "consent"),
    "introduced": Label("introduction", "introduced"), "bilan": Label("introduction", "bilan"),
    "completed": Label("introduction", "completed"), "refused": Label("introduction", "refused"),
    "declined": Label("introduction", "declined"), "expired": Label("introduction", "expired"),
    "cancelled": Label("introduction", "cancelled")})
"""An introduction's status (the store's word) as the operator reads it (said in the
network's language by ``rers introductions``, a refused command)."""
CLOSE_REASON = MappingProxyType({
    "no answer": Label("closed because", "no answer"), "refused": Label("closed because", "refused"),
    "declined": Label("closed because", "declined"),
    "cancelled by an animator": Label("closed because", "cancelled by an animator"),
    "closed by an animator": Label("closed because", "closed by an animator"),
    "member left": Label("closed because", "member left"), "item withdrawn": Label("closed because", "item withdrawn"),
    "offer withdrawn": Label("closed because", "offer withdrawn"),
    "nobody joined": Label("closed because", "nobody joined"), "closed": Label("closed because", "closed"),
    "bilan": Label("closed because", "bilan")})
"""Why an introduction or a group ended (its ``close_reason``), as the operator reads it."""
SOURCE = MappingProxyType({"matching": Label("proposed by", "matching"), "command": Label("proposed by", "command")})
"""Who proposed an introduction or a group (its ``source``): matching, or an animator's command."""
CONTACT = MappingProxyType({"email": Label("contact", "email"), "phone": Label("contact", "phone"),
                            "permanence": Label("contact", "permanence")})
"""How a member chose to be reached (a consent's ``contact``), as the operator reads it."""


BILAN_VALID_DAYS = 30
"""Days a bilan question may be answered."""

_BEHALF_RE = re.compile(r"\A\s*pour\s+m\s*-\s*\d+\s*[:,]?[ \t]*\n?", re.IGNORECASE)
"""The ``POUR M-14 :`` an animator writes above a member's bilan: not the member's words."""


_ANSWER_SAID = {"yes": Said("yes"), "no": Said("no"), "ongoing": Said("ongoing")}


def answer_said(value):
    """A stored answer — a consent, a bilan's ``happened`` — ``yes``, ``no`` or
    ``ongoing`` as a :class:`Said` (said in the operator's language where shown); any
    other value as it is."""
    return _ANSWER_SAID.get(value, value)


def happened_said(record: dict) -> Said:
    """A bilan's ``happened`` (:func:`bilan_record`) as an outcome says it (in the
    operator's language where shown): « free text » when the bilan did not say."""
    return _ANSWER_SAID.get(record.get("happened"), Said("free text"))


def bilan_record(parsed, answer: str, at: str) -> dict:
    """A bilan answer as stored: the fields of the reply (``Échange réalisé``, ``Intérêt``,
    ``Freins``, ``Éléments facilitants``), and the reply's own text kept whole. Without
    an ``Échange réalisé`` line, ``happened`` is read from the text (« finalement on ne
    s'est pas vus »: :func:`workflows.mail.fields.happened_in_text`), else from a plain
    OUI/NON. The ``POUR M-14 :`` of an animator answering for the member is not kept in
    the text: the text is the member's bilan. Nor are the optional ``Isolement``,
    ``Confiance``, ``Réseau`` lines: only semester counts are kept of them
    (:func:`workflows.steps.voice.count_effects`), never anything with the person."""
    fields = parsed.bilan
    happened = fields.happened if fields is not None and fields.happened else None
    if happened is None:
        happened = happened_in_text(parsed.text or "")
    if happened is None and answer in ("yes", "no") and fields is None:
        happened = answer
    return {
        "happened": happened,
        "interest": fields.interest if fields else None,
        "obstacles": fields.obstacles if fields else None,
        "facilitators": fields.facilitators if fields else None,
        "text": split_effects(_BEHALF_RE.sub("", parsed.text or "", count=1).strip() or None)[0],
        "at": at,
    }


COMMAND_PROBLEMS = ("missing", "not an offer/demand", "closed", "same member", "in progress")


def erased(language: str) -> str:
    """What stands for an erased member or item in the animators' mails, in ``language``."""
    return label_of("erased", "field", language)
