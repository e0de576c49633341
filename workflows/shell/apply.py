"""The only code that carries out what a step decided (:class:`workflows.decision.Plan`).

Inside the caller's transaction (the runner's batch, a job's, a command's), in this order:

1. the plan's writes are made in the store, in the order decided, under the ids the
   plan gave (:meth:`store.Collection.insert` with ``doc_id``);
2. each question's token is drawn (:mod:`secrets`, 40 bits), its keyed hash stored in the
   question's document, and its mail filled with it;
3. each mail is rendered (one :class:`~workflows.mail.render.Renderer` per process),
   built (RFC 5322, :mod:`workflows.mail.rfc5322`) and queued in the outbox, in the order
   decided; a mail whose Message-ID is already there is not queued twice;
4. an erasure makes the store forget its backup file once written.

The caller's transaction writes the store file once; the outbox is flushed afterwards.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import replace
from datetime import datetime
from email.message import EmailMessage
from typing import Callable, TypeVar
from urllib.parse import quote

from config.settings import Settings
from store import Store
from workflows.decision import Attachment, Mail, Plan, Resources
from workflows.events.imip import add_calendar_parts
from workflows.mail.labels import readable_name
from workflows.mail.render import Renderer, base_context
from workflows.mail.rfc5322 import attach_original, build_message, needs_smtputf8
from workflows.model.questions import TOKEN_ALPHABET, question_message_id
from workflows.shell.federation import add_signed_parts, load_key
from workflows.shell.outbox import queue_message
from workflows.shell.resources import current_texts, matcher_for

audit = logging.getLogger("rers.audit")

T = TypeVar("T")

TOKEN_KEY = "token_key"
"""State key of the store's own key for keyed hashes (tokens, addresses)."""


def new_token() -> str:
    """A fresh random token, ``RERS-`` + 8 symbols (40 bits from :mod:`secrets`)."""
    return "RERS-" + "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(8))


def token_key(store: Store) -> bytes:
    """The store's key for keyed hashes, created (random, 256 bits) on first use. In a
    transaction when it does not exist yet."""
    key = store.get_state(TOKEN_KEY)
    if key is None:
        key = secrets.token_hex(32)
        store.set_state(TOKEN_KEY, key)
    return bytes.fromhex(key)


def resources(settings: Settings, store: Store) -> Resources:
    """What the steps are given for a batch: the current texts, the store's key, the
    store's matcher. In a transaction (the key may be created)."""
    return Resources(texts=current_texts(settings), token_key=token_key(store), matcher=matcher_for(settings, store))


def apply(plan: Plan, store: Store, renderer: Renderer) -> list[str]:
    """Carry out ``plan`` in ``store`` (see the module docstring). In a transaction.
    Returns the Message-IDs queued. Raises what rendering (``TemplateError``) or the store
    (``StoreError``) raises: the caller's savepoint then undoes it all."""
    tokens = {question.id: new_token() for question in plan.asked}
    hashes = {doc_id: plan.keyed_hash(token.upper()) for doc_id, token in tokens.items()}
    for write in plan.writes:
        collection = store.collections[write.collection]
        if write.op == "insert":
            doc = write.doc if write.collection != "questions" or write.id not in hashes else {
                **write.doc, "token_hash": hashes[write.id]}
            collection.insert(doc, doc_id=write.id)
        elif write.op == "replace":
            doc = write.doc if write.collection != "questions" or write.id not in hashes else {
                **write.doc, "token_hash": hashes[write.id]}
            collection.replace(write.id, doc)
        else:
            collection.delete(write.id)
    domain = plan.settings.network.domain
    for question in plan.asked:
        token = tokens[question.id]
        mail = question.mail
        if mail is None:
            continue
        mail.message_id = question_message_id(token, domain)
        mail.subject_tag = token
        mail.values = {**mail.values, "token": token, "expires": question.expires}
    queued = [mid for mid in (queue_mail(store, plan.settings, renderer, plan.now, mail) for mail in plan.outgoing)
              if mid]
    if plan.erases:
        store.forget_backup()
    for note in plan.notes:
        logging.getLogger(note.logger).log(note.level, note.message, *note.args)
    return queued


def _written(name: str | None, settings: Settings) -> str | None:
    """A recipient's name as the header shows it: a person's as in the greeting (one way to
    write a name to people, :func:`workflows.mail.labels.readable_name`); a linked
    network's as configured (« RERS de Rouen », not « Rers de Rouen »)."""
    if name is not None and name in {peer.name for peer in settings.federation.peers}:
        return name
    return readable_name(name)


