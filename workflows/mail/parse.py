"""Placeholder: the parser is being written (issue 3)."""
from __future__ import annotations

from datetime import datetime

from workflows.mail.model import Parsed, ParseOptions


def parse_message(raw: bytes, options: ParseOptions, *, now: datetime | None = None) -> Parsed:
    return Parsed(intent="unknown", text="")
