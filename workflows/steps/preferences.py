"""A member's preferences: a message that says nothing else (« Invitations : non »,
« Contact : téléphone »), and the day's limit on turning invitations on and off.
"""
from __future__ import annotations

import logging

from workflows.decision import Incoming, Plan
from workflows.lookup import is_animator
from workflows.mail.fields import PREFERENCE_FIELDS
from workflows.mail.labels import label_of
from workflows.model.members import IDENTITY_FIELDS, apply_fields, differing_fields
from workflows.model.privacy import choose_contact
from workflows.steps.invitations import follow_preference
from workflows.steps.people import who_wrote
from workflows.steps.speaking import answer_sender, forward_to_animators, take_allowance

audit = logging.getLogger("rers.audit")


KEPT_FIELDS = ("digest", "invitation_kinds")
"""Preferences recorded as the member writes them (« Nouvelles : oui », « Invitations :
permanences, ateliers »): the monthly news and invitations by kind read them."""

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
    animators told. What claims such a message, and who may send it, is
    :data:`workflows.routes.UNCLAIMED`'s first row; None when the sender is no confirmed
    member after all."""
    parsed = incoming.parsed
    address, member = who_wrote(plan, incoming)
    if member is None or member["status"] != "confirmed":
        return None
    fields = parsed.member
    wanted = {k: getattr(fields, k) for k in (*PREFERENCE_FIELDS, *KEPT_FIELDS) if getattr(fields, k) is not None}
    if fields.invitation_kinds and fields.invitations is None:
        wanted["invitations"] = True  # « Invitations : ateliers »: they want some
    withheld = invitations_change_withheld(plan, incoming, member, wanted.get("invitations"))
    if withheld:
        del wanted["invitations"]
    # Who the member is (name, first name, phone) is completed, never changed by a mail:
    # a change goes to the animators, to check with the person (protocol.md, preferences).
    completed = {k: v for k, v in apply_fields(member, fields, keep_identity=True).items()
                 if k in IDENTITY_FIELDS and member.get(k) != v}
    differing = differing_fields(member, fields)
    if differing:
        language = plan.settings.network.language
        forward_to_animators(plan, incoming, reason="member_change", purpose="member_change", member=member["ref"],
                             fields=", ".join(label_of(f, "field", language) for f in differing))
    changed = {k: v for k, v in {**wanted, **completed}.items() if member.get(k) != v}
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
