"""The day before an occurrence: a reminder to those who accepted, and, before a
permanence or a group's session, the list of who comes (and, for a permanence, of the
pairs to present to each other), to the animators.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from workflows.decision import Plan
from workflows.events.model import EventSeries
from workflows.events.rules import Occurrence, occurrence_dates, occurrences
from workflows.events.views import event_view, occurrence_view
from workflows.lookup import find_item, find_ref
from workflows.model.introductions import SIDES, erased
from workflows.model.privacy import public_item, public_member
from workflows.steps.attendance import answers_for
from workflows.steps.calendar import load_series
from workflows.steps.invitations import REMINDER, calendar_message_id, group_invitees, invitee_of, mail_cause
from workflows.steps.speaking import tell_animators, tell_attendee


REMINDERS_FROM = time(17, 0)
"""Local time from which the day-before mails go out: late enough to carry the day's
answers, early enough to be read that evening. The daemon runs :func:`send_reminders`
every hour; before this time it does nothing."""


def _person(plan: Plan, answer: dict) -> dict:
    """How the animators' list shows one answer: the member's name and ref, or, for
    someone who is not a member, the address (the list goes to animators only)."""
    member = find_ref(plan, answer["member"]) if answer.get("member") else None
    if member is not None:
        return {"name": member.get("name") or member["ref"], "ref": member["ref"], "address": None,
                "comment": answer.get("comment")}
    return {"name": None, "ref": None, "address": answer["address"], "comment": answer.get("comment")}


def _reminder_recipient(plan: Plan, answer: dict,
                        series: EventSeries | None = None) -> tuple[str | None, str, str | None] | None:
    """``(name, address, first name given as such)`` to remind, or None: a member who may
    get invitations (for a group's session: one of its invitees), or an animator; nobody
    else (an invitation forwarded to a stranger gets no mail from us)."""
    if series is not None and series.group is not None:
        invitee = next((i for i in group_invitees(plan, series.group) if i.member and i.member == answer.get("member")),
                       None)
        return (invitee.name, invitee.address, invitee.first_name) if invitee else None
    if answer.get("member"):
        member = find_ref(plan, answer["member"])
        invitee = invitee_of(member) if member else None
        return (invitee.name, invitee.address, invitee.first_name) if invitee else None
    if answer["address"] in plan.settings.network.animators:
        return None, answer["address"], None
    return None


def send_reminders(plan: Plan) -> list[str]:
    """The day before each occurrence (network-local "tomorrow" of ``plan.now``), from
    :data:`REMINDERS_FROM` local time on:

    - with ``[calendar] reminders = true``, an ``event_reminder`` mail to each person
      whose answer for that day is ``accepted`` (:func:`workflows.steps.attendance.answers_for`);
    - before a permanence or a group's session, an ``event_attendees`` mail to the
      animators: who accepted, who may come, who declined, and, before a permanence, the
      pairs of members to present to each other that day (:func:`pairs_to_present`).

    Idempotent: each mail's Message-ID depends only on the event, the day and the
    recipient (and their member ref), so running it again the same day decides nothing
    more. Returns the Message-IDs decided.
    """
    settings = plan.settings
    queued: list[str] = []
    local = plan.now.astimezone(settings.network.zone)
    if local.time() < REMINDERS_FROM:
        return queued
    today = local.date()
    tomorrow = today + timedelta(days=1)
    for series in load_series(plan).values():
        if occurrence_dates(series, tomorrow, tomorrow) != [tomorrow]:
            continue
        answers = answers_for(plan, series.uid, tomorrow)
        values = {"event": event_view(series, today), "occurrence": occurrence_view(series, tomorrow)}
        if settings.calendar.reminders:
            for answer in answers:
                recipient = _reminder_recipient(plan, answer, series) if answer["partstat"] == "accepted" else None
                if recipient is None:
                    continue
                mid = tell_attendee(
                    plan, recipient[0], recipient[1], animator=recipient[1] in settings.network.animators,
                    template="event_reminder",
                    values={**values, "recipient": {"name": recipient[0], "first_name": recipient[2]}},
                    purpose=REMINDER, cause=mail_cause(series.uid, series.sequence, tomorrow),
                    message_id=calendar_message_id(plan, REMINDER, series.uid, None, tomorrow, recipient[1],
                                                   answer.get("member")),
                )
                queued.extend([mid] if mid else [])
        if series.kind in ("permanence", "group_session") and settings.network.animators:
            people = {kind: [_person(plan, a) for a in answers if a["partstat"] == kind]
                      for kind in ("accepted", "tentative", "declined")}
            pairs = pairs_to_present(plan, series, tomorrow) if series.kind == "permanence" else []
            mid = tell_animators(
                plan, template="event_attendees", values={**values, **people, "pairs": pairs},
                purpose="event_attendees", cause=mail_cause(series.uid, series.sequence, tomorrow),
                message_id=calendar_message_id(plan, "event_attendees", series.uid, None, tomorrow, "animators"),
            )
            queued.extend([mid] if mid else [])
    if queued:
        plan.audit.info("calendar: %d reminder(s) for %s decided", len(queued), tomorrow)
    return queued


MEETING_HORIZON_DAYS = 400
"""How far :func:`meeting_permanence` looks for a permanence."""


def meeting_permanence(series: EventSeries, made: datetime, zone, until: date | None = None) -> Occurrence | None:
    """The permanence of ``series`` where two members introduced at ``made`` (aware) are
    presented to each other: the first one whose eve list to the animators is still to
    come — the day before it, from :data:`REMINDERS_FROM` local time (``zone``). So the
    animators' list names the pair, and the members learn the date at least a night
    ahead: with a Monday 9 h permanence, an introduction made on Sunday before 17 h is
    for the next morning; one made on Sunday evening, or on Monday at 1 h 27, is for the
    Monday after (never « this morning »). A cancelled permanence is skipped. None when
    there is none up to ``until`` (default: :data:`MEETING_HORIZON_DAYS` ahead).

    One rule for both ends: the introduction mail gives this date
    (:func:`workflows.steps.introductions.next_permanence`), and the eve list of this
    date names the pair (:func:`pairs_to_present`)."""
    first = made.astimezone(zone).date()
    last = until or first + timedelta(days=MEETING_HORIZON_DAYS)
    for occurrence in occurrences(series, first, last):
        eve_list = datetime.combine(occurrence.day - timedelta(days=1), REMINDERS_FROM, tzinfo=zone)
        if made < eve_list:
            return occurrence
    return None


def pairs_to_present(plan: Plan, series: EventSeries, day: date) -> list[dict]:
    """The introductions whose members the animators are to present to each other at the
    permanence ``series`` holds on ``day``: made, either side meeting at the permanence,
    and ``day`` their :func:`meeting_permanence` (a cancelled one moves the meeting to the
    next). For the animators' list the eve of that permanence: the introduction's ref, the
    first names and refs of both members and the titles, never an address. Oldest
    first."""
    zone = plan.settings.network.zone
    pairs = []
    for status in ("introduced", "bilan"):
        for intro in plan.introductions.find("status", status):
            if "permanence" not in (intro.get("contacts") or {}).values() or not intro.get("introduced"):
                continue
            made = datetime.fromisoformat(intro["introduced"])
            meeting = meeting_permanence(series, made, zone, until=day)
            if meeting is None or meeting.day != day:
                continue
            pair: dict = {"ref": intro["ref"], "introduced": intro["introduced"]}
            for side in SIDES:
                member = find_ref(plan, intro[f"{side}_member"])
                item = find_item(plan, intro[side]) or {"ref": intro[side], "kind": side, "title": ""}
                pair[side] = {"first_name": public_member(member).first_name,
                              "member": intro[f"{side}_member"] or erased(plan.settings.network.language), "title": public_item(item).title,
                              "permanence": intro["contacts"].get(side) == "permanence"}
            pairs.append(pair)
    return sorted(pairs, key=lambda p: (p["introduced"], int(p["ref"][3:])))
