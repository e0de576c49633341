"""A command whose weekday and date disagree (`PERMANENCE ANNULÉE lundi 8 décembre`, and
8 December 2026 is a Tuesday) is refused, and the answer says so plainly instead of
"not a permanence day"; `rers parse` still reports the date as read."""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from calendar_support import NOW, in_transaction, incoming, last_answer, robot
from support import ANIMATORS
from workflows.steps.event_commands import on_event_command
from workflows.shell.publish import publish_calendar
from workflows.steps.calendar import load_series
from workflows.mail.animator_commands import read_command, stated_weekday
from workflows.mail.model import Parsed

PARIS_NOW = NOW.astimezone(ZoneInfo("Europe/Paris"))


@pytest.mark.parametrize("text, day, expected", [
    ("PERMANENCE ANNULÉE lundi 8 décembre", date(2026, 12, 8), 0),
    ("Permanence annulee Mardi 8 dec. 2026", date(2026, 12, 8), 1),
    ("PERMANENCE ANNULÉE lundi 08/12", date(2026, 12, 8), 0),
    ("PERMANENCE ANNULÉE le lundi 1er mars", date(2027, 3, 1), 0),
    ("PERMANENCE ANNULÉE 8 décembre", date(2026, 12, 8), None),
    ("PERMANENCE ANNULÉE 2026-12-08", date(2026, 12, 8), None),
    ("RENCONTRE jeudi 14 janvier 14h", date(2027, 1, 14), 3),
])
def test_stated_weekday(text, day, expected):
    assert stated_weekday(text, day) == expected


def test_rers_parse_still_reads_the_date_as_written():
    assert read_command("PERMANENCE ANNULÉE lundi 8 décembre", PARIS_NOW) == {
        "name": "cancel_permanence", "date": "2026-12-08"}


@pytest.fixture
def bot(tmp_path):
    bot = robot(tmp_path)
    publish_calendar(bot.settings, bot.store, NOW)
    return bot


def mail_command(subject: str, command: dict, text: str = "") -> object:
    return incoming(Parsed(intent="event_command", sender=ANIMATORS[0], message_id="<w@client.example>",
                           subject=subject, command=command, text=text))


def answer_text(bot) -> str:
    return last_answer(bot)[1]


def test_permanence_annulee_with_a_wrong_weekday_is_refused_saying_why(bot):
    events = bot.store.events.all()
    outcome = in_transaction(bot.store, on_event_command, bot.ctx(), mail_command(
        "Re: PERMANENCE ANNULÉE lundi 8 décembre", {"name": "cancel_permanence", "date": "2026-12-08"}))
    assert outcome == "event_command cancel_permanence: refused (weekday_mismatch)"
    assert bot.store.events.all() == events
    text = answer_text(bot)
    assert "le 8 décembre 2026 est un mardi, pas un lundi" in text.lower()
    assert "pas un jour de permanence" not in text


def test_the_weekday_may_be_in_the_body(bot):
    outcome = in_transaction(bot.store, on_event_command, bot.ctx(), mail_command(
        "commande", {"name": "cancel_permanence", "date": "2026-12-08"}, text="Permanence annulée lundi 8 décembre\n"))
    assert outcome.endswith("(weekday_mismatch)")


def test_a_weekday_that_fits_changes_nothing_to_the_command(bot):
    outcome = in_transaction(bot.store, on_event_command, bot.ctx(), mail_command(
        "PERMANENCE ANNULÉE lundi 7 décembre", {"name": "cancel_permanence", "date": "2026-12-07"}))
    assert outcome == "event_command cancel_permanence: done"
    assert date(2026, 12, 7) in load_series(bot.store)["permanence-58a6ab90@example.org"].cancelled_dates


def test_a_meeting_with_a_wrong_weekday_is_refused_too(bot):
    outcome = in_transaction(bot.store, on_event_command, bot.ctx(), mail_command(
        "RENCONTRE mercredi 14 janvier 2027 14:00-16:00 Salle du Havre",
        {"name": "meeting", "date": "2027-01-14", "start": "14:00", "end": "16:00", "place": "Salle du Havre",
         "title": None}))
    assert outcome == "event_command meeting: refused (weekday_mismatch)"
    assert "le 14 janvier 2027 est un jeudi, pas un mercredi" in answer_text(bot).lower()


def test_in_english_too(tmp_path):
    bot = robot(tmp_path, network='language = "en"')
    publish_calendar(bot.settings, bot.store, NOW)
    in_transaction(bot.store, on_event_command, bot.ctx(), mail_command(
        "PERMANENCE ANNULÉE lundi 8 décembre", {"name": "cancel_permanence", "date": "2026-12-08"}))
    assert "8 December 2026 is a Tuesday, not a Monday" in answer_text(bot)
