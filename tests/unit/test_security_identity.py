"""Issue 14, "Who is writing": addresses are read as RFC 5322 reads them, and a header
that does not name exactly one mailbox gives no sender — never a guess.

Adversarial: every form here was tried as an attacker would write it, to pass for the
animator ``anim1@reseau.test``.
"""
from __future__ import annotations

import base64
import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from workflows.mail.decode import ADDRESS_PROBLEMS, MailboxRead, normal_address, read_mailbox
from workflows.mail.model import ParseOptions
from workflows.mail.parse import parse_message

ANIMATOR = "anim1@reseau.test"
OPTIONS = ParseOptions(animators=frozenset({ANIMATOR}), network_address="rers@reseau.test")


def message(*headers: str, body: str = "Bonjour") -> bytes:
    head = "\r\n".join(headers)
    return f"{head}\r\nTo: rers@reseau.test\r\nMessage-ID: <m1@client.test>\r\n\r\n{body}\r\n".encode("utf-8")


def b64word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


# --- the forms tried -------------------------------------------------------------------


@pytest.mark.parametrize("value, address, problem", [
    # The animator's address written where RFC 5322 puts a local part or a name.
    ('"anim1@reseau.test"@evil.test', '"anim1@reseau.test"@evil.test', None),
    ('"anim1@reseau.test" <x@evil.test>', "x@evil.test", None),
    ("anim1@reseau.test (x@evil.test)", ANIMATOR, None),  # a comment is no address
    ("x@evil.test (anim1@reseau.test)", "x@evil.test", None),
    (f"{b64word('anim1@reseau.test')} <x@evil.test>", "x@evil.test", None),
    (f"{b64word('<anim1@reseau.test>')} <x@evil.test>", "x@evil.test", None),
    # Two readings of one line: never the first x@y.
    ("anim1@reseau.test <x@evil.test>", None, "unreadable"),
    ("x@evil.test <anim1@reseau.test>", None, "unreadable"),
    ("anim1@reseau.test@evil.test", None, "unreadable"),
    # An encoded word inside the address: the email package would decode it, the server did not.
    ("anim1@=?utf-8?q?reseau.test?=", None, "unreadable"),
    ("=?utf-8?q?anim1?=@reseau.test", None, "unreadable"),
    ('"=?utf-8?q?anim1=40reseau.test?="@evil.test', None, "unreadable"),
    # Several mailboxes, a group: nobody in particular.
    ("anim1@reseau.test, x@evil.test", None, "several"),
    ("x@evil.test, anim1@reseau.test", None, "several"),
    ("Animateurs: anim1@reseau.test;", None, "group"),
    ("Undisclosed recipients:;", None, "group"),
    # Nothing readable.
    ("Animateur du réseau", None, "unreadable"),
    ("<>", None, "unreadable"),
    ("", None, "missing"),
    (None, None, "missing"),
    ("anim1\u200b@reseau.test", None, "unreadable"),  # an invisible character
    ("anim1@ｒeseau.test", None, "unreadable"),  # full-width r: UTS 46 would map it to ASCII
    ("x" * 5000 + "@evil.test", None, "unreadable"),
])
def test_the_forms_an_attacker_tries(value, address, problem):
    read = read_mailbox(value)
    assert (read.address, read.problem) == (address, problem)
    assert read.problem in (None, *ADDRESS_PROBLEMS)


@pytest.mark.parametrize("value, address, name", [
    ("Élodie <Elodie.Marchand@Example.COM>", "elodie.marchand@example.com", "Élodie"),
    ("John Q. Public <j@x.example>", "j@x.example", "John Q. Public"),  # obsolete phrase: fine
    ('"Dupont, Marie" <m@x.example>', "m@x.example", "Dupont, Marie"),
    ('"=?utf-8?q?J=C3=A9r=C3=B4me?=" <j@x.example>', "j@x.example", "Jérôme"),  # a word in quotes
    (f"{b64word('É')} {b64word('lodie')} <e@x.example>", "e@x.example", "Élodie"),
    ("marie@x.example <marie@x.example>", "marie@x.example", None),  # same address twice: no doubt
    ('"marie@x.example" <marie@x.example>', "marie@x.example", None),  # a name with @ is no name
    ("<@route.example:bob@x.example>", "bob@x.example", None),  # obs-route ignored (RFC 5322 §4.4)
    ("Marie <marie@x.example>,", "marie@x.example", "Marie"),  # a stray comma
    # A name that decodes to a line break and a header stays a name (here: dropped).
    ("=?utf-8?q?Marie=0D=0ABcc=3A_x=40y?= <m@x.example>", "m@x.example", None),
])
def test_what_real_clients_write_is_read(value, address, name):
    assert read_mailbox(value) == MailboxRead(address=address, name=name, problem=None)


