"""`rers doctor`, the network check and the connection sentences: what it says about the
animators, example addresses and trusting a From address (no servers needed)."""
from __future__ import annotations

from dataclasses import replace

from support import make_settings
from workflows.shell.doctor import _unset_secret, check_network
from workflows.shell.language import Words


def real(settings, animators=("claire@rers-souday.fr",)):
    """The settings with addresses outside the documentation domains."""
    return replace(settings, network=replace(settings.network, address="rers@rers-souday.fr", animators=animators))


def test_doctor_warns_that_animators_are_believed_on_their_address_without_authserv_id(tmp_path):
    findings = list(check_network(real(make_settings(tmp_path))))
    assert [f.level for f in findings] == ["ok", "warn"]
    assert "authserv_id n’est pas défini" in findings[1].text and "usurpe l’adresse d’un animateur" in findings[1].text


def test_doctor_is_quiet_once_authserv_id_is_set(tmp_path):
    settings = make_settings(tmp_path, network='authserv_id = "mx.example.org"')
    assert [f.level for f in check_network(real(settings))] == ["ok"]


def test_doctor_says_nobody_is_told_without_animators(tmp_path):
    (finding,) = check_network(real(make_settings(tmp_path), animators=()))
    assert finding.level == "warn" and "aucun animateur n’est configuré" in finding.text


def test_doctor_warns_about_example_addresses_left_in_place(tmp_path):
    settings = make_settings(tmp_path, network='authserv_id = "mx.example.org"')
    findings = list(check_network(settings))
    assert findings[0].level == "warn" and "rers.test@example.org" in findings[0].text
    assert "anim.one@example.org" in findings[0].text and "RFC 2606" in findings[0].text
    assert [f.level for f in check_network(real(settings, animators=("a@mail.example.com",)))][0] == "warn"


def test_a_connection_failure_also_says_the_password_variable_is_unset(tmp_path, monkeypatch):
    server = make_settings(tmp_path, mailbox='kind = "imap"\nhost = "127.0.0.1"\nsecurity = "none"\n'
                                             'username = "u"\npassword_env = "RERS_DOCTOR_TEST_UNSET"').mailbox.server
    monkeypatch.delenv("RERS_DOCTOR_TEST_UNSET", raising=False)
    assert "RERS_DOCTOR_TEST_UNSET (the password) is not set" in _unset_secret(server, Words("en"))
    monkeypatch.setenv("RERS_DOCTOR_TEST_UNSET", "x")
    assert _unset_secret(server, Words("en")) == ""


def test_doctor_warns_about_the_example_networks_name_places_and_closures(tmp_path):
    from config.settings import load
    from workflows.shell.doctor import check_calendar
    from workflows.shell.init import init_folder

    copied = load(init_folder(tmp_path / "robot"))
    (ok, warn) = check_calendar(copied)
    assert ok.level == "ok" and warn.level == "warn"
    assert '[calendar.permanence] place = "Agence de Souday, salle du Havre"' in warn.text
    assert "closures = 2026-12-28, 2027-08-09, 2027-08-16" in warn.text and "rers init" in warn.text
    (named,) = [f for f in check_network(copied) if "RERS de Souday" in f.text]
    assert named.level == "warn" and named.subject == "network"
    own = make_settings(tmp_path / "own")
    assert [f.level for f in check_calendar(own)] == ["ok"], "the tests' own network is nobody's example"


def test_a_closure_day_shared_with_the_example_or_an_unpublished_events_place_is_no_warning(tmp_path):
    from config.settings import load
    from workflows.shell.doctor import check_calendar
    from workflows.shell.init import init_folder

    config = init_folder(tmp_path / "robot")
    text = config.read_text(encoding="utf-8")
    text = text.replace('closures = ["2026-12-28", "2027-08-09", "2027-08-16"]', 'closures = ["2026-12-28", "2027-01-04"]')
    text = text.replace('place = "Agence de Souday, salle du Havre"', 'place = "Maison des associations"', 1)
    text = text.replace("enabled = true", "enabled = false")
    config.write_text(text, encoding="utf-8")
    assert [f.level for f in check_calendar(load(config))] == ["ok"]
