"""Fixtures shared by every test: the real mail servers of the integration tests.

- ``tls_certificate`` (session): a self-signed :class:`servers.Certificate` for
  ``localhost`` / ``127.0.0.1``; its ``cert`` file is the ``ca_file`` clients trust.
- ``dovecot`` (session): a running :class:`servers.Dovecot` (plain + STARTTLS on
  ``port``, implicit TLS on ``ssl_port``), users ``rers``, ``member``, ``animator``.
- ``imap_account`` (function): a fresh Dovecot user for this test only, its password in
  an environment variable; ``.settings(security=…, **mailbox)`` builds the
  ``MailboxSettings`` that reach it.
- ``smtp_sink`` (session): a running :class:`servers.SmtpSink` (STARTTLS on
  ``port``, implicit TLS on ``ssl_port``, AUTH for ``rers`` / ``SMTP_PASSWORD``); at the
  end of the session, every robot mail it received is checked against the privacy
  invariant (:mod:`privacy`).
- ``sink`` (function): the same sink, emptied and with no programmed failure.
- ``smtp_settings`` (function): ``smtp_settings(security="none", login=False, **server)``
  builds the ``TransportSettings`` that reach the sink (the password variable is set).

A missing Dovecot makes the fixtures fail, with the command that installs it: the
integration tests are never skipped silently.

- ``built_analyzers`` (session, automatic): the matching data files are read once a
  session for each synonyms file's content, and every analyzer the code asks
  :func:`workflows.shell.resources.analyzer` for is a fresh one over them
  (:meth:`workflows.model.matching.Analyzer.fresh`: as if just built; building one reads
  the files for 0.4 s, and most tests make a network).
"""
from __future__ import annotations

import itertools
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

import pytest

from config.settings import MailboxSettings, ServerSettings, TransportSettings
from servers import Certificate, Dovecot, ServerMissing, SmtpSink, make_certificate
from privacy import violations

SMTP_USER = "rers"
SMTP_PASSWORD = "smtp-secret"
SMTP_PASSWORD_ENV = "RERS_TEST_SMTP_PASSWORD"


@pytest.fixture(scope="session", autouse=True)
def built_analyzers() -> Iterator[None]:
    from workflows.shell import resources
    from workflows.shell.lexicon import Lexicon

    build = resources.analyzer
    made: dict = {}

    def analyzer(extra=None, *, meaning=True, lexicon=None):
        try:
            content = Path(extra).read_bytes() if extra is not None else b""
        except OSError:  # a missing or unreadable file is what the test is about
            return build(extra, meaning=meaning, lexicon=lexicon)
        key = (str(extra), content, meaning)
        if key not in made:
            made[key] = build(extra, meaning=meaning, lexicon=lexicon)
        # A lexicon of its own unless given, as a built one has: it reads nothing until a
        # meaning is asked (a test says so).
        return made[key].fresh(lexicon if lexicon is not None or not meaning else Lexicon())

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(resources, "analyzer", analyzer)
        yield


@pytest.fixture(scope="session")
def tls_certificate() -> Iterator[Certificate]:
    directory = Path(tempfile.mkdtemp(prefix="rers-cert-"))
    directory.chmod(0o755)  # Dovecot's unprivileged processes read nothing here, but may stat
    try:
        yield make_certificate(directory)
    except ServerMissing as error:
        pytest.fail(str(error), pytrace=False)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot(tls_certificate: Certificate) -> Iterator[Dovecot]:
    server = Dovecot(certificate=tls_certificate)
    try:
        server.start()
    except ServerMissing as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class ImapAccount:
    """One Dovecot user, and the settings an :class:`ImapMailbox` needs to reach it."""

    dovecot: Dovecot
    user: str
    password_env: str

    def settings(self, security: str = "none", **mailbox) -> MailboxSettings:
        """``MailboxSettings`` for this user over ``security`` (``none``, ``starttls``, ``ssl``).

        ``mailbox`` overrides other fields (``folder``, ``done_folder``…); change the
        server part with ``dataclasses.replace(s, server=replace(s.server, …))``.
        """
        d = self.dovecot
        server = ServerSettings(
            host=d.host,
            port=d.ssl_port if security == "ssl" else d.port,
            security=security,
            username=self.user,
            password_env=self.password_env,
            timeout_seconds=10.0,
            ca_file=d.certificate.cert if d.certificate and security != "none" else None,
        )
        return MailboxSettings(kind="imap", server=server, **mailbox)


@pytest.fixture(scope="session")
def _account_numbers() -> Iterator[int]:
    return itertools.count(1)


@pytest.fixture
def imap_account(dovecot: Dovecot, _account_numbers, monkeypatch) -> ImapAccount:
    number = next(_account_numbers)
    user, password = f"test{number}", f"secret-{number}"
    dovecot.add_user(user, password)
    env = f"RERS_TEST_IMAP_PASSWORD_{number}"
    monkeypatch.setenv(env, password)
    return ImapAccount(dovecot=dovecot, user=user, password_env=env)


@pytest.fixture(scope="session")
def smtp_sink(tls_certificate: Certificate, tmp_path_factory) -> Iterator[SmtpSink]:
    server = SmtpSink(certificate=tls_certificate, users={SMTP_USER: SMTP_PASSWORD})
    server.start()
    try:
        yield server
    finally:
        server.stop()
    # The privacy invariant over every mail of the session (tests/privacy.py).
    problems, checked = violations(server.archive, tmp_path_factory.getbasetemp())
    assert not problems, f"{len(problems)} privacy violation(s) in {checked} robot mails:\n" + "\n".join(problems)


@pytest.fixture
def sink(smtp_sink: SmtpSink) -> Iterator[SmtpSink]:
    smtp_sink.clear()
    yield smtp_sink
    smtp_sink.clear()


@pytest.fixture
def smtp_settings(smtp_sink: SmtpSink, monkeypatch) -> Callable[..., TransportSettings]:
    monkeypatch.setenv(SMTP_PASSWORD_ENV, SMTP_PASSWORD)

    def build(security: str = "none", login: bool = False, **server) -> TransportSettings:
        """``TransportSettings`` reaching the sink over ``security``; ``login`` adds AUTH;
        ``server`` overrides ``ServerSettings`` fields (``timeout_seconds``, ``port``…)."""
        base = ServerSettings(
            host=smtp_sink.host,
            port=smtp_sink.ssl_port if security == "ssl" else smtp_sink.port,
            security=security,
            username=SMTP_USER if login else None,
            password_env=SMTP_PASSWORD_ENV if login else None,
            timeout_seconds=5.0,
            ca_file=smtp_sink.certificate.cert if smtp_sink.certificate and security != "none" else None,
        )
        return TransportSettings(kind="smtp", server=replace(base, **server))

    return build
