"""`rers doctor`: check everything the robot needs, and say what is wrong in plain words.

Each check returns a :class:`Finding` (``ok``, ``warn`` or ``fail``) with one sentence.
Nothing is changed: no mail is read or sent, the store is only read, the IMAP folder is
only selected (EXAMINE-like), the SMTP session ends after the login.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from config.settings import Settings
from workflows.model.said import Said, said, said_of
from workflows.shell.language import Words, words_for
from workflows.shell.network import NO_TOKEN
from workflows.shell.errors import system_reason


@dataclass(frozen=True)
class Finding:
    level: str
    """``ok``, ``warn`` or ``fail``."""
    subject: str
    text: str


def _writable(folder: Path) -> Said | str | None:
    """None when files can be created in ``folder`` (created if missing), else why not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".rers-doctor-"):
            pass
    except OSError as error:
        return system_reason(error)
    return None


def check_store(settings: Settings) -> Iterator[Finding]:
    from store import Store, StoreError

    say = words_for(settings)
    path = settings.store.path
    if not path.exists() and not path.with_name(path.name + ".bak").exists():
        # Never "will be created": only `rers init` creates a store (an unmounted disk
        # must not become an empty store).
        yield Finding("fail", "store", say("there is no store at {path} (nor its backup): if its disk is not "
                                           "mounted, mount it; for a new network, create it with `rers init --store`",
                                           path=path))
        return
    problem = _writable(path.parent)
    if problem:
        yield Finding("fail", "store", say("cannot write in {folder}: {problem}", folder=path.parent, problem=problem))
        return
    try:
        store = Store.open(path, lock_timeout=5)
    except StoreError as error:
        yield Finding("fail", "store", said(said_of(error), say))
        return
    from workflows.shell.soundness import damage

    damaged = damage(store)
    figures = dict(path=path, schema=store.schema_version, members=store.members.count(),
                   waiting=store.outbox.count("status", "queued"))
    if damaged:  # never « ok » above the FAIL lines of the same store
        yield Finding("warn", "store", say("{path} is readable, but {n} document(s) are damaged (schema {schema}, "
                                           "{members} member(s), {waiting} mail(s) waiting)", n=len(damaged), **figures))
    else:
        yield Finding("ok", "store", say("{path} is readable (schema {schema}, {members} member(s), {waiting} mail(s) "
                                         "waiting)", **figures))
    for problem in damaged:  # every one: the operator mends them all in one go
        yield Finding("fail", "store", said(problem, say))
    failed = store.outbox.count("status", "failed")
    if failed:
        yield Finding("warn", "outbox", say("{n} mail(s) could not be sent (see `rers status`)", n=failed))


def _unset_secret(server, say: Words, text: str = "") -> str:
    """A sentence to add to a connection failure when the password's environment variable
    is not set either: both problems are said at once, not one after the other — and
    once: nothing when the failure ``text`` said it already (the server was reached, the
    login could not even be tried)."""
    if server.password_env and server.password_env not in os.environ and server.password_env not in text:
        return say("; also, the environment variable {name} (the password) is not set", name=server.password_env)
    return ""


_PROVIDERS = {"command": "token_command", "microsoft365": "Microsoft Entra ID", "google": "Google"}


