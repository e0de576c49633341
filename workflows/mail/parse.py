"""``parse_message``: one raw message in, what the robot understood out (protocol.md,
"What the robot understood: rers parse").

The order of the questions matters and follows the protocol:

1. Can it be read as mail at all? If not: ``unknown``, the reason in ``text``.
2. Delivery report -> ``bounce``; the robot's own mail -> ``auto_reply``.
3. Calendar answer (``METHOD:REPLY``) -> ``rsvp``.
4. Other automatic mail (RFC 3834 and friends) -> ``auto_reply``.
5. A reference token (subject, body, quoted text, In-Reply-To, References) -> ``reply``.
6. An animator command (subject, then first meaningful body line) -> ``event_command``.
7. A keyword (subject, then first meaningful body line) -> that intent.
8. Otherwise ``unknown``.

Pure: no I/O, no clock but for a message without a readable Date and no ``now``.
"""
from __future__ import annotations

import email.parser
import hashlib
import re
from datetime import datetime

from workflows.mail import decode
from workflows.mail.animator_commands import read_command
from workflows.mail.answers import read_answer
from workflows.mail.automatic import automatic_reason
from workflows.mail.bounces import failed_addresses, is_bounce, original_message_ids
from workflows.mail.fields import MEMBER_FIELDS, field_key, read_fields
from workflows.mail.htmltext import html_to_text
from workflows.mail.intents import Keyword, find_keyword, item_ref_in, strip_subject, title_from
from workflows.mail.model import Item, Parsed, ParseOptions
from workflows.mail.quotes import is_greeting, split_reply, strip_greeting, strip_signature, tidy
from workflows.mail.rsvp import read_rsvp
from workflows.mail.textutil import clean, clean_line
from workflows.mail.tokens import find_token, find_token_in_ids

_HEADER_LINE_RE = re.compile(rb"^[\x21-\x39\x3b-\x7e]{1,76}[ \t]*:")
_MESSAGE_ID_RE = re.compile(r"<[^<>\s]{1,400}>")
_BEHALF_RE = re.compile(r"^\s*pour\s+(m)\s*-\s*(\d+)\b", re.IGNORECASE)
_FIRST_LINES = 8
"""How many non-empty body lines are looked at for the first meaningful one."""
_NOT_MAIL = "Message illisible : {reason}. Il est transmis tel quel aux animateurs."


def parse_message(raw: bytes, options: ParseOptions, *, now: datetime | None = None) -> Parsed:
    """Understand one RFC 5322 message.

    ``raw``: the message's bytes as received (any bytes are accepted). ``options``: the
    network's animators, functional address and time zone. ``now``: the reference time
    (aware) for command dates when the message has no readable Date.

    Returns a :class:`Parsed` whose strings are plain ``str`` without control characters.
    Never raises: a message that cannot be read as mail is ``unknown`` with the reason in
    ``text``.
    """
    if not isinstance(raw, bytes):
        try:
            raw = bytes(raw) if not isinstance(raw, str) else raw.encode("utf-8", "surrogateescape")
        except Exception:
            raw = b""
    try:
        parsed = _parse(raw, options, now)
    except Exception as error:  # last resort: the contract is an answer, never a crash
        parsed = _headers_only(raw, options)
        parsed.intent = "unknown"
        parsed.text = _NOT_MAIL.format(reason=f"erreur de lecture ({type(error).__name__})")
    if not parsed.message_id:
        parsed.message_id = f"<sha256-{hashlib.sha256(raw).hexdigest()}@rers.invalid>"
    parsed.content_digest = decode.content_digest(raw)
    return _cleaned(parsed)


