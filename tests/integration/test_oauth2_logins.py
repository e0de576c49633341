"""OAuth 2.0 logins (SASL XOAUTH2 and OAUTHBEARER, RFC 7628) against real servers: a Dovecot
whose ``oauth2`` passdb introspects tokens at an endpoint on 127.0.0.1, an aiosmtpd with an
XOAUTH2/OAUTHBEARER authenticator asking the same endpoint, and tokens from the three
sources — a ``token_command``, ``msal`` (Microsoft 365 client credentials) and
``google-auth`` (a service account) — each pointed at the local authorization server."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from config.settings import loads
from oauth_servers import AuthorizationServer
from servers import Dovecot, SmtpSink
from workflows.shell.mailboxes.base import MailboxError
from workflows.shell.runner import open_mailbox, open_transport, tokens_for
from workflows.shell.transports.base import TransportError

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
USER = "rers"
NETWORK = "rers.test@example.org"


@pytest.fixture(scope="module")
def authority(tls_certificate):
    with AuthorizationServer(tls_certificate) as server:
        yield server


@pytest.fixture(scope="module")
def oauth_dovecot(tls_certificate, authority):
    server = Dovecot(certificate=tls_certificate, introspection_url=authority.introspection_url)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def oauth_sink(tls_certificate, authority):
    with SmtpSink(certificate=tls_certificate, introspect=authority.user_of) as sink:
        yield sink


@pytest.fixture
def secrets_dir():
    directory = Path(tempfile.mkdtemp(prefix="rers-oauth-"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def settings_for(root: Path, dovecot: Dovecot, sink: SmtpSink, cert: Path, auth: str, oauth2: str,
                 smtp_auth: str | None = None):
    """Settings reaching ``dovecot`` (plain IMAP on loopback) and ``sink`` (STARTTLS: AUTH
    needs encryption there) with ``auth``, and the ``[oauth2]`` section ``oauth2``."""
    text = f"""
