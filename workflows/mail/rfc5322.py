"""Building the robot's mail as RFC 5322 bytes: headers, MIME parts, deterministic
Message-IDs (RFC 5322 §3.6.4), and a received message attached as it is.

Headers are encoded by the :mod:`email` package (RFC 2047), never built by string
concatenation; every header value is made one line (no header injection through a name
or a subject). The words come from :mod:`workflows.mail.render`.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from io import BytesIO
from datetime import datetime
from email.base64mime import header_encode as base64_header_encode
from email.charset import BASE64, RFC2047_CHROME_LEN, Charset
from email.contentmanager import raw_data_manager
from email.generator import NLCRE, BytesGenerator
from email.header import Header
from email.message import EmailMessage
from email.policy import Compat32
from email.utils import format_datetime, formataddr, getaddresses

from workflows.mail.decode import normal_address
from workflows.mail.render import Rendered

_ADDRESS_FIELDS = frozenset({"from", "to", "cc", "bcc", "reply-to", "sender", "in-reply-to", "references"})
"""Fields written as UTF-8 as they are in an RFC 6532 message (addresses, and the
Message-IDs of threading, which RFC 6532 §3.2 lets hold UTF-8 too): never as encoded
words, which would make them other addresses, other Message-IDs."""


def message_id(domain: str, *parts: str, key: bytes = b"") -> str:
    """A deterministic Message-ID (RFC 5322 §3.6.4) for the mail caused by ``parts``.

    The same cause (e.g. the incoming Message-ID, the purpose and the recipient) always
    gives the same id, so a mail rebuilt after a crash is recognised as the same mail.
    ``key`` (the store's own key): the id is a keyed hash (HMAC-SHA256), which nobody
    without the store can compute — else anyone who makes the robot write to a member
    (a forged AIDE under a Message-ID of their choice) could name that mail in a forged
    delivery report. Without a key (a view of a store that has none yet, an example):
    a plain SHA-256.
    """
    data = "\x1f".join(parts).encode("utf-8")
    digest = (hmac.new(key, data, hashlib.sha256) if key else hashlib.sha256(data)).hexdigest()[:24]
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
        if _short_line(name, value):
            return f"{name}: {value}{self.linesep}"
        if _folded(name, value):
            # Encoded words already folded by email.header (a subject, a name): the lines
            # are kept as they are, which is what folding them again gives.
            return f"{name}: {value.replace(chr(10), self.linesep)}{self.linesep}"
        if _utf8_address_field(name, value):
            # RFC 6532: an address whose local part is UTF-8 is written as UTF-8 (an
            # encoded word would make it another, undeliverable address). The value
            # was made one line by format_address; folding would split the address.
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)

    def fold_binary(self, name, value):
        # The generator asks this of every header of every part (16 a mail): the common
        # case, a short ASCII line, skips the checks and the encoding of the general way.
        if _short_line(name, value):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        if _utf8_address_field(name, value):
            return self._fold(name, value, sanitize=False).encode("utf-8")
        return super().fold_binary(name, value)


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
    out = BytesIO()
    _Generator(out, mangle_from_=False, policy=MAIL_POLICY).flatten(msg)
    return out.getvalue()


class _Generator(BytesGenerator):
    """:class:`email.generator.BytesGenerator` (what ``as_bytes`` uses), writing a part's
    body in one piece: the standard one writes each line and each line end as two
    calls (about 600,000 calls for 5,000 mails), to the same bytes."""

    def _write_lines(self, lines):
        # The standard loop writes the pieces of NLCRE.split(lines) joined by the line
        # end, the last only when not empty: which is the substitution.
        if lines:
            self.write(NLCRE.sub(self._NL, lines))


def _short_line(name: str, value) -> bool:
    """True for a value written as it is: ASCII, one line, short enough not to be folded
    (what compat32 would write unchanged)."""
    return (isinstance(value, str) and len(name) + len(value) < 77 and value.isascii()
            and "\n" not in value and "\r" not in value)


def _single_line(value: str) -> str:
    # Header values are data: a CR or LF could start a new header (header injection).
    return " ".join(str(value).split())


def _folded(name: str, value) -> bool:
    """True for an ASCII value already folded into lines that fit (each continuation line
    begins with a space), as :meth:`email.header.Header.encode` writes it."""
    if not isinstance(value, str) or "\n" not in value or "\r" in value or "\t" in value or not value.isascii():
        return False
    first, *rest = value.split("\n")
    return (len(name) + 2 + len(first) <= 78 and first.strip() != ""
            and all(line == line.rstrip() for line in (first, *rest))
            and all(line[:1] == " " and line.strip() and len(line) <= 78 for line in rest))


def _utf8_address_field(name: str, value) -> bool:
    return (isinstance(value, str) and name.lower() in _ADDRESS_FIELDS and not value.isascii()
            and "\n" not in value and "\r" not in value
            and not any("\udc80" <= char <= "\udcff" for char in value))


def transport_address(address: str) -> str:
    """``address`` as it is written on the wire: the domain as its A-label (IDNA 2008,
    RFC 5891, through ``email-validator``: ``jörg@bücher.example`` ->
    ``jörg@xn--bcher-kva.example``), the local part unchanged. ASCII exactly when
    :func:`needs_smtputf8` is False. An address that is not a valid one is returned as
    given (the server will refuse it, and say so).

    The robot's identities (the store, ``Parsed.sender``, :func:`recipients_of`) keep the
    canonical U-label form (:func:`workflows.mail.decode.normal_address`); the SMTP
    envelope (``MAIL FROM``/``RCPT TO``) should use this form.
    """
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    import email_validator  # loaded on first use: few addresses are internationalised

    try:
        valid = email_validator.validate_email(
            address, check_deliverability=False, allow_smtputf8=True, allow_quoted_local=True,
            allow_domain_literal=True, globally_deliverable=False, test_environment=True)
    except (email_validator.EmailNotValidError, ValueError, UnicodeError):
        return address
    return f"{local}@{valid.ascii_domain}"


def needs_smtputf8(address: str) -> bool:
    """True when ``address`` cannot travel without the SMTPUTF8 extension (RFC 6531):
    its local part is not ASCII. A non-ASCII domain alone does not need it: its A-label
    (:func:`transport_address`) is ASCII."""
    return not address.rpartition("@")[0].isascii()


class SMTPUTF8Required(ValueError):
    """A mail to an address whose local part is UTF-8 was built without ``smtputf8``:
    it can only travel as an RFC 6532 message through a server that offers SMTPUTF8
    (RFC 6531). The address is not in the message (it goes to logs)."""


def format_address(name: str | None, address: str, *, smtputf8: bool = False) -> str:
    """``Name <address>`` with the name RFC 2047-encoded when it is not ASCII, quoted
    when it holds specials; CR/LF and runs of spaces in the name become one space.

    Internationalised addresses: the domain is written as its A-label, so that an
    address with an ASCII local part stays plain ASCII everywhere. A UTF-8 local part
    (:func:`needs_smtputf8`) raises :class:`SMTPUTF8Required` unless ``smtputf8``: then
    it is written as UTF-8 (RFC 6532; :data:`MAIL_POLICY` keeps it so in the bytes), and
    the message must be stored as bytes and sent with SMTPUTF8.
    """
    address = transport_address(_single_line(address))
    name = _single_line(name or "")
    if address.isascii():
        return formataddr((name, address), charset=_HEADER_CHARSET)
    if not smtputf8:
        raise SMTPUTF8Required("an address with a UTF-8 local part needs SMTPUTF8 (RFC 6531)")
    placeholder = "x@x.invalid"  # formataddr refuses a non-ASCII address: encode the name alone
    written = formataddr((name, placeholder), charset=_HEADER_CHARSET)
    return written[: -len(f"<{placeholder}>")] + f"<{address}>" if written != placeholder else address


class _Utf8Base64(Charset):
    """UTF-8 header words in base64 (RFC 2047 "B"). Python's "utf-8" header charset picks
    the shorter of Q and B for every header by measuring both, character by character: a
    millisecond a subject. B is always fine."""

    def __init__(self):
        super().__init__("utf-8")
        self.header_encoding = BASE64

    def header_encode_lines(self, string, maxlengths):
        """The lines of :meth:`Charset.header_encode_lines`, the same ones, cut at once.

        The standard splitter encodes and measures the whole line again for each
        character it adds ("brute force it", says its comment): 0.2 to 0.4 ms a subject,
        more than rendering it. A line of at most ``maxlen`` base64 characters holds
        ``3 * (maxlen // 4)`` bytes: the UTF-8 bytes are cut there, then back to the
        start of a character. As there, a line that cannot hold its first character
        still takes it (the first line is then None: nothing fits on it)."""
        data = string.encode("utf-8")  # what cannot be encoded raises here, as the standard one does
        extra = len("utf-8") + RFC2047_CHROME_LEN
        lines: list[str | None] = []
        start, end = 0, len(data)
        while True:
            room = 3 * ((next(maxlengths) - extra) // 4)
            if end - start <= room or start == end:
                lines.append(base64_header_encode(data[start:], "utf-8"))
                return lines
            cut = start + max(room, 0)
            while cut > start and data[cut] & 0xC0 == 0x80:  # a continuation byte
                cut -= 1
            if cut == start:
                if not lines:  # nothing fits on the first line
                    lines.append(None)
                    continue
                cut += 1  # the character goes alone on its line
                while cut < end and data[cut] & 0xC0 == 0x80:
                    cut += 1
                if cut == end:
                    lines.append(base64_header_encode(data[start:], "utf-8"))
                    return lines
            lines.append(base64_header_encode(data[start:cut], "utf-8"))
            start = cut


_HEADER_CHARSET = _Utf8Base64()


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
    smtputf8: bool = False,
) -> EmailMessage:
    """Build the MIME message: ``text/plain`` (quoted-printable UTF-8) with an HTML
    alternative when there is one, under :data:`MAIL_POLICY`.

    ``sender``/``to``/``cc``: ``(display name or None, address)``. ``date``: aware.
    ``auto_submitted``: RFC 3834 value (``auto-replied`` for an answer to a message).
    ``list_unsubscribe``: the RFC 2369 mailto URL, e.g. ``mailto:rers@x?subject=RETRAIT``.
    Every header value is made one line (no header injection through a name or subject).
    ``smtputf8``: addresses with a UTF-8 local part are written as UTF-8 (RFC 6532);
    without it they raise :class:`SMTPUTF8Required` (see :func:`format_address`).
    """
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = format_address(*sender, smtputf8=smtputf8)
    msg["To"] = ", ".join(format_address(n, a, smtputf8=smtputf8) for n, a in to)
    if cc:
        msg["Cc"] = ", ".join(format_address(n, a, smtputf8=smtputf8) for n, a in cc)
    if reply_to:
        msg["Reply-To"] = format_address(None, reply_to, smtputf8=smtputf8)
    msg["Subject"] = _text_header("Subject", rendered.subject)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = _single_line(message_id)
    # A Message-ID with UTF-8 in it (a client of an internationalised domain) can only be
    # written in an RFC 6532 message; elsewhere the thread goes without it.
    thread = [mid for mid in [*references, *([in_reply_to] if in_reply_to else [])] if smtputf8 or mid.isascii()]
    if in_reply_to and (smtputf8 or in_reply_to.isascii()):
        msg["In-Reply-To"] = _single_line(in_reply_to)
    if in_reply_to and thread:
        msg["References"] = _single_line(" ".join(thread[-10:]))
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
    """The addresses of the To and Cc headers in canonical form (lower-cased, an IDN
    domain as its U-label: :func:`workflows.mail.decode.normal_address`), the form the
    store compares; the SMTP envelope's ``RCPT TO`` is :func:`transport_address` of each."""
    found = getaddresses([str(value) for value in msg.get_all("To", []) + msg.get_all("Cc", [])])
    return [normal_address(address) or address.lower() for _, address in found if address]


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
