"""One rule for the animators' texts: a file ``rers templates check`` reports as failing
(syntax, the render with the example data, an unknown variable found by reading it) is
not used at all for the mails that read it — whatever branch a mail takes — and
``rers templates show`` prints the text really used. And an animators' folder that does
not exist, or files the robot never reads, are said plainly (check, doctor, list, start-up)."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

import pytest

from support import make_settings
from test_template_overrides import folder, run, settings, write  # noqa: F401 (fixtures)
from workflows import cli
from workflows.shell.doctor import check_templates
from workflows.mail.render import Renderer
from workflows.shell.templating import check, example

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
BUILT_IN_JOIN_ACK = "Bonjour Marie Dupont,\n\nVous êtes déjà membre"
UNTAKEN_BRANCH = '{% if network.name == "ailleurs" %}{{ oops }}{% endif %}ZZ Merci.\n{% include "_footer.txt.j2" %}\n'
OVERRIDES = {
    "good": ("Bonjour {{ member.name }}, vous êtes déjà membre.\n", True),
    "syntax": ("Bonjour {% if member.name %}{{ member.name }},\n", False),
    "undefined when rendered": ("Bonjour {{ membre.name }},\n", False),
    "unknown in an untaken branch": ('{% if member.ref == "M-999" %}{{ oops }}{% endif %}Bonjour.\n', False),
    "sandbox": ("{{ member.__class__.__mro__ }}\n", False),
}
"""An override of join_ack.txt.j2, and whether it is fit to be used."""


def renderer(settings, language: str = "fr") -> Renderer:
    return Renderer(language, settings.network.templates_dir, settings.network.timezone)


# --- 1. the animators' folder itself ------------------------------------------------------


def test_a_folder_that_does_not_exist_is_said_everywhere(tmp_path, capsys, caplog, monkeypatch):
    settings = make_settings(tmp_path, network='templates_dir = "mes-textes"')
    missing = tmp_path / "mes-textes"
    (problem,) = check(settings, NOW)
    assert problem.level == "warn" and problem.where == str(missing) and "does not exist" in problem.text
    assert "ignored" in problem.text
    findings = list(check_templates(settings))
    # Said in the network's language (French) by doctor and the commands, in English in the log.
    assert any(f.level == "warn" and str(missing) in f.text and "n’existe pas" in f.text for f in findings)
    status, out = run(capsys, "templates", "check", "--config", str(settings.source))
    assert status == 0 and f"warn  {missing} : le dossier des animateurs n’existe pas : leurs textes sont ignorés" in out
    status, out = run(capsys, "templates", "list", "--config", str(settings.source))
    assert status == 0 and f"Le dossier des animateurs : {missing}" in out and "n’existe pas" in out
    assert "does not exist" not in out
    from workflows.shell import daemon

    monkeypatch.setattr(daemon.Daemon, "run", lambda self: 0)
    with caplog.at_level(logging.WARNING, logger="workflows.shell.templating"):
        assert cli.main(["run", "--config", str(settings.source)]) == 0
    assert any(r.levelno == logging.WARNING and str(missing) in r.getMessage() and "does not exist" in r.getMessage()
               for r in caplog.records)


def test_a_file_in_place_of_the_folder_is_said(tmp_path):
    (tmp_path / "mes-textes").write_text("", encoding="utf-8")
    settings = make_settings(tmp_path, network='templates_dir = "mes-textes"')
    (problem,) = check(settings, NOW, ("fr",))
    assert problem.level == "warn" and "is not a folder" in problem.text


def test_files_the_robot_never_reads_are_named(settings, folder):
    write(folder, "join_ack.txt.j2", OVERRIDES["good"][0], language="francais")
    write(folder, "join_ack.txt.j2.txt", OVERRIDES["good"][0])  # an editor added ".txt"
    write(folder, "items_ack.html", "<p>Bonjour</p>")
    write(folder, "join_ack.txt.j2.ancien", "kept on purpose\n")
    write(folder, "LISEZ-MOI.txt", "notes of the team\n", language=None)
    warned = {Path(p.where).relative_to(folder).as_posix(): p.text for p in check(settings, NOW, ("fr",))}
    assert set(warned) == {"francais/join_ack.txt.j2", "fr/join_ack.txt.j2.txt", "fr/items_ack.html"}
    assert "never uses it" in warned["francais/join_ack.txt.j2"]
    assert "never read" in warned["fr/join_ack.txt.j2.txt"] and ".txt.j2" in warned["fr/items_ack.html"]


def test_a_folder_without_language_folders_serves_every_language(settings, folder):
    (folder / "fr").rmdir()
    write(folder, "join_ack.subject.j2", "Déjà membre : {{ member.ref }}\n", language=None)
    assert check(settings, NOW) == []
    for language in ("fr", "en"):
        context = example("join_ack", settings, NOW, language)
        assert renderer(settings, language).render("join_ack", context).subject == "Déjà membre : M-14"


# --- 2. one rule: what check calls broken is never sent -----------------------------------


@pytest.mark.parametrize("case", sorted(OVERRIDES))
def test_check_and_the_mail_sent_agree(settings, folder, case):
    text, fit = OVERRIDES[case]
    write(folder, "join_ack.txt.j2", text)
    write(folder, "join_ack.html.j2", "<p>{{ member.name }}</p>")
    failing = [p for p in check(settings, NOW, ("fr",)) if p.level == "fail"]
    rendered = renderer(settings).render("join_ack", example("join_ack", settings, NOW, "fr"))
    assert (not failing) == fit
    assert rendered.text.startswith(BUILT_IN_JOIN_ACK) != fit
    if not fit:
        assert "built-in text is used meanwhile" in failing[0].text and rendered.html and "<p>Marie" not in rendered.html


def test_a_broken_branch_not_taken_does_not_let_the_file_through(settings, folder, capsys, caplog):
    path = write(folder, "unknown_ack.txt.j2", UNTAKEN_BRANCH)
    write(folder, "unknown_ack.html.j2", "<p>ZZ</p>")
    (problem,) = [p for p in check(settings, NOW, ("fr",)) if p.level == "fail"]
    assert problem.where == str(path) and "line 1: the template stops here (unknown variable(s) oops)" in problem.text
    with caplog.at_level(logging.WARNING, logger="workflows.mail.render"):
        rendered = renderer(settings).render("unknown_ack", example("unknown_ack", settings, NOW, "fr"))
    assert rendered.text.startswith("Bonjour,\n\nMerci pour votre message") and "ZZ" not in rendered.text
    assert "ZZ" not in rendered.html
    (warning,) = [r.getMessage() for r in caplog.records]
    assert str(path) in warning and "oops" in warning and "built-in text of unknown_ack" in warning
    status, out = run(capsys, "templates", "render", "unknown_ack", "--example", "--config", str(settings.source))
    assert status == 0 and "ZZ" not in out and "Merci pour votre message" in out


def test_a_piece_broken_in_a_branch_not_taken_is_not_used(settings, folder):
    piece = write(folder, "_footer.txt.j2", "{% if now.year == 1999 %}{{ equipe }}{% endif %}-- ZZ\n")
    write(folder, "join_ack.txt.j2", OVERRIDES["good"][0] + '{% include "_footer.txt.j2" %}')
    write(folder, "join_ack.html.j2", "<p>{{ member.name }}</p>")
    fails = [p for p in check(settings, NOW, ("fr",)) if p.level == "fail"]
    assert [p.where for p in fails] == [str(piece)] and "equipe" in fails[0].text
    for name in ("join_ack", "items_ack", "help"):
        text = renderer(settings).render(name, example(name, settings, NOW, "fr")).text
        assert "ZZ" not in text and "« RETRAIT »" in text
    assert renderer(settings).render("join_ack", example("join_ack", settings, NOW, "fr")).text.startswith(
        BUILT_IN_JOIN_ACK), "the whole mail is the built-in one while a file it reads is broken"


def test_the_verdict_is_reached_once_per_renderer_and_follows_the_files(settings, folder, monkeypatch):
    path = write(folder, "join_ack.txt.j2", OVERRIDES["unknown in an untaken branch"][0])
    calls = []
    original = Renderer.check

    def counting(self, *args, **kwargs):
        calls.append(args[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Renderer, "check", counting)
    context = example("join_ack", settings, NOW, "fr")
    first, second = renderer(settings), renderer(settings)
    for _ in range(3):
        assert first.render("join_ack", context).text.startswith(BUILT_IN_JOIN_ACK)
    assert calls == ["join_ack"], "checked once, then remembered"
    assert second.render("join_ack", context).text.startswith(BUILT_IN_JOIN_ACK)
    assert calls == ["join_ack", "join_ack"], "each renderer reaches its own verdict"
    path.write_text("Bonjour {{ member.name }}, corrigé.\n", encoding="utf-8")
    assert first.render("join_ack", context).text.startswith("Bonjour Marie Dupont, corrigé."), \
        "a corrected file counts from the next mail"


# --- 2a. show prints the text used ---------------------------------------------------------


def test_show_prints_the_built_in_text_in_place_of_a_broken_file_and_says_why(settings, folder, capsys):
    path = write(folder, "join_ack.txt.j2", "Bonjour {{ membre.name }},\n")
    status, out = run(capsys, "templates", "show", "join_ack", "--config", str(settings.source))
    assert status == 0 and "Vous êtes déjà membre du" in out and "membre.name" not in out
    (header,) = [line for line in out.splitlines() if line.startswith("=== fr/join_ack.txt.j2")]
    assert "intégré : templates/fr/join_ack.txt.j2" in header and str(path) in header
    assert f"le fichier des animateurs {path} n’est pas utilisé : ligne 1 : le modèle s’arrête ici ('membre' is undefined)" in header
    assert "not used" not in header
    status, out = run(capsys, "templates", "show", "join_ack.txt.j2", "--config", str(settings.source))
    assert "Vous êtes déjà membre du" in out and "n’est pas utilisé" in out


def test_show_names_the_broken_piece_that_keeps_a_good_file_out(settings, folder, capsys):
    write(folder, "join_ack.txt.j2", OVERRIDES["good"][0] + '{% include "_footer.txt.j2" %}')
    piece = write(folder, "_footer.txt.j2", "{% if now.year == 1999 %}{{ equipe }}{% endif %}-- ZZ\n")
    status, out = run(capsys, "templates", "show", "join_ack", "--config", str(settings.source))
    assert status == 0 and "Vous êtes déjà membre du" in out
    (header,) = [line for line in out.splitlines() if line.startswith("=== fr/join_ack.txt.j2")]
    assert f"n’est pas utilisé tant que {piece} est cassé" in header and "equipe" in header
    status, out = run(capsys, "templates", "show", "_footer.txt.j2", "--config", str(settings.source))
    assert "ZZ" not in out.split("\n", 1)[1] and "n’est pas utilisé" in out and "equipe" in out


def test_show_prints_a_good_file_as_the_animators(settings, folder, capsys):
    path = write(folder, "unknown_ack.txt.j2", "Merci, nous transmettons.\n{% include \"_footer.txt.j2\" %}\n")
    status, out = run(capsys, "templates", "show", "unknown_ack", "--config", str(settings.source))
    assert status == 0 and f"=== fr/unknown_ack.txt.j2 (le fichier des animateurs {path})" in out
    assert "Merci, nous transmettons." in out and "n’est pas utilisé" not in out
