"""What the network holds about one member: ``MES DONNÉES``, ``rers members show|export``.

:func:`export` gathers it as JSON-like data; :func:`describe` says it in plain French
(the mail's text and ``rers members show``). Nothing about another person is included:
an introduction shows its reference, state and the items concerned, never the other
member.

The export (``format`` ``rers-member-export/1``)::

    {"format": …, "network": str, "generated": UTC ISO,
     "member": {ref, name, address, phone, contact, invitations, status, language,
                created, confirmed, undeliverable, registered_by},
     "items": [{ref, kind, title, description, modality, availability, place, status,
                created, closed}],
     "consents": [{purpose, subject_ref, given, how, texts, message_id, recorded_by, note,
                   at, superseded}],
     "questions": [{kind, subject_ref, status, created, expires, answer, answered}],
     "introductions": [{ref, status, offer, demand, created, introduced, closed,
                        side: "offer"|"demand", consent, contact, bilan}]   (their own side only),
     "attendance": [{uid, occurrence, partstat, updated}],
     "mails": [{created, purpose, status, sent}]}
"""
from __future__ import annotations

import json
import logging
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from workflows.context import Context, Incoming
from workflows.items import items_of
from workflows.mail.compose import label_of
from workflows.members import wrote_again
from workflows.responses import answer_sender, forward_to_animators, person_address

audit = logging.getLogger("rers.audit")

FORMAT = "rers-member-export/1"
_MEMBER_KEYS = ("ref", "name", "address", "phone", "contact", "invitations", "status", "language", "created",
                "confirmed", "undeliverable", "registered_by")
_ITEM_KEYS = ("ref", "kind", "title", "description", "modality", "availability", "place", "status", "created",
              "closed")
_CONSENT_KEYS = ("purpose", "subject_ref", "given", "how", "texts", "message_id", "recorded_by", "note", "at",
                 "superseded")
_QUESTION_KEYS = ("kind", "subject_ref", "status", "created", "expires", "answer", "answered")
_INTRODUCTION_KEYS = ("ref", "status", "offer", "demand", "created", "introduced", "closed")
_ATTENDANCE_KEYS = ("uid", "occurrence", "partstat", "updated")


def _pick(doc: dict, keys: tuple[str, ...]) -> dict:
    return {k: doc.get(k) for k in keys}


def _introduction(intro: dict, ref: str) -> dict:
    """The member's view of an introduction (:mod:`workflows.introductions` shape): its
    facts and their own side — their consent, contact choice and bilan, never the other's."""
    side = "offer" if intro.get("offer_member") == ref else "demand"
    return {**_pick(intro, _INTRODUCTION_KEYS), "side": side,
            **{key: (intro.get(f"{key}s") or {}).get(side) for key in ("consent", "contact", "bilan")}}


def export(ctx: Context, member: dict) -> dict:
    """Everything stored about ``member`` (a member document), as described in the module
    docstring. Times are UTC ISO-8601 as stored."""
    ref, address = member["ref"], member.get("address")
    store = ctx.store
    return {
        "format": FORMAT,
        "network": ctx.settings.network.name,
        "generated": ctx.stamp(),
        "member": _pick(member, _MEMBER_KEYS),
        "items": [_pick(i, _ITEM_KEYS) for i in items_of(ctx, ref)],
        "consents": [_pick(c, _CONSENT_KEYS) for c in store.consents.find("member", ref)],
        "questions": [_pick(q, _QUESTION_KEYS) for q in store.questions.scan(
            lambda q: q.get("member") == ref and not q.get("data", {}).get("proxy"))],
        "introductions": [_introduction(i, ref) for i in store.introductions.scan(
            lambda i: ref in (i.get("offer_member"), i.get("demand_member")))],
        "attendance": [_pick(a, _ATTENDANCE_KEYS) for a in store.attendance.scan(
            lambda a: a.get("member") == ref or (address is not None and a.get("address") == address))],
        "mails": [_pick(m, ("created", "purpose", "status", "sent")) for m in store.outbox.scan(
            lambda m: address is not None and address in m.get("recipients", ()))],
    }


_STATUS = {"pending": "adhésion pas encore confirmée", "confirmed": "membre"}
_CONTACT = {"email": "par e-mail", "phone": "par téléphone", "permanence": "à la permanence"}
_ITEM_STATUS = {"held": "en attente de votre confirmation", "open": "ouverte", "closed": "retirée"}
_HOW = {"mail": "par e-mail", "oral": "de vive voix", "written": "par écrit"}


