"""The operator's commands speak the network's language ([network] language, French by
default, French without a configuration): checked through the catalogue itself, so that
rewording a message changes no test."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from support import make_settings

from store import Store
from workflows.cli import main
from workflows.shell.doctor import report, run_checks
from workflows.shell.language import Words
from workflows.shell.status import moment, relative, status_text

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_status_and_doctor_speak_the_network_language(tmp_path, language):
    settings = make_settings(tmp_path / "net", network=f'language = "{language}"')
    say = Words(language)
    text = status_text(settings, Store.open(settings.store.path), NOW)
    assert say("No cycle has completed yet.") in text
    assert say("Messages failing, to be retried: {n}.", n=0) in text
    findings = run_checks(settings)
    said = report(findings, say)
    assert any(say("the calendar is published in {folder}", folder=settings.calendar.output_dir) == f.text
               for f in findings)
    fails, warnings = (sum(f.level == level for f in findings) for level in ("fail", "warn"))
    assert said.splitlines()[-1] in {say("All good."), say("{n} problem(s) to fix.", n=fails),
                                     say("No problem to fix; {n} warning(s) to read.", n=warnings)}


def test_the_french_and_english_words_differ_where_they_should():
    assert Words("fr")("No cycle has completed yet.") != Words("en")("No cycle has completed yet.")


def test_without_a_configuration_errors_and_help_are_french(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RERS_CONFIG", raising=False)
    assert main(["parse", str(tmp_path / "missing.eml")]) == 1
    assert Words("fr")("cannot read {path}: {reason}", path=tmp_path / "missing.eml",
                       reason="fichier ou dossier introuvable") in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert Words("fr")("usage: ") in out and Words("fr")("show this help message and exit") in out


def test_a_user_error_is_said_in_the_language_of_the_network(tmp_path, capsys):
    settings = make_settings(tmp_path / "net", network='language = "en"')
    assert main(["members", "show", "M-99", "--config", str(settings.source)]) == 1
    assert Words("en")("no member {ref} (see `rers members list`)", ref="M-99") in capsys.readouterr().err


@pytest.mark.parametrize("language", ["fr", "en"])
def test_argparse_error_lines_speak_the_network_language(tmp_path, capsys, language):
    settings = make_settings(tmp_path / "net", network=f'language = "{language}"')
    say = Words(language)
    config = ["--config", str(settings.source)]
    with pytest.raises(SystemExit) as exit_:
        main(["members", "show", *config])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == say(
        "{prog}: error: {message}", prog="rers members show",
        message=say("the following arguments are required: {arguments}", arguments="ref"))
    with pytest.raises(SystemExit):
        main(["--log-level", "loud", *config])
    wrapped = say("invalid choice: {value} (choose from {choices})", value="'loud'",
                  choices="'debug', 'info', 'warning', 'error'")
    assert say("argument {argument_name}: {message}", argument_name="--log-level", message=wrapped) \
        in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["status", "--loud", *config])
    assert say("unrecognized arguments: {arguments}", arguments="--loud") in capsys.readouterr().err


def test_an_argparse_line_not_in_the_table_stays_as_argparse_wrote_it():
    from workflows.shell.arguments import argparse_said

    assert argparse_said("argument -x: something new", Words("fr")) == "argument -x : something new"
    assert argparse_said("expected 2 arguments", Words("fr")) == "2 valeurs attendues"
    assert argparse_said("a line of a later Python", Words("fr")) == "a line of a later Python"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_configuration_problems_are_said_in_the_language_the_file_gives(tmp_path, capsys, language):
    from config.settings import ConfigError, load

    config = tmp_path / "rers.toml"
    config.write_text(f'[network]\nlanguage = "{language}"\nzzz = 1\n', encoding="utf-8")
    assert main(["status", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    say = Words(language)
    assert say("{at}[{section}] {key}: {reason}", at=say("line {line}: ", line=3), section="network", key="zzz",
               reason=say("unknown key")) in [line.strip() for line in err.splitlines()]
    assert say("[{section}]: this section is required", section="store").strip() in err
    with pytest.raises(ConfigError) as raised:
        load(config)
    assert raised.value.language == language
    assert "line 3: [network] zzz: unknown key" in str(raised.value)  # str() stays English: logs, tests
    assert main(["doctor", "--config", str(config)]) == 2
    assert capsys.readouterr().out.startswith("FAIL  config     " + raised.value.said(say))


def test_an_unreadable_configuration_is_said_in_french(tmp_path, capsys):
    assert main(["status", "--config", str(tmp_path / "missing.toml")]) == 2
    assert Words("fr")("file not found (create one with `rers init DIR`)") in capsys.readouterr().err


@pytest.mark.parametrize("language", ["fr", "en"])
def test_jobs_lines_and_the_help_of_collection_and_networks_speak_the_network_language(tmp_path, capsys,
                                                                                        language):
    settings = make_settings(tmp_path / "net", network=f'language = "{language}"')
    say = Words(language)
    config = ["--config", str(settings.source)]
    assert main(["jobs", *config]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "ok    " + say("monthly report") in out and "ok    " + say("introduction follow-ups") in out
    for command, message in ((["collection"], "one line per collection"),
                             (["status"], "the status of every network of DIR (each sub-folder with its own "
                                          "rers.toml), instead of --config")):
        with pytest.raises(SystemExit):
            main([*command, "--help", *config])
        assert " ".join(say(message).split()[:4]) in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("language", ["fr", "en"])
def test_calendar_answers_and_date_errors_speak_the_network_language(tmp_path, capsys, language):
    settings = make_settings(tmp_path / "net", network=f'language = "{language}"')
    say = Words(language)
    config = ["--config", str(settings.source)]
    assert main(["calendar", "cancel", "nothing-here", *config]) == 1
    assert say("nothing changed: {reason}", reason="").strip() in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["calendar", "add", "meeting", "14 janvier", "14:00-16:00", *config])
    assert say("{text!r} is not a date (2027-01-14 or 14/01/2027)", text="14 janvier") in capsys.readouterr().err


@pytest.mark.parametrize("language", ["fr", "en"])
def test_lists_and_the_route_table_speak_the_network_language(tmp_path, capsys, language):
    settings = make_settings(tmp_path / "net", network=f'language = "{language}"')
    say = Words(language)
    config = ["--config", str(settings.source)]
    assert main(["members", "list", *config]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == say("{n} member(s)", n=0)
    assert main(["routes", *config]) == 0
    out = capsys.readouterr().out
    assert say("Guards (who may):") in out and say("whoever writes") in out
    assert main(["routes", "--json", *config]) == 0
    assert '"guard_says": "whoever writes"' in capsys.readouterr().out  # --json: the code's words


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_bad_linked_networks_calendar_is_said_not_a_traceback(tmp_path, capsys, language):
    from federation_support import Network, peers_toml

    rouen = Network(tmp_path / "rouen", "RERS de Rouen", "rers@rouen.example", "anim@rouen.example")
    havre = Network(tmp_path / "havre", "RERS du Havre", "rers@havre.example", "anim@havre.example")
    config = havre.root / "rers.toml"
    text = config.read_text(encoding="utf-8").replace('language = "fr"', f'language = "{language}"')
    if f'language = "{language}"' not in text:
        text = text.replace("[network]\n", f'[network]\nlanguage = "{language}"\n', 1)
    config.write_text(text + peers_toml(rouen) + '\n[[federation.feeds]]\npeer = "Inconnu"\npath = "/tmp/x.ics"\n'
                      'kinds = ["pique-niques"]\n', encoding="utf-8")
    say = Words(language)
    for command in ("status", "doctor"):
        assert main([command, "--config", str(config)]) == 2
        said = capsys.readouterr()
        shown = said.err + said.out
        assert "Traceback" not in shown
        assert say("{name!r} is not the name of a [[federation.peers]]", name="Inconnu") in shown
        assert say("{kind!r} is not one of {kinds}", kind="pique-niques",
                   kinds="permanences, rencontres, échanges, ateliers") in shown


@pytest.mark.parametrize("language", ["fr", "en"])
def test_store_errors_are_said_in_the_network_language_and_logged_in_english(tmp_path, capsys, language):
    import shutil

    from workflows.shell.doctor import check_store

    settings = make_settings(tmp_path / "net", network=f'language = "{language}"')
    say = Words(language)
    shutil.rmtree(settings.store.path.parent)  # its disk unmounted
    assert main(["members", "list", "--config", str(settings.source)]) == 1
    missing = ("there is no store at {path} (nor its backup {backup}): if its disk is not mounted, mount it; if it "
               "was moved, set [store] path; for a new network, create it with `rers init --store`")
    english = missing.format(path=settings.store.path, backup="rers.json.bak")
    assert capsys.readouterr().err == "rers: " + say(missing, path=settings.store.path, backup="rers.json.bak") + "\n"
    settings.store.path.parent.mkdir()
    settings.store.path.write_text("{not json", encoding="utf-8")
    (finding,) = check_store(settings)
    assert finding.level == "fail" and finding.text.startswith(say("the store {path} is not valid JSON: {error}. "
                                                                   "{advice}", path=settings.store.path, error="",
                                                                   advice="").split(":")[0])
    assert english == Words("en")(missing, path=settings.store.path, backup="rers.json.bak")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_failure_kept_in_the_store_is_said_by_status_in_the_network_language(tmp_path, language):
    from workflows.model.said import Said, kept
    from workflows.shell.network import server

    settings = make_settings(tmp_path / "net", network=f'language = "{language}"')
    say = Words(language)
    refused = Said("{where} refused the connection (is it running, and is the port right?)",
                   where=server("IMAP", "imap.example.org", 993))
    store = Store.open(settings.store.path)
    with store.transaction():
        store.set_state("last_cycle_error", {"at": "2026-12-07T08:00:00+00:00", "error": kept(refused)})
        store.set_state("last_send_error", kept(Said("{where} did not answer within {seconds:g} s",
                                                     where=server("SMTP", "smtp.example.org", 587), seconds=30.0)))
    text = status_text(settings, Store.open(settings.store.path), NOW)
    at = datetime(2026, 12, 7, 8, 0, tzinfo=timezone.utc)
    assert say("The last cycle failed on {at} ({when}): {error}", at=moment(at, settings, say),
               when=relative(at, NOW, say), error=refused.said(say)) in text
    assert say("Sending failed at the last cycle: {error}", error=say(
        "{where} did not answer within {seconds:g} s", where=say("the {service} server {host}:{port}", service="SMTP",
                                                                 host="smtp.example.org", port=587), seconds=30.0)) in text
    assert str(refused) == ("the IMAP server imap.example.org:993 refused the connection (is it running, and is the "
                            "port right?)"), "str() and the logs stay English"


def test_one_mechanism_a_said_carried_by_refusals_and_user_errors():
    from workflows.decision import Refused
    from workflows.model.said import Said, kept, said_of, unkept
    from workflows.shell.errors import UserError, user_error

    refusal = Refused("{ref} is {status}: it has already ended", ref="G-1", status="closed")
    assert isinstance(refusal, ValueError) and isinstance(said_of(refusal), Said)
    assert str(refusal) == "G-1 is closed: it has already ended"
    for language in ("fr", "en"):
        say = Words(language)
        assert user_error(refusal).said(say) == say("{ref} is {status}: it has already ended", ref="G-1",
                                                    status="closed")
        assert UserError("no group {ref}", ref="G-9").said(say) == say("no group {ref}", ref="G-9")
    assert user_error(ValueError("a plain text")).said(Words("fr")) == "a plain text"
    nested = Said("{error} ({n} times in a row)", error=Said("the {service} server {host}:{port}", service="IMAP",
                                                              host="h", port=993), n=5)
    again = unkept(kept(nested))
    assert again == nested and again.said(Words("fr")) == nested.said(Words("fr")) != str(nested)
    assert unkept(kept("a server's own words")) == "a server's own words" and unkept(None) is None
