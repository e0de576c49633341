"""One rule for names written to people (issue 15): each word written all in capitals or
all in small letters gets a capital initial, accents kept; a word with a case of its own
is written as typed. A member is greeted by the first name they gave as such, else by the
one their name tells (« BERNARD Léa »: read_first_name), else by their whole name, in every
mail. What is stored does not change."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from support import make_settings
from workflows.mail.first_names import first_name
from workflows.mail.render import Renderer
from workflows.mail.labels import readable_name
from workflows.shell.templating import example

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("written, readable", [
    ("LINA PETIT", "Lina Petit"),
    ("JEAN-LUC MARTIN", "Jean-Luc Martin"),
    ("MARIE DE LA FONTAINE", "Marie de La Fontaine"),
    ("PIERRE DU PONT", "Pierre du Pont"),
    ("ANNE D'ALMEIDA", "Anne d'Almeida"),
    ("ANNE D’ALMEIDA", "Anne d’Almeida"),
    ("AMINATA N'DIAYE", "Aminata N'Diaye"),
    ("ÉLODIE LEFÈVRE", "Élodie Lefèvre"),
    ("DE GAULLE", "De Gaulle"),  # the first word is capitalised whatever it is
    ("LINA", "Lina"),
    ("Lina PETIT", "Lina Petit"),  # a surname in capitals, as the French write it
    ("lina petit", "Lina Petit"),
    ("aïcha diallo", "Aïcha Diallo"),
    ("aïcha DIALLO", "Aïcha Diallo"),
    ("GÉRARD DUVAL", "Gérard Duval"),
    ("Gérard DUVAL", "Gérard Duval"),
    ("jean-luc de la fontaine", "Jean-Luc de La Fontaine"),
    ("ana da silva", "Ana da Silva"),
    ("Marie LeBlanc", "Marie LeBlanc"),  # a case of its own: as typed
    ("Sean McDONALD", "Sean McDONALD"),
    ("Jean-Luc de La Fontaine", "Jean-Luc de La Fontaine"),
    ("M-12", "M-12"),
    ("", ""),
    (None, None),
])
def test_readable_name(written, readable):
    assert readable_name(written) == readable


def test_first_name_is_readable_too():
    # Issue 14: all in capitals, either word may be the surname: no first name is guessed;
    # one given as such, or told by the capitals, comes back readable.
    assert first_name("LINA PETIT") is None and first_name("LINA PETIT", "LINA") == "Lina"
    assert first_name("JEAN-LUC MARTIN", "JEAN-LUC") == "Jean-Luc"
    assert first_name("Lina PETIT") == "Lina"
    assert first_name("PETIT, LINA") == "Lina"


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return make_settings(tmp_path_factory.mktemp("names"))


GREETED = ["join_ack", "join_confirm", "items_ack", "withdraw_confirm", "withdraw_item_confirm", "preferences_done",
           "introduction_consent", "introduction_bilan"]


@pytest.mark.parametrize("language, hello", [("fr", "Bonjour"), ("en", "Hello")])
@pytest.mark.parametrize("name", GREETED)
@pytest.mark.parametrize("written, given, greeted", [
    ("LINA PETIT", None, "Lina Petit"),
    ("aïcha diallo", None, "Aïcha Diallo"),
    ("Dupont Marie", None, "Dupont Marie"),  # never a guessed first name: either word may be the surname
    ("LINA PETIT", "LINA", "Lina"),  # the first name she gave as such
    ("BERNARD Léa", None, "Léa"),  # the capitals tell the surname, as read_first_name reads them
    ("Dupont, Marie", None, "Marie"),  # so does a comma
])
def test_every_greeting_follows_one_rule(settings, language, hello, name, written, given, greeted):
    context = example(name, settings, NOW, language)
    context["member"] = {**context["member"], "name": written, "first_name": given}
    rendered = Renderer(language).render(name, context)
    expected = f"{hello} {greeted},"
    assert rendered.text.startswith(expected), rendered.text[:60]
    assert expected in rendered.html


@pytest.mark.parametrize("name", ["invitation", "cancellation", "event_reminder"])
def test_calendar_greetings_in_capitals_are_readable(settings, name):
    context = example(name, settings, NOW, "fr")
    context["recipient"] = {**context["recipient"], "name": "LINA PETIT"}
    assert Renderer("fr").render(name, context).text.startswith("Bonjour Lina Petit,")


def test_join_done_greets_readably(settings):
    context = example("join_done", settings, NOW, "fr")
    context.update(confirmed=True, member={**context["member"], "name": "LINA PETIT"})
    assert Renderer("fr").render("join_done", context).text.startswith("Bonjour Lina Petit,")
