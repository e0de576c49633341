"""Issue 20, send limits: a 500-invitation fan-out under a provider's 30 messages a minute
drains in order, with nothing lost or doubled, answers to people first — against a real
aiosmtpd that refuses « too many » beyond 30 in any minute of the test's clock."""
from __future__ import annotations

import email
from datetime import datetime, timedelta, timezone
from email import policy

import pytest

from store import Store
from support import SteppingClock, member_mail
from workflows.shell.outbox import waiting
from workflows.shell.publish import publish_calendar
from workflows.shell.runner import Runner
from workflows.shell.status import status_text
from workflows.mail.pacing import SendLimits

pytestmark = pytest.mark.integration

MEMBERS = 500
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


def fan_out(robot, imap_account, clock) -> Store:
    """500 members who asked for invitations; the calendar published (its invitations
    queued, none sent); then three people write for help."""
    store = Store.open(robot.settings.store.path)
    with store.transaction():
        for n in range(1, MEMBERS + 1):
            store.members.insert({
                "ref": f"M-{n}", "address": f"membre{n:03d}@example.org", "name": f"Camille Martin-{n:03d}", "first_name": "Camille",
                "phone": None,
                "contact": "email", "invitations": True, "status": "confirmed", "language": "fr",
                "created": NOW.isoformat(), "confirmed": NOW.isoformat(), "undeliverable": False,
            })
    publish_calendar(robot.settings, store, clock())
    assert store.outbox.count("status", "queued") >= MEMBERS
    for n in range(3):
        imap_account.dovecot.append(imap_account.user, "INBOX", member_mail(
            f"person{n}@example.net", "AIDE", "Bonjour, comment ça marche ?\n", message_id=f"<help-{n}@client.example>"))
    return store


def message_ids(sink) -> list[str]:
    return [str(email.message_from_bytes(r.data, policy=policy.default)["Message-ID"]) for r in sink.received]


def invitation_order(store: Store) -> list[str]:
    return [m["message_id"] for m in sorted(store.outbox.all(), key=lambda m: m["id"]) if m["purpose"] == "invitation"]


def drain(runner: Runner, clock: SteppingClock, first, most: int = 200) -> list[int]:
    """Flush until nothing waits, moving the clock to each next departure; the number
    sent at each flush."""
    sizes, report = [len(first.sent)], first
    for _ in range(most):
        if not runner.store.outbox.count("status", "queued"):
            return sizes
        assert report.next_departure is not None and report.next_departure > clock.now
        clock.now = report.next_departure
        report = runner.flush()
        sizes.append(len(report.sent))
    raise AssertionError("the outbox did not drain")


def check_drained(store: Store, sink, expected_order: list[str]) -> None:
    ids = message_ids(sink)
    assert len(ids) == len(set(ids)), "a mail was sent twice"
    assert store.outbox.count("status", "queued") == 0
    assert store.outbox.count("status", "failed") == 0
    assert set(ids) == {m["message_id"] for m in store.outbox.all()}, "a mail was lost"
    assert [i for i in ids if i in set(expected_order)] == expected_order, "the fan-out left out of order"
    assert all(m["attempts"] == 0 for m in store.outbox.all())  # a « too many » costs no attempt


def test_a_fan_out_under_thirty_a_minute_drains_in_order_answers_first(robot_factory, imap_account, sink):
    robot = robot_factory(transport_extra='send_limits = "microsoft365"\n')
    clock = SteppingClock()
    sink.limit(30, clock)
    store = fan_out(robot, imap_account, clock)
    order = invitation_order(store)
    runner = Runner(robot.settings, store, clock=clock)

    report = runner.cycle()
    assert len(report.handled) == 3
    assert len(report.flush.sent) == 30
    first = sink.received
    # The three answers to people leave before the invitations queued earlier.
    assert [r.rcpt_tos for r in first[:3]] == [(f"person{n}@example.net",) for n in range(3)]
    assert report.flush.held > 400 and report.flush.next_departure == clock.now + timedelta(minutes=1)

    # `rers status` says what waits and when it leaves.
    text = status_text(robot.settings, store, clock.now)
    assert "En attente : d’abord 0 réponse(s)" in text and "30" in text
    last = waiting(store, SendLimits(30, 10000), clock.now)[-1][1]
    assert last == clock.now + timedelta(minutes=(len(waiting(store, SendLimits(30, 10000), clock.now)) - 1) // 30 + 1)

    sizes = drain(runner, clock, report.flush)
    assert max(sizes) <= 30 and sum(sizes) == len(sink.received)
    assert sink.throttled == 0  # the robot never went beyond the provider's limit
    check_drained(store, sink, order)


def test_a_server_saying_too_many_pauses_sending_and_loses_nothing(robot_factory, imap_account, sink):
    robot = robot_factory()  # no limits known to the robot: the server's « too many » teaches it
    clock = SteppingClock()
    sink.limit(30, clock)
    store = fan_out(robot, imap_account, clock)
    order = invitation_order(store)
    runner = Runner(robot.settings, store, clock=clock)

    report = runner.cycle()
    assert len(report.flush.sent) == 30 and report.flush.throttled
    assert "Too many" in (report.flush.error or "")
    assert report.flush.next_departure == clock.now + timedelta(minutes=1)
    assert runner.flush().sent == []  # paused: nothing is even tried
    assert "Envoi suspendu" in status_text(robot.settings, store, clock.now)

    sizes = drain(runner, clock, report.flush)
    assert max(sizes) <= 30
    assert sink.throttled >= MEMBERS // 30 - 1
    check_drained(store, sink, order)


def test_the_daemon_flushes_held_mail_between_cycles(robot_factory, imap_account, sink):
    import math

    from workflows.shell.daemon import Daemon

    robot = robot_factory(transport_extra="max_per_minute = 30\n")
    clock = SteppingClock()
    store = fan_out(robot, imap_account, clock)
    daemon = Daemon(robot.settings, store, clock=clock, jobs=[])
    assert daemon._cycle()
    assert len(sink.received) == 30
    assert math.isfinite(daemon._next_send)  # it wakes for the held mails, not at the next poll only
    clock.now += timedelta(minutes=1)
    daemon._flush_held()
    assert len(sink.received) == 60
    assert sink.throttled == 0
