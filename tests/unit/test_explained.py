"""Why two items met: the French lines stored, read back and said in the operator's
language (`rers introductions show`, `rers match`)."""
from __future__ import annotations

import pytest

from workflows.model import explained
from workflows.model.matching import Score, WordMatch, why_in_one_line
from workflows.model.said import Label, Said, kept, said, unkept
from workflows.shell.language import Words

FR, EN = Words("fr"), Words("en")


@pytest.mark.parametrize("kind", sorted(explained.FORMS))
def test_the_french_catalogue_says_each_form_as_it_is_stored(kind):
    french, english = explained.FORMS[kind]
    assert FR(english.message) == french
    assert EN(english.message) == english.message


def test_a_score_s_lines_read_back_in_french_as_they_are_and_in_english():
    score = Score(0.72, matches=(WordMatch("espagnol", "espagnol", "same", 1.0),
                                 WordMatch("gerer", "gestion", "family", 0.9),
                                 WordMatch("informatque", "informatique", "typo", 0.91),
                                 WordMatch("randonnée", "marche", "sense", 0.78)),
                  unmatched_demand=("debutant",), rest=(("cuisine",), ("recettes",), 0.61))
    lines = score.why(0.6)
    assert [said(explained.read(line), FR) for line in lines] == lines
    assert [said(explained.read(line), EN) for line in lines] == [
        "« espagnol » = « espagnol » (same word)",
        "« gerer » ≈ « gestion » (same family)",
        "« informatque » ≈ « informatique » (typing mistake, 91 %)",
        "« randonnée » ≈ « marche » (near meaning, 0.78)",
        "« cuisine » ≈ « recettes » (the rest, near meaning, 0.61)",
        "demand, unmatched: « debutant »",
        "score 0.72, above the minimum 0.60",
    ]


def test_a_line_of_no_known_form_is_shown_as_it_is():
    assert explained.read("« [effacé] » ≈ quelque chose d'autre") == "« [effacé] » ≈ quelque chose d'autre"
    assert explained.read(None) is None


def test_a_label_is_said_in_its_context_and_kept_with_it():
    expired = Label("introduction", "expired")
    assert str(expired) == "expired"
    assert said(expired, FR) == "expirée" and said(Label("group", "expired"), FR) == "expiré"
    assert said(expired, EN) == "expired"
    again = unkept(kept(expired))
    assert isinstance(again, Label) and said(again, FR) == "expirée"
    assert said(Said("{ref} is {status}", ref="MR-1", status=expired), FR).startswith("MR-1 ")


def test_the_lines_of_a_shared_word_that_is_not_a_shared_meaning_read_back():
    score = Score(0.38, matches=(WordMatch("japonais", "japonaise", "qualifies in offer", 0.5, head="cuisine"),
                                 WordMatch("broderie machine", "broderie", "within", 0.8)),
                  inside=(("offer", "yoga", "yoga du rire"),))
    lines = score.why()
    assert lines == [
        "« japonais » ≈ « japonaise » (mot partagé, mais dans l'offre il qualifie seulement « cuisine », compté 0.50)",
        "« broderie machine » ≈ « broderie » (même mot, dans une expression plus longue)",
        "mot en commun « yoga », mais dans l'offre il fait partie d'une autre expression : « yoga du rire »",
    ]
    assert [said(explained.read(line), FR) for line in lines] == lines
    assert said(explained.read(lines[2]), EN) == \
        "word in common « yoga », but in the offer it is part of another expression: « yoga du rire »"
    # the one-line « Pourquoi » of a proposal keeps the words that met, not the others
    assert why_in_one_line(lines) == " ; ".join(lines[:2])
