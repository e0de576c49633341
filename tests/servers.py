"""Real mail servers for the integration tests: Dovecot (IMAP) and aiosmtpd (SMTP).

Plain classes with no pytest in them, so that a benchmark or a shell session can start the
same servers (``tests/conftest.py`` wraps them in fixtures). Both listen on 127.0.0.1 only,
on free ports found by binding port 0, and can offer TLS with a self-signed certificate
made by :func:`make_certificate` (trusted by pointing ``ca_file`` at its ``cert`` file).

The facts and pitfalls behind the choices made here are written down in
``/work/shared/design/test-servers.md``.
"""
from __future__ import annotations

import asyncio
import os
import pwd
import grp
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

INSTALL_DOVECOT = "apt-get install -y dovecot-imapd"
LOOPBACK = "127.0.0.1"


class ServerMissing(RuntimeError):
    """A program the test servers need is not installed; the message says how to install it."""


# --- ports and certificates -------------------------------------------------------------


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that was free a moment ago (bind port 0, read it, close).

    Another process may take it before the caller binds it: callers retry on a clash.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def port_answers(host: str, port: int) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for ``localhost`` and ``127.0.0.1`` (PEM files).

    ``cert`` doubles as the CA file a client trusts (``ca_file``).
    """

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        """A TLS server context presenting this certificate."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A verifying TLS client context that trusts this certificate only."""
        return ssl.create_default_context(cafile=str(self.cert))


def make_certificate(directory: Path | str, days: int = 7) -> Certificate:
    """Write ``cert.pem`` and ``key.pem`` (RSA 2048, no passphrase) into ``directory``.

    Raises :class:`ServerMissing` when ``openssl`` is not installed.
    """
    if shutil.which("openssl") is None:
        raise ServerMissing("openssl is not installed: apt-get install -y openssl")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", str(days),
            "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    # Dovecot reads the files as root, but its unprivileged processes must reach the folder.
    cert.chmod(0o644)
    key.chmod(0o644)
    return Certificate(cert=cert, key=key)


# --- Dovecot ----------------------------------------------------------------------------

