"""Withdrawing an item, leaving the network, and the answers that must not count."""
from __future__ import annotations

import pytest

from membership_support import World, mail, reply, text_of, token_of
from support import ANIMATORS
from workflows.steps import questions
from workflows.shell.apply import run

ELISE = "elise.martin@example.com"
PACO = "paco.ruiz@example.net"
MALLORY = "mallory@example.net"


@pytest.fixture
def world(tmp_path):
    return World(tmp_path / "robot")


def member(world, address, name, body="Nom : {name}\nTéléphone : 06 11 22 33 44\nOffre : Rédiger un CV\n"):
    world.deliver(mail(address, "ADHÉSION", body.format(name=name), name=name))
    world.deliver(reply(world.last(address), address, "OUI"))
    return world.member(address)


def test_retrait_of_an_item_asks_then_closes_on_oui(world):
    member(world, ELISE, "Élise Martin")
    outcome = world.deliver(mail(ELISE, "RETRAIT O-1", "Je n'ai plus le temps.\n"))
    assert outcome == "handled: withdraw_item O-1: confirmation asked of M-1"
    question = world.last(ELISE)
    assert question.purpose == "question:withdraw_item" and "Rédiger un CV" in text_of(question)
    assert world.store.items.find_one("ref", "O-1")["status"] == "open"
    assert world.deliver(reply(question, ELISE, "oui")) == "handled: withdraw_item O-1: closed"
    item = world.store.items.find_one("ref", "O-1")
    assert item["status"] == "closed" and item["closed"]
    assert "est retirée" in text_of(world.last(ELISE))


def test_retrait_of_an_item_answered_non_keeps_it(world):
    member(world, ELISE, "Élise Martin")
    world.deliver(mail(ELISE, "CLÔTURER O-1", ""))
    assert world.deliver(reply(world.last(ELISE), ELISE, "Non")) == "handled: withdraw_item O-1: kept"
    assert world.store.items.find_one("ref", "O-1")["status"] == "open"


@pytest.mark.parametrize("ref", ["O-1", "O-99"])
def test_someone_elses_or_an_unknown_item_is_not_found_and_its_member_never_asked(world, ref):
    member(world, ELISE, "Élise Martin")
    member(world, PACO, "Paco Ruiz", body="Nom : {name}\n")
    before, elise_mails = world.snapshot(), len(world.mails(ELISE))
    outcome = world.deliver(mail(PACO, f"RETRAIT {ref}", ""))
    assert outcome == f"handled: withdraw_item {ref}: not found for the sender"
    refused = world.last(PACO)
    assert refused.purpose == "withdraw_item_refused" and "Élise" not in text_of(refused)
    assert len(world.mails(ELISE)) == elise_mails and world.snapshot() == before


def test_retrait_asks_then_oui_erases_everything_and_keeps_a_tombstone(world):
    member(world, ELISE, "Élise Martin")
    world.deliver(mail(ELISE, "DEMANDE : espagnol", ""))
    outcome = world.deliver(mail(ELISE, "RETRAIT", "Je quitte le réseau.\n"))
    assert outcome == "handled: withdraw M-1: confirmation asked"
    question = world.last(ELISE)
    assert "toutes vos données seront" in text_of(question) and "O-1 et D-1" in text_of(question)
    assert world.member(ELISE) is not None

    assert world.deliver(reply(question, ELISE, "Oui, je confirme")) == "handled: withdraw M-1: erased"
    store = world.store
    assert store.members.count() == 0 and store.items.count() == 0 and store.consents.count() == 0
    assert store.questions.count() == 0
    (tombstone,) = store.tombstones.all()
    assert tombstone == {"id": tombstone["id"], "kind": "member", "status": "confirmed", "joined": "2026-11",
                         "confirmed": "2026-11", "left": "2026-11-23", "reason": "withdrawn", "by": "member",
                         "animator": None, "offers": 1, "demands": 1, "contact": "email"}
    goodbye = world.mails(ELISE)
    assert [m.purpose for m in goodbye] == ["withdraw_done"] and goodbye[0].forget
    assert "toutes vos" in text_of(goodbye[0])
    assert "agenda" not in text_of(goodbye[0]), "she never asked for invitations"
    (notice,) = world.mails(ANIMATORS[0], "withdrawal_notice")
    assert "M-1 a quitté le réseau" in text_of(notice) and ELISE not in notice.as_string()
    # The answer is a second decision: replaying it finds nothing.
    assert world.deliver(reply(question, ELISE, "OUI")) == "handled: refused: unknown token"


