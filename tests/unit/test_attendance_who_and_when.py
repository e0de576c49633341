"""Attendance answers the robot must not simply file: an answer about a day the event does
not happen (a cancelled permanence, a public holiday, a closure, an event called off),
and answers from someone who is neither a member nor an animator."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, time

import pytest

from calendar_support import NOW, PERMANENCE, UTC, in_transaction, incoming, robot, rsvp, text_of
from support import ANIMATORS, NETWORK, member_mail
from test_calendar_attendance import MARIE, bot, handle, invitation_id, routed  # bot: the fixture
from workflows.routes import route
from workflows.steps.attendance import answers_for
from workflows.steps.event_commands import add_one_off, cancel_event, cancel_occurrence
from workflows.shell.publish import publish_calendar
from workflows.shell.jobs import reminders_job
from workflows.mail.render import BUILTIN_TEMPLATES, Renderer
from workflows.mail.model import Parsed

# Through the route table, as the runner calls them: who may answer is the guards' part.
on_rsvp, on_invitation_reply = route("rsvp"), route("unknown")

ZOE = "zoe@example.com"
WEDNESDAY = datetime(2026, 11, 25, 10, tzinfo=UTC)


def words(text, *, in_reply_to, sender=MARIE, date_sent=WEDNESDAY, message_id="<words-1@x>"):
    return incoming(Parsed(intent="unknown", sender=sender, sender_name="Marie", message_id=message_id,
                           subject="Re: Invitation : Permanence", text=text, in_reply_to=[in_reply_to],
                           references=[], date=date_sent))


def flat(msg) -> str:
    return " ".join(text_of(msg).split())


def to_marie(bot) -> list[str]:
    return sorted(d["purpose"] for d in bot.store.outbox.all()
                  if d["recipients"] == [MARIE] and d["purpose"] not in ("invitation", "cancellation"))


def to_animators(bot) -> list[str]:
    return [d["purpose"] for d in bot.store.outbox.all()
            if d["recipients"] == list(ANIMATORS) and d["purpose"] not in ("event_command_done",)]


# --- 1. an answer about a day without the event -----------------------------------------------


def test_je_viendrai_lundi_when_that_permanence_is_cancelled(bot):
    """The tester's case, through the real parser and the route table: the member is told
    plainly that this permanence is cancelled and when the next one is; nothing is
    recorded and the animators, who cancelled it, are not bothered."""
    invitation = invitation_id(bot)
    assert in_transaction(bot.store, cancel_occurrence, bot.ctx(), date(2026, 11, 30)).status == "done"
    raw = member_mail(MARIE, "Re: Invitation : Permanence du RERS de Test", "Je viendrai lundi.\n\nMarie\n",
                      headers={"In-Reply-To": invitation, "References": invitation}, date=WEDNESDAY)
    assert routed(bot, raw, WEDNESDAY) == f"invitation reply accepted: {PERMANENCE} 2026-11-30 has no event, told"
    assert not bot.store.attendance.all()
    assert to_marie(bot) == ["attendance_no_event"]
    assert to_animators(bot) == []
    (doc, told), = bot.mails("attendance_no_event")
    assert told["Subject"] == "Pas de séance : Permanence du RERS de Test – lundi 30 novembre 2026"
    assert told["In-Reply-To"] == "<" + raw.split(b"Message-ID: <")[1].split(b">")[0].decode() + ">"
    text = flat(told)
    assert "« Permanence du RERS de Test » n'aura pas lieu le lundi 30 novembre 2026 : cette date est annulée." in text
    assert "La prochaine : le lundi 7 décembre 2026, de 9 h à 12 h." in text
    assert "Pour y venir, répondez à ce message « je viendrai le lundi 7 décembre 2026 »." in text
    assert "pas compris" not in text
    # Doing just that is understood: the answer to the robot's note still refers to the invitation.
    again = member_mail(MARIE, f"Re: {told['Subject']}", "je viendrai le lundi 7 décembre 2026\n",
                        headers={"In-Reply-To": doc["message_id"], "References": str(told["References"])},
                        date=WEDNESDAY, message_id="<again@client.example>")
    assert routed(bot, again, WEDNESDAY) == f"invitation reply accepted: {PERMANENCE} 2026-12-07"


def test_absent_on_a_cancelled_day_is_told_too_without_an_invitation_to_come(bot):
    in_transaction(bot.store, cancel_occurrence, bot.ctx(), date(2026, 11, 30))
    reply = words("Je ne pourrai pas venir lundi", in_reply_to=invitation_id(bot))
    assert handle(bot, on_invitation_reply, reply, WEDNESDAY) == \
        f"invitation reply declined: {PERMANENCE} 2026-11-30 has no event, told"
    (_, told), = bot.mails("attendance_no_event")
    text = flat(told)
    assert "n'aura pas lieu le lundi 30 novembre 2026" in text and "lundi 7 décembre 2026" in text
    assert "je viendrai le" not in text
    assert not bot.store.attendance.all()


def test_a_public_holiday_is_named(bot):
    reply = words("je viendrai lundi 29 mars 2027", in_reply_to=invitation_id(bot))
    assert handle(bot, on_invitation_reply, reply, WEDNESDAY).endswith("2027-03-29 has no event, told")
    (_, told), = bot.mails("attendance_no_event")
    text = flat(told)
    assert "n'a pas lieu le lundi 29 mars 2027 : c'est un jour férié (Lundi de Pâques)." in text
    assert "La prochaine : le lundi 5 avril 2027" in text
    assert not bot.store.attendance.all() and to_animators(bot) == []


def test_a_closure_day(tmp_path):
    bot = robot(tmp_path)
    bot.settings = replace(bot.settings, calendar=replace(bot.settings.calendar, closures=(date(2026, 12, 28),)))
    bot.add_member("M-1", MARIE, name="Marie Dupont")
    publish_calendar(bot.settings, bot.store, NOW)
    reply = words("Présente le 28/12", in_reply_to=invitation_id(bot))
    assert handle(bot, on_invitation_reply, reply, WEDNESDAY).endswith("2026-12-28 has no event, told")
    (_, told), = bot.mails("attendance_no_event")
    assert "n'a pas lieu le lundi 28 décembre 2026 : le réseau est fermé ce jour-là." in flat(told)
    assert "La prochaine : le lundi 4 janvier 2027" in flat(told)


def test_an_answer_to_a_reminder_whose_day_was_cancelled_afterwards(tmp_path):
    bot = robot(tmp_path)
    bot.settings = replace(bot.settings, calendar=replace(bot.settings.calendar, reminders=True))
    bot.add_member("M-1", MARIE, name="Marie Dupont")
    publish_calendar(bot.settings, bot.store, NOW)
    with bot.store.transaction():
        bot.store.attendance.insert({"uid": PERMANENCE, "occurrence": None, "member": "M-1", "address": MARIE,
                                     "partstat": "accepted", "comment": None, "updated": NOW.isoformat(),
                                     "source": "calendar"})
    sunday = datetime(2026, 12, 6, 17, tzinfo=UTC)
    reminders_job(bot.settings, bot.store, sunday)
    (reminder, _), = bot.mails("event_reminder")
    in_transaction(bot.store, cancel_occurrence, bot.ctx(sunday), date(2026, 12, 7))
    later = datetime(2026, 12, 6, 19, tzinfo=UTC)
    reply = words("Oui je viendrai", in_reply_to=reminder["message_id"], date_sent=later)
    assert handle(bot, on_invitation_reply, reply, later).endswith("2026-12-07 has no event, told")
    assert [a["occurrence"] for a in bot.store.attendance.all()] == [None], "nothing recorded for the 7th"
    (_, told), = bot.mails("attendance_no_event")
    assert "n'aura pas lieu le lundi 7 décembre 2026 : cette date est annulée." in flat(told)


def test_an_answer_to_the_invitation_of_a_meeting_called_off(bot):
    in_transaction(bot.store, add_one_off, bot.ctx(), "meeting", date(2027, 1, 14), time(14), time(16))
    uid = "rencontre-20270114-1400-58a6ab90@example.org"
    invitation = invitation_id(bot, uid=uid)
    in_transaction(bot.store, cancel_event, bot.ctx(), uid)
    reply = words("Avec plaisir, je viendrai", in_reply_to=invitation)
    assert handle(bot, on_invitation_reply, reply, WEDNESDAY) == \
        f"invitation reply accepted: {uid} whole event has no event, told"
    assert not bot.store.attendance.all()
    (_, told), = bot.mails("attendance_no_event")
    assert told["Subject"] == "Annulé : Rencontre du RERS de Test – jeudi 14 janvier 2027"
    assert "L'événement « Rencontre du RERS de Test » n'aura pas lieu le jeudi 14 janvier 2027 : il est annulé." \
        in flat(told)
    assert "La prochaine" not in flat(told)


def test_a_day_that_is_no_day_of_the_event_still_goes_to_the_animators(bot):
    reply = words("je viendrai mardi 8 décembre", in_reply_to=invitation_id(bot))
    assert handle(bot, on_invitation_reply, reply, WEDNESDAY) == "invitation reply unclear: forwarded"
    assert to_animators(bot) == ["attendance_unclear"] and to_marie(bot) == ["unknown_ack"]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_template_renders_with_its_example(language):
    data = json.loads((BUILTIN_TEMPLATES / "examples" / "attendance_no_event.json").read_text(encoding="utf-8"))
    base = {"network": {"name": "RERS de Souday", "address": "rers.souday@example.org", "animators": [],
                        "permanence": {"weekday": "monday", "start": "2026-01-05T09:00:00",
                                       "end": "2026-01-05T12:00:00", "place": "salle du Havre"}},
            "now": "2026-11-23T09:00:00+00:00"}
    for why in ("cancelled", "holiday", "closure", "event_cancelled"):
        rendered = Renderer(language).render("attendance_no_event", {**base, **data, "why": why})
        assert rendered.subject and "\n" not in rendered.subject and "</html>" in rendered.html
        assert ("7 décembre 2026" if language == "fr" else "7 December 2026") in rendered.text


# --- 2 and 3. who may answer ------------------------------------------------------------------


def gmail_reply(attendee: str, uid: str = PERMANENCE) -> bytes:
    """A calendar client's REPLY accepting the whole series (no RECURRENCE-ID)."""
    calendar = (
        "BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nVERSION:2.0\r\n"
        "METHOD:REPLY\r\nBEGIN:VEVENT\r\nDTSTART:20261123T080000Z\r\nDTEND:20261123T110000Z\r\n"
        f"DTSTAMP:20261124T100000Z\r\nUID:{uid}\r\n"
        f"ATTENDEE;PARTSTAT=ACCEPTED;CN=Zoé:mailto:{attendee}\r\n"
        "SEQUENCE:0\r\nSUMMARY:Permanence du RERS de Test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    return (
        f"From: {attendee}\r\nTo: {NETWORK}\r\nSubject: Accepted: Permanence du RERS de Test\r\n"
        "Date: Tue, 24 Nov 2026 12:00:00 +0100\r\nMessage-ID: <reply-zoe@mail.example.com>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="alt"\r\n\r\n'
        '--alt\r\nContent-Type: text/plain; charset="UTF-8"\r\n\r\nAccepted.\r\n'
        '--alt\r\nContent-Type: text/calendar; charset="UTF-8"; method=REPLY\r\n\r\n'
        f"{calendar}\r\n--alt--\r\n").encode("utf-8")


