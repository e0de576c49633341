"""Issue 14, "A reused Message-ID": the parser gives a digest of what the message says
(``Parsed.content_digest``), so that the ledger can tell a repeat (same Message-ID, same
content) from a different message that reuses a Message-ID (web forms, some clients)."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from workflows.mail.decode import content_digest
from workflows.mail.model import ParseOptions
from workflows.mail.parse import parse_message

BASE = [
    "From: Marie <marie@example.org>",
    "To: rers@reseau.test",
    "Subject: OFFRE : tricot",
    "Date: Mon, 7 Dec 2026 09:00:00 +0100",
    "Message-ID: <form-1@forms.example>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
]
BODY = "Savoir : tricot\nDisponibilités : le mardi\n"

TRANSIT = [
    "Received: from mx.example.org (mx.example.org [192.0.2.1])\n\tby mx.reseau.test; Mon, 7 Dec 2026 09:00:01 +0100",
    "Return-Path: <bounce-123@example.org>",
    "Delivered-To: rers@reseau.test",
    "X-Original-To: rers@reseau.test",
    "Authentication-Results: mx.reseau.test; dmarc=pass header.from=example.org",
    "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=example.org; s=arc; b=abc",
    "Received-SPF: pass (mx.reseau.test: domain of example.org designates 192.0.2.1)",
    "DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=k; bh=abc; b=def",
    "X-Spam-Status: No, score=-1.2",
    "X-Virus-Scanned: clamav",
    "Resent-From: marie@example.org",
]


def raw(headers, body=BODY, newline="\r\n") -> bytes:
    text = newline.join(h.replace("\n", newline) for h in headers) + newline + newline + body.replace("\n", newline)
    return text.encode("utf-8")


def test_the_parser_gives_the_digest():
    parsed = parse_message(raw(BASE), ParseOptions())
    assert parsed.content_digest == content_digest(raw(BASE)) and parsed.content_digest.startswith("sha256:")
    assert len(parsed.content_digest) == len("sha256:") + 64


def test_a_web_form_reusing_its_message_id_gives_another_digest():
    first = parse_message(raw(BASE), ParseOptions())
    second = parse_message(raw(BASE, body="Savoir : couture\n"), ParseOptions())
    assert first.message_id == second.message_id and first.content_digest != second.content_digest


@settings(max_examples=200)
@given(transit=st.lists(st.sampled_from(TRANSIT), max_size=6), positions=st.lists(st.integers(0, 20), max_size=6),
       newline=st.sampled_from(["\r\n", "\n"]), trailing=st.sampled_from(["", "\n", "\n\n\n"]),
       refold=st.booleans(), mbox=st.booleans())
def test_a_repeat_has_the_same_digest_however_it_travelled(transit, positions, newline, trailing, refold, mbox):
    headers = list(BASE)
    for field, position in zip(transit, positions + [0] * len(transit)):
        headers.insert(min(position, len(headers)), field)
    if refold:  # a server folds a long field differently
        headers = [h.replace("Subject: OFFRE : tricot", "Subject: OFFRE :\n  tricot") for h in headers]
    data = raw(headers, BODY + trailing, newline)
    if mbox:
        data = b"From marie@example.org Mon Dec  7 09:00:00 2026" + newline.encode() + data
    assert content_digest(data) == content_digest(raw(BASE))


@settings(max_examples=200)
@given(index=st.integers(0, len(BASE) - 1), change=st.sampled_from(["x", " y", "0"]))
def test_a_changed_field_or_body_is_another_message(index, change):
    headers = list(BASE)
    headers[index] += change
    assert content_digest(raw(headers)) != content_digest(raw(BASE))


@settings(max_examples=100)
@given(body=st.text(min_size=1, max_size=200))
def test_a_changed_body_is_another_message(body):
    if body.rstrip("\r\n") != BODY.rstrip("\n") and "\r" not in body:
        assert content_digest(raw(BASE, body)) != content_digest(raw(BASE))


@given(data=st.binary(max_size=500))
def test_any_bytes_give_a_digest(data):
    assert content_digest(data).startswith("sha256:")
