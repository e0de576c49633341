"""Erasing a member removes their name from what others wrote about the introductions they
were part of: a bilan says « Paco n'a jamais répondu », with the first name only, in any
case and without accents; the monthly report must not print it."""
from __future__ import annotations

import json
import pytest

from intro_support import ANIMATORS, Net
from workflows.model.traces import ERASED, Traces
from workflows.steps.reports import build_report

PACO, LINA = "paco.ruiz@example.net", "lina.petit@example.org"


@pytest.fixture
def net(tmp_path) -> Net:
    return Net(tmp_path / "robot")


def introduced(net: Net, paco_name: str = "Paco Ruiz") -> None:
    paco = net.member(PACO, paco_name, phone="+33611223344")
    lina = net.member(LINA, "Lina Petit", phone="+33699887766")
    net.item(paco, "offer", "Cours d'espagnol")
    net.item(lina, "demand", "Apprendre l'espagnol")
    assert net.answer(ANIMATORS[0], "question:approve", "OUI").startswith("MR-1 approved")
    net.answer(LINA, "question:consent", "oui")
    assert net.answer(PACO, "question:consent", "Oui bien sûr") == "MR-1 introduced"


def withdraw(net: Net, address: str) -> None:
    net.send(address, "DESINSCRIPTION", "")
    assert net.answer(address, "question:withdraw", "Oui").endswith("erased")
    with net.store.transaction():  # the goodbye, once sent, keeps nothing (outbox forget_after_send)
        for mail in net.store.outbox.scan(lambda m: m.get("forget")):
            net.store.outbox.delete(mail["id"])


def test_the_other_side_s_bilan_loses_the_first_name_of_the_member_who_left(net):
    introduced(net)
    net.later(21)
    assert net.answer(LINA, "question:bilan", "Echange realise : non\n"
                      "Freins : Paco n'a jamais repondu a mes mails\n") == "MR-1 bilan demand: no"
    withdraw(net, PACO)
    bilan = net.intro()["bilans"]["demand"]
    assert bilan["happened"] == "no"
    assert bilan["obstacles"] == f"{ERASED} n'a jamais repondu a mes mails"
    assert "paco" not in bilan["text"].lower()
    assert "paco" not in net.store.path.read_text(encoding="utf-8").lower()
    zone = net.settings.network.zone
    today = net.now.astimezone(zone).date()
    report = build_report(net.settings, net.store, today.replace(day=1), today, today)
    assert report["bilans"] and "paco" not in json.dumps(report, default=str).lower()


def test_every_side_and_every_field_of_the_member_s_introductions_is_cleaned(net):
    introduced(net, paco_name="Pâco Ruíz-Ölmo")
    net.later(21)
    net.answer(LINA, "question:bilan", "Échange réalisé : oui\nIntérêt : PACO m'a appris, merci à paco.\n"
                                        "Éléments facilitants : la patience de M. Olmo (ruiz)\n")
    net.answer(PACO, "question:bilan", "Très bien avec Lina.")
    withdraw(net, PACO)
    intro = net.intro()
    assert intro["bilans"]["demand"]["interest"] == f"{ERASED} m'a appris, merci à {ERASED}."
    assert intro["bilans"]["demand"]["facilitators"] == f"la patience de M. {ERASED} ({ERASED})"
    assert "Lina" not in json.dumps(intro["bilans"]["offer"]), "the leaver's own bilan keeps only whether it happened"


def test_a_queued_mail_about_the_member_s_introduction_that_quotes_them_is_dropped(net):
    introduced(net)
    net.later(21)
    net.answer(LINA, "question:bilan", "Echange realise : non\nFreins : Paco n'a jamais repondu\n")
    assert any("Paco" in m.text for m in net.mails("introduction_not_happened"))
    withdraw(net, PACO)
    assert not [m for m in net.mails() if "paco" in m.everything().lower()]
    assert net.mails("introduction_ack", to=LINA), "mails to the other that do not name them are kept"


def test_an_introduction_without_the_member_keeps_their_namesake_words(net):
    introduced(net)
    net.member("odile.r@example.com", "Odile R")
    with net.store.transaction():
        net.store.introductions.insert({"ref": "MR-9", "offer": "O-9", "demand": "D-9",
                                        "offer_member": "M-3", "demand_member": "M-2",
                                        "status": "completed", "why": [],
                                        "bilans": {"offer": None, "demand": {"text": "Paco de Lucía, à écouter"}}})
    withdraw(net, PACO)
    assert net.intro("MR-9")["bilans"]["demand"]["text"] == "Paco de Lucía, à écouter"


def test_words_of_the_name_are_matched_whole_accents_and_case_aside():
    traces = Traces("paco@example.net", "Paco Ruiz-Al", "+33611223344")
    assert traces.redact("paço, RUIZ et Ruizette; Al et Alice; pacO!", words=True) == \
        f"{ERASED}, {ERASED} et Ruizette; Al et Alice; {ERASED}!"
    assert traces.redact("Paco a écrit", words=False) == "Paco a écrit", "elsewhere only the whole name"
    assert traces.redact("PÂCO   ruiz-al, 06 11 22 33 44") == f"{ERASED}, {ERASED}"
    assert Traces(None, "Œdipe Straße", None).redact("oedipe et STRASSE", words=True) == f"{ERASED} et {ERASED}"
    assert Traces(None, "Pacó Ruiz", None).redact("Paco\u0301 est là, xpaco", words=True) == f"{ERASED} est là, xpaco"
