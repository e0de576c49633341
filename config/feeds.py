"""``[[federation.feeds]]``: the published calendars of linked networks whose events this
network's members may be invited to (docs/reseaux-voisins.md, « Événements partagés »)::

    [[federation.feeds]]
    peer = "RERS de Rouen"                       # a [[federation.peers]] name
    url = "https://rers-rouen.example/calendrier.ics"   # or: path = "/srv/rouen/calendrier.ics"
    kinds = ["rencontres", "échanges", "ateliers"]       # the default; "permanences" too?

Checked with every problem at once, like the rest of the configuration
(:func:`check_feeds`).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from config.tables import table_label, table_lines, unknown_key
from workflows.model.said import Said

FEED_KEYS = ("peer", "path", "url", "kinds")
FEED_KINDS = ("permanences", "rencontres", "échanges", "ateliers")
"""The kinds of a linked network's events that may be pooled: the words members write in
« Invitations : … » (:data:`workflows.mail.model.INVITATION_KINDS`, but « réseaux
voisins », which these events are)."""
DEFAULT_FEED_KINDS = ("rencontres", "échanges", "ateliers")
"""A neighbour's weekly permanence is left out unless asked for: a drop-in an hour away
every week would bury its workshops."""


@dataclass(frozen=True)
class Feed:
    """One pooled calendar: the robot ``address`` of the peer it belongs to (lower-case)
    and its ``name``; where to read it: a file ``path`` (absolute) or an ``http(s)``
    ``url`` — exactly one of them."""

    name: str
    address: str
    path: Path | None = None
    url: str | None = None
    kinds: tuple[str, ...] = DEFAULT_FEED_KINDS
    """Which of its events reach this network's members (:data:`FEED_KINDS` words)."""

    @property
    def where(self) -> str:
        """The path or URL, as shown to the operator."""
        return str(self.path) if self.path is not None else str(self.url)


def check_feeds(given: Any, peers: list, base: Path, text: str) -> tuple[list[Feed], list[Said]]:
    """The ``[[federation.feeds]]`` tables checked against the ``peers`` already read
    (:class:`config.settings.Peer`): ``(feeds, problems)``, every problem at once (an
    unknown or missing key, a peer not listed in ``[[federation.peers]]`` or given two
    feeds, both or neither of ``path`` and ``url``, a URL that is not http(s))."""
    lines = table_lines(text, "federation.feeds")
    if not isinstance(given, list) or not all(isinstance(f, dict) for f in given):
        return [], [Said("[federation] feeds: write each linked network's calendar as a [[federation.feeds]] table")]
    by_name = {p.name.lower(): p for p in peers}
    feeds, problems, seen = [], [], set()
    for number, table in enumerate(given, start=1):
        label = table_label("federation.feeds", number, lines)
        bad = len(problems)
        for key in table:
            if key not in FEED_KEYS:
                hint = difflib.get_close_matches(key, FEED_KEYS, n=1)
                problems.append(label(key, unknown_key(hint)))
        for key in ("peer", "path", "url"):
            if key in table and (not isinstance(table[key], str) or not table[key].strip()):
                problems.append(label(key, Said("must be a non-empty string")))
        name = table.get("peer") if isinstance(table.get("peer"), str) else None
        peer = by_name.get(name.strip().lower()) if name else None
        if "peer" not in table:
            problems.append(label("peer", Said("this key is required (the name of a [[federation.peers]])")))
        elif name and name.strip() and peer is None:
            problems.append(label("peer", Said("{name!r} is not the name of a [[federation.peers]]", name=name)))
        elif peer is not None and peer.address in seen:
            problems.append(label("peer", Said("{name!r} already has a feed", name=peer.name)))
        if ("path" in table) == ("url" in table):
            problems.append(label("path", Said("give either path (a file) or url (http or https), one of them")))
        kinds = table.get("kinds", list(DEFAULT_FEED_KINDS))
        if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
            problems.append(label("kinds", Said("a list of words among {kinds}", kinds=", ".join(FEED_KINDS))))
            kinds = []
        for kind in kinds:
            if kind.strip().lower() not in FEED_KINDS:
                hint = difflib.get_close_matches(kind.strip().lower(), FEED_KINDS, n=1)
                problems.append(label("kinds", Said("{kind!r} is not one of {kinds} (did you mean {hint!r}?)",
                                                    kind=kind, kinds=", ".join(FEED_KINDS), hint=hint[0]) if hint
                                      else Said("{kind!r} is not one of {kinds}", kind=kind,
                                                kinds=", ".join(FEED_KINDS))))
        url = table.get("url") if isinstance(table.get("url"), str) else None
        if url and url.strip() and (urlsplit(url.strip()).scheme not in ("http", "https")
                                    or not urlsplit(url.strip()).netloc):
            problems.append(label("url", Said("{url!r} is not an http:// or https:// address", url=url)))
        if len(problems) == bad and peer is not None:
            seen.add(peer.address)
            path = None
            if "path" in table:
                path = Path(table["path"].strip()).expanduser()
                path = path if path.is_absolute() else base / path
            feeds.append(Feed(name=peer.name, address=peer.address, path=path,
                              url=url.strip() if url else None,
                              kinds=tuple(dict.fromkeys(k.strip().lower() for k in kinds))))
    return feeds, problems
