"""The robot's mailbox on an IMAP server (RFC 3501), through ``imapclient``.

One connection per ``with`` block. Messages are read with ``BODY.PEEK[]`` (they stay
unseen for the humans who read the same mailbox) and are named by a key that survives
cycles: ``imap://{username}@{host}/{folder};UIDVALIDITY={v}/;UID={uid}`` (RFC 5092 style).
Handled messages leave the folder (moved to ``done_folder``, RFC 6851 MOVE when offered)
or, when ``done_folder`` is None, get the keyword ``done_keyword``. Folder names are
Unicode with ``/`` as hierarchy separator; imapclient encodes them in modified UTF-7
(RFC 3501 §5.1.3) and ``/`` is translated to the server's own separator.

Every failure the operator can fix (refused connection, unknown host, TLS, wrong
password, missing folder, unset password variable, no OAuth 2.0 token) is raised as one
plain :class:`~workflows.shell.mailboxes.base.MailboxError` sentence.

``[mailbox] auth = "xoauth2"`` or ``"oauthbearer"`` logs in with SASL AUTHENTICATE and an
access token from :class:`~workflows.shell.oauth2.Tokens` (imapclient's ``oauth2_login`` and
``oauthbearer_login``, RFC 7628) instead of LOGIN.
"""
from __future__ import annotations

import imaplib
import logging
import re
import time
from contextlib import contextmanager
from typing import Iterator, Sequence

from imapclient import IMAPClient
from imapclient.exceptions import CapabilityError, LoginError

from config.settings import MailboxSettings, SecretMissing
from workflows.model.said import Said, said_of
from workflows.shell.mailboxes.base import MailboxError, SourceMessage
from workflows.shell.network import NO_TOKEN, ConnectProblem, describe, is_loopback, tls_context
from workflows.shell.network import server as server_said
from workflows.shell.oauth2 import TokenError, Tokens

log = logging.getLogger(__name__)

_KEY_TAIL = re.compile(r";UIDVALIDITY=(\d+)/;UID=(\d+)$")
_UIDS_PER_COMMAND = 500
"""Keeps STORE/MOVE command lines far below servers' line limits (Dovecot: 64 KiB)."""
_IDLE_RENEW_SECONDS = 25 * 60
"""RFC 2177 §3: servers may drop an IDLE after 30 minutes, so re-issue it before."""
_DELETED = rb"\Deleted"
_SEEN = rb"\Seen"


def server_folder_name(name: str, delimiter: str | None) -> str:
    """``name`` written with ``/`` between levels, as the server spells it.

    ``delimiter`` is the server's hierarchy separator (``LIST "" ""``, RFC 3501 §6.3.8);
    None or ``/`` leaves the name alone.
    """
    if not delimiter or delimiter == "/":
        return name
    return name.replace("/", delimiter)


def parse_key(key: str) -> tuple[str, int, int] | None:
    """``(prefix, uidvalidity, uid)`` of a key made by :class:`ImapMailbox`, else None.

    ``prefix`` is ``imap://user@host/folder``.
    """
    match = _KEY_TAIL.search(key)
    if match is None:
        return None
    return key[: match.start()], int(match.group(1)), int(match.group(2))


