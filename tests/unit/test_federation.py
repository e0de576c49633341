"""Linked networks (issue 19): keys and peers, signed robot-to-robot messages through the
real parser and route table, the catalogue of shared items, `rers federation status`.

Three robots (Le Havre, Rouen, Dieppe), each with its own folder, configuration, store and
key; the test carries the mail between them. Le Havre lists Rouen and Dieppe; Rouen lists
Le Havre; Dieppe lists nobody: the link Le Havre–Rouen works, Le Havre–Dieppe does not.
"""
from __future__ import annotations

import json
import re
import stat

import pytest

from config.settings import ConfigError, loads
from federation_support import Network, json_part, parse, peers_toml
from support import config_text, member_mail
from workflows.mail.model import ParseOptions
from workflows.mail.parse import parse_message
from workflows.model.federation import FederationError, read_public_key, verify
from workflows.commands.federation import status
from workflows.shell.init import init_folder

HAVRE, ROUEN, DIEPPE = "rers@havre.example", "rers@rouen.example", "rers@dieppe.example"


@pytest.fixture
def nets(tmp_path):
    havre = Network(tmp_path / "havre", "RERS du Havre", HAVRE, "anim@havre.example")
    rouen = Network(tmp_path / "rouen", "RERS de Rouen", ROUEN, "anim@rouen.example")
    dieppe = Network(tmp_path / "dieppe", "RERS de Dieppe", DIEPPE, "anim@dieppe.example")
    havre.link(rouen, dieppe)
    rouen.link(havre)
    return havre, rouen, dieppe


def offer(net: Network, address: str, subject: str, body: str) -> str:
    return net.deliver(member_mail(address, subject, body, to=net.address))


def test_init_makes_the_key_pair_beside_the_store_private_key_0600(tmp_path):
    config = init_folder(tmp_path / "net")
    private = tmp_path / "net" / "store" / "federation.key"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    public = (tmp_path / "net" / "store" / "federation.key.pub").read_text().strip()
    read_public_key(public)  # a valid Ed25519 public key, as `rers federation key` prints it
    from config.settings import load
    from workflows.shell.federation import public_key
    assert public_key(load(config)) == public
    again = private.read_bytes()
    init_folder(tmp_path / "net", force=True)
    assert private.read_bytes() == again, "an existing key is never replaced"


def test_peers_are_validated_with_every_problem_at_once(tmp_path, nets):
    havre, rouen, _ = nets
    text = config_text(tmp_path, address=HAVRE, extra=f"""
[federation]

[[federation.peers]]
name = "Rouen"
address = "rers@rouen.example"
key = "ed25519:AAAA"

[[federation.peers]]
name = "rouen"
address = "pas une adresse"
key = "{rouen.key}"
colour = "blue"

[[federation.peers]]
address = "{HAVRE}"
key = "rsa:xyz"
""")
    with pytest.raises(ConfigError) as caught:
        loads(text, base=tmp_path)
    problems = "\n".join(caught.value.problems)
    for expected in ("#1 key: an Ed25519 key is 32 bytes", "#2 name: 'rouen' is already the name",
                     "#2 address: 'pas une adresse' is not a valid", "#2 colour: unknown key",
                     "#3 name: this key is required", "#3 address: 'rers@havre.example' is this network's own",
                     "#3 key: a key is written ed25519:"):
        assert expected in problems, problems
    assert re.search(r"line \d+: \[\[federation.peers\]\] #1", problems)


def test_a_peer_key_problem_is_said_in_the_networks_language(tmp_path):
    from workflows.shell.language import Words

    text = config_text(tmp_path, address=HAVRE, extra="""
[federation]

[[federation.peers]]
name = "RERS de Rouen"
address = "rers@rouen.example"
key = "ed25519:pas du base64 !"
""")
    with pytest.raises(ConfigError) as caught:
        loads(text, base=tmp_path)
    assert "key : la clé après ed25519: n'est pas en base64" in caught.value.said(Words("fr"))
    assert "key: the key after ed25519: is not base64" in str(caught.value)