def _read_headers(message, options: ParseOptions) -> tuple[Parsed, dict[str, str]]:
    """What the header block says (sender, subject, date, Message-ID, threading,
    Authentication-Results, Auto-Submitted, List-Id), and the first raw value of each
    header by lower-case name."""
    first: dict[str, str] = {}
    addresses: dict[str, list[str]] = {"from": [], "sender": [], "reply-to": []}
    for name, value in message.raw_items():
        lowered = name.lower()
        first.setdefault(lowered, value)
        if lowered in addresses:
            addresses[lowered].append(value)

    def get(name: str) -> str:
        value = first.get(name)
        return decode.header_text(value) if value else ""

    parsed = Parsed()
    # Who wrote is the From mailbox, read as RFC 5322 reads it (decode.read_mailbox),
    # and nothing else: no fallback on Sender or Return-Path, no first x@y of the line.
    # A From that does not name exactly one mailbox gives no sender, with the reason.
    author = _one_mailbox(addresses["from"])
    parsed.sender, parsed.sender_name, parsed.sender_problem = author.address, author.name, author.problem
    answer_to = _one_mailbox(addresses["reply-to"])
    parsed.reply_to, parsed.reply_to_problem = answer_to.address, answer_to.problem
    agent = _one_mailbox(addresses["sender"])
    parsed.sender_field, parsed.sender_field_problem = agent.address, agent.problem
    parsed.subject = get("subject")
    parsed.date = decode.parse_date(get("date"), options.timezone)
    message_ids = _MESSAGE_ID_RE.findall(get("message-id"))
    parsed.message_id = message_ids[0] if message_ids else ""
    parsed.in_reply_to = _MESSAGE_ID_RE.findall(get("in-reply-to"))
    parsed.references = _MESSAGE_ID_RE.findall(get("references"))
    parsed.authentication_results = decode.header_all(message, "Authentication-Results")
    auto_submitted = get("auto-submitted").split(";", 1)[0].strip().lower()
    parsed.auto_submitted = auto_submitted or None
    parsed.list_id = get("list-id") or None
    return parsed, first


def _one_mailbox(values: list[str]) -> decode.MailboxRead:
    """The single mailbox of an address header that must occur at most once (RFC 5322
    §3.6: From, Sender, Reply-To): two such fields are ``several``, like two mailboxes."""
    if len(values) > 1:
        return decode.MailboxRead(problem="several")
    return decode.read_mailbox(values[0] if values else None)


def _headers_only(raw: bytes, options: ParseOptions) -> Parsed:
    """The headers of a message whose body cannot be read (a MIME tree nested too deep for
    :mod:`email`, say): read without parsing the body, so that the animators still see who
    wrote and about what. An empty :class:`Parsed` when even that fails."""
    try:
        message = email.parser.BytesHeaderParser().parsebytes(raw)
        return _read_headers(message, options)[0]
    except Exception:
        return Parsed()


