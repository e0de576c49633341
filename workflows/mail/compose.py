"""Render the robot's mails from jinja2 templates and build RFC 5322 messages.

Templates live in ``templates/<lang>/<name>.subject.j2``, ``<name>.txt.j2`` and
``<name>.html.j2`` (the HTML part is optional). An animators' ``templates_dir`` (config)
is searched first; its files replace the built-in ones of the same name.

Rendering runs in a :class:`jinja2.sandbox.SandboxedEnvironment` with
:class:`jinja2.StrictUndefined` (a missing variable is an error, never an empty hole);
the HTML part is autoescaped. Values such as a member's name are data, never template
code: they are passed in the context and cannot inject markup or headers. Headers are
encoded by the :mod:`email` package (RFC 2047), never built by string concatenation.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.contentmanager import raw_data_manager
from email.charset import BASE64, Charset
from email.header import Header
from email.message import EmailMessage
from email.policy import Compat32
from email.utils import formataddr, format_datetime, getaddresses
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_date, format_datetime as babel_datetime, format_time, get_day_names
from jinja2.sandbox import SandboxedEnvironment

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MODALITY_LABELS = {
    "fr": {
        "one_to_one": "de gré à gré (à deux)",
        "group": "en groupe (atelier)",
        "practice_exchange": "échange de pratiques",
        "talking_group": "groupe de parole",
    },
    "en": {
        "one_to_one": "one to one",
        "group": "in a group (workshop)",
        "practice_exchange": "practice exchange",
        "talking_group": "talking group",
    },
}
BUILTIN_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


class TemplateError(Exception):
    """A template is missing or cannot be rendered; the message names the file."""


@dataclass(frozen=True)
class Rendered:
    """One mail's words: ``subject`` (one line), ``text`` (plain), ``html`` (or None)."""

    subject: str
    text: str
    html: str | None


def _french_time(value: datetime, locale: str) -> str:
    # "9 h", "14 h 30": how French writes hours (Babel's patterns give "09:00").
    if locale.startswith("fr"):
        return f"{value.hour} h" if value.minute == 0 else f"{value.hour} h {value.minute:02d}"
    return format_time(value, format="short", locale=locale)


class Renderer:
    """Renders named templates in one language.

    ``language``: ``fr`` or ``en``; ``override_dir``: the animators' folder (or None);
    ``timezone``: IANA name used by the date filters for aware datetimes.
    """

    def __init__(self, language: str = "fr", override_dir: Path | None = None, timezone: str = "Europe/Paris"):
        self.language = language
        self.timezone = timezone
        search = []
        if override_dir is not None:
            search.append(str(Path(override_dir) / language))
            search.append(str(Path(override_dir)))
        search.append(str(BUILTIN_TEMPLATES / language))
        common = dict(
            loader=jinja2.FileSystemLoader(search),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._text_env = SandboxedEnvironment(autoescape=False, **common)
        self._html_env = SandboxedEnvironment(autoescape=True, **common)
        for env in (self._text_env, self._html_env):
            env.filters.update(self._filters())

    def _filters(self) -> dict[str, Any]:
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(self.timezone)
        locale = self.language

        def local(value):
            if isinstance(value, str):
                value = datetime.fromisoformat(value)
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = value.astimezone(zone)
            return value

        def long_date(value):
            """``lundi 7 décembre 2026``."""
            return format_date(local(value), format="EEEE d MMMM y", locale=locale)

        def date_time(value):
            """``lundi 7 décembre 2026 à 9 h``."""
            value = local(value)
            joiner = " à " if locale.startswith("fr") else " at "
            return format_date(value, format="EEEE d MMMM y", locale=locale) + joiner + _french_time(value, locale)

        def hour(value):
            return _french_time(local(value), locale)

        def full(value):
            return babel_datetime(local(value), format="full", locale=locale)

        def weekday_name(value: str) -> str:
            """``monday`` → ``lundi`` (the config's English weekday, in the mail's language)."""
            index = WEEKDAYS.index(value.lower())
            return get_day_names("wide", locale=locale)[index]

        def modality_label(value: str) -> str:
            return MODALITY_LABELS.get(locale, MODALITY_LABELS["fr"]).get(value, value)

        return {
            "long_date": long_date,
            "date_time": date_time,
            "hour": hour,
            "full_datetime": full,
            "weekday_name": weekday_name,
            "modality_label": modality_label,
        }

    def render(self, name: str, context: dict[str, Any]) -> Rendered:
        """Render ``name`` with ``context``. Raises :class:`TemplateError` naming the file."""
        subject = self._render(self._text_env, f"{name}.subject.j2", context)
        text = self._render(self._text_env, f"{name}.txt.j2", context)
        try:
            html = self._render(self._html_env, f"{name}.html.j2", context)
        except TemplateError as error:
            if not isinstance(error.__cause__, jinja2.TemplateNotFound):
                raise
            html = None
        subject = " ".join(subject.split())
        return Rendered(subject=subject, text=text.rstrip() + "\n", html=html)

    def _render(self, env: SandboxedEnvironment, file: str, context: dict[str, Any]) -> str:
        try:
            return env.get_template(file).render(**context)
        except jinja2.TemplateNotFound as error:
            raise TemplateError(f"template {self.language}/{file} not found") from error
        except jinja2.TemplateError as error:
            raise TemplateError(f"template {self.language}/{file}: {error}") from error


def message_id(domain: str, *parts: str) -> str:
    """A deterministic Message-ID (RFC 5322 §3.6.4) for the mail caused by ``parts``.

    The same cause (e.g. the incoming Message-ID, the purpose and the recipient) always
    gives the same id, so a mail rebuilt after a crash is recognised as the same mail.
    """
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:24]
    return f"<rers.{digest}@{domain}>"


