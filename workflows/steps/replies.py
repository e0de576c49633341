"""Answers to the robot's questions (intent ``reply``): match, check, dispatch.

A reply is acted on only when :func:`workflows.steps.questions.match` finds an open question
for its token, from the very address the question was sent to. Otherwise nothing
changes and the animators get the message as ``unknown`` (protocol.md, "Replies"); the
question's own addressee answering a closed question is also told so (:data:`CLOSED`).

An ``unclear`` answer gets one short clarification question (a new token, same
question, the first token still good); the next unclear answers go to the animators, the
question staying open until its expiry (:func:`clarify`).

``ANSWER_HANDLERS`` maps each question kind to the workflow that reads its answer:
``handler(ctx, incoming, question, answer) -> outcome``. ``answer`` is ``yes``, ``no``
or ``unclear``; for a bilan, the handler reads ``incoming.parsed.bilan`` and the text.

A NON from the question's own address to a question it already answered OUI is a change
of mind: ``CHANGE_OF_MIND_HANDLERS`` (a member's consent to an introduction, withdrawn
while the introduction waits for the other member) acts on it when it still can.
"""
from __future__ import annotations

import logging
from typing import Callable

from workflows.steps import questions
from workflows.context import Context, Incoming
from workflows.mail.compose import label_of
from workflows.steps.speaking import answer_sender, forward_to_animators, person_address

audit = logging.getLogger("rers.audit")

AnswerHandler = Callable[[Context, Incoming, dict, str], str]


def answer_handlers() -> dict[str, AnswerHandler]:
    """The table ``question kind → handler``, read in one place.

    Built on demand so that the workflows may import this module without a cycle.
    """
    from workflows.steps import introductions, membership

    return {
        **membership.ANSWER_HANDLERS,
        **introductions.ANSWER_HANDLERS,
    }


def change_of_mind_handlers() -> dict[str, Callable[[Context, Incoming, dict], str | None]]:
    """The table ``question kind → handler`` of a NON after an OUI (see the module docstring)."""
    from workflows.steps import introductions

    return dict(introductions.CHANGE_OF_MIND_HANDLERS)


def answerer(ctx: Context, incoming: Incoming, question: dict | None) -> str | None:
    """Who answers: the sender's address (From), never Reply-To — except for questions
    sent to a web form's person, whose address is the Reply-To by construction."""
    return person_address(incoming)


CLOSED = ("expired", "cancelled", "already answered")
"""Refusals of a real question that is no longer open: its own addressee, answering late
or twice, is told so (never for ``wrong address`` or ``unknown token``: maybe a forgery)."""


def on_reply(ctx: Context, incoming: Incoming) -> str:
    """``reply``: act on a valid answer, refuse the others (see the module docstring). An
    answer from the question's own address to a question that is closed (:data:`CLOSED`)
    also gets a short note, once a day at most: the question is closed and a person will
    get back to them (the animators have the message)."""
    parsed = incoming.parsed
    address = answerer(ctx, incoming, None)
    found = questions.match(ctx, incoming, address)
    if found.refusal == "already answered" and parsed.answer == "no":
        handler = change_of_mind_handlers().get(found.question["kind"])
        outcome = handler(ctx, incoming, found.question) if handler else None
        if outcome:
            return outcome
    if not found.ok:
        forward_to_animators(ctx, incoming, reason=f"refused:{found.refusal}", purpose="refused_reply")
        audit.warning("%s: reply refused (%s)", parsed.message_id, found.refusal)
        if (found.refusal in CLOSED and address and address.lower() == found.question["address"]
                and address.lower() not in ctx.settings.network.animators):
            answer_sender(ctx, incoming, template="question_closed", context={"why": found.refusal},
                          purpose="question_closed", daily_kind="question_closed")
        return f"refused: {found.refusal}"
    question = found.question
    handler = answer_handlers().get(question["kind"])
    if handler is None:
        forward_to_animators(ctx, incoming, reason="question_not_handled",
                             question=label_of(question["kind"], "question", ctx.settings.network.language))
        return f"forwarded: no handler for {question['kind']}"
    answer = parsed.answer or "unclear"
    return handler(ctx, incoming, question, answer)


def clarify(ctx: Context, incoming: Incoming, question: dict, *, template: str, context: dict,
            to_name: str | None = None) -> str:
    """Handle an ``unclear`` answer. The first one gets a short clarification question:
    the same question asked again (:func:`workflows.steps.questions.ask`: a new token, the same
    expiry), whose first mail's token keeps working. Once it was asked, an unclear answer
    goes to the animators, every time, and the question stays open until its expiry: a
    plain OUI or NON to any of its mails still counts.

    ``template``/``context`` render the short question. Returns the outcome.
    """
    if question.get("clarified"):
        forward_to_animators(ctx, incoming, reason="unclear_twice", purpose="unclear")
        return "unclear twice: forwarded"
    questions.ask(
        ctx,
        kind=question["kind"],
        subject_ref=question["subject_ref"],
        member=question["member"],
        address=question["address"],
        template=template,
        context=context,
        cause=incoming.parsed.message_id,
        to_name=to_name,
        data={**question.get("data", {}), "clarification_of": question["id"]},
        in_reply_to=incoming.parsed.message_id,
        clarified=True,
    )
    ctx.store.questions.update(question["id"], answer="unclear", answer_message_id=incoming.parsed.message_id)
    return "unclear: clarification asked"
