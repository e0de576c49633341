"""The robot's quicker ways of writing its mails give the bytes of the standard ones: every
mail of the templates (both languages, with their example data), with and without an
HTML part, a UTF-8 address, a long list of recipients, an original or a calendar
attached, serialised by :func:`workflows.mail.rfc5322.serialize` and by the `email`
package's own generator (``as_bytes``) under the same policy."""
from __future__ import annotations

from datetime import datetime, timezone
from email.policy import Compat32

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from support import make_settings
from workflows.events.imip import add_calendar_parts
from workflows.mail.render import BUILTIN_TEMPLATES, Renderer
from workflows.mail.rfc5322 import MAIL_POLICY, attach_original, build_message, serialize
from workflows.shell.templating import example

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
MAILS = sorted(p.stem for p in (BUILTIN_TEMPLATES / "examples").glob("*.json")
               if (BUILTIN_TEMPLATES / "fr" / f"{p.stem}.subject.j2").exists())
CALENDAR = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//rers//test//FR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
            "UID:e1@example.org\r\nDTSTAMP:20261123T090000Z\r\nDTSTART:20261130T170000Z\r\n"
            "SUMMARY:Réunion mensuelle\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


@pytest.fixture(scope="module")
def contexts(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("bytes"))
    return {(language, name): (Renderer(language), example(name, settings, NOW, language))
            for language in ("fr", "en") for name in MAILS}


def shapes(rendered, k: int):
    """The mail ``rendered`` in one of several shapes (recipients, thread, attachments)."""
    utf8 = k % 7 == 0
    msg = build_message(
        rendered=rendered if k % 5 else type(rendered)(rendered.subject, rendered.text, None),
        sender=("RERS de Souday", "rers@example.org"),
        to=[("Léa BERNARD", f"lea{k}@example.net"), *([("Jörg Müller-Lüdenscheidt", "jörg@bücher.example")] if utf8 else []),
            *([(f"Personne {n} avec un nom assez long", f"personne.{n}@exemple-de-domaine.fr") for n in range(k % 4)])],
        cc=[("Animatrice", "anim@example.org")] if k % 3 == 0 else [],
        message_id=f"<rers.{k}@example.org>", date=NOW,
        in_reply_to=f"<m{k}@client.example>" if k % 2 else None, references=[f"<r{k}@client.example>"] if k % 2 else [],
        list_unsubscribe="mailto:rers@example.org?subject=RETRAIT" if k % 2 else None,
        reply_to="anim@example.org" if k % 4 == 0 else None, smtputf8=utf8,
    )
    if k % 6 == 1:
        attach_original(msg, b"From: a@example.net\r\nSubject: OFFRE\r\n\r\nSavoir : tricot\r\n")
    elif k % 6 == 3:
        attach_original(msg, "From: a@example.net\nSubject: Demande\n\nSavoir : pâtisserie\n".encode("latin-1"))
    elif k % 6 == 5 and msg.is_multipart():
        add_calendar_parts(msg, CALENDAR if k % 12 == 5 else CALENDAR.replace("é", "e"))
    return msg


def test_every_mail_is_serialised_as_the_email_package_writes_it(contexts):
    for k, ((language, name), (renderer, context)) in enumerate(contexts.items()):
        msg = shapes(renderer.render(name, context), k)
        quick = serialize(msg)  # sets the boundaries, which as_bytes then keeps
        assert quick == msg.as_bytes(policy=MAIL_POLICY), (language, name, k)


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=90),
       st.sampled_from(["Subject", "To", "Content-Type", "X-Auto-Response-Suppress"]))
@hsettings(max_examples=500)
def test_a_header_is_folded_as_compat32_folds_it(text, name):
    # What the robot writes in a header: ASCII (names and subjects encoded, RFC 2047),
    # its runs of white space made one space (no CR, LF, tab or form feed).
    value = " ".join(text.split())
    standard = Compat32(linesep="\r\n")
    assert MAIL_POLICY.fold_binary(name, value) == standard.fold_binary(name, value)
    assert MAIL_POLICY.fold(name, value) == standard.fold(name, value)


_MONTHS = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
_FORMER_GLUED = __import__("re").compile(
    rf"(?<=«) | (?=[:;!?»])|(?<=\d) (?=h\b)|(?<=\d h) (?=\d)|(?<=\b\d) (?=(?:{_MONTHS})\b)"
    rf"|(?<=\b\d\d) (?=(?:{_MONTHS})\b)|(?<=\b1er) (?=(?:{_MONTHS})\b)"
    r"|(?<=\badresse) (?=e-mail\b)|(?<=\bnuméro) (?=de téléphone\b)|(?<=\bnuméro de) (?=téléphone\b)")
"""The spaces wrapping keeps, as the pattern was written before it looked for the space
first: the reference the quicker one is compared with."""


@given(st.lists(st.sampled_from(["«", "»", ":", "?", "!", ";", "h", "1", "12", "1er", "7", "mars", "décembre",
                                 "adresse", "e-mail", "numéro", "de", "téléphone", "hx", "a", "é", "2h"]),
                max_size=25),
       st.lists(st.sampled_from([" ", "", "  "]), min_size=25, max_size=25))
@hsettings(max_examples=1000)
def test_wrapping_keeps_together_the_spaces_it_kept(words, spaces):
    from workflows.mail.render import _GLUED

    line = "".join(word + space for word, space in zip(words, spaces))
    assert _GLUED.sub("|", line) == _FORMER_GLUED.sub("|", line)
