"""A member's preferences: a message that says nothing else (« Invitations : non »,
« Contact : téléphone »), the day's limit on turning invitations on and off, and what
the network's server calls forged in a member's name.
"""
from __future__ import annotations

import logging

from workflows.decision import Incoming, Plan
from workflows.lookup import is_animator
from workflows.mail.authentication import forged
from workflows.mail.fields import PREFERENCE_FIELDS, only_preferences
from workflows.mail.labels import label_of
from workflows.model.privacy import choose_contact
from workflows.steps.invitations import follow_preference
from workflows.steps.speaking import answer_sender, forward_to_animators, take_allowance, who_wrote

audit = logging.getLogger("rers.audit")


def refuse_forged(plan: Plan, incoming: Incoming, member: dict | None, address: str) -> bool:
    """True, and the animators given the message, when the network's own mail server says
    this message from ``address`` (``member``'s, confirmed or pending, or nobody's yet) is
    forged (DMARC fail, see :func:`workflows.mail.authentication.forged`): nothing of it is acted on
    (an offer published or held in their name, their phone, contact or invitations
    changed, a join question sent), nobody answered."""
    if not forged(plan.settings, incoming.parsed):
        return False
    who = member["ref"] if member else address
    forward_to_animators(plan, incoming, reason="member_forged", purpose="member_forged", member=who)
    audit.warning("%s: in %s's name, DMARC fail: not acted on", incoming.parsed.message_id,
                  member["ref"] if member else "a non-member")
    return True


INVITATIONS_CHANGES_PER_DAY = 2
"""How many times a day a member's mail may turn invitations on or off: each turn sends
a mail per event, and the From line proves nothing."""


def invitations_change_withheld(plan: Plan, incoming: Incoming, member: dict, wanted: bool | None) -> bool:
    """True when the message would turn ``member``'s invitations on or off (``wanted``)
    but the day's :data:`INVITATIONS_CHANGES_PER_DAY` are used up: that change is not
    made (the rest of the message is), the animators are told, and the caller tells the
    member."""
    if wanted is None or bool(member.get("invitations")) == wanted:
        return False
    if take_allowance(plan, member["address"], "invitations", limit=INVITATIONS_CHANGES_PER_DAY):
        return False
    forward_to_animators(plan, incoming, reason="invitations_limit", purpose="invitations_limit",
                         member=member["ref"], limit=INVITATIONS_CHANGES_PER_DAY)
    audit.warning("%s: %s invitations change withheld", incoming.parsed.message_id, member["ref"])
    return True


def on_preferences(plan: Plan, incoming: Incoming) -> str | None:
    """A confirmed member's message that says nothing but their preferences (« Invitations :
    non », « Contact : téléphone »: :func:`workflows.mail.fields.only_preferences`),
    whatever its subject: recorded and acknowledged. Invitations switched on send the
    live events' invitations at once; switched off, nothing more is sent. A contact the
    network cannot honour (the phone of a member without a number) is recorded, the
    member told introductions will go through the permanence meanwhile, and the
    animators told. None when the message is not one (the caller handles it as usual).
    For the ``unknown`` route and plain-words replies to invitations, before reading
    them as anything else."""
    parsed = incoming.parsed
    if not only_preferences(parsed.text or ""):
        return None
    address, member = who_wrote(plan, incoming)
    if member is None or member["status"] != "confirmed":
        return None
    if refuse_forged(plan, incoming, member, address):
        return "forwarded: forged"
    wanted = {k: getattr(parsed.member, k) for k in PREFERENCE_FIELDS if getattr(parsed.member, k) is not None}
    withheld = invitations_change_withheld(plan, incoming, member, wanted.get("invitations"))
    if withheld:
        del wanted["invitations"]
    changed = {k: v for k, v in wanted.items() if member.get(k) != v}
    updated = plan.members.update(member["id"], **changed) if changed else member
    queued = follow_preference(plan, member, updated)
    unavailable = None
    if "contact" in wanted and not choose_contact(updated).honoured:
        unavailable = wanted["contact"]
        language = plan.settings.network.language
        forward_to_animators(plan, incoming, reason="preferred_contact_unavailable", purpose="member_change",
                             member=member["ref"], contact=label_of(unavailable, "contact", language),
                             theirs=label_of(unavailable, "contact_theirs", language))
    answer_sender(plan, incoming, template="preferences_done", purpose="preferences_done",
                  values={"member": updated, "invitations": wanted.get("invitations"),
                           "contact": wanted.get("contact"), "unavailable": unavailable,
                           "withdrawn": len(queued) if changed.get("invitations") is False else 0,
                           "animator": is_animator(plan, address),
                           "withheld": parsed.member.invitations if withheld else None})
    audit.info("%s: %s preferences %s", parsed.message_id, member["ref"], changed or "unchanged")
    return (f"preferences {member['ref']}: " + (", ".join(f"{k} {v}" for k, v in changed.items()) or "unchanged")
            + ("; invitations change withheld" if withheld else ""))
