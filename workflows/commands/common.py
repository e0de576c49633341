"""Plumbing shared by the sub-commands: configuration, store, clock."""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from workflows.shell.errors import EXIT_CONFIG, UserError


def config_path(args) -> Path:
    """The configuration file: ``--config``, else ``$RERS_CONFIG``, else ``./rers.toml``."""
    given = getattr(args, "config", None) or os.environ.get("RERS_CONFIG")
    return Path(given) if given else Path("rers.toml")


def load_settings(args):
    """The validated settings (raises :class:`config.settings.ConfigError`)."""
    from config.settings import load

    return load(config_path(args))


def clock_from_env():
    """The clock: real UTC time, or ``$RERS_NOW`` (ISO-8601) frozen — a testing aid that
    lets a test run the real command "21 days later" without waiting."""
    fixed = os.environ.get("RERS_NOW")
    if not fixed:
        return lambda: datetime.now(timezone.utc)
    try:
        value = datetime.fromisoformat(fixed)
    except ValueError:
        raise UserError("RERS_NOW={value!r} is not an ISO-8601 date and time", EXIT_CONFIG, value=fixed) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return lambda: value.astimezone(timezone.utc)


def open_store(settings):
    """The store named by the settings. Raises :class:`store.StoreError`, and
    :class:`store.StoreMissing` when neither it nor its backup exists: a store is only
    ever created by `rers init` (an unmounted disk must not become an empty store)."""
    from store import Store

    return Store.open(settings.store.path)


def flush_outbox(settings, store, clock) -> str:
    """Send what the command queued now (one SMTP connection); one line saying how it went."""
    from workflows.shell.runner import Runner

    from workflows.shell.language import words_for

    say = words_for(settings)
    report = Runner(settings, store, clock=clock).flush()
    line = say("{sent} mail(s) sent, {retry} to retry, {failed} failed.", sent=len(report.sent),
               retry=len(report.retry), failed=len(report.failed))
    if report.error:
        line += "\n" + say("Sending stopped: {error}", error=report.error)
        line += "\n" + say("What is still queued leaves at the robot's next cycle.")
    return line
