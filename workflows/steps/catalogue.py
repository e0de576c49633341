"""``CATALOGUE``: the open offers and demands, by reference and title, for members.

No name, no address: the catalogue shows what is known and wanted, not who. A title is
written by a member and may hold a phone number or an address ("guitare, appelez-moi au
06…"): those are masked before the catalogue goes to anyone
(:func:`workflows.model.privacy.redact`, as in every mail to another member).
"""
from __future__ import annotations

from workflows.decision import Incoming, Plan
from workflows.mail.sender import person_address
from workflows.model.privacy import redact
from workflows.steps.people import wrote_again
from workflows.steps.speaking import answer_sender
from workflows.model.said import Said


def _number(item: dict) -> int:
    return int(item["ref"].split("-", 1)[1])


SERVED = ("introduced", "bilan", "completed")
"""The states of an introduction that served its demand: the demand's member was put in
touch; the catalogue no longer asks for it (an offer may serve many: it stays)."""


def served_demands(plan: Plan) -> set[str]:
    """The refs of demands an introduction already served (:data:`SERVED`): no list
    offered to members asks for them any more."""
    return {intro["demand"] for intro in plan.introductions.scan(lambda d: d.get("status") in SERVED)}


def entries(plan: Plan) -> dict[str, list[dict]]:
    """``{"offers": [...], "demands": [...]}``: each open item as ``{ref, title,
    modality}``, by number, titles masked; a demand already served by an introduction
    (:data:`SERVED`) is left out."""
    served = served_demands(plan)
    found: dict[str, list[dict]] = {"offers": [], "demands": []}
    for item in sorted(plan.items.find("status", "open"), key=_number):
        if item["kind"] == "demand" and item["ref"] in served:
            continue
        entry = {"ref": item["ref"], "title": redact(item["title"]), "modality": item.get("modality")}
        found["offers" if item["kind"] == "offer" else "demands"].append(entry)
    return found


def on_catalogue(plan: Plan, incoming: Incoming) -> str:
    """``catalogue`` of a confirmed member (who may: :data:`workflows.routes.CONFIRMED_MEMBER`):
    the open offers and demands, titles masked, no name."""
    wrote_again(plan, person_address(incoming.parsed))
    answer_sender(plan, incoming, template="catalogue", values={"allowed": True, "pending": False, **entries(plan)},
                  purpose="catalogue")
    return Said("catalogue sent")


def not_for_you(plan: Plan, incoming: Incoming) -> str:
    """Anyone but a confirmed member asking for the catalogue: told it is for members, and
    how to join (or to confirm, for a pending member)."""
    address = person_address(incoming.parsed)
    member = wrote_again(plan, address) if address else None
    answer_sender(plan, incoming, template="catalogue", purpose="catalogue",
                  values={"allowed": False, "pending": member is not None, "offers": [], "demands": []})
    return Said("catalogue: not a member")
