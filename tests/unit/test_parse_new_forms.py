"""The new forms of protocol.md (issue 15): preferences, interest, pause and resume,
testimony, address change, federation, RETRAIT T-n, the new member and item fields,
GROUPE and the workshop of a group, and replies to the robot's own mail."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from workflows.mail.animator_commands import read_command
from workflows.mail.fields import invitation_choice, is_preferences, read_fields, signature_choice
from support import make_settings, member_mail
from workflows.mail.intents import find_keyword, is_reply_subject, is_robot_subject, is_robot_tagged, strip_subject
from workflows.mail.model import INTENTS, ParseOptions
from workflows.mail.parse import parse_message
from workflows.mail.render import BUILTIN_TEMPLATES, Renderer
from workflows.mail.tokens import is_robot_message_id
from workflows.shell.templating import example

REFERENCE = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def parse(subject: str, body: str = "", extra: str = "", sender: str = "Marie Dupont <marie.dupont@example.org>",
          options: ParseOptions | None = None):
    raw = (f"From: {sender}\nTo: rers@example.org\nSubject: {subject}\nDate: Mon, 7 Dec 2026 10:00:00 +0100\n"
           f"{extra}MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
           + body)
    return parse_message(raw.encode("utf-8"), options or ParseOptions(network_address="rers@example.org"))


def test_every_new_intent_is_listed():
    assert {"preferences", "interest", "pause", "resume", "testimony", "address_change", "federation"} <= set(INTENTS)


@pytest.mark.parametrize("line, intent, ref", [
    ("JE M'INTÉRESSE À O-12", "interest", "O-12"), ("je m’intéresse au O-12", "interest", "O-12"),
    ("INTÉRESSÉ PAR D-7", "interest", "D-7"), ("intéressée par l'offre O-3", "interest", "O-3"),
    ("O-12 m'intéresse", "interest", "O-12"), ("Le O-4 m'intéresse beaucoup", "interest", "O-4"),
    ("l'offre 0-9 me plaît", "interest", "O-9"),
    ("RETRAIT T-4", "withdraw_item", "T-4"), ("retrait t4", "withdraw_item", "T-4"),
    ("PAUSE", "pause", None), ("PAUSE JUSQU'AU 15 MARS", "pause", None), ("EN PAUSE", "pause", None),
    ("Je me mets en pause pour quelques semaines", "pause", None), ("je voudrais faire une pause", "pause", None),
    ("REPRISE", "resume", None), ("Je reviens !", "resume", None), ("je suis de retour", "resume", None),
    ("TÉMOIGNAGE", "testimony", None), ("Mon témoignage", "testimony", None),
    ("je voudrais apporter mon témoignage", "testimony", None),
    ("NOUVELLE ADRESSE : x@y.fr", "address_change", None), ("CHANGEMENT D'ADRESSE", "address_change", None),
    ("Changement d'e-mail", "address_change", None), ("je voudrais changer d'adresse mail", "address_change", None),
])
def test_new_keywords(line, intent, ref):
    found = find_keyword(line)
    assert found is not None and (found.intent, found.item_ref) == (intent, ref)


@pytest.mark.parametrize("line", [
    "Je ne suis pas intéressée par O-12", "Je suis intéressée par votre réseau", "Pause café jeudi ?",
    "Je suis en pause déjeuner", "Je reviens vers vous pour mon offre", "Reprise des ateliers ?",
    "Témoignages des autres membres ?",
])
def test_not_new_keywords(line):
    found = find_keyword(line)
    assert found is None or found.intent not in ("interest", "pause", "resume", "testimony")


@pytest.mark.parametrize("value, expected", [
    ("oui", (True, None)), ("non", (False, None)), ("non merci", (False, None)),
    ("permanences", (True, ["permanences"])),
    ("ateliers, rencontres", (True, ["ateliers", "rencontres"])),
    ("les échanges sur les échanges et les réseaux voisins", (True, ["échanges", "réseaux voisins"])),
    ("oui sauf les permanences", (True, ["rencontres", "échanges", "ateliers", "réseaux voisins"])),
    ("seulement les ateliers", (True, ["ateliers"])),
    ("non, seulement les rencontres", (True, ["rencontres"])),
])
def test_invitation_kinds(value, expected):
    assert invitation_choice(value) == expected


@pytest.mark.parametrize("value, expected", [("anonyme", "anonyme"), ("Prénom", "prénom"), ("avec mon prénom", "prénom"),
                                             ("sans nom", "anonyme"), ("comme vous voulez", None)])
def test_signature_values(value, expected):
    assert signature_choice(value) == expected


def test_new_member_and_item_fields():
    fields = read_fields("Nouvelles : oui\nInvitations : ateliers\nSavoir : Cuisine\nPlaces : 8 personnes maximum\n"
                         "Réseaux voisins : non\nAccord permanent : oui\nSignature : prénom", "offer")
    assert (fields.member.digest, fields.member.invitations, fields.member.invitation_kinds) == (True, True, ["ateliers"])
    item = fields.items[0]
    assert (item.capacity, item.shared, item.standing_consent) == (8, False, True)
    assert fields.signature == "prénom"


def test_the_contract_shows_the_new_keys_as_null_when_they_do_not_apply():
    contract = parse("Offre : couture").contract()
    assert contract["member"]["invitation_kinds"] is None and contract["member"]["digest"] is None
    assert {key: contract["items"][0][key] for key in ("shared", "standing_consent", "capacity")} == \
        {"shared": None, "standing_consent": None, "capacity": None}
    assert (contract["pause_until"], contract["new_address"], contract["signature"], contract["rsvps"],
            contract["unused_text"]) == (None, None, None, [], False)


@pytest.mark.parametrize("subject, body", [
    ("Invitations : non", ""),
    ("Invitations : non", "Merci beaucoup !"),
    ("Préférences", "Bonjour,\n\nInvitations : non\nContact : téléphone\n\nMerci et bonne journée"),
    ("Re: Invitation : Permanence", "Invitations : non\n\nComme demandé dans votre message.\n\nMarie"),
    ("Bonjour", "Téléphone : 06 12 34 56 78\nMerci"),
    ("", "Nouvelles : oui"),
])
def test_preferences(subject, body):
    assert parse(subject, body).intent == "preferences"


@pytest.mark.parametrize("subject, body", [
    ("Bonjour", "Invitations : non\nEst-ce que je reste membre ?"),  # a question: a person reads it
    ("Bonjour", "Invitations : non\n\nJe voudrais aussi quitter le réseau."),
    ("Bonjour", "Invitations : non\n\nLe O-12 m'intéresse toujours."),
    ("Bonjour", "Contact : téléphone\nSavoir : Couture"),  # an item's field
    ("Bonjour", "Invitations : non\n\nJ'ai déménagé et je n'ai plus de voiture, donc je ne pourrai plus venir "
                "aux permanences du lundi matin, c'est dommage."),
    ("Bonjour", "Merci pour tout !"),
])
def test_not_preferences(subject, body):
    assert parse(subject, body).intent != "preferences"


@pytest.mark.parametrize("line", ["« Invitations : non »", "\"Invitations : non\"", "“Invitations : non”"])
def test_preferences_copied_with_the_robots_quotation_marks(line):
    parsed = parse("Re: Invitation : Permanence", f"{line}\n\nMerci")
    assert parsed.intent == "preferences" and parsed.member.invitations is False


def test_preferences_in_the_subject_are_read():
    parsed = parse("Invitations : ateliers", "Merci")
    assert parsed.member.invitations is True and parsed.member.invitation_kinds == ["ateliers"]


def test_is_preferences_allows_two_polite_sentences_only():
    assert is_preferences("Invitations : non\n\nVoici ma réponse. Merci de votre message.")
    assert not is_preferences("Invitations : non\n\nVoici ma réponse. Je pars en vacances. Je reviens en mai. "
                              "Ma fille garde le chat.")


def test_pause_until_a_date_without_a_year_is_the_next_one():
    assert parse("PAUSE JUSQU'AU 15 MARS").pause_until == "2027-03-15"
    assert parse("Pause", "Je fais une pause jusqu'au 15/01/2027.").pause_until == "2027-01-15"
    assert parse("EN PAUSE").pause_until is None


def test_address_change():
    assert parse("NOUVELLE ADRESSE : Marie.Dupont@Laposte.NET").new_address == "marie.dupont@laposte.net"
    assert parse("Changement d'adresse", "Écrivez-moi maintenant à <m.dupont@gmail.com>, merci.\n"
                                         "Marie (marie.dupont@example.org)").new_address == "m.dupont@gmail.com"
    changed = parse("Changement", "Bonjour, mon adresse a changé : 12 rue des Lilas, 76600 Le Havre")
    assert changed.intent == "unknown"  # a postal address is the animators' business
    mail = parse("CHANGEMENT D'ADRESSE MAIL")
    assert (mail.intent, mail.new_address) == ("address_change", None)


def test_withdrawing_a_testimony_without_its_reference_is_never_leaving_the_network():
    assert find_keyword("Retrait de mon témoignage").needs_ref
    assert parse("Retrait de mon témoignage", "Merci").intent == "unknown"
    parsed = parse("Retrait de mon témoignage", "C'est le T-4.")
    assert (parsed.intent, parsed.item_ref) == ("withdraw_item", "T-4")


def test_testimony_signature_defaults_to_anonymous():
    assert parse("Témoignage", "Le réseau m'a aidée.").signature == "anonyme"
    assert parse("Témoignage", "Le réseau m'a aidée.\n\nSignature : prénom").signature == "prénom"


def test_federation_needs_its_tag_and_a_json_part():
    plain = parse("[RERS-FED] catalogue", "{}", extra="Auto-Submitted: auto-generated\n")
    assert plain.intent == "auto_reply"  # no application/json part: not a peer's message


@pytest.mark.parametrize("line, command", [
    ("GROUPE O-12", {"name": "group", "offer": "O-12", "capacity": None}),
    ("Groupe O-12 8 places", {"name": "group", "offer": "O-12", "capacity": 8}),
    ("groupe autour de l'offre 0-5", {"name": "group", "offer": "O-5", "capacity": None}),
])
def test_group_command(line, command):
    assert read_command(line, REFERENCE) == command


def test_group_command_capacity_from_the_places_field():
    parsed = parse("GROUPE O-12", "Places : 8")
    assert parsed.command == {"name": "group", "offer": "O-12", "capacity": 8}


@pytest.mark.parametrize("line, offer, group, title", [
    ("ATELIER O-12 2027-01-20 10:00-12:00 Salle du Havre", "O-12", None, None),
    ("ATELIER G-3 2027-01-20 10:00-12:00 Salle du Havre", None, "G-3", None),
    ("ATELIER O-12 Couture 2027-01-20 10:00-12:00 Salle du Havre", "O-12", None, "Couture"),
    ("ATELIER Cuisine 2027-01-20 10:00-12:00 Salle du Havre", None, None, "Cuisine"),
])
def test_workshop_of_a_group(line, offer, group, title):
    command = read_command(line, REFERENCE)
    assert (command["offer"], command["group"], command["title"], command["place"]) == \
        (offer, group, title, "Salle du Havre")


# Replies to the robot's own mail


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return make_settings(tmp_path_factory.mktemp("subjects"))


@pytest.mark.parametrize("name", sorted(p.stem for p in (BUILTIN_TEMPLATES / "examples").glob("*.json")
                                        if (BUILTIN_TEMPLATES / "fr" / f"{p.stem}.subject.j2").exists()))
def test_every_robot_subject_is_recognised(settings, name):
    """Each of the robot's subjects, rendered with its example data, is recognised as the
    robot's once a client put « Re: » before it (a template that changes is caught here)."""
    subject = Renderer("fr").render(name, example(name, settings, NOW, "fr")).subject
    assert is_robot_subject(strip_subject(f"Re: {subject}")[0]) or is_robot_tagged(subject), subject


