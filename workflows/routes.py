"""The route table: every way a message can go, read top to bottom.

1. :data:`ROUTES` — the intent the parser found (:mod:`workflows.mail.parse`) → its step;
2. :data:`COMMANDS` — an animator's command (intent ``event_command``) → its step, after
   the sender was checked (:func:`on_command`);
3. :data:`ANSWERS` — the kind of the question a reply answers → its step, once
   :func:`workflows.steps.questions.match` found the question and its addressee
   (:func:`on_reply`); :data:`CHANGE_OF_MIND` — a NON to a question already answered OUI;
4. :data:`UNCLAIMED` — the chain tried, in order, on a message no keyword claimed: the
   first step that recognises it answers; the last one always does (the animators get it).

A step takes ``(Plan, Incoming)`` and returns a short outcome for the audit log.
"""
from __future__ import annotations

import logging
from typing import Callable

from workflows.decision import Incoming, Plan
from workflows.mail.authentication import authenticated
from workflows.mail.labels import label_of
from workflows.steps import (
    attendance,
    basics,
    catalogue,
    event_commands,
    followups,
    introductions,
    items,
    membership,
    my_data,
    preferences,
    questions,
    reports,
)
from workflows.steps.speaking import answer_sender, forward_to_animators

audit = logging.getLogger("rers.audit")

Step = Callable[[Plan, Incoming], str]
AnswerStep = Callable[[Plan, Incoming, dict, str], str]
MaybeStep = Callable[[Plan, Incoming], "str | None"]

COMMANDS: dict[str, Step] = {
    "cancel_permanence": event_commands.on_event_command,
    "meeting": event_commands.on_event_command,
    "workshop": event_commands.on_event_command,
    "introduce": introductions.on_introduce_command,
    "register": membership.on_register,
    "report": reports.on_report_command,
}
"""Animator commands (intent ``event_command``, ``parsed.command["name"]``) → step; a
command the robot does not carry out goes to the animators (:func:`basics.on_not_automated`)."""

ANSWERS: dict[str, AnswerStep] = {
    "join": membership.on_join_answer,
    "withdraw": membership.on_withdraw_answer,
    "withdraw_item": items.on_withdraw_item_answer,
    "approve": introductions.on_approve_answer,
    "consent": introductions.on_consent_answer,
    "bilan": followups.on_bilan_answer,
}
"""The kind of the question a reply answers → ``step(plan, incoming, question, answer)``;
``answer`` is ``yes``, ``no`` or ``unclear``."""

CHANGE_OF_MIND: dict[str, Callable[[Plan, Incoming, dict], "str | None"]] = {
    "consent": introductions.on_consent_withdrawn,
}
"""A NON from the question's own address to a question it already answered OUI → the step
that withdraws what the OUI gave while it still can (None: it cannot, the reply is then
refused as an answer to a closed question)."""


def on_command(plan: Plan, incoming: Incoming) -> str:
    """``event_command``: the step of the command's name, or the animators' hands.

    Anyone can write an animator's address in ``From``: where the configuration trusts
    an ``authserv_id``, a command is carried out only when that server's
    Authentication-Results show DKIM (aligned) or DMARC pass, as for an approval."""
    if not authenticated(plan.settings, incoming.parsed):
        forward_to_animators(plan, incoming, reason="command_not_authenticated", purpose="refused_command")
        return "refused: not authenticated"
    name = (incoming.parsed.command or {}).get("name")
    return COMMANDS.get(name, basics.on_not_automated)(plan, incoming)


def on_reply(plan: Plan, incoming: Incoming) -> str:
    """``reply``: act on a valid answer (:data:`ANSWERS`), refuse the others. A reply is acted
    on only when :func:`workflows.steps.questions.match` finds an open question for its
    token, from the very address the question was sent to; otherwise nothing changes and
    the animators get the message (protocol.md, "Replies"). An answer from the question's
    own address to a question that is closed also gets a short note, once a day at most."""
    parsed = incoming.parsed
    address = questions.answerer(plan, incoming, None)
    found = questions.match(plan, incoming, address)
    if found.refusal == "already answered" and parsed.answer == "no":
        change = CHANGE_OF_MIND.get(found.question["kind"])
        outcome = change(plan, incoming, found.question) if change else None
        if outcome:
            return outcome
    if not found.ok:
        forward_to_animators(plan, incoming, reason=f"refused:{found.refusal}", purpose="refused_reply")
        audit.warning("%s: reply refused (%s)", parsed.message_id, found.refusal)
        if (found.refusal in questions.CLOSED and address and address.lower() == found.question["address"]
                and address.lower() not in plan.settings.network.animators):
            answer_sender(plan, incoming, template="question_closed", values={"why": found.refusal},
                          purpose="question_closed", daily_kind="question_closed")
        return f"refused: {found.refusal}"
    question = found.question
    step = ANSWERS.get(question["kind"])
    if step is None:
        forward_to_animators(plan, incoming, reason="question_not_handled",
                             question=label_of(question["kind"], "question", plan.settings.network.language))
        return f"forwarded: no handler for {question['kind']}"
    return step(plan, incoming, question, parsed.answer or "unclear")


UNCLAIMED: tuple[MaybeStep, ...] = (
    preferences.on_preferences,
    attendance.on_invitation_reply,
)
"""The chain tried on a message that no keyword claimed, in order: a confirmed member's
preferences alone (« Invitations : non », whatever the subject); a plain-words answer to
a calendar invitation (« je viendrai »), which carries no token. Each returns None when
the message is not one; then :func:`basics.on_unknown` (to the animators)."""


def on_unclaimed(plan: Plan, incoming: Incoming) -> str:
    """``unknown``: the first step of :data:`UNCLAIMED` that recognises the message, else
    the animators'."""
    for step in UNCLAIMED:
        outcome = step(plan, incoming)
        if outcome is not None:
            return outcome
    return basics.on_unknown(plan, incoming)


ROUTES: dict[str, Step] = {
    "join": membership.on_join,
    "offer": membership.on_item,
    "demand": membership.on_item,
    "withdraw_item": items.on_withdraw_item,
    "withdraw": membership.on_withdraw,
    "reply": on_reply,
    "help": basics.on_help,
    "catalogue": catalogue.on_catalogue,
    "my_data": my_data.on_my_data,
    "event_command": on_command,
    "rsvp": attendance.on_rsvp,
    "auto_reply": basics.on_ignore,
    "bounce": basics.on_bounce,
    "unknown": on_unclaimed,
}
"""Intent → step."""


def route(intent: str) -> Step:
    """The step of ``intent``; an intent missing from the table is ``unknown``'s."""
    return ROUTES.get(intent, on_unclaimed)
