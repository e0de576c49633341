"""Issue 7: the copies in ``[transport] sent_folder`` survive a killed process or an
unreachable mailbox: a sent mail keeps its bytes until its copy is appended."""
from __future__ import annotations

import email
from datetime import timedelta

import pytest

from store import Store
from support import SteppingClock, member_mail
from workflows.shell.mailboxes.base import MailboxError
from workflows.shell.runner import SENT_COPY_DAYS, Runner

pytestmark = pytest.mark.integration


def unreachable():
    raise MailboxError("cannot reach the IMAP server 127.0.0.1: connection refused")


def sent_copies(imap_account) -> list[str]:
    return [email.message_from_bytes(raw)["Message-ID"]
            for raw in imap_account.dovecot.fetch_all(imap_account.user, "Envoyés")]


def test_a_copy_missed_is_appended_by_the_next_process(robot_factory, imap_account, sink):
    robot = robot_factory(transport_extra='sent_folder = "Envoyés"')
    store = Store.open(robot.settings.store.path)
    clock = SteppingClock()
    for n in range(2):
        imap_account.dovecot.append(imap_account.user, "INBOX", member_mail(
            f"p{n}@example.net", "AIDE", "?\n", message_id=f"<copy-{n}@client.example>"))
    sent = Runner(robot.settings, store, clock=clock).cycle().flush.sent
    assert len(sent) == 2 and sorted(sent_copies(imap_account)) == sorted(sent)

    # The state a process killed between the send and the copy leaves: sent, bytes kept.
    with store.transaction():
        for message_id in sent:
            mail = store.outbox.find_one("message_id", message_id)
            store.outbox.update(mail["id"], raw=f"Message-ID: {message_id}\r\nSubject: x\r\n\r\nx\r\n")

    # The next process cannot reach the mailbox either: the bytes wait.
    Runner(robot.settings, store, clock=clock, mailbox_factory=unreachable).flush()
    assert all(store.outbox.find_one("message_id", m)["raw"] for m in sent), "kept until copied"

    # The next one can: with nothing to send, it copies what was left, then drops the bytes.
    Runner(robot.settings, store, clock=clock).flush()
    assert sorted(sent_copies(imap_account)) == sorted(sent * 2)
    assert not any(store.outbox.find_one("message_id", m)["raw"] for m in sent)


def test_a_copy_waits_a_week_at_most(robot_factory, imap_account, sink):
    robot = robot_factory(transport_extra='sent_folder = "Envoyés"')
    store = Store.open(robot.settings.store.path)
    clock = SteppingClock()
    imap_account.dovecot.append(imap_account.user, "INBOX", member_mail(
        "late@example.net", "AIDE", "?\n", message_id="<late@client.example>"))
    report = Runner(robot.settings, store, clock=clock).cycle()
    (sent,) = report.flush.sent
    with store.transaction():
        store.outbox.update(store.outbox.find_one("message_id", sent)["id"], raw="Subject: x\r\n\r\nx\r\n")
    clock.now += timedelta(days=SENT_COPY_DAYS, hours=1)
    Runner(robot.settings, store, clock=clock).flush()
    assert store.outbox.find_one("message_id", sent)["raw"] is None
    assert sent_copies(imap_account).count(sent) == 1  # the cycle's own copy, not a late one
