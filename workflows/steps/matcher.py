"""The matcher: the in-memory index of the open items (:class:`workflows.model.matching.MatchIndex`)
kept in step with the store, and the best partner of an item now (:func:`partner`).

The index grows from the store's counters (items ``O-<n>``/``D-<n>`` and ``MR-<n>`` are
numbered in order), so that bringing it up to date reads only what is new. What it
remembers may be stale — an item changed or erased, a transaction rolled back — so every
candidate is checked against its stored document before it is proposed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from workflows.decision import Plan
from workflows.lookup import group_holding
from workflows.model.groups import collective
from workflows.model.introductions import SIDES
from workflows.model.items import PREFIX
from workflows.model.matching import MatchIndex, Score, fingerprint, pair_refusal


@dataclass
class Matcher:
    """The :class:`MatchIndex` of a store, and which introductions each item is in.

    Both grow from the store's counters (items ``O-<n>``/``D-<n>`` and ``MR-<n>`` are
    numbered in order), so that bringing them up to date reads only what is new. What
    they remember may be stale — an item changed or erased, a transaction rolled back —
    so every candidate is checked against its stored document before it is proposed.
    """

    index: MatchIndex
    seen: dict[str, int] = field(default_factory=lambda: {"offer": 0, "demand": 0, "introduction": 0})
    intros_by_item: dict[str, list[str]] = field(default_factory=dict)

    def sync(self, store: Plan) -> None:
        for kind in ("offer", "demand", "introduction"):
            top = int(store.get_state(f"counter:{kind}") or 0)
            start = min(self.seen[kind], top)  # lower after a rollback: numbers are reused
            for n in range(start + 1, top + 1):
                if kind == "introduction":
                    doc = store.introductions.find_one("ref", f"MR-{n}")
                    if doc is not None:
                        self.note(doc)
                else:
                    doc = store.items.find_one("ref", f"{PREFIX[kind]}-{n}")
                    if doc is not None:
                        self.index.add(doc)
            self.seen[kind] = top

    def note(self, intro: dict) -> None:
        for side in SIDES:
            refs = self.intros_by_item.setdefault(intro[side], [])
            if intro["ref"] not in refs:
                refs.append(intro["ref"])

    def refresh(self, item: dict) -> None:
        """Index ``item`` again if it changed since it was indexed (or was never)."""
        entry = self.index.entries.get(item["ref"])
        if entry is None or entry.fingerprint != fingerprint(item):
            self.index.add(item)


def matcher(plan: Plan, *, sync: bool = True) -> Matcher:
    """The store's matcher (:attr:`workflows.decision.Resources.matcher`, kept by the
    shell), up to date with the plan's counters (unless ``sync`` is false: the caller has
    just brought it up to date)."""
    m = plan.resources.matcher
    if sync:
        m.sync(plan)
    return m


def intros_of(plan: Plan, m: Matcher, item_ref: str) -> list[dict]:
    """The introduction documents ``item_ref`` is part of."""
    found = []
    for ref in m.intros_by_item.get(item_ref, ()):
        intro = plan.introductions.find_one("ref", ref)
        if intro is not None and item_ref in (intro["offer"], intro["demand"]):
            found.append(intro)
    return found


def partner(plan: Plan, m: Matcher, item: dict) -> tuple[dict, Score] | None:
    """The best item to propose with ``item`` now, and the pair's score, or None.

    Candidates come best first from the index; the first whose stored document passes
    :func:`workflows.model.matching.pair_refusal` and still scores ``min_score`` wins. A
    collective offer is never a partner (it gathers a group: :mod:`workflows.steps.groups`),
    nor an item a group holds.
    """
    minimum = plan.settings.matching.min_score
    m.refresh(item)
    mine = intros_of(plan, m, item["ref"])
    for candidate in m.index.candidates(item["ref"], min_score=minimum):
        doc = plan.items.find_one("ref", candidate.ref)
        if doc is None:
            m.index.remove(candidate.ref)
            continue
        if collective(doc) or (doc.get("group") and group_holding(plan, doc) is not None):
            continue
        m.refresh(doc)
        theirs = intros_of(plan, m, doc["ref"])
        offer, demand = (item, doc) if item["kind"] == "offer" else (doc, item)
        offer_intros, demand_intros = (mine, theirs) if item["kind"] == "offer" else (theirs, mine)
        same_pair = [i for i in offer_intros if i["demand"] == demand["ref"]]
        if pair_refusal(offer, demand, same_pair, offer_intros, demand_intros) is not None:
            continue
        score = m.index.explain(offer["ref"], demand["ref"])
        if score.score >= minimum:
            return doc, score
    return None
