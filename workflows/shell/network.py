"""What the IMAP mailbox and the SMTP transport share about connecting: TLS and failures.

Two small functions, both pure of any protocol:

- :func:`tls_context` builds the verifying client context (the system's trust, or only the
  configured ``ca_file``);
- :func:`describe` turns a connection-level exception (refused, unknown host, TLS,
  timeout) into one plain sentence for the operator, or returns None for anything else.
"""
from __future__ import annotations

import ipaddress
import socket
import ssl
from pathlib import Path


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
        raise ConnectProblem(f"ca_file {ca_file} does not exist") from None
    except (OSError, ssl.SSLError) as error:
        reason = getattr(error, "reason", None) or getattr(error, "strerror", None) or error
        raise ConnectProblem(f"ca_file {ca_file} cannot be used as a CA bundle: {reason}") from None


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (where ``security = "none"`` is sane)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def describe(error: BaseException, service: str, host: str, port: int, timeout: float) -> str | None:
    """One sentence for a connection-level failure, None when ``error`` is not one.

    ``service`` names the server for the reader (``"IMAP"``, ``"SMTP"``); ``timeout`` is
    the socket timeout in seconds, quoted when the server was too slow.
    """
    where = f"the {service} server {host}:{port}"
    # Order matters: the TLS, DNS and timeout errors are all OSError subclasses.
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"TLS with {where} failed: its certificate is not trusted ({error.verify_message}); "
            "set ca_file to the CA that signed it, or check the host name"
        )
    if isinstance(error, ssl.SSLError):
        reason = error.reason or str(error)
        hint = " (is this port one for TLS? check security and port)" if "VERSION" in reason.upper() else ""
        return f"TLS with {where} failed: {reason.lower().replace('_', ' ')}{hint}"
    if isinstance(error, socket.gaierror):
        return f"cannot find the {service} server {host!r}: {error.strerror or error}"
    if isinstance(error, ConnectionRefusedError):
        return f"{where} refused the connection (is it running, and is the port right?)"
    if isinstance(error, TimeoutError):
        return f"{where} did not answer within {timeout:g} s"
    if isinstance(error, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
        return f"{where} closed the connection"
    if isinstance(error, EOFError):
        return f"{where} closed the connection"
    if isinstance(error, OSError):
        return f"cannot reach {where}: {error.strerror or error}"
    return None
