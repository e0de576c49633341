"""`rers run --networks DIR`: many networks served by one process.

Each sub-folder of ``DIR`` that holds a ``rers.toml`` is a network, with its own
configuration, store, instance lock, mailbox and transport — exactly what `rers run
--config DIR/<name>/rers.toml` would serve alone. The host runs, for each of them, the
same per-network machinery (:class:`workflows.shell.daemon.Daemon`: its cycles, its
scheduled jobs, its IDLE connection, its backoff) in a thread of its own, named
``network:<name>`` so that :class:`NetworkLogFilter` can say in every log line which
network wrote it. Networks share nothing but the process: no record, no connection, no
lock, no renderer.

One network's fault never stops the others:

- a configuration that does not load, a store that cannot be opened (missing, corrupt,
  written by a newer rers), a store another process holds, a ``[network] address`` a
  network served before it (by folder name) already has: that network is not started,
  the reason is logged (CRITICAL, every configuration problem at once) and kept in
  :attr:`Network.problem`;
- a fault no retry fixes while it runs (a password variable not set, a login refused
  :data:`~workflows.shell.daemon.LOGIN_ATTEMPTS` times in a row): its daemon stops, as it
  would alone, and its thread ends; the host logs it and goes on;
- everything else (a server down, a parked message, a failing job, a store that turns
  unreadable) is the daemon's own business: it backs off and retries, as it would alone.

SIGTERM and SIGINT ask every network to stop (each finishes the message in hand); the
host returns once all threads ended. Exit status: 0 when every network ran until the stop
request, :data:`~workflows.shell.daemon.EXIT_UNFIXABLE` (2) when one or more stopped alone
with a fault, or could not start — systemd then shows the host failed, while the others
ran on until then.
"""
from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

from config.settings import ConfigError, load
from store import Store, StoreError
from workflows.shell.soundness import sound
from workflows.mail.render import Renderer
from workflows.model.said import Said, said, said_of
from workflows.shell.daemon import EXIT_UNFIXABLE, Daemon
from workflows.shell.errors import UserError, os_problem, system_reason
from workflows.shell.language import Words, words_for, words_for_error
from workflows.shell.lexicon import Lexicon
from workflows.shell.resources import LEXICON_KEY
from workflows.shell.clock import Clock, utc_now
from workflows.shell.templating import log_problems

log = logging.getLogger(__name__)

CONFIG_NAME = "rers.toml"
"""The file that makes a sub-folder of the host's folder a network."""

THREAD_PREFIX = "network:"
"""A network's thread is named ``network:<folder name>`` (what :class:`NetworkLogFilter` reads)."""

JOIN_SLICE_SECONDS = 1.0
"""How often the host looks at its threads while it waits (a signal is handled between two looks)."""


def same_address(one, other) -> bool:
    """True when the settings ``one`` and ``other`` have the same ``[network] address``
    (case aside): their two robots would answer the same mail."""
    return one.network.address.lower() == other.network.address.lower()


def find_networks(directory: Path) -> list[tuple[str, Path]]:
    """The networks of ``directory``: ``(folder name, path of its rers.toml)`` for each
    sub-folder holding a ``rers.toml``, sorted by name; hidden folders are skipped.
    Raises :class:`UserError` when ``directory`` is not a readable folder or holds no network."""
    directory = Path(directory).expanduser()
    try:
        folders = sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError as error:
        raise UserError("cannot read the networks' folder {directory}: {why}", directory=directory,
                        why=system_reason(error)) from None
    found = [(folder.name, folder / CONFIG_NAME) for folder in folders if (folder / CONFIG_NAME).is_file()]
    if not found:
        raise UserError("no network in {directory}: each network is a sub-folder holding its own {name} "
                        "(made by `rers init DIR/<name>`)", directory=directory, name=CONFIG_NAME)
    return found


