"""A member's life in the network (issue 18, protocol.md « The member's life in the
network »): a pause and a return, interest in a listed item, freshness, the monthly news,
invitations by kind, a new address, open reciprocity. Mails go through the real parser,
the route table and the renderer (:class:`intro_support.Net`), the clock in hand."""
from __future__ import annotations

from datetime import timedelta

import pytest

import group_support as knit
from intro_support import ANIMATORS, Net
from workflows.shell.apply import view
from workflows.shell.jobs import pauses_job
from workflows.steps import catalogue
from workflows.steps.reports import build_report

MARIE, PACO, LEA = "marie@example.org", "paco@example.org", "lea@example.org"


@pytest.fixture
def net(tmp_path) -> Net:
    return Net(tmp_path)


def status(net: Net, ref: str) -> str:
    return net.store.items.find_one("ref", ref)["status"]


def flat(text: str) -> str:
    return " ".join(text.split())


# --- pause and return -----------------------------------------------------------------------


def test_a_pause_hides_the_members_items_until_the_date_and_brings_them_back_with_a_notice(net):
    marie = net.member(MARIE, "Marie Dupont")
    paco = net.member(PACO, "Paco Ruiz")
    offer = net.item(marie, "offer", "Cours d'espagnol")
    demand = net.item(marie, "demand", "Réparer un vélo")
    outcome = net.send(MARIE, "PAUSE jusqu'au 15 mars", "Je pars en formation.")
    assert outcome.startswith("pause M-1 until 2027-03-15")
    assert status(net, offer["ref"]) == status(net, demand["ref"]) == "paused"
    ack = net.mails("pause_done", MARIE)[-1]
    assert "lundi 15 mars 2027" in flat(ack.text) and "REPRISE" in ack.text and "Cours d'espagnol" in ack.text
    # hidden: no catalogue entry, no proposal for a matching demand
    assert catalogue.entries(net.ctx()) == {"offers": [], "demands": []}
    net.item(paco, "demand", "Apprendre l'espagnol")
    assert net.store.introductions.all() == []
    # the animators see who is paused: the report and `rers members`
    report = build_report(net.settings, net.ctx(), net.now.date(), net.now.date(), net.now.date())
    assert [(m["ref"], m["until"]) for m in report["paused"]] == [("M-1", "2027-03-15")]
    # the day before, still paused; on the day, back with a short notice, and matched
    net.now = net.now.replace(year=2027, month=3, day=14)
    assert pauses_job(net.settings, net.store, net.now) == []
    net.now += timedelta(days=1)
    assert pauses_job(net.settings, net.store, net.now) == ["M-1"]
    assert status(net, offer["ref"]) == "open" and net.store.members.find_one("ref", "M-1").get("pause") is None
    back = net.mails("pause_done", MARIE)[-1]
    assert "de retour" in back.subject and "Cours d'espagnol" in back.text
    assert [(i["offer"], i["demand"]) for i in net.store.introductions.all()] == [(offer["ref"], "D-2")]
    assert pauses_job(net.settings, net.store, net.now) == []  # once


@pytest.mark.parametrize("written, until, unread", [
    ("jusqu'au 31 février", None, "31 février"),
    ("jusqu'au 30/02", None, "30/02"),
    ("jusqu'au mois prochain", None, "mois prochain"),
    ("jusqu'à fin mars", "2027-03-31", None),
    ("jusqu'à la fin d'avril", "2027-04-30", None),
    ("jusqu'à fin décembre", "2026-12-31", None),
    ("jusqu'au 15 mars", "2027-03-15", None),
    ("jusqu'à nouvel ordre", None, None),
    ("jusqu'à ce que je finisse ma formation", None, None),
])
def test_a_pause_date_is_read_or_said_not_understood_never_replaced(written, until, unread):
    from datetime import datetime, timezone

    from workflows.mail.parse import _pause_until
    assert _pause_until(written, datetime(2026, 12, 7, 10, tzinfo=timezone.utc)) == (until, unread)


def test_a_pause_date_that_does_not_exist_is_said_not_understood_in_the_answer(net):
    net.member(MARIE, "Marie Dupont")
    assert net.send(MARIE, "PAUSE jusqu'au 31 février", "").startswith("pause M-1 until REPRISE")
    ack = flat(net.mails("pause_done", MARIE)[-1].text)
    assert "Nous n'avons pas compris la date « 31 février »" in ack and "PAUSE jusqu'au 15 mars" in ack
    assert "février" not in ack.replace("« 31 février »", "")  # no other date made of it
    assert net.send(MARIE, "PAUSE jusqu'à fin mars", "").startswith("pause M-1 until 2027-03-31")
    assert "pas compris" not in net.mails("pause_done", MARIE)[-1].text


def test_reprise_ends_a_pause_and_reopens_the_items_freshness_set_aside_but_not_a_closed_one(net):
    marie = net.member(MARIE, "Marie Dupont")
    offer = net.item(marie, "offer", "Cours d'espagnol")
    stale = net.item(marie, "demand", "Tricot")
    closed = net.item(marie, "demand", "Réparer un vélo")
    with net.store.transaction():
        net.store.items.update(stale["id"], status="paused", paused_by="freshness", freshness_asked=net.now.isoformat())
        net.store.items.update(closed["id"], status="closed")
    assert net.send(MARIE, "PAUSE", "").startswith("pause M-1 until REPRISE")
    assert "REPRISE" in net.mails("pause_done", MARIE)[-1].text
    assert net.send(MARIE, "Reprise", "Bonjour, je suis de retour !") == "resume M-1: 2 item(s) open again"
    assert status(net, offer["ref"]) == status(net, stale["ref"]) == "open", "she is back: what waited for her too"
    assert status(net, closed["ref"]) == "closed", "what she closed stays closed"
    assert net.store.items.find_one("ref", stale["ref"]).get("freshness_asked") is None
    ack = flat(net.mails("pause_done", MARIE)[-1].text)
    assert "mis de côté faute de réponse" in ack and "Tricot" in ack and f"RETRAIT {stale['ref']}" in ack
    assert "Réparer un vélo" not in ack
    assert net.send(MARIE, "REPRISE", "") == "resume M-1: was not paused"
    assert "pas en pause" in net.mails("pause_done", MARIE)[-1].text
    assert "mis de côté" not in net.mails("pause_done", MARIE)[-1].text


def test_reprise_without_a_pause_reopens_what_freshness_set_aside(net):
    marie = net.member(MARIE, "Marie Dupont")
    stale = net.item(marie, "offer", "Cours d'espagnol")
    with net.store.transaction():
        net.store.items.update(stale["id"], status="paused", paused_by="freshness")
    assert net.send(MARIE, "REPRISE", "") == "resume M-1: was not paused, 1 set-aside item(s) open again"
    assert status(net, stale["ref"]) == "open"
    ack = flat(net.mails("pause_done", MARIE)[-1].text)
    assert "pas en pause" in ack and "mis de côté faute de réponse" in ack and "Cours d'espagnol" in ack


