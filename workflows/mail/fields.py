"""``Key : value`` fields of protocol.md, "Fields", read from the sender's own text.

A value may continue on the following lines until the next known key, a blank line or the
end of the text (the caller has already cut quotes and the signature); only a
``Description`` runs on over blank lines, and text after a blank line is the person's own
text, never part of the field above it. A line whose key is unknown or misspelt neither
starts nor ends a value. Keys are matched case- and
accent-insensitively, with or without the French space before the colon.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from workflows.mail.intents import find_keyword, item_ref_in
from workflows.mail.model import Bilan, Item, MemberFields
from workflows.mail.prose import clause_item, is_filler, sentences
from workflows.mail.quotes import is_greeting
from workflows.mail.textutil import clean_line, fold

_KEYS: dict[str, str] = {}
for _field, _names in {
    "name": ("nom", "prenom et nom", "nom et prenom", "nom complet", "name", "full name", "nom prenom",
             "prenom nom", "nom/prenom", "prenom/nom", "nom - prenom", "prenom - nom", "nom & prenom",
             "prenom & nom", "votre nom", "nom et prenoms"),
    "first_name": ("prenom", "first name", "votre prenom", "prenoms"),
    "last_name": ("nom de famille", "last name", "surname"),
    "phone": ("telephone", "tel", "tel.", "portable", "phone", "mobile", "numero de telephone",
              "n de telephone", "no de telephone", "num de telephone", "numero", "gsm", "tel portable",
              "telephone portable", "votre telephone", "tel.portable"),
    "title": ("savoir", "titre", "sujet", "theme", "competence", "intitule", "le savoir", "savoir-faire"),
    "description": ("description", "details", "detail", "precisions", "precision", "descriptif"),
    "modality": ("modalite", "modalites", "format", "forme", "type d'echange"),
    "availability": ("disponibilites", "disponibilite", "dispo", "dispos", "quand", "horaires", "horaire",
                     "creneaux", "creneau", "jours"),
    "place": ("lieu", "ou", "lieux", "endroit"),
    "contact": ("contact", "mise en relation", "me contacter par", "contact par", "etre contacte par",
                "etre contactee par", "moyen de contact", "me joindre par", "contacter par"),
    "invitations": ("invitations", "invitation", "agenda", "calendrier"),
    "digest": ("nouvelles", "lettre", "quoi de neuf", "lettre d'information", "lettre mensuelle", "la lettre",
               "newsletter", "les nouvelles", "nouvelles du reseau"),
    "shared": ("reseaux voisins", "reseau voisin", "partager avec les reseaux voisins", "partage avec les reseaux voisins",
               "partage reseaux voisins", "partager avec les autres reseaux"),
    "standing_consent": ("accord permanent", "accord permanent pour les mises en relation"),
    "capacity": ("places", "nombre de places", "nb de places", "nombre de participants", "places disponibles"),
    "signature": ("signature",),
    # A web form's message: its value is the person's own text, not a field.
    "message": ("message", "votre message", "commentaire", "commentaires", "remarque", "remarques", "texte"),
    "offer_item": ("offre", "je propose", "j'offre", "offer", "savoir propose", "savoirs proposes",
                   "savoir offert", "ce que je propose", "ce que je peux offrir", "ce que je peux apporter",
                   "offres"),
    "demand_item": ("demande", "je cherche", "je souhaite apprendre", "request", "savoir recherche",
                    "savoirs recherches", "savoir demande", "ce que je cherche", "ce que je voudrais apprendre",
                    "ce que je souhaite apprendre", "demandes"),
    "happened": ("echange realise", "echange effectue", "echange fait", "l'echange a eu lieu"),
    "interest": ("interet", "interets", "interet de l'echange"),
    "obstacles": ("freins", "frein", "difficultes", "obstacles"),
    "facilitators": ("elements facilitants", "element facilitant", "facilitants", "ce qui a aide",
                     "points facilitants"),
    "consent": ("consentement", "accord"),
    # Keys that are not in the contract but end the value above them (web forms).
    "other": ("email", "e-mail", "mail", "courriel", "adresse", "adresse mail", "adresse e-mail",
              "adresse email", "ville", "code postal", "commune", "date", "age", "objet",
              "site", "site web", "votre email", "votre e-mail", "cc", "a", "de",
              # The recueil's and the bilan's optional lines (protocol.md, « The network's
              # voice »): read by workflows.model.voice, never a value of the field above.
              "isolement", "confiance", "reseau", "citation"),
}.items():
    for _name in _names:
        _KEYS[_name] = _field
del _field, _names, _name

_KEY_LINE_RE = re.compile(r"^[ \t>*•·\-–«“„‹\"\u00a0]*([^\W\d_][^:：\n]{0,40}?)\s*[:：]\s?(.*)$")
_CLOSING_QUOTE_RE = re.compile(r"\s*[»”›\"]\s*$")
"""« Invitations : non », copied from the robot's mail with its quotation marks."""
_PLURAL_PARENS_RE = re.compile(r"\((?:s|e|es|x)\)")

