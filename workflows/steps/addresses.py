"""A member's new address (``NOUVELLE ADRESSE : nouvelle@exemple.fr``).

The member writes from their recorded address (who may: :data:`workflows.routes.OWN_ADDRESS`);
the robot asks the **new** address to confirm (question ``address_change``, its token
bound to the new address: only someone who reads it can answer), and tells the old
address it did. On OUI from the new address (:data:`workflows.routes.ADDRESSEE`), the
member moves to it (:func:`move`): their record, their open questions and their calendar
answers follow; items and consents are the member's by ref and stay theirs; mail still
queued for the old address is dropped; the calendar events that reached the old address
— the sessions of their groups too — are withdrawn there (``METHOD:CANCEL``) and sent
to the new one; the old address gets a last notice. ``rers members set M-14 --address …`` starts the same question
(:func:`ask_new_address`): an animator's word is not proof that the new address is the
member's either.

The question's mail names neither the member nor the old address: whoever reads the
new address learns nothing about anyone before answering.
"""
from __future__ import annotations

from workflows.decision import Incoming, Plan, Refused
from workflows.lookup import find_member, find_ref, is_animator
from workflows.mail.sender import is_mail_address
from workflows.steps import questions
from workflows.steps.invitations import WITHDRAWAL, invitee_of, move_invitations
from workflows.steps.people import who_wrote
from workflows.steps.speaking import answer_sender, forward_to_animators, tell_former_address, tell_member
from workflows.model.said import Said


ADDRESS_CHANGE = "address_change"
"""The question kind asked at the new address, and its template."""
NOTICE = "address_change_done"
"""The template of what the member is told (``what``: ``asked``, ``done``, ``old``, ``no``,
``not_possible``)."""


def _taken(plan: Plan, address: str) -> bool:
    """True when ``address`` is already another person's (a member's, an animator's) or the
    robot's own (the network's functional address)."""
    return (find_member(plan, address) is not None or is_animator(plan, address)
            or address.lower() == plan.settings.network.address.lower())


def ask_new_address(plan: Plan, member: dict, new: str, cause: str, by: str | None = None) -> str:
    """Ask ``new`` whether it is ``member``'s new address (question :data:`ADDRESS_CHANGE`,
    ``member``'s ref, the new address in its data); ``by``: the animator who asked
    (command line), else the member did. Returns the outcome. Raises ValueError when it
    cannot be (no address given, not an e-mail address, the member's own, someone else's,
    a member not confirmed: a :class:`workflows.decision.Refused`)."""
    new = (new or "").strip().lower()
    if not new:
        raise Refused("no new address: give one (someone@example.org)")
    if not is_mail_address(new):
        raise Refused("not a valid e-mail address: {address} (write it as someone@example.org)", address=new)
    if new == (member.get("address") or "").lower():
        raise Refused("{ref} already has this address", ref=member["ref"])
    if member.get("status") != "confirmed":
        raise Refused("{ref} has not confirmed their membership: the address of a pending member is not changed",
                      ref=member["ref"])
    if _taken(plan, new):
        raise Refused("this address is already known to the network (a member's, an animator's or the robot's "
                      "own): it cannot be this member's")
    questions.ask(plan, kind=ADDRESS_CHANGE, subject_ref=member["ref"], member=member["ref"], address=new,
                  template=ADDRESS_CHANGE, values={"by_animator": by is not None, "new": new}, cause=cause,
                  data={"new": new, "old": member.get("address"), "by": by})
    plan.audit.info("%s: %s asked to confirm a new address%s", cause, member["ref"], " (animator)" if by else "")
    return Said("address_change {member}: confirmation asked at the new address", member=member['ref'])


