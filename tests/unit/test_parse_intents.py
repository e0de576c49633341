"""Subject prefixes and intent keywords (protocol.md, "Intents")."""
from __future__ import annotations

import pytest

from workflows.mail.intents import find_keyword, item_ref_in, strip_subject, title_from


@pytest.mark.parametrize("subject, stripped, forwarded", [
    ("Re: Offre", "Offre", False),
    ("RE : Offre", "Offre", False),
    ("TR: RE: Offre", "Offre", True),
    ("Fwd: Offre", "Offre", True),
    ("Réf : Offre", "Offre", False),
    ("RE\u00a0: [RERS] Offre", "Offre", False),
    ("[Site web] Adhésion au réseau", "Adhésion au réseau", False),
    ("Re: [RERS-ABCD2345] Confirmez", "Confirmez", False),
    ("AW: WG: Demande", "Demande", False),
    ("Re[2]: Aide", "Aide", False),
    ("", "", False),
])
def test_strip_subject(subject, stripped, forwarded):
    assert strip_subject(subject) == (stripped, forwarded)


@pytest.mark.parametrize("line, intent", [
    ("ADHÉSION", "join"), ("adhesion", "join"), ("Inscription", "join"), ("ADHÉRER", "join"), ("join", "join"),
    ("Demande d'adhésion", "join"), ("je voudrais m’inscrire au réseau", "join"), ("Je souhaite adhérer", "join"),
    ("OFFRE", "offer"), ("Offre : cours d'espagnol", "offer"), ("Je propose", "offer"), ("J'offre mon aide", "offer"),
    ("offer", "offer"), ("je voudrais proposer un savoir", "offer"),
    ("DEMANDE", "demand"), ("Je cherche quelqu'un", "demand"), ("Je souhaite apprendre", "demand"),
    ("REQUEST", "demand"), ("j’aimerais apprendre le russe", "demand"),
    ("RETRAIT", "withdraw"), ("Désinscription", "withdraw"), ("DESINSCRIPTION", "withdraw"), ("Quitter", "withdraw"),
    ("se désinscrire", "withdraw"), ("UNSUBSCRIBE", "withdraw"), ("Je veux me désinscrire", "withdraw"),
    ("Aide", "help"), ("HELP", "help"), ("?", "help"),
    ("CATALOGUE", "catalogue"), ("Liste", "catalogue"), ("Savoirs", "catalogue"),
    ("Mes données", "my_data"), ("MES DONNEES", "my_data"),
])
def test_keywords(line, intent):
    found = find_keyword(line)
    assert found is not None and found.intent == intent


@pytest.mark.parametrize("line, ref", [
    ("RETRAIT O-12", "O-12"), ("retrait d-7", "D-7"), ("CLÔTURER O-12", "O-12"), ("Cloturer O12", "O-12"),
    ("Retrait de mon offre O-3", "O-3"), ("RETRAIT 0-12", "O-12"), ("Demande de retrait D-4", "D-4"),
])
def test_withdraw_item(line, ref):
    found = find_keyword(line)
    assert found.intent == "withdraw_item" and found.item_ref == ref


def test_withdraw_of_an_item_without_reference_is_not_leaving_the_network():
    found = find_keyword("Retrait de mon offre")
    assert found.intent == "withdraw_item" and found.needs_ref


@pytest.mark.parametrize("line", [
    "Merci", "Je voulais vous remercier", "Savoir : Guitare", "Je ne comprends pas comment proposer un savoir",
    "Question sur mon offre", "Rencontre mensuelle", "", "Bonjour",
])
def test_no_keyword(line):
    assert find_keyword(line) is None


def test_title_after_keyword_as_written():
    assert title_from(find_keyword("Offre : conversation en espagnol, niveau débutant").rest) == \
        "conversation en espagnol, niveau débutant"
    assert title_from(find_keyword("OFFRE – Cours de cuisine").rest) == "Cours de cuisine"
    assert title_from(find_keyword("Demande de savoir : tricot").rest) == "tricot"
    assert title_from(find_keyword("DEMANDE").rest) == ""


def test_item_ref_in_text():
    assert item_ref_in("merci de retirer mon offre O-12 svp") == "O-12"
    assert item_ref_in("rien ici") is None
