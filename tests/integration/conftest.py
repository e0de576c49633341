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
        """Run the real `rers` command in a subprocess with this configuration; ``now``: as at
        that instant (ISO-8601), through ``tests/rers_at.py`` (no sandbox: ``RERS_NOW`` is
        refused on these robots)."""
        env = {**os.environ, **self.env}
        env.pop("RERS_NOW", None)
        launcher = [str(ROOT / "tests" / "rers_at.py"), now] if now else ["-m", "workflows.cli"]
        result = subprocess.run(
            [sys.executable, *launcher, *args, "--config", str(self.config)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"rers {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result


@pytest.fixture
def robot_factory(tmp_path, imap_account, sink, smtp_sink):
    """``robot_factory(mailbox_extra="", transport_extra="", **parts)``: a robot reading
    ``imap_account``'s INBOX over plain IMAP and sending to the sink; the extras are
    added to those sections, ``parts`` go to :func:`support.make_settings`."""

    def build(mailbox_extra: str = "", transport_extra: str = "", smtp_timeout: float = 10, **parts) -> Robot:
        server = imap_account.dovecot
        mailbox = (
            f'kind = "imap"\nhost = "{server.host}"\nport = {server.port}\nsecurity = "none"\n'
            f'username = "{imap_account.user}"\npassword_env = "{imap_account.password_env}"\n'
            f"timeout_seconds = 10\n{mailbox_extra}"
        )
        transport = (
            f'kind = "smtp"\nhost = "{smtp_sink.host}"\nport = {smtp_sink.port}\nsecurity = "none"\n'
            f"timeout_seconds = {smtp_timeout}\n{transport_extra}"
        )
        settings = make_settings(tmp_path / "robot", mailbox=mailbox, transport=transport, **parts)
        env = {imap_account.password_env: os.environ[imap_account.password_env]}
        return Robot(root=tmp_path / "robot", settings=settings, env=env)

    return build


@pytest.fixture
def imap_robot(robot_factory) -> Robot:
    """A robot on the test servers with the default settings."""
    return robot_factory()
