"""``parse_message``: one raw message in, what the robot understood out (protocol.md,
"What the robot understood: rers parse").

The order of the questions matters and follows the protocol:

1. Can it be read as mail at all? If not: ``unknown``, the reason in ``text``.
2. Delivery report (RFC 3464, or an RFC 8098 report of a refusal: Sieve ``reject``) ->
   ``bounce``.
3. A linked network's robot (``[RERS-FED]`` and a JSON part) -> ``federation``; the
   robot's own mail -> ``auto_reply``.
4. Calendar answer (``METHOD:REPLY``) -> ``rsvp``, one answer per VEVENT; a calendar
   client's own request (REFRESH, ADD, DECLINECOUNTER) -> ``auto_reply``; a proposal of
   another time (COUNTER) -> ``unknown`` flagged ``automatic = "calendar: counter"``, its
   text never read for a keyword.
5. Other automatic mail (RFC 3834 and friends) -> ``auto_reply``.
6. A reference token (subject, body, quoted text, In-Reply-To, References) -> ``reply``.
7. An animator command (subject, then first meaningful body line) -> ``event_command``.
8. A keyword (subject, then first meaningful body line and its next sentences, then a
   forwarded message's subject and first line) -> that intent. In a reply to one of the
   robot's own mails the subject is the robot's words: only the body counts.
9. Member fields and courtesy alone -> ``preferences``; otherwise ``unknown``.

The person's own text is their words only: quotes, forwarded headers, signatures,
clients' footers, antivirus stamps and legal notices removed (:mod:`quotes`,
:mod:`footers`); a forwarded message's words are kept, each part stripped of its own
signature.

Pure: no I/O, no clock but for a message without a readable Date and no ``now``.
"""
from __future__ import annotations

import email.header
import email.parser
import email.policy
import email.utils
import hashlib
import re
from collections.abc import Iterator
from datetime import datetime

from workflows.mail import decode
from workflows.mail.animator_commands import find_date, month_end, read_command
from workflows.mail.answers import read_answer
from workflows.mail.automatic import automatic_reason
from workflows.mail.bounces import failed_addresses, is_bounce, original_message_ids
from workflows.mail.fields import MEMBER_FIELDS, Fields, field_key, is_preferences, read_fields
from workflows.mail.htmltext import html_to_text
from workflows.mail.intents import (
    Keyword, find_keyword, is_bare_reference, is_catalogue_subject, is_reciprocity_subject, is_reply_subject,
    is_robot_subject, is_robot_tagged, item_ref_in, named_reference, says_interest, strip_subject, title_from,
)
from workflows.mail.model import Item, Parsed, ParseOptions
from workflows.mail.prose import clause_item, is_courtesy, is_filler, prose_items, sentences
from workflows.mail.quotes import Split, is_greeting, split_reply, strip_greeting, strip_signature, tidy
from workflows.mail.rsvp import read_calendar
from workflows.mail.sender import MAIL_ADDRESS_RE, RELAYABLE, forwards_another
from workflows.mail.textutil import clean, clean_line, fold, fold_with_map
from workflows.mail.tokens import find_token, find_token_in_ids, is_robot_message_id

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
        parsed = read_headers(raw, options)
        parsed.intent = "unknown"
        parsed.text = _NOT_MAIL.format(reason=f"erreur de lecture ({type(error).__name__})")
    if not parsed.message_id:
        parsed.message_id = fallback_message_id(raw)
    parsed.content_digest = decode.content_digest(raw)
    return _cleaned(parsed)


def fallback_message_id(raw: bytes) -> str:
    """The Message-ID of a message that has none: ``<sha256-…@rers.invalid>``, the SHA-256
    of its bytes (the same bytes, the same id: a repeat is recognised). The one form,
    for the parser and the runner alike."""
    return f"<sha256-{hashlib.sha256(raw).hexdigest()}@rers.invalid>"


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
    parsed.subject = decode.header_text(first.get("subject"), first_line=True)
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


def read_headers(raw: bytes, options: ParseOptions) -> Parsed:
    """Who wrote and about what, from the header block alone (the body never parsed):
    a message whose body cannot be read (a MIME tree nested too deep for :mod:`email`),
    and the animators' notice about a message the robot failed on
    (:meth:`workflows.shell.runner.Runner._tell_parked`), which must say its sender and
    subject whatever broke. Read as :func:`parse_message` reads them; if even that
    raises, leniently by the standard library (:func:`email.utils.parseaddr` of the first
    From, the Subject's encoded words decoded, unknown charsets replaced). ``sender`` is
    the address lower-cased (None when none can be read), ``subject`` one clean line.
    Never raises: an empty :class:`Parsed` when nothing can be read."""
    try:
        message = email.parser.BytesHeaderParser().parsebytes(raw)
        return _read_headers(message, options)[0]
    except Exception:
        return _lenient_headers(raw)


