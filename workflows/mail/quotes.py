"""Separating what the sender wrote from what they quoted, forwarded or signed.

Rules, from the clients people use (see tests/messages/ for one example of each):

- ``>`` lines (any client, RFC 3676 quoting), with the attribution line above them.
- Attribution lines: Gmail ``Le lun. 23 nov. 2026 à 09:41, X <x@y> a écrit :`` (often
  wrapped on two lines), Apple Mail ``Le 7 déc. 2026 à 10:12, X a écrit :``,
  Thunderbird ``Le 09/12/2026 à 08:00, X a écrit :``, Yahoo (indented, quote not
  prefixed), English ``On … wrote:``. Without ``>`` below, all that follows is quoted.
- Outlook desktop and on the web: the ``De : / Envoyé : / À : / Objet :`` block (French
  or English, with or without ``>``, after a ``____`` line or not), ``-----Message
  d'origine-----``, Orange's ``Message du …``.
- Forwards (``TR :``, ``Fwd:``, ``---------- Forwarded message ---------``, ``Début du
  message réexpédié :``): the forwarded content is kept as content, its header block
  removed.
- Signatures and closings: ``-- ``, "Envoyé de mon iPhone" and the like, legal
  disclaimers, "Cordialement"-type closings near the end, and a last line that is the
  sender's own name.

Everything works on ``\\n``-separated lines; nothing raises.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from workflows.mail.textutil import fold, squash_spaces

_ATTRIBUTION_RE = re.compile(
    r"^(?:le|on|el|am|il giorno)\b.{0,250}?\b(?:a ecrit|ont ecrit|wrote|escribio|schrieb|ha scritto)\s*:?$"
)
_HEADER_FROM_RE = re.compile(r"^\**\s*(?:de|from|exp[ée]diteur|envoye par)\s*\**\s*:")
_HEADER_OTHER_RE = re.compile(
    r"^\**\s*(?:envoye|envoye le|date|sent|objet|subject|a|to|cc|pour|copie a|destinataire)\s*\**\s*:"
)
_SEPARATOR_RE = re.compile(
    r"^(?:-{2,}\s*(?:original message|message d'origine|message original|forwarded message"
    r"|message transfere|mail transfere|message transmis|courriel original)\s*-{2,}"
    r"|_{8,}|-{20,}"
    r"|debut du message reexpedie\s*:?|begin forwarded message\s*:?"
    r"|message du \d{1,2}/\d{1,2}/\d{2,4}.*"
    r"|-+\s*(?:message transfere|forwarded message)\s*-*.*)$"
)
_FORWARD_SEPARATOR_RE = re.compile(
    r"(?:forwarded message|message transfere|mail transfere|message transmis|message reexpedie"
    r"|begin forwarded)"
)
_SIGNATURE_RE = re.compile(
    r"^(?:--|-- |—|__)$"
    r"|^(?:envoye|envoyee|sent|expedie) (?:de|depuis|from|a partir de|avec|with|par) (?:mon|ma|my|l'|un|une|votre)\b"
    r"|^(?:telecharger|get) outlook (?:pour|for)\b"
    r"|^provenance\s*:\s*courrier pour windows"
    r"|^(?:ce message et|ce message \(|ce courriel|ce message est (?:confidentiel|strictement)|ce e-?mail"
    r"|cet e-?mail et|cet e-?mail est|le present (?:message|courriel)|ce message electronique"
    r"|les informations contenues dans ce|this (?:e-?mail|message) and|this (?:e-?mail|message) is confidential"
    r"|confidentiality notice|avis de confidentialite|avertissement\s*:|disclaimer\s*:"
    r"|pensez a l'environnement|merci de penser a l'environnement|avant d'imprimer"
    r"|please consider the environment|p please consider|cet e-?mail a ete envoye via)"
)
_CLOSING_RE = re.compile(
    r"^(?:(?:bien |tres |tres bien |bien a vous,? )?cordialement|cdlt|cdt|slts"
    r"|bien a (?:vous|toi)|(?:sinceres |meilleures |mes )?salutations(?: distinguees)?"
    r"|respectueusement|amicalement|amities|bien amicalement|bises|bisous|a bientot|a tres bientot"
    r"|bonne (?:journee|soiree|fin de journee|semaine|continuation)|belle journee"
    r"|merci(?: beaucoup| bien| d'avance| par avance| encore| a vous| pour tout| pour votre aide"
    r"| de votre aide| pour votre reponse| de votre reponse)?"
    r"|(?:best |kind |warm )?regards|thanks|thank you|cheers"
    r")"
    # then punctuation or emoji, and at most two words that look like a name
    r"(?:[^\w\n]*(?!(?:de|d'|pour|a|au|le|la|les|du|des|si|et|mais|oui|non|ok|je|j'|vous|nous|il|on|ce|c'|qu|que)\b)"
    r"[a-z][a-z'-]*){0,2}[^\w\n]*$"
)
_CLOSING_TAIL = 6
"""A closing line is the start of the signature only when at most this many non-empty
lines follow it (a name, a job, a phone number, an address)."""
_GREETING_RE = re.compile(
    r"^(?:bonjour|bonsoir|bjr|salut|coucou|hello|hi|madame|monsieur|mesdames|messieurs|cher|chere"
    r"|chers|cheres|a l'equipe|a toute l'equipe)\b"
    # then at most four words that are not the start of a sentence ("Bonjour je voudrais…")
    r"(?:[ ,]+(?!(?:je|j'|nous|vous|il|elle|on|voici|merci|suite|pouvez|pourriez|est)\b)[\w'-]+){0,4}"
    r"\s*[,!.:;]*\s*$"
)
_GREETING_PREFIX_RE = re.compile(
    r"^(?:bonjour|bonsoir|bjr|salut|hello)(?: (?:a tous|a toutes|a vous|madame|monsieur|l'equipe))?\s*[,!.]*\s+"
)


@dataclass
class Split:
    """What a body says: ``own`` is the sender's own text (quotes, signature removed),
    ``quoted`` the text they quoted, ``forwarded`` True when a forwarded message's
    content was kept in ``own``."""

    own: str
    quoted: str
    forwarded: bool = False


def _key(line: str) -> str:
    """A line folded for the rules above: no quote marks, spaces squashed, lower case."""
    return fold(line.lstrip(" >\t"))


def _is_quoted(line: str) -> bool:
    return line.lstrip(" \t").startswith(">")


def _attribution_at(lines: list[str], index: int) -> int:
    """Number of lines (1-3) of an attribution starting at ``index``, else 0."""
    first = _key(lines[index])
    if not first or not (first.startswith(("le ", "on ", "el ", "am ", "il giorno"))):
        return 0
    joined = first
    for count in range(1, 4):
        if _ATTRIBUTION_RE.match(joined):
            return count
        if index + count >= len(lines):
            break
        joined = f"{joined} {_key(lines[index + count])}"
    return 0


def _header_block_at(lines: list[str], index: int) -> bool:
    """True when a ``De :`` line at ``index`` is followed, within 6 lines, by another
    header line of a quoted message (``Envoyé :``, ``Objet :``, ``À :``)."""
    if not _HEADER_FROM_RE.match(_key(lines[index])):
        return False
    seen = 0
    for line in lines[index + 1 : index + 8]:
        key = _key(line)
        if not key:
            continue
        if _HEADER_OTHER_RE.match(key):
            seen += 1
            if seen >= 2 or key.startswith(("objet", "subject")):
                return True
    return False


def _header_block_end(lines: list[str], index: int) -> int:
    """Index just past a quoted header block (``De :`` … ``Objet :`` and any ``À :``/
    ``Cc :`` after it) starting at ``index``: it ends at the first other line."""
    end = index + 1
    for position in range(index + 1, min(len(lines), index + 12)):
        key = _key(lines[position])
        if _HEADER_OTHER_RE.match(key) or _HEADER_FROM_RE.match(key):
            end = position + 1
        else:
            break
    return end


def split_reply(text: str, *, forwarded: bool = False) -> Split:
    """Split ``text`` into the sender's own text and the quoted text (rules in the
    module docstring). With ``forwarded`` (the subject says ``TR :``/``Fwd:``) or a
    forward separator in the text, the forwarded message's text is kept in ``own``
    (its header block removed, one level of ``>`` taken off), followed by its own
    quotes removed."""
    lines = text.split("\n")
    own: list[str] = []
    quoted: list[str] = []
    index = 0
    count = len(lines)
    kept_forward = False
    while index < count:
        line = lines[index]
        key = _key(line)
        if _is_quoted(line):
            # A ">" block; a forward quoted with ">" is still a forward.
            start = index
            while index < count and (_is_quoted(lines[index]) or not lines[index].strip()):
                index += 1
            block = lines[start:index]
            if forwarded:
                forwarded, kept_forward = False, True
                inner = "\n".join(re.sub(r"^\s*> ?", "", item) for item in block)
                rest = split_reply(_drop_forward_header(inner))
                own.append(rest.own)
                quoted.append(rest.quoted)
                continue
            quoted.extend(block)
            continue
        attribution = _attribution_at(lines, index)
        if attribution:
            after = index + attribution
            following = next((item for item in lines[after:] if item.strip()), "")
            if _is_quoted(following):
                quoted.extend(lines[index:after])
                index = after
                continue
            return _finish(own, quoted, lines[index:], forwarded)
        if _SEPARATOR_RE.match(key) or _header_block_at(lines, index):
            is_forward = forwarded or bool(_FORWARD_SEPARATOR_RE.search(key))
            return _finish(own, quoted, lines[index:], is_forward)
        own.append(line)
        index += 1
    return Split("\n".join(own), "\n".join(quoted), kept_forward)


def _finish(own: list[str], quoted: list[str], rest: list[str], forward: bool) -> Split:
    if not forward:
        quoted.extend(rest)
        return Split("\n".join(own), "\n".join(quoted), False)
    inner = split_reply(_drop_forward_header("\n".join(rest)))
    own.append(inner.own)
    quoted.append(inner.quoted)
    return Split("\n".join(own), "\n".join(item for item in quoted if item), True)


def _drop_forward_header(text: str) -> str:
    """The forwarded message without its separator and ``De :``/``Objet :`` block."""
    lines = text.split("\n")
    index = 0
    while index < len(lines) and (not lines[index].strip() or _SEPARATOR_RE.match(_key(lines[index]))):
        index += 1
    if index < len(lines) and _HEADER_FROM_RE.match(_key(lines[index])):
        index = _header_block_end(lines, index)
    return "\n".join(lines[index:])


def strip_signature(text: str, sender_name: str | None = None) -> str:
    """``text`` without its signature: cut at ``-- ``, "Envoyé de mon …", a legal
    disclaimer, or a closing ("Cordialement", "Merci", "Bonne journée") followed by at
    most a few short lines; then a last line that is the sender's name is dropped."""
    lines = text.split("\n")
    # Non-empty lines after each index, counted once (a closing is judged by its tail).
    after = [0] * (len(lines) + 1)
    for index in range(len(lines) - 1, -1, -1):
        after[index] = after[index + 1] + (1 if lines[index].strip() else 0)
    cut = len(lines)
    content_seen = False
    for index, line in enumerate(lines):
        key = _key(line)
        if not key:
            continue
        if _SIGNATURE_RE.match(key) or line.rstrip("\n") == "-- ":
            cut = index
            break
        if content_seen and _CLOSING_RE.match(key) and after[index + 1] <= _CLOSING_TAIL:
            cut = index
            break
        content_seen = content_seen or not _GREETING_RE.match(key)
    lines = lines[:cut]
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and sender_name and _is_name_line(lines[-1], sender_name) and _any_content(lines[:-1]):
        lines.pop()
    return "\n".join(lines)


