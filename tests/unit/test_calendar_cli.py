"""`rers calendar add | cancel | list`, run in process on the embedded default (Maildir in,
outbox folder out): the store changes, invitations are sent, the files are published."""
from __future__ import annotations

from datetime import date

import icalendar
import pytest
import recurring_ical_events

from calendar_support import PERMANENCE, in_transaction, read_mail, robot
from store import Store
from workflows.steps.attendance import record_answer
from workflows.steps.calendar import load_series
from workflows.cli import main


@pytest.fixture
def bot(tmp_path, monkeypatch):
    monkeypatch.setenv("RERS_NOW", "2026-11-23T09:00:00+00:00")
    bot = robot(tmp_path)
    bot.add_member("M-1", "marie@example.org", name="Marie Dupont")
    return bot


def rers(bot, *args) -> int:
    return main(["calendar", *args, "--config", str(bot.root / "rers.toml")])


def sent(bot) -> list:
    return [read_mail(p.read_bytes()) for p in sorted((bot.root / "outbox").glob("*.eml"))]


def feed_days(bot, first: date, last: date) -> set[tuple[str, date]]:
    cal = icalendar.Calendar.from_ical((bot.root / "calendar" / "calendrier.ics").read_bytes())
    return {(str(e["UID"]), e["DTSTART"].dt.date()) for e in recurring_ical_events.of(cal).between(first, last)}


def test_add_a_meeting(bot, capsys):
    assert rers(bot, "add", "meeting", "2027-01-14", "14:00-16:00", "--place", "Salle du Havre") == 0
    out = capsys.readouterr().out
    uid = "rencontre-20270114-1400-58a6ab90@example.org"
    assert f"fait : ajouté : Rencontre du RERS de Test (2027-01-14, 14:00-16:00, uid {uid})" in out
    assert "mail(s) envoyé(s)" in out and "écrit : " in out
    store = Store.open(bot.settings.store.path)
    assert load_series(store)[uid].place == "Salle du Havre"
    subjects = sorted(str(m["Subject"]) for m in sent(bot))
    assert subjects.count("Invitation : Rencontre du RERS de Test – jeudi 14 janvier 2027 à 14 h") == 3
    assert (uid, date(2027, 1, 14)) in feed_days(bot, date(2027, 1, 1), date(2027, 2, 1))


def test_cancel_a_permanence_then_a_meeting(bot, capsys):
    assert rers(bot, "add", "workshop", "20/01/2027", "10h-12h", "--title", "Tricot") == 0
    assert rers(bot, "cancel", "2026-12-07") == 0
    assert "fait : permanence du 2026-12-07 annulée" in capsys.readouterr().out
    assert (PERMANENCE, date(2026, 12, 7)) not in feed_days(bot, date(2026, 12, 1), date(2026, 12, 31))
    assert rers(bot, "cancel", "atelier-20270120-1000") == 0
    assert "fait : Tricot (2027-01-20) annulé" in capsys.readouterr().out
    subjects = [str(m["Subject"]) for m in sent(bot)]
    assert subjects.count("Annulé : Permanence du RERS de Test – lundi 7 décembre 2026 à 9 h") == 3
    assert subjects.count("Annulé : Tricot – mercredi 20 janvier 2027 à 10 h") == 3
    assert not (bot.root / "calendar" / "event-atelier-20270120-1000-58a6ab90.ics").exists()


@pytest.mark.parametrize("args, words", [
    (("cancel", "2026-12-08"), "2026-12-08 n’est pas un jour de permanence (la permanence a lieu le lundi)"),
    (("cancel", "2026-11-16"), "2026-11-16 est déjà passé"),
    (("cancel", "nothing-here"), "pas d’événement nothing-here@example.org"),
    (("cancel", "not a uid!"), "ni une date"),
    (("cancel", "2027-02-29"), "le 29 février 2027 n’existe pas"),
    (("add", "meeting", "2027-01-14", "16:00-14:00"), "l’heure de fin doit être après l’heure de début"),
    (("add", "meeting", "2030-01-14", "14:00-16:00"),
     "2030-01-14 est après la fin du calendrier publié (2027-12-31)"),
])
def test_refusals_are_one_line_and_a_failure_status(bot, capsys, args, words):
    assert rers(bot, *args) == 1
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1
    assert not sent(bot)


def test_bad_arguments_are_usage_errors(bot, capsys):
    with pytest.raises(SystemExit) as exit_:
        rers(bot, "add", "meeting", "14 janvier", "14:00-16:00")
    assert exit_.value.code == 2
    with pytest.raises(SystemExit):
        rers(bot, "add", "meeting", "2027-01-14", "quatorze heures")


def test_list_shows_who_comes(bot, capsys):
    in_transaction(bot.store, record_answer, bot.ctx(), uid=PERMANENCE, occurrence=date(2026, 11, 30),
                   address="marie@example.org", partstat="accepted")
    rers(bot, "publish")
    capsys.readouterr()
    assert rers(bot, "list", "--days", "14") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"2026-11-23 lun. 09:00-12:00  Permanence du RERS de Test  [{PERMANENCE}]"
    assert lines[2] == f"2026-11-30 lun. 09:00-12:00  Permanence du RERS de Test  [{PERMANENCE}]"
    assert lines[3] == "    oui (1) : Marie Dupont (M-1) ; peut-être : 0 ; non : 0"
    assert len(lines) == 6


def test_list_before_anything_was_published(bot, capsys):
    assert rers(bot, "list", "--days", "3") == 0
    assert "Permanence du RERS de Test" in capsys.readouterr().out


def test_publish_after_a_closure_added_to_the_config_sends_the_cancellation(bot, capsys):
    assert rers(bot, "publish") == 0
    capsys.readouterr()
    config = bot.root / "rers.toml"
    config.write_text(config.read_text().replace('output_dir = "calendar"',
                                                 'output_dir = "calendar"\nclosures = ["2026-12-07"]'))
    assert rers(bot, "publish") == 0
    out = capsys.readouterr().out
    assert "écrit : " in out and "3 mail(s) envoyé(s)" in out
    subjects = [str(m["Subject"]) for m in sent(bot)]
    assert subjects.count("Annulé : Permanence du RERS de Test – lundi 7 décembre 2026 à 9 h") == 3
    assert rers(bot, "publish") == 0
    assert "inchangé : " in capsys.readouterr().out


def test_list_shows_cancelled_dates_and_closures_in_their_place(bot, capsys):
    config = bot.root / "rers.toml"
    config.write_text(config.read_text().replace('output_dir = "calendar"',
                                                 'output_dir = "calendar"\nclosures = ["2026-12-14", "2026-12-16"]'))
    assert rers(bot, "cancel", "2026-12-07") == 0
    capsys.readouterr()
    assert rers(bot, "list", "--days", "28") == 0
    lines = capsys.readouterr().out.splitlines()
    days = [line for line in lines if not line.startswith(" ")]
    assert days[:1] == [f"2026-11-23 lun. 09:00-12:00  Permanence du RERS de Test  [{PERMANENCE}]"]
    assert f"2026-12-07 lun. 09:00  N’A PAS LIEU (annulé)  Permanence du RERS de Test  [{PERMANENCE}]" in days
    assert f"2026-12-14 lun. 09:00  N’A PAS LIEU (fermeture)  Permanence du RERS de Test  [{PERMANENCE}]" in days
    assert "2026-12-16 mer.        fermé ([calendar] closures)" in days  # a closure on no event's day
    assert [line[:10] for line in days] == sorted(line[:10] for line in days)