def _lenient_headers(raw: bytes) -> Parsed:
    """The stdlib's last resort of :func:`read_headers` (compat32: nothing is validated)."""
    parsed = Parsed()
    try:
        message = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
        name, address = email.utils.parseaddr(_decoded(message.get("From", "")))
        if "@" in address:
            parsed.sender = clean_line(address).lower()
            parsed.sender_name = clean_line(name) or None
        parsed.subject = clean_line(_decoded(message.get("Subject", "")))
        parsed.message_id = clean_line(str(message.get("Message-ID", "")))
    except Exception:
        pass  # nothing readable: the notice says so
    return parsed


def _decoded(value) -> str:
    """A header value's encoded words decoded, an unknown charset's bytes replaced."""
    text = []
    for chunk, charset in email.header.decode_header(str(value)):
        if isinstance(chunk, bytes):
            try:
                chunk = chunk.decode(charset or "ascii", "replace")
            except LookupError:
                chunk = chunk.decode("utf-8", "replace")
        text.append(chunk)
    return "".join(text)


def _parse(raw: bytes, options: ParseOptions, now: datetime | None) -> Parsed:
    """The questions of the module docstring, in order; each stage returns True when it
    settled the message."""
    problem = _not_mail(raw)
    if problem:
        return Parsed(intent="unknown", text=_NOT_MAIL.format(reason=problem))
    message = decode.read_message(raw)
    parsed, first = _read_headers(message, options)
    bodies = decode.collect_bodies(message)
    if _delivery_report(parsed, message, bodies, first, options):
        return parsed
    reason = automatic_reason(_automatic_headers(first), parsed.subject, parsed.sender, options.network_address,
                              bodies.report_type)
    if _robot_or_calendar(parsed, bodies, reason, options):
        return parsed

    subject, forwarded = strip_subject(parsed.subject)
    full_text = _body_text(bodies, keep_quotes=forwarded)
    for attached in bodies.attached[:_ATTACHED_READ]:
        full_text += "\n\n" + _forwarded_block(attached)
    split = split_reply(full_text, forwarded=forwarded)
    parsed.forwarded = split.forwarded
    parsed.forwarded_subject = split.forwarded_subject
    parsed.forwarded_from = split.forwarded_from
    parsed.forwarded_name = split.forwarded_name
    own, pieces, mine, theirs = _own_text(split, parsed)
    parsed.text = own
    if reason is not None:
        parsed.intent, parsed.automatic = "auto_reply", reason
        return parsed
    if _reply(parsed, own, split, full_text, bodies):
        return parsed
    reference = _reference_time(parsed.date, now, options.timezone)
    body_line = _first_meaningful(own)
    if _command(parsed, subject, body_line, own, options, reference):
        return parsed
    _request(parsed, subject, body_line, own, (pieces, mine, theirs), split, options, reference)
    return parsed


_ATTACHED_READ = 3
"""Attached messages read as forwarded (a person forwards one, rarely more)."""


def _forwarded_block(attached) -> str:
    """An attached message (``message/rfc822``, or an ``.eml`` file) written as a
    client writes an inline forward — separator, ``De :``/``Date :``/``Objet :``, its
    text — so that :func:`split_reply` reads both shapes one way (its sender, its
    subject, its own signature)."""
    lines = ["-------- Message transféré --------"]
    for label, name in (("De", "from"), ("Date", "date"), ("Objet", "subject")):
        value = " ".join(decode.header(attached, name).split())
        if value:
            lines.append(f"{label} : {value}")
    return "\n".join(lines) + "\n\n" + _body_text(decode.collect_bodies(attached))


_AUTOMATIC_HEADERS = (
    "message-id", "x-loop", "auto-submitted", "precedence", "list-id", "x-autoreply", "x-autorespond",
    "x-autoresponder", "x-autogenerated", "x-autoreply-from", "x-mail-autoreply", "x-cr-autoresponse",
)


def _automatic_headers(first: dict[str, str]) -> dict[str, str]:
    """The decoded headers :func:`automatic_reason` reads, by lower-case name (an empty
    one too: its presence is what some servers mean)."""
    return {name: decode.header_text(first[name]) if first[name] else "" for name in _AUTOMATIC_HEADERS if name in first}


