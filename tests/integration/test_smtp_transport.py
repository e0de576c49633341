"""SmtpTransport against a real aiosmtpd server: plain, STARTTLS, TLS, AUTH and every
kind of refusal, mapped to SendResult / TransportError(temporary, code)."""
from __future__ import annotations

import pytest

from servers import SmtpSink, free_port
from workflows.shell.transports.base import TransportError
from workflows.shell.transports.smtp import SmtpTransport, to_crlf

pytestmark = pytest.mark.integration

SENDER = "rers@example.org"


def mail(n: int = 1, body: str = "Bonjour") -> bytes:
    return (
        f"From: {SENDER}\r\nTo: membre@example.org\r\nSubject: Réponse {n}\r\n"
        f"Message-ID: <out{n}@example.org>\r\n\r\n{body}\r\n"
    ).encode("ascii", "replace")


def one_line(error: pytest.ExceptionInfo) -> str:
    text = str(error.value)
    assert "\n" not in text and "Traceback" not in text
    return text


def test_plain_send(sink, smtp_settings):
    with SmtpTransport(smtp_settings()) as transport:
        result = transport.send(SENDER, ["membre@example.org"], mail())
    assert result.refused == {}
    (received,) = sink.wait_for(1)
    assert received.mail_from == SENDER
    assert received.rcpt_tos == ("membre@example.org",)
    assert received.data == mail()
    assert received.login is None and not received.tls


def test_one_connection_for_several_messages(sink, smtp_settings):
    with SmtpTransport(smtp_settings()) as transport:
        for n in range(3):
            transport.send(SENDER, ["membre@example.org"], mail(n))
    received = sink.wait_for(3)
    assert len({r.peer for r in received}) == 1


def test_line_ends_become_crlf_and_8bit_asks_for_8bitmime(sink, smtp_settings):
    raw = "Subject: été\nFrom: rers@example.org\n\nÀ bientôt\n.point\n".encode()
    with SmtpTransport(smtp_settings()) as transport:
        transport.send(SENDER, ["membre@example.org"], raw)
    (received,) = sink.wait_for(1)
    assert received.data == to_crlf(raw)
    assert b"\r\n.point\r\n" in received.data  # dot-stuffing undone by the server
    assert "BODY=8BITMIME" in received.mail_options


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_and_auth(sink, smtp_settings, security):
    with SmtpTransport(smtp_settings(security=security, login=True)) as transport:
        transport.send(SENDER, ["membre@example.org"], mail())
    (received,) = sink.wait_for(1)
    assert received.tls and received.login == "rers"


def test_some_recipients_refused(sink, smtp_settings):
    sink.refuse("Absent@example.org", "550 5.1.1 no such user")
    sink.refuse("plein@example.org", "452 4.2.2 mailbox full")
    recipients = ["membre@example.org", "Absent@example.org", "plein@example.org"]
    with SmtpTransport(smtp_settings()) as transport:
        result = transport.send(SENDER, recipients, mail())
    assert result.refused == {
        "absent@example.org": (550, "5.1.1 no such user"),
        "plein@example.org": (452, "4.2.2 mailbox full"),
    }
    (received,) = sink.wait_for(1)
    assert received.rcpt_tos == ("membre@example.org",)


@pytest.mark.parametrize(
    "replies, temporary, code",
    [
        (["451 4.3.0 try later"], True, 451),
        (["550 5.1.1 no such user"], False, 550),
        (["451 4.3.0 try later", "550 5.1.1 no such user"], False, 550),
    ],
)
def test_every_recipient_refused(sink, smtp_settings, replies, temporary, code):
    recipients = [f"r{n}@example.org" for n in range(len(replies))]
    for address, reply in zip(recipients, replies):
        sink.refuse(address, reply)
    with SmtpTransport(smtp_settings()) as transport:
        with pytest.raises(TransportError) as error:
            transport.send(SENDER, recipients, mail())
        transport.send(SENDER, ["membre@example.org"], mail(2))  # the session goes on
    assert (error.value.temporary, error.value.code) == (temporary, code)
    assert "refused every recipient" in one_line(error) and "r0@example.org" in str(error.value)
    assert len(sink.wait_for(1)) == 1