def test_a_pause_written_for_another_member_does_nothing_and_reaches_the_animators(tmp_path):
    net = Net(tmp_path, network='authserv_id = "mx.example.org"')
    marie = net.member(MARIE, "Marie Dupont")
    offer = net.item(marie, "offer", "Cours d'espagnol")
    forged = "mx.example.org; dmarc=fail (p=reject) header.from=example.org"
    assert net.send(MARIE, "PAUSE", "", headers={"Authentication-Results": forged}) == "forwarded: forged"
    assert status(net, offer["ref"]) == "open"
    # a web form's relay naming her: not her own address
    relay = net.send("form@relay.example.net", "PAUSE", "", headers={"Reply-To": MARIE})
    assert relay.startswith("refused: pause not from the member's own address")
    assert status(net, offer["ref"]) == "open"
    # a stranger's PAUSE is nobody's: to the animators
    assert net.send("someone@example.net", "PAUSE", "") == "forwarded to the animators"


def test_rers_members_list_shows_who_is_paused(net, capsys):
    from workflows.commands.members import cmd_list

    net.member(MARIE, "Marie Dupont")
    net.send(MARIE, "PAUSE jusqu'au 15 mars", "")

    class Args:
        config = net.settings.source
        status = None

    cmd_list(Args())
    assert "(en pause jusqu'au lundi 15 mars 2027)" in capsys.readouterr().out


@pytest.mark.parametrize("written, shown", [("confirmed", True), ("Confirmé", True), ("en attente", False)])
def test_rers_members_list_status_takes_the_word_the_list_shows(net, capsys, written, shown):
    from workflows.cli import main

    net.member(MARIE, "Marie Dupont")
    assert main(["members", "list", "--status", written, "--config", str(net.settings.source)]) == 0
    assert ("Marie Dupont" in capsys.readouterr().out) is shown


# --- interest in a listed item ----------------------------------------------------------------


def test_interest_in_an_offer_records_a_demand_and_proposes_the_pair_to_the_animators(net):
    marie = net.member(MARIE, "Marie Dupont", phone="+33612345678")
    net.member(PACO, "Paco Ruiz")
    offer = net.item(marie, "offer", "Cours de tricot")
    outcome = net.send(PACO, "Je m'intéresse à O-1", "Bonjour, j'aimerais bien apprendre.")
    assert outcome == "interest O-1: D-1 recorded, MR-1 proposed"
    demand = net.store.items.find_one("ref", "D-1")
    assert (demand["kind"], demand["member"], demand["title"], demand["interest_in"]) == (
        "demand", "M-2", "Cours de tricot", offer["ref"])
    intro = net.intro("MR-1")
    assert (intro["offer"], intro["demand"], intro["source"], intro["status"]) == ("O-1", "D-1", "interest", "proposed")
    proposal = net.mails("question:approve", ANIMATORS[0])[-1]
    assert "je m'intéresse à" in proposal.text
    ack = net.mails("interest_done", PACO)[-1]
    assert "O-1" in ack.subject and "D-1" in ack.text
    # the ack names nobody: no name, address or phone of the offerer
    for secret in ("Marie", "Dupont", MARIE, "06 12", "612345678"):
        assert secret not in ack.everything()
    # said again: nothing new
    assert net.send(PACO, "Je m'intéresse à O-1", "") == "interest O-1: D-1 kept, no new proposal"
    assert len(net.store.introductions.all()) == 1


def test_interest_in_a_demand_records_an_offer(net):
    marie = net.member(MARIE, "Marie Dupont")
    net.member(PACO, "Paco Ruiz")
    net.item(marie, "demand", "Réparer un vélo")
    assert net.send(PACO, "D-1 m'intéresse", "") == "interest D-1: O-1 recorded, MR-1 proposed"
    assert net.store.items.find_one("ref", "O-1")["member"] == "M-2"


def test_an_offer_made_for_a_demand_has_an_offerers_title_and_reads_well(net):
    from workflows.steps.interest import offer_title

    assert offer_title("apprendre le tricot") == "Le tricot"
    assert offer_title("Apprendre à coudre") == "Coudre"
    assert offer_title("Réparer un vélo") == "Réparer un vélo"
    marie = net.member(MARIE, "Marie Dupont")
    net.member(PACO, "Paco Ruiz")
    net.item(marie, "demand", "apprendre le tricot")
    assert net.send(PACO, "D-1 m'intéresse", "").startswith("interest D-1: O-1 recorded")
    assert net.store.items.find_one("ref", "O-1")["title"] == "Le tricot"
    ack = flat(net.mails("interest_done", PACO)[-1].text)
    assert "une offre, O-1 « Le tricot »" in ack and "la offre" not in ack


def test_interest_in_ones_own_a_paused_or_an_unknown_item_records_nothing(net):
    marie = net.member(MARIE, "Marie Dupont")
    net.member(PACO, "Paco Ruiz")
    net.item(marie, "offer", "Cours de tricot")
    assert net.send(MARIE, "Je m'intéresse à O-1", "") == "interest O-1: own"
    assert net.send(PACO, "Je m'intéresse à O-99", "") == "interest O-99: unknown"
    net.send(MARIE, "PAUSE", "")
    assert net.send(PACO, "Je m'intéresse à O-1", "") == "interest O-1: unknown"
    assert "pas dans la liste" in net.mails("interest_done", PACO)[-1].subject
    assert [i["ref"] for i in net.store.items.all()] == ["O-1"]


def test_a_reply_to_the_catalogue_naming_a_reference_is_interest(net):
    marie = net.member(MARIE, "Marie Dupont")
    net.member(PACO, "Paco Ruiz")
    net.item(marie, "offer", "Cours de tricot")
    assert net.send(PACO, "RE: Les savoirs du RERS de Test", "Le O-1 m'intéresse !").startswith("interest O-1: D-1")


def test_interest_from_a_member_with_a_matching_open_demand_proposes_that_demand_and_records_no_other(net):
    marie = net.member(MARIE, "Marie Dupont")
    paco = net.member(PACO, "Paco Ruiz")
    lea = net.member(LEA, "Léa Martin")
    net.item(marie, "offer", "Cours d'espagnol")                    # O-1
    net.item(paco, "demand", "Cours d'espagnol")                    # D-1: the same title
    net.item(lea, "demand", "Apprendre l'espagnol pour voyager")     # D-2: a matching one
    assert [(i["offer"], i["demand"]) for i in net.store.introductions.all()] == [("O-1", "D-1")]  # matching's
    assert net.send(PACO, "Je m'intéresse à O-1", "") == "interest O-1: D-1 reused, no new proposal"
    assert net.send(LEA, "Le O-1 m'intéresse", "") == "interest O-1: D-2 reused, MR-2 proposed"
    assert [i["ref"] for i in net.store.items.all() if i["kind"] == "demand"] == ["D-1", "D-2"]
    assert [(i["offer"], i["demand"]) for i in net.store.introductions.all()] == [("O-1", "D-1"), ("O-1", "D-2")]
    ack = flat(net.mails("interest_done", LEA)[-1].text)
    assert "D-2 « Apprendre l'espagnol pour voyager » y correspond déjà" in ack and "sans en créer une autre" in ack
    assert net.send(LEA, "Je m'intéresse à O-1", "") == "interest O-1: D-2 kept, no new proposal"


def test_interest_in_a_demand_from_a_member_with_a_matching_open_offer_reuses_the_offer(net):
    marie = net.member(MARIE, "Marie Dupont")
    paco = net.member(PACO, "Paco Ruiz")
    net.item(marie, "demand", "Réparer un vélo")           # D-1
    net.item(paco, "offer", "Réparation de vélos")        # O-1, maybe proposed with D-1 already
    assert net.send(PACO, "Je m'intéresse à D-1", "").startswith("interest D-1: O-1 reused")
    assert [i["ref"] for i in net.store.items.all() if i["member"] == "M-2"] == ["O-1"]
    assert [(i["offer"], i["demand"]) for i in net.store.introductions.all()] == [("O-1", "D-1")]


