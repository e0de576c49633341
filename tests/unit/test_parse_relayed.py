"""Another person's words forwarded (issue 15, a fresh tester's round): whose words they
are, what of them is recorded, and what of the forwarder's is not. The messages are in
the shapes the tester's clients wrote — Outlook showing a name only, a forward of the
robot's own mail, Thunderbird's « Pour suite à donner. », an attached Latin-1 original,
Yahoo's one-line forward header."""
from __future__ import annotations

import pytest

from workflows.mail.model import ParseOptions
from workflows.mail.parse import parse_message
from workflows.mail.sender import forwards_another, relayed_person

OPTIONS = ParseOptions(network_address="rers.souday@example.org")
CLAIRE = "Claire Martin <claire.martin@francetravail.example>"
ADVISER_NOTE = ("Bonjour,\n\nJe vous transfère la demande de Mme Diallo, que j'accompagne. Elle n'est pas très à l'aise "
                "avec l'informatique, vous pouvez aussi la joindre au 06 71 22 48 90.\n\nBien cordialement,\n"
                "Claire Martin\nConseillère France Travail - Agence de Souday\n\n")


def plain(subject: str, body: str, *, sender: str = CLAIRE) -> bytes:
    return (f"From: {sender}\r\nTo: rers.souday@example.org\r\nSubject: {subject}\r\n"
            "Message-ID: <relayed@francetravail.example>\r\nDate: Mon, 14 Dec 2026 11:00:00 +0100\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + body.replace("\n", "\r\n")).encode("utf-8")


def outlook_name_only(sender: str = CLAIRE, name: str = "Maria Lopez") -> bytes:
    return plain("TR: Demande", "Bonjour, ci-dessous la demande de Mme Lopez (06 55 44 33 22).\n\n"
                 f"________________________________\nDe : {name}\nEnvoyé : vendredi 11 décembre 2026 17:00\n"
                 "À : Claire Martin\nObjet : Demande\n\nJe voudrais apprendre à cuisiner des plats simples.\n",
                 sender=sender)


def test_a_name_only_forward_is_another_persons_words_with_no_address():
    parsed = parse_message(outlook_name_only(), OPTIONS)
    assert parsed.intent == "demand" and parsed.forwarded_name == "Maria Lopez" and parsed.forwarded_from is None
    assert forwards_another(parsed) and relayed_person(parsed) is None
    assert [(item.kind, item.title, item.description) for item in parsed.items] == [
        ("demand", "cuisiner des plats simples", None)], "the adviser's phone line is no description"
    assert parsed.unused_text, "the adviser's note reaches the animators"


def test_ones_own_mail_shown_by_name_only_is_still_ones_own():
    # Outlook shows one's own sent mail as « De : Claire Martin », in either order.
    for name in ("Claire Martin", "Martin Claire"):
        parsed = parse_message(outlook_name_only(name=name), OPTIONS)
        assert parsed.forwarded and not forwards_another(parsed), name


def test_a_forward_of_the_robots_own_mail_is_not_the_forwarders_words():
    parsed = parse_message(plain("TR: Offre", "Bonjour, pour info.\n\n---------- Forwarded message ---------\n"
                                 "From: RERS de Souday <rers.souday@example.org>\nDate: Sat, Dec 12, 2026 at 10:00 AM\n"
                                 "Subject: Offre\nTo: <claire.martin@francetravail.example>\n\n"
                                 "Offre : cours de guitare\n"), OPTIONS)
    assert parsed.intent == "offer" and parsed.forwarded_from == "rers.souday@example.org"
    assert forwards_another(parsed), "the route decides the robot's address is nobody's to ask"


def test_a_relayed_demand_is_described_by_the_persons_words_only():
    body = (ADVISER_NOTE + "---------- Forwarded message ---------\n"
            "De : Aïcha Diallo <aicha.diallo@gmail.example>\nDate: ven. 11 déc. 2026 à 18:12\nSubject: Demande\n"
            "To: Claire Martin <claire.martin@francetravail.example>\n\nBonjour madame,\n"
            "Je voudrais apprendre à utiliser un tableur pour faire mon budget.\nMerci\nAïcha\n")
    parsed = parse_message(plain("TR: Demande", body), OPTIONS)
    assert relayed_person(parsed) == "aicha.diallo@gmail.example"
    (item,) = parsed.items
    assert (item.title, item.description) == ("utiliser un tableur", "pour faire mon budget.")
    assert parsed.member.phone is None and parsed.unused_text


def test_thunderbirds_forward_with_a_note_above():
    body = ("Pour suite à donner.\n\n\n-------- Message transféré --------\nSujet : \tOffre : cuisine créole\n"
            "Date : \tFri, 11 Dec 2026 09:00:00 +0100\nDe : \tJosiane Hoarau <josiane.hoarau@free.example>\n"
            "Pour : \tclaire.martin@francetravail.example\n\n\n\nBonjour,\n"
            "Je peux apprendre à faire des accras et un rougail.\nDisponibilités : le samedi\nJosiane\n")
    parsed = parse_message(plain("Fwd: Offre : cuisine créole", body), OPTIONS)
    (item,) = parsed.items
    assert (item.title, item.availability) == ("cuisine créole", "le samedi")
    assert item.description == "Je peux apprendre à faire des accras et un rougail."
    assert relayed_person(parsed) == "josiane.hoarau@free.example"


def test_an_attached_latin1_original_describes_the_demand_alone():
    inner = ("From: =?iso-8859-1?q?B=E9atrice_L=E9ger?= <beatrice.leger@wanadoo.example>\r\n"
             "To: claire.martin@francetravail.example\r\nSubject: Demande\r\nDate: Thu, 10 Dec 2026 09:00:00 +0100\r\n"
             "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
             "Bonjour,\r\nJe souhaite apprendre à me servir d'un ordinateur, créer une adresse e-mail.\r\n"
             "Béatrice\r\n").encode("latin-1")
    raw = (f"From: {CLAIRE}\r\nTo: rers.souday@example.org\r\nSubject: TR: Demande\r\n"
           "Message-ID: <r5@francetravail.example>\r\nDate: Mon, 14 Dec 2026 12:05:00 +0100\r\nMIME-Version: 1.0\r\n"
           'Content-Type: multipart/mixed; boundary="BB"\r\n\r\n--BB\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
           "Je vous transmets la demande ci-jointe, pour une dame que je suis depuis mars.\r\n\r\n--BB\r\n"
           "Content-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n").encode() + inner + b"\r\n--BB--\r\n"
    parsed = parse_message(raw, OPTIONS)
    assert relayed_person(parsed) == "beatrice.leger@wanadoo.example" and parsed.forwarded_name == "Béatrice Léger"
    (item,) = parsed.items
    assert "dame" not in (item.description or "") and "ci-jointe" not in (item.description or "")
    assert parsed.unused_text


def test_yahoos_one_line_forward_keeps_the_persons_wish():
    body = ("Pour vous.\n\n----- Message transféré ----- De : Omar Bensaid <omar.bensaid@yahoo.example>À : Jeanne Petit "
            "<jeanne.petit@caf.example>Envoyé : vendredi 11 décembre 2026 à 18:00:00 UTC+1Objet : demande\n"
            "Je cherche quelqu'un pour apprendre le français écrit.\n")
    parsed = parse_message(plain("Fwd: demande", body, sender="Jeanne Petit <jeanne.petit@caf.example>"), OPTIONS)
    assert (parsed.forwarded_from, parsed.forwarded_name, parsed.forwarded_subject) == (
        "omar.bensaid@yahoo.example", "Omar Bensaid", "demande")
    assert [(item.kind, item.title) for item in parsed.items] == [("demand", "français écrit")]


def test_someone_to_teach_is_not_the_title():
    for sentence, title in (("Je cherche quelqu'un pour apprendre le français écrit.", "français écrit"),
                            ("je cherche quelqu'un pour m'apprendre à coudre", "coudre"),
                            ("Je cherche quelqu'un qui sait réparer un vélo.", "réparer un vélo"),
                            ("Je cherche une personne qui pourrait m'expliquer comment utiliser un smartphone.",
                             "utiliser un smartphone"),
                            ("Je cherche quelqu'un avec qui parler anglais.", "parler anglais")):
        parsed = parse_message(plain("Bonjour", f"Bonjour,\n\n{sentence}\n", sender="o.b@example.net"), OPTIONS)
        assert [(item.kind, item.title) for item in parsed.items] == [("demand", title)], sentence


def test_a_wish_that_gave_no_item_is_unused_text():
    parsed = parse_message(plain("demande", "Je souhaite apprendre.\n", sender="o.b@example.net"), OPTIONS)
    assert parsed.intent == "demand" and parsed.items == [] and parsed.unused_text


def test_the_route_is_decided_by_whose_words_they_are():
    from workflows.routes import route_key

    assert route_key(parse_message(outlook_name_only(), OPTIONS)) == "relayed", "a name only: never the adviser's join"
    assert route_key(parse_message(outlook_name_only(name="Claire Martin"), OPTIONS)) == "demand", "her own mail"


# An adviser who types the keyword herself above the forward (« OFFRE : couture ») says
# what the message is; what the person offers is in the person's own message (« tricot »).
ABOVE = "OFFRE : couture\n\nBonjour, je vous transfère le message de Mme Diallo.\nClaire Martin\n\n"
GMAIL = ("---------- Message transféré ---------\nDe : Aïcha Diallo <aicha.diallo@gmail.example>\n"
         "Date : ven. 11 déc. 2026 à 18:12\nObjet : {subject}\nÀ : Claire Martin <claire.martin@francetravail.example>"
         "\n\n{body}")
OUTLOOK = ("________________________________\nDe : Aïcha Diallo <aicha.diallo@gmail.example>\n"
           "Envoyé : vendredi 11 décembre 2026 17:00\nÀ : Claire Martin\nObjet : {subject}\n\n{body}")
THUNDERBIRD = ("-------- Message transféré --------\nSujet : \t{subject}\nDate : \tFri, 11 Dec 2026 09:00:00 +0100\n"
               "De : \tAïcha Diallo <aicha.diallo@gmail.example>\nPour : \tclaire.martin@francetravail.example\n\n\n{body}")
GMAIL_EN = ("---------- Forwarded message ---------\nFrom: Aïcha Diallo <aicha.diallo@gmail.example>\n"
            "Date: Fri, Dec 11, 2026 at 6:12 PM\nSubject: {subject}\nTo: <claire.martin@francetravail.example>\n\n{body}")


SHAPES = {"gmail": GMAIL, "outlook": OUTLOOK, "thunderbird": THUNDERBIRD, "gmail-en": GMAIL_EN}
CASES = {  # the outer subject, the person's subject, their words, the title they give
    "neutral-subject": ("TR: message de Mme Diallo", "Bonjour", "Bonjour,\nJe peux montrer comment tricoter.\nAïcha\n",
                        "tricoter"),
    "no-keyword-inside": ("TR: mon offre", "mon offre", "Bonjour madame,\n\nJe propose le tricot.\n\nMerci\nAïcha\n",
                          "le tricot"),
    "subject-retyped": ("OFFRE : couture", "Offre", "Je sais tricoter des écharpes.\nAïcha Diallo\n",
                        "tricoter des écharpes"),
    "their-subject": ("Fwd: Offre : tricot", "Offre : tricot", "Bonjour,\nJe peux montrer à tricoter.\nAïcha\n", "tricot"),
    "their-keyword": ("TR: pour vous", "Offre", "Offre : tricot\nDisponibilités : le samedi\n", "tricot"),
}


@pytest.mark.parametrize("shape, case", [
    (shape, case) for shape in SHAPES for case in CASES
    # Outlook's forward header is its reply header: without « TR: » it is a quote.
    if not (shape == "outlook" and case == "subject-retyped")])
def test_the_forwarders_own_keyword_line_never_titles_the_persons_item(shape, case):
    subject, inner_subject, body, title = CASES[case]
    parsed = parse_message(plain(subject, ABOVE + SHAPES[shape].format(subject=inner_subject, body=body)), OPTIONS)
    assert forwards_another(parsed) and relayed_person(parsed) == "aicha.diallo@gmail.example"
    assert parsed.intent == "offer"
    assert [(item.kind, item.title) for item in parsed.items] == [("offer", title)]
    assert "couture" not in " ".join(f"{item.description} {item.availability}" for item in parsed.items)


def test_a_forwarders_keyword_over_a_person_who_wrote_no_savoir_records_no_item():
    body = ABOVE + GMAIL.format(subject="Bonjour", body="Bonjour,\nPouvez-vous me rappeler ?\nAïcha\n")
    parsed = parse_message(plain("TR: message", body), OPTIONS)
    assert parsed.intent == "offer" and parsed.items == [], "the adviser's « couture » is not the person's offer"


def test_a_forwarders_demand_keyword_does_not_title_the_persons_demand():
    body = ("DEMANDE : informatique\n\nPour Mme Diallo, que j'accompagne.\n\n"
            + GMAIL.format(subject="Bonjour", body="Bonjour,\nJe voudrais apprendre à utiliser un tableur.\nAïcha\n"))
    parsed = parse_message(plain("TR: Bonjour", body), OPTIONS)
    assert [(item.kind, item.title) for item in parsed.items] == [("demand", "utiliser un tableur")]
