"""One problem of a configuration, in English and in the operator's language.

The checks of :mod:`config.settings` run before the network's language is known (it is
one of the keys they check): each problem keeps the English message it was made of, with
its ``{name}`` placeholders and values, so that the command that shows it says it in the
network's language (``workflows.shell.language``, whose catalogues ``pybabel extract``
fills from the ``ConfigProblem("…")`` calls).
"""
from __future__ import annotations

from typing import Callable


class ConfigProblem(str):
    """The English text of one problem (a ``str``: compared, joined and searched as any
    text), made from ``message`` (``{name}`` placeholders) filled from ``values``; a value
    that is itself a :class:`ConfigProblem` (a line number, a reason) is said in the same
    language (:meth:`said`)."""

    message: str
    values: dict

    def __new__(cls, message: str, /, **values) -> ConfigProblem:
        self = super().__new__(cls, message.format(**values) if values else message)
        self.message, self.values = message, values
        return self

    def said(self, say: Callable[..., str]) -> str:
        """The text in the language of ``say`` (a ``workflows.shell.language.Words``)."""
        values = {name: value.said(say) if isinstance(value, ConfigProblem) else value
                  for name, value in self.values.items()}
        return say(self.message, **values)

