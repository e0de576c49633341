"""What of a person can be found in a text: their address, whole name, former names and
phones, in any case, accents aside, spaced or split — and the text with them replaced by
:data:`ERASED`. Pure text work for the erasure (:mod:`workflows.steps.erasure`).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from email import message_from_bytes, message_from_string, policy
from email.message import Message
from functools import cached_property, lru_cache

from unidecode import unidecode

ERASED = "[effacé]"


_SEPARATORS = r"[\s.\-/]*"


_MIN_NAME = 4
"""A shorter name ("Al") would be found inside unrelated words: it is only erased where a
whole value equals it."""


_MIN_WORD = 3
"""Words of the name shorter than this ("Al", "de", "Lé") are never erased alone."""


_WORD = frozenset("0123456789abcdefghijklmnopqrstuvwxyz")


_AFTER = r"(?![0-9a-z])"
"""Word boundaries in folded text (lower-case ASCII letters and digits make words); the
one before a match is checked by :func:`_folded_sub` (a lookbehind at the start of a
pattern makes the search four times slower)."""


_FOLDED: dict[int, str] = {}
"""Non-ASCII character -> its folded form, filled as characters are met (for
:meth:`str.translate`, which folds a text at C speed)."""


def _fold(text: str) -> str:
    """``text`` lower-cased and transliterated (unidecode: « Pâço » -> « paco », « œ » ->
    « oe »)."""
    return text.lower() if text.isascii() else _fold_unicode(text)


@lru_cache(maxsize=16384)
def _fold_unicode(text: str) -> str:
    # Cached: erasing 300 expired joins at once scans the same texts 300 times.
    for char in set(text):
        if ord(char) >= 128 and ord(char) not in _FOLDED:
            _FOLDED[ord(char)] = unidecode(char).lower()
    return text.translate(_FOLDED).lower()


def _owners(text: str) -> list[int]:
    """For each character of ``_fold(text)``, the index of the character of ``text`` it
    comes from."""
    owners: list[int] = []
    for index, char in enumerate(text):
        owners.extend([index] * len(_fold(char)))
    return owners


def _folded_sub(pattern: re.Pattern[str], text: str) -> str:
    """``text`` with every match of ``pattern`` in its folded form (:func:`_fold`)
    replaced by :data:`ERASED`; a match that starts or ends inside one character's
    transliteration (the « o » of « œ ») is left alone."""
    folded = _fold(text)
    matches = [match.span() for match in pattern.finditer(folded)
               if match.start() == 0 or folded[match.start() - 1] not in _WORD]
    if not matches:
        return text
    if text.isascii():
        spans = matches
    else:
        owners, spans = _owners(text), []
        for start, end in matches:
            if (start > 0 and owners[start - 1] == owners[start]) or (end < len(owners) and owners[end] == owners[end - 1]):
                continue
            first, last = owners[start], owners[end - 1] + 1
            while last < len(text) and unicodedata.combining(text[last]):
                last += 1  # an accent written apart (NFD) belongs to the erased letter
            spans.append((first, last))
    for start, end in reversed(spans):
        text = text[:start] + ERASED + text[end:]
    return text


@dataclass(frozen=True)
class Traces:
    """What identifies a person in free text: address, name, phone (any of them None)."""

    address: str | None
    name: str | None
    phone: str | None

    @classmethod
    def of(cls, member: dict) -> "Traces":
        return cls(member.get("address") or None, (member.get("name") or "").strip() or None,
                   member.get("phone") or None)

    @classmethod
    def all_of(cls, member: dict) -> list["Traces"]:
        """The member's traces now, then those of each name and phone an animator replaced
        (``former``, see :func:`workflows.steps.membership.set_member_fields`) and of each
        address they moved away from: older texts may still hold them."""
        return [cls.of(member), *(cls(f.get("address") or None, (f.get("name") or "").strip() or None,
                                      f.get("phone") or None) for f in member.get("former") or ())]

    @cached_property
    def _patterns(self) -> list[re.Pattern[str]]:
        """Matched in the text as written: the address, the phone number."""
        patterns = []
        if self.address:
            patterns.append(re.compile(re.escape(self.address), re.IGNORECASE))
        digits = re.sub(r"\D", "", self.phone or "")
        if len(digits) >= 6:
            forms = [digits]
            if (self.phone or "").startswith("+33"):
                forms.append("0" + digits[2:])
            alternatives = "|".join(_SEPARATORS.join(form) for form in forms)
            patterns.append(re.compile(rf"(?<!\d)(?:\+|00)?(?:{alternatives})(?!\d)"))
        return patterns

    @cached_property
    def _folded_name(self) -> str:
        return " ".join(_fold(self.name or "").split())

    @cached_property
    def _name_pattern(self) -> re.Pattern[str] | None:
        """The whole name, matched in folded text (accents and case aside)."""
        if not self.name or len(self.name) < _MIN_NAME or not self._folded_name:
            return None
        return re.compile(r"\s+".join(map(re.escape, self._folded_name.split())) + _AFTER)

    @cached_property
    def _words_pattern(self) -> re.Pattern[str] | None:
        """Each word of the name of at least :data:`_MIN_WORD` letters, matched whole in
        folded text."""
        words = sorted({w for w in re.findall(r"[0-9a-z]+", self._folded_name) if len(w) >= _MIN_WORD},
                       key=lambda w: (-len(w), w))
        return re.compile("(?:" + "|".join(words) + ")" + _AFTER) if words else None

    def redact(self, text: str, *, words: bool = False) -> str:
        """``text`` with every trace replaced by :data:`ERASED`: the address, the phone
        number in any spelling, the whole name (accents and case aside); with ``words``,
        also each word of the name of three letters or more on its own (« Paco n'a jamais
        répondu »: for what was written about this very person, where a first name alone
        names them)."""
        for pattern in self._patterns:
            text = pattern.sub(ERASED, text)
        for pattern in (self._name_pattern, self._words_pattern if words else None):
            if pattern is not None:
                text = _folded_sub(pattern, text)
        if (self._folded_name and len(text) <= 2 * len(self._folded_name) + 16
                and " ".join(_fold(text).split()) == self._folded_name):
            text = ERASED
        return text

    def found_in(self, text: str, *, words: bool = False) -> bool:
        return self.redact(text, words=words) != text

    def in_mail(self, raw: str, *, words: bool = False) -> bool:
        """True when a stored mail (its raw text) names the person anywhere: headers,
        any text part once decoded, attached messages (forwards to the animators)."""
        if self.found_in(raw, words=words):
            return True
        try:
            return any(self.found_in(text, words=words)
                       for text in _mail_texts(message_from_string(raw, policy=policy.default)))
        except RecursionError:
            # An attached message nested too deep to read (a forward of a poison message):
            # what cannot be read may name the person, so it counts as naming them.
            return True

    def scrub(self, value, *, words: bool = False):
        """``value`` (JSON-like) with every string redacted, keys included."""
        if isinstance(value, str):
            return self.redact(value, words=words)
        if isinstance(value, list):
            return [self.scrub(v, words=words) for v in value]
        if isinstance(value, dict):
            return {self.scrub(k, words=words): self.scrub(v, words=words) for k, v in value.items()}
        return value


def _mail_texts(msg: Message, depth: int = 0):
    """The decoded headers and texts of a message, of the messages attached to it
    (``message/rfc822``, which :meth:`Message.walk` enters) and of the raw ``.eml``
    attachments of forwards to the animators (8-bit originals travel base64-encoded)."""
    for part in msg.walk():
        yield from (str(value) for value in part.values())
        if part.is_multipart():
            continue
        try:
            if part.get_content_maintype() == "text":
                yield part.get_content()
            elif depth < 3 and (part.get_filename() or "").endswith(".eml"):
                inner = message_from_bytes(part.get_payload(decode=True) or b"", policy=policy.default)
                yield from _mail_texts(inner, depth + 1)
        except (LookupError, ValueError, TypeError, AttributeError):  # a part in an unknown charset
            yield str(part.get_payload())


# --- a person's own messages, in a mailbox folder (the shell's cleaning after an erasure) ---

PERSON_FIELDS = ("from", "sender", "reply-to", "to", "cc")
"""The header fields that make a received message a person's own: written by them (From,
Sender, Reply-To — a web form's relay puts them there), or to them (To, Cc)."""