def _delivery_report(parsed: Parsed, message, bodies: decode.Bodies, first: dict[str, str],
                     options: ParseOptions) -> bool:
    """``bounce``, with the failed addresses (the network's own left out), for a delivery
    report: RFC 3464, an RFC 8098 report of a refusal (Sieve ``reject``), MAILER-DAEMON."""
    if not is_bounce(bodies.report_type, parsed.sender, parsed.subject, "x-failed-recipients" in first,
                     bodies.dispositions):
        return False
    parsed.intent = "bounce"
    parsed.automatic = "delivery report"
    parsed.bounced_addresses, parsed.delayed_addresses = failed_addresses(message)
    network = (options.network_address or "").lower()
    parsed.bounced_addresses = [a for a in parsed.bounced_addresses if a != network]
    parsed.bounced_message_ids = list(dict.fromkeys(
        [*original_message_ids(message), *parsed.in_reply_to, *parsed.references]))
    parsed.text = tidy(_body_text(bodies, keep_quotes=True))
    return True


def _robot_or_calendar(parsed: Parsed, bodies: decode.Bodies, reason: str | None, options: ParseOptions) -> bool:
    """``federation`` for a linked network's robot; ``auto_reply`` for the robot's own mail
    coming back and for a calendar client's own request (REFRESH, ADD, DECLINECOUNTER);
    ``rsvp`` for a calendar answer, one per VEVENT; ``unknown`` (``automatic`` =
    ``calendar: counter``) for a COUNTER, for the animators."""
    federation = _federation(parsed.subject, bodies)
    if federation is not None and parsed.sender != (options.network_address or "").lower():
        # Robot to robot: read before the Auto-Submitted rule, which it also carries, and
        # before the Message-ID rule (a linked network's robot builds them as this one does).
        parsed.intent, parsed.federation, parsed.automatic = "federation", federation, "federation"
        return True
    if reason == "own mail":
        parsed.intent, parsed.automatic, parsed.own_mail = "auto_reply", reason, True
        parsed.text = tidy(_body_text(bodies))[:2000]
        return True
    for data, method_param in bodies.calendars:
        method, answers = read_calendar(data, method_param, options.timezone)
        if method == "reply" and answers:
            parsed.intent, parsed.rsvp, parsed.rsvps = "rsvp", answers[0], answers
        elif method in _NOT_MEMBER_METHODS:
            # A program talking, whatever text the client put around it.
            parsed.intent, parsed.automatic = "auto_reply", f"calendar: {method}"
        elif method == "counter":
            # A proposal of another time made in a calendar client: protocol.md defines no
            # handling, so a person decides. Its text goes with it, never read for keywords
            # (« Je propose 10h plutôt » is no offer).
            parsed.intent, parsed.automatic = "unknown", "calendar: counter"
        else:
            continue
        parsed.text = tidy(strip_signature(split_reply(_body_text(bodies)).own, _name_hint(parsed)))
        return True
    return False


def _reply(parsed: Parsed, own: str, split: Split, full_text: str, bodies: decode.Bodies) -> bool:
    """``reply`` when a token is found (subject, own text, quote, HTML, In-Reply-To,
    References): the answer, member and bilan fields, and ``POUR M-14``."""
    parsed.token = (
        find_token(parsed.subject)
        or find_token(own)
        or find_token(split.quoted)
        or find_token(full_text)
        or find_token(" ".join(bodies.html))
        or find_token_in_ids(parsed.in_reply_to)
        or find_token_in_ids(parsed.references)
    )
    if not parsed.token:
        return False
    parsed.intent = "reply"
    parsed.answer = read_answer(_without_subject_echo(own, parsed.subject))
    fields = read_fields(own, None)
    parsed.member = fields.member
    parsed.bilan = fields.bilan
    behalf = _BEHALF_RE.search(_first_meaningful(own) or "")
    parsed.on_behalf_of = f"M-{int(behalf.group(2))}" if behalf else None
    return True


_RESPONSE_PREFIX_RE = re.compile(
    r"^(?:rejected|declined|accepted|tentative|refuse|refusee|accepte|acceptee|provisoire|decline)\s*:")
"""How a calendar client's response subject starts (Outlook: « Refusé : », « Rejected: »)."""


def _without_subject_echo(own: str, subject: str) -> str:
    """``own`` without the lines that only repeat the subject: Outlook's response to a
    meeting writes « Refusé : [RERS-…] Confirmez… » again atop its body, and that is the
    client's word, not the person's NO. Only a subject with a token or a response prefix
    counts (a person who writes « Oui » as subject and body still answers)."""
    key = " ".join(fold(subject).split())
    if not key or not (find_token(subject) or _RESPONSE_PREFIX_RE.match(key)):
        return own
    return "\n".join(line for line in own.split("\n") if " ".join(fold(line).split()) != key)


