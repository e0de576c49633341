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
  that, by In-Reply-To/References, and says why an answer must not be acted on;
* :func:`ask_member` asks a member, or — when the member has no usable address — each
  animator in their stead (protocol.md, "Members without an email address"): one
  question per animator, each bound to that animator's address, answered with
  ``POUR M-14 : OUI``; :func:`settle` closes a question and its open siblings;
* asking again what is still asked — the same kind, subject and member, of the same
  address (a second ``RETRAIT``, a reminder, a clarification) — sends the question again
  with a new token, and the new question takes the place of the open one (``replaced_by``,
  never a later expiry): at most one open question per kind, subject, member and address,
  and a reply to any of its mails answers it (:func:`match` follows ``replaced_by``).

A question document (collection ``questions``)::

    {"token_hash": hex, "kind": str, "subject_ref": str, "member": "M-14" | None,
     "address": lower-cased address allowed to answer, "status": "open"|"answered"|
     "expired"|"cancelled", "created": UTC ISO, "expires": UTC ISO, "answer": None|str,
     "answered": UTC ISO | None, "answer_message_id": str | None, "clarified": bool,
     "reminded": bool, "replaced_by": id of the question asked in its place | absent,
     "data": {…, "proxy": "M-14" when asked of an animator for that member}}
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import authres

from config.settings import Settings
from workflows.context import Context, Incoming
from workflows.mail.model import Parsed
from workflows.mail.tokens import find_token_in_ids
from workflows.shell.outbox import queue_mail

TOKEN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""32 symbols, without I/O/0/1 which people misread; a subset of what
:data:`workflows.mail.tokens.TOKEN_RE` accepts."""

DEFAULT_VALID_DAYS = 30
PROXY_TEMPLATE = "proxy_question"
"""The animators' mail for a question meant for a member they answer for; it shows the
member's own question (the ``question_template`` of its context) inside."""

audit = logging.getLogger("rers.audit")


def new_token() -> str:
    """A fresh random token, ``RERS-`` + 8 symbols (40 bits from :mod:`secrets`)."""
    return "RERS-" + "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(8))


def _key(ctx: Context) -> bytes:
    key = ctx.store.get_state("token_key")
    if key is None:
        key = secrets.token_hex(32)
        ctx.store.set_state("token_key", key)
    return bytes.fromhex(key)


def keyed_hash(ctx: Context, text: str) -> str:
    """HMAC-SHA256 of ``text`` under the store's own random key (created on first use), in
    hex: what the store keeps instead of a token or an address, so that holding the file
    is not enough to test a guess."""
    return hmac.new(_key(ctx), text.encode("utf-8"), hashlib.sha256).hexdigest()


def token_hash(ctx: Context, token: str) -> str:
    """The stored form of a token: :func:`keyed_hash` of it in capitals."""
    return keyed_hash(ctx, token.upper())


