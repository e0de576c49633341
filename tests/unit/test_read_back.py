"""What people read back (issue 15, « What people read back »): the words of the robot's
mails as a member, a newcomer or an animator reads them — negations whole, elisions made,
names written one way, dates that can be used, nothing a person wrote lost on the way to
a human."""
from __future__ import annotations

import pytest

from intro_support import ANIMATORS, Net

PACO, LINA = "paco.ruiz@example.net", "lina.petit@example.org"
A1 = ANIMATORS[0]


@pytest.fixture
def net(tmp_path) -> Net:
    return Net(tmp_path / "robot")


def flat(text: str) -> str:
    return " ".join(text.split())


def html_of(mail) -> str:
    return flat(mail.message.get_body(("html",)).get_content())


# --- 1. « ne » in every negation ------------------------------------------------------------


def test_a_member_met_at_the_permanence_reads_a_whole_negation(net):
    paco = net.member(PACO, "Paco Ruiz")
    jeanne = net.member(None, "Jeanne Roux", contact="permanence")
    net.item(paco, "offer", "couture et retouches")
    net.item(jeanne, "demand", "couture")
    net.answer(A1, "question:approve", "OUI")
    relayed = net.mails("question:consent", to=A1)[-1]
    for words in (flat(relayed.text), html_of(relayed)):
        assert "nous ne lui donnerons aucune coordonnée" in words
        assert "et nous lui donnerons aucune" not in words


def test_a_member_who_shares_an_address_is_told_which_one(net):
    paco = net.member(PACO, "Paco Ruiz")
    lina = net.member(LINA, "Lina Petit")
    net.item(paco, "offer", "couture et retouches")
    net.item(lina, "demand", "couture")
    net.answer(A1, "question:approve", "OUI")
    consent = net.mails("question:consent", to=LINA)[-1]
    assert f"et nous lui donnerons votre adresse e-mail : {LINA}" in flat(consent.text)
