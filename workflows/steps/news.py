"""The monthly news (*Nouvelles*), opt-in: on the first Monday of a month, the members who
wrote « Nouvelles : oui » get the offers and demands opened since the last news —
references and titles, never a name — answered with ``JE M'INTÉRESSE À O-12``
(protocol.md "The member's life in the network").

Never sent to anyone who did not ask (« sans prosélytisme »): only confirmed, reachable
members whose ``digest`` is true. Its List-Unsubscribe says « Nouvelles : non », which
stops it (a message of preferences, :mod:`workflows.steps.preferences`). Paused items are
not in it (only ``open`` ones are); a month without a new item sends nothing.

State: ``news:<YYYY-MM>`` (the month's news decided, once) and ``news:since`` (the time the
last news covered up to).
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from workflows.decision import Plan
from workflows.model.members import reachable
from workflows.model.privacy import redact
from workflows.steps.catalogue import served_demands
from workflows.steps.speaking import tell_member


UNSUBSCRIBE = "Nouvelles : non"
"""The subject of the news' List-Unsubscribe mailto: a message of preferences that stops it."""


NEWS_HOUR = 8
"""The local hour from which the news goes out: read in the morning, never at midnight."""


def is_news_day(plan: Plan) -> bool:
    """True on the first Monday of a month (network-local date), from :data:`NEWS_HOUR`."""
    local = plan.now.astimezone(plan.settings.network.zone)
    return local.weekday() == 0 and local.day <= 7 and local.hour >= NEWS_HOUR


def readers(plan: Plan) -> list[dict]:
    """The members who asked for the news: confirmed, reachable, ``digest`` true."""
    return [m for m in plan.members.scan(lambda raw: raw.get("digest") is True and raw.get("status") == "confirmed")
            if reachable(m)]


def new_items(plan: Plan, since: str) -> dict[str, list[dict]]:
    """``{"offers": [...], "demands": [...]}``: the open items created after ``since`` (UTC
    ISO), each ``{ref, title, modality}`` (title masked: :func:`workflows.model.privacy.redact`),
    by number."""
    start = datetime.fromisoformat(since)
    found: dict[str, list[dict]] = {"offers": [], "demands": []}
    served = served_demands(plan)
    fresh = [i for i in plan.items.find("status", "open") if datetime.fromisoformat(i["created"]) > start
             and i["ref"] not in served]
    for item in sorted(fresh, key=lambda i: int(i["ref"].split("-", 1)[1])):
        entry = {"ref": item["ref"], "title": redact(item["title"]), "modality": item.get("modality"),
                 "member": item.get("member")}
        found["offers" if item["kind"] == "offer" else "demands"].append(entry)
    return found


def news(plan: Plan) -> list[str]:
    """The month's news, on its day, once: each reader gets ``news`` (the new items since
    the last news, or since the first day of the previous month the first time). Returns
    the refs of the members it went to. In a transaction; idempotent."""
    if not is_news_day(plan):
        return []
    day = plan.local_date
    key = f"news:{day:%Y-%m}"
    if plan.get_state(key):
        return []
    zone = plan.settings.network.zone
    first_time = datetime.combine((day.replace(day=1) - timedelta(days=1)).replace(day=1), time(0), tzinfo=zone)
    since = plan.get_state("news:since") or first_time.isoformat(timespec="seconds")
    items = new_items(plan, since)
    plan.set_state(key, plan.stamp())
    plan.set_state("news:since", plan.stamp())
    if not items["offers"] and not items["demands"]:
        plan.audit.info("news of %s: no new item, nothing sent", f"{day:%Y-%m}")
        return []
    sent = []
    for member in readers(plan):
        # Each reader's news: the others' items (their own they know), never whose.
        theirs = {kind: [{k: v for k, v in e.items() if k != "member"} for e in entries if e["member"] != member["ref"]]
                  for kind, entries in items.items()}
        if not theirs["offers"] and not theirs["demands"]:
            continue
        if tell_member(plan, member, template="news", purpose="news", cause=f"news:{day:%Y-%m}",
                       values={"member": member, "month": day.isoformat(), **theirs}, unsubscribe=UNSUBSCRIBE):
            sent.append(member["ref"])
    plan.audit.info("news of %s: %d offer(s), %d demand(s), to %d member(s)", f"{day:%Y-%m}", len(items["offers"]),
               len(items["demands"]), len(sent))
    return sent
