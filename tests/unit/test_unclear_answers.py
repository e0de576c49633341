"""Unclear answers: one clarification, then the animators; the question stays open until
its expiry, and the original question's token keeps working while the clarification is
open (the first clear answer to either mail decides, once)."""
from __future__ import annotations

import pytest

from intro_support import ANIMATORS, Net
from membership_support import World, mail, reply

CLAIRE, PACO = "claire.b@example.org", "paco.ruiz@example.net"
A1, _ = ANIMATORS
ELISE = "elise.martin@example.com"


@pytest.fixture
def net(tmp_path) -> Net:
    return Net(tmp_path / "robot")


def commanded(net: Net) -> None:
    """MR-1 made by an animator's MISE EN RELATION: both members asked for consent."""
    paco = net.member(PACO, "Paco Ruiz")
    claire = net.member(CLAIRE, "Claire Bernard")
    net.item(paco, "offer", "Guitare", opened=False)
    net.item(claire, "demand", "Cuisine", opened=False)
    assert net.send(A1, "MISE EN RELATION O-1 D-1", "") == "MR-1 created by command"


def answer(net: Net, token: str, words: str) -> str:
    return net.send(CLAIRE, f"RE: [{token}] Mise en relation", words)


def open_consents(net: Net, address: str) -> list[dict]:
    return [q for q in net.store.questions.find("address", address) if q["status"] == "open"]


@pytest.mark.parametrize("which", ["clarification", "original"])
def test_after_two_unclear_answers_a_clear_one_to_either_mail_still_counts(net, which):
    commanded(net)
    original = net.token(CLAIRE, "question:consent")
    assert answer(net, original, "Je refuse. Enfin non, j'accepte !") == "unclear: clarification asked"
    clarification = net.token(CLAIRE, "question:consent")
    assert clarification != original
    assert answer(net, clarification, "peut-etre, je ne sais pas encore") == "unclear twice: forwarded"
    (forwarded,) = net.mails("unclear")
    assert sorted(forwarded.recipients) == sorted(ANIMATORS)
    assert len(open_consents(net, CLAIRE)) == 1, "still open, until its expiry"
    token = clarification if which == "clarification" else original
    assert answer(net, token, "OUI") == "MR-1 consent demand: yes, waiting for the other"
    assert net.intro()["consents"]["demand"] == "yes"
    assert not open_consents(net, CLAIRE)
    assert answer(net, original, "OUI") == "refused: already answered", "counted once"
    assert net.intro()["status"] == "consent"
    # A NON to either mail is a change of mind (tests/unit/test_introductions.py), once.
    assert answer(net, original, "NON") == "MR-1 declined: consent withdrawn"
    assert answer(net, clarification, "NON") == "refused: already answered"
    assert net.intro()["status"] == "declined"


def test_a_third_unclear_answer_is_forwarded_again_without_a_new_clarification(net):
    commanded(net)
    original = net.token(CLAIRE, "question:consent")
    answer(net, original, "bof")
    clarification = net.token(CLAIRE, "question:consent")
    asked = len(net.mails("question:consent", to=CLAIRE))
    assert answer(net, clarification, "je ne sais pas") == "unclear twice: forwarded"
    assert answer(net, original, "toujours pas sûre") == "unclear twice: forwarded"
    assert answer(net, clarification, "hmm") == "unclear twice: forwarded"
    assert len(net.mails("question:consent", to=CLAIRE)) == asked, "one clarification, never more"
    assert len(net.mails("unclear")) == 3
    assert answer(net, original, "non") == "MR-1 declined"


def test_the_original_token_still_works_while_the_clarification_is_open(net):
    commanded(net)
    original = net.token(CLAIRE, "question:consent")
    assert answer(net, original, "oui... enfin non") == "unclear: clarification asked"
    clarification = net.token(CLAIRE, "question:consent")
    assert answer(net, original, "Pardon, OUI") == "MR-1 consent demand: yes, waiting for the other"
    assert answer(net, clarification, "OUI") == "refused: already answered", "the first clear answer closes both"
    assert not open_consents(net, CLAIRE)


def test_the_clarification_expires_with_the_question_it_clarifies(net):
    commanded(net)
    original = net.token(CLAIRE, "question:consent")
    expires = open_consents(net, CLAIRE)[0]["expires"]
    net.later(3)
    answer(net, original, "bof")
    (clarification,) = open_consents(net, CLAIRE)
    assert clarification["expires"] == expires


def test_a_withdrawal_answered_on_the_first_mail_after_its_clarification(tmp_path):
    world = World(tmp_path / "robot")
    world.deliver(mail(ELISE, "ADHÉSION", "Nom : Élise Martin\n", name="Élise Martin"))
    world.deliver(reply(world.last(ELISE), ELISE, "OUI"))
    world.deliver(mail(ELISE, "RETRAIT", ""))
    first = world.last(ELISE, "question:withdraw")
    assert world.deliver(reply(first, ELISE, "oui... enfin non")) == "handled: unclear: clarification asked"
    clarification = world.last(ELISE, "question:withdraw")
    assert world.deliver(reply(clarification, ELISE, "je ne sais pas")) == "handled: unclear twice: forwarded"
    assert world.deliver(reply(first, ELISE, "NON")) == "handled: withdraw M-1: kept"
    assert world.deliver(reply(clarification, ELISE, "OUI")) == "handled: refused: already answered"
    assert world.member(ELISE)["status"] == "confirmed"


def test_an_animator_answering_the_forward_changes_nothing(net):
    commanded(net)
    answer(net, net.token(CLAIRE, "question:consent"), "bof")
    answer(net, net.token(CLAIRE, "question:consent"), "je ne sais pas")
    (forwarded,) = net.mails("unclear")
    outcome = net.send(A1, f"RE: {forwarded.subject}", "POUR M-2 : OUI",
                       headers={"In-Reply-To": str(forwarded.message["Message-ID"])})
    assert outcome == "refused: wrong address", outcome
    assert net.intro()["consents"]["demand"] is None
    assert len(open_consents(net, CLAIRE)) == 1, "Claire may still answer"
