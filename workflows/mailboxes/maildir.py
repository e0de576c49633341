"""A local Maildir as the robot's mailbox: the embedded default, no server needed.

Uses the standard library's :class:`mailbox.Maildir` (Maildir++ sub-folders for the done
and error folders). Messages are handed out oldest first; the key of each is
``maildir:<maildir key>``, stable until the message is moved.
"""
from __future__ import annotations

import logging
import mailbox
from pathlib import Path
from typing import Iterator

from config.settings import MailboxSettings
from workflows.mailboxes.base import MailboxError, SourceMessage

log = logging.getLogger(__name__)

_PREFIX = "maildir:"


class MaildirMailbox:
    """``settings.path`` is the Maildir root (created with ``cur``/``new``/``tmp`` if missing)."""

    def __init__(self, settings: MailboxSettings):
        if settings.path is None:
            raise MailboxError("[mailbox] path is not set: a Maildir needs a folder")
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
            raise MailboxError(f"cannot open the Maildir {self.root}: {error.strerror or error}") from None
        return self

    def __exit__(self, *exc) -> None:
        self._box = None

    @property
    def box(self) -> mailbox.Maildir:
        if self._box is None:
            raise MailboxError("the Maildir is not open (use it in a `with` block)")
        return self._box

    def _sorted_keys(self) -> list[str]:
        # Maildir keys begin with the delivery time in seconds: their order is arrival order.
        return sorted(self.box.iterkeys())

    def batches(self, size: int) -> Iterator[list[SourceMessage]]:
        """Messages of the Maildir's top folder, oldest first, ``size`` at a time."""
        batch: list[SourceMessage] = []
        for key in self._sorted_keys():
            try:
                raw = self.box.get_bytes(key)
            except KeyError:  # moved away by another process meanwhile
                continue
            batch.append(SourceMessage(key=_PREFIX + key, raw=raw))
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _move(self, keys: list[str], folder_name: str) -> None:
        try:
            self._move_unchecked(keys, folder_name)
        except OSError as error:
            raise MailboxError(
                f"cannot move handled mail to {self.root}/.{folder_name}: {error.strerror or error}"
            ) from None

    def _move_unchecked(self, keys: list[str], folder_name: str) -> None:
        try:
            folder = self.box.get_folder(folder_name)
        except mailbox.NoSuchMailboxError:
            folder = self.box.add_folder(folder_name)
        for key in keys:
            if not key.startswith(_PREFIX):
                log.warning("not a Maildir key, left alone: %s", key)
                continue
            own = key[len(_PREFIX):]
            try:
                message = self.box.get_message(own)
            except KeyError:
                continue  # already moved: marking done twice is harmless
            folder.add(message)
            self.box.discard(own)

    def mark_done(self, keys: list[str]) -> None:
        """Move the messages to the ``done_folder`` sub-folder (``.Traités``)."""
        self._move(keys, self.settings.done_folder or "Traités")

    def park(self, keys: list[str]) -> None:
        """Move the messages to the ``error_folder`` sub-folder."""
        self._move(keys, self.settings.error_folder)
