"""`rers collection …`: the recueil (``R-<n>``) seen and driven from the shell
(docs/recueil-et-temoignages.md).

- ``collection start --questions FILE [--until DATE]`` — an animators' questionnaire, as the
  seed's first survey was: the questions of FILE (one a line, ``#`` lines left out) asked of
  every confirmed member who can be written to and did not say NON to a collection; answers
  DATE included (default: in ``collection_days - synthesis_days`` days), then the synthesis
  goes to the animators (the hourly job, the day after); then send;
- ``collection list`` — one line per collection;
- ``collection show R-2`` — one collection: its questions, how many were asked and
  answered, the quotes their authors allowed, the semester's effects.

A count under five is « moins de 5 » here too, as in the synthesis (protocol.md: never
shown anywhere).

Names are never shown here either: an answer's author is only ever « un membre » or the
first name its author allowed. ``RERS_NOW`` fixes the clock (tests).
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from workflows.commands.calendar import day_argument
from workflows.commands.common import flush_outbox, load_settings, open_store
from workflows.shell.clock import clock_for, looks_only
from workflows.shell.errors import EXIT_OK, UserError, system_reason
from workflows.shell.language import words_for


def _collection(store, ref: str) -> dict:
    found = store.recueils.find_one("ref", ref.strip().upper())
    if found is None:
        raise UserError("no collection {ref} (see `rers collection list`)", ref=ref)
    return found


def _count(number: int, say) -> str:
    from workflows.model.voice import shown

    return str(number) if shown(number) is not None else say("fewer than 5")


def cmd_start(args) -> int:
    from workflows.model.voice import questions_from_text
    from workflows.shell.apply import run
    from workflows.steps.voice import start_collection

    settings = load_settings(args)
    path = Path(args.questions)
    try:
        asked = questions_from_text(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise UserError("cannot read {path}: {reason}", path=path,
                        reason=system_reason(error)) from None
    if not asked:
        raise UserError("{path} holds no question (one a line; « # » lines are left out)", path=path)
    store = open_store(settings)
    clock = clock_for(settings, args)
    today = clock().astimezone(settings.network.zone).date()
    until = args.until or today + timedelta(days=max(1, settings.voice.collection_days - settings.voice.synthesis_days))
    if until <= today:
        raise UserError("--until {until}: must be after today ({today})", until=until.isoformat(),
                        today=today.isoformat())
    collection = run(settings, store, clock(), lambda plan: start_collection(
        plan, questions_asked=asked, meeting=until, source="questionnaire"))
    say = words_for(settings)
    print(say("{ref}: questionnaire of {n} question(s) until {until}, {asked} member(s) asked; the synthesis goes "
              "to the animators on {synthesis}.", ref=collection["ref"], n=len(asked), until=until.isoformat(),
              asked=collection["asked"], synthesis=(until + timedelta(days=1)).isoformat()))
    print(flush_outbox(settings, store, clock))
    return EXIT_OK


def cmd_list(args) -> int:
    settings = load_settings(args)
    store = open_store(settings)
    say = words_for(settings)
    found = store.recueils.all()
    for each in found:
        # The ref, status and source are the store's words, shown as they are.
        print(f"{each['ref']:<6} {each['status']:<12} {each['source']:<13} {each['meeting']}  " + say(
            "{asked} asked, {answered} answered", asked=_count(each.get("asked") or 0, say),
            answered=_count(each.get("answered") or 0, say)))
    print(say("{n} collection(s).", n=len(found)))
    return EXIT_OK


def cmd_show(args) -> int:
    from workflows.model.voice import EFFECTS, LEVELS
    from workflows.model.privacy import redact

    settings = load_settings(args)
    say = words_for(settings)
    store = open_store(settings)
    collection = _collection(store, args.ref)
    answers = store.voice_answers.find("collection", collection["ref"])
    head = (say("{ref}: {status} ({source}), meeting {meeting}, semester {semester}", **collection)
            if collection["source"] == "calendar"
            else say("{ref}: {status} ({source}), until {meeting}, semester {semester}", **collection))
    print(head + (say(", exchanges since {since}", since=collection["since"]) if collection.get("since") else ""))
    print("  " + say("{asked} asked, {answered} answered, {kept} answer(s) still kept; synthesis: {synthesis}",
                     asked=_count(collection.get("asked") or 0, say),
                     answered=_count(collection.get("answered") or 0, say), kept=_count(len(answers), say),
                     synthesis=collection.get("synthesis") or say("not yet")))
    print("  " + say("questions:"))
    for number, question in enumerate(collection.get("questions") or (), 1):
        print(f"    {number}. {question}")
    quoted = [a for a in answers if a.get("quote") in ("anonyme", "prénom") and a.get("words")]
    print("  " + say("quotes their authors allowed ({n} answer(s) not to be quoted):",
                     n=_count(len(answers) - len(quoted), say)))
    for answer in quoted:
        # « un membre » is how the synthesis, in French, names an author who gave no first name.
        author = answer.get("first_name") if answer.get("quote") == "prénom" and answer.get("first_name") else "un membre"
        print("    « " + redact(answer["words"]).replace("\n", "\n      ") + f" » — {author}")
    counts = store.get_state(f"effects:{collection['semester']}") or {}
    print("  " + say("effects of {semester} (a count under five is « {fewer} »):", semester=collection["semester"],
                     fewer=say("fewer than 5")))
    for key in EFFECTS:
        cells = []
        for level in LEVELS:
            cells.append(f"{level} {_count(counts.get(key, {}).get(level, 0), say)}")
        print(f"    {key:<10} " + ", ".join(cells))
    return EXIT_OK


def register(sub, common, say) -> None:
    """The area's sub-commands, their help in ``say``'s language (a :class:`workflows.shell.language.Words`)."""
    p = sub.add_parser("collection", parents=[common],
                       help=say("the recueil before the échanges sur les échanges, and the animators' questionnaires "
                                "(R-n)"))
    actions = p.add_subparsers(dest="collection_command", required=True, metavar="ACTION")
    q = actions.add_parser("start", parents=[common],
                           help=say("an animators' questionnaire: the questions of FILE asked of every member by mail"))
    q.add_argument("--questions", required=True, metavar="FILE",
                   help=say("one question a line (« # » lines left out)"))
    q.add_argument("--until", type=day_argument(say), metavar="DATE",
                   help=say("last day for the answers; the synthesis goes to the animators the day after "
                            "(default: in collection_days - synthesis_days days)"))
    q.set_defaults(func=cmd_start)
    q = actions.add_parser("list", parents=[common], help=say("one line per collection"))
    q.set_defaults(func=cmd_list)
    looks_only(q)
    q = actions.add_parser("show", parents=[common], help=say("one collection: questions, counts, allowed quotes"))
    q.add_argument("ref", help=say("R-2"))
    q.set_defaults(func=cmd_show)
    looks_only(q)
