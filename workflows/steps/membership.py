"""Membership: joining with double opt-in, offers and demands, leaving.

protocol.md, "People and addresses", "Intents", "Replies", "Members without an email
address". Anyone can forge a From line, so every act that binds a person waits for that
person's answer to a question only they received (:mod:`workflows.steps.questions`):

* ``join`` — and a non-member's ``offer``/``demand`` — records a *pending* member and
  their items (``held``) and asks the question ``join`` (template ``join_confirm``, with
  the charter and the privacy notice of :mod:`workflows.model.charter`). ``OUI``: confirmed, a
  consent recorded (:mod:`workflows.steps.consents`), the items released to matching; ``NON``:
  the pending data erased. No answer: :func:`expire_pending` erases it after
  ``pending_days``.
* ``withdraw`` (``RETRAIT``) asks the member (question ``withdraw``); ``OUI`` erases
  everything (:func:`workflows.steps.erasure.erase_member`) and says goodbye. Only a
  plain yes counts (« oui », « OUI merci », « je confirme »):
  « Oui, je veux rester membre ! » gets the clarification question.
* ``ADHÉSION POUR`` (an animator's ``event_command`` named ``register``) and
  ``rers members add`` register a member without an address, consent given in person
  (:func:`register_member`).

Withdrawing one item is :mod:`workflows.steps.items`; a message of preferences alone,
:mod:`workflows.steps.preferences`.

Every question and answer counts against the person's ``max_replies_per_day``: a forged
message repeated a hundred times costs its victim at most that many mails a day.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from workflows.decision import Incoming, Plan, Refused
from workflows.lookup import find_ref, items_of
from workflows.mail.first_names import first_name
from workflows.mail.model import CONTACTS, Item, MemberFields
from workflows.mail.sender import person_name
from workflows.mail.textutil import fold
from workflows.model import charter
from workflows.model.members import NAME_MAX
from workflows.steps import consents, questions, standing
from workflows.steps.erasure import erase_member
from workflows.steps.invitations import follow_preference, invite_member, invitee_of
from workflows.steps.items import new_items, record_for_confirmed, record_items, refs, release_held, tell_too_many, to_matching, too_many
from workflows.steps.people import ensure_member, new_member, who_wrote
from workflows.steps.questions import destructive, may_ask, settle_or_clarify
from workflows.steps.speaking import answer_sender, forward_the_rest, forward_to_animators, reply_id, tell_animators
from workflows.model.said import Said


JOIN, WITHDRAW = "join", "withdraw"
"""The question kinds this module asks and answers."""


# --- joining, offers and demands --------------------------------------------------------


def on_join(plan: Plan, incoming: Incoming) -> str:
    """``join``: a new or pending person gets the confirmation question (double opt-in),
    their items held; a confirmed member is told they already are one (their items, if
    any, recorded and matched)."""
    address, member = who_wrote(plan, incoming)
    if not address:
        forward_to_animators(plan, incoming, reason="join_no_address")
        return Said("forwarded: no address")
    forward_the_rest(plan, incoming)
    if member is not None and member["status"] == "confirmed":
        items = record_for_confirmed(plan, incoming, member).items
        answer_sender(plan, incoming, template="join_ack", values={"member": member, "items": items},
                      purpose="join_ack")
        return Said("join: {member} already a member{refs}", member=member["ref"], refs=refs(items))
    return ask_to_join(plan, incoming, address)


def ask_to_join(plan: Plan, incoming: Incoming, address: str, *, relayed: bool = False) -> str:
    """Record the pending member and held items, then ask the join question: a join, and
    a non-member's offer or demand (:data:`workflows.routes.ROUTES`). ``relayed``: the
    request of the person at ``address`` forwarded by someone else
    (:func:`workflows.steps.relayed.on_relayed`):
    named as the forwarded message names them, asked outside the forwarder's thread."""
    parsed = incoming.parsed
    display_name = parsed.forwarded_name if relayed else person_name(incoming.parsed)
    member, created = ensure_member(plan, address, parsed.member, display_name)
    fresh = new_items(plan, member, parsed.items)[0]  # held already: listed again in the question
    stored = record_items(plan, member, fresh, parsed.message_id)
    outcome = (Said("join {member} new{refs}", member=member["ref"], refs=refs(stored)) if created
               else Said("join {member} pending{refs}", member=member["ref"], refs=refs(stored)))
    left_out = too_many(plan, member, len(fresh), stored)
    if left_out:
        # The person is told nothing more than the confirmation request, which lists what
        # was kept: an answer of its own would be one more mail to an address that may
        # not be theirs.
        tell_too_many(plan, incoming, member, left_out)
        outcome = Said("{outcome}, {dropped} not recorded (too many)", outcome=outcome, dropped=left_out["dropped"])
    if not may_ask(plan, incoming, address, JOIN):
        return Said("{outcome} (question withheld)", outcome=outcome)
    if relayed:  # the forwarder's Message-ID stays theirs: the person's question starts its own thread
        ask_join(plan, member, cause=parsed.message_id)
    else:
        ask_join(plan, member, cause=parsed.message_id, in_reply_to=reply_id(parsed.message_id),
                 auto_submitted="auto-replied")
    # No audit line of its own: the runner logs the outcome returned (« join → join M-21
    # new O-309, confirmation asked »); one here said it twice.
    return Said("{outcome}, confirmation asked", outcome=outcome)


