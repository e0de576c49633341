"""The lines that say why an offer and a demand met (:meth:`workflows.model.matching.Score.why`),
and the same lines read back to be said in the operator's language.

The lines are stored in French in an introduction's and a group asker's ``why`` (the
animators' mails quote them, erasure redacts them as text), so each kind of line has
one French form, written by :func:`line`, and one English :class:`Said` the operator's
commands say (``rers introductions show``, ``rers match``) once :func:`read` found
which form a stored line has. The French catalogue's translation of each English
message is its French form (``tests/unit/test_explained.py``).
"""
from __future__ import annotations

import re
from types import MappingProxyType

from workflows.model.said import Said

FORMS = MappingProxyType({
    "same": ("« {demand} » = « {offer} » (même mot)", Said("« {demand} » = « {offer} » (same word)")),
    "synonym": ("« {demand} » = « {offer} » (synonymes)", Said("« {demand} » = « {offer} » (synonyms)")),
    "family": ("« {demand} » ≈ « {offer} » (même famille)", Said("« {demand} » ≈ « {offer} » (same family)")),
    "domain": ("« {demand} » ≈ « {offer} » (même domaine)", Said("« {demand} » ≈ « {offer} » (same field)")),
    "sense": ("« {demand} » ≈ « {offer} » (sens proche, {value})",
              Said("« {demand} » ≈ « {offer} » (near meaning, {value})")),
    "typo": ("« {demand} » ≈ « {offer} » (faute de frappe, {percent} %)",
             Said("« {demand} » ≈ « {offer} » (typing mistake, {percent} %)")),
    "within": ("« {demand} » ≈ « {offer} » (même mot, dans une expression plus longue)",
               Said("« {demand} » ≈ « {offer} » (same word, inside a longer expression)")),
    "qualifies in offer": ("« {demand} » ≈ « {offer} » (mot partagé, mais dans l'offre il qualifie seulement "
                           "« {head} », compté {value})",
                           Said("« {demand} » ≈ « {offer} » (shared word, but in the offer it only qualifies "
                                "« {head} », counted {value})")),
    "qualifies in demand": ("« {demand} » ≈ « {offer} » (mot partagé, mais dans la demande il qualifie seulement "
                            "« {head} », compté {value})",
                            Said("« {demand} » ≈ « {offer} » (shared word, but in the demand it only qualifies "
                                 "« {head} », counted {value})")),
    "rest": ("« {demand} » ≈ « {offer} » (le reste, sens voisin, {value})",
             Said("« {demand} » ≈ « {offer} » (the rest, near meaning, {value})")),
    "demand unmatched": ("demande, sans correspondance : {words}", Said("demand, unmatched: {words}")),
    "offer unmatched": ("offre, sans correspondance : {words}", Said("offer, unmatched: {words}")),
    "inside offer": ("mot en commun « {word} », mais dans l'offre il fait partie d'une autre expression : « {expression} »",
                     Said("word in common « {word} », but in the offer it is part of another expression: "
                          "« {expression} »")),
    "inside demand": ("mot en commun « {word} », mais dans la demande il fait partie d'une autre expression : "
                      "« {expression} »",
                      Said("word in common « {word} », but in the demand it is part of another expression: "
                           "« {expression} »")),
    "nothing": ("aucun mot en commun (ni synonyme, ni faute de frappe proche)",
                Said("no word in common (neither a synonym nor a near typing mistake)")),
    "above": ("score {score}, au-dessus du minimum {minimum}", Said("score {score}, above the minimum {minimum}")),
    "below": ("score {score}, en dessous du minimum {minimum}", Said("score {score}, below the minimum {minimum}")),
})
"""Each kind of line: its French form (stored) and its English message (said), with the
same ``{name}`` placeholders (numbers already written: ``0.85``, ``92``)."""


def line(kind: str, **values: str) -> str:
    """The French line of ``kind`` (a key of :data:`FORMS`), filled from ``values``."""
    return FORMS[kind][0].format(**values)


def _pattern(form: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", form)
    return re.compile("".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.*?)" for i, part in enumerate(parts))
                      + r"\Z", re.DOTALL)


_READ = tuple((_pattern(french), english) for french, english in FORMS.values())


def read(stored) -> Said | str:
    """A stored line as the :class:`Said` of its form (its words and numbers kept as
    written), to be said in the operator's language; a line of no known form (written by
    an older version, or redacted) as it is."""
    if isinstance(stored, str):
        for pattern, english in _READ:
            found = pattern.match(stored)
            if found:
                return Said(english.message, **found.groupdict())
    return stored
