"""Issue 15, « Hear people as they write »: what a fresh tester found misread, each on a
message written here in its client's shape (headers, MIME structure, quoting, footers)."""
from __future__ import annotations

from workflows.mail.model import ParseOptions
from workflows.mail.parse import parse_message

OPTIONS = ParseOptions(network_address="rers@example.org")
ROBOT_ID = "<rers.0123456789abcdef0123@rers.example.org>"


def plain(subject: str, body: str, *, sender: str = "Nadia Ferhat <nadia.ferhat@example.net>", extra: str = "",
          mailer: str = "") -> bytes:
    """A text/plain message as most clients send it (8bit UTF-8)."""
    return (f"From: {sender}\nTo: RERS de Souday <rers@example.org>\nSubject: {subject}\n"
            f"Date: Mon, 7 Dec 2026 10:00:00 +0100\nMessage-ID: <heard-{abs(hash(body))}@example.net>\n{extra}{mailer}"
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
            + body).encode("utf-8")


def parse(raw: bytes):
    return parse_message(raw, OPTIONS)


# 1. A calendar COUNTER is a program's proposal, never a member's offer ----------------------------

def thunderbird_counter(body: str, method_in_type: bool = True) -> bytes:
    """Thunderbird (Lightning) proposing another time: text/plain and text/calendar
    METHOD:COUNTER side by side in a multipart/alternative, the .ics also attached."""
    param = "; method=COUNTER" if method_in_type else ""
    calendar = (
        "BEGIN:VCALENDAR\r\nPRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN\r\nVERSION:2.0\r\n"
        "METHOD:COUNTER\r\nBEGIN:VEVENT\r\nUID:atelier-20270120@rers.example.org\r\n"
        "DTSTART;TZID=Europe/Paris:20270120T100000\r\nDTEND;TZID=Europe/Paris:20270120T120000\r\n"
        "ORGANIZER:mailto:rers@example.org\r\n"
        "ATTENDEE;PARTSTAT=TENTATIVE;CN=Nadia Ferhat:mailto:nadia.ferhat@example.net\r\n"
        "COMMENT:Je propose 10h plutôt.\r\nDTSTAMP:20261207T090000Z\r\nSEQUENCE:0\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n")
    return (
        "From: Nadia Ferhat <nadia.ferhat@example.net>\r\nTo: rers@example.org\r\n"
        "Subject: =?UTF-8?Q?Nouvelle_proposition_d'horaire_:_Atelier_couture?=\r\n"
        "Date: Mon, 7 Dec 2026 10:00:00 +0100\r\nMessage-ID: <counter-1@example.net>\r\n"
        "User-Agent: Mozilla/5.0 Thunderbird/115.6.0\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="mix"\r\n\r\n'
        '--mix\r\nContent-Type: multipart/alternative; boundary="alt"\r\n\r\n'
        '--alt\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
        f"{body}\r\n\r\n"
        f'--alt\r\nContent-Type: text/calendar; charset=UTF-8{param}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
        f"{calendar}\r\n--alt--\r\n\r\n"
        '--mix\r\nContent-Type: application/ics; name="invite.ics"\r\n'
        'Content-Disposition: attachment; filename="invite.ics"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
        f"{calendar}\r\n--mix--\r\n").encode("utf-8")


def test_a_counter_is_never_an_offer():
    parsed = parse(thunderbird_counter("Je propose 10h plutôt."))
    assert parsed.intent == "unknown"
    assert parsed.items == [] and parsed.item_ref is None
    assert parsed.automatic == "calendar: counter"  # the flag: a calendar client's proposal, for the animators
    assert "10h" in parsed.text  # the animators see what was proposed


def test_a_counter_said_only_in_the_calendar_is_still_one():
    parsed = parse(thunderbird_counter("OFFRE : cours de tricot", method_in_type=False))
    assert (parsed.intent, parsed.automatic, parsed.items) == ("unknown", "calendar: counter", [])


