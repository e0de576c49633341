"""`rers doctor` against the real servers: all good, then each fault in plain words."""
from __future__ import annotations

import pytest

from servers import free_port

pytestmark = pytest.mark.integration


def test_doctor_all_good(imap_robot):
    result = imap_robot.command("doctor")
    # The tests' configuration keeps example addresses (RFC 2606): warned about, not a problem.
    assert result.stdout.rstrip().endswith("avertissement(s) à lire.") and "Aucun problème à corriger" in result.stdout
    assert "connecté à 127.0.0.1" in result.stdout
    assert "propose IDLE" in result.stdout


def test_doctor_reports_a_wrong_password_and_a_closed_smtp_port(robot_factory, imap_account):
    robot = robot_factory()
    robot.env[imap_account.password_env] = "not-the-password"
    text = robot.config.read_text().replace(f"port = {robot.settings.transport.server.port}", f"port = {free_port()}")
    robot.config.write_text(text)
    result = robot.command("doctor", check=False)
    assert result.returncode == 1
    assert "FAIL  mailbox" in result.stdout and "identifiant ou mot de passe erroné" in result.stdout
    assert "FAIL  transport" in result.stdout and "a refusé la connexion" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_doctor_reports_every_config_problem(imap_robot):
    imap_robot.config.write_text(imap_robot.config.read_text() + "\n[mailbox]\nhots = 1\n")
    result = imap_robot.command("doctor", check=False)
    assert result.returncode == 2
    assert "FAIL  config" in result.stdout


def test_doctor_without_the_password_still_reaches_the_server_first(robot_factory, imap_account):
    robot = robot_factory()
    unset = "RERS_TEST_SECRET_NOBODY_SET"
    robot.config.write_text(robot.config.read_text().replace(f'"{imap_account.password_env}"', f'"{unset}"'))
    result = robot.command("doctor", check=False)
    assert "FAIL  mailbox" in result.stdout
    assert "le serveur IMAP 127.0.0.1" in result.stdout and "est joint" in result.stdout and unset in result.stdout
    assert result.stdout.count(unset) == 1, result.stdout  # issue 20: each thing said once
    text = robot.config.read_text().replace(f"port = {robot.settings.mailbox.server.port}", f"port = {free_port()}")
    robot.config.write_text(text)
    result = robot.command("doctor", check=False)
    assert "FAIL  mailbox" in result.stdout and "a refusé la connexion" in result.stdout
    # The wrong port first, and the missing secret in the same finding: both at once.
    finding = " ".join(result.stdout.split("FAIL  mailbox")[1].split("FAIL")[0].split())
    assert finding.index("a refusé la connexion") < finding.index(f"{unset} (le mot de passe) n’est pas définie")
