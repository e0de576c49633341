"""A member who turns invitations off gets a METHOD:CANCEL for each live series (RFC 5546
§3.2.5, as for an attendee the organizer removes): without it, the entries left in their
agenda would no longer be updated. Turned on again, they get new invitations."""
from __future__ import annotations

from datetime import date, time

import pytest

from calendar_support import NOW, PERMANENCE, calendar_part, in_transaction, incoming, robot, text_of
from support import member_mail
from workflows.calendar_commands import add_one_off, cancel_event
from workflows.calendar_jobs import publish_calendar
from workflows.invitations import follow_preference, invite_member
from workflows.mail.parse import parse_message
from workflows.routes import route
from workflows.runner import parse_options

MARIE = "marie@example.org"
MONTHLY = '[calendar.monthly_meeting]\nenabled = true\nplace = "Salle du Havre"\n'
SERIES = sorted([PERMANENCE, "rencontre-mensuelle@example.org"])


@pytest.fixture
def bot(tmp_path):
    bot = robot(tmp_path, extra=MONTHLY)
    bot.add_member("M-1", MARIE, name="Marie Dupont")
    publish_calendar(bot.settings, bot.store, NOW)
    return bot


def marie(bot) -> dict:
    return bot.store.members.find_one("ref", "M-1")


def turn(bot, on: bool) -> list[str]:
    before = marie(bot)
    with bot.store.transaction():
        after = bot.store.members.update(before["id"], invitations=on)
        return follow_preference(bot.ctx(), before, after)


def mine(bot, purpose: str) -> list:
    return [(d, m) for d, m in bot.mails(purpose) if d["recipients"] == [MARIE]]


def test_turning_invitations_off_cancels_each_live_series_in_her_agenda(bot):
    invited = {d["cause"].split()[0]: calendar_part(m)[1] for d, m in mine(bot, "invitation")}
    queued = turn(bot, False)
    cancels = mine(bot, "cancellation")
    assert len(queued) == len(cancels) == 2
    assert sorted(d["cause"].split()[0] for d, _ in cancels) == SERIES
    for doc, msg in cancels:
        _, cal = calendar_part(msg)
        assert str(cal["METHOD"]) == "CANCEL"
        (event,) = cal.walk("VEVENT")
        uid = str(event["UID"])
        (sent,) = invited[uid].walk("VEVENT")
        assert int(event["SEQUENCE"]) >= int(sent["SEQUENCE"]), "RFC 5546: not older than what she holds"
        assert "RECURRENCE-ID" not in event, "the whole series leaves her agenda"
        attendees = event.get("ATTENDEE")
        assert [str(a).lower() for a in (attendees if isinstance(attendees, list) else [attendees])] == \
            [f"mailto:{MARIE}"], "nobody else is named"
        assert str(msg["Subject"]).startswith("Retiré de votre agenda : ")
        text = " ".join(text_of(msg).split())
        assert "a toujours lieu" in text and "n'aura" not in text, "the event is not called off"
        assert "Invitations : oui" in text
    assert marie(bot)["invitations_round"] == 1


def test_turned_on_again_she_gets_new_invitations_and_off_again_new_cancels(bot):
    first = {d["message_id"] for d, _ in mine(bot, "invitation")}
    off = set(turn(bot, False))
    again = set(turn(bot, True))
    assert len(again) == 2 and not again & first, "the same Message-IDs would be taken for mails already sent"
    off_again = set(turn(bot, False))
    assert len(off_again) == 2 and not off_again & off
    assert marie(bot)["invitations_round"] == 2
    assert in_transaction(bot.store, invite_member, bot.ctx(), marie(bot)) == [], "off: nothing sent"


def test_nothing_for_who_was_not_getting_them_nor_for_what_is_over_or_cancelled(tmp_path):
    bot = robot(tmp_path, extra=MONTHLY)
    bot.add_member("M-1", MARIE, name="Marie Dupont")
    bot.add_member("M-2", "paul@example.org", invitations=False)
    bot.add_member("M-3", "gone@example.org", undeliverable=True)
    publish_calendar(bot.settings, bot.store, NOW)
    ctx = bot.ctx()
    in_transaction(bot.store, add_one_off, ctx, "meeting", date(2026, 11, 20), time(14), time(16))  # over
    in_transaction(bot.store, add_one_off, ctx, "workshop", date(2027, 2, 3), time(10), time(12), title="Tricot")
    assert in_transaction(bot.store, cancel_event, ctx, "atelier-20270203-1000").status == "done"
    for ref in ("M-2", "M-3"):
        before = bot.store.members.find_one("ref", ref)
        with bot.store.transaction():
            after = bot.store.members.update(before["id"], invitations=False)
            assert follow_preference(bot.ctx(), before, after) == []
    queued = turn(bot, False)
    assert sorted(d["cause"].split()[0] for d, _ in mine(bot, "cancellation") if d["message_id"] in queued) == SERIES


def routed(bot, raw):
    parsed = parse_message(raw, parse_options(bot.settings), now=NOW)
    with bot.store.transaction():
        return route(parsed.intent)(bot.ctx(), incoming(parsed, raw))


def test_invitations_non_by_mail_withdraws_the_events_and_says_so(bot):
    assert routed(bot, member_mail(MARIE, "Calendrier", "Invitations : non\n")) == \
        "preferences M-1: invitations False"
    assert len(mine(bot, "cancellation")) == 2
    (_, ack), = bot.mails("preferences_done")
    assert "Les 2 rendez-vous du réseau déjà dans votre agenda en sont retirés" in " ".join(text_of(ack).split())
    # her answer to one of those mails, in plain words, turns them on again
    (doc, _), *_ = mine(bot, "cancellation")
    raw = member_mail(MARIE, "Re: Retiré de votre agenda", "Invitations : oui\n",
                      headers={"In-Reply-To": doc["message_id"], "References": doc["message_id"]})
    assert routed(bot, raw) == "preferences M-1: invitations True"
    assert len(mine(bot, "invitation")) == 4


def test_a_confirmed_members_message_with_invitations_non_and_an_offer_withdraws_them_too(bot):
    raw = member_mail(MARIE, "OFFRE", "Savoir : tricot\nInvitations : non\n")
    routed(bot, raw)
    assert marie(bot)["invitations"] is False
    assert len(mine(bot, "cancellation")) == 2
