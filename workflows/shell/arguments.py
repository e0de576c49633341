"""argparse's error lines (« the following arguments are required », « invalid choice »…)
in the network's language.

argparse writes them with :func:`gettext.gettext`, the process-wide domain, which has no
French catalogue and which only a global setting could change. Our parser's
:meth:`~argparse.ArgumentParser.error` gets the English line argparse made; it is read
back against argparse's own message (the msgid in Python's ``argparse.py``, its ``%``
placeholders) and said again with ours (``{name}`` placeholders, in our catalogues). A
line argparse makes that is not in the table stays as argparse wrote it.
"""
from __future__ import annotations

import re

from workflows.shell.language import Words, catalogued

ARGPARSE_MESSAGES = (
    # (argparse's msgid, ours: its placeholders named in the same order)
    ("argument %(argument_name)s: %(message)s", catalogued("argument {argument_name}: {message}")),
    ("the following arguments are required: %s", catalogued("the following arguments are required: {arguments}")),
    ("unrecognized arguments: %s", catalogued("unrecognized arguments: {arguments}")),
    ("invalid choice: %(value)r (choose from %(choices)s)",
     catalogued("invalid choice: {value} (choose from {choices})")),
    ("invalid %(type)s value: %(value)r", catalogued("invalid {type} value: {value}")),
    ("expected one argument", catalogued("expected one argument")),
    ("expected at most one argument", catalogued("expected at most one argument")),
    ("expected at least one argument", catalogued("expected at least one argument")),
    ("expected %s argument", catalogued("expected {n} argument")),
    ("expected %s arguments", catalogued("expected {n} arguments")),
    ("not allowed with argument %s", catalogued("not allowed with argument {argument}")),
    ("one of the arguments %s is required", catalogued("one of the arguments {arguments} is required")),
    ("ignored explicit argument %r", catalogued("ignored explicit argument {value}")),
    ("ambiguous option: %(option)s could match %(matches)s",
     catalogued("ambiguous option: {option} could match {matches}")),
    ("can't open '%(filename)s': %(error)s", catalogued("cannot open '{filename}': {error}")),
)
"""argparse's error messages an operator can meet (Python 3.11's ``argparse.py``)."""

_PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[sr]")


def _pattern(argparse_message: str, ours: str) -> re.Pattern:
    """A regular expression reading a line made from ``argparse_message``, its groups
    named as ``ours``'s placeholders, in order."""
    names = iter(re.findall(r"{(\w+)", ours))
    parts, end = [], 0
    for match in _PLACEHOLDER.finditer(argparse_message):
        parts += [re.escape(argparse_message[end:match.start()]), f"(?P<{next(names)}>.*?)"]
        end = match.end()
    return re.compile("".join(parts) + re.escape(argparse_message[end:]), re.DOTALL)


def argparse_said(line: str, say: Words) -> str:
    """``line``, an error message argparse made in English, in ``say``'s language (an
    ``argument X: …`` wrapper and what it wraps both); unchanged when argparse made it
    from a message not in :data:`ARGPARSE_MESSAGES`. A value quoted with ``%r`` keeps
    its quotes."""
    for argparse_message, ours in ARGPARSE_MESSAGES:
        match = _pattern(argparse_message, ours).fullmatch(line)
        if match:
            values = match.groupdict()
            if "message" in values:
                values["message"] = argparse_said(values["message"], say)
            return say(ours, **values)
    return line
