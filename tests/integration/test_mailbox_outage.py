"""Issue 7: while the mailbox cannot be read (a changed password, a server down), the
rest goes on — the outbox is sent, the jobs run — and after an hour the animators are
told, then told again when the mailbox is read again."""
from __future__ import annotations

import email
import threading
import time
from datetime import timedelta
from email import policy

import pytest

from store import Store
from support import SteppingClock, ANIMATORS, member_mail
from workflows.shell.daemon import MAILBOX_ALERT_AFTER, Backoff, Daemon, Job

pytestmark = pytest.mark.integration


def wait_until(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def subjects(sink) -> list[str]:
    return [str(email.message_from_bytes(r.data, policy=policy.default)["Subject"]) for r in sink.received]


def test_an_unreadable_mailbox_is_told_to_the_animators_once_and_mail_still_goes_out(
        robot_factory, imap_account, sink, monkeypatch):
    import os

    robot = robot_factory(extra="[schedule]\npoll_seconds = 1\n")
    password = os.environ[imap_account.password_env]
    monkeypatch.setenv(imap_account.password_env, "not-the-password")
    clock = SteppingClock()
    runs = []
    daemon = Daemon(robot.settings, Store.open(robot.settings.store.path), clock=clock,
                    jobs=[Job("counted", lambda: runs.append(1), "hour")])
    daemon.backoff = Backoff(first=0.1, cap=0.3)
    # A refused login stands for an hour-long outage here; since issue 20 the daemon stops
    # after LOGIN_ATTEMPTS of them in a row (tests/integration/test_daemon_faults.py).
    daemon.login_attempts = 10**6
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    try:
        assert wait_until(lambda: daemon.state.mailbox_down_since is not None)
        assert wait_until(lambda: runs), "the jobs run while the mailbox cannot be read"
        time.sleep(1.0)
        assert sink.received == [], "a short outage writes to nobody"

        clock.now += MAILBOX_ALERT_AFTER + timedelta(minutes=1)
        told = sink.wait_for(1, timeout=10)  # sent over SMTP while IMAP still refuses the robot
        time.sleep(1.0)
        assert len(sink.received) == 1, "told once per outage, not at every retry"
        assert set(told[0].rcpt_tos) == set(ANIMATORS)
        message = email.message_from_bytes(told[0].data, policy=policy.default)
        text = " ".join(message.get_body(preferencelist=("plain",)).get_content().split())
        assert message["Subject"] == "[À traiter] Le robot ne peut plus lire la boîte du réseau"
        assert "lundi 30 novembre 2026 à 10 h" in text and "rers doctor" in text and "Rien n'est perdu" in text

        monkeypatch.setenv(imap_account.password_env, password)
        imap_account.dovecot.append(imap_account.user, "INBOX", member_mail(
            "back@example.net", "AIDE", "?\n", message_id="<after-outage@client.example>"))
        assert wait_until(lambda: len(sink.received) >= 3, timeout=20)
    finally:
        daemon.request_stop()
        thread.join(timeout=20)
    assert not thread.is_alive()
    assert "Le robot lit de nouveau la boîte du réseau" in subjects(sink)
    assert daemon.state.mailbox_down_since is None and not daemon.state.mailbox_down_told
