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
     "history": [{"at": UTC ISO, "event": str}]}

No member's name beyond a first name, address or phone number reaches another member
before both consented: the mails are rendered from :mod:`workflows.model.privacy`
only, and only :func:`workflows.model.privacy.disclose` gives a contact detail.

Matching runs when items open (:func:`on_items_opened`), when an introduction ends
without taking place (the items are offered to matching again), and on demand
(:func:`rematch`, ``rers match``). Its index lives in memory for the life of the store
object (:meth:`store.Store.derived`): matching one new item reads only the items that
share a word with it.

Entry points for other code: :func:`on_items_opened`, :func:`forget_member`,
:data:`ANSWER_HANDLERS`, :func:`on_introduce_command`, :func:`run_followups`,
:func:`rematch`, :func:`score_text`, :func:`cancel` and :func:`record_oral_consent`
(``rers introductions cancel|consent``).
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from config.settings import Settings
from store import Store
from workflows.steps import consents, questions, replies
from workflows.steps.calendar_state import plan
from workflows.context import Context, Incoming
from workflows.events.model import EventSeries
from workflows.events.rules import next_occurrence, occurrences
from workflows.model.privacy import (
    choose_contact, disclose, effective_contact, public_item, public_member, readable_phone, redact)
from workflows.mail.compose import label_of
from workflows.mail.fields import happened_in_text
from workflows.model.matching import (
    OTHER, PENDING, Analyzer, MatchIndex, Score, fingerprint, item_busy, pair_refusal, read_synonyms, score_titles)
from workflows.shell.outbox import drop_queued, queue_mail
from workflows.steps.speaking import answer_sender, forward_to_animators

log = logging.getLogger(__name__)
audit = logging.getLogger("rers.audit")

SIDES = ("offer", "demand")
PREFIX = {"offer": "O", "demand": "D"}
ACTIVE = ("proposed", "consent", "introduced", "bilan")
BILAN_VALID_DAYS = 30
"""Days a bilan question may be answered."""


# --- the matching index (kept in memory, checked against the store) ----------------------


@dataclass
class Matcher:
    """The :class:`MatchIndex` of a store, and which introductions each item is in.

    Both grow from the store's counters (items ``O-<n>``/``D-<n>`` and ``MR-<n>`` are
    numbered in order), so that bringing them up to date reads only what is new. What
    they remember may be stale — an item changed or erased, a transaction rolled back —
    so every candidate is checked against its stored document before it is proposed.
    """

    index: MatchIndex
    seen: dict[str, int] = field(default_factory=lambda: {"offer": 0, "demand": 0, "introduction": 0})
    intros_by_item: dict[str, list[str]] = field(default_factory=dict)

    def sync(self, store: Store) -> None:
        for kind in ("offer", "demand", "introduction"):
            top = int(store.get_state(f"counter:{kind}") or 0)
            start = min(self.seen[kind], top)  # lower after a rollback: numbers are reused
            for n in range(start + 1, top + 1):
                if kind == "introduction":
                    doc = store.introductions.find_one("ref", f"MR-{n}")
                    if doc is not None:
                        self.note(doc)
                else:
                    doc = store.items.find_one("ref", f"{PREFIX[kind]}-{n}")
                    if doc is not None:
                        self.index.add(doc)
            self.seen[kind] = top

    def note(self, intro: dict) -> None:
        for side in SIDES:
            refs = self.intros_by_item.setdefault(intro[side], [])
            if intro["ref"] not in refs:
                refs.append(intro["ref"])

    def refresh(self, item: dict) -> None:
        """Index ``item`` again if it changed since it was indexed (or was never)."""
        entry = self.index.entries.get(item["ref"])
        if entry is None or entry.fingerprint != fingerprint(item):
            self.index.add(item)


def analyzer_for(settings: Settings) -> Analyzer:
    """The analyzer of the configured synonyms (built-in + ``[matching] synonyms_file``).

    Raises ``OSError``/``ValueError`` when the animators' file is unreadable or malformed.
    """
    return Analyzer(read_synonyms(settings.matching.synonyms_file))


def matcher(ctx: Context, *, sync: bool = True) -> Matcher:
    """The store's matcher, up to date with its counters (unless ``sync`` is false: the
    caller has just brought it up to date). Rebuilt when the synonym file changes (its
    modification time is part of the cache key)."""
    path = ctx.settings.matching.synonyms_file
    try:
        stamp = path.stat().st_mtime_ns if path else 0
    except OSError:
        stamp = -1
    m = ctx.store.derived(f"matching:{path}:{stamp}", lambda: Matcher(MatchIndex(analyzer_for(ctx.settings))))
    if sync:
        m.sync(ctx.store)
    return m


def score_text(settings: Settings, offer_title: str, demand_title: str) -> dict:
    """``rers match --score``: ``{"score": 0.0-1.0, "proposed": bool, "why": [French lines]}``
    for two titles, against ``[matching] min_score`` (whether they would be proposed if
    both were open items of two free members)."""
    score = score_titles(analyzer_for(settings), offer_title, demand_title)
    minimum = settings.matching.min_score
    return {"score": score.score, "proposed": score.score >= minimum and bool(score.matches),
            "why": score.why(minimum)}


def intros_of(ctx: Context, m: Matcher, item_ref: str) -> list[dict]:
    """The introduction documents ``item_ref`` is part of."""
    found = []
    for ref in m.intros_by_item.get(item_ref, ()):
        intro = ctx.store.introductions.find_one("ref", ref)
        if intro is not None and item_ref in (intro["offer"], intro["demand"]):
            found.append(intro)
    return found


