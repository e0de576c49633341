"""The people who write: who sent a message, and their member record — created as
pending for a newcomer, completed (never changed) for a confirmed member.

A member document is described in :mod:`workflows.model.members`.
"""
from __future__ import annotations

from dataclasses import replace

from workflows.decision import Incoming, Plan
from workflows.lookup import find_member
from workflows.mail.model import MemberFields
from workflows.mail.sender import person_address
from workflows.model.members import apply_fields


def new_member(plan: Plan, *, address: str | None, fields: MemberFields, status: str,
               registered_by: str | None = None) -> dict:
    """Insert a member (``M-<n>``) and return it with its id. In a transaction."""
    number = plan.next_number("member")
    doc = apply_fields(
        {
            "ref": f"M-{number}",
            "address": address.lower() if address else None,
            "name": None,
            "first_name": None,
            "phone": None,
            "contact": "email" if address else ("phone" if fields.phone else "permanence"),
            "invitations": False,
            "status": status,
            "language": plan.settings.network.language,
            "created": plan.stamp(),
            "confirmed": plan.stamp() if status == "confirmed" else None,
            "undeliverable": False,
            "registered_by": registered_by,
        },
        fields,
    )
    return plan.members.get(plan.members.insert(doc))


def ensure_member(plan: Plan, address: str, fields: MemberFields, display_name: str | None = None) -> tuple[dict, bool]:
    """The member for ``address``, created as ``pending`` when unknown.

    Returns ``(member document with its id, created)``. ``display_name`` (the From
    header's name) is the name of a new member who wrote no ``Nom :`` line. A pending
    member's fields are taken as written; a confirmed member's name and phone are only
    completed, never changed, because anyone can forge a From line: such a change goes to
    the animators instead (see :func:`differing_fields`).
    """
    member = find_member(plan, address)
    if member is None:
        if fields.name is None and display_name:
            fields = replace(fields, name=display_name)
        return new_member(plan, address=address, fields=fields, status="pending"), True
    updated = apply_fields(member, fields, keep_identity=member["status"] == "confirmed")
    if updated != member:
        plan.members.replace(member["id"], updated)
    return wrote_again(plan, address) or member, False


def wrote_again(plan: Plan, address: str | None) -> dict | None:
    """The member with this address, after noting that they wrote: an address a bounce
    marked undeliverable is taken as working again (protocol.md, "Intents", bounce).
    Returns the member (None when the address is no member's)."""
    member = find_member(plan, address)
    if member is not None and member.get("undeliverable"):
        member = plan.members.update(member["id"], undeliverable=False)
    return member


def who_wrote(plan: Plan, incoming: Incoming) -> tuple[str | None, dict | None]:
    """``(the person's address, their member document or None)``; the person wrote, so
    an address marked undeliverable works again."""
    address = person_address(incoming.parsed)
    return address, wrote_again(plan, address)
