"""The one way to speak: answering a person, telling a member, telling the animators.

* :func:`answer_sender` writes back to whoever sent a message, at most
  ``max_replies_per_day`` times a day per address (flood and loop safety, protocol.md
  "What the robot's own mail looks like"), never to the robot itself.
* :func:`tell_member` writes to a member — or, for one who cannot be reached by mail, to
  the animators in their stead.
* :func:`forward_to_animators` hands the animators the message untouched (attached as it
  was received) with what the robot understood and why it needs a human;
  :func:`tell_animators` gives them a notice (a decision, a member's news).

Each decides a mail in the plan (:meth:`workflows.decision.Plan.mail`); nothing is
rendered or sent here.
"""
from __future__ import annotations


from workflows.decision import Attachment, Incoming, Mail, Plan
from workflows.mail.labels import label_of
from workflows.mail.reasons import reason_text
from workflows.mail.sender import forwards_another, mailbox_key, person_address, person_name
from workflows.model.members import reachable
from workflows.model.questions import answered_token, question_message_id
from workflows.steps.people import wrote_again


def _hash(plan: Plan, address: str) -> str:
    # Daily counters outlive erasure for a day: keyed, so that the store file alone does not
    # tell whether a given address wrote (a plain SHA-256 of an address can be checked).
    # One counter per mailbox: case and +tag variants of an address share it.
    return plan.keyed_hash("reply-counter|" + mailbox_key(address))[:16]


ANIMATOR_ALLOWANCE_FACTOR = 10
"""An animator's address is answered this many times ``max_replies_per_day``: a morning
of commands (ADHÉSION POUR, RENCONTRE, MISE EN RELATION…) each gets its confirmation, and
a flood forged in an animator's name still stays bounded."""


def take_allowance(plan: Plan, address: str, kind: str = "reply", limit: int | None = None) -> bool:
    """Count one answer of ``kind`` to ``address`` today; False when the day's ``limit``
    is reached. The default limit is ``max_replies_per_day``, times
    :data:`ANIMATOR_ALLOWANCE_FACTOR` for an animator's address. Counters are per
    network-local day and per mailbox (:func:`workflows.mail.sender.mailbox_key`):
    ``Marie+1@…``, ``MARIE+2@…`` and ``marie@…`` share one."""
    if limit is None:
        network = plan.settings.network
        limit = network.max_replies_per_day
        if address in network.animators:
            limit *= ANIMATOR_ALLOWANCE_FACTOR
    key = f"{kind}|{_hash(plan, address)}|{plan.today}"
    doc = plan.replies.find_one("key", key)
    count = 0 if doc is None else doc["count"]
    if count >= limit:
        return False
    if doc is None:
        plan.replies.insert({"key": key, "count": 1, "day": plan.today})
    else:
        plan.replies.update(doc["id"], count=count + 1)
    return True


def limit_reached(plan: Plan, incoming: Incoming, address: str, purpose: str) -> None:
    """The day's answers to ``address`` are used up (maybe by messages forged in its
    name) while it asks for something it has a right to (``purpose``: its data, a
    withdrawal): the animators get the message to answer by hand. Once a day per
    address, so that a flood stays bounded for them too."""
    if take_allowance(plan, address, "limit_reached", limit=1):
        forward_to_animators(plan, incoming, reason="reply_limit", purpose="reply_limit",
                             limit=plan.settings.network.max_replies_per_day,
                             request=label_of(purpose, "purpose", plan.settings.network.language))
    else:
        plan.audit.warning("%s: %s withheld by the daily limit; the animators were told today", incoming.parsed.message_id,
                      purpose)


