"""Member documents: finding a person and recording their own fields.

A member document (collection ``members``)::

    {"ref": "M-14", "address": "marie@example.org" | None, "name": str | None,
     "first_name": str | None (given as such: « Prénom : Marie »; absent in older stores),
     "phone": "+33…" | None, "contact": "email"|"phone"|"permanence",
     "invitations": bool, "status": "pending"|"confirmed", "language": "fr",
     "created": UTC ISO, "confirmed": UTC ISO | None, "undeliverable": bool,
     "registered_by": str | None, "invitations_round": int (absent: 0),
     "former": [{"name": str, "phone": str, "address": str}] (absent: none)}

``address`` is lower-cased; members registered by an animator may have none
(``registered_by`` then names the animator). ``undeliverable``: a hard bounce came back
for the address; nothing is sent to it until the person writes again.
``invitations_round``: how many times the member turned invitations off (part of the
calendar mails' Message-IDs, see :mod:`workflows.steps.invitations`). ``former``: the names and
phones an animator replaced (``[{"name"?, "phone"?}]``), for the erasure, and the addresses the
member moved away from (``[{"address"}]``, lower-cased: nothing more is sent there).
"""
from __future__ import annotations

from workflows.mail.model import MemberFields


def normalise_ref(ref: str) -> str:
    """``m 14`` / ``M-014`` → ``M-14``; anything else is returned upper-cased as is."""
    compact = "".join(ref.split()).upper().replace("-", "")
    if compact.startswith("M") and compact[1:].isdigit():
        return f"M-{int(compact[1:])}"
    return ref.strip().upper()


IDENTITY_FIELDS = ("name", "first_name", "phone")
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
    for key in ("name", "first_name"):
        if changes.get(key) and len(changes[key]) > NAME_MAX:
            changes[key] = changes[key][:NAME_MAX - 1].rstrip() + "…"
    if keep_identity:
        changes = {k: v for k, v in changes.items() if k not in IDENTITY_FIELDS or member.get(k) in (None, "")}
    return {**member, **changes}


def differing_fields(member: dict, fields: MemberFields) -> list[str]:
    """The :data:`IDENTITY_FIELDS` written in a message that differ from recorded values."""
    written = {k: getattr(fields, k) for k in IDENTITY_FIELDS if getattr(fields, k) is not None}
    return [k for k, v in written.items() if member.get(k) not in (None, "", v)]


RECORD_FIELDS = ("name", "first_name", "phone", "contact", "invitations", "invitation_kinds", "digest")
"""A member's own record as a message may write it (``MemberFields``): who they are and
how to reach them, and their preferences."""


def attempted_changes(member: dict, fields: MemberFields, keys: tuple[str, ...] = RECORD_FIELDS) -> dict:
    """The fields among ``keys`` written in a message (``fields``) whose value is not the
    recorded one: what the message would fill in or change, ``{field: value}``."""
    written = {k: getattr(fields, k) for k in keys if getattr(fields, k) is not None}
    return {k: v for k, v in written.items() if member.get(k) != v}


def reachable(member: dict) -> bool:
    """True when mail to ``member`` can reach them: an address not marked undeliverable."""
    return bool(member.get("address")) and not member.get("undeliverable")
