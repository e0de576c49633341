"""The event series as data: checked on creation, kept by the store as a JSON dict."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

import pytest
from events_support import NOW, state
from hypothesis import given
from hypothesis import strategies as st

from workflows.events.model import EventSeries, Rule, with_cancelled_dates

PERMANENCE = "permanence-9f14ef59@example.org"


def test_json_round_trip_of_every_configured_series():
    for series in state().values():
        data = json.loads(json.dumps(series.to_dict()))
        assert EventSeries.from_dict(data) == series
    assert state()[PERMANENCE].to_dict()["dtstamp"] == "2027-01-15T07:30:00+00:00"


@given(st.dates(date(2020, 1, 1), date(2035, 12, 31)), st.integers(0, 6), st.sampled_from([1, 2, 3, 4, 5, -1]),
       st.sets(st.integers(1, 12), min_size=1), st.integers(0, 400))
def test_rule_round_trip(starts, weekday, nth, months, length):
    until = starts + timedelta(days=length)
    for rule in (Rule.weekly(weekday, starts, until), Rule.monthly(nth, weekday, starts),
                 Rule.yearly(months, nth, weekday, starts, until), Rule.once(starts)):
        assert Rule.from_dict(json.loads(json.dumps(rule.to_dict()))) == rule


@pytest.mark.parametrize("changes, message", [
    ({"uid": "no-domain"}, "uid"),
    ({"kind": "party"}, "kind"),
    ({"title": "  "}, "title"),
    ({"end_time": time(8)}, "after"),
    ({"tzid": "Mars/Olympus"}, "zone"),
    ({"dtstamp": datetime(2027, 1, 1)}, "UTC"),
    ({"dtstamp": datetime(2027, 1, 1, tzinfo=timezone(timedelta(hours=1)))}, "UTC"),
    ({"cancelled_dates": (date(2027, 2, 1), date(2027, 1, 4))}, "sorted"),
    ({"sequence": -1}, "negative"),
])
def test_series_refuses_what_cannot_be_published(changes, message):
    with pytest.raises(ValueError, match=message):
        replace(state()[PERMANENCE], **changes)


@pytest.mark.parametrize("build, message", [
    (lambda: Rule("daily", date(2027, 1, 1)), "frequency"),
    (lambda: Rule.weekly(7, date(2027, 1, 1)), "weekday"),
    (lambda: Rule.monthly(6, 0, date(2027, 1, 1)), "nth"),
    (lambda: Rule.yearly([], 1, 0, date(2027, 1, 1)), "months"),
    (lambda: Rule.yearly([13], 1, 0, date(2027, 1, 1)), "months"),
    (lambda: Rule.weekly(0, date(2027, 1, 2), date(2027, 1, 1)), "before"),
    (lambda: Rule("once", date(2027, 1, 1), weekday=1), "once"),
])
def test_rule_refuses_inconsistent_fields(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_exdates_and_cancelled_dates():
    series = replace(state()[PERMANENCE], closures=(date(2027, 8, 9),))
    series = with_cancelled_dates(series, [date(2027, 2, 1), date(2027, 2, 1), date(2027, 1, 4)])
    assert series.cancelled_dates == (date(2027, 1, 4), date(2027, 2, 1))
    assert set(series.exdates) == set(series.holidays) | {date(2027, 1, 4), date(2027, 2, 1), date(2027, 8, 9)}
    assert list(series.exdates) == sorted(series.exdates)


def test_content_ignores_sequence_and_dtstamp():
    series = state()[PERMANENCE]
    bumped = replace(series, sequence=7, dtstamp=NOW + timedelta(days=1))
    assert bumped.content() == series.content()
    assert replace(series, place="Mairie").content() != series.content()
