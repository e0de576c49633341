"""Invitations by kind (issue 18, 5/8): « Invitations : permanences, ateliers » — only
those kinds of events are sent; changing the kinds sends the withdrawals (METHOD:CANCEL)
and the invitations (METHOD:REQUEST) that follow, as turning invitations off and on does;
a series invited again after a withdrawal comes with a new Message-ID; the acknowledgment
says which kinds."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from calendar_support import NOW, PERMANENCE, in_transaction, incoming, robot, text_of
from support import member_mail
from workflows.mail.parse import parse_message
from workflows.routes import route
from workflows.shell.publish import publish_calendar
from workflows.shell.runner import parse_options
from workflows.steps.event_commands import add_one_off

MARIE = "marie@example.org"
MONTHLY = '[calendar.monthly_meeting]\nenabled = true\nplace = "Salle du Havre"\n'
RENCONTRE = "rencontre-mensuelle-58a6ab90@example.org"


def sent(bot) -> None:
    with bot.store.transaction():
        for mail in bot.store.outbox.find("status", "queued"):
            bot.store.outbox.update(mail["id"], status="sent")


@pytest.fixture
def bot(tmp_path):
    bot = robot(tmp_path, extra=MONTHLY)
    bot.add_member("M-1", MARIE, name="Marie Dupont")
    publish_calendar(bot.settings, bot.store, NOW)
    sent(bot)
    return bot


def marie(bot) -> dict:
    return bot.store.members.find_one("ref", "M-1")


def routed(bot, raw, now=NOW):
    parsed = parse_message(raw, parse_options(bot.settings), now=now)
    return in_transaction(bot.store, route(parsed.intent), bot.ctx(now), incoming(parsed, raw))


def mine(bot, purpose: str) -> list[dict]:
    return [d for d, _ in bot.mails(purpose) if d["recipients"] == [MARIE]]


def uids(docs) -> list[str]:
    return sorted(d["cause"].split()[0] for d in docs)


def flat(msg) -> str:
    return " ".join(text_of(msg).split())


def test_kinds_withdraw_the_others_and_the_acknowledgment_says_which(bot):
    assert uids(mine(bot, "invitation")) == sorted([PERMANENCE, RENCONTRE])
    outcome = routed(bot, member_mail(MARIE, "Calendrier", "Invitations : permanences, ateliers\n"))
    assert outcome.startswith("preferences M-1") and "invitation_kinds" in outcome
    assert marie(bot)["invitations"] is True and marie(bot)["invitation_kinds"] == ["permanences", "ateliers"]
    assert uids(mine(bot, "invitation_withdrawn")) == [RENCONTRE], "the monthly meeting leaves her agenda"
    (_, ack), = bot.mails("preferences_done")
    assert "seulement permanences et ateliers" in flat(ack)
    sent(bot)
    # a workshop is sent to her, a one-off meeting is not
    in_transaction(bot.store, add_one_off, bot.ctx(), "workshop", date(2027, 1, 14), time(14), time(16))
    in_transaction(bot.store, add_one_off, bot.ctx(), "meeting", date(2027, 1, 21), time(14), time(16))
    invited = uids(mine(bot, "invitation"))
    assert [uid for uid in invited if uid not in (PERMANENCE, RENCONTRE)] == \
        ["atelier-20270114-1400-58a6ab90@example.org"], "the workshop, not the meeting"
    # the animators still get everything
    assert len([d for d, _ in bot.mails("invitation") if d["recipients"] != [MARIE]]) > 0


def test_kinds_widened_again_send_new_invitations_with_new_message_ids(bot):
    first = {d["message_id"] for d in mine(bot, "invitation")}
    routed(bot, member_mail(MARIE, "Calendrier", "Invitations : permanences\n"))
    assert uids(mine(bot, "invitation_withdrawn")) == [RENCONTRE]
    assert marie(bot)["invitations_round"] == 1
    sent(bot)
    later = NOW + timedelta(hours=1)
    assert routed(bot, member_mail(MARIE, "Calendrier", "Invitations : oui\n"), now=later).startswith("preferences M-1")
    assert marie(bot)["invitation_kinds"] is None, "a plain oui is every kind again"
    again = [d for d in mine(bot, "invitation") if d["message_id"] not in first]
    assert uids(again) == [RENCONTRE], "only what she did not have; a new Message-ID"
    (_, ack) = bot.mails("preferences_done")[-1]
    assert "seulement" not in flat(ack)


def test_a_kind_change_before_anything_left_drops_the_queued_invitation(tmp_path):
    bot = robot(tmp_path, extra=MONTHLY)
    bot.add_member("M-1", MARIE, name="Marie Dupont")
    publish_calendar(bot.settings, bot.store, NOW)
    routed(bot, member_mail(MARIE, "Calendrier", "Invitations : rencontres\n"))
    assert uids(mine(bot, "invitation")) == [RENCONTRE], "the permanence's invitation never left: dropped"
    assert not mine(bot, "invitation_withdrawn")


def test_a_member_who_joins_wanting_only_workshops_gets_none_of_the_permanences(tmp_path):
    bot = robot(tmp_path, extra=MONTHLY)
    bot.add_member("M-1", MARIE, name="Marie Dupont", invitations=False)
    with bot.store.transaction():
        bot.store.members.update(marie(bot)["id"], invitation_kinds=["ateliers"])
    publish_calendar(bot.settings, bot.store, NOW)
    assert mine(bot, "invitation") == []
    routed(bot, member_mail(MARIE, "Calendrier", "Invitations : ateliers\n"))
    assert mine(bot, "invitation") == [] and marie(bot)["invitations"] is True


def test_kind_changes_count_against_the_days_limit(bot):
    for n, words in enumerate(("permanences", "ateliers")):
        routed(bot, member_mail(MARIE, "Calendrier", f"Invitations : {words}\n"), now=NOW + timedelta(minutes=n))
        sent(bot)
    outcome = routed(bot, member_mail(MARIE, "Calendrier", "Invitations : rencontres\n"), now=NOW + timedelta(hours=1))
    assert outcome.endswith("invitations change withheld")
    assert marie(bot)["invitation_kinds"] == ["ateliers"]


NEW = "marie@nouveau.example"


def moved(bot, now=NOW) -> list[str]:
    from workflows.steps.addresses import move

    return in_transaction(bot.store, lambda plan: move(plan, marie(bot), NEW, "test")["address"], bot.ctx(now))


def test_a_move_withdraws_each_event_once_at_the_old_address_saying_the_invitations_move(bot):
    routed(bot, member_mail(MARIE, "Calendrier", "Invitations : permanences\n"))
    assert uids(mine(bot, "invitation_withdrawn")) == [RENCONTRE]
    sent(bot)
    assert moved(bot, NOW + timedelta(hours=1)) == NEW
    assert uids(mine(bot, "invitation_moved")) == [PERMANENCE], "the monthly meeting left her agenda already"
    assert len(mine(bot, "invitation_withdrawn")) == 1, "no second CANCEL for it"
    (_, msg), = [(d, m) for d, m in bot.mails("invitation_moved")]
    words = flat(msg)
    assert "passent à la nouvelle adresse" in words and "ne recevez plus les invitations" not in words
    assert "Pour quitter le réseau" not in words, "the old address is no member's any more"
    assert "nouvelle adresse" in str(msg["Subject"])
    assert uids([d for d, _ in bot.mails("invitation") if d["recipients"] == [NEW]]) == [PERMANENCE]


def test_a_withdrawal_still_queued_at_the_move_leaves_and_is_not_doubled(bot):
    routed(bot, member_mail(MARIE, "Calendrier", "Invitations : permanences\n"))
    moved(bot, NOW + timedelta(hours=1))
    assert uids(mine(bot, "invitation_withdrawn")) == [RENCONTRE]
    assert [d["status"] for d in mine(bot, "invitation_withdrawn")] == ["queued"], "decided before the move: it leaves"
    assert uids(mine(bot, "invitation_moved")) == [PERMANENCE]


def test_invitations_off_after_a_kind_change_withdraw_only_what_is_left(bot):
    routed(bot, member_mail(MARIE, "Calendrier", "Invitations : permanences\n"))
    sent(bot)
    routed(bot, member_mail(MARIE, "Calendrier", "Invitations : non\n"), now=NOW + timedelta(hours=1))
    assert sorted(uids(mine(bot, "invitation_withdrawn"))) == sorted([PERMANENCE, RENCONTRE]), "once each"


def test_a_withdrawal_by_kind_says_the_kinds_chosen_and_how_to_get_the_event_back(bot):
    routed(bot, member_mail(MARIE, "Calendrier", "Invitations : permanences, ateliers\n"))
    (by_kind,) = [m for d, m in bot.mails("invitation_withdrawn") if d["recipients"] == [MARIE]]
    words = flat(by_kind)
    assert "ne fait plus partie des invitations que vous avez choisies : permanences, ateliers" in words
    assert "Pour le recevoir de nouveau, répondez « Invitations : permanences, ateliers, rencontres »" in words
    assert "vous ne recevez plus les invitations du calendrier" not in words
    html = next(p for p in by_kind.walk() if p.get_content_type() == "text/html").get_content()
    assert "ne fait plus partie des invitations que vous avez choisies" in html
    assert "METHOD:CANCEL" in by_kind.as_string()
    # Turning them off altogether keeps its own words.
    sent(bot)
    routed(bot, member_mail(MARIE, "Calendrier", "Invitations : non\n"), now=NOW + timedelta(hours=1))
    _, off = [m for d, m in bot.mails("invitation_withdrawn") if d["recipients"] == [MARIE]]
    assert "vous ne recevez plus les invitations du calendrier" in flat(off)
    assert "« Invitations : oui »" in flat(off) and "ne fait plus partie" not in flat(off)
