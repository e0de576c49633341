"""A title taken from a subject or a first line (no ``Savoir :`` line): an elided article
typed without its apostrophe and the courtesy words at the end are not part of it."""
from __future__ import annotations

import pytest
from support import member_mail

from workflows.mail.intents import find_keyword, title_from
from workflows.mail.model import ParseOptions
from workflows.mail.parse import parse_message


def title(line: str) -> str:
    return title_from(find_keyword(line).rest)


@pytest.mark.parametrize("line, expected", [
    ("je souhaite apprendre l espagnol", "espagnol"),
    ("Je souhaite apprendre L ESPAGNOL", "ESPAGNOL"),
    ("Demande : d anglais", "anglais"),
    ("Offre : l informatique pour débutants", "informatique pour débutants"),
    ("je propose l histoire locale", "histoire locale"),
    ("OFFRE : cours d'espagnol", "cours d'espagnol"),
    ("je souhaite apprendre l'espagnol", "l'espagnol"),  # with its apostrophe: as written
    ("Offre : C et Python", "C et Python"),  # the language, not an article
    ("Demande : l 3D", "l 3D"),  # no elision before a consonant or a digit
    ("Demande : s", "s"),
])
def test_an_elided_article_without_apostrophe_goes(line, expected):
    assert title(line) == expected


@pytest.mark.parametrize("line, expected", [
    ("je propose du tricot", "tricot"),
    ("Je propose des cours de guitare", "cours de guitare"),
    ("Offre : de la couture", "couture"),
    ("je cherche de l'aide pour mon CV", "aide pour mon CV"),
    ("Offre : Dupont cuisine", "Dupont cuisine"),  # a word that begins like an article
    ("Offre : desserts maison", "desserts maison"),
    ("Demande : de Python", "de Python"),  # not a partitive
    ("Offre : du", "du"),  # nothing else: as written
])
def test_a_partitive_article_before_the_thing_goes(line, expected):
    assert title(line) == expected


@pytest.mark.parametrize("line, expected", [
    ("je souhaite apprendre l espagnol merci", "espagnol"),
    ("Demande : couture, merci !", "couture"),
    ("je cherche cours de tricot svp merci d'avance", "cours de tricot"),
    ("Demande : anglais s'il vous plaît, merci beaucoup", "anglais"),
    ("Demande : anglais s il vous plait", "anglais"),
    ("OFFRE : jardinage. Cordialement", "jardinage"),
    ("Demande : remercier ses collègues", "remercier ses collègues"),
    ("Demande : merci", "merci"),  # nothing left but the courtesy: kept as written
])
def test_courtesy_words_at_the_end_go(line, expected):
    assert title(line) == expected


def test_the_parsed_item_has_the_clean_title_and_the_same_intent():
    raw = member_mail("lina.petit@example.org", "je souhaite apprendre l espagnol merci", "Bonjour,\nLina")
    parsed = parse_message(raw, ParseOptions(network_address="rers@example.org"))
    assert parsed.intent == "demand"
    assert [(i.kind, i.title) for i in parsed.items] == [("demand", "espagnol")]

