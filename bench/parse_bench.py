"""Parse benchmark: N realistic messages through ``parse_message`` and through the
stdlib alone (``email.message_from_bytes(policy=default)`` + ``get_body().get_content()``),
in the same run, on the same bytes.

    .venv/bin/python bench/parse_bench.py [--n N] [--seed S] [--repeat R]

Prints both times, per message, and the ratio (goal: at most 2). The messages are built
the way the clients of the sample corpus build them: Gmail multipart/alternative with
quoted-printable, Outlook windows-1252 with a heavy HTML part, iPhone plain text, Thunderbird
format=flowed, HTML-only base64 from phones, replies with quoted questions (Gmail, OWA,
Apple), out-of-office replies, delivery reports and a few animator commands.
"""
from __future__ import annotations

import argparse
import base64
import email
import quopri
import random
import sys
import time
from email import policy
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workflows.mail.model import ParseOptions  # noqa: E402
from workflows.mail.parse import parse_message  # noqa: E402

FIRST = ["Élodie", "Karim", "Fatoumata", "Jean-Luc", "Aïcha", "Gisèle", "Saïd", "Marta", "Thierry", "Rose"]
LAST = ["Marchand", "Haddad", "Diallo", "Perrin", "Benali", "Robin", "Benhamou", "Ruiz", "Lemoine", "Ngoma"]
TITLES = ["Cuisine sénégalaise", "Rédiger un CV", "Guitare pour débutants", "Utiliser un smartphone",
          "Jardinage sur balcon", "Anglais (conversation)", "Démarches en ligne (CAF, impôts)", "Couture"]
QUESTION = ("Bonjour {first},\n\nUne personne du réseau propose un savoir qui correspond à votre demande :\n\n"
            "Savoir : {title}\nDisponibilités : lundi matin\nModalité : en tête-à-tête\n\n"
            "Si vous êtes d'accord, nous vous transmettrons ses coordonnées et lui donnerons votre adresse e-mail.\n"
            "Répondez OUI pour accepter la mise en relation, ou NON pour la refuser.\n"
            "Dire non n'a aucune conséquence.\n\nL'équipe d'animation du RERS")
OUTLOOK_STYLE = ("<style><!--\n" + "\n".join(f"p.MsoNormal{i}, li.MsoNormal{i} {{margin:0cm;font-size:11.0pt;"
                 f"font-family:\"Calibri\",sans-serif;}}" for i in range(40)) + "\n--></style>")


def qp(text: str, charset: str = "utf-8") -> str:
    return quopri.encodestring(text.replace("\n", "\r\n").encode(charset)).decode("ascii")


def encoded_word(text: str) -> str:
    return "=?UTF-8?B?" + base64.b64encode(text.encode()).decode() + "?="


