"""The animators' report: what it counts, once a month, on demand."""
from __future__ import annotations

import email
from datetime import date, datetime, timezone
from email import policy

import pytest

from store import Store
from support import ANIMATORS, make_settings, member_mail
from workflows.shell.publish import publish_calendar
from workflows.cli import main
from workflows.shell.mailboxes.base import SourceMessage
from workflows.shell.jobs import monthly_report_job
from workflows.steps.reports import build_report, previous_month
from workflows.shell.runner import Runner

NOW = datetime(2026, 12, 1, 7, 30, tzinfo=timezone.utc)


@pytest.fixture
def robot(tmp_path):
    settings = make_settings(tmp_path / "robot")
    store = Store.open(settings.store.path)
    publish_calendar(settings, store, datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc))
    with store.transaction():
        store.members.insert({"ref": "M-1", "address": "a@example.org", "status": "confirmed",
                              "created": "2026-11-03T10:00:00+00:00", "confirmed": "2026-11-03T11:00:00+00:00"})
        store.members.insert({"ref": "M-2", "address": "b@example.org", "status": "pending",
                              "created": "2026-11-20T10:00:00+00:00", "confirmed": None})
        store.members.insert({"ref": "M-3", "address": "c@example.org", "status": "confirmed",
                              "created": "2026-09-03T10:00:00+00:00", "confirmed": "2026-09-03T11:00:00+00:00"})
        store.tombstones.insert({"kind": "member", "status": "confirmed", "joined": "2026-05", "left": "2026-11-12",
                                 "reason": "withdrawn"})
        store.tombstones.insert({"kind": "member", "status": "pending", "joined": "2026-11", "left": "2026-11-28",
                                 "reason": "join_declined"})
        store.items.insert({"ref": "O-1", "kind": "offer", "title": "Cours d'espagnol", "status": "open",
                            "created": "2026-11-04T10:00:00+00:00", "member": "M-1"})
        store.items.insert({"ref": "D-1", "kind": "demand", "title": "Apprendre l'espagnol", "status": "open",
                            "created": "2026-11-05T10:00:00+00:00", "member": "M-3"})
        store.items.insert({"ref": "D-2", "kind": "demand", "title": "Apprendre le russe", "status": "open",
                            "created": "2026-10-01T10:00:00+00:00", "member": "M-3"})
        store.items.insert({"ref": "O-2", "kind": "offer", "title": "Tricot", "status": "withdrawn",
                            "created": "2026-11-14T10:00:00+00:00", "member": "M-1"})
        store.introductions.insert({
            "ref": "MR-1", "offer": "O-1", "demand": "D-1", "status": "bilan",
            "created": "2026-11-05T11:00:00+00:00", "approved": "2026-11-05T12:00:00+00:00",
            "introduced": "2026-11-06T09:00:00+00:00", "closed": None,
            "bilans": {"offer": None, "demand": {"happened": "yes", "interest": "Très utile", "obstacles": None,
                                                  "facilitators": "La permanence", "text": "…",
                                                  "at": "2026-11-27T18:00:00+00:00"}}})
        store.introductions.insert({"ref": "MR-2", "offer": "O-9", "demand": "D-9", "status": "declined",
                                    "created": "2026-10-05T11:00:00+00:00", "approved": None, "introduced": None,
                                    "closed": "2026-11-10T08:00:00+00:00", "bilans": {}})
        store.attendance.insert({"uid": "permanence-58a6ab90@example.org", "occurrence": "2026-11-23", "member": "M-1",
                                 "address": "a@example.org", "partstat": "accepted"})
        store.attendance.insert({"uid": "permanence-58a6ab90@example.org", "occurrence": "2026-11-23", "member": "M-3",
                                 "address": "c@example.org", "partstat": "declined"})
    return settings, store


