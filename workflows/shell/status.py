"""`rers status`: what the robot did last and what waits for it, in plain words."""
from __future__ import annotations

from datetime import datetime

from config.settings import Settings
from store import Store, message_key


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


def status_text(settings: Settings, store: Store, now: datetime) -> str:
    """A few lines for an animator or an operator: last cycle, outbox, parked messages,
    messages that failed, members and items. ``now``: aware, for ages."""
    last = store.get_state("last_cycle")
    if last:
        age = now - datetime.fromisoformat(last)
        minutes = int(age.total_seconds() // 60)
        last_line = f"Last successful cycle: {last} UTC ({minutes} min ago)."
    else:
        last_line = "No cycle has completed yet."
    failures, parked_failures, parked = failures_by_state(store)
    lines = [
        f"{settings.network.name} <{settings.network.address}>",
        last_line,
        f"Outbox: {store.outbox.count('status', 'queued')} queued, {store.outbox.count('status', 'sent')} sent, "
        f"{store.outbox.count('status', 'failed')} failed.",
        f"Parked messages (folder {settings.mailbox.error_folder!r}): {parked}.",
        f"Messages failing, to be retried: {len(failures)}.",
        f"Members: {store.members.count('status', 'confirmed')} confirmed, "
        f"{store.members.count('status', 'pending')} pending. "
        f"Items: {store.items.count('status', 'open')} open, {store.items.count('status', 'held')} held.",
    ]
    send_error = store.get_state("last_send_error")
    if send_error:
        lines.append(f"Sending failed at the last cycle: {send_error}")
    cycle_error = store.get_state("last_cycle_error")
    if cycle_error and (not last or cycle_error["at"] > last):
        lines.append(f"The last cycle failed at {cycle_error['at']} UTC: {cycle_error['error']}")
    for failed in store.outbox.find("status", "failed")[-5:]:
        lines.append(f"  failed mail {failed['message_id']} ({failed['purpose']}): {failed['error']}")
    for failure in failures[-5:]:
        lines.append(f"  failing message {failure['message_id']} ({failure['count']}×): {failure['error']}")
    for failure in parked_failures[-5:]:
        lines.append(f"  parked message {failure['message_id']} ({failure['count']}×): {failure['error']}")
    return "\n".join(lines)
