"""The animators' own texts (``[network] templates_dir``): they take precedence, render in
the sandbox, and a broken one never stops a mail — the built-in text goes instead, the
problem is logged, and ``rers doctor``, ``rers templates check`` and ``rers run``'s
start-up name the file. The ``rers templates`` commands on such a folder."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from email import message_from_string, policy
from pathlib import Path

import pytest

from support import make_settings
from workflows import cli
from workflows.shell.doctor import check_templates
from workflows.mail.render import Renderer
from workflows.shell.templating import check, example, log_problems, templates

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
GOOD_TEXT = ("Bonjour {{ member.name }}, vous êtes déjà membre ({{ member.ref }}).\n"
             "{% include \"_footer.txt.j2\" %}\n")
BROKEN = {
    "syntax": "Bonjour {% if member.name %}{{ member.name }},\n",
    "unknown variable": "Bonjour {{ membre.nom }},\n",
    "sandbox": "{{ member.__class__.__mro__ }}\n",
    "sandbox call": "{{ ''.__class__.__subclasses__() }}\n",
    "failing filter": "Le {{ 'pas une date' | long_date }}\n",
}


@pytest.fixture
def folder(tmp_path) -> Path:
    (tmp_path / "textes-animation" / "fr").mkdir(parents=True)
    return tmp_path / "textes-animation"


@pytest.fixture
def settings(tmp_path, folder):
    return make_settings(tmp_path / "robot", network=f'templates_dir = "{folder}"')


def write(folder: Path, file: str, text: str, language: str | None = "fr") -> Path:
    path = (folder / language if language else folder) / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def render(settings, name: str = "join_ack", language: str = "fr"):
    renderer = Renderer(language, settings.network.templates_dir, settings.network.timezone)
    return renderer.render(name, example(name, settings, NOW, language))


def run(capsys, *argv: str) -> tuple[int, str]:
    status = cli.main(list(argv))
    out = capsys.readouterr()
    return status, out.out + out.err


# --- rendering -----------------------------------------------------------------------------


def test_an_animators_text_replaces_the_built_in_one(settings, folder):
    write(folder, "join_ack.txt.j2", GOOD_TEXT)
    write(folder, "join_ack.html.j2", "{% extends \"_layout.html.j2\" %}{% block body %}<p>Bonjour "
                                      "{{ member.name }} ({{ member.ref }})</p>{% endblock %}")
    rendered = render(settings)
    assert rendered.text.startswith("Bonjour Marie Dupont, vous êtes déjà membre (M-14).")
    assert "<p>Bonjour Marie Dupont (M-14)</p>" in rendered.html and "« RETRAIT »" in rendered.text
    assert render(settings, language="en").text.startswith("Hello Marie Dupont,"), "only fr/ was changed"


def test_a_text_changed_without_its_html_part_goes_without_html(settings, folder):
    write(folder, "join_ack.txt.j2", GOOD_TEXT)
    rendered = render(settings)
    assert rendered.text.startswith("Bonjour Marie Dupont, vous") and rendered.html is None
    assert render(settings, "items_ack").html is not None, "other mails keep theirs"


def test_a_file_at_the_folders_root_serves_every_language(settings, folder):
    write(folder, "join_ack.subject.j2", "Déjà membre : {{ member.ref }}\n", language=None)
    assert render(settings).subject == "Déjà membre : M-14"
    assert render(settings, language="en").subject == "Déjà membre : M-14"


@pytest.mark.parametrize("problem", sorted(BROKEN))
def test_a_broken_text_falls_back_to_the_built_in_one(settings, folder, problem, caplog):
    write(folder, "join_ack.txt.j2", BROKEN[problem])
    renderer = Renderer("fr", settings.network.templates_dir)
    context = example("join_ack", settings, NOW, "fr")
    with caplog.at_level(logging.WARNING, logger="workflows.mail.render"):
        first = renderer.render("join_ack", context)
        second = renderer.render("join_ack", context)
    assert first == second and first.text.startswith("Bonjour Marie Dupont,\n\nVous êtes déjà membre")
    assert first.html and "<p>Bonjour Marie Dupont,</p>" in first.html, "the built-in mail, HTML included"
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1, "logged once per renderer"
    assert str(folder / "fr" / "join_ack.txt.j2") in warnings[0] and "built-in text of join_ack" in warnings[0]


def test_a_broken_shared_piece_falls_back_for_every_mail(settings, folder):
    write(folder, "_footer.txt.j2", "-- \n{{ network.equipe }}\n")
    for name in ("join_ack", "items_ack", "help"):
        assert "« RETRAIT » à rers.test@example.org" in render(settings, name).text


def test_an_override_cannot_reach_python(settings, folder):
    write(folder, "help.txt.j2", "{{ cycler.__init__.__globals__.os.system('touch /tmp/rers-pwned') }}\n")
    assert "OFFRE" in render(settings, "help").text
    assert not Path("/tmp/rers-pwned").exists()


def test_a_member_name_is_data_even_in_an_animators_text(settings, folder):
    write(folder, "join_ack.txt.j2", GOOD_TEXT)
    context = {**example("join_ack", settings, NOW, "fr"), "member": {"name": "{{ 7*7 }}", "ref": "M-1"}}
    text = Renderer("fr", settings.network.templates_dir).render("join_ack", context).text
    assert text.startswith("Bonjour {{ 7*7 }}, vous") and "49" not in text


# --- checking ------------------------------------------------------------------------------


def test_check_names_each_broken_file_with_its_error(settings, folder):
    for number, problem in enumerate(("syntax", "unknown variable", "sandbox")):
        write(folder, ("join_ack", "items_ack", "help")[number] + ".txt.j2", BROKEN[problem])
    write(folder, "jion_ack.txt.j2", GOOD_TEXT)
    problems = {(p.level, Path(p.where).name): p.text for p in check(settings, NOW, ("fr",))}
    assert "line 1" in problems[("fail", "join_ack.txt.j2")] and "Unexpected end of template" in \
        problems[("fail", "join_ack.txt.j2")]
    assert "'membre' is undefined" in problems[("fail", "items_ack.txt.j2")]
    assert "unsafe" in problems[("fail", "help.txt.j2")]
    assert "never uses it" in problems[("warn", "jion_ack.txt.j2")]
    assert all("built-in text is used meanwhile" in t for (level, _), t in problems.items() if level == "fail")


def test_check_finds_an_unknown_variable_in_a_branch_the_example_does_not_take(settings, folder):
    write(folder, "join_done.txt.j2", "{% if confirmed %}Bienvenue {{ member.name }}{% else %}Au revoir "
                                      "{{ membre }}{% endif %}\n")
    write(folder, "join_done.html.j2", "<p>{{ member.ref if confirmed else '' }}</p>")
    (problem,) = [p for p in check(settings, NOW, ("fr",)) if p.level == "fail"]
    assert problem.where.endswith("join_done.txt.j2") and "membre" in problem.text


def test_check_warns_about_a_text_changed_without_its_html(settings, folder):
    write(folder, "join_ack.txt.j2", GOOD_TEXT)
    (problem,) = check(settings, NOW, ("fr",))
    assert problem.level == "warn" and "join_ack.html.j2" in problem.text


def test_nothing_to_say_about_good_texts(settings, folder):
    write(folder, "join_ack.txt.j2", GOOD_TEXT)
    write(folder, "join_ack.html.j2", "{% extends \"_layout.html.j2\" %}{% block body %}<p>{{ member.name }}</p>"
                                      "{% endblock %}")
    write(folder, "textes/charte-v2.txt.j2", "LA CHARTE (version 2) du {{ network.name }}\n")
    assert check(settings, NOW) == []
    info = {i.name: i for i in templates(settings)}
    assert info["join_ack"].overridden == {"fr": ("txt", "html")} and info["textes/charte-v2"].kind == "text"
    assert "LA CHARTE (version 2)" in render(settings, "join_confirm").text


def test_doctor_names_each_broken_file(settings, folder):
    write(folder, "join_ack.txt.j2", BROKEN["unknown variable"])
    findings = list(check_templates(settings))
    assert [f.level for f in findings] == ["fail"]
    assert str(folder / "fr" / "join_ack.txt.j2") in findings[0].text and "'membre' is undefined" in findings[0].text


def test_doctor_is_content_with_the_built_in_texts(tmp_path):
    (finding,) = check_templates(make_settings(tmp_path))
    assert finding.level == "ok" and "se rendent en 'fr'" in finding.text


def test_start_up_logs_each_broken_file(settings, folder, caplog, monkeypatch, capsys):
    write(folder, "join_ack.txt.j2", BROKEN["syntax"])
    with caplog.at_level(logging.WARNING, logger="workflows.shell.templating"):
        assert [p.level for p in log_problems(settings, NOW)] == ["fail"]
    assert caplog.records[0].levelno == logging.ERROR and "join_ack.txt.j2" in caplog.records[0].getMessage()
    caplog.clear()
    from workflows.shell import daemon

    monkeypatch.setattr(daemon.Daemon, "run", lambda self: 0)
    with caplog.at_level(logging.WARNING, logger="workflows.shell.templating"):
        assert cli.main(["run", "--config", str(settings.source)]) == 0
    assert any("join_ack.txt.j2" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)


# --- rers templates ------------------------------------------------------------------------


def test_templates_check_exits_1_and_names_what_is_broken(settings, folder, capsys):
    assert run(capsys, "templates", "check", "--config", str(settings.source))[0] == 0
    write(folder, "items_ack.txt.j2", BROKEN["sandbox"])
    status, out = run(capsys, "templates", "check", "--config", str(settings.source))
    assert status == 1 and f"FAIL  {folder / 'fr' / 'items_ack.txt.j2'} : ligne 1 :" in out and "1 problème(s)" in out


def test_templates_list_shows_what_the_animators_changed(settings, folder, capsys):
    write(folder, "join_ack.txt.j2", GOOD_TEXT)
    status, out = run(capsys, "templates", "list", "--config", str(settings.source))
    (line,) = [l for l in out.splitlines() if l.startswith("join_ack ")]
    assert status == 0 and line.split()[1:] == ["mail", "fr", "en", "fr:", "txt"]
    assert str(folder) in out and "rers templates check" in out


def test_templates_list_says_a_mistyped_file_is_never_used(settings, folder, capsys):
    write(folder, "jion_ack.txt.j2", GOOD_TEXT)
    status, out = run(capsys, "templates", "list", "--config", str(settings.source))
    (line,) = [l for l in out.splitlines() if l.startswith("jion_ack ")]
    assert status == 0 and "nom inconnu : jamais utilisé" in line


def test_templates_show_gives_the_animators_file_first_and_the_built_in_on_demand(settings, folder, capsys):
    write(folder, "join_ack.txt.j2", GOOD_TEXT)
    status, out = run(capsys, "templates", "show", "join_ack", "--config", str(settings.source))
    assert status == 0 and f"=== fr/join_ack.txt.j2 (le fichier des animateurs {folder / 'fr' / 'join_ack.txt.j2'})" in out
    assert GOOD_TEXT in out and "=== fr/join_ack.html.j2 (intégré : templates/fr/join_ack.html.j2)" in out
    status, out = run(capsys, "templates", "show", "join_ack.txt.j2", "--builtin", "--config", str(settings.source))
    assert "(intégré : templates/fr/join_ack.txt.j2)" in out and "Vous êtes déjà membre du" in out
    assert "html" not in out
    status, out = run(capsys, "templates", "show", "nothing", "--config", str(settings.source))
    assert status == 1 and "pas de modèle 'nothing'" in out


def test_templates_render_prints_the_mail_as_sent(settings, capsys):
    status, out = run(capsys, "templates", "render", "withdraw_confirm", "--example", "--config",
                      str(settings.source))
    head, body = out.split("\n\n", 1)
    assert status == 0 and "Subject: [RERS-7QX2M9KD] Quitter le RERS de Test ?" in head
    assert "From: RERS de Test <rers.test@example.org>" in head
    assert "To: Marie Dupont <marie.dupont@example.org>" in head
    assert "List-Unsubscribe: <mailto:rers.test@example.org?subject=RETRAIT>" in head
    assert body.startswith("Bonjour Marie Dupont,") and "« RETRAIT »" in body
    status, out = run(capsys, "templates", "render", "withdraw_confirm", "--example", "--html", "--lang", "en",
                      "--config", str(settings.source))
    assert '<html lang="en">' in out and "Leave the RERS de Test?" in out
    status, out = run(capsys, "templates", "render", "withdraw_confirm", "--example", "--raw", "--config",
                      str(settings.source))
    msg = message_from_string(out, policy=policy.default)
    assert msg["Subject"] == "[RERS-7QX2M9KD] Quitter le RERS de Test ?" and out.isascii()
    assert msg.get_body(("html",)) is not None and "Bonjour Marie Dupont" in msg.get_body(("plain",)).get_content()


def test_templates_render_a_page_and_refuse_the_unknown(settings, capsys):
    status, out = run(capsys, "templates", "render", "catalogue_page", "--example", "--config", str(settings.source))
    assert status == 0 and out.startswith("<!DOCTYPE html>") and "Rédiger un CV" in out
    status, out = run(capsys, "templates", "render", "_footer", "--example", "--config", str(settings.source))
    assert status == 1 and "pas de mail ni de page '_footer'" in out


def test_a_text_added_or_removed_while_the_robot_runs_counts_from_the_next_mail(settings, folder):
    renderer = Renderer("fr", settings.network.templates_dir)
    context = example("join_ack", settings, NOW, "fr")
    assert renderer.render("join_ack", context).text.startswith("Bonjour Marie Dupont,\n\nVous êtes")
    path = write(folder, "join_ack.txt.j2", GOOD_TEXT)
    assert renderer.render("join_ack", context).text.startswith("Bonjour Marie Dupont, vous êtes déjà membre")
    path.unlink()
    assert renderer.render("join_ack", context).text.startswith("Bonjour Marie Dupont,\n\nVous êtes")



def test_the_help_names_the_actions_templates_accepts(capsys):
    def helped(*argv: str) -> str:
        with pytest.raises(SystemExit):
            cli.main([*argv, "--help"])
        return " ".join(capsys.readouterr().out.split())

    said = helped().split("les textes des mails du robot :", 1)[1]
    named = [action.strip() for action in said.split(" parked ", 1)[0].split(",")]
    assert named == ["list", "show", "check", "render"], said
    for action in named:
        assert f"rers templates {action}" in helped("templates", action), action
