"""Attendance: answers from calendar clients (``rsvp``) and plain-words answers to an
invitation, per event and per occurrence; never an answer to a calendar client."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path

import pytest

from calendar_support import NOW, PERMANENCE, UTC, in_transaction, incoming, robot, rsvp, text_of
from support import ANIMATORS, member_mail
from workflows.steps.attendance import (
    answers_for, forget_attendance, occurrence_day, on_invitation_reply, on_rsvp, record_answer)
from workflows.mail.answers import read_attendance
from workflows.steps.event_commands import add_one_off
from workflows.shell.publish import publish_calendar
from workflows.shell.jobs import reminders_job
from workflows.steps.calendar import load_series, save_series
from workflows.events.model import Rule
from workflows.mail.model import Parsed
from workflows.mail.parse import parse_message
from workflows.routes import route
from workflows.shell.runner import parse_options

MARIE = "marie@example.org"


@pytest.fixture
def bot(tmp_path):
    bot = robot(tmp_path)
    bot.add_member("M-1", MARIE, name="Marie Dupont")
    publish_calendar(bot.settings, bot.store, NOW)
    return bot


def handle(bot, handler, message, now=NOW):
    return in_transaction(bot.store, handler, bot.ctx(now), message)


def attendance(bot):
    return sorted(((d["uid"], d["occurrence"], d["member"], d["address"], d["partstat"])
                   for d in bot.store.attendance.all()), key=str)


def test_an_occurrence_accepted_from_outlook(bot):
    sent = bot.store.outbox.count()
    # Outlook: RECURRENCE-ID;TZID=Romance Standard Time:20261214T090000, read by the parser as UTC.
    outcome = handle(bot, on_rsvp, rsvp(PERMANENCE, MARIE, "accepted", "2026-12-14T08:00:00+00:00"))
    assert outcome == f"rsvp accepted: {PERMANENCE} 2026-12-14"
    assert attendance(bot) == [(PERMANENCE, "2026-12-14", "M-1", MARIE, "accepted")]
    assert bot.store.outbox.count() == sent  # never answered


def test_a_new_answer_replaces_the_previous_one_for_the_same_occurrence(bot):
    handle(bot, on_rsvp, rsvp(PERMANENCE, MARIE, "accepted", "2026-12-14T08:00:00+00:00"))
    handle(bot, on_rsvp, rsvp(PERMANENCE, MARIE, "declined", "2026-12-14T08:00:00+00:00",
                              message_id="<rsvp-2@x>", comment="malade"))
    handle(bot, on_rsvp, rsvp(PERMANENCE, MARIE, "tentative", message_id="<rsvp-3@x>"))
    docs = bot.store.attendance.all()
    assert attendance(bot) == sorted([(PERMANENCE, "2026-12-14", "M-1", MARIE, "declined"),
                                      (PERMANENCE, None, "M-1", MARIE, "tentative")], key=str)
    assert next(d for d in docs if d["occurrence"])["comment"] == "malade"
    assert all(d["updated"] == NOW.isoformat(timespec="seconds") for d in docs)


def test_the_answer_for_a_day_wins_over_the_answer_for_the_series(bot):
    ctx = bot.ctx()
    in_transaction(bot.store, record_answer, ctx, uid=PERMANENCE, occurrence=None, address=MARIE,
                   partstat="accepted")
    in_transaction(bot.store, record_answer, ctx, uid=PERMANENCE, occurrence=date(2026, 12, 14),
                   address=MARIE, partstat="declined")
    in_transaction(bot.store, record_answer, ctx, uid=PERMANENCE, occurrence=None, address=ANIMATORS[0],
                   partstat="accepted")
    assert [(a["address"], a["partstat"]) for a in answers_for(bot.store, PERMANENCE, date(2026, 12, 14))] == [
        (ANIMATORS[0], "accepted"), (MARIE, "declined")]
    assert [(a["address"], a["partstat"]) for a in answers_for(bot.store, PERMANENCE, date(2026, 12, 21))] == [
        (ANIMATORS[0], "accepted"), (MARIE, "accepted")]
    with pytest.raises(ValueError):
        in_transaction(bot.store, record_answer, ctx, uid=PERMANENCE, occurrence=None, address=MARIE,
                       partstat="needs-action")


def test_a_gmail_answer_for_the_whole_series_from_a_non_member(bot):
    outcome = handle(bot, on_rsvp, rsvp(PERMANENCE, ANIMATORS[1], "accepted"))
    assert outcome == f"rsvp accepted: {PERMANENCE} whole event"
    assert attendance(bot) == [(PERMANENCE, None, None, ANIMATORS[1], "accepted")]


def test_the_sender_counts_when_the_calendar_names_no_attendee(bot):
    message = rsvp(PERMANENCE, MARIE, "declined")
    message.parsed.rsvp["attendee"] = None
    handle(bot, on_rsvp, message)
    assert attendance(bot) == [(PERMANENCE, None, "M-1", MARIE, "declined")]


@pytest.mark.parametrize("uid, partstat, purpose", [
    ("someone-else@elsewhere.example", "accepted", "rsvp_unknown"),
    (None, "accepted", "rsvp_unknown"),
    (PERMANENCE, None, "rsvp_unreadable"),
])
def test_answers_the_robot_cannot_file_go_to_the_animators(bot, uid, partstat, purpose):
    outcome = handle(bot, on_rsvp, rsvp(uid, MARIE, partstat))
    assert outcome.endswith("forwarded")
    assert not bot.store.attendance.all()
    forwarded = bot.mails(purpose)
    assert len(forwarded) == 1 and forwarded[0][0]["recipients"] == list(ANIMATORS)
    assert not [d for d in bot.store.outbox.all() if MARIE in d["recipients"] and d["purpose"] != "invitation"]


@pytest.mark.parametrize("value, expected", [
    ("2026-12-14T08:00:00+00:00", date(2026, 12, 14)),
    ("2026-12-13T23:30:00+00:00", date(2026, 12, 14)),  # 00:30 in Paris
    ("2026-12-14", date(2026, 12, 14)),
    (None, None),
    ("not a date", None),
])
def test_occurrence_day_is_the_network_local_day(bot, value, expected):
    assert occurrence_day(value, bot.settings.network.zone) == expected


@pytest.mark.parametrize("text, expected", [
    ("Je viendrai lundi", "accepted"),
    ("Oui, j'y serai !", "accepted"),
    ("présente", "accepted"),
    ("OK merci", "accepted"),
    ("Absent", "declined"),
    ("Je ne pourrai pas venir, désolée", "declined"),
    ("je ne serai pas présente lundi", "declined"),
    ("Non merci", "declined"),
    ("Excusée pour lundi", "declined"),
    ("Peut-être, je vous redis", None),
    ("Oui mais je ne pourrai pas venir", None),
    ("Bonjour, à quelle heure ça commence ?", None),
    ("", None),
    ("I'll come", "accepted"),
    ("can't come", "declined"),
])
def test_read_attendance(text, expected):
    assert read_attendance(text) == expected


def invitation_id(bot, address=MARIE, uid=PERMANENCE):
    return next(d["message_id"] for d, _ in bot.mails("invitation")
                if d["recipients"] == [address] and d["cause"].startswith(uid))


def words(text, *, sender=MARIE, in_reply_to=None, references=(), date_sent=NOW, message_id="<words-1@x>"):
    return incoming(Parsed(intent="unknown", sender=sender, sender_name="Marie", message_id=message_id,
                           subject="Re: Invitation : Permanence", text=text, in_reply_to=list(in_reply_to or []),
                           references=list(references), date=date_sent))


def test_plain_words_accept_the_named_day(bot):
    reply = words("Je viendrai lundi 14 décembre", in_reply_to=[invitation_id(bot)])
    outcome = handle(bot, on_invitation_reply, reply)
    assert outcome == f"invitation reply accepted: {PERMANENCE} 2026-12-14"
    assert attendance(bot) == [(PERMANENCE, "2026-12-14", "M-1", MARIE, "accepted")]
    doc = bot.store.attendance.all()[0]
    assert doc["source"] == "text" and doc["comment"] == "Je viendrai lundi 14 décembre"
    (_, note), = bot.mails("attendance_noted")
    assert "vous venez" in text_of(note) and "le lundi 14 décembre 2026, de 9 h à 12 h" in text_of(note)


def test_plain_words_without_a_day_mean_the_next_one(bot):
    wednesday = datetime(2026, 11, 25, 10, tzinfo=UTC)
    reply = words("absent", references=["<other@x>", invitation_id(bot)], date_sent=wednesday)
    assert handle(bot, on_invitation_reply, reply, now=wednesday) == \
        f"invitation reply declined: {PERMANENCE} 2026-11-30"
    monday = words("je viendrai lundi", in_reply_to=[invitation_id(bot)], date_sent=wednesday,
                   message_id="<words-2@x>")
    handle(bot, on_invitation_reply, monday, now=wednesday)
    assert attendance(bot) == [(PERMANENCE, "2026-11-30", "M-1", MARIE, "accepted")]


def test_plain_words_for_a_one_off_are_for_the_whole_event(bot):
    in_transaction(bot.store, add_one_off, bot.ctx(), "meeting", date(2027, 1, 14), time(14), time(16))
    uid = "rencontre-20270114-1400-58a6ab90@example.org"
    reply = words("Avec plaisir, je viendrai", in_reply_to=[invitation_id(bot, uid=uid)])
    assert handle(bot, on_invitation_reply, reply) == f"invitation reply accepted: {uid} whole event"
    assert attendance(bot) == [(uid, None, "M-1", MARIE, "accepted")]


def test_unclear_words_go_to_the_animators(bot):
    reply = words("Peut-être, ça dépend de mon travail", in_reply_to=[invitation_id(bot)])
    assert handle(bot, on_invitation_reply, reply) == "invitation reply unclear: forwarded"
    assert not bot.store.attendance.all()
    assert len(bot.mails("attendance_unclear")) == 1 and len(bot.mails("unknown_ack")) == 1


def test_a_day_without_the_event_goes_to_the_animators(bot):
    reply = words("je viendrai mardi 8 décembre", in_reply_to=[invitation_id(bot)])
    assert handle(bot, on_invitation_reply, reply) == "invitation reply unclear: forwarded"


def test_not_an_answer_to_an_invitation(bot):
    assert handle(bot, on_invitation_reply, words("je viendrai")) is None
    assert handle(bot, on_invitation_reply, words("je viendrai", in_reply_to=["<unknown@x>"])) is None
    other = words("je viendrai", sender="paul@example.org", in_reply_to=[invitation_id(bot)])
    assert handle(bot, on_invitation_reply, other) is None  # only the invited person answers
    assert not bot.store.attendance.all()


def test_an_answer_to_a_reminder_is_for_its_day(tmp_path):
    bot = robot(tmp_path)
    bot.settings = replace(bot.settings, calendar=replace(bot.settings.calendar, reminders=True))
    bot.add_member("M-1", MARIE, name="Marie Dupont")
    publish_calendar(bot.settings, bot.store, NOW)
    in_transaction(bot.store, record_answer, bot.ctx(), uid=PERMANENCE, occurrence=None, address=MARIE,
                   partstat="accepted")
    sunday_evening = datetime(2026, 12, 6, 18, tzinfo=UTC)
    reminders_job(bot.settings, bot.store, sunday_evening)
    (doc, _), = bot.mails("event_reminder")
    reply = words("Finalement je ne pourrai pas venir", in_reply_to=[doc["message_id"]],
                  date_sent=sunday_evening)
    assert handle(bot, on_invitation_reply, reply, now=sunday_evening) == \
        f"invitation reply declined: {PERMANENCE} 2026-12-07"
    assert [a["partstat"] for a in answers_for(bot.store, PERMANENCE, date(2026, 12, 7))] == ["declined"]
    assert [a["partstat"] for a in answers_for(bot.store, PERMANENCE, date(2026, 12, 14))] == ["accepted"]


def test_forget_attendance(bot):
    ctx = bot.ctx()
    for day in (None, date(2026, 12, 14)):
        in_transaction(bot.store, record_answer, ctx, uid=PERMANENCE, occurrence=day, address=MARIE,
                       partstat="accepted")
    in_transaction(bot.store, record_answer, ctx, uid=PERMANENCE, occurrence=None, address=ANIMATORS[0],
                   partstat="accepted")
    assert in_transaction(bot.store, forget_attendance, ctx, "M-1", MARIE) == 2
    assert [d["address"] for d in bot.store.attendance.all()] == [ANIMATORS[0]]


MESSAGES = Path(__file__).resolve().parents[1] / "messages"


@pytest.mark.parametrize("name, uid, expected", [
    ("calendar-reply-outlook-windows-zone.eml", "permanence@rers.example.org", ("2026-12-14", "accepted")),
    ("calendar-reply-base64-declined-utc.eml", "permanence@rers.example.org", ("2026-12-21", "declined")),
    ("calendar-reply-folded-utf8-lowercase.eml", "atelier-20270120@rers.example.org", (None, "tentative")),
])
def test_replies_of_the_sample_corpus_through_the_real_parser(bot, name, uid, expected):
    """Each kind of trouble (Windows zone, base64, folded UTF-8, lower-case method) read by
    the real parser, then routed: the attendance is recorded, nothing is answered (the
    corpus's attendee is a member: a stranger's answer is not recorded)."""
    bot.add_member("M-2", "marc.vidal@example.net", name="Marc Vidal")
    series = replace(load_series(bot.store)[PERMANENCE], uid=uid)  # the corpus's network domain
    if uid.startswith("atelier"):
        series = replace(series, kind="workshop", rule=Rule.once(date(2027, 1, 20)))
    with bot.store.transaction():
        save_series(bot.store, {uid: series})
    sent = bot.store.outbox.count()
    raw = (MESSAGES / name).read_bytes()
    parsed = parse_message(raw, parse_options(bot.settings), now=NOW)
    assert parsed.intent == "rsvp"
    outcome = handle(bot, route(parsed.intent), incoming(parsed, raw))
    assert outcome.startswith("rsvp ")
    docs = bot.store.attendance.all()
    assert [(d["uid"], d["occurrence"], d["partstat"], d["address"]) for d in docs] == [
        (uid, *expected, "marc.vidal@example.net")]
    assert bot.store.outbox.count() == sent


def test_a_real_plain_reply_to_an_invitation(bot):
    """What a member's client sends (quoted invitation below), through the real parser: it
    is no question's reply, so the intent is ``unknown``; the hook still reads it."""
    invitation = invitation_id(bot)
    raw = member_mail(MARIE, "Re: Invitation : Permanence du RERS de Test",
                      "Bonjour,\n\nJe viendrai lundi 30 novembre.\n\nMarie\n\n"
                      "Le lun. 23 nov. 2026 à 10:00, RERS de Test <rers.test@example.org> a écrit :\n"
                      "> Le RERS de Test vous invite :\n> Répondre « Oui » ou « Non »…\n",
                      headers={"In-Reply-To": invitation, "References": invitation},
                      date=datetime(2026, 11, 24, 8, tzinfo=UTC))
    parsed = parse_message(raw, parse_options(bot.settings), now=NOW)
    assert parsed.intent == "unknown" and parsed.in_reply_to == [invitation]
    outcome = handle(bot, on_invitation_reply, incoming(parsed, raw))
    assert outcome == f"invitation reply accepted: {PERMANENCE} 2026-11-30"


