"""The network feed, read back by an independent expander (recurring-ical-events)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest
from events_support import NOW, days_of, expand, network, state

from workflows.events import ical
from workflows.events.model import EventSeries, with_cancelled_dates
from workflows.events.state import one_off, reconcile

UTC = timezone.utc
PERMANENCE = "permanence-9f14ef59@example.org"
MEETING = "rencontre-mensuelle-9f14ef59@example.org"
REVIEW = "echanges-sur-les-echanges-9f14ef59@example.org"

# Written out by hand, not computed with the code under test.
EASTER_MONDAY, WHIT_MONDAY, ALL_SAINTS = date(2027, 3, 29), date(2027, 5, 17), date(2027, 11, 1)
SUMMER_2027 = (date(2027, 3, 28), date(2027, 10, 31))  # CEST: last Sunday of March to last of October


def feed(series) -> str:
    return ical.feed(series, name="RERS de Souday", tzid="Europe/Paris")


def mondays(year: int) -> list[date]:
    day = date(year, 1, 1)
    day += timedelta(days=(7 - day.weekday()) % 7)
    out = []
    while day.year == year:
        out.append(day)
        day += timedelta(days=7)
    return out


@pytest.fixture(scope="module")
def expanded_2027():
    return expand(feed(state().values()), date(2027, 1, 1), date(2027, 12, 31))


def test_permanences_of_2027_skip_holidays_and_closures(expanded_2027):
    skipped = {EASTER_MONDAY, WHIT_MONDAY, ALL_SAINTS, date(2027, 8, 9), date(2027, 8, 16)}
    expected = [d for d in mondays(2027) if d not in skipped]
    assert days_of(expanded_2027, PERMANENCE) == expected
    assert len(expected) == 52 - 5


def test_permanence_is_nine_o_clock_paris_on_both_sides_of_dst(expanded_2027):
    starts = [(start, end) for uid, start, end in expanded_2027 if uid == PERMANENCE]
    for start, end in starts:
        summer = SUMMER_2027[0] <= start.date() < SUMMER_2027[1]
        assert start.hour == (7 if summer else 8), start
        assert end - start == timedelta(hours=3)
        assert start.astimezone(ZoneInfo("Europe/Paris")).time() == time(9, 0)
    assert (datetime(2027, 3, 22, 8, tzinfo=UTC), datetime(2027, 4, 5, 7, tzinfo=UTC)) == (
        [s for s, _ in starts if s.date() == date(2027, 3, 22)][0],
        [s for s, _ in starts if s.date() == date(2027, 4, 5)][0],
    )
    assert [s for s, _ in starts if s.date() == date(2027, 11, 8)][0] == datetime(2027, 11, 8, 8, tzinfo=UTC)


def test_monthly_meeting_second_thursday_skipping_armistice(expanded_2027):
    expected = [date(2027, m, d) for m, d in ((1, 14), (2, 11), (3, 11), (4, 8), (5, 13), (6, 10), (7, 8),
                                              (8, 12), (9, 9), (10, 14), (12, 9))]
    assert days_of(expanded_2027, MEETING) == expected  # 11 November 2027 is Armistice Day
    first = [s for u, s, _ in expanded_2027 if u == MEETING][0]
    assert first == datetime(2027, 1, 14, 13, tzinfo=UTC)  # 14:00 Paris in winter


def test_exchange_review_in_march_and_october(expanded_2027):
    found = [(s, e) for u, s, e in expanded_2027 if u == REVIEW]
    assert found == [
        (datetime(2027, 3, 11, 13, tzinfo=UTC), datetime(2027, 3, 11, 15, 30, tzinfo=UTC)),
        (datetime(2027, 10, 14, 12, tzinfo=UTC), datetime(2027, 10, 14, 14, 30, tzinfo=UTC)),
    ]


def test_cancelled_occurrence_is_an_exdate():
    before = state()
    wanted = dict(before)
    wanted[PERMANENCE] = with_cancelled_dates(before[PERMANENCE], [date(2027, 2, 1)])
    after, _ = reconcile(before, wanted, NOW + timedelta(hours=1))
    text = feed(after.values())
    assert date(2027, 2, 1) not in days_of(expand(text, date(2027, 1, 1), date(2027, 3, 1)), PERMANENCE)
    event = next(e for e in icalendar.Calendar.from_ical(text).walk("VEVENT") if e["UID"] == PERMANENCE)
    props = event.get("EXDATE")
    exdates = [d.dt for prop in (props if isinstance(props, list) else [props]) for d in prop.dts]
    assert datetime(2027, 2, 1, 9, tzinfo=ZoneInfo("Europe/Paris")) in exdates
    assert "EXDATE;TZID=Europe/Paris:" in text


def test_one_vevent_per_series_with_rrule_until_in_utc():
    cal = icalendar.Calendar.from_ical(feed(state().values()))
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {PERMANENCE, MEETING, REVIEW}
    rule = events[PERMANENCE]["RRULE"]
    assert rule["FREQ"] == ["WEEKLY"] and rule["BYDAY"] == ["MO"]
    # The last real Monday of the period: 2028-12-25 is Christmas.
    assert rule["UNTIL"][0] == datetime(2028, 12, 18, 8, tzinfo=UTC)
    assert events[REVIEW]["RRULE"]["BYMONTH"] == [3, 10]
    assert events[MEETING]["RRULE"]["BYDAY"] == ["2TH"]
    for event in events.values():
        assert event["DTSTART"].params["TZID"] == "Europe/Paris"


def test_series_never_starts_on_a_skipped_day():
    # 2026-01-01 is a Thursday: the period starts 2026-01-01; the first Monday is the 5th.
    series = state(today=date(2026, 6, 1))[PERMANENCE]
    cancelled = replace(series, cancelled_dates=(date(2026, 1, 5),))
    event = ical.series_event(cancelled)
    assert event["DTSTART"].dt.date() == date(2026, 1, 12)


def test_calendar_properties():
    text = feed(state().values())
    cal = icalendar.Calendar.from_ical(text)
    assert cal["PRODID"] == ical.PRODID and cal["VERSION"] == "2.0"
    assert cal["X-WR-CALNAME"] == "RERS de Souday"
    assert cal["X-WR-TIMEZONE"] == "Europe/Paris"
    assert "METHOD" not in cal
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")


def test_vtimezone_is_made_of_rules_not_dates():
    text = feed(state().values())
    zones = icalendar.Calendar.from_ical(text).walk("VTIMEZONE")
    assert len(zones) == 1 and zones[0]["TZID"] == "Europe/Paris"
    blocks = zones[0].walk("STANDARD") + zones[0].walk("DAYLIGHT")
    assert len(blocks) == 2
    assert "RDATE" not in text
    rules = sorted((b["RRULE"]["BYMONTH"], b["RRULE"]["BYDAY"]) for b in blocks)
    assert rules == [([3], ["-1SU"]), ([10], ["-1SU"])]


@pytest.mark.parametrize("tzid", ["Europe/Paris", "America/New_York", "Australia/Sydney", "Asia/Tokyo",
                                  "America/Sao_Paulo", "Europe/Dublin"])
def test_vtimezone_agrees_with_the_tz_database(tzid):
    component = ical.vtimezone(tzid, 2016, 2028)
    tz = icalendar.Calendar.from_ical(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n" + component.to_ical() + b"END:VCALENDAR\r\n"
    ).walk("VTIMEZONE")[0].to_tz()
    zone = ZoneInfo(tzid)
    instant = datetime(2016, 1, 1, tzinfo=UTC)
    while instant < datetime(2029, 1, 1, tzinfo=UTC):
        assert instant.astimezone(tz).utcoffset() == instant.astimezone(zone).utcoffset(), (tzid, instant)
        instant += timedelta(hours=11)  # not a divisor of a day: visits every hour of the day


def test_vtimezone_closes_a_rule_that_changed():
    # Sao Paulo stopped daylight saving in 2019: the old rule gets an UNTIL, then plain time.
    text = ical.vtimezone("America/Sao_Paulo", 2017, 2021).to_ical().decode()
    assert "UNTIL=" in text and "RDATE" not in text


def test_expansion_uses_our_vtimezone_not_only_the_zone_name():
    # Renamed zone: the expander can only get the offsets from our VTIMEZONE.
    text = feed(state().values()).replace("TZID=Europe/Paris", "TZID=Heure du RERS")
    text = text.replace("TZID:Europe/Paris", "TZID:Heure du RERS")
    found = expand(text, date(2027, 3, 20), date(2027, 4, 6))
    starts = [s for u, s, _ in found if u == PERMANENCE]
    assert starts == [datetime(2027, 3, 22, 8, tzinfo=UTC), datetime(2027, 4, 5, 7, tzinfo=UTC)]


def test_unchanged_data_gives_byte_identical_text():
    first = state()
    again = {uid: EventSeries.from_dict(s.to_dict()) for uid, s in first.items()}
    assert feed(first.values()) == feed(again.values())
    assert feed(reversed(list(first.values()))) == feed(first.values())
    files = ical.calendar_files(first.values(), name="RERS de Souday", tzid="Europe/Paris")
    assert files == ical.calendar_files(again.values(), name="RERS de Souday", tzid="Europe/Paris")


def test_one_file_per_event_and_the_feed():
    current = state()
    workshop = one_off("workshop", "Atelier cuisine", date(2027, 1, 20), time(10), time(12),
                       place="Cuisine partagée", network=network())
    current, _ = reconcile(current, {**current, workshop.uid: workshop}, NOW)
    files = ical.calendar_files(current.values(), name="RERS de Souday", tzid="Europe/Paris")
    assert sorted(files) == sorted([
        "calendrier.ics",
        "event-permanence-9f14ef59.ics",
        "event-rencontre-mensuelle-9f14ef59.ics",
        "event-echanges-sur-les-echanges-9f14ef59.ics",
        "event-atelier-20270120-1000-9f14ef59.ics",
    ])
    one = expand(files["event-atelier-20270120-1000-9f14ef59.ics"], date(2027, 1, 1), date(2027, 12, 31))
    assert one == [("atelier-20270120-1000-9f14ef59@example.org", datetime(2027, 1, 20, 9, tzinfo=UTC),
                    datetime(2027, 1, 20, 11, tzinfo=UTC))]
    assert "RRULE" not in files["event-atelier-20270120-1000-9f14ef59.ics"].split("BEGIN:VEVENT")[1]


def test_cancelled_series_leaves_the_feed():
    current = state()
    called_off = {**current, MEETING: replace(current[MEETING], cancelled=True)}
    after, _ = reconcile(current, called_off, NOW)
    files = ical.calendar_files(after.values(), name="RERS de Souday", tzid="Europe/Paris")
    assert "event-rencontre-mensuelle-9f14ef59.ics" not in files
    assert MEETING not in files["calendrier.ics"]


def test_every_file_parses_with_both_libraries():
    files = ical.calendar_files(state().values(), name="RERS de Souday", tzid="Europe/Paris")
    for name, text in files.items():
        cal = icalendar.Calendar.from_ical(text)
        assert cal.walk("VEVENT"), name
        assert expand(text, date(2026, 1, 1), date(2028, 12, 31)), name


def test_publishing_needs_a_dtstamp():
    unreconciled = replace(state()[PERMANENCE], dtstamp=None)
    with pytest.raises(ValueError, match="DTSTAMP"):
        feed([unreconciled])


def test_event_filename_is_a_slug_of_the_uid():
    series = state()[REVIEW]
    assert ical.event_filename(series) == "event-echanges-sur-les-echanges-9f14ef59.ics"
    assert ical.event_filename(replace(series, uid="Odd_Name.2@x.org")) == "event-odd-name-2.ics"


def test_an_empty_feed_is_still_a_calendar():
    text = feed([])
    cal = icalendar.Calendar.from_ical(text)
    assert cal["X-WR-TIMEZONE"] == "Europe/Paris" and not cal.walk("VEVENT") and not cal.walk("VTIMEZONE")
    assert expand(text, date(2027, 1, 1), date(2027, 12, 31)) == []
