"""A local Maildir as the robot's mailbox: the embedded default, no server needed.

Uses the standard library's :class:`mailbox.Maildir` (Maildir++ sub-folders for the done
and error folders). Messages are handed out oldest first; the key of each is
``maildir:<maildir key>``, stable until the message is moved. Handled and parked messages
are moved as files (renamed), never parsed.
"""
from __future__ import annotations

import errno
import logging
import mailbox
import os
import stat
import uuid
from pathlib import Path
from typing import Iterator

from config.settings import MailboxSettings
from workflows.model.said import Said
from workflows.shell.errors import os_problem
from workflows.shell.mailboxes.base import MailboxError, SourceMessage

log = logging.getLogger(__name__)

_PREFIX = "maildir:"


class MaildirMailbox:
    """``settings.path`` is the Maildir root (created with ``cur``/``new``/``tmp`` if missing)."""

    def __init__(self, settings: MailboxSettings):
        if settings.path is None:
            raise MailboxError(Said("[mailbox] path is not set: a Maildir needs a folder"))
        self.settings = settings
        self.root = Path(settings.path)
        self._box: mailbox.Maildir | None = None

    def __enter__(self) -> "MaildirMailbox":
        try:
            self._box = mailbox.Maildir(self.root, factory=None, create=True)
            # A folder that exists without the Maildir layout (made by hand): complete it.
            for sub in ("cur", "new", "tmp"):
                (self.root / sub).mkdir(exist_ok=True)
        except OSError as error:
            raise MailboxError(os_problem(error, Said("cannot open the Maildir {path}", path=self.root),
                                          with_file=False)) from None
        return self

    def __exit__(self, *exc) -> None:
        self._box = None

    @property
    def box(self) -> mailbox.Maildir:
        if self._box is None:
            raise MailboxError(Said("the Maildir is not open (use it in a `with` block)"))
        return self._box

    def batches(self, size: int) -> Iterator[list[SourceMessage]]:
        """Messages of the Maildir's top folder, oldest first, ``size`` at a time.

        Only regular files are read: a symbolic link (``ln -s /etc/passwd new/x``) or any
        other kind of entry is never followed nor read; it is left in place and logged as a
        WARNING by its name under the root (no content)."""
        batch: list[SourceMessage] = []
        # Maildir keys begin with the delivery time in seconds: their order is arrival order.
        for key, relative in sorted(self._files(warn=True).items()):
            raw = _read_regular(self.root / relative)
            if raw is None:  # moved away by another process meanwhile, or not a plain file
                continue
            batch.append(SourceMessage(key=_PREFIX + key, raw=raw))
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _move(self, keys: list[str], folder_name: str) -> None:
        """Move the files of ``keys`` to the Maildir++ sub-folder ``folder_name`` as they
        are: renamed, never read nor parsed (a message nested thousands of MIME levels
        deep moves like any other), keeping their ``new``/``cur`` place, flags and date.

        Raises :class:`MailboxError` when the folder cannot be made or when no message
        could be moved; a single message that cannot be moved while others can is logged
        and left where it is (the store's ledger recognises it when it is read again).
        """
        own_keys = []
        for key in keys:
            if key.startswith(_PREFIX):
                own_keys.append(key[len(_PREFIX):])
            else:
                log.warning("not a Maildir key, left alone: %s", key)
        if not own_keys:
            return
        where = f"{self.root}/.{folder_name}"
        try:
            try:
                self.box.get_folder(folder_name)
            except mailbox.NoSuchMailboxError:
                self.box.add_folder(folder_name)
            target = self.root / f".{folder_name}"
            files = self._files()
        except OSError as error:
            raise MailboxError(os_problem(error, Said("cannot move handled mail to {where}", where=where),
                                          with_file=False)) from None
        tried, problems = 0, []
        for own in own_keys:
            relative = files.get(own)
            if relative is None:
                continue  # already moved: marking done twice is harmless
            tried += 1
            try:
                _move_file(self.root / relative, target / relative, self.box.colon)
            except FileNotFoundError:
                continue  # moved away by another process meanwhile
            except OSError as error:
                log.error("cannot move %s to %s: %s", relative, where, error.strerror or error)
                problems.append(error)
        if problems and len(problems) == tried:
            error = problems[0]
            raise MailboxError(os_problem(error, Said("cannot move handled mail to {where}", where=where),
                                          with_file=False))

    def _files(self, *, warn: bool = False) -> dict[str, str]:
        """Each message's key and its file's path under the root (``new/…`` or ``cur/…``);
        regular files only (``warn``: log each other entry, by name, as a WARNING)."""
        files = {}
        for sub in ("new", "cur"):
            for entry in os.scandir(self.root / sub):
                if entry.name.startswith("."):
                    continue
                if not entry.is_file(follow_symlinks=False):
                    if warn:
                        log.warning("not a regular file in the Maildir, left alone: %s/%s", sub, entry.name)
                    continue
                files[entry.name.split(self.box.colon)[0]] = f"{sub}/{entry.name}"
        return files

    def mark_done(self, keys: list[str]) -> None:
        """Move the messages to the ``done_folder`` sub-folder (``.Traités``)."""
        self._move(keys, self.settings.done_folder or "Traités")

    def park(self, keys: list[str]) -> None:
        """Move the messages to the ``error_folder`` sub-folder."""
        self._move(keys, self.settings.error_folder)


    def remove_mail(self, folder: str, addresses, *, text: bool = False, keyword: str | None = None,
                    move_to: str | None = None, message_ids=()) -> list[str | None]:
        """Take out of the Maildir++ sub-folder ``folder`` the messages that are these
        people's, and those whose Message-ID is one of ``message_ids`` (see :meth:`ImapMailbox.remove_mail
        <workflows.shell.mailboxes.imap.ImapMailbox.remove_mail>`; ``keyword`` does not
        apply to a Maildir): moved as files to ``move_to``, or deleted. Returns their
        Message-IDs (None for one without). Raises :class:`MailboxError`."""
        from workflows.mail.rfc5322 import transport_address
        from workflows.model.traces import mail_concerns, message_id_of

        where = self.root / f".{folder}"
        if not where.is_dir():
            return []
        wanted = frozenset(form for address in addresses for form in (address, transport_address(address)))
        ids = frozenset(message_ids)
        try:
            target = None
            if move_to is not None:
                try:
                    self.box.get_folder(move_to)
                except mailbox.NoSuchMailboxError:
                    self.box.add_folder(move_to)
                target = self.root / f".{move_to}"
            taken: list[str | None] = []
            for sub in ("new", "cur"):
                for entry in sorted(os.scandir(where / sub), key=lambda e: e.name):
                    if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                        continue
                    try:
                        data = Path(entry.path).read_bytes()
                    except FileNotFoundError:
                        continue
                    if message_id_of(data) not in ids and not mail_concerns(data, wanted, text=text):
                        continue
                    if target is None:
                        Path(entry.path).unlink(missing_ok=True)
                    else:
                        _move_file(Path(entry.path), target / sub / entry.name, self.box.colon)
                    taken.append(message_id_of(data))
        except OSError as error:
            raise MailboxError(os_problem(error, Said("cannot clean {where}", where=where), with_file=False)) from None
        return taken


