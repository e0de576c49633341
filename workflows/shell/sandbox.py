"""`rers sandbox DIR`: a training copy of a network where the clock can be moved.

A sandbox is an ordinary robot folder (``rers.toml``, a Maildir ``mail/``, an ``outbox/``
of ``.eml`` files, a ``store/``, a ``calendar/``) made from a network's configuration,
store and templates — or from the demo — in which:

- nothing reaches real people: ``[mailbox]`` is the empty Maildir ``mail/`` (drop ``.eml``
  files in ``mail/new`` to play a member), ``[transport]`` writes every mail into
  ``outbox/``, ``[oauth2]`` and the sent folder are left out;
- the live network is never touched: its store is copied (a store is replaced whole on
  every write, so a copy taken while the robot runs is consistent), its templates and
  synonyms file too;
- the clock can be moved: ``rers --now 2027-01-04 jobs --config DIR/rers.toml`` runs the
  day's jobs (reminders, expiries, bilans, the monthly report) as on that day.

A sandbox is recognised by its marker file :data:`MARKER` beside ``rers.toml`` *and* a
configuration that cannot send (Maildir in, folder out): a moved clock (``--now``,
``RERS_NOW``) is refused anywhere else (:func:`workflows.shell.clock.clock_for`).
"""
from __future__ import annotations

import mailbox
import re
import shutil
from pathlib import Path

from config.settings import Settings, load
from workflows.shell.clock import MARKER, is_sandbox
from workflows.shell.errors import UserError, system_reason

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r'^\s*("?)([A-Za-z0-9_\-]+)\1\s*=')

_REPLACED = {
    "mailbox": 'kind = "maildir"\npath = "mail"\n',
    "transport": 'kind = "folder"\npath = "outbox"\n',
    "store": 'path = "store/rers.json"\n',
}
"""The sections whose body the sandbox writes itself (every other key of theirs, a server,
a login, a sent folder, is left out)."""
_DROPPED = ("oauth2",)
_PATHS = {("calendar", "output_dir"): "calendar", ("catalogue", "output_dir"): "catalogue",
          ("network", "templates_dir"): "templates", ("matching", "synonyms_file"): None,
          ("federation", "key_file"): None}
"""Path keys pointed inside the sandbox (None: at the copied file of the same name, or
left out when there is none)."""


def sandbox_config(text: str, copied: dict[tuple[str, str], str | None]) -> str:
    """The sandbox's ``rers.toml`` from a network's: ``[mailbox]``, ``[transport]`` and
    ``[store]`` rewritten (:data:`_REPLACED`), ``[oauth2]`` left out, the path keys of
    :data:`_PATHS` set to ``copied[(section, key)]`` (a path relative to the sandbox) or
    left out when it is None. Comments and every other setting are kept as written."""
    out: list[str] = []
    section = ""
    skipping = False
    seen: set[str] = set()
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header and not line.lstrip().startswith("[["):
            section = header.group(1).replace('"', "").replace(" ", "")
            skipping = section in _REPLACED or section in _DROPPED
            if section in _DROPPED:
                continue
            out.append(line)
            if section in _REPLACED:
                out.append(_REPLACED[section].rstrip("\n"))
                seen.add(section)
            continue
        if line.lstrip().startswith("[["):
            section, skipping = line.strip(), False
            out.append(line)
            continue
        if skipping:
            continue
        key = _KEY.match(line)
        if key and (section, key.group(2)) in _PATHS:
            value = copied.get((section, key.group(2)))
            if value is not None:
                out.append(f'{key.group(2)} = "{value}"')
            continue
        out.append(line)
    for name, body in _REPLACED.items():
        if name not in seen:
            out.extend(["", f"[{name}]", body.rstrip("\n")])
    return "\n".join(out) + "\n"


def _refuse_existing(directory: Path) -> None:
    if directory.exists() and any(directory.iterdir()):
        raise UserError("{folder} exists and is not empty: a sandbox is made in a new folder (give another name, "
                        "or remove the old sandbox first)", folder=directory)


def make_sandbox(directory: Path, source: Settings | None) -> Path:
    """Make a sandbox in ``directory`` (new or empty) from the network of ``source``, or
    from the demo when None. Returns its ``rers.toml``.

    Raises :class:`UserError` when ``directory`` is not empty, the network's store cannot
    be read, or a file cannot be written.
    """
    directory = directory.resolve()
    _refuse_existing(directory)
    if source is None:
        from workflows.shell.demo import prepare

        config = prepare(directory)
        (directory / MARKER).write_text("a sandbox made from the demo\n", encoding="utf-8")
        return config
    if source.source is None:
        raise UserError("rers sandbox copies a network named by its configuration file (--config)")
    origin = Path(source.source)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        mailbox.Maildir(directory / "mail", create=True)
        for sub in ("outbox", "store", "calendar"):
            (directory / sub).mkdir(exist_ok=True)
        store = source.store.path
        if not store.is_file():
            raise UserError("the network's store {store} cannot be found: nothing to copy", store=store)
        shutil.copyfile(store, directory / "store" / "rers.json")
        copied: dict[tuple[str, str], str | None] = {("calendar", "output_dir"): "calendar"}
        if source.catalogue.output_dir is not None:
            copied[("catalogue", "output_dir")] = "catalogue"
        if source.network.templates_dir is not None and source.network.templates_dir.is_dir():
            shutil.copytree(source.network.templates_dir, directory / "templates")
            copied[("network", "templates_dir")] = "templates"
        if source.matching.synonyms_file is not None and source.matching.synonyms_file.is_file():
            shutil.copyfile(source.matching.synonyms_file, directory / source.matching.synonyms_file.name)
            copied[("matching", "synonyms_file")] = source.matching.synonyms_file.name
        text = sandbox_config(origin.read_text(encoding="utf-8"), copied)
        config = directory / "rers.toml"
        config.write_text(text, encoding="utf-8")
        (directory / MARKER).write_text(f"a sandbox copied from {origin}\n", encoding="utf-8")
    except OSError as error:
        raise UserError("cannot make the sandbox {folder}: {reason}", folder=directory,
                        reason=system_reason(error)) from None
    load(config)  # the copy must be a valid configuration (raises ConfigError, every problem at once)
    return config
