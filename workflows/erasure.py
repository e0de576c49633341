"""Erasing a person: everything the store holds about a member, gone; an anonymous line kept.

Used by a confirmed withdrawal (``RETRAIT`` answered ``OUI``), a declined or expired
join, and ``rers members forget``. In the caller's transaction, in this order:

1. :func:`workflows.introductions.forget_member` closes the introductions involving the
   member (the other party is told only that it will not go ahead);
2. the member's items, consents, questions (theirs, and those asked of the animators
   for them), calendar answers and the mails to or about them in the outbox are deleted;
3. every other document of the store that still holds their address, name or phone —
   an introduction, a bilan, a failure note — has it replaced by ``[effacé]``;
4. the member document is deleted and a tombstone inserted (collection ``tombstones``)::

       {"kind": "member", "status": "pending"|"confirmed", "joined": "YYYY-MM",
        "left": "YYYY-MM-DD" (UTC), "reason": "withdrawn"|"join_declined"|
        "pending_expired"|"forgotten", "by": "member"|"animator"|"robot",
        "animator": str | None, "offers": int, "demands": int,
        "contact": "email"|"phone"|"permanence"}

Once the transaction is written, the backup of the previous version of the store file
(``.bak``) is replaced by the new one, so that it keeps nothing of the person; the
mailbox's folders (handled mail, sent copies) are the animators' to clean
(see ``docs/adhesion-consentement-retrait.md``).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cached_property
from email import message_from_bytes, message_from_string, policy
from email.message import Message

from workflows import introductions
from workflows.attendance import forget_attendance
from workflows.context import Context
from workflows.items import items_of

audit = logging.getLogger("rers.audit")

ERASED = "[effacé]"
REASONS = ("withdrawn", "join_declined", "pending_expired", "forgotten")
_HANDLED = frozenset({"members", "items", "consents", "questions", "outbox", "attendance", "tombstones",
                      "replies", "state"})
"""Collections erased by rule; ``replies`` holds only hashed addresses, ``state`` none."""
_SEPARATORS = r"[\s.\-/]*"
_MIN_NAME = 4
"""A shorter name ("Al") would be found inside unrelated words: it is only erased where a
whole value equals it."""


@dataclass(frozen=True)
class Traces:
    """What identifies a person in free text: address, name, phone (any of them None)."""

    address: str | None
    name: str | None
    phone: str | None

    @classmethod
    def of(cls, member: dict) -> "Traces":
        return cls(member.get("address") or None, (member.get("name") or "").strip() or None,
                   member.get("phone") or None)

    @cached_property
    def _patterns(self) -> list[re.Pattern[str]]:
        patterns = []
        if self.address:
            patterns.append(re.compile(re.escape(self.address), re.IGNORECASE))
        if self.name and len(self.name) >= _MIN_NAME:
            patterns.append(re.compile(r"\s+".join(map(re.escape, self.name.split())), re.IGNORECASE))
        digits = re.sub(r"\D", "", self.phone or "")
        if len(digits) >= 6:
            forms = [digits]
            if (self.phone or "").startswith("+33"):
                forms.append("0" + digits[2:])
            alternatives = "|".join(_SEPARATORS.join(form) for form in forms)
            patterns.append(re.compile(rf"(?<!\d)(?:\+|00)?(?:{alternatives})(?!\d)"))
        return patterns

    def redact(self, text: str) -> str:
        """``text`` with every trace replaced by :data:`ERASED`."""
        for pattern in self._patterns:
            text = pattern.sub(ERASED, text)
        if self.name and text.strip().lower() == self.name.lower():
            text = ERASED
        return text

    def found_in(self, text: str) -> bool:
        return self.redact(text) != text

    def in_mail(self, raw: str) -> bool:
        """True when a stored mail (its raw text) names the person anywhere: headers,
        any text part once decoded, attached messages (forwards to the animators)."""
        if self.found_in(raw):
            return True
        return any(self.found_in(text) for text in _mail_texts(message_from_string(raw, policy=policy.default)))

    def scrub(self, value):
        """``value`` (JSON-like) with every string redacted, keys included."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        if isinstance(value, dict):
            return {self.scrub(k): self.scrub(v) for k, v in value.items()}
        return value


def _mail_texts(msg: Message, depth: int = 0):
    """The decoded headers and texts of a message, of the messages attached to it
    (``message/rfc822``, which :meth:`Message.walk` enters) and of the raw ``.eml``
    attachments of forwards to the animators (8-bit originals travel base64-encoded)."""
    for part in msg.walk():
        yield from (str(value) for value in part.values())
        if part.is_multipart():
            continue
        try:
            if part.get_content_maintype() == "text":
                yield part.get_content()
            elif depth < 3 and (part.get_filename() or "").endswith(".eml"):
                inner = message_from_bytes(part.get_payload(decode=True) or b"", policy=policy.default)
                yield from _mail_texts(inner, depth + 1)
        except (LookupError, ValueError, TypeError, AttributeError):  # a part in an unknown charset
            yield str(part.get_payload())


def erase_member(ctx: Context, member: dict, *, reason: str, by: str, animator: str | None = None) -> dict:
    """Erase ``member`` (a member document) as described in the module docstring; returns
    the tombstone. ``reason``: one of :data:`REASONS`; ``by``: ``member``, ``animator``
    (``animator`` names them) or ``robot``. Raises ValueError for an unknown reason. In a
    transaction; the caller queues any goodbye mail afterwards, with
    ``forget_after_send``."""
    if reason not in REASONS:
        raise ValueError(f"erasure reason {reason!r}: expected one of {REASONS}")
    ref = member["ref"]
    introductions.forget_member(ctx, ref)
    traces = Traces.of(member)
    store = ctx.store
    items = items_of(ctx, ref)
    for item in items:
        store.items.delete(item["id"])
    for consent in store.consents.find("member", ref):
        store.consents.delete(consent["id"])
    for question in store.questions.scan(lambda q: q.get("member") == ref or (
            traces.address is not None and q.get("address") == traces.address)):
        store.questions.delete(question["id"])
    forget_attendance(ctx, ref, traces.address)
    for mail in store.outbox.scan(lambda m: (traces.address in m.get("recipients", ()))
                                  or (bool(m.get("raw")) and traces.in_mail(m["raw"]))):
        store.outbox.delete(mail["id"])
    for name, collection in store.collections.items():
        if name in _HANDLED:
            continue
        for doc in collection.scan(lambda d: traces.scrub(d) != d):
            collection.replace(doc["id"], traces.scrub({k: v for k, v in doc.items() if k != "id"}))
    store.members.delete(member["id"])
    tombstone = {
        "kind": "member",
        "status": member["status"],
        "joined": member["created"][:7],
        "left": ctx.stamp()[:10],
        "reason": reason,
        "by": by,
        "animator": animator,
        "offers": sum(1 for i in items if i["kind"] == "offer"),
        "demands": sum(1 for i in items if i["kind"] == "demand"),
        "contact": member.get("contact"),
    }
    store.tombstones.insert(tombstone)
    store.forget_backup()
    audit.info("%s erased (%s, by %s)", ref, reason, by)
    return tombstone