def check_token(settings: Settings) -> Iterator[Finding]:
    """The OAuth 2.0 access token (``auth = "xoauth2"|"oauthbearer"``): fetched once from its
    source, with how long it lives; nothing when the logins use passwords. The token
    itself is never shown."""
    from workflows.shell.oauth2 import TokenError, tokens_for

    tokens = tokens_for(settings)
    if tokens is None:
        return
    say = words_for(settings)
    provider = _PROVIDERS[settings.oauth2.provider]
    try:
        tokens.token()
    except TokenError as error:
        yield Finding("fail", "token", said(said_of(error), say))
        return
    expires = tokens.expires_at
    if expires is None:
        life = say("its lifetime is not said: a new one is asked for at each login")
    else:
        minutes = int((expires - datetime.now(timezone.utc)).total_seconds() // 60)
        life = say("valid for {minutes} more minute(s), asked for again 5 minutes before it expires", minutes=minutes)
    yield Finding("ok", "token", say("an access token from {provider}; {life}", provider=provider, life=life))


def _login_failure(error: Exception, server, say: Words) -> str:
    """A mailbox or transport failure said once: a missing token was said by `token` already."""
    text = said_of(error)
    if isinstance(text, Said) and text.message == NO_TOKEN:
        return say("reached {where} but cannot log in without a token (see token)", where=text.values["where"])
    return said(text, say) + _unset_secret(server, say, text)


def _auth(server, say: Words) -> str:
    return say(" with {method}", method=server.auth.upper()) if server.auth != "password" else ""


def _tls(server, say: Words) -> str:
    return {"ssl": "TLS", "starttls": "STARTTLS"}.get(server.security) or say("no encryption")


def check_mailbox(settings: Settings) -> Iterator[Finding]:
    from workflows.shell.mailboxes.base import MailboxError
    from workflows.shell.runner import open_mailbox

    say = words_for(settings)
    box = settings.mailbox
    if box.kind == "maildir":
        yield _check_maildir(box.path, say)
        return
    server = box.server
    try:
        mailbox = open_mailbox(settings)
        with mailbox:
            count = len(mailbox.waiting())
            idle = mailbox.supports_idle()
    except MailboxError as error:
        yield Finding("fail", "mailbox", _login_failure(error, server, say))
        return
    yield Finding("ok", "mailbox", say("logged in to {host}:{port} ({tls}) as {user}{auth}; {n} message(s) waiting "
                                       "in {folder!r}", host=server.host, port=server.port, tls=_tls(server, say),
                                       user=server.username, auth=_auth(server, say), n=count, folder=box.folder))
    if idle:
        yield Finding("ok", "mailbox", say("the server offers IDLE: new mail is handled within seconds"))
    else:
        yield Finding("warn", "mailbox", say("the server does not offer IDLE: mail is read every {seconds} s",
                                             seconds=settings.schedule.poll_seconds))


def _check_maildir(path: Path, say: Words) -> Finding:
    """A Maildir (RFC-less, D. J. Bernstein's layout: ``cur``, ``new``, ``tmp``) that
    exists and is writable, or a folder where one can be created. Creates nothing."""
    if not path.exists():
        parent = next((p for p in path.parents if p.exists()), None)
        if parent is None or not os.access(parent, os.W_OK):
            return Finding("fail", "mailbox", say("the Maildir {path} does not exist and cannot be created", path=path))
        return Finding("ok", "mailbox", say("the Maildir {path} does not exist yet; the first cycle creates it",
                                            path=path))
    missing = [sub for sub in ("cur", "new", "tmp") if not (path / sub).is_dir()]
    if missing:
        return Finding("warn", "mailbox", say("{path} lacks {missing}: the first cycle creates them", path=path,
                                              missing=", ".join(missing)))
    unwritable = [sub for sub in ("cur", "new", "tmp") if not os.access(path / sub, os.W_OK)]
    if unwritable or not os.access(path, os.W_OK):
        return Finding("fail", "mailbox", say("the Maildir {path} is not writable: handled mail cannot be moved",
                                              path=path))
    return Finding("ok", "mailbox", say("Maildir {path} is usable", path=path))


def check_transport(settings: Settings) -> Iterator[Finding]:
    from workflows.shell.runner import open_transport
    from workflows.shell.transports.base import TransportError

    say = words_for(settings)
    transport = settings.transport
    if transport.kind == "folder":
        problem = _writable(transport.path)
        if problem:
            yield Finding("fail", "transport", say("cannot write mail into {path}: {problem}", path=transport.path,
                                                   problem=problem))
        else:
            yield Finding("ok", "transport", say("mail is written as .eml files into {path}", path=transport.path))
        return
    server = transport.server
    try:
        with open_transport(settings):
            pass
    except TransportError as error:
        yield Finding("fail", "transport", _login_failure(error, server, say))
        return
    login = (say(" as {user}{auth}", user=server.username, auth=_auth(server, say)) if server.username
             else say(" (no login)"))
    yield Finding("ok", "transport", say("connected to {host}:{port} ({tls}){login}", host=server.host,
                                         port=server.port, tls=_tls(server, say), login=login))


def check_templates(settings: Settings) -> Iterator[Finding]:
    """Every template of the configured language rendered with its example data, every
    animators' file read (:func:`workflows.shell.templating.check`): each broken file named
    with its error."""
    from datetime import datetime, timezone

    from workflows.shell.templating import check, templates

    say = words_for(settings)
    language = settings.network.language
    problems = check(settings, datetime.now(timezone.utc), (language,))
    for problem in problems:
        yield Finding(problem.level, "templates", problem.said(say))
    if not any(problem.level == "fail" for problem in problems):
        found = [info for info in templates(settings) if language in info.languages and info.kind in ("mail", "page")]
        changed = sum(1 for info in found if language in info.overridden)
        yield Finding("ok", "templates", say("{n} template(s) render in {language!r}", n=len(found), language=language)
                      + (say(", {n} changed by the animators ({folder})", n=changed,
                             folder=settings.network.templates_dir) if changed else ""))


def check_matching(settings: Settings) -> Iterator[Finding]:
    """The animators' synonyms file (``[matching] synonyms_file``), when there is one: a
    warning for each thing its reading leaves out (the robot goes on with the built-in
    synonyms and the file's sound lines: :mod:`workflows.shell.synonyms`), else how many
    groups it adds."""
    from workflows.shell.synonyms import read_animators

    path = settings.matching.synonyms_file
    if path is None:
        return
    say = words_for(settings)
    read = read_animators(path)
    for problem in read.problems:
        yield Finding("warn", "matching", said(problem, say))
    if read.groups or not read.problems:
        yield Finding("ok", "matching", say("the synonyms file {path} adds {n} group(s)", path=path,
                                            n=len(read.groups)))


def check_calendar(settings: Settings) -> Iterator[Finding]:
    say = words_for(settings)
    folder = settings.calendar.output_dir
    problem = _writable(Path(folder))
    if problem:
        yield Finding("fail", "calendar", say("cannot write the calendar into {folder}: {problem}", folder=folder,
                                              problem=problem))
    else:
        yield Finding("ok", "calendar", say("the calendar is published in {folder}", folder=folder))
    left = _example_calendar(settings)
    if left:
        yield Finding("warn", "calendar", say("still the example network's (config/example.toml, copied by rers init): "
                                              "{settings}. Members would read them in every invitation: write your "
                                              "own", settings="; ".join(left)))


def check_feeds(settings: Settings) -> Iterator[Finding]:
    """Each ``[[federation.feeds]]`` read now and its events counted (a warning when it
    cannot be: the robot runs without it, and tells the animators)."""
    from workflows.events.feeds import FeedError
    from workflows.shell.feeds import read_feed
    from workflows.steps.pooled import feed_events

    say = words_for(settings)
    network = settings.network
    for feed in settings.federation.feeds:
        fetched = read_feed(feed)
        error = fetched.error
        if error is None:
            try:
                read = feed_events(feed, fetched.text or "", network, datetime.now(network.zone).date())
            except FeedError as problem:
                error = str(problem)
        if error is not None:
            yield Finding("warn", "feeds", say("the calendar of {peer} ({where}) cannot be read: {error}",
                                               peer=feed.name, where=feed.where, error=error))
        else:
            yield Finding("ok", "feeds", say("the calendar of {peer} is read: {n} event(s) to pool, {skipped} left out",
                                             peer=feed.name, n=len(read.series), skipped=len(read.skipped)))


def _example() -> Settings:
    """``config/example.toml``, which `rers init` copies."""
    from config.settings import load
    from workflows.shell.init import EXAMPLE

    return load(EXAMPLE)


def _example_calendar(settings: Settings) -> list[str]:
    """The places of published events and the closure days that are still those of
    :func:`_example`, as ``[section] key = value``. The closure days count only when the
    whole list is the example's: a network may well close on one of those days too."""
    calendar, theirs = settings.calendar, _example().calendar
    left = []
    places = {rule.place for rule in (theirs.permanence, theirs.monthly_meeting, theirs.exchange_review)}
    for section in ("permanence", "monthly_meeting", "exchange_review"):
        rule = getattr(calendar, section)
        if rule.place in places and (section == "permanence" or rule.enabled):
            left.append(f'[calendar.{section}] place = "{rule.place}"')
    if calendar.closures and set(calendar.closures) == set(theirs.closures):
        left.append(f"[calendar] closures = {', '.join(day.isoformat() for day in calendar.closures)}")
    return left


_EXAMPLE_DOMAINS = ("example.org", "example.com", "example.net")
"""Reserved for documentation (RFC 2606): an address there reaches nobody."""


def _is_example(address: str) -> bool:
    domain = address.rpartition("@")[2].lower()
    return any(domain == d or domain.endswith("." + d) for d in _EXAMPLE_DOMAINS)


def check_network(settings: Settings) -> Iterator[Finding]:
    say = words_for(settings)
    examples = [a for a in (settings.network.address, *settings.network.animators) if _is_example(a)]
    if examples:
        yield Finding("warn", "network", say("{addresses}: an example address (RFC 2606) reaches nobody; write the "
                                             "network's and the animators' real addresses in [network]",
                                             addresses=", ".join(examples)))
    if settings.network.name == _example().network.name:
        yield Finding("warn", "network", say('[network] name = "{name}" is the example network\'s '
                                             "(config/example.toml, copied by rers init): members would read it in "
                                             "every mail", name=settings.network.name))
    if not settings.network.animators:
        yield Finding("warn", "network", say("no animator is configured: messages the robot does not understand "
                                             "stay in the done folder and nobody is told"))
    else:
        yield Finding("ok", "network", say("{n} animator(s) will be told what needs a human",
                                           n=len(settings.network.animators)))
        if not settings.network.authserv_id:
            # A From line is easy to forge: without the server's verdict, an animator's
            # command or approval is believed on the address alone.
            yield Finding("warn", "network", say("authserv_id is not set: a message that forges an animator's address "
                                                 "is believed for the animators' commands (ADHÉSION POUR, which "
                                                 "registers a person with a consent given in person; MISE EN "
                                                 "RELATION; the calendar commands), and a member's forged offer or "
                                                 "preferences are believed too; set [network] authserv_id to your "
                                                 "mail server's name in Authentication-Results "
                                                 "(docs/installation.md)"))


CHECKS: tuple[Callable[[Settings], Iterator[Finding]], ...] = (
    check_network, check_store, check_token, check_mailbox, check_transport, check_templates, check_matching,
    check_calendar, check_feeds,
)


def run_checks(settings: Settings) -> list[Finding]:
    """Every check, in order; a check that crashes is itself a ``fail`` finding."""
    findings = []
    for check in CHECKS:
        try:
            findings.extend(check(settings))
        except Exception as error:  # the doctor must report, not crash
            findings.append(Finding("fail", check.__name__.removeprefix("check_"), f"{type(error).__name__}: {error}"))
    return findings


def report(findings: list[Finding], say: Words) -> str:
    """The findings, one a line (``ok``, ``warn`` or ``FAIL``, the subject, the sentence),
    then a conclusion in ``say``'s language."""
    marks = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
    lines = [f"{marks[f.level]}  {f.subject:<10} {f.text}" for f in findings]
    fails = sum(f.level == "fail" for f in findings)
    warnings = sum(f.level == "warn" for f in findings)
    if fails:
        lines.append(say("{n} problem(s) to fix.", n=fails))
    elif warnings:
        lines.append(say("No problem to fix; {n} warning(s) to read.", n=warnings))
    else:
        lines.append(say("All good."))
    return "\n".join(lines)