MEMBER_FIELDS = ("name", "phone", "contact", "invitations", "digest")
ITEM_FIELDS = ("description", "modality", "availability", "place", "shared", "standing_consent", "capacity")
_RUNS_ON = frozenset({"description"})
"""The only field whose value runs on over blank lines (protocol.md, "Fields")."""


@dataclass
class Entry:
    """One field as written: ``key`` a field name of ``_KEYS``, ``lines`` its value's
    lines (first the rest of the key line, then continuation lines)."""

    key: str
    lines: list[str] = field(default_factory=list)

    def first(self) -> str:
        """The first non-empty line of the value, or ``""``."""
        return next((clean_line(line) for line in self.lines if line.strip()), "")

    def rest(self) -> str:
        """The value without its first non-empty line, paragraphs kept."""
        lines = list(self.lines)
        while lines and not lines[0].strip():
            lines.pop(0)
        return join_paragraphs(lines[1:])

    def whole(self) -> str:
        """The whole value, lines of a paragraph joined by spaces."""
        return join_paragraphs(self.lines)


def join_paragraphs(lines: list[str]) -> str:
    """Lines joined with spaces, blank-line-separated paragraphs with ``\\n``."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(clean_line(line))
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n".join(paragraphs)


def field_key(line: str) -> tuple[str, str] | None:
    """``(field, value)`` when ``line`` is ``Key : value`` with a known key (field
    ``other`` for keys that only end a value), else None."""
    match = _KEY_LINE_RE.match(line)
    if not match:
        return None
    key = fold(_PLURAL_PARENS_RE.sub("s", match.group(1))).strip(" .*-")
    key = re.sub(r"\s+", " ", key)
    found = _KEYS.get(key)
    if found is None and key.endswith("s"):
        found = _KEYS.get(key[:-1])
    if not found:
        return None
    value = match.group(2)
    opened = line[: match.start(1)]
    if any(mark in opened for mark in "«“„‹\"") and not any(mark in value for mark in "«“„‹"):
        value = _CLOSING_QUOTE_RE.sub("", value)
    return found, value


def read_entries(text: str) -> tuple[list[Entry], list[str]]:
    """The fields of ``text`` in order, and the person's own lines around them (the free
    text that may serve as a description): the lines before the first key, the lines
    after a blank line that ended a value, and a web form's ``Message :``.

    A value runs on over the following lines until the next key or a blank line; only a
    ``Description`` runs on over blank lines. A key left empty ends at the blank line
    under it too (protocol.md: « Text after a blank line is the message's own text, never
    part of the field above it »): ``Nom :``, a blank line, ``Paul Henry`` leaves the name
    unset and « Paul Henry » in the free text, for the animators to read — the robot does
    not guess which lines a key meant."""
    entries: list[Entry] = []
    free: list[str] = []
    current: Entry | None = None
    for line in text.split("\n"):
        found = field_key(line)
        if found:
            key, value = found
            current = None
            if key == "message":
                free.append(value)
            elif key != "other":
                current = Entry(key, [value])
                entries.append(current)
            continue
        if current is not None:
            if not line.strip() and current.key not in _RUNS_ON:
                current = None
                free.append("")
                continue
            current.lines.append(line)
        else:
            free.append(line)
    return entries, free


_MODALITIES = (
    ("talking_group", re.compile(r"groupes? de parole")),
    ("practice_exchange", re.compile(r"echanges? de pratiques?|analyse de pratique")),
    ("one_to_one", re.compile(r"gre a gre|individuel|tete[ -]a[ -]tete|seule? a seule?|one[ -]to[ -]one"
                              r"|un a un|1 a 1|particulier|a deux|personnalise|binome")),
    ("group", re.compile(r"collecti|groupe|atelier|plusieurs|group\b|en commun")),
)
_CONTACTS = (
    ("permanence", re.compile(r"permanence|animat|reseau|sur place|en personne")),
    ("phone", re.compile(r"\btel|phone|sms|portable|appel|mobile|\b0\d[ .]?\d\d")),
    ("email", re.compile(r"mail|courriel|@|message")),
)


def modality(value: str) -> str | None:
    """``one_to_one``/``group``/``practice_exchange``/``talking_group`` from free text;
    the first one named wins ("individuel ou en groupe" -> ``one_to_one``)."""
    return _first_named(value, _MODALITIES)


def contact(value: str) -> str | None:
    """``email``/``phone``/``permanence`` from free text, the first one named."""
    return _first_named(value, _CONTACTS)


def _first_named(value: str, table: tuple[tuple[str, re.Pattern[str]], ...]) -> str | None:
    folded = fold(value)
    best: tuple[int, str] | None = None
    for name, pattern in table:
        match = pattern.search(folded)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), name)
            if name in ("talking_group", "practice_exchange"):
                return name  # more specific than "groupe" / "échange"
    return best[1] if best else None


_YES_RE = re.compile(r"^(?:oui|yes|ok|d'accord|volontiers|avec plaisir|bien sur|je veux bien|ouais|o)\b")
_NO_RE = re.compile(r"^(?:non|no|pas|jamais|aucune?|n)\b")


def yes_no(value: str) -> bool | None:
    """True/False for a ``oui``/``non`` value, None when it says neither."""
    folded = fold(value)
    if _NO_RE.match(folded):
        return False
    if _YES_RE.match(folded):
        return True
    return None


_INVITATION_KINDS = (
    ("permanences", re.compile(r"\bpermanences?\b")),
    ("rencontres", re.compile(r"\brencontres?(?: mensuelles?)?\b|\breunions? mensuelles?\b")),
    ("échanges", re.compile(r"\bechanges?(?: sur les echanges)?\b")),
    ("ateliers", re.compile(r"\bateliers?\b|\bcollectifs?\b")),
    ("réseaux voisins", re.compile(r"\breseaux? voisins?\b|\bautres reseaux\b")),
)
_EXCEPT_RE = re.compile(r"\b(?:sauf|excepte|hormis|a part|pas les|pas de|pas d'|sans les|sans)\b")


def invitation_choice(value: str) -> tuple[bool | None, list[str] | None]:
    """``(invitations, kinds)`` for an ``Invitations :`` value: « oui » -> (True, None),
    « non » -> (False, None), « ateliers, rencontres » -> (True, ["ateliers",
    "rencontres"]) in the order written, « oui sauf les permanences » -> every kind but
    permanences, in the protocol's order."""
    folded = fold(value)
    named: list[tuple[int, str]] = []
    for kind, pattern in _INVITATION_KINDS:
        match = pattern.search(folded)
        if match:
            named.append((match.start(), kind))
    if not named:
        return yes_no(value), None
    named.sort()
    exception = _EXCEPT_RE.search(folded)
    included = [kind for position, kind in named if exception is None or position < exception.start()]
    excluded = [kind for position, kind in named if exception is not None and position > exception.start()]
    if excluded and not included:
        return True, [kind for kind, _ in _INVITATION_KINDS if kind not in excluded]
    if included and not (_NO_RE.match(folded) and not re.search(r"\b(?:seulement|uniquement|juste)\b", folded)):
        return True, included
    return yes_no(value), None


