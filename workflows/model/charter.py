"""The versioned texts a person agrees to when joining: the charter and the privacy notice.

Each text is a template file ``templates/<lang>/textes/<name>-v<N>.txt.j2``; a new wording
is a new file with the next ``N`` (old versions stay, so that the text a consent refers to
can always be read again). The current version is the highest ``N``, looked for in the
animators' ``templates_dir`` first, then in the built-in templates. A consent records the
version and the SHA-256 of the file's bytes, so an animators' edit of a file without a new
number is still told apart.

The join confirmation includes the texts (``{% include texts.charte.template %}``); they
may use the variables ``network`` and ``pending_days``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

NAMES = ("charte", "confidentialite")
"""The charter (the network's principles) and the privacy notice (what is kept, why, who
sees it, for how long, how to leave)."""

_FILE_RE = re.compile(r"^(?P<name>[a-z]+)-v(?P<n>\d+)\.txt\.j2$")


@dataclass(frozen=True)
class Text:
    """One version of one text: ``name`` (``charte``), ``version`` (``charte-v1``),
    ``template`` (the path the renderer includes, ``textes/charte-v1.txt.j2``) and
    ``sha256`` (of the file's bytes, hex, 16 characters)."""

    name: str
    version: str
    template: str
    sha256: str

    def record(self) -> dict:
        """The form kept in a consent record."""
        return {"version": self.version, "sha256": self.sha256}


def records(texts: dict[str, Text]) -> dict[str, dict]:
    """``{name: {"version", "sha256"}}``: what a consent and a question keep of the texts."""
    return {name: text.record() for name, text in texts.items()}
