"""The robot's own headers: encoded once, one line each, the same bytes for the same mail."""
from __future__ import annotations

import email
from datetime import datetime, timezone
from email import policy

from workflows.mail.compose import Rendered, build_message, serialize


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


# message_bytes writes the message directly: it must give serialize(build_message(…))'s
# bytes and recipients_of's addresses, whatever the words, names and headers.
_WORDS = ["Bonjour", "Élise", "«", "»", "→", "😀", "=", "From", ".", "\r\n", "\n", "\r", "\t", " ", "  ", "x" * 90,
          "<b>", "&", "ÀÉÎÕÜ", "日本語", "=?utf-8?b?eA==?=", ";", ",", '"', "\\", "é" * 40, "\udcff"[:0]]


def _words(rng, n):
    return "".join(rng.choice(_WORDS) for _ in range(rng.randrange(n)))


def _arguments(rng):
    people = [(rng.choice([None, "", _words(rng, 8)]), f"p{k}.{rng.choice(['a', 'long-name' * 3])}@example.org")
              for k in range(4)]
    html = rng.choice([None, "", _words(rng, 60)])
    return dict(
        rendered=Rendered(subject=_words(rng, 25), text=_words(rng, 200), html=html),
        sender=(rng.choice(["RERS de Souday", "Réseau « Échanges »", None]), "rers@example.org"),
        to=people[:rng.randrange(1, 3)], cc=people[2:rng.randrange(2, 5)],
        message_id=rng.choice(["<rers.1@example.org>", "<RERS-ABCDEFGH.1@example.org>", " <a\r\nb@x> "]),
        date=datetime(2026, 11, 29, 9, rng.randrange(60), tzinfo=timezone.utc),
        in_reply_to=rng.choice([None, "<m1@client.example>"]), references=["<r%d@x>" % k for k in range(rng.randrange(14))],
        auto_submitted=rng.choice(["auto-generated", "auto-replied"]),
        list_unsubscribe=rng.choice([None, "mailto:rers@example.org?subject=RETRAIT"]),
        reply_to=rng.choice([None, "anim@example.org"]), language=rng.choice(["fr", "en"]),
        extra_headers=rng.choice([None, {"X-Rers-Note": _words(rng, 10)}, {"Content-Description": "x"}]),
    )


def test_message_bytes_are_those_of_the_built_message():
    import random

    from workflows.mail.compose import message_bytes, recipients_of

    rng = random.Random(7)
    for _ in range(400):
        arguments = _arguments(rng)
        msg = build_message(**arguments)
        assert message_bytes(**arguments) == (serialize(msg), recipients_of(msg))


def test_encoded_words_are_cut_where_the_email_package_cuts_them():
    import random
    from email.charset import BASE64, Charset
    from email.header import Header

    from workflows.mail.compose import _HEADER_CHARSET

    standard = Charset("utf-8")
    standard.header_encoding = BASE64
    rng = random.Random(3)
    alphabet = "abc déf «»→😀ÀÉ x,;\t" + "".join(map(chr, range(0x400, 0x410))) + "中文"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(300)))
        name = rng.choice(["Subject", "To", "X-" + "Long-" * 14])
        for width in ({}, {"maxlinelen": 20}, {"maxlinelen": 0}):
            assert Header(text, _HEADER_CHARSET, header_name=name, **width).encode() == \
                Header(text, standard, header_name=name, **width).encode()


def test_encoded_subjects_fold_as_the_email_package_folds_them():
    import random
    from email.policy import Compat32

    from workflows.mail.compose import MAIL_POLICY, _text_header

    standard = Compat32(linesep="\r\n")
    rng = random.Random(5)
    for _ in range(1000):
        subject = "".join(rng.choice(["é", "a", " ", "→", "[RERS-ABCDEFGH]", "x" * 30, ";", ","]) for _ in range(rng.randrange(60)))
        name = rng.choice(["Subject", "X-Rers-Note", "X-" + "Long-" * 12])
        value = _text_header(name, subject)
        assert MAIL_POLICY.fold_binary(name, value) == standard.fold_binary(name, value)
