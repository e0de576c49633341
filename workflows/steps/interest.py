"""``JE M'INTÉRESSE À O-12`` (or « D-7 m'intéresse », or a reply to the catalogue or the
news naming a reference): a confirmed member says a listed item is for them.

For an offer, the sender gets a demand of the same title (for a demand, an offer), marked
``interest_in`` the item, and the animators a proposal of the pair (``MR-<n>``, source
``interest``), as if matching had found it: from there the introduction goes on as any
other (approval, both consents, bilan). Nothing about the other member is said to the
sender: the item's reference and title only (they are in the catalogue already).
"""
from __future__ import annotations


from workflows.decision import Incoming, Plan
from workflows.lookup import find_item, items_of
from workflows.mail.model import Item
from workflows.model.introductions import ACTIVE
from workflows.model.privacy import public_item
from workflows.steps.introductions import propose
from workflows.steps.items import record_items, too_many
from workflows.steps.matcher import intros_of, matcher
from workflows.steps.people import who_wrote
from workflows.steps.speaking import answer_sender, forward_the_rest


OTHER_KIND = {"offer": "demand", "demand": "offer"}


def _refusal(item: dict | None, member: dict) -> str | None:
    """Why the sender cannot take up ``item``: ``unknown`` (no such item, or one not
    listed: held, paused, closed — the sender is not told which), ``own`` (theirs)."""
    if item is None or item["status"] != "open":
        return "unknown"
    if item["member"] == member["ref"]:
        return "own"
    return None


def on_interest(plan: Plan, incoming: Incoming) -> str:
    """``interest`` of a confirmed member from their own address (who may:
    :data:`workflows.routes.OWN_ADDRESS`). The item named (``parsed.item_ref``) must be
    listed (open) and another member's; else the sender is told it is not in the list
    (``interest_done``, ``problem``). The sender's own item for it is recorded (or the
    one they already have for it is kept: ``again``), and, unless the pair is already
    under way, proposed to the animators (:func:`workflows.steps.introductions.propose`,
    source ``interest``). Acknowledged with ``interest_done``."""
    parsed = incoming.parsed
    _, member = who_wrote(plan, incoming)
    item = find_item(plan, parsed.item_ref)
    problem = _refusal(item, member)
    forward_the_rest(plan, incoming)
    if problem is not None:
        answer_sender(plan, incoming, template="interest_done", purpose="interest_done",
                      values={"member": member, "ref": parsed.item_ref, "problem": problem, "about": None,
                              "mine": None, "again": False, "proposed": False})
        return f"interest {parsed.item_ref}: {problem}"
    kind = OTHER_KIND[item["kind"]]
    earlier = [i for i in items_of(plan, member["ref"], "open", "held", "paused")
               if i.get("interest_in") == item["ref"]]
    if earlier:
        mine = earlier[0]
    else:
        stored = record_items(plan, member, [Item(kind=kind, title=item["title"], modality=item.get("modality"))],
                              parsed.message_id)
        if not stored:
            left_out = too_many(plan, member, 1, stored)
            answer_sender(plan, incoming, template="items_too_many", purpose="items_too_many",
                          values={"member": member, "items": [], **left_out})
            return f"interest {item['ref']}: not recorded (too many items)"
        mine = plan.items.update(stored[0]["id"], interest_in=item["ref"])
    offer, demand = (item, mine) if item["kind"] == "offer" else (mine, item)
    m = matcher(plan)
    under_way = any(i["demand"] == demand["ref"] and i["status"] in ACTIVE for i in intros_of(plan, m, offer["ref"]))
    proposed = None
    if not under_way and mine["status"] == "open":
        m.refresh(offer)
        m.refresh(demand)
        proposed = propose(plan, offer, demand, m.index.explain(offer["ref"], demand["ref"]), source="interest")
    answer_sender(plan, incoming, template="interest_done", purpose="interest_done",
                  values={"member": member, "ref": item["ref"], "problem": None, "about": public_item(item),
                          "mine": public_item(mine), "again": bool(earlier), "proposed": proposed is not None})
    plan.audit.info("%s: %s interested in %s: %s%s", parsed.message_id, member["ref"], item["ref"], mine["ref"],
               f", {proposed['ref']} proposed" if proposed else "")
    return (f"interest {item['ref']}: {mine['ref']}" + (" kept" if earlier else " recorded")
            + (f", {proposed['ref']} proposed" if proposed else ", no new proposal"))
