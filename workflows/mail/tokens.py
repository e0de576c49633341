"""Reference tokens: ``RERS-`` followed by eight characters of A-Z and 2-9.

The robot puts ``[RERS-XXXXXXXX]`` in the subject of every question it asks and builds its
Message-IDs as ``<RERS-XXXXXXXX.n@domain>`` (protocol.md, "Replies"). People sometimes
retype a token in lower case, so matching ignores case and the result is upper-cased.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

TOKEN_RE = re.compile(r"(?<![A-Za-z0-9])RERS-([A-Z2-9]{8})(?![A-Za-z0-9])", re.IGNORECASE)
"""Matches one token; group 1 is the eight characters (in the case written)."""

ROBOT_MESSAGE_ID_RE = re.compile(r"^<?RERS-[A-Z2-9]{8}\.[^@<>\s]*@", re.IGNORECASE)
"""A Message-ID built by the robot itself for a question: ``<RERS-XXXXXXXX.n@domain>``."""

_ROBOT_MAIL_ID_RE = re.compile(r"^<?rers\.[0-9a-f]{16,64}@", re.IGNORECASE)
"""A Message-ID built by the robot for any other mail (:func:`workflows.mail.rfc5322.message_id`):
``<rers.HEX@domain>``."""


def is_robot_message_id(message_id: str | None) -> bool:
    """True for a Message-ID the robot builds (either form above)."""
    value = (message_id or "").strip()
    return bool(ROBOT_MESSAGE_ID_RE.match(value) or _ROBOT_MAIL_ID_RE.match(value))


def find_token(text: str | None) -> str | None:
    """Return the first token in ``text`` as ``RERS-XXXXXXXX`` (upper case), or None.

    Accepts any ``str`` (or None); never raises.
    """
    if not text:
        return None
    match = TOKEN_RE.search(text)
    return f"RERS-{match.group(1).upper()}" if match else None


def find_token_in_ids(message_ids: Iterable[str]) -> str | None:
    """The token of the last robot Message-ID among ``message_ids`` (References order:
    oldest first, so the last one is the message being answered), or None."""
    for message_id in reversed(list(message_ids)):
        if ROBOT_MESSAGE_ID_RE.match(message_id.strip()):
            return find_token(message_id)
    return None
