"""The network's events as plain data: a series, its rule, and its JSON shape.

An :class:`EventSeries` is one calendar object (one ``UID``): the weekly permanence, the
monthly meeting, the twice-yearly *échanges sur les échanges*, or a one-off meeting or
workshop. Its times are wall-clock times in the series' zone (``tzid``, the network zone);
the only instant it holds, ``dtstamp``, is UTC.

A store keeps a series as the JSON-safe dict of :meth:`EventSeries.to_dict` and reads it
back with :meth:`EventSeries.from_dict` (dates ``YYYY-MM-DD``, times ``HH:MM[:SS]``,
``dtstamp`` ISO-8601 with ``+00:00``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timezone
from typing import Any, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

KINDS = ("permanence", "monthly_meeting", "exchange_review", "meeting", "workshop", "group_session", "pooled")
"""What an event is, for the robot's texts and for telling configured series from one-offs.
A ``group_session`` is a session of a group (``G-<n>``): only the group's members are
invited, and it is not in the public feed. A ``pooled`` event is a linked network's,
read from its published calendar (:mod:`workflows.events.feeds`): only the members who
asked for « réseaux voisins » are invited, and it is not in this network's feed (it is
the peer's to publish)."""

PRIVATE_KINDS = ("group_session", "pooled")
"""Kinds never published in the network's feed: only their invitees have them."""

CONFIGURED_KINDS = ("permanence", "monthly_meeting", "exchange_review")
"""Kinds that come from the configuration (``state.series_from_settings``)."""

FREQUENCIES = ("weekly", "monthly", "yearly", "once")

ICAL_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
"""RFC 5545 3.3.10 weekday codes, indexed like :meth:`datetime.date.weekday` (0 = Monday)."""

_UID = re.compile(r"^[A-Za-z0-9._\-]+@[A-Za-z0-9.\-]+$")


