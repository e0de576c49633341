"""The calendar's jobs: bring the state in line and announce it, publish the ``.ics``
files, remind people the day before.

- :func:`update_calendar` — plan, reconcile and write the series (see
  :mod:`workflows.steps.calendar_state`), and queue the invitations of what changed
  (:mod:`workflows.steps.invitations`), all in the caller's transaction: a change and its
  mails are written together.
- :func:`publish_calendar` — the daily job and ``rers calendar publish``: update, then
  write the network feed and one file per event into ``[calendar] output_dir``.
- :func:`publish_if_changed` — after a cycle: publish only when the stored series differ
  from what was last published (an animator's command arrived by mail).
- :func:`send_reminders` — the daily job: the day before an occurrence, a reminder to
  those who accepted (``[calendar] reminders = true``) and, before a permanence, the
  list of who accepted to the animators.
"""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, time, timedelta
from pathlib import Path

from config.settings import Settings
from store import Store
from workflows.steps.attendance import answers_for
from workflows.steps.calendar_state import (
    Plan, calendar_context, commit, event_view, load_series, occurrence_view, plan)
from workflows.context import Context
from workflows.events.ical import calendar_files
from workflows.events.model import EventSeries
from workflows.shell.files import publish
from workflows.events.rules import occurrence_dates
from workflows.events.state import Change
from workflows.steps.invitations import (
    REMINDER, announce, calendar_message_id, invite_new_animators, invitee_of, mail_cause)
from workflows.shell.outbox import queue_mail

log = logging.getLogger(__name__)
audit = logging.getLogger("rers.audit")

PUBLISHED_KEY = "calendar_published"
"""State key holding the fingerprint of the last published calendar."""

REMINDERS_FROM = time(17, 0)
"""Local time from which the day-before mails go out: late enough to carry the day's
answers, early enough to be read that evening. The daemon runs :func:`send_reminders`
every hour; before this time it does nothing."""


def update_calendar(ctx: Context, planned: Plan | None = None) -> tuple[dict[str, EventSeries], list[Change], list[str]]:
    """Commit ``planned`` (default: :func:`workflows.steps.calendar_state.plan` as is) and queue
    the invitations and cancellations of its changes, and the invitations of an animator
    newly configured (:func:`workflows.steps.invitations.invite_new_animators`). In a
    transaction.

    Returns ``(state, changes, Message-IDs queued)``.
    """
    state, changes = commit(ctx, planned or plan(ctx))
    queued = announce(ctx, state, changes) + invite_new_animators(ctx)
    if changes:
        log.info("calendar: %d change(s): %s", len(changes), ", ".join(f"{c.uid} {c.kind}" for c in changes))
    return state, changes, queued


def _fingerprint(settings: Settings, state: dict[str, EventSeries]) -> str:
    data = [settings.network.name, settings.network.timezone, settings.calendar.feed_file,
            str(settings.calendar.output_dir), [state[uid].to_dict() for uid in sorted(state)]]
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()


def publish_calendar(settings: Settings, store: Store, now: datetime) -> list[Path]:
    """Update the series (queuing the invitations of any change), then write the network
    feed and one file per event into ``output_dir``. Files whose bytes did not change are
    not rewritten; returns the paths written (empty when nothing changed). ``now``: aware.
    Raises ``OSError`` when the folder cannot be written (the store is already updated:
    the next run writes the files)."""
    with store.transaction():
        state, _changes, _queued = update_calendar(calendar_context(settings, store, now))
    files = calendar_files(
        state.values(), name=settings.network.name, tzid=settings.network.timezone,
        feed_filename=settings.calendar.feed_file,
    )
    written = publish(files, Path(settings.calendar.output_dir))
    with store.transaction():
        store.set_state(PUBLISHED_KEY, _fingerprint(settings, state))
    return written


def publish_if_changed(settings: Settings, store: Store, now: datetime) -> list[Path]:
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
    return publish_calendar(settings, store, now)


# --- the day before ---------------------------------------------------------------------


