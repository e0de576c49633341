"""Issue 5 through real mail: two people join and confirm, one offers « cours d'espagnol »,
the other asks « apprendre l'espagnol »; the proposal reaches the animators, one approves
from Outlook, both consent, both are introduced, and 21 days later (the clock moved, no
sleeping) both are asked for their bilan, whose answers are recorded.

Mail goes in through Dovecot and out through aiosmtpd; the follow-ups run as the real
``rers introductions follow-up`` command with ``RERS_NOW``. Every mail of this file is
also checked by the session-wide privacy check (tests/privacy.py).
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from membership_support import Network, mail, parse, reply, text_of, token_of
from support import ANIMATORS

pytestmark = pytest.mark.integration

PACO, LINA = "paco.ruiz@example.net", "lina.petit@example.org"
PACO_JOIN = "Bonjour,\nJe voudrais adhérer.\nNom : Paco Ruiz\nTéléphone : 06 11 22 33 44\nContact : email\n"
LINA_JOIN = "Bonjour,\nNom : Lina Petit\nTéléphone : 06 99 88 77 66\nContact : téléphone\n"
A1, A2 = ANIMATORS


class People(Network):
    """The membership tests' robot and its people (``cycle`` puts mail in the INBOX and
    runs the robot at ``now``), with ``to`` filtering by subject and ``join`` going
    through the whole double opt-in."""

    def to(self, address: str, subject: str = "") -> list:
        return [m for m in super().to(address) if subject in str(m["Subject"])]

    def join(self, address: str, name: str, body: str) -> None:
        self.cycle(mail(address, "ADHÉSION", body, name=name, date=self.now))
        # The robot cannot tell a first name in « Lina Petit » (it could be a surname):
        # it asks how to name them to other members, and they say it with their OUI.
        first = name.split()[0]
        self.cycle(reply(self.to(address)[-1], address, f"Oui, je confirme.\nPrénom : {first}", name=name,
                         date=self.now))
        assert self.store().members.find_one("address", address)["status"] == "confirmed"


@pytest.fixture
def people(imap_robot, imap_account, sink):
    return People(imap_robot, imap_account, sink)


def everything(msg) -> str:
    return "\n".join([*(f"{k}: {v}" for k, v in msg.items()),
                      *(p.get_content() for p in msg.walk() if p.get_content_maintype() == "text")])


def test_from_an_offer_and_a_demand_to_two_people_who_meet_and_their_bilan(people, imap_robot):
    people.join(PACO, "Paco Ruiz", PACO_JOIN)
    people.join(LINA, "Lina Petit", LINA_JOIN)

    # One offers, the other asks: matched as soon as the items arrive.
    outcomes = people.cycle(mail(PACO, "OFFRE : cours d'espagnol", "Disponibilités : mardi après-midi\n",
                                 name="Paco Ruiz", date=people.now),
                            mail(LINA, "DEMANDE", "Bonjour,\nSavoir : apprendre l'espagnol\nDisponibilités : lundi\n",
                                 name="Lina Petit", date=people.now))
    assert outcomes == ["handled: recorded O-1", "handled: recorded D-1"]
    proposals = {a: people.to(a, "MR-1") for a in ANIMATORS}
    assert all(len(p) == 1 for p in proposals.values()), "the proposal reaches every animator"
    proposal = proposals[A1][0]
    body = text_of(proposal)
    assert "cours d'espagnol" in body and "apprendre l'espagnol" in body and "Score : 1.00" in body
    assert "mardi après-midi" in body and "« espagnol » = « espagnol » (même mot)" in body

    # An animator approves from Outlook (the question below a French De : / Envoyé : block).
    approval = reply(proposal, A1, "OUI", name="Anim One", style="outlook", date=people.now)
    assert "Envoyé : " in text_of(parse(approval)) and "Objet : " in text_of(parse(approval))
    assert people.cycle(approval) == ["handled: MR-1 approved by an animator: consent asked"]
    (told,) = people.to(A2, "approuvée par anim.one@example.org")

    # Both consent; before the second yes, neither has any contact detail of the other.
    (to_paco,) = people.to(PACO, "Une mise en relation vous est proposée")
    (to_lina,) = people.to(LINA, "Une mise en relation vous est proposée")
    assert "Lina voudrait apprendre" in text_of(to_paco) and "Dire NON n'a aucune conséquence" in text_of(to_paco)
    assert "Paco propose" in text_of(to_lina) and "votre numéro de téléphone : 06 99 88 77 66" in text_of(to_lina)
    assert people.cycle(reply(to_lina, LINA, "Oui avec plaisir", name="Lina Petit", date=people.now)) == \
        ["handled: MR-1 consent demand: yes, waiting for the other"]
    for msg in people.to(PACO):
        assert LINA not in everything(msg) and "99 88 77 66" not in everything(msg)
    assert people.cycle(reply(to_paco, PACO, "D'accord !", name="Paco Ruiz", style="outlook", date=people.now)) == \
        ["handled: MR-1 introduced"]

    # Both receive the introduction: the other's name and the contact each chose.
    (intro_paco,) = people.to(PACO, "Mise en relation : apprendre l'espagnol")
    (intro_lina,) = people.to(LINA, "Mise en relation : cours d'espagnol")
    assert "Lina Petit" in text_of(intro_paco) and "Téléphone : 06 99 88 77 66" in text_of(intro_paco)
    assert "Paco Ruiz" in text_of(intro_lina) and f"Adresse e-mail : {PACO}" in text_of(intro_lina)
    assert intro_lina["List-Unsubscribe"] and intro_lina["Auto-Submitted"] == "auto-generated"

    # 21 days later, the real command (clock from RERS_NOW): both asked for their bilan.
    later = people.now + timedelta(days=21)
    result = imap_robot.command("introductions", "follow-up", now=later.isoformat())
    assert "1 question(s) de bilan" in result.stdout and "2 mail(s) envoyé(s)" in result.stdout
    (bilan_paco,) = people.to(PACO, "Comment s'est passé l'échange")
    (bilan_lina,) = people.to(LINA, "Comment s'est passé l'échange")
    assert "Échange réalisé : oui / non / en cours" in text_of(bilan_lina)
    assert imap_robot.command("introductions", "follow-up", now=later.isoformat()).stdout.startswith(
        "0 relance(s), 0 expirée(s), 0 question(s) de bilan"), "idempotent"

    people.now = later + timedelta(days=1)
    outcomes = people.cycle(
        reply(bilan_lina, LINA, "Échange réalisé : oui\nIntérêt : je parle au marché\nFreins : le bruit du café\n"
              "Éléments facilitants : la patience de Paco", name="Lina Petit", date=people.now),
        reply(bilan_paco, PACO, "Très bien, nous continuons tous les mardis.", name="Paco Ruiz", style="outlook",
              date=people.now))
    assert outcomes == ["handled: MR-1 bilan demand: yes", "handled: MR-1 bilan offer: ongoing"]
    intro = people.store().introductions.find_one("ref", "MR-1")
    assert intro["status"] == "completed"
    assert intro["bilans"]["demand"]["interest"] == "je parle au marché"
    assert intro["bilans"]["demand"]["obstacles"] == "le bruit du café"
    assert intro["bilans"]["offer"]["text"] == "Très bien, nous continuons tous les mardis."
    shown = imap_robot.command("introductions", "show", "MR-1").stdout
    assert "MR-1: terminée" in shown and "bilan demande : a eu lieu : oui" in shown
    assert "accord : oui" in shown and "accord : yes" not in shown and "contact : courriel" in shown


def test_approval_forgeries_through_real_mail(people, imap_robot):
    people.join(PACO, "Paco Ruiz", PACO_JOIN)
    people.join(LINA, "Lina Petit", LINA_JOIN)
    people.cycle(mail(PACO, "OFFRE : espagnol", "", name="Paco Ruiz", date=people.now),
                 mail(LINA, "DEMANDE : espagnol", "", name="Lina Petit", date=people.now))
    (proposal,) = people.to(A1, "MR-1")
    # A member who got hold of the token (a forwarded mail…) answers OUI from her address.
    leaked = reply(proposal, LINA, "OUI", name="Lina Petit", date=people.now)
    assert people.cycle(leaked) == ["handled: refused: wrong address"]
    assert people.store().introductions.find_one("ref", "MR-1")["status"] == "proposed"
    assert not people.to(LINA, "Une mise en relation")
    # Nobody else's mail either: the refused reply goes to the animators only.
    assert all(token_of(proposal) not in str(m["Subject"]) for m in people.to(PACO))


def test_an_animator_address_without_dkim_or_dmarc_pass_cannot_approve(robot_factory, imap_account, sink):
    people = People(robot_factory(network='authserv_id = "mx.test"'), imap_account, sink)
    people.join(PACO, "Paco Ruiz", PACO_JOIN)
    people.join(LINA, "Lina Petit", LINA_JOIN)
    people.cycle(mail(PACO, "OFFRE : espagnol", "", name="Paco Ruiz", date=people.now),
                 mail(LINA, "DEMANDE : espagnol", "", name="Lina Petit", date=people.now))
    (proposal,) = people.to(A1, "MR-1")
    forged = reply(proposal, A1, "OUI", name="Anim One", style="outlook", date=people.now,
                   headers={"Authentication-Results": "mx.test; spf=pass; dkim=fail header.d=example.org"})
    assert people.cycle(forged) == ["handled: refused: not authenticated"]
    assert people.store().introductions.find_one("ref", "MR-1")["status"] == "proposed"
    signed = reply(proposal, A1, "OUI", name="Anim One", style="outlook", date=people.now,
                   headers={"Authentication-Results": "mx.test; dkim=pass header.d=example.org"})
    assert people.cycle(signed) == ["handled: MR-1 approved by an animator: consent asked"]
    assert re.search(r"Une mise en relation vous est proposée", str(people.to(PACO)[-1]["Subject"]))
