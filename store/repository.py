"""The repository: the only door to the robot's data.

Everything the robot remembers — members, knowledge items, the Message-ID ledger, the
outbox, questions, consents, introductions, events, the audit trail — lives in one TinyDB
database behind :class:`Store`. Nothing else imports TinyDB.

Rules the API enforces:

* **One write per transaction.** ``with store.transaction():`` takes the inter-process
  file lock, reloads the file if another process changed it, and on success writes the
  whole database once, atomically (:mod:`store.storage`). Writes outside a transaction
  raise :class:`StoreError`.
* **Savepoints.** ``with store.savepoint():`` inside a transaction undoes, on an
  exception, every change made in its block (a journal of previous values), so one failing
  message never leaves half its effects in a batch.
* **Indexes.** Lookups by address, reference, Message-ID key or token hash are dictionary
  lookups kept in step with every write, not table scans.
* **Copies out.** Documents returned are deep copies: changing one changes nothing until
  it is written back with :meth:`Collection.update` or :meth:`Collection.replace`.

Times are stored as UTC ISO-8601 strings by the callers.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from filelock import FileLock, Timeout
from tinydb import TinyDB
from tinydb.table import Table

from workflows.model.said import Said
from workflows.model.system import errno_reason

from store.storage import AtomicJSONStorage, MemoryStorage, StoreBusy, StoreCorrupt, StoreError, StoreMissing

SCHEMA_VERSION = 3
"""Version of the data layout written by this code. Bump it and add a step to
``_MIGRATIONS`` whenever documents change shape.

