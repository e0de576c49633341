"""Headers, charsets, dates and format=flowed (RFC 2047, RFC 3676, WHATWG labels)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from workflows.mail.decode import decode_bytes, first_address, header_text, parse_date, unflow


@pytest.mark.parametrize("raw, text", [
    ("=?UTF-8?Q?Adh=C3?= =?UTF-8?Q?=A9sion?=", "Adhésion"),            # split inside a character
    ("=?utf-8?B?w6k=?=\n =?utf-8?B?dMOp?=", "été"),                      # folded, two base64 words
    ("=?UTF-8?B?SGVsbG8gd29ybGQ?=", "Hello world"),                      # missing padding
    ("a =?UTF-8?B?%%%?= b", "a =?UTF-8?B?%%%?= b"),                       # unreadable: kept as written
    ("=?x-inconnu?Q?caf=E9?=", "café"),                                  # unknown charset
    ("=?uft-8?Q?caf=C3=A9?=", "café"),                                   # misspelt charset
    ("=?windows-1252?Q?R=E9ponse_automatique?=", "Réponse automatique"),
    ("caf\udcc3\udca9", "café"),                                          # raw 8-bit UTF-8
    ("caf\udce9", "café"),                                                # raw 8-bit latin-1
    ("Re: [RERS-X] =?UTF-8?Q?d=c3=a9sinscription?= ok", "Re: [RERS-X] désinscription ok"),
    ("a\x00b\x1bc", "abc"),
])
def test_header_text(raw, text):
    assert header_text(raw) == text


@pytest.mark.parametrize("data, label, text", [
    ("été".encode("utf-8"), "utf-8", "été"),
    ("été".encode("utf-8"), "iso-8859-1", "été"),                        # mislabelled UTF-8
    ("l’été – ok".encode("cp1252"), "iso-8859-1", "l’été – ok"),         # cp1252 labelled latin-1
    ("été".encode("cp1252"), "x-inconnu", "été"),
    ("été".encode("cp1252"), None, "été"),
    (b"caf\xc3\xa9 et caf\xe9", "utf-8", "café et café"),               # one stray byte
    ("привет".encode("koi8-r"), "koi8-r", "привет"),
])
def test_decode_bytes(data, label, text):
    assert decode_bytes(data, label) == text


@pytest.mark.parametrize("value, expected", [
    ("Mon, 23 Nov 2026 09:41:07 +0100", datetime(2026, 11, 23, 9, 41, 7, tzinfo=timezone(timedelta(hours=1)))),
    ("lun., 23 nov. 2026 09:41:07 +0100", datetime(2026, 11, 23, 9, 41, 7, tzinfo=timezone(timedelta(hours=1)))),
    ("Lundi 23 novembre 2026 09:41", datetime(2026, 11, 23, 8, 41, tzinfo=timezone.utc)),
    ("23/11/2026 à 10h05", datetime(2026, 11, 23, 9, 5, tzinfo=timezone.utc)),
])
def test_parse_date(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", [None, "", "garbage", "99/99/9999"])
def test_unreadable_dates_are_none(value):
    assert parse_date(value) is None


def test_first_address():
    assert first_address("Élodie <Elodie.Marchand@Example.COM>") == ("Élodie", "elodie.marchand@example.com")
    assert first_address("MAILER-DAEMON@mx.example.org (Mail Delivery System)")[1] == "mailer-daemon@mx.example.org"
    assert first_address("") == (None, None)
    assert first_address("pas une adresse") == (None, None)


def test_unflow():
    assert unflow("un \ndeux\n> cité \n> suite\n-- \nsig") == "un deux\n> cité suite\n-- \nsig"
    assert unflow("mot- \ncoupé", delsp=True) == "mot-coupé"
    assert unflow(" >pas une citation") == ">pas une citation"


def test_a_line_break_hidden_in_an_encoded_word_ends_the_value():
    import base64

    hidden = base64.b64encode("OFFRE : tricot\r\nBcc: victim@example.com".encode()).decode()
    assert header_text(f"=?utf-8?b?{hidden}?=", first_line=True) == "OFFRE : tricot"
    # A folded value (its line breaks before white space) stays whole.
    assert header_text("=?utf-8?q?OFFRE_=3A?=\r\n =?utf-8?q?_tricot?=", first_line=True) == "OFFRE : tricot"
