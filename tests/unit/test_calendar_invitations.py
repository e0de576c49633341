"""Invitations by mail (iMIP, RFC 6047): who gets them, their shape, one per recipient
per change, deterministic Message-IDs, opt-in later, pruning, publication."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

import icalendar
import pytest
import recurring_ical_events

from calendar_support import NOW, PERMANENCE, UTC, calendar_part, in_transaction, robot, text_of
from support import ANIMATORS, NETWORK
from workflows.steps.event_commands import add_one_off, cancel_occurrence
from workflows.shell.publish import publish_calendar, publish_if_changed
from workflows.steps.invitations import update_calendar
from workflows.events.views import KEEP_PAST_DAYS
from workflows.steps.calendar import load_series
from workflows.events.state import Change
from workflows.steps.invitations import Invitee, announce, invite_member, invitees

MONTHLY = '[calendar.monthly_meeting]\nenabled = true\nplace = "Salle du Havre"\n'


@pytest.fixture
def bot(tmp_path):
    bot = robot(tmp_path, extra=MONTHLY)
    bot.add_member("M-1", "marie@example.org", name="Marie Dupont")
    return bot


def test_who_is_invited(bot):
    bot.add_member("M-2", "paul@example.org", invitations=False)
    bot.add_member("M-3", "zoe@example.org", status="pending")
    bot.add_member("M-4", None)
    bot.add_member("M-5", "gone@example.org", undeliverable=True)
    bot.add_member("M-6", ANIMATORS[1], name="Anne Animatrice")
    assert invitees(bot.ctx()) == [
        Invitee(ANIMATORS[0]),
        Invitee(ANIMATORS[1], "Anne Animatrice", "M-6"),
        Invitee("marie@example.org", "Marie Dupont", "M-1"),
    ]


def test_first_publication_invites_to_each_series_once(bot):
    publish_calendar(bot.settings, bot.store, NOW)
    invitations = bot.mails("invitation")
    # two series (permanence, monthly meeting) × three people: never a mail per week
    assert len(invitations) == 6
    assert sorted({d["cause"].split()[0] for d, _ in invitations}) == [
        PERMANENCE, "rencontre-mensuelle-58a6ab90@example.org"]
    assert all(len(d["recipients"]) == 1 for d, _ in invitations)


def test_invitation_shape(bot):
    bot.add_member("M-2", "paul@example.org", name="Paul Martin")
    publish_calendar(bot.settings, bot.store, NOW)
    doc, msg = next((d, m) for d, m in bot.mails("invitation")
                    if d["recipients"] == ["marie@example.org"] and d["cause"].startswith(PERMANENCE))
    assert msg["From"].addresses[0].addr_spec == NETWORK
    assert [a.addr_spec for a in msg["To"].addresses] == ["marie@example.org"]
    assert msg["Subject"] == "Invitation : Permanence du RERS de Test"
    assert msg.get_content_type() == "multipart/mixed"
    alternative = next(msg.iter_parts())
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html", "text/calendar"]
    attachment = list(msg.iter_attachments())[-1]
    assert attachment.get_content_type() == "application/ics" and attachment.get_filename() == "invitation.ics"
    part, cal = calendar_part(msg)
    assert part.get_param("method") == "REQUEST" and str(cal["METHOD"]) == "REQUEST"
    event = cal.walk("VEVENT")[0]
    assert str(event["UID"]) == PERMANENCE and int(event["SEQUENCE"]) == 0
    assert str(event["ORGANIZER"]) == f"mailto:{NETWORK}"
    attendee = event["ATTENDEE"]
    assert not isinstance(attendee, list)  # the recipient only: nobody sees who else is invited
    assert str(attendee) == "mailto:marie@example.org"
    assert attendee.params["RSVP"] == "TRUE" and attendee.params["CN"] == "Marie Dupont"
    assert "paul@example.org" not in doc["raw"] and "+33612345678" not in doc["raw"]
    text = text_of(msg)
    assert "Quand : chaque lundi, de 9 h à 12 h" in text
    assert "Prochaines dates : lundi 23 novembre 2026, lundi 30 novembre 2026" in text
    assert "Invitations : non" in text


def test_invitation_expands_like_the_feed(bot):
    publish_calendar(bot.settings, bot.store, NOW)
    _, msg = next((d, m) for d, m in bot.mails("invitation") if d["cause"].startswith(PERMANENCE))
    _, cal = calendar_part(msg)
    found = recurring_ical_events.of(cal).between(date(2027, 1, 1), date(2028, 1, 1))
    starts = [e["DTSTART"].dt.astimezone(UTC) for e in found]
    days = [s.date() for s in starts]
    assert date(2027, 3, 29) not in days and date(2027, 5, 17) not in days  # Easter and Whit Monday
    assert len(days) == 52 - 3  # 2027 has 52 Mondays; three are public holidays
    assert datetime(2027, 1, 4, 8, tzinfo=UTC) in starts and datetime(2027, 7, 5, 7, tzinfo=UTC) in starts


def test_announcing_again_queues_nothing(bot):
    publish_calendar(bot.settings, bot.store, NOW)
    count = bot.store.outbox.count()
    publish_calendar(bot.settings, bot.store, NOW + timedelta(days=1))
    assert bot.store.outbox.count() == count
    state = load_series(bot.store)
    assert in_transaction(bot.store, announce, bot.ctx(), state, [Change(PERMANENCE, "new")]) == []


def test_message_ids_depend_on_uid_sequence_occurrence_and_recipient(bot):
    publish_calendar(bot.settings, bot.store, NOW)
    ctx = bot.ctx()
    in_transaction(bot.store, cancel_occurrence, ctx, date(2026, 12, 7))
    in_transaction(bot.store, cancel_occurrence, ctx, date(2026, 12, 14))
    ids = [d["message_id"] for d in bot.store.outbox.all()]
    assert len(ids) == len(set(ids)) == 6 + 3 + 3
    causes = sorted({d["cause"] for d, _ in bot.mails("cancellation")})
    assert causes == [f"{PERMANENCE} 1 2026-12-07", f"{PERMANENCE} 2 2026-12-14"]


def test_cancel_of_one_occurrence_parses_everywhere(bot):
    publish_calendar(bot.settings, bot.store, NOW)
    in_transaction(bot.store, cancel_occurrence, bot.ctx(), date(2026, 12, 7))
    _, msg = next((d, m) for d, m in bot.mails("cancellation") if d["recipients"] == ["marie@example.org"])
    assert msg["Subject"] == "Annulé : Permanence du RERS de Test – lundi 7 décembre 2026 à 9 h"
    part, cal = calendar_part(msg)
    assert part.get_param("method") == "CANCEL" and str(cal["METHOD"]) == "CANCEL"
    event = cal.walk("VEVENT")[0]
    assert event["RECURRENCE-ID"].dt == datetime(2026, 12, 7, 8, tzinfo=UTC)
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1
    assert len(recurring_ical_events.of(cal).between(date(2026, 12, 7), date(2026, 12, 8))) == 1
    text = text_of(msg)
    assert "n'aura pas lieu le lundi 7 décembre 2026" in " ".join(text.split())
    assert "La suivante : le lundi 14 décembre 2026, à 9 h." in text


def test_a_series_called_off_is_cancelled_as_a_whole(tmp_path):
    bot = robot(tmp_path, extra=MONTHLY)
    bot.add_member("M-1", "marie@example.org")
    publish_calendar(bot.settings, bot.store, NOW)
    calendar = replace(bot.settings.calendar, monthly_meeting=replace(bot.settings.calendar.monthly_meeting,
                                                                      enabled=False))
    publish_calendar(replace(bot.settings, calendar=calendar), bot.store, NOW + timedelta(days=1))
    cancellations = bot.mails("cancellation")
    assert len(cancellations) == 3
    _, cal = calendar_part(cancellations[0][1])
    event = cal.walk("VEVENT")[0]
    assert str(event["UID"]) == "rencontre-mensuelle-58a6ab90@example.org" and "RECURRENCE-ID" not in event
    assert "toutes ses dates sont annulées" in text_of(cancellations[0][1])


def test_past_changes_are_not_announced(bot):
    publish_calendar(bot.settings, bot.store, NOW)
    count = bot.store.outbox.count()
    calendar = replace(bot.settings.calendar, closures=(date(2026, 11, 16),))  # a Monday already past
    publish_calendar(replace(bot.settings, calendar=calendar), bot.store, NOW)
    assert bot.store.outbox.count() == count
    assert date(2026, 11, 16) in load_series(bot.store)[PERMANENCE].closures


def test_invitations_are_written_with_the_change_or_not_at_all(bot):
    with pytest.raises(RuntimeError):
        with bot.store.transaction():
            in_transaction(bot.store, update_calendar, bot.ctx())  # joins this transaction
            assert bot.store.outbox.count() == 6 and bot.store.events.count() == 2
            raise RuntimeError("crash before the commit")
    assert bot.store.outbox.count() == 0 and bot.store.events.count() == 0


def test_a_member_who_opts_in_later_gets_every_live_series(bot):
    publish_calendar(bot.settings, bot.store, NOW)
    ctx = bot.ctx()
    in_transaction(bot.store, add_one_off, ctx, "workshop", date(2027, 2, 3), time(10), time(12), title="Tricot")
    in_transaction(bot.store, add_one_off, ctx, "meeting", date(2026, 11, 25), time(14), time(16))
    later = bot.add_member("M-7", "lea@example.org", name="Léa", invitations=False)
    assert in_transaction(bot.store, invite_member, ctx, later) == []
    with bot.store.transaction():
        bot.store.members.update(later["id"], invitations=True)
    later = bot.store.members.get(later["id"])
    past = NOW + timedelta(days=3)  # the meeting of 25 November is over
    queued = in_transaction(bot.store, invite_member, bot.ctx(past), later)
    assert len(queued) == 3
    mine = [d["cause"].split()[0] for d, _ in bot.mails("invitation") if d["recipients"] == ["lea@example.org"]]
    assert sorted(mine) == ["atelier-20270203-1000-58a6ab90@example.org", PERMANENCE, "rencontre-mensuelle-58a6ab90@example.org"]
    assert in_transaction(bot.store, invite_member, bot.ctx(past), later) == []


def test_past_one_offs_are_pruned_after_a_while(bot):
    ctx = bot.ctx()
    in_transaction(bot.store, add_one_off, ctx, "meeting", date(2026, 12, 3), time(14), time(16))
    publish_calendar(bot.settings, bot.store, NOW)
    feed = bot.root / "calendar" / "calendrier.ics"
    assert "rencontre-20261203-1400" in feed.read_text()
    count = bot.store.outbox.count()
    soon = datetime(2026, 12, 3, 12, tzinfo=UTC) + timedelta(days=KEEP_PAST_DAYS)
    publish_calendar(bot.settings, bot.store, soon)
    assert "rencontre-20261203-1400-58a6ab90@example.org" in load_series(bot.store)
    later = soon + timedelta(days=2)
    publish_calendar(bot.settings, bot.store, later)
    assert "rencontre-20261203-1400-58a6ab90@example.org" not in load_series(bot.store)
    assert "rencontre-20261203-1400" not in feed.read_text()
    assert not (bot.root / "calendar" / "event-rencontre-20261203-1400-58a6ab90.ics").exists()
    assert not [d for d, _ in bot.mails("cancellation") if "rencontre" in d["cause"]]
    assert bot.store.outbox.count() >= count


def test_publish_if_changed(bot):
    assert publish_if_changed(bot.settings, bot.store, NOW) == []  # never published: the daily job's
    assert publish_calendar(bot.settings, bot.store, NOW)
    assert publish_if_changed(bot.settings, bot.store, NOW) == []
    feed = bot.root / "calendar" / "calendrier.ics"
    before = feed.read_bytes()
    in_transaction(bot.store, cancel_occurrence, bot.ctx(), date(2026, 12, 7))
    written = publish_if_changed(bot.settings, bot.store, NOW)
    assert feed in written and feed.read_bytes() != before
    cal = icalendar.Calendar.from_ical(feed.read_bytes())
    days = {e["DTSTART"].dt.date() for e in recurring_ical_events.of(cal).between(date(2026, 12, 1), date(2027, 1, 1))}
    assert date(2026, 12, 7) not in days and date(2026, 12, 14) in days


def test_a_person_who_left_and_joined_again_gets_new_message_ids(bot):
    from workflows.steps.erasure import erase_member

    publish_calendar(bot.settings, bot.store, NOW)
    marie = bot.store.members.find_one("ref", "M-1")
    first = {d["message_id"] for d, _ in bot.mails("invitation") if d["recipients"] == ["marie@example.org"]}
    assert first
    in_transaction(bot.store, erase_member, bot.ctx(), marie, reason="withdrawn", by="member")
    again = bot.add_member("M-2", "marie@example.org", name="Marie Dupont")  # joined again: a new ref
    queued = in_transaction(bot.store, invite_member, bot.ctx(), again)
    assert len(queued) == len(first) and not set(queued) & first, "her mail client would show only the old ones"
    assert in_transaction(bot.store, invite_member, bot.ctx(), again) == [], "still idempotent"
