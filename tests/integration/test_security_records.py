"""Issue 14 through real mail (Dovecot in, aiosmtpd out): a web form relaying a member's
words changes nothing of their record until the member confirms from their own mailbox,
and a delivery report marks a member only when it is about the robot's own mail to them."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from membership_support import Network, mail, reply, text_of, token_of
from support import ANIMATORS

pytestmark = pytest.mark.integration

ELISE = "elise.martin@example.com"
RELAY = "wordpress@site-du-quartier.example"
JOIN = "Bonjour,\nJe voudrais adhérer.\nNom : Élise Martin\n"


@pytest.fixture
def net(imap_robot, imap_account, sink):
    network = Network(imap_robot, imap_account, sink)
    network.cycle(mail(ELISE, "ADHÉSION", JOIN, name="Élise Martin"))
    network.cycle(reply(network.to(ELISE)[-1], ELISE, "Oui", name="Élise Martin"))
    assert network.store().members.find_one("address", ELISE)["status"] == "confirmed"
    return network


def test_a_web_form_in_a_members_name_waits_for_her_own_yes(net):
    form = mail(RELAY, "OFFRE : Cours de couture", "Téléphone : 07 00 00 00 00\nContact : téléphone\n",
                headers={"Reply-To": ELISE})
    assert net.cycle(form) == ["handled: recorded O-1"]
    store = net.store()
    member = store.members.find_one("address", ELISE)
    assert member["phone"] is None and member["contact"] == "email", "nothing of her record taken"
    assert store.items.find_one("ref", "O-1")["member"] == "M-1", "the offer itself goes on"
    question = [m for m in net.to(ELISE) if "Confirmez-vous ce changement" in str(m["Subject"])][-1]
    assert "Téléphone : 07 00 00 00 00" in text_of(question) and token_of(question)
    assert [m for m in net.forwarded() if "formulaire ou d'un site" in " ".join(text_of(m).split())]

    net.now += timedelta(hours=1)
    assert net.cycle(reply(question, "mallory@example.net", "OUI")) == ["handled: refused: wrong address"]
    assert net.store().members.find_one("address", ELISE)["phone"] is None

    assert net.cycle(reply(question, ELISE, "Oui", name="Élise Martin")) == ["handled: confirm_change M-1: contact, phone"]
    member = net.store().members.find_one("address", ELISE)
    assert member["phone"] == "+33700000000" and member["contact"] == "phone"
    assert "Vos préférences" in str(net.to(ELISE)[-1]["Subject"])


def dsn(failed: str, original: str) -> bytes:
    return (f"From: MAILER-DAEMON@mx.example.com\r\nTo: rers.test@example.org\r\n"
            f"Subject: Undelivered Mail Returned to Sender\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
            f"Message-ID: <dsn-{hashlib.sha256(original.encode()).hexdigest()[:16]}@mx.example.com>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
            "--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
            "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
            f"Final-Recipient: rfc822; {failed}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
            f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nTo: {failed}\r\nMessage-ID: {original}\r\n\r\n"
            "--B--\r\n").encode()


def test_only_a_report_about_the_robots_own_mail_marks_her(net):
    assert net.cycle(dsn(ELISE, "<made-up@example.org>")) == \
        ["handled: bounce: not about a mail sent to M-1, nothing marked"]
    assert not net.store().members.find_one("address", ELISE)["undeliverable"]
    assert any("ne se rapporte à aucun message" in " ".join(text_of(m).split()) for m in net.forwarded(ANIMATORS[0]))
    welcome = net.to(ELISE)[-1]["Message-ID"]
    assert net.cycle(dsn(ELISE, welcome)) == ["handled: bounce: M-1"]
    assert net.store().members.find_one("address", ELISE)["undeliverable"]


def raw_from(from_field: str, subject: str, body: str, number: int) -> bytes:
    """A message whose From field is written exactly as given (the email package would
    rewrite a forger's forms)."""
    return (f"From: {from_field}\r\nTo: rers.test@example.org\r\nSubject: {subject}\r\n"
            f"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <forged-{number}@evil.example>\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()


@pytest.mark.parametrize("from_field", [
    f'"{ANIMATORS[0]}" <mallory@evil.example>',
    f'"{ANIMATORS[0]}"@evil.example',
    f"{ANIMATORS[0]} <mallory@evil.example>",
    f"=?utf-8?q?{ANIMATORS[0].replace('@', '=40')}?= <mallory@evil.example>",
])
def test_an_animators_address_written_anywhere_but_the_mailbox_commands_nothing(net, from_field):
    before = net.store().introductions.all()
    forged = raw_from(from_field, "STATISTIQUES", "Merci", abs(hash(from_field)) % 10 ** 8)
    (outcome,) = net.cycle(forged)
    assert outcome.startswith("handled: refused") or outcome.startswith("handled: forwarded"), outcome
    assert not [m for m in net.sink.received if "mallory@evil.example" in m.rcpt_tos
                and "Bilan du" in str(m.data)], "no report to the forger"
    assert not net.to("mallory@evil.example") or all("Bilan du" not in str(m["Subject"])
                                                   for m in net.to("mallory@evil.example"))
    assert net.store().introductions.all() == before
