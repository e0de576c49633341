"""`rers members …`: the animators' view of the members, and the acts they do in person.

- ``list`` — every member, one line each (ref, state, name, how to reach them);
- ``show M-14`` — everything stored about one member: the text ``MES DONNÉES`` would send;
- ``export M-14`` — the same as JSON (stdout, or ``--output FILE``, written 0600);
- ``add`` — register a member met in person (no e-mail address), consent given in
  person, noted with the animator's name (``--by``);
- ``set M-14 --phone … --contact … --invitations yes|no --by …`` — change what a member
  asked to change, after checking with them (the robot forwards such requests and
  changes nothing itself: a From line proves nothing); invitations turned on or off send
  or withdraw the calendar's events at once;
- ``forget M-14`` — erase a member, as a confirmed withdrawal does, recorded as done by
  the animator named with ``--by``;
- ``ask M-14 --by …`` — send a pending member their confirmation request now (one the
  network's bound on join questions held back: docs/security.md, "Floods");
- ``expire`` — erase the pending members past ``[membership] pending_days`` (the daemon
  does it too).

Times shown are the network's local time; ``RERS_NOW`` fixes the clock (tests).
"""
from __future__ import annotations

import os
import sys
import unicodedata
from pathlib import Path

from workflows.commands.common import flush_outbox, load_settings, open_store, status_code
from workflows.shell.clock import clock_for, looks_only
from workflows.shell.errors import EXIT_FAILURE, EXIT_OK, UserError, system_reason, user_error
from workflows.shell.language import MEMBER_STATUS, words_for


def _view(args):
    """A read view of the store (:func:`workflows.shell.apply.view`) for a command that only looks."""
    from workflows.shell.apply import view

    settings = load_settings(args)
    return view(settings, open_store(settings), clock_for(settings, args)())


def _member(plan, ref: str) -> dict:
    from workflows.lookup import find_ref

    member = find_ref(plan, ref)
    if member is None:
        raise UserError("no member {ref} (see `rers members list`)", ref=ref)
    return member


def _day(iso: str, plan) -> str:
    """``lundi 15 mars 2027`` (``lundi 1er mars 2027``) for an ISO date, in the network's
    language; the ISO text itself when it is not one."""
    from datetime import date

    from babel.dates import format_date

    try:
        day = date.fromisoformat(iso)
    except (TypeError, ValueError):
        return str(iso)
    language = plan.settings.network.language
    pattern = "EEEE d'er' MMMM y" if language.startswith("fr") and day.day == 1 else "EEEE d MMMM y"
    return format_date(day, format=pattern, locale=language)


def cmd_list(args) -> int:
    plan = _view(args)
    members = sorted(plan.members.all(), key=lambda m: int(m["ref"][2:]))
    say = words_for(plan.settings)
    if args.status:
        wanted = status_code(args.status, MEMBER_STATUS, say)
        members = [m for m in members if m["status"] == wanted]
    for m in members:
        reach = m.get("address") or (say("phone {phone}", phone=m["phone"]) if m.get("phone") else say("no address"))
        flags = " " + say("(undeliverable)") if m.get("undeliverable") else ""
        if m.get("pause"):
            until = m["pause"].get("until")
            flags += " " + (say("(paused until {day})", day=_day(until, plan)) if until
                            else say("(paused until REPRISE)"))
        status = say(MEMBER_STATUS.get(m["status"], m["status"]))
        print(f"{m['ref']:<7} {status:<12} {m.get('name') or say('(no name)')} — {reach}{flags}")
    print(say("{n} member(s)", n=len(members)))
    return EXIT_OK


def cmd_show(args) -> int:
    from workflows.mail.render import base_context
    from workflows.shell.templating import renderer_for
    from workflows.steps.my_data import export

    plan = _view(args)
    member = _member(plan, args.ref)
    # The text MES DONNÉES would send: one wording to keep, and what the member reads.
    values = {**base_context(plan.settings, plan.now), "found": True, "data": export(plan, member), "ref": member["ref"]}
    print(renderer_for(plan.settings).render("my_data", values).text, end="")
    return EXIT_OK


