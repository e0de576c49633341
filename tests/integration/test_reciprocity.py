"""Issue 18 through real mail (Dovecot in, aiosmtpd out): an offer given with « Accord
permanent : oui » puts an asker in touch once an animator approves, without asking the
offerer again, who is told with the asker's first name only; after the asker's good bilan,
« Et vous, qu'aimeriez-vous transmettre ? » with open demands' titles and no name, and her
« OFFRE : … » in reply is recorded. Every mail is also checked by the session-wide privacy
check (tests/privacy.py)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from membership_support import Network, mail, reply, text_of
from support import ANIMATORS

pytestmark = pytest.mark.integration

PACO, LINA, ZOE = "paco.ruiz@example.net", "lina.petit@example.org", "zoe.blanc@example.org"
A1 = ANIMATORS[0]


class People(Network):
    def to(self, address: str, subject: str = "") -> list:
        return [m for m in super().to(address) if subject in str(m["Subject"])]

    def join(self, address: str, name: str, body: str) -> None:
        self.cycle(mail(address, "ADHÉSION", body, name=name, date=self.now))
        self.cycle(reply(self.to(address)[-1], address, f"Oui, je confirme.\nPrénom : {name.split()[0]}", name=name,
                         date=self.now))
        assert self.store().members.find_one("address", address)["status"] == "confirmed"


@pytest.fixture
def people(imap_robot, imap_account, sink):
    return People(imap_robot, imap_account, sink)


def everything(msg) -> str:
    return "\n".join([*(f"{k}: {v}" for k, v in msg.items()),
                      *(p.get_content() for p in msg.walk() if p.get_content_maintype() == "text")])


def test_a_standing_consent_then_a_good_bilan_and_et_vous(people, imap_robot):
    people.join(PACO, "Paco Ruiz", "Nom : Paco Ruiz\nTéléphone : 06 11 22 33 44\n")
    people.join(LINA, "Lina Petit", "Nom : Lina Petit\n")
    people.join(ZOE, "Zoé Blanc", "Nom : Zoé Blanc\n")
    people.cycle(mail(PACO, "OFFRE : cours d'espagnol", "Accord permanent : oui\n", name="Paco Ruiz", date=people.now),
                 mail(ZOE, "DEMANDE : apprendre le tricot", "", name="Zoé Blanc", date=people.now),
                 mail(LINA, "DEMANDE : apprendre l'espagnol", "", name="Lina Petit", date=people.now))
    assert people.store().items.find_one("ref", "O-1")["standing_consent"] is True
    (proposal,) = people.to(A1, "MR-1")
    people.cycle(reply(proposal, A1, "OUI", name="Anim One", date=people.now))

    # Only Lina is asked; Paco consented once and for all.
    assert people.to(PACO, "Une mise en relation vous est proposée") == []
    (to_lina,) = people.to(LINA, "Une mise en relation vous est proposée")
    people.cycle(reply(to_lina, LINA, "Oui", name="Lina Petit", date=people.now))
    assert people.store().introductions.find_one("ref", "MR-1")["status"] == "introduced"
    (told,) = people.to(PACO, "O-1 : une mise en relation avec votre accord permanent")
    assert "Lina" in text_of(told)
    assert "Petit" not in everything(told) and LINA not in everything(told)

    # Her bilan says the exchange happened: « et vous ? », with an open demand's title, no name.
    later = people.now + timedelta(days=21)
    imap_robot.command("introductions", "follow-up", now=later.isoformat())
    (bilan,) = people.to(LINA, "Comment s'est passé l'échange")
    people.now = later + timedelta(days=1)
    people.cycle(reply(bilan, LINA, "Échange réalisé : oui\nIntérêt : je parle au marché", name="Lina Petit",
                       date=people.now))
    (et_vous,) = people.to(LINA, "Et vous, qu'aimeriez-vous transmettre")
    assert "apprendre le tricot" in text_of(et_vous)
    assert "Zoé" not in everything(et_vous) and ZOE not in everything(et_vous) and "Paco" not in everything(et_vous)

    # She answers it with an offer: recorded as hers.
    people.now += timedelta(hours=2)
    people.cycle(reply(et_vous, LINA, "OFFRE : cuisine libanaise", name="Lina Petit", date=people.now))
    lina = people.store().members.find_one("address", LINA)
    assert [i["title"] for i in people.store().items.find("member", lina["ref"]) if i["kind"] == "offer"] == [
        "cuisine libanaise"]
