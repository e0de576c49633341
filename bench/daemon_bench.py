"""Benchmarks of issue 7: backlog throughput, IDLE latency, peak memory, start time.

    .venv/bin/python bench/daemon_bench.py [--messages 5000] [--members 10000] [--items 20000]
                                           [--idle 50] [--seed 1] [--only NAME ...]

Every figure is a ratio against a baseline measured in the same run, because these
machines are noisy:

* **throughput** — N messages in a real Dovecot, handled by one `Runner.cycle()` over a
  store of M members and I items, against the *floor*: batched FETCH (500 UIDs a
  command) + the stdlib parse (``message_from_bytes(policy=default)`` +
  ``get_body().get_content()``) of the same N messages + one SMTP connection sending as
  many mails to aiosmtpd as the robot sent (answers, proposals to the animators…).
  Also ``ratio_same_mails``, against the same floor sending the robot's own mails
  instead of 12-line notes: the goal of issue 20 is that one ≤ 1.5. On a busy machine,
  ``ratio_same_mails_cpu`` compares the processor times of this process (robot and
  floor, the SMTP sink included in both).
* **idle** — APPEND to answer received at aiosmtpd, median of K, with `rers run` in
  IDLE (polling set to 10 minutes so that only IDLE can explain it).
* **memory** — peak RSS of `rers poll --once` for 1,000 and for 5,000 messages (batches
  keep it bounded: the ratio should stay near 1).
* **startup** — `rers --help` against `python -c pass`, medians of 10.
"""
from __future__ import annotations

import argparse
import cProfile
import email
import mailbox as stdlib_mailbox
import os
import pstats
import random
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from email import policy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from imapclient import IMAPClient  # noqa: E402
from servers import Dovecot, SmtpSink  # noqa: E402
from support import make_settings, member_mail  # noqa: E402

from store import Store  # noqa: E402

FIRST = ["Marie", "Karim", "Sophie", "Jean", "Fatou", "Lucas", "Nadia", "Paul", "Inès", "Olivier", "Aïcha", "Hugo"]
LAST = ["Martin", "Bernard", "Diallo", "Petit", "Moreau", "Haddad", "Lefèvre", "Roux", "Garnier", "Ferreira"]
SUBJECTS = ["CV", "espagnol", "tableur", "couture", "cuisine sénégalaise", "entretien d'embauche", "vélo", "anglais",
            "tricot", "ordinateur", "jardinage", "fiche de paie", "photographie", "guitare", "italien", "dessin",
            "comptabilité", "permis de conduire", "arabe", "menuiserie", "yoga", "échecs", "pâtisserie", "plomberie",
            "couture à la machine", "traitement de texte", "russe", "chant", "broderie", "électricité"]
LEVELS = ["pour débutants", "niveau avancé", "les bases", "en pratique", "pas à pas", "", "au quotidien"]
VERBS = ["Apprendre", "Découvrir", "Cours de", "Initiation :", "Perfectionnement en", "Atelier"]


def title(rng: random.Random) -> str:
    """A realistic short title; the vocabulary is wide, so most new items match few others."""
    return " ".join(w for w in (rng.choice(VERBS), rng.choice(SUBJECTS), rng.choice(LEVELS), str(rng.randrange(500))) if w)


def messages(n: int, rng: random.Random, members: int) -> list[bytes]:
    """Realistic member mail: offers, demands, help, thanks (unknown), from known members."""
    out = []
    for k in range(n):
        who = rng.randrange(members)
        sender = f"membre{who}@example.net"
        kind = rng.random()
        if kind < 0.4:
            subject, body = "OFFRE", f"Bonjour,\nSavoir : {title(rng)}\nDisponibilités : le {rng.choice(['lundi', 'mardi', 'jeudi'])}\n\nMerci\n"
        elif kind < 0.8:
            subject, body = "Demande", f"Bonjour,\n\nSavoir : {title(rng)}\nForme : individuel\n\nCordialement,\n{rng.choice(FIRST)}\n"
        elif kind < 0.9:
            subject, body = "aide", "Bonjour, comment ça marche ?\n"
        else:
            subject, body = "Merci", "Merci beaucoup pour la permanence de lundi, c'était très bien.\n"
        out.append(member_mail(sender, subject, body, name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                               message_id=f"<bench-{k}-{rng.getrandbits(32)}@client.example>"))
    return out


