"""Issue 14, internationalised addresses answered, through Dovecot and aiosmtpd: a join
from ``jörg@bücher.example`` (a UTF-8 local part, RFC 6531/6532) is handled once — never
crashed on, never parked — and its confirmation leaves with SMTPUTF8 when the server
offers it; an IDN domain alone travels as its A-label without SMTPUTF8; a server without
SMTPUTF8 gets nothing it cannot carry, and the animators are told who was not answered."""
from __future__ import annotations

from email import message_from_string, policy

import pytest

from membership_support import Network, token_of
from store import Store
from support import ANIMATORS

pytestmark = pytest.mark.integration

JOIN = ("Return-Path: <jörg@bücher.example>\r\n"
        "From: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <Jörg@BÜCHER.example>\r\n"
        "To: rers.test@example.org\r\nSubject: Adhésion\r\nDate: Mon, 23 Nov 2026 09:00:00 +0100\r\n"
        "Message-ID: <idn-join@bücher.example>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Bonjour,\r\n\r\nNom : Jörg Müller\r\n").encode("utf-8")
HELP = (b"From: Rose <rose@xn--rseau-bsa.example>\r\nTo: rers.test@example.org\r\nSubject: AIDE\r\n"
        b"Date: Mon, 23 Nov 2026 09:00:00 +0100\r\nMessage-ID: <idn-help@client.example>\r\n\r\n?\r\n")


def read(data: bytes):
    return message_from_string(data.decode("utf-8"), policy=policy.SMTPUTF8)


def test_a_utf8_address_is_answered_with_smtputf8_and_can_confirm(robot_factory, imap_account, sink, smtp_sink):
    net = Network(robot_factory(), imap_account, sink)  # the sink offers SMTPUTF8, as aiosmtpd does by default
    assert net.cycle(JOIN, HELP) == ["handled: join M-1 new, confirmation asked", "handled: help sent"]
    by_rcpt = {m.rcpt_tos: m for m in sink.received}
    question = by_rcpt[("jörg@xn--bcher-kva.example",)]
    assert "SMTPUTF8" in question.mail_options, "RFC 6531: the UTF-8 local part travels as it is"
    msg = read(question.data)
    assert [a.addr_spec for a in msg["To"].addresses] == ["jörg@xn--bcher-kva.example"]
    assert msg["In-Reply-To"] == "<idn-join@bücher.example>", "the thread kept, as UTF-8 (RFC 6532)"
    answer = by_rcpt[("rose@xn--rseau-bsa.example",)]
    assert "SMTPUTF8" not in answer.mail_options and answer.data.isascii(), "an IDN domain alone: its A-label"
    # Jörg answers OUI: confirmed.
    reply = (f"From: Jörg <jörg@bücher.example>\r\nTo: rers.test@example.org\r\n"
             f"Subject: Re: [{token_of(msg)}] Confirmez\r\nDate: Mon, 23 Nov 2026 10:00:00 +0100\r\n"
             f"Message-ID: <idn-oui@bücher.example>\r\nMIME-Version: 1.0\r\n"
             f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nOui\r\n").encode()
    assert net.cycle(reply) == ["handled: join confirmed: M-1"]
    member = net.store().members.find_one("address", "jörg@bücher.example")
    assert member["status"] == "confirmed"
    assert not net.store().failures.all()


def test_without_smtputf8_nothing_is_parked_and_the_animators_are_told(robot_factory, imap_account, sink, smtp_sink):
    imap_robot = robot_factory()
    imap_robot.config.write_text(imap_robot.config.read_text().replace(f"port = {smtp_sink.port}",
                                                                       f"port = {smtp_sink.ascii_port}"))
    from config.settings import load

    imap_robot.settings = load(imap_robot.config)
    net = Network(imap_robot, imap_account, sink)
    for raw in (JOIN,):
        imap_account.dovecot.append(imap_account.user, "INBOX", raw)
    from workflows.shell.runner import Runner

    report = Runner(imap_robot.settings, Store.open(imap_robot.settings.store.path), clock=lambda: net.now).cycle()
    assert [h.outcome for h in report.handled] == ["handled: join M-1 new, confirmation asked"]
    assert len(report.flush.failed) == 1 and not report.flush.error
    assert not any(r == ("jörg@xn--bcher-kva.example",) for r in (m.rcpt_tos for m in sink.received))
    # The notice to the animators leaves at the next flush (it was queued by the failure).
    Runner(imap_robot.settings, Store.open(imap_robot.settings.store.path), clock=lambda: net.now).flush()
    notices = [read(m.data) for m in sink.received if ANIMATORS[0] in m.rcpt_tos]
    (notice,) = [n for n in notices if "n'a pas pu partir" in str(n["Subject"])]
    text = notice.get_body(("plain",)).get_content()
    assert "jörg@bücher.example" in text and "SMTPUTF8" in text
    assert imap_account.dovecot.fetch_all(imap_account.user, "Erreurs") == [], "never parked"
    assert len(imap_account.dovecot.fetch_all(imap_account.user, "Traités")) == 1
