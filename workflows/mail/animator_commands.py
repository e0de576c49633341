"""Animator commands (protocol.md, "Animator commands"), read from one line: the subject
or the first meaningful line of the body.

- ``PERMANENCE ANNULÉE <date>`` -> ``{"name": "cancel_permanence", "date": "YYYY-MM-DD"}``
- ``RENCONTRE <date> <HH:MM-HH:MM> <place>`` -> ``{"name": "meeting", …, "title": None}``
- ``ATELIER <title> <date> <HH:MM-HH:MM> <place>`` -> ``{"name": "workshop", …}``
- ``MISE EN RELATION O-12 D-7`` -> ``{"name": "introduce", "offer": "O-12", "demand": "D-7"}``
- ``STATISTIQUES`` -> ``{"name": "report"}``
- ``GROUPE O-12`` (``8 places`` on the line, or the caller's ``Places : 8``) ->
  ``{"name": "group", "offer": "O-12", "capacity": 8 | None}``
- ``ATELIER O-12 <date> …`` / ``ATELIER G-3 <date> …``: a session of that group, the
  workshop's ``"offer"`` or ``"group"`` set (both None for a workshop of its own)
- ``ADHÉSION POUR`` (protocol.md, "Members without an email address") ->
  ``{"name": "register", "consent": …}`` (the caller adds the consent field).

Dates: ``2026-12-07``, ``07/12/2026``, ``07/12``, ``lundi 7 décembre``, ``7 déc. 2026``
are read here; anything else is left to :mod:`dateparser` (French, then English). A date
without a year is the next such day on or after the reference (the message's Date, in the
network's time zone).
"""
from __future__ import annotations

import calendar
import re
from datetime import date, datetime

from workflows.mail.textutil import fold_with_map

_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4,
    "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9,
    "sep": 9, "octobre": 10, "oct": 10, "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
}
_WEEKDAYS = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)"
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_RE = re.compile(
    r"(?P<iso>(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2}))"
    r"|(?P<num>(?<![\d:])(?P<nd>\d{1,2})[/.](?P<nm>\d{1,2})(?:[/.](?P<ny>\d{4}|\d{2}))?(?![\d:h]))"
    r"|(?P<txt>(?:" + _WEEKDAYS + r"\s+)?(?:le\s+)?(?P<td>\d{1,2}|1er)\s*(?P<tm>" + _MONTH_NAMES
    + r")\b\.?(?:\s+(?P<ty>\d{4}))?)"
)
_TIME = r"(?P<{0}h>\d{{1,2}})\s*(?:[:h]\s*(?P<{0}m>\d{{2}})?)"
_RANGE_RE = re.compile(
    r"(?:de\s+)?" + _TIME.format("s") + r"\s*(?:-|–|—|a|au|jusqu'a|>)\s*" + _TIME.format("e") + r"?"
    r"|(?:a\s+)?" + _TIME.format("o")
)
_WEEKDAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_STATED_WEEKDAY_RE = re.compile(
    r"\b(?P<wd>" + "|".join(_WEEKDAY_NAMES) + r")\s+(?:le\s+)?(?P<d>\d{1,2}|1er)(?:\s*(?P<m>" + _MONTH_NAMES
    + r")\b|[/.](?P<nm>\d{1,2})\b)"
)
_INTRODUCE_REFS_RE = re.compile(r"\b([od0])\s*[-‐–]?\s*(\d{1,6})\b")
_GROUP_OFFER_RE = re.compile(r"\s*(?:autour de |pour |de |sur )?(?:l'offre )?[o0]\s*[-‐–]?\s*(\d{1,6})\b")
_SESSION_OF_RE = re.compile(r"([OoGg0])\s*[-‐–]\s*(\d{1,6})\b")
"""``ATELIER O-12 …`` or ``ATELIER G-3 …``: the written title starts with the reference."""


