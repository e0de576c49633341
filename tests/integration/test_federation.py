"""Linked networks end to end (issue 19): two robots, each on its own mailbox of the real
Dovecot, sending through the real aiosmtpd sink; the test carries each robot-to-robot
message from the sink into the other network's mailbox. The session's disclosure check
(tests/privacy.py) reads every message of it, the peers' included."""
from __future__ import annotations

import json
import re

import pytest

from federation_support import Network, json_part, parse
from support import member_mail

pytestmark = pytest.mark.integration

HAVRE, ROUEN = "rers@havre.example", "rers@rouen.example"


@pytest.fixture
def two_networks(tmp_path, imap_account, dovecot, smtp_sink, sink, monkeypatch, _account_numbers):
    number = next(_account_numbers)
    second_user, second_env = f"test{number}", f"RERS_TEST_IMAP_PASSWORD_{number}"
    dovecot.add_user(second_user, f"secret-{number}")
    monkeypatch.setenv(second_env, f"secret-{number}")
    transport = (f'kind = "smtp"\nhost = "{smtp_sink.host}"\nport = {smtp_sink.port}\nsecurity = "none"\n'
                 "timeout_seconds = 10\n")

    def mailbox(user: str, env: str) -> str:
        return (f'kind = "imap"\nhost = "{dovecot.host}"\nport = {dovecot.port}\nsecurity = "none"\n'
                f'username = "{user}"\npassword_env = "{env}"\ntimeout_seconds = 10\n')

    havre = Network(tmp_path / "havre", "RERS du Havre", HAVRE, "anim@havre.example",
                    mailbox=mailbox(imap_account.user, imap_account.password_env), transport=transport)
    rouen = Network(tmp_path / "rouen", "RERS de Rouen", ROUEN, "anim@rouen.example",
                    mailbox=mailbox(second_user, second_env), transport=transport)
    havre.link(rouen)
    rouen.link(havre)
    havre.user, rouen.user = imap_account.user, second_user
    return havre, rouen


def carry(sink, dovecot, to: Network, seen: set) -> list[bytes]:
    """Every robot-to-robot message the sink received for ``to`` and not carried yet, put in
    its INBOX as it arrived."""
    carried = []
    for received in sink.received:
        if to.address in [r.lower() for r in received.rcpt_tos] and received.data not in seen:
            seen.add(received.data)
            dovecot.append(to.user, "INBOX", received.data)
            carried.append(received.data)
    return carried


def test_two_networks_link_and_exchange_their_catalogues_through_real_servers(two_networks, sink, dovecot):
    havre, rouen = two_networks
    havre.member("marie@example.com", "Marie Dupont", phone="+33611223344")
    dovecot.append(havre.user, "INBOX", member_mail(
        "marie@example.com", "OFFRE : cuisine libanaise",
        "Disponibilités : le jeudi\nRéseaux voisins : oui\n\nMarie, 06 11 22 33 44", to=HAVRE))
    assert havre.runner.cycle().count("handled") == 1
    seen: set = set()

    assert havre.share() == ["hello to RERS de Rouen"]
    havre.runner.flush()
    sink.wait_for(2)
    (hello,) = carry(sink, dovecot, rouen, seen)
    assert b"[RERS-FED] hello" in hello

    report = rouen.runner.cycle()  # the hello read from Dovecot: linked, Rouen's catalogue sent back
    assert report.count("handled") == 1
    assert rouen.store.get_state(f"federation:{HAVRE}")["linked"]
    sink.wait_for(3)
    assert len(carry(sink, dovecot, havre, seen)) == 1
    havre.runner.cycle()  # Rouen's catalogue: linked, Le Havre's own sent at once
    sink.wait_for(4)
    (catalogue,) = carry(sink, dovecot, rouen, seen)
    rouen.runner.cycle()
    (item,) = rouen.store.get_state(f"federation:{HAVRE}")["catalogue"]
    assert item["ref"] == "O-1" and item["title"].lower() == "cuisine libanaise"
    assert "Marie" not in json_part(catalogue) and "marie@" not in json_part(catalogue)

    # The same message again, under a new Message-ID: a replay, refused, Rouen's animators told.
    replay = re.sub(rb"Message-ID: <[^>]+>", b"Message-ID: <replay@attacker.example>", catalogue, count=1,
                    flags=re.IGNORECASE)
    dovecot.append(rouen.user, "INBOX", replay)
    rouen.runner.cycle()
    received = sink.wait_for(5)
    (told,) = [r for r in received if "anim@rouen.example" in r.rcpt_tos]
    assert b"federation" in told.data.lower() or b"RERS-FED" in told.data
    assert rouen.store.get_state(f"federation:{HAVRE}")["last_seq"] == json.loads(json_part(catalogue))["seq"]
    # Never answered in prose: every mail between the two robots is a robot-to-robot message.
    for r in received:
        if {HAVRE, ROUEN} & {x.lower() for x in r.rcpt_tos}:
            assert b"[RERS-FED]" in r.data


