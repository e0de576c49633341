"""Open reciprocity, without a currency (protocol.md, "The member's life in the network",
"Replies": « et vous ? »).

After a bilan « Échange réalisé : oui » on the asking side
(:func:`workflows.steps.followups.on_bilan_answer`), the member who received gets one warm
mail « Et vous, qu'aimeriez-vous transmettre ? » (template ``reciprocity``) with a few
open demands' titles — never a name, titles masked by :func:`workflows.model.privacy.redact`
— at most once in :data:`SEMESTER_DAYS` and never after they answered NON MERCI to it.

The mail asks no question (it carries no token): a reply to it is read like any mail in
reply to the robot's own — its subject is the robot's, its body counts — so « OFFRE :
cours de tricot » or « je peux montrer comment réparer un vélo » in the reply is an offer,
recorded as any member's offer (:func:`workflows.steps.items.on_item`). A reply that
says NON (NON MERCI) is claimed by the route « no thanks to et vous ? »
(:data:`workflows.routes.UNCLAIMED`, :func:`answers_invitation_with_no`) and recorded:
never asked again. The member's record::

    "reciprocity": {"asked": UTC ISO | None, "declined": UTC ISO | None} (absent: never asked)
"""
from __future__ import annotations

from datetime import datetime, timedelta

from workflows.decision import Incoming, Plan
from workflows.lookup import find_ref
from workflows.mail.answers import read_answer
from workflows.mail.sender import person_address
from workflows.model.privacy import public_item
from workflows.steps.catalogue import served_demands
from workflows.steps.people import who_wrote
from workflows.steps.speaking import answer_sender, tell_member
from workflows.model.said import Said


PURPOSE = "reciprocity"
"""The purpose of the « et vous ? » mail in the outbox (how a reply to it is recognised)."""
SEMESTER_DAYS = 182
"""At most one « et vous ? » mail to a member in this many days."""
DEMANDS_SHOWN = 5
"""How many open demands' titles the mail shows at most."""


def _open_demands(plan: Plan, member_ref: str) -> list[dict]:
    """A few open demands of other confirmed members, newest first: reference and masked
    title only (:func:`public_item`), never whose."""
    confirmed = {m["ref"] for m in plan.members.find("status", "confirmed")}
    served = served_demands(plan)
    demands = [i for i in plan.items.find("status", "open")
               if i["kind"] == "demand" and i.get("member") != member_ref and i.get("member") in confirmed
               and i["ref"] not in served]
    demands.sort(key=lambda i: i["created"], reverse=True)
    return [{"ref": d.ref, "title": d.title} for d in map(public_item, demands[:DEMANDS_SHOWN]) if d.title]


def may_invite(plan: Plan, member: dict | None) -> str | None:
    """Why ``member`` is not sent « et vous ? » now, or None when they may be: a confirmed
    member, not on a pause, who never answered NON MERCI to it and was not asked in the
    last :data:`SEMESTER_DAYS`."""
    if member is None or member.get("status") != "confirmed":
        return "not a confirmed member"
    if member.get("pause"):
        return "on a pause"
    record = member.get("reciprocity") or {}
    if record.get("declined"):
        return "said NON MERCI"
    asked = record.get("asked")
    if asked and plan.now - datetime.fromisoformat(asked) < timedelta(days=SEMESTER_DAYS):
        return "asked this semester"
    return None


def after_good_bilan(plan: Plan, ref: str, member_ref: str | None) -> str | None:
    """``member_ref``, who asked in introduction ``ref`` (``MR-7``, or ``MRV-3`` across
    networks), said the exchange took place: « et vous, qu'aimeriez-vous transmettre ? »,
    if they may get it (:func:`may_invite`). Returns the Message-ID, or None."""
    member = find_ref(plan, member_ref)
    why_not = may_invite(plan, member)
    if why_not is not None:
        plan.audit.info("%s: no « et vous ? » to %s (%s)", ref, member_ref, why_not)
        return None
    record = {**(member.get("reciprocity") or {}), "asked": plan.stamp(), "declined": None}
    member = plan.members.update(member["id"], reciprocity=record)
    sent = tell_member(plan, member, template="reciprocity", purpose=PURPOSE, cause=f"{ref}:reciprocity:{plan.today}",
                       values={"member": member, "demands": _open_demands(plan, member["ref"])})
    plan.audit.info("%s: « et vous ? » to %s", ref, member["ref"])
    return sent


def _reciprocity_mail(plan: Plan, incoming: Incoming) -> dict | None:
    """The « et vous ? » mail a message replies to (In-Reply-To, References), sent to the
    sender's own address, or None."""
    parsed = incoming.parsed
    address = person_address(parsed)
    if not address:
        return None
    for mid in reversed([*parsed.references, *parsed.in_reply_to]):
        doc = plan.outbox.find_one("message_id", mid.strip())
        if doc is not None and doc.get("purpose") == PURPOSE and address in doc.get("recipients", ()):
            return doc
    return None


def answers_invitation_with_no(plan: Plan, incoming: Incoming) -> bool:
    """The claim of the route « no thanks to et vous ? »: a reply to the « et vous ? »
    mail its sender got, whose own words say no (NON MERCI, Non, Pas intéressée)."""
    return _reciprocity_mail(plan, incoming) is not None and read_answer(incoming.parsed.text or "") == "no"


def on_no_thanks(plan: Plan, incoming: Incoming) -> str:
    """NON MERCI in reply to « et vous ? » (past :data:`workflows.routes.OWN_ADDRESS`):
    recorded on the member — never asked again —, acknowledged in a word
    (``reciprocity_done``)."""
    _, member = who_wrote(plan, incoming)
    record = {**(member.get("reciprocity") or {}), "declined": plan.stamp()}
    member = plan.members.update(member["id"], reciprocity=record)
    answer_sender(plan, incoming, template="reciprocity_done", purpose="reciprocity_done", values={"member": member})
    plan.audit.info("%s: %s said NON MERCI to « et vous ? »", incoming.parsed.message_id, member["ref"])
    return Said("reciprocity {member}: never asked again", member=member['ref'])
