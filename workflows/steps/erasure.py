"""Erasing a person: everything the store holds about a member, gone; an anonymous line kept.

Used by a confirmed withdrawal (``RETRAIT`` answered ``OUI``), a declined or expired
join, and ``rers members forget``. In the caller's transaction, in this order:

1. :func:`workflows.steps.introductions.forget_member` closes the introductions involving the
   member (the other party is told only that it will not go ahead);
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
(``.bak``) is replaced by the new one, so that it keeps nothing of the person; the
mailbox's folders (handled mail, sent copies) are the animators' to clean
(see ``docs/adhesion-consentement-retrait.md``).
"""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cached_property, lru_cache
from email import message_from_bytes, message_from_string, policy
from email.message import Message

from unidecode import unidecode

from workflows.steps import introductions
from workflows.steps.attendance import forget_attendance
from workflows.context import Context
from workflows.steps.items import items_of

audit = logging.getLogger("rers.audit")

ERASED = "[effacé]"
REASONS = ("withdrawn", "join_declined", "pending_expired", "forgotten")
_HANDLED = frozenset({"members", "outbox", "attendance", "tombstones", "replies", "state"})
"""Collections erased by rule; ``replies`` holds only hashed addresses, ``state`` none.
The member's own items, consents and questions are deleted, and those of the others
scrubbed like any document (an animator's note, a title, may name the person)."""
_SEPARATORS = r"[\s.\-/]*"
_MIN_NAME = 4
"""A shorter name ("Al") would be found inside unrelated words: it is only erased where a
whole value equals it."""
_MIN_WORD = 3
"""Words of the name shorter than this ("Al", "de", "Lé") are never erased alone."""
_WORD = frozenset("0123456789abcdefghijklmnopqrstuvwxyz")
_AFTER = r"(?![0-9a-z])"
"""Word boundaries in folded text (lower-case ASCII letters and digits make words); the
one before a match is checked by :func:`_folded_sub` (a lookbehind at the start of a
pattern makes the search four times slower)."""
_INTRO_FREE_TEXT = ("interest", "obstacles", "facilitators", "text")
"""The fields of a bilan written by a member (see :mod:`workflows.steps.introductions`)."""


_FOLDED: dict[int, str] = {}
"""Non-ASCII character -> its folded form, filled as characters are met (for
:meth:`str.translate`, which folds a text at C speed)."""


def _fold(text: str) -> str:
    """``text`` lower-cased and transliterated (unidecode: « Pâço » -> « paco », « œ » ->
    « oe »)."""
    return text.lower() if text.isascii() else _fold_unicode(text)


@lru_cache(maxsize=16384)
def _fold_unicode(text: str) -> str:
    # Cached: erasing 300 expired joins at once scans the same texts 300 times.
    for char in set(text):
        if ord(char) >= 128 and ord(char) not in _FOLDED:
            _FOLDED[ord(char)] = unidecode(char).lower()
    return text.translate(_FOLDED).lower()


def _owners(text: str) -> list[int]:
    """For each character of ``_fold(text)``, the index of the character of ``text`` it
    comes from."""
    owners: list[int] = []
    for index, char in enumerate(text):
        owners.extend([index] * len(_fold(char)))
    return owners