def _command(parsed: Parsed, subject: str, body_line: str, own: str, options: ParseOptions,
             reference: datetime) -> bool:
    """``event_command`` when the subject or the first meaningful line is an animator's
    command (from a configured animator, or anyone without a configuration)."""
    if options.animators is not None and (parsed.sender or "") not in options.animators:
        return False
    for line in (subject, body_line):
        command = read_command(line, reference) if line else None
        if command is None:
            continue
        parsed.intent, parsed.command = "event_command", command
        fields = read_fields(own, None)
        parsed.member = fields.member
        if command["name"] == "register":
            command["consent"] = fields.consent
            parsed.items = fields.items
        if command["name"] == "group" and command["capacity"] is None:
            command["capacity"] = next((item.capacity for item in fields.items if item.capacity), None) \
                or fields.pending.get("capacity")
        return True
    return False


def _request(parsed: Parsed, subject: str, body_line: str, own: str, texts: tuple[list[str], str, str],
             split: Split, options: ParseOptions, reference: datetime) -> None:
    """What a person asks (:func:`_find_keyword`), with what that intent carries; member
    fields alone are ``preferences``; anything else ``unknown``. ``texts``: the pieces of
    ``own``, the sender's words alone and the forwarded messages' alone
    (:func:`_own_text`)."""
    pieces, mine, theirs = texts
    parsed.reply_to_robot = _answers_robot(parsed, subject)
    found = _find_keyword(subject, body_line, pieces, parsed.reply_to_robot, split.forwarded_subject)
    named = _named_item(found)
    if named is not None:
        # « Offre O-1 » names a listed item, it gives no title: the body says what the
        # sender wants of it (« l'offre O-1 m'intéresse »), else the animators read it.
        found = _find_keyword("", body_line, pieces, True, split.forwarded_subject) if found.from_subject else None
        if _named_item(found) is not None:
            found = None
        if found is None and named[0] in "OD" and says_interest(body_line):
            found = _Found(Keyword("interest", item_ref=named), body_line, False)
    if found is None and parsed.reply_to_robot and is_catalogue_subject(subject):
        ref = item_ref_in(body_line, "OoDd0")
        found = _Found(Keyword("interest", item_ref=ref), body_line, False) if ref else None
    if found is None and parsed.reply_to_robot and is_reciprocity_subject(subject):
        # « Et vous, qu'aimeriez-vous transmettre ? » answered in a sentence: « Je peux
        # montrer comment réparer un vélo. » is the offer the mail asked for.
        written = prose_items(read_fields(own, "offer").free_text, ("offer",))
        found = _Found(Keyword("offer"), written[0].used, False) if written else None
    if found is None:
        found = _prose_found(body_line)
    if found is not None and found.keyword.needs_ref:
        ref = item_ref_in(subject) or item_ref_in(own)
        found = _Found(Keyword("withdraw_item", item_ref=ref), found.line, found.from_subject) if ref else None
    if found is None:
        fields = read_fields(own, None)
        parsed.member = fields.member
        parsed.intent = "preferences" if is_preferences(own, "" if parsed.reply_to_robot else subject) else "unknown"
        if parsed.intent == "preferences" and not parsed.reply_to_robot and field_key(subject):
            parsed.member = read_fields(f"{subject}\n\n{own}", None).member
        return
    if theirs and found.keyword.intent in RELAYABLE and forwards_another(parsed):
        # Another person's join, offer or demand, forwarded: what is recorded for them
        # comes from their message alone; the forwarder's note (a situation, a phone
        # number) is for the animators (unused_text), never in their items or fields.
        body_line = _first_meaningful(theirs)
        found = _theirs(found, pieces, split.forwarded_subject, body_line)
        found.scope = theirs
    keyword = found.keyword
    parsed.intent = keyword.intent
    parsed.item_ref = keyword.item_ref
    item_kind = keyword.intent if keyword.intent in ("offer", "demand") else None
    # A keyword found in a forwarded message: its fields are that message's.
    fields = read_fields(found.scope or own, item_kind)
    parsed.member = fields.member
    if keyword.intent in ("offer", "demand", "join"):
        items, used = _items(keyword, found, fields, item_kind, body_line)
        parsed.items = [item for item in items if not is_bare_reference(item.title)]
        # An offer or a demand whose wish gave no item: the sentence saying it was not used.
        said = keyword.intent if parsed.items or not item_kind else ""
        parsed.unused_text = _unused(fields.free_text, used, said) or (
            found.scope is not None and _unused(read_fields(mine, None).free_text, [], keyword.intent)) or (
            keyword.intent == "join" and parsed.member.phone is None and _phone_dropped(split, own))
    elif keyword.intent == "pause":
        parsed.pause_until, parsed.pause_date_unread = _pause_until(f"{keyword.rest}\n{own}", reference)
    elif keyword.intent == "address_change":
        parsed.new_address = _new_address(keyword.rest, own, parsed.sender, options.network_address)
        if parsed.new_address is None and not _MAIL_WORD_RE.search(fold(found.line)):
            # « Mon adresse a changé : 12 rue des Lilas »: a postal address, for a person.
            parsed.intent = "unknown"
    elif keyword.intent == "testimony":
        parsed.signature = fields.signature or "anonyme"


