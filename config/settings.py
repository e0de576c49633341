"""Load and validate the robot's TOML configuration file.

One file, parsed with :mod:`tomllib` (TOML 1.0), checked against ``SCHEMA`` below. Every
problem is collected and reported at once, each with its ``[section] key`` and its line in
the file; unknown keys are refused (with a suggestion when one is close). Secrets are never
in the file: ``password_env`` names an environment variable read when the robot connects;
an OAuth 2.0 login (``auth = "xoauth2"`` or ``"oauthbearer"``, section ``[oauth2]``) names
its client secret's variable or a root-only file (``client_secret_env``, ``client_secret_file``,
``service_account_file``), or a command that prints the token (``token_command``).

Relative paths in the file are resolved against the file's own folder, so that a folder
made by ``rers init DIR`` can be moved as a whole.
"""
from __future__ import annotations

import difflib
import ipaddress
import os
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email

from config.feeds import Feed, check_feeds
from config.tables import table_label, table_lines, unknown_key
from workflows.model.decoding import toml_problem
from workflows.model.federation import FederationError, read_public_key
from workflows.model.said import LANGUAGES, Said, said
from workflows.model.system import reading_reason


def is_plausible_address(value: str) -> bool:
    """True when ``value`` is a syntactically valid address (RFC 5321/5322, via
    ``email-validator``; no DNS lookup, ``.test`` domains allowed for test set-ups)."""
    try:
        validate_email(value.strip(), check_deliverability=False, test_environment=True)
        return True
    except EmailNotValidError:
        return False


class ConfigError(Exception):
    """The configuration cannot be used. ``problems`` holds one line per problem
    (:class:`workflows.model.said.Said`: English, said in the operator's language by
    :meth:`said`); ``language``: the file's ``[network] language`` when it could be
    read (``fr``, ``en``), else None."""

    def __init__(self, path: Path | str, problems: list[Said], language: str | None = None):
        self.path = str(path)
        self.problems = problems
        self.language = language
        super().__init__(self.__str__())

    def _lines(self) -> list[Said]:
        return [Said("{path}: {n} problem(s) in the configuration", path=self.path, n=len(self.problems)),
                *self.problems]

    def __str__(self) -> str:
        return "\n  ".join(self._lines())

    def said(self, say: Callable[..., str]) -> str:
        """Every problem, under one head line, in the language of ``say`` (a
        ``workflows.shell.language.Words``)."""
        return "\n  ".join(said(problem, say) for problem in self._lines())


class SecretMissing(Exception):
    """A ``password_env`` names an environment variable that is not set."""


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


# --- the typed settings -----------------------------------------------------------------


@dataclass(frozen=True)
class NetworkSettings:
    name: str
    address: str
    """The functional address, lower-cased (the robot's From and the members' To)."""
    language: str = "fr"
    timezone: str = "Europe/Paris"
    animators: tuple[str, ...] = ()
    """Lower-cased animator addresses."""
    max_replies_per_day: int = 5
    authserv_id: str | None = None
    """Trusted Authentication-Results authserv-id (RFC 8601); None: not checked."""
    templates_dir: Path | None = None
    copy_animators_on_introductions: bool = False

    @property
    def domain(self) -> str:
        """The domain part of ``address``, used in the robot's Message-IDs."""
        return self.address.rpartition("@")[2]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class ServerSettings:
    """Where and how to connect (shared by the IMAP mailbox and the SMTP transport)."""

    host: str = "127.0.0.1"
    port: int | None = None
    security: str = "ssl"
    """``ssl`` (implicit TLS), ``starttls`` or ``none`` (loopback and tests only)."""
    username: str | None = None
    password_env: str | None = None
    auth: str = "password"
    """``password`` (LOGIN / AUTH PLAIN with the secret of ``password_env``), or an OAuth 2.0
    bearer token from ``[oauth2]`` over SASL ``xoauth2`` or ``oauthbearer`` (RFC 7628)."""
    timeout_seconds: float = 60.0
    ca_file: Path | None = None
    """A CA bundle to trust instead of the system's (a self-signed server)."""

    def password(self) -> str | None:
        """The secret named by ``password_env``, read now from the environment.

        Raises :class:`SecretMissing` when the variable is named but not set.
        """
        if not self.password_env:
            return None
        value = os.environ.get(self.password_env)
        if value is None:
            raise SecretMissing(Said("the environment variable {name} (named by password_env) is not set",
                                     name=self.password_env))
        return value


@dataclass(frozen=True)
class OAuth2Settings:
    """Where the OAuth 2.0 access token of ``auth = "xoauth2"|"oauthbearer"`` comes from
    (:mod:`workflows.shell.oauth2`); secrets are named here, never written."""

    provider: str
    """``command``, ``microsoft365`` or ``google``."""
    token_command: tuple[str, ...] = ()
    """``command``: the program and its arguments (run without a shell)."""
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret_env: str | None = None
    client_secret_file: Path | None = None
    service_account_file: Path | None = None
    scope: str = ""
    """The scope asked for (the provider's default when not written)."""
    authority: str = "https://login.microsoftonline.com"
    """``microsoft365``: the Entra ID host (another for a national cloud)."""
    ca_file: Path | None = None
    """A CA bundle to trust for the token endpoint instead of the system's."""
    timeout_seconds: float = 30.0


OAUTH2_SCOPES: Mapping[str, str] = MappingProxyType({
    "command": "",
    "microsoft365": "https://outlook.office365.com/.default",
    "google": "https://mail.google.com/",
})
"""The scope each provider is asked for unless ``[oauth2] scope`` says otherwise: IMAP and
SMTP both (Exchange Online's app-only scope; Gmail's full-mail scope)."""


@dataclass(frozen=True)
class MailboxSettings:
    kind: str = "maildir"
    server: ServerSettings = field(default_factory=ServerSettings)
    folder: str = "INBOX"
    done_folder: str | None = "Traités"
    """Folder that handled messages are moved to; None: flag them with ``done_keyword``."""
    done_keyword: str = "$RersDone"
    error_folder: str = "Erreurs"
    """Folder for messages whose handling failed ``max_attempts`` times."""
    erased_folder: str | None = None
    """Where an erased person's messages go (from the done, error and sent folders);
    None: they are deleted (see ``docs/adhesion-consentement-retrait.md``)."""
    path: Path | None = None
    """Maildir root (``kind = "maildir"``)."""
    batch_size: int = 100
    max_attempts: int = 3


