"""What clients, servers and employers add under a person's words: mobile and webmail
footers, antivirus stamps, legal notices, and the signature block of an association or a
workplace written without ``-- ``. None of it is the member's words (protocol.md,
"Replies": "quoted text and signature removed").

Shapes, from the clients people use (tests/messages/ holds one message of each):

- Mobile and webmail footers: « Envoyé de mon iPhone », « Envoyé depuis mon appareil
  Galaxy » (Samsung), « Envoyé depuis mon téléphone HUAWEI », « Envoyé de Yahoo Mail pour
  Android », « Obtenir Outlook pour Android » / « Get Outlook for iOS », « Envoyé avec la
  messagerie sécurisée Proton Mail », « Envoyé à partir de Courrier<https://go.microsoft…>
  pour Windows » and « Provenance : Courrier pour Windows ».
- Antivirus stamps: Avast and AVG (« Garanti sans virus. www.avast.com », « L'absence de
  virus dans ce courrier électronique a été vérifiée par le logiciel antivirus Avast. »,
  the ``<#DAB4FAD8-…>`` marker line).
- Legal notices (« Ce message et toutes les pièces jointes sont confidentiels… toute
  diffusion non autorisée est interdite »): found by their vocabulary, wherever the
  notice starts and however it is wrapped.
- Signature blocks without ``-- ``: a name (or an organisation) followed by a few short
  lines that name a role, an association, an address, a phone number or a web site.

Every function works on ``\\n``-separated lines and never raises.
"""
from __future__ import annotations

import re

from workflows.mail.textutil import fold

_DEVICE = (
    r"(?:iphone|ipad|ipod|android|smartphone|mobile|portable|tablette|telephone|appareil|galaxy|samsung"
    r"|huawei|honor|xiaomi|redmi|oppo|pixel|blackberry|yahoo|outlook|gmail|proton|orange|sfr|laposte"
    r"|zimbra|aol|hotmail|thunderbird|my phone|my mobile"
    # "Courrier<https://go.microsoft.com/fwlink/?LinkId=550986> pour Windows"
    r"|(?:courrier|mail)\s*(?:<[^>\s]*>)?\s*(?:pour|for) windows)"
)
_FOOTER_RE = re.compile(
    r"^(?:"
    # "Envoyé de mon iPhone", "Envoyé depuis Yahoo Mail pour Android", "Sent with Proton Mail"
    r"(?:envoye|envoyee|sent|expedie|expediee)\s+(?:de|depuis|from|a partir de|avec|with|par|via|using|sur|on)\s+"
    r"(?:(?:mon|ma|my|l'|un|une|votre|the|la)\b|" + _DEVICE + r")"
    r"|(?:telecharger|telechargez|obtenir|obtenez|get|download)\s+(?:outlook|yahoo mail|gmail|proton mail)\b"
    r"|provenance\s*:\s*(?:courrier|mail)\b"
    r"|yahoo mail\s*:"
    r"|<#[0-9a-f]{8}-[0-9a-f-]{20,}>"  # Avast's marker line
    r"|\[image:\s*(?:avast|avg)\b"
    r")"
)
_GLUED_LINK_RE = re.compile(r"<(?:https?://|mailto:|www\.)[^<>\s]*>")
_FOOTER_MAX = 160
"""A footer line is short: a longer line that starts like one is a sentence."""
_ANTIVIRUS_RE = re.compile(r"\bvirus\b|\bantivirus\b|\banti-virus\b|\bvirus-free\b")
_ANTIVIRUS_MARK_RE = re.compile(
    # A brand, or the stamp's own words: a member writing about a virus names neither.
    r"\b(?:avast|avg|norton|kaspersky|bitdefender|eset|mcafee|sophos|trend micro)\b|\bgaranti sans virus\b"
    r"|\bvirus-free\b|\bexempt de virus\b"
)

