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

from datetime import date

from config.settings import Settings
from workflows.decision import Plan
from workflows.events.model import EventSeries
from workflows.events.state import Change, reconcile, series_from_settings, wanted
from workflows.events.views import CalendarDraft, is_stale


def load_series(store: Plan) -> dict[str, EventSeries]:
    """Every stored series, by UID (cancelled ones included: their UID and SEQUENCE
    must be remembered)."""
    return {doc["uid"]: EventSeries.from_dict(doc["series"]) for doc in store.events.all()}


def find_series(store: Plan, uid: str | None) -> EventSeries | None:
    """The stored series of ``uid``, or None."""
    doc = store.events.find_one("uid", uid) if uid else None
    return EventSeries.from_dict(doc["series"]) if doc else None


def save_series(store: Plan, state: dict[str, EventSeries]) -> None:
    """Write the series whose stored form changed. In a transaction."""
    for uid, series in state.items():
        data = series.to_dict()
        doc = store.events.find_one("uid", uid)
        if doc is None:
            store.events.insert({"uid": uid, "series": data})
        elif doc["series"] != data:
            store.events.update(doc["id"], series=data)


def draft(plan: Plan) -> CalendarDraft:
    """The stored and the wanted series (see the module docstring). Reads only."""
    return draft_for(plan.settings, plan, plan.local_date)


def draft_for(settings: Settings, store: Plan, today: date) -> CalendarDraft:
    """:func:`draft` for the network-local ``today``, without a context (the report)."""
    stored = load_series(store)
    pruned = sorted(uid for uid, series in stored.items() if is_stale(series, today))
    previous = {uid: series for uid, series in stored.items() if uid not in pruned}
    configured = series_from_settings(settings.calendar, settings.network, today=today)
    return CalendarDraft(previous=previous, current=wanted(previous, configured), today=today, pruned=pruned)


def commit(plan: Plan, planned: CalendarDraft) -> tuple[dict[str, EventSeries], list[Change]]:
    """Reconcile ``planned`` at ``plan.now``, write the result, delete the pruned series.
    In a transaction. Returns ``(state, changes)`` as :func:`workflows.events.state.reconcile`
    does; announcing the changes is the caller's business."""
    state, changes = reconcile(planned.previous, planned.current, plan.now)
    save_series(plan, state)
    for uid in planned.pruned:
        doc = plan.events.find_one("uid", uid)
        if doc is not None:
            plan.events.delete(doc["id"])
    return state, changes


# --- how mails describe an event --------------------------------------------------------

