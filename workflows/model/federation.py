"""Linked networks (protocol.md, « Linked networks »): the robot-to-robot message as data.

A message between two networks' robots carries one JSON object in an ``application/json``
part and, beside it, a detached Ed25519 signature (RFC 8032) over that part's bytes::

    {"rers_federation": 1, "from": "rers@havre.example", "to": "rers@rouen.example",
     "network": "RERS du Havre", "kind": "catalogue", "seq": 7, "epoch": 1796634000,
     "sent": UTC ISO-8601, "body": {...}}

``seq`` counts the messages of one robot to one peer (1 first): the receiver refuses any
number not above the last it accepted (a replay or a reordering). ``to`` binds a message to
its receiver: one sent to another peer cannot be replayed here.

``epoch`` names the sender's store: the UTC second it first signed a message (0, or
absent, for a store that signed messages before epochs existed). A robot that restarts
from an empty store numbers its messages from 1 again, under a newer epoch: the receiver
takes a newer epoch as a fresh start of the numbering (:func:`sequence_verdict`), and
refuses any message of an older epoch. The epoch is inside the signed bytes: only the
peer's key can open a new one, and a message once accepted can never be accepted again.

The JSON is written ASCII-only, keys sorted, without spaces (:func:`encode`): what the
parser hands over is the part's text as received, and these bytes survive any transfer
encoding and the parser's cleaning unchanged. Keys travel as ``ed25519:`` + base64 of the
32 raw bytes, signatures as ``ed25519:`` + base64 of the 64 bytes.

Pure: no file, no clock. The private key is read and used by the shell
(:mod:`workflows.shell.federation`); this module only verifies.
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from workflows.model.said import Said

VERSION = 1
PREFIX = "ed25519:"

KINDS = ("hello", "catalogue", "count")
"""The kinds this robot acts on; another kind from a peer goes to the animators."""

ITEM_FIELDS = ("ref", "kind", "title", "modality", "availability")
"""What a shared item shows a linked network: never a name, an address or a description."""


class FederationError(ValueError):
    """A key or a message that is not of the expected form; the text says why."""


def public_key_text(raw: bytes) -> str:
    """``ed25519:<base64>`` for the 32 raw bytes of a public key."""
    return PREFIX + base64.b64encode(raw).decode("ascii")


def read_public_key(text: str) -> Ed25519PublicKey:
    """The public key written ``ed25519:<base64 of 32 bytes>``. Raises
    :class:`FederationError` saying what is wrong (its argument a
    :class:`workflows.model.said.Said`: said in the network's language)."""
    text = (text or "").strip()
    if not text.lower().startswith(PREFIX):
        raise FederationError(Said("a key is written {prefix}… (as `rers federation key` prints it)", prefix=PREFIX))
    try:
        raw = base64.b64decode(text[len(PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise FederationError(Said("the key after ed25519: is not base64")) from None
    if len(raw) != 32:
        raise FederationError(Said("an Ed25519 key is 32 bytes, this one {size}", size=len(raw)))
    return Ed25519PublicKey.from_public_bytes(raw)


def signature_text(raw: bytes) -> str:
    """``ed25519:<base64>`` for a 64-byte signature."""
    return PREFIX + base64.b64encode(raw).decode("ascii")


def verify(public_key: str, data: bytes, signature: str | None) -> bool:
    """True when ``signature`` (``ed25519:<base64>``) is the signature of ``data`` by the
    key ``public_key`` (``ed25519:<base64>``); False for a missing, malformed or wrong one.
    Raises :class:`FederationError` only for a malformed ``public_key`` (the configuration
    checks them all)."""
    key = read_public_key(public_key)
    text = (signature or "").strip()
    if not text.lower().startswith(PREFIX):
        return False
    try:
        raw = base64.b64decode(text[len(PREFIX):], validate=True)
        key.verify(raw, data)
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


def encode(document: dict) -> str:
    """The JSON text of ``document`` as it travels and is signed (see the module docstring)."""
    return json.dumps(document, ensure_ascii=True, sort_keys=True, separators=(",", ":"))


def signed_bytes(text: str) -> bytes:
    """The bytes a signature covers: the JSON part's text without surrounding white space."""
    return text.strip().encode("utf-8")


def envelope(*, sender: str, network: str, to: str, kind: str, seq: int, sent: str, body: dict,
             epoch: int = 0) -> dict:
    """The document of one message (see the module docstring)."""
    return {"rers_federation": VERSION, "from": sender, "to": to, "network": network, "kind": kind, "seq": seq,
            "epoch": epoch, "sent": sent, "body": body}


def sequence_verdict(last_epoch: int, last_seq: int, epoch: int, seq: int) -> str | None:
    """Whether a message numbered ``seq`` of ``epoch`` may be accepted after the last one
    accepted from that peer (``last_epoch``, ``last_seq``; 0, 0 when none): ``"next"``
    (same epoch, a higher number), ``"restart"`` (a newer epoch: the peer started again
    from an empty store, its numbering too), None (refused: an older epoch, or a number
    not above the last — a replay or a reordering)."""
    if epoch > last_epoch:
        return "restart"
    if epoch == last_epoch and seq > last_seq:
        return "next"
    return None


@dataclass(frozen=True)
class Received:
    """A peer's message once its signature was checked: who sent it (``peer``: its robot's
    address), ``kind``, ``seq``, ``sent``, ``body`` and ``epoch`` (0 when absent)."""

    peer: str
    kind: str
    seq: int
    sent: str
    body: dict
    epoch: int = 0


def read_envelope(text: str, *, peer: str, us: str) -> Received:
    """The document of a signed message from the robot ``peer`` to ``us`` (addresses,
    lower-case). Raises :class:`FederationError` when it is not JSON, not of this
    version, not from ``peer``, not to ``us``, or lacks a kind or a positive ``seq``, or
    its ``epoch`` is not a whole number."""
    try:
        document = json.loads(text)
    except ValueError:
        raise FederationError("not JSON") from None
    if not isinstance(document, dict) or document.get("rers_federation") != VERSION:
        raise FederationError("not a version 1 robot-to-robot message")
    if str(document.get("from", "")).lower() != peer:
        raise FederationError("written from another robot than the one that sent it")
    if str(document.get("to", "")).lower() != us:
        raise FederationError("written to another network")
    seq = document.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise FederationError("no sequence number")
    epoch = document.get("epoch", 0)
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
        raise FederationError("an epoch that is not a whole number")
    kind = document.get("kind")
    body = document.get("body")
    if not isinstance(kind, str) or not kind or not isinstance(body, dict):
        raise FederationError("no kind or no body")
    return Received(peer=peer, kind=kind, seq=seq, sent=str(document.get("sent") or ""), body=body, epoch=epoch)


def shared_entry(item: dict) -> dict:
    """What a linked network sees of one item: :data:`ITEM_FIELDS` only."""
    return {name: item.get(name) for name in ITEM_FIELDS}


def read_catalogue(body: dict) -> list[dict]:
    """The items of a peer's ``catalogue`` body, each cut to :data:`ITEM_FIELDS` (strings
    of at most 300 characters, anything else dropped), at most 1000 of them."""
    items = body.get("items")
    if not isinstance(items, list):
        return []
    found = []
    for entry in items[:1000]:
        if not isinstance(entry, dict) or not isinstance(entry.get("ref"), str) or not isinstance(entry.get("title"), str):
            continue
        found.append({name: (entry.get(name)[:300] if isinstance(entry.get(name), str) else None)
                      for name in ITEM_FIELDS})
    return found
