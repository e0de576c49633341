"""Testimonies (*témoignages*, ``T-<n>``) as data: what a member wrote about the network,
held until an animator approves it, then shown on the public catalogue page with « un
membre » or the author's first name, as the author chose (``Signature : anonyme`` /
``prénom``), every contact detail masked (protocol.md, « The network's voice »). The life
of a testimony is in :mod:`workflows.steps.testimonies`.

A testimony document (collection ``testimonies``)::

    {"ref": "T-4", "member": "M-14", "signature": "anonyme"|"prénom",
     "first_name": the first name shown when the author chose « prénom » and the robot can
                   tell one (:func:`workflows.model.privacy.public_member`), else None,
     "text": the author's words as written (contact details still in: the animators read
             them; the page shows :func:`public_testimony`),
     "status": "held"|"published"|"refused"|"withdrawn",
     "created": UTC ISO, "decided": UTC ISO | None, "decided_by": animator | None,
     "published": UTC ISO | None, "withdrawn": UTC ISO | None,
     "source": Message-ID of the author's mail}

The author's erasure deletes their testimonies whole (:mod:`workflows.steps.erasure`).
"""
from __future__ import annotations

from typing import Iterable

import re

from workflows.mail.fields import read_fields
from workflows.model.privacy import mask_names, redact

STATUSES = ("held", "published", "refused", "withdrawn")

REF_PREFIX = "T-"

_KEYWORD_RE = re.compile(r"^\s*t[eé]moignage\b\s*:?\s*", re.IGNORECASE)


def is_testimony_ref(ref: str | None) -> bool:
    """``T-4`` (any case): a testimony's reference, not an item's."""
    return bool(ref) and ref.strip().upper().startswith(REF_PREFIX)


def testimony_text(text: str | None) -> str:
    """The author's own words in a ``TÉMOIGNAGE`` message's text (quotes and signature
    already removed by the parser): without its fields (``Signature : prénom``) and
    without the keyword when the body starts with it. Empty when nothing is left."""
    words = read_fields(text or "", None).free_text.strip()
    match = _KEYWORD_RE.match(words)
    if match:
        words = words[match.end():]
    return words.strip()


def shown_author(testimony: dict) -> str | None:
    """The first name the page shows, or None for « un membre »."""
    return testimony.get("first_name") if testimony.get("signature") == "prénom" else None


def public_testimony(testimony: dict, names: "Iterable[str | None]" = ()) -> dict:
    """A testimony as the public page and the animators' notices show it: its reference,
    its words with every contact detail masked and every word of the members' ``names``
    (:func:`workflows.model.privacy.mask_names`; the first name the author signs with
    stays), and the author as chosen."""
    text = mask_names(redact(testimony.get("text")) or "", names, keep=[shown_author(testimony)])
    return {"ref": testimony["ref"], "text": text,
            "author": shown_author(testimony), "signature": testimony.get("signature") or "anonyme"}


def published(testimonies: list[dict], names: "Iterable[str | None]" = ()) -> list[dict]:
    """The published ones, most recent first, as :func:`public_testimony` (``names``: the
    members' names, masked in the words)."""
    shown = [t for t in testimonies if t.get("status") == "published"]
    shown.sort(key=lambda t: t.get("published") or "", reverse=True)
    names = list(names)
    return [public_testimony(t, names) for t in shown]
