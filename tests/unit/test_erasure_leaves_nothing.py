"""Issue 14, erasure leaves nothing — what the unit level can check (Maildir in, outbox
folder out; the same through Dovecot in tests/integration/test_erasure_mailbox.py):

- no Message-ID of the person in clear: the outbox keeps a Message-ID cause hashed from
  the start (and a store of schema 2 has its causes hashed at the first write), while a
  decision made again still makes the same mail, recognised as a repeat;
- the audit log of an erasure names refs, never the address or the name;
- the person's messages leave the Maildir's done and error folders (deleted, or moved to
  ``erased_folder``); the public page is rewritten at once;
- what the shell could not clean is told to the animators in a notice kept nowhere once
  sent.
"""
from __future__ import annotations

import email
import email.policy
import logging
import mailbox as mailboxes

import orjson
import pytest

from membership_support import World, mail, reply, traces_in
from store import SCHEMA_VERSION, Store, cause_key, message_key
from support import ANIMATORS, make_settings
from workflows.shell.mailboxes.base import MailboxError
from workflows.shell.runner import Runner

ELISE = "elise.martin@example.com"
PACO = "paco.ruiz@example.net"


# --- causes -----------------------------------------------------------------------------


def test_a_message_id_cause_is_kept_hashed_from_the_start(tmp_path):
    world = World(tmp_path / "robot")
    raw = mail(ELISE, "ADHÉSION", "Nom : Élise Martin\n", name="Élise Martin")
    message_id = raw.split(b"Message-ID: ")[1].split(b"\r\n")[0].decode()
    world.deliver(raw)
    world.deliver(mail(ELISE, "Une question pour vous", "Bonjour, c'est ouvert lundi ?\n"))
    causes = [m["cause"] for m in world.store.outbox.all()]
    assert causes and all(not c.startswith("<") for c in causes), causes
    assert cause_key(message_id) in causes and cause_key(message_id) == message_key(message_id)
    assert message_id.encode() not in world.raw_files().split(b'"raw"')[0]
    assert cause_key("MR-7:consent:offer") == "MR-7:consent:offer", "the steps' own causes stay readable"
    assert cause_key(cause_key(message_id)) == cause_key(message_id)


def test_a_decision_made_again_still_makes_the_same_mail(tmp_path):
    world = World(tmp_path / "robot")
    raw = mail(PACO, "AIDE", "?\n")
    world.deliver(raw)
    before = world.store.outbox.count()
    # The ledger forgotten (a crash before it was written, say): the same decision again.
    with world.store.transaction():
        for entry in world.store.ledger.all():
            world.store.ledger.delete(entry["id"])
    world.deliver(raw)
    assert world.store.outbox.count() == before, "the same Message-ID, derived from the cause in clear"


def test_a_store_of_schema_2_has_its_causes_hashed_at_the_first_write(tmp_path):
    path = tmp_path / "rers.json"
    path.write_bytes(orjson.dumps({
        "_meta": {"1": {"schema_version": 2}},
        "outbox": {"1": {"message_id": "<rers.1@x>", "cause": "<CAF0@mail.paco-ruiz.fr>", "status": "sent"},
                   "2": {"message_id": "<rers.2@x>", "cause": "MR-7:consent:offer", "status": "sent"},
                   "3": {"message_id": "<rers.3@x>", "cause": "permanence@x 0 -", "status": "sent"}},
    }))
    store = Store.open(path)
    with store.transaction():
        pass
    assert store.schema_version == SCHEMA_VERSION == 3
    assert [m["cause"] for m in store.outbox.all()] == [
        message_key("<CAF0@mail.paco-ruiz.fr>"), "MR-7:consent:offer", "permanence@x 0 -"]
    assert b"paco-ruiz" not in path.read_bytes()


# --- the log --------------------------------------------------------------------------------


def test_the_audit_log_of_an_erasure_names_refs_only(tmp_path, caplog):
    world = World(tmp_path / "robot")
    world.deliver(mail(ELISE, "ADHÉSION", "Nom : Élise Martin\nTéléphone : 06 11 22 33 44\n", name="Élise Martin"))
    world.deliver(reply(world.last(ELISE), ELISE, "OUI"))
    world.deliver(mail(ELISE, "RETRAIT", ""))
    question = world.last(ELISE)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert world.deliver(reply(question, ELISE, "OUI")) == "handled: withdraw M-1: erased"
    said = "\n".join(r.getMessage() for r in caplog.records)
    assert "M-1 erased" in said
    assert traces_in(said.encode(), ELISE, "Élise Martin", "Martin", "06 11 22 33 44", "+33611223344") == []


# --- the Maildir, the page ------------------------------------------------------------------


def _robot(tmp_path, **parts):
    settings = make_settings(tmp_path / "robot", **parts)
    mailboxes.Maildir(settings.mailbox.path, create=True)
    return settings


def _cycle(settings, *raws, now=None, **runner):
    box = mailboxes.Maildir(settings.mailbox.path)
    for raw in raws:
        box.add(raw)
    from membership_support import START

    report = Runner(settings, Store.open(settings.store.path), clock=lambda: now or START, **runner).cycle()
    return [h.outcome for h in report.handled]


def _folder(settings, name) -> list[bytes]:
    where = settings.mailbox.path / f".{name}"
    return [p.read_bytes() for sub in ("cur", "new") for p in sorted((where / sub).glob("*"))] if where.exists() else []