def _folded_sub(pattern: re.Pattern[str], text: str) -> str:
    """``text`` with every match of ``pattern`` in its folded form (:func:`_fold`)
    replaced by :data:`ERASED`; a match that starts or ends inside one character's
    transliteration (the « o » of « œ ») is left alone."""
    folded = _fold(text)
    matches = [match.span() for match in pattern.finditer(folded)
               if match.start() == 0 or folded[match.start() - 1] not in _WORD]
    if not matches:
        return text
    if text.isascii():
        spans = matches
    else:
        owners, spans = _owners(text), []
        for start, end in matches:
            if (start > 0 and owners[start - 1] == owners[start]) or (end < len(owners) and owners[end] == owners[end - 1]):
                continue
            first, last = owners[start], owners[end - 1] + 1
            while last < len(text) and unicodedata.combining(text[last]):
                last += 1  # an accent written apart (NFD) belongs to the erased letter
            spans.append((first, last))
    for start, end in reversed(spans):
        text = text[:start] + ERASED + text[end:]
    return text


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

    @classmethod
    def all_of(cls, member: dict) -> list["Traces"]:
        """The member's traces now, then those of each name and phone an animator replaced
        (``former``, see :func:`workflows.steps.membership.set_member_fields`): older texts may
        still hold them."""
        return [cls.of(member), *(cls(None, (f.get("name") or "").strip() or None, f.get("phone") or None)
                                  for f in member.get("former") or ())]

    @cached_property
    def _patterns(self) -> list[re.Pattern[str]]:
        """Matched in the text as written: the address, the phone number."""
        patterns = []
        if self.address:
            patterns.append(re.compile(re.escape(self.address), re.IGNORECASE))
        digits = re.sub(r"\D", "", self.phone or "")
        if len(digits) >= 6:
            forms = [digits]
            if (self.phone or "").startswith("+33"):
                forms.append("0" + digits[2:])
            alternatives = "|".join(_SEPARATORS.join(form) for form in forms)
            patterns.append(re.compile(rf"(?<!\d)(?:\+|00)?(?:{alternatives})(?!\d)"))
        return patterns

    @cached_property
    def _folded_name(self) -> str:
        return " ".join(_fold(self.name or "").split())

    @cached_property
    def _name_pattern(self) -> re.Pattern[str] | None:
        """The whole name, matched in folded text (accents and case aside)."""
        if not self.name or len(self.name) < _MIN_NAME or not self._folded_name:
            return None
        return re.compile(r"\s+".join(map(re.escape, self._folded_name.split())) + _AFTER)

    @cached_property
    def _words_pattern(self) -> re.Pattern[str] | None:
        """Each word of the name of at least :data:`_MIN_WORD` letters, matched whole in
        folded text."""
        words = sorted({w for w in re.findall(r"[0-9a-z]+", self._folded_name) if len(w) >= _MIN_WORD},
                       key=lambda w: (-len(w), w))
        return re.compile("(?:" + "|".join(words) + ")" + _AFTER) if words else None

    def redact(self, text: str, *, words: bool = False) -> str:
        """``text`` with every trace replaced by :data:`ERASED`: the address, the phone
        number in any spelling, the whole name (accents and case aside); with ``words``,
        also each word of the name of three letters or more on its own (« Paco n'a jamais
        répondu »: for what was written about this very person, where a first name alone
        names them)."""
        for pattern in self._patterns:
            text = pattern.sub(ERASED, text)
        for pattern in (self._name_pattern, self._words_pattern if words else None):
            if pattern is not None:
                text = _folded_sub(pattern, text)
        if (self._folded_name and len(text) <= 2 * len(self._folded_name) + 16
                and " ".join(_fold(text).split()) == self._folded_name):
            text = ERASED
        return text

    def found_in(self, text: str, *, words: bool = False) -> bool:
        return self.redact(text, words=words) != text

    def in_mail(self, raw: str, *, words: bool = False) -> bool:
        """True when a stored mail (its raw text) names the person anywhere: headers,
        any text part once decoded, attached messages (forwards to the animators)."""
        if self.found_in(raw, words=words):
            return True
        try:
            return any(self.found_in(text, words=words)
                       for text in _mail_texts(message_from_string(raw, policy=policy.default)))
        except RecursionError:
            # An attached message nested too deep to read (a forward of a poison message):
            # what cannot be read may name the person, so it counts as naming them.
            return True

    def scrub(self, value, *, words: bool = False):
        """``value`` (JSON-like) with every string redacted, keys included."""
        if isinstance(value, str):
            return self.redact(value, words=words)
        if isinstance(value, list):
            return [self.scrub(v, words=words) for v in value]
        if isinstance(value, dict):
            return {self.scrub(k, words=words): self.scrub(v, words=words) for k, v in value.items()}
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


def _instant(stamp: str) -> datetime:
    """A stored time as an aware datetime (a naive one is UTC)."""
    value = datetime.fromisoformat(stamp)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _about(cause: str | None, refs: set[str]) -> bool:
    """True when a mail's cause is one of these introductions (``MR-7``, ``MR-7:bilan:offer``…)."""
    return bool(cause) and (cause in refs or cause.split(":", 1)[0] in refs)


def _forget_words(ctx: Context, traces: Traces, refs: list[str], queued: set[int]) -> None:
    """In the introductions ``refs`` the member was part of, what the members wrote (each
    side's bilan) and the words of the titles (``why``) lose every word of the member's
    name (« Paco n'a jamais répondu »), not only the whole name; so do the consent notes
    about them, and the mails about them still waiting in the outbox (ids ``queued``,
    taken before :func:`workflows.steps.introductions.forget_member` queued the other's notice)
    that quote such a word are dropped."""
    store = ctx.store
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


def erase_member(ctx: Context, member: dict, *, reason: str, by: str, animator: str | None = None) -> dict:
    """Erase ``member`` (a member document) as described in the module docstring; returns
    the tombstone. ``reason``: one of :data:`REASONS`; ``by``: ``member``, ``animator``
    (``animator`` names them) or ``robot``. Raises ValueError for an unknown reason. In a
    transaction; the caller queues any goodbye mail afterwards, with
    ``forget_after_send``."""
    if reason not in REASONS:
        raise ValueError(f"erasure reason {reason!r}: expected one of {REASONS}")
    ref = member["ref"]
    traces, *former = Traces.all_of(member)
    store = ctx.store
    theirs = [i["ref"] for i in store.introductions.scan(
        lambda i: ref in (i.get("offer_member"), i.get("demand_member")))]
    queued = {m["id"] for m in store.outbox.find("status", "queued")}
    introductions.forget_member(ctx, ref)
    for each in (traces, *former):
        _forget_words(ctx, each, theirs, queued)
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
                                  or (bool(m.get("raw")) and any(t.in_mail(m["raw"]) for t in (traces, *former)))):
        store.outbox.delete(mail["id"])
    for name, collection in store.collections.items():
        if name in _HANDLED:
            continue
        for each in (traces, *former):
            for doc in collection.scan(lambda d: each.scrub(d) != d):
                collection.replace(doc["id"], each.scrub({k: v for k, v in doc.items() if k != "id"}))
    store.members.delete(member["id"])
    zone = ctx.settings.network.zone
    left = ctx.now
    if reason == "pending_expired":
        # The day the request lapsed, not the day a job got round to it: the report of the
        # month it lapsed in counts it whether it ran before or after the erasure.
        left = min(left, _instant(member["created"]) + timedelta(days=ctx.settings.membership.pending_days))
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
    store.forget_backup()
    audit.info("%s erased (%s, by %s)", ref, reason, by)
    return tombstone
