"""The templates as the animators see them: names, languages, their own files, checks.

The robot's texts are the built-in files of ``templates/<lang>/`` and, taking precedence,
the animators' files in ``[network] templates_dir`` (``<dir>/<lang>/`` then ``<dir>/``);
:class:`workflows.mail.render.Renderer` renders them. This module is what
``rers templates``, ``rers doctor`` and the daemon's start-up use to look at them:

- :func:`templates` lists every template (a mail, a web page, a shared piece, a
  versioned text), in which languages it exists, and which of its files are the
  animators';
- :func:`check` renders every template in every language with its example data
  (``templates/examples/<name>.json``) and reads every animators' file, and returns the
  :class:`Problem` s found: a broken file (syntax, unknown variable, an operation the
  sandbox refuses) is a ``fail`` — the very verdict the renderer reaches before using
  their files (:meth:`Renderer.problems`), so a file reported broken is never sent —;
  something that is probably not meant (a folder that does not exist, a file the robot
  never reads or never uses, a text changed without its HTML part) a ``warn``;
- :func:`in_use` is the file a mail really uses, and why when it is not theirs;
- :func:`base_context` is what every template gets besides its own data.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import meta as jinja2meta

from config.settings import Settings
from workflows.model.said import Said
from workflows.shell.language import Words
from workflows.mail.render import (
    BUILTIN_TEMPLATES,
    PARTS,
    Renderer,
    Source,
    TemplateError,
    base_context,
    example_context,
    example_data,
    split_file,
)

log = logging.getLogger(__name__)

LANGUAGES = ("fr", "en")
_SUFFIXES = tuple((part, f".{part}.j2") for part in PARTS)
_LEFTOVERS = ("{{", "{%", "}}", "%}")
_MISNAMED = (".txt", ".html", ".htm")
"""How a template file ends when an editor added an extension or one was dropped."""


def renderer_for(settings: Settings, language: str | None = None) -> Renderer:
    """The renderer the robot uses, in ``language`` (default: the configured one)."""
    network = settings.network
    return Renderer(language or network.language, network.templates_dir, network.timezone)


def folder_problem(settings: Settings) -> Said | None:
    """What is wrong with the animators' folder itself (``[network] templates_dir``): it
    does not exist, or is not a folder; None when it is fine or not configured."""
    folder = settings.network.templates_dir
    if folder is None or folder.is_dir():
        return None
    if folder.exists():
        return Said("the animators' folder is not a folder: their texts are ignored and the robot sends its own "
                    "(create it, or correct [network] templates_dir in rers.toml)")
    return Said("the animators' folder does not exist: their texts are ignored and the robot sends its own "
                "(create it, or correct [network] templates_dir in rers.toml)")


def _files(folder: Path, pattern: str = "*.j2") -> list[str]:
    """The template files under ``folder`` (or the files matching ``pattern``), as names
    relative to it (``textes/x.txt.j2``), leaving out the language folders of an
    animators' root folder."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob(pattern)):
        if not path.is_file():
            continue
        relative = path.relative_to(folder)
        if relative.parts[0] in LANGUAGES and len(relative.parts) > 1 and folder.name not in LANGUAGES:
            continue
        found.append(relative.as_posix())
    return found


@dataclass(frozen=True)
class TemplateInfo:
    """One template: ``name`` (``join_ack``, ``_footer``, ``textes/charte-v1``,
    ``catalogue_page``), ``kind`` (``mail``, ``page``, ``piece``, ``text``),
    ``languages`` it exists in (built in or the animators'), ``overridden``:
    ``{language: parts that are the animators' files}``, and ``broken``: those of them
    that cannot be read whatever the data (not UTF-8, a syntax error, an unknown
    variable: :meth:`Renderer.file_problem`), replaced by the built-in text."""

    name: str
    kind: str
    languages: tuple[str, ...]
    overridden: dict[str, tuple[str, ...]]
    broken: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _kind(name: str, parts: set[str]) -> str:
    if name.startswith("textes/"):
        return "text"
    if name.rsplit("/", 1)[-1].startswith("_"):
        return "piece"
    return "mail" if "subject" in parts else "page"


def builtin_names() -> set[str]:
    """The names of the built-in templates, in any language (``join_ack``, ``_footer``,
    ``textes/charte-v1``)."""
    return {split[0] for language in LANGUAGES for file in _files(BUILTIN_TEMPLATES / language)
            if (split := split_file(file)) is not None}


