"""OAuth 2.0 access tokens for the IMAP and SMTP logins (SASL XOAUTH2 or OAUTHBEARER).

Three sources of tokens, one interface (:class:`TokenSource`: ``fetch() -> AccessToken``):

- :class:`CommandSource` — ``[oauth2] provider = "command"``: run ``token_command`` (no
  shell), read the token it prints on its first line — as mail synchronisers (isync,
  OfflineIMAP, aerc) do with helpers such as ``oama`` or ``mutt_oauth2.py``. A JSON object
  ``{"access_token": …, "expires_in": seconds}`` is read too.
- :class:`MicrosoftSource` — ``provider = "microsoft365"``: app-only client credentials
  (OAuth 2.0 §4.4) of an Entra ID application allowed on the shared mailbox, with
  Microsoft's ``msal``; scope ``https://outlook.office365.com/.default``.
- :class:`GoogleSource` — ``provider = "google"``: a service account with domain-wide
  delegation acting as the mailbox's user, with Google's ``google-auth``; scope
  ``https://mail.google.com/``.

:class:`Tokens` keeps the last token and fetches a new one when less than
:data:`REFRESH_MARGIN` is left before its expiry (or always, when the expiry is unknown).
Secrets are read when a token is needed, never from ``rers.toml``: the client secret from
the variable named by ``client_secret_env`` or the root-only file ``client_secret_file``,
the service account's key from the root-only ``service_account_file``.

Every failure is a :class:`TokenError` (one sentence for the operator, never the secret or
the token) whose ``fault`` says whether a retry can fix it.
"""
from __future__ import annotations

import json
import os
import stat
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Protocol

from config.settings import OAuth2Settings, Settings
from workflows.model.said import Said
from workflows.shell.errors import system_reason

REFRESH_MARGIN = timedelta(minutes=5)
"""A token with less than this left is replaced before a login (servers refuse an expired
token, and a login may take a while after the token was checked)."""

MICROSOFT_AUTHORITY = "https://login.microsoftonline.com"
DEFAULT_SCOPES = {
    "microsoft365": "https://outlook.office365.com/.default",
    "google": "https://mail.google.com/",
}


class TokenError(Exception):
    """No access token could be had. The message is one plain sentence for the operator.

    ``fault``: ``"secret"`` (a secret is missing or unsafely kept) or ``"login"`` (the
    token endpoint refused the application's credentials), which no retry fixes; None
    (the endpoint or the command failed for another reason: retried).
    """

    def __init__(self, message: Said, *, fault: str | None = None):
        super().__init__(message)
        self.fault = fault


@dataclass(frozen=True)
class AccessToken:
    """An OAuth 2.0 access token: ``value`` (never logged) and ``expires_at`` (aware UTC
    datetime; None when the source does not say)."""

    value: str
    expires_at: datetime | None = None

    def __repr__(self) -> str:  # a token must never reach a log line through a repr
        return f"AccessToken(expires_at={self.expires_at!r})"


class TokenSource(Protocol):
    def fetch(self) -> AccessToken:
        """A fresh access token. Raises :class:`TokenError`."""


Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def read_secret_file(path: Path, what: Said) -> str:
    """The content of a secret file, which must belong to the user the robot runs as and be
    readable by nobody else (mode 0600 or 0400). Raises :class:`TokenError` (fault
    ``secret``) when it is missing, unreadable or open to others."""
    try:
        info = path.stat()
    except OSError as error:
        raise TokenError(Said("cannot read {what} {path}: {reason}", what=what, path=path,
                              reason=system_reason(error)), fault="secret") from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise TokenError(Said("{what} {path} can be read by others (mode {mode}): run `chmod 600 {path}`", what=what,
                              path=path, mode=format(stat.S_IMODE(info.st_mode), "04o")), fault="secret")
    if info.st_uid != os.geteuid():
        raise TokenError(Said("{what} {path} does not belong to the user the robot runs as", what=what, path=path),
                         fault="secret")
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise TokenError(Said("cannot read {what} {path}: {reason}", what=what, path=path, reason=str(error)),
                         fault="secret") from None


def http_session(settings: OAuth2Settings):
    """A ``requests`` session for the token endpoint: ``ca_file`` trusted when set (passed
    with each request: requests lets ``REQUESTS_CA_BUNDLE`` override a session's own
    ``verify``), ``timeout_seconds`` on each request."""
    import functools

    import requests

    session = requests.Session()
    extra = {"timeout": settings.timeout_seconds}
    if settings.ca_file:
        extra["verify"] = str(settings.ca_file)
    session.request = functools.partial(session.request, **extra)
    return session


