"""Issue 15, a fresh round: forty messages written here in the shapes of real clients
(footers, separators, where people write, HTML, prose, the new forms, replies to the
robot, refusals, calendar answers), none a copy of the earlier tests' — some shapes from
reply parsers' bug reports (email_reply_parser: paragraphs starting with « On »; Windows
Mail's quote header without an address; Discourse's trimmer: an attribution wrapped
before the address; a line starting with « - » taken for a signature). Each is checked
against the contract (protocol.md, "What the robot understood")."""
from __future__ import annotations

import pytest

from workflows.mail.model import ParseOptions
from workflows.mail.parse import parse_message

OPTIONS = ParseOptions(network_address="rers@example.org")
NADIA = "Nadia Ferhat <nadia.ferhat@example.net>"
TOKEN = "RERS-K4M7P2QX"
QUESTION = f"[{TOKEN}] Une mise en relation vous est proposée"
ASKED = "Acceptez-vous cette mise en relation ? Répondez OUI ou NON."


def plain(subject: str, body: str, *, sender: str = NADIA, headers: str = "") -> bytes:
    return (f"From: {sender}\r\nTo: RERS de Souday <rers@example.org>\r\nSubject: {subject}\r\n"
            f"Date: Mon, 7 Dec 2026 10:00:00 +0100\r\nMessage-ID: <fresh-{abs(hash((subject, body)))}@example.net>\r\n"
            f"{headers}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n" + body.replace("\n", "\r\n")).encode("utf-8")


