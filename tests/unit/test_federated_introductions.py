"""Cross-network introductions (issue 19): the pure logic on plain data, and two robots
(Le Havre, Rouen) through the real parser and route table, the test carrying the mail
between them (the same through the real servers: tests/integration/test_federation.py)."""
from __future__ import annotations

import json
from datetime import date

import pytest

from federation_support import (
    A_H,
    A_R,
    HAVRE,
    ROUEN,
    Network,
    exchange,
    forged,
    json_part,
    parse,
    proposed_pair,
    replayed,
)
from support import member_mail
from workflows.commands.federation import status
from workflows.steps.reports import build_report
from workflows.model.federated_introductions import (
    best_offer,
    counts,
    due,
    read_introduced,
    read_proposal,
    read_reason,
)


# --- pure logic ------------------------------------------------------------------------------


def test_a_proposal_body_is_cut_to_the_shared_fields_and_refused_when_malformed():
    body = {"id": "MRV-3", "offer": "O-4", "score": 0.8,
            "demand": {"ref": "D-7", "title": "espagnol", "name": "Marie Dupont", "address": "m@x.org"}}
    found = read_proposal(body)
    assert found["demand"] == {"ref": "D-7", "kind": "demand", "title": "espagnol", "modality": None,
                               "availability": None}
    for broken in ({**body, "id": "MR-3"}, {**body, "offer": "D-4"}, {**body, "demand": "espagnol"},
                   {k: v for k, v in body.items() if k != "offer"}):
        assert read_proposal(broken) is None
    assert read_proposal({**body, "score": 7})["score"] == 0.0


def test_an_introduced_body_holds_one_contact_of_its_kind_or_nothing():
    assert read_introduced({"first_name": "Paco", "contact": "email", "value": "paco@rouen.example"}) == {
        "first_name": "Paco", "contact": "email", "value": "paco@rouen.example"}
    assert read_introduced({"first_name": "Paco", "contact": "permanence", "value": "06 11 22 33 44"})["value"] is None
    assert read_introduced({"first_name": "Paco", "contact": "email", "value": "06 11 22 33 44"}) is None
    assert read_introduced({"first_name": "Paco", "contact": "phone", "value": "paco@rouen.example"}) is None
    assert read_introduced({"contact": "address", "value": "1 rue de la Paix"}) is None
    assert read_reason({"reason": "erased"}) == "erased" and read_reason({"reason": "?"}) == "withdrawn"


def test_what_is_due_follows_both_approvals_then_both_consents():
    record = {"status": "proposed", "approvals": {"ours": "yes", "theirs": None},
              "consents": {"ours": None, "theirs": None}, "sent_introduced": False}
    assert due(record) is None
    record["approvals"]["theirs"] = "yes"
    assert due(record) == "ask_consent"
    record.update(status="consent", consents={"ours": "yes", "theirs": "yes"})
    assert due(record) == "send_introduced"
    record["sent_introduced"] = True
    assert due(record) is None


def test_the_best_offer_across_is_the_best_score_above_the_minimum_never_a_pair_tried():
    offers = [("a", {"ref": "O-1", "kind": "offer", "title": "x"}), ("b", {"ref": "O-2", "kind": "offer", "title": "y"}),
              ("b", {"ref": "D-3", "kind": "demand", "title": "y"})]
    scores = {"x": 0.7, "y": 0.9}
    assert best_offer("d", offers, lambda o, d: scores[o], 0.6, set())[:2] == ("b", offers[1][1])
    assert best_offer("d", offers, lambda o, d: scores[o], 0.6, {("b", "O-2")})[0] == "a"
    assert best_offer("d", offers, lambda o, d: scores[o], 0.95, set()) is None


def test_the_report_counts_cross_network_introductions_of_the_period():
    records = [
        {"created": "2026-11-03T10:00:00+00:00", "status": "introduced", "closed": None,
         "history": [{"at": "2026-11-20T10:00:00+00:00", "event": "introduced (…)"}]},
        {"created": "2026-11-05T10:00:00+00:00", "status": "refused", "closed": "2026-11-06T10:00:00+00:00",
         "history": []},
        {"created": "2026-11-25T10:00:00+00:00", "status": "consent", "closed": None, "history": []},
        {"created": "2026-10-01T10:00:00+00:00", "status": "proposed", "closed": None, "history": []},
    ]
    def november(stamp):
        return bool(stamp) and stamp.startswith("2026-11")

    assert counts(records, november) == {"proposed": 3, "introduced": 1, "ended": 1, "in_progress": 2}


