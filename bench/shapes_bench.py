"""Benchmark of the store's shapes check (issue 20): what `rers run`, `rers poll` and `rers
doctor` pay before they start, and the daemon each time another process wrote the store.

    .venv/bin/python bench/shapes_bench.py [--members 10000] [--items 20000] [--repeat 3]

A store of ``members`` confirmed members (a pause on one in ten, a former address on one in
twenty), ``items`` open items (two a member), an introduction for one item in four (with
its bilans and history) and a group for one item in forty (eight askers, places, a bilan,
history), a question per member and a queued mail per member: each as the steps write
them. Three figures, CPU seconds of this process (others may share the machine), best of
``--repeat``: :func:`workflows.model.shapes.problems` on the documents alone,
:func:`workflows.shell.soundness.damage` on the open store, and opening the store file
(:meth:`store.Store.open`: what the check adds to). Prints one JSON object with the number
of problems found (0: the documents are sound); docs/benchmarks.md keeps a run.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from store import Store
from workflows.model.shapes import problems
from workflows.shell.soundness import damage

AT = "2026-12-01T09:00:00+00:00"


def documents(members: int, items: int) -> dict[str, list[dict]]:
    """The collections of a store of that size, as the steps write them."""
    people = [{"ref": f"M-{n}", "address": f"m{n}@example.org", "name": f"Membre {n}", "first_name": "Membre",
               "phone": None, "contact": "email", "invitations": True, "status": "confirmed", "language": "fr",
               "created": AT, "confirmed": AT, "undeliverable": False,
               **({"pause": {"since": AT, "until": "2027-03-15"}} if n % 10 == 0 else {}),
               **({"former": [{"address": f"old{n}@example.org"}]} if n % 20 == 0 else {})}
              for n in range(1, members + 1)]
    things = [{"ref": f"{'O' if n % 2 else 'D'}-{n}", "kind": "offer" if n % 2 else "demand",
               "member": f"M-{n % members + 1}", "title": f"Savoir {n}", "description": None, "modality": None,
               "availability": None, "place": None, "status": "open", "created": AT, "closed": None,
               "source": "<x@example.org>"} for n in range(1, items + 1)]
    bilan = {"happened": "yes", "interest": "oui", "obstacles": None, "facilitators": None, "text": "Bien", "at": AT}
    history = [{"at": AT, "event": "proposed"}, {"at": AT, "event": "introduced"}]
    introductions = [{"ref": f"MR-{n}", "offer": f"O-{2 * n - 1}", "demand": f"D-{2 * n}", "offer_member": "M-1",
                      "demand_member": "M-2", "status": "completed", "created": AT, "approved": AT,
                      "introduced": AT, "closed": AT, "consents": {"offer": "yes", "demand": "yes"},
                      "contacts": {"offer": "email", "demand": "phone"}, "bilans": {"offer": bilan, "demand": bilan},
                      "history": history} for n in range(1, items // 4 + 1)]
    groups = [{"ref": f"G-{n}", "offer": f"O-{2 * n - 1}", "offer_member": "M-1", "status": "open", "capacity": 8,
               "askers": [{"member": f"M-{k}", "demand": f"D-{2 * k}", "score": 0.8, "why": [], "state": "member",
                           "since": AT, "round": 1} for k in range(1, 9)],
               "places": [f"M-{k}" for k in range(1, 9)], "waiting": [], "sessions": [], "first_session": "2026-12-02",
               "bilans": [{"member": "M-1", "side": "asker", **bilan}], "history": history, "created": AT}
              for n in range(1, items // 40 + 1)]
    questions = [{"token_hash": f"{n:x}", "kind": "consent", "subject_ref": "MR-1", "member": f"M-{n}",
                  "address": f"m{n}@example.org", "status": "open", "created": AT, "expires": AT, "answered": None,
                  "data": {}} for n in range(1, members + 1)]
    outbox = [{"message_id": f"<{n}@example.org>", "recipients": [f"m{n}@example.org"], "status": "queued",
               "attempts": 0, "created": AT, "next_attempt": AT} for n in range(1, members + 1)]
    return {"members": people, "items": things, "introductions": introductions, "groups": groups,
            "questions": questions, "outbox": outbox}


def best(repeat: int, call) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.process_time()
        result = call()
        times.append(time.process_time() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = documents(args.members, args.items)
    plain, found = best(args.repeat, lambda: problems(data))
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "rers.json", create=True)
        with store.transaction():
            for name, docs in data.items():
                for doc in docs:
                    store.collections[name].insert(doc)
        stored, damaged = best(args.repeat, lambda: damage(store))
        opened, _ = best(args.repeat, lambda: Store.open(Path(folder) / "rers.json"))
    print(json.dumps({"members": args.members, "items": args.items,
                      "documents": sum(len(docs) for docs in data.values()),
                      "problems_s": round(plain, 3), "damage_s": round(stored, 3),
                      "open_s": round(opened, 3),
                      "problems_found": len(found), "damage_found": len(damaged)}))


if __name__ == "__main__":
    main()