def on_address_change(plan: Plan, incoming: Incoming) -> str:
    """``address_change`` of a confirmed member from their own address: the question to
    the new address (:func:`ask_new_address`) and a word to the old one. No new address
    written, or one that cannot be theirs (someone else's): the member is told a person
    will look at it, and the animators get the message — never whose the address is."""
    parsed = incoming.parsed
    _, member = who_wrote(plan, incoming)
    try:
        outcome = ask_new_address(plan, member, parsed.new_address or "", parsed.message_id)
    except Refused:
        forward_to_animators(plan, incoming, reason="address_change_not_possible", purpose="address_change",
                             member=member["ref"])
        answer_sender(plan, incoming, template=NOTICE, values={"what": "not_possible", "member": member},
                      purpose=NOTICE)
        plan.audit.info("%s: address change of %s not possible (%s)", parsed.message_id, member["ref"],
                        "no address" if "@" not in (parsed.new_address or "") else "refused")
        return Said("address_change {member}: not possible, forwarded", member=member['ref'])
    # The old address is never told the new one (it may be read by someone else now).
    answer_sender(plan, incoming, template=NOTICE, values={"what": "asked", "member": member}, purpose=NOTICE)
    return outcome


def move(plan: Plan, member: dict, new: str, cause: str) -> dict:
    """Move ``member`` to the address ``new``: mail still queued for the old address
    dropped (but a calendar withdrawal), the calendar withdrawn there and sent to the new one
    (:func:`workflows.steps.invitations.move_invitations`), open questions and calendar
    answers moved, the record's address changed (``undeliverable`` cleared). Items and
    consents are the member's by ref: they stay theirs. Returns the member after."""
    old = member["address"]
    for doc in plan.outbox.find("status", "queued"):
        # A withdrawal still queued (invitations by kind changed) takes its event out of
        # the old address's agenda: the move withdraws only what is left there.
        if doc.get("recipients") == [old] and doc["purpose"] != WITHDRAWAL:
            plan.drop_queued(purpose=doc["purpose"], cause=doc.get("cause"), recipient=old)
    # The old address is kept (``former``): a message from it later reaches the animators
    # only, named as this member's former address (:func:`workflows.routes.route`).
    after = plan.members.update(member["id"], address=new, undeliverable=False, address_changed=plan.stamp(),
                                former=[*(member.get("former") or []), {"address": old}])
    for question in plan.questions.find("address", old):
        if question["status"] == "open":
            plan.questions.update(question["id"], address=new)
    for answer in plan.attendance.scan(lambda a: a.get("member") == member["ref"]):
        plan.attendance.update(answer["id"], address=new)
    move_invitations(plan, member, after)
    plan.audit.info("%s: %s moved to a new address", cause, member["ref"])
    return after


def on_address_change_answer(plan: Plan, incoming: Incoming, question: dict, answer: str) -> str:
    """Answer to ``address_change`` from the new address: OUI moves the member
    (:func:`move`) — unless meanwhile the member left, or the address became someone
    else's (then the animators get it) — and tells both addresses; NON changes nothing
    and tells the old address; unclear: asked once more."""
    member = find_ref(plan, question["member"])
    early = questions.settle_or_clarify(plan, incoming, question, answer, member)
    if early:
        return early
    ref = member["ref"]
    new = question["data"]["new"]
    old = member.get("address")
    if answer == "no":
        tell_member(plan, member, template=NOTICE, purpose=NOTICE, cause=incoming.parsed.message_id,
                    values={"what": "no"})
        plan.audit.info("%s: the new address of %s said NON", incoming.parsed.message_id, ref)
        return Said("address_change {ref}: refused at the new address, nothing changed", ref=ref)
    if member["status"] != "confirmed" or _taken(plan, new) or not old:
        forward_to_animators(plan, incoming, reason="address_change_not_possible", purpose="address_change",
                             member=ref)
        return Said("address_change {ref}: no longer possible, forwarded", ref=ref)
    # Said to the old address only when its agenda held the network's events.
    invited = invitee_of(member) is not None
    after = move(plan, member, new, incoming.parsed.message_id)
    tell_former_address(plan, member.get("name"), old, template=NOTICE,
                        values={"what": "old", "member": after, "invited": invited},
                        purpose=NOTICE, cause=f"{ref}:moved:{incoming.parsed.message_id}")
    tell_member(plan, after, template=NOTICE, purpose=NOTICE, cause=incoming.parsed.message_id, answering=incoming,
                values={"what": "done", "new": new})
    return Said("address_change {ref}: moved to the new address", ref=ref)
