"""The calendar shell: keep the event state in the store, publish the ``.ics`` files.

The pure work is in :mod:`workflows.events`: the configured series, the reconciliation
that raises ``SEQUENCE`` on a change, the iCalendar text. This module reads and writes
the ``events`` collection (one document per ``UID``: ``{"uid": …, "series": <series
dict>}``) and writes the files in ``[calendar] output_dir``.
"""
from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from config.settings import Settings
from store import Store
from workflows.events.ical import calendar_files
from workflows.events.model import EventSeries
from workflows.events.publish import publish
from workflows.events.state import Change, reconcile, series_from_settings, wanted

log = logging.getLogger(__name__)


def load_series(store: Store) -> dict[str, EventSeries]:
    """Every stored series, by UID (cancelled ones included: their UID and SEQUENCE
    must be remembered)."""
    return {doc["uid"]: EventSeries.from_dict(doc["series"]) for doc in store.events.all()}


def save_series(store: Store, state: dict[str, EventSeries]) -> None:
    """Write the series whose stored form changed. In a transaction."""
    for uid, series in state.items():
        data = series.to_dict()
        doc = store.events.find_one("uid", uid)
        if doc is None:
            store.events.insert({"uid": uid, "series": data})
        elif doc["series"] != data:
            store.events.update(doc["id"], series=data)


def refresh_series(settings: Settings, store: Store, now: datetime) -> tuple[dict[str, EventSeries], list[Change]]:
    """Bring the stored series in line with the configuration (and keep the animators'
    one-off events and cancellations). In a transaction. ``now``: aware.

    Returns the new state and the changes to announce (invitations).
    """
    today = now.astimezone(settings.network.zone).date()
    previous = load_series(store)
    configured = series_from_settings(settings.calendar, settings.network, today=today)
    state, changes = reconcile(previous, wanted(previous, configured), now)
    save_series(store, state)
    return state, changes


def publish_calendar(settings: Settings, store: Store, now: datetime) -> list[Path]:
    """Refresh the series, then write the network feed and one file per event into
    ``output_dir``. Files whose bytes did not change are not rewritten; returns the
    paths written (empty when nothing changed)."""
    with store.transaction():
        state, changes = refresh_series(settings, store, now)
    if changes:
        log.info("calendar: %d change(s): %s", len(changes), ", ".join(f"{c.uid} {c.kind}" for c in changes))
    files = calendar_files(
        state.values(), name=settings.network.name, tzid=settings.network.timezone,
        feed_filename=settings.calendar.feed_file,
    )
    return publish(files, Path(settings.calendar.output_dir))
