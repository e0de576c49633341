"""Erasing a person: everything the store holds about a member, gone; an anonymous line kept.

Used by a confirmed withdrawal (``RETRAIT`` answered ``OUI``), a declined or expired
join, and ``rers members forget``. In the caller's transaction, in this order:

1. :func:`workflows.steps.introductions.forget_member` closes the introductions involving the
   member (the other party is told only that it will not go ahead),
   :func:`workflows.steps.federated_introductions.forget_member` ends their cross-network
   introductions (the linked network told to erase what it held of them), and
   :func:`workflows.steps.groups.forget_member` takes them out of their groups (a group
   they offer will not go on; their place goes to the next), and
   :func:`workflows.steps.testimonies.forget_member` deletes their testimonies (unpublished
   at the page's next publication, which follows the erasure at once);
2. in those introductions, what either member wrote (the bilans) and the words of the
   titles lose each word of the member's name of three letters or more, accents and
   case aside (« Paco n'a jamais répondu » -> « [effacé] n'a jamais répondu »), and so
   do the consent notes about them; a mail about them still queued that quotes such a
   word is dropped;
3. the member's items, consents, questions (theirs, and those asked of the animators
   for them), calendar answers and the mails to or about them in the outbox are deleted;
4. every other document of the store that still holds their address, whole name (accents
   and case aside) or phone — an introduction, a bilan, another member's title, an
   animator's note, a failure note — has it replaced by ``[effacé]``;
5. the member document is deleted and a tombstone inserted (collection ``tombstones``)::

       {"kind": "member", "status": "pending"|"confirmed", "joined": "YYYY-MM",
        "confirmed": "YYYY-MM" | None, "left": "YYYY-MM-DD", "reason": "withdrawn"|
        "join_declined"|"pending_expired"|"forgotten", "by": "member"|"animator"|"robot",
        "animator": str | None, "offers": int, "demands": int,
        "contact": "email"|"phone"|"permanence"}

   Months and days are the network's local ones (those of the report,
   :mod:`workflows.steps.reports`); ``confirmed`` is absent from tombstones written before
   it existed, and ``left`` was then a UTC day. For an expired join, ``left`` is the day
   the request lapsed (``pending_days`` after it was made), not the day the job ran.

Once the transaction is written, the backup of the previous version of the store file
(``.bak``) is replaced by the new one, so that it keeps nothing of the person; then the
shell (:mod:`workflows.shell.erasure`) takes the person's messages out of the mailbox's
folders — handled mail, parked mail, sent copies — and republishes the public catalogue
page and the calendar feeds at once (see ``docs/adhesion-consentement-retrait.md``). The
plan tells it whom (:meth:`workflows.decision.Plan.erased_person`); the audit log gets
the ref only.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from workflows.decision import Mail, Plan
from workflows.lookup import items_of
from workflows.model.traces import Traces
from workflows.steps import federated_introductions, groups, introductions, testimonies, voice
from workflows.steps.attendance import forget_attendance


REASONS = ("withdrawn", "join_declined", "pending_expired", "forgotten")
_HANDLED = frozenset({"members", "outbox", "attendance", "tombstones", "replies", "state"})
"""Collections erased by rule; ``replies`` holds only hashed addresses, ``state`` none.
The member's own items, consents and questions are deleted, and those of the others
scrubbed like any document (an animator's note, a title, may name the person)."""
_INTRO_FREE_TEXT = ("interest", "obstacles", "facilitators", "text")
"""The fields of a bilan written by a member (see :mod:`workflows.steps.introductions`)."""


def _instant(stamp: str) -> datetime:
    """A stored time as an aware datetime (a naive one is UTC)."""
    value = datetime.fromisoformat(stamp)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _about(cause: str | None, refs: set[str]) -> bool:
    """True when a mail's cause is one of these introductions (``MR-7``, ``MR-7:bilan:offer``…)."""
    return bool(cause) and (cause in refs or cause.split(":", 1)[0] in refs)


def _names(mail: Mail, traces: Traces, *, words: bool = False) -> bool:
    """True when a mail decided in this plan names the person: its recipients, the values
    it is filled with, a message it carries."""
    if traces.address is not None and traces.address in mail.recipients():
        return True
    if traces.scrub(mail.values, words=words) != mail.values:
        return True
    return any(traces.in_mail(a.content.decode("ascii", "surrogateescape") if isinstance(a.content, bytes)
                              else a.content, words=words) for a in mail.attachments if a.kind == "original")


def _forget_words(plan: Plan, traces: Traces, refs: list[str], queued: set[int], pending: list[Mail]) -> None:
    """In the introductions ``refs`` the member was part of, what the members wrote (each
    side's bilan) and the words of the titles (``why``) lose every word of the member's
    name (« Paco n'a jamais répondu »), not only the whole name; so do the consent notes
    about them, and the mails about them still waiting in the outbox (ids ``queued``) or
    decided in this plan (``pending``) — both taken before
    :func:`workflows.steps.introductions.forget_member` decided the other's notice — that
    quote such a word are dropped."""
    store = plan
    for ref in refs:
        intro = store.introductions.find_one("ref", ref)
        if intro is None:
            continue
        bilans = {side: None if bilan is None else {
                      k: traces.redact(v, words=True) if k in _INTRO_FREE_TEXT and isinstance(v, str) else v
                      for k, v in bilan.items()}
                  for side, bilan in (intro.get("bilans") or {}).items()}
        why = [traces.redact(line, words=True) if isinstance(line, str) else line for line in intro.get("why") or ()]
        if bilans != (intro.get("bilans") or {}) or why != (intro.get("why") or []):
            store.introductions.update(intro["id"], bilans=bilans, why=why)
    about = set(refs)
    for consent in store.consents.scan(lambda c: c.get("subject_ref") in about and isinstance(c.get("note"), str)):
        note = traces.redact(consent["note"], words=True)
        if note != consent["note"]:
            store.consents.update(consent["id"], note=note)
    for doc_id in sorted(queued):
        mail = store.outbox.get(doc_id)
        if (mail is not None and mail.get("raw") and _about(mail.get("cause"), about)
                and traces.in_mail(mail["raw"], words=True)):
            store.outbox.delete(doc_id)
    plan.drop_mails(lambda mail: any(mail is m for m in pending) and _about(mail.cause, about)
                    and _names(mail, traces, words=True))


def erase_member(plan: Plan, member: dict, *, reason: str, by: str, animator: str | None = None) -> dict:
    """Erase ``member`` (a member document) as described in the module docstring; returns
    the tombstone. ``reason``: one of :data:`REASONS`; ``by``: ``member``, ``animator``
    (``animator`` names them) or ``robot``. Raises ValueError for an unknown reason. In a
    transaction; the caller queues any goodbye mail afterwards, with
    ``forget_after_send``."""
    if reason not in REASONS:
        raise ValueError(f"erasure reason {reason!r}: expected one of {REASONS}")
    ref = member["ref"]
    traces, *former = Traces.all_of(member)
    store = plan
    theirs = [i["ref"] for i in store.introductions.scan(
        lambda i: ref in (i.get("offer_member"), i.get("demand_member")))]
    queued = {m["id"] for m in store.outbox.find("status", "queued")}
    pending = list(plan.outgoing)
    introductions.forget_member(plan, ref)
    federated_introductions.forget_member(plan, ref)
    groups.forget_member(plan, ref)
    testimonies.forget_member(plan, ref)
    voice.forget_member(plan, ref)
    for each in (traces, *former):
        _forget_words(plan, each, theirs, queued, pending)
    items = items_of(plan, ref)
    for item in items:
        store.items.delete(item["id"])
    for consent in store.consents.find("member", ref):
        store.consents.delete(consent["id"])
    for question in store.questions.scan(lambda q: q.get("member") == ref or (
            traces.address is not None and q.get("address") == traces.address)):
        store.questions.delete(question["id"])
    forget_attendance(plan, ref, traces.address)
    for mail in store.outbox.scan(lambda m: (traces.address in m.get("recipients", ()))
                                  or (bool(m.get("raw")) and any(t.in_mail(m["raw"]) for t in (traces, *former)))):
        store.outbox.delete(mail["id"])
    plan.drop_mails(lambda mail: any(_names(mail, t) for t in (traces, *former)))
    for name, collection in store.collections.items():
        if name in _HANDLED:
            continue
        for each in (traces, *former):
            for doc in collection.scan(lambda d: each.scrub(d) != d):
                collection.replace(doc["id"], each.scrub({k: v for k, v in doc.items() if k != "id"}))
    store.members.delete(member["id"])
    zone = plan.settings.network.zone
    left = plan.now
    if reason == "pending_expired":
        # The day the request lapsed, not the day a job got round to it: the report of the
        # month it lapsed in counts it whether it ran before or after the erasure.
        left = min(left, _instant(member["created"]) + timedelta(days=plan.settings.membership.pending_days))
    tombstone = {
        "kind": "member",
        "status": member["status"],
        "joined": _instant(member["created"]).astimezone(zone).strftime("%Y-%m"),
        "confirmed": (_instant(member["confirmed"]).astimezone(zone).strftime("%Y-%m")
                      if member.get("confirmed") else None),
        "left": left.astimezone(zone).date().isoformat(),
        "reason": reason,
        "by": by,
        "animator": animator,
        "offers": sum(1 for i in items if i["kind"] == "offer"),
        "demands": sum(1 for i in items if i["kind"] == "demand"),
        "contact": member.get("contact"),
    }
    store.tombstones.insert(tombstone)
    plan.erased_person(ref, traces.address)
    plan.audit.info("%s erased (%s, by %s)", ref, reason, by)
    return tombstone
