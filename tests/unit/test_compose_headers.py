"""The robot's own headers: encoded once, one line each, the same bytes for the same mail."""
from __future__ import annotations

import email
from datetime import datetime, timezone
from email import policy

from workflows.mail.render import Rendered
from workflows.mail.rfc5322 import build_message, serialize


def built(name="Élise \r\nBcc: x@example.net", subject="Bien reçu : « Rédiger un CV »\r\nBcc: y@example.net"):
    return build_message(
        rendered=Rendered(subject=subject, text="Bonjour,\n", html="<p>Bonjour</p>"),
        sender=("RERS de Souday", "rers@example.org"), to=[(name, "elise@example.org")],
        message_id="<rers.1@example.org>", date=datetime(2026, 11, 29, 9, 0, tzinfo=timezone.utc),
        in_reply_to="<m1@client.example>", language="fr",
    )


def test_headers_are_one_line_and_decode_back():
    raw = serialize(built())
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert "Bcc" not in head and "\nBcc" not in raw.decode("ascii", "replace")
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert str(parsed["Subject"]) == "Bien reçu : « Rédiger un CV » Bcc: y@example.net"
    assert parsed["To"].addresses[0].display_name == "Élise Bcc: x@example.net"
    assert parsed["To"].addresses[0].addr_spec == "elise@example.org"
    assert parsed["Content-Language"] == "fr"
    assert parsed["References"] == "<m1@client.example>"
    assert parsed.get_body(preferencelist=("html",)).get_content().strip() == "<p>Bonjour</p>"
    assert all(len(line) <= 78 for line in head.split("\r\n"))


def test_the_same_mail_gives_the_same_bytes():
    assert serialize(built()) == serialize(built())
