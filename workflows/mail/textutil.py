"""Small text helpers shared by the parser modules: folding for keyword matching and
cleaning for output.

Everything the parser returns goes through :func:`clean` so that it is plain ``str``
without control characters, lone surrogates or invisible formatting characters, and is
therefore JSON-serialisable as is.
"""
from __future__ import annotations

import re
from types import MappingProxyType

from unidecode import unidecode

# Invisible characters that mail clients sprinkle into text (BOM at the start of a quoted
# part, zero-width spaces from rich editors, bidi marks from phones, soft hyphens).
_INVISIBLE = dict.fromkeys(
    map(ord, "\ufeff\u200b\u200c\u200e\u200f\u00ad\u2060\u202a\u202b\u202c\u202d\u202e"
        "\u2066\u2067\u2068\u2069"),
    None,
)
# Every C0/C1 control but newline, plus lone surrogates left by surrogateescape decoding.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_SPACES_RE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})


def clean(text: str | None) -> str:
    """Return ``text`` without control characters (newlines kept; tabs, CR and form
    feeds become spaces or newlines), lone surrogates or invisible characters."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").replace("\f", "\n")
    text = text.translate(_INVISIBLE)
    return _CONTROL_RE.sub("", text)


def clean_line(text: str | None) -> str:
    """:func:`clean`, then every run of whitespace (newlines too) made one space, stripped."""
    return " ".join(clean(text).split())


def squash_spaces(line: str) -> str:
    """Horizontal whitespace (including no-break and thin spaces) made single spaces."""
    return _SPACES_RE.sub(" ", line)


def fold(text: str) -> str:
    """Lower-case, accent-free, typographic apostrophes and spaces made plain, for
    keyword matching: ``"ANNULÉE\u00a0:"`` -> ``"annulee :"``. Emoji and other symbols
    that transliteration would drop are kept as they are."""
    text = squash_spaces(text.translate(_APOSTROPHES)).strip()
    if text.isascii():
        return text.lower()
    text = text.translate(_FOLDED)
    if not text.isascii():  # a character of no Western European text (a folded one folds to itself)
        text = "".join(char if ord(char) < 128 else _folded_char(char) for char in text)
    return text.lower()


def _folded_char(char: str) -> str:
    """One non-ASCII character folded: its transliteration, or the character itself
    when unidecode has no letter for it (emoji: an answer may be a thumbs-up) unless
    it is a space."""
    folded = unidecode(char)
    return folded if folded.strip() or char.isspace() else char


# The letters, signs and punctuation of Western European text (Latin-1, Latin Extended-A
# and -B, General Punctuation), folded once at import: :func:`fold` translates them in one
# pass instead of calling unidecode for each accented letter (issue 20). ASCII maps to
# itself: a character the table lacks costs `str.translate` a KeyError. Read-only.
_FOLDED = MappingProxyType({**{code: code for code in range(0x80)},
                            **{code: _folded_char(chr(code)) for code in (*range(0x80, 0x250), *range(0x2000, 0x2070))}})


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """:func:`fold` without the stripping and space squashing, plus, for each character
    of the folded string, the index of the character of ``text`` it came from (so that a
    keyword found in the folded text can be cut out of the text as written)."""
    out: list[str] = []
    where: list[int] = []
    for index, char in enumerate(text.translate(_APOSTROPHES)):
        if ord(char) < 128:
            piece = char
        elif _SPACES_RE.match(char):
            piece = " "
        else:
            piece = unidecode(char)
            if not piece.strip():
                piece = char
        out.append(piece)
        where.extend([index] * len(piece))
    return "".join(out).lower(), where
