"""Consent records (*consentement éclairé*): who agreed to what, when, on which text, how.

Every consent — joining the network, and each introduction — is one document of the
collection ``consents``; a change (a new answer, a new text version) adds a document and
marks the previous one ``superseded``, so the history is kept until the member's data is
erased::

    {"member": "M-14", "purpose": "membership" | "introduction" | …,
     "subject_ref": "M-14" | "MR-7", "given": bool,
     "how": "mail" | "oral" | "written" | "standing"   (standing: an offerer's consent to an
            introduction taken from their « Accord permanent : oui » on the offer, whose
            message is ``message_id``),
     "texts": {"charte": {"version": "charte-v1", "sha256": "…"}, …},
     "message_id": "<…>" | None   (the answering mail, for "mail"),
     "recorded_by": "Claire (anim@…)" | None   (the animator, for "oral"/"written"),
     "note": "oral, à la permanence du 2026-12-07" | None,
     "at": UTC ISO, "superseded": UTC ISO | None}
"""
from __future__ import annotations

from workflows.decision import Plan
from workflows.lookup import consent_in_force

HOW = ("mail", "oral", "written", "standing")


def record(
    plan: Plan,
    *,
    member: str,
    purpose: str,
    how: str,
    subject_ref: str | None = None,
    given: bool = True,
    texts: dict | None = None,
    message_id: str | None = None,
    recorded_by: str | None = None,
    note: str | None = None,
) -> dict:
    """Record a consent (or a refusal, ``given=False``) and supersede the current record
    of the same member, purpose and subject. Returns the new document. In a transaction.

    ``how``: one of :data:`HOW` (ValueError otherwise); a ``mail`` consent needs the
    ``message_id`` of the answer, an ``oral``/``written`` one the animator who recorded it
    (``recorded_by``) — ValueError when missing.
    """
    if how not in HOW:
        raise ValueError(f"consent how={how!r}: expected one of {HOW}")
    if how in ("mail", "standing") and not message_id:
        raise ValueError(f"a consent given {how} needs the Message-ID of the message that gave it")
    if how in ("oral", "written") and not recorded_by:
        raise ValueError("a consent given in person needs the animator who recorded it")
    subject_ref = subject_ref or member
    previous = consent_in_force(plan, member, purpose, subject_ref)
    if previous is not None:
        plan.consents.update(previous["id"], superseded=plan.stamp())
    doc = {
        "member": member,
        "purpose": purpose,
        "subject_ref": subject_ref,
        "given": given,
        "how": how,
        "texts": texts or {},
        "message_id": message_id,
        "recorded_by": recorded_by,
        "note": note,
        "at": plan.stamp(),
        "superseded": None,
    }
    return plan.consents.get(plan.consents.insert(doc))

