"""The échanges sur les échanges by mail (*recueil*) as data: reading a member's answer
(their words, the quote they allow, the optional effects), and the synthesis the
animators get (protocol.md, « The network's voice »). Pure; the life of a collection is in
:mod:`workflows.steps.voice`.

A collection document (collection ``recueils``)::

    {"ref": "R-3", "source": "calendar"|"questionnaire", "meeting": "YYYY-MM-DD" (the
     échanges sur les échanges, or the questionnaire's end), "uid": series UID | None,
     "questions": [str], "status": "open"|"synthesised", "started": UTC ISO,
     "asked": int, "answered": int, "synthesis": UTC ISO | None,
     "semester": "2027-S1", "since": "YYYY-MM-DD" | None (a calendar collection: the first
     day of the period whose exchanges made a member asked; None for a questionnaire,
     asked of every member)}

An answer document (collection ``voice_answers``), kept ``collection_keep_days``::

    {"collection": "R-3", "member": "M-14" (only to delete it at their erasure; never
     shown), "words": str, "quote": "non"|"anonyme"|"prénom", "first_name": str | None
     (only when « prénom »), "at": UTC ISO}

The effects (``Isolement``, ``Confiance``, ``Réseau``: ``moins``/``pareil``/``plus``) are
never kept per person: only counts per semester, in the state key ``effects:<semester>``
(:func:`add_effects`); a count under :data:`MIN_SHOWN` is never shown (:func:`shown`).
"""
from __future__ import annotations

import re
from datetime import date
from typing import Iterable

from workflows.mail.textutil import fold
from workflows.model.privacy import mask_names, redact

MIN_SHOWN = 5
"""A count under this is never shown anywhere: « moins de 5 »."""

DEFAULT_QUESTIONS = {
    "fr": ("Qu'est-ce que le réseau a changé pour vous ?",
           "Qu'est-ce qui vous a aidé ?",
           "Qu'est-ce qui vous a freiné ?",
           "Une idée pour le réseau ?"),
    "en": ("What has the network changed for you?",
           "What helped you?",
           "What got in your way?",
           "An idea for the network?"),
}

EFFECTS = ("isolement", "confiance", "reseau")
LEVELS = ("moins", "pareil", "plus")
QUOTES = ("non", "anonyme", "prénom")

_FIELD_RE = re.compile(r"^\s*(citation|isolement|confiance|reseau)\s*:\s*(.*?)\s*$")


def _level(value: str) -> str | None:
    folded = fold(value).strip(" .!")
    for level in LEVELS:
        if folded.startswith(level):
            return level
    if folded.startswith(("moins", "less")):
        return "moins"
    if folded.startswith(("autant", "same", "pareil", "egal")):
        return "pareil"
    if folded.startswith(("plus", "more", "davantage")):
        return "plus"
    return None


def _quote(value: str) -> str:
    """``Citation :`` value → ``non`` (the default), ``anonyme`` or ``prénom``."""
    folded = fold(value)
    if "prenom" in folded or "first name" in folded:
        return "prénom"
    if "anonym" in folded or "sans nom" in folded:
        return "anonyme"
    return "non"


def read_answer(text: str | None) -> dict:
    """A collection reply's own text → ``{"words", "quote", "effects"}``: the lines
    ``Citation :``, ``Isolement :``, ``Confiance :``, ``Réseau :`` taken out (accents and
    case aside), the rest the person's words. ``quote`` defaults to ``non``; ``effects``
    holds only the lines written with a readable level."""
    words, quote, effects = [], "non", {}
    for line in (text or "").splitlines():
        match = _FIELD_RE.match(fold(line))
        if not match:
            words.append(line)
            continue
        key, value = match.group(1), line.split(":", 1)[1]
        if key == "citation":
            quote = _quote(value)
        else:
            level = _level(value)
            if level:
                effects[key] = level
    return {"words": "\n".join(words).strip(), "quote": quote, "effects": effects}


