"""Plumbing shared by the sub-commands: configuration, store, sending (their clock:
:func:`workflows.shell.clock.clock_for`)."""
from __future__ import annotations

import os
from pathlib import Path


def config_path(args) -> Path:
    """The configuration file: ``--config``, else ``$RERS_CONFIG``, else ``./rers.toml``."""
    given = getattr(args, "config", None) or os.environ.get("RERS_CONFIG")
    return Path(given) if given else Path("rers.toml")


def load_settings(args):
    """The validated settings (raises :class:`config.settings.ConfigError`)."""
    from config.settings import load

    return load(config_path(args))


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


def status_code(written: str, table, say) -> str:
    """The store's status word that ``written`` names, for a ``--status`` filter: the code
    itself (``expired``) or its word in the operator's language as the lists show it
    (« expirée », « en attente »), case and accents ignored. ``table``: code → its word
    (a :class:`workflows.model.said.Label`, or a catalogued English word said by ``say``).
    Raises :class:`workflows.shell.errors.UserError` naming the words it knows."""
    from workflows.mail.textutil import fold
    from workflows.model.said import Said, said
    from workflows.shell.errors import UserError

    def shown(label) -> str:
        return said(label, say) if isinstance(label, Said) else say(label)

    wanted = fold(written)
    for code, label in table.items():
        if wanted in (fold(code), fold(shown(label))):
            return code
    raise UserError("unknown status {status} (one of: {choices})", status=written,
                    choices=", ".join(shown(label) for label in table.values()))
