"""A linked network that restarts from an empty store (issue 19, docs/reseaux-voisins.md
« Si un réseau repart de zéro »): its messages start again at number 1 under a newer,
signed epoch and are accepted, the animators told; a replay — of the old epoch or of the
new one — is still refused."""
from __future__ import annotations

import json
import re

import pytest

from federation_support import Network, json_part
from support import member_mail
from workflows.model.federation import sequence_verdict

HAVRE, ROUEN = "rers@havre.example", "rers@rouen.example"


@pytest.mark.parametrize("last_epoch, last_seq, epoch, seq, verdict", [
    (0, 0, 0, 1, "next"), (5, 3, 5, 4, "next"), (5, 3, 5, 3, None), (5, 3, 5, 1, None),
    (5, 3, 6, 1, "restart"), (5, 3, 4, 99, None), (0, 7, 1_796_634_000, 1, "restart"), (6, 1, 0, 50, None),
])
def test_sequence_verdict(last_epoch, last_seq, epoch, seq, verdict):
    assert sequence_verdict(last_epoch, last_seq, epoch, seq) == verdict


def _again(raw: bytes, message_id: str) -> bytes:
    return re.sub(rb"Message-ID: <[^>]+>", f"Message-ID: <{message_id}>".encode(), raw, count=1,
                  flags=re.IGNORECASE)


def test_a_peer_restarting_from_an_empty_store_is_accepted_again_and_replays_still_fail(tmp_path):
    havre = Network(tmp_path / "havre", "RERS du Havre", HAVRE, "anim@havre.example")
    rouen = Network(tmp_path / "rouen", "RERS de Rouen", ROUEN, "anim@rouen.example")
    havre.link(rouen)
    rouen.link(havre)
    assert rouen.share() == ["hello to RERS du Havre"]
    assert rouen.carry(havre) == ["federation: hello from RERS de Rouen; linked"]
    assert havre.carry(rouen) == ["federation: catalogue of RERS du Havre (0 item(s)); linked"]
    rouen.later(days=1)
    rouen.member("lea@example.net", "Léa Petit")
    rouen.deliver(member_mail("lea@example.net", "OFFRE : vélo", "Réseaux voisins : oui\n", to=ROUEN))
    assert rouen.share() == ["catalogue to RERS du Havre"]
    old = rouen.robot_mail(havre)
    assert [json.loads(json_part(m))["seq"] for m in old] == [1, 2, 3]
    first_epoch = json.loads(json_part(old[0]))["epoch"]
    assert first_epoch > 0
    assert rouen.carry(havre, already=1) == ["federation: catalogue of RERS de Rouen (0 item(s))",
                                            "federation: catalogue of RERS de Rouen (1 item(s))"]
    assert not havre.outbox(purpose="federation_notice"), "no alarm on the first contact"

    # Rouen loses its store: a new one, the same key, two days later.
    rouen.restart(havre, days=2)
    assert rouen.share() == ["hello to RERS du Havre"]
    (hello,) = rouen.robot_mail(havre)
    fresh = json.loads(json_part(hello))
    assert fresh["seq"] == 1 and fresh["epoch"] > first_epoch

    assert havre.deliver(hello) == "federation: hello from RERS de Rouen; restarted, what was kept of it forgotten"
    kept = havre.store.get_state(f"federation:{ROUEN}")
    assert kept["catalogue"] == [] and kept["catalogue_at"] is None, "its old list named items it no longer has"
    assert json.loads(json_part(havre.robot_mail(rouen)[-1]))["kind"] == "catalogue", "it lost ours: sent again"
    (notice,) = havre.outbox(purpose="federation_notice")
    assert notice["recipients"] == ["anim@havre.example"]
    kept = havre.store.get_state(f"federation:{ROUEN}")
    assert kept["epoch"] == fresh["epoch"] and kept["last_seq"] == 1

    # Replays: the new hello again, and the old epoch's messages (even with higher numbers).
    assert havre.deliver(_again(hello, "r1@attacker.example")).startswith("refused: federation, number 1 after 1")
    refused = havre.deliver(_again(old[2], "r2@attacker.example"))
    assert refused.startswith("refused: federation, number 3 after 1 of an older epoch"), refused
    assert havre.store.get_state(f"federation:{ROUEN}")["epoch"] == fresh["epoch"]
    assert len(havre.outbox(purpose="federation_notice")) == 1, "told once"


def test_a_store_that_signed_before_epochs_keeps_epoch_zero(tmp_path):
    havre = Network(tmp_path / "havre", "RERS du Havre", HAVRE, "anim@havre.example")
    rouen = Network(tmp_path / "rouen", "RERS de Rouen", ROUEN, "anim@rouen.example")
    havre.link(rouen)
    with havre.store.transaction():
        havre.store.set_state(f"federation:{ROUEN}", {"out": {"kind": "hello", "seq": 4, "at": "2026-12-01"}})
    havre.later(days=1)
    havre.share()
    (hello,) = havre.robot_mail(rouen)
    assert json.loads(json_part(hello))["epoch"] == 0, "its peers hold its numbering under epoch 0"
