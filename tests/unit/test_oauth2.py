"""OAuth 2.0 logins on plain data: the SASL strings (RFC 7628), when a token is asked for
again, a token_command's output, secret files, and the configuration's checks."""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from config.settings import ConfigError, loads
from support import config_text
from workflows.mail.sasl import abort_response, initial_response, oauthbearer_response, xoauth2_response
from workflows.shell.oauth2 import AccessToken, CommandSource, Tokens, TokenError, read_secret_file, tokens_for

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=timezone.utc)


def test_xoauth2_response():
    assert xoauth2_response("rers@example.org", "tok") == "user=rers@example.org\x01auth=Bearer tok\x01\x01"


def test_oauthbearer_response_escapes_the_identity_and_names_the_server():
    assert oauthbearer_response("a,b=c@example.org", "tok", "smtp.example.org", 587) == (
        "n,a=a=2Cb=3Dc@example.org,\x01host=smtp.example.org\x01port=587\x01auth=Bearer tok\x01\x01")
    assert initial_response("OAUTHBEARER", "u", "t") == "n,a=u,\x01auth=Bearer t\x01\x01"
    assert abort_response("oauthbearer") == "\x01" and abort_response("xoauth2") == ""
    with pytest.raises(ValueError):
        initial_response("plain", "u", "t")


class Issued:
    """A token source that hands out numbered tokens living ``lifetime`` (None: unknown)."""

    def __init__(self, clock, lifetime: timedelta | None):
        self.clock, self.lifetime, self.count = clock, lifetime, 0

    def fetch(self) -> AccessToken:
        self.count += 1
        expires = self.clock() + self.lifetime if self.lifetime else None
        return AccessToken(f"token-{self.count}", expires)


def test_a_token_is_reused_until_five_minutes_before_it_expires():
    now = [T0]
    source = Issued(lambda: now[0], timedelta(hours=1))
    tokens = Tokens(source, clock=lambda: now[0])
    assert tokens.token() == "token-1"
    now[0] = T0 + timedelta(minutes=54)
    assert tokens.token() == "token-1"
    now[0] = T0 + timedelta(minutes=55, seconds=1)
    assert tokens.token() == "token-2"
    tokens.forget()  # the server refused it
    assert tokens.token() == "token-3"


def test_a_token_of_unknown_lifetime_is_asked_for_at_each_login():
    source = Issued(lambda: T0, None)
    tokens = Tokens(source, clock=lambda: T0)
    assert [tokens.token(), tokens.token()] == ["token-1", "token-2"]


def test_a_token_never_shows_in_a_repr():
    assert "secret-token" not in repr(AccessToken("secret-token", T0))


def test_token_command_plain_and_json():
    plain = CommandSource((sys.executable, "-c", "print('abc'); print('ignored')"))
    assert plain.fetch() == AccessToken("abc")
    as_json = CommandSource((sys.executable, "-c", 'print(\'{"access_token": "xyz", "expires_in": 600}\')'),
                            clock=lambda: T0)
    assert as_json.fetch() == AccessToken("xyz", T0 + timedelta(seconds=600))


def test_token_command_failures_are_one_sentence():
    with pytest.raises(TokenError) as caught:
        CommandSource((sys.executable, "-c", "import sys; sys.stderr.write('no network\\n'); sys.exit(3)")).fetch()
    assert "exited with status 3 (no network)" in str(caught.value) and caught.value.fault is None
    with pytest.raises(TokenError) as caught:
        CommandSource(("/nonexistent/oama",)).fetch()
    assert caught.value.fault == "secret"
    with pytest.raises(TokenError, match="printed no token"):
        CommandSource((sys.executable, "-c", "pass")).fetch()


def test_a_secret_file_must_be_for_the_robot_only(tmp_path):
    path = tmp_path / "secret"
    path.write_text("s3cret\n")
    path.chmod(0o640)
    with pytest.raises(TokenError, match="chmod 600") as caught:
        read_secret_file(path, "the client secret file")
    assert caught.value.fault == "secret" and "s3cret" not in str(caught.value)
    path.chmod(0o600)
    assert read_secret_file(path, "the client secret file") == "s3cret"
    with pytest.raises(TokenError, match="cannot read"):
        read_secret_file(tmp_path / "missing", "the client secret file")


IMAP = 'kind = "imap"\nhost = "imap.example.org"\nusername = "rers@example.org"\nauth = "xoauth2"'
SMTP = 'kind = "smtp"\nhost = "smtp.example.org"\nusername = "rers@example.org"\nauth = "oauthbearer"'


def problems(tmp_path: Path, extra: str, mailbox: str = IMAP, transport: str = SMTP) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        loads(config_text(tmp_path, mailbox=mailbox, transport=transport, extra=extra), base=tmp_path)
    return caught.value.problems


def test_oauth_settings_load_with_the_provider_s_scope(tmp_path):
    text = config_text(tmp_path, mailbox=IMAP, transport=SMTP, extra='''[oauth2]
provider = "microsoft365"
tenant_id = "t"
client_id = "c"
client_secret_env = "RERS_SECRET"''')
    settings = loads(text, base=tmp_path)
    assert settings.mailbox.server.auth == "xoauth2" and settings.transport.server.auth == "oauthbearer"
    assert settings.oauth2.scope == "https://outlook.office365.com/.default"
    assert tokens_for(settings) is not None
    command = loads(config_text(tmp_path, mailbox=IMAP, transport=SMTP,
                                extra='[oauth2]\nprovider = "command"\ntoken_command = "oama access \'rers@x.org\'"'),
                    base=tmp_path)
    assert command.oauth2.token_command == ("oama", "access", "rers@x.org")


def test_every_oauth_problem_is_said_at_once(tmp_path):
    found = problems(tmp_path, '''[oauth2]
provider = "microsoft365"
client_secret = "hunter2"
service_account_file = "key.json"''', mailbox=IMAP + '\npassword_env = "X"')
    text = "\n".join(found)
    assert "[oauth2] client_secret: never write a secret in this file" in text
    assert "[oauth2] tenant_id: required" in text and "[oauth2] client_id: required" in text
    assert "[oauth2] client_secret_env: required" in text
    assert "[oauth2] service_account_file: only for provider = \"google\"" in text
    assert "[mailbox] password_env: not used with auth = \"xoauth2\"" in text
    assert "hunter2" not in text


def test_a_token_login_without_an_oauth2_section_is_refused(tmp_path):
    found = problems(tmp_path, "")
    assert any("[mailbox] auth: \"xoauth2\" needs an [oauth2] section" in p for p in found)
    assert any("[transport] auth: \"oauthbearer\" needs an [oauth2] section" in p for p in found)


def test_password_logins_still_need_their_variable(tmp_path):
    found = problems(tmp_path, "", mailbox='kind = "imap"\nhost = "h"\nusername = "u"', transport='kind = "folder"\npath = "o"')
    assert any("[mailbox] password_env: required with a username" in p for p in found)
