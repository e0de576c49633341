"""What the shell does once an erasure is written (:mod:`workflows.steps.erasure`): the
person's mail taken out of the mailbox, the public page and the calendar feeds rewritten.

The step erases the person from the store and names them in the plan
(:attr:`workflows.decision.Plan.erased`: ref and address — or, for a linked network's
member, the Message-IDs of our mails that held their contact —, never stored). Once the store
holds the erasure — the runner's batch written and its messages marked done, a job's or a
command's transaction written — :func:`after_erasure`:

1. takes the person's messages out of the mailbox's folders (:func:`clean_mailbox`):
   the done folder (``[mailbox] done_folder``, or the handled messages of the source
   folder when it is unset) and the error folder — the messages from or to the address
   (From, Sender, Reply-To, To, Cc) —, and ``[transport] sent_folder`` — the copies of
   what the robot sent them, and of what it sent the animators about them (a forward of
   their message): any mail in which the address is written. They are deleted, or moved
   to ``[mailbox] erased_folder`` when it is set (see
   ``docs/adhesion-consentement-retrait.md``). For the member of a linked network
   (:meth:`workflows.decision.Plan.erased_copies`: no address, the Message-IDs of the
   mails that gave our member their first name and contact), the copies of those mails:
   in ``sent_folder`` the same way, and in the outbox folder of the folder transport
   (deleted: :func:`workflows.shell.transports.folder.remove_sent`);
2. rewrites the public catalogue page and the calendar feeds at once
   (:func:`workflows.shell.publish.publish_page`, ``publish_calendar``): the person's
   offers and demands leave the page now, not at the next daily publication;
   The failure notes of the messages taken out (``rers parked``: their Message-ID in
   clear) go with them;
3. when the mailbox could not be cleaned, or a file not written, tells the animators
   (template ``erasure_cleanup``): the address is in that notice, which the outbox forgets
   once sent (``forget_after_send``), since after this nothing else holds it.

Logs name the refs only. A process killed between the store's write and this leaves the
person's messages in the folders (documented; the animators then delete them by hand).
"""
from __future__ import annotations

import logging
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable

from config.settings import Settings
from store import Store
from workflows.decision import Erased
from workflows.mail.render import Renderer
from workflows.model.said import Said, said, said_of
from workflows.shell.apply import run
from workflows.shell.errors import os_problem
from workflows.shell.language import words_for
from workflows.shell.mailboxes.base import Mailbox, MailboxError
from workflows.shell.publish import publish_calendar, publish_page
from workflows.shell.transports.folder import remove_sent
from workflows.steps.speaking import tell_animators

log = logging.getLogger(__name__)
audit = logging.getLogger("rers.audit")