def head(rng: random.Random, n: int, subject: str, extra: str = "") -> tuple[str, str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    address = f"{first.lower()}.{last.lower()}@example.com".replace("ï", "i").replace("è", "e").replace("é", "e")
    lines = (
        f"Return-Path: <{address}>\r\n"
        f"Received: from mail.example.com (mail.example.com [198.51.100.{n % 250}])\r\n\tby mx.example.org (Postfix)"
        f" with ESMTPS id X{n}\r\n\tfor <rers@example.org>; Mon, 7 Dec 2026 09:{n % 60:02d}:00 +0100 (CET)\r\n"
        f"Authentication-Results: mx.example.org;\r\n\tdkim=pass header.d=example.com;\r\n\tdmarc=pass header.from=example.com\r\n"
        f"From: {encoded_word(first + ' ' + last)} <{address}>\r\n"
        f"To: rers@example.org\r\nSubject: {encoded_word(subject)}\r\n"
        f"Date: Mon, 7 Dec 2026 09:{n % 60:02d}:00 +0100\r\nMessage-ID: <bench-{n}@example.com>\r\n"
        f"MIME-Version: 1.0\r\n{extra}"
    )
    return lines, first, last


def alternative(plain: str, html: str, charset: str = "UTF-8") -> str:
    return ("Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\n"
            f"Content-Type: text/plain; charset=\"{charset}\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            f"{qp(plain, charset)}\r\n--b1\r\nContent-Type: text/html; charset=\"{charset}\"\r\n"
            f"Content-Transfer-Encoding: quoted-printable\r\n\r\n{qp(html, charset)}\r\n--b1--\r\n")


def gmail_offer(rng, n):
    title = rng.choice(TITLES)
    top, first, last = head(rng, n, rng.choice(["Offre", "OFFRE", "Je propose"]))
    plain = (f"Bonjour,\n\nSavoir : {title}\nDescription : {'Je peux expliquer pas à pas. ' * rng.randint(1, 4)}\n"
             f"Disponibilités : le {rng.choice(['lundi', 'mardi', 'jeudi'])} matin\nLieu : agence\n\n-- \n{first}\n")
    return top + alternative(plain, "<div dir=\"ltr\">" + plain.replace("\n", "<br>") + "</div>")


def outlook_join(rng, n):
    top, first, last = head(rng, n, "ADHESION", "X-Mailer: Microsoft Outlook 16.0\r\n")
    plain = (f"Bonjour,\n\xa0\nJe voudrais m’inscrire au réseau.\n\xa0\nNom\xa0: {first} {last}\n\xa0\n"
             f"Tél\xa0: 06 39 98 {rng.randint(10, 99)} {rng.randint(10, 99)}\n\xa0\nOffre\xa0: {rng.choice(TITLES)}\n"
             f"\xa0\nCordialement,\n\xa0\n{first} {last}\n\nCe message et toutes les pièces jointes sont confidentiels.")
    html = ("<html><head>" + OUTLOOK_STYLE + "</head><body><div class=WordSection1><p class=MsoNormal>"
            + plain.replace("\n", "<o:p></o:p></p><p class=MsoNormal>") + "</p></div></body></html>")
    return top + alternative(plain.replace("’", "'"), html.replace("’", "'"), "windows-1252")


def gmail_reply(rng, n):
    token = "RERS-" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(8))
    top, first, last = head(rng, n, f"Re: [{token}] Une mise en relation vous est proposée",
                            f"In-Reply-To: <{token}.1@rers.example.org>\r\nReferences: <{token}.1@rers.example.org>\r\n")
    answer = rng.choice(["Oui", "Oui bien sûr, avec plaisir !", "non merci pas pour l'instant", "D'accord, merci !",
                         "je ne sais pas encore"])
    quoted = "\n".join("> " + line for line in QUESTION.format(first=first, title=rng.choice(TITLES)).split("\n"))
    plain = f"{answer}\n\nLe lun. 7 déc. 2026 à 09:00, RERS <rers@example.org> a\nécrit :\n\n{quoted}\n"
    html = (f"<div dir=\"ltr\">{answer}</div><br><div class=\"gmail_quote\"><div class=\"gmail_attr\">Le lun. 7 déc."
            f" 2026, RERS a écrit :</div><blockquote class=\"gmail_quote\">"
            + QUESTION.replace("\n", "<br>") + "</blockquote></div>")
    return top + alternative(plain, html)


def owa_reply(rng, n):
    token = "RERS-" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(8))
    top, first, last = head(rng, n, f"RE: [{token}] MR-{n} : proposition de mise en relation")
    plain = (f"OK\n\n{first}\n\n________________________________\nDe : RERS <rers@example.org>\n"
             f"Envoyé : lundi 7 décembre 2026 09:00\nÀ : {first}\nObjet : [{token}] MR-{n}\n\n"
             + QUESTION.format(first=first, title=rng.choice(TITLES)))
    html = ("<html><body><div>OK</div><div id=\"appendonsend\"></div><hr><div id=\"divRplyFwdMsg\"><b>De :</b> RERS"
            "</div><div>" + QUESTION.replace("\n", "<br>") + "</div></body></html>")
    return top + alternative(plain.replace("’", "'"), html, "windows-1252")


