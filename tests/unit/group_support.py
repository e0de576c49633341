"""A small network for the groups' tests (issue 17): the introductions' :class:`Net`, with
collective offers, a group built and led in a few calls, and the calendar parts of a mail
read by an independent iCalendar parser."""
from __future__ import annotations

import re

import icalendar
import recurring_ical_events

from intro_support import ANIMATORS, Net
from workflows.steps import groups, introductions

A1, A2 = ANIMATORS
PACO, LINA, AWA, ZOE = "paco.ruiz@example.net", "lina.petit@example.org", "awa.diallo@example.org", "zoe.marchand@example.org"
PHONES = {PACO: "+33611223344", LINA: "+33699887766", AWA: "+33655443322", ZOE: "+33644556677"}
NAMES = {PACO: "Paco Ruiz", LINA: "Lina Petit", AWA: "Awa Diallo", ZOE: "Zoé Marchand"}


def item(net: Net, member: dict, kind: str, title: str, *, modality: str | None = None, capacity: int | None = None,
         opened: bool = True) -> dict:
    """An open item of ``member``; ``opened``: offered to matching, as a new item is."""
    with net.store.transaction():
        ref = f"{'O' if kind == 'offer' else 'D'}-{net.store.next_number(kind)}"
        net.store.items.insert({
            "ref": ref, "kind": kind, "member": member["ref"], "title": title, "description": None,
            "modality": modality, "availability": None, "place": None, "status": "open",
            "created": net.now.isoformat(), "closed": None, "source": "<test>", "capacity": capacity})
    doc = net.store.items.find_one("ref", ref)
    if opened:
        net.step(introductions.on_items_opened, [doc])
        net.step(groups.on_items_opened, [doc])
    return net.store.items.find_one("ref", ref)


def people(net: Net, *addresses: str) -> dict[str, dict]:
    return {a: net.member(a, NAMES[a], phone=PHONES[a]) for a in addresses}


def knitting(net: Net, *, capacity: int | None = 2, askers=(LINA, AWA, ZOE)) -> dict[str, dict]:
    """Paco offers a knitting workshop; ``askers`` ask to learn it, in that order."""
    members = people(net, PACO, *askers)
    for address in askers:
        item(net, members[address], "demand", "apprendre le tricot")
    item(net, members[PACO], "offer", "Tricot", modality="group", capacity=capacity)
    return members


def led(net: Net, **kw) -> dict[str, dict]:
    """:func:`knitting`, approved by an animator and led by Paco: every asker was asked."""
    members = knitting(net, **kw)
    assert net.answer(A1, "question:group_approve", "OUI").startswith("G-1 approved")
    assert net.answer(PACO, "question:group_lead", "OUI").startswith("G-1 led")
    return members


def group(net: Net, ref: str = "G-1") -> dict:
    return net.store.groups.find_one("ref", ref)


def mark_sent(net: Net) -> None:
    """Every queued mail as if it had left (what the outbox does once SMTP took it)."""
    with net.store.transaction():
        for doc in net.store.outbox.find("status", "queued"):
            net.store.outbox.update(doc["id"], status="sent")


def calendars(message) -> list[icalendar.Calendar]:
    """Every calendar part of a mail (the inline text/calendar and the .ics attachment),
    parsed by icalendar."""
    found = []
    for part in message.walk():
        if part.get_content_type() in ("text/calendar", "application/ics"):
            found.append(icalendar.Calendar.from_ical(part.get_payload(decode=True)))
    return found


def attendees(calendar: icalendar.Calendar) -> list[str]:
    return [str(a).lower().removeprefix("mailto:") for event in calendar.walk("VEVENT")
            for a in (event.get("ATTENDEE") if isinstance(event.get("ATTENDEE"), list) else
                      [event.get("ATTENDEE")] if event.get("ATTENDEE") else [])]


def addresses_in(text: str) -> set[str]:
    return {a.lower() for a in re.findall(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", text)}


def occurrences(calendar: icalendar.Calendar, start, end) -> list:
    return recurring_ical_events.of(calendar).between(start, end)


__all__ = ["A1", "A2", "AWA", "LINA", "NAMES", "Net", "PACO", "PHONES", "ZOE", "addresses_in", "attendees",
           "calendars", "group", "item", "knitting", "led", "mark_sent", "occurrences", "people"]
