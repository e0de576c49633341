"""Members without an e-mail address: ``ADHÉSION POUR``, questions through the animators,
``POUR M-14 : OUI``, and ``rers members`` on the command line."""
from __future__ import annotations

import json

import pytest

from membership_support import World, mail, reply, text_of
from support import ANIMATORS
from workflows.cli import main

ANIM, OTHER_ANIM = ANIMATORS
REGISTER = ("Nom : Jeanne Roux\nTéléphone : 06 12 34 56 78\nContact : permanence\n"
            "Consentement : oral, à la permanence du 2026-12-07\nOffre : Tricot pour débutants\n")


@pytest.fixture
def world(tmp_path):
    return World(tmp_path / "robot")


def register(world, body=REGISTER):
    return world.deliver(mail(ANIM, "ADHÉSION POUR", body, name="Claire Animatrice"))


def test_adhesion_pour_registers_a_confirmed_member_with_an_oral_consent(world):
    assert register(world) == "handled: registered M-1 O-1"
    jeanne = world.store.members.find_one("ref", "M-1")
    assert jeanne["address"] is None and jeanne["status"] == "confirmed" and jeanne["phone"] == "+33612345678"
    assert jeanne["contact"] == "permanence" and jeanne["registered_by"] == f"Claire Animatrice <{ANIM}>"
    (consent,) = world.store.consents.all()
    assert consent["how"] == "oral" and consent["recorded_by"] == f"Claire Animatrice <{ANIM}>"
    assert consent["note"] == "oral, à la permanence du 2026-12-07" and consent["message_id"] is None
    assert consent["texts"]["charte"]["version"] == "charte-v1"
    assert world.store.items.find_one("ref", "O-1")["status"] == "open"
    done = world.last(ANIM)
    assert done.purpose == "register_done" and "POUR M-1 : OUI" in text_of(done)


def test_adhesion_pour_without_consent_records_nothing(world):
    assert register(world, "Nom : Jeanne Roux\n") == "handled: register refused: missing Consentement"
    assert world.store.members.count() == 0
    assert "il manque Consentement" in str(world.last(ANIM)["Subject"])


def test_the_same_name_twice_is_pointed_out(world):
    register(world)
    register(world, REGISTER.replace("Tricot", "Couture"))
    assert "M-1" in text_of(world.last(ANIM))


def test_adhesion_pour_from_someone_else_is_no_command(world):
    outcome = world.deliver(mail("mallory@example.net", "ADHÉSION POUR", REGISTER))
    assert "registered" not in outcome
    assert all(m["address"] for m in world.store.members.all())


def test_a_question_for_a_member_without_address_goes_to_each_animator(world):
    register(world)
    outcome = world.deliver(mail(ANIM, "RETRAIT O-1", "Jeanne ne peut plus venir.\n"))
    assert outcome == "handled: withdraw_item O-1: confirmation asked of M-1"
    first, second = world.last(ANIM, "question:withdraw_item"), world.last(OTHER_ANIM, "question:withdraw_item")
    assert "POUR M-1 : OUI" in text_of(first) and "Tricot pour débutants" in text_of(first)
    assert "06 12 34 56 78" in text_of(first), "the phone as people write it"
    assert first["Subject"] != second["Subject"]

    assert world.deliver(reply(second, OTHER_ANIM, "POUR M-2 : OUI")) == "handled: refused: wrong member"
    assert world.deliver(reply(first, OTHER_ANIM, "POUR M-1 : OUI")) == "handled: refused: wrong address"
    assert world.store.items.find_one("ref", "O-1")["status"] == "open"

    assert world.deliver(reply(second, OTHER_ANIM, "POUR M-1 : OUI")) == "handled: withdraw_item O-1: closed"
    assert world.store.items.find_one("ref", "O-1")["status"] == "closed"
    # One answer decided: the copy sent to the other animator is closed.
    assert world.deliver(reply(first, ANIM, "POUR M-1 : NON")) == "handled: refused: cancelled"