@dataclass(frozen=True)
class TransportSettings:
    kind: str = "folder"
    server: ServerSettings = field(default_factory=ServerSettings)
    path: Path | None = None
    """Outbox folder of ``.eml`` files (``kind = "folder"``)."""
    sent_folder: str | None = None
    """IMAP folder where a copy of each sent mail is stored; None: no copy."""
    send_limits: str = "none"
    """The provider preset (:data:`SEND_LIMIT_PRESETS`) the two caps below come from."""
    max_per_minute: int | None = None
    """Messages sent in any 60 seconds at most; None: no cap."""
    max_recipients_per_day: int | None = None
    """Envelope recipients in any 24 hours at most (a mail to 3 addresses counts 3); None: no cap."""


SEND_LIMIT_PRESETS: Mapping[str, tuple[int | None, int | None]] = MappingProxyType({
    "none": (None, None),
    # Exchange Online, per mailbox: 30 messages a minute, 10,000 recipients a day.
    "microsoft365": (30, 10000),
    # Google Workspace (paid): 2,000 messages and 2,000 unique external recipients a day
    # (10,000 recipients in all); Google documents no per-minute figure.
    "google": (None, 2000),
})
"""``[transport] send_limits``: ``(max_per_minute, max_recipients_per_day)`` of each preset;
the keys of the same names override either figure."""


@dataclass(frozen=True)
class StoreSettings:
    path: Path


@dataclass(frozen=True)
class PermanenceRule:
    weekday: str = "monday"
    start: time = time(9, 0)
    end: time = time(12, 0)
    place: str = ""
    title: str = ""
    """The event's title; "" for the built-in one in the network's language."""


WEEKS = ("first", "second", "third", "fourth", "last")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")


@dataclass(frozen=True)
class MeetingRule:
    """A meeting on the ``week`` (one of ``WEEKS``) ``weekday`` of each month, or only of
    ``months`` (1-12) when given; times are wall-clock in the network zone."""

    enabled: bool = False
    week: str = "second"
    weekday: str = "thursday"
    start: time = time(14, 0)
    end: time = time(16, 0)
    place: str = ""
    title: str = ""
    """"" for the built-in title in the network's language."""
    months: tuple[int, ...] = ()


@dataclass(frozen=True)
class CalendarSettings:
    output_dir: Path
    permanence: PermanenceRule = field(default_factory=PermanenceRule)
    horizon_months: int = 12
    closures: tuple[date, ...] = ()
    holidays_subdivision: str = ""
    """"" for metropolitan France; a ``holidays`` subdivision ("57", "6AE", "974"…) adds its days."""
    feed_file: str = "calendrier.ics"
    reminders: bool = False
    """Mail a reminder, the day before, to everyone who accepted an occurrence."""
    monthly_meeting: MeetingRule = field(default_factory=MeetingRule)
    exchange_review: MeetingRule = field(default_factory=lambda: MeetingRule(months=(3, 10), end=time(16, 30)))


@dataclass(frozen=True)
class ScheduleSettings:
    poll_seconds: int = 60
    publish_time: time = time(6, 0)
    """Time of the daily calendar publication (the machine's local time)."""


@dataclass(frozen=True)
class MembershipSettings:
    pending_days: int = 30


@dataclass(frozen=True)
class IntroductionSettings:
    reminder_days: int = 7
    expiry_days: int = 21
    bilan_days: int = 21
    repropose_days: int = 30
    """Days after a proposal expired without an animator's answer before matching may
    propose the same pair again (once)."""


@dataclass(frozen=True)
class GroupSettings:
    """Groups (``G-<n>``, docs/groupes.md): one collective offer and several askers."""

    group_min: int = 2
    """Matching proposes a group around a collective offer once this many open demands match it."""
    capacity: int = 8
    """Places of a group when neither the offer (``Places : 8``) nor the command says."""
    max_askers: int = 12
    """At most this many askers (the best matching demands) are invited to one group."""


@dataclass(frozen=True)
class VoiceSettings:
    """The échanges sur les échanges by mail (*recueil*, docs/recueil-et-temoignages.md)."""

    collection_days: int = 21
    """The collection's questions leave this many days before each échanges sur les échanges."""
    synthesis_days: int = 7
    """The synthesis reaches the animators this many days before the meeting."""
    collection_keep_days: int = 180
    """Answers are deleted this many days after they were given (the counts stay)."""
    questions_file: Path | None = None
    """The animators' questions, one a line; None: the built-in ones."""


@dataclass(frozen=True)
class MatchingSettings:
    min_score: float = 0.6
    """Pairs scoring below this (0.0–1.0) are not proposed."""
    synonyms_file: Path | None = None
    """The animators' synonym groups, added to the built-in list; None: the built-in list only."""
    freshness_days: int = 90
    """Days an open item may go without a proposal before its member is asked « toujours
    d'actualité ? » (no answer within ``[introductions] expiry_days``: the item is paused)."""


@dataclass(frozen=True)
class CatalogueSettings:
    """The public page of the catalogue (``rers catalogue publish``, and every day)."""

    output_dir: Path | None = None
    """Where the page is written; None: beside the calendar (``[calendar] output_dir``)."""
    page_file: str = "catalogue.html"


@dataclass(frozen=True)
class LimitsSettings:
    """Bounds against floods (docs/security.md, "Floods"): what one sender, or the whole
    world writing to the functional address, can make the robot do in a day."""

    max_forwards_per_day: int = 10
    """Messages of one sender (one mailbox: case and ``+tag`` aside) handed to the
    animators a day; the next one brings a single notice, then nothing more that day."""
    max_join_questions_per_hour: int = 10
    """Confirmation requests (the ``join`` question) sent to addresses that are not
    confirmed members, network-wide, per hour; beyond it the person is recorded pending
    and the question waits."""
    max_join_questions_per_day: int = 30
    """The same, per network-local day."""
    max_items_per_message: int = 10
    """Offers and demands one message may create; the rest are not recorded."""
    max_open_items_per_member: int = 50
    """Open (or held) offers and demands one member may hold at once."""


