"""Errors a user can fix, shown as one plain message without a traceback."""
from __future__ import annotations

EXIT_OK, EXIT_FAILURE, EXIT_CONFIG = 0, 1, 2


class UserError(Exception):
    """A problem the user can fix. ``status`` is the command's exit status."""

    def __init__(self, message: str, status: int = EXIT_FAILURE):
        super().__init__(message)
        self.status = status