def test_a_forged_animator_address_is_not_an_animator_command():
    raw = message('From: "anim1@reseau.test"@evil.test', "Subject: PERMANENCE ANNULÉE 2026-12-07")
    parsed = parse_message(raw, OPTIONS)
    assert parsed.sender == '"anim1@reseau.test"@evil.test' and parsed.intent != "event_command"
    raw = message("From: anim1@reseau.test <x@evil.test>", "Subject: PERMANENCE ANNULÉE 2026-12-07")
    parsed = parse_message(raw, OPTIONS)
    assert (parsed.sender, parsed.sender_problem, parsed.intent) == (None, "unreadable", "unknown")
    raw = message("From: x@evil.test", "Sender: anim1@reseau.test", "Reply-To: anim1@reseau.test",
                  "Return-Path: <anim1@reseau.test>", "Subject: PERMANENCE ANNULÉE 2026-12-07")
    parsed = parse_message(raw, OPTIONS)
    assert parsed.sender == "x@evil.test" and parsed.intent != "event_command"


def test_two_from_fields_are_nobody():
    raw = message("From: anim1@reseau.test", "From: x@evil.test", "Subject: STATISTIQUES")
    parsed = parse_message(raw, OPTIONS)
    assert (parsed.sender, parsed.sender_problem, parsed.intent) == (None, "several", "unknown")


def test_reply_to_and_sender_follow_the_same_rules():
    raw = message("From: no-reply@forms.example", "Reply-To: a@x.example, b@x.example",
                  "Sender: Relay <relay@forms.example>", "Subject: Aide")
    parsed = parse_message(raw, OPTIONS)
    assert (parsed.reply_to, parsed.reply_to_problem) == (None, "several")
    assert (parsed.sender_field, parsed.sender_field_problem) == ("relay@forms.example", None)
    raw = message("From: no-reply@forms.example", 'Reply-To: "a@x.example" <b@evil.test>', "Subject: Aide")
    assert parse_message(raw, OPTIONS).reply_to == "b@evil.test"


def test_an_unreadable_header_leaves_the_rest_of_the_message_read():
    raw = message("From: Animateur du réseau", "Subject: Aide")
    parsed = parse_message(raw, OPTIONS)
    assert (parsed.intent, parsed.sender, parsed.sender_problem) == ("help", None, "unreadable")


# --- properties --------------------------------------------------------------------------

_atom = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=12).filter(
    lambda s: not s.startswith(".") and not s.endswith(".") and ".." not in s)
_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)
_address = st.builds(lambda local, labels: f"{local}@{'.'.join(labels)}.example", _atom, st.lists(_label, min_size=1, max_size=3))


def _forms(name: str, address: str) -> list[str]:
    """How clients write a named mailbox, the name holding the animator's address."""
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return [f'"{quoted}" <{address}>', f"{b64word(name)} <{address}>",
            f"{address} ({quoted.replace('(', '').replace(')', '')})", f"<{address}>", address]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(address=_address, before=st.text(max_size=10), after=st.text(max_size=10), pick=st.integers(0, 4))
def test_an_address_in_a_display_name_never_counts(address, before, after, pick):
    name = f"{before}{ANIMATOR}{after}".replace("\r", " ").replace("\n", " ")
    read = read_mailbox(_forms(name, address)[pick])
    assert read.address in (address, None)
    assert read.address != ANIMATOR
    if read.name is not None:
        assert "@" not in read.name


