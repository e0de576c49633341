"""`rers introductions …` and `rers match …`: introductions seen and driven from the shell.

- ``introductions list [--status S]`` — one line per introduction;
- ``introductions show MR-7`` — one introduction: items, members, consents, bilans, history;
- ``introductions follow-up`` — reminders, expiries and bilan questions due now, then
  send (the daemon does it every hour);
- ``introductions cancel MR-7 [--animator NAME]`` — end an introduction waiting for
  approval or consent; members already asked are told only that it will not go ahead;
- ``introductions consent MR-7 --side offer|demand --answer yes|no --animator NAME`` —
  record a member's consent given in person (oral, noted with the animator's name): it
  counts as their answer by mail;
- ``match [--dry-run]`` — the full re-match: propose every pair due, and every group a
  collective offer may gather (:func:`workflows.steps.groups.regroup`), then send the
  proposals (``--dry-run``: print them, change nothing);
- ``match --score "OFFER TITLE" "DEMAND TITLE" [--json]`` — how close two titles are and
  why (the animators' "why didn't it match?"); ``--json`` prints
  ``{"score": 0.0-1.0, "proposed": true|false, "why": [...]}``.

Times shown are the network's local time; ``RERS_NOW`` fixes the clock (tests).
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from types import MappingProxyType

from workflows.commands.common import flush_outbox, load_settings, open_store, status_code
from workflows.shell.clock import clock_for, looks_only
from workflows.lookup import find_ref
from workflows.shell.errors import EXIT_OK, UserError, user_error
from workflows.model import explained
from workflows.model.introductions import CLOSE_REASON, CONTACT, SOURCE, STATUS, answer_said
from workflows.model.said import Said, labelled, said
from workflows.shell.language import catalogued, words_for


def print_coming_back(settings, say, record: dict, again: str, never: str) -> None:
    """For an introduction or a group that expired with no animator's answer: ``again``
    (when matching may propose it again, said) and when it was, or ``never`` (only the
    animators' command brings it back)."""
    if record["status"] != "expired" or record.get("approved"):
        return
    if record.get("again_after"):
        print("  " + again + (say(" (offered again {when})", when=local_stamp(settings, record["reoffered"]))
                              if record.get("reoffered") else ""))
    else:
        print("  " + never)


def local_stamp(settings, stamp: str | None) -> str:
    """A stored UTC stamp (ISO 8601) as ``2026-12-07 10:00`` in the network's time zone, ``-`` for none."""
    from datetime import datetime

    if not stamp:
        return "-"
    return datetime.fromisoformat(stamp).astimezone(settings.network.zone).strftime("%Y-%m-%d %H:%M")


def cmd_list(args) -> int:
    settings = load_settings(args)
    store = open_store(settings)
    say = words_for(settings)
    intros = (store.introductions.find("status", status_code(args.status, STATUS, say)) if args.status
              else store.introductions.all())
    for intro in intros:
        print(f"{intro['ref']:<7} {said(labelled(STATUS, intro['status']), say):<10} {intro['offer']:>6} → "
              f"{intro['demand']:<6} {intro['score']:.2f}  {local_stamp(settings, intro['created'])}")
    print(say("{n} introduction(s).", n=len(intros)))
    return EXIT_OK


SIDES = MappingProxyType({"offer": catalogued("offer"), "demand": catalogued("demand"), "asker": catalogued("asker")})
"""The sides of an introduction's or a group's record, as `show` says them."""
BILAN_KEYS = MappingProxyType({"interest": catalogued("interest"), "obstacles": catalogued("obstacles"),
                               "facilitators": catalogued("facilitators"), "text": catalogued("text")})
"""The words of a bilan's answers, as `show` says them (the keys are the store's)."""


def print_bilan(bilan: dict, say) -> None:
    """A bilan's answers, one a line, under its head line (`introductions show`, `groups show`)."""
    for key, word in BILAN_KEYS.items():
        if bilan.get(key):
            print(f"    {say(word)}: " + bilan[key].replace("\n", "\n      "))


def print_status(record: dict, statuses, say) -> None:
    """A record's head line: its ref, its status and why it ended (when that says more),
    in ``say``'s language (``statuses``: the record's :class:`workflows.model.said.Label`
    table)."""
    reason = record.get("close_reason")
    print(f"{record['ref']}: {said(labelled(statuses, record['status']), say)}"
          + (f" ({said(labelled(CLOSE_REASON, reason), say)})" if reason and reason != record["status"] else ""))


def print_why(lines, say, indent: str) -> None:
    """The stored lines of why two items met, in ``say``'s language."""
    for line in lines:
        print(indent + said(explained.read(line), say))


def print_history(entries: list[dict], settings, say) -> None:
    """A record's history: when (network time) and what (the store's word for the event)."""
    print("  " + say("history:"))
    for event in entries:
        print(f"    {local_stamp(settings, event['at'])}  {event['event']}")


def cmd_show(args) -> int:
    # The events of the history are the store's words: shown as they are.
    settings = load_settings(args)
    say = words_for(settings)
    store = open_store(settings)
    intro = store.introductions.find_one("ref", args.ref.upper())
    if intro is None:
        raise UserError("no introduction {ref} (see `rers introductions list`)", ref=args.ref)
    print_status(intro, STATUS, say)
    erased = say("(erased)")
    for side in ("offer", "demand"):
        item = store.items.find_one("ref", intro[side]) or {}
        member = find_ref(store, intro[f"{side}_member"]) if intro[f"{side}_member"] else None
        who = f"{intro[f'{side}_member'] or erased}" + (f" {member['name']}" if member and member.get("name") else "")
        print(f"  {say(SIDES[side]):<6} " + say("{ref} « {title} » — {who}; consent: {consent}, contact: {contact}",
                                               ref=intro[side], title=item.get("title", erased), who=who,
                                               consent=said(answer_said(intro["consents"][side]), say) or "-",
                                               contact=said(labelled(CONTACT, intro["contacts"][side]), say) if intro["contacts"][side]
                                               else "-"))
    print("  " + say("score {score:.2f} ({source}):", score=intro["score"], source=labelled(SOURCE, intro["source"])))
    print_why(intro["why"], say, "    ")
    print("  " + say("created {created}, approved {approved}{by}, introduced {introduced}",
                     created=local_stamp(settings, intro["created"]), approved=local_stamp(settings, intro["approved"]),
                     by=say(" by {animator}", animator=intro["decided_by"]) if intro.get("decided_by") else "",
                     introduced=local_stamp(settings, intro["introduced"])))
    if intro.get("earlier"):
        print("  " + say("the same pair before: {earlier}",
                         earlier=", ".join(f"{e['ref']} ({said(labelled(STATUS, e['status']), say)})"
                                           for e in intro["earlier"])))
    print_coming_back(settings, say, intro,
                      say("may be proposed again by matching from {when}", when=local_stamp(settings, intro.get("again_after"))),
                      say("not proposed again by matching: MISE EN RELATION {offer} {demand} proposes it",
                          offer=intro["offer"], demand=intro["demand"]))
    for side in ("offer", "demand"):
        bilan = intro["bilans"].get(side)
        if bilan:
            print("  " + say("bilan {side}: happened {happened}", side=say(SIDES[side]),
                             happened=said(answer_said(bilan.get("happened")), say) or "?"))
            print_bilan(bilan, say)
    print_history(intro.get("history", []), settings, say)
    return EXIT_OK


def cmd_followups(args) -> int:
    from workflows.shell.jobs import followups_job

    settings = load_settings(args)
    store = open_store(settings)
    clock = clock_for(settings, args)
    report = followups_job(settings, store, clock())
    say = words_for(settings)
    print(say("{reminders} reminder(s), {expired} expired, {bilans} bilan question(s), {completed} completed, "
              "{reoffered} offered again", reminders=len(report.reminders), expired=len(report.expired),
              bilans=len(report.bilans), completed=len(report.completed), reoffered=len(report.reoffered)))
    print(flush_outbox(settings, store, clock))
    return EXIT_OK


def _act(args, act) -> int:
    """Carry out ``act(plan)`` (:func:`workflows.shell.apply.run`), print what it returns
    (a :class:`workflows.model.said.Said`, in the network's language), then send the mail."""
    from workflows.shell.apply import run

    settings = load_settings(args)
    store = open_store(settings)
    clock = clock_for(settings, args)
    try:
        print(said(run(settings, store, clock(), act), words_for(settings)))
    except LookupError as error:
        raise UserError("{error} (see `rers introductions list`)", error=error.args[0]) from None
    except ValueError as error:
        raise user_error(error) from None
    print(flush_outbox(settings, store, clock))
    return EXIT_OK


def cmd_cancel(args) -> int:
    from workflows.steps.introductions import cancel

    animator = args.animator.strip() if args.animator else None
    return _act(args, lambda plan: Said("{ref} cancelled", ref=cancel(plan, args.ref.upper(), animator)["ref"]))


def cmd_consent(args) -> int:
    from workflows.steps.introductions import record_oral_consent

    return _act(args, lambda plan: record_oral_consent(plan, args.ref.upper(), args.side, args.answer,
                                                       args.animator.strip()))


def cmd_match(args) -> int:
    from workflows.shell.apply import run, view
    from workflows.shell.resources import score_text
    from workflows.shell.synonyms import read_animators
    from workflows.steps.groups import regroup
    from workflows.steps.introductions import rematch

    if args.score:
        # Scoring two titles needs no network: outside one (no --config, no $RERS_CONFIG,
        # no ./rers.toml) the built-in defaults serve.
        bare = not (getattr(args, "config", None) or os.environ.get("RERS_CONFIG")) and not Path("rers.toml").exists()
        settings = None if bare else load_settings(args)
        say = words_for(settings)
        # What the animators' synonyms file leaves out (the score goes without it).
        for problem in read_animators(settings.matching.synonyms_file if settings else None).problems:
            print("rers: " + problem.said(say), file=sys.stderr)
        result = score_text(settings, *args.score)
        if args.json:
            json.dump(result, sys.stdout, ensure_ascii=False)
            sys.stdout.write("\n")
        else:
            print(f"score {result['score']:.2f}: "
                  + (say("would be proposed") if result["proposed"] else say("not proposed")))
            print_why(result["why"], say, "  ")
        return EXIT_OK
    settings = load_settings(args)
    store = open_store(settings)
    clock = clock_for(settings, args)
    def both(plan, dry_run=False):
        return rematch(plan, dry_run=dry_run), regroup(plan, dry_run=dry_run)

    # The synonyms file's problems are logged when its matcher is made (a warning).
    if args.dry_run:
        proposals, groups = both(view(settings, store, clock()), dry_run=True)
    else:
        proposals, groups = run(settings, store, clock(), both)
    say = words_for(settings)
    for p in proposals:
        print(f"{p.ref or say('(dry run)')}: {p.offer} → {p.demand} score {p.score:.2f}")
        print_why(p.why, say, "    ")
    print(say("{n} pair(s) would be proposed.", n=len(proposals)) if args.dry_run
          else say("{n} pair(s) proposed.", n=len(proposals)))
    for g in groups:
        print(say("{ref}: a group around {offer} with {demands}", ref=g.ref or say("(dry run)"), offer=g.offer,
                  demands=", ".join(g.demands)))
    if groups:
        print(say("{n} group(s) would be proposed.", n=len(groups)) if args.dry_run
              else say("{n} group(s) proposed.", n=len(groups)))
    if not args.dry_run:
        print(flush_outbox(settings, store, clock))
    return EXIT_OK


def register(sub, common, say) -> None:
    """The area's sub-commands, their help in ``say``'s language (a :class:`workflows.shell.language.Words`)."""
    p = sub.add_parser("introductions", parents=[common], help=say("the introductions (mises en relation)"))
    actions = p.add_subparsers(dest="introductions_command", required=True, metavar="ACTION")
    q = actions.add_parser("list", parents=[common], help=say("one line per introduction"))
    q.add_argument("--status", help=say("only those in this state (proposed, consent, introduced, bilan, completed…)"))
    q.set_defaults(func=cmd_list)
    looks_only(q)
    q = actions.add_parser("show", parents=[common], help=say("one introduction in full"))
    q.add_argument("ref", help=say("MR-7"))
    q.set_defaults(func=cmd_show)
    looks_only(q)
    q = actions.add_parser("follow-up", parents=[common], help=say("reminders, expiries and bilan questions due now, then send"))
    q.set_defaults(func=cmd_followups)
    q = actions.add_parser("cancel", parents=[common], help=say("end an introduction waiting for approval or consent"))
    q.add_argument("ref", help=say("MR-7"))
    q.add_argument("--animator", metavar="NAME", help=say("the animator who cancels it (kept in its history)"))
    q.set_defaults(func=cmd_cancel)
    q = actions.add_parser("consent", parents=[common], help=say("record a member's yes or no given in person"))
    q.add_argument("ref", help=say("MR-7"))
    q.add_argument("--side", required=True, choices=["offer", "demand"], help=say("whose answer: the offer's member "
                   "or the demand's"))
    q.add_argument("--answer", required=True, choices=["yes", "no"], help=say("what they said"))
    q.add_argument("--animator", required=True, metavar="NAME", help=say("the animator who heard it (kept with the "
                   "consent)"))
    q.set_defaults(func=cmd_consent)

    p = sub.add_parser("match", parents=[common], help=say("propose every pair due now, or score two titles (--score)"))
    p.add_argument("--dry-run", action="store_true", help=say("print the pairs that would be proposed, change nothing"))
    p.add_argument("--score", nargs=2, metavar=("OFFER_TITLE", "DEMAND_TITLE"),
                   help=say("how close two titles are, and why (nothing else is done)"))
    p.add_argument("--json", action="store_true", help=say("with --score: print JSON"))
    p.set_defaults(func=cmd_match)