def templates(settings: Settings) -> list[TemplateInfo]:
    """Every template, built in or the animators', sorted by name."""
    parts: dict[str, set[str]] = {}
    languages: dict[str, set[str]] = {}
    overridden: dict[str, dict[str, list[str]]] = {}
    broken: dict[str, dict[str, list[str]]] = {}
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
                        if renderer.file_problem(folder / file, file) is not None:
                            broken.setdefault(name, {}).setdefault(language, []).append(part)

    def in_order(by_language: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
        return {lang: tuple(p for p in PARTS if p in found) for lang, found in by_language.items()}

    return [
        TemplateInfo(name, _kind(name, parts[name]), tuple(l for l in LANGUAGES if l in languages[name]),
                     in_order(overridden.get(name, {})), in_order(broken.get(name, {})))
        for name in sorted(parts)
    ]


def around(settings: Settings, now: datetime, language: str | None = None) -> dict[str, Any]:
    """What a mail's context holds besides its own data, as the robot would give it:
    :func:`base_context` and the current versioned texts (``texts``) in ``language``."""
    from workflows.shell.resources import current_texts

    localised = replace(settings, network=replace(settings.network, language=language or settings.network.language))
    try:
        texts = {key: asdict(text) for key, text in current_texts(localised).items()}
    except FileNotFoundError:  # a broken installation: the examples keep theirs
        return base_context(settings, now)
    return {**base_context(settings, now), "texts": texts}


def example(name: str, settings: Settings, now: datetime, language: str | None = None) -> dict[str, Any]:
    """The context ``name`` is rendered with for a preview or a check: its example data
    (``templates/examples/<name>.json``) over :func:`around`
    (:func:`workflows.mail.render.example_context`). Raises :class:`TemplateError`
    when ``name`` has no example."""
    return example_context(name, around(settings, now, language))


@dataclass(frozen=True)
class Problem:
    """``level``: ``fail`` (the file cannot be used: the built-in one is used meanwhile,
    or, for a built-in file, the mail cannot be sent) or ``warn``; ``where``: the file
    (or ``language/name``); ``text``: one sentence (English as a ``str``, for the log; said
    in the operator's language by :meth:`said`); ``reason``: of a broken animators' file,
    what is wrong in it (``text`` adds that the built-in text is used meanwhile)."""

    level: str
    where: str
    text: Said
    reason: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.where}: {self.text}"

    def said(self, say: Words) -> str:
        """« where: text » in ``say``'s language."""
        return say("{where}: {text}", where=self.where, text=self.text)


def check(settings: Settings, now: datetime, languages: tuple[str, ...] = LANGUAGES) -> list[Problem]:
    """Every problem of the templates in ``languages``: each mail and page rendered with
    its example data, each animators' file read. An animators' problem is named by its
    file; a built-in one by ``language/name``. Sorted, without repeats."""
    problems: set[Problem] = set()
    folder = folder_problem(settings)
    if folder:
        problems.add(Problem("warn", str(settings.network.templates_dir), folder))
    for language in languages:
        problems |= _check_language(settings, now, language)
    return sorted(problems, key=lambda p: (p.level != "fail", p.where, p.text))


def _check_language(settings: Settings, now: datetime, language: str) -> set[Problem]:
    renderer = renderer_for(settings, language)
    context = around(settings, now, language)
    problems: set[Problem] = set()
    for info in templates(settings):
        if language in info.languages and info.kind in ("mail", "page") and _built_in(language, info.name):
            problems |= _render_problems(renderer, language, info, context)
    broken = {p.where for p in problems if p.level == "fail"}
    # A file a mail already found broken is not reported again for what reading it finds.
    problems |= {p for p in _file_problems(renderer, language) if p.where not in broken}
    return problems


def _built_in(language: str, name: str) -> bool:
    return any((BUILTIN_TEMPLATES / language / (name + suffix)).exists() for _part, suffix in _SUFFIXES)


def _render_problems(renderer: Renderer, language: str, info: TemplateInfo, context: dict) -> set[Problem]:
    where = f"{language}/{info.name}"
    page = info.kind == "page"
    try:
        errors = renderer.problems(info.name, context, page)
    except TemplateError as builtin_error:
        return {_not_rendered(where, builtin_error)}
    if errors:
        return {_broken(error, where) for error in errors}
    if example_data(info.name) is None:
        return {Problem("warn", where, Said("no example data for {name} (templates/examples/{name}.json)",
                                            name=info.name))}
    problems = set()
    data = example_context(info.name, context)
    try:
        if page:
            words = [renderer.page(info.name, data)]
        else:
            rendered = renderer.render(info.name, data)
            words = [rendered.subject, rendered.text, rendered.html or ""]
    except TemplateError as builtin_error:
        return {_not_rendered(where, builtin_error)}
    if any(mark in text for text in words for mark in _LEFTOVERS):
        problems.add(Problem("warn", where, Said("the result still holds {marks}: a tag is probably mistyped",
                                                 marks=", ".join(_LEFTOVERS))))
    parts = info.overridden.get(language, ())
    if "txt" in parts and "html" not in parts:
        problems.add(Problem("warn", where, Said("{name}.txt.j2 is changed but not {name}.html.j2: the mail goes "
                                                 "without its HTML part until both say the same", name=info.name)))
    return problems


def _not_rendered(where: str, error: TemplateError) -> Problem:
    return Problem("fail", where, Said("the built-in template cannot be rendered: {error}", error=str(error)))