# --- two robots --------------------------------------------------------------------------------


@pytest.fixture
def pair(tmp_path):
    return proposed_pair(tmp_path)


def test_an_introduction_across_two_networks_both_approvals_then_both_consents(pair):
    havre, rouen = pair
    (proposal,) = [r for r in havre.robot_mail(rouen) if json.loads(json_part(r))["kind"] == "proposal"]
    assert "Marie" not in json_part(proposal) and "marie@" not in json_part(proposal)
    ask = havre.mail_to(A_H, "question:crossing_approve").decode("utf-8", "replace")
    assert "RERS de Rouen" in ask and "Paco" not in ask

    assert havre.answer(A_H, "question:crossing_approve", "OUI") == "MRV-1 approved by an animator"
    exchange(havre, rouen)
    assert not havre.outbox(to="marie@example.com", purpose="question:crossing_consent"), "Rouen has not approved"
    assert rouen.answer(A_R, "question:crossing_approve", "OUI") == "MRV-1 approved by an animator"
    exchange(havre, rouen)
    for net, who in ((havre, "marie@example.com"), (rouen, "paco@example.net")):
        consent = str(parse(net.mail_to(who, "question:crossing_consent"))["Subject"])
        assert "réseau voisin" in consent

    assert havre.answer("marie@example.com", "question:crossing_consent", "OUI").startswith("MRV-1 consent: yes")
    exchange(havre, rouen)
    assert not havre.outbox(purpose="crossing_introduction"), "nothing before both consents"
    for raw in havre.robot_mail(rouen):
        assert "marie@example.com" not in json_part(raw), "no contact crosses before both consents"
    assert rouen.answer("paco@example.net", "question:crossing_consent", "OUI\nContact : téléphone") \
        == "MRV-1 consent: yes, introduction sent"
    exchange(havre, rouen)

    to_marie = parse(havre.mail_to("marie@example.com", "crossing_introduction")).get_body(("plain",)).get_content()
    to_paco = parse(rouen.mail_to("paco@example.net", "crossing_introduction")).get_body(("plain",)).get_content()
    assert "Paco" in to_marie and "06 11 22 33 44" in to_marie and "Ruiz" not in to_marie
    assert "paco@example.net" not in to_marie, "only the contact Paco chose"
    assert "Marie" in to_paco and "marie@example.com" in to_paco and "Dupont" not in to_paco
    for net in (havre, rouen):
        (record,) = net.store.crossings.all()
        assert record["status"] == "introduced"
        kept = json.dumps(record)
        assert "Paco" not in kept and "Marie" not in kept and "@example" not in kept and "06 11" not in kept
    assert status(havre.settings, havre.store, havre.now)["peers"][0]["crossings"] == []
    report = build_report(havre.settings, havre.store, date(2026, 12, 1), date(2026, 12, 31), date(2026, 12, 7))
    assert report["across"] == {"proposed": 1, "introduced": 1, "ended": 0, "in_progress": 0}


def test_a_refusal_on_one_side_withdraws_it_on_the_other(pair):
    havre, rouen = pair
    havre.answer(A_H, "question:crossing_approve", "OUI")
    exchange(havre, rouen)
    found = status(havre.settings, havre.store, havre.now)["peers"][0]["crossings"]
    assert [(c["ref"], c["status"], c["approvals"]) for c in found] == [
        ("MRV-1", "proposed", {"ours": "yes", "theirs": None})]
    assert rouen.answer(A_R, "question:crossing_approve", "NON") == "MRV-1 refused by an animator"
    assert exchange(havre, rouen) == ["federation: MRV-1 refused by RERS de Rouen"]
    assert havre.store.crossings.all()[0]["status"] == "refused"
    told = havre.mail_to(A_H, "crossing_closed").decode("utf-8", "replace")
    assert "MRV-1" in told
    assert not havre.outbox(to="marie@example.com", purpose="question:crossing_consent")
    assert havre.work() == [], "a pair refused is never proposed again"


def test_a_member_who_declines_withdraws_it_and_the_other_member_is_told(pair):
    havre, rouen = pair
    havre.answer(A_H, "question:crossing_approve", "OUI")
    rouen.answer(A_R, "question:crossing_approve", "OUI")
    exchange(havre, rouen)
    assert rouen.answer("paco@example.net", "question:crossing_consent", "NON") == "MRV-1 declined"
    exchange(havre, rouen)
    assert havre.store.crossings.all()[0]["status"] == "declined"
    cancelled = havre.mail_to("marie@example.com", "introduction_cancelled").decode("utf-8", "replace")
    assert "Paco" not in cancelled