def answered_token(parsed: Parsed) -> str | None:
    """The token of the question a reply answers: from its subject or body, else from the
    robot's Message-IDs in its References and In-Reply-To."""
    return parsed.token or find_token_in_ids([*parsed.references, *parsed.in_reply_to])


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
    auto_submitted: str = "auto-generated",
    clarified: bool = False,
) -> str:
    """Create a question and queue its mail; returns the token.

    ``address`` is the only address whose answer counts. The mail goes to ``recipients``
    (default: ``[(to_name, address)]``), its subject tagged ``[token]``, its Message-ID
    :func:`question_message_id`. ``context`` gets ``token`` and ``expires`` (aware UTC).
    ``data`` is kept with the question for the workflow that reads the answer.
    ``auto_submitted``: ``auto-replied`` when the question answers the person's message
    (RFC 3834 §5). ``clarified``: this is the clarification of an unclear answer.

    When the same question (kind, subject, member) is still open for ``address``, the new
    one takes its place (see the module docstring): it expires no later, keeps its
    ``clarified``/``reminded`` marks, and the earlier one is cancelled with
    ``replaced_by`` pointing to it, so that its token answers the new question.
    """
    token = new_token()
    address = address.lower()
    earlier = _open_same(ctx, kind, subject_ref, member, address)
    expires = min([ctx.now + timedelta(days=valid_days), *(datetime.fromisoformat(q["expires"]) for q in earlier)])
    new_id = ctx.store.questions.insert(
        {
            "token_hash": token_hash(ctx, token),
            "kind": kind,
            "subject_ref": subject_ref,
            "member": member,
            "address": address,
            "status": "open",
            "created": ctx.stamp(),
            "expires": expires.isoformat(timespec="seconds"),
            "answer": None,
            "answered": None,
            "answer_message_id": None,
            "clarified": clarified or any(q.get("clarified") for q in earlier),
            "reminded": any(q.get("reminded") for q in earlier),
            "data": data or {},
        }
    )
    for question in earlier:
        ctx.store.questions.update(question["id"], status="cancelled", answered=ctx.stamp(), replaced_by=new_id)
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
        auto_submitted=auto_submitted,
    )
    return token


def _open_same(ctx: Context, kind: str, subject_ref: str, member: str | None, address: str) -> list[dict]:
    """The open, unexpired questions of ``kind`` about ``subject_ref`` and ``member`` asked
    of ``address`` (one at most, but older stores may hold several)."""
    now = ctx.stamp()
    return [q for q in ctx.store.questions.find("subject_ref", subject_ref)
            if q["status"] == "open" and q["expires"] > now and _same(q, kind, subject_ref, member, address)]


def _same(question: dict, kind: str, subject_ref: str, member: str | None, address: str) -> bool:
    return (question["kind"], question["subject_ref"], question["member"], question["address"]) == (
        kind, subject_ref, member, address)


def current(ctx: Context, question: dict) -> dict:
    """The question asked now in place of ``question``: the end of its ``replaced_by``
    chain (itself when it was never asked again). Only the same question — kind, subject,
    member, address — is followed."""
    while question.get("replaced_by") is not None:
        successor = ctx.store.questions.get(question["replaced_by"])
        if successor is None or not _same(successor, question["kind"], question["subject_ref"],
                                          question["member"], question["address"]):
            break
        question = successor
    return question


def reachable(member: dict) -> bool:
    """True when mail to ``member`` can reach them: an address not marked undeliverable."""
    return bool(member.get("address")) and not member.get("undeliverable")


def ask_member(
    ctx: Context,
    member: dict,
    *,
    kind: str,
    subject_ref: str,
    template: str,
    context: dict,
    cause: str,
    valid_days: int = DEFAULT_VALID_DAYS,
    data: dict | None = None,
    in_reply_to: str | None = None,
    auto_submitted: str = "auto-generated",
) -> list[str]:
    """Ask ``member`` (a member document) a question; returns the tokens created.

    A :func:`reachable` member gets ``template`` rendered with ``context`` (+ ``member``).
    Otherwise each configured animator gets :data:`PROXY_TEMPLATE`, which shows that
    question, with a token bound to their own address and ``data["proxy"]`` set to the
    member's ref: their answer must then name the member (``POUR M-14 : OUI``) or not
    name anyone else, see :func:`match`. No animator configured: nothing is asked ([]).
    """
    context = {**context, "member": member}
    if reachable(member):
        return [ask(ctx, kind=kind, subject_ref=subject_ref, member=member["ref"], address=member["address"],
                    to_name=member.get("name"), template=template, context=context, cause=cause,
                    valid_days=valid_days, data=data, in_reply_to=in_reply_to, auto_submitted=auto_submitted)]
    animators = ctx.settings.network.animators
    if not animators:
        audit.warning("%s: question %s for %s has nobody to go to (no address, no animator)",
                      cause, kind, member["ref"])
    return [
        ask(ctx, kind=kind, subject_ref=subject_ref, member=member["ref"], address=animator,
            template=PROXY_TEMPLATE, context={**context, "question_template": template, "kind": kind},
            cause=cause, valid_days=valid_days, data={**(data or {}), "proxy": member["ref"]},
            to_member=False)
        for animator in animators
    ]