def _person(store: Store, answer: dict) -> dict:
    """How the animators' list shows one answer: the member's name and ref, or, for
    someone who is not a member, the address (the list goes to animators only)."""
    member = store.members.find_one("ref", answer["member"]) if answer.get("member") else None
    if member is not None:
        return {"name": member.get("name") or member["ref"], "ref": member["ref"], "address": None,
                "comment": answer.get("comment")}
    return {"name": None, "ref": None, "address": answer["address"], "comment": answer.get("comment")}


def _reminder_recipient(ctx: Context, answer: dict) -> tuple[str | None, str] | None:
    """``(name, address)`` to remind, or None: a member who may get invitations, or an
    animator; nobody else (an invitation forwarded to a stranger gets no mail from us)."""
    if answer.get("member"):
        member = ctx.store.members.find_one("ref", answer["member"])
        invitee = invitee_of(member) if member else None
        return (invitee.name, invitee.address) if invitee else None
    if answer["address"] in ctx.settings.network.animators:
        return None, answer["address"]
    return None


def send_reminders(settings: Settings, store: Store, now: datetime) -> list[str]:
    """The day before each occurrence (network-local "tomorrow" of ``now``, aware), from
    :data:`REMINDERS_FROM` local time on:

    - with ``[calendar] reminders = true``, an ``event_reminder`` mail to each person
      whose answer for that day is ``accepted`` (:func:`workflows.steps.attendance.answers_for`);
    - before a permanence, an ``event_attendees`` mail to the animators: who accepted,
      who may come, who declined, and the pairs of members to present to each other
      that day (:func:`workflows.steps.introductions.pairs_to_present`).

    Idempotent: each mail's Message-ID depends only on the event, the day and the
    recipient (and their member ref), so running it again the same day queues nothing
    more. Queues only (the
    next outbox flush sends). Returns the Message-IDs queued.
    """
    queued: list[str] = []
    local = now.astimezone(settings.network.zone)
    if local.time() < REMINDERS_FROM:
        return queued
    today = local.date()
    tomorrow = today + timedelta(days=1)
    with store.transaction():
        ctx = calendar_context(settings, store, now)
        for series in load_series(store).values():
            if occurrence_dates(series, tomorrow, tomorrow) != [tomorrow]:
                continue
            answers = answers_for(store, series.uid, tomorrow)
            context = {"event": event_view(series, today), "occurrence": occurrence_view(series, tomorrow)}
            if settings.calendar.reminders:
                for answer in answers:
                    recipient = _reminder_recipient(ctx, answer) if answer["partstat"] == "accepted" else None
                    if recipient is None:
                        continue
                    mid = queue_mail(
                        ctx, template="event_reminder", to=[recipient],
                        context={**context, "recipient": {"name": recipient[0]}},
                        purpose=REMINDER, cause=mail_cause(series.uid, series.sequence, tomorrow),
                        msg_id=calendar_message_id(ctx, REMINDER, series.uid, None, tomorrow, recipient[1],
                                                   answer.get("member")),
                        to_member=recipient[1] not in settings.network.animators,
                    )
                    queued.extend([mid] if mid else [])
            if series.kind == "permanence" and settings.network.animators:
                from workflows.steps.introductions import pairs_to_present

                people = {kind: [_person(store, a) for a in answers if a["partstat"] == kind]
                          for kind in ("accepted", "tentative", "declined")}
                pairs = pairs_to_present(ctx, series, tomorrow)
                mid = queue_mail(
                    ctx, template="event_attendees", to=[(None, a) for a in settings.network.animators],
                    context={**context, **people, "pairs": pairs}, purpose="event_attendees",
                    cause=mail_cause(series.uid, series.sequence, tomorrow),
                    msg_id=calendar_message_id(ctx, "event_attendees", series.uid, None, tomorrow, "animators"),
                    to_member=False,
                )
                queued.extend([mid] if mid else [])
    if queued:
        audit.info("calendar: %d reminder(s) for %s queued", len(queued), tomorrow)
    return queued
