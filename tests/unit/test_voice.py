"""The échanges sur les échanges by mail (issue 17, « recueil »): a collection asked of each
confirmed member, answered with three kinds of quote consent and the optional effects,
and a synthesis to the animators that never shows a count under five. The store, the
real parser and the route table; the clock in hand."""
from __future__ import annotations

import email
import re
from email import policy
from datetime import timedelta

import pytest

from intro_support import ANIMATORS, Net
from workflows import routes
from workflows.model.voice import read_answer, synthesis
from workflows.steps.erasure import erase_member
from workflows.steps.voice import send_synthesis, start_collection

A1, A2 = ANIMATORS
PEOPLE = {"marie.dupont@example.org": "Marie Dupont", "paul.martin@example.net": "Paul Martin",
          "awa.diallo@example.org": "Awa Diallo", "zoe.marchand@example.org": "Zoé Marchand"}
M, P, A, Z = PEOPLE


@pytest.fixture
def net(tmp_path) -> Net:
    n = Net(tmp_path / "robot")
    for address, name in PEOPLE.items():
        n.member(address, name, phone="+33612345678" if address == M else None)
    return n


def started(net: Net) -> dict:
    return net.step(start_collection, questions_asked=["Qu'est-ce que le réseau a changé pour vous ?"],
                    meeting=(net.now + timedelta(days=21)).date(), source="questionnaire")


def test_the_answer_is_read_field_by_field():
    read = read_answer("J'ai repris confiance.\nCitation : Prénom\nIsolement : moins\nRéseau : plus !\nConfiance : ?")
    assert read == {"words": "J'ai repris confiance.", "quote": "prénom",
                    "effects": {"isolement": "moins", "reseau": "plus"}}
    assert read_answer("Bien.")["quote"] == "non"


def test_a_collection_with_three_kinds_of_quote_consent(net):
    assert routes.ANSWERS["collection"].guard is routes.ADDRESSEE
    collection = started(net)
    assert collection["asked"] == 4
    assert len(net.mails("question:collection")) == 4
    assert net.answer(M, "question:collection", "Le réseau m'a redonné confiance. Appelez-moi au 06 12 34 56 78.\n"
                      "Citation : prénom\nConfiance : plus") == "R-1: answer recorded (quote prénom)"
    assert net.answer(P, "question:collection", "On m'écoute, ici.\nCitation : anonyme\nConfiance : plus") == \
        "R-1: answer recorded (quote anonyme)"
    assert net.answer(A, "question:collection", "Je me sens moins seule.\nConfiance : plus") == \
        "R-1: answer recorded (quote non)"
    assert net.answer(Z, "question:collection", "NON") == "R-1: M-4 said no, nothing recorded"
    assert net.store.members.find_one("address", Z)["voice"] is False
    assert len(net.store.voice_answers.all()) == 3
    assert net.store.get_state("effects:2026-S2") == {"confiance": {"plus": 3}}
    assert all("confiance" not in a for a in net.store.voice_answers.all()), "no effect kept per person"

    net.step(send_synthesis, net.store.recueils.find_one("ref", "R-1"))
    (mail,) = net.mails("collection_synthesis")
    assert sorted(mail.recipients) == sorted(ANIMATORS)
    text = " ".join(mail.text.split())
    assert "« Le réseau m'a redonné confiance." in text and "— Marie" in text
    assert "« On m'écoute, ici. » — un membre" in text
    assert "moins seule" not in text, "not quoted when the author did not allow it"
    assert "06 12 34 56 78" not in mail.everything() and "Dupont" not in mail.everything()
    for part in (mail.text, mail.message.get_body(preferencelist=("html",)).get_content()):
        assert not re.search(r"(?<![\w-])[1-4](?![\w-])(?! h)", re.sub(r"R-1|S2|2026|2027|RERS|\d+ h", "", part)
                             .split("Questions")[1].split("--")[0]), "no count under five"
    assert "moins de 5" in text


def test_the_synthesis_shows_counts_of_five_and_more():
    answers = [{"words": "x", "quote": "non"}] * 6
    found = synthesis({"ref": "R-1", "asked": 9}, answers, [], {"confiance": {"plus": 5, "moins": 4}})
    assert (found["asked"], found["answered"]) == (9, 6)
    assert found["effects"]["confiance"] == {"moins": None, "pareil": None, "plus": 5}


