"""Separating what the sender wrote from what they quoted, forwarded or signed.

Rules, from the clients people use (see tests/messages/ for one example of each):

- ``>`` lines (any client, RFC 3676 quoting), with the attribution line above them; a
  quoted line's end that the client re-wrapped onto a line without ``>`` stays quoted;
  lines written between quoted lines (inline answers) or under them (bottom-posting)
  are the sender's.
- Attribution lines: Gmail ``Le lun. 23 nov. 2026 à 09:41, X <x@y> a écrit :`` (often
  wrapped on two lines), Apple Mail ``Le 7 déc. 2026 à 10:12, X a écrit :``,
  Thunderbird ``Le 09/12/2026 à 08:00, X a écrit :``, Yahoo (indented, quote not
  prefixed), English ``On … wrote:``. Without ``>`` below, all that follows is quoted.
  A line of the sender's just above one (« On se voit jeudi. ») is not part of it.
- Outlook desktop and on the web: the ``De : / Envoyé : / À : / Objet :`` block (French
  or English, with or without ``>``, after a ``____`` line or not), ``-----Message
  d'origine-----``, Orange's ``Message du …``, Zimbra/Free's ``----- Mail original
  -----``, phones' ``-------- Message original --------``.
- Forwards (``TR :``, ``Fwd:``, ``---------- Forwarded message ---------``, ``Début du
  message réexpédié :``, Thunderbird's ``-------- Message transféré --------`` with its
  block in any order, Yahoo's header written on the separator's line, or any of them
  quoted with ``>``): the forwarded content is kept as content, its header block removed
  and read (subject, sender).
- Signatures and closings: ``-- ``, clients' and antivirus footers, legal notices and
  signature blocks without ``-- `` (:mod:`workflows.mail.footers`), "Cordialement"-type
  closings near the end, and a last line that is the sender's own name.

Everything works on ``\\n``-separated lines; nothing raises.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from workflows.mail.footers import is_footer_line, is_link_line, notice_start, signature_block_start
from workflows.mail.textutil import fold, fold_with_map, squash_spaces

_ATTRIBUTION_FORMS = (
    # (how it starts, the verb that ends it): « Le … a écrit : », « On … wrote: ». The
    # pairing keeps « On a écrit à la mairie : » (French « on ») a sentence.
    ("le ", r"a ecrit|ont ecrit|wrote"),
    ("on ", r"wrote"),
    ("el ", r"escribio"),
    ("am ", r"schrieb"),
    ("il giorno", r"ha scritto"),
)
_ATTRIBUTION_RES = tuple(
    (start, re.compile(rf"^{start}.{{0,250}}?\b(?:{verbs})\s*:?$")) for start, verbs in _ATTRIBUTION_FORMS
)
_ATTRIBUTION_STARTS = tuple(start for start, _ in _ATTRIBUTION_FORMS)
_ADDRESS_ATTRIBUTION_RE = re.compile(
    # « marie@example.org a écrit : », « Marie <marie@example.org> wrote: » (Roundcube, mutt)
    r"^[^\s>].{0,200}?@[\w-]+(?:\.[\w-]+)+>?\)?\s*(?:a ecrit|wrote)\s*:$"
    # Gmail of old: « 2026-12-07 9:00 GMT+01:00 Marie <marie@example.org>: »
    r"|^\d{4}-\d\d-\d\d \d{1,2}:\d\d(?: gmt[+-]\d\d:?\d\d)? .{0,200}?@[\w-]+(?:\.[\w-]+)+\s*>\s*:$"
)
"""Attributions that start with no fixed word: taken only above a quoted line."""
_ISO_DATE_START_RE = re.compile(r"^\d{4}-\d\d-\d\d ")
_HEADER_NAMES = (
    r"de|from|exp[ée]diteur|envoye par|envoye|envoye le|date|sent|objet|subject|sujet|a|to|cc|pour|copie a"
    r"|destinataire|destinataires|repondre a|reply-to|organisation|importance"
)
_HEADER_LINE_RE = re.compile(rf"^\**\s*(?P<name>{_HEADER_NAMES})\s*\**\s*:\s*(?P<value>.*)$")
_HEADER_FROM_RE = re.compile(r"^\**\s*(?:de|from|exp[ée]diteur|envoye par)\s*\**\s*:")
_HEADER_OTHER_RE = re.compile(
    r"^\**\s*(?:envoye|envoye le|date|sent|objet|subject|sujet|a|to|cc|pour|copie a|destinataire)\s*\**\s*:"
)
_SUBJECT_NAMES = frozenset({"objet", "subject", "sujet"})
_FROM_NAMES = frozenset({"de", "from", "expediteur", "expéditeur", "envoye par"})
_SEPARATOR_RE = re.compile(
    r"^(?:-{2,}\s*(?:original message|message d'origine|message original|forwarded message"
    r"|message transfere|mail transfere|message transmis|courriel original|mail original)\s*-{2,}"
    r"|_{8,}|-{20,}"
    r"|debut du message reexpedie\s*:?|begin forwarded message\s*:?"
    r"|message du \d{1,2}/\d{1,2}/\d{2,4}.*"
    # Yahoo writes a forward's whole header on the separator's line.
    r"|-+\s*(?:message transfere|forwarded message|mail transfere)\s*-*.*)$"
)
_FORWARD_SEPARATOR_RE = re.compile(
    r"(?:forwarded message|message transfere|mail transfere|message transmis|message reexpedie"
    r"|begin forwarded)"
)
# Yahoo's one-line forward header: « ----- Message transféré ----- De : X <x@y>À : …Objet : Offre »
_INLINE_SUBJECT_RE = re.compile(r"(?:objet|subject|sujet)\s*:\s*")
_INLINE_FROM_RE = re.compile(r"(?:^|-\s*|\s)(?:de|from)\s*:\s*")
_ADDRESS_RE = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_REWRAP_MIN = 60
"""A quoted line at least this long, cut without punctuation, may have been re-wrapped by
the client, its end put on the next line without ``>``."""
_SHORT_ANSWER_RE = re.compile(r"^(?:oui|non|ok|d'accord|yes|no)\b\W*(?:merci\W*)?$")
_FIELD_ANSWER_RE = re.compile(r"^[a-z][\w'-]*(?: [\w'-]+){0,2}\s*:\s*\S")
"""« Prénom : Nadia »: a field the person wrote between quoted lines, never the end of a
re-wrapped quoted line (the robot's question asks for one in the middle of a sentence)."""
_SIGNATURE_RE = re.compile(r"^(?:--|-- |—|__)$")
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
    # then at most four words that are not the start of a sentence ("Bonjour je voudrais…"),
    # nor a reference or a verb's object pronoun: « Bonjour, le O-3 m'intéresse. » says
    # something (a name has no digit, and no « m' »).
    r"(?:[ ,]+(?!(?:je|j'|nous|vous|il|elle|on|voici|merci|suite|pouvez|pourriez|est)\b|[\w'-]*\d|m')[\w'-]+){0,4}"
    r"\s*[,!.:;]*\s*$"
)
_GREETING_PREFIX_RE = re.compile(
    r"^(?:bonjour|bonsoir|bjr|salut|hello)(?: (?:a tous|a toutes|a vous|madame|monsieur|l'equipe))?\s*[,!.]*\s+"
)


