"""Issue 14, erasure leaves nothing — in the mailbox, through real Dovecot and aiosmtpd:
once a withdrawal, an expired join or `rers members forget` is written, the person's
messages leave the done folder (``Traités``), the error folder (``Erreurs``) and the
Sent folder (``Envoyés``: what the robot sent them, and the forward of their message to
the animators) — deleted, or moved to ``[mailbox] erased_folder`` —, while everybody
else's mail stays, a longer address that contains theirs included."""
from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy

import pytest

from membership_support import START, Network, mail, reply
from support import ANIMATORS, fail_on
from workflows.model.traces import mail_concerns, message_id_of
from workflows.shell.erasure import clean_mailbox
from workflows.shell.runner import open_mailbox

pytestmark = pytest.mark.integration

ELISE = "elise.martin@example.com"
MARTIN = "martin@example.com"  # inside Élise's address: never taken for hers, nor hers for his
JOIN = "Bonjour,\nJe voudrais adhérer.\nNom : {name}\n"


def people(raws: list[bytes]) -> list[str]:
    """Every address in From, To and Cc of each message, one string per message."""
    found = []
    for raw in raws:
        msg = message_from_bytes(raw, policy=policy.default)
        found.append(" ".join(a.addr_spec.lower() for h in ("From", "To", "Cc") if msg[h] for a in msg[h].addresses))
    return found


def join(net, address: str, name: str) -> None:
    net.cycle(mail(address, "ADHÉSION", JOIN.format(name=name), name=name))
    net.cycle(reply(net.to(address)[-1], address, "Oui", name=name))
    assert net.store().members.find_one("address", address)["status"] == "confirmed"


@pytest.fixture
def robot(robot_factory):
    return robot_factory(transport_extra='sent_folder = "Envoyés"')


def _life_of_elise(net, monkeypatch) -> None:
    """Élise and Martin join; Élise writes something the robot forwards to the animators
    (her message attached), and a message that fails three times (parked)."""
    join(net, ELISE, "Élise Martin")
    join(net, MARTIN, "Paul Martin")
    net.cycle(mail(ELISE, "Une question", "La permanence est-elle ouverte en août ?\n"))
    # 8-bit: forwarded to the animators as a base64 attachment, her address inside it.
    net.cycle(mail(ELISE, "Encore une", "Où est la salle du Havre ? Merci, Élise\n", cte="8bit"))
    sent = net.account.dovecot.fetch_all(net.account.user, "Envoyés")
    assert any(ELISE in p for p in people(sent))
    assert any(ELISE not in p and mail_concerns(raw, frozenset({ELISE}), text=True)
               for p, raw in zip(people(sent), sent)), "a forward of hers to the animators"
    with monkeypatch.context() as patched:
        fail_on(patched, b"POISON-ELISE")
        net.cycle(mail(ELISE, "AIDE", "POISON-ELISE\n"))
        net.cycle()
        net.cycle()
    assert len(net.account.dovecot.fetch_all(net.account.user, "Erreurs")) == 1
    assert len(net.store().failures.all()) == 1


def _folders(net) -> dict[str, list[bytes]]:
    box = net.account.dovecot
    return {name: box.fetch_all(net.account.user, name)
            for name in ("INBOX", "Traités", "Erreurs", "Envoyés", "Effacés")}


def _nothing_of_elise(folders: dict[str, list[bytes]]) -> None:
    for name in ("INBOX", "Traités", "Erreurs", "Envoyés"):
        for raw in folders[name]:
            # Decoded too: a forward of an 8-bit message carries hers as a base64 attachment.
            assert not mail_concerns(raw, frozenset({ELISE}), text=True), f"a message naming Élise is left in {name}"


