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


# --- a fresh tester's round: whose words, and what of them is kept --------------------------

def name_only_forward() -> bytes:
    """Outlook showing a known contact by name only: no address of the person anywhere."""
    return mail(ADVISER, "TR: Demande", "Bonjour, ci-dessous la demande de Mme Lopez (06 55 44 33 22).\n\n"
                "________________________________\nDe : Maria Lopez\nEnvoyé : vendredi 11 décembre 2026 17:00\n"
                "À : Martin Sophie\nObjet : Demande\n\nJe voudrais apprendre à cuisiner des plats simples.\n",
                name="Martin Sophie")


def robot_mail_forward() -> bytes:
    """The robot's own mail forwarded back « pour info »: nobody's request."""
    return mail(ADVISER, "TR: Offre", "Bonjour, pour info.\n\n---------- Forwarded message ---------\n"
                f"From: RERS de Test <{NETWORK}>\nDate: Sat, Dec 12, 2026 at 10:00 AM\nSubject: Offre\n"
                f"To: <{ADVISER}>\n\nOffre : cours de guitare\n", name="Martin Sophie")


@pytest.mark.parametrize("shape", [name_only_forward, robot_mail_forward])
def test_no_address_of_the_person_makes_nobody_a_member(net, shape):
    (outcome,) = net.cycle(shape())
    assert outcome == "handled: relayed: no address of the person's, nothing recorded"
    store = net.store()
    assert store.members.all() == [] and store.items.all() == [], "the forwarder is never made a member"
    (thanks,) = net.to(ADVISER)
    assert "Votre transfert" in str(thanks["Subject"]) and "confirmez" not in text_of(thanks).lower()
    (forward,) = net.forwarded()
    told = " ".join(text_of(forward).split())
    assert "sans adresse de cette personne que le robot puisse lire" in told
    assert f"Pour répondre à Martin Sophie, qui a transféré ce message, utilisez « Répondre » : votre réponse ira à " \
           f"{ADVISER}" in told
    assert "reçoit seulement un remerciement" in told and "remercié" not in told


def test_only_the_persons_words_are_kept_and_the_animators_are_told_what_was_done(net, caplog):
    person = "aicha.diallo@gmail.example"
    body = ("Bonjour,\n\nJe vous transfère la demande de Mme Diallo, que j'accompagne. Elle n'est pas très à l'aise "
            "avec l'informatique, vous pouvez aussi la joindre au 06 71 22 48 90.\n\nBien cordialement,\n"
            "Sophie Martin\nConseillère en insertion – CCAS de Souday\n\n---------- Forwarded message ---------\n"
            f"De : Aïcha Diallo <{person}>\nDate: ven. 11 déc. 2026 à 18:12\nSubject: Demande\n"
            f"To: Sophie Martin <{ADVISER}>\n\nBonjour madame,\n"
            "Je voudrais apprendre à utiliser un tableur pour faire mon budget.\n\n"
            "J'ai un vieil ordinateur portable.\n\nMerci\nAïcha\n")
    with caplog.at_level("INFO", logger="rers.audit"):
        (outcome,) = net.cycle(mail(ADVISER, "TR: Demande", body, name="Martin Sophie"))
    assert outcome == "handled: relayed join M-1 new D-1, confirmation asked"
    assert person not in caplog.text and "Diallo" not in caplog.text
    (item,) = net.store().items.all()
    assert item["description"] == "pour faire mon budget.\nJ'ai un vieil ordinateur portable."
    (forward,) = net.forwarded()
    told = " ".join(text_of(forward).split())
    assert "en attente (M-1, D-1)" in told and f"a demandé à {person}, l'adresse du message transféré" in told

    (question,) = net.to(person)
    assert "accompagne" not in text_of(question) and "06 71" not in text_of(question)
    net.cycle(reply(question, person, "Oui", name="Aïcha Diallo"))
    net.cycle(mail(person, "MES DONNÉES", "", name="Aïcha Diallo"))
    data = text_of(net.to(person)[-1]).replace("\r\n", "\n")
    assert "  Description : pour faire mon budget.\n  J'ai un vieil ordinateur portable." in data
    assert all(word not in data for word in ("accompagne", "informatique", "06 71", "Sophie", "Martin"))


def test_yahoos_one_line_forward_asks_the_person(net):
    person = "omar.bensaid@yahoo.example"
    body = (f"Pour vous.\n\n----- Message transféré ----- De : Omar Bensaid <{person}>À : Sophie Martin <{ADVISER}>"
            "Envoyé : vendredi 11 décembre 2026 à 18:00:00 UTC+1Objet : demande\n"
            "Je cherche quelqu'un pour apprendre le français écrit.\n")
    (outcome,) = net.cycle(mail(ADVISER, "Fwd: demande", body, name="Martin Sophie", cte="8bit"))
    assert outcome == "handled: relayed join M-1 new D-1, confirmation asked"
    (item,) = net.store().items.all()
    assert item["title"] == "français écrit" and net.store().members.find_one("address", person)["name"] == "Omar Bensaid"