def cmd_export(args) -> int:
    from workflows.steps.my_data import as_json, export

    plan = _view(args)
    text = as_json(export(plan, _member(plan, args.ref)))
    if args.output:
        try:
            _write_private(Path(args.output), text)
        except OSError as error:
            raise UserError("cannot write {path}: {reason}", path=args.output, reason=system_reason(error)) from None
        say = words_for(plan.settings)
        print(say("written: {path}", path=args.output))
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (0600): a member's data. A file
    already there is made 0600 before anything is written into it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            fd = -1
            out.write(text)
    finally:
        if fd >= 0:
            os.close(fd)


def _phone(value: str) -> str:
    """``--phone``: the number in E.164 (read as French when it has no country code), or a
    :class:`UserError` saying what is wrong."""
    import phonenumbers

    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise UserError("--phone {shown!r}: not a phone number (write it as 06 12 34 56 78 or +33 6 12 34 56 78)",
                        shown=shown)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _one_line(option: str, value: str) -> str:
    """A text option (name, animator, consent, title) stripped, or a :class:`UserError`
    when it holds a control character — CR, LF, tab, escape… (Unicode ``Cc``) or a line
    or paragraph separator: a name with « \\r\\nBcc: … » in it would be a header line in a
    mail that quotes it, and an escape code repaints the terminal of whoever lists it."""
    bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")), None)
    if bad is not None:
        raise UserError("{option}: contains the control character U+{code:04X}; write it on one line, without "
                        "line breaks, tabs, escape codes or invisible characters", option=option, code=ord(bad))
    return value.strip()


def _name(value: str) -> str:
    """``--name``: one line, not blank, at most :data:`workflows.model.members.NAME_MAX` characters."""
    from workflows.model.members import NAME_MAX

    name = _one_line("--name", value)
    if not name:
        raise UserError("--name: give the name (it cannot be blank)")
    if len(name) > NAME_MAX:
        raise UserError("--name: at most {most} characters (this one has {n})", most=NAME_MAX, n=len(name))
    return name


def _animator(value: str) -> str:
    """``--by``: the animator's name, one line, not blank (it goes to the log and records)."""
    by = _one_line("--by", value)
    if not by:
        raise UserError("--by: name the animator who does it")
    return by


def cmd_add(args) -> int:
    from workflows.mail import fields
    from workflows.mail.model import Item, MemberFields
    from workflows.shell.apply import run
    from workflows.steps.membership import namesakes, register_member

    contact = fields.contact(args.contact) if args.contact else None
    if args.contact and contact not in ("phone", "permanence"):
        raise UserError("--contact {contact!r}: say phone or permanence (members with an e-mail address join by "
                        "mail themselves)", contact=args.contact)
    member_fields = MemberFields(name=_name(args.name),
                                 phone=_phone(args.phone) if args.phone else None, contact=contact)
    items = [Item(kind="offer", title=_one_line("--offer", t)) for t in args.offer or ()] + [
        Item(kind="demand", title=_one_line("--demand", t)) for t in args.demand or ()]
    consent, by = _one_line("--consent", args.consent), _animator(args.by)
    settings = load_settings(args)
    store = open_store(settings)

    def register(plan):
        member, stored = register_member(plan, fields=member_fields, items=items, consent=consent,
                                         recorded_by=by, source=f"cli:members add:{plan.stamp()}")
        return member, stored, namesakes(plan, member)

    try:
        member, stored, same = run(settings, store, clock_for(settings, args)(), register)
    except ValueError as error:
        raise user_error(error) from None
    say = words_for(settings)
    print(say("{ref} registered: {name}", ref=member["ref"], name=member["name"])
          + "".join(f", {i['ref']} {i['title']}" for i in stored))
    if same:
        print(say("note: a member with the same name already exists: {refs}", refs=", ".join(same)))
    return EXIT_OK


