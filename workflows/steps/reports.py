"""The report to the animators: monthly, and on demand (``STATISTIQUES``, `rers report`).

What it holds (protocol.md, "Reports"), for a period of local days ``[start, end]``:

* members: new (joined), confirmed, withdrawn (left by their own request or an
  animator's), pending requests that expired or were declined, and the totals now.
  Joins and confirmations are counted in the month they happened, also for the members
  erased since (their tombstone keeps those months); an unconfirmed join lapses on its
  deadline (``pending_days`` after it), counted then whether the expiry job has already
  erased it or not, so that the jobs' order changes nothing;
* open offers and demands now, and the items recorded in the period;
* introductions proposed, approved, introduced (both consented), refused, declined,
  expired in the period;
* groups: proposed, approved and led (the offerer said yes) in the period, those
  gathering people now, the places taken and the waiting lists now, the sessions held in
  the period and their attendance, the groups ended without taking place;
* testimonies: received, published, not published and withdrawn in the period; shown on
  the page and waiting for an animator now;
* the bilans received in the period (of introductions, our side of those across linked
  networks, and groups), with their answers;
* demands open for 30 days or more that no introduction or group ever answered (needs
  the network does not meet: worth a word at the next meeting; a proposal or a group
  that expired, or an asker's invitation that lapsed, answered nothing), each with its
  near misses:
  the open offers closest to it, under the score that would propose them or busy
  elsewhere (« la plus proche : O-12, 0.55 »: :func:`workflows.steps.matcher.near_misses`);
* open reciprocity, counts only: the confirmed members who received (an introduction
  made on their demand) without offering anything yet, and the cycles of open
  reciprocity (A gave to B, B to C, C to A) in the introductions made so far, with their
  lengths (:mod:`workflows.model.reciprocity`), never who;
* the members on a pause now (ref, name, until when: :func:`workflows.steps.pauses.paused_members`);
* the events of the coming 31 days, and the attendance answers of the period's events.

:func:`build_report` only reads the store (a pure view); :func:`queue_report` sends it;
:func:`monthly_job` sends last month's report once, on the first hours of a month.
Everything in it goes to the animators only.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from config.settings import Settings
from workflows.decision import Incoming, Plan
from workflows.events.rules import occurrences
from workflows.model.federated_introductions import counts as across
from workflows.model.groups import collective
from workflows.model.reciprocity import cycles, received_without_offering
from workflows.steps.attendance import answers_for
from workflows.steps.calendar import draft_for
from workflows.steps.matcher import matcher, near_misses
from workflows.steps.pauses import paused_members
from workflows.steps.pooled_counts import counts_received
from workflows.steps.speaking import answer_sender, tell_animators
from workflows.model.said import Said


UNMET_DAYS = 30
UPCOMING_DAYS = 31
_BILAN_FIELDS = ("happened", "interest", "obstacles", "facilitators", "text")
"""What the report shows of each bilan."""
_SENT_KEY = "report_sent:{month}"
_SINCE_KEY = "reports_since"
"""The local day the robot first ran its monthly job: months before it get no report."""


def _local_day(stamp: str | None, zone: ZoneInfo) -> date | None:
    """The network-local day of a stored UTC ISO time (or a bare date), None if absent."""
    if not stamp:
        return None
    value = datetime.fromisoformat(stamp)
    return value.astimezone(zone).date() if isinstance(value, datetime) and value.tzinfo else value.date()


def previous_month(today: date) -> tuple[date, date]:
    """First and last day of the month before ``today``'s."""
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


CLOSED_ITEMS = ("closed", "withdrawn", "expired")
"""Item states that end it (a paused or held item is not closed: it may open again)."""


