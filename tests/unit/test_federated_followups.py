"""What follows a cross-network introduction in time (issue 19's follow-up): each robot
reminds its own animators and its own member once, and asks its own member the bilan
``bilan_days`` after the introduction was made; the bilan is recorded and counted here,
and nothing of it crosses the link. Two robots (Le Havre, Rouen) through the real parser
and route table, with a clock the test moves; the rules on plain data first."""
from __future__ import annotations

import json
from datetime import date

import pytest

from federation_support import A_H, A_R, HAVRE, exchange, parse, proposed_pair
from support import member_mail
from workflows.model.federated_introductions import bilan_wanted
from workflows.shell.apply import run
from workflows.steps.followups import followups
from workflows.steps.reports import build_report

MARIE, PACO = "marie@example.com", "paco@example.net"
MADE = {"status": "introduced", "member": "M-1", "close_reason": None,
        "history": [{"at": "2026-12-07T09:00:00+00:00", "event": "introduced (RERS de Rouen's member's …)"}]}


def test_a_bilan_is_wanted_of_a_made_introduction_our_member_received_once():
    assert bilan_wanted(MADE)
    assert not bilan_wanted({**MADE, "bilan_asked": "2026-12-28T09:00:00+00:00"}), "asked once"
    assert not bilan_wanted({**MADE, "member": None}), "our member left"
    assert not bilan_wanted({**MADE, "status": "consent", "history": []}), "not made"
    assert not bilan_wanted({**MADE, "close_reason": "erased", "delivered": False}), "never received"
    assert bilan_wanted({**MADE, "close_reason": "erased", "delivered": True}), "received, then the other left"


def follow(net) -> str:
    return str(run(net.settings, net.store, net.now, followups))


def later(*nets, days: int) -> None:
    for net in nets:
        net.later(days=days)


def text(raw: bytes) -> str:
    return " ".join(parse(raw).get_body(("plain",)).get_content().split())


def made(havre, rouen) -> None:
    """MRV-1 approved by both teams and consented to by both members."""
    havre.answer(A_H, "question:crossing_approve", "OUI")
    rouen.answer(A_R, "question:crossing_approve", "OUI")
    exchange(havre, rouen)
    havre.answer(MARIE, "question:crossing_consent", "OUI")
    rouen.answer(PACO, "question:crossing_consent", "OUI")
    exchange(havre, rouen)
    assert havre.store.crossings.all()[0]["status"] == rouen.store.crossings.all()[0]["status"] == "introduced"


def answered(havre, rouen, bilan: str) -> str:
    """MRV-1 made; 21 days later Marie is asked her bilan and answers ``bilan``: the
    outcome."""
    made(havre, rouen)
    later(havre, rouen, days=21)
    follow(havre)
    return havre.answer(MARIE, "question:bilan", bilan)


@pytest.fixture
def pair(tmp_path):
    return proposed_pair(tmp_path)


def test_each_robot_reminds_its_own_animators_once_never_the_other_team(pair):
    havre, rouen = pair
    later(havre, rouen, days=6)
    assert follow(havre).startswith("0 reminder(s)")
    later(havre, rouen, days=1)
    robot_mail = len(havre.robot_mail(rouen))
    assert follow(havre).startswith("1 reminder(s)")
    asked = havre.outbox(purpose="question:crossing_approve")
    assert [m["recipients"] for m in asked] == [[A_H], [A_H]], "Le Havre asks its own team only"
    assert "] Rappel : Mise en relation MRV-1" in str(parse(havre.mail_to(A_H, "question:crossing_approve"))["Subject"])
    assert len(havre.robot_mail(rouen)) == robot_mail, "no reminder crosses the link"
    assert follow(havre).startswith("0 reminder(s)"), "once"
    assert follow(rouen).startswith("1 reminder(s)")
    assert [m["recipients"] for m in rouen.outbox(purpose="question:crossing_approve")] == [[A_R], [A_R]]
    assert havre.answer(A_H, "question:crossing_approve", "OUI") == "MRV-1 approved by an animator"


def test_our_member_is_reminded_of_the_consent_once_the_other_by_their_own_robot(pair):
    havre, rouen = pair
    havre.answer(A_H, "question:crossing_approve", "OUI")
    rouen.answer(A_R, "question:crossing_approve", "OUI")
    exchange(havre, rouen)
    havre.answer(MARIE, "question:crossing_consent", "OUI")
    exchange(havre, rouen)
    later(havre, rouen, days=7)
    assert follow(havre).startswith("0 reminder(s)"), "Marie answered; Paco is Rouen's to remind"
    assert not havre.outbox(to=PACO)
    assert follow(rouen).startswith("1 reminder(s)")
    reminded = rouen.outbox(to=PACO, purpose="question:crossing_consent")
    assert len(reminded) == 2 and "Petit rappel" in text(rouen.mail_to(PACO, "question:crossing_consent"))
    assert follow(rouen).startswith("0 reminder(s)")
    assert rouen.answer(PACO, "question:crossing_consent", "OUI") == "MRV-1 consent: yes, introduction sent"