def joins(n: int, rng: random.Random) -> list[bytes]:
    """Membership requests from n strangers (« ADHÉSION » with a first name and an offer)."""
    out = []
    for k in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        body = f"Bonjour,\nJe voudrais adhérer au réseau.\nPrénom : {first}\nJe propose : {title(rng)}\n\nMerci,\n{first}\n"
        out.append(member_mail(f"nouveau{k}@example.net", "Adhésion", body, name=f"{first} {last}",
                               message_id=f"<join-{k}-{rng.getrandbits(32)}@client.example>"))
    return out


def fill_store(path: Path, members: int, items: int, rng: random.Random) -> None:
    store = Store.open(path, create=True)  # a store of the benchmark's own making
    with store.transaction():
        for n in range(members):
            store.members.insert({
                "ref": f"M-{n + 1}", "address": f"membre{n}@example.net",
                "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}", "phone": None, "contact": "email",
                "invitations": False, "status": "confirmed", "language": "fr",
                "created": "2026-01-01T09:00:00+00:00", "confirmed": "2026-01-01T09:00:00+00:00",
                "undeliverable": False,
            })
        store.set_state("counter:member", members)
        for n in range(items):
            kind = "offer" if n % 2 else "demand"
            store.items.insert({
                "ref": f"{'O' if kind == 'offer' else 'D'}-{n + 1}", "kind": kind,
                "member": f"M-{rng.randrange(members) + 1}", "title": title(rng), "description": None,
                "modality": None, "availability": None, "place": None, "status": "open",
                "created": "2026-01-01T09:00:00+00:00", "closed": None, "source": f"<seed-{n}@x>",
            })
        store.set_state("counter:offer", items)
        store.set_state("counter:demand", items)


def deliver(dovecot: Dovecot, user: str, raws: list[bytes]) -> None:
    """Put the messages straight into the user's Maildir (APPEND runs at ~300/s)."""
    with dovecot.client(user) as client:
        client.select_folder("INBOX")  # make Dovecot create the Maildir
    home = dovecot.directory / "mail" / user / "Maildir" if (dovecot.directory / "mail" / user / "Maildir").exists() \
        else dovecot.directory / "mail" / user
    box = stdlib_mailbox.Maildir(home, create=True)
    for raw in raws:
        box.add(raw)
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "nobody:nogroup", str(home)], check=True)


def floor(dovecot: Dovecot, user: str, password: str, sink: SmtpSink, n: int, folder: str = "INBOX",
          mails: list[bytes] | None = None) -> float:
    """FETCH of ``folder`` in batches + stdlib parse + one SMTP connection for n mails, in seconds.

    The mails are a 12-line note each (the issue's floor), or, with ``mails``, those bytes
    (the robot's own mails: what sending them costs, whatever builds them)."""
    reply = member_mail("rers.test@example.org", "Re: votre message", "Bien reçu.\n", message_id="<floor@x>")
    mails = mails or [reply] * n
    start = time.perf_counter()
    with IMAPClient(dovecot.host, dovecot.port, ssl=False) as client:
        client.login(user, password)
        client.select_folder(folder, readonly=True)
        uids = client.search("ALL")
        for i in range(0, len(uids), 500):
            for data in client.fetch(uids[i:i + 500], ["BODY.PEEK[]"]).values():
                msg = email.message_from_bytes(data[b"BODY[]"], policy=policy.default)
                msg.get_body(preferencelist=("plain", "html")).get_content()
    with smtplib.SMTP(sink.host, sink.port) as smtp:
        for k, mail in enumerate(mails):
            smtp.sendmail("rers.test@example.org", [f"membre{k}@example.net"], mail)
    return time.perf_counter() - start


