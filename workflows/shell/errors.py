"""Errors a user can fix, shown as one plain message without a traceback."""
from __future__ import annotations

import errno
import socket
from types import MappingProxyType

from workflows.model.said import Said, said_of
from workflows.model.system import reading_reason

EXIT_OK, EXIT_FAILURE, EXIT_CONFIG = 0, 1, 2


class UserError(Exception):
    """A problem the user can fix. ``status`` is the command's exit status; ``message``
    is English with ``{name}`` placeholders filled from ``values`` — or a :class:`Said`
    already made — kept as the :class:`Said` :attr:`text` (``str()`` of the error is the
    English text) and translated when it is said (:meth:`said`): the network's language
    is known only then."""

    def __init__(self, message: str, status: int = EXIT_FAILURE, /, **values):
        self.text = message if isinstance(message, Said) and not values else Said(message, **values)
        super().__init__(self.text)
        self.status = status

    def said(self, say) -> str:
        """The message in the language of ``say`` (a :class:`workflows.shell.language.Words`)."""
        return self.text.said(say)


def user_error(error: Exception, status: int = EXIT_FAILURE) -> UserError:
    """An error a command shows as its own (a step's :class:`workflows.decision.Refused`,
    a server's or the store's error): its :class:`Said` kept (translated when said), any
    other its English text."""
    return UserError(said_of(error), status)


NAME_REASONS = MappingProxyType({
    socket.EAI_NONAME: Said("no such name (check the server's name)"),
    socket.EAI_AGAIN: Said("the name could not be looked up for now (is the network up?)"),
})
"""Why a name lookup failed (``socket.gaierror``'s codes, which are not ``errno``'s)."""


def system_reason(error: OSError | UnicodeDecodeError) -> Said | str:
    """The system's reason for ``error`` (a file's, a socket's, a name lookup's, or a file
    that is not UTF-8 text): :func:`workflows.model.system.reading_reason`, or one of
    :data:`NAME_REASONS` (English, said in the operator's language), else the system's
    own English words (``strerror``, or the error's text)."""
    if isinstance(error, socket.gaierror):
        return NAME_REASONS.get(error.errno) or error.strerror or str(error)
    return reading_reason(error)


DISK_FULL_HINT = Said("the disk is full: free some space, then run the robot again (nothing was lost)")


def os_problem(error: OSError, doing: Said | str = "", *, with_file: bool = True) -> Said:
    """One line about an ``OSError`` for the operator, never a traceback: what was being
    done (``doing``), the file (unless ``with_file`` is false: ``doing`` names it) and
    the system's words; a full disk (ENOSPC, or a quota: EDQUOT) says so plainly. English
    (logs), said in the network's language by :meth:`Said.said` (``doing`` too, when it is
    a :class:`Said`), the system's words too when :func:`system_reason` knows them."""
    where = f" {error.filename}" if with_file and getattr(error, "filename", None) else ""
    if doing:
        head = Said("{doing}{where}", doing=doing, where=where)
    else:
        head = Said("cannot write{where}", where=where) if where else Said("input/output error")
    hint = Said(" ({hint})", hint=DISK_FULL_HINT) if error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)) else ""
    return Said("{head}: {reason}{hint}", head=head, reason=system_reason(error), hint=hint)


def unexpected_problem(error: Exception) -> Said:
    """One line about an exception nobody foresaw (a bug), for `rers status`: its kind and
    words, the traceback being in the log. English, said in the network's language."""
    return Said("unexpected error ({kind}: {error}); the traceback is in the log", kind=type(error).__name__,
                error=str(error))
