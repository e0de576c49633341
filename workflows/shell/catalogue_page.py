"""The public catalogue page: the open offers and demands, on the network's web space.

``rers catalogue publish`` and the daemon's daily job write one static HTML file,
rendered from the template ``catalogue_page`` (``templates/<lang>/catalogue_page.html.j2``,
which the animators may replace like any other text): the open items by reference and
title — the entries of the ``CATALOGUE`` mail (:func:`workflows.steps.catalogue.entries`:
titles masked, no name, no address) —, the network's address and how to join, the
charter's ideas in a few lines, the permanence, and the link to the calendar feed. One
file without any external resource, readable on a phone, that any web server can serve.
"""
from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

from config.settings import Settings
from store import Store
from workflows.steps.catalogue import entries
from workflows.context import Context
from workflows.shell.files import write_atomically
from workflows.shell.templating import base_context

TEMPLATE = "catalogue_page"
_PLAIN_NAME = re.compile(r"[\w\-][\w.\-]*\.html?")


def page_path(settings: Settings) -> Path:
    """Where the page is written: ``[catalogue] output_dir`` (default: the calendar's
    ``output_dir``) / ``page_file``. Raises ``ValueError`` when ``page_file`` is not a
    plain ``.html`` file name."""
    name = settings.catalogue.page_file
    if not _PLAIN_NAME.fullmatch(name):
        raise ValueError(f"[catalogue] page_file {name!r} is not a plain file name ending in .html")
    return Path(settings.catalogue.output_dir or settings.calendar.output_dir) / name


def feed_link(settings: Settings) -> str:
    """The calendar feed's address relative to the page (``calendrier.ics`` when both are
    in one folder): it works wherever the two folders are served from one web space."""
    feed = Path(settings.calendar.output_dir) / settings.calendar.feed_file
    return Path(os.path.relpath(feed, page_path(settings).parent)).as_posix()


def render_page(settings: Settings, store: Store, now: datetime) -> str:
    """The page's HTML (``now``: aware, the date the page shows). Raises
    :class:`workflows.mail.compose.TemplateError` when the built-in template fails."""
    ctx = Context.standalone(settings, store, now)
    return ctx.renderer.page(TEMPLATE, {**base_context(settings, now), **entries(ctx), "feed": feed_link(settings)})


def publish_page(settings: Settings, store: Store, now: datetime) -> Path | None:
    """Write the page (atomically, folder created) when its bytes changed; returns its
    path, or None when it was already up to date. Raises ``OSError`` when it cannot be
    written, ``ValueError`` for a bad ``page_file``."""
    path = page_path(settings)
    data = render_page(settings, store, now).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if path.read_bytes() == data:
            return None
    except FileNotFoundError:
        pass
    write_atomically(path, data)
    return path
