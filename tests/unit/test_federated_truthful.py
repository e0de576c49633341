"""What the mails of a cross-network introduction say is what happened (issue 19, a fresh
tester's findings): the first name that crossed, or that none did; « terminée » for an
introduction made then ended; a peer restarting from an empty store leaves nothing of
its old self behind. Two robots through the real parser and route table, the test
carrying the mail between them."""
from __future__ import annotations

import json
import mailbox

from federation_support import Network, json_part, parse
from support import member_mail

HAVRE, ROUEN = "rers@havre.example", "rers@rouen.example"
A_H, A_R = "anim@havre.example", "anim@rouen.example"


def text(raw: bytes) -> str:
    """The plain part of a mail, its lines joined."""
    return " ".join(parse(raw).get_body(("plain",)).get_content().split())


def exchange(havre: Network, rouen: Network) -> list[str]:
    outcomes: list[str] = []
    while step := havre.pass_on(rouen) + rouen.pass_on(havre):
        outcomes += step
    return outcomes


def linked(tmp_path, paco_name: str = "Paco Martinez", paco_first: str | None = None) -> tuple[Network, Network]:
    """Marie's demand in Le Havre proposed to Paco's offer in Rouen (MRV-1), both teams
    approving; Paco's first name as the store holds it (``paco_first``: None, the robot
    cannot tell it from ``Paco Martinez``)."""
    havre = Network(tmp_path / "havre", "RERS du Havre", HAVRE, A_H)
    rouen = Network(tmp_path / "rouen", "RERS de Rouen", ROUEN, A_R)
    havre.link(rouen)
    rouen.link(havre)
    havre.member("marie@example.com", "Marie Dupont")
    paco = rouen.member("paco@example.net", paco_name)
    with rouen.store.transaction():
        rouen.store.members.update(paco["id"], first_name=paco_first)
    havre.deliver(member_mail("marie@example.com", "DEMANDE : cours d'espagnol", "Réseaux voisins : oui\n", to=HAVRE))
    rouen.deliver(member_mail("paco@example.net", "OFFRE : cours d'espagnol", "Réseaux voisins : oui\n", to=ROUEN))
    havre.work()
    exchange(havre, rouen)
    havre.answer(A_H, "question:crossing_approve", "OUI")
    rouen.answer(A_R, "question:crossing_approve", "OUI")
    exchange(havre, rouen)
    return havre, rouen


def test_no_first_name_known_the_question_asks_one_and_the_mails_say_none_crossed(tmp_path):
    havre, rouen = linked(tmp_path)
    asked = text(rouen.mail_to("paco@example.net", "question:crossing_consent"))
    assert "Comment souhaitez-vous être appelé·e" in asked and "votre prénom," not in asked
    havre.answer("marie@example.com", "question:crossing_consent", "OUI")
    exchange(havre, rouen)
    assert rouen.answer("paco@example.net", "question:crossing_consent", "OUI") == "MRV-1 consent: yes, introduction sent"
    exchange(havre, rouen)
    (introduced,) = [json.loads(json_part(r))["body"] for r in rouen.robot_mail(havre)
                     if json.loads(json_part(r))["kind"] == "introduced"]
    assert introduced["first_name"] is None and "Martinez" not in json.dumps(introduced)
    to_paco = text(rouen.mail_to("paco@example.net", "crossing_introduction"))
    assert "a reçu votre adresse e-mail" in to_paco and "Elle n'a pas reçu de prénom : présentez-vous" in to_paco
    assert "votre prénom" not in to_paco
    to_marie = text(havre.mail_to("marie@example.com", "crossing_introduction"))
    assert "Son réseau ne nous a pas donné de prénom" in to_marie and "Martinez" not in to_marie
    assert "a reçu votre prénom, Marie, et votre adresse e-mail" in to_marie


