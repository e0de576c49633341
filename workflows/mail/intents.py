"""What a message asks for, from its subject, then from the first meaningful line of its
body (protocol.md, "Intents").

Keywords are matched on folded text (no case, no accents, plain spaces) at the start of
the subject once reply/forward prefixes and ``[tags]`` are gone, or after a short
lead-in ("je voudrais m'inscrire"). A keyword in the middle of a sentence is not an
intent: a message the robot does not understand goes to the animators, which is always
better than a wrong action.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from workflows.mail.textutil import fold, fold_with_map, squash_spaces

_PREFIX_RE = re.compile(
    r"^\s*(?:(?P<word>re|r[ée]f|ref|tr|fw|fwd|rv|aw|wg|sv|vs|antw|rif|res|enc|odp|r)\s*(?:\[\d+\]|\(\d+\))?"
    r"\s*[:：]|\[(?!\s*rers-fed\s*\])[^\]\n]{0,80}\]|\((?:ext|externe|external|spam)\)|\*{3}[^*\n]{0,30}\*{3})\s*",
    re.IGNORECASE,
)
_FORWARD_WORDS = frozenset({"tr", "fw", "fwd", "rv", "wg", "enc", "odp"})


def strip_subject(subject: str) -> tuple[str, bool]:
    """``(subject without prefixes and tags, forwarded)``: removes ``Re:``, ``RE :``,
    ``TR:``, ``Fwd:``, ``Réf :``, ``[RERS]``, ``[RERS-XXXXXXXX]`` and the like, in any
    number — but not ``[RERS-FED]``, which names a linked network's robot message (the
    robot's own subject, :data:`_ROBOT_SUBJECT_RE`); ``forwarded`` is True when the outermost prefix is a forward (``TR``/``Fwd``)."""
    text = squash_spaces(subject)
    forwarded: bool | None = None
    for _ in range(20):
        match = _PREFIX_RE.match(text)
        if not match or match.end() == 0:
            break
        word = (match.group("word") or "").lower()
        if forwarded is None and word:
            forwarded = word in _FORWARD_WORDS
        text = text[match.end():]
    return text.strip(), bool(forwarded)


_REPLY_WORDS = frozenset({"re", "ref", "réf", "aw", "sv", "vs", "antw", "rif", "res", "r"})


def is_reply_subject(subject: str) -> bool:
    """True when the outermost prefix of ``subject`` says it is a reply (``Re:``,
    ``RE :``, ``Réf :``, ``AW:``…), not a forward."""
    match = _PREFIX_RE.match(squash_spaces(subject))
    while match and not match.group("word") and match.end():
        # "[RERS] Re: …": tags before the prefix
        rest = squash_spaces(subject)[match.end():]
        subject, match = rest, _PREFIX_RE.match(rest)
    return bool(match and (match.group("word") or "").lower() in _REPLY_WORDS)


# The subjects of the robot's own mail (templates/fr/*.subject.j2), by how they start once
# "Re:" and tags are gone; tests/unit/test_parse_new_forms.py checks each template.
_ROBOT_SUBJECT_RE = re.compile(
    r"^(?:annule|pas de seance|c'est note|les savoirs du|votre reponse|pour m-\d+|fait|rien a changer au calendrier"
    r"|commande non executee|rappel|\[a traiter\]|comment ecrire au|mise en relation|merci pour votre bilan"
    r"|merci, nous attendons|comment s'est passe l'echange|la mise en relation n'aura pas lieu|reponse pas claire"
    r"|une mise en relation vous est proposee|invitation|mise a jour|de nouveau prevu|nouvelles dates"
    r"|retire de votre agenda|votre message au|bien recu|vous etes deja membre|confirmez votre adhesion|bienvenue au"
    r"|votre demande d'adhesion est annulee|le robot (?:lit|ne peut)|vos donnees|vos preferences|inscription faite"
    r"|adhesion pour : il manque|bilan du|quitter le|vous restez membre|retirer [odt]-\d+|(?:offre|demande) [od]-\d+ "
    r"(?:retiree|gardee)|retrait(?: [odt]-\d+)? : rien n'a ete fait|[odtm]-\d+ (?::|a quitte)|nouvelles du|quoi de neuf"
    r"|et vous, qu'aimeriez-vous|trop de savoirs d'un coup|vous etes de retour au|votre pause au|fin de votre pause au"
    r"|votre interet pour [od]-\d+ est note|[od]-\d+ : pas dans la liste des savoirs|confirmez-vous ce changement|toujours d'actualite"
    r"|groupe g-\d+|animer un groupe|rejoindre le groupe|comment s'est passe le groupe|une personne a rejoint"
    r"|une place s'est liberee|vous avez quitte le groupe|le groupe n'aura pas lieu|liste d'attente du groupe"
    r"|bienvenue dans le groupe|merci : le groupe|\[rers-fed\]|temoignage|votre temoignage|echanges sur les echanges|merci pour votre reponse au recueil|synthese du recueil"
    r"|confirmez-vous votre nouvelle adresse|votre adresse au|changement d'adresse au|reseau voisin|votre transfert au"
    r")(?:(?<=\W)|\b)"
    r"|^.{1,120} de demain \(.{1,60}\) : \d+ personnes? (?:a|ont) dit oui$"
)
_CATALOGUE_SUBJECT_RE = re.compile(r"^(?:les savoirs du|nouvelles du|quoi de neuf)")