_DOVECOT_CONF = """\
# Written by tests/servers.py: a loopback-only Dovecot for the integration tests.
instance_name = {instance}
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login{oauth2_mechanisms}
auth_failure_delay = 0
auth_verbose = yes
mail_location = maildir:{dir}/mail/%u
mail_fsync = never
{identity}
{oauth2_passdb}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/users/%u
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {dir}/users/%u
  default_fields = home={dir}/mail/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
service imap-login {{
  {login_chroot}
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
    ssl = yes
  }}
}}
service anvil {{
  {anvil_chroot}
  # No auth penalty: tests log in wrongly on purpose, and Dovecot would then delay every
  # login from 127.0.0.1 by up to 15 s.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


class Dovecot:
    """A Dovecot IMAP server of its own, in a fresh folder, on 127.0.0.1.

    ``port`` speaks plain IMAP (and offers STARTTLS when a ``certificate`` is given);
    ``ssl_port`` speaks implicit TLS (None without a certificate). ``users`` maps each user
    to its password; more can be added while it runs (:meth:`add_user`). Mail is stored as
    Maildir under ``directory / "mail" / user``.

    Starting takes about 0.1 s, stopping 2–3 s: start one per test session. Raises
    :class:`ServerMissing` (with the install command) when Dovecot is not installed.
    """

    DEFAULT_USERS = {"rers": "rers-secret", "member": "member-secret", "animator": "animator-secret"}

    def __init__(self, users: dict[str, str] | None = None, certificate: Certificate | None = None,
                 introspection_url: str | None = None, extra_config: str = ""):
        """``introspection_url``: also offer SASL XOAUTH2 and OAUTHBEARER, checked by Dovecot's
        ``oauth2`` passdb against this RFC 7662 endpoint (``POST token=…``, answering
        ``{"active": true, "username": user}``); the users' passwords work as before.
        ``extra_config``: lines added at the end of the configuration (the many-networks
        benchmark raises ``default_process_limit``: one IMAP process per connection, 100 by default)."""
        self.users = dict(self.DEFAULT_USERS if users is None else users)
        self.certificate = certificate
        self.introspection_url = introspection_url
        self.extra_config = extra_config
        self.host = LOOPBACK
        self.port: int = 0
        self.ssl_port: int | None = None
        self.directory: Path | None = None
        self._process: subprocess.Popen | None = None

    # lifecycle

    def start(self) -> "Dovecot":
        """Write the configuration, start ``dovecot -F`` and wait until the port answers."""
        binary = shutil.which("dovecot") or next(
            (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.path.exists(p)), None
        )
        if binary is None:
            raise ServerMissing(
                "Dovecot is not installed; the IMAP integration tests need it: " + INSTALL_DOVECOT
            )
        if self.directory is None:
            # Not pytest's tmp_path: as root it sits under a 0700 folder that Dovecot's
            # unprivileged processes cannot cross.
            self.directory = Path(tempfile.mkdtemp(prefix="rers-dovecot-"))
            self.directory.chmod(0o755)
            (self.directory / "mail").mkdir()
            if os.geteuid() == 0:
                shutil.chown(self.directory / "mail", "nobody", "nogroup")
            self._write_users()
        last_error = ""
        for _attempt in range(5):
            if not self.port:
                self.port = free_port()
                self.ssl_port = free_port() if self.certificate else None
            self._write_config()
            # stderr goes to a file, not a pipe: Dovecot's children inherit it and would
            # keep a pipe open (and a reader waiting) after the master has gone.
            with open(self.directory / "stderr.log", "wb") as stderr:
                self._process = subprocess.Popen(
                    [binary, "-F", "-c", str(self.config_path)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    start_new_session=True,  # its own process group: stop() can end them all
                )
            if self._wait_ready(timeout=10.0):
                return self
            last_error = self._reap()
            self.port = 0  # a clash with another process: try other ports
        raise RuntimeError(f"Dovecot did not start: {last_error.strip() or self.log()[-2000:]}")

    def stop(self) -> None:
        """SIGTERM the master, wait for it (2–3 s) and remove the folder."""
        self._reap()
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def restart(self) -> None:
        """Stop and start again on the same ports and mail (connections are cut)."""
        self._reap()
        self.start()

    def __enter__(self) -> "Dovecot":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def config_path(self) -> Path:
        assert self.directory is not None, "Dovecot was not started"
        return self.directory / "dovecot.conf"

    def log(self) -> str:
        """Dovecot's own log so far (for a failing test's message)."""
        if self.directory is None:
            return ""
        try:
            return (self.directory / "dovecot.log").read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            if port_answers(self.host, self.port) and (
                self.ssl_port is None or port_answers(self.host, self.ssl_port)
            ):
                return True
            time.sleep(0.05)
        return False

    def _reap(self) -> str:
        """End the master and its process group; return what it wrote on stderr."""
        process, self._process = self._process, None
        if process is None:
            return ""
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        try:  # whatever the master left behind
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        process.wait()
        try:
            return (self.directory / "stderr.log").read_text(errors="replace")
        except (OSError, TypeError):
            return ""

    def _write_config(self) -> None:
        if os.geteuid() == 0:
            # Dovecot refuses to run mail processes as root.
            identity = "mail_uid = nobody\nmail_gid = nogroup\nfirst_valid_uid = 1\nfirst_valid_gid = 1"
            login_chroot = anvil_chroot = ""
        else:
            me = pwd.getpwuid(os.geteuid()).pw_name
            group = grp.getgrgid(os.getegid()).gr_name
            identity = (
                f"default_internal_user = {me}\ndefault_internal_group = {group}\n"
                f"default_login_user = {me}\nfirst_valid_uid = 1\nfirst_valid_gid = 1"
            )
            login_chroot = anvil_chroot = "chroot ="
        if self.certificate:
            ssl_lines = f"ssl = yes\nssl_cert = <{self.certificate.cert}\nssl_key = <{self.certificate.key}"
        else:
            ssl_lines = "ssl = no"
        oauth2_mechanisms = oauth2_passdb = ""
        if self.introspection_url:
            oauth2_mechanisms = " xoauth2 oauthbearer"
            oauth2_file = self.directory / "dovecot-oauth2.conf.ext"
            oauth2_file.write_text(
                f"introspection_mode = post\nintrospection_url = {self.introspection_url}\n"
                "force_introspection = yes\nusername_attribute = username\n"
                "active_attribute = active\nactive_value = true\n"
            )
            oauth2_file.chmod(0o644)
            oauth2_passdb = (f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n"
                             f"  args = {oauth2_file}\n}}\n")
        self.config_path.write_text(
            _DOVECOT_CONF.format(
                instance=f"rers-test-{self.port}",
                dir=self.directory,
                ssl=ssl_lines,
                identity=identity,
                login_chroot=login_chroot,
                anvil_chroot=anvil_chroot,
                port=self.port,
                ssl_port=self.ssl_port or 0,
                oauth2_mechanisms=oauth2_mechanisms,
                oauth2_passdb=oauth2_passdb,
            ) + self.extra_config
        )

    # users

    def add_user(self, name: str, password: str) -> None:
        """Add (or change) a user; it can log in at once."""
        self.users[name] = password
        self._write_user(name)

    def _write_users(self) -> None:
        assert self.directory is not None
        folder = self.directory / "users"
        folder.mkdir(exist_ok=True)
        folder.chmod(0o755)
        for name in self.users:
            self._write_user(name)

    def _write_user(self, name: str) -> None:
        """One passwd-file per user: Dovecot rereads a known file at most once a second, but
        opens a new user's own file at the first login, so a user added now works now."""
        password = self.users[name]
        if "/" in name or ":" in name or ":" in password or "\n" in password:
            raise ValueError(f"unusable test user or password: {name!r}")
        folder = self.directory / "users"
        staged = folder / f".{name}.new"
        staged.write_text(f"{name}:{{PLAIN}}{password}::::::\n")
        staged.chmod(0o644)
        os.replace(staged, folder / name)  # Dovecot never reads a half-written file

    # mailbox helpers (each opens its own connection as ``user``)

    def client(self, user: str):
        """A logged-in ``imapclient.IMAPClient`` over plain IMAP (use it in a ``with``)."""
        from imapclient import IMAPClient

        client = IMAPClient(self.host, self.port, ssl=False, timeout=10)
        client.login(user, self.users[user])
        return client

    def append(self, user: str, folder: str, raw: bytes, flags: Iterable[str] = ()) -> int:
        """Store ``raw`` in ``folder`` (created if missing); return its UID."""
        with self.client(user) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            answer = client.append(folder, raw, flags=tuple(flags))
        # RFC 4315 APPENDUID: b"[APPENDUID <uidvalidity> <uid>] Append completed."
        return int(answer.split(b"]")[0].split()[-1])

    def uids(self, user: str, folder: str) -> list[int]:
        """The UIDs in ``folder``, ascending ([] when the folder does not exist)."""
        with self.client(user) as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            return sorted(client.search("ALL"))

    def flags(self, user: str, folder: str) -> dict[int, tuple[bytes, ...]]:
        """``{uid: flags}`` for every message in ``folder`` (read-only, changes nothing)."""
        with self.client(user) as client:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            if not uids:
                return {}
            return {uid: tuple(d[b"FLAGS"]) for uid, d in client.fetch(uids, ["FLAGS"]).items()}

    def fetch_all(self, user: str, folder: str) -> list[bytes]:
        """Every message in ``folder`` by ascending UID, without setting ``\\Seen``."""
        with self.client(user) as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = sorted(client.search("ALL"))
            if not uids:
                return []
            data = client.fetch(uids, ["BODY.PEEK[]"])
            return [data[uid][b"BODY[]"] for uid in uids]

    def folders(self, user: str) -> list[str]:
        """The user's folder names (Unicode, ``/`` hierarchy), sorted."""
        with self.client(user) as client:
            return sorted(name for _flags, _sep, name in client.list_folders())

    def uidvalidity(self, user: str, folder: str) -> int:
        with self.client(user) as client:
            return client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"]

    def wipe(self, user: str, folder: str) -> None:
        """Empty ``folder`` and give it a new UIDVALIDITY, so UIDs start again at 1.

        What a restore from backup or a recreated mailbox looks like to a client
        (RFC 3501 §2.3.1.1). INBOX cannot be deleted: its messages are expunged and
        Dovecot's UID list and indexes removed, which makes Dovecot start it afresh.
        """
        with self.client(user) as client:
            if folder.upper() != "INBOX":
                if client.folder_exists(folder):
                    client.delete_folder(folder)
                client.create_folder(folder)
                return
            client.select_folder(folder)
            uids = client.search("ALL")
            if uids:
                client.delete_messages(uids)
                client.expunge()
        home = self.directory / "mail" / user
        for path in home.iterdir():
            if path.name == "dovecot-uidlist" or path.name.startswith(("dovecot.index", "dovecot.list.index")):
                path.unlink()