class _MailPolicy(Compat32):
    """The policy of the robot's own mail: ``compat32`` headers, the modern content manager.

    :class:`email.policy.EmailPolicy` parses every header into an object when it is set
    and folds it again when written: about 5 ms a mail, more than fetching, parsing and
    sending one. The robot's headers are few and simple, so they are encoded here once
    (RFC 2047 via :func:`email.utils.formataddr` and :class:`email.header.Header`), while
    the parts still use the content manager (``set_content``, ``add_attachment``…).
    """

    content_manager = raw_data_manager


MAIL_POLICY = _MailPolicy(linesep="\r\n")
"""Build and serialise the robot's mail with this policy (CRLF line ends, RFC 5322)."""


def _single_line(value: str) -> str:
    # Header values are data: a CR or LF could start a new header (header injection).
    return " ".join(str(value).split())


def format_address(name: str | None, address: str) -> str:
    """``Name <address>`` with the name RFC 2047-encoded when it is not ASCII, quoted
    when it holds specials; CR/LF and runs of spaces in the name become one space."""
    return formataddr((_single_line(name or ""), _single_line(address)), charset=_HEADER_CHARSET)


def _utf8_base64() -> Charset:
    # Python's "utf-8" header charset picks the shorter of Q and B for every header by
    # measuring both, character by character: a millisecond a subject. B is always fine.
    charset = Charset("utf-8")
    charset.header_encoding = BASE64
    return charset


_HEADER_CHARSET = _utf8_base64()


def _text_header(name: str, value: str) -> str:
    """An unstructured header value (RFC 5322 §3.2.5): as is when ASCII, else RFC 2047
    encoded words (UTF-8, base64), folded by :class:`email.header.Header`."""
    value = _single_line(value)
    if value.isascii():
        return value
    return Header(value, _HEADER_CHARSET, header_name=name).encode()


def build_message(
    *,
    rendered: Rendered,
    sender: tuple[str | None, str],
    to: list[tuple[str | None, str]],
    message_id: str,
    date: datetime,
    cc: list[tuple[str | None, str]] = (),
    in_reply_to: str | None = None,
    references: list[str] = (),
    auto_submitted: str = "auto-generated",
    list_unsubscribe: str | None = None,
    reply_to: str | None = None,
    language: str = "fr",
    extra_headers: dict[str, str] | None = None,
) -> EmailMessage:
    """Build the MIME message: ``text/plain`` (quoted-printable UTF-8) with an HTML
    alternative when there is one, under :data:`MAIL_POLICY`.

    ``sender``/``to``/``cc``: ``(display name or None, address)``. ``date``: aware.
    ``auto_submitted``: RFC 3834 value (``auto-replied`` for an answer to a message).
    ``list_unsubscribe``: the RFC 2369 mailto URL, e.g. ``mailto:rers@x?subject=RETRAIT``.
    Every header value is made one line (no header injection through a name or subject).
    """
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = format_address(*sender)
    msg["To"] = ", ".join(format_address(n, a) for n, a in to)
    if cc:
        msg["Cc"] = ", ".join(format_address(n, a) for n, a in cc)
    if reply_to:
        msg["Reply-To"] = format_address(None, reply_to)
    msg["Subject"] = _text_header("Subject", rendered.subject)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = _single_line(message_id)
    if in_reply_to:
        msg["In-Reply-To"] = _single_line(in_reply_to)
        msg["References"] = _single_line(" ".join([*references, in_reply_to][-10:]))
    msg["Auto-Submitted"] = auto_submitted
    # Exchange/Outlook: do not answer this with an out-of-office (MS-OXCMAIL 2.2.3.2.14).
    msg["X-Auto-Response-Suppress"] = "All"
    msg["Content-Language"] = language
    if list_unsubscribe:
        msg["List-Unsubscribe"] = f"<{_single_line(list_unsubscribe)}>"
    for key, value in (extra_headers or {}).items():
        msg[key] = _text_header(key, value)
    msg.set_content(rendered.text, charset="utf-8", cte="quoted-printable")
    if rendered.html:
        msg.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return msg


def recipients_of(msg: EmailMessage) -> list[str]:
    """The lower-cased addresses of the To and Cc headers (the SMTP envelope's RCPT TO)."""
    return [address.lower() for _, address in getaddresses(msg.get_all("To", []) + msg.get_all("Cc", [])) if address]
