"""The animators' calendar commands (intent ``event_command``): PERMANENCE ANNULÉE,
RENCONTRE, ATELIER — what they change, what they refuse, what the animator is told."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, time

import pytest

from calendar_support import NOW, PERMANENCE, calendar_part, command, in_transaction, robot, text_of
from support import ANIMATORS
from workflows import routes
from workflows.steps.attendance import on_rsvp
from workflows.steps.event_commands import add_one_off, cancel_event, cancel_occurrence, on_event_command
from workflows.shell.publish import publish_calendar
from workflows.steps.calendar import load_series


@pytest.fixture
def bot(tmp_path):
    bot = robot(tmp_path)
    bot.add_member("M-1", "marie@example.org", name="Marie Dupont")
    bot.add_member("M-2", "paul@example.org", name="Paul Martin", invitations=False)
    publish_calendar(bot.settings, bot.store, NOW)
    return bot


def handle(bot, incoming):
    return in_transaction(bot.store, on_event_command, bot.ctx(), incoming)


def answer(bot):
    """The one answer to the animator (purpose event_command_done), as (subject, text)."""
    mails = bot.mails("event_command_done")
    assert len(mails) == 1
    doc, msg = mails[0]
    assert doc["recipients"] == [ANIMATORS[0]]
    return str(msg["Subject"]), text_of(msg)


def test_routes_send_calendar_intents_here():
    assert routes.ROUTES["event_command"].step is routes.on_command
    assert routes.ROUTES["event_command"].guard is routes.ANIMATOR
    for name in ("cancel_permanence", "meeting", "workshop"):
        assert routes.COMMANDS[name].step is on_event_command
    assert routes.ROUTES["rsvp"].step is on_rsvp


def test_cancel_permanence_by_mail(bot):
    before = len(bot.mails("cancellation"))
    outcome = handle(bot, command("cancel_permanence", date="2026-12-07"))
    assert outcome == "event_command cancel_permanence: done"
    series = load_series(bot.store)[PERMANENCE]
    assert date(2026, 12, 7) in series.cancelled_dates and series.sequence == 1
    cancellations = bot.mails("cancellation")
    assert before == 0 and sorted(d["recipients"][0] for d, _ in cancellations) == sorted(
        ["marie@example.org", *ANIMATORS])
    part, cal = calendar_part(cancellations[0][1])
    assert part.get_param("method") == "CANCEL"
    event = cal.walk("VEVENT")[0]
    assert event["RECURRENCE-ID"].dt.date() == date(2026, 12, 7) and int(event["SEQUENCE"]) == 1
    subject, text = answer(bot)
    assert subject == "Fait : permanence du lundi 7 décembre 2026 annulée"
    assert "3 personnes abonnées aux invitations reçoivent l'annulation" in text


def test_cancel_twice_changes_nothing_and_says_so(bot):
    handle(bot, command("cancel_permanence", date="2026-12-07"))
    queued = bot.store.outbox.count()
    outcome = handle(bot, command("cancel_permanence", date="2026-12-07", message_id="<cmd-2@client.example>"))
    assert outcome == "event_command cancel_permanence: unchanged (already_cancelled)"
    assert bot.store.outbox.count() == queued + 1  # only the answer
    assert load_series(bot.store)[PERMANENCE].sequence == 1


@pytest.mark.parametrize("day, reason, words", [
    ("2026-12-08", "not_permanence_day", "n'est pas un jour de permanence : la permanence\na lieu le lundi"),
    ("2027-03-29", "holiday", "jour férié (Lundi de Pâques)"),
    ("2026-11-16", "past", "est déjà passé"),
    ("2028-01-03", "beyond_calendar", "s'arrête au vendredi 31 décembre 2027"),
    (None, "no_date", "PERMANENCE ANNULÉE 2026-12-07"),
])
def test_cancel_refused_with_a_clear_answer(bot, day, reason, words):
    events_before = bot.store.events.all()
    outcome = handle(bot, command("cancel_permanence", date=day))
    assert outcome == f"event_command cancel_permanence: refused ({reason})"
    assert bot.store.events.all() == events_before
    assert not bot.mails("cancellation")
    subject, text = answer(bot)
    assert subject.startswith("Commande non exécutée : PERMANENCE ANNULÉE"), "which of their commands it was"
    assert words in text


def test_a_closure_day_is_refused(tmp_path):
    bot = robot(tmp_path)
    calendar = replace(bot.settings.calendar, closures=(date(2026, 12, 28),))
    bot.settings = replace(bot.settings, calendar=calendar)
    outcome = in_transaction(bot.store, cancel_occurrence, bot.ctx(), date(2026, 12, 28))
    assert (outcome.status, outcome.reason) == ("refused", "closure")


def test_meeting_by_mail_invites_everyone(bot):
    outcome = handle(bot, command("meeting", date="2027-01-14", start="14:00", end="16:00",
                                  place="Salle du Havre", title=None))
    assert outcome == "event_command meeting: done"
    uid = "rencontre-20270114-1400-58a6ab90@example.org"
    series = load_series(bot.store)[uid]
    assert (series.title, series.place, series.start_time, series.end_time) == (
        "Rencontre du RERS de Test", "Salle du Havre", time(14), time(16))
    invitations = [m for d, m in bot.mails("invitation") if uid in d["cause"]]
    assert len(invitations) == 3
    part, cal = calendar_part(invitations[0])
    assert part.get_param("method") == "REQUEST"
    subject, text = answer(bot)
    assert subject == "Fait : événement « Rencontre du RERS de Test » ajouté au calendrier"
    assert "le jeudi 14 janvier 2027, de 14 h à 16 h" in text and "Où : Salle du Havre" in text


def test_workshop_again_with_another_place_updates_it(bot):
    handle(bot, command("workshop", date="2027-01-20", start="10:00", end="12:00", place="Salle A",
                        title="Cuisine du monde"))
    outcome = handle(bot, command("workshop", date="2027-01-20", start="10:00", end="12:00", place="Salle B",
                                  title="Cuisine du monde", message_id="<cmd-2@client.example>"))
    assert outcome == "event_command workshop: done"
    series = load_series(bot.store)["atelier-20270120-1000-58a6ab90@example.org"]
    assert (series.place, series.sequence) == ("Salle B", 1)
    updates = [m for _, m in bot.mails("invitation") if str(m["Subject"]).startswith("Mise à jour")]
    assert len(updates) == 3


def test_same_meeting_twice_is_unchanged(bot):
    fields = dict(date="2027-01-14", start="14:00", end="16:00", place="Salle du Havre", title=None)
    handle(bot, command("meeting", **fields))
    invitations = len(bot.mails("invitation"))
    assert handle(bot, command("meeting", message_id="<cmd-2@x>", **fields)) == "event_command meeting: unchanged"
    assert len(bot.mails("invitation")) == invitations


def test_meeting_without_end_lasts_two_hours_and_says_so(bot):
    handle(bot, command("meeting", date="2027-01-14", start="14:00", end=None, place=None, title=None))
    assert load_series(bot.store)["rencontre-20270114-1400-58a6ab90@example.org"].end_time == time(16)
    assert "le robot a compté 2 heures" in answer(bot)[1]


@pytest.mark.parametrize("fields, reason", [
    (dict(date="2027-01-14", start=None, end=None), "no_time"),
    (dict(date="2027-01-14", start="16:00", end="14:00"), "bad_times"),
    (dict(date="2026-11-02", start="14:00", end="16:00"), "past"),
    (dict(date=None, start="14:00", end="16:00"), "no_date"),
])
def test_meeting_refused(bot, fields, reason):
    outcome = handle(bot, command("meeting", place=None, title=None, **fields))
    assert outcome == f"event_command meeting: refused ({reason})"
    assert not any(d["uid"].startswith("rencontre") for d in bot.store.events.all())


def test_other_commands_are_not_the_calendars(bot):
    events = bot.store.events.all()
    outcome = handle(bot, command("report"))
    assert not outcome.startswith("event_command")
    assert not bot.mails("event_command_done") and bot.store.events.all() == events


def test_cancel_a_one_off(bot):
    ctx = bot.ctx()
    in_transaction(bot.store, add_one_off, ctx, "meeting", date(2027, 1, 14), time(14), time(16))
    outcome = in_transaction(bot.store, cancel_event, ctx, "rencontre-20270114-1400")
    assert (outcome.status, outcome.invitations) == ("done", 3)
    series = load_series(bot.store)["rencontre-20270114-1400-58a6ab90@example.org"]
    assert series.cancelled and series.sequence == 1
    _, cal = calendar_part(bot.mails("cancellation")[0][1])
    assert "RECURRENCE-ID" not in cal.walk("VEVENT")[0]
    assert in_transaction(bot.store, cancel_event, ctx, "rencontre-20270114-1400").status == "unchanged"
    assert in_transaction(bot.store, cancel_event, ctx, PERMANENCE).reason == "configured_event"
    assert in_transaction(bot.store, cancel_event, ctx, "nothing-here").reason == "unknown_event"


def test_commands_before_any_publication_start_the_calendar(tmp_path):
    bot = robot(tmp_path)
    bot.add_member("M-1", "marie@example.org")
    outcome = in_transaction(bot.store, cancel_occurrence, bot.ctx(), date(2026, 12, 7))
    assert outcome.status == "done"
    # The permanence is new: one REQUEST of the series (with the EXDATE), no CANCEL.
    assert not bot.mails("cancellation")
    invitations = bot.mails("invitation")
    assert len(invitations) == 3
    _, cal = calendar_part(invitations[0][1])
    exdates = [d.dt.date() for prop in [cal.walk("VEVENT")[0]["EXDATE"]]
               for d in (prop if isinstance(prop, list) else [prop])[0].dts]
    assert date(2026, 12, 7) in exdates