@pytest.mark.parametrize("subject", [
    "Pour M-14 : OUI ou NON ?", "Votre réponse : OUI ou NON ?", "Retrait O-12 : rien n'a été fait",
    "Retrait : rien n'a été fait", "Offre O-12 gardée", "Demande D-7 retirée", "Retirer O-12 « Couture » ?",
    "Fait : permanence du lundi 7 décembre annulée", "Commande non exécutée : RENCONTRE",
    "Rien à changer au calendrier", "Mise en relation MR-3 approuvée par Paul",
    "Rappel : Une mise en relation vous est proposée : Couture", "Nouvelles dates : Permanence",
    "Votre demande d'adhésion est annulée", "Vos données sont effacées", "Vous restez membre du RERS",
    "Permanence de demain (lundi 7 décembre) : 1 personne a dit oui", "M-4 a quitté le réseau",
    "O-3 : la question est posée à M-2", "ADHÉSION POUR : il manque le nom", "Inscription faite : M-5 Paul",
    "Le robot lit de nouveau la boîte du réseau",
])
def test_other_branches_of_the_robots_subjects(subject):
    assert is_robot_subject(subject)


def test_the_animators_tag_marks_the_robots_forwards():
    assert is_robot_tagged("Re: [À traiter] Offre : couture — marie@example.org")
    parsed = parse("Re: [À traiter] Offre : couture — marie@example.org", "Je m'en occupe.",
                   sender="Animation <animation@example.org>")
    assert parsed.reply_to_robot and parsed.intent == "unknown"


