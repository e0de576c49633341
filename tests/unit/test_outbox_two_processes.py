"""Two processes flushing one outbox (the daemon and a `rers calendar` command) send each
mail once: what is due is read again under the store's lock."""
from __future__ import annotations

from membership_support import START, World, mail
from store import Store
from workflows.shell.outbox import flush
from workflows.shell.transports.base import SendResult


class Recorder:
    """A transport that keeps the bytes it was given."""

    def __init__(self, sent: list[bytes]):
        self.sent = sent

    def send(self, sender: str, recipients: list[str], message: bytes) -> SendResult:
        self.sent.append(message)
        return SendResult()


def test_a_mail_sent_by_the_other_process_meanwhile_is_not_sent_again(tmp_path):
    world = World(tmp_path / "robot")
    for n in range(3):
        world.deliver(mail(f"person{n}@example.net", "AIDE", ""))
    assert world.store.outbox.count() == 3
    sent: list[bytes] = []
    other = Store.open(world.settings.store.path)  # the other process's view of the file
    first_look = []

    def clock():
        if not first_look:
            first_look.append(True)
            # Between this process's first look at the outbox and its lock, the other
            # process sends everything.
            assert len(flush(other, lambda: Recorder(sent), lambda: START).sent) == 3
        return START

    report = flush(world.store, lambda: Recorder(sent), clock)
    assert report.sent == [] and len(sent) == 3
    assert {m["status"] for m in world.store.outbox.all()} == {"sent"}
