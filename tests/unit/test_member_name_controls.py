"""A name never holds a control character: ``rers members add`` refuses one (a CR LF in a
name would be a header line in a mail that quotes it), and a ``Nom :`` line read from
mail is cleaned of them."""
from __future__ import annotations

import pytest

from membership_support import World, mail
from support import ANIMATORS
from workflows.cli import main
from workflows.mail.fields import read_fields


@pytest.fixture
def world(tmp_path):
    return World(tmp_path / "robot")


def rers(world, capsys, *args):
    status = main([*args, "--config", str(world.settings.source)])
    out = capsys.readouterr()
    return status, out.out, out.err


@pytest.mark.parametrize("option, value", [
    ("--name", "Jeanne Roux\r\nBcc: x@evil.example"),
    ("--name", "Jeanne\tRoux"),
    ("--name", "Jeanne Roux\n"),
    ("--name", "Jeanne\x1b[31mRoux"),
    ("--name", "Jeanne\x85Roux"),
    ("--by", "Claire\r\nBcc: x@evil.example"),
    ("--consent", "oral\x00"),
    ("--offer", "Tricot\nBcc: x@evil.example"),
    ("--demand", "Lire\x7f un bail"),
])
def test_members_add_refuses_control_characters(world, capsys, option, value):
    args = {"--name": "Jeanne Roux", "--consent": "oral", "--by": "Claire", option: value}
    status, out, err = rers(world, capsys, "members", "add", *[x for pair in args.items() for x in pair])
    assert status == 1 and "registered" not in out and "Traceback" not in err
    assert option in err and "caractère de contrôle" in err
    world.store.refresh()
    assert world.store.members.count() == 0


def test_members_add_still_takes_accents_and_apostrophes(world, capsys):
    status, out, _ = rers(world, capsys, "members", "add", "--name", "  Zoé N'Diaye-Éluard ", "--consent", "oral",
                          "--by", "Claire")
    assert status == 0 and out.startswith("M-1 inscrit : Zoé N'Diaye-Éluard")


@pytest.mark.parametrize("body", [
    "Nom : Jeanne Roux\r\nBcc: x@evil.example\n",
    "Nom : Jeanne\tRoux\x1b[31m\x00\x85\x7f\n",
    "Prénom : Jea\x07nne\nNom : Ro\x0bux\n",
])
def test_a_nom_line_read_from_mail_keeps_no_control_character(body):
    name = read_fields(body, None).member.name
    assert name and not any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f for c in name)


def test_adhesion_pour_records_a_name_without_control_characters(world):
    body = "Nom : Jeanne\tRoux\x1b\nConsentement : oral\n"
    assert world.deliver(mail(ANIMATORS[0], "ADHÉSION POUR", body, cte="base64")).startswith("handled: registered M-1")
    name = world.store.members.find_one("ref", "M-1")["name"]
    assert name == "Jeanne Roux"