def build_report(settings: Settings, store: Plan, start: date, end: date, today: date,
                 now: datetime | None = None) -> dict:
    """The report's data for the local days ``start``…``end`` (inclusive), as plain dicts
    and lists (the template's context). ``today``: the network-local date now; ``now``
    (aware), when given, tells today's events that have begun (past) from those to come.

    ``store``: a :class:`Plan` (or a bare store, read the same way: then the unmet
    demands' ``near`` is None, as their near misses need the plan's matcher; else a list,
    best first, maybe empty)."""
    zone = settings.network.zone

    def within(stamp: str | None) -> bool:
        day = _local_day(stamp, zone)
        return day is not None and start <= day <= end

    members = store.members.all()
    gone = [t for t in store.tombstones.all() if t.get("kind") == "member"]
    left = [t for t in gone if start.isoformat() <= t.get("left", "") <= end.isoformat()]
    months = (start.isoformat()[:7], end.isoformat()[:7])

    def in_months(month: str | None) -> bool:
        return bool(month) and months[0] <= month <= months[1]

    # A join not confirmed in time lapses on its deadline, whether or not the expiry job
    # has erased it yet: counted then, and no longer as waiting (the tombstone of an
    # expired join keeps that same day, see workflows.steps.erasure).
    pending_days = timedelta(days=settings.membership.pending_days)
    lapses = {m["ref"]: (datetime.fromisoformat(m["created"]) + pending_days).astimezone(zone).date()
              for m in members if m["status"] == "pending" and m.get("created")}
    lapsed = {ref for ref, day in lapses.items() if day < today}
    items = store.items.all()
    intros = store.introductions.all()

    def closed_as(status: str) -> int:
        return sum(1 for i in intros if i["status"] == status and within(i.get("closed")))

    groups = store.groups.all()
    testimonies = store.testimonies.all()
    crossings = store.crossings.all()
    # Our member's side only of a crossing: the other network's bilan stays there.
    given = [*((intro["ref"], side, bilan) for intro in intros for side, bilan in (intro.get("bilans") or {}).items()),
             *((c["ref"], c["side"], c.get("bilan")) for c in crossings),
             *((g["ref"], "offer" if b.get("side") == "offer" else "demand", b) for g in groups
               for b in g.get("bilans") or ())]
    bilans = [{"ref": ref, "side": side, **{k: bilan.get(k) for k in _BILAN_FIELDS}}
              for ref, side, bilan in given if bilan and within(bilan.get("at"))]
    # A proposal or group that expired left its demand alone: still a need unmet.
    answered = {i["demand"] for i in intros if i["status"] != "expired"} | {
        a["demand"] for g in groups if g["status"] != "expired" for a in g.get("askers", ())
        if a.get("demand") and a["state"] != "expired"}
    unmet_before = (today - timedelta(days=UNMET_DAYS)).isoformat()
    unmet = [
        {"ref": i["ref"], "title": i["title"], "since": _local_day(i["created"], zone), "near": None}
        for i in items
        if i["kind"] == "demand" and i["status"] == "open" and i["ref"] not in answered
        and (_local_day(i["created"], zone) or today).isoformat() <= unmet_before
    ]
    resources = getattr(store, "resources", None)
    if unmet and resources is not None and resources.matcher is not None:
        m = matcher(store)
        by_ref = {i["ref"]: i for i in items}
        for need in unmet:
            # A collective offer is never a pair: it waits for enough demands (« group_min »).
            need["near"] = [{"ref": offer["ref"], "title": offer["title"], "score": score,
                             "group_min": settings.groups.group_min if collective(offer) else None}
                            for offer, score in near_misses(store, m, by_ref[need["ref"]])]
    # As the calendar publishes them: the configured series count before the first
    # publication too (a robot installed today reports its permanences at once).
    series = [s for s in draft_for(settings, store, today).current.values() if not s.cancelled]
    upcoming, attendance = [], []
    for one in series:
        for occurrence in occurrences(one, today, today + timedelta(days=UPCOMING_DAYS)):
            if now is not None and occurrence.start <= now:
                continue  # begun already: it is past, counted below
            coming = [a for a in answers_for(store, one.uid, occurrence.day) if a["partstat"] == "accepted"]
            upcoming.append({"title": one.title, "start": occurrence.start, "accepted": len(coming)})
        for occurrence in occurrences(one, start, min(end, today)):
            if now is not None and occurrence.start > now:
                continue  # later today: still to come, counted above
            answers = answers_for(store, one.uid, occurrence.day)
            if answers:
                attendance.append({
                    "title": one.title, "start": occurrence.start,
                    **{p: sum(1 for a in answers if a["partstat"] == p) for p in ("accepted", "tentative", "declined")},
                })
    sessions = [(one, o) for one in series if one.kind == "group_session"
                for o in occurrences(one, start, min(end, today))]
    running = [g for g in groups if g["status"] in ("open", "bilan")]
    upcoming.sort(key=lambda o: o["start"])
    found_cycles = cycles(intros)
    # Pooled events, both ways, as counts: the neighbours' dates our members were invited
    # to and their yes; the yes the neighbours counted for our dates (what they sent).
    pooled_dates = [(one, o) for one in series if one.kind == "pooled"
                    for o in occurrences(one, start, min(end, today))]
    pooled_out = []
    ours = {one.uid: one for one in series}
    for peer in settings.federation.peers:
        entries = counts_received(store, peer)["counts"]
        dated = {c["uid"] for c in entries if c["occurrence"] is not None}
        # A count per day when the peer's members answered about days; else one for the
        # whole event (a one-off), in the period when our event has a date in it.
        counted = [c for c in entries
                   if (c["occurrence"] is not None and start.isoformat() <= c["occurrence"] <= end.isoformat())
                   or (c["occurrence"] is None and c["uid"] not in dated and c["uid"] in ours
                       and any(True for _ in occurrences(ours[c["uid"]], start, end)))]
        if counted:
            pooled_out.append({"peer": peer.name, "dates": len(counted), "yes": sum(c["yes"] for c in counted)})
    attendance.sort(key=lambda o: o["start"])
    return {
        "start": start,
        "end": end,
        "members": {
            # Joined (confirmed) in the period, including those who left since, whenever
            # they left: their tombstone keeps the months they joined and confirmed in.
            "new": sum(1 for m in members if within(m.get("created")))
            + sum(1 for t in gone if in_months(t.get("joined"))),
            "confirmed": sum(1 for m in members if within(m.get("confirmed")))
            + sum(1 for t in gone if in_months(t.get("confirmed"))),
            "withdrawn": sum(1 for t in left if t.get("reason") in ("withdrawn", "forgotten")),
            "lapsed": sum(1 for t in left if t.get("reason") in ("pending_expired", "join_declined"))
            + sum(1 for ref in lapsed if start <= lapses[ref] <= end),
            "total": sum(1 for m in members if m["status"] == "confirmed"),
            "pending": sum(1 for m in members if m["status"] == "pending" and m["ref"] not in lapsed),
        },
        # Open reciprocity, as counts: never who received, gave or closed a cycle.
        "reciprocity": {"received_not_offering": received_without_offering(members, items, intros),
                        "cycles": len(found_cycles), "lengths": sorted(set(found_cycles))},
        # Who is on a pause now (refs and dates: the animators' own report).
        "paused": paused_members(store),
        "knowledge": {
            "offers_open": sum(1 for i in items if i["kind"] == "offer" and i["status"] == "open"),
            "demands_open": sum(1 for i in items if i["kind"] == "demand" and i["status"] == "open"),
            "offers_new": sum(1 for i in items if i["kind"] == "offer" and within(i.get("created"))),
            "demands_new": sum(1 for i in items if i["kind"] == "demand" and within(i.get("created"))),
            # New in the period and closed since (withdrawn, expired, erased): why there
            # may be more new ones than open ones.
            "offers_new_closed": sum(1 for i in items if i["kind"] == "offer" and within(i.get("created"))
                                     and i["status"] in CLOSED_ITEMS),
            "demands_new_closed": sum(1 for i in items if i["kind"] == "demand" and within(i.get("created"))
                                      and i["status"] in CLOSED_ITEMS),
        },
        "introductions": {
            "proposed": sum(1 for i in intros if within(i.get("created"))),
            "approved": sum(1 for i in intros if within(i.get("approved"))),
            "introduced": sum(1 for i in intros if within(i.get("introduced"))),
            "refused": closed_as("refused"),
            "declined": closed_as("declined"),
            "expired": closed_as("expired"),
        },
        "across": across(crossings, within),
        "pooled": {
            "dates": len(pooled_dates),
            "yes": sum(1 for one, o in pooled_dates for a in answers_for(store, one.uid, o.day)
                       if a["partstat"] == "accepted"),
            "counted": pooled_out,
        },
        "groups": {
            "proposed": sum(1 for g in groups if within(g.get("created"))),
            "approved": sum(1 for g in groups if within(g.get("approved"))),
            "led": sum(1 for g in groups if within(g.get("led"))),
            "active": sum(1 for g in groups if g["status"] in ("proposed", "lead", "open", "bilan")),
            "places": sum(sum(1 for ref in g.get("places", ()) if ref) for g in running),
            "capacity": sum(int(g.get("capacity") or 0) for g in running),
            "waiting": sum(len(g.get("waiting", ())) for g in running),
            "sessions": len(sessions),
            "attendance": sum(1 for one, o in sessions for a in answers_for(store, one.uid, o.day)
                              if a["partstat"] == "accepted"),
            "bilans": sum(1 for g in groups for b in g.get("bilans") or () if within(b.get("at"))),
            "not_held": sum(1 for g in groups if g["status"] in ("refused", "declined", "expired", "cancelled")
                            and within(g.get("closed"))),
        },
        "testimonies": {
            "received": sum(1 for t in testimonies if within(t.get("created"))),
            "published": sum(1 for t in testimonies if within(t.get("published"))),
            "refused": sum(1 for t in testimonies if t["status"] == "refused" and within(t.get("decided"))),
            "withdrawn": sum(1 for t in testimonies if within(t.get("withdrawn"))),
            "shown": sum(1 for t in testimonies if t["status"] == "published"),
            "held": sum(1 for t in testimonies if t["status"] == "held"),
        },
        "bilans": bilans,
        "unmet": sorted(unmet, key=lambda u: u["since"] or today),
        "min_score": settings.matching.min_score,
        "upcoming": upcoming,
        "attendance": attendance,
    }


