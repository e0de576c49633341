"""``JE M'INTÉRESSE À O-12`` (or « D-7 m'intéresse », or a reply to the catalogue or the
news naming a reference): a confirmed member says a listed item is for them.

For an offer, the sender gets a demand of the same title (for a demand, an offer, its
title without the learner's words: :func:`offer_title`), marked
``interest_in`` the item, and the animators a proposal of the pair (``MR-<n>``, source
``interest``), as if matching had found it: from there the introduction goes on as any
other (approval, both consents, bilan). Nothing about the other member is said to the
sender: the item's reference and title only (they are in the catalogue already).

A sender who already has an open item of the other kind for it — marked for that item, of
the same title, or one matching would pair with it (``[matching] min_score``) — keeps
that one: it is proposed with the item, and no second demand (or offer) is recorded.

An item waits on one proposal at a time (:func:`workflows.model.matching.item_busy`):
when the sender's item already waits on an answer to another, nothing is proposed now;
it stays marked ``interest_in`` the item, the sender is told the pair will be proposed
after, and it is, before any other partner, when the item is free again
(:func:`workflows.steps.introductions.match_item`, :func:`~workflows.steps.introductions.asked_again`). The listed item's own proposals do not
hold the pair back: the sender named it (an offer may be proposed to several askers).
"""
from __future__ import annotations

import re

from workflows.decision import Incoming, Plan
from workflows.lookup import find_item, items_of
from workflows.mail.model import Item
from workflows.mail.textutil import fold_with_map
from workflows.model.groups import collective
from workflows.model.matching import fold, served, waiting
from workflows.model.introductions import ACTIVE
from workflows.model.privacy import public_item
from workflows.steps.introductions import propose
from workflows.steps.items import record_items, too_many
from workflows.steps.matcher import Matcher, engaged, intros_of, matcher
from workflows.steps.people import who_wrote
from workflows.steps.speaking import answer_sender, forward_the_rest, forward_to_animators
from workflows.model.said import Said


OTHER_KIND = {"offer": "demand", "demand": "offer"}

_LEARNING_RE = re.compile(
    r"\s*(?:(?:j'aimerais|je voudrais|je souhaite|je cherche a|envie d'|besoin d')\s*)?"
    r"(?:apprendre|decouvrir|m'initier|s'initier|progresser|me perfectionner|se perfectionner)"
    r"(?:\s+(?:a|au|aux|en|comment))?\s+")


def offer_title(demand_title: str) -> str:
    """The title of an offer made for a demand, as an offerer would write it: the demand's
    title without its learner's words (« apprendre le tricot » -> « Le tricot »,
    « Apprendre à coudre » -> « Coudre »); the title itself when nothing is left."""
    folded, where = fold_with_map(demand_title)
    match = _LEARNING_RE.match(folded)
    if match is None or match.end() >= len(where):
        return demand_title
    rest = demand_title[where[match.end()]:].strip()
    return rest[:1].upper() + rest[1:] if rest else demand_title


def _refusal(item: dict | None, member: dict) -> str | None:
    """Why the sender cannot take up ``item``: ``unknown`` (no such item, or one not
    listed: held, paused, closed — the sender is not told which), ``own`` (theirs)."""
    if item is None or item["status"] != "open":
        return "unknown"
    if item["member"] == member["ref"]:
        return "own"
    return None


def _already_mine(plan: Plan, m: Matcher, member: dict, item: dict) -> tuple[dict | None, bool]:
    """The sender's own item for ``item``, and whether it was marked for it: one of theirs
    marked ``interest_in`` it (open, held or paused), else an open one of the other kind of
    the same title (folded), else the open one matching scores best with it, at least
    ``min_score``; ``(None, False)`` when none. A collective offer is left out (it gathers
    a group, it is not proposed in a pair), and so is a demand already served by an
    introduction (:func:`workflows.model.matching.served`: it gets no other proposal)."""
    kind = OTHER_KIND[item["kind"]]
    marked = [i for i in items_of(plan, member["ref"], "open", "held", "paused") if i.get("interest_in") == item["ref"]]
    if marked:
        return marked[0], True
    mine = [i for i in items_of(plan, member["ref"], "open")
            if i["kind"] == kind and not collective(i) and not served(kind, engaged(plan, m, i["ref"]))]
    title = fold(item["title"])
    same = [i for i in mine if fold(i["title"]) == title]
    if same:
        return same[0], False
    best, best_score = None, plan.settings.matching.min_score
    m.refresh(item)
    for candidate in mine:
        m.refresh(candidate)
        offer, demand = (item, candidate) if item["kind"] == "offer" else (candidate, item)
        score = m.index.explain(offer["ref"], demand["ref"]).score
        if score >= best_score:
            best, best_score = candidate, score
    return best, False


