"""A shared word is not a shared meaning (issue 16, sixth pass): a synonym entry that is
also the first word of a longer entry of its group (« entretien » / « entretien
d'embauche ») stands for the group alone, not inside another expression of its own
(« entretien de sa chaudière »), in the pair score and in the index alike."""
from __future__ import annotations

from pathlib import Path

import pytest

from workflows.model.matching import DEFAULT_MIN_SCORE, AMBIGUOUS_MARK, MatchIndex, score_titles
from workflows.shell import resources

PAIRS = Path(__file__).resolve().parents[2] / "tests" / "data" / "pairs_context.tsv"


@pytest.fixture(scope="module")
def analyzer():
    return resources.analyzer()


def proposed(analyzer, offer: str, demand: str) -> bool:
    score = score_titles(analyzer, offer, demand)
    return score.score >= DEFAULT_MIN_SCORE and bool(score.matches)


def test_ambiguous_words_are_the_short_entries_of_longer_ones(analyzer):
    assert {"entretien", "perm"} <= analyzer.ambiguous
    # « calcul mental : calcul » (a domain) does not make « calcul » ambiguous.
    assert "calcul" not in analyzer.ambiguous


def test_a_word_with_a_complement_of_its_own(analyzer):
    assert analyzer.compounded("Entretien de sa chaudière") == {"entretien"}
    assert analyzer.compounded("Permis de construire") == {"permis"}
    assert analyzer.compounded("Lire des partitions") == set()  # « des » is an article too
    assert analyzer.compounded("Permis de base") == set()  # a generic word is no complement
    assert analyzer.compounded("Préparer un entretien") == set()


def test_the_short_entry_alone_is_its_group_and_inside_another_expression_is_not(analyzer):
    alone = analyzer.analyse("Préparer un entretien").title
    group = analyzer.analyse("Entretien d'embauche").title
    assert alone == group
    other = analyzer.analyse("Entretien de sa chaudière").title
    assert "entretien" + AMBIGUOUS_MARK in other and not set(other) & set(group)


@pytest.mark.parametrize("meaning", [True, False])
@pytest.mark.parametrize("offer, demand, match", [
    ("Entretien d'embauche", "Entretien de sa chaudière", False),
    ("Permis de conduire", "Permis de construire", False),
    ("Entretien d'embauche", "Préparer un entretien", True),
    ("Entretien d'embauche", "Se préparer aux entretiens de recrutement", True),
    ("Permis de conduire", "Permis", True),
    ("Entretien de sa chaudière", "Entretien de chaudière", True),  # the same expression meets itself
    ("Préparer un entretien d'embauche", "Entretien du jardin", False),  # « du », a preposition here
])
def test_proposed_or_not(meaning, offer, demand, match):
    analyzer = resources.analyzer(meaning=meaning)
    assert proposed(analyzer, offer, demand) is match, score_titles(analyzer, offer, demand).why()


def test_the_index_agrees(analyzer):
    index = MatchIndex(analyzer)
    items = [("O-1", "offer", "Entretien d'embauche"), ("D-1", "demand", "Entretien de sa chaudière"),
             ("D-2", "demand", "Préparer un entretien"), ("D-3", "demand", "Entretien de chaudière")]
    for ref, kind, title in items:
        index.add({"ref": ref, "kind": kind, "member": f"M-{ref}", "title": title, "description": None})
    found = {c.ref: c.score for c in index.candidates("O-1", min_score=DEFAULT_MIN_SCORE)}
    assert set(found) == {"D-2"}
    for ref, score in found.items():
        assert score == index.explain("O-1", ref).score


def test_the_context_pairs_are_as_written():
    rows = [line.split("\t") for line in PAIRS.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#") and not line.startswith("offer\t")]
    assert len(rows) >= 60 and all(len(r) == 5 and r[2] in "01" and r[4] == "dev" for r in rows)
    assert {r[3] for r in rows} == {"homonyme", "contexte"}


def test_words_the_stemmer_confuses_keep_their_own_group(analyzer):
    # Snowball cuts « compter » (calcul) and « comptes » (budget) to one stem: counting is
    # not keeping one's accounts, and the two groups stay apart.
    assert not proposed(analyzer, "Apprendre à compter", "Gérer ses comptes")
    assert not proposed(analyzer, "Calcul mental", "Tenir son budget")
    assert proposed(analyzer, "Apprendre à compter", "Maths niveau collège")
    assert score_titles(analyzer, "Gérer ses comptes", "Gestion du budget").matches
    # « navigateur » (internet, a synonym) and « navigation » (sailing, a domain's line):
    # one stem, two fields.
    assert not proposed(analyzer, "Navigateur internet", "Navigation à voile")
    assert proposed(analyzer, "Navigateur internet", "Surfer sur le web")
    assert proposed(analyzer, "Navigation à voile", "Les bases de la navigation")


def test_a_short_word_that_is_its_own_stem_meets_only_itself(analyzer):
    # Snowball cuts « café » to « caf », the CAF's acronym.
    assert not proposed(analyzer, "Aide pour la CAF", "Torréfier son café")
    assert proposed(analyzer, "Dossier CAF", "Remplir mon dossier de la caf")
    assert proposed(analyzer, "Faire son CV", "Rédiger des CVs")


def test_a_plural_of_the_same_word_in_two_groups_still_joins_them():
    from workflows.model.matching import Analyzer
    joined = Analyzer([("potager", "jardin"), ("jardins", "horticulture")])
    assert joined.phrases[(joined.stem("potager"),)] == joined.phrases[(joined.stem("horticulture"),)]
    apart = Analyzer([("calcul", "compter"), ("budget", "comptes")])
    assert apart.phrases[(apart.stem("calcul"),)] != apart.phrases[(apart.stem("budget"),)]
