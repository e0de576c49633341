"""Knowledge items: offers (``O-<n>``) and demands (``D-<n>``).

An item document (collection ``items``)::

    {"ref": "O-12", "kind": "offer"|"demand", "member": "M-14", "title": str,
     "description": str | None, "modality": str | None, "availability": str | None,
     "place": str | None, "status": "held"|"open"|"closed",
     "created": UTC ISO, "closed": UTC ISO | None, "source": Message-ID}

``held``: its member has not confirmed joining yet; it is released (``open``) on
confirmation and erased with the pending member otherwise. The workflows that receive
offers and demands by mail are in :mod:`workflows.steps.membership` and :mod:`workflows.steps.items` (a non-member's offer is a
join).
"""
from __future__ import annotations

from workflows.mail.textutil import fold

PREFIX = {"offer": "O", "demand": "D"}

COLLECTIVE = ("group", "practice_exchange", "talking_group")
"""The modalities of an offer that gathers several demands (protocol.md, "Groups"): « en
collectif, en échange de pratiques, en groupe de parole »; ``one_to_one`` (or none said)
pairs one offer with one demand."""


def is_collective(item: dict) -> bool:
    """True for an offer whose modality is collective (:data:`COLLECTIVE`): matching may
    gather several demands around it (:func:`workflows.steps.matcher.best_demands`)."""
    return item.get("kind") == "offer" and item.get("modality") in COLLECTIVE


LIMITS = {"title": 150, "description": 2000, "availability": 500, "place": 300}
"""Characters kept of each text field: a title is read in subjects, lists and the public
catalogue, and a whole pasted document (or a 200,000-character subject) is not a title."""


def _bounded(text: str | None, limit: int) -> str | None:
    """``text`` cut to at most ``limit`` characters, at a word when one is near, with
    « … » marking the cut."""
    if text is None or len(text) <= limit:
        return text
    cut = text[:limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.7:
        cut = cut[:space]
    return cut.rstrip() + "…"


def same_key(kind: str, title: str | None) -> tuple[str, str]:
    """What makes two items of one member the same: their kind and their title as stored
    (:data:`LIMITS`), folded (case, accents, spaces: :func:`workflows.mail.textutil.fold`)."""
    return kind, fold(_bounded(title or "", LIMITS["title"]))


def without_repeats(written: list, held: list[dict]) -> tuple[list, list[dict]]:
    """The items ``written`` in one message (:class:`workflows.mail.model.Item`), each kept
    once, without those the member already has (``held``: their open, held or paused item
    documents). Returns ``(to record, in order; the documents of ``held`` written again)``:
    an item the same (:func:`same_key`) as one before it in the message is dropped (a
    forged mail of 20,000 « DEMANDE : truc » lines is one demand), one the same as a held
    document is not recorded again, that document returned once to say so (« vous l'avez
    déjà proposé : O-3 »)."""
    known = {same_key(doc["kind"], doc.get("title")): doc for doc in held}
    fresh, seen, again = [], set(), {}
    for item in written:
        key = same_key(item.kind, item.title)
        if key in known:
            again.setdefault(known[key]["ref"], known[key])
        elif key not in seen:
            seen.add(key)
            fresh.append(item)
    return fresh, list(again.values())
