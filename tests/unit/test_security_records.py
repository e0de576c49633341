"""Issue 14, the parts that need the store: who may change a member's record, whose
calendar answer counts, which delivery report marks a member, a Message-ID reused by
another message, and nothing personal in the logs. Each test is an attack tried (or the
honest case it must not break), on plain data (a Plan over ``Store.memory()``) or through
the real runner."""
from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from membership_support import World as Robot, mail
from store import message_key
from support import ANIMATORS
from workflows.shell.runner import reused_id

MARIE, PACO = "marie@example.org", "paco@example.org"


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
