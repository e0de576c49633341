"""The folder transport (the embedded default's outbox): each mail an atomic ``.eml``
file; what a killed process leaves half-written is cleaned, never delivered."""
from __future__ import annotations

import os
import time

from config.settings import TransportSettings
from workflows.shell.transports.folder import FolderTransport

MAIL = b"Message-ID: <one@example.org>\r\nSubject: Bonjour\r\n\r\nBonjour\r\n"


def test_a_mail_is_one_file_with_its_envelope(tmp_path):
    with FolderTransport(TransportSettings(kind="folder", path=tmp_path / "outbox")) as transport:
        transport.send("rers@example.org", ["a@example.net"], MAIL)
    (written,) = (tmp_path / "outbox").glob("*.eml")
    assert written.read_bytes().startswith(b"X-Envelope-From: <rers@example.org>\r\nX-Envelope-To: a@example.net\r\n")
    assert written.read_bytes().endswith(MAIL)


def test_half_written_files_of_a_killed_process_are_removed_when_old(tmp_path):
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    old, recent = outbox / ".abc.tmp", outbox / ".def.tmp"
    for leftover in (old, recent):
        leftover.write_bytes(b"X-Envelope-From: <rers@example.org>\r\nSubj")
    hours_ago = time.time() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))
    with FolderTransport(TransportSettings(kind="folder", path=outbox)):
        pass
    assert not old.exists(), "a leftover of a killed process is deleted"
    assert recent.exists(), "a file another process may be writing now is left alone"


def test_a_leftover_of_a_process_no_longer_running_is_removed_at_once(tmp_path):
    import subprocess
    import sys

    outbox = tmp_path / "outbox"
    outbox.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    killed, running = outbox / f".{int(dead.stdout)}-k3j2.tmp", outbox / f".{os.getppid()}-a9x1.tmp"
    for leftover in (killed, running):
        leftover.write_bytes(b"X-Envelope-From: <rers@example.org>\r\nSubj")
    with FolderTransport(TransportSettings(kind="folder", path=outbox)) as transport:
        transport.send("rers@example.org", ["a@example.net"], MAIL)
    assert not killed.exists(), "its process was killed (kill -9): cleaned at the next start"
    assert running.exists(), "a process still running may be writing it"
    assert [p.name for p in outbox.iterdir() if p.name.endswith(".tmp")] == [running.name]
