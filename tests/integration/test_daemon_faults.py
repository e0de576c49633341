"""Issue 20, operations: a fault no retry can fix stops the daemon with one clear line
and exit status 2 (systemd shows it failed); `rers status` then exits 1."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from store import Store
from workflows.shell.daemon import LOGIN_ATTEMPTS, Backoff, Daemon

pytestmark = pytest.mark.integration

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def test_a_missing_password_variable_stops_the_daemon_with_status_2(imap_robot):
    env = {k: v for k, v in os.environ.items() if k not in imap_robot.env}  # the IMAP password not set
    result = subprocess.run(
        [sys.executable, "-m", "workflows.cli", "run", "--config", str(imap_robot.config)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "no retry can fix this" in result.stderr and imap_robot.settings.mailbox.server.password_env in result.stderr
    assert "Traceback" not in result.stderr
    status = imap_robot.command("status", check=False)
    assert status.returncode == 1
    assert "Le dernier cycle a échoué" in status.stdout


def test_an_smtp_password_variable_missing_stops_it_too(robot_factory, imap_account, sink):
    robot = robot_factory(transport_extra='username = "robot"\npassword_env = "RERS_TEST_NEVER_SET"\n')
    daemon = Daemon(robot.settings, Store.open(robot.settings.store.path), jobs=[])
    with Store.open(robot.settings.store.path).transaction():
        pass
    imap_account.dovecot.append(imap_account.user, "INBOX", b"From: a@example.net\r\nTo: rers.test@example.org\r\n"
                                b"Subject: AIDE\r\nMessage-ID: <f@x.example>\r\n\r\n?\r\n")
    assert daemon.run() == 2  # the message is handled; its answer cannot leave: stop


def test_a_login_refused_again_and_again_stops_the_daemon(robot_factory, imap_account, monkeypatch):
    robot = robot_factory()
    monkeypatch.setenv(imap_account.password_env, "not the password")
    daemon = Daemon(robot.settings, Store.open(robot.settings.store.path), jobs=[])
    daemon.backoff = Backoff(first=0.01, cap=0.02)
    assert daemon.run() == 2
    assert daemon._login_refusals == LOGIN_ATTEMPTS
