"""The day before: reminders to those who accepted (``[calendar] reminders``) and, before a
permanence, the list of who accepted for the animators. Idempotent."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time

import pytest

from calendar_support import NOW, PERMANENCE, UTC, in_transaction, robot, text_of
from support import ANIMATORS
from workflows.steps.attendance import record_answer
from workflows.steps.event_commands import add_one_off
from workflows.shell.publish import publish_calendar
from workflows.shell.jobs import reminders_job

SUNDAY_EVENING = datetime(2026, 12, 6, 17, 30, tzinfo=UTC)  # 18:30 in Paris, the day before a permanence


def make(tmp_path, reminders: bool):
    bot = robot(tmp_path)
    bot.settings = replace(bot.settings, calendar=replace(bot.settings.calendar, reminders=reminders))
    bot.add_member("M-1", "marie@example.org", name="Marie Dupont")
    bot.add_member("M-2", "paul@example.org", name="Paul Martin")
    bot.add_member("M-3", "zoe@example.org", name="Zoé", undeliverable=True)
    publish_calendar(bot.settings, bot.store, NOW)
    ctx = bot.ctx()
    for address, day, partstat in (
        ("marie@example.org", None, "accepted"),
        ("paul@example.org", date(2026, 12, 7), "declined"),
        ("paul@example.org", None, "accepted"),
        ("zoe@example.org", None, "accepted"),
        ("stranger@example.net", None, "accepted"),
        (ANIMATORS[1], date(2026, 12, 7), "tentative"),
    ):
        in_transaction(bot.store, record_answer, ctx, uid=PERMANENCE, occurrence=day, address=address,
                       partstat=partstat)
    return bot


def test_reminders_go_to_those_who_accepted_that_day(tmp_path):
    bot = make(tmp_path, reminders=True)
    queued = reminders_job(bot.settings, bot.store, SUNDAY_EVENING)
    reminders = bot.mails("event_reminder")
    # Paul declined that Monday; Zoé's address bounces; a stranger gets nothing from us.
    assert [d["recipients"] for d, _ in reminders] == [["marie@example.org"]]
    doc, msg = reminders[0]
    assert msg["Subject"] == "Rappel : Permanence du RERS de Test demain, lundi 7 décembre 2026 à 9 h"
    assert "répondez simplement « absent »" in text_of(msg)
    assert doc["cause"] == f"{PERMANENCE} 0 2026-12-07"
    assert len(queued) == 2  # the reminder and the animators' list


def test_the_animators_list_who_accepted(tmp_path):
    bot = make(tmp_path, reminders=False)
    reminders_job(bot.settings, bot.store, SUNDAY_EVENING)
    assert not bot.mails("event_reminder")
    (doc, msg), = bot.mails("event_attendees")
    assert doc["recipients"] == list(ANIMATORS)
    assert msg["Subject"] == ("Permanence du RERS de Test de demain (lundi 7 décembre 2026) : "
                              "3 personnes ont dit oui")
    text = text_of(msg)
    assert "Ont dit oui (3) :\n  - Marie Dupont (M-1)\n  - stranger@example.net\n  - Zoé (M-3)" in text
    assert "Peut-être (1) :\n  - anim.two@example.org" in text
    assert "Ont dit non (1) :\n  - Paul Martin (M-2)" in text
    assert "marie@example.org" not in doc["raw"]


def test_running_again_sends_nothing_more(tmp_path):
    bot = make(tmp_path, reminders=True)
    assert reminders_job(bot.settings, bot.store, SUNDAY_EVENING)
    count = bot.store.outbox.count()
    assert reminders_job(bot.settings, bot.store, SUNDAY_EVENING.replace(hour=21)) == []
    assert bot.store.outbox.count() == count


@pytest.mark.parametrize("moment", [
    datetime(2026, 12, 6, 10, tzinfo=UTC),   # too early: the day's answers are still coming
    datetime(2026, 12, 8, 18, tzinfo=UTC),   # Tuesday: no event on Wednesday
    datetime(2026, 12, 27, 18, tzinfo=UTC),  # Sunday before a closure day
])
def test_nothing_when_nothing_is_due(tmp_path, moment):
    bot = make(tmp_path, reminders=True)
    calendar = replace(bot.settings.calendar, closures=(date(2026, 12, 28),))
    bot.settings = replace(bot.settings, calendar=calendar)
    publish_calendar(bot.settings, bot.store, NOW)
    assert reminders_job(bot.settings, bot.store, moment) == []


def test_a_one_off_gets_reminders_but_no_list(tmp_path):
    bot = make(tmp_path, reminders=True)
    in_transaction(bot.store, add_one_off, bot.ctx(), "workshop", date(2026, 12, 10), time(10), time(12),
                   title="Tricot")
    uid = "atelier-20261210-1000-58a6ab90@example.org"
    in_transaction(bot.store, record_answer, bot.ctx(), uid=uid, occurrence=None, address="paul@example.org",
                   partstat="accepted")
    reminders_job(bot.settings, bot.store, datetime(2026, 12, 9, 17, tzinfo=UTC))
    assert [d["recipients"] for d, _ in bot.mails("event_reminder")] == [["paul@example.org"]]
    assert not bot.mails("event_attendees")
