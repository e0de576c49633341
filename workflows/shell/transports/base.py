"""What every transport (mail sender) offers the outbox flush."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class TransportError(Exception):
    """Sending failed. ``temporary`` tells whether a later retry may succeed.

    ``code`` is the SMTP reply code when there is one (RFC 5321 §4.2: 4xx temporary,
    5xx permanent), None for a network fault (then temporary). The message is one plain
    sentence meant for the operator. ``throttled``: the server asks the sender to slow
    down (« too many », :func:`workflows.mail.pacing.is_throttling`), not a fault of this
    mail: the outbox pauses every sending rather than count an attempt. ``fault``:
    ``"secret"`` (the password variable is not set) or ``"login"`` (login refused), which
    no retry fixes by itself; None otherwise.
    """

    def __init__(self, message: str, *, temporary: bool, code: int | None = None, throttled: bool = False,
                 fault: str | None = None):
        super().__init__(message)
        self.fault = fault
        self.temporary = temporary
        self.code = code
        self.throttled = throttled


@dataclass
class SendResult:
    """What the server said about one message.

    ``refused`` maps each refused recipient (lower-cased) to ``(code, text)``; the message
    was accepted for every other recipient.
    """

    refused: dict[str, tuple[int, str]] = field(default_factory=dict)


class Transport(Protocol):
    """A mail sender, used as a context manager: one connection per flush."""

    def __enter__(self) -> "Transport": ...

    def __exit__(self, *exc) -> None: ...

    def send(self, sender: str, recipients: list[str], message: bytes) -> SendResult:
        """Send ``message`` (RFC 5322 bytes, CRLF or LF line ends) to ``recipients``.

        ``sender`` is the envelope sender (SMTP ``MAIL FROM``). Returns the per-recipient
        refusals when some recipients were accepted; raises :class:`TransportError` when
        none was (all refused, server down, timeout, data refused).
        """
        ...
