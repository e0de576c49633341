"""Render the robot's mails from jinja2 templates (the words; :mod:`workflows.mail.rfc5322`
builds the message).

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
code: they are passed in the context and cannot inject markup or headers.
"""
from __future__ import annotations

import json
import logging
import os
import re
import textwrap
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_date, format_datetime as babel_datetime, format_time, get_day_names
from babel.lists import format_list
from jinja2 import meta as jinja2meta
from jinja2.sandbox import SandboxedEnvironment

from config.settings import Settings
from workflows.mail.first_names import greeting_name
from workflows.mail.labels import (MODALITY_LABELS, WEEKDAYS, elided, label_of, readable_name,
                                   readable_phone)

BUILTIN_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PARTS = ("subject", "txt", "html")
"""The files of one mail: ``<name>.subject.j2``, ``<name>.txt.j2``, ``<name>.html.j2``."""
MAX_LINE = 78
"""The longest line a mail's text part may have (RFC 5322 §2.1.1's "SHOULD")."""
WRAP_WIDTH = 72
"""Where a longer line is cut when it is wrapped."""
EXAMPLES = BUILTIN_TEMPLATES / "examples"
"""``<name>.json``: the example data a mail or a page is checked and previewed with."""
BASE_VARIABLES = ("network", "now", "to_member")
"""What every template gets besides its own data (``workflows.shell.templating.base_context``)."""

log = logging.getLogger(__name__)


class TemplateError(Exception):
    """A template is missing or cannot be rendered; the message names the file.

    ``path``: the file where the problem is (an included piece when the error is in it),
    ``line`` its line, when known, and ``reason`` what is wrong; ``undecoded``, of a file
    not saved in UTF-8: ``(byte, line, position in the line)`` of its first byte that is
    not (for the commands to say it in the network's language).
    """

    def __init__(self, message: str, path: str | None = None, line: int | None = None, reason: str | None = None,
                 undecoded: tuple[int, int, int] | None = None):
        super().__init__(message)
        self.path = path
        self.line = line
        self.reason = reason or message
        """What is wrong, without the file's name: ``'membre' is undefined``."""
        self.undecoded = undecoded


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
# hours "12 h", "14 h 30", keeps a day with its month ("7 décembre", "1er mars"), and
# what a member gives as one thing ("adresse e-mail", "numéro de téléphone"), and the two
# words of a pair that met (« « temps » = « temps » », a proposal's « Pourquoi »).
_MONTHS = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
# The space comes first, then what must surround it (the look-behinds include it): the
# pattern then starts with a literal the engine looks for, instead of trying ten
# look-behinds at every character of the line (five times quicker, the same spaces).
_GLUED = re.compile(rf" (?:(?<=« )|(?=[:;!?»])|(?<=\d )(?=h\b)|(?<=\d h )(?=\d)|(?<=\b\d )(?=(?:{_MONTHS})\b)"
                    rf"|(?<=\b\d\d )(?=(?:{_MONTHS})\b)|(?<=\b1er )(?=(?:{_MONTHS})\b)"
                    r"|(?<=\badresse )(?=e-mail\b)|(?<=\bnuméro )(?=de téléphone\b)|(?<=\bnuméro de )(?=téléphone\b)"
                    r"|(?<=» )(?=[=≈] «)|(?<=» [=≈] )(?=«))")
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
        pieces = jinja2.loaders.split_template_path(template)
        try:
            source, filename, uptodate = super().get_source(environment, template)
        except UnicodeDecodeError:  # which file: jinja2 does not say
            read_template(next(path for folder in self.searchpath
                               if os.path.isfile(path := os.path.join(folder, *pieces))))
            raise
        earlier = []
        for folder in self.searchpath:
            path = os.path.normpath(os.path.join(folder, *pieces))
            if path == os.path.normpath(filename):
                break
            earlier.append(path)
        return source, filename, lambda: uptodate() and not any(os.path.isfile(path) for path in earlier)


