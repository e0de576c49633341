"""Building the robot's mail as RFC 5322 bytes: headers, MIME parts, deterministic
Message-IDs (RFC 5322 §3.6.4), and a received message attached as it is.

Headers are encoded by the :mod:`email` package (RFC 2047), never built by string
concatenation; every header value is made one line (no header injection through a name
or a subject). The words come from :mod:`workflows.mail.render`.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime
from email.charset import BASE64, Charset
from email.contentmanager import raw_data_manager
from email.header import Header
from email.message import EmailMessage
from email.policy import Compat32
from email.utils import format_datetime, formataddr, getaddresses

from workflows.mail.render import Rendered


def message_id(domain: str, *parts: str) -> str:
    """A deterministic Message-ID (RFC 5322 §3.6.4) for the mail caused by ``parts``.

    The same cause (e.g. the incoming Message-ID, the purpose and the recipient) always
    gives the same id, so a mail rebuilt after a crash is recognised as the same mail.
    """
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:24]
    return f"<rers.{digest}@{domain}>"


class _MailPolicy(Compat32):
    """The policy of the robot's own mail: ``compat32`` headers, the modern content manager.

    :class:`email.policy.EmailPolicy` parses every header into an object when it is set
    and folds it again when written: about 5 ms a mail, more than fetching, parsing and
    sending one. The robot's headers are few and simple, so they are encoded here once
    (RFC 2047 via :func:`email.utils.formataddr` and :class:`email.header.Header`), while
    the parts still use the content manager (``set_content``, ``add_attachment``…).
    """

    content_manager = raw_data_manager

    def _fold(self, name, value, sanitize):
        # Compat32 makes a Header object of every value to fold it (a third of a mail's
        # cost). The robot's values are already ASCII and encoded: a short one-line value
        # is written as it is; anything else is folded the standard way.
        if isinstance(value, str) and len(name) + len(value) < 77 and value.isascii() \
                and "\n" not in value and "\r" not in value:
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


MAIL_POLICY = _MailPolicy(linesep="\r\n")
"""Build and serialise the robot's mail with this policy (CRLF line ends, RFC 5322)."""


def serialize(msg: EmailMessage) -> bytes:
    """The message as RFC 5322 bytes under :data:`MAIL_POLICY`.

    Multipart boundaries are derived from the Message-ID: the generator would otherwise
    draw random ones and compile a regular expression for each to check the body (RFC
    2046 §5.1.1); a SHA-256 prefix cannot occur in text by chance, and the same message
    gives the same bytes.
    """
    seed = str(msg.get("Message-ID", ""))
    for number, part in enumerate(msg.walk()):
        if part.is_multipart() and part.get_boundary() is None:
            digest = hashlib.sha256(f"{seed}\x1f{number}".encode("utf-8")).hexdigest()[:32]
            part.set_boundary(f"=_rers_{digest}")
    return msg.as_bytes(policy=MAIL_POLICY)


def _single_line(value: str) -> str:
    # Header values are data: a CR or LF could start a new header (header injection).
    return " ".join(str(value).split())


def format_address(name: str | None, address: str) -> str:
    """``Name <address>`` with the name RFC 2047-encoded when it is not ASCII, quoted
    when it holds specials; CR/LF and runs of spaces in the name become one space."""
    return formataddr((_single_line(name or ""), _single_line(address)), charset=_HEADER_CHARSET)


def _utf8_base64() -> Charset:
    # Python's "utf-8" header charset picks the shorter of Q and B for every header by
    # measuring both, character by character: a millisecond a subject. B is always fine.
    charset = Charset("utf-8")
    charset.header_encoding = BASE64
    return charset


_HEADER_CHARSET = _utf8_base64()


def _text_header(name: str, value: str) -> str:
    """An unstructured header value (RFC 5322 §3.2.5): as is when ASCII, else RFC 2047
    encoded words (UTF-8, base64), folded by :class:`email.header.Header`."""
    value = _single_line(value)
    if value.isascii():
        return value
    return Header(value, _HEADER_CHARSET, header_name=name).encode()


