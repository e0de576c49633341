"""Whatever the bytes, parse_message answers: mutated real messages (truncated, bytes
flipped, headers dropped or repeated, charsets changed) never make it raise, and the
answer always has the contract's keys, plain JSON data, and no control characters."""
from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflows.mail.model import ParseOptions
from workflows.mail.parse import parse_message

MESSAGES = sorted((Path(__file__).resolve().parent.parent / "messages").glob("*.eml"))
SEEDS = [path.read_bytes() for path in MESSAGES]
KEYS = ["intent", "sender", "token", "answer", "member", "items", "item_ref", "pause_until", "new_address", "signature",
        "bilan", "command", "rsvp", "rsvps", "text", "unused_text"]
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
OPTIONS = ParseOptions(animators=frozenset({"animation@example.org"}), network_address="rers@example.org")
CHARSETS = [b"utf-8", b"uft-8", b"x-inconnu", b"iso-8859-1", b"windows-1252", b"koi8-r", b"utf-16", b"",
            b"\"", b"utf-7", b"shift_jis", b"iso-2022-jp"]


def split_headers(raw: bytes) -> tuple[list[bytes], bytes]:
    head, sep, body = raw.partition(b"\r\n\r\n")
    return re.split(rb"\r\n(?![ \t])", head), sep + body


@st.composite
def mutated(draw) -> bytes:
    raw = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["truncate", "flip", "drop", "repeat", "charset", "insert", "encoding"]))
        if kind == "truncate":
            raw = raw[: draw(st.integers(0, len(raw)))]
        elif kind == "flip" and raw:
            position = draw(st.integers(0, len(raw) - 1))
            raw = raw[:position] + bytes([draw(st.integers(0, 255))]) + raw[position + 1:]
        elif kind in ("drop", "repeat"):
            headers, rest = split_headers(raw)
            if headers:
                index = draw(st.integers(0, len(headers) - 1))
                if kind == "drop":
                    del headers[index]
                else:
                    headers.insert(index, headers[index])
                raw = b"\r\n".join(headers) + rest
        elif kind == "charset":
            raw = re.sub(rb"charset=\"?[\w-]*\"?", b"charset=" + draw(st.sampled_from(CHARSETS)), raw, count=1)
        elif kind == "encoding":
            raw = re.sub(rb"Content-Transfer-Encoding: [\w-]+",
                         b"Content-Transfer-Encoding: " + draw(st.sampled_from([b"base64", b"quoted-printable", b"8bit", b"x-uue"])),
                         raw, count=1)
        else:
            position = draw(st.integers(0, len(raw)))
            raw = raw[:position] + draw(st.binary(max_size=40)) + raw[position:]
    return raw


def check(raw: bytes) -> None:
    contract = parse_message(raw, OPTIONS).contract()
    assert list(contract) == KEYS
    text = json.dumps(contract, ensure_ascii=False)
    json.loads(text)
    text.encode("utf-8")  # no lone surrogate anywhere
    for value in _strings(contract):
        assert not CONTROL.search(value.replace("\n", "")), repr(value)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_messages_never_break_the_contract(raw):
    check(raw)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes(raw):
    check(raw)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_any_header_and_body_text(text):
    check(("From: a@example.org\r\nSubject: " + text.replace("\n", " ")[:80] + "\r\n\r\n" + text)
          .encode("utf-8", "surrogatepass"))


def _fold_one_by_one(text: str) -> str:
    # `textutil.fold` before its table (issue 20): unidecode called for each character.
    from unidecode import unidecode

    from workflows.mail.textutil import _APOSTROPHES, squash_spaces
    text = squash_spaces(text.translate(_APOSTROPHES)).strip()
    out = []
    for char in text:
        folded = char if ord(char) < 128 else unidecode(char)
        out.append(folded if ord(char) < 128 or folded.strip() or char.isspace() else char)
    return "".join(out).lower()


def test_folding_with_the_table_is_folding_each_character():
    from workflows.mail.textutil import _FOLDED, fold

    every = "".join(map(chr, _FOLDED))
    assert fold(every) == _fold_one_by_one(every)
    assert fold("Élodie\u00a0LEFÈVRE : ÇA marche 👍 ½ œuvre ß ﬁn ΑΘ") == _fold_one_by_one("Élodie\u00a0LEFÈVRE : ÇA marche 👍 ½ œuvre ß ﬁn ΑΘ")

    @given(st.text(max_size=40) | st.text(alphabet=every + "aeAE 👍ΑΘ\u3000", max_size=40))
    @settings(max_examples=500, deadline=None)
    def same(text):
        assert fold(text) == _fold_one_by_one(text)

    same()
