"""Groups (*échanges collectifs*, ``G-<n>``): one collective offer and several askers
(protocol.md, "Groups"; the document is :mod:`workflows.model.groups`)::

    proposed ──OUI (animator)──► lead ──OUI (offerer)──► open ──sessions──► bilan ──► completed
       │ NON: refused              │ NON: declined         │ nobody joined, the offer withdrawn,
       └── expiry_days: expired ───┘                       │ the offerer gone: cancelled
                                                           └── `rers groups close`: bilan or cancelled

1. **Proposed** by matching — an open offer whose modality is collective
   (:data:`workflows.model.items.COLLECTIVE`) once ``[groups] group_min`` open demands of
   other members match it (:func:`consider`, from :func:`on_items_opened` and
   :func:`regroup`); such an offer is never proposed in pairs — or by an animator,
   ``GROUPE O-12`` (``Places : 8``), approved at once (:func:`on_group_command`). The
   askers are the demands closest to the offer (:func:`best_demands`, at most
   ``max_askers``, one a member).
2. **Approved** by an animator's reply (question ``group_approve``), the first answer
   wins, as for an introduction.
3. **Led**: the offerer is asked to lead it (``group_lead``): how many askers, never who.
4. **Joined, privately**: on the offerer's OUI each asker gets their own question
   (``group_join``); the places go to the OUIs in the order they arrive, up to
   ``capacity``, then a waiting list (told their place in it). A member who leaves —
   NON after OUI (:func:`on_join_withdrawn`), their demand withdrawn, their erasure —
   frees their place for the first on the waiting list, who is told. Nobody learns
   another asker's identity; the offerer learns the first names of the members holding
   a place (:func:`workflows.model.privacy.public_member`), nothing else.
5. **Sessions**: ``ATELIER G-3 …`` / ``ATELIER O-12 …`` (:func:`on_session_command`, or
   ``rers groups add-session``): a calendar event of kind ``group_session`` to which only
   the group's offerer and members are invited (:mod:`workflows.steps.invitations`); a
   member who gets a place later is invited to the sessions ahead, one who leaves gets a
   ``METHOD:CANCEL``.
6. **Bilan**: the day after the last session planned, or ``bilan_days`` after the first,
   whichever comes first, each member holding a place and the offerer get the bilan
   question (``group_bilan``) (:func:`followups`).

Nothing here is sent to one member about another but the offerer's first names of the
members: every member mail is filled from :func:`member_view`.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from workflows.decision import Incoming, Plan, Refused
from workflows.model.said import Said, labelled
from workflows.lookup import find_group, find_item, find_ref, group_holding
from workflows.model.groups import (
    BUSY,
    ENDED,
    IN_PLAY,
    SERVING,
    SIDE_OFFER,
    STATUS,
    asker,
    collective,
    free_places,
    members,
    participants,
)
from workflows.model.introductions import BILAN_VALID_DAYS, bilan_record, erased, happened_said
from workflows.model.matching import Score, item_busy, why_in_one_line
from workflows.model.privacy import public_item, public_member, redact
from workflows.steps import consents, event_commands, introductions, questions
from workflows.steps.calendar import load_series
from workflows.steps.event_commands import Outcome
from workflows.steps.invitations import GROUP_INVITATION, invite_to_group, read_cause, withdraw_from_group
from workflows.steps.matcher import best_demands as demands_for
from workflows.steps.matcher import engaged, matcher
from workflows.steps.speaking import answer_sender, tell_animators, tell_member
from workflows.steps.voice import count_effects


SESSION_TITLES = {"fr": "Groupe : {title}", "en": "Group: {title}"}
"""A session's calendar title when the command gives none."""


# --- the document ------------------------------------------------------------------------


def update_group(plan: Plan, group: dict, event: str, **fields) -> dict:
    """Record ``fields`` of ``group`` changed, with ``event`` in its history; ``group`` (the
    caller's dict) becomes the new document, which is also returned."""
    history = [*fields.pop("history", group.get("history", [])), {"at": plan.stamp(), "event": event}]
    updated = plan.groups.update(group["id"], history=history, **fields)
    group.clear()
    group.update(updated)
    return updated


def _with_asker(group: dict, member_ref: str, **fields) -> list[dict]:
    """The group's askers with ``member_ref``'s entry changed."""
    return [{**a, **fields} if a["member"] == member_ref else a for a in group["askers"]]


def _days_left(plan: Plan, since: str | None, days: int) -> int:
    """Whole days (at least 1) until ``since`` + ``days``."""
    if not since:
        return days
    end = datetime.fromisoformat(since) + timedelta(days=days)
    return max(1, math.ceil((end - plan.now).total_seconds() / 86400))


def _age_days(plan: Plan, since: str | None) -> float:
    if not since:
        return 0.0
    return (plan.now - datetime.fromisoformat(since)).total_seconds() / 86400


def _mark(plan: Plan, item_ref: str | None, group_ref: str | None) -> None:
    """Set (or, ``group_ref`` None, clear) the group marker of an item."""
    item = find_item(plan, item_ref)
    if item is not None and item.get("group") != group_ref:
        plan.items.update(item["id"], group=group_ref)


# --- what the mails say --------------------------------------------------------------------


def _offer_of(plan: Plan, group: dict) -> dict:
    return find_item(plan, group["offer"]) or {"ref": group["offer"], "kind": "offer", "title": ""}


def animator_view(plan: Plan, group: dict) -> dict:
    """The context of the animators' mails about ``group``: the offer and every asker with
    their demand, ref and name (never an address), score and why (``because``: the words
    that met, in one line, as an introduction's), the places and the waiting list, the
    groups around this offer that expired before it without the team's answer
    (``earlier``, refs)."""
    language = plan.settings.network.language
    offerer = find_ref(plan, group.get("offer_member")) or {}
    askers = []
    for entry in group["askers"]:
        member = find_ref(plan, entry.get("member")) or {}
        demand = find_item(plan, entry.get("demand")) or {"ref": entry.get("demand") or "-", "kind": "demand",
                                                           "title": erased(language)}
        askers.append({"ref": entry.get("member") or erased(language), "name": redact(member.get("name")),
                       "demand": public_item(demand), "score": entry.get("score"), "why": entry.get("why") or [],
                       "because": why_in_one_line(entry.get("why") or []), "state": entry["state"]})
    return {
        "group": {"ref": group["ref"], "status": group["status"], "capacity": group["capacity"],
                  "source": group["source"], "places": len(members(group)), "waiting": len(group["waiting"]),
                  "earlier": group.get("earlier") or []},
        "offer": public_item(_offer_of(plan, group)),
        "offer_member": {"ref": group.get("offer_member") or erased(language), "name": redact(offerer.get("name"))},
        "askers": askers,
    }


