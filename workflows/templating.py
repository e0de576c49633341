"""The templates as the animators see them: names, languages, their own files, checks.

The robot's texts are the built-in files of ``templates/<lang>/`` and, taking precedence,
the animators' files in ``[network] templates_dir`` (``<dir>/<lang>/`` then ``<dir>/``);
:class:`workflows.mail.compose.Renderer` renders them. This module is what
``rers templates``, ``rers doctor`` and the daemon's start-up use to look at them:

- :func:`templates` lists every template (a mail, a web page, a shared piece, a
  versioned text), in which languages it exists, and which of its files are the
  animators';
- :func:`check` renders every template in every language with its example data
  (``templates/examples/<name>.json``) and reads every animators' file, and returns the
  :class:`Problem` s found: a broken file (syntax, unknown variable, an operation the
  sandbox refuses) is a ``fail``, something that is probably not meant (a file the
  robot never uses, a text changed without its HTML part) a ``warn``;
- :func:`base_context` is what every template gets besides its own data.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import meta as jinja2meta

from config.settings import Settings
from workflows.mail.compose import BUILTIN_TEMPLATES, PARTS, Renderer, TemplateError

log = logging.getLogger(__name__)

LANGUAGES = ("fr", "en")
EXAMPLES = BUILTIN_TEMPLATES / "examples"
_SUFFIXES = tuple((part, f".{part}.j2") for part in PARTS)
_LEFTOVERS = ("{{", "{%", "}}", "%}")


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


def base_context(settings: Settings, now: datetime) -> dict:
    """``{"network": …, "now": now}``: the variables of every template (``now`` aware)."""
    return {"network": network_context(settings), "now": now}


def renderer_for(settings: Settings, language: str | None = None) -> Renderer:
    """The renderer the robot uses, in ``language`` (default: the configured one)."""
    network = settings.network
    return Renderer(language or network.language, network.templates_dir, network.timezone)


def split_file(file: str) -> tuple[str, str] | None:
    """``join_ack.txt.j2`` → ``("join_ack", "txt")``; None for a file that is no template part."""
    for part, suffix in _SUFFIXES:
        if file.endswith(suffix) and len(file) > len(suffix):
            return file[: -len(suffix)], part
    return None


def _files(folder: Path) -> list[str]:
    """The template files under ``folder``, as names relative to it (``textes/x.txt.j2``),
    leaving out the language folders of an animators' root folder."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*.j2")):
        relative = path.relative_to(folder)
        if relative.parts[0] in LANGUAGES and len(relative.parts) > 1 and folder.name not in LANGUAGES:
            continue
        found.append(relative.as_posix())
    return found


@dataclass(frozen=True)
class TemplateInfo:
    """One template: ``name`` (``join_ack``, ``_footer``, ``textes/charte-v1``,
    ``catalogue_page``), ``kind`` (``mail``, ``page``, ``piece``, ``text``),
    ``languages`` it exists in (built in or the animators'), and ``overridden``:
    ``{language: parts that are the animators' files}``."""

    name: str
    kind: str
    languages: tuple[str, ...]
    overridden: dict[str, tuple[str, ...]]


def _kind(name: str, parts: set[str]) -> str:
    if name.startswith("textes/"):
        return "text"
    if name.rsplit("/", 1)[-1].startswith("_"):
        return "piece"
    return "mail" if "subject" in parts else "page"


def templates(settings: Settings) -> list[TemplateInfo]:
    """Every template, built in or the animators', sorted by name."""
    parts: dict[str, set[str]] = {}
    languages: dict[str, set[str]] = {}
    overridden: dict[str, dict[str, list[str]]] = {}
    for language in LANGUAGES:
        renderer = renderer_for(settings, language)
        for folder in [*renderer.override_folders(), BUILTIN_TEMPLATES / language]:
            for file in _files(folder):
                split = split_file(file)
                if split is None:
                    continue
                name, part = split
                parts.setdefault(name, set()).add(part)
                languages.setdefault(name, set()).add(language)
                if renderer.is_override(folder / file) and renderer.source(file).overridden:
                    found = overridden.setdefault(name, {}).setdefault(language, [])
                    if part not in found:
                        found.append(part)
    return [
        TemplateInfo(name, _kind(name, parts[name]), tuple(l for l in LANGUAGES if l in languages[name]),
                     {lang: tuple(p for p in PARTS if p in found) for lang, found in overridden.get(name, {}).items()})
        for name in sorted(parts)
    ]


def example(name: str, settings: Settings, now: datetime, language: str | None = None) -> dict[str, Any]:
    """The context ``name`` is rendered with for a preview or a check: its example data
    (``templates/examples/<name>.json``) over :func:`base_context`, the versioned texts
    (``texts``) being the current ones. Raises :class:`TemplateError` when ``name`` has
    no example."""
    from workflows.charter import current_texts

    path = EXAMPLES / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TemplateError(f"no example data for {name} (templates/examples/{name}.json)") from None
    if "texts" in data:
        language = language or settings.network.language
        localised = replace(settings, network=replace(settings.network, language=language))
        data["texts"] = {key: asdict(text) for key, text in current_texts(localised).items()}
    return {**base_context(settings, now), **data}


@dataclass(frozen=True)
class Problem:
    """``level``: ``fail`` (the file cannot be used: the built-in one is used meanwhile,
    or, for a built-in file, the mail cannot be sent) or ``warn``; ``where``: the file
    (or ``language/name``); ``text``: one sentence."""

    level: str
    where: str
    text: str

    def __str__(self) -> str:
        return f"{self.where}: {self.text}"