def _partner(ctx: Context, m: Matcher, item: dict) -> tuple[dict, Score] | None:
    """The best item to propose with ``item`` now, and the pair's score, or None.

    Candidates come best first from the index; the first whose stored document passes
    :func:`workflows.model.matching.pair_refusal` and still scores ``min_score`` wins.
    """
    minimum = ctx.settings.matching.min_score
    m.refresh(item)
    mine = intros_of(ctx, m, item["ref"])
    for candidate in m.index.candidates(item["ref"], min_score=minimum):
        doc = ctx.store.items.find_one("ref", candidate.ref)
        if doc is None:
            m.index.remove(candidate.ref)
            continue
        m.refresh(doc)
        theirs = intros_of(ctx, m, doc["ref"])
        offer, demand = (item, doc) if item["kind"] == "offer" else (doc, item)
        offer_intros, demand_intros = (mine, theirs) if item["kind"] == "offer" else (theirs, mine)
        same_pair = [i for i in offer_intros if i["demand"] == demand["ref"]]
        if pair_refusal(offer, demand, same_pair, offer_intros, demand_intros) is not None:
            continue
        score = m.index.explain(offer["ref"], demand["ref"])
        if score.score >= minimum:
            return doc, score
    return None


def match_item(ctx: Context, item: dict) -> dict | None:
    """Propose the best partner of one open item, if it may have one now; returns the new
    introduction document or None."""
    m = matcher(ctx)
    if item["status"] != "open" or item_busy(item["kind"], intros_of(ctx, m, item["ref"])):
        return None
    found = _partner(ctx, m, item)
    if found is None:
        return None
    other, score = found
    offer, demand = (item, other) if item["kind"] == "offer" else (other, item)
    return propose(ctx, offer, demand, score)


def on_items_opened(ctx: Context, items: list[dict]) -> None:
    """Items became ``open`` (a confirmed member's new item, the held items of a member who
    just confirmed, an animator's registration): propose each its best partner now."""
    for item in items:
        intro = match_item(ctx, item)
        if intro is not None:
            audit.info("%s proposed: %s ↔ %s (%.2f)", intro["ref"], intro["offer"], intro["demand"], intro["score"])


@dataclass(frozen=True)
class Proposal:
    """One pair found by :func:`rematch` (``ref`` None in a dry run)."""

    offer: str
    demand: str
    score: float
    why: list[str]
    ref: str | None = None


def rematch(ctx: Context, *, dry_run: bool = False) -> list[Proposal]:
    """The full re-match (``rers match``): every open demand not waiting on a proposal,
    oldest first, gets its best free offer; each item gets one proposal at most. With
    ``dry_run`` nothing is written. In a transaction (unless ``dry_run``)."""
    m = matcher(ctx)
    found = []

    def repair(raw: dict) -> bool:
        # The full re-match also repairs what the index may have missed. Reading the
        # stored documents in place (never changed here) spares a copy of each.
        if raw["status"] == "open":
            m.refresh(raw)
        return False

    for _ in ctx.store.items.scan(repair):
        pass
    # Offers waiting on a proposal cannot take another: out of the candidate lists, the
    # free ones come first (the index's reading budget is not spent on taken ones).
    for status in PENDING:
        for intro in ctx.store.introductions.find("status", status):
            m.index.suspend(intro["offer"])
    try:
        for demand in ctx.store.items.scan(lambda raw: raw["status"] == "open" and raw["kind"] == "demand"):
            if item_busy("demand", intros_of(ctx, m, demand["ref"])):
                continue
            pair = _partner(ctx, m, demand)
            if pair is None:
                continue
            offer, score = pair
            m.index.suspend(offer["ref"])
            ref = None if dry_run else propose(ctx, offer, demand, score)["ref"]
            found.append(Proposal(offer["ref"], demand["ref"], score.score, score.why(), ref))
    finally:
        m.index.resume_all()
    return found


# --- the introduction document ----------------------------------------------------------


def _intro(ctx: Context, ref: str | None) -> dict | None:
    return ctx.store.introductions.find_one("ref", ref) if ref else None


def _update(ctx: Context, intro: dict, event: str, **fields) -> dict:
    history = [*intro.get("history", []), {"at": ctx.stamp(), "event": event}]
    updated = ctx.store.introductions.update(intro["id"], history=history, **fields)
    intro.clear()
    intro.update(updated)
    return updated


def _item(ctx: Context, ref: str) -> dict | None:
    return ctx.store.items.find_one("ref", ref)


def _member(ctx: Context, ref: str | None) -> dict | None:
    return ctx.store.members.find_one("ref", ref) if ref else None


def _days_left(ctx: Context, since: str, days: int) -> int:
    """Whole days (at least 1) until ``since`` + ``days``: a question asked late expires
    with its introduction."""
    end = datetime.fromisoformat(since) + timedelta(days=days)
    return max(1, math.ceil((end - ctx.now).total_seconds() / 86400))


def propose(ctx: Context, offer: dict, demand: dict, score: Score, *, source: str = "matching",
            approved_by: str | None = None) -> dict:
    """Create introduction ``MR-<n>`` for two item documents and ask its first question:
    the approval of every animator, or — ``source="command"``, already approved by
    ``approved_by`` — the consent of both members (a command with no ``approved_by`` —
    its animator is one of the two members — asks the animators' approval). Returns the
    document."""
    number = ctx.store.next_number("introduction")
    approved = source == "command" and approved_by is not None
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
        "created": ctx.stamp(),
        "approved": ctx.stamp() if approved else None,
        "decided_by": approved_by,
        "consents": {"offer": None, "demand": None},
        "contacts": {"offer": None, "demand": None},
        "introduced": None,
        "bilan_asked": None,
        "bilans": {"offer": None, "demand": None},
        "not_happened": False,
        "closed": None,
        "close_reason": None,
        "history": [{"at": ctx.stamp(), "event": f"proposed by {approved_by}" if approved else "proposed"}],
    }
    intro = ctx.store.introductions.get(ctx.store.introductions.insert(doc))
    matcher(ctx, sync=False).note(intro)
    if approved:
        for side in SIDES:
            _ask_consent(ctx, intro, side)
    else:
        _ask_approval(ctx, intro)
    return intro


# --- what the mails say ----------------------------------------------------------------


def _erased(ctx: Context) -> str:
    """What stands for an erased member or item in the animators' mails, in the network's language."""
    return label_of("erased", "field", ctx.settings.network.language)


