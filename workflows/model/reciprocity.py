"""Open reciprocity, without a currency (protocol.md, "The member's life in the network"):
« on donne au réseau, on reçoit du réseau » — what one gives is not owed back to the
person who received, and nothing is counted as a debt. Pure rules over stored documents:

* :func:`own_counts` — a member's own counts for MES DONNÉES: savoirs transmitted
  (introductions made on their offers), received (on their demands), groups they took
  part in;
* :func:`received_without_offering` — how many confirmed members received and never
  offered (the report: a count, never who);
* :func:`cycles` — the cycles of open reciprocity in the introductions made (A gave to B,
  B to C, C to A): a small graph search, giving each cycle's length only.
"""
from __future__ import annotations

from collections.abc import Iterable

MADE = ("introduced", "bilan", "completed")
"""The statuses of an introduction that was made (both consented)."""
HELD = ("open", "bilan", "completed")
"""The statuses of a group that gathered people."""
MAX_CYCLE = 6
"""Longest cycle looked for: longer rings are not what people recognise as « A gave to
B, B to C, C to A », and the search stays small."""
MAX_CYCLES = 1000
"""At most this many cycles counted (a bound on the search, never reached by a network's
introductions of a year)."""


def made(intro: dict) -> bool:
    """True for an introduction that was made (the two members put in touch)."""
    return intro.get("status") in MADE or (bool(intro.get("introduced")) and intro.get("status") != "cancelled")


def own_counts(ref: str, intros: Iterable[dict], groups: Iterable[dict]) -> dict:
    """``{"transmitted", "received", "groups"}`` for member ``ref``: introductions made
    on their offers, on their demands, and the groups (held) they led or had a place in."""
    transmitted = received = 0
    for intro in intros:
        if not made(intro):
            continue
        transmitted += intro.get("offer_member") == ref
        received += intro.get("demand_member") == ref
    took_part = 0
    for group in groups:
        if group.get("status") not in HELD:
            continue
        leader = group.get("offer_member") == ref
        asker = any(a.get("member") == ref and a.get("state") in ("member", "left") for a in group.get("askers", ()))
        took_part += leader or asker or ref in (group.get("places") or ())
    return {"transmitted": transmitted, "received": received, "groups": took_part}


def received_without_offering(members: Iterable[dict], items: Iterable[dict], intros: Iterable[dict]) -> int:
    """How many confirmed members received (an introduction made on their demand) and
    have never offered anything (no offer of theirs, whatever its status)."""
    offering = {i.get("member") for i in items if i.get("kind") == "offer"}
    receiving = {i.get("demand_member") for i in intros if made(i)}
    return sum(1 for m in members if m.get("status") == "confirmed" and m["ref"] in receiving
               and m["ref"] not in offering)


def gift_graph(intros: Iterable[dict]) -> dict[str, set[str]]:
    """Who gave to whom: the offer's member → the demand's member, for each introduction
    made between two members still known (erased sides are None and leave no edge)."""
    graph: dict[str, set[str]] = {}
    for intro in intros:
        giver, receiver = intro.get("offer_member"), intro.get("demand_member")
        if made(intro) and giver and receiver and giver != receiver:
            graph.setdefault(giver, set()).add(receiver)
    return graph


def cycles(intros: Iterable[dict], *, shortest: int = 3, longest: int = MAX_CYCLE) -> list[int]:
    """The length of each simple cycle of the gift graph (:func:`gift_graph`) of
    ``shortest`` to ``longest`` members, sorted. Two members who gave to each other (a
    cycle of 2) are a direct exchange, not open reciprocity: not counted by default.
    Each cycle is counted once (found from its smallest member); at most
    :data:`MAX_CYCLES`."""
    graph = gift_graph(intros)
    found: list[int] = []
    for start in sorted(graph):
        # Depth-first from ``start``, through members that sort after it only: each
        # cycle is found once, from its smallest member.
        stack = [(start, [start])]
        while stack and len(found) < MAX_CYCLES:
            node, path = stack.pop()
            for nxt in sorted(graph.get(node, ()), reverse=True):
                if nxt == start:
                    if len(path) >= shortest:
                        found.append(len(path))
                elif nxt > start and nxt not in path and len(path) < longest:
                    stack.append((nxt, [*path, nxt]))
    return sorted(found[:MAX_CYCLES])