@dataclass
class Cleanup:
    """What :func:`after_erasure` did: the messages taken out of each folder (their
    Message-IDs, None for one without); what failed."""

    removed: dict[str, list[str | None]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    """One sentence each (never an address)."""

    @property
    def total(self) -> int:
        return sum(len(ids) for ids in self.removed.values())


def folders(settings: Settings) -> list[tuple[str, bool, str | None]]:
    """The folders an erased person's mail is taken out of: ``(folder, text, keyword)``
    — ``text``: the address anywhere in the message counts (the Sent folder), not only
    in its address fields; ``keyword``: only the messages flagged so (the handled ones
    of the source folder, when ``done_folder`` is unset)."""
    box = settings.mailbox
    if box.kind == "maildir":
        found = [(box.done_folder or "Traités", False, None)]
    elif box.done_folder is None:
        found = [(box.folder, False, box.done_keyword)]
    else:
        found = [(box.done_folder, False, None)]
    found.append((box.error_folder, False, None))
    if settings.transport.sent_folder and box.kind == "imap":
        found.append((settings.transport.sent_folder, True, None))
    return found


def clean_mailbox(settings: Settings, mailbox: Mailbox, addresses: Iterable[str],
                  message_ids: Iterable[str] = ()) -> Cleanup:
    """Take the mail of ``addresses`` (canonical forms) out of :func:`folders` of the open
    ``mailbox``, and the copies of the robot's mails ``message_ids`` (``<…>``) out of
    those searched as text (the Sent folder: only the robot's own mail has its
    Message-IDs); a folder that fails is said in ``problems`` and the others still done."""
    addresses, message_ids = sorted(set(addresses)), sorted(set(message_ids))
    cleanup = Cleanup()
    move_to = settings.mailbox.erased_folder
    for folder, text, keyword in folders(settings):
        ids = message_ids if text else []
        if not addresses and not ids:
            continue
        try:
            cleanup.removed[folder] = mailbox.remove_mail(folder, addresses, text=text, keyword=keyword,
                                                          move_to=move_to, message_ids=ids)
        except MailboxError as error:
            cleanup.problems.append(Said("folder {folder!r}: {error}", folder=folder, error=said_of(error)))
    return cleanup


def clean_outbox_folder(settings: Settings, message_ids: Iterable[str]) -> Cleanup:
    """Delete the files of the robot's mails ``message_ids`` from the outbox folder of the
    folder transport (``[transport] path``; nothing for another transport); a failure is
    said in ``problems``."""
    cleanup = Cleanup()
    path = settings.transport.path
    if settings.transport.kind != "folder" or path is None or not message_ids:
        return cleanup
    try:
        cleanup.removed[str(path)] = remove_sent(path, sorted(set(message_ids)))
    except OSError as error:
        cleanup.problems.append(os_problem(error, Said("the outbox folder: cannot delete")))
    return cleanup


def republish(settings: Settings, store: Store, now: datetime, renderer: Renderer | None = None) -> list[str]:
    """Rewrite the public page and the calendar feeds now; what failed, one sentence each
    (the daily publication tries again)."""
    problems = []
    for what, publish in ((Said("the public catalogue page"), lambda: publish_page(settings, store, now)),
                          (Said("the calendar feeds"), lambda: publish_calendar(settings, store, now, renderer))):
        try:
            publish()
        except OSError as error:  # a full disk, a folder not writable: one line
            problems.append(os_problem(error, Said("{what}: cannot write", what=what)))
        except Exception as error:  # a broken template: said, never raised
            log.exception("after an erasure, %s could not be rewritten", what)
            problems.append(Said("{what}: {error}", what=what, error=str(error)))
    return problems


def _forget_failures(store: Store, cleanup: Cleanup) -> None:
    """The failure notes (``rers status``, ``rers parked``) of the person's messages taken
    out of the error folder: their Message-ID in clear is kept nowhere else, and the
    message they describe is gone."""
    ids = {mid for folder_ids in cleanup.removed.values() for mid in folder_ids if mid}
    if not ids:
        return
    with store.transaction():
        for mid in ids:
            failure = store.failures.find_one("message_id", mid)
            if failure is not None:
                store.failures.delete(failure["id"])


def after_erasure(settings: Settings, store: Store, now: datetime, erased: Iterable[Erased], *,
                  mailbox: Mailbox | None = None, mailbox_factory: Callable[[], Mailbox] | None = None,
                  renderer: Renderer | None = None) -> Cleanup:
    """Finish the erasures ``erased`` (written in the store already; see the module
    docstring) with ``mailbox`` (open, the runner's) or one opened by
    ``mailbox_factory``. Never raises for the mailbox or the files: what failed is told
    to the animators and returned. Raises :class:`store.StoreError` only when even that
    notice cannot be queued."""
    erased = list(erased)
    cleanup = Cleanup()
    if not erased:
        return cleanup
    refs = ", ".join(e.ref for e in erased)
    addresses = sorted({e.address for e in erased if e.address})
    message_ids = sorted({mid for e in erased for mid in e.message_ids})
    if addresses or (message_ids and any(text for _, text, _ in folders(settings))):
        try:
            with (nullcontext(mailbox) if mailbox is not None else mailbox_factory()) as box:
                found = clean_mailbox(settings, box, addresses, message_ids)
            cleanup.removed, cleanup.problems = found.removed, found.problems
        except MailboxError as error:
            cleanup.problems.append(Said("the mailbox: {error}", error=said_of(error)))
    outbox = clean_outbox_folder(settings, message_ids)
    cleanup.removed.update(outbox.removed)
    cleanup.problems.extend(outbox.problems)
    if addresses or message_ids:
        where = settings.mailbox.erased_folder
        audit.info("%s: %d message(s) taken out of the mailbox%s", refs, cleanup.total,
                   f" (moved to {where!r})" if where else "")
        _forget_failures(store, cleanup)
    mailbox_problems = list(cleanup.problems)
    # A member of ours: their items leave the public page now (a linked network's has none here).
    unpublished = republish(settings, store, now, renderer) if any(not e.message_ids for e in erased) else []
    cleanup.problems.extend(unpublished)
    if cleanup.problems:
        log.warning("after erasing %s: %s", refs, "; ".join(cleanup.problems))
        run(settings, store, now, tell_animators, template="erasure_cleanup",
            values={"refs": [e.ref for e in erased], "addresses": addresses if mailbox_problems else [],
                    "message_ids": message_ids if mailbox_problems else [],
                    "folders": [folder for folder, _, _ in folders(settings)],
                    "copies_in": [folder for folder, text, _ in folders(settings) if text]
                    + ([str(settings.transport.path)] if settings.transport.kind == "folder" else []),
                    "unpublished": bool(unpublished),
                    # Said in the network's language, the mail's (the log line above stays English).
                    "problems": [said(problem, words_for(settings)) for problem in cleanup.problems],
                    "erased_folder": settings.mailbox.erased_folder},
            purpose="erasure_cleanup", cause=f"erasure-cleanup:{now.isoformat(timespec='seconds')}:{refs}",
            forget_after_send=True, renderer=renderer)
    return cleanup