def _allowed_variables(renderer: Renderer, names: list[str], contexts: dict[str, dict]) -> dict[str, set[str]]:
    """For each template name, the variables an animators' file of it may read: its
    example's, and those the built-in files read; for a shared piece or a text, any."""
    allowed: dict[str, set[str]] = {}
    for name in names:
        known = set(contexts[name])
        for _part, suffix in _SUFFIXES:
            try:
                known |= renderer.variables(renderer.source(name + suffix, builtin=True).path)
            except TemplateError:
                continue
        allowed[name] = known
    everything = set().union(*allowed.values()) if allowed else set()
    return {**allowed, "": everything}


def check(settings: Settings, now: datetime, languages: tuple[str, ...] = LANGUAGES) -> list[Problem]:
    """Every problem of the templates in ``languages``: each mail and page rendered with
    its example data, each animators' file read. An animators' problem is named by its
    file; a built-in one by ``language/name``. Sorted, without repeats."""
    problems: set[Problem] = set()
    for language in languages:
        problems |= _check_language(settings, now, language)
    return sorted(problems, key=lambda p: (p.level != "fail", p.where, p.text))


def _check_language(settings: Settings, now: datetime, language: str) -> set[Problem]:
    renderer = renderer_for(settings, language)
    problems: set[Problem] = set()
    infos = [info for info in templates(settings) if language in info.languages]
    contexts = {}
    for info in infos:
        if info.kind not in ("mail", "page") or not _built_in(language, info.name):
            continue
        try:
            contexts[info.name] = example(info.name, settings, now, language)
        except TemplateError as error:
            problems.add(Problem("warn", f"{language}/{info.name}", str(error)))
            continue
        problems |= _render_problems(renderer, language, info, contexts[info.name])
    broken = {p.where for p in problems if p.level == "fail"}
    # A file that already failed when rendered is not reported again for what reading it finds.
    problems |= {p for p in _file_problems(renderer, language, contexts) if p.where not in broken}
    return problems


def _built_in(language: str, name: str) -> bool:
    return any((BUILTIN_TEMPLATES / language / (name + suffix)).exists() for _part, suffix in _SUFFIXES)


def _render_problems(renderer: Renderer, language: str, info: TemplateInfo, context: dict) -> set[Problem]:
    where = f"{language}/{info.name}"
    try:
        error = renderer.override_problem(info.name, context, page=info.kind == "page")
    except TemplateError as builtin_error:
        return {Problem("fail", where, f"the built-in template cannot be rendered: {builtin_error}")}
    if error is not None:
        return {Problem("fail", error.path or where, f"{_reason(error)}; the built-in text is used meanwhile")}
    problems = set()
    if info.kind == "mail":
        rendered = renderer.render(info.name, context)
        words = [rendered.subject, rendered.text, rendered.html or ""]
    else:
        words = [renderer.page(info.name, context)]
    if any(mark in text for text in words for mark in _LEFTOVERS):
        problems.add(Problem("warn", where, "the result still holds {{, {%, }} or %}: a tag is probably mistyped"))
    parts = info.overridden.get(language, ())
    if "txt" in parts and "html" not in parts:
        problems.add(Problem("warn", where, f"{info.name}.txt.j2 is changed but not {info.name}.html.j2: "
                                            "the mail goes without its HTML part until both say the same"))
    return problems


def _reason(error: TemplateError) -> str:
    """What is wrong and where in the file: Problem.where names the file itself."""
    return f"line {error.line}: {error.reason}" if error.line else error.reason


def _file_problems(renderer: Renderer, language: str, contexts: dict) -> set[Problem]:
    """Problems of the animators' files themselves, whether or not a mail uses them."""
    problems: set[Problem] = set()
    allowed = _allowed_variables(renderer, sorted(contexts), contexts)
    referenced: set[str] = set()
    own: list[tuple[Path, str]] = []
    for folder in renderer.override_folders():
        for file in _files(folder):
            path = folder / file
            if renderer.source(file).path.resolve() != path.resolve():
                continue  # shadowed by the same file in the language folder
            own.append((path, file))
            try:
                ast = renderer.parse(path)
            except TemplateError as error:
                problems.add(Problem("fail", str(path), f"{_reason(error)}; the built-in text is used meanwhile"))
                continue
            referenced |= {name for name in jinja2meta.find_referenced_templates(ast) if name}
            split = split_file(file)
            known = allowed.get(split[0] if split else "", allowed[""])
            unknown = sorted(jinja2meta.find_undeclared_variables(ast) - known)
            if unknown:
                problems.add(Problem("fail", str(path), f"unknown variable(s) {', '.join(unknown)}; a mail "
                                                        "that needs it gets the built-in text meanwhile"))
    for path, file in own:
        split = split_file(file)
        builtin = (BUILTIN_TEMPLATES / language / file).exists()
        new_text = file.startswith("textes/")
        if split is None:
            problems.add(Problem("warn", str(path), "not a template file (its name must end in .subject.j2, "
                                                    ".txt.j2 or .html.j2): the robot never reads it"))
        elif not builtin and not new_text and file not in referenced:
            problems.add(Problem("warn", str(path), "no built-in template has this name and no other file "
                                                    "includes it: the robot never uses it (a typing mistake?)"))
    return problems


def log_problems(settings: Settings, now: datetime) -> list[Problem]:
    """Check the configured language's templates and log each problem (the daemon's
    start-up): a broken animators' file is an error, the rest a warning."""
    problems = check(settings, now, (settings.network.language,))
    for problem in problems:
        (log.error if problem.level == "fail" else log.warning)("templates: %s", problem)
    return problems
