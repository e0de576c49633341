"""Yes / no / unclear from the reply's own text (protocol.md, "Replies")."""
from __future__ import annotations

import pytest

from workflows.mail.answers import plain_yes, read_answer


@pytest.mark.parametrize("text", [
    "OUI", "Oui !", "oui merci", "OK", "D'accord", "D’accord, merci !", "J'accepte", "Je confirme",
    "Validé", "Je valide", "Approuvé", "Yes", "Y", "👍", "oui bien sûr, avec plaisir", "ok pour moi",
    "OUI JE CONFIRME", "Bonjour,\n\nOui je suis d'accord\n\nMerci", "Pas de souci", "Oui, pas de problème",
    "POUR M-14 : OUI", "volontiers",
])
def test_yes(text):
    assert read_answer(text) == "yes"


@pytest.mark.parametrize("text", [
    "NON", "Non merci", "Je refuse", "Refusé", "Pas intéressé", "Pas intéressée", "No", "N",
    "non merci pas pour l'instant", "pas d'accord", "Bonjour,\nnon, je ne souhaite pas.", "POUR M-3 : NON",
])
def test_no(text):
    assert read_answer(text) == "no"


@pytest.mark.parametrize("text", [
    "je ne sais pas encore", "oui… enfin non", "oui... enfin non, je ne sais plus.", "peut-être",
    "Merci", "", "Bonjour,", "Je vais réfléchir", "oui ou non, je ne sais pas",
])
def test_unclear(text):
    assert read_answer(text) == "unclear"


def test_single_letters_count_only_alone():
    assert read_answer("n'importe quoi") == "unclear"
    assert read_answer("il y a du monde") == "unclear"


def test_only_the_first_lines_are_read():
    text = "Oui\n" + "\n".join(f"ligne {i}" for i in range(10)) + "\nnon, ce n'est pas ce que je voulais dire"
    assert read_answer(text) == "yes"


# --- a plain yes (what leaving the network or withdrawing an item needs) -------------------


@pytest.mark.parametrize("text", [
    "oui", "OUI", "OUI merci", "oui je confirme", "Oui, je confirme.", "d'accord", "D’accord, merci !", "ok",
    "OK pour moi", "je confirme", "Confirmé", "👍", "👍🏻", "✅", "POUR M-14 : OUI",
    "Bonjour,\n\nOui, merci beaucoup !\n\nBonne journée", "Bonjour Madame,\nOUI\nCordialement",
    "Merci !\nOui", "Oui je confirme mon retrait", "oui, bien sûr",
])
def test_plain_yes(text):
    assert plain_yes(text)
    assert read_answer(text) == "yes"


@pytest.mark.parametrize("text", [
    "Oui, je veux rester membre !", "oui je veux rester", "oui mais je voudrais garder mes offres",
    "Oui mais pas tout de suite", "oui… enfin non", "Je veux bien oui", "oui 😡", "O", "Y",
    "oui si vous gardez mon offre", "Non", "", "Merci", "Bonjour,",
])
def test_anything_more_than_a_plain_yes_is_not_one(text):
    assert not plain_yes(text)