def html(subject: str, markup: str, *, sender: str = NADIA) -> bytes:
    return (f"From: {sender}\r\nTo: rers@example.org\r\nSubject: {subject}\r\n"
            "Date: Mon, 7 Dec 2026 10:00:00 +0100\r\nMessage-ID: <fresh-html@example.net>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            f"<html><body>{markup}</body></html>").encode("utf-8")


def calendar(method: str, vevents: str, *, sender: str = NADIA, text: str = "") -> bytes:
    ics = ("BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nVERSION:2.0\r\n"
           f"METHOD:{method}\r\n{vevents}END:VCALENDAR\r\n")
    return (f"From: {sender}\r\nTo: rers@example.org\r\nSubject: Invitation mise à jour\r\n"
            "Date: Mon, 7 Dec 2026 10:00:00 +0100\r\nMessage-ID: <fresh-cal@google.com>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/alternative; boundary="CC"\r\n\r\n--CC\r\n'
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n--CC\r\n"
            f"Content-Type: text/calendar; charset=utf-8; method={method}\r\n\r\n{ics}\r\n--CC--\r\n").encode("utf-8")


def vevent(partstat: str, *, recurrence: str = "", comment: str = "") -> str:
    extra = f';X-RESPONSE-COMMENT="{comment}"' if comment else ""
    rid = f"RECURRENCE-ID;TZID=Europe/Paris:{recurrence}\r\n" if recurrence else ""
    return ("BEGIN:VEVENT\r\nUID:rencontre-mensuelle@rers.example.org\r\n" + rid
            + "DTSTART;TZID=Europe/Paris:20261210T140000\r\nDTSTAMP:20261207T090000Z\r\n"
            f"ATTENDEE;CN=Nadia Ferhat;PARTSTAT={partstat}{extra}:mailto:nadia.ferhat@example.net\r\n"
            "SEQUENCE:0\r\nEND:VEVENT\r\n")


def reply(body: str, *, subject: str = f"Re: {QUESTION}") -> bytes:
    return plain(subject, body)


GMAIL_QUOTE = f"Le lun. 7 déc. 2026 à 09:00, RERS de Souday <rers@example.org> a écrit :\n\n> {ASKED}\n"

MESSAGES: dict[str, tuple[bytes, dict]] = {
    # --- footers, stamps, notices, signatures without « -- » --------------------------------
    "yahoo-iphone-footer-offer": (
        plain("Offre : Tricot", "Disponibilités : le jeudi après-midi\n\nEnvoyé de Yahoo Mail pour iPhone\n"),
        {"intent": "offer", "items": [("offer", "Tricot")], "item0": {"availability": "le jeudi après-midi"},
         "text_lacks": ["Yahoo"]}),
    "outlook-ios-footer-yes": (
        reply(f"Oui\n\nObtenir Outlook pour iOS<https://aka.ms/o0ukef>\n{GMAIL_QUOTE}"),
        {"intent": "reply", "answer": "yes", "text": "Oui"}),
    "proton-footer-bilan": (
        plain(f"Re: [{TOKEN}] Comment s'est passé l'échange ?",
              "Échange réalisé : oui\nFreins : les horaires du bus\n\n"
              "Envoyé avec la messagerie sécurisée Proton Mail.\n"),
        {"intent": "reply", "bilan": {"happened": "yes", "obstacles": "les horaires du bus"}}),
    "windows-mail-header-without-address": (
        reply(f"Oui, d'accord.\n\nEnvoyé à partir de Courrier pour Windows\n\nDe : RERS de Souday\n"
              f"Envoyé : lundi 7 décembre 2026 09:00\nÀ : Nadia Ferhat\nObjet : {QUESTION}\n\n{ASKED}\n"),
        {"intent": "reply", "answer": "yes", "text": "Oui, d'accord."}),
    "avast-stamp-under-description": (
        plain("Demande", "Savoir : Utiliser un tableur\nDescription : pour tenir mon budget\n\n"
              "--\nCe courrier électronique a été vérifié par le logiciel antivirus Avast.\n"
              "https://www.avast.com/antivirus\n"),
        {"intent": "demand", "items": [("demand", "Utiliser un tableur")],
         "item0": {"description": "pour tenir mon budget"}, "text_lacks": ["Avast", "avast"]}),
    # --- quote and forward separators ------------------------------------------------------
    "zimbra-free-no": (
        reply("non, pas cette fois\n\n----- Mail original -----\nDe: \"RERS de Souday\" <rers@example.org>\n"
              f"À: \"Nadia Ferhat\" <nadia.ferhat@example.net>\nEnvoyé: Lundi 7 Décembre 2026 09:00:00\n"
              f"Objet: {QUESTION}\n\n{ASKED}\n"),
        {"intent": "reply", "answer": "no", "text": "non, pas cette fois"}),
    "thunderbird-forward-own-demand": (
        plain("Fwd: Demande : couture", "Je vous la renvoie.\n\n-------- Message transféré --------\n"
              "Sujet : \tDemande : couture\nDate : \tMon, 30 Nov 2026 18:02:11 +0100\n"
              "De : \tNadia Ferhat <nadia.ferhat@example.net>\nPour : \trers@example.org\n\n"
              "Disponibilités : le lundi matin\n"),
        {"intent": "demand", "items": [("demand", "couture")], "item0": {"availability": "le lundi matin"},
         "forwarded_from": "nadia.ferhat@example.net"}),
    "yahoo-english-one-line-forward": (
        plain("Fw: Offre : jardinage", "----- Forwarded Message ----- From: Paul Henry <paul.henry@example.com>"
              "To: rers@example.org <rers@example.org>Sent: Monday, 30 November 2026, 18:02:11 CETSubject: "
              "Offre : jardinage\n\nDisponibilités : le samedi\n", sender="Paul Henry <paul.henry@example.com>"),
        {"intent": "offer", "items": [("offer", "jardinage")], "item0": {"availability": "le samedi"},
         "forwarded_from": "paul.henry@example.com"}),
    "iphone-english-forward-quoted": (
        plain("Fwd: Offre : cuisine", "Sent from my iPhone\n\nBegin forwarded message:\n\n"
              "> From: Nadia Ferhat <nadia.ferhat@example.net>\n> Date: 30 November 2026 at 18:02:11 CET\n"
              "> To: rers@example.org\n> Subject: Offre : cuisine\n>\n> Disponibilités : le mercredi\n"),
        {"intent": "offer", "items": [("offer", "cuisine")], "item0": {"availability": "le mercredi"},
         "text": "Disponibilités : le mercredi"}),
    "adviser-forward-outlook-english": (
        plain("FW: inscription", "Hello,\n\nPlease find below Mrs Diallo's request.\n\n"
              "From: Aminata Diallo <aminata.diallo@example.com>\nSent: Friday, December 4, 2026 4:20 PM\n"
              "To: Sophie Martin <s.martin@ccas-souday.fr>\nSubject: inscription\n\n"
              "Bonjour, je voudrais m'inscrire au réseau.\n", sender="Sophie Martin <s.martin@ccas-souday.fr>"),
        {"intent": "join", "forwarded_from": "aminata.diallo@example.com"}),
    # --- where the member wrote ----------------------------------------------------------
    "thunderbird-bottom-posted": (
        reply(f"Le 07/12/2026 à 09:00, RERS de Souday a écrit :\n> {ASKED}\n\nOui je confirme\n"),
        {"intent": "reply", "answer": "yes", "text": "Oui je confirme"}),
    "inline-no-between-quotes": (
        reply(f"Le lun. 7 déc. 2026 à 09:00, RERS de Souday <rers@example.org> a écrit :\n> {ASKED}\n"
              "Non\n> Disponibilités de l'autre personne : le mardi.\nje travaille le mardi\n"),
        {"intent": "reply", "answer": "no", "text_has": ["je travaille le mardi"]}),
    "old-gmail-attribution-wrapped-before-address": (
        reply(f"Oui\n\n2026-12-07 9:00 GMT+01:00 RERS de Souday <\nrers@example.org>:\n\n> {ASKED}\n"),
        {"intent": "reply", "answer": "yes", "text": "Oui"}),
    "on-line-above-long-french-attribution": (
        reply("Oui !\n\nOn pourrait commencer la semaine prochaine.\n"
              f"Le lundi 7 décembre 2026 à 09:00, RERS de Souday <rers@example.org> a écrit :\n> {ASKED}\n"),
        {"intent": "reply", "answer": "yes", "text": "Oui !\n\nOn pourrait commencer la semaine prochaine."}),
    "dash-line-is-not-a-signature": (
        reply(f"Oui\n-je viendrai avec ma fille\n\n{GMAIL_QUOTE}"),
        {"intent": "reply", "answer": "yes", "text": "Oui\n-je viendrai avec ma fille"}),
    "bare-address-attribution": (
        reply(f"Non merci\n\nrers@example.org a écrit :\n> {ASKED}\n"),
        {"intent": "reply", "answer": "no", "text": "Non merci"}),
    # --- HTML ----------------------------------------------------------------------------
    "gmail-indent-button-offer": (
        html("Offre : Couture", '<div dir="ltr"><div>Bonjour,</div><div>Voici mon offre.</div>'
             '<blockquote style="margin:0 0 0 40px;border:none;padding:0px"><div>Disponibilités : le mardi</div>'
             "</blockquote></div>"),
        {"intent": "offer", "items": [("offer", "Couture")], "item0": {"availability": "le mardi"}}),
    "yahoo-html-quoted-yes": (
        html(f"Re: {QUESTION}", '<div class="ydp1"><div>Oui bien sûr</div></div><div class="yahoo_quoted" '
             'id="yahoo_quoted_123"><div>Le lundi 7 décembre 2026, 09:00, RERS de Souday &lt;rers@example.org&gt; '
             f"a écrit :</div><div><div>{ASKED}</div></div></div>"),
        {"intent": "reply", "answer": "yes", "text": "Oui bien sûr"}),
    # --- prose ---------------------------------------------------------------------------
    "prose-demand-tableur": (
        plain("Bonjour", "Bonjour,\n\nJ'aimerais apprendre à utiliser un tableur pour mon budget.\n\nMerci\n"),
        # the purpose ends the title and stays in the description (prose.py, _TITLE_END_RE)
        {"intent": "demand", "items": [("demand", "utiliser un tableur")],
         "item0": {"description": "pour mon budget."}}),
    "prose-offer-papiers": (
        plain("Un coup de main", "Bonjour, je peux aider à remplir les papiers de la CAF.\n"),
        {"intent": "offer", "items": [("offer", "remplir les papiers de la CAF")]}),
    "prose-join-both": (
        plain("Rejoindre le réseau", "Bonjour,\n\nJe souhaite rejoindre le réseau. Je sais coudre et "
              "j'aimerais apprendre l'anglais.\n"),
        {"intent": "join", "kinds": ["offer", "demand"]}),
    # --- replies to the robot's own mail carrying a keyword ------------------------------------
    "demand-in-reply-to-help": (
        plain("Re: Comment écrire au RERS de Souday", "DEMANDE : réparer mon vélo\n\n"
              "Le lun. 7 déc. 2026 à 09:00, RERS de Souday <rers@example.org> a écrit :\n> Pour proposer un "
              "savoir, écrivez OFFRE.\n"),
        {"intent": "demand", "items": [("demand", "réparer mon vélo")]}),
    "interest-in-reply-to-catalogue": (
        plain("Re: Les savoirs du RERS de Souday", "Je m'intéresse à D-4\n\n"
              "Le lun. 7 déc. 2026 à 09:00, RERS de Souday <rers@example.org> a écrit :\n> O-3 Couture\n"),
        {"intent": "interest", "item_ref": "D-4"}),
    # --- refusals written as reports ----------------------------------------------------------
    "outlook-ndr-without-report": (
        plain("Non remis : Bienvenue au RERS de Souday",
              "Votre message n'a pas pu être remis à nadia.old@outlook.fr, car l'adresse est introuvable.\n",
              sender="postmaster@outlook.fr"),
        {"intent": "bounce"}),
    "sieve-reject-mdn-deleted": (
        ("From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\nTo: rers@example.org\r\n"
         "Subject: Rejected: Bienvenue au RERS de Souday\r\nDate: Mon, 7 Dec 2026 10:00:00 +0100\r\n"
         "Message-ID: <mdn-1@mx.example.net>\r\nAuto-Submitted: auto-replied (rejected)\r\nMIME-Version: 1.0\r\n"
         'Content-Type: multipart/report; report-type=disposition-notification; boundary="RR"\r\n\r\n--RR\r\n'
         "Content-Type: text/plain; charset=utf-8\r\n\r\nYour message to <karim@example.net> was "
         "automatically rejected:\r\nJe ne lis plus cette boîte.\r\n\r\n--RR\r\n"
         "Content-Type: message/disposition-notification\r\n\r\nReporting-UA: mx.example.net; Dovecot Mail "
         "Delivery Agent\r\nFinal-Recipient: rfc822; karim@example.net\r\nOriginal-Message-ID: "
         "<rers.abc@example.org>\r\nDisposition: automatic-action/MDN-sent-automatically; deleted\r\n\r\n"
         "--RR--\r\n").encode("utf-8"),
        {"intent": "bounce", "bounced": ["karim@example.net"]}),
    # --- calendar answers -------------------------------------------------------------------
    "google-reply-with-note": (
        calendar("REPLY", vevent("DECLINED", comment="Je suis chez le médecin"),
                 text="Nadia Ferhat a refusé cette invitation."),
        {"intent": "rsvp", "rsvps": [("declined", "Je suis chez le médecin")]}),
    "series-accepted-one-date-declined": (
        calendar("REPLY", vevent("ACCEPTED") + vevent("DECLINED", recurrence="20270114T140000")),
        {"intent": "rsvp", "rsvps": [("accepted", None), ("declined", None)]}),
    "calendar-add-is-automatic": (
        calendar("ADD", vevent("NEEDS-ACTION"), text="Je propose aussi le 17."),
        {"intent": "auto_reply"}),
}


# The new forms of protocol.md, each a plain message: name -> (subject, body, expected).
NEW_FORMS: dict[str, tuple[str, str, dict]] = {
    "preferences-digest-no-polite": ("Mes préférences", "Bonjour,\n\nNouvelles : non\n\nMerci et bonne journée\nNadia\n",
                                     {"intent": "preferences", "member": {"digest": False}}),
    "interest-sentence": ("O-7", "Bonjour, je suis intéressée par l'offre O-7, merci !\n",
                          {"intent": "interest", "item_ref": "O-7"}),
    "pause-first-february": ("Pause", "Je fais une pause jusqu'au 1er février, je déménage.\n",
                             {"intent": "pause", "pause_until": "2027-02-01"}),
    "resume-de-retour": ("Je suis de retour", "Bonjour, je reprends mes échanges.\n", {"intent": "resume"}),
    "testimony-prenom": ("Mon témoignage", "Le réseau m'a redonné confiance.\n\nSignature : prénom\n",
                         {"intent": "testimony", "signature": "prénom"}),
    "address-change-sentence": ("Changement d'adresse mail", "Bonjour, ma nouvelle adresse est Nadia.F@orange.fr merci.\n",
                                {"intent": "address_change", "new_address": "nadia.f@orange.fr"}),
    "invitation-kinds-only": ("Invitations", "Invitations : ateliers et rencontres seulement\n",
                              {"intent": "preferences",
                               "member": {"invitations": True, "invitation_kinds": ["ateliers", "rencontres"]}}),
    "digest-in-subject": ("Nouvelles : oui svp", "Merci !\n", {"intent": "preferences", "member": {"digest": True}}),
}
MESSAGES.update({name: (plain(subject, body), want) for name, (subject, body, want) in NEW_FORMS.items()})


# A second batch, written after the first was read right: harder shapes.
OUTLOOK_HTML_QUOTE = ('<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri"><b>De :</b> RERS de Souday '
                      '&lt;rers@example.org&gt;<br><b>Envoyé :</b> lundi 7 décembre 2026 09:00<br><b>À :</b> Nadia '
                      f'Ferhat<br><b>Objet :</b> {QUESTION}</font><div>&nbsp;</div></div><div>{ASKED}</div>')
MESSAGES.update({
    "outlook-html-bold-header-block": (
        html(f"RE: {QUESTION}", f"<div>Non, merci.</div><hr>{OUTLOOK_HTML_QUOTE}"),
        {"intent": "reply", "answer": "no", "text": "Non, merci."}),
    "outlook-html-border-top-separator": (
        html(f"RE: {QUESTION}", '<div class="WordSection1"><p>Oui, avec plaisir.</p><div style="border:none;'
             f'border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">{OUTLOOK_HTML_QUOTE}</div></div>'),
        {"intent": "reply", "answer": "yes", "text": "Oui, avec plaisir."}),
    "ipad-footer-join": (
        plain("Bonjour", "Bonjour je souhaiterais m'inscrire\n\nEnvoyé de mon iPad\n"),
        {"intent": "join", "text_lacks": ["iPad"]}),
    "bilan-starting-with-on": (
        plain(f"Re: [{TOKEN}] Comment s'est passé l'échange ?",
              "On s'est vus deux fois, c'était très bien.\n\nLe mar. 8 déc. 2026 à 09:00, RERS de Souday "
              "<rers@example.org> a écrit :\n> Comment s'est passé l'échange ?\n"),
        {"intent": "reply", "text": "On s'est vus deux fois, c'était très bien."}),
    "reply-then-forward-prefixes": (
        plain("RE: TR: Offre : cuisine du monde", "Disponibilités : le vendredi\n"),
        {"intent": "offer", "items": [("offer", "cuisine du monde")], "item0": {"availability": "le vendredi"}}),
    "preferences-in-reply-to-robot": (
        plain("Re: Vos préférences au RERS de Souday", "Contact : par téléphone svp\n\nBonne journée\n"),
        {"intent": "preferences", "member": {"contact": "phone"}}),
    "emoji-before-keyword": (
        plain("🙏 Demande : anglais", "Merci !\n"),
        {"intent": "demand", "items": [("demand", "anglais")]}),
    "thumbs-up-answer": (
        reply(f"👍\n\n{GMAIL_QUOTE}"),
        {"intent": "reply", "answer": "yes"}),
    "calendar-tentative-uppercase-mailto": (
        calendar("REPLY", vevent("TENTATIVE").replace("mailto:", "MAILTO:")),
        {"intent": "rsvp", "rsvps": [("tentative", None)]}),
    "withdraw-item-in-a-sentence": (
        plain("Mon offre", "Bonjour, merci de retirer mon offre O-3, j'ai trouvé un emploi.\n"),
        {"intent": "withdraw_item", "item_ref": "O-3"}),
})


# Answers under a footer, a notice or a signature: name -> (the reply's text, answer, own text).
FOOTED_ANSWERS: dict[str, tuple[str, str, str]] = {
    "galaxy-footer-no": ("Non merci\n\n\n\nEnvoyé depuis mon appareil Galaxy\n", "no", "Non merci"),
    "legal-notice-under-yes": (
        "Oui\n\nCe message et toutes les pièces jointes sont confidentiels et établis à l'intention exclusive de "
        "ses destinataires. Toute utilisation ou diffusion non autorisée est interdite.\n", "yes", "Oui"),
    "association-signature-block": (
        "Oui avec plaisir\n\nMarc Lefèvre\nTrésorier bénévole\nAssociation Les Jardins Partagés\n"
        "12 rue des Lilas, 76000 Rouen\nwww.jardins-partages.fr\n", "yes", "Oui avec plaisir"),
    "shop-signature-non-stop": (
        "OK pour moi\n\nKarim\nÉpicerie solidaire – ouvert non-stop le samedi\n06 12 34 56 78\n", "yes", "OK pour moi"),
    "english-legal-notice-under-no": (
        "Non\n\nThis e-mail and any attachments are confidential and intended solely for the addressee. "
        "Any unauthorised use or dissemination is prohibited.\n", "no", "Non"),
    "orange-app-footer-yes": ("Oui\n\n\nEnvoyé depuis l'application Mail Orange\n", "yes", "Oui"),
}
MESSAGES.update({name: (reply(body), {"intent": "reply", "answer": answer, "text": text})
                 for name, (body, answer, text) in FOOTED_ANSWERS.items()})


def check(parsed, want: dict) -> list[str]:
    """What differs from ``want`` (empty when the message is read as the contract says)."""
    problems = []

    def differs(what, got, expected):
        if got != expected:
            problems.append(f"{what}: {got!r} != {expected!r}")

    for key in ("intent", "answer", "item_ref", "pause_until", "new_address", "signature", "forwarded_from"):
        if key in want:
            differs(key, getattr(parsed, key), want[key])
    if "text" in want:
        differs("text", parsed.text, want["text"])
    for needle in want.get("text_has", []):
        if needle not in parsed.text:
            problems.append(f"text lacks {needle!r}: {parsed.text!r}")
    for needle in want.get("text_lacks", []):
        if needle in parsed.text or any(needle in (item.description or "") for item in parsed.items):
            problems.append(f"text keeps {needle!r}")
    if "items" in want:
        differs("items", [(item.kind, item.title) for item in parsed.items], want["items"])
    if "kinds" in want:
        differs("kinds", [item.kind for item in parsed.items], want["kinds"])
    for key, value in want.get("item0", {}).items():
        differs(f"items[0].{key}", getattr(parsed.items[0], key) if parsed.items else None, value)
    for key, value in want.get("member", {}).items():
        differs(f"member.{key}", getattr(parsed.member, key), value)
    for key, value in want.get("bilan", {}).items():
        differs(f"bilan.{key}", getattr(parsed.bilan, key, None), value)
    if "bounced" in want:
        differs("bounced", parsed.bounced_addresses, want["bounced"])
    if "rsvps" in want:
        differs("rsvps", [(r["partstat"], r.get("comment")) for r in parsed.rsvps], want["rsvps"])
    return problems


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_each_message_is_read_as_written(name):
    raw, want = MESSAGES[name]
    problems = check(parse_message(raw, OPTIONS), want)
    assert not problems, "\n".join(problems)


def test_the_round_has_fifty_messages():
    assert len(MESSAGES) >= 50
