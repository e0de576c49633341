"""When each queued mail may leave, under a mail provider's send limits (pure logic).

A hosted mailbox caps what it sends: Microsoft 365 about 30 messages a minute and 10,000
recipients a day per mailbox, Google Workspace 2,000 messages (and 2,000 external
recipients) a day; beyond that it answers ``4.7.x`` « too many » or suspends sending for
a day. The outbox therefore sends, at each flush, only what fits in two rolling windows:

- ``per_minute``: at most that many messages in any 60 seconds;
- ``recipients_per_day``: at most that many envelope recipients (RCPT TO, RFC 5321) in any
  24 hours (the providers count each recipient of each message, over a rolling day).

Mails leave in the order given (the outbox's: answers to people before invitation
fan-outs, then oldest first); a mail never leaves before the one ahead of it, so a
fan-out drains in order. A mail with more recipients than a whole day allows leaves
alone, once the day's window is empty (it cannot be split).

Everything here works on plain values: aware datetimes, counts. No I/O, no clock.
"""
from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Sequence

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class SendLimits:
    """A provider's caps; None: no cap of that kind."""

    per_minute: int | None = None
    """Messages in any 60 seconds."""
    recipients_per_day: int | None = None
    """Envelope recipients in any 24 hours (a message to 3 addresses counts 3)."""

    @property
    def any(self) -> bool:
        return self.per_minute is not None or self.recipients_per_day is not None


def departures(waiting: Sequence[int], history: Iterable[tuple[datetime, int]], limits: SendLimits,
               now: datetime, not_before: datetime | None = None) -> list[datetime]:
    """When each waiting mail may leave, in the order given.

    ``waiting``: the number of recipients of each queued mail, in sending order;
    ``history``: ``(sent at, recipients)`` of the mails already sent (any order; only the
    last 24 hours matter); ``now``: aware; ``not_before``: sending paused until then (a
    server's « too many », see :func:`is_throttling`). Returns one aware datetime per
    waiting mail, never earlier than ``now`` nor than the one before it: ``<= now``
    means it may leave at once.
    """
    start = max(now, not_before) if not_before is not None else now
    minute = deque(sorted(t for t, _n in history if t > start - MINUTE)) if limits.per_minute is not None else deque()
    day = deque(sorted((t, n) for t, n in history if t > start - DAY)) if limits.recipients_per_day is not None \
        else deque()
    day_total = sum(n for _t, n in day)
    out = []
    t = start
    for count in waiting:
        count = max(count, 1)
        while True:
            while minute and minute[0] <= t - MINUTE:
                minute.popleft()
            while day and day[0][0] <= t - DAY:
                day_total -= day.popleft()[1]
            if limits.per_minute is not None and len(minute) >= limits.per_minute:
                t = minute[0] + MINUTE
                continue
            if (limits.recipients_per_day is not None and day and day_total + count > limits.recipients_per_day):
                t = day[0][0] + DAY
                continue
            break
        out.append(t)
        if limits.per_minute is not None:
            minute.append(t)
        if limits.recipients_per_day is not None:
            day.append((t, count))
            day_total += count
    return out


_TOO_MANY = re.compile(r"too many|rate[ -]?limit|throttl|quota|limit exceeded|exceeded .*limit|slow down|"
                       r"try again later", re.IGNORECASE)
_ENHANCED = re.compile(r"\b4\.7\.\d{1,3}\b")


def is_throttling(code: int | None, text: str) -> bool:
    """True when an SMTP reply (``code``, its ``text``) asks the sender to slow down: a
    temporary reply (4yz, RFC 5321 §4.2.1) that says « too many », a rate limit or a
    quota, whether its enhanced status (RFC 3463) is ``4.7.x`` (policy: Gmail's
    ``421 4.7.0 Try again later``) or another (Exchange's ``432 4.3.2 … sender thread
    limit exceeded``). Not for a refusal of one recipient: that is the recipient's."""
    if code is None or not 400 <= code < 500:
        return False
    return bool(_TOO_MANY.search(text)) or (bool(_ENHANCED.search(text)) and "limit" in text.lower())


PAUSE_FIRST = timedelta(minutes=1)
PAUSE_LONGEST = timedelta(hours=1)


def pause_after(strikes: int) -> timedelta:
    """How long all sending pauses after the ``strikes``-th « too many » in a row
    (1 = the first): 1, 2, 4 … minutes, at most an hour."""
    return min(PAUSE_FIRST * 2 ** max(strikes - 1, 0), PAUSE_LONGEST)
