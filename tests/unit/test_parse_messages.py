"""Every test message of tests/messages/ through parse_message, checked like the sample
corpus: only the keys given are compared; strings after NFC, case and space folding.

One file per kind of trouble, named by scenario; a file without an expectation here
fails the suite, so that no message goes unchecked.
"""
from __future__ import annotations

import json
import unicodedata
from datetime import datetime, timezone
from pathlib import Path

import pytest

from workflows.mail.model import ParseOptions
from workflows.mail.parse import parse_message

MESSAGES = Path(__file__).resolve().parent.parent / "messages"
OPTIONS = ParseOptions(network_address="rers@example.org")
NOW = datetime(2026, 12, 8, 9, 0, tzinfo=timezone.utc)

EXPECTED: dict[str, dict] = {
    # How people write
    "gmail-qp-adhesion-fields": {
        "intent": "join", "sender": "nadia.ferhat@example.com",
        "member": {"name": "Nadia Ferhat", "phone": "+33781223344", "contact": "phone", "invitations": False},
        "items": [],
    },
    "outlook-cp1252-offer-nbsp": {
        "intent": "offer",
        "items": [{"kind": "offer", "title": "Réparer un vélo", "modality": "group",
                   "availability": "le samedi matin", "place": "garage associatif"}],
        "member": {"phone": None},
    },
    "thunderbird-flowed-delsp-offer": {
        "intent": "offer",
        "items": [{"title": "Initiation à la photographie",
                   "description": "Régler son appareil, cadrer, comprendre la lumière et trier ses photos "
                                  "sur l'ordinateur, pour les grands débutants.",
                   "availability": "le mardi soir"}],
    },
    "html-only-base64-demand": {
        "intent": "demand",
        "items": [{"kind": "demand", "title": "Lire une facture d'électricité",
                   "availability": "le lundi après-midi", "place": "visio"}],
        "text": "Bonjour,\n\nSavoir : Lire une facture d'électricité\n\nDisponibilités : le lundi après-midi\n\nLieu : visio",
    },
    "web-form-relay": {
        "intent": "join", "sender": "no-reply@example.com",
        "member": {"name": "Paul Henry", "phone": "+33612345678"},
    },
    "join-with-offer-and-demand-lines": {
        "intent": "join",
        "member": {"name": "Nadia Ferhat"},
        "items": [{"kind": "offer", "title": "Couture", "availability": "le mardi"},
                  {"kind": "demand", "title": "Informatique pour débutants", "place": "médiathèque"}],
    },
    "iphone-offer-sent-from-signature": {
        "intent": "offer",
        "items": [{"title": "cours de tricot",
                   "description": "Je peux apprendre à tricoter une écharpe, même aux grands débutants."}],
        "text": "Bonjour\nJe peux apprendre à tricoter une écharpe, même aux grands débutants.",
    },
    # Quotes and signatures
    "owa-reply-no-above-question": {"intent": "reply", "token": "RERS-K7M2P9QX", "answer": "no", "items": [],
                                    "text": "Non merci"},
    "outlook-header-block-without-separator": {"intent": "reply", "token": "RERS-Q3W4E5R6", "answer": "yes",
                                               "text": "oui je suis d'accord"},
    "outlook-header-block-with-gt": {"intent": "reply", "token": "RERS-Z8X7C6V5", "answer": "no"},
    "gmail-attribution-wrapped": {"intent": "reply", "token": "RERS-H2J3K4L5", "answer": "yes",
                                  "text": "Oui avec plaisir"},
    "apple-mail-attribution-iphone": {"intent": "reply", "token": "RERS-M5N6B7V8", "answer": "no",
                                      "text": "Non pas pour l’instant"},
    "dash-dash-signature-phone-ignored": {"intent": "demand", "member": {"phone": None},
                                          "items": [{"title": "Apprendre à nager", "availability": "le dimanche"}]},
    "cordialement-closing-with-details": {"intent": "join", "member": {"name": "Nadia Ferhat", "phone": None},
                                          "text": "Bonjour,\n\nNom : Nadia Ferhat"},
    "legal-disclaimer-cut": {"intent": "join", "member": {"name": "Pascal Morin", "phone": "+33611223344",
                                                          "contact": None}},
    "forward-tr-outlook-keeps-content": {
        "intent": "offer",
        "items": [{"title": "Taille des arbres fruitiers", "availability": "le samedi après-midi"}],
    },
    "forward-gmail-fwd-keeps-content": {
        "intent": "offer",
        "items": [{"title": "Cuisine marocaine", "modality": "group"}],
        "text": "Savoir : Cuisine marocaine\nModalité : en groupe",
    },
    "quoted-savoir-never-item": {"intent": "reply", "answer": "yes", "items": [], "text": "D'accord"},
    "quoted-retrait-never-withdraws": {"intent": "unknown", "item_ref": None, "token": None},
    "token-only-in-body": {"intent": "reply", "token": "RERS-T6Y7U8I9", "answer": "yes"},
    # Encodings
    "rfc2047-split-inside-character": {"intent": "withdraw", "sender": "mael.legall@example.com"},
    "bad-base64-header": {"intent": "help", "sender": "jerome.perez@example.com"},
    "unknown-charset-uft-8": {"intent": "join", "member": {"name": "Rose Pétillon"}},
    "unknown-charset-x-inconnu": {"intent": "demand", "items": [{"title": "Pâtisserie française"}]},
    "windows-1252-labelled-iso-8859-1": {"intent": "offer",
                                         "items": [{"title": "L’art du tricot – niveau débutant"}]},
    "raw-8bit-headers": {"intent": "join", "sender": "francoise.ble@example.com",
                         "member": {"name": "Françoise Blé"}},
    "missing-date-command": {"intent": "event_command",
                             "command": {"name": "cancel_permanence", "date": "2026-12-14"}},
    "french-date-header": {"intent": "event_command",
                           "command": {"name": "cancel_permanence", "date": "2027-01-04"}},
    # Automatic mail
    "auto-submitted-auto-replied": {"intent": "auto_reply", "token": None},
    "x-autoreply-header": {"intent": "auto_reply"},
    "x-autorespond-header": {"intent": "auto_reply"},
    "precedence-bulk": {"intent": "auto_reply"},
    "precedence-junk": {"intent": "auto_reply"},
    "precedence-list": {"intent": "auto_reply", "items": []},
    "list-id-newsletter": {"intent": "auto_reply", "items": []},
    "out-of-office-subject-fr": {"intent": "auto_reply"},
    "out-of-office-subject-en": {"intent": "auto_reply"},
    "out-of-office-subject-absence": {"intent": "auto_reply"},
    "human-reply-x-auto-response-suppress": {"intent": "reply", "token": "RERS-W2E3R4T5", "answer": "yes"},
    "own-mail-coming-back": {"intent": "auto_reply", "token": None, "answer": None},
    "read-receipt": {"intent": "auto_reply"},
    "dsn-exim-failed": {"intent": "bounce", "token": None},
    "dsn-delayed-only": {"intent": "bounce"},
    "bounce-qmail-no-report": {"intent": "bounce"},
    # Calendar answers
    "calendar-reply-outlook-windows-zone": {
        "intent": "rsvp",
        "rsvp": {"uid": "permanence@rers.example.org", "attendee": "marc.vidal@example.net",
                 "partstat": "accepted", "recurrence_id": "2026-12-14T08:00:00+00:00", "comment": None},
    },
    "calendar-reply-folded-utf8-lowercase": {
        "intent": "rsvp",
        "rsvp": {"uid": "atelier-20270120@rers.example.org", "attendee": "marc.vidal@example.net",
                 "partstat": "tentative", "recurrence_id": None,
                 "comment": "Je viendrai avec ma voisine, si c’est possible, merci beaucoup à vous"},
    },
    "calendar-reply-base64-declined-utc": {
        "intent": "rsvp",
        "rsvp": {"attendee": "marc.vidal@example.net", "partstat": "declined",
                 "recurrence_id": "2026-12-21T08:00:00+00:00"},
    },
    # Not mail at all
    "not-a-mail-random-bytes": {"intent": "unknown", "sender": None},
}


