"""Nothing personal in the logs: Message-IDs and addresses are hashed on their way out.

A Message-ID may name its sender's domain (``<…@paco-ruiz.fr>``), the robot's own name a
question's token (``<RERS-….1@…>``), and an address is a person. The logs (journald, a
terminal, a file an administrator mails to someone) keep neither: the one
:class:`PersonalDataFilter`, installed on the handlers :func:`workflows.cli.configure_logging`
creates, rewrites every record, whatever logger wrote it and at every level:

- a Message-ID ``<…@…>`` becomes ``<mid:`` + the first 16 hex digits of its ledger key
  (:func:`store.message_key`, the hash the ledger keeps) + ``>``: the same message gives the
  same mark in every line, and the ledger entry of a logged message can be found;
- any other address becomes ``<addr:`` + 12 hex digits of the SHA-256 of its lower-cased
  form + ``>``: two addresses can be told apart in a log, and nothing more — but for
  someone who already holds a candidate address and checks it (an unkeyed hash, like the
  ledger's).

Exception texts and stack traces are rewritten too. The robot never logs a message's body
or subject; what a step logs is the Message-ID, a member's ref (``M-14``), an outcome.
"""
from __future__ import annotations

import hashlib
import logging
import re

from store import message_key

_MESSAGE_ID_RE = re.compile(r"<[^<>\s@]{1,400}@[^<>\s]{1,400}>")
_ADDRESS_RE = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]{1,200}@[\w-]{1,63}(?:\.[\w-]{1,63})+", re.UNICODE)


def mark_message_id(message_id: str) -> str:
    """What the logs show of ``message_id`` (angle brackets included, as the ledger keys it)."""
    return f"<mid:{message_key(message_id).partition(':')[2][:16]}>"


def mark_address(address: str) -> str:
    """What the logs show of an address."""
    return f"<addr:{hashlib.sha256(address.lower().encode('utf-8', 'surrogateescape')).hexdigest()[:12]}>"


def redact(text: str) -> str:
    """``text`` with every Message-ID and address replaced by its mark."""
    if "@" not in text:
        return text
    text = _MESSAGE_ID_RE.sub(lambda m: mark_message_id(m.group(0)), text)
    return _ADDRESS_RE.sub(lambda m: mark_address(m.group(0)), text)


class PersonalDataFilter(logging.Filter):
    """Rewrites each record's message (its arguments merged in), exception text and stack
    with :func:`redact`; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: logging itself reports it
            return True
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def protect(handlers) -> None:
    """Install :class:`PersonalDataFilter` on each of ``handlers`` that has none yet."""
    for handler in handlers:
        if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
            handler.addFilter(PersonalDataFilter())


class AuditQuiet(logging.Filter):
    """Drops the audit trail's records (logger ``rers.audit``: what was decided for each
    message, in English) under ERROR: a command run at a terminal (`rers poll`, `rers
    demo`, `rers decide`…) says each message's outcome itself in the network's language
    (README, « The logs »). Errors, and every other logger's warnings, still show."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or not (record.name == "rers.audit" or record.name.startswith("rers.audit."))