def read_command(line: str, reference: datetime) -> dict | None:
    """The command that ``line`` states, or None. ``reference`` is an aware datetime in
    the network's zone (the message's Date) for dates without a year. Never raises."""
    folded, where = fold_with_map(line)
    folded = folded.rstrip()

    def written(start: int, end: int | None = None) -> str:
        """The text of ``line`` behind folded[start:end], as written."""
        if start >= len(where):
            return ""
        stop = where[end] if end is not None and end < len(where) else len(line)
        return line[where[start]:stop]

    match = re.match(
        r"\s*(?:(?:permanence|perm\.?)\s+(?:annulee|annule|supprimee|fermee|annulees)"
        r"|annulation (?:de la )?permanence|pas de permanence)\b",
        folded,
    )
    if match:
        found = find_date(folded[match.end():], reference)
        return {"name": "cancel_permanence", "date": found[0].isoformat() if found else None}
    match = re.match(r"\s*mise en relation\b", folded)
    if match:
        refs = {("D" if letter == "d" else "O"): f"{'D' if letter == 'd' else 'O'}-{int(number)}"
                for letter, number in _INTRODUCE_REFS_RE.findall(folded[match.end():])}
        if "O" in refs and "D" in refs:
            return {"name": "introduce", "offer": refs["O"], "demand": refs["D"]}
        return None
    if re.match(r"\s*(?:statistiques|stats|rapport mensuel|rapport statistique)\b", folded):
        return {"name": "report"}
    if re.match(r"\s*(?:adhesion|inscription) pour\b", folded):
        return {"name": "register", "consent": None}
    match = re.match(r"\s*(?:groupe|nouveau groupe|proposer un groupe|creer un groupe)\b", folded)
    if match:
        ref = _GROUP_OFFER_RE.match(folded, match.end())
        if ref is None:
            return None
        places = re.search(r"\b(\d{1,4})\s*(?:places?|personnes?|participants?)\b", folded[ref.end():])
        return {"name": "group", "offer": f"O-{int(ref.group(1))}", "capacity": int(places.group(1)) if places else None}
    match = re.match(r"\s*(rencontre|atelier)\b", folded)
    if not match:
        return None
    name = "meeting" if match.group(1) == "rencontre" else "workshop"
    rest_start = match.end()
    found = find_date(folded[rest_start:], reference)
    if found is None:
        return None
    day, date_start, date_end = found
    date_start += rest_start
    date_end += rest_start
    title = _tidy(written(rest_start, date_start)) or None
    offer = group = None
    session = _SESSION_OF_RE.match(title or "") if name == "workshop" else None
    if session:
        number = int(session.group(2))
        offer, group = (f"O-{number}", None) if session.group(1) in "Oo0" else (None, f"G-{number}")
        title = _tidy(title[session.end():]) or None
    after = date_end
    start = end = None
    time_match = _RANGE_RE.search(folded, after)
    if time_match and not folded[after:time_match.start()].strip(" ,;-–"):
        start, end = _times(time_match)
        after = time_match.end()
    place = _tidy(written(after)) if after < len(folded) else ""
    command = {"name": name, "date": day.isoformat(), "start": start, "end": end, "place": place or None,
               "title": title}
    if name == "workshop":
        command.update(offer=offer, group=group)
    return command


def stated_weekday(text: str, day: date) -> int | None:
    """The weekday (0 = Monday) written just before the date ``day`` in ``text``
    (``lundi 8 décembre``, ``lundi 08/12``), or None when that date is written without
    one. :func:`read_command` reads the date and leaves the weekday aside (``rers parse``
    reports the date as written); the command's handler compares the two."""
    folded, _ = fold_with_map(text)
    for match in _STATED_WEEKDAY_RE.finditer(folded):
        number = 1 if match.group("d") == "1er" else int(match.group("d"))
        month = _MONTHS[match.group("m")] if match.group("m") else int(match.group("nm"))
        if (number, month) == (day.day, day.month):
            return _WEEKDAY_NAMES.index(match.group("wd"))
    return None


