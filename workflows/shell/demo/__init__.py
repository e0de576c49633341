"""`rers demo`: the robot on its embedded default, with sample mail, no server needed.

The demo folder is an ordinary ``rers init`` folder (``rers.toml``, a Maildir ``mail/``,
an ``outbox/`` of ``.eml`` files, a ``store/``, a ``calendar/``) whose Maildir is filled
once with the dozen sample messages of ``workflows/demo/mail/`` — mails as members really
send them, written for this project. Running the demo again reads only what is new.
"""
from __future__ import annotations

import mailbox
import shutil
from pathlib import Path

from config.settings import load
from workflows.mail.labels import label_of
from workflows.model.said import said
from store import Store
from workflows.shell.daemon import InstanceLock
from workflows.shell.errors import UserError
from workflows.shell.init import init_folder
from workflows.shell.language import ITEM_STATUS, MEMBER_STATUS, words_for
from workflows.shell.publish import publish_calendar
from workflows.shell.clock import utc_now
from workflows.shell.runner import Runner

SAMPLES = Path(__file__).resolve().parent / "mail"

_FILLED = ".demo-filled"
_FILLING = ".demo-filling"


def is_demo_folder(directory: Path) -> bool:
    """True when ``directory`` was made by `rers demo` (it holds the demo's marker, or the
    one it writes before filling the Maildir: a demo killed while filling is still one)."""
    return (directory / _FILLED).is_file() or (directory / _FILLING).is_file()


def prepare(directory: Path, *, fresh: bool = False) -> Path:
    """Create (or reuse) the demo folder and put the sample mail in its Maildir once.
    Returns the configuration's path.

    Raises :class:`UserError` for a folder that exists and was not made by `rers demo`:
    the demo never adds sample members to a real network, and ``fresh`` never deletes a
    folder it did not create.
    """
    directory = directory.resolve()
    if directory.exists() and not is_demo_folder(directory) and any(directory.iterdir()):
        raise UserError("{folder} is not a demo folder (it was not made by `rers demo`): the demo neither fills nor "
                        "deletes it. Give a new folder name, e.g. `rers demo demo`.", folder=directory)
    if fresh and is_demo_folder(directory):
        shutil.rmtree(directory)
    config = directory / "rers.toml"
    if not config.exists():
        init_folder(directory)
    marker = directory / _FILLED
    if not marker.exists():
        (directory / _FILLING).write_text("the sample mail is being put in mail/new\n", encoding="utf-8")
        box = mailbox.Maildir(directory / "mail", create=True)
        # A demo killed while filling left some samples: put only the others.
        there = {message["Message-ID"] for message in box}
        for sample in sorted(SAMPLES.glob("*.eml")):
            raw = sample.read_bytes()
            if mailbox.MaildirMessage(raw)["Message-ID"] not in there:
                box.add(raw)
        marker.write_text("the sample mail was put in mail/new once\n", encoding="utf-8")
        (directory / _FILLING).unlink()
    return config


def run_demo(directory: Path, *, fresh: bool = False, out=print) -> int:
    """Run one cycle and a calendar publication on the demo folder; print what happened."""
    config = prepare(directory, fresh=fresh)
    settings = load(config)
    with InstanceLock(settings.store.path):
        return _run(directory, config, settings, out)


def _run(directory: Path, config: Path, settings, out) -> int:
    store = Store.open(settings.store.path, create=True)  # a demo folder of an older rers has none yet
    outbox = Path(settings.transport.path)
    before = set(outbox.glob("*.eml"))
    runner = Runner(settings, store)
    report = runner.cycle()
    calendar = publish_calendar(settings, store, utc_now())
    runner.flush()  # the invitations the publication queued, as the daemon sends them
    written = sorted(set(outbox.glob("*.eml")) - before)

    # The store keeps code words (intents, statuses) and the outcomes in English: said in the network's language.
    say = words_for(settings)
    language = settings.network.language
    out(say("Demo folder: {folder}  (configuration: {config})", folder=directory.resolve(), config=config.name))
    out("")
    out(say("Messages read from {path}: {n}", path=settings.mailbox.path, n=len(report.handled)))
    for handled in report.handled:
        out(f"  {label_of(handled.intent, 'intent', language)} — {said(handled.outcome, say)}")
    out("")
    members = store.members.all()
    out(say("Members in the store ({path}): {n}", path=settings.store.path, n=len(members)))
    for member in members:
        name = member.get("name") or say("(no name)")
        status = say(MEMBER_STATUS.get(member["status"], member["status"]))
        out(f"  {member['ref']:<6} {status:<12} {name} <{member['address']}>")
    items = store.items.all()
    out(say("Offers and demands: {n}", n=len(items)))
    for item in items:
        status = say(ITEM_STATUS.get(item["status"], item["status"]))
        out(f"  {item['ref']:<6} {status:<10} {item['title']}  ({item['member']})")
    out("")
    out(say("Mails written to {path}: {n}", path=outbox, n=len(written)))
    for path in written:
        out(f"  {path}")
    out("")
    feed = Path(settings.calendar.output_dir)
    out(say("Calendar published in {path}:", path=feed) if calendar
        else say("Calendar unchanged in {path}:", path=feed))
    for path in sorted(feed.glob("*.ics")):
        out(f"  {path}")
    out("")
    out(say("Open the .eml files with any mail program, and the .ics file with any calendar."))
    out(say("Run `rers demo {folder}` again after adding mail to {mail}/new, or `rers demo --fresh {folder}` to start "
            "over.", folder=directory, mail=settings.mailbox.path))
    return 0
