"""The Message-ID ledger keeps a hash of each Message-ID, never the Message-ID: some
clients put the sender's own domain in it (« <…@paco-ruiz.fr> »), which would name a
person after their erasure. The same message delivered again is still recognised."""
from __future__ import annotations

import json
from email import message_from_bytes, policy

import orjson

from membership_support import World, mail, reply
from store import SCHEMA_VERSION, Store, message_key

PACO = "paco@paco-ruiz.fr"


def with_id(raw: bytes, message_id: str) -> bytes:
    msg = message_from_bytes(raw, policy=policy.SMTP)
    del msg["Message-ID"]
    msg["Message-ID"] = message_id
    return msg.as_bytes()


def test_the_ledger_holds_no_message_id_and_still_knows_a_repeat(tmp_path):
    world = World(tmp_path / "robot")
    join = with_id(mail(PACO, "ADHÉSION", "Nom : Paco Ruiz\n"), "<1.join@mail.paco-ruiz.fr>")
    assert world.deliver(join).startswith("handled: ")
    world.deliver(with_id(reply(world.last(PACO), PACO, "OUI"), "<2.yes@mail.paco-ruiz.fr>"))
    world.deliver(with_id(mail(PACO, "RETRAIT", ""), "<3.leave@mail.paco-ruiz.fr>"))
    assert world.deliver(with_id(reply(world.last(PACO), PACO, "OUI"), "<4.yes@mail.paco-ruiz.fr>")) \
        .endswith("erased")
    ledger = world.store.ledger.all()
    assert len(ledger) == 4 and "paco-ruiz" not in json.dumps(ledger)
    assert {e["message_id"] for e in ledger} == {message_key(f"<{n}@mail.paco-ruiz.fr>")
                                                 for n in ("1.join", "2.yes", "3.leave", "4.yes")}
    assert world.deliver(join) == "repeat", "the same message again changes nothing"
    assert world.store.members.count() == 0


def test_message_key_is_a_fixed_hash():
    assert message_key("<a@b>") == message_key("<a@b>") != message_key("<a@c>")
    assert message_key("<a@b>").startswith("sha256:") and "a@b" not in message_key("<a@b>")


def test_a_store_of_schema_1_has_its_ledger_hashed_at_the_first_write(tmp_path):
    path = tmp_path / "rers.json"
    path.write_bytes(orjson.dumps({
        "_meta": {"1": {"schema_version": 1}},
        "ledger": {"1": {"message_id": "<old@mail.paco-ruiz.fr>", "source_key": "k1", "received": "2026-11-01T00:00:00+00:00",
                         "intent": "join", "outcome": "handled"},
                   "2": {"message_id": message_key("<new@x>"), "source_key": "k2",
                         "received": "2026-11-02T00:00:00+00:00", "intent": "join", "outcome": "handled"}},
    }))
    store = Store.open(path)
    with store.transaction():
        pass
    assert store.schema_version == SCHEMA_VERSION == 3
    assert store.ledger.find_one("message_id", message_key("<old@mail.paco-ruiz.fr>"))["source_key"] == "k1"
    assert store.ledger.find_one("message_id", message_key("<new@x>"))["source_key"] == "k2", "hashed once only"
    assert store.ledger.find_one("message_id", "<old@mail.paco-ruiz.fr>") is None
    assert b"paco-ruiz" not in path.read_bytes()
    assert Store.open(path).ledger.count("message_id", message_key("<old@mail.paco-ruiz.fr>")) == 1