_NOT_MEMBER_METHODS = frozenset({"refresh", "add", "declinecounter"})
"""iTIP methods (RFC 5546) a calendar client sends on its own: never a member's words."""
_FED_TAG_RE = re.compile(r"\[RERS-FED\]\s*", re.IGNORECASE)


def _federation(subject: str, bodies: decode.Bodies) -> dict | None:
    """A linked network's robot message (protocol.md, "Linked networks"): the subject's
    ``[RERS-FED]`` tag and an ``application/json`` part. ``{"kind", "json",
    "signature"}``, or None; nothing is checked here (the signature is the step's)."""
    tag = _FED_TAG_RE.search(subject)
    if tag is None or not bodies.json:
        return None
    return {
        "kind": subject[tag.end():].strip() or None,
        "json": bodies.json[0],
        "signature": bodies.signatures[0] if bodies.signatures else None,
    }


def _own_text(split: Split, parsed: Parsed) -> tuple[str, list[str], str, str]:
    """The person's own text, its pieces (their words, then each forwarded message's),
    each without its signature: a footer above a forwarded message (« Envoyé de mon
    iPhone ») ends the sender's words, not the forwarded ones; then the sender's words
    alone and the forwarded messages' alone (each "" when there are none)."""
    forwarded_hint = " ".join(
        part for part in (split.forwarded_name, (split.forwarded_from or "").split("@")[0].replace(".", " ")) if part
    )
    pieces = []
    mine = ""
    for index, part in enumerate(split.parts or [split.own]):
        hint = _name_hint(parsed) if index == 0 else (forwarded_hint or _name_hint(parsed))
        piece = tidy(strip_signature(part, hint))
        mine = piece if index == 0 else mine
        if piece:
            pieces.append(piece)
    theirs = "\n\n".join(pieces[1:] if mine else pieces) if split.forwarded else ""
    return tidy("\n\n".join(pieces)), pieces, mine, theirs


def _answers_robot(parsed: Parsed, subject: str) -> bool:
    """True when the message replies to one of the robot's mails: ``Re:`` before one of
    its subjects, or In-Reply-To/References naming one of its Message-IDs."""
    if is_reply_subject(parsed.subject) and (is_robot_subject(subject) or is_robot_tagged(parsed.subject)):
        return True
    return any(is_robot_message_id(value) for value in (*parsed.in_reply_to, *parsed.references))


class _Found:
    """A keyword found: ``keyword``, the ``line`` it was found in, ``from_subject``, and
    ``scope`` the text its fields are read from (the forwarded message alone when the
    keyword was in it; None for the whole own text)."""

    __slots__ = ("keyword", "line", "from_subject", "scope")

    def __init__(self, keyword: Keyword, line: str, from_subject: bool, scope: str | None = None) -> None:
        self.keyword, self.line, self.from_subject, self.scope = keyword, line, from_subject, scope


def _named_item(found: _Found | None) -> str | None:
    """The reference an offer or demand keyword is followed by (« Offre O-1 »,
    :func:`named_reference`), or None."""
    if found is None or found.keyword.intent not in ("offer", "demand"):
        return None
    return named_reference(found.keyword.rest)


def _find_keyword(subject: str, body_line: str, pieces: list[str], reply_to_robot: bool,
                  forwarded_subject: str | None = None) -> _Found | None:
    """The intent keyword of a message: in its subject (not when the subject is the
    robot's own, in a reply), then ``body_line`` (the first meaningful line of its own
    text), then the next sentences of that line (« Je m'appelle Marie. J'aimerais
    apprendre… »); in a forward, also the forwarded message's subject and first
    meaningful line."""
    for line, from_subject, scope in _keyword_places(subject, body_line, pieces, reply_to_robot, forwarded_subject):
        line = line[:_LINE_READ]
        keyword = find_keyword(line) if line else None
        if keyword is not None:
            return _Found(keyword, line, from_subject, scope)
    return None