def test_a_withdrawal_takes_her_mail_out_of_every_folder_and_leaves_the_others(robot, imap_account, sink, monkeypatch):
    net = Network(robot, imap_account, sink)
    _life_of_elise(net, monkeypatch)
    before = _folders(net)
    martins = [raw for raw in before["Traités"] + before["Envoyés"]
               if MARTIN.encode() in raw and ELISE.encode() not in raw]
    assert martins
    net.cycle(mail(ELISE, "RETRAIT", ""))
    net.now += timedelta(minutes=5)
    assert net.cycle(reply(net.to(ELISE)[-1], ELISE, "OUI")) == ["handled: withdraw M-1: erased"]
    after = _folders(net)
    _nothing_of_elise(after)
    assert after["Effacés"] == [], "deleted: no erased_folder is set"
    assert net.store().failures.all() == [], "the note of her parked message (its Message-ID) went with it"
    kept = after["Traités"] + after["Envoyés"]
    assert all(raw in kept for raw in martins), "Paul Martin's mail is all there"
    assert "effacées" in str(net.to(ELISE)[-1]["Subject"]), "the goodbye still reached her"
    # The goodbye itself never reaches the Sent folder (the robot keeps nothing of it).
    net.now += timedelta(minutes=5)
    net.cycle()
    _nothing_of_elise(_folders(net))
    notice = [m for m in net.to(ANIMATORS[0]) if "a quitté le réseau" in str(m["Subject"])]
    assert notice and "supprimés" in notice[-1].get_body(("plain",)).get_content()

    # A linked network's member left (no address kept here): the robot's mail with their
    # contact is taken out of the Sent folder by its Message-ID, and only it.
    sent = _folders(net)["Envoyés"]
    one = next(message_id_of(raw) for raw in sent if MARTIN.encode() in raw)
    with open_mailbox(robot.settings) as box:
        assert clean_mailbox(robot.settings, box, [], [one]).removed == {"Envoyés": [one]}
    assert [message_id_of(raw) for raw in _folders(net)["Envoyés"]] == [message_id_of(raw) for raw in sent
                                                                      if message_id_of(raw) != one]


def test_with_an_erased_folder_her_mail_is_moved_there(robot_factory, imap_account, sink, monkeypatch):
    robot = robot_factory(transport_extra='sent_folder = "Envoyés"', mailbox_extra='erased_folder = "Effacés"')
    net = Network(robot, imap_account, sink)
    _life_of_elise(net, monkeypatch)
    net.cycle(mail(ELISE, "RETRAIT", ""))
    net.cycle(reply(net.to(ELISE)[-1], ELISE, "OUI"))
    after = _folders(net)
    _nothing_of_elise(after)
    moved = after["Effacés"]
    assert len(moved) >= 6 and all(ELISE.encode() in raw.lower() for raw in moved), "hers, and only hers"
    assert any(ELISE not in p for p in people(moved)), "the forward of her message to the animators too"


def test_forget_and_expiry_through_the_real_commands(robot, imap_account, sink):
    net = Network(robot, imap_account, sink)
    join(net, ELISE, "Élise Martin")
    net.cycle(mail(MARTIN, "ADHÉSION", JOIN.format(name="Paul Martin")))  # never confirmed
    assert ELISE.encode() in b"".join(_folders(net)["Traités"])
    out = robot.command("members", "forget", "M-1", "--by", "Claire", "--yes").stdout
    assert "M-1 effacé" in out and "retiré(s) de la boîte (supprimés)" in out
    _nothing_of_elise(_folders(net))
    assert any(MARTIN in p for p in people(_folders(net)["Traités"])), "his join waits for his answer"
    expired = robot.command("members", "expire", now=(START + timedelta(days=31)).isoformat()).stdout
    assert expired == "1 membre(s) en attente effacé(s) : M-2\n"
    for name, raws in _folders(net).items():
        assert not any(MARTIN in p.split() for p in people(raws)), name


def test_the_public_page_is_rewritten_at_once(robot, imap_account, sink):
    net = Network(robot, imap_account, sink)
    join(net, ELISE, "Élise Martin")
    net.cycle(mail(ELISE, "OFFRE : Cuisine andalouse", ""))
    robot.command("catalogue", "publish")
    page = robot.settings.catalogue.output_dir or robot.settings.calendar.output_dir
    path = next(p for p in page.glob("*.html"))
    assert "Cuisine andalouse" in path.read_text()
    net.cycle(mail(ELISE, "RETRAIT", ""))
    net.cycle(reply(net.to(ELISE)[-1], ELISE, "OUI"))
    assert "Cuisine andalouse" not in path.read_text(), "not at the next daily publication: now"


def test_the_batches_after_an_erasure_are_read_from_the_inbox_still(robot_factory, imap_account, sink):
    """Cleaning selects other folders in the middle of a cycle: the next batch is still
    fetched from the folder the robot reads (one message a batch here)."""
    robot = robot_factory(transport_extra='sent_folder = "Envoyés"', mailbox_extra="batch_size = 1")
    net = Network(robot, imap_account, sink)
    join(net, ELISE, "Élise Martin")
    net.cycle(mail(ELISE, "RETRAIT", ""))
    outcomes = net.cycle(reply(net.to(ELISE)[-1], ELISE, "OUI"), mail("paco.ruiz@example.net", "AIDE", "?\n"),
                         mail("rose@example.net", "AIDE", "?\n"))
    assert outcomes == ["handled: withdraw M-1: erased", "handled: help sent", "handled: help sent"]
    folders = _folders(net)
    _nothing_of_elise(folders)
    assert folders["INBOX"] == [] and len(folders["Traités"]) == 2