@pytest.mark.parametrize("subject", ["Offre : couture", "Inscription", "Question sur mon offre", "Faites-moi signe",
                                     "Invitations : non", "Pause", "Merci", "Demande de renseignements"])
def test_member_subjects_are_not_the_robots(subject):
    assert not is_robot_subject(subject)


@pytest.mark.parametrize("subject, reply", [("Re: Bien reçu", True), ("RE : x", True), ("Réf : x", True),
                                            ("[RERS] Re: x", True), ("TR: x", False), ("Fwd: Re: x", False),
                                            ("Bien reçu", False)])
def test_reply_subjects(subject, reply):
    assert is_reply_subject(subject) is reply


@pytest.mark.parametrize("message_id, robot", [
    ("<RERS-7QX2M9KD.1@rers.example.org>", True), ("<rers.4f3a2b1c0d9e8f7a6b5c4d3e@rers.example.org>", True),
    ("<rers.test@example.org>", False), ("<CAF3x9kq8h2m@mail.gmail.com>", False), ("", False),
])
def test_robot_message_ids(message_id, robot):
    assert is_robot_message_id(message_id) is robot


def test_a_keyword_in_the_robots_subject_is_not_the_intent():
    parsed = parse("Re: Offre O-12 retirée", "Merci, et je voudrais m'inscrire à la permanence.")
    assert parsed.reply_to_robot and parsed.intent != "offer"


