"""`rers templates …`: the texts of the robot's mails, for the animators who change them.

- ``list`` — every template: what it is (a mail, a web page, a shared piece, a versioned
  text), its languages, and the files the animators changed (``[network] templates_dir``);
- ``show NAME [--lang L] [--builtin]`` — the source the robot uses (the animators' file
  when there is one and nothing is wrong with it, else the built-in one and why;
  ``--builtin``: the original); NAME is a template (``join_ack``: all its files) or one
  file (``_footer.txt.j2``, ``textes/charte-v1.txt.j2``);
- ``check`` — every template in every language rendered with its example data, every
  animators' file read: exit status 1 when something is broken, each problem named;
- ``render NAME --example [--lang L] [--html | --raw]`` — the mail as it would be sent,
  built like the real one, with ``templates/examples/NAME.json``: its headers (decoded)
  and its text (``--html``: the HTML part; ``--raw``: the exact bytes, encoded); a web
  page is printed as HTML.
"""
from __future__ import annotations

from dataclasses import replace
from email.header import decode_header, make_header

from workflows.commands.common import load_settings
from workflows.model.said import said
from workflows.shell.clock import clock_for, looks_only
from workflows.shell.errors import EXIT_FAILURE, EXIT_OK, UserError
from workflows.shell.language import catalogued, words_for

EXAMPLE_RECIPIENT = ("Marie Dupont", "marie.dupont@example.org")
"""The person a previewed mail is addressed to."""
KIND_WORDS = {"mail": catalogued("mail"), "page": catalogued("web page"), "piece": catalogued("shared piece"),
              "text": catalogued("versioned text")}


def cmd_list(args) -> int:
    from workflows.shell.templating import builtin_names, folder_problem, templates

    settings = load_settings(args)
    say = words_for(settings)
    known = builtin_names()
    rows = [(say("NAME"), say("WHAT"), say("LANGUAGES"), say("CHANGED BY THE ANIMATORS"))]
    for info in templates(settings):
        changed = "; ".join(f"{lang}: {', '.join(_part(part, part in info.broken.get(lang, ()), say) for part in parts)}"
                            for lang, parts in sorted(info.overridden.items())) or "-"
        # A file of the animators that names no built-in text is never used (a typo, often).
        what = say(KIND_WORDS[info.kind]) if info.name in known else say("unknown name: never used")
        rows.append((info.name, what, " ".join(info.languages), changed))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3])
    where = settings.network.templates_dir
    problem = folder_problem(settings)
    warning = f"\nwarn  {said(problem, say)}" if problem else ""
    print("\n" + say("The animators' folder: {folder}", folder=where) + warning
          if where else "\n" + say("No animators' folder ([network] templates_dir is not set)."))
    if where:
        print(say("Whether each of your files is used, or why not: rers templates check"))
    return EXIT_OK


def _part(part: str, broken: bool, say) -> str:
    """``txt``, or ``txt`` marked broken: the animators' file unread, the built-in text used
    (as `rers templates check` says it)."""
    return say("{part} (broken: built-in text used)", part=part) if broken else part


def _files_of(name: str) -> list[str]:
    from workflows.mail.render import PARTS, split_file

    return [name] if split_file(name) else [f"{name}.{part}.j2" for part in PARTS]


def cmd_show(args) -> int:
    from workflows.mail.render import BUILTIN_TEMPLATES, TemplateError
    from workflows.shell.templating import in_use, renderer_for

    settings = load_settings(args)
    say = words_for(settings)
    renderer = renderer_for(settings, args.lang)
    now = clock_for(settings, args)()
    shown = 0
    for file in _files_of(args.name):
        try:
            source, why = (renderer.source(file, builtin=True), None) if args.builtin else \
                in_use(settings, renderer, file, now)
        except TemplateError:
            continue
        if source.overridden:
            origin = say("the animators' file {path}", path=source.path)
        else:
            origin = say("built in: {path}", path=source.path.relative_to(BUILTIN_TEMPLATES.parent))
        print(f"=== {renderer.language}/{file} ({origin}{'; ' + said(why, say) if why else ''})")
        print(source.text, end="" if source.text.endswith("\n") else "\n")
        shown += 1
    if not shown:
        raise UserError("no template {name!r} in {language!r} (see `rers templates list`)", name=args.name,
                        language=renderer.language)
    return EXIT_OK