def test_a_catalogue_crosses_only_between_networks_that_list_each_other(nets):
    havre, rouen, dieppe = nets
    marie = havre.member("marie@example.com", "Marie Dupont", phone="+33611223344")
    havre.member("paul@example.com", "Paul Martin")
    assert "O-1" in offer(havre, "marie@example.com", "OFFRE : cuisine libanaise",
                          "Disponibilités : le jeudi, appelez le 06 11 22 33 44\nRéseaux voisins : oui\n")
    offer(havre, "paul@example.com", "OFFRE : tricot", "Réseaux voisins : non\n")
    rouen.member("lea@example.net", "Léa Petit")
    offer(rouen, "lea@example.net", "DEMANDE : cuisine du monde", "Partager avec les réseaux voisins : oui\n")

    # Nothing of the members leaves before a peer proved it lists this network: a hello.
    assert havre.share() == ["hello to RERS de Rouen", "hello to RERS de Dieppe"]
    assert havre.share() == [], "a hello once a day at most"
    (hello,) = havre.robot_mail(rouen)
    msg = parse(hello)
    assert msg["Subject"] == "[RERS-FED] hello" and msg["Auto-Submitted"] == "auto-generated"
    assert json.loads(json_part(hello))["body"] == {}

    # Dieppe does not list Le Havre: suspicious, to its animators; nothing sent back.
    assert havre.carry(dieppe) == ["refused: federation, not a linked network"]
    assert [d["purpose"] for d in dieppe.outbox()] == ["federation_refused"]
    assert dieppe.outbox()[0]["recipients"] == ["anim@dieppe.example"]

    # Rouen lists Le Havre: linked, and its catalogue goes back at once.
    assert havre.carry(rouen) == ["federation: hello from RERS du Havre; linked"]
    assert [d["purpose"] for d in rouen.outbox(to=HAVRE)] == ["federation"], "never answered in prose"
    assert rouen.carry(havre) == ["federation: catalogue of RERS de Rouen (1 item(s)); linked"]
    (catalogue,) = havre.robot_mail(rouen)[1:]
    # Léa's shared demand meets Marie's offer: a cross-network introduction proposed
    # (tests/unit/test_federated_introductions.py follows it).
    assert rouen.deliver(catalogue).startswith("federation: catalogue of RERS du Havre (1 item(s))")

    # Only the shared offer, no name, no address, the phone masked.
    sent = json.loads(json_part(catalogue))
    assert sent["kind"] == "catalogue" and sent["to"] == ROUEN and sent["seq"] == 2
    (item,) = sent["body"]["items"]
    assert item["ref"] == "O-1" and item["title"].lower() == "cuisine libanaise" and item["kind"] == "offer"
    assert set(item) == {"ref", "kind", "title", "modality", "availability"}
    text = catalogue.decode("utf-8", "replace")
    for secret in ("Marie", "Dupont", "marie@example.com", "11 22 33 44", "+33611223344", marie["ref"], "tricot"):
        assert secret not in text and secret not in json_part(catalogue)
    kept = json.dumps(rouen.store.get_state(f"federation:{HAVRE}"))
    assert "Marie" not in kept and "marie@" not in kept and rouen.store.members.count() == 1

    # Unchanged: nothing more; changed: at most once a day.
    assert havre.share() == []
    offer(havre, "paul@example.com", "OFFRE : couture", "Réseaux voisins : oui\n")
    assert havre.share() == []
    havre.later(days=1)
    assert havre.share() == ["catalogue to RERS de Rouen", "hello to RERS de Dieppe"]

    found = status(havre.settings, havre.store, havre.now)
    rouen_status = next(p for p in found["peers"] if p["name"] == "RERS de Rouen")
    assert rouen_status["linked"] and rouen_status["in"]["kind"] == "catalogue"
    assert rouen_status["out"]["seq"] == 3 and rouen_status["shared_sent"] == 2
    assert [e["title"].lower() for e in rouen_status["catalogue"]] == ["cuisine du monde"]
    assert not next(p for p in found["peers"] if p["name"] == "RERS de Dieppe")["linked"]
    assert [e["ref"] for e in found["shared"]] == ["O-1", "O-3"]


