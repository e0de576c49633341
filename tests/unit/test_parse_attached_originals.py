"""A forwarded original attached as a file (protocol.md, "Intents": a forward is still
understood): ``message/rfc822`` with 8-bit Latin-1 bodies, or the ``.eml`` a client
attaches with a generic type (``application/octet-stream``), is read as a message — its
sender, subject and text, each part's charset decoded — whatever the outer subject."""
from __future__ import annotations

import pytest

from workflows.mail.model import ParseOptions
from workflows.mail.parse import parse_message

OPTIONS = ParseOptions(network_address="rers@example.org")

ORIGINAL_LATIN1 = (
    "From: A\xefcha Diallo <aicha.diallo@example.com>\r\n"  # raw 8-bit Latin-1 in a header
    "To: s.martin@ccas-souday.fr\r\nSubject: Inscription au r\xe9seau\r\n"
    "Date: Fri, 4 Dec 2026 16:20:00 +0100\r\nMIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    "Bonjour,\r\n\r\nJe voudrais m'inscrire au r\xe9seau. Je peux apprendre la cuisine s\xe9n\xe9galaise.\r\n"
    "\r\nA\xefcha\r\n"
).encode("latin-1")


def forward(subject: str, part_headers: str, original: bytes = ORIGINAL_LATIN1) -> bytes:
    head = (
        "From: Sophie Martin <s.martin@ccas-souday.fr>\r\nTo: rers@example.org\r\n"
        f"Subject: {subject}\r\nDate: Mon, 7 Dec 2026 09:30:00 +0100\r\nMessage-ID: <fwd-1@ccas-souday.fr>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="BB"\r\n\r\n'
        "--BB\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Bonjour,\r\n\r\nJe vous transfère la demande de Mme Diallo.\r\n\r\nSophie Martin\r\nCCAS de Souday\r\n\r\n"
        "--BB\r\n"
    )
    return head.encode("utf-8") + part_headers.encode("ascii") + b"\r\n" + original + b"\r\n--BB--\r\n"


RFC822 = 'Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename="Inscription.eml"\r\n'
OCTET_EML = ('Content-Type: application/octet-stream; name="Inscription.eml"\r\n'
             'Content-Disposition: attachment; filename="Inscription.eml"\r\n')
OCTET_BARE = "Content-Type: application/octet-stream\r\nContent-Disposition: attachment\r\n"
OCTET_BASE64 = "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"


@pytest.mark.parametrize("subject", ["Fwd: Inscription au réseau", "Demande de Mme Diallo", "inscription"])
@pytest.mark.parametrize("part", [RFC822, OCTET_EML, OCTET_BARE])
def test_an_attached_original_is_read_as_the_forwarded_message(subject, part):
    parsed = parse_message(forward(subject, part), OPTIONS)
    assert parsed.intent == "join", (subject, part)
    assert parsed.forwarded and parsed.forwarded_from == "aicha.diallo@example.com"
    assert parsed.forwarded_subject == "Inscription au réseau"
    assert [(item.kind, item.title) for item in parsed.items] == [("offer", "cuisine sénégalaise")]
    assert "Je voudrais m'inscrire au réseau." in parsed.text
    assert "CCAS" not in parsed.text  # the adviser's signature, above the forwarded message
    assert parsed.sender == "s.martin@ccas-souday.fr"  # identity stays the From


def test_a_base64_octet_stream_original_is_decoded():
    import base64
    body = base64.encodebytes(ORIGINAL_LATIN1).decode("ascii")
    parsed = parse_message(forward("TR: Inscription", OCTET_BASE64, body.encode("ascii")), OPTIONS)
    assert parsed.forwarded_from == "aicha.diallo@example.com"
    assert "cuisine sénégalaise" in parsed.text


def test_an_octet_stream_that_is_no_message_is_ignored():
    parsed = parse_message(forward("Offre : couture", OCTET_BARE, b"%PDF-1.4\r\n\x00\x01binary"), OPTIONS)
    assert parsed.intent == "offer" and not parsed.forwarded and parsed.forwarded_from is None
    assert [item.title for item in parsed.items] == ["couture"]


def test_someones_request_in_a_subject_is_no_demand():
    for subject in ("Demande de Mme Diallo", "demande de M. Ferhat", "Demande de ma voisine"):
        raw = (f"From: s.martin@ccas-souday.fr\nTo: rers@example.org\nSubject: {subject}\n\n"
               "Bonjour, pouvez-vous la rappeler ?\n").encode("utf-8")
        assert parse_message(raw, OPTIONS).intent == "unknown", subject
    raw = b"From: a@example.com\nTo: rers@example.org\nSubject: Demande de cours de couture\n\nMerci\n"
    assert parse_message(raw, OPTIONS).intent == "demand"
