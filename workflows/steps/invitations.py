"""Calendar invitations by mail (iMIP, RFC 6047; iTIP, RFC 5546) to those who asked.

Who is invited (:func:`invitees`): confirmed members whose ``invitations`` is true, who
have an address and are not ``undeliverable``, and the animators of the configuration.

What they get, for each :class:`~workflows.events.state.Change` of a reconciliation
(:func:`announce`):

- ``new`` / ``changed`` / ``extended`` / ``restored``: ``METHOD:REQUEST`` for the whole
  series (a weekly permanence is one series with its RRULE and EXDATEs, never one mail
  per week); an ``extended`` series only reaches further (a new year: its mail says the
  new dates and nothing else changed); a ``restored`` one was called off before, and its
  mail says it is scheduled again;
- ``cancelled``: ``METHOD:CANCEL`` for the whole series;
- ``occurrence_cancelled``: ``METHOD:CANCEL`` with the ``RECURRENCE-ID`` of that day.

A member who turns invitations off gets a ``METHOD:CANCEL`` for every live series an
invitation reached them for (:func:`uninvite_member`; purpose and template
``invitation_withdrawn``: the event still takes place), as a calendar server does for an
attendee it removes (RFC 5546 §3.2.5): the robot stops sending that member the series'
updates, so an entry left in their agenda would go stale. An animator added to the
configuration gets the live series at the next publication (:func:`invite_new_animators`).
Every mail's DTSTAMP is the time it was made (RFC 5545 3.8.7.2).

One mail per recipient per change, whose only ``ATTENDEE`` is that recipient (nobody sees
who else is invited), ``ORGANIZER`` the functional address the series was published under
(:attr:`~workflows.events.model.EventSeries.organizer`), the French (or English) text
and the calendar built by :mod:`workflows.events.imip`. Its Message-ID is deterministic —
purpose, UID, SEQUENCE, occurrence, recipient and their member ref — so that announcing
the same change twice (a crash, a repeated command) queues nothing more, while a person
who left and joined again gets new ones, and so does a member who turned invitations off
and on again (their ``invitations_round`` is part of it). The outbox document keeps
``cause = "<uid> <sequence> <occurrence or ->"``: :func:`sent_calendar_mail` reads it back
when someone answers an invitation in plain words.

A group's session (kind ``group_session``, :mod:`workflows.steps.groups`) reaches only
that group: its offerer and the members holding a place (:func:`group_invitees`),
whether or not they asked for the calendar's invitations; its invitations have their own
purpose (``group_invitation``), so that turning the calendar's invitations off or on
leaves them alone. A member who gets a place receives the group's sessions ahead
(:func:`invite_to_group`); one who leaves gets a ``METHOD:CANCEL`` for each that reached
them (:func:`withdraw_from_group`; purpose and template ``group_session_withdrawn``).
A member who moves to a new address takes them along, as the calendar's
(:func:`move_invitations`).

Everything here queues mail through the context's outbox, inside the caller's transaction:
a change and its invitations are written together.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta, timezone
from typing import Callable, Iterable

from workflows.decision import Attachment, Plan
from workflows.events import imip
from workflows.events.model import EventSeries
from workflows.events.state import Change
from workflows.events.views import CalendarDraft, event_view, occurrence_view, upcoming_days
from workflows.lookup import find_member
from workflows.mail.rfc5322 import message_id
from workflows.model.groups import asker
from workflows.steps.calendar import commit, draft, find_series, load_series
from workflows.steps.speaking import tell_attendee


INVITATION = "invitation"
CANCELLATION = "cancellation"
REMINDER = "event_reminder"
GROUP_INVITATION = "group_invitation"
"""Purpose of the invitations to a group's session (their template is ``invitation``)."""
ANSWERABLE = (INVITATION, REMINDER, GROUP_INVITATION)
"""Purposes of the calendar mails whose plain-text answers are read as attendance."""
REQUEST_KINDS = ("new", "changed", "extended", "restored")
"""Changes announced with a ``METHOD:REQUEST`` (the others with a ``METHOD:CANCEL``)."""
WITHDRAWN = "withdrawn"
"""The change of a ``METHOD:CANCEL`` sent to a member who turned invitations off."""
WITHDRAWAL = "invitation_withdrawn"
"""Purpose and template of those mails (the event still takes place)."""
WITHDRAWN_BY_KIND = "withdrawn_by_kind"
"""The change of a ``METHOD:CANCEL`` sent to a member whose kinds of invitations no longer
take in the series' kind (:func:`follow_kinds`): purpose, template and Message-ID of
:data:`WITHDRAWN`'s, its own words (the kinds chosen, how to get the event back)."""
LEFT_GROUP = "left_group"
"""The change of a ``METHOD:CANCEL`` sent to a member who left a group, for its sessions."""
GROUP_WITHDRAWAL = "group_session_withdrawn"
"""Purpose and template of those mails (the session still takes place, without them)."""
MOVED = "moved"
"""The change of a ``METHOD:CANCEL`` sent to the address a member left for a new one."""
MOVED_AWAY = "invitation_moved"
"""Purpose and template of those mails (the invitations go on, at the new address)."""
_TEMPLATES = {GROUP_INVITATION: INVITATION}
"""A purpose whose mail is another's template."""
GROUP_SESSION = "group_session"
INVITATION_KIND_OF = {"permanence": "permanences", "monthly_meeting": "rencontres", "meeting": "rencontres",
                      "exchange_review": "échanges", "workshop": "ateliers", "pooled": "réseaux voisins"}