def is_robot_subject(subject: str) -> bool:
    """True when ``subject`` (prefixes and tags removed by :func:`strip_subject`) is the
    subject of one of the robot's own mails."""
    return bool(_ROBOT_SUBJECT_RE.match(fold(subject)))


_ROBOT_TAG_RE = re.compile(r"\[\s*a traiter\s*\]")


def is_robot_tagged(subject: str) -> bool:
    """True when ``subject`` (as received) carries the tag of the robot's forwards to the
    animators, ``[À traiter]`` (which :func:`strip_subject` removes with the other tags)."""
    return bool(_ROBOT_TAG_RE.search(fold(subject)))


_RECIPROCITY_SUBJECT_RE = re.compile(r"^et vous, qu'aimeriez-vous")


def is_reciprocity_subject(subject: str) -> bool:
    """True for the subject of the robot's « Et vous, qu'aimeriez-vous transmettre ? »: a
    reply to it that offers something in a sentence is an ``offer`` (protocol.md,
    "Replies", « et vous ? »)."""
    return bool(_RECIPROCITY_SUBJECT_RE.match(fold(subject)))


def is_catalogue_subject(subject: str) -> bool:
    """True for the subject of the robot's catalogue or digest mail: a reply to it that
    names a reference is ``interest`` (protocol.md, "Intents")."""
    return bool(_CATALOGUE_SUBJECT_RE.match(fold(subject)))


