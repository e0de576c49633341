"""A user's mistake is one clear message and a non-zero exit status, never a traceback."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from servers import free_port
from workflows.shell.language import Words

FR = Words("fr")


def not_json(store: Path) -> str:
    """The head of the line that says the store ``store`` is not JSON, in French."""
    return FR("the store {path} is not valid JSON: {error}. {advice}", path=store, error="", advice="").split(" :")[0]

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def rers(*args: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "workflows.cli", *args], cwd=cwd, capture_output=True, text=True,
                            env={**os.environ, **(env or {})}, timeout=60)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    return result


def test_missing_configuration(tmp_path):
    result = rers("poll", "--once", "--config", str(tmp_path / "nope.toml"))
    assert result.returncode == 2 and "fichier introuvable" in result.stderr and "rers init" in result.stderr


def test_rers_config_variable_is_used(tmp_path):
    result = rers("status", env={"RERS_CONFIG": str(tmp_path / "elsewhere.toml")})
    assert result.returncode == 2 and "elsewhere.toml" in result.stderr


def test_invalid_configuration_lists_every_problem(tmp_path):
    rers("init", str(tmp_path / "net"))
    config = tmp_path / "net" / "rers.toml"
    config.write_text(config.read_text().replace('kind = "maildir"', 'kind = "pop3"').replace(
        "poll_seconds = 60", "poll_seconds = -1"))
    result = rers("poll", "--once", "--config", str(config))
    assert result.returncode == 2
    assert "[mailbox] kind" in result.stderr and "[schedule] poll_seconds" in result.stderr
    assert "ligne " in result.stderr  # French: the network of `rers init` speaks French


def test_init_twice_is_refused(tmp_path):
    assert rers("init", str(tmp_path / "net")).returncode == 0
    result = rers("init", str(tmp_path / "net"))
    assert result.returncode == 1 and "existe déjà" in result.stderr and "--force" in result.stderr


def test_parse_a_missing_file():
    result = rers("parse", "/nonexistent/message.eml")
    assert result.returncode == 1 and "impossible de lire" in result.stderr


def test_wrong_password_and_refused_connection(robot_factory, imap_account):
    robot = robot_factory()
    wrong = rers("poll", "--once", "--config", str(robot.config), env={imap_account.password_env: "wrong"})
    assert wrong.returncode == 1 and FR("wrong username or password?") in wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1
    missing = rers("poll", "--once", "--config", str(robot.config), env={imap_account.password_env: ""})
    assert missing.returncode == 1
    text = robot.config.read_text().replace(f"port = {imap_account.dovecot.port}", f"port = {free_port()}")
    robot.config.write_text(text)
    port = int(text.split("port = ", 1)[1].split()[0])
    refused = rers("poll", "--once", "--config", str(robot.config), env=robot.env)
    assert refused.returncode == 1
    assert refused.stderr.strip() == "rers: " + FR("{where} refused the connection (is it running, and is the port "
                                                   "right?)", where=FR("the {service} server {host}:{port}",
                                                                       service="IMAP", host="127.0.0.1", port=port))


def test_unset_password_variable(robot_factory, imap_account):
    robot = robot_factory()
    env = {k: v for k, v in os.environ.items() if k != imap_account.password_env}
    result = subprocess.run([sys.executable, "-m", "workflows.cli", "poll", "--once", "--config", str(robot.config)],
                            cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2 and imap_account.password_env in result.stderr, "as `rers run`: no retry fixes it"
    assert "Traceback" not in result.stderr


def test_corrupt_store_is_reported_and_kept(tmp_path):
    rers("init", str(tmp_path / "net"))
    store = tmp_path / "net" / "store" / "rers.json"
    store.write_text('{"members": {"1": ')
    result = rers("poll", "--once", "--config", str(tmp_path / "net" / "rers.toml"))
    assert result.returncode == 1 and not_json(store) in result.stderr
    assert store.read_text() == '{"members": {"1": '


def test_a_store_folder_that_cannot_be_written(tmp_path):
    rers("init", str(tmp_path / "net"))
    config = tmp_path / "net" / "rers.toml"
    config.write_text(config.read_text().replace('path = "store/rers.json"', 'path = "/proc/rers-test/rers.json"'))
    result = rers("poll", "--once", "--config", str(config))
    assert result.returncode == 1 and "impossible de verrouiller" in result.stderr


def test_a_maildir_that_lost_its_layout_is_completed(tmp_path):
    rers("init", str(tmp_path / "net"))
    mail = tmp_path / "net" / "mail"
    for sub in ("cur", "new", "tmp"):
        (mail / sub).rmdir()
    doctor = rers("doctor", "--config", str(tmp_path / "net" / "rers.toml"))
    assert "il manque cur, new, tmp" in doctor.stdout
    result = rers("poll", "--once", "--config", str(tmp_path / "net" / "rers.toml"))
    assert result.returncode == 0 and all((mail / sub).is_dir() for sub in ("cur", "new", "tmp"))


def test_jobs_for_cron_users(tmp_path):
    rers("init", str(tmp_path / "net"))
    config = str(tmp_path / "net" / "rers.toml")
    result = rers("jobs", "--config", config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok    calendrier" in result.stdout and "ok    rapport mensuel" in result.stdout
    assert (tmp_path / "net" / "calendar" / "calendrier.ics").exists()
    poll = rers("poll", "--once", "--config", config)
    assert "en attente d’envoi" in poll.stdout
