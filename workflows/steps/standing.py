"""Standing consent, scoped to one offer (protocol.md, "Fields": ``standing_consent``,
``Accord permanent : oui``).

An offer written with ``Accord permanent : oui`` lets the animators put its askers in
touch without asking the offerer again: when an introduction of that offer reaches the
members' consent (:func:`workflows.steps.introductions.ask_consents`), the offerer's
consent is taken as given — recorded as a consent ``how`` ``standing`` whose
``message_id`` is the message that gave the standing consent — and only the asker is
asked. Once the asker said yes, the asker gets the introduction (the offerer's first name
and chosen contact) and the offerer a short notice (template ``standing_used``: someone
was put in touch on O-12, their first name only), which says how to stop.

Never for a member whose contact choice is ``permanence`` (they meet at the permanence,
through the animators: each introduction is theirs to accept). It stops with one word:
``Accord permanent : non`` (with the offer's reference, or alone: all their offers), or a
reply « STOP » to a ``standing_used`` notice (that offer). ``Accord permanent : oui O-12``
gives it for an offer already recorded. Each change is a consent record (purpose
``standing``, subject the offer), and the offer keeps::

    "standing_consent": True | False | None, "standing_source": Message-ID | None
"""
from __future__ import annotations

from workflows.decision import Incoming, Plan
from workflows.lookup import find_item, items_of
from workflows.mail.answers import read_answer
from workflows.mail.fields import read_fields
from workflows.mail.intents import item_ref_in
from workflows.mail.sender import person_address
from workflows.mail.textutil import fold
from workflows.model.privacy import public_item
from workflows.steps import consents
from workflows.steps.people import who_wrote
from workflows.steps.speaking import answer_sender
from workflows.model.said import Said


USED = "standing_used"
"""The purpose of the notice to the offerer after each use."""


def in_force(member: dict | None, item: dict | None) -> bool:
    """True when ``item`` (an open offer of ``member``) carries a standing consent that
    may be used: given, the member confirmed, their contact choice not ``permanence``."""
    return (item is not None and member is not None and item.get("kind") == "offer"
            and item.get("standing_consent") is True and member.get("status") == "confirmed"
            and member.get("contact") != "permanence")


def source_of(item: dict) -> str | None:
    """The Message-ID of the message that gave ``item``'s standing consent."""
    return item.get("standing_source") or item.get("source")


def record_grant(plan: Plan, item: dict, given: bool, message_id: str | None) -> dict:
    """``item``'s standing consent set to ``given`` by the message ``message_id``: on the
    item, and as a consent record (purpose ``standing``, subject the offer). Returns the
    item."""
    item = plan.items.update(item["id"], standing_consent=given, standing_source=message_id if given else None)
    if message_id and message_id.startswith("<"):
        consents.record(plan, member=item["member"], purpose="standing", subject_ref=item["ref"], given=given,
                        how="mail", message_id=message_id)
    return item


def _notice(plan: Plan, incoming: Incoming) -> dict | None:
    """The ``standing_used`` notice a message replies to, sent to its sender, or None."""
    parsed = incoming.parsed
    address = person_address(parsed)
    if not address:
        return None
    for mid in reversed([*parsed.references, *parsed.in_reply_to]):
        doc = plan.outbox.find_one("message_id", mid.strip())
        if doc is not None and doc.get("purpose") == USED and address in doc.get("recipients", ()):
            return doc
    return None


def written_consent(incoming: Incoming) -> bool | None:
    """The ``Accord permanent : oui/non`` the message says (body, else subject), or a
    « STOP » (False) in reply to a notice; None when it says neither."""
    parsed = incoming.parsed
    said = read_fields(parsed.text or "", None).pending.get("standing_consent")
    if said is None and not parsed.reply_to_robot:
        said = read_fields(parsed.subject or "", None).pending.get("standing_consent")
    return said


def changes_standing(plan: Plan, incoming: Incoming) -> bool:
    """The claim of the route « standing consent »: ``Accord permanent : oui/non`` in a
    message no keyword claimed, or a « STOP » / NON in reply to a ``standing_used``
    notice its sender got."""
    if written_consent(incoming) is not None:
        return True
    if _notice(plan, incoming) is None:
        return False
    words = fold(incoming.parsed.text or "").strip(" .!\n")
    return words.startswith("stop") or read_answer(incoming.parsed.text or "") == "no"


def on_standing(plan: Plan, incoming: Incoming) -> str:
    """``Accord permanent : oui/non`` or « STOP » (past :data:`workflows.routes.OWN_ADDRESS`):
    applied (:func:`apply`), acknowledged (``standing_done``)."""
    _, member = who_wrote(plan, incoming)
    said, outcome = apply(plan, incoming, member)
    answer_sender(plan, incoming, template="standing_done", purpose="standing_done", values={"member": member, **said})
    return outcome


def apply(plan: Plan, incoming: Incoming, member: dict) -> tuple[dict, str]:
    """The standing consent ``incoming`` says, for the confirmed ``member`` who wrote it:
    the offers it names — the reference written, else the offer of the notice answered,
    else (for non) every offer of theirs that has it, (for oui) their only open offer —
    changed (:func:`record_grant`). Returns what to say (the values of
    ``_standing_said.txt.j2``: ``given``, ``items``, ``ref``, ``permanence``) and the
    outcome."""
    parsed = incoming.parsed
    said = written_consent(incoming)
    notice = _notice(plan, incoming)
    given = bool(said)
    ref = item_ref_in(f"{parsed.subject or ''}\n{parsed.text or ''}", "Oo0")
    if ref is None and notice is not None:
        ref = (notice.get("cause") or "").rsplit(":", 1)[-1] or None
    mine = [i for i in items_of(plan, member["ref"], "open", "paused") if i["kind"] == "offer"]
    if ref is not None:
        item = find_item(plan, ref)
        targets = [item] if item is not None and item["member"] == member["ref"] and item["status"] != "closed" else []
    elif given:
        targets = mine if len(mine) == 1 else []
    else:
        targets = [i for i in mine if i.get("standing_consent")]
    changed = [record_grant(plan, item, given, parsed.message_id) for item in targets]
    plan.audit.info("%s: %s standing consent %s on %s", parsed.message_id, member["ref"], "given" if given else "stopped",
                    ", ".join(i["ref"] for i in changed) or "nothing")
    return ({"given": given, "items": [public_item(i) for i in changed], "ref": ref,
             "permanence": member.get("contact") == "permanence"},
            _standing_outcome(member, given, changed))


def _standing_outcome(member: dict, given: bool, changed: list[dict]) -> Said:
    refs = ", ".join(i["ref"] for i in changed)
    if given:
        return (Said("standing {member}: given on {refs}", member=member["ref"], refs=refs) if refs
                else Said("standing {member}: given on nothing", member=member["ref"]))
    return (Said("standing {member}: stopped on {refs}", member=member["ref"], refs=refs) if refs
            else Said("standing {member}: stopped on nothing", member=member["ref"]))
