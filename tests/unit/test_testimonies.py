"""Testimonies (issue 17, protocol.md « The network's voice »): TÉMOIGNAGE → T-n held →
the animators approve by reply (first answer wins, the others told) → shown on the public
page with « un membre » or the first name, contact details masked → RETRAIT T-n
unpublishes it; the author's erasure removes them. The store, the real parser and the
route table; the clock in hand."""
from __future__ import annotations

import pytest

from intro_support import ANIMATORS, Net
from workflows import routes
from workflows.shell.publish import render_page
from workflows.steps.erasure import erase_member

A1, A2 = ANIMATORS
MARIE, PAUL = "marie.dupont@example.org", "paul.martin@example.net"
WORDS = ("Grâce au réseau j'ai appris à faire mon CV.\n"
         "Appelez-moi au 06 12 34 56 78 ou écrivez à marie.dupont@example.org.")


@pytest.fixture
def net(tmp_path) -> Net:
    n = Net(tmp_path / "robot")
    n.member(MARIE, "Marie Dupont", phone="+33612345678")
    n.member(PAUL, "Paul Martin")
    return n


def testimony(net: Net, ref: str = "T-1") -> dict:
    return net.store.testimonies.find_one("ref", ref)


def page(net: Net) -> str:
    return render_page(net.settings, net.store, net.now)


def test_the_routes_show_the_testimony_rows():
    assert routes.ROUTES["testimony"].step.__module__ == "workflows.steps.testimonies"
    assert routes.ROUTES["testimony"].guard is routes.OWN_ADDRESS
    assert routes.ANSWERS["testimony_approve"].guard is routes.ANIMATOR_ANSWER
    assert routes.ANSWERS["testimony_withdraw"].guard is routes.ADDRESSEE


def test_a_testimony_is_held_then_published_with_the_first_name_and_no_contact_detail(net):
    outcome = net.send(MARIE, "TÉMOIGNAGE", f"Signature : prénom\n\n{WORDS}")
    assert outcome == "testimony T-1 held, the animators asked"
    held = testimony(net)
    assert (held["status"], held["member"], held["signature"], held["first_name"]) == ("held", "M-1", "prénom",
                                                                                       "Marie")
    assert "Signature" not in held["text"] and held["text"].startswith("Grâce au réseau")
    (ack,) = net.mails("testimony_received", MARIE)
    assert "T-1" in ack.subject and "06 12 34 56 78" not in ack.text
    questions = net.mails("question:testimony_approve")
    assert sorted(m.recipients[0] for m in questions) == sorted([A1, A2])
    assert "T-1" not in page(net) and "appris à faire mon CV" not in page(net)

    assert net.answer(A2, "question:testimony_approve", "OUI") == "T-1 published by an animator"
    assert testimony(net)["status"] == "published"
    shown = page(net)
    assert "appris à faire mon CV" in shown and "Marie" in shown
    assert "Dupont" not in shown and "06 12 34 56 78" not in shown and MARIE not in shown
    (told,) = net.mails("testimony_decided")
    assert told.recipients == [A1] and A2 in told.subject
    (outcome_mail,) = net.mails("testimony_outcome", MARIE)
    assert "publié" in outcome_mail.text
    # the first answer won: the other animator's question is closed
    late = net.answer(A1, "question:testimony_approve", "NON")
    assert late.startswith("refused") and testimony(net)["status"] == "published"


def test_anonymous_by_default_and_a_no_is_told_kindly(net):
    net.send(PAUL, "TÉMOIGNAGE", "Le réseau m'a sorti de chez moi. Merci à tous !")
    assert testimony(net)["signature"] == "anonyme" and testimony(net)["first_name"] is None
    assert net.answer(A1, "question:testimony_approve", "NON") == "T-1 not published by an animator"
    assert testimony(net)["status"] == "refused"
    assert "sorti de chez moi" not in page(net)
    (kind,) = net.mails("testimony_outcome", PAUL)
    assert "ne pas le publier" in " ".join(kind.text.split())


def test_an_anonymous_testimony_shows_un_membre(net):
    net.send(PAUL, "TÉMOIGNAGE", "Signature : anonyme\n\nLe réseau m'a sorti de chez moi.")
    net.answer(A1, "question:testimony_approve", "OUI")
    shown = page(net)
    assert "sorti de chez moi" in shown and "un membre" in shown and "Paul" not in shown


