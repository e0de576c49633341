"""The day before an occurrence: a reminder to those who accepted, and, before a
permanence, the list of who comes and of the pairs to present to each other, to the
animators.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from config.settings import Settings
from store import Store
from workflows.context import Context
from workflows.events.model import EventSeries
from workflows.events.rules import occurrence_dates, occurrences
from workflows.events.views import event_view, occurrence_view
from workflows.lookup import find_item, find_ref
from workflows.model.introductions import SIDES, erased
from workflows.model.privacy import public_item, public_member
from workflows.shell.outbox import queue_mail
from workflows.steps.attendance import answers_for
from workflows.steps.calendar import calendar_context, load_series
from workflows.steps.invitations import REMINDER, calendar_message_id, invitee_of, mail_cause

audit = logging.getLogger("rers.audit")


REMINDERS_FROM = time(17, 0)
"""Local time from which the day-before mails go out: late enough to carry the day's
answers, early enough to be read that evening. The daemon runs :func:`send_reminders`
every hour; before this time it does nothing."""


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
                from workflows.steps.reminders import pairs_to_present

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


def pairs_to_present(ctx: Context, series: EventSeries, day: date) -> list[dict]:
    """The introductions whose members the animators are to present to each other at the
    permanence ``series`` holds on ``day``: made, either side meeting at the permanence,
    and ``day`` the first occurrence after the introduction (a cancelled one moves the
    meeting to the next). For the animators' list the eve of that permanence: the
    introduction's ref, the first names and refs of both members and the titles, never an
    address. Oldest first."""
    zone = ctx.settings.network.zone
    pairs = []
    for status in ("introduced", "bilan"):
        for intro in ctx.store.introductions.find("status", status):
            if "permanence" not in (intro.get("contacts") or {}).values() or not intro.get("introduced"):
                continue
            made = datetime.fromisoformat(intro["introduced"])
            first = next((o for o in occurrences(series, made.astimezone(zone).date(), day) if o.start > made), None)
            if first is None or first.day != day:
                continue
            pair: dict = {"ref": intro["ref"], "introduced": intro["introduced"]}
            for side in SIDES:
                member = find_ref(ctx, intro[f"{side}_member"])
                item = find_item(ctx, intro[side]) or {"ref": intro[side], "kind": side, "title": ""}
                pair[side] = {"first_name": public_member(member).first_name,
                              "member": intro[f"{side}_member"] or erased(ctx.settings.network.language), "title": public_item(item).title,
                              "permanence": intro["contacts"].get(side) == "permanence"}
            pairs.append(pair)
    return sorted(pairs, key=lambda p: (p["introduced"], int(p["ref"][3:])))
