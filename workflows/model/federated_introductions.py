"""Cross-network introductions as data (protocol.md, « Linked networks »): the bodies of
the signed messages that carry their states, what each side's record may hold, and what
is due next. The life of one is in :mod:`workflows.steps.federated_introductions`.

A cross-network introduction ``MRV-<n>`` pairs a demand of this network's member with an
offer a linked network shares (or the reverse, on the offering side). Each network keeps
its own record, never the other's member: only the other item's shared entry
(:data:`workflows.model.federation.ITEM_FIELDS`), and the states the peer sent. The
record's ``key`` is the asking side's ``MRV-<n>``: both records of one introduction
share it, and every message names it (``id``).

Message bodies (inside the signed envelope of :mod:`workflows.model.federation`)::

    proposal   {"id", "offer": the offer's ref at the receiver, "demand": a shared entry,
                "score": 0.0-1.0}                    asking side → offering side
    approval   {"id"}                                this side's animators said yes
    consent    {"id"}                                this side's member said yes
    introduced {"id", "first_name": str | None,      both said yes: this side's member
                "contact": "email"|"phone"|"permanence", "value": str | None}
    withdrawn  {"id", "reason": one of REASONS}      this side ends it

``introduced`` is the only body holding anything of a member, and only once both
members consented; ``permanence`` sends no value (the receiver gives its member the
sender network's address, where its animators bring the two together).

Pure: no store, no clock.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable

from workflows.mail.model import CONTACTS
from workflows.model.federation import ITEM_FIELDS

KINDS = ("proposal", "approval", "consent", "introduced", "withdrawn")
"""The kinds of the robot-to-robot messages of a cross-network introduction."""

REASONS = ("refused", "declined", "withdrawn", "erased", "expired", "unavailable")
"""Why a side ends one: its animators refused, its member declined, the item was
withdrawn, the member erased, nobody answered in time, the offer is no longer there."""

PENDING = ("proposed", "consent")
"""Statuses still being decided."""

CLOSED_BY = {"refused": "refused", "declined": "declined", "expired": "expired", "withdrawn": "cancelled",
             "erased": "cancelled", "unavailable": "cancelled", "restarted": "expired"}
"""The status a record takes when a side ends it for ``reason`` — or this side, for
``restarted``: the peer restarted from an empty store and knows nothing of it any more
(never sent: it ends as for an expiry)."""

_ID_RE = re.compile(r"\AMRV-\d{1,9}\Z")
_ITEM_REF_RE = re.compile(r"\A[OD]-\d{1,9}\Z")
_EMAIL_RE = re.compile(r"\A[^@\s<>\"]{1,64}@[^@\s<>\"]{1,190}\Z")
_PHONE_RE = re.compile(r"\A\+?[\d .\-()]{6,30}\Z")


def read_id(body: dict) -> str | None:
    """The ``id`` of a message body (``MRV-<n>``), or None when missing or malformed."""
    found = body.get("id")
    return found if isinstance(found, str) and _ID_RE.match(found) else None


def _entry(found) -> dict | None:
    if not isinstance(found, dict) or not isinstance(found.get("title"), str) or not isinstance(found.get("ref"), str):
        return None
    return {name: (found.get(name)[:300] if isinstance(found.get(name), str) else None) for name in ITEM_FIELDS}


def read_proposal(body: dict) -> dict | None:
    """``{"id", "offer", "demand": entry, "score"}`` of a ``proposal`` body (the demand
    cut to :data:`ITEM_FIELDS`, strings of 300 characters at most), or None when a part is
    missing or malformed."""
    demand = _entry(body.get("demand"))
    offer = body.get("offer")
    score = body.get("score")
    if read_id(body) is None or demand is None or not isinstance(offer, str) or not _ITEM_REF_RE.match(offer) \
            or not offer.startswith("O-"):
        return None
    score = float(score) if isinstance(score, (int, float)) and not isinstance(score, bool) and 0 <= score <= 1 else 0.0
    return {"id": body["id"], "offer": offer, "demand": {**demand, "kind": "demand"}, "score": round(score, 2)}


def read_reason(body: dict) -> str:
    """The ``reason`` of a ``withdrawn`` body (``withdrawn`` when unknown)."""
    reason = body.get("reason")
    return reason if reason in REASONS else "withdrawn"


def read_introduced(body: dict) -> dict | None:
    """``{"first_name", "contact", "value"}`` of an ``introduced`` body, or None when the
    contact is not one of :data:`CONTACTS`, or its value not of that kind (an address for
    ``email``, a number for ``phone``, none for ``permanence``). The first name is cut to
    its first 40 characters."""
    contact, value, first = body.get("contact"), body.get("value"), body.get("first_name")
    if contact not in CONTACTS:
        return None
    if contact == "permanence":
        value = None
    elif not isinstance(value, str) or not (_EMAIL_RE if contact == "email" else _PHONE_RE).match(value.strip()):
        return None
    first = first.strip()[:40] or None if isinstance(first, str) else None
    return {"first_name": first, "contact": contact, "value": value.strip() if value else None}


def introduced_body(key: str, first_name: str | None, contact: str, value: str | None) -> dict:
    """The ``introduced`` body of this side's member (see the module docstring)."""
    return {"id": key, "first_name": first_name, "contact": contact,
            "value": None if contact == "permanence" else value}


