"""Why a written day does not exist (« le 30 février 2027 n'existe pas »), said the same
way by every reader of a date the operator types (`rers calendar add`, ``--now``)."""
from __future__ import annotations

import re

from workflows.model.said import Said

DATE_SHAPE = re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
                        r"|(?P<day2>\d{1,2})/(?P<month2>\d{1,2})/(?P<year2>\d{4})")
"""The shapes of a day typed on the command line: ``2027-02-30`` or ``30/02/2027``."""


class MonthName(Said):
    """A month's full name (1–12), said in the language of the ``say`` it is said with
    (Babel's names: « février »); its text is the English name."""

    number: int

    def __new__(cls, number: int, /) -> MonthName:
        from babel.dates import get_month_names

        self = super().__new__(cls, get_month_names("wide", locale="en")[number])
        self.number = number
        return self

    def said(self, say) -> str:
        """The name in the language of ``say`` (a ``workflows.shell.language.Words``)."""
        from babel.dates import get_month_names

        return get_month_names("wide", locale=say.language)[self.number]


def no_such_day(text: str) -> Said | None:
    """Why ``text``, shaped as a day (:data:`DATE_SHAPE`), names none: « there is no month
    13 », « 30 February 2027 does not exist » (a :class:`Said`); None when ``text`` has not
    that shape (or, in fact, exists)."""
    numbers = DATE_SHAPE.fullmatch(text.strip())
    if not numbers:
        return None
    year = int(numbers["year"] or numbers["year2"])
    month = int(numbers["month"] or numbers["month2"])
    day = int(numbers["day"] or numbers["day2"])
    if not 1 <= month <= 12:
        return Said("there is no month {month} (months go from 1 to 12)", month=month)
    return Said("{day} {month} {year} does not exist", day=day, month=MonthName(month), year=year)