def capacity(value: str) -> int | None:
    """The number of places in a ``Places :`` value (« 8 », « 8 personnes maximum »)."""
    match = re.search(r"\d{1,4}", value)
    return int(match.group(0)) if match else None


def signature_choice(value: str) -> str | None:
    """``anonyme`` or ``prénom`` for a ``Signature :`` value, None when it says neither."""
    folded = fold(value)
    if re.search(r"\bprenom\b|\bmon nom\b", folded):
        return "prénom"
    if re.search(r"\banonym|\bsans (?:nom|prenom)\b|\bun membre\b", folded):
        return "anonyme"
    return None


def happened(value: str) -> str | None:
    """``yes``/``no``/``ongoing`` for the bilan field "Échange réalisé"."""
    folded = fold(value)
    if re.search(r"en cours|commence|continue|pas (?:encore )?(?:fini|termine)|pas encore|ongoing|debut", folded):
        return "ongoing"
    if _NO_RE.match(folded) or re.search(r"\bpas eu lieu\b|\bn'a pas\b", folded):
        return "no"
    if _YES_RE.match(folded) or re.search(r"\brealise|\bfait\b|\btermine|\beu lieu\b", folded):
        return "yes"
    return None


_SEEN = r"(?:vu|vus|vue|vues|rencontre|rencontres|rencontree|rencontrees|retrouve|retrouves|retrouvees|parle|parles)"
_TOLD = r"(?:repondu|rappele|rappelee|recontacte|recontactee|ecrit|donne suite|donne de nouvelles|donne signe de vie)"
_TEXT_HAPPENED: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ongoing", re.compile(
        r"\ben cours\b|\b(?:on|nous) continu(?:e|ons)\b|\bca continue\b|\bon se revoit\b|\bnous nous revoyons\b"
        r"|\bon se reverra\b|\bprochaine (?:seance|rencontre|fois)\b|\bpas (?:encore )?(?:fini|termine)e?s?\b"
        r"|\bpas encore\b|\b(?:nous avons|on a) (?:juste |tout juste )?commence\b|\btoujours en contact\b")),
    ("no", re.compile(
        r"\bpas eu lieu\b|\bjamais eu lieu\b|\bne s'est (?:pas|jamais) fait\b|\brien ne s'est fait\b"
        r"|\b(?:on|nous) ne (?:s'est|se sont|nous sommes) (?:pas|jamais) " + _SEEN + r"\b"
        r"|\bn'(?:a|avons|ai) (?:pas|jamais) (?:pu|reussi a) (?:se|nous|la|le|l') ?(?:voir|rencontrer|retrouver"
        r"|joindre|parler)\b|\bpas (?:pu|reussi a) (?:se|nous) (?:voir|rencontrer|retrouver|joindre)\b"
        r"|\b(?:ne m'a|ne nous a|n'a|n'ont|ne m'ont) (?:pas|jamais) " + _TOLD + r"\b|\bjamais " + _TOLD + r"\b"
        r"|\b(?:pas|aucune?) (?:de )?nouvelles?\b|\bsans nouvelles?\b|\bne l'ai (?:jamais|pas) " + _SEEN + r"\b"
        r"|\b(?:a|ete) annulee?\b|\bpas donne suite\b")),
    ("yes", re.compile(
        r"\b(?:a|a bien) eu lieu\b|\b(?:on|nous) (?:s'est|nous sommes) (?:bien )?" + _SEEN + r"\b"
        r"|\bs'est (?:tres |vraiment |plutot |super |tres tres )?bien passee?\b|\bc'etait (?:tres |vraiment |super )?"
        r"(?:bien|super|genial|interessant|enrichissant|sympa)\b|\b(?:nous avons|on a) (?:fait|eu) (?:\d+|une|deux"
        r"|trois|quatre|plusieurs) (?:seances?|rencontres?|cours)\b|\b(?:j'ai|nous avons|on a) (?:beaucoup |bien )?"
        r"appris\b|\b(?:il|elle) m'a (?:beaucoup |bien )?appris\b|\bechange (?:realise|fait|termine)\b")),
)


