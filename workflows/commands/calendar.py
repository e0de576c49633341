"""`rers calendar …`: the network's calendar from the command line.

- ``publish``: write the ``.ics`` files now (only those whose content changed) and send
  the invitations or cancellations a configuration change caused;
- ``add meeting|workshop DATE START-END [--title T] [--place P]``: a one-off event;
- ``cancel DATE``: one permanence; ``cancel UID DATE``: one date of any series (the
  monthly meeting…), the same way; ``cancel UID``: a one-off event;
- ``list [--days N]``: the coming occurrences and who said they would come.

``add`` and ``cancel`` change the store in one transaction with the invitations they
cause (the same functions as the animators' mail commands,
:mod:`workflows.steps.calendar`), then publish the files and send the queued mail.
Dates are the network's local days, times wall-clock in the network zone.
"""
from __future__ import annotations

import argparse
import re
from datetime import date, time, timedelta
from types import MappingProxyType

from workflows.commands.common import load_settings, open_store
from workflows.shell.clock import clock_for
from workflows.events.state import short_uid
from workflows.lookup import find_ref
from workflows.shell.errors import EXIT_FAILURE, EXIT_OK, UserError
from workflows.shell.language import words_for

REASON_TEXT = MappingProxyType({
    "no_permanence": "no permanence is configured ([calendar.permanence])",
    "no_date": "no date given",
    "no_time": "no start time given",
    "bad_times": "the end time must be after the start time",
    "past": "{day} is already past",
    "not_permanence_day": "{day} is not a permanence day (the permanence is on {weekday}){others}",
    "not_occurrence_day": "{day} is not a date of {title} (the nearest: {nearest})",
    "beyond_calendar": "{day} is after the end of the published calendar ({until})",
    "holiday": "{day} is a public holiday ({holiday}): there is no {what} that day anyway",
    "closure": "{day} is a closure day: there is no {what} that day anyway",
    "already_cancelled": "already cancelled: nothing changed",
    "unknown_event": "no event {uid} (see `rers calendar list`)",
    "configured_event": "{uid} comes from the configuration file: to cancel one date: "
                        "rers calendar cancel {short} DATE; to change or end it: the configuration file",
    "cancel_by_mail": "cancelling a meeting or workshop by mail is not possible yet",
    "weekday_mismatch": "{day} is not a {written_weekday}",
    "nonexistent_time": "{time:%H:%M} does not exist on {day} (the clocks skip an hour for summer time)",
    "no_group": "no group going on for {asked} (see `rers groups list`)",
    "group_not_open": "{ref} is not formed yet ({status}): its sessions are planned once its offerer said yes",
})
"""English text of each :data:`workflows.steps.calendar.REASONS`."""

_TIMES = re.compile(r"^(\d{1,2})[:h](\d{2})?(?:\s*-\s*(\d{1,2})[:h](\d{2})?)?$")


_DATE_SHAPE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{4}")


def day_argument(text: str) -> date:
    """``2027-01-14`` or ``14/01/2027``; raises ``argparse.ArgumentTypeError`` (saying so
    when the text has the shape of a date that does not exist: 29 February 2027)."""
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text.strip())
    try:
        if match:
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        return date.fromisoformat(text.strip())
    except ValueError as error:
        if _DATE_SHAPE.fullmatch(text.strip()):
            raise argparse.ArgumentTypeError(f"{text!r} is a day that does not exist ({error})") from None
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (2027-01-14 or 14/01/2027)") from None


def times_argument(text: str) -> tuple[time, time | None]:
    """``14:00-16:00`` (or ``14h-16h``, or a start only); raises ``argparse.ArgumentTypeError``."""
    match = _TIMES.match(text.strip())
    try:
        if not match:
            raise ValueError
        start = time(int(match.group(1)), int(match.group(2) or 0))
        end = time(int(match.group(3)), int(match.group(4) or 0)) if match.group(3) else None
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time range (14:00-16:00)") from None
    return start, end


