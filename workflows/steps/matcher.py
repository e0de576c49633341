"""The matcher: the in-memory index of the open items (:class:`workflows.model.matching.MatchIndex`)
kept in step with the store, and the best partner of an item now (:func:`partner`).

The index grows from the store's counters (items ``O-<n>``/``D-<n>`` and ``MR-<n>`` are
numbered in order), so that bringing it up to date reads only what is new. What it
remembers may be stale — an item changed or erased, a transaction rolled back — so every
candidate is checked against its stored document before it is proposed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from config.settings import Settings
from store import Store
from workflows.context import Context
from workflows.model.introductions import SIDES
from workflows.model.items import PREFIX
from workflows.model.matching import Analyzer, MatchIndex, Score, fingerprint, pair_refusal, score_titles
from workflows.shell.resources import read_synonyms


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

    def sync(self, store: Store) -> None:
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


def analyzer_for(settings: Settings) -> Analyzer:
    """The analyzer of the configured synonyms (built-in + ``[matching] synonyms_file``).

    Raises ``OSError``/``ValueError`` when the animators' file is unreadable or malformed.
    """
    return Analyzer(read_synonyms(settings.matching.synonyms_file))


def matcher(ctx: Context, *, sync: bool = True) -> Matcher:
    """The store's matcher, up to date with its counters (unless ``sync`` is false: the
    caller has just brought it up to date). Rebuilt when the synonym file changes (its
    modification time is part of the cache key)."""
    path = ctx.settings.matching.synonyms_file
    try:
        stamp = path.stat().st_mtime_ns if path else 0
    except OSError:
        stamp = -1
    m = ctx.store.derived(f"matching:{path}:{stamp}", lambda: Matcher(MatchIndex(analyzer_for(ctx.settings))))
    if sync:
        m.sync(ctx.store)
    return m


def score_text(settings: Settings, offer_title: str, demand_title: str) -> dict:
    """``rers match --score``: ``{"score": 0.0-1.0, "proposed": bool, "why": [French lines]}``
    for two titles, against ``[matching] min_score`` (whether they would be proposed if
    both were open items of two free members)."""
    score = score_titles(analyzer_for(settings), offer_title, demand_title)
    minimum = settings.matching.min_score
    return {"score": score.score, "proposed": score.score >= minimum and bool(score.matches),
            "why": score.why(minimum)}


def intros_of(ctx: Context, m: Matcher, item_ref: str) -> list[dict]:
    """The introduction documents ``item_ref`` is part of."""
    found = []
    for ref in m.intros_by_item.get(item_ref, ()):
        intro = ctx.store.introductions.find_one("ref", ref)
        if intro is not None and item_ref in (intro["offer"], intro["demand"]):
            found.append(intro)
    return found


def partner(ctx: Context, m: Matcher, item: dict) -> tuple[dict, Score] | None:
    """The best item to propose with ``item`` now, and the pair's score, or None.

    Candidates come best first from the index; the first whose stored document passes
    :func:`workflows.model.matching.pair_refusal` and still scores ``min_score`` wins.
    """
    minimum = ctx.settings.matching.min_score
    m.refresh(item)
    mine = intros_of(ctx, m, item["ref"])
    for candidate in m.index.candidates(item["ref"], min_score=minimum):
        doc = ctx.store.items.find_one("ref", candidate.ref)
        if doc is None:
            m.index.remove(candidate.ref)
            continue
        m.refresh(doc)
        theirs = intros_of(ctx, m, doc["ref"])
        offer, demand = (item, doc) if item["kind"] == "offer" else (doc, item)
        offer_intros, demand_intros = (mine, theirs) if item["kind"] == "offer" else (theirs, mine)
        same_pair = [i for i in offer_intros if i["demand"] == demand["ref"]]
        if pair_refusal(offer, demand, same_pair, offer_intros, demand_intros) is not None:
            continue
        score = m.index.explain(offer["ref"], demand["ref"])
        if score.score >= minimum:
            return doc, score
    return None
