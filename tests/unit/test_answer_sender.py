"""Answering the person who wrote (workflows.steps.speaking.answer_sender): the daily answer
limit (flood and loop safety) never silently swallows what a person has a right to —
their data, leaving, withdrawing an item: messages forged in their name can use up the
day's answers, then the animators get the request, once a day per address, and the
goodbye after an erasure is always sent; the counters cannot be checked against an
address; a name claimed for an address is used only once that address confirmed it."""
from __future__ import annotations

from membership_support import World, mail, reply, text_of
from support import ANIMATORS

ELISE = "elise.martin@example.com"


def confirmed_member(world):
    world.deliver(mail(ELISE, "ADHÉSION", "Nom : Élise Martin\nOffre : Couture\n"))
    world.deliver(reply(world.last(ELISE), ELISE, "OUI"))


def use_up_the_day(world):
    limit = world.settings.network.max_replies_per_day
    outcomes = [world.deliver(mail(ELISE, "AIDE", f"faux message {n}\n")) for n in range(limit)]
    assert outcomes[-1] == "handled: help withheld (daily limit)", "the log says nothing was sent"


def forwards(world, reason_words: str) -> list:
    return [m for m in world.mails(ANIMATORS[0]) if reason_words in " ".join(text_of(m).split())]


def test_a_withdrawal_withheld_by_the_limit_reaches_the_animators(tmp_path):
    world = World(tmp_path / "robot")
    confirmed_member(world)
    use_up_the_day(world)
    assert world.deliver(mail(ELISE, "RETRAIT", "")) == "handled: withdraw M-1: question withheld"
    (told,) = forwards(world, "Le robot a déjà répondu 5 fois aujourd'hui à cette adresse")
    assert "question : confirmer le départ" in " ".join(text_of(told).split())

    # Once a day per address: a flood does not become a flood to the animators.
    world.deliver(mail(ELISE, "MES DONNÉES", ""))
    assert len(forwards(world, "Le robot a déjà répondu")) == 1
    world.later(days=1)
    assert world.deliver(mail(ELISE, "RETRAIT", "")) == "handled: withdraw M-1: confirmation asked"


def test_my_data_withheld_by_the_limit_reaches_the_animators(tmp_path):
    world = World(tmp_path / "robot")
    confirmed_member(world)
    use_up_the_day(world)
    assert world.deliver(mail(ELISE, "MES DONNÉES", "")) == "handled: my_data: M-1 (withheld by the daily limit)"
    (told,) = forwards(world, "Le robot a déjà répondu")
    assert "ses données (MES DONNÉES)" in " ".join(text_of(told).split())
    assert not world.mails(ELISE, "my_data")


def test_the_goodbye_after_an_erasure_is_sent_whatever_the_day_s_count(tmp_path):
    world = World(tmp_path / "robot")
    confirmed_member(world)
    world.deliver(mail(ELISE, "RETRAIT", ""))
    question = world.last(ELISE)
    use_up_the_day(world)
    assert world.deliver(reply(question, ELISE, "OUI")) == "handled: withdraw M-1: erased"
    (goodbye,) = world.mails(ELISE, "withdraw_done")
    assert "effacé" in text_of(goodbye)


def test_the_day_s_counters_cannot_be_checked_against_an_address(tmp_path):
    import hashlib

    world = World(tmp_path / "robot")
    confirmed_member(world)
    keys = [doc["key"] for doc in world.store.replies.all()]
    assert keys and all(ELISE not in key for key in keys)
    plain = hashlib.sha256(ELISE.encode()).hexdigest()[:16]
    assert not any(plain in key for key in keys), "a plain hash of the address would tell who wrote"


def test_a_name_claimed_for_someone_else_s_address_is_not_used_to_write_to_them(tmp_path):
    world = World(tmp_path / "robot")
    animator = ANIMATORS[0]
    forged = mail("wordpress@site.example", "ADHÉSION", "Nom : Victime Forcée\n",
                  headers={"Reply-To": animator})
    assert world.deliver(forged).startswith("handled: join M-1")
    world.deliver(mail(animator, "AIDE", ""))
    assert "Victime" not in str(world.last(animator, "help")["To"])