def _change(args, act) -> int:
    """Carry out ``act(plan)`` (a :mod:`workflows.steps.event_commands` step returning an
    Outcome, :func:`workflows.shell.apply.run`), then publish and send. Raises
    :class:`UserError` when the command was refused."""
    from workflows.shell.apply import run

    settings = load_settings(args)
    store = open_store(settings)
    clock = clock_for(settings, args)
    outcome = run(settings, store, clock(), act)
    if outcome.status == "refused":
        raise UserError(describe(outcome))
    print(describe(outcome))
    return _publish_and_send(settings, store, clock)


def _publish_and_send(settings, store, clock) -> int:
    """Write the changed ``.ics`` files, then send what is queued (the invitations and
    cancellations a change caused) and say so. An exit code."""
    from workflows.shell.publish import publish_calendar
    from workflows.shell.runner import Runner

    say = words_for(settings)
    written = publish_calendar(settings, store, clock())
    for path in written:
        print(say("written: {path}", path=path))
    if not written:
        print(say("unchanged: {path}", path=settings.calendar.output_dir))
    report = Runner(settings, store, clock=clock).flush()
    print(say("{sent} mail(s) sent, {retry} to retry, {failed} failed.", sent=len(report.sent),
              retry=len(report.retry), failed=len(report.failed)))
    if report.error:
        print(say("Sending stopped: {error} (the mails stay queued for the next cycle)", error=report.error))
        return EXIT_FAILURE
    return EXIT_OK


class _Missing(dict):
    def __missing__(self, key):
        return "?"


def describe(outcome) -> str:
    """One English line about a calendar command's :class:`Outcome`."""
    title = outcome.series.title if outcome.series else ""
    if outcome.status == "refused":
        text = REASON_TEXT[outcome.reason].format_map(_Missing({
            "day": outcome.day, "title": title, "short": short_uid(outcome.detail.get("uid") or ""),
            "what": "permanence" if outcome.action == "cancel_permanence" else title, **outcome.detail,
            **(outcome.detail.get("group") or {}),
            "others": "".join(f"; that day: {other['title']} — to cancel it: rers calendar cancel {other['uid']} "
                              f"{outcome.day}" for other in outcome.detail.get("others", ()))}))
        return f"nothing changed: {text}"
    if outcome.status == "unchanged":
        return (f"unchanged: {title} {outcome.day} was already {'cancelled' if outcome.reason else 'as given'}"
                + _notes(outcome))
    if outcome.action == "cancel_permanence":
        what = f"cancelled the permanence of {outcome.day}"
    elif outcome.action == "cancel_occurrence":
        what = f"cancelled {title} of {outcome.day}"
    elif outcome.action == "cancel_event":
        what = f"cancelled {title} ({outcome.day})"
    else:
        verb = ("scheduled again" if outcome.detail.get("restored")
                else "updated" if outcome.detail.get("updated") else "added")
        what = (f"{verb} {title} ({outcome.day}, "
                f"{outcome.series.start_time:%H:%M}-{outcome.series.end_time:%H:%M}, uid {outcome.series.uid})")
    kind = "cancellation" if outcome.action.startswith("cancel") else "invitation"
    return f"done: {what}; {outcome.invitations} {kind} mail(s) queued" + _notes(outcome)


_FIELDS = MappingProxyType({"title": "title", "place": "place", "end": "end time"})


def _notes(outcome) -> str:
    """What a correction changed and kept, as the end of :func:`describe`'s line."""
    notes = []
    for change in outcome.detail.get("changes", ()):
        before = change["before"]
        before = f"{before:%H:%M}" if change["field"] == "end" else (before or "none")
        notes.append(f"{_FIELDS[change['field']]} was {before}")
    kept = [_FIELDS[name] for name in outcome.detail.get("kept", ())]
    if kept:
        notes.append(f"kept as before: {', '.join(kept)}")
    return "".join(f"; {note}" for note in notes) + "".join(
        f"\nwarning: {_warning(warning, outcome)}" for warning in outcome.detail.get("warnings", ()))