def _linked(nets):
    havre, rouen, _ = nets
    havre.share()
    havre.carry(rouen)
    rouen.carry(havre)
    return havre, rouen


def _with(raw: bytes, *, message_id: str, json_text: str | None = None, signature: str | None = None) -> bytes:
    text = raw.decode("ascii")
    text = re.sub(r"Message-ID: <[^>]+>", f"Message-ID: <{message_id}>", text, flags=re.IGNORECASE)
    msg = parse(text.encode("ascii"))
    for part in msg.walk():
        if json_text is not None and part.get_content_type() == "application/json":
            part.set_content(json_text.encode("utf-8"), maintype="application", subtype="json",
                             filename="catalogue.json")
        if signature is not None and part.get_content_type() == "application/x-rers-signature":
            part.set_content(signature.encode("ascii"), maintype="application", subtype="x-rers-signature",
                             filename="catalogue.json.sig")
    return msg.as_bytes(policy=policy_smtp())


def policy_smtp():
    from email import policy
    return policy.SMTP


def test_a_replayed_message_is_refused_even_under_a_new_message_id(nets):
    havre, rouen = _linked(nets)
    (catalogue,) = havre.robot_mail(rouen)[1:]
    assert "catalogue" in rouen.deliver(catalogue)
    replay = _with(catalogue, message_id="replay-1@attacker.example")
    assert rouen.deliver(replay) == "refused: federation, number 2 after 2, from RERS du Havre"
    (forward,) = [d for d in rouen.outbox(purpose="federation_refused")]
    assert forward["recipients"] == ["anim@rouen.example"]


def test_reordered_messages_the_older_one_is_refused(nets):
    havre, rouen = _linked(nets)
    havre.member("paul@example.com", "Paul Martin")
    offer(havre, "paul@example.com", "OFFRE : couture", "Réseaux voisins : oui\n")
    havre.later(days=1)
    assert "catalogue to RERS de Rouen" in havre.share()
    first, second = havre.robot_mail(rouen)[1:]
    assert "catalogue" in rouen.deliver(second)
    assert rouen.deliver(first) == "refused: federation, number 2 after 3, from RERS du Havre"


def test_forged_messages_are_refused_and_go_to_the_animators(nets, tmp_path):
    havre, rouen = _linked(nets)
    (catalogue,) = havre.robot_mail(rouen)[1:]
    document = json.loads(json_part(catalogue))
    document["body"]["items"][0:0] = [{"ref": "O-99", "kind": "offer", "title": "Appelez le 08 99 …"}]
    tampered = json.dumps(document)
    assert rouen.deliver(_with(catalogue, message_id="f1@x.example", json_text=tampered)) == \
        "refused: federation, bad signature, from RERS du Havre"
    # Signed by another network's key in Le Havre's name.
    mallory = Network(tmp_path / "mallory", "Mallory", "rers@mallory.example", "anim@mallory.example")
    mallory.link(rouen)
    mallory.share()
    (forged,) = mallory.robot_mail(rouen)
    forged = forged.replace(b"rers@mallory.example", HAVRE.encode())
    assert rouen.deliver(forged) == "refused: federation, bad signature, from RERS du Havre"
    unsigned = _with(catalogue, message_id="f2@x.example", signature="")
    assert rouen.deliver(unsigned) == "refused: federation, unsigned, from RERS du Havre"
    assert len(rouen.outbox(purpose="federation_refused")) == 3
    assert rouen.store.get_state(f"federation:{HAVRE}")["last_seq"] == 1, "nothing of them recorded"
    assert all(d["recipients"] == ["anim@rouen.example"] for d in rouen.outbox(purpose="federation_refused"))


def test_a_message_to_another_network_is_refused(nets, tmp_path):
    havre, rouen = _linked(nets)
    # Another network that also lists Le Havre gets the message Le Havre wrote to Rouen.
    other = Network(tmp_path / "other", "RERS d'Évreux", "rers@evreux.example", "anim@evreux.example")
    other.link(havre)
    (catalogue,) = havre.robot_mail(rouen)[1:]
    outcome = other.deliver(_with(catalogue, message_id="x@x.example"))
    assert outcome == "refused: federation, written to another network, from RERS du Havre"


