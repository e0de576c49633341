"""Yes, no or unclear: the answer to a question of the robot, read from the reply's own
text (quotes and signature already removed by the caller).

The words are those of protocol.md, "Replies", plus what people write in plain French
("oui bien sûr, avec plaisir", "ok pour moi", "non merci pas pour l'instant"). Both kinds
of word, a doubt ("je ne sais pas encore", "peut-être"), or none at all make the answer
``unclear``: the robot then asks once more rather than act on a guess.
"""
from __future__ import annotations

import re

from workflows.mail.fields import field_key
from workflows.mail.quotes import drop_greeting, is_greeting
from workflows.mail.textutil import fold

# Longer phrases first: at one position the first alternative that matches wins, so
# "pas d'accord" is read as a no before "d'accord" could be read as a yes.
_PHRASES: tuple[tuple[str, str], ...] = (
    ("unclear", r"je ne sais pas|je sais pas|sais pas|je ne sais plus|je sais plus|je ne suis pas sur"
                r"|pas sure?|peut[- ]etre|je (?:vais )?reflechi[rs]|je dois reflechir|laissez[- ]moi reflechir"
                r"|j'hesite|hesite|pas encore decide|je ne suis pas certaine?|a voir|on verra|je verrai"
                r"|pourquoi pas|maybe|not sure|don'?t know"),
    ("yes", r"pas de (?:souci|soucis|probleme|problemes)|sans (?:souci|probleme)|aucun (?:souci|probleme)"
            r"|pourquoi pas non"),
    ("no", r"pas d'accord|pas ok|non merci|pas interesse(?:e|s|es)?|plus interesse(?:e|s|es)?"
           r"|pas pour (?:l'instant|le moment|moi|maintenant)|je refuse|refuse|refusee?|je decline|decline"
           r"|je ne (?:souhaite|veux|peux|desire) pas|je ne confirme pas|je n'accepte pas|je ne valide pas"
           r"|ne (?:souhaite|veux) plus|no thanks|no thank you|absolument pas|surtout pas|certainement pas"
           r"|pas du tout|non|no|nope|nan|👎|❌"),
    ("yes", r"oui|ouais|ouaip|yes|yep|ok|okay|okey|d'accord|d accord|dac|daccord|j'accepte|accepte|acceptee"
            r"|je confirme|confirme|confirmee|valide|validee|je valide|approuve|approuvee|j'approuve"
            r"|bien sur|avec plaisir|volontiers|parfait|ca marche|ca me va|c'est bon|entendu|tout a fait"
            r"|absolument|evidemment|carrement|go|je suis partante?|partante?|interessee?|sure|of course"
            r"|👍|✅|👌|✔"),
)
_ANSWER_RE = re.compile(
    # A word glued to another by a hyphen is another word: « non-stop », « non-voyant ».
    "|".join(f"(?P<{kind}{index}>(?<![\\w'])(?<!\\w-)(?:{phrase})(?!\\w|-\\w))"
             for index, (kind, phrase) in enumerate(_PHRASES))
)
_NOT_WORDS_RE = re.compile(r"<?(?:https?://|www\.)[^\s>]+>?|<?[\w.+-]+@[\w-]+(?:\.[\w-]+)+>?|<[^<>\s]*>")
"""Links and addresses are not words: « go » in ``https://go.microsoft.com`` is no yes."""
_BEHALF_RE = re.compile(r"^pour\s+m\s*-\s*\d+\s*[:,]?\s*")
_SINGLE_LETTER = {"y": "yes", "n": "no", "o": "yes"}
_LINES_READ = 5
"""An answer is read from the first few meaningful lines only: a long reply may
mention "non" later about something else entirely."""


