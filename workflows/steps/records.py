"""A member's own record — name, first name, phone, contact choice, invitations — taken
in from their mail, and a change that a message may not make alone.

:func:`take_in` is how a confirmed member's fields written in a message are recorded
(an offer, a join, a reply to a question): identity completed where nothing is recorded
(a different name or phone goes to the animators:
:data:`workflows.model.members.IDENTITY_FIELDS`), preferences
changed, invitations sent or withdrawn, within the day's limit on invitations.

Whether a message may change the record at all is decided once, by the guard of
:data:`workflows.routes.ROUTES` (:func:`workflows.routes.record_change_refusal`): only a
message from the member's own address — and, where ``authserv_id`` is set, one the
network's server vouches for. Otherwise the guard calls :func:`ask_to_confirm`: the
member is asked, at their own address, to confirm the changes (question
``confirm_change``, the changes in its data), and the animators see what was attempted;
nothing is changed. :func:`on_confirm_change_answer` applies them on OUI exactly as if
the member had written them (:func:`take_in`), and does nothing on NON.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from workflows.decision import Incoming, Plan
from workflows.lookup import find_ref, is_animator
from workflows.mail.labels import label_of
from workflows.mail.model import MemberFields
from workflows.model.members import RECORD_FIELDS, apply_fields, differing_fields, reachable
from workflows.model.privacy import choose_contact
from workflows.steps import questions
from workflows.steps.invitations import follow_preference
from workflows.steps.questions import settle_or_clarify
from workflows.steps.speaking import forward_to_animators, take_allowance, tell_member
from workflows.model.said import Said, joined


CONFIRM_CHANGE = "confirm_change"
"""The question kind asked of a member before a change their own address did not make."""

RELAY, NOT_AUTHENTICATED = Said("relay"), Said("not authenticated")
"""Why a message may not change a member's record (:func:`workflows.routes.record_change_refusal`):
it does not come from the member's own address (a web form's relay, whose Reply-To names
them), or the network's server does not vouch for it (``authserv_id``)."""

KEPT_FIELDS = ("digest", "invitation_kinds")
"""Preferences recorded as the member writes them (« Nouvelles : oui », « Invitations :
permanences, ateliers »): the monthly news and invitations by kind read them."""


def implied(fields: MemberFields) -> MemberFields:
    """A message of preferences as the member means it: « Invitations : ateliers » (kinds
    without a plain oui/non) wants invitations."""
    if fields.invitation_kinds and fields.invitations is None:
        return replace(fields, invitations=True)
    return fields


INVITATIONS_CHANGES_PER_DAY = 2
"""How many times a day a member's mail may turn invitations on or off: each turn sends
a mail per event, and the From line proves nothing."""


def invitations_change_withheld(plan: Plan, incoming: Incoming, member: dict, wanted: bool | None,
                                kinds: list[str] | None = None) -> bool:
    """True when the message would turn ``member``'s invitations on or off (``wanted``),
    or change their kinds while on (``kinds``; a plain « oui » is every kind), but the
    day's :data:`INVITATIONS_CHANGES_PER_DAY` are used up: that change is not made (the
    rest of the message is), the animators are told, and the caller tells the member."""
    if wanted is None:
        return False
    if bool(member.get("invitations")) == wanted and (
            not wanted or (kinds or None) == (member.get("invitation_kinds") or None)):
        return False
    if take_allowance(plan, member["address"], "invitations", limit=INVITATIONS_CHANGES_PER_DAY):
        return False
    forward_to_animators(plan, incoming, reason="invitations_limit", purpose="invitations_limit",
                         member=member["ref"], limit=INVITATIONS_CHANGES_PER_DAY)
    plan.audit.warning("%s: %s invitations change withheld", incoming.parsed.message_id, member["ref"])
    return True


@dataclass(frozen=True)
class Taken:
    """What :func:`take_in` did: the member ``before`` and ``after``; ``queued``: the
    calendar mails sent or withdrawn; ``withheld``: an invitations change beyond the
    day's limit, not made; ``referred``: identity fields that differ from the record,
    handed to the animators."""

    before: dict
    after: dict
    queued: list[str]
    withheld: bool
    referred: list[str]


def take_in(plan: Plan, incoming: Incoming, member: dict, fields: MemberFields) -> Taken:
    """Record a confirmed ``member``'s own ``fields``, as written by them (the guard said
    so) or confirmed by them: invitations turned on or off within the day's limit
    (:func:`invitations_change_withheld`) and their events
    sent or withdrawn; preferences changed; name, first name and phone filled in where
    nothing is recorded, a different one handed to the animators (``member_change``:
    an animator changes it with ``rers members set`` after checking with the person)."""
    withheld = invitations_change_withheld(plan, incoming, member, fields.invitations, fields.invitation_kinds)
    if withheld:
        fields = replace(fields, invitations=None, invitation_kinds=None)
    referred = differing_fields(member, fields)
    after = apply_fields(member, fields, keep_identity=True)
    if fields.invitations is True and fields.invitation_kinds is None and after.get("invitation_kinds"):
        after = {**after, "invitation_kinds": None}  # a plain « oui »: every kind again
    if after != member:
        plan.members.replace(member["id"], after)
        after = plan.members.get(member["id"])
    queued = follow_preference(plan, member, after)
    if referred:
        language = plan.settings.network.language
        forward_to_animators(plan, incoming, reason="member_change", purpose="member_change", member=member["ref"],
                             fields=", ".join(label_of(f, "field", language) for f in referred))
    return Taken(member, after, queued, withheld, referred)