@settings(max_examples=100)
@given(addresses=st.lists(_address, min_size=2, max_size=4), sep=st.sampled_from([", ", ",", " , ", ",\r\n "]))
def test_several_mailboxes_are_never_one(addresses, sep):
    assert read_mailbox(sep.join(addresses)) == MailboxRead(problem="several")


_OTHER_HEADERS = ["Subject: Aide", "Date: Mon, 7 Dec 2026 09:00:00 +0100", "MIME-Version: 1.0",
                  "Sender: anim1@reseau.test", "Reply-To: anim1@reseau.test", "Return-Path: <anim1@reseau.test>",
                  "X-Original-From: anim1@reseau.test", "Resent-From: anim1@reseau.test",
                  "Received: from evil.test by mx.reseau.test; Mon, 7 Dec 2026 09:00:00 +0100"]


@settings(max_examples=100)
@given(address=_address, order=st.randoms(use_true_random=False), keep=st.integers(0, len(_OTHER_HEADERS)))
def test_the_sender_is_the_from_mailbox_whatever_the_header_order(address, order: random.Random, keep):
    headers = [f"From: {address}", *_OTHER_HEADERS[:keep]]
    if not any(h.startswith("Subject") for h in headers):
        headers.append("Subject: Aide")
    order.shuffle(headers)
    parsed = parse_message(message(*headers), OPTIONS)
    assert parsed.sender == address


# --- the canonical form ----------------------------------------------------------------


@pytest.mark.parametrize("written, canonical", [
    ("Marie.Dupont@Example.ORG", "marie.dupont@example.org"),
    ("jörg@bücher.example", "jörg@bücher.example"),
    ("JÖRG@BÜCHER.example", "jörg@bücher.example"),
    ("jorg@xn--bcher-kva.example", "jorg@bücher.example"),  # one mailbox, one spelling
    ("jo\u0308rg@bu\u0308cher.example", "jörg@bücher.example"),  # NFD -> NFC
    ("用户@例子.广告", "用户@例子.广告"),
    ("x@xn--zz-invalid.example", None),  # looks like an A-label, is not one
    ("x@bücher.example\u200b", None),
    ("no-at-sign", None),
    ("@example.org", None),
    ("x@", None),
])
def test_normal_address(written, canonical):
    assert normal_address(written) == canonical


@settings(max_examples=200)
@given(st.text(min_size=1, max_size=40))
def test_normal_address_is_idempotent_and_never_raises(text):
    once = normal_address(text)
    if once is not None:
        assert normal_address(once) == once
        assert once == once.lower()


@pytest.mark.parametrize("name, sender, problem", [
    ("from-quoted-local-part-names-the-animator", '"anim1@reseau.test"@evil.test', None),
    ("from-address-as-unquoted-name", None, "unreadable"),
])
def test_the_forged_sample_messages_are_no_animator_command(name, sender, problem):
    from pathlib import Path

    raw = (Path(__file__).resolve().parent.parent / "messages" / "security" / f"{name}.eml").read_bytes()
    parsed = parse_message(raw, OPTIONS)
    assert (parsed.sender, parsed.sender_problem) == (sender, problem)
    assert parsed.intent != "event_command" and parsed.command is None


def test_the_person_behind_a_relay_is_one_reply_to_or_nobody():
    from workflows.mail.sender import person_address, person_name

    relay = parse_message(message("From: Formulaire <no-reply@forms.example>", "Reply-To: marie@x.example",
                                  "Subject: Adhésion"), OPTIONS)
    assert (person_address(relay), person_name(relay)) == ("marie@x.example", None)
    several = parse_message(message("From: no-reply@forms.example", "Reply-To: marie@x.example, anim1@reseau.test",
                                    "Subject: Adhésion"), OPTIONS)
    assert person_address(several) == "no-reply@forms.example", "never one of several Reply-To mailboxes"
    nobody = parse_message(message("From: anim1@reseau.test <x@evil.test>", "Reply-To: anim1@reseau.test",
                                   "Subject: Adhésion"), OPTIONS)
    assert person_address(nobody) is None, "no From mailbox: Reply-To does not stand in for it"