# Notices are recognised by their vocabulary: one word is chance, three are a notice.
_NOTICE_TERMS = tuple(re.compile(term) for term in (
    r"\bconfidenti", r"\bpieces? jointes?\b|\bfichiers? joints?\b|\battachments?\b", r"\bdestinataires?\b|\brecipients?\b",
    r"\bpar erreur\b|\bin error\b|\bby mistake\b", r"\binterdit|\bprohibited\b|\bforbidden\b",
    r"\bnon autoris|\bunauthori[sz]ed\b|\bsans autorisation\b", r"\bstrictement\b|\bstrictly\b",
    r"\bdetrui|\bsupprimer? (?:ce|le) message\b|\bdelete (?:this|the) (?:e-?mail|message)\b",
    r"\bl'expediteur\b|\bthe sender\b|\bl'emetteur\b",
    r"\bdiffusion\b|\bdivulgation\b|\breproduction\b|\bdissemination\b|\bdisclosure\b",
    r"\b(?:intention|usage|attention|utilisation) exclusive?\b|\bexclusive use\b|\bsolely\b",
    r"\bresponsabilite\b|\bliability\b|\bintegrite\b",
    r"\bimmediatement\b|\bimmediately\b", r"\bci-apres\b|\bprivilegi",
))
_ANY_NOTICE_TERM_RE = re.compile("|".join(term.pattern for term in _NOTICE_TERMS))
_NOTICE_MIN_TERMS = 3
_NOTICE_SELF_RE = re.compile(
    r"\b(?:ce|cet|le present|this|le|ces)\s+(?:message|courriel|e-?mail|mail|envoi|communication|document)s?\b"
)
"""A notice speaks of the message itself (« ce message », « ce courriel »): a member's
sentence about confidential files does not."""
_NOTICE_OPENING_RE = re.compile(
    r"^(?:ce message et|ce message \(|ce courriel|ce message est (?:confidentiel|strictement)|ce e-?mail"
    r"|cet e-?mail et|cet e-?mail est|le present (?:message|courriel)|ce message electronique"
    r"|les informations contenues dans ce|this (?:e-?mail|message) and|this (?:e-?mail|message) is confidential"
    r"|confidentiality notice|avis de confidentialite|avertissement\s*:|disclaimer\s*:"
    r"|pensez a l'environnement|merci de penser a l'environnement|avant d'imprimer"
    r"|please consider the environment|p please consider|cet e-?mail a ete envoye via)"
)

# --- signature blocks ---------------------------------------------------------------------

_BLOCK_MAX_LINES = 8
"""A signature block is at most this many non-empty lines, at the end of the text."""
_BLOCK_LINE_MAX = 90
_ROLE_RE = re.compile(
    r"\b(?:association|asso|benevoles?|president(?:e)?|vice-president(?:e)?|tresorier(?:e|ere)?|secretaire"
    r"|coordinat(?:eur|rice)|animat(?:eur|rice)|charge(?:e)? de|responsable|directeur|directrice|conseill(?:er|ere)"
    r"|educat(?:eur|rice)|assistante? sociale?|mediat(?:eur|rice)|referente?|service|mairie|centre social"
    r"|ccas|maison de quartier|maison des|epicerie solidaire|secours (?:populaire|catholique)|restos du coeur"
    r"|croix-rouge|emmaus|france travail|pole emploi|mission locale|caf\b|cpam|siret|siege social"
    r"|permanence|accueil|ouvert|horaires)"
)
_CONTACT_RE = re.compile(
    r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+\.[\w.-]+"
    r"|(?:\+33\s?|\b0)[1-9](?:[\s.-]?\d\d){4}\b"
    r"|\b\d{5}\s+[a-z]"  # postal code and town
    r"|\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:rue|avenue|av\.|bd|boulevard|place|allee|chemin|impasse|route|quai|cours)\b"
)
_NAME_WORD_RE = re.compile(r"^(?:[A-ZÀ-ÖØ-Þ][\w'’.-]*|[A-ZÀ-ÖØ-Þ]\.)$")
_SENTENCE_END_RE = re.compile(r"[.!?:;,]\s*$")
_SENTENCE_START_RE = re.compile(r"^(?:je|j'|nous|vous|il|elle|on|c'est|ce|ca|mon|ma|mes|si|merci|pour|et|mais)\b")
"""How a sentence starts, and an organisation's name does not."""


