"""The animators' synonyms file (``[matching] synonyms_file``), read so that it never stops
the robot.

A file that cannot be read adds nothing, a line that cannot be used (not UTF-8 text, one
entry only: :func:`workflows.model.matching.synonym_lines`) is left out, and so is an entry
made only of words the robot ignores (« apprendre, cours, atelier »:
:func:`workflows.model.matching.knowledge_groups`); the built-in
synonyms and the file's sound lines serve meanwhile, as the built-in text replaces a
broken animators' template. What is left out is said: by `rers doctor` (a warning), in
the log once for each version of the file (:func:`workflows.shell.resources.matcher_for`),
by `rers status` and by `rers match --score`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workflows.model.matching import knowledge_groups, synonym_lines
from workflows.model.said import Said
from workflows.model.system import reading_reason


@dataclass(frozen=True)
class Synonyms:
    """The animators' file as read: ``groups`` of its sound lines (entries as written),
    and ``problems``: one English :class:`Said` per thing left out, naming the file (and
    the line), said in the operator's language by :meth:`Said.said`."""

    groups: tuple[tuple[str, ...], ...] = ()
    problems: tuple[Said, ...] = ()


def read_animators(path: Path | None) -> Synonyms:
    """The animators' synonyms file at ``path`` (None: not configured: nothing). Never
    raises: a file that cannot be read is one problem (« cannot read », with the
    system's reason) and no group; each bad line is one problem and is left out (more than
    :data:`MAX_LINES_SAID` lines that are not UTF-8 text: one problem for the whole file), each
    group of generic words too (:func:`workflows.model.matching.knowledge_groups`)."""
    if path is None:
        return Synonyms()
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        return Synonyms(problems=(Said("cannot read the synonyms file {path}: {reason}; the built-in synonyms are used "
                                       "meanwhile", path=str(path), reason=reading_reason(error)),))
    groups, lines = synonym_lines(data)
    groups, generic = knowledge_groups(groups)
    said: tuple[Said, ...] = ()
    not_text = [line for line in lines if "byte" in line.values]  # not UTF-8 text: the byte is named
    if len(not_text) > MAX_LINES_SAID:
        # Another kind of file (a picture, a spreadsheet): said once, not once a line, nor
        # its other lines' faults (random bytes that happen to be UTF-8 have no comma).
        lines = []
        said = (Said("the synonyms file {path}: {count} lines are not saved in UTF-8, the first line {line}; is it a "
                     "text file? They are left out; save the file in UTF-8", path=str(path), count=len(not_text),
                     line=not_text[0].values["line"]),)
    return Synonyms(tuple(groups), said + tuple(
        Said("the synonyms file {path}, {problem}. This line is left out; the built-in synonyms and the file's other "
             "lines are used", path=str(path), problem=problem) for problem in lines) + tuple(
        Said("the synonyms file {path}, {problem}; its other groups are used", path=str(path), problem=problem)
        for problem in generic))


MAX_LINES_SAID = 3
"""More lines than this that are not UTF-8 text are said in one line (:func:`read_animators`)."""
