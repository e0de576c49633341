"""The questions the robot asks, and how an answer is matched to one.

Every binding act — joining, leaving, withdrawing an item, approving or consenting to an
introduction, a bilan — is proved by an answer to a question that only its addressee
received (protocol.md, "Replies"). This module owns those questions:

* a token ``RERS-XXXXXXXX`` is drawn from :mod:`secrets` (40 bits), shown in the question's
  subject (``[RERS-…]``) and Message-ID (``<RERS-….n@domain>``), and stored only as a
  keyed hash (HMAC-SHA256 with a per-store key);
* a question is bound to one kind, one subject (``M-14``, ``O-12``, ``MR-7``…) and the one
  address allowed to answer; it is single-use and expires;
* :func:`match` finds the question of a reply by its token (subject or body) or, failing
  that, by In-Reply-To/References, and says why an answer must not be acted on.

A question document (collection ``questions``)::

    {"token_hash": hex, "kind": str, "subject_ref": str, "member": "M-14" | None,
     "address": lower-cased address allowed to answer, "status": "open"|"answered"|
     "expired"|"cancelled", "created": UTC ISO, "expires": UTC ISO, "answer": None|str,
     "answered": UTC ISO | None, "answer_message_id": str | None, "clarified": bool,
     "data": {…}}
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from workflows.context import Context, Incoming
from workflows.mail.tokens import find_token, find_token_in_ids
from workflows.outbox import queue_mail

TOKEN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""32 symbols, without I/O/0/1 which people misread; a subset of what
:data:`workflows.mail.tokens.TOKEN_RE` accepts."""

DEFAULT_VALID_DAYS = 30


def new_token() -> str:
    """A fresh random token, ``RERS-`` + 8 symbols (40 bits from :mod:`secrets`)."""
    return "RERS-" + "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(8))


def _key(ctx: Context) -> bytes:
    key = ctx.store.get_state("token_key")
    if key is None:
        key = secrets.token_hex(32)
        ctx.store.set_state("token_key", key)
    return bytes.fromhex(key)


def token_hash(ctx: Context, token: str) -> str:
    """The stored form of a token: HMAC-SHA256 under the store's key (created on first use)."""
    return hmac.new(_key(ctx), token.upper().encode("ascii"), hashlib.sha256).hexdigest()


def question_message_id(token: str, domain: str, n: int = 1) -> str:
    """The Message-ID of the ``n``-th mail carrying ``token``: ``<RERS-XXXXXXXX.n@domain>``."""
    return f"<{token}.{n}@{domain}>"


def ask(
    ctx: Context,
    *,
    kind: str,
    subject_ref: str,
    address: str,
    template: str,
    context: dict,
    cause: str,
    to_name: str | None = None,
    member: str | None = None,
    valid_days: int = DEFAULT_VALID_DAYS,
    data: dict | None = None,
    in_reply_to: str | None = None,
    recipients: list[tuple[str | None, str]] | None = None,
    to_member: bool = True,
) -> str:
    """Create a question and queue its mail; returns the token.

    ``address`` is the only address whose answer counts. The mail goes to ``recipients``
    (default: ``[(to_name, address)]``), its subject tagged ``[token]``, its Message-ID
    :func:`question_message_id`. ``context`` gets ``token`` and ``expires`` (aware UTC).
    ``data`` is kept with the question for the workflow that reads the answer.
    """
    token = new_token()
    expires = ctx.now + timedelta(days=valid_days)
    ctx.store.questions.insert(
        {
            "token_hash": token_hash(ctx, token),
            "kind": kind,
            "subject_ref": subject_ref,
            "member": member,
            "address": address.lower(),
            "status": "open",
            "created": ctx.stamp(),
            "expires": expires.isoformat(timespec="seconds"),
            "answer": None,
            "answered": None,
            "answer_message_id": None,
            "clarified": False,
            "reminded": False,
            "data": data or {},
        }
    )
    queue_mail(
        ctx,
        template=template,
        to=recipients or [(to_name, address)],
        context={**context, "token": token, "expires": expires},
        purpose=f"question:{kind}",
        cause=cause,
        msg_id=question_message_id(token, ctx.settings.network.domain),
        subject_tag=token,
        in_reply_to=in_reply_to,
        to_member=to_member,
    )
    return token


@dataclass(frozen=True)
class Match:
    """The question a reply refers to, and whether its answer may be acted on.

    ``question`` is None when no token matched a stored question. ``refusal`` is None
    when the answer counts, else one of ``unknown token``, ``no token``, ``wrong address``,
    ``already answered``, ``expired``, ``cancelled``.
    """

    question: dict | None
    token: str | None
    refusal: str | None

    @property
    def ok(self) -> bool:
        return self.question is not None and self.refusal is None


def match(ctx: Context, incoming: Incoming, address: str | None) -> Match:
    """Find the question ``incoming`` answers and check that ``address`` may answer it now.

    The token is taken from the parsed reply (subject or body) or else from the robot's
    Message-IDs in In-Reply-To/References. ``address`` is the answerer as the workflow
    identifies them (lower-cased); the question's own address must equal it.
    """
    parsed = incoming.parsed
    token = parsed.token or find_token_in_ids([*parsed.references, *parsed.in_reply_to])
    if token is None:
        return Match(None, None, "no token")
    question = ctx.store.questions.find_one("token_hash", token_hash(ctx, token))
    if question is None:
        return Match(None, token, "unknown token")
    if question["status"] == "answered":
        return Match(question, token, "already answered")
    if question["status"] == "cancelled":
        return Match(question, token, "cancelled")
    if question["status"] == "expired" or question["expires"] <= ctx.stamp():
        return Match(question, token, "expired")
    if not address or address.lower() != question["address"]:
        return Match(question, token, "wrong address")
    return Match(question, token, None)


def close(ctx: Context, question: dict, *, status: str = "answered", answer: str | None = None,
          message_id: str | None = None) -> None:
    """Mark a question used (``answered``), ``expired`` or ``cancelled``: it can never be
    answered again."""
    ctx.store.questions.update(
        question["id"], status=status, answer=answer, answered=ctx.stamp(), answer_message_id=message_id
    )


def cancel_open(ctx: Context, *, subject_ref: str | None = None, member: str | None = None) -> int:
    """Cancel the open questions about ``subject_ref`` or for ``member``; returns how many."""
    count = 0
    for question in ctx.store.questions.find("status", "open"):
        if (subject_ref and question["subject_ref"] == subject_ref) or (member and question["member"] == member):
            close(ctx, question, status="cancelled")
            count += 1
    return count


def find_by_token(ctx: Context, text: str) -> dict | None:
    """The question whose token appears in ``text`` (any state), or None."""
    token = find_token(text)
    return None if token is None else ctx.store.questions.find_one("token_hash", token_hash(ctx, token))