def read_template(path: str | Path) -> str:
    """The text of the template file at ``path``. Raises :class:`TemplateError` when it
    is not UTF-8 (an editor saved it in Latin-1 or Windows-1252: its reason says the
    first byte that is not, its line and its position in the line), :class:`OSError`
    when it cannot be read."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        start = data.rfind(b"\n", 0, error.start) + 1
        undecoded = (data[error.start], data.count(b"\n", 0, error.start) + 1, error.start - start + 1)
        reason = "not saved in UTF-8 (byte 0x{:02X} on line {}, position {}); save it in UTF-8".format(*undecoded)
        raise TemplateError(f"template {path}: {reason}", str(path), reason=reason, undecoded=undecoded) from None


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
            return long_day_pattern(value, locale)

        @_remembered
        def day(value: date) -> str:
            return format_date(value, format=day_pattern(value), locale=locale)

        def long_date(value):
            """``lundi 7 décembre 2026``, ``lundi 1er mars 2027``."""
            value = local(value)
            # Remembered by the day: a question's expiry is a different second in every mail.
            return day(value.date() if isinstance(value, datetime) else value)

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

        def elide(word: str, following) -> str:
            """``{{ "de" | elide(title) }}«&nbsp;{{ title }}&nbsp;»``: ``d'`` before « Apprendre… »,
            ``de `` before « Cours… » (see :func:`workflows.mail.labels.elided`)."""
            return elided(str(word), None if following is None else str(following), locale)

        def label_filter(value, kind: str) -> str:
            """``{{ intent | label("intent") }}``: ``join`` → ``adhésion`` (see :data:`LABELS`)."""
            return label_of(value, kind, locale)

        return {
            "readable_name": readable_name,
            "greeting_name": greeting_name,
            "phone": readable_phone,
            "label": label_filter,
            "long_date": long_date,
            "date_time": _remembered(date_time),
            "hour": _remembered(hour),
            "full_datetime": _remembered(full),
            "weekday_name": _remembered(weekday_name),
            "modality_label": modality_label,
            "join_list": join_list,
            "elide": elide,
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
            except TemplateError as error:  # not UTF-8: file_problem says it, it includes nothing we can read
                if self.is_override(error.path):
                    found.append((Path(error.path), file))
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
        except TemplateError:  # an included file not saved in UTF-8: it names itself
            raise
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
        except TemplateError as error:  # not UTF-8: problems() keeps it out; shown as far as it reads
            path, text = error.path, Path(error.path).read_bytes().decode("utf-8", "replace")
        if builtin and self.is_override(path):
            raise TemplateError(f"template {self.language}/{file} is not a built-in one")
        return Source(file=file, path=Path(path), text=text, overridden=self.is_override(path))

    def parse(self, path: Path) -> jinja2.nodes.Template:
        """The syntax tree of the template file at ``path`` (for :mod:`jinja2.meta`).
        Raises :class:`TemplateError` naming the file and line."""
        try:
            return self._preferred[0].parse(read_template(path), filename=str(path))
        except jinja2.TemplateSyntaxError as error:
            raise TemplateError(f"template {path}, line {error.lineno}: {error.message}", str(path),
                                error.lineno, error.message) from error
        except OSError as error:
            raise TemplateError(f"template {path}: cannot be read ({error})", str(path),
                                reason=f"cannot be read ({error})") from error

    def variables(self, path: Path) -> set[str]:
        """The variables the template file at ``path`` reads from its context (not those
        it sets). Raises :class:`TemplateError`."""
        return jinja2meta.find_undeclared_variables(self.parse(path))


def network_context(settings: Settings) -> dict:
    """What every template gets as ``network``: ``name``, ``address`` (the functional
    address), ``animators`` (the addresses where a person answers), ``permanence``
    (``weekday`` in English, ``start``, ``end``, ``place``)."""
    network, rule = settings.network, settings.calendar.permanence
    return {
        "name": network.name,
        "address": network.address,
        "animators": list(network.animators),
        "permanence": {"weekday": rule.weekday, "start": rule.start, "end": rule.end, "place": rule.place},
    }


def long_day_pattern(day: date, language: str, other: str = "EEEE d MMMM y") -> str:
    """The Babel pattern of a long date: French writes the first of the month « 1er »
    (« lundi 1er mars 2027 »); ``other`` for any other day or language."""
    return "EEEE d'er' MMMM y" if language.startswith("fr") and day.day == 1 else other


def base_context(settings: Settings, now: datetime, to_member: bool = True) -> dict:
    """``{"network": …, "now": now, "to_member": …}``: the variables of every template
    (``now`` aware). ``to_member``: the text is for a member (sent to them, or passed on
    by the animators), so its footer says how to leave the network; False for a mail to
    someone who is not a member (a newcomer, a stranger, a person who just left)."""
    return {"network": network_context(settings), "now": now, "to_member": to_member}
