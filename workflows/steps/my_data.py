"""What the network holds about one member: ``MES DONNÉES``, ``rers members show|export``.

:func:`export` gathers it as JSON-like data; the templates ``my_data`` and
``_my_data.txt.j2`` say it in words of the network's language (the mail, and
``rers members show``, which prints the mail's text). Nothing about another person is included:
an introduction shows its reference, state and the items concerned, never the other
member.

The export (``format`` ``rers-member-export/1``)::

    {"format": …, "network": str, "generated": UTC ISO,
     "member": {ref, name, address, phone, contact, invitations, status, language,
                created, confirmed, undeliverable, registered_by, invitations_round, former},
     "items": [{ref, kind, title, description, modality, availability, place, status,
                created, closed, shared, served_by}]   (shared: true when the member
                wrote « Réseaux voisins : oui » on it — its title, form and availability
                go to the linked networks —, else false or None)   (served_by: for a demand, the introduction
                that served it — made, its exchange not said not to have happened — or None),
     "consents": [{purpose, subject_ref, given, how, texts, message_id, recorded_by, note,
                   at, superseded}],
     "questions": [{kind, subject_ref, status, created, expires, answer, answered}],
     "introductions": [{ref, status, offer, demand, created, introduced, closed,
                        side: "offer"|"demand", consent, contact, bilan}]   (their own side only),
     "groups": [{ref, status, offer, created, closed, role: "offer"|"asker", state, place,
                 waiting, bilan}]   (their own part only: never who else is in the group),
     "crossings": [{ref, status, peer, item, side: "offer"|"demand", created, introduced,
                    closed, consent, contact, bilan}]   (introductions with a linked network:
                 their own side only, never the other network's member),
     "attendance": [{uid, occurrence, partstat, updated}],
     "testimonies": [{ref, status, signature, text, created, published, withdrawn}],
     "recueil": [{collection, words, quote, at}]   (their answers to the échanges sur les
                 échanges' questions, while kept; the effect lines are never kept with
                 the person, so they are not here),
     "mails": [{created, purpose, status, sent}],
     "counts": {transmitted, received, groups}}   (open reciprocity: savoirs transmis —
               introductions made on their offers —, reçus — on their demands —, groups
               they took part in; :func:`workflows.model.reciprocity.own_counts`)
"""
from __future__ import annotations

import json

from workflows.decision import Attachment, Incoming, Plan
from workflows.lookup import items_of
from workflows.mail.sender import person_address
from workflows.model.federated_introductions import introduced_at
from workflows.model.matching import SERVING
from workflows.model.reciprocity import own_counts
from workflows.steps.people import wrote_again
from workflows.steps.speaking import answer_sender, forward_to_animators
from workflows.model.said import Said


FORMAT = "rers-member-export/1"
_MEMBER_KEYS = ("ref", "name", "address", "phone", "contact", "invitations", "status", "language", "created",
                "confirmed", "undeliverable", "registered_by", "invitations_round", "former")
_ITEM_KEYS = ("ref", "kind", "title", "description", "modality", "availability", "place", "status", "created",
              "closed", "shared")
_CONSENT_KEYS = ("purpose", "subject_ref", "given", "how", "texts", "message_id", "recorded_by", "note", "at",
                 "superseded")
_QUESTION_KEYS = ("kind", "subject_ref", "status", "created", "expires", "answer", "answered")
_INTRODUCTION_KEYS = ("ref", "status", "offer", "demand", "created", "introduced", "closed")
_ATTENDANCE_KEYS = ("uid", "occurrence", "partstat", "updated")


def _pick(doc: dict, keys: tuple[str, ...]) -> dict:
    return {k: doc.get(k) for k in keys}


def _introduction(intro: dict, ref: str) -> dict:
    """The member's view of an introduction (:mod:`workflows.steps.introductions` shape): its
    facts and their own side — their consent, contact choice and bilan, never the other's."""
    side = "offer" if intro.get("offer_member") == ref else "demand"
    return {**_pick(intro, _INTRODUCTION_KEYS), "side": side,
            **{key: (intro.get(f"{key}s") or {}).get(side) for key in ("consent", "contact", "bilan")}}


def _crossing(record: dict) -> dict:
    """The member's view of a cross-network introduction
    (:mod:`workflows.steps.federated_introductions` shape): our side only — their consent,
    contact choice and bilan; of the other network, its name."""
    return {**_pick(record, ("ref", "status", "item", "side", "created", "closed", "contact", "bilan")),
            "peer": record.get("peer_name"), "introduced": introduced_at(record),
            "consent": (record.get("consents") or {}).get("ours")}


