"""The SASL initial responses of the two OAuth 2.0 bearer-token mechanisms (plain data).

- ``XOAUTH2`` (Google's and Microsoft's own mechanism, documented by both):
  ``user={user}^Aauth=Bearer {token}^A^A``.
- ``OAUTHBEARER`` (RFC 7628 §3.1): a GS2 header naming the authorization identity
  (RFC 5801 §4, ``=`` and ``,`` escaped as ``=3D`` and ``=2C``), then key/value pairs
  separated by ``^A`` (0x01): ``host``, ``port`` and ``auth=Bearer {token}`` (RFC 6750 §2.1).

When a server refuses the token it sends an error challenge (a JSON object) and waits for
one more client response before its final refusal: :data:`XOAUTH2_ABORT` (empty) or
:data:`OAUTHBEARER_ABORT` (``^A``, RFC 7628 §3.2.3).

The strings hold the access token: never log them.
"""
from __future__ import annotations

MECHANISMS = ("xoauth2", "oauthbearer")
"""The values of ``[mailbox]``/``[transport] auth`` other than ``password``."""

XOAUTH2_ABORT = ""
OAUTHBEARER_ABORT = "\x01"


def xoauth2_response(user: str, token: str) -> str:
    """The XOAUTH2 initial response for ``user`` (the mailbox's address) and an access token."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def gs2_authzid(identity: str) -> str:
    """``identity`` as a GS2 ``saslname`` (RFC 5801 §4): ``=`` → ``=3D``, ``,`` → ``=2C``."""
    return identity.replace("=", "=3D").replace(",", "=2C")


def oauthbearer_response(user: str, token: str, host: str | None = None, port: int | None = None) -> str:
    """The OAUTHBEARER initial client response (RFC 7628 §3.1) for ``user``, with the
    server's ``host`` and ``port`` when given."""
    pairs = []
    if host:
        pairs.append(f"host={host}")
    if port:
        pairs.append(f"port={port}")
    pairs.append(f"auth=Bearer {token}")
    return f"n,a={gs2_authzid(user)}," + "".join(f"\x01{p}" for p in pairs) + "\x01\x01"


def initial_response(mechanism: str, user: str, token: str, host: str | None = None, port: int | None = None) -> str:
    """The initial response of ``mechanism`` (``xoauth2`` or ``oauthbearer``, any case).

    Raises ValueError for another mechanism.
    """
    name = mechanism.lower()
    if name == "xoauth2":
        return xoauth2_response(user, token)
    if name == "oauthbearer":
        return oauthbearer_response(user, token, host, port)
    raise ValueError(f"not an OAuth 2.0 SASL mechanism: {mechanism!r}")


def abort_response(mechanism: str) -> str:
    """What the client answers to the server's error challenge before its final refusal."""
    return OAUTHBEARER_ABORT if mechanism.lower() == "oauthbearer" else XOAUTH2_ABORT
