"""The daemon's scheduled work, each job one step carried out in a transaction of its own
(:func:`workflows.shell.apply.run`), or the shell's own publication and housekeeping.

Every function takes ``(settings, store, now)`` (``now`` aware UTC) and, optionally, the
process's ``renderer`` (templates compiled once: the daemon passes its runner's); it is
what ``rers jobs`` and the daemon run; each raises :class:`store.StoreError` when the
store cannot be written (the daemon logs it and goes on).
"""
from __future__ import annotations

import logging
from datetime import datetime

from config.settings import Settings
from store import Store
from workflows.mail.render import Renderer
from workflows.shell.apply import run, run_plan
from workflows.shell.erasure import after_erasure
from workflows.shell.feeds import read_feeds
from workflows.steps.federated_introductions import linked_work
from workflows.steps.followups import FollowupReport, followups
from workflows.steps.freshness import FreshnessReport, freshness
from workflows.steps.membership import expire_pending
from workflows.steps.news import news
from workflows.steps.pauses import pauses_due
from workflows.steps.pooled import PoolReport, pool_feeds
from workflows.steps.reminders import send_reminders
from workflows.steps.reports import monthly_report
from workflows.steps.voice import VoiceReport, collection_due

log = logging.getLogger(__name__)


def expire_pending_job(settings: Settings, store: Store, now: datetime, renderer: Renderer | None = None) -> list[str]:
    """Erase the joins not confirmed within ``pending_days``, then take their mail out of
    the mailbox and rewrite the public page and feeds
    (:func:`workflows.shell.erasure.after_erasure`); returns the refs erased."""
    from workflows.shell.runner import open_mailbox

    erased, plan = run_plan(settings, store, now, expire_pending, renderer=renderer)
    after_erasure(settings, store, now, plan.erased, mailbox_factory=lambda: open_mailbox(settings), renderer=renderer)
    return erased


def followups_job(settings: Settings, store: Store, now: datetime, renderer: Renderer | None = None) -> FollowupReport:
    """The introductions' reminders, expiries, bilan questions and completions due now."""
    report = run(settings, store, now, followups, renderer=renderer)
    if report.reminders or report.expired or report.bilans or report.completed or report.reoffered:
        log.info("introductions: %s", report)
    return report


def reminders_job(settings: Settings, store: Store, now: datetime, renderer: Renderer | None = None) -> list[str]:
    """The day-before reminders and the animators' list (from 17:00 local time)."""
    return run(settings, store, now, send_reminders, renderer=renderer)


def monthly_report_job(settings: Settings, store: Store, now: datetime, renderer: Renderer | None = None) -> str | None:
    """Last month's report, once."""
    return run(settings, store, now, monthly_report, renderer=renderer)


def pauses_job(settings: Settings, store: Store, now: datetime, renderer: Renderer | None = None) -> list[str]:
    """The members whose pause ends today: back, their items open again, told so."""
    ended = run(settings, store, now, pauses_due, renderer=renderer)
    if ended:
        log.info("pauses ended: %d member(s)", len(ended))
    return ended


def voice_questions(settings: Settings) -> list[str]:
    """The collection's questions: ``[voice] questions_file`` (one a line, blank lines and
    ``#`` lines left out), else the built-in ones in the network's language."""
    from workflows.model.voice import DEFAULT_QUESTIONS, questions_from_text

    path = settings.voice.questions_file
    if path is not None:
        found = questions_from_text(path.read_text(encoding="utf-8"))
        if found:
            return found
    return list(DEFAULT_QUESTIONS.get(settings.network.language, DEFAULT_QUESTIONS["fr"]))


def voice_job(settings: Settings, store: Store, now: datetime, renderer: Renderer | None = None) -> VoiceReport:
    """The échanges sur les échanges by mail: the collection before each one, the synthesis
    a week before, old answers deleted (:func:`workflows.steps.voice.collection_due`)."""
    report = run(settings, store, now, collection_due, voice_questions(settings), renderer=renderer)
    if report.started or report.synthesised or report.deleted:
        log.info("recueil: %s", report)
    return report


def freshness_job(settings: Settings, store: Store, now: datetime, renderer: Renderer | None = None) -> FreshnessReport:
    """« Toujours d'actualité ? » to the members of items untouched ``freshness_days``; the
    items left unanswered ``expiry_days`` set aside."""
    report = run(settings, store, now, freshness, renderer=renderer)
    if report.asked or report.paused:
        log.info("freshness: %s", report)
    return report


def news_job(settings: Settings, store: Store, now: datetime, renderer: Renderer | None = None) -> list[str]:
    """The monthly news, on the first Monday of a month, to the members who asked for it."""
    sent = run(settings, store, now, news, renderer=renderer)
    if sent:
        log.info("news sent to %d member(s)", len(sent))
    return sent


def federation_job(settings: Settings, store: Store, now: datetime, renderer: Renderer | None = None, *,
                   asked: bool = False) -> list[str]:
    """Linked networks (:func:`workflows.steps.federated_introductions.linked_work`): a
    ``hello`` to each peer not linked yet, the shared catalogue to each linked one when it
    changed (once a day at most, unless ``asked``: `rers federation send`),
    cross-network introductions expired and proposed. Returns what was sent. Raises
    :class:`workflows.shell.errors.UserError` when the signing key is missing (nothing is
    then written)."""
    sent = run(settings, store, now, linked_work, asked, renderer=renderer)
    if sent:
        log.info("linked networks: %s", ", ".join(sent))
    return sent


def pooled_job(settings: Settings, store: Store, now: datetime, renderer: Renderer | None = None) -> PoolReport:
    """Pooled events (:func:`workflows.steps.pooled.pool_feeds`): read each
    ``[[federation.feeds]]`` (outside the store's lock: a slow server holds nothing up),
    then bring their events into the calendar, invite or cancel, and send the counts.
    Raises :class:`workflows.shell.errors.UserError` when the signing key is missing and
    a count is to be sent (nothing is then written)."""
    fetched = read_feeds(settings.federation.feeds)
    report = run(settings, store, now, pool_feeds, fetched, renderer=renderer)
    if report.changes or report.counts:
        log.info("pooled events: %s; changes: %s; counts to: %s", ", ".join(report.lines),
                 ", ".join(report.changes) or "none", ", ".join(report.counts) or "none")
    return report