"""The kind of invitations (« Invitations : permanences, ateliers »,
:data:`workflows.mail.model.INVITATION_KINDS`) an event of each kind
(:data:`workflows.events.model.KINDS`) belongs to."""
OPT_IN_KINDS = ("pooled",)
"""Event kinds only a member who named their kind of invitations gets (« Invitations :
réseaux voisins »): neither a plain « Invitations : oui » nor an animator as such. A
linked network's events are not this network's, and must reach only those who chose them."""


@dataclass(frozen=True)
class Invitee:
    """One recipient: ``address`` lower-cased, ``name`` for the greeting and the ATTENDEE's
    CN, ``member`` the member's ref (None for an animator who is not a member)."""

    address: str
    name: str | None = None
    member: str | None = None
    round: int = 0
    """How many times the member turned invitations off before (``invitations_round``)."""
    first_name: str | None = None
    """The first name the member gave as such, for the greeting (never a guessed one)."""
    kinds: tuple[str, ...] | None = None
    """The kinds of invitations the member asked for (``invitation_kinds``); None: all."""

    def wants(self, series: EventSeries) -> bool:
        """True when this recipient gets ``series``' mails: an animator always (but a
        linked network's event, :data:`OPT_IN_KINDS`), a member when its kind is one they
        asked for (:func:`wanted_kind`)."""
        if series.kind in OPT_IN_KINDS:
            return wanted_kind(self.kinds, series.kind)
        return self.animator or self.kinds is None or wanted_kind(self.kinds, series.kind)

    @property
    def animator(self) -> bool:
        return self.member is None

    @property
    def id_part(self) -> str | None:
        """The recipient's part of a calendar Message-ID: the member ref, with the round
        after the first time they turned invitations off (so that the series they are
        invited to again come as new mails, not as the ones already sent)."""
        if self.member is None or not self.round:
            return self.member
        return f"{self.member}/{self.round}"


def wanted_kind(kinds: "Iterable[str] | None", event_kind: str) -> bool:
    """True when an event of ``event_kind`` is one of the invitation ``kinds`` (None or
    empty: every kind but :data:`OPT_IN_KINDS`, which must be named)."""
    if event_kind in OPT_IN_KINDS:
        return bool(kinds) and INVITATION_KIND_OF[event_kind] in kinds
    return not kinds or INVITATION_KIND_OF.get(event_kind) in kinds


