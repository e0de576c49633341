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
import email
import email.utils
import re
from datetime import datetime, timezone
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


def header_text(value: str | None) -> str:
    """Decode one raw header value as :mod:`email` (compat32) hands it over: unfolded,
    raw 8-bit bytes (kept as surrogates) read as UTF-8 or windows-1252, RFC 2047 encoded
    words decoded, adjacent words of one charset joined *before* decoding (a character
    may be split across two words), bad base64 repaired or left as written.
    Returns a single-line ``str`` without control characters.
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


def first_address(value: str | None) -> tuple[str | None, str | None]:
    """``(display name, lower-cased address)`` of the first mailbox in a *raw* header
    value (``From``, ``Reply-To``, ``Sender``: unfolded here), or ``(None, None)``.
    RFC 5322 3.4 via :func:`email.utils.getaddresses`, which also accepts
    ``addr (Comment)`` forms. The structure is read before the encoded words are decoded
    (RFC 2047 §6.1): a display name that decodes to ``<x@example.net>``, or to a line
    break and a header, stays a name and never becomes the address."""
    if not value:
        return None, None
    value = _FOLD_RE.sub("", str(value))
    if not value.isascii():
        value = _utf8_with_fallback(value.encode("utf-8", errors="surrogateescape"))
    try:
        pairs = email.utils.getaddresses([value])
    except Exception:  # getaddresses has raised on odd input in some Python versions
        pairs = []
    for name, address in pairs:
        address = address.strip().strip("<>").lower()
        if address.count("@") == 1 and " " not in address and not address.startswith("@"):
            return (header_text(name) or None), address
    match = re.search(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", value)
    return (None, match.group(0).lower()) if match else (None, None)


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
        if is_attachment(part) or (filename and content_type not in ("text/plain", "text/html")):
            continue
        if content_type == "text/plain":
            bodies.plain.append(part_text(part))
        elif content_type == "text/html":
            bodies.html.append(part_text(part))
    return bodies


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
    "Bodies", "MAX_TEXT", "charset_codec", "collect_bodies", "decode_bytes", "first_address",
    "header", "header_all", "header_text", "is_attachment", "network_zone", "parse_date",
    "part_text", "read_message", "unflow",
]