def spanish_while_waiting(net: Net) -> dict:
    """Paco's demand D-1 waits on MR-1 (with Marie's O-1) when he says O-2 (Léa's)
    interests him; Léa's O-3 scores best with D-1. Returns Marie."""
    marie = net.member(MARIE, "Marie Dupont")
    paco = net.member(PACO, "Paco Ruiz")
    lea = net.member(LEA, "Léa Martin")
    net.item(marie, "offer", "Cours d'espagnol")                     # O-1
    net.item(paco, "demand", "Cours d'espagnol")                     # D-1: MR-1 with O-1
    net.item(lea, "offer", "Espagnol pour voyager")                  # O-2: D-1 waits, no proposal
    net.item(lea, "offer", "Cours d'espagnol")                       # O-3: the best score for D-1
    assert [(i["offer"], i["demand"]) for i in net.store.introductions.all()] == [("O-1", "D-1")]
    assert net.send(PACO, "Je m'intéresse à O-2", "") == "interest O-2: D-1 reused, waits on another proposal"
    return marie


def test_interest_while_ones_demand_waits_on_another_proposal_is_kept_and_proposed_first_when_it_is_free(net):
    spanish_while_waiting(net)
    assert [i["ref"] for i in net.store.introductions.all()] == ["MR-1"], "one proposal at a time"
    assert net.store.items.find_one("ref", "D-1")["interest_in"] == "O-2"
    ack = flat(net.mails("interest_done", PACO)[-1].text)
    assert "nous la proposerons avec O-2" in ack
    assert "Votre demande D-1 attend déjà une réponse pour une autre mise en relation" in ack
    assert "si l'autre ne se fait pas, nous proposerons ensuite votre demande avec O-2" in ack
    assert "Vous n'avez rien à refaire" in ack and "va regarder cette mise en relation" not in ack
    html = net.mails("interest_done", PACO)[-1].message.get_body(preferencelist=("html",)).get_content()
    assert "attend déjà une réponse" in html
    # said again while it waits: still kept, still nothing proposed
    assert net.send(PACO, "Je m'intéresse à O-2", "") == "interest O-2: D-1 kept, waits on another proposal"
    # MR-1 refused: D-1 is free, and the pair Paco asked for comes before O-3's better score
    assert net.answer(ANIMATORS[0], "question:approve", "NON").startswith("MR-1 refused")
    intro = net.intro("MR-2")
    assert (intro["offer"], intro["demand"], intro["source"], intro["status"]) == ("O-2", "D-1", "interest", "proposed")
    assert "je m'intéresse à" in net.mails("question:approve", ANIMATORS[0])[-1].text


def test_a_kept_interest_is_not_proposed_when_its_pair_is_no_longer_allowed(net):
    marie = spanish_while_waiting(net)
    assert net.send(LEA, "PAUSE", "").startswith("pause M-3")       # O-2 (and O-3) no longer listed
    net.item(marie, "offer", "Cours d'espagnol débutants")           # O-4
    assert net.answer(ANIMATORS[0], "question:approve", "NON").startswith("MR-1 refused")
    assert [(i["offer"], i["demand"], i["source"]) for i in net.store.introductions.all()][1:] == [
        ("O-4", "D-1", "matching")], "the asked pair is gone: matching's best partner"


def test_interest_while_ones_offer_waits_is_proposed_once_the_other_introduction_is_made(net):
    marie = net.member(MARIE, "Marie Dupont")
    paco = net.member(PACO, "Paco Ruiz")
    lea = net.member(LEA, "Léa Martin")
    net.item(paco, "offer", "Réparation de vélos")                   # O-1
    net.item(marie, "demand", "Réparer un vélo")                     # D-1: MR-1 with O-1
    net.item(lea, "demand", "Apprendre à réparer un vélo")           # D-2: O-1 waits
    assert [(i["offer"], i["demand"]) for i in net.store.introductions.all()] == [("O-1", "D-1")]
    assert net.send(PACO, "Je m'intéresse à D-2", "") == "interest D-2: O-1 reused, waits on another proposal"
    ack = flat(net.mails("interest_done", PACO)[-1].text)
    assert "Votre offre O-1 attend déjà une réponse" in ack
    assert "dès que l'autre sera terminée, nous proposerons ensuite votre offre avec D-2" in ack
    assert len(net.store.introductions.all()) == 1
    assert net.answer(ANIMATORS[0], "question:approve", "OUI").startswith("MR-1 approved")
    net.answer(MARIE, "question:consent", "oui")
    assert net.answer(PACO, "question:consent", "oui") == "MR-1 introduced"
    intro = net.intro("MR-2")
    assert (intro["offer"], intro["demand"], intro["source"]) == ("O-1", "D-2", "interest")


def test_interest_does_not_reuse_a_demand_already_served(net):
    marie = net.member(MARIE, "Marie Dupont")
    paco = net.member(PACO, "Paco Ruiz")
    lea = net.member(LEA, "Léa Martin")
    net.item(marie, "offer", "Cours d'espagnol")                     # O-1
    net.item(paco, "demand", "Cours d'espagnol")                     # D-1: MR-1 with O-1
    assert net.answer(ANIMATORS[0], "question:approve", "OUI").startswith("MR-1 approved")
    net.answer(MARIE, "question:consent", "oui")
    assert net.answer(PACO, "question:consent", "oui") == "MR-1 introduced"
    net.item(lea, "offer", "Cours d'espagnol")                       # O-2: D-1 is served, no proposal
    assert net.send(PACO, "Je m'intéresse à O-2", "") == "interest O-2: D-2 recorded, MR-2 proposed"
    assert (net.intro("MR-2")["offer"], net.intro("MR-2")["demand"]) == ("O-2", "D-2")


def test_rers_match_proposes_the_pair_a_free_item_asked_for_first(net):
    from workflows.steps.introductions import rematch

    marie = net.member(MARIE, "Marie Dupont")
    paco = net.member(PACO, "Paco Ruiz")
    net.item(marie, "offer", "Cours d'espagnol", opened=False)       # O-1: the best score
    net.item(marie, "offer", "Espagnol pour voyager", opened=False)  # O-2
    demand = net.item(paco, "demand", "Cours d'espagnol", opened=False)
    assert [(p.offer, p.demand) for p in net.step(rematch, dry_run=True)] == [("O-1", "D-1")], "matching's best"
    with net.store.transaction():
        net.store.items.update(demand["id"], interest_in="O-2")
    assert [(p.offer, p.demand) for p in net.step(rematch)] == [("O-2", "D-1")]
    assert net.intro("MR-1")["source"] == "interest"


def test_interest_from_someone_not_a_member_tells_them_how_to_join_and_the_animators_why(net):
    marie = net.member(MARIE, "Marie Dupont")
    net.item(marie, "offer", "Cours de tricot")
    outcome = net.send("inconnu@example.org", "Je m'intéresse à O-1", "Bonjour !")
    assert outcome == "interest O-1: not a member, told how to join"
    ack = net.mails("interest_done", "inconnu@example.org")[-1]
    assert "pour les membres" in ack.subject and "ADHÉSION" in ack.text and "Marie" not in ack.everything()
    forward = net.mails("interest_not_member", ANIMATORS[0])[-1]
    assert "pas membre du réseau s'intéresse à O-1" in flat(forward.text)
    assert "n'a pas compris" not in forward.text
    assert [i["ref"] for i in net.store.items.all()] == ["O-1"] and net.store.introductions.all() == []