@dataclass
class Split:
    """What a body says: ``own`` is the sender's own text (quotes removed), ``quoted`` the
    text they quoted, ``forwarded`` True when a forwarded message's content was kept in
    ``own``. ``parts`` is ``own`` piece by piece: the sender's words, then each forwarded
    message's (each has its own signature, stripped separately). ``forwarded_subject``,
    ``forwarded_from`` (lower-cased address) and ``forwarded_name``: the forwarded
    message's header block, when there is one."""

    own: str
    quoted: str
    forwarded: bool = False
    parts: list[str] = field(default_factory=list)
    forwarded_subject: str | None = None
    forwarded_from: str | None = None
    forwarded_name: str | None = None


def _key(line: str) -> str:
    """A line folded for the rules above: no quote marks, spaces squashed, lower case."""
    return fold(line.lstrip(" >\t"))


def _is_quoted(line: str) -> bool:
    return line.lstrip(" \t").startswith(">")


def _attribution_at(keys: list[str], index: int) -> int:
    """Number of lines (1-3) of an attribution starting at ``index``, else 0. An
    attribution wrapped by the client has no blank line inside, and a line just above an
    attribution is not part of it (« On se voit jeudi. » above « Le … a écrit : »).
    ``keys``: the lines folded by :func:`_key`."""
    first = keys[index]
    if not first.startswith(_ATTRIBUTION_STARTS):
        return 0
    pattern = next(regex for start, regex in _ATTRIBUTION_RES if first.startswith(start))
    joined = first
    for count in range(1, 4):
        if pattern.match(joined):
            return count
        following = index + count
        if following >= len(keys):
            break
        key = keys[following]
        if not key or (key.startswith(_ATTRIBUTION_STARTS) and _attribution_at(keys, following)):
            break
        joined = f"{joined} {key}"
    return 0


