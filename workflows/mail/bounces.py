"""Delivery status notifications (RFC 3464, RFC 6522 ``multipart/report``) and the
non-standard bounces of older servers, read with :mod:`flufl.bounce`; the
``message/delivery-status`` part is read directly when flufl finds nothing.
"""
from __future__ import annotations

import re
from email.message import Message

from workflows.mail.textutil import fold

_DAEMON_RE = re.compile(r"^(?:mailer-daemon|mailer_daemon|mailerdaemon|postmaster|mail-daemon|maildaemon)@")
_BOUNCE_SUBJECT_RE = re.compile(
    r"undeliver|delivery status notification|returned mail|mail delivery fail|delivery failure"
    r"|failure notice|non remis|echec de (?:la )?remise|message non (?:delivre|remis|distribue)"
    r"|non distribuable|impossible de remettre|undelivered mail|delivery has failed|mail system error"
)
_ADDRESS_RE = re.compile(r"[^\s<>;\"']+@[^\s<>;\"']+")
_MESSAGE_ID_RE = re.compile(r"<[^<>\s]{1,400}>")
_QUOTED_ID_RE = re.compile(r"^[ \t>]*Message-ID:[ \t]*(<[^<>\s]{1,400}>)", re.IGNORECASE | re.MULTILINE)
_ORIGINAL_ID_RE = re.compile(r"^Original-Message-ID:[ \t]*(<[^<>\s]{1,400}>)", re.IGNORECASE | re.MULTILINE)


_MDN_FAILED_RE = re.compile(r"^\s*automatic-action/[^;]*;\s*(?:deleted|denied|failed|error)\b")
"""RFC 8098 dispositions that say a program refused the message: Sieve ``reject`` (RFC
5429) writes ``automatic-action/MDN-sent-automatically; deleted``. A person deleting it
unread (``manual-action/…; deleted``) is not a delivery failure."""


def is_bounce(report_type: str, sender: str | None, subject: str, failed_header: bool = False,
              dispositions: list[str] | None = None) -> bool:
    """True for a delivery report: ``multipart/report; report-type=delivery-status``;
    an RFC 8098 report whose disposition says the message was refused (Sieve ``reject``,
    a postmaster's MDN-style report: ``…; deleted``, ``failed``); mail from
    MAILER-DAEMON/postmaster (but for a read receipt, disposition ``displayed``); or a
    typical "Undelivered Mail"/"Non remis" subject with an ``X-Failed-Recipients``
    header (servers that do not send RFC 3464 reports)."""
    if report_type == "delivery-status":
        return True
    if any(_MDN_FAILED_RE.search(value) for value in dispositions or ()):
        return True
    daemon = bool(sender and _DAEMON_RE.match(sender))
    if report_type == "disposition-notification":
        # A postmaster's MDN-style report is a bounce unless it says the mail was read.
        return daemon and not any(re.search(r";\s*(?:displayed|dispatched|processed)\b", value)
                                  for value in dispositions or ())
    if daemon:
        return True
    return failed_header and bool(_BOUNCE_SUBJECT_RE.search(fold(subject)))


def failed_addresses(message: Message) -> tuple[list[str], list[str]]:
    """``(permanent, temporary)`` lower-cased recipient addresses that failed.

    :func:`flufl.bounce.all_failures` first (it knows many servers' formats); then the
    ``message/delivery-status`` fields ``Final-Recipient``/``Original-Recipient`` with
    ``Action: failed`` (permanent) or ``delayed`` (temporary). Never raises.
    """
    permanent: set[str] = set()
    temporary: set[str] = set()
    try:
        from flufl.bounce import all_failures

        temp, perm = all_failures(message)
        permanent.update(_text(address) for address in perm)
        temporary.update(_text(address) for address in temp)
    except Exception:  # flufl's detectors are heuristics over arbitrary input
        pass
    if not permanent and not temporary:
        permanent.update(_refused_recipients(message))
    if not permanent and not temporary:
        for action, address in _delivery_status(message):
            (permanent if action == "failed" else temporary if action == "delayed" else set()).add(address)
    permanent = {address for address in permanent if "@" in address}
    temporary = {address for address in temporary if "@" in address} - permanent
    return sorted(permanent), sorted(temporary)


