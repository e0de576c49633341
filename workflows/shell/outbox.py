"""The outbox: every mail is queued in the store with the decision that caused it, then sent.

Queuing happens inside the transaction of the decision (so a crash can never leave a
decision without its mail, nor a mail without its decision). :func:`flush` sends what is
queued over one transport connection and marks each mail sent once the server accepted
it: a crash between the server's acceptance and that mark is the only window in which a
mail can be sent twice (the Message-ID is the same, so clients show it once).

Temporary failures (SMTP 4xx, network faults) are retried with an exponential backoff;
permanent ones (5xx) mark the mail ``failed`` and tell the animators.

Send limits (``[transport] send_limits``, :mod:`workflows.mail.pacing`): each flush sends
only what fits in the provider's caps, in the outbox's order — :data:`BULK` mails (an
invitation to every member) after every other (an answer to a person), then oldest
first — and the rest waits; :func:`waiting` says when each will leave. A server that
answers « too many » (:func:`~workflows.mail.pacing.is_throttling`) pauses all sending (1,
2, 4 … minutes, at most an hour, kept in the store's state ``send_pause``) without the
mail in hand losing its place or one of its attempts.

Mails to members are not queued to an address a hard bounce marked ``undeliverable``
(until the person writes again); a mail queued with ``forget_after_send`` keeps no copy
of its bytes and recipients once sent or given up (the goodbye after an erasure, a data
export), in the store file and in its backup, at once.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Callable

from config.settings import TransportSettings
from store import Store, cause_key, message_key
from workflows.mail.pacing import DAY, SendLimits, departures, pause_after
from workflows.mail.rfc5322 import recipients_of, serialize
from workflows.model.said import Said, kept, said_of
from workflows.shell.transports.base import Transport, TransportError

log = logging.getLogger(__name__)
audit = logging.getLogger("rers.audit")

MAX_ATTEMPTS = 8
"""Temporary failures tolerated before a mail is given up (about a day of backoff)."""


BULK = frozenset({"invitation", "cancellation", "event_reminder", "invitation_withdrawn", "invitation_moved"})
"""Purposes of the mails a fan-out queues by the hundred (a calendar event to every
member): they leave after every other mail waiting (priority 1, the others 0)."""


def priority_of(mail: dict) -> int:
    """0 for a mail to send first (an answer to a person, a notice), 1 for a :data:`BULK`
    one; from the entry's ``priority`` or, for an entry queued before it was kept, its
    purpose."""
    priority = mail.get("priority")
    return priority if isinstance(priority, int) else int(mail.get("purpose") in BULK)


def limits_of(transport: TransportSettings) -> SendLimits:
    """The caps ``[transport]`` sets (its preset, or its own figures)."""
    return SendLimits(transport.max_per_minute, transport.max_recipients_per_day)


def limits_said(limits: SendLimits) -> Said:
    """``30 a minute, 10000 recipients a day`` (or ``no limit``), for people: English (the
    log), said in the operator's language where shown (``rers status``)."""
    if limits.per_minute is not None and limits.recipients_per_day is not None:
        return Said("{minute} a minute, {day} recipients a day", minute=limits.per_minute,
                    day=limits.recipients_per_day)
    if limits.per_minute is not None:
        return Said("{minute} a minute", minute=limits.per_minute)
    if limits.recipients_per_day is not None:
        return Said("{day} recipients a day", day=limits.recipients_per_day)
    return Said("no limit")


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` failures: 1, 2, 4 … minutes, at most 4 h."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 240))


def stored_raw(data: bytes) -> str:
    """The text the outbox keeps for a message's bytes: ASCII, or UTF-8 for an RFC 6532
    message (an address with a UTF-8 local part). The store's JSON holds any Unicode text
    but no lone surrogate, so the bytes are decoded as what they are, never escaped.
    Raises ``UnicodeDecodeError`` for bytes that are neither (the robot builds none)."""
    return data.decode("utf-8")


def raw_bytes(raw: str) -> bytes:
    """The bytes of a message the outbox keeps (:func:`stored_raw`), as they were built."""
    return raw.encode("utf-8", "surrogateescape")


def queue_message(store: Store, sender: str, now: datetime, msg: EmailMessage, *, purpose: str, cause: str,
                  forget_after_send: bool = False) -> bool:
    """Queue a built message, to be sent from ``sender`` (the network's functional
    address) from ``now`` (aware) on. Returns False (and queues nothing) when a mail with
    the same Message-ID is already queued or sent: re-running a decision never doubles a
    mail. Envelope recipients are the To and Cc addresses. ``cause`` is kept as
    :func:`store.cause_key` makes it: a Message-ID (the person's own message) only hashed,
    so that nothing of it outlives their erasure. In a transaction."""
    mid = str(msg["Message-ID"])
    if store.outbox.find_one("message_id", mid) is not None:
        return False
    recipients = recipients_of(msg)
    stamp = now.isoformat(timespec="seconds")
    store.outbox.insert(
        {
            "message_id": mid,
            "sender": sender,
            "recipients": recipients,
            "raw": stored_raw(serialize(msg)),
            "status": "queued",
            "attempts": 0,
            "next_attempt": stamp,
            "created": stamp,
            "purpose": purpose,
            "cause": cause_key(cause),
            "error": None,
            "forget": forget_after_send,
            "priority": int(purpose in BULK),
        }
    )
    return True






def _forgotten(mail: dict) -> dict:
    # What a forget_after_send mail drops once its fate is known: every copy of the person,
    # including its cause (a Message-ID is hashed from the start, any other cause now).
    if not mail.get("forget"):
        return {}
    cause = mail["cause"]  # hashed once: a failure and a retry both pass here
    hashed = cause if cause.startswith("sha256:") else message_key(cause)
    return {"raw": "", "recipients": [], "refused": None, "error": None, "cause": hashed}




@dataclass
class FlushReport:
    sent: list[str] = field(default_factory=list)
    retry: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    error: str | None = None
    held: int = 0
    """Mails due but kept for later by the send limits or a server's « too many »."""
    next_departure: datetime | None = None
    """When the first of them may leave (aware UTC), for the daemon's next flush."""
    throttled: bool = False
    """The server answered « too many » during this flush: sending pauses."""
    fault: str | None = None
    """``"secret"`` or ``"login"`` when the connection failed for a reason no retry fixes
    (:class:`~workflows.shell.transports.base.TransportError`)."""

    def extend(self, other: "FlushReport") -> None:
        """Add another flush's outcome to this one (the last error wins)."""
        self.sent += other.sent
        self.retry += other.retry
        self.failed += other.failed
        self.error = other.error or self.error
        self.held = other.held
        self.next_departure = other.next_departure
        self.throttled = self.throttled or other.throttled
        self.fault = other.fault or self.fault


LONGEST_BACKOFF = max(backoff(attempts) for attempts in range(MAX_ATTEMPTS + 1))
"""The furthest a retry is ever put off (:func:`backoff`)."""


def due(store: Store, now: datetime) -> list[dict]:
    """Queued mails whose next attempt time has come, oldest first.

    A mail whose next attempt lies further ahead than :data:`LONGEST_BACKOFF` was queued
    or put off while the machine's clock ran ahead (set to a wrong year, then corrected):
    no backoff sets such a time, so it is due now rather than held until that day comes."""
    stamp = now.isoformat(timespec="seconds")
    beyond = (now + LONGEST_BACKOFF).isoformat(timespec="seconds")
    found = [m for m in store.outbox.find("status", "queued") if m["next_attempt"] <= stamp or m["next_attempt"] > beyond]
    return sorted(found, key=lambda m: (priority_of(m), m["id"]))


def sent_history(store: Store, now: datetime) -> list[tuple[datetime, int]]:
    """``(sent at, recipients)`` of the mails sent in the 24 hours before ``now`` (aware
    UTC), for the send limits. A mail sent before the count was kept counts its
    recipients, or one when they were forgotten."""
    since = (now - DAY).isoformat(timespec="seconds")
    return [(datetime.fromisoformat(m["sent"]), m.get("sent_to") or len(m.get("recipients") or ()) or 1)
            for m in store.outbox.scan(lambda m: m.get("status") == "sent" and (m.get("sent") or "") > since)]


def paused_until(store: Store) -> datetime | None:
    """Until when sending pauses after a server's « too many » (aware UTC), or None."""
    pause = store.get_state("send_pause")
    return datetime.fromisoformat(pause["until"]) if pause else None


def waiting(store: Store, limits: SendLimits, now: datetime) -> list[tuple[dict, datetime]]:
    """Every queued mail in sending order, with when it may leave (aware UTC; ``<= now``:
    at the next flush): the later of its retry time and what the send limits and a pause
    allow. For `rers status`."""
    queued = sorted(store.outbox.find("status", "queued"), key=lambda m: (priority_of(m), m["id"]))
    times = departures([len(m["recipients"]) for m in queued], sent_history(store, now), limits, now,
                       paused_until(store))
    out = []
    for mail, at in zip(queued, times):
        retry = datetime.fromisoformat(mail["next_attempt"])
        out.append((mail, max(at, retry) if retry <= now + LONGEST_BACKOFF else at))
    return out


def flush(
    store: Store,
    connect: Callable[[], Transport],
    now: Callable[[], datetime],
    *,
    keep_raw: bool = False,
    on_permanent_failure: Callable[[dict, TransportError], None] | None = None,
    limits: SendLimits = SendLimits(),
) -> FlushReport:
    """Send every due mail over the connection ``connect()`` returns (an open
    transport, kept by the caller; called only when there is something to send).

    Each mail is marked sent right after the server accepted it (a journal line,
    :meth:`store.Collection.set_durably`), so that a killed process re-sends at most the
    mail in flight; the caller's next transaction merges the marks into the store file.
    A sent mail's bytes are dropped then (``keep_raw``: kept, for a copy in a Sent
    folder). Failures are recorded in a small transaction each;
    ``on_permanent_failure(mail, error)`` runs inside it (to queue a notice to the
    animators). A connection failure leaves the remaining mails queued and is reported
    in ``FlushReport.error``. Only what ``limits`` allow now is sent (see the module
    docstring); ``FlushReport.held`` and ``next_departure`` say what waits and until when.
    """
    report = FlushReport()
    pending = due(store, now())
    if not pending:
        return report
    forgot = False
    try:
        # One lock for the whole flush: each mark is then a plain append, and two
        # processes (the daemon and a `rers calendar` command) never send one mail twice.
        with store.locked():
            # Read again under the lock: the other process may have sent them meanwhile.
            pending = _allowed(store, due(store, now()), limits, now(), report)
            transport = connect() if pending else None
            for index, mail in enumerate(pending):
                try:
                    result = transport.send(mail["sender"], mail["recipients"], raw_bytes(mail["raw"]))
                except TransportError as error:
                    if error.throttled:
                        _pause(store, error, now(), report, len(pending) - index)
                        break
                    _record_failure(store, mail, error, now(), report, on_permanent_failure)
                    if error.code is None and error.temporary:
                        # The connection itself is gone: the rest waits for the next flush.
                        report.error = said_of(error)
                        break
                    continue
                # Recorded at once without rewriting the whole store for each mail: a
                # journal line, not fsync'd (a kill cannot lose it; a power cut during
                # this flush may re-send its mails, which keep their Message-IDs).
                store.outbox.set_durably(mail["id"], {
                    "status": "sent", "sent": now().isoformat(timespec="seconds"),
                    "sent_to": len(mail["recipients"]),
                    "refused": {k: list(v) for k, v in result.refused.items()} or None,
                    **({} if keep_raw else {"raw": None}), **_forgotten(mail)},
                    sync=False)
                report.sent.append(mail["message_id"])
                forgot = forgot or bool(mail.get("forget"))
                audit.info("sent %s (%s) to %d recipient(s)", mail["message_id"], mail["purpose"], len(mail["recipients"]))
    except TransportError as error:
        if error.throttled:
            _pause(store, error, now(), report, len(pending))
        else:
            report.error = said_of(error)
            report.fault = error.fault
            log.warning("cannot send mail now: %s", error)
    if report.sent and not report.throttled and store.get_state("send_pause"):
        with store.transaction():  # the server takes mail again: the next « too many » starts at 1 minute
            store.set_state("send_pause", None)
    if forgot:
        # A goodbye to an erased person was the store's last copy of them: write the
        # file without it now, and its backup too, rather than at some later cycle.
        with store.transaction():
            store.forget_backup()
    return report


def _allowed(store: Store, pending: list[dict], limits: SendLimits, now: datetime,
             report: FlushReport) -> list[dict]:
    """The head of ``pending`` that the send limits and a pause let leave at ``now``;
    what is held is counted in ``report``."""
    pause = paused_until(store)
    if not pending or (not limits.any and (pause is None or pause <= now)):
        return pending
    times = departures([len(m["recipients"]) for m in pending], sent_history(store, now), limits, now, pause)
    allowed = [m for m, at in zip(pending, times) if at <= now]
    if len(allowed) < len(pending):
        report.held = len(pending) - len(allowed)
        report.next_departure = times[len(allowed)]
        log.info("send limits (%s): %d mail(s) wait, the next at %s", limits_said(limits), report.held,
                 report.next_departure.isoformat(timespec="seconds"))
    return allowed


def _pause(store: Store, error: TransportError, now: datetime, report: FlushReport, left: int) -> None:
    """The server said « too many »: pause every sending (longer each time in a row); the
    mail in hand keeps its place and its attempts."""
    # A server that took some mails first only counts a minute (its window is full);
    # one that refuses the very first mail again and again is paused longer each time.
    pause = store.get_state("send_pause") or {}
    strikes = 1 if report.sent else pause.get("strikes", 0) + 1
    until = now + pause_after(strikes)
    with store.transaction():
        store.set_state("send_pause", {"until": until.isoformat(timespec="seconds"), "strikes": strikes,
                                       "error": kept(said_of(error))})
    report.error = said_of(error)
    report.throttled = True
    report.held += left
    report.next_departure = until
    log.warning("the server asks to send less (%s): sending paused until %s", error,
                until.isoformat(timespec="seconds"))


def _record_failure(store, mail, error: TransportError, now: datetime, report: FlushReport, on_permanent) -> None:
    attempts = mail["attempts"] + 1
    with store.transaction():
        if error.temporary and attempts < MAX_ATTEMPTS:
            store.outbox.update(
                mail["id"], attempts=attempts, error=kept(said_of(error)),
                next_attempt=(now + backoff(attempts)).isoformat(timespec="seconds"),
            )
            report.retry.append(mail["message_id"])
            log.warning("temporary failure sending %s (attempt %d): %s", mail["message_id"], attempts, error)
        else:
            store.outbox.update(mail["id"], **{"attempts": attempts, "error": kept(said_of(error)), "status": "failed",
                                               **_forgotten(mail)})
            report.failed.append(mail["message_id"])
            if mail.get("forget"):
                store.forget_backup()
            log.error("gave up sending %s (%s): %s", mail["message_id"], mail["purpose"], error)
            if on_permanent is not None:
                on_permanent({**mail, **_forgotten(mail)}, error)
