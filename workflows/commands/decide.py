"""``rers decide FILE.eml``: what the robot would do with this message against the store
as it is now — the rows of the route table it goes through and their guards, the
outcome, each mail (template, recipients, purpose), each question, each message for the
animators, each record written — changing nothing. A message already handled is said to
be a repeat, as the runner would treat it. The animators' and the developers' "why would it answer
that?", next to ``rers parse``."""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from workflows.commands.common import load_settings, open_store
from workflows.shell.clock import clock_for
from workflows.shell.errors import EXIT_OK, UserError, system_reason
from workflows.shell.language import words_for


def decide(settings, store, now, raw: bytes) -> dict:
    """The decision for ``raw`` (an RFC 5322 message) at ``now`` (aware) over ``store``,
    as a JSON-ready dict (see the module docstring). Nothing is written: the plan is a
    view (:func:`workflows.shell.apply.view`) never carried out, and the audit log is
    quiet while it is made (it would tell of things that never happened). A message the
    ledger holds is a repeat: the robot would do nothing, and says so; another message
    reusing its Message-ID is not (:func:`workflows.shell.runner.seen_before`)."""
    from workflows.mail.parse import fallback_message_id, parse_message
    from workflows.shell.runner import parse_options

    parsed = parse_message(raw, parse_options(settings), now=now)
    parsed.message_id = parsed.message_id or fallback_message_id(raw)
    audit = logging.getLogger("rers.audit")
    quiet, audit.disabled = audit.disabled, True
    try:
        return _decide(settings, store, now, raw, parsed)
    finally:
        audit.disabled = quiet


def _decide(settings, store, now, raw: bytes, parsed) -> dict:
    from workflows import routes
    from workflows.decision import Incoming
    from workflows.shell.apply import view
    from workflows.model.said import Said
    from workflows.shell.runner import seen_before
    from workflows.shell.status import was_parked

    seen = seen_before(store, parsed)
    result = {"intent": parsed.intent, "route": [], "outcome": None, "mails": [], "questions": [], "forwards": [],
              "writes": [], "dropped": [], "already_sent": []}
    if seen is not None:
        result["outcome"] = (Said("parked before: it would be set aside again") if was_parked(seen)
                             else Said("repeat: already handled, nothing would be done"))
        return result
    plan = view(settings, store, now)
    result["outcome"] = routes.dispatch(plan, Incoming(parsed, raw, "decide"))
    result.update({
        "route": [{"table": table, "key": key, "guard": guard, "passed": passed}
                  for table, key, guard, passed in plan.routes_taken],
        "mails": [_mail(m) for m in plan.mails],
        "questions": [{"kind": q.kind, "about": q.subject_ref, "address": q.address, "member": q.member,
                       "expires": q.expires.isoformat(timespec="seconds"),
                       "mail": _mail(q.mail) if q.mail else None} for q in plan.asked],
        "forwards": [{"reason": f.reason, "says": f.mail.values.get("reason"), **_mail(f.mail)} for f in plan.forwards],
        "writes": [{"op": w.op, "collection": w.collection, "id": w.id, "document": w.doc} for w in plan.writes],
        "dropped": [m.get("message_id") for m in plan.dropped],
        "already_sent": [_mail(m) for m in plan.repeats],
    })
    return result


def _mail(mail) -> dict:
    return {"template": mail.template, "to": [address for _, address in mail.to],
            "cc": [address for _, address in mail.cc], "purpose": mail.purpose, "cause": mail.cause,
            "values": sorted(mail.values)}


def cmd_decide(args) -> int:
    settings = load_settings(args)
    path = Path(args.message)
    try:
        raw = sys.stdin.buffer.read() if args.message == "-" else path.read_bytes()
    except OSError as error:
        raise UserError("cannot read {path}: {reason}", path=path, reason=system_reason(error)) from None
    result = decide(settings, open_store(settings), clock_for(settings, args)(), raw)
    if args.json:
        json.dump(result, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
        return EXIT_OK
    print(readable(result, words_for(settings)))
    return EXIT_OK


def readable(result: dict, say) -> str:
    """The decision in a few lines for people, in ``say``'s language (the intents, keys,
    guards, templates and purposes are the code's words; the outcome is said)."""
    steps = " → ".join(say("{table} {key} (« {guard} » passed)", **r) if r["passed"]
                       else say("{table} {key} (« {guard} » refused)", **r) for r in result["route"])
    lines = [say("intent {intent}", intent=result["intent"]) + (f" → {steps}" if steps else ""),
             say("outcome: {outcome}", outcome=result["outcome"])]
    for mail in result["mails"]:
        lines.append("mail     " + say("{template} to {to} ({purpose})", template=mail["template"],
                                       to=", ".join(mail["to"] + mail["cc"]), purpose=mail["purpose"]))
    for question in result["questions"]:
        lines.append("question " + say("{kind} about {about} to {address} (until {expires})", **question))
    for forward in result["forwards"]:
        lines.append(say("to the animators ({reason}): {says}", reason=forward["reason"], says=forward["says"]))
    for write in result["writes"]:
        doc = write["document"] or {}
        what = doc.get("ref") or doc.get("key") or doc.get("kind") or ""
        lines.append(say("record   {op} {collection} #{id} {what}", op=write["op"], collection=write["collection"],
                         id=write["id"], what=what).rstrip())
    for mail in result["already_sent"]:
        lines.append("mail     " + say("{template} to {to}: already queued or sent, not again",
                                       template=mail["template"], to=", ".join(mail["to"] + mail["cc"])))
    if result["dropped"]:
        lines.append(say("dropped  {n} queued mail(s)", n=len(result["dropped"])))
    lines.append(say("(nothing was changed: rers decide only says what would be done)"))
    return "\n".join(lines)


def register(sub, common, say) -> None:
    """The area's sub-commands, their help in ``say``'s language (a :class:`workflows.shell.language.Words`)."""
    p = sub.add_parser("decide", parents=[common],
                       help=say("what the robot would do with one message now (route, mails, records), changing nothing"))
    p.add_argument("message", help=say("an .eml file (RFC 5322), or - for standard input"))
    p.add_argument("--json", action="store_true", help=say("as JSON"))
    p.set_defaults(func=cmd_decide)