def happened_in_text(text: str) -> str | None:
    """``yes``/``no``/``ongoing`` read from a bilan written as free text, when the reply
    has no ``Échange réalisé`` line: « Finalement on ne s'est pas vus », « elle n'a jamais
    répondu » -> ``no``; « on s'est vus trois fois, c'était très bien » -> ``yes``; « nous
    continuons le mardi », « pas encore » -> ``ongoing``. Conservative: nothing
    recognised, or signs of an exchange both made and not made, is None (the text is
    kept whole for the animators). An exchange going on after a good start is
    ``ongoing``."""
    folded = fold(text)
    kinds = {kind for kind, pattern in _TEXT_HAPPENED if pattern.search(folded)}
    if kinds == {"yes", "ongoing"}:
        return "ongoing"
    return kinds.pop() if len(kinds) == 1 else None


PREFERENCE_FIELDS = ("contact", "invitations")
"""The member fields a confirmed member may change by mail alone: each introduction asks
again before disclosing anything, and invitations are theirs to stop. Name, phone and
address changes go to the animators."""
_COURTESY_TAIL = r"(?:[ ,.;!]+(?:merci(?: beaucoup| bien)?|svp|s'il vous plait|please|thanks))*[ .;!]*$"
_PLAIN_PREFERENCE = {
    "invitations": re.compile(r"^(?:oui|non|yes|no|ok|d'accord)" + _COURTESY_TAIL),
    "contact": re.compile(r"^(?:par |au |a la |via |uniquement par |seulement par )?(?:e-?mail|mail|courriel"
                          r"|telephone|tel\.?|portable|mobile|sms|permanence|(?:l')?equipe d'animation)"
                          + _COURTESY_TAIL),
}
_THANKS_LINE = re.compile(r"^(?:merci|thanks|thank you)(?: beaucoup| bien| d'avance| par avance)?[ .!]*$")


