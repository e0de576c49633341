"""Sending mail over SMTP (RFC 5321) with :mod:`smtplib`: one connection per ``with`` block.

``security``: ``ssl`` (implicit TLS, RFC 8314, port 465 by default), ``starttls``
(RFC 3207, port 587) or ``none`` (port 25; loopback and tests). AUTH (RFC 4954) when a
``username`` is set, with the password read from the variable named by ``password_env``
when connecting — or, with ``auth = "xoauth2"|"oauthbearer"``, SASL XOAUTH2 or OAUTHBEARER
(RFC 7628) with an access token from :class:`~workflows.shell.oauth2.Tokens`.

What the server says becomes a :class:`SendResult` or a :class:`TransportError`:

- a refusal with a reply code: 4xx temporary, 5xx permanent (RFC 5321 §4.2.1), with
  ``code`` set; when every recipient is refused, temporary only if every code is 4xx;
- a reply that asks to slow down (« too many », 4.7.x) is also ``throttled``: the outbox
  then pauses all sending;
- a failure of the connection itself (refused, unknown host, TLS, timeout, login
  refused, connection lost mid-session): temporary with ``code = None``, which tells the
  outbox to stop this flush. A lost connection is opened again by the next :meth:`send`.
"""
from __future__ import annotations

import logging
import re
import smtplib

from config.settings import SecretMissing, TransportSettings
from workflows.mail.pacing import is_throttling
from workflows.mail.rfc5322 import needs_smtputf8, transport_address
from workflows.mail.sasl import abort_response, initial_response
from workflows.model.said import Said, said_of
from workflows.shell.network import NO_TOKEN, ConnectProblem, describe, is_loopback, server, tls_context
from workflows.shell.oauth2 import TokenError, Tokens
from workflows.shell.transports.base import SendResult, TransportError

log = logging.getLogger(__name__)

_DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}
_LINE_END = re.compile(rb"\r\n|\r|\n")


def to_crlf(message: bytes) -> bytes:
    """``message`` with every line ending as CRLF (RFC 5321 §2.3.8: no bare CR or LF).

    smtplib normalises ``str`` messages but sends ``bytes`` as they are. A message whose
    every line ends in CRLF already (the robot's own) is returned as it is, after a
    count of its line ends: much cheaper than rewriting every line end.
    """
    if message.count(b"\n") == message.count(b"\r\n") == message.count(b"\r"):
        return message
    return _LINE_END.sub(b"\r\n", message)


def _reply_text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())


def _utf8_headers(data: bytes) -> bool:
    """True when the header block of ``data`` holds 8-bit bytes (an RFC 6532 message)."""
    end = data.find(b"\r\n\r\n")
    return not data[: end if end >= 0 else len(data)].isascii()


def _is_temporary(code: int) -> bool:
    """RFC 5321 §4.2.1: 4yz is transient; 5yz (and anything unparsable above) is permanent."""
    return code < 500


