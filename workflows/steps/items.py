"""Knowledge items (offers ``O-<n>``, demands ``D-<n>``; the document is
:mod:`workflows.model.items`): a confirmed member's offer or demand recorded,
acknowledged and matched (:func:`on_item`), a pending member's held items released, and
one withdrawn (``RETRAIT O-12``) after its member confirmed by reply.

``withdraw_item``, from the item's member or an animator (for a member without e-mail),
asks the item's member (question ``withdraw_item``); only a plain ``OUI`` closes the item
(« Oui, je garde mon offre ! » gets the clarification question). A non-member's offer is
a join (:mod:`workflows.steps.membership`).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from workflows.decision import Incoming, Plan
from workflows.lookup import find_ref, items_of
from workflows.mail.model import Item
from workflows.model.items import LIMITS, PREFIX, _bounded, without_repeats
from workflows.model.members import reachable
from workflows.steps import consents, federated_introductions, groups, introductions, questions
from workflows.steps.people import who_wrote
from workflows.steps.records import take_in
from workflows.steps.questions import destructive, may_ask, settle_or_clarify
from workflows.steps.speaking import answer_sender, forward_the_rest, forward_to_animators, reply_id
from workflows.model.said import Said


WITHDRAW_ITEM = "withdraw_item"
"""The question kind asked before an item is withdrawn."""


def record_items(plan: Plan, member: dict, items: list[Item], source: str) -> list[dict]:
    """Store each item for ``member``; returns the stored documents in order.

    Items of a pending member are ``held`` until the member confirms. ``source``: the
    Message-ID of the mail that carried them (or ``cli:…`` for the command line).

    Bounded (``[limits]``): at most ``max_items_per_message`` items of one message, and
    never more than ``max_open_items_per_member`` open or held for the member; the items
    beyond are not recorded (the first ones written are kept). :func:`too_many` says how
    many were left out, for the answer and the animators.
    """
    limits = plan.settings.limits
    holding = len(items_of(plan, member["ref"], "open", "held", "paused"))
    room = max(0, min(limits.max_items_per_message, limits.max_open_items_per_member - holding))
    status = "open" if member["status"] == "confirmed" else "held"
    stored = []
    for item in items[:room]:
        number = plan.next_number(item.kind)
        fields = asdict(item)
        fields.update({key: _bounded(fields.get(key), limit) for key, limit in LIMITS.items() if key in fields})
        doc = {
            **fields,
            "ref": f"{PREFIX[item.kind]}-{number}",
            "member": member["ref"],
            "status": status,
            "created": plan.stamp(),
            "closed": None,
            "source": source,
        }
        stored.append(plan.items.get(plan.items.insert(doc)))
        if item.kind == "offer" and item.standing_consent is True and source.startswith("<"):
            # « Accord permanent : oui » (workflows.steps.standing): kept as a consent record.
            consents.record(plan, member=member["ref"], purpose="standing", subject_ref=doc["ref"], how="mail",
                            message_id=source)
    return stored


def too_many(plan: Plan, member: dict, written: int, stored: list[dict]) -> dict | None:
    """What :func:`record_items` left out of ``written`` items (``stored`` were kept), or
    None when it kept them all: ``{"dropped", "per_message", "open_limit", "open_count",
    "reason"}`` — ``reason`` ``open`` when the member's open items reached the bound, else
    ``message``. The values of the answer « trop de savoirs d'un coup » (template
    ``items_too_many``) and of the animators' notice."""
    dropped = written - len(stored)
    if dropped <= 0:
        return None
    limits = plan.settings.limits
    holding = len(items_of(plan, member["ref"], "open", "held", "paused"))
    return {"dropped": dropped, "per_message": limits.max_items_per_message,
            "open_limit": limits.max_open_items_per_member, "open_count": holding,
            "reason": "open" if holding >= limits.max_open_items_per_member else "message"}


def tell_too_many(plan: Plan, incoming: Incoming, member: dict, info: dict) -> None:
    """The animators see a message whose items were not all recorded (the message
    attached: they may record the rest by hand)."""
    forward_to_animators(plan, incoming, reason="too_many_items", purpose="too_many_items", member=member["ref"],
                         dropped=info["dropped"], per_message=info["per_message"], open_limit=info["open_limit"])
    plan.audit.warning("%s: %s: %d item(s) not recorded (%s bound)", incoming.parsed.message_id, member["ref"],
                  info["dropped"], info["reason"])


