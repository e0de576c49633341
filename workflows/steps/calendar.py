"""The calendar's state in the store.

The pure work is in :mod:`workflows.events` (how a mail describes an event:
:mod:`workflows.events.views`). This module reads and writes the ``events`` collection,
one document per ``UID``::

    {"uid": "permanence@example.org", "series": <EventSeries.to_dict()>}

Changing the calendar is two steps, so that a command can look at what would be
published before deciding (``PERMANENCE ANNULÉE`` on a day that is not a permanence):

1. :func:`draft` — the stored series, and the series wanted now: the configured ones
   (``[calendar]``) plus the animators' one-off events and cancellations, with the
   one-off events long past left out (:data:`workflows.events.views.KEEP_PAST_DAYS`);
2. :func:`commit` — reconcile (RFC 5545 ``SEQUENCE``/``DTSTAMP``), write the series that
   changed, drop the pruned ones; returns the changes to announce.

Times: series hold wall-clock times in the network zone; "today" is the network's local
date of the clock's aware UTC ``now``.
"""
from __future__ import annotations

import logging
from datetime import date, datetime

from config.settings import Settings
from store import Store
from workflows.context import Context
from workflows.events.model import EventSeries
from workflows.events.state import Change, reconcile, series_from_settings, wanted
from workflows.events.views import CalendarDraft, is_stale
from workflows.mail.render import Renderer

log = logging.getLogger(__name__)
audit = logging.getLogger("rers.audit")


def calendar_context(settings: Settings, store: Store, now: datetime, renderer: Renderer | None = None) -> Context:
    """A :class:`Context` for calendar work outside a message (daily job, command line).
    ``now``: aware."""
    network = settings.network
    return Context(settings=settings, store=store, now=now,
                   renderer=renderer or Renderer(network.language, network.templates_dir, network.timezone))


def local_today(ctx: Context) -> date:
    """The network's local date of ``ctx.now``."""
    return ctx.now.astimezone(ctx.settings.network.zone).date()


def load_series(store: Store) -> dict[str, EventSeries]:
    """Every stored series, by UID (cancelled ones included: their UID and SEQUENCE
    must be remembered)."""
    return {doc["uid"]: EventSeries.from_dict(doc["series"]) for doc in store.events.all()}


def find_series(store: Store, uid: str | None) -> EventSeries | None:
    """The stored series of ``uid``, or None."""
    doc = store.events.find_one("uid", uid) if uid else None
    return EventSeries.from_dict(doc["series"]) if doc else None


def save_series(store: Store, state: dict[str, EventSeries]) -> None:
    """Write the series whose stored form changed. In a transaction."""
    for uid, series in state.items():
        data = series.to_dict()
        doc = store.events.find_one("uid", uid)
        if doc is None:
            store.events.insert({"uid": uid, "series": data})
        elif doc["series"] != data:
            store.events.update(doc["id"], series=data)


def draft(ctx: Context) -> CalendarDraft:
    """The stored and the wanted series (see the module docstring). Reads only."""
    return draft_for(ctx.settings, ctx.store, local_today(ctx))


def draft_for(settings: Settings, store: Store, today: date) -> CalendarDraft:
    """:func:`draft` for the network-local ``today``, without a context (the report)."""
    stored = load_series(store)
    pruned = sorted(uid for uid, series in stored.items() if is_stale(series, today))
    previous = {uid: series for uid, series in stored.items() if uid not in pruned}
    configured = series_from_settings(settings.calendar, settings.network, today=today)
    return CalendarDraft(previous=previous, current=wanted(previous, configured), today=today, pruned=pruned)


def commit(ctx: Context, planned: CalendarDraft) -> tuple[dict[str, EventSeries], list[Change]]:
    """Reconcile ``planned`` at ``ctx.now``, write the result, delete the pruned series.
    In a transaction. Returns ``(state, changes)`` as :func:`workflows.events.state.reconcile`
    does; announcing the changes is the caller's business."""
    state, changes = reconcile(planned.previous, planned.current, ctx.now)
    save_series(ctx.store, state)
    for uid in planned.pruned:
        doc = ctx.store.events.find_one("uid", uid)
        if doc is not None:
            ctx.store.events.delete(doc["id"])
    return state, changes


# --- how mails describe an event --------------------------------------------------------