@dataclass(frozen=True)
class Peer:
    """A linked network (``[[federation.peers]]``): its ``name``, its robot's ``address``
    (lower-case) and the ``key`` its robot signs with (``ed25519:<base64>``)."""

    name: str
    address: str
    key: str


@dataclass(frozen=True)
class FederationSettings:
    """Linked networks (docs/reseaux-voisins.md). ``key_file``: this network's private
    signing key (PEM, mode 0600), the public one beside it as ``<key_file>.pub``; default
    ``federation.key`` beside the store. ``peers``: the linked networks; the link works
    only when the peer lists this network too."""

    key_file: Path | None = None
    peers: tuple[Peer, ...] = ()
    feeds: tuple[Feed, ...] = ()
    """The peers' published calendars whose events are pooled (:mod:`config.feeds`)."""

    def peer(self, address: str | None) -> Peer | None:
        """The peer whose robot writes from ``address`` (any case), or None."""
        address = (address or "").lower()
        return next((p for p in self.peers if p.address == address), None)


@dataclass(frozen=True)
class Settings:
    """The whole configuration. ``source`` is the file it was read from (None: built in code)."""

    network: NetworkSettings
    mailbox: MailboxSettings
    transport: TransportSettings
    store: StoreSettings
    calendar: CalendarSettings
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    membership: MembershipSettings = field(default_factory=MembershipSettings)
    introductions: IntroductionSettings = field(default_factory=IntroductionSettings)
    groups: GroupSettings = field(default_factory=GroupSettings)
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    matching: MatchingSettings = field(default_factory=MatchingSettings)
    catalogue: CatalogueSettings = field(default_factory=CatalogueSettings)
    limits: LimitsSettings = field(default_factory=LimitsSettings)
    federation: FederationSettings = field(default_factory=FederationSettings)
    oauth2: OAuth2Settings | None = None
    source: Path | None = None


# --- the schema -------------------------------------------------------------------------

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Key:
    """One key of the schema: its TOML type, default and an extra check.

    ``kind`` is one of str, int, float, bool, path, email, emails, zone, time, weekday, command (argv),
    dates, or a tuple of allowed strings. ``required`` keys have no default. A number
    outside ``minimum``–``maximum`` is refused; ``unit`` says why in the problem line.
    """

    kind: Any
    default: Any = None
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""


def _holiday_subdivisions() -> tuple[str, ...]:
    """"" (metropolitan France) and the French subdivisions the ``holidays`` package knows."""
    import holidays

    return ("", *holidays.France.subdivisions)


YEAR = "a year at most"

SCHEMA: dict[str, dict[str, Key]] = {
    "network": {
        "name": Key(str, required=True),
        "address": Key("email", required=True),
        "language": Key(LANGUAGES, "fr"),
        "timezone": Key("zone", "Europe/Paris"),
        "animators": Key("emails", []),
        "max_replies_per_day": Key(int, 5, minimum=1),
        "authserv_id": Key(str),
        "templates_dir": Key("path"),
        "copy_animators_on_introductions": Key(bool, False),
    },
    "mailbox": {
        "kind": Key(("imap", "maildir"), "maildir"),
        "host": Key(str, "127.0.0.1"),
        "port": Key(int, minimum=1),
        "security": Key(("ssl", "starttls", "none"), "ssl"),
        "username": Key(str),
        "password_env": Key(str),
        "auth": Key(("password", "xoauth2", "oauthbearer"), "password"),
        "timeout_seconds": Key(float, 60.0, minimum=1, maximum=600, unit=Said("ten minutes at most")),
        "ca_file": Key("path"),
        "folder": Key(str, "INBOX"),
        "done_folder": Key(str, "Traités"),
        "done_keyword": Key(str, "$RersDone"),
        "error_folder": Key(str, "Erreurs"),
        "erased_folder": Key(str),
        "path": Key("path"),
        "batch_size": Key(int, 100, minimum=1),
        "max_attempts": Key(int, 3, minimum=1),
    },
    "transport": {
        "kind": Key(("smtp", "folder"), "folder"),
        "host": Key(str, "127.0.0.1"),
        "port": Key(int, minimum=1),
        "security": Key(("ssl", "starttls", "none"), "starttls"),
        "username": Key(str),
        "password_env": Key(str),
        "auth": Key(("password", "xoauth2", "oauthbearer"), "password"),
        "timeout_seconds": Key(float, 60.0, minimum=1, maximum=600, unit=Said("ten minutes at most")),
        "ca_file": Key("path"),
        "path": Key("path"),
        "sent_folder": Key(str),
        "send_limits": Key(tuple(SEND_LIMIT_PRESETS), "none"),
        "max_per_minute": Key(int, minimum=1, maximum=100000, unit=Said("a hundred thousand at most")),
        "max_recipients_per_day": Key(int, minimum=1, maximum=10000000, unit=Said("ten million at most")),
    },
    "store": {
        "path": Key("path", required=True),
    },
    "calendar": {
        "output_dir": Key("path", required=True),
        "horizon_months": Key(int, 12, minimum=1, maximum=60, unit=Said("five years ahead at most")),
        "closures": Key("dates", []),
        "holidays_subdivision": Key(_holiday_subdivisions(), ""),
        "feed_file": Key(str, "calendrier.ics"),
        "reminders": Key(bool, False),
    },
    "calendar.permanence": {
        "weekday": Key("weekday", "monday"),
        "start": Key("time", "09:00"),
        "end": Key("time", "12:00"),
        "place": Key(str, ""),
        "title": Key(str, ""),
    },
    "calendar.monthly_meeting": {
        "enabled": Key(bool, False),
        "week": Key(WEEKS, "second"),
        "weekday": Key("weekday", "thursday"),
        "start": Key("time", "14:00"),
        "end": Key("time", "16:00"),
        "place": Key(str, ""),
        "title": Key(str, ""),
    },
    "calendar.exchange_review": {
        "enabled": Key(bool, False),
        "first_month": Key(MONTHS, "march"),
        "second_month": Key(MONTHS, "october"),
        "week": Key(WEEKS, "second"),
        "weekday": Key("weekday", "thursday"),
        "start": Key("time", "14:00"),
        "end": Key("time", "16:30"),
        "place": Key(str, ""),
        "title": Key(str, ""),
    },
    "schedule": {
        "poll_seconds": Key(int, 60, minimum=1, maximum=86400, unit=Said("a day at most")),
        "publish_time": Key("time", "06:00"),
    },
    "membership": {
        "pending_days": Key(int, 30, minimum=1, maximum=365, unit=YEAR),
    },
    "introductions": {
        "reminder_days": Key(int, 7, minimum=1, maximum=365, unit=YEAR),
        "expiry_days": Key(int, 21, minimum=1, maximum=365, unit=YEAR),
        "bilan_days": Key(int, 21, minimum=1, maximum=365, unit=YEAR),
        "repropose_days": Key(int, 30, minimum=1, maximum=365, unit=YEAR),
    },
    "groups": {
        "group_min": Key(int, 2, minimum=2, maximum=100, 
                          unit=Said("a group is two askers at least, a hundred at most")),
        "capacity": Key(int, 8, minimum=1, maximum=500),
        "max_askers": Key(int, 12, minimum=2, maximum=500),
    },
    "voice": {
        "collection_days": Key(int, 21, minimum=2, maximum=120, unit=Said("four months at most")),
        "synthesis_days": Key(int, 7, minimum=1, maximum=60, unit=Said("two months at most")),
        "collection_keep_days": Key(int, 180, minimum=7, maximum=730, unit=Said("two years at most")),
        "questions_file": Key("path"),
    },
    "matching": {
        "min_score": Key(float, 0.6, minimum=0, maximum=1, unit=Said("scores go from 0 to 1")),
        "synonyms_file": Key("path"),
        "freshness_days": Key(int, 90, minimum=7, maximum=730, unit=Said("two years at most")),
    },
    "catalogue": {
        "output_dir": Key("path"),
        "page_file": Key(str, "catalogue.html"),
    },
    "limits": {
        "max_forwards_per_day": Key(int, 10, minimum=1, maximum=10000, unit=Said("ten thousand at most")),
        "max_join_questions_per_hour": Key(int, 10, minimum=1, maximum=10000,
                                           unit=Said("ten thousand at most")),
        "max_join_questions_per_day": Key(int, 30, minimum=1, maximum=100000,
                                          unit=Said("a hundred thousand at most")),
        "max_items_per_message": Key(int, 10, minimum=1, maximum=1000, unit=Said("a thousand at most")),
        "max_open_items_per_member": Key(int, 50, minimum=1, maximum=10000, unit=Said("ten thousand at most")),
    },
    "federation": {
        "key_file": Key("path"),
    },
    "oauth2": {
        "provider": Key(("command", "microsoft365", "google")),
        "token_command": Key("command"),
        "tenant_id": Key(str),
        "client_id": Key(str),
        "client_secret_env": Key(str),
        "client_secret_file": Key("path"),
        "service_account_file": Key("path"),
        "scope": Key(str),
        "authority": Key(str, "https://login.microsoftonline.com"),
        "ca_file": Key("path"),
        "timeout_seconds": Key(float, 30.0, minimum=1, maximum=600, unit=Said("ten minutes at most")),
    },
}
"""Every section and key; ``config/example.toml`` documents each one."""