def cmd_check(args) -> int:
    from workflows.shell.templating import LANGUAGES, check, templates

    settings = load_settings(args)
    problems = check(settings, clock_for(settings, args)(), LANGUAGES)
    say = words_for(settings)
    for problem in problems:
        print(f"{'FAIL' if problem.level == 'fail' else 'warn'}  {problem.said(say)}")
    fails = sum(problem.level == "fail" for problem in problems)
    count = sum(1 for info in templates(settings) if info.kind in ("mail", "page"))
    if fails:
        print(say("{n} problem(s) to fix. Meanwhile, the robot uses its built-in text instead of a broken file.",
                  n=fails))
        return EXIT_FAILURE
    print(say("All {n} templates render in {languages} with their example data.", n=count,
              languages=say(" and ").join(LANGUAGES)))
    return EXIT_OK


def _decoded(value: str) -> str:
    return str(make_header(decode_header(value)))


def cmd_render(args) -> int:
    from workflows.mail.render import TemplateError
    from workflows.mail.rfc5322 import build_message, message_id, serialize
    from workflows.shell.templating import example, renderer_for, templates

    settings = load_settings(args)
    now = clock_for(settings, args)()
    language = args.lang or settings.network.language
    info = next((i for i in templates(settings) if i.name == args.name and i.kind in ("mail", "page")), None)
    if info is None:
        raise UserError("no mail or page {name!r} (see `rers templates list`)", name=args.name)
    renderer = renderer_for(settings, language)
    try:
        context = example(args.name, settings, now, language)
        if info.kind == "page":
            print(renderer.page(args.name, context), end="")
            return EXIT_OK
        rendered = renderer.render(args.name, context)
    except TemplateError as error:
        raise UserError(str(error)) from None
    if "token" in context:  # a question: its subject carries its token, as workflows.steps.questions.ask sends it
        rendered = replace(rendered, subject=f"[{context['token']}] {rendered.subject}")
    network = settings.network
    msg = build_message(
        rendered=rendered, sender=(network.name, network.address), to=[EXAMPLE_RECIPIENT],
        message_id=message_id(network.domain, "example", args.name), date=now,
        list_unsubscribe=f"mailto:{network.address}?subject=RETRAIT", language=language,
    )
    if args.raw:
        print(serialize(msg).decode("ascii").replace("\r\n", "\n"), end="")
        return EXIT_OK
    for key, value in msg.items():
        if key.lower() not in ("mime-version", "content-type", "content-transfer-encoding"):
            print(f"{key}: {_decoded(value)}")
    print()
    if args.html and rendered.html is None:
        raise UserError("{name} has no HTML part in {language!r}", name=args.name, language=language)
    print(rendered.html if args.html else rendered.text, end="")
    return EXIT_OK


def register(sub, common, say) -> None:
    """The area's sub-commands, their help in ``say``'s language (a :class:`workflows.shell.language.Words`)."""
    p = sub.add_parser("templates", parents=[common], help=say("the texts of the robot's mails: list, show, check, render"))
    actions = p.add_subparsers(dest="templates_command", required=True, metavar="ACTION")

    q = actions.add_parser("list", parents=[common], help=say("every template, its languages, what the animators changed"))
    q.set_defaults(func=cmd_list)
    looks_only(q)

    q = actions.add_parser("show", parents=[common], help=say("the source the robot uses (the animators' file, "
                           "unless it is broken: then the built-in one, and why)"))
    q.add_argument("name", help=say("a template (join_ack) or one of its files (join_ack.txt.j2, _footer.txt.j2)"))
    q.add_argument("--lang", choices=["fr", "en"], help=say("the language (default: the configured one)"))
    q.add_argument("--builtin", action="store_true", help=say("the built-in file, even when the animators changed it"))
    q.set_defaults(func=cmd_show)
    looks_only(q)

    q = actions.add_parser("check", parents=[common], help=say("render every template in every language with its "
                           "example data; exit 1 and name what is broken"))
    q.set_defaults(func=cmd_check)
    looks_only(q)

    q = actions.add_parser("render", parents=[common], help=say("print a mail as it would be sent, with example data"))
    q.add_argument("name", help=say("a mail (join_confirm) or a web page (catalogue_page)"))
    q.add_argument("--example", action="store_true", required=True,
                   help=say("use templates/examples/NAME.json (required: the only data a preview has)"))
    q.add_argument("--lang", choices=["fr", "en"], help=say("the language (default: the configured one)"))
    shape = q.add_mutually_exclusive_group()
    shape.add_argument("--html", action="store_true", help=say("print the HTML part instead of the text"))
    shape.add_argument("--raw", action="store_true", help=say("print the exact bytes sent (headers and parts encoded)"))
    q.set_defaults(func=cmd_render)
    looks_only(q)
