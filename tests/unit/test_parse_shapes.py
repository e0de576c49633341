"""Issue 15: people's mail as their clients write it (tests/messages/, one file per shape),
checked like the sample corpus: only the keys given are compared, strings after NFC, case
and space folding.

Each message was written in its client's real shape (headers, MIME structure, charset,
transfer encoding, quoting): footers and notices that are not the member's words, quote and
forward separators, answers written below or between quoted lines, an indentation
blockquote, text after a field, offers and demands written as sentences, the protocol's
new forms, replies to the robot's own mail, Sieve rejects, and calendar clients' answers.
"""
from __future__ import annotations

import json

import pytest
from test_parse_messages import mismatches, parse_file

QUESTION_TEXT_NEVER = ("Répondez", "Une personne du réseau", "a écrit", "wrote")

EXPECTED_SHAPES: dict[str, dict] = {
    # Footers and notices are not the member's words
    "windows-mail-footer-link-go": {"intent": "reply", "answer": "no",
                                    "text": "Non merci, j'ai déjà trouvé de l'aide."},
    "yahoo-android-footer-reply": {"intent": "reply", "answer": "no", "text": "Non, pas pour le moment."},
    "outlook-android-footer-offer": {
        "intent": "offer",
        "items": [{"kind": "offer", "title": "retouches de vêtements",
                   "description": "Je peux faire des retouches de vêtements : ourlets, fermetures éclair, boutons. "
                                  "J'ai une machine à coudre chez moi."}],
    },
    "proton-footer-demand": {"intent": "demand",
                             "items": [{"title": "Anglais pour les entretiens d'embauche",
                                        "availability": "le jeudi après-midi"}],
                             "text": "Bonjour,\n\nSavoir : Anglais pour les entretiens d'embauche\n"
                                     "Disponibilités : le jeudi après-midi"},
    "samsung-galaxy-footer-join": {"intent": "join",
                                   "member": {"name": "Saïd Benhamou", "phone": "+33651223344", "contact": "phone"},
                                   "unused_text": False},
    "huawei-footer-message-original": {"intent": "reply", "answer": "yes", "text": "D'accord, merci !"},
    "gmail-avast-stamp-bilan": {
        "intent": "reply", "token": "RERS-B7N6M5K4",
        "bilan": {"happened": "yes", "interest": "j'ai enfin un CV clair, elle m'a montré comment le présenter",
                  "obstacles": "le manque de temps", "facilitators": None},
        "text": "Échange réalisé : oui\nIntérêt : j'ai enfin un CV clair, elle m'a montré comment le présenter\n"
                "Freins : le manque de temps",
    },
    "thunderbird-avg-stamp-description": {
        "intent": "offer",
        "items": [{"title": "Jardinage sur balcon",
                   "description": "semer, rempoter, arroser sans gaspiller ; de quoi faire pousser des tomates et des "
                                  "herbes aromatiques sur un petit balcon.\nJe peux prêter des graines pour commencer."}],
    },
    "outlook-legal-notice-non-autorisee": {"intent": "reply", "answer": "yes", "text": "Oui, je suis d'accord."},
    "association-signature-non-stop": {"intent": "reply", "answer": "yes", "text": "Oui avec plaisir"},
    "volunteer-signature-glued-bilan": {
        "intent": "reply",
        "bilan": {"happened": "ongoing", "interest": "j'apprends à tailler les fruitiers, c'est concret"},
        "member": {"phone": None},
    },
    # Quote and forward separators
    "zimbra-free-mail-original": {"intent": "reply", "answer": "yes", "text": "Oui d'accord"},
    "thunderbird-forward-own-offer": {
        "intent": "offer",
        "items": [{"kind": "offer", "title": "Couture pour débutants", "modality": "group",
                   "availability": "le mardi après-midi", "place": "maison de quartier"}],
    },
    "yahoo-forward-one-line-header": {
        "intent": "demand",
        "items": [{"kind": "demand", "title": "lire une facture d'électricité",
                   "description": "Je ne comprends rien à mes factures, j'aimerais qu'on m'explique. "
                                  "Je suis disponible le lundi."}],
        "unused_text": True,  # « Je vous renvoie ma demande, je n'ai pas eu de réponse. »
    },
    "iphone-forward-below-footer": {
        "intent": "offer",
        "items": [{"kind": "offer", "title": "Réparation de vélos", "availability": "le samedi matin",
                   "place": "garage associatif"}],
        "text": "Savoir : Réparation de vélos\nDisponibilités : le samedi matin\nLieu : garage associatif",
    },
    "agent-forward-outlook-join": {
        "intent": "join",
        "items": [{"kind": "offer", "title": "cuisine sénégalaise"},
                  {"kind": "demand", "title": "utiliser un ordinateur"}],
        "unused_text": True,  # the adviser's note (a phone number, no computer) is for the animators
    },
    "forward-quoted-with-gt-no-tr": {
        "intent": "demand",
        "items": [{"kind": "demand", "title": "Utiliser un smartphone (photos, WhatsApp)",
                   "availability": "mardi matin"}],
        "member": {"contact": "permanence"},
    },
    # Where the member wrote
    "iphone-bottom-posted-yes": {"intent": "reply", "answer": "yes", "text": "Oui avec plaisir"},
    "thunderbird-inline-answer": {"intent": "reply", "answer": "yes",
                                  "text": "OUI, merci beaucoup !\n\nLundi matin me va très bien."},
    "rewrapped-quote-lines": {"intent": "reply", "answer": "yes", "text": "Oui"},
    "on-line-above-french-attribution": {"intent": "reply", "answer": "yes", "text": "On est d'accord, oui !"},
    "on-lines-above-english-attribution": {"intent": "reply", "answer": "yes",
                                           "text": "OK pour moi.\nOn se voit lundi à la permanence."},
    # HTML
    "html-indent-blockquote-demand": {
        "intent": "demand",
        "items": [{"kind": "demand", "title": "Utiliser le site de la CAF", "availability": "le mercredi matin",
                   "place": "médiathèque"}],
    },
    # Text after a field
    "field-blank-line-then-own-text": {
        "intent": "demand",
        "items": [{"title": "Préparer un entretien d'embauche", "availability": "le mardi", "description": None}],
        "unused_text": True,
    },
    "invitations-then-name-and-phone": {"intent": "join", "member": {"invitations": True, "phone": None}},
    # Prose
    "prose-demand-cv": {"intent": "demand",
                        "items": [{"kind": "demand", "title": "faire un CV",
                                   "description": "je suis au chômage depuis peu."}]},
    "prose-join-offer-demand-question": {
        "intent": "join",
        "items": [{"kind": "offer", "title": "réparer un vélo"}, {"kind": "demand", "title": "utiliser un tableur"}],
        "unused_text": True,  # « Est-ce que c'est gratuit ? »
    },
    "prose-offer-velo": {"intent": "offer",
                         "items": [{"kind": "offer", "title": "réparer un vélo",
                                    "description": "le samedi matin de préférence."}],
                         "unused_text": False},
    # The protocol's new forms
    "preferences-invitations-non-reply": {"intent": "preferences", "token": None,
                                          "member": {"invitations": False, "invitation_kinds": None}},
    "preferences-subject-nouvelles-oui": {"intent": "preferences", "member": {"digest": True}},
    "preferences-kinds-polite": {
        "intent": "preferences",
        "member": {"invitations": True, "invitation_kinds": ["ateliers", "réseaux voisins"], "contact": "phone",
                   "phone": "+33698765432"},
    },
    "interest-reply-to-catalogue": {"intent": "interest", "item_ref": "O-14"},
    "interest-keyword-subject": {"intent": "interest", "item_ref": "D-7", "items": []},
    "pause-until-date": {"intent": "pause", "pause_until": "2027-03-15"},
    "pause-open-body": {"intent": "pause", "pause_until": None},
    "resume-je-reviens": {"intent": "resume"},
    "testimony-signature-prenom": {"intent": "testimony", "signature": "prénom"},
    "testimony-default-anonymous": {"intent": "testimony", "signature": "anonyme",
                                    "text": "Le réseau m'a permis de rencontrer des voisins."},
    "address-change-keyword": {"intent": "address_change", "new_address": "marie.dupont@laposte.net"},
    "address-change-body": {"intent": "address_change", "new_address": "dupont.marie@gmail.com"},
    "federation-catalogue": {"intent": "federation", "token": None, "items": []},
    "withdraw-testimony-t4": {"intent": "withdraw_item", "item_ref": "T-4"},
    "offer-shared-standing-consent-places": {
        "intent": "offer",
        "items": [{"title": "Cuisine du monde", "modality": "group", "availability": "le jeudi soir",
                   "shared": True, "standing_consent": True, "capacity": 6}],
    },
    "animator-group-command": {"intent": "event_command", "command": {"name": "group", "offer": "O-12", "capacity": 8}},
    "animator-workshop-of-group": {
        "intent": "event_command",
        "command": {"name": "workshop", "date": "2027-01-20", "start": "10:00", "end": "12:00",
                    "place": "Salle du Havre", "title": None, "group": "G-3", "offer": None},
    },
    # Replies to the robot's own mail
    "offer-in-reply-to-help": {"intent": "offer",
                               "items": [{"title": "cours de guitare", "availability": "le mercredi après-midi"}]},
    "offer-in-reply-to-item-kept": {"intent": "offer", "items": [{"kind": "offer", "title": "tricot pour débutants"}]},
    "question-in-reply-to-help": {"intent": "unknown", "text": "Je n'ai pas compris où il faut écrire."},
    # Delivery reports
    "sieve-reject-dovecot-mdn": {"intent": "bounce", "token": None},
    "sieve-reject-cyrus": {"intent": "bounce"},
    "postmaster-mdn-failed": {"intent": "bounce"},
    # Calendar clients
    "google-calendar-declined-with-note": {
        "intent": "rsvp",
        "rsvp": {"uid": "rencontre-20270114@rers.example.org", "attendee": "rose.ngoma@gmail.com",
                 "partstat": "declined", "recurrence_id": None, "comment": "Je serai en formation ce jour-là, désolée"},
    },
    "google-calendar-series-and-one-date": {
        "intent": "rsvp",
        "rsvp": {"uid": "permanence@rers.example.org", "partstat": "accepted", "recurrence_id": None},
        "rsvps": [{"uid": "permanence@rers.example.org", "attendee": "marc.vidal@gmail.com", "partstat": "accepted",
                   "recurrence_id": None},
                  {"uid": "permanence@rers.example.org", "attendee": "marc.vidal@gmail.com", "partstat": "declined",
                   "recurrence_id": "2026-12-21T08:00:00+00:00"}],
    },
    "outlook-calendar-refresh": {"intent": "auto_reply", "rsvp": None, "answer": None},
    "calendar-declinecounter": {"intent": "auto_reply", "item_ref": None},
}


