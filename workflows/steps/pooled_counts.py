"""The organising side of pooled events (docs/reseaux-voisins.md, « Événements partagés »):
how many members of a linked network said yes to this network's events.

A peer that pools this network's published calendar invites its own members and keeps
their answers; it sends back only a signed ``count`` message (``[RERS-FED] count``)::

    {"counts": [{"uid": "<this network's event UID>", "occurrence": "YYYY-MM-DD" | null,
                 "yes": int}, ...]}

one entry per event (``occurrence`` null: the whole event) or per day of a series,
the whole list each time (what it holds replaces what was kept). Kept per peer in
``state["pooled-counts:<peer address>"]`` = ``{"at": UTC ISO, "counts": [entries]}``,
never a name or an address: there are none to keep.
"""
from __future__ import annotations

from datetime import date

from config.settings import Peer
from workflows.decision import Plan
from workflows.steps.calendar import find_series

MAX_COUNTS = 1000
"""At most this many entries are read from one message."""


def _key(address: str) -> str:
    return f"pooled-counts:{address}"


def read_counts(body: dict) -> list[dict]:
    """The entries of a ``count`` body that can be read (see the module docstring): a
    UID (a string of at most 300 characters), an ISO day or null, a whole number of yes
    from 0 to 100 000; anything else in an entry dropped, an unreadable entry left out."""
    found = []
    entries = body.get("counts")
    for entry in (entries if isinstance(entries, list) else [])[:MAX_COUNTS]:
        if not isinstance(entry, dict) or not isinstance(entry.get("uid"), str) or len(entry["uid"]) > 300:
            continue
        yes, day = entry.get("yes"), entry.get("occurrence")
        if not isinstance(yes, int) or isinstance(yes, bool) or not 0 <= yes <= 100_000:
            continue
        if day is not None:
            try:
                day = date.fromisoformat(day).isoformat() if isinstance(day, str) else ""
            except ValueError:
                day = ""
            if not day:
                continue
        found.append({"uid": entry["uid"], "occurrence": day, "yes": yes})
    return found


def record_counts(plan: Plan, peer: Peer, body: dict) -> int:
    """Keep what ``peer`` counted (:func:`read_counts`) for this network's own events
    (a UID this robot does not publish is left out). Returns how many were kept. In a
    transaction."""
    kept = []
    for entry in read_counts(body):
        series = find_series(plan, entry["uid"])
        if series is None or series.peer is not None:
            continue
        kept.append({**entry, "title": series.title})
    plan.set_state(_key(peer.address), {"at": plan.stamp(), "counts": kept})
    plan.audit.info("federation: %d count(s) of pooled events from %s", len(kept), peer.name)
    return len(kept)


def counts_received(store, peer: Peer) -> dict:
    """What ``peer`` last counted: ``{"at": UTC ISO | None, "counts": [{"uid", "title",
    "occurrence", "yes"}]}``. Reads only (a plan or a view)."""
    found = store.get_state(_key(peer.address)) or {}
    return {"at": found.get("at"), "counts": list(found.get("counts") or ())}