def to_matching(plan: Plan, items: list[dict]) -> None:
    """Items just opened go to every matching at once, in order: a pair here
    (:func:`workflows.steps.introductions.on_items_opened`), a group
    (:func:`workflows.steps.groups.on_items_opened`), then, for a shared demand that found
    neither, an offer of a linked network
    (:func:`workflows.steps.federated_introductions.on_items_opened`)."""
    introductions.on_items_opened(plan, items)
    groups.on_items_opened(plan, items)
    federated_introductions.on_items_opened(plan, items)


def release_held(plan: Plan, member_ref: str) -> list[dict]:
    """Open the member's held items (they just confirmed joining); returns them."""
    return [plan.items.update(i["id"], status="open") for i in items_of(plan, member_ref, "held")]


def close_item(plan: Plan, item: dict) -> dict:
    """Close an item (withdrawn by its member: ``RETRAIT``, or NON to « toujours
    d'actualité ? »); returns it. What it was part of learns it here, whichever way it
    was withdrawn: its proposals and introductions (here and across networks) and its
    group (:func:`workflows.steps.groups.on_item_closed`)."""
    closed = plan.items.update(item["id"], status="closed", closed=plan.stamp())
    introductions.on_item_closed(plan, closed["ref"])
    federated_introductions.on_item_closed(plan, closed["ref"])
    groups.on_item_closed(plan, closed["ref"])
    return closed


def on_withdraw_item(plan: Plan, incoming: Incoming) -> str:
    """``withdraw_item`` (``RETRAIT O-12``, from the item's member or an animator: who may
    send it is :data:`workflows.routes.ITEM_HOLDER`): the item's member is asked to confirm."""
    parsed = incoming.parsed
    address, member = who_wrote(plan, incoming)
    if not address:
        forward_to_animators(plan, incoming, reason="withdraw_item_no_address")
        return Said("forwarded: no address")
    item = plan.items.find_one("ref", parsed.item_ref) if parsed.item_ref else None
    owned = item is not None and member is not None and item["member"] == member["ref"]
    if item is None or item["status"] == "closed":  # who may: ITEM_HOLDER; closed meanwhile
        answer_sender(plan, incoming, template="withdraw_item_refused",
                      values={"ref": parsed.item_ref, "closed": owned and item["status"] == "closed"},
                      purpose="withdraw_item_refused")
        return Said("withdraw_item {item_ref}: not found for the sender", item_ref=parsed.item_ref)
    owner = member if owned else find_ref(plan, item["member"])
    if not may_ask(plan, incoming, address, WITHDRAW_ITEM):
        return Said("withdraw_item {item}: question withheld", item=item['ref'])
    questions.ask_member(
        plan, owner, kind=WITHDRAW_ITEM, subject_ref=item["ref"], template="withdraw_item_confirm",
        values={"item": item}, cause=parsed.message_id,
        in_reply_to=reply_id(parsed.message_id) if owned else None,
        auto_submitted="auto-replied" if owned else "auto-generated",
    )
    if not owned and reachable(owner):
        answer_sender(plan, incoming, template="withdraw_item_asked", values={"item": item, "member": owner},
                      purpose="withdraw_item_asked")
    return Said("withdraw_item {item}: confirmation asked of {owner}", item=item['ref'], owner=owner['ref'])


def on_withdraw_item_answer(plan: Plan, incoming: Incoming, question: dict, answer: str) -> str:
    """Answer to ``withdraw_item``: ``yes`` closes the item, ``no`` keeps it,
    ``unclear`` asks once more."""
    item = plan.items.find_one("ref", question["subject_ref"])
    answer = destructive(incoming, answer)
    early = settle_or_clarify(plan, incoming, question, answer, find_ref(plan, question["member"]), item,
                               needs_item=True)
    if early:
        return early
    closed = answer == "yes" and item["status"] != "closed"
    if closed:
        item = close_item(plan, item)
    answer_sender(plan, incoming, template="withdraw_item_done",
                  values={"item": item, "closed": answer == "yes", "proxy": bool(question["data"].get("proxy"))},
                  purpose="withdraw_item_done", must_reach=True)
    questions.pass_on_remarks(plan, incoming, question, answer)
    if answer == "yes":
        return Said("withdraw_item {item}: closed", item=item["ref"])
    return Said("withdraw_item {item}: kept", item=item["ref"])


