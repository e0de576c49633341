"""Issue 14, the parts that need the store: who may change a member's record, whose
calendar answer counts, which delivery report marks a member, a Message-ID reused by
another message, and nothing personal in the logs. Each test is an attack tried (or the
honest case it must not break), on plain data (a Plan over ``Store.memory()``) or through
the real runner."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from config.settings import loads
from membership_support import World as Robot, mail, reply
from store import Store, message_key
from support import ANIMATORS, config_text
from workflows import routes
from workflows.decision import Incoming, Plan, Resources
from workflows.mail.model import Item, MemberFields, Parsed
from workflows.shell.resources import current_texts, matcher_for
from workflows.shell.publish import publish_calendar
from workflows.shell.runner import reused_id

from calendar_support import PERMANENCE, robot as calendar_robot
from test_attendance_who_and_when import gmail_reply
from test_calendar_attendance import NOW as CALENDAR_NOW, routed

MARIE, PACO = "marie@example.org", "paco@example.org"
RELAY = "no-reply@forms.example"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
SERVER = 'authserv_id = "mx.reseau.test"'
PASS = "mx.reseau.test; dkim=pass header.d=example.org; dmarc=pass header.from=example.org"
SPF_ONLY = "mx.reseau.test; spf=pass smtp.mailfrom=example.org"
FORGED = "mx.reseau.test; dmarc=fail (p=reject) header.from=example.org"


class World:
    """Settings, a memory store, and one message decided at a time through the route
    table (as tests/unit/test_steps_plain.py)."""

    def __init__(self, network: str = ""):
        root = Path("/nowhere")
        self.settings = loads(config_text(root, network=network), base=root, source=root / "rers.toml")
        self.store = Store.memory()

    def plan(self) -> Plan:
        return Plan(self.settings, self.store, NOW, Resources(texts=current_texts(self.settings), token_key=b"k" * 32,
                                                             matcher=matcher_for(self.settings, self.store)))

    def decide(self, parsed: Parsed) -> tuple[Plan, str]:
        plan = self.plan()
        return plan, routes.dispatch(plan, Incoming(parsed, b"From: x\r\n\r\nbody\r\n", "test"))

    def member(self, ref: str = "M-1", address: str = MARIE, **fields) -> dict:
        with self.store.transaction():
            doc_id = self.store.members.insert({
                "ref": ref, "address": address, "name": "Marie Dupont", "first_name": None, "phone": None,
                "contact": "email", "invitations": False, "status": "confirmed", "language": "fr",
                "created": NOW.isoformat(), "confirmed": NOW.isoformat(), "undeliverable": False,
                "registered_by": None, **fields})
        return self.store.members.get(doc_id)


def message(intent: str, *, sender: str = MARIE, reply_to: str | None = None, text: str = "",
            **fields) -> Parsed:
    return Parsed(intent=intent, sender=sender, reply_to=reply_to, reply_to_problem=None if reply_to else "missing",
                  message_id=f"<{intent}.{len(text)}@client.example>", subject=intent, text=text, **fields)


def relayed(intent: str, **fields) -> Parsed:
    """What a web form sends: From its relay, Reply-To the member."""
    return message(intent, sender=RELAY, reply_to=MARIE, **fields)


def member_writes(plan: Plan) -> list:
    return [w for w in plan.writes if w.collection == "members"]


def with_id(raw: bytes, message_id: str, *extra: tuple[str, str]) -> bytes:
    """``raw`` under ``message_id``, with header fields ``extra`` added on top (as servers
    add trace fields on the way)."""
    msg = message_from_bytes(raw, policy=policy.SMTP)
    del msg["Message-ID"]
    msg["Message-ID"] = message_id
    data = msg.as_bytes()
    for name, value in reversed(extra):
        data = f"{name}: {value}\r\n".encode() + data
    return data


@pytest.fixture
def robot(tmp_path):
    return Robot(tmp_path / "robot")


# --- a Message-ID reused by another message ---------------------------------------------


def _asked(robot: Robot, address: str) -> int:
    return len(robot.mails(address))


def test_a_web_form_reusing_its_message_id_loses_no_message(robot):
    first = with_id(mail(MARIE, "ADHÉSION", "Nom : Marie Dupont\n"), "<form@forms.example>")
    second = with_id(mail(PACO, "ADHÉSION", "Nom : Paco Ruiz\n"), "<form@forms.example>")
    assert robot.deliver(first).startswith("handled: join M-1")
    assert robot.deliver(second).startswith("handled: join M-2"), "another message: handled, not a repeat"
    (to_marie,), (to_paco,) = robot.mails(MARIE), robot.mails(PACO)
    assert to_marie["Message-ID"] != to_paco["Message-ID"]
    assert to_marie["In-Reply-To"] == "<form@forms.example>"
    assert to_paco["In-Reply-To"] is None, "the made-up id of the second one is never put in In-Reply-To"
    keys = {entry["message_id"] for entry in robot.store.ledger.all()}
    assert keys == {message_key("<form@forms.example>"),
                    message_key(reused_id(robot.store.ledger.all()[1]["digest"]))}


def test_a_true_repeat_stays_a_no_op_however_it_travelled(robot):
    first = with_id(mail(MARIE, "ADHÉSION", "Nom : Marie Dupont\n"), "<form@forms.example>")
    second = with_id(mail(PACO, "ADHÉSION", "Nom : Paco Ruiz\n"), "<form@forms.example>")
    robot.deliver(first)
    robot.deliver(second)
    before = robot.store.outbox.count()
    again = [with_id(first, "<form@forms.example>", ("Received", "from mx2 by mx; Mon, 23 Nov 2026 10:00 +0000")),
             with_id(second, "<form@forms.example>", ("Delivered-To", "rers@example.org"))]
    assert [robot.deliver(raw) for raw in again] == ["repeat", "repeat"]
    assert robot.store.outbox.count() == before and robot.store.members.count() == 2
    assert robot.store.ledger.count() == 2


def test_an_older_ledger_entry_without_a_digest_still_makes_a_repeat(robot):
    with robot.store.transaction():
        robot.store.ledger.insert({"message_id": message_key("<old@forms.example>"), "source_key": "k",
                                   "received": "2026-11-01T00:00:00+00:00", "intent": "join", "outcome": "handled"})
    assert robot.deliver(with_id(mail(MARIE, "ADHÉSION", "Nom : Marie\n"), "<old@forms.example>")) == "repeat"
    assert robot.store.members.count() == 0


def test_a_different_message_under_a_parked_ones_message_id_is_handled(robot):
    with robot.store.transaction():
        robot.store.ledger.insert({"message_id": message_key("<p@forms.example>"), "source_key": "k",
                                   "received": "2026-11-01T00:00:00+00:00", "intent": "join", "outcome": "parked",
                                   "digest": "sha256:" + "0" * 64})
    assert robot.deliver(with_id(mail(MARIE, "ADHÉSION", "Nom : Marie\n"), "<p@forms.example>")).startswith(
        "handled: join M-1")


# --- nothing personal in the logs ---------------------------------------------------------


@pytest.fixture
def logged(monkeypatch):
    """What ``configure_logging("info")`` writes, from a root logger without handlers."""
    import io
    import logging
    import sys

    from workflows.cli import configure_logging

    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    for handler in saved:
        root.removeHandler(handler)
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    configure_logging("info")
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved:
        root.addHandler(handler)
    root.setLevel(level)


def test_the_logs_name_no_message_id_no_address_and_no_body(robot, logged):
    from workflows.shell.logs import mark_message_id

    raw = with_id(mail(PACO, "ADHÉSION", "Nom : Paco Ruiz\nTéléphone : 06 11 22 33 44\nJe tricote le mardi.\n"),
                  "<1.join@mail.paco-ruiz.fr>")
    assert robot.deliver(raw).startswith("handled: join M-1")
    assert robot.deliver(raw) == "repeat"
    text = logged.getvalue()
    assert "rers.audit" in text and "join M-1" in text
    assert text.count("join M-1 new") == 1, "the join said once (the runner's line), not by the step too"
    for secret in ("paco-ruiz", "paco@", PACO, "Paco", "0611223344", "06 11", "tricote", "RERS-"):
        assert secret not in text, secret
    assert text.count(mark_message_id("<1.join@mail.paco-ruiz.fr>")) >= 2, "one mark per message, line after line"
    ledger_key = robot.store.ledger.all()[0]["message_id"]
    assert mark_message_id("<1.join@mail.paco-ruiz.fr>")[5:-1] in ledger_key, "the mark finds the ledger entry"


def test_an_outcome_or_an_error_naming_an_address_is_hashed(logged):
    import logging

    from workflows.shell.logs import mark_address

    logging.getLogger("rers.audit").info("%s: rsvp: %s is neither a member nor an animator", "<x@y.example>",
                                         "Élodie.Brûlé@exemple.fr")
    try:
        raise ValueError("members: a document with address='marie@example.org' already exists")
    except ValueError:
        logging.getLogger("workflows.shell.runner").exception("handling %s failed", "<r@mail.example.org>")
    text = logged.getvalue()
    assert "Élodie" not in text and "exemple.fr" not in text and "marie@" not in text and "example.org" not in text
    assert mark_address("élodie.brûlé@exemple.fr") in text and "ValueError" in text
    assert "Traceback" in text, "the trace stays, without the address"


def test_a_line_without_an_address_is_left_as_it_is():
    from workflows.shell.logs import redact

    assert redact("cycle: 3 message(s), 2 mail(s) sent") == "cycle: 3 message(s), 2 mail(s) sent"
    assert redact("O-12 closed for M-4") == "O-12 closed for M-4"


# --- a member's record is changed only by that member -------------------------------------

PREFERENCES = "Invitations : oui\nContact : téléphone\n"


def test_a_web_form_relay_never_changes_the_preferences_of_the_member_it_names():
    world = World()
    world.member(phone="+33611223344")
    plan, outcome = world.decide(relayed("preferences", text=PREFERENCES,
                                         member=MemberFields(invitations=True, contact="phone")))
    assert outcome == "record change of M-1 (relay): not made, confirmation asked"
    assert member_writes(plan) == []
    (question,) = plan.asked
    assert (question.kind, question.address, question.member, question.subject_ref) == \
        ("confirm_change", MARIE, "M-1", "M-1")
    assert question.mail.template == "confirm_change" and question.mail.to == [("Marie Dupont", MARIE)]
    (asked,) = [w.doc for w in plan.writes if w.collection == "questions"]
    assert asked["data"] == {"changes": {"invitations": True, "contact": "phone"}, "why": "relay"}
    (forward,) = plan.forwards
    assert (forward.reason, forward.mail.purpose) == ("record_change_relay", "record_change")
    assert "M-1" in forward.mail.values["reason"] and "mise en relation" in forward.mail.values["reason"]
    assert not plan.mails, "no acknowledgment: nothing was recorded"


def test_the_relays_offer_goes_on_without_the_fields_it_carried():
    world = World()
    world.member()
    plan, outcome = world.decide(relayed("offer", items=[Item(kind="offer", title="Tricot")],
                                         member=MemberFields(phone="+33700000000", name="Quelqu'un",
                                                             invitations=True, first_name="Zoé")))
    assert outcome == "recorded O-1"
    assert member_writes(plan) == [], "no phone filled in, no name, no first name, no invitations"
    (question,) = plan.asked
    assert question.kind == "confirm_change" and question.address == MARIE
    assert set(question.mail.values["changes"]) == {"phone", "name", "invitations", "first_name"}
    (ack,) = plan.mails
    assert ack.template == "items_ack" and ack.to == [("Marie Dupont", MARIE)] and ack.values["calendar"] is None
    assert [f.reason for f in plan.forwards] == ["record_change_relay"]


def test_a_confirmed_members_join_through_a_relay_changes_nothing_of_them():
    world = World()
    world.member()
    plan, outcome = world.decide(relayed("join", member=MemberFields(name="Autre Nom", phone="+33700000000")))
    assert outcome == "join: M-1 already a member"
    assert member_writes(plan) == [] and [q.kind for q in plan.asked] == ["confirm_change"]


def test_the_member_writing_from_their_own_address_without_authserv_id_is_as_before():
    world = World()
    world.member(phone="+33611223344")
    plan, outcome = world.decide(message("preferences", text=PREFERENCES,
                                         member=MemberFields(invitations=True, contact="phone")))
    assert outcome == "preferences M-1: contact phone, invitations True"
    (write,) = member_writes(plan)
    assert write.doc["invitations"] is True and write.doc["contact"] == "phone"
    assert plan.asked == [] and plan.forwards == []
    plan, outcome = world.decide(message("offer", items=[Item(kind="offer", title="Tricot")],
                                         member=MemberFields(first_name="Marie")))
    assert outcome == "recorded O-1" and member_writes(plan)[0].doc["first_name"] == "Marie"


@pytest.mark.parametrize("results", [[], [SPF_ONLY], ["mx.reseau.test; dkim=pass header.d=evil.example"],
                                     ["other.example; dmarc=pass header.from=example.org"]])
def test_with_authserv_id_an_unauthenticated_message_in_the_members_name_changes_nothing(results):
    world = World(SERVER)
    world.member()
    plan, outcome = world.decide(message("preferences", text=PREFERENCES, authentication_results=results,
                                         member=MemberFields(invitations=True)))
    assert outcome == "record change of M-1 (not authenticated): not made, confirmation asked"
    assert member_writes(plan) == []
    (question,) = plan.asked
    assert question.address == MARIE and question.mail.values["why"] == "not authenticated"
    assert [f.reason for f in plan.forwards] == ["record_change_not_authenticated"]


def test_with_authserv_id_an_authenticated_member_changes_their_own_record():
    world = World(SERVER)
    world.member()
    plan, outcome = world.decide(message("preferences", text=PREFERENCES, authentication_results=[PASS],
                                         member=MemberFields(invitations=True)))
    assert outcome == "preferences M-1: invitations True" and plan.asked == []


def test_even_authenticated_a_relay_is_not_the_member():
    world = World(SERVER)
    world.member()
    plan, outcome = world.decide(relayed("preferences", text=PREFERENCES, authentication_results=[
        "mx.reseau.test; dmarc=pass header.from=forms.example"], member=MemberFields(invitations=True)))
    assert outcome.endswith("(relay): not made, confirmation asked") and member_writes(plan) == []


def test_a_message_that_changes_nothing_needs_no_confirmation():
    world = World()
    world.member(invitations=True)
    plan, outcome = world.decide(relayed("preferences", text="Invitations : oui\n",
                                         member=MemberFields(invitations=True)))
    assert outcome == "preferences M-1: unchanged" and plan.asked == [] and plan.forwards == []


def test_a_lower_authentication_results_claiming_our_server_is_logged_as_a_warning():
    world = World(SERVER)
    world.member()
    plan, outcome = world.decide(message("preferences", text=PREFERENCES, member=MemberFields(invitations=True),
                                         authentication_results=[SPF_ONLY, PASS]))
    assert outcome.endswith("(not authenticated): not made, confirmation asked"), "the lower pass is not believed"
    # The plan's audit notes, written to the audit log once the plan is carried out.
    assert any(note.logger == "rers.audit" and note.level == logging.WARNING
               and "forgeries the server did not strip" in note.message % note.args and "1 lower" in note.message % note.args
               for note in plan.notes)


def test_repeated_attempts_keep_one_open_question_and_stay_within_the_daily_limit():
    world = World()
    world.member()
    asked = 0
    for n in range(12):
        plan, _ = world.decide(relayed("preferences", text=PREFERENCES + " " * n,
                                       member=MemberFields(invitations=bool(n % 2), contact="phone")))
        from workflows.shell.apply import apply
        from workflows.mail.render import Renderer
        with world.store.transaction():
            apply(plan, world.store, Renderer("fr"))
        asked += len([q for q in plan.asked if q.mail is not None])
    assert asked == world.settings.network.max_replies_per_day
    assert len([q for q in world.store.questions.all() if q["status"] == "open"]) == 1
    assert world.store.members.find_one("ref", "M-1")["contact"] == "email"


FIELD_VALUES = st.fixed_dictionaries({}, optional={
    "digest": st.booleans(),
    "invitation_kinds": st.sampled_from([["ateliers"], ["permanences", "rencontres"]]),
    "name": st.sampled_from(["Autre Personne", "Marie Dupont"]),
    "first_name": st.sampled_from(["Zoé", "Marie"]),
    "phone": st.sampled_from(["+33700000000", "+33611223344"]),
    "contact": st.sampled_from(["email", "phone", "permanence"]),
    "invitations": st.booleans(),
})


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields=FIELD_VALUES, intent=st.sampled_from(["offer", "demand", "join", "preferences", "unknown"]),
       how=st.sampled_from(["relay", "unauthenticated", "spf only", "forged"]))
def test_whatever_a_message_not_from_the_member_writes_the_record_stays(fields, intent, how):
    world = World(SERVER)
    before = world.member(phone="+33611223344")
    results = {"relay": [PASS], "unauthenticated": [], "spf only": [SPF_ONLY], "forged": [FORGED]}[how]
    make = relayed if how == "relay" else message
    items = [Item(kind="offer" if intent != "demand" else "demand", title="Tricot")] if intent != "preferences" else []
    text = "".join(f"{k} : {v}\n" for k, v in fields.items()) if intent in ("preferences", "unknown") else ""
    plan, outcome = world.decide(make(intent, member=MemberFields(**fields), authentication_results=results,
                                      items=items, text=text))
    assert member_writes(plan) == [], outcome
    changes = {k: v for k, v in fields.items() if before.get(k) != v}
    asked = [q for q in plan.asked if q.kind == "confirm_change"]
    if how == "forged":
        assert asked == [] and (intent == "unknown" or outcome == "forwarded: forged")
    elif changes and intent != "unknown":
        (question,) = asked
        assert question.address == MARIE
        assert question.mail.values["changes"].items() <= changes.items()


def _confirmed(robot: Robot, address: str = MARIE) -> None:
    robot.deliver(mail(address, "ADHÉSION", "Nom : Marie Dupont\n"))
    assert robot.deliver(reply(robot.last(address), address, "OUI")).startswith("handled: join confirmed")


def test_through_the_runner_the_member_confirms_from_their_own_address_and_it_is_as_if_they_wrote_it(robot):
    from workflows.shell.publish import publish_calendar

    publish_calendar(robot.settings, robot.store, robot.now)  # the permanence exists
    _confirmed(robot)
    form = mail(RELAY, "Contact depuis le site", "Invitations : oui\nContact : permanence\n",
                headers={"Reply-To": MARIE})
    assert robot.deliver(form) == "handled: record change of M-1 (relay): not made, confirmation asked"
    assert robot.member(MARIE)["invitations"] is False and robot.mails(MARIE, "invitation") == []
    question = robot.last(MARIE, "question:confirm_change")
    assert "Invitations du calendrier : oui" in question.get_body(("plain",)).get_content()
    assert robot.mails(ANIMATORS[0], "record_change")

    stranger = reply(question, "someone@example.net", "OUI")
    assert robot.deliver(stranger) == "handled: refused: wrong address"
    assert robot.member(MARIE)["invitations"] is False

    assert robot.deliver(reply(question, MARIE, "OUI")) == "handled: confirm_change M-1: contact, invitations"
    marie = robot.member(MARIE)
    assert marie["invitations"] is True and marie["contact"] == "permanence"
    assert robot.mails(MARIE, "invitation"), "the live events' invitations, as if she had written it"
    assert robot.last(MARIE).purpose == "preferences_done"


def test_through_the_runner_a_non_changes_nothing(robot):
    _confirmed(robot)
    robot.deliver(mail(RELAY, "Adhésion", "Nom : Quelqu'un\nTéléphone : 07 00 00 00 00\n",
                       headers={"Reply-To": MARIE}))
    before = robot.snapshot()
    count = len(robot.mails(MARIE))
    question = robot.last(MARIE, "question:confirm_change")
    assert robot.deliver(reply(question, MARIE, "NON")) == "handled: confirm_change M-1: refused, nothing changed"
    assert robot.snapshot() == before and len(robot.mails(MARIE)) == count
    assert robot.member(MARIE)["phone"] is None


def test_through_the_runner_a_confirmed_phone_is_filled_in_and_a_name_goes_to_the_animators(robot):
    _confirmed(robot)
    robot.deliver(mail(RELAY, "Adhésion", "Nom : Quelqu'un\nTéléphone : 07 00 00 00 00\n",
                       headers={"Reply-To": MARIE}))
    question = robot.last(MARIE, "question:confirm_change")
    assert robot.deliver(reply(question, MARIE, "OUI")) == \
        "handled: confirm_change M-1: phone; referred to the animators: name"
    marie = robot.member(MARIE)
    assert marie["phone"] == "+33700000000" and marie["name"] == "Marie Dupont"
    assert robot.mails(ANIMATORS[0], "member_change")


def test_a_member_mail_cannot_reach_is_asked_through_the_animators(robot):
    _confirmed(robot)
    with robot.store.transaction():
        robot.store.members.update(robot.member(MARIE)["id"], undeliverable=True)
    form = mail(RELAY, "Site", "Invitations : oui\n", headers={"Reply-To": MARIE})
    assert robot.deliver(form) == "handled: record change of M-1 (relay): not made, confirmation asked"
    proxies = [robot.last(a, "question:confirm_change") for a in ANIMATORS]
    text = proxies[0].get_body(("plain",)).get_content()
    assert "POUR M-1 : OUI" in text and "Invitations du calendrier : oui" in text
    assert robot.member(MARIE)["invitations"] is False


# --- answers from calendar clients count for the attendee who sent them ------------------


def _calendar_reply(attendee: str | None, sender: str, *headers: str) -> bytes:
    """A calendar client's REPLY accepting the permanence for ``attendee`` (no ATTENDEE
    line: None), sent From ``sender``."""
    raw = gmail_reply(attendee or MARIE, PERMANENCE)
    if attendee is None:
        raw = raw.replace(f"ATTENDEE;PARTSTAT=ACCEPTED;CN=Zoé:mailto:{MARIE}\r\n".encode(), b"")
    head = "".join(f"{h}\r\n" for h in headers).encode()
    return raw.replace(f"From: {attendee or MARIE}\r\n".encode(), f"From: {sender}\r\n".encode() + head, 1)


@pytest.fixture
def calendar(tmp_path):
    bot = calendar_robot(tmp_path)
    bot.add_member("M-1", MARIE, name="Marie Dupont", invitations=True)
    bot.add_member("M-2", PACO, name="Paco Ruiz", invitations=True)
    publish_calendar(bot.settings, bot.store, CALENDAR_NOW)
    return bot


@pytest.mark.parametrize("sender", [PACO, "someone@example.net", "marie@example.org.evil.test", ANIMATORS[0]])
def test_a_calendar_answer_in_a_members_name_from_another_address_records_nothing(calendar, sender):
    assert routed(calendar, _calendar_reply(MARIE, sender), CALENDAR_NOW) == "rsvp: not sent by the attendee, forwarded"
    assert calendar.store.attendance.all() == []
    (doc, forward), = calendar.mails("rsvp_not_attendee")
    assert doc["recipients"] == list(ANIMATORS)


def test_the_attendees_own_answer_counts(calendar):
    assert routed(calendar, _calendar_reply(MARIE, "Marie <MARIE@Example.org>"), CALENDAR_NOW).startswith(
        "rsvp accepted")
    assert [d["member"] for d in calendar.store.attendance.all()] == ["M-1"]


def test_a_relay_whose_reply_to_is_the_attendee_is_not_the_attendee(calendar):
    outcome = routed(calendar, _calendar_reply(MARIE, RELAY, f"Reply-To: {MARIE}"), CALENDAR_NOW)
    assert outcome == "rsvp: not sent by the attendee, forwarded" and calendar.store.attendance.all() == []


# --- delivery reports mark only the recipients of the robot's own mail --------------------


def dsn(failed: list[str], original: str | None, *, part: str = "message/rfc822", headers: str = "") -> bytes:
    """A delivery report (RFC 3464) from a mail server, for ``failed``, about the message
    whose Message-ID is ``original`` (None: no original attached)."""
    status = "".join(f"Final-Recipient: rfc822; {a}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n" for a in failed)
    attached = ""
    if original is not None:
        copy = (f"From: RERS de Test <rers.test@example.org>\r\nTo: {failed[0]}\r\nSubject: x\r\n"
                f"Message-ID: {original}\r\n")
        attached = (f"--B\r\nContent-Type: {part}\r\n\r\n{copy}"
                    + ("\r\nle texte\r\n" if part == "message/rfc822" else ""))
    return (f"From: MAILER-DAEMON@mx.example.net\r\nTo: rers.test@example.org\r\n"
            f"Subject: Undelivered Mail Returned to Sender\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
            f"Message-ID: <dsn.{len(failed)}.{original}@mx.example.net>\r\n{headers}MIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
            "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
            f"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n{status}"
            f"{attached}--B--\r\n").encode()


def test_the_parser_finds_what_a_report_is_about():
    from workflows.mail.model import ParseOptions
    from workflows.mail.parse import parse_message

    for part in ("message/rfc822", "text/rfc822-headers"):
        parsed = parse_message(dsn([MARIE], "<sent.1@example.org>", part=part), ParseOptions())
        assert parsed.intent == "bounce" and parsed.bounced_addresses == [MARIE]
        assert parsed.bounced_message_ids == ["<sent.1@example.org>"], part
    threaded = parse_message(dsn([MARIE], None, headers="In-Reply-To: <sent.2@example.org>\r\n"), ParseOptions())
    assert threaded.bounced_message_ids == ["<sent.2@example.org>"]
    quoted = parse_message(mail("MAILER-DAEMON@mx.example.com", "Undelivered Mail Returned to Sender",
                                f"<{MARIE}>: 550 User unknown\n\n--- copy ---\n\n> Message-ID: <sent.3@example.org>\n",
                                headers={"X-Failed-Recipients": MARIE}), ParseOptions())
    assert quoted.bounced_message_ids == ["<sent.3@example.org>"]


def _sent_to(robot: Robot, address: str) -> str:
    robot.deliver(mail(address, "AIDE", ""))
    return robot.last(address)["Message-ID"]


def test_a_forged_report_naming_a_member_marks_nobody(robot):
    _confirmed(robot)
    for raw in (dsn([MARIE], None), dsn([MARIE], "<made-up@example.org>"),
                dsn([MARIE], "<m1@client.example>")):  # a person's Message-ID, not the robot's
        assert robot.deliver(raw) == "handled: bounce: not about a mail sent to M-1, nothing marked"
    assert robot.member(MARIE)["undeliverable"] is False
    assert len(robot.mails(ANIMATORS[0], "bounce_not_ours")) == 3
    assert robot.deliver(mail(MARIE, "AIDE", "")).endswith("help sent"), "the robot still writes to her"


def test_a_report_about_a_mail_to_someone_else_does_not_mark_the_member_it_names(robot):
    _confirmed(robot)
    to_paco = _sent_to(robot, PACO)
    assert robot.deliver(dsn([MARIE], to_paco)) == "handled: bounce: not about a mail sent to M-1, nothing marked"
    assert robot.member(MARIE)["undeliverable"] is False


def test_a_real_report_about_the_robots_mail_marks_the_member(robot):
    _confirmed(robot)
    to_marie = _sent_to(robot, MARIE)
    assert robot.deliver(dsn([MARIE], to_marie)) == "handled: bounce: M-1"
    assert robot.member(MARIE)["undeliverable"] is True
    assert robot.mails(ANIMATORS[0], "bounce") and not robot.mails(ANIMATORS[0], "bounce_not_ours")


def test_a_report_naming_two_members_marks_only_the_one_it_proves(robot):
    _confirmed(robot)
    robot.deliver(mail(PACO, "ADHÉSION", "Nom : Paco Ruiz\n"))
    robot.deliver(reply(robot.last(PACO), PACO, "OUI"))
    to_marie = _sent_to(robot, MARIE)
    assert robot.deliver(dsn([MARIE, PACO], to_marie)) == "handled: bounce: M-1"
    assert robot.member(MARIE)["undeliverable"] is True and robot.member(PACO)["undeliverable"] is False
    assert robot.mails(ANIMATORS[0], "bounce_not_ours")


def test_a_report_about_a_mail_the_forger_caused_and_predicted_marks_nobody(robot):
    """The forger makes the robot write to Marie (AIDE in her name, under a Message-ID of
    their choice) and computes that mail's Message-ID as the code would: the robot's
    Message-IDs are keyed with the store's own key, so the guess names no mail."""
    from workflows.mail.rfc5322 import message_id

    _confirmed(robot)
    robot.deliver(with_id(mail(MARIE, "AIDE", ""), "<chosen@evil.example>"))
    predicted = message_id(robot.settings.network.domain, "help", "<chosen@evil.example>", MARIE)
    assert robot.last(MARIE).purpose == "help" and robot.last(MARIE)["Message-ID"] != predicted
    assert robot.deliver(dsn([MARIE], predicted)) == "handled: bounce: not about a mail sent to M-1, nothing marked"
    assert robot.member(MARIE)["undeliverable"] is False


