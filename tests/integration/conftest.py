"""Fixtures for whole-robot integration tests: a configuration file pointing at the real
Dovecot account and SMTP sink of ``tests/conftest.py``."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import make_settings

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Robot:
    """A configured robot: ``settings``, its ``config`` file, the env its secrets need."""

    root: Path
    settings: object
    env: dict[str, str]

    @property
    def config(self) -> Path:
        return self.root / "rers.toml"

    def command(self, *args: str, now: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        """Run the real `rers` command in a subprocess with this configuration."""
        env = {**os.environ, **self.env}
        if now:
            env["RERS_NOW"] = now
        result = subprocess.run(
            [sys.executable, "-m", "workflows.cli", *args, "--config", str(self.config)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"rers {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result


@pytest.fixture
def imap_robot(tmp_path, imap_account, sink, smtp_sink, monkeypatch) -> Robot:
    """A robot reading ``imap_account``'s INBOX over plain IMAP and sending to the sink."""
    server = imap_account.dovecot
    mailbox = (
        f'kind = "imap"\nhost = "{server.host}"\nport = {server.port}\nsecurity = "none"\n'
        f'username = "{imap_account.user}"\npassword_env = "{imap_account.password_env}"\ntimeout_seconds = 10'
    )
    transport = f'kind = "smtp"\nhost = "{smtp_sink.host}"\nport = {smtp_sink.port}\nsecurity = "none"\ntimeout_seconds = 10'
    settings = make_settings(tmp_path / "robot", mailbox=mailbox, transport=transport)
    env = {imap_account.password_env: os.environ[imap_account.password_env]}
    return Robot(root=tmp_path / "robot", settings=settings, env=env)