def _keyword_places(subject: str, body_line: str, pieces: list[str], reply_to_robot: bool,
                    forwarded_subject: str | None) -> Iterator[tuple[str, bool, str | None]]:
    """``(line, from_subject, scope)`` where :func:`_find_keyword` looks, in order; made
    one at a time (most messages say what they want in their subject)."""
    if not reply_to_robot:
        yield subject, True, None
    yield body_line, False, None
    for sentence in sentences(body_line)[1:_SENTENCES_READ]:
        yield sentence, False, None
    if len(pieces) < 2 and not forwarded_subject:
        return
    forwarded = "\n\n".join(pieces[1:]) if len(pieces) > 1 else None
    if forwarded_subject:
        inner_subject = strip_subject(forwarded_subject)[0]
        if not is_robot_subject(inner_subject):
            yield inner_subject, True, forwarded
    for piece in pieces[1:]:
        yield _first_meaningful(piece), False, forwarded


def _theirs(found: _Found, pieces: list[str], forwarded_subject: str | None, body_line: str) -> _Found:
    """The offer or demand keyword of a forwarded person's message when ``found`` was the
    forwarder's (in her subject or her own lines: scope None): her « OFFRE : couture »
    above the forward says what the message is, never what the person offers. The
    person's own keyword (their subject or first line) when it is an offer's or a
    demand's, else ``found``'s intent without its words, read at the person's first
    meaningful line (``body_line``): the title comes from their sentences."""
    if found.scope is not None or found.keyword.intent not in ("offer", "demand"):
        return found
    inner = _find_keyword("", "", pieces, True, forwarded_subject)
    if inner is not None and inner.keyword.intent in ("offer", "demand"):
        return inner
    return _Found(Keyword(found.keyword.intent), body_line, False)


_SENTENCES_READ = 3
"""Sentences of the first meaningful line looked at for a keyword."""


def _prose_found(body_line: str) -> _Found | None:
    """An offer or a demand written as a sentence without a keyword (protocol.md, "Fields":
    « je peux montrer comment réparer un vélo » is an offer): the first of the first
    meaningful line's sentences that carries an item (:func:`clause_item`)."""
    for sentence in sentences(body_line[:_LINE_READ])[:_SENTENCES_READ]:
        written = clause_item(sentence)
        if written is not None:
            return _Found(Keyword(written.kind), sentence, False)
    return None
_LINE_READ = 2000
"""Characters of a line looked at for a keyword: a keyword opens it, and its title ends
well before (a pasted line of a hundred thousand characters costs no more)."""


def _items(keyword: Keyword, found: _Found, fields: Fields, item_kind: str | None,
           body_line: str = "") -> tuple[list[Item], list[str]]:
    """The items of a join, an offer or a demand, and the sentences of the person's text
    they used: the fields' items; else, for an offer or a demand, one item titled by
    the keyword's line (the subject after the keyword as written, or a sentence of the
    body: « J'aimerais apprendre à faire un CV » -> « faire un CV »), described by the
    rest of the text; else the items the sentences carry (:mod:`workflows.mail.prose`)."""
    used = [] if found.from_subject else [sentences(found.line)[0] if sentences(found.line) else found.line]
    if fields.items:
        return fields.items, used
    if item_kind:
        title, used_line = _keyword_title(keyword, found)
        if not title and found.from_subject and body_line:
            # « OFFRE » alone in the subject, « Je propose un atelier cuisine. » below.
            inner = find_keyword(body_line)
            if inner is not None and inner.intent == keyword.intent:
                title, used_line = _keyword_title(inner, _Found(inner, body_line, False))
            elif body_line[:1].islower():
                # « Je souhaite apprendre » then « à faire de la pâtisserie… »: the
                # subject's sentence goes on in the body.
                title, used_line = _continued_title(found.line, body_line, keyword.intent)
        if title:
            described = fields.pending.get("description")
            if described is None:
                described = _description(fields.free_text, used_line)
                used.append(fields.free_text)
            item = Item(kind=item_kind, title=title, description=described or None)
            _apply_pending(item, fields.pending)
            _when_is_availability(item)
            return [item], used
    kinds = (item_kind,) if item_kind else ("offer", "demand")
    written = prose_items(fields.free_text, kinds)
    items = [Item(kind=found_item.kind, title=found_item.title) for found_item in written]
    used += [found_item.used for found_item in written]
    if items:
        _apply_pending(items[0], fields.pending)
    if item_kind and len(items) == 1 and items[0].description is None:
        # One offer (or demand) in a sentence: the rest of the text describes it.
        items[0].description = fields.pending.get("description") or _description(fields.free_text, written[0].used) or None
        used.append(fields.free_text)
        _when_is_availability(items[0])
    return items, used


def _when_is_availability(item: Item) -> None:
    """A description that says only when (« Je peux montrer comment réparer un vélo, le
    dimanche. ») is the item's availability, unless one is written."""
    if item.availability is None and _only_when(item.description):
        item.availability, item.description = (item.description or "").strip(" .!;,"), None


