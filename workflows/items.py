"""Knowledge items: offers (``O-<n>``) and demands (``D-<n>``).

An item document (collection ``items``)::

    {"ref": "O-12", "kind": "offer"|"demand", "member": "M-14", "title": str,
     "description": str | None, "modality": str | None, "availability": str | None,
     "place": str | None, "status": "held"|"open"|"closed",
     "created": UTC ISO, "closed": UTC ISO | None, "source": Message-ID}

``held``: its member has not confirmed joining yet; it is released (``open``) on
confirmation and erased with the pending member otherwise.
"""
from __future__ import annotations

import logging
from dataclasses import asdict

from workflows.context import Context, Incoming
from workflows.mail.model import Item
from workflows.members import ensure_member
from workflows.responses import answer_sender, forward_to_animators, person_address, person_name

audit = logging.getLogger("rers.audit")

PREFIX = {"offer": "O", "demand": "D"}


def record_items(ctx: Context, member: dict, items: list[Item], incoming: Incoming) -> list[dict]:
    """Store each item for ``member``; returns the stored documents in order.

    Items of a pending member are ``held`` until the member confirms.
    """
    status = "open" if member["status"] == "confirmed" else "held"
    stored = []
    for item in items:
        number = ctx.store.next_number(item.kind)
        doc = {
            **asdict(item),
            "ref": f"{PREFIX[item.kind]}-{number}",
            "member": member["ref"],
            "status": status,
            "created": ctx.stamp(),
            "closed": None,
            "source": incoming.parsed.message_id,
        }
        stored.append(ctx.store.items.get(ctx.store.items.insert(doc)))
    return stored


def on_item(ctx: Context, incoming: Incoming) -> str:
    """``offer`` / ``demand``: record the items (joining the sender if unknown), acknowledge.

    A message with no readable title cannot become an item: the animators get it, and the
    sender is told how to write one.
    """
    parsed = incoming.parsed
    address = person_address(incoming)
    if not address:
        forward_to_animators(ctx, incoming, reason="Offre ou demande sans adresse lisible.")
        return "forwarded: no address"
    if not parsed.items:
        forward_to_animators(ctx, incoming, reason="Offre ou demande sans savoir lisible (pas de titre).")
        answer_sender(ctx, incoming, template="item_unclear", context={"intent": parsed.intent}, purpose="item_unclear")
        return "forwarded: no title"
    member, created = ensure_member(ctx, address, parsed.member, person_name(incoming))
    items = record_items(ctx, member, parsed.items, incoming)
    answer_sender(
        ctx,
        incoming,
        template="items_ack",
        context={"member": member, "items": items, "created": created},
        purpose="items_ack",
    )
    audit.info("%s: %s %s", parsed.message_id, member["ref"], ", ".join(i["ref"] for i in items))
    return "recorded " + ", ".join(i["ref"] for i in items)