def due(record: dict) -> str | None:
    """What a record waits for this side to do now: ``ask_consent`` (both teams approved,
    the member not asked yet), ``send_introduced`` (both members consented, this side's
    member not passed on yet), or None."""
    approvals, consents = record["approvals"], record["consents"]
    if record["status"] == "proposed" and approvals == {"ours": "yes", "theirs": "yes"}:
        return "ask_consent"
    if record["status"] == "consent" and consents == {"ours": "yes", "theirs": "yes"} and not record["sent_introduced"]:
        return "send_introduced"
    return None


def best_offer(demand_title: str, offers: Iterable[tuple[str, dict]], score: Callable[[str, str], float],
               minimum: float, tried: set[tuple[str, str]]) -> tuple[str, dict, float] | None:
    """The best ``(peer, offer entry, score)`` among ``offers`` (``(peer address, shared
    entry)`` pairs, offers only) for a demand titled ``demand_title``: ``score(offer
    title, demand title)`` at least ``minimum``, the pair ``(peer, offer ref)`` not in
    ``tried``. Ties go to the first given. None when none scores enough."""
    best = None
    for peer, entry in offers:
        if entry.get("kind") != "offer" or (peer, entry["ref"]) in tried:
            continue
        value = score(entry["title"], demand_title)
        if value >= minimum and (best is None or value > best[2]):
            best = (peer, entry, value)
    return best


def introduced_at(record: dict) -> str | None:
    """When ``record`` was made on this side (UTC ISO: the history's « introduced »
    event, when the peer's member's contact arrived), or None."""
    return next((h["at"] for h in record.get("history", []) if h["event"].startswith("introduced")), None)


def bilan_wanted(record: dict) -> bool:
    """True when our member's bilan of ``record`` is still to be asked (once
    ``bilan_days`` after :func:`introduced_at`): made, our member still here, not asked
    yet, and — if it ended since — the mail that gave our member the other's contact had
    left (``delivered``): an introduction our member never received has no bilan."""
    return (record["status"] == "introduced" and record.get("member") is not None and not record.get("bilan_asked")
            and introduced_at(record) is not None and (not record.get("close_reason") or bool(record.get("delivered"))))


def counts(records: list[dict], within: Callable[[str | None], bool]) -> dict:
    """The report's counts of cross-network introductions (records of ``crossings``):
    ``proposed`` (created ``within`` the period: a predicate on a UTC ISO stamp),
    ``introduced`` (made within it: :func:`introduced_at`), ``ended`` (refused, declined,
    cancelled or expired within it), ``in_progress`` (still being decided now)."""
    return {"proposed": sum(1 for r in records if within(r.get("created"))),
            "introduced": sum(1 for r in records if within(introduced_at(r))),
            "ended": sum(1 for r in records if within(r.get("closed"))),
            "in_progress": sum(1 for r in records if r["status"] in PENDING)}
