"""Reading what a message says, whatever the client did to it: header words, charsets,
dates, addresses, format=flowed, and the choice of the text part.

Sources: RFC 5322 (message format), RFC 2045-2047 (MIME, encoded words), RFC 2231 is left
to :mod:`email`, RFC 3676 (format=flowed), and the WHATWG Encoding Standard's rule that a
message labelled ``iso-8859-1`` or ``us-ascii`` is read as windows-1252.

Nothing here raises on bad input: undecodable bytes are read with a fallback charset, and
unparseable values come back as None.
"""
from __future__ import annotations

import binascii
import codecs
import hashlib
import email
import email.errors
import email.utils
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from email.headerregistry import HeaderRegistry
from email.message import Message
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workflows.mail.textutil import clean_line, fold

# Labels people's clients really write that Python does not know, or knows wrongly.
_CHARSET_ALIASES = {
    "uft-8": "utf-8",
    "utf8": "utf-8",
    "utf-8s": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "x-unicode20utf8": "utf-8",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "iso-8859-8-i": "iso-8859-8",
    "x-mac-roman": "mac-roman",
    "macintosh": "mac-roman",
}
# Labels under which windows-1252 bytes are commonly sent (WHATWG: these labels *are*
# windows-1252), or which say nothing useful about the bytes.
_WESTERN_LABELS = frozenset(
    {"", "us-ascii", "ascii", "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1",
     "windows-1252", "cp1252", "x-unknown", "unknown", "unknown-8bit", "x-user-defined",
     "default", "us"}
)
_UTF8_NAMES = frozenset({"utf-8", "utf_8", "u8", "utf"})

_ENCODED_WORD_RE = re.compile(r"=\?([^?\s]{1,40})\?([QqBb])\?([^?\n]*?)\?=")
_BETWEEN_WORDS_RE = re.compile(r"[ \t\r\n]*")
_FOLD_RE = re.compile(r"\r?\n(?=[ \t])")


def charset_codec(label: str | None) -> str | None:
    """The Python codec name for a MIME charset label, or None when unknown.

    Strips quotes, language suffixes (RFC 2231 ``utf-8*fr``) and case; maps the common
    misspellings (``uft-8``) and Microsoft names.
    """
    if not label:
        return None
    name = label.strip().strip("\"'").split("*", 1)[0].lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return None


def decode_bytes(data: bytes, label: str | None = None) -> str:
    """Decode ``data`` labelled with charset ``label`` (may be missing, wrong or unknown).

    - UTF-8 labels: UTF-8, any invalid byte read as windows-1252 (a stray accented byte
      typed in another program must not ruin the rest).
    - Western or unknown labels (``iso-8859-1``, ``us-ascii``, ``x-inconnu``, none):
      UTF-8 when the bytes are valid UTF-8 (clients often lie), else windows-1252.
    - Any other known codec: that codec, undecodable bytes replaced by U+FFFD.
    Never raises.
    """
    if data.isascii():
        return data.decode("ascii")
    raw_label = (label or "").strip().strip("\"'").lower()
    codec = charset_codec(raw_label)
    if codec in ("utf-8",) or raw_label in _UTF8_NAMES:
        return _utf8_with_fallback(data)
    if codec is None or raw_label in _WESTERN_LABELS or codec in ("ascii", "latin-1", "cp1252"):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return _cp1252(data)
    try:
        return data.decode(codec, errors="replace")
    except (LookupError, ValueError, TypeError):  # codecs that refuse "replace" or bytes
        return _cp1252(data)


def _utf8_with_fallback(data: bytes) -> str:
    text = data.decode("utf-8", errors="surrogateescape")
    if not any("\udc80" <= char <= "\udcff" for char in text):
        return text
    return "".join(
        _cp1252(bytes([ord(char) - 0xDC00])) if "\udc80" <= char <= "\udcff" else char
        for char in text
    )