def test_an_erasure_on_one_side_erases_what_the_other_held(pair):
    havre, rouen = pair
    havre.answer(A_H, "question:crossing_approve", "OUI")
    rouen.answer(A_R, "question:crossing_approve", "OUI")
    exchange(havre, rouen)
    havre.answer("marie@example.com", "question:crossing_consent", "OUI")
    rouen.answer("paco@example.net", "question:crossing_consent", "OUI")
    exchange(havre, rouen)
    assert rouen.outbox(purpose="crossing_introduction"), "Paco got Marie's first name and address"

    assert rouen.deliver(member_mail("paco@example.net", "RETRAIT", "Je quitte le réseau.", to=ROUEN))
    assert rouen.answer("paco@example.net", "question:withdraw", "OUI")
    (record,) = rouen.store.crossings.all()
    assert record["member"] is None and record["close_reason"] == "erased"
    assert not rouen.outbox(purpose="crossing_introduction"), "Marie's address left with the mail that held it"
    assert exchange(havre, rouen) == ["federation: MRV-1 erased by RERS de Rouen"]
    assert not havre.outbox(purpose="crossing_introduction"), "Paco's first name and number erased in Le Havre"
    assert "erased" in havre.store.crossings.all()[0]["close_reason"]
    closed = parse(havre.mail_to(A_H, "crossing_closed")).get_body(("plain",)).get_content()
    assert "a quitté" in closed and "Paco" not in closed


def test_a_forged_or_replayed_proposal_or_consent_is_refused(pair):
    havre, rouen = pair
    (proposal,) = [r for r in havre.robot_mail(rouen) if json.loads(json_part(r))["kind"] == "proposal"]
    assert rouen.deliver(replayed(proposal)).startswith("refused: federation, number")
    body = json.loads(json_part(proposal))
    assert rouen.deliver(forged(proposal, seq=body["seq"] + 1, body={**body["body"], "id": "MRV-9"})) \
        == "refused: federation, bad signature, from RERS du Havre"
    assert rouen.deliver(forged(proposal, seq=body["seq"] + 2, kind="consent", body={"id": "MRV-1"})) \
        == "refused: federation, bad signature, from RERS du Havre"
    assert [r["key"] for r in rouen.store.crossings.all()] == ["MRV-1"]
    assert rouen.store.crossings.all()[0]["consents"]["theirs"] is None
    assert len(rouen.outbox(to=A_R, purpose="federation_refused")) == 3

    # A real consent, then the same again: the replay refused.
    havre.answer(A_H, "question:crossing_approve", "OUI")
    rouen.answer(A_R, "question:crossing_approve", "OUI")
    exchange(havre, rouen)
    havre.answer("marie@example.com", "question:crossing_consent", "OUI")
    exchange(havre, rouen)
    (consent,) = [r for r in havre.robot_mail(rouen) if json.loads(json_part(r))["kind"] == "consent"]
    assert rouen.deliver(replayed(consent)).startswith(
        "refused: federation, number")


# --- one proposal at a time, here or across (the rule of workflows.steps.matcher.engaged) -------


def test_a_demand_waiting_across_gets_no_local_proposal_until_that_one_ends(pair):
    havre, rouen = pair
    havre.member("lina@example.com", "Lina Petit")
    assert havre.deliver(member_mail("lina@example.com", "OFFRE : cours d'espagnol", "", to=HAVRE)) == "recorded O-1"
    assert havre.store.introductions.all() == [], "Marie's D-1 waits on MRV-1: no local proposal beside it"
    rouen.answer(A_R, "question:crossing_approve", "NON")
    assert exchange(havre, rouen) == ["federation: MRV-1 refused by RERS de Rouen"]
    (intro,) = havre.store.introductions.all()
    assert (intro["offer"], intro["demand"], intro["status"]) == ("O-1", "D-1", "proposed"), "D-1 free again"
    havre.later(hours=1)
    assert havre.work() == [], "a demand in a local proposal is not proposed across"