def test_a_reply_from_a_non_member_is_not_recorded_and_goes_to_the_animators(bot):
    sent = bot.store.outbox.count()
    outcome = routed(bot, gmail_reply(ZOE), NOW)
    assert outcome == "rsvp: neither a member nor an animator, forwarded"
    assert not bot.store.attendance.all()
    assert answers_for(bot.store, PERMANENCE, date(2026, 11, 30)) == []
    (doc, forward), = bot.mails("rsvp_not_member")
    assert doc["recipients"] == list(ANIMATORS) and bot.store.outbox.count() == sent + 1  # nothing to Zoé
    assert (f"Réponse de {ZOE} à l'invitation « Permanence du RERS de Test » : ce n'est l'adresse ni d'un "
            "membre ni d'un animateur, elle n'a pas été notée (seuls les membres et les animateurs sont "
            "comptés).") in flat(forward)


def test_a_reply_from_someone_who_has_not_confirmed_their_joining_is_not_recorded(bot):
    bot.add_member("M-2", ZOE, name="Zoé Petit", status="pending", invitations=True)
    assert handle(bot, on_rsvp, rsvp(PERMANENCE, ZOE, "accepted")).endswith("forwarded")
    assert not bot.store.attendance.all() and len(bot.mails("rsvp_not_member")) == 1