def cmd_set(args) -> int:
    from workflows.shell.apply import run
    from workflows.steps.membership import set_member_fields

    changes = {}
    if args.name is not None:
        changes["name"] = _name(args.name)
    if args.phone is not None:
        changes["phone"] = _phone(args.phone) if args.phone.strip() else None
    if args.contact is not None:
        changes["contact"] = args.contact
    if args.invitations is not None:
        changes["invitations"] = args.invitations == "yes"
    if getattr(args, "address", None):
        return _set_address(args)
    if not changes:
        raise UserError("nothing to change: give --name, --phone, --contact, --invitations or --address")
    by = _animator(args.by)
    settings = load_settings(args)
    store = open_store(settings)
    clock = clock_for(settings, args)

    def change(plan):
        before = _member(plan, args.ref)
        return (before, *set_member_fields(plan, before, changes, by))

    try:
        before, member, queued = run(settings, store, clock(), change)
    except ValueError as error:
        raise user_error(error) from None
    say = words_for(settings)
    done = [key for key in sorted(changes) if before.get(key) != member.get(key)]
    if not done:
        print(say("{ref}: nothing changed (already so)", ref=member["ref"]))
        return EXIT_OK
    # The keys are the options' names (--name, --phone…): shown as they are typed.
    shown = {True: say("yes"), False: say("no"), None: say("(none)")}
    print(say("{ref} updated: {changes}", ref=member["ref"],
              changes=", ".join(f"{key} {shown.get(member.get(key), member.get(key))}" for key in done))
          + (say("; {n} calendar mail(s) queued", n=len(queued)) if queued else ""))
    if queued:
        print(flush_outbox(settings, store, clock))
    return EXIT_OK


def _set_address(args) -> int:
    """``set M-14 --address …``: the new address is asked to confirm, as when the member
    writes NOUVELLE ADRESSE (:func:`workflows.steps.addresses.ask_new_address`): an
    animator's word is no proof that the address is the member's. The member moves on
    its OUI."""
    from workflows.shell.apply import run
    from workflows.steps.addresses import ask_new_address

    if any(getattr(args, k) is not None for k in ("name", "phone", "contact", "invitations")):
        raise UserError("--address goes alone: the member moves once the new address answers OUI")
    by = _animator(args.by)
    settings = load_settings(args)
    store = open_store(settings)
    clock = clock_for(settings, args)

    def ask(plan):
        member = _member(plan, args.ref)
        return ask_new_address(plan, member, args.address, f"cli:address:{member['ref']}:{plan.stamp()}", by=by)

    try:
        run(settings, store, clock(), ask)
    except ValueError as error:
        raise user_error(error) from None
    say = words_for(settings)
    print(say("{ref}: a confirmation question was sent to the new address; the member moves when it "
              "answers OUI", ref=args.ref))
    print(flush_outbox(settings, store, clock))
    return EXIT_OK


def cmd_forget(args) -> int:
    from workflows.shell.apply import run_plan
    from workflows.shell.erasure import after_erasure
    from workflows.shell.runner import open_mailbox
    from workflows.steps.erasure import erase_member

    by = _one_line("--by", args.by)
    settings = load_settings(args)
    store = open_store(settings)
    member = _member(store, args.ref)
    say = words_for(settings)
    if not args.yes:
        if not sys.stdin.isatty():
            raise UserError("erasing cannot be undone: add --yes to confirm")
        answer = input(say("Erase everything about {ref} ({name})? Type the ref: ", ref=member["ref"],
                           name=member.get("name") or say("no name")))
        if answer.strip().upper() != member["ref"]:
            print(say("nothing done"))
            return EXIT_FAILURE
    now = clock_for(settings, args)()
    _, plan = run_plan(settings, store, now, lambda plan: erase_member(
        plan, _member(plan, args.ref), reason="forgotten", by="animator", animator=by))
    cleanup = after_erasure(settings, store, now, plan.erased, mailbox_factory=lambda: open_mailbox(settings))
    print(say("{ref} erased; an anonymous line is kept for the statistics", ref=member["ref"]))
    if member.get("address"):
        where = settings.mailbox.erased_folder
        print(say("{n} message(s) of theirs taken out of the mailbox", n=cleanup.total)
              + (say(" (moved to {folder!r})", folder=where) if where else say(" (deleted)")))
    for problem in cleanup.problems:
        print(say("not done: {problem} (the animators are told; the notice leaves at the robot's next cycle)",
                  problem=problem))
    return EXIT_OK


def cmd_ask(args) -> int:
    from workflows.shell.apply import run
    from workflows.steps.membership import ask_join_again

    by = _animator(args.by)
    settings = load_settings(args)
    store = open_store(settings)
    clock = clock_for(settings, args)
    def send(plan):
        member = _member(plan, args.ref)
        ask_join_again(plan, member, by)
        return member

    try:
        member = run(settings, store, clock(), send)
    except ValueError as error:
        raise user_error(error) from None
    say = words_for(settings)
    print(say("{ref}: confirmation request queued for {address}", ref=member["ref"],
              address=member["address"]))
    print(flush_outbox(settings, store, clock))
    return EXIT_OK


