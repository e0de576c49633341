"""Issue 14, "a store that vanished": the store file and its backup both missing (a disk
not mounted, a folder moved) is never silently replaced by an empty store. The robot's
commands refuse in one line, `rers doctor` says so, and only `rers init` (or
`rers init --store`, or `rers demo`) creates a store."""
from __future__ import annotations

import json
import shutil

import pytest

from store import Store
from support import member_mail, make_settings
from workflows.cli import main
from workflows.shell.language import Words


def rers(capsys, *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def network(tmp_path):
    """A robot folder whose store holds one member, then loses its disk."""
    settings = make_settings(tmp_path / "robot")
    store = Store.open(settings.store.path)
    with store.transaction():
        store.members.insert({"ref": "M-1", "address": "marie@example.org", "status": "confirmed"})
    with store.transaction():
        pass  # a backup too
    return settings


def _unmount(settings) -> None:
    shutil.rmtree(settings.store.path.parent)


@pytest.mark.parametrize("command", [["poll"], ["jobs"], ["status"], ["members", "list"], ["catalogue", "publish"],
                                     ["calendar", "publish"]])
def test_every_command_refuses_a_store_that_vanished_in_one_line(network, capsys, command):
    _unmount(network)
    (network.mailbox.path / "new").mkdir(parents=True, exist_ok=True)
    (network.mailbox.path / "new" / "1.eml").write_bytes(member_mail("marie@example.org", "AIDE", "?"))
    status, out, err = rers(capsys, *command, "--config", str(network.source))
    assert status == 1
    lines = err.strip().splitlines()
    assert lines == ["rers: " + Words("fr")(
        "there is no store at {path} (nor its backup {backup}): if its disk is not mounted, mount it; if it was "
        "moved, set [store] path; for a new network, create it with `rers init --store`", path=network.store.path,
        backup="rers.json.bak")], err
    assert not network.store.path.exists() and not network.store.path.with_name("rers.json.bak").exists()
    assert list((network.mailbox.path / "new").iterdir()), "the mail waits for the store to come back"


def test_doctor_says_so(network, capsys):
    _unmount(network)
    status, out, _ = rers(capsys, "doctor", "--config", str(network.source))
    assert status == 1
    assert "FAIL  store" in out and "il n’y a pas de base à" in out and "n’est pas monté" in out
    assert not network.store.path.parent.exists(), "doctor creates nothing"


def test_a_running_robot_stops_writing_when_its_store_vanishes(network):
    from workflows.shell.runner import Runner
    from store import StoreMissing

    store = Store.open(network.store.path)
    _unmount(network)
    (network.mailbox.path / "new").mkdir(parents=True, exist_ok=True)
    (network.mailbox.path / "new" / "1.eml").write_bytes(member_mail("marie@example.org", "AIDE", "?"))
    with pytest.raises(StoreMissing, match="disappeared"):
        Runner(network, store).cycle()
    assert not network.store.path.exists()
    assert list((network.mailbox.path / "new").iterdir()), "not marked done: nothing was recorded"


def test_init_creates_the_store_and_init_store_only_when_there_is_none(tmp_path, capsys):
    status, out, _ = rers(capsys, "init", str(tmp_path / "net"))
    assert status == 0
    path = tmp_path / "net" / "store" / "rers.json"
    assert json.loads(path.read_text())["_meta"]["1"]["schema_version"] >= 1
    config = str(tmp_path / "net" / "rers.toml")
    status, _, err = rers(capsys, "init", "--store", "--config", config)
    assert status == 1 and "already exists" in err
    path.unlink()
    status, _, err = rers(capsys, "init", "--store", "--config", config)
    assert status == 0 and path.exists()
    status, out, _ = rers(capsys, "doctor", "--config", config)
    assert "ok    store" in out


def test_init_force_keeps_the_store(tmp_path, capsys):
    assert rers(capsys, "init", str(tmp_path / "net"))[0] == 0
    store = Store.open(tmp_path / "net" / "store" / "rers.json")
    with store.transaction():
        store.members.insert({"ref": "M-1", "address": "marie@example.org", "status": "confirmed"})
    assert rers(capsys, "init", "--force", str(tmp_path / "net"))[0] == 0
    assert Store.open(store.path).members.count() == 1
