"""The system's, the parsers' and the template engine's words said to the operator in the
network's language (issue 20, a fresh tester's findings): an OS error from its errno, a
day that does not exist, where a TOML or JSON text breaks, a template's broken line."""
from __future__ import annotations

import argparse
import errno
import os
import socket

import pytest

from workflows.cli import main
from workflows.model.decoding import problem_at
from workflows.model.said import said
from workflows.shell.errors import os_problem, system_reason
from workflows.shell.language import Words

FR, EN = Words("fr"), Words("en")


@pytest.mark.parametrize("code, french", [
    (errno.ENOENT, "fichier ou dossier introuvable"), (errno.EISDIR, "c’est un dossier, pas un fichier"),
    (errno.ENOTDIR, "ce n’est pas un dossier"), (errno.EACCES, "permission refusée"),
    (errno.EEXIST, "existe déjà"), (errno.ENOSPC, "plus de place sur le disque"),
    (errno.EROFS, "le système de fichiers est en lecture seule"), (errno.ECONNREFUSED, "connexion refusée"),
    (errno.ETIMEDOUT, "pas de réponse à temps"),
])
def test_the_common_os_errors_are_said_from_their_errno(code, french):
    error = OSError(code, os.strerror(code), "/srv/rers/x")
    assert said(system_reason(error), FR) == french
    assert os.strerror(code) not in said(os_problem(error, "cannot read"), FR)


def test_another_os_error_keeps_the_system_s_english_words():
    error = OSError(errno.EMLINK, os.strerror(errno.EMLINK))
    assert said(system_reason(error), FR) == os.strerror(errno.EMLINK)


def test_a_name_not_found_and_a_timeout_are_said():
    lookup = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    assert said(system_reason(lookup), FR) == "ce nom n’existe pas (vérifiez le nom du serveur)"
    assert said(system_reason(TimeoutError("timed out")), FR) == "pas de réponse à temps"


def test_a_file_that_is_not_utf8_is_said():
    try:
        b"ab\xff".decode("utf-8")
    except UnicodeDecodeError as error:
        assert said(system_reason(error), FR) == "ce n’est pas du texte UTF-8 (l’octet 3 ne se lit pas)"


def test_the_commands_say_a_missing_file_and_a_file_for_a_folder_in_french(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["sandbox", str(tmp_path / "file" / "sub"), "--demo"]) != 0
    err = capsys.readouterr().err
    assert "ce n’est pas un dossier" in err and "Not a directory" not in err


def test_a_config_that_is_a_folder_or_under_a_file_is_said_in_french(tmp_path, capsys):
    (tmp_path / "adir").mkdir()
    (tmp_path / "rers.toml").write_text("x")
    (tmp_path / "latin1.toml").write_bytes(b"name = \"caf\xe9\"\n")
    for config, french in ((tmp_path / "adir", "c’est un dossier, pas un fichier"),
                           (tmp_path / "rers.toml" / "x", "ce n’est pas un dossier"),
                           (tmp_path / "latin1.toml", "ce n’est pas du texte UTF-8 (l’octet 12 ne se lit pas)")):
        assert main(["status", "--config", str(config)]) == 2
        err = capsys.readouterr().err
        assert f"impossible de lire le fichier : {french}" in err and "Errno" not in err, err


@pytest.mark.parametrize("text, french", [
    ("2027-02-30", "le 30 février 2027 n’existe pas"), ("31/04/2027", "le 31 avril 2027 n’existe pas"),
    ("2027-13-01", "il n’y a pas de mois 13 (les mois vont de 1 à 12)"),
])
def test_a_day_that_does_not_exist_is_said_in_french(text, french):
    from workflows.commands.calendar import day_argument

    with pytest.raises(argparse.ArgumentTypeError) as raised:
        day_argument(FR)(text)
    assert str(raised.value) == french
    with pytest.raises(argparse.ArgumentTypeError) as raised:
        day_argument(EN)("2027-02-30")
    assert str(raised.value) == "30 February 2027 does not exist"


def test_bad_toml_is_said_by_line_and_column(tmp_path):
    from config.settings import ConfigError, loads

    with pytest.raises(ConfigError) as raised:
        loads('[network]\nname = "x\n', base=tmp_path)
    (problem,) = raised.value.problems
    assert said(problem, FR) == "TOML invalide : ligne 2, colonne 10 : un texte entre guillemets n’est pas refermé sur sa ligne"
    assert "Illegal character" not in said(problem, FR)


def test_a_parser_s_words_stay_in_parentheses_when_there_is_no_reading():
    assert said(problem_at("unexpected end of data", 1, 5000), FR) == \
        "ligne 1, colonne 5000 : le fichier s’arrête trop tôt (tronqué ?)"
    assert said(problem_at("unexpected character", 3, 4), FR) == "ligne 3, colonne 4 (unexpected character)"


def test_a_corrupt_store_is_said_by_line_and_column(tmp_path):
    from store import Store, StoreError

    path = tmp_path / "rers.json"
    path.write_text('{"members": {"1": {"ref": "M-1"', encoding="utf-8")
    with pytest.raises(StoreError) as raised:
        Store.open(path)
    text = said(raised.value.args[0], FR)
    assert "ligne 1, colonne" in text and "le fichier s’arrête trop tôt" in text and "unexpected" not in text


def test_a_template_s_broken_line_is_said_first_then_jinja_s_words():
    from workflows.mail.render import TemplateError
    from workflows.shell.templating import _reason

    error = TemplateError("x", "/t/join_ack.txt.j2", 4, "Encountered unknown tag 'endfor'.")
    assert said(_reason(error), FR) == "ligne 4 : le modèle s’arrête ici (Encountered unknown tag 'endfor'.)"