def test_421_on_data_is_temporary_and_the_next_send_reconnects(sink, smtp_settings):
    sink.fail_data("421 4.3.2 shutting down")
    with SmtpTransport(smtp_settings()) as transport:
        with pytest.raises(TransportError) as error:
            transport.send(SENDER, ["membre@example.org"], mail(1))
        transport.send(SENDER, ["membre@example.org"], mail(2))
    assert error.value.temporary and error.value.code == 421
    assert [r.data for r in sink.wait_for(1)] == [mail(2)]


def test_554_on_data_is_permanent(sink, smtp_settings):
    sink.fail_data("554 5.6.0 message refused")
    with SmtpTransport(smtp_settings()) as transport:
        with pytest.raises(TransportError) as error:
            transport.send(SENDER, ["membre@example.org"], mail())
    assert not error.value.temporary and error.value.code == 554
    assert "refused the message: 554 5.6.0 message refused" in one_line(error)


def test_a_dropped_connection_is_temporary_and_the_next_send_reconnects(sink, smtp_settings):
    sink.fail_data(SmtpSink.DROP)
    with SmtpTransport(smtp_settings()) as transport:
        with pytest.raises(TransportError) as error:
            transport.send(SENDER, ["membre@example.org"], mail(1))
        transport.send(SENDER, ["membre@example.org"], mail(2))
    assert error.value.temporary and error.value.code is None
    assert "closed the connection" in one_line(error)
    assert [r.data for r in sink.wait_for(1)] == [mail(2)]


def test_a_silent_server_times_out(sink, smtp_settings):
    sink.fail_data(SmtpSink.STALL, stall_seconds=2)
    with SmtpTransport(smtp_settings(timeout_seconds=0.5)) as transport:
        with pytest.raises(TransportError) as error:
            transport.send(SENDER, ["membre@example.org"], mail())
    assert error.value.temporary and error.value.code is None
    assert "did not answer within 0.5 s" in one_line(error)


# --- connection failures: temporary, code None (the outbox stops this flush) ----------


def connect_error(settings) -> TransportError:
    with pytest.raises(TransportError) as error:
        SmtpTransport(settings).__enter__()
    one_line(error)
    assert error.value.temporary and error.value.code is None
    return error.value


def test_server_down(smtp_settings):
    error = connect_error(smtp_settings(port=free_port()))
    assert "refused the connection" in str(error)


def test_wrong_password(smtp_settings, monkeypatch):
    monkeypatch.setenv("RERS_TEST_SMTP_PASSWORD", "not-the-password")
    error = connect_error(smtp_settings(security="starttls", login=True))
    assert "refused the login of 'rers': wrong username or password" in str(error)
    assert "535" in str(error)


def test_missing_password_variable(smtp_settings, monkeypatch):
    monkeypatch.delenv("RERS_TEST_SMTP_PASSWORD")
    error = connect_error(smtp_settings(security="starttls", login=True))
    assert "RERS_TEST_SMTP_PASSWORD" in str(error)


def test_auth_without_tls_is_not_offered(smtp_settings):
    error = connect_error(smtp_settings(security="none", login=True))
    assert "offers no AUTH" in str(error) and "STARTTLS" in str(error)


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_an_untrusted_certificate(smtp_settings, security):
    error = connect_error(smtp_settings(security=security, ca_file=None))
    assert "certificate is not trusted" in str(error)


def test_tls_on_a_plain_port(smtp_sink, smtp_settings):
    error = connect_error(smtp_settings(security="ssl", port=smtp_sink.port))
    assert "check security and port" in str(error)


def test_unknown_host(smtp_settings):
    error = connect_error(smtp_settings(host="smtp.nonexistent.invalid"))
    assert "cannot find the SMTP server 'smtp.nonexistent.invalid'" in str(error)


def test_to_crlf():
    assert to_crlf(b"a\nb\r\nc\rd") == b"a\r\nb\r\nc\r\nd"
