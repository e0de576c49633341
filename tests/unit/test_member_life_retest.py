"""What a re-tester of issue 18 found misread or said oddly (« Offre O-1 » becoming an
offer titled « O-1 », a message from a former address answered there, wordings), each
through the real parser, the route table and the renderer (:class:`intro_support.Net`)."""
from __future__ import annotations

import pytest

from intro_support import ANIMATORS, Net
from workflows.mail.intents import is_bare_reference, named_reference

MARIE, PACO = "marie@example.org", "paco@example.org"


@pytest.fixture
def net(tmp_path) -> Net:
    return Net(tmp_path)


def flat(text: str) -> str:
    return " ".join(text.split())


# --- a reference after OFFRE / DEMANDE names a listed item, it is no title ----------------------


@pytest.mark.parametrize("subject", ["Offre O-1", "Re: offre O-1", "OFFRE : O-1", "Demande O-1"])
def test_a_keyword_and_a_reference_with_interest_in_the_body_is_interest(net, subject):
    marie = net.member(MARIE, "Marie Dupont")
    net.member(PACO, "Paco Ruiz")
    net.item(marie, "offer", "Cours de vélo")
    outcome = net.send(PACO, subject, "Bonjour, l'offre O-1 m'intéresse beaucoup.")
    assert outcome == "interest O-1: D-1 recorded, MR-1 proposed"
    assert [(i["ref"], i["title"]) for i in net.store.items.all()] == [("O-1", "Cours de vélo"), ("D-1", "Cours de vélo")]


def test_interest_without_a_reference_in_the_body_takes_the_subjects(net):
    marie = net.member(MARIE, "Marie Dupont")
    net.member(PACO, "Paco Ruiz")
    net.item(marie, "demand", "Réparer un vélo")
    assert net.send(PACO, "Demande D-1", "Bonjour,\n\nJe suis intéressé.\n\nPaco").startswith("interest D-1: O-1")


@pytest.mark.parametrize("subject, body", [
    ("offre O-1 vélo", "Bonjour"), ("Demande D-2", ""), ("Offre O-1", "Bonjour,\n\nMerci\n\nPaco"),
    ("Demande G-2", "bonjour"), ("Offre T-1", "Je suis intéressé"), ("OFFRE", "Savoir : O-1"),
])
def test_a_keyword_and_a_reference_alone_never_records_an_item_titled_by_it(net, subject, body):
    marie = net.member(MARIE, "Marie Dupont")
    net.member(PACO, "Paco Ruiz")
    net.item(marie, "offer", "Cours de vélo")
    net.send(PACO, subject, body)
    assert [i["ref"] for i in net.store.items.all()] == ["O-1"]
    assert net.mails(to=ANIMATORS[0]) or net.mails(to=PACO), "someone reads it"


def test_a_reference_is_never_a_title_but_a_title_after_one_stays_one():
    assert named_reference(" : O-12 vélo") == "O-12" and named_reference("l'offre 0-3") == "O-3"
    assert named_reference("G-2") == "G-2" and named_reference("MR-4") == "MR-4"
    assert named_reference("cours de vélo") is None and named_reference("T-shirts en tricot") is None
    assert is_bare_reference("O-1") and is_bare_reference("la demande D-2.") and not is_bare_reference("O-1 vélo")


# --- a former address gets nothing more, whatever it writes -------------------------------------

NEW = "marie.nouvelle@example.net"


def moved(net: Net) -> None:
    """Marie (M-1, an offer O-1) moves to :data:`NEW`."""
    marie = net.member(MARIE, "Marie Dupont")
    net.item(marie, "offer", "Cours d'espagnol")
    net.send(MARIE, f"NOUVELLE ADRESSE : {NEW}", "")
    assert net.answer(NEW, "question:address_change", "OUI") == "address_change M-1: moved to the new address"


@pytest.mark.parametrize("subject, body, intent", [
    ("Nouvelles : oui", "", "preferences"), ("Bonjour", "Une question sur les permanences ?", "unknown"),
    ("CATALOGUE", "", "catalogue"), ("MES DONNÉES", "", "my_data"), ("OFFRE : cours de guitare", "", "offer"),
    ("Je m'intéresse à O-1", "", "interest"), ("PAUSE", "", "pause"), ("RETRAIT O-1", "", "withdraw_item"),
    ("ADHÉSION", "Je m'appelle Marie Dupont.", "join"),
])
def test_a_message_from_a_former_address_reaches_the_animators_only_told_whose_it_was(net, subject, body, intent):
    moved(net)
    count = len(net.mails(to=MARIE))
    outcome = net.send(MARIE, subject, body)
    assert outcome == f"refused: {intent} from the former address of M-1"
    assert net.mails(to=MARIE)[count:] == [], "nothing more to the old address"
    forward = net.mails("former_address", ANIMATORS[0])[-1]
    text = flat(forward.text)
    assert "ancienne adresse de M-1" in text and "n'a pas compris" not in text
    assert NEW not in forward.everything(), "the new address is not handed out"
    assert [i["ref"] for i in net.store.items.all()] == ["O-1"] and net.store.members.find_one("ref", "M-1")[
        "address"] == NEW