def is_footer_line(line: str, key: str | None = None) -> bool:
    """True for a client's or an antivirus's line under the text: « Envoyé de mon
    iPhone », « Obtenir Outlook pour Android », « Garanti sans virus. www.avast.com »
    (see the module docstring for the shapes). ``key``: the line already folded without
    its quote marks, when the caller has it."""
    if key is None:
        key = fold(line.lstrip(" >\t"))
    # The links clients glue to a footer (« Android<https://go.onelink.me/…> », AVG's
    # « <url> Garanti sans virus. www.avg.com <url> ») make it long, not a sentence.
    key = _GLUED_LINK_RE.sub(" ", key).strip() if "<" in key else key
    if not key or len(key) > _FOOTER_MAX:
        return False
    if _FOOTER_RE.match(key):
        return True
    return bool(_ANTIVIRUS_RE.search(key) and _ANTIVIRUS_MARK_RE.search(key))


_LINK_LINE_RE = re.compile(r"^\s*(?:<\s*(?:https?://|mailto:|www\.)[^>\s]*\s*>|\[image:[^\]]*\]|(?:https?://|www\.)\S+)\s*$")


def is_link_line(line: str) -> bool:
    """True for a line that is only a link or an image's alt text (``<https://…>``,
    ``[image: logo]``): what clients leave of a footer's logo."""
    return bool(_LINK_LINE_RE.match(line.lstrip(" >\t")))


def notice_start(lines: list[str], keys: list[str] | None = None) -> int | None:
    """Index of the line where a legal notice starts in ``lines``, or None.

    A notice opens with a known formula (« Ce message et toutes les pièces jointes… »),
    or is a paragraph whose remainder, from a line that has at least one notice word,
    holds three of them (« confidentiel », « destinataires », « non autorisée »,
    « interdite »…): a member's sentence may hold one, rarely three. ``keys``: the lines
    already folded without their quote marks, when the caller has them."""
    if keys is None:
        keys = [fold(line.lstrip(" >\t")) for line in lines]
    keys = [key.lstrip("* ") for key in keys]
    start = 0
    count = len(lines)
    while start < count:
        if not keys[start]:
            start += 1
            continue
        end = start
        while end < count and keys[end]:
            end += 1
        found = _notice_in_paragraph(keys[start:end])
        if found is not None:
            return start + found
        start = end
    return None


def _notice_in_paragraph(keys: list[str]) -> int | None:
    """Index (in ``keys``, folded lines of one paragraph) of the first line a notice starts at."""
    if not any(_ANY_NOTICE_TERM_RE.search(key) or _NOTICE_OPENING_RE.match(key) for key in keys):
        return None  # most paragraphs: no word of a notice at all
    opening = next((position for position, key in enumerate(keys) if _NOTICE_OPENING_RE.match(key)), None)
    first = next((position for position, key in enumerate(keys) if _ANY_NOTICE_TERM_RE.search(key)), None)
    if first is None or (opening is not None and opening < first):
        return opening
    # From a later line the rest holds fewer words of a notice: only the first one with
    # any can start a notice found by its words.
    rest = keys[first:]
    terms = {index for key in rest for index, term in enumerate(_NOTICE_TERMS) if term.search(key)}
    if len(terms) >= _NOTICE_MIN_TERMS and any(_NOTICE_SELF_RE.search(key) for key in rest):
        return first
    return opening