@dataclass(frozen=True)
class Rule:
    """When a series happens, as local dates (RFC 5545 3.3.10 RECUR, a useful subset).

    - ``freq = "weekly"``: every ``weekday`` (0 = Monday … 6 = Sunday).
    - ``freq = "monthly"``: the ``nth`` ``weekday`` of every month (``nth`` 1…5, or -1 for
      the last one).
    - ``freq = "yearly"``: the ``nth`` ``weekday`` of each month in ``months`` (1…12).
    - ``freq = "once"``: the single day ``starts``.

    ``starts`` is the first day the series may occur, ``until`` the last one (inclusive;
    None: no end). Raises ``ValueError`` when the fields do not fit ``freq``.
    """

    freq: str
    starts: date
    until: date | None = None
    weekday: int | None = None
    nth: int | None = None
    months: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.freq not in FREQUENCIES:
            raise ValueError(f"unknown frequency {self.freq!r} (one of {', '.join(FREQUENCIES)})")
        if self.until is not None and self.until < self.starts:
            raise ValueError(f"rule ends ({self.until}) before it starts ({self.starts})")
        if self.freq == "once":
            if self.weekday is not None or self.nth is not None or self.months or self.until not in (None, self.starts):
                raise ValueError("a 'once' rule has only a date (starts)")
            return
        if self.weekday not in range(7):
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {self.weekday!r}")
        if self.freq == "weekly":
            if self.nth is not None or self.months:
                raise ValueError("a weekly rule has no nth and no months")
            return
        if self.nth not in (1, 2, 3, 4, 5, -1):
            raise ValueError(f"nth must be 1 to 5 or -1 (last), not {self.nth!r}")
        if self.freq == "monthly" and self.months:
            raise ValueError("a monthly rule has no months (use a yearly rule)")
        if self.freq == "yearly":
            if not self.months or any(m not in range(1, 13) for m in self.months):
                raise ValueError(f"a yearly rule needs months 1 to 12, not {self.months!r}")
            if tuple(sorted(set(self.months))) != self.months:
                raise ValueError(f"months must be sorted and distinct, not {self.months!r}")

    @classmethod
    def weekly(cls, weekday: int, starts: date, until: date | None = None) -> Rule:
        return cls("weekly", starts, until, weekday=weekday)

    @classmethod
    def monthly(cls, nth: int, weekday: int, starts: date, until: date | None = None) -> Rule:
        return cls("monthly", starts, until, weekday=weekday, nth=nth)

    @classmethod
    def yearly(cls, months: Iterable[int], nth: int, weekday: int, starts: date, until: date | None = None) -> Rule:
        return cls("yearly", starts, until, weekday=weekday, nth=nth, months=tuple(sorted(set(months))))

    @classmethod
    def once(cls, day: date) -> Rule:
        return cls("once", day)

    @property
    def recurring(self) -> bool:
        return self.freq != "once"

    def to_dict(self) -> dict[str, Any]:
        return {
            "freq": self.freq,
            "starts": self.starts.isoformat(),
            "until": self.until.isoformat() if self.until else None,
            "weekday": self.weekday,
            "nth": self.nth,
            "months": list(self.months),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rule:
        return cls(
            freq=data["freq"],
            starts=date.fromisoformat(data["starts"]),
            until=date.fromisoformat(data["until"]) if data.get("until") else None,
            weekday=data.get("weekday"),
            nth=data.get("nth"),
            months=tuple(data.get("months") or ()),
        )


@dataclass(frozen=True)
class EventSeries:
    """One event series (one ``UID``) and its publication state.

    - ``uid``: stable and globally unique, ``<name>-<network tag>@<network domain>``
      (RFC 5545 3.8.4.7; see :func:`workflows.events.state.network_tag`); a series
      stored before the tag existed keeps its ``<name>@<domain>``.
    - ``kind``: one of :data:`KINDS`; ``title`` the SUMMARY, ``place`` the LOCATION.
    - ``start_time`` / ``end_time``: wall-clock times in ``tzid`` (an IANA zone), same day,
      ``end_time`` after ``start_time``.
    - ``holidays``: public holidays the rule falls on and skips (computed by
      :func:`workflows.events.rules.public_holidays`); ``closures``: configured closure
      days; ``cancelled_dates``: occurrences cancelled one by one (animator command).
      All three become ``EXDATE`` s in the feed.
    - ``cancelled``: the whole series is called off (``STATUS:CANCELLED``).
    - ``sequence`` (RFC 5545 3.8.7.4) and ``dtstamp`` (UTC, 3.8.7.2): set by
      :func:`workflows.events.state.reconcile`, never by the wall clock.
    - ``organizer``: the functional address the series was first published under (its
      iTIP ``ORGANIZER``), kept for the UID's life: a cancellation sent after the network
      changed its address must come from the organizer the members' agendas know (RFC
      5546 §3.2.5). None for a series stored before rers kept it (the current address
      is then taken, and stored at the next reconciliation). Not part of
      :meth:`content`: keeping it never raises the SEQUENCE.
    - ``group``: the group (``G-3``) whose session this is (kind ``group_session`` only),
      else None; absent from the JSON dict when None, so that the series stored before
      groups existed read and compare as they did.
    - ``peer`` and ``peer_uid`` (kind ``pooled`` only, else None and absent from the
      JSON dict): the robot address of the linked network whose event this is, and the
      UID it publishes it under (what its ``count`` messages name).

    Raises ``ValueError`` on a field that cannot be published.
    """

    uid: str
    kind: str
    title: str
    rule: Rule
    start_time: time
    end_time: time
    tzid: str = "Europe/Paris"
    place: str = ""
    description: str = ""
    holidays: tuple[date, ...] = ()
    closures: tuple[date, ...] = ()
    cancelled_dates: tuple[date, ...] = ()
    cancelled: bool = False
    sequence: int = 0
    dtstamp: datetime | None = field(default=None)
    organizer: str | None = None
    group: str | None = None
    peer: str | None = None
    peer_uid: str | None = None

    def __post_init__(self) -> None:
        if not _UID.match(self.uid):
            raise ValueError(f"uid must look like name@domain, not {self.uid!r}")
        if self.kind not in KINDS:
            raise ValueError(f"unknown event kind {self.kind!r} (one of {', '.join(KINDS)})")
        if not self.title.strip():
            raise ValueError("an event needs a title")
        if self.start_time.tzinfo is not None or self.end_time.tzinfo is not None:
            raise ValueError("start_time and end_time are wall-clock times without a zone")
        if self.end_time <= self.start_time:
            raise ValueError(f"end_time {self.end_time} must be after start_time {self.start_time}")
        try:
            ZoneInfo(self.tzid)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.tzid!r}") from None
        if self.sequence < 0:
            raise ValueError("sequence must not be negative")
        if (self.kind == "group_session") != (self.group is not None):
            raise ValueError("a group session, and only one, names its group")
        if (self.kind == "pooled") != (self.peer is not None and self.peer_uid is not None):
            raise ValueError("a pooled event, and only one, names its peer and the peer's UID")
        if self.dtstamp is not None and self.dtstamp.utcoffset() != timezone.utc.utcoffset(None):
            raise ValueError("dtstamp must be a UTC datetime")
        for name in ("holidays", "closures", "cancelled_dates"):
            days = getattr(self, name)
            if tuple(sorted(set(days))) != tuple(days):
                raise ValueError(f"{name} must be sorted and distinct")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tzid)

    @property
    def exdates(self) -> tuple[date, ...]:
        """Every day the rule skips: holidays, closures and cancelled occurrences, sorted."""
        return tuple(sorted(set(self.holidays) | set(self.closures) | set(self.cancelled_dates)))

    def content(self) -> dict[str, Any]:
        """The JSON dict without ``sequence`` and ``dtstamp``: what a change is judged on."""
        data = self.to_dict()
        del data["sequence"], data["dtstamp"], data["organizer"]
        return data

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (see the module docstring); :meth:`from_dict` reverses it."""
        data = {
            "uid": self.uid,
            "kind": self.kind,
            "title": self.title,
            "rule": self.rule.to_dict(),
            "start_time": self.start_time.isoformat(),
            "end_time": self.end_time.isoformat(),
            "tzid": self.tzid,
            "place": self.place,
            "description": self.description,
            "holidays": [d.isoformat() for d in self.holidays],
            "closures": [d.isoformat() for d in self.closures],
            "cancelled_dates": [d.isoformat() for d in self.cancelled_dates],
            "cancelled": self.cancelled,
            "sequence": self.sequence,
            "dtstamp": self.dtstamp.isoformat() if self.dtstamp else None,
            "organizer": self.organizer,
        }
        if self.group is not None:
            data["group"] = self.group
        if self.peer is not None:
            data["peer"], data["peer_uid"] = self.peer, self.peer_uid
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EventSeries:
        """Read a dict written by :meth:`to_dict`. Raises ``KeyError``/``ValueError`` on a bad one."""

        def days(key: str) -> tuple[date, ...]:
            return tuple(date.fromisoformat(d) for d in data.get(key) or ())

        return cls(
            uid=data["uid"],
            kind=data["kind"],
            title=data["title"],
            rule=Rule.from_dict(data["rule"]),
            start_time=time.fromisoformat(data["start_time"]),
            end_time=time.fromisoformat(data["end_time"]),
            tzid=data.get("tzid") or "Europe/Paris",
            place=data.get("place") or "",
            description=data.get("description") or "",
            holidays=days("holidays"),
            closures=days("closures"),
            cancelled_dates=days("cancelled_dates"),
            cancelled=bool(data.get("cancelled", False)),
            sequence=int(data.get("sequence", 0)),
            dtstamp=datetime.fromisoformat(data["dtstamp"]) if data.get("dtstamp") else None,
            organizer=data.get("organizer") or None,
            group=data.get("group"),
            peer=data.get("peer"),
            peer_uid=data.get("peer_uid"),
        )


def with_cancelled_dates(series: EventSeries, days: Iterable[date]) -> EventSeries:
    """``series`` with ``days`` added to its cancelled occurrences (sorted, no duplicates)."""
    return replace(series, cancelled_dates=tuple(sorted(set(series.cancelled_dates) | set(days))))
