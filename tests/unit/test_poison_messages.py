"""A message the email package cannot walk (MIME nested thousands of levels deep) never
blocks the robot: it is moved as a file, attached to the animators' notice without being
parsed, and its failures end in the error folder while the other messages go on.
`rers status` does not call a parked message "to be retried"."""
from __future__ import annotations

import email
import mailbox
import os
from datetime import datetime, timezone
from email import policy

import pytest

import workflows.shell.runner as runner_module
from store import Store
from support import ANIMATORS, NETWORK, fail_on, make_settings, member_mail
from workflows.model.traces import Traces
from workflows.mail.rfc5322 import MAIL_POLICY, serialize
from workflows.mail.parse import parse_message
from workflows.shell.mailboxes.base import MailboxError, SourceMessage
from workflows.shell.mailboxes.maildir import MaildirMailbox
from workflows.mail.rfc5322 import attach_original
from workflows.shell.runner import Runner, parse_options
from workflows.shell.status import status_text
from workflows.shell.transports.folder import FolderTransport
from workflows.shell.language import Words


def parked_line(n: int) -> str:  # the status line, as the catalogue says it
    return Words("fr")("Parked messages (folder {folder!r}): {n}.", folder="Erreurs", n=n)


def failing_line(n: int) -> str:
    return Words("fr")("Messages failing, to be retried: {n}.", n=n)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
HEAD = f"From: x@example.com\nTo: {NETWORK}\nSubject: hi\nMIME-Version: 1.0\n"


def deep_multipart(levels: int = 3000) -> bytes:
    body = "Content-Type: text/plain\n\nhello\n"
    for i in range(levels):
        body = f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n{body}\n--b{i}--\n'
    return (HEAD + body).encode()


def deep_rfc822(levels: int = 2000) -> bytes:
    body = "Content-Type: text/plain\n\nhello\n"
    for _ in range(levels):
        body = "Content-Type: message/rfc822\n\n" + body
    return (HEAD + body).encode()


DEEP = pytest.mark.parametrize("raw", [deep_multipart(), deep_rfc822()], ids=["multipart", "rfc822"])


def test_the_samples_are_too_deep_for_the_email_package():
    for raw in (deep_multipart(), deep_rfc822()):
        with pytest.raises(RecursionError):
            email.message_from_bytes(raw, policy=policy.default)


# --- Maildir: moving is renaming -------------------------------------------------------


def open_maildir(tmp_path):
    settings = make_settings(tmp_path / "robot")
    return settings, MaildirMailbox(settings.mailbox)


@DEEP
def test_maildir_parks_and_marks_done_a_deep_message_as_it_is(tmp_path, raw):
    settings, box = open_maildir(tmp_path)
    with box:
        box.box.add(raw)
        box.box.add(member_mail("a@example.com", "aide", "aide\n"))
        (batch,) = list(box.batches(10))
        # A Maildir lists its files in no set order: tell the two apart by their bytes.
        deep, other = sorted(batch, key=lambda source: source.raw != raw)
        box.park([deep.key])
        box.mark_done([other.key])
        assert list(box.batches(10)) == []
    root = settings.mailbox.path
    (parked,) = (root / f".{settings.mailbox.error_folder}" / "new").iterdir()
    assert parked.read_bytes() == raw
    assert len(list((root / ".Traités" / "new").iterdir())) == 1


def test_a_move_keeps_the_flags_and_place_and_never_replaces_a_file(tmp_path):
    settings, box = open_maildir(tmp_path)
    root = settings.mailbox.path
    with box:
        message = mailbox.MaildirMessage(member_mail("a@example.com", "aide", "aide\n"))
        message.set_subdir("cur")
        message.set_flags("S")
        key = box.box.add(message)
        # A file of the same name already in the done folder (another message): kept.
        done = box.box.add_folder("Traités")
        (root / ".Traités" / "cur" / f"{key}:2,S").write_bytes(b"someone else\n")
        box.mark_done([f"maildir:{key}", f"maildir:{key}", "imap://elsewhere;UIDVALIDITY=1/;UID=1"])
        box.mark_done([f"maildir:{key}"])  # again: harmless
    files = sorted((root / ".Traités" / "cur").iterdir())
    assert len(files) == 2 and all(f.name.endswith(":2,S") for f in files)
    assert {f.read_bytes() for f in files} == {b"someone else\n", message.as_bytes()}
    assert list(done.iterkeys()) and not os.listdir(root / "cur")