def member_view(plan: Plan, group: dict) -> dict:
    """The context of every mail to a member about ``group``: the offer as the public may
    read it, the offerer's first name, the places — never anyone else's name."""
    return {
        "group": {"ref": group["ref"], "capacity": group["capacity"], "free": free_places(group)},
        "offer": public_item(_offer_of(plan, group)),
        "leader": public_member(find_ref(plan, group.get("offer_member"))),
    }


def leader_view(plan: Plan, group: dict) -> dict:
    """What the offerer may learn of the group: the first names of the members holding a
    place (« un membre » when the robot cannot tell one), how many wait; nothing else."""
    return {
        "places": [public_member(find_ref(plan, ref)) for ref in members(group)],
        "waiting": len(group["waiting"]),
        "asked": sum(1 for a in group["askers"] if a["state"] in ("asked", "member", "waiting")),
    }


def _tell(plan: Plan, group: dict, member_ref: str | None, what: str, *, answering: Incoming | None = None,
          **values) -> str | None:
    """``group_notice`` to a member of ``group`` (``what`` happened to them)."""
    member = find_ref(plan, member_ref)
    if member is None:
        return None
    to_leader = member_ref == group.get("offer_member")
    context = {**member_view(plan, group), "what": what, "to_leader": to_leader, "position": None,
               "places": [], "waiting": 0, "asked": 0, **values}
    if to_leader:
        context.update(leader_view(plan, group))
    return tell_member(plan, member, template="group_notice", values=context, purpose="group_notice",
                       cause=f"{group['ref']}:{what}:{member_ref}:{len(group.get('history', []))}", answering=answering)


def _tell_leader(plan: Plan, group: dict, what: str) -> None:
    _tell(plan, group, group.get("offer_member"), what)


# --- who takes part ------------------------------------------------------------------------


def capacity_of(plan: Plan, offer: dict, given: int | None = None) -> int:
    """The places of a group around ``offer``: ``given`` (the command's ``Places``), else
    the offer's own ``Places``, else ``[groups] capacity``."""
    for value in (given, offer.get("capacity")):
        if isinstance(value, int) and value > 0:
            return value
    return plan.settings.groups.capacity


def not_asked_again(plan: Plan, offer: dict) -> set[str]:
    """The members never asked (again) to join a group around ``offer``: its offerer, and
    those who said no to one, left it, let it lapse, or took part."""
    return {offer["member"], *(a["member"] for g in plan.groups.find("offer", offer["ref"])
                               for a in g.get("askers", ())
                               if a.get("member") and (a["state"] in ("declined", "left", "expired")
                                                       or (a["state"] == "member" and g["status"] in SERVING)))}


def best_demands(plan: Plan, offer: dict, limit: int) -> list[tuple[dict, Score]]:
    """The ``limit`` open demands closest to ``offer`` that may be asked to join a group
    around it, best first: those :func:`workflows.steps.matcher.best_demands` gives (open,
    of other members, scoring ``min_score``, neither waiting on a proposal nor served by
    one), of one demand a member (their best), none held by a group, of no member who was
    already asked to join a group around this offer and said no, left it, let it lapse,
    or took part."""
    if limit <= 0:
        return []
    m = matcher(plan)
    seen = not_asked_again(plan, offer)
    asked = limit
    while True:
        candidates = demands_for(plan, m, offer, asked)
        found: list[tuple[dict, Score]] = []
        members_found = set(seen)
        for doc, score in candidates:
            # The matcher's list may hold several demands of one member, or demands a
            # group holds: asked for more, until enough are left or none remain.
            if doc["member"] in members_found or group_holding(plan, doc) is not None:
                continue
            members_found.add(doc["member"])
            found.append((doc, score))
            if len(found) == limit:
                return found
        if len(candidates) < asked:
            return found
        asked *= 2


def deciders(plan: Plan, group: dict) -> list[str]:
    """The animators who may approve ``group``: those who are neither its offerer nor one
    of its askers; all of them when every animator is."""
    refs = {group.get("offer_member"), *(a["member"] for a in group["askers"])}
    parties = {(find_ref(plan, ref) or {}).get("address") for ref in refs if ref}
    animators = list(plan.settings.network.animators)
    return [a for a in animators if a not in parties] or animators


# --- proposal --------------------------------------------------------------------------------


def propose(plan: Plan, offer: dict, demands: list[tuple[dict, Score]], *, capacity: int,
            source: str = "matching", approved_by: str | None = None) -> dict:
    """Create group ``G-<n>`` around ``offer`` with ``demands`` (``(demand, score)``) as its
    askers, and ask its first question: the animators' approval, or — approved by
    ``approved_by`` (an animator's ``GROUPE``) — the offerer's. Returns the document."""
    number = plan.next_number("group")
    ref = f"G-{number}"
    approved = approved_by is not None
    doc = {
        "ref": ref,
        "offer": offer["ref"],
        "offer_member": offer["member"],
        "capacity": capacity,
        "source": source,
        "status": "lead" if approved else "proposed",
        "created": plan.stamp(),
        "approved": plan.stamp() if approved else None,
        "decided_by": approved_by,
        "led": None,
        "askers": [{"member": demand["member"], "demand": demand["ref"], "score": score.score,
                    "why": [redact(line) for line in score.why()], "state": "invited", "since": plan.stamp(),
                    "round": 0} for demand, score in demands],
        "places": [],
        "waiting": [],
        "sessions": [],
        "first_session": None,
        "bilan_asked": None,
        "bilans": [],
        "closed": None,
        "close_reason": None,
        "earlier": [g["ref"] for g in _unanswered(plan, offer["ref"])],
        "history": [{"at": plan.stamp(), "event": f"proposed by {approved_by}" if approved else "proposed"}],
    }
    group = plan.groups.get(plan.groups.insert(doc))
    _mark(plan, offer["ref"], ref)
    for demand, _score in demands:
        _mark(plan, demand["ref"], ref)
    plan.audit.info("%s proposed around %s with %d asker(s)%s", ref, offer["ref"], len(demands),
               f", approved by {approved_by}" if approved else "")
    if approved:
        ask_lead(plan, group)
    else:
        ask_approval(plan, group)
    return group


NOT_HELD = ("refused", "declined", "expired", "cancelled")
"""How a group ends without taking place."""