def _day(stamp: str, zone: ZoneInfo) -> str:
    """A stored UTC ISO time as the network's local date, ``DD/MM/YYYY``."""
    return datetime.fromisoformat(stamp).astimezone(zone).strftime("%d/%m/%Y")


def describe(data: dict, zone: ZoneInfo) -> str:
    """The export in plain French, one fact a line; dates in the network's ``zone``."""
    m = data["member"]
    lines = [
        f"Numéro de membre : {m['ref']} ({_STATUS.get(m['status'], m['status'])})",
        f"Nom : {m['name'] or '—'}",
        f"Adresse e-mail : {m['address'] or '—'}" + (" (des messages n'ont pas pu vous être remis)"
                                                      if m.get("undeliverable") else ""),
        f"Téléphone : {m['phone'] or '—'}",
        f"Mise en relation : {_CONTACT.get(m['contact'], m['contact'] or '—')}",
        f"Invitations du calendrier : {'oui' if m['invitations'] else 'non'}",
        f"Adhésion demandée le : {_day(m['created'], zone)}"
        + (f", confirmée le {_day(m['confirmed'], zone)}" if m['confirmed'] else ""),
    ]
    if m.get("registered_by"):
        lines.append(f"Inscription notée par : {m['registered_by']}")
    lines.append("")
    lines.append("Offres et demandes :" if data["items"] else "Offres et demandes : aucune")
    for item in data["items"]:
        kind = "offre" if item["kind"] == "offer" else "demande"
        lines.append(f"- {item['ref']} ({kind}, {_ITEM_STATUS.get(item['status'], item['status'])}) : {item['title']}")
        for label, key in (("Description", "description"), ("Disponibilités", "availability"), ("Lieu", "place")):
            if item.get(key):
                lines.append(f"  {label} : {item[key]}")
    lines.append("")
    lines.append("Accords enregistrés :" if data["consents"] else "Accords enregistrés : aucun")
    for consent in data["consents"]:
        texts = ", ".join(t["version"] for t in (consent.get("texts") or {}).values())
        how = _HOW.get(consent["how"], consent["how"])
        who = f", noté par {consent['recorded_by']}" if consent.get("recorded_by") else ""
        what = "adhésion" if consent["purpose"] == "membership" else f"{consent['purpose']} {consent['subject_ref']}"
        state = "" if consent.get("superseded") is None else f" (remplacé le {_day(consent['superseded'], zone)})"
        note = f" ({consent['note']})" if consent.get("note") else ""
        versions = f" — textes : {texts}" if texts else ""
        given = "accord" if consent["given"] else "refus"
        lines.append(f"- {_day(consent['at'], zone)} : {what}, {given} {how}{who}{note}{versions}{state}")
    if data["introductions"]:
        lines.append("")
        lines.append("Mises en relation :")
        lines.extend(f"- {i['ref']} : {label_of(i['status'], 'status', 'fr')}" for i in data["introductions"])
    open_questions = [q for q in data["questions"] if q["status"] == "open"]
    if open_questions:
        lines.append("")
        lines.append(f"Questions en attente de votre réponse : {len(open_questions)}")
    lines.append("")
    lines.append(f"Messages que le réseau vous a écrits : {len(data['mails'])}")
    return "\n".join(lines) + "\n"


def as_json(data: dict) -> str:
    """The export as pretty UTF-8 JSON text."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def on_my_data(ctx: Context, incoming: Incoming) -> str:
    """``my_data`` (``MES DONNÉES``): everything stored about the sender's address, as
    text and a JSON attachment, to that address only (so a forged From gets nothing to
    the forger). An unknown address is told the network holds nothing about it. The
    mail's stored copy is dropped once sent."""
    address = person_address(incoming)
    if not address:
        forward_to_animators(ctx, incoming, reason="my_data_no_address")
        return "forwarded: no address"
    member = wrote_again(ctx, address)
    if member is None:
        answer_sender(ctx, incoming, template="my_data", context={"found": False, "text": ""}, purpose="my_data",
                      forget_after_send=True)
        return "my_data: nothing stored"
    data = export(ctx, member)

    def attach(msg: EmailMessage) -> None:
        msg.add_attachment(as_json(data).encode("utf-8"), maintype="application", subtype="json",
                           filename=f"mes-donnees-{member['ref']}.json")

    text = describe(data, ctx.settings.network.zone)
    answer_sender(ctx, incoming, template="my_data", context={"found": True, "text": text, "ref": member["ref"]},
                  purpose="my_data", attach=attach, forget_after_send=True)
    return f"my_data: {member['ref']}"
