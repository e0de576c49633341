"""Crash-safe JSON storage for TinyDB.

The file is TinyDB's JSON layout, read and written with ``orjson`` (the same JSON, ten
times faster to write than the standard library: the whole store is written at each
commit). TinyDB's own ``JSONStorage`` rewrites its file in place, so a crash in the middle of a
write leaves a truncated, unreadable file. This storage keeps the whole database in memory;
TinyDB's ``write`` only marks it dirty, and :meth:`AtomicJSONStorage.flush` makes it durable:

1. write the JSON to a temporary file in the same folder, ``fsync`` it;
2. hard-link the current file to ``<name>.bak`` (the previous version stays readable);
3. ``os.replace`` the temporary file over the store (atomic on POSIX), ``fsync`` the folder.

At every instant the store path names either the old or the new complete file.

Between two writes, small field updates that must survive a crash at once (an outbox
mail marked sent the moment the SMTP server accepted it) go to a **journal**,
``<name>.journal``: one JSON line each, appended and ``fsync``'d, applied to the document
when it is read, and emptied by the next full write. Replaying a line is harmless: it sets
fields to values they may already have.

A file that exists but cannot be read as a TinyDB document is never overwritten:
:class:`StoreCorrupt` is raised and the file is left as it is, for a human to look at.

A store is never made up silently. A file that is not there (nor its backup) is a new
store only when the caller says so (``create=True``: ``rers init``, ``rers demo``, the
tests); otherwise, and always once this process has read or written the file, it is
:class:`StoreMissing`: the file was deleted, moved, or lives on a disk that is not
mounted, and an empty store written in its place would answer members as strangers.
"""
from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from workflows.model.decoding import problem_at
from workflows.model.said import Said
from workflows.model.system import errno_reason


class StoreError(Exception):
    """The store cannot be used. The message is one plain sentence for the operator: a
    :class:`workflows.model.said.Said` (English in the logs, said in the network's
    language by the command that shows it)."""


class StoreCorrupt(StoreError):
    """The store file exists but is not a readable TinyDB document. It was not touched."""


class StoreMissing(StoreError):
    """Neither the store file nor its backup is there, and the store was not to be
    created: nothing was read or written."""


class StoreBusy(StoreError):
    """Another process holds the store's lock for longer than we are willing to wait."""


def _full(error: OSError) -> Said | str:
    """What to add to the message of a write that failed because the disk is full."""
    if error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return Said(" (the disk is full: free some space; the previous file is intact, nothing was lost)")
    return ""


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def missing_store(path: Path, *, vanished: bool = False) -> StoreMissing:
    """The one sentence said when the store file and its backup are both missing:
    ``vanished`` when this process had the file open before."""
    backup = path.with_name(path.name + ".bak")
    if vanished:
        return StoreMissing(Said(
            "the store {path} and its backup {backup} disappeared while rers was using them (deleted, moved, or "
            "their disk unmounted); nothing was written: mount the disk or restore the file", path=path,
            backup=backup.name))
    return StoreMissing(Said(
        "there is no store at {path} (nor its backup {backup}): if its disk is not mounted, mount it; if it was "
        "moved, set [store] path; for a new network, create it with `rers init --store`", path=path, backup=backup.name))


def read_document(path: Path) -> dict[str, dict[str, Any]] | None:
    """Read and check a store file; None when neither it nor its backup exists (a new
    store, or one that vanished: the caller decides, see :class:`AtomicJSONStorage`).

    Shape: ``{table name: {doc id as str: document dict}}`` (TinyDB's JSON layout).
    Raises :class:`StoreCorrupt` for bytes that are not that shape, and for a missing file
    whose backup ``<name>.bak`` exists: rers never removes the file once written, so it
    was deleted or not mounted, and starting afresh would push the real data out of the
    backup at the second write.
    """
    backup = path.with_name(path.name + ".bak")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if backup.exists():
            raise StoreCorrupt(Said(
                "the store {path} is missing but its backup {backup} exists: the file was deleted, moved or is not "
                "mounted. Nothing was written. Restore it (stop the robot, then cp {backup} {path}), or move the "
                "backup away to start an empty store.", path=path, backup=backup)) from None
        return None
    except OSError as error:
        raise StoreError(Said("cannot read the store {path}: {reason}", path=path,
                              reason=errno_reason(error))) from None
    advice = Said("The file was left untouched. Look at it, or restore the previous version from {backup} (stop the "
                  "robot first).", backup=backup)
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise StoreCorrupt(Said("the store {path} is not valid JSON: {error}. {advice}", path=path,
                                error=problem_at(error.msg, error.lineno, error.colno),
                                advice=advice)) from None
    if not isinstance(data, dict) or not all(
        isinstance(table, dict) and all(isinstance(doc, dict) for doc in table.values())
        for table in data.values()
    ):
        raise StoreCorrupt(Said("the store {path} is JSON but not a rers store. {advice}", path=path, advice=advice))
    return data


