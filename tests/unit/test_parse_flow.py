"""The order of parse_message's questions and how the pieces come together, on small
plain messages (client formats are covered by tests/messages/)."""
from __future__ import annotations

from datetime import datetime, timezone

from workflows.mail.model import ParseOptions
from workflows.mail.parse import parse_message

OPTIONS = ParseOptions(network_address="rers@example.org")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def parse(subject: str, body: str, *, sender: str = "Marc Dupuis <marc.dupuis@example.com>", extra: str = "",
          options: ParseOptions = OPTIONS):
    raw = (f"From: {sender}\nTo: rers@example.org\nSubject: {subject}\nDate: Tue, 1 Dec 2026 10:00:00 +0100\n"
           f"Message-ID: <t@example.com>\n{extra}MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
           f"Content-Transfer-Encoding: 8bit\n\n{body}").encode("utf-8")
    return parse_message(raw, options, now=NOW)


def test_keyword_on_the_first_body_line_when_the_subject_has_none():
    parsed = parse("", "Bonjour,\n\nOFFRE : cours de couture\nJe couds depuis vingt ans.\n\nMarc")
    assert parsed.intent == "offer"
    assert [(item.title, item.description) for item in parsed.items] == [("cours de couture", "Je couds depuis vingt ans.")]


def test_greeting_on_the_same_line_is_skipped():
    assert parse("Bonjour", "Bonjour je voudrais m'inscrire").intent == "join"


def test_subject_wins_over_the_body():
    assert parse("Désinscription", "merci d'effacer mes données").intent == "withdraw"


def test_title_from_subject_and_fields_from_body():
    parsed = parse("Demande : apprendre le tricot", "Disponibilités : lundi\nLieu : agence\nContact : permanence")
    item = parsed.items[0]
    assert (item.kind, item.title, item.availability, item.place) == ("demand", "apprendre le tricot", "lundi", "agence")
    assert parsed.member.contact == "permanence"


def test_offer_without_any_title_has_no_item():
    parsed = parse("OFFRE", "Bonjour,\nje peux aider.")
    assert parsed.intent == "offer" and parsed.items == []


def test_withdraw_of_an_item_takes_its_reference_from_the_body():
    parsed = parse("Retrait de mon offre", "Merci de retirer l'offre O-4.")
    assert (parsed.intent, parsed.item_ref) == ("withdraw_item", "O-4")


def test_withdraw_of_an_item_without_reference_goes_to_the_animators():
    parsed = parse("Retrait de mon offre", "Je n'ai plus le temps.")
    assert (parsed.intent, parsed.item_ref) == ("unknown", None)


def test_savoir_lines_of_a_join_are_not_items_but_offre_lines_are():
    parsed = parse("Adhésion", "Savoir : Couture\nOffre : Tricot")
    assert [(item.kind, item.title) for item in parsed.items] == [("offer", "Tricot")]


def test_a_token_makes_a_reply_whatever_the_keywords():
    parsed = parse("Re: [RERS-ABCD2345] Confirmez votre désinscription", "Oui")
    assert (parsed.intent, parsed.token, parsed.answer) == ("reply", "RERS-ABCD2345", "yes")


def test_token_from_in_reply_to_only():
    parsed = parse("Re: votre question", "Non merci",
                   extra="In-Reply-To: <RERS-ABCD2345.1@rers.example.org>\n")
    assert (parsed.intent, parsed.token, parsed.answer) == ("reply", "RERS-ABCD2345", "no")


def test_free_text_bilan_has_no_bilan_fields():
    parsed = parse("Re: [RERS-ABCD2345] Votre échange", "C'était très bien, merci, on continue.")
    assert parsed.intent == "reply" and parsed.bilan is None
    assert parsed.text == "C'était très bien, merci, on continue."


def test_animator_answers_for_a_member():
    parsed = parse("Re: [RERS-ABCD2345] Question pour M-14", "POUR M-14 : OUI")
    assert (parsed.answer, parsed.on_behalf_of) == ("yes", "M-14")


def test_register_command_carries_fields_and_consent():
    parsed = parse("ADHÉSION POUR", "Nom : Odette Blanc\nTél : 06 11 22 33 44\nOffre : Tricot\n"
                   "Consentement : oral, à la permanence du 2026-12-07", sender="Claire <animation@example.org>")
    assert parsed.intent == "event_command"
    assert parsed.command == {"name": "register", "consent": "oral, à la permanence du 2026-12-07"}
    assert parsed.member.name == "Odette Blanc" and parsed.items[0].title == "Tricot"


def test_command_date_without_year_follows_the_message_date():
    parsed = parse("Lundi", "PERMANENCE ANNULÉE lundi 7 décembre", sender="animation@example.org")
    assert parsed.command == {"name": "cancel_permanence", "date": "2026-12-07"}


def test_command_without_date_header_uses_now():
    raw = b"From: animation@example.org\nSubject: PERMANENCE ANNULEE 3 janvier\n\nx"
    parsed = parse_message(raw, OPTIONS, now=datetime(2027, 1, 5, tzinfo=timezone.utc))
    assert parsed.command["date"] == "2028-01-03"


def test_network_address_marks_own_mail():
    parsed = parse("Votre offre est enregistrée", "Bonjour", sender="RERS <rers@example.org>")
    assert (parsed.intent, parsed.own_mail) == ("auto_reply", True)


def test_auto_submitted_no_is_a_person():
    assert parse("Aide", "?", extra="Auto-Submitted: no\n").intent == "help"


def test_auto_reply_beats_a_token():
    parsed = parse("Réponse automatique : [RERS-ABCD2345] Confirmez", "Absent.", extra="Auto-Submitted: auto-replied\n")
    assert parsed.intent == "auto_reply" and parsed.token is None


def test_without_from_there_is_no_sender_whatever_sender_or_return_path_say():
    # Issue 14: who wrote is the From mailbox only; Sender and Return-Path are never a
    # fallback (the agent and the envelope are not the author, and DMARC aligns on From).
    raw = b"Sender: Relay <relay@example.com>\nReturn-Path: <rp@example.com>\nSubject: Aide\n\nAide"
    parsed = parse_message(raw, OPTIONS)
    assert (parsed.sender, parsed.sender_problem, parsed.sender_field) == (None, "missing", "relay@example.com")
    raw = b"Return-Path: <rp@example.com>\nSubject: Aide\n\nAide"
    assert parse_message(raw, OPTIONS).sender is None


def test_text_has_no_control_characters():
    parsed = parse("Aide", "a\x00b\x07c\u200b\ufeffd\r\ne")
    assert parsed.text == "abcd\ne"


def test_mbox_separator_line_is_accepted():
    raw = b"From marc@example.com Tue Dec  1 10:00:00 2026\nFrom: marc@example.com\nSubject: Aide\n\n?"
    assert parse_message(raw, OPTIONS).intent == "help"
