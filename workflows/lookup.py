"""Reading the store the one way: a member by address or ref, an item, an introduction,
a group (and the group that holds an item), a member's items and consents, whether an address is an animator's, a token as the store
keeps it. Every function reads through a :class:`~workflows.decision.Plan` (or anything
that reads like the store: a command that only looks passes the store itself).
"""
from __future__ import annotations

from workflows.decision import Plan
from workflows.model.groups import holds
from workflows.model.members import normalise_ref


def find_member(plan: Plan, address: str | None) -> dict | None:
    """The member (pending or confirmed) with this address, or None."""
    if not address:
        return None
    return plan.members.find_one("address", address.lower())


def moved_from(plan: Plan, address: str | None) -> dict | None:
    """The member who moved away from ``address`` (one of their ``former`` addresses,
    recorded by :func:`workflows.steps.addresses.move`), or None — None too when a member
    has that address now (it is theirs, or the member moved back)."""
    if not address or find_member(plan, address) is not None:
        return None
    lowered = address.lower()
    return next(plan.members.scan(lambda m: any(f.get("address") == lowered for f in m.get("former") or ())), None)


def find_ref(plan: Plan, ref: str | None) -> dict | None:
    """The member ``M-14`` (any case, spaces tolerated), or None."""
    if not ref:
        return None
    return plan.members.find_one("ref", normalise_ref(ref))


def items_of(plan: Plan, member_ref: str, *statuses: str) -> list[dict]:
    """The member's items (only those in ``statuses`` when given), by creation."""
    found = plan.items.find("member", member_ref)
    return [i for i in found if not statuses or i["status"] in statuses]


def consent_history(plan: Plan, member: str, purpose: str | None = None) -> list[dict]:
    """Every consent record of ``member`` (of ``purpose`` when given), oldest first."""
    return [c for c in plan.consents.find("member", member) if purpose is None or c["purpose"] == purpose]


def consent_in_force(plan: Plan, member: str, purpose: str, subject_ref: str | None = None) -> dict | None:
    """The record in force for ``member``, ``purpose`` and ``subject_ref`` (default: the
    member), or None."""
    subject_ref = subject_ref or member
    for doc in reversed(consent_history(plan, member, purpose)):
        if doc["subject_ref"] == subject_ref and doc["superseded"] is None:
            return doc
    return None


def is_animator(plan: Plan, address: str | None) -> bool:
    """True when ``address`` is one of the configured animators' (lower-cased)."""
    return bool(address) and address in plan.settings.network.animators


def find_introduction(plan: Plan, ref: str | None) -> dict | None:
    """The introduction ``MR-7``, or None."""
    return plan.introductions.find_one("ref", ref) if ref else None


def find_item(plan: Plan, ref: str | None) -> dict | None:
    """The item ``O-12`` / ``D-7``, or None."""
    return plan.items.find_one("ref", ref) if ref else None


def token_hash(plan: Plan, token: str) -> str:
    """The stored form of a token: the plan's keyed hash of it in capitals."""
    return plan.keyed_hash(token.upper())


def find_group(plan: Plan, ref: str | None) -> dict | None:
    """The group ``G-3`` (any case), or None."""
    return plan.groups.find_one("ref", ref.strip().upper()) if ref else None


def group_holding(plan: Plan, item: dict) -> dict | None:
    """The group that holds ``item`` out of other matching (:func:`workflows.model.groups.holds`),
    or None."""
    group = find_group(plan, item.get("group")) if item.get("group") else None
    return group if holds(group, item) else None
