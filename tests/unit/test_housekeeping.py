"""Housekeeping keeps what the robot needs and drops the rest."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from store import Store
from support import make_settings
from workflows.shell.housekeeping import housekeeping

NOW = datetime(2027, 6, 1, 3, 30, tzinfo=timezone.utc)


def iso(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).isoformat(timespec="seconds")


def test_housekeeping(tmp_path):
    settings = make_settings(tmp_path)
    store = Store.open(settings.store.path)
    with store.transaction():
        store.outbox.insert({"message_id": "<old>", "status": "sent", "created": iso(500), "raw": "x"})
        store.outbox.insert({"message_id": "<month>", "status": "sent", "created": iso(40), "raw": "x"})
        store.outbox.insert({"message_id": "<new>", "status": "sent", "created": iso(1), "raw": "x"})
        store.outbox.insert({"message_id": "<queued>", "status": "queued", "created": iso(40), "raw": "x"})
        store.ledger.insert({"message_id": "<a>", "received": iso(401)})
        store.ledger.insert({"message_id": "<b>", "received": iso(300)})
        store.replies.insert({"key": "k1", "count": 1, "day": (NOW - timedelta(days=3)).date().isoformat()})
        store.replies.insert({"key": "k2", "count": 1, "day": NOW.date().isoformat()})
        store.failures.insert({"message_id": "<parked-long-ago>", "count": 3, "last": iso(402), "parked": iso(401)})
        store.failures.insert({"message_id": "<parked>", "count": 3, "last": iso(10), "parked": iso(10)})
        store.failures.insert({"message_id": "<failing>", "count": 1, "last": iso(1)})
    counts = housekeeping(settings, store, NOW)
    assert counts == {"raw dropped": 1, "mails deleted": 1, "ledger deleted": 1, "counters deleted": 1, "audit deleted": 0,
                      "failures deleted": 1}
    assert sorted(f["message_id"] for f in store.failures.all()) == ["<failing>", "<parked>"]
    raws = {m["message_id"]: m["raw"] for m in store.outbox.all()}
    assert raws == {"<month>": None, "<new>": "x", "<queued>": "x"}
    assert [d["message_id"] for d in store.ledger.all()] == ["<b>"]
    assert [d["key"] for d in store.replies.all()] == ["k2"]
    assert housekeeping(settings, store, NOW) == dict.fromkeys(counts, 0)
