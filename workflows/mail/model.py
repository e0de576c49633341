"""What the robot understood of one message: the data shape of `rers parse`.

The JSON contract is `../shared/design/protocol.md`, "What the robot understood". The
dataclasses below carry that contract (``Parsed.contract()``) plus the envelope facts the
workflows need and the contract does not show (Message-ID, In-Reply-To, Reply-To, the
Authentication-Results headers, the addresses a bounce names).

Everything here is plain data: ``str``, ``bool``, ``None``, lists and dicts, with no
control characters, so that it is JSON-serialisable as is.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

INTENTS = (
    "join",
    "offer",
    "demand",
    "withdraw_item",
    "withdraw",
    "reply",
    "help",
    "catalogue",
    "my_data",
    "event_command",
    "rsvp",
    "auto_reply",
    "bounce",
    "preferences",
    "interest",
    "pause",
    "resume",
    "testimony",
    "address_change",
    "federation",
    "unknown",
)
"""Every intent of protocol.md, "Intents"."""

INVITATION_KINDS = ("permanences", "rencontres", "échanges", "ateliers", "réseaux voisins")
"""The kinds of event a member may ask invitations for (protocol.md, "Fields", Invitations)."""
SIGNATURES = ("anonyme", "prénom")
MODALITIES = ("one_to_one", "group", "practice_exchange", "talking_group")
CONTACTS = ("email", "phone", "permanence")
"""How a member wants to be put in touch (protocol.md, "Fields", Contact): the only
list of these choices (the membership step, the disclosure and the crossings read it)."""
ANSWERS = ("yes", "no", "unclear")


@dataclass
class MemberFields:
    """The person's own fields as written in this message (protocol.md, "Fields").

    ``phone`` is E.164 (``+33639981234``) when it could be normalised, else as written;
    ``contact`` is one of ``CONTACTS`` or None; ``invitations`` True/False/None;
    ``invitation_kinds`` the kinds of ``INVITATION_KINDS`` named, in the order written,
    or None for a plain oui/non; ``digest`` (``Nouvelles : oui``) True/False/None;
    ``first_name`` as written in a ``Prénom :`` line (``name`` holds the whole name).
    """

    name: str | None = None
    phone: str | None = None
    contact: str | None = None
    invitations: bool | None = None
    invitation_kinds: list[str] | None = None
    digest: bool | None = None
    first_name: str | None = None
    """The first name given as such (a ``Prénom :`` line): how the person wants to be
    named to other members before both consented (the full name is never shown)."""


@dataclass
class Item:
    """One offer or demand as written: ``kind`` is ``offer`` or ``demand``; ``shared``
    (``Réseaux voisins``) and ``standing_consent`` (``Accord permanent``) True/False/None;
    ``capacity`` (``Places``) an integer or None."""

    kind: str
    title: str
    description: str | None = None
    modality: str | None = None
    availability: str | None = None
    place: str | None = None
    shared: bool | None = None
    standing_consent: bool | None = None
    capacity: int | None = None


@dataclass
class Bilan:
    """Bilan fields of a reply; ``happened`` is ``yes``, ``no``, ``ongoing`` or None."""

    happened: str | None = None
    interest: str | None = None
    obstacles: str | None = None
    facilitators: str | None = None


@dataclass
class Parsed:
    """One message, understood.

    The first group of attributes is the `rers parse` contract; the second is the
    envelope, used by the workflows and never printed by `rers parse`.
    """

    intent: str = "unknown"
    sender: str | None = None
    """The From mailbox's address, canonical (lower-cased; an IDN domain as its
    U-label), or None (``sender_problem`` says why)."""
    token: str | None = None
    answer: str | None = None
    member: MemberFields = field(default_factory=MemberFields)
    items: list[Item] = field(default_factory=list)
    item_ref: str | None = None
    pause_until: str | None = None
    """For ``pause``: the date written (``YYYY-MM-DD``), None for « until REPRISE »."""
    pause_date_unread: str | None = None
    """For ``pause``: the words after « jusqu'au » that try to say a date the robot cannot
    read or that does not exist (« 31 février »), as written; None otherwise."""
    new_address: str | None = None
    """For ``address_change``: the new address, lower-cased (None when none is written)."""
    signature: str | None = None
    """For ``testimony``: ``anonyme`` (the default) or ``prénom``."""
    bilan: Bilan | None = None
    command: dict | None = None
    rsvp: dict | None = None
    rsvps: list[dict] = field(default_factory=list)
    """For ``rsvp``: every answer of the calendar part (one per VEVENT: the series, then
    each occurrence answered apart); ``rsvp`` is the first."""
    text: str = ""
    unused_text: bool = False
    """True when the person's own text holds sentences the parser turned into nothing (a
    question, a story beside a join, an offer or a demand): the robot should let the
    animators read it. Only computed for ``join``, ``offer`` and ``demand``."""

    # Envelope (not part of the JSON contract).
    message_id: str = ""
    """The Message-ID with its angle brackets, or ``<sha256-…@rers.invalid>`` from the
    bytes when the message has none (so a repeat is still recognised)."""
    subject: str = ""
    sender_name: str | None = None
    """The From display name, decoded; None when absent or when it holds an ``@`` (an
    address written as a name is never a name, and never an address)."""
    sender_problem: str | None = None
    """Why ``sender`` is None (``decode.ADDRESS_PROBLEMS``): ``missing`` (no From),
    ``unreadable``, ``several`` (several mailboxes, or several From fields), ``group``.
    None when ``sender`` is set. The sender is the From mailbox only: never the Sender,
    Reply-To or Return-Path, never an address found in a display name."""
    reply_to: str | None = None
    """Reply-To's single mailbox, canonical (``decode.normal_address``): used only to
    answer a web form relay, never as identity."""
    reply_to_problem: str | None = "missing"
    """Why ``reply_to`` is None, as ``sender_problem``."""
    sender_field: str | None = None
    """The ``Sender`` header's single mailbox (RFC 5322 §3.6.2: the agent who sent it),
    canonical; informative only, never the sender."""
    sender_field_problem: str | None = "missing"
    content_digest: str = ""
    """``sha256:<hex>`` of the message without the header fields added in transit
    (``decode.content_digest``): the same message delivered twice has the same digest;
    another message that reuses a Message-ID has another."""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    date: datetime | None = None
    """The ``Date:`` header as an aware datetime, None when missing or unreadable."""
    authentication_results: list[str] = field(default_factory=list)
    """The ``Authentication-Results`` header values (RFC 8601), decoded, in the order of
    the header block: the topmost field (the one the last server added) first."""
    bounced_addresses: list[str] = field(default_factory=list)
    """For ``bounce``: the lower-cased addresses that permanently failed."""
    bounced_message_ids: list[str] = field(default_factory=list)
    """For ``bounce``: the Message-IDs of the message it reports on (its attached message
    or headers, a quoted copy, In-Reply-To, References), to find the robot's own mail
    and whom it was sent to."""
    delayed_addresses: list[str] = field(default_factory=list)
    """For ``bounce``: addresses only delayed or temporarily failing (not to be marked)."""
    auto_submitted: str | None = None
    """The ``Auto-Submitted`` value (RFC 3834), lower-cased, without parameters."""
    list_id: str | None = None
    """The ``List-Id`` header (RFC 2919) when the message came through a list."""
    automatic: str | None = None
    """For ``auto_reply``/``bounce``: why the message was judged automatic
    (``own mail``, ``auto-submitted: auto-replied``, ``precedence: bulk``, ``list-id``,
    ``x-autoreply``, ``read receipt``, ``subject``, ``delivery report``, ``calendar:
    refresh``…). Also set on an ``unknown``: ``calendar: counter``, a calendar client's
    proposal of another time, which protocol.md does not handle (for the animators, never
    read as member mail)."""
    own_mail: bool = False
    """True when this is the robot's own mail coming back (From the functional address,
    a robot-built Message-ID, or an X-Loop naming it)."""
    forwarded: bool = False
    """True when the message forwards another (``TR :``/``Fwd:``) and ``text`` holds the
    forwarded content."""
    on_behalf_of: str | None = None
    """``M-14`` when an animator answers for a member without e-mail (``POUR M-14 : OUI``)."""
    forwarded_from: str | None = None
    """For a forward: the lower-cased address in the forwarded message's ``De :`` line
    (a member forwarding their own mail, or an agent forwarding a person's)."""
    forwarded_name: str | None = None
    """For a forward: the display name of the forwarded message's ``De :`` line."""
    forwarded_subject: str | None = None
    """For a forward: the forwarded message's ``Objet :`` as written."""
    reply_to_robot: bool = False
    """True when the message answers one of the robot's own mails without a token (its
    subject after ``Re:``, or In-Reply-To/References one of its Message-IDs): the intent
    then comes from the body, not from the robot's subject."""
    federation: dict | None = None
    """For ``federation``: ``{"kind": the subject after [RERS-FED], "json": the
    application/json part's text, "signature": the signature part's text or None}``;
    nothing in it is checked here."""

    def contract(self) -> dict:
        """The JSON object of `rers parse` (protocol.md), keys in the documented order."""
        return {
            "intent": self.intent,
            "sender": self.sender,
            "token": self.token,
            "answer": self.answer,
            "member": asdict(self.member),
            "items": [asdict(item) for item in self.items],
            "item_ref": self.item_ref,
            "pause_until": self.pause_until,
            "new_address": self.new_address,
            "signature": self.signature,
            "bilan": asdict(self.bilan) if self.bilan is not None else None,
            "command": self.command,
            "rsvp": self.rsvp,
            "rsvps": self.rsvps,
            "text": self.text,
            "unused_text": self.unused_text,
        }


@dataclass(frozen=True)
class ParseOptions:
    """What the parser needs to know about the network.

    ``animators``: lower-cased addresses allowed to send commands; None means "no
    configuration given" (`rers parse` without ``--config``): keywords are then commands
    whoever sent them. ``network_address``: the functional address, to recognise the
    robot's own mail coming back. ``timezone``: an IANA name, used for dates without a
    zone in animator commands.
    """

    animators: frozenset[str] | None = None
    network_address: str | None = None
    timezone: str = "Europe/Paris"