def _read_regular(path: Path) -> bytes | None:
    """The bytes of ``path`` if it is a regular file, opened without following a symbolic
    link (O_NOFOLLOW, then checked with fstat, so a file swapped for a link after the
    listing is not followed either); None when it is gone or is not a regular file.
    Raises OSError on another failure to read."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    except OSError as error:
        if error.errno == errno.ELOOP:  # a symbolic link
            log.warning("not a regular file in the Maildir, left alone: %s", path.name)
            return None
        raise
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            log.warning("not a regular file in the Maildir, left alone: %s", path.name)
            return None
        return file.read()


def _move_file(source: Path, target: Path, colon: str) -> None:
    """Rename ``source`` to ``target`` (the same name in another folder) without ever
    replacing a file already there: the name is then made unique. Raises OSError."""
    for _ in range(5):
        try:
            os.link(source, target)
        except FileExistsError:
            if os.path.samefile(source, target):  # linked by a move cut short: only the unlink is left
                os.unlink(source)
                return
            target = _another_name(target, colon)
            continue
        except (AttributeError, PermissionError, NotImplementedError):
            # A file system without hard links: rename, having checked the name is free.
            if os.path.lexists(target):
                target = _another_name(target, colon)
                continue
            os.rename(source, target)
            return
        os.unlink(source)
        return
    raise FileExistsError(f"no free name for {source.name} in {target.parent}")


def _another_name(target: Path, colon: str) -> Path:
    """``target`` with a unique key, its info (``:2,S`` flags) kept."""
    key, sep, info = target.name.partition(colon)
    return target.with_name(f"{key}.{uuid.uuid4().hex[:12]}{sep}{info}")