def on_item(plan: Plan, incoming: Incoming) -> str:
    """``offer`` / ``demand`` of a confirmed member: the items recorded open, matched and
    acknowledged. (Anyone else's offer is a join plus items held until confirmation:
    :data:`workflows.routes.ROUTES` sends it to :func:`workflows.steps.membership.ask_to_join`.)

    A message with no readable title cannot become an item: the animators get it, and the
    sender is told how to write one.
    """
    parsed = incoming.parsed
    address, member = who_wrote(plan, incoming)
    if not address:
        forward_to_animators(plan, incoming, reason="item_no_address")
        return Said("forwarded: no address")
    if not parsed.items:
        forward_to_animators(plan, incoming, reason="item_no_title")
        answer_sender(plan, incoming, template="item_unclear", values={"intent": parsed.intent}, purpose="item_unclear")
        return Said("forwarded: no title")
    recorded = record_for_confirmed(plan, incoming, member)
    items, left_out = recorded.items, recorded.left_out
    forward_the_rest(plan, incoming)
    if left_out:
        answer_sender(plan, incoming, template="items_too_many",
                      values={"member": member, "items": items, **left_out}, purpose="items_too_many")
        return Said("recorded{refs}, {dropped} not recorded (too many)", refs=refs(items), dropped=left_out["dropped"])
    answer_sender(plan, incoming, template="items_ack",
                  values={"member": member, "items": items, "created": False, "calendar": recorded.calendar,
                          "again": recorded.again},
                  purpose="items_ack")
    if not items:
        return Said("already recorded{refs}", refs=refs(recorded.again))
    return Said("recorded{refs}", refs=refs(items)) if not recorded.again else Said(
        "recorded{refs}, already recorded{again}", refs=refs(items), again=refs(recorded.again))


def refs(items: list[dict]) -> str:
    return (" " + ", ".join(i["ref"] for i in items)) if items else ""


@dataclass(frozen=True)
class Recorded:
    """What :func:`record_for_confirmed` did: ``items`` recorded; ``calendar`` (see
    there); ``again``: the member's open, held or paused items the message wrote again,
    not recorded twice; ``left_out``: :func:`too_many`'s answer (None: all kept)."""

    items: list[dict]
    calendar: dict | None
    again: list[dict]
    left_out: dict | None


def new_items(plan: Plan, member: dict, written: list[Item]) -> tuple[list[Item], list[dict]]:
    """The items ``written`` in one message that ``member`` does not have yet, each once,
    and the member's open, held or paused items written again
    (:func:`workflows.model.items.without_repeats`)."""
    return without_repeats(written, items_of(plan, member["ref"], "open", "held", "paused"))


def record_for_confirmed(plan: Plan, incoming: Incoming, member: dict) -> Recorded:
    """A confirmed member's message: their fields taken in (:func:`workflows.steps.records.take_in`:
    completed, a change of name or phone to the animators), items recorded open and
    handed to matching. Returns the items and, when the message turned invitations on or
    off (or asked to, beyond the day's limit: ``withheld``), ``{"invitations": bool,
    "withdrawn": number of events withdrawn from their agenda, "withheld": bool}`` (else
    None). A message that may not change the member's record comes here without its
    fields (:data:`workflows.routes.OWN_RECORD`). An item written twice, or one the member
    has already, is recorded once (:func:`new_items`)."""
    parsed = incoming.parsed
    taken = take_in(plan, incoming, member, parsed.member)
    updated = taken.after
    calendar = {"invitations": parsed.member.invitations, "withdrawn": 0, "withheld": True} if taken.withheld else None
    if bool(updated.get("invitations")) != bool(member.get("invitations")):
        calendar = {"invitations": bool(updated.get("invitations")),
                    "withdrawn": 0 if updated.get("invitations") else len(taken.queued), "withheld": False}
    fresh, again = new_items(plan, member, parsed.items)
    items = record_items(plan, member, fresh, parsed.message_id)
    left_out = too_many(plan, member, len(fresh), items)
    if left_out:
        tell_too_many(plan, incoming, member, left_out)
    if items:
        to_matching(plan, items)
        plan.audit.info("%s: %s %s", parsed.message_id, member["ref"], ", ".join(i["ref"] for i in items))
    return Recorded(items, calendar, again, left_out)