_REQUIRED_SECTIONS = ("network", "store", "calendar")
_PASSWORD_KEYS = ("password", "pass", "secret", "passwd", "client_secret", "token", "access_token",
                  "refresh_token", "private_key")
_OAUTH2_ONLY = {
    "command": ("token_command",),
    "microsoft365": ("tenant_id", "client_id", "client_secret_env", "client_secret_file", "authority"),
    "google": ("service_account_file",),
}
"""The ``[oauth2]`` keys that belong to one provider only."""


def _line_index(text: str) -> dict[tuple[str, str], int]:
    """Map ``(section, key)`` to the 1-based line where the key is written.

    A line scanner, not a TOML parser: tomllib keeps no positions, and the file was
    already parsed successfully when this runs, so headers and ``key =`` lines suffice.
    """
    lines: dict[tuple[str, str], int] = {}
    section = ""
    header = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
    assignment = re.compile(r'^\s*("?)([A-Za-z0-9_\-.]+)\1\s*=')
    for number, line in enumerate(text.splitlines(), start=1):
        if m := header.match(line):
            section = m.group(1).replace('"', "").replace(" ", "")
            lines.setdefault((section, ""), number)
        elif m := assignment.match(line):
            key = m.group(2)
            if "." in key:  # dotted key: `permanence.start = ...` inside [calendar]
                prefix, _, key = key.rpartition(".")
                lines.setdefault((f"{section}.{prefix}" if section else prefix, key), number)
            else:
                lines.setdefault((section, key), number)
    return lines


