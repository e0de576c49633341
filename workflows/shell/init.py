"""`rers init DIR`: a ready-to-run folder with a commented configuration and an empty
store; `rers init --store`: the empty store of an existing configuration.

Creating a store is always this explicit step (or `rers demo`): the robot's other
commands refuse to run without one (:class:`store.StoreMissing`), so that a store on a
disk that is not mounted is never silently replaced by an empty one.
"""
from __future__ import annotations

import mailbox
from pathlib import Path

from workflows.shell.errors import UserError, system_reason

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "example.toml"


def init_folder(directory: Path, *, force: bool = False) -> Path:
    """Create ``directory`` with ``rers.toml`` (a copy of ``config/example.toml``, whose
    relative paths are read from the file's own folder, so they point inside
    ``directory``), the folders it names: ``mail/`` (a Maildir), ``outbox/``,
    ``store/``, ``calendar/``, and the empty store (:func:`create_store`; an existing
    one is kept as it is). Returns the configuration's path.

    Raises :class:`UserError` when ``rers.toml`` exists and ``force`` is
    false, or when the folder cannot be created.
    """
    from config.settings import load

    config = directory / "rers.toml"
    if config.exists() and not force:
        raise UserError("{config} already exists (use --force to overwrite it)", config=config)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        config.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
        mailbox.Maildir(directory / "mail", create=True)
        for sub in ("outbox", "store", "calendar"):
            (directory / sub).mkdir(exist_ok=True)
    except OSError as error:
        raise UserError("cannot create {folder}: {reason}", folder=directory, reason=system_reason(error)) from None
    settings = load(config)
    path = settings.store.path
    if not (path.exists() or path.with_name(path.name + ".bak").exists()):
        create_store(path)
    create_signing_key(settings)
    return config


def create_signing_key(settings) -> Path | None:
    """The network's signing key pair for linked networks, beside the store
    (:func:`workflows.shell.federation.create_key`); an existing one is kept. Returns
    the private key's path when one was made. Raises :class:`UserError` when it cannot be
    written."""
    from workflows.shell.federation import create_key, key_path

    path = key_path(settings)
    try:
        return path if create_key(path) else None
    except OSError as error:
        raise UserError("cannot create the signing key {path}: {reason}", path=path,
                        reason=system_reason(error)) from None


def create_store(path: Path) -> Path:
    """Write a new, empty store at ``path`` (its folder created). Raises
    :class:`UserError` when a store (or its backup) is already there, or when it cannot
    be written."""
    from store import Store, StoreError

    try:
        Store.create(path)
    except StoreError as error:
        raise UserError(str(error)) from None
    return path
