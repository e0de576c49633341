"""`rers status`: what the robot did last and what waits for it, in plain words.

Its exit status tells the truth (:func:`status_failed`): 1 when the last cycle failed
or could not send, or the store is damaged (the robot refuses to work on it), 0 otherwise; durations are said in the unit that fits (minutes, hours,
days: :func:`ago`)."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from babel.dates import format_date, format_datetime, format_timedelta

from config.settings import Settings
from store import Store, message_key
from workflows.mail.labels import label_of
from workflows.mail.render import long_day_pattern
from workflows.model.said import Said, kept, unkept
from workflows.shell.language import Words, words_for
from workflows.shell.outbox import limits_of, limits_said, paused_until, priority_of, waiting
from workflows.shell.soundness import damage_said
from workflows.shell.synonyms import read_animators

log = logging.getLogger(__name__)

PARKED = Said("parked")
"""The outcome of a message set aside in the error folder, and its ledger entry's
(:class:`workflows.shell.runner.Handled`)."""


def was_parked(entry: dict) -> bool:
    """True when the ledger's ``entry`` says its message was parked (its outcome kept as
    data, :func:`workflows.model.said.kept`, or as text by a robot before)."""
    return unkept(entry.get("outcome")) == PARKED


def failures_by_state(store: Store) -> tuple[list[dict], list[dict], int]:
    """The failure records of messages still to be retried, those of parked messages, and
    how many messages the ledger says were parked (a parked message's failure record stays,
    it says why, but is not retried: marked ``parked`` since then, recognised by the
    ledger for a store written before)."""
    parked_keys = {d["message_id"] for d in store.ledger.scan(was_parked)}
    failures, parked = [], []
    for failure in store.failures.all():
        is_parked = failure.get("parked") or message_key(failure["message_id"]) in parked_keys
        (parked if is_parked else failures).append(failure)
    return failures, parked, len(parked_keys)


def held_today(settings: Settings, store: Store, now: datetime) -> dict[str, int]:
    """What the flood limits hold back (docs/security.md, "Floods"): ``forwards``, the
    messages not handed to the animators today (their sender's forwards used up);
    ``joins``, the pending members whose confirmation request was never sent."""
    today = now.astimezone(settings.network.zone).date().isoformat()
    forwards = sum(d["count"] for d in store.replies.scan(
        lambda d: d.get("day") == today and d["key"].startswith("forward_held:")))
    asked = {q["member"] for q in store.questions.scan(lambda q: q["kind"] == "join")}
    joins = sum(1 for m in store.members.find("status", "pending") if m["ref"] not in asked)
    return {"forwards": forwards, "joins": joins}


def status_text(settings: Settings, store: Store, now: datetime) -> str:
    """A few lines for an animator or an operator: last cycle, outbox, parked messages,
    messages that failed, members and items, what the animators' synonyms file leaves
    out (read now: :mod:`workflows.shell.synonyms`), in the network's language. ``now``: aware,
    for ages."""
    say = words_for(settings)
    last = store.get_state("last_cycle")
    if last:
        at = datetime.fromisoformat(last)
        last_line = say("Last successful cycle: {at} ({when}).", at=moment(at, settings, say),
                        when=relative(at, now, say))
    else:
        last_line = say("No cycle has completed yet.")
    failures, parked_failures, parked = failures_by_state(store)
    damaged = damage_said(store)  # `rers run` and `rers poll` refuse it: said before the rest
    lines = [
        f"{settings.network.name} <{settings.network.address}>",
        last_line,
        *([damaged.said(say)] if damaged is not None else []),
        say("Outbox: {queued} queued, {sent} sent, {failed} failed.", queued=store.outbox.count("status", "queued"),
            sent=store.outbox.count("status", "sent"), failed=store.outbox.count("status", "failed")),
        *waiting_lines(settings, store, now, say),
        say("Parked messages (folder {folder!r}): {n}.", folder=settings.mailbox.error_folder, n=parked),
        say("Messages failing, to be retried: {n}.", n=len(failures)),
        say("Members: {confirmed} confirmed, {pending} pending. Items: {open} open, {held} held.",
            confirmed=store.members.count("status", "confirmed"), pending=store.members.count("status", "pending"),
            open=store.items.count("status", "open"), held=store.items.count("status", "held")),
    ]
    held = held_today(settings, store, now)
    if any(held.values()):
        lines.append(say("Held today by the flood limits ([limits]): {forwards} message(s) not forwarded to the "
                         "animators (they are in the done folder), {joins} person(s) waiting for their "
                         "confirmation request (`rers members ask M-n` sends it).", **held))
    send_error = store.get_state("last_send_error")
    if send_error:
        lines.append(say("Sending failed at the last cycle: {error}", error=unkept(send_error)))
    cycle_error = store.get_state("last_cycle_error")
    if cycle_error and (not last or cycle_error["at"] > last):
        at = datetime.fromisoformat(cycle_error["at"])
        lines.append(say("The last cycle failed on {at} ({when}): {error}", at=moment(at, settings, say),
                         when=relative(at, now, say), error=unkept(cycle_error["error"])))
    for name, job_error in sorted((store.get_state("job_errors") or {}).items()):
        at = datetime.fromisoformat(job_error["at"])
        lines.append(say("The job {job} failed on {at} ({when}): {error}", job=say(name), at=moment(at, settings, say),
                         when=relative(at, now, say), error=unkept(job_error["error"])))
    lines.extend(sent_copy_lines(settings, store, now, say))
    # A warning, not a failure: mail is handled all the same (with the built-in synonyms).
    lines.extend(problem.said(say) for problem in read_animators(settings.matching.synonyms_file).problems)
    for failed in store.outbox.find("status", "failed")[-5:]:
        lines.append(say("  failed mail {id} ({purpose}): {error}", id=failed["message_id"], purpose=failed["purpose"],
                         error=unkept(failed["error"])))
    for failure in failures[-5:]:
        lines.append(say("  failing message {id} ({count}×): {error}", id=failure["message_id"],
                         count=failure["count"], error=unkept(failure["error"])))
    for failure in parked_failures[-5:]:
        lines.append(say("  parked message {id} ({count}×): {error}", id=failure["message_id"],
                         count=failure["count"], error=unkept(failure["error"])))
    return "\n".join(lines)


def note_cycle_failure(store: Store, at: datetime, text: str) -> None:
    """Keep a cycle's failure (``text``: English, a :class:`Said` said later in the
    network's language) at ``at`` (aware) for :func:`status_text` and
    :func:`status_failed`, until a later cycle succeeds (the runner clears it). Best
    effort: the store itself may be what fails."""
    try:
        with store.transaction():
            store.set_state("last_cycle_error", {"at": at.isoformat(timespec="seconds"), "error": kept(text)})
    except Exception:
        log.debug("could not record the failure in the store", exc_info=True)


def note_job_outcome(store: Store, name: str, at: datetime, error: Said | str | None) -> None:
    """Keep the failure of the scheduled job ``name`` (English, as
    :class:`workflows.shell.daemon.Job` names it) at ``at`` (aware), or forget it when
    ``error`` is None (the job succeeded), for :func:`status_text` and
    :func:`status_failed`; state ``job_errors``: ``{name: {"at": ISO, "error": kept}}``.
    Best effort, as :func:`note_cycle_failure`; writes nothing when nothing changes."""
    try:
        errors = dict(store.get_state("job_errors") or {})
        if error is None and name not in errors:
            return
        if error is None:
            del errors[name]
        else:
            errors[name] = {"at": at.isoformat(timespec="seconds"), "error": kept(error)}
        with store.transaction():
            store.set_state("job_errors", errors or None)
    except Exception:
        log.debug("could not record the job's outcome in the store", exc_info=True)


def status_failed(store: Store) -> bool:
    """True when the last cycle failed (after the last successful one) or could not send
    its mail, a scheduled job failed at its last run, or the store is damaged
    (:func:`workflows.shell.soundness.damage_said`: no cycle runs until it is mended):
    `rers status` then exits 1, for a monitoring probe."""
    last = store.get_state("last_cycle")
    cycle_error = store.get_state("last_cycle_error")
    failed = bool(cycle_error) and (not last or cycle_error["at"] > last)
    return (failed or bool(store.get_state("last_send_error")) or bool(store.get_state("job_errors"))
            or damage_said(store) is not None)


def ago(duration: timedelta, say: Words) -> str:
    """A duration in the unit that fits, in ``say``'s language: ``40 seconds``, ``12
    minutes``, ``5 hours``, ``3 jours`` (Babel's CLDR wording; a negative one reads as
    its size)."""
    return format_timedelta(abs(duration), threshold=1.5, locale=say.language)


def moment(at: datetime, settings: Settings, say: Words) -> str:
    """``at`` (aware) as a date and time in the network's time zone, in ``say``'s language
    (Babel's full date): « lundi 4 janvier 2027 à 09:00 (Europe/Paris) »."""
    local = at.astimezone(settings.network.zone)
    return say("{date} at {time} ({zone})", date=format_date(local, long_day_pattern(local, say.language, "full"),
                                                             locale=say.language),
               time=local.strftime("%H:%M"), zone=settings.network.timezone)


def clock_time(at: datetime, now: datetime, settings: Settings, say: Words) -> str:
    """``at`` (aware) as the network's local time: the hour alone on ``now``'s local day
    (« 09:05 »), else a short date and hour in ``say``'s language (« 05/01/2027 09:05 »):
    for departures that come within minutes or hours."""
    local, today = at.astimezone(settings.network.zone), now.astimezone(settings.network.zone)
    if local.date() == today.date():
        return local.strftime("%H:%M")
    return format_datetime(local, "short", locale=say.language)


def relative(at: datetime, now: datetime, say: Words) -> str:
    """How far ``at`` is from ``now`` (both aware), in the unit that fits and in ``say``'s
    language: « il y a 3 jours », or « dans 4 mois » for a time after ``now`` (a sandbox's
    moved clock, read later without ``--now``)."""
    return format_timedelta(at - now, threshold=1.5, add_direction=True, locale=say.language)


def waiting_lines(settings: Settings, store: Store, now: datetime, say: Words) -> list[str]:
    """What waits in the outbox and when it will leave (``now``: aware UTC): the answers
    to people and the bulk mails (invitations) apart, the next and the last departure,
    the send limits, and a pause a server's « too many » asked for."""
    limits = limits_of(settings.transport)
    queue = waiting(store, limits, now)
    lines = []
    pause = paused_until(store)
    if pause is not None and pause > now:
        said = unkept((store.get_state("send_pause") or {}).get("error")) or ""
        lines.append(say("Sending paused until {until} (in {delay}): the server asked to send less ({said}).",
                         until=clock_time(pause, now, settings, say), delay=ago(pause - now, say), said=said))
    if not queue:
        return lines
    bulk = sum(1 for mail, _at in queue if priority_of(mail))
    first, last = queue[0][1], queue[-1][1]

    def when(at: datetime) -> str:
        if at <= now:
            return say("at the next flush")
        return say("in {delay} ({at})", delay=ago(at - now, say), at=clock_time(at, now, settings, say))

    if bulk:
        kinds = sorted({label_of(mail.get("purpose"), "purpose", say.language) for mail, _at in queue if priority_of(mail)})
        waits = say("Waiting: {answers} answer(s) and notice(s) first, then {bulk} invitation(s) to many ({kinds}); "
                    "the next leaves {first}, the last {last}.", answers=len(queue) - bulk, bulk=bulk,
                    kinds=", ".join(kinds), first=when(first), last=when(last))
    else:
        waits = say("Waiting: {answers} answer(s) and notice(s); the next leaves {first}, the last {last}.",
                    answers=len(queue), first=when(first), last=when(last))
    lines.append(waits + " " + say("Send limits ([transport]): {limits}.", limits=limits_said(limits)))
    return lines


def stamp_said(stamp: str, settings: Settings, say: Words) -> str:
    """A stored ISO 8601 time as :func:`moment` says it; the text as it is when it is not one."""
    try:
        at = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return str(stamp)
    return moment(at if at.tzinfo else at.replace(tzinfo=settings.network.zone), settings, say)


def sent_copy_lines(settings: Settings, store: Store, now: datetime, say: Words) -> list[str]:
    """The copies in ``[transport] sent_folder`` still to make (the mailbox could not take
    them yet: the running robot tries again at each sending) and those given up."""
    folder = settings.transport.sent_folder
    if not folder:
        return []
    lines = []
    pending = list(store.outbox.scan(lambda m: m.get("status") == "sent" and m.get("raw")))
    if pending:
        oldest = min(datetime.fromisoformat(m["sent"]) for m in pending)
        lines.append(say("{n} sent mail(s) wait for their copy in {folder!r} (the oldest sent {ago} ago; retried at "
                         "each sending).", n=len(pending), folder=folder, ago=ago(now - oldest, say)))
    lost = store.get_state("sent_copies_lost")
    if lost:
        lines.append(say("{n} sent mail(s) never reached {folder!r}: the mailbox did not take their copy for a week "
                         "(the last given up {last}).", n=lost["count"], folder=lost.get("folder", folder),
                         last=stamp_said(lost["last"], settings, say)))
    return lines
