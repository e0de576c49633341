"""Crash-safety: the daemon killed with SIGKILL at seeded random moments, again and again,
until a backlog in Dovecot is done. Every message must be handled exactly once, none lost,
every expected mail received; duplicates are counted and each must be explained by the
window between the SMTP server's acceptance and the next store commit (at most one mail
in flight per kill).

Short in the suite; `make crash` runs it long (SEED, MESSAGES, KILLS: RERS_CRASH_SEED,
RERS_CRASH_MESSAGES, RERS_CRASH_KILLS).
"""
from __future__ import annotations

import collections
import email
import os
import random
import subprocess
import sys
import time
from email import policy
from pathlib import Path

import pytest

from store import Store, message_key
from support import member_mail

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def offer(n: int) -> bytes:
    return member_mail(
        f"membre{n}@example.net", f"OFFRE : savoir numéro {n}", "Disponibilités : le lundi\n",
        message_id=f"<crash-{n}@client.example>",
    )


def test_sigkill_at_random_moments_loses_nothing_and_doubles_nothing(robot_factory, imap_account, sink, record_property):
    size = int(os.environ.get("RERS_CRASH_MESSAGES", "200"))
    max_kills = int(os.environ.get("RERS_CRASH_KILLS", "10"))
    rng = random.Random(int(os.environ.get("RERS_CRASH_SEED", "20261129")))
    # 300 newcomers at once is what the network's bound on confirmation requests holds back
    # (docs/security.md, "Floods"): lifted here, where every one must be answered.
    robot = robot_factory(mailbox_extra="batch_size = 10", extra="[schedule]\npoll_seconds = 1\n\n[limits]\n"
                          "max_join_questions_per_hour = 10000\nmax_join_questions_per_day = 100000\n")
    dovecot, user = imap_account.dovecot, imap_account.user
    for n in range(size):
        dovecot.append(user, "INBOX", offer(n))

    env = {**os.environ, **robot.env}
    kills = 0
    while kills < max_kills and dovecot.uids(user, "INBOX"):
        process = subprocess.Popen(
            [sys.executable, "-m", "workflows.cli", "run", "--config", str(robot.config)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.5, 1.1))
        process.kill()
        process.wait()
        kills += 1
    # Then let it finish in peace: a few ordinary cycles.
    for _ in range(10):
        robot.command("poll", "--once")
        store = Store.open(robot.settings.store.path)  # must always open: never corrupt
        if not dovecot.uids(user, "INBOX") and store.outbox.count("status", "queued") == 0:
            break

    store = Store.open(robot.settings.store.path)
    ledger = [d["message_id"] for d in store.ledger.all()]
    assert sorted(ledger) == sorted(message_key(f"<crash-{n}@client.example>") for n in range(size)), \
        "handled exactly once"
    assert dovecot.uids(user, "INBOX") == []
    assert len(dovecot.uids(user, "Traités")) == size, "none lost, none doubled in the mailbox"
    assert store.items.count() == size, "each offer recorded once"
    assert store.outbox.count("status", "queued") == 0

    received = collections.Counter()
    for message in sink.received:
        parsed = email.message_from_bytes(message.data, policy=policy.compat32)
        received[(parsed["Message-ID"], tuple(message.rcpt_tos))] += 1
    answered = {rcpt for (_, rcpts) in received for rcpt in rcpts if rcpt.startswith("membre")}
    assert answered == {f"membre{n}@example.net" for n in range(size)}, "every expected mail received"
    duplicates = sum(count - 1 for count in received.values())
    record_property("kills", kills)
    record_property("duplicates", duplicates)
    print(f"\n{size} messages, {kills} SIGKILLs, {duplicates} duplicate mail(s)")
    # Each kill can catch at most one mail between the server's acceptance and its commit.
    assert duplicates <= kills
