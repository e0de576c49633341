"""Membership workflows: joining (and, later, confirming, withdrawing, erasing)."""
from __future__ import annotations

import logging

from workflows.context import Context, Incoming
from workflows.items import record_items
from workflows.members import ensure_member
from workflows.responses import answer_sender, forward_to_animators, person_address, person_name

audit = logging.getLogger("rers.audit")


def on_join(ctx: Context, incoming: Incoming) -> str:
    """``join``: record the person (pending) and the items of the message, acknowledge."""
    parsed = incoming.parsed
    address = person_address(incoming)
    if not address:
        forward_to_animators(ctx, incoming, reason="Demande d'adhésion sans adresse lisible.")
        return "forwarded: no address"
    member, created = ensure_member(ctx, address, parsed.member, person_name(incoming))
    items = record_items(ctx, member, parsed.items, incoming)
    answer_sender(
        ctx,
        incoming,
        template="join_ack",
        context={"member": member, "items": items, "created": created},
        purpose="join_ack",
    )
    audit.info("%s: join %s %s, %d item(s)", parsed.message_id, member["ref"], "new" if created else "known", len(items))
    return f"join {member['ref']}"


ANSWER_HANDLERS: dict = {}
"""Question kinds answered by members about their membership (``join``, ``withdraw``,
``withdraw_item``…) → handler; see :mod:`workflows.replies`."""