def queue_mail(store: Store, settings: Settings, renderer: Renderer, now: datetime, mail: Mail) -> str | None:
    """Render, build and queue one mail (``now``: aware, its Date). Returns its
    Message-ID, or None when a mail with that Message-ID is already in the outbox."""
    network = settings.network
    # An address whose local part is UTF-8 (RFC 6531) can only be written as UTF-8 (RFC
    # 6532): the message then needs SMTPUTF8 all the way, which the transport asks for
    # (and, when the server lacks it, the mail fails and the animators are told).
    smtputf8 = any(needs_smtputf8(address) for _, address in [*mail.to, *mail.cc])
    rendered = renderer.render(mail.template, {**base_context(settings, now, to_member=mail.to_member), **mail.values})
    if mail.subject_tag:
        rendered = replace(rendered, subject=f"[{mail.subject_tag}] {rendered.subject}")
    msg = build_message(
        rendered=rendered,
        sender=(network.name, network.address),
        to=[(_written(name, settings), address) for name, address in mail.to],
        cc=[(_written(name, settings), address) for name, address in mail.cc],
        message_id=mail.message_id,
        date=now,
        in_reply_to=mail.in_reply_to,
        references=list(mail.references),
        auto_submitted=mail.auto_submitted,
        list_unsubscribe=f"mailto:{network.address}?subject={quote(mail.unsubscribe)}" if mail.to_member else None,
        reply_to=mail.reply_to,
        language=network.language,
        smtputf8=smtputf8,
    )
    for attachment in mail.attachments:
        _attach(msg, attachment, settings)
    if not queue_message(store, network.address, now, msg, purpose=mail.purpose, cause=mail.cause,
                         forget_after_send=mail.forget_after_send):
        return None
    return mail.message_id


def _attach(msg: EmailMessage, attachment: Attachment, settings: Settings) -> None:
    if attachment.kind == "original":
        attach_original(msg, attachment.content)
    elif attachment.kind == "calendar":
        add_calendar_parts(msg, attachment.content)
    elif attachment.kind == "signed":
        add_signed_parts(msg, attachment.content, attachment.filename or "message.json", load_key(settings))
    else:
        maintype, _, subtype = attachment.mime.partition("/")
        msg.add_attachment(attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename)


def run(settings: Settings, store: Store, now: datetime, step: Callable[..., T], *args,
        renderer: Renderer | None = None, **kwargs) -> T:
    """Carry out ``step(plan, *args, **kwargs)`` outside a mail cycle — a scheduled job, an
    animator's command — in a transaction of its own: the plan over ``store`` at ``now``
    (aware), then :func:`apply`. Returns what the step returned. Raises what the step or
    :func:`apply` raise (nothing is then written), and :class:`store.StoreBusy` /
    :class:`store.StoreError` when the store cannot be written. The mails leave at the
    next flush. A step that may erase someone goes through :func:`run_plan` instead, so
    that its caller can finish the erasure (:mod:`workflows.shell.erasure`)."""
    return run_plan(settings, store, now, step, *args, renderer=renderer, **kwargs)[0]


def run_plan(settings: Settings, store: Store, now: datetime, step: Callable[..., T], *args,
             renderer: Renderer | None = None, **kwargs) -> tuple[T, Plan]:
    """:func:`run`, returning also the plan carried out (written when this returns): who
    it erased (:attr:`Plan.erased`) is what the shell needs next."""
    with store.transaction():
        plan = Plan(settings, store, now, resources(settings, store))
        result = step(plan, *args, **kwargs)
        apply(plan, store, renderer or Renderer(settings.network.language, settings.network.templates_dir,
                                                 settings.network.timezone))
    return result, plan


def view(settings: Settings, store: Store, now: datetime) -> Plan:
    """A plan over ``store`` at ``now`` (aware) that is never carried out: what a command
    that only looks reads through, and what ``rers decide`` shows. Writes nothing (a store
    without its key yet gets an empty one: no keyed hash it makes is ever kept)."""
    key = store.get_state(TOKEN_KEY)
    return Plan(settings, store, now, Resources(texts=current_texts(settings), token_key=bytes.fromhex(key) if key else b"",
                                                matcher=matcher_for(settings, store)))
