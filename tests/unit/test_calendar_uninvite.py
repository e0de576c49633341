"""A member who turns invitations off gets a METHOD:CANCEL for each live series whose
invitation reached them (RFC 5546 §3.2.5, as for an attendee the organizer removes):
without it, the entries left in their agenda would no longer be updated. Turned on
again, they get new invitations, newer than the withdrawal. The change is believed on
the From line, so it is bounded: twice a day, never when the network's server says the
message is forged (nor, for the same reason, is a forged offer published)."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from calendar_support import NOW, PERMANENCE, calendar_part, in_transaction, incoming, robot, text_of
from support import ANIMATORS, member_mail
from workflows.steps.event_commands import add_one_off, cancel_event
from workflows.shell.publish import publish_calendar
from workflows.steps.invitations import follow_preference, invite_member
from workflows.mail.parse import parse_message
from workflows.routes import route
from workflows.shell.runner import parse_options

MARIE = "marie@example.org"
MONTHLY = '[calendar.monthly_meeting]\nenabled = true\nplace = "Salle du Havre"\n'
SERIES = sorted([PERMANENCE, "rencontre-mensuelle-58a6ab90@example.org"])


def sent(bot) -> None:
    """What a flush does to the queued mails, as far as this module cares: sent."""
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


def turn(bot, on: bool, now=NOW) -> list[str]:
    before = marie(bot)
    with bot.store.transaction():
        after = bot.store.members.update(before["id"], invitations=on)
    return in_transaction(bot.store, follow_preference, bot.ctx(now), before, after)


def mine(bot, purpose: str) -> list:
    return [(d, m) for d, m in bot.mails(purpose) if d["recipients"] == [MARIE]]


def vevent(msg):
    _, cal = calendar_part(msg)
    (event,) = cal.walk("VEVENT")
    return cal, event


def test_turning_invitations_off_cancels_each_series_in_her_agenda(bot):
    invited = {d["cause"].split()[0]: vevent(m)[1] for d, m in mine(bot, "invitation")}
    queued = turn(bot, False, NOW + timedelta(hours=1))
    cancels = mine(bot, "invitation_withdrawn")
    assert len(queued) == len(cancels) == 2
    assert sorted(d["cause"].split()[0] for d, _ in cancels) == SERIES
    for doc, msg in cancels:
        cal, event = vevent(msg)
        assert str(cal["METHOD"]) == "CANCEL"
        sent_event = invited[str(event["UID"])]
        assert int(event["SEQUENCE"]) >= int(sent_event["SEQUENCE"]), "RFC 5546: not older than what she holds"
        assert event["DTSTAMP"].dt > sent_event["DTSTAMP"].dt, "RFC 5545 3.8.7.2: when this object was made"
        assert "RECURRENCE-ID" not in event, "the whole series leaves her agenda"
        attendees = event.get("ATTENDEE")
        assert [str(a).lower() for a in (attendees if isinstance(attendees, list) else [attendees])] == \
            [f"mailto:{MARIE}"], "nobody else is named"
        assert str(msg["Subject"]).startswith("Retiré de votre agenda : ")
        text = " ".join(text_of(msg).split())
        assert "Il a toujours lieu" in text and "n'aura" not in text, "the event is not called off"
        assert "Quand : " in text and "Invitations : oui" in text, "what she no longer has in her agenda"
    assert marie(bot)["invitations_round"] == 1


def test_turned_on_again_she_gets_new_invitations_newer_than_the_withdrawal(bot):
    first = {d["message_id"] for d, _ in mine(bot, "invitation")}
    off = set(turn(bot, False, NOW + timedelta(hours=1)))
    sent(bot)
    again = set(turn(bot, True, NOW + timedelta(hours=2)))
    assert len(again) == 2 and not again & first, "the same Message-IDs would be taken for mails already sent"
    withdrawn = {str(vevent(m)[1]["UID"]): vevent(m)[1] for d, m in mine(bot, "invitation_withdrawn")}
    for doc, msg in mine(bot, "invitation"):
        if doc["message_id"] in again:
            event = vevent(msg)[1]
            assert (int(event["SEQUENCE"]), event["DTSTAMP"].dt) > \
                (int(withdrawn[str(event["UID"])]["SEQUENCE"]), withdrawn[str(event["UID"])]["DTSTAMP"].dt), \
                "RFC 5546 2.1.5: the REQUEST must be the newer message"
    sent(bot)
    off_again = set(turn(bot, False, NOW + timedelta(hours=3)))
    assert len(off_again) == 2 and not off_again & off
    assert marie(bot)["invitations_round"] == 2
    assert in_transaction(bot.store, invite_member, bot.ctx(), marie(bot)) == [], "off: nothing sent"


def test_only_what_reached_her_is_withdrawn_and_what_is_still_queued_is_dropped(tmp_path):
    bot = robot(tmp_path, extra=MONTHLY)
    bot.add_member("M-1", MARIE, name="Marie Dupont")
    bot.add_member("M-2", "paul@example.org", invitations=False)
    bot.add_member("M-3", "gone@example.org", undeliverable=True)
    publish_calendar(bot.settings, bot.store, NOW)
    sent(bot)
    ctx = bot.ctx()
    in_transaction(bot.store, add_one_off, ctx, "meeting", date(2026, 11, 20), time(14), time(16))  # over
    in_transaction(bot.store, add_one_off, ctx, "workshop", date(2027, 2, 3), time(10), time(12), title="Tricot")
    assert in_transaction(bot.store, cancel_event, ctx, "atelier-20270203-1000").status == "done"
    sent(bot)
    # A meeting whose invitation is still queued (not sent yet: a server down, say).
    in_transaction(bot.store, add_one_off, ctx, "meeting", date(2027, 1, 21), time(14), time(16))
    for ref in ("M-2", "M-3"):
        before = bot.store.members.find_one("ref", ref)
        with bot.store.transaction():
            after = bot.store.members.update(before["id"], invitations=False)
        assert in_transaction(bot.store, follow_preference, bot.ctx(), before, after) == []
    queued = turn(bot, False)
    assert sorted(d["cause"].split()[0] for d, _ in mine(bot, "invitation_withdrawn") if d["message_id"] in queued) == SERIES
    assert not [d for d, _ in mine(bot, "invitation") if d["status"] == "queued"], "never sent, now never will be"


def test_an_animator_who_is_a_member_stays_invited_as_an_animator(tmp_path):
    bot = robot(tmp_path, extra=MONTHLY)
    bot.add_member("M-1", ANIMATORS[0], name="Anne Animatrice")
    publish_calendar(bot.settings, bot.store, NOW)
    sent(bot)
    before = bot.store.members.find_one("ref", "M-1")
    with bot.store.transaction():
        after = bot.store.members.update(before["id"], invitations=False)
    assert in_transaction(bot.store, follow_preference, bot.ctx(), before, after) == []
    assert not bot.mails("invitation_withdrawn")


def routed(bot, raw, now=NOW):
    parsed = parse_message(raw, parse_options(bot.settings), now=now)
    return in_transaction(bot.store, route(parsed.intent), bot.ctx(now), incoming(parsed, raw))


def test_invitations_non_by_mail_withdraws_the_events_and_says_so(bot):
    assert routed(bot, member_mail(MARIE, "Calendrier", "Invitations : non\n")) == \
        "preferences M-1: invitations False"
    assert len(mine(bot, "invitation_withdrawn")) == 2
    (_, ack), = bot.mails("preferences_done")
    assert "Les 2 événements du réseau déjà dans votre agenda en sont retirés" in " ".join(text_of(ack).split())
    sent(bot)
    # her answer to one of those mails, in plain words, turns them on again
    (doc, _), *_ = mine(bot, "invitation_withdrawn")
    raw = member_mail(MARIE, "Re: Retiré de votre agenda", "Invitations : oui\n",
                      headers={"In-Reply-To": doc["message_id"], "References": doc["message_id"]})
    assert routed(bot, raw) == "preferences M-1: invitations True"
    assert len(mine(bot, "invitation")) == 4


def test_a_confirmed_members_message_with_invitations_non_and_an_offer_withdraws_them_too(bot):
    routed(bot, member_mail(MARIE, "OFFRE", "Savoir : tricot\nInvitations : non\n"))
    assert marie(bot)["invitations"] is False
    assert len(mine(bot, "invitation_withdrawn")) == 2
    (_, ack), = bot.mails("items_ack")
    assert "Invitations du calendrier : non" in text_of(ack)


def test_the_third_change_of_a_day_goes_to_the_animators(bot):
    for words, outcome in (("non", "invitations False"), ("oui", "invitations True")):
        assert routed(bot, member_mail(MARIE, "Calendrier", f"Invitations : {words}\n")) == f"preferences M-1: {outcome}"
        sent(bot)
    count = bot.store.outbox.count()
    assert routed(bot, member_mail(MARIE, "Calendrier", "Invitations : non\nContact : téléphone\n")) == \
        "preferences M-1: contact phone; invitations change withheld"
    assert marie(bot)["invitations"] is True and marie(bot)["contact"] == "phone", "the rest is done"
    new = [d for d in bot.store.outbox.all()[count:]]
    assert sorted(d["purpose"] for d in new) == ["invitations_limit", "preferences_done"]
    (told,) = [d for d in new if d["purpose"] == "invitations_limit"]
    assert sorted(told["recipients"]) == sorted(ANIMATORS)
    (_, ack), = [(d, m) for d, m in bot.mails("preferences_done") if d["id"] in {n["id"] for n in new}]
    assert "celui-ci (« non ») n'a pas été fait" in " ".join(text_of(ack).split()), "she is told"
    routed(bot, member_mail(MARIE, "OFFRE", "Savoir : tricot\nInvitations : non\n"))
    (_, ack), = bot.mails("items_ack")
    assert "n'a pas été fait" in " ".join(text_of(ack).split()) and marie(bot)["invitations"] is True
    assert routed(bot, member_mail(MARIE, "Calendrier", "Invitations : non\n"),
                  now=NOW + timedelta(days=1)) == "preferences M-1: invitations False", "tomorrow is another day"


def test_a_change_the_networks_server_calls_forged_is_not_applied(tmp_path):
    bot = robot(tmp_path, extra=MONTHLY, network='authserv_id = "mx.example.org"')
    bot.add_member("M-1", MARIE, name="Marie Dupont")
    publish_calendar(bot.settings, bot.store, NOW)
    sent(bot)
    forged = {"Authentication-Results": "mx.example.org; dmarc=fail (p=reject) header.from=example.org"}
    assert routed(bot, member_mail(MARIE, "Calendrier", "Invitations : non\nContact : téléphone\n",
                                   headers=forged)) == "forwarded: forged"
    assert marie(bot)["invitations"] is True and marie(bot)["contact"] == "email", "nothing of it is done"
    assert not mine(bot, "invitation_withdrawn") and not bot.mails("preferences_done"), "nobody answered"
    ((_, told),) = bot.mails("member_forged")
    assert "DMARC" in text_of(told)
    for subject in ("OFFRE", "ADHÉSION"):
        assert routed(bot, member_mail(MARIE, subject, "Savoir : tricot\nInvitations : non\n", headers=forged)) == \
            "forwarded: forged"
    assert marie(bot)["invitations"] is True and bot.store.items.count() == 0
    passed = {"Authentication-Results": "mx.example.org; dmarc=pass header.from=example.org"}
    assert routed(bot, member_mail(MARIE, "Calendrier", "Invitations : non\n", headers=passed)) == \
        "preferences M-1: invitations False"


def test_an_offer_the_networks_server_calls_forged_is_not_published(tmp_path):
    bot = robot(tmp_path, network='authserv_id = "mx.example.org"')
    bot.add_member("M-1", MARIE, name="Marie Dupont")
    forged = {"Authentication-Results": "mx.example.org; dmarc=fail (p=reject) header.from=example.org"}
    assert routed(bot, member_mail(MARIE, "OFFRE", "Savoir : tricot\n", headers=forged)) == "forwarded: forged"
    assert bot.store.items.count() == 0 and not bot.mails("items_ack")
    ((doc, told),) = bot.mails("member_forged")
    assert sorted(doc["recipients"]) == sorted(ANIMATORS) and "M-1" in text_of(told) and "DMARC" in text_of(told)
    # Another server's verdict, or none at all, proves nothing either way: recorded as always.
    theirs = {"Authentication-Results": "mx.attacker.example; dmarc=fail header.from=example.org"}
    assert routed(bot, member_mail(MARIE, "OFFRE", "Savoir : tricot\n", headers=theirs)) == "recorded O-1"


def test_off_then_on_before_anything_left_sends_nothing_and_she_keeps_her_invitations(bot):
    before = bot.store.outbox.count()
    assert len(turn(bot, False)) == 2
    assert turn(bot, True) == [], "she still holds the invitations: no new ones"
    assert bot.store.outbox.count() == before, "the withdrawals never left: dropped"
    assert marie(bot)["invitations"] is True


def test_an_animator_added_to_the_configuration_gets_the_calendar_at_the_next_publication(bot):
    from dataclasses import replace

    first = bot.store.outbox.count()
    publish_calendar(bot.settings, bot.store, NOW + timedelta(hours=1))
    assert bot.store.outbox.count() == first, "everyone already has everything"
    claire = "claire@rers-souday.fr"
    settings = replace(bot.settings, network=replace(bot.settings.network,
                                                     animators=(*bot.settings.network.animators, claire)))
    publish_calendar(settings, bot.store, NOW + timedelta(hours=2))
    new = bot.store.outbox.all()[first:]
    assert [d["recipients"] for d in new] == [[claire], [claire]]
    assert sorted(d["cause"].split()[0] for d in new) == SERIES
    publish_calendar(settings, bot.store, NOW + timedelta(hours=3))
    assert bot.store.outbox.count() == first + 2, "once"


@pytest.mark.parametrize("verdict", [
    "mx.example.org; dmarc=fail (p=reject) header.from=example.org",
    "mx.example.org; spf=fail smtp.mailfrom=example.org; dmarc=fail header.from=example.org;",
    "mx.example.org; spf=fail smtp.mailfrom=<marie@example.org>; dmarc=fail header.from=<marie@example.org>",
    "mx.example.org; spf=pass smtp.helo=[192.0.2.7]; dmarc=fail header.from=example.org",
])
def test_a_forged_message_from_a_pending_or_unknown_address_does_nothing_either(tmp_path, verdict):
    bot = robot(tmp_path, network='authserv_id = "mx.example.org"')
    bot.add_member("M-1", MARIE, name="Marie Dupont", status="pending")
    body = "Savoir : produits miracles\nTéléphone : 06 11 22 33 44\nContact : téléphone\n"
    for sender in (MARIE, "nouveau@example.org"):
        for subject in ("OFFRE", "ADHÉSION", "OFFRE sans titre"):
            raw = member_mail(sender, subject, body if subject != "OFFRE sans titre" else "Bonjour\n",
                              headers={"Authentication-Results": verdict})
            assert routed(bot, raw) == "forwarded: forged"
    assert bot.store.items.count() == 0 and bot.store.members.count() == 1
    assert marie(bot)["phone"] == "+33612345678" and marie(bot)["contact"] == "email"
    assert {d["purpose"] for d in bot.store.outbox.all()} == {"member_forged"}


def test_the_servers_fail_wins_over_a_pass_written_below_it(tmp_path):
    from workflows.mail.model import Parsed
    from workflows.mail.authentication import authenticated, forged

    bot = robot(tmp_path, network='authserv_id = "mx.example.org"')
    both = Parsed(sender=ANIMATORS[0], authentication_results=[
        "mx.example.org; dmarc=fail header.from=example.org", "mx.example.org; dmarc=pass header.from=example.org"])
    assert forged(bot.settings, both) and not authenticated(bot.settings, both)
    split = Parsed(sender=ANIMATORS[0], authentication_results=[
        "mx.example.org; dkim=pass header.d=example.org", "mx.example.org; dmarc=pass header.from=example.org"])
    assert authenticated(bot.settings, split) and not forged(bot.settings, split), "one header per milter is fine"


def test_an_animator_who_turns_member_invitations_on_gets_no_second_copy(tmp_path):
    bot = robot(tmp_path, extra=MONTHLY)
    publish_calendar(bot.settings, bot.store, NOW)
    sent(bot)
    count = bot.store.outbox.count()
    anne = bot.add_member("M-1", ANIMATORS[0], name="Anne Animatrice", invitations=False)
    with bot.store.transaction():
        after = bot.store.members.update(anne["id"], invitations=True)
    assert in_transaction(bot.store, follow_preference, bot.ctx(), anne, after) == []
    assert bot.store.outbox.count() == count, "she got them all as an animator"


def test_a_name_written_in_a_mail_is_cut_to_a_header_friendly_length(tmp_path):
    bot = robot(tmp_path)
    routed(bot, member_mail("long@example.org", "ADHÉSION", "Nom : " + "Jean " * 5000 + "\n"))
    (member,) = bot.store.members.all()
    assert len(member["name"]) <= 100 and member["name"].endswith("…")
