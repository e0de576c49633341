"""Issue 17, the network's voice through real mail: a testimony approved, then withdrawn.

Marie joins and writes TÉMOIGNAGE with « Signature : prénom » and her phone and address in
her words; each animator is asked; one approves from Outlook, the other is told; the
cycle republishes the public page at once: her words with « Marie », her phone and address
masked, no surname. She writes RETRAIT T-1, confirms, and the page no longer shows it.

Mail goes in through Dovecot and out through aiosmtpd; every mail is also checked by the
session-wide privacy check (tests/privacy.py).
"""
from __future__ import annotations

import pytest

from membership_support import Network, mail, reply, text_of
from support import ANIMATORS
from workflows.shell.publish import page_path

pytestmark = pytest.mark.integration

A1, A2 = ANIMATORS
MARIE = "marie.dupont@example.org"
WORDS = ("Grâce au réseau, j'ai appris à faire mon CV et j'ai osé reparler en public.\n"
         "Pour en parler : 06 12 34 56 78 ou marie.dupont@example.org")


def flat(msg) -> str:
    return " ".join(text_of(msg).split())


class People(Network):
    def to(self, address: str, subject: str = "") -> list:
        return [m for m in super().to(address) if subject in str(m["Subject"])]


@pytest.fixture
def people(imap_robot, imap_account, sink):
    return People(imap_robot, imap_account, sink)


def test_a_testimony_approved_then_withdrawn_through_real_mail(people, imap_robot):
    people.cycle(mail(MARIE, "ADHÉSION", "Bonjour,\nNom : Marie Dupont\nTéléphone : 06 12 34 56 78\n",
                      name="Marie Dupont", date=people.now))
    people.cycle(reply(people.to(MARIE)[-1], MARIE, "Oui, je confirme.\nPrénom : Marie", name="Marie Dupont",
                       date=people.now))
    assert people.store().members.find_one("address", MARIE)["status"] == "confirmed"

    assert people.cycle(mail(MARIE, "Témoignage", f"Signature : prénom\n\n{WORDS}\n\nMarie", name="Marie Dupont",
                             date=people.now)) == ["handled: testimony T-1 held, the animators asked"]
    (received,) = people.to(MARIE, "Témoignage T-1 bien reçu")
    assert "RETRAIT T-1" in flat(received)
    for animator in (A1, A2):
        (question,) = people.to(animator, "Témoignage T-1 à approuver")
        assert "osé reparler en public" in flat(question) and "06 12 34 56 78" not in flat(question)
    path = page_path(imap_robot.settings)
    assert not path.exists() or "osé reparler" not in path.read_text(encoding="utf-8")

    (question,) = people.to(A1, "Témoignage T-1 à approuver")
    assert people.cycle(reply(question, A1, "OUI", name="Anim One", style="outlook", date=people.now)) == \
        ["handled: T-1 published by an animator"]
    assert people.to(A2, f"Témoignage T-1 publié par {A1}")
    assert people.to(MARIE, "Votre témoignage T-1 est publié")
    shown = path.read_text(encoding="utf-8")
    assert "osé reparler en public" in shown and "Marie" in shown
    assert "Dupont" not in shown and "06 12 34 56 78" not in shown and MARIE not in shown

    assert people.cycle(mail(MARIE, "RETRAIT T-1", "Merci", name="Marie Dupont", date=people.now)) == \
        ["handled: withdraw T-1: confirmation asked of M-1"]
    (confirm,) = people.to(MARIE, "Retirer T-1")
    assert people.cycle(reply(confirm, MARIE, "OUI", name="Marie Dupont", date=people.now)) == \
        ["handled: T-1: withdrawn"]
    assert people.to(MARIE, "Témoignage T-1 retiré")
    assert "osé reparler en public" not in path.read_text(encoding="utf-8")
    assert people.store().testimonies.find_one("ref", "T-1")["status"] == "withdrawn"