# --- freshness ----------------------------------------------------------------------------------


def fresh(net: Net, days: float):
    from workflows.shell.jobs import freshness_job

    net.now += timedelta(days=days)
    return freshness_job(net.settings, net.store, net.now)


def test_an_item_untouched_for_freshness_days_is_asked_and_kept_by_oui(net):
    marie = net.member(MARIE, "Marie Dupont")
    offer = net.item(marie, "offer", "Cours de tricot")
    assert fresh(net, 89).asked == []
    assert fresh(net, 1).asked == ["O-1"]
    question = net.mails("question:still_current", MARIE)[-1]
    assert "Toujours d'actualité" in question.subject and "OUI" in question.text and "21 jours" in question.text
    assert fresh(net, 1).asked == []  # asked once
    assert net.answer(MARIE, "question:still_current", "Oui\n\ntoujours !") == "still_current O-1: kept"
    assert net.mails("answer_remarks") == [], "a short exclamation after a clear OUI is no remark"
    assert status(net, offer["ref"]) == "open"
    assert "reste proposée" in flat(net.mails("still_current_done", MARIE)[-1].text)
    # counted again from the OUI
    assert fresh(net, 89).asked == [] and fresh(net, 1).asked == ["O-1"]


def test_non_withdraws_the_item(net):
    marie = net.member(MARIE, "Marie Dupont")
    offer = net.item(marie, "offer", "Cours de tricot")
    fresh(net, 90)
    assert net.answer(MARIE, "question:still_current", "Non merci") == "still_current O-1: closed"
    assert status(net, offer["ref"]) == "closed"


def test_no_answer_sets_the_item_aside_and_a_later_oui_brings_it_back_to_matching(net):
    marie = net.member(MARIE, "Marie Dupont")
    paco = net.member(PACO, "Paco Ruiz")
    offer = net.item(marie, "offer", "Cours d'espagnol")
    fresh(net, 90)
    assert fresh(net, 20).paused == []
    assert fresh(net, 1).paused == ["O-1"]
    assert status(net, offer["ref"]) == "paused" and catalogue.entries(net.ctx())["offers"] == []
    net.item(paco, "demand", "Apprendre l'espagnol")
    assert net.store.introductions.all() == []  # hidden from matching
    net.now += timedelta(days=30)
    assert net.answer(MARIE, "question:still_current", "oui") == "still_current O-1: reopened"
    assert status(net, offer["ref"]) == "open"
    assert [(i["offer"], i["demand"]) for i in net.store.introductions.all()] == [("O-1", "D-1")]
    assert "de nouveau" in net.mails("still_current_done", MARIE)[-1].text


def test_a_proposal_counts_as_freshness(net):
    marie = net.member(MARIE, "Marie Dupont")
    paco = net.member(PACO, "Paco Ruiz")
    net.item(marie, "offer", "Cours d'espagnol")
    net.now += timedelta(days=60)
    net.item(paco, "demand", "Apprendre l'espagnol")  # proposed: MR-1
    assert net.intro("MR-1") is not None
    assert fresh(net, 30).asked == []  # 90 days old, proposed 30 days ago
    assert fresh(net, 60).asked == ["O-1", "D-1"]


def test_freshness_days_is_a_setting(tmp_path):
    net = Net(tmp_path, extra="[matching]\nfreshness_days = 30\n")
    net.item(net.member(MARIE, "Marie Dupont"), "offer", "Cours de tricot")
    assert fresh(net, 30).asked == ["O-1"]


# --- the monthly news ------------------------------------------------------------------------


def news_at(net: Net, when):
    from workflows.shell.jobs import news_job

    net.now = when
    return news_job(net.settings, net.store, net.now)


def test_the_news_goes_on_the_first_monday_to_those_who_asked_only_without_names(net):
    from datetime import datetime, timezone

    marie = net.member(MARIE, "Marie Dupont", phone="+33612345678")
    net.member(PACO, "Paco Ruiz")
    net.member(LEA, "Léa Martin")
    assert net.send(PACO, "Nouvelles : oui", "Bonjour,\n\nMerci").startswith("preferences M-2")
    assert net.store.members.find_one("ref", "M-2")["digest"] is True
    net.item(marie, "offer", "Cours de tricot, appelez-moi au 06 12 34 56 78")
    hidden = net.item(marie, "demand", "Réparer un vélo")
    with net.store.transaction():
        net.store.items.update(hidden["id"], status="paused", paused_by="member")
    # not a Monday, then the second Monday of the month: nothing
    assert news_at(net, datetime(2026, 12, 8, 9, 0, tzinfo=timezone.utc)) == []
    # the first Monday of December, before 8 a.m. local: not yet; then once
    assert news_at(net, datetime(2026, 12, 7, 6, 0, tzinfo=timezone.utc)) == []
    assert news_at(net, datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)) == ["M-2"]
    assert news_at(net, datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)) == []
    mails = net.mails("news")
    assert [m.recipients for m in mails] == [[PACO]]
    mail = mails[0]
    assert mail.subject.startswith("Nouvelles du")
    assert mail.message["List-Unsubscribe"] == f"<mailto:{net.settings.network.address}?subject=Nouvelles%20%3A%20non>"
    assert "O-1" in mail.text and "Cours de tricot" in mail.text and "D-1" not in mail.text  # paused: hidden
    for secret in ("Marie", "Dupont", MARIE, "06 12 34", "612345678"):
        assert secret not in mail.everything()
    # « Nouvelles : non » stops it
    net.send(PACO, "Nouvelles : non", "")
    net.item(marie, "offer", "Couture")
    assert news_at(net, datetime(2027, 1, 4, 9, 0, tzinfo=timezone.utc)) == []
    assert len(net.mails("news")) == 1


def test_a_month_without_a_new_item_sends_no_news(net):
    from datetime import datetime, timezone

    net.member(PACO, "Paco Ruiz")
    net.send(PACO, "Nouvelles : oui", "")
    assert news_at(net, datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)) == []
    assert net.mails("news") == []


def test_nouvelles_oui_is_acknowledged_in_words(net):
    net.member(PACO, "Paco Ruiz")
    net.send(PACO, "Nouvelles : oui", "")
    assert "Nouvelles du mois : oui" in net.mails("preferences_done", PACO)[-1].text
    net.send(PACO, "Nouvelles : non", "")
    assert "Nouvelles du mois : non" in net.mails("preferences_done", PACO)[-1].text


# --- a new address ----------------------------------------------------------------------------

NEW = "marie.dupont@nouveau.example"