[network]
name = "RERS de Test"
address = "{NETWORK}"
[mailbox]
kind = "imap"
host = "127.0.0.1"
port = {dovecot.port}
security = "none"
username = "{USER}"
auth = "{auth}"
timeout_seconds = 10
[transport]
kind = "smtp"
host = "127.0.0.1"
port = {sink.port}
security = "starttls"
ca_file = "{cert}"
username = "{USER}"
auth = "{smtp_auth or auth}"
timeout_seconds = 10
[store]
path = "store/rers.json"
[calendar]
output_dir = "calendar"
[oauth2]
{oauth2}
"""
    root.mkdir(parents=True, exist_ok=True)
    (root / "rers.toml").write_text(text)
    return loads(text, base=root, source=root / "rers.toml")


def printer(token: str) -> str:
    """A token_command that prints ``token`` (TOML list of words)."""
    return f'token_command = ["{sys.executable}", "-c", "print(\'{token}\')"]'


def login_and_send(settings) -> None:
    tokens = tokens_for(settings)
    with open_mailbox(settings, tokens) as mailbox:
        assert mailbox.waiting() == []
    with open_transport(settings, tokens) as transport:
        transport.send(NETWORK, ["member@example.org"], b"From: rers.test@example.org\r\nSubject: x\r\n\r\nhello\r\n")


@pytest.mark.parametrize("auth", ["xoauth2", "oauthbearer"])
def test_a_token_command_logs_in_to_imap_and_smtp(auth, tmp_path, authority, oauth_dovecot, oauth_sink, tls_certificate):
    oauth_sink.clear()
    token = authority.issue(USER)
    settings = settings_for(tmp_path, oauth_dovecot, oauth_sink, tls_certificate.cert, auth,
                            f'provider = "command"\n{printer(token)}')
    login_and_send(settings)
    [received] = oauth_sink.received
    assert received.login == USER and received.tls
    assert f"method={auth.upper()}" in oauth_dovecot.log()


def test_a_refused_token_is_a_login_fault_on_both_servers(tmp_path, authority, oauth_dovecot, oauth_sink,
                                                         tls_certificate):
    token = authority.issue(USER)
    authority.revoke(token)
    settings = settings_for(tmp_path, oauth_dovecot, oauth_sink, tls_certificate.cert, "xoauth2",
                            f'provider = "command"\n{printer(token)}', smtp_auth="oauthbearer")
    with pytest.raises(MailboxError) as imap:
        with open_mailbox(settings):
            pass
    assert imap.value.fault == "login" and "token refused" in str(imap.value)
    with pytest.raises(TransportError) as smtp:
        with open_transport(settings):
            pass
    assert smtp.value.fault == "login" and "OAUTHBEARER token" in str(smtp.value)
    assert token not in str(imap.value) + str(smtp.value)


def test_a_failing_token_command_is_said_before_any_login(tmp_path, oauth_dovecot, oauth_sink, tls_certificate):
    settings = settings_for(tmp_path, oauth_dovecot, oauth_sink, tls_certificate.cert, "xoauth2",
                            'provider = "command"\ntoken_command = "false"')
    with pytest.raises(MailboxError) as caught:
        with open_mailbox(settings):
            pass
    assert "token_command: false exited with status 1" in str(caught.value)
    assert caught.value.fault is None  # the helper may work next time (a network outage)


def test_microsoft_365_client_credentials_through_msal(tmp_path, secrets_dir, authority, oauth_dovecot, oauth_sink,
                                                       tls_certificate, monkeypatch):
    oauth_sink.clear()
    authority.register_application("app-1", "s3cret-value", USER)
    monkeypatch.setenv("RERS_TEST_CLIENT_SECRET", "s3cret-value")
    settings = settings_for(tmp_path, oauth_dovecot, oauth_sink, tls_certificate.cert, "xoauth2", f'''
provider = "microsoft365"
tenant_id = "contoso"
client_id = "app-1"
client_secret_env = "RERS_TEST_CLIENT_SECRET"
authority = "{authority.base_url}"
ca_file = "{tls_certificate.cert}"''')
    before = authority.requests["client_credentials"]
    login_and_send(settings)
    assert oauth_sink.received[0].login == USER
    # One token for both logins: it lives an hour, nothing asks for another.
    assert authority.requests["client_credentials"] == before + 1


def test_microsoft_365_wrong_secret_is_a_login_fault_and_never_shown(tmp_path, secrets_dir, authority,
                                                                     oauth_dovecot, oauth_sink, tls_certificate):
    authority.register_application("app-2", "right", USER)
    secret = secrets_dir / "client-secret"
    secret.write_text("wrong-secret-value\n")
    secret.chmod(0o600)
    settings = settings_for(tmp_path, oauth_dovecot, oauth_sink, tls_certificate.cert, "xoauth2", f'''
provider = "microsoft365"
tenant_id = "contoso"
client_id = "app-2"
client_secret_file = "{secret}"
authority = "{authority.base_url}"
ca_file = "{tls_certificate.cert}"''')
    with pytest.raises(MailboxError) as caught:
        with open_mailbox(settings):
            pass
    assert caught.value.fault == "login"
    assert "invalid_client" in str(caught.value) and "wrong-secret-value" not in str(caught.value)


def test_google_service_account_through_google_auth(tmp_path, secrets_dir, authority, oauth_dovecot, oauth_sink,
                                                   tls_certificate):
    oauth_sink.clear()
    key_file = authority.register_service_account(secrets_dir, "rers@rers-test.iam.gserviceaccount.com")
    settings = settings_for(tmp_path, oauth_dovecot, oauth_sink, tls_certificate.cert, "oauthbearer", f'''
provider = "google"
service_account_file = "{key_file}"
ca_file = "{tls_certificate.cert}"''')
    before = authority.requests["jwt-bearer"]
    login_and_send(settings)
    assert oauth_sink.received[0].login == USER
    assert authority.requests["jwt-bearer"] == before + 1


def test_a_service_account_file_open_to_others_is_refused(tmp_path, secrets_dir, authority, oauth_dovecot, oauth_sink,
                                                          tls_certificate):
    key_file = authority.register_service_account(secrets_dir, "rers@rers-test.iam.gserviceaccount.com")
    key_file.chmod(0o644)
    settings = settings_for(tmp_path, oauth_dovecot, oauth_sink, tls_certificate.cert, "xoauth2", f'''
provider = "google"
service_account_file = "{key_file}"''')
    with pytest.raises(MailboxError) as caught:
        with open_mailbox(settings):
            pass
    assert caught.value.fault == "secret" and "chmod 600" in str(caught.value)


def test_doctor_checks_the_token(tmp_path, authority, oauth_dovecot, oauth_sink, tls_certificate):
    token = authority.issue(USER)
    settings_for(tmp_path, oauth_dovecot, oauth_sink, tls_certificate.cert, "xoauth2",
                 f'provider = "command"\n{printer(token)}')
    from store import Store

    Store.create(tmp_path / "store" / "rers.json")
    done = subprocess.run([sys.executable, "-m", "workflows.cli", "doctor", "--config", str(tmp_path / "rers.toml")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert "token" in done.stdout and "XOAUTH2" in done.stdout, done.stdout + done.stderr
    assert token not in done.stdout + done.stderr
