"""Issue 7: the daemon pushed by IDLE, surviving server outages and failing jobs, and the
outbox's retries against a misbehaving SMTP server."""
from __future__ import annotations

import email
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from email import policy

import pytest

from store import Store, message_key
from support import SteppingClock, fail_on, ANIMATORS, member_mail
from workflows.shell.daemon import Backoff, Daemon, Job
from workflows.shell.runner import Runner
from workflows.shell.status import was_parked

pytestmark = pytest.mark.integration

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def help_mail(n: int) -> bytes:
    return member_mail(f"person{n}@example.net", "AIDE", "Bonjour, comment ça marche ?\n", message_id=f"<help-{n}@client.example>")


def start_daemon(daemon: Daemon) -> threading.Thread:
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    return thread


def wait_until(condition, timeout: float = 10.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def test_idle_answers_a_new_message_within_seconds_and_sigterm_exits_0(robot_factory, imap_account, sink):
    # Polling every 10 minutes: only IDLE can explain a quick answer.
    robot = robot_factory(extra="[schedule]\npoll_seconds = 600\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "workflows.cli", "run", "--config", str(robot.config), "--log-level", "info"],
        cwd=ROOT, env={**__import__("os").environ, **robot.env}, stderr=subprocess.PIPE, text=True,
    )
    try:
        # The first cycle is done (it writes « last_cycle ») and the daemon waits in IDLE: a
        # slow start on a busy machine is not the latency of IDLE.
        assert wait_until(lambda: robot.settings.store.path.exists()
                          and "last_cycle" in robot.settings.store.path.read_text(encoding="utf-8"), 60)
        time.sleep(0.5)
        sent_at = time.monotonic()
        imap_account.dovecot.append(imap_account.user, "INBOX", help_mail(1))
        sink.wait_for(1, timeout=10)
        latency = time.monotonic() - sent_at
        assert latency < 8, f"answered after {latency:.1f} s"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "rers stopped" in stderr


def test_a_second_instance_is_refused_clearly(imap_robot):
    from workflows.shell.daemon import InstanceLock

    with InstanceLock(imap_robot.settings.store.path):
        result = imap_robot.command("poll", "--once", check=False)
    assert result.returncode == 1
    assert "un autre rers travaille déjà" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_failing_job_does_not_stop_the_daemon(robot_factory, imap_account, sink):
    robot = robot_factory(extra="[schedule]\npoll_seconds = 1\n")
    calls = []

    def boom():
        calls.append(1)
        raise RuntimeError("this job is broken")

    daemon = Daemon(robot.settings, Store.open(robot.settings.store.path), jobs=[Job("broken", boom, "hour")])
    thread = start_daemon(daemon)
    try:
        assert wait_until(lambda: daemon.state.cycles >= 1)
        assert calls and daemon.state.job_failures["broken"] == 1
        imap_account.dovecot.append(imap_account.user, "INBOX", help_mail(2))
        sink.wait_for(1, timeout=10)
    finally:
        daemon.request_stop()
        thread.join(timeout=20)
    assert not thread.is_alive()


def test_dovecot_restart_in_the_middle_loses_nothing(robot_factory, imap_account, sink):
    robot = robot_factory(extra="[schedule]\npoll_seconds = 1\n")
    dovecot = imap_account.dovecot
    daemon = Daemon(robot.settings, Store.open(robot.settings.store.path), jobs=[])
    daemon.backoff = Backoff(first=0.2, cap=1.0)
    thread = start_daemon(daemon)
    try:
        dovecot.append(imap_account.user, "INBOX", help_mail(3))
        sink.wait_for(1, timeout=10)
        dovecot.restart()  # every connection of the daemon is cut
        dovecot.append(imap_account.user, "INBOX", help_mail(4))
        sink.wait_for(2, timeout=20)
    finally:
        daemon.request_stop()
        thread.join(timeout=20)
    store = Store.open(robot.settings.store.path)
    assert store.ledger.count() == 2
    assert dovecot.uids(imap_account.user, "INBOX") == []


def test_smtp_temporary_failures_are_retried_and_permanent_ones_reported(imap_robot, imap_account, sink):
    clock = SteppingClock()
    store = Store.open(imap_robot.settings.store.path)
    runner = Runner(imap_robot.settings, store, clock=clock)
    for n, address in enumerate(("later@example.net", "nobody@example.net", "fine@example.net")):
        imap_account.dovecot.append(
            imap_account.user, "INBOX", member_mail(address, "AIDE", "?\n", message_id=f"<smtp-{n}@client.example>")
        )
    sink.refuse("later@example.net", "451 4.3.0 try again later")
    sink.refuse("nobody@example.net", "550 5.1.1 no such user")
    report = runner.cycle()
    # Sent: the answer to fine@, and, in the same cycle, the animators' notice of the 550.
    assert len(report.flush.sent) == 2 and len(report.flush.retry) == 1 and len(report.flush.failed) == 1
    statuses = {m["recipients"][0]: m["status"] for m in store.outbox.all() if m["purpose"] == "help"}
    assert statuses == {"later@example.net": "queued", "nobody@example.net": "failed", "fine@example.net": "sent"}
    told = [email.message_from_bytes(r.data, policy=policy.default) for r in sink.received]
    notices = [m for m in told if "nobody@example.net" in m.get_body(preferencelist=("plain",)).get_content()]
    assert notices and set(ANIMATORS) <= {a.addr_spec for a in notices[0]["To"].addresses}

    # The temporary failure is tried again after its backoff and then goes through.
    sink.clear()
    clock.now += timedelta(minutes=2)
    runner.flush()
    assert any("later@example.net" in r.rcpt_tos for r in sink.received)
    later = [m for m in store.outbox.all() if m["recipients"] == ["later@example.net"]]
    assert [m["status"] for m in later] == ["sent"]


@pytest.mark.parametrize("failure", ["421 4.3.2 closing", "drop", "stall"])
def test_smtp_connection_failures_keep_the_mail_queued(failure, robot_factory, imap_account, sink):
    robot = robot_factory(smtp_timeout=2)
    clock = SteppingClock()
    store = Store.open(robot.settings.store.path)
    runner = Runner(robot.settings, store, clock=clock)
    imap_account.dovecot.append(imap_account.user, "INBOX", help_mail(10))
    action = {"drop": sink.DROP, "stall": sink.STALL}.get(failure, failure)
    sink.fail_data(action, action, stall_seconds=3)
    report = runner.cycle()
    assert report.flush.sent == []
    assert store.outbox.count("status", "queued") == 1
    clock.now += timedelta(hours=1)
    for _ in range(3):
        report = runner.flush()
        if report.sent:
            break
        clock.now += timedelta(hours=1)
    assert report.sent and store.outbox.count("status", "queued") == 0
    assert len([r for r in sink.received if "person10@example.net" in r.rcpt_tos]) == 1


def test_a_copy_of_each_sent_mail_goes_to_the_sent_folder(robot_factory, imap_account, sink):
    robot = robot_factory(transport_extra='sent_folder = "Envoyés"')
    store = Store.open(robot.settings.store.path)
    imap_account.dovecot.append(imap_account.user, "INBOX", help_mail(20))
    report = Runner(robot.settings, store).cycle()
    assert len(report.flush.sent) == 1
    (copy,) = imap_account.dovecot.fetch_all(imap_account.user, "Envoyés")
    assert email.message_from_bytes(copy)["Message-ID"] == report.flush.sent[0]
    assert rb"\Seen" in next(iter(imap_account.dovecot.flags(imap_account.user, "Envoyés").values()))
    # Once copied, the store keeps the envelope, not the text.
    assert store.outbox.find_one("message_id", report.flush.sent[0])["raw"] is None


def test_a_poison_message_is_parked_after_three_failures_and_the_others_go_on(imap_robot, imap_account, sink, monkeypatch):
    fail_on(monkeypatch, b"<poison@client.example>")
    dovecot, user = imap_account.dovecot, imap_account.user
    dovecot.append(user, "INBOX", member_mail("p@example.net", "AIDE", "?\n", message_id="<poison@client.example>"))
    dovecot.append(user, "INBOX", help_mail(30))
    store = Store.open(imap_robot.settings.store.path)
    runner = Runner(imap_robot.settings, store)
    outcomes = [sorted(h.outcome for h in runner.cycle().handled) for _ in range(3)]
    assert outcomes[0] == ["failed (1)", "handled: help sent"]
    assert outcomes[1] == ["failed (2)"] and outcomes[2] == ["parked"]
    assert dovecot.uids(user, "INBOX") == []
    assert len(dovecot.uids(user, "Erreurs")) == 1
    parked = [email.message_from_bytes(r.data, policy=policy.default) for r in sink.received
              if set(ANIMATORS) & set(r.rcpt_tos)]
    assert any("échoué 3 fois" in m.get_body(preferencelist=("plain",)).get_content() for m in parked)
    assert was_parked(store.ledger.find_one("message_id", message_key("<poison@client.example>")))
    assert Runner(imap_robot.settings, store).cycle().handled == []


def test_status_says_when_sending_fails(robot_factory, imap_account, sink):
    from servers import free_port

    from workflows.shell.language import Words

    robot = robot_factory()
    port = free_port()
    text = robot.config.read_text().replace(f"port = {robot.settings.transport.server.port}", f"port = {port}")
    robot.config.write_text(text)
    imap_account.dovecot.append(imap_account.user, "INBOX", help_mail(40))
    assert robot.command("poll", "--once", check=False).returncode == 1
    result = robot.command("status", check=False)
    assert result.returncode == 1  # issue 20: the exit status tells the truth
    status = result.stdout
    say = Words("fr")
    refused = say("{where} refused the connection (is it running, and is the port right?)",
                  where=say("the {service} server {host}:{port}", service="SMTP",
                            host=robot.settings.transport.server.host, port=port))
    assert "Courrier sortant : 1 en attente" in status
    assert say("Sending failed at the last cycle: {error}", error=refused) in status, status