def test_the_author_s_erasure_deletes_their_answers(net):
    started(net)
    net.answer(M, "question:collection", "Beaucoup de choses.\nCitation : prénom")
    net.step(erase_member, net.store.members.find_one("address", M), reason="forgotten", by="animator",
             animator=A1)
    assert net.store.voice_answers.all() == []


# --- who is asked, the calendar's trigger, the bilans' effects (issue 17, voice-2) -------------

PACO, LINA = "paco.ruiz@example.net", "lina.petit@example.org"
REVIEW = "[calendar.exchange_review]\nenabled = true\n"
"""The échanges sur les échanges on: second Thursday of March and October (11 March 2027)."""


def introduced(net: Net) -> None:
    """Paco (offer) and Lina (demand) put in touch: both said OUI."""
    paco, lina = net.member(PACO, "Paco Ruiz"), net.member(LINA, "Lina Petit")
    net.item(paco, "offer", "Cours d'espagnol")
    net.item(lina, "demand", "Apprendre l'espagnol")
    assert net.answer(A1, "question:approve", "OUI").startswith("MR-1 approved")
    net.answer(LINA, "question:consent", "oui")
    assert net.answer(PACO, "question:consent", "Oui bien sûr") == "MR-1 introduced"


def test_the_calendar_starts_the_collection_for_those_who_took_part_in_an_exchange(tmp_path):
    from datetime import datetime, timezone

    from workflows.shell.jobs import voice_job
    from workflows.shell.publish import publish_calendar

    net = Net(tmp_path / "robot", extra=REVIEW)
    net.member(Z, "Zoé Marchand")  # a member without any exchange since the last one
    introduced(net)
    publish_calendar(net.settings, net.store, net.now)
    (review,) = [d for d in net.store.events.all() if d["series"]["kind"] == "exchange_review"]

    net.now = datetime(2027, 2, 17, 9, 0, tzinfo=timezone.utc)  # 22 days before 11 March 2027
    assert voice_job(net.settings, net.store, net.now).started == []
    net.now = datetime(2027, 2, 18, 9, 0, tzinfo=timezone.utc)  # collection_days = 21 before
    report = voice_job(net.settings, net.store, net.now)
    assert (report.started, report.asked) == (["R-1"], 2)
    collection = net.store.recueils.find_one("ref", "R-1")
    assert (collection["meeting"], collection["source"], collection["uid"]) == ("2027-03-11", "calendar", review["uid"])
    assert collection["since"] == "2026-10-09", "the day after the last échanges sur les échanges (8 October 2026)"
    asked = net.mails("question:collection")
    assert sorted(m.recipients[0] for m in asked) == [LINA, PACO], "Zoé took part in no exchange: not asked"
    assert "Qu'est-ce que le réseau a changé pour vous ?" in asked[0].text
    net.now += timedelta(hours=1)
    assert voice_job(net.settings, net.store, net.now).started == [], "once per meeting"

    assert net.answer(LINA, "question:collection", "J'ose parler espagnol.\nCitation : anonyme\nRéseau : plus") == \
        "R-1: answer recorded (quote anonyme)"
    net.now = datetime(2027, 3, 3, 9, 0, tzinfo=timezone.utc)
    assert voice_job(net.settings, net.store, net.now).synthesised == []
    net.now = datetime(2027, 3, 4, 9, 0, tzinfo=timezone.utc)  # synthesis_days = 7 before
    assert voice_job(net.settings, net.store, net.now).synthesised == ["R-1"]
    (mail,) = net.mails("collection_synthesis")
    assert "J'ose parler espagnol." in mail.text and "Lina" not in mail.everything()
    assert [q["status"] for q in net.store.questions.all() if q["kind"] == "collection" and q["address"] == PACO] \
        == ["cancelled"], "Paco's question closed with the collection"


def test_took_part_counts_introductions_that_went_through_and_groups_that_met(net):
    from datetime import date

    from workflows.steps.voice import took_part

    with net.store.transaction():
        net.store.introductions.insert({"ref": "MR-1", "offer_member": "M-1", "demand_member": "M-2",
                                        "introduced": "2026-11-02T10:00:00+00:00"})
        net.store.introductions.insert({"ref": "MR-2", "offer_member": "M-3", "demand_member": "M-4",
                                        "introduced": None})
        net.store.introductions.insert({"ref": "MR-3", "offer_member": "M-5", "demand_member": None,
                                        "introduced": "2026-03-02T10:00:00+00:00"})
        net.store.groups.insert({"ref": "G-1", "offer_member": "M-6", "places": ["M-7", "M-8"],
                                 "first_session": "2026-12-01", "bilan_asked": None})
        net.store.groups.insert({"ref": "G-2", "offer_member": "M-9", "places": ["M-10"],
                                 "first_session": None, "bilan_asked": None})
    found = net.step(took_part, date(2026, 10, 9), date(2027, 2, 18))
    assert found == {"M-1", "M-2", "M-6", "M-7", "M-8"}