def _address_attribution_at(lines: list[str], keys: list[str], index: int) -> int:
    """Number of lines (1-3) of an attribution of :data:`_ADDRESS_ATTRIBUTION_RE` starting
    at ``index`` and followed by a quoted line (its only proof: no word starts it), else 0.
    Its first line holds the address or starts with the date: a sentence of the person's
    just above an attribution is never its start. ``keys``: the lines folded by :func:`_key`."""
    first = keys[index]
    if "@" not in first and not _ISO_DATE_START_RE.match(first):
        return 0
    joined = ""
    for count in range(1, 4):
        if index + count > len(lines):
            break
        key = keys[index + count - 1]
        if not key:
            break
        joined = f"{joined} {key}".strip()
        if _ADDRESS_ATTRIBUTION_RE.match(joined):
            following = next((item for item in lines[index + count:] if item.strip()), "")
            return count if _is_quoted(following) else 0
    return 0


def _header_block_at(lines: list[str], keys: list[str], index: int) -> bool:
    """True when the quoted header block of a message starts at ``index``: a ``De :``
    line followed, within 6 lines, by two other header lines (``Envoyé :``, ``À :``) or
    an ``Objet :``; or a block that starts with ``Objet :``/``Sujet :``/``Date :``
    (Thunderbird) and holds a ``De :`` line with an address. ``keys``: the lines folded
    by :func:`_key`."""
    key = keys[index]
    if _HEADER_FROM_RE.match(key):
        seen = 0
        for other in keys[index + 1 : index + 8]:
            if not other:
                continue
            if _HEADER_OTHER_RE.match(other):
                seen += 1
                if seen >= 2 or other.startswith(("objet", "subject", "sujet")):
                    return True
        return False
    if not _HEADER_OTHER_RE.match(key):
        return False
    end = _header_block_end(lines, keys, index)
    block = keys[index:end]
    return len(block) >= 3 and any(_HEADER_FROM_RE.match(item) and "@" in item for item in block)


def _header_block_end(lines: list[str], keys: list[str], index: int) -> int:
    """Index just past a header block (``De :``, ``Objet :``, ``À :``… in any order, with
    the continuation lines of a long ``À :``) starting at ``index``. ``keys``: the lines
    folded by :func:`_key`."""
    end = index
    for position in range(index, min(len(lines), index + 14)):
        line = lines[position]
        key = keys[position]
        if _HEADER_LINE_RE.match(key):
            end = position + 1
        elif key and position > index and line[:1] in " \t" and end == position:
            end = position + 1  # a long « À : » folded on the next line
        else:
            break
    return end


def _is_rewrapped(previous: str, line: str, following: str) -> bool:
    """True when ``line`` (not quoted) is the end of the quoted line ``previous``, moved
    to a line of its own without ``>`` when the client re-wrapped the quote: ``previous``
    is long and unfinished, ``line`` is not a short answer nor a ``Key : value`` field and
    either goes on in lower case or sits between two quoted lines (``following`` is
    quoted)."""
    before = previous.lstrip(" \t>").rstrip()
    after = line.strip()
    return (
        len(before) >= _REWRAP_MIN
        and not before.endswith((".", "!", "?", ":", ";"))
        and (after[:1].islower() or _is_quoted(following))
        and not _SHORT_ANSWER_RE.match(fold(after))
        and not _FIELD_ANSWER_RE.match(fold(after))
    )


