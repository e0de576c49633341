"""`rers run`: the long-running robot.

The loop, one turn at a time:

1. a **cycle** (fetch → handle → commit → mark done → send) when new mail was announced,
   when ``poll_seconds`` have passed since the last one, or at start;
2. the **scheduled jobs** that are due (:class:`schedule.Scheduler`, one per daemon —
   never the module-level default): calendar publication, reminders, expiries, bilans,
   the monthly report; each wrapped so that a failure is logged and the daemon goes on;
3. a **wait** for new mail: IMAP IDLE (RFC 2177) on a connection of its own when the
   server offers it, re-issued well before the server's 30-minute limit, so that a new
   message is handled within seconds; otherwise a plain sleep until the next poll.

When the IMAP or SMTP server is down, restarts or drops the connection, the daemon backs
off (5 s, doubling, at most 5 min) and tries again; nothing is lost, because messages
leave the mailbox only after the store committed what they caused, and the outbox keeps
what was not sent. While only the mailbox cannot be read, the due jobs still run and the
outbox is still sent; after an hour the animators are told (``mailbox_down``), and told
again when the mailbox is read again.

A fault no retry can fix stops the daemon with one clear line (CRITICAL) and exit status
2, so that systemd shows it failed rather than a robot retrying forever: a password
variable that is not set (looked at first, before any connection: a server that refuses
connections meanwhile must not hide it behind retries), or a login the IMAP or SMTP
server refused :data:`LOGIN_ATTEMPTS` times in a row (one refusal may be the server's
hiccup).

SIGTERM and SIGINT ask the daemon to stop: the message being handled is finished and
committed, then :meth:`Daemon.run` returns 0. Only one daemon (or `rers poll`) runs per
store: :class:`InstanceLock`.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

import schedule
from filelock import FileLock, Timeout

from config.settings import SecretMissing, Settings
from store import Store, StoreBusy, StoreCorrupt, StoreError
from workflows.mail.render import Renderer
from workflows.model.said import Said, said_of
from workflows.shell.apply import run
from workflows.shell.errors import UserError, os_problem, system_reason, unexpected_problem
from workflows.shell.housekeeping import housekeeping
from workflows.shell.jobs import (
    expire_pending_job,
    federation_job,
    followups_job,
    freshness_job,
    voice_job,
    monthly_report_job,
    news_job,
    pauses_job,
    pooled_job,
    reminders_job,
)
from workflows.shell.language import catalogued
from workflows.shell.mailboxes.base import MailboxError
from workflows.shell.publish import publish_calendar, publish_page
from workflows.shell.clock import Clock, utc_now
from workflows.shell.runner import Runner
from workflows.shell.status import note_cycle_failure, note_job_outcome
from workflows.shell.transports.base import TransportError
from workflows.steps.speaking import tell_animators

log = logging.getLogger(__name__)

IDLE_SLICE_SECONDS = 5.0
"""One IDLE command lasts at most this long, so that a stop request is noticed quickly
(Python resumes a blocking socket read after a signal, PEP 475)."""


class InstanceLock:
    """One robot per store: an exclusive lock on ``<store>.instance.lock``, held for the
    process's life. The second process gets a :class:`UserError` saying who holds it."""

    def __init__(self, store_path: Path):
        self.path = Path(str(store_path) + ".instance.lock")
        self._lock = FileLock(str(self.path), timeout=0)

    def __enter__(self) -> "InstanceLock":
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock.acquire()
        except Timeout:  # before OSError: filelock's Timeout is one
            holder = self.path.with_suffix(".pid")
            pid = holder.read_text().strip() if holder.exists() else "?"
            raise UserError("another rers is already running for this store (pid {pid}, lock {lock}); stop it first, "
                            "or wait for it to finish", pid=pid, lock=self.path) from None
        except OSError as error:
            raise UserError("cannot lock {lock}: {reason} (the store's folder must be writable by the robot)",
                            lock=self.path, reason=system_reason(error)) from None
        try:
            self.path.with_suffix(".pid").write_text(f"{os.getpid()}\n")
        except OSError as error:
            self._lock.release()
            doing = Said("cannot write")
            raise UserError(os_problem(error, doing)) from None
        return self

    def __exit__(self, *exc) -> None:
        self.path.with_suffix(".pid").unlink(missing_ok=True)
        self._lock.release()


