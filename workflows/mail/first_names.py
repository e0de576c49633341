"""First names: which word of a member's name is their first name, when the robot can
tell (:func:`read_first_name`), and the name a person is greeted with
(:func:`greeting_name`). Pure, of the mail layer (the renderer's ``greeting_name``
filter reads it); :mod:`workflows.model.privacy` gives them to the steps."""
from __future__ import annotations

import re
from dataclasses import dataclass

from workflows.mail.labels import readable_name

_NAME_WORD_RE = re.compile(r"^[^\W\d_]+(?:['’-][^\W\d_]+)*$")

PARTICLES = frozenset({"de", "du", "des", "d", "le", "la", "les", "van", "von", "der", "den", "da", "di",
                       "do", "dos", "das", "del", "della", "ben", "bin", "ibn", "bint", "el", "al", "ter",
                       "ten", "y"})
_WORD_EDGES = ",;:.()[]\"«»“”"


@dataclass(frozen=True)
class FirstName:
    """What :func:`read_first_name` could tell: ``value``, the first name to show, or
    None when the robot cannot tell one (callers then say « un membre »); ``rule``, the
    rule that decided (for tests and logs): ``explicit``, ``comma``, ``capitals``,
    ``not a name``, ``single word``, ``no case signal``."""

    value: str | None
    rule: str


def read_first_name(name: str | None, explicit: str | None = None) -> FirstName:
    """The first name in a member's ``name``, only when the robot can tell it; a word
    that may be a surname is never given. The rule, in order:

    1. ``explicit`` (a first name the person gave as such: a ``Prénom :`` field, the
       answer to « comment souhaitez-vous être appelé·e ? ») wins when it reads as a
       name: its first word.
    2. Not a name (an address, digits, symbols, nothing): None.
    3. ``Nom, Prénom``: a comma puts the given names after it (``Dupont, Marie`` ->
       Marie).
    4. Capitals: when some words are in capitals and others not, the words in capitals
       are the surname, as French offices write it (``VASSEUR Bruno`` -> Bruno, ``Lina
       PETIT`` -> Lina): the first word not in capitals (particles skipped), when the
       others are written as names (``BRUNO vasseur`` tells nothing).
    5. Otherwise the robot cannot tell: a single word may be a bare surname (``Nom :
       Haddouche``, ``DUPONT``), and two words in one style may be in either order
       (« Dupont Marie », « Marie Dupont », ``LINA PETIT``): None.

    This is a heuristic on purpose, without a list of first names: none of the maintained
    packages of the index ships a usable one (see docs/security.md), and a list would
    not settle « Martin Thomas » anyway. Unknown is the safe answer: the person is asked
    how they want to be named. Words in capitals come back readable (``BRUNO`` ->
    ``Bruno``).
    """
    if explicit:
        word = _first_name_word(explicit.split()[0].strip(_WORD_EDGES) if explicit.split() else "")
        if word:
            return FirstName(word, "explicit")
    if not name or not name.strip():
        return FirstName(None, "not a name")
    before, comma, after = name.partition(",")
    words = [w.strip(_WORD_EDGES) for w in (before + " " + after).split()]
    words = [w for w in words if w]
    if not words or any(not _NAME_WORD_RE.match(w) for w in words):
        return FirstName(None, "not a name")
    if comma:
        given = [w.strip(_WORD_EDGES) for w in after.split() if w.strip(_WORD_EDGES)]
        given = [w for w in given if w.lower() not in PARTICLES and _letters(w) >= 2]
        if given:
            return FirstName(_first_name_word(given[0]), "comma")
    named = [w for w in words if w.lower() not in PARTICLES]
    capitals = [w for w in named if _letters(w) >= 2 and w == w.upper()]
    others = [w for w in named if w not in capitals and _letters(w) >= 2]
    # Only a word written as a name (« Bruno ») faces the capitals: one all in small
    # letters (« BRUNO vasseur ») says nothing of which is which.
    if capitals and others and all(w[0].isupper() for w in others):
        return FirstName(others[0], "capitals")
    if len(named) <= 1:
        return FirstName(None, "single word")
    return FirstName(None, "no case signal")


def _letters(word: str) -> int:
    return sum(char.isalpha() for char in word)


def _first_name_word(word: str) -> str | None:
    if not word or not _NAME_WORD_RE.match(word) or _letters(word) < 2:
        return None
    return readable_name(word)


def first_name(name: str | None, explicit: str | None = None) -> str | None:
    """:attr:`FirstName.value` of :func:`read_first_name`: the first name to show, or
    None when the robot cannot tell one (« un membre »)."""
    return read_first_name(name, explicit).value


def greeting_name(person) -> str | None:
    """The name to greet a person with (« Bonjour Lina, »), made readable: the first name
    the robot can tell (:func:`read_first_name`: the one they gave as such, a member's
    ``first_name``, else one their name shows — « BERNARD Léa » → Léa), else their whole
    name (:func:`workflows.mail.labels.readable_name`); None when there is none.
    ``person``: a mapping with ``name`` and maybe ``first_name`` (a member, a
    recipient), a name, or None. The robot never greets with a guessed first name: in
    « Dupont Marie » either word may be the surname, and the whole name is used."""
    if person is None:
        return None
    if isinstance(person, str):
        name, given = person, None
    elif callable(getattr(person, "get", None)):
        name, given = person.get("name"), person.get("first_name")
    else:
        return None
    if isinstance(given, str) and given.strip():
        return readable_name(" ".join(given.split()))
    if not isinstance(name, str) or not name.strip():
        return None
    name = " ".join(name.split())
    return read_first_name(name).value or readable_name(name)