def backlog_robot(dovecot: Dovecot, sink: SmtpSink, work: Path, args, rng):
    """The throughput run's robot: ``args.messages`` member messages (or, with
    ``args.joins``, that many membership requests from strangers) delivered to Dovecot,
    a robot folder in ``work`` reading it (batches of 500) and sending to ``sink``, its
    store filled with ``args.members`` members and ``args.items`` items. Its settings."""
    os.environ["RERS_BENCH_IMAP"] = "rers-secret"
    raws = joins(args.joins, rng) if getattr(args, "joins", 0) else messages(args.messages, rng, args.members)
    deliver(dovecot, "rers", raws)
    mailbox = (f'kind = "imap"\nhost = "{dovecot.host}"\nport = {dovecot.port}\nsecurity = "none"\n'
               f'username = "rers"\npassword_env = "RERS_BENCH_IMAP"\nbatch_size = 500')
    transport = f'kind = "smtp"\nhost = "{sink.host}"\nport = {sink.port}\nsecurity = "none"'
    # Joins: each stranger is asked to confirm; the flood limits' defaults (30 a day) would
    # hold all but a few of those questions, so the run lifts them.
    extra = ("[limits]\nmax_join_questions_per_hour = 10000\nmax_join_questions_per_day = 100000\n"
             if getattr(args, "joins", 0) else "")
    settings = make_settings(work / "robot", mailbox=mailbox, transport=transport, network="max_replies_per_day = 100",
                             extra=extra)
    fill_store(settings.store.path, args.members, args.items, rng)
    return settings


def size_arguments(parser: argparse.ArgumentParser) -> None:
    """The backlog's size and seed, shared with ``throughput_stages.py``."""
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--members", type=int, default=10000)
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--joins", type=int, default=0,
                        help="instead of --messages: that many membership requests (use with --members 0 --items 0)")