def _convert(kind: Any, value: Any, base: Path) -> tuple[Any, Said | None]:
    """Return ``(converted value, None)`` or ``(None, reason)``."""
    if isinstance(kind, tuple):
        if isinstance(value, str) and value in kind:
            return value, None
        return None, Said("must be one of {choices}, not {value!r}", choices=", ".join(repr(k) for k in kind),
                             value=value)
    if kind is bool:
        if isinstance(value, bool):
            return value, None
        return None, Said("must be true or false, not {value!r}", value=value)
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value, None
        return None, Said("must be a whole number, not {value!r}", value=value)
    if kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value), None
        return None, Said("must be a number, not {value!r}", value=value)
    if kind is str:
        if isinstance(value, str):
            return value, None
        return None, Said("must be a string, not {value!r}", value=value)
    if kind == "path":
        if not isinstance(value, str) or not value.strip():
            return None, Said("must be a path (a non-empty string), not {value!r}", value=value)
        path = Path(value).expanduser()
        return (path if path.is_absolute() else (base / path)), None
    if kind == "email":
        if isinstance(value, str) and is_plausible_address(value):
            return value.strip().lower(), None
        return None, Said("must be an email address, not {value!r}", value=value)
    if kind == "emails":
        if not isinstance(value, list):
            return None, Said("must be a list of email addresses, not {value!r}", value=value)
        bad = [v for v in value if not (isinstance(v, str) and is_plausible_address(v))]
        if bad:
            return None, Said("not email addresses: {bad}", bad=", ".join(repr(b) for b in bad))
        return tuple(v.strip().lower() for v in value), None
    if kind == "zone":
        try:
            ZoneInfo(str(value))
            return str(value), None
        except (ZoneInfoNotFoundError, ValueError):
            return None, Said("unknown time zone {value!r} (an IANA name such as 'Europe/Paris')", value=value)
    if kind == "time":
        if isinstance(value, time):
            return value.replace(tzinfo=None), None
        if isinstance(value, str) and (m := _HHMM.match(value)):
            return time(int(m.group(1)), int(m.group(2))), None
        return None, Said("must be a time written HH:MM, not {value!r}", value=value)
    if kind == "weekday":
        if isinstance(value, str) and value.lower() in WEEKDAYS:
            return value.lower(), None
        return None, Said("must be a weekday in English ({weekdays}), not {value!r}",
                                   weekdays=", ".join(WEEKDAYS), value=value)
    if kind == "dates":
        if not isinstance(value, list):
            return None, Said("must be a list of dates (2026-12-28), not {value!r}", value=value)
        out = []
        for v in value:
            if isinstance(v, date) and not hasattr(v, "hour"):
                out.append(v)
            elif isinstance(v, str):
                try:
                    out.append(date.fromisoformat(v))
                except ValueError:
                    return None, Said("{value!r} is not a date written YYYY-MM-DD", value=v)
            else:
                return None, Said("{value!r} is not a date written YYYY-MM-DD", value=v)
        return tuple(sorted(out)), None
    if kind == "command":
        if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
            return tuple(value), None
        if isinstance(value, str):
            try:
                argv = tuple(shlex.split(value))
            except ValueError as error:
                return None, Said("cannot be split into a program and its arguments: {error}", error=error)
            if argv:
                return argv, None
        return None, Said("must be a command (a string, or a list of its words), not {value!r}", value=value)
    raise AssertionError(f"unknown schema kind {kind!r}")


def _flatten(data: dict) -> dict[str, dict]:
    """Split the parsed TOML into ``{section name: {key: value}}``, sub-tables dotted."""
    sections: dict[str, dict] = {}
    for name, value in data.items():
        if not isinstance(value, dict):
            sections.setdefault("", {})[name] = value
            continue
        own = {}
        for key, sub in value.items():
            if isinstance(sub, dict) and f"{name}.{key}" in SCHEMA:
                sections[f"{name}.{key}"] = sub
            else:
                own[key] = sub
        sections[name] = own
    return sections


_REQUIRED = Said("this key is required")


def _keyed(at: Said | str, section: str, key: str, reason: Said | str) -> Said:
    """``line N: [section] key: reason`` (``at``: the ``line N: `` or nothing)."""
    return Said("{at}[{section}] {key}: {reason}", at=at, section=section, key=key, reason=reason)




def validate(data: dict, base: Path, text: str = "") -> tuple[dict[str, dict], list[Said]]:
    """Check parsed TOML against ``SCHEMA``.

    Returns ``(values, problems)``: ``values`` maps each section to its converted values
    (defaults filled in), ``problems`` one line per problem, ``line N: [section] key: …``.
    """
    where = _line_index(text)
    problems: list[Said] = []

    def at(section: str, key: str = "") -> Said | str:
        line = where.get((section, key)) or where.get((section, ""))
        return Said("line {line}: ", line=line) if line else ""

    sections = _flatten(data)
    peers = sections.get("federation", {}).pop("peers", [])
    feeds = sections.get("federation", {}).pop("feeds", [])
    values: dict[str, dict] = {}
    misspelt: set[str] = set()
    """Sections a misspelt one was surely meant to be: what their absence implies (a
    required section missing, a default that needs another key) is not said on top."""
    for section, given in sections.items():
        if section not in SCHEMA:
            if section == "":
                for key in given:
                    problems.append(Said("{at}{key}: unknown key outside any [section]", at=at("", key),
                                                  key=key))
                continue
            hint = difflib.get_close_matches(section, SCHEMA, n=1)
            suggestion = Said(" (did you mean [{hint}]?)", hint=hint[0]) if hint else ""
            problems.append(Said("{at}[{section}]: unknown section{suggestion}", at=at(section),
                                          section=section, suggestion=suggestion))
            if hint and hint[0] not in sections:
                misspelt.add(hint[0])
    for section, keys in SCHEMA.items():
        given = sections.get(section, {})
        if section in _REQUIRED_SECTIONS and section not in sections and section not in misspelt:
            problems.append(Said("[{section}]: this section is required", section=section))
        out: dict[str, Any] = {}
        for key, value in given.items():
            if key not in keys:
                if key.lower() in _PASSWORD_KEYS:
                    problems.append(_keyed(at(section, key), section, key, Said(
                        "never write a secret in this file; put it in an environment variable and name that "
                        "variable in client_secret_env (or keep it in a root-only file named by client_secret_file)")
                        if section == "oauth2" else Said(
                        "never write a secret in this file; put it in an environment variable and name that "
                        "variable in password_env")))
                    continue
                hint = difflib.get_close_matches(key, keys, n=1)
                problems.append(_keyed(at(section, key), section, key, unknown_key(hint)))
                continue
            converted, reason = _convert(keys[key].kind, value, base)
            if reason:
                problems.append(_keyed(at(section, key), section, key, reason))
                continue
            spec = keys[key]
            unit = Said(" ({unit})", unit=spec.unit) if spec.unit else ""
            if spec.minimum is not None and converted < spec.minimum:
                problems.append(_keyed(at(section, key), section, key, Said(
                    "must be at least {minimum:g}{unit}", minimum=spec.minimum, unit=unit)))
                continue
            if spec.maximum is not None and converted > spec.maximum:
                problems.append(_keyed(at(section, key), section, key, Said(
                    "must be at most {maximum:g}{unit}", maximum=spec.maximum, unit=unit)))
                continue
            out[key] = converted
        for key, spec in keys.items():
            if key in out or key in given:
                continue
            if spec.required:
                if section in sections or section not in _REQUIRED_SECTIONS:
                    problems.append(_keyed(at(section), section, key, _REQUIRED))
                continue
            if spec.default is not None:
                out[key], _ = _convert(spec.kind, spec.default, base)
            else:
                out[key] = None
        values[section] = out
    problems.extend(p for p in _cross_checks(values, at)
                    if not any(f"[{name}]" in p for name in misspelt))
    values["federation.peers"], found = _peers(peers, values["network"].get("address"), text)
    problems.extend(found)
    values["federation.feeds"], found = check_feeds(feeds, values["federation.peers"], base, text)
    problems.extend(found)
    return values, problems