def test_through_the_runner_kinds_of_invitations_confirmed_turn_them_on_as_her_own_mail_would(robot):
    _confirmed(robot)
    form = mail(RELAY, "Calendrier", "Invitations : ateliers\nNouvelles : oui\n", headers={"Reply-To": MARIE})
    assert robot.deliver(form) == "handled: record change of M-1 (relay): not made, confirmation asked"
    question = robot.last(MARIE, "question:confirm_change")
    text = question.get_body(("plain",)).get_content()
    assert "Invitations pour : ateliers" in text and "Nouvelles du mois : oui" in text
    assert robot.deliver(reply(question, MARIE, "OUI")).startswith("handled: confirm_change M-1: ")
    marie = robot.member(MARIE)
    assert marie["invitations"] is True and marie["invitation_kinds"] == ["ateliers"] and marie["digest"] is True


def test_a_calendar_answer_the_server_calls_forged_records_nothing(tmp_path):
    bot = calendar_robot(tmp_path, network=SERVER)
    bot.add_member("M-1", MARIE, name="Marie Dupont", invitations=True)
    publish_calendar(bot.settings, bot.store, CALENDAR_NOW)
    raw = _calendar_reply(MARIE, MARIE, f"Authentication-Results: {FORGED}")
    assert routed(bot, raw, CALENDAR_NOW) == "forwarded: forged"
    assert bot.store.attendance.all() == []
    (doc, _forward), = bot.mails("member_forged")
    assert doc["recipients"] == list(ANIMATORS)


