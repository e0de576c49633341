"""The questions the robot asks, and how an answer is matched to one.

Every binding act — joining, leaving, withdrawing an item, approving or consenting to an
introduction, a bilan — is proved by an answer to a question that only its addressee
received (protocol.md, "Replies"). This module owns those questions:

* a token ``RERS-XXXXXXXX`` is drawn when the plan is carried out
  (:mod:`workflows.shell.apply`: 40 bits from :mod:`secrets`), shown in the question's
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
* an ``unclear`` answer gets one short clarification question (a new token, same
  question, the first token still good); the next unclear answers go to the animators,
  the question staying open until its expiry (:func:`clarify`);
* asking again what is still asked — the same kind, subject and member, of the same
  address (a second ``RETRAIT``, a reminder, a clarification) — sends the question again
  with a new token, and the new question takes the place of the open one (``replaced_by``,
  never a later expiry): at most one open question per kind, subject, member and address,
  and a reply to any of its mails answers it (:func:`match` follows ``replaced_by``).

Which step reads the answer of each kind of question is :data:`workflows.routes.ANSWERS`.

A question document (collection ``questions``)::

    {"token_hash": hex, "kind": str, "subject_ref": str, "member": "M-14" | None,
     "address": lower-cased address allowed to answer, "status": "open"|"answered"|
     "expired"|"cancelled", "created": UTC ISO, "expires": UTC ISO, "answer": None|str,
     "answered": UTC ISO | None, "answer_message_id": str | None, "clarified": bool,
     "reminded": bool, "replaced_by": id of the question asked in its place | absent,
     "data": {…, "proxy": "M-14" when asked of an animator for that member}}
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from workflows.decision import Incoming, Mail, Plan, Question
from workflows.lookup import token_hash
from workflows.mail.answers import has_remarks, plain_yes
from workflows.mail.labels import label_of
from workflows.mail.authentication import authenticated
from workflows.mail.sender import person_address
from workflows.model.members import reachable
from workflows.model.questions import DEFAULT_VALID_DAYS, PROXY_TEMPLATE, answered_token, same_question
from workflows.steps.speaking import forward_to_animators, limit_reached, reply_id, take_allowance
from workflows.model.said import Said


def ask(
    plan: Plan,
    *,
    kind: str,
    subject_ref: str,
    address: str,
    template: str,
    values: dict,
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
) -> Question:
    """Decide a question and its mail; returns it (its token is drawn when the plan is
    carried out).

    ``address`` is the only address whose answer counts. The mail goes to ``recipients``
    (default: ``[(to_name, address)]``), its subject tagged ``[token]``, its Message-ID
    :func:`question_message_id`; its ``values`` get ``token`` and ``expires`` (aware UTC).
    With ``to_member``, addresses marked undeliverable get no mail (the question is kept),
    and the mail is a member's (how to leave the network) when they are all confirmed
    members' (:meth:`workflows.decision.Plan.members_only`): not the newcomer's join question.
    ``data`` is kept with the question for the step that reads the answer.
    ``auto_submitted``: ``auto-replied`` when the question answers the person's message
    (RFC 3834 §5). ``clarified``: this is the clarification of an unclear answer.

    When the same question (kind, subject, member) is still open for ``address``, the new
    one takes its place (see the module docstring): it expires no later, keeps its
    ``clarified``/``reminded`` marks, and the earlier one is cancelled with
    ``replaced_by`` pointing to it, so that its token answers the new question.
    """
    address = address.lower()
    earlier = _open_same(plan, kind, subject_ref, member, address)
    expires = min([plan.now + timedelta(days=valid_days), *(datetime.fromisoformat(q["expires"]) for q in earlier)])
    to = recipients or [(to_name, address)]
    if to_member:
        to = [(name, each) for name, each in to if not plan.undeliverable(each)]
    mail = Mail(template=template, to=to, values=values, purpose=f"question:{kind}", cause=cause,
                in_reply_to=in_reply_to, to_member=to_member and plan.members_only(to),
                auto_submitted=auto_submitted) if to else None
    question = plan.ask(
        document={
            "kind": kind,
            "subject_ref": subject_ref,
            "member": member,
            "address": address,
            "status": "open",
            "created": plan.stamp(),
            "expires": expires.isoformat(timespec="seconds"),
            "answer": None,
            "answered": None,
            "answer_message_id": None,
            "clarified": clarified or any(q.get("clarified") for q in earlier),
            "reminded": any(q.get("reminded") for q in earlier),
            "data": data or {},
        },
        mail=mail,
        expires=expires,
    )
    for each in earlier:
        plan.questions.update(each["id"], status="cancelled", answered=plan.stamp(), replaced_by=question.id)
    return question


def _open_same(plan: Plan, kind: str, subject_ref: str, member: str | None, address: str) -> list[dict]:
    """The open, unexpired questions of ``kind`` about ``subject_ref`` and ``member`` asked
    of ``address`` (one at most, but older stores may hold several)."""
    now = plan.stamp()
    return [q for q in plan.questions.find("subject_ref", subject_ref)
            if q["status"] == "open" and q["expires"] > now and same_question(q, kind, subject_ref, member, address)]


def current(plan: Plan, question: dict) -> dict:
    """The question asked now in place of ``question``: the end of its ``replaced_by``
    chain (itself when it was never asked again). Only the same question — kind, subject,
    member, address — is followed."""
    while question.get("replaced_by") is not None:
        successor = plan.questions.get(question["replaced_by"])
        if successor is None or not same_question(successor, question["kind"], question["subject_ref"],
                                          question["member"], question["address"]):
            break
        question = successor
    return question


def ask_member(
    plan: Plan,
    member: dict,
    *,
    kind: str,
    subject_ref: str,
    template: str,
    values: dict,
    cause: str,
    valid_days: int = DEFAULT_VALID_DAYS,
    data: dict | None = None,
    in_reply_to: str | None = None,
    auto_submitted: str = "auto-generated",
) -> list[Question]:
    """Ask ``member`` (a member document) a question; returns the questions decided.

    A :func:`reachable` member gets ``template`` filled with ``values`` (+ ``member``).
    Otherwise each configured animator gets :data:`PROXY_TEMPLATE`, which shows that
    question, with a token bound to their own address and ``data["proxy"]`` set to the
    member's ref: their answer must then name the member (``POUR M-14 : OUI``) or not
    name anyone else, see :func:`match`. No animator configured: nothing is asked ([]).
    """
    values = {**values, "member": member}
    if reachable(member):
        return [ask(plan, kind=kind, subject_ref=subject_ref, member=member["ref"], address=member["address"],
                    to_name=member.get("name"), template=template, values=values, cause=cause,
                    valid_days=valid_days, data=data, in_reply_to=in_reply_to, auto_submitted=auto_submitted)]
    animators = plan.settings.network.animators
    if not animators:
        plan.audit.warning("%s: question %s for %s has nobody to go to (no address, no animator)",
                      cause, kind, member["ref"])
    return [
        ask(plan, kind=kind, subject_ref=subject_ref, member=member["ref"], address=animator,
            template=PROXY_TEMPLATE,
            # The question shown is the member's own: its footer says how to leave.
            values={**values, "question_template": template, "kind": kind, "to_member": True},
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


def match(plan: Plan, incoming: Incoming, address: str | None) -> Match:
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
        return Match(None, None, Said("no token"))
    question = plan.questions.find_one("token_hash", token_hash(plan, token))
    if question is None:
        return Match(None, token, Said("unknown token"))
    question = current(plan, question)
    # Who answers first: a closed question answered by someone else is their business,
    # and the animators must see it as such (a forgery, maybe), not as a late answer.
    refusal = answerer_refusal(plan, incoming, question, address)
    if refusal:
        return Match(question, token, refusal)
    if question["status"] == "answered":
        return Match(question, token, Said("already answered"))
    if question["status"] == "cancelled" and not _closed_after_expiry(question):
        return Match(question, token, Said("cancelled"))
    if question["status"] == "expired" or question["expires"] <= plan.stamp():
        return Match(question, token, Said("expired"))
    return Match(question, token, None)


def _closed_after_expiry(question: dict) -> bool:
    """True when ``question`` was closed (``answered``: UTC ISO) once its time had passed
    (``expires``): its introduction's end cancelled a question that had expired already,
    and « expired » is what its addressee is told."""
    return bool(question.get("answered")) and question["expires"] <= question["answered"]


def moved_away(plan: Plan, question: dict | None) -> str | None:
    """The ref of the member ``question`` was asked of, when it was sent to their address
    of the time and they moved since (``address_changed``, :mod:`workflows.steps.addresses`);
    else None. The question asked at a new address before the move is not one."""
    if question is None or not question.get("member") or question.get("data", {}).get("proxy"):
        return None
    member = plan.members.find_one("ref", question["member"])
    moved = (member or {}).get("address_changed")
    if (not moved or question.get("created", "") >= moved or not member.get("address")
            or member["address"].lower() == question["address"]):
        return None
    return member["ref"]


def answerer_refusal(plan: Plan, incoming: Incoming, question: dict, address: str | None) -> str | None:
    """Why ``address`` may not answer ``question`` (``wrong address``, ``wrong member``,
    ``not authenticated``: see :class:`Match`), or None when it may."""
    parsed = incoming.parsed
    if not address or address.lower() != question["address"]:
        return Said("wrong address")
    if parsed.on_behalf_of and parsed.on_behalf_of != question["member"]:
        return Said("wrong member")
    if question.get("data", {}).get("proxy") and not authenticated(plan.settings, parsed):
        return Said("not authenticated")
    return None


def close(plan: Plan, question: dict, *, status: str = "answered", answer: str | None = None,
          message_id: str | None = None) -> None:
    """Mark a question used (``answered``), ``expired`` or ``cancelled``: it can never be
    answered again."""
    plan.questions.update(
        question["id"], status=status, answer=answer, answered=plan.stamp(), answer_message_id=message_id
    )


def cancel_open(plan: Plan, *, subject_ref: str | None = None, member: str | None = None,
                kind: str | None = None) -> int:
    """Cancel the open questions about ``subject_ref`` or for ``member`` (only those of
    ``kind`` when given); returns how many."""
    count = 0
    for question in plan.questions.find("status", "open"):
        if kind and question["kind"] != kind:
            continue
        if (subject_ref and question["subject_ref"] == subject_ref) or (member and question["member"] == member):
            close(plan, question, status="cancelled")
            count += 1
    return count


def settle(plan: Plan, question: dict, *, answer: str, message_id: str | None) -> None:
    """Close ``question`` as answered, and cancel its open siblings — the same kind,
    subject and member: the copies sent to the other animators, or an earlier copy sent
    to the member — so that one answer decides once."""
    close(plan, question, answer=answer, message_id=message_id)
    for other in plan.questions.find("subject_ref", question["subject_ref"]):
        if (other["status"] == "open" and other["kind"] == question["kind"]
                and other["member"] == question["member"]):
            close(plan, other, status="cancelled")


def open_about(plan: Plan, subject_ref: str, kind: str | None = None) -> list[dict]:
    """The questions about ``subject_ref`` (of ``kind`` when given) still waiting for an
    answer — open and not past their expiry — oldest first."""
    now = plan.stamp()
    return [q for q in plan.questions.find("subject_ref", subject_ref)
            if q["status"] == "open" and q["expires"] > now and (kind is None or q["kind"] == kind)]


def mark_reminded(plan: Plan, question: dict) -> None:
    """Note that ``question`` got its one reminder."""
    plan.questions.update(question["id"], reminded=True)


def may_ask(plan: Plan, incoming: Incoming, address: str, kind: str) -> bool:
    """Whether the question ``kind`` may be sent to ``address`` now (never to the robot
    itself; within the day's answers to that address). A question withheld by the limit
    goes to the animators (:func:`workflows.steps.speaking.limit_reached`): joining and
    leaving are the person's right.

    A ``join`` question — asked only of an address that is not a confirmed member — also
    counts against the network's hourly and daily bounds (:func:`_join_bound`): anyone can
    write a join in a stranger's name, and without them a forged flood would make the robot
    write to as many strangers. Beyond them the question is not sent (the caller keeps the
    person pending) and the animators are told once per hour or day."""
    if address == plan.settings.network.address:
        return False
    bound = _join_bound(plan) if kind == JOIN_KIND else None
    if bound is not None:
        _join_withheld(plan, incoming, *bound)
        return False
    if not take_allowance(plan, address):
        plan.audit.info("%s: question withheld, daily limit reached", incoming.parsed.message_id)
        limit_reached(plan, incoming, address, f"question:{kind}")
        return False
    if kind == JOIN_KIND:
        for period, stamp, _ in _join_periods(plan):
            _count_network(plan, f"join_questions|{period}|{stamp}")
    return True


JOIN_KIND = "join"
"""The confirmation request of a join (:mod:`workflows.steps.membership`)."""


def _join_periods(plan: Plan) -> tuple[tuple[str, str, int], ...]:
    """``(period, its stamp, the bound)``: the network-local hour and day of ``plan.now``."""
    limits = plan.settings.limits
    hour = plan.now.astimezone(plan.settings.network.zone).strftime("%Y-%m-%dT%H")
    return (("day", plan.today, limits.max_join_questions_per_day),
            ("hour", hour, limits.max_join_questions_per_hour))


def _network_count(plan: Plan, key: str) -> int:
    doc = plan.replies.find_one("key", key)
    return 0 if doc is None else doc["count"]


def _count_network(plan: Plan, key: str, limit: int | None = None) -> bool:
    """Count one in the network-wide counter ``key`` (kept with the daily counters, pruned
    after two days); False, and nothing counted, when it already holds ``limit``."""
    doc = plan.replies.find_one("key", key)
    count = 0 if doc is None else doc["count"]
    if limit is not None and count >= limit:
        return False
    if doc is None:
        plan.replies.insert({"key": key, "count": 1, "day": plan.today})
    else:
        plan.replies.update(doc["id"], count=count + 1)
    return True


def _join_bound(plan: Plan) -> tuple[str, str, int] | None:
    """The period whose bound on join questions is reached (the day's first), or None."""
    for period, stamp, limit in _join_periods(plan):
        if _network_count(plan, f"join_questions|{period}|{stamp}") >= limit:
            return period, stamp, limit
    return None


def waiting_joins(plan: Plan) -> int:
    """Pending members who were never sent their confirmation request."""
    return sum(1 for member in plan.members.find("status", "pending")
               if not any(q["kind"] == JOIN_KIND for q in plan.questions.find("subject_ref", member["ref"])))


def _join_withheld(plan: Plan, incoming: Incoming, period: str, stamp: str, limit: int) -> None:
    """The join question is not sent: the bound of ``period`` is reached. The animators
    are told once per period (the message attached, how many wait), the rest is logged."""
    parsed = incoming.parsed
    if _count_network(plan, f"join_limit_told|{period}|{stamp}", limit=1):
        forward_to_animators(plan, incoming, reason="join_limit_day" if period == "day" else "join_limit_hour",
                             purpose="join_limit", limit=limit,
                             waiting=waiting_joins(plan))
        plan.audit.warning("%s: confirmation request withheld, %d already sent this %s to non-members; animators told",
                      parsed.message_id, limit, period)
    else:
        plan.audit.warning("%s: confirmation request withheld, %d already sent this %s to non-members",
                      parsed.message_id, limit, period)


def settle_or_clarify(plan: Plan, incoming: Incoming, question: dict, answer: str, member: dict | None,
                       item: dict | None = None, *, needs_item: bool = False) -> str | None:
    """The start of every answer: when what the question was about is gone (erased
    meanwhile), the question is closed and that is the outcome; an ``unclear`` answer gets
    the clarification (:func:`clarify`). Otherwise the question is
    settled and None returned: the caller acts on ``yes``/``no``."""
    if member is None or (needs_item and item is None):
        settle(plan, question, answer=answer, message_id=incoming.parsed.message_id)
        return Said("{kind} answer: {ref} is gone", kind=question['kind'], ref=question['subject_ref'])
    if answer == "unclear":
        proxy = bool(question["data"].get("proxy"))
        return clarify(plan, incoming, question, template="clarify",
                       values={"kind": question["kind"], "member": member, "item": item, "proxy": proxy},
                       to_name=None if proxy else member.get("name"))
    settle(plan, question, answer=answer, message_id=incoming.parsed.message_id)
    return None


REMARKS_SHOWN = 600
"""How many characters of a reply's words the animators' notice quotes (the message is
attached whole)."""


def pass_on_remarks(plan: Plan, incoming: Incoming, question: dict, answer: str) -> str | None:
    """The animators get the words a reply holds besides its OUI or NON — a decline's
    reason, a remark (« POUR M-14 : NON, elle n'a plus le temps », « Oui, mais seulement le
    mardi ») — which the robot does not read (:func:`workflows.mail.answers.has_remarks`):
    the message is handed to them, quoted, with what the answer was. Returns the
    Message-ID, or None when there is nothing besides the answer (or it is unclear:
    the clarification question follows)."""
    text = incoming.parsed.text or ""
    if answer not in ("yes", "no") or not has_remarks(text):
        return None
    language = plan.settings.network.language
    proxy = bool(question.get("data", {}).get("proxy"))
    words = " ".join(text.split())
    if len(words) > REMARKS_SHOWN:
        words = words[:REMARKS_SHOWN].rsplit(" ", 1)[0] + " …"
    return forward_to_animators(plan, incoming, reason="answer_remarks_proxy" if proxy else "answer_remarks",
                                purpose="answer_remarks", member=question.get("member") or "?",
                                answer={"yes": ("OUI", "YES"), "no": ("NON", "NO")}[answer][language == "en"],
                                question=label_of(question["kind"], "question", language),
                                subject=question["subject_ref"], words=words)


def destructive(incoming: Incoming, answer: str) -> str:
    """The answer to a question whose yes cannot be undone (leaving the network,
    withdrawing an item): a yes counts only when the reply's first meaningful line is a
    plain yes (:func:`workflows.mail.answers.plain_yes`); « Oui, je veux rester membre ! »
    is ``unclear``, and gets the clarification."""
    return "unclear" if answer == "yes" and not plain_yes(incoming.parsed.text) else answer


def answerer(plan: Plan, incoming: Incoming, question: dict | None) -> str | None:
    """Who answers: the sender's address (From), never Reply-To — except for questions
    sent to a web form's person, whose address is the Reply-To by construction."""
    return person_address(incoming.parsed)


CLOSED = ("expired", "cancelled", "already answered")
"""Refusals of a real question that is no longer open: its own addressee, answering late
or twice, is told so (never for ``wrong address`` or ``unknown token``: maybe a forgery)."""


def clarify(plan: Plan, incoming: Incoming, question: dict, *, template: str, values: dict,
            to_name: str | None = None) -> str:
    """Handle an ``unclear`` answer. The first one gets a short clarification question:
    the same question asked again (:func:`workflows.steps.questions.ask`: a new token, the same
    expiry), whose first mail's token keeps working. Once it was asked, an unclear answer
    goes to the animators, every time, and the question stays open until its expiry: a
    plain OUI or NON to any of its mails still counts.

    ``template``/``values`` make the short question. Returns the outcome.
    """
    if question.get("clarified"):
        forward_to_animators(plan, incoming, reason="unclear_twice", purpose="unclear")
        return Said("unclear twice: forwarded")
    ask(
        plan,
        kind=question["kind"],
        subject_ref=question["subject_ref"],
        member=question["member"],
        address=question["address"],
        template=template,
        values=values,
        cause=incoming.parsed.message_id,
        to_name=to_name,
        data={**question.get("data", {}), "clarification_of": question["id"]},
        in_reply_to=reply_id(incoming.parsed.message_id),
        clarified=True,
    )
    plan.questions.update(question["id"], answer="unclear", answer_message_id=incoming.parsed.message_id)
    return Said("unclear: clarification asked")