def _cp1252(data: bytes) -> str:
    # Five bytes are undefined in windows-1252; WHATWG maps them to C1 controls, which
    # would be dropped from the output anyway.
    return data.decode("cp1252", errors="ignore")


_LINE_BREAK_RE = re.compile(r"[\r\n]")


def header_text(value: str | None, *, first_line: bool = False) -> str:
    """Decode one raw header value as :mod:`email` (compat32) hands it over: unfolded,
    raw 8-bit bytes (kept as surrogates) read as UTF-8 or windows-1252, RFC 2047 encoded
    words decoded, adjacent words of one charset joined *before* decoding (a character
    may be split across two words), bad base64 repaired or left as written.
    Returns a single-line ``str`` without control characters; ``first_line``: only what
    comes before a line break an encoded word hid (for the Subject: « tricot\r\nBcc: … »
    reads « tricot »; a display name with one is refused whole by its own reader).
    """
    if not value:
        return ""
    if not isinstance(value, str):  # an email.header.Header: take its raw form back
        value = str(value)
    value = _FOLD_RE.sub("", value)
    if not value.isascii():
        # Raw 8-bit header (RFC 6532 says UTF-8; old clients send their local charset).
        value = _utf8_with_fallback(value.encode("utf-8", errors="surrogateescape"))
    if "=?" in value:
        value = _decode_words(value)
        if first_line:
            # Unfolded, a value has no line break left but one an encoded word hid: what
            # follows it would read as another header, not this one's.
            value = _LINE_BREAK_RE.split(value, maxsplit=1)[0]
    return clean_line(value)


def _decode_words(value: str) -> str:
    # Segments: (literal text, None) or (bytes, charset) for each encoded word.
    segments: list[tuple[str | bytes, str | None]] = []
    position = 0
    for match in _ENCODED_WORD_RE.finditer(value):
        segments.append((value[position : match.start()], None))
        data = _word_bytes(match.group(2).upper(), match.group(3))
        if data is None:  # unreadable word: keep it as written
            segments.append((match.group(0), None))
        else:
            segments.append((data, match.group(1).split("*", 1)[0].lower()))
        position = match.end()
    segments.append((value[position:], None))

    out: list[str] = []
    pending: list[bytes] = []
    pending_charset: str | None = None
    for index, (piece, charset) in enumerate(segments):
        if charset is None:
            between_words = (
                0 < index < len(segments) - 1
                and segments[index - 1][1] is not None
                and segments[index + 1][1] is not None
            )
            # Whitespace between two encoded words is not part of the text (RFC 2047 6.2).
            if between_words and not piece.strip():
                continue
        if pending and charset != pending_charset:
            out.append(decode_bytes(b"".join(pending), pending_charset))
            pending, pending_charset = [], None
        if charset is None:
            out.append(piece)
        else:
            pending.append(piece)
            pending_charset = charset
    if pending:
        out.append(decode_bytes(b"".join(pending), pending_charset))
    return "".join(out)


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    try:
        if encoding == "Q":
            return binascii.a2b_qp(payload.replace("_", " ").encode("ascii", "replace"))
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
        if not cleaned and payload:
            return None
        cleaned = cleaned[: len(cleaned) - len(cleaned) % 4] if len(cleaned) % 4 == 1 else cleaned
        return binascii.a2b_base64(cleaned + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError):
        return None


MAX_ADDRESS_HEADER = 4000
"""Characters of one address header that are parsed; a longer one is ``unreadable``
(RFC 5322 lines are at most 998 octets; a real From is far shorter, and the email
package's address parser is not linear on every input)."""

ADDRESS_PROBLEMS = ("missing", "unreadable", "several", "group")
"""Why an address header gives no single mailbox (:attr:`MailboxRead.problem`):
``missing`` — no such header, or a blank one; ``unreadable`` — RFC 5322's grammar (as the
:mod:`email` package reads it) does not give a clean mailbox, or the address is not a
valid (internationalised) address; ``several`` — two mailboxes or more, or the header
itself appears twice; ``group`` — RFC 5322 group syntax (``Undisclosed:;``,
``Team: a@x, b@y;``), which never names one person."""