def _warning(warning: dict, outcome) -> str:
    """One warning of an accepted command, in English."""
    if warning["kind"] == "ambiguous_time":
        return (f"{warning['time']:%H:%M} happens twice on {outcome.day} (the clocks go back an hour): "
                "the first one, still summer time, is meant")
    if warning["kind"] == "overlap":
        return (f"{warning['title']} already takes place at this time "
                f"({warning['start']:%H:%M}-{warning['end']:%H:%M}) [{warning['uid']}]")
    if warning["kind"] == "holiday":
        return f"{outcome.day} is a public holiday ({warning['name']})"
    return f"{outcome.day} is a closure day ([calendar] closures)"


def cmd_add(args) -> int:
    from workflows.steps.event_commands import add_one_off

    start, end = args.times
    return _change(args, lambda plan: add_one_off(plan, args.kind, args.day, start, end,
                                                  title=args.title, place=args.place))


def cmd_cancel(args) -> int:
    from workflows.steps.event_commands import cancel_event, cancel_occurrence

    try:
        day = day_argument(args.target)
    except argparse.ArgumentTypeError as error:
        if _DATE_SHAPE.fullmatch(args.target.strip()):
            raise UserError(str(error)) from None  # a date that does not exist, not an event's name
        day = None
    if day is not None:
        if args.date is not None:
            raise UserError("give an event UID before the date {date} (see `rers calendar list`)", date=args.date)
        return _change(args, lambda plan: cancel_occurrence(plan, day))
    if not re.fullmatch(r"[A-Za-z0-9._\-]+(@[A-Za-z0-9.\-]+)?", args.target.strip()):
        raise UserError("{target!r} is neither a date (2026-12-07) nor an event UID (see `rers calendar list`)",
                        target=args.target)
    if args.date is not None:
        return _change(args, lambda plan: cancel_occurrence(plan, args.date, args.target))
    return _change(args, lambda plan: cancel_event(plan, args.target))


def skipped_days(series, first: date, last: date) -> list[tuple[date, str]]:
    """The days from ``first`` to ``last`` (inclusive) the rule of ``series`` falls on but
    that do not happen, each with why: ``cancelled`` (one date called off),
    ``closure`` (``[calendar] closures``), ``public holiday``, or ``series cancelled``."""
    from workflows.events.rules import rule_dates

    why = {**{d: "public holiday" for d in series.holidays}, **{d: "closure" for d in series.closures},
           **{d: "cancelled" for d in series.cancelled_dates}}
    days = rule_dates(series.rule, first, last)
    if series.cancelled:
        return [(d, "series cancelled") for d in days]
    return [(d, why[d]) for d in days if d in why]