def test_a_move_cut_short_between_link_and_unlink_is_finished(tmp_path):
    settings, box = open_maildir(tmp_path)
    root = settings.mailbox.path
    with box:
        key = box.box.add(b"Subject: x\n\nx\n")
        box.box.add_folder("Traités")
        os.link(root / "new" / key, root / ".Traités" / "new" / key)
        box.mark_done([f"maildir:{key}"])
    assert os.listdir(root / "new") == [] and os.listdir(root / ".Traités" / "new") == [key]


def test_a_maildir_that_cannot_be_written_is_one_mailbox_error(tmp_path, monkeypatch):
    settings, box = open_maildir(tmp_path)
    import workflows.shell.mailboxes.maildir as maildir_module

    def refuse(source, target, colon):
        raise PermissionError(13, "Permission denied")

    with box:
        keys = ["maildir:" + box.box.add(b"Subject: x\n\nx\n") for _ in range(2)]
        monkeypatch.setattr(maildir_module, "_move_file", refuse)
        with pytest.raises(MailboxError, match="cannot move handled mail to .*permission denied"):
            box.mark_done(keys)


def test_one_message_that_cannot_be_moved_does_not_stop_the_others(tmp_path, monkeypatch, caplog):
    settings, box = open_maildir(tmp_path)
    import workflows.shell.mailboxes.maildir as maildir_module

    real = maildir_module._move_file
    with box:
        stuck = box.box.add(b"Subject: stuck\n\nx\n")
        other = box.box.add(b"Subject: other\n\nx\n")

        def move(source, target, colon):
            if source.name == stuck:
                raise PermissionError(13, "Permission denied")
            real(source, target, colon)

        monkeypatch.setattr(maildir_module, "_move_file", move)
        box.mark_done([f"maildir:{stuck}", f"maildir:{other}"])
        assert list(box.box.iterkeys()) == [stuck]
    assert "cannot move" in caplog.text


# --- The notice to the animators ----------------------------------------------------------


def notice_with(raw: bytes):
    msg = email.message.EmailMessage(policy=MAIL_POLICY)
    msg["Message-ID"] = "<n@example.org>"
    msg.set_content("notice\n")
    attach_original(msg, raw)
    return serialize(msg)


@DEEP
def test_a_deep_message_is_attached_as_its_own_bytes(raw):
    out = notice_with(raw)
    crlf = raw.replace(b"\n", b"\r\n")
    assert b'Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename="message.eml"\r\n\r\n' + crlf in out
    head = email.parser.BytesHeaderParser(policy=policy.default).parsebytes(out)
    assert head.get_content_type() == "multipart/mixed"


def test_a_shallow_message_attached_reads_back_as_a_message():
    raw = member_mail("a@example.com", "Question", "Une question ?\n")
    parsed = email.message_from_bytes(notice_with(raw), policy=policy.default)
    (attachment,) = parsed.iter_attachments()
    assert attachment.get_content_type() == "message/rfc822" and attachment.get_filename() == "message.eml"
    assert attachment.get_content()["Subject"] == "Question"


@pytest.mark.parametrize("raw", ["Subject: é\n\né\n".encode(), b"Subject: long\n\n" + b"x" * 1200 + b"\n"],
                         ids=["8bit", "long-line"])
def test_an_8bit_or_over_long_message_is_attached_base64(raw):
    parsed = email.message_from_bytes(notice_with(raw), policy=policy.default)
    (attachment,) = parsed.iter_attachments()
    assert attachment.get_content_type() == "application/octet-stream"
    assert attachment.get_content() == raw