_LEAD_IN = r"(?:je|j') ?(?:voudrais|veux|souhaite|souhaiterais|desire|desirerais|aimerais|voudrai|peux|pourrais|vais)(?: bien| beaucoup)?"
_ITEM_REF = r"\b([odt0])\s*[-‐–]?\s*(\d{1,6})\b"
_OFFER_OR_DEMAND_REF = r"\b([od0])\s*[-‐–]?\s*(\d{1,6})\b"
_PLEASE = r"(?:(?:merci de|pouvez-vous|pourriez-vous|vous pouvez|" + _LEAD_IN + r") )?"
"""A polite lead-in before an act (« merci de retirer mon offre O-3 »)."""
_END = r"(?=\s*(?:$|[!.,:;(]))"
_CIVILITY = r"(?:mme|madame|mr|m\.|monsieur|mlle|mademoiselle|mes?sieurs|la personne|ma (?:cliente|voisine|fille|mere|soeur|collegue)|mon (?:client|voisin|fils|pere|frere|collegue))(?!\w)"
"""« Demande de Mme Diallo »: someone's request (an adviser forwarding it), not a DEMANDE."""
"""A keyword that must stand alone (« Reprise ! ») where a longer line means something else."""
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("withdraw_item", re.compile(
        r"^" + _PLEASE + r"(?:demande de )?(?:retrait|retirer|retire|cloturer|cloture|clore|fermer|fermeture|supprimer"
        r"|suppression|annuler|annulation|close|withdraw)\b[^\n]{0,40}?" + _ITEM_REF)),
    ("withdraw_item_no_ref", re.compile(
        r"^" + _PLEASE + r"(?:demande de )?(?:retrait|retirer|cloturer|cloture|clore|fermer|supprimer|suppression|annuler)"
        r"\b(?: de)?(?: mon| ma| mes| l'| la| le| les)? ?(?:offres?|demandes?|savoirs?|annonces?|temoignages?)\b")),
    ("address_change", re.compile(
        r"^(?:(?:ma )?nouvelle adresse(?: e-?mail| mail| courriel| electronique)?|changement d'adresse"
        r"(?: e-?mail| mail| courriel| electronique)?|changement (?:de |d')(?:e-?mail|mail|courriel|adresse)"
        r"|nouvel e-?mail|nouveau (?:mail|courriel)|mon adresse (?:e-?mail |mail |electronique )?(?:change|a change))\b"
        r"|^" + _LEAD_IN + r" changer (?:d'|de |mon |mon adresse )?(?:adresse|e-?mail|mail|courriel)\b")),
    ("interest", re.compile(
        r"^(?:je (?:suis |serais )?(?:tres |vraiment |aussi )?interesse(?:e|s|es)?(?: par| pour)|je m'interesse"
        r"(?: beaucoup| aussi)? (?:a|au|aux|pour)|interesse(?:e|s|es)?(?: par| pour)|ca m'interesse)\b[^\n]{0,50}?"
        + _OFFER_OR_DEMAND_REF
        + r"|^(?:(?:l'offre|la demande|l'annonce|le savoir|le|la|l')\s*)?" + _OFFER_OR_DEMAND_REF
        + r"\s*(?:m'interesse|m'interesserait|me plait|me tente|m'attire)\b")),
    ("pause", re.compile(
        r"^(?:pause|en pause|mise en pause|je (?:me )?mets? en pause|mettre en pause|je fais une pause"
        r"|je suis en pause|je prends une pause|faire une pause)"
        r"(?=\s*(?:$|[!.,:;(]|(?:jusqu|pendant|quelques|pour|de|des|mes|mon|ma|un|une|a partir)\b))"
        r"|^" + _LEAD_IN + r" (?:faire une pause|prendre une pause|me mettre en pause"
        r"|mettre (?:mes offres |mes demandes |mes savoirs |mon compte |ma participation )?en pause)\b")),
    ("resume", re.compile(
        r"^(?:reprise(?:" + _END + r"| de (?:mes|ma|mon|la participation|mon activite))|je reviens(?:" + _END
        + r"| dans le reseau| au reseau| parmi vous)|je suis de retour\b|de retour" + _END
        + r"|fin de (?:ma|la) pause\b|je reprends(?:" + _END + r"| mes (?:offres|demandes|echanges|savoirs)))"
        r"|^" + _LEAD_IN + r" (?:reprendre(?:" + _END + r"| mes (?:offres|demandes|echanges|savoirs)| ma participation)"
        r"|revenir dans le reseau|sortir de (?:ma|la) pause)")),
    ("testimony", re.compile(
        r"^(?:temoignage|mon temoignage|un temoignage|temoigner)\b"
        r"|^" + _LEAD_IN + r" (?:temoigner|(?:apporter|donner|laisser|partager|ecrire|envoyer) (?:un|mon) temoignage)\b")),
    ("withdraw", re.compile(
        r"^(?:(?:demande de )?(?:retrait|desinscription|desinscrire|se desinscrire|me desinscrire"
        r"|desabonnement|me desabonner|resiliation)|quitter|unsubscribe)\b"
        r"|^(?:" + _LEAD_IN + r"|merci de|pouvez-vous|pourriez-vous|vous pouvez) (?:me desinscrire|me desabonner|quitter|me retirer|partir|ne plus faire partie"
        r"|ne plus etre membre|etre desinscrite?|etre retiree?)\b")),
    ("join", re.compile(
        r"^(?:(?:demande d'|nouvelle |nouvel )?(?:adhesion|adherent|adherente|inscription)s?|adherer|join"
        r"|m'inscrire|rejoindre le reseau|devenir membre)\b"
        r"|^" + _LEAD_IN + r" (?:adherer|m'inscrire|m inscrire|rejoindre|devenir membre|faire partie|participer au reseau"
        r"|entrer dans le reseau)\b")),
    ("my_data", re.compile(
        r"^(?:mes donnees|mes informations personnelles|mes infos|acces a mes donnees|my data|rgpd)\b")),
    ("catalogue", re.compile(
        r"^(?:catalogue|catalog|listes?|savoirs|les savoirs|liste des (?:savoirs|offres|demandes))\b(?! ?:)")),
    ("help", re.compile(r"^(?:aide|help|\?+$|au secours|mode d'emploi|besoin d'aide\s*[!?.]*$|comment ca marche)")),
    ("offer", re.compile(
        r"^(?:offres?|je propose|j'offre|offer|proposition(?: de savoirs?)?|savoirs? proposes?)\b"
        r"|^" + _LEAD_IN + r" (?:proposer|offrir|partager|transmettre|enseigner)\b")),
    ("demand", re.compile(
        r"^(?:demandes?(?! (?:de|d'|du) ?" + _CIVILITY + r")|je cherche|je recherche|je souhaite apprendre|request"
        r"|recherche|savoirs? recherches?)\b"
        r"|^" + _LEAD_IN + r" (?:apprendre|trouver quelqu'un|trouver une personne)\b")),
)


