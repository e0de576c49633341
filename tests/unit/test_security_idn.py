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
