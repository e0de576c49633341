"""A broken animators' synonyms file never stops the robot (issue 16): its bad lines are
left out and said (doctor, log, status, `rers match --score`), the built-in synonyms and
its sound lines serve; and `rers status` exits 1 after any failed cycle (issue 20)."""
from __future__ import annotations

import logging
import mailbox
from pathlib import Path

import pytest

from membership_support import mail
from store import Store
from support import make_settings
from workflows.cli import main
from workflows.model.matching import parse_synonyms, synonym_lines
from workflows.shell import resources
from workflows.shell.language import Words
from workflows.shell.synonyms import read_animators

LATIN1 = "solfège, théorie musicale\n".encode("latin-1")


# --- reading ---------------------------------------------------------------------------------


def test_a_line_not_in_utf8_is_left_out_and_the_next_one_counts():
    groups, problems = synonym_lines(LATIN1 + "cuisine, popote\n".encode())
    assert groups == [("cuisine", "popote")]
    assert problems == ["line 1: not saved in UTF-8 (byte 0xE8, position 5); save the file in UTF-8"]


@pytest.mark.parametrize("line", ["solfège", ",,,", " , ,", "solfège,"])
def test_a_line_of_fewer_than_two_entries_is_left_out(line):
    groups, problems = synonym_lines(f"# nos synonymes\ntricot, aiguilles\n{line}\n".encode())
    assert groups == [("tricot", "aiguilles")]
    assert problems == ["line 3: a group needs at least two entries separated by commas"]


def test_comments_blank_lines_and_notepads_byte_order_mark_are_no_problem():
    groups, problems = synonym_lines("\ufefftricot, aiguilles # le tricot\r\n\r\n# rien\r\ncévé, cv\r\n".encode())
    assert groups == [("tricot", "aiguilles"), ("cévé", "cv")] and problems == []


def test_a_built_in_file_stays_strict():
    with pytest.raises(ValueError, match=r"^synonymes.txt, line 2: a group needs at least two entries"):
        parse_synonyms("a, b\nc\n", "synonymes.txt")


def test_a_missing_file_is_said_as_read_not_written(tmp_path):
    read = read_animators(tmp_path / "absent.txt")
    assert read.groups == ()
    [problem] = read.problems
    assert problem.said(Words("fr")) == (f"impossible de lire le fichier de synonymes {tmp_path / 'absent.txt'} : "
                                         "fichier ou dossier introuvable ; les synonymes fournis servent en attendant")


def test_each_bad_line_is_said_with_its_file_and_line(tmp_path):
    path = tmp_path / "syn.txt"
    path.write_bytes(LATIN1 + b"cuisine, popote\n,,,\n")
    read = read_animators(path)
    assert read.groups == (("cuisine", "popote"),)
    assert [p.said(Words("fr")) for p in read.problems] == [
        f"le fichier de synonymes {path}, ligne 1 : pas enregistrée en UTF-8 (octet 0xE8, position 5) ; enregistrez le "
        "fichier en UTF-8. Cette ligne est ignorée ; les synonymes fournis et les autres lignes du fichier servent",
        f"le fichier de synonymes {path}, ligne 3 : un groupe demande au moins deux termes séparés par des virgules. "
        "Cette ligne est ignorée ; les synonymes fournis et les autres lignes du fichier servent",
    ]


def test_the_analyzer_keeps_the_built_in_synonyms_and_the_good_lines(tmp_path):
    path = tmp_path / "syn.txt"
    path.write_bytes(b"solf\xe8ge, musique\ncuisine, popote\nsolf\xc3\xa8ge\n")
    groups = resources.read_synonyms(path)
    assert groups[: len(resources.read_synonyms())] == resources.read_synonyms()
    assert groups[-1] == ("cuisine", "popote")


# --- through the commands --------------------------------------------------------------------


@pytest.fixture
def robot(tmp_path, monkeypatch):
    """A French network whose synonyms file is in Latin-1 with a good line and a bad one."""
    settings = make_settings(tmp_path / "robot", extra='[matching]\nsynonyms_file = "syn.txt"')
    (tmp_path / "robot" / "syn.txt").write_bytes(LATIN1 + "zorglub, blibli\nsolfège\n".encode())
    monkeypatch.setenv("RERS_NOW", "2026-11-23T09:00:00+00:00")
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    return settings


def rers(settings, *args: str, capsys) -> tuple[int, str, str]:
    status = main([*args, "--config", str(settings.source)])
    out, err = capsys.readouterr()
    return status, out, err


