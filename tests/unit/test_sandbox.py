"""`rers sandbox DIR`: a training copy where nothing reaches real people and `--now` moves
the clock; `--now` is refused on a live network."""
from __future__ import annotations

import email
from pathlib import Path

import pytest

from config.settings import load
from support import config_text
from workflows.cli import main
from workflows.shell.clock import FURTHEST
from workflows.shell.sandbox import MARKER, is_sandbox, sandbox_config

LIVE_MAILBOX = 'kind = "imap"\nhost = "imap.example.org"\nusername = "rers@example.org"\nauth = "xoauth2"'
LIVE_TRANSPORT = ('kind = "smtp"\nhost = "smtp.example.org"\nusername = "rers@example.org"\nauth = "xoauth2"\n'
                  'sent_folder = "Envoyés"\nsend_limits = "microsoft365"')
OAUTH = '[oauth2]\nprovider = "command"\ntoken_command = "oama access rers@example.org"\n'


@pytest.fixture(autouse=True)
def clock_restored(monkeypatch):
    """`--now` sets RERS_NOW for the process: monkeypatch puts it back after each test."""
    monkeypatch.setenv("RERS_NOW", "")


def live_network(root: Path) -> Path:
    """A network on IMAP and SMTP with its own templates folder and a store."""
    from store import Store

    root.mkdir(parents=True)
    (root / "textes").mkdir()
    (root / "textes" / "README").write_text("the animators' texts")
    text = config_text(root, mailbox=LIVE_MAILBOX, transport=LIVE_TRANSPORT, extra=OAUTH,
                       network='templates_dir = "textes"')
    (root / "rers.toml").write_text(text)
    Store.create(root / "store" / "rers.json")
    return root / "rers.toml"


def test_the_copy_s_configuration_cannot_send(tmp_path):
    text = config_text(tmp_path, mailbox=LIVE_MAILBOX, transport=LIVE_TRANSPORT, extra=OAUTH,
                       network='templates_dir = "/srv/rers/textes"')
    copy = sandbox_config(text, {("calendar", "output_dir"): "calendar", ("network", "templates_dir"): "textes"})
    assert "imap.example.org" not in copy and "smtp.example.org" not in copy and "oama" not in copy
    assert "[oauth2]" not in copy and "sent_folder" not in copy
    assert 'kind = "maildir"\npath = "mail"' in copy and 'kind = "folder"\npath = "outbox"' in copy
    assert 'templates_dir = "textes"' in copy and 'name = "RERS de Test"' in copy


def test_a_network_is_copied_and_never_touched(tmp_path, capsys):
    live = live_network(tmp_path / "live")
    before = {p: p.read_bytes() for p in (tmp_path / "live").rglob("*") if p.is_file()}
    sandbox = tmp_path / "sandbox"
    assert main(["sandbox", str(sandbox), "--config", str(live)]) == 0
    assert "rien n’en sort" in capsys.readouterr().out.lower()
    settings = load(sandbox / "rers.toml")
    assert is_sandbox(settings) and settings.oauth2 is None
    assert settings.store.path == sandbox / "store" / "rers.json" and settings.store.path.is_file()
    assert (sandbox / "templates" / "README").read_text() == "the animators' texts"
    assert main(["--now", "2027-02-01", "jobs", "--config", str(sandbox / "rers.toml")]) == 0
    after = {p: p.read_bytes() for p in (tmp_path / "live").rglob("*") if p.is_file()}
    assert after == before


def test_now_is_refused_on_a_live_network(tmp_path, capsys):
    live = live_network(tmp_path / "live")
    assert main(["--now", "2027-01-04", "status", "--config", str(live)]) == 2
    said = capsys.readouterr().err
    assert "bac à sable" in said and "réseau réel" in said and "rers sandbox DOSSIER" in said


def test_a_folder_that_can_send_is_no_sandbox_even_with_the_marker(tmp_path, capsys):
    live = live_network(tmp_path / "live")
    (live.parent / MARKER).write_text("copied by hand")
    assert main(["--now", "2027-01-04", "status", "--config", str(live)]) == 2
    assert "que d’un bac à sable" in capsys.readouterr().err


def test_a_sandbox_is_made_in_a_new_folder_only(tmp_path, capsys):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("x")
    assert main(["sandbox", str(tmp_path / "busy"), "--demo"]) == 1
    assert "n’est pas vide" in capsys.readouterr().err


def test_the_demo_sandbox_shows_a_month_in_minutes(tmp_path, capsys):
    sandbox = tmp_path / "sandbox"
    config = str(sandbox / "rers.toml")
    assert main(["sandbox", str(sandbox), "--demo"]) == 0
    assert main(["--now", "2027-01-04T10:00", "poll", "--config", config]) == 0
    assert main(["--now", "2027-01-05", "jobs", "--config", config]) == 0
    written = set((sandbox / "outbox").glob("*.eml"))
    assert main(["--now", "2027-02-01", "jobs", "--config", config]) == 0
    new = [email.message_from_bytes(p.read_bytes()) for p in set((sandbox / "outbox").glob("*.eml")) - written]
    subjects = [str(email.header.make_header(email.header.decode_header(m["Subject"]))) for m in new]
    assert any(s.startswith("Bilan du RERS") and "janvier 2027" in s for s in subjects), subjects
    assert main(["--now", "not-a-date", "status", "--config", config]) == 2
    assert "--now 'not-a-date'" in capsys.readouterr().err


