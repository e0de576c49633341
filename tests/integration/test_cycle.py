"""Issue 2 end to end: real mail in Dovecot, `rers poll --once`, answers at aiosmtpd.

The same cycle runs in-process (Runner) and as the real command in a subprocess; then the
same through the embedded default pair (Maildir in, outbox folder out). A second cycle
must do nothing.
"""
from __future__ import annotations

import email
import mailbox
from email import policy

import pytest

from store import Store
from support import ANIMATORS, NETWORK, make_settings, member_mail
from workflows.shell.runner import Runner

pytestmark = pytest.mark.integration

MAILS = {
    "join": member_mail(
        "elise.martin@example.com", "Adhésion",
        "Bonjour,\n\nJe veux adhérer.\n\nNom : Élise Martin\nTéléphone : 06 11 22 33 44\nContact : email\n",
        name="Elise Martin", message_id="<join-1@client.example>"),
    "offer": member_mail(
        "paco.ruiz@example.net", "OFFRE : cours d'espagnol",
        "Je peux apprendre l'espagnol aux débutants.\nDisponibilités : mardi après-midi\n",
        name="Paco Ruiz", message_id="<offer-1@client.example>"),
    "demand": member_mail(
        "lina.petit@example.org", "DEMANDE",
        "Bonjour,\nSavoir : Rédiger un CV\nDisponibilités : lundi matin\n\nSavoir : Utiliser un tableur\n",
        name="Lina Petit", message_id="<demand-1@client.example>"),
    "help": member_mail("karim.b@example.com", "aide", "Comment ça marche ?\n", message_id="<help-1@client.example>"),
    "unknown": member_mail(
        "odile.r@example.com", "Question",
        "Bonjour, la permanence est-elle ouverte pendant les vacances ?\n", message_id="<unknown-1@client.example>"),
}


def by_recipient(received):
    out = {}
    for message in received:
        parsed = email.message_from_bytes(message.data, policy=policy.default)
        for rcpt in message.rcpt_tos:
            out.setdefault(rcpt.lower(), []).append(parsed)
    return out


def text_of(msg) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


def check_answers(mails: dict, store: Store) -> None:
    """What every variant of the cycle must have produced."""
    join = mails["elise.martin@example.com"]
    assert len(join) == 1
    assert join[0]["In-Reply-To"] == "<join-1@client.example>"
    assert join[0]["Auto-Submitted"] == "auto-replied"
    assert join[0]["From"].addresses[0].addr_spec == NETWORK
    assert join[0]["List-Unsubscribe"] is None, "asked to confirm: not a member yet, nothing to leave"
    assert join[0]["Message-ID"].endswith("@example.org>")
    assert "Élise Martin" in text_of(join[0])
    assert join[0].get_body(preferencelist=("html",)) is not None

    offer = mails["paco.ruiz@example.net"]
    assert len(offer) == 1 and "O-1" in offer[0]["Subject"]
    assert "cours d'espagnol" in text_of(offer[0]).lower()

    demand = mails["lina.petit@example.org"]
    assert len(demand) == 1
    assert "D-1" in text_of(demand[0]) and "D-2" in text_of(demand[0])

    assert "OFFRE" in text_of(mails["karim.b@example.com"][0])
    unknown = mails["odile.r@example.com"]
    assert len(unknown) == 1 and "équipe d'animation" in text_of(unknown[0])

    for animator in ANIMATORS:
        # Besides the forward, animators get the calendar's first invitations.
        forwarded = [m for m in mails[animator] if str(m["Subject"]).startswith("[À traiter]")]
        assert len(forwarded) == 1
        assert forwarded[0]["Auto-Submitted"] == "auto-generated"
        attachments = list(forwarded[0].iter_attachments())
        assert attachments and "permanence est-elle ouverte" in attachments[0].get_content().as_string()

    members = {m["address"]: m for m in store.members.all()}
    assert set(members) == {"elise.martin@example.com", "paco.ruiz@example.net", "lina.petit@example.org"}
    assert members["elise.martin@example.com"]["phone"] == "+33611223344"
    titles = {i["ref"]: i["title"] for i in store.items.all()}
    assert titles["D-1"] == "Rédiger un CV" and titles["D-2"] == "Utiliser un tableur"
    assert titles["O-1"].lower() == "cours d'espagnol"
    assert store.ledger.count() == len(MAILS)


