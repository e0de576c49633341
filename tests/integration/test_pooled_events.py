"""Pooled events and a restarting peer end to end (issue 19): two robots, each on its own
mailbox of the real Dovecot, sending through the real aiosmtpd sink; the test carries
each mail from the sink into the mailbox it is addressed to. Le Havre pools Rouen's
published calendar. The session's disclosure check (tests/privacy.py) reads every
message, the peers' included."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import recurring_ical_events

from federation_support import Network, json_part, parse
from pooled_support import WORKSHOP_DAY, calendar_of, choose_invitations, client_reply, feed_toml, publish_workshop
from workflows.shell.jobs import pooled_job
from workflows.shell.publish import publish_calendar

pytestmark = pytest.mark.integration

HAVRE, ROUEN = "rers@havre.example", "rers@rouen.example"


@pytest.fixture
def two_networks(tmp_path, dovecot, smtp_sink, monkeypatch, _account_numbers):
    """Le Havre and Rouen, each robot on a Dovecot account of its own, both sending
    through the SMTP sink, listing each other; ``.user``: its Dovecot user."""
    made = []
    for name, address in (("RERS du Havre", HAVRE), ("RERS de Rouen", ROUEN)):
        number = next(_account_numbers)
        user, variable = f"test{number}", f"RERS_TEST_IMAP_PASSWORD_{number}"
        dovecot.add_user(user, f"pw-{number}")
        monkeypatch.setenv(variable, f"pw-{number}")
        net = Network(tmp_path / address.split("@")[1], name, address, f"anim@{address.split('@')[1]}",
                      mailbox="\n".join([f'kind = "imap"', f'host = "{dovecot.host}"', f"port = {dovecot.port}",
                                         'security = "none"', f'username = "{user}"',
                                         f'password_env = "{variable}"', "timeout_seconds = 10", ""]),
                      transport="\n".join([f'kind = "smtp"', f'host = "{smtp_sink.host}"',
                                           f"port = {smtp_sink.port}", 'security = "none"',
                                           "timeout_seconds = 10", ""]))
        net.user = user
        made.append(net)
    havre, rouen = made
    havre.link(rouen)
    rouen.link(havre)
    return havre, rouen


def deliver_new(sink, dovecot, users: dict[str, str], done: set) -> dict[str, list[bytes]]:
    """Put each mail the sink got since the last call into the INBOX of the network it is
    addressed to (``users``: robot address → Dovecot user); returns them by address,
    together with the mails to anyone else (members, animators), which stay in the sink."""
    found: dict[str, list[bytes]] = {}
    for index, received in enumerate(sink.received):
        if index in done:
            continue
        done.add(index)
        for rcpt in (r.lower() for r in received.rcpt_tos):
            found.setdefault(rcpt, []).append(received.data)
            if rcpt in users:
                dovecot.append(users[rcpt], "INBOX", received.data)
    return found


def send_all(net: Network, sink, expected: int) -> None:
    net.runner.flush()
    sink.wait_for(expected)


def test_a_pooled_workshop_its_answer_and_its_signed_count_through_real_servers(two_networks, sink, dovecot):
    havre, rouen = two_networks
    havre.link(rouen, extra=feed_toml(rouen))
    users, done = {HAVRE: havre.user, ROUEN: rouen.user}, set()
    total = 0

    # Linked first: a hello, and the catalogues back.
    havre.share()
    send_all(havre, sink, total := total + 1)
    deliver_new(sink, dovecot, users, done)
    rouen.runner.cycle()
    send_all(rouen, sink, total := total + 1)
    deliver_new(sink, dovecot, users, done)
    havre.runner.cycle()
    send_all(havre, sink, total := total + 1)
    deliver_new(sink, dovecot, users, done)
    rouen.runner.cycle()
    assert havre.store.get_state(f"federation:{ROUEN}")["linked"] and rouen.store.get_state(f"federation:{HAVRE}")["linked"]

    publish_workshop(rouen)
    publish_calendar(havre.settings, havre.store, havre.now)  # Le Havre's own events first, to its animators
    havre.runner.flush()
    deliver_new(sink, dovecot, users, done)
    marie = havre.member("marie@example.com", "Marie Dupont")
    paul = havre.member("paul@example.com", "Paul Martin")
    choose_invitations(havre, marie, ["ateliers", "réseaux voisins"])
    choose_invitations(havre, paul, None)
    pooled_job(havre.settings, havre.store, havre.now)
    havre.runner.flush()
    sent = deliver_new(sink, dovecot, users, done)
    assert set(sent) == {"marie@example.com"}, "only the member who named réseaux voisins"
    invitation = next(m for m in sent["marie@example.com"] if b"Cuisine du monde" in m)
    calendar = calendar_of(invitation)
    (event,) = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["ORGANIZER"]).lower() == f"mailto:{HAVRE}" and event["ORGANIZER"].params["CN"] == "RERS de Rouen"
    (occurrence,) = recurring_ical_events.of(calendar).between(WORKSHOP_DAY, WORKSHOP_DAY + timedelta(days=1))
    assert occurrence["DTSTART"].dt.hour == 14 and str(occurrence["LOCATION"]) == "Maison des associations"

    # Marie's calendar answers: to the ORGANIZER's address, Le Havre's robot.
    to, reply = client_reply(invitation, "marie@example.com", when=havre.now)
    assert users[to] == havre.user
    dovecot.append(havre.user, "INBOX", reply)
    assert havre.runner.cycle().count("handled") == 1
    (answer,) = [a for a in havre.store.attendance.all() if a["uid"].startswith("voisin-")]
    assert answer["partstat"] == "accepted" and answer["member"] == marie["ref"]

    # The count: signed, numbers only, recorded by Rouen.
    havre.later(hours=1)
    assert pooled_job(havre.settings, havre.store, havre.now).counts == ["RERS de Rouen"]
    havre.runner.flush()
    (count,) = deliver_new(sink, dovecot, users, done)[ROUEN]
    assert b"[RERS-FED] count" in count and b"marie" not in count.lower()
    assert rouen.runner.cycle().count("handled") == 1
    counted = rouen.store.get_state(f"pooled-counts:{HAVRE}")["counts"]
    assert [(c["title"], c["occurrence"], c["yes"]) for c in counted] == [("Cuisine du monde", None, 1)]

    # A forged count (the numbers changed under the same signature): refused, Rouen's animators told.
    document = json.loads(json_part(count))
    document["body"]["counts"][0]["yes"], document["seq"] = 40, document["seq"] + 1
    forged = count.replace(re.search(rb"Message-ID: <[^>]+>", count, re.IGNORECASE).group(0),
                           b"Message-ID: <forged@attacker.example>")
    forged = _with_json(forged, json.dumps(document))
    dovecot.append(rouen.user, "INBOX", forged)
    rouen.runner.cycle()
    rouen.runner.flush()
    told = deliver_new(sink, dovecot, users, done)
    assert "anim@rouen.example" in told
    assert rouen.store.get_state(f"pooled-counts:{HAVRE}")["counts"][0]["yes"] == 1


def _with_json(raw: bytes, text: str) -> bytes:
    from email import message_from_bytes, policy
    msg = message_from_bytes(raw, policy=policy.SMTP)
    for part in msg.walk():
        if part.get_content_type() == "application/json":
            part.set_content(text.encode("utf-8"), maintype="application", subtype="json", filename="count.json")
    return msg.as_bytes(policy=policy.SMTP)


def test_a_peer_restarting_from_an_empty_store_through_real_servers(two_networks, sink, dovecot):
    havre, rouen = two_networks
    users, done = {HAVRE: havre.user, ROUEN: rouen.user}, set()
    rouen.share()
    send_all(rouen, sink, 1)
    (old_hello,) = deliver_new(sink, dovecot, users, done)[HAVRE]
    havre.runner.cycle()
    assert havre.store.get_state(f"federation:{ROUEN}")["last_seq"] == 1

    # Rouen's store is lost; a new one two days later, the same key.
    for leftover in rouen.settings.store.path.parent.glob(rouen.settings.store.path.name + "*"):
        leftover.unlink()
    rouen.later(days=2)
    rouen.link(havre)
    havre.runner.flush()
    deliver_new(sink, dovecot, users, done)  # Le Havre's catalogue to the old Rouen: lost with it
    rouen.share()
    rouen.runner.flush()
    (hello,) = deliver_new(sink, dovecot, users, done)[HAVRE]
    assert json.loads(json_part(hello))["seq"] == 1
    havre.runner.cycle()
    havre.runner.flush()
    told = deliver_new(sink, dovecot, users, done)
    subjects = [str(parse(m)["Subject"]) for m in told.get("anim@havre.example", [])]
    assert any("son robot repart de zéro" in s for s in subjects), subjects

    # The old hello again (a replay of the old epoch): refused.
    dovecot.append(havre.user, "INBOX", re.sub(rb"Message-ID: <[^>]+>", b"Message-ID: <old@attacker.example>",
                                               old_hello, count=1, flags=re.IGNORECASE))
    assert havre.runner.cycle().count("handled") == 1
    assert havre.store.get_state(f"federation:{ROUEN}")["epoch"] == json.loads(json_part(hello))["epoch"]
    havre.runner.flush()
    refused = deliver_new(sink, dovecot, users, done)
    assert "anim@havre.example" in refused, "the replay goes to the animators as suspicious"
