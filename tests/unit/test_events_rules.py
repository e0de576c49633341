"""Rule dates, holidays and occurrences; and the RRULE we write agrees with them."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

import pytest
from events_support import NOW, expand
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflows.events import ical, rules
from workflows.events.model import EventSeries, Rule

UTC = timezone.utc


def series(rule: Rule, **changes) -> EventSeries:
    values = dict(uid="s@example.org", kind="meeting", title="Réunion", rule=rule,
                  start_time=time(9), end_time=time(12), dtstamp=NOW)
    return EventSeries(**{**values, **changes})


@pytest.mark.parametrize("year, month, weekday, nth, expected", [
    (2027, 1, 3, 2, date(2027, 1, 14)),   # second Thursday
    (2027, 3, 6, -1, date(2027, 3, 28)),  # last Sunday of March: DST starts
    (2027, 10, 6, -1, date(2027, 10, 31)),
    (2027, 12, 3, 5, date(2027, 12, 30)),
    (2027, 2, 3, 5, None),                # no fifth Thursday in February 2027
    (2027, 2, 0, 1, date(2027, 2, 1)),    # the 1st itself
])
def test_nth_weekday(year, month, weekday, nth, expected):
    assert rules.nth_weekday(year, month, weekday, nth) == expected


def test_rule_dates_respect_the_rule_bounds():
    rule = Rule.weekly(0, date(2027, 1, 6), date(2027, 1, 31))
    assert rules.rule_dates(rule, date(2027, 1, 1), date(2027, 12, 31)) == [
        date(2027, 1, 11), date(2027, 1, 18), date(2027, 1, 25)]
    assert rules.rule_dates(rule, date(2027, 2, 1), date(2027, 3, 1)) == []
    assert rules.rule_dates(Rule.once(date(2027, 5, 5)), date(2027, 1, 1), date(2027, 12, 31)) == [date(2027, 5, 5)]
    assert rules.rule_dates(Rule.once(date(2027, 5, 5)), date(2027, 5, 6), date(2027, 12, 31)) == []
    assert rules.rule_dates(Rule.once(date(2027, 5, 5)), date(2027, 1, 1), date(2027, 5, 4)) == []


def test_yearly_rule_only_in_its_months():
    rule = Rule.yearly([10, 3], 2, 3, date(2027, 1, 1), date(2028, 12, 31))
    assert rule.months == (3, 10)
    assert rules.rule_dates(rule, rule.starts, rule.until) == [
        date(2027, 3, 11), date(2027, 10, 14), date(2028, 3, 9), date(2028, 10, 12)]


def test_public_holidays_metropolitan_and_alsace_moselle():
    metropolitan = rules.public_holidays(date(2027, 1, 1), date(2027, 12, 31))
    assert metropolitan[date(2027, 3, 29)] == "Lundi de Pâques"
    assert date(2027, 5, 17) in metropolitan and date(2027, 11, 11) in metropolitan
    assert date(2027, 3, 26) not in metropolitan  # Good Friday: Alsace-Moselle only
    moselle = rules.public_holidays(date(2027, 1, 1), date(2027, 12, 31), "57")
    assert date(2027, 3, 26) in moselle and date(2027, 12, 26) in moselle
    assert rules.public_holidays(date(2027, 2, 1), date(2027, 1, 1)) == {}


def test_skipped_holidays_are_the_rule_days_that_are_holidays():
    rule = Rule.weekly(0, date(2027, 1, 1), date(2027, 12, 31))
    assert rules.skipped_holidays(rule, rule.starts, rule.until) == (
        date(2027, 3, 29), date(2027, 5, 17), date(2027, 11, 1))


def test_occurrences_are_aware_and_follow_dst():
    rule = Rule.weekly(0, date(2027, 3, 22), date(2027, 4, 5))
    found = rules.occurrences(series(rule, cancelled_dates=(date(2027, 3, 29),)), rule.starts, rule.until)
    assert [o.start.astimezone(UTC) for o in found] == [
        datetime(2027, 3, 22, 8, tzinfo=UTC), datetime(2027, 4, 5, 7, tzinfo=UTC)]
    assert all(o.end - o.start == timedelta(hours=3) for o in found)
    assert rules.occurrences(series(rule, cancelled=True), rule.starts, rule.until) == []


def test_next_occurrence():
    rule = Rule.weekly(0, date(2027, 1, 1), date(2027, 12, 31))
    s = series(rule, holidays=(date(2027, 3, 29),))
    assert rules.next_occurrence(s, date(2027, 3, 23)).day == date(2027, 4, 5)
    assert rules.next_occurrence(s, date(2028, 1, 1)) is None


def test_a_time_skipped_by_dst_is_read_with_the_offset_before():
    moment = rules.local_datetime(date(2027, 3, 28), time(2, 30), "Europe/Paris")
    assert moment.astimezone(UTC) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


@st.composite
def random_series(draw):
    starts = draw(st.dates(date(2026, 1, 1), date(2027, 12, 31)))
    until = starts + timedelta(days=draw(st.integers(0, 900)))
    weekday = draw(st.integers(0, 6))
    freq = draw(st.sampled_from(["weekly", "monthly", "yearly"]))
    if freq == "weekly":
        rule = Rule.weekly(weekday, starts, until)
    elif freq == "monthly":
        rule = Rule.monthly(draw(st.sampled_from([1, 2, 3, 4, 5, -1])), weekday, starts, until)
    else:
        months = draw(st.sets(st.integers(1, 12), min_size=1, max_size=3))
        rule = Rule.yearly(months, draw(st.sampled_from([1, 2, 3, 4, -1])), weekday, starts, until)
    days = rules.rule_dates(rule, starts, until)
    skipped = draw(st.sets(st.sampled_from(days), max_size=len(days))) if days else set()
    hour = draw(st.integers(0, 21))
    return series(rule, cancelled_dates=tuple(sorted(skipped)), start_time=time(hour, 30),
                  end_time=time(hour + 2), tzid=draw(st.sampled_from(["Europe/Paris", "America/New_York"])))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_series())
def test_our_rrule_and_exdates_mean_what_our_rules_say(s):
    """Whatever the rule, the independent expander finds exactly our occurrence days and times."""
    event = ical.series_event(s)
    expected = rules.occurrences(s, s.rule.starts, s.rule.until)
    if event is None:
        assert expected == []
        return
    text = ical.feed([s], name="x", tzid=s.tzid)
    found = expand(text, s.rule.starts - timedelta(days=1), s.rule.until + timedelta(days=1))
    assert [(start, end) for _, start, end in found] == [
        (o.start.astimezone(UTC), o.end.astimezone(UTC)) for o in expected]


def test_exdate_outside_the_rule_is_not_written():
    rule = Rule.weekly(0, date(2027, 1, 1), date(2027, 2, 28))
    s = series(rule, closures=(date(2027, 1, 5),))  # a Tuesday: nothing to skip
    assert "EXDATE" not in ical.series_event(s).to_ical().decode()
    assert ical.series_event(replace(s, cancelled_dates=tuple(rules.rule_dates(rule, rule.starts, rule.until)))) is None


def test_open_ended_rule_has_no_until_and_keeps_its_exdates():
    rule = Rule.monthly(1, 2, date(2027, 1, 1))  # first Wednesday, no end
    s = series(rule, cancelled_dates=(date(2027, 3, 3),))
    event = ical.series_event(s)
    assert "UNTIL" not in event["RRULE"]
    found = expand(ical.feed([s], name="x", tzid="Europe/Paris"), date(2027, 1, 1), date(2027, 4, 30))
    assert [start.date() for _, start, _ in found] == [date(2027, 1, 6), date(2027, 2, 3), date(2027, 4, 7)]