def answer_sender(
    plan: Plan,
    incoming: Incoming,
    *,
    template: str,
    values: dict,
    purpose: str,
    daily_kind: str | None = None,
    attachments: list[Attachment] = (),
    forget_after_send: bool = False,
    must_reach: bool = False,
    limited: bool = True,
    references: list[str] = (),
) -> str | None:
    """Decide an answer to the person who wrote ``incoming`` (``template`` filled with
    ``values``); returns its Message-ID or None when nothing is to be sent (no address, the robot itself, daily limit reached).
    ``must_reach``: an answer the person has a right to (their data, their withdrawal):
    when the daily limit withholds it, the animators are told (:func:`limit_reached`).
    ``limited=False``: outside the daily limit, for an answer that can happen once only
    (the goodbye after an erasure: nothing else may carry it, the address is gone).
    ``references``: Message-IDs put before the thread's own in References (RFC 5322
    §3.6.4), so that a reply to the answer still names them (an invitation).

    ``daily_kind`` adds a stricter limit of one such answer a day (e.g. ``"unknown_ack"``).
    The person just wrote: an address a bounce had marked undeliverable is taken as
    working again. The mail is addressed to the member's recorded name, or else to the
    From header's display name. ``attachments`` and ``forget_after_send``: see
    :class:`workflows.decision.Mail`.
    """
    parsed = incoming.parsed
    address = person_address(incoming.parsed)
    network = plan.settings.network
    if not address or address == network.address:
        return None
    if daily_kind and not take_allowance(plan, address, daily_kind, limit=1):
        plan.audit.info("%s: no %s today, one was already sent", parsed.message_id, daily_kind)
        return None
    if limited and not take_allowance(plan, address):
        plan.audit.info("%s: answer withheld, the daily limit is reached", parsed.message_id)
        if must_reach:
            limit_reached(plan, incoming, address, purpose)
        return None
    # The display name is the person's own: a member's as recorded, anyone else's From
    # name; never a "Nom :" line (an animator's ADHÉSION POUR names someone else).
    member = wrote_again(plan, address)
    # A pending member's name is what anyone claimed when joining for that address (a web
    # form's Reply-To can name any address): it is used once the address confirmed it.
    recorded = (member or {}).get("name") if (member or {}).get("status") == "confirmed" else None
    name = recorded or person_name(incoming.parsed)
    return plan.mail(
        template=template,
        to=[(name, address)],
        values=values,
        purpose=purpose,
        cause=parsed.message_id,
        in_reply_to=reply_id(parsed.message_id),
        references=list(dict.fromkeys([*references, *parsed.references])),
        auto_submitted="auto-replied",
        attachments=attachments,
        forget_after_send=forget_after_send,
    )


def forward_to_animators(plan: Plan, incoming: Incoming, *, reason: str, purpose: str = "forward",
                         without_original: bool = False, **values: object) -> str | None:
    """Hand the animators the message as received plus what the robot understood.

    ``reason``: a key of :data:`workflows.mail.reasons.REASONS` saying why a human is
    needed, its placeholders filled with ``values`` (so none is named ``purpose`` or
    ``without_original``); the mail gives it in the network's language (an unknown key
    raises :class:`KeyError`). Returns the Message-ID, or None when no animator is
    configured (logged with the key: the message stays in the done folder). The message
    is attached as it is, never parsed (:func:`workflows.mail.rfc5322.attach_original`); ``without_original``:
    not attached (the notice about a parked message when attaching it failed: the reason
    says where it is kept). « Répondre » writes to the person (``Reply-To``,
    :func:`reply_to_person`), not to the robot.

    At most ``[limits] max_forwards_per_day`` messages of one sender a day are handed
    over (:func:`_within_forward_limit`); then one notice, then nothing more that day
    (None is returned, the audit log notes each one). The reasons of
    :data:`UNCAPPED_FORWARDS` always reach the animators.
    """
    text = reason_text(reason, plan.settings.network.language, **values)
    animators = plan.settings.network.animators
    parsed = incoming.parsed
    if not animators:
        plan.audit.warning("%s: needs a human (%s) but no animator is configured", parsed.message_id, reason)
        return None
    if reason not in UNCAPPED_FORWARDS and not _within_forward_limit(plan, incoming, reason):
        return None
    reply_to = reply_to_person(plan, parsed)
    return plan.forward(reason=reason, mail=Mail(
        template="forward_animators",
        to=[(None, a) for a in animators],
        values={
            "reason": text,
            "sender": parsed.sender or label_of("unreadable_address", "field", plan.settings.network.language),
            "subject": parsed.subject,
            "intent": incoming.claimed or parsed.intent,
            "text": parsed.text,
            "reply_to": reply_to,
            # « Répondre » reaches the forwarder, not the person whose words these are: say whom.
            "reply_name": person_name(parsed),
            "forwarded": forwards_another(parsed),
        },
        purpose=purpose,
        cause=parsed.message_id,
        to_member=False,
        attachments=[] if without_original else [Attachment("original", incoming.raw)],
        reply_to=reply_to,
    ))