def test_a_reply_to_the_robot_by_in_reply_to_takes_its_intent_from_the_body():
    parsed = parse("Re: Demande", "OFFRE : tricot\n\nLe lun. 7 déc. 2026, RERS a écrit :\n> …",
                   extra="In-Reply-To: <rers.4f3a2b1c0d9e8f7a6b5c4d3e@rers.example.org>\n")
    assert parsed.intent == "offer" and parsed.items[0].title == "tricot"


def test_a_token_still_makes_a_reply():
    parsed = parse("Re: [RERS-7QX2M9KD] Les savoirs du RERS", "O-4 m'intéresse")
    assert parsed.intent == "reply" and parsed.token == "RERS-7QX2M9KD"


def test_a_reference_alone_in_reply_to_the_catalogue_is_interest():
    parsed = parse("Re: Les savoirs du RERS de Souday", "D-7\n\nMarie")
    assert (parsed.intent, parsed.item_ref) == ("interest", "D-7")


def test_a_reply_to_et_vous_offers_in_a_keyword_or_in_a_sentence():
    """« Et vous, qu'aimeriez-vous transmettre ? » asks no question (no token): a reply's
    body is read as any reply to the robot's mail, and a sentence offering something is
    the offer it asked for; the same sentence elsewhere says nothing the robot acts on."""
    subject = "Re: Et vous, qu'aimeriez-vous transmettre ?"
    keyword = parse_message(member_mail("lea@example.org", subject, "Bonjour,\n\nOFFRE : cours de tricot\n"),
                            ParseOptions())
    assert (keyword.intent, [(i.kind, i.title) for i in keyword.items]) == ("offer", [("offer", "cours de tricot")])
    prose = parse_message(member_mail("lea@example.org", subject, "Je peux montrer comment réparer un vélo.\nLéa"),
                          ParseOptions())
    assert (prose.intent, [(i.kind, i.title) for i in prose.items]) == ("offer", [("offer", "réparer un vélo")])
    no = parse_message(member_mail("lea@example.org", subject, "Non merci"), ParseOptions())
    assert no.intent == "unknown" and no.reply_to_robot
