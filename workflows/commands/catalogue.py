"""`rers catalogue publish`: write the public catalogue page now
(:func:`workflows.shell.publish.publish_page`; the daemon also writes it every day)."""
from __future__ import annotations

from workflows.commands.common import load_settings, open_store
from workflows.model.said import Said
from workflows.shell.clock import clock_for
from workflows.shell.errors import EXIT_OK, UserError, os_problem, user_error
from workflows.shell.language import words_for


def cmd_publish(args) -> int:
    from workflows.shell.publish import page_path, publish_page

    settings = load_settings(args)
    try:
        written = publish_page(settings, open_store(settings), clock_for(settings, args)())
    except ValueError as error:
        raise user_error(error) from None
    except OSError as error:
        doing = Said("cannot write the catalogue page {path}", path=page_path(settings))
        raise UserError(os_problem(error, doing, with_file=False)) from None
    say = words_for(settings)
    print(say("written: {path}", path=written) if written else say("unchanged: {path}", path=page_path(settings)))
    return EXIT_OK


def register(sub, common, say) -> None:
    """The area's sub-commands, their help in ``say``'s language (a :class:`workflows.shell.language.Words`)."""
    p = sub.add_parser("catalogue", parents=[common], help=say("the public page of the open offers and demands"))
    actions = p.add_subparsers(dest="catalogue_command", required=True, metavar="ACTION")
    q = actions.add_parser("publish", parents=[common], help=say("write the catalogue page now (only if it changed)"))
    q.set_defaults(func=cmd_publish)