def _reason(error: TemplateError) -> Said:
    """What is wrong and where in the file (Problem.where names the file itself): a
    sentence in the operator's language first, then jinja2's own words as it says them
    (for whoever mends the file: the names of its tags are English); a file not saved in
    UTF-8 says which byte and where."""
    if error.undecoded:
        byte, line, position = error.undecoded
        return Said("not saved in UTF-8 (byte {byte} on line {line}, position {position}); save it in UTF-8",
                    byte="0x" + format(byte, "02X"), line=line, position=position)
    if error.line:
        return Said("line {line}: the template stops here ({reason})", line=error.line, reason=error.reason)
    return Said("the template cannot be used ({reason})", reason=error.reason)


def _broken(error: TemplateError, where: str) -> Problem:
    """The ``fail`` of an animators' file the renderer leaves out (``where``: the mail,
    when the error names no file)."""
    reason = _reason(error)
    return Problem("fail", error.path or where, Said("{reason}; the built-in text is used meanwhile", reason=reason),
                   reason)


def _file_problems(renderer: Renderer, language: str) -> set[Problem]:
    """Problems of the animators' files themselves, whether or not a mail uses them."""
    problems: set[Problem] = set()
    referenced: set[str] = set()
    own: list[tuple[Path, str]] = []
    for folder in renderer.override_folders():
        for file in _files(folder):
            path = folder / file
            if renderer.source(file).path.resolve() != path.resolve():
                continue  # shadowed by the same file in the language folder
            own.append((path, file))
            error = renderer.file_problem(path, file)
            if error is not None:
                problems.add(_broken(error, str(path)))
            try:
                referenced |= {name for name in jinja2meta.find_referenced_templates(renderer.parse(path)) if name}
            except TemplateError:
                continue
    for path, file in own:
        split = split_file(file)
        builtin = (BUILTIN_TEMPLATES / language / file).exists()
        new_text = file.startswith("textes/")
        if split is None:
            problems.add(Problem("warn", str(path), Said("not a template file (its name must end in .subject.j2, "
                                                         ".txt.j2 or .html.j2): the robot never reads it")))
        elif not builtin and not new_text and file not in referenced:
            problems.add(Problem("warn", str(path), Said("no built-in template has this name and no other file "
                                                         "includes it: the robot never uses it (a typing mistake?)")))
    return problems | _misnamed(renderer, language)


def _misnamed(renderer: Renderer, language: str) -> set[Problem]:
    """The animators' files named like a template but ending in ``.txt``, ``.html``…
    (``join_ack.txt.j2.txt``: an editor added an extension): the robot never reads them."""
    names = {split[0].rsplit("/", 1)[-1] for split in map(split_file, _files(BUILTIN_TEMPLATES / language)) if split}
    problems = set()
    for folder in renderer.override_folders():
        for file in _files(folder, "*"):
            if file.endswith(_MISNAMED) and Path(file).name.split(".", 1)[0] in names:
                problems.add(Problem("warn", str(folder / file), Said(
                    "the robot never reads this file: only names ending in .subject.j2, .txt.j2 or .html.j2 count "
                    "(did the editor add or drop an extension?)")))
    return problems


def in_use(settings: Settings, renderer: Renderer, file: str, now: datetime) -> tuple[Source, Said | None]:
    """The file ``file`` (``join_ack.txt.j2``) the robot really uses in ``renderer``'s
    language and, when the built-in one replaces the animators', why (naming their
    broken file). The verdict is the renderer's for a part of a mail or a page
    (:meth:`Renderer.problems`: a mail is never half theirs), :func:`check`'s for a
    shared piece or a text. Raises :class:`TemplateError` when there is no such file."""
    source = renderer.source(file)
    if not source.overridden:
        return source, None  # a built-in file is what every mail reads, theirs or not
    split = split_file(file)
    name = split[0] if split else file
    info = next((i for i in templates(settings) if i.name == name), None)
    if info is not None and info.kind in ("mail", "page") and example_data(name) is not None:
        context = around(settings, now, renderer.language)
        problems = [_broken(error, str(source.path)) for error in renderer.problems(name, context, info.kind == "page")]
    else:
        problems = [p for p in _check_language(settings, now, renderer.language)
                    if p.level == "fail" and p.where == str(source.path)]
    if not problems:
        return source, None
    where, reason = problems[0].where, problems[0].reason or problems[0].text
    why = (Said("the animators' file {path} is not used: {reason}", path=source.path, reason=reason)
           if where == str(source.path) else
           Said("the animators' file {path} is not used while {where} is broken: {reason}", path=source.path,
                where=where, reason=reason))
    try:
        return renderer.source(file, builtin=True), why
    except TemplateError:  # no built-in file of this name: nothing replaces it
        return source, Said("{why}; there is no built-in text to replace it", why=why)


def log_problems(settings: Settings, now: datetime) -> list[Problem]:
    """Check the configured language's templates and log each problem (the daemon's
    start-up): a broken animators' file is an error, the rest a warning."""
    problems = check(settings, now, (settings.network.language,))
    for problem in problems:
        (log.error if problem.level == "fail" else log.warning)("templates: %s", problem)
    return problems