def ask_join(plan: Plan, member: dict, *, cause: str, in_reply_to: str | None = None,
             auto_submitted: str = "auto-generated") -> None:
    """Ask the pending ``member`` the question ``join`` (``join_confirm``, with the texts
    to agree to and their held items), valid ``pending_days``. Who may be asked, and how
    often, is the caller's business (:func:`workflows.steps.questions.may_ask`)."""
    texts = plan.resources.texts
    pending_days = plan.settings.membership.pending_days
    questions.ask(
        plan,
        kind=JOIN,
        subject_ref=member["ref"],
        member=member["ref"],
        address=member["address"],
        to_name=member.get("name"),
        template="join_confirm",
        values={
            "member": member,
            # None: the robot cannot tell a first name in the name given; the person is
            # asked how to be named (« un membre » meanwhile), never shown a guess.
            "first_name": first_name(member.get("name"), member.get("first_name")),
            "items": items_of(plan, member["ref"], "held"),
            "texts": texts,
            "pending_days": pending_days,
            "deadline": datetime.fromisoformat(member["created"]) + timedelta(days=pending_days),
        },
        cause=cause,
        valid_days=pending_days,
        data={"texts": charter.records(texts)},
        in_reply_to=in_reply_to,
        auto_submitted=auto_submitted,
    )


def ask_join_again(plan: Plan, member: dict, by: str) -> None:
    """``rers members ask M-14``: an animator sends a pending member their confirmation
    request now — one the network's bound on join questions held back, or one that was
    lost. Outside that bound and the daily answer limit (an animator's act). Raises
    :class:`workflows.decision.Refused`, saying why, for a confirmed member or one without
    an address."""
    if member["status"] == "confirmed":
        raise Refused("{ref} is already a confirmed member", ref=member["ref"])
    if not member.get("address"):
        raise Refused("{ref} has no e-mail address", ref=member["ref"])
    ask_join(plan, member, cause=f"members-ask:{member['ref']}:{plan.stamp()}")
    plan.audit.info("%s: confirmation request sent by an animator (%s)", member["ref"], by)