def _parse(raw: bytes, options: ParseOptions, now: datetime | None) -> Parsed:
    problem = _not_mail(raw)
    if problem:
        return Parsed(intent="unknown", text=_NOT_MAIL.format(reason=problem))
    message = decode.read_message(raw)
    parsed, first = _read_headers(message, options)

    def get(name: str) -> str:
        value = first.get(name)
        return decode.header_text(value) if value else ""

    bodies = decode.collect_bodies(message)
    if is_bounce(bodies.report_type, parsed.sender, parsed.subject, "x-failed-recipients" in first):
        parsed.intent = "bounce"
        parsed.automatic = "delivery report"
        parsed.bounced_addresses, parsed.delayed_addresses = failed_addresses(message)
        network = (options.network_address or "").lower()
        parsed.bounced_addresses = [a for a in parsed.bounced_addresses if a != network]
        parsed.bounced_message_ids = list(dict.fromkeys(
            [*original_message_ids(message), *parsed.in_reply_to, *parsed.references]))
        parsed.text = tidy(_body_text(bodies, keep_quotes=True))
        return parsed

    headers = {name: get(name) for name in (
        "message-id", "x-loop", "auto-submitted", "precedence", "list-id",
        "x-autoreply", "x-autorespond", "x-autoresponder", "x-autogenerated",
        "x-autoreply-from", "x-mail-autoreply", "x-cr-autoresponse",
    ) if name in first}
    reason = automatic_reason(headers, parsed.subject, parsed.sender, options.network_address, bodies.report_type)
    if reason == "own mail":
        parsed.intent, parsed.automatic, parsed.own_mail = "auto_reply", reason, True
        parsed.text = tidy(_body_text(bodies))[:2000]
        return parsed

    for data, method in bodies.calendars:
        answer = read_rsvp(data, method, options.timezone)
        if answer is not None:
            parsed.intent, parsed.rsvp = "rsvp", answer
            parsed.text = tidy(strip_signature(split_reply(_body_text(bodies)).own, _name_hint(parsed)))
            return parsed

    subject, forwarded = strip_subject(parsed.subject)
    full_text = _body_text(bodies, keep_quotes=forwarded)
    if forwarded:
        for attached in bodies.attached[:3]:
            full_text += "\n\n" + _body_text(decode.collect_bodies(attached))
    split = split_reply(full_text, forwarded=forwarded)
    parsed.forwarded = split.forwarded or (forwarded and bool(bodies.attached))
    own = tidy(strip_signature(split.own, _name_hint(parsed)))
    parsed.text = own

    if reason is not None:
        parsed.intent, parsed.automatic = "auto_reply", reason
        return parsed

    parsed.token = (
        find_token(parsed.subject)
        or find_token(own)
        or find_token(split.quoted)
        or find_token(full_text)
        or find_token(" ".join(bodies.html))
        or find_token_in_ids(parsed.in_reply_to)
        or find_token_in_ids(parsed.references)
    )
    if parsed.token:
        parsed.intent = "reply"
        parsed.answer = read_answer(own)
        fields = read_fields(own, None)
        parsed.member = fields.member
        parsed.bilan = fields.bilan
        behalf = _BEHALF_RE.search(_first_meaningful(own) or "")
        parsed.on_behalf_of = f"M-{int(behalf.group(2))}" if behalf else None
        return parsed

    reference = _reference_time(parsed.date, now, options.timezone)
    body_line = _first_meaningful(own)
    may_command = options.animators is None or (parsed.sender or "") in options.animators
    if may_command:
        for line in (subject, body_line):
            command = read_command(line, reference) if line else None
            if command is not None:
                parsed.intent, parsed.command = "event_command", command
                fields = read_fields(own, None)
                parsed.member = fields.member
                if command["name"] == "register":
                    command["consent"] = fields.consent
                    parsed.items = fields.items
                return parsed

    keyword, from_subject = find_keyword(subject), True
    if keyword is None and body_line:
        keyword, from_subject = find_keyword(body_line), False
    if keyword is not None and keyword.needs_ref:
        ref = item_ref_in(subject) or item_ref_in(own)
        keyword = Keyword("withdraw_item", item_ref=ref) if ref else None
    if keyword is None:
        parsed.intent = "unknown"
        parsed.member = read_fields(own, None).member
        return parsed

    parsed.intent = keyword.intent
    parsed.item_ref = keyword.item_ref
    item_kind = keyword.intent if keyword.intent in ("offer", "demand") else None
    fields = read_fields(own, item_kind)
    parsed.member = fields.member
    if keyword.intent in ("offer", "demand", "join"):
        parsed.items = fields.items
    if item_kind and not parsed.items:
        title = title_from(keyword.rest)
        if title:
            description = fields.pending.get("description") or _description(fields.free_text, body_line, from_subject)
            item = Item(kind=item_kind, title=title, description=description or None)
            for key in ("modality", "availability", "place"):
                setattr(item, key, fields.pending.get(key))
            parsed.items = [item]
    return parsed


def _not_mail(raw: bytes) -> str | None:
    """Why ``raw`` is not an RFC 5322 message, or None when it looks like one."""
    head = raw.lstrip(b"\r\n\t \xef\xbb\xbf")
    if head.startswith(b"From "):  # mbox separator line
        head = head.split(b"\n", 1)[1] if b"\n" in head else b""
    if not head.strip():
        return "message vide"
    if not _HEADER_LINE_RE.match(head):
        return "aucun en-tête de courrier au début (ce n'est pas un e-mail)"
    return None