def _expiry(now: datetime, expires_in: object) -> datetime | None:
    try:
        seconds = int(expires_in)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return now + timedelta(seconds=seconds)


class CommandSource:
    """``argv`` run without a shell; its first line of standard output is the token, or a
    JSON object with ``access_token`` and ``expires_in`` (seconds). ``timeout`` in seconds."""

    def __init__(self, argv: tuple[str, ...], timeout: float = 30.0, clock: Clock = _utc_now):
        self.argv = argv
        self.timeout = timeout
        self.clock = clock

    def fetch(self) -> AccessToken:
        name = self.argv[0] if self.argv else "?"
        try:
            done = subprocess.run(self.argv, capture_output=True, timeout=self.timeout, stdin=subprocess.DEVNULL)
        except FileNotFoundError:
            raise TokenError(Said("token_command: {name} is not found", name=name), fault="secret") from None
        except PermissionError:
            raise TokenError(Said("token_command: {name} cannot be run (permission denied)", name=name),
                             fault="secret") from None
        except subprocess.TimeoutExpired:
            raise TokenError(Said("token_command: {name} printed no token within {seconds:g} s", name=name,
                                  seconds=self.timeout)) from None
        if done.returncode != 0:
            said = done.stderr.decode("utf-8", "replace").strip().splitlines()
            last = f" ({said[-1][:200]})" if said else ""
            raise TokenError(Said("token_command: {name} exited with status {status}{last}", name=name,
                                  status=done.returncode, last=last))
        text = done.stdout.decode("utf-8", "replace").strip()
        if text.startswith("{"):
            try:
                data = json.loads(text)
            except ValueError:
                raise TokenError(Said("token_command: {name} printed a JSON object that cannot be read",
                                      name=name)) from None
            token = data.get("access_token") if isinstance(data, dict) else None
            if not isinstance(token, str) or not token:
                raise TokenError(Said("token_command: {name} printed JSON without an access_token", name=name))
            return AccessToken(token, _expiry(self.clock(), data.get("expires_in")))
        token = text.splitlines()[0].strip() if text else ""
        if not token:
            raise TokenError(Said("token_command: {name} printed no token", name=name))
        return AccessToken(token)


def client_secret(settings: OAuth2Settings) -> str:
    """The application's client secret: the variable named by ``client_secret_env``, else
    the root-only ``client_secret_file``. Raises :class:`TokenError` (fault ``secret``)."""
    if settings.client_secret_env:
        value = os.environ.get(settings.client_secret_env)
        if not value:
            raise TokenError(Said("the environment variable {name} (named by client_secret_env) is not set",
                                  name=settings.client_secret_env), fault="secret")
        return value
    if settings.client_secret_file:
        return read_secret_file(settings.client_secret_file, Said("the client secret file"))
    raise TokenError(Said("[oauth2] names no client secret (client_secret_env or client_secret_file)"), fault="secret")


class MicrosoftSource:
    """Microsoft Entra ID client credentials, through ``msal``'s confidential client, which
    keeps the token in its own cache and asks for a new one before it expires."""

    def __init__(self, settings: OAuth2Settings, clock: Clock = _utc_now):
        self.settings = settings
        self.clock = clock
        self._app = None

    def _application(self):
        import msal

        if self._app is None:
            s = self.settings
            custom = s.authority.rstrip("/") != MICROSOFT_AUTHORITY
            try:
                self._app = msal.ConfidentialClientApplication(
                    s.client_id, client_credential=client_secret(s),
                    authority=f"{s.authority.rstrip('/')}/{s.tenant_id}",
                    validate_authority=not custom, instance_discovery=None if not custom else False,
                    http_client=http_session(s),
                )
            except ValueError as error:
                raise TokenError(Said("Microsoft Entra ID: {error}", error=str(error)), fault="login") from None
            except Exception as error:  # requests' network errors during the discovery
                raise TokenError(Said("Microsoft Entra ID at {authority} cannot be reached: {error}",
                                      authority=s.authority, error=type(error).__name__)) from None
        return self._app

    def fetch(self) -> AccessToken:
        now = self.clock()
        app = self._application()
        try:
            answer = app.acquire_token_for_client(scopes=[self.settings.scope])
        except Exception as error:  # requests' network errors
            raise TokenError(Said("Microsoft Entra ID at {authority} cannot be reached: {error}",
                                  authority=self.settings.authority, error=type(error).__name__)) from None
        token = answer.get("access_token")
        if not token:
            code = answer.get("error", "?")
            said = (answer.get("error_description") or "").splitlines()
            fault = "login" if code in ("invalid_client", "unauthorized_client", "invalid_request",
                                        "invalid_scope") else None
            raise TokenError(Said("Microsoft Entra ID refused a token to application {client}: {code}{said}",
                                  client=self.settings.client_id, code=code,
                                  said=" (" + said[0] + ")" if said else ""), fault=fault)
        return AccessToken(token, _expiry(now, answer.get("expires_in")))


