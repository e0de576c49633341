"""The report counts joins from what survives erasure: 300 joins never confirmed in
December, erased by the January run of the expiry job before the December report is
built, are still December's joins, and December's unconfirmed (erased) requests — the
same numbers whichever job runs first."""
from __future__ import annotations

import email
from datetime import date, datetime, timezone
from email import policy

import pytest

from store import Store
from support import make_settings
from workflows.shell.apply import run
from workflows.steps.erasure import erase_member
from workflows.shell.jobs import expire_pending_job
from workflows.shell.jobs import monthly_report_job
from workflows.steps.reports import build_report

JANUARY_RUN = datetime(2027, 1, 1, 0, 30, tzinfo=timezone.utc)
DECEMBER = (date(2026, 12, 1), date(2026, 12, 31))


@pytest.fixture
def robot(tmp_path):
    settings = make_settings(tmp_path / "robot")  # pending_days = 30
    store = Store.open(settings.store.path)
    with store.transaction():
        store.set_state("reports_since", "2026-11-01")
        for n in range(1, 301):  # 30 days later, from 1 to 10 h on the 31st: due at the January run
            store.members.insert({"ref": f"M-{n}", "address": f"p{n}@example.net", "name": f"Pending {n}",
                                  "status": "pending", "created": f"2026-12-01T{n % 10:02d}:00:00+00:00",
                                  "confirmed": None, "contact": "email"})
        store.members.insert({"ref": "M-301", "address": "late@example.net", "status": "pending",
                              "created": "2026-12-20T10:00:00+00:00", "confirmed": None})  # due on 19 January
        for n in range(302, 307):
            store.members.insert({"ref": f"M-{n}", "address": f"c{n}@example.net", "status": "confirmed",
                                  "created": "2026-12-03T10:00:00+00:00", "confirmed": "2026-12-03T11:00:00+00:00"})
    return settings, store


def december(settings, store):
    return build_report(settings, store, *DECEMBER, JANUARY_RUN.astimezone(settings.network.zone).date())["members"]


EXPECTED = {"new": 306, "confirmed": 5, "withdrawn": 0, "lapsed": 300, "total": 5, "pending": 1}


def test_joins_erased_before_the_report_are_still_counted(robot):
    settings, store = robot
    assert len(expire_pending_job(settings, store, JANUARY_RUN)) == 300
    assert december(settings, store) == EXPECTED
    text = _report_text(store, monthly_report_job(settings, store, JANUARY_RUN))
    assert "Nouvelles demandes d'adhésion : 306" in text and "Demandes non confirmées (effacées) : 300" in text


def test_the_report_built_before_the_expiry_job_says_the_same(robot):
    settings, store = robot
    before = december(settings, store)
    expire_pending_job(settings, store, JANUARY_RUN)
    assert before == december(settings, store) == EXPECTED


def test_a_join_of_december_that_left_in_january_still_counts_in_december(robot):
    settings, store = robot
    expire_pending_job(settings, store, JANUARY_RUN)
    run(settings, store, datetime(2027, 1, 10, 12, 0, tzinfo=timezone.utc), erase_member,
        store.members.find_one("ref", "M-302"), reason="withdrawn", by="member")
    assert december(settings, store) == {**EXPECTED, "total": 4}, "joined and confirmed in December, whenever they left"
    january = build_report(settings, store, date(2027, 1, 1), date(2027, 1, 31), date(2027, 2, 1))["members"]
    assert january == {"new": 0, "confirmed": 0, "withdrawn": 1, "lapsed": 1, "total": 4, "pending": 0}


def test_the_tombstone_keeps_local_months_and_the_day_the_request_lapsed(robot):
    settings, store = robot
    with store.transaction():  # 23:30 UTC on 30 November is 1 December in Paris
        store.members.insert({"ref": "M-400", "address": "x@example.net", "status": "pending",
                              "created": "2026-11-30T23:30:00+00:00", "confirmed": None})
    assert len(expire_pending_job(settings, store, datetime(2027, 1, 5, 12, 0, tzinfo=timezone.utc))) == 301
    tombstones = store.tombstones.all()
    assert {t["left"] for t in tombstones} == {"2026-12-31"}, "30 days after the join, not the day the job ran"
    assert {t["joined"] for t in tombstones} == {"2026-12"} and {t["reason"] for t in tombstones} == {"pending_expired"}


def _report_text(store, message_id) -> str:
    raw = store.outbox.find_one("message_id", message_id)["raw"]
    return email.message_from_string(raw, policy=policy.default).get_body(preferencelist=("plain",)).get_content()