def build_message(
    *,
    rendered: Rendered,
    sender: tuple[str | None, str],
    to: list[tuple[str | None, str]],
    message_id: str,
    date: datetime,
    cc: list[tuple[str | None, str]] = (),
    in_reply_to: str | None = None,
    references: list[str] = (),
    auto_submitted: str = "auto-generated",
    list_unsubscribe: str | None = None,
    reply_to: str | None = None,
    language: str = "fr",
    extra_headers: dict[str, str] | None = None,
) -> EmailMessage:
    """Build the MIME message: ``text/plain`` (quoted-printable UTF-8) with an HTML
    alternative when there is one, under :data:`MAIL_POLICY`.

    ``sender``/``to``/``cc``: ``(display name or None, address)``. ``date``: aware.
    ``auto_submitted``: RFC 3834 value (``auto-replied`` for an answer to a message).
    ``list_unsubscribe``: the RFC 2369 mailto URL, e.g. ``mailto:rers@x?subject=RETRAIT``.
    Every header value is made one line (no header injection through a name or subject).
    """
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = format_address(*sender)
    msg["To"] = ", ".join(format_address(n, a) for n, a in to)
    if cc:
        msg["Cc"] = ", ".join(format_address(n, a) for n, a in cc)
    if reply_to:
        msg["Reply-To"] = format_address(None, reply_to)
    msg["Subject"] = _text_header("Subject", rendered.subject)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = _single_line(message_id)
    if in_reply_to:
        msg["In-Reply-To"] = _single_line(in_reply_to)
        msg["References"] = _single_line(" ".join([*references, in_reply_to][-10:]))
    msg["Auto-Submitted"] = auto_submitted
    # Exchange/Outlook: do not answer this with an out-of-office (MS-OXCMAIL 2.2.3.2.14).
    msg["X-Auto-Response-Suppress"] = "All"
    if list_unsubscribe:
        msg["List-Unsubscribe"] = f"<{_single_line(list_unsubscribe)}>"
    for key, value in (extra_headers or {}).items():
        msg[key] = _text_header(key, value)
    msg.set_content(rendered.text, charset="utf-8", cte="quoted-printable")
    if rendered.html:
        msg.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    # After the content: set_content() clears every Content-* header, this one included.
    msg["Content-Language"] = language  # RFC 3282
    return msg


def recipients_of(msg: EmailMessage) -> list[str]:
    """The lower-cased addresses of the To and Cc headers (the SMTP envelope's RCPT TO)."""
    return [address.lower() for _, address in getaddresses(msg.get_all("To", []) + msg.get_all("Cc", [])) if address]


_LINE_END = re.compile(rb"\r\n|\r|\n")


_MAX_LINE = 998
"""RFC 5322 §2.1.1: a line of a 7bit body is at most 998 octets."""


def attach_original(msg: EmailMessage, raw: bytes) -> None:
    """Attach ``raw``, a received message, to ``msg`` as ``message.eml`` without parsing it.

    Its MIME tree is never read: a message nested thousands of levels deep (which makes
    the email package recurse past Python's limit) is attached like any other. A 7-bit
    message whose lines fit RFC 5322 travels as ``message/rfc822``, its bytes as they
    are (line ends made CRLF); any other (8-bit, over-long lines) as base64
    ``application/octet-stream``, since message/rfc822 may only be 7bit or 8bit (RFC
    2046 §5.2.1) and 8bit needs 8BITMIME all the way.
    """
    lines = _LINE_END.split(raw)
    if raw.isascii() and all(len(line) <= _MAX_LINE for line in lines):
        part = EmailMessage(policy=msg.policy)
        part["Content-Type"] = "message/rfc822"
        part["Content-Disposition"] = 'attachment; filename="message.eml"'
        # A str payload is written as it is by the generator (the form HeaderParser gives
        # a message/rfc822 part): nothing below these headers is parsed or re-encoded.
        part.set_payload("\r\n".join(line.decode("ascii") for line in lines))
        msg.make_mixed()
        msg.attach(part)
    else:
        msg.add_attachment(raw, maintype="application", subtype="octet-stream", filename="message.eml")
