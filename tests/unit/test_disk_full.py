"""A full disk (issue 14, docs/security.md "Floods"): wherever the robot writes — the
store, the outbox folder, the calendar files, the catalogue page, the Maildir move, its
lock — a write refused with ENOSPC gives one clear line and a non-zero exit, never a
traceback, and nothing is lost: the message stays in the mailbox (or its effect is in the
store and the ledger makes the repeat a no-op), the mail stays queued, the previous files
stay whole."""
from __future__ import annotations

import errno
import logging
import mailbox
import os
from pathlib import Path

import pytest

from membership_support import mail
from store import Store, StoreError
from support import make_settings
from workflows.cli import main
from workflows.model.system import SYSTEM_REASONS
from workflows.shell.language import Words

FULL = os.strerror(errno.ENOSPC)


def said_full(line: str) -> bool:
    """True when ``line`` says the disk is full as the system's reason (workflows.shell.errors.system_reason:
    French or English) or as the system's words (the store's own lines)."""
    return any(words in line for words in (FULL, "plus de place sur le disque", "no space left on the disk"))


def full(path: str | None = None) -> OSError:
    return OSError(errno.ENOSPC, FULL, path)


def disk_full_under(monkeypatch, folder: Path | None) -> None:
    """Every fsync of a file under ``folder`` (every fsync when None) fails: the disk is
    full (ext4 and XFS report a delayed allocation that cannot be made at fsync)."""
    real = os.fsync

    def fsync(fd):
        if folder is None:
            raise full()
        try:
            name = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            name = ""
        if name.startswith(str(folder.resolve())):
            raise full(name)
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


@pytest.fixture
def robot(tmp_path, monkeypatch, request):
    """A network in French, or in the language a test gives (``indirect`` parameter)."""
    language = getattr(request, "param", "fr")
    settings = make_settings(tmp_path / "robot", network=f'language = "{language}"')
    monkeypatch.setenv("RERS_NOW", "2026-11-23T09:00:00+00:00")
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    return settings


def deliver(settings, *raws: bytes) -> None:
    box = mailbox.Maildir(settings.mailbox.path, create=True)
    for raw in raws:
        box.add(raw)


def inbox(settings) -> int:
    return len(list((Path(settings.mailbox.path) / "new").iterdir()) +
               list((Path(settings.mailbox.path) / "cur").iterdir()))


def rers(settings, *args: str, capsys) -> tuple[int, str, str]:
    status = main([*args, "--config", str(settings.source)])
    out, err = capsys.readouterr()
    return status, out, err