def test_a_new_address_is_asked_at_the_new_address_and_on_oui_everything_moves(net):
    from workflows.steps import consents

    marie = net.member(MARIE, "Marie Dupont")
    offer = net.item(marie, "offer", "Cours d'espagnol")
    net.step(lambda plan: consents.record(plan, member="M-1", purpose="membership", how="oral",
                                          recorded_by="Claire"))
    net.step(lambda plan: questions_ask(plan))
    outcome = net.send(MARIE, f"NOUVELLE ADRESSE : {NEW}", "Bonjour, voici ma nouvelle adresse.")
    assert outcome == "address_change M-1: confirmation asked at the new address"
    question = net.mails("question:address_change", NEW)[-1]
    assert "OUI" in question.text and "Marie" not in question.everything() and MARIE not in question.everything()
    assert "question envoyée" not in question.subject
    assert "nouvelle adresse" in flat(net.mails("address_change_done", MARIE)[-1].text)
    assert net.store.members.find_one("ref", "M-1")["address"] == MARIE, "nothing moves before the OUI"
    assert net.answer(NEW, "question:address_change", "OUI") == "address_change M-1: moved to the new address"
    member = net.store.members.find_one("ref", "M-1")
    assert member["address"] == NEW and net.store.members.find_one("address", MARIE) is None
    assert net.store.items.find_one("ref", offer["ref"])["member"] == "M-1"
    assert [c["purpose"] for c in net.store.consents.find("member", "M-1")] == ["membership"]
    assert [q["address"] for q in net.store.questions.all() if q["kind"] == "still_current"] == [NEW]
    assert "a changé" in net.mails("address_change_done", MARIE)[-1].text and NEW not in net.mails(to=MARIE)[-1].text
    assert "C'est fait" in net.mails("address_change_done", NEW)[-1].text
    # afterwards: the old address gets nothing (test_member_life_retest.py: whatever it writes)
    count = len(net.mails(to=MARIE))
    net.send(NEW, "CATALOGUE", "")
    assert net.send(MARIE, "CATALOGUE", "") == "refused: catalogue from the former address of M-1"
    assert net.mails(to=MARIE)[count:] == []
    assert net.mails("catalogue", NEW)


def test_a_late_answer_says_expired_and_the_old_address_of_a_member_who_moved_gets_nothing(net):
    marie = net.member(MARIE, "Marie Dupont")
    paco = net.member(PACO, "Paco Ruiz")
    net.item(paco, "offer", "Cours d'espagnol")
    net.item(marie, "demand", "Cours d'espagnol")
    assert net.answer(ANIMATORS[0], "question:approve", "OUI").startswith("MR-1 approved")
    old_token = net.token(MARIE, "question:consent")
    net.later(60)  # nobody answered: the introduction ended, its questions with it
    assert {q["status"] for q in net.store.questions.all() if q["kind"] == "consent"} == {"cancelled"}
    assert net.answer(PACO, "question:consent", "OUI") == "refused: expired"
    closed = flat(net.mails("question_closed", PACO)[-1].text)
    assert "le délai pour y répondre est passé" in closed and "annulée" not in closed
    net.send(MARIE, f"NOUVELLE ADRESSE : {NEW}", "")
    assert net.answer(NEW, "question:address_change", "OUI") == "address_change M-1: moved to the new address"
    assert net.store.members.find_one("ref", "M-1").get("invitations") is not True
    last_notice = flat(net.mails("address_change_done", MARIE)[-1].text)
    assert "ne recevra plus rien" in last_notice and "un message pour chacun" not in last_notice, "no invitations"
    count = len(net.mails(to=MARIE))
    outcome = net.send(MARIE, f"RE: [{old_token}] la question", "OUI")
    assert outcome == "refused: expired (former address)"
    assert net.mails(to=MARIE)[count:] == [], "nothing more to the old address"
    forward = net.mails("refused_reply", ANIMATORS[0])[-1]
    assert "ancienne adresse de M-1" in flat(forward.text)


def questions_ask(plan):
    from workflows.steps import questions

    member = plan.members.find_one("ref", "M-1")
    questions.ask_member(plan, member, kind="still_current", subject_ref="O-1", template="still_current",
                         values={"item": {"ref": "O-1", "kind": "offer", "title": "Cours d'espagnol"},
                                 "wait_days": 21},
                         cause="test", data={"item": "O-1"})


def test_non_at_the_new_address_changes_nothing_and_another_address_cannot_answer(net):
    net.member(MARIE, "Marie Dupont")
    net.send(MARIE, f"Nouvelle adresse : {NEW}", "")
    token = net.token(NEW, "question:address_change")
    assert net.send(MARIE, f"RE: [{token}] la question", "OUI").startswith("refused")
    assert net.store.members.find_one("ref", "M-1")["address"] == MARIE
    assert net.answer(NEW, "question:address_change", "NON") == \
        "address_change M-1: refused at the new address, nothing changed"
    assert net.store.members.find_one("ref", "M-1")["address"] == MARIE
    assert "ne change pas" in net.mails("address_change_done", MARIE)[-1].subject


def test_an_address_already_known_is_not_asked_and_goes_to_the_animators(net):
    net.member(MARIE, "Marie Dupont")
    net.member(PACO, "Paco Ruiz")
    assert net.send(MARIE, f"NOUVELLE ADRESSE : {PACO}", "") == "address_change M-1: not possible, forwarded"
    assert not net.mails("question:address_change")
    told = net.mails("address_change_done", MARIE)[-1]
    assert "Paco" not in told.everything() and PACO not in told.text, "never whose the address is"
    assert net.mails("address_change", ANIMATORS[0])


def test_a_new_address_written_from_elsewhere_does_nothing(net):
    net.member(MARIE, "Marie Dupont")
    outcome = net.send("web@site.example", f"NOUVELLE ADRESSE : {NEW}", "", headers={"Reply-To": MARIE})
    assert outcome in ("forwarded to the animators",) or outcome.startswith("refused")
    assert not net.mails("question:address_change")
    assert net.store.members.find_one("ref", "M-1")["address"] == MARIE


def test_rers_members_set_address_asks_the_new_address_first(net, capsys):
    from workflows.commands.members import cmd_set

    net.member(MARIE, "Marie Dupont")

    class Args:
        config = net.settings.source
        ref = "M-1"
        name = phone = contact = invitations = None
        address = NEW
        by = "Claire"

    import os
    os.environ["RERS_NOW"] = net.now.isoformat()
    try:
        cmd_set(Args())
    finally:
        del os.environ["RERS_NOW"]
    assert "OUI" in capsys.readouterr().out
    assert net.store.members.find_one("ref", "M-1")["address"] == MARIE
    from store import Store

    net.store = Store.open(net.settings.store.path)  # what the command wrote
    (question,) = [d for d in net.store.outbox.all() if d["purpose"] == "question:address_change"]
    assert question["recipients"] == [NEW] and question["status"] == "sent"
    token = net.store.questions.find("address", NEW)[0]
    assert token["kind"] == "address_change" and token["data"]["by"] == "Claire"


def test_rers_members_set_address_and_list_speak_french(net, capsys):
    from workflows.cli import main

    net.member(MARIE, "Marie Dupont")
    net.member(PACO, "Paco Ruiz")
    config = str(net.settings.source)

    def refused(*args: str) -> str:
        assert main(["members", "set", *args, "--by", "Claire", "--config", config]) == 1
        return capsys.readouterr().err

    said = refused("M-1", "--address", PACO)
    assert "déjà connue du réseau" in said and "Paco" not in said
    assert "M-1 a déjà cette adresse" in refused("M-1", "--address", MARIE)
    said = refused("M-1", "--address", "pas une adresse")
    assert "adresse invalide : pas une adresse" in said and "pas de nouvelle adresse" not in said
    assert "s’utilise seul" in refused("M-1", "--address", NEW, "--phone", "0611223344")
    assert "M-1 n’aurait plus de numéro" in refused("M-1", "--contact", "phone")
    with net.store.transaction():
        net.store.members.update(net.store.members.find_one("ref", "M-2")["id"], undeliverable=True)
    assert main(["members", "list", "--config", config]) == 0
    listed = capsys.readouterr().out
    assert "(injoignable)" in listed and "2 membre(s)" in listed


