"""Erasure leaves no byte of the person in the store: not in the records, not in the
outbox (the forwards to the animators carry the person's own mail, base64 when 8-bit),
not in another workflow's documents."""
from __future__ import annotations

import pytest

from workflows.shell.apply import view

from membership_support import World, mail, reply, traces_in
from workflows.steps import introductions
from workflows.model.traces import ERASED, Traces
from workflows.steps.erasure import erase_member

ELISE = "elise.martin@example.com"
NEEDLES = ("Élise Martin", ELISE, "+33611223344", "06 11 22 33 44", "0611223344")


@pytest.fixture
def world(tmp_path):
    return World(tmp_path / "robot")


def test_traces_redact_the_address_name_and_phone_in_any_spelling():
    traces = Traces(ELISE, "Élise Martin", "+33611223344")
    text = "Élise  martin (ELISE.MARTIN@example.com), 06.11.22.33.44 / +33 6 11 22 33 44 / 0033611223344, n°106112233445"
    assert traces.redact(text) == f"{ERASED} ({ERASED}), {ERASED} / {ERASED} / {ERASED}, n°106112233445"
    short = Traces(None, "Al", None)
    assert short.redact("Alice et Al") == "Alice et Al" and short.redact("Al") == ERASED


def test_erasure_leaves_no_trace_in_the_store_files(world, monkeypatch):
    forgotten = []
    monkeypatch.setattr(introductions, "forget_member", lambda ctx, ref: forgotten.append(ref))
    world.deliver(mail(ELISE, "ADHÉSION", "Nom : Élise Martin\nTéléphone : 06 11 22 33 44\nOffre : Crêpes\n",
                       name="Élise Martin"))
    world.deliver(reply(world.last(ELISE), ELISE, "OUI"))
    # Things that name her elsewhere: an unknown message forwarded (8-bit, so base64), a
    # failed reply, another workflow's records.
    world.deliver(mail(ELISE, "Question", "Je suis Élise Martin, mon numéro est le 06 11 22 33 44. Ça va ?\n",
                       cte="8bit"))
    forward = world.mails("anim.one@example.org", "forward")[0]
    assert [a.get_content_type() for a in forward.iter_attachments()] == ["application/octet-stream"]
    world.deliver(mail(ELISE, "Re: [RERS-ABCDEFGH] Rappel", "oui\n"))
    world.deliver(mail("paco@example.net", "Horaires", "La permanence ouvre à quelle heure ?\n"))
    with world.store.transaction():
        world.store.introductions.insert({"ref": "MR-1", "status": "proposed", "offer": "O-1", "demand": "D-9",
                                          "members": ["M-1", "M-2"], "note": "Élise Martin, 06 11 22 33 44"})
        world.store.attendance.insert({"uid": "permanence-58a6ab90@example.org", "occurrence": None, "member": "M-1",
                                       "address": ELISE, "partstat": "accepted"})
        world.store.events.insert({"uid": "x@example.org", "attendees": {ELISE: "accepted"}})
    assert traces_in(world.raw_files(), *NEEDLES) == list(NEEDLES[:4])

    world.deliver(mail(ELISE, "RETRAIT", ""))
    assert world.deliver(reply(world.last(ELISE), ELISE, "OUI")) == "handled: withdraw M-1: erased"
    assert forgotten == ["M-1"]
    # Only the goodbye (dropped once sent) still names her.
    (goodbye,) = world.store.outbox.scan(lambda m: ELISE in m["recipients"])
    assert goodbye["forget"] and goodbye["purpose"] == "withdraw_done"
    with world.store.transaction():
        world.store.outbox.delete(goodbye["id"])  # what sending it does, in effect
    with world.store.transaction():
        world.store.set_state("one more", "write")  # the .bak is now the erased version too
    assert traces_in(world.raw_files(), *NEEDLES) == []
    assert world.mails(purpose="refused_reply") == []
    (other,) = world.mails(purpose="forward")  # about someone else: kept
    assert "paco@example.net" in other.as_string()
    assert world.store.introductions.find_one("ref", "MR-1")["note"] == f"{ERASED}, {ERASED}"
    assert world.store.attendance.count() == 0
    assert world.store.events.all()[0]["attendees"] == {ERASED: "accepted"}

    assert world.deliver(mail(ELISE, "MES DONNÉES", "")) == "handled: my_data: nothing stored"


def test_erase_member_refuses_an_unknown_reason(world):
    world.deliver(mail(ELISE, "ADHÉSION", ""))
    with world.store.transaction(), pytest.raises(ValueError):
        erase_member(view(world.settings, world.store, world.now), world.member(ELISE), reason="because", by="robot")
