"""Introductions (*mises en relation*): proposal → approval → consent → introduction →
follow-up → bilan (protocol.md, "Introduction", "Replies", "Animator commands").

The life of an introduction document (collection ``introductions``)::

    proposed ──OUI (animator)──► consent ──OUI + OUI──► introduced ──bilan_days──► bilan ──► completed
       │  NON: refused              │ NON: declined
       └── expiry_days: expired ────┴── expiry_days: expired        (erasure, animator: cancelled)

    {"ref": "MR-7", "offer": "O-12", "demand": "D-7",
     "offer_member": "M-3" | None, "demand_member": "M-5" | None (None once erased),
     "score": 0.0-1.0, "why": [French lines], "source": "matching"|"command",
     "status": "proposed"|"consent"|"introduced"|"bilan"|"completed"|"refused"|
               "declined"|"expired"|"cancelled",
     "created": UTC ISO, "approved": UTC ISO | None, "decided_by": animator address | None,
     "consents": {"offer": None|"yes"|"no", "demand": …},
     "contacts": {"offer": None|"email"|"phone"|"permanence", "demand": …},
     "introduced": UTC ISO | None, "bilan_asked": UTC ISO | None,
     "bilans": {"offer": None | {"happened": "yes"|"no"|"ongoing"|None, "interest",
                "obstacles", "facilitators", "text", "at": UTC ISO}, "demand": …},
     "not_happened": bool, "closed": UTC ISO | None, "close_reason": str | None,
     "earlier": [{"ref": "MR-3", "status": str}] (the same pair's introductions before it),
     "again_after": UTC ISO | None (expired unanswered: when matching may propose the
                    pair again), "reoffered": UTC ISO | None (when it did offer it),
     "history": [{"at": UTC ISO, "event": str}]}

A proposal that expires without an animator's answer is told to the animators, with the
command that proposes it again (:mod:`workflows.steps.followups`); the first time for a
pair, matching may propose it again ``repropose_days`` later
(:func:`workflows.model.matching.proposable_again`). Refused or declined pairs never are.

No member's name beyond a first name, address or phone number reaches another member
before both consented: the mails are rendered from :mod:`workflows.model.privacy`
only, and only :func:`workflows.model.privacy.disclose` gives a contact detail.

Matching runs when items open (:func:`on_items_opened`), when an introduction ends
without taking place (the items are offered to matching again), and on demand
(:func:`rematch`, ``rers match``), through :mod:`workflows.steps.matcher`. What follows
an introduction in time (reminders, expiry, bilan) is :mod:`workflows.steps.followups`.

Entry points for other code: :func:`on_items_opened`, :func:`forget_member`, the answer
steps of :data:`workflows.routes.ANSWERS`, :func:`on_introduce_command`, :func:`rematch`,
:func:`cancel` and :func:`record_oral_consent` (``rers introductions cancel|consent``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from workflows.decision import Incoming, Plan, Refused
from workflows.model.said import Said, labelled
from workflows.lookup import find_introduction, find_item, find_ref, group_holding
from workflows.mail.labels import label_of
from workflows.model.groups import collective
from workflows.model.introductions import ACTIVE, SIDES, STATUS, erased
from workflows.model.matching import OTHER, PENDING, Score, item_busy, matched_lines, pair_refusal, why_in_one_line
from workflows.model.privacy import (
    choose_contact,
    disclose,
    effective_contact,
    public_item,
    public_member,
    readable_phone,
    redact,
)
from workflows.steps import consents, questions, standing
from workflows.steps.calendar import draft
from workflows.steps.matcher import asked, engaged, intros_of, matcher, partner
from workflows.steps.reminders import meeting_permanence
from workflows.steps.speaking import answer_sender, forward_to_animators, tell_animators, tell_member


# --- the matching index (kept in memory, checked against the store) ----------------------


def _held(plan: Plan, item: dict) -> bool:
    """A collective offer (matched as a group), or an item a group holds: no pair for it."""
    return collective(item) or (bool(item.get("group")) and group_holding(plan, item) is not None)


def match_item(plan: Plan, item: dict) -> dict | None:
    """Propose the best partner of one open item, if it may have one now; returns the new
    introduction document or None. The item its member asked for (an interest kept while
    the item waited on another proposal: :func:`workflows.steps.matcher.asked`) comes
    before the best-scored partner. A collective offer, or an item a group holds, gets
    none (:mod:`workflows.steps.groups`)."""
    m = matcher(plan)
    if item["status"] != "open" or item_busy(item["kind"], engaged(plan, m, item["ref"])) or _held(plan, item):
        return None
    return propose_asked(plan, item) or _propose_found(plan, item, partner(plan, m, item))


def propose_asked(plan: Plan, item: dict) -> dict | None:
    """Propose the pair ``item``'s member asked for (:func:`workflows.steps.matcher.asked`,
    source ``interest``) if it may be proposed now; returns the introduction or None."""
    return _propose_found(plan, item, asked(plan, matcher(plan), item), source="interest")


def asked_again(plan: Plan, intro: dict, sides) -> None:
    """``intro`` was made: the items of ``sides`` wait on it no more, and each proposes
    now the pair its member asked for while it waited, if any (:func:`propose_asked`).
    No other matching: an introduced offer waits for its next asker (an introduction
    that ends without taking place offers its items to matching: :func:`offer_again`)."""
    for side in sides:
        item = find_item(plan, intro[side])
        if item is not None and item.get("interest_in") and item["status"] == "open":
            propose_asked(plan, item)


def _propose_found(plan: Plan, item: dict, found: tuple[dict, Score] | None, source: str = "matching") -> dict | None:
    if found is None:
        return None
    other, score = found
    offer, demand = (item, other) if item["kind"] == "offer" else (other, item)
    return propose(plan, offer, demand, score, source=source)


def on_items_opened(plan: Plan, items: list[dict]) -> None:
    """Items became ``open`` (a confirmed member's new item, the held items of a member who
    just confirmed, an animator's registration): propose each its best partner now."""
    for item in items:
        intro = match_item(plan, item)
        if intro is not None:
            plan.audit.info("%s proposed: %s ↔ %s (%.2f)", intro["ref"], intro["offer"], intro["demand"], intro["score"])


@dataclass(frozen=True)
class Proposal:
    """One pair found by :func:`rematch` (``ref`` None in a dry run)."""

    offer: str
    demand: str
    score: float
    why: list[str]
    ref: str | None = None


def rematch(plan: Plan, *, dry_run: bool = False) -> list[Proposal]:
    """The full re-match (``rers match``): every open demand not waiting on a proposal,
    oldest first, gets the offer its member asked for (:func:`workflows.steps.matcher.asked`)
    or else its best free offer; each item gets one proposal at most. With
    ``dry_run`` nothing is written. In a transaction (unless ``dry_run``)."""
    m = matcher(plan)
    found = []

    def repair(raw: dict) -> bool:
        # The full re-match also repairs what the index may have missed. Reading the
        # stored documents in place (never changed here) spares a copy of each.
        if raw["status"] == "open":
            m.refresh(raw)
        return False

    for _ in plan.items.scan(repair):
        pass
    # Offers waiting on a proposal cannot take another: out of the candidate lists, the
    # free ones come first (the index's reading budget is not spent on taken ones).
    for status in PENDING:
        for intro in plan.introductions.find("status", status):
            m.index.suspend(intro["offer"])
    try:
        for demand in plan.items.scan(lambda raw: raw["status"] == "open" and raw["kind"] == "demand"):
            if item_busy("demand", engaged(plan, m, demand["ref"])) or _held(plan, demand):
                continue
            pair, source = asked(plan, m, demand), "interest"
            if pair is None:
                pair, source = partner(plan, m, demand), "matching"
            if pair is None:
                continue
            offer, score = pair
            m.index.suspend(offer["ref"])
            ref = None if dry_run else propose(plan, offer, demand, score, source=source)["ref"]
            found.append(Proposal(offer["ref"], demand["ref"], score.score, score.why(), ref))
    finally:
        m.index.resume_all()
    return found


# --- the introduction document ----------------------------------------------------------


def pair_introductions(plan: Plan, intro: dict) -> list[dict]:
    """Every introduction of ``intro``'s pair (the same offer and demand), itself included."""
    return [i for i in intros_of(plan, matcher(plan), intro["offer"]) if i["demand"] == intro["demand"]]


def update_introduction(plan: Plan, intro: dict, event: str, **fields) -> dict:
    history = [*intro.get("history", []), {"at": plan.stamp(), "event": event}]
    updated = plan.introductions.update(intro["id"], history=history, **fields)
    intro.clear()
    intro.update(updated)
    return updated


def _days_left(plan: Plan, since: str, days: int) -> int:
    """Whole days (at least 1) until ``since`` + ``days``: a question asked late expires
    with its introduction."""
    end = datetime.fromisoformat(since) + timedelta(days=days)
    return max(1, math.ceil((end - plan.now).total_seconds() / 86400))


def propose(plan: Plan, offer: dict, demand: dict, score: Score, *, source: str = "matching",
            approved_by: str | None = None) -> dict:
    """Create introduction ``MR-<n>`` for two item documents and ask its first question:
    the approval of every animator, or — ``source="command"``, already approved by
    ``approved_by`` — the consent of both members (a command with no ``approved_by`` —
    its animator is one of the two members — asks the animators' approval). Returns the
    document."""
    number = plan.next_number("introduction")
    approved = source == "command" and approved_by is not None
    m = matcher(plan, sync=False)
    earlier = [{"ref": i["ref"], "status": i["status"]} for i in intros_of(plan, m, offer["ref"])
               if i["demand"] == demand["ref"]]
    doc = {
        "ref": f"MR-{number}",
        "offer": offer["ref"],
        "demand": demand["ref"],
        "offer_member": offer["member"],
        "demand_member": demand["member"],
        "score": score.score,
        "why": [redact(line) for line in score.why()],
        "source": source,
        "status": "consent" if approved else "proposed",
        "created": plan.stamp(),
        "approved": plan.stamp() if approved else None,
        "decided_by": approved_by,
        "consents": {"offer": None, "demand": None},
        "contacts": {"offer": None, "demand": None},
        "introduced": None,
        "bilan_asked": None,
        "bilans": {"offer": None, "demand": None},
        "not_happened": False,
        "closed": None,
        "close_reason": None,
        "earlier": earlier,
        "again_after": None,
        "reoffered": None,
        "history": [{"at": plan.stamp(), "event": f"proposed by {approved_by}" if approved else "proposed"}],
    }
    intro = plan.introductions.get(plan.introductions.insert(doc))
    m.note(intro)
    if approved:
        ask_consents(plan, intro)
    else:
        ask_approval(plan, intro)
    return intro


# --- what the mails say ----------------------------------------------------------------


def animator_view(plan: Plan, intro: dict) -> dict:
    """The context of the animators' mails about ``intro``: titles, modalities,
    availabilities, score and why (``because``: the words that met, in one line;
    ``unmatched``: the other lines), the same pair's earlier introductions, the members'
    refs and names (never an address)."""
    why = intro["why"]
    view: dict = {"intro": {"ref": intro["ref"], "score": intro["score"], "why": why,
                            "because": why_in_one_line(why),
                            "unmatched": [line for line in why if line not in matched_lines(why)],
                            "earlier": intro.get("earlier") or [],
                            "source": intro["source"], "status": intro["status"]}}
    for side in SIDES:
        item = find_item(plan, intro[side]) or {"ref": intro[side], "kind": side, "title": erased(plan.settings.network.language)}
        member = find_ref(plan, intro[f"{side}_member"]) or {}
        view[side] = public_item(item)
        view[f"{side}_member"] = {"ref": intro[f"{side}_member"] or erased(plan.settings.network.language), "name": redact(member.get("name"))}
    view["parties"] = [{"side": side, **view[f"{side}_member"]} for side in _party_sides(plan, intro)]
    return view


def member_view(plan: Plan, intro: dict, side: str) -> dict:
    """The context of a consent-stage mail to the member of ``side``: their item, the
    other's first name and title (public views only), and ``standing``: the offerer's
    consent was their standing consent."""
    other = OTHER[side]
    own_item = find_item(plan, intro[side]) or {"ref": intro[side], "kind": side, "title": ""}
    other_item = find_item(plan, intro[other]) or {"ref": intro[other], "kind": other, "title": ""}
    return {
        "intro": {"ref": intro["ref"]},
        "side": side,
        "own_item": public_item(own_item),
        "other_item": public_item(other_item),
        "other": public_member(find_ref(plan, intro[f"{other}_member"])),
        # The offerer's consent given once for all (« Accord permanent »): not asked, and
        # the mails say so rather than « if they say yes too ».
        "standing": bool(intro.get("standing")),
    }


# --- approval ----------------------------------------------------------------------------


def _party_sides(plan: Plan, intro: dict) -> list[str]:
    """The sides of ``intro`` whose member is also an animator (the member's address is
    an animator's)."""
    animators = plan.settings.network.animators
    sides = []
    for side in SIDES:
        member = find_ref(plan, intro[f"{side}_member"]) or {}
        if (member.get("address") or "").lower() in animators:
            sides.append(side)
    return sides


def party_addresses(plan: Plan, intro: dict) -> set[str]:
    """The animators' addresses that are one of the two members of ``intro``."""
    return {(find_ref(plan, intro[f"{side}_member"]) or {})["address"].lower() for side in _party_sides(plan, intro)}


def deciders(plan: Plan, intro: dict) -> list[str]:
    """The animators who may approve ``intro``: those who are not one of its two members;
    all of them when every animator is (a network with one animator: their answer counts,
    and is noted)."""
    parties = party_addresses(plan, intro)
    others = [a for a in plan.settings.network.animators if a not in parties]
    return others or list(plan.settings.network.animators)


def ask_approval(plan: Plan, intro: dict, *, reminder: bool = False, animators: list[str] | None = None) -> None:
    """Ask ``animators`` (default: all) to approve ``intro``. An animator who is one of the
    two members is asked too, and told whether another animator must decide."""
    animators = list(plan.settings.network.animators) if animators is None else animators
    if not animators:
        plan.audit.warning("%s: no animator configured to approve it", intro["ref"])
        return
    context = {**animator_view(plan, intro), "reminder": reminder}
    parties = party_addresses(plan, intro)
    others_decide = any(a not in parties for a in plan.settings.network.animators)
    days = _days_left(plan, intro["created"], plan.settings.introductions.expiry_days)
    for animator in animators:
        questions.ask(plan, kind="approve", subject_ref=intro["ref"], address=animator,
                      template="introduction_proposal",
                      values={**context, "you_are_party": animator in parties, "others_decide": others_decide},
                      cause=f"{intro['ref']}:approve", valid_days=days,
                      data={"intro": intro["ref"], "reminder": reminder}, to_member=False)


def refuse_a_party(plan: Plan, incoming: Incoming, question: dict) -> str | None:
    """The conflict-of-interest rule of an approval (:data:`workflows.routes.NOT_A_PARTY`):
    an animator who is one of the two members of ``MR-<n>`` does not decide it while
    another animator can. None when they may; else their answer is not counted (see
    :func:`_party_refused`) and the outcome is returned."""
    intro = find_introduction(plan, question["data"].get("intro"))
    if intro is None or intro["status"] != "proposed":
        return None  # the step closes a question about what is gone
    decided_by = question["address"]
    if decided_by in party_addresses(plan, intro) and decided_by not in deciders(plan, intro):
        return _party_refused(plan, incoming, question, intro, incoming.parsed.answer or "unclear")
    return None


def _party_refused(plan: Plan, incoming: Incoming, question: dict, intro: dict, answer: str) -> str:
    """The answer of an animator who is one of the two members, while another animator can
    decide: not acted on (:func:`party_not_counted`)."""
    return party_not_counted(plan, incoming, question, answer, ref=intro["ref"], context=animator_view(plan, intro),
                             deciders=deciders(plan, intro),
                             note=lambda event: update_introduction(plan, intro, event))


def party_not_counted(plan: Plan, incoming: Incoming, question: dict, answer: str, *, ref: str, context: dict,
                      deciders: list[str], note: Callable[[str], object]) -> str:
    """An approval of ``ref`` (``MR-<n>``, or a cross-network ``MRV-<n>``) from an animator
    who is a member concerned, while ``deciders`` (the other animators) can decide: not
    acted on. Their question is closed, the record's history told (``note(event)``); they
    are told that another animator must decide, and the others that the decision is
    theirs (their own questions stay open), by ``introduction_decided`` with ``context``
    (``intro``, ``offer``, ``demand``). Returns the outcome."""
    sender = question["address"]
    questions.close(plan, question, status="cancelled", answer=answer, message_id=incoming.parsed.message_id)
    note(f"answer of {sender} not counted (a party: another animator decides)")
    plan.audit.warning("%s: %s answered %s on %s, of which they are a party (one of the two members): not counted",
                       incoming.parsed.message_id, sender, answer, ref)
    context = {**context, "decision": "party", "decided_by": sender, "answer": answer}
    tell_animators(plan, template="introduction_decided", values={**context, "to_party": True},
                   purpose="introduction_decided", cause=f"{ref}:party:{sender}", only=[sender])
    tell_animators(plan, template="introduction_decided", values={**context, "to_party": False},
                   purpose="introduction_decided", cause=f"{ref}:party:{sender}",
                   only=[a for a in deciders if a != sender])
    return Said("refused: party ({ref})", ref=ref)


def on_approve_answer(plan: Plan, incoming: Incoming, question: dict, answer: str) -> str:
    """An animator's OUI/NON on proposal ``MR-<n>``. The first answer wins: the other
    animators' questions are cancelled and they are told who decided. OUI asks both
    members' consent; NON closes the proposal (nobody else is told) and offers both items
    to matching again."""
    intro = find_introduction(plan, question["data"].get("intro"))
    if intro is None or intro["status"] != "proposed":
        questions.close(plan, question, status="cancelled", answer=answer, message_id=incoming.parsed.message_id)
        return Said("ignored: {ref} is no longer waiting for approval", ref=question['subject_ref'])
    decided_by = question["address"]
    party = decided_by in party_addresses(plan, intro)  # and no other animator: the guard let it through
    if answer == "unclear":
        return questions.clarify(plan, incoming, question, template="introduction_clarify",
                               values={**animator_view(plan, intro), "kind": "approve"})
    questions.settle(plan, question, answer=answer, message_id=incoming.parsed.message_id)
    others = [a for a in plan.settings.network.animators if a != decided_by]
    tell_animators(plan, template="introduction_decided",
                   values={**animator_view(plan, intro), "decision": answer, "decided_by": decided_by},
                   purpose="introduction_decided", cause=f"{intro['ref']}:decided", only=others)
    if party:
        plan.audit.warning("%s: %s, a party (one of the two members), decided %s: no other animator to decide",
                      intro["ref"], decided_by, answer)
    noted = " (a party: no other animator)" if party else ""
    if answer == "yes":
        update_introduction(plan, intro, f"approved by {decided_by}{noted}", status="consent", approved=plan.stamp(),
                decided_by=decided_by)
        ask_consents(plan, intro)
        return Said("{intro} approved by an animator: consent asked", intro=intro['ref'])
    update_introduction(plan, intro, f"refused by {decided_by}{noted}", status="refused", decided_by=decided_by,
            closed=plan.stamp(), close_reason="refused")
    offer_again(plan, intro, SIDES)
    return Said("{intro} refused by an animator", intro=intro['ref'])


# --- consent -----------------------------------------------------------------------------


def ask_consents(plan: Plan, intro: dict) -> None:
    """``intro`` approved: both members asked for their consent — but the offerer whose
    offer carries a standing consent in force (:func:`workflows.steps.standing.in_force`),
    whose consent is taken as given (:func:`_standing_consent`)."""
    offer = find_item(plan, intro["offer"])
    offerer = find_ref(plan, intro["offer_member"])
    if standing.in_force(offerer, offer):
        _standing_consent(plan, intro, offerer, offer)
    for side in SIDES:
        if intro["consents"][side] is None:
            ask_consent(plan, intro, side)


def _standing_consent(plan: Plan, intro: dict, offerer: dict, offer: dict) -> None:
    """The offerer's consent to ``intro`` taken from their « Accord permanent : oui » on
    ``offer``: recorded (how ``standing``, the message that gave it), their contact
    choice noted; the asker alone is asked."""
    source = standing.source_of(offer)
    consents.record(plan, member=offerer["ref"], purpose="introduction", subject_ref=intro["ref"], given=True,
                    how="standing", message_id=source, note=f"accord permanent {offer['ref']}")
    update_introduction(plan, intro, f"consent offer: yes (standing consent on {offer['ref']})",
                        consents={**intro["consents"], "offer": "yes"},
                        contacts={**intro["contacts"], "offer": choose_contact(offerer).contact},
                        standing=offer["ref"])


def ask_consent(plan: Plan, intro: dict, side: str, *, reminder: bool = False) -> None:
    member = find_ref(plan, intro[f"{side}_member"])
    if member is None:
        return
    shared = choose_contact(member)
    value = {"email": member.get("address"), "phone": readable_phone(member.get("phone"))}.get(shared.contact)
    context = {**member_view(plan, intro, side), "reminder": reminder,
               "shared": {"contact": shared.contact, "value": value,
                          "unavailable": None if shared.honoured else shared.wanted}}
    questions.ask_member(
        plan, member, kind="consent", subject_ref=intro["ref"], template="introduction_consent", values=context,
        cause=f"{intro['ref']}:consent:{side}",
        valid_days=_days_left(plan, intro["approved"] or intro["created"], plan.settings.introductions.expiry_days),
        data={"intro": intro["ref"], "side": side, "reminder": reminder},
    )


def on_consent_answer(plan: Plan, incoming: Incoming, question: dict, answer: str) -> str:
    """A member's OUI/NON to introduction ``MR-<n>`` (or an animator's for them). Both yes:
    the introduction mail to both. One no: both told it will not go ahead, never who
    declined; the items are offered to matching again."""
    intro = find_introduction(plan, question["data"].get("intro"))
    side = question["data"].get("side")
    if intro is None or intro["status"] != "consent" or side not in SIDES:
        questions.close(plan, question, status="cancelled", answer=answer, message_id=incoming.parsed.message_id)
        return Said("ignored: {ref} is no longer waiting for consent", ref=question['subject_ref'])
    if answer == "unclear":
        return questions.clarify(plan, incoming, question, template="introduction_clarify",
                               values={**member_view(plan, intro, side), "kind": "consent"})
    questions.settle(plan, question, answer=answer, message_id=incoming.parsed.message_id)
    outcome = _consent_given(plan, intro, side, answer, incoming=incoming)
    # A decline's reason, a remark (« Oui, mais seulement le mardi »): for the animators.
    questions.pass_on_remarks(plan, incoming, question, answer)
    return outcome


def on_consent_withdrawn(plan: Plan, incoming: Incoming, question: dict) -> str | None:
    """A member who answered OUI writes NON to the same question while ``MR-<n>`` still
    waits for the other member: their consent is withdrawn, as easily as it was given
    (GDPR art. 7(3)), and the introduction declined as after a first NON (both told it will
    not go ahead, never who declined; the items offered to matching again). Once the
    introduction was made, the contacts have left: the member is told so, and the
    animators get the message. None when it is not a change of mind, or the introduction
    was closed otherwise (the caller handles it as a reply to a closed question)."""
    intro = find_introduction(plan, question["data"].get("intro"))
    side = question["data"].get("side")
    if intro is None or side not in SIDES or question.get("answer") != "yes" or intro["consents"].get(side) != "yes":
        return None
    if intro.get("introduced"):
        # Too late: the contacts have left. Said plainly to the member, and to the animators.
        forward_to_animators(plan, incoming, reason="consent_withdrawn_late", purpose="refused_reply", intro=intro["ref"])
        answer_sender(plan, incoming, template="question_closed", values={"why": "introduced"},
                      purpose="question_closed", daily_kind="question_closed")
        return Said("refused: {intro} already introduced", intro=intro['ref'])
    if intro["status"] != "consent":
        return None
    plan.audit.info("%s: consent of the %s member withdrawn by %s", intro["ref"], side, incoming.parsed.message_id)
    # « Nous attendons l'autre réponse », if still unsent, would come with « n'aura pas lieu ».
    plan.drop_queued(purpose="introduction_ack", cause=f"{intro['ref']}:ack:{side}")
    outcome = _consent_given(plan, intro, side, 'no', incoming=incoming)
    questions.pass_on_remarks(plan, incoming, question, "no")
    return Said("{outcome}: consent withdrawn", outcome=outcome)


def record_oral_consent(plan: Plan, ref: str, side: str, answer: str, animator: str) -> str:
    """``rers introductions consent``: the yes or no a member of ``ref`` gave in person
    (``side``: ``offer``/``demand``), recorded by ``animator`` (consent record ``oral``),
    acts as their answer by mail would: their questions are closed, and the introduction
    goes on as after :func:`on_consent_answer`. Raises LookupError (no such introduction)
    or ValueError (not waiting for consent, that member erased, that answer already
    recorded). In a transaction."""
    intro = find_introduction(plan, ref)
    if intro is None:
        raise LookupError(Said("no introduction {ref}", ref=ref))
    if intro["status"] != "consent":
        raise Refused("{ref} is {status}: only an introduction waiting for consent takes one", ref=ref,
                      status=labelled(STATUS, intro["status"]))
    if not intro[f"{side}_member"]:
        raise Refused("{ref}: the {side} member was erased", ref=ref, side=side)
    if intro["consents"][side] == answer:
        raise Refused("{ref}: the {side} member's {answer} is already recorded", ref=ref, side=side, answer=answer)
    mine = [q for q in questions.open_about(plan, ref, "consent") if q["data"].get("side") == side]
    if mine:  # settles its siblings too: the copies sent to each animator for a member without address
        questions.settle(plan, mine[0], answer=answer, message_id=None)
    return _consent_given(plan, intro, side, answer, animator=animator)


def _consent_given(plan: Plan, intro: dict, side: str, answer: str, *, incoming: Incoming | None = None,
                   animator: str | None = None) -> str:
    """The member of ``side`` said ``answer`` (by mail: ``incoming``; in person, as
    ``animator`` recorded it): recorded, and the introduction made, declined, or waiting
    for the other."""
    _record_consent(plan, incoming, intro, side, answer, animator)
    answers = {**intro["consents"], side: answer}
    if answer == "no":
        update_introduction(plan, intro, f"consent {side}: no" + (f", recorded by {animator}" if animator else ""),
                consents=answers, status="declined", closed=plan.stamp(), close_reason="declined")
        close_questions(plan, intro)
        tell_cancelled(plan, intro, SIDES, "declined")
        offer_again(plan, intro, SIDES)
        return Said("{intro} declined", intro=intro['ref'])
    member = find_ref(plan, intro[f"{side}_member"]) or {}
    choice = choose_contact(member, incoming.parsed.member.contact if incoming else None)
    unavailable = {} if choice.honoured else {side: choice.wanted}
    contacts = {**intro["contacts"], side: choice.contact}
    update_introduction(plan, intro, f"consent {side}: yes" + (f" ({choice.wanted} unavailable: permanence)" if unavailable else "")
            + (f", recorded by {animator}" if animator else ""), consents=answers, contacts=contacts)
    if unavailable and incoming:
        _tell_contact_unavailable(plan, incoming, intro, member, choice.wanted)
    if answers[OTHER[side]] == "yes":
        # The other's « we wait for the other answer », if still unsent (both answers in
        # one cycle), would arrive with the introduction itself: dropped.
        plan.drop_queued(purpose="introduction_ack", cause=f"{intro['ref']}:ack:{OTHER[side]}")
        _introduce(plan, intro, unavailable)
        return Said("{intro} introduced", intro=intro['ref'])
    tell_member(plan, member, template="introduction_ack",
                values={**member_view(plan, intro, side), "what": "consent", "unavailable": unavailable.get(side)},
                purpose="introduction_ack", cause=f"{intro['ref']}:ack:{side}", answering=incoming)
    return Said("{intro} consent {side}: yes, waiting for the other", intro=intro['ref'], side=side)


def _tell_contact_unavailable(plan: Plan, incoming: Incoming, intro: dict, member: dict, wanted: str) -> None:
    """The member asked to be put in touch by ``wanted`` (``email``/``phone``) and the
    network has no such detail for them: the permanence is given instead, never another
    detail; the animators get the answer, to present the two at the permanence and, if
    the person wrote a number, to check it with them before recording it."""
    language = plan.settings.network.language
    forward_to_animators(plan, incoming, reason="contact_unavailable", purpose="contact_unavailable",
                         intro=intro["ref"], member=member.get("ref", "?"),
                         contact=label_of(wanted, "contact", language),
                         missing=label_of(wanted, "contact_missing", language))


def _record_consent(plan: Plan, incoming: Incoming | None, intro: dict, side: str, answer: str,
                    animator: str | None = None) -> None:
    """Keep the member's yes or no to ``MR-<n>`` in the consent records (issue 4: every
    consent, joining and each introduction): by mail, or given in person and passed on by
    the animator who answered for a member without an address (``incoming``), or who
    recorded it on the command line (``animator``, no mail)."""
    member_ref = intro.get(f"{side}_member")
    if not member_ref:
        return
    sender = (incoming.parsed.sender or "").lower() if incoming else ""
    recorded_by = animator or (sender if sender in plan.settings.network.animators else None)
    consents.record(
        plan, member=member_ref, purpose="introduction", subject_ref=intro["ref"], given=answer == "yes",
        how="oral" if recorded_by else "mail", message_id=incoming.parsed.message_id if incoming else None,
        recorded_by=recorded_by,
    )


def _introduce(plan: Plan, intro: dict, unavailable: dict[str, str] | None = None) -> None:
    """Both consented: each member gets the other's name and chosen contact. The animators
    are copied when configured, and always when either side meets at the permanence: the
    mail promises that they will present the two to each other there (and the eve of that
    permanence, their list names the pair: :func:`pairs_to_present`). ``unavailable``:
    ``{side: contact}`` for the member who asked just now for a contact the network cannot
    give (told so in their mail)."""
    permanence = next_permanence(plan)
    copy = plan.settings.network.copy_animators_on_introductions or "permanence" in intro["contacts"].values()
    cc = [(None, a) for a in plan.settings.network.animators] if copy else []
    update_introduction(plan, intro, "introduced", status="introduced", introduced=plan.stamp())
    # The offer waits on no answer any more (a demand is served: its interest waits for a
    # bilan saying the exchange did not happen, which offers it again).
    asked_again(plan, intro, ("offer",))
    for side in SIDES:
        other = OTHER[side]
        me = find_ref(plan, intro[f"{side}_member"])
        them = find_ref(plan, intro[f"{other}_member"])
        if me is None or them is None:
            continue
        if side == "offer" and intro.get("standing") and "permanence" not in intro["contacts"].values():
            # Standing consent: besides the introduction every member gets (the asker was
            # told the offerer receives her contact), a notice of the consent used and how
            # to stop it.
            tell_member(plan, me, template=standing.USED, purpose=standing.USED,
                        cause=f"{intro['ref']}:standing:{intro['offer']}",
                        values={**member_view(plan, intro, side), "member": me})
        context = {
            **member_view(plan, intro, side),
            "other": disclose(intro, other, them, permanence),
            "own_contact": effective_contact(me, intro["contacts"][side]),
            "unavailable": (unavailable or {}).get(side),
            "animators_copied": bool(cc),
            # Where they meet, when either meets at the permanence: both read its date.
            "permanence": permanence if "permanence" in intro["contacts"].values() else None,
            "recipient": {"name": me.get("name"), "first_name": me.get("first_name")},  # the greeting
        }
        tell_member(plan, me, template="introduction", values=context, purpose="introduction", cause=intro["ref"],
                    cc=cc)


def next_permanence(plan: Plan) -> datetime | None:
    """The start (aware) of the permanence where two members introduced now meet: the
    first whose eve list to the animators is still to come
    (:func:`workflows.steps.reminders.meeting_permanence`: never the same day, at least a
    night ahead), with the animators' cancellations; None when none is planned within a
    year."""
    series = draft(plan).permanence()
    if series is None:
        return None
    occurrence = meeting_permanence(series, plan.now, plan.settings.network.zone)
    return occurrence.start if occurrence is not None else None


def tell_cancelled(plan: Plan, intro: dict, sides, reason: str) -> None:
    """Tell the members of ``sides`` that the introduction will not go ahead — the same
    words to both, which never say who declined or did not answer. An offerer whose
    standing consent stood for them was never asked: not told either."""
    for side in sides:
        if side == "offer" and intro.get("standing"):
            continue
        tell_member(plan, find_ref(plan, intro[f"{side}_member"]), template="introduction_cancelled",
                    values=member_view(plan, intro, side), purpose="introduction_cancelled",
                    cause=f"{intro['ref']}:{reason}:{side}")


def close_questions(plan: Plan, intro: dict) -> None:
    questions.cancel_open(plan, subject_ref=intro["ref"])


def offer_again(plan: Plan, intro: dict, sides) -> None:
    """The introduction ended without an exchange: its items may meet someone else."""
    for side in sides:
        item = find_item(plan, intro[side])
        if item is not None:
            match_item(plan, item)


# --- bilan -------------------------------------------------------------------------------


# --- the animators' command ---------------------------------------------------------------


def on_introduce_command(plan: Plan, incoming: Incoming) -> str:
    """``MISE EN RELATION O-12 D-7`` from an animator: an approved proposal at once (both
    members' consent asked), whatever the score; refused when an item is missing or closed,
    both are the same member's, or the pair is already in progress. The animator is
    answered with what was done."""
    parsed = incoming.parsed
    command = parsed.command or {}
    offer, demand = find_item(plan, command.get("offer")), find_item(plan, command.get("demand"))
    m = matcher(plan)
    problem = None
    if offer is not None and demand is not None:
        problem = pair_refusal(offer, demand, ())
        if problem is None and any(i["demand"] == demand["ref"] and i["status"] in ACTIVE
                                   for i in intros_of(plan, m, offer["ref"])):
            problem = "in progress"
    else:
        problem = "missing"
    intro = party = None
    if problem is None:
        m.refresh(offer)
        m.refresh(demand)
        pair = {"offer_member": offer["member"], "demand_member": demand["member"]}
        party = parsed.sender in party_addresses(plan, pair)
        decides = parsed.sender in deciders(plan, pair)
        if party and decides:
            plan.audit.warning("%s: %s, a party (one of the two members), approved %s-%s by command: no other animator "
                          "to decide", parsed.message_id, parsed.sender, offer["ref"], demand["ref"])
        intro = propose(plan, offer, demand, m.index.explain(offer["ref"], demand["ref"]), source="command",
                        approved_by=parsed.sender if decides else None)
        if party:
            update_introduction(plan, intro, f"command of {parsed.sender}, a party: "
                    + ("no other animator to decide" if decides else "approval asked of the other animators"))
    answer_sender(plan, incoming, template="introduction_command",
                  values={"offer": command.get("offer"), "demand": command.get("demand"), "problem": problem,
                           "intro": intro and animator_view(plan, intro), "you_are_party": bool(party)},
                  purpose="introduction_command")
    if intro is None:
        return Said("refused: {problem}", problem=problem)
    if intro["status"] == "proposed":
        return Said("{intro} created by command: approval asked (party)", intro=intro["ref"])
    return Said("{intro} created by command", intro=intro["ref"])


# --- erasure -----------------------------------------------------------------------------


def forget_member(plan: Plan, member_ref: str) -> None:
    """Before ``member_ref`` is erased: close the introductions involving them (the other
    party, if already asked for consent, is told only that it will not go ahead), cancel
    their questions, and keep no trace of them in the introductions: their side becomes
    None and their bilan keeps only whether the exchange happened. The other party's item
    is offered to matching again, never with another item of the leaving member."""
    m = matcher(plan)
    for item in plan.items.find("member", member_ref):
        m.index.suspend(item["ref"])
    try:
        _forget(plan, member_ref)
    finally:
        m.index.resume_all()


def _forget(plan: Plan, member_ref: str) -> None:
    for intro in list(plan.introductions.scan(
            lambda i: member_ref in (i.get("offer_member"), i.get("demand_member")))):
        side = "offer" if intro["offer_member"] == member_ref else "demand"
        status = intro["status"]
        close_questions(plan, intro)
        # "why" quotes the words of both titles, folded ("gerard", "duval"): a title may
        # hold the person's name in a form the erasure's patterns cannot recognise.
        fields: dict = {f"{side}_member": None, "why": []}
        if status in PENDING:
            fields.update(status="cancelled", closed=plan.stamp(), close_reason="member left")
        elif status in ("introduced", "bilan"):
            fields.update(status="completed", closed=plan.stamp(), close_reason="member left")
        bilan = intro["bilans"].get(side)
        if bilan is not None:
            fields["bilans"] = {**intro["bilans"], side: {"happened": bilan.get("happened"), "at": bilan.get("at")}}
        if status == "consent":
            tell_cancelled(plan, intro, (OTHER[side],), "member left")
        update_introduction(plan, intro, f"{side} member left", **fields)
        if status in PENDING:
            offer_again(plan, intro, (OTHER[side],))


def on_item_closed(plan: Plan, item_ref: str) -> None:
    """An item was withdrawn (``RETRAIT O-12``): the introductions still being decided
    about it are cancelled (the other member, if already asked for consent, is told only
    that it will not go ahead) and the other item is offered to matching again. An
    introduction already made goes on: its bilan is still wanted."""
    for intro in list(plan.introductions.scan(
            lambda i: item_ref in (i.get("offer"), i.get("demand")) and i["status"] in PENDING)):
        side = "offer" if intro["offer"] == item_ref else "demand"
        close_questions(plan, intro)
        if intro["status"] == "consent":
            tell_cancelled(plan, intro, (OTHER[side],), "item withdrawn")
        update_introduction(plan, intro, f"{side} item withdrawn", status="cancelled", closed=plan.stamp(),
                close_reason="item withdrawn")
        offer_again(plan, intro, (OTHER[side],))


# --- follow-ups ---------------------------------------------------------------------------


def stop_introduction(plan: Plan, intro: dict, event: str, *, status: str, close_reason: str, **fields) -> None:
    """End an introduction still being decided: its questions cancelled, both members told
    it will not go ahead if they were asked for consent (never why), both items offered to
    matching again. ``fields``: more to record in the introduction as it closes."""
    asked_members = intro["status"] == "consent"
    close_questions(plan, intro)
    update_introduction(plan, intro, event, status=status, closed=plan.stamp(), close_reason=close_reason,
                        **fields)
    if asked_members:
        tell_cancelled(plan, intro, SIDES, status)
    offer_again(plan, intro, SIDES)


def cancel(plan: Plan, ref: str, animator: str | None = None) -> dict:
    """``rers introductions cancel``: an animator ends ``ref`` while it waits for approval
    or consent (as an expiry does: :func:`stop_introduction`). Returns the document. Raises
    LookupError (no such introduction) or ValueError (not waiting: an introduction made
    cannot be unmade). In a transaction."""
    intro = find_introduction(plan, ref)
    if intro is None:
        raise LookupError(Said("no introduction {ref}", ref=ref))
    if intro["status"] not in PENDING:
        raise Refused("{ref} is {status}: only an introduction waiting for approval or consent can be cancelled",
                      ref=ref, status=labelled(STATUS, intro["status"]))
    stop_introduction(plan, intro, f"cancelled by {animator}" if animator else "cancelled", status="cancelled",
          close_reason="cancelled by an animator")
    return intro