def queue_report(plan: Plan, report: dict, *, cause: str, to: list[str] | None = None) -> str | None:
    """Queue the report mail (template ``report``) to ``to`` (default: every animator)."""
    recipients = to or list(plan.settings.network.animators)
    if not recipients:
        plan.log.warning("no animator configured: the report is not sent")
        return None
    return tell_animators(plan, template="report", values={"report": report}, purpose="report", cause=cause,
                          only=recipients)


def monthly_report(plan: Plan) -> str | None:
    """Last month's report, once (the first run in a new month decides it). Returns the
    Message-ID decided, or None when it was already sent."""
    today = plan.local_date
    start, end = previous_month(today)
    key = _SENT_KEY.format(month=start.strftime("%Y-%m"))
    if plan.get_state(key):
        return None
    since = plan.get_state(_SINCE_KEY)
    if since is None:
        # The first run: no report for a month the robot was not there.
        plan.set_state(_SINCE_KEY, today.isoformat())
        return None
    if date.fromisoformat(since) > end:
        return None
    report = build_report(plan.settings, plan, start, end, today, plan.now)
    mid = queue_report(plan, report, cause=f"report:{start:%Y-%m}")
    plan.set_state(key, plan.stamp())
    plan.audit.info("monthly report for %s decided", start.strftime("%Y-%m"))
    return mid


def on_report_command(plan: Plan, incoming: Incoming) -> str:
    """``STATISTIQUES`` from an animator: the report of the month so far, to them."""
    today = plan.local_date
    report = build_report(plan.settings, plan, today.replace(day=1), today, today, plan.now)
    answer_sender(plan, incoming, template="report", values={"report": report}, purpose="report")
    return Said("report {start}…{end}", start=today.replace(day=1), end=today)
