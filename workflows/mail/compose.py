"""Render the robot's mails from jinja2 templates and build RFC 5322 messages.

Templates live in ``templates/<lang>/<name>.subject.j2``, ``<name>.txt.j2`` and
``<name>.html.j2`` (the HTML part is optional). An animators' ``templates_dir`` (config)
is searched first; its files replace the built-in ones of the same name, and one that
cannot be used is replaced by the built-in file (see :class:`Renderer`). Text lines
longer than :data:`MAX_LINE` are rewrapped (:func:`wrap_text`).

Rendering runs in a :class:`jinja2.sandbox.SandboxedEnvironment` whenever an animators'
folder is configured (their files are code the robot did not write; only the built-in
files are rendered without it), with
:class:`jinja2.StrictUndefined` (a missing variable is an error, never an empty hole);
the HTML part is autoescaped. Values such as a member's name are data, never template
code: they are passed in the context and cannot inject markup or headers. Headers are
encoded by the :mod:`email` package (RFC 2047), never built by string concatenation.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import textwrap
from dataclasses import dataclass
from datetime import datetime
from email.contentmanager import raw_data_manager
from email.charset import BASE64, Charset
from email.header import Header
from email.message import EmailMessage
from email.policy import Compat32
from email.utils import formataddr, format_datetime, getaddresses
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_date, format_datetime as babel_datetime, format_time, get_day_names
from babel.lists import format_list
from jinja2 import meta as jinja2meta
from jinja2.sandbox import SandboxedEnvironment

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MODALITY_LABELS = {
    "fr": {
        "one_to_one": "de gré à gré (à deux)",
        "group": "en groupe (atelier)",
        "practice_exchange": "échange de pratiques",
        "talking_group": "groupe de parole",
    },
    "en": {
        "one_to_one": "one to one",
        "group": "in a group (workshop)",
        "practice_exchange": "practice exchange",
        "talking_group": "talking group",
    },
}
_QUESTIONS = {
    "join": ("confirmer l'adhésion", "confirm joining"),
    "withdraw": ("confirmer le départ", "confirm leaving"),
    "withdraw_item": ("confirmer le retrait", "confirm a withdrawal"),
    "approve": ("approuver une mise en relation", "approve an introduction"),
    "consent": ("accord pour une mise en relation", "consent to an introduction"),
    "bilan": ("bilan d'un échange", "how an exchange went"),
}
LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "intent": {
        "join": ("adhésion", "joining"),
        "offer": ("offre", "offer"),
        "demand": ("demande", "request"),
        "withdraw_item": ("retrait d'une offre ou d'une demande", "withdrawing an offer or request"),
        "withdraw": ("départ du réseau (RETRAIT)", "leaving the network (UNSUBSCRIBE)"),
        "reply": ("réponse à une question du robot", "answer to a question of the robot"),
        "help": ("demande d'aide", "asking for help"),
        "catalogue": ("demande du catalogue", "asking for the catalogue"),
        "my_data": ("demande de ses données (MES DONNÉES)", "asking for their data"),
        "event_command": ("commande d'animateur", "animator's command"),
        "rsvp": ("réponse d'agenda", "calendar answer"),
        "auto_reply": ("réponse automatique", "automatic reply"),
        "bounce": ("message non distribué", "undelivered message"),
        "unknown": ("rien (message non reconnu)", "nothing (message not recognised)"),
    },
    "purpose": {
        "join_ack": ("réponse à une adhésion", "answer to a joining"),
        "join_done": ("adhésion confirmée", "joining confirmed"),
        "items_ack": ("accusé de réception d'offre ou de demande", "offer or request received"),
        "item_unclear": ("offre ou demande sans titre", "offer or request without a title"),
        "help": ("aide", "help"),
        "unknown_ack": ("accusé de réception", "acknowledgment"),
        "not_member": ("réponse à une personne non membre", "answer to a non-member"),
        "catalogue": ("catalogue", "catalogue"),
        "my_data": ("ses données (MES DONNÉES)", "their data"),
        "withdraw_done": ("départ du réseau", "leaving the network"),
        "withdraw_item_done": ("retrait d'une offre ou d'une demande", "offer or request withdrawn"),
        "withdraw_item_refused": ("retrait refusé", "withdrawal refused"),
        "withdraw_item_asked": ("retrait demandé", "withdrawal asked"),
        "register_done": ("inscription par un animateur", "registration by an animator"),
        "introduction": ("mise en relation", "introduction"),
        "introduction_ack": ("accord enregistré (mise en relation)", "consent recorded (introduction)"),
        "introduction_cancelled": ("mise en relation annulée", "introduction cancelled"),
        "introduction_command": ("commande MISE EN RELATION", "INTRODUCE command"),
        "introduction_decided": ("décision sur une mise en relation", "decision on an introduction"),
        "introduction_not_happened": ("échange non réalisé", "exchange that did not happen"),
        "invitation": ("invitation du calendrier", "calendar invitation"),
        "cancellation": ("annulation du calendrier", "calendar cancellation"),
        "invitation_withdrawn": ("retrait de l'agenda (invitations arrêtées)", "removal from the calendar (invitations off)"),
        "event_reminder": ("rappel de la veille", "reminder the day before"),
        "event_attendees": ("liste de la veille", "list the day before"),
        "event_command_done": ("commande du calendrier", "calendar command"),
        "attendance_noted": ("présence notée", "attendance noted"),
        "attendance_no_event": ("réponse pour un jour sans événement", "answer for a day without event"),
        "attendance_unclear": ("réponse d'agenda pas claire (transmise)", "unclear calendar answer (forwarded)"),
        "attendance_not_member": ("réponse d'agenda d'une personne non membre (transmise)",
                                  "calendar answer from a non-member (forwarded)"),
        "rsvp_not_member": ("réponse d'agenda d'une personne non membre (transmise)",
                            "calendar answer from a non-member (forwarded)"),
        "rsvp_unknown": ("réponse d'agenda pour un événement inconnu (transmise)",
                         "calendar answer for an unknown event (forwarded)"),
        "rsvp_unreadable": ("réponse d'agenda illisible (transmise)", "unreadable calendar answer (forwarded)"),
        "unclear": ("réponse pas claire (transmise)", "unclear answer (forwarded)"),
        "refused_reply": ("réponse refusée (transmise)", "refused answer (forwarded)"),
        "refused_command": ("commande refusée (transmise)", "refused command (forwarded)"),
        "bounce": ("message non distribué (transmis)", "undelivered message (forwarded)"),
        "parked": ("message mis de côté (transmis)", "message set aside (forwarded)"),
        "member_change": ("demande de changement (transmise)", "change asked (forwarded)"),
        "member_forged": ("message falsifié au nom d'un membre (transmis)", "message forged in a member's name (forwarded)"),
        "invitations_limit": ("changements d'invitations du jour épuisés (transmis)",
                              "day's invitations changes used up (forwarded)"),
        "contact_unavailable": ("coordonnée manquante (transmise)", "missing contact detail (forwarded)"),
        "send_failure": ("échec d'envoi", "sending failure"),
        "mailbox_down": ("boîte du réseau injoignable", "network's mailbox unreachable"),
        "reply_limit": ("limite de réponses du jour atteinte (transmis)", "day's answer limit reached (forwarded)"),
        "preferences_done": ("préférences notées", "preferences noted"),
        "question_closed": ("réponse à une question close", "answer to a closed question"),
        "report": ("rapport", "report"),
        "withdrawal_notice": ("avis de départ", "leaving notice"),
        **{f"question:{kind}": (f"question : {fr}", f"question: {en}") for kind, (fr, en) in _QUESTIONS.items()},
    },
    "question": _QUESTIONS,
    "status": {
        "proposed": ("proposée", "proposed"),
        "consent": ("en attente des accords", "waiting for consents"),
        "introduced": ("faite", "made"),
        "bilan": ("bilan demandé", "review asked"),
        "completed": ("terminée", "completed"),
        "refused": ("non retenue", "not retained"),
        "declined": ("n'a pas eu lieu", "did not go ahead"),
        "expired": ("expirée, sans réponse", "expired, no answer"),
        "cancelled": ("annulée", "cancelled"),
    },
    "member_status": {
        "pending": ("adhésion pas encore confirmée", "joining not confirmed yet"),
        "confirmed": ("membre", "member"),
    },
    "contact_way": {
        "email": ("par e-mail", "by e-mail"),
        "phone": ("par téléphone", "by phone"),
        "permanence": ("à la permanence", "at the drop-in session"),
    },
    "item_kind": {
        "offer": ("offre", "offer"),
        "demand": ("demande", "request"),
    },
    "item_status": {
        "held": ("en attente de votre confirmation", "waiting for your confirmation"),
        "open": ("ouverte", "open"),
        "closed": ("retirée", "withdrawn"),
    },
    "consent_purpose": {
        "membership": ("adhésion", "joining"),
        "introduction": ("mise en relation", "introduction"),
    },
    "consent_how": {
        "mail": ("par e-mail", "by e-mail"),
        "oral": ("de vive voix", "in person"),
        "written": ("par écrit", "in writing"),
    },
    "field": {
        "name": ("nom", "name"),
        "phone": ("téléphone", "phone"),
        "unreadable_address": ("(adresse illisible)", "(unreadable address)"),
        "erased": ("(effacé)", "(erased)"),
    },
    "contact": {
        "email": ("e-mail", "e-mail"),
        "phone": ("téléphone", "phone"),
        "permanence": ("permanence", "drop-in session"),
    },
    "contact_missing": {
        "email": ("d'adresse e-mail", "e-mail address"),
        "phone": ("de numéro de téléphone", "phone number"),
    },
    "contact_theirs": {
        "email": ("son adresse", "their address"),
        "phone": ("son numéro", "their number"),
    },
}
"""The robot's own names in words, French then English: ``intent`` (what a message was
understood as), ``purpose`` (what a mail was for; ``question:<kind>`` is built from
``question``), ``status`` (of an introduction), ``question`` (a question's kind),
``field`` (a member's field), ``contact`` (a way to be put in touch: "e-mail"),
``contact_way`` (the same, said as a way: "par e-mail"), ``member_status``,
``item_kind``, ``item_status``, ``consent_purpose``, ``consent_how`` (MES DONNÉES), and
for the animators' reasons (:mod:`workflows.mail.reasons`) ``contact_missing`` ("le
réseau n'a pas d'adresse e-mail") and ``contact_theirs`` ("n'a pas son adresse")."""


def label_of(value: str | None, kind: str, language: str = "fr") -> str:
    """``value`` (an intent, a mail's purpose, an introduction's status: ``kind``) in words
    of ``language``; a value the table does not know is shown as it is."""
    if value is None:
        return ""
    words = LABELS.get(kind, {}).get(value)
    return value if words is None else words[1 if language == "en" else 0]


_LETTERS_RE = re.compile(r"[^\W\d_]+")
_PARTICLES = frozenset({"de", "du", "des"})


def readable_name(name: str | None) -> str | None:
    """A name written all in capitals in a readable form (``LINA PETIT`` → ``Lina Petit``,
    ``JEAN-LUC DE LA FONTAINE`` → ``Jean-Luc de La Fontaine``, ``ANNE D'ALMEIDA`` →
    ``Anne d'Almeida``, ``N'DIAYE`` → ``N'Diaye``); any other name as written (``Lina
    PETIT``, ``lina``). For greeting people: what is stored does not change."""
    if not name or name != name.upper() or not _LETTERS_RE.search(name):
        return name
    first = _LETTERS_RE.search(name).start()

    def word(match: re.Match) -> str:
        run, start, end = match.group(), match.start(), match.end()
        if start != first:
            after = name[end:end + 1]
            if run.lower() in _PARTICLES and after in ("", " ") and name[start - 1:start] == " ":
                return run.lower()
            if run.lower() == "d" and after in ("'", "\u2019") and name[start - 1:start] in ("", " "):
                return "d"
        return run.capitalize()

    return _LETTERS_RE.sub(word, name)


BUILTIN_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PARTS = ("subject", "txt", "html")
"""The files of one mail: ``<name>.subject.j2``, ``<name>.txt.j2``, ``<name>.html.j2``."""
MAX_LINE = 78
"""The longest line a mail's text part may have (RFC 5322 §2.1.1's "SHOULD")."""
WRAP_WIDTH = 72
"""Where a longer line is cut when it is wrapped."""
EXAMPLES = BUILTIN_TEMPLATES / "examples"
"""``<name>.json``: the example data a mail or a page is checked and previewed with."""
BASE_VARIABLES = ("network", "now")
"""What every template gets besides its own data (``workflows.shell.templating.base_context``)."""

log = logging.getLogger(__name__)


class TemplateError(Exception):
    """A template is missing or cannot be rendered; the message names the file.

    ``path``: the file where the problem is (an included piece when the error is in it),
    ``line`` its line, when known, and ``reason`` what is wrong.
    """

    def __init__(self, message: str, path: str | None = None, line: int | None = None, reason: str | None = None):
        super().__init__(message)
        self.path = path
        self.line = line
        self.reason = reason or message
        """What is wrong, without the file's name: ``'membre' is undefined``."""


@dataclass(frozen=True)
class Rendered:
    """One mail's words: ``subject`` (one line), ``text`` (plain), ``html`` (or None)."""

    subject: str
    text: str
    html: str | None


@dataclass(frozen=True)
class Source:
    """One template file as the renderer finds it: ``file`` (``join_ack.txt.j2``), its
    ``path`` on disk, its ``text``, and ``overridden`` (it is the animators' file)."""

    file: str
    path: Path
    text: str
    overridden: bool


def _french_time(value: datetime, locale: str) -> str:
    # "9 h", "14 h 30": how French writes hours (Babel's patterns give "09:00").
    if locale.startswith("fr"):
        return f"{value.hour} h" if value.minute == 0 else f"{value.hour} h {value.minute:02d}"
    return format_time(value, format="short", locale=locale)


# Spaces a line must not be cut at: French puts one after « and before : ; ! ? », writes
# hours "12 h", "14 h 30", and keeps a day with its month ("7 décembre", "1er mars").
_MONTHS = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
_GLUED = re.compile(rf"(?<=«) | (?=[:;!?»])|(?<=\d) (?=h\b)|(?<=\d h) (?=\d)|(?<=\b\d) (?=(?:{_MONTHS})\b)"
                    rf"|(?<=\b\d\d) (?=(?:{_MONTHS})\b)|(?<=\b1er) (?=(?:{_MONTHS})\b)")
_GLUE = "\x1f"


# A line a sentence ends on, or a "Label : value" line: what follows it is not its
# continuation, even when it is too long. (A colon or a semicolon goes on: « pas un
# mardi : le robot… »; what follows a colon as a list or a block is a list item, a label
# line or indented, and stays apart.)
_ENDS_SENTENCE = re.compile(r"[.!?…]\)?\s*$")
_LABEL = re.compile(r"^\s*[^\s:]+(?: [^\s:]+){0,3} : ")


def _continues(line: str, following: str) -> bool:
    """Whether ``following`` carries on the sentence of ``line`` (same paragraph, same
    indentation, not a list item nor a "Label : value" line)."""
    indent = len(line) - len(line.lstrip(" "))
    return (bool(following.strip()) and not _ENDS_SENTENCE.search(line) and not _LABEL.match(line)
            and len(following) - len(following.lstrip(" ")) == indent
            and following.lstrip(" ")[:2] != "- " and not _LABEL.match(following))


def wrap_text(text: str) -> str:
    """Rewrap the lines of ``text`` longer than :data:`MAX_LINE` to :data:`WRAP_WIDTH`.

    A long line whose sentence goes on on the next lines (the template cut it there, then
    a long name or title made it too long) is refilled with them, so that the paragraph
    does not end up ragged ("nous vous / écrirons / si…"). Continuation lines keep the
    line's indentation (plus two spaces under a ``- `` list item); words longer than a
    line (an address, a URL) are never cut; French punctuation stays with its word
    (« OUI », « quand ? »). Shorter lines are untouched.
    """
    lines = text.split("\n")
    out = []
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if len(line) <= MAX_LINE or _GLUE in line:
            out.append(line)
            continue
        while index < len(lines) and _GLUE not in lines[index] and _continues(line, lines[index]):
            line = line.rstrip() + " " + lines[index].strip()
            index += 1
        indent = line[: len(line) - len(line.lstrip(" "))]
        bullet = line.lstrip(" ")[:2] == "- "
        glued = _GLUED.sub(_GLUE, line)
        pieces = textwrap.wrap(glued, width=WRAP_WIDTH, subsequent_indent=indent + ("  " if bullet else ""),
                               break_long_words=False, break_on_hyphens=False)
        out.extend(piece.replace(_GLUE, " ") for piece in pieces)
    return "\n".join(out)


def _where(error: BaseException) -> tuple[str | None, int | None]:
    """The template file and line an error happened in: a syntax error names them; a
    rendering error is found in its traceback (jinja2 gives template frames the
    template's file name and line)."""
    if isinstance(error, jinja2.TemplateSyntaxError) and error.filename:
        return error.filename, error.lineno
    found: tuple[str | None, int | None] = (None, None)
    trace = error.__traceback__
    while trace is not None:
        filename = trace.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = (filename, trace.tb_lineno)
        trace = trace.tb_next
    return found


def _remembered(function):
    """``function`` (a filter of a renderer, whose result depends only on its arguments)
    keeping its results: the dates and names Babel writes are the same in most mails of
    a cycle (an expiry date, the permanence's day and hours in every footer), and Babel
    takes a while to write each. An argument that cannot be a key is not remembered."""
    results: dict = {}

    def remembered(value, *args):
        key = (type(value), value, args)
        try:
            return results[key]
        except KeyError:
            pass
        except TypeError:  # unhashable
            return function(value, *args)
        if len(results) >= 512:
            results.clear()
        results[key] = found = function(value, *args)
        return found

    return remembered


class _Loader(jinja2.FileSystemLoader):
    """A :class:`jinja2.FileSystemLoader` whose templates also go stale when a file of the
    same name appears in an earlier folder: an animators' file added while the robot runs
    is used from the next mail on (jinja2 would keep the cached built-in one)."""

    def get_source(self, environment, template):
        source, filename, uptodate = super().get_source(environment, template)
        pieces = jinja2.loaders.split_template_path(template)
        earlier = []
        for folder in self.searchpath:
            path = os.path.normpath(os.path.join(folder, *pieces))
            if path == os.path.normpath(filename):
                break
            earlier.append(path)
        return source, filename, lambda: uptodate() and not any(os.path.isfile(path) for path in earlier)


def split_file(file: str) -> tuple[str, str] | None:
    """``join_ack.txt.j2`` → ``("join_ack", "txt")``; None for a file that is no template part."""
    for part in PARTS:
        suffix = f".{part}.j2"
        if file.endswith(suffix) and len(file) > len(suffix):
            return file[: -len(suffix)], part
    return None


def example_data(name: str) -> dict[str, Any] | None:
    """The example data of the mail or page ``name`` (``templates/examples/<name>.json``),
    or None when it has none."""
    try:
        return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def example_context(name: str, around: dict[str, Any]) -> dict[str, Any]:
    """The context ``name`` is checked (and previewed) with: its example data, with the
    :data:`BASE_VARIABLES` of ``around`` (a real mail's context, or what the commands
    build from the configuration) and, when the example has versioned texts, the current
    ones (``around["texts"]``). Raises :class:`TemplateError` when ``name`` has no example."""
    data = example_data(name)
    if data is None:
        raise TemplateError(f"no example data for {name} (templates/examples/{name}.json)")
    if "texts" in data and "texts" in around:
        data["texts"] = around["texts"]
    return {**{key: around[key] for key in BASE_VARIABLES if key in around}, **data}


class _Environment(SandboxedEnvironment):
    """A sandboxed environment that can note the name of every template a rendering
    loads (``loads``, when it is a list): includes and extends, those whose name is
    computed too (``{% include texts.charte.template %}``)."""

    loads: list[str] | None = None

    def get_template(self, name, parent=None, globals=None):
        if self.loads is not None and isinstance(name, str):
            self.loads.append(name)
        return super().get_template(name, parent, globals)


class _BuiltinEnvironment(jinja2.Environment):
    """The environment of a renderer without an animators' folder: it reads only the
    built-in files, which are the robot's own code, so it needs no sandbox (the
    sandbox checks every attribute and call a template makes: a fifth of a mail's
    rendering). Values stay data all the same: autoescaping, :class:`StrictUndefined`
    and the filters are the sandboxed environment's. The files are read once (they do
    not change while the robot runs)."""


class Renderer:
    """Renders named templates in one language.

    ``language``: ``fr`` or ``en``; ``override_dir``: the animators' folder (or None),
    searched first (``<dir>/<language>/``, then ``<dir>/``); ``timezone``: IANA name
    used by the date filters for aware datetimes.

    The animators' files are used for a mail (or a page) only when :meth:`check` finds
    nothing wrong with the files it reads: a syntax error, an error when it is rendered
    with its example data (an unknown variable, an operation the sandbox refuses, a
    filter that fails), a variable that neither its example nor the built-in files know,
    even in a branch the example does not take. That is what ``rers templates check``
    and ``rers doctor`` report. Otherwise the whole mail is rendered from the built-in
    files (a mail is never half theirs), and the problem is logged once. The verdict is
    reached once per mail and kept by this renderer until a file of the animators'
    folder changes. A mail whose own data breaks an animators' file the example did not
    is also rendered again from the built-in files.
    When an animators' ``<name>.txt.j2`` replaces the built-in text but no
    ``<name>.html.j2`` of theirs goes with it, the mail has no HTML part: the built-in
    HTML would show people the old words.
    """

    def __init__(self, language: str = "fr", override_dir: Path | None = None, timezone: str = "Europe/Paris"):
        self.language = language
        self.timezone = timezone
        self.override_dir = Path(override_dir) if override_dir is not None else None
        builtin = [BUILTIN_TEMPLATES / language]
        overrides = self.override_folders()
        self._preferred = self._environments([*overrides, *builtin], sandboxed=bool(overrides))
        # Built-in files first; the animators' folder still answers for the files only it
        # has (a new version of the charter, textes/charte-v2.txt.j2).
        self._fallback = self._environments([*builtin, *overrides]) if overrides else None
        self._reported: set[str] = set()
        self._verdicts: dict[tuple[str, bool], tuple[TemplateError, ...] | TemplateError] = {}
        """``(name, page)``: the problems :meth:`check` found, or the built-in files' error."""
        self._state: tuple = ()
        """The animators' files (name, time, size) the verdicts were reached with."""
        self._allowed: dict[str, frozenset[str]] = {}
        self._referenced: dict[str, list[str]] = {}
        """A file's path: the templates it includes or extends (kept with the verdicts)."""

    def override_folders(self) -> list[Path]:
        """The animators' folders, in search order (none without ``override_dir``)."""
        if self.override_dir is None:
            return []
        return [self.override_dir / self.language, self.override_dir]

    def _environments(self, folders: list[Path], sandboxed: bool = True) -> tuple[jinja2.Environment, jinja2.Environment]:
        """The text and HTML environments over ``folders``: sandboxed when they may read
        an animators' file, else :class:`_BuiltinEnvironment`."""
        common = dict(
            loader=_Loader([str(f) for f in folders]),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        if not sandboxed:
            common.update(auto_reload=False)
        kind = _Environment if sandboxed else _BuiltinEnvironment
        text_env = kind(autoescape=False, **common)
        html_env = kind(autoescape=True, **common)
        for env in (text_env, html_env):
            env.filters.update(self._filters())
        return text_env, html_env

    def _filters(self) -> dict[str, Any]:
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(self.timezone)
        locale = self.language

        def local(value):
            if isinstance(value, str):
                value = datetime.fromisoformat(value)
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = value.astimezone(zone)
            return value

        def day_pattern(value) -> str:
            # French writes the first of the month "1er" (« lundi 1er mars »).
            return "EEEE d'er' MMMM y" if locale.startswith("fr") and value.day == 1 else "EEEE d MMMM y"

        def long_date(value):
            """``lundi 7 décembre 2026``, ``lundi 1er mars 2027``."""
            value = local(value)
            return format_date(value, format=day_pattern(value), locale=locale)

        def date_time(value):
            """``lundi 7 décembre 2026 à 9 h``."""
            value = local(value)
            joiner = " à " if locale.startswith("fr") else " at "
            return format_date(value, format=day_pattern(value), locale=locale) + joiner + _french_time(value, locale)

        def hour(value):
            return _french_time(local(value), locale)

        def full(value):
            return babel_datetime(local(value), format="full", locale=locale)

        def weekday_name(value: str) -> str:
            """``monday`` → ``lundi`` (the config's English weekday, in the mail's language)."""
            index = WEEKDAYS.index(value.lower())
            return get_day_names("wide", locale=locale)[index]

        def modality_label(value: str) -> str:
            return MODALITY_LABELS.get(locale, MODALITY_LABELS["fr"]).get(value, value)

        def joined(values: tuple[str, ...], style: str) -> str:
            return format_list(list(values), style=style, locale=locale)

        def join_list(values, style: str = "standard") -> str:
            """``["O-1", "O-2", "D-3"]`` → ``O-1, O-2 et D-3``; ``style="or"``: ``… ou …``."""
            return remembered(tuple(str(v) for v in values), style)

        remembered = _remembered(joined)

        def label_filter(value, kind: str) -> str:
            """``{{ intent | label("intent") }}``: ``join`` → ``adhésion`` (see :data:`LABELS`)."""
            return label_of(value, kind, locale)

        return {
            "readable_name": readable_name,
            "label": label_filter,
            "long_date": _remembered(long_date),
            "date_time": _remembered(date_time),
            "hour": _remembered(hour),
            "full_datetime": _remembered(full),
            "weekday_name": _remembered(weekday_name),
            "modality_label": modality_label,
            "join_list": join_list,
        }

    # Rendering ----------------------------------------------------------------------

    def render(self, name: str, context: dict[str, Any]) -> Rendered:
        """Render the mail ``name`` with ``context``. Raises :class:`TemplateError`
        naming the file when the built-in template itself is missing or fails."""
        return self._produce(name, context, False, lambda envs: self._mail(envs, name, context))

    def page(self, name: str, context: dict[str, Any]) -> str:
        """Render the web page ``<name>.html.j2`` (autoescaped), with the same fallback
        as :meth:`render`. Raises :class:`TemplateError`."""
        return self._produce(name, context, True, lambda envs: self._page(envs, name, context))

    def _page(self, envs, name: str, context: dict[str, Any]) -> str:
        return self._render(envs[1], f"{name}.html.j2", context)[0]

    def _produce(self, name: str, context: dict[str, Any], page: bool, produce):
        if self._fallback is None:
            return produce(self._preferred)
        try:
            problems = self.problems(name, context, page)
        except TemplateError:
            problems = []  # the built-in files fail too: not the animators' doing, rendering says it
        if not problems:
            try:
                return produce(self._preferred)
            except TemplateError as error:  # this mail's own data breaks a file the example did not
                problems = [error]
        result = produce(self._fallback)
        if name not in self._reported:
            self._reported.add(name)
            log.warning("%s; the built-in text of %s is used instead", problems[0], name)
        return result

    # The verdict on the animators' files ----------------------------------------------

    def problems(self, name: str, around: dict[str, Any], page: bool = False) -> list[TemplateError]:
        """What keeps the animators' files out of the mail (or ``page``) ``name``: the
        result of :meth:`check`, reached once and kept until a file of the animators'
        folder changes. ``around``: the context the example's :data:`BASE_VARIABLES`
        come from (see :func:`example_context`). Raises :class:`TemplateError` when the
        built-in files fail too."""
        self._refresh()
        key = (name, page)
        if key not in self._verdicts:
            try:
                self._verdicts[key] = tuple(self.check(name, around, page))
            except TemplateError as error:
                self._verdicts[key] = error
        found = self._verdicts[key]
        if isinstance(found, TemplateError):
            raise TemplateError(str(found), found.path, found.line, found.reason)
        return list(found)

    def check(self, name: str, around: dict[str, Any], page: bool = False) -> list[TemplateError]:
        """Everything wrong with the animators' files the mail (or ``page``) ``name``
        reads, each error naming its file: first the error of rendering it with its
        example data (:func:`example_context` of ``around``), then each of their files
        it reads (included, extended, in every branch) that cannot be parsed or reads a
        variable it cannot have (:meth:`file_problem`). Empty when there is nothing
        wrong, or nothing of theirs. Raises :class:`TemplateError` when the built-in
        files fail too: the problem is not theirs."""
        if self._fallback is None or not self._refresh():
            return []
        produce = self._page if page else self._mail
        found: list[TemplateError] = []
        loads: list[str] = []
        if example_data(name) is not None:
            example = example_context(name, around)
            for env in self._preferred:
                env.loads = loads
            try:
                produce(self._preferred, name, example)
            except TemplateError as error:
                produce(self._fallback, name, example)
                found.append(error)
            finally:
                for env in self._preferred:
                    env.loads = None
        named = {os.path.normpath(error.path) for error in found if error.path}
        for path, file in self._reads(name, page, loads):
            if os.path.normpath(path) not in named:
                problem = self.file_problem(path, file)
                if problem is not None:
                    found.append(problem)
        return found

    def _reads(self, name: str, page: bool, loads: list[str]) -> list[tuple[Path, str]]:
        """``(path, file)`` of each animators' file rendering ``name`` reads: its own
        files, the files they include or extend whatever the branch, and ``loads`` (what
        a rendering loaded, by a computed name too), with theirs."""
        env = self._preferred[0]
        todo = [*loads, *([f"{name}.html.j2"] if page else [f"{name}.{part}.j2" for part in PARTS])]
        seen: set[str] = set()
        found = []
        while todo:
            file = todo.pop()
            if file in seen:
                continue
            seen.add(file)
            try:
                text, path, _ = env.loader.get_source(env, file)
            except jinja2.TemplateNotFound:
                continue
            if self.is_override(path):
                found.append((Path(path), file))
            if path not in self._referenced:
                try:
                    self._referenced[path] = [n for n in jinja2meta.find_referenced_templates(env.parse(text)) if n]
                except jinja2.TemplateSyntaxError:
                    self._referenced[path] = []
            todo.extend(self._referenced[path])
        return found

    def file_problem(self, path: Path, file: str) -> TemplateError | None:
        """Why the animators' file at ``path`` (``file``: its name for the renderer,
        ``join_ack.txt.j2``) cannot be used whatever the mail's data: a syntax error, or
        a variable that is not in :meth:`allowed_variables`. None when it reads well."""
        try:
            ast = self.parse(path)
        except TemplateError as error:
            return error
        split = split_file(file)
        unknown = jinja2meta.find_undeclared_variables(ast) - self.allowed_variables(split[0] if split else "")
        if not unknown:
            return None
        line = min((node.lineno for node in ast.find_all(jinja2.nodes.Name) if node.name in unknown), default=None)
        reason = f"unknown variable(s) {', '.join(sorted(unknown))}"
        where = f", line {line}" if line else ""
        return TemplateError(f"template {path}{where}: {reason}", str(path), line, reason)

    def allowed_variables(self, name: str) -> frozenset[str]:
        """The variables an animators' file of ``name`` may read: those of its example
        data and :data:`BASE_VARIABLES`, and those its built-in files read; for a shared
        piece, a versioned text or a file of their own (no example), those any mail may."""
        if name not in self._allowed:
            data = example_data(name) if name else None
            if data is None:
                names = sorted(p.stem for p in EXAMPLES.glob("*.json"))
                known = set().union(*(self.allowed_variables(n) for n in names if self._builtin_files(n)))
            else:
                known = set(data) | set(BASE_VARIABLES)
                for path in self._builtin_files(name):
                    known |= self.variables(path)
            self._allowed[name] = frozenset(known)
        return self._allowed[name]

    def _builtin_files(self, name: str) -> list[Path]:
        folder = BUILTIN_TEMPLATES / self.language
        return [folder / f"{name}.{part}.j2" for part in PARTS if (folder / f"{name}.{part}.j2").is_file()]

    def _refresh(self) -> tuple:
        """The state of the animators' files (:meth:`_files_state`); when it is not the
        one the verdicts were reached with, they are forgotten (the next mail counts)."""
        state = self._files_state()
        if state != self._state:
            self._state = state
            self._verdicts.clear()
            self._referenced.clear()
            self._reported.clear()
        return state

    def _files_state(self) -> tuple:
        """``(folder, file, mtime, size)`` of every template file in the animators' folder."""
        if self.override_dir is None:
            return ()
        state = []
        for folder, subfolders, files in os.walk(self.override_dir):
            subfolders.sort()
            for file in sorted(files):
                if file.endswith(".j2"):
                    try:
                        stat = os.stat(os.path.join(folder, file))
                    except OSError:
                        continue
                    state.append((folder, file, stat.st_mtime_ns, stat.st_size))
        return tuple(state)

    def _mail(self, envs, name: str, context: dict[str, Any]) -> Rendered:
        text_env, html_env = envs
        subject, _ = self._render(text_env, f"{name}.subject.j2", context)
        text, text_path = self._render(text_env, f"{name}.txt.j2", context)
        try:
            html, html_path = self._render(html_env, f"{name}.html.j2", context)
        except TemplateError as error:
            if not isinstance(error.__cause__, jinja2.TemplateNotFound) or error.path:
                raise
            html = html_path = None
        if html_path and self.is_override(text_path) and not self.is_override(html_path):
            html = None
        subject = " ".join(subject.split())
        return Rendered(subject=subject, text=wrap_text(text.rstrip()) + "\n", html=html)

    def _render(self, env: jinja2.Environment, file: str, context: dict[str, Any]) -> tuple[str, str]:
        """``(output, path of the file)``; raises :class:`TemplateError`."""
        try:
            template = env.get_template(file)
        except jinja2.TemplateNotFound as error:
            raise TemplateError(f"template {self.language}/{file} not found") from error
        except jinja2.TemplateSyntaxError as error:
            path, line = _where(error)
            raise TemplateError(f"template {self._label(path)}, line {line}: {error.message}", path, line,
                                error.message) from error
        try:
            return template.render(**context), template.filename
        except Exception as error:  # an animators' file must never stop the robot: see the class docstring
            path, line = _where(error)
            path = path or template.filename
            where = f", line {line}" if line else ""
            reason = str(error) if isinstance(error, jinja2.TemplateError) else f"{type(error).__name__}: {error}"
            raise TemplateError(f"template {self._label(path)}{where}: {reason}", path, line, reason) from error

    # What the animators' tools look at ----------------------------------------------

    def is_override(self, path: str | Path | None) -> bool:
        """True when ``path`` is one of the animators' files."""
        if path is None or self.override_dir is None:
            return False
        return Path(path).resolve().is_relative_to(self.override_dir.resolve())

    def _label(self, path: str | None) -> str:
        if path is None:
            return "?"
        if self.is_override(path):
            return str(path)
        try:
            return str(Path(path).resolve().relative_to(BUILTIN_TEMPLATES))
        except ValueError:
            return str(path)

    def source(self, file: str, builtin: bool = False) -> Source:
        """The file ``file`` (``join_ack.txt.j2``, ``textes/charte-v1.txt.j2``) found
        first: the animators' one when there is one (used when :meth:`problems` finds
        nothing wrong) — or, with ``builtin``, the built-in one, which replaces it
        otherwise. Raises :class:`TemplateError` when there is none."""
        envs = self._fallback if builtin and self._fallback is not None else self._preferred
        try:
            text, path, _ = envs[0].loader.get_source(envs[0], file)
        except jinja2.TemplateNotFound as error:
            raise TemplateError(f"template {self.language}/{file} not found") from error
        if builtin and self.is_override(path):
            raise TemplateError(f"template {self.language}/{file} is not a built-in one")
        return Source(file=file, path=Path(path), text=text, overridden=self.is_override(path))

    def parse(self, path: Path) -> jinja2.nodes.Template:
        """The syntax tree of the template file at ``path`` (for :mod:`jinja2.meta`).
        Raises :class:`TemplateError` naming the file and line."""
        try:
            return self._preferred[0].parse(path.read_text(encoding="utf-8"), filename=str(path))
        except jinja2.TemplateSyntaxError as error:
            raise TemplateError(f"template {path}, line {error.lineno}: {error.message}", str(path),
                                error.lineno, error.message) from error
        except (OSError, UnicodeDecodeError) as error:
            raise TemplateError(f"template {path}: cannot be read ({error})", str(path),
                                reason=f"cannot be read ({error})") from error

    def variables(self, path: Path) -> set[str]:
        """The variables the template file at ``path`` reads from its context (not those
        it sets). Raises :class:`TemplateError`."""
        return jinja2meta.find_undeclared_variables(self.parse(path))


def message_id(domain: str, *parts: str) -> str:
    """A deterministic Message-ID (RFC 5322 §3.6.4) for the mail caused by ``parts``.

    The same cause (e.g. the incoming Message-ID, the purpose and the recipient) always
    gives the same id, so a mail rebuilt after a crash is recognised as the same mail.
    """
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:24]
    return f"<rers.{digest}@{domain}>"


class _MailPolicy(Compat32):
    """The policy of the robot's own mail: ``compat32`` headers, the modern content manager.

    :class:`email.policy.EmailPolicy` parses every header into an object when it is set
    and folds it again when written: about 5 ms a mail, more than fetching, parsing and
    sending one. The robot's headers are few and simple, so they are encoded here once
    (RFC 2047 via :func:`email.utils.formataddr` and :class:`email.header.Header`), while
    the parts still use the content manager (``set_content``, ``add_attachment``…).
    """

    content_manager = raw_data_manager

    def _fold(self, name, value, sanitize):
        # Compat32 makes a Header object of every value to fold it (a third of a mail's
        # cost). The robot's values are already ASCII and encoded: a short one-line value
        # is written as it is; anything else is folded the standard way.
        if isinstance(value, str) and len(name) + len(value) < 77 and value.isascii() \
                and "\n" not in value and "\r" not in value:
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


MAIL_POLICY = _MailPolicy(linesep="\r\n")
"""Build and serialise the robot's mail with this policy (CRLF line ends, RFC 5322)."""


def serialize(msg: EmailMessage) -> bytes:
    """The message as RFC 5322 bytes under :data:`MAIL_POLICY`.

    Multipart boundaries are derived from the Message-ID: the generator would otherwise
    draw random ones and compile a regular expression for each to check the body (RFC
    2046 §5.1.1); a SHA-256 prefix cannot occur in text by chance, and the same message
    gives the same bytes.
    """
    seed = str(msg.get("Message-ID", ""))
    for number, part in enumerate(msg.walk()):
        if part.is_multipart() and part.get_boundary() is None:
            digest = hashlib.sha256(f"{seed}\x1f{number}".encode("utf-8")).hexdigest()[:32]
            part.set_boundary(f"=_rers_{digest}")
    return msg.as_bytes(policy=MAIL_POLICY)


def _single_line(value: str) -> str:
    # Header values are data: a CR or LF could start a new header (header injection).
    return " ".join(str(value).split())


def format_address(name: str | None, address: str) -> str:
    """``Name <address>`` with the name RFC 2047-encoded when it is not ASCII, quoted
    when it holds specials; CR/LF and runs of spaces in the name become one space."""
    return formataddr((_single_line(name or ""), _single_line(address)), charset=_HEADER_CHARSET)


def _utf8_base64() -> Charset:
    # Python's "utf-8" header charset picks the shorter of Q and B for every header by
    # measuring both, character by character: a millisecond a subject. B is always fine.
    charset = Charset("utf-8")
    charset.header_encoding = BASE64
    return charset


_HEADER_CHARSET = _utf8_base64()


def _text_header(name: str, value: str) -> str:
    """An unstructured header value (RFC 5322 §3.2.5): as is when ASCII, else RFC 2047
    encoded words (UTF-8, base64), folded by :class:`email.header.Header`."""
    value = _single_line(value)
    if value.isascii():
        return value
    return Header(value, _HEADER_CHARSET, header_name=name).encode()


def build_message(
    *,
    rendered: Rendered,
    sender: tuple[str | None, str],
    to: list[tuple[str | None, str]],
    message_id: str,
    date: datetime,
    cc: list[tuple[str | None, str]] = (),
    in_reply_to: str | None = None,
    references: list[str] = (),
    auto_submitted: str = "auto-generated",
    list_unsubscribe: str | None = None,
    reply_to: str | None = None,
    language: str = "fr",
    extra_headers: dict[str, str] | None = None,
) -> EmailMessage:
    """Build the MIME message: ``text/plain`` (quoted-printable UTF-8) with an HTML
    alternative when there is one, under :data:`MAIL_POLICY`.

    ``sender``/``to``/``cc``: ``(display name or None, address)``. ``date``: aware.
    ``auto_submitted``: RFC 3834 value (``auto-replied`` for an answer to a message).
    ``list_unsubscribe``: the RFC 2369 mailto URL, e.g. ``mailto:rers@x?subject=RETRAIT``.
    Every header value is made one line (no header injection through a name or subject).
    """
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = format_address(*sender)
    msg["To"] = ", ".join(format_address(n, a) for n, a in to)
    if cc:
        msg["Cc"] = ", ".join(format_address(n, a) for n, a in cc)
    if reply_to:
        msg["Reply-To"] = format_address(None, reply_to)
    msg["Subject"] = _text_header("Subject", rendered.subject)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = _single_line(message_id)
    if in_reply_to:
        msg["In-Reply-To"] = _single_line(in_reply_to)
        msg["References"] = _single_line(" ".join([*references, in_reply_to][-10:]))
    msg["Auto-Submitted"] = auto_submitted
    # Exchange/Outlook: do not answer this with an out-of-office (MS-OXCMAIL 2.2.3.2.14).
    msg["X-Auto-Response-Suppress"] = "All"
    if list_unsubscribe:
        msg["List-Unsubscribe"] = f"<{_single_line(list_unsubscribe)}>"
    for key, value in (extra_headers or {}).items():
        msg[key] = _text_header(key, value)
    msg.set_content(rendered.text, charset="utf-8", cte="quoted-printable")
    if rendered.html:
        msg.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    # After the content: set_content() clears every Content-* header, this one included.
    msg["Content-Language"] = language  # RFC 3282
    return msg


def recipients_of(msg: EmailMessage) -> list[str]:
    """The lower-cased addresses of the To and Cc headers (the SMTP envelope's RCPT TO)."""
    return [address.lower() for _, address in getaddresses(msg.get_all("To", []) + msg.get_all("Cc", [])) if address]