# 2. Interest after a greeting on the same line ---------------------------------------------------

def test_interest_after_a_greeting_on_the_same_line():
    for line, ref in [("Bonjour, le O-3 m'intéresse.", "O-3"), ("Bonjour, O-3 m'intéresse.", "O-3"),
                      ("Bonjour, l'offre O-3 m'intéresse beaucoup.", "O-3"),
                      ("Bonsoir Madame, la demande D-12 m'intéresse", "D-12")]:
        parsed = parse(plain("O-3", f"{line}\n\nNadia\n"))
        assert (parsed.intent, parsed.item_ref) == ("interest", ref), line
        parsed = parse(plain("Intérêt", f"{line}\nMerci\n"))
        assert (parsed.intent, parsed.item_ref) == ("interest", ref), line


def test_interest_after_a_greeting_in_reply_to_the_catalogue_and_the_news():
    for subject in ("Re: Les savoirs du RERS de Souday", "RE: Nouvelles du RERS de Souday"):
        body = ("Bonjour, l'offre O-3 m'intéresse beaucoup.\n\nNadia\n\n"
                "Le lun. 7 déc. 2026 à 09:00, RERS de Souday <rers@example.org> a écrit :\n"
                "> O-3 Couture : ourlets et boutons\n> D-4 Anglais pour voyager\n")
        parsed = parse(plain(subject, body, extra=f"In-Reply-To: {ROBOT_ID}\nReferences: {ROBOT_ID}\n"))
        assert (parsed.intent, parsed.item_ref) == ("interest", "O-3"), subject


# 3. Inline answers without blank lines -----------------------------------------------------------

def test_an_inline_first_name_below_a_quote_line_is_kept():
    body = ("> Confirmez-vous votre adhésion au RERS de Souday ?\n"
            "> Répondez OUI ou NON.\n"
            "OUI\n"
            "> Si vous le souhaitez, donnez votre prénom.\n"
            "Prénom : Nadia\n"
            "> Merci,\n> Le robot du RERS\n")
    parsed = parse(plain("Re: Confirmez votre adhésion au RERS de Souday [RERS-ABCDEFGH]", body))
    assert parsed.intent == "reply" and parsed.answer == "yes"
    assert parsed.member.first_name == "Nadia"


def test_a_first_name_between_the_lines_of_the_robots_sentence_is_kept():
    # Thunderbird, answered inline: the name written where the question asks for it,
    # between two quoted lines of one sentence.
    body = ("> Pour devenir membre, répondez simplement « OUI » à ce message.\n"
            "> Pour tout effacer, répondez « NON ».\n"
            "OUI\n"
            "> Avant une mise en relation, les autres membres ne connaissent de vous\n"
            "> que votre prénom. Comment souhaitez-vous être appelé·e ? Ajoutez une\n"
            "> ligne à votre réponse, par exemple : « Prénom : Marie ». Sans elle, vous\n"
            "Prénom : Nadia\n"
            "> serez « un membre ».\n")
    parsed = parse(plain("Re: Confirmez votre adhésion au RERS de Souday [RERS-ABCDEFGH]", body,
                         mailer="User-Agent: Mozilla/5.0 Thunderbird/115.6.0\n"))
    assert (parsed.answer, parsed.member.first_name) == ("yes", "Nadia")
    assert parsed.text == "OUI\nPrénom : Nadia"


# 4. Prose ---------------------------------------------------------------------------------------

def test_an_offer_and_a_demand_in_two_sentences():
    body = ("Bonjour,\n\nJe sais coudre et je voudrais partager ça avec d'autres personnes. "
            "Je serais aussi contente d'apprendre l'anglais.\n\nNadia\n")
    parsed = parse(plain("Adhésion", body))
    assert parsed.intent == "join"
    got = [(item.kind, item.title) for item in parsed.items]
    assert ("offer", "coudre") in got
    assert [kind for kind, _ in got] == ["offer", "demand"], got
    assert got[1][1] in ("l'anglais", "apprendre l'anglais", "anglais"), got