def test_the_goodbye_of_a_member_who_got_invitations_says_the_events_stay_in_her_agenda(world):
    member(world, ELISE, "Élise Martin", body="Nom : {name}\nInvitations : oui\n")
    world.deliver(mail(ELISE, "RETRAIT", ""))
    assert world.deliver(reply(world.last(ELISE), ELISE, "OUI")) == "handled: withdraw M-1: erased"
    (goodbye,) = world.mails(ELISE, "withdraw_done")
    assert "déjà dans votre agenda y restent, mais ne seront plus mis à jour" in " ".join(text_of(goodbye).split())
    assert not world.mails(ELISE, "cancellation"), "the goodbye is the last mail"


def test_retrait_answered_non_changes_nothing(world):
    member(world, ELISE, "Élise Martin")
    world.deliver(mail(ELISE, "DÉSINSCRIPTION", ""))
    before = world.snapshot()
    assert world.deliver(reply(world.last(ELISE), ELISE, "non")) == "handled: withdraw M-1: kept"
    assert world.snapshot() == before and "vous restez membre" in text_of(world.last(ELISE))


def test_retrait_from_an_unknown_address_says_nothing_is_kept(world):
    assert world.deliver(mail(MALLORY, "RETRAIT", "")) == "handled: withdraw: not a member"
    answer = world.last(MALLORY)
    assert answer.purpose == "not_member" and answer.forget
    assert world.store.members.count() == 0


def test_an_unclear_answer_to_retrait_is_clarified_once(world):
    member(world, ELISE, "Élise Martin")
    world.deliver(mail(ELISE, "RETRAIT", ""))
    assert world.deliver(reply(world.last(ELISE), ELISE, "oui... enfin non")) == "handled: unclear: clarification asked"
    clarification = world.last(ELISE)
    assert "quitter le réseau" in text_of(clarification)
    assert world.deliver(reply(clarification, ELISE, "OUI")) == "handled: withdraw M-1: erased"


@pytest.mark.parametrize("words", ["Oui, je veux rester membre !", "oui mais je voudrais garder mes offres"])
def test_a_yes_that_says_more_than_yes_to_retrait_erases_nothing_and_is_clarified(world, words):
    member(world, ELISE, "Élise Martin")
    world.deliver(mail(ELISE, "RETRAIT", ""))
    before = world.snapshot()
    assert world.deliver(reply(world.last(ELISE), ELISE, words)) == "handled: unclear: clarification asked"
    assert world.snapshot() == before and world.member(ELISE) is not None
    clarification = world.last(ELISE)
    assert clarification.purpose == "question:withdraw"
    assert world.deliver(reply(clarification, ELISE, "non")) == "handled: withdraw M-1: kept"


def test_a_yes_that_says_more_than_yes_to_retrait_of_an_item_keeps_it(world):
    member(world, ELISE, "Élise Martin")
    world.deliver(mail(ELISE, "RETRAIT O-1", ""))
    assert world.deliver(reply(world.last(ELISE), ELISE, "Oui je préfère la garder")) == \
        "handled: unclear: clarification asked"
    assert world.store.items.find_one("ref", "O-1")["status"] == "open"
    assert world.deliver(reply(world.last(ELISE), ELISE, "OUI merci")) == "handled: withdraw_item O-1: closed"


# --- answers that must change nothing ------------------------------------------------------


@pytest.fixture
def victim(world):
    """Élise, confirmed, with a withdrawal question open; returns that question."""
    member(world, ELISE, "Élise Martin")
    world.deliver(mail(ELISE, "RETRAIT", ""))
    return world.last(ELISE)


def refused(world, raw, why):
    before, to_victim = world.snapshot(), len(world.mails(ELISE))
    assert world.deliver(raw) == f"handled: refused: {why}"
    assert world.snapshot() == before
    assert len(world.mails(ELISE)) == to_victim, "nothing is sent to the victim"
    assert world.mails(ANIMATORS[0], "refused_reply")
    assert not world.mails(purpose="question_closed"), "a possible forgery is never answered"