2: the ledger's ``message_id`` is :func:`message_key` of the Message-ID, not the
Message-ID itself (a client may put the sender's own domain in it).
3: an outbox mail's ``cause`` that is a Message-ID is :func:`cause_key` of it (the
person's own Message-ID must not outlive their erasure)."""

_KEY_PREFIX = "sha256:"


def message_key(message_id: str) -> str:
    """What the ledger keeps of a Message-ID: ``sha256:`` and its SHA-256 in hex. Enough
    to recognise the same message delivered again; nothing of its sender's domain."""
    return _KEY_PREFIX + hashlib.sha256(message_id.encode("utf-8", "surrogateescape")).hexdigest()


def cause_key(cause: str) -> str:
    """What the outbox keeps of a mail's ``cause``: a Message-ID (``<…>``: the person's
    message an answer or a forward was caused by, which may name their mail domain) as its
    :func:`message_key`, like the ledger; any other cause (``MR-7:consent:offer``, a
    calendar ``uid sequence day``, ``report:2026-11``) as it is, for the steps that read it
    back. Idempotent. The mail's own Message-ID, derived from the cause in clear, is not
    affected: a decision made again still makes the same mail, recognised as a repeat."""
    if cause.startswith("<") and cause.endswith(">"):
        return message_key(cause)
    return cause


def _hash_ledger(data: dict) -> None:
    for doc in data.get("ledger", {}).values():
        value = doc.get("message_id")
        if isinstance(value, str) and not value.startswith(_KEY_PREFIX):
            doc["message_id"] = message_key(value)


def _hash_causes(data: dict) -> None:
    for doc in data.get("outbox", {}).values():
        value = doc.get("cause")
        if isinstance(value, str):
            doc["cause"] = cause_key(value)


_MIGRATIONS: dict[int, Callable[[dict], None]] = {1: _hash_ledger, 2: _hash_causes}
"""``{from_version: function(raw tables)}`` upgrading the raw document one version up."""


_LEAVES = frozenset({str, int, float, bool, type(None)})
"""The types of the values a copy shares (immutable)."""


def _copy(value: Any) -> Any:
    """A deep copy of a JSON value (dicts, lists, scalars): several times faster than
    :func:`copy.deepcopy`, which keeps a memo for shared and cyclic objects that JSON
    documents never have. Every read of the store makes one (a hundred thousand a
    backlog of 2,000 messages): a document is copied whole in C (``dict``), then only
    its dicts and lists again, the scalars recognised by their exact type."""
    if isinstance(value, dict):
        out = dict(value)
        for key, item in out.items():
            if type(item) not in _LEAVES:
                out[key] = _copy(item)
        return out
    if isinstance(value, list):
        return [item if type(item) in _LEAVES else _copy(item) for item in value]
    return value


@dataclass(frozen=True)
class CollectionSpec:
    """A table and its indexed fields: ``unique`` → one document per value."""

    name: str
    unique: tuple[str, ...] = ()
    multi: tuple[str, ...] = ()


COLLECTIONS: tuple[CollectionSpec, ...] = (
    CollectionSpec("members", unique=("address", "ref"), multi=("status",)),
    CollectionSpec("items", unique=("ref",), multi=("member", "status")),
    CollectionSpec("ledger", unique=("message_id",), multi=("source_key",)),
    CollectionSpec("failures", unique=("message_id",)),
    CollectionSpec("outbox", unique=("message_id",), multi=("status",)),
    CollectionSpec("questions", unique=("token_hash",), multi=("address", "status", "subject_ref")),
    CollectionSpec("consents", multi=("member",)),
    CollectionSpec("introductions", unique=("ref",), multi=("status",)),
    CollectionSpec("crossings", unique=("ref",), multi=("status", "peer", "item")),
    CollectionSpec("groups", unique=("ref",), multi=("status", "offer")),
    CollectionSpec("testimonies", unique=("ref",), multi=("status", "member")),
    CollectionSpec("recueils", unique=("ref",), multi=("status",)),
    CollectionSpec("voice_answers", multi=("collection", "member")),
    CollectionSpec("events", unique=("uid",)),
    CollectionSpec("attendance", multi=("uid",)),
    CollectionSpec("replies", unique=("key",)),
    CollectionSpec("tombstones"),
    CollectionSpec("audit"),
    CollectionSpec("state", unique=("key",)),
)
"""Every collection of the store and its indexes."""


class _IntKeyView(MutableMapping):
    """TinyDB's raw table (``{"12": doc}``) seen with integer keys, without copying it."""

    def __init__(self, raw: dict[str, Any]):
        self.raw = raw

    def __getitem__(self, key):
        return self.raw[str(key)]

    def __setitem__(self, key, value):
        self.raw[str(key)] = value

    def __delitem__(self, key):
        del self.raw[str(key)]

    def __iter__(self):
        return (int(k) for k in list(self.raw))

    def __len__(self):
        return len(self.raw)


class _InPlaceTable(Table):
    """A TinyDB table whose updates cost O(1).

    TinyDB's ``Table._update_table`` rebuilds the whole table dict on every insert,
    update and remove; with tens of thousands of documents that dominates a cycle. The
    storage keeps the document in memory, so the updater can work on it in place.
    """

    def _update_table(self, updater):
        tables = self._storage.read()
        raw = tables.setdefault(self.name, {})
        updater(_IntKeyView(raw))
        self._storage.write(tables)
        self.clear_cache()


class _TinyDB(TinyDB):
    table_class = _InPlaceTable


class Collection:
    """One table: documents are dicts keyed by an integer id (TinyDB's doc_id)."""

    def __init__(self, store: "Store", spec: CollectionSpec):
        self._store = store
        self.spec = spec
        self.name = spec.name
        self._unique: dict[str, dict[Any, int]] = {}
        self._multi: dict[str, dict[Any, set[int]]] = {}
        self._issued = 0
        """The highest id given so far (see :meth:`next_id`)."""
        self.rebuild_indexes()

    @property
    def _table(self) -> Table:
        return self._store._db.table(self.name)

    def _raw(self) -> dict[str, dict]:
        return self._store._storage.data.get(self.name, {})

    def rebuild_indexes(self) -> None:
        self._unique = {f: {} for f in self.spec.unique}
        self._multi = {f: {} for f in self.spec.multi}
        for key, doc in self._raw().items():
            self._index(int(key), doc)
            self._issued = max(self._issued, int(key))

    def _index(self, doc_id: int, doc: dict) -> None:
        for f, index in self._unique.items():
            value = doc.get(f)
            if value is not None:
                index[value] = doc_id
        for f, index in self._multi.items():
            value = doc.get(f)
            if value is not None:
                index.setdefault(value, set()).add(doc_id)

    def _unindex(self, doc_id: int, doc: dict) -> None:
        for f, index in self._unique.items():
            value = doc.get(f)
            if value is not None and index.get(value) == doc_id:
                del index[value]
        for f, index in self._multi.items():
            value = doc.get(f)
            if value is not None and value in index:
                index[value].discard(doc_id)
                if not index[value]:
                    del index[value]

    # Reading ----------------------------------------------------------------------------

    def get(self, doc_id: int) -> dict | None:
        """The document with this id (a copy, with its id under ``"id"``), or None."""
        raw = self._raw().get(str(doc_id))
        if raw is None:
            return None
        doc = _copy(raw)  # a new dict already: the id goes into it, not into a third copy
        doc["id"] = int(doc_id)
        return doc

    def find_one(self, field: str, value: Any) -> dict | None:
        """The document whose indexed ``field`` equals ``value`` (first one for a
        non-unique index, by id), or None. Raises KeyError for a field that is not indexed."""
        if field in self._unique:
            doc_id = self._unique[field].get(value)
            return None if doc_id is None else self.get(doc_id)
        ids = self._multi[field].get(value)
        return self.get(min(ids)) if ids else None

    def find(self, field: str, value: Any) -> list[dict]:
        """Every document whose indexed ``field`` equals ``value``, in id order."""
        if field in self._unique:
            doc = self.find_one(field, value)
            return [doc] if doc else []
        return [self.get(i) for i in sorted(self._multi[field].get(value, ()))]

    def count(self, field: str | None = None, value: Any = None) -> int:
        """Number of documents, or of those whose indexed ``field`` equals ``value``."""
        if field is None:
            return len(self._raw())
        if field in self._unique:
            return 1 if value in self._unique[field] else 0
        return len(self._multi[field].get(value, ()))

    def values(self, field: str) -> list[Any]:
        """The distinct values of an indexed field."""
        index = self._unique.get(field) or self._multi.get(field) or {}
        return list(index)

    def all(self) -> list[dict]:
        """Every document (copies), in id order."""
        return [self.get(int(k)) for k in sorted(self._raw(), key=int)]

    def ids(self, field: str, value: Any) -> list[int]:
        """The ids of the documents whose indexed ``field`` equals ``value``, ascending
        (no copy made). Raises KeyError for a field that is not indexed."""
        if field in self._unique:
            doc_id = self._unique[field].get(value)
            return [] if doc_id is None else [doc_id]
        return sorted(self._multi[field].get(value, ()))

    def raw_items(self) -> Iterator[tuple[int, dict]]:
        """``(id, stored document)`` in id order: the documents themselves, which the
        caller must not change (a read view copies what it keeps)."""
        raw = self._raw()
        for key in sorted(raw, key=int):
            doc = raw.get(key)
            if doc is not None:
                yield int(key), doc

    def next_id(self) -> int:
        """The id the next new document gets: above every id this collection has held
        since it was opened or reloaded (an id is never given twice, even after a
        deletion). O(1): the highest id is kept as documents come in."""
        return self._issued + 1

    def scan(self, predicate: Callable[[dict], bool]) -> Iterator[dict]:
        """Documents for which ``predicate(raw document)`` is true, in id order.

        ``predicate`` sees the stored document itself and must not change it; only the
        documents it accepts are copied.
        """
        for key in sorted(self._raw(), key=int):
            raw = self._raw().get(key)
            if raw is not None and predicate(raw):
                yield self.get(int(key))

    # Writing (inside a transaction) ------------------------------------------------------

    def insert(self, doc: dict, doc_id: int | None = None) -> int:
        """Store a new document, under ``doc_id`` when given (what :meth:`next_id` said);
        returns its id. Raises StoreError on a unique clash or a used id."""
        self._store._require_transaction()
        doc = _copy(doc)
        doc.pop("id", None)
        for f, index in self._unique.items():
            if doc.get(f) is not None and doc[f] in index:
                raise StoreError(f"{self.name}: a document with {f}={doc[f]!r} already exists")
        if doc_id is None:
            doc_id = self.next_id()
        elif str(doc_id) in self._raw():
            raise StoreError(f"{self.name}: a document {doc_id} already exists")
        self._issued = max(self._issued, doc_id)
        # Straight into the stored table, as replace() does: TinyDB's insert would copy
        # the document twice more (its Document, then a dict of it).
        self._store._storage.data.setdefault(self.name, {})[str(doc_id)] = doc
        self._store._storage.dirty = True
        self._table.clear_cache()
        self._store._journal.append((self, doc_id, None))
        self._index(doc_id, doc)
        return doc_id

    def replace(self, doc_id: int, doc: dict) -> None:
        """Replace the whole document ``doc_id`` (the ``"id"`` key is ignored)."""
        self._store._require_transaction()
        old = self._raw().get(str(doc_id))
        if old is None:
            raise StoreError(f"{self.name}: no document {doc_id}")
        new = {k: v for k, v in _copy(doc).items() if k != "id"}
        for f, index in self._unique.items():
            value = new.get(f)
            if value is not None and index.get(value, doc_id) != doc_id:
                raise StoreError(f"{self.name}: a document with {f}={value!r} already exists")
        self._store._journal.append((self, doc_id, _copy(old)))
        self._unindex(doc_id, old)
        self._raw()[str(doc_id)] = new
        self._store._storage.dirty = True
        self._table.clear_cache()
        self._index(doc_id, new)

    def update(self, doc_id: int, **fields: Any) -> dict:
        """Set some fields of document ``doc_id``; returns the new document (a copy)."""
        current = self._raw().get(str(doc_id))
        if current is None:
            raise StoreError(f"{self.name}: no document {doc_id}")
        self.replace(doc_id, {**current, **fields})
        return self.get(doc_id)

    def delete(self, doc_id: int) -> None:
        """Remove document ``doc_id`` (nothing happens if it is absent)."""
        self._store._require_transaction()
        old = self._raw().get(str(doc_id))
        if old is None:
            return
        self._store._journal.append((self, doc_id, _copy(old)))
        self._unindex(doc_id, old)
        self._table.remove(doc_ids=[doc_id])

    def set_durably(self, doc_id: int, fields: dict[str, Any], *, sync: bool = True) -> None:
        """Set fields of document ``doc_id`` at once and durably, outside any transaction
        (see the journal in :mod:`store.storage`): for a fact that must survive a crash
        the moment it happens, such as "the SMTP server accepted this mail". Fields must
        be JSON values. ``sync=False`` survives the process being killed but not a power
        cut, for a hundredth of the cost. Raises :class:`StoreError`; does nothing for an
        absent document.
        """
        if self._store._depth:
            raise StoreError("set_durably is for use outside a transaction")
        with self._store._locked():
            old = self._raw().get(str(doc_id))
            if old is None:
                return
            self._unindex(doc_id, old)
            self._store._storage.append_journal({"table": self.name, "id": doc_id, "fields": fields}, sync=sync)
            self._index(doc_id, self._raw()[str(doc_id)])
            self._table.clear_cache()

    def _restore(self, doc_id: int, old: dict | None) -> None:
        """Undo one journalled change (used by savepoints and failed transactions)."""
        raw = self._raw()
        current = raw.get(str(doc_id))
        if current is not None:
            self._unindex(doc_id, current)
            del raw[str(doc_id)]
        if old is not None:
            self._store._storage.data.setdefault(self.name, {})[str(doc_id)] = old
            self._index(doc_id, old)
        self._table.clear_cache()


class _NoLock:
    """The lock of a memory store: no other process can share it."""

    def acquire(self) -> None:
        pass

    def release(self) -> None:
        pass


class Store:
    """The robot's data, in one file. Open with :meth:`open` (or :meth:`memory`).

    ``path``: the JSON file; its lock is ``<path>.lock`` and its previous version
    ``<path>.bak``. ``lock_timeout``: seconds to wait for another process's transaction
    before raising :class:`StoreBusy`. ``create``: a store that does not exist yet
    (neither the file nor its backup) starts empty (``rers init``, ``rers demo``, tests);
    without it, that raises :class:`StoreMissing` — the robot's commands never make up a
    store where one should be (an unmounted disk), see :mod:`store.storage`.

    Raises :class:`StoreCorrupt` when the file is unreadable (it is never overwritten),
    :class:`StoreMissing` as said, and :class:`StoreError` when it was written by a newer
    version of rers.
    """

    def __init__(self, path: Path | str, *, lock_timeout: float = 60.0, storage: AtomicJSONStorage | None = None,
                 create: bool = False):
        self.path = Path(path)
        self._lock = FileLock(str(self.path) + ".lock", timeout=lock_timeout) if storage is None else _NoLock()
        self._storage = AtomicJSONStorage(self.path, create=create) if storage is None else storage
        self._db = _TinyDB(storage=lambda: self._storage)
        self._journal: list[tuple[Collection, int, dict | None]] = []
        self._depth = 0
        self._lock_depth = 0
        self._forget_backup = False
        self._derived: dict[str, Any] = {}
        self._recheck: Callable[["Store"], None] | None = None
        self._check_schema()
        self.collections = {spec.name: Collection(self, spec) for spec in COLLECTIONS}

    @classmethod
    def open(cls, path: Path | str, *, lock_timeout: float = 60.0, create: bool = False) -> "Store":
        """The store at ``path``; ``create``: start an empty one when there is none (see
        the class docstring). Raises :class:`StoreMissing` without ``create`` when neither
        the file nor its backup exists."""
        return cls(path, lock_timeout=lock_timeout, create=create)

    @classmethod
    def create(cls, path: Path | str) -> "Store":
        """Make a new, empty store file at ``path`` (folders created) and return it open:
        what ``rers init`` does. Raises :class:`StoreError` when the file or its backup
        already exists (a store is never replaced), or when it cannot be written."""
        path = Path(path)
        for existing in (path, path.with_name(path.name + ".bak")):
            if existing.exists():
                raise StoreError(Said("a store already exists at {path}; it was left as it is", path=existing))
        store = cls(path, create=True)
        with store.transaction():
            store._storage.dirty = True  # written even though no document is: the schema version
        return store

    @classmethod
    def memory(cls) -> "Store":
        """A store held in memory only, with the same API and rules (transactions,
        savepoints, indexes): for tests of the steps on plain data. Nothing touches a disk."""
        return cls("(memory)", storage=MemoryStorage())

    def __getattr__(self, name: str) -> Collection:
        # Collections read as attributes: store.members, store.outbox, ...
        collections = self.__dict__.get("collections")
        if collections and name in collections:
            return collections[name]
        raise AttributeError(name)

    @property
    def schema_version(self) -> int:
        meta = self._storage.data.get("_meta", {}).get("1", {})
        return int(meta.get("schema_version", SCHEMA_VERSION))

    def _check_schema(self) -> None:
        meta = self._storage.data.get("_meta", {}).get("1")
        if meta is None:
            if self._storage.stamp and self._storage.stamp[0] is not None:
                # Every file rers writes names its schema: one without it (even "{}") was
                # made or emptied by something else; treating it as new would renumber
                # members from M-1 and, at the next write, push the real backup out.
                raise StoreCorrupt(Said("the store {path} has no schema version: it was not written by rers, or was "
                                        "emptied by hand. It was left untouched; restore {name}.bak if needed",
                                        path=self.path, name=self.path.name))
            return
        version = meta.get("schema_version")
        if not isinstance(version, int):
            raise StoreError(Said("the store {path} has no readable schema version; it was left untouched",
                                  path=self.path))
        if version > SCHEMA_VERSION:
            raise StoreError(Said("the store {path} was written by a newer rers (schema {version}, this one knows "
                                  "{known}); upgrade rers, the store was left untouched", path=self.path,
                                  version=version, known=SCHEMA_VERSION))

    def _migrate(self) -> None:
        data = self._storage.data
        meta = data.setdefault("_meta", {}).setdefault("1", {})
        version = meta.get("schema_version", SCHEMA_VERSION)  # absent: a new, empty store
        migrated = version < SCHEMA_VERSION
        while version < SCHEMA_VERSION:
            _MIGRATIONS[version](data)
            version += 1
        if meta.get("schema_version") != version:
            meta["schema_version"] = version
            self._storage.dirty = True
        if migrated:  # the documents changed under the indexes and TinyDB's caches
            self._db = _TinyDB(storage=lambda: self._storage)
            for collection in self.collections.values():
                collection.rebuild_indexes()

    def _require_transaction(self) -> None:
        if self._depth == 0:
            raise StoreError("write outside a transaction (use `with store.transaction():`)")

    def _reload(self) -> None:
        self._storage.reload()
        try:
            self._check_schema()
        except StoreError:
            # What was read is not a store rers may write over (emptied, foreign, newer):
            # forget having read it, so that every later access reads the file again and
            # refuses again — never a write of that content over the file and its backup.
            self._storage.stamp = ("unreadable",)
            raise
        # A fresh TinyDB: its tables cache the next document id, which another process
        # may have used meanwhile.
        self._db = _TinyDB(storage=lambda: self._storage)
        for collection in self.collections.values():
            collection.rebuild_indexes()
        if self._recheck is not None:
            try:
                self._recheck(self)
            except StoreError:
                self._storage.stamp = ("unreadable",)  # as above: refused again at every access
                raise

    def recheck_on_reload(self, check: Callable[["Store"], None]) -> None:
        """Call ``check`` on the documents each time they are read again because another
        process wrote the file (a command, or a hand edit while the daemon runs). ``check``
        raises :class:`StoreError` (:class:`StoreCorrupt`) to refuse what it finds: that
        access and every later one raise it, and nothing is written over the file."""
        self._recheck = check

    @contextmanager
    def _locked(self):
        if self._lock_depth:
            # Already ours (nested): nobody else can have written meanwhile.
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        try:
            self._lock.acquire()
        except Timeout:
            raise StoreBusy(Said("another rers process has held the store {path} for too long; try again later",
                                 path=self.path)) from None
        except OSError as error:
            raise StoreError(Said("cannot lock the store {path}: {reason}", path=self.path,
                                  reason=errno_reason(error))) from None
        self._lock_depth = 1
        try:
            if self._storage.changed_on_disk():
                self._reload()
            yield
        finally:
            self._lock_depth = 0
            self._lock.release()

    @contextmanager
    def locked(self):
        """Hold the store's inter-process lock across several :meth:`Collection.set_durably`
        calls (each then costs no lock round trip). Not a transaction: no write outside
        ``set_durably`` is allowed in it. Raises :class:`StoreBusy`."""
        with self._locked():
            yield self

    @contextmanager
    def transaction(self):
        """Lock, refresh, run the block, then write once. Nested calls join the outer one.

        On an exception the block's changes are undone in memory and nothing is written.
        Raises :class:`StoreBusy` when the lock cannot be had within ``lock_timeout``.
        """
        if self._depth:
            self._depth += 1
            try:
                with self.savepoint():
                    yield self
            finally:
                self._depth -= 1
            return
        with self._locked():
            self._depth = 1
            self._journal = []
            try:
                self._migrate()
                yield self
            except BaseException:
                self._undo_to(0)
                self._forget_backup = False
                raise
            finally:
                self._depth = 0
            if self._storage.dirty:
                self._storage.flush()
                if self._forget_backup:
                    self._storage.replace_backup()
            self._forget_backup = False
            self._journal = []

    @contextmanager
    def savepoint(self):
        """Inside a transaction: undo this block's changes if it raises (then re-raise)."""
        self._require_transaction()
        mark = len(self._journal)
        try:
            yield self
        except BaseException:
            self._undo_to(mark)
            raise

    def _undo_to(self, mark: int) -> None:
        while len(self._journal) > mark:
            collection, doc_id, old = self._journal.pop()
            collection._restore(doc_id, old)

    def forget_backup(self) -> None:
        """Inside a transaction that erases someone: once it is written, the backup of the
        previous version (``.bak``) is replaced by the new one, so that nothing erased
        survives in it."""
        self._require_transaction()
        self._forget_backup = True

    def refresh(self) -> None:
        """Re-read the file if another process wrote it (for long-lived readers)."""
        if self._depth == 0 and self._storage.changed_on_disk():
            self._reload()

    # Small shared helpers -----------------------------------------------------------------

    def next_number(self, counter: str) -> int:
        """The next number of a counter (``"member"``, ``"offer"``…), 1 first. In a transaction."""
        self._require_transaction()
        doc = self.state.find_one("key", f"counter:{counter}")
        if doc is None:
            self.state.insert({"key": f"counter:{counter}", "value": 1})
            return 1
        value = int(doc["value"]) + 1
        self.state.update(doc["id"], value=value)
        return value

    def derived(self, name: str, build: Callable[[], Any]) -> Any:
        """An object computed from the data and kept in memory for this Store's life (a
        workflow's index: the matching index of :mod:`workflows.steps.introductions`), made by
        ``build()`` on first use. Never written; whoever keeps it checks it against the
        documents it reads, since transactions may roll back and other processes write."""
        if name not in self._derived:
            self._derived[name] = build()
        return self._derived[name]

    def get_state(self, key: str, default: Any = None) -> Any:
        """A small named value (last cycle time, …), or ``default``."""
        doc = self.state.find_one("key", key)
        return default if doc is None else doc["value"]

    def set_state(self, key: str, value: Any) -> None:
        """Set a small named value. In a transaction."""
        doc = self.state.find_one("key", key)
        if doc is None:
            self.state.insert({"key": key, "value": value})
        elif doc["value"] != value:
            self.state.update(doc["id"], value=value)
