"""An animators' file not saved in UTF-8 (an editor's Latin-1 or Windows-1252) is a problem
of that file, as a syntax error is: the built-in text goes instead, and the commands, doctor
and the start-up say which file, which byte and what to do — nothing crashes, no mail waits."""
from __future__ import annotations

import email
import mailbox
from email import policy

from support import member_mail
from test_template_overrides import NOW, folder, render, run, settings, write  # noqa: F401 (fixtures)
from workflows.shell.doctor import check_templates
from workflows.shell.language import words_for
from workflows.shell.templating import check

LATIN_1 = "Bonjour,\n\nVoilà le mode d'emploi du réseau.\n".encode("latin-1")
NOT_UTF8 = "n’est pas enregistré en UTF-8 (octet 0xE0 ligne 3, position 5) ; enregistrez-le en UTF-8"


def latin_1(folder, file: str, data: bytes = LATIN_1):
    path = folder / "fr" / file
    path.write_bytes(data)
    return path


def test_a_latin_1_text_is_a_problem_of_its_file_and_the_built_in_text_goes(settings, folder):
    path = latin_1(folder, "help.txt.j2")
    text = render(settings, "help").text
    assert "mode d" not in text and "Voici comment écrire" in text
    (problem,) = [p for p in check(settings, NOW, ("fr",)) if p.level == "fail"]
    assert problem.where == str(path)
    assert "not saved in UTF-8 (byte 0xE0 on line 3, position 5); save it in UTF-8" in problem.text
    said = problem.said(words_for(settings))
    assert NOT_UTF8 in said and "le texte d’origine est utilisé en attendant" in said, said


def test_an_help_request_is_answered_with_the_built_in_text(settings, folder, capsys):
    latin_1(folder, "help.txt.j2")
    mailbox.Maildir(settings.mailbox.path, create=True).add(member_mail("lea@example.org", "AIDE", "aide"))
    status, out = run(capsys, "poll", "--config", str(settings.source))
    assert status == 0 and "1 en échec" not in out and "Traceback" not in out, out
    (answer,) = (settings.transport.path).glob("*.eml")
    body = email.message_from_bytes(answer.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
    assert "Voici comment écrire" in body and "mode d" not in body


def test_a_byte_0xff_in_a_shared_piece_is_said_by_every_command(settings, folder, capsys):
    path = latin_1(folder, "_footer.txt.j2", b"-- \n\xff\n")
    assert "\xff" not in render(settings, "join_ack").text
    status, out = run(capsys, "templates", "check", "--config", str(settings.source))
    assert status == 1 and "Traceback" not in out
    assert f"{path} : n’est pas enregistré en UTF-8 (octet 0xFF ligne 2, position 1)" in out, out
    status, out = run(capsys, "templates", "list", "--config", str(settings.source))
    assert status == 0 and "Traceback" not in out and "_footer" in out, out
    status, out = run(capsys, "templates", "show", "_footer.txt.j2", "--config", str(settings.source))
    assert status == 0 and "n’est pas enregistré en UTF-8" in out and "\ufffd" not in out.split("\n", 1)[1], out
    findings = [f for f in check_templates(settings) if f.level == "fail"]
    assert findings and all("UnicodeDecodeError" not in f.text for f in findings)
    assert any(str(path) in f.text and "n’est pas enregistré en UTF-8" in f.text for f in findings), findings


def test_templates_list_marks_a_broken_file_as_not_used(settings, folder, capsys):
    latin_1(folder, "help.txt.j2")
    status, out = run(capsys, "templates", "list", "--config", str(settings.source))
    (line,) = [line for line in out.splitlines() if line.startswith("help ")]
    assert status == 0 and "fr: txt (cassé : texte d’origine utilisé)" in line, out
