"""The shell: one cycle = fetch → handle each message → commit → mark done → send.

For each batch fetched from the mailbox, in one store transaction:

1. a message whose Message-ID the ledger already holds, with the same content digest
   (:attr:`Parsed.content_digest`), is a repeat: nothing is done (the ledger keeps a hash
   of each Message-ID, :func:`store.message_key`, never the Message-ID, which may carry
   the sender's own domain); one the ledger says was parked but that is still in the
   mailbox is parked again (see :meth:`Runner._parked_again`). The same Message-ID with
   another digest is another message (web forms reuse theirs): it is handled as one
   without a Message-ID, under :func:`reused_id` of its digest. An entry written before
   digests were kept stands for any message of its Message-ID;
2. otherwise it is parsed and routed (:mod:`workflows.routes`) inside a savepoint; its
   records, its queued mails and its ledger entry are written together;
3. a handler that raises leaves no trace but a failure count; at ``max_attempts``
   failures the message is parked in the error folder and the animators are told (the
   message attached as its bytes, never parsed; without it if even that fails).

Only after the transaction is on disk are the messages marked done in the mailbox (so a
crash repeats work, and the ledger makes the repeat a no-op). A batch that erased someone
is then finished (:func:`workflows.shell.erasure.after_erasure`: their mail taken out of
the folders, the public page and feeds rewritten). Then the outbox is flushed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Callable

from config.settings import Settings
from store import Store, StoreError, cause_key, message_key
from workflows.decision import Erased, Incoming, Plan
from workflows.mail.model import Parsed, ParseOptions
from workflows.mail.parse import fallback_message_id, parse_message, read_headers
from workflows.mail.render import Renderer
from workflows.model.said import Said, kept, said, said_of, unkept
from workflows.routes import dispatch
from workflows.shell.apply import apply, resources, run
from workflows.shell.erasure import after_erasure
from workflows.shell.clock import Clock, utc_now
from workflows.shell.errors import os_problem
from workflows.shell.language import words_for
from workflows.shell.mailboxes.base import Mailbox, MailboxError, SourceMessage
from workflows.shell.oauth2 import Tokens, tokens_for
from workflows.shell.outbox import FlushReport, flush, limits_of, raw_bytes
from workflows.shell.status import PARKED, was_parked
from workflows.shell.publish import publish_if_changed, publish_page_if_testimonies_changed
from workflows.shell.transports.base import Transport
from workflows.steps.speaking import forward_to_animators, tell_animators

log = logging.getLogger(__name__)
audit = logging.getLogger("rers.audit")

SENT_COPY_DAYS = 7
"""How long a sent mail's bytes wait for their copy in ``[transport] sent_folder`` when the
mailbox cannot be reached; past it the bytes are dropped, logged as an error and counted
for `rers status` (state ``sent_copies_lost``)."""

def open_mailbox(settings: Settings, tokens: Tokens | None = None) -> Mailbox:
    """The configured mailbox (not yet connected: use it in a ``with`` block). ``tokens``:
    the OAuth 2.0 tokens to reuse (see :func:`tokens_for`); None: a fresh keeper."""
    # Imported here so that commands which never read mail do not pay for imapclient.
    if settings.mailbox.kind == "imap":
        from workflows.shell.mailboxes.imap import ImapMailbox

        return ImapMailbox(settings.mailbox, tokens or tokens_for(settings))
    from workflows.shell.mailboxes.maildir import MaildirMailbox

    return MaildirMailbox(settings.mailbox)


def open_transport(settings: Settings, tokens: Tokens | None = None) -> Transport:
    """The configured transport (not yet connected: use it in a ``with`` block); ``tokens``
    as for :func:`open_mailbox`."""
    if settings.transport.kind == "smtp":
        from workflows.shell.transports.smtp import SmtpTransport

        return SmtpTransport(settings.transport, tokens or tokens_for(settings))
    from workflows.shell.transports.folder import FolderTransport

    return FolderTransport(settings.transport)


def parse_options(settings: Settings) -> ParseOptions:
    network = settings.network
    return ParseOptions(
        animators=frozenset(network.animators),
        network_address=network.address,
        timezone=network.timezone,
    )


@dataclass
class Handled:
    """What happened to one fetched message."""

    key: str
    message_id: str
    intent: str
    outcome: Said
    """``handled: …`` (the step's outcome), ``repeat``, ``failed (n)``, ``parked``: English
    as a ``str`` (the audit log, these checks), said in the operator's language where
    shown (:func:`workflows.model.said.said`: the demo)."""


@dataclass
class CycleReport:
    handled: list[Handled] = field(default_factory=list)
    flush: FlushReport = field(default_factory=FlushReport)

    def count(self, prefix: str) -> int:
        return sum(1 for h in self.handled if h.outcome.startswith(prefix))


class Runner:
    """Runs cycles for one configuration and one open store.

    ``clock`` returns aware UTC datetimes (a fixed or stepping clock in tests);
    ``mailbox_factory`` / ``transport_factory`` default to the configured ones.
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        clock: Clock = utc_now,
        mailbox_factory: Callable[[], Mailbox] | None = None,
        transport_factory: Callable[[], Transport] | None = None,
        renderer: Renderer | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ):
        self.settings = settings
        self.store = store
        self.clock = clock
        self.tokens = tokens_for(settings)
        """The OAuth 2.0 token shared by every IMAP and SMTP login of this runner (None:
        password logins): fetched again only when it is about to expire."""
        self.mailbox_factory = mailbox_factory or (lambda: open_mailbox(settings, self.tokens))
        self.transport_factory = transport_factory or (lambda: open_transport(settings, self.tokens))
        self.renderer = renderer or Renderer(
            settings.network.language, settings.network.templates_dir, settings.network.timezone
        )
        self.options = parse_options(settings)
        self.should_stop = should_stop
        self._sent_copies_checked = False
        """Whether the whole outbox was looked at for sent mails still to copy (at the first
        flush, and again after a copy failed)."""
        self.erased: list[Erased] = []
        """Who the last batch erased (kept in memory only, until the batch is finished)."""
        self.position: tuple[int | None, int | None] | None = None
        """The IMAP folder's ``(UIDVALIDITY, UIDNEXT)`` when the last cycle read it (None for
        a Maildir): the daemon's IDLE looks again for what came since before it waits."""

    # One cycle ------------------------------------------------------------------------

    def cycle(self) -> CycleReport:
        """Fetch and handle every waiting message, batch by batch; after each batch is
        committed and marked done, send what it caused (one SMTP connection for the
        whole cycle, opened when there is something to send).

        Raises :class:`MailboxError` when the mailbox cannot be used (nothing is lost:
        the messages stay where they are) and :class:`StoreError` when the store cannot be
        written.
        """
        report = CycleReport()
        with self.mailbox_factory() as mailbox, _Connection(self.transport_factory) as connection:
            for batch in mailbox.batches(self.settings.mailbox.batch_size):
                handled = self.handle_batch(batch)
                erased, self.erased = self.erased, []
                report.handled.extend(handled)
                done = [h.key for h in handled if h.outcome.startswith(("handled", "repeat"))]
                parked = [h.key for h in handled if h.outcome == PARKED]
                try:
                    if done:
                        mailbox.mark_done(done)
                    if parked:
                        mailbox.park(parked)
                finally:
                    if erased:  # written: the person's mail out of the folders (their last one too), the page anew
                        after_erasure(self.settings, self.store, self.clock(), erased, mailbox=mailbox,
                                      renderer=self.renderer)
                report.flush.extend(self._send(connection))
                if self.should_stop():
                    break
            self.position = getattr(mailbox, "position", None)
            try:
                # An animator's command may have changed the events: the files follow at once.
                publish_if_changed(self.settings, self.store, self.clock(), self.renderer)
            except OSError as error:  # a full disk: one line; the daily job publishes again
                log.error("calendar not published: %s", os_problem(error, "cannot write the calendar"))
            except StoreError:  # a store damaged meanwhile is no publication's problem: the cycle stops
                raise
            except Exception:  # the feed is published again by the daily job; mail goes on
                log.exception("calendar publication failed")
            try:
                # A testimony approved or withdrawn: the page follows at once.
                publish_page_if_testimonies_changed(self.settings, self.store, self.clock())
            except OSError as error:
                log.error("catalogue page not published: %s", os_problem(error, "cannot write the page"))
            except StoreError:
                raise
            except Exception:  # the daily job publishes the page again; mail goes on
                log.exception("catalogue page publication failed")
            report.flush.extend(self._send(connection))
        with self.store.transaction():  # also merges the last sent marks into the file
            self.store.set_state("last_cycle", self.clock().isoformat(timespec="seconds"))
            self.store.set_state("last_cycle_error", None)  # a failure before is over: `rers status` says the current one
            # For `rers status` (and its exit status); a server's « too many » is no failure: the pause is said apart.
            self.store.set_state("last_send_error", None if report.flush.throttled else kept(report.flush.error))
        return report

    def handle_batch(self, batch: list[SourceMessage]) -> list[Handled]:
        """Handle a batch in one transaction (one store write). Stops early, after the
        current message, when ``should_stop()`` becomes true (SIGTERM)."""
        results = []
        self.erased = []
        try:
            with self.store.transaction():
                self._resources = resources(self.settings, self.store)
                for source in batch:
                    results.append(self.handle(source))
                    if self.should_stop():
                        break
        except BaseException:
            self.erased = []  # nothing of the batch was written
            raise
        return results

    def handle(self, source: SourceMessage) -> Handled:
        """Handle one message inside the current transaction (see the module docstring)."""
        now = self.clock()
        message_id = fallback_message_id(source.raw)
        intent = "unknown"
        digest = None
        parsed: Parsed | None = None
        try:
            with self.store.savepoint():
                parsed = parse_message(source.raw, self.options, now=now)
                if not parsed.message_id:
                    parsed.message_id = message_id
                message_id = parsed.message_id
                intent, digest = parsed.intent, parsed.content_digest
                seen = seen_before(self.store, parsed)
                message_id = parsed.message_id
                if seen is not None and was_parked(seen):
                    return self._parked_again(now, source, parsed)
                if seen is not None:
                    audit.info("%s: already handled, skipped", message_id)
                    return Handled(source.key, message_id, intent, Said("repeat"))
                plan = self.plan(now)
                outcome = dispatch(plan, Incoming(parsed, source.raw, source.key))
                apply(plan, self.store, self.renderer)
                self._ledger(now, message_id, source.key, intent, outcome, parsed.content_digest)
                failure = self.store.failures.find_one("message_id", message_id)
                if failure is not None:
                    self.store.failures.delete(failure["id"])
            self.erased.extend(plan.erased)
            audit.info("%s: %s → %s", message_id, intent, outcome)
            return Handled(source.key, message_id, intent, Said("handled: {outcome}", outcome=outcome))
        except Exception as error:  # a fault in our code or data: count it, keep the message
            log.exception("handling %s failed", message_id)
            return self._failed(now, source, message_id, intent, error, digest, parsed)

    def plan(self, now: datetime) -> Plan:
        """A plan over the store at ``now``, with this batch's resources. In a batch."""
        return Plan(self.settings, self.store, now, self._resources)

    def _ledger(self, now: datetime, message_id: str, key: str, intent: str, outcome: str,
                digest: str | None = None) -> None:
        self.store.ledger.insert(
            {"message_id": message_key(message_id), "source_key": key, "received": _stamp(now), "intent": intent,
             "outcome": kept(outcome), "digest": digest or None}
        )

    def _failed(self, now: datetime, source: SourceMessage, message_id: str, intent: str, error: Exception,
                digest: str | None = None, parsed: Parsed | None = None) -> Handled:
        """Count a failure of the message; at ``max_attempts`` park it and tell the
        animators. ``parsed``: the message as read before the fault (None when reading it
        was the fault)."""
        failure = self.store.failures.find_one("message_id", message_id)
        count = 1 if failure is None else failure["count"] + 1
        # The exception is for whoever maintains the code: a sentence in the operator's language first.
        detail = Said("a fault in the robot's code, to report ({kind}: {error})", kind=type(error).__name__,
                      error=_shortened(said_of(error)))
        if failure is None:
            failure_id = self.store.failures.insert(
                {"message_id": message_id, "count": 1, "last": _stamp(now), "error": kept(detail)})
        else:
            failure_id = failure["id"]
            self.store.failures.update(failure_id, count=count, last=_stamp(now), error=kept(detail))
        if count < self.settings.mailbox.max_attempts:
            return Handled(source.key, message_id, intent, Said("failed ({count})", count=count))
        self._tell_parked(now, source, message_id, intent, count, detail, parsed)
        # Kept for `rers status` (why it was parked), marked so as not to be counted as to be retried.
        self.store.failures.update(failure_id, parked=_stamp(now))
        self._ledger(now, message_id, source.key, intent, PARKED, digest)
        audit.warning("%s: parked after %d failures", message_id, count)
        return Handled(source.key, message_id, intent, PARKED)

    def _parked_again(self, now: datetime, source: SourceMessage, parsed: Parsed) -> Handled:
        """A message parked before but still in the mailbox (its move failed, or a robot
        before this one recorded it parked without moving it): to the error folder too,
        never to the done folder; the animators are told if no notice about it was queued."""
        message_id, intent = parsed.message_id, parsed.intent
        audit.warning("%s: parked before, still in the mailbox: parked again", message_id)
        cause = cause_key(message_id)  # as the outbox keeps it
        if not any(self.store.outbox.scan(lambda m: m.get("purpose") == "parked" and m.get("cause") == cause)):
            failure = self.store.failures.find_one("message_id", message_id)
            count = failure["count"] if failure else self.settings.mailbox.max_attempts
            detail = unkept(failure["error"]) if failure else "?"
            self._tell_parked(now, source, message_id, intent, count, detail, parsed)
            if failure is not None:
                self.store.failures.update(failure["id"], parked=_stamp(now))
        return Handled(source.key, message_id, intent, PARKED)

    def _tell_parked(self, now: datetime, source: SourceMessage, message_id: str, intent: str, count: int,
                     detail: str, parsed: Parsed | None = None) -> None:
        """Queue the notice about a parked message: the message attached as it is (never
        parsed, see :func:`workflows.mail.rfc5322.attach_original`), else, if that fails,
        the notice alone, which names the folder where the message is kept. Its sender and
        subject are the message's (the animators' own mailbox may show them): as read
        before the fault (``parsed``), else from its header block alone
        (:func:`workflows.mail.parse.read_headers`, lenient)."""
        if parsed is None:
            parsed = read_headers(source.raw, self.options)
        parsed = replace(parsed, intent=intent, message_id=message_id, text="")
        for without_original in (False, True):
            try:
                with self.store.savepoint():
                    plan = self.plan(now)
                    forward_to_animators(
                        plan,
                        Incoming(parsed, source.raw, source.key),
                        reason="parked",
                        purpose="parked",
                        without_original=without_original,
                        count=count,
                        detail=said(detail, words_for(self.settings)),  # the mail's language
                        folder=self.settings.mailbox.error_folder,
                    )
                    apply(plan, self.store, self.renderer)
                return
            except Exception:
                log.exception("could not tell the animators about parked message %s%s", message_id,
                              " (even without attaching it)" if without_original else ", trying without attaching it")

    def flush(self) -> FlushReport:
        """Send the due mails of the outbox now, over one connection, and record it."""
        with _Connection(self.transport_factory) as connection:
            report = self._send(connection)
        if report.sent:
            with self.store.transaction():
                pass  # merge the sent marks into the store file now
        return report

    def _send(self, connection: "_Connection") -> FlushReport:
        """Send what is due over ``connection`` (see :func:`workflows.shell.outbox.flush`), then
        keep a copy of each sent mail in ``[transport] sent_folder`` when one is set."""
        if connection.failed:
            return FlushReport(error=connection.failed, fault=connection.fault)
        sent_folder = self.settings.transport.sent_folder
        report = flush(self.store, connection.open, self.clock, keep_raw=bool(sent_folder),
                       on_permanent_failure=self._notify_failure, limits=limits_of(self.settings.transport))
        if report.error and connection.transport is None:
            connection.failed = report.error  # cannot connect: not again in this cycle
            connection.fault = report.fault
        if sent_folder and (report.sent or not self._sent_copies_checked):
            self._copy_to_sent(report.sent)
        return report

    def _copy_to_sent(self, just_sent: list[str]) -> None:
        """Append to the IMAP Sent folder the mails ``just_sent`` — and, at this runner's
        first flush or after a failed copy, every sent mail that still has its bytes (a
        killed process or an unreachable mailbox left them uncopied) — then drop the bytes
        of each one copied. A mail sent more than :data:`SENT_COPY_DAYS` days ago is not
        copied any more (its bytes are dropped, so the store does not grow while the
        mailbox is away). A failure is logged, never raised: the mails were sent. A kill
        between the APPEND and the store write copies that mail twice at the next flush
        (a copy too many, never one lost)."""
        folder = self.settings.transport.sent_folder
        if self._sent_copies_checked:  # the whole outbox was looked at already: only these
            found = (self.store.outbox.find_one("message_id", mid) for mid in just_sent)
            waiting = [m for m in found if m is not None and m.get("raw")]
        else:
            waiting = list(self.store.outbox.scan(lambda m: m.get("status") == "sent" and m.get("raw")))
        self._sent_copies_checked = True
        if not waiting:
            return
        oldest = (self.clock() - timedelta(days=SENT_COPY_DAYS)).isoformat(timespec="seconds")
        late = [m for m in waiting if (m.get("sent") or "") < oldest]
        late_ids = {m["id"] for m in late}
        copied = []
        try:
            with self.mailbox_factory() as mailbox:
                for mail in waiting:
                    if mail["id"] not in late_ids:
                        mailbox.append(folder, raw_bytes(mail["raw"]))
                        copied.append(mail)
        except MailboxError as error:
            self._sent_copies_checked = False  # the next flush looks for them again
            log.warning("%d sent mail(s) not copied to %r yet: %s", len(waiting) - len(late) - len(copied),
                        folder, error)
        if late:
            log.error("%d mail(s) sent more than %d days ago never reached %r: no copy kept",
                      len(late), SENT_COPY_DAYS, folder)
        with self.store.transaction():
            for mail in copied + late:
                self.store.outbox.update(mail["id"], raw=None)
            if late:  # never silently: `rers status` says how many and when
                lost = self.store.get_state("sent_copies_lost") or {"count": 0}
                self.store.set_state("sent_copies_lost", {
                    "count": lost["count"] + len(late), "last": _stamp(self.clock()), "folder": folder})

    def _notify_failure(self, mail: dict, error) -> None:
        if mail["purpose"] == "send_failure" or not self.settings.network.animators:
            return
        run(self.settings, self.store, self.clock(), tell_animators, template="send_failure",
            values={"purpose": mail["purpose"], "recipients": mail["recipients"], "error": str(error)},
            purpose="send_failure", cause=mail["message_id"], renderer=self.renderer)