def test_mail_to_an_animator_bears_the_animator_s_name_never_the_member_s(world):
    register(world)
    done = world.last(ANIM, "register_done")
    assert str(done["To"]) == f"Claire Animatrice <{ANIM}>", "not the « Nom : Jeanne Roux » of the command"
    world.deliver(mail(ANIM, "RETRAIT O-1", "Nom : Jeanne Roux\n", name="Claire Animatrice"))
    for animator in ANIMATORS:
        assert str(world.last(animator, "question:withdraw_item")["To"]) == animator
    question = world.last(ANIM, "question:withdraw_item")
    world.deliver(reply(question, ANIM, "POUR M-1 : peut-être", name="Claire Animatrice"))
    assert str(world.last(ANIM, "question:withdraw_item")["To"]) == ANIM, "the clarification too"


def test_an_answer_bears_the_member_s_recorded_name_or_the_from_name(world):
    world.deliver(mail("elise@example.org", "ADHÉSION", "Nom : Élise Martin\n", name="E. M."))
    world.deliver(reply(world.last("elise@example.org"), "elise@example.org", "OUI", name="E. M."))
    world.deliver(mail("elise@example.org", "OFFRE : Tricot", "Nom : Jeanne Roux\n", name="Lise"))
    assert str(world.last("elise@example.org", "items_ack")["To"]) == "Élise Martin <elise@example.org>"
    world.deliver(mail("bob@example.net", "AIDE", "Nom : Marcel Lenoir\n", name="Robert Durand"))
    assert str(world.last("bob@example.net", "help")["To"]) == "Robert Durand <bob@example.net>"


def test_an_animators_answer_must_be_authenticated_when_the_network_trusts_a_server(tmp_path):
    world = World(tmp_path / "robot", network='authserv_id = "mx.example.org"')
    signed = {"Authentication-Results": "mx.example.org; dkim=pass header.d=example.org; dmarc=pass"}
    assert world.deliver(mail(ANIM, "ADHÉSION POUR", REGISTER, headers=signed)) == "handled: registered M-1 O-1"
    assert world.deliver(mail(ANIM, "ADHÉSION POUR", REGISTER)) == "handled: refused: not authenticated"
    world.deliver(mail(ANIM, "RETRAIT O-1", "", headers=signed))
    question = world.last(ANIM, "question:withdraw_item")
    forged = {"Authentication-Results": "evil.example; dkim=pass header.d=example.org"}
    assert world.deliver(reply(question, ANIM, "POUR M-1 : OUI", headers=forged)) == "handled: refused: not authenticated"
    assert world.deliver(reply(question, ANIM, "POUR M-1 : OUI", headers=signed)) == "handled: withdraw_item O-1: closed"


# --- the command line ----------------------------------------------------------------------


