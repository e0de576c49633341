"""Cross-network introductions (protocol.md, « Linked networks »; docs/reseaux-voisins.md):
a demand of this network that finds no local offer, matched against an offer a linked
network shares, approved by both animator teams and consented to by both members, each
team and each member through its own robot.

::

    proposed ──both teams OUI──► consent ──both members OUI──► introduced
       │ a team NON: refused        │ a member NON: declined
       └──── a withdrawal, an erasure, no answer in time: cancelled / expired

The record (collection ``crossings``), one per network and introduction::

    {"ref": "MRV-3", "key": "MRV-<n>" (the asking side's ref: the messages' id),
     "peer": the peer robot's address, "peer_name": str, "side": "demand"|"offer" (ours),
     "item": our item's ref, "member": our member's ref | None (None once erased),
     "theirs": the peer's shared entry of the other item (never a name),
     "score": 0.0-1.0, "status": "proposed"|"consent"|"introduced"|"refused"|"declined"|
     "cancelled"|"expired", "approvals": {"ours": None|"yes", "theirs": None|"yes"},
     "consents": {"ours": None|"yes", "theirs": None|"yes"}, "contact": our member's
     chosen contact | None, "sent_introduced": bool, "named": bool (a first name of our
     member went with it; absent before it was kept), "created": UTC ISO,
     "closed": UTC ISO | None, "close_reason": str | None,
     "peer_restarted": UTC ISO, when the peer restarted from an empty store since (absent
     otherwise): the record then no longer answers to its key nor counts as a pair tried,
     "introduction_id": the Message-ID of the mail that gave our member the other's first
     name and contact (absent before it was kept; None once that mail was erased),
     "history": [{"at": UTC ISO, "event": str}]}

Nothing of the other network's member is ever stored: their first name and chosen
contact arrive in the peer's ``introduced`` message, once both consented, and go at once
into the introduction mail to our member; a withdrawal or an erasure on either side then
deletes that mail from the outbox, and its copies from ``[transport] sent_folder`` and
the outbox folder (by its Message-ID). What crosses of a demand is what its member already
chose to share (``Réseaux voisins : oui``: the shared entry); a demand not shared is never
matched across.

What follows one in time on our side — one reminder to our animators or our member,
our member's bilan ``bilan_days`` after it was made — is :mod:`workflows.steps.followups`,
as for a local introduction; no reminder nor bilan ever crosses the link: each robot
asks its own people, and the other network learns nothing of our member's bilan.

Entry points: :func:`on_federation` (the route of a peer's message), :func:`linked_work`
(the hourly job of linked networks), the answer steps :func:`on_approve_answer` and
:func:`on_consent_answer`, :func:`ask_approval` and :func:`ask_consent` (again, as
reminders), :func:`update_crossing`, :func:`crossing_view`, :func:`on_item_closed`,
:func:`forget_member`, :func:`in_progress` (status).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from config.settings import Peer
from workflows.decision import Incoming, Plan
from workflows.mail.first_names import first_name
from workflows.model.said import Said, joined
from workflows.lookup import find_item, find_ref, group_holding
from workflows.model.federated_introductions import (
    CLOSED_BY,
    KINDS,
    PENDING,
    best_offer,
    due,
    introduced_body,
    read_id,
    read_introduced,
    read_proposal,
    read_reason,
)
from workflows.model.federation import Received, shared_entry
from workflows.model.members import NAME_MAX
from workflows.model.matching import item_busy, score_titles
from workflows.model.privacy import choose_contact, public_item, public_member, readable_phone, redact
from workflows.steps import consents, federation, introductions, questions
from workflows.steps.matcher import engaged, matcher, partner
from workflows.steps.speaking import forward_to_animators, tell_animators, tell_member

APPROVE, CONSENT = "crossing_approve", "crossing_consent"
"""The kinds of the questions asked of the animators and of the member."""

OFF_THE_LIST = ("withdrawn", "erased", "unavailable")
"""The reasons of a peer's ``withdrawn`` that say its item left its list: the item
withdrawn, its member gone, or not open any more (paused, set aside)."""


# --- the record ---------------------------------------------------------------------------


def _peer(plan: Plan, address: str) -> Peer | None:
    return plan.settings.federation.peer(address)


def _record(plan: Plan, peer: Peer, key: str) -> dict | None:
    # A record from before the peer restarted does not answer: its numbering starts again.
    return next(iter(plan.crossings.scan(lambda d: d["peer"] == peer.address and d["key"] == key
                                         and not d.get("peer_restarted"))), None)


def update_crossing(plan: Plan, record: dict, event: str, **fields) -> dict:
    """Store ``fields`` into ``record`` (updated in place, and returned) with ``event``
    added to its history."""
    history = [*record.get("history", []), {"at": plan.stamp(), "event": event}]
    updated = plan.crossings.update(record["id"], history=history, **fields)
    record.clear()
    record.update(updated)
    return updated


def _send(plan: Plan, record: dict, kind: str, **body) -> None:
    peer = _peer(plan, record["peer"])
    if peer is not None:  # a peer taken out of the configuration gets nothing more
        federation.send(plan, peer, kind, {"id": record["key"], **body})


def _create(plan: Plan, peer: Peer, *, key: str | None, side: str, item: dict, theirs: dict, score: float) -> dict:
    ref = f"MRV-{plan.next_number('crossing')}"
    doc = {"ref": ref, "key": key or ref, "peer": peer.address, "peer_name": peer.name, "side": side,
           "item": item["ref"], "member": item["member"], "theirs": theirs, "score": score, "status": "proposed",
           "approvals": {"ours": None, "theirs": None}, "consents": {"ours": None, "theirs": None},
           "contact": None, "sent_introduced": False, "created": plan.stamp(), "closed": None,
           "close_reason": None, "history": [{"at": plan.stamp(), "event": "proposed"}]}
    record = plan.crossings.get(plan.crossings.insert(doc))
    ask_approval(plan, record)
    return record


# --- what the mails say --------------------------------------------------------------------


def crossing_view(plan: Plan, record: dict) -> dict:
    """The context every mail about ``record`` shares: its ref, the peer's name, our side,
    our item (public view) and theirs (their shared entry)."""
    item = find_item(plan, record["item"]) or {"ref": record["item"], "kind": record["side"], "title": ""}
    theirs = record["theirs"]
    return {"crossing": {"ref": record["ref"], "score": record["score"], "status": record["status"]},
            "intro": {"ref": record["ref"]}, "peer": record["peer_name"], "side": record["side"],
            "own_item": public_item(item),
            "other_item": {**{k: theirs.get(k) for k in ("ref", "kind", "title", "modality", "availability")},
                           "place": None},
            "other": {"first_name": None}}


def ask_approval(plan: Plan, record: dict, *, reminder: bool = False, animators: list[str] | None = None,
                 valid_days: int | None = None) -> None:
    """Ask our animators (``animators``: these only — a reminder goes to who has not
    answered, :func:`workflows.steps.followups.followups`) to approve our side of
    ``record``, within ``valid_days`` (default ``[introductions] expiry_days``; a reminder
    keeps the first question's); never the peer's team, which its own robot asks."""
    member = find_ref(plan, record["member"]) or {}
    values = {**crossing_view(plan, record), "own_member": {"ref": record["member"], "name": redact(member.get("name"))},
              "reminder": reminder}
    for animator in plan.settings.network.animators if animators is None else animators:
        questions.ask(plan, kind=APPROVE, subject_ref=record["ref"], address=animator, template="crossing_proposal",
                      values=values, cause=f"{record['ref']}:approve", to_member=False,
                      valid_days=valid_days or plan.settings.introductions.expiry_days,
                      data={"crossing": record["ref"], "reminder": reminder})


def ask_consent(plan: Plan, record: dict, *, reminder: bool = False, valid_days: int | None = None) -> None:
    """Ask our member within ``valid_days`` (as :func:`ask_approval`; again when
    ``reminder``: never the peer's member, whom its own robot reminds); the question
    says what would cross: the first name the robot can tell
    (:func:`workflows.model.privacy.public_member`; none: it asks how they want to be
    named, as the join confirmation does) and the chosen contact."""
    member = find_ref(plan, record["member"])
    if member is None:
        return
    shared = choose_contact(member)
    value = {"email": member.get("address"), "phone": readable_phone(member.get("phone"))}.get(shared.contact)
    questions.ask_member(plan, member, kind=CONSENT, subject_ref=record["ref"], template="crossing_consent",
                         values={**crossing_view(plan, record), "reminder": reminder,
                                 "shared": {"contact": shared.contact, "value": value,
                                            "first_name": public_member(member).first_name}},
                         cause=f"{record['ref']}:consent",
                         valid_days=valid_days or plan.settings.introductions.expiry_days,
                         data={"crossing": record["ref"], "reminder": reminder})


def _advance(plan: Plan, record: dict) -> None:
    """Do what ``record`` waits for (:func:`workflows.model.federated_introductions.due`)."""
    step = due(record)
    if step == "ask_consent":
        update_crossing(plan, record, "both teams approved", status="consent")
        ask_consent(plan, record)
    elif step == "send_introduced":
        member = find_ref(plan, record["member"])
        if member is None:
            return
        contact = record["contact"] or choose_contact(member).contact
        value = {"email": member.get("address"), "phone": readable_phone(member.get("phone"))}.get(contact)
        named = public_member(member).first_name
        _send(plan, record, "introduced", **introduced_body(record["key"], named, contact, value))
        update_crossing(plan, record, "our member's first name and contact sent" if named else "our member's contact sent "
                "(no first name known)", sent_introduced=True, named=named is not None)


def _close(plan: Plan, record: dict, reason: str, *, ours: bool, event: str) -> None:
    """End ``record`` for ``reason`` (:data:`REASONS`, or ``restarted``): its questions
    cancelled; our member, if already asked for consent, told it will not go ahead (never
    why nor by whom); when the peer ended it (``ours`` false), our animators told — an
    introduction made « ended », one still being decided « will not take place », and
    whether the mail that gave our member the other's first name and contact had already
    left; when we did, the peer told (``withdrawn``; never for ``restarted``: it knows
    nothing of it). An introduction already made stays made, but that mail leaves the
    outbox."""
    asked, pending = record["status"] == "consent", record["status"] in PENDING
    questions.cancel_open(plan, subject_ref=record["ref"])
    delivered = _forget_theirs(plan, record)
    if pending:
        update_crossing(plan, record, event, status=CLOSED_BY[reason], closed=plan.stamp(), close_reason=reason)
    else:
        # Made: whether our member got the other's contact decides if a bilan is asked.
        update_crossing(plan, record, event, close_reason=reason, delivered=delivered)
    if ours:
        _send(plan, record, "withdrawn", reason=reason)
    else:
        tell_animators(plan, template="crossing_closed",
                       values={**crossing_view(plan, record), "reason": reason, "asked": asked, "made": not pending,
                               "delivered": delivered}, purpose="crossing_closed", cause=f"{record['ref']}:closed")
    # Our member is told as for a local introduction: not when they withdrew the item or
    # are being erased themselves.
    if asked and (not ours or reason in ("declined", "expired")):
        tell_member(plan, find_ref(plan, record["member"]), template="introduction_cancelled",
                    values=crossing_view(plan, record), purpose="introduction_cancelled",
                    cause=f"{record['ref']}:cancelled")
    # Our item waited on this one (:func:`workflows.steps.matcher.engaged`): free again, it
    # may meet someone here — unless it or its member is leaving.
    item = find_item(plan, record["item"])
    if pending and reason not in ("withdrawn", "erased") and item is not None:
        introductions.match_item(plan, item)


def _forget_theirs(plan: Plan, record: dict) -> bool:
    """The introduction mail holding the other member's first name and contact leaves the
    outbox (queued: it never leaves; sent: the copy kept): this network keeps nothing of a
    member it does not have. True when it had already left — our member has it; its
    copies outside the store (``[transport] sent_folder``, a folder transport's file) are
    then taken out by the shell once the plan is written
    (:meth:`workflows.decision.Plan.erased_copies`), found by Message-ID: the contact
    itself is kept nowhere to look for. The Message-ID comes from the outbox, or from
    the record (``introduction_id``) once the outbox pruned the mail (after
    :data:`workflows.shell.housekeeping.KEEP_DAYS`); the record then forgets it."""
    dropped = plan.drop_queued(purpose="crossing_introduction", cause=record["ref"])
    kept = list(plan.outbox.scan(lambda m: m.get("purpose") == "crossing_introduction"
                                 and m.get("cause") == record["ref"]))
    left = [mail["message_id"] for mail in kept if mail.get("status") == "sent"]
    for mail in kept:
        plan.outbox.delete(mail["id"])
    recorded = record.get("introduction_id")
    if recorded and not dropped and not kept:  # pruned from the outbox: it had left
        left.append(recorded)
    if recorded:
        plan.crossings.update(record["id"], introduction_id=None)
    if left:
        plan.erased_copies(record["ref"], sorted(set(left)))
    return bool(left)


# --- matching across -------------------------------------------------------------------------


def _tried(plan: Plan) -> set[tuple[str, str, str]]:
    """Every ``(demand ref, peer, offer ref)`` already proposed across: never proposed
    again, whatever became of it — but for a proposal the peer answered ``unavailable``
    (its offer was not on its list any more: paused, set aside, withdrawn), once a
    catalogue of that peer received after that answer lists the offer again
    (:func:`_back_on_the_list`): the pair ended for the offer's absence alone, not for
    anyone's no."""
    catalogue_at = {p.address: federation.peer_state(plan, p).get("catalogue_at")
                    for p in plan.settings.federation.peers}
    return {(r["item"], r["peer"], r["theirs"].get("ref"))
            for r in plan.crossings.scan(lambda d: d["side"] == "demand" and not d.get("peer_restarted"))
            if not _back_on_the_list(r, catalogue_at.get(r["peer"]))}


def _back_on_the_list(record: dict, catalogue_at: str | None) -> bool:
    """True when ``record`` ended only because the peer's offer was unavailable, and the
    peer's catalogue was received after (``catalogue_at``, UTC ISO): whatever that
    catalogue lists is available again. The catalogue held at the refusal still listed
    the offer: proposing from it again would meet the same answer."""
    return (record.get("close_reason") == "unavailable" and bool(record.get("closed")) and bool(catalogue_at)
            and datetime.fromisoformat(catalogue_at) > datetime.fromisoformat(record["closed"]))


def propose_across(plan: Plan, only: set[str] | None = None) -> list[str]:
    """Each open demand shared with linked networks (``Réseaux voisins : oui``) of a
    confirmed member (of ``only``, a set of refs, when given), engaged neither in a local
    introduction nor in one across (:func:`workflows.steps.matcher.engaged`: one proposal at
    a time, and one served is not matched again), that finds no
    local offer now (:func:`workflows.steps.matcher.partner`), is matched against the
    offers the linked peers share (titles, :func:`workflows.model.matching.score_titles`,
    ``[matching] min_score``); the best becomes ``MRV-<n>``: our animators asked to
    approve, the peer sent the ``proposal``. A pair once proposed never is again, but
    one the peer answered ``unavailable`` whose offer a later catalogue lists again
    (:func:`_tried`). Returns
    ``"MRV-<n> with <peer name>"`` for each."""
    peers = [p for p in plan.settings.federation.peers if federation.peer_state(plan, p).get("linked")]
    offers = [(p.address, entry) for p in peers for entry in federation.peer_state(plan, p).get("catalogue") or ()]
    if not offers:
        return []
    m = matcher(plan)
    confirmed = {member["ref"] for member in plan.members.find("status", "confirmed")}
    tried = _tried(plan)
    done = []
    for demand in plan.items.scan(lambda d: d["status"] == "open" and d["kind"] == "demand" and d.get("shared") is True
                                  and (only is None or d["ref"] in only)):
        if demand["member"] not in confirmed or group_holding(plan, demand) is not None \
                or item_busy("demand", engaged(plan, m, demand["ref"])) or partner(plan, m, demand) is not None:
            continue
        found = best_offer(demand["title"], offers, lambda o, d: score_titles(m.index.analyzer, o, d).score,
                           plan.settings.matching.min_score,
                           {(peer, ref) for item, peer, ref in tried if item == demand["ref"]})
        if found is None:
            continue
        address, entry, score = found
        peer = _peer(plan, address)
        record = _create(plan, peer, key=None, side="demand", item=demand, theirs=entry, score=score)
        mine = shared_entry(demand)
        mine["title"], mine["availability"] = redact(mine["title"]), redact(mine.get("availability"))
        _send(plan, record, "proposal", offer=entry["ref"], demand=mine, score=score)
        plan.audit.info("%s proposed across: %s ↔ %s of %s (%.2f)", record["ref"], demand["ref"], entry["ref"],
                        peer.name, score)
        tried.add((demand["ref"], address, entry["ref"]))
        done.append(Said("{ref} with {peer}", ref=record["ref"], peer=peer.name))
    return done


def on_items_opened(plan: Plan, items: list[dict]) -> None:
    """Items just opened (:func:`workflows.steps.items.to_matching`, after the matching here
    and the groups'): a shared demand among them that found no partner here is matched
    across in the same cycle (:func:`propose_across`), not at the next hourly run."""
    refs = {item["ref"] for item in items if item["kind"] == "demand" and item.get("shared") is True}
    if refs:
        propose_across(plan, refs)


def expire(plan: Plan) -> list[str]:
    """Records still being decided ``[introductions] expiry_days`` after their last step
    (twice that from their creation: both teams and both members answer in turn) end as
    ``expired``, the peer told. Returns their refs."""
    limit = timedelta(days=2 * plan.settings.introductions.expiry_days)
    done = []
    for status in PENDING:
        for record in plan.crossings.find("status", status):
            if plan.now - datetime.fromisoformat(record["created"]) >= limit:
                _close(plan, record, "expired", ours=True, event="expired")
                done.append(Said("{ref} expired", ref=record["ref"]))
    return done


def linked_work(plan: Plan, asked: bool = False) -> list[str]:
    """The hourly job of linked networks: :func:`workflows.steps.federation.share`
    (``asked``: by an operator, now), then the expiry of cross-network introductions left
    unanswered and the matching across (:func:`propose_across`). Returns what was done."""
    return [*federation.share(plan, asked=asked), *expire(plan), *propose_across(plan)]


# --- a peer's messages -------------------------------------------------------------------------


def on_federation(plan: Plan, incoming: Incoming, peer: Peer, received: Received) -> str:
    """``federation`` past :data:`workflows.routes.PEER`: recorded by
    :func:`workflows.steps.federation.on_federation`; the kinds of :data:`KINDS` acted on
    here (:func:`on_message`); a new catalogue is matched across at once; a peer that
    restarted from an empty store first ends what was under way with it
    (:func:`forget_peer`)."""
    outcome = federation.on_federation(plan, incoming, peer, received, more=on_message, restarted=forget_peer)
    if received.kind == "catalogue":
        outcome = joined([outcome, *(Said("{line} proposed", line=line) for line in propose_across(plan))])
    return outcome


def _suspicious(plan: Plan, incoming: Incoming, peer: Peer, problem: str) -> str:
    forward_to_animators(plan, incoming, reason="federation_bad_message", purpose="federation_refused",
                         peer=peer.name, problem=problem)
    return Said("federation: {problem}, from {name}: forwarded", problem=problem, name=peer.name)


def on_message(plan: Plan, incoming: Incoming, peer: Peer, received: Received) -> str | None:
    """A message of a cross-network introduction from ``peer`` (signature, addressee and
    sequence number checked): ``proposal`` makes our record and asks our animators;
    ``approval``/``consent`` record the peer's side and do what is then due; ``introduced``
    gives our member the other's first name and contact; ``withdrawn`` ends it here. One
    that names no record of ours, or comes out of turn, goes to the animators. None for a
    kind not of :data:`KINDS`."""
    if received.kind not in KINDS:
        return None
    if received.kind == "proposal":
        return _on_proposal(plan, incoming, peer, received.body)
    key = read_id(received.body)
    record = _record(plan, peer, key) if key else None
    if record is None:
        return _suspicious(plan, incoming, peer, f"{received.kind} about no introduction of ours")
    if received.kind == "withdrawn":
        reason = read_reason(received.body)
        if reason in OFF_THE_LIST and federation.drop_entry(plan, peer, record["theirs"].get("ref")):
            plan.audit.info("federation: %s of %s dropped from its catalogue kept here (%s)",
                            record["theirs"].get("ref"), peer.name, reason)
        if record["status"] not in PENDING and record.get("close_reason"):
            return Said("federation: {record} already ended", record=record['ref'])
        _close(plan, record, reason, ours=False, event=f"{reason} by {peer.name}")
        return Said("federation: {record} {reason} by {name}", record=record['ref'], reason=reason, name=peer.name)
    if received.kind == "approval" and record["status"] == "proposed":
        update_crossing(plan, record, f"approved by {peer.name}", approvals={**record["approvals"], "theirs": "yes"})
    elif received.kind == "consent" and record["status"] == "consent":
        update_crossing(plan, record, "their member consented", consents={**record["consents"], "theirs": "yes"})
    elif received.kind == "introduced" and record["status"] == "consent" and record["sent_introduced"]:
        return _introduce(plan, incoming, peer, record, received.body)
    else:
        return _suspicious(plan, incoming, peer, f"{received.kind} out of turn for {record['ref']} ({record['status']})")
    _advance(plan, record)
    return Said("federation: {kind} of {name} for {record}", kind=received.kind, name=peer.name, record=record['ref'])


def _on_proposal(plan: Plan, incoming: Incoming, peer: Peer, body: dict) -> str:
    found = read_proposal(body)
    if found is None:
        return _suspicious(plan, incoming, peer, "a proposal not of the expected form")
    if _record(plan, peer, found["id"]) is not None:
        return _suspicious(plan, incoming, peer, f"proposal {found['id']} received twice")
    offer = find_item(plan, found["offer"])
    member = find_ref(plan, offer["member"]) if offer else None
    if offer is None or offer["kind"] != "offer" or offer["status"] != "open" or offer.get("shared") is not True \
            or member is None or member["status"] != "confirmed":
        federation.send(plan, peer, "withdrawn", {"id": found["id"], "reason": "unavailable"})
        # The peer's copy of our list named it: renewed at the next catalogue, which tells
        # it when the offer is back (a pause ended) and may be proposed again.
        federation.share_again(plan, peer)
        return Said("federation: proposal {id} of {name}: {offer} not available", id=found['id'], name=peer.name, offer=found['offer'])
    record = _create(plan, peer, key=found["id"], side="offer", item=offer, theirs=found["demand"],
                     score=found["score"])
    return Said("federation: proposal {id} of {name}: {record}, approval asked", id=found['id'], name=peer.name, record=record['ref'])


def _introduce(plan: Plan, incoming: Incoming, peer: Peer, record: dict, body: dict) -> str:
    """The peer's member's first name (when its robot knew one) and chosen contact, both
    having consented: into our member's introduction mail at once, never into a record.
    The mail says what crossed of our member: their first name, or none (then they
    introduce themselves)."""
    other = read_introduced(body)
    if other is None:
        return _suspicious(plan, incoming, peer, f"an introduction of {record['ref']} not of the expected form")
    member = find_ref(plan, record["member"])
    update_crossing(plan, record, f"introduced ({peer.name}'s member's first name and contact received)",
            status="introduced", consents={**record["consents"], "theirs": "yes"})
    sent = tell_member(plan, member, template="crossing_introduction", purpose="crossing_introduction",
                       cause=record["ref"],
                       values={**crossing_view(plan, record), "other": other, "peer_address": peer.address,
                               "own_contact": record["contact"],
                               # What crossed of our member: a first name only when one was sent.
                               "own_first_name": public_member(member).first_name if record.get("named", True)
                               else None,
                               "recipient": {"name": (member or {}).get("name"),
                                             "first_name": (member or {}).get("first_name")}})
    if sent:  # its copies are found by it once the other member leaves (:func:`_forget_theirs`)
        plan.crossings.update(record["id"], introduction_id=sent)
    return Said("federation: {record} introduced", record=record['ref'])


# --- our animators' and member's answers ----------------------------------------------------


def _take_answer(plan: Plan, incoming: Incoming, question: dict, answer: str, status: str,
                 kind: str) -> tuple[dict, str | None]:
    """The record ``question`` is about, its answer settled (the same question asked of
    the other animators cancelled); or, instead of the record, the outcome already
    decided: the record no longer ``status`` (the question closed), an unclear answer (a
    clarification asked, ``kind``: ``approve`` or ``consent``)."""
    record = plan.crossings.find_one("ref", question["data"].get("crossing"))
    if record is None or record["status"] != status:
        questions.close(plan, question, status="cancelled", answer=answer, message_id=incoming.parsed.message_id)
        return {}, Said("ignored: {ref} is no longer waiting for {kind}", ref=question["subject_ref"], kind=kind)
    if answer == "unclear":
        return {}, questions.clarify(plan, incoming, question, template="introduction_clarify",
                                     values={**_pair_view(plan, record), "kind": kind})
    questions.settle(plan, question, answer=answer, message_id=incoming.parsed.message_id)
    return record, None


def _pair_view(plan: Plan, record: dict) -> dict:
    """:func:`_view` with its two items as ``offer`` and ``demand`` too (the mails shared
    with local introductions: clarification, who decided)."""
    view = crossing_view(plan, record)
    offer, demand = (view["own_item"], view["other_item"]) if record["side"] == "offer" \
        else (view["other_item"], view["own_item"])
    return {**view, "offer": offer, "demand": demand}


def deciders(plan: Plan, record: dict) -> list[str]:
    """The animators who may approve our side of ``record``: all but our member when they
    are one of our animators (they do not decide about themselves); all of them when they
    are the only one (their answer then counts, and is noted)."""
    address = ((find_ref(plan, record["member"]) or {}).get("address") or "").lower()
    animators = list(plan.settings.network.animators)
    return [a for a in animators if a.lower() != address] or animators


def refuse_a_party(plan: Plan, incoming: Incoming, question: dict) -> str | None:
    """The conflict-of-interest rule of a crossing's approval
    (:data:`workflows.routes.NOT_A_PARTY`), as for a local one: an animator who is our
    member in ``MRV-<n>`` does not approve their own side while another animator can
    (:func:`deciders`). None when they may; else their answer is not counted
    (:func:`workflows.steps.introductions.party_not_counted`) and the outcome returned."""
    record = plan.crossings.find_one("ref", question["data"].get("crossing"))
    if record is None or record["status"] != "proposed" or question["address"] in deciders(plan, record):
        return None  # the step closes a question about what is gone
    return introductions.party_not_counted(
        plan, incoming, question, incoming.parsed.answer or "unclear", ref=record["ref"],
        context=_pair_view(plan, record), deciders=deciders(plan, record),
        note=lambda event: update_crossing(plan, record, event))


def on_approve_answer(plan: Plan, incoming: Incoming, question: dict, answer: str) -> str:
    """An animator's OUI/NON on ``MRV-<n>`` (the first answer wins: the others' questions
    cancelled, and they are told who decided, as for a local introduction). OUI: the peer
    told (``approval``), our member asked once the peer's team approved too; NON: ended,
    the peer told (``withdrawn``, ``refused``). Our member, if an animator, decides only
    when no other animator can (:func:`refuse_a_party`); it is noted."""
    record, early = _take_answer(plan, incoming, question, answer, "proposed", "approve")
    if early:
        return early
    decided_by = question["address"]
    tell_animators(plan, template="introduction_decided",
                   values={**_pair_view(plan, record), "decision": answer, "decided_by": decided_by},
                   purpose="introduction_decided", cause=f"{record['ref']}:decided",
                   only=[a for a in plan.settings.network.animators if a != decided_by])
    noted = ""
    if decided_by.lower() == ((find_ref(plan, record["member"]) or {}).get("address") or "").lower():
        plan.audit.warning("%s: %s, our member, decided %s: no other animator to decide", record["ref"], decided_by,
                           answer)
        noted = " (our member: no other animator)"
    if answer == "no":
        _close(plan, record, "refused", ours=True, event=f"refused by {decided_by}{noted}")
        return Said("{record} refused by an animator", record=record['ref'])
    update_crossing(plan, record, f"approved by {decided_by}{noted}", approvals={**record["approvals"], "ours": "yes"})
    _send(plan, record, "approval")
    _advance(plan, record)
    return Said("{record} approved by an animator", record=record['ref'])


def on_consent_answer(plan: Plan, incoming: Incoming, question: dict, answer: str) -> str:
    """Our member's OUI/NON to ``MRV-<n>``. OUI: their contact choice kept (a ``Contact :``
    line of the answer, else their preference), how they want to be named (a ``Prénom :``
    line: kept as their first name, as when answering the join confirmation), the peer
    told (``consent``), and once the other member consented too, their first name (when
    one is known) and contact sent to the peer. NON: ended, our member told it will not go
    ahead, the peer told (``withdrawn``, ``declined``)."""
    record, early = _take_answer(plan, incoming, question, answer, "consent", "consent")
    if early:
        return early
    member = find_ref(plan, record["member"]) or {}
    if member:
        consents.record(plan, member=member["ref"], purpose="introduction", subject_ref=record["ref"],
                        given=answer == "yes", how="mail", message_id=incoming.parsed.message_id)
    if answer == "no":
        _close(plan, record, "declined", ours=True, event="our member declined")
        return Said("{record} declined", record=record['ref'])
    contact = choose_contact(member, incoming.parsed.member.contact).contact
    named = first_name(None, incoming.parsed.member.first_name)
    if member and named and named != member.get("first_name"):
        plan.members.update(member["id"], first_name=named[:NAME_MAX])
    update_crossing(plan, record, "our member consented", consents={**record["consents"], "ours": "yes"}, contact=contact)
    _send(plan, record, "consent")
    _advance(plan, record)
    questions.pass_on_remarks(plan, incoming, question, answer)
    if record["sent_introduced"]:
        return Said("{record} consent: yes, introduction sent", record=record["ref"])
    return Said("{record} consent: yes", record=record["ref"])


# --- withdrawal and erasure ----------------------------------------------------------------------


def on_item_closed(plan: Plan, item_ref: str) -> None:
    """Our item was withdrawn: each cross-network introduction about it ends (still being
    decided: cancelled, our member told if asked; made: what we held goes), the peer told
    (``withdrawn``)."""
    for record in list(plan.crossings.scan(lambda d: d["item"] == item_ref and not d.get("close_reason"))):
        _close(plan, record, "withdrawn", ours=True, event="our item withdrawn")


def forget_member(plan: Plan, member_ref: str) -> None:
    """Before ``member_ref`` is erased: each cross-network introduction of theirs ends
    (the peer told ``withdrawn``, ``erased``: it erases what it held of them) and keeps
    nothing of them (``member`` None): their bilan keeps only whether the exchange took
    place and when, as a local introduction's (their bilan question is deleted with
    their questions)."""
    for record in list(plan.crossings.scan(lambda d: d["member"] == member_ref)):
        if not record.get("close_reason"):
            _close(plan, record, "erased", ours=True, event="our member left")
        bilan = record.get("bilan")
        kept = {"bilan": {"happened": bilan.get("happened"), "at": bilan.get("at")}} if bilan else {}
        update_crossing(plan, record, "our member erased", member=None, **kept)


def forget_peer(plan: Plan, peer: Peer) -> None:
    """``peer`` restarted from an empty store (a newer epoch): it knows nothing any more of
    the introductions with it, and numbers its own from ``MRV-1`` again. Each not yet
    ended ends here alone (nothing sent: it has nothing to end), as for an expiry: one
    still being decided ``expired`` (our animators told, our member too if asked, our
    item free again), one made keeps nothing of its member (the mail that gave our member
    its first name and contact leaves the outbox: the peer can no longer tell us its
    member left; our animators told). Every record with it then stops answering to its
    key, and its pairs may be proposed again (its references now name other items)."""
    for record in list(plan.crossings.scan(lambda d: d["peer"] == peer.address and not d.get("peer_restarted"))):
        if not record.get("close_reason"):
            _close(plan, record, "restarted", ours=False, event=f"{peer.name} restarted from an empty store")
        update_crossing(plan, record, "detached: the peer restarted", peer_restarted=plan.stamp())


# --- what animators see ----------------------------------------------------------------------------


def in_progress(plan: Plan, peer: Peer) -> list[dict]:
    """The cross-network introductions with ``peer`` still being decided:
    ``{"ref", "side", "item", "theirs", "status", "approvals", "consents", "created"}``."""
    return [{k: r[k] for k in ("ref", "side", "item", "theirs", "status", "approvals", "consents", "created")}
            for r in plan.crossings.find("peer", peer.address) if r["status"] in PENDING]
