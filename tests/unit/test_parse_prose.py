"""Offers and demands written as sentences, text after a field, and the text the parser
did not use (issue 15; protocol.md, "Fields")."""
from __future__ import annotations

import pytest

from workflows.mail.fields import read_fields
from workflows.mail.model import ParseOptions
from workflows.mail.parse import parse_message
from workflows.mail.prose import is_filler, prose_items, sentences


def parse(subject: str, body: str, sender: str = "Marie Dupont <marie.dupont@example.org>"):
    raw = (f"From: {sender}\nTo: rers@example.org\nSubject: {subject}\nDate: Mon, 7 Dec 2026 10:00:00 +0100\n"
           "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + body)
    return parse_message(raw.encode("utf-8"), ParseOptions(network_address="rers@example.org"))


@pytest.mark.parametrize("text, kind, title", [
    ("J'aimerais apprendre à faire un CV", "demand", "faire un CV"),
    ("je voudrais apprendre l'anglais pour trouver du travail", "demand", "anglais"),
    ("Je souhaiterais apprendre la couture le samedi matin", "demand", "couture"),
    ("J'ai besoin d'aide pour mes démarches en ligne (CAF, impôts).", "demand", "mes démarches en ligne"),
    ("Je cherche quelqu'un pour m'apprendre à coudre.", "demand", "coudre"),
    ("Je voudrais m'inscrire pour apprendre l'anglais.", "demand", "anglais"),
    ("J'aimerais savoir faire du pain", "demand", "faire du pain"),
    ("Moi, j'aimerais qu'on m'explique comment remplir ma déclaration", "demand", "remplir ma déclaration"),
    ("Je peux montrer comment réparer un vélo", "offer", "réparer un vélo"),
    ("je peux apprendre à tricoter une écharpe, même aux grands débutants.", "offer", "tricoter une écharpe"),
    ("Je peux donner des cours de guitare", "offer", "cours de guitare"),
    ("je peux aider à remplir les papiers de la CAF", "offer", "remplir les papiers de la CAF"),
    ("Je sais faire du pain", "offer", "faire du pain"),
    ("Moi, je sais coudre", "offer", "coudre"),
    ("J'aimerais partager ma passion pour la cuisine", "offer", "ma passion pour la cuisine"),
    ("Je peux réparer un vélo pour mes enfants", "offer", "réparer un vélo"),
])
def test_a_sentence_carries_an_item(text, kind, title):
    found = prose_items(text)
    assert [(item.kind, item.title) for item in found] == [(kind, title)]


@pytest.mark.parametrize("text", [
    "Je voudrais savoir si c'est gratuit",
    "Je voudrais savoir comment ça marche avant de m'inscrire.",
    "J'aimerais découvrir le réseau et rencontrer des gens.",
    "J'aimerais apprendre de nouvelles choses",
    "Je peux vous envoyer mon CV",
    "Je peux venir le lundi",
    "Je peux aider",
    "Je sais pas trop",
    "Je cherche un emploi depuis six mois",
    "Est-ce que je peux apprendre à coudre ?",  # a question, not a wish
])
def test_sentences_that_carry_no_item(text):
    assert prose_items(text) == []


def test_two_clauses_two_items():
    found = prose_items("Je peux montrer comment réparer un vélo et j'aimerais apprendre à faire un CV.")
    assert [(item.kind, item.title) for item in found] == [("offer", "réparer un vélo"), ("demand", "faire un CV")]
    assert found[0].used == "Je peux montrer comment réparer un vélo"


def test_kinds_are_filtered():
    assert prose_items("Je peux montrer comment réparer un vélo. J'aimerais apprendre à coudre.", ("demand",))[0].title \
        == "coudre"


def test_sentences_split_clauses():
    assert sentences("Bonjour. Je peux aider et j'aimerais apprendre.\nMerci !") == \
        ["Bonjour.", "Je peux aider", "et j'aimerais apprendre.", "Merci !"]


@pytest.mark.parametrize("sentence", ["Merci d'avance", "Voici mon offre :", "Bonne journée à vous", "Ok merci",
                                      "Je reste à votre disposition pour tout renseignement"])
def test_fillers(sentence):
    assert is_filler(sentence)


# Whole messages


def test_a_demand_in_a_sentence_with_a_subject_that_says_nothing():
    parsed = parse("Renseignement", "Bonjour,\nJ'aimerais apprendre à faire un CV. Je suis au chômage depuis 6 mois.")
    assert parsed.intent == "demand"
    assert [(item.title, item.description) for item in parsed.items] == \
        [("faire un CV", "Je suis au chômage depuis 6 mois.")]
    assert not parsed.unused_text  # the story went into the description


def test_the_keyword_may_be_in_the_second_sentence():
    parsed = parse("Bonjour", "Bonjour, je m'appelle Marie. J'aimerais apprendre à utiliser un tableur.")
    assert parsed.intent == "demand" and parsed.items[0].title == "utiliser un tableur"


def test_a_bare_offer_subject_takes_its_title_from_the_body_keyword():
    parsed = parse("OFFRE", "Bonjour,\nJe propose un atelier cuisine.\nMaison de quartier des Acacias\nle mardi à 14h")
    assert parsed.items[0].title == "un atelier cuisine"
    assert parsed.items[0].description == "Maison de quartier des Acacias le mardi à 14h"


def test_a_join_in_prose_carries_both_kinds_and_says_what_it_did_not_use():
    parsed = parse("Inscription", "Bonjour,\nJe voudrais m'inscrire. Je peux montrer comment réparer un vélo et "
                                  "j'aimerais apprendre à utiliser un tableur.\nEst-ce que c'est gratuit ?\nMerci")
    assert [(item.kind, item.title) for item in parsed.items] == [("offer", "réparer un vélo"),
                                                                   ("demand", "utiliser un tableur")]
    assert parsed.unused_text
    assert parsed.contract()["unused_text"] is True


@pytest.mark.parametrize("body", [
    "Bonjour,\nJe voudrais m'inscrire au réseau.\nNom : Marie Dupont\nMerci d'avance",
    "Nom : Marie Dupont\nOffre : Couture\n\nVoici mes informations.",
    "Bonjour,\n\nje souhaite adhérer.\n\nBonne journée",
])
def test_a_join_that_says_nothing_more_uses_all_its_text(body):
    assert not parse("Adhésion", body).unused_text


def test_fields_then_a_story_is_unused_text():
    parsed = parse("Adhésion", "Nom : Marie Dupont\nOffre : Couture\n\nJ'ai travaillé vingt ans dans la confection.")
    assert parsed.unused_text and parsed.items[0].title == "Couture"


def test_unused_text_is_only_said_of_joins_offers_and_demands():
    assert not parse("Aide", "Je ne comprends pas comment faire, pouvez-vous m'appeler ?").unused_text


# Text after a field, across a blank line (protocol.md, "Fields")


@pytest.mark.parametrize("after", ["Marie Dupont", "06 12 34 56 78", "Je joins mon CV.", "Merci beaucoup"])
def test_text_after_a_blank_line_is_not_the_fields(after):
    fields = read_fields(f"Disponibilités : le mardi\n\n{after}", "offer")
    assert fields.pending["availability"] == "le mardi"
    assert after.split()[0] in fields.free_text


def test_a_value_runs_on_until_a_blank_line():
    fields = read_fields("Savoir : Couture\nDisponibilités : le mardi\naprès-midi\n\nJe joins mon CV", "offer")
    assert fields.items[0].availability == "le mardi après-midi"
    assert fields.free_text == "Je joins mon CV"


def test_only_a_description_runs_on_over_blank_lines():
    fields = read_fields("Savoir : Couture\nDescription : ourlets\n\net boutons\n\nLieu : agence", "offer")
    assert fields.items[0].description == "ourlets\net boutons"
    assert fields.items[0].place == "agence"


def test_a_value_written_under_its_key_after_a_blank_line_is_not_glued():
    # protocol.md, "Fields": text after a blank line is the message's own text, never part
    # of the field above it — an empty key too; the animators read the line.
    for key, value in (("Nom", "Paul Henry"), ("Titre", "Couture"), ("Téléphone", "06 12 34 56 78")):
        fields = read_fields(f"{key} :\n\n{value}\n\nLieu : agence", "offer")
        assert (fields.member.name, fields.member.phone, fields.items) == (None, None, []), key
        assert value in fields.free_text
        assert fields.pending["place"] == "agence"


def test_a_value_on_the_line_under_its_key_is_its_value():
    fields = read_fields("Nom :\nPaul Henry\nTéléphone :\n06 12 34 56 78", None)
    assert fields.member.name == "Paul Henry" and fields.member.phone == "+33612345678"


def test_a_web_form_message_is_free_text():
    fields = read_fields("Nom : Paul Henry\nEmail : paul@example.net\nMessage : Je souhaite adhérer.\n"
                         "Je peux montrer comment réparer un vélo.", None)
    assert fields.member.name == "Paul Henry"
    assert "réparer un vélo" in fields.free_text