def on_join_answer(plan: Plan, incoming: Incoming, question: dict, answer: str) -> str:
    """Answer to ``join``: ``yes`` confirms (consent recorded with the texts the question
    carried, held items released to matching); ``no`` erases the pending data;
    ``unclear`` asks once more."""
    parsed = incoming.parsed
    member = find_ref(plan, question["member"])
    early = settle_or_clarify(plan, incoming, question, answer, member)
    if early:
        return early
    if answer == "no":
        if member["status"] == "confirmed":  # a stale copy of the question: nothing to undo
            return Said("join answer no: {member} already confirmed", member=member['ref'])
        erase_member(plan, member, reason="join_declined", by="member")
        answer_sender(plan, incoming, template="join_done", values={"confirmed": False, "member": None, "items": [], "standing": []},
                      purpose="join_done", forget_after_send=True)
        return Said("join declined: {member} erased", member=member['ref'])
    if member["status"] != "confirmed":
        member = plan.members.update(member["id"], status="confirmed", confirmed=plan.stamp())
    named = parsed.member.first_name
    if named and not member.get("first_name"):  # how to be named, answering the question
        member = plan.members.update(member["id"], first_name=named[:NAME_MAX])
    consents.record(plan, member=member["ref"], purpose="membership", how="mail", message_id=parsed.message_id,
                    texts=question["data"].get("texts"))
    released = release_held(plan, member["ref"])
    if released:
        to_matching(plan, released)
    invite_member(plan, member)  # nothing unless they asked for invitations
    answer_sender(plan, incoming, template="join_done", purpose="join_done",
                  values={"confirmed": True, "member": member, "items": released,
                          # « we will ask you first » is not true of these: said apart.
                          "standing": [i["ref"] for i in released if standing.in_force(member, i)]})
    questions.pass_on_remarks(plan, incoming, question, answer)
    plan.audit.info("%s: %s confirmed%s", parsed.message_id, member["ref"], refs(released))
    return Said("join confirmed: {member}{refs}", member=member["ref"], refs=refs(released))


# --- preferences ---------------------------------------------------------------------------


# --- withdrawing an item ------------------------------------------------------------------


# --- leaving ---------------------------------------------------------------------------


def not_a_member(plan: Plan, incoming: Incoming) -> str:
    """``RETRAIT`` from an address that is no member's: told the network holds nothing
    about it (the answer keeps no copy once sent)."""
    answer_sender(plan, incoming, template="not_member", values={"intent": "withdraw"}, purpose="not_member",
                  forget_after_send=True)
    return Said("withdraw: not a member")


def on_withdraw(plan: Plan, incoming: Incoming) -> str:
    """``withdraw`` (``RETRAIT``) of a member, pending or confirmed (who may:
    :data:`workflows.routes.MEMBER`): asked to confirm."""
    parsed = incoming.parsed
    address, member = who_wrote(plan, incoming)
    if not address:
        forward_to_animators(plan, incoming, reason="withdraw_no_address")
        return Said("forwarded: no address")
    if not may_ask(plan, incoming, address, WITHDRAW):
        return Said("withdraw {member}: question withheld", member=member['ref'])
    questions.ask_member(
        plan, member, kind=WITHDRAW, subject_ref=member["ref"], template="withdraw_confirm",
        values={"items": items_of(plan, member["ref"], "open", "held")}, cause=parsed.message_id,
        in_reply_to=reply_id(parsed.message_id), auto_submitted="auto-replied",
    )
    return Said("withdraw {member}: confirmation asked", member=member['ref'])