# --- preferences alone: « Invitations : non » is no absence ---------------------------------


def routed(bot, raw, now=NOW):
    parsed = parse_message(raw, parse_options(bot.settings), now=now)
    return handle(bot, route(parsed.intent), incoming(parsed, raw), now=now)


def test_invitations_non_in_reply_to_an_invitation_stops_them_and_is_no_absence(bot):
    invitation = invitation_id(bot)
    raw = member_mail(MARIE, "Re: Invitation : Permanence du RERS de Test", "Bonjour,\n\nInvitations : non\n\nMarie\n",
                      headers={"In-Reply-To": invitation, "References": invitation})
    assert routed(bot, raw) == "preferences M-1: invitations False"
    assert not bot.store.attendance.all(), "not recorded as an absence"
    assert bot.store.members.find_one("ref", "M-1")["invitations"] is False
    (_, ack), = bot.mails("preferences_done")
    assert "Vous ne recevrez plus d'invitations" in text_of(ack)
    before = bot.store.outbox.count()
    in_transaction(bot.store, add_one_off, bot.ctx(), "meeting", date(2027, 1, 14), time(14), time(16))
    assert not [d for d, _ in bot.mails("invitation")[before:] if d["recipients"] == [MARIE]], "nothing more"


@pytest.mark.parametrize("subject", ["Calendrier", "Agenda", "Re: la permanence", ""])
def test_preferences_alone_from_a_confirmed_member_are_recorded_and_acknowledged(tmp_path, subject):
    bot = robot(tmp_path)
    bot.add_member("M-1", MARIE, name="Marie Dupont", invitations=False)
    publish_calendar(bot.settings, bot.store, NOW)
    assert not [d for d, _ in bot.mails("invitation") if d["recipients"] == [MARIE]]
    raw = member_mail(MARIE, subject, "Invitations : oui\nContact : permanence\nMerci !\n")
    assert routed(bot, raw) == "preferences M-1: contact permanence, invitations True"
    marie = bot.store.members.find_one("ref", "M-1")
    assert marie["invitations"] is True and marie["contact"] == "permanence"
    assert [d for d, _ in bot.mails("invitation") if d["recipients"] == [MARIE]], \
        "switched on: the live events' invitations at once"
    (_, ack), = bot.mails("preferences_done")
    assert "Mise en relation : à la permanence" in text_of(ack) and not bot.mails("forward")