# Defects of the email package's parser that leave the address unambiguous: the
# obsolete syntax of RFC 5322 §4 (``John Q. Public``, a stray comma, ``<@route:a@b>``)
# and UTF-8 in the local part (RFC 6532). Encoded words are never decoded by that
# parser here (see read_mailbox), so their defects cannot occur.
_HARMLESS_DEFECTS = (
    email.errors.ObsoleteHeaderDefect,
    email.errors.NonASCIILocalPartDefect,
)
_ADDRESS_AS_NAME_RE = re.compile(r'^\s*"?([^\s"<>@]+@[^\s"<>@]+)"?\s*<([^\s"<>@]+@[^\s"<>@]+)>\s*$')
# The class the email package builds for an address header (HeaderRegistry makes a new
# class at every lookup, 40 µs: made once here).
_ADDRESS_HEADER = HeaderRegistry()["from"]
# A domain as written must be its own normal form up to case and NFC: UTS 46 maps
# full-width letters and ideographic dots to ASCII, so that "ｒeseau.test" would become
# the network's own "reseau.test" while the mail server checked another name.
_IDNA_OPTIONS = dict(check_deliverability=False, allow_smtputf8=True, allow_quoted_local=True,
                     allow_domain_literal=True, globally_deliverable=False, test_environment=True)


@dataclass(frozen=True)
class MailboxRead:
    """What one address header (``From``, ``Sender``, ``Reply-To``) says about who it
    names: exactly one mailbox, or why not.

    ``address``: the mailbox's address in canonical form (:func:`normal_address`), or
    None; ``name``: its display name, decoded (RFC 2047), or None — never read as an
    address; ``problem``: None when ``address`` is set, else one of
    :data:`ADDRESS_PROBLEMS`.
    """

    address: str | None = None
    name: str | None = None
    problem: str | None = "missing"


def normal_address(address: str | None) -> str | None:
    """The canonical form of an addr-spec, used as a person's identity everywhere, or
    None when ``address`` is not a valid address.

    - ASCII addresses: lower-cased (local parts are case-sensitive in RFC 5321 §2.4, but
      no provider people use treats them so, and the robot must not see two members).
    - Internationalised ones (RFC 6531/6532: UTF-8 local part, IDN domain, or an
      ``xn--`` A-label): checked and normalised by ``email-validator`` (IDNA 2008 with
      UTS 46, local part NFC); lower-cased; the domain kept as its U-label
      (``jörg@bücher.example``, also for ``jörg@xn--bcher-kva.example``), so that one
      mailbox has one spelling. :func:`workflows.mail.rfc5322.transport_address` gives
      the A-label form for the wire.
    - Refused (None): no ``@``, an empty side, an encoded or invisible character that
      email-validator refuses (U+200B…), a non-ASCII domain that is not already its own
      UTS 46 form (full-width letters that map to ASCII: a homograph of another domain).
    Never raises.
    """
    if not address:
        return None
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return None
    lowered = address.lower()
    if lowered.isascii() and "xn--" not in domain.lower():
        return lowered
    import email_validator  # loaded on first use: few addresses are internationalised

    try:
        valid = email_validator.validate_email(unicodedata.normalize("NFC", lowered), **_IDNA_OPTIONS)
    except (email_validator.EmailNotValidError, ValueError, UnicodeError):
        return None
    written = unicodedata.normalize("NFC", domain.lower())
    if not written.isascii() and written != valid.domain:
        return None
    return unicodedata.normalize("NFC", f"{valid.local_part.lower()}@{valid.domain}")


