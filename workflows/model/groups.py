"""Groups (*échanges collectifs*, ``G-<n>``) as data: one collective offer and several
askers; who holds a place, who waits, which items a group holds (protocol.md, "Groups").
The life of a group is in :mod:`workflows.steps.groups`.

A group document (collection ``groups``)::

    {"ref": "G-3", "offer": "O-12", "offer_member": "M-3" | None (erased),
     "capacity": 8, "source": "matching"|"command",
     "status": "proposed"|"lead"|"open"|"bilan"|"completed"|
               "refused"|"declined"|"expired"|"cancelled",
     "created": UTC ISO, "approved": UTC ISO | None, "decided_by": animator | None,
     "led": UTC ISO | None (the offerer's OUI),
     "askers": [{"member": "M-5", "demand": "D-7", "score": 0.0-1.0, "why": [lines],
                 "state": "invited"|"asked"|"member"|"waiting"|"declined"|"left"|"expired"|"ended",
                 "since": UTC ISO, "round": int}],
     "places": ["M-5", …], "waiting": ["M-9", …],   (member refs, in the order they said OUI)
     "sessions": [UID, …], "first_session": "YYYY-MM-DD" | None,
     "bilan_asked": UTC ISO | None, "bilans": [{"member": "M-5" | None (erased), "side": "offer"|"asker", bilan record…}],
     "closed": UTC ISO | None, "close_reason": str | None,
     "earlier": ["G-1", …] (the groups around this offer that expired before it without
                the team's answer), "again_after": UTC ISO (only on the first group around
                an offer that expired so: when matching may gather one again),
     "reoffered": UTC ISO (when it did),
     "history": [{"at": UTC ISO, "event": str}]}

An asker is ``invited`` while the animators and the offerer decide, ``asked`` once their
question left, then ``member`` (a place), ``waiting`` (the waiting list), ``declined``
(NON), ``left`` (NON after OUI, their demand withdrawn), ``expired`` (no answer) or
``ended`` (the group ended before it took place, while they were in it). The
asker's ``round`` counts the places they took: a member who leaves and gets a place
again receives new invitations, not the ones already sent. An erased member's entry stays,
anonymous (``member``, ``demand`` and ``why`` emptied: the counts still hold), and their
bilan keeps only whether the group happened.

Items a group holds carry ``"group": "G-3"`` (the offer, and each asker's demand): a
marker that matching reads (:func:`holds`), always checked against the group itself.
"""
from __future__ import annotations

from types import MappingProxyType

from workflows.model.items import is_collective
from workflows.model.said import Label

STATUS = MappingProxyType({
    "proposed": Label("group", "proposed"), "lead": Label("group", "lead"), "open": Label("group", "open"),
    "bilan": Label("group", "bilan"), "completed": Label("group", "completed"), "refused": Label("group", "refused"),
    "declined": Label("group", "declined"), "expired": Label("group", "expired"),
    "cancelled": Label("group", "cancelled")})
"""A group's status (the store's word) as the operator reads it (``rers groups``, a refused command)."""
ASKER_STATE = MappingProxyType({
    "invited": Label("asker", "invited"), "asked": Label("asker", "asked"), "member": Label("asker", "member"),
    "waiting": Label("asker", "waiting"), "declined": Label("asker", "declined"), "left": Label("asker", "left"),
    "expired": Label("asker", "expired"), "ended": Label("asker", "ended")})
"""An asker's state in a group, as the operator reads it."""

BUSY = ("proposed", "lead", "open")
"""Statuses of a group still gathering people: its offer and its askers' demands wait on it."""

SERVING = ("bilan", "completed")
"""Statuses of a group that took place: the demands of its members were served by it."""

ENDED = ("completed", "refused", "declined", "expired", "cancelled")

IN_PLAY = ("invited", "asked", "member", "waiting")
"""Asker states still part of the group."""

SIDE_OFFER = "offer"
"""The key of the offerer's bilan in ``bilans`` (the askers' are their member refs)."""


def collective(item: dict | None) -> bool:
    """True for an offer whose modality is collective
    (:data:`workflows.model.items.COLLECTIVE`): it gathers a group, never a pair."""
    return bool(item) and is_collective(item)


def asker(group: dict, member_ref: str | None) -> dict | None:
    """The asker entry of ``member_ref`` in ``group``, or None."""
    return next((a for a in group.get("askers", ()) if a["member"] == member_ref), None)


def members(group: dict) -> list[str]:
    """The member refs holding a place, in the order they took it."""
    return list(group.get("places", ()))


def free_places(group: dict) -> int:
    return max(0, int(group.get("capacity") or 0) - len(group.get("places", ())))


def holds(group: dict | None, item: dict) -> bool:
    """True when ``group`` holds ``item`` out of other matching: its offer while the group
    gathers people, a demand while its asker is still in play, and, once the group took
    place, the demand of a member who had a place (served, as by an introduction)."""
    if group is None or item.get("group") != group.get("ref"):
        return False
    if item["ref"] == group.get("offer"):
        return group["status"] in BUSY
    entry = next((a for a in group.get("askers", ()) if a.get("demand") == item["ref"]), None)
    if entry is None:
        return False
    if group["status"] in BUSY:
        return entry["state"] in IN_PLAY
    return group["status"] in SERVING and entry["state"] == "member"


def participants(group: dict) -> list[str]:
    """Who gets the bilan question: the members holding a place, then the offerer."""
    return [*members(group), *([group["offer_member"]] if group.get("offer_member") else [])]


COMMAND_PROBLEMS = ("missing", "not an offer", "closed", "in a group", "no demand")
"""Why ``GROUPE O-12`` was not carried out (the template ``group_command`` says each)."""
