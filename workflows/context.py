"""What a workflow step receives: the settings, the store, the time, the renderer."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from config.settings import Settings
from store import Store
from workflows.mail.model import Parsed
from workflows.mail.render import Renderer


@dataclass
class Context:
    """One unit of work. ``now`` is an aware UTC datetime, fixed for the whole message
    (a controllable clock in tests); ``store`` is inside a transaction when steps run."""

    settings: Settings
    store: Store
    now: datetime
    renderer: Renderer

    @property
    def today(self) -> str:
        """The network's local date, ISO ``YYYY-MM-DD`` (for daily limits)."""
        return self.now.astimezone(self.settings.network.zone).date().isoformat()

    def stamp(self) -> str:
        """``now`` as stored: UTC ISO-8601 with seconds."""
        return self.now.isoformat(timespec="seconds")

    @classmethod
    def standalone(cls, settings: Settings, store: Store, now: datetime) -> "Context":
        """A context outside a mail cycle (a daemon job, the command line): the
        configured renderer, ``now`` aware UTC."""
        network = settings.network
        return cls(settings=settings, store=store, now=now,
                   renderer=Renderer(network.language, network.templates_dir, network.timezone))


@dataclass(frozen=True)
class Incoming:
    """One received message: what the parser understood, and the bytes as received
    (kept to forward them to the animators untouched)."""

    parsed: Parsed
    raw: bytes
    source_key: str