def rers(world, capsys, *args):
    status = main([*args, "--config", str(world.settings.source)])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_members_add_list_show_export_forget(world, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("RERS_NOW", "2026-12-07T10:00:00+01:00")
    status, out, _ = rers(world, capsys, "members", "add", "--name", "Jeanne Roux", "--phone", "06 12 34 56 78",
                          "--consent", "oral, à la permanence du 7 décembre", "--by", "Claire", "--offer", "Tricot",
                          "--demand", "Lire un bail")
    assert status == 0 and out.startswith("M-1 inscrit : Jeanne Roux, O-1 Tricot, D-1 Lire un bail")
    world.store.refresh()
    jeanne = world.store.members.find_one("ref", "M-1")
    assert jeanne["phone"] == "+33612345678" and jeanne["contact"] == "phone" and jeanne["created"] == "2026-12-07T09:00:00+00:00"
    assert world.store.consents.all()[0]["recorded_by"] == "Claire"

    status, out, _ = rers(world, capsys, "members", "list")
    assert status == 0 and "M-1     confirmé     Jeanne Roux — tél. +33612345678" in out

    status, out, _ = rers(world, capsys, "members", "show", "m-1")
    flat = " ".join(out.split())
    assert status == 0 and "Nom : Jeanne Roux" in out and "lundi 7 décembre 2026 : adhésion, accord de vive voix, noté par Claire" in flat

    target = tmp_path / "export.json"
    assert rers(world, capsys, "members", "export", "M-1", "-o", str(target))[0] == 0
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["member"]["name"] == "Jeanne Roux" and [i["ref"] for i in data["items"]] == ["O-1", "D-1"]

    status, _, err = rers(world, capsys, "members", "forget", "M-1", "--by", "Claire")
    assert status == 1 and "--yes" in err
    status, out, _ = rers(world, capsys, "members", "forget", "M-1", "--by", "Claire", "--yes")
    assert status == 0 and "M-1 effacé" in out
    world.store.refresh()
    assert world.store.members.count() == 0
    (tombstone,) = world.store.tombstones.all()
    assert tombstone["reason"] == "forgotten" and tombstone["by"] == "animator" and tombstone["animator"] == "Claire"

    status, _, err = rers(world, capsys, "members", "show", "M-1")
    assert status == 1 and "pas de membre M-1" in err


def test_members_export_writes_a_file_only_its_owner_can_read(world, capsys, tmp_path):
    rers(world, capsys, "members", "add", "--name", "Jeanne Roux", "--consent", "oral", "--by", "Claire")
    target = tmp_path / "export.json"
    assert rers(world, capsys, "members", "export", "M-1", "-o", str(target))[0] == 0
    assert target.stat().st_mode & 0o777 == 0o600
    old = tmp_path / "old.json"
    old.write_text("{}")
    old.chmod(0o644)
    assert rers(world, capsys, "members", "export", "M-1", "--output", str(old))[0] == 0
    assert old.stat().st_mode & 0o777 == 0o600 and json.loads(old.read_text())["member"]["ref"] == "M-1"


@pytest.mark.parametrize("phone", ["hello", "123", "06 12"])
def test_members_add_refuses_what_is_not_a_phone_number(world, capsys, phone):
    status, _, err = rers(world, capsys, "members", "add", "--name", "X", "--phone", phone, "--consent", "oral",
                          "--by", "Claire")
    assert status == 1 and "--phone" in err and "pas un numéro de téléphone" in err and "Traceback" not in err
    world.store.refresh()
    assert world.store.members.count() == 0


def test_members_add_refuses_an_email_contact_and_needs_a_consent(world, capsys):
    status, _, err = rers(world, capsys, "members", "add", "--name", "X", "--contact", "email", "--consent", "oral",
                          "--by", "Claire")
    assert status == 1 and "--contact" in err
    status, _, err = rers(world, capsys, "members", "add", "--name", "X", "--consent", " ", "--by", "Claire")
    assert status == 1 and "donné son accord" in err


def test_members_expire(world, capsys, monkeypatch):
    world.deliver(mail("elise@example.com", "ADHÉSION", ""))
    monkeypatch.setenv("RERS_NOW", "2026-12-22T09:00:00+00:00")
    assert rers(world, capsys, "members", "expire")[1] == "0 membre(s) en attente effacé(s)\n"
    monkeypatch.setenv("RERS_NOW", "2026-12-23T09:00:00+00:00")
    assert rers(world, capsys, "members", "expire")[1] == "1 membre(s) en attente effacé(s) : M-1\n"


def test_members_set_applies_what_an_animator_checked_with_the_person(world, capsys, monkeypatch):
    monkeypatch.setenv("RERS_NOW", "2026-11-23T10:00:00+01:00")
    world.deliver(mail("elise@example.com", "ADHÉSION", "Nom : Élise Martin\nInvitations : non\n", name="Élise Martin"))
    world.deliver(reply(world.last("elise@example.com"), "elise@example.com", "OUI"))
    # Her mail asking for another phone went to the animators; they call her, then:
    status, out, _ = rers(world, capsys, "members", "set", "m-1", "--phone", "06 98 76 54 32", "--contact", "phone",
                          "--by", "Claire")
    assert status == 0 and out.startswith("M-1 mis à jour : contact phone, phone +33698765432")
    world.store.refresh()
    elise = world.member("elise@example.com")
    assert (elise["phone"], elise["contact"]) == ("+33698765432", "phone")
    assert rers(world, capsys, "calendar", "publish")[0] == 0
    status, out, _ = rers(world, capsys, "members", "set", "M-1", "--invitations", "yes", "--by", "Claire")
    assert status == 0 and "mail(s) de calendrier en attente" in out and "mail(s) envoyé(s)" in out, "the invitations leave at once"
    world.store.refresh()
    assert world.member("elise@example.com")["invitations"] is True
    status, _, err = rers(world, capsys, "members", "set", "M-1", "--phone", "", "--by", "Claire")
    assert status == 1 and "n’aurait plus de numéro" in err, "her contact is the phone: it cannot go"
    status, _, err = rers(world, capsys, "members", "set", "M-1", "--by", "Claire")
    assert status == 1 and "rien à changer" in err
    with pytest.raises(SystemExit):  # argparse: one of email, phone, permanence
        rers(world, capsys, "members", "set", "M-1", "--contact", "pas par mail, par téléphone", "--by", "Claire")
    for option, value, why in (("--name", " ", "ne peut pas être vide"), ("--name", "x" * 101, "100 caractères au plus"),
                               ("--name", "Élise\u202eniraM", "U+202E"), ("--by", " ", "nommez l’animat")):
        args = ["--name", value, "--by", "Claire"] if option == "--name" else ["--name", "Élise", "--by", value]
        status, _, err = rers(world, capsys, "members", "set", "M-1", *args)
        assert status == 1 and why in err and "Traceback" not in err
    assert rers(world, capsys, "members", "set", "M-1", "--contact", "phone", "--by", "Claire")[1] == \
        "M-1 : rien n’a changé (c’était déjà le cas)\n"


def test_an_erasure_after_a_rename_also_finds_the_former_name_and_phone(world, capsys):
    rers(world, capsys, "members", "add", "--name", "Karim Haddad", "--phone", "06 11 22 33 44", "--consent", "oral",
         "--by", "Claire")
    rers(world, capsys, "members", "add", "--name", "Jeanne Roux", "--consent", "oral", "--by", "Claire",
         "--offer", "Couture avec Karim Haddad, au 06 11 22 33 44")
    status, out, _ = rers(world, capsys, "members", "set", "M-1", "--name", "Karim H.", "--phone", "07 61 00 00 01",
                          "--by", "Claire")
    assert status == 0 and "name Karim H." in out and "phone +33761000001" in out
    assert rers(world, capsys, "members", "forget", "M-1", "--by", "Claire", "--yes")[0] == 0
    world.store.refresh()
    (offer,) = world.store.items.all()
    assert "Karim" not in offer["title"] and "06 11" not in offer["title"] and "[effacé]" in offer["title"]


def test_members_set_refuses_invitations_for_a_member_without_address(world, capsys):
    rers(world, capsys, "members", "add", "--name", "Jeanne Roux", "--consent", "oral", "--by", "Claire")
    status, _, err = rers(world, capsys, "members", "set", "M-1", "--invitations", "yes", "--by", "Claire")
    assert status == 1 and "les invitations ne peuvent pas lui parvenir" in err
    status, _, err = rers(world, capsys, "members", "set", "M-1", "--contact", "email", "--by", "Claire")
    assert status == 1 and "n’a pas d’adresse e-mail" in err
    status, _, err = rers(world, capsys, "members", "set", "M-1", "--invitations", "yes", "--by", "Claire")
    assert status == 1 and "n’a pas d’adresse e-mail" in err


def test_members_set_says_why_invitations_cannot_start(world, capsys):
    world.deliver(mail("elise@example.com", "ADHÉSION", "Nom : Élise Martin\n", name="Élise Martin"))
    status, _, err = rers(world, capsys, "members", "set", "M-1", "--invitations", "yes", "--by", "Claire")
    assert status == 1 and "pas encore confirmé son adhésion" in err
    world.deliver(reply(world.last("elise@example.com"), "elise@example.com", "OUI"))
    with world.store.transaction():
        world.store.members.update(world.member("elise@example.com")["id"], undeliverable=True)
    status, _, err = rers(world, capsys, "members", "set", "M-1", "--invitations", "yes", "--by", "Claire")
    assert status == 1 and "marquée injoignable" in err
