"""Correcting a one-off meeting or workshop (the same RENCONTRE/ATELIER command again):
what the command leaves out stays as it was (LOCATION, DTEND, SUMMARY), the SEQUENCE
moves only on a real change, and the animator is told what changed. Sent again after the
event was cancelled (METHOD:CANCEL), it puts it back: invitees get a METHOD:REQUEST with
a higher SEQUENCE worded as scheduled again, never a silent "Mise à jour"."""
from __future__ import annotations

from datetime import date, time

import pytest

from calendar_support import NOW, calendar_part, command, in_transaction, robot, text_of
from store import Store
from workflows.steps.event_commands import add_one_off, cancel_event, on_event_command
from workflows.shell.publish import publish_calendar
from workflows.steps.calendar import load_series
from workflows.cli import main

UID = "rencontre-20270114-1400-58a6ab90@example.org"


@pytest.fixture
def bot(tmp_path):
    bot = robot(tmp_path)
    bot.add_member("M-1", "marie@example.org", name="Marie Dupont")
    publish_calendar(bot.settings, bot.store, NOW)
    return bot


def handle(bot, message_id: str, **fields) -> str:
    fields = {"start": None, "end": None, "place": None, "title": None, **fields}
    return in_transaction(bot.store, on_event_command, bot.ctx(), command("meeting", message_id=message_id, **fields))


def last_answer(bot) -> tuple[str, str]:
    """The last answer to the animator: its subject and its text on one line."""
    doc, msg = bot.mails("event_command_done")[-1]
    return str(msg["Subject"]), " ".join(text_of(msg).split())


def updates(bot) -> list:
    return [m for d, m in bot.mails("invitation") if UID in d["cause"] and str(m["Subject"]).startswith("Mise à jour")]


def test_correction_without_location_nor_dtend_keeps_them_and_the_sequence(bot):
    handle(bot, "<c1@x>", date="2027-01-14", start="14:00", end="16:00", place="Salle du Havre")
    invitations = len(bot.mails("invitation"))
    outcome = handle(bot, "<c2@x>", date="2027-01-14", start="14:00")
    assert outcome == "event_command meeting: unchanged"
    series = load_series(bot.store)[UID]
    assert (series.place, series.end_time, series.sequence) == ("Salle du Havre", time(16), 0)
    assert len(bot.mails("invitation")) == invitations
    subject, text = last_answer(bot)
    assert subject.startswith("Rien à changer")
    assert "le robot a compté 2 heures" not in text
    assert "reste comme avant : le lieu (Salle du Havre), l'heure de fin (16 h)" in text


def test_correction_of_dtend_only_keeps_the_location_in_the_request(bot):
    handle(bot, "<c1@x>", date="2027-01-14", start="14:00", end="16:00", place="Salle du Havre")
    outcome = handle(bot, "<c2@x>", date="2027-01-14", start="14:00", end="17:00")
    assert outcome == "event_command meeting: done"
    series = load_series(bot.store)[UID]
    assert (series.place, series.end_time, series.sequence) == ("Salle du Havre", time(17), 1)
    mails = updates(bot)
    assert len(mails) == 3
    assert "Où : Salle du Havre" in text_of(mails[0])
    _, cal = calendar_part(mails[0])
    event = cal.walk("VEVENT")[0]
    assert str(event["LOCATION"]) == "Salle du Havre" and int(event["SEQUENCE"]) == 1
    subject, text = last_answer(bot)
    assert subject == "Fait : événement « Rencontre du RERS de Test » mis à jour au calendrier"
    assert "Ce qui change : l'heure de fin (avant : 16 h)" in text
    assert "reste comme avant : le lieu (Salle du Havre)." in text


def test_a_new_location_is_said_with_the_old_one(bot):
    handle(bot, "<c1@x>", date="2027-01-14", start="14:00", end="16:00", place="Salle A")
    handle(bot, "<c2@x>", date="2027-01-14", start="14:00", end="16:00", place="Salle B")
    assert load_series(bot.store)[UID].place == "Salle B"
    _, text = last_answer(bot)
    assert "Ce qui change : le lieu (avant : Salle A)" in text


def test_a_new_meeting_without_dtend_still_lasts_two_hours(bot):
    handle(bot, "<c1@x>", date="2027-01-14", start="14:00")
    series = load_series(bot.store)[UID]
    assert (series.end_time, series.place) == (time(16), "")
    _, text = last_answer(bot)
    assert "le robot a compté 2 heures" in text and "comme avant" not in text


def test_command_line_correction_keeps_the_location_and_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RERS_NOW", "2026-11-23T09:00:00+00:00")
    bot = robot(tmp_path)
    config = ["--config", str(bot.root / "rers.toml")]
    assert main(["calendar", "add", "meeting", "2027-01-14", "14:00-16:00", "--place", "Salle du Havre", *config]) == 0
    assert main(["calendar", "add", "meeting", "2027-01-14", "14:00-17:00", *config]) == 0
    out = capsys.readouterr().out
    assert "mis à jour : Rencontre du RERS de Test (2027-01-14, 14:00-17:00" in out
    assert "heure de fin était 16:00 ; gardé comme avant : lieu" in out
    series = load_series(Store.open(bot.settings.store.path))[UID]
    assert (series.place, series.sequence) == ("Salle du Havre", 1)
    assert main(["calendar", "add", "meeting", "2027-01-14", "14:00-17:00", "--place", "", *config]) == 0
    assert load_series(Store.open(bot.settings.store.path))[UID].place == ""


@pytest.fixture
def cancelled(bot):
    """The robot after a meeting was added, then cancelled."""
    ctx = bot.ctx()
    in_transaction(bot.store, add_one_off, ctx, "meeting", date(2027, 1, 14), time(14), time(16), place="Salle A")
    in_transaction(bot.store, cancel_event, ctx, UID)
    return bot


def test_re_adding_a_cancelled_meeting_sends_a_request_worded_as_scheduled_again(cancelled):
    bot = cancelled
    before = {d["message_id"] for d in bot.store.outbox.all()}
    outcome = in_transaction(bot.store, on_event_command, bot.ctx(), command("meeting", date="2027-01-14", start="14:00", end="16:00",
                                                      place="Salle A", title=None))
    assert outcome == "event_command meeting: done"
    series = load_series(bot.store)[UID]
    assert not series.cancelled and series.sequence == 2
    new = [m for d, m in bot.mails("invitation") if d["message_id"] not in before]
    assert len(new) == 3
    subject = str(new[0]["Subject"])
    assert subject.startswith("De nouveau prévu : Rencontre du RERS de Test")
    assert "Mise à jour" not in subject
    text = " ".join(text_of(new[0]).split())
    assert "avait été annulé" in text and "de nouveau prévu" in text
    part, cal = calendar_part(new[0])
    event = cal.walk("VEVENT")[0]
    assert part.get_param("method") == "REQUEST"
    assert int(event["SEQUENCE"]) == 2 and str(event["STATUS"]) == "CONFIRMED"
    doc, answer = bot.mails("event_command_done")[-1]
    assert str(answer["Subject"]) == "Fait : événement « Rencontre du RERS de Test » de nouveau au calendrier"
    assert "annulé auparavant" in " ".join(text_of(answer).split())


def test_command_line_says_scheduled_again(cancelled, monkeypatch, capsys):
    bot = cancelled
    monkeypatch.setenv("RERS_NOW", NOW.isoformat())
    assert main(["calendar", "add", "meeting", "2027-01-14", "14:00-16:00",
                 "--config", str(bot.root / "rers.toml")]) == 0
    assert "fait : reprogrammé : Rencontre du RERS de Test" in capsys.readouterr().out
