"""The system's reasons an operator meets most (a file's, a connection's), by ``errno``,
said in the operator's language; :func:`workflows.shell.errors.system_reason` adds a name
lookup's. Here, below the store and the shell, so that both say them
(:mod:`store.storage`'s « cannot write the store … »).
"""
from __future__ import annotations

import errno
from types import MappingProxyType

from workflows.model.said import Said

SYSTEM_REASONS = MappingProxyType({
    errno.ENOENT: Said("no such file or folder"),
    errno.EISDIR: Said("it is a folder, not a file"),
    errno.ENOTDIR: Said("not a folder"),
    errno.EACCES: Said("permission denied"),
    errno.EPERM: Said("operation not permitted"),
    errno.EEXIST: Said("it already exists"),
    errno.ENOSPC: Said("no space left on the disk"),
    getattr(errno, "EDQUOT", -1): Said("disk quota exceeded"),
    errno.EROFS: Said("the file system is read-only"),
    errno.ECONNREFUSED: Said("connection refused"),
    errno.ECONNRESET: Said("connection reset by the other side"),
    errno.ETIMEDOUT: Said("no answer in time"),
    errno.EHOSTUNREACH: Said("no route to the host"),
    errno.ENETUNREACH: Said("the network cannot be reached"),
})
"""The system's reasons an operator meets most, by ``errno``, said in their language."""


def reading_reason(error: OSError | UnicodeDecodeError) -> Said | str:
    """Why a file could not be read: not UTF-8 text (the first byte that cannot be read,
    counted from 1), else :func:`errno_reason`."""
    if isinstance(error, UnicodeDecodeError):
        return Said("not UTF-8 text (byte {n} cannot be read)", n=error.start + 1)
    return errno_reason(error)


def errno_reason(error: OSError) -> Said | str:
    """``error``'s reason from :data:`SYSTEM_REASONS` (a timeout without an errno reads as
    ETIMEDOUT), else the system's own English words (``strerror``, or the error's text)."""
    if isinstance(error, TimeoutError) and error.errno is None:
        return SYSTEM_REASONS[errno.ETIMEDOUT]
    return SYSTEM_REASONS.get(error.errno) or error.strerror or str(error)
