"""Issue 20, operations: IDLE looks again for mail that came during a cycle; `Sent`
copies retried by the running daemon and never dropped silently."""
from __future__ import annotations

import email
from datetime import timedelta

import pytest

from store import Store
from support import SteppingClock, member_mail
from workflows.shell.mailboxes.base import MailboxError
from workflows.shell.mailboxes.imap import ImapMailbox
from workflows.shell.runner import SENT_COPY_DAYS, Runner
from workflows.shell.status import status_text

pytestmark = pytest.mark.integration


def help_mail(n: int) -> bytes:
    return member_mail(f"op{n}@example.net", "AIDE", "Bonjour ?\n", message_id=f"<op-{n}@client.example>")


def test_idle_finds_at_once_the_mail_that_came_during_the_cycle(imap_robot, imap_account, sink):
    dovecot = imap_account.dovecot
    store = Store.open(imap_robot.settings.store.path)
    with ImapMailbox(imap_robot.settings.mailbox) as watcher:
        watcher.idle_wait(0.1)  # the watcher's connection has seen the folder, as the daemon's has
        dovecot.append(imap_account.user, "INBOX", help_mail(1))
        runner = Runner(imap_robot.settings, store, clock=SteppingClock())
        assert len(runner.cycle().handled) == 1
        dovecot.append(imap_account.user, "INBOX", help_mail(2))  # arrives after the cycle's search
        # No IDLE announcement will come for it: only looking again finds it (a long
        # timeout: without the look, this would return False after it).
        assert watcher.idle_wait(30, since=runner.position) is True
        assert len(runner.cycle().handled) == 1
        assert watcher.idle_wait(0.5, since=runner.position) is False  # nothing new since


def sent_copies(imap_account) -> list[str]:
    return [email.message_from_bytes(raw)["Message-ID"]
            for raw in imap_account.dovecot.fetch_all(imap_account.user, "Envoyés")]


def test_the_running_daemon_retries_a_missed_copy_and_a_lost_one_is_said(robot_factory, imap_account, sink):
    robot = robot_factory(transport_extra='sent_folder = "Envoyés"')
    store = Store.open(robot.settings.store.path)
    clock = SteppingClock()
    down = {"now": True}

    def mailbox():
        if down["now"]:
            raise MailboxError("cannot reach the IMAP server: connection refused")
        return ImapMailbox(robot.settings.mailbox)

    # One runner for the whole test: the daemon's. Its cycle reads the mailbox (up), the
    # copy's APPEND finds it down.
    imap_account.dovecot.append(imap_account.user, "INBOX", help_mail(3))
    runner = Runner(robot.settings, store, clock=clock)
    runner.mailbox_factory = lambda: ImapMailbox(robot.settings.mailbox)
    down["now"] = False
    with ImapMailbox(robot.settings.mailbox) as reader:
        handled = runner.handle_batch(next(reader.batches(10)))
        reader.mark_done([h.key for h in handled])
    runner.mailbox_factory = mailbox
    down["now"] = True
    (sent,) = runner.flush().sent
    assert sent_copies(imap_account) == []
    assert store.outbox.find_one("message_id", sent)["raw"], "kept until copied"
    assert "1 mail(s) envoyé(s) attendent leur copie" in status_text(robot.settings, store, clock.now)

    # The same runner's next flush, with nothing new to send, copies it.
    down["now"] = False
    runner.flush()
    assert sent_copies(imap_account) == [sent]
    assert not store.outbox.find_one("message_id", sent)["raw"]

    # A copy the mailbox never took for SENT_COPY_DAYS is given up, and said.
    imap_account.dovecot.append(imap_account.user, "INBOX", help_mail(4))
    down["now"] = False
    runner.mailbox_factory = lambda: ImapMailbox(robot.settings.mailbox)
    with ImapMailbox(robot.settings.mailbox) as reader:
        handled = runner.handle_batch(next(reader.batches(10)))
        reader.mark_done([h.key for h in handled])
    runner.mailbox_factory = mailbox
    down["now"] = True
    (late,) = runner.flush().sent
    clock.now += timedelta(days=SENT_COPY_DAYS, hours=1)
    down["now"] = False
    runner.flush()
    assert late not in sent_copies(imap_account)
    text = status_text(robot.settings, store, clock.now)
    assert "n’ont jamais atteint 'Envoyés'" in text and "1 mail(s) envoyé(s)" in text
