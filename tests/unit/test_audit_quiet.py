"""A command at a terminal speaks the network's language: the audit trail's English
warnings (logger ``rers.audit``) are left out of `rers poll`, `rers demo`… (each message's
outcome is said by the command itself), kept by `rers run` and with --log-level info."""
from __future__ import annotations

import logging

import pytest

import workflows.cli as cli
from workflows.shell.logs import AuditQuiet


def record(name: str, level: int) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, "<x@y>: confirmation request withheld", None, None)


def test_the_audit_trail_s_warnings_are_left_out_its_errors_and_other_warnings_kept():
    quiet = AuditQuiet()
    assert not quiet.filter(record("rers.audit", logging.WARNING))
    assert not quiet.filter(record("rers.audit", logging.INFO))
    assert quiet.filter(record("rers.audit", logging.ERROR))
    assert quiet.filter(record("workflows.shell.runner", logging.WARNING))


@pytest.mark.parametrize("argv, terminal, shown", [
    (["poll"], True, False), (["demo", "x"], True, False), (["run"], True, True),
    (["poll", "--log-level", "info"], True, True),
    # From cron (stderr mailed or kept, no terminal) the audit trail is the only log.
    (["poll"], False, True), (["demo", "x"], False, False),
])
def test_which_commands_show_the_audit_trail(monkeypatch, tmp_path, argv, terminal, shown):
    seen = {}
    monkeypatch.setattr(cli.sys.stderr, "isatty", lambda: terminal, raising=False)

    def configure(level, networks=False, audit_shown=True):
        seen["shown"] = audit_shown
        raise SystemExit(0)  # the command itself is not run

    monkeypatch.setattr(cli, "configure_logging", configure)
    with pytest.raises(SystemExit):
        cli.main([*argv, "--config", str(tmp_path / "rers.toml")] if argv[0] != "demo" else argv)
    assert seen["shown"] is shown


def test_a_handler_made_for_a_terminal_command_drops_the_audit_warnings(monkeypatch):
    root = logging.getLogger()
    before = list(root.handlers)
    monkeypatch.setattr(root, "handlers", [])
    try:
        cli.configure_logging("warning", audit_shown=False)
        (handler,) = root.handlers
        assert any(isinstance(f, AuditQuiet) for f in handler.filters)
    finally:
        root.handlers = before
