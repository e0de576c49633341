"""Cancelling one date of any recurring series (the monthly meeting, the exchange review),
the way a permanence is cancelled: `rers calendar cancel UID DATE` puts an EXDATE in the
feed and sends each invitee a METHOD:CANCEL with that RECURRENCE-ID."""
from __future__ import annotations

from datetime import date

import icalendar
import pytest
import recurring_ical_events

from calendar_support import PERMANENCE, calendar_part, command, in_transaction, read_mail, last_answer, robot
from store import Store
from workflows.steps.event_commands import cancel_occurrence, on_event_command
from workflows.steps.calendar import load_series
from workflows.cli import main

MONTHLY = "rencontre-mensuelle-58a6ab90@example.org"


@pytest.fixture
def bot(tmp_path, monkeypatch):
    monkeypatch.setenv("RERS_NOW", "2026-11-23T09:00:00+00:00")
    bot = robot(tmp_path, extra="[calendar.monthly_meeting]\nenabled = true\n")  # 2nd Thursday 14-16
    bot.add_member("M-1", "marie@example.org", name="Marie Dupont")
    assert main(["calendar", "publish", "--config", str(bot.root / "rers.toml")]) == 0
    return bot


def rers(bot, *args) -> int:
    return main(["calendar", *args, "--config", str(bot.root / "rers.toml")])


def sent(bot, besides: frozenset = frozenset()) -> dict:
    """``{file name: message}`` of the mails sent, those named in ``besides`` left out."""
    return {p.name: read_mail(p.read_bytes()) for p in sorted((bot.root / "outbox").glob("*.eml"))
            if p.name not in besides}


def feed_days(bot, uid: str) -> set[date]:
    cal = icalendar.Calendar.from_ical((bot.root / "calendar" / "calendrier.ics").read_bytes())
    return {e["DTSTART"].dt.date() for e in recurring_ical_events.of(cal).between(date(2027, 1, 1), date(2027, 3, 1))
            if str(e["UID"]) == uid}


def test_cancel_one_date_of_the_monthly_meeting_exdate_and_method_cancel(bot, capsys):
    assert date(2027, 1, 14) in feed_days(bot, MONTHLY)
    before = frozenset(sent(bot))
    assert rers(bot, "cancel", "rencontre-mensuelle", "14/01/2027") == 0
    out = capsys.readouterr().out
    assert "fait : Rencontre mensuelle du RERS de Test du 2027-01-14 annulé ; 3 mail(s) d’annulation en attente d’envoi" in out
    assert feed_days(bot, MONTHLY) == {date(2027, 2, 11)}
    series = load_series(Store.open(bot.settings.store.path))[MONTHLY]
    assert series.cancelled_dates == (date(2027, 1, 14),) and series.sequence == 1
    mails = list(sent(bot, before).values())
    assert len(mails) == 3
    part, cal = calendar_part(mails[0])
    event = cal.walk("VEVENT")[0]
    assert part.get_param("method") == "CANCEL"
    assert str(event["UID"]) == MONTHLY and event["RECURRENCE-ID"].dt.date() == date(2027, 1, 14)
    assert int(event["SEQUENCE"]) == 1
    assert str(mails[0]["Subject"]).startswith("Annulé : Rencontre mensuelle du RERS de Test – jeudi 14 janvier 2027")
    # the permanence is untouched
    assert load_series(Store.open(bot.settings.store.path))[PERMANENCE].sequence == 0


@pytest.mark.parametrize("args, words", [
    (("rencontre-mensuelle", "2027-01-15"), "2027-01-15 n’est pas une date de Rencontre mensuelle du RERS de Test "
                                            "(la plus proche : 2027-01-14)"),
    (("rencontre-mensuelle", "2026-11-12"), "déjà passé"),
    (("rencontre-mensuelle",), "pour annuler une date : rers calendar cancel rencontre-mensuelle DATE"),
    (("2027-01-14",), "2027-01-14 n’est pas un jour de permanence (la permanence a lieu le lundi) ; ce jour-là : "
                      "Rencontre mensuelle du RERS de Test — pour l’annuler : "
                      "rers calendar cancel rencontre-mensuelle 2027-01-14"),
])
def test_refusals_say_what_to_do(bot, capsys, args, words):
    assert rers(bot, "cancel", *args) != 0
    assert words in capsys.readouterr().err


def test_twice_is_unchanged(bot, capsys):
    assert rers(bot, "cancel", "rencontre-mensuelle", "2027-01-14") == 0
    assert rers(bot, "cancel", "rencontre-mensuelle", "2027-01-14") == 0
    assert "était déjà annulé" in capsys.readouterr().out


def test_the_permanence_by_its_uid_is_the_same_path(bot):
    outcome = in_transaction(bot.store, cancel_occurrence, bot.ctx(), date(2026, 12, 7), "permanence")
    assert (outcome.action, outcome.status) == ("cancel_permanence", "done")


def test_by_mail_a_permanence_command_on_the_monthly_meetings_day_says_how(bot):
    in_transaction(bot.store, on_event_command, bot.ctx(), command("cancel_permanence", date="2027-01-14"))
    _, text = last_answer(bot)
    assert "Ce jour-là a lieu « Rencontre mensuelle du RERS de Test »" in text
    assert "rers calendar cancel rencontre-mensuelle 2027-01-14" in text


@pytest.mark.parametrize("title", ["ANNULÉE", "annulé", "Annulation", "supprimée"])
def test_rencontre_annulee_by_mail_changes_nothing_and_says_how(bot, title):
    assert rers(bot, "add", "meeting", "2027-01-21", "14:00-16:00", "--place", "Salle du Havre") == 0
    bot.store.refresh()
    events = bot.store.events.all()
    outcome = in_transaction(bot.store, on_event_command, bot.ctx(), command("meeting", date="2027-01-21", start="14:00", end=None,
                                                      place=None, title=title))
    assert outcome == "event_command meeting: refused (cancel_by_mail)"
    assert bot.store.events.all() == events
    _, text = last_answer(bot)
    assert "pas encore possible par courriel" in text
    assert "rers calendar cancel rencontre-20270121-1400" in text


def test_by_mail_a_permanence_command_on_a_one_off_meeting_s_day_names_the_one_off_command(bot):
    assert rers(bot, "add", "meeting", "2027-01-21", "14:00-16:00", "--place", "Salle du Havre") == 0
    bot.store.refresh()
    in_transaction(bot.store, on_event_command, bot.ctx(), command("cancel_permanence", date="2027-01-21"))
    _, text = last_answer(bot)
    assert "L'annuler n'est pas encore possible par courriel" in text
    assert "rers calendar cancel rencontre-20270121-1400" in text
    assert "rencontre-20270121-1400 2027-01-21" not in text, "the form for one date of a series"
