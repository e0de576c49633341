"""Issue 14, internationalised addresses (RFC 6531/6532, IDNA 2008): parsed, kept in one
canonical form (lower-case, NFC, the domain as its U-label), written on the wire with the
domain as its A-label, and a UTF-8 local part never silently mangled."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from email import message_from_string, policy
from pathlib import Path

import pytest

from workflows.mail.model import ParseOptions
from workflows.mail.parse import parse_message
from workflows.mail.render import Rendered
from workflows.mail.rfc5322 import (SMTPUTF8Required, build_message, format_address, needs_smtputf8,
                                    recipients_of, serialize, transport_address)

SECURITY = Path(__file__).resolve().parent.parent / "messages" / "security"
OPTIONS = ParseOptions(animators=frozenset({"anim1@reseau.test"}), network_address="rers@reseau.test")
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)


def test_a_utf8_local_part_in_raw_8bit_headers_is_read():
    parsed = parse_message((SECURITY / "idn-utf8-local-part-8bit.eml").read_bytes(), OPTIONS, now=NOW)
    assert (parsed.intent, parsed.sender, parsed.sender_name) == ("join", "jörg@bücher.example", "Jörg Müller")
    assert parsed.member.name == "Jörg Müller"
    assert needs_smtputf8(parsed.sender)


def test_an_a_label_domain_is_kept_as_its_u_label():
    parsed = parse_message((SECURITY / "idn-a-label-domain.eml").read_bytes(), OPTIONS, now=NOW)
    assert (parsed.intent, parsed.sender) == ("help", "rose@réseau.example")
    assert transport_address(parsed.sender) == "rose@xn--rseau-bsa.example"
    assert not needs_smtputf8(parsed.sender)


@pytest.mark.parametrize("name", ["idn-utf8-local-part-8bit", "idn-a-label-domain"])
def test_rers_parse_prints_them(name):
    done = subprocess.run([sys.executable, "-m", "workflows.cli", "parse", str(SECURITY / f"{name}.eml")],
                          capture_output=True, timeout=60, check=True)
    contract = json.loads(done.stdout)
    assert contract["sender"] in ("jörg@bücher.example", "rose@réseau.example")


@pytest.mark.parametrize("address, wire, utf8", [
    ("marie@example.org", "marie@example.org", False),
    ("rose@réseau.example", "rose@xn--rseau-bsa.example", False),
    ("jörg@bücher.example", "jörg@xn--bcher-kva.example", True),
    ("用户@例子.广告", "用户@xn--fsqu00a.xn--4rr70v", True),
    ("pas-une-adresse", "pas-une-adresse", False),
])
def test_transport_address_and_needs_smtputf8(address, wire, utf8):
    assert transport_address(address) == wire
    assert needs_smtputf8(address) is utf8


def test_format_address_writes_an_idn_domain_as_ascii():
    assert format_address("Rose Pétillon", "rose@réseau.example") == \
        "=?utf-8?b?Um9zZSBQw6l0aWxsb24=?= <rose@xn--rseau-bsa.example>"
    assert format_address(None, "rose@réseau.example") == "rose@xn--rseau-bsa.example"


def test_a_utf8_local_part_is_refused_clearly_unless_smtputf8_is_asked_for():
    with pytest.raises(SMTPUTF8Required) as refused:
        format_address("Jörg", "jörg@bücher.example")
    assert "jörg" not in str(refused.value), "the address stays out of error messages and logs"
    assert format_address("Jörg", "jörg@bücher.example", smtputf8=True) == "=?utf-8?b?SsO2cmc=?= <jörg@xn--bcher-kva.example>"


def _mail(to, *, smtputf8=False):
    return build_message(rendered=Rendered(subject="Bonjour", text="Bonjour", html=None),
                         sender=("RERS", "rers@reseau.test"), to=to, message_id="<x@reseau.test>",
                         date=NOW, smtputf8=smtputf8)


def test_a_mail_to_an_idn_domain_is_ascii_and_its_recipient_canonical():
    msg = _mail([("Rose", "rose@réseau.example")])
    data = serialize(msg)
    assert data.isascii() and b"rose@xn--rseau-bsa.example" in data
    assert recipients_of(msg) == ["rose@réseau.example"], "the form the store compares"


def test_with_smtputf8_the_utf8_address_travels_as_utf8_rfc6532():
    msg = _mail([("Jörg Müller", "jörg@bücher.example")], smtputf8=True)
    data = serialize(msg)
    assert "jörg@xn--bcher-kva.example".encode() in data and b"=?utf-8?" in data  # the name stays encoded
    read = message_from_string(data.decode("utf-8"), policy=policy.SMTPUTF8)
    assert [a.addr_spec for a in read["To"].addresses] == ["jörg@xn--bcher-kva.example"]
    assert recipients_of(msg) == ["jörg@bücher.example"]


# --- answered (the shell): queued as UTF-8 in the store, sent with the envelope in A-labels -----


def test_a_join_from_a_utf8_address_is_handled_once_and_answered(tmp_path):
    from store import Store
    from support import make_settings
    from workflows.shell.runner import Runner

    settings = make_settings(tmp_path / "robot")
    (settings.mailbox.path / "new").mkdir(parents=True)
    for name in ("idn-utf8-local-part-8bit", "idn-a-label-domain"):
        (settings.mailbox.path / "new" / f"{name}.eml").write_bytes((SECURITY / f"{name}.eml").read_bytes())
    report = Runner(settings, Store.open(settings.store.path), clock=lambda: NOW).cycle()
    assert sorted(h.outcome for h in report.handled) == ["handled: help sent", "handled: join M-1 new, confirmation asked"]
    store = Store.open(settings.store.path)  # the UTF-8 mail was written to the JSON file and read back
    assert not store.failures.all()
    (question,) = [m for m in store.outbox.all() if m["recipients"] == ["jörg@bücher.example"]]
    assert question["status"] == "sent" and not store.outbox.find("status", "failed")
    files = {p.name: p.read_bytes() for p in (tmp_path / "robot" / "outbox").glob("*.eml")}
    written = next(data for data in files.values() if "jörg".encode() in data)
    head = written.split(b"\r\n\r\n")[0].decode("utf-8")
    assert "X-Envelope-To: jörg@xn--bcher-kva.example" in head
    assert "In-Reply-To: <idn1@bücher.example>" in head, "RFC 6532: the thread's Message-ID as UTF-8"
    other = next(data for data in files.values() if b"rose@xn--rseau-bsa.example" in data)
    assert other.isascii()


def test_the_thread_drops_a_utf8_message_id_where_it_cannot_be_written():
    msg = build_message(rendered=Rendered(subject="Bonjour", text="Bonjour", html=None),
                        sender=("RERS", "rers@reseau.test"), to=[("Rose", "rose@réseau.example")],
                        message_id="<x@reseau.test>", date=NOW, in_reply_to="<idn1@bücher.example>",
                        references=["<a@client.example>"])
    data = serialize(msg)
    assert data.isascii() and msg["In-Reply-To"] is None and str(msg["References"]) == "<a@client.example>"


class _FakeSmtp:
    def __init__(self, features):
        self.features, self.sent = features, []
        self.sock = object()

    def has_extn(self, name):
        return name in self.features

    def sendmail(self, sender, recipients, data, mail_options=()):
        self.sent.append((sender, recipients, mail_options))
        return {}


@pytest.mark.parametrize("features, options", [({"smtputf8", "8bitmime"}, ["BODY=8BITMIME", "SMTPUTF8"]),
                                               (set(), None)])
def test_the_smtp_envelope_is_in_a_labels_and_smtputf8_only_when_offered(features, options):
    from config.settings import TransportSettings
    from workflows.shell.transports.base import TransportError
    from workflows.shell.transports.smtp import SmtpTransport

    transport = SmtpTransport(TransportSettings(kind="smtp"))
    transport._smtp = fake = _FakeSmtp(features)
    utf8 = serialize(_mail([("Jörg", "jörg@bücher.example")], smtputf8=True))
    if options is None:
        with pytest.raises(TransportError, match="SMTPUTF8") as refused:
            transport.send("rers@reseau.test", ["jörg@bücher.example"], utf8)
        assert not refused.value.temporary and not fake.sent, "refused before anything is sent"
    else:
        transport.send("rers@reseau.test", ["jörg@bücher.example"], utf8)
        assert fake.sent == [("rers@reseau.test", ["jörg@xn--bcher-kva.example"], options)]
    transport._smtp = fake = _FakeSmtp(features)
    transport.send("rers@reseau.test", ["rose@réseau.example"], serialize(_mail([("Rose", "rose@réseau.example")])))
    assert fake.sent == [("rers@reseau.test", ["rose@xn--rseau-bsa.example"], [])], "an IDN domain needs no SMTPUTF8"
