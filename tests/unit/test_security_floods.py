"""Floods (issue 14, docs/security.md "Floods"): what one sender — or the whole world
writing to the functional address — can make the robot do is bounded.

- forwards to the animators: ``[limits] max_forwards_per_day`` per sender, then one
  notice, then nothing that day (the reasons of ``speaking.UNCAPPED_FORWARDS`` always go);
- the daily answer limit is per mailbox: ``+tag`` and case variants share it;
- confirmation requests to non-members: network-wide bounds per hour and per day, the
  person kept pending, the animators told once per period, ``rers members ask`` later;
- items: ``max_items_per_message`` per message, ``max_open_items_per_member`` open;
- a mail queued while the clock ran ahead is sent once the clock is corrected.

Plain-data tests decide on a Plan over ``Store.memory()``; flows go through the runner.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from config.settings import loads
from membership_support import START, World as Robot, mail, reply
from store import Store
from support import ANIMATORS, config_text
from workflows import routes
from workflows.decision import Incoming, Plan, Resources
from workflows.mail.model import Item, Parsed
from workflows.mail.sender import mailbox_key
from workflows.shell.resources import current_texts
from workflows.steps import speaking
from workflows.steps.items import record_items

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
EVE = "eve@example.net"
FORGED = "mx.example.org; dmarc=fail (p=reject) header.from=example.net"


# --- plain data ------------------------------------------------------------------------


class Plain:
    """Settings, a memory store; ``decide`` one message, ``keep`` a plan's writes (the
    counters a later message must see)."""

    def __init__(self, network: str = "", extra: str = ""):
        root = Path("/nowhere")
        self.settings = loads(config_text(root, network=network, extra=extra), base=root, source=root / "rers.toml")
        self.store = Store.memory()

    def plan(self, now: datetime = NOW) -> Plan:
        return Plan(self.settings, self.store, now, Resources(texts=current_texts(self.settings), token_key=b"k" * 32))

    def decide(self, parsed: Parsed, now: datetime = NOW, keep: bool = True) -> tuple[Plan, str]:
        plan = self.plan(now)
        outcome = routes.dispatch(plan, Incoming(parsed, b"From: x\r\n\r\nbody\r\n", "test"))
        if keep:
            self.keep(plan)
        return plan, outcome

    def keep(self, plan: Plan) -> None:
        with self.store.transaction():
            for write in plan.writes:
                collection = self.store.collections[write.collection]
                if write.op == "insert":
                    collection.insert(write.doc, doc_id=write.id)
                elif write.op == "replace":
                    collection.replace(write.id, write.doc)
                else:
                    collection.delete(write.id)


_ids = iter(range(1, 10**9))


def unknown(sender: str | None, **fields) -> Parsed:
    return Parsed(intent="unknown", sender=sender, message_id=f"<u{next(_ids)}@client.example>",
                  subject="Bonjour", text="Une question sans mot-clé.", **fields)


def forwarded(plan: Plan) -> list[str]:
    return [f.reason for f in plan.forwards]


def test_the_sender_s_forwards_stop_after_the_day_s_limit_with_one_notice():
    plain = Plain(extra="[limits]\nmax_forwards_per_day = 3\n")
    reasons = [forwarded(plain.decide(unknown(EVE))[0]) for _ in range(6)]
    assert reasons == [["not_understood"]] * 3 + [["forward_limit"], [], []]


def test_the_notice_names_the_sender_the_limit_and_the_done_folder():
    plain = Plain(extra="[limits]\nmax_forwards_per_day = 1\n")
    plain.decide(unknown(EVE))
    plan, _ = plain.decide(unknown(EVE))
    (notice,) = plan.forwards
    text = notice.mail.values["reason"]
    assert EVE in text and "1 messages" in text and "« Traités »" in text
    assert notice.mail.attachments[0].kind == "original", "the message that crossed the limit is attached"


def test_the_limit_starts_again_the_next_day():
    plain = Plain(extra="[limits]\nmax_forwards_per_day = 1\n")
    plain.decide(unknown(EVE))
    assert forwarded(plain.decide(unknown(EVE))[0]) == ["forward_limit"]
    assert forwarded(plain.decide(unknown(EVE), now=NOW + timedelta(days=1))[0]) == ["not_understood"]


@pytest.mark.parametrize("variant", ["EVE@example.net", "eve+promo@example.net", "Eve+1+2@EXAMPLE.NET"])
def test_plus_and_case_variants_are_one_sender(variant):
    plain = Plain(extra="[limits]\nmax_forwards_per_day = 1\n")
    plain.decide(unknown(EVE))
    assert forwarded(plain.decide(unknown(variant.lower()))[0]) == ["forward_limit"]


def test_dots_are_not_merged():
    plain = Plain(extra="[limits]\nmax_forwards_per_day = 1\n")
    plain.decide(unknown(EVE))
    assert forwarded(plain.decide(unknown("e.ve@example.net"))[0]) == ["not_understood"]


def test_senders_that_cannot_be_read_share_one_counter():
    plain = Plain(extra="[limits]\nmax_forwards_per_day = 2\n")
    reasons = [forwarded(plain.decide(unknown(None, sender_problem="unreadable"))[0]) for _ in range(4)]
    assert reasons == [["not_understood"], ["not_understood"], ["forward_limit"], []]


def test_an_animator_s_address_has_ten_times_the_forwards():
    plain = Plain(extra="[limits]\nmax_forwards_per_day = 1\n")
    reasons = [forwarded(plain.decide(unknown(ANIMATORS[0]))[0]) for _ in range(11)]
    assert reasons[:10] == [["not_understood"]] * 10 and reasons[10] == ["forward_limit"]


def test_forged_mail_in_a_member_s_name_does_not_use_up_their_real_forwards():
    plain = Plain(network='authserv_id = "mx.example.org"', extra="[limits]\nmax_forwards_per_day = 2\n")
    offer = dict(intent="offer", items=[Item(kind="offer", title="Tricot")], authentication_results=[FORGED])
    forged = [forwarded(plain.decide(Parsed(sender=EVE, message_id=f"<f{n}@x>", subject="OFFRE", text="", **offer))[0])
              for n in range(4)]
    assert forged == [["member_forged"], ["member_forged"], ["forward_limit_forged"], []]
    assert forwarded(plain.decide(unknown(EVE))[0]) == ["not_understood"], "the real mail still reaches them"


def test_the_parked_notice_and_the_reply_limit_are_never_held():
    plain = Plain(extra="[limits]\nmax_forwards_per_day = 1\n")
    plain.decide(unknown(None))
    plain.decide(unknown(None))  # the unreadable senders' forwards are used up, and EVE's:
    plain.decide(unknown(EVE))
    plain.decide(unknown(EVE))
    plan = plain.plan()
    parked = Parsed(intent="unknown", message_id="<p@x>", subject="", text="")
    speaking.forward_to_animators(plan, Incoming(parked, b"raw", "k"), reason="parked", purpose="parked", count=3,
                                  detail="boom", folder="Erreurs")
    speaking.limit_reached(plan, Incoming(unknown(EVE), b"raw", "k"), EVE, "my_data")
    assert forwarded(plan) == ["parked", "reply_limit"]


def test_a_held_forward_still_handles_the_message_and_answers_within_its_own_limit():
    plain = Plain(extra="[limits]\nmax_forwards_per_day = 1\n")
    plain.decide(unknown(EVE))
    plain.decide(unknown(EVE))
    plan, outcome = plain.decide(unknown(EVE))
    assert outcome == "forwarded to the animators" and plan.forwards == []


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["eve", "EVE", "Eve"]), st.one_of(st.none(), st.text(
    "abcxyz0189-_.", min_size=0, max_size=6))), min_size=1, max_size=25), st.integers(1, 6))
def test_whatever_the_variants_a_sender_gets_at_most_the_limit_and_one_notice(variants, limit):
    plain = Plain(extra=f"[limits]\nmax_forwards_per_day = {limit}\n")
    reasons = []
    for local, tag in variants:
        address = f"{local}{'+' + tag if tag is not None else ''}@example.net".lower()
        reasons += forwarded(plain.decide(unknown(address))[0])
    sent = len(variants)
    assert reasons.count("not_understood") == min(sent, limit)
    assert reasons.count("forward_limit") == (1 if sent > limit else 0)


# --- the answer limit is per mailbox ---------------------------------------------------


@given(st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12),
       st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.+", max_size=12))
def test_a_tag_or_capitals_never_make_another_mailbox(local, tag):
    base = f"{local}@example.net"
    assert mailbox_key(f"{local.upper()}+{tag}@EXAMPLE.net") == mailbox_key(base) == base


def test_the_mailbox_key_keeps_dots_and_a_local_part_that_is_only_a_tag():
    assert mailbox_key("m.arie@example.net") != mailbox_key("marie@example.net")
    assert mailbox_key("+tag@example.net") == "+tag@example.net"
    assert mailbox_key(None) is None


def test_plus_variants_share_the_daily_answer_limit():
    plain = Plain()
    plan = plain.plan()
    addresses = [f"marie+{n}@example.net" for n in range(30)] + ["MARIE@example.net", "marie@example.net"]
    granted = [speaking.take_allowance(plan, a.lower()) for a in addresses]
    assert granted.count(True) == plain.settings.network.max_replies_per_day


def test_155_help_mails_from_tag_variants_get_five_answers(tmp_path):
    robot = Robot(tmp_path / "robot")
    for n in range(40):
        robot.deliver(mail(f"Marie+{n}@Example.org", "AIDE", "?"))
    answers = [m for m in robot.mails(purpose="help")]
    assert len(answers) == 5


# --- confirmation requests to non-members ------------------------------------------------


def join_limits(hour: int, day: int) -> str:
    return f"[limits]\nmax_join_questions_per_hour = {hour}\nmax_join_questions_per_day = {day}\n"


def test_forged_joins_beyond_the_hour_s_bound_are_kept_pending_without_a_question(tmp_path):
    robot = Robot(tmp_path / "robot", extra=join_limits(3, 5))
    outcomes = [robot.deliver(mail(f"victim{n}@example.net", "ADHÉSION", "Nom : Inconnu")) for n in range(8)]
    assert sum("confirmation asked" in o for o in outcomes) == 3
    assert sum("(question withheld)" in o for o in outcomes) == 5
    assert len(robot.mails(purpose="question:join")) == 3
    assert robot.store.members.count("status", "pending") == 8, "every join is recorded, held"
    (notice,) = robot.mails(ANIMATORS[0], purpose="join_limit")
    said = " ".join(notice.get_body(preferencelist=("plain",)).get_content().split())
    assert "déjà envoyé 3 demandes" in said and "1 personne(s) attendent" in said  # told at the first one held
    robot.later(hours=1)
    outcomes = [robot.deliver(mail(f"later{n}@example.net", "ADHÉSION", "Nom : Inconnu")) for n in range(4)]
    assert sum("confirmation asked" in o for o in outcomes) == 2, "the day's bound (5) comes before the hour's"
    assert len(robot.mails(ANIMATORS[0], purpose="join_limit")) == 2, "told once for the hour, once for the day"


def test_a_held_person_who_writes_again_later_gets_the_question(tmp_path):
    robot = Robot(tmp_path / "robot", extra=join_limits(1, 1))
    robot.deliver(mail("first@example.net", "ADHÉSION", "Nom : Un"))
    assert "(question withheld)" in robot.deliver(mail("anna@example.net", "ADHÉSION", "Nom : Anna Lopez"))
    robot.later(days=1)
    assert "confirmation asked" in robot.deliver(mail("anna@example.net", "ADHÉSION", "Nom : Anna Lopez"))
    question = robot.last("anna@example.net", "question:join")
    robot.deliver(reply(question, "anna@example.net", "OUI"))
    assert robot.member("anna@example.net")["status"] == "confirmed"


def test_an_offer_from_a_non_member_counts_as_a_join(tmp_path):
    robot = Robot(tmp_path / "robot", extra=join_limits(1, 1))
    robot.deliver(mail("first@example.net", "ADHÉSION", "Nom : Un"))
    outcome = robot.deliver(mail("paul@example.net", "OFFRE : tricot", "Je propose du tricot."))
    assert "(question withheld)" in outcome and robot.store.items.count("status", "held") == 1


def test_the_network_bound_does_not_use_up_the_person_s_own_answers():
    plain = Plain(extra=join_limits(1, 1))
    plain.decide(Parsed(intent="join", sender="first@example.net", message_id="<j1@x>", subject="ADHÉSION", text=""))
    plan, outcome = plain.decide(Parsed(intent="join", sender=EVE, message_id="<j2@x>", subject="ADHÉSION", text=""))
    assert outcome.endswith("(question withheld)") and not plan.asked
    assert speaking.take_allowance(plain.plan(), EVE, "probe", limit=1)
    counters = [d["key"] for d in plain.store.replies.all()]
    assert not any(k.startswith("reply|") and "first" in k for k in counters)
    assert sum(1 for k in counters if k.startswith("reply|")) == 1, "only the question sent counted an answer"


def test_a_withdrawal_question_is_not_bound_by_the_joins():
    plain = Plain(extra=join_limits(1, 1))
    plain.decide(Parsed(intent="join", sender="first@example.net", message_id="<j1@x>", subject="ADHÉSION", text=""))
    plan, outcome = plain.decide(Parsed(intent="withdraw", sender="first@example.net", message_id="<w@x>",
                                        subject="RETRAIT", text=""))
    assert outcome.endswith("confirmation asked") and [q.kind for q in plan.asked] == ["withdraw"]


def test_an_animator_sends_the_held_question_with_rers_members_ask(tmp_path, monkeypatch, capsys):
    from workflows.cli import main

    robot = Robot(tmp_path / "robot", extra=join_limits(1, 1))
    robot.deliver(mail("first@example.net", "ADHÉSION", "Nom : Un"))
    robot.deliver(mail("anna@example.net", "ADHÉSION", "Nom : Anna Lopez"))
    ref = robot.member("anna@example.net")["ref"]
    monkeypatch.setenv("RERS_NOW", START.isoformat())
    config = str(robot.settings.source)
    assert main(["members", "ask", ref, "--by", "Anne", "--config", config]) == 0
    assert f"{ref} : demande de confirmation en attente" in capsys.readouterr().out
    assert main(["members", "ask", "M-1", "--by", "Anne", "--config", config]) == 0
    robot.store.refresh()
    assert robot.store.questions.count("address", "anna@example.net") == 1


def test_rers_members_ask_refuses_a_confirmed_member(tmp_path, monkeypatch, capsys):
    from workflows.cli import main

    robot = Robot(tmp_path / "robot")
    robot.deliver(mail("anna@example.net", "ADHÉSION", "Nom : Anna Lopez"))
    robot.deliver(reply(robot.last("anna@example.net", "question:join"), "anna@example.net", "OUI"))
    ref = robot.member("anna@example.net")["ref"]
    assert main(["members", "ask", ref, "--by", "Anne", "--config", str(robot.settings.source)]) == 1
    assert "déjà membre confirmé" in capsys.readouterr().err


def test_rers_status_says_how_many_wait_and_how_many_forwards_were_held(tmp_path):
    from workflows.shell.status import status_text

    robot = Robot(tmp_path / "robot", extra=join_limits(1, 1) + "max_forwards_per_day = 1\n")
    robot.deliver(mail("first@example.net", "ADHÉSION", "Nom : Un"))
    robot.deliver(mail("anna@example.net", "ADHÉSION", "Nom : Anna Lopez"))
    for _ in range(4):
        robot.deliver(mail(EVE, "Bonjour", "Vous ouvrez quand ?"))
    text = status_text(robot.settings, robot.store, robot.now)
    assert "3 message(s) non transmis" in text and "1 personne(s) attendant" in text


# --- items -------------------------------------------------------------------------------


def confirmed(robot: Robot, address: str = "lina@example.org") -> str:
    robot.deliver(mail(address, "ADHÉSION", "Nom : Lina Petit"))
    robot.deliver(reply(robot.last(address, "question:join"), address, "OUI"))
    return address


def savoirs(count: int, start: int = 0) -> str:
    return "\n".join(f"Savoir : savoir numéro {n}" for n in range(start, start + count))


def test_one_message_creates_at_most_the_bound_and_the_rest_is_answered(tmp_path):
    robot = Robot(tmp_path / "robot")
    lina = confirmed(robot)
    outcome = robot.deliver(mail(lina, "OFFRE", savoirs(40)))
    assert outcome.endswith("30 not recorded (too many)")
    assert robot.store.items.count("status", "open") == 10
    answer = robot.last(lina, "items_too_many")
    text = answer.get_body(preferencelist=("plain",)).get_content()
    assert "trop de savoirs d'un coup" in " ".join(text.split()) and "30 suivants" in text
    (notice,) = robot.mails(ANIMATORS[0], purpose="too_many_items")
    assert "30 n'ont pas été enregistrés" in " ".join(notice.get_body(preferencelist=("plain",)).get_content().split())
    assert not robot.mails(lina, "items_ack")


def test_a_member_holds_at_most_the_bound_of_open_items(tmp_path):
    robot = Robot(tmp_path / "robot", extra="[limits]\nmax_items_per_message = 10\nmax_open_items_per_member = 12\n")
    lina = confirmed(robot)
    robot.deliver(mail(lina, "OFFRE", savoirs(10)))
    robot.deliver(mail(lina, "DEMANDE", savoirs(5, 10)))
    assert robot.store.items.count("status", "open") == 12
    text = robot.last(lina, "items_too_many").get_body(preferencelist=("plain",)).get_content()
    assert "12 savoirs ouverts" in text
    outcome = robot.deliver(mail(lina, "OFFRE", savoirs(1, 20)))
    assert outcome.endswith("1 not recorded (too many)") and robot.store.items.count("status", "open") == 12


def test_a_non_member_s_flood_of_items_is_held_bounded_and_only_the_animators_hear_of_it(tmp_path):
    robot = Robot(tmp_path / "robot")
    outcome = robot.deliver(mail("zed@example.net", "OFFRE", savoirs(2000)))
    assert "1990 not recorded" in outcome and robot.store.items.count("status", "held") == 10
    assert [m.purpose for m in robot.mails("zed@example.net")] == ["question:join"], "no second mail to a stranger"
    assert robot.mails(ANIMATORS[0], purpose="too_many_items")


@hsettings(max_examples=60, deadline=None)
@given(st.integers(0, 30), st.integers(0, 60), st.integers(1, 12), st.integers(1, 40))
def test_records_never_exceed_either_bound(written, holding, per_message, open_limit):
    open_limit = max(open_limit, per_message)
    plain = Plain(extra=f"[limits]\nmax_items_per_message = {per_message}\nmax_open_items_per_member = {open_limit}\n")
    with plain.store.transaction():
        plain.store.members.insert({"ref": "M-1", "address": "m@x.org", "status": "confirmed", "name": "M"})
        for n in range(holding):
            plain.store.items.insert({"ref": f"O-{n + 1}", "member": "M-1", "kind": "offer", "title": "t",
                                      "status": "open"})
        plain.store.set_state("counter:offer", holding)
    plan = plain.plan()
    member = plan.members.find_one("ref", "M-1")
    stored = record_items(plan, member, [Item(kind="offer", title=f"s{n}") for n in range(written)], "<m@x>")
    assert len(stored) == min(written, per_message, max(0, open_limit - holding))


# --- the clock ran ahead -----------------------------------------------------------------


def test_a_mail_queued_while_the_clock_ran_ahead_is_sent_once_it_is_corrected(tmp_path):
    from workflows.shell.outbox import due

    robot = Robot(tmp_path / "robot", now=START + timedelta(days=365 * 5))
    robot.deliver(mail("anna@example.net", "AIDE", "?"))
    assert [m["purpose"] for m in due(robot.store, robot.now)] == ["help"]
    robot.now = START
    assert [m["purpose"] for m in due(robot.store, robot.now)] == ["help"]
    report = robot.runner.flush()
    assert len(report.sent) == 1 and list((tmp_path / "robot" / "outbox").glob("*.eml"))


def test_a_mail_put_off_by_the_longest_backoff_still_waits(tmp_path):
    from workflows.shell.outbox import LONGEST_BACKOFF, due

    robot = Robot(tmp_path / "robot")
    robot.deliver(mail("anna@example.net", "AIDE", "?"))
    (queued,) = robot.store.outbox.find("status", "queued")
    for delay, expected in ((LONGEST_BACKOFF, []), (timedelta(minutes=1), []),
                            (LONGEST_BACKOFF + timedelta(seconds=1), ["help"]), (timedelta(0), ["help"])):
        with robot.store.transaction():
            robot.store.outbox.update(queued["id"], next_attempt=(START + delay).isoformat(timespec="seconds"))
        assert [m["purpose"] for m in due(robot.store, START)] == expected, delay
    from workflows.shell.outbox import MAX_ATTEMPTS, backoff

    assert all(backoff(attempts) <= LONGEST_BACKOFF for attempts in range(MAX_ATTEMPTS + 1))