class _Connection:
    """The cycle's one transport connection: opened on first use, closed at the end."""

    def __init__(self, factory: Callable[[], Transport]):
        self.factory = factory
        self.transport: Transport | None = None
        self.failed: str | None = None
        self.fault: str | None = None

    def open(self) -> Transport:
        """The open transport (connecting now if needed). Raises ``TransportError``."""
        if self.transport is None:
            transport = self.factory()
            transport.__enter__()
            self.transport = transport
        return self.transport

    def __enter__(self) -> "_Connection":
        return self

    def __exit__(self, *exc) -> None:
        transport, self.transport = self.transport, None
        if transport is not None:
            try:
                transport.__exit__(None, None, None)
            except Exception:  # closing a dead connection: nothing left to save
                log.debug("closing the transport failed", exc_info=True)


def _shortened(text: str, limit: int = 300) -> str:
    """An exception's text cut at ``limit`` characters (a :class:`Said` kept whole when
    short enough to be said again): a step's crash in the store."""
    return text if len(text) <= limit else str(text)[:limit]


def _stamp(now: datetime) -> str:
    return now.isoformat(timespec="seconds")


def seen_before(store: Store, parsed) -> dict | None:
    """The ledger's entry for ``parsed`` (a message whose ``message_id`` is set), or None
    when it was never handled. Another message under a Message-ID already handled (a web
    form, a client that reuses them) is not a repeat: ``parsed.message_id`` becomes
    :func:`reused_id` of its content, so that its answers get their own Message-IDs and a
    repeat of it is still recognised. The runner and ``rers decide`` both ask this."""
    seen = store.ledger.find_one("message_id", message_key(parsed.message_id))
    if _reused(seen, parsed.content_digest):
        audit.info("%s: Message-ID reused by another message, handled as %s", parsed.message_id,
                   reused_id(parsed.content_digest))
        parsed.message_id = reused_id(parsed.content_digest)
        seen = store.ledger.find_one("message_id", message_key(parsed.message_id))
    return seen


def _reused(seen: dict | None, digest: str) -> bool:
    """True when the ledger's entry ``seen`` for a Message-ID is another message's: both
    digests known and different. An entry written before digests were kept (no
    ``digest``) stands for any message of that Message-ID: a repeat, as it always was."""
    return seen is not None and bool(seen.get("digest")) and bool(digest) and seen["digest"] != digest


def reused_id(digest: str) -> str:
    """The Message-ID given to a message that reuses another's: made from its content
    digest (``sha256:<hex>``), in the form of a missing one (``@rers.invalid``, which
    :func:`workflows.steps.speaking.reply_id` keeps out of In-Reply-To), so the same
    message delivered again gets the same one."""
    return f"<sha256-{digest.partition(':')[2][:32]}.reused@rers.invalid>"