def _body_text(bodies: decode.Bodies, keep_quotes: bool = False) -> str:
    """The text people wrote: the text/plain parts, or the HTML ones converted when the
    plain text is missing or blank."""
    plain = "\n".join(bodies.plain)
    if plain.strip() or not bodies.html:
        return plain
    return "\n".join(html_to_text(html, keep_quotes=keep_quotes) for html in bodies.html)


def _name_hint(parsed: Parsed) -> str:
    """Words that may sign the message: the display name and the address's local part."""
    local = (parsed.sender or "").split("@", 1)[0].replace(".", " ").replace("_", " ")
    return f"{parsed.sender_name or ''} {local}".strip()


def _first_meaningful(own: str) -> str:
    """The first line of ``own`` that says something: greetings skipped, a greeting in
    front removed, the member-detail lines of a web form skipped (their ``Message :``
    value counts)."""
    seen = 0
    for line in own.split("\n"):
        if not line.strip() or is_greeting(line):
            continue
        seen += 1
        if seen > _FIRST_LINES:
            break
        found = field_key(line)
        if found and (found[0] in MEMBER_FIELDS or found[0] in ("first_name", "last_name", "other")):
            value = strip_greeting(found[1].strip())
            if found[0] == "other" and value and find_keyword(value):
                return value
            continue
        return strip_greeting(line.strip())
    return ""


def _description(free_text: str, body_line: str, keyword_in_subject: bool) -> str:
    """The body as the description of an item titled by its subject (or its first line)."""
    lines = [line for line in free_text.split("\n") if line.strip()]
    if not keyword_in_subject and lines and body_line and body_line in lines[0]:
        lines = lines[1:]
    return "\n".join(lines)


def _reference_time(date: datetime | None, now: datetime | None, zone: str) -> datetime:
    tz = decode.network_zone(zone)
    moment = date or now or datetime.now(tz)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(tz)


def _cleaned(parsed: Parsed) -> Parsed:
    """Every string of ``parsed`` without control characters (the contract's promise)."""
    parsed.text = clean(parsed.text)
    for name in ("sender", "token", "answer", "item_ref", "subject", "sender_name", "reply_to", "message_id",
                 "automatic", "auto_submitted", "list_id", "on_behalf_of", "sender_field"):
        value = getattr(parsed, name)
        if value is not None:
            setattr(parsed, name, clean_line(value))
    for name in ("name", "phone", "contact"):
        value = getattr(parsed.member, name)
        if value is not None:
            setattr(parsed.member, name, clean_line(value) or None)
    for item in parsed.items:
        item.title = clean_line(item.title)
        for name in ("description", "modality", "availability", "place"):
            value = getattr(item, name)
            if value is not None:
                setattr(item, name, clean(value).strip() or None)
    if parsed.bilan is not None:
        for name in ("interest", "obstacles", "facilitators"):
            value = getattr(parsed.bilan, name)
            if value is not None:
                setattr(parsed.bilan, name, clean(value).strip() or None)
    for holder in (parsed.command, parsed.rsvp):
        if holder:
            for key, value in holder.items():
                if isinstance(value, str):
                    holder[key] = clean_line(value)
    parsed.in_reply_to = [clean_line(value) for value in parsed.in_reply_to]
    parsed.references = [clean_line(value) for value in parsed.references]
    parsed.authentication_results = [clean_line(value) for value in parsed.authentication_results]
    parsed.bounced_addresses = [clean_line(value) for value in parsed.bounced_addresses]
    parsed.bounced_message_ids = [clean_line(value) for value in parsed.bounced_message_ids]
    parsed.delayed_addresses = [clean_line(value) for value in parsed.delayed_addresses]
    return parsed


__all__ = ["parse_message"]