@dataclass
class Backoff:
    """Exponential backoff: ``first`` seconds, doubling, at most ``cap``."""

    first: float = 5.0
    cap: float = 300.0
    failures: int = 0

    def next_delay(self) -> float:
        self.failures += 1
        return min(self.first * 2 ** (self.failures - 1), self.cap)

    def reset(self) -> None:
        self.failures = 0


@dataclass
class Job:
    """A scheduled job: ``name`` for the logs, ``run`` a function of no argument."""

    name: str
    run: Callable[[], object]
    every: str = "day"
    """``day`` (at ``at``, local time ``HH:MM``) or ``hour``."""
    at: str | None = None


LOGIN_ATTEMPTS = 5
"""Refused logins in a row (IMAP or SMTP, with the daemon's backoff between them: about
a minute and a half) before the daemon stops: the password is wrong, not the network."""

EXIT_UNFIXABLE = 2
"""The daemon's exit status after a fault no retry fixes (as a configuration problem)."""

MAILBOX_ALERT_AFTER = timedelta(hours=1)
"""How long the mailbox may stay unreadable before the animators are told: a server's
restart or a short network cut should not write to anyone."""


@dataclass
class DaemonState:
    """What `rers status` and the tests want to know about a running daemon."""

    cycles: int = 0
    job_failures: dict[str, int] = field(default_factory=dict)
    last_error: str | None = None
    mailbox_down_since: datetime | None = None
    """When cycles started failing because the mailbox cannot be read (aware UTC)."""
    mailbox_down_told: bool = False


def default_jobs(settings: Settings, store: Store, clock: Clock, renderer: Renderer | None = None) -> list[Job]:
    """The daemon's scheduled work (see the module docstring); ``renderer``: the process's
    one (templates compiled once), else each job makes its own. A job's name is English
    in the logs, and said in the network's language by `rers jobs`."""
    publish_at = settings.schedule.publish_time.strftime("%H:%M")
    return [
        Job(catalogued("calendar"), lambda: publish_calendar(settings, store, clock(), renderer), "day", publish_at),
        Job(catalogued("catalogue page"), lambda: publish_page(settings, store, clock()), "day", publish_at),
        Job(catalogued("housekeeping"), lambda: housekeeping(settings, store, clock()), "day", "03:30"),
        Job(catalogued("pending members"), lambda: expire_pending_job(settings, store, clock(), renderer), "hour"),
        Job(catalogued("introduction follow-ups"), lambda: followups_job(settings, store, clock(), renderer), "hour"),
        Job(catalogued("calendar reminders"), lambda: reminders_job(settings, store, clock(), renderer), "hour"),
        Job(catalogued("freshness"), lambda: freshness_job(settings, store, clock(), renderer), "hour"),
        Job(catalogued("recueil"), lambda: voice_job(settings, store, clock(), renderer), "hour"),
        Job(catalogued("news"), lambda: news_job(settings, store, clock(), renderer), "hour"),
        Job(catalogued("pauses"), lambda: pauses_job(settings, store, clock(), renderer), "hour"),
        Job(catalogued("monthly report"), lambda: monthly_report_job(settings, store, clock(), renderer), "hour"),
        # Only where peers are listed: a network without any writes nothing for them.
        *([Job(catalogued("linked networks"), lambda: federation_job(settings, store, clock(), renderer), "hour")]
          if settings.federation.peers else []),
        *([Job(catalogued("pooled events"), lambda: pooled_job(settings, store, clock(), renderer), "hour")]
          if settings.federation.feeds else []),
    ]


def missing_password(settings: Settings) -> str | None:
    """One sentence naming a password variable the IMAP mailbox or the SMTP transport
    logs in with (``auth = "password"``, a ``password_env`` named) that is not set in the
    environment, or None. Read at start: no retry fixes it."""
    for section, kind, wanted in (("mailbox", settings.mailbox.kind, "imap"),
                                  ("transport", settings.transport.kind, "smtp")):
        server = getattr(settings, section).server
        if kind != wanted or server.auth != "password" or not server.password_env or not server.username:
            continue
        try:
            server.password()
        except SecretMissing as error:
            return Said("[{section}] cannot log in: {error}", section=section, error=said_of(error))
    return None