def _chunks(items: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _server_text(error: BaseException) -> str:
    """The server's words inside an imaplib/imapclient error, without a bytes repr."""
    text = str(error)
    match = re.fullmatch(r"""b(['"])(.*)\1""", text, re.S)
    return match.group(2) if match else text


class ImapMailbox:
    """An IMAP folder as the robot's mailbox; use it in a ``with`` block.

    ``settings.server`` says where (``host``, ``port``; default 993 for ``ssl``, else
    143), how (``security``: ``ssl`` implicit TLS, ``starttls``, ``none``; ``ca_file``
    to trust a private CA instead of the system's) and who (``username``, the password
    read from the variable named by ``password_env`` when connecting, or an OAuth 2.0
    access token from ``tokens`` when ``auth`` is ``xoauth2`` or ``oauthbearer``).
    """

    def __init__(self, settings: MailboxSettings, tokens: Tokens | None = None):
        self.settings = settings
        self.tokens = tokens
        server = settings.server
        self.host = server.host
        self.port = server.port or (993 if server.security == "ssl" else 143)
        self._where = server_said("IMAP", self.host, self.port)
        self.prefix = f"imap://{server.username}@{server.host}/{settings.folder}"
        self._client: IMAPClient | None = None
        self._forget_session()

    def _forget_session(self) -> None:
        """What one connection learnt: another connection must learn it afresh."""
        self._uidvalidity: int | None = None
        self._uidnext: int | None = None
        self._seen_uidnext: int | None = None
        self._exists = 0
        self._delimiter: str | None = None
        self._known_folders: set[str] = set()

    # --- connection -------------------------------------------------------------------

    def __enter__(self) -> "ImapMailbox":
        """Connect and log in. Raises :class:`MailboxError` (one sentence) on failure."""
        self._forget_session()
        server = self.settings.server
        if not server.username:
            raise MailboxError(Said("[mailbox] username is not set: an IMAP mailbox needs one"))
        oauth = server.auth != "password"
        if oauth and self.tokens is None:
            raise MailboxError(Said("[mailbox] auth = {auth!r} needs an [oauth2] section", auth=server.auth), fault="secret")
        if not oauth and not server.password_env:
            raise MailboxError(Said("[mailbox] password_env is not set: name the variable that holds the password"))
        if server.security not in ("ssl", "starttls", "none"):
            raise MailboxError(Said("[mailbox] security must be ssl, starttls or none, not {security!r}",
                                    security=server.security))
        context = None
        if server.security != "none":
            try:
                context = tls_context(server.ca_file)
            except ConnectProblem as error:
                raise MailboxError(said_of(error)) from None
        elif not is_loopback(self.host):
            log.warning("security = none: the IMAP password to %s crosses the network in clear", self.host)
        with self._faults(Said("accept a connection")):
            self._client = IMAPClient(
                self.host,
                self.port,
                ssl=server.security == "ssl",
                ssl_context=context,
                timeout=server.timeout_seconds,
            )
        # imapclient turns imaplib's tracing on (debug 5, to the DEBUG logger): that trace
        # holds the LOGIN password and whole message bodies. Never trace on this connection.
        self._client._imap.debug = 0
        try:
            if server.security == "starttls":
                with self._faults(Said("start TLS")):
                    self._client.starttls(context)
            if oauth:
                self._token_login()
            else:
                # Read only now: a wrong host or port is then reported before a missing secret.
                try:
                    password = server.password()
                except SecretMissing as error:
                    raise MailboxError(Said("reached {where} but cannot log in: {reason}", where=self._where,
                                            reason=said_of(error)), fault="secret") from None
                with self._faults(Said("log in")):
                    self._client.login(server.username, password)
        except MailboxError:
            self._drop()
            raise
        return self

    def _token_login(self) -> None:
        """SASL AUTHENTICATE XOAUTH2 or OAUTHBEARER with a token fetched now (after TLS:
        a wrong host or port is reported before a token problem). A refused token is
        forgotten, so that the next login asks for a new one."""
        server = self.settings.server
        try:
            token = self.tokens.token()
        except TokenError as error:
            raise MailboxError(Said(NO_TOKEN, where=self._where, reason=said_of(error)), fault=error.fault) from None
        mechanism = server.auth.upper()
        capabilities = self._client.capabilities()
        if f"AUTH={mechanism}".encode() not in capabilities:
            offered = [c.decode()[5:] for c in capabilities if c.startswith(b"AUTH=")]
            raise MailboxError(Said("{where} does not offer {mechanism} (it offers: {offered}); check [mailbox] auth",
                                    where=self._where, mechanism=mechanism,
                                    offered=", ".join(offered) or Said("no SASL mechanism")), fault="login")
        try:
            with self._faults(Said("log in"), Said("token refused for {user!r}?", user=server.username)):
                if mechanism == "XOAUTH2":
                    self._client.oauth2_login(server.username, token)
                else:
                    self._client.oauthbearer_login(server.username, token)
        except MailboxError as error:
            if error.fault == "login":
                self.tokens.forget()
            raise

    def __exit__(self, *exc) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:  # the connection may already be gone: nothing left to save
            try:
                client.shutdown()
            except Exception:
                pass

    def _drop(self) -> None:
        """Forget a connection that cannot be used any more."""
        client, self._client = self._client, None
        if client is not None:
            try:
                client.shutdown()
            except Exception:
                pass

    def _require(self) -> IMAPClient:
        if self._client is None:
            raise MailboxError(Said("not connected to {where} (use the mailbox in a `with` block)", where=self._where))
        return self._client

    @contextmanager
    def _faults(self, doing: Said, hint: Said | None = None) -> Iterator[None]:
        """Turn what imapclient, imaplib, ssl and socket raise into one-line MailboxErrors
        (``doing``: what was tried, « log in »; ``hint``: what a refused login may mean,
        « wrong username or password? » unless given)."""
        where = self._where
        try:
            yield
        except MailboxError:
            raise
        except LoginError as error:
            raise MailboxError(Said("{where} refused the login of {user!r}: {hint} (it said: {said})", where=where,
                                    user=self.settings.server.username, hint=hint or Said("wrong username or password?"),
                                    said=_server_text(error)), fault="login") from error
        except CapabilityError as error:
            raise MailboxError(Said("{where} cannot {doing}: {said}", where=where, doing=doing,
                                    said=_server_text(error))) from error
        except imaplib.IMAP4.abort as error:
            self._drop()
            raise MailboxError(Said("lost the connection to {where} trying to {doing}: {said}", where=where, doing=doing,
                                    said=_server_text(error))) from error
        except imaplib.IMAP4.error as error:
            raise MailboxError(Said("{where} refused to {doing}: {said}", where=where, doing=doing,
                                    said=_server_text(error))) from error
        except (OSError, EOFError) as error:
            self._drop()
            sentence = describe(error, "IMAP", self.host, self.port, self.settings.server.timeout_seconds)
            raise MailboxError(sentence or Said("{where}: {error}", where=where, error=str(error))) from error

    # --- folders ----------------------------------------------------------------------

    def _server_name(self, folder: str) -> str:
        if self._delimiter is None:
            with self._faults(Said("list its folders")):
                listing = self._require().list_folders("", "")
            delimiter = listing[0][1] if listing else None
            self._delimiter = delimiter.decode() if isinstance(delimiter, bytes) else (delimiter or "/")
        return server_folder_name(folder, self._delimiter)

    def _ensure_folder(self, folder: str) -> str:
        """The server's name of ``folder``, created (and subscribed) if missing."""
        name = self._server_name(folder)
        if name in self._known_folders:
            return name
        client = self._require()
        with self._faults(Said("create the folder {folder!r}", folder=folder)):
            if not client.folder_exists(name):
                try:
                    client.create_folder(name)
                except imaplib.IMAP4.error:
                    if not client.folder_exists(name):  # else another client just made it
                        raise
                log.info("created the IMAP folder %r", folder)
                try:
                    # So that the humans' mail clients show it.
                    client.subscribe_folder(name)
                except imaplib.IMAP4.error:
                    pass
        self._known_folders.add(name)
        return name

    def _select(self) -> None:
        """SELECT the source folder (RFC 3501 §6.3.1); remember UIDVALIDITY and UIDNEXT."""
        folder = self.settings.folder
        name = self._server_name(folder)
        with self._faults(Said("open the folder {folder!r}", folder=folder)):
            try:
                info = self._require().select_folder(name)
            except imaplib.IMAP4.error as error:
                if "NONEXISTENT" in str(error) or "doesn't exist" in str(error).lower():
                    raise MailboxError(Said("the folder {folder!r} does not exist on {where}", folder=folder,
                                            where=self._where)) from error
                raise
        self._uidvalidity = int(info[b"UIDVALIDITY"])
        self._uidnext = int(info[b"UIDNEXT"]) if b"UIDNEXT" in info else None
        self._exists = int(info.get(b"EXISTS", 0))
        if self.settings.done_folder is None:
            permanent = {bytes(f) for f in info.get(b"PERMANENTFLAGS", ())}
            keyword = self.settings.done_keyword.encode()
            if b"\\*" not in permanent and keyword not in permanent:
                raise MailboxError(Said("the folder {folder!r} on {host} does not keep the keyword {keyword!r}: set "
                                        "[mailbox] done_folder instead", folder=folder, host=self.host,
                                        keyword=self.settings.done_keyword))

    # --- the Mailbox protocol ---------------------------------------------------------

    def key(self, uidvalidity: int, uid: int) -> str:
        return f"{self.prefix};UIDVALIDITY={uidvalidity}/;UID={uid}"

    def waiting(self) -> list[int]:
        """The UIDs of the not-done messages of ``folder`` (see :meth:`batches`),
        ascending, without reading them. Raises :class:`MailboxError`."""
        client = self._require()
        self._select()
        criteria: list[str] = ["NOT", "DELETED"]
        if self.settings.done_folder is None:
            criteria += ["UNKEYWORD", self.settings.done_keyword]
        with self._faults(Said("search the folder {folder!r}", folder=self.settings.folder)):
            return sorted(client.search(criteria))

    def batches(self, size: int) -> Iterator[list[SourceMessage]]:
        """Yield the not-done messages of ``folder`` by ascending UID, ``size`` per FETCH.

        Not done: every message not flagged ``\\Deleted`` when ``done_folder`` is set
        (done ones were moved out), else those without ``done_keyword`` (``UNKEYWORD``).
        Bytes come from ``UID FETCH … BODY.PEEK[]`` and keep their CRLF line ends;
        ``\\Seen`` is not set. A message expunged by another client meanwhile is skipped.
        Raises :class:`MailboxError`.
        """
        if size < 1:
            raise ValueError(f"batch size must be at least 1, not {size}")
        client = self._require()
        uids = self.waiting()
        self._seen_uidnext = self._uidnext
        uidvalidity = self._uidvalidity
        # An empty poll at INFO would be a journal line every poll_seconds for a year.
        log.log(logging.INFO if uids else logging.DEBUG, "%d message(s) to read in %s", len(uids), self.prefix)
        for chunk in _chunks(uids, size):
            with self._faults(Said("fetch messages")):
                data = client.fetch(chunk, [b"BODY.PEEK[]"])
            batch = [
                SourceMessage(self.key(uidvalidity, uid), bytes(data[uid][b"BODY[]"]))
                for uid in chunk
                if b"BODY[]" in data.get(uid, {})
            ]
            if batch:
                yield batch

    def mark_done(self, keys: list[str]) -> None:
        """Move the messages to ``done_folder`` (created if missing), or flag them with
        ``done_keyword`` when it is None. Keys of another folder or of an older
        UIDVALIDITY are left alone (logged). Raises :class:`MailboxError`.
        """
        uids = self._current_uids(keys, "mark done")
        if not uids:
            return
        if self.settings.done_folder is not None:
            self._move(uids, self.settings.done_folder)
            return
        client = self._require()
        with self._faults(Said("flag messages with {keyword!r}", keyword=self.settings.done_keyword)):
            for chunk in _chunks(uids, _UIDS_PER_COMMAND):
                client.add_flags(chunk, [self.settings.done_keyword], silent=True)

    def park(self, keys: list[str]) -> None:
        """Move the messages to ``error_folder`` (created if missing). Raises :class:`MailboxError`."""
        uids = self._current_uids(keys, "park")
        if uids:
            self._move(uids, self.settings.error_folder)

    def append(self, folder: str, raw: bytes, flags: Sequence[bytes | str] = (_SEEN,)) -> None:
        """Store ``raw`` (RFC 5322 bytes) in ``folder``, created if missing (RFC 3501 §6.3.11).

        Used to keep a copy of each sent mail in a Sent folder, flagged ``\\Seen``.
        Raises :class:`MailboxError`.
        """
        name = self._ensure_folder(folder)
        with self._faults(Said("store a message in {folder!r}", folder=folder)):
            self._require().append(name, raw, flags=tuple(flags))

    def remove_mail(self, folder: str, addresses: Sequence[str], *, text: bool = False, keyword: str | None = None,
                    move_to: str | None = None, message_ids: Sequence[str] = ()) -> list[str | None]:
        """Take out of ``folder`` the messages that are these people's (``addresses``, in
        the store's canonical form): one of them in From, Sender, Reply-To, To or Cc, or,
        with ``text``, written anywhere in the message (a Sent folder: a forward of their
        message to the animators); and the messages whose Message-ID is one of
        ``message_ids`` (``<…>``: copies of a mail the robot sent that holds what it no
        longer keeps, such as a linked network's member's contact). ``keyword``: only the
        messages flagged with it (the handled ones, when they stay in the source folder).
        The server's SEARCH finds the candidates (a substring search), then each one's
        bytes are checked (:func:`workflows.model.traces.mail_concerns`, the whole
        Message-ID), so that ``al@x.fr`` never takes ``val@x.fr``'s mail. Taken out: moved
        to ``move_to`` (created if missing), or flagged ``\\Deleted`` and expunged (UID
        EXPUNGE, RFC 4315; without UIDPLUS a plain EXPUNGE, which also removes what a
        human had already marked deleted there). A folder that does not exist holds
        nothing. Returns the Message-IDs of the messages taken out (None for one
        without). Raises :class:`MailboxError`."""
        from workflows.mail.rfc5322 import transport_address

        client = self._require()
        name = self._server_name(folder)
        with self._faults(Said("look into the folder {folder!r}", folder=folder)):
            if not client.folder_exists(name):
                return []
        forms = sorted({form for address in addresses for form in (address, transport_address(address))})
        try:
            return self._remove_from_selected(folder, name, forms, text, keyword, move_to, frozenset(message_ids))
        finally:
            # A cycle goes on reading the source folder (its next batch is fetched by UID
            # from the folder selected): select it again, as it was.
            self._select()

    def _remove_from_selected(self, folder: str, name: str, forms: list[str], text: bool, keyword: str | None,
                              move_to: str | None, ids: frozenset[str]) -> list[str | None]:
        from workflows.model.traces import PERSON_FIELDS, mail_concerns, message_id_of

        client = self._require()
        with self._faults(Said("search the folder {folder!r}", folder=folder)):
            client.select_folder(name)
            found: set[int] = set()
            criteria_of = [(form, [["HEADER", field.upper(), form] for field in PERSON_FIELDS]
                            + ([["TEXT", form]] if text else [])) for form in forms]
            criteria_of += [(mid, [["HEADER", "MESSAGE-ID", mid.strip("<>")]]) for mid in sorted(ids)]
            for form, criteria in criteria_of:
                for criterion in criteria:
                    search = ["NOT", "DELETED", *(["KEYWORD", keyword] if keyword else []), *criterion]
                    found.update(client.search(search, charset=None if form.isascii() else "UTF-8"))
        if not found:
            return []
        wanted = frozenset(forms)
        part = b"BODY[]" if text else b"BODY[HEADER]"
        mine: dict[int, str | None] = {}
        with self._faults(Said("read messages of {folder!r}", folder=folder)):
            for chunk in _chunks(sorted(found), _UIDS_PER_COMMAND):
                data = client.fetch(chunk, [b"BODY.PEEK[]" if text else b"BODY.PEEK[HEADER]"])
                for uid in chunk:
                    raw = bytes(data.get(uid, {}).get(part) or b"")
                    if raw and (message_id_of(raw) in ids or mail_concerns(raw, wanted, text=text)):
                        mine[uid] = message_id_of(raw)
        if not mine:
            return []
        uids = sorted(mine)
        if move_to is not None:
            self._move(uids, move_to)
            return [mine[uid] for uid in uids]
        with self._faults(Said("delete messages of {folder!r}", folder=folder)):
            for chunk in _chunks(uids, _UIDS_PER_COMMAND):
                client.add_flags(chunk, [_DELETED], silent=True)
                if client.has_capability("UIDPLUS"):
                    client.uid_expunge(chunk)
                else:
                    client.expunge()
        return [mine[uid] for uid in uids]

    def supports_idle(self) -> bool:
        """True when the connected server offers IDLE (RFC 2177). Raises :class:`MailboxError`."""
        client = self._require()
        with self._faults(Said("list its capabilities")):
            return bool(client.has_capability("IDLE"))

    @property
    def position(self) -> tuple[int | None, int | None]:
        """``(UIDVALIDITY, UIDNEXT)`` of ``folder`` when :meth:`batches` last read it (RFC
        3501 §2.3.1.1): what another connection's :meth:`idle_wait` compares with."""
        return self._uidvalidity, self._seen_uidnext

    def idle_wait(self, timeout_seconds: float, since: tuple[int | None, int | None] | None = None) -> bool:
        """Wait for new mail in ``folder`` with IMAP IDLE (RFC 2177), at most ``timeout_seconds``.

        Returns True as soon as the server reports new messages (``EXISTS``/``RECENT``),
        or at once when some arrived since the folder was last read — by this
        connection's :meth:`batches`, or by the cycle's connection whose :attr:`position`
        is ``since`` (mail that came during a cycle: IDLE would never announce it); False
        on timeout, and False at once when the server lacks IDLE (the caller polls
        instead). Raises :class:`MailboxError`.
        """
        client = self._require()
        if timeout_seconds <= 0 or not client.has_capability("IDLE"):
            return False
        seen_uidvalidity, seen_uidnext = since if since and since[1] is not None else self.position
        self._select()
        if seen_uidnext is not None and (
            self._uidvalidity != seen_uidvalidity or (self._uidnext or 0) > seen_uidnext
        ):
            return True  # arrived between the last search and now: IDLE would not say
        deadline = time.monotonic() + timeout_seconds
        with self._faults(Said("wait for new mail (IDLE)")):
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                client.idle()
                try:
                    responses = client.idle_check(timeout=min(left, _IDLE_RENEW_SECONDS))
                finally:
                    _text, more = client.idle_done()
                if any(_announces_mail(r, self._exists) for r in [*responses, *more]):
                    return True

    def _current_uids(self, keys: list[str], doing: str) -> list[int]:
        """The UIDs of ``keys`` that name a message of this folder under its current UIDVALIDITY."""
        if not keys:
            return []
        if self._uidvalidity is None:
            self._select()
        uids = set()
        for key in keys:
            parsed = parse_key(key)
            if parsed is None or parsed[0] != self.prefix:
                log.warning("cannot %s %s: not a message of %s", doing, key, self.prefix)
            elif parsed[1] != self._uidvalidity:
                # RFC 3501 §2.3.1.1: the UID may now name another message. The store's
                # Message-ID ledger recognises the message when it is fetched again.
                log.warning("cannot %s %s: the folder's UIDVALIDITY is now %d", doing, key, self._uidvalidity)
            else:
                uids.add(parsed[2])
        return sorted(uids)

    def _move(self, uids: list[int], folder: str) -> None:
        """MOVE (RFC 6851), else COPY + ``\\Deleted`` + UID EXPUNGE (RFC 4315 UIDPLUS).

        Without UIDPLUS the copies stay flagged ``\\Deleted`` in the source folder: a plain
        EXPUNGE would also remove what a human marked deleted, and :meth:`batches`
        skips ``\\Deleted`` messages anyway.
        """
        name = self._ensure_folder(folder)
        client = self._require()
        with self._faults(Said("move messages to {folder!r}", folder=folder)):
            for chunk in _chunks(uids, _UIDS_PER_COMMAND):
                if client.has_capability("MOVE"):
                    client.move(chunk, name)
                    continue
                client.copy(chunk, name)
                client.add_flags(chunk, [_DELETED], silent=True)
                if client.has_capability("UIDPLUS"):
                    client.uid_expunge(chunk)


def _announces_mail(response, exists: int) -> bool:
    """True for an untagged ``n EXISTS`` above ``exists`` (the count at SELECT) or a
    non-zero ``n RECENT`` (RFC 3501 §7.3.1–7.3.2); other untagged data is not new mail."""
    if not (isinstance(response, tuple) and len(response) >= 2 and isinstance(response[0], int)):
        return False
    count, what = response[0], response[1]
    return (what == b"EXISTS" and count > exists) or (what == b"RECENT" and count > 0)
