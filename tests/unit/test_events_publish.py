"""Publishing the calendar files: atomic, unchanged files untouched, stale event files removed."""
from __future__ import annotations

import os
import stat

import pytest
from events_support import state

from workflows.events import ical
from workflows.shell.files import publish

FEED = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nX-WR-CALNAME:Réseau\r\nEND:VCALENDAR\r\n"


def test_writes_bytes_as_given(tmp_path):
    out = tmp_path / "calendar"
    written = publish({"calendrier.ics": FEED, "event-a.ics": FEED}, out)
    assert written == [out / "calendrier.ics", out / "event-a.ics"]
    assert (out / "calendrier.ics").read_bytes() == FEED.encode("utf-8")  # CRLF kept
    assert stat.S_IMODE((out / "calendrier.ics").stat().st_mode) == 0o644
    assert sorted(p.name for p in out.iterdir()) == ["calendrier.ics", "event-a.ics"]  # no temp file left


def test_unchanged_files_are_not_rewritten(tmp_path):
    publish({"calendrier.ics": FEED}, tmp_path)
    path = tmp_path / "calendrier.ics"
    os.utime(path, (1_000_000_000, 1_000_000_000))
    assert publish({"calendrier.ics": FEED}, tmp_path) == []
    assert path.stat().st_mtime == 1_000_000_000
    assert publish({"calendrier.ics": FEED.replace("Réseau", "RERS")}, tmp_path) == [path]


def test_stale_event_files_are_removed_and_nothing_else(tmp_path):
    publish({"calendrier.ics": FEED, "event-old.ics": FEED, "event-kept.ics": FEED}, tmp_path)
    (tmp_path / "index.html").write_text("hello")
    (tmp_path / "other.ics").write_text("mine")
    publish({"calendrier.ics": FEED, "event-kept.ics": FEED}, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calendrier.ics", "event-kept.ics", "index.html",
                                                          "other.ics"]


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    publish({"calendrier.ics": FEED}, tmp_path)

    def broken(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        publish({"calendrier.ics": FEED + "X"}, tmp_path)
    assert (tmp_path / "calendrier.ics").read_bytes() == FEED.encode("utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["calendrier.ics"]


@pytest.mark.parametrize("name", ["../escape.ics", "sub/dir.ics", ".hidden.ics", "feed.txt", ""])
def test_refuses_names_that_are_not_plain_ics_files(tmp_path, name):
    with pytest.raises(ValueError):
        publish({name: FEED}, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_publishing_the_real_files_twice(tmp_path):
    files = ical.calendar_files(state().values(), name="RERS de Souday", tzid="Europe/Paris")
    assert len(publish(files, tmp_path)) == len(files)
    assert publish(files, tmp_path) == []
