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
    order of :data:`workflows.model.shapes.SHAPES`; empty when the store is sound."""
    return problems({name: store.collections[name].all() for name in SHAPES if name in store.collections})


def sound(store: Store) -> Store:
    """``store`` itself when its documents have their shapes. Raises
    :class:`store.StoreCorrupt` (one line: how many, the first, `rers doctor`) otherwise;
    nothing is written."""
    found = damage(store)
    if found:
        raise StoreCorrupt(Said("the store {path} holds {n} damaged document(s) ({first}); it was left untouched: "
                                "`rers doctor` lists them all; mend them by hand or restore the backup",
                                path=store.path, n=len(found), first=found[0]))
    return store
