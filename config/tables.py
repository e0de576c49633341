"""Arrays of tables (``[[federation.peers]]``, ``[[federation.feeds]]``): where each one
starts in the file, and how a problem of one of them is said — one way for both.
"""
from __future__ import annotations

import re
from typing import Callable

from workflows.model.said import Said


def table_lines(text: str, name: str) -> list[int]:
    """The line numbers (from 1) where each ``[[name]]`` of ``text`` starts, in order."""
    head = re.compile(r"^\s*\[\[\s*" + r"\s*\.\s*".join(map(re.escape, name.split("."))) + r"\s*\]\]")
    return [n for n, line in enumerate(text.splitlines(), start=1) if head.match(line)]


def table_label(name: str, number: int, lines: list[int]) -> Callable[[str, Said | str], Said]:
    """A function saying ``line N: [[name]] #number key: reason`` for the ``number``-th
    table (from 1); ``lines``: :func:`table_lines` (no line when the table is not found)."""
    at = Said("line {line}: ", line=lines[number - 1]) if number <= len(lines) else ""

    def label(key: str, reason: Said | str) -> Said:
        return Said("{at}[[{table}]] #{number} {key}: {reason}", at=at, table=name, number=number, key=key,
                    reason=reason)
    return label


def unknown_key(hint: list[str]) -> Said:
    """An unknown key, with the known one it is close to (``hint``, from :mod:`difflib`)."""
    return Said("unknown key (did you mean {hint!r}?)", hint=hint[0]) if hint else Said("unknown key")
