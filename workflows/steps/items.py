"""Knowledge items: offers (``O-<n>``) and demands (``D-<n>``).

An item document (collection ``items``)::

    {"ref": "O-12", "kind": "offer"|"demand", "member": "M-14", "title": str,
     "description": str | None, "modality": str | None, "availability": str | None,
     "place": str | None, "status": "held"|"open"|"closed",
     "created": UTC ISO, "closed": UTC ISO | None, "source": Message-ID}

``held``: its member has not confirmed joining yet; it is released (``open``) on
confirmation and erased with the pending member otherwise. The workflows that receive
offers and demands by mail are in :mod:`workflows.steps.membership` (a non-member's offer is a
join).
"""
from __future__ import annotations

from dataclasses import asdict

from workflows.context import Context
from workflows.mail.model import Item

PREFIX = {"offer": "O", "demand": "D"}
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


def record_items(ctx: Context, member: dict, items: list[Item], source: str) -> list[dict]:
    """Store each item for ``member``; returns the stored documents in order.

    Items of a pending member are ``held`` until the member confirms. ``source``: the
    Message-ID of the mail that carried them (or ``cli:…`` for the command line).
    """
    status = "open" if member["status"] == "confirmed" else "held"
    stored = []
    for item in items:
        number = ctx.store.next_number(item.kind)
        fields = asdict(item)
        fields.update({key: _bounded(fields.get(key), limit) for key, limit in LIMITS.items() if key in fields})
        doc = {
            **fields,
            "ref": f"{PREFIX[item.kind]}-{number}",
            "member": member["ref"],
            "status": status,
            "created": ctx.stamp(),
            "closed": None,
            "source": source,
        }
        stored.append(ctx.store.items.get(ctx.store.items.insert(doc)))
    return stored


def items_of(ctx: Context, member_ref: str, *statuses: str) -> list[dict]:
    """The member's items (only those in ``statuses`` when given), by creation."""
    found = ctx.store.items.find("member", member_ref)
    return [i for i in found if not statuses or i["status"] in statuses]


def release_held(ctx: Context, member_ref: str) -> list[dict]:
    """Open the member's held items (they just confirmed joining); returns them."""
    return [ctx.store.items.update(i["id"], status="open") for i in items_of(ctx, member_ref, "held")]


def close_item(ctx: Context, item: dict) -> dict:
    """Close an item (withdrawn by its member); returns it."""
    return ctx.store.items.update(item["id"], status="closed", closed=ctx.stamp())
