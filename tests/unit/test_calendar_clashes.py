"""A RENCONTRE/ATELIER on the slot of another event (the monthly meeting, the permanence),
on a public holiday or on a closure day is accepted — the animators know best — but the
answer warns plainly, and `rers calendar list` marks occurrences that overlap."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, time

import pytest

from calendar_support import NOW, command, in_transaction, last_answer, robot
from workflows.steps.event_commands import add_one_off, on_event_command
from workflows.shell.publish import publish_calendar

MONTHLY = "[calendar.monthly_meeting]\nenabled = true\n"  # second Thursday, 14:00-16:00


@pytest.fixture
def bot(tmp_path):
    bot = robot(tmp_path, extra=MONTHLY)
    calendar = replace(bot.settings.calendar, closures=(date(2027, 2, 15),))
    bot.settings = replace(bot.settings, calendar=calendar)
    publish_calendar(bot.settings, bot.store, NOW)
    return bot


def answer_text(bot) -> str:
    return last_answer(bot)[1]


def test_a_meeting_on_the_monthly_meetings_dtstart_is_accepted_with_a_warning(bot):
    outcome = in_transaction(bot.store, on_event_command, bot.ctx(), command("meeting", date="2027-01-14", start="15:00", end="17:00",
                                                      place="Salle du Havre", title=None))
    assert outcome == "event_command meeting: done"
    text = answer_text(bot)
    assert ("Attention : « Rencontre mensuelle du RERS de Test » a déjà lieu à cette heure "
            "(le jeudi 14 janvier 2027, de 14 h à 16 h)") in text


def test_no_warning_for_a_free_slot_the_same_day(bot):
    outcome = in_transaction(bot.store, add_one_off, bot.ctx(), "meeting", date(2027, 1, 14), time(16), time(18))
    assert outcome.status == "done" and outcome.detail["warnings"] == []


def test_public_holiday_and_closure_are_warned(bot):
    ctx = bot.ctx()
    holiday = in_transaction(bot.store, add_one_off, ctx, "workshop", date(2027, 5, 1), time(10), time(12),
                             title="Jardin")
    assert holiday.status == "done"
    assert holiday.detail["warnings"] == [{"kind": "holiday", "name": "Fête du Travail"}]
    closure = in_transaction(bot.store, add_one_off, ctx, "workshop", date(2027, 2, 15), time(14), time(16),
                             title="Couture")
    assert closure.detail["warnings"] == [{"kind": "closure"}]


def test_holiday_warning_by_mail(bot):
    in_transaction(bot.store, on_event_command, bot.ctx(), command("workshop", date="2027-05-01", start="10:00", end="12:00",
                                            place=None, title="Jardin"))
    assert "Attention : le samedi 1er mai 2027 est un jour férié (Fête du Travail)" in answer_text(bot)


def test_command_line_warns_and_list_marks_the_overlap(bot, monkeypatch, capsys):
    from workflows.cli import main

    monkeypatch.setenv("RERS_NOW", "2027-01-04T09:00:00+00:00")
    config = ["--config", str(bot.root / "rers.toml")]
    assert main(["calendar", "add", "meeting", "2027-01-14", "14:00-16:00", *config]) == 0
    out = capsys.readouterr().out
    assert "attention : Rencontre mensuelle du RERS de Test a déjà lieu à cette heure-là (14:00-16:00)" in out
    assert main(["calendar", "list", "--days", "14", *config]) == 0
    out = capsys.readouterr().out
    assert out.count("en même temps que") == 2


def test_english_answer_warns_too(tmp_path):
    bot = robot(tmp_path, extra=MONTHLY, network='language = "en"')
    publish_calendar(bot.settings, bot.store, NOW)
    in_transaction(bot.store, on_event_command, bot.ctx(), command("meeting", date="2027-01-14", start="14:00", end="16:00",
                                            place=None, title=None))
    assert 'Warning: "RERS de Test monthly meeting" already takes place at this time' in answer_text(bot)