def _animator_view(ctx: Context, intro: dict) -> dict:
    """The context of the animators' mails about ``intro``: titles, modalities,
    availabilities, score and why, the members' refs and names (never an address)."""
    view: dict = {"intro": {"ref": intro["ref"], "score": intro["score"], "why": intro["why"],
                            "source": intro["source"], "status": intro["status"]}}
    for side in SIDES:
        item = _item(ctx, intro[side]) or {"ref": intro[side], "kind": side, "title": _erased(ctx)}
        member = _member(ctx, intro[f"{side}_member"]) or {}
        view[side] = public_item(item)
        view[f"{side}_member"] = {"ref": intro[f"{side}_member"] or _erased(ctx), "name": redact(member.get("name"))}
    view["parties"] = [{"side": side, **view[f"{side}_member"]} for side in _party_sides(ctx, intro)]
    return view


def _member_view(ctx: Context, intro: dict, side: str) -> dict:
    """The context of a consent-stage mail to the member of ``side``: their item, the
    other's first name and title (public views only)."""
    other = OTHER[side]
    own_item = _item(ctx, intro[side]) or {"ref": intro[side], "kind": side, "title": ""}
    other_item = _item(ctx, intro[other]) or {"ref": intro[other], "kind": other, "title": ""}
    return {
        "intro": {"ref": intro["ref"]},
        "side": side,
        "own_item": public_item(own_item),
        "other_item": public_item(other_item),
        "other": public_member(_member(ctx, intro[f"{other}_member"])),
    }


def _to_animators(ctx: Context, template: str, context: dict, purpose: str, cause: str,
                  only: list[str] | None = None) -> None:
    animators = list(ctx.settings.network.animators) if only is None else only
    if animators:
        queue_mail(ctx, template=template, to=[(None, a) for a in animators], context=context, purpose=purpose,
                   cause=cause, to_member=False)


def _to_member(ctx: Context, member: dict | None, template: str, context: dict, purpose: str, cause: str,
               answering: Incoming | None = None) -> None:
    """A mail to a member; one who cannot be reached by mail gets it through the animators
    (protocol.md, "Members without an email address"). ``answering``: the member's answer
    to a question, whose thread it joins (In-Reply-To, References with the question's
    first mail: RFC 5322 3.6.4) under the question's token (``[RERS-…]``), so that a reply
    to it still names that question, whatever the member's mail client keeps."""
    if member is None:
        return
    if questions.reachable(member):
        thread = answering.parsed if answering else None
        token = questions.answered_token(thread) if thread else None
        references = [*thread.references, *thread.in_reply_to] if thread else []
        if token:
            references.insert(0, questions.question_message_id(token, ctx.settings.network.domain))
        queue_mail(ctx, template=template, to=[(member.get("name"), member["address"])], context=context,
                   purpose=purpose, cause=cause, in_reply_to=thread.message_id if thread else None,
                   references=list(dict.fromkeys(references)), subject_tag=token)
    else:
        _to_animators(ctx, template, {**context, "for_member": {"ref": member["ref"], "name": member.get("name")}},
                      purpose, cause)


# --- approval ----------------------------------------------------------------------------


def _party_sides(ctx: Context, intro: dict) -> list[str]:
    """The sides of ``intro`` whose member is also an animator (the member's address is
    an animator's)."""
    animators = ctx.settings.network.animators
    sides = []
    for side in SIDES:
        member = _member(ctx, intro[f"{side}_member"]) or {}
        if (member.get("address") or "").lower() in animators:
            sides.append(side)
    return sides


def _parties(ctx: Context, intro: dict) -> set[str]:
    """The animators' addresses that are one of the two members of ``intro``."""
    return {(_member(ctx, intro[f"{side}_member"]) or {})["address"].lower() for side in _party_sides(ctx, intro)}


def _deciders(ctx: Context, intro: dict) -> list[str]:
    """The animators who may approve ``intro``: those who are not one of its two members;
    all of them when every animator is (a network with one animator: their answer counts,
    and is noted)."""
    parties = _parties(ctx, intro)
    others = [a for a in ctx.settings.network.animators if a not in parties]
    return others or list(ctx.settings.network.animators)


def _ask_approval(ctx: Context, intro: dict, *, reminder: bool = False, animators: list[str] | None = None) -> None:
    """Ask ``animators`` (default: all) to approve ``intro``. An animator who is one of the
    two members is asked too, and told whether another animator must decide."""
    animators = list(ctx.settings.network.animators) if animators is None else animators
    if not animators:
        audit.warning("%s: no animator configured to approve it", intro["ref"])
        return
    context = {**_animator_view(ctx, intro), "reminder": reminder}
    parties = _parties(ctx, intro)
    others_decide = any(a not in parties for a in ctx.settings.network.animators)
    days = _days_left(ctx, intro["created"], ctx.settings.introductions.expiry_days)
    for animator in animators:
        questions.ask(ctx, kind="approve", subject_ref=intro["ref"], address=animator,
                      template="introduction_proposal",
                      context={**context, "you_are_party": animator in parties, "others_decide": others_decide},
                      cause=f"{intro['ref']}:approve", valid_days=days,
                      data={"intro": intro["ref"], "reminder": reminder}, to_member=False)


def _party_refused(ctx: Context, incoming: Incoming, question: dict, intro: dict, answer: str) -> str:
    """The answer of an animator who is one of the two members, while another animator can
    decide: not acted on. Their question is closed; they are told that another animator
    must decide, and the others that the decision is theirs (their own questions stay
    open)."""
    sender = question["address"]
    questions.close(ctx, question, status="cancelled", answer=answer, message_id=incoming.parsed.message_id)
    _update(ctx, intro, f"answer of {sender} not counted (a party: another animator decides)")
    audit.warning("%s: %s answered %s on %s, of which they are a party (one of the two members): not counted",
                  incoming.parsed.message_id, sender, answer, intro["ref"])
    context = {**_animator_view(ctx, intro), "decision": "party", "decided_by": sender, "answer": answer}
    _to_animators(ctx, "introduction_decided", {**context, "to_party": True}, "introduction_decided",
                  f"{intro['ref']}:party:{sender}", only=[sender])
    _to_animators(ctx, "introduction_decided", {**context, "to_party": False}, "introduction_decided",
                  f"{intro['ref']}:party:{sender}", only=[a for a in _deciders(ctx, intro) if a != sender])
    return f"refused: party ({intro['ref']})"