def split_reply(text: str, *, forwarded: bool = False) -> Split:
    """Split ``text`` into the sender's own text and the quoted text (rules in the
    module docstring). With ``forwarded`` (the subject says ``TR :``/``Fwd:``) or a
    forward separator in the text, the forwarded message's text is kept in ``own``
    (its header block removed, one level of ``>`` taken off), followed by its own
    quotes removed."""
    lines = text.split("\n")
    keys = [_key(line) for line in lines]  # each line folded once for all the rules
    own: list[str] = []
    quoted: list[str] = []
    index = 0
    count = len(lines)
    while index < count:
        line = lines[index]
        key = keys[index]
        if _is_quoted(line):
            # A ">" block; a forward quoted with ">" is still a forward.
            start = index
            while index < count and (_is_quoted(lines[index]) or not lines[index].strip()):
                index += 1
            block = lines[start:index]
            first = next((item for item in keys[start:index] if item), "")
            if forwarded or _FORWARD_SEPARATOR_RE.search(first) and _SEPARATOR_RE.match(first):
                return _finish(own, quoted, [_unquote(item) for item in block] + lines[index:], True)
            quoted.extend(block)
            continue
        following = lines[index + 1] if index + 1 < count else ""
        if index and _is_quoted(lines[index - 1]) and _is_rewrapped(lines[index - 1], line, following):
            quoted.append(line)
            index += 1
            continue
        attribution = _attribution_at(keys, index) or _address_attribution_at(lines, keys, index)
        if attribution:
            after = index + attribution
            following = next((item for item in lines[after:] if item.strip()), "")
            if _is_quoted(following):
                quoted.extend(lines[index:after])
                index = after
                continue
            return _finish(own, quoted, lines[index:], forwarded)
        if _SEPARATOR_RE.match(key) or _header_block_at(lines, keys, index):
            is_forward = forwarded or bool(_FORWARD_SEPARATOR_RE.search(key))
            return _finish(own, quoted, lines[index:], is_forward)
        own.append(line)
        index += 1
    own_text = "\n".join(own)
    return Split(own_text, "\n".join(quoted), False, [own_text])


def _unquote(line: str) -> str:
    """``line`` with one level of ``>`` taken off."""
    return re.sub(r"^\s*> ?", "", line, count=1)


def _finish(own: list[str], quoted: list[str], rest: list[str], forward: bool) -> Split:
    """The split once a separator or an attribution is met at ``rest``: all of it quoted,
    or, for a forward, its header block read and its content split in its turn."""
    own_text = "\n".join(own)
    if not forward:
        quoted.extend(rest)
        return Split(own_text, "\n".join(quoted), False, [own_text])
    body, subject, sender, name = _forward_header(rest)
    inner = split_reply("\n".join(body))
    quoted.append(inner.quoted)
    return Split(
        "\n".join([own_text, inner.own]),
        "\n".join(item for item in quoted if item),
        True,
        [own_text, *inner.parts],
        subject or inner.forwarded_subject,
        sender or inner.forwarded_from,
        name or inner.forwarded_name,
    )


def _forward_header(lines: list[str]) -> tuple[list[str], str | None, str | None, str | None]:
    """The forwarded message's lines without its separator and header block, and what
    the header block says: ``(body lines, subject, sender address, sender name)``. The
    header lines may come in any order (Thunderbird starts with « Sujet : »), all on the
    separator's line (Yahoo), or quoted with ``>`` under the separator (iPhone)."""
    index = 0
    subject = sender = name = None
    while index < len(lines) and (not lines[index].strip() or _SEPARATOR_RE.match(_key(lines[index]))):
        if lines[index].strip():
            subject, sender, name = _inline_header(lines[index])
        index += 1
    if index < len(lines) and _is_quoted(lines[index]):
        end = index
        while end < len(lines) and (_is_quoted(lines[end]) or not lines[end].strip()):
            end += 1
        lines = lines[:index] + [_unquote(item) for item in lines[index:end]] + lines[end:]
    keys = [_key(line) for line in lines]
    end = _header_block_end(lines, keys, index)
    for line, key in zip(lines[index:end], keys[index:end]):
        match = _HEADER_LINE_RE.match(key)
        if not match:
            continue
        value = _written_value(line)
        if match.group("name") in _SUBJECT_NAMES and subject is None:
            subject = value or None
        elif match.group("name") in _FROM_NAMES and sender is None:
            sender, name = _mailbox(value)
    return lines[end:], subject, sender, name


