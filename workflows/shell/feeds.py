"""Reading the linked networks' published calendars (``[[federation.feeds]]``,
docs/reseaux-voisins.md « Événements partagés »): a file, or a URL fetched with a
timeout through ``requests``. What is read is handed to
:func:`workflows.steps.pooled.pool_feeds`; nothing here decides."""
from __future__ import annotations

import requests

from config.feeds import Feed
from workflows.steps.pooled import Fetched

TIMEOUT_SECONDS = 20
"""How long one feed may take to answer (connect, then each read)."""
MAX_BYTES = 5 * 1024 * 1024
"""A feed larger than this is refused: a network's calendar is a few kilobytes."""


def read_feed(feed: Feed, *, timeout: float = TIMEOUT_SECONDS) -> Fetched:
    """The text of ``feed`` (UTF-8), or the one-line error that kept it from being read:
    a missing file, a refused connection, a timeout, an HTTP error status, a feed over
    :data:`MAX_BYTES`. Never raises for those."""
    try:
        if feed.path is not None:
            data = feed.path.read_bytes()[:MAX_BYTES + 1]
        else:
            with requests.get(feed.url, timeout=timeout, stream=True,
                              headers={"Accept": "text/calendar, */*;q=0.5", "User-Agent": "rers"}) as response:
                response.raise_for_status()
                data = response.raw.read(MAX_BYTES + 1, decode_content=True)
        if len(data) > MAX_BYTES:
            return Fetched(feed, error=f"larger than {MAX_BYTES // (1024 * 1024)} MB")
        return Fetched(feed, text=data.decode("utf-8-sig"))
    except (OSError, requests.RequestException, UnicodeDecodeError) as error:
        return Fetched(feed, error=(str(error).splitlines() or [type(error).__name__])[0][:300])


def read_feeds(feeds) -> list[Fetched]:
    """:func:`read_feed` of each configured feed, in order."""
    return [read_feed(feed) for feed in feeds]