def _authorised(ctx: Context, incoming: Incoming, intro_ref: str | None) -> str | None:
    """Why an animator's act (approval, command) must not be carried out, or None: the
    sender is not a configured animator, or lacks the DKIM/DMARC pass ``authserv_id``
    asks for."""
    parsed = incoming.parsed
    about = f" ({intro_ref})" if intro_ref else ""
    if (parsed.sender or "") not in ctx.settings.network.animators:
        forward_to_animators(ctx, incoming, reason="act_not_from_animator", purpose="refused_reply", about=about)
        return "not an animator"
    if not questions.authenticated(ctx.settings, parsed):
        forward_to_animators(ctx, incoming, reason="act_not_authenticated", purpose="refused_reply", about=about)
        return "not authenticated"
    return None


def on_approve_answer(ctx: Context, incoming: Incoming, question: dict, answer: str) -> str:
    """An animator's OUI/NON on proposal ``MR-<n>``. The first answer wins: the other
    animators' questions are cancelled and they are told who decided. OUI asks both
    members' consent; NON closes the proposal (nobody else is told) and offers both items
    to matching again."""
    intro = _intro(ctx, question["data"].get("intro"))
    if intro is None or intro["status"] != "proposed":
        questions.close(ctx, question, status="cancelled", answer=answer, message_id=incoming.parsed.message_id)
        return f"ignored: {question['subject_ref']} is no longer waiting for approval"
    refusal = _authorised(ctx, incoming, intro["ref"])
    if refusal:
        audit.warning("%s: approval of %s refused (%s)", incoming.parsed.message_id, intro["ref"], refusal)
        return f"refused: {refusal}"
    decided_by = question["address"]
    party = decided_by in _parties(ctx, intro)
    if party and decided_by not in _deciders(ctx, intro):
        return _party_refused(ctx, incoming, question, intro, answer)
    if answer == "unclear":
        return replies.clarify(ctx, incoming, question, template="introduction_clarify",
                               context={**_animator_view(ctx, intro), "kind": "approve"})
    questions.settle(ctx, question, answer=answer, message_id=incoming.parsed.message_id)
    others = [a for a in ctx.settings.network.animators if a != decided_by]
    _to_animators(ctx, "introduction_decided", {**_animator_view(ctx, intro), "decision": answer,
                                                "decided_by": decided_by},
                  "introduction_decided", f"{intro['ref']}:decided", only=others)
    if party:
        audit.warning("%s: %s, a party (one of the two members), decided %s: no other animator to decide",
                      intro["ref"], decided_by, answer)
    noted = " (a party: no other animator)" if party else ""
    if answer == "yes":
        _update(ctx, intro, f"approved by {decided_by}{noted}", status="consent", approved=ctx.stamp(),
                decided_by=decided_by)
        for side in SIDES:
            _ask_consent(ctx, intro, side)
        return f"{intro['ref']} approved by {decided_by}: consent asked"
    _update(ctx, intro, f"refused by {decided_by}{noted}", status="refused", decided_by=decided_by,
            closed=ctx.stamp(), close_reason="refused")
    _offer_again(ctx, intro, SIDES)
    return f"{intro['ref']} refused by {decided_by}"


# --- consent -----------------------------------------------------------------------------


def _ask_consent(ctx: Context, intro: dict, side: str, *, reminder: bool = False) -> None:
    member = _member(ctx, intro[f"{side}_member"])
    if member is None:
        return
    shared = choose_contact(member)
    value = {"email": member.get("address"), "phone": readable_phone(member.get("phone"))}.get(shared.contact)
    context = {**_member_view(ctx, intro, side), "reminder": reminder,
               "shared": {"contact": shared.contact, "value": value,
                          "unavailable": None if shared.honoured else shared.wanted}}
    questions.ask_member(
        ctx, member, kind="consent", subject_ref=intro["ref"], template="introduction_consent", context=context,
        cause=f"{intro['ref']}:consent:{side}",
        valid_days=_days_left(ctx, intro["approved"] or intro["created"], ctx.settings.introductions.expiry_days),
        data={"intro": intro["ref"], "side": side, "reminder": reminder},
    )


def on_consent_answer(ctx: Context, incoming: Incoming, question: dict, answer: str) -> str:
    """A member's OUI/NON to introduction ``MR-<n>`` (or an animator's for them). Both yes:
    the introduction mail to both. One no: both told it will not go ahead, never who
    declined; the items are offered to matching again."""
    intro = _intro(ctx, question["data"].get("intro"))
    side = question["data"].get("side")
    if intro is None or intro["status"] != "consent" or side not in SIDES:
        questions.close(ctx, question, status="cancelled", answer=answer, message_id=incoming.parsed.message_id)
        return f"ignored: {question['subject_ref']} is no longer waiting for consent"
    if answer == "unclear":
        return replies.clarify(ctx, incoming, question, template="introduction_clarify",
                               context={**_member_view(ctx, intro, side), "kind": "consent"})
    questions.settle(ctx, question, answer=answer, message_id=incoming.parsed.message_id)
    return _consent_given(ctx, intro, side, answer, incoming=incoming)


