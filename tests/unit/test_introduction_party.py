"""An animator who is also a member of the network, and one of the two members of an
introduction, does not approve it alone: the proposal says so, another animator decides;
when no other animator exists, their answer counts and is noted."""
from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from intro_support import ANIMATORS, Net

PACO = "paco.ruiz@example.net"
A1, A2 = ANIMATORS


@pytest.fixture
def net(tmp_path) -> Net:
    return Net(tmp_path / "robot")


def only_animator(net: Net) -> Net:
    net.settings = replace(net.settings, network=replace(net.settings.network, animators=(A1,)))
    return net


def anne_and_paco(net: Net, *, opened: bool = True) -> None:
    """Paco offers « couture et retouches »; Anne, animator A1 who joined as a member,
    asks for « couture »."""
    paco = net.member(PACO, "Paco Ruiz")
    anne = net.member(A1, "Anne Animatrice")
    net.item(paco, "offer", "couture et retouches", opened=opened)
    net.item(anne, "demand", "couture", opened=opened)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_proposal_says_which_animator_is_a_party(net):
    anne_and_paco(net)
    assert net.intro()["status"] == "proposed"
    to_a2 = flat(net.mails("question:approve", to=A2)[0].text)
    assert "M-2 (Anne Animatrice) fait aussi partie de l'équipe d'animation" in to_a2
    assert "c'est à vous de décider" in to_a2
    to_a1 = flat(net.mails("question:approve", to=A1)[0].text)
    assert "Vous êtes vous-même l'un des deux membres" in to_a1 and "un autre animateur doit décider" in to_a1
    html = flat(net.mails("question:approve", to=A1)[0].message.get_body(("html",)).get_content())
    assert "un autre animateur doit décider" in html


def test_a_party_s_approval_is_refused_when_another_animator_exists(net):
    anne_and_paco(net)
    assert net.answer(A1, "question:approve", "OUI") == "refused: party (MR-1)"
    intro = net.intro()
    assert intro["status"] == "proposed" and intro["decided_by"] is None
    assert not net.mails("question:consent"), "nobody asked for consent"
    told = net.mails("introduction_decided", to=A1)
    assert len(told) == 1 and "un autre animateur doit décider" in flat(told[0].text)
    forwarded = net.mails("introduction_decided", to=A2)
    assert len(forwarded) == 1 and "à vous de décider" in flat(forwarded[0].text)
    assert "n'a pas été prise en compte" in flat(forwarded[0].text)
    # the other animator still decides, with the question already in hand
    assert net.answer(A2, "question:approve", "OUI") == "MR-1 approved by an animator: consent asked"
    assert net.intro()["decided_by"] == A2


def test_a_party_s_refusal_is_refused_too(net):
    anne_and_paco(net)
    assert net.answer(A1, "question:approve", "NON") == "refused: party (MR-1)"
    assert net.intro()["status"] == "proposed"


def test_the_party_is_not_reminded(net):
    anne_and_paco(net)
    report = net.later(7)
    assert report.reminders == [f"MR-1:{A2}"]


def test_the_only_animator_s_approval_counts_and_is_noted(tmp_path, caplog):
    net = only_animator(Net(tmp_path / "robot"))
    anne_and_paco(net)
    proposal = flat(net.mails("question:approve", to=A1)[0].text)
    assert "Vous êtes vous-même l'un des deux membres" in proposal and "aucun autre animateur ne peut décider" in proposal
    with caplog.at_level(logging.WARNING, logger="rers.audit"):
        assert net.answer(A1, "question:approve", "OUI") == "MR-1 approved by an animator: consent asked"
    assert any("MR-1" in r.getMessage() and "party" in r.getMessage() for r in caplog.records)
    intro = net.intro()
    assert intro["status"] == "consent"
    assert any("party" in h["event"] for h in intro["history"])


def test_the_command_of_a_party_asks_another_animator(net):
    anne_and_paco(net, opened=False)
    assert net.send(A1, "MISE EN RELATION O-1 D-1", "") == "MR-1 created by command: approval asked (party)"
    intro = net.intro()
    assert intro["status"] == "proposed" and intro["decided_by"] is None and intro["source"] == "command"
    assert not net.mails("question:consent")
    assert net.mails("question:approve", to=A2)
    answer = flat(net.mails("introduction_command", to=A1)[-1].text)
    assert "un autre animateur doit l'approuver" in answer


def test_the_command_of_the_only_animator_is_approved_and_noted(tmp_path, caplog):
    net = only_animator(Net(tmp_path / "robot"))
    anne_and_paco(net, opened=False)
    with caplog.at_level(logging.WARNING, logger="rers.audit"):
        assert net.send(A1, "MISE EN RELATION O-1 D-1", "") == "MR-1 created by command"
    assert net.intro()["status"] == "consent"
    assert any("party" in r.getMessage() for r in caplog.records)
    assert any("party" in h["event"] for h in net.intro()["history"])