def _group(group: dict, ref: str) -> dict:
    """The member's view of a group (:mod:`workflows.model.groups` shape): its facts and
    their own part — leading it, or their answer, place or place on the waiting list, their
    bilan —, never anyone else's."""
    leader = group.get("offer_member") == ref
    entry = next((a for a in group.get("askers", ()) if a.get("member") == ref), {})
    bilan = next((b for b in group.get("bilans", ()) if b.get("member") == ref), None)
    return {**_pick(group, ("ref", "status", "offer", "created", "closed")), "role": "offer" if leader else "asker",
            "state": "leader" if leader else entry.get("state"),
            "place": group["places"].index(ref) + 1 if ref in group.get("places", ()) else None,
            "waiting": group["waiting"].index(ref) + 1 if ref in group.get("waiting", ()) else None,
            "bilan": bilan}


def _served_by(item: dict, introductions: list[dict]) -> str | None:
    """The ref of the introduction that served the demand ``item`` (one made —
    :data:`workflows.model.matching.SERVING` — whose exchange was not said not to have
    happened), or None: such a demand stays open but is not matched again."""
    if item["kind"] != "demand":
        return None
    for intro in introductions:
        if intro.get("demand") == item["ref"] and intro["status"] in SERVING and not intro.get("not_happened"):
            return intro["ref"]
    return None


def export(plan: Plan, member: dict) -> dict:
    """Everything stored about ``member`` (a member document), as described in the module
    docstring. Times are UTC ISO-8601 as stored."""
    ref, address = member["ref"], member.get("address")
    store = plan
    introductions = list(store.introductions.scan(lambda i: ref in (i.get("offer_member"), i.get("demand_member"))))
    groups = list(store.groups.scan(
        lambda g: g.get("offer_member") == ref or any(a.get("member") == ref for a in g.get("askers", ()))))
    return {
        "format": FORMAT,
        "network": plan.settings.network.name,
        "generated": plan.stamp(),
        "member": _pick(member, _MEMBER_KEYS),
        "items": [{**_pick(i, _ITEM_KEYS), "served_by": _served_by(i, introductions)}
                  for i in items_of(plan, ref)],
        "consents": [_pick(c, _CONSENT_KEYS) for c in store.consents.find("member", ref)],
        "questions": [_pick(q, _QUESTION_KEYS) for q in store.questions.scan(
            lambda q: q.get("member") == ref and not q.get("data", {}).get("proxy"))],
        "introductions": [_introduction(i, ref) for i in introductions],
        "groups": [_group(g, ref) for g in groups],
        "crossings": [_crossing(c) for c in store.crossings.scan(lambda c: c.get("member") == ref)],
        "attendance": [_pick(a, _ATTENDANCE_KEYS) for a in store.attendance.scan(
            lambda a: a.get("member") == ref or (address is not None and a.get("address") == address))],
        "testimonies": [_pick(t, ("ref", "status", "signature", "text", "created", "published", "withdrawn"))
                        for t in store.testimonies.find("member", ref)],
        "recueil": [_pick(a, ("collection", "words", "quote", "at")) for a in store.voice_answers.find("member", ref)],
        "mails": [_pick(m, ("created", "purpose", "status", "sent")) for m in store.outbox.scan(
            lambda m: address is not None and address in m.get("recipients", ()))],
        "counts": own_counts(ref, introductions, groups),
    }


def as_json(data: dict) -> str:
    """The export as pretty UTF-8 JSON text."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def nothing_stored(plan: Plan, incoming: Incoming) -> str:
    """``my_data`` from an address that is no member's: told the network holds nothing
    about it (the answer keeps no copy once sent)."""
    answer_sender(plan, incoming, template="my_data", values={"found": False, "data": None}, purpose="my_data",
                  forget_after_send=True)
    return Said("my_data: nothing stored")


def on_my_data(plan: Plan, incoming: Incoming) -> str:
    """``my_data`` (``MES DONNÉES``): everything stored about the sender's address, as
    text and a JSON attachment, to that address only (so a forged From gets nothing to
    the forger). An unknown address is told the network holds nothing about it. The
    mail's stored copy is dropped once sent."""
    address = person_address(incoming.parsed)
    if not address:
        forward_to_animators(plan, incoming, reason="my_data_no_address")
        return Said("forwarded: no address")
    member = wrote_again(plan, address)  # a member (pending or confirmed): MEMBER let it through
    data = export(plan, member)

    export_file = Attachment("file", as_json(data).encode("utf-8"), "application/json",
                             f"mes-donnees-{member['ref']}.json")
    sent = answer_sender(plan, incoming, template="my_data", values={"found": True, "data": data, "ref": member["ref"]},
                         purpose="my_data", attachments=[export_file], forget_after_send=True, must_reach=True)
    if sent:
        return Said("my_data: {member}", member=member["ref"])
    return Said("my_data: {member} (withheld by the daily limit)", member=member["ref"])
