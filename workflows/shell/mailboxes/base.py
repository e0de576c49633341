"""What every mailbox (message source) offers the runner.

A source hands out raw RFC 5322 messages in batches, each with a stable ``key`` that names
where it lives, and later moves the handled ones out of the way. Nothing here decides what
a message means: that is the parser's and the workflows' job.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol, Sequence


@dataclass(frozen=True)
class SourceMessage:
    """One message as fetched.

    ``key``: where it lives, stable across cycles. IMAP:
    ``imap://user@host/FOLDER;UIDVALIDITY=v/;UID=n`` (RFC 5092 style); Maildir:
    ``maildir:<key>``. ``raw``: the bytes exactly as stored (IMAP gives CRLF line ends).
    """

    key: str
    raw: bytes


class MailboxError(Exception):
    """The mailbox cannot be reached or used (refused connection, wrong password, TLS).

    The message is one plain sentence meant for the operator. ``fault``: ``"secret"``
    (the password variable is not set) or ``"login"`` (the server refused the login),
    which no retry fixes by itself (the daemon stops on them, :mod:`workflows.shell.daemon`);
    None for the rest (a server down, a network cut: retried).
    """

    def __init__(self, message: str, *, fault: str | None = None):
        super().__init__(message)
        self.fault = fault


class Mailbox(Protocol):
    """A message source, used as a context manager: one connection per cycle."""

    def __enter__(self) -> "Mailbox": ...

    def __exit__(self, *exc) -> None: ...

    def batches(self, size: int) -> Iterator[list[SourceMessage]]:
        """Yield the messages not yet done, oldest first, ``size`` at a time.

        Messages are read without changing their state (IMAP ``BODY.PEEK[]``): only
        :meth:`mark_done` and :meth:`park` change what a later cycle sees.
        """
        ...

    def mark_done(self, keys: list[str]) -> None:
        """Move (or flag) these messages as handled. Call only after the store committed."""
        ...

    def park(self, keys: list[str]) -> None:
        """Move these messages to the error folder (handling failed too many times)."""
        ...

    def remove_mail(self, folder: str, addresses: list[str], *, text: bool = False, keyword: str | None = None,
                    move_to: str | None = None, message_ids: Sequence[str] = ()) -> list[str | None]:
        """Take the messages of these people out of ``folder`` (after their erasure), and
        those whose Message-ID (``<…>``) is one of ``message_ids``: deleted, or moved to
        ``move_to``. Returns their Message-IDs (None for one without)."""
        ...