def test_a_first_name_given_in_the_consent_answer_crosses_and_is_kept(tmp_path):
    havre, rouen = linked(tmp_path)
    havre.answer("marie@example.com", "question:crossing_consent", "OUI")
    rouen.answer("paco@example.net", "question:crossing_consent", "OUI\nPrénom : Paco")
    exchange(havre, rouen)
    assert rouen.store.members.find_one("ref", "M-1")["first_name"] == "Paco"
    to_marie = text(havre.mail_to("marie@example.com", "crossing_introduction"))
    assert "Paco" in to_marie and "Martinez" not in to_marie and "ne nous a pas donné de prénom" not in to_marie
    assert "a reçu votre prénom, Paco, et votre adresse e-mail" in text(
        rouen.mail_to("paco@example.net", "crossing_introduction"))


def test_a_first_name_known_is_named_in_the_question(tmp_path):
    havre, rouen = linked(tmp_path, paco_first="Paco")
    asked = text(rouen.mail_to("paco@example.net", "question:crossing_consent"))
    assert "votre prénom, Paco, et votre adresse e-mail" in asked and "Comment souhaitez-vous" not in asked


def test_an_introduction_made_then_left_is_ended_not_will_not_take_place(tmp_path):
    havre, rouen = linked(tmp_path, paco_first="Paco")
    havre.answer("marie@example.com", "question:crossing_consent", "OUI")
    rouen.answer("paco@example.net", "question:crossing_consent", "OUI")
    exchange(havre, rouen)
    with havre.store.transaction():  # the introduction mail left (a flush)
        for mail in havre.outbox(purpose="crossing_introduction"):
            havre.store.outbox.update(mail["id"], status="sent", sent=havre.now.isoformat())
    rouen.deliver(member_mail("paco@example.net", "RETRAIT", "Je quitte le réseau.", to=ROUEN))
    rouen.answer("paco@example.net", "question:withdraw", "OUI")
    assert exchange(havre, rouen) == ["federation: MRV-1 erased by RERS de Rouen"]
    raw = havre.mail_to(A_H, "crossing_closed")
    subject = str(parse(raw)["Subject"])
    assert subject.endswith(": terminée") and "n'aura pas lieu" not in subject
    body = text(raw)
    assert "est terminée : le membre du réseau voisin l'a quitté" in body
    assert "Déjà envoyé, ce message reste chez notre membre" in body, "the copy it erased is not the mail already sent"
    assert "dossier d'envoi" in body and "[À traiter] Effacement de MRV-1" in body


def test_the_files_of_a_made_introduction_leave_the_outbox_folder_when_the_other_member_leaves(tmp_path):
    """The folder transport (the sandbox's, the demo's): the introduction mail written as
    a file holds Paco's contact; once Rouen says Paco left, Le Havre's cycle deletes it —
    found by its Message-ID, which the crossing kept, since his address is kept nowhere."""
    havre, rouen = linked(tmp_path, paco_first="Paco")
    havre.answer("marie@example.com", "question:crossing_consent", "OUI")
    rouen.answer("paco@example.net", "question:crossing_consent", "OUI")
    exchange(havre, rouen)
    (introduction,) = havre.outbox(purpose="crossing_introduction")
    assert havre.store.crossings.find_one("ref", "MRV-1")["introduction_id"] == introduction["message_id"]
    havre.runner.flush()

    def holding_paco() -> list[str]:
        return [p.name for p in (havre.root / "outbox").glob("*.eml") if b"paco@example.net" in p.read_bytes()]

    assert len(holding_paco()) == 1
    rouen.deliver(member_mail("paco@example.net", "RETRAIT", "Je quitte le réseau.", to=ROUEN))
    rouen.answer("paco@example.net", "question:withdraw", "OUI")
    (withdrawn,) = rouen.robot_mail(havre)[rouen.carried[HAVRE]:]
    mailbox.Maildir(havre.root / "mail").add(withdrawn)
    (handled,) = havre.runner.cycle().handled
    assert handled.outcome == "handled: federation: MRV-1 erased by RERS de Rouen"
    assert holding_paco() == [], "no copy of his contact left here"
    assert not havre.outbox(purpose="crossing_introduction") and not havre.outbox(purpose="erasure_cleanup")
    assert havre.store.crossings.find_one("ref", "MRV-1")["introduction_id"] is None
    assert [p for p in (havre.root / "outbox").glob("*.eml") if b"Marie" in p.read_bytes()], \
        "the other files stay (the mails to Marie before)"