def contact_unavailable(plan: Plan, incoming: Incoming, member: dict, wanted: str | None) -> str | None:
    """The contact way ``wanted`` (written or confirmed by ``member``, now recorded) when
    the network cannot honour it (the phone of a member without a number): the animators
    are told; None when it can, or none was asked."""
    if wanted is None or choose_contact(member).honoured:
        return None
    language = plan.settings.network.language
    forward_to_animators(plan, incoming, reason="preferred_contact_unavailable", purpose="member_change",
                         member=member["ref"], contact=label_of(wanted, "contact", language),
                         theirs=label_of(wanted, "contact_theirs", language))
    return wanted


def ask_to_confirm(plan: Plan, incoming: Incoming, member: dict, changes: dict, why: str) -> str:
    """A message that may not change ``member``'s record (``why``: :data:`RELAY`,
    :data:`NOT_AUTHENTICATED`) would make ``changes`` (``{field: value}``): nothing is
    changed; the animators get the message with what was attempted, and the member is
    asked at their own recorded address (never one the message gave) whether they want
    it (question ``confirm_change``; a later attempt replaces an open one). The question
    counts against the member's daily answers: a flood of forgeries costs them at most
    that many mails a day. Returns the outcome."""
    parsed = incoming.parsed
    language = plan.settings.network.language
    ref = member["ref"]
    forward_to_animators(plan, incoming, purpose="record_change", member=ref,
                         reason="record_change_relay" if why == RELAY else "record_change_not_authenticated",
                         fields=", ".join(label_of(f, "field", language) for f in changes))
    plan.audit.warning("%s: a change of %s's record (%s) not from their own address (%s): confirmation asked",
                  parsed.message_id, ref, ", ".join(changes), why)
    if reachable(member) and not take_allowance(plan, member["address"]):
        plan.audit.info("%s: confirm_change for %s withheld, daily limit reached", parsed.message_id, ref)
        return Said("record change of {ref} ({why}): not made, question withheld (daily limit)", ref=ref, why=why)
    questions.ask_member(plan, member, kind=CONFIRM_CHANGE, subject_ref=ref, template=CONFIRM_CHANGE,
                         values={"changes": changes, "why": why}, cause=parsed.message_id,
                         data={"changes": changes, "why": why})
    return Said("record change of {ref} ({why}): not made, confirmation asked", ref=ref, why=why)


def on_confirm_change_answer(plan: Plan, incoming: Incoming, question: dict, answer: str) -> str:
    """Answer to ``confirm_change``: ``yes`` applies the changes of the question's data
    exactly as if the member had written them (:func:`take_in`; a different name or
    phone still goes to the animators) and acknowledges them (``preferences_done``);
    ``no`` changes nothing; ``unclear`` asks once more."""
    member = find_ref(plan, question["member"])
    early = settle_or_clarify(plan, incoming, question, answer, member)
    if early:
        return early
    ref = member["ref"]
    if answer == "no":
        plan.audit.info("%s: %s refused the change of their record", incoming.parsed.message_id, ref)
        return Said("confirm_change {ref}: refused, nothing changed", ref=ref)
    changes = {k: v for k, v in question["data"].get("changes", {}).items() if k in RECORD_FIELDS}
    fields = implied(MemberFields(**changes))
    taken = take_in(plan, incoming, member, fields)
    after = taken.after
    unavailable = contact_unavailable(plan, incoming, after, changes.get("contact"))
    turned_off = bool(taken.before.get("invitations")) and not after.get("invitations")
    tell_member(plan, after, template="preferences_done", purpose="preferences_done", cause=incoming.parsed.message_id,
                answering=incoming,
                values={"member": after, "invitations": None if taken.withheld else fields.invitations,
                        "contact": changes.get("contact"), "unavailable": unavailable,
                        "digest": changes.get("digest"),
                        "kinds": after.get("invitation_kinds") if fields.invitations and not taken.withheld else None,
                        "withdrawn": len(taken.queued) if turned_off else 0,
                        "animator": is_animator(plan, after.get("address")),
                        "withheld": fields.invitations if taken.withheld else None})
    made = sorted(k for k in changes if after.get(k) != taken.before.get(k))
    plan.audit.info("%s: %s confirmed the change of their record: %s", incoming.parsed.message_id, ref,
               ", ".join(made) or "nothing to change")
    outcome = (Said("confirm_change {ref}: {made}", ref=ref, made=", ".join(made)) if made
               else Said("confirm_change {ref}: unchanged", ref=ref))
    if taken.referred:
        return joined([outcome, Said("referred to the animators: {fields}", fields=", ".join(taken.referred))])
    return outcome
