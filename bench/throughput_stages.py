"""Where the backlog benchmark's time goes: the throughput run of `daemon_bench.py`,
with a timer around each stage of the robot and of the floor.

    .venv/bin/python bench/throughput_stages.py [--messages 5000] [--members 10000] [--items 20000] [--seed 1]

Prints, in seconds, the robot's stages (fetching, parsing, rendering the templates,
building and serialising the MIME mails, matching, masking contact details in what the
animators are shown, SMTP, moving the messages, writing the store file; "the rest" is
everything else: routing, the store's documents, the ledger, the outbox) and the floor's (FETCH, stdlib parse, SMTP of 12-line notes, SMTP of
the robot's own mails). The stages are wall-clock times of functions that do not call
one another, measured with `time.perf_counter`. The timers cost a few microseconds a
call: the robot's total is a little above `daemon_bench.py --only throughput`'s.

Why it exists: the goal (issue 20: robot ≤ 1.5 × the floor that sends the robot's own
mails) compares the robot with a floor that composes no mail; this split shows what each
part costs, so that the goal can be judged (docs/benchmarks.md). Both floors are printed.
"""
from __future__ import annotations

import argparse
import collections
import email
import functools
import random
import shutil
import smtplib
import sys
import tempfile
import time
from email import policy
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import daemon_bench as bench  # noqa: E402  (puts the project and tests/ on sys.path)
from imapclient import IMAPClient  # noqa: E402
from servers import Dovecot, SmtpSink  # noqa: E402
from support import member_mail  # noqa: E402

import workflows.model.privacy as privacy  # noqa: E402
import workflows.shell.apply as apply  # noqa: E402
import workflows.shell.outbox as outbox  # noqa: E402
import workflows.shell.runner as runner  # noqa: E402
import workflows.steps.introductions as introductions  # noqa: E402
from store import Store  # noqa: E402
from store.storage import AtomicJSONStorage  # noqa: E402
from workflows.mail.render import Renderer  # noqa: E402
from workflows.shell.mailboxes.imap import ImapMailbox  # noqa: E402
from workflows.shell.transports.smtp import SmtpTransport  # noqa: E402


def timed(totals: collections.Counter, name: str, function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            totals[name] += time.perf_counter() - start
    return wrapper


def timed_batches(totals: collections.Counter, batches):
    """``ImapMailbox.batches`` is a generator: time each step of it (the FETCH), not the
    handling that runs between two steps."""
    @functools.wraps(batches)
    def wrapper(self, size):
        steps = batches(self, size)
        while True:
            start = time.perf_counter()
            try:
                batch = next(steps)
            except StopIteration:
                return
            finally:
                totals["imap fetch"] += time.perf_counter() - start
            yield batch
    return wrapper


def instrument(totals: collections.Counter) -> None:
    """Wrap the robot's stages where the runner and the outbox look them up."""
    runner.parse_message = timed(totals, "parse", runner.parse_message)
    apply.build_message = timed(totals, "build MIME", apply.build_message)
    outbox.serialize = timed(totals, "serialise MIME", outbox.serialize)
    Renderer.render = timed(totals, "render templates", Renderer.render)
    introductions.matcher = timed(totals, "matching index update", introductions.matcher)
    introductions.partner = timed(totals, "matching (best partner)", introductions.partner)
    privacy.contact_spans = timed(totals, "privacy (redact)", privacy.contact_spans)
    ImapMailbox.batches = timed_batches(totals, ImapMailbox.batches)
    ImapMailbox.mark_done = timed(totals, "imap move", ImapMailbox.mark_done)
    SmtpTransport.send = timed(totals, "smtp send", SmtpTransport.send)
    AtomicJSONStorage.flush = timed(totals, "store file write", AtomicJSONStorage.flush)


def floor_stages(dovecot: Dovecot, sink: SmtpSink, sent: int, robot_mails: list[bytes]) -> dict[str, float]:
    """The floor of `daemon_bench.floor`, stage by stage, plus the robot's mails sent again."""
    out = {}
    start = time.perf_counter()
    raws = []
    with IMAPClient(dovecot.host, dovecot.port, ssl=False) as client:
        client.login("rers", "rers-secret")
        client.select_folder("Traités", readonly=True)
        uids = client.search("ALL")
        for i in range(0, len(uids), 500):
            raws.extend(data[b"BODY[]"] for data in client.fetch(uids[i:i + 500], ["BODY.PEEK[]"]).values())
    out["imap fetch"] = time.perf_counter() - start
    start = time.perf_counter()
    for raw in raws:
        email.message_from_bytes(raw, policy=policy.default).get_body(preferencelist=("plain", "html")).get_content()
    out["stdlib parse"] = time.perf_counter() - start
    note = member_mail("rers.test@example.org", "Re: votre message", "Bien reçu.\n", message_id="<floor@x>")
    for name, mails in (("smtp, 12-line notes", [note] * sent), ("smtp, the robot's mails", robot_mails)):
        start = time.perf_counter()
        with smtplib.SMTP(sink.host, sink.port) as smtp:
            for k, mail in enumerate(mails):
                smtp.sendmail("rers.test@example.org", [f"membre{k}@example.net"], mail)
        out[name] = time.perf_counter() - start
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench.size_arguments(parser)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    totals: collections.Counter = collections.Counter()
    work = Path(tempfile.mkdtemp(prefix="rers-stages-"))
    try:
        with Dovecot(users={"rers": "rers-secret"}) as dovecot, SmtpSink() as sink:
            settings = bench.backlog_robot(dovecot, sink, work, args, rng)
            store = Store.open(settings.store.path)
            instrument(totals)
            start = time.perf_counter()
            report = runner.Runner(settings, store).cycle()
            robot = time.perf_counter() - start
            robot_mails = [received.data for received in sink.received]
            floor = floor_stages(dovecot, sink, len(report.flush.sent), robot_mails)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    floor_total = floor["imap fetch"] + floor["stdlib parse"] + floor["smtp, 12-line notes"]
    same_mails = floor["imap fetch"] + floor["stdlib parse"] + floor["smtp, the robot's mails"]
    print(f"robot {robot:.2f} s for {len(report.handled)} messages and {len(report.flush.sent)} mails;"
          f" floor {floor_total:.2f} s, ratio {robot / floor_total:.2f}; same-mails floor {same_mails:.2f} s,"
          f" ratio {robot / same_mails:.2f}")
    print("robot:")
    for name, seconds in totals.most_common():
        print(f"  {name:28s} {seconds:7.2f}")
    print(f"  {'the rest':28s} {robot - sum(totals.values()):7.2f}")
    print("floor:")
    for name, seconds in floor.items():
        print(f"  {name:28s} {seconds:7.2f}")


if __name__ == "__main__":
    main()