def read_answer(own_text: str) -> str:
    """``yes``, ``no`` or ``unclear`` for a reply whose own text is ``own_text``.

    Greeting lines are skipped, an animator's ``POUR M-14 :`` is taken off, and the first
    five meaningful lines are read. A single ``Y``/``N`` counts only as the whole reply
    (they clash with French ``y`` and ``n'``).
    """
    lines = [line for line in own_text.split("\n") if line.strip() and not is_greeting(line)]
    folded_lines = [_BEHALF_RE.sub("", drop_greeting(without_links(fold(line)))) for line in lines[:_LINES_READ]]
    folded = "\n".join(folded_lines).strip()
    bare = folded.strip(" .!?")
    if bare in _SINGLE_LETTER and len(lines) <= 2:
        return _SINGLE_LETTER[bare]
    kinds = set()
    for match in _ANSWER_RE.finditer(folded):
        kinds.add(re.sub(r"\d+$", "", match.lastgroup or ""))
    if "unclear" in kinds or not kinds or {"yes", "no"} <= kinds:
        return "unclear"
    return "yes" if "yes" in kinds else "no"


def without_links(text: str) -> str:
    """``text`` with its web links and e-mail addresses made spaces."""
    if "@" not in text and "www" not in text and "://" not in text and "<" not in text:
        return text
    return _NOT_WORDS_RE.sub(" ", text)


# --- a plain yes: what a destructive confirmation needs ------------------------------------

_PLAIN_YES_WORDS = (
    r"(?:c'est )?ok pour moi|oui|ouais|yes|ok|okay|okey|d'accord|d accord|daccord|dac|tout a fait|absolument|bien sur|parfait"
    r"|c'est bon|(?:oui,? )?(?:je )?confirme(?:e|r)?|c'est confirme|(?:je )?valide|validee|j'accepte|accepte|acceptee"
    # "je confirme mon retrait", "je confirme la désinscription": what the question asked
    r"|(?:mon|ma|le|la) (?:retrait|desinscription|demande|choix|depart)"
    r"|👍|✅|👌|✔"
)
_COURTESY_WORDS = (
    r"merci(?: beaucoup| bien| a vous| pour tout| d'avance| par avance| encore)?|bonjour|bonsoir|salut|hello"
    r"|(?:bien |tres )?cordialement|amicalement|bien a vous|(?:sinceres |meilleures )?salutations(?: distinguees)?"
    r"|bonne (?:journee|soiree|fin de journee|semaine|continuation)|belle journee|a bientot|au revoir|bises"
    r"|madame|monsieur|s'il vous plait|svp|et|encore|🙂|😊|🙏|☺"
)
_PLAIN_YES_RE = re.compile(rf"(?<![\w'])(?:{_PLAIN_YES_WORDS})(?![\w'])")
_COURTESY_RE = re.compile(rf"(?<![\w'])(?:{_COURTESY_WORDS})(?![\w'])")
_PUNCTUATION_RE = re.compile(r"[\s.,;:!?…()\-–—\"«»\ufe0f\U0001F3FB-\U0001F3FF]*")
"""Punctuation, and what may follow an emoji (a variation selector, a skin tone)."""


def plain_yes(own_text: str) -> bool:
    """True when the reply's first meaningful line is a plain yes and says nothing else:
    « oui », « OUI merci », « oui je confirme », « d'accord », « ok », « 👍 », with
    greetings, thanks and closing words around it (an animator's ``POUR M-14 :`` taken
    off). Lines of courtesy alone are skipped. Any other word (« oui je veux rester »,
    « oui mais… ») makes it False: an act that cannot be undone (leaving the network,
    withdrawing an item) waits for a plain yes, where :func:`read_answer` reads ``yes``
    from the words of a sentence."""
    for line in own_text.split("\n"):
        if not line.strip() or is_greeting(line):
            continue
        folded = _BEHALF_RE.sub("", drop_greeting(fold(line)))
        rest = _COURTESY_RE.sub(" ", folded)
        if _PUNCTUATION_RE.fullmatch(rest):
            continue  # "Merci !", "Bonjour Madame,": not yet the answer
        return bool(_PLAIN_YES_RE.search(rest)) and bool(_PUNCTUATION_RE.fullmatch(_PLAIN_YES_RE.sub(" ", rest)))
    return False


