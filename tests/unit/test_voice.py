"""The échanges sur les échanges by mail (issue 17, « recueil »): a collection asked of each
confirmed member, answered with three kinds of quote consent and the optional effects,
and a synthesis to the animators that never shows a count under five. The store, the
real parser and the route table; the clock in hand."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from intro_support import ANIMATORS, Net
from workflows import routes
from workflows.model.voice import read_answer, synthesis
from workflows.steps.erasure import erase_member
from workflows.steps.voice import send_synthesis, start_collection

A1, A2 = ANIMATORS
PEOPLE = {"marie.dupont@example.org": "Marie Dupont", "paul.martin@example.net": "Paul Martin",
          "awa.diallo@example.org": "Awa Diallo", "zoe.marchand@example.org": "Zoé Marchand"}
M, P, A, Z = PEOPLE


@pytest.fixture
def net(tmp_path) -> Net:
    n = Net(tmp_path / "robot")
    for address, name in PEOPLE.items():
        n.member(address, name, phone="+33612345678" if address == M else None)
    return n


def started(net: Net) -> dict:
    return net.step(start_collection, questions_asked=["Qu'est-ce que le réseau a changé pour vous ?"],
                    meeting=(net.now + timedelta(days=21)).date(), source="questionnaire")


def test_the_answer_is_read_field_by_field():
    read = read_answer("J'ai repris confiance.\nCitation : Prénom\nIsolement : moins\nRéseau : plus !\nConfiance : ?")
    assert read == {"words": "J'ai repris confiance.", "quote": "prénom",
                    "effects": {"isolement": "moins", "reseau": "plus"}}
    assert read_answer("Bien.")["quote"] == "non"


def test_a_collection_with_three_kinds_of_quote_consent(net):
    assert routes.ANSWERS["collection"].guard is routes.ADDRESSEE
    collection = started(net)
    assert collection["asked"] == 4
    assert len(net.mails("question:collection")) == 4
    assert net.answer(M, "question:collection", "Le réseau m'a redonné confiance. Appelez-moi au 06 12 34 56 78.\n"
                      "Citation : prénom\nConfiance : plus") == "R-1: answer recorded (quote prénom)"
    assert net.answer(P, "question:collection", "On m'écoute, ici.\nCitation : anonyme\nConfiance : plus") == \
        "R-1: answer recorded (quote anonyme)"
    assert net.answer(A, "question:collection", "Je me sens moins seule.\nConfiance : plus") == \
        "R-1: answer recorded (quote non)"
    assert net.answer(Z, "question:collection", "NON") == "R-1: M-4 said no, nothing recorded"
    assert net.store.members.find_one("address", Z)["voice"] is False
    assert len(net.store.voice_answers.all()) == 3
    assert net.store.get_state("effects:2026-S2") == {"confiance": {"plus": 3}}
    assert all("confiance" not in a for a in net.store.voice_answers.all()), "no effect kept per person"

    net.step(send_synthesis, net.store.recueils.find_one("ref", "R-1"))
    (mail,) = net.mails("collection_synthesis")
    assert sorted(mail.recipients) == sorted(ANIMATORS)
    text = " ".join(mail.text.split())
    assert "« Le réseau m'a redonné confiance." in text and "— Marie" in text
    assert "« On m'écoute, ici. » — un membre" in text
    assert "moins seule" not in text, "not quoted when the author did not allow it"
    assert "06 12 34 56 78" not in mail.everything() and "Dupont" not in mail.everything()
    for part in (mail.text, mail.message.get_body(preferencelist=("html",)).get_content()):
        assert not re.search(r"(?<![\w-])[1-4](?![\w-])(?! h)", re.sub(r"R-1|S2|2026|2027|RERS|\d+ h", "", part)
                             .split("Questions")[1].split("--")[0]), "no count under five"
    assert "moins de 5" in text


def test_the_synthesis_shows_counts_of_five_and_more():
    answers = [{"words": "x", "quote": "non"}] * 6
    found = synthesis({"ref": "R-1", "asked": 9}, answers, [], {"confiance": {"plus": 5, "moins": 4}})
    assert (found["asked"], found["answered"]) == (9, 6)
    assert found["effects"]["confiance"] == {"moins": None, "pareil": None, "plus": 5}


def test_the_author_s_erasure_deletes_their_answers(net):
    started(net)
    net.answer(M, "question:collection", "Beaucoup de choses.\nCitation : prénom")
    net.step(erase_member, net.store.members.find_one("address", M), reason="forgotten", by="animator",
             animator=A1)
    assert net.store.voice_answers.all() == []