UNCAPPED_FORWARDS = frozenset({"parked", "reply_limit", "join_limit_hour", "join_limit_day", "forward_limit",
                               "forward_limit_forged"})
"""Forwards never held by the daily limit of a sender: the notice about a parked message
(the robot's own failure; the message is in the error folder, not the done folder, and
its sender may not even be readable), the request the person has a right to that the answer limit
withheld (``reply_limit``: already once a day per address), the network's bound on
confirmation requests (``join_limit_hour``, ``join_limit_day``: once per hour or day) and the limit's own notices.
Everything else — what the robot did not understand, refused acts (forged animator
commands and approvals, answers from the wrong address), forged mail in a member's
name — counts: the first ones show the animators what is happening, the notice says the
rest are held, and the messages stay in the done folder."""

UNREADABLE_SENDER = "<unreadable sender>"
"""The counter shared by every message whose sender cannot be read: an attacker cannot
escape the limit by writing a From no one can read."""


def _within_forward_limit(plan: Plan, incoming: Incoming, reason: str) -> bool:
    """Count one forward of ``incoming``'s sender today; False when the day's
    ``max_forwards_per_day`` is used up (times :data:`ANIMATOR_ALLOWANCE_FACTOR` for an
    animator's address). The sender is the person's mailbox (:func:`mailbox_key`: case
    and ``+tag`` variants are one sender). Mail the network's server calls forged in
    someone's name (``member_forged``) has a counter of its own, so that a forged flood
    does not use up the forwards of that person's real mail. The first forward held gets
    the animators one notice (the message attached, ``forward_limit``); the next ones
    that day only an audit line."""
    parsed = incoming.parsed
    sender = mailbox_key(person_address(parsed) or parsed.sender) or UNREADABLE_SENDER
    network = plan.settings.network
    limit = plan.settings.limits.max_forwards_per_day
    if sender in network.animators:
        limit *= ANIMATOR_ALLOWANCE_FACTOR
    bucket = "forged" if reason == "member_forged" else "mail"
    if take_allowance(plan, sender, f"forward:{bucket}", limit=limit):
        return True
    take_allowance(plan, sender, f"forward_held:{bucket}", limit=2 ** 62)  # counted, for `rers status`
    mailbox = plan.settings.mailbox
    folder = mailbox.done_folder or f"{mailbox.folder} ({mailbox.done_keyword})"
    if take_allowance(plan, sender, f"forward_limit:{bucket}", limit=1):
        forward_to_animators(plan, incoming, reason="forward_limit_forged" if bucket == "forged" else "forward_limit",
                             purpose="forward_limit", limit=limit, folder=folder,
                             sender=parsed.sender or label_of("unreadable_address", "field", network.language))
        plan.audit.warning("%s: %s's forwards to the animators for today are used up (%d): they were told, the next "
                      "ones stay in %s", parsed.message_id, "a sender" if sender == UNREADABLE_SENDER else "the sender",
                      limit, folder)
    else:
        plan.audit.warning("%s: not forwarded to the animators (%s): the sender's %d forwards of today are used up; the "
                      "message is in %s", parsed.message_id, reason, limit, folder)
    return False


def reply_to_person(plan: Plan, parsed) -> str | None:
    """The address an animator's « Répondre » should reach for a message handed to them:
    the person's, as the robot answers them (:func:`workflows.mail.sender.person_address`:
    the From address, or a web form's Reply-To). None — « Répondre » then goes to the
    robot, as before — when there is no readable address, for the robot's own mail, and
    for a delivery report (its sender is a mail server, nobody reads it)."""
    address = person_address(parsed)
    if not address or parsed.own_mail or parsed.intent == "bounce":
        return None
    if address == plan.settings.network.address.lower():
        return None
    return address


def reply_id(message_id: str) -> str | None:
    # A hash stands in for a missing Message-ID: it must not appear in In-Reply-To.
    return message_id if message_id.startswith("<") and not message_id.endswith("@rers.invalid>") else None


def forward_the_rest(plan: Plan, incoming: Incoming) -> None:
    """When the person wrote more than the robot used (a question, a story beside a join
    or an offer: ``parsed.unused_text``), the animators get the message too: nothing a
    person wrote is silently dropped (protocol.md, "Fields")."""
    if incoming.parsed.unused_text:
        forward_to_animators(plan, incoming, reason="unused_text")