def _unanswered(plan: Plan, offer_ref: str) -> list[dict]:
    """The groups around ``offer_ref`` that expired the first time the team left one
    unanswered (they carry ``again_after``)."""
    return [g for g in plan.groups.find("offer", offer_ref) if g["status"] == "expired" and g.get("again_after")]


def _may_gather(plan: Plan, offer: dict | None) -> bool:
    """:func:`consider`'s conditions on the offer itself."""
    if not collective(offer) or offer["status"] != "open" or group_holding(plan, offer) is not None:
        return False
    # A group the team left unanswered does not stop matching once its again_after has come.
    if any(g["status"] in NOT_HELD and not (g.get("again_after") and datetime.fromisoformat(g["again_after"]) <= plan.now)
           for g in plan.groups.find("offer", offer["ref"])):
        return False
    return not item_busy("offer", engaged(plan, matcher(plan), offer["ref"]))


def consider(plan: Plan, offer: dict | None) -> dict | None:
    """Propose a group around ``offer`` if it may have one now: an open collective offer,
    not already gathering a group nor waiting on an introduction, that ``group_min`` open
    demands match. A group around it that ended without taking place (refused, declined,
    expired, cancelled) is not proposed again by matching: the animators may, with
    ``GROUPE O-12`` — except once, ``repropose_days`` after the first group around it
    expired without the team's answer (:func:`followups`). Returns the new group, or None."""
    if not _may_gather(plan, offer):
        return None
    settings = plan.settings.groups
    demands = best_demands(plan, offer, settings.max_askers)
    if len(demands) < settings.group_min:
        return None
    return propose(plan, offer, demands, capacity=capacity_of(plan, offer))


def on_items_opened(plan: Plan, items: list[dict]) -> None:
    """Items became ``open`` (after :func:`workflows.steps.introductions.on_items_opened`,
    which never pairs a collective offer): a collective offer may now gather a group, and
    so may the collective offers a new demand matches."""
    m = matcher(plan)
    for item in items:
        item = find_item(plan, item["ref"]) or item
        if item["status"] != "open":
            continue
        if item["kind"] == "offer":
            consider(plan, item)
            continue
        m.refresh(item)
        for candidate in m.index.candidates(item["ref"], min_score=plan.settings.matching.min_score, limit=5):
            offer = find_item(plan, candidate.ref)
            if collective(offer) and consider(plan, offer) is None:
                join_late(plan, offer, find_item(plan, item["ref"]) or item)


def join_late(plan: Plan, offer: dict, demand: dict) -> dict | None:
    """A demand that opens while a group around ``offer`` is proposed, led or open: it
    joins its askers: asked at once, privately, if the offerer
    already said OUI, else with the others when they do. Not for a demand held or busy
    elsewhere, of a member already asked or :func:`not_asked_again`, below ``min_score``,
    nor beyond ``max_askers`` askers still in play. Returns the group, or None."""
    group = group_holding(plan, offer)
    if group is None or group["status"] not in ("proposed", "lead", "open") or demand["status"] != "open":
        return None
    if demand["kind"] != "demand" or asker(group, demand["member"]) is not None:
        return None
    if demand["member"] in not_asked_again(plan, offer) or group_holding(plan, demand) is not None:
        return None
    m = matcher(plan)
    if item_busy("demand", engaged(plan, m, demand["ref"])):
        return None
    if sum(1 for a in group["askers"] if a["state"] in IN_PLAY) >= plan.settings.groups.max_askers:
        return None
    score = m.index.explain(offer["ref"], demand["ref"])
    if score.score < plan.settings.matching.min_score:
        return None
    member = find_ref(plan, demand["member"])
    if member is None:
        return None
    entry = {"member": demand["member"], "demand": demand["ref"], "score": score.score,
             "why": [redact(line) for line in score.why()],
             "state": "asked" if group["status"] == "open" else "invited", "since": plan.stamp(), "round": 0}
    group = update_group(plan, group, f"{demand['ref']} joined the askers", askers=[*group["askers"], entry])
    _mark(plan, demand["ref"], group["ref"])
    plan.audit.info("%s: %s joined the askers late", group["ref"], demand["ref"])
    if group["status"] == "open":
        ask_join(plan, group, entry, member)
    return group


@dataclass(frozen=True)
class GroupProposal:
    """One group found by :func:`regroup` (``ref`` None in a dry run)."""

    offer: str
    demands: list[str]
    ref: str | None = None


def regroup(plan: Plan, *, dry_run: bool = False) -> list[GroupProposal]:
    """Every open collective offer that may gather a group now gets one (``rers match``);
    with ``dry_run`` nothing is written."""
    found = []
    settings = plan.settings.groups
    offers = list(plan.items.scan(lambda raw: raw["status"] == "open" and collective(raw)))
    for offer in offers:
        if dry_run:
            if _may_gather(plan, offer):
                demands = best_demands(plan, offer, settings.max_askers)
                if len(demands) >= settings.group_min:
                    found.append(GroupProposal(offer["ref"], [d["ref"] for d, _ in demands]))
            continue
        group = consider(plan, find_item(plan, offer["ref"]))
        if group is not None:
            found.append(GroupProposal(offer["ref"], [a["demand"] for a in group["askers"]], group["ref"]))
    return found


def _release(plan: Plan, group: dict, *, offer_again: bool = True) -> None:
    """``group`` ended before it took place: its items are no longer held, and the askers'
    demands may meet someone else (in pairs)."""
    _mark(plan, group["offer"], None)
    for entry in group["askers"]:
        if entry.get("demand"):
            _mark(plan, entry["demand"], None)
            if offer_again:
                demand = find_item(plan, entry["demand"])
                if demand is not None:
                    introductions.match_item(plan, demand)


# --- approval --------------------------------------------------------------------------------


def ask_approval(plan: Plan, group: dict, *, reminder: bool = False, animators: list[str] | None = None) -> None:
    """Ask ``animators`` (default: :func:`deciders`) to approve ``group``."""
    animators = deciders(plan, group) if animators is None else animators
    if not animators:
        plan.audit.warning("%s: no animator configured to approve it", group["ref"])
        return
    values = {**animator_view(plan, group), "reminder": reminder}
    days = _days_left(plan, group["created"], plan.settings.introductions.expiry_days)
    for animator in animators:
        questions.ask(plan, kind="group_approve", subject_ref=group["ref"], address=animator,
                      template="group_proposal", values=values, cause=f"{group['ref']}:approve", valid_days=days,
                      data={"group": group["ref"], "reminder": reminder}, to_member=False)


