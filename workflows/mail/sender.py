"""Who is behind a message: the person's address and name as the robot uses them to answer.

A web form or a site often sends from a relay address (``no-reply@…``) with the person in
``Reply-To``: then the person is the Reply-To. Pure functions of the parsed message.
"""
from __future__ import annotations

import re

from workflows.mail.model import Parsed
from workflows.mail.textutil import fold

MAIL_ADDRESS_RE = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
"""An e-mail address as people write it in a text (``local@domain.tld``)."""


def is_mail_address(text: str | None) -> bool:
    """True when ``text`` (stripped) is one e-mail address and nothing else."""
    return bool(text) and MAIL_ADDRESS_RE.fullmatch(text.strip()) is not None


_RELAY = re.compile(
    r"^(no-?reply|ne-?pas-?r[eé]pondre|do-?not-?reply|noreply|wordpress|www-data|apache|nobody|"
    r"formulaire|form|contact-?form|webmaster|site|mailer)([+._-].*)?@",
    re.IGNORECASE,
)


def is_relay(address: str | None) -> bool:
    """True for a web form's or a site's sending address (``no-reply@…``, ``wordpress@…``):
    the person is then in Reply-To."""
    return bool(address and _RELAY.match(address))


def person_address(parsed: Parsed) -> str | None:
    """The address of the person behind a message, lower-cased.

    The From address, except for a web form relay with a Reply-To: then the Reply-To. An
    identity claimed that way is never trusted for anything binding: every binding act is
    confirmed by answering a question sent to that address.

    Both are single mailboxes read as RFC 5322 reads them (``decode.read_mailbox``):
    None when the From header does not name exactly one mailbox (``sender_problem``),
    and Reply-To never stands in for a missing or unreadable From; a relay whose Reply-To
    names several mailboxes stays the relay's address.
    """
    if is_relay(parsed.sender) and parsed.reply_to:
        return parsed.reply_to
    return parsed.sender


RELAYABLE = frozenset({"join", "offer", "demand"})
"""Intents that, forwarded from another person, are that person's request to confirm."""


def forwards_another(parsed: Parsed) -> bool:
    """True when the message's words are another person's, forwarded: a forward
    (``parsed.forwarded``) whose original names its sender (``De :``, an address or a
    name only, as Outlook writes a known contact) and that sender is not the forwarder —
    neither the From address nor, for a name alone, the From display name or the
    address's local part (« De : Nadia Ferhat » above one's own mail). Whose words they
    are decides, not whether an address can be read: a person is never made a member by
    someone else's words, even when that someone has no address the robot can write to
    (a name only, the robot's own address, a web form's)."""
    if not parsed.forwarded or not (parsed.forwarded_from or parsed.forwarded_name):
        return False
    if parsed.forwarded_from:
        return parsed.forwarded_from.lower() != (parsed.sender or "").lower()
    written = _name_words(parsed.forwarded_name)
    local = (parsed.sender or "").split("@", 1)[0]
    return not written or written not in (_name_words(parsed.sender_name), _name_words(local))


def _name_words(name: str | None) -> frozenset[str]:
    """The words of a name, folded, in any order (Outlook writes « Martin Claire »)."""
    return frozenset(re.findall(r"[a-z0-9]+", fold(name or "").replace("-", " ")))


def relayed_person(parsed: Parsed) -> str | None:
    """The address of the person whose join, offer or demand someone else forwarded (an
    adviser: « Je vous transfère la demande de Mme X », the original below or attached),
    lower-cased; None when the message is no such forward (:func:`forwards_another`) or
    when the original shows no address the person reads (a name only, a web form's
    relay). Like a web form's Reply-To, an address claimed, never trusted: the person
    confirms by answering a question sent to it."""
    if parsed.intent not in RELAYABLE or not forwards_another(parsed) or not parsed.forwarded_from:
        return None
    original = parsed.forwarded_from.lower()
    if is_relay(original) or "@" not in original:
        return None
    return original


def mailbox_key(address: str | None) -> str | None:
    """The one mailbox behind ``address``, for counting what the robot does for it (its
    daily answers, its forwards to the animators): lower-cased, and a ``+tag`` dropped
    from the local part (``Marie+x@Example.org`` → ``marie@example.org``), as the
    providers people use deliver ``local+anything`` to ``local``. Dots are kept
    (``m.arie`` and ``marie`` are one Gmail mailbox but two elsewhere). Never an identity:
    only the key of a counter, so that writing from variants of one address does not
    multiply what that mailbox receives. None stays None."""
    if not address:
        return address
    lowered = address.lower()
    local, at, domain = lowered.rpartition("@")
    if not at:
        return lowered
    base = local.split("+", 1)[0]
    return f"{base or local}@{domain}"


def person_name(parsed: Parsed) -> str | None:
    """The display name of the From header, unless it is a web form relay's (then None)."""
    return None if is_relay(parsed.sender) else parsed.sender_name or None
