"""MES DONNÉES, CATALOGUE, the versioned texts and every membership template."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from membership_support import World, mail, reply, text_of
from support import make_settings
from workflows.shell.resources import current_texts
from workflows.mail.render import BUILTIN_TEMPLATES, Renderer

ELISE = "elise.martin@example.com"
PACO = "paco.ruiz@example.net"


@pytest.fixture
def world(tmp_path):
    return World(tmp_path / "robot")


def confirmed(world, address, body):
    world.deliver(mail(address, "ADHÉSION", body))
    world.deliver(reply(world.last(address), address, "OUI"))


def test_mes_donnees_sends_everything_as_text_and_json_to_that_address_only(world):
    confirmed(world, ELISE, "Nom : Élise Martin\nTéléphone : 06 11 22 33 44\nOffre : Rédiger un CV\n")
    confirmed(world, PACO, "Nom : Paco Ruiz\nDemande : Espagnol\n")
    assert world.deliver(mail(ELISE, "Mes données", "")) == "handled: my_data: M-1"
    answer = world.last(ELISE)
    assert answer.purpose == "my_data" and answer.forget, "no copy of the export kept once sent"
    text = text_of(answer)
    assert "Nom : Élise Martin" in text and "Téléphone : 06 11 22 33 44" in text and "+336" not in text and "O-1 (offre, ouverte) : Rédiger un CV" in text
    assert "lundi 23 novembre 2026 : adhésion, accord par e-mail" in " ".join(text.split()) and "charte-v1" in text
    assert "Paco" not in text
    (attachment,) = answer.iter_attachments()
    assert attachment.get_filename() == "mes-donnees-M-1.json"
    data = json.loads(attachment.get_content())
    assert data["format"] == "rers-member-export/1" and data["member"]["address"] == ELISE
    assert [i["ref"] for i in data["items"]] == ["O-1"]
    assert data["consents"][0]["how"] == "mail" and data["consents"][0]["texts"]["charte"]["version"] == "charte-v1"
    assert "Paco" not in json.dumps(data) and "token_hash" not in json.dumps(data)


def test_mes_donnees_from_an_unknown_address_says_nothing_is_kept(world):
    assert world.deliver(mail(ELISE, "MES DONNEES", "")) == "handled: my_data: nothing stored"
    answer = world.last(ELISE)
    assert "ne garde aucune donnée" in text_of(answer) and not list(answer.iter_attachments())


def test_catalogue_lists_open_items_without_names_nor_contacts(world):
    confirmed(world, ELISE, "Nom : Élise Martin\nOffre : Guitare, appelez-moi au 06 11 22 33 44\n")
    confirmed(world, PACO, "Nom : Paco Ruiz\nDemande : Espagnol (paco.ruiz@example.net)\n")
    world.deliver(mail(ELISE, "OFFRE : Cuisine", ""))
    world.deliver(mail(ELISE, "RETRAIT O-2", ""))
    world.deliver(reply(world.last(ELISE), ELISE, "OUI"))
    world.deliver(mail("pending@example.org", "OFFRE : Secret", ""))  # held: not in the catalogue
    assert world.deliver(mail(PACO, "CATALOGUE", "")) == "handled: catalogue sent"
    text = text_of(world.last(PACO))
    assert "O-1 : Guitare, appelez-moi au [coordonnées masquées]" in text
    assert "D-1 : Espagnol ([coordonnées masquées])" in text
    assert "Cuisine" not in text and "Secret" not in text
    for secret in ("Élise", "Paco Ruiz", ELISE, PACO, "06 11", "+336"):
        assert secret not in text


@pytest.mark.parametrize("sender, expected", [("stranger@example.org", "réservé aux membres"),
                                              ("pending@example.org", "pas encore")])
def test_catalogue_is_for_confirmed_members(world, sender, expected):
    world.deliver(mail(ELISE, "OFFRE : Guitare", ""))
    if sender.startswith("pending"):
        world.deliver(mail(sender, "ADHÉSION", ""))
    assert world.deliver(mail(sender, "LISTE", "")) == "handled: catalogue: not a member"
    text = text_of(world.last(sender))
    assert expected in text and "Guitare" not in text


# --- versioned texts --------------------------------------------------------------------------


def test_current_texts_are_the_highest_version_and_an_override_is_told_apart(tmp_path):
    settings = make_settings(tmp_path / "a")
    texts = current_texts(settings)
    assert texts["charte"].version == "charte-v1" and texts["charte"].template == "textes/charte-v1.txt.j2"
    assert texts["confidentialite"].version == "confidentialite-v1"

    override = tmp_path / "mes-modeles"
    (override / "fr" / "textes").mkdir(parents=True)
    (override / "fr" / "textes" / "charte-v1.txt.j2").write_text("Notre charte à nous.\n", encoding="utf-8")
    (override / "fr" / "textes" / "confidentialite-v2.txt.j2").write_text("Version 2.\n", encoding="utf-8")
    settings = make_settings(tmp_path / "b", network=f'templates_dir = "{override}"')
    changed = current_texts(settings)
    assert changed["charte"].version == "charte-v1" and changed["charte"].sha256 != texts["charte"].sha256
    assert changed["confidentialite"].version == "confidentialite-v2"


# --- every template renders with its example data -----------------------------------------------

MINE = ("join_confirm", "join_done", "join_ack", "clarify", "proxy_question", "withdraw_item_confirm",
        "withdraw_item_done", "withdraw_item_refused", "withdraw_item_asked", "withdraw_confirm", "withdraw_done",
        "withdrawal_notice", "not_member", "my_data", "catalogue", "register_done", "help")


@pytest.mark.parametrize("name", MINE)
def test_template_renders_with_its_example(name):
    example = json.loads((BUILTIN_TEMPLATES / "examples" / f"{name}.json").read_text(encoding="utf-8"))
    context = {"network": {"name": "RERS de Souday", "address": "rers@example.org", "animators": [],
                           "permanence": {"weekday": "monday", "start": "2026-01-05T09:00:00",
                                          "end": "2026-01-05T12:00:00", "place": ""}},
               "now": datetime(2026, 11, 23, 9, tzinfo=timezone.utc), **example}
    rendered = Renderer("fr").render(name, context)
    assert rendered.subject and "\n" not in rendered.subject and rendered.text.strip()
    assert "{{" not in rendered.text and "{%" not in rendered.text


def test_every_text_version_file_is_plain_and_safe_in_html():
    for path in (BUILTIN_TEMPLATES / "fr" / "textes").iterdir():
        text = path.read_text(encoding="utf-8")
        assert "<" not in text and "&" not in text, path  # included as is in the HTML part
        assert max(len(line) for line in text.splitlines()) <= 76, path
    assert Path(BUILTIN_TEMPLATES / "fr" / "textes" / "charte-v1.txt.j2").exists()


def test_mes_donnees_says_where_each_introduction_stands_in_french(world):
    confirmed(world, ELISE, "Nom : Élise Martin\nOffre : Cours d'espagnol\n")
    confirmed(world, PACO, "Nom : Paco Ruiz\nDemande : Apprendre l'espagnol\n")
    assert world.store.introductions.find_one("ref", "MR-1")["status"] == "proposed"
    world.deliver(mail(ELISE, "Mes données", ""))
    text = text_of(world.last(ELISE, "my_data"))
    assert "- MR-1 : proposée" in text and "proposed" not in text


def test_my_data_is_said_in_the_network_s_language(tmp_path):
    world = World(tmp_path / "robot", network='language = "en"')
    confirmed(world, ELISE, "Nom : Élise Martin\nOffre : Cours d'espagnol\n")
    world.deliver(mail(ELISE, "MES DONNÉES", ""))
    answer = world.last(ELISE, "my_data")
    text = " ".join(text_of(answer).split())
    assert "Name: Élise Martin" in text and "O-1 (offer, open): Cours d'espagnol" in text
    assert "Monday 23 November 2026: joining, given by e-mail" in text
    assert "Nom" not in text and "adhésion" not in text and "ouverte" not in text
    html = answer.get_body(("html",)).get_content()
    assert "Élise Martin" in html and "Cours d&#39;espagnol" in html


@pytest.mark.parametrize("language,understood,purpose", [
    ("fr", "Ce que le robot a compris : réponse à une question du robot",
     "pas pu envoyer un message (accusé de réception d'offre ou de demande)"),
    ("en", "What the robot understood: answer to a question of the robot",
     "could not send a message (offer or request received)"),
])
def test_the_animators_read_the_robot_s_own_names_in_their_language(tmp_path, language, understood, purpose):
    from workflows.shell.templating import example, renderer_for

    settings = make_settings(tmp_path / "robot")
    now = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)
    renderer = renderer_for(settings, language)
    forward = renderer.render("forward_animators", {**example("forward_animators", settings, now, language),
                                                    "intent": "reply"})
    assert understood in forward.text and understood.split(": ")[-1].split(" : ")[-1] in forward.html
    failure = renderer.render("send_failure", example("send_failure", settings, now, language))
    assert purpose in " ".join(failure.text.split()) and "items_ack" not in failure.text + failure.html


def test_a_phone_sent_alone_is_said_back_and_a_name_change_is_said_to_go_to_the_animators(world):
    confirmed(world, ELISE, "Nom : Élise Martin\n")
    outcome = world.deliver(mail(ELISE, "Mon numéro", "Bonjour,\nTéléphone : 06 98 76 54 32\nMerci\n"))
    assert outcome.startswith("handled: preferences M-1: phone"), outcome
    text = " ".join(text_of(world.last(ELISE)).split())
    assert "- Téléphone : 06 98 76 54 32." in text
    world.deliver(mail(ELISE, "Mon nom", "Nom : Élise Durand\n"))
    text = " ".join(text_of(world.last(ELISE)).split())
    assert "- Nom : c'est un changement de ce que le réseau connaît de vous" in text


def test_mes_donnees_says_which_items_are_shared_with_neighbouring_networks(world):
    confirmed(world, ELISE, "Nom : Élise Martin\nOffre : Rédiger un CV\n")
    world.deliver(mail(ELISE, "OFFRE : Couture", "Réseaux voisins : oui\n"))
    world.deliver(mail(ELISE, "Mes données", ""))
    answer = world.last(ELISE)
    text = " ".join(text_of(answer).split())
    assert "O-2 (offre, ouverte) : Couture Partagé avec les réseaux voisins" in text
    assert text.count("Partagé avec les réseaux voisins") == 1, "O-1 is not shared"
    (attachment,) = answer.iter_attachments()
    assert [(i["ref"], i["shared"]) for i in json.loads(attachment.get_content())["items"]] == [("O-1", None),
                                                                                                ("O-2", True)]
