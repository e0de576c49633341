"""A message nested too deep for the email package, in a real Dovecot: forwarded to the
animators with its bytes attached (never parsed), or, when its handling keeps failing,
parked in the error folder with a notice that reaches the animators through aiosmtpd,
while the other messages go on."""
from __future__ import annotations

import email
from email import policy
from email.parser import BytesHeaderParser

import pytest

from store import Store
from support import ANIMATORS, NETWORK, fail_on, member_mail
from workflows.shell.runner import Runner

pytestmark = pytest.mark.integration


def deep_message(levels: int = 3000) -> bytes:
    body = "Content-Type: text/plain\r\n\r\nhello\r\n"
    for i in range(levels):
        body = f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n{body}\r\n--b{i}--\r\n'
    head = (f"From: x@example.com\r\nTo: {NETWORK}\r\nSubject: profond\r\n"
            "Message-ID: <deep@client.example>\r\nMIME-Version: 1.0\r\n")
    return (head + body).encode()


def to_animators(sink) -> list[bytes]:
    return [r.data for r in sink.received if set(ANIMATORS) & {a.lower() for a in r.rcpt_tos}]


def subject_of(data: bytes) -> str:
    return str(BytesHeaderParser(policy=policy.default).parsebytes(data)["Subject"])


def message_id_of(data: bytes) -> str:
    return str(BytesHeaderParser(policy=policy.default).parsebytes(data)["Message-ID"])


def test_a_deep_message_is_forwarded_with_its_bytes_and_moved(imap_robot, imap_account, sink):
    dovecot, user = imap_account.dovecot, imap_account.user
    raw = deep_message()
    dovecot.append(user, "INBOX", raw)
    report = Runner(imap_robot.settings, Store.open(imap_robot.settings.store.path)).cycle()
    assert [h.outcome for h in report.handled] == ["handled: forwarded to the animators"]
    assert dovecot.uids(user, "INBOX") == [] and len(dovecot.uids(user, "Traités")) == 1
    forwards = [d for d in to_animators(sink) if subject_of(d).startswith("[À traiter]")]
    assert len(forwards) == 1 and raw in forwards[0]


def test_a_deep_poison_message_is_parked_and_the_animators_told(imap_robot, imap_account, sink, monkeypatch):
    fail_on(monkeypatch, b"Subject: profond")
    dovecot, user = imap_account.dovecot, imap_account.user
    raw = deep_message()
    dovecot.append(user, "INBOX", raw)
    dovecot.append(user, "INBOX", member_mail("p@example.net", "AIDE", "?\n", message_id="<help-p@client.example>"))
    store = Store.open(imap_robot.settings.store.path)
    runner = Runner(imap_robot.settings, store)
    outcomes = [sorted(h.outcome for h in runner.cycle().handled) for _ in range(3)]
    assert outcomes == [["failed (1)", "handled: help sent"], ["failed (2)"], ["parked"]]
    assert dovecot.uids(user, "INBOX") == []
    assert dovecot.fetch_all(user, "Erreurs") == [raw]

    (queued,) = store.outbox.scan(lambda m: m.get("purpose") == "parked")
    (notice,) = [d for d in to_animators(sink) if message_id_of(d) == queued["message_id"]]
    assert raw in notice  # attached as it came, the 3,000 levels untouched
    head = BytesHeaderParser(policy=policy.default).parsebytes(notice)
    assert head.get_content_type() == "multipart/mixed"
    with pytest.raises(RecursionError):  # what the robot must never do with it
        email.message_from_bytes(notice, policy=policy.default)

    # The next cycles go on: a new message is handled, nothing is read again.
    dovecot.append(user, "INBOX", member_mail("q@example.net", "AIDE", "?\n", message_id="<help-q@client.example>"))
    assert [h.outcome for h in runner.cycle().handled] == ["handled: help sent"]
    assert Runner(imap_robot.settings, store).cycle().handled == []
    status = imap_robot.command("status").stdout
    assert "Messages mis de côté (dossier 'Erreurs') : 1." in status and "Messages en échec, à réessayer : 0." in status
