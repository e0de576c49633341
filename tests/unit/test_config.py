"""The configuration: validated on load, every problem at once, with its key and line."""
from __future__ import annotations

import re
import tomllib
from datetime import time
from pathlib import Path

import pytest

from config.settings import SCHEMA, ConfigError, SecretMissing, load, loads

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "example.toml"


def test_example_loads_and_is_the_embedded_default():
    settings = load(EXAMPLE)
    assert settings.mailbox.kind == "maildir"
    assert settings.transport.kind == "folder"
    assert settings.network.timezone == "Europe/Paris"
    assert settings.calendar.permanence.weekday == "monday"
    assert settings.calendar.permanence.start == time(9, 0)
    # Relative paths are read from the file's own folder.
    assert settings.store.path == EXAMPLE.parent / "store" / "rers.json"


def test_every_schema_key_is_documented_in_the_example():
    text = EXAMPLE.read_text(encoding="utf-8")
    for section, keys in SCHEMA.items():
        assert f"[{section}]" in text, section
        block = text.split(f"[{section}]", 1)[1].split("\n[", 1)[0]
        for key in keys:
            # Documented either as a live key or as a commented example.
            assert re.search(rf"^#? ?{key} = ", block, re.MULTILINE), f"[{section}] {key} is not documented"


def test_the_example_documents_the_feeds_of_pooled_events():
    from config.feeds import FEED_KEYS

    block = EXAMPLE.read_text(encoding="utf-8").split("# [[federation.feeds]]", 1)[1].split("\n\n", 1)[0]
    for key in FEED_KEYS:
        assert re.search(rf"^# {key} = ", block, re.MULTILINE), f"[[federation.feeds]] {key} is not documented"


def test_every_problem_is_reported_at_once_with_its_line():
    text = """[network]
name = 1
adress = "x@example.org"

[mailbox]
kind = "pop"
port = "abc"
password = "hunter2"

[calendr]
x = 1
"""
    with pytest.raises(ConfigError) as caught:
        loads(text, base=Path("/tmp"))
    problems = caught.value.problems
    joined = "\n".join(problems)
    assert "line 2: [network] name: must be a string" in joined
    assert "line 3: [network] adress: unknown key (did you mean 'address'?)" in joined
    assert "[network] address: this key is required" in joined
    assert "line 6: [mailbox] kind: must be one of 'imap', 'maildir'" in joined
    assert "line 7: [mailbox] port: must be a whole number" in joined
    assert "line 8: [mailbox] password: never write a secret in this file" in joined
    assert "line 10: [calendr]: unknown section (did you mean [calendar]?)" in joined
    assert "[store]: this section is required" in joined
    assert len(problems) >= 8
    assert "hunter2" not in str(caught.value)


def test_not_toml_is_one_clear_problem():
    with pytest.raises(ConfigError) as caught:
        loads("[network\nname=", base=Path("/tmp"))
    assert "not valid TOML" in caught.value.problems[0]


def test_missing_file_says_how_to_create_one(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path / "nope.toml")
    assert "rers init" in str(caught.value)


def test_cross_checks():
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace('kind = "maildir"', 'kind = "imap"').replace('start = "09:00"', 'start = "13:00"')
    with pytest.raises(ConfigError) as caught:
        loads(text, base=Path("/tmp"))
    joined = "\n".join(caught.value.problems)
    assert "[mailbox] username: required when kind = \"imap\"" in joined
    assert "[calendar.permanence] end: must be after start" in joined


def test_secret_comes_from_the_environment(monkeypatch):
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "# username = \"rers.souday@example.org\"\n# password_env = \"RERS_IMAP_PASSWORD\"",
        "username = \"rers.souday@example.org\"\npassword_env = \"RERS_TEST_SECRET\"",
    )
    settings = loads(text, base=Path("/tmp"))
    monkeypatch.delenv("RERS_TEST_SECRET", raising=False)
    with pytest.raises(SecretMissing, match="RERS_TEST_SECRET"):
        settings.mailbox.server.password()
    monkeypatch.setenv("RERS_TEST_SECRET", "s3cret")
    assert settings.mailbox.server.password() == "s3cret"


def test_default_ports_follow_security():
    settings = load(EXAMPLE)
    assert settings.mailbox.server.port == 993
    assert settings.transport.server.port == 587


def test_bad_values_are_named():
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace('timezone = "Europe/Paris"', 'timezone = "Europe/Pariss"')
    text = text.replace('animators = ["animation.souday@example.org"]', 'animators = ["pas une adresse"]')
    text = text.replace('weekday = "monday"', 'weekday = "lundi"')
    text = text.replace('closures = ["2026-12-28"', 'closures = ["28/12/2026"')
    with pytest.raises(ConfigError) as caught:
        loads(text, base=Path("/tmp"))
    joined = "\n".join(caught.value.problems)
    for fragment in ("unknown time zone 'Europe/Pariss'", "not email addresses: 'pas une adresse'",
                     "weekday in English", "'28/12/2026' is not a date"):
        assert fragment in joined
    assert all(p.startswith("line ") for p in caught.value.problems)


def test_example_is_plain_toml():
    tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))


def test_a_password_never_crosses_the_network_in_clear():
    text = EXAMPLE.read_text(encoding="utf-8").replace('kind = "maildir"', 'kind = "imap"').replace(
        'security = "ssl"', 'security = "none"').replace(
        '# username = "rers.souday@example.org"\n# password_env = "RERS_IMAP_PASSWORD"',
        'username = "rers.souday@example.org"\npassword_env = "RERS_IMAP_PASSWORD"')
    with pytest.raises(ConfigError) as caught:
        loads(text, base=Path("/tmp"))
    assert any("[mailbox] security" in p and "in clear" in p for p in caught.value.problems)
    loads(text.replace('host = "imap.example.org"', 'host = "127.0.0.1"'), base=Path("/tmp"))


def test_a_misspelt_section_is_said_once_without_a_misleading_second_error(tmp_path):
    # [trasnport] for [transport]: without it, the default kind = "folder" would ask for a
    # path; [calendr] for [calendar]: "this section is required" would follow.
    text = """[network]
name = "RERS"
address = "rers@example.org"

[store]
path = "s.json"
[mailbox]
path = "mail"

[calendr]
output_dir = "cal"

[trasnport]
kind = "smtp"
host = "smtp.example.org"
"""
    with pytest.raises(ConfigError) as caught:
        loads(text, base=tmp_path)
    problems = caught.value.problems
    assert problems == ["line 10: [calendr]: unknown section (did you mean [calendar]?)",
                        "line 13: [trasnport]: unknown section (did you mean [transport]?)"]