# --- open reciprocity, without a currency -------------------------------------------------------


def good_exchange(net: Net, *, demand_title: str = "Apprendre l'espagnol") -> tuple[dict, dict]:
    """Paco offers, Léa asks: introduced, then Léa's bilan « Échange réalisé : oui »."""
    paco = net.member(PACO, "Paco Ruiz", phone="+33611223344")
    lea = net.member(LEA, "Léa Martin", phone="+33699887766")
    net.item(paco, "offer", "Cours d'espagnol")
    net.item(lea, "demand", demand_title)
    assert net.answer(ANIMATORS[0], "question:approve", "OUI").startswith("MR-1 approved")
    net.answer(PACO, "question:consent", "oui")
    assert net.answer(LEA, "question:consent", "oui") == "MR-1 introduced"
    assert net.later(21).bilans == ["MR-1"]
    return paco, lea


def etvous(net: Net) -> list:
    return [m for m in net.mails("reciprocity") if m.purpose == "reciprocity"]


def reply_to(mail, body: str, net: Net, sender: str, subject: str | None = None) -> str:
    """A reply to one of the robot's mails, as a mail client writes it: Re: its subject,
    In-Reply-To its Message-ID, no token anywhere."""
    mid = str(mail.message["Message-ID"])
    return net.send(sender, subject or f"Re: {mail.subject}", body, headers={"In-Reply-To": mid, "References": mid})


def test_a_good_bilan_on_the_asking_side_brings_et_vous_once_a_semester_with_titles_and_no_names(net):
    marie = net.member(MARIE, "Marie Dupont", phone="+33612345678")
    net.item(marie, "demand", "Coudre un ourlet, appelez le 06 12 34 56 78")
    good_exchange(net)
    assert net.answer(PACO, "question:bilan", "Échange réalisé : oui") == "MR-1 bilan offer: yes"
    assert etvous(net) == [], "the offering side is not asked"
    assert net.answer(LEA, "question:bilan", "Échange réalisé : oui\nIntérêt : j'ose parler") == \
        "MR-1 bilan demand: yes"
    (mail,) = etvous(net)
    assert mail.recipients == [LEA] and mail.subject.startswith("Et vous, qu'aimeriez-vous transmettre")
    assert mail.token is None, "no question: a reply is read as any reply to the robot"
    text = flat(mail.text)
    assert "D-1 : Coudre un ourlet" in text and "OFFRE" in text and "NON MERCI" in text
    everything = mail.everything()
    assert "Marie" not in everything and "Dupont" not in everything and "06 12" not in everything
    assert "Paco" not in everything, "never whose item it was"
    assert net.store.members.find_one("address", LEA)["reciprocity"]["asked"]
    assert "D-2" not in text, "not her own demand"
    # another good exchange in the same semester: no second mail
    from workflows.steps import reciprocity

    intro = net.intro()
    assert net.step(reciprocity.after_good_bilan, intro["ref"], intro["demand_member"]) is None
    net.now += timedelta(days=reciprocity.SEMESTER_DAYS)
    assert net.step(reciprocity.after_good_bilan, intro["ref"], intro["demand_member"]) is not None
    assert len(etvous(net)) == 2


def test_a_bilan_saying_no_or_ongoing_brings_no_et_vous(net):
    good_exchange(net)
    net.answer(LEA, "question:bilan", "Échange réalisé : en cours")
    assert etvous(net) == []


def test_an_offre_in_reply_to_et_vous_is_recorded_as_her_offer(net):
    good_exchange(net)
    net.answer(LEA, "question:bilan", "Échange réalisé : oui")
    (mail,) = etvous(net)
    outcome = reply_to(mail, "Bonjour,\n\nOFFRE : cours de tricot\n\nMerci !\n\n> Et vous, qu'aimeriez-vous", net, LEA)
    assert outcome == "recorded O-2", outcome
    offer = net.store.items.find_one("ref", "O-2")
    assert (offer["member"], offer["kind"], offer["title"]) == ("M-2", "offer", "cours de tricot")


def test_an_offer_in_prose_in_reply_to_et_vous_is_an_offer(net):
    good_exchange(net)
    net.answer(LEA, "question:bilan", "Échange réalisé : oui")
    (mail,) = etvous(net)
    outcome = reply_to(mail, "Je peux montrer comment réparer un vélo.", net, LEA)
    offer = net.store.items.find_one("ref", "O-2")
    assert offer is not None and offer["member"] == "M-2" and "vélo" in offer["title"], outcome


def test_non_merci_to_et_vous_is_never_asked_again(net):
    from workflows.steps import reciprocity

    good_exchange(net)
    net.answer(LEA, "question:bilan", "Échange réalisé : oui")
    (mail,) = etvous(net)
    assert reply_to(mail, "Non merci", net, LEA) == "reciprocity M-2: never asked again"
    assert net.store.members.find_one("ref", "M-2")["reciprocity"]["declined"]
    assert "ne vous demanderons plus" in flat(net.mails("reciprocity_done", LEA)[-1].text)
    net.now += timedelta(days=400)
    assert net.step(reciprocity.after_good_bilan, net.intro()["ref"], net.intro()["demand_member"]) is None
    assert len(etvous(net)) == 1
    # someone else answering NON MERCI to Léa's mail: not hers to say
    net.member(MARIE, "Marie Dupont")
    assert reply_to(mail, "Non merci", net, MARIE) != "reciprocity M-3: never asked again"


def test_my_data_shows_the_members_own_counts(net):
    good_exchange(net)
    from workflows.steps.my_data import export

    lea = net.store.members.find_one("ref", "M-2")
    assert export(net.ctx(), lea)["counts"] == {"transmitted": 0, "received": 1, "groups": 0}
    paco = net.store.members.find_one("ref", "M-1")
    assert export(net.ctx(), paco)["counts"] == {"transmitted": 1, "received": 0, "groups": 0}
    net.send(LEA, "MES DONNÉES", "")
    text = flat(net.mails("my_data", LEA)[-1].text)
    assert "savoirs transmis : 0" in text and "savoirs reçus : 1" in text and "groupes : 0" in text


def test_my_data_after_a_good_bilan_says_it_was_received_and_the_demand_served(net):
    good_exchange(net)
    net.answer(LEA, "question:bilan", "Échange réalisé : oui")
    net.send(LEA, "MES DONNÉES", "")
    text = flat(net.mails("my_data", LEA)[-1].text)
    assert "MR-1 : votre bilan est reçu, merci (échange réalisé)" in text and "bilan demandé" not in text
    assert "D-1 (demande, satisfaite par MR-1)" in text and "ouverte" not in text


def test_a_time_after_an_offers_title_in_a_sentence_is_its_availability():
    from workflows.mail.parse import _only_when

    assert _only_when("le dimanche.") and _only_when("le samedi matin") and _only_when("en semaine après 18 h")
    assert not _only_when("pour les débutants") and not _only_when("le dimanche, avec mes outils")


def test_an_offer_in_prose_keeps_le_dimanche_as_its_availability(net):
    net.member(PACO, "Paco Ruiz")
    assert net.send(PACO, "OFFRE", "Je peux montrer comment réparer un vélo, le dimanche.").startswith("recorded O-1")
    offer = net.store.items.find_one("ref", "O-1")
    assert (offer["title"], offer["availability"], offer["description"]) == ("réparer un vélo", "le dimanche", None)


