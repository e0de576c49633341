"""The matcher: the in-memory index of the open items (:class:`workflows.model.matching.MatchIndex`)
kept in step with the store, the best partner of an item now (:func:`partner`), the item its
member asked for with an interest (:func:`asked`), the N best
demands a collective offer may gather (:func:`best_demands`), and the offers nearest to a
demand that found none (:func:`near_misses`, for the animators' report).

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

NEAR_MISSES = 3
"""How many offers the report shows near a demand that found none."""
NEAR_MISS_MIN_SCORE = 0.3
"""Below this score an offer is not near a demand at all (one common word among several)."""


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
                    # Only open items can be proposed: a held one is indexed when it
                    # opens (its matching refreshes it), a closed one never.
                    if doc is not None and doc["status"] == "open":
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


def stored_open(plan: Plan, m: Matcher, ref: str) -> dict | None:
    """The stored document of a candidate ``ref`` if it is open, brought up to date in the
    index; else None, and ``ref`` leaves the index: an item erased, withdrawn or not yet
    released can be nobody's partner, and left there it would take a place in the
    candidate lists (a few dozen closed offers sharing a word would hide an open one).
    An item that opens again is indexed again by its own matching (:meth:`Matcher.refresh`)."""
    doc = plan.items.find_one("ref", ref)
    if doc is None or doc["status"] != "open":
        m.index.remove(ref)
        return None
    m.refresh(doc)
    return doc


def intros_of(plan: Plan, m: Matcher, item_ref: str) -> list[dict]:
    """The introduction documents ``item_ref`` is part of."""
    found = []
    for ref in m.intros_by_item.get(item_ref, ()):
        intro = plan.introductions.find_one("ref", ref)
        if intro is not None and item_ref in (intro["offer"], intro["demand"]):
            found.append(intro)
    return found


def engaged(plan: Plan, m: Matcher, item_ref: str) -> list[dict]:
    """What our item ``item_ref`` is engaged in, for
    :func:`workflows.model.matching.item_busy`: its introductions (:func:`intros_of`) and
    its cross-network ones (collection ``crossings``, whose statuses are the same). So an
    item waits on one proposal at a time, here or across, and a demand served across is
    not matched here again (and the reverse: :mod:`workflows.steps.federated_introductions`).
    A peer's proposal is never refused for that: it is the peer's matching, and refusing
    would close that pair for good — an offer may be in several crossings at once, and
    introduced to several askers, as here."""
    return [*intros_of(plan, m, item_ref), *plan.crossings.find("item", item_ref)]


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
    mine_engaged = engaged(plan, m, item["ref"])
    while True:
        gone = False
        for candidate in m.index.candidates(item["ref"], min_score=minimum):
            doc = stored_open(plan, m, candidate.ref)
            if doc is None:
                gone = True
                continue
            if collective(doc) or (doc.get("group") and group_holding(plan, doc) is not None):
                continue  # a collective offer gathers a group; an item a group holds is taken
            theirs = engaged(plan, m, doc["ref"])
            offer, demand = (item, doc) if item["kind"] == "offer" else (doc, item)
            offer_intros, demand_intros = (mine_engaged, theirs) if item["kind"] == "offer" else (theirs, mine_engaged)
            same_pair = [i for i in (mine if item["kind"] == "offer" else theirs) if i.get("demand") == demand["ref"]]
            if pair_refusal(offer, demand, same_pair, offer_intros, demand_intros, now=plan.now) is not None:
                continue
            score = m.index.explain(offer["ref"], demand["ref"])
            if score.score >= minimum:
                return doc, score
        if not gone:
            return None
        # Items that can no longer be proposed left the index: the places they took in
        # the candidate lists may go to others (each round removes at least one).


def asked(plan: Plan, m: Matcher, item: dict) -> tuple[dict, Score] | None:
    """The item ``item``'s member asked for (``interest_in``, set by
    :mod:`workflows.steps.interest`), with the pair's score, when that pair may be
    proposed now; else None. The pair passes
    :func:`workflows.model.matching.pair_refusal` as any other — open, never proposed
    (or proposable again), ``item`` not waiting on a proposal nor a demand already served
    — except that the proposals the asked item waits on do not count, nor does the score:
    the member named it, as when the interest was first said. A collective offer or an
    item a group holds is no pair's."""
    ref = item.get("interest_in")
    doc = stored_open(plan, m, ref) if ref else None
    if doc is None or doc["kind"] == item["kind"]:
        return None
    if any(collective(i) or (i.get("group") and group_holding(plan, i) is not None) for i in (item, doc)):
        return None
    offer, demand = (item, doc) if item["kind"] == "offer" else (doc, item)
    mine = engaged(plan, m, item["ref"])
    same_pair = [i for i in intros_of(plan, m, offer["ref"]) if i.get("demand") == demand["ref"]]
    offer_intros, demand_intros = (mine, ()) if item["kind"] == "offer" else ((), mine)
    if pair_refusal(offer, demand, same_pair, offer_intros, demand_intros, now=plan.now) is not None:
        return None
    m.refresh(item)
    return doc, m.index.explain(offer["ref"], demand["ref"])