@DEEP
def test_the_folder_transport_and_the_erasure_read_such_a_notice(tmp_path, raw):
    out = notice_with(raw)
    settings = make_settings(tmp_path / "robot")
    with FolderTransport(settings.transport) as transport:
        transport.send(NETWORK, list(ANIMATORS), out)
    assert [p.read_bytes() for p in settings.transport.path.glob("*.eml")] == [
        f"X-Envelope-From: <{NETWORK}>\r\nX-Envelope-To: {', '.join(ANIMATORS)}\r\n".encode() + out]
    # What cannot be read may name the person: it counts as naming them.
    assert Traces("someone@example.net", "Some One", None).in_mail(out.decode("ascii"))


# --- The cycle ------------------------------------------------------------------------------


def sent_files(settings) -> dict[str, bytes]:
    """The bytes of each mail the folder transport wrote, by Message-ID (headers only read)."""
    files = {}
    for path in settings.transport.path.glob("*.eml"):
        data = path.read_bytes()
        files[email.parser.BytesHeaderParser(policy=policy.default).parsebytes(data)["Message-ID"]] = data
    return files


@DEEP
def test_a_deep_message_is_forwarded_and_moved_at_the_first_cycle(tmp_path, raw):
    settings = make_settings(tmp_path / "robot")
    box = mailbox.Maildir(settings.mailbox.path, create=True)
    box.add(raw)
    report = Runner(settings, Store.open(settings.store.path), clock=lambda: NOW).cycle()
    assert [h.outcome for h in report.handled] == ["handled: forwarded to the animators"]
    assert list(box.iterkeys()) == [] and len(list(box.get_folder("Traités").iterkeys())) == 1
    (forward,) = Store.open(settings.store.path).outbox.scan(lambda m: m.get("purpose") == "forward")
    assert raw.replace(b"\n", b"\r\n") in sent_files(settings)[forward["message_id"]]


@DEEP
def test_a_poison_message_is_parked_the_animators_told_and_the_others_handled(tmp_path, monkeypatch, raw):
    fail_on(monkeypatch, b"Subject: hi")
    settings = make_settings(tmp_path / "robot")
    box = mailbox.Maildir(settings.mailbox.path, create=True)
    box.add(raw)
    store = Store.open(settings.store.path)
    runner = Runner(settings, store, clock=lambda: NOW)
    outcomes = [[h.outcome for h in runner.cycle().handled] for _ in range(3)]
    assert outcomes == [["failed (1)"], ["failed (2)"], ["parked"]]
    assert list(box.iterkeys()) == []
    (parked,) = box.get_folder(settings.mailbox.error_folder).iterkeys()
    assert box.get_folder(settings.mailbox.error_folder).get_bytes(parked) == raw

    (notice,) = store.outbox.scan(lambda m: m.get("purpose") == "parked")
    assert notice["status"] == "sent"
    sent = sent_files(settings)[notice["message_id"]]
    assert raw.replace(b"\n", b"\r\n") in sent and b"message/rfc822" in sent
    head = email.parser.BytesHeaderParser(policy=policy.default).parsebytes(sent)
    assert set(ANIMATORS) <= {a.addr_spec for a in head["To"].addresses}

    # The cycle goes on: a later valid message is handled, nothing fails.
    box.add(member_mail("a@example.com", "aide", "aide\n", message_id="<ok1@example.com>"))
    assert [h.outcome for h in runner.cycle().handled] == ["handled: help sent"]
    assert list(box.iterkeys()) == []

    status = status_text(settings, store, NOW)
    assert parked_line(1) in status
    assert failing_line(0) in status
    assert "message en échec" not in status and "  message mis de côté <sha256-" in status


def test_the_notice_goes_out_without_the_message_when_attaching_it_fails(tmp_path, monkeypatch):
    import workflows.shell.apply as apply_module

    def broken(msg, raw):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(apply_module, "attach_original", broken)
    fail_on(monkeypatch, b"Subject: poison")
    settings = make_settings(tmp_path / "robot")
    store = Store.open(settings.store.path)
    runner = Runner(settings, store, clock=lambda: NOW)
    raw = member_mail("p@example.net", "poison", "?\n", message_id="<poison@client.example>")
    for _ in range(3):
        (handled,) = runner.handle_batch([SourceMessage("t:1", raw)])
    assert handled.outcome == "parked"
    (notice,) = store.outbox.scan(lambda m: m.get("purpose") == "parked")
    parsed = email.message_from_string(notice["raw"], policy=policy.default)
    assert not list(parsed.iter_attachments())
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    assert "échoué 3 fois" in text and "« Erreurs »" in text