# --- SMTP sink --------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """One message accepted by :class:`SmtpSink`."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    login: str | None = None
    """The AUTH user, None when the client did not authenticate."""
    tls: bool = False
    peer: tuple = ()
    """The client's (address, port): equal peers mean one connection."""
    mail_options: tuple[str, ...] = ()
    """ESMTP parameters of MAIL FROM (``BODY=8BITMIME``, ``SMTPUTF8``)."""


@dataclass
class _Behaviour:
    refusals: dict[str, str] = field(default_factory=dict)
    data_actions: list[str] = field(default_factory=list)
    stall_seconds: float = 3.0
    per_minute: int | None = None
    clock: object = None
    accepted_at: list = field(default_factory=list)
    throttled: int = 0


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 that records what it accepts and fails on demand.

    ``port`` speaks plain SMTP, offering STARTTLS when a ``certificate`` is given;
    ``ssl_port`` speaks implicit TLS (None without a certificate); both offer SMTPUTF8
    (RFC 6531: aiosmtpd's Controller sets ``enable_SMTPUTF8``), and ``ascii_port``, plain
    SMTP, does not (a server that cannot carry a UTF-8 address). With ``users``
    (``{login: password}``), AUTH PLAIN/LOGIN is offered once the session is encrypted
    but not required. Every accepted message is kept in :attr:`received` (thread-safe),
    and in :attr:`archive`, which :meth:`clear` leaves alone.

    Failures on demand: :meth:`refuse` a recipient with a reply (``"550 5.1.1 no such
    user"``), and :meth:`fail_data` the next DATA commands, one action each: a reply such
    as ``"421 4.3.2 closing"``, :attr:`DROP` (cut the connection) or :attr:`STALL` (say
    nothing for ``stall_seconds``, then cut it: the client times out).
    """

    DROP = "drop"
    STALL = "stall"

    def __init__(self, certificate: Certificate | None = None, users: dict[str, str] | None = None,
                 introspect=None):
        """``introspect``: a callable ``token -> user or None`` (an authorization server's);
        with it, AUTH XOAUTH2 and OAUTHBEARER (RFC 7628) are offered too, a refused token
        answered with the mechanism's JSON error challenge, then ``535 5.7.8``."""
        self.certificate = certificate
        self.users = dict(users or {})
        self.introspect = introspect
        self.host = LOOPBACK
        self.port: int = 0
        self.ssl_port: int | None = None
        self.ascii_port: int = 0
        self._lock = threading.Condition()
        self._received: list[Received] = []
        self._archive: list[Received] = []
        self._behaviour = _Behaviour()
        self._controllers: list = []

    def start(self) -> "SmtpSink":
        from aiosmtpd.controller import Controller

        common = dict(
            hostname=self.host,
            authenticator=self._authenticate if (self.users or self.introspect) else None,
            ready_timeout=5.0,
        )
        tls = self.certificate.server_context() if self.certificate else None
        self.port = self._start_one(Controller, common, tls_context=tls, auth_require_tls=True)
        if tls is not None:
            # aiosmtpd only counts STARTTLS as encryption: on implicit TLS, allow AUTH as is.
            self.ssl_port = self._start_one(Controller, common, ssl_context=tls, auth_require_tls=False)
        self.ascii_port = self._start_one(Controller, common, enable_SMTPUTF8=False)
        return self

    def _start_one(self, controller_class, common: dict, **tls) -> int:
        last: Exception | None = None
        for _attempt in range(5):
            # aiosmtpd's port=0 does not work: its readiness check connects to port 0.
            port = free_port()
            handler = _OAuthHandler(self) if self.introspect else _Handler(self)
            controller = controller_class(handler, port=port, **common, **tls)
            try:
                controller.start()
            except Exception as error:  # a clash on the port: try another
                last = error
                continue
            self._controllers.append(controller)
            return port
        raise RuntimeError(f"the SMTP sink did not start: {last}")

    def stop(self) -> None:
        while self._controllers:
            self._controllers.pop().stop()

    def __enter__(self) -> "SmtpSink":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # behaviour

    def refuse(self, address: str, reply: str) -> None:
        """Answer RCPT TO ``address`` with ``reply`` (``"451 4.3.0 try later"``) until :meth:`clear`."""
        with self._lock:
            self._behaviour.refusals[address.lower()] = reply

    def fail_data(self, *actions: str, stall_seconds: float | None = None) -> None:
        """Queue one action per coming DATA: an SMTP reply, :attr:`DROP` or :attr:`STALL`."""
        with self._lock:
            self._behaviour.data_actions.extend(actions)
            if stall_seconds is not None:
                self._behaviour.stall_seconds = stall_seconds

    THROTTLE_REPLY = "451 4.7.0 Too many messages, slow down"

    def limit(self, per_minute: int, clock) -> None:
        """Accept at most ``per_minute`` messages in any 60 seconds of ``clock`` (a callable
        returning aware datetimes: the test's clock, so that no test waits minutes), as a
        hosted provider does; beyond, answer DATA with :attr:`THROTTLE_REPLY`. Until :meth:`clear`."""
        with self._lock:
            self._behaviour.per_minute = per_minute
            self._behaviour.clock = clock

    @property
    def throttled(self) -> int:
        """How many DATA commands the limit of :meth:`limit` refused."""
        with self._lock:
            return self._behaviour.throttled

    def _over_limit(self) -> bool:
        from datetime import timedelta

        with self._lock:
            b = self._behaviour
            if b.per_minute is None:
                return False
            now = b.clock()
            b.accepted_at = [t for t in b.accepted_at if t > now - timedelta(minutes=1)]
            if len(b.accepted_at) >= b.per_minute:
                b.throttled += 1
                return True
            b.accepted_at.append(now)
            return False

    def clear(self) -> None:
        """Forget the received messages and every programmed failure."""
        with self._lock:
            self._received.clear()
            self._behaviour = _Behaviour()

    # what was received

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    @property
    def archive(self) -> list[Received]:
        """Every message accepted since the sink started, whatever :meth:`clear` forgot
        (for checks over a whole session: the privacy invariant)."""
        with self._lock:
            return list(self._archive)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Wait until at least ``count`` messages were accepted; raise TimeoutError if not."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._received) >= count, timeout):
                raise TimeoutError(f"the SMTP sink got {len(self._received)} message(s), not {count}")
            return list(self._received)

    # called from the server thread

    def _record(self, received: Received) -> None:
        with self._lock:
            self._received.append(received)
            self._archive.append(received)
            self._lock.notify_all()

    def _refusal(self, address: str) -> str | None:
        with self._lock:
            return self._behaviour.refusals.get(address.lower())

    def _next_data_action(self) -> tuple[str | None, float]:
        with self._lock:
            actions = self._behaviour.data_actions
            return (actions.pop(0) if actions else None), self._behaviour.stall_seconds

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode(errors="replace")
            if self.users.get(login) == auth_data.password.decode(errors="replace"):
                return AuthResult(success=True, auth_data=login)
        return AuthResult(success=False, handled=False)


class _Handler:
    """aiosmtpd handler hooks; all state lives in the :class:`SmtpSink`."""

    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refusal = self.sink._refusal(address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        action, stall_seconds = self.sink._next_data_action()
        if action == SmtpSink.STALL:
            await asyncio.sleep(stall_seconds)
            action = SmtpSink.DROP
        if action == SmtpSink.DROP:
            server.transport.close()
            return "421 4.4.2 connection dropped by the test"  # never reaches the client
        if action:
            return action
        if self.sink._over_limit():
            return SmtpSink.THROTTLE_REPLY
        login = session.auth_data if session.authenticated else None
        self.sink._record(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=tuple(envelope.rcpt_tos),
                data=envelope.original_content or envelope.content,
                login=login,
                tls=server.transport.get_extra_info("ssl_object") is not None,
                peer=tuple(session.peer or ()),
                mail_options=tuple(envelope.mail_options),
            )
        )
        return "250 2.0.0 OK queued"


class _OAuthHandler(_Handler):
    """The hooks of :class:`_Handler` plus AUTH XOAUTH2 and OAUTHBEARER (aiosmtpd calls a
    handler's ``auth_<MECHANISM>`` methods), each token checked by the sink's ``introspect``."""

    async def auth_XOAUTH2(self, server, args):
        return await self._bearer(server, args, "XOAUTH2")

    async def auth_OAUTHBEARER(self, server, args):
        return await self._bearer(server, args, "OAUTHBEARER")

    async def _bearer(self, server, args, mechanism: str):
        import base64
        import json

        from aiosmtpd.smtp import MISSING, AuthResult

        if len(args) > 1:
            blob = base64.b64decode(args[1])
        else:
            blob = await server.challenge_auth("")
            if blob is MISSING:
                return AuthResult(success=False, handled=True)
        fields = blob.decode(errors="replace").split("\x01")
        user = token = None
        for item in fields:
            if item.startswith("user="):  # XOAUTH2
                user = item[5:]
            elif item.startswith("n,a="):  # OAUTHBEARER's GS2 header
                user = item[4:].rstrip(",").replace("=2C", ",").replace("=3D", "=")
            elif item.startswith("auth=Bearer "):
                token = item[len("auth=Bearer "):]
        owner = self.sink.introspect(token) if token else None
        if user and owner == user:
            return AuthResult(success=True, auth_data=user)
        error = {"status": "invalid_token", "schemes": "bearer", "scope": "https://mail.google.com/"}
        answer = await server.challenge_auth(json.dumps(error))
        if answer is MISSING:
            return AuthResult(success=False, handled=True)
        return AuthResult(success=False, handled=False, message="535 5.7.8 Username and token not accepted")
