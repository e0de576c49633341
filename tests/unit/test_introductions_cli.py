"""`rers introductions cancel MR-n` and `rers introductions consent MR-n …`: the animators'
way out of an introduction stuck on a member who cannot say yes or no by mail."""
from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from intro_support import ANIMATORS, Net
from test_unclear_answers import CLAIRE, PACO, commanded
from workflows.cli import main
from workflows.model.introductions import STATUS
from workflows.shell.language import Words

FR = Words("fr")

LINA = "lina.petit@example.org"
A1, A2 = ANIMATORS


@pytest.fixture
def net(tmp_path, monkeypatch) -> Net:
    net = Net(tmp_path / "robot")
    monkeypatch.setenv("RERS_NOW", net.now.isoformat())
    return net


def rers(net: Net, capsys, *args) -> tuple[int, str, str]:
    status = main(["introductions", *args, "--config", str(net.root / "rers.toml")])
    out = capsys.readouterr()
    net.store.refresh()
    return status, out.out, out.err


def sent(net: Net, subject: str) -> dict[str, str]:
    """The mails the command sent (the outbox folder), whose subject has ``subject``:
    ``{recipient: text}``."""
    found = {}
    for path in sorted((net.root / "outbox").glob("*.eml")):
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        if subject in str(msg["Subject"]):
            found[msg["To"].addresses[0].addr_spec] = msg.get_body(preferencelist=("plain",)).get_content()
    return found


def stuck(net: Net) -> None:
    """Claire answered twice without saying yes or no."""
    commanded(net)
    net.send(CLAIRE, f"RE: [{net.token(CLAIRE, 'question:consent')}] MR", "Je refuse. Enfin non, j'accepte !")
    net.send(CLAIRE, f"RE: [{net.token(CLAIRE, 'question:consent')}] MR", "peut-etre, je ne sais pas encore")


def open_questions(net: Net) -> list[dict]:
    return [q for q in net.store.questions.find("subject_ref", "MR-1") if q["status"] == "open"]


def test_cancel_closes_the_introduction_tells_both_and_frees_the_pair(net, capsys):
    stuck(net)
    status, out, _ = rers(net, capsys, "cancel", "MR-1", "--animator", "Claire Animatrice")
    assert status == 0 and out.startswith("MR-1 annulée")
    intro = net.intro()
    assert intro["status"] == "cancelled" and intro["closed"]
    assert intro["history"][-1]["event"] == "cancelled by Claire Animatrice"
    assert not open_questions(net)
    told = sent(net, "n'aura pas lieu")
    assert sorted(told) == [CLAIRE, PACO]
    for text in told.values():
        assert "n'aura pas lieu" in text and "Claire Animatrice" not in text
    assert net.send(A1, "MISE EN RELATION O-1 D-1", "") == "MR-2 created by command", "no longer in progress"


def test_cancel_of_a_proposal_tells_no_member(net, capsys):
    paco, lina = net.member(PACO, "Paco Ruiz"), net.member(LINA, "Lina Petit")
    net.item(paco, "offer", "Cours d'espagnol")
    net.item(lina, "demand", "Apprendre l'espagnol")
    assert net.intro()["status"] == "proposed"
    assert rers(net, capsys, "cancel", "MR-1")[0] == 0
    assert net.intro()["status"] == "cancelled" and not open_questions(net)
    assert not net.mails(to=PACO) and not net.mails(to=LINA)
    assert not ({PACO, LINA} & set(sent(net, "")))


@pytest.mark.parametrize("args,message", [
    (("cancel", "MR-9"), FR("no introduction {ref}", ref="MR-9")),
    (("consent", "MR-9", "--side", "demand", "--answer", "yes", "--animator", "Claire"),
     FR("no introduction {ref}", ref="MR-9")),
])
def test_an_unknown_introduction_is_one_clear_line(net, capsys, args, message):
    status, _, err = rers(net, capsys, *args)
    assert status != 0 and message in err and "Traceback" not in err


def test_an_introduction_already_made_cannot_be_cancelled_nor_consented(net, capsys):
    commanded(net)
    net.answer(CLAIRE, "question:consent", "oui")
    assert net.answer(PACO, "question:consent", "oui") == "MR-1 introduced"
    status, _, err = rers(net, capsys, "cancel", "MR-1")
    assert status != 0 and err == "rers: " + FR("{ref} is {status}: only an introduction waiting for approval or "
                                                "consent can be cancelled", ref="MR-1", status=STATUS["introduced"]) + "\n"
    status, _, err = rers(net, capsys, "consent", "MR-1", "--side", "demand", "--answer", "no", "--animator", "C")
    assert status != 0 and err == "rers: " + FR("{ref} is {status}: only an introduction waiting for consent takes "
                                                "one", ref="MR-1", status=STATUS["introduced"]) + "\n"
    assert net.intro()["status"] == "introduced"