def _address_pattern(address: str) -> re.Pattern[str]:
    """``address`` as a whole address in free text, case aside: never inside a longer one
    (``al@x.fr`` is not in ``val@x.fr`` nor in ``al@x.fr.example``)."""
    return re.compile(r"(?<![\w.%+'-])" + re.escape(address) + r"(?![\w-]|\.[\w-])", re.IGNORECASE)


def mail_concerns(raw: bytes, addresses: frozenset[str], *, fields: tuple[str, ...] = PERSON_FIELDS,
                  text: bool = False) -> bool:
    """True when the message ``raw`` (bytes as a mailbox holds them) is one of these
    people's: one of ``addresses`` (canonical form) is a mailbox of one of its header
    ``fields`` once put in canonical form (:func:`workflows.mail.decode.normal_address`:
    case, an A-label domain); with ``text``, also when one is written
    anywhere in it — headers, text parts, attached messages (a forward to the animators
    of the person's own message) — as a whole address, in the canonical or any other form
    given in ``addresses``. Never raises: a message that cannot be read is not theirs."""
    from email.parser import HeaderParser
    from email.utils import getaddresses

    from workflows.mail.decode import normal_address

    decoded = raw.decode("utf-8", "replace")
    try:
        headers = HeaderParser().parsestr(decoded, headersonly=True)
        found = getaddresses([str(value) for name in fields for value in headers.get_all(name, [])])
    except (TypeError, ValueError, IndexError, AttributeError):
        found = []
    if any(normal_address(address) in addresses for _, address in found if address):
        return True
    if not text:
        return False
    patterns = [_address_pattern(address) for address in addresses]
    if any(p.search(decoded) for p in patterns):
        return True
    try:
        return any(p.search(part) for part in _mail_texts(message_from_string(decoded, policy=policy.default))
                   for p in patterns)
    except RecursionError:
        return False


_MESSAGE_ID = re.compile(r"<[^<>\s]{1,400}>")


def message_id_of(raw: bytes) -> str | None:
    """The Message-ID of the message ``raw`` as the parser reads it (the first ``<…>`` of
    its Message-ID field), or None."""
    from email.parser import HeaderParser

    try:
        value = HeaderParser().parsestr(raw.decode("utf-8", "replace"), headersonly=True).get("Message-ID")
    except (TypeError, ValueError, IndexError, AttributeError):
        return None
    found = _MESSAGE_ID.search(str(value or ""))
    return found.group(0) if found else None