def test_the_parser_reads_the_robots_own_federation_mail(nets):
    havre, rouen, _ = nets
    havre.share()
    (hello,) = havre.robot_mail(rouen)
    parsed = parse_message(hello, ParseOptions())
    assert parsed.intent == "federation" and parsed.federation["kind"] == "hello"
    assert verify(havre.key, parsed.federation["json"].strip().encode(), parsed.federation["signature"])
    with pytest.raises(FederationError):
        read_public_key("ed25519:not base64!")


def test_peers_toml_round_trips(nets):
    havre, rouen, dieppe = nets
    assert [p.name for p in havre.settings.federation.peers] == ["RERS de Rouen", "RERS de Dieppe"]
    assert havre.settings.federation.peer("RERS@ROUEN.EXAMPLE").key == rouen.key
    assert "[[federation.peers]]" in peers_toml(rouen)


def test_the_disclosure_check_sees_a_member_of_another_network(nets, tmp_path):
    """tests/privacy.py across networks: a robot mail showing a linked network's member is
    a violation (what the session-wide check would report)."""
    from privacy import violations
    from servers import Received

    havre, rouen, _ = nets
    havre.member("marie@example.com", "Marie Dupont", phone="+33611223344")
    rouen.member("lea@example.net", "Léa Petit")
    offer(rouen, "lea@example.net", "DEMANDE : cuisine", "Réseaux voisins : oui\n")
    (ack,) = [d for d in rouen.outbox(to="lea@example.net")]
    from workflows.shell.outbox import raw_bytes
    clean = Received(ROUEN, ("lea@example.net",), raw_bytes(ack["raw"]))
    assert violations([clean], tmp_path) == ([], 1)
    leaked = b"Comments: voir marie@example.com, 06 11 22 33 44\r\n" + raw_bytes(ack["raw"])
    problems, _ = violations([Received(ROUEN, ("lea@example.net",), leaked)], tmp_path)
    assert any("marie@example.com, a member of another network" in p for p in problems), problems
    assert any("phone of a member of another network" in p for p in problems), problems


def test_federation_send_works_beside_a_running_robot_and_pushes_a_changed_catalogue_now(nets, capsys):
    """`rers federation send` is what the docs offer after a restart, while the robot runs:
    no instance lock; an operator's send skips the job's once-a-day limits (a hello again,
    a changed catalogue at once), and an unchanged catalogue is « nothing to send »."""
    from workflows.cli import main
    from workflows.shell.daemon import InstanceLock

    havre, rouen, dieppe = nets
    havre.member("paul@example.com", "Paul Martin")
    havre, rouen = _linked(nets)
    config = ["--config", str(havre.root / "rers.toml")]
    with InstanceLock(havre.settings.store.path):  # the robot runs
        assert main(["federation", "send", *config], clock=lambda: havre.now) == 0
        assert capsys.readouterr().out == "présentation à RERS de Dieppe\n", "the day's hello again, when asked"
        assert offer(havre, "paul@example.com", "OFFRE : couture", "Réseaux voisins : oui\n") == "recorded O-1"
        assert havre.share() == [], "the job: once a day at most"
        assert main(["federation", "send", *config], clock=lambda: havre.now) == 0
        out = capsys.readouterr().out
        assert out == "catalogue à RERS de Rouen\nprésentation à RERS de Dieppe\n"
        assert main(["federation", "send", "--config", str(rouen.root / "rers.toml")], clock=lambda: rouen.now) == 0
        assert capsys.readouterr().out == "rien à envoyer\n", "unchanged: nothing, even when asked"
    from store import Store
    assert Store.open(havre.settings.store.path).get_state(f"federation:{ROUEN}")["shared_count"] == 1, "the catalogue with « couture »"
    assert {d["status"] for d in havre.outbox(purpose="federation")} == {"sent"}