def read_mailbox(value: str | None) -> MailboxRead:
    """The single mailbox of one *raw* address header value (as :mod:`email`'s compat32
    hands it over: folded, 8-bit bytes as surrogates), read as RFC 5322 §3.4 reads it.

    The structure is parsed by the :mod:`email` package's RFC 5322 parser
    (:class:`email.headerregistry.HeaderRegistry`, the one of ``policy.default``; Python
    3.11.7 has no ``getaddresses(strict=True)``), before any encoded word is decoded
    (RFC 2047 §6.1). So ``"anim1@reseau.test"@evil.test`` is the mailbox at evil.test
    whose local part is quoted, ``"anim1@reseau.test" <x@evil.test>`` is x@evil.test
    named "anim1@reseau.test", and ``alice@example.org <bob@evil.test>`` is unreadable
    (a phrase cannot hold ``@``). An encoded word inside the address itself
    (``anim1@=?utf-8?q?reseau.test?=``, forbidden by RFC 2047 §5) makes it unreadable:
    the email package would decode it, the mail server did not.

    Returns a :class:`MailboxRead`; never raises and never guesses: anything but one
    clean mailbox gives ``address=None`` and the reason.
    """
    if value is None or not str(value).strip():
        return MailboxRead()
    value = _FOLD_RE.sub("", str(value))
    if len(value) > MAX_ADDRESS_HEADER or "\r" in value or "\n" in value:
        return MailboxRead(problem="unreadable")
    if not value.isascii():
        value = _utf8_with_fallback(value.encode("utf-8", errors="surrogateescape"))
    same = _ADDRESS_AS_NAME_RE.match(value)
    if same and same.group(1).lower() == same.group(2).lower():
        # "x@y <x@y>": invalid (a phrase holds no "@"), but some mailers write it, and
        # both readings name the same mailbox: read the bracketed one.
        value = f"<{same.group(2)}>"
    # The structure is read with every encoded word made plain text ("=?" -> "=_"):
    # encoded words are display-name text only (RFC 2047 §5), so they must neither
    # change the structure nor be decoded into the address, which the email package
    # would otherwise do (``anim1@=?utf-8?q?reseau.test?=`` -> anim1@reseau.test).
    encoded = "=?" in value
    found = _strict_mailbox(value.replace("=?", "=_") if encoded else value)
    if isinstance(found, str):
        return MailboxRead(problem=found)
    if encoded and "=_" in found.addr_spec:
        return MailboxRead(problem="unreadable")
    address = normal_address(found.addr_spec) if found.username and found.domain else None
    if address is None:
        return MailboxRead(problem="unreadable")
    return MailboxRead(address=address, name=_display_name(value, found.addr_spec, encoded, found.display_name),
                       problem=None)


def _strict_mailbox(value: str):
    """The one :class:`email.headerregistry.Address` of ``value``, or the problem."""
    try:
        parsed = _ADDRESS_HEADER("From", value)
        groups = parsed.groups
        defects = parsed.defects
    except Exception:  # the parser raises on some inputs (a decoded CR/LF in a name, say)
        return "unreadable"
    if any(not isinstance(defect, _HARMLESS_DEFECTS) for defect in defects):
        return "unreadable"
    if any(group.display_name is not None for group in groups):
        return "group"
    mailboxes = [address for group in groups for address in group.addresses]
    if not mailboxes:
        return "unreadable"
    if len(mailboxes) > 1:
        return "several"
    return mailboxes[0]


def _display_name(value: str, addr_spec: str, encoded: bool, plain_name: str) -> str | None:
    """The display name. Without encoded words, as the strict parser read it (quotes and
    escapes undone). With them, decoded by :func:`header_text` (the robust decoder: bad
    charsets, words split inside a character, whitespace between words dropped as RFC
    2047 §6.2 says) from the phrase the lenient parser finds, when it finds the same
    single address; else None. A name holding an ``@`` is no name (an address written
    as a name, or a trick): None."""
    name = plain_name
    if encoded:
        name = None
        try:
            pairs = email.utils.getaddresses([value])
        except Exception:
            pairs = []
        if len(pairs) == 1 and pairs[0][1].strip().lower() == addr_spec.lower():
            name = header_text(pairs[0][0])
    name = clean_line(name) if name else None
    if not name or "@" in name or "\uff20" in name:
        return None
    return name


