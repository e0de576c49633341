"""Reading the store the one way: a member by address or ref, an item, an introduction,
a member's items and consents, whether an address is an animator's, the keyed hashes the
store keeps instead of addresses and tokens.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from workflows.context import Context
from workflows.model.members import normalise_ref


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


def items_of(ctx: Context, member_ref: str, *statuses: str) -> list[dict]:
    """The member's items (only those in ``statuses`` when given), by creation."""
    found = ctx.store.items.find("member", member_ref)
    return [i for i in found if not statuses or i["status"] in statuses]


def consent_history(ctx: Context, member: str, purpose: str | None = None) -> list[dict]:
    """Every consent record of ``member`` (of ``purpose`` when given), oldest first."""
    return [c for c in ctx.store.consents.find("member", member) if purpose is None or c["purpose"] == purpose]


def consent_in_force(ctx: Context, member: str, purpose: str, subject_ref: str | None = None) -> dict | None:
    """The record in force for ``member``, ``purpose`` and ``subject_ref`` (default: the
    member), or None."""
    subject_ref = subject_ref or member
    for doc in reversed(consent_history(ctx, member, purpose)):
        if doc["subject_ref"] == subject_ref and doc["superseded"] is None:
            return doc
    return None


def is_animator(ctx: Context, address: str | None) -> bool:
    return bool(address) and address in ctx.settings.network.animators


def find_introduction(ctx: Context, ref: str | None) -> dict | None:
    return ctx.store.introductions.find_one("ref", ref) if ref else None


def find_item(ctx: Context, ref: str) -> dict | None:
    return ctx.store.items.find_one("ref", ref)


def _key(ctx: Context) -> bytes:
    key = ctx.store.get_state("token_key")
    if key is None:
        key = secrets.token_hex(32)
        ctx.store.set_state("token_key", key)
    return bytes.fromhex(key)


def keyed_hash(ctx: Context, text: str) -> str:
    """HMAC-SHA256 of ``text`` under the store's own random key (created on first use), in
    hex: what the store keeps instead of a token or an address, so that holding the file
    is not enough to test a guess."""
    return hmac.new(_key(ctx), text.encode("utf-8"), hashlib.sha256).hexdigest()


def token_hash(ctx: Context, token: str) -> str:
    """The stored form of a token: :func:`keyed_hash` of it in capitals."""
    return keyed_hash(ctx, token.upper())
