"""The operator's message catalogues (workflows/locale, `make catalogues`): the template
holds every message of the code, each language holds every message of the template, the
French one translates each (same placeholders), and the committed .mo files are the
compilation of their .po."""
from __future__ import annotations

import io
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from workflows.shell.language import LANGUAGES, LOCALE, Words

ROOT = Path(__file__).resolve().parents[2]


def _ids(catalogue) -> set:
    return {message.id for message in catalogue if message.id}


def _placeholders(text: str) -> set[str]:
    return {name for _literal, name, _spec, _conversion in string.Formatter().parse(text) if name}


@pytest.fixture(scope="module")
def extracted() -> set:
    """What `pybabel extract -F babel.cfg workflows config store` finds in the code now."""
    method_map, options_map = parse_mapping_cfg(io.StringIO((ROOT / "babel.cfg").read_text(encoding="utf-8")))
    found = set()
    for folder in ("workflows", "config", "store"):
        for _file, _line, message, _comments, _context in extract_from_dir(ROOT / folder, method_map, options_map):
            found.add(message)
    return found


def test_the_template_is_up_to_date(extracted):
    with open(LOCALE / "rers.pot", "rb") as file:
        assert _ids(read_po(file)) == extracted, "run `make catalogues`"


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_catalogue_is_complete_and_compiled(language, extracted):
    folder = LOCALE / language / "LC_MESSAGES"
    with open(folder / "rers.po", "rb") as file:
        po = read_po(file)
    assert _ids(po) == extracted, "run `make catalogues`"
    with open(folder / "rers.mo", "rb") as file:
        mo = read_mo(file)
    assert {m.id: m.string for m in mo if m.id} == {m.id: m.string for m in po if m.id and m.string}, \
        "the .mo is not the compiled .po: run `make catalogues`"
    if language == "en":
        return  # the messages are written in English: an empty msgstr is the msgid itself
    for message in po:
        if not message.id:
            continue
        assert message.string and "fuzzy" not in message.flags, f"not translated into {language}: {message.id!r}"
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert {p for s in strings for p in _placeholders(s)} == {p for i in ids for p in _placeholders(i)}, message.id


def test_words_fill_the_translation_and_fall_back_on_the_message():
    assert Words("fr")("{n} problem(s) to fix.", n=2) == "2 problème(s) à corriger."
    assert Words("en")("{n} problem(s) to fix.", n=2) == "2 problem(s) to fix."
    assert Words("fr")("not a catalogued message") == "not a catalogued message"
    with pytest.raises(ValueError):
        Words("de")
