"""Member documents: finding a person and recording their own fields.

A member document (collection ``members``)::

    {"ref": "M-14", "address": "marie@example.org" | None, "name": str | None,
     "phone": "+33…" | None, "contact": "email"|"phone"|"permanence",
     "invitations": bool, "status": "pending"|"confirmed", "language": "fr",
     "created": UTC ISO, "confirmed": UTC ISO | None, "undeliverable": bool,
     "registered_by": str | None, "invitations_round": int (absent: 0),
     "former": [{"name": str, "phone": str}] (absent: none)}

``address`` is lower-cased; members registered by an animator may have none
(``registered_by`` then names the animator). ``undeliverable``: a hard bounce came back
for the address; nothing is sent to it until the person writes again.
``invitations_round``: how many times the member turned invitations off (part of the
calendar mails' Message-IDs, see :mod:`workflows.steps.invitations`). ``former``: the names and
phones an animator replaced (``[{"name"?, "phone"?}]``), for the erasure.
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


def find_ref(ctx: Context, ref: str | None) -> dict | None:
    """The member ``M-14`` (any case, spaces tolerated), or None."""
    if not ref:
        return None
    return ctx.store.members.find_one("ref", normalise_ref(ref))


def normalise_ref(ref: str) -> str:
    """``m 14`` / ``M-014`` → ``M-14``; anything else is returned upper-cased as is."""
    compact = "".join(ref.split()).upper().replace("-", "")
    if compact.startswith("M") and compact[1:].isdigit():
        return f"M-{int(compact[1:])}"
    return ref.strip().upper()


IDENTITY_FIELDS = ("name", "phone")
"""What says who a member is and how to reach them: a confirmed member's recorded values
are never changed by a mail (its From line proves nothing); preferences (``contact``,
``invitations``) are, since each introduction asks again before disclosing anything."""


NAME_MAX = 100
"""Characters kept of a name: it goes into mail headers (a line over 998 characters is
refused by SMTP servers, RFC 5322 2.1.1) and into every list."""


def apply_fields(member: dict, fields: MemberFields, *, keep_identity: bool = False) -> dict:
    """The member with the fields the person wrote (only those given) taken in, a name cut
    to :data:`NAME_MAX` characters; ``keep_identity``: :data:`IDENTITY_FIELDS` only where
    nothing is recorded yet."""
    changes = {k: v for k, v in vars(fields).items() if v is not None}
    if changes.get("name") and len(changes["name"]) > NAME_MAX:
        changes["name"] = changes["name"][:NAME_MAX - 1].rstrip() + "…"
    if keep_identity:
        changes = {k: v for k, v in changes.items() if k not in IDENTITY_FIELDS or member.get(k) in (None, "")}
    return {**member, **changes}


def differing_fields(member: dict, fields: MemberFields) -> list[str]:
    """The :data:`IDENTITY_FIELDS` written in a message that differ from recorded values."""
    written = {k: getattr(fields, k) for k in IDENTITY_FIELDS if getattr(fields, k) is not None}
    return [k for k, v in written.items() if member.get(k) not in (None, "", v)]


def new_member(ctx: Context, *, address: str | None, fields: MemberFields, status: str,
               registered_by: str | None = None) -> dict:
    """Insert a member (``M-<n>``) and return it with its id. In a transaction."""
    number = ctx.store.next_number("member")
    doc = apply_fields(
        {
            "ref": f"M-{number}",
            "address": address.lower() if address else None,
            "name": None,
            "phone": None,
            "contact": "email" if address else ("phone" if fields.phone else "permanence"),
            "invitations": False,
            "status": status,
            "language": ctx.settings.network.language,
            "created": ctx.stamp(),
            "confirmed": ctx.stamp() if status == "confirmed" else None,
            "undeliverable": False,
            "registered_by": registered_by,
        },
        fields,
    )
    return ctx.store.members.get(ctx.store.members.insert(doc))


def ensure_member(ctx: Context, address: str, fields: MemberFields, display_name: str | None = None) -> tuple[dict, bool]:
    """The member for ``address``, created as ``pending`` when unknown.

    Returns ``(member document with its id, created)``. ``display_name`` (the From
    header's name) is the name of a new member who wrote no ``Nom :`` line. A pending
    member's fields are taken as written; a confirmed member's name and phone are only
    completed, never changed, because anyone can forge a From line: such a change goes to
    the animators instead (see :func:`differing_fields`).
    """
    member = find_member(ctx, address)
    if member is None:
        if fields.name is None and display_name:
            fields = replace(fields, name=display_name)
        return new_member(ctx, address=address, fields=fields, status="pending"), True
    updated = apply_fields(member, fields, keep_identity=member["status"] == "confirmed")
    if updated != member:
        ctx.store.members.replace(member["id"], updated)
    return wrote_again(ctx, address) or member, False


def wrote_again(ctx: Context, address: str | None) -> dict | None:
    """The member with this address, after noting that they wrote: an address a bounce
    marked undeliverable is taken as working again (protocol.md, "Intents", bounce).
    Returns the member (None when the address is no member's)."""
    member = find_member(ctx, address)
    if member is not None and member.get("undeliverable"):
        member = ctx.store.members.update(member["id"], undeliverable=False)
    return member

