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
        lines.append(f"The last cycle failed at {cycle_error['at']} UTC: {cycle_error['error']}")
    for failed in store.outbox.find("status", "failed")[-5:]:
        lines.append(f"  failed mail {failed['message_id']} ({failed['purpose']}): {failed['error']}")
    for failure in failures[-5:]:
        lines.append(f"  failing message {failure['message_id']} ({failure['count']}×): {failure['error']}")
    for failure in parked_failures[-5:]:
        lines.append(f"  parked message {failure['message_id']} ({failure['count']}×): {failure['error']}")
    return "\n".join(lines)