def test_the_report_counts_receivers_without_offers_and_cycles_without_names():
    from workflows.model.reciprocity import cycles, received_without_offering

    def made(ref, giver, receiver):
        return {"ref": ref, "status": "completed", "introduced": "2026-11-01T00:00:00+00:00",
                "offer_member": giver, "demand_member": receiver}

    intros = [made("MR-1", "M-1", "M-2"), made("MR-2", "M-2", "M-3"), made("MR-3", "M-3", "M-1"),
              made("MR-4", "M-4", "M-5"), made("MR-5", "M-5", "M-4"),  # a direct exchange: no cycle
              made("MR-6", "M-1", "M-6"), made("MR-7", "M-6", "M-7"), made("MR-8", "M-7", "M-8"),
              made("MR-9", "M-8", "M-1"),
              {**made("MR-10", "M-3", "M-9"), "status": "declined", "introduced": None}]
    assert cycles(intros) == [3, 4]
    members = [{"ref": f"M-{n}", "status": "confirmed"} for n in range(1, 10)]
    items = [{"kind": "offer", "member": m} for m in ("M-1", "M-2", "M-3", "M-4", "M-5", "M-6", "M-7")]
    assert received_without_offering(members, items, intros) == 1  # M-8; M-9's introduction was not made


def test_the_monthly_report_shows_reciprocity_as_counts(net):
    good_exchange(net)
    report = build_report(net.settings, net.ctx(), net.now.date(), net.now.date(), net.now.date())
    assert report["reciprocity"] == {"received_not_offering": 1, "cycles": 0, "lengths": []}
    net.step(lambda plan: __import__("workflows.steps.reports", fromlist=["queue_report"]).queue_report(
        plan, report, cause="test"))
    text = flat(net.mails("report")[-1].text)
    assert "Membres qui ont reçu sans rien offrir encore : 1" in text and "Léa" not in text


# --- standing consent, scoped to an offer ----------------------------------------------------


def standing_offer(net: Net, contact: str = "email") -> None:
    """Paco (phone, contact by e-mail) writes his offer with « Accord permanent : oui »."""
    net.member(PACO, "Paco Ruiz", phone="+33611223344", contact=contact)
    outcome = net.send(PACO, "OFFRE : cours d'espagnol", "Accord permanent : oui\n")
    assert outcome == "recorded O-1", outcome


def test_a_standing_consent_puts_the_asker_in_touch_without_asking_the_offerer(net):
    standing_offer(net)
    offer = net.store.items.find_one("ref", "O-1")
    assert offer["standing_consent"] is True
    (grant,) = [c for c in net.store.consents.all() if c["purpose"] == "standing"]
    assert (grant["member"], grant["subject_ref"], grant["given"], grant["how"]) == ("M-1", "O-1", True, "mail")
    lea = net.member(LEA, "Léa Martin", phone="+33699887766")
    net.item(lea, "demand", "Apprendre l'espagnol")
    assert net.answer(ANIMATORS[0], "question:approve", "OUI").startswith("MR-1 approved")
    assert [m.recipients for m in net.mails("question:consent")] == [[LEA]], "only the asker is asked"
    intro = net.intro()
    assert intro["consents"]["offer"] == "yes" and intro["standing"] == "O-1"
    (used,) = [c for c in net.store.consents.find("member", "M-1") if c["purpose"] == "introduction"]
    assert (used["how"], used["subject_ref"], used["message_id"]) == ("standing", "MR-1", grant["message_id"])
    assert net.answer(LEA, "question:consent", "oui") == "MR-1 introduced"
    (to_lea,) = net.mails("introduction", LEA)
    assert "Paco" in to_lea.text and "paco@example.org" in to_lea.text
    # As the asker was told, the offerer gets her contact (both consented: she by her OUI,
    # he once and for all), and a notice of the consent used, with how to stop it.
    (to_paco,) = net.mails("introduction", PACO)
    assert "Léa" in to_paco.text
    (notice,) = net.mails("standing_used", PACO)
    assert notice.subject.startswith("O-1 :") and "Léa" in notice.text and "STOP" in notice.text
    everything = notice.everything()
    assert "Martin" not in everything and LEA not in everything and "06 99" not in everything


def test_with_a_standing_consent_the_mails_never_say_the_offerer_is_asked(net):
    standing_offer(net)
    lea = net.member(LEA, "Léa Martin")
    net.item(lea, "demand", "Apprendre l'espagnol")
    net.answer(ANIMATORS[0], "question:approve", "OUI")
    question = flat(net.mails("question:consent", LEA)[-1].text)
    assert "Paco a déjà donné son accord pour ce savoir" in question and "dit oui aussi" not in question
    net.answer(LEA, "question:consent", "oui")
    to_paco = flat(net.mails("introduction", PACO)[-1].text)
    assert "avec votre accord permanent, une personne a dit oui" in to_paco and "tous les deux" not in to_paco
    to_lea = flat(net.mails("introduction", LEA)[-1].text)
    assert "l'accord était déjà donné de l'autre côté" in to_lea and "tous les deux" not in to_lea
    net.send(PACO, "MES DONNÉES", "")
    my_data = flat(net.mails("my_data", PACO)[-1].text)
    assert "accord donné d'avance (accord permanent O-1)" in my_data and "par votre accord permanent" not in my_data


def test_the_welcome_says_an_offer_with_a_standing_consent_is_not_asked_first(net):
    outcome = net.send(PACO, "OFFRE : cours d'espagnol", "Je m'appelle Paco Ruiz.\nAccord permanent : oui")
    assert outcome.startswith("join M-1"), outcome
    assert net.answer(PACO, "question:join", "OUI").startswith("join confirmed: M-1")
    welcome = flat(net.mails("join_done", PACO)[-1].text)
    assert "nous vous demanderons d'abord votre accord — sauf pour O-1" in welcome


def test_preferences_say_how_to_change_ones_address(net):
    net.member(PACO, "Paco Ruiz")
    net.send(PACO, "Bonjour", "Contact : téléphone")
    ack = flat(net.mails("preferences_done", PACO)[-1].text)
    assert "NOUVELLE ADRESSE :" in ack and "votre adresse, parlez-en" not in ack


def test_a_decline_by_the_asker_is_not_told_to_an_offerer_never_asked(net):
    standing_offer(net)
    net.item(net.member(LEA, "Léa Martin"), "demand", "Apprendre l'espagnol")
    net.answer(ANIMATORS[0], "question:approve", "OUI")
    assert net.answer(LEA, "question:consent", "non") == "MR-1 declined"
    assert net.mails("introduction_cancelled", PACO) == []


def test_never_for_a_member_met_at_the_permanence(net):
    standing_offer(net, contact="permanence")
    net.item(net.member(LEA, "Léa Martin"), "demand", "Apprendre l'espagnol")
    net.answer(ANIMATORS[0], "question:approve", "OUI")
    assert sorted(m.recipients[0] for m in net.mails("question:consent")) == [LEA, PACO]
    assert not net.intro().get("standing")


