"""A member's pause (``PAUSE``, ``PAUSE JUSQU'AU 15 MARS``) and return (``REPRISE``), and an
item set aside because nobody said it was still current (:mod:`workflows.steps.freshness`).

A paused item is hidden: its status is ``paused`` (matching, the catalogue and the news
read only ``open`` items), and ``paused_by`` says why — ``member`` (the member's own
pause: REPRISE or the date brings it back) or ``freshness`` (a « toujours d'actualité ? »
left unanswered: the member's OUI to it, or their REPRISE, brings it back). A member's pause is on the
member document::

    "pause": {"since": UTC ISO, "until": "YYYY-MM-DD" | None} | None (absent: not paused)

Invitations are unchanged (protocol.md, "Intents"): a pause is about exchanges, not about
meeting the network. Introductions already under way go on, cross-network ones too
(:mod:`workflows.steps.federated_introductions`); the paused items only take no new
proposal — so no pair here ends because of a pause. A peer's proposal for a paused offer
is answered ``unavailable``; the peer proposes that pair again once a catalogue of ours
lists the offer again (:func:`workflows.steps.federated_introductions.propose_across`). Items
back from a pause go to every matching (:func:`workflows.steps.items.to_matching`).
"""
from __future__ import annotations

from datetime import date

from workflows.decision import Incoming, Plan
from workflows.lookup import items_of
from workflows.steps.items import to_matching
from workflows.steps.people import who_wrote
from workflows.steps.speaking import answer_sender, tell_member
from workflows.model.said import Said


BY_MEMBER, BY_FRESHNESS = "member", "freshness"
"""Why an item is ``paused`` (its ``paused_by``)."""


def is_paused(member: dict) -> bool:
    """True when ``member`` is on a pause of their own."""
    return bool(member.get("pause"))


def hide_item(plan: Plan, item: dict, why: str) -> dict:
    """Set an open ``item`` aside (status ``paused``, ``paused_by`` ``why``); returns it."""
    return plan.items.update(item["id"], status="paused", paused_by=why, paused=plan.stamp())


def reopen_item(plan: Plan, item: dict) -> dict:
    """A paused ``item`` open again, its freshness counted from now (a « toujours
    d'actualité ? » asked before is no longer waited for); returns it."""
    return plan.items.update(item["id"], status="open", paused_by=None, paused=None, fresh_since=plan.stamp(),
                             freshness_asked=None)


def _until(plan: Plan, written: str | None) -> str | None:
    # A date already past (« jusqu'au 2 janvier » written on the 3rd) would end the pause at
    # once: it is taken as a pause until REPRISE, and the answer says so.
    if written and date.fromisoformat(written) > plan.local_date:
        return written
    return None


def on_pause(plan: Plan, incoming: Incoming) -> str:
    """``pause`` of a confirmed member from their own address (who may:
    :data:`workflows.routes.OWN_ADDRESS`): their open items hidden, the pause recorded
    until the date written (``parsed.pause_until``) or REPRISE, acknowledged
    (``pause_done``; a date past, or one not understood — ``parsed.pause_date_unread`` —
    is said, with how to write one). A second PAUSE changes the date; the items paused
    stay so."""
    parsed = incoming.parsed
    _, member = who_wrote(plan, incoming)
    until = _until(plan, parsed.pause_until)
    since = (member.get("pause") or {}).get("since") or plan.stamp()
    member = plan.members.update(member["id"], pause={"since": since, "until": until})
    hidden = [hide_item(plan, item, BY_MEMBER) for item in items_of(plan, member["ref"], "open")]
    answer_sender(plan, incoming, template="pause_done", purpose="pause_done",
                  values={"member": member, "what": "pause", "until": until,
                          "date_ignored": bool(parsed.pause_until) and until is None,
                          "date_unread": parsed.pause_date_unread, "stale": [],
                          "items": [i for i in items_of(plan, member["ref"], "paused")
                                    if i.get("paused_by") == BY_MEMBER]})
    plan.audit.info("%s: %s paused until %s, %d item(s) hidden", parsed.message_id, member["ref"], until or "REPRISE",
               len(hidden))
    if until:
        return Said("pause {member} until {until}: {n} item(s) hidden", member=member["ref"], until=until, n=len(hidden))
    return Said("pause {member} until REPRISE: {n} item(s) hidden", member=member["ref"], n=len(hidden))


