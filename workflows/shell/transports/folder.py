"""An outbox folder as the robot's transport: each mail becomes one ``.eml`` file.

The embedded default: a newcomer opens the files with any mail program. The file name is
derived from the Message-ID, so sending the same mail twice writes the same file once.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Iterable

from config.settings import TransportSettings
from workflows.mail.rfc5322 import transport_address
from workflows.model.said import Said
from workflows.shell.errors import os_problem
from workflows.shell.transports.base import SendResult, TransportError


def _file_name(message: bytes) -> str:
    # Only the headers: the body may hold a message nested too deep for the email package.
    parsed = BytesHeaderParser(policy=policy.compat32).parsebytes(message)
    return _file_name_of(str(parsed.get("Message-ID", ""))) or f"{hashlib.sha256(message).hexdigest()[:32]}.eml"


def _file_name_of(message_id: str) -> str | None:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", message_id.strip("<> \r\n"))[:120]
    return f"{stem}.eml" if stem else None


def remove_sent(folder: Path, message_ids: Iterable[str]) -> list[str]:
    """Delete from the outbox ``folder`` the files of the mails ``message_ids`` (``<…>``,
    as the robot made them): each file named after its Message-ID, and taken only when
    the Message-ID in it is that one (two Message-IDs may give one name). Returns those
    deleted; a folder or a file missing holds nothing. Raises ``OSError`` (a file that
    cannot be read or deleted)."""
    from workflows.model.traces import message_id_of

    removed = []
    for message_id in message_ids:
        name = _file_name_of(message_id)
        path = folder / name if name else None
        try:
            if path is None or message_id_of(path.read_bytes()) != message_id:
                continue
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(message_id)
    return removed


_TMP_RE = re.compile(r"\.(\d+)-[^/]*\.tmp")
"""A temporary file's name: the id of the process writing it, then mkstemp's letters."""


def _gone(pid: int) -> bool:
    """True when no process ``pid`` runs (one of another user's counts as running)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # not ours to signal: it runs
        return False
    return False


class FolderTransport:
    """``settings.path``: the outbox folder (created if missing)."""

    def __init__(self, settings: TransportSettings):
        if settings.path is None:
            raise TransportError(Said("[transport] path is not set: the folder transport needs a folder"),
                                 temporary=False)
        self.folder = Path(settings.path)

    def __enter__(self) -> "FolderTransport":
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise TransportError(os_problem(error, Said("cannot create the outbox {path}", path=self.folder),
                                            with_file=False), temporary=True) from None
        self._remove_leftovers()
        return self

    def _remove_leftovers(self) -> None:
        """Delete the temporary files a killed process left half-written (never read: the
        mail stays queued and is written again): at once when the process that wrote it
        (its id is in the name, :data:`_TMP_RE`) is no longer running, else once older
        than an hour, so that a file another process is writing right now is left alone."""
        limit = time.time() - 3600
        for leftover in self.folder.glob(".*.tmp"):
            try:
                match = _TMP_RE.fullmatch(leftover.name)
                if (match and _gone(int(match.group(1)))) or leftover.stat().st_mtime < limit:
                    leftover.unlink()
            except OSError:  # gone meanwhile, or not ours to delete: harmless either way
                continue

    def __exit__(self, *exc) -> None:
        pass

    def send(self, sender: str, recipients: list[str], message: bytes) -> SendResult:
        """Write ``message`` as ``<Message-ID>.eml``, prefixed with ``X-Envelope-From`` and
        ``X-Envelope-To`` headers (the SMTP envelope a server would have seen: domains as
        their A-label), atomically."""
        to = ", ".join(transport_address(address) for address in recipients)
        # UTF-8 only for an address whose local part is (then the message is RFC 6532 too).
        envelope = f"X-Envelope-From: <{transport_address(sender)}>\r\nX-Envelope-To: {to}\r\n".encode("utf-8")
        target = self.folder / _file_name(message)
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{os.getpid()}-", suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(envelope + message)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except OSError as error:
            if tmp is not None:  # a half-written file would only take more of a full disk
                try:
                    os.unlink(tmp)
                except OSError:
                    pass  # a full disk too: the mail stays queued and is retried
            raise TransportError(os_problem(error, Said("cannot write {path}", path=target), with_file=False),
                                 temporary=True) from None
        return SendResult()