def test_the_bilan_s_effects_are_counted_per_semester_never_kept_with_the_person(net):
    import json

    introduced(net)
    net.later(21)
    assert net.answer(LINA, "question:bilan", "Échange réalisé : oui\nFreins : nos horaires\nIsolement : moins\n"
                      "Confiance : plus\nÉléments facilitants : la patience de Paco\n") == "MR-1 bilan demand: yes"
    assert net.answer(PACO, "question:bilan", "Très bien.\nRéseau : plus") == "MR-1 bilan offer: free text"
    bilans = net.store.introductions.find_one("ref", "MR-1")["bilans"]
    assert bilans["demand"]["obstacles"] == "nos horaires" and bilans["demand"]["facilitators"] == "la patience de Paco"
    assert bilans["offer"]["text"] == "Très bien."
    kept = json.dumps([net.store.introductions.all(), net.store.members.all()], ensure_ascii=False).lower()
    assert "isolement" not in kept and "confiance" not in kept and "réseau" not in kept
    assert net.store.get_state("effects:2026-S2") == {"isolement": {"moins": 1}, "confiance": {"plus": 1},
                                                      "reseau": {"plus": 1}}


def test_rers_collection_start_list_show_an_animators_questionnaire(net, tmp_path, monkeypatch, capsys):
    from store import Store
    from workflows.cli import main
    from workflows.shell.jobs import voice_job

    monkeypatch.setenv("RERS_NOW", "2026-11-23T09:00:00+00:00")
    questions_file = tmp_path / "questions.txt"
    questions_file.write_text("# Le questionnaire de l'équipe\nComment avez-vous connu le réseau ?\n\n"
                              "Que faudrait-il changer ?\n", encoding="utf-8")
    config = str(net.root / "rers.toml")
    assert main(["collection", "start", "--questions", str(questions_file), "--config", config]) == 0
    out = capsys.readouterr().out
    assert "R-1 : questionnaire de 2 question(s) jusqu’au 2026-12-07, 4 membre(s) interrogé(s)" in out
    assert "la synthèse part aux animateurs le 2026-12-08" in out and "4 mail(s) envoyé(s)" in out
    sent = sorted((net.root / "outbox").glob("*.eml"))
    assert len(sent) == 4
    net.store = Store.open(net.settings.store.path)
    (collection,) = net.store.recueils.all()
    assert (collection["source"], collection["meeting"], collection["since"]) == ("questionnaire", "2026-12-07", None)
    assert collection["questions"] == ["Comment avez-vous connu le réseau ?", "Que faudrait-il changer ?"]

    mails = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in sent]
    (to_marie,) = [m for m in mails if M in str(m["To"])]
    token = re.search(r"\[(RERS-[A-Z0-9]{8})\]", str(to_marie["Subject"])).group(1)
    assert net.send(M, f"RE: [{token}] Échanges sur les échanges", "Par une amie.\nCitation : prénom\n"
                    "Isolement : moins") == "R-1: answer recorded (quote prénom)"
    assert main(["collection", "list", "--config", config]) == 0
    out = capsys.readouterr().out
    assert "R-1    open         questionnaire 2026-12-07  moins de 5 interrogé(s), moins de 5 réponse(s)" in out
    assert main(["collection", "show", "r-1", "--config", config]) == 0
    out = capsys.readouterr().out
    assert "1. Comment avez-vous connu le réseau ?" in out and "« Par une amie. » — Marie" in out
    assert "isolement  moins moins de 5, pareil moins de 5, plus moins de 5" in out
    assert "Dupont" not in out and M not in out
    assert main(["collection", "show", "R-9", "--config", config]) == 1
    assert "pas de recueil R-9" in capsys.readouterr().err

    net.now = collection_day = net.now.replace(day=7, month=12)
    assert voice_job(net.settings, net.store, collection_day).synthesised == []
    net.now = net.now.replace(day=8)
    assert voice_job(net.settings, net.store, net.now).synthesised == ["R-1"], "the day after its last day"