def test_addresses_compare_without_case(bot):
    """Addresses compare without case: MARIE in capitals is Marie."""
    assert handle(bot, on_rsvp, rsvp(PERMANENCE, MARIE.upper(), "accepted", sender=MARIE)).startswith("rsvp accepted")
    assert [(d["member"], d["address"]) for d in bot.store.attendance.all()] == [("M-1", MARIE)]


@pytest.mark.parametrize("fields", [{"invitations": False}, {"invitations": None}, {"undeliverable": True}])
def test_a_member_who_gets_no_invitations_is_still_recorded(bot, fields):
    """They said they would come: that is what the animators want to know."""
    with bot.store.transaction():
        marie = bot.store.members.find_one("ref", "M-1")
        bot.store.members.update(marie["id"], **fields)
    assert handle(bot, on_rsvp, rsvp(PERMANENCE, MARIE, "accepted")) == f"rsvp accepted: {PERMANENCE} whole event"
    assert [(d["member"], d["partstat"]) for d in bot.store.attendance.all()] == [("M-1", "accepted")]
    assert not bot.mails("rsvp_not_member")


def test_an_animator_who_is_no_member_is_recorded(bot):
    assert handle(bot, on_rsvp, rsvp(PERMANENCE, ANIMATORS[0], "accepted")).startswith("rsvp accepted")
    assert [d["address"] for d in bot.store.attendance.all()] == [ANIMATORS[0]]


