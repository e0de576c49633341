"""A text said to the operator, in English and in the operator's language.

Some texts are made where the network's language is unknown or cannot be imported: a
configuration's problems (:mod:`config.settings`, whose checks run before the language,
one of the keys they check, is known), a file's failure (:func:`workflows.shell.errors.os_problem`).
A :class:`Said` keeps the English message it was made of, with its ``{name}``
placeholders and values, so that the command that shows it says it in the network's
language (``workflows.shell.language``, whose catalogues ``pybabel extract`` fills from the
``Said("…")`` calls: babel.cfg).
"""
from __future__ import annotations

from typing import Callable


class Said(str):
    """The English text (a ``str``: compared, joined, searched and logged as any text),
    made from ``message`` (``{name}`` placeholders) filled from ``values``; a value that is
    itself a :class:`Said` (a line number, a reason) is said in the same language
    (:meth:`said`)."""

    message: str
    values: dict

    def __new__(cls, message: str, /, **values) -> Said:
        self = super().__new__(cls, message.format(**values) if values else message)
        self.message, self.values = message, values
        return self

    def said(self, say: Callable[..., str]) -> str:
        """The text in the language of ``say`` (a ``workflows.shell.language.Words``)."""
        values = {name: said(value, say) for name, value in self.values.items()}
        return say(self.message, **values)


def said(text, say: Callable[..., str]):
    """``text`` in ``say``'s language when it is a :class:`Said`, else as it is (a text
    made elsewhere: a server's words, a path)."""
    return text.said(say) if isinstance(text, Said) else text
