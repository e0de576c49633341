"""`rers run`: the long-running robot.

A :class:`schedule.Scheduler` (one per daemon, no global scheduler) runs the jobs: a cycle
every ``poll_seconds``, the calendar publication each day at ``publish_time`` and at
start. ``schedule`` does not catch exceptions, so every job is wrapped: a failure is
logged, and the daemon goes on.

SIGTERM and SIGINT ask the daemon to stop: the current message is finished and committed,
then ``run`` returns 0.
"""
from __future__ import annotations

import logging
import signal
import threading
from typing import Callable

import schedule

from config.settings import Settings
from store import Store
from workflows.calendar_jobs import publish_calendar
from workflows.runner import Clock, Runner, utc_now

log = logging.getLogger(__name__)


class Daemon:
    """Runs the jobs of one configuration until told to stop."""

    def __init__(self, settings: Settings, store: Store, *, clock: Clock = utc_now, runner: Runner | None = None):
        self.settings = settings
        self.store = store
        self.clock = clock
        self.stop_event = threading.Event()
        self.runner = runner or Runner(settings, store, clock=clock, should_stop=self.stop_event.is_set)
        self.scheduler = schedule.Scheduler()
        self.failures: dict[str, int] = {}

    def guarded(self, name: str, job: Callable[[], object]) -> Callable[[], None]:
        """``job`` wrapped so that an exception is logged and counted, never raised."""

        def run() -> None:
            if self.stop_event.is_set():
                return
            try:
                job()
                self.failures.pop(name, None)
            except Exception:
                self.failures[name] = self.failures.get(name, 0) + 1
                log.exception("job %s failed (%d time(s) in a row); the daemon goes on", name, self.failures[name])

        return run

    def install_jobs(self) -> None:
        poll = self.guarded("poll", self.runner.cycle)
        publish = self.guarded("calendar", lambda: publish_calendar(self.settings, self.store, self.clock()))
        self.scheduler.every(self.settings.schedule.poll_seconds).seconds.do(poll)
        self.scheduler.every().day.at(self.settings.schedule.publish_time.strftime("%H:%M")).do(publish)
        publish()
        poll()

    def request_stop(self, signum=None, frame=None) -> None:
        log.info("stop requested (signal %s): finishing the current message", signum)
        self.stop_event.set()

    def run(self) -> int:
        """Install signal handlers and jobs, loop until stopped; returns the exit status 0."""
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)
        log.info("rers started for %s", self.settings.network.address)
        self.install_jobs()
        while not self.stop_event.is_set():
            self.scheduler.run_pending()
            delay = self.scheduler.idle_seconds
            self.stop_event.wait(timeout=max(0.05, min(delay if delay is not None else 1.0, 1.0)))
        log.info("rers stopped")
        return 0
