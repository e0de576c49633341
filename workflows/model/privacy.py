"""What the mails of an introduction may say about each person: privacy by construction.

protocol.md: "No member's address or phone number is ever sent to another member before
both consented to that introduction." The templates of an introduction never receive a
member or item document; they receive the views built here, and only these:

* :class:`PublicMember` — a first name, nothing else, and never something that looks like
  an address or a number (a display name may be ``marie.dupont@example.org``);
* :class:`PublicItem` — an item's reference, kind, title, availability and place with
  every address and phone number masked (:func:`redact`), and its modality;
* :class:`Disclosure` — the other member's name and chosen contact detail, which only
  :func:`disclose` makes, and only for an introduction both members consented to.

Pure: plain documents in, frozen dataclasses out.
"""
from __future__ import annotations

import re
from typing import Iterable
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from workflows.mail.first_names import PARTICLES, first_name, read_first_name
from workflows.mail.labels import readable_name, readable_phone
from workflows.mail.model import CONTACTS

MASK = "[coordonnées masquées]"

# --- contact details hidden in free text -------------------------------------------------
#
# redact() looks for contact details in a *view* of the text (:class:`_View`): invisible
# characters dropped, letters written one by one joined, number words made digits. Each
# character of a view remembers the span of the text it came from, so a detail found in
# the view is masked in the text as written, and nothing else of the text changes.

# E-mail addresses (RFC 5322 addr-spec as people write it, also to dodge robots).
_LOCAL = r"[\w.+'-]+"
# « vasseur . bruno @ … », « vasseur _ bruno », « vasseur point bruno »: a local part
# whose pieces are spaced apart (only before a loose "at": the first piece is often a
# surname, which must not stay visible beside the mask).
_LOCAL_SPACED = rf"{_LOCAL}(?:\s*[._-]\s*{_LOCAL}|\s+(?i:point|dot)\s+{_LOCAL})*"
_LABEL = r"[\w-]+"
_TLD_ALONE = r"(?:[a-z]{2,6}|[A-Z]{2,6})(?!\w)"  # a top-level domain after a spaced dot
_DOT_WORDY = r"(?:\s*[(\[{<]\s*(?i:dot|point|\.)\s*[)\]}>]\s*|\s+(?i:dot|point)\s+)"
_DOT_SPACED = r"(?:\s+\.\s*|\.\s+)"
_DOMAIN_MORE = rf"(?:\.{_LABEL}|{_DOT_WORDY}{_LABEL}|{_DOT_SPACED}{_TLD_ALONE})"
_AT_LOOSE = (r"(?:\s*[(\[{<]\s*(?:@|(?i:at|a|arobase))\s*[)\]}>]\s*|\s+@\s*|\s*@\s+"
             r"|\s+(?i:at|arobase)\s+)")
# "marie@domaine", "marie@domaine .fr": a bare "@" between words is always contact-like.
_EMAIL_RE = re.compile(rf"{_LOCAL}@{_LABEL}{_DOMAIN_MORE}*")
# "marie @ domaine . fr", "marie [at] domaine [dot] fr", "marie arobase domaine point fr":
# a loose "at" needs a dot after it ("Photo @ la maison", "Cours at home" are titles).
_LOOSE_EMAIL_RE = re.compile(rf"{_LOCAL_SPACED}{_AT_LOOSE}{_LABEL}{_DOMAIN_MORE}+")
# Its "at" alone: a text without one holds no such address. The whole pattern backtracks
# over every word of a text (about 0.1 ms a title, read twice a title, several titles a
# mail), this one does not.
_AT_LOOSE_RE = re.compile(_AT_LOOSE)
# A handle on a social network or a messaging app: "@marie_d".
_HANDLE_RE = re.compile(r"(?<![\w@])@[\w.]{3,}")
# « marie.dupont chez gmail.com », « marie chez orange point fr »: French speakers say
# « chez » for the "@"; only before a domain with a real or spelled dot, so that
# « Atelier chez Marie. Venez » stays a title.
_CHEZ_EMAIL_RE = re.compile(rf"{_LOCAL_SPACED}\s+(?i:chez)\s+{_LABEL}(?:\.{_LABEL}|{_DOT_WORDY}{_LABEL})+")
_CHEZ_RE = re.compile(r"\s(?i:chez)\s")  # its gate, as for the loose "at"
# A handle named by its network, without "@": « insta : marie_dupont75 », « mon pseudo :
# mariecuisine ». The handle alone is masked; after a network's name it must look like
# one (a digit, "_" or ".") — « Instagram : les bases » is a title.
_NAMED_HANDLE_RE = re.compile(
    r"(?i:\b(?:(?P<network>insta(?:gram)?|snap(?:chat)?|facebook|fb|tik\s?tok|t[ée]l[ée]gram|discord|twitter"
    r"|threads|bluesky|mastodon)|(?P<plain>mon\s+(?:pseudo|skype|identifiant)))\b)\s*(?::|=|->|→)\s*"
    r"(?P<handle>\w[\w.-]{2,}\w)")