def test_a_message_recorded_parked_but_left_in_the_maildir_is_parked_and_told_at_last(tmp_path):
    """What a robot before this fix left: the ledger says parked, the failure record
    counts 3, the file is still in new/ and no notice was queued."""
    from store import message_key

    settings = make_settings(tmp_path / "robot")
    raw = deep_multipart()
    message_id = parse_message(raw, parse_options(settings), now=NOW).message_id
    box = mailbox.Maildir(settings.mailbox.path, create=True)
    box.add(raw)
    store = Store.open(settings.store.path)
    with store.transaction():
        store.failures.insert({"message_id": message_id, "count": 3, "last": "2026-11-01T00:00:00",
                               "error": "RecursionError: maximum recursion depth exceeded"})
        store.ledger.insert({"message_id": message_key(message_id), "source_key": "k", "received": "x",
                             "intent": "unknown", "outcome": "parked"})
    runner = Runner(settings, store, clock=lambda: NOW)
    assert [h.outcome for h in runner.cycle().handled] == ["parked"]
    assert list(box.iterkeys()) == [] and len(list(box.get_folder("Erreurs").iterkeys())) == 1
    (notice,) = store.outbox.scan(lambda m: m.get("purpose") == "parked")
    assert notice["status"] == "sent" and "RecursionError" in sent_files(settings)[notice["message_id"]].decode()
    assert failing_line(0) in status_text(settings, store, NOW)
    # Put back in the inbox by hand: parked again, the animators are not told twice.
    box.add(raw)
    assert [h.outcome for h in runner.cycle().handled] == ["parked"]
    assert len(list(store.outbox.scan(lambda m: m.get("purpose") == "parked"))) == 1
    assert len(list(box.get_folder("Erreurs").iterkeys())) == 2


def test_status_before_this_fix_parked_messages_kept_a_plain_failure_record(tmp_path):
    """A store written before parked failures were marked: the ledger tells them apart."""
    from store import message_key

    settings = make_settings(tmp_path / "robot")
    store = Store.open(settings.store.path)
    with store.transaction():
        store.failures.insert({"message_id": "<old@x>", "count": 3, "last": "2026-11-01T00:00:00", "error": "E"})
        store.failures.insert({"message_id": "<now@x>", "count": 1, "last": "2026-11-01T00:00:00", "error": "F"})
        store.ledger.insert({"message_id": message_key("<old@x>"), "source_key": "k", "received": "x",
                             "intent": "unknown", "outcome": "parked"})
    status = status_text(settings, store, NOW)
    assert parked_line(1) in status and failing_line(1) in status
    assert "  message en échec <now@x> (1×) : F" in status and "  message mis de côté <old@x> (3×) : E" in status


# --- Parsing ----------------------------------------------------------------------------------


@DEEP
def test_parsing_a_deep_message_answers_unreadable_and_never_raises(tmp_path, raw):
    parsed = parse_message(raw, parse_options(make_settings(tmp_path / "robot")), now=NOW)
    assert parsed.intent == "unknown" and "RecursionError" in parsed.text
    assert parsed.message_id.startswith("<sha256-")


def test_a_parser_that_overflows_the_stack_is_one_failure_of_that_message(tmp_path, monkeypatch):
    def overflow(raw, options, now=None):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(runner_module, "parse_message", overflow)
    settings = make_settings(tmp_path / "robot")
    runner = Runner(settings, Store.open(settings.store.path), clock=lambda: NOW)
    (handled,) = runner.handle_batch([SourceMessage("t:1", b"Subject: x\n\nx\n")])
    assert handled.outcome == "failed (1)"


