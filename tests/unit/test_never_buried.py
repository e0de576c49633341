"""Issue 16, the steps' side: a proposal says in one line why (the meanings that met); a
proposal that expires without an animator's answer is told to them with the command that
proposes it again, and matching may propose the pair again (once) after
``repropose_days``, never a refused or declined one; the report shows a lonely demand's
near misses; a collective offer's N best demands.

On plain data (a Plan over ``Store.memory()``, as tests/unit/test_steps_plain.py) and
through the runner (``intro_support.Net``)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from config.settings import ConfigError, loads
from intro_support import ANIMATORS, Net
from store import Store
from support import config_text
from workflows.decision import Plan, Resources
from workflows.model.items import COLLECTIVE, is_collective
from workflows.model.matching import matched_lines, pair_refusal, proposable_again, why_in_one_line
from workflows.shell.jobs import monthly_report_job
from workflows.shell.resources import current_texts, matcher_for, score_text
from workflows.steps import followups, introductions
from workflows.steps.matcher import best_demands, matcher, near_misses, partner
from workflows.steps.reports import build_report

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
PACO, LINA, ODILE, JEAN = "paco.ruiz@example.net", "lina.petit@example.org", "odile.r@example.com", "jean@example.com"
A1, A2 = ANIMATORS


def flat(text: str) -> str:
    """The text with its lines joined (the text part is wrapped at 78 characters)."""
    return re.sub(r"\s+", " ", text)


# --- plain data ---------------------------------------------------------------------------


class World:
    """Settings, a memory store, a plan at a given time."""

    def __init__(self, extra: str = ""):
        root = Path("/nowhere")
        self.settings = loads(config_text(root, extra=extra), base=root, source=root / "rers.toml")
        self.store = Store.memory()

    def plan(self, now: datetime = NOW) -> Plan:
        return Plan(self.settings, self.store, now, Resources(texts=current_texts(self.settings), token_key=b"k" * 32,
                                                              matcher=matcher_for(self.settings, self.store)))

    def add(self, collection: str, doc: dict) -> dict:
        with self.store.transaction():
            self.store.collections[collection].insert(doc)
        return doc

    def member(self, ref: str, address: str) -> dict:
        return self.add("members", {"ref": ref, "address": address, "name": ref, "first_name": None, "phone": None,
                                    "contact": "email", "invitations": False, "status": "confirmed", "language": "fr",
                                    "created": NOW.isoformat(), "confirmed": NOW.isoformat(), "undeliverable": False})

    def item(self, ref: str, member: str, title: str, *, status: str = "open", modality: str | None = None,
             created: datetime = NOW) -> dict:
        kind = "offer" if ref.startswith("O") else "demand"
        doc = self.add("items", {"ref": ref, "kind": kind, "member": member, "title": title, "description": None,
                                 "modality": modality, "availability": None, "place": None, "status": status,
                                 "created": created.isoformat(), "closed": None, "source": "<x>"})
        with self.store.transaction():
            number = int(ref.split("-")[1])
            if number > int(self.store.get_state(f"counter:{kind}") or 0):
                self.store.set_state(f"counter:{kind}", number)
        return doc

    def intro(self, ref: str, offer: str, demand: str, status: str, **fields) -> dict:
        doc = {"ref": ref, "offer": offer, "demand": demand, "offer_member": "M-1", "demand_member": "M-2",
               "score": 0.8, "why": ["« espagnol » = « espagnol » (même mot)"], "source": "matching",
               "status": status, "created": NOW.isoformat(), "approved": None, "decided_by": None,
               "consents": {"offer": None, "demand": None}, "contacts": {"offer": None, "demand": None},
               "introduced": None, "bilan_asked": None, "bilans": {"offer": None, "demand": None},
               "not_happened": False, "closed": None, "close_reason": None, "history": [], **fields}
        self.add("introductions", doc)
        with self.store.transaction():
            number = int(ref.split("-")[1])
            if number > int(self.store.get_state("counter:introduction") or 0):
                self.store.set_state("counter:introduction", number)
        return doc


@pytest.fixture
def world() -> World:
    return World()


def spanish(world: World) -> None:
    world.member("M-1", PACO)
    world.member("M-2", LINA)
    world.item("O-1", "M-1", "Cours d'espagnol")
    world.item("D-1", "M-2", "Apprendre l'espagnol")


def test_an_unanswered_proposal_expires_with_a_word_to_the_animators_and_a_date_to_propose_it_again(world):
    spanish(world)
    world.intro("MR-1", "O-1", "D-1", "proposed")
    plan = world.plan(NOW + timedelta(days=21))
    report = followups.followups(plan)

    assert report.expired == ["MR-1"]
    (told,) = [m for m in plan.mails if m.template == "introduction_expired"]
    assert (told.purpose, sorted(a for _, a in told.to)) == ("introduction_expired", sorted(ANIMATORS))
    assert told.values["command"] == "MISE EN RELATION O-1 D-1"
    again = (NOW + timedelta(days=21 + 30)).isoformat(timespec="seconds")
    assert told.values["again_after"] == again
    assert told.values["intro"]["because"] == "« espagnol » = « espagnol » (même mot)"
    (written,) = [w.doc for w in plan.writes if w.collection == "introductions"]
    assert (written["status"], written["again_after"], written["close_reason"]) == ("expired", again, "no answer")
    assert not [m for m in plan.mails if m.template == "introduction_cancelled"], "the members never knew"
    assert not [w for w in plan.writes if w.op == "insert" and w.collection == "introductions"], \
        "not the same pair again at once"


def test_the_expiry_is_told_to_the_animators_who_could_decide_only(world):
    world.member("M-1", A1)  # the offer's member is an animator
    world.member("M-2", LINA)
    world.item("O-1", "M-1", "Cours d'espagnol")
    world.item("D-1", "M-2", "Apprendre l'espagnol")
    world.intro("MR-1", "O-1", "D-1", "proposed")
    plan = world.plan(NOW + timedelta(days=21))
    followups.followups(plan)
    (told,) = [m for m in plan.mails if m.template == "introduction_expired"]
    assert [a for _, a in told.to] == [A2]


def test_a_consent_that_expires_is_no_unanswered_proposal(world):
    spanish(world)
    world.intro("MR-1", "O-1", "D-1", "consent", approved=NOW.isoformat(), decided_by=A1)
    plan = world.plan(NOW + timedelta(days=21))
    assert followups.followups(plan).expired == ["MR-1"]
    assert not [m for m in plan.mails if m.template == "introduction_expired"]
    (written,) = [w.doc for w in plan.writes if w.collection == "introductions"]
    assert not written.get("again_after"), "a member who did not answer is not asked again by matching"


def test_a_second_unanswered_expiry_of_a_pair_promises_nothing(world):
    spanish(world)
    world.intro("MR-1", "O-1", "D-1", "expired", again_after=NOW.isoformat(), reoffered=NOW.isoformat(),
                closed=NOW.isoformat())
    world.intro("MR-2", "O-1", "D-1", "proposed", earlier=[{"ref": "MR-1", "status": "expired"}])
    plan = world.plan(NOW + timedelta(days=21))
    followups.followups(plan)
    (told,) = [m for m in plan.mails if m.template == "introduction_expired"]
    assert told.values["again_after"] is None and told.values["intro"]["earlier"] == [{"ref": "MR-1",
                                                                                      "status": "expired"}]


def test_the_items_of_an_expired_pair_are_offered_again_once_when_its_time_comes(world):
    spanish(world)
    closed = NOW - timedelta(days=30)
    world.intro("MR-1", "O-1", "D-1", "expired", closed=closed.isoformat(), close_reason="no answer",
                again_after=NOW.isoformat())
    early = world.plan(NOW - timedelta(minutes=1))
    assert followups.followups(early).reoffered == [] and not early.writes

    plan = world.plan(NOW)
    assert followups.followups(plan).reoffered == ["MR-1"]
    (again,) = [w.doc for w in plan.writes if w.op == "insert" and w.collection == "introductions"]
    assert (again["ref"], again["offer"], again["demand"], again["status"]) == ("MR-2", "O-1", "D-1", "proposed")
    assert again["earlier"] == [{"ref": "MR-1", "status": "expired"}]
    assert {q.mail.values["intro"]["earlier"][0]["ref"] for q in plan.asked} == {"MR-1"}
    marked = [w.doc for w in plan.writes if w.collection == "introductions" and w.doc.get("ref") == "MR-1"]
    assert marked[-1]["reoffered"] == NOW.isoformat(timespec="seconds")


def test_which_earlier_introductions_let_a_pair_be_proposed_again():
    offer = {"ref": "O-1", "kind": "offer", "member": "M-1", "status": "open"}
    demand = {"ref": "D-1", "kind": "demand", "member": "M-2", "status": "open"}
    due = {"status": "expired", "again_after": (NOW - timedelta(days=1)).isoformat()}
    later = {"status": "expired", "again_after": (NOW + timedelta(days=1)).isoformat()}
    assert pair_refusal(offer, demand, [due], now=NOW) is None
    assert pair_refusal(offer, demand, [due]) == "already proposed", "without the time, never again"
    assert pair_refusal(offer, demand, [later], now=NOW) == "already proposed"
    for status in ("refused", "declined", "cancelled", "completed", "introduced"):
        assert pair_refusal(offer, demand, [{"status": status, "again_after": due["again_after"]}], now=NOW) \
            == "already proposed", status
    assert pair_refusal(offer, demand, [{"status": "expired", "again_after": None}], now=NOW) == "already proposed"
    assert pair_refusal(offer, demand, [due, {"status": "expired"}], now=NOW) == "already proposed"
    assert pair_refusal(offer, demand, [due, {"status": "refused"}], now=NOW) == "already proposed"
    assert not proposable_again([], NOW)
    busy = [{"status": "proposed"}]
    assert pair_refusal(offer, demand, [due], busy, now=NOW) == "busy"


def test_repropose_days_is_a_setting(world):
    assert world.settings.introductions.repropose_days == 30
    short = World(extra="[introductions]\nrepropose_days = 10\n")
    assert short.settings.introductions.repropose_days == 10
    spanish(short)
    short.intro("MR-1", "O-1", "D-1", "proposed")
    plan = short.plan(NOW + timedelta(days=21))
    followups.followups(plan)
    (told,) = [m for m in plan.mails if m.template == "introduction_expired"]
    assert told.values["again_after"] == (NOW + timedelta(days=31)).isoformat(timespec="seconds")
    with pytest.raises(ConfigError, match="repropose_days: must be at least 1"):
        World(extra="[introductions]\nrepropose_days = 0\n")


def test_example_toml_says_repropose_days():
    text = (Path(__file__).resolve().parents[2] / "config" / "example.toml").read_text(encoding="utf-8")
    assert re.search(r"^# .*\n(# .*\n)*repropose_days = 30$", text, re.MULTILINE)


# --- explained ---------------------------------------------------------------------------


def test_the_words_that_met_in_one_line():
    why = ["« gérer » ≈ « gestion » (même famille)", "« temps » = « temps » (même mot)",
           "offre, sans correspondance : « travail »"]
    assert matched_lines(why) == why[:2]
    assert why_in_one_line(why) == "« gérer » ≈ « gestion » (même famille) ; « temps » = « temps » (même mot)"
    assert why_in_one_line(["aucun mot en commun (ni synonyme, ni faute de frappe proche)"]) == ""
    assert why_in_one_line([]) == ""


def test_rers_match_score_shows_the_meanings_that_met(world):
    result = score_text(world.settings, "Gestion du temps", "Apprendre à gérer mon temps")
    assert result["proposed"] and "« gérer » ≈ « gestion » (même famille)" in result["why"]
    near = score_text(world.settings, "Randonnée en montagne", "Trekking en montagne")
    assert any(re.fullmatch(r"« trekking » ≈ « randonnée » \(sens proche, 0\.\d\d\)", line) for line in near["why"])


# --- through the runner -------------------------------------------------------------------


@pytest.fixture
def net(tmp_path) -> Net:
    return Net(tmp_path / "robot")


def meet(net: Net, offer: str = "Gestion du temps", demand: str = "Apprendre à gérer mon temps") -> None:
    paco = net.member(PACO, "Paco Ruiz")
    lina = net.member(LINA, "Lina Petit")
    net.item(paco, "offer", offer)
    net.item(lina, "demand", demand)


def test_the_proposal_says_why_in_one_line_with_the_meanings(net):
    meet(net)
    (proposal, *_) = net.mails("question:approve")
    assert "Pourquoi : « gérer » ≈ « gestion » (même famille) ; « temps » = « temps » (même mot)" in flat(
        proposal.text)
    html = proposal.message.get_body(preferencelist=("html",)).get_content()
    assert "« gérer » ≈ « gestion » (même famille) ; « temps » = « temps » (même mot)" in html.replace("&nbsp;", " ")
    assert net.intro()["why"] == ["« gérer » ≈ « gestion » (même famille)", "« temps » = « temps » (même mot)"]


def test_the_proposal_s_why_keeps_the_members_accents_and_each_pair_on_one_line(net):
    # A tester's proposal read « "solfege" = "solfege" » and cut « "temps" = / "temps" ».
    meet(net, offer="Solfège et lecture des partitions de piano", demand="Apprendre le solfège pour le piano")
    (proposal, *_) = net.mails("question:approve")
    assert "« solfège » = « solfège » (même mot)" in flat(proposal.text)
    for line in proposal.text.split("\n"):
        assert not line.rstrip().endswith(("=", "≈")) and not line.lstrip().startswith(("=", "≈")), proposal.text


def test_an_expired_pair_is_told_then_proposed_once_more_then_left_to_the_animators(net):
    meet(net)
    net.later(7)   # the reminders
    report = net.later(14)
    assert report.expired == ["MR-1"]
    (told,) = net.mails("introduction_expired")
    assert sorted(told.recipients) == sorted(ANIMATORS)
    text = flat(told.text)
    assert "MISE EN RELATION O-1 D-1" in text and "MR-1" in text
    assert "à partir du mercredi 13 janvier 2027" in text
    assert "« gérer » ≈ « gestion » (même famille)" in text
    assert not net.mails(to=PACO) and not net.mails(to=LINA)
    assert net.step(introductions.rematch) == [], "not before repropose_days"
    assert net.later(29).reoffered == []

    report = net.later(1)
    assert report.reoffered == ["MR-1"]
    again = net.intro("MR-2")
    assert (again["offer"], again["demand"], again["status"]) == ("O-1", "D-1", "proposed")
    proposal = net.mails("question:approve")[-1]
    assert "MR-2" in proposal.subject
    assert "Cette paire a déjà été proposée : MR-1 (expirée, sans réponse)." in flat(proposal.text)
    assert net.later(1).reoffered == [], "once"
    assert len(net.mails("introduction_expired")) == 1, "told once"

    net.later(20)
    assert net.intro("MR-2")["status"] == "expired"
    second = net.mails("introduction_expired")[-1]
    assert "MR-2" in second.subject and "MISE EN RELATION O-1 D-1" in flat(second.text)
    assert "ne la proposera plus de lui-même" in flat(second.text)
    net.later(60)
    assert net.step(introductions.rematch) == [] and net.intro("MR-3") is None, "never a third time by itself"
    assert net.send(A1, "MISE EN RELATION O-1 D-1", "") == "MR-3 created by command", "the command still does"


def test_the_command_of_the_notice_proposes_the_pair_at_once(net):
    meet(net)
    net.later(21)
    assert net.send(A2, "MISE EN RELATION O-1 D-1", "") == "MR-2 created by command"
    intro = net.intro("MR-2")
    assert intro["status"] == "consent" and intro["earlier"] == [{"ref": "MR-1", "status": "expired"}]
    assert sorted(r for m in net.mails("question:consent") for r in m.recipients) == sorted([PACO, LINA])


def test_a_refused_pair_is_never_proposed_again(net):
    meet(net)
    assert net.answer(A1, "question:approve", "NON").startswith("MR-1 refused")
    net.later(90)
    assert net.step(introductions.rematch) == []
    assert not net.mails("introduction_expired")
    assert net.store.introductions.count() == 1


def test_a_declined_pair_is_never_proposed_again(net):
    meet(net)
    net.answer(A1, "question:approve", "OUI")
    assert net.answer(LINA, "question:consent", "non") == "MR-1 declined"
    net.later(90)
    assert net.step(introductions.rematch) == []
    assert net.store.introductions.count() == 1


def test_a_pair_whose_consent_expired_is_not_proposed_again(net):
    meet(net)
    net.answer(A1, "question:approve", "OUI")
    assert net.later(21).expired == ["MR-1"]
    assert not net.mails("introduction_expired"), "the animators answered: nothing buried"
    net.later(60)
    assert net.step(introductions.rematch) == []


# --- near misses in the report ------------------------------------------------------------


def test_a_lonely_demand_shows_its_near_misses_in_the_report(world):
    world.member("M-1", PACO)
    world.member("M-2", LINA)
    world.member("M-3", ODILE)
    old = NOW - timedelta(days=40)
    world.item("D-1", "M-2", "Cuisine japonaise", created=old)
    world.item("O-1", "M-1", "Cuisine italienne", created=old)
    world.item("O-2", "M-3", "Cuisine du monde", created=old)
    world.item("O-3", "M-1", "Cuisine japonaise", status="closed", created=old)
    world.item("O-4", "M-2", "Cuisine japonaise", created=old)  # the asker's own
    world.item("D-2", "M-3", "Astronomie", created=old)
    world.item("D-3", "M-3", "Cuisine italienne", created=NOW - timedelta(days=3))  # too recent
    plan = world.plan()
    today = NOW.date()
    report = build_report(world.settings, plan, today.replace(day=1), today, today)

    unmet = {u["ref"]: u for u in report["unmet"]}
    assert set(unmet) == {"D-1", "D-2"}
    near = unmet["D-1"]["near"]
    assert [n["ref"] for n in near] and {n["ref"] for n in near} <= {"O-1", "O-2"}
    # « Cuisine du monde » now comes first (the words left over, « japonaise » / « monde »,
    # are near in meaning); « Cuisine italienne » after it.
    assert near[0]["ref"] == "O-2" and near[0]["title"] == "Cuisine du monde" and near[0]["score"] >= 0.5
    assert [n["score"] for n in near] == sorted((n["score"] for n in near), reverse=True)
    assert unmet["D-2"]["near"] == []
    assert report["min_score"] == 0.6
    bare = build_report(world.settings, world.store, today.replace(day=1), today, today)
    assert all(u["near"] is None for u in bare["unmet"]), "a bare store has no matcher"


def test_a_near_group_offer_says_it_waits_for_enough_demands(world):
    """A collective offer is never proposed as a pair: a near miss of 0.75 on it would
    puzzle the animators unless the report says it waits for ``group_min`` demands (a
    tester's finding)."""
    old = NOW - timedelta(days=40)
    world.member("M-1", PACO)
    world.member("M-2", LINA)
    world.item("O-1", "M-1", "Atelier couture", modality="group", created=old)
    world.item("D-1", "M-2", "Couture", created=old)
    plan = world.plan()
    today = NOW.date()
    report = build_report(world.settings, plan, today.replace(day=1), today, today)
    (need,) = report["unmet"]
    assert [(n["ref"], n["group_min"]) for n in need["near"]] == [("O-1", 2)]
    from workflows.mail.render import base_context
    from workflows.shell.templating import renderer_for
    rendered = renderer_for(world.settings, "fr").render("report", {**base_context(world.settings, NOW, False),
                                                                     "report": report})
    assert "(« Atelier couture »), offre en groupe : proposée quand 2 demandes s'en approchent" \
        in " ".join(rendered.text.split())


def test_a_demand_an_expired_proposal_left_alone_is_still_unmet_in_the_report(world):
    old = NOW - timedelta(days=40)
    world.member("M-1", PACO)
    world.member("M-2", LINA)
    world.item("O-1", "M-1", "Cours d'espagnol", created=old)
    for ref in ("D-1", "D-2", "D-3"):
        world.item(ref, "M-2", "Apprendre l'espagnol", created=old)
    world.intro("MR-1", "O-1", "D-1", "expired", close_reason="no answer")
    world.intro("MR-2", "O-1", "D-2", "refused", close_reason="refused")
    world.intro("MR-3", "O-1", "D-3", "expired", close_reason="no answer")
    world.intro("MR-4", "O-1", "D-3", "proposed")  # proposed again: answered, for now
    plan = world.plan()
    today = NOW.date()
    unmet = {u["ref"]: u for u in build_report(world.settings, plan, today.replace(day=1), today, today)["unmet"]}
    assert set(unmet) == {"D-1"}
    assert [n["ref"] for n in unmet["D-1"]["near"]] == ["O-1"]


def test_the_monthly_report_says_the_nearest_offer(net):
    assert monthly_report_job(net.settings, net.store, net.now) is None, "the first run only notes the day"
    paco = net.member(PACO, "Paco Ruiz")
    lina = net.member(LINA, "Lina Petit")
    net.item(lina, "demand", "Cuisine japonaise")
    net.item(paco, "offer", "Cuisine italienne")
    assert net.store.introductions.count() == 0, "0.50: under min_score"
    net.now = datetime(2027, 1, 1, 9, 0, tzinfo=timezone.utc)
    assert monthly_report_job(net.settings, net.store, net.now)
    (report,) = net.mails("report")
    assert sorted(report.recipients) == sorted(ANIMATORS)
    assert "- D-1 : Cuisine japonaise (depuis le lundi 23 novembre 2026) la plus proche : O-1, 0.50 " \
           "(« Cuisine italienne »)" in flat(report.text)


def test_near_misses_leave_out_closed_offers_and_the_askers_own(world):
    world.member("M-1", PACO)
    world.member("M-2", LINA)
    # (« guitare classique » / « guitare folk » are two expressions of the data files now.)
    world.item("D-1", "M-2", "Guitare électrique")
    world.item("O-1", "M-2", "Guitare électrique")
    world.item("O-2", "M-1", "Guitare électrique", status="closed")
    world.item("O-3", "M-1", "Guitare et solfège")
    plan = world.plan()
    found = near_misses(plan, matcher(plan), plan.items.find_one("ref", "D-1"))
    assert [(doc["ref"], score) for doc, score in found] == [("O-3", 0.5)]


# --- a collective offer's best demands ------------------------------------------------------


def test_collective_modalities():
    assert set(COLLECTIVE) == {"group", "practice_exchange", "talking_group"}
    assert is_collective({"kind": "offer", "modality": "talking_group"})
    assert not is_collective({"kind": "offer", "modality": "one_to_one"})
    assert not is_collective({"kind": "offer", "modality": None})
    assert not is_collective({"kind": "demand", "modality": "group"})


def test_a_collective_offer_gets_its_n_best_demands(world):
    for n, address in enumerate((PACO, LINA, ODILE, JEAN, "e@example.org", "f@example.org", "g@example.org"), 1):
        world.member(f"M-{n}", address)
    world.item("O-1", "M-1", "Atelier gestion du temps", modality="group")
    world.item("D-1", "M-2", "Apprendre à gérer mon temps")
    world.item("D-2", "M-3", "Gestion du temps")
    world.item("D-3", "M-4", "Gérer son temps")
    world.item("D-4", "M-5", "Gestion du temps", status="closed")
    world.item("D-5", "M-1", "Gestion du temps")  # the offerer's own
    world.item("D-6", "M-6", "Gestion du temps au quotidien")
    world.item("D-7", "M-7", "Cuisine")
    world.intro("MR-1", "O-1", "D-6", "refused")                   # refused with this offer: never
    world.intro("MR-2", "O-9", "D-3", "proposed")                  # D-3 waits on another proposal
    world.intro("MR-3", "O-1", "D-7", "proposed", demand_member="M-7")  # the offer's own: gathering goes on
    plan = world.plan()
    m = matcher(plan)
    offer = plan.items.find_one("ref", "O-1")

    everyone = best_demands(plan, m, offer, 10)
    assert sorted(d["ref"] for d, _ in everyone) == ["D-1", "D-2"]
    scores = [s.score for _, s in everyone]
    assert scores == sorted(scores, reverse=True) and min(scores) >= world.settings.matching.min_score
    assert all(s.why() for _, s in everyone), "each with its explanation"

    best = best_demands(plan, m, offer, 1)
    assert [d["ref"] for d, _ in best] == [everyone[0][0]["ref"]]
    assert best_demands(plan, m, offer, 0) == []
    assert best_demands(plan, m, plan.items.find_one("ref", "D-1"), 3) == [], "an offer's, not a demand's"


def test_best_demands_reads_past_refused_candidates(world):
    world.member("M-1", PACO)
    world.item("O-1", "M-1", "Tricot", modality="practice_exchange")
    for n in range(2, 14):
        world.member(f"M-{n}", f"m{n}@example.org")
        world.item(f"D-{n - 1}", f"M-{n}", "Tricot")
    for n in range(1, 9):  # the eight oldest demands already refused with this offer
        world.intro(f"MR-{n}", "O-1", f"D-{n}", "refused")
    plan = world.plan()
    found = best_demands(plan, matcher(plan), plan.items.find_one("ref", "O-1"), 3)
    assert [d["ref"] for d, _ in found] == ["D-9", "D-10", "D-11"]


# --- the command line ------------------------------------------------------------------------


def test_rers_introductions_show_says_when_an_expired_pair_may_come_back(net, capsys, monkeypatch):
    from workflows.cli import main

    meet(net)
    net.later(21)
    monkeypatch.setenv("RERS_NOW", net.now.isoformat())
    assert main(["introductions", "show", "MR-1", "--config", str(net.root / "rers.toml")]) == 0
    out = capsys.readouterr().out
    assert "MR-1: expirée (sans réponse)" in out
    assert "peut être reproposée par le rapprochement à partir du 2027-01-13" in out
    assert "« gérer » ≈ « gestion » (même famille)" in out


def test_rers_report_shows_the_near_misses(net, capsys, monkeypatch):
    from workflows.cli import main

    paco = net.member(PACO, "Paco Ruiz")
    lina = net.member(LINA, "Lina Petit")
    net.item(lina, "demand", "Cuisine japonaise")
    net.item(paco, "offer", "Cuisine italienne")
    monkeypatch.setenv("RERS_NOW", (net.now + timedelta(days=31)).isoformat())
    assert main(["report", "--config", str(net.root / "rers.toml")]) == 0
    assert "la plus proche : O-1, 0.50 (« Cuisine italienne »)" in flat(capsys.readouterr().out)


# --- closed items take no place in the candidate lists ----------------------------------------


def test_closed_offers_never_hide_an_open_one(world):
    world.member("M-1", PACO)
    world.member("M-2", LINA)
    for n in range(1, 41):
        world.item(f"O-{n}", "M-1", "Anglais")
    plan = world.plan()
    m = matcher(plan)
    assert len(m.index) == 40
    with world.store.transaction():  # withdrawn since they were indexed
        for n in range(1, 41):
            doc = world.store.items.find_one("ref", f"O-{n}")
            world.store.items.update(doc["id"], status="closed")
    world.item("O-41", "M-1", "Anglais")
    world.item("D-1", "M-2", "Anglais")
    plan = world.plan()
    found = partner(plan, matcher(plan), plan.items.find_one("ref", "D-1"))
    assert found is not None and found[0]["ref"] == "O-41"
    assert "O-1" not in matcher(plan).index, "the closed ones left the index"
    world.item("D-2", "M-2", "Anglais courant")
    plan = world.plan()
    assert [d["ref"] for d, _ in near_misses(plan, matcher(plan), plan.items.find_one("ref", "D-2"))] == ["O-41"]


def test_only_open_items_are_indexed_and_a_held_one_when_it_opens(world):
    world.member("M-1", PACO)
    world.member("M-2", LINA)
    world.item("O-1", "M-1", "Anglais", status="held")
    world.item("O-2", "M-1", "Anglais", status="closed")
    world.item("D-1", "M-2", "Anglais")
    plan = world.plan()
    m = matcher(plan)
    assert "O-1" not in m.index and "O-2" not in m.index and "D-1" in m.index
    with world.store.transaction():
        doc = world.store.items.find_one("ref", "O-1")
        world.store.items.update(doc["id"], status="open")
    plan = world.plan()
    intro = introductions.match_item(plan, plan.items.find_one("ref", "O-1"))
    assert (intro["offer"], intro["demand"]) == ("O-1", "D-1")


def test_a_collective_offer_reads_past_closed_demands(world):
    world.member("M-1", PACO)
    world.item("O-1", "M-1", "Tricot", modality="group")
    for n in range(2, 45):
        world.member(f"M-{n}", f"m{n}@example.org")
        world.item(f"D-{n - 1}", f"M-{n}", "Tricot")
    plan = world.plan()
    matcher(plan)
    with world.store.transaction():
        for n in range(1, 41):
            doc = world.store.items.find_one("ref", f"D-{n}")
            world.store.items.update(doc["id"], status="closed")
    plan = world.plan()
    found = best_demands(plan, matcher(plan), plan.items.find_one("ref", "O-1"), 2)
    assert [d["ref"] for d, _ in found] == ["D-41", "D-42"]
