"""Yes / no / unclear from the reply's own text (protocol.md, "Replies")."""
from __future__ import annotations

import pytest

from workflows.mail.answers import read_answer


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