def test_greetings_and_thanks_are_no_description():
    body = "Bonjour, je cherche quelqu'un pour m'apprendre à utiliser un tableur. Merci\n"
    parsed = parse(plain("Demande", body, mailer="X-Mailer: Microsoft Outlook 16.0\n"))
    assert parsed.intent == "demand"
    assert len(parsed.items) == 1
    assert "tableur" in parsed.items[0].title
    assert parsed.items[0].description is None


def test_to_whoever_wants_is_not_the_title():
    parsed = parse(plain("Offre", "Je peux apprendre à tricoter à qui veut, le jeudi après-midi.\n"))
    assert parsed.intent == "offer"
    [item] = parsed.items
    assert item.title == "tricoter"
    # protocol.md takes availability from a « Disponibilités : » field only: the day,
    # written in the sentence, stays in the description for the animators.
    assert "le jeudi après-midi" in (item.availability or item.description or "")


def test_a_subject_sentence_that_goes_on_in_the_body():
    parsed = parse(plain("Je souhaite apprendre", "à faire de la pâtisserie…\n\nBien à vous,\nNadia\n"))
    assert parsed.intent == "demand"
    [item] = parsed.items
    assert item.title == "faire de la pâtisserie"


# 5. Footer variants ------------------------------------------------------------------------------

def test_yahoo_android_footer_with_the_link_glued():
    body = ("Je propose des cours de guitare pour débutants.\n\n"
            "Envoyé de Yahoo Mail pour Android<https://go.onelink.me/107872968?pid=InProduct&c=Global_Internal_YGrowth"
            "&af_sub2=Global_YGrowth&af_sub3=EmailSignature&af_sub4=Android&af_sub5=Fr_FR_Android_Mail_Signature>\n")
    parsed = parse(plain("Offre : guitare", body))
    assert parsed.intent == "offer"
    assert "Yahoo" not in (parsed.items[0].description or "") and "Yahoo" not in parsed.text


def test_avg_stamp_on_one_line():
    body = ("Je cherche quelqu'un pour m'aider à remplir ma déclaration d'impôts.\n\n"
            "<https://www.avg.com/email-signature?utm_medium=email&utm_source=link> Garanti sans virus. "
            "www.avg.com <https://www.avg.com/email-signature?utm_medium=email&utm_source=link>\n")
    parsed = parse(plain("Demande : impôts", body))
    assert parsed.intent == "demand"
    assert "avg" not in (parsed.items[0].description or "").lower() and "virus" not in parsed.text


# 6. Fields and blank lines -----------------------------------------------------------------------

def test_an_empty_phone_field_does_not_take_the_line_after_a_blank():
    body = "Nom : Nadia Ferhat\nTéléphone :\n\n06 51 22 33 44\n"
    parsed = parse(plain("Adhésion", body))
    assert parsed.intent == "join"
    assert parsed.member.phone is None
    assert parsed.unused_text  # the number is the person's words: the animators see it


def test_name_and_phone_after_a_blank_line_at_the_end_of_a_join_are_reported():
    for body in ("Bonjour,\n\nJe voudrais adhérer au réseau.\n\nNadia Ferhat\n06 51 22 33 44\n",
                 "Bonjour,\n\nJe voudrais adhérer au réseau.\n\nCordialement,\nNadia Ferhat\n06 51 22 33 44\n"):
        for sender in ("<nf1987@example.net>", "Nadia Ferhat <nadia.ferhat@example.net>"):
            parsed = parse(plain("Adhésion", body, sender=sender))
            assert parsed.intent == "join"
            # Taken as a signature (the robot invents no phone), but the animators see it.
            assert parsed.member.phone is not None or parsed.unused_text, (body, sender)


