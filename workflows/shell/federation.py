"""The network's signing key for linked networks (docs/reseaux-voisins.md): made by
``rers init``, read when a robot-to-robot message is built, printed by ``rers federation
key``. Ed25519 (RFC 8032) through the maintained ``cryptography`` library.

The private key is a PKCS #8 PEM file, mode 0600, at ``[federation] key_file`` (default
``federation.key`` beside the store); the public key beside it, ``<key_file>.pub``, one
line ``ed25519:<base64>`` (what a peer writes in its ``[[federation.peers]]``).
"""
from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from config.settings import Settings
from workflows.model.federation import public_key_text, signature_text, signed_bytes
from workflows.shell.errors import UserError


def key_path(settings: Settings) -> Path:
    """Where the private key is (``[federation] key_file``)."""
    return settings.federation.key_file or settings.store.path.parent / "federation.key"


def public_path(private: Path) -> Path:
    return private.with_name(private.name + ".pub")


def _public_text(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return public_key_text(raw)


def create_key(path: Path) -> bool:
    """Make a new key pair at ``path`` (private, mode 0600 from its creation) and
    ``path.pub``, unless a private key is already there. Returns True when one was made.
    Raises :class:`OSError` when the folder cannot be written."""
    if path.exists():
        return False
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL and the mode at open: the key is never readable by others, not even for a moment.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public_path(path).write_text(_public_text(key) + "\n", encoding="ascii")
    return True


def load_key(settings: Settings) -> Ed25519PrivateKey:
    """The network's private key. Raises :class:`UserError` when it is missing or is not
    an Ed25519 private key (saying how to make one)."""
    path = key_path(settings)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise UserError("no signing key at {path}: make one with `rers federation key --create` "
                        "(`rers init` makes it for a new network)", path=path) from None
    except (OSError, ValueError) as error:
        raise UserError("cannot read the signing key {path}: {error}", path=path, error=error) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UserError("{path} is not an Ed25519 private key", path=path)
    return key


def public_key(settings: Settings) -> str:
    """This network's public key, ``ed25519:<base64>`` (read from the private key, so that
    a stale ``.pub`` file never misleads). Raises :class:`UserError` as :func:`load_key`."""
    return _public_text(load_key(settings))


def sign(key: Ed25519PrivateKey, data: bytes) -> str:
    """The detached signature of ``data``, ``ed25519:<base64>``."""
    return signature_text(key.sign(data))


def add_signed_parts(msg, text: str, filename: str, key: Ed25519PrivateKey) -> None:
    """Add to ``msg`` the JSON ``text`` as an ``application/json`` part named ``filename``
    (base64: one long line never breaks a mail's 998-octet limit) and its detached
    signature as ``application/x-rers-signature`` named ``<filename>.sig``
    (:func:`workflows.model.federation.signed_bytes`)."""
    data = signed_bytes(text)
    msg.add_attachment(data, maintype="application", subtype="json", filename=filename)
    msg.add_attachment(sign(key, data).encode("ascii"), maintype="application", subtype="x-rers-signature",
                       filename=f"{filename}.sig")
