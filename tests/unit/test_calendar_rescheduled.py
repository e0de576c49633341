"""An event that was cancelled (METHOD:CANCEL) and is added again: invitees get a new
METHOD:REQUEST with a higher SEQUENCE, worded as scheduled again, never a silent
"Mise à jour" of an event they were told was off; the animator is told so."""
from __future__ import annotations

from datetime import date, time

import pytest

from calendar_support import NOW, calendar_part, command, in_transaction, robot, text_of
from workflows.calendar_commands import add_one_off, cancel_event, on_event_command
from workflows.calendar_jobs import publish_calendar
from workflows.calendar_state import load_series

UID = "rencontre-20270114-1400@example.org"


@pytest.fixture
def bot(tmp_path):
    bot = robot(tmp_path)
    bot.add_member("M-1", "marie@example.org", name="Marie Dupont")
    publish_calendar(bot.settings, bot.store, NOW)
    ctx = bot.ctx()
    in_transaction(bot.store, add_one_off, ctx, "meeting", date(2027, 1, 14), time(14), time(16), place="Salle A")
    in_transaction(bot.store, cancel_event, ctx, UID)
    return bot


def test_re_adding_a_cancelled_meeting_sends_a_request_worded_as_scheduled_again(bot):
    before = {d["message_id"] for d in bot.store.outbox.all()}
    with bot.store.transaction():
        outcome = on_event_command(bot.ctx(), command("meeting", date="2027-01-14", start="14:00", end="16:00",
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
    assert str(answer["Subject"]) == "Fait : « Rencontre du RERS de Test » de nouveau au calendrier"
    assert "annulé auparavant" in " ".join(text_of(answer).split())


def test_command_line_says_scheduled_again(bot, monkeypatch, capsys):
    from workflows.cli import main

    monkeypatch.setenv("RERS_NOW", NOW.isoformat())
    assert main(["calendar", "add", "meeting", "2027-01-14", "14:00-16:00",
                 "--config", str(bot.root / "rers.toml")]) == 0
    assert "done: scheduled again Rencontre du RERS de Test" in capsys.readouterr().out
