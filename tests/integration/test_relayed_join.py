"""A person's join forwarded by someone else (issue 15; protocol.md, "Intents"), through
Dovecot and aiosmtpd: an adviser forwards Mme Diallo's mail — inline (Outlook's
« -----Message d'origine----- ») or attached as the original ``.eml`` — and the robot
treats it as a web form's relay: the join question goes to the forwarded address, the
person confirms, the adviser is never made a member and learns nothing of the person's
file (the same thanks whether the person is new or already a member). A member
forwarding their own earlier offer still offers."""
from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

import pytest

from membership_support import NETWORK, START, Network, mail, reply, text_of, token_of
from support import ANIMATORS

pytestmark = pytest.mark.integration

ADVISER = "s.martin@ccas-souday.fr"
AMINATA = "aminata.diallo@example.com"
ORIGINAL = ("Bonjour,\n\nJe voudrais m'inscrire au réseau d'échanges. Je peux apprendre la cuisine sénégalaise "
            "et j'aimerais apprendre à utiliser un ordinateur.\n\nAminata\n")


@pytest.fixture
def net(imap_robot, imap_account, sink):
    return Network(imap_robot, imap_account, sink)


def inline_forward(person: str = AMINATA, name: str = "Aminata Diallo") -> bytes:
    body = ("Bonjour,\n\nJe vous transmets la demande de Mme Diallo, que j'ai reçue à l'accueil. Elle n'a pas "
            "d'ordinateur chez elle.\n\nCordialement,\n\nSophie Martin\nConseillère en insertion – CCAS de Souday\n"
            "02 35 00 11 22\n\n-----Message d'origine-----\n"
            f"De : {name} <{person}>\nEnvoyé : vendredi 4 décembre 2026 16:20\n"
            f"À : Martin Sophie <{ADVISER}>\nObjet : inscription\n\n{ORIGINAL}")
    return mail(ADVISER, "TR: inscription", body, name="Martin Sophie")


def attached_forward() -> bytes:
    original = (f"From: Aminata Diallo <{AMINATA}>\r\nTo: {ADVISER}\r\nSubject: inscription\r\n"
                "Date: Fri, 4 Dec 2026 16:20:00 +0100\r\nMIME-Version: 1.0\r\n"
                "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                + ORIGINAL.replace("\n", "\r\n")).encode("latin-1")
    msg = EmailMessage()
    msg["From"] = f"Martin Sophie <{ADVISER}>"
    msg["To"] = NETWORK
    msg["Subject"] = "Demande de Mme Diallo"
    msg["Date"] = format_datetime(START)
    msg["Message-ID"] = "<att-1@ccas-souday.fr>"
    msg.set_content("Bonjour,\n\nCi-joint le message de Mme Diallo.\n\nSophie Martin\n")
    msg.add_attachment(original, maintype="application", subtype="octet-stream", filename="inscription.eml")
    return msg.as_bytes(policy=policy.SMTP)


@pytest.mark.parametrize("shape", [inline_forward, attached_forward])
def test_the_forwarded_person_is_asked_and_confirms(net, shape):
    (outcome,) = net.cycle(shape())
    assert outcome.startswith("handled: relayed join M-1 new O-1, D-1, confirmation asked"), outcome
    store = net.store()
    assert store.members.find_one("address", ADVISER) is None, "the adviser is not made a member"
    person = store.members.find_one("address", AMINATA)
    assert person["status"] == "pending" and person["name"] == "Aminata Diallo"
    (question,) = net.to(AMINATA)
    assert token_of(question) and "LA CHARTE DU RÉSEAU" in text_of(question)
    assert question["In-Reply-To"] is None, "the adviser's thread stays the adviser's"
    assert ADVISER not in text_of(question) and "Sophie" not in text_of(question)
    (thanks,) = net.to(ADVISER)
    assert "Votre transfert" in str(thanks["Subject"]) and "Diallo" not in text_of(thanks)
    (forward,) = net.forwarded()
    assert "transféré le message d'une autre personne" in text_of(forward)

    assert net.cycle(reply(question, AMINATA, "Oui", name="Aminata Diallo")) == ["handled: join confirmed: M-1 O-1, D-1"]
    assert net.store().members.find_one("address", AMINATA)["status"] == "confirmed"
    assert len(net.to(ADVISER)) == 1, "the adviser hears nothing of the confirmation"


def test_the_forwarder_learns_nothing_of_a_member(net):
    net.cycle(mail(AMINATA, "ADHÉSION", "Je voudrais adhérer.\n", name="Aminata Diallo"))
    net.cycle(reply(net.to(AMINATA)[-1], AMINATA, "Oui", name="Aminata Diallo"))
    before, told = net.snapshot(), len(net.to(AMINATA))
    (outcome,) = net.cycle(inline_forward())
    assert outcome == "handled: relayed for M-1: already a member, nothing recorded"
    assert net.snapshot() == before and len(net.to(AMINATA)) == told
    assert "M-1" in text_of(net.forwarded()[-1])
    # A newcomer forwarded the same day: the adviser reads the very same words.
    (outcome,) = net.cycle(inline_forward("nadia.ferhat@example.net", "Nadia Ferhat"))
    assert outcome.startswith("handled: relayed join M-2 new"), outcome
    member_thanks, newcomer_thanks = net.to(ADVISER)
    assert text_of(member_thanks) == text_of(newcomer_thanks)
    assert str(member_thanks["Subject"]) == str(newcomer_thanks["Subject"])


def test_a_member_forwarding_their_own_offer_still_offers(net):
    net.cycle(mail(AMINATA, "ADHÉSION", "Je voudrais adhérer.\n", name="Aminata Diallo"))
    net.cycle(reply(net.to(AMINATA)[-1], AMINATA, "Oui", name="Aminata Diallo"))
    body = (f"Je vous renvoie mon offre.\n\n---------- Forwarded message ---------\nDe : Aminata Diallo <{AMINATA}>\n"
            "Date: ven. 4 déc. 2026 à 16:20\nSubject: Offre : cuisine sénégalaise\nTo: <rers.test@example.org>\n\n"
            "Disponibilités : le mercredi\n")
    (outcome,) = net.cycle(mail(AMINATA, "Fwd: Offre : cuisine sénégalaise", body, name="Aminata Diallo"))
    assert outcome.startswith("handled: offer") or "O-1" in outcome, outcome
    assert net.store().items.find_one("ref", "O-1")["member"] == "M-1"
    assert all("transféré le message d'une autre" not in text_of(m) for m in net.forwarded(ANIMATORS[0]))