def _reopen(plan: Plan, member: dict, why: str) -> list[dict]:
    """``member``'s items set aside for ``why`` (:data:`BY_MEMBER`, :data:`BY_FRESHNESS`)
    open again (:func:`reopen_item`); returns them. A closed item stays closed."""
    return [reopen_item(plan, item) for item in items_of(plan, member["ref"], "paused") if item.get("paused_by") == why]


def come_back(plan: Plan, member: dict) -> tuple[dict, list[dict]]:
    """End ``member``'s pause: the items their pause hid open again and offered to
    every matching, as a new item is (:func:`workflows.steps.items.to_matching`: a pair
    here, a group, a linked network's offer). Returns the member and those items."""
    member = plan.members.update(member["id"], pause=None)
    back = _reopen(plan, member, BY_MEMBER)
    to_matching(plan, back)
    return member, back


def on_resume(plan: Plan, incoming: Incoming) -> str:
    """``resume`` (REPRISE) of a confirmed member from their own address: their pause
    ends (:func:`come_back`), and the items set aside because a « toujours d'actualité ? »
    went unanswered open too — the member writing is back, which is what that question
    waited for (:mod:`workflows.steps.freshness`) — and go to every matching. Acknowledged (``pause_done``, ``what``
    ``resume``, or ``not_paused`` when there was no pause; ``stale``: the items reopened
    that freshness had set aside, said apart)."""
    _, member = who_wrote(plan, incoming)
    was_paused = is_paused(member)
    if was_paused:
        member, back = come_back(plan, member)
    stale = _reopen(plan, member, BY_FRESHNESS)
    to_matching(plan, stale)
    reopened = {item["ref"] for item in stale}
    if not was_paused:
        answer_sender(plan, incoming, template="pause_done", purpose="pause_done",
                      values={"member": member, "what": "not_paused", "until": None,
                              "date_ignored": False, "date_unread": None,
                              "items": [i for i in items_of(plan, member["ref"], "open") if i["ref"] not in reopened],
                              "stale": stale})
        if stale:
            return Said("resume {member}: was not paused, {n} set-aside item(s) open again", member=member["ref"],
                        n=len(stale))
        return Said("resume {member}: was not paused", member=member["ref"])
    answer_sender(plan, incoming, template="pause_done", purpose="pause_done",
                  values={"member": member, "what": "resume", "until": None, "date_ignored": False,
                          "date_unread": None, "items": back,
                          "stale": stale})
    plan.audit.info("%s: %s back from a pause, %d item(s) open again, %d set aside before", incoming.parsed.message_id,
                    member["ref"], len(back), len(stale))
    return Said("resume {member}: {n} item(s) open again", member=member["ref"], n=len(back) + len(stale))


def pauses_due(plan: Plan) -> list[str]:
    """The pauses whose date has come (``until`` on or before the local date): each member
    back (:func:`come_back`) and told so in a short notice (``pause_done``, ``what``
    ``back``). Returns their refs. Idempotent: a member back has no pause any more."""
    today = plan.today
    ended = []
    due = list(plan.members.scan(lambda raw: bool(raw.get("pause")) and bool(raw["pause"].get("until"))
                                 and raw["pause"]["until"] <= today))
    for member in due:
        until = member["pause"]["until"]
        member, back = come_back(plan, member)
        tell_member(plan, member, template="pause_done", purpose="pause_done", cause=f"{member['ref']}:back:{until}",
                    values={"member": member, "what": "back", "until": until, "date_ignored": False,
                            "date_unread": None, "items": back,
                            "stale": []})
        ended.append(member["ref"])
    if ended:
        plan.audit.info("pauses ended: %s", ", ".join(ended))
    return ended


def paused_members(plan: Plan) -> list[dict]:
    """Who is on a pause now, for the animators: ``[{"ref", "name", "since", "until"}]``,
    by ref number."""
    found = [{"ref": m["ref"], "name": m.get("name"), "since": m["pause"].get("since"),
              "until": m["pause"].get("until")}
             for m in plan.members.scan(lambda raw: bool(raw.get("pause")))]
    return sorted(found, key=lambda m: int(m["ref"].split("-", 1)[1]))
