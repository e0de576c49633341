"""Issue 19, many networks in one process: `rers run --networks DIR` serves three networks
(three Dovecot mailboxes, one aiosmtpd) at once; a bad password or a corrupt store stops
one network, never the others; `rers status --networks` and `rers doctor --networks` say
which one fails."""
from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from store import Store
from support import fail_on, make_settings, member_mail
from workflows.shell.daemon import EXIT_UNFIXABLE, Backoff
from workflows.shell.host import Host
from workflows.shell.language import Words

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("centre", "nord", "sud")

_numbers = itertools.count(1)


def make_networks(directory: Path, dovecot, smtp_sink, monkeypatch, poll_seconds: int = 600) -> dict[str, dict]:
    """Three networks under ``directory``, each reading its own Dovecot user and sending to
    the sink; polling every 10 minutes by default, so that only IDLE explains a quick answer."""
    networks = {}
    for name in NAMES:
        number = next(_numbers)
        user, password, env = f"host{os.getpid()}x{number}", f"secret-host-{number}", f"RERS_TEST_HOST_PASSWORD_{number}"
        dovecot.add_user(user, password)
        monkeypatch.setenv(env, password)
        mailbox = (f'kind = "imap"\nhost = "{dovecot.host}"\nport = {dovecot.port}\nsecurity = "none"\n'
                   f'username = "{user}"\npassword_env = "{env}"\ntimeout_seconds = 10\n')
        transport = (f'kind = "smtp"\nhost = "{smtp_sink.host}"\nport = {smtp_sink.port}\nsecurity = "none"\n'
                     "timeout_seconds = 10\n")
        settings = make_settings(directory / name, mailbox=mailbox, transport=transport,
                                 address=f"rers.{name}@example.org", name=f"RERS {name}",
                                 extra=f"[schedule]\npoll_seconds = {poll_seconds}\n")
        networks[name] = {"user": user, "env": env, "settings": settings}
    return networks


def help_mail(network: str, n: int) -> tuple[str, bytes]:
    sender = f"person.{network}.{n}@example.net"
    return sender, member_mail(sender, "AIDE", "Bonjour, comment ça marche ?\n", to=f"rers.{network}@example.org",
                               message_id=f"<host-{network}-{n}-{os.getpid()}@client.example>")


def answered(sink, sender: str) -> bool:
    return any(sender in r.rcpt_tos for r in sink.received)


