"""Member documents: finding a person and recording their own fields.

A member document (collection ``members``)::

    {"ref": "M-14", "address": "marie@example.org" | None, "name": str | None,
     "phone": "+33…" | None, "contact": "email"|"phone"|"permanence",
     "invitations": bool, "status": "pending"|"confirmed", "language": "fr",
     "created": UTC ISO, "confirmed": UTC ISO | None, "undeliverable": bool}

``address`` is lower-cased; members registered by an animator may have none.
"""
from __future__ import annotations

from dataclasses import replace

from workflows.context import Context
from workflows.mail.model import MemberFields


def find_member(ctx: Context, address: str | None) -> dict | None:
    """The member (pending or confirmed) with this address, or None."""
    if not address:
        return None
    return ctx.store.members.find_one("address", address.lower())


def apply_fields(member: dict, fields: MemberFields) -> dict:
    """The member with the fields the person wrote (only those given) taken in."""
    changes = {k: v for k, v in vars(fields).items() if v is not None}
    return {**member, **changes}


def ensure_member(ctx: Context, address: str, fields: MemberFields, display_name: str | None = None) -> tuple[dict, bool]:
    """The member for ``address``, created as ``pending`` when unknown.

    Returns ``(member document with its id, created)``; the person's fields from this
    message are recorded either way. ``display_name`` (the From header's name) is the
    name of a new member who wrote no ``Nom :`` line.
    """
    member = find_member(ctx, address)
    if member is None:
        if fields.name is None and display_name:
            fields = replace(fields, name=display_name)
        number = ctx.store.next_number("member")
        doc = apply_fields(
            {
                "ref": f"M-{number}",
                "address": address.lower(),
                "name": None,
                "phone": None,
                "contact": "email",
                "invitations": False,
                "status": "pending",
                "language": ctx.settings.network.language,
                "created": ctx.stamp(),
                "confirmed": None,
                "undeliverable": False,
            },
            fields,
        )
        doc_id = ctx.store.members.insert(doc)
        return ctx.store.members.get(doc_id), True
    updated = apply_fields(member, fields)
    if member.get("undeliverable"):
        # The person wrote again: their address works, the robot may write to it again.
        updated["undeliverable"] = False
    if updated != member:
        ctx.store.members.replace(member["id"], updated)
    return ctx.store.members.get(member["id"]), False