_LEAD_MARKS_RE = re.compile(r"[^\w?«»\"'(]*")


@dataclass
class Keyword:
    """A keyword found: ``intent``, ``item_ref`` (``O-12``) for ``withdraw_item``,
    ``rest`` the text after the keyword as written (a title for ``offer``/``demand``),
    ``needs_ref`` True for "retrait de mon offre" without a reference."""

    intent: str
    item_ref: str | None = None
    rest: str = ""
    needs_ref: bool = False


def find_keyword(line: str) -> Keyword | None:
    """The intent keyword that ``line`` (a stripped subject or a body line, greeting
    already removed) starts with, or None."""
    folded, where = fold_with_map(line)
    # The rules are anchored at the start: leading spaces, emoji and marks (« 🙏 Demande »,
    # « ** OFFRE ** ») are skipped; a « ? » stays (HELP).
    offset = len(_LEAD_MARKS_RE.match(folded).group(0))
    folded = folded[offset:].strip()
    for intent, pattern in _RULES:
        match = pattern.match(folded)
        if not match:
            continue
        if intent == "withdraw_item":
            return Keyword("withdraw_item", item_ref=_ref(match.group(1), match.group(2)))
        if intent == "interest":
            letter, number = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
            return Keyword("interest", item_ref=_ref(letter, number))
        if intent == "withdraw_item_no_ref":
            return Keyword("withdraw_item", needs_ref=True)
        end = match.end() + offset
        rest = line[where[end]:] if end < len(where) else ""
        return Keyword(intent, rest=rest)
    return None


def _ref(letter: str, number: str) -> str:
    """``O-12``, ``D-7`` or ``T-4`` from a folded letter (``0`` read as ``O``) and digits."""
    return f"{ {'d': 'D', 't': 'T'}.get(letter.lower(), 'O') }-{int(number)}"


_NAMED_REF_RE = re.compile(
    r"^[\s:;,.\-–—>]*(?:(?:l'offre|la demande|l'annonce|le savoir|le groupe|le|la|l')\s*)?(?:n[°o]\s*)?"
    r"(mr|[odtgm0])\s?[-‐–]\s?(\d{1,6})\b")


def named_reference(rest: str) -> str | None:
    """The reference (``O-1``, ``D-2``, ``G-3``, ``T-4``, ``M-5``, ``MR-6``) that the text
    after an offer/demand keyword starts with (« Offre O-1 », « Demande : D-2 vélo »): the
    keyword names a listed item there, it does not give a title; None otherwise."""
    match = _NAMED_REF_RE.match(fold(rest))
    if match is None:
        return None
    letter = match.group(1)
    if letter in ("mr", "g", "m"):
        return f"{letter.upper()}-{int(match.group(2))}"
    return _ref(letter, match.group(2))


def is_bare_reference(title: str) -> bool:
    """True when ``title`` is nothing but a reference (« O-1 », « l'offre D-2. »): never an
    item's title."""
    match = _NAMED_REF_RE.match(fold(title))
    return match is not None and not fold(title)[match.end():].strip(" .,;:!?()")


