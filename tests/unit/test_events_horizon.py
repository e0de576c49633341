"""A new year: the configured series' RRULE UNTIL moves a year ahead (the publication
horizon), while DTSTART stays the first occurrence ever published, the past EXDATEs stay,
and invitees get one honest METHOD:REQUEST per series (SEQUENCE + 1, RFC 5546 2.1.4: the
RRULE changed) worded "new dates", never "Un événement a changé"."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timezone

import icalendar
import pytest
from events_support import calendar, network

from calendar_support import calendar_part, robot, text_of
from config.settings import PermanenceRule
from workflows.shell.publish import publish_calendar
from workflows.steps.calendar import load_series
from workflows.events import ical
from workflows.events.state import Change, reconcile, series_from_settings, wanted

UTC = timezone.utc
PERMANENCE = "permanence-9f14ef59@example.org"
MEETING = "rencontre-mensuelle-9f14ef59@example.org"
NOVEMBER = datetime(2026, 11, 23, 9, tzinfo=UTC)
NEW_YEAR = datetime(2027, 1, 1, 6, tzinfo=UTC)  # 07:00 in Paris


def configured(cal, today: date, previous=None):
    """The ``current`` argument of reconcile on ``today``, as the shell builds it."""
    return wanted(previous or {}, series_from_settings(cal, network(), today=today))


def test_new_year_keeps_dtstart_and_announces_the_extension_not_a_change():
    cal = calendar()
    before, _ = reconcile({}, configured(cal, date(2026, 11, 23)), NOVEMBER)
    after, changes = reconcile(before, configured(cal, date(2027, 1, 1), before), NEW_YEAR)
    uids = sorted(before)
    assert changes == [Change(uid, "extended") for uid in uids]
    for uid in uids:
        old, new = ical.series_event(before[uid]), ical.series_event(after[uid])
        assert new["DTSTART"].dt == old["DTSTART"].dt
        assert after[uid].rule.starts == before[uid].rule.starts
        assert _until(new).year == _until(old).year + 1
        assert after[uid].sequence == before[uid].sequence + 1
        # every EXDATE published before is still there
        old_ex = {d.dt for p in _list(old.get("EXDATE")) for d in p.dts}
        new_ex = {d.dt for p in _list(new.get("EXDATE")) for d in p.dts}
        assert old_ex <= new_ex
    assert ical.series_event(after[PERMANENCE])["DTSTART"].dt.date() == date(2026, 1, 5)


def _until(event) -> datetime:
    until = event["RRULE"]["UNTIL"]
    return until[0] if isinstance(until, list) else until


def _list(value):
    return [] if value is None else value if isinstance(value, list) else [value]


def test_the_next_day_nothing_moves():
    cal = calendar()
    before, _ = reconcile({}, configured(cal, date(2026, 11, 23)), NOVEMBER)
    after, _ = reconcile(before, configured(cal, date(2027, 1, 1), before), NEW_YEAR)
    again, changes = reconcile(after, configured(cal, date(2027, 1, 2), after), NEW_YEAR.replace(day=2))
    assert changes == [] and again == after


def test_past_closures_are_kept_when_the_year_turns():
    cal = calendar()  # closes 2026-12-28
    before, _ = reconcile({}, configured(cal, date(2026, 11, 23)), NOVEMBER)
    assert date(2026, 12, 28) in before[PERMANENCE].closures
    after, _ = reconcile(before, configured(cal, date(2027, 1, 1), before), NEW_YEAR)
    assert date(2026, 12, 28) in after[PERMANENCE].closures


def test_a_real_change_on_new_years_day_is_still_changed():
    before, _ = reconcile({}, configured(calendar(), date(2026, 11, 23)), NOVEMBER)
    later = calendar(permanence=PermanenceRule(start=time(9, 30)))
    _, changes = reconcile(before, configured(later, date(2027, 1, 1), before), NEW_YEAR)
    assert Change(PERMANENCE, "changed") in changes


def test_a_new_weekday_starts_the_series_again():
    before, _ = reconcile({}, configured(calendar(), date(2026, 11, 23)), NOVEMBER)
    tuesday = calendar(permanence=PermanenceRule(weekday="tuesday"))
    after, changes = reconcile(before, configured(tuesday, date(2026, 11, 24), before), NOVEMBER)
    assert Change(PERMANENCE, "changed") in changes
    assert after[PERMANENCE].rule.weekday == 1


@pytest.fixture
def bot(tmp_path):
    bot = robot(tmp_path, extra="[calendar.monthly_meeting]\nenabled = true\n")
    bot.add_member("M-1", "marie@example.org", name="Marie Dupont")
    publish_calendar(bot.settings, bot.store, NOVEMBER)
    return bot


def test_new_year_job_mails_new_dates_not_mise_a_jour(bot):
    before = {d["message_id"] for d in bot.store.outbox.all()}
    publish_calendar(bot.settings, bot.store, NEW_YEAR)
    new = [(d, m) for d, m in bot.mails() if d["message_id"] not in before]
    assert len(new) == 2 * 3  # two series, three invitees (a member, two animators)
    for doc, msg in new:
        subject = str(msg["Subject"])
        assert subject.startswith("Nouvelles dates : ") and "Mise à jour" not in subject
        text = " ".join(text_of(msg).split())
        assert "a changé" not in text
        assert "jusqu'au dimanche 31 décembre 2028" in text and "Rien d'autre ne change" in text
        part, cal = calendar_part(msg)
        event = cal.walk("VEVENT")[0]
        assert part.get_param("method") == "REQUEST" and int(event["SEQUENCE"]) == 1
    feed = icalendar.Calendar.from_ical((bot.root / "calendar" / "calendrier.ics").read_bytes())
    starts = {str(e["UID"]): e["DTSTART"].dt.date() for e in feed.walk("VEVENT")}
    permanence, meeting = (uid.replace("9f14ef59", "58a6ab90") for uid in (PERMANENCE, MEETING))  # the bot's network
    assert starts == {permanence: date(2026, 1, 5), meeting: date(2026, 1, 8)}
    assert load_series(bot.store)[permanence].rule.until == date(2028, 12, 31)
    # the same morning again: nothing more
    count = bot.store.outbox.count()
    publish_calendar(bot.settings, bot.store, NEW_YEAR.replace(hour=7))
    assert bot.store.outbox.count() == count


def test_english_wording_of_the_new_dates():
    import json

    from workflows.mail.render import BUILTIN_TEMPLATES, Renderer

    data = json.loads((BUILTIN_TEMPLATES / "examples" / "invitation.json").read_text(encoding="utf-8"))
    base = {"network": {"name": "RERS", "address": "r@example.org", "animators": [],
                        "permanence": {"weekday": "monday", "start": "2026-01-05T09:00:00",
                                       "end": "2026-01-05T12:00:00", "place": ""}},
            "now": "2027-01-01T06:00:00+00:00"}
    rendered = Renderer("en").render("invitation", {**base, **data, "change": "extended"})
    assert rendered.subject.startswith("New dates: ")
    assert "are now published until Friday 31 December 2027" in " ".join(rendered.text.split())
    assert "Nothing else changes" in rendered.html
