"""Quote and forward separators, where the member wrote, and HTML indentation (issue 15)."""
from __future__ import annotations

import pytest

from workflows.mail.htmltext import html_to_text
from workflows.mail.quotes import split_reply, strip_signature, tidy

QUESTION = "Bonjour,\nRépondez OUI ou NON.\nSavoir : Couture"


def gt(text: str) -> str:
    return "\n".join("> " + line for line in text.split("\n"))


@pytest.mark.parametrize("text", [
    "Oui\n\n----- Mail original -----\nDe: \"RERS\" <rers@example.org>\nÀ: moi@free.fr\n"
    "Envoyé: Lundi 7 Décembre 2026 09:41:00\nObjet: question\n\n" + QUESTION,
    "Oui\n\n-------- Message original --------\nDe : RERS <rers@example.org>\nDate : lun. 7 déc. 2026 09:41\n"
    "À : moi@example.net\nObjet : question\n\n" + QUESTION,
    "Oui\n\n-------- Message d'origine --------\nDe : RERS <rers@example.org>\nDate : 07/12/2026 09:41 (GMT+01:00)\n"
    "À : moi@example.net\nObjet : question\n\n" + QUESTION,  # Samsung
    "Oui\n\nDe : RERS de Souday<mailto:rers@example.org>\nEnvoyé le :lundi 7 décembre 2026 09:41\n"
    "À : moi@example.net<mailto:moi@example.net>\nObjet : question\n\n" + QUESTION,  # Courrier pour Windows
])
def test_more_reply_separators(text):
    assert tidy(split_reply(text).own) == "Oui"


@pytest.mark.parametrize("own", [
    "On se voit jeudi.", "On est d'accord, oui !", "Le mardi je ne peux pas, mais oui.", "On verra bien, OK.",
])
@pytest.mark.parametrize("attribution", [
    "Le lun. 7 déc. 2026 à 09:41, RERS <rers@example.org> a écrit :",
    "Le lun. 7 déc. 2026 à 09:41, RERS <rers@example.org> a\nécrit :",
    "On Mon, Dec 7, 2026 at 9:41 AM RERS <rers@example.org> wrote:",
    "Le 07/12/2026 à 09:41, RERS a écrit :",
])
@pytest.mark.parametrize("blank", ["", "\n"])
def test_a_line_above_an_attribution_is_the_members(own, attribution, blank):
    text = f"{own}\n{blank}{attribution}\n\n{gt(QUESTION)}"
    split = split_reply(text)
    assert tidy(split.own) == own
    assert "Savoir" in split.quoted


def test_on_a_ecrit_in_french_is_a_sentence():
    assert tidy(split_reply("On a écrit à la mairie :\nils vont répondre").own) == \
        "On a écrit à la mairie :\nils vont répondre"


def test_thunderbird_forward_block_any_order():
    text = ("Pour info.\n\n-------- Message transféré --------\nSujet : \tOffre : couture\n"
            "Date : \tFri, 4 Dec 2026 18:02:11 +0100\nDe : \tÉlodie <elodie@example.net>\nPour : \tami@example.org\n\n"
            "Savoir : Couture")
    split = split_reply(text, forwarded=True)
    assert tidy(split.own) == "Pour info.\n\nSavoir : Couture"
    assert split.forwarded_subject == "Offre : couture"
    assert split.forwarded_from == "elodie@example.net"
    assert split.forwarded_name == "Élodie"
    assert [tidy(part) for part in split.parts] == ["Pour info.", "Savoir : Couture"]


def test_yahoo_one_line_forward_header():
    text = ("   ----- Message transféré ----- De : Nadia Ferhat <nadia@yahoo.fr>À : RERS <rers@example.org>Envoyé : "
            "vendredi 27 novembre 2026 à 18:04:12 UTC+1Objet : Demande : lire une facture\n \nBonjour,\nJ'aimerais…")
    split = split_reply(text)
    assert split.forwarded
    assert split.forwarded_subject == "Demande : lire une facture"
    assert split.forwarded_from == "nadia@yahoo.fr"
    assert split.forwarded_name == "Nadia Ferhat"
    assert tidy(split.own) == "Bonjour,\nJ'aimerais…"


def test_iphone_forward_under_its_footer_keeps_the_forward():
    text = ("Envoyé de mon iPhone\n\nDébut du message réexpédié :\n\n> De: Karim <karim@icloud.com>\n"
            "> Date: 4 décembre 2026 à 19:12:40 UTC+1\n> À: voisins@example.org\n> Objet: Offre\n> \n"
            "> Savoir : Réparation de vélos\n> \n> Karim")
    split = split_reply(text, forwarded=True)
    assert split.parts[0].strip() == "Envoyé de mon iPhone"
    assert [tidy(strip_signature(part, "Karim")) for part in split.parts] == ["", "Savoir : Réparation de vélos"]
    assert split.forwarded_subject == "Offre"