def _outbox(settings, to: str) -> list[bytes]:
    """The mails written to ``to``, oldest first."""
    files = sorted((settings.mailbox.path.parent / "outbox").glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return [p.read_bytes() for p in files if f"X-Envelope-To: {to}".encode() in p.read_bytes()]


def _last_question(settings, to):
    from membership_support import parse

    return parse([raw for raw in _outbox(settings, to) if b"Message-ID: <RERS-" in raw][-1].split(b"\r\n", 2)[2])


def _life(settings):
    _cycle(settings, mail(ELISE, "ADHÉSION", "Nom : Élise Martin\nOffre : Cuisine andalouse\n", name="Élise Martin"),
           mail(PACO, "ADHÉSION", "Nom : Paco Ruiz\nOffre : Réparer un vélo\n", name="Paco Ruiz"))
    for who in (ELISE, PACO):
        _cycle(settings, reply(_last_question(settings, who), who, "OUI"))


@pytest.mark.parametrize("erased_folder", [None, "Effacés"])
def test_a_withdrawal_takes_her_mail_out_of_the_maildir_and_rewrites_the_page(tmp_path, erased_folder):
    settings = _robot(tmp_path, mailbox='kind = "maildir"\npath = "mail"'
                      + (f'\nerased_folder = "{erased_folder}"' if erased_folder else ""))
    _life(settings)
    from workflows.shell.publish import page_path, publish_page
    from membership_support import START

    publish_page(settings, Store.open(settings.store.path), START)
    assert "Cuisine andalouse" in page_path(settings).read_text()
    _cycle(settings, mail(ELISE, "RETRAIT", ""))
    # The two joins of one cycle are numbered in the order the Maildir lists them.
    (outcome,) = _cycle(settings, reply(_last_question(settings, ELISE), ELISE, "OUI"))
    assert outcome in ("handled: withdraw M-1: erased", "handled: withdraw M-2: erased")
    done = _folder(settings, "Traités")
    assert done and not any(ELISE.encode() in raw for raw in done), "her join, her OUI, her RETRAIT: all gone"
    assert sum(PACO.encode() in raw for raw in done) == 2, "Paco's two messages stay"
    moved = _folder(settings, erased_folder) if erased_folder else []
    assert len(moved) == (4 if erased_folder else 0) and all(ELISE.encode() in raw for raw in moved)
    page = page_path(settings).read_text()
    assert "Cuisine andalouse" not in page and "Réparer un vélo" in page, "rewritten at once"


def test_a_mailbox_that_cannot_be_cleaned_is_said_to_the_animators_then_forgotten(tmp_path, monkeypatch):
    settings = _robot(tmp_path)
    _life(settings)
    _cycle(settings, mail(ELISE, "RETRAIT", ""))
    from workflows.shell.mailboxes.maildir import MaildirMailbox

    def broken(self, folder, addresses, **_):
        raise MailboxError(f"cannot clean {folder}: disk unplugged")

    monkeypatch.setattr(MaildirMailbox, "remove_mail", broken)
    # The two joins of one cycle are numbered in the order the Maildir lists them.
    (outcome,) = _cycle(settings, reply(_last_question(settings, ELISE), ELISE, "OUI"))
    assert outcome in ("handled: withdraw M-1: erased", "handled: withdraw M-2: erased")
    (notice,) = [raw for raw in _outbox(settings, ANIMATORS[0]) if ELISE.encode() in raw]
    assert b"disk unplugged" in notice
    # The problems are said in the network's language (French), as the rest of the mail.
    assert b"- dossier 'Trait" in notice and b": cannot clean Trait" in notice and b"- folder" not in notice
    store = Store.open(settings.store.path)
    (doc,) = [m for m in store.outbox.all() if m["purpose"] == "erasure_cleanup"]
    assert doc["status"] == "sent" and doc["forget"] and not doc["recipients"] and not doc["raw"]
    path = settings.store.path
    assert traces_in(b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file()), ELISE) == []


def test_copies_of_a_linked_members_contact_that_cannot_be_deleted_are_said_by_message_id(tmp_path):
    """A linked network's member left (:meth:`workflows.decision.Plan.erased_copies`) and
    the outbox folder cannot be cleaned: the animators get the Message-IDs to delete by
    hand, and where — never a page to check (nothing of theirs is published here)."""
    from datetime import datetime, timezone

    from workflows.decision import Erased
    from workflows.shell.erasure import after_erasure

    settings = _robot(tmp_path)
    settings.transport.path.parent.mkdir(parents=True, exist_ok=True)
    settings.transport.path.write_text("not a folder")
    store = Store.open(settings.store.path) if settings.store.path.exists() else Store.create(settings.store.path)
    now = datetime(2026, 12, 7, 9, tzinfo=timezone.utc)
    cleanup = after_erasure(settings, store, now, [Erased("MRV-3", None, ("<rers.abc@test.example>",))],
                            mailbox_factory=lambda: pytest.fail("no Sent folder: the mailbox is not opened"))
    assert cleanup.problems and "outbox" in cleanup.problems[0]
    (doc,) = [m for m in store.outbox.all() if m["purpose"] == "erasure_cleanup"]
    notice = email.message_from_string(doc["raw"], policy=email.policy.default)
    text = notice.get_body(("plain",)).get_content()
    assert "Effacement de MRV-3" in str(notice["Subject"]) and "- <rers.abc@test.example>" in text
    assert f"dans {settings.transport.path}." in " ".join(text.split()) and "La page publique" not in text


@pytest.mark.parametrize("folder", ["INBOX", "Traités", "Erreurs"])
def test_the_erased_folder_must_be_a_folder_of_its_own(tmp_path, folder):
    from config.settings import ConfigError

    with pytest.raises(ConfigError, match="erased_folder"):
        make_settings(tmp_path / "robot", mailbox=f'kind = "maildir"\npath = "mail"\nerased_folder = "{folder}"')
    assert make_settings(tmp_path / "ok", mailbox='kind = "maildir"\npath = "mail"\nerased_folder = "Effacés"'
                         ).mailbox.erased_folder == "Effacés"
