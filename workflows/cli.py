"""The `rers` command line.

Every command takes ``--config FILE`` (or the ``RERS_CONFIG`` environment variable, or
``./rers.toml``). A user's mistake — a missing file, a bad configuration, a refused
connection, a wrong password — and a machine's trouble — a full disk, a folder that
cannot be written — is one clear message on stderr and a non-zero exit status (2 for a
configuration problem, 1 otherwise), never a traceback.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from workflows.commands import (
    calendar as calendar_commands,
    catalogue as catalogue_commands,
    collection as collection_commands,
    decide as decide_commands,
    federation as federation_commands,
    groups as groups_commands,
    introductions as introduction_commands,
    members as members_commands,
    parked as parked_commands,
    report as report_commands,
    routes as routes_commands,
    templates as templates_commands,
)
from workflows.commands.common import load_settings, open_store
from workflows.model.said import said_of
from workflows.shell.arguments import argparse_said
from workflows.shell.clock import Clock, clock_for, looks_only
from workflows.shell.errors import (EXIT_CONFIG, EXIT_FAILURE, EXIT_OK, UserError, os_problem, system_reason,
                                    unexpected_problem, user_error)
from workflows.shell.language import Words, words_for, words_for_error
from workflows.shell.logs import AuditQuiet, protect

COMMAND_AREAS = (calendar_commands, members_commands, introduction_commands, groups_commands, report_commands,
                 catalogue_commands, templates_commands, parked_commands, routes_commands, decide_commands,
                 federation_commands, collection_commands)
"""Modules of :mod:`workflows.commands`, each adding its sub-commands with
``register(subparsers, common_options_parser, say)``."""


# --- shared plumbing -------------------------------------------------------------------


def configure_logging(level: str, networks: bool = False, audit_shown: bool = True) -> None:
    """Logs go to stderr, one line each, without timestamps when journald adds its own;
    Message-IDs and addresses hashed (:mod:`workflows.shell.logs`). ``networks``: many
    networks in this process (``--networks``): each line says which, ``[name]`` (its
    folder's name) or ``[host]``. ``audit_shown`` false: the audit trail's warnings
    (``rers.audit``, English) are left out (:class:`workflows.shell.logs.AuditQuiet`)."""
    fmt = "%(levelname)s %(name)s: %(message)s"
    if networks:
        fmt = "%(levelname)s [%(network)s] %(name)s: %(message)s"
    if not os.environ.get("JOURNAL_STREAM"):
        fmt = "%(asctime)s " + fmt
    root = logging.getLogger()
    before = list(root.handlers)
    logging.basicConfig(level=getattr(logging, level.upper()), format=fmt, stream=sys.stderr)
    added = [handler for handler in root.handlers if handler not in before]
    protect(added)
    if not audit_shown:
        for handler in added:
            handler.addFilter(AuditQuiet())
    if networks:
        from workflows.shell.host import NetworkLogFilter

        for handler in added:
            handler.addFilter(NetworkLogFilter())


# --- commands --------------------------------------------------------------------------


def cmd_parse(args) -> int:
    from workflows.mail.model import ParseOptions
    from workflows.mail.parse import parse_message

    options = ParseOptions()
    if args.config or os.environ.get("RERS_CONFIG"):
        from workflows.shell.runner import parse_options

        options = parse_options(load_settings(args))
    path = Path(args.message)
    try:
        raw = sys.stdin.buffer.read() if args.message == "-" else path.read_bytes()
    except OSError as error:
        raise UserError("cannot read {path}: {reason}", path=path, reason=system_reason(error)) from None
    parsed = parse_message(raw, options)
    json.dump(parsed.contract(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return EXIT_OK


def cmd_init(args) -> int:
    from workflows.shell.init import create_signing_key, create_store, init_folder

    say = args.say
    if args.store:
        if args.directory:
            raise UserError("rers init --store creates the store of an existing configuration (--config): "
                            "give no folder")
        settings = load_settings(args)
        print(say("Empty store created: {path}", path=create_store(settings.store.path)))
        made = create_signing_key(settings)
        if made:
            print(say("Signing key for linked networks created: {path}", path=made))
        return EXIT_OK
    if not args.directory:
        raise UserError("rers init DIR: give the folder to create (or --store, for the store of an existing "
                        "configuration)")
    path = init_folder(Path(args.directory), force=args.force)
    print(say("Configuration written: {path}", path=path))
    print(say("Next: edit it, then `rers doctor --config {path}` and `rers poll --once --config {path}`.", path=path))
    return EXIT_OK


def cmd_poll(args) -> int:
    from config.settings import SecretMissing
    from workflows.model.said import said_of
    from workflows.shell.daemon import EXIT_UNFIXABLE, InstanceLock, missing_password
    from workflows.shell.mailboxes.base import MailboxError
    from workflows.shell.runner import Runner
    from workflows.shell.soundness import sound
    from workflows.shell.status import held_today, note_cycle_failure
    from workflows.shell.transports.base import TransportError

    settings = load_settings(args)
    clock = clock_for(settings, args)
    with InstanceLock(settings.store.path):
        store = sound(open_store(settings))
        # As `rers run` does, before any connection: no retry fixes an unset variable, and
        # an unreachable server would otherwise hide it.
        missing = missing_password(settings)
        if missing is not None:
            note_cycle_failure(store, clock(), missing)
            raise UserError(missing, EXIT_UNFIXABLE)
        held_before = held_today(settings, store, clock())
        try:
            report = Runner(settings, store, clock=clock).cycle()
        except (MailboxError, TransportError, SecretMissing, OSError) as error:
            # Kept as `rers run` keeps it: `rers status` (a cron's probe) says it and exits 1.
            note_cycle_failure(store, clock(), os_problem(error) if isinstance(error, OSError) else said_of(error))
            raise
        except Exception as error:  # a bug: the traceback follows, `rers status` says it and exits 1
            note_cycle_failure(store, clock(), unexpected_problem(error))
            raise
        waiting = store.outbox.count("status", "queued")
        held_after = held_today(settings, store, clock())
    # What the flood limits held back at this cycle (the audit's warnings are not shown at a terminal).
    held = {what: max(0, held_after[what] - held_before.get(what, 0)) for what in held_after}
    print(summary(report, waiting, words_for(settings), held))
    # A server's « too many » is a pause, not a failure: the held mail leaves at the next poll.
    return EXIT_FAILURE if report.flush.error and not report.flush.throttled else EXIT_OK


def cmd_jobs(args) -> int:
    """Every scheduled job once, then send what they queued: for a robot run from cron
    (`rers poll --once` every few minutes, `rers jobs` every hour) instead of `rers run`."""
    from store import StoreError
    from workflows.shell.daemon import InstanceLock, default_jobs
    from workflows.shell.runner import Runner
    from workflows.shell.status import note_job_outcome

    settings = load_settings(args)
    say = words_for(settings)
    clock = clock_for(settings, args)
    failed = 0
    with InstanceLock(settings.store.path):
        store = open_store(settings)
        for job in default_jobs(settings, store, clock):
            problem = None
            try:
                job.run()
                print("ok    " + say(job.name))  # « ok » and « FAIL » as `rers doctor` says them
            except (StoreError, OSError) as error:  # the disk (full?), said in one line
                problem = os_problem(error) if isinstance(error, OSError) else said_of(error)
            except Exception as error:  # one failing job must not stop the others
                logging.getLogger(__name__).exception("job %s failed", job.name)
                problem = str(error)
            if problem is not None:
                failed += 1
                print("FAIL  " + say("{job}: {error}", job=say(job.name), error=problem))
            # `rers status` says a failed job, and exits 1, until that job succeeds again.
            note_job_outcome(store, job.name, clock(), problem)
        report = Runner(settings, store, clock=clock).flush()
    print(say("{n} mail(s) sent; sending stopped: {error}", n=len(report.sent), error=report.error) if report.error
          else say("{n} mail(s) sent.", n=len(report.sent)))
    return EXIT_FAILURE if failed or report.error else EXIT_OK


def summary(report, waiting: int, say: Words, held: dict[str, int] | None = None) -> str:
    """One short paragraph about a cycle, for people, in ``say``'s language. ``waiting``:
    mails still queued; ``held``: what the flood limits held back at this cycle, as
    :func:`workflows.shell.status.held_today` counts it (``forwards``, ``joins``)."""
    lines = [
        say("{read} message(s) read: {handled} handled, {repeat} already seen, {failed} failed, {parked} parked.",
            read=len(report.handled), handled=report.count("handled"), repeat=report.count("repeat"),
            failed=report.count("failed"), parked=report.count("parked")),
        say("{sent} mail(s) sent, {failed} given up, {waiting} waiting to be sent.", sent=len(report.flush.sent),
            failed=len(report.flush.failed), waiting=waiting),
    ]
    if held and any(held.values()):
        lines.append(say("Held back by the flood limits ([limits]): {forwards} message(s) not forwarded to the "
                         "animators (their sender's forwards of today are used up), {joins} confirmation request(s) "
                         "not sent (too many to non-members this hour or day; `rers members ask M-n` sends one).",
                         forwards=held.get("forwards", 0), joins=held.get("joins", 0)))
    if report.flush.error:
        lines.append(say("Sending stopped: {error}", error=report.flush.error))
    return "\n".join(lines)


def networks_folder(args) -> Path | None:
    """``--networks DIR``, or None; refused with ``--config`` (one or the other)."""
    if not getattr(args, "networks", None):
        return None
    if args.config:  # $RERS_CONFIG is ignored: a shell may keep one exported
        raise UserError("--networks DIR serves every network of DIR, each with its own rers.toml: give no --config",
                        EXIT_CONFIG)
    return Path(args.networks)


def cmd_run(args) -> int:
    from workflows.shell.daemon import EXIT_UNFIXABLE, Daemon
    from workflows.shell.templating import log_problems

    directory = networks_folder(args)
    if directory is not None:
        from workflows.shell.host import Host

        host = Host(directory, clock=clock_for(None, args))
        status = host.run()
        for line in host.said_lines():  # the log's CRITICAL lines stay English
            print("rers: " + line, file=sys.stderr)
        return status
    settings = load_settings(args)
    clock = clock_for(settings, args)
    log_problems(settings, clock())  # a broken animators' text is said now; the built-in one is used meanwhile
    from store import StoreCorrupt
    from workflows.shell.soundness import sound

    try:
        store = sound(open_store(settings))
    except StoreCorrupt as error:  # no restart mends it: systemd's RestartPreventExitStatus stops the loop
        raise user_error(error, EXIT_UNFIXABLE) from None
    daemon = Daemon(settings, store, clock=clock)
    status = daemon.run()
    if status == EXIT_UNFIXABLE and daemon.state.last_error:  # the log's CRITICAL line stays English
        say = words_for(settings)
        print("rers: " + say("stopped, no retry can fix this: {error}. Fix it, then start the robot again.",
                             error=daemon.state.last_error), file=sys.stderr)
    return status


def cmd_demo(args) -> int:
    from workflows.shell.demo import run_demo

    return run_demo(Path(args.directory), fresh=args.fresh)


def cmd_sandbox(args) -> int:
    from workflows.shell.sandbox import make_sandbox

    if args.demo and (args.config or os.environ.get("RERS_CONFIG")):
        raise UserError("rers sandbox DIR --demo copies the demo; without --demo it copies the network of --config: "
                        "not both")
    source = None if args.demo else load_settings(args)
    config = make_sandbox(Path(args.directory), source)
    say = args.say
    origin = say("the demo") if source is None else str(source.source)
    print(say("Sandbox made from {origin}: {config}", origin=origin, config=config))
    print(say("Nothing leaves it: mail to members is written into its outbox/ folder as .eml files."))
    print(say("Move its clock with `rers --now 2027-01-04 jobs --config {config}` (reminders, expiries, bilans, the "
              "monthly report), read mail dropped into {new} with `rers --now … poll --config {config}`; see "
              "docs/bac-a-sable.md.", config=config, new=config.parent / "mail" / "new"))
    return EXIT_OK


def cmd_doctor(args) -> int:
    from config.settings import ConfigError
    from workflows.shell.doctor import report, run_checks

    directory = networks_folder(args)
    if directory is not None:
        from workflows.shell.host import doctor_all

        text, failing = doctor_all(directory)
        print(text)
        return EXIT_FAILURE if failing else EXIT_OK
    try:
        settings = load_settings(args)
    except ConfigError as error:
        print("FAIL  config     " + error.said(args.say))
        return EXIT_CONFIG
    say = words_for(settings)
    print("ok    config     " + say("{path} is valid", path=settings.source))
    findings = run_checks(settings)
    print(report(findings, say))
    return EXIT_FAILURE if any(f.level == "fail" for f in findings) else EXIT_OK


def cmd_status(args) -> int:
    from workflows.shell.status import status_failed, status_text

    directory = networks_folder(args)
    if directory is not None:
        from workflows.shell.host import status_all

        text, failing = status_all(directory, clock_for(None, args)())
        print(text)
        return EXIT_FAILURE if failing else EXIT_OK
    settings = load_settings(args)
    store = open_store(settings)
    print(status_text(settings, store, clock_for(settings, args)()))
    return EXIT_FAILURE if status_failed(store) else EXIT_OK


# --- the parser ------------------------------------------------------------------------


def _parser_class(say: Words) -> type[argparse.ArgumentParser]:
    """An :class:`argparse.ArgumentParser` whose own words (« usage: », the section
    titles, ``-h``'s help, its error lines: :mod:`workflows.shell.arguments`) are in
    ``say``'s language: argparse takes them from the process's gettext domain, which has
    no French catalogue. Nested sub-commands get the same class (argparse makes them
    with ``type(parser)``)."""

    class Formatter(argparse.HelpFormatter):
        def add_usage(self, usage, actions, groups, prefix=None):
            super().add_usage(usage, actions, groups, say("usage: ") if prefix is None else prefix)

    class Parser(argparse.ArgumentParser):
        def __init__(self, *args, add_help: bool = True, formatter_class=Formatter, **kwargs):
            super().__init__(*args, add_help=False, formatter_class=formatter_class, **kwargs)
            self._positionals.title = say("positional arguments")
            self._optionals.title = say("options")
            if add_help:
                self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                                  help=say("show this help message and exit"))

        def error(self, message):
            self.print_usage(sys.stderr)
            self.exit(2, say("{prog}: error: {message}", prog=self.prog, message=argparse_said(message, say)) + "\n")

    return Parser


def _common(defaults: bool, say: Words) -> argparse.ArgumentParser:
    # Sub-commands repeat the global options with SUPPRESSed defaults: otherwise argparse
    # lets a sub-command's default erase `rers --config X poll`'s X.
    common = _parser_class(say)(add_help=False)
    common.add_argument("--config", metavar="FILE", default=None if defaults else argparse.SUPPRESS,
                        help=say("configuration file (default: $RERS_CONFIG, else ./rers.toml)"))
    common.add_argument("--now", metavar="WHEN", default=None if defaults else argparse.SUPPRESS,
                        help=say("in a sandbox only (rers sandbox): run as on this date (2027-01-04) or date and time"))
    common.add_argument("--log-level", default="warning" if defaults else argparse.SUPPRESS, type=str.lower,
                        choices=["debug", "info", "warning", "error"],
                        help=say("how much to log on stderr (default: warning)"))
    return common


def build_parser(say: Words | None = None) -> argparse.ArgumentParser:
    """The command line, its help in ``say``'s language (French by default)."""
    say = say or Words()
    parser = _parser_class(say)(
        prog="rers",
        description=say("The robot of a Réseau d'Échanges Réciproques de Savoirs: reads the network's mailbox, "
                        "answers members, keeps the store, publishes the calendar."),
        parents=[_common(True, say)],
    )
    common = _common(False, say)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", parents=[common],
                       help=say("create a folder with a commented configuration and an empty store"))
    p.add_argument("directory", nargs="?", help=say("the folder to create (its rers.toml points inside it)"))
    p.add_argument("--force", action="store_true",
                   help=say("overwrite an existing rers.toml (an existing store is kept)"))
    p.add_argument("--store", action="store_true",
                   help=say("only create the empty store named by the configuration (--config), for a new network "
                            "configured by hand; refused when a store or its backup is there"))
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("poll", parents=[common], help=say("read the mailbox once, answer, send, then exit"))
    p.add_argument("--once", action="store_true", default=True, help=say("one cycle then exit (the default)"))
    p.set_defaults(func=cmd_poll)

    p = sub.add_parser("jobs", parents=[common],
                       help=say("run every scheduled job once (calendar, reminders, expiries, bilans, report), "
                                "for cron"))
    p.set_defaults(func=cmd_jobs)

    p = sub.add_parser("run", parents=[common], help=say("run as a daemon: poll, send and publish on schedule"))
    p.add_argument("--networks", metavar="DIR",
                   help=say("serve every network of DIR in this process (each sub-folder with its own rers.toml), "
                            "instead of --config"))
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("parse", parents=[common],
                       help=say("print, as JSON, what the robot understands of one message"))
    p.add_argument("message", help=say("an .eml file (RFC 5322), or - for standard input"))
    p.set_defaults(func=cmd_parse)
    looks_only(p)

    for area in COMMAND_AREAS:
        area.register(sub, common, say)

    p = sub.add_parser("demo", parents=[common],
                       help=say("run the robot on sample mail in a local folder, no server needed"))
    p.add_argument("directory", nargs="?", default="demo", help=say("the demo folder (default: ./demo)"))
    p.add_argument("--fresh", action="store_true", help=say("start again from an empty demo folder"))
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("sandbox", parents=[common],
                       help=say("make a training copy of the network (--config) or of the demo (--demo), where "
                                "nothing reaches real people and --now moves the clock"))
    p.add_argument("directory", help=say("the new folder of the sandbox"))
    p.add_argument("--demo", action="store_true", help=say("copy the demo instead of a network"))
    p.set_defaults(func=cmd_sandbox)

    p = sub.add_parser("doctor", parents=[common],
                       help=say("check the configuration, the store, the IMAP and SMTP logins and TLS, the "
                                "templates"))
    p.add_argument("--networks", metavar="DIR",
                   help=say("check every network of DIR (each sub-folder with its own rers.toml), "
                            "instead of --config"))
    p.set_defaults(func=cmd_doctor)
    looks_only(p)

    p = sub.add_parser("status", parents=[common], help=say("last cycle, outbox, parked messages"))
    p.add_argument("--networks", metavar="DIR",
                   help=say("the status of every network of DIR (each sub-folder with its own rers.toml), "
                            "instead of --config"))
    p.set_defaults(func=cmd_status)
    looks_only(p)
    return parser


def words_of(argv: list[str] | None) -> Words:
    """The language of the network that ``--config`` (or ``$RERS_CONFIG``, or
    ``./rers.toml``) names, read before the command line is parsed (its ``--help`` speaks
    it too); French when there is no readable configuration."""
    from config.settings import ConfigError, SecretMissing

    early = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    early.add_argument("--config", default=None)
    try:
        known, _rest = early.parse_known_args(argv)
        return words_for(load_settings(known))
    except ConfigError as error:  # the command itself says what is wrong, in the file's language if it says one
        return words_for_error(error)
    except (argparse.ArgumentError, SecretMissing, OSError):
        return Words()


def main(argv: list[str] | None = None, clock: Clock | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); its exit status.
    ``clock``: the clock of every command, for a Python caller (the tests, whose robots
    read real test servers); the command line moves it with ``--now`` on a sandbox only
    (:func:`workflows.shell.clock.clock_for`)."""
    say = words_of(argv)
    args = build_parser(say).parse_args(argv)
    args.say, args.clock = say, clock
    # A command at a terminal says each message's outcome itself, in the network's language:
    # the audit trail's English warnings would repeat it in another. Where no one reads a
    # terminal — `rers run`'s journal, `rers poll` from cron, whose stderr is mailed or
    # kept — they are the only log, and stay (so do --log-level info or debug); the demo,
    # a showcase, never mixes them in.
    at_terminal = sys.stderr.isatty() or args.command == "demo"
    configure_logging(args.log_level, networks=bool(getattr(args, "networks", None)),
                      audit_shown=args.command == "run" or not at_terminal or args.log_level in ("info", "debug"))
    from config.settings import ConfigError, SecretMissing
    from store import StoreError
    from workflows.shell.mailboxes.base import MailboxError
    from workflows.shell.transports.base import TransportError

    try:
        if args.now is not None and clock is None:
            # Refused at once on a live network, whatever the command (one that reads no clock too).
            clock_for(None if getattr(args, "networks", None) else load_settings(args), args)
        return args.func(args)
    except ConfigError as error:
        print(error.said(say), file=sys.stderr)
        return EXIT_CONFIG
    except UserError as error:
        print(f"rers: {error.said(say)}", file=sys.stderr)
        return error.status
    except (StoreError, MailboxError, TransportError, SecretMissing) as error:
        print("rers: " + user_error(error).said(say), file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `rers … | head`: the reader left; say nothing more (and nothing at exit).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as error:
        # A file the robot writes (a calendar file, the catalogue page, a lock, an export)
        # and the disk is full or the folder not writable: one line, never a traceback.
        print("rers: " + os_problem(error).said(say), file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
