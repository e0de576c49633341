"""Steps tested on plain data: a Plan over a store held in memory, through the route table
and its guards; the assertions are on what was decided — records, templates, recipients,
values, questions, forwards — never on the French the mails will say (the rendered texts
are tested once per template, in test_templates.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from config.settings import loads
from store import Store
from support import ANIMATORS, NETWORK, config_text
from workflows import routes
from workflows.decision import Incoming, Plan, Resources
from workflows.mail.model import Item, MemberFields, Parsed
from workflows.shell.resources import current_texts, matcher_for

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
MARIE, PACO, STRANGER = "marie@example.org", "paco@example.org", "someone@example.net"
FORGED = "mx.example.org; dmarc=fail (p=reject) header.from=example.org"


def settings(network: str = ""):
    root = Path("/nowhere")
    return loads(config_text(root, network=network), base=root, source=root / "rers.toml")


@pytest.fixture
def world():
    return World()


class World:
    """Settings, a memory store, and a way to decide one message at a time."""

    def __init__(self, network: str = ""):
        self.settings = settings(network)
        self.store = Store.memory()

    def plan(self, now: datetime = NOW) -> Plan:
        resources = Resources(texts=current_texts(self.settings), token_key=b"k" * 32,
                              matcher=matcher_for(self.settings, self.store))
        return Plan(self.settings, self.store, now, resources)

    def decide(self, parsed: Parsed, now: datetime = NOW) -> tuple[Plan, str]:
        plan = self.plan(now)
        outcome = routes.dispatch(plan, Incoming(parsed, b"From: x\r\n\r\nbody\r\n", "test"))
        return plan, outcome

    def add(self, collection: str, doc: dict) -> dict:
        with self.store.transaction():
            doc_id = self.store.collections[collection].insert(doc)
        return self.store.collections[collection].get(doc_id)

    def member(self, ref: str, address: str | None, name: str, **fields) -> dict:
        return self.add("members", {
            "ref": ref, "address": address, "name": name, "phone": None, "contact": "email", "invitations": False,
            "status": "confirmed", "language": "fr", "created": NOW.isoformat(), "confirmed": NOW.isoformat(),
            "undeliverable": False, "registered_by": None, **fields})


def message(intent: str, sender: str, **fields) -> Parsed:
    return Parsed(intent=intent, sender=sender, message_id=f"<{intent}.{sender}@client.example>",
                  subject=fields.pop("subject", intent), text=fields.pop("text", ""), **fields)


def inserted(plan: Plan, collection: str) -> list[dict]:
    return [w.doc for w in plan.writes if w.op == "insert" and w.collection == collection]


def test_a_confirmed_members_offer_is_recorded_acknowledged_and_matched(world):
    world.member("M-1", MARIE, "Marie Dupont")
    world.member("M-2", PACO, "Paco Ruiz")
    world.add("items", {"ref": "D-1", "kind": "demand", "member": "M-2", "title": "Apprendre l'espagnol",
                        "description": None, "modality": None, "availability": None, "place": None,
                        "status": "open", "created": NOW.isoformat(), "closed": None, "source": "<x>"})
    with world.store.transaction():
        world.store.set_state("counter:demand", 1)
    plan, outcome = world.decide(message("offer", MARIE, items=[Item(kind="offer", title="Espagnol")]))

    assert outcome == "recorded O-1"
    (item,) = inserted(plan, "items")
    assert (item["ref"], item["member"], item["status"], item["title"]) == ("O-1", "M-1", "open", "Espagnol")
    (ack,) = plan.mails
    assert (ack.template, ack.to, ack.purpose) == ("items_ack", [("Marie Dupont", MARIE)], "items_ack")
    assert [i["ref"] for i in ack.values["items"]] == ["O-1"]
    (intro,) = inserted(plan, "introductions")
    assert (intro["ref"], intro["offer"], intro["demand"], intro["status"]) == ("MR-1", "O-1", "D-1", "proposed")
    assert sorted(q.address for q in plan.asked) == sorted(ANIMATORS)
    assert {q.kind for q in plan.asked} == {"approve"} and all(q.mail.template == "introduction_proposal"
                                                              for q in plan.asked)
    assert not plan.forwards


def test_a_strangers_join_is_held_and_asked_to_confirm(world):
    plan, outcome = world.decide(message("join", STRANGER, sender_name="Léa Martin",
                                         items=[Item(kind="demand", title="Faire un CV")]))
    assert outcome.startswith("join M-1 new D-1")
    (member,) = inserted(plan, "members")
    assert (member["status"], member["address"], member["name"]) == ("pending", STRANGER, "Léa Martin")
    assert [i["status"] for i in inserted(plan, "items")] == ["held"]
    (question,) = plan.asked
    assert (question.kind, question.address, question.subject_ref) == ("join", STRANGER, "M-1")
    assert question.mail.template == "join_confirm" and set(question.mail.values["texts"]) == {"charte",
                                                                                               "confidentialite"}
    assert question.expires == NOW + timedelta(days=world.settings.membership.pending_days)
    assert not plan.mails, "the only mail is the question's, whose token is drawn later"


def test_a_join_the_networks_server_calls_forged_does_nothing_but_tell_the_animators(tmp_path):
    world = World(network='authserv_id = "mx.example.org"')
    plan, outcome = world.decide(message("join", STRANGER, authentication_results=[FORGED]))
    assert outcome == "forwarded: forged"
    # Nothing written but the day's counter of forwards (docs/security.md, "Floods").
    assert [w.collection for w in plan.writes] == ["replies"] and plan.asked == [] and plan.mails == []
    (forward,) = plan.forwards
    assert (forward.reason, forward.mail.purpose) == ("member_forged", "member_forged")
    assert forward.mail.attachments[0].kind == "original", "the message itself goes to the animators"


def test_a_command_that_is_not_authenticated_is_refused_by_the_guard(tmp_path):
    world = World(network='authserv_id = "mx.example.org"')
    command = message("event_command", ANIMATORS[0], command={"name": "report"})
    plan, outcome = world.decide(command)
    assert outcome == "refused: not authenticated"
    assert [f.reason for f in plan.forwards] == ["command_not_authenticated"] and not plan.mails


def test_someone_elses_item_cannot_be_withdrawn_and_nothing_is_said_of_whose_it_is(world):
    world.member("M-1", MARIE, "Marie Dupont")
    world.add("items", {"ref": "O-1", "kind": "offer", "member": "M-1", "title": "Tricot", "status": "open"})
    plan, outcome = world.decide(message("withdraw_item", STRANGER, item_ref="O-1"))
    assert outcome == "withdraw_item O-1: not found for the sender"
    (mail,) = plan.mails
    assert (mail.template, mail.to, mail.values) == ("withdraw_item_refused", [(None, STRANGER)],
                                                     {"ref": "O-1", "closed": False})
    assert not plan.asked


def test_a_members_preferences_alone_are_applied_and_acknowledged(world):
    world.member("M-1", MARIE, "Marie Dupont")
    plan, outcome = world.decide(message("unknown", MARIE, text="Contact : téléphone",
                                         member=MemberFields(contact="phone")))
    assert outcome == "preferences M-1: contact phone"
    (change,) = [w for w in plan.writes if w.collection == "members"]
    assert change.op == "replace" and change.doc["contact"] == "phone"
    acks = [m for m in plan.mails if m.template == "preferences_done"]
    assert len(acks) == 1 and acks[0].values["unavailable"] == "phone", "no phone recorded: the permanence instead"
    assert [f.reason for f in plan.forwards] == ["preferred_contact_unavailable"]


def test_anything_else_goes_to_the_animators_and_the_sender_is_told_once_a_day(world):
    plan, outcome = world.decide(message("unknown", STRANGER, text="Bonjour, une question ?"))
    assert outcome == "forwarded to the animators"
    assert [f.reason for f in plan.forwards] == ["not_understood"]
    assert [(m.template, m.to) for m in plan.mails] == [("unknown_ack", [(None, STRANGER)])]
    assert {w.collection for w in plan.writes} == {"replies"}, "only the day's answer counters"


def test_a_bounce_marks_the_address_and_tells_the_animators(world):
    world.member("M-1", MARIE, "Marie Dupont")
    world.add("outbox", {"message_id": "<sent.1@example.org>", "recipients": [MARIE], "status": "sent",
                         "purpose": "items_ack", "cause": "<x>", "created": NOW.isoformat()})
    plan, outcome = world.decide(message("bounce", "mailer-daemon@mx.example.net", bounced_addresses=[MARIE],
                                         bounced_message_ids=["<sent.1@example.org>"]))
    assert outcome == "bounce: M-1"
    (change,) = [w for w in plan.writes if w.collection != "replies"]  # the day's counter of forwards aside
    assert change.doc["undeliverable"] is True
    assert [f.reason for f in plan.forwards] == ["bounce_marked"] and not plan.mails


def test_a_reply_without_a_known_token_is_refused_and_changes_nothing(world):
    plan, outcome = world.decide(message("reply", MARIE, token="RERS-AAAAAAAA", answer="yes"))
    assert outcome == "refused: unknown token"
    assert [f.reason for f in plan.forwards] == ["refused:unknown token"]
    assert [w.collection for w in plan.writes] == ["replies"] and plan.mails == []  # the day's counter of forwards


def test_a_plan_reads_its_own_writes_and_leaves_the_store_alone(world):
    world.member("M-1", MARIE, "Marie Dupont")
    plan = world.plan()
    doc_id = plan.members.insert({"ref": "M-2", "address": PACO, "status": "pending"})
    plan.members.update(plan.members.find_one("ref", "M-1")["id"], name="Marie D.")
    assert plan.members.find_one("address", PACO)["id"] == doc_id
    assert [m["ref"] for m in plan.members.all()] == ["M-1", "M-2"]
    assert plan.members.find_one("ref", "M-1")["name"] == "Marie D."
    assert world.store.members.count() == 1 and world.store.members.find_one("ref", "M-1")["name"] == "Marie Dupont"
    plan.members.delete(doc_id)
    assert plan.members.find_one("address", PACO) is None and plan.members.count() == 1
    assert [(w.op, w.collection) for w in plan.writes] == [("insert", "members"), ("replace", "members"),
                                                          ("delete", "members")]
    with pytest.raises(ValueError):
        plan.members.insert({"ref": "M-1"})


def test_the_route_table_names_every_intent_of_the_protocol():
    protocol = {"join", "offer", "demand", "withdraw_item", "withdraw", "reply", "help", "catalogue", "my_data",
                "event_command", "rsvp", "auto_reply", "bounce", "preferences", "interest", "pause", "resume",
                "testimony", "address_change", "federation", "unknown"}
    # « relayed »: a join, offer or demand forwarded from another person (routes.route_key).
    assert set(routes.ROUTES) == protocol | {"relayed"}
    assert set(routes.ANSWERS) == {"join", "withdraw", "withdraw_item", "approve", "consent", "bilan", "confirm_change",
                                   "still_current", "address_change", "group_approve", "group_lead", "group_join",
                                   "group_bilan", "testimony_approve", "testimony_withdraw", "collection",
                                   "crossing_approve", "crossing_consent"}
    assert all(route.guard is routes.ANIMATOR for route in routes.COMMANDS.values()), "every animator act"
    assert routes.ANSWERS["approve"].guard is routes.NOT_A_PARTY
    assert routes.ANSWERS["group_approve"].guard is routes.ANIMATOR_ANSWER


def test_a_join_asks_how_to_be_named_when_no_first_name_can_be_told(world):
    plan, _ = world.decide(message("join", STRANGER, member=MemberFields(name="Lina Petit")))
    (question,) = plan.asked
    assert question.mail.values["first_name"] is None, "« Lina Petit » may be « Petit Lina »: asked, not guessed"
    plan, _ = world.decide(message("join", PACO, member=MemberFields(name="Paco Ruiz", first_name="Paco")))
    (question,) = plan.asked
    assert question.mail.values["first_name"] == "Paco"
    (member,) = inserted(plan, "members")
    assert member["first_name"] == "Paco"


def test_the_first_name_given_with_the_yes_is_recorded(world):
    world.member("M-1", STRANGER, "Lina Petit", status="pending", confirmed=None)
    question = world.add("questions", {
        "token_hash": world.plan().keyed_hash("RERS-AAAAAAAA"), "kind": "join", "subject_ref": "M-1",
        "member": "M-1", "address": STRANGER, "status": "open", "created": NOW.isoformat(),
        "expires": (NOW + timedelta(days=30)).isoformat(), "answer": None, "answered": None,
        "answer_message_id": None, "clarified": False, "reminded": False, "data": {"texts": {}}})
    plan, outcome = world.decide(message("reply", STRANGER, token="RERS-AAAAAAAA", answer="yes",
                                         member=MemberFields(first_name="Lina")))
    assert outcome == "join confirmed: M-1" and question["kind"] == "join"
    member = plan.members.find_one("ref", "M-1")
    assert (member["status"], member["first_name"]) == ("confirmed", "Lina")


def test_more_text_than_the_robot_used_reaches_the_animators_too(world):
    world.member("M-1", MARIE, "Marie Dupont")
    plan, outcome = world.decide(message("offer", MARIE, items=[Item(kind="offer", title="Tricot")],
                                         text="Je propose du tricot. Au fait, la permanence de lundi a lieu ?",
                                         unused_text=True))
    assert outcome == "recorded O-1"
    assert [f.reason for f in plan.forwards] == ["unused_text"]
    assert [m.template for m in plan.mails] == ["items_ack"]
    plan, _ = World().decide(message("join", STRANGER, text="J'aimerais adhérer. Est-ce payant ?", unused_text=True))
    assert [f.reason for f in plan.forwards] == ["unused_text"] and plan.asked


@pytest.mark.parametrize("forwarded", [
    {"forwarded_name": "Maria Lopez"},  # Outlook's name only
    {"forwarded_from": NETWORK, "forwarded_name": "RERS"},  # the robot's own mail forwarded back
    {"forwarded_from": ANIMATORS[0]},
    {"forwarded_from": "no-reply@site.example"},  # a web form's notification
])
def test_another_persons_words_without_their_address_make_nobody_a_member(world, forwarded):
    parsed = message("demand", STRANGER, forwarded=True, items=[Item(kind="demand", title="cuisine")], **forwarded)
    plan, outcome = world.decide(parsed)
    assert outcome == "relayed: no address of the person's, nothing recorded"
    assert not inserted(plan, "members") and not inserted(plan, "items") and plan.asked == []
    (forward,) = plan.forwards
    assert forward.reason == "relayed_no_address" and forward.mail.values["forwarded"] is True
    (thanks,) = plan.mails[-1:]
    assert thanks.purpose == "relayed_ack" and thanks.recipients() == [STRANGER]


def test_a_relayed_offer_without_a_savoir_asks_the_person_nothing(world):
    parsed = message("offer", STRANGER, forwarded=True, forwarded_from=PACO, forwarded_name="Paco Ruiz")
    plan, outcome = world.decide(parsed)
    assert outcome == "relayed: no readable offer or demand, nothing recorded"
    assert not inserted(plan, "members") and plan.asked == [] and plan.forwards[0].reason == "relayed_no_item"
