"""Offers and demands written as sentences (protocol.md, "Fields": « j'aimerais apprendre à
faire un CV » is a demand titled « faire un CV », « je peux montrer comment réparer un
vélo » an offer titled « réparer un vélo »), and what of a text the parser did not use.

A text is cut into clauses (sentences, then « … et j'aimerais … »); a clause that opens
with a wish to learn or an offer to show carries one item, titled by what follows the
verb up to the clause's end, a comma, or a word that starts something else (« pour
trouver du travail », « le samedi », « car … »). Everything is matched on folded text
(:func:`workflows.mail.textutil.fold_with_map`) and cut out of the text as written.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from workflows.mail.intents import title_from
from workflows.mail.textutil import fold, fold_with_map

_OPENING = r"(?:(?:et|aussi|moi|sinon|par contre|de plus|enfin|egalement|ensuite|donc|alors|mais)[ ,]+)*"
_WANT = (r"(?:je|j') ?(?:voudrais|veux|souhaite|souhaiterais|aimerais|aimerai|desire|desirerais|voudrai"
         r"|serais (?:aussi |tres |vraiment |si )?(?:ravie?|heureuse?|contente?|interessee?) (?:de|d'))"
         r"(?: bien| beaucoup| vraiment| tellement)?")
_ABLE = (r"(?:je|j') ?(?:peux|pourrais|sais|saurais|suis capable de|suis en mesure de|propose de|me propose de"
         r"|veux bien|voudrais bien|serais (?:aussi |tres |vraiment )?(?:ravie?|heureuse?|contente?) (?:de|d')"
         r"|ai envie de)(?: bien| volontiers| aussi)?")
_SPACE = r"(?:(?<=') ?| )"
"""After a lead-in: a space, none after an elided « d' » (« contente d'apprendre »)."""
_NEED = r"(?:j'ai|j'aurais|il me faudrait|il me faut) (?:besoin|envie) (?:d'|de )"
_SOMEONE = r"(?:quelqu'un|une personne|des personnes|les gens|d'autres|aux autres|aux gens|a quelqu'un|a d'autres)"
_TEACH = (r"(?:montrer|expliquer|apprendre|enseigner|transmettre|partager|donner|initier|faire decouvrir|accompagner"
          r"|aider)")

_DEMAND_RES = tuple(re.compile(pattern) for pattern in (
    # « j'aimerais apprendre à faire un CV », « je voudrais être aidée pour … »
    rf"^{_OPENING}{_WANT}{_SPACE}(?:(?:apprendre|reussir|arriver|m'initier|decouvrir|progresser|m'ameliorer"
    r"|me perfectionner|me former)(?: (?:a|au|aux|en|comment))?|savoir (?=faire\b)|pouvoir (?=\w+(?:er|ir|re)\b)"
    r"|etre aidee? (?:pour|a|en|dans)|avoir de l'aide (?:pour|en|avec)|de l'aide (?:pour|en|avec)"
    r"|un coup de main (?:pour|en|avec)|qu'on m'(?:apprenne|aide|explique|montre) (?:a|comment)?"
    r"|que quelqu'un m'(?:apprenne|aide|explique|montre) (?:a|comment)?|trouver quelqu'un (?:pour|qui) m'(?:apprendre"
    r"|aider|expliquer|montrer|apprenne|aide|explique|montre)(?: (?:a|comment))?)\b ?",
    # « je voudrais m'inscrire pour apprendre l'anglais »
    rf"^{_OPENING}{_WANT}{_SPACE}(?:m'inscrire|adherer|rejoindre le reseau|participer|venir)(?: au reseau| a votre reseau)?"
    r" (?:pour|afin d') ?(?:apprendre|m'initier|progresser|me perfectionner)(?: (?:a|au|aux|en|comment))?\b ?",
    # « j'ai besoin d'aide pour mes démarches », « j'ai envie d'apprendre la guitare »
    rf"^{_OPENING}{_NEED}(?:apprendre(?: (?:a|comment))?|aide (?:pour|en|avec)|un coup de main (?:pour|en|avec)"
    r"|conseils (?:pour|en|sur)|cours (?:de|d'))\b ?",
    # « je cherche quelqu'un pour m'apprendre à coudre », « … quelqu'un pour apprendre le
    # français écrit », « … quelqu'un qui sait réparer un vélo »: the savoir is what the
    # someone is for; « je cherche de l'aide pour … »
    r"^" + _OPENING + r"(?:je|j') ?(?:cherche|recherche) (?:(?:quelqu'un|une personne) (?:pour|avec qui|qui(?: (?:pourrait"
    r"|peut|saurait|sait|sache|voudrait|puisse|accepterait de|aurait le temps de))?) (?:m'|me )?(?:(?:apprendre|aider"
    r"|expliquer|montrer|enseigner|apprenne|aide|explique|montre|enseigne)\b(?: (?:a|comment|en|pour))?)?"
    r"|de l'aide (?:pour|en|avec)|a apprendre(?: (?:a|comment))?)\b ?",
))
_OFFER_RES = tuple(re.compile(pattern) for pattern in (
    # « je peux montrer comment réparer un vélo », « je sais faire du pain »
    rf"^{_OPENING}{_ABLE}{_SPACE}(?:{_TEACH}(?: {_SOMEONE})?(?: (?:a|au|aux|comment|pour|en|les bases de|les bases du))?"
    r"|faire decouvrir|donner un coup de main (?:pour|en|avec))\b ?",
    # « je sais faire du pain », « je sais coudre »: the verb is the title's first word
    r"^" + _OPENING + r"(?:je|j') ?(?:sais|saurais|peux|pourrais)(?: tres bien| bien| aussi)? (?=(?:faire|coudre|cuisiner"
    r"|tricoter|jardiner|bricoler|dessiner|peindre|chanter|danser|jouer|parler|reparer|utiliser|programmer|ecrire"
    r"|rediger|preparer|fabriquer|soigner|garder|conduire|tailler|installer|monter|organiser)\b)",
    # « j'aimerais partager ma passion pour la cuisine », « je voudrais apprendre aux autres à … »
    rf"^{_OPENING}{_WANT}{_SPACE}(?:(?:montrer|expliquer|enseigner|transmettre|partager|initier|faire decouvrir|donner"
    rf"|aider)(?: {_SOMEONE})?(?: (?:a|au|aux|comment|pour|en))?|apprendre {_SOMEONE}(?: (?:a|comment))?)\b ?",
))
# Where a title stops: what follows is a purpose, a time, a place or another clause.
_TITLE_END_RE = re.compile(
    r"\s*(?:[,;:(]|\s-\s|\bcar\b|\bparce qu|\bafin de\b|\bpuisque\b|\bmais\b|\bsi\b|\bquand\b|\blorsque\b"
    r"|\bdes que\b|\bet (?:je|j'|j |on|nous|si|aussi|egalement)\b"
    # to whom, not what: « (apprendre à tricoter) à qui veut », « à ceux qui le souhaitent »
    r"|\ba (?:qui (?:veut|voudra|le veut|le souhaite|ca interesse)|ceux qui|celles? qui|toute personne)\b"
    r"|\baux (?:personnes|gens) qui\b"
    r"|\bpour (?:(?:pouvoir|trouver|mon|ma|mes|aider|m'|me|mieux|etre|avoir|faire)\b)"
    r"|\b(?:le|les|tous les|chaque) (?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|week-end|matin|soir)s?\b"
    r"|\ben (?:visio|groupe|tete-a-tete|individuel)\b|\bde preference\b|\bsi possible\b|\bdans le cadre\b)"
)
# What follows « apprendre », « découvrir »… and is not a savoir: the network itself, a
# question, « des choses ».
_NOT_A_TITLE_RE = re.compile(
    r"^(?:(?:(?:le|votre|ce|ton|notre|du) )?reseau|(?:l'|votre |cette )?association|vos activites|les activites|le principe"
    r"|le fonctionnement|(?:de )?(?:nouvelles|des|plein de|beaucoup de|d'autres) (?:choses|trucs|gens|personnes)"
    r"|des gens|les gens|d'autres personnes|de nouvelles personnes|plus|davantage|encore|tout|rien|ca|cela)\b[\s.!?]*$"
    # a pronoun names what was said before (« je sais coudre et je voudrais partager ça
    # avec d'autres »): the savoir is the other clause's
    r"|^(?:ca|cela|ceci|celui-ci|celle-ci)\b"
    r"|^(?:comment|si|s'il|ce que|ce qu|pourquoi|quand|ou|combien|qui|quel|quelle|quels|quelles|a quelle|le prix"
    r"|les horaires|la date|l'adresse)\b"
)
_SENTENCE_RE = re.compile(r"(?<=[.!?;…])\s+|\n+")
_CLAUSE_RE = re.compile(r"(?:,\s*|\s+)(?=(?:et|mais|aussi|par contre)[ ,]+(?:je|j')\b)")
_ARTICLE_RE = re.compile(r"^(?:(?:du|des|de la|le|la|les)\s+|(?:de l|l)'\s*)(?=\w)", re.IGNORECASE)
_TITLE_MAX = 100
_TITLE_WORDS_MAX = 12


@dataclass
class ProseItem:
    """An item read from a sentence: ``kind`` ``offer``/``demand``, ``title`` as written,
    ``sentence`` the clause it came from and ``used`` the part of it up to the title's
    end (as written: what follows, « le samedi matin », is still the person's text)."""

    kind: str
    title: str
    sentence: str
    used: str = ""


def sentences(text: str) -> list[str]:
    """The sentences of ``text``, then each cut into its clauses (« je peux … et
    j'aimerais … »), stripped, empty ones left out."""
    out: list[str] = []
    for sentence in _SENTENCE_RE.split(text):
        for clause in _CLAUSE_RE.split(sentence):
            clause = clause.strip()
            if clause:
                out.append(clause)
    return out


def prose_items(text: str, kinds: tuple[str, ...] = ("offer", "demand")) -> list[ProseItem]:
    """The offers and demands (of ``kinds``) that the sentences of ``text`` carry, in
    order. ``text`` is free text (no field lines, greetings or signature); a clause
    carries at most one item."""
    found: list[ProseItem] = []
    for clause in sentences(text):
        item = clause_item(clause)
        if item is not None and item.kind in kinds:
            found.append(item)
    return found


_CLAUSE_READ = 600
"""Characters of a clause read: a lead-in and a title of :data:`_TITLE_MAX` fit well in it,
and a clause of a hundred thousand characters (one pasted line) costs no more."""


def clause_item(clause: str) -> ProseItem | None:
    """The item one clause carries, or None (see the module docstring)."""
    clause = clause[:_CLAUSE_READ]
    folded, where = fold_with_map(clause)
    lead = len(folded) - len(folded.lstrip())
    body = folded[lead:]
    for kind, patterns in (("demand", _DEMAND_RES), ("offer", _OFFER_RES)):
        for pattern in patterns:
            match = pattern.match(body)
            if not match:
                continue
            found = _title(clause, folded, where, lead + match.end())
            if found:
                title, stop = found
                return ProseItem(kind, title, clause, clause[:stop])
    return None


def _title(clause: str, folded: str, where: list[int], start: int) -> tuple[str, int] | None:
    """The title that starts at folded position ``start`` of ``clause``, as written, and
    the position in ``clause`` where it ends."""
    end_match = _TITLE_END_RE.search(folded, start)
    end = end_match.start() if end_match else len(folded)
    if start >= len(where) or end <= start:
        return None
    stop = where[end] if end < len(where) else len(clause)
    title = clause[where[start]:stop]
    title = " ".join(title.split()).strip(" .!?…'\"«»")
    title = title_from(_ARTICLE_RE.sub("", title, count=1))  # the same cleaning as a subject's title
    if not title or len(title) > _TITLE_MAX or len(title.split()) > _TITLE_WORDS_MAX:
        return None
    first_part = fold(title).split(" et ", 1)[0]  # « le réseau et rencontrer des gens »
    if not re.search(r"\w{2,}", title) or _NOT_A_TITLE_RE.match(fold(title)) or _NOT_A_TITLE_RE.match(first_part):
        return None
    return title, stop


# --- what was not used ---------------------------------------------------------------------

_FILLER_RE = re.compile(
    r"^(?:voici|ci-dessous|ci-joint|ci-apres|veuillez trouver|vous trouverez)\b[^.!?]{0,60}$"
    r"|^je vous (?:envoie|transmets|transfere|renvoie|fais suivre|adresse) (?:ma|mon|mes|la|le|les|ci-joint|ci-dessous)\b"
    r"[^.!?,;]{0,30}$"
    r"|^(?:je vous remercie|en vous remerciant|merci|dans l'attente|je reste a votre"
    r"|n'hesitez pas|bonne (?:journee|soiree|semaine|fin de)|a bientot|au plaisir|bien a vous|cordialement"
    r"|(?:bien |tres )?cordialement|amicalement|salutations)\b[^.!?]{0,80}$"
)
_MEANINGFUL_WORDS = 3


def is_filler(sentence: str) -> bool:
    """True for a sentence that only introduces, thanks or closes (« Voici mon offre : »,
    « Merci d'avance », « Je reste à votre disposition ») or is too short to say anything
    (fewer than three words)."""
    folded = fold(sentence).strip(" .!?…:;,-")
    if len(re.findall(r"\w+", folded)) < _MEANINGFUL_WORDS:
        return True
    return bool(_FILLER_RE.match(folded))


def is_courtesy(sentence: str) -> bool:
    """True for a sentence that only thanks or closes (« Merci », « Merci d'avance »,
    « Bien à vous »): unlike :func:`is_filler`, a short sentence that says something
    (« Le samedi. ») is not courtesy."""
    folded = fold(sentence).strip(" .!?…:;,-")
    return not folded or bool(_FILLER_RE.match(folded))


__all__ = ["ProseItem", "clause_item", "is_courtesy", "is_filler", "prose_items", "sentences"]
