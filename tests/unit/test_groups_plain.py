"""Groups on plain data (issue 17): a Plan over a store in memory, through the route table
and its guards; what was decided — records, templates, recipients, values — never the
words (test_templates.py renders each mail once)."""
from __future__ import annotations

from datetime import timedelta

from test_steps_plain import NOW, World, message
from support import ANIMATORS

import pytest

from workflows.model.privacy import PublicMember

LINA, AWA, PACO = "lina@example.org", "awa@example.org", "paco@example.net"


@pytest.fixture
def world():
    world = World()
    world.member("M-1", PACO, "Paco Ruiz", first_name="Paco")
    world.member("M-2", LINA, "Lina Petit", first_name="Lina")
    world.member("M-3", AWA, "Awa Diallo", first_name="Awa")
    for ref, member, kind, title in (("O-1", "M-1", "offer", "Tricot"), ("D-1", "M-2", "demand", "tricot"),
                                     ("D-2", "M-3", "demand", "tricot")):
        world.add("items", {"ref": ref, "kind": kind, "member": member, "title": title, "modality": "group",
                            "status": "open", "created": NOW.isoformat(), "group": "G-1"})
    world.add("groups", {
        "ref": "G-1", "offer": "O-1", "offer_member": "M-1", "capacity": 1, "source": "matching", "status": "open",
        "created": NOW.isoformat(), "approved": NOW.isoformat(), "decided_by": ANIMATORS[0], "led": NOW.isoformat(),
        "askers": [{"member": "M-2", "demand": "D-1", "score": 1.0, "why": [], "state": "asked", "since": "", "round": 0},
                   {"member": "M-3", "demand": "D-2", "score": 1.0, "why": [], "state": "asked", "since": "",
                    "round": 0}],
        "places": [], "waiting": [], "sessions": [], "first_session": None, "bilan_asked": None, "bilans": [],
        "closed": None, "close_reason": None, "history": []})
    return world


def question(world: World, address: str, member: str, token: str, **fields) -> dict:
    return world.add("questions", {
        "token_hash": world.plan().keyed_hash(token), "kind": "group_join", "subject_ref": "G-1", "member": member,
        "address": address, "status": "open", "created": NOW.isoformat(),
        "expires": (NOW + timedelta(days=21)).isoformat(), "answer": None, "answered": None,
        "answer_message_id": None, "clarified": False, "reminded": False,
        "data": {"group": "G-1", "member": member}, **fields})


def test_a_yes_takes_the_place_and_the_offerer_learns_a_first_name_only(world):
    question(world, LINA, "M-2", "RERS-AAAAAAAA")
    plan, outcome = world.decide(message("reply", LINA, token="RERS-AAAAAAAA", answer="yes"))
    assert outcome == "G-1: M-2 has a place (1/1)"
    group = plan.groups.find_one("ref", "G-1")
    assert group["places"] == ["M-2"] and group["askers"][0]["state"] == "member"
    notices = {m.to[0][1]: m for m in plan.mails if m.template == "group_notice"}
    assert set(notices) == {LINA, PACO}
    assert notices[LINA].values["what"] == "member" and notices[LINA].values["to_leader"] is False
    leader = notices[PACO].values
    assert leader["what"] == "joined" and leader["places"] == [PublicMember("Lina")]
    assert all(not isinstance(v, dict) or "address" not in v for v in leader.values()), "no member document"
    (consent,) = [w.doc for w in plan.writes if w.collection == "consents"]
    assert (consent["purpose"], consent["subject_ref"], consent["given"]) == ("group", "G-1", True)


def test_a_yes_beyond_the_places_goes_to_the_waiting_list(world):
    question(world, LINA, "M-2", "RERS-AAAAAAAA")
    question(world, AWA, "M-3", "RERS-BBBBBBBB")
    with world.store.transaction():
        doc = world.store.groups.find_one("ref", "G-1")
        world.store.groups.update(doc["id"], places=["M-2"], askers=[{**doc["askers"][0], "state": "member"},
                                                                     doc["askers"][1]])
    plan, outcome = world.decide(message("reply", AWA, token="RERS-BBBBBBBB", answer="yes"))
    assert outcome == "G-1: M-3 on the waiting list (1)"
    (notice,) = plan.mails
    assert (notice.template, notice.to[0][1], notice.values["what"], notice.values["position"]) == (
        "group_notice", AWA, "waiting", 1)


def test_only_the_questions_addressee_may_answer(world):
    question(world, LINA, "M-2", "RERS-AAAAAAAA")
    plan, outcome = world.decide(message("reply", AWA, token="RERS-AAAAAAAA", answer="yes"))
    assert outcome == "refused: wrong address"
    assert plan.groups.find_one("ref", "G-1")["places"] == []


def test_groupe_from_a_member_is_not_a_command(world):
    plan, outcome = world.decide(message("event_command", LINA, command={"name": "group", "offer": "O-1"}))
    assert outcome == "refused: not an animator" and not plan.asked


def test_a_session_command_goes_to_the_groups_row(world):
    plan, outcome = world.decide(message("event_command", ANIMATORS[0], command={
        "name": "workshop", "date": "2026-12-02", "start": "10:00", "end": "12:00", "place": "Salle",
        "title": None, "offer": None, "group": "G-1"}))
    assert outcome == "group session G-1: done"
    (series,) = [w.doc for w in plan.writes if w.collection == "events" and w.doc["series"]["kind"] == "group_session"]
    assert series["series"]["group"] == "G-1"
    invited = [m for m in plan.mails if m.purpose == "group_invitation"]
    assert [m.to[0][1] for m in invited] == [PACO], "nobody holds a place yet: the offerer alone"