def on_consent_withdrawn(ctx: Context, incoming: Incoming, question: dict) -> str | None:
    """A member who answered OUI writes NON to the same question while ``MR-<n>`` still
    waits for the other member: their consent is withdrawn, as easily as it was given
    (GDPR art. 7(3)), and the introduction declined as after a first NON (both told it will
    not go ahead, never who declined; the items offered to matching again). Once the
    introduction was made, the contacts have left: the member is told so, and the
    animators get the message. None when it is not a change of mind, or the introduction
    was closed otherwise (the caller handles it as a reply to a closed question)."""
    intro = _intro(ctx, question["data"].get("intro"))
    side = question["data"].get("side")
    if intro is None or side not in SIDES or question.get("answer") != "yes" or intro["consents"].get(side) != "yes":
        return None
    if intro.get("introduced"):
        # Too late: the contacts have left. Said plainly to the member, and to the animators.
        forward_to_animators(ctx, incoming, reason="consent_withdrawn_late", purpose="refused_reply", intro=intro["ref"])
        answer_sender(ctx, incoming, template="question_closed", context={"why": "introduced"},
                      purpose="question_closed", daily_kind="question_closed")
        return f"refused: {intro['ref']} already introduced"
    if intro["status"] != "consent":
        return None
    audit.info("%s: consent of the %s member withdrawn by %s", intro["ref"], side, incoming.parsed.message_id)
    # « Nous attendons l'autre réponse », if still unsent, would come with « n'aura pas lieu ».
    drop_queued(ctx, purpose="introduction_ack", cause=f"{intro['ref']}:ack:{side}")
    return f"{_consent_given(ctx, intro, side, 'no', incoming=incoming)}: consent withdrawn"


def record_oral_consent(ctx: Context, ref: str, side: str, answer: str, animator: str) -> str:
    """``rers introductions consent``: the yes or no a member of ``ref`` gave in person
    (``side``: ``offer``/``demand``), recorded by ``animator`` (consent record ``oral``),
    acts as their answer by mail would: their questions are closed, and the introduction
    goes on as after :func:`on_consent_answer`. Raises LookupError (no such introduction)
    or ValueError (not waiting for consent, that member erased, that answer already
    recorded). In a transaction."""
    intro = _intro(ctx, ref)
    if intro is None:
        raise LookupError(f"no introduction {ref}")
    if intro["status"] != "consent":
        raise ValueError(f"{ref} is {intro['status']}: only an introduction waiting for consent takes one")
    if not intro[f"{side}_member"]:
        raise ValueError(f"{ref}: the {side} member was erased")
    if intro["consents"][side] == answer:
        raise ValueError(f"{ref}: the {side} member's {answer} is already recorded")
    mine = [q for q in questions.open_about(ctx, ref, "consent") if q["data"].get("side") == side]
    if mine:  # settles its siblings too: the copies sent to each animator for a member without address
        questions.settle(ctx, mine[0], answer=answer, message_id=None)
    return _consent_given(ctx, intro, side, answer, animator=animator)


def _consent_given(ctx: Context, intro: dict, side: str, answer: str, *, incoming: Incoming | None = None,
                   animator: str | None = None) -> str:
    """The member of ``side`` said ``answer`` (by mail: ``incoming``; in person, as
    ``animator`` recorded it): recorded, and the introduction made, declined, or waiting
    for the other."""
    _record_consent(ctx, incoming, intro, side, answer, animator)
    answers = {**intro["consents"], side: answer}
    if answer == "no":
        _update(ctx, intro, f"consent {side}: no" + (f", recorded by {animator}" if animator else ""),
                consents=answers, status="declined", closed=ctx.stamp(), close_reason="declined")
        _close_questions(ctx, intro)
        _tell_cancelled(ctx, intro, SIDES, "declined")
        _offer_again(ctx, intro, SIDES)
        return f"{intro['ref']} declined"
    member = _member(ctx, intro[f"{side}_member"]) or {}
    choice = choose_contact(member, incoming.parsed.member.contact if incoming else None)
    unavailable = {} if choice.honoured else {side: choice.wanted}
    contacts = {**intro["contacts"], side: choice.contact}
    _update(ctx, intro, f"consent {side}: yes" + (f" ({choice.wanted} unavailable: permanence)" if unavailable else "")
            + (f", recorded by {animator}" if animator else ""), consents=answers, contacts=contacts)
    if unavailable and incoming:
        _tell_contact_unavailable(ctx, incoming, intro, member, choice.wanted)
    if answers[OTHER[side]] == "yes":
        # The other's « we wait for the other answer », if still unsent (both answers in
        # one cycle), would arrive with the introduction itself: dropped.
        drop_queued(ctx, purpose="introduction_ack", cause=f"{intro['ref']}:ack:{OTHER[side]}")
        _introduce(ctx, intro, unavailable)
        return f"{intro['ref']} introduced"
    _to_member(ctx, member, "introduction_ack", {**_member_view(ctx, intro, side), "what": "consent",
                                                 "unavailable": unavailable.get(side)},
               "introduction_ack", f"{intro['ref']}:ack:{side}", answering=incoming)
    return f"{intro['ref']} consent {side}: yes, waiting for the other"


def _tell_contact_unavailable(ctx: Context, incoming: Incoming, intro: dict, member: dict, wanted: str) -> None:
    """The member asked to be put in touch by ``wanted`` (``email``/``phone``) and the
    network has no such detail for them: the permanence is given instead, never another
    detail; the animators get the answer, to present the two at the permanence and, if
    the person wrote a number, to check it with them before recording it."""
    language = ctx.settings.network.language
    forward_to_animators(ctx, incoming, reason="contact_unavailable", purpose="contact_unavailable",
                         intro=intro["ref"], member=member.get("ref", "?"),
                         contact=label_of(wanted, "contact", language),
                         missing=label_of(wanted, "contact_missing", language))


def _record_consent(ctx: Context, incoming: Incoming | None, intro: dict, side: str, answer: str,
                    animator: str | None = None) -> None:
    """Keep the member's yes or no to ``MR-<n>`` in the consent records (issue 4: every
    consent, joining and each introduction): by mail, or given in person and passed on by
    the animator who answered for a member without an address (``incoming``), or who
    recorded it on the command line (``animator``, no mail)."""
    member_ref = intro.get(f"{side}_member")
    if not member_ref:
        return
    sender = (incoming.parsed.sender or "").lower() if incoming else ""
    recorded_by = animator or (sender if sender in ctx.settings.network.animators else None)
    consents.record(
        ctx, member=member_ref, purpose="introduction", subject_ref=intro["ref"], given=answer == "yes",
        how="oral" if recorded_by else "mail", message_id=incoming.parsed.message_id if incoming else None,
        recorded_by=recorded_by,
    )