def iphone_withdraw(rng, n):
    top, first, last = head(rng, n, rng.choice(["RETRAIT D-7", "Désinscription", "Clôturer O-12"]),
                            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n")
    return top + "\r\n" + qp("Bonjour, merci de retirer ma demande.\n\nEnvoyé de mon iPhone")


def thunderbird_flowed(rng, n):
    top, first, last = head(rng, n, "Demande",
                            "Content-Type: text/plain; charset=UTF-8; format=flowed\r\nContent-Transfer-Encoding: 8bit\r\n")
    body = (f"Bonjour,\r\n\r\nSavoir : {rng.choice(TITLES)}\r\nDescription : Je voudrais apprendre les bases, \r\n"
            "doucement et avec patience, pour être autonome. \r\nMerci d'avance.\r\n\r\n-- \r\n" + first + "\r\n")
    return top + "\r\n" + body


def html_only(rng, n):
    top, first, last = head(rng, n, "Je propose mon aide",
                            "Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n")
    html = (f"<html><body><div dir=\"auto\">Bonjour,</div><div dir=\"auto\">Savoir : {rng.choice(TITLES)}</div>"
            "<div dir=\"auto\">Disponibilités : le vendredi matin</div><div dir=\"auto\">Merci 🙏</div>"
            "<div id=\"composer_signature\">Envoyé depuis mon appareil Galaxy</div></body></html>")
    return top + "\r\n" + base64.encodebytes(html.encode()).decode().replace("\n", "\r\n")


def auto_reply(rng, n):
    top, first, last = head(rng, n, "Réponse automatique : Le calendrier du réseau",
                            "Auto-Submitted: auto-replied\r\n")
    return top + alternative("Je suis absente jusqu'au 4 janvier.\n\nCordialement,\n" + first,
                             "<p>Je suis absente jusqu'au 4 janvier.</p>")


def dsn(rng, n):
    return ("From: MAILER-DAEMON@mx.example.org (Mail Delivery System)\r\nTo: rers@example.org\r\n"
            f"Subject: Undelivered Mail Returned to Sender\r\nDate: Mon, 7 Dec 2026 09:00:00 +0100\r\n"
            f"Message-ID: <dsn-{n}@mx.example.org>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n--r\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n\r\nI'm sorry to have to inform you that your message could"
            " not be delivered.\r\n\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
            f"Final-Recipient: rfc822; gone{n}@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--r\r\n"
            "Content-Type: message/rfc822\r\n\r\nFrom: rers@example.org\r\nSubject: Invitation\r\n\r\nBonjour\r\n--r--\r\n")


def command(rng, n):
    top, first, last = head(rng, n, rng.choice(["PERMANENCE ANNULÉE 07/12/2026", "MISE EN RELATION O-12 D-7",
                                                "RENCONTRE 2027-01-14 14:00-16:00 Salle du Havre"]))
    return top + alternative("Merci de prévenir les membres.\n\n" + first, "<p>Merci de prévenir les membres.</p>")


KINDS = [(gmail_offer, 18), (outlook_join, 14), (gmail_reply, 20), (owa_reply, 10), (iphone_withdraw, 10),
         (thunderbird_flowed, 8), (html_only, 8), (auto_reply, 5), (dsn, 3), (command, 4)]


def build(n: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    makers = [maker for maker, weight in KINDS for _ in range(weight)]
    return [rng.choice(makers)(rng, index).encode("utf-8") for index in range(n)]


def stdlib(messages: list[bytes]) -> None:
    for raw in messages:
        message = email.message_from_bytes(raw, policy=policy.default)
        body = message.get_body()
        if body is not None:
            body.get_content()


def ours(messages: list[bytes]) -> None:
    options = ParseOptions(network_address="rers@example.org")
    for raw in messages:
        parse_message(raw, options)


def timed(function, messages: list[bytes], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function(messages)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="number of messages (default 2000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the generated messages")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side; the best is kept")
    args = parser.parse_args(argv)
    messages = build(args.n, args.seed)
    warm = messages[: min(50, len(messages))]
    stdlib(warm)
    ours(warm)  # imports and first-use loading (dateparser, phonenumbers) not counted
    base = timed(stdlib, messages, args.repeat)
    mine = timed(ours, messages, args.repeat)
    size = sum(len(raw) for raw in messages) / len(messages)
    print(f"messages: {len(messages)} (seed {args.seed}, mean {size:.0f} bytes)")
    print(f"stdlib parse + get_body().get_content(): {base:.3f} s ({base / len(messages) * 1e6:.0f} µs/message)")
    print(f"rers parse_message:                      {mine:.3f} s ({mine / len(messages) * 1e6:.0f} µs/message)")
    print(f"ratio: {mine / base:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