class Daemon:
    """Runs the cycles and jobs of one configuration until told to stop.

    ``clock`` returns aware UTC datetimes; ``jobs`` defaults to :func:`default_jobs`;
    ``sleep`` is :meth:`threading.Event.wait`-like (tests may shorten waits);
    ``renderer``: the one its runner (built here when ``runner`` is None) and its jobs use,
    else the runner makes its own (a host of many networks shares one between networks
    that use the built-in texts only).
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        clock: Clock = utc_now,
        runner: Runner | None = None,
        jobs: list[Job] | None = None,
        renderer: Renderer | None = None,
    ):
        self.settings = settings
        self.store = store
        self.clock = clock
        self.stop_event = threading.Event()
        self.runner = runner or Runner(settings, store, clock=clock, renderer=renderer,
                                       should_stop=self.stop_event.is_set)
        self.scheduler = schedule.Scheduler()
        self.jobs = default_jobs(settings, store, clock, self.runner.renderer) if jobs is None else jobs
        self.state = DaemonState()
        self.exit_status = 0
        self.login_attempts = LOGIN_ATTEMPTS
        """Refused logins in a row before the daemon stops (:data:`LOGIN_ATTEMPTS`)."""
        self._login_refusals = 0
        self.backoff = Backoff()
        self._watcher = None
        self._watcher_retry_at = 0.0
        self._next_poll = 0.0
        self._next_send = float("inf")
        """When mails the send limits held may leave (monotonic): a flush then, not a cycle."""
        self._mail_announced = True

    # --- jobs ---------------------------------------------------------------------------

    def guarded(self, name: str, job: Callable[[], object]) -> Callable[[], None]:
        """``job`` wrapped so that an exception is logged and counted, never raised."""

        def run() -> None:
            if self.stop_event.is_set():
                return
            try:
                job()
                self.state.job_failures.pop(name, None)
                note_job_outcome(self.store, name, self.clock(), None)
            except Exception as error:
                count = self.state.job_failures.get(name, 0) + 1
                self.state.job_failures[name] = count
                problem = os_problem(error) if isinstance(error, OSError) else str(error)
                if isinstance(error, (OSError, StoreError)):  # a full disk: one line, no traceback
                    log.error("job %r failed (%d time(s) in a row): %s; the daemon goes on", name, count, problem)
                else:
                    log.exception("job %r failed (%d time(s) in a row); the daemon goes on", name, count)
                # `rers status` says it, and exits 1, until the job succeeds again.
                note_job_outcome(self.store, name, self.clock(), problem)

        return run

    def install_jobs(self) -> None:
        for job in self.jobs:
            wrapped = self.guarded(job.name, job.run)
            if job.every == "day":
                self.scheduler.every().day.at(job.at or "06:00").do(wrapped)
            else:
                self.scheduler.every().hour.do(wrapped)
            wrapped()  # once at start: a restart must not wait a day for a missed job

    # --- the loop -----------------------------------------------------------------------

    def request_stop(self, signum=None, frame=None) -> None:
        log.info("stop requested (signal %s): finishing the current message", signum)
        self.stop_event.set()

    def run(self) -> int:
        """Lock the instance, install the signal handlers and jobs, loop until stopped.
        Returns 0, or :data:`EXIT_UNFIXABLE` after a fault no retry fixes (see the module
        docstring). Raises :class:`UserError` when another instance holds the store."""
        with InstanceLock(self.settings.store.path):
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGTERM, self.request_stop)
                signal.signal(signal.SIGINT, self.request_stop)
            log.info("rers started for %s", self.settings.network.address)
            missing = missing_password(self.settings)
            if missing is not None:
                self._unfixable("secret", missing)
                log.info("rers stopped")
                return self.exit_status
            self.install_jobs()
            try:
                while not self.stop_event.is_set():
                    self.turn()
            finally:
                self._close_watcher()
            log.info("rers stopped")
        return self.exit_status

    def turn(self) -> None:
        """One turn of the loop: a cycle if due, the due jobs, then a wait."""
        now = time.monotonic()
        if self._mail_announced or now >= self._next_poll:
            if not self._cycle():
                return
        elif now >= self._next_send:
            self._flush_held()
        self.scheduler.run_pending()
        self._wait()

    def _cycle(self) -> bool:
        """Run a cycle; on a server or lock failure, back off. True when it succeeded."""
        try:
            report = self.runner.cycle()
        except (MailboxError, TransportError, StoreBusy) as error:
            text = said_of(error)
            if self._unfixable(getattr(error, "fault", None), text):
                return False
            delay = self.backoff.next_delay()
            self.state.last_error = text
            log.warning("cycle failed (%s); next try in %.0f s", text, delay)
            self._note_failure(text)
            self._close_watcher()
            if isinstance(error, MailboxError):
                self._without_mailbox(error)
            self.stop_event.wait(delay)
            return False
        except (StoreError, OSError) as error:  # a full disk, a folder not writable: one line
            text = os_problem(error) if isinstance(error, OSError) else said_of(error)
            if isinstance(error, StoreCorrupt) and self._unfixable("store", text):
                return False
            delay = self.backoff.next_delay()
            self.state.last_error = text
            log.error("cycle failed (%s); next try in %.0f s", text, delay)
            self._note_failure(text)
            self.stop_event.wait(delay)
            return False
        except Exception as error:
            delay = self.backoff.next_delay()
            log.exception("cycle failed unexpectedly; next try in %.0f s", delay)
            # `rers status` says it and exits 1 as for any failed cycle, until one succeeds.
            self.state.last_error = unexpected_problem(error)
            self._note_failure(self.state.last_error)
            self.stop_event.wait(delay)
            return False
        if self._unfixable(report.flush.fault, report.flush.error or ""):
            return False
        if report.flush.fault is None:
            self._login_refusals = 0
        self.backoff.reset()
        self._mailbox_back()
        self.state.cycles += 1
        self.state.last_error = report.flush.error
        self._mail_announced = False
        self._next_poll = time.monotonic() + self.settings.schedule.poll_seconds
        self._held_until(report.flush.next_departure)
        if report.handled:
            log.info("cycle: %d message(s), %d mail(s) sent", len(report.handled), len(report.flush.sent))
        return True

    def _unfixable(self, fault: str | None, text: str) -> bool:
        """Stop the daemon (exit :data:`EXIT_UNFIXABLE`) on a fault no retry fixes: a
        missing password variable or a store damaged while it ran (``store``: a hand edit
        read again, see :func:`workflows.shell.soundness.sound`) at once, a refused login at
        the :data:`LOGIN_ATTEMPTS`-th in a row. True when it stops."""
        if fault == "login":
            self._login_refusals += 1
            if self._login_refusals < self.login_attempts:
                log.warning("login refused (%d time(s) in a row; the daemon stops at %d): %s",
                            self._login_refusals, self.login_attempts, text)
                return False
            text = Said("{error} ({n} times in a row)", error=text, n=self._login_refusals)
        elif fault not in ("secret", "store"):
            return False
        log.critical("rers stops, no retry can fix this: %s. Fix it, then start the robot again.", text)
        self.state.last_error = text
        self._note_failure(text)
        self.exit_status = EXIT_UNFIXABLE
        self.stop_event.set()
        return True

    def _held_until(self, departure: datetime | None) -> None:
        """Wake for a flush when the first mail the send limits held may leave (``departure``:
        aware UTC, None: nothing held)."""
        if departure is None:
            self._next_send = float("inf")
        else:
            self._next_send = time.monotonic() + max((departure - self.clock()).total_seconds(), 0.0) + 0.5

    def _flush_held(self) -> None:
        """Send what the send limits let leave now (between cycles: a fan-out drains at the
        provider's pace while mail is still read at once)."""
        try:
            report = self.runner.flush()
        except Exception as error:  # the next cycle tries again; nothing is lost
            log.warning("held mail not sent yet: %s", error)
            self._held_until(self.clock() + timedelta(minutes=1))
            return
        if not self._unfixable(report.fault, report.error or ""):
            self._held_until(report.next_departure)

    # --- the mailbox cannot be read ---------------------------------------------------------

    def _without_mailbox(self, error: MailboxError) -> None:
        """What does not need the mailbox goes on while it cannot be read: the due jobs,
        and the outbox (mails already decided, the notices to the animators). After
        :data:`MAILBOX_ALERT_AFTER` the animators are told, once per outage."""
        now = self.clock()
        if self.state.mailbox_down_since is None:
            self.state.mailbox_down_since = now
        if not self.state.mailbox_down_told and now - self.state.mailbox_down_since >= MAILBOX_ALERT_AFTER:
            self.state.mailbox_down_told = self._tell_animators(back=False, error=str(error))
        self.scheduler.run_pending()
        try:
            sent = self.runner.flush()
            if sent.fault == "secret":  # the SMTP password variable is missing too: no retry fixes that
                self._unfixable(sent.fault, sent.error or "")
        except Exception as failure:  # the SMTP server may be down too: the outbox keeps it all
            log.warning("mail not sent while the mailbox is unreachable: %s", failure)

    def _mailbox_back(self) -> None:
        """A cycle succeeded: an outage the animators were told about is over, tell them."""
        if self.state.mailbox_down_since is not None and self.state.mailbox_down_told:
            self._tell_animators(back=True, error="")
        self.state.mailbox_down_since = None
        self.state.mailbox_down_told = False

    def _tell_animators(self, *, back: bool, error: str) -> bool:
        """Queue the ``mailbox_down`` mail (``back``: the outage is over) to the animators.
        True when it is queued (it leaves with the next flush)."""
        animators = self.settings.network.animators
        if not animators:
            return False
        mailbox = self.settings.mailbox
        where = (f"{mailbox.server.host} ({mailbox.folder})" if mailbox.kind == "imap" else str(mailbox.path))
        since = self.state.mailbox_down_since
        try:
            run(self.settings, self.store, self.clock(), tell_animators, template="mailbox_down",
                values={"back": back, "since": since.isoformat(timespec="seconds"), "mailbox": where,
                        "error": error},
                purpose="mailbox_down", cause=f"mailbox-down:{since.isoformat()}:{back}")
        except Exception:
            log.exception("could not tell the animators that the mailbox %s", "is read again" if back else
                          "cannot be read")
            return False
        log.warning("animators told: the mailbox %s", "is read again" if back else "cannot be read")
        return True

    def _note_failure(self, text: str) -> None:
        """Keep the last cycle failure for `rers status`."""
        note_cycle_failure(self.store, self.clock(), text)

    def _wait(self) -> None:
        """Wait until the next poll or job, or until the server announces new mail."""
        until = min(self._next_poll, self._next_send)
        idle = self.scheduler.idle_seconds
        if idle is not None:
            until = min(until, time.monotonic() + max(idle, 0))
        while not self.stop_event.is_set():
            left = until - time.monotonic()
            if left <= 0:
                return
            watcher = self._open_watcher()
            if watcher is None:
                self.stop_event.wait(min(left, 1.0))
                continue
            try:
                # `position`: what the cycle read; mail that came during it is found at once.
                if watcher.idle_wait(min(left, IDLE_SLICE_SECONDS), since=getattr(self.runner, "position", None)):
                    self._mail_announced = True
                    return
            except MailboxError as error:
                log.warning("IDLE stopped (%s); polling until it works again", error)
                self._close_watcher(failed=True)

    def _open_watcher(self):
        """The IDLE connection, opened on first use; None when IDLE cannot be used now."""
        if self.settings.mailbox.kind != "imap":
            return None
        if self._watcher is not None:
            return self._watcher
        if self._watcher_retry_at > time.monotonic():
            return None
        from workflows.shell.runner import open_mailbox

        mailbox = open_mailbox(self.settings, getattr(self.runner, "tokens", None))
        try:
            mailbox.__enter__()
        except MailboxError as error:
            log.warning("cannot open the IDLE connection (%s)", error)
            self._watcher_retry_at = time.monotonic() + self.backoff.first * 6
            return None
        if not mailbox.supports_idle():
            mailbox.__exit__(None, None, None)
            self._watcher_retry_at = float("inf")  # the server does not push: poll
            log.info("the IMAP server does not offer IDLE: polling every %d s", self.settings.schedule.poll_seconds)
            return None
        self._watcher = mailbox
        return mailbox

    def _close_watcher(self, failed: bool = False) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            try:
                watcher.__exit__(None, None, None)
            except Exception:
                pass
        if failed:
            self._watcher_retry_at = time.monotonic() + self.backoff.first * 6
