"""Issue 17, the échanges sur les échanges by mail through real mail: five people join;
Paco and Lina, Marie and Awa are put in touch (two introductions that went through); Zoé
takes part in no exchange. The échanges sur les échanges is enabled in the configuration
(second Thursday of March: 11 March 2027). The real `rers jobs` of 18 February 2027 —
``collection_days`` (21) before — starts the collection R-1: the four who took part in
an exchange get the questions, Zoé does not. Marie answers with « Citation : prénom »
(and her phone number in her words), Paco with « Citation : anonyme », Lina without a
Citation line (default non); all three write « Confiance : plus ». Awa does not answer.
The `rers jobs` of 4 March — ``synthesis_days`` (7) before — sends the synthesis to the
animators: Marie's words with « Marie » and her number masked, Paco's with « un membre »,
Lina's not at all; every count — three answers, four asked, three « plus » — is under
five, so none is shown: « moins de 5 ».

Mail goes in through Dovecot and out through aiosmtpd; every mail is also checked by the
session-wide privacy check (tests/privacy.py).
"""
from __future__ import annotations

import re
from html import unescape
from datetime import datetime, timezone

import pytest

from membership_support import Network, mail, reply, text_of
from support import ANIMATORS

pytestmark = pytest.mark.integration

UTC = timezone.utc
A1, A2 = ANIMATORS
PACO, LINA, MARIE, AWA, ZOE = ("paco.ruiz@example.net", "lina.petit@example.org", "marie.dupont@example.org",
                               "awa.diallo@example.org", "zoe.marchand@example.org")
PEOPLE = {PACO: ("Paco Ruiz", "06 11 22 33 44"), LINA: ("Lina Petit", "06 99 88 77 66"),
          MARIE: ("Marie Dupont", "06 12 34 56 78"), AWA: ("Awa Diallo", "06 55 44 33 22"),
          ZOE: ("Zoé Marchand", "06 44 55 66 77")}
REVIEW = "[calendar.exchange_review]\nenabled = true\nplace = \"Salle du Havre\"\n"
QUESTION = "Échanges sur les échanges du"


class People(Network):
    def to(self, address: str, subject: str = "") -> list:
        return [m for m in super().to(address) if subject in str(m["Subject"])]

    def join(self, address: str) -> None:
        name, phone = PEOPLE[address]
        self.cycle(mail(address, "ADHÉSION", f"Bonjour,\nNom : {name}\nTéléphone : {phone}\n", name=name,
                        date=self.now))
        self.cycle(reply(self.to(address)[-1], address, f"Oui, je confirme.\nPrénom : {name.split()[0]}",
                         name=name, date=self.now))
        assert self.store().members.find_one("address", address)["status"] == "confirmed"

    def answer(self, address: str, subject: str, words: str, **kw) -> list[str]:
        return self.cycle(reply(self.to(address, subject)[-1], address, words, name=PEOPLE[address][0],
                                date=self.now, **kw))


@pytest.fixture
def robot(robot_factory):
    return robot_factory(extra=REVIEW)


@pytest.fixture
def people(robot, imap_account, sink):
    return People(robot, imap_account, sink)


def flat(text: str) -> str:
    return " ".join(text.split())


def introduce(people: People, ref: str, offerer: str, asker: str, offer: str, demand: str) -> None:
    assert people.cycle(mail(offerer, f"OFFRE : {offer}", "Disponibilités : le mardi\n", name=PEOPLE[offerer][0],
                             date=people.now),
                        mail(asker, f"DEMANDE : {demand}", "Disponibilités : le mardi\n", name=PEOPLE[asker][0],
                             date=people.now))[1].startswith("handled: recorded D-")
    (proposal,) = people.to(A1, ref)
    assert people.cycle(reply(proposal, A1, "OUI", name="Anim One", style="outlook", date=people.now))[0] \
        .startswith(f"handled: {ref} approved")
    people.answer(asker, "Une mise en relation vous est proposée", "Oui avec plaisir")
    assert people.answer(offerer, "Une mise en relation vous est proposée", "D'accord !") == \
        [f"handled: {ref} introduced"]


