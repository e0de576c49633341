"""Joining with double opt-in (issue 4): the question, OUI, NON, unclear, expiry, held
items, and what a forged From may not change."""
from __future__ import annotations

from datetime import timedelta

import pytest

from membership_support import World, mail, reply, text_of, token_of
from support import ANIMATORS
from workflows.steps import introductions
from workflows.shell.jobs import expire_pending_job

ELISE = "elise.martin@example.com"
JOIN_BODY = "Bonjour,\nJe veux adhérer.\nNom : Élise Martin\nTéléphone : 06 11 22 33 44\n"


@pytest.fixture
def world(tmp_path):
    return World(tmp_path / "robot")


@pytest.fixture
def opened(monkeypatch):
    """The refs handed to matching (introductions.on_items_opened), in order."""
    calls = []
    monkeypatch.setattr(introductions, "on_items_opened", lambda ctx, items: calls.extend(i["ref"] for i in items))
    return calls


def join(world, address=ELISE, body=JOIN_BODY, subject="Adhésion"):
    outcome = world.deliver(mail(address, subject, body, name="Elise Martin"))
    return outcome, world.last(address)


def test_join_creates_a_pending_member_and_asks_with_the_charter_and_the_privacy_notice(world):
    outcome, question = join(world)
    assert outcome.startswith("handled: join M-1 new") and "confirmation asked" in outcome
    member = world.member(ELISE)
    assert member["status"] == "pending" and member["name"] == "Élise Martin" and member["phone"] == "+33611223344"
    assert question.purpose == "question:join"
    text = text_of(question)
    assert "répondez simplement « OUI »" in text and "« NON »" in text
    assert "LA CHARTE DU RÉSEAU (version 1)" in text and "VOS DONNÉES PERSONNELLES (version 1)" in text
    assert "au bout de 30 jours" in text and "mercredi 23 décembre 2026" in text
    assert "jamais" in text and "service" in text  # the charter's "never a service"
    assert question["Auto-Submitted"] == "auto-replied"
    assert question["In-Reply-To"].startswith("<m")
    assert question["Message-ID"] == f"<{token_of(question)}.1@example.org>"
    assert question.get_body(preferencelist=("html",)) is not None
    assert world.store.consents.count() == 0
    assert all(world.mails(a) == [] for a in ANIMATORS)


def test_a_non_members_offer_is_a_join_with_the_offer_held_then_released_on_oui(world, opened):
    outcome = world.deliver(mail(ELISE, "OFFRE : cours d'espagnol", "Pour débutants.\n"))
    assert "join M-1 new O-1" in outcome
    assert world.store.items.find_one("ref", "O-1")["status"] == "held"
    question = world.last(ELISE)
    assert "O-1" in str(question["Subject"]) and "cours d'espagnol" in text_of(question)
    assert opened == []

    world.later(hours=2)
    outcome = world.deliver(reply(question, ELISE, "Oui merci !"))
    assert outcome == "handled: join confirmed: M-1 O-1"
    member = world.member(ELISE)
    assert member["status"] == "confirmed" and member["confirmed"] == "2026-11-23T11:00:00+00:00"
    assert world.store.items.find_one("ref", "O-1")["status"] == "open"
    assert opened == ["O-1"]
    (consent,) = world.store.consents.all()
    assert consent["member"] == "M-1" and consent["purpose"] == "membership" and consent["given"]
    assert consent["how"] == "mail" and consent["message_id"].startswith("<r")
    assert consent["texts"]["charte"]["version"] == "charte-v1"
    assert consent["texts"]["confidentialite"]["version"] == "confidentialite-v1"
    assert len(consent["texts"]["charte"]["sha256"]) == 16
    welcome = world.last(ELISE)
    assert welcome.purpose == "join_done" and "Votre numéro de membre est M-1" in text_of(welcome)


def test_items_sent_while_pending_are_held_and_all_released(world, opened):
    _, first = join(world)
    world.deliver(mail(ELISE, "DEMANDE", "Savoir : Utiliser un tableur\n"))
    assert world.store.items.find_one("ref", "D-1")["status"] == "held"
    second = world.last(ELISE)
    assert "D-1" in text_of(second) and token_of(second) != token_of(first)
    world.deliver(reply(first, ELISE, "OUI"))  # the first question is still good
    assert opened == ["D-1"]
    # Both mails were one question: answered once, through either.
    outcome = world.deliver(reply(second, ELISE, "OUI"))
    assert outcome == "handled: refused: already answered"