def test_a_step_crash_is_kept_as_its_text_and_said_in_the_networks_language(tmp_path, monkeypatch):
    """The failure's error is kept as data (workflows.model.said.kept): `rers status` says
    it in French, an exception carrying a Said (a store's, a server's) in French too."""
    from workflows.model.said import Said

    def crash(raw, options, now=None):
        raise ValueError(Said("the public catalogue page"))

    monkeypatch.setattr(runner_module, "parse_message", crash)
    settings = make_settings(tmp_path / "robot")
    store = Store.open(settings.store.path)
    runner = Runner(settings, store, clock=lambda: NOW)
    (handled,) = runner.handle_batch([SourceMessage("t:1", b"Message-ID: <crash@x>\nSubject: x\n\nx\n")])
    assert handled.outcome == "failed (1)"
    (failure,) = store.failures.all()
    assert failure["error"]["said"] == "a fault in the robot's code, to report ({kind}: {error})"
    status = status_text(settings, store, NOW)
    assert "une erreur du code du robot, à signaler (ValueError : la page publique du catalogue)" in status and "catalogue page" not in status, status


# --- The animators' notice names the sender and the subject -----------------------------------


PAUL = member_mail("paul.martin@example.com", "AIDE", "aide\n", name="Paul Martin",
                   message_id="<paul@client.example>")


def parked_notice(settings, store) -> email.message.EmailMessage:
    (notice,) = store.outbox.scan(lambda m: m.get("purpose") == "parked")
    return email.message_from_string(notice["raw"], policy=policy.default)


def park(tmp_path, raw: bytes):
    settings = make_settings(tmp_path / "robot")
    store = Store.open(settings.store.path)
    runner = Runner(settings, store, clock=lambda: NOW)
    for _ in range(3):
        (handled,) = runner.handle_batch([SourceMessage("t:1", raw)])
    assert handled.outcome == "parked"
    return parked_notice(settings, store)


def says_paul(notice) -> None:
    assert notice["Subject"] == "[À traiter] AIDE — paul.martin@example.com"
    text = notice.get_body(preferencelist=("plain",)).get_content()
    assert "Expéditeur : paul.martin@example.com" in text and "Objet : AIDE" in text, text
    assert "illisible" not in text and "(sans objet)" not in text


def test_the_parked_notice_names_the_sender_and_subject_read_before_a_step_crashed(tmp_path, monkeypatch):
    fail_on(monkeypatch, b"Subject: AIDE")
    notice = park(tmp_path, PAUL)
    says_paul(notice)
    # « Répondre » reaches Paul, as for any message handed to the animators.
    assert notice["Reply-To"].addresses[0].addr_spec == "paul.martin@example.com"


def test_the_parked_notice_reads_the_headers_when_reading_the_message_was_the_fault(tmp_path, monkeypatch):
    def crash(raw, options, now=None):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(runner_module, "parse_message", crash)
    says_paul(park(tmp_path, PAUL))


def test_the_parked_notice_falls_back_on_the_standard_library_when_the_header_reader_fails(tmp_path, monkeypatch):
    import workflows.mail.parse as parse_module

    def crash(raw, options, now=None):
        raise RecursionError("maximum recursion depth exceeded")

    def broken(message, options):
        raise ValueError("a bug in the header reader")

    monkeypatch.setattr(runner_module, "parse_message", crash)
    monkeypatch.setattr(parse_module, "_read_headers", broken)
    raw = (b"From: =?utf-8?q?Paul_Martin?= <Paul.Martin@example.com>\r\nSubject: =?utf-8?q?AIDE?=\r\n"
           b"Message-ID: <paul@client.example>\r\n\r\naide\r\n")
    says_paul(park(tmp_path, raw))


def test_headers_read_leniently_never_raise(tmp_path, monkeypatch):
    import workflows.mail.parse as parse_module

    monkeypatch.setattr(parse_module, "_read_headers", lambda message, options: 1 / 0)
    options = parse_options(make_settings(tmp_path / "robot"))
    odd = parse_module.read_headers(b"From: x <a@b.example>\nSubject: =?x-unknown?b?QUlERQ==?=\n\n", options)
    assert (odd.sender, odd.subject) == ("a@b.example", "AIDE")
    assert parse_module.read_headers(b"\xff\x00garbage", options).sender is None