def signature_block_start(lines: list[str], sender_name: str | None = None,
                          keys: list[str] | None = None) -> int | None:
    """Index of the first line of a signature block written without ``-- `` at the end of
    ``lines``, or None.

    A block is at most :data:`_BLOCK_MAX_LINES` short non-empty lines up to the end; its
    first line is the sender's name, a name written like one (« Marie Dupont », « Marie
    D. ») or an organisation or role line (« Bénévole – Association Les Amis du
    Quartier »); one of its lines names a role or an organisation, a web site, an
    address, an e-mail address or a phone number. Some of the person's words must come
    before it. ``Key : value`` lines after the first line belong to the block only once a
    role or organisation line was seen (so that « Marie Dupont / Tél : 06… » in a join
    stays the member's own details). ``keys``: the lines already folded, when the caller
    has them."""
    nonempty = [index for index, line in enumerate(lines) if line.strip()]
    if len(nonempty) < 2:
        return None
    tail = nonempty[max(1, len(nonempty) - _BLOCK_MAX_LINES):]
    folded = {index: keys[index] if keys is not None else fold(lines[index]) for index in tail}
    if not any(_ROLE_RE.search(key) or _CONTACT_RE.search(key) for key in folded.values()):
        return None  # no role, address, phone or link at the end: no signature block
    for position, start in enumerate(tail):
        block = [(lines[index].strip(), folded[index]) for index in tail[position:]]
        if _is_block(block, sender_name):
            return start
    return None


def _is_block(block: list[tuple[str, str]], sender_name: str | None) -> bool:
    """``block``: ``(line, folded line)`` pairs, from the candidate first line to the end."""
    if any(len(line) > _BLOCK_LINE_MAX for line, _ in block):
        return False
    first, first_key = block[0]
    if _is_field(first):
        return False  # « Lieu : maison de quartier » is the member's field, not a signature
    organisation = (bool(_ROLE_RE.search(first_key)) and len(first.split()) <= 8 and not first.endswith(".")
                    and not _SENTENCE_START_RE.match(first_key))
    own_name = _is_sender_name(first, sender_name)
    if not (organisation or own_name or _looks_like_name(first)):
        return False
    # Two capitalised words and a phone number may be a title and the member's number
    # (« Cuisine Marocaine / 06… »): a name that is not the sender's needs a role line.
    role_seen = organisation
    contact_seen = False
    for line, key in block[1:]:
        if _ROLE_RE.search(key) and not _is_field(line):
            role_seen = True
            continue
        if _is_field(line) and not role_seen:
            return False
        if _CONTACT_RE.search(key) or _ROLE_RE.search(key):
            contact_seen = True
            continue
        if _SENTENCE_END_RE.search(line) and len(line.split()) > 6:
            return False  # a sentence, not a signature line
    # An organisation's line with only more words under it may be the text itself
    # (« Maison de quartier des Acacias / le mardi à 14h »): a signature gives a way to
    # reach someone, or a person's name with a role.
    if organisation:
        return contact_seen
    return role_seen or (own_name and contact_seen)


def _is_field(line: str) -> bool:
    """A ``Key : value`` line (any key): a member's details in a join look like this."""
    return bool(re.match(r"^[^\W\d_][^:：\n]{0,40}?\s*[:：]", line)) and "://" not in line.split(":", 1)[0] + ":"


def _looks_like_name(line: str) -> bool:
    """« Marie Dupont », « DUPONT Marie », « Marie D. », « Jean-Luc »: 1-4 capitalised
    words and nothing else."""
    words = line.replace(",", " ").split()
    return 1 <= len(words) <= 4 and all(_NAME_WORD_RE.match(word) for word in words)


def _is_sender_name(line: str, sender_name: str | None) -> bool:
    """A name-like line that shares a word with the sender's display name or address."""
    if not _looks_like_name(line):
        return False
    hint = set(re.findall(r"[a-z0-9]+", fold(sender_name or "").replace("-", "")))
    words = set(re.findall(r"[a-z0-9]+", fold(line).replace("-", "")))
    return bool(hint & words)


__all__ = ["is_footer_line", "is_link_line", "notice_start", "signature_block_start"]