def test_non_erases_the_pending_member_and_says_so_once(world):
    world.deliver(mail(ELISE, "OFFRE : tricot", ""))
    question = world.last(ELISE)
    outcome = world.deliver(reply(question, ELISE, "Non merci"))
    assert outcome == "handled: join declined: M-1 erased"
    assert world.store.members.count() == 0 and world.store.items.count() == 0
    assert world.store.questions.count() == 0
    (tombstone,) = world.store.tombstones.all()
    assert tombstone["reason"] == "join_declined" and tombstone["offers"] == 1 and "M-1" not in str(tombstone)
    goodbye = world.last(ELISE)
    assert goodbye.purpose == "join_done" and goodbye.forget
    assert "annulée" in text_of(goodbye)


def test_an_unclear_answer_gets_one_clarification_then_goes_to_the_animators(world):
    _, question = join(world)
    assert world.deliver(reply(question, ELISE, "je ne sais pas encore")) == "handled: unclear: clarification asked"
    clarification = world.last(ELISE)
    assert clarification.purpose == "question:join" and "OUI ou NON" in str(clarification["Subject"])
    assert "confirmez-vous l'adhésion" in text_of(clarification)
    assert world.deliver(reply(clarification, ELISE, "peut-être")) == "handled: unclear twice: forwarded"
    assert world.mails(ANIMATORS[0], "unclear")
    assert world.member(ELISE)["status"] == "pending"


def test_a_confirmed_member_joining_again_is_told_so_and_a_forged_change_of_details_is_not_applied(world, opened):
    _, question = join(world)
    world.deliver(reply(question, ELISE, "OUI"))
    outcome = world.deliver(mail(ELISE, "ADHÉSION", "Nom : Quelqu'un d'autre\nTéléphone : 07 00 00 00 00\n"))
    assert outcome == "handled: join: M-1 already a member"
    member = world.member(ELISE)
    assert member["name"] == "Élise Martin" and member["phone"] == "+33611223344"
    assert world.last(ELISE).purpose == "join_ack"
    (notice,) = world.mails(ANIMATORS[0], "member_change")
    assert "nom, téléphone" in text_of(notice)


def test_a_confirmed_members_offer_is_recorded_open_and_matched(world, opened):
    _, question = join(world)
    world.deliver(reply(question, ELISE, "OUI"))
    outcome = world.deliver(mail(ELISE, "OFFRE", "Savoir : Rédiger un CV\n"))
    assert outcome == "handled: recorded O-1"
    assert world.store.items.find_one("ref", "O-1")["status"] == "open"
    assert opened == ["O-1"] and world.last(ELISE).purpose == "items_ack"


def test_questions_count_against_the_daily_limit(world):
    for n in range(7):
        world.deliver(mail(ELISE, "ADHÉSION", f"essai {n}\n"))
    assert len(world.mails(ELISE)) == world.settings.network.max_replies_per_day
    world.later(days=1)
    world.deliver(mail(ELISE, "ADHÉSION", "le lendemain\n"))
    assert len(world.mails(ELISE)) == world.settings.network.max_replies_per_day + 1


def test_no_answer_within_pending_days_erases_the_pending_data(world):
    _, question = join(world)
    settings, store = world.settings, world.store
    assert expire_pending_job(settings, store, world.now + timedelta(days=29)) == []
    assert expire_pending_job(settings, store, world.now + timedelta(days=30)) == ["M-1"]
    assert store.members.count() == 0 and store.questions.count() == 0
    assert store.tombstones.all()[0]["reason"] == "pending_expired"
    world.later(days=30, minutes=1)
    assert world.deliver(reply(question, ELISE, "OUI")) == "handled: refused: unknown token"
    assert world.store.members.count() == 0


def test_confirmed_members_do_not_expire(world):
    _, question = join(world)
    world.deliver(reply(question, ELISE, "OUI"))
    assert expire_pending_job(world.settings, world.store, world.now + timedelta(days=400)) == []


