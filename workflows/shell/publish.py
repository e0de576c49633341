"""Publishing: the network's calendar as ``.ics`` files, and the public catalogue page.

- :func:`publish_calendar` — the daily job and ``rers calendar publish``: update the
  series (invitations of any change queued, :func:`workflows.steps.invitations.update_calendar`),
  then write the network feed and one file per event into ``[calendar] output_dir``;
- :func:`publish_if_changed` — after a cycle: publish only when the stored series differ
  from what was last published (an animator's command arrived by mail);
- :func:`publish_page` — ``rers catalogue publish`` and the daily job: one static HTML
  file, rendered from the template ``catalogue_page`` (which the animators may replace
  like any other text): the open items by reference and title — the entries of the
  ``CATALOGUE`` mail (:func:`workflows.steps.catalogue.entries`: titles masked, no name,
  no address) —, the network's address and how to join, the charter's ideas in a few
  lines, the permanence, the testimonies the animators approved (:func:`workflows.model.testimonies.published`:
  « un membre » or the first name as each author chose, contact details masked), and the
  link to the calendar feed. One file without any
  external resource, readable on a phone, that any web server can serve.

Files are written atomically (:mod:`workflows.shell.files`).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import datetime
from pathlib import Path

from config.settings import Settings
from store import Store
from workflows.events.ical import calendar_files
from workflows.events.model import EventSeries
from workflows.mail.render import Renderer, base_context
from workflows.model.said import Said
from workflows.model.testimonies import published
from workflows.shell.apply import run
from workflows.shell.files import publish, write_atomically
from workflows.shell.templating import renderer_for
from workflows.steps.calendar import load_series
from workflows.steps.catalogue import entries
from workflows.steps.invitations import update_calendar

PUBLISHED_KEY = "calendar_published"
"""State key holding the fingerprint of the last published calendar."""


def _fingerprint(settings: Settings, state: dict[str, EventSeries]) -> str:
    data = [settings.network.name, settings.network.timezone, settings.calendar.feed_file,
            str(settings.calendar.output_dir), [state[uid].to_dict() for uid in sorted(state)]]
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()


def publish_calendar(settings: Settings, store: Store, now: datetime, renderer: Renderer | None = None) -> list[Path]:
    """Update the series (queuing the invitations of any change), then write the network
    feed and one file per event into ``output_dir``. Files whose bytes did not change are
    not rewritten; returns the paths written (empty when nothing changed). ``now``: aware.
    Raises ``OSError`` when the folder cannot be written (the store is already updated:
    the next run writes the files)."""
    state, _changes, _queued = run(settings, store, now, update_calendar, renderer=renderer)
    files = calendar_files(
        state.values(), name=settings.network.name, tzid=settings.network.timezone,
        feed_filename=settings.calendar.feed_file,
    )
    written = publish(files, Path(settings.calendar.output_dir))
    with store.transaction():
        store.set_state(PUBLISHED_KEY, _fingerprint(settings, state))
    return written


def publish_if_changed(settings: Settings, store: Store, now: datetime,
                       renderer: Renderer | None = None) -> list[Path]:
    """:func:`publish_calendar` when the stored series changed since the last publication
    (cheap otherwise: no iCalendar is built). For the end of each cycle, so that an
    animator's command shows in the feed at once. A calendar that nothing has touched yet
    is left to the first publication proper (the daemon's start, the daily job, `rers
    calendar publish`), which also sends the first invitations."""
    store.refresh()
    published = store.get_state(PUBLISHED_KEY)
    series = load_series(store)
    if (published is None and not series) or published == _fingerprint(settings, series):
        return []
    return publish_calendar(settings, store, now, renderer)


TEMPLATE = "catalogue_page"


_PLAIN_NAME = re.compile(r"[\w\-][\w.\-]*\.html?")


def page_path(settings: Settings) -> Path:
    """Where the page is written: ``[catalogue] output_dir`` (default: the calendar's
    ``output_dir``) / ``page_file``. Raises ``ValueError`` when ``page_file`` is not a
    plain ``.html`` file name."""
    name = settings.catalogue.page_file
    if not _PLAIN_NAME.fullmatch(name):
        raise ValueError(Said("[catalogue] page_file {name!r} is not a plain file name ending in .html", name=name))
    return Path(settings.catalogue.output_dir or settings.calendar.output_dir) / name


def feed_link(settings: Settings) -> str:
    """The calendar feed's address relative to the page (``calendrier.ics`` when both are
    in one folder): it works wherever the two folders are served from one web space."""
    feed = Path(settings.calendar.output_dir) / settings.calendar.feed_file
    return Path(os.path.relpath(feed, page_path(settings).parent)).as_posix()


def render_page(settings: Settings, store: Store, now: datetime) -> str:
    """The page's HTML (``now``: aware, the date the page shows). Raises
    :class:`workflows.mail.render.TemplateError` when the built-in template fails."""
    return renderer_for(settings).page(TEMPLATE, {**base_context(settings, now), **entries(store),
                                                  "testimonies": published(store.testimonies.all(), (m.get("name") for m in store.members.all())),
                                                  "feed": feed_link(settings)})


TESTIMONIES_KEY = "page_testimonies"
"""State key holding the fingerprint of the testimonies the page last showed."""


def _testimonies_fingerprint(store: Store) -> str:
    shown = published(store.testimonies.all(), (m.get("name") for m in store.members.all()))
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode("utf-8")).hexdigest()


def publish_page_if_testimonies_changed(settings: Settings, store: Store, now: datetime) -> Path | None:
    """:func:`publish_page` when the published testimonies changed since the page last
    showed them (one approved, one withdrawn, an author erased): after a cycle, so that a
    ``RETRAIT T-4`` leaves the page at once rather than at the daily publication."""
    store.refresh()
    fingerprint = _testimonies_fingerprint(store)
    if store.get_state(TESTIMONIES_KEY) in (None, fingerprint) and not published(store.testimonies.all(), (m.get("name") for m in store.members.all())):
        return None
    if store.get_state(TESTIMONIES_KEY) == fingerprint:
        return None
    return publish_page(settings, store, now)


def publish_page(settings: Settings, store: Store, now: datetime) -> Path | None:
    """Write the page (atomically, folder created) when its bytes changed; returns its
    path, or None when it was already up to date. Raises ``OSError`` when it cannot be
    written, ``ValueError`` for a bad ``page_file``."""
    path = page_path(settings)
    data = render_page(settings, store, now).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fingerprint = _testimonies_fingerprint(store)
    try:
        if path.read_bytes() == data:
            _remember_testimonies(store, fingerprint)
            return None
    except FileNotFoundError:
        pass
    write_atomically(path, data)
    _remember_testimonies(store, fingerprint)
    return path


def _remember_testimonies(store: Store, fingerprint: str) -> None:
    if store.get_state(TESTIMONIES_KEY) != fingerprint:
        with store.transaction():
            store.set_state(TESTIMONIES_KEY, fingerprint)
