"""`rers routes` prints the table; `rers decide FILE.eml` says what the robot would do with
one message now, and changes nothing (the store file is the same, byte for byte)."""
from __future__ import annotations

import email
import json

import pytest

from membership_support import World, mail, reply
from support import ANIMATORS
from workflows.cli import main

LEA = "lea.martin@example.net"


def test_rers_routes_lists_every_intent_command_and_answer_with_its_guard(capsys):
    assert main(["routes", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    by_key = {(r["table"], r["key"]): r for r in rows}
    assert by_key[("intent", "offer")]["guard"] == "not forged; own record"
    assert by_key[("answer", "confirm_change")]["step"] == "records.on_confirm_change_answer"
    assert by_key[("intent", "event_command")]["guard"] == "animator"
    assert by_key[("command", "introduce")]["step"] == "introductions.on_introduce_command"
    assert by_key[("answer", "approve")]["guard"] == "addressee, animator, not a party"
    assert [r["key"] for r in rows if r["table"] == "unclaimed"] == ["preferences alone", "no thanks to « et vous ? »",
                                                                    "standing consent", "answer to an invitation", "anything else"]
    assert main(["routes"]) == 0
    text = capsys.readouterr().out
    assert "Gardes (qui peut) :" in text and "le destinataire de la question" in text  # French: no --config


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.setenv("RERS_NOW", "2026-11-23T09:00:00+00:00")
    world = World(tmp_path / "robot")
    world.deliver(mail(LEA, "ADHÉSION", "Nom : Léa Martin\n"))
    world.deliver(reply(world.last(LEA), LEA, "OUI"))
    return world


def decide(world, tmp_path, raw: bytes, *options) -> int:
    path = tmp_path / "message.eml"
    path.write_bytes(raw)
    return main(["decide", str(path), "--config", str(world.settings.source), *options])


def test_rers_decide_says_what_would_happen_and_changes_nothing(world, tmp_path, capsys):
    store_file = world.settings.store.path
    before = store_file.read_bytes()
    raw = mail(LEA, "OFFRE : Tricot pour débutants", "Disponibilités : le mardi\n")
    assert decide(world, tmp_path, raw, "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["intent"] == "offer"
    assert result["route"] == [{"table": "intent", "key": "offer", "guard": "not forged; own record", "passed": True}]
    assert result["outcome"].startswith("recorded O-")
    assert [(m["template"], m["to"]) for m in result["mails"]] == [("items_ack", [LEA])]
    assert [w["document"]["ref"] for w in result["writes"] if w["collection"] == "items"] == ["O-1"]
    assert store_file.read_bytes() == before, "nothing written"
    assert decide(world, tmp_path, raw) == 0
    text = capsys.readouterr().out
    assert "intent offer → intent offer (« not forged; own record » passé)" in text
    assert "mail     items_ack à " + LEA in text and "rien n’a été changé" in text


def test_rers_decide_shows_a_refusal_by_the_guard(world, tmp_path, capsys):
    raw = mail("someone@evil.example", "RETRAIT O-1", "")
    assert decide(world, tmp_path, raw, "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["route"] == [{"table": "intent", "key": "withdraw_item", "guard": "not forged; item's member or animator",
                                "passed": False}]
    assert [m["template"] for m in result["mails"]] == ["withdraw_item_refused"]
    assert not result["questions"]
    assert ANIMATORS[0] not in json.dumps(result["mails"])


def test_rers_decide_names_every_row_taken_and_says_a_repeat_is_a_repeat(world, tmp_path, capsys):
    raw = mail(LEA, "Re: [RERS-AAAAAAAA] la question", "OUI")
    assert decide(world, tmp_path, raw, "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["route"][0]["key"] == "reply" and result["route"][0]["passed"] is False
    already = mail(LEA, "AIDE", "")
    world.deliver(already)
    assert decide(world, tmp_path, already, "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["outcome"].startswith("repeat") and result["writes"] == [] and result["mails"] == []


def test_rers_decide_tells_a_reused_message_id_from_a_repeat_as_the_robot_does(world, tmp_path, capsys):
    first = mail(LEA, "AIDE", "")
    world.deliver(first)
    reused = email.message_from_bytes(first)["Message-ID"]
    other = mail("newcomer@example.org", "OFFRE : Couture", "Nom : Zoé Blanc\n")
    own = email.message_from_bytes(other)["Message-ID"]
    other = other.replace(own.encode(), reused.encode(), 1)
    assert decide(world, tmp_path, other, "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["intent"] == "offer" and not result["outcome"].startswith("repeat"), result["outcome"]
    assert decide(world, tmp_path, first, "--json") == 0
    assert json.loads(capsys.readouterr().out)["outcome"].startswith("repeat")
