"""`rers federation …`: linked networks (docs/reseaux-voisins.md).

- ``key`` — print this network's public key (``ed25519:…``) to give to a peer's
  operator; ``--create`` makes the key pair first when there is none;
- ``status`` — the peers (linked or not), the last message each way, the items shared
  with them and theirs (``--json``: the same as JSON);
- ``send`` — the linked networks' work now, beside a running robot or not: a ``hello``
  to each peer not linked yet, the catalogue to each linked one when it changed — the
  job's once-a-day limits do not hold for an operator's request —, then send it.
"""
from __future__ import annotations

import json
import sys

from workflows.commands.common import load_settings, open_store
from workflows.model.said import said
from workflows.shell.clock import clock_for, looks_only
from workflows.shell.apply import view
from workflows.shell.errors import EXIT_OK, UserError, system_reason
from workflows.shell.language import words_for
from workflows.shell.federation import public_key
from workflows.steps.federated_introductions import in_progress
from workflows.steps.federation import peer_state, shared_items
from workflows.steps.pooled import feed_state
from workflows.steps.pooled_counts import counts_received


def cmd_key(args) -> int:
    from workflows.shell.federation import create_key, key_path

    settings = load_settings(args)
    if args.create:
        try:
            if create_key(key_path(settings)):
                say = words_for(settings)
                print(say("Signing key created: {path}", path=key_path(settings)), file=sys.stderr)
        except OSError as error:
            raise UserError("cannot create the signing key {path}: {reason}", path=key_path(settings),
                                reason=system_reason(error)) from None
    print(public_key(settings))
    return EXIT_OK


def _when(stamp: str | None) -> str:
    return stamp.replace("T", " ")[:16] + " UTC" if stamp else "—"


def _message(found: dict | None, say) -> str:
    return f"{found['kind']} n°{found['seq']}, {_when(found['at'])}" if found else say("none yet")


def _pair(answers: dict) -> str:
    """``ours/theirs`` (``yes/—``) of a record's approvals or consents."""
    return f"{answers.get('ours') or '—'}/{answers.get('theirs') or '—'}"


def status(settings, store, now) -> dict:
    """What `rers federation status` shows: ``{"key": public key or None, "shared":
    [this network's shared entries], "peers": [{"name", "address", "linked", "in", "out",
    "shared_sent", "catalogue": [their entries], "catalogue_at", "crossings": [the
    cross-network introductions in progress]}]}`` (see :mod:`workflows.steps.federation`
    for ``in``/``out``, :func:`workflows.steps.federated_introductions.in_progress` for
    ``crossings``). Reads only."""
    plan = view(settings, store, now)
    try:
        key = public_key(settings)
    except UserError:
        key = None
    peers = []
    for peer in settings.federation.peers:
        state = peer_state(plan, peer)
        peers.append({"name": peer.name, "address": peer.address, "linked": bool(state.get("linked")),
                      "in": state.get("in"), "out": state.get("out"), "shared_sent": state.get("shared_count"),
                      "catalogue": state.get("catalogue") or [], "catalogue_at": state.get("catalogue_at"),
                      "crossings": in_progress(plan, peer), **_pooled(settings, plan, peer)})
    return {"key": key, "shared": shared_items(plan), "peers": peers}


def _pooled(settings, plan, peer) -> dict:
    """The pooled events' part of a peer's status: ``"feed"`` (None when its calendar is
    not pooled here, else ``{"where", "read_at", "events", "failing", "counts_at",
    "counts_sent"}``) and ``"pooled_counts"`` (what it counted of this network's events:
    :func:`workflows.steps.pooled_counts.counts_received`)."""
    feed = next((f for f in settings.federation.feeds if f.address == peer.address), None)
    found = None
    if feed is not None:
        state = feed_state(plan, peer.address)
        found = {"where": feed.where, **{k: state.get(k) for k in ("read_at", "events", "failing", "counts_at",
                                                                   "counts_sent")}}
    return {"feed": found, "pooled_counts": counts_received(plan, peer)}