def test_a_shared_demand_opening_is_matched_across_at_once_and_an_offer_may_be_in_several(pair):
    havre, rouen = pair
    havre.member("jean@example.com", "Jean Martin")
    assert havre.deliver(member_mail("jean@example.com", "DEMANDE : cours d'espagnol", "Réseaux voisins : oui\n",
                                     to=HAVRE)) == "recorded D-2"
    assert [(r["ref"], r["item"]) for r in havre.store.crossings.all()] == [("MRV-1", "D-1"), ("MRV-2", "D-2")], \
        "matched across in the same cycle, not at the next hourly run"
    assert exchange(havre, rouen)[-1].endswith("proposal MRV-2 of RERS du Havre: MRV-2, approval asked")
    assert [r["item"] for r in rouen.store.crossings.all()] == ["O-1", "O-1"], "one offer, two crossings"
    # Rouen's own matching proposes O-1 to nobody while it waits on them.
    rouen.member("ana@example.net", "Ana Lopez")
    rouen.deliver(member_mail("ana@example.net", "DEMANDE : cours d'espagnol", "", to=ROUEN))
    assert rouen.store.introductions.all() == []


def test_a_pause_holds_nothing_a_crossing_under_way_goes_on_as_a_local_one(pair):
    havre, rouen = pair
    assert havre.deliver(member_mail("marie@example.com", "PAUSE", "", to=HAVRE)).startswith("pause M-1")
    assert havre.store.items.find_one("ref", "D-1")["status"] == "paused"
    havre.answer(A_H, "question:crossing_approve", "OUI")
    rouen.answer(A_R, "question:crossing_approve", "OUI")
    exchange(havre, rouen)
    assert havre.store.crossings.all()[0]["status"] == "consent"
    assert havre.outbox(to="marie@example.com", purpose="question:crossing_consent"), "asked, as for a local one"
    # A peer's proposal for an offer set aside by a pause is answered « unavailable ».
    assert rouen.deliver(member_mail("paco@example.net", "PAUSE", "", to=ROUEN)).startswith("pause M-1")
    havre.member("jean@example.com", "Jean Martin")
    havre.deliver(member_mail("jean@example.com", "DEMANDE : cours d'espagnol", "Réseaux voisins : oui\n", to=HAVRE))
    assert exchange(havre, rouen)[:2] == ["federation: proposal MRV-2 of RERS du Havre: O-1 not available",
                                          "federation: MRV-2 unavailable by RERS de Rouen"]


def test_a_proposal_answered_unavailable_during_a_pause_is_made_again_once_the_offer_is_back(pair):
    havre, rouen = pair
    assert rouen.deliver(member_mail("paco@example.net", "PAUSE", "", to=ROUEN)).startswith("pause M-1")
    havre.member("jean@example.com", "Jean Martin")
    havre.deliver(member_mail("jean@example.com", "DEMANDE : cours d'espagnol", "Réseaux voisins : oui\n", to=HAVRE))
    assert exchange(havre, rouen)[:2] == ["federation: proposal MRV-2 of RERS du Havre: O-1 not available",
                                          "federation: MRV-2 unavailable by RERS de Rouen"]
    assert havre.work() == [], "O-1 is off the list Havre holds (Rouen said so): not proposed again"
    # Paco is back the same day: Rouen's list is again the one Havre holds, yet it goes
    # to Havre at the next catalogue (a day later), since Havre proposed from an old copy.
    assert rouen.deliver(member_mail("paco@example.net", "REPRISE", "", to=ROUEN)) == "resume M-1: 1 item(s) open again"
    assert rouen.work() == [] and havre.work() == []
    havre.later(days=1)
    rouen.later(days=1)
    assert rouen.work() == ["catalogue to RERS du Havre"]
    assert "; MRV-3 with RERS de Rouen proposed" in " ".join(exchange(havre, rouen))
    again = havre.store.crossings.find_one("ref", "MRV-3")
    assert (again["item"], again["theirs"]["ref"], again["status"]) == ("D-2", "O-1", "proposed")
    # A pair refused by an animator is never proposed again, catalogue or not.
    assert havre.answer(A_H, "question:crossing_approve", "NON").startswith("MRV-3 refused")
    rouen.later(days=1)
    havre.later(days=1)
    rouen.deliver(member_mail("paco@example.net", "OFFRE : couture", "Réseaux voisins : oui\n", to=ROUEN))
    assert rouen.work() == ["catalogue to RERS du Havre"]
    carried = " ".join(exchange(havre, rouen))
    assert "catalogue of RERS de Rouen (2 item(s))" in carried and "with RERS de Rouen proposed" not in carried


