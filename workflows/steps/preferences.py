"""A member's preferences: a message that says nothing else (« Invitations : non »,
« Contact : téléphone », « Nouvelles : oui »). How a member's own fields are recorded,
and the day's limit on turning invitations on and off, is :mod:`workflows.steps.records`.
"""
from __future__ import annotations


from workflows.decision import Incoming, Plan
from workflows.lookup import is_animator
from workflows.mail.fields import PREFERENCE_FIELDS
from workflows.mail.labels import label_of
from workflows.model.members import IDENTITY_FIELDS
from workflows.steps import standing
from workflows.steps.people import who_wrote
from workflows.steps.records import KEPT_FIELDS, contact_unavailable, implied, take_in
from workflows.steps.speaking import answer_sender
from workflows.model.said import Said, joined


def on_preferences(plan: Plan, incoming: Incoming) -> str | None:
    """A confirmed member's message that says nothing but their preferences (« Invitations :
    non », « Contact : téléphone »: :func:`workflows.mail.fields.only_preferences`),
    whatever its subject: recorded (:func:`workflows.steps.records.take_in`: who the
    member is completed, never changed — a change goes to the animators) and
    acknowledged. Invitations switched on send the live events' invitations at once;
    switched off, nothing more is sent. A contact the network cannot honour (the phone
    of a member without a number) is recorded, the member told introductions will go
    through the permanence meanwhile, and the animators told. What claims such a
    message, and who may send it, is :data:`workflows.routes.UNCLAIMED`'s first row (a
    message that may not change the record never gets here); None when the sender is no
    confirmed member after all. ``Accord permanent : oui/non`` written with them (« Contact :
    permanence » in the body, « Accord permanent : oui O-1 » in the subject) is applied
    too, after them, and said in the same answer (:func:`workflows.steps.standing.apply`)."""
    parsed = incoming.parsed
    address, member = who_wrote(plan, incoming)
    if member is None or member["status"] != "confirmed":
        return None
    fields = implied(parsed.member)
    wanted = {k: getattr(fields, k) for k in (*PREFERENCE_FIELDS, *KEPT_FIELDS) if getattr(fields, k) is not None}
    taken = take_in(plan, incoming, member, fields)
    if taken.withheld:
        del wanted["invitations"]
    updated = taken.after
    changed = {k: updated.get(k) for k in dict.fromkeys([*wanted, *IDENTITY_FIELDS]) if updated.get(k) != member.get(k)}
    unavailable = contact_unavailable(plan, incoming, updated, wanted.get("contact"))
    standing_said, standing_outcome = (standing.apply(plan, incoming, updated)
                                       if standing.written_consent(incoming) is not None else (None, None))
    answer_sender(plan, incoming, template="preferences_done", purpose="preferences_done",
                  values={"member": updated, "invitations": wanted.get("invitations"),
                           "contact": wanted.get("contact"), "unavailable": unavailable,
                           "digest": wanted.get("digest"),
                           "kinds": updated.get("invitation_kinds") if wanted.get("invitations") else None,
                           "withdrawn": len(taken.queued) if changed.get("invitations") is False else 0,
                           "animator": is_animator(plan, address),
                           "withheld": parsed.member.invitations if taken.withheld else None,
                           # Said back, so that « C'est noté » is never an empty list.
                           "phone": updated.get("phone") if changed.get("phone") else None,
                           "referred": [label_of(f, "field", plan.settings.network.language) for f in taken.referred],
                           "standing": standing_said})
    plan.audit.info("%s: %s preferences %s", parsed.message_id, member["ref"], changed or "unchanged")
    outcome = (Said("preferences {member}: {changed}", member=member["ref"],
                    changed=", ".join(f"{k} {v}" for k, v in changed.items())) if changed
               else Said("preferences {member}: unchanged", member=member["ref"]))
    withheld = [Said("invitations change withheld")] if taken.withheld else []
    return joined([outcome, *withheld, *([standing_outcome] if standing_outcome else [])])