def test_a_crossing_ended_before_it_was_made_will_not_take_place(tmp_path):
    havre, rouen = linked(tmp_path, paco_first="Paco")
    rouen.deliver(member_mail("paco@example.net", "RETRAIT O-1", "", to=ROUEN))
    rouen.answer("paco@example.net", "question:withdraw_item", "OUI")
    exchange(havre, rouen)
    raw = havre.mail_to(A_H, "crossing_closed")
    assert str(parse(raw)["Subject"]).endswith(": n'aura pas lieu")
    body = text(raw)
    assert "n'aura pas lieu : le membre du réseau voisin a retiré son savoir" in body and "effacé" not in body


def test_a_peer_restarting_ends_what_was_under_way_and_its_old_list_is_forgotten(tmp_path):
    havre, rouen = linked(tmp_path, paco_first="Paco")
    assert havre.store.crossings.all()[0]["status"] == "consent"
    rouen.restart(havre)
    havre.later(days=1)
    # Rouen's new O-1 is another item altogether.
    rouen.member("ana@example.net", "Ana Lopez")
    rouen.deliver(member_mail("ana@example.net", "OFFRE : tricot", "Réseaux voisins : oui\n", to=ROUEN))
    assert rouen.share() == ["hello to RERS du Havre"]
    outcomes = exchange(havre, rouen)
    assert outcomes[0] == "federation: hello from RERS de Rouen; restarted, what was kept of it forgotten"

    (record,) = havre.store.crossings.all()
    assert (record["status"], record["close_reason"]) == ("expired", "restarted") and record["peer_restarted"]
    assert not [r for r in havre.robot_mail(rouen) if json.loads(json_part(r))["kind"] == "withdrawn"], \
        "nothing to end on its side: it knows nothing of it"
    closed = text(havre.mail_to(A_H, "crossing_closed"))
    assert "est reparti d'un fichier de données vide" in closed and "n'aura pas lieu" in closed
    assert havre.outbox(to="marie@example.com", purpose="introduction_cancelled"), "asked: told, as for an expiry"
    assert havre.store.get_state(f"federation:{ROUEN}")["catalogue"] == [
        {"ref": "O-1", "kind": "offer", "title": "tricot", "modality": None, "availability": None}]
    assert havre.store.crossings.all() == [record], "D-1 not proposed against the new O-1 (tricot)"

    # Its new numbering: an MRV-1 of Rouen's is a new introduction, not « received twice ».
    rouen.deliver(member_mail("ana@example.net", "DEMANDE : cours d'espagnol", "Réseaux voisins : oui\n", to=ROUEN))
    havre.member("lina@example.com", "Lina Petit")
    havre.deliver(member_mail("lina@example.com", "OFFRE : cours d'espagnol", "Réseaux voisins : oui\n", to=HAVRE))
    havre.later(days=1)
    assert havre.work() == ["catalogue to RERS de Rouen"]
    carried = exchange(havre, rouen)
    assert any(line.startswith("federation: proposal MRV-1 of RERS de Rouen: MRV-2, approval asked")
               for line in carried), carried


def test_a_robot_message_names_the_peer_as_configured(tmp_path):
    havre, rouen = linked(tmp_path, paco_first="Paco")
    (first, *_) = havre.robot_mail(rouen)
    assert str(parse(first)["To"]) == "RERS de Rouen <rers@rouen.example>", "not « Rers de Rouen »"