def invitee_of(member: dict) -> Invitee | None:
    """The member as a recipient, or None when they must not get invitations (not
    confirmed, ``invitations`` not true, no address, ``undeliverable``)."""
    if member.get("status") != "confirmed" or member.get("invitations") is not True:
        return None
    if not member.get("address") or member.get("undeliverable"):
        return None
    return Invitee(address=member["address"].lower(), name=member.get("name"), member=member["ref"],
                   round=int(member.get("invitations_round") or 0), first_name=member.get("first_name"),
                   kinds=tuple(member["invitation_kinds"]) if member.get("invitation_kinds") else None)


def group_invitee(plan: Plan, group: dict, member_ref: str | None) -> Invitee | None:
    """The member ``member_ref`` of ``group`` (its offerer, or an asker) as a recipient of
    the group's sessions, or None when they cannot get them by mail (not confirmed, no
    address, ``undeliverable``). Their asker ``round`` is the invitee's."""
    member = plan.members.find_one("ref", member_ref) if member_ref else None
    if member is None or member.get("status") != "confirmed":
        return None
    if not member.get("address") or member.get("undeliverable"):
        return None
    entry = asker(group, member_ref)
    return Invitee(address=member["address"].lower(), name=member.get("name"), member=member["ref"],
                   round=int(entry.get("round") or 0) if entry else 0, first_name=member.get("first_name"))


def group_invitees(plan: Plan, group_ref: str | None) -> list[Invitee]:
    """Who gets the sessions of group ``group_ref``: its offerer and the members holding a
    place, sorted by address; nobody once the group gathers nobody any more."""
    group = plan.groups.find_one("ref", group_ref) if group_ref else None
    if group is None or group["status"] not in ("open", "bilan"):
        return []
    found: dict[str, Invitee] = {}
    for ref in [group.get("offer_member"), *group.get("places", ())]:
        invitee = group_invitee(plan, group, ref)
        if invitee is not None:
            found[invitee.address] = invitee
    return [found[a] for a in sorted(found)]


def invitees(plan: Plan) -> list[Invitee]:
    """Everyone who gets the calendar's invitations, sorted by address, each once (an
    animator who is also a member is invited as the member)."""
    found: dict[str, Invitee] = {}
    for member in plan.members.find("status", "confirmed"):
        invitee = invitee_of(member)
        if invitee is not None:
            found[invitee.address] = invitee
    for address in plan.settings.network.animators:
        # An animator who is also a member gets every kind, as an animator.
        found[address] = replace(found[address], kinds=None) if address in found else Invitee(address=address)
    return [found[a] for a in sorted(found)]


def mail_cause(uid: str, sequence: int, occurrence: date | None) -> str:
    """The ``cause`` stored with a calendar mail: ``"<uid> <sequence> <YYYY-MM-DD or ->"``."""
    return f"{uid} {sequence} {occurrence.isoformat() if occurrence else '-'}"


def read_cause(cause: str) -> tuple[str, int, date | None] | None:
    """``(uid, sequence, occurrence)`` from :func:`mail_cause`'s text, None if it is not one."""
    parts = (cause or "").split(" ")
    if len(parts) != 3:
        return None
    uid, sequence, day = parts
    try:
        return uid, int(sequence), None if day == "-" else date.fromisoformat(day)
    except ValueError:
        return None


def calendar_message_id(plan: Plan, purpose: str, uid: str, sequence: int | None, occurrence: date | None,
                        address: str, member: str | None = None) -> str:
    """The deterministic Message-ID of one calendar mail (RFC 5322 3.6.4). ``member``: the
    recipient's member ref, when they are a member: a person who left and joined again
    (a new ref) gets new Message-IDs, never those of the mails their erased membership
    received (mail clients show one message per Message-ID)."""
    parts = [purpose, uid, "" if sequence is None else str(sequence), occurrence.isoformat() if occurrence else "",
             address.lower()]
    return message_id(plan.settings.network.domain, *parts, *([member] if member else []),
                      key=plan.resources.token_key)


def _live(series: EventSeries, today: date) -> bool:
    """True when the series (taken as not cancelled) still has a day from ``today`` on."""
    return bool(upcoming_days(replace(series, cancelled=False), today))


