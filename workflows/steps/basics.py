"""The simple intents: help, unknown, automatic mail, bounces."""
from __future__ import annotations


from workflows.decision import Incoming, Plan
from workflows.lookup import find_member
from workflows.mail.labels import label_of
from workflows.steps.speaking import answer_sender, forward_to_animators
from workflows.model.said import Said


def on_help(plan: Plan, incoming: Incoming) -> str:
    """``help``: send the instructions back (within the daily answer limit)."""
    sent = answer_sender(plan, incoming, template="help", values={}, purpose="help")
    return Said("help sent") if sent else Said("help withheld (daily limit)")


def on_unknown(plan: Plan, incoming: Incoming) -> str:
    """``unknown``: never dropped. The animators get it; the sender gets one
    acknowledgment a day at most, saying a person will read it (the last step of
    :data:`workflows.routes.UNCLAIMED`'s chain)."""
    forward_to_animators(plan, incoming, reason="not_understood")
    answer_sender(plan, incoming, template="unknown_ack", values={}, purpose="unknown_ack", daily_kind="unknown_ack")
    return Said("forwarded to the animators")


def on_ignore(plan: Plan, incoming: Incoming) -> str:
    """``auto_reply`` (and the robot's own mail coming back): recorded, never answered."""
    return Said("ignored: automatic mail")


def on_bounce(plan: Plan, incoming: Incoming) -> str:
    """``bounce``: mark the failed addresses undeliverable (the robot stops writing to them
    until the person writes again) and tell the animators. Only addresses the report
    proves the robot wrote to get here (:data:`workflows.routes.OUR_MAIL`)."""
    marked = []
    for address in incoming.parsed.bounced_addresses:
        member = find_member(plan, address)
        if member is not None and not member.get("undeliverable"):
            plan.members.update(member["id"], undeliverable=True)
            marked.append(member["ref"])
    if marked:
        forward_to_animators(plan, incoming, reason="bounce_marked", purpose="bounce", members=", ".join(marked))
    else:
        forward_to_animators(plan, incoming, reason="bounce", purpose="bounce")
    return Said("bounce: {members}", members=", ".join(marked)) if marked else Said("bounce: no member")


def on_not_automated(plan: Plan, incoming: Incoming) -> str:
    """An intent the robot recognises but does not act on yet: the animators handle it, and
    the sender is told a person will read it (one acknowledgment a day)."""
    outcome = on_robot_message(plan, incoming)
    # Said as understood: « pas compris » would be untrue, and invite the person to write again.
    understood = label_of(incoming.parsed.intent, "intent", plan.settings.network.language)
    answer_sender(plan, incoming, template="unknown_ack", values={"understood": understood}, purpose="unknown_ack",
                  daily_kind="unknown_ack")
    return outcome


def on_robot_message(plan: Plan, incoming: Incoming) -> str:
    """A robot's message the robot does not act on yet (another network's): the animators
    handle it; a robot is never answered in prose."""
    forward_to_animators(plan, incoming, reason="not_automated",
                         intent=label_of(incoming.parsed.intent, "intent", plan.settings.network.language))
    return Said("forwarded: {intent} not automated", intent=incoming.parsed.intent)
