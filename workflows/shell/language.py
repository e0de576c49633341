"""The operator's words in the network's language (``[network] language``, French by
default, French without a configuration): `rers status`, `rers doctor`, the demo, every
command's lines and errors.

The catalogues are gettext's, kept with Babel's standard tools (``make catalogues``:
``pybabel extract`` with ``babel.cfg``, ``update``, ``compile``) in ``workflows/locale/``;
the compiled ``.mo`` files are committed beside their ``.po``
(``tests/unit/test_catalogues.py`` checks they are complete and up to date). Messages
are written in English in the code, with ``{name}`` placeholders filled after the
translation: ``say("{n} mail(s) sent", n=3)``, and ``say.plural("one mail", "{n} mails",
n)`` where the languages count differently.

No module holds the translation: each command asks :func:`words_for` for a
:class:`Words` and passes it down (reading a catalogue is cached by :mod:`gettext`).
"""
from __future__ import annotations

import gettext
from pathlib import Path
from types import MappingProxyType

from workflows.model.said import LANGUAGES, said

LOCALE = Path(__file__).resolve().parents[1] / "locale"
"""``workflows/locale/<language>/LC_MESSAGES/rers.mo``."""
DOMAIN = "rers"
DEFAULT = "fr"


class Words:
    """The messages of one language (``fr`` or ``en``; raises ``ValueError`` for another,
    ``OSError`` when its compiled catalogue is missing from the installation)."""

    def __init__(self, language: str = DEFAULT):
        if language not in LANGUAGES:
            raise ValueError(f"no catalogue for language {language!r}")
        self.language = language
        self._catalogue = gettext.translation(DOMAIN, LOCALE, languages=[language])

    def __call__(self, message: str, /, **values) -> str:
        """``message`` translated, its ``{name}`` placeholders filled from ``values`` (a
        :class:`workflows.model.said.Said` among them said in this language too)."""
        text = self._catalogue.gettext(message)
        return text.format(**{name: said(value, self) for name, value in values.items()}) if values else text

    def label(self, context: str, message: str, /) -> str:
        """``message`` translated in ``context`` (gettext's ``pgettext``: a
        :class:`workflows.model.said.Label`)."""
        return self._catalogue.pgettext(context, message)

    def plural(self, singular: str, plural: str, n: int, /, **values) -> str:
        """The form of ``n`` (``{n}`` is filled too)."""
        values = {name: said(value, self) for name, value in values.items()}
        return self._catalogue.ngettext(singular, plural, n).format(n=n, **values)


def catalogued(message: str) -> str:
    """``message`` itself: marks a message kept in a table and said later, so that
    ``pybabel extract`` finds it (gettext's « noop »)."""
    return message


MEMBER_STATUS = MappingProxyType({"confirmed": catalogued("confirmed"), "pending": catalogued("pending")})
"""A member's status as the operator reads it, through :class:`Words` (the store keeps the code word)."""
ITEM_STATUS = MappingProxyType({"open": catalogued("open"), "held": catalogued("held"),
                                "paused": catalogued("paused"), "closed": catalogued("closed")})
"""An offer's or a demand's status as the operator reads it."""


def words_for(settings=None) -> Words:
    """The words of a network's settings (:class:`config.settings.Settings`), French
    without settings."""
    return Words(settings.network.language if settings is not None else DEFAULT)


def words_for_error(error) -> Words:
    """The words to say a :class:`config.settings.ConfigError` in: the language its file
    gives, French when it gives none that can be read."""
    return Words(error.language or DEFAULT)