_WHEN_WORDS = frozenset(
    "le les la l tous toutes chaque en et ou de du des au aux a plutot surtout sauf entre partir vers midi "
    "lundi lundis mardi mardis mercredi mercredis jeudi jeudis vendredi vendredis samedi samedis dimanche "
    "dimanches week end ends weekend weekends semaine semaines soir soirs soiree soirees matin matins matinee "
    "apres journee journees fin h heures".split())
_WHEN_MARKS = frozenset(
    "lundi lundis mardi mardis mercredi mercredis jeudi jeudis vendredi vendredis samedi samedis dimanche "
    "dimanches week weekend weekends semaine soir soirs soiree soirees matin matins matinee apres journee".split())


def _only_when(text: str | None) -> bool:
    """True when ``text`` (what follows a title in its sentence) says only when (« le
    dimanche », « le samedi matin », « en semaine après 18 h »): an availability."""
    words = re.findall(r"[a-z]+|\d+", fold(text or ""))
    return (bool(words) and len(words) <= 8 and any(w in _WHEN_MARKS for w in words)
            and all(w in _WHEN_WORDS or w.isdigit() for w in words))


_PHONE_RE = re.compile(r"(?:\+33\s?|(?<!\d)0)[1-9](?:[\s.-]?\d\d){4}(?!\d)")


def _phone_dropped(split: Split, own: str) -> bool:
    """True when the signature taken off a join held a phone number: « Nadia Ferhat /
    06 51 22 33 44 » under « Je voudrais adhérer » may be the person's details, which
    the robot does not guess but the animators must see."""
    return any(_PHONE_RE.search(part) and not _PHONE_RE.search(own) for part in (split.parts or [split.own])[:1])


def _continued_title(subject: str, body_line: str, kind: str) -> tuple[str, str]:
    """``(title, the body's words it used)`` of a subject whose sentence the body's first
    line finishes, or ``("", "")``."""
    joined = f"{subject.rstrip(' .…:')} "
    written = clause_item(joined + body_line)
    if written is None or written.kind != kind or len(written.used) <= len(joined):
        return "", ""
    return written.title, written.used[len(joined):]


def _apply_pending(item: Item, pending: dict) -> None:
    """Item fields written before any title belong to the item."""
    for key in ("modality", "availability", "place", "shared", "standing_consent", "capacity"):
        if getattr(item, key) is None and pending.get(key) is not None:
            setattr(item, key, pending[key])


def _keyword_title(keyword: Keyword, found: _Found) -> tuple[str, str]:
    """``(title, the text it used)`` for an item without a ``Savoir :`` line: the subject
    after the keyword, as written; or, in the body, the item its sentence carries, else
    the rest of that sentence."""
    if found.from_subject:
        return title_from(keyword.rest), ""
    first_sentence = sentences(found.line)[0] if sentences(found.line) else found.line
    written = clause_item(first_sentence)
    if written is not None and written.kind == keyword.intent:
        return written.title, written.used
    rest = sentences(keyword.rest)
    return (title_from(rest[0]) if rest else ""), first_sentence


def _description(free_text: str, used: str) -> str:
    """The person's own text as the description of an item titled by its subject (or a
    sentence of the body): the free text without the sentence the title came from."""
    text = free_text
    if used:
        position = text.find(used)
        if position >= 0:
            text = text[:position] + text[position + len(used):]
    lines = [line.strip(" \t").lstrip(",;:-–— ") for line in text.split("\n")]
    described = "\n".join(line for line in lines if line.strip(" .,;:!?"))
    if all(is_greeting(part) or is_courtesy(part) for part in sentences(described.replace(",", "."))):
        return ""  # « Bonjour, … Merci »: what is left around the title says nothing
    return described


def _unused(free_text: str, used: list[str], intent: str) -> bool:
    """True when a sentence of the person's free text was used for nothing: not the
    keyword's (nor another saying the same intent, « Je voudrais adhérer au réseau. »
    under the subject « Adhésion »), not an item's, not a description, not a greeting,
    thanks or filler."""
    if free_text in used:
        return False  # all of it became a description
    used_keys = [_sentence_key(item) for item in used if item]
    for sentence in sentences(free_text):
        key = _sentence_key(sentence)
        # Used: part of what was used (a description), or the sentence an item came from.
        if any(key and (key in item or item in key) for item in used_keys if item):
            continue
        if is_greeting(sentence) or is_filler(sentence):
            continue
        said = find_keyword(strip_greeting(sentence[:_LINE_READ]))
        if said is None or said.intent != intent:
            return True
    return False


def _sentence_key(text: str) -> str:
    """A sentence folded for comparing what was used: no case, accents, end punctuation."""
    return " ".join(fold(text).strip(" .!?…:;,").split())