def _queue(plan: Plan, series: EventSeries, kind: str, invitee: Invitee, occurrence: date | None) -> str | None:
    """Queue one invitation or cancellation mail; its Message-ID, or None when it was
    already queued."""
    network = plan.settings.network
    today = plan.local_date
    names = {invitee.address: invitee.name} if invitee.name else None
    # A withdrawal is not the series' own cancellation: neither its Message-ID nor its
    # template (« n'aura pas lieu »).
    if kind in REQUEST_KINDS:
        purpose = GROUP_INVITATION if series.kind == GROUP_SESSION else INVITATION
    else:
        purpose = {WITHDRAWN: WITHDRAWAL, WITHDRAWN_BY_KIND: WITHDRAWAL, LEFT_GROUP: GROUP_WITHDRAWAL,
                   MOVED: MOVED_AWAY}.get(kind, CANCELLATION)
    # RFC 5545 3.8.7.2: in an object with a METHOD, DTSTAMP is when the object was made.
    # With the SEQUENCE, it orders the messages about one event (RFC 5546 2.1.5): a
    # member invited again after a withdrawal gets a REQUEST newer than the CANCEL.
    now = plan.now.astimezone(timezone.utc)
    stamped = replace(series, dtstamp=max(series.dtstamp or now, now))
    # The ORGANIZER the series was published under, though the network's address changed
    # since: an agenda takes a CANCEL or an update only from the event's own organizer.
    organizer = series.organizer or network.address
    # A linked network's event (kind "pooled") shows that network as its organizer by name
    # only (CN): the calendar address stays this robot's. A client sends its REPLY to the
    # ORGANIZER's address (RFC 5546 §3.2.3) — none routes it to a SENT-BY — and iMIP wants
    # the mail's From to be that ORGANIZER (RFC 6047 §3), which this robot is. So the
    # member's answer comes back here, and the peer learns only a count (workflows.steps.pooled).
    pooled_from = pooled_organizer(plan, series)
    organizer_name = pooled_from or network.name
    if kind in REQUEST_KINDS:
        text = imip.request(stamped, organizer, [invitee.address], organizer_name=organizer_name, names=names)
    else:
        text = imip.cancel(stamped, organizer, [invitee.address], occurrence,
                           organizer_name=organizer_name, names=names)
    following = upcoming_days(series, occurrence + timedelta(days=1))[:1] if occurrence else []
    # The address a member left is nobody's member address any more: no way to leave in its footer.
    return tell_attendee(
        plan, invitee.name, invitee.address, animator=invitee.animator or kind == MOVED,
        template=_TEMPLATES.get(purpose, purpose),
        values={
            "event": event_view(replace(series, cancelled=False), today),
            "change": kind,
            "occurrence": occurrence_view(series, occurrence) if occurrence else None,
            "following": occurrence_view(series, following[0]) if following else None,
            "recipient": {"name": invitee.name, "first_name": invitee.first_name, "animator": invitee.animator},
            "pooled_from": pooled_from,
            # The kinds the recipient chose, and this event's (« Invitations : permanences »).
            "kinds": list(invitee.kinds or ()),
            "event_kind": INVITATION_KIND_OF.get(series.kind),
        },
        purpose=purpose,
        cause=mail_cause(series.uid, series.sequence, occurrence),
        message_id=calendar_message_id(plan, purpose, series.uid, series.sequence, occurrence, invitee.address,
                                       invitee.id_part),
        attachments=[Attachment("calendar", text)],
    )


def pooled_organizer(plan: Plan, series: EventSeries) -> str | None:
    """The name of the linked network whose event ``series`` is (kind ``pooled``: the
    name of its ``[[federation.peers]]``, else its robot address), None for this
    network's own events."""
    if series.peer is None:
        return None
    peer = plan.settings.federation.peer(series.peer)
    return peer.name if peer is not None else series.peer


def _worth_sending(series: EventSeries, change: Change, today: date) -> bool:
    # Nobody needs a calendar entry, or its cancellation, for what is already over.
    if change.kind == "occurrence_cancelled":
        return change.occurrence is not None and change.occurrence >= today
    return _live(series, today)


