"""`rers report`: the animators' report, printed or sent."""
from __future__ import annotations

import re
from datetime import date, timedelta

from workflows.commands.common import load_settings, open_store
from workflows.shell.clock import clock_for, looks_only
from workflows.shell.errors import EXIT_OK, UserError
from workflows.shell.language import words_for


def _period(month: str | None, today: date) -> tuple[date, date]:
    if not month:
        return today.replace(day=1), today
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise UserError("--month {month!r}: write the month as YYYY-MM, e.g. 2026-11", month=month)
    start = date(int(month[:4]), int(month[5:]), 1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return start, min(end, today)


def cmd_report(args) -> int:
    from workflows.shell.apply import run, view
    from workflows.shell.runner import Runner
    from workflows.shell.templating import renderer_for
    from workflows.steps.reports import build_report, queue_report

    settings = load_settings(args)
    store = open_store(settings)
    now = clock_for(settings, args)()
    today = now.astimezone(settings.network.zone).date()
    start, end = _period(args.month, today)
    source = view(settings, store, now)  # a broken synonyms file is left out and logged, never raised
    report = build_report(settings, source, start, end, today, now)
    if not args.send:
        print(renderer_for(settings).render("report", {"network": {"name": settings.network.name}, "now": now,
                                                       "report": report}).text)
        return EXIT_OK
    run(settings, store, now, lambda plan: queue_report(plan, report, cause=f"report-command:{start}:{end}:{plan.stamp()}"))
    sent = Runner(settings, store, clock=lambda: now).flush()
    say = words_for(settings)
    print(say("report sent to {n} animator(s)", n=len(settings.network.animators)) if sent.sent else
          say("report queued, not sent yet: {error}", error=sent.error or say("see rers status")))
    return EXIT_OK


def register(sub, common, say) -> None:
    """The area's sub-commands, their help in ``say``'s language (a :class:`workflows.shell.language.Words`)."""
    p = sub.add_parser("report", parents=[common], help=say("the animators' report (this month so far, or --month)"))
    p.add_argument("--month", metavar="YYYY-MM", help=say("a whole past month instead of this month so far"))
    p.add_argument("--send", action="store_true", help=say("mail it to the animators instead of printing it"))
    p.set_defaults(func=cmd_report)
    looks_only(p)