def _written_value(line: str) -> str:
    """The value of a header line as written (after its first colon), spaces squashed."""
    value = line.split(":", 1)[1] if ":" in line else ""
    return " ".join(squash_spaces(value).split()).strip("* ")


def _inline_header(line: str) -> tuple[str | None, str | None, str | None]:
    """``(subject, address, name)`` from a separator line that carries the header
    (Yahoo: « ----- Message transféré ----- De : X <x@y>À : …Objet : Offre »)."""
    folded, where = fold_with_map(line)
    subject_match = _INLINE_SUBJECT_RE.search(folded)
    from_match = _INLINE_FROM_RE.search(folded)

    def written(start: int, end: int | None = None) -> str:
        if start >= len(where):
            return ""
        stop = where[end] if end is not None and end < len(where) else len(line)
        return line[where[start]:stop]

    subject = " ".join(written(subject_match.end()).split()) or None if subject_match else None
    sender = name = None
    if from_match:
        sender, name = _mailbox(written(from_match.end(), subject_match.start() if subject_match else None))
    return subject, sender, name


def _mailbox(value: str) -> tuple[str | None, str | None]:
    """``(lower-cased address, display name)`` from a header value ``X <x@y>``."""
    match = _ADDRESS_RE.search(value)
    address = match.group(0).lower() if match else None
    name = value[: match.start()] if match else value
    name = name.strip(" \"'<>[]:") or None
    if name and "@" in name:
        name = None
    return address, name


def strip_signature(text: str, sender_name: str | None = None) -> str:
    """``text`` without its signature: cut at ``-- ``, a client's or antivirus footer
    (« Envoyé de mon iPhone », « Garanti sans virus »), a legal notice, or a closing
    (« Cordialement », « Merci », « Bonne journée ») followed by at most a few short
    lines; then a signature block without ``-- `` (a name or an association, with a role,
    an address, a phone or a web site: :mod:`workflows.mail.footers`) is cut, and a last
    line that is the sender's name is dropped."""
    lines = text.split("\n")
    keys = [_key(line) for line in lines]
    cut = _signature_cut(lines, keys)
    notice = notice_start(lines[:cut], keys[:cut])
    if notice is not None:
        cut = notice
    lines = lines[:cut]
    block = signature_block_start(lines, sender_name, keys[:cut])
    if block is not None and _any_content(lines[:block]):
        lines = lines[:block]
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and sender_name and _is_name_line(lines[-1], sender_name) and _any_content(lines[:-1]):
        lines.pop()
    return "\n".join(lines)


def _signature_cut(lines: list[str], keys: list[str]) -> int:
    """Index of the first line of a ``-- `` signature, a footer, or a closing followed by
    at most :data:`_CLOSING_TAIL` non-empty lines; ``len(lines)`` when none. ``keys``:
    the lines folded by :func:`_key`."""
    # Non-empty lines after each index, counted once (a closing is judged by its tail).
    after = [0] * (len(lines) + 1)
    for index in range(len(lines) - 1, -1, -1):
        after[index] = after[index + 1] + (1 if lines[index].strip() else 0)
    content_seen = False
    for index, line in enumerate(lines):
        key = keys[index]
        if not key:
            continue
        if _SIGNATURE_RE.match(key) or line.rstrip("\n") == "-- ":
            return index
        if is_footer_line(line, key):
            # Avast puts its logo's link on the line above its stamp.
            while index and (not lines[index - 1].strip() or is_link_line(lines[index - 1])):
                index -= 1
            return index
        if content_seen and _CLOSING_RE.match(key) and after[index + 1] <= _CLOSING_TAIL:
            return index
        content_seen = content_seen or not _GREETING_RE.match(key)
    return len(lines)


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
    folded, where = fold_with_map(line)
    lead = len(folded) - len(folded.lstrip())
    match = _GREETING_PREFIX_RE.match(folded[lead:])
    if not match or not match.end():
        return line
    end = lead + match.end()
    return line[where[end]:] if end < len(where) else ""
