"""What the steps need from files, read by the shell: the current versions of the charter
and the privacy notice (with their SHA-256), and the synonyms file of matching.
"""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from config.settings import Settings
from store import Store
from workflows.mail.render import BUILTIN_TEMPLATES
from workflows.model.charter import _FILE_RE, NAMES, Text
from workflows.model.matching import (DEFAULT_MIN_SCORE, BUILTIN_DOMAINS, BUILTIN_FAMILIES, BUILTIN_SIBLINGS, BUILTIN_SYNONYMS, Analyzer, MatchIndex,
                                      parse_domains, parse_synonyms, score_titles)
from workflows.shell.lexicon import Lexicon
from workflows.shell.synonyms import read_animators
from workflows.steps.matcher import Matcher

log = logging.getLogger(__name__)


def _folders(settings: Settings) -> list[Path]:
    language = settings.network.language
    override = settings.network.templates_dir
    folders = [Path(override) / language / "textes", Path(override) / "textes"] if override else []
    return [*folders, BUILTIN_TEMPLATES / language / "textes"]


def current_texts(settings: Settings) -> dict[str, Text]:
    """``{name: Text}`` for each of :data:`NAMES`, at its highest version. Raises
    FileNotFoundError when a text has no file at all (a broken installation)."""
    found: dict[str, tuple[int, Path]] = {}
    for folder in reversed(_folders(settings)):  # built-in first: an override of the same N wins
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            match = _FILE_RE.match(path.name)
            if match and match.group("name") in NAMES:
                number = int(match.group("n"))
                if number >= found.get(match.group("name"), (0, None))[0]:
                    found[match.group("name")] = (number, path)
    texts = {}
    for name in NAMES:
        if name not in found:
            raise FileNotFoundError(f"no text textes/{name}-v<N>.txt.j2 in {', '.join(map(str, _folders(settings)))}")
        number, path = found[name]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        texts[name] = Text(name, f"{name}-v{number}", f"textes/{path.name}", digest)
    return texts


def read_synonyms(extra: Path | None = None) -> list[tuple[str, ...]]:
    """The built-in groups, then those of the sound lines of ``extra`` (the animators'
    file) when given: a file that cannot be read, or its bad lines, are left out
    (:func:`workflows.shell.synonyms.read_animators` says what).

    Raises ``OSError``/``ValueError`` only when the built-in file is unreadable or
    malformed (a broken installation).
    """
    return read_groups(BUILTIN_SYNONYMS) + list(read_animators(extra).groups)


def read_domains(folder: Path = BUILTIN_DOMAINS) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The domains of the built-in domain files, every ``*.txt`` of ``folder`` in name
    order (see :func:`workflows.model.matching.parse_domains`). Raises ``ValueError``
    naming the file and line of a malformed one."""
    return [domain for path in sorted(folder.glob("*.txt"))
            for domain in parse_domains(path.read_text(encoding="utf-8"), f"domaines/{path.name}")]


def read_groups(path: Path) -> list[tuple[str, ...]]:
    """The groups of a built-in data file of the synonyms' format (see
    :func:`workflows.model.matching.parse_synonyms`)."""
    return parse_synonyms(path.read_text(encoding="utf-8"), path.name)


def analyzer(extra: Path | None = None, *, meaning: bool = True, lexicon: Lexicon | None = None) -> Analyzer:
    """The matching analyzer: the built-in synonyms and ``extra`` (the animators' file),
    and — with ``meaning`` — the lexicon (``lexicon``, default a new lazy one over the
    installed package) with the word families and sibling topics of ``workflows/data``.
    ``extra``'s problems leave its bad lines out (:func:`read_synonyms`); raises
    ``OSError``/``ValueError`` when a built-in file is unreadable or malformed."""
    if not meaning:
        return Analyzer(read_synonyms(extra))
    return Analyzer(read_synonyms(extra), lexicon if lexicon is not None else Lexicon(),
                    families=read_groups(BUILTIN_FAMILIES), siblings=read_groups(BUILTIN_SIBLINGS),
                    domains=read_domains())


def analyzer_for(settings: Settings) -> Analyzer:
    """The analyzer of the configuration (built-in synonyms + the sound lines of
    ``[matching] synonyms_file``, meanings). Raises as :func:`analyzer`."""
    return analyzer(settings.matching.synonyms_file)


LEXICON_KEY = "lexicon"
"""The :meth:`store.Store.derived` name of the :class:`Lexicon` a store's matcher uses: a
new one for each store by default; a host of many networks puts its one shared lexicon
there first (the lexicon is the package's read-only data, the same for every network)."""


def matcher_for(settings: Settings, store: Store) -> Matcher:
    """The matcher of ``store``, kept in memory for the store object's life
    (:meth:`store.Store.derived`) and made again when the synonyms file changes (its
    modification time is part of the key); its lexicon is the store's
    :data:`LEXICON_KEY`. What the synonyms file's reading leaves out is logged (a
    warning) when the matcher is made: once for each version of the file."""
    path = settings.matching.synonyms_file
    try:
        stamp = path.stat().st_mtime_ns if path else 0
    except OSError:
        stamp = -1

    def made() -> Matcher:
        for problem in read_animators(path).problems:
            log.warning("matching: %s", problem)
        return Matcher(MatchIndex(analyzer(path, lexicon=store.derived(LEXICON_KEY, Lexicon))))

    return store.derived(f"matching:{path}:{stamp}", made)


def score_text(settings: Settings | None, offer_title: str, demand_title: str) -> dict:
    """``rers match --score``: ``{"score": 0.0-1.0, "proposed": bool, "why": [French lines]}``
    for two titles, against ``[matching] min_score`` (whether they would be proposed if
    both were open items of two free members). ``settings`` None: the built-in defaults
    (outside a network's folder)."""
    score = score_titles(analyzer_for(settings) if settings is not None else analyzer(), offer_title, demand_title)
    minimum = settings.matching.min_score if settings is not None else DEFAULT_MIN_SCORE
    return {"score": score.score, "proposed": score.score >= minimum and bool(score.matches),
            "why": score.why(minimum)}