def test_a_reply_from_the_former_address_to_a_question_moved_away_names_the_member(net):
    moved(net)
    paco = net.member(PACO, "Paco Ruiz")
    net.item(paco, "demand", "Cours d'espagnol")
    assert net.answer(ANIMATORS[0], "question:approve", "OUI").startswith("MR-1 approved")
    token = net.token(NEW, "question:consent")
    count = len(net.mails(to=MARIE))
    assert net.send(MARIE, f"RE: [{token}] la question", "OUI").endswith("(former address)")
    assert net.mails(to=MARIE)[count:] == []
    assert "ancienne adresse de M-1" in flat(net.mails("refused_reply", ANIMATORS[0])[-1].text)


def test_the_address_is_back_in_use_once_a_member_has_it_again(net):
    moved(net)
    net.send(NEW, f"NOUVELLE ADRESSE : {MARIE}", "")
    assert net.answer(MARIE, "question:address_change", "OUI") == "address_change M-1: moved to the new address"
    assert net.send(MARIE, "CATALOGUE", "").startswith("catalogue")


# --- wordings -----------------------------------------------------------------------------------


def test_interest_in_ones_own_item_says_so_in_the_subject_too(net):
    marie = net.member(MARIE, "Marie Dupont")
    net.item(marie, "offer", "Cours de tricot")
    assert net.send(MARIE, "Je m'intéresse à O-1", "") == "interest O-1: own"
    ack = net.mails("interest_done", MARIE)[-1]
    assert ack.subject == "O-1 : un de vos propres savoirs" and "l'un de vos propres savoirs" in ack.text
    assert net.send(MARIE, "Je m'intéresse à O-9", "") == "interest O-9: unknown"
    assert net.mails("interest_done", MARIE)[-1].subject == "O-9 : pas dans la liste des savoirs"


def test_accord_permanent_beside_preferences_says_noted_once(net):
    paco = net.member(PACO, "Paco Ruiz")
    net.item(paco, "offer", "Cours d'espagnol")
    net.send(PACO, "Accord permanent : oui O-1", "Contact : téléphone")
    text = flat(net.mails("preferences_done", PACO)[-1].text)
    assert text.count("C'est noté") == 1 and "L'équipe pourra vous mettre en relation" in text
    net.send(PACO, "Accord permanent : non", "Contact : e-mail")
    text = flat(net.mails("preferences_done", PACO)[-1].text)
    assert text.count("C'est noté") == 1 and "Plus de mise en relation sans votre accord" in text
    # alone, the standing consent's own answer still says it
    net.send(PACO, "Accord permanent : oui O-1", "")
    assert "C'est noté : l'équipe pourra" in flat(net.mails("standing_done", PACO)[-1].text)


def test_a_forged_stop_to_the_standing_notice_is_told_to_the_animators_as_what_it_was(tmp_path):
    net = Net(tmp_path, network='authserv_id = "mx.example.org"')
    net.member(PACO, "Paco Ruiz")
    net.send(PACO, "OFFRE : cours d'espagnol", "Accord permanent : oui")
    lea = net.member("lea@example.org", "Léa Martin")
    net.item(lea, "demand", "Apprendre l'espagnol")
    passed = {"Authentication-Results": "mx.example.org; dmarc=pass header.from=example.org"}
    net.answer(ANIMATORS[0], "question:approve", "OUI", headers=passed)
    net.answer("lea@example.org", "question:consent", "oui")
    (notice,) = net.mails("standing_used", PACO)
    mid = str(notice.message["Message-ID"])
    forged = "mx.example.org; dmarc=fail (p=reject) header.from=example.org"
    outcome = net.send(PACO, f"Re: {notice.subject}", "STOP",
                       headers={"In-Reply-To": mid, "References": mid, "Authentication-Results": forged})
    assert outcome == "forwarded: forged"
    assert net.store.items.find_one("ref", "O-1")["standing_consent"] is True
    forward = flat(net.mails("member_forged", ANIMATORS[0])[-1].text)
    assert "accord permanent" in forward and "message non reconnu" not in forward
