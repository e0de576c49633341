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
from typing import Callable

from workflows.commands.common import load_settings, open_store
from workflows.shell.clock import clock_for, looks_only
from workflows.shell.days import DATE_SHAPE, no_such_day
from workflows.events.state import short_uid
from workflows.lookup import find_ref
from workflows.shell.errors import EXIT_FAILURE, EXIT_OK, UserError
from workflows.shell.language import Words, catalogued, words_for

REASON_TEXT = MappingProxyType({
    "no_permanence": catalogued("no permanence is configured ([calendar.permanence])"),
    "no_date": catalogued("no date given"),
    "no_time": catalogued("no start time given"),
    "bad_times": catalogued("the end time must be after the start time"),
    "past": catalogued("{day} is already past"),
    "not_permanence_day": catalogued("{day} is not a permanence day (the permanence is on {weekday}){others}"),
    "not_occurrence_day": catalogued("{day} is not a date of {title} (the nearest: {nearest})"),
    "beyond_calendar": catalogued("{day} is after the end of the published calendar ({until})"),
    "holiday": catalogued("{day} is a public holiday ({holiday}): there is no {what} that day anyway"),
    "closure": catalogued("{day} is a closure day: there is no {what} that day anyway"),
    "already_cancelled": catalogued("already cancelled: nothing changed"),
    "unknown_event": catalogued("no event {uid} (see `rers calendar list`)"),
    "configured_event": catalogued("{uid} comes from the configuration file: to cancel one date: "
                                   "rers calendar cancel {short} DATE; to change or end it: the configuration file"),
    "cancel_by_mail": catalogued("cancelling a meeting or workshop by mail is not possible yet"),
    "weekday_mismatch": catalogued("{day} is not a {written_weekday}"),
    "nonexistent_time": catalogued("{time:%H:%M} does not exist on {day} (the clocks skip an hour for summer time)"),
    "no_group": catalogued("no group going on for {asked} (see `rers groups list`)"),
    "group_not_open": catalogued("{ref} is not formed yet ({status}): its sessions are planned once its offerer "
                                 "said yes"),
})
"""English text of each :data:`workflows.steps.calendar.REASONS` (said through the
catalogues: a placeholder the outcome lacks is « ? »)."""

_TIMES = re.compile(r"^(\d{1,2})[:h](\d{2})?(?:\s*-\s*(\d{1,2})[:h](\d{2})?)?$")


def day_argument(say: Words) -> Callable[[str], date]:
    """The reader of a day, ``2027-01-14`` or ``14/01/2027`` (an argparse ``type``); it
    raises ``argparse.ArgumentTypeError`` in ``say``'s language (saying so when the text
    has the shape of a date that does not exist: 29 February 2027)."""

    def day(text: str) -> date:
        match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text.strip())
        try:
            if match:
                return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
            return date.fromisoformat(text.strip())
        except ValueError:
            why = no_such_day(text)
            if why:
                raise argparse.ArgumentTypeError(why.said(say)) from None
            raise argparse.ArgumentTypeError(say("{text!r} is not a date (2027-01-14 or 14/01/2027)",
                                                 text=text)) from None

    return day


def times_argument(say: Words) -> Callable[[str], tuple[time, time | None]]:
    """The reader of ``14:00-16:00`` (or ``14h-16h``, or a start only), an argparse
    ``type``; it raises ``argparse.ArgumentTypeError`` in ``say``'s language."""

    def times(text: str) -> tuple[time, time | None]:
        match = _TIMES.match(text.strip())
        try:
            if not match:
                raise ValueError
            start = time(int(match.group(1)), int(match.group(2) or 0))
            end = time(int(match.group(3)), int(match.group(4) or 0)) if match.group(3) else None
        except ValueError:
            raise argparse.ArgumentTypeError(say("{text!r} is not a time range (14:00-16:00)", text=text)) from None
        return start, end

    return times


def _change(args, act) -> int:
    """Carry out ``act(plan)`` (a :mod:`workflows.steps.event_commands` step returning an
    Outcome, :func:`workflows.shell.apply.run`), then publish and send. Raises
    :class:`UserError` when the command was refused."""
    from workflows.shell.apply import run

    settings = load_settings(args)
    store = open_store(settings)
    clock = clock_for(settings, args)
    outcome = run(settings, store, clock(), act)
    said = describe(outcome, words_for(settings))
    if outcome.status == "refused":
        raise UserError(said)
    print(said)
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