_PEER_KEYS = ("name", "address", "key")


def _peers(given: Any, own_address: str | None, text: str) -> tuple[list[Peer], list[Said]]:
    """The ``[[federation.peers]]`` tables checked: ``(peers, problems)``, every problem of
    every peer at once (a missing or unknown key, an implausible or repeated address, this
    network's own address, a name given twice, a key that is not an Ed25519 public key)."""
    lines = table_lines(text, "federation.peers")
    if not isinstance(given, list) or not all(isinstance(p, dict) for p in given):
        return [], [Said("[federation] peers: write each linked network as a [[federation.peers]] table")]
    peers, problems, names, addresses = [], [], set(), set()
    for number, table in enumerate(given, start=1):
        label = table_label("federation.peers", number, lines)
        bad = len(problems)
        for key in table:
            if key not in _PEER_KEYS:
                hint = difflib.get_close_matches(key, _PEER_KEYS, n=1)
                problems.append(label(key, unknown_key(hint)))
        values = {}
        for key in _PEER_KEYS:
            value = table.get(key)
            if value is None:
                problems.append(label(key, _REQUIRED))
            elif not isinstance(value, str) or not value.strip():
                problems.append(label(key, Said("must be a non-empty string")))
            else:
                values[key] = value.strip()
        name, address, key = values.get("name"), values.get("address", "").lower(), values.get("key")
        if name is not None:
            if name.lower() in names:
                problems.append(label("name", Said("{name!r} is already the name of another peer", name=name)))
            names.add(name.lower())
        if address:
            if not is_plausible_address(address):
                problems.append(label("address", Said("{address!r} is not a valid e-mail address",
                                                               address=address)))
            elif own_address and address == own_address.lower():
                problems.append(label("address", Said("{address!r} is this network's own address",
                                                               address=address)))
            elif address in addresses:
                problems.append(label("address", Said("{address!r} is already the address of another peer",
                                                         address=address)))
            addresses.add(address)
        if key is not None:
            try:
                read_public_key(key)
            except FederationError as error:
                problems.append(label("key", error.args[0]))  # the key's own words: a Said
        if len(problems) == bad:
            peers.append(Peer(name=name, address=address, key=key))
    return peers, problems


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _cross_checks(values: dict[str, dict], at: Callable[[str, str], Said | str]) -> list[Said]:
    """Rules that involve several keys."""
    problems = []
    mailbox, transport = values["mailbox"], values["transport"]
    for name, section, kind in (("mailbox", mailbox, "imap"), ("transport", transport, "smtp")):
        if (section.get("kind") == kind and section.get("security") == "none" and section.get("username")
                and not _loopback(section.get("host") or "")):
            problems.append(_keyed(at(name, "security"), name, "security", Said(
                "\"none\" would send the password to {host} in clear; use \"ssl\" or \"starttls\" (\"none\" is for "
                "a server on this machine)", host=section.get("host"))))
    if mailbox.get("kind") == "maildir" and not mailbox.get("path"):
        problems.append(_keyed(at("mailbox", "kind"), "mailbox", "path",
                               Said("required when kind = \"maildir\"")))
    if mailbox.get("kind") == "imap" and not mailbox.get("username"):
        problems.append(_keyed(at("mailbox", "kind"), "mailbox", "username",
                               Said("required when kind = \"imap\"")))
    if transport.get("kind") == "folder" and not transport.get("path"):
        problems.append(_keyed(at("transport", "kind"), "transport", "path",
                               Said("required when kind = \"folder\"")))
    for name, section in (("mailbox", mailbox), ("transport", transport)):
        if section.get("auth", "password") == "password":
            if section.get("username") and not section.get("password_env"):
                problems.append(_keyed(at(name, "username"), name, "password_env", Said(
                    "required with a username (the name of the environment variable that holds the password)")))
        elif section.get("kind") in ("imap", "smtp"):
            if not section.get("username"):
                problems.append(_keyed(at(name, "auth"), name, "username", Said(
                    "required with auth = \"{auth}\" (the mailbox's address, named in the login)",
                    auth=section["auth"])))
            if section.get("password_env"):
                problems.append(_keyed(at(name, "password_env"), name, "password_env", Said(
                    "not used with auth = \"{auth}\" (the token comes from [oauth2]); remove it",
                    auth=section["auth"])))
    problems.extend(_oauth2_checks(values, at))
    if transport.get("sent_folder") and mailbox.get("kind") != "imap":
        problems.append(_keyed(at("transport", "sent_folder"), "transport", "sent_folder",
                               Said("needs [mailbox] kind = \"imap\"")))
    erased = mailbox.get("erased_folder")
    if erased and erased in (mailbox.get("folder") or "INBOX", mailbox.get("done_folder", "Traités"),
                             mailbox.get("error_folder") or "Erreurs", transport.get("sent_folder")):
        problems.append(_keyed(at("mailbox", "erased_folder"), "mailbox", "erased_folder", Said(
            "must be a folder of its own, not the one read, nor the done, error or sent folder")))
    for name in ("calendar.permanence", "calendar.monthly_meeting", "calendar.exchange_review"):
        rule = values[name]
        if rule.get("start") and rule.get("end") and rule["start"] >= rule["end"]:
            problems.append(_keyed(at(name, "end"), name, "end", Said("must be after start")))
    review = values["calendar.exchange_review"]
    if review.get("first_month") and review.get("first_month") == review.get("second_month"):
        problems.append(_keyed(at("calendar.exchange_review", "second_month"), "calendar.exchange_review",
                               "second_month", Said("must differ from first_month")))
    feed_file = values["calendar"].get("feed_file")
    if feed_file is not None and (not re.fullmatch(r"[\w.\-]+\.ics", feed_file) or feed_file.startswith("event-")):
        problems.append(_keyed(at("calendar", "feed_file"), "calendar", "feed_file", Said(
            "must be a plain file name ending in .ics and not starting with event- (the per-event files)")))
    intros = values["introductions"]
    if (intros.get("reminder_days") is not None and intros.get("expiry_days") is not None
            and intros["reminder_days"] >= intros["expiry_days"]):
        problems.append(_keyed(at("introductions", "reminder_days"), "introductions", "reminder_days", Said(
            "must be less than expiry_days ({days}): no reminder would ever be sent", days=intros["expiry_days"])))
    voice = values["voice"]
    if (voice.get("collection_days") is not None and voice.get("synthesis_days") is not None
            and voice["synthesis_days"] >= voice["collection_days"]):
        problems.append(_keyed(at("voice", "synthesis_days"), "voice", "synthesis_days", Said(
            "must be less than collection_days ({days}): the synthesis would come before the questions",
            days=voice["collection_days"])))
    groups = values["groups"]
    if (groups.get("group_min") is not None and groups.get("max_askers") is not None
            and groups["group_min"] > groups["max_askers"]):
        problems.append(_keyed(at("groups", "max_askers"), "groups", "max_askers", Said(
            "must be at least group_min ({n}): no group could ever be proposed", n=groups["group_min"])))
    limits = values["limits"]
    if (limits.get("max_join_questions_per_hour") is not None and limits.get("max_join_questions_per_day") is not None
            and limits["max_join_questions_per_hour"] > limits["max_join_questions_per_day"]):
        problems.append(_keyed(at("limits", "max_join_questions_per_hour"), "limits", "max_join_questions_per_hour",
                               Said("must not be more than max_join_questions_per_day ({n})",
                                       n=limits["max_join_questions_per_day"])))
    if (limits.get("max_items_per_message") is not None and limits.get("max_open_items_per_member") is not None
            and limits["max_items_per_message"] > limits["max_open_items_per_member"]):
        problems.append(_keyed(at("limits", "max_items_per_message"), "limits", "max_items_per_message", Said(
            "must not be more than max_open_items_per_member ({n})", n=limits["max_open_items_per_member"])))
    problems.extend(_slot_collisions(values, at))
    if values["network"].get("address") in (values["network"].get("animators") or ()):
        problems.append(_keyed(at("network", "animators"), "network", "animators",
                               Said("must not contain the functional address itself")))
    return problems