def _tidy(text: str) -> str:
    return " ".join(text.split()).strip(" ,;:-–—").removeprefix("à ").removeprefix("a ").strip()


def _times(match: re.Match[str]) -> tuple[str | None, str | None]:
    def hhmm(hours: str | None, minutes: str | None) -> str | None:
        if hours is None or int(hours) > 23 or int(minutes or 0) > 59:
            return None
        return f"{int(hours):02d}:{int(minutes or 0):02d}"

    if match.group("sh") is not None:
        return hhmm(match.group("sh"), match.group("sm")), hhmm(match.group("eh"), match.group("em"))
    return hhmm(match.group("oh"), match.group("om")), None


_MONTH_END_RE = re.compile(r"\s*(?:la\s+)?fin\s+(?:de\s+|d')?(?:(?:du\s+)?mois\s+(?:de\s+|d'))?(?P<m>"
                           + _MONTH_NAMES + r")\b\.?(?:\s+(?P<y>\d{4}))?")


def month_end(folded: str, reference: datetime) -> date | None:
    """The last day of the month of « fin mars », « la fin d'avril », « fin du mois de
    mai 2027 » at the start of folded text ``folded``: that month's next end on or after
    the reference's day (the year written, when one is); None for any other text."""
    match = _MONTH_END_RE.match(folded)
    if match is None:
        return None
    month = _MONTHS[match.group("m")]
    today = reference.date()
    years = [int(match.group("y"))] if match.group("y") else [today.year, today.year + 1]
    for year in years:
        last = date(year, month, calendar.monthrange(year, month)[1])
        if match.group("y") or last >= today:
            return last
    return None


def find_date(folded: str, reference: datetime, *, strict: bool = False) -> tuple[date, int, int] | None:
    """``(date, start, end)`` of the first date in folded text ``folded`` (positions in
    it), or None. See the module docstring for the forms and the missing-year rule.
    ``strict``: a date written in one of the forms read here that does not exist
    (« 31 février », « 30/02 ») ends the search with None, rather than with whatever
    :mod:`dateparser` would make of its pieces (« 31 février » read as 7 February)."""
    today = reference.date()
    for match in _DATE_RE.finditer(folded):
        if match.group("iso"):
            day = _safe_date(int(match.group("iy")), int(match.group("im")), int(match.group("id")))
        elif match.group("num"):
            year = match.group("ny")
            day = _with_year(int(match.group("nd")), int(match.group("nm")), year, today)
        else:
            number = 1 if match.group("td") == "1er" else int(match.group("td"))
            day = _with_year(number, _MONTHS[match.group("tm")], match.group("ty"), today)
        if day is not None:
            return day, match.start(), match.end()
        if strict:
            return None
    return _dateparser_date(folded, reference)


def _with_year(day: int, month: int, year: str | None, today: date) -> date | None:
    if year:
        number = int(year) + (2000 if len(year) == 2 else 0)
        return _safe_date(number, month, day)
    for candidate_year in (today.year, today.year + 1, today.year + 2, today.year + 3, today.year + 4):
        candidate = _safe_date(candidate_year, month, day)
        if candidate is not None and candidate >= today:
            return candidate
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _dateparser_date(folded: str, reference: datetime) -> tuple[date, int, int] | None:
    if not folded.strip() or not re.search(r"\d|demain|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche", folded):
        return None
    try:
        from dateparser.search import search_dates  # heavy: loaded only for odd date forms

        found = search_dates(
            folded,
            languages=["fr", "en"],
            settings={
                "PREFER_DATES_FROM": "future",
                "RELATIVE_BASE": reference.replace(tzinfo=None),
                "DATE_ORDER": "DMY",
                "RETURN_AS_TIMEZONE_AWARE": False,
            },
        )
    except Exception:  # dateparser raises assorted errors on odd input
        return None
    for text, value in found or ():
        start = folded.find(text)
        if start >= 0:
            return value.date(), start, start + len(text)
    return None