def _introduce(ctx: Context, intro: dict, unavailable: dict[str, str] | None = None) -> None:
    """Both consented: each member gets the other's name and chosen contact. The animators
    are copied when configured, and always when either side meets at the permanence: the
    mail promises that they will present the two to each other there (and the eve of that
    permanence, their list names the pair: :func:`pairs_to_present`). ``unavailable``:
    ``{side: contact}`` for the member who asked just now for a contact the network cannot
    give (told so in their mail)."""
    permanence = next_permanence(ctx)
    copy = ctx.settings.network.copy_animators_on_introductions or "permanence" in intro["contacts"].values()
    cc = [(None, a) for a in ctx.settings.network.animators] if copy else []
    _update(ctx, intro, "introduced", status="introduced", introduced=ctx.stamp())
    for side in SIDES:
        other = OTHER[side]
        me = _member(ctx, intro[f"{side}_member"])
        them = _member(ctx, intro[f"{other}_member"])
        if me is None or them is None:
            continue
        context = {
            **_member_view(ctx, intro, side),
            "other": disclose(intro, other, them, permanence),
            "own_contact": effective_contact(me, intro["contacts"][side]),
            "unavailable": (unavailable or {}).get(side),
            "animators_copied": bool(cc),
        }
        if questions.reachable(me):
            queue_mail(ctx, template="introduction", to=[(me.get("name"), me["address"])], cc=cc, context=context,
                       purpose="introduction", cause=intro["ref"])
        else:
            _to_animators(ctx, "introduction", {**context, "for_member": {"ref": me["ref"], "name": me.get("name")}},
                          "introduction", intro["ref"])


def next_permanence(ctx: Context) -> datetime | None:
    """The start (aware, network zone) of the next permanence after ``ctx.now``, with the
    animators' cancellations, or None when none is planned within a year."""
    series = plan(ctx).permanence()
    if series is None:
        return None
    today = ctx.now.astimezone(ctx.settings.network.zone).date()
    for day in (today, today + timedelta(days=1)):
        occurrence = next_occurrence(series, day)
        if occurrence is not None and occurrence.start > ctx.now:
            return occurrence.start
    return None


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
                member = _member(ctx, intro[f"{side}_member"])
                item = _item(ctx, intro[side]) or {"ref": intro[side], "kind": side, "title": ""}
                pair[side] = {"first_name": public_member(member).first_name,
                              "member": intro[f"{side}_member"] or _erased(ctx), "title": public_item(item).title,
                              "permanence": intro["contacts"].get(side) == "permanence"}
            pairs.append(pair)
    return sorted(pairs, key=lambda p: (p["introduced"], int(p["ref"][3:])))


def _tell_cancelled(ctx: Context, intro: dict, sides, reason: str) -> None:
    """Tell the members of ``sides`` that the introduction will not go ahead — the same
    words to both, which never say who declined or did not answer."""
    for side in sides:
        _to_member(ctx, _member(ctx, intro[f"{side}_member"]), "introduction_cancelled",
                   _member_view(ctx, intro, side), "introduction_cancelled", f"{intro['ref']}:{reason}:{side}")


def _close_questions(ctx: Context, intro: dict) -> None:
    questions.cancel_open(ctx, subject_ref=intro["ref"])


def _offer_again(ctx: Context, intro: dict, sides) -> None:
    """The introduction ended without an exchange: its items may meet someone else."""
    for side in sides:
        item = _item(ctx, intro[side])
        if item is not None:
            match_item(ctx, item)


# --- bilan -------------------------------------------------------------------------------


def _ask_bilan(ctx: Context, intro: dict, side: str) -> None:
    member = _member(ctx, intro[f"{side}_member"])
    if member is None:
        return
    questions.ask_member(
        ctx, member, kind="bilan", subject_ref=intro["ref"], template="introduction_bilan",
        context={**_member_view(ctx, intro, side), "introduced": intro["introduced"]},
        cause=f"{intro['ref']}:bilan:{side}", valid_days=BILAN_VALID_DAYS, data={"intro": intro["ref"], "side": side},
    )


def bilan_record(parsed, answer: str, at: str) -> dict:
    """A bilan answer as stored: the fields of the reply (``Échange réalisé``, ``Intérêt``,
    ``Freins``, ``Éléments facilitants``), and the reply's own text kept whole. Without
    an ``Échange réalisé`` line, ``happened`` is read from the text (« finalement on ne
    s'est pas vus »: :func:`workflows.mail.fields.happened_in_text`), else from a plain
    OUI/NON."""
    fields = parsed.bilan
    happened = fields.happened if fields is not None and fields.happened else None
    if happened is None:
        happened = happened_in_text(parsed.text or "")
    if happened is None and answer in ("yes", "no") and fields is None:
        happened = answer
    return {
        "happened": happened,
        "interest": fields.interest if fields else None,
        "obstacles": fields.obstacles if fields else None,
        "facilitators": fields.facilitators if fields else None,
        "text": parsed.text,
        "at": at,
    }


