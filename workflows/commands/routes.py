"""``rers routes``: the route table as people read it — every intent, the animators'
commands, the kinds of question answered, the change of mind, the chain for a message
nobody claimed — each with who may (its guard) and what happens (its step)."""
from __future__ import annotations

import json
import sys

from workflows.shell.clock import looks_only
from workflows.shell.errors import EXIT_OK
from workflows.shell.language import catalogued


_CHANGE_OF_MIND = catalogued("a NON after an OUI withdraws what it gave, while it still can")


def table() -> list[dict]:
    """The rows of :mod:`workflows.routes`, in reading order: ``{"table", "key", "guard",
    "guard_says", "step", "does"}``."""
    from workflows import routes

    def row(name: str, route) -> dict:
        return {"table": name, "key": route.key, "guard": route.guard.name, "guard_says": route.guard.says,
                "step": f"{route.step.__module__.rpartition('.')[2]}.{route.step.__name__}", "does": route.does}

    rows = [row("intent", r) for r in routes.ROUTES.values()]
    rows += [row("command", r) for r in routes.COMMANDS.values()]
    rows += [row("answer", r) for r in routes.ANSWERS.values()]
    rows += [{"table": "change of mind", "key": kind, "guard": routes.ADDRESSEE.name,
              "guard_says": routes.ADDRESSEE.says, "step": f"{step.__module__.rpartition('.')[2]}.{step.__name__}",
              "does": _CHANGE_OF_MIND}
             for kind, step in routes.CHANGE_OF_MIND.items()]
    rows += [row("unclaimed", r) for r in routes.UNCLAIMED]
    return rows


TITLES = {
    "intent": catalogued("What the message is (its intent)"),
    "command": catalogued("The animators' commands (intent event_command)"),
    "answer": catalogued("Answers to the robot's questions (intent reply), by the question's kind"),
    "change of mind": catalogued("A NON to a question answered OUI before"),
    "unclaimed": catalogued("A message no keyword claimed (intent unknown): the first that claims it, in this order"),
}


def cmd_routes(args) -> int:
    """The table, in the network's language (a row's ``does`` and its guard's ``says``,
    found by ``pybabel extract`` as arguments of ``Route`` and ``Guard``: babel.cfg); its
    keys, guards' and steps' names are the code's; ``--json``: as the code writes it."""
    rows = table()
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    # Columns as wide as their longest entry, so that every row lines up.
    say = args.say  # the network's of --config when there is one, else French
    widths = [max(len(r[column]) for r in rows) for column in ("key", "guard", "step")]
    guards = {}
    for title_key, title in TITLES.items():
        print(say(title))
        for r in (r for r in rows if r["table"] == title_key):
            print(f"  {r['key']:<{widths[0]}}  {r['guard']:<{widths[1]}}  {r['step']:<{widths[2]}}  {say(r['does'])}")
            guards[r["guard"]] = r["guard_says"]
        print()
    print(say("Guards (who may):"))
    for name, says in guards.items():
        print(f"  {name:<{widths[1]}}  {say(says)}")
    return EXIT_OK


def register(sub, common, say) -> None:
    """The area's sub-commands, their help in ``say``'s language (a :class:`workflows.shell.language.Words`)."""
    p = sub.add_parser("routes", parents=[common],
                       help=say("print the route table: each intent, command and answer, who may send it, what happens"))
    p.add_argument("--json", action="store_true", help=say("as JSON"))
    p.set_defaults(func=cmd_routes)
    looks_only(p)
