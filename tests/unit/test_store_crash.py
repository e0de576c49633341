"""A writer killed with SIGKILL in the middle of its writes leaves a valid store.

A child process commits transactions as fast as it can; the test kills it at seeded
random moments, then opens the store: it must always be readable, hold a whole number of
transactions (each transaction writes 5 documents), and never go backwards.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

from store import Store

WRITER = textwrap.dedent(
    """
    import sys
    from store import Store
    store = Store.open(sys.argv[1])
    print("ready", flush=True)
    n = 0
    while True:
        with store.transaction():
            start = store.next_number("batch")
            for k in range(5):
                store.items.insert({"ref": f"B-{start}-{k}", "title": "x" * 200})
        n += 1
    """
)


def test_sigkill_during_writes_leaves_a_valid_store(tmp_path):
    path = tmp_path / "rers.json"
    Store.create(path)
    rng = random.Random(20261129)
    previous = 0
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for _ in range(int(os.environ.get("RERS_CRASH_ROUNDS", "12"))):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, cwd=root, start_new_session=True
        )
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.01, 0.25))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        store = Store.open(path)  # raises StoreCorrupt if a write was torn
        count = store.items.count()
        assert count % 5 == 0, "a transaction was half written"
        assert count >= previous, "the store went backwards"
        previous = count
    assert previous > 0
    # A killed write may leave its temporary file; the next write sweeps it away.
    with store.transaction():
        store.items.insert({"ref": "last"})
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