def test_rers_now_is_refused_on_a_live_network_as_now_is(tmp_path, monkeypatch, capsys):
    live = live_network(tmp_path / "live")
    monkeypatch.setenv("RERS_NOW", "2027-01-04T09:00:00+00:00")
    assert main(["status", "--config", str(live)]) == 2
    said = capsys.readouterr().err
    assert "RERS_NOW n’avance l’horloge que d’un bac à sable" in said and "réseau réel" in said
    assert main(["members", "list", "--config", str(live)]) == 2, "every command, through the one clock"
    assert main(["run", "--networks", str(tmp_path)]) == 2
    assert "pas avec --networks" in capsys.readouterr().err


def test_rers_now_moves_a_sandbox_s_clock(tmp_path, monkeypatch, capsys):
    sandbox = tmp_path / "sandbox"
    assert main(["sandbox", str(sandbox), "--demo"]) == 0
    for day in ("2027-01-05", "2027-02-01"):
        monkeypatch.setenv("RERS_NOW", day)
        assert main(["jobs", "--config", str(sandbox / "rers.toml")]) == 0
    subjects = [str(email.header.make_header(email.header.decode_header(
        email.message_from_bytes(p.read_bytes())["Subject"]))) for p in (sandbox / "outbox").glob("*.eml")]
    assert any(s.startswith("Bilan du RERS") and "janvier 2027" in s for s in subjects), subjects
    monkeypatch.setenv("RERS_NOW", "soon")
    assert main(["status", "--config", str(sandbox / "rers.toml")]) == 2
    assert "RERS_NOW 'soon'" in capsys.readouterr().err


def test_a_sandbox_s_clock_does_not_go_back(tmp_path, monkeypatch, capsys):
    sandbox = tmp_path / "sandbox"
    config = str(sandbox / "rers.toml")
    assert main(["sandbox", str(sandbox), "--demo"]) == 0
    assert main(["--now", "2027-04-01", "jobs", "--config", config]) == 0
    written = set((sandbox / "outbox").glob("*.eml"))
    capsys.readouterr()
    assert main(["--now", "2027-01-01", "jobs", "--config", config]) == 2
    said = capsys.readouterr().err
    assert "--now 2027-01-01" in said and "2027-04-01T09:00" in said and "ne remonte pas le temps" in said, said
    assert set((sandbox / "outbox").glob("*.eml")) == written, "nothing was done on the earlier day"
    monkeypatch.setenv("RERS_NOW", "2027-03-31")
    assert main(["status", "--config", config]) == 2
    monkeypatch.setenv("RERS_NOW", "")
    assert main(["--now", "2027-04-01", "status", "--config", config]) == 0, "the same day again"
    assert main(["--now", "2027-04-02", "jobs", "--config", config]) == 0
    assert main(["--now", "2027-04-01", "status", "--config", config]) == 2, "the furthest moved on"


def test_a_command_that_only_looks_does_not_move_the_sandbox_s_clock(tmp_path, capsys):
    sandbox = tmp_path / "sandbox"
    config = str(sandbox / "rers.toml")
    assert main(["sandbox", str(sandbox), "--demo"]) == 0
    for looking in (["status"], ["members", "list"], ["calendar", "list"], ["doctor"]):
        assert main(["--now", "2027-06-01", *looking, "--config", config]) in (0, 1), looking
    assert not (sandbox / FURTHEST).exists(), "only looked: the clock stays where it was"
    assert main(["--now", "2027-05-01", "jobs", "--config", config]) == 0, "an earlier day is still allowed"
    assert "2027-05-01" in (sandbox / FURTHEST).read_text(encoding="utf-8"), "jobs acted: the clock moved"


def test_an_absurd_or_impossible_now_is_refused_in_french(tmp_path, capsys):
    sandbox = tmp_path / "sandbox"
    config = str(sandbox / "rers.toml")
    assert main(["sandbox", str(sandbox), "--demo"]) == 0
    capsys.readouterr()
    assert main(["--now", "9999-12-31", "jobs", "--config", config]) == 2
    assert "--now 9999-12-31 : trop loin d’aujourd’hui" in capsys.readouterr().err
    assert main(["--now", "1970-01-01", "status", "--config", config]) == 2
    assert "trop loin" in capsys.readouterr().err
    assert not (sandbox / FURTHEST).exists(), "a refused date moves nothing"
    assert main(["--now", "2027-02-30", "status", "--config", config]) == 2
    assert "--now 2027-02-30 : le 30 février 2027 n’existe pas" in capsys.readouterr().err
    assert main(["--now", "", "status", "--config", config]) == 2
    assert "--now est vide" in capsys.readouterr().err
