"""`rers status`: what the robot did last and what waits for it, in plain words.

Its exit status tells the truth (:func:`last_cycle_failed`): 1 when the last cycle failed
or could not send, 0 otherwise; durations are said in the unit that fits (minutes, hours,
days: :func:`ago`)."""
from __future__ import annotations

from datetime import datetime, timedelta

from babel.dates import format_timedelta

from config.settings import Settings
from store import Store, message_key
from workflows.shell.outbox import BULK, limits_of, paused_until, priority_of, waiting


def failures_by_state(store: Store) -> tuple[list[dict], list[dict], int]:
    """The failure records of messages still to be retried, those of parked messages, and
    how many messages the ledger says were parked (a parked message's failure record stays,
    it says why, but is not retried: marked ``parked`` since then, recognised by the
    ledger for a store written before)."""
    parked_keys = {d["message_id"] for d in store.ledger.scan(lambda d: d.get("outcome") == "parked")}
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
    messages that failed, members and items. ``now``: aware, for ages."""
    last = store.get_state("last_cycle")
    if last:
        last_line = f"Last successful cycle: {last} UTC ({ago(now - datetime.fromisoformat(last))} ago)."
    else:
        last_line = "No cycle has completed yet."
    failures, parked_failures, parked = failures_by_state(store)
    lines = [
        f"{settings.network.name} <{settings.network.address}>",
        last_line,
        f"Outbox: {store.outbox.count('status', 'queued')} queued, {store.outbox.count('status', 'sent')} sent, "
        f"{store.outbox.count('status', 'failed')} failed.",
        *waiting_lines(settings, store, now),
        f"Parked messages (folder {settings.mailbox.error_folder!r}): {parked}.",
        f"Messages failing, to be retried: {len(failures)}.",
        f"Members: {store.members.count('status', 'confirmed')} confirmed, "
        f"{store.members.count('status', 'pending')} pending. "
        f"Items: {store.items.count('status', 'open')} open, {store.items.count('status', 'held')} held.",
    ]
    held = held_today(settings, store, now)
    if any(held.values()):
        lines.append(f"Held today by the flood limits ([limits]): {held['forwards']} message(s) not forwarded to the "
                     f"animators (they are in the done folder), {held['joins']} person(s) waiting for their "
                     "confirmation request (`rers members ask M-n` sends it).")
    send_error = store.get_state("last_send_error")
    if send_error:
        lines.append(f"Sending failed at the last cycle: {send_error}")
    cycle_error = store.get_state("last_cycle_error")
    if cycle_error and (not last or cycle_error["at"] > last):
        since = ago(now - datetime.fromisoformat(cycle_error["at"]))
        lines.append(f"The last cycle failed at {cycle_error['at']} UTC ({since} ago): {cycle_error['error']}")
    lines.extend(sent_copy_lines(settings, store, now))
    for failed in store.outbox.find("status", "failed")[-5:]:
        lines.append(f"  failed mail {failed['message_id']} ({failed['purpose']}): {failed['error']}")
    for failure in failures[-5:]:
        lines.append(f"  failing message {failure['message_id']} ({failure['count']}×): {failure['error']}")
    for failure in parked_failures[-5:]:
        lines.append(f"  parked message {failure['message_id']} ({failure['count']}×): {failure['error']}")
    return "\n".join(lines)


def last_cycle_failed(store: Store) -> bool:
    """True when the last cycle failed (after the last successful one) or could not send
    its mail: `rers status` then exits 1, for a monitoring probe."""
    last = store.get_state("last_cycle")
    cycle_error = store.get_state("last_cycle_error")
    failed = bool(cycle_error) and (not last or cycle_error["at"] > last)
    return failed or bool(store.get_state("last_send_error"))


def ago(duration: timedelta) -> str:
    """A duration in the unit that fits, for people: ``40 seconds``, ``12 minutes``,
    ``5 hours``, ``3 days`` (Babel's CLDR wording; a negative one reads as its size)."""
    return format_timedelta(abs(duration), threshold=1.5, locale="en")


def waiting_lines(settings: Settings, store: Store, now: datetime) -> list[str]:
    """What waits in the outbox and when it will leave (``now``: aware UTC): the answers
    to people and the bulk mails (invitations) apart, the next and the last departure,
    the send limits, and a pause a server's « too many » asked for."""
    limits = limits_of(settings.transport)
    queue = waiting(store, limits, now)
    lines = []
    pause = paused_until(store)
    if pause is not None and pause > now:
        said = (store.get_state("send_pause") or {}).get("error") or ""
        lines.append(f"Sending paused until {pause:%Y-%m-%d %H:%M} UTC (in {ago(pause - now)}): the server asked "
                     f"to send less ({said}).")
    if not queue:
        return lines
    bulk = sum(1 for mail, _at in queue if priority_of(mail))
    first, last = queue[0][1], queue[-1][1]

    def when(at: datetime) -> str:
        return "at the next flush" if at <= now else f"in {ago(at - now)} ({at:%Y-%m-%d %H:%M} UTC)"

    lines.append(f"Waiting: {len(queue) - bulk} answer(s) and notice(s) first, then {bulk} invitation(s) to many "
                 f"({', '.join(sorted(BULK))}); the next leaves {when(first)}, the last {when(last)}. "
                 f"Send limits ([transport]): {limits.describe()}.")
    return lines


def sent_copy_lines(settings: Settings, store: Store, now: datetime) -> list[str]:
    """The copies in ``[transport] sent_folder`` still to make (the mailbox could not take
    them yet: the running robot tries again at each sending) and those given up."""
    folder = settings.transport.sent_folder
    if not folder:
        return []
    lines = []
    pending = list(store.outbox.scan(lambda m: m.get("status") == "sent" and m.get("raw")))
    if pending:
        oldest = min(datetime.fromisoformat(m["sent"]) for m in pending)
        lines.append(f"{len(pending)} sent mail(s) wait for their copy in {folder!r} (the oldest sent "
                     f"{ago(now - oldest)} ago; retried at each sending).")
    lost = store.get_state("sent_copies_lost")
    if lost:
        lines.append(f"{lost['count']} sent mail(s) never reached {lost.get('folder', folder)!r}: the mailbox did not "
                     f"take their copy for a week (the last given up {lost['last']} UTC).")
    return lines
