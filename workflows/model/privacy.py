"""What the mails of an introduction may say about each person: privacy by construction.

protocol.md: "No member's address or phone number is ever sent to another member before
both consented to that introduction." The templates of an introduction never receive a
member or item document; they receive the views built here, and only these:

* :class:`PublicMember` — a first name, nothing else, and never something that looks like
  an address or a number (a display name may be ``marie.dupont@example.org``);
* :class:`PublicItem` — an item's reference, kind, title and availability with every
  address and phone number masked (:func:`redact`), and its modality;
* :class:`Disclosure` — the other member's name and chosen contact detail, which only
  :func:`disclose` makes, and only for an introduction both members consented to.

Pure: plain documents in, frozen dataclasses out.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from workflows.mail.labels import readable_name

MASK = "[coordonnées masquées]"

# An address as people write it to dodge robots too: "marie (at) example.org",
# "marie [at] gmail [dot] com", "marie at gmail.com", "marie arobase gmail point com".
_AT = r"(?:\s*@\s*|\s*[(\[{]\s*(?:at|arobase)\s*[)\]}]\s*|\s+(?:at|arobase)\s+)"
_DOT = r"(?:\.|\s*[(\[{]\s*(?:dot|point)\s*[)\]}]\s*|\s+(?:dot|point)\s+)"
_EMAIL_RE = re.compile(rf"[\w.+'-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)+", re.IGNORECASE)
# Eight digits or more, with the separators people write between them (06 12 34 56 78,
# +33 6.12.34.56.78, 0033-612345678): no phone number is shorter, few titles hold such a run.
_PHONE_RE = re.compile(r"(?:\+|\b00)?\d(?:[\s.\-/()]{0,3}\d){7,}")
# A number written in words ("zéro six douze trente-quatre cinquante-six…"): five number
# words in a row or more; a title rarely counts that far in words.
_NUMBER_WORD = (r"(?:z[ée]ro|un|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|"
                r"quinze|seize|vingts?|trente|quarante|cinquante|soixante|cent|et)")
_SPOKEN_PHONE_RE = re.compile(rf"\b{_NUMBER_WORD}(?:[\s,.-]+{_NUMBER_WORD}){{4,}}\b", re.IGNORECASE)
# A handle on a social network or a messaging app: "@marie_d".
_HANDLE_RE = re.compile(r"(?<![\w@])@[\w.]{3,}")
_NAME_WORD_RE = re.compile(r"^[^\W\d_]+(?:['’-][^\W\d_]+)*$")

CONTACTS = ("email", "phone", "permanence")


class PrivacyError(Exception):
    """A contact detail was about to be disclosed without both consents (a bug)."""


def redact(text: str | None) -> str | None:
    """``text`` with every e-mail address (also written "(at)", "[dot]", "arobase"…),
    handle (``@marie_d``) and phone number (also in French number words) replaced by
    :data:`MASK`."""
    if text is None:
        return None
    # Compatibility forms first: a full-width ＠ or digits are the same contact detail.
    text = unicodedata.normalize("NFKC", text)
    for pattern in (_EMAIL_RE, _HANDLE_RE, _PHONE_RE, _SPOKEN_PHONE_RE):
        text = pattern.sub(MASK, text)
    return text


def first_name(name: str | None) -> str | None:
    """The first word of a member's name when it reads as a name (letters, hyphens,
    apostrophes: ``Jean-Luc``, ``N'Diaye``), else None (an address, a number, nothing);
    readable when written in capitals (``LINA`` → ``Lina``)."""
    if not name:
        return None
    word = name.split()[0].strip(",;:")
    return readable_name(word) if _NAME_WORD_RE.match(word) else None


@dataclass(frozen=True)
class PublicMember:
    """What one member may learn of another before both consented: a first name (or None:
    the templates then say "un membre du réseau")."""

    first_name: str | None


@dataclass(frozen=True)
class PublicItem:
    """An item as another member may read it before both consented."""

    ref: str
    kind: str
    title: str
    modality: str | None
    availability: str | None


def public_member(member: dict | None) -> PublicMember:
    return PublicMember(first_name=first_name((member or {}).get("name")))


def public_item(item: dict) -> PublicItem:
    return PublicItem(
        ref=item["ref"],
        kind=item["kind"],
        title=redact(item.get("title")) or "",
        modality=item.get("modality"),
        availability=redact(item.get("availability")),
    )


def readable_phone(phone: str | None) -> str | None:
    """A stored (E.164) phone number as people write it: ``06 12 34 56 78`` for a French
    number, the international form otherwise, as stored when it cannot be read."""
    if not phone:
        return phone
    import phonenumbers  # loaded on first use: few mails show a phone number

    try:
        number = phonenumbers.parse(phone, "FR")
    except phonenumbers.NumberParseException:
        return phone
    style = (phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 33
             else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, style)


@dataclass(frozen=True)
class ContactChoice:
    """The contact detail that will really be given for a member (``contact``), and the
    one they asked for (``wanted``: this time, or their stored preference; None when they
    named none)."""

    contact: str
    wanted: str | None = None

    @property
    def honoured(self) -> bool:
        """False when the member asked for a contact the network cannot give (no phone
        number, no address): the permanence is given instead."""
        return self.wanted is None or self.wanted == self.contact


def choose_contact(member: dict, chosen: str | None = None) -> ContactChoice:
    """The contact detail that will really be given for ``member``: ``chosen`` (or their
    preference) when they have it. One asked for that cannot be given never falls back to
    another detail (an e-mail address, a number the member did not choose to share): it
    becomes the permanence, where the animators present people to each other. A member
    who asked for nothing gets what they have: an e-mail address, a phone, the
    permanence."""
    wanted = chosen if chosen in CONTACTS else member.get("contact")
    has = {"email": bool(member.get("address")), "phone": bool(member.get("phone")), "permanence": True}
    if wanted in CONTACTS:
        return ContactChoice(wanted if has[wanted] else "permanence", wanted)
    return ContactChoice(next(c for c in CONTACTS if has[c]))


def effective_contact(member: dict, chosen: str | None = None) -> str:
    """:func:`choose_contact`'s ``contact``."""
    return choose_contact(member, chosen).contact


@dataclass(frozen=True)
class Disclosure:
    """The other member, as the introduction mail gives them: ``name`` (as recorded),
    ``contact`` (``email``, ``phone`` or ``permanence``) and its one value: ``address``
    or ``phone``, or ``permanence`` (the aware start of the next permanence, None when
    none is planned)."""

    name: str | None
    first_name: str | None
    contact: str
    address: str | None = None
    phone: str | None = None
    permanence: datetime | None = None


def both_consented(intro: dict) -> bool:
    """True when both members of the introduction document answered yes."""
    consents = intro.get("consents") or {}
    return consents.get("offer") == "yes" and consents.get("demand") == "yes"


def disclose(intro: dict, side: str, member: dict, next_permanence: datetime | None) -> Disclosure:
    """The :class:`Disclosure` of ``member`` (the introduction's ``side``: ``offer`` or
    ``demand``) with the contact detail they chose for this introduction.

    Raises :class:`PrivacyError` unless both members consented to ``intro``.
    """
    if not both_consented(intro):
        raise PrivacyError(f"{intro.get('ref')}: contact details asked before both consents")
    contact = effective_contact(member, (intro.get("contacts") or {}).get(side))
    return Disclosure(
        name=member.get("name"),
        first_name=first_name(member.get("name")),
        contact=contact,
        address=member.get("address") if contact == "email" else None,
        phone=readable_phone(member.get("phone")) if contact == "phone" else None,
        permanence=next_permanence if contact == "permanence" else None,
    )
