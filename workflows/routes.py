"""The route table: what happens to each intent, read in one place.

Each handler takes ``(Context, Incoming)``, works only through the store and the outbox
of the context (no I/O), and returns a short outcome for the audit trail. The runner
commits what a handler did, with the mails it queued, in one store write.
"""
from __future__ import annotations

from typing import Callable

from workflows.steps import (
    attendance, basics, calendar as calendar_commands, catalogue, introductions, my_data as member_data, membership,
    questions, replies, reports)
from workflows.context import Context, Incoming
from workflows.steps.speaking import forward_to_animators

Handler = Callable[[Context, Incoming], str]

COMMANDS: dict[str, Handler] = {
    "cancel_permanence": calendar_commands.on_event_command,
    "meeting": calendar_commands.on_event_command,
    "workshop": calendar_commands.on_event_command,
    "introduce": introductions.on_introduce_command,
    "register": membership.on_register,
    "report": reports.on_report_command,
}
"""Animator commands (intent ``event_command``, ``parsed.command["name"]``) → handler."""


def on_command(ctx: Context, incoming: Incoming) -> str:
    """``event_command``: the handler of the command's name, or the animators' hands.

    Anyone can write an animator's address in ``From``: where the configuration trusts
    an ``authserv_id``, a command is carried out only when that server's
    Authentication-Results show DKIM (aligned) or DMARC pass, as for an approval."""
    if not questions.authenticated(ctx.settings, incoming.parsed):
        forward_to_animators(ctx, incoming, reason="command_not_authenticated", purpose="refused_command")
        return "refused: not authenticated"
    name = (incoming.parsed.command or {}).get("name")
    return COMMANDS.get(name, basics.on_not_automated)(ctx, incoming)


ROUTES: dict[str, Handler] = {
    "join": membership.on_join,
    "offer": membership.on_item,
    "demand": membership.on_item,
    "withdraw_item": membership.on_withdraw_item,
    "withdraw": membership.on_withdraw,
    "reply": replies.on_reply,
    "help": basics.on_help,
    "catalogue": catalogue.on_catalogue,
    "my_data": member_data.on_my_data,
    "event_command": on_command,
    "rsvp": attendance.on_rsvp,
    "auto_reply": basics.on_ignore,
    "bounce": basics.on_bounce,
    "unknown": basics.on_unknown,
}


def route(intent: str) -> Handler:
    """The handler of ``intent``; an intent missing from the table is ``unknown``'s."""
    return ROUTES.get(intent, basics.on_unknown)