def announce(plan: Plan, state: dict[str, EventSeries], changes: Iterable[Change]) -> list[str]:
    """Queue the invitations and cancellations of ``changes`` (from
    :func:`workflows.steps.calendar.commit`) to every :func:`invitees` person (a group's
    session: to its :func:`group_invitees` only). ``state``
    holds the series after the change (their raised SEQUENCE is what the mails carry).
    Changes about the past are not announced. Returns the Message-IDs queued. In a
    transaction."""
    today = plan.local_date
    everyone = None
    queued: list[str] = []
    for change in changes:
        series = state.get(change.uid)
        if series is None or not _worth_sending(series, change, today):
            continue
        if series.kind == GROUP_SESSION:
            people = group_invitees(plan, series.group)
        else:
            people = everyone = invitees(plan) if everyone is None else everyone
        told = 0
        for invitee in people:
            if not invitee.wants(series):
                continue
            mid = _queue(plan, series, change.kind, invitee, change.occurrence)
            if mid:
                queued.append(mid)
                told += 1
        # The people a mail went to, not those who could have had one: a pooled event
        # nobody opted in to is « announced to 0 people ».
        plan.audit.info("calendar: %s %s%s announced to %d people", change.uid, change.kind,
                        f" {change.occurrence}" if change.occurrence else "", told)
    return queued


def invite_member(plan: Plan, member: dict, skip: frozenset[str] = frozenset()) -> list[str]:
    """Send ``member`` (a member document) a ``METHOD:REQUEST`` for every series that is
    not cancelled and still has a day ahead (but those whose UID is in ``skip``): what the
    membership code calls when a member's ``invitations`` becomes true (or a member who
    asked for them confirms).

    Does nothing for a member who must not get invitations (see :func:`invitee_of`), nor
    for an animator, who has them all as one. Calling it twice queues nothing more (same Message-IDs as :func:`announce`'s).
    Returns the Message-IDs queued. In a transaction.
    """
    invitee = invitee_of(member)
    if invitee is None or invitee.address in plan.settings.network.animators:
        return []  # an animator has every invitation already, as one (see invite_new_animators)
    queued = _each_live_series(plan, "new", invitee, lambda series: series.uid not in skip and invitee.wants(series))
    if queued:
        plan.audit.info("calendar: %s invited to %d event(s)", invitee.member, len(queued))
    return queued


def invite_new_animators(plan: Plan) -> list[str]:
    """Every animator of the configuration (:func:`invitees` names them all) gets each
    live series no invitation was ever queued to their address for: an animator added
    to ``[network] animators`` gets the calendar at the next publication, not only the
    events created or changed after. Returns the Message-IDs queued. In a transaction."""
    queued = []
    for address in plan.settings.network.animators:
        member = find_member(plan, address)
        invitee = replace((invitee_of(member) if member else None) or Invitee(address=address), kinds=None)
        known = {uid for uid, _ in _mails_to(plan, INVITATION, address)}
        mine = _each_live_series(plan, "new", invitee, lambda series: series.uid not in known and invitee.wants(series))
        if mine:
            plan.audit.info("calendar: animator %s invited to %d event(s)", invitee.member or "(not a member)", len(mine))
        queued.extend(mine)
    return queued


def _held(plan: Plan, invitee: Invitee) -> set[str]:
    """The UIDs of the series in ``invitee``'s agenda: an invitation reached their address
    and its kind is one they still want. A series of a kind they stopped wanting was
    withdrawn then (:func:`follow_kinds`): withdrawing it again would be a second CANCEL."""
    series = load_series(plan)
    return {uid for uid, mail in _mails_to(plan, INVITATION, invitee.address)
            if mail["status"] == "sent" and uid in series and invitee.wants(series[uid])}


