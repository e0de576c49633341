"""A join, offer or demand written by another person and forwarded (an adviser, a
neighbour: « Je vous transfère la demande de Mme Diallo »), handled like a web form's
relay (protocol.md, "Intents"; the row ``relayed`` of :data:`workflows.routes.ROUTES`).

Whose words they are decides (:func:`workflows.mail.sender.forwards_another`): the
forwarder is never made a member by them. The person is asked to confirm at the
forwarded message's address when one can be read; with a name only, the robot's own
address, an animator's or a web form's, nothing is recorded and the animators decide.
What is recorded comes from the forwarded message alone (the parser reads the items and
fields there): the forwarder's note — a situation, a phone number — goes to the
animators only. The forwarder gets the same thanks whatever happened.
"""
from __future__ import annotations

from workflows.decision import Incoming, Plan
from workflows.lookup import find_member, is_animator, items_of
from workflows.mail.sender import relayed_person
from workflows.steps.membership import ask_to_join
from workflows.steps.speaking import answer_sender, forward_to_animators
from workflows.model.said import Said

_ASKED = ", confirmation asked"


def on_relayed(plan: Plan, incoming: Incoming) -> str:
    """Record the forwarded person pending with the items (held) and ask them the join
    question at their own address (:func:`workflows.steps.membership.ask_to_join`); an
    address that is a confirmed member's records nothing; without an address the person
    reads, or an offer or a demand without a readable savoir, nothing is recorded. The animators get the message with what was done, the
    forwarder the thanks (``relayed_ack``). Returns the outcome (no address in it: it
    is logged)."""
    parsed = incoming.parsed
    person = reachable_person(plan, incoming)
    name = parsed.forwarded_name or parsed.forwarded_from or "?"
    member = find_member(plan, person) if person else None
    if person is None:
        forward_to_animators(plan, incoming, reason="relayed_no_address", forwarder=parsed.sender, name=name)
        outcome = Said("relayed: no address of the person's, nothing recorded")
    elif parsed.intent != "join" and not parsed.items:
        # An offer or a demand with no readable savoir: nothing to ask the person about.
        forward_to_animators(plan, incoming, reason="relayed_no_item", forwarder=parsed.sender, name=name)
        outcome = Said("relayed: no readable offer or demand, nothing recorded")
    elif member is not None and member["status"] == "confirmed":
        forward_to_animators(plan, incoming, reason="relayed_for_member", forwarder=parsed.sender, member=member["ref"])
        outcome = Said("relayed for {member}: already a member, nothing recorded", member=member["ref"])
    else:
        outcome = Said("relayed {outcome}", outcome=ask_to_join(plan, incoming, person, relayed=True))
        member = find_member(plan, person)
        held = [item["ref"] for item in items_of(plan, member["ref"]) if item.get("source") == parsed.message_id]
        forward_to_animators(plan, incoming, reason="relayed_join" if outcome.endswith(_ASKED) else "relayed_join_held",
                             forwarder=parsed.sender, name=name, address=person,
                             created=", ".join([member["ref"], *held]))
    answer_sender(plan, incoming, template="relayed_ack", values={}, purpose="relayed_ack")
    return outcome


def reachable_person(plan: Plan, incoming: Incoming) -> str | None:
    """The forwarded person's address the join question may go to
    (:func:`workflows.mail.sender.relayed_person`), or None: no address, a web form's,
    or one that is the network's own or an animator's (a forward of the robot's own mail
    or of an animator's is nobody's request to join)."""
    person = relayed_person(incoming.parsed)
    if person is None or person == plan.settings.network.address.lower() or is_animator(plan, person):
        return None
    return person
