"""`rers groups …`: the groups (*échanges collectifs*, ``G-<n>``) seen and driven from the shell.

- ``groups list [--status S]`` — one line per group;
- ``groups show G-3`` — one group: its offer, offerer, askers and their answers, the places
  and the waiting list, its sessions and who said they would come, its bilans, history;
- ``groups add-session G-3 DATE START-END [--place P] [--title T]`` — a session of the
  group (as ``ATELIER G-3 …`` by mail): only its members are invited; then publish and send;
- ``groups close G-3 [--animator NAME]`` — end a group: before it took place, everyone asked
  is told it will not; once a session took place, its bilan is asked; then send.

The animators' view: names and refs are shown here (never to members). Times are the
network's local time; ``RERS_NOW`` fixes the clock (tests).
"""
from __future__ import annotations

from workflows.commands.calendar import _publish_and_send, day_argument, describe, times_argument
from workflows.commands.common import flush_outbox, load_settings, open_store, status_code
from workflows.commands.introductions import SIDES, local_stamp, print_bilan, print_coming_back, print_history, print_status
from workflows.model.groups import ASKER_STATE, STATUS
from workflows.model.introductions import SOURCE, answer_said
from workflows.model.said import labelled, said
from workflows.shell.clock import clock_for, looks_only
from workflows.shell.errors import EXIT_OK, UserError, user_error
from workflows.shell.language import words_for


def _group(store, ref: str) -> dict:
    group = store.groups.find_one("ref", ref.strip().upper())
    if group is None:
        raise UserError("no group {ref} (see `rers groups list`)", ref=ref)
    return group


def cmd_list(args) -> int:
    settings = load_settings(args)
    store = open_store(settings)
    say = words_for(settings)
    groups = store.groups.find("status", status_code(args.status, STATUS, say)) if args.status else store.groups.all()
    for group in groups:
        places = sum(1 for ref in group["places"] if ref)
        print(f"{group['ref']:<6} {said(labelled(STATUS, group['status']), say):<10} {group['offer']:>6}  "
              + say("{taken}/{capacity} place(s), {waiting} waiting, {sessions} session(s)", taken=places,
                    capacity=group["capacity"], waiting=len(group["waiting"]), sessions=len(group["sessions"]))
              + f"  {local_stamp(settings, group['created'])}")
    print(say("{n} group(s).", n=len(groups)))
    return EXIT_OK


def cmd_show(args) -> int:
    from workflows.steps.attendance import answers_for
    from workflows.steps.calendar import find_series

    settings = load_settings(args)
    store = open_store(settings)
    group = _group(store, args.ref)
    say = words_for(settings)
    erased = say("(erased)")
    # The events of the history are the store's words: shown as they are.
    print_status(group, STATUS, say)
    offer = store.items.find_one("ref", group["offer"]) or {}
    offerer = store.members.find_one("ref", group["offer_member"]) if group.get("offer_member") else None
    print(f"  {say(SIDES['offer']):<6} " + say("{ref} « {title} » — {who}", ref=group["offer"],
                                               title=offer.get("title", erased),
                                               who=group.get("offer_member") or erased)
          + (f" {offerer['name']}" if offerer and offerer.get("name") else ""))
    print("  " + say("{n} place(s), {source}; created {created}, approved {approved}{by}, led {led}",
                     n=group["capacity"], source=labelled(SOURCE, group["source"]), created=local_stamp(settings, group["created"]),
                     approved=local_stamp(settings, group["approved"]),
                     by=say(" by {animator}", animator=group["decided_by"]) if group.get("decided_by") else "",
                     led=local_stamp(settings, group.get("led"))))
    if group.get("earlier"):
        print("  " + say("groups around this offer before, left unanswered: {earlier}",
                         earlier=", ".join(group["earlier"])))
    print_coming_back(settings, say, group,
                      say("may be gathered again by matching from {when}", when=local_stamp(settings, group.get("again_after"))),
                      say("not gathered again by matching: GROUPE {offer} proposes it", offer=group["offer"]))
    print("  " + say("askers:"))
    for entry in group["askers"]:
        member = store.members.find_one("ref", entry["member"]) if entry.get("member") else None
        demand = store.items.find_one("ref", entry["demand"]) if entry.get("demand") else None
        where = ""
        if entry["member"] in group["places"]:
            where = " " + say("(place {n})", n=group["places"].index(entry["member"]) + 1)
        elif entry["member"] in group["waiting"]:
            where = " " + say("(waiting {n})", n=group["waiting"].index(entry["member"]) + 1)
        print(f"    {entry.get('member') or erased:<6} {said(labelled(ASKER_STATE, entry['state']), say):<9}{where} {entry.get('demand') or '-'} "
              f"« {(demand or {}).get('title', erased)} »" + (f" — {member['name']}" if member and member.get("name")
                                                             else ""))
    if group["sessions"]:
        print("  " + say("sessions:"))
        for uid in group["sessions"]:
            series = find_series(store, uid)
            if series is None:
                print(f"    {uid} " + say("(past, no longer kept)"))
                continue
            answers = answers_for(store, uid, series.rule.starts)
            counts = {p: sum(1 for a in answers if a["partstat"] == p) for p in ("accepted", "tentative", "declined")}
            print(f"    {series.rule.starts} {series.start_time:%H:%M}-{series.end_time:%H:%M} {series.place or ''}"
                  + (" " + say("(called off)") if series.cancelled else "")
                  + say(": {yes} yes, {maybe} maybe, {no} no", yes=counts["accepted"], maybe=counts["tentative"],
                        no=counts["declined"]) + f"  [{uid.partition('@')[0]}]")
    for bilan in group["bilans"]:
        print("  " + say("bilan {member} ({side}): happened {happened}", member=bilan.get("member") or erased,
                         side=say(SIDES[bilan["side"]]) if bilan.get("side") in SIDES else bilan.get("side"),
                         happened=said(answer_said(bilan.get("happened")), say) or "?"))
        print_bilan(bilan, say)
    print_history(group.get("history", []), settings, say)
    return EXIT_OK