def on_approve_answer(plan: Plan, incoming: Incoming, question: dict, answer: str) -> str:
    """An animator's OUI/NON on group ``G-<n>``. The first answer wins: the other
    animators' questions are cancelled and they are told who decided. OUI asks the offerer
    to lead it; NON closes it (nobody else is told) and its demands may meet someone else."""
    group = find_group(plan, question["data"].get("group"))
    if group is None or group["status"] != "proposed":
        questions.close(plan, question, status="cancelled", answer=answer, message_id=incoming.parsed.message_id)
        return Said("ignored: {ref} is no longer waiting for approval", ref=question['subject_ref'])
    if answer == "unclear":
        return questions.clarify(plan, incoming, question, template="group_clarify",
                                 values={**animator_view(plan, group), "kind": "group_approve"})
    decided_by = question["address"]
    questions.settle(plan, question, answer=answer, message_id=incoming.parsed.message_id)
    tell_animators(plan, template="group_decided",
                   values={**animator_view(plan, group), "decision": answer, "decided_by": decided_by},
                   purpose="group_decided", cause=f"{group['ref']}:decided",
                   only=[a for a in plan.settings.network.animators if a != decided_by])
    if answer == "yes":
        update_group(plan, group, f"approved by {decided_by}", status="lead", approved=plan.stamp(),
                     decided_by=decided_by)
        ask_lead(plan, group)
        return Said("{group} approved by an animator: the offerer asked", group=group['ref'])
    update_group(plan, group, f"refused by {decided_by}", status="refused", decided_by=decided_by,
                 closed=plan.stamp(), close_reason="refused")
    _release(plan, group)
    return Said("{group} refused by an animator", group=group['ref'])


def on_group_command(plan: Plan, incoming: Incoming) -> str:
    """``GROUPE O-12`` (``Places : 8``) from an animator: a group around that offer with
    the demands closest to it, approved at once (the offerer is asked to lead it) — or,
    when the animator is its offerer or one of its askers and another animator can decide,
    proposed to the others. Refused when the offer is missing, not an offer, closed,
    already gathering a group or waiting on an introduction, or no demand matches. The
    animator is answered with what was done."""
    parsed = incoming.parsed
    command = parsed.command or {}
    offer = find_item(plan, command.get("offer"))
    problem = None
    if offer is None:
        problem = "missing"
    elif offer["kind"] != "offer":
        problem = "not an offer"
    elif offer["status"] != "open":
        problem = "closed"
    elif group_holding(plan, offer) is not None:
        problem = "in a group"
    elif item_busy("offer", engaged(plan, matcher(plan), offer["ref"])):
        problem = "busy"
    demands = [] if problem else best_demands(plan, offer, plan.settings.groups.max_askers)
    if problem is None and not demands:
        problem = "no demand"
    group = None
    if problem is None:
        capacity = capacity_of(plan, offer, command.get("capacity"))
        pending = {"offer_member": offer["member"], "askers": [{"member": d["member"]} for d, _ in demands]}
        decides = parsed.sender in deciders(plan, pending)
        group = propose(plan, offer, demands, capacity=capacity, source="command",
                        approved_by=parsed.sender if decides else None)
    answer_sender(plan, incoming, template="group_command",
                  values={"offer_ref": command.get("offer"), "problem": problem,
                          "group": animator_view(plan, group) if group else None},
                  purpose="group_command")
    if group is None:
        return Said("refused: {problem}", problem=problem)
    if group["status"] == "proposed":
        return Said("{group} created by command: approval asked", group=group["ref"])
    return Said("{group} created by command", group=group["ref"])


# --- the offerer --------------------------------------------------------------------------


def ask_lead(plan: Plan, group: dict, *, reminder: bool = False) -> None:
    """Ask the offerer whether they lead ``group``: how many askers and places, never who."""
    offerer = find_ref(plan, group.get("offer_member"))
    if offerer is None:
        return
    values = {**member_view(plan, group), "reminder": reminder,
              "askers": sum(1 for a in group["askers"] if a["state"] in IN_PLAY)}
    questions.ask_member(plan, offerer, kind="group_lead", subject_ref=group["ref"], template="group_lead",
                         values=values, cause=f"{group['ref']}:lead",
                         valid_days=_days_left(plan, group["approved"], plan.settings.introductions.expiry_days),
                         data={"group": group["ref"], "reminder": reminder})


def _record_consent(plan: Plan, incoming: Incoming, question: dict, member_ref: str, answer: str) -> None:
    """Keep the member's yes or no to the group (issue 4: every consent), by mail, or
    passed on by the animator who answered for a member without an address."""
    sender = (incoming.parsed.sender or "").lower()
    by_animator = sender in plan.settings.network.animators and bool(question["data"].get("proxy"))
    consents.record(plan, member=member_ref, purpose="group", subject_ref=question["subject_ref"],
                    given=answer == "yes", how="oral" if by_animator else "mail",
                    message_id=incoming.parsed.message_id, recorded_by=sender if by_animator else None)


def on_lead_answer(plan: Plan, incoming: Incoming, question: dict, answer: str) -> str:
    """The offerer's OUI/NON to leading ``G-<n>``. OUI: each asker gets their own question;
    NON: the group will not take place (the askers were never asked; the animators are
    told), its demands may meet someone else."""
    group = find_group(plan, question["data"].get("group"))
    offerer = find_ref(plan, (group or {}).get("offer_member"))
    if group is None or group["status"] != "lead" or offerer is None:
        questions.close(plan, question, status="cancelled", answer=answer, message_id=incoming.parsed.message_id)
        return Said("ignored: {ref} is no longer waiting for its offerer", ref=question['subject_ref'])
    if answer == "unclear":
        return questions.clarify(plan, incoming, question, template="group_clarify",
                                 values={**member_view(plan, group), "kind": "group_lead"},
                                 to_name=None if question["data"].get("proxy") else offerer.get("name"))
    questions.settle(plan, question, answer=answer, message_id=incoming.parsed.message_id)
    _record_consent(plan, incoming, question, offerer["ref"], answer)
    questions.pass_on_remarks(plan, incoming, question, answer)
    if answer == "no":
        update_group(plan, group, "the offerer declined", status="declined", closed=plan.stamp(),
                     close_reason="declined")
        tell_animators(plan, template="group_decided",
                       values={**animator_view(plan, group), "decision": "declined", "decided_by": None},
                       purpose="group_decided", cause=f"{group['ref']}:declined")
        _release(plan, group)
        return Said("{group} declined by its offerer", group=group['ref'])
    update_group(plan, group, "the offerer leads it", status="open", led=plan.stamp())
    askers = list(group["askers"])
    for entry in askers:
        if entry["state"] == "invited":
            member = find_ref(plan, entry["member"])
            if member is None:
                continue
            ask_join(plan, group, entry, member)
    update_group(plan, group, "askers asked", askers=[
        {**a, "state": "asked", "since": plan.stamp()} if a["state"] == "invited" else a for a in group["askers"]])
    _tell(plan, group, offerer["ref"], "asked", answering=incoming)
    return Said("{group} led by its offerer: {n} asker(s) asked", group=group['ref'], n=len(askers))


