"""The robot's own headers: encoded once, one line each, the same bytes for the same mail."""
from __future__ import annotations

import email
from datetime import datetime, timezone
from email import policy

from hypothesis import given, settings, strategies as st

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


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300),
       st.integers(1, 80), st.integers(1, 80))
@settings(max_examples=300)
def test_header_words_are_cut_as_the_email_package_cuts_them(text, first, then):
    # The robot's UTF-8 header charset cuts encoded words in one pass: the same lines as
    # the standard charset, which measures each line again for every character.
    import itertools
    from email.charset import BASE64, Charset

    from workflows.mail.rfc5322 import _HEADER_CHARSET

    standard = Charset("utf-8")
    standard.header_encoding = BASE64
    lengths = lambda: itertools.chain([first], itertools.repeat(then))  # noqa: E731
    assert _HEADER_CHARSET.header_encode_lines(text, lengths()) == standard.header_encode_lines(text, lengths())


@given(st.lists(st.text(alphabet=" ab=?;,\t()<>\"@.é", max_size=90), min_size=1, max_size=4),
       st.sampled_from(["Subject", "To", "X-A-Rather-Long-Header-Name"]))
@settings(max_examples=500)
def test_a_header_already_folded_is_written_as_the_email_package_folds_it(lines, name):
    # Encoded words folded by email.header are kept as they are: the same bytes as
    # folding them again (compat32), which costs more than encoding them did.
    from email.policy import Compat32

    from workflows.mail.rfc5322 import MAIL_POLICY, _text_header

    value = "\n ".join(lines)
    for written in (value, _text_header(name, value)):
        if not written.isascii():
            continue  # the robot writes no such value (an RFC 6532 address is another rule)
        assert MAIL_POLICY._fold(name, written, False) == Compat32(linesep="\r\n")._fold(name, written, False)
