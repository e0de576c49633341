"""Asking again what is already asked: at most one open question per kind, address and
subject. The question is sent again (as Mailman sends its confirmation again); every
mail of it may be answered, and the first answer decides once."""
from __future__ import annotations

from membership_support import World, mail, reply, token_of

ELISE = "elise.martin@example.com"


def member(tmp_path) -> World:
    world = World(tmp_path / "robot")
    world.deliver(mail(ELISE, "ADHÉSION", "Nom : Élise Martin\nOffre : Rédiger un CV\n", name="Élise Martin"))
    world.deliver(reply(world.last(ELISE), ELISE, "OUI"))
    world.later(days=1)
    return world


def open_questions(world: World, kind: str) -> list[dict]:
    return [q for q in world.store.questions.find("address", ELISE) if q["status"] == "open" and q["kind"] == kind]


def test_eight_retrait_in_one_cycle_leave_one_open_question(tmp_path):
    world = member(tmp_path)
    for _ in range(8):
        world.deliver(mail(ELISE, "RETRAIT", ""))
    assert len(open_questions(world, "withdraw")) == 1
    sent = world.mails(ELISE, "question:withdraw")
    assert 1 <= len(sent) <= world.settings.network.max_replies_per_day
    assert len({token_of(m) for m in sent}) == len(sent)
    # Any copy answers the one question; the first answer decides.
    assert world.deliver(reply(sent[0], ELISE, "NON")) == "handled: withdraw M-1: kept"
    assert not open_questions(world, "withdraw")
    assert world.deliver(reply(sent[-1], ELISE, "OUI")) == "handled: refused: already answered"
    assert world.member(ELISE)["status"] == "confirmed"


def test_the_latest_copy_answers_too_and_keeps_the_first_deadline(tmp_path):
    world = member(tmp_path)
    world.deliver(mail(ELISE, "RETRAIT O-1", ""))
    (first,) = open_questions(world, "withdraw_item")
    world.later(days=2)
    world.deliver(mail(ELISE, "RETRAIT O-1", ""))
    (again,) = open_questions(world, "withdraw_item")
    assert again["expires"] == first["expires"], "asking again does not extend the question"
    latest = world.last(ELISE, "question:withdraw_item")
    assert world.deliver(reply(latest, ELISE, "oui")) == "handled: withdraw_item O-1: closed"


def test_different_subjects_are_different_questions(tmp_path):
    world = member(tmp_path)
    world.deliver(mail(ELISE, "OFFRE : Tricot", ""))
    world.deliver(mail(ELISE, "RETRAIT O-1", ""))
    world.deliver(mail(ELISE, "RETRAIT O-2", ""))
    world.deliver(mail(ELISE, "RETRAIT", ""))
    assert sorted(q["subject_ref"] for q in open_questions(world, "withdraw_item")) == ["O-1", "O-2"]
    assert len(open_questions(world, "withdraw")) == 1
