"""Footers, antivirus stamps, legal notices and signature blocks are not the member's words
(issue 15): they never reach a description or a bilan field, and never change an answer."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.mail.answers import read_answer
from workflows.mail.fields import read_fields
from workflows.mail.footers import is_footer_line, notice_start, signature_block_start
from workflows.mail.quotes import strip_signature, tidy

FOOTERS = [
    "Envoyé de mon iPhone",
    "Envoyé depuis mon appareil Galaxy",
    "Envoyé depuis mon smartphone Samsung Galaxy.",
    "Envoyé depuis mon téléphone HUAWEI",
    "Envoyé de Yahoo Mail pour Android",
    "Envoyé depuis Yahoo Mail pour iPhone",
    "Sent from Yahoo Mail on Android",
    "Obtenir Outlook pour Android<https://aka.ms/AAb9ysg>",
    "Obtenez Outlook pour iOS",
    "Get Outlook for iOS<https://aka.ms/o0ukef>",
    "Envoyé avec la messagerie sécurisée Proton Mail.",
    "Sent with Proton Mail secure email.",
    "Envoyé à partir de Courrier<https://go.microsoft.com/fwlink/?LinkId=550986> pour Windows",
    "Envoyé à partir de Courrier pour Windows 10",
    "Provenance : Courrier pour Windows",
    "Sent from Mail<https://go.microsoft.com/fwlink/?LinkId=550986> for Windows",
    "Garanti sans virus. www.avast.com",
    "L'absence de virus dans ce courrier électronique a été vérifiée par le logiciel antivirus Avast.",
    "Ce courrier électronique ne contient aucun virus ou logiciel malveillant parce que la protection avast! "
    "Antivirus est active.",
    "Virus-free. www.avg.com",
    "<#DAB4FAD8-2DD7-40BB-A1B8-4E2AA1F9FDF2>",
]
NOTICES = [
    "Ce message et toutes les pièces jointes sont confidentiels et établis à l'intention exclusive de ses "
    "destinataires. Toute diffusion non autorisée est interdite.",
    "Le contenu de ce courriel est confidentiel et destiné exclusivement aux destinataires.\nSi vous avez reçu ce "
    "message par erreur, merci de le détruire et d'en avertir l'expéditeur ; toute utilisation non autorisée est "
    "interdite.",
    "AVERTISSEMENT : les informations de ce message sont strictement confidentielles.",
    "This e-mail and any attachments are confidential and intended solely for the addressee. If you received it "
    "in error, please delete it; any unauthorised disclosure is prohibited.",
]
SIGNATURES = [
    "Fatima Benali\nBénévole – Association Le Relais du Quartier\n12 rue des Lilas, 76600 Le Havre\n"
    "Accueil non-stop du lundi au vendredi\nwww.relais-quartier.fr",
    "Jean-Pierre Morel\nTrésorier – Les Jardins Partagés\n06 12 34 56 78",
    "Association Les Amis du Quartier\n12 rue des Lilas\n76600 Le Havre\n02 35 00 00 00",
    "Sophie Martin\nConseillère en insertion – CCAS de Souday\n02 35 00 11 22",
]
ANSWERS = {"Oui": "yes", "Non merci": "no", "D'accord, merci !": "yes", "Pas pour le moment.": "no",
           "Je ne sais pas encore": "unclear", "OK pour moi": "yes"}


@pytest.mark.parametrize("line", FOOTERS)
def test_footer_lines(line):
    assert is_footer_line(line)


@pytest.mark.parametrize("line", [
    "Envoyé par courrier hier, mon dossier est complet",  # a sentence that starts like one
    "Mon ordinateur a un virus, pouvez-vous vérifier ?",
    "J'aimerais apprendre à me protéger des virus",
    "Je peux aider sur Outlook",
    "Sujet : Outlook pour les débutants",
])
def test_not_footer_lines(line):
    assert not is_footer_line(line)


@pytest.mark.parametrize("notice", NOTICES)
def test_notices_start_where_they_start(notice):
    lines = ["Oui, d'accord.", "", "Marc", *notice.split("\n")]
    assert notice_start(lines) == 3


def test_a_notice_on_the_answer_line_keeps_the_answer():
    lines = ["Oui", NOTICES[0]]  # no blank line between
    assert notice_start(lines) == 1


@pytest.mark.parametrize("text", [
    "J'aimerais apprendre à protéger mes fichiers confidentiels, détruire ceux envoyés par erreur.",
    "Je suis destinataire de pièces jointes que je ne sais pas ouvrir, c'est interdit au travail ?",
])
def test_a_member_sentence_with_notice_words_is_not_a_notice(text):
    assert notice_start(["Bonjour", text]) is None


@pytest.mark.parametrize("signature", SIGNATURES)
def test_signature_blocks(signature):
    lines = ["Oui avec plaisir", "", *signature.split("\n")]
    assert signature_block_start(lines, "Fatima Benali f.benali") == 2


@pytest.mark.parametrize("text", [
    "Nom : Marie Dupont\nTél : 06 12 34 56 78",  # a join's own details
    "Marie Dupont\nTél : 06 12 34 56 78",  # a name then a field, no role: the member's details
    "Offre\nCuisine Marocaine\n06 12 34 56 78",  # a title and a number, no role
    "Je propose un atelier cuisine.\nMaison de quartier des Acacias\nle mardi à 14h",  # a place, no contact
    "Savoir : Couture\nLieu : maison de quartier\nDisponibilités : le mardi",
    "Bonjour\nJe suis bénévole à l'association depuis dix ans, j'aime transmettre.",
])
def test_not_signature_blocks(text):
    assert signature_block_start(text.split("\n"), "Marie Dupont marie.dupont") is None


@pytest.mark.parametrize("answer, expected", sorted(ANSWERS.items()))
@pytest.mark.parametrize("footer", FOOTERS + NOTICES + SIGNATURES)
def test_a_footer_never_changes_the_answer(answer, expected, footer):
    own = tidy(strip_signature(f"{answer}\n\n{footer}", "Fatima Benali f.benali"))
    assert own == answer
    assert read_answer(own) == expected


def test_a_footer_never_reaches_a_bilan_field():
    text = "Échange réalisé : oui\nFreins : le manque de temps\n" + "\n".join(FOOTERS[-5:])
    bilan = read_fields(tidy(strip_signature(text)), None).bilan
    assert bilan.obstacles == "le manque de temps"


def test_a_footer_never_reaches_a_description():
    text = "Savoir : Couture\nDescription : ourlets et boutons\n\nJe prête ma machine.\n\n" + NOTICES[1]
    item = read_fields(tidy(strip_signature(text)), "offer").items[0]
    assert item.description == "ourlets et boutons\nJe prête ma machine."


@pytest.mark.parametrize("text, expected", [
    ("Oui\nhttps://go.example.org/page", "yes"),  # « go » in a link is not a yes
    ("Non merci\n<https://go.microsoft.com/fwlink/?LinkId=550986>", "no"),
    ("Oui\nAccueil non-stop du lundi au vendredi", "yes"),  # « non-stop » is not a no
    ("Non\nmarc.oui@example.net", "no"),
    ("Oui\nnon-voyant, j'ai besoin d'un lecteur d'écran", "yes"),
])
def test_links_addresses_and_hyphenated_words_are_not_answers(text, expected):
    assert read_answer(text) == expected


# Property: whatever the member wrote above, a footer appended never changes what the
# answer is read as.
_WORDS = st.sampled_from(["oui", "non", "merci", "d'accord", "je", "viendrai", "lundi", "pas", "ok", "bien",
                          "sûr", "peut-être", "avec", "plaisir", "Bonjour", "Marie", "!", ",", "."])


@settings(max_examples=150, deadline=None)
@given(words=st.lists(_WORDS, min_size=1, max_size=8), footer=st.sampled_from(FOOTERS + NOTICES + SIGNATURES))
def test_footers_appended_to_any_answer_never_change_it(words, footer):
    answer = " ".join(words)
    alone = read_answer(tidy(strip_signature(answer, "Fatima Benali")))
    with_footer = read_answer(tidy(strip_signature(f"{answer}\n\n{footer}", "Fatima Benali")))
    assert with_footer == alone


_QUOTE = ("Le lun. 7 déc. 2026 à 09:41, RERS de Souday <rers@example.org> a écrit :\n\n"
          "> Répondez OUI pour accepter la mise en relation, ou NON pour la refuser.\n> Dire non n'a aucune conséquence.")


@settings(max_examples=60, deadline=None)
@given(words=st.lists(_WORDS, min_size=1, max_size=8), footer=st.sampled_from(FOOTERS + NOTICES + SIGNATURES),
       quoted=st.booleans())
def test_a_whole_reply_reads_the_same_answer_with_or_without_a_footer(words, footer, quoted):
    from workflows.mail.model import ParseOptions
    from workflows.mail.parse import parse_message

    def reply(body: str) -> str:
        raw = ("From: Fatima Benali <fatima.benali@example.net>\nTo: rers@example.org\n"
               "Subject: Re: [RERS-K4M7P2QX] Une mise en relation vous est proposée\n"
               "Date: Mon, 7 Dec 2026 10:00:00 +0100\nMIME-Version: 1.0\n"
               "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + body)
        return parse_message(raw.encode("utf-8"), ParseOptions()).answer

    answer = " ".join(words)
    tail = f"\n\n{_QUOTE}" if quoted else ""
    assert reply(f"{answer}\n\n{footer}{tail}") == reply(f"{answer}{tail}")