def on_bilan_answer(ctx: Context, incoming: Incoming, question: dict, answer: str) -> str:
    """A member's bilan: recorded as it comes (structured or free text). An exchange that
    did not happen is told to the animators, and the demand is offered to matching again."""
    intro = _intro(ctx, question["data"].get("intro"))
    side = question["data"].get("side")
    if intro is None or side not in SIDES:
        questions.close(ctx, question, status="cancelled", answer=answer, message_id=incoming.parsed.message_id)
        return f"ignored: {question['subject_ref']} is gone"
    record = bilan_record(incoming.parsed, answer, ctx.stamp())
    questions.settle(ctx, question, answer=record["happened"] or "text", message_id=incoming.parsed.message_id)
    bilans = {**intro["bilans"], side: record}
    fields = {"bilans": bilans}
    if all(bilans[s] is not None for s in SIDES) and intro["status"] == "bilan":
        fields.update(status="completed", closed=ctx.stamp(), close_reason="bilan")
    first_no = record["happened"] == "no" and not intro["not_happened"]
    if first_no:
        fields["not_happened"] = True
    _update(ctx, intro, f"bilan {side}: {record['happened'] or 'text'}", **fields)
    if first_no:
        _to_animators(ctx, "introduction_not_happened", {**_animator_view(ctx, intro), "side": side,
                                                         "bilan": record}, "introduction_not_happened",
                      f"{intro['ref']}:not_happened")
        _offer_again(ctx, intro, ("demand",))
    _to_member(ctx, _member(ctx, intro[f"{side}_member"]), "introduction_ack",
               {**_member_view(ctx, intro, side), "what": "bilan"}, "introduction_ack", f"{intro['ref']}:bilan-ack:{side}")
    return f"{intro['ref']} bilan {side}: {record['happened'] or 'free text'}"


CHANGE_OF_MIND_HANDLERS = {"consent": on_consent_withdrawn}
"""Question kind → ``handler(ctx, incoming, question) -> outcome or None`` for a NON to a
question already answered OUI (see :func:`workflows.steps.replies.on_reply`)."""

ANSWER_HANDLERS = {
    "approve": on_approve_answer,
    "consent": on_consent_answer,
    "bilan": on_bilan_answer,
}
"""Question kinds of introductions → handler (see :mod:`workflows.steps.replies`)."""


# --- the animators' command ---------------------------------------------------------------

COMMAND_PROBLEMS = ("missing", "not an offer/demand", "closed", "same member", "in progress")


def on_introduce_command(ctx: Context, incoming: Incoming) -> str:
    """``MISE EN RELATION O-12 D-7`` from an animator: an approved proposal at once (both
    members' consent asked), whatever the score; refused when an item is missing or closed,
    both are the same member's, or the pair is already in progress. The animator is
    answered with what was done."""
    parsed = incoming.parsed
    command = parsed.command or {}
    refusal = _authorised(ctx, incoming, None)
    if refusal:
        return f"refused: {refusal}"
    offer, demand = _item(ctx, command.get("offer")), _item(ctx, command.get("demand"))
    m = matcher(ctx)
    problem = None
    if offer is not None and demand is not None:
        problem = pair_refusal(offer, demand, ())
        if problem is None and any(i["demand"] == demand["ref"] and i["status"] in ACTIVE
                                   for i in intros_of(ctx, m, offer["ref"])):
            problem = "in progress"
    else:
        problem = "missing"
    intro = party = None
    if problem is None:
        m.refresh(offer)
        m.refresh(demand)
        pair = {"offer_member": offer["member"], "demand_member": demand["member"]}
        party = parsed.sender in _parties(ctx, pair)
        decides = parsed.sender in _deciders(ctx, pair)
        if party and decides:
            audit.warning("%s: %s, a party (one of the two members), approved %s-%s by command: no other animator "
                          "to decide", parsed.message_id, parsed.sender, offer["ref"], demand["ref"])
        intro = propose(ctx, offer, demand, m.index.explain(offer["ref"], demand["ref"]), source="command",
                        approved_by=parsed.sender if decides else None)
        if party:
            _update(ctx, intro, f"command of {parsed.sender}, a party: "
                    + ("no other animator to decide" if decides else "approval asked of the other animators"))
    answer_sender(ctx, incoming, template="introduction_command",
                  context={"offer": command.get("offer"), "demand": command.get("demand"), "problem": problem,
                           "intro": intro and _animator_view(ctx, intro), "you_are_party": bool(party)},
                  purpose="introduction_command")
    if intro is None:
        return f"refused: {problem}"
    return f"{intro['ref']} created by command" + (": approval asked (party)" if intro["status"] == "proposed" else "")


# --- erasure -----------------------------------------------------------------------------


def forget_member(ctx: Context, member_ref: str) -> None:
    """Before ``member_ref`` is erased: close the introductions involving them (the other
    party, if already asked for consent, is told only that it will not go ahead), cancel
    their questions, and keep no trace of them in the introductions: their side becomes
    None and their bilan keeps only whether the exchange happened. The other party's item
    is offered to matching again, never with another item of the leaving member."""
    m = matcher(ctx)
    for item in ctx.store.items.find("member", member_ref):
        m.index.suspend(item["ref"])
    try:
        _forget(ctx, member_ref)
    finally:
        m.index.resume_all()


def _forget(ctx: Context, member_ref: str) -> None:
    for intro in list(ctx.store.introductions.scan(
            lambda i: member_ref in (i.get("offer_member"), i.get("demand_member")))):
        side = "offer" if intro["offer_member"] == member_ref else "demand"
        status = intro["status"]
        _close_questions(ctx, intro)
        # "why" quotes the words of both titles, folded ("gerard", "duval"): a title may
        # hold the person's name in a form the erasure's patterns cannot recognise.
        fields: dict = {f"{side}_member": None, "why": []}
        if status in PENDING:
            fields.update(status="cancelled", closed=ctx.stamp(), close_reason="member left")
        elif status in ("introduced", "bilan"):
            fields.update(status="completed", closed=ctx.stamp(), close_reason="member left")
        bilan = intro["bilans"].get(side)
        if bilan is not None:
            fields["bilans"] = {**intro["bilans"], side: {"happened": bilan.get("happened"), "at": bilan.get("at")}}
        if status == "consent":
            _tell_cancelled(ctx, intro, (OTHER[side],), "member left")
        _update(ctx, intro, f"{side} member left", **fields)
        if status in PENDING:
            _offer_again(ctx, intro, (OTHER[side],))