@dataclass(frozen=True)
class Match:
    """The question a reply refers to, and whether its answer may be acted on.

    ``question`` is None when no token matched a stored question. ``refusal`` is None
    when the answer counts, else one of ``unknown token``, ``no token``, ``wrong address``,
    ``already answered``, ``expired``, ``cancelled``, ``wrong member`` (the answer names
    another member than the question's: ``POUR M-15`` on M-14's question),
    ``not authenticated`` (an animator's answer for a member without the DKIM/DMARC pass
    the configuration's ``authserv_id`` requires).
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
    Message-IDs in In-Reply-To/References; the token of a question asked again stands for
    the question asked in its place (:func:`current`), which the :class:`Match` holds.
    ``address`` is the answerer as the workflow identifies them (lower-cased); the
    question's own address must equal it.
    """
    parsed = incoming.parsed
    token = answered_token(parsed)
    if token is None:
        return Match(None, None, "no token")
    question = ctx.store.questions.find_one("token_hash", token_hash(ctx, token))
    if question is None:
        return Match(None, token, "unknown token")
    question = current(ctx, question)
    # Who answers first: a closed question answered by someone else is their business,
    # and the animators must see it as such (a forgery, maybe), not as a late answer.
    refusal = answerer_refusal(ctx, incoming, question, address)
    if refusal:
        return Match(question, token, refusal)
    if question["status"] == "answered":
        return Match(question, token, "already answered")
    if question["status"] == "cancelled":
        return Match(question, token, "cancelled")
    if question["status"] == "expired" or question["expires"] <= ctx.stamp():
        return Match(question, token, "expired")
    return Match(question, token, None)


def answerer_refusal(ctx: Context, incoming: Incoming, question: dict, address: str | None) -> str | None:
    """Why ``address`` may not answer ``question`` (``wrong address``, ``wrong member``,
    ``not authenticated``: see :class:`Match`), or None when it may."""
    parsed = incoming.parsed
    if not address or address.lower() != question["address"]:
        return "wrong address"
    if parsed.on_behalf_of and parsed.on_behalf_of != question["member"]:
        return "wrong member"
    if question.get("data", {}).get("proxy") and not authenticated(ctx.settings, parsed):
        return "not authenticated"
    return None


def authenticated(settings: Settings, parsed: Parsed) -> bool:
    """True when the configuration trusts no ``authserv_id`` (nothing to check), or when
    an ``Authentication-Results`` header (RFC 8601) of that ``authserv_id`` shows
    ``dmarc=pass``, or ``dkim=pass`` for a signing domain aligned with the From domain
    (the same, or one a sub-domain of the other: DMARC's relaxed alignment, RFC 7489
    §3.1.1). Headers of other servers are ignored: anyone can write one; and anyone can
    sign a forged From with their own domain's key, hence the alignment. A ``dmarc=fail``
    of that server wins over any pass (:func:`forged`): a forger can add a header that
    claims the server's name below the server's own, never remove the server's."""
    if not settings.network.authserv_id:
        return True
    if forged(settings, parsed):
        return False
    sender_domain = (parsed.sender or "").rpartition("@")[2].lower()
    for result in _trusted_results(settings, parsed):
        if result.result != "pass":
            continue
        if result.method == "dmarc":
            return True
        if result.method == "dkim" and _aligned(_signing_domain(result), sender_domain):
            return True
    return False


def forged(settings: Settings, parsed: Parsed) -> bool:
    """True when an ``Authentication-Results`` header of the configured ``authserv_id``
    shows ``dmarc=fail``: the From domain's owner publishes that mail from it must pass,
    and this one did not (RFC 7489). False without ``authserv_id``, and for a message with
    no verdict (a member's provider may publish no DMARC policy at all)."""
    return any(result.method == "dmarc" and result.result == "fail"
               for result in _trusted_results(settings, parsed))