def test_poll_handles_the_mail_and_doctor_and_status_say_each_bad_line(robot, capsys, caplog):
    mailbox.Maildir(robot.mailbox.path, create=True).add(mail(
        "lina.petit@example.net", "Adhésion", "Bonjour,\n\nNom : Lina Petit\nDEMANDE : curriculum vitae\n\nLina\n"))
    caplog.set_level(logging.WARNING)
    status, out, err = rers(robot, "poll", capsys=capsys)
    assert status == 0 and "Traceback" not in err
    assert "1 traité(s)" in out
    assert not list((Path(robot.mailbox.path) / "new").iterdir())
    assert list(Path(robot.transport.path).glob("*.eml"))  # the answer (and the animators' notices)
    logged = [r.getMessage() for r in caplog.records if "synonyms file" in r.getMessage()]
    assert len(logged) == 2 and "line 1: not saved in UTF-8" in logged[0] and "line 3:" in logged[1]

    status, out, _ = rers(robot, "doctor", capsys=capsys)
    matching = [line for line in out.splitlines() if " matching " in line]
    assert matching[0].startswith("warn") and "syn.txt, ligne 1 : pas enregistrée en UTF-8" in matching[0]
    assert matching[1].startswith("warn") and "syn.txt, ligne 3 : un groupe demande au moins deux termes" in matching[1]
    assert matching[2].startswith("ok") and "ajoute 1 groupe(s)" in matching[2]
    assert "Aucun problème à corriger" in out

    status, out, _ = rers(robot, "status", capsys=capsys)
    assert status == 0  # a warning: mail is handled all the same
    assert "syn.txt, ligne 1 : pas enregistrée en UTF-8" in out and "syn.txt, ligne 3 :" in out


def test_match_score_says_the_bad_lines_in_french_and_scores_with_the_rest(robot, capsys):
    status, out, err = rers(robot, "match", "--score", "Rédiger un CV", "curriculum vitae", capsys=capsys)
    assert status == 0 and "serait proposée" in out  # a built-in group
    assert "Traceback" not in err and "ligne 1 : pas enregistrée en UTF-8" in err and "UnicodeDecodeError" not in err
    status, out, _ = rers(robot, "match", "--score", "Zorglub", "Blibli", capsys=capsys)
    assert "score 1.00: serait proposée" in out and "(synonymes)" in out  # the file's good line


def test_status_exits_1_after_a_cycle_that_failed_unexpectedly(robot, capsys, monkeypatch):
    from workflows.shell.runner import Runner

    def cycle(self):
        raise RuntimeError("a bug")

    monkeypatch.setattr(Runner, "cycle", cycle)
    with pytest.raises(RuntimeError):
        main(["poll", "--config", str(robot.source)])
    capsys.readouterr()
    status, out, _ = rers(robot, "status", capsys=capsys)
    assert status == 1 and "erreur inattendue (RuntimeError : a bug)" in out


def test_the_daemon_keeps_an_unexpected_cycle_failure_for_status(robot, capsys):
    from workflows.shell.daemon import Daemon
    from workflows.shell.status import status_failed

    class Runner:
        def cycle(self):
            raise KeyError("oops")

    store = Store.open(robot.store.path)
    daemon = Daemon(robot, store, runner=Runner(), jobs=[])
    daemon.stop_event.set()  # no wait after the failure
    assert daemon._cycle() is False
    assert daemon.state.last_error.startswith("unexpected error (KeyError")
    assert status_failed(store)


def test_a_group_of_words_that_only_say_how_one_learns_is_left_out(tmp_path):
    """« apprendre, cours, atelier » would make « Atelier de couture » and « Cours d'anglais »
    one knowledge: such entries are left out of the animators' groups, and said."""
    path = tmp_path / "syn.txt"
    path.write_text("apprendre, cours, atelier\ntricot, tricotage, cours\ncuisine, popote\n", encoding="utf-8")
    read = read_animators(path)
    assert read.groups == (("tricot", "tricotage"), ("cuisine", "popote"))
    assert [p.said(Words("fr")) for p in read.problems] == [
        f"le fichier de synonymes {path}, le groupe « apprendre », « cours », « atelier » : des mots qui disent comment "
        "on apprend, pas quoi (ils rapprocheraient des savoirs sans rapport) : laissé de côté ; ses autres groupes servent",
        f"le fichier de synonymes {path}, le groupe de « tricot » : « cours » disent comment on apprend, pas quoi : "
        "retirés du groupe ; ses autres groupes servent",
    ]
    from workflows.model.matching import score_titles
    analyzer = resources.analyzer(path)
    assert score_titles(analyzer, "Atelier de couture", "Cours d'anglais").score == 0.0


def test_a_file_that_is_no_text_is_said_once(tmp_path):
    path = tmp_path / "syn.txt"
    path.write_bytes(b"\xff\xd8\xff\xe0 a, b\n" * 20 + b"JFIF\n" + "cuisine, popote\n".encode())
    read = read_animators(path)
    assert read.groups == (("cuisine", "popote"),)
    assert [p.said(Words("fr")) for p in read.problems] == [
        f"le fichier de synonymes {path} : 20 lignes ne sont pas enregistrées en UTF-8, la première ligne 1 ; est-ce "
        "bien un fichier texte ? Elles sont ignorées ; enregistrez le fichier en UTF-8"]
