"""`rers calendar …`: the network's calendar."""
from __future__ import annotations

from workflows.commands.common import clock_from_env, load_settings, open_store
from workflows.errors import EXIT_OK


def cmd_publish(args) -> int:
    from workflows.calendar_jobs import publish_calendar

    settings = load_settings(args)
    written = publish_calendar(settings, open_store(settings), clock_from_env()())
    if written:
        for path in written:
            print(f"written: {path}")
    else:
        print(f"unchanged: {settings.calendar.output_dir}")
    return EXIT_OK


def register(sub, common) -> None:
    p = sub.add_parser("calendar", parents=[common], help="the network's calendar")
    actions = p.add_subparsers(dest="calendar_command", required=True, metavar="ACTION")
    q = actions.add_parser("publish", parents=[common], help="write the .ics files (only those that changed)")
    q.set_defaults(func=cmd_publish)
