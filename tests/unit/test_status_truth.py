"""`rers status` tells the truth about the last cycle whoever ran it: a failed `rers poll`
(cron) is kept as `rers run` keeps its own, a later successful cycle clears it, and the
reason is said in the network's language (a password variable not set too)."""
from __future__ import annotations

import socket

from support import make_settings
from workflows.cli import main

SECRET = "RERS_TEST_STATUS_SECRET"


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on: a connection there is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def imap(port: int) -> str:
    return (f'kind = "imap"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nusername = "robot"\n'
            f'password_env = "{SECRET}"\ntimeout_seconds = 2\n')


def rers(capsys, *argv) -> tuple[int, str]:
    status = main(list(argv))
    out = capsys.readouterr()
    return status, out.out + out.err


def test_a_failed_poll_is_said_by_status_until_a_cycle_succeeds(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(SECRET, "secret")
    config = str(make_settings(tmp_path, mailbox=imap(closed_port())).source)
    assert rers(capsys, "poll", "--config", config)[0] == 1
    status, out = rers(capsys, "status", "--config", config)
    assert status == 1 and "Le dernier cycle a échoué" in out and "127.0.0.1" in out, out
    make_settings(tmp_path)  # the mailbox corrected: a Maildir now
    assert rers(capsys, "poll", "--config", config)[0] == 0
    status, out = rers(capsys, "status", "--config", config)
    assert status == 0 and "a échoué" not in out, out


def test_a_password_not_set_is_said_in_french_and_replaced_by_the_current_reason(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(SECRET, raising=False)
    config = str(make_settings(tmp_path, mailbox=imap(closed_port())).source)
    assert rers(capsys, "run", "--config", config)[0] == 2
    status, out = rers(capsys, "status", "--config", config)
    assert status == 1 and f"[mailbox] ne peut pas se connecter : la variable d’environnement {SECRET}" in out, out
    assert "cannot log in" not in out and "is not set" not in out
    monkeypatch.setenv(SECRET, "secret")
    assert rers(capsys, "poll", "--config", config)[0] == 1  # the server is not there either
    status, out = rers(capsys, "status", "--config", config)
    assert status == 1 and SECRET not in out and "127.0.0.1" in out, "the current reason, not the stale one"


def test_poll_says_a_password_not_set_before_trying_an_unreachable_server(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(SECRET, raising=False)
    config = str(make_settings(tmp_path, mailbox=imap(closed_port())).source)
    status, out = rers(capsys, "poll", "--once", "--config", config)
    assert status == 2, "as `rers run`: no retry fixes it"
    assert f"[mailbox] ne peut pas se connecter : la variable d’environnement {SECRET}" in out, out
    assert "127.0.0.1" not in out, "no connection was tried"
    status, out = rers(capsys, "status", "--config", config)
    assert status == 1 and SECRET in out, "kept for the cron's probe"


def test_status_says_its_times_in_the_network_s_zone_and_never_ago_for_the_future(tmp_path, monkeypatch):
    from datetime import datetime, timezone

    from store import Store
    from workflows.shell.status import status_text

    settings = make_settings(tmp_path)
    store = Store.open(settings.store.path)
    with store.transaction():
        store.set_state("last_cycle", "2027-01-04T08:00:00+00:00")
    past = status_text(settings, store, datetime(2027, 1, 7, 8, 0, tzinfo=timezone.utc))
    assert "Dernier cycle réussi : lundi 4 janvier 2027 à 09:00 (Europe/Paris) (il y a 3 jours)." in past, past
    assert "UTC" not in past.splitlines()[1]
    future = status_text(settings, store, datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc))
    assert "(dans 4 mois)" in future and "il y a" not in future, future
    with store.transaction():
        store.set_state("last_cycle", "2027-03-01T08:00:00+00:00")
    first = status_text(settings, store, datetime(2027, 3, 2, 8, 0, tzinfo=timezone.utc))
    assert "lundi 1er mars 2027 à 09:00" in first, "French writes the first of the month « 1er », as the mails do"


def test_departures_are_said_in_the_network_s_local_time_not_utc(tmp_path):
    from datetime import datetime, timezone

    from workflows.shell.language import Words
    from workflows.shell.status import clock_time

    settings = make_settings(tmp_path)  # Europe/Paris: UTC+1 in January
    now = datetime(2027, 1, 4, 8, 0, tzinfo=timezone.utc)
    say = Words("fr")
    assert clock_time(datetime(2027, 1, 4, 8, 5, tzinfo=timezone.utc), now, settings, say) == "09:05"
    later = clock_time(datetime(2027, 1, 5, 8, 5, tzinfo=timezone.utc), now, settings, say)
    assert "05/01/2027" in later and "09:05" in later and "UTC" not in later


def test_a_failed_job_is_said_by_status_until_that_job_succeeds(tmp_path, capsys):
    settings = make_settings(tmp_path)
    config = str(settings.source)
    (tmp_path / "calendar").write_text("not a folder\n")  # output_dir is a file: publishing fails
    status, out = rers(capsys, "jobs", "--config", config)
    assert status == 1 and "FAIL  calendrier" in out, out
    status, out = rers(capsys, "status", "--config", config)
    assert status == 1 and "La tâche calendrier a échoué" in out, out
    (tmp_path / "calendar").unlink()
    assert rers(capsys, "jobs", "--config", config)[0] == 0
    status, out = rers(capsys, "status", "--config", config)
    assert status == 0 and "a échoué" not in out, out