def cmd_add_session(args) -> int:
    from workflows.lookup import find_group
    from workflows.shell.apply import run
    from workflows.steps.groups import add_session

    settings = load_settings(args)
    store = open_store(settings)
    _group(store, args.ref)
    clock = clock_for(settings, args)
    start, end = args.times
    outcome = run(settings, store, clock(), lambda plan: add_session(
        plan, find_group(plan, args.ref), args.day, start, end, title=args.title, place=args.place,
        asked=args.ref.upper()))
    said = describe(outcome, words_for(settings))
    if outcome.status == "refused":
        raise UserError(said)
    print(said)
    return _publish_and_send(settings, store, clock)


def cmd_close(args) -> int:
    from workflows.shell.apply import run
    from workflows.steps.groups import close

    settings = load_settings(args)
    store = open_store(settings)
    clock = clock_for(settings, args)
    animator = args.animator.strip() if args.animator else None
    try:
        group = run(settings, store, clock(), lambda plan: close(plan, args.ref.upper(), animator))
    except LookupError as error:
        raise UserError("{error} (see `rers groups list`)", error=error.args[0]) from None
    except ValueError as error:
        raise user_error(error) from None
    print_status(group, STATUS, words_for(settings))
    print(flush_outbox(settings, store, clock))
    return EXIT_OK


def register(sub, common, say) -> None:
    """The area's sub-commands, their help in ``say``'s language (a :class:`workflows.shell.language.Words`)."""
    p = sub.add_parser("groups", parents=[common], help=say("the groups (échanges collectifs, G-n)"))
    actions = p.add_subparsers(dest="groups_command", required=True, metavar="ACTION")
    q = actions.add_parser("list", parents=[common], help=say("one line per group"))
    q.add_argument("--status", help=say("only those in this state (proposed, lead, open, bilan, completed…)"))
    q.set_defaults(func=cmd_list)
    looks_only(q)
    q = actions.add_parser("show", parents=[common], help=say("one group in full"))
    q.add_argument("ref", help=say("G-3"))
    q.set_defaults(func=cmd_show)
    looks_only(q)
    q = actions.add_parser("add-session", parents=[common],
                           help=say("a session of the group: only its members are invited (as ATELIER G-3 … by mail)"))
    q.add_argument("ref", help=say("G-3"))
    q.add_argument("day", type=day_argument(say), help=say("2027-01-20 or 20/01/2027"))
    q.add_argument("times", type=times_argument(say), help=say("10:00-12:00 (or a start only: two hours)"))
    q.add_argument("--place", help=say("where (the place of a correction is kept when left out)"))
    q.add_argument("--title", help=say("the calendar title (default: « Groupe : » and the offer's title)"))
    q.set_defaults(func=cmd_add_session)
    q = actions.add_parser("close", parents=[common], help=say("end a group (its bilan is asked if a session took place)"))
    q.add_argument("ref", help=say("G-3"))
    q.add_argument("--animator", metavar="NAME", help=say("the animator who closes it (kept in its history)"))
    q.set_defaults(func=cmd_close)
