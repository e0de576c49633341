"""Values the robot could never use: out of their range, or contradicting another key.
Reported like every other problem: all at once, each with its key and its line."""
from __future__ import annotations

import pytest
from support import config_text

from config.settings import ConfigError, loads


def problems_of(tmp_path, extra: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        loads(config_text(tmp_path, extra=extra), base=tmp_path)
    return caught.value.problems


def line_of(text: str, key: str) -> int:
    """The line where ``key`` is written in ``text``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(f"{key} ="):
            return number
    raise AssertionError(key)


def test_a_min_score_above_one_is_refused_with_its_line(tmp_path):
    extra = "[matching]\nmin_score = 7\n"
    problems = problems_of(tmp_path, extra)
    line = line_of(config_text(tmp_path, extra=extra), "min_score")
    assert problems == [f"line {line}: [matching] min_score: must be at most 1 (scores go from 0 to 1)"]


def test_a_min_score_of_one_is_accepted(tmp_path):
    settings = loads(config_text(tmp_path, extra="[matching]\nmin_score = 1\n"), base=tmp_path)
    assert settings.matching.min_score == 1.0


def test_a_reminder_after_the_expiry_is_refused(tmp_path):
    extra = "[introductions]\nreminder_days = 40\nexpiry_days = 21\n"
    text = config_text(tmp_path, extra=extra)
    problems = problems_of(tmp_path, extra)
    assert problems == [f"line {line_of(text, 'reminder_days')}: [introductions] reminder_days: must be "
                        "less than expiry_days (21): no reminder would ever be sent"]


def test_a_reminder_on_the_expiry_day_is_refused_too(tmp_path):
    assert any("reminder_days: must be less than expiry_days" in p
               for p in problems_of(tmp_path, "[introductions]\nreminder_days = 21\n"))


def test_the_default_expiry_is_compared_when_only_the_reminder_is_written(tmp_path):
    problems = problems_of(tmp_path, "[introductions]\nreminder_days = 30\n")
    assert any("expiry_days (21)" in p for p in problems), problems


@pytest.mark.parametrize("extra, expected", [
    ("[introductions]\nexpiry_days = 400", "[introductions] expiry_days: must be at most 365"),
    ("[introductions]\nbilan_days = 1000", "[introductions] bilan_days: must be at most 365"),
    ("[membership]\npending_days = 400", "[membership] pending_days: must be at most 365"),
    ("horizon_months = 240", "[calendar] horizon_months: must be at most 60"),
    ("[matching]\nmin_score = -0.5", "[matching] min_score: must be at least 0"),
])
def test_days_and_months_out_of_range(tmp_path, extra, expected):
    problems = problems_of(tmp_path, extra)  # a key before any header is [calendar]'s
    assert any(expected in p for p in problems), problems
    assert all(p.startswith("line ") for p in problems), problems


def test_every_range_and_cross_key_problem_at_once(tmp_path):
    extra = """[introductions]
reminder_days = 40
expiry_days = 21
bilan_days = 0

[matching]
min_score = 7
"""
    problems = problems_of(tmp_path, extra)
    assert len(problems) == 3, problems
    assert all(p.startswith("line ") for p in problems)


MEETINGS = """[calendar.monthly_meeting]
enabled = true
week = "second"
weekday = "thursday"
start = "14:00"
end = "16:00"

[calendar.exchange_review]
enabled = true
week = "{week}"
weekday = "thursday"
start = "{start}"
end = "16:30"
"""


def test_the_exchange_review_on_the_monthly_meeting_slot_is_refused(tmp_path):
    problems = problems_of(tmp_path, MEETINGS.format(week="second", start="14:00"))
    assert len(problems) == 1, problems
    assert "[calendar.exchange_review] week: the exchange review would fall on the monthly meeting" in problems[0]
    assert problems[0].startswith("line ")


@pytest.mark.parametrize("week, start", [("fourth", "14:00"), ("second", "16:00")])
def test_another_week_or_time_is_fine(tmp_path, week, start):
    loads(config_text(tmp_path, extra=MEETINGS.format(week=week, start=start)), base=tmp_path)


def test_a_disabled_meeting_never_collides(tmp_path):
    extra = MEETINGS.format(week="second", start="14:00").replace("enabled = true", "enabled = false", 1)
    loads(config_text(tmp_path, extra=extra), base=tmp_path)


def test_a_meeting_during_the_permanence_is_refused(tmp_path):
    extra = """[calendar.permanence]
weekday = "thursday"
start = "13:00"
end = "17:00"

[calendar.monthly_meeting]
enabled = true
weekday = "thursday"
"""
    problems = problems_of(tmp_path, extra)
    assert any("[calendar.monthly_meeting] weekday: the monthly meeting would fall during the permanence" in p
               for p in problems), problems


def test_a_poll_interval_over_a_day_is_refused(tmp_path):
    extra = "[schedule]\npoll_seconds = 99999999\n"
    line = line_of(config_text(tmp_path, extra=extra), "poll_seconds")
    assert problems_of(tmp_path, extra) == [f"line {line}: [schedule] poll_seconds: must be at most 86400 (a day at most)"]
