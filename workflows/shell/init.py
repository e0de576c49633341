"""`rers init DIR`: a ready-to-run folder with a commented configuration."""
from __future__ import annotations

import mailbox
from pathlib import Path

from workflows.shell.errors import UserError

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "example.toml"


def init_folder(directory: Path, *, force: bool = False) -> Path:
    """Create ``directory`` with ``rers.toml`` (a copy of ``config/example.toml``, whose
    relative paths are read from the file's own folder, so they point inside
    ``directory``) and the folders it names: ``mail/`` (a Maildir), ``outbox/``,
    ``store/``, ``calendar/``. Returns the configuration's path.

    Raises :class:`UserError` when ``rers.toml`` exists and ``force`` is
    false, or when the folder cannot be created.
    """
    config = directory / "rers.toml"
    if config.exists() and not force:
        raise UserError(f"{config} already exists (use --force to overwrite it)")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        config.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
        mailbox.Maildir(directory / "mail", create=True)
        for sub in ("outbox", "store", "calendar"):
            (directory / sub).mkdir(exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create {directory}: {error.strerror or error}") from None
    return config
