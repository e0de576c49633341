"""Where a TOML or JSON text cannot be read, and why, for the operator: « ligne 3,
colonne 10 : une chaîne sans guillemet fermant » (a configuration file: :mod:`config.settings`;
the store: :mod:`store.storage`).

The parsers (``tomllib``, ``orjson``) say why in English; the usual reasons have a
reading of ours, said in the operator's language; another keeps the parser's words in
parentheses (they still help whoever edits the file).
"""
from __future__ import annotations

import re

from workflows.model.said import Said

READINGS = (
    (re.compile(r"Illegal character '\\n'"), Said("a text in quotation marks is not closed on its line")),
    (re.compile(r"Illegal character"), Said("a character not allowed here")),
    (re.compile(r"Invalid value"), Said("the value is missing or is not one TOML knows (text goes in quotation marks)")),
    (re.compile(r"Expected '=' after a key"), Said("« = » is missing after the key")),
    (re.compile(r"Cannot (overwrite|declare)"), Said("this key or section is given twice")),
    (re.compile(r"Expected newline or end of document"), Said("something follows the value on its line")),
    (re.compile(r"Expected '\]' at the end of a table declaration"), Said("the section's name has no closing « ] »")),
    (re.compile(r"unexpected end of data|zero-length, empty document"), Said("the file ends too soon (cut short?)")),
    (re.compile(r"unexpected content after document"), Said("something follows the end of the data")),
)
"""A parser's reason (its English words) and our reading of it."""

_TOML_WHERE = re.compile(r"\A(?P<words>.*?) \(at line (?P<line>\d+), column (?P<column>\d+)\)\Z", re.DOTALL)


def problem_at(words: str, line: int | None, column: int | None) -> Said:
    """Why the text cannot be read (the parser's ``words``) and where (``line`` and
    ``column`` from 1; None when the parser does not say): our reading of the words when
    there is one, else the words themselves in parentheses."""
    reading = next((said for pattern, said in READINGS if pattern.search(words)), None)
    if line is None:
        return reading or Said("({words})", words=words)
    if reading is not None:
        return Said("line {line}, column {column}: {reading}", line=line, column=column, reading=reading)
    return Said("line {line}, column {column} ({words})", line=line, column=column, words=words)


def toml_problem(error: Exception) -> Said:
    """A ``tomllib.TOMLDecodeError`` as :func:`problem_at` says it (Python 3.11's error
    gives its place in its text only: « … (at line 3, column 10) »)."""
    text = str(error)
    found = _TOML_WHERE.match(text)
    if found is None:
        return problem_at(text, None, None)
    return problem_at(found["words"], int(found["line"]), int(found["column"]))