def cmd_list(args) -> int:
    from workflows.events.rules import occurrences
    from workflows.steps.attendance import answers_for
    from workflows.steps.calendar import draft_for
    from workflows.steps.event_commands import clashes

    settings = load_settings(args)
    store = open_store(settings)
    today = clock_for(settings, args)().astimezone(settings.network.zone).date()
    last = today + timedelta(days=args.days)
    current = draft_for(settings, store, today).current.values()
    found = sorted(
        ((occurrence, series) for series in current for occurrence in occurrences(series, today, last)),
        key=lambda pair: (pair[0].start, pair[1].uid),
    )
    # What does not happen is said too, in its place: a cancelled date, a closure.
    skipped = sorted(((day, why, series) for series in current for day, why in skipped_days(series, today, last)),
                     key=lambda row: (row[0], row[2].uid))
    closures = [d for d in settings.calendar.closures if today <= d <= last
                and not any(day == d for day, _why, _series in skipped)]
    if not found and not skipped and not closures:
        say = words_for(settings)
        print(say("No event from {first} to {last}.", first=today, last=last))
        return EXIT_OK
    rows: list[tuple[tuple, list[str]]] = []  # (day, time, uid): its lines
    for day in closures:
        rows.append(((day, time.min, ""), [f"{day:%Y-%m-%d %a}        closed ([calendar] closures)"]))
    for day, why, series in skipped:
        rows.append(((day, series.start_time, series.uid),
                     [f"{day:%Y-%m-%d %a} {series.start_time:%H:%M}  NOT HELD ({why})  {series.title}  [{series.uid}]"]))
    for occurrence, series in found:
        start = occurrence.start.astimezone(settings.network.zone)
        end = occurrence.end.astimezone(settings.network.zone)
        place = f", {series.place}" if series.place else ""
        lines = [f"{start:%Y-%m-%d %a %H:%M}-{end:%H:%M}  {series.title}{place}  [{series.uid}]"]
        for other, _ in clashes(current, series, occurrence.day):
            lines.append(f"    ! at the same time as {other.title} [{other.uid}]")
        answers = answers_for(store, series.uid, occurrence.day)
        said = {kind: [a for a in answers if a["partstat"] == kind] for kind in ("accepted", "tentative", "declined")}
        names = ", ".join(_who(store, a) for a in said["accepted"]) or "nobody yet"
        lines.append(f"    yes ({len(said['accepted'])}): {names}; maybe: {len(said['tentative'])}; "
                     f"no: {len(said['declined'])}")
        rows.append(((start.date(), start.time().replace(tzinfo=None), series.uid), lines))
    for _key, lines in sorted(rows, key=lambda row: row[0]):
        print("\n".join(lines))
    return EXIT_OK


def _who(store, answer: dict) -> str:
    member = find_ref(store, answer["member"]) if answer.get("member") else None
    if member is None:
        return answer["address"]
    return f"{member.get('name') or member['ref']} ({member['ref']})"


def cmd_publish(args) -> int:
    settings = load_settings(args)
    return _publish_and_send(settings, open_store(settings), clock_for(settings, args))


def register(sub, common, say) -> None:
    """The area's sub-commands, their help in ``say``'s language (a :class:`workflows.shell.language.Words`)."""
    p = sub.add_parser("calendar", parents=[common], help=say("the network's calendar"))
    actions = p.add_subparsers(dest="calendar_command", required=True, metavar="ACTION")

    q = actions.add_parser("publish", parents=[common], help=say("write the .ics files (only those that changed), send what a change caused"))
    q.set_defaults(func=cmd_publish)

    q = actions.add_parser("add", parents=[common], help=say("add (or update) a one-off meeting or workshop, "
                           "send the invitations, publish"))
    q.add_argument("kind", choices=["meeting", "workshop"], help=say("a meeting (rencontre) or a workshop (atelier)"))
    q.add_argument("day", type=day_argument, metavar="DATE", help=say("2027-01-14 or 14/01/2027 (network time zone)"))
    q.add_argument("times", type=times_argument, metavar="START-END", help=say("14:00-16:00 (a start only: 2 hours)"))
    q.add_argument("--title", help=say("the title people see (default: Rencontre/Atelier du <network name>)"))
    q.add_argument("--place", help=say("where it takes place (left out when correcting an event: kept; \"\" clears it)"))
    q.set_defaults(func=cmd_add)

    q = actions.add_parser("cancel", parents=[common], help=say("cancel one permanence (DATE), one date of a series "
                           "(UID DATE) or a one-off event (UID), send the cancellations, publish"))
    q.add_argument("target", metavar="DATE|UID", help=say("2026-12-07 (a permanence) or rencontre-mensuelle, "
                   "rencontre-20270114-1400 (see list)"))
    q.add_argument("date", nargs="?", type=day_argument, metavar="DATE",
                   help=say("with a UID: cancel only that date of the series (rencontre-mensuelle 2027-01-14)"))
    q.set_defaults(func=cmd_cancel)

    q = actions.add_parser("list", parents=[common], help=say("the coming occurrences and who said they would come"))
    q.add_argument("--days", type=int, default=30, help=say("how many days ahead (default: 30)"))
    q.set_defaults(func=cmd_list)