def test_the_report_counts_the_period(robot):
    settings, store = robot
    start, end = previous_month(date(2026, 12, 1))
    assert (start, end) == (date(2026, 11, 1), date(2026, 11, 30))
    report = build_report(settings, store, start, end, date(2026, 12, 1))
    assert report["members"] == {"new": 3, "confirmed": 1, "withdrawn": 1, "lapsed": 1, "total": 2, "pending": 1}
    assert report["knowledge"] == {"offers_open": 1, "demands_open": 2, "offers_new": 2, "demands_new": 1,
                                   "offers_new_closed": 1, "demands_new_closed": 0}
    assert report["introductions"] == {"proposed": 1, "approved": 1, "introduced": 1, "refused": 0,
                                       "declined": 1, "expired": 0}
    assert [(b["ref"], b["side"], b["happened"]) for b in report["bilans"]] == [("MR-1", "demand", "yes")]
    assert [u["ref"] for u in report["unmet"]] == ["D-2"]  # D-1 found an offer; D-2 waits since October
    assert [(a["start"].day, a["accepted"], a["declined"]) for a in report["attendance"]] == [(23, 1, 1)]
    assert report["upcoming"] and all(o["start"].date() >= date(2026, 12, 1) for o in report["upcoming"])


def test_the_report_lists_the_configured_events_before_any_publication(tmp_path):
    settings = make_settings(tmp_path / "robot")
    store = Store.open(settings.store.path)
    assert store.events.count() == 0
    report = build_report(settings, store, date(2026, 11, 1), date(2026, 11, 30), date(2026, 12, 1))
    mondays = [o["start"].date() for o in report["upcoming"] if o["start"].weekday() == 0]
    assert mondays[:2] == [date(2026, 12, 7), date(2026, 12, 14)], "the permanence, from the configuration"
    assert store.events.count() == 0, "reading only"


def test_the_monthly_report_goes_to_the_animators_once(robot):
    settings, store = robot
    # The robot's first run (in November): nothing for October, a month it was not there.
    assert monthly_report_job(settings, store, datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)) is None
    assert not [m for m in store.outbox.all() if m["purpose"] == "report"]
    mid = monthly_report_job(settings, store, NOW)
    assert mid is not None
    mail = store.outbox.find_one("message_id", mid)
    assert sorted(mail["recipients"]) == sorted(ANIMATORS) and mail["purpose"] == "report"
    body = email.message_from_string(mail["raw"], policy=policy.default).get_body(preferencelist=("plain",))
    text = body.get_content()
    assert "Apprendre le russe" in text
    # More new offers than open ones says why; the past dates' answers say they are past.
    assert "expirée)\n- Demandes ouvertes" in text.replace("\r\n", "\n"), "one line each"
    words = " ".join(text.split())
    assert "- Offres ouvertes : 1 ; nouvelles sur la période : 2, dont 1 déjà fermée (retirée ou expirée)" in words
    assert "- Demandes ouvertes : 2 ; nouvelles sur la période : 1 " in words and "1, dont" not in words
    assert "PARTICIPATION AUX DATES PASSÉES" in text
    assert monthly_report_job(settings, store, NOW) is None
    assert store.outbox.count("status", "queued") >= 1


def test_statistiques_answers_the_animator_who_asked(robot):
    settings, store = robot
    runner = Runner(settings, store, clock=lambda: NOW)
    raw = member_mail(ANIMATORS[0], "STATISTIQUES", "Merci\n", message_id="<stats-1@client.example>")
    (handled,) = runner.handle_batch([SourceMessage("test:1", raw)])
    assert handled.outcome.startswith("handled: report")
    (mail,) = [m for m in store.outbox.all() if m["purpose"] == "report"]
    assert mail["recipients"] == [ANIMATORS[0]]


def test_rers_report_prints_and_refuses_a_bad_month(robot, capsys):
    settings, _ = robot
    assert main(["report", "--config", str(settings.source), "--month", "2026-11"]) == 0
    out = capsys.readouterr().out
    assert "MISES EN RELATION" in out and "Apprendre le russe" in out
    for month in ("novembre", "2026-13", "2026-00"):
        assert main(["report", "--config", str(settings.source), "--month", month]) == 1
        assert "AAAA-MM" in capsys.readouterr().err


def test_todays_permanence_is_either_past_or_to_come_never_both(tmp_path):
    """At 6 a.m. on a Monday the permanence of 9 a.m. is to come; at noon it is past."""
    settings = make_settings(tmp_path / "robot")
    store = Store.open(settings.store.path)
    monday = date(2026, 12, 7)
    for hour, coming in ((5, True), (12, False)):
        now = datetime(2026, 12, 7, hour, 0, tzinfo=timezone.utc)
        report = build_report(settings, store, date(2026, 12, 1), monday, monday, now)
        upcoming_today = [o for o in report["upcoming"] if o["start"].date() == monday]
        assert bool(upcoming_today) is coming