def cmd_status(args) -> int:
    settings = load_settings(args)
    found = status(settings, open_store(settings), clock_for(settings, args)())
    if args.json:
        json.dump(found, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    say = words_for(settings)
    print(say("This network's key: {key}", key=found["key"] or say("none (rers federation key --create)")))
    shared = found["shared"]
    print(say("Shared with linked networks: {n} item(s)", n=len(shared)))
    for entry in shared:
        print(f"  {entry['ref']:<7} {entry['title']}")
    if not found["peers"]:
        print(say("No linked network ([[federation.peers]] in the configuration)."))
    for peer in found["peers"]:
        state = say("linked") if peer["linked"] else say("not linked yet (no signed message received from it)")
        print(f"\n{peer['name']} <{peer['address']}>: {state}")
        print(say("  last received: {message}", message=_message(peer["in"], say)))
        print(say("  last sent:     {message}", message=_message(peer["out"], say)))
        if peer["shared_sent"] is not None:
            print(say("  our catalogue: {n} item(s) sent", n=peer["shared_sent"]))
        print(say("  their shared items: {n} (received {when})", n=len(peer["catalogue"]),
                  when=_when(peer["catalogue_at"])))
        for entry in peer["catalogue"]:
            print(f"    {entry['ref']:<7} {entry.get('kind') or '':<7} {entry['title']}")
        print(say("  introductions in progress with them: {n}", n=len(peer["crossings"])))
        for c in peer["crossings"]:
            print(say("    {ref} {item} ↔ {theirs} « {title} »: {status} (teams: {approvals}; members: {consents})",
                      ref=c["ref"], item=c["item"], theirs=c["theirs"].get("ref"), title=c["theirs"].get("title"),
                      status=c["status"], approvals=_pair(c["approvals"]), consents=_pair(c["consents"])))
        _print_pooled(peer, say)
    return EXIT_OK


def _print_pooled(peer: dict, say) -> None:
    feed, counts = peer["feed"], peer["pooled_counts"]
    if feed is not None:
        if feed["failing"]:
            print(say("  their calendar ({where}): cannot be read: {error}", where=feed["where"], error=feed["failing"]))
        else:
            print(say("  their calendar ({where}): {n} event(s) pooled, read {when}", where=feed["where"],
                      n=feed["events"] or 0, when=_when(feed["read_at"])))
        if feed["counts_at"]:
            print(say("  counts sent to them: {n}, {when}", n=feed["counts_sent"], when=_when(feed["counts_at"])))
    if counts["at"]:
        print(say("  yes counted by their members for our events (received {when}):", when=_when(counts["at"])))
        for entry in counts["counts"]:
            print(f"    {entry['title']} {entry['occurrence'] or ''}: {entry['yes']}")


def cmd_send(args) -> int:
    # No instance lock: like `rers report --send`, it works beside a running robot (the
    # store's own lock orders their writes, the outbox's lets one of them send a mail).
    from workflows.shell.jobs import federation_job
    from workflows.shell.runner import Runner

    settings = load_settings(args)
    if not settings.federation.peers:
        raise UserError("no linked network: list them as [[federation.peers]] in the configuration")
    clock = clock_for(settings, args)
    store = open_store(settings)
    sent = federation_job(settings, store, clock(), asked=True)
    report = Runner(settings, store, clock=clock).flush()
    say = words_for(settings)
    for line in sent or [say("nothing to send")]:
        print(said(line, say))
    if report.error:
        raise UserError("queued, not sent yet: {error}", error=report.error)
    return EXIT_OK


def register(sub, common, say) -> None:
    """The area's sub-commands, their help in ``say``'s language (a :class:`workflows.shell.language.Words`)."""
    p = sub.add_parser("federation", parents=[common], help=say("linked networks: this network's key, the peers"))
    actions = p.add_subparsers(dest="federation_command", required=True, metavar="ACTION")
    q = actions.add_parser("key", parents=[common], help=say("print this network's public key, to give to a peer"))
    q.add_argument("--create", action="store_true", help=say("make the key pair first when there is none"))
    q.set_defaults(func=cmd_key)
    looks_only(q)
    q = actions.add_parser("status", parents=[common], help=say("peers, last message each way, shared items"))
    q.add_argument("--json", action="store_true", help=say("as JSON"))
    q.set_defaults(func=cmd_status)
    looks_only(q)
    q = actions.add_parser("send", parents=[common], help=say("hello / the catalogue to the peers now, then send"))
    q.set_defaults(func=cmd_send)