def _any_content(lines: list[str]) -> bool:
    return any(item.strip() and not _GREETING_RE.match(_key(item)) for item in lines)


def _is_name_line(line: str, sender_name: str) -> bool:
    # "Jean-Luc" signs for "Jean-Luc Perrin" or "jl.perrin@…"; hyphens are dropped so
    # that "Jean-Pierre" matches "jeanpierre.martin@…" too.
    words = set(re.findall(r"[a-z0-9]+", fold(line).replace("-", "")))
    name_words = set(re.findall(r"[a-z0-9]+", fold(sender_name).replace("-", "")))
    return bool(words) and len(words) <= 4 and words <= name_words


def is_greeting(line: str) -> bool:
    """True for a line that only greets ("Bonjour,", "Madame, Monsieur,", "Salut !")."""
    return bool(_GREETING_RE.match(_key(line)))


def drop_greeting(folded_line: str) -> str:
    """A folded line without a greeting in front ("bonjour je voudrais …" -> "je voudrais …")."""
    return _GREETING_PREFIX_RE.sub("", folded_line, count=1)


def tidy(text: str) -> str:
    """Lines right-stripped, blank lines made empty, runs of blank lines made one, the
    whole stripped: the form of ``text`` in the contract."""
    out: list[str] = []
    for line in text.split("\n"):
        line = squash_spaces(line).rstrip()
        if not line.strip():
            if out and out[-1] != "":
                out.append("")
            continue
        out.append(line)
    return "\n".join(out).strip()


def strip_greeting(line: str) -> str:
    """``line`` as written, without a greeting in front ("Bonjour, je voudrais …" ->
    "je voudrais …"); the line unchanged when it starts with none."""
    from workflows.mail.textutil import fold_with_map

    folded, where = fold_with_map(line)
    lead = len(folded) - len(folded.lstrip())
    match = _GREETING_PREFIX_RE.match(folded[lead:])
    if not match or not match.end():
        return line
    end = lead + match.end()
    return line[where[end]:] if end < len(where) else ""