# --- the askers ----------------------------------------------------------------------------


def ask_join(plan: Plan, group: dict, entry: dict, member: dict, *, reminder: bool = False) -> None:
    """Ask one asker, privately, whether they join ``group``."""
    demand = find_item(plan, entry.get("demand")) or {"ref": entry.get("demand"), "kind": "demand", "title": ""}
    values = {**member_view(plan, group), "own_item": public_item(demand), "reminder": reminder}
    questions.ask_member(plan, member, kind="group_join", subject_ref=group["ref"], template="group_join",
                         values=values, cause=f"{group['ref']}:join:{member['ref']}",
                         valid_days=plan.settings.introductions.expiry_days,
                         data={"group": group["ref"], "member": member["ref"], "reminder": reminder})


def on_join_answer(plan: Plan, incoming: Incoming, question: dict, answer: str) -> str:
    """An asker's OUI/NON to joining ``G-<n>``. OUI: a place while there is one (and an
    invitation to each session ahead; the offerer learns their first name), else the
    waiting list, told their place in it. NON: noted, their demand stays open."""
    group = find_group(plan, question["data"].get("group"))
    member_ref = question["data"].get("member")
    entry = asker(group, member_ref) if group else None
    member = find_ref(plan, member_ref)
    if group is None or group["status"] not in ("open", "bilan") or entry is None or member is None \
            or entry["state"] != "asked":
        questions.close(plan, question, status="cancelled", answer=answer, message_id=incoming.parsed.message_id)
        return Said("ignored: {ref} is no longer waiting for this answer", ref=question['subject_ref'])
    if answer == "unclear":
        return questions.clarify(plan, incoming, question, template="group_clarify",
                                 values={**member_view(plan, group), "kind": "group_join"},
                                 to_name=None if question["data"].get("proxy") else member.get("name"))
    questions.settle(plan, question, answer=answer, message_id=incoming.parsed.message_id)
    _record_consent(plan, incoming, question, member_ref, answer)
    # A decline's reason, a remark (« Oui, mais pas le samedi »): for the animators, who
    # may pass on to the offerer what helps — the robot never does.
    questions.pass_on_remarks(plan, incoming, question, answer)
    if answer == "yes":
        return _take_or_wait(plan, group, member_ref, answering=incoming)
    update_group(plan, group, f"{member_ref} declined", askers=_with_asker(group, member_ref, state="declined",
                                                                           since=plan.stamp()))
    _tell(plan, group, member_ref, "declined", answering=incoming)
    _free_demand(plan, entry)
    _check_empty(plan, group)
    return Said("{group}: {member_ref} declined", group=group['ref'], member_ref=member_ref)


def _free_demand(plan: Plan, entry: dict) -> None:
    """An asker no longer in the group: their demand is no longer held, and may meet
    someone else (in pairs)."""
    if entry.get("demand"):
        _mark(plan, entry["demand"], None)
        demand = find_item(plan, entry["demand"])
        if demand is not None:
            introductions.match_item(plan, demand)


def _take_or_wait(plan: Plan, group: dict, member_ref: str, *, answering: Incoming | None = None) -> str:
    if free_places(group) > 0:
        _take_place(plan, group, member_ref, "member", answering=answering)
        return Said("{group}: {member_ref} has a place ({n}/{capacity})", group=group['ref'], member_ref=member_ref, n=len(members(group)), capacity=group['capacity'])
    update_group(plan, group, f"{member_ref} on the waiting list",
                 waiting=[*group["waiting"], member_ref],
                 askers=_with_asker(group, member_ref, state="waiting", since=plan.stamp()))
    _tell(plan, group, member_ref, "waiting", answering=answering, position=len(group["waiting"]))
    return Said("{group}: {member_ref} on the waiting list ({n})", group=group['ref'], member_ref=member_ref, n=len(group['waiting']))


def _take_place(plan: Plan, group: dict, member_ref: str, what: str, *, answering: Incoming | None = None) -> None:
    """``member_ref`` gets a place (``what``: ``member`` on their OUI, ``promoted`` from the
    waiting list): told so, invited to the sessions ahead; the offerer learns it."""
    update_group(plan, group, f"{member_ref} has a place" + (" (from the waiting list)" if what == "promoted" else ""),
                 places=[*group["places"], member_ref],
                 waiting=[ref for ref in group["waiting"] if ref != member_ref],
                 askers=_with_asker(group, member_ref, state="member", since=plan.stamp()))
    _tell(plan, group, member_ref, what, answering=answering)
    invite_to_group(plan, group, member_ref)
    _tell_leader(plan, group, "joined")


def _promote(plan: Plan, group: dict) -> str | None:
    """The first on the waiting list takes the place that freed, if any; their ref."""
    if not group["waiting"] or free_places(group) <= 0:
        return None
    first = group["waiting"][0]
    _take_place(plan, group, first, "promoted")
    return first


def leave(plan: Plan, group: dict, member_ref: str, reason: str, *, answering: Incoming | None = None,
          tell: bool = True) -> bool:
    """``member_ref`` leaves ``group`` (``reason`` for its history): a place frees for the
    first on the waiting list, their invitations to the sessions ahead are withdrawn,
    their demand is no longer held; they are told (unless ``tell`` is false), and so is
    the offerer when a place freed. False when they were not in it."""
    entry = asker(group, member_ref)
    if entry is None or entry["state"] not in IN_PLAY:
        return False
    had_place = entry["state"] == "member"
    for question in questions.open_about(plan, group["ref"], "group_join"):
        if question.get("member") == member_ref:
            questions.close(plan, question, status="cancelled")
    if had_place:
        withdraw_from_group(plan, group, member_ref)
    update_group(plan, group, f"{member_ref} left ({reason})",
                 places=[ref for ref in group["places"] if ref != member_ref],
                 waiting=[ref for ref in group["waiting"] if ref != member_ref],
                 askers=_with_asker(group, member_ref, state="left", since=plan.stamp(),
                                    round=int(entry.get("round") or 0) + (1 if had_place else 0)))
    if entry.get("demand"):
        _mark(plan, entry["demand"], None)
    if tell:
        _tell(plan, group, member_ref, "left", answering=answering)
    if had_place and group["status"] in BUSY + ("bilan",):
        _tell_leader(plan, group, "left")
        _promote(plan, group)
    _check_empty(plan, group)
    return True