def test_an_introduction_across_two_networks_then_an_erasure_through_real_servers(two_networks, sink, dovecot):
    """Both teams approve and both members consent, each through its own robot; each
    member gets only the other's first name and chosen contact; then Paco leaves Rouen and
    Le Havre drops what it held of him. The session's disclosure check reads every mail."""
    havre, rouen = two_networks
    havre.member("marie@example.com", "Marie Dupont")
    rouen.member("paco@example.net", "Paco Ruiz", phone="+33611223344")
    dovecot.append(havre.user, "INBOX", member_mail("marie@example.com", "DEMANDE : cours d'espagnol",
                                                    "Réseaux voisins : oui\n", to=HAVRE))
    dovecot.append(rouen.user, "INBOX", member_mail("paco@example.net", "OFFRE : cours d'espagnol",
                                                    "Réseaux voisins : oui\n", to=ROUEN))
    havre.runner.cycle()
    rouen.runner.cycle()
    seen: set = set()

    def settle() -> None:
        """Send what is queued, carry the robots' messages until none is left."""
        while True:
            havre.runner.flush()
            rouen.runner.flush()
            carried = carry(sink, dovecot, rouen, seen) + carry(sink, dovecot, havre, seen)
            if not carried:
                return
            havre.runner.cycle()
            rouen.runner.cycle()

    def answer(net: Network, address: str, text: str) -> None:
        """``address`` answers the last question the sink carried to it."""
        net.runner.flush()
        (last,) = [r for r in sink.received if address in r.rcpt_tos][-1:]
        subject = str(parse(last.data)["Subject"])
        dovecot.append(net.user, "INBOX", member_mail(address, f"Re: {subject}", text, to=net.address))
        net.runner.cycle()

    havre.work()
    settle()
    assert [r["status"] for r in rouen.store.crossings.all()] == ["proposed"]
    answer(havre, "anim@havre.example", "OUI")
    answer(rouen, "anim@rouen.example", "OUI")
    settle()
    answer(havre, "marie@example.com", "OUI")
    settle()
    answer(rouen, "paco@example.net", "OUI\nContact : téléphone")
    settle()
    to_marie = [r.data for r in sink.received if "marie@example.com" in r.rcpt_tos][-1]
    to_paco = [r.data for r in sink.received if "paco@example.net" in r.rcpt_tos][-1]
    marie_text = parse(to_marie).get_body(("plain",)).get_content()
    paco_text = parse(to_paco).get_body(("plain",)).get_content()
    assert "Paco" in marie_text and "06 11 22 33 44" in marie_text and "Ruiz" not in marie_text
    assert "paco@example.net" not in marie_text
    assert "Marie" in paco_text and "marie@example.com" in paco_text and "Dupont" not in paco_text
    assert [r["status"] for r in havre.store.crossings.all()] == ["introduced"]

    dovecot.append(rouen.user, "INBOX", member_mail("paco@example.net", "RETRAIT", "Je quitte le réseau.", to=ROUEN))
    rouen.runner.cycle()
    answer(rouen, "paco@example.net", "OUI")
    settle()
    (record,) = havre.store.crossings.all()
    assert record["close_reason"] == "erased"
    assert not havre.outbox(purpose="crossing_introduction"), "Paco's first name and number erased in Le Havre"
    assert "06 11" not in json.dumps(havre.store.crossings.all()) + json.dumps(havre.store.outbox.all())