class GoogleSource:
    """A Google service account acting as ``user`` (domain-wide delegation), through
    ``google-auth``, which signs the JWT assertion (RFC 7523) with the account's key."""

    def __init__(self, settings: OAuth2Settings, user: str):
        self.settings = settings
        self.user = user
        self._credentials = None

    def fetch(self) -> AccessToken:
        import google.auth.exceptions
        import google.auth.transport.requests
        from google.oauth2 import service_account

        s = self.settings
        if self._credentials is None:
            text = read_secret_file(s.service_account_file, Said("the service account file"))
            try:
                info = json.loads(text)
                self._credentials = service_account.Credentials.from_service_account_info(
                    info, scopes=[s.scope], subject=self.user)
            except (ValueError, KeyError) as error:
                raise TokenError(Said("the service account file {path} is not a Google service account key (JSON): "
                                      "{error}", path=s.service_account_file, error=str(error)),
                                 fault="secret") from None
        session = http_session(s)
        try:
            self._credentials.refresh(google.auth.transport.requests.Request(session))
        except google.auth.exceptions.RefreshError as error:
            said = str(error.args[0]) if error.args else "refused"
            raise TokenError(Said("Google refused a token to the service account for {user}: {said}", user=self.user,
                                  said=said[:200]), fault="login") from None
        except google.auth.exceptions.TransportError as error:
            raise TokenError(Said("Google's token endpoint cannot be reached: {error}",
                                  error=type(error).__name__)) from None
        finally:
            session.close()
        expiry = self._credentials.expiry  # naive UTC in google-auth
        return AccessToken(self._credentials.token,
                           expiry.replace(tzinfo=timezone.utc) if expiry is not None else None)


def source_for(settings: OAuth2Settings, user: str) -> TokenSource:
    """The configured source of tokens for the mailbox ``user``."""
    if settings.provider == "microsoft365":
        return MicrosoftSource(settings)
    if settings.provider == "google":
        return GoogleSource(settings, user)
    return CommandSource(settings.token_command, settings.timeout_seconds)


class Tokens:
    """The access token of one mailbox, shared by its IMAP and SMTP logins: the last token
    is reused while more than :data:`REFRESH_MARGIN` is left, else a new one is fetched."""

    def __init__(self, source: TokenSource, clock: Clock = _utc_now):
        self.source = source
        self.clock = clock
        self._token: AccessToken | None = None

    def token(self) -> str:
        """A usable access token. Raises :class:`TokenError`."""
        kept = self._token
        if kept is not None and kept.expires_at is not None and kept.expires_at - self.clock() > REFRESH_MARGIN:
            return kept.value
        self._token = self.source.fetch()
        return self._token.value

    def forget(self) -> None:
        """Drop the kept token (the server refused it: the next login fetches another)."""
        self._token = None

    @property
    def expires_at(self) -> datetime | None:
        """When the kept token expires (None: none kept, or not said)."""
        return self._token.expires_at if self._token else None


def tokens_for(settings: Settings) -> Tokens | None:
    """A token keeper for the configured mailbox when its IMAP or SMTP login uses OAuth 2.0
    (``auth`` other than ``password``), else None. The token names the IMAP user (the
    SMTP user when only SMTP uses a token): one mailbox, one token."""
    mailbox, transport = settings.mailbox.server, settings.transport.server
    users = [s.username for s, kind in ((mailbox, settings.mailbox.kind == "imap"),
                                        (transport, settings.transport.kind == "smtp"))
             if kind and s.auth != "password" and s.username]
    if not users or settings.oauth2 is None:
        return None
    return Tokens(source_for(settings.oauth2, users[0]))