def on_join_withdrawn(plan: Plan, incoming: Incoming, question: dict) -> str | None:
    """A member who answered OUI to joining writes NON to the same question: they leave
    the group (their place, or their place on the waiting list, goes to the next), as
    easily as they joined. None when it is not a change of mind (the caller handles it as
    a reply to a closed question)."""
    group = find_group(plan, question["data"].get("group"))
    member_ref = question["data"].get("member")
    entry = asker(group, member_ref) if group else None
    if group is None or entry is None or question.get("answer") != "yes" or entry["state"] not in ("member",
                                                                                                     "waiting"):
        return None
    if group["status"] not in ("open", "bilan"):
        return None
    _record_consent(plan, incoming, question, member_ref, "no")
    leave(plan, group, member_ref, "changed their mind", answering=incoming)
    questions.pass_on_remarks(plan, incoming, question, "no")
    return Said("{group}: {member_ref} left the group", group=group['ref'], member_ref=member_ref)


def _check_empty(plan: Plan, group: dict) -> None:
    """An open group that nobody joined, nobody still may join, and no session took place:
    it will not take place (the offerer is told); its sessions ahead are called off."""
    if group["status"] != "open" or any(a["state"] in IN_PLAY for a in group["askers"]):
        return
    if _session_days(plan, group)[0]:
        return
    _call_off_sessions(plan, group)
    update_group(plan, group, "nobody joined", status="cancelled", closed=plan.stamp(), close_reason="nobody joined")
    _tell_leader(plan, group, "empty")
    _mark(plan, group["offer"], None)


# --- sessions --------------------------------------------------------------------------------


def _sessions(plan: Plan, group: dict) -> list:
    """The group's sessions as stored (called off ones too)."""
    return [s for s in load_series(plan).values() if s.group == group["ref"]]


def _session_days(plan: Plan, group: dict) -> tuple[list[date], list[date]]:
    """``(past, ahead)``: the days of the group's sessions that are not called off, before
    today and from today on."""
    today = plan.local_date
    days = sorted(s.rule.starts for s in _sessions(plan, group) if not s.cancelled and s.rule.starts not in
                  s.cancelled_dates)
    return [d for d in days if d < today], [d for d in days if d >= today]


def _call_off_sessions(plan: Plan, group: dict) -> int:
    """Call off the group's sessions ahead (everyone invited gets a ``METHOD:CANCEL``);
    how many. Must run while the group still has its members."""
    count = 0
    for series in _sessions(plan, group):
        if not series.cancelled and series.rule.starts >= plan.local_date:
            if event_commands.cancel_event(plan, series.uid).status == "done":
                count += 1
    return count


def session_title(plan: Plan, group: dict) -> str:
    language = plan.settings.network.language
    title = public_item(_offer_of(plan, group)).title or group["ref"]
    return SESSION_TITLES.get(language, SESSION_TITLES["fr"]).format(title=title)


def add_session(plan: Plan, group: dict | None, day: date | None, start: time | None, end: time | None, *,
                title: str | None = None, place: str | None = None, asked: str | None = None) -> Outcome:
    """Schedule (or correct) a session of ``group`` (``asked``: the reference the command
    named, for the answer): a ``group_session`` event to which only its offerer and
    members are invited (:func:`workflows.steps.event_commands.add_one_off` decides the
    rest, and refuses as for any workshop). Refused when there is no such group, or it is
    not open (still being decided, or ended). In a transaction."""
    if group is None or group["status"] not in ("open", "bilan"):
        reason = "no_group" if group is None or group["status"] in ENDED else "group_not_open"
        detail = {"group": {"ref": group["ref"] if group else None, "asked": asked,
                            "status": group["status"] if group else None}}
        return Outcome("group_session", "refused", reason, day=day, detail=detail)
    outcome = event_commands.add_one_off(plan, "group_session", day, start, end,
                                         title=title or session_title(plan, group), place=place, group=group["ref"])
    if outcome.status in ("done", "unchanged") and outcome.series is not None:
        uid = outcome.series.uid
        # Only this session's invitations (a first publication may queue the others').
        outcome.invitations = sum(1 for mail in plan.mails if mail.purpose == GROUP_INVITATION
                                  and (read_cause(mail.cause) or ("",))[0] == uid)
        if uid not in group["sessions"]:
            first = min(d for d in [outcome.series.rule.starts,
                                    *([date.fromisoformat(group["first_session"])] if group["first_session"] else [])])
            update_group(plan, group, f"session {uid}", sessions=[*group["sessions"], uid],
                         first_session=first.isoformat())
    outcome.detail["group"] = {"ref": group["ref"], "asked": asked, "status": group["status"],
                               "title": public_item(_offer_of(plan, group)).title,
                               "members": len(members(group)), "waiting": len(group["waiting"])}
    return outcome


def group_of_command(plan: Plan, command: dict) -> dict | None:
    """The group an ``ATELIER G-3 …`` / ``ATELIER O-12 …`` is about: ``G-3`` itself, or
    the group that offer ``O-12`` is gathering or holding now."""
    if command.get("group"):
        return find_group(plan, command["group"])
    offer = find_item(plan, command.get("offer"))
    group = find_group(plan, offer.get("group")) if offer else None
    if group is None or group["offer"] != offer["ref"]:
        return None
    return group