def norm(value):
    if isinstance(value, str):
        return " ".join(unicodedata.normalize("NFC", value).split()).casefold()
    return value


def mismatches(expected, actual, path="$"):
    """(path, expected, actual) for each difference, on the expected keys only."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [(path, expected, actual)]
        return [m for key, want in expected.items() for m in mismatches(want, actual.get(key, "<missing>"), f"{path}.{key}")]
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [(path, expected, actual)]
        return [m for i, (want, got) in enumerate(zip(expected, actual)) for m in mismatches(want, got, f"{path}[{i}]")]
    return [] if norm(expected) == norm(actual) else [(path, expected, actual)]


def parse_file(name: str, options: ParseOptions = OPTIONS):
    return parse_message((MESSAGES / f"{name}.eml").read_bytes(), options, now=NOW)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_message(name):
    contract = parse_file(name).contract()
    assert mismatches(EXPECTED[name], contract) == []
    json.dumps(contract, ensure_ascii=False)  # plain data


def test_every_message_file_has_an_expectation():
    from test_parse_shapes import EXPECTED_SHAPES  # issue 15's shapes have their own file

    expected = set(EXPECTED) | set(EXPECTED_SHAPES)
    names = {path.stem for path in MESSAGES.glob("*.eml")}
    assert names - expected == set()
    assert expected - names == set()


def test_bounce_names_the_failed_addresses():
    assert parse_file("dsn-exim-failed").bounced_addresses == ["jean.absent@example.net"]
    assert parse_file("bounce-qmail-no-report").bounced_addresses == ["ancien.membre@example.net"]
    delayed = parse_file("dsn-delayed-only")
    assert delayed.bounced_addresses == [] and delayed.delayed_addresses == ["lent@example.net"]


def test_automatic_mail_says_why():
    assert parse_file("auto-submitted-auto-replied").automatic == "auto-submitted: auto-replied"
    assert parse_file("precedence-bulk").automatic == "precedence: bulk"
    assert parse_file("list-id-newsletter").list_id.startswith("Voisins du quartier")
    own = parse_file("own-mail-coming-back")
    assert own.own_mail and own.automatic == "own mail"


def test_own_mail_is_recognised_by_its_message_id_without_configuration():
    assert parse_file("own-mail-coming-back", ParseOptions()).intent == "auto_reply"


def test_web_form_relay_keeps_reply_to_for_answering_only():
    parsed = parse_file("web-form-relay")
    assert parsed.sender == "no-reply@example.com"
    assert parsed.reply_to == "paul.henry@example.net"


def test_forward_is_flagged():
    assert parse_file("forward-tr-outlook-keeps-content").forwarded
    assert not parse_file("owa-reply-no-above-question").forwarded


def test_envelope_is_read():
    parsed = parse_file("human-reply-x-auto-response-suppress")
    assert parsed.in_reply_to == ["<RERS-W2E3R4T5.1@rers.example.org>"]
    assert parsed.message_id == "<human-reply-x-auto-response-suppress@example.com>"
    assert parsed.date == datetime(2026, 12, 8, 8, 0, tzinfo=timezone.utc)
    assert parsed.auto_submitted is None


def test_a_message_without_message_id_gets_one_from_its_bytes():
    first = parse_message(b"From: a@example.com\nSubject: Aide\n\nAide", OPTIONS)
    again = parse_message(b"From: a@example.com\nSubject: Aide\n\nAide", OPTIONS)
    assert first.message_id == again.message_id
    assert first.message_id.startswith("<sha256-") and first.message_id.endswith("@rers.invalid>")


def test_commands_only_from_configured_animators():
    raw = (MESSAGES / "missing-date-command.eml").read_bytes()
    as_animator = parse_message(raw, ParseOptions(animators=frozenset({"animation@example.org"})), now=NOW)
    as_member = parse_message(raw, ParseOptions(animators=frozenset({"autre@example.org"})), now=NOW)
    assert as_animator.intent == "event_command"
    assert as_member.intent == "unknown" and as_member.command is None


@pytest.mark.parametrize(
    "raw",
    [b"", b"   \n\n", b"\x00\x01\x02", b"not a header line\n\nbody", b"From nobody Mon Jan  1 00:00:00 2026\n",
     "Subject: caf\u00e9\n\n\udcff".encode("utf-8", "surrogateescape")],
)
def test_unreadable_bytes_are_unknown_with_a_reason(raw):
    parsed = parse_message(raw, OPTIONS)
    contract = parsed.contract()
    assert list(contract) == ["intent", "sender", "token", "answer", "member", "items", "item_ref",
                              "pause_until", "new_address", "signature", "bilan", "command", "rsvp", "rsvps",
                              "text", "unused_text"]
    assert contract["intent"] == "unknown"
    json.dumps(contract)


def test_not_mail_reason_is_in_text():
    assert "illisible" in parse_message(b"\x00\x01", OPTIONS).text


def test_a_body_too_deep_to_read_still_gives_its_headers():
    body = "Content-Type: text/plain\n\nhello\n"
    for depth in range(3000):
        body = f'Content-Type: multipart/mixed; boundary="b{depth}"\n\n--b{depth}\n{body}\n--b{depth}--\n'
    raw = ("From: =?utf-8?q?Jean_Dupr=C3=A9?= <jean@example.com>\nSubject: Offre de cours\n"
           "Message-ID: <deep@example.com>\nMIME-Version: 1.0\n" + body).encode()
    parsed = parse_message(raw, OPTIONS)
    assert parsed.intent == "unknown" and "RecursionError" in parsed.text
    assert (parsed.sender, parsed.sender_name, parsed.subject, parsed.message_id) == \
        ("jean@example.com", "Jean Dupré", "Offre de cours", "<deep@example.com>")