def bench_throughput(args, rng) -> dict:
    work = Path(tempfile.mkdtemp(prefix="rers-bench-"))
    results = {}
    with Dovecot(users={"rers": "rers-secret"}) as dovecot, SmtpSink() as sink:
        settings = backlog_robot(dovecot, sink, work, args, rng)
        from workflows.shell.runner import Runner

        store = Store.open(settings.store.path)
        profiler = cProfile.Profile() if getattr(args, "profile", None) else None
        start, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        report = Runner(settings, store).cycle()
        if profiler:
            profiler.disable()
        results["robot_s"] = time.perf_counter() - start
        # The robot's own processor time: what the other work on the machine shifts least.
        results["robot_cpu_s"] = time.process_time() - cpu
        results["handled"] = len(report.handled)
        results["sent"] = len(report.flush.sent)
        # The floor, in the same run, on the same messages (now in the done folder) and
        # sending as many mails as the robot did.
        robot_mails = [received.data for received in sink.received]
        results["floor_s"] = floor(dovecot, "rers", "rers-secret", sink, results["sent"], folder="Traités")
        # The goal's floor (issue 20): the same, sending the robot's own mails (3.6 KB, text
        # and HTML) instead of 12-line notes: what sending them costs, whatever builds them.
        cpu = time.process_time()
        results["floor_same_mails_s"] = floor(dovecot, "rers", "rers-secret", sink, len(robot_mails),
                                              folder="Traités", mails=robot_mails)
        # Processor time of this process (the SMTP sink runs in it, for the robot and the
        # floor alike; Dovecot does not): on a busy machine the wall times of one run
        # wander apart, these less.
        results["floor_same_mails_cpu_s"] = time.process_time() - cpu
    shutil.rmtree(work, ignore_errors=True)
    if profiler:  # the robot's cycle only; the profiler slows it, so its times are not the figures above
        profiler.dump_stats(args.profile)
        stats = pstats.Stats(args.profile, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(45)
    results["ratio"] = results["robot_s"] / results["floor_s"]
    results["ratio_same_mails"] = results["robot_s"] / results["floor_same_mails_s"]
    results["ratio_same_mails_cpu"] = results["robot_cpu_s"] / results["floor_same_mails_cpu_s"]
    return results


def bench_memory(args, rng) -> dict:
    out = {}
    for n in (1000, 5000):
        work = Path(tempfile.mkdtemp(prefix="rers-mem-"))
        with Dovecot(users={"rers": "rers-secret"}) as dovecot, SmtpSink() as sink:
            deliver(dovecot, "rers", messages(n, rng, 500))
            mailbox = (f'kind = "imap"\nhost = "{dovecot.host}"\nport = {dovecot.port}\nsecurity = "none"\n'
                       f'username = "rers"\npassword_env = "RERS_BENCH_IMAP"\nbatch_size = 500')
            transport = f'kind = "smtp"\nhost = "{sink.host}"\nport = {sink.port}\nsecurity = "none"'
            make_settings(work / "robot", mailbox=mailbox, transport=transport, network="max_replies_per_day = 100")
            code = ("import resource, sys; from workflows.cli import main; main(sys.argv[1:]); "
                    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
            result = subprocess.run([sys.executable, "-c", code, "poll", "--once", "--config", str(work / "robot" / "rers.toml")],
                                    cwd=ROOT, env={**os.environ, "RERS_BENCH_IMAP": "rers-secret"},
                                    capture_output=True, text=True, check=True)
            out[f"peak_rss_{n}_mib"] = int(result.stdout.strip().splitlines()[-1]) / 1024
        shutil.rmtree(work, ignore_errors=True)
    out["ratio"] = out["peak_rss_5000_mib"] / out["peak_rss_1000_mib"]
    return out


def bench_idle(args, rng) -> dict:
    work = Path(tempfile.mkdtemp(prefix="rers-idle-"))
    latencies = []
    with Dovecot(users={"rers": "rers-secret"}) as dovecot, SmtpSink() as sink:
        mailbox = (f'kind = "imap"\nhost = "{dovecot.host}"\nport = {dovecot.port}\nsecurity = "none"\n'
                   f'username = "rers"\npassword_env = "RERS_BENCH_IMAP"')
        transport = f'kind = "smtp"\nhost = "{sink.host}"\nport = {sink.port}\nsecurity = "none"'
        make_settings(work / "robot", mailbox=mailbox, transport=transport, extra="[schedule]\npoll_seconds = 600\n",
                      network="max_replies_per_day = 1000")
        daemon = subprocess.Popen([sys.executable, "-m", "workflows.cli", "run", "--config", str(work / "robot" / "rers.toml")],
                                  cwd=ROOT, env={**os.environ, "RERS_BENCH_IMAP": "rers-secret"})
        try:
            time.sleep(3)
            for k in range(args.idle):
                raw = member_mail(f"idle{k}@example.net", "AIDE", "?\n", message_id=f"<idle-{k}@x>")
                start = time.perf_counter()
                dovecot.append("rers", "INBOX", raw)
                sink.wait_for(k + 1, timeout=60)
                latencies.append(time.perf_counter() - start)
        finally:
            daemon.terminate()
            daemon.wait(timeout=60)
    shutil.rmtree(work, ignore_errors=True)
    return {"median_s": statistics.median(latencies), "max_s": max(latencies), "n": len(latencies)}


def bench_startup(args, rng) -> dict:
    def median_of(command: list[str]) -> float:
        times = []
        for _ in range(10):
            start = time.perf_counter()
            subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    bare = median_of([sys.executable, "-c", "pass"])
    rers = median_of([str(ROOT / ".venv" / "bin" / "rers"), "--help"])
    return {"python_s": bare, "rers_help_s": rers, "ratio": rers / bare}


BENCHES = {"throughput": bench_throughput, "memory": bench_memory, "idle": bench_idle, "startup": bench_startup}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    size_arguments(parser)
    parser.add_argument("--idle", type=int, default=50)
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHES))
    parser.add_argument("--profile", metavar="FILE",
                        help="profile the robot's cycle of the throughput run (cProfile) into FILE, print a summary "
                             "on stderr (the profiled run's times are slower: run without it for the figures)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    for name in args.only or BENCHES:
        result = BENCHES[name](args, rng)
        print(name, " ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()), flush=True)


if __name__ == "__main__":
    main()
