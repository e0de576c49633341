"""Linked networks (protocol.md, « Linked networks »; docs/reseaux-voisins.md): what this
robot tells its peers' robots and what it keeps of theirs.

- A peer is *linked* once one of its signed messages was accepted here (the guard
  :data:`workflows.routes.PEER` checked the sender, the signature, the addressee and the
  sequence number): that proves it lists this network too. Before that, only a ``hello``
  goes to it, once a day at most; nothing of the members leaves.
- Once linked, the catalogue of the shared items (:func:`shared_items`) goes to it when it
  changed, once a day at most (at once on the first link, and when an operator asks).
- What a peer sent is kept per peer in the ``state`` collection (:func:`peer_state`),
  never in ``members`` or ``items``: no record of one network belongs to another.

Per peer, ``state["federation:<peer address>"]``::

    {"linked": bool, "last_seq": int (the last sequence number accepted from it),
     "epoch": int (the epoch of that message: a newer one restarts the numbering),
     "in": {"kind", "seq", "at", "sent"} | None, "out": {"kind", "seq", "at"} | None,
     "hello_day": "YYYY-MM-DD" | None, "catalogue": [shared entries] (theirs),
     "catalogue_at": UTC ISO (theirs, received), "shared_digest": str, "shared_at": UTC ISO,
     "shared_count": int (ours, sent)}

This robot's own epoch (:mod:`workflows.model.federation`) is ``state["federation:epoch"]``,
set when it first signs a message (:func:`own_epoch`).
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Callable

from config.settings import Peer
from workflows.decision import Incoming, Plan
from workflows.model.said import Said, joined
from workflows.mail.labels import label_of
from workflows.model.federation import Received, encode, envelope, read_catalogue, shared_entry
from workflows.model.privacy import redact
from workflows.steps.catalogue import SERVED
from workflows.steps.federation_notices import tell_about_peer
from workflows.steps.pooled_counts import record_counts
from workflows.steps.speaking import forward_to_animators, tell_peer

CATALOGUE_EVERY = timedelta(days=1)
"""A changed catalogue goes to a peer once a day at most (protocol.md)."""


def _key(peer: Peer) -> str:
    return f"federation:{peer.address}"


def peer_state(plan: Plan, peer: Peer) -> dict:
    """What this robot keeps about ``peer`` (see the module docstring); ``{}`` at first."""
    return dict(plan.get_state(_key(peer)) or {})


def _save(plan: Plan, peer: Peer, **changes) -> None:
    plan.set_state(_key(peer), {**peer_state(plan, peer), **changes})


def last_received(plan: Plan, peer: Peer) -> int:
    """The sequence number of the last message accepted from ``peer`` (0: none yet)."""
    return int(peer_state(plan, peer).get("last_seq") or 0)


def last_received_epoch(plan: Plan, peer: Peer) -> int:
    """The epoch of the last message accepted from ``peer`` (0: none, or a peer without epochs)."""
    return int(peer_state(plan, peer).get("epoch") or 0)


EPOCH_KEY = "federation:epoch"


def own_epoch(plan: Plan) -> int:
    """This store's epoch, set the first time it signs a message: the UTC second of that
    moment — or 0 for a store that had already signed messages before epochs existed (its
    peers hold its numbering under epoch 0: a new epoch would only alarm them)."""
    found = plan.get_state(EPOCH_KEY)
    if found is None:
        before = any(peer_state(plan, peer).get("out") for peer in plan.settings.federation.peers)
        found = 0 if before else int(plan.now.timestamp())
        plan.set_state(EPOCH_KEY, found)
    return int(found)


def shared_items(plan: Plan) -> list[dict]:
    """The items linked networks may see: open, of a confirmed member, whose member wrote
    ``Réseaux voisins : oui`` on it; a demand already served by an introduction left out.
    Each as :func:`workflows.model.federation.shared_entry` (reference, kind, title,
    modality, availability), texts masked (:func:`workflows.model.privacy.redact`: a
    phone or an address written in a title never leaves), by reference."""
    served = {intro["demand"] for intro in plan.introductions.scan(lambda d: d.get("status") in SERVED)}
    confirmed = {m["ref"] for m in plan.members.find("status", "confirmed")}
    found = []
    for item in plan.items.find("status", "open"):
        if item.get("shared") is not True or item.get("member") not in confirmed or item["ref"] in served:
            continue
        entry = shared_entry(item)
        entry["title"] = redact(entry["title"] or "")
        entry["availability"] = redact(entry["availability"]) if entry.get("availability") else None
        found.append(entry)
    return sorted(found, key=lambda e: (e["kind"], int(e["ref"].split("-", 1)[1])))


def send(plan: Plan, peer: Peer, kind: str, body: dict) -> str | None:
    """Decide one signed message of ``kind`` to ``peer``, with the next sequence number of
    that peer. Returns its Message-ID (None when already decided)."""
    seq = plan.next_number(f"federation-out:{peer.address}")
    network = plan.settings.network
    document = envelope(sender=network.address.lower(), network=network.name, to=peer.address, kind=kind, seq=seq,
                        sent=plan.stamp(), body=body, epoch=own_epoch(plan))
    sent = tell_peer(plan, peer, kind=kind, text=encode(document), cause=f"federation:{peer.address}:{seq}")
    _save(plan, peer, out={"kind": kind, "seq": seq, "at": plan.stamp()})
    return sent


def share_catalogue(plan: Plan, peer: Peer, *, at_once: bool = False) -> str | None:
    """Send ``peer`` the shared items when they changed since the last catalogue it got,
    and that one is a day old (``at_once``: whatever its age — the first link). Returns
    the Message-ID, or None when nothing was to be sent."""
    items = shared_items(plan)
    digest = hashlib.sha256(encode({"items": items}).encode("ascii")).hexdigest()
    state = peer_state(plan, peer)
    if state.get("shared_digest") == digest:
        return None
    last = state.get("shared_at")
    if last and not at_once and plan.now - datetime.fromisoformat(last) < CATALOGUE_EVERY:
        return None
    sent = send(plan, peer, "catalogue", {"items": items})
    _save(plan, peer, shared_digest=digest, shared_at=plan.stamp(), shared_count=len(items))
    return sent


def drop_entry(plan: Plan, peer: Peer, ref: str | None) -> bool:
    """``peer`` said its item ``ref`` is off its list (a ``withdrawn`` naming it as
    withdrawn, erased or unavailable): dropped from the catalogue kept of ``peer``, so
    that no other demand is proposed to it — until a catalogue received later lists it
    again (that one replaces the whole list). True when it was there."""
    kept = peer_state(plan, peer).get("catalogue") or []
    left = [entry for entry in kept if entry.get("ref") != ref]
    if len(left) == len(kept):
        return False
    _save(plan, peer, catalogue=left)
    return True


def share_again(plan: Plan, peer: Peer) -> None:
    """``peer`` holds an out-of-date catalogue of ours (it proposed an offer no longer
    listed: paused, withdrawn, no longer shared): the next catalogue goes to it even if
    it is the same as the last one sent — once a day at most, as ever
    (:func:`share_catalogue`) —, so that its copy is renewed, and an offer back on the
    list meanwhile may be proposed again (:func:`workflows.steps.federated_introductions.propose_across`)."""
    _save(plan, peer, shared_digest=None)


def share(plan: Plan, *, asked: bool = False) -> list[str]:
    """The work of linked networks (an hourly job, also run at the robot's start): to each
    peer not linked yet, a ``hello`` (once a day at most); to each linked one, the
    catalogue when it changed (:func:`share_catalogue`, once a day at most). ``asked``:
    an operator asked for it now (`rers federation send`) — the daily limits, meant for
    the job, do not apply; an unchanged catalogue still stays. Returns what was sent,
    ``"<kind> to <peer name>"``."""
    done = []
    for peer in plan.settings.federation.peers:
        state = peer_state(plan, peer)
        if not state.get("linked"):
            if asked or state.get("hello_day") != plan.today:
                send(plan, peer, "hello", {})
                _save(plan, peer, hello_day=plan.today)
                done.append(Said("hello to {peer}", peer=peer.name))
        elif share_catalogue(plan, peer, at_once=asked):
            done.append(Said("catalogue to {peer}", peer=peer.name))
    return done


def on_federation(plan: Plan, incoming: Incoming, peer: Peer, received: Received, *,
                  more: "Callable[[Plan, Incoming, Peer, Received], str | None] | None" = None,
                  restarted: "Callable[[Plan, Peer], None] | None" = None) -> str:
    """``federation`` past :data:`workflows.routes.PEER` (signed by ``peer``, to this
    network, a new sequence number): recorded, never answered in prose. A ``catalogue``
    replaces what is kept of the peer's shared items; a ``hello`` only links; a ``count``
    records how many of the peer's members said yes to this network's pooled events
    (:func:`workflows.steps.pooled_counts.record_counts`); another kind goes to ``more``
    (the cross-network introductions'), and when it returns None (or there is no
    ``more``), to the animators. The first message of a peer links it: this network's
    catalogue goes to it at once. A peer that restarted from an empty store (a newer
    epoch after messages of an older one) is recorded under its new epoch, the animators
    told, and what was kept of it forgotten before its message is read: its catalogue
    (its references now name other items), and through ``restarted`` what was under way
    with it; it lost ours: this network's catalogue goes to it at once, as on a first
    link."""
    before = peer_state(plan, peer)
    first, again = not before.get("linked"), False
    if received.epoch > int(before.get("epoch") or 0) and before.get("last_seq"):
        # Its numbering starts again (the guard let a newer epoch through): the animators
        # know why its messages are accepted again from number 1.
        tell_about_peer(plan, "restart", peer, seq=received.seq, last=int(before["last_seq"]),
                        cause=f"federation-restart:{peer.address}:{received.epoch}")
        plan.audit.warning("federation: %s restarted from an empty store (epoch %d, number %d)", peer.name,
                           received.epoch, received.seq)
        _save(plan, peer, catalogue=[], catalogue_at=None, shared_digest=None)
        if restarted is not None:
            restarted(plan, peer)
        again = True
    _save(plan, peer, linked=True, last_seq=received.seq, epoch=received.epoch,
          **{"in": {"kind": received.kind, "seq": received.seq, "at": plan.stamp(), "sent": received.sent}})
    if received.kind == "catalogue":
        items = read_catalogue(received.body)
        _save(plan, peer, catalogue=items, catalogue_at=plan.stamp())
        outcome = Said("federation: catalogue of {name} ({n} item(s))", name=peer.name, n=len(items))
    elif received.kind == "hello":
        outcome = Said("federation: hello from {name}", name=peer.name)
    elif received.kind == "count":
        outcome = Said("federation: {n} count(s) of {name}", n=record_counts(plan, peer, received.body), name=peer.name)
    elif more is not None and (handled := more(plan, incoming, peer, received)) is not None:
        outcome = handled
    else:
        label = label_of("federation", "intent", plan.settings.network.language)
        forward_to_animators(plan, incoming, reason="not_automated", intent=f"{label} : {received.kind}")
        outcome = Said("federation: {kind} of {name} not automated, forwarded", kind=received.kind, name=peer.name)
    if first or again:
        share_catalogue(plan, peer, at_once=True)
        outcome = joined([outcome, Said("linked") if first else Said("restarted, what was kept of it forgotten")])
    return outcome
