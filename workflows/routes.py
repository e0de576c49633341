"""The route table: every way a message can go, and who may make it go there, read top to
bottom like a mail server's chain of rules.

1. :data:`ROUTES` — the intent the parser found (:mod:`workflows.mail.parse`) → its guard
   and its step;
2. :data:`COMMANDS` — an animator's command (intent ``event_command``) → its step, every
   one behind :data:`ANIMATOR`;
3. :data:`ANSWERS` — the kind of question a reply answers → its guard and step, once
   :data:`ADDRESSEE` found the question and checked who answers; :data:`CHANGE_OF_MIND` —
   a NON to a question already answered OUI;
4. :data:`UNCLAIMED` — the chain tried, in order, on a message no keyword claimed: the
   first route whose ``claims`` is true takes it; the last one always does (the
   animators get it).

**Guards are the only place that decide who may do what** (:class:`Guard`): a guard
either lets the message through (None) or decides the refusal itself — the message to the
animators, a word to the sender — and returns the outcome. No step checks again.

A step takes ``(plan, incoming)`` (an answer step also ``question, answer``), records what
it decided in the plan (:mod:`workflows.decision`) and returns an outcome for the audit
log. ``rers routes`` prints this table.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from workflows.decision import Incoming, Plan
from workflows.lookup import find_member, is_animator, moved_from
from workflows.mail.authentication import Verdict, verdict
from workflows.mail.decode import normal_address
from workflows.mail.fields import only_preferences
from workflows.mail.labels import label_of
from workflows.mail.model import MemberFields, Parsed
from workflows.mail.sender import RELAYABLE, forwards_another, person_address
from workflows.model.federation import FederationError, read_envelope, sequence_verdict, signed_bytes, verify
from workflows.model.members import attempted_changes
from workflows.model.testimonies import is_testimony_ref
from workflows.steps import (
    addresses,
    attendance,
    basics,
    catalogue,
    event_commands,
    federated_introductions,
    federation,
    followups,
    freshness,
    groups,
    interest,
    introductions,
    items,
    membership,
    my_data,
    pauses,
    preferences,
    questions,
    reciprocity,
    records,
    relayed,
    reports,
    standing,
    testimonies,
    voice,
)
from workflows.steps.calendar import find_series
from workflows.steps.invitations import sent_calendar_mail
from workflows.steps.speaking import answer_sender, forward_the_rest, forward_to_animators
from workflows.model.said import Said


Step = Callable[[Plan, Incoming], str]
AnswerStep = Callable[[Plan, Incoming, dict, str], str]


@dataclass(frozen=True)
class Guard:
    """Who may go on: ``check(plan, incoming)`` returns None when the sender may, else
    decides the refusal in the plan and returns the outcome. A guard may also let
    through part of a message (an :class:`Incoming`: the message without what the sender
    may not do, the refusal of that part decided) or what it found (a tuple, handed to
    the step). ``name`` and ``says`` are what ``rers routes`` prints."""

    name: str
    says: str
    check: Callable[..., "str | None"]


@dataclass(frozen=True)
class Route:
    """One row: ``key`` (an intent, a command's name, a question's kind), its ``guard``,
    its ``step``, what it does in a few words (``does``); ``claims``, for the chain of
    unclaimed messages, whether this route takes the message."""

    key: str
    guard: Guard
    step: Callable[..., "str | None"]
    does: str
    claims: Callable[[Plan, Incoming], bool] | None = None


# --- the guards ---------------------------------------------------------------------------


def _anyone(plan: Plan, incoming: Incoming) -> None:
    return None


def server_verdict(plan: Plan, parsed: Parsed) -> Verdict:
    """What the network's own server says of the message
    (:func:`workflows.mail.authentication.verdict`), read by the guards only. Lower
    ``Authentication-Results`` fields claiming the trusted authserv-id are forgeries the
    server failed to strip (RFC 8601 §5): never believed, and logged as a warning, since
    they mean the server is not doing its part (docs/security.md)."""
    found = verdict(plan.settings, parsed)
    if found.stripped_forgeries:
        plan.audit.warning("%s: %d lower Authentication-Results field(s) claim our authserv-id %s: forgeries the "
                      "server did not strip; only the topmost one is read", parsed.message_id,
                      found.stripped_forgeries, plan.settings.network.authserv_id)
    return found


def _not_forged(plan: Plan, incoming: Incoming, server: Verdict | None = None) -> str | None:
    """Nothing of a message the network's own server calls forged (DMARC fail) is acted on
    (an offer published or held in their name, their phone, contact or invitations
    changed, a join question sent) and nobody is answered: the animators get it."""
    if not (server or server_verdict(plan, incoming.parsed)).forged:
        return None
    address = person_address(incoming.parsed)
    member = find_member(plan, address)
    forward_to_animators(plan, incoming, reason="member_forged", purpose="member_forged",
                         member=member["ref"] if member else address)
    plan.audit.warning("%s: in %s's name, DMARC fail: not acted on", incoming.parsed.message_id,
                  member["ref"] if member else "a non-member")
    return Said("forwarded: forged")


def _animator(plan: Plan, incoming: Incoming) -> str | None:
    """Anyone can write an animator's address in ``From``: where the configuration trusts
    an ``authserv_id``, an animator's act is carried out only when that server's
    Authentication-Results show DKIM (aligned) or DMARC pass."""
    parsed = incoming.parsed
    if not is_animator(plan, parsed.sender):
        forward_to_animators(plan, incoming, reason="act_not_from_animator", purpose="refused_command", about="")
        return Said("refused: not an animator")
    if not server_verdict(plan, parsed).authenticated:
        forward_to_animators(plan, incoming, reason="command_not_authenticated", purpose="refused_command")
        return Said("refused: not authenticated")
    return None


def _animator_answer(plan: Plan, incoming: Incoming, question: dict) -> str | None:
    """An approval counts only from a configured animator, authenticated as for a command."""
    parsed = incoming.parsed
    about = f" ({question['subject_ref']})"
    refusal = None
    if not is_animator(plan, parsed.sender):
        forward_to_animators(plan, incoming, reason="act_not_from_animator", purpose="refused_reply", about=about)
        refusal = Said("not an animator")
    elif not server_verdict(plan, parsed).authenticated:
        forward_to_animators(plan, incoming, reason="act_not_authenticated", purpose="refused_reply", about=about)
        refusal = Said("not authenticated")
    if refusal is None:
        return None
    plan.audit.warning("%s: approval of %s refused (%s)", parsed.message_id, question["subject_ref"], refusal)
    return Said("refused: {refusal}", refusal=refusal)


def record_change_refusal(parsed: Parsed, member: dict, server: Verdict) -> str | None:
    """May this message change ``member``'s own record (name, first name, phone, contact,
    invitations)? The one place that decides it: only a message whose From is the
    member's own recorded address — not a web form's relay whose Reply-To names them
    (:func:`workflows.mail.sender.person_address`) — and, where ``authserv_id`` is set,
    one the network's server vouches for (``server``: aligned DKIM or DMARC pass).
    Returns None when it may, else why not (:data:`workflows.steps.records.RELAY`,
    :data:`~workflows.steps.records.NOT_AUTHENTICATED`)."""
    if not parsed.sender or parsed.sender != member.get("address"):
        return records.RELAY
    if not server.authenticated:
        return records.NOT_AUTHENTICATED
    return None


@dataclass(frozen=True)
class _Asked:
    """The record change of a message refused, the member asked to confirm it: ``outcome``."""

    outcome: str


def _own_record(plan: Plan, incoming: Incoming) -> "str | None | _Asked":
    """Not forged (:func:`_not_forged`: else its outcome), then, when the message would
    change a confirmed member's record (:data:`workflows.model.members.RECORD_FIELDS`) and may not
    (:func:`record_change_refusal`): that part refused and the member asked
    (:func:`workflows.steps.records.ask_to_confirm`). None: the message may go on whole."""
    parsed = incoming.parsed
    server = server_verdict(plan, parsed)
    refused = _not_forged(plan, incoming, server)
    if refused is not None:
        return refused
    member = find_member(plan, person_address(parsed))
    if member is None or member["status"] != "confirmed":
        return None  # a newcomer's or a pending member's fields: the join question confirms them
    changes = attempted_changes(member, parsed.member)
    why = record_change_refusal(parsed, member, server) if changes else None
    if why is None:
        return None
    return _Asked(records.ask_to_confirm(plan, incoming, member, changes, why))


def _own_record_or_the_rest(plan: Plan, incoming: Incoming) -> "str | Incoming | None":
    """:func:`_own_record`; a message that may not change the record goes on without its
    member fields (the rest of it — an offer's item — is the sender's to send)."""
    found = _own_record(plan, incoming)
    if not isinstance(found, _Asked):
        return found
    return replace(incoming, parsed=replace(incoming.parsed, member=MemberFields()))


def _own_preferences(plan: Plan, incoming: Incoming) -> str | None:
    """:func:`_own_record` for a message of preferences alone: refused whole (there is
    nothing else in it)."""
    found = _own_record(plan, incoming)
    return found.outcome if isinstance(found, _Asked) else found


def _attendee_self(plan: Plan, incoming: Incoming) -> str | None:
    """An answer from a calendar client (``METHOD:REPLY``) counts for the ATTENDEE it
    names only when that attendee sent it (From): an invitation forwarded to someone
    else, or an answer forged in a member's name, records nothing, and the animators get
    it. Without an ATTENDEE the sender answers for themselves. Each answer of the message
    (``parsed.rsvps``) must be the sender's; a message the network's server calls forged
    is refused first (:func:`_not_forged`)."""
    refused = _not_forged(plan, incoming)
    if refused is not None:
        return refused
    parsed = incoming.parsed
    others = [a for a in (r.get("attendee") for r in (parsed.rsvps or [parsed.rsvp or {}]))
              if a and not (parsed.sender and (normal_address(a) or a.lower()) == parsed.sender)]
    if not others:
        return _may_answer(plan, incoming)
    attendee = others[0]
    forward_to_animators(plan, incoming, reason="rsvp_not_attendee", purpose="rsvp_not_attendee", attendee=attendee)
    plan.audit.warning("%s: calendar answer for an attendee who did not send it: not recorded", parsed.message_id)
    return Said("rsvp: not sent by the attendee, forwarded")


def _may_answer(plan: Plan, incoming: Incoming) -> str | None:
    """Attendance counts from a confirmed member or an animator
    (:func:`workflows.steps.attendance.may_answer`), as a calendar server ignores an
    ATTENDEE it did not invite: anyone else's calendar answer about an event the robot
    knows is not recorded and the animators get it (an answer about no known event goes
    on: the step hands it over as such)."""
    parsed = incoming.parsed
    person = parsed.sender
    if not person or attendance.may_answer(plan, person):
        return None
    series = next((s for s in (find_series(plan, r.get("uid")) for r in (parsed.rsvps or [parsed.rsvp or {}])) if s),
                  None)
    if series is None:
        return None
    forward_to_animators(plan, incoming, reason="attendance_not_member", purpose="rsvp_not_member",
                         title=series.title, address=person)
    return Said("rsvp: neither a member nor an animator, forwarded")


def _invitee(plan: Plan, incoming: Incoming) -> str | None:
    """A plain-words answer to an invitation: not forged, and from a confirmed member or
    an animator (:func:`_may_answer`); anyone else's goes to the animators and the sender
    is told a person will read it."""
    refused = _not_forged(plan, incoming)
    if refused is not None:
        return refused
    parsed = incoming.parsed
    person = person_address(parsed)
    if attendance.may_answer(plan, person):
        return None
    found = sent_calendar_mail(plan, [*parsed.references, *parsed.in_reply_to])
    forward_to_animators(plan, incoming, purpose="attendance_not_member", reason="attendance_not_member",
                         title=found[1].title, address=person)
    answer_sender(plan, incoming, template="unknown_ack", values={}, purpose="unknown_ack", daily_kind="unknown_ack")
    return Said("invitation reply: neither a member nor an animator, forwarded")


def _about_our_mail(plan: Plan, incoming: Incoming) -> "str | Incoming | None":
    """A delivery report marks a member undeliverable only when it is about a mail the
    robot really sent to that member: one of its Message-IDs (``bounced_message_ids``:
    the report's attached message or headers, In-Reply-To, References) names a mail of
    the outbox whose recipients include the member's address. Anyone can write a report
    naming anyone; the robot's mail to a member stops on the strength of one. A member
    named without such proof is not marked and the animators are told (the rest goes
    on: a report naming nobody to mark is theirs as before)."""
    parsed = incoming.parsed
    to_mark = [a for a in parsed.bounced_addresses
               if (m := find_member(plan, a)) is not None and not m.get("undeliverable")]
    if not to_mark:
        return None
    sent_to = {address for doc in (plan.outbox.find_one("message_id", mid) for mid in parsed.bounced_message_ids)
               if doc is not None for address in doc.get("recipients") or ()}
    unproven = [a for a in to_mark if a not in sent_to]
    if not unproven:
        return None
    refs = ", ".join(find_member(plan, a)["ref"] for a in unproven)
    forward_to_animators(plan, incoming, reason="bounce_not_ours", purpose="bounce_not_ours", members=refs)
    plan.audit.warning("%s: a delivery report for %s about no mail sent to them: nobody marked", parsed.message_id, refs)
    if len(unproven) == len(to_mark):
        return Said("bounce: not about a mail sent to {refs}, nothing marked", refs=refs)
    proven = [a for a in parsed.bounced_addresses if a not in unproven]
    return replace(incoming, parsed=replace(parsed, bounced_addresses=proven))


def _item_holder_or_animator(plan: Plan, incoming: Incoming) -> str | None:
    """``RETRAIT O-12`` (``RETRAIT T-4``: a testimony) comes from the item's member, or from
    an animator (for a member without e-mail); anyone else is told that no such item of theirs is open — never whose
    it is."""
    parsed = incoming.parsed
    address = person_address(parsed)
    if not address:
        return None  # the step hands it to the animators
    item = None
    if parsed.item_ref:
        collection = plan.testimonies if is_testimony_ref(parsed.item_ref) else plan.items
        item = collection.find_one("ref", parsed.item_ref.strip().upper())
    member = find_member(plan, address)
    if item is not None and member is not None and item["member"] == member["ref"]:
        return None
    if item is not None and is_animator(plan, address):
        return _animator(plan, incoming)  # for a member without e-mail: authenticated, as any animator's act
    answer_sender(plan, incoming, template="withdraw_item_refused", values={"ref": parsed.item_ref, "closed": False},
                  purpose="withdraw_item_refused")
    return Said("withdraw_item {item_ref}: not found for the sender", item_ref=parsed.item_ref)


def _member(plan: Plan, incoming: Incoming) -> str | None:
    """A member's own request (pending or confirmed: their data, their leaving); an address
    that is no member's is told the network holds nothing about it. No address: the step
    hands the message to the animators."""
    address = person_address(incoming.parsed)
    if not address or find_member(plan, address) is not None:
        return None
    return {"my_data": my_data.nothing_stored, "withdraw": membership.not_a_member}[incoming.parsed.intent](
        plan, incoming)


def _confirmed_member(plan: Plan, incoming: Incoming) -> str | None:
    """What is for confirmed members: the catalogue and an interest in a listed item
    (anyone else told how to join, the animators told of an interest), a message of
    preferences (anyone else's goes on as an unclaimed message)."""
    member = find_member(plan, person_address(incoming.parsed))
    if member is not None and member["status"] == "confirmed":
        return None
    if incoming.parsed.intent == "catalogue":
        return catalogue.not_for_you(plan, incoming)
    if incoming.parsed.intent == "interest":
        return interest.not_a_member(plan, incoming)
    return on_unclaimed(plan, incoming)


def _not_a_party(plan: Plan, incoming: Incoming, question: dict) -> str | None:
    """An approval counts from an authenticated animator (:func:`_animator_answer`) who is
    not one of the two members while another animator can decide (of a cross-network
    introduction: not our member of it)."""
    refused = _animator_answer(plan, incoming, question)
    if refused is not None:
        return refused
    party_rule = federated_introductions.refuse_a_party if question["kind"] == federated_introductions.APPROVE \
        else introductions.refuse_a_party
    return party_rule(plan, incoming, question)


def _addressee(plan: Plan, incoming: Incoming) -> "str | tuple[dict, str]":
    """Only the person a question was sent to may answer it, with a good token (or its
    mail's Message-ID), while it is open (:func:`workflows.steps.questions.match`).
    Refused: nothing changes and the animators get the message; the question's own
    addressee answering a closed question also gets a short note, once a day at most —
    unless the member has moved to another address since (nothing more to the old one).
    Let through: ``(question, answer)``."""
    parsed = incoming.parsed
    address = questions.answerer(plan, incoming, None)
    found = questions.match(plan, incoming, address)
    if found.refusal == "already answered" and parsed.answer == "no":
        change = CHANGE_OF_MIND.get(found.question["kind"])
        outcome = change(plan, incoming, found.question) if change else None
        if outcome:
            return outcome
    if not found.ok:
        moved = questions.moved_away(plan, found.question) or (moved_from(plan, address) or {}).get("ref")
        if moved is not None:
            # The old address of a member who moved gets nothing more (its reader may be
            # someone else now): the animators only.
            forward_to_animators(plan, incoming, reason="refused:moved", purpose="refused_reply", member=moved)
            plan.audit.warning("%s: reply refused (%s, from a former address)", parsed.message_id, found.refusal)
            return Said("refused: {refusal} (former address)", refusal=found.refusal)
        forward_to_animators(plan, incoming, reason=f"refused:{found.refusal}", purpose="refused_reply")
        plan.audit.warning("%s: reply refused (%s)", parsed.message_id, found.refusal)
        if (found.refusal in questions.CLOSED and address and address.lower() == found.question["address"]
                and address.lower() not in plan.settings.network.animators):
            answer_sender(plan, incoming, template="question_closed", values={"why": found.refusal},
                          purpose="question_closed", daily_kind="question_closed")
        return Said("refused: {refusal}", refusal=found.refusal)
    return found.question, parsed.answer or "unclear"


def _not_forged_and(check: Callable[[Plan, Incoming], object]) -> Callable[[Plan, Incoming], object]:
    """``check`` after :func:`_not_forged`: a message the network's server calls forged is
    refused before anything else is looked at (a valid token, a member's address)."""

    def guarded(plan: Plan, incoming: Incoming) -> object:
        refused = _not_forged(plan, incoming)
        return refused if refused is not None else check(plan, incoming)

    return guarded
def _robot_refused(plan: Plan, parsed: Parsed, why: str) -> str:
    plan.audit.warning("%s: robot-to-robot message refused (%s)", parsed.message_id, why)
    return Said("refused: federation, {why}", why=why)


def _peer(plan: Plan, incoming: Incoming) -> "str | tuple":
    """A robot-to-robot message (``federation``) is acted on only when it comes from a
    configured peer's robot address (From), carries a signature of its JSON part by that
    peer's key, is written from that peer to this network, and bears a sequence number
    above the last accepted from that peer, or a newer epoch (the peer restarted from an
    empty store: :func:`workflows.model.federation.sequence_verdict`); a replay, a
    reordering or an older epoch is refused. Anything
    else is suspicious: the animators get it, nobody is answered. Let through: ``(peer,
    received)`` (:class:`config.settings.Peer`, :class:`workflows.model.federation.Received`)."""
    parsed = incoming.parsed
    found = parsed.federation or {}
    peer = plan.settings.federation.peer(parsed.sender)

    if peer is None:
        forward_to_animators(plan, incoming, reason="federation_unknown_peer", purpose="federation_refused")
        return _robot_refused(plan, parsed, "not a linked network")
    if not found.get("signature"):
        forward_to_animators(plan, incoming, reason="federation_unsigned", purpose="federation_refused", peer=peer.name)
        return _robot_refused(plan, parsed, f"unsigned, from {peer.name}")
    if not verify(peer.key, signed_bytes(found.get("json") or ""), found["signature"]):
        forward_to_animators(plan, incoming, reason="federation_bad_signature", purpose="federation_refused",
                             peer=peer.name)
        return _robot_refused(plan, parsed, f"bad signature, from {peer.name}")
    try:
        received = read_envelope(found["json"], peer=peer.address, us=plan.settings.network.address.lower())
    except FederationError as error:
        forward_to_animators(plan, incoming, reason="federation_bad_message", purpose="federation_refused",
                             peer=peer.name, problem=str(error))
        return _robot_refused(plan, parsed, f"{error}, from {peer.name}")
    last_epoch, last = federation.last_received_epoch(plan, peer), federation.last_received(plan, peer)
    if sequence_verdict(last_epoch, last, received.epoch, received.seq) is None:
        forward_to_animators(plan, incoming, reason="federation_replayed", purpose="federation_refused",
                             peer=peer.name, seq=received.seq, last=last)
        older = f" of an older epoch ({received.epoch} < {last_epoch})" if received.epoch < last_epoch else ""
        return _robot_refused(plan, parsed, f"number {received.seq} after {last}{older}, from {peer.name}")
    return peer, received


ANYONE = Guard("anyone", "whoever writes", _anyone)
PEER = Guard("signed by a peer", "a configured linked network's robot, its signature good, written to this network, "
             "its sequence number new (anything else: to the animators as suspicious)", _peer)
NOT_FORGED = Guard("not forged", "not called forged by the network's server (DMARC fail)", _not_forged)
ANIMATOR = Guard("animator", "a configured animator, authenticated when authserv_id is set", _animator)
ITEM_HOLDER = Guard("not forged; item's member or animator", "not called forged; the item's own member, or an "
                    "authenticated animator", _not_forged_and(_item_holder_or_animator))
MEMBER = Guard("not forged; member", "not called forged; a member, pending or confirmed (anyone else: told the "
               "network holds nothing)", _not_forged_and(_member))


def _preferences(plan: Plan, incoming: Incoming) -> str | None:
    """Not forged, a confirmed member (anyone else's message goes on as unclaimed), and the
    member's own record (:func:`_own_preferences`)."""
    refused = _not_forged(plan, incoming)
    if refused is None:
        refused = _confirmed_member(plan, incoming)
    return refused if refused is not None else _own_preferences(plan, incoming)


def _own_address(plan: Plan, incoming: Incoming) -> str | None:
    """What a member asks for themselves and that changes what the network does with them
    (a pause, a return, an interest that records an item in their name): not forged, a
    confirmed member (anyone else's message goes on as unclaimed), and written from the
    member's own address (:func:`record_change_refusal`: not a web form's relay, and
    authenticated where ``authserv_id`` is set); else the animators get it and nothing
    is done."""
    refused = _not_forged(plan, incoming)
    if refused is None:
        refused = _confirmed_member(plan, incoming)
    if refused is not None:
        return refused
    parsed = incoming.parsed
    member = find_member(plan, person_address(parsed))
    why = record_change_refusal(parsed, member, server_verdict(plan, parsed))
    if why is None:
        return None
    forward_to_animators(plan, incoming, reason="own_address_only", purpose="refused_request", member=member["ref"],
                         intent=label_of(parsed.intent, "intent", plan.settings.network.language))
    plan.audit.warning("%s: %s for %s not from their own address (%s): not acted on", parsed.message_id, parsed.intent,
                  member["ref"], why)
    return Said("refused: {intent} not from the member's own address ({why})", intent=parsed.intent, why=why)


CONFIRMED_MEMBER = Guard("not forged; confirmed member", "not called forged; a confirmed member (anyone else: "
                         "told how to join, or the message goes on as unclaimed)", _not_forged_and(_confirmed_member))
PREFERENCES = Guard("not forged; confirmed; own record", "not called forged, from a confirmed member "
                    "(anyone else's goes on as an unclaimed message), changed only from the member's own address "
                    "(authenticated when authserv_id is set), else they are asked to confirm", _preferences)
ANIMATOR_ANSWER = Guard("addressee, animator", "the question's addressee, an authenticated animator (a group's "
                        "approval is asked only of animators who are not its members)", _animator_answer)
NOT_A_PARTY = Guard("addressee, animator, not a party", "the question's addressee, an authenticated animator, not "
                    "one of the two members while another animator can decide", _not_a_party)
ATTENDEE = Guard("not forged; the attendee", "not called forged; the ATTENDEE each answer names, writing from "
                 "that address, a confirmed member or an animator", _attendee_self)
INVITEE = Guard("not forged; member or animator", "not called forged; from a confirmed member or an animator "
                "(anyone else's answer goes to the animators)", _invitee)
OUR_MAIL = Guard("about our mail", "a report about a mail the robot sent to the address it names",
                 _about_our_mail)
OWN_RECORD = Guard("not forged; own record", "not called forged; a member's record changed only from their own "
                   "address (authenticated when authserv_id is set), else they are asked to confirm and the rest "
                   "goes on", _own_record_or_the_rest)
OWN_PREFERENCES = Guard("not forged; own preferences", "not called forged; preferences changed only from the "
                        "member's own address (authenticated when authserv_id is set), else they are asked to "
                        "confirm", _own_preferences)
OWN_ADDRESS = Guard("not forged; confirmed member; own address", "not called forged, from a confirmed member "
                    "(anyone else's goes on as unclaimed), from the member's own address (authenticated when "
                    "authserv_id is set), else the animators get it", _own_address)
ADDRESSEE = Guard("not forged; question's addressee", "not called forged (even with a valid token); the address "
                  "the question was sent to, with its token, while open", _not_forged_and(_addressee))


# --- the tables ---------------------------------------------------------------------------

COMMANDS: dict[str, Route] = {route.key: route for route in (
    Route("cancel_permanence", ANIMATOR, event_commands.on_event_command, "cancel one permanence"),
    Route("meeting", ANIMATOR, event_commands.on_event_command, "a one-off meeting"),
    Route("workshop", ANIMATOR, event_commands.on_event_command, "a workshop"),
    Route("introduce", ANIMATOR, introductions.on_introduce_command, "propose a pair, approved (MR-n)"),
    Route("register", ANIMATOR, membership.on_register, "register a member without e-mail (ADHÉSION POUR)"),
    Route("report", ANIMATOR, reports.on_report_command, "the report of the month so far (STATISTIQUES)"),
    Route("group", ANIMATOR, groups.on_group_command, "propose a group around an offer, approved (G-n; GROUPE O-12)"),
    Route("group_session", ANIMATOR, groups.on_session_command,
          "a session of a group, only its members invited (ATELIER G-3 … / ATELIER O-12 …)"),
)}
"""Animator commands (intent ``event_command``, by :func:`command_key`: the command's
``name``, but ``group_session`` for a workshop naming a group or its offer); a command the
robot does not carry out goes to the animators (:func:`basics.on_not_automated`)."""

ANSWERS: dict[str, Route] = {route.key: route for route in (
    Route("join", ADDRESSEE, membership.on_join_answer, "OUI: confirmed member; NON: pending data erased"),
    Route("withdraw", ADDRESSEE, membership.on_withdraw_answer, "OUI: everything erased, goodbye"),
    Route("withdraw_item", ADDRESSEE, items.on_withdraw_item_answer, "OUI: the item closed"),
    Route("approve", NOT_A_PARTY, introductions.on_approve_answer, "OUI: both members asked; NON: closed"),
    Route("consent", ADDRESSEE, introductions.on_consent_answer, "both OUI: the introduction; a NON: not made"),
    Route("crossing_approve", NOT_A_PARTY, federated_introductions.on_approve_answer,
          "OUI: the linked network told, our member asked once both teams approved; NON: ended, the peer told"),
    Route("crossing_consent", ADDRESSEE, federated_introductions.on_consent_answer,
          "OUI: the linked network told, contacts exchanged once both consented; NON: ended, the peer told"),
    Route("bilan", ADDRESSEE, followups.on_bilan_answer, "the bilan recorded"),
    Route("still_current", ADDRESSEE, freshness.on_still_current_answer,
          "OUI: the item kept (reopened if set aside); NON: the item withdrawn"),
    Route("address_change", ADDRESSEE, addresses.on_address_change_answer,
          "OUI from the new address: the member, questions, answers and invitations moved to it; NON: nothing"),
    Route("confirm_change", ADDRESSEE, records.on_confirm_change_answer,
          "OUI: the change of their record applied as if they wrote it; NON: nothing"),
    Route("group_approve", ANIMATOR_ANSWER, groups.on_approve_answer, "OUI: the offerer asked to lead it; NON: closed"),
    Route("group_lead", ADDRESSEE, groups.on_lead_answer, "OUI: each asker asked, privately; NON: not held"),
    Route("group_join", ADDRESSEE, groups.on_join_answer, "OUI: a place, or the waiting list; NON: noted"),
    Route("group_bilan", ADDRESSEE, groups.on_bilan_answer, "the group's bilan recorded"),
    Route("testimony_approve", ANIMATOR_ANSWER, testimonies.on_approve_answer,
          "OUI: the testimony published on the page; NON: not published (first answer wins, the others told)"),
    Route("testimony_withdraw", ADDRESSEE, testimonies.on_withdraw_answer, "OUI: the testimony unpublished"),
    Route("collection", ADDRESSEE, voice.on_collection_answer, "the words, the quote allowed and the effects' "
          "counts recorded (recueil); a plain NON: nothing, never asked again"),
)}
"""The kind of the question a reply answers → ``step(plan, incoming, question, answer)``;
``answer`` is ``yes``, ``no`` or ``unclear``. Every one first passes :data:`ADDRESSEE`;
``guard`` is what it must pass besides."""

CHANGE_OF_MIND: dict[str, Callable[[Plan, Incoming, dict], "str | None"]] = {
    "consent": introductions.on_consent_withdrawn,
    "group_join": groups.on_join_withdrawn,
}
"""A NON from the question's own address to a question it already answered OUI → the step
that withdraws what the OUI gave while it still can (None: it cannot, the reply is then
refused as an answer to a closed question)."""


def _preferences_alone(plan: Plan, incoming: Incoming) -> bool:
    """The message says nothing but a confirmed member's preferences (« Invitations : non »)."""
    if not only_preferences(incoming.parsed.text or ""):
        return False
    member = find_member(plan, person_address(incoming.parsed))
    return member is not None and member["status"] == "confirmed"


def _answers_an_invitation(plan: Plan, incoming: Incoming) -> bool:
    """In-Reply-To or References name a calendar mail the robot sent to the sender's address
    — and the message is a person's words, not a calendar client's counter-proposal
    (``automatic``: ``calendar: counter``, for the animators)."""
    parsed = incoming.parsed
    if parsed.automatic:
        return False
    found = sent_calendar_mail(plan, [*parsed.references, *parsed.in_reply_to])
    address = person_address(parsed)
    return found is not None and bool(address) and address in found[0].get("recipients", ())


UNCLAIMED: tuple[Route, ...] = (
    Route("preferences alone", OWN_PREFERENCES, preferences.on_preferences,
          "a confirmed member's preferences, whatever the subject", claims=_preferences_alone),
    Route("no thanks to « et vous ? »", OWN_ADDRESS, reciprocity.on_no_thanks,
          "NON MERCI in reply to « et vous, qu'aimeriez-vous transmettre ? »: never asked again",
          claims=reciprocity.answers_invitation_with_no),
    Route("standing consent", OWN_ADDRESS, standing.on_standing,
          "« Accord permanent : oui/non » on their offers, or STOP in reply to the notice of its use",
          claims=standing.changes_standing),
    Route("answer to an invitation", INVITEE, attendance.on_invitation_reply,
          "« je viendrai » in reply to an invitation: attendance", claims=_answers_an_invitation),
    Route("anything else", ANYONE, basics.on_unknown, "to the animators; one acknowledgment a day",
          claims=lambda plan, incoming: True),
)
"""The chain tried on a message that no keyword claimed, in order."""


def command_key(command: dict | None) -> str | None:
    """The row of :data:`COMMANDS` a command goes to: its ``name``, but ``group_session``
    for a workshop that names a group (``ATELIER G-3 …``) or an offer (``ATELIER O-12 …``)."""
    command = command or {}
    if command.get("name") == "workshop" and (command.get("group") or command.get("offer")):
        return "group_session"
    return command.get("name")


def on_command(plan: Plan, incoming: Incoming) -> str:
    """``event_command`` (past :data:`ANIMATOR`): the step of the command's row
    (:func:`command_key`), or the animators' hands."""
    route = COMMANDS.get(command_key(incoming.parsed.command))
    plan.routes_taken.append(("command", route.key if route else "(not automated)", ANIMATOR.name, True))
    return (route.step if route else basics.on_not_automated)(plan, incoming)


def on_reply(plan: Plan, incoming: Incoming, question: dict, answer: str) -> str:
    """``reply`` (past :data:`ADDRESSEE`): the question kind's own guard, then its step
    (:data:`ANSWERS`)."""
    route = ANSWERS.get(question["kind"])
    if route is None:
        forward_to_animators(plan, incoming, reason="question_not_handled",
                             question=label_of(question["kind"], "question", plan.settings.network.language))
        return Said("forwarded: no handler for {kind}", kind=question['kind'])
    refused = route.guard.check(plan, incoming, question) if route.guard is not ADDRESSEE else None
    plan.routes_taken.append(("answer", route.key, route.guard.name, refused is None))
    if refused is not None:
        return refused
    return route.step(plan, incoming, question, answer)


def on_unclaimed(plan: Plan, incoming: Incoming) -> str:
    """``unknown``: the first route of :data:`UNCLAIMED` that claims the message."""
    for route in UNCLAIMED:
        if route.claims(plan, incoming):
            # Told to the animators as what the robot understood (« STOP » to a notice).
            claimed = replace(incoming, claimed=route.key) if route is not UNCLAIMED[-1] else incoming
            passed = route.guard.check(plan, claimed)
            plan.routes_taken.append(("unclaimed", route.key, route.guard.name, not isinstance(passed, str)))
            if isinstance(passed, str):
                return passed
            outcome = route.step(plan, passed if isinstance(passed, Incoming) else claimed)
            if outcome is not None:
                return outcome
    return basics.on_unknown(plan, incoming)


def on_withdraw_item(plan: Plan, incoming: Incoming) -> str:
    """``withdraw_item`` (past :data:`ITEM_HOLDER`): ``RETRAIT T-4`` is a testimony's
    (:func:`testimonies.on_withdraw`), ``RETRAIT O-12`` an item's (:func:`items.on_withdraw_item`)."""
    if is_testimony_ref(incoming.parsed.item_ref):
        return testimonies.on_withdraw(plan, incoming)
    return items.on_withdraw_item(plan, incoming)


def on_offer_or_demand(plan: Plan, incoming: Incoming) -> str:
    """``offer`` / ``demand``: a confirmed member's is theirs to record
    (:func:`items.on_item`); anyone else's is a join with the items held until they
    confirm (:func:`membership.ask_to_join`, protocol.md "Intents"). Without an address or
    a readable title, :func:`items.on_item` says why nothing can be recorded."""
    parsed = incoming.parsed
    address = person_address(parsed)
    member = find_member(plan, address)
    if not address or not parsed.items or (member is not None and member["status"] == "confirmed"):
        return items.on_item(plan, incoming)
    forward_the_rest(plan, incoming)
    return membership.ask_to_join(plan, incoming, address)


ROUTES: dict[str, Route] = {route.key: route for route in (
    Route("join", OWN_RECORD, membership.on_join, "pending member, the confirmation question (double opt-in)"),
    Route("offer", OWN_RECORD, on_offer_or_demand, "a member's offer recorded; a non-member's: a join, held"),
    Route("demand", OWN_RECORD, on_offer_or_demand, "a member's demand recorded; a non-member's: a join, held"),
    Route("relayed", NOT_FORGED, relayed.on_relayed, "another person's join forwarded: that person asked to "
          "confirm at their address (when one can be read), the forwarder thanked only"),
    Route("withdraw_item", ITEM_HOLDER, on_withdraw_item, "the item's (or testimony's) member asked to confirm"),
    Route("withdraw", MEMBER, membership.on_withdraw, "the member asked to confirm; OUI erases"),
    Route("reply", ADDRESSEE, on_reply, "the answer's step, by the question's kind (ANSWERS)"),
    Route("help", NOT_FORGED, basics.on_help, "the instructions (daily limit)"),
    Route("catalogue", CONFIRMED_MEMBER, catalogue.on_catalogue, "the open items, no names"),
    Route("my_data", MEMBER, my_data.on_my_data, "everything stored, to the address itself"),
    Route("event_command", ANIMATOR, on_command, "the command's step (COMMANDS)"),
    Route("rsvp", ATTENDEE, attendance.on_rsvp, "attendance recorded, never answered"),
    Route("auto_reply", ANYONE, basics.on_ignore, "recorded, never answered"),
    Route("bounce", OUR_MAIL, basics.on_bounce, "the address marked undeliverable, the animators told"),
    Route("preferences", PREFERENCES, preferences.on_preferences, "a confirmed member's own fields applied, acknowledged"),
    Route("interest", OWN_ADDRESS, interest.on_interest, "the sender's matching open item (else a new one) proposed "
          "with it; a non-member told how to join, the animators told"),
    Route("pause", OWN_ADDRESS, pauses.on_pause, "the member's items hidden until the date or REPRISE"),
    Route("resume", OWN_ADDRESS, pauses.on_resume, "the member's paused items open again, matched"),
    Route("testimony", OWN_ADDRESS, testimonies.on_testimony, "a member's testimony held (T-n), each animator asked "
          "to approve it"),
    Route("address_change", OWN_ADDRESS, addresses.on_address_change,
          "a confirmation question to the new address (the member moves on its OUI)"),
    Route("federation", PEER, federated_introductions.on_federation, "a linked network's catalogue or hello "
          "recorded, a cross-network introduction's state acted on; never answered"),
    Route("unknown", ANYONE, on_unclaimed, "the chain of UNCLAIMED"),
)}
"""Intent → guard and step. An intent missing from the table is ``unknown``'s."""


_NOT_A_PERSONS_REQUEST = frozenset({"reply", "event_command", "rsvp", "auto_reply", "bounce", "federation"})
"""Rows :func:`_former_address` does not look at: an answer has its own check of who may
give it (:func:`_addressee`, which knows a former address too), the rest are an
animator's commands or mail written by programs."""


def _former_address(plan: Plan, incoming: Incoming) -> str | None:
    """A person's request from an address a member moved away from
    (:func:`workflows.lookup.moved_from`; not an animator's): nothing is done and nothing is
    sent there any more (its reader may be someone else now); the animators get the message,
    told whose former address it is. None: not such an address."""
    address = person_address(incoming.parsed)
    member = moved_from(plan, address) if address and not is_animator(plan, address) else None
    if member is None:
        return None
    forward_to_animators(plan, incoming, reason="from_former_address", purpose="former_address", member=member["ref"])
    plan.audit.warning("%s: %s from the former address of %s: not acted on, not answered", incoming.parsed.message_id,
                       incoming.parsed.intent, member["ref"])
    return Said("refused: {intent} from the former address of {member}", intent=incoming.parsed.intent, member=member['ref'])


def route(intent: str) -> Step:
    """What handles a message of ``intent``: its row's guard, then its step. A guard lets
    the message through (None, or what it found — the question answered — for the step),
    or returns the outcome of its refusal. An intent missing from the table is ``unknown``'s."""
    row = ROUTES.get(intent, ROUTES["unknown"])

    def guarded(plan: Plan, incoming: Incoming) -> str:
        if row.key not in _NOT_A_PERSONS_REQUEST:
            refused = _former_address(plan, incoming)
            if refused is not None:
                plan.routes_taken.append(("intent", row.key, "not a former address", False))
                return refused
        passed = row.guard.check(plan, incoming)
        plan.routes_taken.append(("intent", row.key, row.guard.name, not isinstance(passed, str)))
        if isinstance(passed, str):
            return passed
        if isinstance(passed, Incoming):
            return row.step(plan, passed)
        return row.step(plan, incoming) if passed is None else row.step(plan, incoming, *passed)

    return guarded


def dispatch(plan: Plan, incoming: Incoming) -> str:
    """The route of the message's intent (:func:`route`); a join, offer or demand
    written by another person and forwarded takes the row ``relayed``
    (:func:`route_key`)."""
    return route(route_key(incoming.parsed))(plan, incoming)


def route_key(parsed: Parsed) -> str:
    """The row of :data:`ROUTES` for ``parsed``: its intent, but ``relayed`` for a join,
    offer or demand in another person's words that someone forwarded
    (:func:`workflows.mail.sender.forwards_another`) — whether or not that person's
    address can be read: the forwarder is never made a member by them
    (:func:`relayed.on_relayed` decides what can be asked)."""
    if parsed.intent in RELAYABLE and forwards_another(parsed):
        return "relayed"
    return parsed.intent