def on_session_command(plan: Plan, incoming: Incoming) -> str:
    """``ATELIER G-3 2027-01-20 10:00-12:00 Salle du Havre`` (or ``ATELIER O-12 …``) from an
    animator: a session of that group (:func:`add_session`), the animator answered as for
    any calendar command (template ``event_command_done``)."""
    command = incoming.parsed.command or {}
    day = event_commands.command_day(command.get("date"))
    asked = command.get("group") or command.get("offer")
    mismatch = event_commands.weekday_mismatch(incoming, "workshop", day)
    if mismatch is not None:
        outcome = mismatch
        outcome.action = "group_session"
        outcome.detail["group"] = {"ref": None, "asked": asked, "status": None}
    else:
        outcome = add_session(plan, group_of_command(plan, command), day,
                              event_commands.command_time(command.get("start")),
                              event_commands.command_time(command.get("end")),
                              title=command.get("title"), place=command.get("place"), asked=asked)
    answer_sender(plan, incoming, template="event_command_done", values=outcome.view(plan.local_date),
                  purpose="event_command_done")
    plan.audit.info("%s: group session %s %s%s, %d invitation(s)", incoming.parsed.message_id, asked, outcome.status,
               f" ({outcome.reason})" if outcome.reason else "", outcome.invitations)
    return Said("group session {asked}: {status}", asked=asked, status=outcome.said())


# --- bilan -------------------------------------------------------------------------------------


def _ask_bilan(plan: Plan, group: dict, member_ref: str) -> None:
    member = find_ref(plan, member_ref)
    if member is None:
        return
    questions.ask_member(plan, member, kind="group_bilan", subject_ref=group["ref"], template="group_bilan",
                         values={**member_view(plan, group), "to_leader": member_ref == group.get("offer_member")},
                         cause=f"{group['ref']}:bilan:{member_ref}", valid_days=BILAN_VALID_DAYS,
                         data={"group": group["ref"], "member": member_ref})


def start_bilan(plan: Plan, group: dict, why: str) -> None:
    """Ask each participant (the members holding a place, the offerer) how it went."""
    update_group(plan, group, f"bilan asked ({why})", status="bilan", bilan_asked=plan.stamp())
    for ref in participants(group):
        _ask_bilan(plan, group, ref)


def on_bilan_answer(plan: Plan, incoming: Incoming, question: dict, answer: str) -> str:
    """A participant's bilan of ``G-<n>``: recorded as it comes (structured or free text),
    its optional effect lines only counted for the semester, and acknowledged."""
    group = find_group(plan, question["data"].get("group"))
    member_ref = question["data"].get("member")
    if group is None or not member_ref:
        questions.close(plan, question, status="cancelled", answer=answer, message_id=incoming.parsed.message_id)
        return Said("ignored: {ref} is gone", ref=question['subject_ref'])
    record = bilan_record(incoming.parsed, answer, plan.stamp())
    questions.settle(plan, question, answer=record["happened"] or "text", message_id=incoming.parsed.message_id)
    count_effects(plan, incoming.parsed.text)
    side = SIDE_OFFER if member_ref == group.get("offer_member") else "asker"
    bilans = [b for b in group["bilans"] if b.get("member") != member_ref]
    update_group(plan, group, f"bilan {member_ref}: {record['happened'] or 'text'}",
                 bilans=[*bilans, {"member": member_ref, "side": side, **record}])
    _tell(plan, group, member_ref, "bilan", answering=incoming)
    return Said("{group} bilan {member_ref}: {happened}", group=group["ref"], member_ref=member_ref,
                happened=happened_said(record))


# --- ending ------------------------------------------------------------------------------------


def _stop(plan: Plan, group: dict, event: str, *, status: str, reason: str, tell: bool = True, **fields) -> None:
    """End a group before it took place: its questions cancelled, its sessions ahead
    called off, everyone asked or holding a place told it will not go on (never why), its
    items no longer held; ``fields`` stored with its end."""
    told = [a["member"] for a in group["askers"] if a["state"] in ("asked", "member", "waiting")]
    leader_asked = group["status"] in ("lead", "open", "bilan")
    _call_off_sessions(plan, group)
    questions.cancel_open(plan, subject_ref=group["ref"])
    update_group(plan, group, event, status=status, closed=plan.stamp(), close_reason=reason, **fields,
                 askers=[{**a, "state": "ended"} if a["state"] in IN_PLAY else a for a in group["askers"]])
    if tell:
        for ref in told:
            _tell(plan, group, ref, "cancelled")
        if leader_asked:
            _tell_leader(plan, group, "cancelled")
    _release(plan, group, offer_again=True)


def close(plan: Plan, ref: str, animator: str | None = None) -> dict:
    """``rers groups close G-3``: an animator ends a group. Before it took place (being
    decided, or open with no session past): it will not take place, everyone asked is told,
    its sessions ahead are called off. Once a session took place: its sessions ahead are
    called off and the bilan is asked now (if it was not). A group at its bilan is
    completed. Returns the document; raises LookupError (no such group) or ValueError
    (already ended). In a transaction."""
    group = find_group(plan, ref)
    if group is None:
        raise LookupError(Said("no group {ref}", ref=ref))
    by = f" by {animator}" if animator else ""
    if group["status"] in ENDED:
        raise Refused("{ref} is {status}: it has already ended", ref=group["ref"],
                      status=labelled(STATUS, group["status"]))
    if group["status"] == "bilan":
        _call_off_sessions(plan, group)
        update_group(plan, group, f"closed{by}", status="completed", closed=plan.stamp(), close_reason="closed")
        return group
    past, _ahead = _session_days(plan, group)
    if group["status"] == "open" and past:
        _call_off_sessions(plan, group)
        start_bilan(plan, group, f"closed{by}")
        _mark(plan, group["offer"], None)
        return group
    _stop(plan, group, f"closed{by}", status="cancelled", reason="closed by an animator")
    return group


def on_item_closed(plan: Plan, item_ref: str) -> None:
    """An item was withdrawn (``RETRAIT O-12`` / ``RETRAIT D-7``): a group gathering around
    that offer will not take place; the member of that demand leaves the group."""
    item = find_item(plan, item_ref)
    group = find_group(plan, item.get("group")) if item else None
    if group is None:
        return
    if group["offer"] == item_ref and group["status"] in BUSY:
        _stop(plan, group, "offer withdrawn", status="cancelled", reason="offer withdrawn")
    elif group["offer"] != item_ref:
        entry = next((a for a in group["askers"] if a.get("demand") == item_ref), None)
        if entry is not None:
            leave(plan, group, entry["member"], "demand withdrawn")


