"""`rers parked …`: the messages the robot set aside after failing on them (the error
folder, ``[mailbox] error_folder``), and giving one another chance.

- ``list`` — each parked message: its Message-ID, when, how many failures, the last error;
- ``retry MESSAGE-ID`` — forget that it was parked, so that once an animator has moved
  it back into the inbox (with their usual mail program), the next cycle handles it
  again, with three new attempts. Without this, a message moved back is parked again.

The store keeps the parked message's record (its Message-ID and its error) for these
commands and for `rers status`; the ledger keeps only a hash of the Message-ID.
"""
from __future__ import annotations

from workflows.commands.common import load_settings, open_store
from workflows.shell.clock import looks_only
from workflows.shell.errors import EXIT_OK, UserError
from workflows.shell.language import words_for


def cmd_list(args) -> int:
    from workflows.model.said import unkept
    from workflows.shell.status import failures_by_state, stamp_said

    settings = load_settings(args)
    say = words_for(settings)
    parked = failures_by_state(open_store(settings))[1]
    for failure in parked:
        when = failure.get("parked") or failure.get("last")
        when = stamp_said(when, settings, say) if when else "?"
        print(say("{id}  parked {when} after {count} failure(s): {error}", id=failure["message_id"], when=when,
                  count=failure["count"], error=unkept(failure["error"])))
    print(say("{n} message(s) in the folder {folder!r}", n=len(parked), folder=settings.mailbox.error_folder))
    return EXIT_OK


def cmd_retry(args) -> int:
    from store import message_key
    from workflows.shell.status import was_parked

    settings = load_settings(args)
    store = open_store(settings)
    wanted = args.message_id.strip()
    if not wanted.startswith("<"):
        wanted = f"<{wanted}>"
    entry = store.ledger.find_one("message_id", message_key(wanted))
    if entry is None or not was_parked(entry):
        raise UserError("no parked message {ref} (see `rers parked list`)", ref=wanted)
    with store.transaction():
        store.ledger.delete(entry["id"])
        failure = store.failures.find_one("message_id", wanted)
        if failure is not None:
            store.failures.delete(failure["id"])
    say = words_for(settings)
    print(say("{id} will be handled again once it is back in {folder!r}: move it there from "
              "{parked!r} with your mail program", id=wanted, folder=settings.mailbox.folder,
              parked=settings.mailbox.error_folder))
    return EXIT_OK


def register(sub, common, say) -> None:
    """The area's sub-commands, their help in ``say``'s language (a :class:`workflows.shell.language.Words`)."""
    p = sub.add_parser("parked", parents=[common], help=say("messages set aside after failures, and retrying one"))
    actions = p.add_subparsers(dest="parked_command", required=True, metavar="ACTION")
    q = actions.add_parser("list", parents=[common], help=say("one line per parked message"))
    q.set_defaults(func=cmd_list)
    looks_only(q)
    q = actions.add_parser("retry", parents=[common], help=say("handle a parked message again once moved back to the inbox"))
    q.add_argument("message_id", metavar="MESSAGE-ID", help=say("as `rers parked list` prints it, e.g. <abc@example.org>"))
    q.set_defaults(func=cmd_retry)
