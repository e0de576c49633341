"""Issue 4 through real mail: members write to Dovecot, the robot answers through aiosmtpd.

- joining: the confirmation question, answered "OUI" from Gmail and from Outlook, an
  offer sent before confirming released after;
- the forgery suite: each case checks that the store did not change and that the victim
  received nothing but what the protocol says;
- erasure: after a withdrawal no byte of the member's name, address or phone is left in
  the store's files, and MES DONNÉES from that address finds nothing;
- ``rers poll`` and ``rers members`` as real commands, with ``RERS_NOW`` for the clock.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from membership_support import START, Network, mail, parse, reply, text_of, token_of, traces_in
from support import ANIMATORS
from workflows.model.said import unkept

pytestmark = pytest.mark.integration

ELISE = "elise.martin@example.com"
MALLORY = "mallory@example.net"
JOIN = "Bonjour,\nJe voudrais adhérer.\nNom : Élise Martin\nTéléphone : 06 11 22 33 44\n"


@pytest.fixture
def net(imap_robot, imap_account, sink):
    return Network(imap_robot, imap_account, sink)


def confirmed_member(net, address=ELISE, body=JOIN, name="Élise Martin"):
    net.cycle(mail(address, "ADHÉSION", body, name=name))
    net.cycle(reply(net.to(address)[-1], address, "Oui", name=name))
    assert net.store().members.find_one("address", address)["status"] == "confirmed"


@pytest.mark.parametrize("style", ["gmail", "outlook"])
def test_join_confirmed_by_a_real_reply_releases_the_offer_sent_before(net, style):
    assert net.cycle(mail(ELISE, "ADHÉSION", JOIN, name="Élise Martin")) == ["handled: join M-1 new, confirmation asked"]
    (question,) = net.to(ELISE)
    assert token_of(question) and question["Message-ID"] == f"<{token_of(question)}.1@example.org>"
    assert question["Auto-Submitted"] == "auto-replied"
    assert question["List-Unsubscribe"] is None, "asked to confirm: not a member yet, nothing to leave"
    assert "LA CHARTE DU RÉSEAU" in text_of(question)

    net.now += timedelta(hours=1)
    outcome = net.cycle(mail(ELISE, "OFFRE : Rédiger un CV", "Disponibilités : lundi matin\n"))
    assert outcome == ["handled: join M-1 pending O-1, confirmation asked"]
    assert net.store().items.find_one("ref", "O-1")["status"] == "held"

    net.now += timedelta(hours=1)
    answer = reply(question, ELISE, "Oui, je confirme.\nÉlise", name="Élise Martin", style=style)
    assert net.cycle(answer) == ["handled: join confirmed: M-1 O-1"]
    store = net.store()
    assert store.members.find_one("address", ELISE)["status"] == "confirmed"
    assert store.items.find_one("ref", "O-1")["status"] == "open"
    (consent,) = store.consents.all()
    assert consent["how"] == "mail" and consent["message_id"] == parse(answer)["Message-ID"]
    welcome = net.to(ELISE)[-1]
    assert "Bienvenue" in str(welcome["Subject"]) and "O-1" in text_of(welcome)
    assert welcome["List-Unsubscribe"] == "<mailto:rers.test@example.org?subject=RETRAIT>", "a member now"
    assert all(not net.forwarded(a) for a in ANIMATORS)


# --- the forgery suite --------------------------------------------------------------------


@pytest.fixture
def victim(net):
    """Élise, confirmed, with an offer and a withdrawal question waiting for her."""
    confirmed_member(net, body=JOIN + "Offre : Rédiger un CV\n")
    net.cycle(mail(ELISE, "RETRAIT", ""))
    question = net.to(ELISE)[-1]
    assert "Quitter" in str(question["Subject"])
    return question


def unchanged(net, raws, outcome, *, victim_gets=()):
    """Deliver ``raws``; the store must not change, the victim must get exactly the mails
    whose subjects contain ``victim_gets``, and the animators the refused message."""
    before, count, told = net.snapshot(), len(net.to(ELISE)), len(net.forwarded())
    assert net.cycle(*raws) == [outcome]
    assert net.snapshot() == before
    new = [str(m["Subject"]) for m in net.to(ELISE)[count:]]
    assert len(new) == len(victim_gets) and all(w in s for w, s in zip(victim_gets, new)), new
    if outcome.startswith("handled: refused"):
        assert len(net.forwarded()) == told + 1


def test_forged_retrait_only_brings_the_victim_the_question(net):
    confirmed_member(net)
    unchanged(net, [mail(ELISE, "RETRAIT", "Supprimez tout.\n", name="Élise Martin")],
              "handled: withdraw M-1: confirmation asked", victim_gets=["Quitter"])


def test_forged_oui_without_a_token(net, victim):
    forged = mail(ELISE, "Re: votre message", "OUI\n")
    unchanged(net, [forged], "handled: forwarded to the animators", victim_gets=["Votre message"])


def test_the_victims_token_replayed_from_another_address(net, victim):
    unchanged(net, [reply(victim, MALLORY, "OUI")], "handled: refused: wrong address")


def test_a_used_token(net, victim):
    assert net.cycle(reply(victim, ELISE, "Non")) == ["handled: withdraw M-1: kept"]
    # Her own address answering again: told the question is closed, a person will answer.
    unchanged(net, [reply(victim, ELISE, "OUI", style="outlook")], "handled: refused: already answered",
              victim_gets=["Votre réponse au"])


def test_an_expired_token_through_the_real_command(net, victim):
    net.account.dovecot.append(net.account.user, "INBOX", reply(victim, ELISE, "OUI"))
    before = net.snapshot()
    result = net.robot.command("poll", "--once", now=(START + timedelta(days=31)).isoformat())
    assert "1 traité(s)" in result.stdout
    assert net.snapshot() == before
    assert unkept(net.store().ledger.all()[-1]["outcome"]) == "refused: expired"
    assert "Votre réponse au" in str(net.to(ELISE)[-1]["Subject"])
    assert "le délai pour y répondre est passé" in " ".join(text_of(net.to(ELISE)[-1]).split())


def test_a_token_for_another_question(net, victim):
    confirmed_member(net, MALLORY, body="Nom : Mallory\nOffre : Serrurerie\n", name="Mallory")
    net.cycle(mail(MALLORY, "RETRAIT O-2", ""))
    own = net.to(MALLORY)[-1]
    unchanged(net, [reply(own, MALLORY, "POUR M-1 : OUI")], "handled: refused: wrong member")
    raw = reply(victim, MALLORY, "OUI", subject=f"Re: [{token_of(own)}] Retirer O-2")  # References: Élise's
    before = net.snapshot()
    assert net.cycle(raw) == ["handled: withdraw_item O-2: closed"]
    after = net.snapshot()
    assert after["members"] == before["members"] and after["consents"] == before["consents"]
    assert [i["status"] for i in after["items"]] == ["open", "closed"], "only Mallory's own item"


def test_an_answer_to_a_join_question_from_a_third_party(net):
    net.cycle(mail(ELISE, "ADHÉSION", JOIN))
    question = net.to(ELISE)[-1]
    before, count = net.snapshot(), len(net.to(ELISE))
    assert net.cycle(reply(question, MALLORY, "OUI")) == ["handled: refused: wrong address"]
    assert net.snapshot() == before and len(net.to(ELISE)) == count
    assert net.store().members.find_one("address", ELISE)["status"] == "pending"


# --- erasure --------------------------------------------------------------------------------


def test_after_withdrawal_no_byte_of_the_member_is_left(net):
    confirmed_member(net, body=JOIN + "Offre : Rédiger un CV\nDemande : Parler espagnol\n")
    net.cycle(mail(ELISE, "Une question", "Élise Martin, 06 11 22 33 44 : la permanence est ouverte ?\n", cte="8bit"))
    needles = ("Élise Martin", ELISE, "+33611223344", "06 11 22 33 44")
    assert traces_in(net.store_bytes(), *needles)

    net.cycle(mail(ELISE, "RETRAIT", ""))
    assert net.cycle(reply(net.to(ELISE)[-1], ELISE, "OUI", style="outlook")) == ["handled: withdraw M-1: erased"]
    goodbye = net.to(ELISE)[-1]
    assert "effacées" in str(goodbye["Subject"])
    net.now += timedelta(minutes=1)
    assert net.cycle() == []  # one more write: the backup is the erased version too
    assert traces_in(net.store_bytes(), *needles) == []
    assert net.store().tombstones.all()[0]["reason"] == "withdrawn"

    net.now += timedelta(days=1)  # five answers today already: the daily limit
    assert net.cycle(mail(ELISE, "MES DONNÉES", "")) == ["handled: my_data: nothing stored"]
    answer = net.to(ELISE)[-1]
    assert "ne garde aucune donnée" in text_of(answer) and not list(answer.iter_attachments())
    net.now += timedelta(minutes=1)
    assert net.cycle() == []
    assert traces_in(net.store_bytes(), *needles) == []


def test_members_commands_and_pending_expiry_through_the_real_command(net):
    robot = net.robot
    out = robot.command("members", "add", "--name", "Jeanne Roux", "--consent", "oral, à la permanence",
                        "--by", "Claire", "--offer", "Tricot").stdout
    assert out.startswith("M-1 inscrit : Jeanne Roux, O-1 Tricot")
    net.cycle(mail(ELISE, "ADHÉSION", JOIN))
    assert [m["status"] for m in net.store().members.all()] == ["confirmed", "pending"]
    expired = robot.command("members", "expire", now=(START + timedelta(days=30)).isoformat()).stdout
    assert expired == "1 membre(s) en attente effacé(s) : M-2\n"
    assert robot.command("members", "forget", "M-1", "--by", "Claire", "--yes").returncode == 0
    assert net.store().members.count() == 0
    assert [t["reason"] for t in net.store().tombstones.all()] == ["pending_expired", "forgotten"]