def forget_member(plan: Plan, member_ref: str) -> None:
    """Before ``member_ref`` is erased: a group they offer will not go on (the others told
    only that); from a group they asked to join they leave (their place to the next, the
    offerer told a place freed, never who); no group keeps their ref, and their bilan
    keeps only whether it happened."""
    for group in list(plan.groups.scan(lambda g: g.get("offer_member") == member_ref
                                       or any(a.get("member") == member_ref for a in g.get("askers", ())))):
        if group.get("offer_member") == member_ref:
            if group["status"] not in ENDED and group["status"] != "bilan":
                _stop(plan, group, "offer member left", status="cancelled", reason="member left")
            update_group(plan, group, "offer member left", offer_member=None)
        elif group["status"] not in ENDED:
            leave(plan, group, member_ref, "member left", tell=False)
        for question in plan.questions.find("subject_ref", group["ref"]):
            if question.get("member") == member_ref and question["status"] == "open":
                questions.close(plan, question, status="cancelled")
        update_group(plan, group, "a member left", **_without(group, member_ref))


def _without(group: dict, member_ref: str) -> dict:
    """The fields of ``group`` with no trace of ``member_ref``: their asker entry, place and
    place on the waiting list anonymous, their bilan reduced to whether it happened, their
    ref gone from the history."""
    pattern = re.compile(rf"\b{re.escape(member_ref)}\b")
    return {
        "history": [{**event, "event": pattern.sub("(erased)", event.get("event") or "")}
                    for event in group.get("history", ())],
        "askers": [{**a, "member": None, "demand": None, "why": []} if a.get("member") == member_ref else a
                   for a in group["askers"]],
        "places": [None if ref == member_ref else ref for ref in group["places"]],
        "waiting": [ref for ref in group["waiting"] if ref != member_ref],
        "bilans": [{"member": None, "side": b.get("side"), "happened": b.get("happened"), "at": b.get("at")}
                   if b.get("member") == member_ref else b for b in group["bilans"]],
    }


# --- follow-ups --------------------------------------------------------------------------------


def _remind(plan: Plan, group: dict, kind: str, report) -> None:
    """One reminder per person who has not answered ``kind`` within ``reminder_days``."""
    waiting: dict[str, list[dict]] = {}
    for question in questions.open_about(plan, group["ref"], kind):
        who = question["address"] if kind == "group_approve" else question.get("member")
        waiting.setdefault(who, []).append(question)
    for who, asked in waiting.items():
        if any(q.get("reminded") or q["data"].get("reminder") for q in asked):
            continue
        if _age_days(plan, min(q["created"] for q in asked)) < plan.settings.introductions.reminder_days:
            continue
        for question in asked:
            questions.mark_reminded(plan, question)
        if kind == "group_approve":
            ask_approval(plan, group, reminder=True, animators=[who])
        elif kind == "group_lead":
            ask_lead(plan, group, reminder=True)
        else:
            entry, member = asker(group, who), find_ref(plan, who)
            if entry is not None and member is not None:
                ask_join(plan, group, entry, member, reminder=True)
        report.reminders.append(f"{group['ref']}:{who}")


def _expire_unanswered(plan: Plan, group: dict, report) -> None:
    """Close ``group``, which no animator answered: never buried (as an introduction,
    :mod:`workflows.steps.followups`). The animators who could have approved it are told
    once (``group_expired``), with the command that proposes it again (``GROUPE O-12``);
    the first time a group around its offer expires so, matching may gather one again
    ``repropose_days`` later (``again_after``). Nobody else ever knew of it."""
    first = not [g for g in plan.groups.find("offer", group["offer"])
                 if g["ref"] != group["ref"] and g["status"] in NOT_HELD]
    fields = {}
    if first:
        again = plan.now + timedelta(days=plan.settings.introductions.repropose_days)
        fields["again_after"] = again.isoformat(timespec="seconds")
    _stop(plan, group, "expired", status="expired", reason="no answer", **fields)
    tell_animators(plan, template="group_expired",
                   values={**animator_view(plan, group), "command": f"GROUPE {group['offer']}",
                           "again_after": fields.get("again_after")},
                   purpose="group_expired", cause=f"{group['ref']}:expired", only=deciders(plan, group))
    report.expired.append(group["ref"])


def _gather_again_when_due(plan: Plan, report) -> None:
    """The groups left unanswered whose ``again_after`` has come: their offer gathers a
    group again, once (:func:`consider`: the demands closest to it now)."""
    for group in plan.groups.find("status", "expired"):
        again = group.get("again_after")
        if not again or group.get("reoffered") or datetime.fromisoformat(again) > plan.now:
            continue
        update_group(plan, group, "offered to matching again", reoffered=plan.stamp())
        consider(plan, find_item(plan, group["offer"]))
        report.reoffered.append(group["ref"])


def followups(plan: Plan, report) -> None:
    """The groups' reminders, expiries, bilan questions and completions due at
    ``plan.now``, added to ``report`` (a :class:`workflows.steps.followups.FollowupReport`);
    the groups left unanswered gathered again when due. Idempotent."""
    settings = plan.settings.introductions
    for group in plan.groups.find("status", "proposed"):
        if _age_days(plan, group["created"]) >= settings.expiry_days:
            _expire_unanswered(plan, group, report)
        else:
            _remind(plan, group, "group_approve", report)
    for group in plan.groups.find("status", "lead"):
        if _age_days(plan, group["approved"] or group["created"]) >= settings.expiry_days:
            _stop(plan, group, "expired", status="expired", reason="no answer")
            report.expired.append(group["ref"])
        else:
            _remind(plan, group, "group_lead", report)
    for group in plan.groups.find("status", "open"):
        still = {q.get("member") for q in questions.open_about(plan, group["ref"], "group_join")}
        lapsed = [a for a in group["askers"] if a["state"] == "asked" and a["member"] not in still]
        if lapsed:
            for entry in lapsed:
                _mark(plan, entry.get("demand"), None)
            refs = {a["member"] for a in lapsed}
            update_group(plan, group, "no answer from " + ", ".join(sorted(refs)), askers=[
                {**a, "state": "expired", "since": plan.stamp()} if a["member"] in refs else a
                for a in group["askers"]])
            _check_empty(plan, group)
            if group["status"] != "open":
                report.expired.append(group["ref"])
                continue
        _remind(plan, group, "group_join", report)
        past, ahead = _session_days(plan, group)
        if past and (not ahead or past[0] + timedelta(days=settings.bilan_days) <= plan.local_date):
            start_bilan(plan, group, "after the last session" if not ahead else f"{settings.bilan_days} days "
                        "after the first session")
            report.bilans.append(group["ref"])
    for group in plan.groups.find("status", "bilan"):
        if not questions.open_about(plan, group["ref"], "group_bilan") and not _session_days(plan, group)[1]:
            update_group(plan, group, "bilan closed", status="completed", closed=plan.stamp(), close_reason="bilan")
            report.completed.append(group["ref"])
    _gather_again_when_due(plan, report)