def not_a_member(plan: Plan, incoming: Incoming) -> str:
    """``interest`` from someone who is not a confirmed member (past
    :data:`workflows.routes.OWN_ADDRESS`'s first check): nothing recorded; the person is
    told how to join — or, a pending member, to confirm — and to say it again then
    (``interest_done``, ``problem`` ``not_member`` / ``pending``), and the animators get the
    message with that reason (``interest_not_member`` / ``interest_pending``). No address to answer: the
    animators only."""
    parsed = incoming.parsed
    address, member = who_wrote(plan, incoming)
    pending = member is not None
    forward_to_animators(plan, incoming, reason="interest_pending" if pending else "interest_not_member",
                         purpose="interest_not_member", ref=parsed.item_ref)
    if address:
        answer_sender(plan, incoming, template="interest_done", purpose="interest_done",
                      values={"member": member, "ref": parsed.item_ref, "problem": "pending" if pending else "not_member",
                              "about": None, "mine": None, "again": False, "reused": False, "proposed": False,
                              "waiting": False})
    return Said("interest {item_ref}: not a member, told how to join", item_ref=parsed.item_ref)


def on_interest(plan: Plan, incoming: Incoming) -> str:
    """``interest`` of a confirmed member from their own address (who may:
    :data:`workflows.routes.OWN_ADDRESS`). The item named (``parsed.item_ref``) must be
    listed (open) and another member's; else the sender is told it is not in the list
    (``interest_done``, ``problem``). The sender's own item for it is recorded (or the
    one they already have for it is kept: ``again``; or their open item that matches it:
    ``reused``, see :func:`_already_mine`), and, unless the pair is already
    under way or the sender's item waits on an answer to another proposal (``waiting``:
    it is proposed when the item is free), proposed to the animators
    (:func:`workflows.steps.introductions.propose`, source ``interest``). Acknowledged
    with ``interest_done``."""
    parsed = incoming.parsed
    _, member = who_wrote(plan, incoming)
    item = find_item(plan, parsed.item_ref)
    problem = _refusal(item, member)
    forward_the_rest(plan, incoming)
    if problem is not None:
        answer_sender(plan, incoming, template="interest_done", purpose="interest_done",
                      values={"member": member, "ref": parsed.item_ref, "problem": problem, "about": None,
                              "mine": None, "again": False, "reused": False, "proposed": False, "waiting": False})
        return Said("interest {item_ref}: {problem}", item_ref=parsed.item_ref, problem=problem)
    kind = OTHER_KIND[item["kind"]]
    m = matcher(plan)
    mine, again = _already_mine(plan, m, member, item)
    existing = mine is not None
    waits = existing and waiting(engaged(plan, m, mine["ref"]))
    if existing and not again and (waits or not mine.get("interest_in")):
        # Said again, it is « again »; and the item that waits proposes this pair next
        # (:func:`workflows.steps.matcher.asked`): the latest wish, one at a time.
        mine = plan.items.update(mine["id"], interest_in=item["ref"])
    if mine is None:
        title = offer_title(item["title"]) if kind == "offer" else item["title"]
        stored = record_items(plan, member, [Item(kind=kind, title=title, modality=item.get("modality"))],
                              parsed.message_id)
        if not stored:
            left_out = too_many(plan, member, 1, stored)
            answer_sender(plan, incoming, template="items_too_many", purpose="items_too_many",
                          values={"member": member, "items": [], **left_out})
            return Said("interest {item}: not recorded (too many items)", item=item['ref'])
        mine = plan.items.update(stored[0]["id"], interest_in=item["ref"])
    offer, demand = (item, mine) if item["kind"] == "offer" else (mine, item)
    under_way = any(i["demand"] == demand["ref"] and i["status"] in ACTIVE for i in intros_of(plan, m, offer["ref"]))
    waits = waits and not under_way
    proposed = None
    if not under_way and not waits and mine["status"] == "open":
        m.refresh(offer)
        m.refresh(demand)
        proposed = propose(plan, offer, demand, m.index.explain(offer["ref"], demand["ref"]), source="interest")
    answer_sender(plan, incoming, template="interest_done", purpose="interest_done",
                  values={"member": member, "ref": item["ref"], "problem": None, "about": public_item(item),
                          "mine": public_item(mine), "again": again, "reused": existing and not again,
                          "proposed": proposed is not None, "waiting": waits})
    plan.audit.info("%s: %s interested in %s: %s%s", parsed.message_id, member["ref"], item["ref"], mine["ref"],
               f", {proposed['ref']} proposed" if proposed else "")
    mine_said = (Said("{mine} kept", mine=mine["ref"]) if again else Said("{mine} reused", mine=mine["ref"]) if existing
                 else Said("{mine} recorded", mine=mine["ref"]))
    if proposed:
        return Said("interest {item}: {mine}, {proposed} proposed", item=item["ref"], mine=mine_said,
                    proposed=proposed["ref"])
    if waits:
        return Said("interest {item}: {mine}, waits on another proposal", item=item["ref"], mine=mine_said)
    return Said("interest {item}: {mine}, no new proposal", item=item["ref"], mine=mine_said)