def test_a_testimony_without_words_is_not_recorded(net):
    assert net.send(MARIE, "TÉMOIGNAGE", "Signature : prénom").startswith("testimony: no words")
    assert net.store.testimonies.all() == []
    (ack,) = net.mails("testimony_received", MARIE)
    assert "il manque vos mots" in ack.subject


def test_a_non_member_s_testimony_goes_to_the_animators(net):
    net.send("inconnu@example.com", "TÉMOIGNAGE", "Bravo pour ce réseau.")
    assert net.store.testimonies.all() == []
    assert net.mails("forward")


def test_retrait_t_n_asks_the_author_then_unpublishes(net):
    net.send(MARIE, "TÉMOIGNAGE", WORDS)
    net.answer(A1, "question:testimony_approve", "OUI")
    assert "appris à faire mon CV" in page(net)
    # someone else cannot withdraw it, and is not told whose it is
    assert net.send(PAUL, "RETRAIT T-1", "merci").endswith("not found for the sender")
    assert testimony(net)["status"] == "published"
    assert net.send(MARIE, "RETRAIT T-1", "merci") == "withdraw T-1: confirmation asked of M-1"
    (question,) = net.mails("question:testimony_withdraw", MARIE)
    assert "Retirer T-1" in question.subject
    assert net.answer(MARIE, "question:testimony_withdraw", "OUI") == "T-1: withdrawn"
    assert testimony(net)["status"] == "withdrawn"
    assert "appris à faire mon CV" not in page(net)
    (done,) = net.mails("testimony_withdraw_done", MARIE)
    assert "retiré" in done.subject


def test_a_withdrawal_before_approval_cancels_the_animators_questions(net):
    net.send(MARIE, "TÉMOIGNAGE", WORDS)
    net.send(MARIE, "RETRAIT T-1", "")
    net.answer(MARIE, "question:testimony_withdraw", "OUI")
    assert net.answer(A1, "question:testimony_approve", "OUI").startswith("refused")
    assert testimony(net)["status"] == "withdrawn"


def test_the_author_s_erasure_removes_their_testimonies(net):
    net.send(MARIE, "TÉMOIGNAGE", WORDS)
    net.answer(A1, "question:testimony_approve", "OUI")
    net.send(PAUL, "TÉMOIGNAGE", "Le réseau m'a sorti de chez moi.")
    marie = net.store.members.find_one("address", MARIE)
    net.step(erase_member, marie, reason="forgotten", by="animator", animator=A1)
    assert [t["ref"] for t in net.store.testimonies.all()] == ["T-2"]
    assert "appris à faire mon CV" not in page(net)


def test_the_monthly_report_counts_testimonies(net):
    from workflows.steps.reports import build_report

    net.send(MARIE, "TÉMOIGNAGE", WORDS)
    net.answer(A1, "question:testimony_approve", "OUI")
    net.send(PAUL, "TÉMOIGNAGE", "Le réseau m'a sorti de chez moi.")
    today = net.now.date()
    counts = build_report(net.settings, net.ctx(), today.replace(day=1), today, today)["testimonies"]
    assert counts == {"received": 2, "published": 1, "refused": 0, "withdrawn": 0, "shown": 1, "held": 1}


def test_names_written_in_a_testimony_are_masked_and_the_chosen_first_name_stays():
    from workflows.model.testimonies import public_testimony

    testimony = {"ref": "T-1", "text": "Grâce à Zoé Martin et à LINA PETIT, j'ai repris confiance. Lina Petit",
                 "signature": "prénom", "first_name": "Lina"}
    text = public_testimony(testimony, ["Zoé Martin", "Lina Petit", None])["text"]
    assert "Zoé" not in text and "Martin" not in text and "PETIT" not in text and "Petit" not in text
    assert "Lina" in text and "j'ai repris confiance" in text
    anonymous = public_testimony({**testimony, "signature": "anonyme"}, ["Zoé Martin", "Lina Petit"])["text"]
    assert "Lina" not in anonymous and "LINA" not in anonymous