def on_withdraw_answer(plan: Plan, incoming: Incoming, question: dict, answer: str) -> str:
    """Answer to ``withdraw``: ``yes`` erases the member (goodbye mail kept nowhere once
    sent; the animators told the ref only), ``no`` keeps everything, ``unclear`` asks
    once more."""
    parsed = incoming.parsed
    member = find_ref(plan, question["member"])
    answer = destructive(incoming, answer)
    early = settle_or_clarify(plan, incoming, question, answer, member)
    if early:
        return early
    proxy = bool(question["data"].get("proxy"))
    if answer == "no":
        answer_sender(plan, incoming, template="withdraw_done", values={"withdrawn": False, "ref": member["ref"],
                      "proxy": proxy}, purpose="withdraw_done")
        return Said("withdraw {member}: kept", member=member['ref'])
    ref = member["ref"]
    # The goodbye is the last mail (no METHOD:CANCEL follows it): it says that the events
    # once sent stay in the agenda, no longer updated.
    calendar = invitee_of(member) is not None
    erase_member(plan, member, reason="withdrawn", by="animator" if proxy else "member",
                 animator=parsed.sender if proxy else None)
    answer_sender(plan, incoming, template="withdraw_done",
                  values={"withdrawn": True, "ref": ref, "proxy": proxy, "calendar": calendar},
                  purpose="withdraw_done", forget_after_send=True, limited=False)
    # Not caused by the person's Message-ID, which may name their mail domain and would stay
    # in the outbox: by the ref, which is never given again.
    tell_animators(plan, template="withdrawal_notice",
                   values={"ref": ref, "erased_folder": plan.settings.mailbox.erased_folder},
                   purpose="withdrawal_notice", cause=f"withdrawal:{ref}")
    return Said("withdraw {ref}: erased", ref=ref)


# --- members without an e-mail address ---------------------------------------------------


def register_member(plan: Plan, *, fields: MemberFields, items: list[Item], consent: str, recorded_by: str,
                    source: str) -> tuple[dict, list[dict]]:
    """Register a confirmed member without an address (protocol.md, "Members without an
    email address"): consent given in person, as the animator noted it (``consent``, e.g.
    ``oral, à la permanence du 2026-12-07``; ``écrit``/``papier``/``signé`` in it make it
    ``written``), ``recorded_by`` naming the animator. ``items`` are recorded open and
    handed to matching. Returns ``(member, items)``. Raises
    :class:`workflows.decision.Refused` without a name or a consent."""
    if not fields.name or not consent or not consent.strip():
        raise Refused("a member registered by an animator needs a name and how consent was given")
    member = new_member(plan, address=None, fields=fields, status="confirmed", registered_by=recorded_by)
    folded = fold(consent)
    how = "written" if any(word in folded for word in ("ecrit", "papier", "signe")) else "oral"
    consents.record(plan, member=member["ref"], purpose="membership", how=how, recorded_by=recorded_by,
                    note=consent.strip(), texts=charter.records(plan.resources.texts))
    stored = record_items(plan, member, items, source)
    if stored:
        to_matching(plan, stored)
    return member, stored


EDITABLE = ("name", "phone", "contact", "invitations")
"""What an animator may change in a member's record (``rers members set``). The address
is not among them: the questions, invitations and consents of a member are bound to it."""