def _trusted_results(settings: Settings, parsed: Parsed):
    """The results (``authres`` objects) of the ``Authentication-Results`` headers that the
    configured ``authserv_id`` wrote; none without it. Unreadable headers are skipped."""
    trusted = settings.network.authserv_id
    if not trusted:
        return
    for value in parsed.authentication_results:
        header = _parse_results(value)
        if header is not None and (header.authserv_id or "").lower() == trusted.lower():
            yield from header.results


_BRACKETED = re.compile(r"=\s*(?:<([^<>\s]*)>|\[([^\[\]\s]*)\])")


def _parse_results(value: str):
    """``value`` parsed by ``authres``, or None. Servers write forms its grammar (RFC
    8601) refuses — a trailing semicolon, ``smtp.mailfrom=<a@b>``, ``smtp.helo=[1.2.3.4]``
    (Zoho, some Postfix milters): tried again without them, so that a real verdict is
    never skipped."""
    for text in (value, _BRACKETED.sub(lambda m: "=" + (m.group(1) or m.group(2) or ""), value).strip().rstrip(";")):
        try:
            return authres.AuthenticationResultsHeader.parse_value(text)
        except Exception:  # authres raises its own SyntaxError and assorted others
            continue
    return None


def _signing_domain(result) -> str:
    for prop in result.properties:
        if prop.type == "header" and prop.name in ("d", "i") and prop.value:
            return prop.value.rpartition("@")[2].lower()
    return ""


def _aligned(signer: str, sender: str) -> bool:
    return bool(signer and sender) and (signer == sender or sender.endswith("." + signer)
                                         or signer.endswith("." + sender))


def close(ctx: Context, question: dict, *, status: str = "answered", answer: str | None = None,
          message_id: str | None = None) -> None:
    """Mark a question used (``answered``), ``expired`` or ``cancelled``: it can never be
    answered again."""
    ctx.store.questions.update(
        question["id"], status=status, answer=answer, answered=ctx.stamp(), answer_message_id=message_id
    )


def cancel_open(ctx: Context, *, subject_ref: str | None = None, member: str | None = None,
                kind: str | None = None) -> int:
    """Cancel the open questions about ``subject_ref`` or for ``member`` (only those of
    ``kind`` when given); returns how many."""
    count = 0
    for question in ctx.store.questions.find("status", "open"):
        if kind and question["kind"] != kind:
            continue
        if (subject_ref and question["subject_ref"] == subject_ref) or (member and question["member"] == member):
            close(ctx, question, status="cancelled")
            count += 1
    return count


def settle(ctx: Context, question: dict, *, answer: str, message_id: str | None) -> None:
    """Close ``question`` as answered, and cancel its open siblings — the same kind,
    subject and member: the copies sent to the other animators, or an earlier copy sent
    to the member — so that one answer decides once."""
    close(ctx, question, answer=answer, message_id=message_id)
    for other in ctx.store.questions.find("subject_ref", question["subject_ref"]):
        if (other["status"] == "open" and other["kind"] == question["kind"]
                and other["member"] == question["member"]):
            close(ctx, other, status="cancelled")


def open_about(ctx: Context, subject_ref: str, kind: str | None = None) -> list[dict]:
    """The questions about ``subject_ref`` (of ``kind`` when given) still waiting for an
    answer — open and not past their expiry — oldest first."""
    now = ctx.stamp()
    return [q for q in ctx.store.questions.find("subject_ref", subject_ref)
            if q["status"] == "open" and q["expires"] > now and (kind is None or q["kind"] == kind)]


def mark_reminded(ctx: Context, question: dict) -> None:
    """Note that ``question`` got its one reminder."""
    ctx.store.questions.update(question["id"], reminded=True)