def questions_from_text(text: str) -> list[str]:
    """The questions of an animators' file: one a line, blank lines and ``#`` lines left out."""
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def split_effects(text: str | None) -> tuple[str | None, dict]:
    """A bilan's own text → ``(text without the effect lines, effects)``: the optional
    ``Isolement``, ``Confiance``, ``Réseau`` lines (protocol.md, « Effects, without
    surveillance ») are counted per semester only, never kept with the person, so they
    are taken out of the text that is stored. A ``Citation :`` line is left as it is."""
    kept, effects = [], {}
    for line in (text or "").splitlines():
        match = _FIELD_RE.match(fold(line))
        if not match or match.group(1) == "citation":
            kept.append(line)
            continue
        level = _level(line.split(":", 1)[1])
        if level:
            effects[match.group(1)] = level
    if text is None:
        return None, effects
    return "\n".join(kept).strip() or None, effects


def semester(day: date) -> str:
    """``2027-S1`` (January–June) or ``2027-S2``."""
    return f"{day.year}-S{1 if day.month <= 6 else 2}"


def semester_bounds(name: str) -> tuple[date, date]:
    year, half = int(name[:4]), int(name[-1])
    return (date(year, 1, 1), date(year, 6, 30)) if half == 1 else (date(year, 7, 1), date(year, 12, 31))


def add_effects(counts: dict | None, effects: dict) -> dict:
    """``counts`` (``{effect: {level: n}}``) with one answer's ``effects`` added."""
    counts = {k: dict(v) for k, v in (counts or {}).items()}
    for key, level in effects.items():
        if key in EFFECTS and level in LEVELS:
            counts.setdefault(key, {})
            counts[key][level] = counts[key].get(level, 0) + 1
    return counts


def shown(count: int) -> int | None:
    """``count`` when it may be shown, None (« moins de 5 ») when it is under :data:`MIN_SHOWN`."""
    return count if count >= MIN_SHOWN else None


def synthesis(collection: dict, answers: list[dict], bilans: list[dict], effects: dict | None,
              names: "Iterable[str | None]" = ()) -> dict:
    """What the animators read: how many answered (a count under five is « moins de 5 »),
    the quotes their authors allowed (contact details and the members' ``names`` masked,
    the author's own first name kept when signed; « un membre » or the first name), the
    semester's bilans' freins and éléments facilitants (masked), and the effects as counts
    of the semester, each under five hidden. Nothing in it is linked to a member unless
    the author chose « prénom »."""
    names = list(names)
    quotes = []
    for a in answers:
        if a.get("quote") in ("anonyme", "prénom") and a.get("words"):
            author = a.get("first_name") if a.get("quote") == "prénom" else None
            # The quotes are read out at the meeting: a member named in someone else's
            # words did not choose to be (the testimonies' rule, model/testimonies.py).
            quotes.append({"text": mask_names(redact(a["words"]), names, keep=[author]), "author": author})
    obstacles = [redact(b["obstacles"]) for b in bilans if b.get("obstacles")]
    facilitators = [redact(b["facilitators"]) for b in bilans if b.get("facilitators")]
    table = {key: {level: shown((effects or {}).get(key, {}).get(level, 0)) for level in LEVELS} for key in EFFECTS}
    not_quoted = sum(1 for a in answers if a.get("quote") not in ("anonyme", "prénom"))
    # The quotes are listed: with the exact total beside them, a hidden count of answers
    # not to quote would be a subtraction away. The total then says « au moins 5 ».
    at_least = len(answers) >= MIN_SHOWN and shown(not_quoted) is None
    return {
        "collection": {k: collection.get(k) for k in ("ref", "source", "meeting", "semester")},
        "asked": shown(int(collection.get("asked") or 0)),
        "answered": None if at_least else shown(len(answers)),
        "answered_at_least": at_least,
        "quotes": quotes,
        "not_quoted": shown(not_quoted),
        "obstacles": obstacles,
        "facilitators": facilitators,
        "effects": table,
        "min_shown": MIN_SHOWN,
    }
