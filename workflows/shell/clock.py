"""The robot's clock: real UTC time, or — in a sandbox only — a moved one.

Every command takes its clock from :func:`clock_for`, the one place that decides it:

- a clock handed to :func:`workflows.cli.main` by a Python caller (the tests, whose robots
  read real test servers) — never from the command line or the environment;
- else ``--now WHEN``, else the environment variable :data:`MOVED` (``RERS_NOW=WHEN``):
  the same instant for the whole command, accepted on a sandbox only
  (:func:`is_sandbox`): on a live network mail would reach real
  people on the wrong day, reminders and expiries would fire early, a bilan would be
  asked of an exchange that has not happened; and never before the sandbox's furthest
  moved instant (:data:`FURTHEST`): time does not go back; nor more than
  :data:`REACH_DAYS` from the real date (a typo such as 9999 would leave the sandbox
  unusable). Only a command that acts moves the furthest instant: one that only looks
  (:func:`looks_only`: status, list, show…) may be run on any allowed day;
- else real UTC time (:func:`utc_now`).
"""
from __future__ import annotations

import os
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Callable

from workflows.shell.days import no_such_day
from workflows.shell.errors import EXIT_CONFIG, UserError

Clock = Callable[[], datetime]
"""A clock: called, the time now, timezone-aware."""

MOVED = "RERS_NOW"
"""The environment variable that moves the clock, as ``--now`` does."""

MARKER = ".rers-sandbox"
"""The file beside a sandbox's ``rers.toml`` (:mod:`workflows.shell.sandbox` writes it)."""

FURTHEST = ".rers-sandbox-clock"
"""The file beside a sandbox's ``rers.toml`` holding the furthest instant its clock was
moved to (ISO, UTC): :func:`clock_for` refuses an earlier one."""

REACH_DAYS = 3653
"""How far (days, about ten years) a moved clock may be from the real date, either way."""

LOOKS_ONLY = "looks_only"
"""The argument :func:`looks_only` sets on a command that only reads."""


def looks_only(parser) -> None:
    """Mark the ``argparse`` sub-command ``parser`` as one that changes nothing (it reads
    the store or files, sends nothing): a moved clock there does not move the sandbox's
    furthest instant (:data:`FURTHEST`)."""
    parser.set_defaults(**{LOOKS_ONLY: True})


def utc_now() -> datetime:
    """Real time, aware, in UTC."""
    return datetime.now(timezone.utc)


def is_sandbox(settings) -> bool:
    """True for ``settings`` (:class:`config.settings.Settings`) of a folder made by
    :func:`workflows.shell.sandbox.make_sandbox` — its :data:`MARKER` beside ``rers.toml``
    — whose configuration still cannot send mail: Maildir in, ``.eml`` folder out."""
    source = settings.source
    return (source is not None and (Path(source).parent / MARKER).is_file()
            and settings.mailbox.kind == "maildir" and settings.transport.kind == "folder")


def moved_instant(settings, when: str, option: str = "--now") -> datetime:
    """The instant ``WHEN`` names, in UTC: an ISO date (``2027-01-04``: 09:00 that day in the
    network's time zone) or date and time (``2027-01-04T18:30``, the network's local time
    unless an offset is written). ``settings``: the network's
    (:class:`config.settings.Settings`), None for several networks at once (``--networks``);
    ``option``: how it was given (``--now`` or ``RERS_NOW``), for the messages.

    Raises :class:`UserError` (exit status 2) unless ``settings`` is a sandbox's, on an
    empty value, a value that is not a date (saying why a date-shaped one does not exist:
    30 February), and a date more than :data:`REACH_DAYS` from the real date."""
    if settings is None:
        raise UserError("{option} moves the clock of one sandbox only: not with --networks, which serves live "
                        "networks", EXIT_CONFIG, option=option)
    if not is_sandbox(settings):
        raise UserError("{option} moves the clock of a sandbox only, and {config} is a live network (its mails would "
                        "reach real people on the wrong day). Make a training copy with `rers sandbox DIR --config "
                        "{config}` and move the clock there.", EXIT_CONFIG, option=option, config=settings.source)
    if not when.strip():
        raise UserError("{option} is empty: write a date (2027-01-04) or a date and time (2027-01-04T18:30)",
                        EXIT_CONFIG, option=option)
    try:
        if len(when) == 10:
            value = datetime.combine(date.fromisoformat(when), time(9, 0), settings.network.zone)
        else:
            value = datetime.fromisoformat(when)
            if value.tzinfo is None:
                value = value.replace(tzinfo=settings.network.zone)
    except ValueError:
        why = no_such_day(when)
        if why:
            raise UserError("{option} {when}: {why}", EXIT_CONFIG, option=option, when=when, why=why) from None
        raise UserError("{option} {when!r}: write a date (2027-01-04) or a date and time (2027-01-04T18:30)",
                        EXIT_CONFIG, option=option, when=when) from None
    today = utc_now().date()
    if abs((value.date() - today).days) > REACH_DAYS:
        # Refused before anything is computed from it: at 9999 every later date overflows.
        raise UserError("{option} {when}: too far from today ({today}); a sandbox's clock moves at most ten years "
                        "either way", EXIT_CONFIG, option=option, when=when, today=today.isoformat())
    return value.astimezone(timezone.utc)


def clock_for(settings, args=None) -> Clock:
    """The clock a command runs on (see the module's text): ``args.clock`` when a Python
    caller handed one to :func:`workflows.cli.main`, else the instant of ``args.now`` or
    of ``$RERS_NOW`` (:func:`moved_instant`: a sandbox only), else :func:`utc_now`.
    ``settings``: the network's, None for ``--networks``. A command that acts records the
    instant as the sandbox's furthest; one marked :func:`looks_only` does not. Raises
    :class:`UserError` for a moved clock outside a sandbox or a value that is not a date."""
    given = getattr(args, "clock", None)
    if given is not None:
        return given
    when, option = getattr(args, "now", None), "--now"
    if when is None:
        # An empty RERS_NOW is an unset one (as shells write it); an empty --now is a typo.
        when, option = os.environ.get(MOVED) or None, MOVED
    if when is None:
        return utc_now
    instant = moved_instant(settings, when, option)
    _forward_only(settings, instant, option, when, keep=not getattr(args, LOOKS_ONLY, False))
    return lambda: instant


def _forward_only(settings, instant: datetime, option: str, when: str, keep: bool) -> None:
    """Keep ``instant`` as the sandbox's furthest (:data:`FURTHEST`) when ``keep`` (a
    command that acts), or refuse it when the clock was moved further already: mail sent on a later day stays sent, and reminders,
    expiries and bilans run again on a day before them would misbehave. Raises
    :class:`UserError` (exit status 2)."""
    path = Path(settings.source).parent / FURTHEST
    try:
        furthest = datetime.fromisoformat(path.read_text(encoding="utf-8").strip())
    except (FileNotFoundError, ValueError):
        furthest = None
    if furthest is not None and instant < furthest:
        local = furthest.astimezone(settings.network.zone).strftime("%Y-%m-%dT%H:%M")
        raise UserError("{option} {when}: this sandbox's clock was already moved to {furthest} and does not go "
                        "back in time (a mail sent stays sent). Give {furthest} or later, or make a new sandbox "
                        "to start over.", EXIT_CONFIG, option=option, when=when, furthest=local)
    if keep and (furthest is None or instant > furthest):
        path.write_text(instant.isoformat(timespec="seconds") + "\n", encoding="utf-8")