def test_a_forward_quoted_with_gt_is_a_forward_without_tr():
    text = ("Pour ma voisine.\n\n> ---------- Forwarded message ---------\n> De : Gisèle <g@example.net>\n"
            "> Date: ven. 4 déc. 2026\n> Subject: Demande\n> To: <p@example.net>\n>\n> Savoir : Tricot")
    split = split_reply(text)
    assert split.forwarded and split.forwarded_subject == "Demande"
    assert tidy(split.own) == "Pour ma voisine.\n\nSavoir : Tricot"


def test_a_quote_that_only_mentions_forwarding_is_still_a_quote():
    text = "Oui\n\n> Merci de transférer ce message à vos voisins.\n> Savoir : Couture"
    split = split_reply(text)
    assert not split.forwarded and tidy(split.own) == "Oui"


def test_bottom_posted_answer_under_the_quote():
    text = f"Le 7 déc. 2026 à 09:41, RERS <rers@example.org> a écrit :\n\n{gt(QUESTION)}\n\nOui avec plaisir\n"
    assert tidy(split_reply(text).own) == "Oui avec plaisir"


def test_inline_answers_between_quoted_lines():
    text = ("> Bonjour,\n> Répondez OUI pour accepter la mise en relation.\nOUI\n> Votre contact préféré ?\n"
            "téléphone\n> Merci")
    assert tidy(split_reply(text).own) == "OUI\ntéléphone"


@pytest.mark.parametrize("wrapped", [
    "> Si vous êtes d'accord, nous lui donnerons votre adresse e-mail et vous\ntransmettrons la sienne.\n> Merci",
    "> Répondez OUI pour accepter la mise en relation, ou NON pour la\nrefuser.\n>\n> L'équipe",
    "> Une personne du réseau propose un savoir qui correspond à votre demande\nRédiger un CV\n> Répondez",
])
def test_quote_lines_rewrapped_without_gt_stay_quoted(wrapped):
    split = split_reply("Oui\n\n" + wrapped)
    assert tidy(split.own) == "Oui"


def test_a_short_answer_under_a_long_line_is_an_answer():
    text = "> Souhaitez-vous être mis en relation avec la personne qui propose ce savoir le lundi\noui\n> Merci"
    assert tidy(split_reply(text).own) == "oui"


@pytest.mark.parametrize("html", [
    '<p>Voici :</p><blockquote style="margin: 0 0 0 40px; border: none; padding: 0px;"><p>Savoir : Couture</p>'
    '</blockquote><p>Merci</p>',
    "<p>Voici :</p><blockquote><p>Savoir : Couture</p></blockquote><p>Merci</p>",
    '<p>Voici :</p><blockquote style="margin-left:40px"><blockquote style="margin-left:40px"><p>Savoir : Couture</p>'
    "</blockquote></blockquote><p>Merci</p>",
])
def test_an_indentation_blockquote_is_text(html):
    assert tidy(html_to_text(html)) == "Voici :\n\nSavoir : Couture\n\nMerci"


@pytest.mark.parametrize("html", [
    '<p>Oui</p><blockquote type="cite"><p>Savoir : Couture</p></blockquote>',
    '<p>Oui</p><blockquote cite="mid:abc@example.org"><p>Savoir : Couture</p></blockquote>',
    '<p>Oui</p><blockquote class="gmail_quote" style="margin:0 0 0 .8ex"><p>Savoir : Couture</p></blockquote>',
    '<p>Oui</p><blockquote style="border-left:2px solid #1010FF;margin-left:5px;padding-left:5px"><p>Savoir</p>'
    "</blockquote>",
    '<p>Oui</p><blockquote style="margin: 0 0 0 40px"><p>indent</p></blockquote>'
    '<blockquote type="cite"><p>Savoir : Couture</p></blockquote>',
    '<p>Oui</p><blockquote class="iosymail"><p>Savoir : Couture</p></blockquote>',  # Yahoo for iOS
    '<div>Oui</div><div id="x_divRplyFwdMsg"><b>De :</b> RERS</div><div>Savoir : Couture</div>',  # Outlook for Mac
    '<div>Oui</div><div id="mail-editor-reference-message-container"><b>De :</b> RERS<p>Savoir</p></div>',
    '<div dir="auto">Oui</div><div class="ms-outlook-mobile-reference-message"><b>De :</b> RERS<p>Savoir</p></div>',
])
def test_a_cited_blockquote_is_a_quote(html):
    text = tidy(html_to_text(html))
    assert text.startswith("Oui") and "Savoir" not in text
