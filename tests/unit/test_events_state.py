"""Reconcile (SEQUENCE and DTSTAMP only move on change) and the configured series."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

import pytest
from events_support import CLOSURES, NOW, TODAY, calendar, network, state
from hypothesis import given, settings
from hypothesis import strategies as st

from config.settings import MeetingRule, PermanenceRule
from workflows.events import ical
from workflows.events.model import EventSeries, with_cancelled_dates
from workflows.events.state import Change, one_off, publication_period, reconcile, series_from_settings, wanted

UTC = timezone.utc
LATER = NOW + timedelta(days=3, microseconds=123)
PERMANENCE = "permanence-9f14ef59@example.org"
MEETING = "rencontre-mensuelle-9f14ef59@example.org"


def test_first_reconcile_announces_new_series_at_sequence_zero():
    configured = series_from_settings(calendar(), network(), today=TODAY)
    new, changes = reconcile({}, {s.uid: s for s in configured}, NOW)
    assert changes == [Change(uid, "new") for uid in sorted(new)]
    assert all(s.sequence == 0 and s.dtstamp == NOW.replace(microsecond=0) for s in new.values())


def test_unchanged_series_keep_sequence_and_dtstamp():
    before = state()
    again = {s.uid: s for s in series_from_settings(calendar(), network(), today=TODAY + timedelta(days=40))}
    after, changes = reconcile(before, again, LATER)
    assert changes == []
    assert after == before


def test_a_change_raises_sequence_and_stamps_now():
    before = state()
    moved = {**before, MEETING: replace(before[MEETING], place="Médiathèque")}
    after, changes = reconcile(before, moved, LATER)
    assert changes == [Change(MEETING, "changed")]
    assert after[MEETING].sequence == 1
    assert after[MEETING].dtstamp == LATER.replace(microsecond=0)
    assert after[PERMANENCE] == before[PERMANENCE]


def test_cancelling_one_occurrence():
    before = state()
    one = {**before, PERMANENCE: with_cancelled_dates(before[PERMANENCE], [date(2027, 2, 1)])}
    after, changes = reconcile(before, one, LATER)
    assert changes == [Change(PERMANENCE, "occurrence_cancelled", date(2027, 2, 1))]
    assert after[PERMANENCE].sequence == 1


def test_cancelling_a_day_that_is_not_an_occurrence_announces_nothing():
    before = state()
    tuesday = {**before, PERMANENCE: with_cancelled_dates(before[PERMANENCE], [date(2027, 2, 2)])}
    _, changes = reconcile(before, tuesday, LATER)
    assert changes == []


def test_un_cancelling_an_occurrence_is_a_change():
    before = state()
    one = {**before, PERMANENCE: with_cancelled_dates(before[PERMANENCE], [date(2027, 2, 1)])}
    middle, _ = reconcile(before, one, LATER)
    back, changes = reconcile(middle, before, LATER + timedelta(hours=1))
    assert changes == [Change(PERMANENCE, "changed")]
    assert back[PERMANENCE].sequence == 2


def test_missing_series_is_called_off_once_and_remembered():
    before = state()
    without = {uid: s for uid, s in before.items() if uid != MEETING}
    after, changes = reconcile(before, without, LATER)
    assert changes == [Change(MEETING, "cancelled")]
    assert after[MEETING].cancelled and after[MEETING].sequence == 1
    again, changes = reconcile(after, without, LATER + timedelta(days=1))
    assert changes == [] and again == after


def test_reinstating_a_cancelled_series_is_restored_not_changed():
    before = state()
    off, _ = reconcile(before, {**before, MEETING: replace(before[MEETING], cancelled=True)}, LATER)
    on, changes = reconcile(off, before, LATER + timedelta(days=1))
    assert changes == [Change(MEETING, "restored")]
    assert on[MEETING].sequence == 2 and not on[MEETING].cancelled


def test_reconcile_refuses_naive_now_and_wrong_keys():
    before = state()
    with pytest.raises(ValueError, match="aware"):
        reconcile(before, before, datetime(2027, 1, 1))
    with pytest.raises(ValueError, match="holds"):
        reconcile({}, {"other@example.org": before[PERMANENCE]}, NOW)


def test_wanted_keeps_one_offs_and_animator_cancellations():
    before = state()
    workshop = one_off("workshop", "Atelier couture", date(2027, 2, 3), time(14), time(16), network=network())
    perm = with_cancelled_dates(before[PERMANENCE], [date(2027, 2, 1)])
    stored, _ = reconcile(before, {**before, workshop.uid: workshop, PERMANENCE: perm}, NOW)
    # The configuration no longer enables the monthly meeting, and a closure was added.
    configured = series_from_settings(
        calendar(monthly_meeting=MeetingRule(enabled=False), closures=CLOSURES + (date(2027, 3, 1),)),
        network(), today=TODAY)
    current = wanted(stored, configured)
    assert workshop.uid in current and MEETING not in current
    assert current[PERMANENCE].cancelled_dates == (date(2027, 2, 1),)
    after, changes = reconcile(stored, current, LATER)
    assert changes == [Change(PERMANENCE, "occurrence_cancelled", date(2027, 3, 1)),
                       Change(MEETING, "cancelled")]


def test_series_from_settings_defaults():
    configured = series_from_settings(calendar(monthly_meeting=MeetingRule(), exchange_review=MeetingRule()),
                                      network(), today=TODAY)
    assert [s.uid for s in configured] == [PERMANENCE]
    perm = configured[0]
    assert perm.title == "Permanence du RERS de Souday"
    assert (perm.start_time, perm.end_time, perm.tzid) == (time(9), time(12), "Europe/Paris")
    assert perm.rule.starts == date(2027, 1, 1) and perm.rule.until == date(2028, 12, 31)
    assert date(2027, 3, 29) in perm.holidays and date(2028, 4, 17) in perm.holidays  # Easter Mondays
    assert perm.closures == (date(2027, 8, 9), date(2027, 8, 16))  # 2026-12-28 is before the period
    assert perm.sequence == 0 and perm.dtstamp is None


def test_series_from_settings_titles_zone_and_subdivision():
    cal = calendar(permanence=PermanenceRule(weekday="friday", title="Accueil du vendredi"),
                   holidays_subdivision="57")
    configured = series_from_settings(cal, network(language="en", timezone="America/New_York"), today=TODAY)
    by_kind = {s.kind: s for s in configured}
    assert by_kind["permanence"].title == "Accueil du vendredi"
    assert date(2027, 3, 26) in by_kind["permanence"].holidays  # Good Friday in Moselle
    assert by_kind["monthly_meeting"].title == "RERS de Souday monthly meeting"
    assert {s.tzid for s in configured} == {"America/New_York"}
    assert by_kind["exchange_review"].rule.months == (3, 10)


def test_last_week_meeting():
    cal = calendar(monthly_meeting=MeetingRule(enabled=True, week="last", weekday="friday"))
    meeting = {s.kind: s for s in series_from_settings(cal, network(), today=TODAY)}["monthly_meeting"]
    assert (meeting.rule.freq, meeting.rule.nth, meeting.rule.weekday) == ("monthly", -1, 4)


@pytest.mark.parametrize("today, horizon, expected", [
    (date(2027, 1, 15), 12, (date(2027, 1, 1), date(2028, 12, 31))),
    (date(2027, 12, 31), 12, (date(2027, 1, 1), date(2028, 12, 31))),
    (date(2027, 6, 1), 6, (date(2027, 1, 1), date(2027, 12, 31))),
    (date(2027, 7, 1), 6, (date(2027, 1, 1), date(2028, 12, 31))),
])
def test_publication_period(today, horizon, expected):
    assert publication_period(today, horizon) == expected


def test_one_off_uids_are_stable():
    net = network()
    a = one_off("meeting", "Rencontre", date(2027, 1, 14), time(14), time(16), place="Salle du Havre", network=net)
    b = one_off("meeting", "Rencontre (corrigée)", date(2027, 1, 14), time(14), time(16), place="Mairie", network=net)
    assert a.uid == b.uid == "rencontre-20270114-1400-9f14ef59@example.org"
    with pytest.raises(ValueError):
        one_off("permanence", "x", date(2027, 1, 14), time(14), time(16), network=net)


# --- properties -------------------------------------------------------------------------

UIDS = ("permanence-9f14ef59@example.org", "rencontre-20270114-1400-9f14ef59@example.org", "atelier-20270120-1000-9f14ef59@example.org")


@st.composite
def versions(draw):
    """A wanted state: a few of the UIDS, each with a title, place, cancelled days and flag."""
    base = state()[PERMANENCE]
    out = {}
    for uid in draw(st.sets(st.sampled_from(UIDS))):
        mondays = [date(2027, 1, 4) + timedelta(weeks=n) for n in range(6)]
        out[uid] = replace(
            base,
            uid=uid,
            title=draw(st.sampled_from(["Permanence", "Rencontre"])),
            place=draw(st.sampled_from(["", "Salle du Havre"])),
            cancelled_dates=tuple(sorted(draw(st.sets(st.sampled_from(mondays), max_size=3)))),
            cancelled=draw(st.booleans()),
            sequence=draw(st.integers(0, 3)),
            dtstamp=None,
        )
    return out


@settings(max_examples=150, deadline=None)
@given(versions(), versions(), st.integers(1, 10_000))
def test_reconcile_is_idempotent_and_sequence_moves_only_on_change(first, second, seconds):
    t1, t2, t3 = NOW, NOW + timedelta(seconds=seconds), NOW + timedelta(seconds=2 * seconds)
    s1, _ = reconcile({}, first, t1)
    s2, changes = reconcile(s1, second, t2)
    for uid, series in s2.items():
        before = s1.get(uid)
        if before is None:
            assert series.sequence == 0
            continue
        target = second.get(uid) or replace(before, cancelled=True)
        differs = before.content() != target.content()
        assert series.sequence == before.sequence + differs
        assert series.dtstamp == (t2 if differs else before.dtstamp)
        if not differs:
            assert all(c.uid != uid for c in changes)
    s3, again = reconcile(s2, second, t3)
    assert again == [] and s3 == s2
    # Same data, same bytes, whatever the store did to the dicts.
    stored = {uid: EventSeries.from_dict(s.to_dict()) for uid, s in s3.items()}
    assert ical.feed(stored.values(), name="n", tzid="Europe/Paris") == ical.feed(s2.values(), name="n",
                                                                                   tzid="Europe/Paris")
