"""A text said to the operator, in English and in the operator's language.

Some texts are made where the network's language is unknown or cannot be imported: a
configuration's problems (:mod:`config.settings`, whose checks run before the language,
one of the keys they check, is known), a file's failure (:func:`workflows.shell.errors.os_problem`).
A :class:`Said` keeps the English message it was made of, with its ``{name}``
placeholders and values, so that the command that shows it says it in the network's
language (``workflows.shell.language``, whose catalogues ``pybabel extract`` fills from the
``Said("…")`` calls: babel.cfg).

It is the one way an English text is carried to the operator: an exception said to them
carries a :class:`Said` as its message (:func:`said_of`) — a step's refusal
(``workflows.decision.Refused``), a command's ``UserError``, a server's or the store's
error (``MailboxError``, ``TransportError``, ``StoreError``, ``SecretMissing``) — and a
text kept in the store to be said later (the last cycle's failure, a mail given up: `rers
status`) is kept as its data (:func:`kept`, :func:`unkept`).
"""
from __future__ import annotations

from typing import Callable

LANGUAGES = ("fr", "en")
"""The languages the robot speaks (its catalogues and templates): a network's
``[network] language``, a member's ``language``."""


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

    def data(self) -> dict:
        """The text as JSON data: ``{"said": message, "values": {...}}`` (a value that is
        not a number, a :class:`Said` or None kept as its text)."""
        return {"said": self.message, "values": {name: kept(value) for name, value in self.values.items()}}


class Label(Said):
    """One word of a table (a status, a source, a reason kept in the store), said in its
    ``context`` (« introduction », « group »…: gettext's ``msgctxt``): the same English
    word reads differently by what it qualifies (an introduction « expirée », a group
    « expiré »)."""

    context: str

    def __new__(cls, context: str, message: str, /) -> Label:
        self = super().__new__(cls, message)
        self.context = context
        return self

    def said(self, say) -> str:
        """The word in the language of ``say`` (a ``workflows.shell.language.Words``)."""
        return say.label(self.context, self.message)

    def data(self) -> dict:
        """As :meth:`Said.data`, with its ``context``."""
        return {"said": self.message, "context": self.context, "values": {}}


def labelled(table, code):
    """``code`` (a store's word: a status, a reason) as its :class:`Label` of ``table``
    (a mapping of codes to labels), or the code itself when the table has none (a word
    written by an older version)."""
    return table.get(code, code) if code is not None else code


def joined(texts: list[str]) -> str:
    """``texts`` (at least one; :class:`Said` or not) joined by « ; » as one text, each
    said in the language of whoever shows it: several outcomes of one message."""
    whole = texts[0]
    for text in texts[1:]:
        whole = Said("{before}; {after}", before=whole, after=text)
    return whole


def said(text, say: Callable[..., str]):
    """``text`` in ``say``'s language when it is a :class:`Said`, else as it is (a text
    made elsewhere: a server's words, a path)."""
    return text.said(say) if isinstance(text, Said) else text


def said_of(error: BaseException) -> str:
    """The text of an exception: the :class:`Said` it carries as its message (said in the
    operator's language when shown), else its English ``str()``."""
    text = error.args[0] if len(error.args) == 1 else None
    return text if isinstance(text, Said) else str(error)


def kept(text):
    """``text`` as data for the store (JSON): a :class:`Said`'s :meth:`Said.data`, a number
    or None as it is, anything else as its text. :func:`unkept` makes it again."""
    if isinstance(text, Said):
        return text.data()
    return text if text is None or isinstance(text, (int, float)) else str(text)


def unkept(data):
    """What :func:`kept` stored: a :class:`Said` again (said in the language of whoever
    shows it), or the text, number or None as it was."""
    if isinstance(data, dict) and "context" in data:
        return Label(data["context"], data["said"])
    if isinstance(data, dict) and "said" in data:
        return Said(data["said"], **{name: unkept(value) for name, value in data.get("values", {}).items()})
    return data
