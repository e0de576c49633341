"""`rers catalogue publish`: write the public catalogue page now
(:func:`workflows.shell.publish.publish_page`; the daemon also writes it every day)."""
from __future__ import annotations

from workflows.commands.common import clock_from_env, load_settings, open_store
from workflows.shell.errors import EXIT_OK, UserError, os_problem


def cmd_publish(args) -> int:
    from workflows.shell.publish import page_path, publish_page

    settings = load_settings(args)
    try:
        written = publish_page(settings, open_store(settings), clock_from_env()())
    except ValueError as error:
        raise UserError(str(error)) from None
    except OSError as error:
        raise UserError(os_problem(error, f"cannot write the catalogue page {page_path(settings)}",
                                   with_file=False)) from None
    print(f"written: {written}" if written else f"unchanged: {page_path(settings)}")
    return EXIT_OK


def register(sub, common) -> None:
    p = sub.add_parser("catalogue", parents=[common], help="the public page of the open offers and demands")
    actions = p.add_subparsers(dest="catalogue_command", required=True, metavar="ACTION")
    q = actions.add_parser("publish", parents=[common], help="write the catalogue page now (only if it changed)")
    q.set_defaults(func=cmd_publish)
