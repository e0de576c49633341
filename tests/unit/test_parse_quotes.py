"""Own text, quotes, forwards and signatures."""
from __future__ import annotations

import pytest

from workflows.mail.htmltext import html_to_text
from workflows.mail.quotes import split_reply, strip_signature, tidy

QUESTION = "Bonjour,\nRépondez OUI ou NON.\nSavoir : Couture"


@pytest.mark.parametrize("text", [
    "Oui\n\nLe lun. 23 nov. 2026 à 09:41, RERS <rers@example.org> a\nécrit :\n\n> " + QUESTION.replace("\n", "\n> "),
    "Oui\n\nLe 7 déc. 2026 à 10:12, RERS de Souday <rers@example.org> a écrit :\n\n> " + QUESTION.replace("\n", "\n> "),
    "Oui\n\nLe 09/12/2026 à 08:00, RERS a écrit :\n> " + QUESTION.replace("\n", "\n> "),
    "Oui\n\n    Le mardi 8 décembre 2026 à 09:30:00 UTC+1, RERS <r@example.org> a écrit :  \n \n " + QUESTION,
    "Oui\n\nOn Mon, Nov 23, 2026 at 9:41 AM RERS <rers@example.org> wrote:\n> " + QUESTION.replace("\n", "\n> "),
    "Oui\n\n________________________________\nDe : RERS <rers@example.org>\nEnvoyé : lundi 7 décembre 2026\n"
    "À : moi@example.net\nObjet : question\n\n" + QUESTION,
    "Oui\n\nDe\u00a0: RERS\nEnvoyé\u00a0: lundi\nÀ\u00a0: moi\nObjet\u00a0: question\n\n" + QUESTION,
    "Oui\n\n-----Message d'origine-----\nDe : RERS\nEnvoyé : lundi\nObjet : question\n\n" + QUESTION,
    "Oui\n\n-----Original Message-----\nFrom: RERS\nSent: Monday\nSubject: question\n\n" + QUESTION,
    "Oui\n\n> Message du 20/11/26 16:02\n> De : \"RERS\" <rers@example.org>\n> A : moi\n> Objet : q\n> " + QUESTION.replace("\n", "\n> "),
    "Oui\n\n> De : RERS\n> Envoyé : lundi\n> Objet : question\n>\n> " + QUESTION.replace("\n", "\n> "),
])
def test_own_text_is_only_the_answer(text):
    split = split_reply(text)
    assert tidy(split.own) == "Oui"
    assert "Savoir" in split.quoted or "Savoir" in text.split("Oui", 1)[1]


def test_bottom_posting_keeps_text_after_the_quote():
    text = "Le 09/12/2026 à 08:00, RERS a écrit :\n> Répondez OUI ou NON.\n\nOui, d'accord."
    assert tidy(split_reply(text).own) == "Oui, d'accord."


def test_forward_keeps_the_forwarded_content_without_its_headers():
    text = ("Voici.\n\n---------- Forwarded message ---------\nDe : A <a@example.com>\nDate: lundi\n"
            "Subject: Offre\nTo: <b@example.com>\n\nSavoir : Couture\n\nLe 1 déc. 2026, C a écrit :\n> ancien")
    split = split_reply(text, forwarded=True)
    assert tidy(split.own) == "Voici.\n\nSavoir : Couture"
    assert split.forwarded
    assert "ancien" in split.quoted


def test_forward_quoted_with_gt_is_unquoted():
    text = "> De : A\n> Envoyé : lundi\n> Objet : Offre\n>\n> Savoir : Couture"
    split = split_reply(text, forwarded=True)
    assert tidy(split.own) == "Savoir : Couture"


