"""`rers doctor`, the network check: what it says about the animators and about trusting
their From address (no servers needed)."""
from __future__ import annotations

from dataclasses import replace

from support import make_settings
from workflows.doctor import check_network


def test_doctor_warns_that_animators_are_believed_on_their_address_without_authserv_id(tmp_path):
    findings = list(check_network(make_settings(tmp_path)))
    assert [f.level for f in findings] == ["ok", "warn"]
    assert "authserv_id is not set" in findings[1].text and "forges an animator's address" in findings[1].text


def test_doctor_is_quiet_once_authserv_id_is_set(tmp_path):
    settings = make_settings(tmp_path, network='authserv_id = "mx.example.org"')
    assert [f.level for f in check_network(settings)] == ["ok"]


def test_doctor_says_nobody_is_told_without_animators(tmp_path):
    settings = make_settings(tmp_path)
    settings = replace(settings, network=replace(settings.network, animators=()))
    (finding,) = check_network(settings)
    assert finding.level == "warn" and "no animator is configured" in finding.text