class SmtpTransport:
    """An SMTP submission server as the robot's mail sender; use it in a ``with`` block.

    Entering connects (and starts TLS, and logs in); :meth:`send` sends one message;
    leaving says QUIT. Every method raises :class:`TransportError` with one plain sentence.
    """

    def __init__(self, settings: TransportSettings, tokens: Tokens | None = None):
        self.settings = settings
        self.tokens = tokens
        """The OAuth 2.0 tokens for ``auth = "xoauth2"|"oauthbearer"`` (None: password login)."""
        server = settings.server
        self.host = server.host
        self.port = server.port or _DEFAULT_PORTS.get(server.security, 25)
        self._smtp: smtplib.SMTP | None = None

    @property
    def _where(self) -> Said:
        return server("SMTP", self.host, self.port)

    def __enter__(self) -> "SmtpTransport":
        self._connection()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Say QUIT and close; harmless when already closed."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def send(self, sender: str, recipients: list[str], message: bytes) -> SendResult:
        """Send ``message`` from envelope ``sender`` to ``recipients`` (RFC 5321 MAIL, RCPT, DATA).

        Line ends are made CRLF. Addresses travel with their domain as its A-label
        (IDNA, :func:`~workflows.mail.rfc5322.transport_address`: ``rose@réseau.example``
        is ``RCPT TO:<rose@xn--rseau-bsa.example>``); ``BODY=8BITMIME`` is asked for an
        8-bit message, and ``SMTPUTF8`` (RFC 6531) for an address whose local part is UTF-8
        or a message with UTF-8 headers (RFC 6532). Such a mail through a server that does
        not offer SMTPUTF8 is refused here, permanently, before anything is sent: the
        outbox then marks it failed and tells the animators. Returns the refused
        recipients (lower-cased, as given) when some were accepted. Raises
        :class:`TransportError` as the module docstring says.
        """
        if not recipients:
            raise ValueError("a message needs at least one recipient")
        smtp = self._connection()
        data = to_crlf(message)
        wire = {transport_address(address): address for address in recipients}
        envelope_sender = transport_address(sender)
        options = []
        if not data.isascii() and smtp.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        if any(needs_smtputf8(address) for address in [envelope_sender, *wire]) or _utf8_headers(data):
            if not smtp.has_extn("smtputf8"):
                raise TransportError(Said("{where} does not offer SMTPUTF8 (RFC 6531), which an address with letters "
                                          "beyond ASCII before its @ needs: write to this person another way",
                                          where=self._where), temporary=False)
            options.append("SMTPUTF8")
        try:
            refused = smtp.sendmail(envelope_sender, list(wire), data, mail_options=options)
        except smtplib.SMTPRecipientsRefused as error:
            raise self._all_refused({wire.get(a, a): answer for a, answer in error.recipients.items()}) from None
        except smtplib.SMTPSenderRefused as error:
            raise self._refusal(Said("refused the sender {sender}", sender=sender), error.smtp_code,
                                error.smtp_error) from None
        except smtplib.SMTPDataError as error:
            raise self._refusal(Said("refused the message"), error.smtp_code, error.smtp_error) from None
        except smtplib.SMTPServerDisconnected as error:
            self._forget()
            raise TransportError(self._disconnected(error, Said(" while sending")), temporary=True) from None
        except smtplib.SMTPResponseException as error:
            raise self._refusal(Said("answered"), error.smtp_code, error.smtp_error) from None
        except UnicodeEncodeError:
            raise TransportError(Said("{where} does not offer SMTPUTF8, needed for a non-ASCII address",
                                      where=self._where), temporary=False) from None
        except OSError as error:
            self._forget()
            raise TransportError(self._network(error), temporary=True) from None
        return SendResult(
            {wire.get(address, address).lower(): (code, _reply_text(text)) for address, (code, text) in refused.items()}
        )

    # --- connection -------------------------------------------------------------------

    def _connection(self) -> smtplib.SMTP:
        """The open connection, opened (again) when there is none or smtplib closed it."""
        if self._smtp is not None and getattr(self._smtp, "sock", None) is not None:
            return self._smtp
        self._forget()
        self._smtp = self._connect()
        return self._smtp

    def _forget(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    def _connect(self) -> smtplib.SMTP:
        server = self.settings.server
        if server.security not in _DEFAULT_PORTS:
            raise TransportError(Said("[transport] security must be ssl, starttls or none, not {security!r}",
                                      security=server.security), temporary=True)
        context = None
        if server.security != "none":
            try:
                context = tls_context(server.ca_file)
            except ConnectProblem as error:
                raise TransportError(said_of(error), temporary=True) from None
        elif server.username and not is_loopback(self.host):
            log.warning("security = none: the SMTP password to %s crosses the network in clear", self.host)
        try:
            if server.security == "ssl":
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=server.timeout_seconds, context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=server.timeout_seconds)
        except smtplib.SMTPConnectError as error:
            text = _reply_text(error.smtp_error)
            raise TransportError(Said("{where} refused the session: {code} {said}", where=self._where,
                                      code=error.smtp_code, said=text), temporary=True,
                                 throttled=is_throttling(error.smtp_code, text)) from None
        except smtplib.SMTPServerDisconnected as error:
            raise TransportError(self._disconnected(error, Said(" at once")), temporary=True) from None
        except OSError as error:
            raise TransportError(self._network(error), temporary=True) from None
        try:
            self._open_session(smtp, context, server.username)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _open_session(self, smtp: smtplib.SMTP, context, username: str | None) -> None:
        """EHLO, then STARTTLS and EHLO again when asked for, then AUTH when a username is
        set, with the password read only then: a wrong host or port, or a TLS problem, is
        reported before a missing secret."""
        try:
            smtp.ehlo_or_helo_if_needed()
            if self.settings.server.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise TransportError(Said("{where} does not offer STARTTLS", where=self._where), temporary=True)
                smtp.starttls(context=context)
                smtp.ehlo()
            if username and self.settings.server.auth != "password":
                self._token_login(smtp, username)
            elif username:
                try:
                    password = self.settings.server.password()
                except SecretMissing as error:
                    raise TransportError(Said("reached {where} but cannot log in: {reason}", where=self._where,
                                              reason=said_of(error)), temporary=True, fault="secret") from None
                smtp.login(username, password or "")
        except smtplib.SMTPAuthenticationError as error:
            if self.settings.server.auth != "password":
                if self.tokens is not None:
                    self.tokens.forget()
                raise TransportError(Said("{where} refused the {mechanism} token of {user!r}: expired, or not allowed "
                                          "on this mailbox? (it said: {code} {said})", where=self._where,
                                          mechanism=self.settings.server.auth.upper(), user=username,
                                          code=error.smtp_code, said=_reply_text(error.smtp_error)),
                                     temporary=True, fault="login") from None
            raise TransportError(Said("{where} refused the login of {user!r}: {hint} (it said: {said})", where=self._where,
                                      user=username, hint=Said("wrong username or password?"),
                                      said=f"{error.smtp_code} {_reply_text(error.smtp_error)}"),
                                 temporary=True, fault="login") from None
        except smtplib.SMTPNotSupportedError:
            hint = (Said(" (it may offer it only after STARTTLS: check security)")
                    if self.settings.server.security == "none" else "")
            raise TransportError(Said("{where} offers no AUTH for the login{hint}", where=self._where, hint=hint),
                                 temporary=True) from None
        except smtplib.SMTPServerDisconnected as error:
            raise TransportError(self._disconnected(error, Said(" while opening the session")),
                                 temporary=True) from None
        except smtplib.SMTPResponseException as error:
            raise TransportError(Said("{where} refused to open the session: {code} {said}", where=self._where,
                                      code=error.smtp_code, said=_reply_text(error.smtp_error)), temporary=True) from None
        except OSError as error:
            raise TransportError(self._network(error), temporary=True) from None

    def _token_login(self, smtp: smtplib.SMTP, username: str) -> None:
        """RFC 4954 AUTH with SASL XOAUTH2 or OAUTHBEARER (RFC 7628) and a token fetched now;
        the server's error challenge is answered as each mechanism says, then its refusal
        raises ``SMTPAuthenticationError``."""
        mechanism = self.settings.server.auth
        if self.tokens is None:
            raise TransportError(Said("[transport] auth = {auth!r} needs an [oauth2] section", auth=mechanism),
                                 temporary=True, fault="secret")
        if not smtp.has_extn("auth"):
            raise smtplib.SMTPNotSupportedError("no AUTH")
        offered = (smtp.esmtp_features.get("auth") or "").upper().split()
        if mechanism.upper() not in offered:
            raise TransportError(Said("{where} does not offer {mechanism} (it offers: {offered}); check [transport] auth",
                                      where=self._where, mechanism=mechanism.upper(),
                                      offered=", ".join(offered) or Said("no SASL mechanism")),
                                 temporary=True, fault="login")
        try:
            token = self.tokens.token()
        except TokenError as error:
            raise TransportError(Said(NO_TOKEN, where=self._where, reason=said_of(error)), temporary=True,
                                 fault=error.fault) from None
        first = initial_response(mechanism, username, token, self.host, self.port)

        def answer(challenge: bytes | None = None) -> str:
            return first if challenge is None else abort_response(mechanism)

        smtp.auth(mechanism.upper(), answer)

    # --- sentences --------------------------------------------------------------------

    def _network(self, error: OSError) -> Said:
        sentence = describe(error, "SMTP", self.host, self.port, self.settings.server.timeout_seconds)
        return sentence or Said("{where}: {error}", where=self._where, error=str(error))

    def _disconnected(self, error: smtplib.SMTPServerDisconnected, when: Said) -> Said:
        if "timed out" in str(error):
            return Said("{where} did not answer within {seconds:g} s", where=self._where,
                        seconds=self.settings.server.timeout_seconds)
        return Said("{where} closed the connection{when}", where=self._where, when=when)

    def _refusal(self, what: Said, code: int, reply: bytes | str) -> TransportError:
        text = _reply_text(reply)
        return TransportError(Said("{where} {what}: {code} {said}", where=self._where, what=what, code=code, said=text),
                              temporary=_is_temporary(code), code=code, throttled=is_throttling(code, text))

    def _all_refused(self, answers: dict[str, tuple[int, bytes]]) -> TransportError:
        """Every recipient refused: temporary only if every refusal was (RFC 5321 §4.2.1)."""
        codes = [code for code, _reply in answers.values()]
        temporary = all(_is_temporary(code) for code in codes)
        code = codes[0] if temporary else next(c for c in codes if not _is_temporary(c))
        detail = "; ".join(f"{address}: {c} {_reply_text(r)}" for address, (c, r) in answers.items())
        return TransportError(Said("{where} refused every recipient ({detail})", where=self._where, detail=detail),
                              temporary=temporary, code=code)