class AtomicJSONStorage(Storage):
    """A TinyDB storage held in memory and written atomically by :meth:`flush`.

    ``path``: the store file (its folder is created on the first flush). The in-memory
    document is the one TinyDB reads and writes; ``read()`` returns it without copying, so
    TinyDB calls cost no I/O.

    ``create``: a missing file (and backup) starts an empty store, written at the first
    flush; otherwise it raises :class:`StoreMissing`. Once the file was read or written,
    it missing later (at a reload) always raises :class:`StoreMissing`.
    """

    def __init__(self, path: Path, *, create: bool = False):
        self.path = Path(path)
        self.journal = self.path.with_name(self.path.name + ".journal")
        self.data: dict[str, dict[str, Any]] = {}
        self.dirty = False
        self.stamp: tuple | None = None
        self.create = create
        self.existed = False
        """The file was read or written by this process: it missing now means it vanished."""
        self.reload()

    def file_stamp(self) -> tuple | None:
        """``(inode, size, mtime_ns)`` of the store file and of its journal (None for a
        file that does not exist): a change means another process wrote."""

        def stamp(path: Path):
            try:
                st = path.stat()
            except FileNotFoundError:
                return None
            return (st.st_ino, st.st_size, st.st_mtime_ns)

        return (stamp(self.path), stamp(self.journal))

    def reload(self) -> None:
        """Replace the in-memory document with the file's (another process may have written)."""
        stamp = self.file_stamp()
        data = read_document(self.path)
        if data is None and (self.existed or not self.create):
            raise missing_store(self.path, vanished=self.existed)
        self.existed = self.existed or data is not None
        self.data = data if data is not None else {}
        self.stamp = stamp
        self.dirty = False
        for entry in self._journal_entries():
            self.apply(entry)

    def _journal_entries(self) -> list[dict]:
        try:
            lines = self.journal.read_bytes().splitlines()
        except FileNotFoundError:
            return []
        entries = []
        for line in lines:
            try:
                entries.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                # A line torn by a crash mid-append: its update was never acknowledged.
                continue
        return entries

    def apply(self, entry: dict) -> bool:
        """Set ``entry["fields"]`` on document ``entry["id"]`` of table ``entry["table"]``
        in memory; False when that document no longer exists."""
        doc = self.data.get(entry["table"], {}).get(str(entry["id"]))
        if doc is None:
            return False
        doc.update(entry["fields"])
        self.dirty = True
        return True

    def append_journal(self, entry: dict, *, sync: bool = True) -> None:
        """Make one field update durable now and apply it in memory. Call it while
        holding the store's lock. Raises :class:`StoreError`.

        The line is written before this returns, so it survives the process being killed;
        ``sync`` also ``fsync``s it, so that it survives a power cut too (about 3 ms)."""
        line = orjson.dumps(entry) + b"\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.journal, "ab") as handle:
                handle.write(line)
                handle.flush()
                if sync:
                    os.fsync(handle.fileno())
        except OSError as error:
            raise StoreError(Said("cannot write the store journal {path}: {reason}{full}", path=self.journal,
                                  reason=errno_reason(error), full=_full(error))) from None
        self.stamp = self.file_stamp()
        self.apply(entry)

    def changed_on_disk(self) -> bool:
        return self.file_stamp() != self.stamp

    # TinyDB's Storage interface -------------------------------------------------------

    def read(self) -> dict[str, dict[str, Any]]:
        return self.data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self.data = data
        self.dirty = True

    def close(self) -> None:
        pass

    # Durability -----------------------------------------------------------------------

    def replace_backup(self) -> None:
        """Make ``<name>.bak`` a copy of the current file (after an erasure: the previous
        version must not keep what was erased). Call it while holding the store's lock."""
        if not self.path.exists():
            return
        backup = self.path.with_name(self.path.name + ".bak")
        staged = backup.with_name(backup.name + ".tmp")
        try:
            staged.unlink(missing_ok=True)
            os.link(self.path, staged)
            os.replace(staged, backup)
            staged.unlink(missing_ok=True)  # see flush(): rename(2) between two links of one file
            _fsync_dir(self.path.parent)
        except OSError as error:
            raise StoreError(Said("cannot replace the store backup {path}: {reason}", path=backup,
                                  reason=errno_reason(error))) from None

    def flush(self) -> None:
        """Write the in-memory document to disk atomically (see the module docstring).
        Call it while holding the store's lock.

        Raises :class:`StoreError` when the folder is not writable or the disk is full; the
        previous file is then intact.
        """
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            # Temporary files of a writer killed mid-write; the caller holds the lock, so
            # none of them belongs to a live writer.
            for stale in folder.glob(f".{self.path.name}.*.tmp"):
                stale.unlink(missing_ok=True)
            payload = orjson.dumps(self.data)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
            tmp = Path(tmp_name)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(payload)
                    handle.flush()
                    os.fsync(handle.fileno())
                if self.path.exists():
                    backup = self.path.with_name(self.path.name + ".bak")
                    staged = backup.with_name(backup.name + ".tmp")
                    staged.unlink(missing_ok=True)
                    os.link(self.path, staged)
                    os.replace(staged, backup)
                    # rename(2) does nothing when both names are links to one file (the
                    # backup already is this version): the staged name would stay.
                    staged.unlink(missing_ok=True)
                os.replace(tmp, self.path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            _fsync_dir(folder)
            # Everything the journal held is in the file now.
            self.journal.unlink(missing_ok=True)
        except OSError as error:
            raise StoreError(Said("cannot write the store {path}: {reason}{full}", path=self.path,
                                  reason=errno_reason(error), full=_full(error))) from None
        self.stamp = self.file_stamp()
        self.dirty = False
        self.existed = True


class MemoryStorage(AtomicJSONStorage):
    """The same storage held in memory only: nothing is read from or written to a disk.
    For tests of the steps on plain data (:meth:`store.Store.memory`)."""

    def __init__(self):
        self.path = Path("(memory)")
        self.journal = self.path
        self.data = {}
        self.dirty = False
        self.stamp = None

    def file_stamp(self) -> tuple | None:
        return None

    def reload(self) -> None:
        """Nothing else writes a memory store."""

    def append_journal(self, entry: dict, *, sync: bool = True) -> None:
        self.apply(entry)

    def changed_on_disk(self) -> bool:
        return False

    def replace_backup(self) -> None:
        """A memory store keeps no backup."""

    def flush(self) -> None:
        self.dirty = False
