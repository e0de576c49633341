"""Benchmark of issue 19: many networks served by one process (`rers run --networks DIR`).

    .venv/bin/python bench/networks_bench.py [--networks 100] [--members 100] [--items 150]
                                             [--samples 15] [--backlog 200] [--others 10] [--settle 15]

One real Dovecot with N mailboxes and one aiosmtpd; each network reads its own mailbox over
IMAP (IDLE) and sends to the sink; polling every 10 minutes, so that only IDLE explains a
quick answer; each store holds ``members`` confirmed members and ``items`` open offers and
demands (a RERS counts 50 to 150 members), as ``daemon_bench.py`` fills it. Two hosts are measured in the same run, one after the other: a **baseline**
host serving 1 network, then a host serving N. Figures:

* **memory** — RSS (``VmRSS``) of the host once every network has made its first cycle
  and run its start-up jobs, and ``settle`` seconds have passed; the marginal memory of an
  idle network is ``(RSS(N) - RSS(1)) / (N - 1)`` (goal ≤ 5 MiB; a process of its own
  costs RSS(1)).
* **open files** — the host's file descriptors when idle (sockets, locks, logs): what
  the process's limit must allow.
* **idle CPU** — the host's CPU seconds (user + system) over ``settle`` seconds with
  nothing to do: what watching N mailboxes costs.
* **latency** — APPEND of a help request into one network's mailbox → its answer accepted
  by aiosmtpd, ``samples`` times, sequentially, networks taken in turn; median and max,
  with N watched against with 1 (goal: median under 2 s with 100).
* **busy network** — ``backlog`` messages appended at once into one network's mailbox, then
  one message into each of ``others`` other networks: the others' answer latency
  (median, max) against the idle median, and how long the busy network took to answer its
  backlog (goal: the others are not delayed beyond a cycle, i.e. their max stays far
  below the busy network's backlog time).

Prints one JSON object; docs/benchmarks.md keeps the figures of a run.
"""
from __future__ import annotations

import argparse
import json
import random
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from daemon_bench import fill_store  # noqa: E402
from servers import Dovecot, SmtpSink  # noqa: E402
from support import make_settings, member_mail  # noqa: E402

