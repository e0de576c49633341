"""What the members read about an introduction: each mail names, in its subject and its
body, the same knowledge from the reader's side (what the other offers, or what the other
asked), a person without a name is « cette personne » in the middle of a sentence, and a
name written all in capitals is greeted in a readable form."""
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


def couture(net: Net, *, paco_name: str | None = "Paco Ruiz", lina_name: str | None = "Lina Petit") -> None:
    """Paco offers « couture et retouches », Lina asks for « couture »; approved."""
    paco = net.member(PACO, paco_name)
    lina = net.member(LINA, lina_name)
    net.item(paco, "offer", "couture et retouches")
    net.item(lina, "demand", "couture")
    assert net.answer(A1, "question:approve", "OUI").startswith("MR-1 approved")


# --- 3. a person without a name, in the middle of a sentence ------------------------------


def test_a_member_without_a_name_is_cette_personne_mid_sentence(net):
    couture(net, paco_name=None)
    text = flat(net.mails("question:consent", to=LINA)[0].text)
    assert "Un membre du réseau propose un savoir" in text, "capital at the start of the sentence"
    assert "et si cette personne dit oui aussi" in text
    assert "si Un membre" not in text and "si un membre" not in text
    html = flat(net.mails("question:consent", to=LINA)[0].message.get_body(("html",)).get_content())
    assert "et si cette personne dit oui aussi" in html


def test_a_named_member_is_named_mid_sentence(net):
    couture(net)
    assert "et si Paco dit oui aussi" in flat(net.mails("question:consent", to=LINA)[0].text)


# --- 4. the same title in the subject and the body -----------------------------------------


def test_the_acknowledgment_names_in_its_subject_what_its_body_names(net):
    couture(net)
    assert net.answer(PACO, "question:consent", "OUI").endswith("waiting for the other")
    ack = net.mails("introduction_ack", to=PACO)[-1]
    assert ack.subject.endswith(": couture"), "what Lina asked, as the consent question named it"
    assert "« couture »" in flat(ack.text) and "retouches" not in ack.subject
    consent = net.mails("question:consent", to=PACO)[-1]
    assert consent.subject.endswith(": couture")


def test_the_introduction_names_the_other_s_item_first_and_the_reader_s_own_by_its_role(net):
    couture(net)
    net.answer(PACO, "question:consent", "OUI")
    assert net.answer(LINA, "question:consent", "OUI") == "MR-1 introduced"
    to_paco = net.mails("introduction", to=PACO)[-1]
    to_lina = net.mails("introduction", to=LINA)[-1]
    assert to_paco.subject.startswith("Mise en relation : couture,")
    assert "voudrait apprendre : couture (votre offre : « couture et retouches »)" in flat(to_paco.text)
    assert to_lina.subject.startswith("Mise en relation : couture et retouches,")
    assert "propose : couture et retouches (votre demande : « couture »)" in flat(to_lina.text)
    for mail in (to_paco, to_lina):
        html = flat(mail.message.get_body(("html",)).get_content())
        assert ("votre offre" if mail is to_paco else "votre demande") in html


def test_the_same_titles_are_not_repeated(net):
    paco = net.member(PACO, "Paco Ruiz")
    lina = net.member(LINA, "Lina Petit")
    net.item(paco, "offer", "Couture")
    net.item(lina, "demand", "couture")
    net.answer(A1, "question:approve", "OUI")
    net.answer(PACO, "question:consent", "OUI")
    net.answer(LINA, "question:consent", "OUI")
    assert "votre demande" not in flat(net.mails("introduction", to=LINA)[-1].text)


def test_the_bilan_and_its_acknowledgment_name_what_their_subject_names(net):
    couture(net)
    net.answer(PACO, "question:consent", "OUI")
    net.answer(LINA, "question:consent", "OUI")
    net.later(21)
    for who, title in ((PACO, "couture"), (LINA, "couture et retouches")):
        bilan = net.mails("question:bilan", to=who)[-1]
        assert bilan.subject.endswith(f"? {title}"), bilan.subject
        assert f"« {title} »" in flat(bilan.text)
        net.answer(who, "question:bilan", "Échange réalisé : oui")
        ack = net.mails("introduction_ack", to=who)[-1]
        assert ack.subject.endswith(f": {title}") and f"« {title} »" in flat(ack.text)


# --- 6. a name written all in capitals -----------------------------------------------------


def test_a_name_in_capitals_is_greeted_readably_and_stored_as_written(net):
    couture(net, lina_name="LINA PETIT")
    consent = net.mails("question:consent", to=LINA)[0]
    assert consent.text.startswith("Bonjour Lina,")
    assert "Bonjour Lina," in consent.message.get_body(("html",)).get_content()
    assert net.store.members.find_one("address", LINA)["name"] == "LINA PETIT"
    assert "LINA voudrait" not in flat(net.mails("question:consent", to=PACO)[0].text)
    assert "Lina voudrait apprendre" in flat(net.mails("question:consent", to=PACO)[0].text)


def test_the_introduction_gives_a_name_in_capitals_readably(net):
    couture(net, lina_name="LINA PETIT")
    net.answer(PACO, "question:consent", "OUI")
    net.answer(LINA, "question:consent", "OUI")
    to_paco = net.mails("introduction", to=PACO)[-1]
    assert "Lina Petit" in [line.strip() for line in to_paco.text.splitlines()] and "LINA" not in to_paco.everything()