def test_an_oral_yes_is_recorded_and_counts_as_the_member_s_answer(net, capsys):
    stuck(net)
    paco = net.token(PACO, "question:consent")  # before the command sends (and drops) the mails
    status, out, _ = rers(net, capsys, "consent", "MR-1", "--side", "demand", "--answer", "yes",
                          "--animator", "Claire Animatrice")
    assert status == 0 and out.startswith("MR-1 accord (demand) : oui")
    assert net.intro()["consents"] == {"offer": None, "demand": "yes"}
    consent = [c for c in net.store.consents.find("member", "M-2") if c["subject_ref"] == "MR-1"][-1]
    assert (consent["how"], consent["given"], consent["recorded_by"]) == ("oral", True, "Claire Animatrice")
    assert [q["member"] for q in open_questions(net)] == ["M-1"], "Claire's questions are closed"
    assert net.send(PACO, f"RE: [{paco}] MR-1", "OUI") == "MR-1 introduced"


def test_an_oral_no_declines(net, capsys):
    stuck(net)
    assert rers(net, capsys, "consent", "MR-1", "--side", "demand", "--answer", "no", "--animator", "Claire")[0] == 0
    assert net.intro()["status"] == "declined" and not open_questions(net)
    assert sorted(sent(net, "n'aura pas lieu")) == [CLAIRE, PACO]


def test_the_same_oral_answer_twice_is_refused(net, capsys):
    commanded(net)
    assert rers(net, capsys, "consent", "MR-1", "--side", "offer", "--answer", "yes", "--animator", "C")[0] == 0
    status, _, err = rers(net, capsys, "consent", "MR-1", "--side", "offer", "--answer", "yes", "--animator", "C")
    assert status != 0 and err == "rers: " + FR("{ref}: the {side} member's {answer} is already recorded", ref="MR-1",
                                                side="offer", answer="yes") + "\n"


def test_an_oral_answer_for_a_member_without_address_closes_every_animator_s_copy(net, capsys):
    paco = net.member(PACO, "Paco Ruiz")
    jeanne = net.member(None, "Jeanne Roux", contact="permanence")
    net.item(paco, "offer", "Guitare", opened=False)
    net.item(jeanne, "demand", "Cuisine", opened=False)
    net.send(A1, "MISE EN RELATION O-1 D-1", "")
    assert sorted(q["address"] for q in open_questions(net) if q["member"] == "M-2") == sorted(ANIMATORS)
    assert rers(net, capsys, "consent", "MR-1", "--side", "demand", "--answer", "yes", "--animator", "Claire")[0] == 0
    assert [q["member"] for q in open_questions(net)] == ["M-1"]
    assert net.intro()["consents"]["demand"] == "yes"


@pytest.mark.parametrize("language, status, source, same", [
    ("fr", "proposée", "(rapprochement)", "(même mot)"),
    ("en", "proposed", "(matching)", "(same word)"),
])
def test_list_and_show_say_the_status_source_and_why_in_the_network_language(tmp_path, monkeypatch, capsys,
                                                                            language, status, source, same):
    net = Net(tmp_path / "robot", network=f'language = "{language}"')
    monkeypatch.setenv("RERS_NOW", net.now.isoformat())
    paco, lina = net.member(PACO, "Paco Ruiz"), net.member(LINA, "Lina Petit")
    net.item(paco, "offer", "Cours d'espagnol")
    net.item(lina, "demand", "Apprendre l'espagnol")
    listed = rers(net, capsys, "list")[1]
    assert listed.startswith(f"MR-1    {status} ")
    shown = rers(net, capsys, "show", "MR-1")[1]
    assert shown.startswith(f"MR-1: {status}\n") and source in shown and same in shown
    assert ("(même mot)" in shown) == (language == "fr"), "the explanation follows the operator's language"


def test_a_closed_introduction_says_why_in_french(net, capsys):
    stuck(net)
    rers(net, capsys, "cancel", "MR-1", "--animator", "Claire")
    assert rers(net, capsys, "show", "MR-1")[1].startswith("MR-1: annulée (annulée par un animateur)\n")
    status, _, err = rers(net, capsys, "cancel", "MR-1")
    assert status != 0 and err.startswith("rers: MR-1 est annulée : ")


@pytest.mark.parametrize("written", ["cancelled", "annulée", "ANNULEE"])
def test_list_status_takes_the_word_the_list_shows_or_the_store_s(net, capsys, written):
    commanded(net)
    rers(net, capsys, "cancel", "MR-1", "--animator", "Claire Animatrice")
    status, out, _ = rers(net, capsys, "list", "--status", written)
    assert status == 0 and out.startswith("MR-1") and "annulée" in out
    status, out, _ = rers(net, capsys, "list", "--status", "proposée")
    assert status == 0 and "MR-1" not in out


def test_an_unknown_status_names_the_words_it_knows(net, capsys):
    status, _, err = rers(net, capsys, "list", "--status", "frobbed")
    assert status != 0 and "frobbed" in err and "annulée" in err and "Traceback" not in err