def test_plain_words_from_a_member_who_switched_invitations_off_are_recorded(bot):
    invitation = invitation_id(bot)
    with bot.store.transaction():
        bot.store.members.update(bot.store.members.find_one("ref", "M-1")["id"], invitations=False)
    reply = words("je viendrai lundi", in_reply_to=invitation)
    assert handle(bot, on_invitation_reply, reply, WEDNESDAY) == \
        f"invitation reply accepted: {PERMANENCE} 2026-11-30"
    assert len(bot.mails("attendance_noted")) == 1


def test_plain_words_from_an_invited_address_that_is_no_member_any_more(bot):
    """Marie's address changed since the invitation: the old one is nobody's now."""
    invitation = invitation_id(bot)
    with bot.store.transaction():
        bot.store.members.update(bot.store.members.find_one("ref", "M-1")["id"], address="marie@new.example")
    reply = words("je viendrai lundi", in_reply_to=invitation)
    assert handle(bot, on_invitation_reply, reply, WEDNESDAY) == \
        "invitation reply: neither a member nor an animator, forwarded"
    assert not bot.store.attendance.all()
    assert to_animators(bot) == ["attendance_not_member"] and to_marie(bot) == ["unknown_ack"]


# --- 4. a calendar answer with several days ----------------------------------------------------


def several(answers, *, sender=MARIE, comment=None):
    """One calendar REPLY carrying one answer per VEVENT (``parsed.rsvps``)."""
    rsvps = [{"uid": PERMANENCE, "attendee": attendee, "partstat": partstat, "recurrence_id": rid,
              "comment": comment} for attendee, partstat, rid in answers]
    return incoming(Parsed(intent="rsvp", sender=sender, message_id="<rsvp-many@client.example>",
                           subject="Accepté", rsvp=rsvps[0], rsvps=rsvps, text=""))


def test_every_answer_of_a_calendar_reply_is_recorded(bot):
    outcome = handle(bot, on_rsvp, several([(MARIE, "accepted", "2026-12-07T08:00:00+00:00"),
                                            (MARIE, "declined", "2026-12-14T08:00:00+00:00")]))
    assert outcome == (f"rsvp accepted: {PERMANENCE} 2026-12-07; rsvp declined: {PERMANENCE} 2026-12-14")
    assert sorted((d["occurrence"], d["partstat"]) for d in bot.store.attendance.all()) == [
        ("2026-12-07", "accepted"), ("2026-12-14", "declined")]
    assert to_marie(bot) == [] and to_animators(bot) == []