def test_a_signature_without_a_phone_under_a_join_is_not_reported():
    parsed = parse(plain("Adhésion", "Bonjour,\n\nJe voudrais adhérer au réseau.\n\nCordialement,\nNadia\n"))
    assert parsed.intent == "join" and not parsed.unused_text


# 7. Outlook's « Rejected: » subject is no answer on its own --------------------------------------

def test_a_rejected_subject_alone_is_not_a_no():
    parsed = parse(plain("Rejected: [RERS-ABCDEFGH] Confirmez votre adhésion", "",
                         mailer="X-Mailer: Microsoft Outlook 16.0\n"))
    assert parsed.intent == "reply" and parsed.answer != "no"
    parsed = parse(plain("Refusé : [RERS-ABCDEFGH] Une mise en relation vous est proposée", "Bonjour,\n"))
    assert parsed.answer != "no"


def test_the_subject_repeated_in_the_body_is_not_an_answer():
    # Outlook's response to a meeting writes its subject again as the first line of the body.
    for subject in ("Rejected: [RERS-ABCDEFGH] Confirmez votre adhésion",
                    "Refusé : [RERS-ABCDEFGH] Confirmez votre adhésion", "Refusé: Confirmez votre adhésion"):
        raw = (f"From: Nadia Ferhat <nadia.ferhat@example.net>\nTo: rers@example.org\nSubject: {subject}\n"
               "In-Reply-To: <RERS-ABCDEFGH.1@rers.example.org>\nX-Mailer: Microsoft Outlook 16.0\n"
               "MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n"
               f"<html><body><p>{subject}</p><p>&nbsp;</p></body></html>").encode("utf-8")
        parsed = parse(raw)
        assert parsed.intent == "reply" and parsed.answer != "no", subject


def test_a_rejected_subject_with_a_no_in_the_body_is_a_no():
    parsed = parse(plain("Rejected: [RERS-ABCDEFGH] Confirmez votre adhésion", "Non merci.\n"))
    assert parsed.answer == "no"


# 8. The English attribution ----------------------------------------------------------------------

def test_the_english_attribution_is_cut():
    body = ("OUI\n\nOn Mon, Dec 7, 2026 at 9:00 AM RERS de Souday <rers@example.org> wrote:\n"
            "> Confirmez-vous ? Répondez OUI ou NON.\n")
    parsed = parse(plain("Re: [RERS-ABCDEFGH] Confirmez", body))
    assert (parsed.answer, parsed.text) == ("yes", "OUI")
    # Gmail wraps a long attribution over two lines.
    body = ("Yes\n\nOn Mon, Dec 7, 2026 at 9:00 AM RERS de Souday <\nrers@example.org> wrote:\n\n"
            "> Confirmez-vous ? Répondez OUI ou NON.\n")
    parsed = parse(plain("Re: [RERS-ABCDEFGH] Confirmez", body))
    assert (parsed.answer, parsed.text) == ("yes", "Yes")


def test_a_french_line_starting_with_on_above_a_french_attribution_is_kept():
    body = ("OUI\nOn se voit jeudi à la permanence.\n\n"
            "Le lun. 7 déc. 2026 à 09:00, RERS de Souday <rers@example.org> a écrit :\n"
            "> Confirmez-vous ? Répondez OUI ou NON.\n")
    parsed = parse(plain("Re: [RERS-ABCDEFGH] Confirmez", body))
    assert parsed.answer == "yes"
    assert "On se voit jeudi à la permanence." in parsed.text
    body = ("Oui !\nOn en reparle jeudi.\nLe lun. 7 déc. 2026 à 09:00, RERS de Souday <rers@example.org> a écrit :\n"
            "> Confirmez-vous ? Répondez OUI ou NON.\n")
    parsed = parse(plain("Re: [RERS-ABCDEFGH] Confirmez", body))
    assert (parsed.answer, parsed.text) == ("yes", "Oui !\nOn en reparle jeudi.")