def uninvite_member(plan: Plan, member: dict) -> list[str]:
    """Send ``member`` (the member document *before* ``invitations`` became false) a
    ``METHOD:CANCEL`` for every series not cancelled, with a day ahead, whose invitation
    reached them (a mail sent to their address), and drop their invitations still queued
    (never sent: nothing to withdraw). Then count the round (``invitations_round``), so
    that invitations turned on again come as new mails. Does nothing for someone who was
    not getting invitations (see :func:`invitee_of`), nor for an animator, who gets them
    as one. Returns the Message-IDs queued. In a transaction.

    An invitation sent over 400 days ago may have left the outbox (housekeeping): a
    configured series is announced again every year (``extended``), so its latest
    invitation is always there.
    """
    invitee = invitee_of(member)
    if invitee is None or invitee.address in plan.settings.network.animators:
        return []
    reached = _held(plan, invitee)
    plan.drop_queued(purpose=INVITATION, recipient=invitee.address)
    queued = _each_live_series(plan, WITHDRAWN, invitee, lambda series: series.uid in reached)
    plan.members.update(member["id"], invitations_round=invitee.round + 1)
    if queued:
        plan.audit.info("calendar: %s no longer invited, %d event(s) withdrawn from their agenda", invitee.member,
                   len(queued))
    return queued


def move_invitations(plan: Plan, before: dict, after: dict) -> list[str]:
    """A member moved from ``before``'s address to ``after``'s (the member documents): the
    live series still in the old address's agenda (:func:`_held`) are withdrawn there,
    once each (:data:`MOVED_AWAY`: the invitations go on at the new address), what was
    still queued for it is dropped, and the new address gets the invitations the member
    wants (:func:`invite_member`; its Message-IDs are the new address's own). A series
    withdrawn before by kind is not withdrawn again. The sessions of the groups they are
    in move the same way (:func:`_move_group_sessions`). Returns the Message-IDs queued.
    In a transaction."""
    queued: list[str] = []
    old = invitee_of(before)
    if old is not None and old.address not in plan.settings.network.animators:
        reached = _held(plan, old)
        plan.drop_queued(purpose=INVITATION, recipient=old.address)
        queued += _each_live_series(plan, MOVED, old, lambda series: series.uid in reached)
    queued += invite_member(plan, after)
    return queued + _move_group_sessions(plan, before, after)


def _move_group_sessions(plan: Plan, before: dict, after: dict) -> list[str]:
    """The sessions of each group ``after`` (the member document, moved) is in — its
    offerer or holding a place, while it meets — follow them to their new address: those
    whose invitation reached ``before``'s address withdrawn there (:data:`MOVED_AWAY`),
    those still queued for it dropped, and each session ahead sent to the new one
    (:func:`invite_to_group`). Returns the Message-IDs queued. In a transaction."""
    ref, old = after["ref"], (before.get("address") or "").lower()
    mine = list(plan.groups.scan(lambda g: g["status"] in ("open", "bilan")
                            and (g.get("offer_member") == ref or ref in g.get("places", ()))))
    queued: list[str] = []
    for group in mine:
        invitee = group_invitee(plan, group, ref)
        if invitee is None or not old:
            continue
        reached = _group_sessions_reached(plan, group, old)
        if not before.get("undeliverable"):
            gone = replace(invitee, address=old)
            queued += _each_live_series(plan, MOVED, gone, lambda series: series.uid in reached, group=group["ref"])
        queued += invite_to_group(plan, group, ref)
    if queued:
        plan.audit.info("calendar: %s moved, the sessions of their group(s) follow (%d mail(s))", ref, len(queued))
    return queued


def _mails_to(plan: Plan, purpose: str, address: str) -> list[tuple[str, dict]]:
    """``(UID, outbox document)`` of the calendar mails of ``purpose`` to ``address`` alone."""
    found = []
    for mail in plan.outbox.scan(lambda m: m.get("purpose") == purpose and m.get("recipients") == [address]):
        cause = read_cause(mail.get("cause", ""))
        if cause is not None:
            found.append((cause[0], mail))
    return found