@pytest.mark.parametrize("how", ["in-process", "subprocess"])
def test_imap_cycle_answers_and_a_second_cycle_does_nothing(how, imap_robot, imap_account, sink):
    dovecot = imap_account.dovecot
    for raw in MAILS.values():
        dovecot.append(imap_account.user, "INBOX", raw)

    if how == "in-process":
        report = Runner(imap_robot.settings, Store.open(imap_robot.settings.store.path)).cycle()
        assert report.count("handled") == len(MAILS)
    else:
        result = imap_robot.command("poll", "--once")
        assert f"{len(MAILS)} message(s) lu(s) : {len(MAILS)} traité(s)" in result.stdout

    received = sink.wait_for(6)
    store = Store.open(imap_robot.settings.store.path)
    check_answers(by_recipient(received), store)
    assert dovecot.uids(imap_account.user, "INBOX") == []
    assert len(dovecot.uids(imap_account.user, "Traités")) == len(MAILS)
    # Read with PEEK: the robot never marked anything \Seen on the way.
    assert all(b"\\Seen" not in flags for flags in dovecot.flags(imap_account.user, "Traités").values())

    count = len(sink.received)
    if how == "in-process":
        again = Runner(imap_robot.settings, Store.open(imap_robot.settings.store.path)).cycle()
        assert again.handled == [] and again.flush.sent == []
    else:
        assert "0 message(s) lu(s)" in imap_robot.command("poll", "--once").stdout
    assert len(sink.received) == count
    assert Store.open(imap_robot.settings.store.path).outbox.count("status", "queued") == 0


def test_a_message_seen_again_in_the_inbox_is_not_answered_twice(imap_robot, imap_account, sink):
    """A crash after the commit but before the move leaves the message in INBOX: the
    ledger makes the next cycle a no-op for it (and it is moved then)."""
    dovecot = imap_account.dovecot
    dovecot.append(imap_account.user, "INBOX", MAILS["offer"])
    Runner(imap_robot.settings, Store.open(imap_robot.settings.store.path)).cycle()
    sink.wait_for(1)
    dovecot.append(imap_account.user, "INBOX", MAILS["offer"])  # the same message again
    report = Runner(imap_robot.settings, Store.open(imap_robot.settings.store.path)).cycle()
    assert [h.outcome for h in report.handled] == ["repeat"]
    assert len(sink.received) == 1
    assert dovecot.uids(imap_account.user, "INBOX") == []


def test_maildir_and_outbox_folder_cycle(tmp_path):
    settings = make_settings(tmp_path / "robot")
    box = mailbox.Maildir(settings.mailbox.path, create=True)
    for raw in MAILS.values():
        box.add(raw)
    store = Store.open(settings.store.path)
    report = Runner(settings, store).cycle()
    assert report.count("handled") == len(MAILS)

    mails = {}
    for path in sorted(settings.transport.path.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        for rcpt in msg["X-Envelope-To"].split(","):
            mails.setdefault(rcpt.strip().lower(), []).append(msg)
    check_answers(mails, store)
    assert list(box.iterkeys()) == []
    assert len(list(box.get_folder("Traités").iterkeys())) == len(MAILS)

    files = sorted(settings.transport.path.glob("*.eml"))
    again = Runner(settings, Store.open(settings.store.path)).cycle()
    assert again.handled == [] and sorted(settings.transport.path.glob("*.eml")) == files
