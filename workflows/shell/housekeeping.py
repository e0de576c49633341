"""Housekeeping: the store keeps what it needs, not everything forever.

* the text of a mail is dropped once it is sent (see :mod:`workflows.shell.outbox`); the text
  of a mail given up is dropped after ``RAW_DAYS`` (its envelope stays: who, when, why),
  so that the store does not keep every word ever sent, nor the tokens in them;
* sent and failed mails, the Message-ID ledger, the audit trail and the records of
  messages that failed (parked or not) are kept ``KEEP_DAYS``, long enough to recognise
  any message that comes back;
* the daily answer counters are kept two days.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from config.settings import Settings
from store import Store

RAW_DAYS = 30
KEEP_DAYS = 400


def housekeeping(settings: Settings, store: Store, now: datetime) -> dict[str, int]:
    """Prune the store (see the module docstring); returns how many documents each rule
    touched. ``now``: aware. Idempotent; one transaction."""
    raw_before = (now - timedelta(days=RAW_DAYS)).isoformat(timespec="seconds")
    keep_before = (now - timedelta(days=KEEP_DAYS)).isoformat(timespec="seconds")
    day_before = (now - timedelta(days=2)).date().isoformat()
    counts = {"raw dropped": 0, "mails deleted": 0, "ledger deleted": 0, "counters deleted": 0, "audit deleted": 0,
              "failures deleted": 0}
    with store.transaction():
        for mail in list(store.outbox.scan(lambda m: m["status"] in ("sent", "failed") and m["created"] < raw_before)):
            if mail["created"] < keep_before:
                store.outbox.delete(mail["id"])
                counts["mails deleted"] += 1
            elif mail.get("raw"):
                store.outbox.update(mail["id"], raw=None)
                counts["raw dropped"] += 1
        for entry in list(store.ledger.scan(lambda d: d["received"] < keep_before)):
            store.ledger.delete(entry["id"])
            counts["ledger deleted"] += 1
        for counter in list(store.replies.scan(lambda d: d["day"] < day_before)):
            store.replies.delete(counter["id"])
            counts["counters deleted"] += 1
        for entry in list(store.audit.scan(lambda d: d.get("time", "") < keep_before)):
            store.audit.delete(entry["id"])
            counts["audit deleted"] += 1
        # A failure record keeps the message's Message-ID in clear (for `rers parked`):
        # it goes with the ledger's entry, once the message could no longer come back.
        for failure in list(store.failures.scan(lambda d: (d.get("parked") or d.get("last") or "") < keep_before)):
            store.failures.delete(failure["id"])
            counts["failures deleted"] += 1
    return counts
