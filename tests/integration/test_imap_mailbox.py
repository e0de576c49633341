"""ImapMailbox against a real Dovecot: reading, marking done, parking, failures, TLS, IDLE.

Each test gets a user of its own (``imap_account``), so tests never see each other's mail.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import replace

import pytest

from servers import free_port
from workflows.shell.mailboxes.base import MailboxError
from workflows.shell.mailboxes.imap import ImapMailbox, parse_key, server_folder_name

pytestmark = pytest.mark.integration


def message(n: int, subject: str = "Offre") -> bytes:
    return (
        f"From: membre{n}@example.org\r\nTo: rers@example.org\r\n"
        f"Subject: {subject} {n}\r\nMessage-ID: <m{n}@example.org>\r\n\r\n"
        f"Je propose des cours de tricot, numéro {n}.\r\n"
    ).encode()


def fill(account, count: int, folder: str = "INBOX") -> list[bytes]:
    raws = [message(n) for n in range(1, count + 1)]
    for raw in raws:
        account.dovecot.append(account.user, folder, raw)
    return raws


def read_all(mailbox: ImapMailbox, size: int = 100) -> list:
    return [m for batch in mailbox.batches(size) for m in batch]


def test_batches_fetch_in_chunks_and_leave_messages_unseen(imap_account):
    raws = fill(imap_account, 5)
    with ImapMailbox(imap_account.settings()) as mailbox:
        batches = list(mailbox.batches(2))
    assert [len(b) for b in batches] == [2, 2, 1]
    fetched = [m for b in batches for m in b]
    assert [m.raw for m in fetched] == raws
    uidvalidity = imap_account.dovecot.uidvalidity(imap_account.user, "INBOX")
    assert fetched[0].key == f"imap://{imap_account.user}@127.0.0.1/INBOX;UIDVALIDITY={uidvalidity}/;UID=1"
    assert all(rb"\Seen" not in flags for flags in imap_account.dovecot.flags(imap_account.user, "INBOX").values())


def test_mark_done_moves_to_the_done_folder_and_the_next_cycle_sees_nothing(imap_account):
    raws = fill(imap_account, 3)
    settings = imap_account.settings(done_folder="Traités")
    with ImapMailbox(settings) as mailbox:
        for batch in mailbox.batches(2):  # the runner's pattern: mark each batch as it goes
            mailbox.mark_done([m.key for m in batch])
        assert read_all(mailbox) == []
    dovecot, user = imap_account.dovecot, imap_account.user
    assert "Traités" in dovecot.folders(user)
    assert dovecot.fetch_all(user, "Traités") == raws
    assert dovecot.uids(user, "INBOX") == []
    with ImapMailbox(settings) as mailbox:
        assert read_all(mailbox) == []


def test_mark_done_with_a_keyword_keeps_messages_in_place(imap_account):
    fill(imap_account, 2)
    settings = imap_account.settings(done_folder=None, done_keyword="$RersDone")
    with ImapMailbox(settings) as mailbox:
        first = read_all(mailbox)
        mailbox.mark_done([first[0].key])
        assert [m.key for m in read_all(mailbox)] == [first[1].key]
    flags = imap_account.dovecot.flags(imap_account.user, "INBOX")
    assert b"$RersDone" in flags[1] and b"$RersDone" not in flags[2]
    assert all(rb"\Seen" not in f for f in flags.values())
    imap_account.dovecot.append(imap_account.user, "INBOX", message(9))
    with ImapMailbox(settings) as mailbox:
        assert [m.raw for m in read_all(mailbox)] == [message(2), message(9)]


def test_marking_done_twice_is_harmless(imap_account):
    fill(imap_account, 1)
    with ImapMailbox(imap_account.settings()) as mailbox:
        keys = [m.key for m in read_all(mailbox)]
        mailbox.mark_done(keys)
        mailbox.mark_done(keys)
    assert len(imap_account.dovecot.fetch_all(imap_account.user, "Traités")) == 1


def test_park_moves_to_the_error_folder(imap_account):
    fill(imap_account, 2)
    with ImapMailbox(imap_account.settings(error_folder="Erreurs")) as mailbox:
        fetched = read_all(mailbox)
        mailbox.park([fetched[1].key])
        mailbox.mark_done([fetched[0].key])
        assert read_all(mailbox) == []
    dovecot, user = imap_account.dovecot, imap_account.user
    assert dovecot.fetch_all(user, "Erreurs") == [message(2)]
    assert dovecot.fetch_all(user, "Traités") == [message(1)]


def test_unicode_and_nested_folders(imap_account):
    dovecot, user = imap_account.dovecot, imap_account.user
    fill(imap_account, 1, folder="Entrée réseau")
    settings = imap_account.settings(folder="Entrée réseau", done_folder="Traités/2026 été", error_folder="Erreurs/À revoir")
    with ImapMailbox(settings) as mailbox:
        fetched = read_all(mailbox)
        assert fetched[0].key.startswith(f"imap://{user}@127.0.0.1/Entrée réseau;UIDVALIDITY=")
        mailbox.mark_done([fetched[0].key])
    assert {"Entrée réseau", "Traités/2026 été"} <= set(dovecot.folders(user))
    assert dovecot.fetch_all(user, "Traités/2026 été") == [message(1)]


def test_a_changed_uidvalidity_leaves_the_old_keys_alone(imap_account, caplog):
    dovecot, user = imap_account.dovecot, imap_account.user
    fill(imap_account, 1)
    with ImapMailbox(imap_account.settings()) as mailbox:
        old_keys = [m.key for m in read_all(mailbox)]
    dovecot.wipe(user, "INBOX")
    dovecot.append(user, "INBOX", message(7))  # takes UID 1 again, under a new UIDVALIDITY
    assert parse_key(old_keys[0])[2] == 1
    with caplog.at_level(logging.WARNING, logger="workflows.shell.mailboxes.imap"), ImapMailbox(imap_account.settings()) as mailbox:
        mailbox.mark_done(old_keys)
        fresh = read_all(mailbox)
    assert "UIDVALIDITY" in caplog.text
    assert [m.raw for m in fresh] == [message(7)]
    assert fresh[0].key != old_keys[0]
    assert dovecot.fetch_all(user, "Traités") == []


def test_keys_of_another_folder_are_ignored(imap_account, caplog):
    fill(imap_account, 1)
    with ImapMailbox(imap_account.settings()) as mailbox:
        key = read_all(mailbox)[0].key
        with caplog.at_level(logging.WARNING, logger="workflows.shell.mailboxes.imap"):
            mailbox.mark_done([key.replace("/INBOX;", "/Autre;"), "maildir:123"])
        assert len(read_all(mailbox)) == 1
    assert "not a message of" in caplog.text


def test_move_without_the_move_extension_copies_and_expunges(imap_account, monkeypatch):
    fill(imap_account, 2)
    with ImapMailbox(imap_account.settings()) as mailbox:
        client = mailbox._client
        real = client.has_capability
        monkeypatch.setattr(client, "has_capability", lambda name: name.upper() != "MOVE" and real(name))
        mailbox.mark_done([m.key for m in read_all(mailbox)])
        assert read_all(mailbox) == []
    dovecot, user = imap_account.dovecot, imap_account.user
    assert dovecot.uids(user, "INBOX") == []
    assert dovecot.fetch_all(user, "Traités") == [message(1), message(2)]


def test_append_keeps_a_seen_copy_in_a_new_folder(imap_account):
    with ImapMailbox(imap_account.settings()) as mailbox:
        mailbox.append("Envoyés", message(3))
    dovecot, user = imap_account.dovecot, imap_account.user
    assert dovecot.fetch_all(user, "Envoyés") == [message(3)]
    assert all(rb"\Seen" in f for f in dovecot.flags(user, "Envoyés").values())


def test_debug_logging_shows_no_message_body(imap_account, caplog):
    fill(imap_account, 1)
    with caplog.at_level(logging.DEBUG), ImapMailbox(imap_account.settings()) as mailbox:
        read_all(mailbox)
        mailbox.append("Envoyés", message(2))
    assert "tricot" not in caplog.text


# --- TLS ------------------------------------------------------------------------------


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_with_the_servers_ca(imap_account, security):
    fill(imap_account, 1)
    with ImapMailbox(imap_account.settings(security=security)) as mailbox:
        assert [m.raw for m in read_all(mailbox)] == [message(1)]


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_refuses_an_untrusted_certificate(imap_account, security):
    settings = imap_account.settings(security=security)
    settings = replace(settings, server=replace(settings.server, ca_file=None))  # the system's trust
    with pytest.raises(MailboxError, match="certificate is not trusted"):
        ImapMailbox(settings).__enter__()


def test_tls_on_a_plain_port_says_so(imap_account):
    settings = imap_account.settings(security="ssl")
    settings = replace(settings, server=replace(settings.server, port=imap_account.dovecot.port))
    with pytest.raises(MailboxError, match="TLS with the IMAP server .* failed: .*check security and port"):
        ImapMailbox(settings).__enter__()


def test_an_unreadable_ca_file_is_named(imap_account, tmp_path):
    settings = imap_account.settings(security="ssl")
    settings = replace(settings, server=replace(settings.server, ca_file=tmp_path / "missing.pem"))
    with pytest.raises(MailboxError, match="ca_file .*missing.pem does not exist"):
        ImapMailbox(settings).__enter__()


# --- failures the operator can fix ----------------------------------------------------


def one_line(error: pytest.ExceptionInfo) -> str:
    text = str(error.value)
    assert "\n" not in text and "Traceback" not in text
    return text


def test_wrong_password(imap_account, monkeypatch):
    monkeypatch.setenv(imap_account.password_env, "not-the-password")
    with pytest.raises(MailboxError) as error:
        ImapMailbox(imap_account.settings()).__enter__()
    assert f"refused the login of '{imap_account.user}': wrong username or password" in one_line(error)


def test_refused_connection(imap_account):
    settings = imap_account.settings()
    settings = replace(settings, server=replace(settings.server, port=free_port()))
    with pytest.raises(MailboxError) as error:
        ImapMailbox(settings).__enter__()
    assert "refused the connection" in one_line(error)


def test_unknown_host(imap_account):
    settings = imap_account.settings()
    settings = replace(settings, server=replace(settings.server, host="imap.nonexistent.invalid"))
    with pytest.raises(MailboxError) as error:
        ImapMailbox(settings).__enter__()
    assert "cannot find the IMAP server 'imap.nonexistent.invalid'" in one_line(error)


def test_missing_password_variable(imap_account, monkeypatch):
    monkeypatch.delenv(imap_account.password_env)
    with pytest.raises(MailboxError) as error:
        ImapMailbox(imap_account.settings()).__enter__()
    assert imap_account.password_env in one_line(error)


def test_missing_folder(imap_account):
    with ImapMailbox(imap_account.settings(folder="Nulle part")) as mailbox:
        with pytest.raises(MailboxError) as error:
            list(mailbox.batches(10))
    assert "the folder 'Nulle part' does not exist" in one_line(error)


def test_a_server_restart_mid_session_is_a_mailbox_error(imap_account):
    fill(imap_account, 1)
    with ImapMailbox(imap_account.settings()) as mailbox:
        read_all(mailbox)
        imap_account.dovecot.restart()
        with pytest.raises(MailboxError) as error:
            read_all(mailbox)
    assert "IMAP server" in one_line(error)
    with ImapMailbox(imap_account.settings()) as mailbox:  # and the next cycle works again
        assert len(read_all(mailbox)) == 1


# --- IDLE -----------------------------------------------------------------------------


def test_idle_times_out_without_new_mail(imap_account):
    with ImapMailbox(imap_account.settings()) as mailbox:
        assert read_all(mailbox) == []
        assert mailbox.idle_wait(0.3) is False


def test_idle_wakes_up_on_new_mail(imap_account):
    dovecot, user = imap_account.dovecot, imap_account.user
    deliver = threading.Timer(0.2, dovecot.append, (user, "INBOX", message(5)))
    with ImapMailbox(imap_account.settings()) as mailbox:
        assert read_all(mailbox) == []
        deliver.start()
        try:
            assert mailbox.idle_wait(10) is True
        finally:
            deliver.join()
        assert [m.raw for m in read_all(mailbox)] == [message(5)]


def test_idle_returns_at_once_for_mail_that_came_after_the_last_read(imap_account):
    with ImapMailbox(imap_account.settings()) as mailbox:
        assert read_all(mailbox) == []
        imap_account.dovecot.append(imap_account.user, "INBOX", message(6))
        assert mailbox.idle_wait(10) is True


def test_idle_falls_back_when_the_server_lacks_it(imap_account, monkeypatch):
    with ImapMailbox(imap_account.settings()) as mailbox:
        monkeypatch.setattr(mailbox._client, "has_capability", lambda name: False)
        assert mailbox.idle_wait(10) is False


# --- pure helpers ---------------------------------------------------------------------


def test_folder_names_follow_the_servers_separator():
    assert server_folder_name("Traités/2026", "/") == "Traités/2026"
    assert server_folder_name("Traités/2026", ".") == "Traités.2026"
    assert server_folder_name("INBOX", None) == "INBOX"


def test_parse_key():
    assert parse_key("imap://rers@h/Entrée;UIDVALIDITY=42/;UID=7") == ("imap://rers@h/Entrée", 42, 7)
    assert parse_key("maildir:123.abc") is None
