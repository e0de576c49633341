"""Issue 18 through real mail: a member asks for the monthly news, gets it on the first
Monday of the month (the clock moved, no sleeping: the real `rers jobs` with ``RERS_NOW``)
with titles and references and no name, answers it « le O-2 m'intéresse » and the
animators get the proposal; the offerer takes a pause until a date and is back on that
day with a short notice; the fresh tester's round (interest reusing an open demand, a
stranger's interest, a date that does not exist, standing consent beside preferences).
Mail goes in through Dovecot and out through aiosmtpd; every mail of this file is also
checked by the session-wide privacy check (tests/privacy.py).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from membership_support import Network, mail, reply, text_of
from support import ANIMATORS

pytestmark = pytest.mark.integration

PACO, LINA = "paco.ruiz@example.net", "lina.petit@example.org"
ZOE, LINA_NEW = "zoe.marchand@example.org", "lina.petit@nouveau.example"
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


def test_news_interest_and_a_pause_through_real_mail(people, imap_robot):
    people.join(PACO, "Paco Ruiz", "Nom : Paco Ruiz\nTéléphone : 06 11 22 33 44\n")
    people.join(LINA, "Lina Petit", "Nom : Lina Petit\n")
    assert people.cycle(mail(LINA, "Nouvelles : oui", "Bonjour,\n\nMerci !", name="Lina Petit",
                             date=people.now)) == ["handled: preferences M-2: digest True"]
    assert people.cycle(mail(PACO, "OFFRE", "Savoir : Couture\n\nSavoir : Cours de guitare\n", name="Paco Ruiz",
                             date=people.now)) == ["handled: recorded O-1, O-2"]

    # The first Monday of December, the real jobs: the news to Lina only, no name.
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)
    assert "ok    nouvelles" in imap_robot.command("jobs", now=monday.isoformat()).stdout
    (news,) = people.to(LINA, "Nouvelles du")
    assert people.to(PACO, "Nouvelles du") == []
    body = text_of(news)
    assert "O-1 : Couture" in body and "O-2 : Cours de guitare" in body
    assert "Paco" not in everything(news) and PACO not in everything(news) and "06 11" not in everything(news)
    assert news["List-Unsubscribe"].endswith("?subject=Nouvelles%20%3A%20non>")
    imap_robot.command("jobs", now=monday.isoformat())
    assert len(people.to(LINA, "Nouvelles du")) == 1, "once a month"

    # She answers the news naming a reference: her demand, and the proposal to the animators.
    people.now = monday
    assert people.cycle(reply(news, LINA, "Bonjour,\nJe voudrais en savoir plus sur O-2.", name="Lina Petit",
                              date=people.now)) == ["handled: interest O-2: D-1 recorded, MR-1 proposed"]
    assert people.to(A1, "MR-1")
    (ack,) = people.to(LINA, "Votre intérêt pour O-2")
    assert "Paco" not in everything(ack)

    # Paco takes a pause until 4 January: hidden; on the day, back with a short notice.
    assert people.cycle(mail(PACO, "PAUSE jusqu'au 4 janvier", "Je pars en formation.", name="Paco Ruiz",
                             date=people.now)) == ["handled: pause M-1 until 2027-01-04: 2 item(s) hidden"]
    assert people.store().items.find_one("ref", "O-1")["status"] == "paused"
    assert "(en pause jusqu'au lundi 4 janvier 2027)" in imap_robot.command("members", "list").stdout
    imap_robot.command("jobs", now=datetime(2027, 1, 3, 9, 0, tzinfo=timezone.utc).isoformat())
    assert people.to(PACO, "de retour") == []
    imap_robot.command("jobs", now=datetime(2027, 1, 4, 9, 0, tzinfo=timezone.utc).isoformat())
    (back,) = people.to(PACO, "Vous êtes de retour")
    assert "Couture" in text_of(back)
    assert people.store().items.find_one("ref", "O-1")["status"] == "open"


NEW = "paco.nouveau@example.com"


def test_a_new_address_confirmed_from_it_moves_everything_and_the_old_one_gets_nothing_after(people, imap_robot):
    imap_robot.command("calendar", "publish", now=people.now.isoformat())
    people.join(PACO, "Paco Ruiz", "Nom : Paco Ruiz\nInvitations : oui\n")
    assert people.cycle(mail(PACO, "OFFRE", "Savoir : Couture\n", name="Paco Ruiz", date=people.now)) == \
        ["handled: recorded O-1"]
    before = people.store()
    consents = sorted((c["purpose"], c["subject_ref"], c["given"]) for c in before.consents.find("member", "M-1"))
    assert consents and people.to(PACO, "Invitation")
    # A workshop reaches him, then he keeps the permanences only: the workshop leaves his agenda.
    imap_robot.command("calendar", "add", "workshop", "2027-01-14", "14:00-16:00", "--place", "Salle du Havre",
                       now=people.now.isoformat())
    assert people.to(PACO, "Invitation : Atelier")
    people.cycle(mail(PACO, "Calendrier", "Invitations : permanences\n", name="Paco Ruiz", date=people.now))
    (by_kind,) = people.to(PACO, "Retiré de votre agenda : Atelier")
    assert "ne fait plus partie des invitations que vous avez choisies : permanences" in \
        " ".join(text_of(by_kind).split())
    assert "« Invitations : permanences, ateliers »" in " ".join(text_of(by_kind).split())

    assert people.cycle(mail(PACO, f"Nouvelle adresse : {NEW}", "Bonjour, j'ai changé d'adresse.",
                             name="Paco Ruiz", date=people.now)) == \
        ["handled: address_change M-1: confirmation asked at the new address"]
    (question,) = people.to(NEW, "Confirmez-vous votre nouvelle adresse")
    assert "Paco" not in everything(question) and PACO not in everything(question)
    assert people.store().members.find_one("ref", "M-1")["address"] == PACO

    assert people.cycle(reply(question, NEW, "OUI", date=people.now)) == \
        ["handled: address_change M-1: moved to the new address"]
    after = people.store()
    assert after.members.find_one("ref", "M-1")["address"] == NEW
    assert sorted((c["purpose"], c["subject_ref"], c["given"]) for c in after.consents.find("member", "M-1")) == \
        consents, "every consent kept"
    assert after.items.find_one("ref", "O-1")["member"] == "M-1"
    withdrawn = people.to(PACO, "Retiré de votre agenda (nouvelle adresse)")
    assert withdrawn, "the calendar withdrawn at the old address"
    assert all("passent à la nouvelle adresse" in " ".join(text_of(m).split()) for m in withdrawn)
    assert [str(m["Subject"]) for m in withdrawn] == ["Retiré de votre agenda (nouvelle adresse) : Permanence du RERS "
                                                      "de Test"], "the workshop left his agenda before: not twice"
    assert len(people.to(PACO, "Retiré de votre agenda : Atelier")) == 1 and by_kind
    assert people.to(NEW, "Invitation"), "and sent to the new one"
    assert people.to(PACO, "Votre adresse au") and people.to(NEW, "Votre adresse au")

    # Afterwards, nothing more goes to the old address.
    seen = len(people.to(PACO))
    assert people.cycle(mail(NEW, "OFFRE", "Savoir : Cours de guitare\n", name="Paco Ruiz", date=people.now)) == \
        ["handled: recorded O-2"]
    imap_robot.command("calendar", "add", "workshop", "2027-01-21", "14:00-16:00", "--place", "Salle du Havre",
                       now=people.now.isoformat())
    imap_robot.command("jobs", now=people.now.isoformat())
    assert len(people.to(PACO)) == seen
    assert people.to(NEW, "Invitation : Permanence")
    assert not people.to(NEW, "Atelier"), "his kinds of invitations moved with him: permanences only"


def test_reprise_brings_back_what_freshness_set_aside_through_real_mail(people, imap_robot):
    from datetime import timedelta

    people.join(PACO, "Paco Ruiz", "Nom : Paco Ruiz\n")
    assert people.cycle(mail(PACO, "OFFRE", "Savoir : Couture\n\nSavoir : Cours de guitare\n", name="Paco Ruiz",
                             date=people.now)) == ["handled: recorded O-1, O-2"]
    people.cycle(mail(PACO, "RETRAIT O-2", "Je ne peux plus.", name="Paco Ruiz", date=people.now))
    people.cycle(reply(people.to(PACO)[-1], PACO, "OUI", name="Paco Ruiz", date=people.now))
    assert people.store().items.find_one("ref", "O-2")["status"] == "closed"
    # Three months without a proposal: « toujours d'actualité ? »; three weeks more, set aside.
    asked = people.now + timedelta(days=91)
    imap_robot.command("jobs", now=asked.isoformat())
    assert people.to(PACO, "Toujours d'actualité")
    imap_robot.command("jobs", now=(asked + timedelta(days=22)).isoformat())
    assert people.store().items.find_one("ref", "O-1")["status"] == "paused"

    people.now = asked + timedelta(days=23)
    assert people.cycle(mail(PACO, "REPRISE", "Me revoilà !", name="Paco Ruiz", date=people.now)) == \
        ["handled: resume M-1: was not paused, 1 set-aside item(s) open again"]
    assert people.store().items.find_one("ref", "O-1")["status"] == "open"
    assert people.store().items.find_one("ref", "O-2")["status"] == "closed", "what he closed stays closed"
    (ack,) = people.to(PACO, "Fin de votre pause")
    words = " ".join(text_of(ack).split())
    assert "mis de côté faute de réponse" in words and "O-1" in words and "Cours de guitare" not in words


# --- the fresh tester's round: interest, a pause date, standing consent beside preferences ---------

NINA = "nina.inconnue@example.com"


def flat(msg) -> str:
    return " ".join(text_of(msg).split())


def test_the_testers_round_through_real_mail(people):
    """An interest from a member whose open demand matches reuses it; a stranger's interest is
    answered with how to join, the animators told why; a pause date that does not exist is
    said not understood; « Accord permanent » in the subject with « Contact : permanence »
    in the body applies both."""
    people.join(PACO, "Paco Ruiz", "Nom : Paco Ruiz\nTéléphone : 06 11 22 33 44\n")
    people.join(LINA, "Lina Petit", "Nom : Lina Petit\n")
    assert people.cycle(mail(PACO, "OFFRE : Cours d'espagnol", "", name="Paco Ruiz", date=people.now)) == \
        ["handled: recorded O-1"]
    assert people.cycle(mail(LINA, "DEMANDE : Apprendre l'espagnol pour voyager", "", name="Lina Petit",
                             date=people.now))[0].startswith("handled: recorded D-1")
    assert [(i["offer"], i["demand"]) for i in people.store().introductions.all()] == [("O-1", "D-1")]

    # Her open demand matches O-1: it is the one proposed, no second demand.
    (outcome,) = people.cycle(mail(LINA, "Je m'intéresse à O-1", "Bonjour !", name="Lina Petit", date=people.now))
    assert outcome == "handled: interest O-1: D-1 reused, no new proposal"
    store = people.store()
    assert [i["ref"] for i in store.items.all() if i["kind"] == "demand"] == ["D-1"]
    assert [(i["offer"], i["demand"]) for i in store.introductions.all()] == [("O-1", "D-1")], "none more"
    assert "y correspond déjà" in flat(people.to(LINA, "Votre intérêt pour O-1")[-1])

    # Someone who is not a member: how to join, and the animators told why.
    assert people.cycle(mail(NINA, "Je m'intéresse à O-1", "Bonjour", date=people.now)) == \
        ["handled: interest O-1: not a member, told how to join"]
    (answer,) = people.to(NINA)
    assert "ADHÉSION" in text_of(answer) and "Paco" not in text_of(answer)
    forwarded = [m for m in people.to(A1) if NINA in str(m.get("Reply-To", ""))]
    assert forwarded and "pas membre du réseau s'intéresse à O-1" in flat(forwarded[-1])
    assert "n'a pas compris" not in flat(forwarded[-1])

    # A date that does not exist is said, never replaced.
    assert people.cycle(mail(PACO, "PAUSE jusqu'au 31 février", "", name="Paco Ruiz", date=people.now)) == \
        ["handled: pause M-1 until REPRISE: 1 item(s) hidden"]
    (paused,) = people.to(PACO, "pause")
    assert "Nous n'avons pas compris la date « 31 février »" in flat(paused)
    people.cycle(mail(PACO, "REPRISE", "", name="Paco Ruiz", date=people.now))

    # Standing consent in the subject, a contact in the body: both applied, both said in
    # one answer (the next day: Paco had his five answers of the day).
    people.now += timedelta(days=1)
    (outcome,) = people.cycle(mail(PACO, "Accord permanent : oui O-1", "Contact : permanence", name="Paco Ruiz",
                                   date=people.now))
    assert outcome == "handled: preferences M-1: contact permanence; standing M-1: given on O-1"
    store = people.store()
    assert store.items.find_one("ref", "O-1")["standing_consent"] is True
    assert store.members.find_one("ref", "M-1")["contact"] == "permanence"
    said = flat(people.to(PACO)[-1])
    assert "Mise en relation : à la permanence" in said and "vous demandera tout de même votre accord" in said


def test_a_member_who_moves_takes_the_sessions_of_her_group_along(people, imap_robot):
    people.join(PACO, "Paco Ruiz", "Nom : Paco Ruiz\n")
    people.join(LINA, "Lina Petit", "Nom : Lina Petit\n")
    people.join(ZOE, "Zoé Marchand", "Nom : Zoé Marchand\n")
    for address, name in ((LINA, "Lina Petit"), (ZOE, "Zoé Marchand")):
        people.cycle(mail(address, "DEMANDE : apprendre le tricot", "", name=name, date=people.now))
    people.cycle(mail(PACO, "OFFRE : atelier tricot", "Modalité : atelier\nPlaces : 2\n", name="Paco Ruiz",
                      date=people.now))
    people.cycle(reply(people.to(A1, "Groupe G-1 à approuver")[-1], A1, "OUI", date=people.now))
    people.cycle(reply(people.to(PACO, "Animer un groupe")[-1], PACO, "Oui", name="Paco Ruiz", date=people.now))
    assert people.cycle(reply(people.to(LINA, "Rejoindre le groupe")[-1], LINA, "OUI", name="Lina Petit",
                              date=people.now)) == ["handled: G-1: M-2 has a place (1/2)"]
    assert people.cycle(mail(A1, "ATELIER G-1 2026-12-16 10:00-12:00 Salle du Havre", "", date=people.now)) == \
        ["handled: group session G-1: done"]
    assert people.to(LINA, "Invitation : Groupe"), "Lina's place brought her the session"

    people.cycle(mail(LINA, f"Nouvelle adresse : {LINA_NEW}", "Bonjour, nouvelle adresse.", name="Lina Petit",
                      date=people.now))
    assert people.cycle(reply(people.to(LINA_NEW, "Confirmez-vous votre nouvelle adresse")[-1], LINA_NEW, "OUI",
                              date=people.now)) == ["handled: address_change M-2: moved to the new address"]
    (gone,) = people.to(LINA, "Retiré de votre agenda (nouvelle adresse) : Groupe")
    assert "passent à la nouvelle adresse" in " ".join(text_of(gone).split())
    assert "METHOD:CANCEL" in everything(gone) and LINA in everything(gone).lower()
    (invited,) = people.to(LINA_NEW, "Invitation : Groupe")
    assert "METHOD:REQUEST" in everything(invited) and LINA_NEW in everything(invited).lower()
    assert LINA not in everything(invited).lower(), "the new address's invitation names it alone"

    # The session changes: only the new address hears of it.
    seen = len(people.to(LINA))
    people.cycle(mail(A1, "ATELIER G-1 2026-12-23 10:00-12:00 Salle du Havre", "", date=people.now))
    assert len(people.to(LINA)) == seen
    assert len(people.to(LINA_NEW, "Invitation : Groupe")) == 2