def describe(outcome, say: Words) -> str:
    """One line about a calendar command's :class:`Outcome`, in ``say``'s language."""
    title = outcome.series.title if outcome.series else ""
    if outcome.status == "refused":
        text = say(REASON_TEXT[outcome.reason]).format_map(_Missing({
            "day": outcome.day, "title": title, "short": short_uid(outcome.detail.get("uid") or ""),
            "what": say("permanence") if outcome.action == "cancel_permanence" else title, **outcome.detail,
            **(outcome.detail.get("group") or {}),
            **{key: say(_WEEKDAY_NAMES[outcome.detail[key]]) for key in ("weekday", "written_weekday")
               if outcome.detail.get(key) in _WEEKDAY_NAMES},
            "others": "".join(say("; that day: {title} — to cancel it: rers calendar cancel {uid} {day}",
                                  title=other["title"], uid=other["uid"], day=outcome.day)
                              for other in outcome.detail.get("others", ()))}))
        return say("nothing changed: {reason}", reason=text)
    if outcome.status == "unchanged":
        return (say("unchanged: {title} {day} was already cancelled", title=title, day=outcome.day) if outcome.reason
                else say("unchanged: {title} {day} was already as given", title=title, day=outcome.day)
                ) + _notes(outcome, say)
    if outcome.action == "cancel_permanence":
        what = say("cancelled the permanence of {day}", day=outcome.day)
    elif outcome.action == "cancel_occurrence":
        what = say("cancelled {title} of {day}", title=title, day=outcome.day)
    elif outcome.action == "cancel_event":
        what = say("cancelled {title} ({day})", title=title, day=outcome.day)
    else:
        verb = (say("scheduled again") if outcome.detail.get("restored")
                else say("updated") if outcome.detail.get("updated") else say("added"))
        what = say("{verb} {title} ({day}, {start:%H:%M}-{end:%H:%M}, uid {uid})", verb=verb, title=title,
                   day=outcome.day, start=outcome.series.start_time, end=outcome.series.end_time,
                   uid=outcome.series.uid)
    if outcome.action.startswith("cancel"):
        done = say("done: {what}; {n} cancellation mail(s) queued", what=what, n=outcome.invitations)
    else:
        done = say("done: {what}; {n} invitation mail(s) queued", what=what, n=outcome.invitations)
    return done + _notes(outcome, say)


_FIELDS = MappingProxyType({"title": catalogued("title"), "place": catalogued("place"),
                            "end": catalogued("end time")})


def _notes(outcome, say: Words) -> str:
    """What a correction changed and kept, as the end of :func:`describe`'s line."""
    notes = []
    for change in outcome.detail.get("changes", ()):
        before = change["before"]
        before = f"{before:%H:%M}" if change["field"] == "end" else (before or say("none"))
        notes.append(say("{field} was {before}", field=say(_FIELDS[change["field"]]), before=before))
    kept = [say(_FIELDS[name]) for name in outcome.detail.get("kept", ())]
    if kept:
        notes.append(say("kept as before: {fields}", fields=", ".join(kept)))
    return "".join(say("; {note}", note=note) for note in notes) + "".join(
        "\n" + say("warning: {warning}", warning=_warning(warning, outcome, say))
        for warning in outcome.detail.get("warnings", ()))


def _warning(warning: dict, outcome, say: Words) -> str:
    """One warning of an accepted command, in ``say``'s language."""
    if warning["kind"] == "ambiguous_time":
        return say("{time:%H:%M} happens twice on {day} (the clocks go back an hour): the first one, still summer "
                   "time, is meant", time=warning["time"], day=outcome.day)
    if warning["kind"] == "overlap":
        return say("{title} already takes place at this time ({start:%H:%M}-{end:%H:%M}) [{uid}]", **warning)
    if warning["kind"] == "holiday":
        return say("{day} is a public holiday ({name})", day=outcome.day, name=warning["name"])
    return say("{day} is a closure day ([calendar] closures)", day=outcome.day)


def cmd_add(args) -> int:
    from workflows.steps.event_commands import add_one_off

    start, end = args.times
    return _change(args, lambda plan: add_one_off(plan, args.kind, args.day, start, end,
                                                  title=args.title, place=args.place))


def cmd_cancel(args) -> int:
    from workflows.steps.event_commands import cancel_event, cancel_occurrence

    try:
        day = day_argument(args.say)(args.target)
    except argparse.ArgumentTypeError as error:
        if DATE_SHAPE.fullmatch(args.target.strip()):
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


