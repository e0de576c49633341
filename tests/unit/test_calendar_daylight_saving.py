"""A meeting at a wall-clock time that daylight saving skips (DTSTART;TZID=Europe/Paris at
02:30 on the last Sunday of March does not exist) is refused with the reason; one at a
time that happens twice (the last Sunday of October) is accepted with a warning, read as
the first of the two (RFC 5545 3.3.5)."""
from __future__ import annotations

import json
from datetime import date, time

import pytest

from calendar_support import NOW, command, in_transaction, last_answer, robot
from workflows.steps.event_commands import add_one_off, on_event_command
from workflows.shell.publish import publish_calendar
from workflows.steps.calendar import load_series
from workflows.events.rules import wall_clock_problem
from workflows.mail.render import BUILTIN_TEMPLATES, Renderer


@pytest.fixture
def bot(tmp_path):
    bot = robot(tmp_path)
    publish_calendar(bot.settings, bot.store, NOW)
    return bot


@pytest.mark.parametrize("day, at, expected", [
    (date(2027, 3, 28), time(2, 30), "nonexistent"),
    (date(2027, 3, 28), time(2, 0), "nonexistent"),
    (date(2027, 3, 28), time(3, 0), None),
    (date(2027, 10, 31), time(2, 30), "ambiguous"),
    (date(2027, 10, 31), time(3, 0), None),
    (date(2027, 1, 14), time(2, 30), None),
])
def test_wall_clock_problem(day, at, expected):
    assert wall_clock_problem(day, at, "Europe/Paris") == expected


def answer_text(bot) -> tuple[str, str]:
    return last_answer(bot)


def test_a_dtstart_that_does_not_exist_is_refused_by_mail(bot):
    outcome = in_transaction(bot.store, on_event_command, bot.ctx(), command("meeting", date="2027-03-28", start="02:30", end="03:30",
                                                      place="Nuit", title=None))
    assert outcome == "event_command meeting: refused (nonexistent_time)"
    assert not any(uid.startswith("rencontre") for uid in load_series(bot.store))
    subject, text = answer_text(bot)
    assert subject.startswith("Commande non exécutée")
    assert "2 h 30 n'existe pas" in text and "heure d'été" in text


def test_a_dtend_that_does_not_exist_is_refused(bot):
    outcome = in_transaction(bot.store, add_one_off, bot.ctx(), "meeting", date(2027, 3, 28), time(1), time(2, 15))
    assert (outcome.status, outcome.reason) == ("refused", "nonexistent_time")


def test_an_ambiguous_dtstart_is_accepted_with_a_warning(bot):
    outcome = in_transaction(bot.store, on_event_command, bot.ctx(), command("meeting", date="2027-10-31", start="02:30", end="04:00",
                                                      place=None, title=None))
    assert outcome == "event_command meeting: done"
    _, text = answer_text(bot)
    assert "Attention : le dimanche 31 octobre 2027, 2 h 30 existe deux fois" in text


def test_command_line_refuses_a_time_that_does_not_exist(bot, monkeypatch, capsys):
    from workflows.cli import main

    monkeypatch.setenv("RERS_NOW", NOW.isoformat())
    config = ["--config", str(bot.root / "rers.toml")]
    assert main(["calendar", "add", "meeting", "2027-03-28", "02:30-03:30", *config]) != 0
    err = capsys.readouterr().err
    assert "02:30 n’existe pas le 2027-03-28" in err
    assert main(["calendar", "add", "meeting", "2027-10-31", "02:30-04:00", *config]) == 0
    assert "attention : 02:30 arrive deux fois le 2027-10-31" in capsys.readouterr().out


@pytest.mark.parametrize("language, refusal, warning", [
    ("fr", "2 h 30 n'existe pas", "2 h 30 existe deux fois"),
    ("en", "2:30 AM does not exist", "2:30 AM happens twice"),
])
def test_both_languages_explain(language, refusal, warning):
    data = json.loads((BUILTIN_TEMPLATES / "examples" / "event_command_done.json").read_text(encoding="utf-8"))
    base = {"network": {"name": "RERS", "address": "r@example.org", "animators": [],
                        "permanence": {"weekday": "monday", "start": "2026-01-05T09:00:00",
                                       "end": "2026-01-05T12:00:00", "place": ""}},
            "now": "2026-11-23T09:00:00+00:00"}
    refused = {**data, "status": "refused", "reason": "nonexistent_time", "day": "2027-03-28",
               "detail": {**data["detail"], "time": "2027-03-28T02:30:00"}}
    text = " ".join(Renderer(language).render("event_command_done", {**base, **refused}).text.split())
    assert refusal in text
    done = {**data, "day": "2027-10-31",
            "detail": {**data["detail"], "warnings": [{"kind": "ambiguous_time", "time": "2027-10-31T02:30:00"}]}}
    rendered = Renderer(language).render("event_command_done", {**base, **done})
    assert warning in " ".join(rendered.text.split()) and warning.split()[0] in rendered.html
