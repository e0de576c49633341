"""Whether the store's documents have their shapes (:mod:`workflows.model.shapes`) before
the robot works on them: `rers run` and `rers poll` refuse a damaged store, `rers doctor`
lists its problems. Decided: refusing, not skipping the damaged document — a member
whose address was set to ``null`` by hand, skipped, would be asked to join again by the
next mail from that address, and an item with an unknown status would vanish from
matching without a word. The store is never changed: an operator mends it by hand (or
restores ``rers.json.bak``) and runs the doctor again."""
from __future__ import annotations

from store import Store, StoreCorrupt
from workflows.model.said import Said
from workflows.model.shapes import SHAPES, problems


def damage(store: Store) -> list[Said]:
    """Every problem of ``store``'s documents (:func:`workflows.model.shapes.problems`), in
    order of :data:`workflows.model.shapes.SHAPES`; empty when the store is sound. The
    stored documents are read as they are, not copied (the check changes nothing; a
    document without a ``ref`` gets its id, to be named by it): on 10,000 members and
    20,000 items the copies took longer than the check (bench/shapes_bench.py)."""
    return problems({name: [doc if "ref" in doc else {**doc, "id": doc_id}
                            for doc_id, doc in store.collections[name].raw_items()]
                     for name in SHAPES if name in store.collections})


def damage_said(store: Store) -> Said | None:
    """One line for the operator when ``store``'s documents do not have their shapes (how
    many, the first, `rers doctor`); None when the store is sound."""
    found = damage(store)
    if not found:
        return None
    return Said("the store {path} holds {n} damaged document(s) ({first}); it was left untouched: "
                "`rers doctor` lists them all; mend them by hand or restore the backup",
                path=store.path, n=len(found), first=found[0])


def sound(store: Store) -> Store:
    """``store`` itself when its documents have their shapes, checked again each time they
    are read again after another process wrote them (a hand edit while `rers run` runs:
    :meth:`store.Store.recheck_on_reload`). Raises :class:`store.StoreCorrupt`
    (:func:`damage_said`'s line) otherwise, now or at that later read; nothing is written."""
    _refuse_damage(store)
    store.recheck_on_reload(_refuse_damage)
    return store


def _refuse_damage(store: Store) -> None:
    said = damage_said(store)
    if said is not None:
        raise StoreCorrupt(said)