def tell_animators(plan: Plan, *, template: str, values: dict, purpose: str, cause: str,
                   only: list[str] | None = None, message_id: str | None = None,
                   attachments: list[Attachment] = (), forget_after_send: bool = False) -> str | None:
    """A notice to the animators (``only`` some of them), the message they are about not
    attached: a decision, a member's news, a report, a list, a notice carrying no personal
    data — or one that must carry the last trace of an erased person, kept nowhere once
    sent (``forget_after_send``). Returns the Message-ID, or None when nobody is to get it
    (no animator configured) or it was already sent (``message_id``: see
    :class:`workflows.decision.Mail`)."""
    animators = list(plan.settings.network.animators) if only is None else only
    if not animators:
        return None
    return plan.mail(template=template, to=[(None, a) for a in animators], values=values, purpose=purpose,
                     cause=cause, to_member=False, message_id=message_id, attachments=attachments,
                     forget_after_send=forget_after_send)


def tell_attendee(plan: Plan, name: str | None, address: str, *, animator: bool, template: str, values: dict,
                  purpose: str, cause: str, message_id: str, attachments: list[Attachment] = ()) -> str | None:
    """A calendar mail to one person invited (a member who asked for invitations, or an
    animator): only that person as recipient, so nobody sees who else is invited. Returns
    the Message-ID, or None when it was already sent or the address is undeliverable."""
    return plan.mail(template=template, to=[(name, address)], values=values, purpose=purpose, cause=cause,
                     message_id=message_id, to_member=not animator, attachments=attachments)


def tell_former_address(plan: Plan, name: str | None, address: str, *, template: str, values: dict, purpose: str,
                        cause: str) -> str | None:
    """A last mail to an address a member just left (a new address confirmed): to that
    address alone, not a member's any more (no way to leave in its footer). Returns the
    Message-ID, or None."""
    return plan.mail(template=template, to=[(name, address)], values=values, purpose=purpose, cause=cause,
                     to_member=False)


def tell_member(plan: Plan, member: dict | None, *, template: str, values: dict, purpose: str, cause: str,
                answering: Incoming | None = None, cc: list[tuple[str | None, str]] = (),
                unsubscribe: str = "RETRAIT") -> str | None:
    """A mail to a member; one who cannot be reached by mail gets it through the animators
    (protocol.md, "Members without an email address"). ``answering``: the member's answer
    to a question, whose thread it joins (In-Reply-To, References with the question's
    first mail: RFC 5322 3.6.4) under the question's token (``[RERS-…]``), so that a reply
    to it still names that question, whatever the member's mail client keeps. ``cc``:
    copied (the animators, on an introduction). ``unsubscribe``: the subject of its
    List-Unsubscribe mailto (« Nouvelles : non » for the monthly news). Returns the
    Message-ID, or None."""
    if member is None:
        return None
    if reachable(member):
        thread = answering.parsed if answering else None
        token = answered_token(thread) if thread else None
        references = [*thread.references, *thread.in_reply_to] if thread else []
        if token:
            references.insert(0, question_message_id(token, plan.settings.network.domain))
        return plan.mail(template=template, to=[(member.get("name"), member["address"])], cc=cc, values=values,
                         purpose=purpose, cause=cause, in_reply_to=reply_id(thread.message_id) if thread else None,
                         references=list(dict.fromkeys(references)), subject_tag=token, unsubscribe=unsubscribe)
    # The text is the member's, passed on by the animators: its footer says how to leave.
    return tell_animators(plan, template=template,
                          values={**values, "for_member": {"ref": member["ref"], "name": member.get("name")},
                                  "to_member": True},
                          purpose=purpose, cause=cause)


def tell_peer(plan: Plan, peer, *, kind: str, text: str, cause: str) -> str | None:
    """A robot-to-robot message to the linked network ``peer`` (a
    :class:`config.settings.Peer`): subject ``[RERS-FED] <kind>``, ``Auto-Submitted:
    auto-generated``, the JSON ``text`` as ``<kind>.json`` signed by the shell when the
    mail is built (:class:`workflows.decision.Attachment` ``signed``). Returns the
    Message-ID, or None when the same message was already decided."""
    return plan.mail(template="federation", to=[(peer.name, peer.address)], values={"kind": kind, "peer": peer.name},
                     purpose="federation", cause=cause, to_member=False,
                     attachments=[Attachment("signed", text, mime="application/json", filename=f"{kind}.json")])