_INTEREST_WORDS_RE = re.compile(
    r"\b(?:m'interesse(?:rait|nt)?|interesse(?:e|s|es)? (?:par|pour)|(?:je suis|je serais) (?:tres |vraiment )?"
    r"interesse(?:e|s|es)?\b|je m'interesse|ca me (?:plait|tente)|me (?:plait|tente) beaucoup)")


def says_interest(line: str) -> bool:
    """True when ``line`` (a body line) says the writer is interested, with or without a
    reference (« Je suis intéressée. », « Cette offre m'intéresse beaucoup »)."""
    return bool(_INTEREST_WORDS_RE.search(fold(line)))


def item_ref_in(text: str, letters: str = "OoDd0Tt") -> str | None:
    """The first ``O-12``/``D-7``/``T-4`` reference in ``text`` (``0-12`` read as
    ``O-12``), of the letters ``letters`` only."""
    match = re.search(rf"(?<![\w-])([{letters}])\s?[-‐–]\s?(\d{{1,6}})\b", text)
    if not match:
        return None
    return _ref(match.group(1), match.group(2))


_TITLE_LEAD_RE = re.compile(
    r"^[\s:;,.\-–—>]*(?:(?:de|d'un|d'une|des|du) (?:savoirs?|connaissances?)\b)?[\s:;,.\-–—]*",
    re.IGNORECASE,
)


# Courtesy at the end of a subject or a first line: « anglais svp merci d'avance ».
_COURTESY_TAIL_RE = re.compile(
    r"(?:[\s,;:.!?()-]*\b(?:(?:grand |mille |un grand )?mercis?(?: beaucoup| bien| d'avance| par avance| a vous"
    r"| a tous| de votre aide)?|(?:par|d') ?avance merci|svp|stp|s'?il vous plait|s'?il te plait|s il vous plait"
    r"|s il te plait|(?:bien )?cordialement|bonne (?:journee|soiree)|bises|amicalement))+[\s,;:.!?()-]*$"
)
_VOWELS = "aeiouyh"


def _without_courtesy(title: str) -> str:
    """``title`` without the courtesy words at its end (all of it when nothing else is left)."""
    folded, where = fold_with_map(title)
    match = _COURTESY_TAIL_RE.search(folded)
    if not match or match.start() == 0:
        return title
    return title[:where[match.start()]].rstrip(" .,;:!?-")


def _without_elided_article(title: str) -> str:
    """``title`` without an elided article typed without its apostrophe (« l espagnol »,
    « d anglais », « qu on »): a lone l, d, j, n, s, c, m, t or qu before a word that
    starts with a vowel or an h. A capital C stays (the language: « C et Python »)."""
    match = re.match(r"(qu|[ldjnsmtc])\s+(\S)", title, re.IGNORECASE)
    if not match or match.group(1) == "C" or fold(match.group(2))[:1] not in _VOWELS:
        return title
    return title[match.start(2):]


def _without_partitive(title: str) -> str:
    """``title`` without the partitive article a sentence puts before it: « (je propose)
    du tricot », « de la couture », « des cours de guitare », « de l'aide » → the thing
    itself. The rest, and a title that is nothing but the article, stay as written."""
    match = re.match(r"(?:(?:du|des|de la)\s+|de l['’]\s*)(?=\w)", title, re.IGNORECASE)
    if not match:
        return title
    return title[match.end():]


def title_from(rest: str) -> str:
    """A title from the text after an offer/demand keyword: ``": cours d'espagnol"`` ->
    ``"cours d'espagnol"``; separators, "de savoir", an elided article without its
    apostrophe (``"l espagnol"``) and courtesy words at the end (``"merci"``, ``"svp"``)
    removed, as written otherwise."""
    folded, where = fold_with_map(rest)
    match = _TITLE_LEAD_RE.match(folded)
    start = where[match.end()] if match and match.end() < len(where) else (len(rest) if match and match.end() else 0)
    title = " ".join(rest[start:].split()).strip(" .")
    return _without_partitive(_without_elided_article(_without_courtesy(title)))