def _text(address: bytes | str) -> str:
    if isinstance(address, bytes):
        address = address.decode("utf-8", "replace")
    return address.strip().strip("<>").lower()


def _delivery_status(message: Message) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        blocks = payload if isinstance(payload, list) else []
        if isinstance(payload, str):  # some parsers leave it as text: read the fields by hand
            blocks = [dict(_fields(chunk)) for chunk in re.split(r"\n\s*\n", payload)]
        for block in blocks:
            get = block.get if hasattr(block, "get") else (lambda name, default=None: default)
            recipient = get("Final-Recipient") or get("Original-Recipient")
            if not recipient:
                continue
            action = str(get("Action") or "").strip().lower()
            status = str(get("Status") or "").strip()
            if not action:
                action = "failed" if status.startswith("5") else "delayed" if status.startswith("4") else ""
            match = _ADDRESS_RE.search(str(recipient).split(";", 1)[-1])
            if match:
                found.append((action, match.group(0).lower()))
    return found


def _refused_recipients(message: Message) -> list[str]:
    """The ``Final-Recipient`` of each RFC 8098 report whose disposition says refused."""
    found: list[str] = []
    for part in message.walk():
        if part.get_content_type() != "message/disposition-notification":
            continue
        payload = part.get_payload()
        fields = payload[0] if isinstance(payload, list) and payload and isinstance(payload[0], Message) else None
        if fields is None or not _MDN_FAILED_RE.search(str(fields.get("Disposition") or "").lower()):
            continue
        recipient = fields.get("Final-Recipient") or fields.get("Original-Recipient") or ""
        match = _ADDRESS_RE.search(str(recipient).split(";", 1)[-1])
        if match:
            found.append(match.group(0).lower())
    return found


def _fields(chunk: str) -> list[tuple[str, str]]:
    pairs = []
    for line in chunk.splitlines():
        if ":" in line and not line[:1].isspace():
            name, value = line.split(":", 1)
            pairs.append((name.strip(), value.strip()))
    return pairs


def original_message_ids(message: Message) -> list[str]:
    """The Message-IDs of the message a delivery report is about, in order, each once:
    the ``Message-ID`` of its ``message/rfc822`` (or ``message/global``) part, or of its
    ``text/rfc822-headers`` part (RFC 3464 §2, RFC 6522 §3), the ``Original-Message-ID``
    of a disposition notification (RFC 8098, a Sieve reject); failing all, the
    ``Message-ID:`` lines of a copy quoted in its text (older servers: « Below this line
    is a copy of the message »). Never raises."""
    found: list[str] = []
    try:
        for part in message.walk():
            kind = part.get_content_type()
            if kind in ("message/rfc822", "message/global"):
                payload = part.get_payload()
                inner = payload[0] if isinstance(payload, list) and payload else None
                if isinstance(inner, Message):
                    found += _MESSAGE_ID_RE.findall(str(inner.get("Message-ID", "")))[:1]
            elif kind in ("text/rfc822-headers", "message/global-headers"):
                found += _QUOTED_ID_RE.findall(_text_of(part))[:1]
            elif kind in ("message/disposition-notification", "message/global-disposition-notification"):
                payload = part.get_payload()  # RFC 8098 §3.2.5 (a Sieve reject)
                blocks = payload if isinstance(payload, list) else []
                text = "\n".join(f"Original-Message-ID: {b.get('Original-Message-ID', '')}" for b in blocks
                                  if isinstance(b, Message)) or _text_of(part)
                found += _ORIGINAL_ID_RE.findall(text)[:1]
        if not found:
            for part in message.walk():
                if part.get_content_maintype() == "text":
                    found += _QUOTED_ID_RE.findall(_text_of(part))
    except Exception:  # arbitrary input: what was found so far
        pass
    return list(dict.fromkeys(found))


def _text_of(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload.decode(part.get_content_charset() or "utf-8", "replace")
    payload = part.get_payload()
    return payload if isinstance(payload, str) else ""