def test_each_robot_asks_its_own_member_the_bilan_which_never_crosses(pair):
    havre, rouen = pair
    made(havre, rouen)
    later(havre, rouen, days=20)
    assert "0 bilan question(s)" in follow(havre)
    later(havre, rouen, days=1)
    robot_mail = (len(havre.robot_mail(rouen)), len(rouen.robot_mail(havre)))
    assert "1 bilan question(s)" in follow(havre) and "1 bilan question(s)" in follow(rouen)
    assert "0 bilan question(s)" in follow(havre), "asked once"
    asked = text(havre.mail_to(MARIE, "question:bilan"))
    assert "RERS de Rouen" in asked and "cours d'espagnol" in asked and "n'en saura rien" in asked
    assert "Paco" not in asked and "06 11" not in asked, "never the other member"
    assert "RERS du Havre" in text(rouen.mail_to(PACO, "question:bilan")) and not rouen.outbox(to=MARIE)

    outcome = havre.answer(MARIE, "question:bilan", "Échange réalisé : oui\nIntérêt : je parle mieux\nFreins : le trajet")
    assert outcome == "MRV-1 bilan demand: yes"
    (record,) = havre.store.crossings.all()
    assert (record["bilan"]["happened"], record["bilan"]["obstacles"]) == ("yes", "le trajet")
    assert "Merci" in text(havre.mail_to(MARIE, "introduction_ack"))
    assert havre.outbox(to=MARIE, purpose="reciprocity"), "« et vous ? » after a good exchange received"
    assert rouen.answer(PACO, "question:bilan", "Oui, très bien") == "MRV-1 bilan offer: yes"
    assert not rouen.outbox(to=PACO, purpose="reciprocity"), "only the member who received"
    assert (len(havre.robot_mail(rouen)), len(rouen.robot_mail(havre))) == robot_mail, "no bilan crosses"
    assert "le trajet" not in str(rouen.store.crossings.all())
    report = build_report(havre.settings, havre.store, date(2026, 12, 1), date(2026, 12, 31), date(2026, 12, 31))
    assert [(b["ref"], b["side"], b["happened"], b["obstacles"]) for b in report["bilans"]] == [
        ("MRV-1", "demand", "yes", "le trajet")]


def test_a_bilan_saying_no_tells_our_animators_and_our_demand_may_meet_someone_here(pair):
    havre, rouen = pair
    made(havre, rouen)
    havre.member("lea@example.com", "Léa Martin")
    assert havre.deliver(member_mail("lea@example.com", "OFFRE : cours d'espagnol", "", to=HAVRE)) == "recorded O-1"
    assert not havre.store.introductions.all(), "D-1 was served across"
    later(havre, rouen, days=21)
    follow(havre)
    assert havre.answer(MARIE, "question:bilan", "Échange réalisé : non\nFreins : nos horaires") \
        == "MRV-1 bilan demand: no"
    told = text(havre.mail_to(A_H, "crossing_not_happened"))
    assert "MRV-1" in told and "nos horaires" in told and "D-1" in told and "Marie" not in told
    assert havre.store.crossings.all()[0]["not_happened"] is True
    (intro,) = havre.store.introductions.all()
    assert (intro["offer"], intro["demand"]) == ("O-1", "D-1"), "the demand is matched again"
    assert not havre.outbox(to=MARIE, purpose="reciprocity")


def test_our_member_erased_keeps_only_whether_the_exchange_took_place(pair):
    havre, rouen = pair
    answered(havre, rouen, "Échange réalisé : oui\nIntérêt : Marie Dupont a appris l'espagnol")
    assert havre.deliver(member_mail(MARIE, "RETRAIT", "Je quitte le réseau.", to=HAVRE))
    assert havre.answer(MARIE, "question:withdraw", "OUI")
    (record,) = havre.store.crossings.all()
    assert record["member"] is None and set(record["bilan"]) == {"happened", "at"}
    assert record["bilan"]["happened"] == "yes" and "Dupont" not in str(record)
    later(havre, rouen, days=30)
    assert "0 bilan question(s)" in follow(havre)


def test_no_bilan_of_an_introduction_our_member_never_received(pair):
    havre, rouen = pair
    made(havre, rouen)
    # Paco leaves before Le Havre's introduction mail to Marie left its outbox.
    assert rouen.deliver(member_mail(PACO, "RETRAIT", "Je quitte le réseau.", to="rers@rouen.example"))
    rouen.answer(PACO, "question:withdraw", "OUI")
    exchange(havre, rouen)
    (record,) = havre.store.crossings.all()
    assert record["close_reason"] == "erased" and record["delivered"] is False
    later(havre, rouen, days=21)
    assert "0 bilan question(s)" in follow(havre)
    assert not havre.outbox(to=MARIE, purpose="question:bilan")


def test_mes_donnees_shows_our_member_their_side_of_it_and_their_bilan(pair):
    havre, rouen = pair
    answered(havre, rouen, "Échange réalisé : oui")
    assert havre.deliver(member_mail(MARIE, "MES DONNÉES", "", to=HAVRE)) == "my_data: M-1"
    mail = parse(havre.mail_to(MARIE, "my_data"))
    said = " ".join(mail.get_body(("plain",)).get_content().split())
    assert "MRV-1 (RERS de Rouen) : votre bilan est reçu, merci (échange réalisé)" in said
    (attached,) = [p for p in mail.iter_attachments() if p.get_content_type() == "application/json"]
    (crossing,) = json.loads(attached.get_content())["crossings"]
    assert (crossing["ref"], crossing["side"], crossing["consent"], crossing["bilan"]["happened"]) == (
        "MRV-1", "demand", "yes", "yes")
    assert "Paco" not in said and "Paco" not in json.dumps(crossing)