def _each_live_series(plan: Plan, kind: str, invitee: Invitee, wanted: Callable[[EventSeries], bool],
                      group: str | None = None) -> list[str]:
    """Queue a ``kind`` mail to ``invitee`` for every series that is not cancelled, still
    has a day ahead and is ``wanted`` — the calendar's own series, or with ``group`` that
    group's sessions only —; the Message-IDs queued (not those queued before)."""
    today = plan.local_date
    queued = []
    for series in load_series(plan).values():
        if series.group != group:
            continue
        if series.cancelled or not _live(series, today) or not wanted(series):
            continue
        mid = _queue(plan, series, kind, invitee, None)
        if mid:
            queued.append(mid)
    return queued


def invite_to_group(plan: Plan, group: dict, member_ref: str) -> list[str]:
    """``member_ref`` took a place in ``group`` (a document as it stands now, their place
    and round recorded): a ``METHOD:REQUEST`` for each of the group's sessions still
    ahead. Returns the Message-IDs queued. In a transaction."""
    invitee = group_invitee(plan, group, member_ref)
    if invitee is None:
        return []
    queued = _each_live_series(plan, "new", invitee, lambda series: True, group=group["ref"])
    if queued:
        plan.audit.info("calendar: %s invited to %d session(s) of %s", member_ref, len(queued), group["ref"])
    return queued


def _group_sessions_reached(plan: Plan, group: dict, address: str) -> set[str]:
    """The UIDs of ``group``'s sessions whose invitation reached ``address`` (sent); its
    invitations to them not sent yet — queued, or decided in this plan — are dropped
    (never sent: nothing to withdraw)."""
    sessions = set(group.get("sessions", ()))
    mails = [(uid, mail) for uid, mail in _mails_to(plan, GROUP_INVITATION, address) if uid in sessions]
    for _uid, mail in mails:
        if mail["status"] == "queued":
            plan.drop_queued(purpose=GROUP_INVITATION, cause=mail["cause"], recipient=address)
    for mail in list(plan.mails):
        cause = read_cause(mail.cause) if mail.purpose == GROUP_INVITATION else None
        if cause and cause[0] in sessions and mail.recipients() == [address]:
            plan.drop_queued(purpose=GROUP_INVITATION, cause=mail.cause, recipient=address)
    return {uid for uid, mail in mails if mail["status"] == "sent"}


def withdraw_from_group(plan: Plan, group: dict, member_ref: str) -> list[str]:
    """``member_ref`` leaves ``group`` (the document before they left): their invitations
    to its sessions still queued are dropped (never sent: nothing to withdraw), and each
    session ahead whose invitation reached them gets a ``METHOD:CANCEL`` (purpose
    ``group_session_withdrawn``: the session goes on without them). Returns the
    Message-IDs queued. In a transaction."""
    invitee = group_invitee(plan, group, member_ref)
    if invitee is None:
        return []
    reached = _group_sessions_reached(plan, group, invitee.address)
    queued = _each_live_series(plan, LEFT_GROUP, invitee, lambda series: series.uid in reached, group=group["ref"])
    if queued:
        plan.audit.info("calendar: %s left %s, %d session(s) withdrawn from their agenda", member_ref, group["ref"],
                   len(queued))
    return queued


def follow_preference(plan: Plan, before: dict, after: dict) -> list[str]:
    """What a change of a member's ``invitations`` or ``invitation_kinds`` (``before`` →
    ``after``, the member documents) sends: turned on, :func:`invite_member` — but a
    withdrawal still queued for a series they want is dropped instead (it never left:
    the member still has the invitation); turned off, :func:`uninvite_member`; kinds
    changed while on, :func:`follow_kinds`; otherwise nothing. Returns the Message-IDs
    queued. In a transaction."""
    if after.get("invitations") is True and before.get("invitations") is not True:
        invitee = invitee_of(after)
        kept: set[str] = set()
        if invitee is not None:
            series = load_series(plan)
            for doc in plan.outbox.find("status", "queued"):
                cause = read_cause(doc.get("cause", "")) if doc.get("purpose") == WITHDRAWAL else None
                if (cause and doc.get("recipients") == [invitee.address] and cause[0] in series
                        and invitee.wants(series[cause[0]])):
                    plan.drop_queued(purpose=WITHDRAWAL, cause=doc["cause"], recipient=invitee.address)
                    kept.add(cause[0])
        return invite_member(plan, after, skip=frozenset(kept))
    if before.get("invitations") is True and after.get("invitations") is not True:
        return uninvite_member(plan, before)
    if after.get("invitations") is True and (before.get("invitation_kinds") or None) != (
            after.get("invitation_kinds") or None):
        return follow_kinds(plan, before, after)
    return []