def test_rers_collection_start_refuses_an_empty_file_or_a_past_day(net, tmp_path, monkeypatch, capsys):
    from workflows.cli import main

    monkeypatch.setenv("RERS_NOW", "2026-11-23T09:00:00+00:00")
    empty = tmp_path / "empty.txt"
    empty.write_text("# rien\n\n", encoding="utf-8")
    config = str(net.root / "rers.toml")
    assert main(["collection", "start", "--questions", str(empty), "--config", config]) == 1
    assert "ne contient aucune question" in capsys.readouterr().err
    full = tmp_path / "q.txt"
    full.write_text("Une question ?\n", encoding="utf-8")
    assert main(["collection", "start", "--questions", str(full), "--until", "2026-11-23", "--config", config]) == 1
    assert "doit être après aujourd’hui" in capsys.readouterr().err
    assert main(["collection", "start", "--questions", str(tmp_path / "none.txt"), "--config", config]) == 1
    assert "impossible de lire" in capsys.readouterr().err
    assert net.store.recueils.all() == []


def test_mes_donnees_lists_the_member_s_testimonies_and_recueil_answers(net):
    started(net)
    net.answer(M, "question:collection", "Le réseau m'a redonné confiance.\nCitation : anonyme\nIsolement : moins")
    assert net.send(M, "Témoignage", "Signature : prénom\n\nJ'ai appris à faire mon CV grâce au réseau.\n\nMarie",
                    name="Marie Dupont").startswith("testimony T-1 held")
    net.send(M, "MES DONNÉES", "Merci", name="Marie Dupont")
    (mail,) = net.mails("my_data", to=M)
    text = " ".join(mail.text.split())
    assert "Témoignages : - T-1 (en attente, signé de votre prénom)" in text
    assert "J'ai appris à faire mon CV grâce au réseau." in text
    assert "Vos réponses aux échanges sur les échanges : - R-1" in text and "(citation : anonyme)" in text
    assert "Le réseau m'a redonné confiance." in text
    assert "Isolement" not in text, "the effects are never kept with the person"
    attached = [p for p in mail.message.iter_attachments()][0].get_content()
    attached = attached.decode() if isinstance(attached, bytes) else attached
    assert '"recueil"' in attached and '"testimonies"' in attached


def test_the_total_does_not_give_away_a_hidden_count_by_subtraction():
    from workflows.model.voice import synthesis

    answers = [{"words": f"mots {n}", "quote": "anonyme"} for n in range(4)] + [{"words": "à moi", "quote": "non"}]
    found = synthesis({"ref": "R-2", "asked": 9}, answers, [], None)
    assert len(found["quotes"]) == 4 and found["not_quoted"] is None
    assert found["answered"] is None and found["answered_at_least"] is True


def test_the_plain_text_synthesis_keeps_the_last_quote_on_its_own_line():
    from datetime import datetime, timezone

    from workflows.mail.render import Renderer
    from workflows.model.voice import synthesis

    answers = [{"words": "J'ai repris confiance.", "quote": "anonyme"}] * 5 + [{"words": "x", "quote": "non"}]
    values = synthesis({"ref": "R-1", "asked": 9}, answers, [], None)
    text = Renderer("fr").render("collection_synthesis", {
        "network": {"name": "RERS de Test", "address": "rers@example.org"},
        "now": datetime(2026, 12, 7, tzinfo=timezone.utc), **values}).text
    assert "» — un membre\n\nRéponses à ne pas citer" in text.replace("\r\n", "\n")


def test_members_named_in_a_quote_are_masked_but_the_signing_author_keeps_her_first_name():
    from workflows.model.voice import synthesis

    answers = [{"words": "Grâce à Marie Dupont-Lefèvre et à Karim, j'ose parler. Nadia", "quote": "prénom",
                "first_name": "Nadia"},
               {"words": "Nadia m'a appris Excel.", "quote": "anonyme"}]
    found = synthesis({"ref": "R-3", "asked": 9}, answers, [], None,
                      names=["Marie Dupont-Lefèvre", "Karim Benali", "Nadia Haddad"])
    signed, anonymous = found["quotes"]
    assert "Marie" not in signed["text"] and "Karim" not in signed["text"] and "Dupont" not in signed["text"]
    assert signed["text"].endswith("Nadia") and signed["author"] == "Nadia"
    assert anonymous["text"] == "… m'a appris Excel." and anonymous["author"] is None