def first_address(value: str | None) -> tuple[str | None, str | None]:
    """``(display name, address)`` of :func:`read_mailbox` (kept for its callers; the
    name is historical: a header with several mailboxes gives ``(None, None)`` now,
    never its first one)."""
    read = read_mailbox(value)
    return read.name, read.address


TRANSIT_FIELDS = frozenset({
    "received", "return-path", "delivered-to", "x-original-to", "envelope-to",
    "authentication-results", "received-spf", "dkim-signature", "domainkey-signature",
    "arc-seal", "arc-message-signature", "arc-authentication-results",
})
"""Header fields that servers add or change on the way (RFC 5321 §4.4 trace fields,
RFC 8601, RFC 6376 and RFC 8617 fields): not part of a message's content. Every
``X-…`` field (spam scores, a provider's own stamps) and every ``Resent-…`` field (RFC
5322 §3.6.6: a re-sending of the same message) are left out too."""

_HEADER_END_RE = re.compile(rb"\r?\n\r?\n")
_LINE_END_RE = re.compile(rb"\r\n|\r|\n")


def content_digest(raw: bytes) -> str:
    """``sha256:<hex>`` of what a message says, the same for the same message however it
    travelled: the header fields of :data:`TRANSIT_FIELDS`, ``X-…`` and ``Resent-…``
    left out, the others in their order with names lower-cased and values unfolded with
    runs of whitespace made one space (as DKIM's relaxed canonicalisation, RFC 6376
    §3.4.2), an mbox ``From `` line dropped, line ends made CRLF and trailing empty
    lines of the body dropped (§3.4.4).

    Two deliveries of one message (a retry, a second route, the same file fetched
    twice) give one digest; a different message that reuses a Message-ID (web forms and
    some clients do) gives another. Any bytes are accepted; never raises.
    """
    found = _HEADER_END_RE.search(raw)
    head, body = (raw[: found.start()], raw[found.end():]) if found else (raw, b"")
    fields: list[bytes] = []
    for line in _LINE_END_RE.split(head):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b" " + line.strip()
        elif line.startswith(b"From ") and not fields:
            continue  # the mbox separator written by the local delivery
        else:
            fields.append(line)
    digest = hashlib.sha256()
    for field in fields:
        name, colon, value = field.partition(b":")
        name = name.strip().lower()
        if not colon or name in _TRANSIT_NAMES or name.startswith((b"x-", b"resent-")):
            continue
        digest.update(name + b":" + b" ".join(value.split()) + b"\r\n")
    digest.update(b"\r\n")
    digest.update(_LINE_END_RE.sub(b"\r\n", body).rstrip(b"\r\n"))
    return f"sha256:{digest.hexdigest()}"


_TRANSIT_NAMES = frozenset(name.encode("ascii") for name in TRANSIT_FIELDS)


_FRENCH_MONTHS = {
    "janvier": "Jan", "janv": "Jan", "jan": "Jan",
    "fevrier": "Feb", "fevr": "Feb", "fev": "Feb",
    "mars": "Mar", "avril": "Apr", "avr": "Apr", "mai": "May", "juin": "Jun",
    "juillet": "Jul", "juil": "Jul",
    "aout": "Aug", "septembre": "Sep", "sept": "Sep", "octobre": "Oct", "oct": "Oct",
    "novembre": "Nov", "nov": "Nov", "decembre": "Dec", "dec": "Dec",
}
_FRENCH_MONTH_RE = re.compile(r"\b(" + "|".join(sorted(_FRENCH_MONTHS, key=len, reverse=True)) + r")\.?(?=[\s\d,]|$)")
_WEEKDAY_RE = re.compile(
    r"^\s*(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lun|mar|mer|jeu|ven|sam|dim"
    r"|mon|tue|wed|thu|fri|sat|sun)\w*\.?,?\s*", re.IGNORECASE
)