_WHY = MappingProxyType({"cancelled": catalogued("cancelled"), "closure": catalogued("closure"),
                         "public holiday": catalogued("public holiday"),
                         "series cancelled": catalogued("series cancelled")})
"""The words of :func:`skipped_days`' reasons, for `rers calendar list`."""


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
    say = words_for(settings)
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
        print(say("No event from {first} to {last}.", first=today, last=last))
        return EXIT_OK
    rows: list[tuple[tuple, list[str]]] = []  # (day, time, uid): its lines
    for day in closures:
        rows.append(((day, time.min, ""), [f"{_day(day, say)}        " + say("closed ([calendar] closures)")]))
    for day, why, series in skipped:
        rows.append(((day, series.start_time, series.uid),
                     [f"{_day(day, say)} {series.start_time:%H:%M}  " + say(
                         "NOT HELD ({why})  {title}  [{uid}]", why=say(_WHY[why]), title=series.title,
                         uid=series.uid)]))
    for occurrence, series in found:
        start = occurrence.start.astimezone(settings.network.zone)
        end = occurrence.end.astimezone(settings.network.zone)
        place = f", {series.place}" if series.place else ""
        lines = [f"{_day(start, say)} {start:%H:%M}-{end:%H:%M}  {series.title}{place}  [{series.uid}]"]
        for other, _ in clashes(current, series, occurrence.day):
            lines.append("    ! " + say("at the same time as {title} [{uid}]", title=other.title, uid=other.uid))
        answers = answers_for(store, series.uid, occurrence.day)
        said = {kind: [a for a in answers if a["partstat"] == kind] for kind in ("accepted", "tentative", "declined")}
        names = ", ".join(_who(store, a) for a in said["accepted"]) or say("nobody yet")
        lines.append("    " + say("yes ({yes}): {names}; maybe: {maybe}; no: {no}", yes=len(said["accepted"]),
                                  names=names, maybe=len(said["tentative"]), no=len(said["declined"])))
        rows.append(((start.date(), start.time().replace(tzinfo=None), series.uid), lines))
    for _key, lines in sorted(rows, key=lambda row: row[0]):
        print("\n".join(lines))
    return EXIT_OK


_WEEKDAY_NAMES = MappingProxyType({
    "monday": catalogued("monday"), "tuesday": catalogued("tuesday"), "wednesday": catalogued("wednesday"),
    "thursday": catalogued("thursday"), "friday": catalogued("friday"), "saturday": catalogued("saturday"),
    "sunday": catalogued("sunday")})
"""The weekdays as ``[calendar]`` writes them (config.settings.WEEKDAYS), to be said."""
_WEEKDAYS = (catalogued("Mon"), catalogued("Tue"), catalogued("Wed"), catalogued("Thu"), catalogued("Fri"),
             catalogued("Sat"), catalogued("Sun"))


def _day(day: date, say: Words) -> str:
    """``2026-12-07 Mon``, the weekday in ``say``'s language (``%a`` is the C locale's)."""
    return f"{day:%Y-%m-%d} {say(_WEEKDAYS[day.weekday()])}"


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
    q.add_argument("day", type=day_argument(say), metavar="DATE",
                   help=say("2027-01-14 or 14/01/2027 (network time zone)"))
    q.add_argument("times", type=times_argument(say), metavar="START-END",
                   help=say("14:00-16:00 (a start only: 2 hours)"))
    q.add_argument("--title", help=say("the title people see (default: Rencontre/Atelier du <network name>)"))
    q.add_argument("--place", help=say("where it takes place (left out when correcting an event: kept; \"\" clears it)"))
    q.set_defaults(func=cmd_add)

    q = actions.add_parser("cancel", parents=[common], help=say("cancel one permanence (DATE), one date of a series "
                           "(UID DATE) or a one-off event (UID), send the cancellations, publish"))
    q.add_argument("target", metavar="DATE|UID", help=say("2026-12-07 (a permanence) or rencontre-mensuelle, "
                   "rencontre-20270114-1400 (see list)"))
    q.add_argument("date", nargs="?", type=day_argument(say), metavar="DATE",
                   help=say("with a UID: cancel only that date of the series (rencontre-mensuelle 2027-01-14)"))
    q.set_defaults(func=cmd_cancel)

    q = actions.add_parser("list", parents=[common], help=say("the coming occurrences and who said they would come"))
    q.add_argument("--days", type=int, default=30, help=say("how many days ahead (default: 30)"))
    q.set_defaults(func=cmd_list)
    looks_only(q)