def test_a_hard_bounce_stops_the_mail_until_the_person_writes_again(world):
    _, question = join(world)
    world.deliver(reply(question, ELISE, "OUI"))
    before = len(world.mails(ELISE))
    sent = world.last(ELISE)["Message-ID"]
    bounce = mail("MAILER-DAEMON@mx.example.com", "Undelivered Mail Returned to Sender",
                  f"This is the mail system.\n\n<{ELISE}>: host said: 550 5.1.1 User unknown\n\n"
                  f"--- Below this line is a copy of the message.\n\nMessage-ID: {sent}\nSubject: ...\n",
                  headers={"X-Failed-Recipients": ELISE})
    assert world.deliver(bounce) == "handled: bounce: M-1"
    assert world.member(ELISE)["undeliverable"]
    assert world.mails(ANIMATORS[0], "bounce")
    # Another step deciding a mail to the member: the plan leaves it out.
    from workflows.shell.apply import view
    assert view(world.settings, world.store, world.now).mail(template="help", to=[(None, ELISE)], values={},
                                                             purpose="test", cause="<x@y>") is None
    assert len(world.mails(ELISE)) == before
    world.deliver(mail(ELISE, "AIDE", ""))
    assert not world.member(ELISE)["undeliverable"]
    assert world.last(ELISE).purpose == "help"


def test_automatic_mail_carrying_the_token_is_never_an_answer_nor_answered(world):
    _, question = join(world)
    count = len(world.mails(ELISE))
    out_of_office = reply(question, ELISE, "Je suis absente jusqu'au 30 novembre.",
                          subject=f"Réponse automatique : {question['Subject']}",
                          headers={"Auto-Submitted": "auto-replied"})
    assert world.deliver(out_of_office) == "handled: ignored: automatic mail"
    own = mail(world.settings.network.address, f"Re: {question['Subject']}", "OUI\n")
    assert world.deliver(own) == "handled: ignored: automatic mail"
    assert world.member(ELISE)["status"] == "pending" and len(world.mails(ELISE)) == count


def test_a_confirmed_member_may_change_preferences_by_mail(world):
    _, question = join(world)
    world.deliver(reply(question, ELISE, "OUI"))
    world.deliver(mail(ELISE, "OFFRE", "Savoir : Tricot\nInvitations : oui\nContact : téléphone\n"))
    member = world.member(ELISE)
    assert member["invitations"] is True and member["contact"] == "phone"
    assert world.mails(ANIMATORS[0], "member_change") == []


def test_a_member_who_asked_for_invitations_is_invited_when_confirmed_and_when_switching_on(world):
    from workflows.shell.publish import publish_calendar

    publish_calendar(world.settings, world.store, world.now)  # the permanence exists
    outcome, question = join(world, body=JOIN_BODY + "Invitations : oui\n")
    assert world.mails(ELISE, "invitation") == []  # not before confirming
    world.deliver(reply(question, ELISE, "Oui"))
    invitations = world.mails(ELISE, "invitation")
    assert len(invitations) == 1
    methods = [p.get_param("method") for p in invitations[0].walk() if p.get_content_type() == "text/calendar"]
    assert methods == ["REQUEST"]

    paul = "paul.roux@example.net"
    _, question = join(world, address=paul, body="Nom : Paul Roux\n")
    world.deliver(reply(question, paul, "Oui"))
    assert world.mails(paul, "invitation") == []
    world.deliver(mail(paul, "OFFRE : tricot", "Invitations : oui\n"))
    assert len(world.mails(paul, "invitation")) == 1


def test_an_animator_gets_ten_times_the_daily_answers_still_bounded(world):
    animator = ANIMATORS[0]
    limit = world.settings.network.max_replies_per_day
    for n in range(limit * 10 + 3):
        world.deliver(mail(animator, "AIDE", f"question {n}\n"))
    assert len(world.mails(animator)) == limit * 10
    for n in range(limit + 2):
        world.deliver(mail(ELISE, "AIDE", f"question {n}\n"))
    assert len(world.mails(ELISE)) == limit