def test_a_contact_the_network_cannot_give_is_recorded_and_the_animators_told(tmp_path):
    bot = robot(tmp_path)
    marie = bot.add_member("M-1", MARIE, name="Marie Dupont")
    with bot.store.transaction():
        bot.store.members.update(marie["id"], phone=None)
    raw = member_mail(MARIE, "Contact", "Contact : téléphone\n")
    assert routed(bot, raw) == "preferences M-1: contact phone"
    (_, ack), = bot.mails("preferences_done")
    assert "vos mises en relation passeront par la permanence" in " ".join(text_of(ack).split())
    (doc, told), = bot.mails("member_change")
    assert doc["recipients"] == list(ANIMATORS) and "M-1" in text_of(told)


@pytest.mark.parametrize("body, outcome, told", [
    # protocol.md, preferences: what a member may change alone is applied; who they are
    # (a name, a phone) goes to the animators, to check with the person.
    ("Invitations : non\nTéléphone : 06 11 22 33 44\n", "preferences M-1: invitations False", True),
    ("Nom : Marie Martin\nInvitations : non\n", "preferences M-1: invitations False", True),
    ("Invitations : oui mais seulement les ateliers\n", "preferences M-1: invitation_kinds ['ateliers']", False),
    ("Je ne viendrai plus.\nInvitations : non\n", "preferences M-1: invitations False", False),
])
def test_preferences_with_more_than_the_member_may_change_alone(bot, body, outcome, told):
    assert routed(bot, member_mail(MARIE, "Calendrier", body)) == outcome
    assert bot.mails("preferences_done")
    assert bool(bot.mails("member_change")) is told
    member = bot.store.members.find_one("ref", "M-1")
    assert member["name"] == "Marie Dupont" and member["phone"] == "+33612345678", "never changed by a mail"


def test_preferences_from_someone_who_is_not_a_confirmed_member_go_to_the_animators(bot):
    raw = member_mail("paul@example.org", "Calendrier", "Invitations : oui\n")
    assert routed(bot, raw) == "forwarded to the animators"
    assert bot.store.members.count() == 1 and not bot.mails("preferences_done")