@pytest.mark.parametrize("text, own", [
    ("Oui\n\n-- \nÉlodie\n06 00 00 00 00", "Oui"),
    ("Oui\n--\nÉlodie", "Oui"),
    ("Oui\n\nEnvoyé de mon iPhone", "Oui"),
    ("Oui\n\nEnvoyé depuis mon appareil Galaxy", "Oui"),
    ("Oui\n\nSent from my iPhone", "Oui"),
    ("Oui\n\nTélécharger Outlook pour Android", "Oui"),
    ("Oui\n\nCordialement,\n\nMarc Dupuis\nAssociation X\nTél : 06 00 00 00 00", "Oui"),
    ("Oui\nBien à vous\nMarc", "Oui"),
    ("Oui\nMerci 🙏\nKarim", "Oui"),
    ("Oui\n\nCe message et toutes les pièces jointes sont confidentiels.", "Oui"),
    ("Oui\n\nPensez à l'environnement avant d'imprimer ce message.", "Oui"),
    ("Oui\n\nMarc", "Oui"),
    ("Merci de clôturer mon offre.", "Merci de clôturer mon offre."),
    ("Bonjour,\nMerci de retirer mon offre.\nMarc", "Bonjour,\nMerci de retirer mon offre."),
])
def test_strip_signature(text, own):
    assert tidy(strip_signature(text, "Marc Dupuis marc.dupuis")) == own


def test_a_closing_far_from_the_end_is_not_a_signature():
    text = "Savoir : Couture\nMerci\n" + "\n".join(f"Ligne {i} : détail" for i in range(8))
    assert "Ligne 7" in strip_signature(text)


@pytest.mark.parametrize("html, text", [
    ('<div dir="ltr">Oui</div><div class="gmail_quote"><div class="gmail_attr">Le lun., X a écrit :</div>'
     "<blockquote>Savoir : X</blockquote></div>", "Oui"),
    ('<div>OK</div><div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>De :</b> RERS</div><div>Savoir : X</div>',
     "OK"),
    ('<p>Non</p><div style="border:none;border-top:solid #E1E1E1 1.0pt"><p><b>De :</b> RERS</p></div><p>Savoir</p>',
     "Non"),
    ('<p>Oui</p><blockquote type="cite">Savoir : X</blockquote>', "Oui"),
    ('<div>Oui</div><div class="yahoo_quoted">Savoir : X</div>', "Oui"),
    ("<p>Nom&nbsp;: Jean</p><p>1. premier</p>", "Nom : Jean\n\n1. premier"),
])
def test_html_quotes_removed_before_conversion(html, text):
    assert tidy(html_to_text(html)) == text


def test_html_forward_keeps_quotes():
    assert "Savoir" in html_to_text("<p>Voici</p><blockquote>Savoir : X</blockquote>", keep_quotes=True)


def test_the_split_of_every_sample_message_is_what_it_was_before_its_lines_were_folded_once():
    # tests/data/split_reply_digests.json: a digest of split_reply's answer for the plain
    # text of every message of tests/messages (forwarded or not), written before the
    # rules shared one folding of each line (issue 20).
    import email
    import hashlib
    import json
    from email import policy
    from pathlib import Path

    tests = Path(__file__).resolve().parents[1]
    expected = json.loads((tests / "data" / "split_reply_digests.json").read_text(encoding="utf-8"))
    found = {}
    for path in sorted((tests / "messages").glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        try:
            body = msg.get_body(preferencelist=("plain",))
            text = body.get_content() if body is not None else None
        except Exception:  # a sample whose body the stdlib cannot read: not a split's case
            text = None
        if not text or not text.strip():
            continue
        for forwarded in (False, True):
            s = split_reply(text.replace("\r\n", "\n"), forwarded=forwarded)
            answer = [s.own, s.quoted, s.forwarded, s.parts, s.forwarded_subject, s.forwarded_from, s.forwarded_name]
            found[f"{path.name} forwarded={forwarded}"] = hashlib.sha256(
                json.dumps(answer, ensure_ascii=False).encode()).hexdigest()[:16]
    assert len(found) > 150
    assert found == expected