def one_clear_line(err: str, disk_full: str = "le disque est plein") -> str:
    """The one line of ``err``, which says the disk is full (in French unless told: the
    network's language)."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err and len(lines) == 1, err
    assert said_full(lines[0]) and disk_full in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("robot", ["fr", "en"], indirect=True)
def test_a_store_that_cannot_be_written_is_one_line_and_the_message_waits(robot, monkeypatch, capsys):
    say = Words(robot.network.language)
    deliver(robot, mail("anna@example.net", "AIDE", "?"))
    assert rers(robot, "poll", capsys=capsys)[0] == 0
    before = robot.store.path.read_bytes()
    deliver(robot, mail("paul@example.net", "AIDE", "?"))
    disk_full_under(monkeypatch, None)
    status, _, err = rers(robot, "poll", capsys=capsys)
    assert status == 1
    full_disk = say(" (the disk is full: free some space; the previous file is intact, nothing was lost)")
    assert one_clear_line(err, full_disk) == "rers: " + say("cannot write the store {path}: {reason}{full}",
                                                            path=robot.store.path, reason=SYSTEM_REASONS[errno.ENOSPC],
                                                            full=full_disk)
    assert robot.store.path.read_bytes() == before, "the previous file is whole"
    assert inbox(robot) == 1, "the message stays in the mailbox"
    monkeypatch.undo()
    monkeypatch.setenv("RERS_NOW", "2026-11-23T09:05:00+00:00")
    status, out, _ = rers(robot, "poll", capsys=capsys)
    assert status == 0 and say("{read} message(s) read: {handled} handled, {repeat} already seen, {failed} failed, {parked} parked.",
                                 read=1, handled=1, repeat=0, failed=0, parked=0) in out and inbox(robot) == 0


@pytest.mark.parametrize("robot", ["fr", "en"], indirect=True)
def test_an_outbox_folder_that_cannot_be_written_keeps_the_mail_queued(robot, monkeypatch, capsys):
    deliver(robot, mail("anna@example.net", "AIDE", "?"))
    disk_full_under(monkeypatch, robot.transport.path)
    status, out, err = rers(robot, "poll", capsys=capsys)
    assert status == 1 and "Traceback" not in err
    say = Words(robot.network.language)
    head = say("Sending stopped: {error}", error=say("cannot write {path}", path=Path(robot.transport.path)))
    stopped = [line for line in out.splitlines() if line.startswith(head)]
    assert len(stopped) == 1 and said_full(stopped[0]), out
    assert stopped[0].endswith(say(" ({hint})", hint=say("the disk is full: free some space, then run the robot "
                                                        "again (nothing was lost)"))), stopped[0]
    store = Store.open(robot.store.path)
    (queued,) = store.outbox.find("status", "queued")
    assert queued["attempts"] == 1 and inbox(robot) == 0, "handled, its answer waits"
    assert not [p for p in Path(robot.transport.path).iterdir()], "no half-written file left"
    monkeypatch.undo()
    monkeypatch.setenv("RERS_NOW", "2026-11-23T10:00:00+00:00")
    status, out, _ = rers(robot, "poll", capsys=capsys)
    assert status == 0 and say("{sent} mail(s) sent, {failed} given up, {waiting} waiting to be sent.", sent=1, failed=0,
                                 waiting=0) in out and len(list(Path(robot.transport.path).glob("*.eml"))) == 1


def test_calendar_files_that_cannot_be_written_are_one_line(robot, monkeypatch, capsys):
    disk_full_under(monkeypatch, robot.calendar.output_dir)
    status, _, err = rers(robot, "calendar", "publish", capsys=capsys)
    assert status == 1
    assert one_clear_line(err).startswith(f"rers: impossible d’écrire {Path(robot.calendar.output_dir).resolve()}")
    assert not [p for p in Path(robot.calendar.output_dir).iterdir() if p.name.endswith(".tmp")]


def test_a_catalogue_page_that_cannot_be_written_is_one_line(robot, monkeypatch, capsys):
    disk_full_under(monkeypatch, robot.calendar.output_dir)
    status, _, err = rers(robot, "catalogue", "publish", capsys=capsys)
    assert status == 1 and one_clear_line(err).startswith("rers: impossible d’écrire la page du catalogue")


@pytest.mark.parametrize("robot", ["fr", "en"], indirect=True)
def test_a_maildir_move_refused_is_one_line_and_the_repeat_is_a_no_op(robot, monkeypatch, capsys):
    import workflows.shell.mailboxes.maildir as maildir

    deliver(robot, mail("anna@example.net", "AIDE", "?"))

    def move(source, target, colon):
        raise full(str(target))

    monkeypatch.setattr(maildir, "_move_file", move)
    status, _, err = rers(robot, "poll", capsys=capsys)
    assert status == 1 and "Traceback" not in err
    say = Words(robot.network.language)
    moved = "rers: " + say("cannot move handled mail to {where}", where=Path(robot.mailbox.path))
    assert [line for line in err.splitlines() if line.startswith(moved) and said_full(line)], err
    assert inbox(robot) == 1
    monkeypatch.undo()
    monkeypatch.setenv("RERS_NOW", "2026-11-23T09:05:00+00:00")
    status, out, _ = rers(robot, "poll", capsys=capsys)
    assert status == 0 and inbox(robot) == 0
    assert say("{read} message(s) read: {handled} handled, {repeat} already seen, {failed} failed, {parked} parked.",
               read=1, handled=0, repeat=1, failed=0, parked=0) in out
    assert len(Store.open(robot.store.path).outbox.all()) == 1, "answered once"


def test_the_instance_lock_that_cannot_be_written_is_one_line(robot, monkeypatch, capsys):
    from workflows.shell import daemon

    def write_text(self, *args, **kwargs):
        raise full(str(self))

    monkeypatch.setattr(daemon.Path, "write_text", write_text)
    status, _, err = rers(robot, "poll", capsys=capsys)
    assert status == 1 and one_clear_line(err).startswith("rers: impossible d’écrire")


def test_an_unforeseen_write_is_one_line_too(robot, monkeypatch, capsys):
    from workflows.commands import calendar

    def publish(*args, **kwargs):
        raise full("/srv/rers/somewhere")

    monkeypatch.setattr("workflows.shell.publish.publish_calendar", publish)
    status, _, err = rers(robot, "calendar", "publish", capsys=capsys)
    assert status == 1 and one_clear_line(err) == (
        "rers: impossible d’écrire /srv/rers/somewhere : plus de place sur le disque (le disque est plein : libérez de la place, puis "
        "relancez le robot (rien n’est perdu))")


def test_the_daemon_logs_one_line_for_a_full_disk(robot, caplog):
    from workflows.shell.daemon import Daemon

    class Runner:
        def cycle(self):
            raise StoreError(f"cannot write the store {robot.store.path}: {FULL} (the disk is full)")

    daemon = Daemon(robot, Store.open(robot.store.path), runner=Runner(), jobs=[])
    caplog.set_level(logging.INFO)

    def job():
        raise full("/srv/rers/calendar/calendrier.ics")

    daemon.guarded("calendar", job)()
    daemon.stop_event.set()  # no wait between the tries
    assert daemon._cycle() is False
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2 and all(r.exc_info is None for r in errors)
    assert all(said_full(r.getMessage()) for r in errors)
    assert daemon.state.last_error.startswith("cannot write the store")


def test_the_cycle_logs_one_line_when_the_calendar_cannot_be_published(robot, monkeypatch, caplog):
    import workflows.shell.runner as runner_module

    def publish(*args):
        raise full("/srv/rers/calendar/calendrier.ics")

    monkeypatch.setattr(runner_module, "publish_if_changed", publish)
    caplog.set_level(logging.INFO)
    runner_module.Runner(robot, Store.open(robot.store.path)).cycle()
    (error,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert error.exc_info is None and said_full(error.getMessage())
