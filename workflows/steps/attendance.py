"""Who comes: answers to the calendar's invitations, per event and per occurrence.

Two ways in:

- :func:`on_rsvp` (route ``rsvp``): an answer from a calendar client, ``METHOD:REPLY``
  (RFC 5546 3.2.3), already read by the parser into ``parsed.rsvp``; recorded, never
  answered (protocol.md, "Intents").
- :func:`on_invitation_reply`: a plain-words answer ("je viendrai lundi", "absent") to
  an invitation or a reminder the robot sent, recognised by In-Reply-To/References. The
  ``reply`` and ``unknown`` routes call it first (such a reply carries no question token,
  so the parser calls it ``unknown``); it returns None when the message is not one.

An attendance document (collection ``attendance``, indexed by ``uid``)::

    {"uid": "permanence@example.org",
     "occurrence": "2026-12-07" (network-local day) | None (the whole event or series),
     "member": "M-14" | None, "address": "marie@example.org",
     "partstat": "accepted" | "declined" | "tentative", "comment": str | None,
     "updated": UTC ISO-8601, "source": "calendar" | "text"}

A person has one answer per event and occurrence: a new one replaces it. For one day of a
series, the answer for that day wins over the answer for the whole series
(:func:`answers_for`).

Who may answer (:func:`may_answer`, checked by the guards of :mod:`workflows.routes`,
never here): an animator, or a confirmed member, whether or not they still get the
invitations (they said they would come: the animators want to know). Anyone else's answer
is not recorded, as a calendar server ignores an ATTENDEE it did not invite, and goes to
the animators (reason ``attendance_not_member``).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

from workflows.decision import Incoming, Plan
from workflows.events.model import EventSeries
from workflows.events.rules import is_occurrence, occurrence_dates, public_holidays
from workflows.events.views import occurrence_view, upcoming_days
from workflows.lookup import find_member
from workflows.mail.animator_commands import find_date
from workflows.mail.answers import read_attendance
from workflows.mail.sender import person_address
from workflows.mail.textutil import fold
from workflows.steps.calendar import find_series
from workflows.steps.invitations import ANSWERABLE, read_cause, sent_calendar_mail
from workflows.steps.speaking import answer_sender, forward_to_animators
from workflows.model.said import Said, joined


PARTSTATS = ("accepted", "declined", "tentative")
_PARTSTAT_SAID = {"accepted": Said("accepted"), "declined": Said("declined"), "tentative": Said("tentative")}
"""A PARTSTAT as the outcome says it (in the operator's language where shown)."""
"""RFC 5545 3.2.12 PARTSTAT values an answer may carry, lower-cased."""


# --- the records ------------------------------------------------------------------------


def occurrence_day(recurrence_id: str | None, zone) -> date | None:
    """The network-local day of a ``RECURRENCE-ID`` as the parser gives it (UTC ISO-8601,
    or ``YYYY-MM-DD`` for an all-day one), None for none or an unreadable one."""
    if not recurrence_id:
        return None
    try:
        moment = datetime.fromisoformat(recurrence_id)
    except ValueError:
        return None
    if len(recurrence_id) == 10:
        return moment.date()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(zone).date()


def _same_person(doc: dict, member: str | None, address: str) -> bool:
    return (member is not None and doc.get("member") == member) or doc.get("address") == address


def record_answer(plan: Plan, *, uid: str, occurrence: date | None, address: str, partstat: str,
                  comment: str | None = None, source: str = "calendar") -> dict:
    """Record (or replace) ``address``'s answer for ``uid`` and ``occurrence`` (a local
    day, None for the whole event). The member is found by address. Returns the stored
    document. Raises ``ValueError`` for a ``partstat`` not in :data:`PARTSTATS`. In a
    transaction."""
    if partstat not in PARTSTATS:
        raise ValueError(f"unknown partstat {partstat!r}")
    address = address.lower()
    member = find_member(plan, address)
    ref = member["ref"] if member else None
    day = occurrence.isoformat() if occurrence else None
    doc = {"uid": uid, "occurrence": day, "member": ref, "address": address, "partstat": partstat,
           "comment": comment, "updated": plan.stamp(), "source": source}
    for old in plan.attendance.find("uid", uid):
        if old.get("occurrence") == day and _same_person(old, ref, address):
            plan.attendance.replace(old["id"], doc)
            return plan.attendance.get(old["id"])
    return plan.attendance.get(plan.attendance.insert(doc))


def answers_for(store: Plan, uid: str, day: date | None) -> list[dict]:
    """Each person's answer that holds for ``uid`` on ``day`` (None: the whole event):
    their answer for that day, else their answer for the whole event. Sorted by address."""
    docs = store.attendance.find("uid", uid)
    wanted = day.isoformat() if day else None
    chosen: dict[str, dict] = {}
    for doc in sorted(docs, key=lambda d: d.get("occurrence") is not None):
        if doc.get("occurrence") not in (None, wanted):
            continue
        chosen[doc.get("member") or doc["address"]] = doc
    return sorted(chosen.values(), key=lambda d: d["address"])


def forget_attendance(plan: Plan, member_ref: str | None, address: str | None) -> int:
    """Erase every answer of a member (by ref or address): for the membership code when a
    member's data is erased. Returns how many were removed. In a transaction."""
    address = address.lower() if address else None
    gone = list(plan.attendance.scan(
        lambda d: (member_ref is not None and d.get("member") == member_ref)
        or (address is not None and d.get("address") == address)))
    for doc in gone:
        plan.attendance.delete(doc["id"])
    return len(gone)


def may_answer(plan: Plan, address: str) -> bool:
    """True when an answer from ``address`` is recorded: an animator's, or a confirmed
    member's (invitations on or off, reachable or not). A pending joiner, a former member,
    a stranger who got an invitation forwarded: no."""
    address = address.lower()
    if address in (a.lower() for a in plan.settings.network.animators):
        return True
    member = find_member(plan, address)
    return member is not None and member.get("status") == "confirmed"


# --- answers from calendar clients ------------------------------------------------------


def on_rsvp(plan: Plan, incoming: Incoming) -> str:
    """``rsvp``: record each answer a calendar client sent (``parsed.rsvps``, one per
    VEVENT: ``{"uid", "attendee", "partstat", "recurrence_id", "comment"}``, protocol.md)
    and answer only when one cannot count.

    The person is the ATTENDEE (else the sender, From); the occurrence is the
    network-local day of the RECURRENCE-ID (None: the whole event). An answer about an
    event the robot does not know or without a readable PARTSTAT goes to the animators
    (once for the message, with the first such problem; nothing is dropped). An answer for a
    day the event does not happen (a holiday, a closure, a cancelled day, the event called
    off) is not recorded and the person is told so, with the next day
    (:func:`_tell_no_event`). An answer whose ATTENDEE did not send it, or from someone
    who is neither a member nor an animator, never gets here
    (:data:`workflows.routes.ATTENDEE`). Returns the outcomes joined by « ; ».
    """
    parsed = incoming.parsed
    outcomes: list[str] = []
    forwarded = False
    for rsvp in parsed.rsvps or [parsed.rsvp or {}]:
        outcome, problem = _one_rsvp(plan, incoming, rsvp)
        outcomes.append(outcome)
        if problem is not None and not forwarded:
            _forward_problem(plan, incoming, *problem)
            forwarded = True
    return joined(outcomes)


def _forward_problem(plan: Plan, incoming: Incoming, problem: str, value: str | None) -> None:
    """Hand the animators a calendar answer that cannot count (``problem``, see
    :func:`_one_rsvp`)."""
    if problem == "unknown":
        forward_to_animators(plan, incoming, reason="rsvp_unknown_event", purpose="rsvp_unknown", uid=value)
    elif problem == "unknown_no_uid":
        forward_to_animators(plan, incoming, reason="rsvp_unknown_event_no_uid", purpose="rsvp_unknown")
    else:
        forward_to_animators(plan, incoming, reason="rsvp_unreadable", purpose="rsvp_unreadable")


def _one_rsvp(plan: Plan, incoming: Incoming, rsvp: dict) -> tuple[str, tuple[str, str | None] | None]:
    """One answer of :func:`on_rsvp`: ``(outcome, problem)``, ``problem`` what the
    animators must be told (:func:`_forward_problem`: ``(kind, value)``, kind ``unknown``,
    ``unknown_no_uid`` or ``unreadable``), None when nothing."""
    parsed = incoming.parsed
    uid = rsvp.get("uid")
    series = find_series(plan, uid)
    if series is None:
        return Said("rsvp: unknown event, forwarded"), ("unknown" if uid else "unknown_no_uid", uid)
    partstat = (rsvp.get("partstat") or "").lower()
    address = rsvp.get("attendee") or parsed.sender
    if partstat not in PARTSTATS or not address:
        return Said("rsvp: unreadable, forwarded"), ("unreadable", None)
    address = address.lower()
    zone = plan.settings.network.zone
    day = occurrence_day(rsvp.get("recurrence_id"), zone)
    why = _why_no_event(series, day) if day is not None else None
    if why is not None:
        _tell_no_event(plan, incoming, series, day, why, partstat, plan.local_date)
        plan.audit.info("%s: attendance %s %s: no event that day (%s), told", parsed.message_id, series.uid, day, why)
        return Said("rsvp {partstat}: {uid} {day} has no event, told", partstat=_PARTSTAT_SAID[partstat],
                    uid=series.uid, day=day), None
    record_answer(plan, uid=series.uid, occurrence=day, address=address, partstat=partstat,
                  comment=rsvp.get("comment"))
    plan.audit.info("%s: attendance %s %s %s", parsed.message_id, series.uid, day or "whole event", partstat)
    values = _answered(partstat, series)
    return (Said("rsvp {partstat}: {uid} {day}", day=day, **values) if day
            else Said("rsvp {partstat}: {uid} whole event", **values)), None


def _answered(partstat: str, series) -> dict:
    """The values of an answer's outcome: ``partstat`` said (in the operator's language
    where shown), ``uid``."""
    return {"partstat": _PARTSTAT_SAID.get(partstat, partstat), "uid": series.uid}


# --- answers in plain words -------------------------------------------------------------

_WEEKDAY_WORDS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def _named_day(text: str, series: EventSeries, reference: datetime) -> tuple[bool, date | None]:
    """``(named, day)``: whether ``text`` names a day (a date, or a weekday), and that day
    when it is a day of the series' rule (else None), even one it skips (a holiday, a
    closure, a cancelled day: :func:`_why_no_event` tells)."""
    folded = fold(text)
    today = reference.date()
    day = _weekday_and_number(folded, today)
    if day is None and re.search(r"\d", folded):
        found = find_date(folded, reference)
        day = found[0] if found else None
    if day is None:
        for index, word in enumerate(_WEEKDAY_WORDS):
            if re.search(rf"\b{word}\b", folded):
                day = date.fromordinal(today.toordinal() + (index - today.weekday()) % 7)
                break
    if day is None:
        return False, None
    return True, day if is_occurrence(series, day) else None


def _weekday_and_number(folded: str, today: date) -> date | None:
    """« lundi 14 » (a weekday and a day of the month, no month): the first such date from
    ``today`` on, within a year; None when the text says no such thing or no date fits."""
    # Not « lundi 14 h » nor « lundi 14/12 » nor « lundi 14 janvier » (find_date reads those).
    found = re.search(r"\b(" + "|".join(_WEEKDAY_WORDS) + r")\s+(\d{1,2})\b"
                      r"(?!\s*(?:h\b|:|/|\d|janv|fevr|mars|avr|mai|juin|juil|aout|sept|oct|nov|dec))", folded)
    if not found:
        return None
    weekday, number = _WEEKDAY_WORDS.index(found.group(1)), int(found.group(2))
    year, month = today.year, today.month
    for _ in range(13):
        try:
            candidate = date(year, month, number)
        except ValueError:
            candidate = None
        if candidate is not None and candidate >= today and candidate.weekday() == weekday:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _why_no_event(series: EventSeries, day: date | None) -> str | None:
    """Why ``series`` does not happen on ``day`` (None: the whole event): ``event_cancelled``
    (called off), ``holiday``, ``closure``, ``cancelled`` (that day only); None when it does."""
    if series.cancelled:
        return "event_cancelled"
    if day is None or occurrence_dates(series, day, day) == [day]:
        return None
    if day in series.holidays:
        return "holiday"
    if day in series.closures:
        return "closure"
    return "cancelled"


def _tell_no_event(plan: Plan, incoming: Incoming, series: EventSeries, day: date | None, why: str,
                   partstat: str, today: date) -> None:
    """Tell the person that ``series`` does not happen on ``day`` (``why``, see
    :func:`_why_no_event`), and its next day when there is one (template
    ``attendance_no_event``). Nothing is left for the animators to do: they are not told."""
    following = None
    if why != "event_cancelled":
        following = next((d for d in upcoming_days(series, today) if day is None or d > day), None)
    holiday = ""
    if why == "holiday" and day is not None:
        holiday = public_holidays(day, day, plan.settings.calendar.holidays_subdivision).get(day, "")
    # The invitation in References: « je viendrai le … » written in reply to this note is
    # read as an answer to the invitation (workflows.routes, « answer to an invitation »).
    answer_sender(plan, incoming, template="attendance_no_event", purpose="attendance_no_event",
                  references=_invitation_ids(plan, series, person_address(incoming.parsed)), values={
        "recipient": _recipient(plan, person_address(incoming.parsed)),
        "event": {"title": series.title, "place": series.place, "recurring": series.rule.recurring},
        "occurrence": occurrence_view(series, day if day is not None else series.rule.starts),
        "why": why,
        "holiday": holiday,
        "following": occurrence_view(series, following) if following else None,
        "partstat": partstat,
    })


def _recipient(plan: Plan, address: str | None) -> dict:
    """Who a note is to, for its greeting: the member's name and given first name (empty
    for anyone else)."""
    member = find_member(plan, address) or {}
    return {"name": member.get("name"), "first_name": member.get("first_name")}


def _invitation_ids(plan: Plan, series: EventSeries, address: str | None) -> list[str]:
    """The Message-ID of the latest invitation or reminder of ``series`` sent to
    ``address`` (a list of one, or empty)."""
    if not address:
        return []
    sent = [doc for doc in plan.outbox.scan(lambda d: d.get("purpose") in ANSWERABLE
                                             and address in (d.get("recipients") or ()))
            if (read_cause(doc.get("cause", "")) or ("",))[0] == series.uid]
    return [max(sent, key=lambda d: d.get("created") or "")["message_id"]] if sent else []


def on_invitation_reply(plan: Plan, incoming: Incoming) -> str | None:
    """Read a plain-words answer to an invitation or a reminder; None when ``incoming`` is
    not one (then the caller handles it as usual).

    It is one when its In-Reply-To or References name a calendar mail the robot sent
    (:func:`workflows.steps.invitations.sent_calendar_mail`) to the sender's own address. A
    confirmed member's preferences alone (« Invitations : non ») are recorded as such
    (:func:`workflows.steps.preferences.on_preferences`, tried before in
    :data:`workflows.routes.UNCLAIMED`), never as an answer. Otherwise the
    answer (:func:`read_attendance`) is recorded for: the whole event for a one-off; the
    day the mail was about for a reminder; for a series, the day the text names ("lundi",
    "le 14 décembre"), else its next day. The person gets a short note of what was
    understood. When the event does not happen that day (cancelled, a holiday, a closure,
    or the whole event called off) nothing is recorded and the person is told so, with the
    next day (:func:`_tell_no_event`). An unclear answer or a day that is not one of the
    event's goes to the animators and the sender is told a person will read it; an
    address that is no member's nor animator's any more never gets here
    (:data:`workflows.routes.INVITEE`). In a transaction.
    """
    parsed = incoming.parsed
    found = sent_calendar_mail(plan, [*parsed.references, *parsed.in_reply_to])
    address = person_address(incoming.parsed)
    if found is None or not address or address not in found[0].get("recipients", ()):
        return None
    _mail, series, mailed_day = found
    zone = plan.settings.network.zone
    reference = (parsed.date or plan.now).astimezone(zone)
    partstat = read_attendance(parsed.text)
    day: date | None = None
    if series.rule.recurring:
        if mailed_day is not None:
            day = mailed_day
        else:
            named, day = _named_day(parsed.text, series, reference)
            if not named:
                upcoming = upcoming_days(series, reference.date())
                day = upcoming[0] if upcoming else None
    if partstat is None or (series.rule.recurring and day is None and not series.cancelled):
        forward_to_animators(plan, incoming, purpose="attendance_unclear", title=series.title,
                             reason="invitation_reply_unclear" if partstat is None else "invitation_reply_wrong_day")
        answer_sender(plan, incoming, template="unknown_ack", values={}, purpose="unknown_ack",
                      daily_kind="unknown_ack")
        return Said("invitation reply unclear: forwarded")
    why = _why_no_event(series, day)
    if why is not None:
        _tell_no_event(plan, incoming, series, day, why, partstat, reference.date())
        plan.audit.info("%s: attendance in words for %s %s, no event (%s)", parsed.message_id, series.uid,
                   day or "whole event", why)
        values = _answered(partstat, series)
        return (Said("invitation reply {partstat}: {uid} {day} has no event, told", day=day, **values) if day
                else Said("invitation reply {partstat}: {uid} whole event has no event, told", **values))
    record_answer(plan, uid=series.uid, occurrence=day, address=address, partstat=partstat,
                  comment=parsed.text[:500] or None, source="text")
    answer_sender(plan, incoming, template="attendance_noted", purpose="attendance_noted", values={
        "event": {"title": series.title, "place": series.place},
        "occurrence": occurrence_view(series, day) if day else occurrence_view(series, series.rule.starts),
        "partstat": partstat,
    })
    plan.audit.info("%s: attendance in words %s %s %s", parsed.message_id, series.uid, day or "whole event", partstat)
    values = _answered(partstat, series)
    return (Said("invitation reply {partstat}: {uid} {day}", day=day, **values) if day
            else Said("invitation reply {partstat}: {uid} whole event", **values))