def only_preferences(text: str) -> bool:
    """True when ``text`` (a message's own text) says nothing but a member's preferences:
    ``Invitations : oui/non`` and ``Contact : e-mail/téléphone/permanence`` lines, each
    with a plain value, among greetings and thanks. Any other line or word (« Invitations :
    oui mais seulement les ateliers », a ``Nom :`` or ``Tél :`` line, a sentence) makes it
    False: a person reads the message."""
    found = False
    for line in text.split("\n"):
        if not line.strip() or is_greeting(line) or _THANKS_LINE.match(fold(line)):
            continue
        entry = field_key(line)
        if entry is None or entry[0] not in PREFERENCE_FIELDS:
            return False
        key, value = entry
        if not _PLAIN_PREFERENCE[key].match(fold(value)):
            return False
        found = True
    return found


_PREFERENCE_KEYS = frozenset(MEMBER_FIELDS) | {"first_name", "last_name"}
_ACTION_RE = re.compile(
    r"\b(?:quitter|desinscri\w*|retir\w*|retrait|offres?|(?<!comme )(?<!avez )demandes?|propose\w*|cherche\w*|apprendre|interess\w*"
    r"|pause|reprendre|reprise|temoign\w*|adresse|adher\w*|inscri\w*|annul\w*|supprim\w*|effac\w*)\b"
)
"""Words of a request: a sentence holding one asks something of a person."""
_POLITE_SENTENCES = 2
_POLITE_WORDS = 14


def is_preferences(text: str, subject: str = "") -> bool:
    """True when a message's only meaningful content is member fields (protocol.md,
    ``preferences``): ``Invitations : non``, ``Contact : téléphone``, ``Nouvelles :
    oui``, ``Téléphone : …``, ``Nom : …``, in ``text`` (the person's own text) or as
    the ``subject`` itself, with greetings, thanks, closings and at most two short
    polite sentences around them. A question, a keyword, a reference, an item written
    in prose, or any other field (an item's, a bilan's) makes it False."""
    subject_line = subject if field_key(subject) else ""
    entries, free = read_entries(f"{subject_line}\n{text}" if subject_line else text)
    if not entries or any(entry.key not in _PREFERENCE_KEYS for entry in entries):
        return False
    # A value's continuation lines are read as sentences too (« Invitations : non » then
    # « Est-ce que je reste membre ? » on the next line).
    continued = [line for entry in entries for line in entry.lines[1:]]
    polite = 0
    for sentence in sentences("\n".join(line for line in free + continued if not is_greeting(line))):
        if is_greeting(sentence) or _THANKS_LINE.match(fold(sentence)) or is_filler(sentence):
            continue
        if ("?" in sentence or find_keyword(sentence) or _ACTION_RE.search(fold(sentence)) or item_ref_in(sentence)
                or clause_item(sentence) or len(sentence.split()) > _POLITE_WORDS):
            return False
        polite += 1
    return polite <= _POLITE_SENTENCES


_PHONE_RE = re.compile(r"\+?\(?\d[\d .\-()/\u00a0]{6,}\d")


