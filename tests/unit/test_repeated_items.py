"""The same item written again is recorded once: twice in one message (a forged mail of
20,000 « DEMANDE : truc » lines is one demand, not ten), or again while the member's
item is still open (the answer says « vous l'avez déjà proposé : O-1 »)."""
from __future__ import annotations

from membership_support import START, World, mail, reply, text_of
from workflows.mail.model import Item
from workflows.model.items import without_repeats

ELISE = "elise.martin@example.com"


def confirmed(tmp_path) -> World:
    world = World(tmp_path / "robot")
    world.deliver(mail(ELISE, "ADHÉSION", "Nom : Élise Martin\n"))
    world.deliver(reply(world.last(ELISE), ELISE, "OUI"))
    return world


def test_repeats_are_kept_once_and_those_already_held_returned():
    held = [{"ref": "O-3", "kind": "offer", "title": "Tricot", "status": "open"}]
    written = [Item(kind="demand", title="truc"), Item(kind="demand", title="TRUC "),
               Item(kind="offer", title="tricot"), Item(kind="offer", title="Trùc"), Item(kind="offer", title="Tricot")]
    fresh, again = without_repeats(written, held)
    assert [(i.kind, i.title) for i in fresh] == [("demand", "truc"), ("offer", "Trùc")]
    assert [d["ref"] for d in again] == ["O-3"]


def test_twenty_thousand_identical_demands_in_one_message_are_one(tmp_path):
    world = confirmed(tmp_path)
    world.deliver(mail(ELISE, "demandes", "DEMANDE : truc\n" * 20_000))
    (item,) = world.store.items.all()
    assert (item["ref"], item["title"], item["kind"]) == ("D-1", "truc", "demand")
    answer = world.last(ELISE)
    assert "trop de savoirs" not in text_of(answer).lower()
    assert not world.mails(purpose="too_many_items")


def test_an_item_the_member_has_open_is_not_recorded_again(tmp_path):
    world = confirmed(tmp_path)
    world.deliver(mail(ELISE, "OFFRE : tricot", "Je peux apprendre le tricot.\n"))
    (first,) = world.store.items.all()
    world.deliver(mail(ELISE, "offre : Tricot", "Je propose toujours le tricot.\n", date=START.replace(hour=12)))
    assert [i["ref"] for i in world.store.items.all()] == [first["ref"]]
    answer = world.last(ELISE)
    text = " ".join(text_of(answer).split())
    assert f"Vous l'avez déjà proposé : {first['ref']} « {first['title']} »" in text, text
    assert "Nous avons enregistré" not in text
    assert answer["Subject"].startswith(f"Bien reçu : {first['ref']}")


def test_a_new_item_beside_a_repeated_one_is_recorded_and_both_said(tmp_path):
    world = confirmed(tmp_path)
    world.deliver(mail(ELISE, "OFFRE : tricot", "Je peux apprendre le tricot.\n"))
    world.deliver(mail(ELISE, "demandes", "DEMANDE : espagnol\nOFFRE : tricot\n",
                       date=START.replace(hour=12)))
    refs = sorted(i["ref"] for i in world.store.items.all())
    assert refs == ["D-1", "O-1"]
    text = " ".join(text_of(world.last(ELISE)).split())
    assert "Nous avons enregistré" in text and "D-1" in text and "Vous l'avez déjà proposé : O-1" in text, text