def test_a_collection_started_by_the_calendar_three_kinds_of_quote_consent_and_a_synthesis(people, robot):
    for address in PEOPLE:
        people.join(address)
    introduce(people, "MR-1", PACO, LINA, "cours d'espagnol", "apprendre l'espagnol")
    introduce(people, "MR-2", MARIE, AWA, "tricot pour débutants", "apprendre le tricot")
    robot.command("jobs", now=people.now.isoformat())  # the daily publication stores the series
    assert not [m for a in PEOPLE for m in people.to(a, QUESTION)]

    day_before = datetime(2027, 2, 17, 9, 0, tzinfo=UTC)
    robot.command("jobs", now=day_before.isoformat())
    assert not [m for a in PEOPLE for m in people.to(a, QUESTION)], "22 days before: not yet"
    start = datetime(2027, 2, 18, 9, 0, tzinfo=UTC)
    robot.command("jobs", now=start.isoformat())
    for address in (PACO, LINA, MARIE, AWA):
        (question,) = people.to(address, QUESTION)
        text = flat(text_of(question))
        assert "jeudi 11 mars 2027" in str(question["Subject"]) + text
        assert "Qu'est-ce que le réseau a changé pour vous ?" in text and "Citation : prénom" in text
    assert not people.to(ZOE, QUESTION), "Zoé took part in no exchange since the last échanges sur les échanges"
    robot.command("jobs", now=start.replace(hour=10).isoformat())
    assert len(people.to(PACO, QUESTION)) == 1, "started once"
    listed = robot.command("collection", "list").stdout
    assert "R-1" in listed and "calendar" in listed and "2027-03-11" in listed

    people.now = datetime(2027, 2, 20, 10, 0, tzinfo=UTC)
    assert people.answer(MARIE, QUESTION, "Le réseau m'a sortie de chez moi. Appelez-moi au 06 12 34 56 78 !\n"
                         "Citation : prénom\nConfiance : plus") == ["handled: R-1: answer recorded (quote prénom)"]
    assert people.answer(PACO, QUESTION, "On apprend en transmettant.\nCitation : anonyme\nConfiance : plus",
                         style="outlook") == ["handled: R-1: answer recorded (quote anonyme)"]
    assert people.answer(LINA, QUESTION, "Je me sens moins seule le mardi.\nConfiance : plus") == \
        ["handled: R-1: answer recorded (quote non)"]
    for address in (MARIE, PACO, LINA):
        assert people.to(address, "Merci pour votre réponse au recueil"), "each author thanked"
    store = people.store()
    assert len(store.voice_answers.all()) == 3
    assert store.get_state("effects:2027-S1") == {"confiance": {"plus": 3}}
    assert all("confiance" not in str(a).lower() for a in store.voice_answers.all()), "effects kept by semester only"

    robot.command("jobs", now=datetime(2027, 3, 3, 9, 0, tzinfo=UTC).isoformat())
    assert not people.to(A1, "Synthèse du recueil R-1"), "7 days before, not 8"
    robot.command("jobs", now=datetime(2027, 3, 4, 9, 0, tzinfo=UTC).isoformat())
    for animator in ANIMATORS:
        (synthesis,) = people.to(animator, "Synthèse du recueil R-1 (échanges sur les échanges du jeudi 11 mars")
        text = flat(text_of(synthesis))
        html = synthesis.get_body(preferencelist=("html",)).get_content()
        assert "Le réseau m'a sortie de chez moi." in text and "— Marie" in text
        assert "« On apprend en transmettant. » — un membre" in text
        assert "moins seule" not in text and "moins seule" not in html, "Lina did not allow a quote"
        assert "06 12 34 56 78" not in text + html and "Dupont" not in text + html
        assert not any(name.split()[1] in text + html for name, _ in PEOPLE.values()), "no surname"
        assert "moins de 5" in text and "moins de 5" in html.replace("&nbsp;", " ")
        shown_html = flat(unescape(re.sub(r"<head>.*?</head>|<[^>]+>", " ", html, flags=re.S)))
        for part in (text, shown_html):
            counted = re.sub(r"R-1|S1|2026|2027|RERS|\d+ h|\d{1,2}:\d\d|\d+ mars", "", part)
            assert not re.search(r"(?<![\w.-])[1-4](?![\w.-])", counted), f"a count under five shown: {part}"
    (awa_s,) = [q for q in people.store().questions.all() if q["kind"] == "collection" and q["address"] == AWA]
    assert awa_s["status"] == "cancelled", "the questions not answered are closed with the synthesis"
    shown = robot.command("collection", "show", "R-1").stdout
    assert "synthesised" in shown and "— Marie" in shown and "moins seule" not in shown
