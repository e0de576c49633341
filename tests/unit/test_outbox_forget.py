"""A mail queued with forget_after_send leaves no copy of the person once sent: not in the
store file, not in its backup, from the flush that sent it on."""
from __future__ import annotations

from membership_support import World, mail, reply, traces_in

ELISE = "elise.martin@example.com"


def test_the_goodbye_after_an_erasure_leaves_no_trace_once_sent(tmp_path):
    world = World(tmp_path / "robot")
    world.deliver(mail(ELISE, "ADHÉSION", "Nom : Élise Martin\n", name="Élise Martin"))
    world.deliver(reply(world.last(ELISE), ELISE, "OUI"))
    world.deliver(mail(ELISE, "RETRAIT", ""))
    assert world.deliver(reply(world.last(ELISE), ELISE, "OUI")) == "handled: withdraw M-1: erased"
    assert traces_in(world.raw_files(), "Élise Martin", ELISE) != []  # the goodbye, not yet sent

    report = world.runner.flush()
    assert report.sent and not report.failed
    assert traces_in(world.raw_files(), "Élise Martin", ELISE) == []
    outbox = tmp_path / "robot" / "outbox"
    assert any(ELISE in p.read_text(errors="replace") for p in outbox.rglob("*") if p.is_file())
    (goodbye,) = [m for m in world.store.outbox.all() if m["purpose"] == "withdraw_done" and m.get("forget")]
    assert goodbye["cause"].startswith("sha256:"), "the cause was the Message-ID of the person's own message"
    (notice,) = [m for m in world.store.outbox.all() if m["purpose"] == "withdrawal_notice"]
    assert notice["cause"] == "withdrawal:M-1", "keyed by the ref, never by the person's Message-ID"
