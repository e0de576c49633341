"""``Key : value`` fields (protocol.md, "Fields")."""
from __future__ import annotations

import pytest

from workflows.mail.fields import (
    contact, field_key, happened_in_text, modality, only_preferences, phone, read_fields, yes_no)


@pytest.mark.parametrize("line, key", [
    ("Nom : X", "name"), ("NOM: X", "name"), ("Prénom et nom : X", "name"), ("Nom complet : X", "name"),
    ("Name: X", "name"), ("Téléphone : 06", "phone"), ("Tél : 06", "phone"), ("Tel\u00a0: 06", "phone"),
    ("Portable : 06", "phone"), ("Phone: 06", "phone"), ("Savoir : X", "title"), ("Titre : X", "title"),
    ("Sujet : X", "title"), ("Thème : X", "title"), ("Compétence : X", "title"), ("Description : X", "description"),
    ("Détails : X", "description"), ("Précisions : X", "description"), ("Modalité : X", "modality"),
    ("Format : X", "modality"), ("Forme : X", "modality"), ("Disponibilités : X", "availability"),
    ("Disponibilité(s) : X", "availability"), ("Quand : X", "availability"), ("Horaires : X", "availability"),
    ("Lieu : X", "place"), ("Où : X", "place"), ("Contact : X", "contact"), ("Mise en relation : X", "contact"),
    ("Me contacter par : X", "contact"), ("Invitations : oui", "invitations"), ("Agenda : oui", "invitations"),
    ("Calendrier : non", "invitations"), ("Offre : X", "offer_item"), ("Demande : X", "demand_item"),
    ("Échange réalisé : oui", "happened"), ("Intérêt : X", "interest"), ("Freins : X", "obstacles"),
    ("Éléments facilitants : X", "facilitators"), ("- Lieu : X", "place"), ("**Lieu :** X", "place"),
    ("Email : a@b.c", "other"),
])
def test_field_keys(line, key):
    assert field_key(line)[0] == key


@pytest.mark.parametrize("line", ["Dispnibilités : lundi", "Bonjour : toi", "Il est 10:30", "pas de clé"])
def test_unknown_keys(line):
    assert field_key(line) is None


def test_multi_line_values_and_several_items():
    text = ("Savoir : Guitare\nDescription : Je joue depuis\ntrente ans.\n\nSurtout le blues.\n"
            "Modalité : gré à gré\nDispnibilités : lundi\nSavoir : Chant\nModalité : groupe de parole\nLieu : salle")
    fields = read_fields(text, "offer")
    first, second = fields.items
    assert first.title == "Guitare"
    assert first.description == "Je joue depuis trente ans.\nSurtout le blues."
    assert first.modality == "one_to_one"
    assert (second.title, second.modality, second.place) == ("Chant", "talking_group", "salle")


def test_fields_before_the_first_title_go_to_the_first_item():
    fields = read_fields("Disponibilités : lundi\nSavoir : Couture\nSavoir : Tricot", "demand")
    assert [item.availability for item in fields.items] == ["lundi", None]


def test_value_on_the_next_line():
    fields = read_fields("Savoir :\nCouture\nLieu :\n  agence", "offer")
    assert (fields.items[0].title, fields.items[0].place) == ("Couture", "agence")


def test_title_continuation_becomes_description():
    fields = read_fields("Savoir : Couture\nà la machine, pour débutants", "offer")
    assert fields.items[0].title == "Couture"
    assert fields.items[0].description == "à la machine, pour débutants"


def test_savoir_lines_start_no_item_without_a_kind():
    assert read_fields("Savoir : Couture", None).items == []


def test_first_and_last_name_are_joined():
    assert read_fields("Prénom : Aïcha\nNom : Benali", None).member.name == "Aïcha Benali"
    assert read_fields("Nom : Benali\nPrénom : Aïcha", None).member.name == "Aïcha Benali"
    assert read_fields("Nom : Aïcha Benali\nPrénom : Aïcha", None).member.name == "Aïcha Benali"


def test_bilan_fields():
    bilan = read_fields("Échange réalisé : en cours\nIntérêt : beaucoup\nFreins : le bus", None).bilan
    assert (bilan.happened, bilan.interest, bilan.obstacles, bilan.facilitators) == ("ongoing", "beaucoup", "le bus", None)
    assert read_fields("Échange réalisé : non", None).bilan.happened == "no"
    assert read_fields("Échange réalisé : oui", None).bilan.happened == "yes"
    assert read_fields("Bonjour", None).bilan is None