# --- who approves our side --------------------------------------------------------------------


def flat(raw: bytes) -> str:
    """The text part of a mail, its lines joined."""
    return " ".join(parse(raw).get_body(("plain",)).get_content().split())


def proposed_across(tmp_path, *havre_animators: str) -> tuple[Network, Network]:
    """Marie's demand in Le Havre (animated by ``havre_animators``) proposed to Paco's
    offer in Rouen: MRV-1, both teams asked."""
    havre = Network(tmp_path / "havre", "RERS du Havre", HAVRE, havre_animators[0], more_animators=havre_animators[1:])
    rouen = Network(tmp_path / "rouen", "RERS de Rouen", ROUEN, A_R)
    havre.link(rouen)
    rouen.link(havre)
    havre.member("marie@example.com", "Marie Dupont")
    rouen.member("paco@example.net", "Paco Ruiz")
    havre.deliver(member_mail("marie@example.com", "DEMANDE : cours d'espagnol", "Réseaux voisins : oui\n", to=HAVRE))
    rouen.deliver(member_mail("paco@example.net", "OFFRE : cours d'espagnol", "Réseaux voisins : oui\n", to=ROUEN))
    havre.work()
    exchange(havre, rouen)
    return havre, rouen


def test_an_animator_who_is_our_member_does_not_approve_their_own_side(tmp_path):
    havre, rouen = proposed_across(tmp_path, A_H, "marie@example.com")
    assert havre.answer("marie@example.com", "question:crossing_approve", "OUI") == "refused: party (MRV-1)"
    assert havre.store.crossings.all()[0]["approvals"]["ours"] is None
    assert not [r for r in havre.robot_mail(rouen) if json.loads(json_part(r))["kind"] == "approval"]
    to_marie, to_other = (flat(havre.mail_to(who, "introduction_decided")) for who in ("marie@example.com", A_H))
    assert "un autre animateur doit décider" in to_marie and "C'est à vous de décider" in to_other

    assert havre.answer(A_H, "question:crossing_approve", "OUI") == "MRV-1 approved by an animator"
    told = flat(havre.mail_to("marie@example.com", "introduction_decided"))
    assert "anim@havre.example a approuvé la mise en relation MRV-1 avec le RERS de Rouen" in told
    assert "quand l'équipe du RERS de Rouen aura approuvé" in told


def test_our_member_alone_as_animator_decides_and_it_is_noted(tmp_path):
    havre, _ = proposed_across(tmp_path, "marie@example.com")
    assert havre.answer("marie@example.com", "question:crossing_approve", "NON") \
        == "MRV-1 refused by an animator"
    (record,) = havre.store.crossings.all()
    assert record["status"] == "refused" and any("our member: no other animator" in h["event"] for h in record["history"])


def test_an_offer_the_peer_withdrew_is_dropped_from_its_catalogue_kept_here_until_listed_again(pair):
    havre, rouen = pair
    rouen.deliver(member_mail("paco@example.net", "RETRAIT O-1", "", to=ROUEN))
    assert rouen.answer("paco@example.net", "question:withdraw_item", "OUI").startswith("withdraw")
    assert exchange(havre, rouen)[-1] == "federation: MRV-1 withdrawn by RERS de Rouen"
    assert federation_state(havre, rouen)["catalogue"] == [], "O-1 is off Rouen's list"
    havre.member("jean@example.com", "Jean Martin")
    assert havre.deliver(member_mail("jean@example.com", "DEMANDE : cours d'espagnol", "Réseaux voisins : oui\n",
                                     to=HAVRE)) == "recorded D-2"
    assert [r["item"] for r in havre.store.crossings.all()] == ["D-1"], "D-2 is not proposed to a withdrawn offer"
    # Paco offers it again: Rouen's next catalogue lists it, and D-2 may meet it.
    assert rouen.deliver(member_mail("paco@example.net", "OFFRE : cours d'espagnol",
                                     "Réseaux voisins : oui\nDisponibilités : le soir\n", to=ROUEN)) == "recorded O-2"
    rouen.later(days=1)
    havre.later(days=1)
    assert rouen.work() == ["catalogue to RERS du Havre"]
    assert "; MRV-2 with RERS de Rouen proposed" in " ".join(exchange(havre, rouen))


def federation_state(net: Network, peer: Network) -> dict:
    return net.store.get_state(f"federation:{peer.address}")