def test_one_answer_of_a_calendar_reply_for_someone_else_records_none_of_it(calendar):
    raw = _calendar_reply(MARIE, MARIE)
    second = (f"BEGIN:VEVENT\r\nUID:{PERMANENCE}\r\nRECURRENCE-ID:20261214T080000Z\r\n"
              f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{PACO}\r\nDTSTAMP:20261123T090000Z\r\nEND:VEVENT\r\n")
    raw = raw.replace(b"END:VCALENDAR", second.encode() + b"END:VCALENDAR", 1)
    assert routed(calendar, raw, CALENDAR_NOW) == "rsvp: not sent by the attendee, forwarded"
    assert calendar.store.attendance.all() == []


def test_a_plain_words_answer_to_an_invitation_the_server_calls_forged_records_nothing(tmp_path):
    from support import member_mail
    from test_calendar_attendance import invitation_id

    bot = calendar_robot(tmp_path, network=SERVER)
    bot.add_member("M-1", MARIE, name="Marie Dupont", invitations=True)
    publish_calendar(bot.settings, bot.store, CALENDAR_NOW)
    invitation = invitation_id(bot)
    raw = member_mail(MARIE, "Re: Invitation : Permanence du RERS de Test", "Je viendrai lundi.\n",
                      headers={"In-Reply-To": invitation, "References": invitation,
                               "Authentication-Results": FORGED})
    assert routed(bot, raw, CALENDAR_NOW) == "forwarded: forged"
    assert bot.store.attendance.all() == []


@pytest.mark.parametrize("intent, fields", [
    ("withdraw", {}), ("my_data", {}), ("help", {}), ("catalogue", {}), ("withdraw_item", {"item_ref": "O-1"}),
    ("reply", {"answer": "yes", "token": "ABCDEFGH"}),
])
def test_a_message_the_server_calls_forged_is_refused_before_anything_else(intent, fields):
    """A RETRAIT, MES DONNÉES, AIDE, CATALOGUE, RETRAIT O-1 or an answer — even one that
    would carry a valid token — in a member's name that the network's server calls
    forged: nobody is asked or answered, only the animators hear of it."""
    world = World(SERVER)
    world.member()
    plan, outcome = world.decide(message(intent, authentication_results=[FORGED], **fields))
    assert outcome == "forwarded: forged"
    assert plan.asked == [] and [w.collection for w in plan.writes] == ["replies"]  # the forwards counted
    assert [f.reason for f in plan.forwards] == ["member_forged"]
    assert all(MARIE not in [a for _, a in m.to] for m in plan.mails)
