"""Pooled events (protocol.md « Linked networks »; docs/reseaux-voisins.md « Événements
partagés »): a linked network's published calendar reaches the members of this network
who chose « Invitations : réseaux voisins », and the peer learns only how many said yes.

- :func:`pool_feeds` (the hourly job, after the shell read each ``[[federation.feeds]]``):
  the feed's events become series of kind ``pooled`` in this network's calendar
  (:func:`workflows.events.feeds.pooled_series`), announced like any change of it
  (:func:`workflows.steps.invitations.update_calendar`): a new event is a REQUEST, a
  changed one an update, one gone from the feed a CANCEL — only to the members who named
  « réseaux voisins » (:data:`workflows.steps.invitations.OPT_IN_KINDS`). The ORGANIZER
  shows the peer's name over this robot's address, so that answers come back here (see
  :func:`workflows.steps.invitations.pooled_organizer` and ``_queue``). A feed that
  cannot be read leaves its events as they are; the animators are told once, and once
  when it is read again. The events of a peer whose feed left the configuration are
  called off.
- :func:`send_counts`: the answers are recorded like any attendance
  (:mod:`workflows.steps.attendance`); the organising peer gets a signed ``count``
  message — per event (and per day of a series someone answered for) the number of
  yes, nothing else — when the numbers changed, once a day at most; and at once when
  the peer restarted from an empty store since the last one (it lost what it held): the
  feed's state keeps the peer's epoch the counts were sent under, and a newer one
  received (:func:`workflows.steps.federation.on_federation`) differs from it. The
  send decides from that data, so that no restart hook reaches here from
  :mod:`workflows.steps.federation` (which this module imports).

Per feed, ``state["feed:<peer address>"]``::

    {"read_at": UTC ISO | None (last read), "events": int (read then), "skipped": [str],
     "failing": str | None (the error while it cannot be read), "failing_since": UTC ISO,
     "counts_digest": str, "counts_at": UTC ISO, "counts_sent": int,
     "counts_epoch": int (the peer's epoch when they were sent; absent before it was kept)}
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from config.feeds import Feed
from config.settings import NetworkSettings
from workflows.decision import Plan
from workflows.events.feeds import FeedError, FeedRead, pooled_series
from workflows.events.model import EventSeries
from workflows.model.federation import encode
from workflows.steps.attendance import answers_for
from workflows.steps.calendar import draft, load_series
from workflows.steps.federation import peer_state, send
from workflows.steps.federation_notices import tell_about_peer
from workflows.steps.invitations import INVITATION_KIND_OF, OPT_IN_KINDS, update_calendar

COUNTS_EVERY = timedelta(days=1)
"""Changed counts go to the organising peer once a day at most."""


@dataclass(frozen=True)
class Fetched:
    """What the shell read of one feed: its ``text``, or the ``error`` (one line) that
    kept it from being read."""

    feed: Feed
    text: str | None = None
    error: str | None = None


@dataclass
class PoolReport:
    """What :func:`pool_feeds` did: ``lines`` (``"<peer>: 3 event(s)"``, ``"<peer>:
    unreadable (…)"``), the calendar ``changes`` (``"<uid> <kind>"``) and the
    ``counts`` messages sent (peer names)."""

    lines: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    counts: list[str] = field(default_factory=list)


def _key(address: str) -> str:
    return f"feed:{address}"


def feed_state(store, address: str) -> dict:
    """What is kept about the feed of the peer robot ``address`` (module docstring); ``{}``
    at first. Reads only (a plan or a view)."""
    return dict(store.get_state(_key(address)) or {})


def _save(plan: Plan, address: str, **changes) -> None:
    plan.set_state(_key(address), {**feed_state(plan, address), **changes})


def feed_events(feed: Feed, text: str, network: NetworkSettings, today: date) -> FeedRead:
    """The events of ``feed`` (its iCalendar ``text``) this ``network`` pools
    (:func:`workflows.events.feeds.pooled_series`): those still to come on ``today``
    (local), of the kinds the feed's ``kinds`` names. Raises
    :class:`workflows.events.feeds.FeedError` when ``text`` is not iCalendar text."""
    return pooled_series(text, peer=feed.address, address=network.address, domain=network.domain,
                         zone=network.timezone, today=today,
                         leave_out={kind for kind, word in INVITATION_KIND_OF.items()
                                    if kind not in OPT_IN_KINDS and word not in feed.kinds})


def _read(plan: Plan, fetched: Fetched) -> dict[str, EventSeries] | None:
    """The pooled series of one feed, or None when it cannot be read (the animators told
    the first time). Tells them too when it can be read again."""
    feed, state = fetched.feed, feed_state(plan, fetched.feed.address)
    network = plan.settings.network
    error = fetched.error
    read = None
    if error is None:
        try:
            read = feed_events(feed, fetched.text or "", network, plan.local_date)
        except FeedError as problem:
            error = str(problem)
    if read is None:
        if not state.get("failing"):
            tell_about_peer(plan, "feed_unreadable", feed, where=feed.where, error=error,
                            cause=f"feed-unreadable:{feed.address}:{plan.stamp()}")
            plan.log.warning("pooled events: the calendar of %s cannot be read: %s", feed.name, error)
            _save(plan, feed.address, failing_since=plan.stamp())
        _save(plan, feed.address, failing=error)
        return None
    if state.get("failing"):
        tell_about_peer(plan, "feed_read_again", feed, cause=f"feed-back:{feed.address}:{plan.stamp()}")
    for line in read.skipped:
        plan.log.info("pooled events of %s: left out %s", feed.name, line)
    _save(plan, feed.address, failing=None, read_at=plan.stamp(), events=len(read.series), skipped=read.skipped)
    return read.series


def pool_feeds(plan: Plan, fetched: list[Fetched]) -> PoolReport:
    """Bring the pooled events in line with the feeds just read (``fetched``, one per
    ``[[federation.feeds]]``), announce the changes, then :func:`send_counts`. Returns
    what was done. In a transaction."""
    report = PoolReport()
    planned = draft(plan)
    configured = {f.address for f in plan.settings.federation.feeds}
    replaced: dict[str, dict[str, EventSeries]] = {}
    for one in fetched:
        series = _read(plan, one)
        if series is None:
            report.lines.append(f"{one.feed.name}: unreadable ({feed_state(plan, one.feed.address).get('failing')})")
            continue
        replaced[one.feed.address] = series
        report.lines.append(f"{one.feed.name}: {len(series)} event(s)")
    for uid, series in list(planned.current.items()):
        # An event gone from a feed read now, or of a peer no longer pooled: called off
        # (reconcile turns a UID left out into a CANCEL). An unreadable feed keeps its own.
        if series.peer is not None and (series.peer in replaced or series.peer not in configured):
            del planned.current[uid]
    for series in replaced.values():
        planned.current.update(series)
    _state, changes, _queued = update_calendar(plan, planned)
    report.changes = [f"{c.uid} {c.kind}" for c in changes if c.uid.startswith("voisin-")]
    report.counts = send_counts(plan)
    return report


def counts_for(plan: Plan, address: str) -> list[dict]:
    """What this network tells the peer robot ``address`` about its events pooled here:
    ``[{"uid": the peer's UID, "occurrence": "YYYY-MM-DD" | None, "yes": int}]`` — for
    each of its events someone answered, the number of yes for the whole event, and for
    each day someone answered about; sorted. Never who."""
    found = []
    for series in load_series(plan).values():
        if series.peer != address:
            continue
        answered = plan.attendance.find("uid", series.uid)
        if not answered:
            continue
        days = sorted({doc["occurrence"] for doc in answered if doc.get("occurrence")})
        for day in [None, *days]:
            answers = answers_for(plan, series.uid, date.fromisoformat(day) if day else None)
            found.append({"uid": series.peer_uid, "occurrence": day,
                          "yes": sum(1 for a in answers if a["partstat"] == "accepted")})
    return sorted(found, key=lambda e: (e["uid"], e["occurrence"] or ""))


def send_counts(plan: Plan, *, at_once: bool = False) -> list[str]:
    """To each linked peer whose events are pooled here, a signed ``count`` message when
    its numbers changed since the last one, and that one is a day old (``at_once``:
    whatever its age); and, whatever the numbers and the age, when the peer's epoch is not
    the one the last count was sent under (it restarted from an empty store and lost our
    counts; a state from before the epoch was kept counts as such, once). Nothing before
    anyone answered, nor an empty list to a restarted peer. Returns the peers' names."""
    sent = []
    for feed in plan.settings.federation.feeds:
        peer = plan.settings.federation.peer(feed.address)
        linked = peer_state(plan, peer) if peer is not None else {}
        if not linked.get("linked"):
            continue
        counts = counts_for(plan, feed.address)
        state = feed_state(plan, feed.address)
        epoch = int(linked.get("epoch") or 0)
        digest = hashlib.sha256(encode({"counts": counts}).encode("ascii")).hexdigest()
        lost = bool(counts) and bool(state.get("counts_digest")) and state.get("counts_epoch") != epoch
        if not lost:
            if state.get("counts_digest") == digest or (not counts and not state.get("counts_digest")):
                continue
            last = state.get("counts_at")
            if last and not at_once and plan.now - datetime.fromisoformat(last) < COUNTS_EVERY:
                continue
        send(plan, peer, "count", {"counts": counts})
        _save(plan, feed.address, counts_digest=digest, counts_at=plan.stamp(), counts_sent=len(counts),
              counts_epoch=epoch)
        plan.audit.info("pooled events: %d count(s) sent to %s%s", len(counts), peer.name,
                        " (it restarted from an empty store)" if lost else "")
        sent.append(peer.name)
    return sent