def follow_kinds(plan: Plan, before: dict, after: dict) -> list[str]:
    """A member who keeps invitations on but changes their kinds (``before`` → ``after``,
    the member documents): the live series of a kind they no longer want are withdrawn
    from their agenda as when invitations are turned off (:data:`WITHDRAWAL` for what
    reached them, in the words of :data:`WITHDRAWN_BY_KIND`; what is still queued
    dropped), and, when something was withdrawn, the round counted (``invitations_round``:
    a series invited again later comes as a new mail); the live series of a kind they now want and did not before are sent
    (``METHOD:REQUEST``). Nothing for an animator, who gets every kind. Returns the
    Message-IDs queued. In a transaction."""
    old, new = invitee_of(before), invitee_of(after)
    if old is None or new is None or new.address in plan.settings.network.animators:
        return []
    today = plan.local_date
    live = [s for s in load_series(plan).values() if not s.cancelled and _live(s, today)]
    leaving = {s.uid for s in live if old.wants(s) and not new.wants(s)}
    coming = {s.uid for s in live if new.wants(s) and not old.wants(s)}
    queued: list[str] = []
    if leaving:
        reached = set()
        for uid, mail in _mails_to(plan, INVITATION, old.address):
            if uid not in leaving:
                continue
            if mail["status"] == "queued":
                plan.drop_queued(purpose=INVITATION, cause=mail["cause"], recipient=old.address)
            elif mail["status"] == "sent":
                reached.add(uid)
        # Withdrawn as chosen now: its words name the kinds kept, and how to get it back.
        queued += _each_live_series(plan, WITHDRAWN_BY_KIND, replace(old, kinds=new.kinds),
                                    lambda series: series.uid in reached)
        if reached:
            plan.members.update(after["id"], invitations_round=old.round + 1)
            new = replace(new, round=old.round + 1)
    queued += _each_live_series(plan, "new", new, lambda series: series.uid in coming)
    plan.audit.info("calendar: %s invitations by kind, %d event(s) withdrawn, %d sent", new.member, len(leaving),
                    len(coming))
    return queued


def sent_calendar_mail(plan: Plan, message_ids: Iterable[str],
                       purposes: Iterable[str] = ANSWERABLE) -> tuple[dict, EventSeries, date | None] | None:
    """The calendar mail that a reply answers, from its In-Reply-To and References
    (``message_ids``, oldest first; the last one found wins): ``(outbox document,
    the series as stored now, the occurrence the mail was about or None)``, or None when
    none of them is a calendar mail of ``purposes`` whose event still exists."""
    purposes = tuple(purposes)
    for mid in reversed(list(message_ids)):
        doc = plan.outbox.find_one("message_id", mid.strip())
        if doc is None or doc.get("purpose") not in purposes:
            continue
        cause = read_cause(doc.get("cause", ""))
        series = find_series(plan, cause[0]) if cause else None
        if series is not None:
            return doc, series, cause[2]
    return None


def update_calendar(plan: Plan, planned: CalendarDraft | None = None) -> tuple[dict[str, EventSeries], list[Change], list[str]]:
    """Commit ``planned`` (default: :func:`workflows.steps.calendar.draft` as is) and queue
    the invitations and cancellations of its changes, and the invitations of an animator
    newly configured (:func:`workflows.steps.invitations.invite_new_animators`). In a
    transaction.

    Returns ``(state, changes, Message-IDs queued)``.
    """
    state, changes = commit(plan, planned or draft(plan))
    queued = announce(plan, state, changes) + invite_new_animators(plan)
    if changes:
        plan.log.info("calendar: %d change(s): %s", len(changes), ", ".join(f"{c.uid} {c.kind}" for c in changes))
    return state, changes, queued
