"""Helpers shared by the tests: a configuration pointing anywhere, and member mails."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from config.settings import Settings, loads

NETWORK = "rers.test@example.org"
ANIMATORS = ("anim.one@example.org", "anim.two@example.org")


def config_text(root: Path, *, mailbox: str = "", transport: str = "", network: str = "", extra: str = "",
                address: str = NETWORK, name: str = "RERS de Test") -> str:
    """A complete configuration whose folders live under ``root``. ``mailbox`` and
    ``transport`` replace their sections' bodies (default: Maildir and outbox folder);
    ``address`` and ``name``: the network's (another network's, for linked networks)."""
    mailbox = mailbox or 'kind = "maildir"\npath = "mail"'
    transport = transport or 'kind = "folder"\npath = "outbox"'
    animators = ", ".join(f'"{a}"' for a in ANIMATORS)
    return f"""
[network]
name = "{name}"
address = "{address}"
animators = [{animators}]
{network}

[mailbox]
{mailbox}

[transport]
{transport}

[store]
path = "store/rers.json"

[calendar]
output_dir = "calendar"

{extra}
"""


def make_settings(root: Path, **parts: str) -> Settings:
    """Settings for a test folder ``root`` (see :func:`config_text`), and its empty store
    (as `rers init` makes it: the robot's commands never create one)."""
    from store import Store
    from workflows.shell.sandbox import MARKER

    root.mkdir(parents=True, exist_ok=True)
    text = config_text(root, **parts)
    (root / "rers.toml").write_text(text, encoding="utf-8")
    # A test folder is a sandbox (its clock may be moved: RERS_NOW) while it reads a Maildir
    # and writes an outbox folder; one on the test servers is not (tests/rers_at.py).
    (root / MARKER).write_text("a test folder\n", encoding="utf-8")
    settings = loads(text, base=root, source=root / "rers.toml")
    path = settings.store.path
    if not (path.exists() or path.with_name(path.name + ".bak").exists()):
        Store.create(path)
    return settings


def member_mail(
    sender: str,
    subject: str,
    body: str,
    *,
    name: str = "",
    message_id: str | None = None,
    date: datetime | None = None,
    headers: dict[str, str] | None = None,
    to: str = NETWORK,
) -> bytes:
    """A plain-text mail as a simple client sends it (quoted-printable UTF-8, CRLF)."""
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>" if name else sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc))
    msg["Message-ID"] = message_id or f"<{hashlib.sha1((sender + subject + body).encode()).hexdigest()[:20]}@client.example>"
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body, cte="quoted-printable")
    return msg.as_bytes(policy=policy.SMTP)


class SteppingClock:
    """A clock for a Runner or a Daemon that moves only when a test moves ``now`` (aware
    UTC; starts Monday 30 November 2026, 9:00 UTC)."""

    def __init__(self):
        self.now = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now


def fail_on(monkeypatch, marker: bytes) -> None:
    """Make every handler raise (a bug in our code, as far as the runner can tell) for the
    messages whose raw bytes hold ``marker``; the others are handled as usual."""
    import workflows.shell.runner as runner_module

    real_dispatch = runner_module.dispatch

    def dispatch(plan, incoming):
        if marker in incoming.raw:
            raise RuntimeError("a bug triggered by this message")
        return real_dispatch(plan, incoming)

    monkeypatch.setattr(runner_module, "dispatch", dispatch)