@pytest.mark.parametrize("value, expected", [
    ("gré à gré", "one_to_one"), ("individuel", "one_to_one"), ("en tête-à-tête", "one_to_one"),
    ("EN TETE A TETE", "one_to_one"), ("collectif", "group"), ("en groupe", "group"), ("atelier", "group"),
    ("échange de pratiques", "practice_exchange"), ("groupe de parole", "talking_group"),
    ("individuel ou en groupe", "one_to_one"), ("je ne sais pas", None),
])
def test_modality(value, expected):
    assert modality(value) == expected


@pytest.mark.parametrize("value, expected", [
    ("email", "email"), ("par mail", "email"), ("courriel", "email"), ("E-mail", "email"),
    ("téléphone", "phone"), ("par tél", "phone"), ("SMS", "phone"), ("permanence", "permanence"),
    ("à la permanence du lundi", "permanence"), ("PERMANENCE", "permanence"), ("pigeon", None),
])
def test_contact(value, expected):
    assert contact(value) == expected


@pytest.mark.parametrize("value, expected", [
    ("06 39 98 12 34", "+33639981234"), ("06.39.98.12.34", "+33639981234"), ("+33 6 39 98 12 34", "+33639981234"),
    ("0033 6 39 98 12 34", "+33639981234"), ("0639981234", "+33639981234"), ("01 99 00 45 67", "+33199004567"),
    ("pas de téléphone", "pas de téléphone"), ("", None),
])
def test_phone(value, expected):
    assert phone(value) == expected


@pytest.mark.parametrize("value, expected", [("oui", True), ("Oui merci", True), ("non", False), ("NON", False),
                                             ("peut-être", None)])
def test_yes_no(value, expected):
    assert yes_no(value) is expected


# --- whether a bilan's exchange happened, from free text ------------------------------------


@pytest.mark.parametrize("text,expected", [
    ("Finalement on ne s'est pas vus.", "no"),
    ("L'échange n'a pas eu lieu", "no"),
    ("on n'a pas pu se voir", "no"),
    ("Elle n'a jamais répondu.", "no"),
    ("Il ne m'a jamais rappelé", "no"),
    ("Nous ne nous sommes jamais rencontrées", "no"),
    ("On n’a pas réussi à se voir, nos horaires ne collaient pas", "no"),
    ("Pas de nouvelles de sa part", "no"),
    ("On s'est vus trois fois, c'était très bien.", "yes"),
    ("Ça s'est très bien passé, merci !", "yes"),
    ("Nous avons fait 4 séances chez elle", "yes"),
    ("J'ai beaucoup appris", "yes"),
    ("L'échange a bien eu lieu.", "yes"),
    ("C'était très bien, nous continuons le mardi.", "ongoing"),
    ("Pas encore, on se voit la semaine prochaine", "ongoing"),
    ("C'est en cours", "ongoing"),
    ("On ne s'est pas encore vus", "ongoing"),
])
def test_a_free_text_bilan_says_whether_the_exchange_happened(text, expected):
    assert happened_in_text(text) == expected


@pytest.mark.parametrize("text", [
    "", "Oui", "Non", "Merci pour votre message", "Je ne sais pas", "Ça ne s'est pas très bien passé",
    "On s'est vus une fois, puis elle n'a jamais répondu",
])
def test_a_free_text_bilan_that_is_unsure_says_nothing(text):
    assert happened_in_text(text) is None


# --- a message of preferences alone ------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "Invitations : non", "Bonjour,\nInvitations : non\nMerci", "Invitations : Non merci !", "Agenda : oui",
    "Contact : téléphone", "Contact : par e-mail svp", "Invitations : oui\nContact : permanence",
])
def test_only_preferences(text):
    assert only_preferences(text)


@pytest.mark.parametrize("text", [
    "", "Merci", "Invitations : oui mais seulement les ateliers", "Invitations : non\nTél : 06 12 34 56 78",
    "Nom : Marie Martin\nInvitations : non", "Je ne viendrai plus.\nInvitations : non", "Invitations : peut-être",
    "Contact : mon voisin", "OFFRE : tricot\nInvitations : oui",
])
def test_anything_more_than_preferences(text):
    assert not only_preferences(text)