def test_an_answered_day_without_the_event_is_told_and_the_others_recorded(bot):
    in_transaction(bot.store, cancel_occurrence, bot.ctx(), date(2026, 11, 30))
    outcome = handle(bot, on_rsvp, several([(MARIE, "accepted", "2026-11-30T08:00:00+00:00"),
                                            (MARIE, "accepted", "2026-12-07T08:00:00+00:00")]))
    assert outcome == (f"rsvp accepted: {PERMANENCE} 2026-11-30 has no event, told; "
                       f"rsvp accepted: {PERMANENCE} 2026-12-07")
    assert [(d["occurrence"], d["partstat"]) for d in bot.store.attendance.all()] == [("2026-12-07", "accepted")]
    assert to_marie(bot) == ["attendance_no_event"]
    (_doc, told), = bot.mails("attendance_no_event")
    assert "n'aura pas lieu le lundi 30 novembre 2026 : cette date est annulée." in flat(told)


def test_one_forward_for_a_reply_about_two_unknown_events(bot):
    rsvps = [{"uid": f"unknown-{n}@elsewhere", "attendee": MARIE, "partstat": "accepted", "recurrence_id": None,
              "comment": None} for n in (1, 2)]
    message = incoming(Parsed(intent="rsvp", sender=MARIE, message_id="<rsvp-unknown@client.example>",
                              subject="Accepté", rsvp=rsvps[0], rsvps=rsvps, text=""))
    assert handle(bot, on_rsvp, message) == "rsvp: unknown event, forwarded; rsvp: unknown event, forwarded"
    assert to_animators(bot) == ["rsvp_unknown"]
    assert not bot.store.attendance.all()


def test_the_words_the_robot_suggests_after_a_calendar_answer_for_a_cancelled_day_are_understood(bot):
    """A calendar client's answer for a cancelled day (no References to the invitation):
    the note names the invitation in its References, so « je viendrai le … » written in
    reply to the note is an answer to the invitation, never « pas compris »."""
    in_transaction(bot.store, cancel_occurrence, bot.ctx(), date(2026, 11, 30))
    raw = gmail_reply(MARIE).replace(b"DTSTAMP:20261124T100000Z\r\n",
                                     b"DTSTAMP:20261124T100000Z\r\nRECURRENCE-ID:20261130T080000Z\r\n")
    assert routed(bot, raw, WEDNESDAY) == f"rsvp accepted: {PERMANENCE} 2026-11-30 has no event, told"
    (doc, told), = bot.mails("attendance_no_event")
    assert invitation_id(bot) in str(told["References"])
    again = member_mail(MARIE, f"Re: {told['Subject']}", "Je viendrai le 7 décembre, merci\n",
                        headers={"In-Reply-To": doc["message_id"], "References": str(told["References"])},
                        date=WEDNESDAY, message_id="<again-2@client.example>")
    assert routed(bot, again, WEDNESDAY) == f"invitation reply accepted: {PERMANENCE} 2026-12-07"


@pytest.mark.parametrize("text, day", [("Je viendrai lundi 14.", "2026-12-14"),
                                       ("je viendrai le lundi 14 décembre", "2026-12-14"),
                                       ("je viendrai le lundi 4 janvier", "2027-01-04")])
def test_a_weekday_and_a_day_of_the_month_name_that_date(bot, text, day):
    reply = words(text, in_reply_to=invitation_id(bot))
    assert handle(bot, on_invitation_reply, reply, WEDNESDAY) == f"invitation reply accepted: {PERMANENCE} {day}"


def test_yes_for_one_day_and_no_for_another_goes_to_a_person_as_unclear_not_as_a_wrong_day(bot):
    reply = words("Je viendrai lundi 14 mais pas le 21", in_reply_to=invitation_id(bot))
    assert handle(bot, on_invitation_reply, reply, WEDNESDAY) == "invitation reply unclear: forwarded"
    assert to_animators(bot) == ["attendance_unclear"]


def test_a_calendar_counter_in_reply_to_an_invitation_goes_to_the_animators_never_as_attendance(bot):
    invitation = invitation_id(bot)
    raw = (gmail_reply(MARIE).replace(b"METHOD:REPLY", b"METHOD:COUNTER").replace(b"method=REPLY", b"method=COUNTER")
           .replace(b"Accepted.", b"Je propose 10h plut\xc3\xb4t, je viendrai.")
           .replace(b"Message-ID: <reply-zoe@mail.example.com>",
                    f"Message-ID: <counter@mail.example.com>\r\nIn-Reply-To: {invitation}".encode()))
    outcome = routed(bot, raw, NOW)
    assert "invitation reply" not in outcome and not bot.store.attendance.all(), outcome
    assert to_animators(bot), "the animators read it"
