"""An item's text fields are bounded when stored: a pasted document or a 200,000-character
subject does not become a title read in every list, subject and the public catalogue."""
from __future__ import annotations

from membership_support import World, mail, reply, text_of
from workflows.model.items import LIMITS, _bounded

ELISE = "elise.martin@example.com"


def test_a_long_text_is_cut_at_a_word_with_a_mark():
    text = "Apprendre " + "la couture à la main " * 20
    cut = _bounded(text, 150)
    assert len(cut) <= 150 and cut.endswith("…") and text.startswith(cut[:-1])
    assert not cut[:-1].endswith(" ") and text[len(cut) - 1] == " "
    assert _bounded("x" * 400, 150) == "x" * 149 + "…"
    assert _bounded("Couture", 150) == "Couture" and _bounded(None, 150) is None


def test_a_huge_subject_is_stored_as_a_bounded_title(tmp_path):
    world = World(tmp_path / "robot")
    world.deliver(mail(ELISE, "ADHÉSION", "Nom : Élise Martin\n"))
    world.deliver(reply(world.last(ELISE), ELISE, "OUI"))
    subject = "Offre " + "tricot " * 30000
    world.deliver(mail(ELISE, subject, "Description : " + "des mailles " * 1000))
    (item,) = world.store.items.all()
    assert len(item["title"]) <= LIMITS["title"] and item["title"].endswith("…")
    assert len(item["description"]) <= LIMITS["description"]
    answer = text_of(world.last(ELISE))
    assert len(answer) < 20_000
