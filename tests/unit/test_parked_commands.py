"""`rers parked list | retry`: a message set aside after three failures can be handled
again, once the fault is fixed and an animator moved it back into the inbox."""
from __future__ import annotations

import mailbox
import shutil

import pytest

import workflows.shell.runner as runner_module
from store import Store
from support import fail_on, make_settings, member_mail
from workflows.cli import main


@pytest.fixture
def parked(tmp_path, monkeypatch):
    """A Maildir robot whose handlers fail on « Subject: PANNE »: that message parked."""
    settings = make_settings(tmp_path / "robot")
    fail_on(monkeypatch, b"Subject: PANNE")
    mailbox.Maildir(settings.mailbox.path, create=True).add(
        member_mail("p@example.net", "PANNE", "AIDE\n", message_id="<broken@client.example>"))
    store = Store.open(settings.store.path)
    outcomes = [[h.outcome for h in runner_module.Runner(settings, store).cycle().handled] for _ in range(3)]
    assert outcomes[-1] == ["parked"]
    monkeypatch.undo()  # the fault is fixed
    return settings


def rers(settings, capsys, *args):
    status = main([*args, "--config", str(settings.source)])
    out, err = capsys.readouterr()
    return status, out, err


def test_a_parked_message_is_listed_and_handled_again_after_retry(parked, capsys):
    settings = parked
    status, out, _ = rers(settings, capsys, "parked", "list")
    assert status == 0 and "<broken@client.example>" in out and "3 échec(s)" in out and "1 message(s)" in out
    assert "(Europe/Paris)" in out and "+00:00" not in out  # the network's time, not a stored stamp

    # Moved back without retry: parked again, as before.
    error_new = settings.mailbox.path / f".{settings.mailbox.error_folder}" / "new"
    (file,) = error_new.iterdir()
    shutil.move(str(file), settings.mailbox.path / "new" / file.name)
    store = Store.open(settings.store.path)
    assert [h.outcome for h in runner_module.Runner(settings, store).cycle().handled] == ["parked"]

    status, out, _ = rers(settings, capsys, "parked", "retry", "broken@client.example")
    assert status == 0 and "sera traité de nouveau" in out
    (file,) = error_new.iterdir()
    shutil.move(str(file), settings.mailbox.path / "new" / file.name)
    store = Store.open(settings.store.path)
    assert [h.outcome for h in runner_module.Runner(settings, store).cycle().handled] == ["handled: help sent"]
    assert rers(settings, capsys, "parked", "list")[1].strip().endswith("0 message(s) dans le dossier 'Erreurs'")


def test_retry_of_an_unknown_message_says_so(parked, capsys):
    status, _, err = rers(parked, capsys, "parked", "retry", "<nothing@example.org>")
    assert status == 1 and "pas de message mis de côté <nothing@example.org>" in err