_NEGATION = (r"\b(?:ne|n')\s*(?:[\w']+\s+){0,2}?(?:pas|plus|jamais)\b"
             r"(?:\s+(?:la|presente?s?|disponibles?|venir|possible|libres?))?")


_DECLINE = re.compile(
    _NEGATION + r"|\b(?:absente?s?|excusee?s?|empechee?s?|indisponibles?|pas disponibles?|pas libres?"
    r"|sans moi|malade|annule[rz]? ma (?:venue|participation|presence)|je me desiste|desistement"
    r"|can'?t come|won'?t come|not coming|unable to (?:come|attend))\b"
)


_DOUBT = re.compile(
    r"\b(?:peut[- ]etre|je ne sais pas|je sais pas|pas sure?|a voir|on verra|je verrai|si je peux|si possible"
    r"|j'essaierai|j'essaie|normalement|sans doute|probablement|maybe|perhaps|not sure)\b"
)


_ACCEPT = re.compile(
    r"\b(?:je viendrai|je viens|j'y serai|j y serai|j'y vais|je serai la|je serai presente?|presente?s?"
    r"|je participe(?:rai)?|nous viendrons|on viendra|on sera la|nous serons la|compte[sz]? sur moi"
    r"|inscri(?:s|vez)[- ]moi|je m'inscris|avec plaisir|j'accepte|i'?ll come|i will come|i'?ll be there|attending)\b"
)


_LINES_READ = 5


def read_attendance(text: str) -> str | None:
    """``accepted``, ``declined`` or None (unclear) for a plain-words answer to an
    invitation (quotes and signature already removed). Only the first meaningful lines
    count; a doubt ("peut-être", "si je peux"), or signs both ways, is unclear."""
    lines = [line for line in text.split("\n") if line.strip()][:_LINES_READ]
    folded = without_links(fold("\n".join(lines)))
    if not folded.strip() or _DOUBT.search(folded):
        return None
    signs = set()
    if _DECLINE.search(folded):
        signs.add("declined")
    # "je ne serai pas présente" must not count "présente" as a yes.
    rest = _DECLINE.sub(" ", folded)
    if _ACCEPT.search(rest):
        signs.add("accepted")
    answer = read_answer("\n".join(lines))
    if answer == "yes":
        signs.add("accepted")
    elif answer == "no":
        signs.add("declined")
    return signs.pop() if len(signs) == 1 else None


# --- what a reply says besides its answer ---------------------------------------------------

_FILLER_RE = re.compile(
    r"(?<![\w'])(?:je (?:ne )?suis|c'est|ce n'est|pour moi|pour|je donne|moi|non plus|vraiment"
    r"|on est|nous sommes|ca me va|ca nous va|tres bien|bien"
    r"|desole(?:e|s|es)?|je veux bien"
    # A short exclamation after a clear answer (« OUI » then « toujours ! »).
    r"|toujours(?: d'actualite)?|plus que jamais|absolument|bien sur|bien entendu|evidemment|carrement|parfait"
    r"|super|genial"
    r"|(?:mon|ma|cette|la|le|l') ?(?:adhesion|inscription|demande|retrait|desinscription|choix|depart"
    r"|mise en relation|echange|participation|accord))(?![\w'])")
"""Words that only dress an answer up (« je confirme mon adhésion », « non, désolée », « oui,
toujours ! »)."""


def has_remarks(own_text: str) -> bool:
    """True when a reply says something besides its yes or no: « NON, elle n'a plus le
    temps », « Oui, mais seulement le mardi ». Not remarks: greetings, thanks and closing
    words, an animator's ``POUR M-14 :``, the answer's own words (« non merci », « oui
    avec plaisir », « je refuse »), a field line (« Contact : téléphone »)."""
    for line in own_text.split("\n"):
        if not line.strip() or is_greeting(line) or field_key(line):
            continue
        folded = _BEHALF_RE.sub("", drop_greeting(fold(line)))
        for pattern in (_ANSWER_RE, _COURTESY_RE, _FILLER_RE):
            folded = pattern.sub(" ", folded)
        if not _PUNCTUATION_RE.fullmatch(folded):
            return True
    return False