# Letters written one by one ("m a r i e @ d o m a i n e . f r"): joined in a view.
_SPACED_LETTERS_RE = re.compile(r"(?<!\S)\w(?: \w(?!\S))+")
# Characters that show nothing (Unicode Cf: U+200B, U+2060, U+00AD, U+FEFF, bidi
# controls…) and the few blank letters and joiners outside Cf.
_BLANKS = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180e\u2800\u3164\uffa0")

# Phone numbers: found by libphonenumber's matcher (phonenumbers.PhoneNumberMatcher,
# leniency POSSIBLE, default region FR), which knows national and international forms
# and leaves dates, times and years alone; in a view where "_" is a space and French
# number words are digits (« zéro six 12 34 56 78 »).
_NUMBER_WORDS = {
    "zero": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15,
    "seize": 16, "vingt": 20, "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
    "septante": 70, "huitante": 80, "octante": 80, "nonante": 90,
}
_NUMBER_WORD = r"(?:z[ée]ro|une?|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|" \
               r"quinze|seize|vingts?|trente|quarante|cinquante|soixante|septante|huitante|octante|nonante)"
_NUMBER_PHRASE_RE = re.compile(rf"(?i:\b{_NUMBER_WORD}(?:[\s-]+(?:et[\s-]+)?{_NUMBER_WORD})*\b)")
# Five number words in a row or more, whatever they make: a title rarely counts that far.
_SPOKEN_PHONE_RE = re.compile(rf"(?i:\b{_NUMBER_WORD}(?:[\s,.-]+(?:et[\s,.-]+)?{_NUMBER_WORD}){{4,}}\b)")
# « 06, 12, trente-quatre… »: a comma between two groups of digits separates like a space.
_GROUP_COMMA_RE = re.compile(r"(?<=\d)\s*,\s*(?=\d)")
# « 06/12/34/56/78 »: libphonenumber reads slashes as a date's; four groups or more are
# no date (d/m/y has three), so their slashes separate like spaces.
_SLASHED_GROUPS_RE = re.compile(r"(?<![\d/])\+?\d+(?:\s*/\s*\d+){3,}")