def _oauth2_checks(values: dict[str, dict], at: Callable[[str, str], Said | str]) -> list[Said]:
    """``[oauth2]`` present when a login uses it, complete for its provider, without the
    keys of another provider."""
    problems = []
    oauth = values.get("oauth2", {})
    provider = oauth.get("provider")
    users = [name for name in ("mailbox", "transport")
             if values[name].get("auth", "password") != "password"
             and values[name].get("kind") in ("imap", "smtp")]
    if users and not provider:
        for name in users:
            problems.append(_keyed(at(name, "auth"), name, "auth", Said(
                "\"{auth}\" needs an [oauth2] section with provider = \"microsoft365\", \"google\" or \"command\" "
                "(docs/installation.md)", auth=values[name]["auth"])))
        return problems
    if not provider:
        if any(v for k, v in oauth.items() if k in ("token_command", "tenant_id", "client_id", "client_secret_env",
                                                     "client_secret_file", "service_account_file")):
            problems.append(_keyed(at("oauth2", ""), "oauth2", "provider", Said(
                "this key is required (\"microsoft365\", \"google\" or \"command\")")))
        return problems
    required = {"command": ("token_command",), "microsoft365": ("tenant_id", "client_id"),
                "google": ("service_account_file",)}[provider]
    for key in required:
        if not oauth.get(key):
            problems.append(_keyed(at("oauth2", "provider"), "oauth2", key,
                                   Said("required with provider = \"{provider}\"", provider=provider)))
    if provider == "microsoft365":
        given = [k for k in ("client_secret_env", "client_secret_file") if oauth.get(k)]
        if not given:
            problems.append(_keyed(at("oauth2", "provider"), "oauth2", "client_secret_env", Said(
                "required with provider = \"microsoft365\" (or client_secret_file, a file only the robot's user can "
                "read)")))
        elif len(given) == 2:
            problems.append(_keyed(at("oauth2", "client_secret_file"), "oauth2", "client_secret_file",
                                   Said("give client_secret_env or client_secret_file, not both")))
    for other, keys in _OAUTH2_ONLY.items():
        if other == provider:
            continue
        for key in keys:
            if key == "authority" and oauth.get(key) == SCHEMA["oauth2"]["authority"].default:
                continue
            if oauth.get(key):
                problems.append(_keyed(at("oauth2", key), "oauth2", key, Said(
                    "only for provider = \"{other}\", not \"{provider}\"", other=other, provider=provider)))
    return problems


_SERIES_NAMES = MappingProxyType({"calendar.monthly_meeting": Said("the monthly meeting"),
                                 "calendar.exchange_review": Said("the exchange review")})


def _slot_collisions(values: dict[str, dict], at: Callable[[str, str], Said | str]) -> list[Said]:
    """Two configured series at the same time: the weekly permanence and an enabled
    meeting on its weekday, or both meetings on the same week of the month ("fourth" and
    "last" are the same week in a month with four such weekdays), with overlapping hours.
    Each collision once, on the later series' key."""
    problems = []

    def rule(name: str) -> dict | None:
        v = values[name]
        valid = v.get("weekday") and v.get("start") and v.get("end") and v["start"] < v["end"]
        enabled = name == "calendar.permanence" or v.get("enabled")
        return v if valid and enabled else None

    def overlap(a: dict, b: dict) -> bool:
        return a["weekday"] == b["weekday"] and a["start"] < b["end"] and b["start"] < a["end"]

    def hours(v: dict) -> str:
        return f"{v['start']:%H:%M}-{v['end']:%H:%M}"

    permanence = rule("calendar.permanence")
    for name in ("calendar.monthly_meeting", "calendar.exchange_review"):
        meeting = rule(name)
        if permanence and meeting and overlap(permanence, meeting):
            problems.append(_keyed(at(name, "weekday"), name, "weekday", Said(
                "{series} would fall during the permanence ({weekday} {hours}); choose another day or time",
                series=_SERIES_NAMES[name], weekday=permanence["weekday"], hours=hours(permanence))))
    meeting, review = rule("calendar.monthly_meeting"), rule("calendar.exchange_review")
    if meeting and review and overlap(meeting, review) and (
            meeting["week"] == review["week"] or {meeting["week"], review["week"]} == {"fourth", "last"}):
        when = ("" if meeting["week"] == review["week"]
                else Said(" in a month with four {weekday}s", weekday=review["weekday"]))
        problems.append(_keyed(at("calendar.exchange_review", "week"), "calendar.exchange_review", "week",
                               Said(
            "the exchange review would fall on the monthly meeting ({week} {weekday} {hours}){when}; choose another "
            "week, day or time", week=meeting["week"], weekday=meeting["weekday"], hours=hours(meeting), when=when)))
    return problems


