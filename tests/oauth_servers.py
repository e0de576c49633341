"""A small OAuth 2.0 authorization server on 127.0.0.1 for the OAuth2 login tests.

Plain classes with no pytest in them (``tests/unit/test_oauth2*.py`` and
``tests/integration/test_oauth2_logins.py`` use them). :class:`AuthorizationServer` runs
two HTTP servers in threads:

- ``base_url`` (HTTPS, a :class:`servers.Certificate`): what Microsoft Entra ID and Google
  answer to the robot's libraries — the OpenID discovery document
  (``/{tenant}/v2.0/.well-known/openid-configuration``) and token endpoint
  (``/{tenant}/oauth2/v2.0/token``, client credentials, RFC 6749 §4.4) that ``msal``
  reads, and the token endpoint ``/google/token`` of the JWT bearer grant (RFC 7523) that
  ``google-auth`` uses, each assertion's RS256 signature checked with the service
  account's public key;
- ``introspection_url`` (plain HTTP): token introspection (RFC 7662, ``POST token=…``)
  for Dovecot's ``oauth2`` passdb and for :class:`servers.SmtpSink`:
  ``{"active": true, "username": user}`` for a live token, ``{"active": false}`` else.

Tokens are random strings, each bound to one user and an expiry on the server's own
clock (:meth:`issue` makes one directly: what a ``token_command`` prints).
"""
from __future__ import annotations

import base64
import json
import secrets
import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from servers import LOOPBACK, Certificate


@dataclass
class _Client:
    secret: str
    user: str


def _b64url(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


class AuthorizationServer:
    """Issues, introspects and revokes bearer tokens; see the module's docstring.

    ``lifetime`` is the ``expires_in`` (seconds) of the tokens it issues. ``requests``
    counts the token requests answered with a token, per grant (``client_credentials``,
    ``jwt-bearer``).
    """

    def __init__(self, certificate: Certificate, lifetime: int = 3600):
        self.certificate = certificate
        self.lifetime = lifetime
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, float]] = {}
        self._clients: dict[str, _Client] = {}
        self._accounts: dict[str, object] = {}
        self.requests: dict[str, int] = {"client_credentials": 0, "jwt-bearer": 0}
        self._servers: list[ThreadingHTTPServer] = []
        self.base_url = ""
        self.introspection_url = ""

    # tokens

    def issue(self, user: str, lifetime: int | None = None) -> str:
        """A new token for ``user``, live for ``lifetime`` seconds (default ``self.lifetime``)."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = (user, time.time() + (self.lifetime if lifetime is None else lifetime))
        return token

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    def user_of(self, token: str) -> str | None:
        """The user a live token was issued for, else None."""
        with self._lock:
            user, expires = self._tokens.get(token, (None, 0.0))
        return user if user is not None and expires > time.time() else None

    # registrations

    def register_application(self, client_id: str, secret: str, user: str) -> None:
        """An Entra ID application allowed (app-only) on the mailbox ``user``."""
        with self._lock:
            self._clients[client_id] = _Client(secret, user)

    def register_service_account(self, directory: Path, client_email: str) -> Path:
        """A Google service account: its key file (JSON, mode 0600) written in ``directory``,
        its public key kept to check assertions. Returns the file."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        with self._lock:
            self._accounts[client_email] = key.public_key()
        path = Path(directory) / "service-account.json"
        path.write_text(json.dumps({
            "type": "service_account", "project_id": "rers-test", "private_key_id": "k1",
            "private_key": pem, "client_email": client_email, "client_id": "1",
            "token_uri": f"{self.base_url}/google/token",
        }))
        path.chmod(0o600)
        return path

    # lifecycle

    def start(self) -> "AuthorizationServer":
        tls = ThreadingHTTPServer((LOOPBACK, 0), self._handler())
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.certificate.cert, self.certificate.key)
        tls.socket = context.wrap_socket(tls.socket, server_side=True)
        plain = ThreadingHTTPServer((LOOPBACK, 0), self._handler())
        for server in (tls, plain):
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self._servers.append(server)
        self.base_url = f"https://{LOOPBACK}:{tls.server_address[1]}"
        self.introspection_url = f"http://{LOOPBACK}:{plain.server_address[1]}/introspect"
        return self

    def stop(self) -> None:
        while self._servers:
            server = self._servers.pop()
            server.shutdown()
            server.server_close()

    def __enter__(self) -> "AuthorizationServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # answers

    def _answer(self, method: str, path: str, form: dict[str, str]) -> tuple[int, dict]:
        parts = [p for p in urlparse(path).path.split("/") if p]
        if method == "POST" and parts == ["introspect"]:
            user = self.user_of(form.get("token", ""))
            return 200, ({"active": True, "username": user} if user else {"active": False})
        if method == "GET" and len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            tenant = parts[0]
            return 200, {
                "issuer": f"{self.base_url}/{tenant}/v2.0",
                "authorization_endpoint": f"{self.base_url}/{tenant}/oauth2/v2.0/authorize",
                "token_endpoint": f"{self.base_url}/{tenant}/oauth2/v2.0/token",
            }
        if method == "POST" and len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
            return self._client_credentials(form)
        if method == "POST" and parts == ["google", "token"]:
            return self._jwt_bearer(form)
        return 404, {"error": "not_found"}

    def _client_credentials(self, form: dict[str, str]) -> tuple[int, dict]:
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            client = self._clients.get(form.get("client_id", ""))
        if client is None or client.secret != form.get("client_secret"):
            return 401, {"error": "invalid_client",
                         "error_description": "AADSTS7000215: Invalid client secret provided."}
        if "https://outlook.office365.com/.default" not in form.get("scope", "").split():
            return 400, {"error": "invalid_scope", "error_description": "AADSTS70011: invalid scope"}
        with self._lock:
            self.requests["client_credentials"] += 1
        return 200, {"token_type": "Bearer", "expires_in": self.lifetime, "ext_expires_in": self.lifetime,
                     "access_token": self.issue(client.user)}

    def _jwt_bearer(self, form: dict[str, str]) -> tuple[int, dict]:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return 400, {"error": "unsupported_grant_type"}
        try:
            head, body, signature = form.get("assertion", "").split(".")
            claims = json.loads(_b64url(body))
            with self._lock:
                public = self._accounts[claims["iss"]]
            public.verify(_b64url(signature), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except (ValueError, KeyError, InvalidSignature):
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        if claims.get("scope") != "https://mail.google.com/" or not claims.get("sub"):
            return 400, {"error": "unauthorized_client",
                         "error_description": "Client is unauthorized to retrieve access tokens using this method"}
        with self._lock:
            self.requests["jwt-bearer"] += 1
        return 200, {"token_type": "Bearer", "expires_in": self.lifetime,
                     "access_token": self.issue(claims["sub"].split("@")[0])}

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _reply(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                form = {k: v[0] for k, v in parse_qs(raw).items()}
                status, body = server._answer(method, self.path, form)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._reply("GET")

            def do_POST(self):
                self._reply("POST")

        return Handler