def parse_date(value: str | None, zone: str = "Europe/Paris") -> datetime | None:
    """The ``Date:`` header as an aware datetime, or None when missing or unreadable.

    Reads RFC 5322 dates and the French forms some clients write (``lun., 23 nov. 2026
    09:41:07 +0100``, ``Lundi 23 novembre 2026 09:41``); a date without a zone is taken
    in ``zone`` (an IANA name), ``-0000`` as UTC (RFC 5322 3.3).
    """
    if not value:
        return None
    text = fold(value)
    text = _WEEKDAY_RE.sub("", text)
    text = _FRENCH_MONTH_RE.sub(lambda m: _FRENCH_MONTHS[m.group(1)], text)
    text = re.sub(r"\b(\d{1,2})h(\d{2})\b", r"\1:\2", text)
    text = re.sub(r"\ba\s+(?=\d)", "", text)  # "23 nov. 2026 à 09:41"
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        parsed = _numeric_date(text)
    if parsed is None or not 1970 <= parsed.year <= 2200:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=network_zone(zone)) if "-0000" not in text else parsed.replace(tzinfo=timezone.utc)
    return parsed


_NUMERIC_DATE_RE = re.compile(
    r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})\b(?:\D{1,4}(\d{1,2})[:h](\d{2}))?"
)


def _numeric_date(text: str) -> datetime | None:
    match = _NUMERIC_DATE_RE.search(text)
    if not match:
        return None
    day, month, year, hour, minute = match.groups()
    year_number = int(year) + (2000 if len(year) == 2 else 0)
    try:
        return datetime(year_number, int(month), int(day), int(hour or 0), int(minute or 0))
    except ValueError:
        return None