def wait_until(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def rers(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workflows.cli", *args], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, timeout=120)


def start_host(directory: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "workflows.cli", "run", "--networks", str(directory),
                             "--log-level", "info"], cwd=ROOT, env=dict(os.environ), stderr=subprocess.PIPE, text=True)


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    return stderr


def test_three_networks_in_one_process_each_answered_and_logs_say_which(tmp_path, dovecot, sink, monkeypatch):
    networks = make_networks(tmp_path / "networks", dovecot, sink, monkeypatch)
    process = start_host(tmp_path / "networks")
    try:
        senders = {}
        for name, network in networks.items():
            senders[name], raw = help_mail(name, 1)
            dovecot.append(network["user"], "INBOX", raw)
        assert wait_until(lambda: all(answered(sink, s) for s in senders.values()))
        # Each answer comes from its own network.
        for name, sender in senders.items():
            answer = next(r for r in sink.received if sender in r.rcpt_tos)
            assert r"rers.%s@example.org" % name in answer.mail_from
            assert dovecot.uids(networks[name]["user"], "INBOX") == []
    finally:
        stderr = stop(process)
    assert process.returncode == 0, stderr
    for name in NAMES:
        assert f"[{name}] workflows.shell.daemon: rers started" in stderr
        assert f"[{name}] rers.audit:" in stderr
    assert "[host] workflows.shell.host: rers host stopped" in stderr
    assert "Traceback" not in stderr

    status = rers("status", "--networks", str(tmp_path / "networks"))
    assert status.returncode == 0, status.stdout + status.stderr
    assert "3 réseau(x) : 3 en ordre, 0 en échec." in status.stdout
    assert all(f"== {name} ==" in status.stdout for name in NAMES)


def test_a_corrupt_store_stops_its_network_alone(tmp_path, dovecot, sink, monkeypatch):
    networks = make_networks(tmp_path / "networks", dovecot, sink, monkeypatch)
    store = networks["nord"]["settings"].store.path
    store.write_text('{"members": {"1": ', encoding="utf-8")  # cut in the middle of a write, by hand
    process = start_host(tmp_path / "networks")
    try:
        senders = {}
        for name, network in networks.items():
            senders[name], raw = help_mail(name, 2)
            dovecot.append(network["user"], "INBOX", raw)
        assert wait_until(lambda: answered(sink, senders["centre"]) and answered(sink, senders["sud"]))
        assert process.poll() is None  # still serving the others
    finally:
        stderr = stop(process)
    assert not answered(sink, senders["nord"])
    assert len(dovecot.uids(networks["nord"]["user"], "INBOX")) == 1  # left for when the store is repaired
    assert store.read_text(encoding="utf-8") == '{"members": {"1": '  # never overwritten
    assert process.returncode == EXIT_UNFIXABLE, stderr
    assert "CRITICAL [host] workflows.shell.host: network nord not started, the others go on" in stderr
    assert "not valid JSON" in stderr and "Traceback" not in stderr

    status = rers("status", "--networks", str(tmp_path / "networks"))
    assert status.returncode == 1
    assert "3 réseau(x) : 2 en ordre, 1 en échec (nord)." in status.stdout
    doctor = rers("doctor", "--networks", str(tmp_path / "networks"))
    assert doctor.returncode == 1, doctor.stdout
    not_json = Words("fr")("the store {path} is not valid JSON: {error}. {advice}", path=store, error="",
                           advice="").split(" :")[0]
    assert "en échec (nord)." in doctor.stdout and not_json in doctor.stdout


def test_a_bad_password_stops_its_network_alone(tmp_path, dovecot, sink, monkeypatch):
    networks = make_networks(tmp_path / "networks", dovecot, sink, monkeypatch)
    monkeypatch.setenv(networks["sud"]["env"], "not the password")
    host = Host(tmp_path / "networks")
    host.prepare()
    bad = next(n for n in host.networks if n.name == "sud")
    bad.daemon.backoff = Backoff(first=0.01, cap=0.02)  # the refusals in a row come quickly
    result = {}
    thread = threading.Thread(target=lambda: result.update(status=host.run()), daemon=True)
    thread.start()
    try:
        assert wait_until(lambda: bad.exit_status is not None)
        assert bad.exit_status == EXIT_UNFIXABLE and "login" in bad.problem.lower()
        assert sorted(host.running()) == ["centre", "nord"]
        # After its stop, the others still answer.
        senders = {}
        for name in ("centre", "nord"):
            senders[name], raw = help_mail(name, 3)
            dovecot.append(networks[name]["user"], "INBOX", raw)
        assert wait_until(lambda: all(answered(sink, s) for s in senders.values()))
    finally:
        host.request_stop()
        thread.join(timeout=60)
    assert not thread.is_alive()
    assert result["status"] == EXIT_UNFIXABLE

    status = rers("status", "--networks", str(tmp_path / "networks"))
    assert status.returncode == 1
    assert "en échec (sud)." in status.stdout


def test_a_parked_message_stays_the_business_of_its_network(tmp_path, dovecot, sink, monkeypatch):
    # Polling every second: the poison message fails at three cycles in a row, then is parked.
    networks = make_networks(tmp_path / "networks", dovecot, sink, monkeypatch, poll_seconds=1)
    fail_on(monkeypatch, b"POISON-19")
    host = Host(tmp_path / "networks")
    result = {}
    thread = threading.Thread(target=lambda: result.update(status=host.run()), daemon=True)
    thread.start()
    try:
        poison = member_mail("someone@example.net", "AIDE", "POISON-19\n", to="rers.centre@example.org",
                             message_id=f"<host-poison-{os.getpid()}@client.example>")
        dovecot.append(networks["centre"]["user"], "INBOX", poison)
        centre_store = networks["centre"]["settings"].store.path
        assert wait_until(lambda: Store.open(centre_store).ledger.count() == 1, timeout=60)  # parked: in the ledger
        assert dovecot.uids(networks["centre"]["user"], "Erreurs") != []
        senders = {}
        for name in NAMES:
            senders[name], raw = help_mail(name, 4)
            dovecot.append(networks[name]["user"], "INBOX", raw)
        assert wait_until(lambda: all(answered(sink, s) for s in senders.values()))
        assert sorted(host.running()) == list(NAMES)
    finally:
        host.request_stop()
        thread.join(timeout=60)
    assert result["status"] == 0
