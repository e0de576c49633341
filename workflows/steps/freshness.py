"""Freshness: an open item that no proposal touched for ``[matching] freshness_days`` gets
the question « toujours d'actualité ? » (kind ``still_current``, protocol.md "Replies").
OUI keeps it (its freshness counted from then); NON withdraws it; no answer within
``[introductions] expiry_days`` sets it aside (status ``paused``, ``paused_by``
``freshness``: hidden from matching, the catalogue and the news), and a later OUI to the
same question, or the member's REPRISE (:func:`workflows.steps.pauses.on_resume`), opens
it again. The question stays answerable ``freshness_days``.

Many people find all their listings stale without knowing: asking keeps the catalogue
true, and hiding what nobody confirms spares other members proposals that lead nowhere.

An item's freshness fields::

    "fresh_since": UTC ISO | None (absent: its creation) — last said current, or reopened
    "freshness_asked": UTC ISO | None — when the open question was asked
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from workflows.decision import Incoming, Plan
from workflows.lookup import find_item, find_ref
from workflows.model.privacy import public_item
from workflows.steps import questions
from workflows.steps.items import close_item, to_matching
from workflows.steps.matcher import intros_of, matcher
from workflows.steps.pauses import BY_FRESHNESS, hide_item, reopen_item
from workflows.steps.questions import settle_or_clarify
from workflows.steps.speaking import tell_member
from workflows.model.said import Said


STILL_CURRENT = "still_current"
"""The question kind."""


@dataclass
class FreshnessReport:
    asked: list[str] = field(default_factory=list)
    paused: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{len(self.asked)} asked still current, {len(self.paused)} paused unanswered"


def _days_since(plan: Plan, stamp: str) -> float:
    return (plan.now - datetime.fromisoformat(stamp)).total_seconds() / 86400


def last_touched(plan: Plan, item: dict) -> str:
    """When ``item`` was last known current: its creation, its member's last OUI (or its
    reopening: ``fresh_since``), or its latest proposal, one to one or in a group (the
    groups around an offer, the group a demand was gathered into) — the latest of them
    (UTC ISO)."""
    stamps = [item["created"], item.get("fresh_since") or item["created"]]
    stamps += [intro["created"] for intro in intros_of(plan, matcher(plan, sync=False), item["ref"])]
    stamps += [group["created"] for group in plan.groups.find("offer", item["ref"])]
    gathered = plan.groups.find_one("ref", item["group"]) if item.get("group") else None
    if gathered is not None:
        stamps.append(gathered["created"])
    return max(stamps, key=datetime.fromisoformat)


def freshness(plan: Plan) -> FreshnessReport:
    """The open items due the question (untouched ``freshness_days``: :func:`last_touched`)
    asked it; those asked ``expiry_days`` ago and still unanswered set aside
    (:func:`workflows.steps.pauses.hide_item`). In a transaction. Idempotent: the
    question's time is recorded on the item."""
    report = FreshnessReport()
    days = plan.settings.matching.freshness_days
    wait = plan.settings.introductions.expiry_days
    matcher(plan)  # brought up to date once: last_touched reads its introductions
    for item in list(plan.items.find("status", "open")):
        asked = item.get("freshness_asked")
        if asked:
            if _days_since(plan, asked) >= wait:
                hide_item(plan, item, BY_FRESHNESS)
                report.paused.append(item["ref"])
            continue
        if _days_since(plan, last_touched(plan, item)) < days:
            continue
        member = find_ref(plan, item["member"])
        if member is None:
            continue
        item = plan.items.update(item["id"], freshness_asked=plan.stamp())
        questions.ask_member(plan, member, kind=STILL_CURRENT, subject_ref=item["ref"], template=STILL_CURRENT,
                             values={"item": public_item(item), "wait_days": wait},
                             cause=f"{item['ref']}:still_current:{plan.today}", valid_days=days,
                             data={"item": item["ref"]})
        report.asked.append(item["ref"])
    if report.asked or report.paused:
        plan.audit.info("freshness: asked %s; paused %s", ", ".join(report.asked) or "none",
                   ", ".join(report.paused) or "none")
    return report


def on_still_current_answer(plan: Plan, incoming: Incoming, question: dict, answer: str) -> str:
    """Answer to ``still_current``: ``yes`` keeps the item (reopened and offered to
    every matching, as a new item is, when unanswered time had set it aside:
    :func:`workflows.steps.items.to_matching`), ``no`` withdraws it, ``unclear``
    asks once more. An item closed meanwhile stays closed. Acknowledged
    (``still_current_done``)."""
    item = find_item(plan, question["subject_ref"])
    member = find_ref(plan, question["member"])
    early = settle_or_clarify(plan, incoming, question, answer, member, item, needs_item=True)
    if early:
        return early
    reopened = False
    if item["status"] == "closed":
        outcome = Said("already closed")
    elif answer == "no":
        item = close_item(plan, item)
        outcome = Said("closed")
    elif item["status"] == "paused" and item.get("paused_by") == BY_FRESHNESS:
        item = reopen_item(plan, item)
        to_matching(plan, [item])
        reopened, outcome = True, Said("reopened")
    else:
        item = plan.items.update(item["id"], freshness_asked=None, fresh_since=plan.stamp())
        outcome = Said("kept")
    tell_member(plan, member, template="still_current_done", purpose="still_current_done",
                cause=incoming.parsed.message_id, answering=incoming,
                values={"member": member, "item": public_item(item), "answer": answer, "reopened": reopened,
                        "closed_before": outcome == "already closed",
                        "proxy": bool(question["data"].get("proxy"))})
    questions.pass_on_remarks(plan, incoming, question, answer)
    return Said("still_current {item}: {outcome}", item=item['ref'], outcome=outcome)