def told_closed(world, raw, why, words):
    """A late or second answer from the question's own address: nothing changes, the
    animators get it, and the person is told the question is closed, once a day."""
    before, to_elise = world.snapshot(), len(world.mails(ELISE))
    assert world.deliver(raw) == f"handled: refused: {why}"
    assert world.snapshot() == before and world.mails(ANIMATORS[0], "refused_reply")
    (note,) = world.mails(ELISE)[to_elise:]
    assert note.purpose == "question_closed" and words in " ".join(text_of(note).split())
    assert "une personne reviendra vers vous" in " ".join(text_of(note).split())
    assert world.deliver(raw.replace(b"Message-ID: <", b"Message-ID: <again.")) == f"handled: refused: {why}"
    assert len(world.mails(ELISE)) == to_elise + 1, "one such note a day"


def test_a_forged_oui_without_a_token_is_not_a_reply(world, victim):
    before = world.snapshot()
    raw = mail(ELISE, "Re: votre message", "OUI\n")  # no token, no References: "OUI" alone
    assert world.deliver(raw) == "handled: forwarded to the animators"
    assert world.snapshot() == before


def test_the_victims_token_from_another_address(world, victim):
    refused(world, reply(victim, MALLORY, "OUI"), "wrong address")


def test_a_used_token(world, victim):
    world.deliver(reply(victim, ELISE, "NON"))
    told_closed(world, reply(victim, ELISE, "OUI"), "already answered", "une réponse avait déjà été enregistrée")


def test_an_expired_token(world, victim):
    world.later(days=31)
    told_closed(world, reply(victim, ELISE, "OUI"), "expired", "le délai pour y répondre est passé")


def test_a_cancelled_question(world, victim):
    run(world.settings, world.store, world.now, questions.cancel_open, member="M-1")
    told_closed(world, reply(victim, ELISE, "OUI"), "cancelled", "elle a été annulée entre-temps")


def test_the_first_copy_of_a_question_asked_twice_once_the_second_is_answered(world, victim):
    world.deliver(mail(ELISE, "RETRAIT", ""))
    newer = world.last(ELISE)
    world.deliver(reply(newer, ELISE, "NON"))  # answers the question: its first mail stands for it
    world.later(days=1)  # today's answers to Élise are all spent
    told_closed(world, reply(victim, ELISE, "OUI"), "already answered", "une réponse avait déjà été enregistrée")


def test_a_token_of_another_question_cannot_act_on_someone_else(world, victim):
    member(world, MALLORY, "Mallory", body="Nom : {name}\nOffre : Serrurerie\n")
    world.deliver(mail(MALLORY, "RETRAIT O-2", ""))
    own = world.last(MALLORY)
    assert own.purpose == "question:withdraw_item"
    refused(world, reply(own, MALLORY, "POUR M-1 : OUI"), "wrong member")
    assert world.store.items.find_one("ref", "O-2")["status"] == "open"


def test_an_unknown_token(world, victim):
    raw = reply(victim, ELISE, "OUI", subject="Re: [RERS-ABCDEFGH] Quitter le réseau", style="bare")
    refused(world, raw, "unknown token")


def test_an_answer_to_a_join_question_by_a_third_party(world):
    world.deliver(mail(ELISE, "ADHÉSION", "Nom : Élise Martin\n"))
    question = world.last(ELISE)
    before = world.snapshot()
    assert world.deliver(reply(question, MALLORY, "OUI")) == "handled: refused: wrong address"
    assert world.snapshot() == before and world.member(ELISE)["status"] == "pending"
    assert world.store.consents.count() == 0


def test_a_forged_retrait_only_sends_the_victim_the_question(world):
    member(world, ELISE, "Élise Martin")
    before, count = world.snapshot(), len(world.mails(ELISE))
    world.deliver(mail(ELISE, "RETRAIT", "", name="Élise Martin"))  # written by Mallory, From forged
    assert world.snapshot() == before
    new = world.mails(ELISE)[count:]
    assert [m.purpose for m in new] == ["question:withdraw"] and token_of(new[0])
