"""A person's name or a knowledge's title is data, never template code, markup or a
header: names and titles holding ``{{ 7*7 }}``, ``<script>`` and ``\\r\\nBcc:`` go through
real workflows — joining, offering, asking, the animators' approval, both consents, the
introduction — and every mail the robot builds is checked: nothing evaluated, the HTML
part escaped, no header added, the subject one line."""
from __future__ import annotations

import base64
import re
from email import message_from_bytes, policy

import pytest

from membership_support import World, parse, reply, text_of
from support import ANIMATORS

TEMPLATE_CODE = "{{ 7*7 }}"
SCRIPT = "<script>alert(1)</script>"
HEADER = "\r\nBcc: x@example.net"
PACO, LINA = "paco.ruiz@example.net", "lina.petit@example.org"
ROBOT_HEADERS = {"from", "to", "cc", "subject", "date", "message-id", "in-reply-to", "references", "auto-submitted",
                 "x-auto-response-suppress", "content-language", "list-unsubscribe", "mime-version", "content-type",
                 "content-transfer-encoding", "reply-to"}
TOKEN = re.compile(r"RERS-[A-Z2-9]{8}")


def encoded(text: str) -> str:
    """An RFC 2047 encoded word: how a CR/LF can ride inside a header."""
    return "=?utf-8?b?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="


def hostile_mail(sender: str, display: str, subject: str, body: str, number: int) -> bytes:
    raw = (f"From: {encoded(display)} <{sender}>\r\nTo: rers.test@example.org\r\nSubject: {encoded(subject)}\r\n"
           f"Date: Mon, 23 Nov 2026 09:00:00 +0000\r\nMessage-ID: <hostile{number}@client.example>\r\n"
           "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + base64.encodebytes(body.encode("utf-8")).decode("ascii").replace("\n", "\r\n"))
    return raw.encode("ascii")


def check_mail(raw: str) -> None:
    data = raw.encode("ascii", "surrogateescape")
    head = data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    names = [line.split(":", 1)[0].lower() for line in head.split("\r\n") if line and not line[0].isspace()]
    assert set(names) <= ROBOT_HEADERS, f"unexpected header(s): {set(names) - ROBOT_HEADERS}"
    assert len(names) == len(set(names)), "each header once"
    assert not re.search(rb"(?im)^bcc:", data)
    msg = message_from_bytes(data, policy=policy.default)
    assert "\n" not in str(msg["Subject"]) and "\r" not in str(msg["Subject"])
    assert "49" not in TOKEN.sub("", str(msg["Subject"]))
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            assert "49" not in TOKEN.sub("", part.get_content()), "template code in a name is never evaluated"
        if part.get_content_type() == "text/html":
            html = part.get_content()
            assert "<script" not in html.lower()
            assert "49" not in TOKEN.sub("", html)


@pytest.fixture
def world(tmp_path):
    return World(tmp_path / "robot")


def confirm(world: World, address: str) -> None:
    question = world.last(address, "question:join")
    assert world.deliver(reply(question, address, "OUI")).startswith("handled: join confirmed")


def test_hostile_names_and_titles_through_join_offer_demand_approval_consent_and_introduction(world):
    paco_name = f"Paco {TEMPLATE_CODE} {SCRIPT}{HEADER}"
    offer = f"Cours d'espagnol {TEMPLATE_CODE} {SCRIPT}{HEADER}"
    world.deliver(hostile_mail(PACO, paco_name, f"OFFRE : {offer}",
                               f"Nom : Paco {TEMPLATE_CODE} {SCRIPT}\nSavoir : Cours d'espagnol {TEMPLATE_CODE} "
                               f"{SCRIPT}\nContact : e-mail\n", 1))
    world.deliver(hostile_mail(LINA, f"Lina {SCRIPT}{HEADER}", f"DEMANDE : Apprendre l'espagnol {SCRIPT}{HEADER}",
                               f"Nom : Lina {TEMPLATE_CODE}\nTéléphone : 06 99 88 77 66\n", 2))
    confirm(world, PACO)
    confirm(world, LINA)
    assert world.member(PACO)["name"] == f"Paco {TEMPLATE_CODE} {SCRIPT}", "the name is kept as written"

    proposal = world.last(ANIMATORS[0], "question:approve")
    assert world.deliver(reply(proposal, ANIMATORS[0], "OUI")).startswith("handled: MR-1 approved")
    for address in (PACO, LINA):
        consent = world.last(address, "question:consent")
        world.deliver(reply(consent, address, "Oui"))
    introduction = world.last(LINA, "introduction")
    assert f"Paco {TEMPLATE_CODE} {SCRIPT}" in text_of(introduction), "shown literally in the text part"
    html = introduction.get_body(("html",)).get_content()
    assert "Paco {{ 7*7 }} &lt;script&gt;alert(1)&lt;/script&gt;" in html, "escaped in the HTML part"

    purposes = {doc["purpose"] for doc in world.store.outbox.all()}
    assert {"question:join", "join_done", "question:approve", "question:consent", "introduction"} <= purposes
    for doc in world.store.outbox.all():
        check_mail(doc["raw"])


def test_a_hostile_subject_forwarded_to_the_animators_stays_one_line(world):
    world.deliver(hostile_mail("someone@example.net", f"Quelqu'un {TEMPLATE_CODE}{HEADER}",
                               f"Bonjour {TEMPLATE_CODE} {SCRIPT}{HEADER}", "Une question ?\n", 3))
    forwarded = world.last(ANIMATORS[0], "forward")
    assert str(forwarded["Subject"]).startswith("[À traiter] Bonjour {{ 7*7 }} <script>alert(1)</script>")
    for doc in world.store.outbox.all():
        check_mail(doc["raw"])


def test_hostile_title_in_a_join_acknowledgement(world):
    world.deliver(hostile_mail(PACO, "Paco", "Adhésion", f"Nom : Paco\nOffre : Tricot {TEMPLATE_CODE} {SCRIPT}\n", 4))
    confirm(world, PACO)
    world.deliver(hostile_mail(PACO, "Paco", f"OFFRE : Guitare {TEMPLATE_CODE}{HEADER}", "Pour débutants\n", 5))
    ack = world.last(PACO, "items_ack")
    assert parse(world.store.outbox.all()[-1]["raw"])["Subject"] == ack["Subject"]
    assert "{{ 7*7 }}" in str(ack["Subject"])
    for doc in world.store.outbox.all():
        check_mail(doc["raw"])


@pytest.mark.parametrize("display", [f"Paco{HEADER}", f"Paco {SCRIPT}", "Paco <x@example.net>", "x@example.net, Paco"])
def test_a_display_name_never_becomes_the_sender(display):
    from workflows.mail.model import ParseOptions
    from workflows.mail.parse import parse_message

    parsed = parse_message(hostile_mail(PACO, display, "OFFRE : guitare", "Pour débutants\n", 6), ParseOptions())
    assert parsed.sender == PACO
    # Issue 14: a display name holding an "@" is no name at all (it could pass for an
    # address in what the animators read); any other is kept, made one line.
    assert parsed.sender_name == (None if "@" in display else " ".join(display.split()))
