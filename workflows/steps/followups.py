"""What follows an introduction in time: a reminder to whoever has not answered after
``reminder_days``, expiry after ``expiry_days``, the bilan question ``bilan_days`` after
the introduction, its answer, and completion (protocol.md, "Introduction", steps 5–6);
and the same for groups (:func:`workflows.steps.groups.followups`).

A proposal that expires without an animator's answer is never buried (protocol.md, "The
member's life": « A proposal that expires… »): the animators who could have approved it
are told once, with the command that proposes it again (``MISE EN RELATION O-12 D-7``);
the first time a pair expires so, matching may propose it again ``repropose_days`` later
(the introduction's ``again_after``), and then its items are offered to matching again.
A pair left unanswered a second time is proposed again only by the command.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from workflows.decision import Incoming, Plan
from workflows.lookup import find_introduction, find_ref
from workflows.model.introductions import BILAN_VALID_DAYS, SIDES, bilan_record, happened_said
from workflows.steps import groups, questions, reciprocity
from workflows.steps.voice import count_effects
from workflows.steps.introductions import (
    animator_view,
    ask_approval,
    ask_consent,
    deciders,
    member_view,
    offer_again,
    pair_introductions,
    party_addresses,
    stop_introduction,
    update_introduction,
)
from workflows.steps.speaking import tell_animators, tell_member
from workflows.model.said import Said


def _ask_bilan(plan: Plan, intro: dict, side: str) -> None:
    member = find_ref(plan, intro[f"{side}_member"])
    if member is None:
        return
    questions.ask_member(
        plan, member, kind="bilan", subject_ref=intro["ref"], template="introduction_bilan",
        values={**member_view(plan, intro, side), "introduced": intro["introduced"]},
        cause=f"{intro['ref']}:bilan:{side}", valid_days=BILAN_VALID_DAYS, data={"intro": intro["ref"], "side": side},
    )


def on_bilan_answer(plan: Plan, incoming: Incoming, question: dict, answer: str) -> str:
    """A member's bilan: recorded as it comes (structured or free text); its optional
    effect lines only counted for the semester (:func:`workflows.steps.voice.count_effects`).
    An exchange that did not happen is told to the animators, and the demand is offered
    to matching again; one that did, on the asking side, may bring « et vous,
    qu'aimeriez-vous transmettre ? » (:func:`workflows.steps.reciprocity.after_good_bilan`)."""
    intro = find_introduction(plan, question["data"].get("intro"))
    side = question["data"].get("side")
    if intro is None or side not in SIDES:
        questions.close(plan, question, status="cancelled", answer=answer, message_id=incoming.parsed.message_id)
        return Said("ignored: {ref} is gone", ref=question['subject_ref'])
    record = bilan_record(incoming.parsed, answer, plan.stamp())
    questions.settle(plan, question, answer=record["happened"] or "text", message_id=incoming.parsed.message_id)
    count_effects(plan, incoming.parsed.text)
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
    tell_member(plan, find_ref(plan, intro[f"{side}_member"]), template="introduction_ack",
                values={**member_view(plan, intro, side), "what": "bilan"}, purpose="introduction_ack",
                cause=f"{intro['ref']}:bilan-ack:{side}")
    if side == "demand" and record["happened"] == "yes":
        # Open reciprocity: the member who received may like to pass something on.
        reciprocity.after_good_bilan(plan, intro)
    return Said("{intro} bilan {side}: {happened}", intro=intro["ref"], side=side, happened=happened_said(record))


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


def _remind(plan: Plan, intro: dict, report: FollowupReport) -> None:
    """One reminder per person who has not answered within ``reminder_days``: a fresh
    question (tokens are stored hashed: the first cannot be sent again); either answer
    counts, the first one settles both. The questions asked of every animator for a
    member without an address are one person's."""
    kind = "approve" if intro["status"] == "proposed" else "consent"
    waiting: dict[str, list[dict]] = {}
    for question in questions.open_about(plan, intro["ref"], kind):
        who = question["address"] if kind == "approve" else question["data"].get("side")
        waiting.setdefault(who, []).append(question)
    not_deciding = party_addresses(plan, intro) - set(deciders(plan, intro)) if kind == "approve" else set()
    for who, group in waiting.items():
        if who in not_deciding or any(q.get("reminded") or q["data"].get("reminder") for q in group):
            continue
        if _age_days(plan, min(q["created"] for q in group)) < plan.settings.introductions.reminder_days:
            continue
        for question in group:
            questions.mark_reminded(plan, question)
        if kind == "approve":
            ask_approval(plan, intro, reminder=True, animators=[who])
        else:
            ask_consent(plan, intro, who, reminder=True)
        report.reminders.append(f"{intro['ref']}:{who}")


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
            _remind(plan, intro, report)
    for intro in plan.introductions.find("status", "consent"):
        if _age_days(plan, intro["approved"] or intro["created"]) >= settings.expiry_days:
            _expire(plan, intro, report)
        else:
            _remind(plan, intro, report)
    for intro in plan.introductions.find("status", "introduced"):
        if _age_days(plan, intro["introduced"]) >= settings.bilan_days:
            update_introduction(plan, intro, "bilan asked", status="bilan", bilan_asked=plan.stamp())
            for side in SIDES:
                _ask_bilan(plan, intro, side)
            report.bilans.append(intro["ref"])
    for intro in plan.introductions.find("status", "bilan"):
        if not questions.open_about(plan, intro["ref"], "bilan"):
            update_introduction(plan, intro, "bilan closed", status="completed", closed=plan.stamp(), close_reason="bilan")
            report.completed.append(intro["ref"])
    _offer_again_when_due(plan, report)
    groups.followups(plan, report)
    return report
