"""Animator commands and their French dates (protocol.md, "Animator commands")."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from workflows.mail.animator_commands import read_command

REFERENCE = datetime(2026, 12, 1, 8, 30, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.mark.parametrize("line, day", [
    ("PERMANENCE ANNULÉE 2026-12-07", "2026-12-07"),
    ("PERMANENCE ANNULÉE 07/12/2026", "2026-12-07"),
    ("permanence annulee 7/12/26", "2026-12-07"),
    ("PERMANENCE ANNULÉE lundi 7 décembre", "2026-12-07"),
    ("Permanence annulée le 7 déc.", "2026-12-07"),
    ("PERMANENCE ANNULÉE 07/12", "2026-12-07"),
    ("PERMANENCE ANNULÉE 1er décembre", "2026-12-01"),   # the same day counts
    ("PERMANENCE ANNULÉE 30 novembre", "2027-11-30"),    # already past: next year
    ("PERMANENCE ANNULÉE 4 janvier", "2027-01-04"),
    ("Annulation permanence 14/12/2026", "2026-12-14"),
    ("PERMANENCE ANNULÉE demain", "2026-12-02"),          # left to dateparser
])
def test_cancel_permanence(line, day):
    assert read_command(line, REFERENCE) == {"name": "cancel_permanence", "date": day}


def test_cancel_permanence_with_an_unreadable_date_keeps_the_command():
    assert read_command("PERMANENCE ANNULÉE 30/02/2027", REFERENCE) == {"name": "cancel_permanence", "date": None}


def test_meeting():
    assert read_command("RENCONTRE 2027-01-14 14:00-16:00 Salle du Havre", REFERENCE) == {
        "name": "meeting", "date": "2027-01-14", "start": "14:00", "end": "16:00",
        "place": "Salle du Havre", "title": None,
    }


def test_workshop():
    assert read_command("ATELIER Initiation au tableur 2027-01-20 10:00-12:00 Médiathèque", REFERENCE) == {
        "name": "workshop", "date": "2027-01-20", "start": "10:00", "end": "12:00",
        "place": "Médiathèque", "title": "Initiation au tableur", "offer": None, "group": None,
    }


def test_workshop_in_words():
    command = read_command("Atelier cuisine le 14 janvier de 14h à 16h30 à la salle des fêtes", REFERENCE)
    assert command["title"] == "cuisine"
    assert (command["date"], command["start"], command["end"]) == ("2027-01-14", "14:00", "16:30")
    assert command["place"] == "la salle des fêtes"


def test_meeting_without_a_date_is_not_a_command():
    assert read_command("Rencontre mensuelle de janvier : merci", REFERENCE) is None


@pytest.mark.parametrize("line", ["MISE EN RELATION O-12 D-7", "mise en relation D-7 O-12", "MISE EN RELATION O12 D7"])
def test_introduce(line):
    assert read_command(line, REFERENCE) == {"name": "introduce", "offer": "O-12", "demand": "D-7"}


def test_introduce_needs_both_items():
    assert read_command("MISE EN RELATION O-12", REFERENCE) is None


def test_report_and_register():
    assert read_command("STATISTIQUES", REFERENCE) == {"name": "report"}
    assert read_command("ADHÉSION POUR Mme Durand", REFERENCE) == {"name": "register", "consent": None}


@pytest.mark.parametrize("line", ["Bonjour", "Offre", "Permanence de lundi", ""])
def test_not_commands(line):
    assert read_command(line, REFERENCE) is None