def test_stop_in_reply_to_the_notice_ends_it_and_the_next_asker_asks_the_offerer_again(net):
    standing_offer(net)
    lea = net.member(LEA, "Léa Martin")
    net.item(lea, "demand", "Apprendre l'espagnol")
    net.answer(ANIMATORS[0], "question:approve", "OUI")
    net.answer(LEA, "question:consent", "oui")
    (notice,) = net.mails("standing_used", PACO)
    assert reply_to(notice, "STOP", net, PACO) == "standing M-1: stopped on O-1"
    assert net.store.items.find_one("ref", "O-1")["standing_consent"] is False
    assert [c["given"] for c in [c for c in net.store.consents.all() if c["purpose"] == "standing"]] == [True, False]
    assert "plus de mise en relation sans votre accord" in flat(net.mails("standing_done", PACO)[-1].text)
    # someone else's STOP to Paco's notice changes nothing
    assert not reply_to(notice, "STOP", net, LEA).startswith("standing")
    marie = net.member(MARIE, "Marie Dupont")
    net.item(marie, "demand", "Cours d'espagnol pour débutants")
    (intro,) = [i for i in net.store.introductions.all() if i["demand"] == "D-2"]
    net.answer(ANIMATORS[0], "question:approve", "OUI")
    intro = net.store.introductions.get(intro["id"])
    assert not intro.get("standing") and intro["consents"]["offer"] is None
    assert PACO in [m.recipients[0] for m in net.mails("question:consent")]


def test_accord_permanent_non_alone_stops_every_offer_and_oui_with_a_ref_gives_it(net):
    net.member(PACO, "Paco Ruiz")
    net.send(PACO, "OFFRE : cours d'espagnol", "Accord permanent : oui")
    net.send(PACO, "OFFRE : cours de guitare", "Accord permanent : oui")
    assert net.send(PACO, "Accord permanent : non", "") == "standing M-1: stopped on O-1, O-2"
    assert net.send(PACO, "Bonjour", "Accord permanent : oui\nO-2") == "standing M-1: given on O-2"
    assert net.store.items.find_one("ref", "O-2")["standing_consent"] is True
    assert net.store.items.find_one("ref", "O-1")["standing_consent"] is False


def test_accord_permanent_in_the_subject_and_a_contact_in_the_body_are_both_applied_and_both_said(net):
    paco = net.member(PACO, "Paco Ruiz", phone="+33611223344")
    net.item(paco, "offer", "Cours d'espagnol")
    outcome = net.send(PACO, "Accord permanent : oui O-1", "Contact : permanence")
    assert outcome == "preferences M-1: contact permanence; standing M-1: given on O-1"
    assert net.store.members.find_one("ref", "M-1")["contact"] == "permanence"
    assert net.store.items.find_one("ref", "O-1")["standing_consent"] is True
    (ack,) = net.mails("preferences_done", PACO)
    assert net.mails("standing_done", PACO) == [], "one answer says both"
    # both said, and the standing consent said not to apply while the contact is the permanence
    assert "à la permanence" in flat(ack.text) and "vous demandera tout de même votre accord" in flat(ack.text)


def test_the_robots_own_address_is_no_new_address(net):
    from workflows.steps.addresses import ask_new_address

    marie = net.member(MARIE, "Marie Dupont")
    with pytest.raises(ValueError, match="already known to the network"):
        net.step(ask_new_address, marie, net.settings.network.address.upper(), "<cmd@x>", "anim")


def test_the_news_leaves_out_the_readers_own_items_and_demands_already_served(net):
    from datetime import datetime, timezone

    marie = net.member(MARIE, "Marie Dupont")
    paco = net.member(PACO, "Paco Ruiz")
    net.send(PACO, "Nouvelles : oui", "Bonjour,\n\nMerci")
    net.item(paco, "offer", "Guitare")  # his own: not news to him
    net.item(marie, "demand", "Cours de tricot")
    served = net.item(marie, "demand", "Réparer un vélo")
    with net.store.transaction():
        net.store.introductions.insert({"ref": "MR-9", "offer": "O-9", "demand": served["ref"], "status": "introduced"})
    assert news_at(net, datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)) == ["M-2"]
    text = net.mails("news")[-1].text
    assert "Cours de tricot" in text and "Guitare" not in text and "Réparer un vélo" not in text


# --- items back from a pause go to every matching --------------------------------------------


ASKERS = (knit.LINA, knit.AWA, knit.ZOE)


def _knitting_while_paco_is_away(net, away: str) -> None:
    """Paco's collective offer « Tricot » is set aside (``away``: ``pause`` or
    ``freshness``) before three members ask for knitting: no group can gather then."""
    members = knit.people(net, knit.PACO, *ASKERS)
    offer = knit.item(net, members[knit.PACO], "offer", "Tricot", modality="group", capacity=2)
    if away == "pause":
        assert net.send(knit.PACO, "PAUSE", "Je m'absente.").startswith("pause M-1")
    else:
        fresh(net, 90)
        assert fresh(net, 21).paused == [offer["ref"]]
    for address in ASKERS:
        knit.item(net, members[address], "demand", "apprendre le tricot")
    assert status(net, offer["ref"]) == "paused" and net.store.groups.all() == []


def test_reprise_sends_the_items_back_to_every_matching_a_collective_offer_gathers_its_group(net):
    _knitting_while_paco_is_away(net, "pause")
    assert net.send(knit.PACO, "REPRISE", "Me revoilà.") == "resume M-1: 1 item(s) open again"
    (group,) = net.store.groups.all()
    assert (group["offer"], group["status"], group["source"]) == ("O-1", "proposed", "matching")
    assert net.mails("question:group_approve"), "the animators asked, as for a new offer"


def test_a_later_oui_to_still_current_sends_the_item_back_to_every_matching(net):
    _knitting_while_paco_is_away(net, "freshness")
    net.now += timedelta(days=3)
    assert net.answer(knit.PACO, "question:still_current", "oui") == "still_current O-1: reopened"
    (group,) = net.store.groups.all()
    assert (group["offer"], group["status"]) == ("O-1", "proposed")


def test_a_pair_whose_time_to_be_proposed_again_came_during_a_pause_is_proposed_at_the_return(net):
    # Locally a pause ends no introduction (those under way go on): a pair left unanswered
    # by the animators comes back after repropose_days, and the pause only delays it.
    marie = net.member(MARIE, "Marie Dupont")
    paco = net.member(PACO, "Paco Ruiz")
    net.item(marie, "offer", "Cours d'espagnol")
    net.item(paco, "demand", "Apprendre l'espagnol")
    assert net.intro("MR-1")["status"] == "proposed"
    assert net.later(net.settings.introductions.expiry_days + 1).expired == ["MR-1"]
    assert net.send(MARIE, "PAUSE", "").startswith("pause M-1")
    net.later(net.settings.introductions.repropose_days)
    assert [i["ref"] for i in net.store.introductions.all()] == ["MR-1"], "not while her offer is hidden"
    assert net.send(MARIE, "REPRISE", "") == "resume M-1: 1 item(s) open again"
    assert [(i["ref"], i["offer"], i["demand"], i["status"]) for i in net.store.introductions.all()][-1] == \
        ("MR-2", "O-1", "D-1", "proposed")


def test_non_to_still_current_ends_the_group_gathering_around_the_offer_as_retrait_does(net):
    members = knit.people(net, knit.PACO, *ASKERS)
    offer = knit.item(net, members[knit.PACO], "offer", "Tricot", modality="group", capacity=2)
    for address in ASKERS:
        knit.item(net, members[address], "demand", "apprendre le tricot")
    (group,) = net.store.groups.all()
    assert (group["offer"], group["status"]) == (offer["ref"], "proposed")
    fresh(net, 180)
    assert net.answer(knit.PACO, "question:still_current", "Non merci") == "still_current O-1: closed"
    (group,) = net.store.groups.all()
    assert (group["status"], group["close_reason"]) == ("cancelled", "offer withdrawn")
