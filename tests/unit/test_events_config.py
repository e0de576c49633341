"""The calendar keys of the configuration: defaults, values, and the problems reported."""
from __future__ import annotations

from datetime import time

import pytest
from support import config_text

from config.settings import ConfigError, loads


def load_calendar(tmp_path, extra: str = ""):
    return loads(config_text(tmp_path, extra=extra), base=tmp_path).calendar


def test_defaults_keep_existing_files_working(tmp_path):
    cal = load_calendar(tmp_path)
    assert cal.holidays_subdivision == "" and cal.feed_file == "calendrier.ics"
    assert cal.permanence.title == ""
    assert not cal.monthly_meeting.enabled and not cal.exchange_review.enabled
    assert (cal.monthly_meeting.week, cal.monthly_meeting.weekday) == ("second", "thursday")
    assert cal.exchange_review.months == (3, 10)


def test_meetings_configured(tmp_path):
    cal = load_calendar(tmp_path, """
holidays_subdivision = "57"
feed_file = "agenda.ics"

[calendar.monthly_meeting]
enabled = true
week = "last"
weekday = "friday"
start = "18:00"
end = "20:00"
place = "Mairie"
title = "Apéro des savoirs"

[calendar.exchange_review]
enabled = true
first_month = "november"
second_month = "april"
""")
    assert cal.holidays_subdivision == "57" and cal.feed_file == "agenda.ics"
    meeting = cal.monthly_meeting
    assert (meeting.enabled, meeting.week, meeting.weekday, meeting.start, meeting.end) == (
        True, "last", "friday", time(18), time(20))
    assert (meeting.place, meeting.title, meeting.months) == ("Mairie", "Apéro des savoirs", ())
    assert cal.exchange_review.months == (4, 11)


@pytest.mark.parametrize("extra, expected", [
    ('holidays_subdivision = "Bretagne"', "[calendar] holidays_subdivision: must be one of"),
    ('feed_file = "../x.ics"', "[calendar] feed_file: must be a plain file name"),
    ('feed_file = "event-feed.ics"', "[calendar] feed_file"),
    ('[calendar.monthly_meeting]\nstart = "16:00"\nend = "14:00"', "[calendar.monthly_meeting] end: must be after start"),
    ('[calendar.monthly_meeting]\nweek = "fifth"', "[calendar.monthly_meeting] week: must be one of"),
    ('[calendar.exchange_review]\nfirst_month = "march"\nsecond_month = "march"',
     "[calendar.exchange_review] second_month: must differ"),
    ('[calendar.exchange_review]\nfirst_month = "mars"', "[calendar.exchange_review] first_month: must be one of"),
])
def test_problems_are_reported_with_their_key(tmp_path, extra, expected):
    with pytest.raises(ConfigError) as caught:
        load_calendar(tmp_path, extra)
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems
