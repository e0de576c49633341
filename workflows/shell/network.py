"""What the IMAP mailbox and the SMTP transport share about connecting: TLS and failures.

Two small functions, both pure of any protocol:

- :func:`tls_context` builds the verifying client context (the system's trust, or only the
  configured ``ca_file``);
- :func:`describe` turns a connection-level exception (refused, unknown host, TLS,
  timeout) into one plain sentence for the operator, or returns None for anything else.

Their sentences are :class:`workflows.model.said.Said`: English in the logs, said in the
network's language by the command that shows them.
"""
from __future__ import annotations

import ipaddress
import socket
import ssl
from pathlib import Path

from workflows.model.said import Said
from workflows.shell.language import catalogued
from workflows.shell.errors import system_reason

NO_TOKEN = catalogued("reached {where} but has no token to log in: {reason}")
"""A login the OAuth 2.0 token's source kept from being tried (``where``: :func:`server`;
``reason``: the source's failure); `rers doctor` says it once, beside its token check."""


def server(service: str, host: str, port: int) -> Said:
    """« the IMAP server imap.example.org:993 » (``service``: ``"IMAP"``, ``"SMTP"``)."""
    return Said("the {service} server {host}:{port}", service=service, host=host, port=port)


class ConnectProblem(Exception):
    """A connection cannot even be attempted (``ca_file`` unreadable). One plain sentence."""


def tls_context(ca_file: Path | str | None) -> ssl.SSLContext:
    """A client TLS context that verifies the server's certificate and host name.

    ``ca_file`` (PEM): trust only the certificates in it (a self-signed or private-CA
    server); None: the system's trust store. Raises :class:`ConnectProblem` when
    ``ca_file`` cannot be read or holds no certificate.
    """
    try:
        if ca_file is None:
            return ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca_file))
    except FileNotFoundError:
        raise ConnectProblem(Said("ca_file {path} does not exist", path=ca_file)) from None
    except (OSError, ssl.SSLError) as error:
        reason = getattr(error, "reason", None) or getattr(error, "strerror", None) or error
        raise ConnectProblem(Said("ca_file {path} cannot be used as a CA bundle: {reason}", path=ca_file,
                                  reason=str(reason))) from None


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (where ``security = "none"`` is sane)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def describe(error: BaseException, service: str, host: str, port: int, timeout: float) -> Said | None:
    """One sentence for a connection-level failure, None when ``error`` is not one.

    ``service`` names the server for the reader (``"IMAP"``, ``"SMTP"``); ``timeout`` is
    the socket timeout in seconds, quoted when the server was too slow.
    """
    where = server(service, host, port)
    # Order matters: the TLS, DNS and timeout errors are all OSError subclasses.
    if isinstance(error, ssl.SSLCertVerificationError):
        return Said("TLS with {where} failed: its certificate is not trusted ({reason}); set ca_file to the CA that "
                    "signed it, or check the host name", where=where, reason=str(error.verify_message))
    if isinstance(error, ssl.SSLError):
        reason = error.reason or str(error)
        hint = (Said(" (is this port one for TLS? check security and port)") if "VERSION" in reason.upper() else "")
        return Said("TLS with {where} failed: {reason}{hint}", where=where, reason=reason.lower().replace("_", " "),
                    hint=hint)
    if isinstance(error, socket.gaierror):
        return Said("cannot find the {service} server {host!r}: {reason}", service=service, host=host,
                    reason=system_reason(error))
    if isinstance(error, ConnectionRefusedError):
        return Said("{where} refused the connection (is it running, and is the port right?)", where=where)
    if isinstance(error, TimeoutError):
        return Said("{where} did not answer within {seconds:g} s", where=where, seconds=timeout)
    if isinstance(error, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, EOFError)):
        return Said("{where} closed the connection", where=where)
    if isinstance(error, OSError):
        return Said("cannot reach {where}: {reason}", where=where, reason=system_reason(error))
    return None
