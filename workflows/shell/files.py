"""Write the calendar files: atomically, only when their bytes change, stale ones removed.

The only module of :mod:`workflows.events` that touches the disk. A reader (a web server,
a member's calendar refreshing its subscription) sees either the old file or the new
one, never half of one: each file is written to a temporary file in the same folder,
fsynced, then renamed over the old one (``os.replace``, atomic on POSIX and Windows).
"""
from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Mapping

from workflows.events.ical import EVENT_FILE_PREFIX, EVENT_FILE_SUFFIX

log = logging.getLogger(__name__)

FILE_MODE = 0o644
"""Published files are meant to be served to members: readable by all."""


def _check_name(name: str) -> None:
    if not name or name != Path(name).name or name.startswith(".") or not name.endswith(".ics"):
        raise ValueError(f"{name!r} is not a plain .ics file name")


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; folders cannot be opened this way on Windows.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` (temp file in the same folder, fsync, ``os.replace``).
    Raises ``OSError``; the old file is then untouched and no temp file is left."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, FILE_MODE)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(path.parent)


def publish(calendar_text_by_filename: Mapping[str, str], output_dir: Path) -> list[Path]:
    """Write each ``{file name: iCalendar text}`` into ``output_dir`` (created if missing)
    as UTF-8 bytes, the text's CRLFs kept.

    A file whose bytes are already the same is not rewritten (its mtime, and the
    subscribers' caches, stay). Files named ``event-*.ics`` in ``output_dir`` that are not
    in the mapping are removed (events that ended or were called off); no other file is
    touched. Returns the paths written, sorted. Raises ``ValueError`` for a name that is
    not a plain ``.ics`` file name, ``OSError`` when the folder cannot be written.
    """
    for name in calendar_text_by_filename:
        _check_name(name)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in sorted(calendar_text_by_filename):
        path = output_dir / name
        data = calendar_text_by_filename[name].encode("utf-8")
        try:
            if path.read_bytes() == data:
                continue
        except FileNotFoundError:
            pass
        write_atomically(path, data)
        written.append(path)
    for stale in sorted(output_dir.glob(f"{EVENT_FILE_PREFIX}*{EVENT_FILE_SUFFIX}")):
        if stale.name not in calendar_text_by_filename and stale.is_file():
            stale.unlink()
            log.info("removed the calendar file of a past or cancelled event: %s", stale)
    return written