from store import Store  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` (MiB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (s)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def make_networks(directory: Path, count: int, dovecot: Dovecot, sink: SmtpSink, prefix: str, args) -> dict[str, str]:
    """``count`` networks under ``directory``, their stores filled (``args.members``,
    ``args.items``); returns {network name: its Dovecot user} (the passwords are put in
    this process's environment, which the host inherits)."""
    rng = random.Random(19)
    users = {}
    for i in range(count):
        name, user, env = f"{prefix}{i:03d}", f"{prefix}{i:03d}", f"RERS_BENCH_PW_{prefix.upper()}{i:03d}"
        dovecot.add_user(user, "pw-" + user)
        os.environ[env] = "pw-" + user
        mailbox = (f'kind = "imap"\nhost = "{dovecot.host}"\nport = {dovecot.port}\nsecurity = "none"\n'
                   f'username = "{user}"\npassword_env = "{env}"\ntimeout_seconds = 30\n')
        transport = (f'kind = "smtp"\nhost = "{sink.host}"\nport = {sink.port}\nsecurity = "none"\n'
                     "timeout_seconds = 30\n")
        make_settings(directory / name, mailbox=mailbox, transport=transport, address=f"rers.{name}@example.org",
                      name=f"RERS {name}", extra="[schedule]\npoll_seconds = 600\n")
        fill_store(directory / name / "store" / "rers.json", args.members, args.items, rng)
        users[name] = user
    return users


def started(directory: Path, names) -> bool:
    """True once every network's store records a completed cycle."""
    for name in names:
        store = Store.open(directory / name / "store" / "rers.json")
        if not store.get_state("last_cycle"):
            return False
    return True


def answered(sink: SmtpSink, sender: str) -> bool:
    return any(sender in r.rcpt_tos for r in sink.received)


def wait_answer(sink: SmtpSink, sender: str, timeout: float = 120.0) -> float:
    """Monotonic time at which ``sender`` got an answer (raises on timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answered(sink, sender):
            return time.monotonic()
        time.sleep(0.02)
    raise TimeoutError(f"no answer for {sender} in {timeout} s")


def help_mail(network: str, tag: str) -> tuple[str, bytes]:
    sender = f"p.{network}.{tag}@example.net"
    return sender, member_mail(sender, "AIDE", "Bonjour, comment ça marche ?\n", to=f"rers.{network}@example.org",
                               message_id=f"<bench-{network}-{tag}@client.example>")


def measure_host(directory: Path, users: dict[str, str], dovecot: Dovecot, sink: SmtpSink, args,
                 busy: bool) -> dict:
    names = sorted(users)
    began = time.monotonic()
    host = subprocess.Popen([sys.executable, "-m", "workflows.cli", "run", "--networks", str(directory),
                             "--log-level", "warning"], cwd=ROOT, env=dict(os.environ),
                            stderr=open(directory / "host.log", "w"))
    try:
        while not started(directory, names):
            if host.poll() is not None:
                raise RuntimeError(f"the host stopped: {(directory / 'host.log').read_text()[-2000:]}")
            time.sleep(0.5)
        start_seconds = time.monotonic() - began
        time.sleep(args.settle / 2)
        cpu0, t0 = cpu_seconds(host.pid), time.monotonic()
        time.sleep(args.settle)
        idle_cpu = (cpu_seconds(host.pid) - cpu0) / (time.monotonic() - t0)
        rss = rss_mib(host.pid)
        open_files = len(list(Path(f"/proc/{host.pid}/fd").iterdir()))

        latencies = []
        for k in range(args.samples):
            name = names[(k * 7) % len(names)]
            sender, raw = help_mail(name, f"idle{k}")
            at = time.monotonic()
            dovecot.append(users[name], "INBOX", raw)
            latencies.append(wait_answer(sink, sender) - at)
        result = {"networks": len(names), "start_s": round(start_seconds, 1), "rss_mib": round(rss, 1), "open_files": open_files,
                  "idle_cpu_share": round(idle_cpu, 3),
                  "latency_median_s": round(statistics.median(latencies), 3),
                  "latency_max_s": round(max(latencies), 3)}

        if busy and len(names) > 1:
            busy_name, others = names[0], names[1:1 + args.others]
            # The backlog is timed from its first APPEND: the busy network starts on it at once.
            at = time.monotonic()
            with dovecot.client(users[busy_name]) as client:
                backlog = []
                for k in range(args.backlog):
                    sender, raw = help_mail(busy_name, f"busy{k}")
                    backlog.append(sender)
                    client.append("INBOX", raw)
            sent = []
            for name in others:
                sender, raw = help_mail(name, "other")
                dovecot.append(users[name], "INBOX", raw)
                sent.append((sender, time.monotonic()))
            other_latencies = [wait_answer(sink, sender) - when for sender, when in sent]
            others_done = time.monotonic() - at
            busy_done = max(wait_answer(sink, sender, timeout=600) for sender in backlog) - at
            result.update(busy_backlog=args.backlog, busy_backlog_s=round(busy_done, 1),
                          others_latency_median_s=round(statistics.median(other_latencies), 3),
                          others_latency_max_s=round(max(other_latencies), 3),
                          others_answered_before_backlog_done=others_done < busy_done)
        return result
    finally:
        host.send_signal(signal.SIGTERM)
        try:
            host.wait(timeout=120)
        except subprocess.TimeoutExpired:
            host.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", type=int, default=100)
    parser.add_argument("--members", type=int, default=100, help="confirmed members in each network's store")
    parser.add_argument("--items", type=int, default=150, help="open offers and demands in each network's store")
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--backlog", type=int, default=200)
    parser.add_argument("--others", type=int, default=10)
    parser.add_argument("--settle", type=float, default=15.0)
    args = parser.parse_args()

    # One IMAP process per connection: each network holds its IDLE connection, and opens
    # one more for each cycle.
    limits = (f"default_process_limit = {4 * args.networks + 50}\n"
              f"default_client_limit = {8 * args.networks + 100}\n")
    dovecot = Dovecot(users={}, extra_config=limits).start()
    sink = SmtpSink().start()
    work = Path(tempfile.mkdtemp(prefix="rers-networks-bench-"))
    try:
        one = make_networks(work / "one", 1, dovecot, sink, "solo", args)
        many = make_networks(work / "many", args.networks, dovecot, sink, "net", args)
        baseline = measure_host(work / "one", one, dovecot, sink, args, busy=False)
        sink.clear()
        hosted = measure_host(work / "many", many, dovecot, sink, args, busy=True)
        n = args.networks
        report = {
            "load_average_1min": round(os.getloadavg()[0], 1),  # a noisy machine says so
            "store": {"members": args.members, "items": args.items},
            "baseline_1": baseline,
            f"host_{n}": hosted,
            "marginal_mib_per_idle_network": round((hosted["rss_mib"] - baseline["rss_mib"]) / max(n - 1, 1), 2),
            "latency_median_ratio": round(hosted["latency_median_s"] / baseline["latency_median_s"], 2),
        }
        if "others_latency_max_s" in hosted:
            report["others_max_over_idle_median"] = round(hosted["others_latency_max_s"]
                                                          / hosted["latency_median_s"], 2)
            report["others_max_over_busy_backlog"] = round(hosted["others_latency_max_s"]
                                                           / hosted["busy_backlog_s"], 3)
        print(json.dumps(report, indent=2))
    finally:
        sink.stop()
        dovecot.stop()
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()