_UNTIL_RE = re.compile(r"\b(?:jusqu'?(?:au|a|en|a la fin de|a fin)|until|avant le|retour le|reprise le)\b")
_DATE_ATTEMPT_RE = re.compile(
    r"\d|\b(?:janv(?:ier)?|fevr?(?:ier)?|mars|avr(?:il)?|mai|juin|juil(?:let)?|aout|sept(?:embre)?|oct(?:obre)?"
    r"|nov(?:embre)?|dec(?:embre)?|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|demain|fin|debut|mi-\w+"
    r"|mois|semaines?|ans?|annee|ete|hiver|printemps|automne|rentree|vacances|noel|paques|toussaint)\b")
"""Words after « jusqu'au » that try to say a date (« la fin du mois », « 31 février »):
when no date is read from them, the person is told so. « jusqu'à nouvel ordre » is no date."""
_UNREAD_CHARS = 40


def _pause_until(text: str, reference: datetime) -> tuple[str | None, str | None]:
    """``(date, unread)``: the date a pause ends (« PAUSE JUSQU'AU 15 MARS » -> the next 15
    March, « jusqu'à fin mars » -> the next 31 March), from the keyword's line then the
    text, as ``YYYY-MM-DD``; else ``(None, what was written)`` when the words after
    « jusqu'au » try to say a date that cannot be read or does not exist (« 31 février »,
    « 30/02 »: at most 40 characters, as written); ``(None, None)`` when no date follows
    « jusqu'au »."""
    for line in text.split("\n")[:_FIRST_LINES]:
        folded, where = fold_with_map(line)
        until = _UNTIL_RE.search(folded)
        if until is None:
            continue
        rest = folded[until.end():]
        last = month_end(rest, reference)
        if last is not None:
            return last.isoformat(), None
        found = find_date(rest, reference, strict=True)
        if found is not None:
            return found[0].isoformat(), None
        if _DATE_ATTEMPT_RE.search(rest):
            start = where[until.end()] if until.end() < len(where) else len(line)
            written = " ".join(line[start:].split()).strip(" .,;:!")
            return None, written[:_UNREAD_CHARS] or None
    return None, None


_MAIL_WORD_RE = re.compile(r"e-?mail|\bmail\b|courriel|electronique|messagerie")


def _new_address(rest: str, own: str, sender: str | None, network: str | None) -> str | None:
    """The new address of an address change: the first address after the keyword, else
    the first in the text that is neither the sender's nor the network's, lower-cased."""
    for text in (rest, own):
        for match in MAIL_ADDRESS_RE.finditer(text):
            address = match.group(0).strip(".").lower()
            if address not in ((sender or "").lower(), (network or "").lower()):
                return address
    return None


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
        if found and (found[0] in MEMBER_FIELDS or found[0] in ("first_name", "last_name", "other", "message")):
            value = strip_greeting(found[1].strip())
            if found[0] in ("other", "message") and value and find_keyword(value):
                return value
            continue
        return strip_greeting(line.strip())
    return ""


def _reference_time(date: datetime | None, now: datetime | None, zone: str) -> datetime:
    """The moment dates without a year are read from: the message's Date, else ``now``,
    else the clock, in the network's zone."""
    tz = decode.network_zone(zone)
    moment = date or now or datetime.now(tz)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(tz)


def _cleaned(parsed: Parsed) -> Parsed:
    """Every string of ``parsed`` without control characters (the contract's promise)."""
    parsed.text = clean(parsed.text)
    for name in ("sender", "token", "answer", "item_ref", "subject", "sender_name", "reply_to", "message_id",
                 "automatic", "auto_submitted", "list_id", "on_behalf_of", "sender_field", "pause_until",
                 "pause_date_unread", "new_address",
                 "signature", "forwarded_from", "forwarded_name", "forwarded_subject"):
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
    for holder in (parsed.command, parsed.rsvp, *parsed.rsvps):
        if holder:
            for key, value in holder.items():
                if isinstance(value, str):
                    holder[key] = clean_line(value)
    if parsed.federation is not None:
        parsed.federation = {key: clean(value) if isinstance(value, str) else value
                             for key, value in parsed.federation.items()}
    parsed.in_reply_to = [clean_line(value) for value in parsed.in_reply_to]
    parsed.references = [clean_line(value) for value in parsed.references]
    parsed.authentication_results = [clean_line(value) for value in parsed.authentication_results]
    parsed.bounced_addresses = [clean_line(value) for value in parsed.bounced_addresses]
    parsed.bounced_message_ids = [clean_line(value) for value in parsed.bounced_message_ids]
    parsed.delayed_addresses = [clean_line(value) for value in parsed.delayed_addresses]
    return parsed


__all__ = ["parse_message"]