class NetworkLogFilter(logging.Filter):
    """Adds ``record.network``: the folder name of the network whose thread wrote the
    record, or ``host`` for the host's own lines; never drops a record. Installed on the
    handlers by :func:`workflows.cli.configure_logging` for `--networks`, whose format
    shows ``[%(network)s]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        name = record.threadName or ""
        record.network = name[len(THREAD_PREFIX):] if name.startswith(THREAD_PREFIX) else "host"
        return True


@dataclass
class Network:
    """One network of the host: its folder ``name``, its ``config`` file, and once
    prepared its ``daemon`` (None when it could not start: ``problem`` says why)."""

    name: str
    config: Path
    daemon: Daemon | None = None
    thread: threading.Thread | None = None
    problem: str | None = None
    """Why the network is not served (it could not start, or it stopped alone), for people:
    English as a ``str`` (the log), said in the network's language by :meth:`said_problem`
    (a :class:`workflows.model.said.Said`, or its configuration's :attr:`config_error`)."""
    language: str | None = None
    """Its ``[network] language`` once its configuration was read."""
    config_error: ConfigError | None = None
    """Its configuration's problems, when it could not be read."""
    exit_status: int | None = None
    """Its daemon's exit status once its thread ended (None: running, or never started)."""

    def words(self) -> Words:
        """The network's words: its language, the one its broken configuration names, else French."""
        if self.language is None and self.config_error is not None:
            return words_for_error(self.config_error)
        return Words(self.language) if self.language else words_for()

    def said_problem(self) -> str:
        """:attr:`problem` in the network's language (:meth:`words`)."""
        if self.config_error is not None:
            return self.config_error.said(self.words())
        return said(self.problem, self.words())


class Host:
    """Serves every network of ``directory`` in this process until told to stop.

    ``clock`` returns aware UTC datetimes (shared by every network). :meth:`prepare`
    loads each network (tests may then adjust a daemon, its backoff for instance);
    :meth:`run` prepares if needed, then starts and supervises the threads.
    Raises :class:`UserError` when ``directory`` holds no network.
    """

    def __init__(self, directory: Path, *, clock: Clock = utc_now):
        self.directory = Path(directory)
        self.clock = clock
        self.networks = [Network(name, config) for name, config in find_networks(self.directory)]
        self.stop_requested = threading.Event()
        self._prepared = False
        self._renderers: dict[tuple[str, str], Renderer] = {}
        self.lexicon = Lexicon()
        """The French lemmas and word vectors every network's matcher reads (opened on first use)."""

    def prepare(self) -> None:
        """Load each network's configuration and store and make its daemon; a network
        that cannot start is logged (CRITICAL) and left out, never raised."""
        for network in self.networks:
            try:
                settings = load(network.config)
            except ConfigError as error:  # every problem at once, as `rers run` alone says them
                network.config_error = error
                self._cannot_start(network, str(error))
                continue
            network.language = settings.network.language
            served = [n.name for n in self.networks
                      if n.daemon is not None and same_address(n.daemon.settings, settings)]
            if served:
                # Both robots would answer the same mail: the first keeps its place, as a
                # folder already served does (doctor --networks fails both).
                self._cannot_start(network, Said(
                    "its address {address} is also the address of network {other}, served here: both robots would "
                    "answer the same mail; give each network its own mailbox", address=settings.network.address,
                    other=served[0]))
                continue
            try:
                store = sound(Store.open(settings.store.path))
            except StoreError as error:
                self._cannot_start(network, said_of(error))
                continue
            except OSError as error:
                self._cannot_start(network, os_problem(error))
                continue
            # One lexicon for all (8.6 MB of key indexes each otherwise): the store's
            # matcher takes the one put there (see workflows.shell.resources.LEXICON_KEY).
            store.derived(LEXICON_KEY, lambda: self.lexicon)
            network.daemon = Daemon(settings, store, clock=self.clock, renderer=self._renderer(settings))
        self._prepared = True

    def _renderer(self, settings) -> Renderer | None:
        """One renderer for all the networks that use the built-in texts in the same
        language and time zone: their templates compiled once, not once per network (about
        0.2 s of CPU each at start, and their memory). A network with texts of its own
        (``templates_dir``) has its own (None: its runner makes it)."""
        network = settings.network
        if network.templates_dir is not None:
            return None
        key = (network.language, network.timezone)
        if key not in self._renderers:
            self._renderers[key] = Renderer(network.language, None, network.timezone)
        return self._renderers[key]

    def _cannot_start(self, network: Network, reason: str) -> None:
        network.problem = reason
        log.critical("network %s not started, the others go on: %s", network.name, reason)

    def request_stop(self, signum=None, frame=None) -> None:
        """Ask every network to stop (a signal handler, or a test)."""
        log.info("stop requested (signal %s): each network finishes its current message", signum)
        self.stop_requested.set()
        # Each daemon's event, not its request_stop: one line for the host, not one per network.
        for network in self.networks:
            if network.daemon is not None:
                network.daemon.stop_event.set()

    def run(self) -> int:
        """Serve every network until a stop request, or until none is left running.
        Returns 0, or :data:`EXIT_UNFIXABLE` when a network could not start or stopped
        alone (see the module docstring)."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.request_stop)
            signal.signal(signal.SIGINT, self.request_stop)
        if not self._prepared:
            self.prepare()
        runnable = [n for n in self.networks if n.daemon is not None]
        log.info("serving %d network(s) of %s (%d could not start)", len(runnable), self.directory,
                 len(self.networks) - len(runnable))
        for network in runnable:
            if self.stop_requested.is_set():
                break
            network.thread = threading.Thread(target=self._serve, args=(network,), name=THREAD_PREFIX + network.name,
                                              daemon=True)
            network.thread.start()
        for network in runnable:
            while network.thread is not None and network.thread.is_alive():
                network.thread.join(JOIN_SLICE_SECONDS)
        failed = [n.name for n in self.networks if n.problem is not None]
        if failed:
            log.error("%d network(s) stopped or never started: %s", len(failed), ", ".join(failed))
        log.info("rers host stopped")
        return EXIT_UNFIXABLE if failed else 0

    def _serve(self, network: Network) -> None:
        """The body of a network's thread: its daemon's run, whatever it raises kept in
        the network (never raised: the other threads go on)."""
        try:
            # A broken animators' text is said now (the built-in one is used meanwhile); the
            # built-in texts are the same for every network (tested, and `rers doctor`
            # checks them): checking them again for each would cost 1.5 s of CPU a network.
            if network.daemon.settings.network.templates_dir is not None:
                log_problems(network.daemon.settings, self.clock())
            network.exit_status = network.daemon.run()
        except UserError as error:  # another rers holds this store, or its lock cannot be made
            network.exit_status = error.status
            self._cannot_start(network, said_of(error))
            return
        except Exception as error:
            log.exception("network %s stopped unexpectedly; the others go on", network.name)
            network.exit_status = EXIT_UNFIXABLE
            network.problem = Said("stopped unexpectedly: {error}", error=str(error))
            return
        if network.exit_status and network.problem is None:
            network.problem = (network.daemon.state.last_error
                               or Said("stopped: a fault no retry fixes (see the log)"))
        if network.problem is not None:
            log.critical("network %s stopped, the others go on: %s", network.name, network.problem)

    def said_lines(self) -> list[str]:
        """What `rers run --networks` prints once the host stopped: each network not
        served and why, each in its network's language (the log said it in English)."""
        lines = []
        for network in self.networks:
            if network.problem is not None:
                say = network.words()
                lines.append(say("network {name} stopped or never started: {problem}", name=network.name,
                                 problem=network.said_problem()))
        return lines

    def running(self) -> list[str]:
        """The names of the networks whose thread is alive."""
        return [n.name for n in self.networks if n.thread is not None and n.thread.is_alive()]


# --- `rers status --networks` and `rers doctor --networks` -------------------------------


def status_all(directory: Path, now) -> tuple[str, list[str]]:
    """`rers status` of every network of ``directory`` (``now``: aware UTC): each one's
    lines under its folder name, then one summary line. Returns the text and the names of
    the failing networks (a configuration or store that cannot be read, a last cycle that
    failed or could not send). Raises :class:`UserError` when there is no network."""
    from workflows.shell.status import status_failed, status_text

    parts, failing, languages = [], [], set()
    for name, config in find_networks(directory):
        settings = None
        try:
            settings = load(config)
            languages.add(settings.network.language)
            store = Store.open(settings.store.path)
            text = status_text(settings, store, now)
            failed = status_failed(store)
        except ConfigError as error:
            text, failed = "FAIL  " + error.said(words_for_error(error)), True
        except StoreError as error:
            text, failed = "FAIL  " + said(said_of(error), words_for(settings)), True
        except OSError as error:
            text, failed = "FAIL  " + os_problem(error).said(words_for(settings)), True
        parts.append(f"== {name} ==\n{text}")
        if failed:
            failing.append(name)
    parts.append(summary_line(len(parts), failing, _host_words(languages)))
    return "\n\n".join(parts), failing


def doctor_all(directory: Path) -> tuple[str, list[str]]:
    """`rers doctor` of every network of ``directory`` (one after the other: each check
    may wait for a server's timeout), as :func:`status_all`: the text and the names of the
    networks with a failed check — networks that share one ``[network] address`` all fail
    (their robots would answer the same mail; `rers run --networks` starts the first only). Raises :class:`UserError`
    when there is no network."""
    from workflows.shell.doctor import report, run_checks

    parts, failing, loaded, languages = [], [], [], set()
    for name, config in find_networks(directory):
        try:
            loaded.append((name, load(config)))
        except ConfigError as error:
            loaded.append((name, error))
    for name, settings in loaded:
        if isinstance(settings, ConfigError):
            parts.append(f"== {name} ==\nFAIL  config     " + settings.said(words_for_error(settings)))
            failing.append(name)
            continue
        findings = run_checks(settings)
        say = words_for(settings)
        languages.add(settings.network.language)
        shared = [other for other, found in loaded
                  if other != name and not isinstance(found, ConfigError) and same_address(found, settings)]
        parts.append(f"== {name} ==\nok    config     " + say("{path} is valid", path=settings.source)
                     + f"\n{report(findings, say)}"
                     + ("\nFAIL  address    " + say("{address} is also the address of {others}: both robots would "
                                                  "answer the same mail; give each network its own mailbox",
                                                  address=settings.network.address, others=", ".join(shared))
                        if shared else ""))
        if shared or any(f.level == "fail" for f in findings):
            failing.append(name)
    parts.append(summary_line(len(parts), failing, _host_words(languages)))
    return "\n\n".join(parts), failing


def _host_words(languages: set[str]) -> Words:
    """The words of the host's own lines: the networks' language when they all speak one,
    else the default (French)."""
    return Words(next(iter(languages))) if len(languages) == 1 else words_for()


def summary_line(count: int, failing: list[str], say: Words) -> str:
    """``3 network(s): 2 ok, 1 failing (b).`` in the language of ``say``."""
    if failing:
        return say("{count} network(s): {ok} ok, {failed} failing ({names}).", count=count, ok=count - len(failing),
                   failed=len(failing), names=", ".join(failing))
    return say("{count} network(s): {ok} ok, {failed} failing.", count=count, ok=count, failed=0)