def cmd_expire(args) -> int:
    from workflows.shell.jobs import expire_pending_job

    settings = load_settings(args)
    erased = expire_pending_job(settings, open_store(settings), clock_for(settings, args)())
    say = words_for(settings)
    print(say("{n} pending member(s) erased: {refs}", n=len(erased), refs=", ".join(erased)) if erased
          else say("{n} pending member(s) erased", n=0))
    return EXIT_OK


def register(sub, common, say) -> None:
    """The area's sub-commands, their help in ``say``'s language (a :class:`workflows.shell.language.Words`)."""
    p = sub.add_parser("members", parents=[common],
                       help=say("the members: list, show, add, set, export, forget, ask, expire"))
    actions = p.add_subparsers(dest="members_command", required=True, metavar="ACTION")

    q = actions.add_parser("list", parents=[common], help=say("every member, one line each"))
    q.add_argument("--status", help=say("only these members (pending, confirmed)"))
    q.set_defaults(func=cmd_list)
    looks_only(q)

    q = actions.add_parser("show", parents=[common], help=say("everything stored about one member, in French"))
    q.add_argument("ref", help=say("the member, e.g. M-14"))
    q.set_defaults(func=cmd_show)
    looks_only(q)

    q = actions.add_parser("export", parents=[common], help=say("everything stored about one member, as JSON"))
    q.add_argument("ref", help=say("the member, e.g. M-14"))
    q.add_argument("--output", "-o", metavar="FILE", help=say("write to FILE instead of standard output"))
    q.set_defaults(func=cmd_export)
    looks_only(q)

    q = actions.add_parser("add", parents=[common], help=say("register a member met in person (no e-mail address)"))
    q.add_argument("--name", required=True, help=say("first and last name"))
    q.add_argument("--phone", help=say("phone number (optional)"))
    q.add_argument("--contact", help=say("how to put them in touch: phone or permanence (default: phone when "
                   "a number is given, else permanence)"))
    q.add_argument("--consent", required=True, help=say('how consent was given, e.g. "oral, à la permanence du 2026-12-07"'))
    q.add_argument("--by", required=True, metavar="ANIMATOR", help=say("the animator who recorded the consent"))
    q.add_argument("--offer", action="append", metavar="TITLE", help=say("an offer (repeat for several)"))
    q.add_argument("--demand", action="append", metavar="TITLE", help=say("a demand (repeat for several)"))
    q.set_defaults(func=cmd_add)

    q = actions.add_parser("set", parents=[common], help=say("change a member's name, phone, contact or invitations "
                           "(after checking with the person)"))
    q.add_argument("ref", help=say("the member, e.g. M-14"))
    q.add_argument("--name", help=say("first and last name"))
    q.add_argument("--phone", help=say('phone number ("" to remove it)'))
    q.add_argument("--contact", choices=["email", "phone", "permanence"], help=say("how to put them in touch"))
    q.add_argument("--invitations", choices=["yes", "no"], help=say("calendar invitations by mail"))
    q.add_argument("--address", help=say("a new e-mail address: asked to confirm first (OUI from it moves the member)"))
    q.add_argument("--by", required=True, metavar="ANIMATOR", help=say("the animator who does it (in the log)"))
    q.set_defaults(func=cmd_set)

    q = actions.add_parser("forget", parents=[common], help=say("erase a member (cannot be undone)"))
    q.add_argument("ref", help=say("the member, e.g. M-14"))
    q.add_argument("--by", required=True, metavar="ANIMATOR", help=say("the animator who does it (kept, anonymously)"))
    q.add_argument("--yes", action="store_true", help=say("do not ask for confirmation"))
    q.set_defaults(func=cmd_forget)

    q = actions.add_parser("ask", parents=[common], help=say("send a pending member their confirmation request now "
                           "(one the network's limit held back)"))
    q.add_argument("ref", help=say("the member, e.g. M-14"))
    q.add_argument("--by", required=True, metavar="ANIMATOR", help=say("the animator who does it (in the log)"))
    q.set_defaults(func=cmd_ask)

    q = actions.add_parser("expire", parents=[common], help=say("erase pending members past [membership] pending_days"))
    q.set_defaults(func=cmd_expire)
