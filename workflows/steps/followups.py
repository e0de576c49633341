"""What follows an introduction in time: a reminder to whoever has not answered after
``reminder_days``, expiry after ``expiry_days``, the bilan question ``bilan_days`` after
the introduction, its answer, and completion (protocol.md, "Introduction", steps 5–6);
the same for groups (:func:`workflows.steps.groups.followups`), and for our side of a
cross-network introduction (collection ``crossings``,
:mod:`workflows.steps.federated_introductions`): our animators or our member reminded
once, our member's bilan asked ``bilan_days`` after it was made, answered and counted as a
local one's — kept on the crossing record (``bilan``), never sent to the other network.
A crossing's expiry stays with the hourly job of linked networks.

A proposal that expires without an animator's answer is never buried (protocol.md, "The
member's life": « A proposal that expires… »): the animators who could have approved it
are told once, with the command that proposes it again (``MISE EN RELATION O-12 D-7``);
the first time a pair expires so, matching may propose it again ``repropose_days`` later
(the introduction's ``again_after``), and then its items are offered to matching again.
A pair left unanswered a second time is proposed again only by the command.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from workflows.decision import Incoming, Plan
from workflows.lookup import find_introduction, find_item, find_ref
from workflows.model.federated_introductions import PENDING, bilan_wanted, introduced_at
from workflows.model.introductions import BILAN_VALID_DAYS, SIDES, bilan_record, happened_said
from workflows.steps import federated_introductions as crossings
from workflows.steps import groups, questions, reciprocity
from workflows.steps.voice import count_effects
from workflows.steps.introductions import (
    animator_view,
    ask_approval,
    ask_consent,
    deciders,
    match_item,
    member_view,
    offer_again,
    pair_introductions,
    party_addresses,
    stop_introduction,
    update_introduction,
)
from workflows.steps.speaking import tell_animators, tell_member
from workflows.model.said import Said


def _ask_bilan(plan: Plan, member_ref: str | None, *, ref: str, side: str, template: str, values: dict,
               data: dict) -> None:
    """Ask ``member_ref`` (gone: nobody) the bilan of ``ref`` (``MR-7``, ``MRV-3``): a
    question of kind ``bilan``, answered by :func:`on_bilan_answer`."""
    member = find_ref(plan, member_ref)
    if member is None:
        return
    questions.ask_member(plan, member, kind="bilan", subject_ref=ref, template=template, values=values,
                         cause=f"{ref}:bilan:{side}", valid_days=BILAN_VALID_DAYS, data=data)


def _take_bilan(plan: Plan, incoming: Incoming, question: dict, answer: str) -> dict:
    """The bilan ``incoming`` gives (:func:`workflows.model.introductions.bilan_record`),
    its question settled, its effect lines counted for the semester."""
    record = bilan_record(incoming.parsed, answer, plan.stamp())
    questions.settle(plan, question, answer=record["happened"] or "text", message_id=incoming.parsed.message_id)
    count_effects(plan, incoming.parsed.text)
    return record


def _thank(plan: Plan, *, ref: str, member_ref: str | None, side: str, record: dict, values: dict) -> None:
    """The member thanked for their bilan; on the asking side, an exchange that took place
    may bring « et vous, qu'aimeriez-vous transmettre ? »
    (:func:`workflows.steps.reciprocity.after_good_bilan`)."""
    tell_member(plan, find_ref(plan, member_ref), template="introduction_ack", values={**values, "what": "bilan"},
                purpose="introduction_ack", cause=f"{ref}:bilan-ack:{side}")
    if side == "demand" and record["happened"] == "yes":
        # Open reciprocity: the member who received may like to pass something on.
        reciprocity.after_good_bilan(plan, ref, member_ref)


def on_bilan_answer(plan: Plan, incoming: Incoming, question: dict, answer: str) -> str:
    """A member's bilan: recorded as it comes (structured or free text); its optional
    effect lines only counted for the semester (:func:`workflows.steps.voice.count_effects`).
    An exchange that did not happen is told to the animators, and the demand is offered
    to matching again; one that did, on the asking side, may bring « et vous,
    qu'aimeriez-vous transmettre ? » (:func:`workflows.steps.reciprocity.after_good_bilan`).
    The bilan of a cross-network introduction is :func:`_on_crossing_bilan`."""
    if question["data"].get("crossing"):
        return _on_crossing_bilan(plan, incoming, question, answer)
    intro = find_introduction(plan, question["data"].get("intro"))
    side = question["data"].get("side")
    if intro is None or side not in SIDES:
        questions.close(plan, question, status="cancelled", answer=answer, message_id=incoming.parsed.message_id)
        return Said("ignored: {ref} is gone", ref=question['subject_ref'])
    record = _take_bilan(plan, incoming, question, answer)
    bilans = {**intro["bilans"], side: record}
    fields = {"bilans": bilans}
    if all(bilans[s] is not None for s in SIDES) and intro["status"] == "bilan":
        fields.update(status="completed", closed=plan.stamp(), close_reason="bilan")
    first_no = record["happened"] == "no" and not intro["not_happened"]
    if first_no:
        fields["not_happened"] = True
    update_introduction(plan, intro, f"bilan {side}: {record['happened'] or 'text'}", **fields)
    if first_no:
        tell_animators(plan, template="introduction_not_happened",
                       values={**animator_view(plan, intro), "side": side, "bilan": record},
                       purpose="introduction_not_happened", cause=f"{intro['ref']}:not_happened")
        offer_again(plan, intro, ("demand",))
    _thank(plan, ref=intro["ref"], member_ref=intro[f"{side}_member"], side=side, record=record,
           values=member_view(plan, intro, side))
    return Said("{intro} bilan {side}: {happened}", intro=intro["ref"], side=side, happened=happened_said(record))


def _ask_crossing_bilan(plan: Plan, record: dict) -> None:
    """Our member's bilan of the cross-network introduction ``record``: the mail names
    the other network and the other item, never the other member (this network keeps
    nothing of them, not even the first name it passed on)."""
    crossings.update_crossing(plan, record, "bilan asked", bilan_asked=plan.stamp())
    _ask_bilan(plan, record["member"], ref=record["ref"], side=record["side"], template="crossing_bilan",
               values={**crossings.crossing_view(plan, record), "introduced": introduced_at(record)},
               data={"crossing": record["ref"], "side": record["side"]})


def _on_crossing_bilan(plan: Plan, incoming: Incoming, question: dict, answer: str) -> str:
    """Our member's bilan of ``MRV-<n>``: kept on the crossing record (``bilan``) and
    counted as a local one's (the monthly report, the semester's synthesis); the other
    network is told nothing. An exchange that did not happen is told to our animators
    and, on the asking side, our demand is offered to matching again."""
    record = plan.crossings.find_one("ref", question["data"]["crossing"])
    if record is None or record.get("member") is None:
        questions.close(plan, question, status="cancelled", answer=answer, message_id=incoming.parsed.message_id)
        return Said("ignored: {ref} is gone", ref=question['subject_ref'])
    bilan = _take_bilan(plan, incoming, question, answer)
    first_no = bilan["happened"] == "no" and not record.get("not_happened")
    crossings.update_crossing(plan, record, f"bilan: {bilan['happened'] or 'text'}", bilan=bilan,
                              **({"not_happened": True} if first_no else {}))
    view = crossings.crossing_view(plan, record)
    if first_no:
        tell_animators(plan, template="crossing_not_happened", purpose="crossing_not_happened",
                       values={**view, "own_member": {"ref": record["member"]}, "bilan": bilan},
                       cause=f"{record['ref']}:not_happened")
        item = find_item(plan, record["item"])
        if record["side"] == "demand" and item is not None:
            match_item(plan, item)
    _thank(plan, ref=record["ref"], member_ref=record["member"], side=record["side"], record=bilan, values=view)
    return Said("{intro} bilan {side}: {happened}", intro=record["ref"], side=record["side"],
                happened=happened_said(bilan))


@dataclass
class FollowupReport:
    reminders: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    bilans: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    reoffered: list[str] = field(default_factory=list)
    """Introductions expired unanswered whose items were offered to matching again."""

    def __str__(self) -> str:
        return (f"{len(self.reminders)} reminder(s), {len(self.expired)} expired, "
                f"{len(self.bilans)} bilan question(s), {len(self.completed)} completed, "
                f"{len(self.reoffered)} offered again")


def _age_days(plan: Plan, since: str | None) -> float:
    if not since:
        return 0.0
    return (plan.now - datetime.fromisoformat(since)).total_seconds() / 86400


def _remind(plan: Plan, ref: str, kind: str, who_of, skip: set[str], ask_again, report: FollowupReport) -> None:
    """One reminder per person who has not answered the questions ``kind`` about ``ref``
    within ``reminder_days``: a fresh question (tokens are stored hashed: the first cannot
    be sent again), answerable until the first one's end; either answer counts, the first
    one settles both. ``who_of(question)`` says whose question it is (the questions asked
    of every animator for a member without an address are one person's); ``skip``: who
    is not reminded; ``ask_again(who, valid_days)`` asks."""
    waiting: dict[str, list[dict]] = {}
    for question in questions.open_about(plan, ref, kind):
        waiting.setdefault(who_of(question), []).append(question)
    for who, group in waiting.items():
        if who in skip or any(q.get("reminded") or q["data"].get("reminder") for q in group):
            continue
        if _age_days(plan, min(q["created"] for q in group)) < plan.settings.introductions.reminder_days:
            continue
        for question in group:
            questions.mark_reminded(plan, question)
        left = datetime.fromisoformat(min(q["expires"] for q in group)) - plan.now
        ask_again(who, max(1, math.ceil(left.total_seconds() / 86400)))
        report.reminders.append(f"{ref}:{who}")


def _remind_introduction(plan: Plan, intro: dict, report: FollowupReport) -> None:
    """The animators who may approve ``intro`` (:func:`workflows.steps.introductions.deciders`),
    or the members asked for consent, reminded (:func:`_remind`)."""
    if intro["status"] == "proposed":
        _remind(plan, intro["ref"], "approve", lambda q: q["address"],
                party_addresses(plan, intro) - set(deciders(plan, intro)),
                lambda who, days: ask_approval(plan, intro, reminder=True, animators=[who]), report)
    else:
        _remind(plan, intro["ref"], "consent", lambda q: q["data"].get("side"), set(),
                lambda who, days: ask_consent(plan, intro, who, reminder=True), report)


def _remind_crossing(plan: Plan, record: dict, report: FollowupReport) -> None:
    """Our side of a cross-network introduction still being decided: our animators who
    may approve it (:func:`workflows.steps.federated_introductions.deciders`), or our
    member asked for consent, reminded (:func:`_remind`). The peer's team and member are
    its own robot's to remind."""
    if record["status"] == "proposed":
        _remind(plan, record["ref"], crossings.APPROVE, lambda q: q["address"],
                set(plan.settings.network.animators) - set(crossings.deciders(plan, record)),
                lambda who, days: crossings.ask_approval(plan, record, reminder=True, animators=[who],
                                                         valid_days=days), report)
    else:
        _remind(plan, record["ref"], crossings.CONSENT, lambda q: "member", set(),
                lambda who, days: crossings.ask_consent(plan, record, reminder=True, valid_days=days), report)


def _expire(plan: Plan, intro: dict, report: FollowupReport) -> None:
    """Close ``intro``, unanswered. A proposal no animator answered is told to those who
    could have (once: it is closed now), with the command that proposes it again; the
    first such expiry of a pair sets when matching may propose it again."""
    unanswered = intro["status"] == "proposed"
    fields = {}
    if unanswered:
        earlier = [i for i in pair_introductions(plan, intro) if i["ref"] != intro["ref"]]
        if not earlier:
            again = plan.now + timedelta(days=plan.settings.introductions.repropose_days)
            fields["again_after"] = again.isoformat(timespec="seconds")
    stop_introduction(plan, intro, "expired", status="expired", close_reason="no answer", **fields)
    if unanswered:
        tell_animators(plan, template="introduction_expired",
                       values={**animator_view(plan, intro), "command": f"MISE EN RELATION {intro['offer']} {intro['demand']}",
                               "again_after": fields.get("again_after")},
                       purpose="introduction_expired", cause=f"{intro['ref']}:expired", only=deciders(plan, intro))
    report.expired.append(intro["ref"])


def _offer_again_when_due(plan: Plan, report: FollowupReport) -> None:
    """The pairs whose proposal expired unanswered and whose ``again_after`` has come: both
    items offered to matching again, once (the demand first: it is the need), so that the
    pair — or a better one found since — is proposed."""
    for intro in plan.introductions.find("status", "expired"):
        again = intro.get("again_after")
        if not again or intro.get("reoffered") or datetime.fromisoformat(again) > plan.now:
            continue
        update_introduction(plan, intro, "offered to matching again", reoffered=plan.stamp())
        offer_again(plan, intro, ("demand", "offer"))
        report.reoffered.append(intro["ref"])


def followups(plan: Plan) -> FollowupReport:
    """Reminders, expiries, bilan questions and completions due at ``plan.now``. In a
    transaction. Idempotent: what it does is recorded, so running it again at the same
    time does nothing."""
    report = FollowupReport()
    settings = plan.settings.introductions
    for intro in plan.introductions.find("status", "proposed"):
        if _age_days(plan, intro["created"]) >= settings.expiry_days:
            _expire(plan, intro, report)
        else:
            _remind_introduction(plan, intro, report)
    for intro in plan.introductions.find("status", "consent"):
        if _age_days(plan, intro["approved"] or intro["created"]) >= settings.expiry_days:
            _expire(plan, intro, report)
        else:
            _remind_introduction(plan, intro, report)
    for intro in plan.introductions.find("status", "introduced"):
        if _age_days(plan, intro["introduced"]) >= settings.bilan_days:
            update_introduction(plan, intro, "bilan asked", status="bilan", bilan_asked=plan.stamp())
            for side in SIDES:
                _ask_bilan(plan, intro[f"{side}_member"], ref=intro["ref"], side=side,
                           template="introduction_bilan",
                           values={**member_view(plan, intro, side), "introduced": intro["introduced"]},
                           data={"intro": intro["ref"], "side": side})
            report.bilans.append(intro["ref"])
    for intro in plan.introductions.find("status", "bilan"):
        if not questions.open_about(plan, intro["ref"], "bilan"):
            update_introduction(plan, intro, "bilan closed", status="completed", closed=plan.stamp(), close_reason="bilan")
            report.completed.append(intro["ref"])
    _offer_again_when_due(plan, report)
    groups.followups(plan, report)
    for status in PENDING:
        for record in plan.crossings.find("status", status):
            _remind_crossing(plan, record, report)
    for record in plan.crossings.find("status", "introduced"):
        if bilan_wanted(record) and _age_days(plan, introduced_at(record)) >= settings.bilan_days:
            _ask_crossing_bilan(plan, record)
            report.bilans.append(record["ref"])
    return report