def network_zone(name: str | None) -> timezone | ZoneInfo:
    """``ZoneInfo(name)``, falling back to Europe/Paris then UTC when unknown."""
    for candidate in (name, "Europe/Paris"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return timezone.utc


_QUOTE_PREFIX_RE = re.compile(r"^(?:> ?)*>")


def unflow(text: str, delsp: bool = False) -> str:
    """Undo RFC 3676 format=flowed: join soft-broken lines (ending with a space) with the
    next line of the same quote depth, remove space-stuffing; the ``-- `` signature
    separator stays a line of its own. Quoted lines come back as ``> `` * depth + text."""
    out: list[str] = []
    current: str | None = None
    current_depth = 0
    for line in text.split("\n"):
        line = line.rstrip("\r")
        prefix = _QUOTE_PREFIX_RE.match(line)
        depth = prefix.group(0).count(">") if prefix else 0
        body = line[prefix.end():] if prefix else line
        if body.startswith(" "):
            body = body[1:]
        if current is not None and depth != current_depth:
            out.append(_with_depth(current, current_depth))
            current = None
        soft = body.endswith(" ") and body != "-- "
        if soft and delsp:
            body = body[:-1]
        current = body if current is None else current + body
        current_depth = depth
        if not soft:
            out.append(_with_depth(current, depth))
            current = None
    if current is not None:
        out.append(_with_depth(current, current_depth))
    return "\n".join(out)


def _with_depth(text: str, depth: int) -> str:
    return ("> " * depth) + text if depth else text


MAX_TEXT = 400_000
"""Characters of one text part that the parser reads; the rest is not looked at."""


def part_text(part: Message) -> str:
    """The decoded text of one leaf part: transfer encoding undone by :mod:`email`
    (lenient base64 and quoted-printable), charset read by :func:`decode_bytes`,
    format=flowed undone, line ends made ``\\n``. Never raises."""
    try:
        data = part.get_payload(decode=True)
    except Exception:  # a payload email cannot undo: read it as written
        data = None
    if data is None:
        payload = part.get_payload()
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    text = decode_bytes(data[: MAX_TEXT * 2], _param(part, "charset"))[:MAX_TEXT]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if (_param(part, "format") or "").lower() == "flowed" and part.get_content_type() == "text/plain":
        text = unflow(text, (_param(part, "delsp") or "").lower() == "yes")
    return text


def _param(part: Message, name: str) -> str | None:
    try:
        value = part.get_param(name)
    except Exception:
        return None
    if isinstance(value, tuple):  # RFC 2231 (charset, language, value)
        value = value[2]
    return str(value) if value is not None else None


def is_attachment(part: Message) -> bool:
    """True for a part the sender attached rather than wrote (RFC 2183)."""
    disposition = (part.get("Content-Disposition") or "").split(";", 1)[0].strip().lower()
    return disposition == "attachment"


class Bodies:
    """The parts of one message that the parser reads, found by :func:`collect_bodies`.

    ``plain``/``html``: the written text parts, in order; ``calendars``: ``(bytes,
    method parameter)`` of each ``text/calendar`` part or ``.ics`` attachment;
    ``attached``: forwarded messages (``message/rfc822``); ``report_type``: the
    ``report-type`` of a top-level ``multipart/report`` (RFC 6522), lower-cased;
    ``dispositions``: the ``Disposition`` of each ``message/disposition-notification``
    part (RFC 8098), lower-cased; ``json``: the text of each ``application/json`` part;
    ``signatures``: the text of each signature part (``…-signature`` type or a ``.sig``
    file), for the robot-to-robot messages of linked networks.
    """

    __slots__ = ("plain", "html", "calendars", "attached", "report_type", "dispositions", "json", "signatures")

    def __init__(self) -> None:
        self.plain: list[str] = []
        self.html: list[str] = []
        self.calendars: list[tuple[bytes, str]] = []
        self.attached: list[Message] = []
        self.report_type: str = ""
        self.dispositions: list[str] = []
        self.json: list[str] = []
        self.signatures: list[str] = []


_MAX_PARTS = 300


def collect_bodies(message: Message) -> Bodies:
    """Walk ``message`` (without entering attached messages) and sort its leaf parts
    into a :class:`Bodies`. Depth and part count are bounded; never raises."""
    bodies = Bodies()
    if message.get_content_type() == "multipart/report":
        bodies.report_type = (_param(message, "report-type") or "").lower()
    stack: list[tuple[Message, int]] = [(message, 0)]
    seen = 0
    while stack and seen < _MAX_PARTS:
        part, depth = stack.pop()
        seen += 1
        content_type = part.get_content_type()
        payload = part.get_payload()
        if content_type == "message/disposition-notification":
            bodies.dispositions.append(_disposition(payload))
            continue
        if content_type == "message/rfc822" or (part.get_content_maintype() == "message" and isinstance(payload, list)):
            if isinstance(payload, list):
                bodies.attached.extend(p for p in payload if isinstance(p, Message))
            continue
        if part.is_multipart():
            if depth < 30 and isinstance(payload, list):
                stack.extend((child, depth + 1) for child in reversed(payload) if isinstance(child, Message))
            continue
        filename = ""
        try:
            filename = (part.get_filename() or "").lower()
        except Exception:
            pass
        if content_type == "text/calendar" or filename.endswith(".ics") or content_type == "application/ics":
            try:
                data = part.get_payload(decode=True) or b""
            except Exception:
                data = b""
            bodies.calendars.append((data, (_param(part, "method") or "")))
            continue
        if content_type == "application/json" or filename.endswith(".json"):
            bodies.json.append(part_text(part))
            continue
        if content_type.endswith("-signature") or content_type == "application/signature" or filename.endswith(".sig"):
            bodies.signatures.append(part_text(part).strip())
            continue
        if _is_message_file(part, content_type, filename):
            attached = _as_message(part)
            if attached is not None:
                bodies.attached.append(attached)
                continue
        if is_attachment(part) or (filename and content_type not in ("text/plain", "text/html")):
            continue
        if content_type == "text/plain":
            bodies.plain.append(part_text(part))
        elif content_type == "text/html":
            bodies.html.append(part_text(part))
    return bodies


_GENERIC_TYPES = frozenset({"application/octet-stream", "application/x-unknown", "application/unknown",
                            "application/eml", "application/x-eml", "text/x-eml", "message/x-eml"})
"""Types a client gives an attached original message when it does not say ``message/rfc822``."""
_MESSAGE_HEAD_RE = re.compile(rb"\A(?:[\x21-\x39\x3b-\x7e]{1,76}[ \t]*:[^\n]*\n(?:[ \t][^\n]*\n)*){2,}?\r?\n",
                              re.MULTILINE)
_MAX_ATTACHED = 2_000_000
"""Bytes of an attached file read as a message (a forwarded mail is far smaller)."""


def _is_message_file(part: Message, content_type: str, filename: str) -> bool:
    """True for an attached original message that is not typed ``message/rfc822``: an
    ``.eml`` file of any type, or a generic type (``application/octet-stream``) whose
    bytes start with a mail header block holding a ``From`` and a ``Date`` or
    ``Subject`` (clients that attach the original mail as a file)."""
    if filename.endswith(".eml"):
        return True
    return content_type in _GENERIC_TYPES and not filename[-4:] in (".pdf", ".doc", ".jpg", ".png", ".zip")


def _as_message(part: Message) -> Message | None:
    """The message an attached file holds, its 8-bit bodies kept as bytes (each part's
    charset is read by :func:`part_text`), or None when its bytes do not start with a
    mail header block naming a sender."""
    try:
        data = part.get_payload(decode=True)
    except Exception:
        return None
    if not isinstance(data, bytes) or not data or len(data) > _MAX_ATTACHED:
        return None
    head = data.lstrip(b"\r\n\t \xef\xbb\xbf").replace(b"\r\n", b"\n")
    block = _MESSAGE_HEAD_RE.match(head)
    if block is None:
        return None
    names = {line.split(b":", 1)[0].strip().lower() for line in block.group(0).split(b"\n") if b":" in line[:78]}
    if b"from" not in names or not names & {b"date", b"subject"}:
        return None
    try:
        return email.message_from_bytes(head)
    except Exception:
        return None


def _disposition(payload: object) -> str:
    """The ``Disposition`` field of a ``message/disposition-notification`` part, which
    :mod:`email` hands over as a list of one header-only message (or as text)."""
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        value = payload[0].get("Disposition") or ""
    else:
        match = re.search(r"(?im)^disposition\s*:\s*(.+)$", payload if isinstance(payload, str) else "")
        value = match.group(1) if match else ""
    return clean_line(str(value)).lower()


def read_message(raw: bytes) -> Message:
    """Parse ``raw`` with :mod:`email` (compat32 policy: lenient and fast; headers are
    decoded by :func:`header_text`). Raises only what :mod:`email` raises."""
    return email.message_from_bytes(raw)


def header(message: Message, name: str) -> str:
    """The first ``name`` header of ``message``, decoded by :func:`header_text`, or ``""``."""
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return header_text(value)
    return ""


def header_all(message: Message, name: str) -> list[str]:
    """Every ``name`` header of ``message``, decoded, in order."""
    lowered = name.lower()
    return [header_text(value) for key, value in message.raw_items() if key.lower() == lowered]


__all__ = [
    "ADDRESS_PROBLEMS", "Bodies", "MAX_ADDRESS_HEADER", "MAX_TEXT", "MailboxRead", "charset_codec",
    "TRANSIT_FIELDS", "collect_bodies", "content_digest", "decode_bytes", "first_address", "header", "header_all", "header_text",
    "is_attachment", "network_zone", "normal_address", "parse_date", "part_text", "read_mailbox",
    "read_message", "unflow",
]