class _View:
    """``text`` as a transformation made it, each character with the span
    ``[starts[i], ends[i])`` of the original text it came from."""

    __slots__ = ("text", "starts", "ends")

    def __init__(self, text: str, starts: list[int], ends: list[int]):
        self.text, self.starts, self.ends = text, starts, ends

    @classmethod
    def of(cls, text: str) -> "_View":
        return cls(text, list(range(len(text))), list(range(1, len(text) + 1)))

    @classmethod
    def compatible(cls, text: str) -> "_View":
        """``text`` without its invisible characters and with each character in its
        compatibility form (NFKC), character by character so that spans stay exact."""
        # Most texts have neither (printable: no Unicode Cf; NFKC already: no character
        # that NFKC changes, since one it changes alone it changes in any string): then
        # the view is the text itself, without looking at each character in Python.
        if text.isprintable() and _BLANKS.isdisjoint(text) and unicodedata.is_normalized("NFKC", text):
            return cls.of(text)
        return cls.of(text).without(_invisible).mapped(_compatible)

    def without(self, drop) -> "_View":
        keep = [i for i, char in enumerate(self.text) if not drop(char)]
        return _View("".join(self.text[i] for i in keep), [self.starts[i] for i in keep], [self.ends[i] for i in keep])

    def mapped(self, change) -> "_View":
        """Each character ``c`` replaced by ``change(c)`` (a string, maybe longer)."""
        text, starts, ends = [], [], []
        for char, start, end in zip(self.text, self.starts, self.ends):
            new = change(char)
            text.append(new)
            starts += [start] * len(new)
            ends += [end] * len(new)
        return _View("".join(text), starts, ends)

    def replaced(self, pattern: re.Pattern[str], replacement) -> "_View":
        """Each match replaced by ``replacement(match)``, whose characters all come from
        the whole span of the match."""
        text, starts, ends, position = [], [], [], 0
        for match in pattern.finditer(self.text):
            text.append(self.text[position:match.start()])
            starts += self.starts[position:match.start()]
            ends += self.ends[position:match.start()]
            new = replacement(match)
            if new:
                text.append(new)
                starts += [self.starts[match.start()]] * len(new)
                ends += [self.ends[match.end() - 1]] * len(new)
            position = match.end()
        text.append(self.text[position:])
        starts += self.starts[position:]
        ends += self.ends[position:]
        return _View("".join(text), starts, ends)

    def source(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that ``text[start:end]`` came from."""
        return self.starts[start], self.ends[end - 1]


def _compatible(char: str) -> str:
    return char if char.isascii() else unicodedata.normalize("NFKC", char)


def _invisible(char: str) -> bool:
    return unicodedata.category(char) == "Cf" or char in _BLANKS


def _fold_word(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word.lower()) if not unicodedata.combining(c))


def _number_words_as_digits(match: re.Match[str]) -> str:
    """« zéro six douze trente-quatre soixante-dix-huit » -> ``0 6 12 34 78`` (French
    numbers up to 99, Belgian and Swiss tens too), each number its own group."""
    words = [_fold_word(w) for w in re.split(r"[\s-]+", match.group(0)) if w]
    numbers: list[int] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word == "et" or word not in _NUMBER_WORDS:
            i += 1
            continue
        if word == "quatre" and i + 1 < len(words) and words[i + 1] in ("vingt", "vingts"):
            value, i = 80, i + 2
        elif word == "dix" and i + 1 < len(words) and words[i + 1] in ("sept", "huit", "neuf"):
            numbers.append(10 + _NUMBER_WORDS[words[i + 1]])
            i += 2
            continue
        elif _NUMBER_WORDS[word] >= 20:
            value, i = _NUMBER_WORDS[word], i + 1
        else:
            numbers.append(_NUMBER_WORDS[word])
            i += 1
            continue
        j = i + 1 if i < len(words) and words[i] == "et" else i
        after = words[j] if j < len(words) else ""
        if value in (60, 80) and after == "dix" and j + 1 < len(words) and words[j + 1] in ("sept", "huit", "neuf"):
            value, i = value + 10 + _NUMBER_WORDS[words[j + 1]], j + 2
        elif value in (60, 80) and 10 <= _NUMBER_WORDS.get(after, 0) <= 16:
            value, i = value + _NUMBER_WORDS[after], j + 1
        elif 1 <= _NUMBER_WORDS.get(after, 0) <= 9:
            value, i = value + _NUMBER_WORDS[after], j + 1
        numbers.append(value)
    return " ".join(str(n) for n in numbers)


def contact_spans(text: str) -> list[tuple[int, int]]:
    """The spans ``[start, end)`` of ``text`` that hold an e-mail address, a handle or a
    phone number, however written (see :func:`redact`), merged and in order."""
    import phonenumbers  # loaded on first use

    # Compatibility forms as their plain letters and digits (NFKC: a full-width ＠ or ６
    # is the same contact detail).
    view = _View.compatible(text)
    found: list[tuple[int, int]] = []
    joined = view.replaced(_SPACED_LETTERS_RE, lambda m: m.group(0).replace(" ", ""))
    for seen in (view, joined) if joined.text != view.text else (view,):
        patterns = [_EMAIL_RE, _HANDLE_RE]
        if _AT_LOOSE_RE.search(seen.text):
            patterns.append(_LOOSE_EMAIL_RE)
        if _CHEZ_RE.search(seen.text):
            patterns.append(_CHEZ_EMAIL_RE)
        for pattern in patterns:
            found += [seen.source(m.start(), m.end()) for m in pattern.finditer(seen.text)]
        found += [seen.source(m.start("handle"), m.end("handle")) for m in _NAMED_HANDLE_RE.finditer(seen.text)
                  if m.group("plain") or re.search(r"[\d_.]", m.group("handle"))]
    found += [view.source(m.start(), m.end()) for m in _SPOKEN_PHONE_RE.finditer(view.text)]
    numeric = (view.replaced(re.compile("_"), lambda m: " ").replaced(_NUMBER_PHRASE_RE, _number_words_as_digits)
               .replaced(_GROUP_COMMA_RE, lambda m: " ")
               .replaced(_SLASHED_GROUPS_RE, lambda m: m.group(0).replace("/", " ")))
    if any(char.isdigit() for char in numeric.text):
        for match in phonenumbers.PhoneNumberMatcher(numeric.text, "FR", leniency=phonenumbers.Leniency.POSSIBLE):
            start, end = match.start, match.end
            # The matcher keeps an opening bracket ("(06 12…)"): a title's own punctuation.
            while start < end and not (numeric.text[start].isdigit() or numeric.text[start] == "+"):
                start += 1
            while end > start and not numeric.text[end - 1].isdigit():
                end -= 1
            if start < end:
                found.append(numeric.source(start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged



class PrivacyError(Exception):
    """A contact detail was about to be disclosed without both consents (a bug)."""


def redact(text: str | None) -> str | None:
    """``text`` with every contact detail replaced by :data:`MASK`, however written:

    - e-mail addresses, also spaced or split (``x @ domaine . fr``, ``x@domaine .fr``),
      bracketed (``x[@]domaine.fr``, ``x (at) domaine (dot) fr``, ``x (a) domaine.fr``),
      spelled (``x arobase domaine point fr``), letter by letter, with invisible
      characters inside (U+200B, U+2060, U+00AD…), in full-width forms, with « chez »
      for the at (``x chez orange.fr``); handles (``@marie_d``, ``insta : marie_d75``,
      ``pseudo : mariecuisine``);
    - phone numbers in any form libphonenumber reads (``06.12.34.56.78``, ``06_12_…``,
      ``+33 (0)6 …``, ``0033 6 …``, foreign numbers), also with invisible characters or
      in French number words, alone or mixed with digits (« zéro six 12 34 56 78 »).

    Everything else is left exactly as written (« Excel 2016 », « cours de 2 h », dates,
    « Photo @ la maison », « 10 m² », an emoji's joiners). Pure; None gives None.
    """
    if text is None:
        return None
    spans = contact_spans(text)
    if not spans:
        return text
    out, position = [], 0
    for start, end in spans:
        out += [text[position:start], MASK]
        position = end
    out.append(text[position:])
    return "".join(out)


@dataclass(frozen=True)
class PublicMember:
    """What one member may learn of another before both consented: a first name, or None
    when the robot cannot tell one (:func:`read_first_name`): the templates then say
    « un membre du réseau ». ``first_name is None`` is how a caller tells "unknown"."""

    first_name: str | None


@dataclass(frozen=True)
class PublicItem:
    """An item as another member may read it before both consented."""

    ref: str
    kind: str
    title: str
    modality: str | None
    availability: str | None
    place: str | None = None


def public_member(member: dict | None) -> PublicMember:
    """The :class:`PublicMember` of a member document: its ``first_name`` (a first name
    the person gave as such, when the store records one) or else what
    :func:`read_first_name` can tell from its ``name``."""
    member = member or {}
    return PublicMember(first_name=first_name(member.get("name"), member.get("first_name")))


def public_item(item: dict) -> PublicItem:
    return PublicItem(
        ref=item["ref"],
        kind=item["kind"],
        title=redact(item.get("title")) or "",
        modality=item.get("modality"),
        availability=redact(item.get("availability")),
        place=redact(item.get("place")),
    )


@dataclass(frozen=True)
class ContactChoice:
    """The contact detail that will really be given for a member (``contact``), and the
    one they asked for (``wanted``: this time, or their stored preference; None when they
    named none)."""

    contact: str
    wanted: str | None = None

    @property
    def honoured(self) -> bool:
        """False when the member asked for a contact the network cannot give (no phone
        number, no address): the permanence is given instead."""
        return self.wanted is None or self.wanted == self.contact


def choose_contact(member: dict, chosen: str | None = None) -> ContactChoice:
    """The contact detail that will really be given for ``member``: ``chosen`` (or their
    preference) when they have it. One asked for that cannot be given never falls back to
    another detail (an e-mail address, a number the member did not choose to share): it
    becomes the permanence, where the animators present people to each other. A member
    who asked for nothing gets what they have: an e-mail address, a phone, the
    permanence."""
    wanted = chosen if chosen in CONTACTS else member.get("contact")
    has = {"email": bool(member.get("address")), "phone": bool(member.get("phone")), "permanence": True}
    if wanted in CONTACTS:
        return ContactChoice(wanted if has[wanted] else "permanence", wanted)
    return ContactChoice(next(c for c in CONTACTS if has[c]))


def effective_contact(member: dict, chosen: str | None = None) -> str:
    """:func:`choose_contact`'s ``contact``."""
    return choose_contact(member, chosen).contact


@dataclass(frozen=True)
class Disclosure:
    """The other member, as the introduction mail gives them: ``name`` (as recorded),
    ``contact`` (``email``, ``phone`` or ``permanence``) and its one value: ``address``
    or ``phone``, or ``permanence`` (the aware start of the next permanence, None when
    none is planned)."""

    name: str | None
    first_name: str | None
    contact: str
    address: str | None = None
    phone: str | None = None
    permanence: datetime | None = None


def both_consented(intro: dict) -> bool:
    """True when both members of the introduction document answered yes."""
    consents = intro.get("consents") or {}
    return consents.get("offer") == "yes" and consents.get("demand") == "yes"


def disclose(intro: dict, side: str, member: dict, next_permanence: datetime | None) -> Disclosure:
    """The :class:`Disclosure` of ``member`` (the introduction's ``side``: ``offer`` or
    ``demand``) with the contact detail they chose for this introduction.

    Raises :class:`PrivacyError` unless both members consented to ``intro``.
    """
    if not both_consented(intro):
        raise PrivacyError(f"{intro.get('ref')}: contact details asked before both consents")
    contact = effective_contact(member, (intro.get("contacts") or {}).get(side))
    return Disclosure(
        name=member.get("name"),
        first_name=first_name(member.get("name"), member.get("first_name")),
        contact=contact,
        address=member.get("address") if contact == "email" else None,
        phone=readable_phone(member.get("phone")) if contact == "phone" else None,
        permanence=next_permanence if contact == "permanence" else None,
    )


NAME_MASK = "…"


def mask_names(text: str, names: "Iterable[str | None]", keep: "Iterable[str | None]" = ()) -> str:
    """``text`` with every word of the members' ``names`` (three letters or more, not a
    particle) replaced by :data:`NAME_MASK`, whole words, whatever their case — except
    the words of ``keep`` (the first name an author chose to sign with). For words a
    member wrote about people, published where anyone reads them (a testimony)."""
    kept = {w.casefold() for name in keep if name for w in name.split()}
    words = {w for name in names if name for w in re.split(r"[\s,;()]+", name)
             if sum(ch.isalpha() for ch in w) >= 3 and w.casefold() not in PARTICLES and w.casefold() not in kept}
    if not words or not text:
        return text
    pattern = re.compile(r"(?<![\w])(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
                         + r")(?![\w])", re.IGNORECASE)
    return pattern.sub(NAME_MASK, text)