def on_item_closed(ctx: Context, item_ref: str) -> None:
    """An item was withdrawn (``RETRAIT O-12``): the introductions still being decided
    about it are cancelled (the other member, if already asked for consent, is told only
    that it will not go ahead) and the other item is offered to matching again. An
    introduction already made goes on: its bilan is still wanted."""
    for intro in list(ctx.store.introductions.scan(
            lambda i: item_ref in (i.get("offer"), i.get("demand")) and i["status"] in PENDING)):
        side = "offer" if intro["offer"] == item_ref else "demand"
        _close_questions(ctx, intro)
        if intro["status"] == "consent":
            _tell_cancelled(ctx, intro, (OTHER[side],), "item withdrawn")
        _update(ctx, intro, f"{side} item withdrawn", status="cancelled", closed=ctx.stamp(),
                close_reason="item withdrawn")
        _offer_again(ctx, intro, (OTHER[side],))


# --- follow-ups ---------------------------------------------------------------------------


@dataclass
class FollowupReport:
    reminders: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    bilans: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"{len(self.reminders)} reminder(s), {len(self.expired)} expired, "
                f"{len(self.bilans)} bilan question(s), {len(self.completed)} completed")


def _age_days(ctx: Context, since: str | None) -> float:
    if not since:
        return 0.0
    return (ctx.now - datetime.fromisoformat(since)).total_seconds() / 86400


def _remind(ctx: Context, intro: dict, report: FollowupReport) -> None:
    """One reminder per person who has not answered within ``reminder_days``: a fresh
    question (tokens are stored hashed: the first cannot be sent again); either answer
    counts, the first one settles both. The questions asked of every animator for a
    member without an address are one person's."""
    kind = "approve" if intro["status"] == "proposed" else "consent"
    waiting: dict[str, list[dict]] = {}
    for question in questions.open_about(ctx, intro["ref"], kind):
        who = question["address"] if kind == "approve" else question["data"].get("side")
        waiting.setdefault(who, []).append(question)
    not_deciding = _parties(ctx, intro) - set(_deciders(ctx, intro)) if kind == "approve" else set()
    for who, group in waiting.items():
        if who in not_deciding or any(q.get("reminded") or q["data"].get("reminder") for q in group):
            continue
        if _age_days(ctx, min(q["created"] for q in group)) < ctx.settings.introductions.reminder_days:
            continue
        for question in group:
            questions.mark_reminded(ctx, question)
        if kind == "approve":
            _ask_approval(ctx, intro, reminder=True, animators=[who])
        else:
            _ask_consent(ctx, intro, who, reminder=True)
        report.reminders.append(f"{intro['ref']}:{who}")


def _expire(ctx: Context, intro: dict, report: FollowupReport) -> None:
    _stop(ctx, intro, "expired", status="expired", close_reason="no answer")
    report.expired.append(intro["ref"])


def _stop(ctx: Context, intro: dict, event: str, *, status: str, close_reason: str) -> None:
    """End an introduction still being decided: its questions cancelled, both members told
    it will not go ahead if they were asked for consent (never why), both items offered to
    matching again."""
    asked_members = intro["status"] == "consent"
    _close_questions(ctx, intro)
    _update(ctx, intro, event, status=status, closed=ctx.stamp(), close_reason=close_reason)
    if asked_members:
        _tell_cancelled(ctx, intro, SIDES, status)
    _offer_again(ctx, intro, SIDES)


def cancel(ctx: Context, ref: str, animator: str | None = None) -> dict:
    """``rers introductions cancel``: an animator ends ``ref`` while it waits for approval
    or consent (as an expiry does: :func:`_stop`). Returns the document. Raises
    LookupError (no such introduction) or ValueError (not waiting: an introduction made
    cannot be unmade). In a transaction."""
    intro = _intro(ctx, ref)
    if intro is None:
        raise LookupError(f"no introduction {ref}")
    if intro["status"] not in PENDING:
        raise ValueError(f"{ref} is {intro['status']}: only an introduction waiting for approval or consent "
                         "can be cancelled")
    _stop(ctx, intro, f"cancelled by {animator}" if animator else "cancelled", status="cancelled",
          close_reason="cancelled by an animator")
    return intro


def followups(ctx: Context) -> FollowupReport:
    """Reminders, expiries, bilan questions and completions due at ``ctx.now``. In a
    transaction. Idempotent: what it does is recorded, so running it again at the same
    time does nothing."""
    report = FollowupReport()
    settings = ctx.settings.introductions
    for intro in ctx.store.introductions.find("status", "proposed"):
        if _age_days(ctx, intro["created"]) >= settings.expiry_days:
            _expire(ctx, intro, report)
        else:
            _remind(ctx, intro, report)
    for intro in ctx.store.introductions.find("status", "consent"):
        if _age_days(ctx, intro["approved"] or intro["created"]) >= settings.expiry_days:
            _expire(ctx, intro, report)
        else:
            _remind(ctx, intro, report)
    for intro in ctx.store.introductions.find("status", "introduced"):
        if _age_days(ctx, intro["introduced"]) >= settings.bilan_days:
            _update(ctx, intro, "bilan asked", status="bilan", bilan_asked=ctx.stamp())
            for side in SIDES:
                _ask_bilan(ctx, intro, side)
            report.bilans.append(intro["ref"])
    for intro in ctx.store.introductions.find("status", "bilan"):
        if not questions.open_about(ctx, intro["ref"], "bilan"):
            _update(ctx, intro, "bilan closed", status="completed", closed=ctx.stamp(), close_reason="bilan")
            report.completed.append(intro["ref"])
    return report


def run_followups(settings: Settings, store: Store, now: datetime) -> FollowupReport:
    """The daemon's job (hourly): :func:`followups` in its own transaction. ``now``: aware
    UTC. Raises :class:`store.StoreError` when the store cannot be written."""
    with store.transaction():
        report = followups(Context.standalone(settings, store, now))
    if report.reminders or report.expired or report.bilans or report.completed:
        log.info("introductions: %s", report)
    return report