def phone(value: str) -> str | None:
    """E.164 (``+33639981234``) when ``value`` holds a possible French (or
    international) number, per :mod:`phonenumbers`; else the value as written."""
    written = clean_line(value)
    if not written:
        return None
    match = _PHONE_RE.search(written)
    if match:
        import phonenumbers  # loaded on first use: most messages carry no phone

        try:
            number = phonenumbers.parse(match.group(0), "FR")
        except phonenumbers.NumberParseException:
            return written
        if phonenumbers.is_possible_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return written


@dataclass
class Fields:
    """What the fields of one text say: ``member``, ``items`` (titled by fields),
    ``pending`` (item fields met before any title), ``bilan`` (None when no bilan key),
    ``consent`` (free text), ``signature`` (``anonyme``/``prénom``/None), ``free_text``
    (the person's own lines: before the first key, after a value a blank line ended),
    ``keys`` the fields found, in order."""

    member: MemberFields
    items: list[Item]
    pending: dict[str, object]
    bilan: Bilan | None
    consent: str | None
    free_text: str
    signature: str | None = None
    keys: list[str] = field(default_factory=list)


def read_fields(text: str, item_kind: str | None) -> Fields:
    """Read every field of ``text``. ``item_kind`` is ``offer``/``demand`` for the kind
    of item a ``Savoir :`` line starts (the message's intent), or None when such lines
    start no item (a join only counts its ``Offre :``/``Demande :`` lines)."""
    entries, before = read_entries(text)
    member = MemberFields()
    items: list[Item] = []
    pending: dict[str, str] = {}
    bilan: Bilan | None = None
    consent: str | None = None
    signature: str | None = None
    first_name = last_name = None
    for entry in entries:
        key = entry.key
        if key in ("title", "offer_item", "demand_item"):
            kind = {"offer_item": "offer", "demand_item": "demand"}.get(key, item_kind)
            title = entry.first()
            if kind and title:
                items.append(Item(kind=kind, title=title, description=entry.rest() or None))
            continue
        if key in ITEM_FIELDS:
            value = _item_value(key, entry)
            if value is None or value == "":
                continue
            target = items[-1] if items else None
            if target is not None and getattr(target, key) is None:
                setattr(target, key, value)
            elif target is None:
                pending.setdefault(key, value)
            continue
        if key == "name" and member.name is None:
            member.name = entry.first() or None
        elif key == "first_name":
            first_name = entry.first() or None
        elif key == "last_name":
            last_name = entry.first() or None
        elif key == "phone" and member.phone is None:
            member.phone = phone(entry.first())
        elif key == "contact" and member.contact is None:
            member.contact = contact(entry.first())
        elif key == "invitations" and member.invitations is None:
            member.invitations, member.invitation_kinds = invitation_choice(entry.whole())
        elif key == "digest" and member.digest is None:
            member.digest = yes_no(entry.first())
        elif key == "signature" and signature is None:
            signature = signature_choice(entry.first())
        elif key in ("happened", "interest", "obstacles", "facilitators"):
            bilan = bilan or Bilan()
            if key == "happened":
                bilan.happened = happened(entry.first())
            else:
                setattr(bilan, key, entry.whole() or None)
        elif key == "consent":
            consent = entry.whole() or None
    # "Prénom : Aïcha" + "Nom : Benali": the "Nom" line was read as the full name.
    if first_name:
        member.first_name = first_name
        surname = last_name or member.name
        if surname and fold(first_name) in fold(surname):
            member.name = surname
        else:
            member.name = f"{first_name} {surname}" if surname else first_name
    elif last_name and member.name is None:
        member.name = last_name
    if items:  # fields written before the first title belong to the first item
        for key, value in pending.items():
            if getattr(items[0], key) is None:
                setattr(items[0], key, value)
    free = [line for line in before if not line.strip() or not is_greeting(line)]
    return Fields(member, items, pending, bilan, consent, join_paragraphs(free), signature,
                  [entry.key for entry in entries])


def _item_value(key: str, entry: Entry) -> object:
    """The value of an item field, as the contract gives it."""
    if key == "modality":
        return modality(entry.first()) or None
    if key in ("shared", "standing_consent"):
        return yes_no(entry.first())
    if key == "capacity":
        return capacity(entry.first())
    return entry.whole()