def best_demands(plan: Plan, m: Matcher, offer: dict, limit: int) -> list[tuple[dict, Score]]:
    """The ``limit`` best open demands an offer may gather now, best first, each with the
    pair's score (at least ``min_score``): for a collective offer
    (:func:`workflows.model.items.is_collective`), which meets several demands at once.

    Each demand passes :func:`workflows.model.matching.pair_refusal` as a pair would —
    open, another member's, never proposed with this offer (or proposable again), and not
    waiting on a proposal of its own nor already served — except that the offer's own
    proposals in progress do not count: a group gathers its demands while they are
    decided. Decides nothing and writes nothing (the groups do, with what it returns).
    """
    if limit <= 0 or offer["kind"] != "offer" or offer["status"] != "open":
        return []
    minimum = plan.settings.matching.min_score
    m.refresh(offer)
    mine = intros_of(plan, m, offer["ref"])
    found: list[tuple[dict, Score]] = []
    asked = 2 * limit
    while True:
        candidates = m.index.candidates(offer["ref"], min_score=minimum, limit=asked)
        found = []
        gone = False
        for candidate in candidates:
            doc = stored_open(plan, m, candidate.ref)
            if doc is None:
                gone = True
                continue
            same_pair = [i for i in mine if i["demand"] == doc["ref"]]
            if pair_refusal(offer, doc, same_pair, (), engaged(plan, m, doc["ref"]), now=plan.now) is not None:
                continue
            score = m.index.explain(offer["ref"], doc["ref"])
            if score.score >= minimum:
                found.append((doc, score))
                if len(found) == limit:
                    return found
        # Fewer than asked, and none gone from the index: every candidate was read. Else
        # refused or closed ones took places: ask again (closed ones are gone from the
        # index; each round scores at least twice as many).
        if not gone and (len(candidates) < asked or asked >= len(m.index)):
            return found
        if asked < len(m.index):
            asked *= 2


def near_misses(plan: Plan, m: Matcher, demand: dict, limit: int = NEAR_MISSES,
                min_score: float = NEAR_MISS_MIN_SCORE) -> list[tuple[dict, float]]:
    """The open offers of other members closest to ``demand``, best first, with their
    scores (at least ``min_score``, usually under ``[matching] min_score``): what the
    animators' report shows for a demand that found no partner (« la plus proche : O-12,
    0.55 »). Decides nothing."""
    m.refresh(demand)
    while True:
        out: list[tuple[dict, float]] = []
        gone = False
        for candidate in m.index.candidates(demand["ref"], min_score=min_score, limit=4 * limit):
            doc = stored_open(plan, m, candidate.ref)
            if doc is None:
                gone = True
                continue
            # The index's score, unless the offer changed since it was indexed.
            score = m.index.explain(doc["ref"], demand["ref"]).score
            if score >= min_score:
                out.append((doc, score))
        if not gone or len(out) >= limit:
            out.sort(key=lambda pair: -pair[1])
            return out[:limit]