def _default_port(kind: str, security: str) -> int:
    if kind == "imap":
        return 993 if security == "ssl" else 143
    return {"ssl": 465, "starttls": 587}.get(security, 25)


def _server(kind: str, v: dict) -> ServerSettings:
    return ServerSettings(
        host=v["host"],
        port=v["port"] or _default_port(kind, v["security"]),
        security=v["security"],
        username=v["username"],
        password_env=v["password_env"],
        auth=v["auth"],
        timeout_seconds=v["timeout_seconds"],
        ca_file=v["ca_file"],
    )


def _meeting(v: dict, months: tuple[int, ...] = ()) -> MeetingRule:
    return MeetingRule(enabled=v["enabled"], week=v["week"], weekday=v["weekday"], start=v["start"],
                       end=v["end"], place=v["place"], title=v["title"], months=months)


def _calendar(values: dict[str, dict]) -> CalendarSettings:
    c, p, r = values["calendar"], values["calendar.permanence"], values["calendar.exchange_review"]
    return CalendarSettings(
        output_dir=c["output_dir"],
        permanence=PermanenceRule(weekday=p["weekday"], start=p["start"], end=p["end"], place=p["place"],
                                  title=p["title"]),
        horizon_months=c["horizon_months"],
        closures=c["closures"],
        holidays_subdivision=c["holidays_subdivision"],
        feed_file=c["feed_file"],
        reminders=c["reminders"],
        monthly_meeting=_meeting(values["calendar.monthly_meeting"]),
        exchange_review=_meeting(r, tuple(sorted({MONTHS.index(r["first_month"]) + 1,
                                                  MONTHS.index(r["second_month"]) + 1}))),
    )


def _oauth2(v: dict) -> OAuth2Settings | None:
    if not v.get("provider"):
        return None
    return OAuth2Settings(
        provider=v["provider"], token_command=v["token_command"] or (), tenant_id=v["tenant_id"],
        client_id=v["client_id"], client_secret_env=v["client_secret_env"],
        client_secret_file=v["client_secret_file"], service_account_file=v["service_account_file"],
        scope=v["scope"] or OAUTH2_SCOPES[v["provider"]], authority=v["authority"], ca_file=v["ca_file"],
        timeout_seconds=v["timeout_seconds"],
    )


def build(values: dict[str, dict], source: Path | None) -> Settings:
    """Turn validated values into :class:`Settings` (call only when there were no problems)."""
    n, m, t = values["network"], values["mailbox"], values["transport"]
    return Settings(
        network=NetworkSettings(
            name=n["name"],
            address=n["address"],
            language=n["language"],
            timezone=n["timezone"],
            animators=n["animators"],
            max_replies_per_day=n["max_replies_per_day"],
            authserv_id=n["authserv_id"],
            templates_dir=n["templates_dir"],
            copy_animators_on_introductions=n["copy_animators_on_introductions"],
        ),
        mailbox=MailboxSettings(
            kind=m["kind"],
            server=_server("imap", m),
            folder=m["folder"],
            done_folder=m["done_folder"] or None,
            done_keyword=m["done_keyword"],
            error_folder=m["error_folder"],
            erased_folder=m["erased_folder"] or None,
            path=m["path"],
            batch_size=m["batch_size"],
            max_attempts=m["max_attempts"],
        ),
        transport=TransportSettings(
            kind=t["kind"], server=_server("smtp", t), path=t["path"], sent_folder=t["sent_folder"],
            send_limits=t["send_limits"],
            max_per_minute=t["max_per_minute"] or SEND_LIMIT_PRESETS[t["send_limits"]][0],
            max_recipients_per_day=t["max_recipients_per_day"] or SEND_LIMIT_PRESETS[t["send_limits"]][1],
        ),
        store=StoreSettings(path=values["store"]["path"]),
        calendar=_calendar(values),
        schedule=ScheduleSettings(**values["schedule"]),
        membership=MembershipSettings(**values["membership"]),
        introductions=IntroductionSettings(**values["introductions"]),
        groups=GroupSettings(**values["groups"]),
        voice=VoiceSettings(**values["voice"]),
        matching=MatchingSettings(**values["matching"]),
        catalogue=CatalogueSettings(**values["catalogue"]),
        limits=LimitsSettings(**values["limits"]),
        federation=FederationSettings(
            key_file=values["federation"]["key_file"] or values["store"]["path"].parent / "federation.key",
            peers=tuple(values.get("federation.peers", ())),
            feeds=tuple(values.get("federation.feeds", ())),
        ),
        oauth2=_oauth2(values["oauth2"]),
        source=source,
    )


def loads(text: str, *, base: Path, source: Path | None = None) -> Settings:
    """Parse and validate TOML text. Raises :class:`ConfigError` listing every problem."""
    label = source or "<config>"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # tomllib stops at the first syntax error: nothing else can be checked before it is fixed.
        raise ConfigError(label, [Said("not valid TOML: {error}", error=toml_problem(error))]) from None
    values, problems = validate(data, base, text)
    if problems:
        language = (data.get("network") or {}).get("language") if isinstance(data.get("network"), dict) else None
        raise ConfigError(label, problems, language if language in SCHEMA["network"]["language"].kind else None)
    return build(values, source)


def load(path: Path | str) -> Settings:
    """Read, parse and validate the configuration file at ``path``.

    Raises :class:`ConfigError` (every problem at once) when the file is missing,
    unreadable, not UTF-8, not TOML or not valid for ``SCHEMA``.
    """
    path = Path(path).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, [Said("file not found (create one with `rers init DIR`)")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(path, [Said("cannot read the file: {error}", error=reading_reason(error))]) from None
    return loads(text, base=path.resolve().parent, source=path.resolve())