def set_member_fields(plan: Plan, member: dict, changes: dict, by: str) -> tuple[dict, list[str]]:
    """An animator changes ``member``'s :data:`EDITABLE` fields (``changes``: field →
    value, ``phone`` in E.164 or None to remove it, ``contact`` one of ``CONTACTS``,
    ``invitations`` a bool), as checked with the person after a forwarded request (the
    robot changes a confirmed member's name and phone only this way). A replaced name or
    phone is kept in ``former`` until the member is erased, so that the erasure finds it
    in older texts too. Invitations turned on or off send or withdraw the live events, as
    the member's own mail would. Returns ``(member after, Message-IDs queued)``. Raises
    :class:`workflows.decision.Refused`, saying why, for an unknown field, a contact the
    member cannot be reached by, or invitations for a member without an address, not
    confirmed or undeliverable.
    In a transaction; ``by`` (the animator) goes to the audit log with the names of the
    fields, never their values."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise Refused("cannot change {fields}: only {editable}", fields=", ".join(sorted(unknown)),
                      editable=", ".join(EDITABLE))
    after = {**member, **changes}
    if after.get("contact") not in (*CONTACTS, None):
        raise Refused("contact {contact!r}: one of {contacts}", contact=after["contact"], contacts=", ".join(CONTACTS))
    if changes.get("contact") == "email" and not after.get("address"):
        raise Refused("{ref} has no e-mail address: contact by email cannot be honoured", ref=member["ref"])
    if after.get("contact") == "phone" and not after.get("phone") and {"contact", "phone"} & set(changes):
        raise Refused("{ref} would have no phone number while their contact is the phone: give a phone, or another "
                      "contact", ref=member["ref"])
    if changes.get("invitations"):
        if not after.get("address"):
            raise Refused("{ref} has no e-mail address: invitations cannot reach them", ref=member["ref"])
        if member["status"] != "confirmed":
            raise Refused("{ref} has not confirmed their membership yet: invitations start once they do (their join "
                          "mail may ask for them)", ref=member["ref"])
        if member.get("undeliverable"):
            raise Refused("{ref}'s address is marked undeliverable (a bounce): invitations would not reach them; it "
                          "clears when they write again", ref=member["ref"])
    changed = {k: v for k, v in changes.items() if member.get(k) != v}
    if not changed:
        return member, []
    replaced = {k: member.get(k) for k in ("name", "phone") if k in changed and member.get(k)}
    if replaced:
        # Older texts (an item, a bilan, a note) may still hold them: an erasure must find them.
        changed["former"] = [*(member.get("former") or []), replaced]
    updated = plan.members.update(member["id"], **changed)
    queued = follow_preference(plan, member, updated)
    plan.audit.info("%s: %s changed by %s", member["ref"], ", ".join(sorted(set(changed) - {"former"})), by)
    return updated, queued


def namesakes(plan: Plan, member: dict) -> list[str]:
    """Refs of other members with the same name (accents and case aside): a member
    registered twice by two animators shows up here."""
    name = fold(member.get("name") or "")
    return [m["ref"] for m in plan.members.scan(lambda m: fold(m.get("name") or "") == name)
            if m["ref"] != member["ref"]] if name else []


def on_register(plan: Plan, incoming: Incoming) -> str:
    """An animator's ``ADHÉSION POUR`` (``event_command`` named ``register``): register
    the member with the fields of the message, and answer the animator with the new ref
    or with what is missing (who may send it: :data:`workflows.routes.ANIMATOR`)."""
    parsed = incoming.parsed
    consent = (parsed.command or {}).get("consent")
    recorded_by = f"{parsed.sender_name} <{parsed.sender}>" if parsed.sender_name else parsed.sender
    try:
        member, items = register_member(plan, fields=parsed.member, items=parsed.items, consent=consent or "",
                                        recorded_by=recorded_by, source=parsed.message_id)
    except ValueError:
        missing = [label for label, value in (("Nom", parsed.member.name), ("Consentement", consent)) if not value]
        answer_sender(plan, incoming, template="register_done", values={"missing": missing}, purpose="register_done")
        return Said("register refused: missing {missing}", missing=", ".join(missing))
    answer_sender(plan, incoming, template="register_done",
                  values={"missing": [], "member": member, "items": items, "namesakes": namesakes(plan, member)},
                  purpose="register_done")
    plan.audit.info("%s: %s registered by an animator%s", parsed.message_id, member["ref"], refs(items))
    return Said("registered {member}{refs}", member=member["ref"], refs=refs(items))


# --- a scheduled step ----------------------------------------------------------------------


def expire_pending(plan: Plan) -> list[str]:
    """Erase the pending members who did not confirm within ``[membership] pending_days``
    of joining (their items, questions…; a tombstone kept). For the daemon's hourly job
    and ``rers members expire``. Returns the refs erased."""
    cutoff = (plan.now - timedelta(days=plan.settings.membership.pending_days)).isoformat(timespec="seconds")
    erased = []
    for member in plan.members.find("status", "pending"):
        if member["created"] <= cutoff:
            erase_member(plan, member, reason="pending_expired", by="robot")
            erased.append(member["ref"])
    return erased