@pytest.mark.parametrize("name", sorted(EXPECTED_SHAPES))
def test_shape(name):
    contract = parse_file(name).contract()
    assert mismatches(EXPECTED_SHAPES[name], contract) == []
    json.dumps(contract, ensure_ascii=False)


@pytest.mark.parametrize("name", sorted(name for name, want in EXPECTED_SHAPES.items() if want["intent"] == "reply"))
def test_a_reply_keeps_none_of_the_question(name):
    text = parse_file(name).text
    assert not any(words in text for words in QUESTION_TEXT_NEVER), text


def test_a_forward_names_what_it_forwards():
    parsed = parse_file("agent-forward-outlook-join")
    assert parsed.forwarded and parsed.forwarded_from == "aminata.diallo@example.com"
    assert parsed.sender == "s.martin@ccas-souday.fr"  # identity stays the sender's
    assert "Sophie Martin" not in parsed.text and "CCAS" not in parsed.text  # the adviser's signature
    yahoo = parse_file("yahoo-forward-one-line-header")
    assert yahoo.forwarded_subject == "Demande : lire une facture d'électricité"
    assert yahoo.forwarded_from == "nadia_ferhat@yahoo.fr"


def test_replies_to_the_robot_are_recognised():
    assert parse_file("offer-in-reply-to-help").reply_to_robot  # by In-Reply-To <rers.HEX@…>
    assert parse_file("offer-in-reply-to-item-kept").reply_to_robot  # by its subject
    assert not parse_file("prose-offer-velo").reply_to_robot


def test_federation_exposes_its_parts_for_the_step():
    parsed = parse_file("federation-catalogue")
    assert parsed.federation["kind"] == "catalogue"
    assert json.loads(parsed.federation["json"])["items"][0]["ref"] == "O-31"
    assert parsed.federation["signature"].startswith("ed25519:")
    assert parsed.automatic == "federation"


def test_sieve_rejects_name_the_refused_address():
    assert parse_file("sieve-reject-dovecot-mdn").bounced_addresses == ["marie.dupont@example.net"]
    assert parse_file("sieve-reject-cyrus").bounced_addresses == ["karim@example.com"]
    assert parse_file("read-receipt").intent == "auto_reply"  # a read receipt is still not a bounce


def test_calendar_requests_say_why_they_are_automatic():
    assert parse_file("outlook-calendar-refresh").automatic == "calendar: refresh"
    assert parse_file("calendar-declinecounter").automatic == "calendar: declinecounter"
