"""Linked networks end to end (issue 19): three robots — Le Havre, Rouen, Caen — each on
its own mailbox of the real Dovecot, all linked to one another, sending through the real
aiosmtpd sink; the test carries each robot-to-robot message from the sink into the
addressee's mailbox. The three are linked once for the module (:func:`three`); each test
then adds members and items of its own, on subjects of its own, so that no test's items
match another's. The session's disclosure check (tests/privacy.py) reads every message of
it, the peers' included."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pytest

from federation_support import Network, forged, json_part, parse, replayed
from support import member_mail
from workflows.model.traces import message_id_of

pytestmark = pytest.mark.integration

HAVRE, ROUEN, CAEN = "rers@havre.example", "rers@rouen.example", "rers@caen.example"
ANIMATOR = {HAVRE: "anim@havre.example", ROUEN: "anim@rouen.example", CAEN: "anim@caen.example"}


@dataclass
class Three:
    """The three linked robots, the servers, and the mail the test already carried."""

    havre: Network
    rouen: Network
    caen: Network
    dovecot: object
    sink: object
    seen: set = field(default_factory=set)

    @property
    def networks(self) -> tuple[Network, Network, Network]:
        return self.havre, self.rouen, self.caen

    def carry(self, to: Network) -> list[bytes]:
        """Every robot message the sink received for ``to`` and not carried yet, put in its
        INBOX as it arrived."""
        carried = []
        for received in list(self.sink.received):
            if to.address in [r.lower() for r in received.rcpt_tos] and received.data not in self.seen:
                self.seen.add(received.data)
                self.dovecot.append(to.user, "INBOX", received.data)
                carried.append(received.data)
        return carried

    def settle(self) -> list[bytes]:
        """Send what is queued and carry the robots' messages until none is left; returns
        what was carried."""
        carried: list[bytes] = []
        while True:
            for net in self.networks:
                net.runner.flush()
            step = [raw for net in self.networks for raw in self.carry(net)]
            if not step:
                return carried
            carried += step
            for net in self.networks:
                net.runner.cycle()

    def publish(self) -> None:
        """A day later, each robot sends its changed catalogue to its peers (the daily
        work), carried until all is quiet."""
        for net in self.networks:
            net.later(days=1)
            net.share()
        self.settle()

    def propose(self, offering: Network, offerer: tuple[str, ...], asking: Network, asker: tuple[str, ...],
                title: str) -> tuple[dict, dict, list[bytes]]:
        """``offerer`` (address, name, phone), a new member of ``offering``, shares an offer
        ``title``; a day later its catalogue has reached the others; ``asker``, a new
        member of ``asking``, shares a demand of it: proposed across at once. Returns the
        asking side's record, the offering side's, and the robot mail carried meanwhile."""
        offering.member(*offerer)
        asking.member(*asker)
        self.write(offering, offerer[0], f"OFFRE : {title}", "Réseaux voisins : oui\n")
        self.publish()
        self.write(asking, asker[0], f"DEMANDE : {title}", "Réseaux voisins : oui\n")
        carried = self.settle()
        (demand,) = [i for i in asking.store.items.all() if i["title"].lower() == title]
        (offer,) = [i for i in offering.store.items.all() if i["title"].lower() == title]
        return crossing(asking, demand["ref"]), crossing(offering, offer["ref"]), carried

    def write(self, net: Network, address: str, subject: str, body: str = "") -> list[str]:
        """``address`` writes to ``net``; returns the cycle's outcomes."""
        self.dovecot.append(net.user, "INBOX", member_mail(address, subject, body, to=net.address))
        return [h.outcome for h in net.runner.cycle().handled]

    def answer(self, net: Network, address: str, purpose: str, text: str, about: str | None = None) -> list[str]:
        """``address`` answers ``text`` to the last mail of ``purpose`` ``net`` sent it
        (whose subject names ``about``, when given), through Dovecot."""
        return self.write(net, address, f"Re: {self.mail(net, address, purpose, about)['Subject']}", text)

    def mail(self, net: Network, address: str, purpose: str, about: str | None = None):
        """The last mail of ``purpose`` ``net`` sent ``address`` (whose subject names
        ``about``, when given), as the sink received it."""
        net.runner.flush()
        ids = {d["message_id"].strip("<>") for d in net.outbox(to=address, purpose=purpose)}
        found = [parse(r.data) for r in self.sink.received if address in r.rcpt_tos]
        return [m for m in found if str(m["Message-ID"]).strip("<>") in ids
                and (about is None or re.search(rf"\b{re.escape(about)}\b", str(m["Subject"])))][-1]

    def text(self, net: Network, address: str, purpose: str) -> str:
        """The text part of :meth:`mail`."""
        return self.mail(net, address, purpose).get_body(("plain",)).get_content()


def crossing(net: Network, item: str) -> dict:
    """``net``'s last cross-network introduction about its item ``item``."""
    return [r for r in net.store.crossings.all() if r["item"] == item][-1]


def kinds(raws: list[bytes], to: Network) -> list[str]:
    """The kinds of the robot messages among ``raws`` addressed to ``to``."""
    return [json.loads(json_part(raw))["kind"] for raw in raws if to.address in str(parse(raw)["To"]).lower()]


@pytest.fixture(scope="module")
def three(tmp_path_factory, dovecot, smtp_sink, _account_numbers):
    """Le Havre, Rouen and Caen, each on a Dovecot user of its own, linked to one another
    (each lists the two others; their hellos carried, each linked and sent the others'
    catalogues)."""
    patch = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("three")
    # A Sent folder: the copies of the introduction mail go with the member who leaves.
    transport = (f'kind = "smtp"\nhost = "{smtp_sink.host}"\nport = {smtp_sink.port}\nsecurity = "none"\n'
                 'timeout_seconds = 10\nsent_folder = "Envoyés"\n')
    nets = []
    for name, address in (("RERS du Havre", HAVRE), ("RERS de Rouen", ROUEN), ("RERS de Caen", CAEN)):
        number = next(_account_numbers)
        user, env = f"test{number}", f"RERS_TEST_IMAP_PASSWORD_{number}"
        dovecot.add_user(user, f"secret-{number}")
        patch.setenv(env, f"secret-{number}")
        mailbox = (f'kind = "imap"\nhost = "{dovecot.host}"\nport = {dovecot.port}\nsecurity = "none"\n'
                   f'username = "{user}"\npassword_env = "{env}"\ntimeout_seconds = 10\n')
        net = Network(root / address.split("@")[1].split(".")[0], name, address, ANIMATOR[address],
                      mailbox=mailbox, transport=transport)
        net.user = user
        nets.append(net)
    for net in nets:
        net.link(*[other for other in nets if other is not net])
    world = Three(*nets, dovecot=dovecot, sink=smtp_sink)
    for net in nets:
        net.share()
    world.settle()
    yield world
    patch.undo()


def test_three_networks_link_and_exchange_their_catalogues_through_real_servers(three):
    havre, rouen, caen = three.networks
    for net in three.networks:
        for peer in three.networks:
            if peer is not net:
                assert net.store.get_state(f"federation:{peer.address}")["linked"], (net.name, peer.name)
    havre.member("marie@example.com", "Marie Dupont", phone="+33611223344")
    caen.member("ines@example.org", "Ines Benali")
    three.write(havre, "marie@example.com", "OFFRE : cuisine libanaise",
                "Disponibilités : le jeudi\nRéseaux voisins : oui\n\nMarie, 06 11 22 33 44")
    three.write(caen, "ines@example.org", "DEMANDE : calligraphie", "Réseaux voisins : oui\n")
    three.write(caen, "ines@example.org", "OFFRE : poterie")  # not shared: never leaves Caen
    three.publish()

    for net in (rouen, caen):
        (item,) = net.store.get_state(f"federation:{HAVRE}")["catalogue"]
        assert item["kind"] == "offer" and item["title"].lower() == "cuisine libanaise"
    for net in (havre, rouen):
        assert [(i["kind"], i["title"].lower()) for i in net.store.get_state(f"federation:{CAEN}")["catalogue"]] \
            == [("demand", "calligraphie")]
    for raw in three.sink.received:
        if "[RERS-FED]" in str(parse(raw.data)["Subject"]):
            document = json_part(raw.data)
            assert "Marie" not in document and "marie@" not in document and "06 11" not in document
            assert "Ines" not in document and "poterie" not in document

    # Le Havre's last catalogue to Rouen again, under a new Message-ID: a replay, refused,
    # Rouen's animators told.
    catalogue = [r.data for r in three.sink.received if ROUEN in r.rcpt_tos and b"[RERS-FED] catalogue" in r.data
                 and HAVRE.encode() in parse(r.data)["From"].encode()][-1]
    last_seq = rouen.store.get_state(f"federation:{HAVRE}")["last_seq"]
    three.dovecot.append(rouen.user, "INBOX", replayed(catalogue))
    (outcome,) = [h.outcome for h in rouen.runner.cycle().handled]
    assert "refused: federation, number" in outcome
    assert rouen.store.get_state(f"federation:{HAVRE}")["last_seq"] == last_seq
    assert rouen.outbox(to=ANIMATOR[ROUEN], purpose="federation_refused")
    # Never answered in prose: every mail between the robots is a robot-to-robot message.
    for r in three.sink.received:
        if {HAVRE, ROUEN, CAEN} & {x.lower() for x in r.rcpt_tos}:
            assert b"[RERS-FED]" in r.data


def test_an_introduction_across_two_networks_the_third_learning_nothing_then_an_erasure(three):
    """Both teams approve and both members consent, each through its own robot; each
    member gets only the other's first name and chosen contact; Caen, linked to both,
    gets nothing of it. Then Paco leaves Rouen and Le Havre drops what it held of him."""
    havre, rouen, caen = three.networks
    caen_before = len(caen.store.crossings.all()), len(caen.store.outbox.all())
    # Léa's shared demand finds no offer in Le Havre: matched across in the same cycle.
    mine, theirs, carried = three.propose(rouen, ("paco@example.net", "Paco Ruiz", "+33622334455"), havre,
                                          ("lea@example.com", "Léa Moreau"), "espagnol")
    assert kinds(carried, rouen)[-1:] == ["proposal"] and theirs["key"] == mine["ref"]
    assert (mine["status"], theirs["status"]) == ("proposed", "proposed")
    three.answer(havre, ANIMATOR[HAVRE], "question:crossing_approve", "OUI", about=mine["ref"])
    three.answer(rouen, ANIMATOR[ROUEN], "question:crossing_approve", "OUI", about=theirs["ref"])
    carried += three.settle()
    three.answer(havre, "lea@example.com", "question:crossing_consent", "OUI")
    carried += three.settle()
    three.answer(rouen, "paco@example.net", "question:crossing_consent", "OUI\nContact : téléphone")
    carried += three.settle()

    to_lea = three.text(havre, "lea@example.com", "crossing_introduction")
    to_paco = three.text(rouen, "paco@example.net", "crossing_introduction")
    assert "Paco" in to_lea and "06 22 33 44 55" in to_lea and "Ruiz" not in to_lea
    assert "paco@example.net" not in to_lea
    assert "Léa" in to_paco and "lea@example.com" in to_paco and "Moreau" not in to_paco
    assert crossing(havre, mine["item"])["status"] == crossing(rouen, theirs["item"])["status"] == "introduced"
    # Caen, linked to both, learnt nothing of it: no message of it carried there, nothing kept.
    assert kinds(carried, caen) == []
    assert (len(caen.store.crossings.all()), len(caen.store.outbox.all())) == caen_before
    assert "Paco" not in json.dumps(caen.store.get_state(f"federation:{ROUEN}"))

    introduction = crossing(havre, mine["item"])["introduction_id"]

    def sent_ids() -> list[str | None]:
        return [message_id_of(raw) for raw in three.dovecot.fetch_all(havre.user, "Envoyés")]

    assert introduction in sent_ids()

    three.write(rouen, "paco@example.net", "RETRAIT", "Je quitte le réseau.")
    three.answer(rouen, "paco@example.net", "question:withdraw", "OUI")
    assert kinds(three.settle(), havre) == ["withdrawn"]
    assert crossing(havre, mine["item"])["close_reason"] == "erased"
    assert not havre.outbox(purpose="crossing_introduction", to="lea@example.com"), \
        "Paco's first name and number erased in Le Havre"
    assert "06 22" not in json.dumps(havre.store.crossings.all()) + json.dumps(havre.store.outbox.all())
    assert sent_ids() and introduction not in sent_ids(), "and its copy in Le Havre's Sent folder"


def test_a_team_refusing_on_one_side_withdraws_it_on_the_other(three):
    havre, rouen, caen = three.networks
    mine, theirs, carried = three.propose(caen, ("zoe@example.org", "Zoé Lambert"), rouen,
                                          ("louis@example.net", "Louis Girard"), "guitare")
    three.answer(rouen, ANIMATOR[ROUEN], "question:crossing_approve", "OUI", about=mine["ref"])
    (outcome,) = three.answer(caen, ANIMATOR[CAEN], "question:crossing_approve", "NON", about=theirs["ref"])
    assert outcome.endswith(f"{theirs['ref']} refused by an animator")
    carried += three.settle()
    assert kinds(carried, rouen) == ["withdrawn"]
    assert crossing(rouen, mine["item"])["status"] == crossing(caen, theirs["item"])["status"] == "refused"
    told = three.text(rouen, ANIMATOR[ROUEN], "crossing_closed")
    assert mine["ref"] in told and "Zoé" not in told
    assert not rouen.outbox(to="louis@example.net", purpose="question:crossing_consent"), "Louis never asked"
    assert kinds(carried, havre) == [], "Le Havre, linked to both, learnt nothing of it"


def test_a_member_declining_on_one_side_withdraws_it_on_the_other(three):
    havre, rouen, caen = three.networks
    mine, theirs, _ = three.propose(caen, ("ada@example.org", "Ada Lovelace"), havre,
                                    ("hugo@example.com", "Hugo Bernard"), "tricot")
    three.answer(havre, ANIMATOR[HAVRE], "question:crossing_approve", "OUI", about=mine["ref"])
    three.answer(caen, ANIMATOR[CAEN], "question:crossing_approve", "OUI", about=theirs["ref"])
    three.settle()
    three.answer(havre, "hugo@example.com", "question:crossing_consent", "OUI")
    three.settle()

    (outcome,) = three.answer(caen, "ada@example.org", "question:crossing_consent", "NON")
    assert outcome.endswith(f"{theirs['ref']} declined")
    assert kinds(three.settle(), havre) == ["withdrawn"]
    assert crossing(havre, mine["item"])["status"] == "declined"
    cancelled = three.text(havre, "hugo@example.com", "introduction_cancelled")
    assert "Ada" not in cancelled
    assert not havre.outbox(to="hugo@example.com", purpose="crossing_introduction")
    assert not caen.outbox(to="ada@example.org", purpose="crossing_introduction")


def test_a_forged_or_replayed_proposal_or_consent_is_refused_through_real_servers(three):
    """An attacker who saw a real ``proposal`` and a real ``consent`` on the wire sends
    them again (a replay) or changed (a forgery, without the key): each is refused, goes
    to Rouen's animators as suspicious, and nothing is recorded."""
    havre, rouen, caen = three.networks
    mine, theirs, carried = three.propose(rouen, ("omar@example.net", "Omar Haddad"), havre,
                                          ("nina@example.com", "Nina Roux"), "jardinage")
    (proposal,) = [raw for raw in carried if json.loads(json_part(raw))["kind"] == "proposal"]
    before = json.dumps(rouen.store.crossings.all())
    refused = len(rouen.outbox(to=ANIMATOR[ROUEN], purpose="federation_refused"))

    seq = json.loads(json_part(proposal))["seq"]
    body = json.loads(json_part(proposal))["body"]
    for raw in (replayed(proposal), forged(proposal, seq=seq + 1, body={**body, "id": "MRV-999"})):
        three.dovecot.append(rouen.user, "INBOX", raw)
    outcomes = [h.outcome for h in rouen.runner.cycle().handled]
    assert len(outcomes) == 2 and "refused: federation, number" in outcomes[0]
    assert "refused: federation, bad signature" in outcomes[1]
    assert json.dumps(rouen.store.crossings.all()) == before, "nothing recorded"

    three.answer(havre, ANIMATOR[HAVRE], "question:crossing_approve", "OUI", about=mine["ref"])
    three.answer(rouen, ANIMATOR[ROUEN], "question:crossing_approve", "OUI", about=theirs["ref"])
    three.settle()
    three.answer(havre, "nina@example.com", "question:crossing_consent", "OUI")
    (consent,) = [raw for raw in three.settle() if json.loads(json_part(raw))["kind"] == "consent"]
    assert crossing(rouen, theirs["item"])["consents"] == {"ours": None, "theirs": "yes"}
    seq = json.loads(json_part(consent))["seq"]
    for raw in (replayed(consent), forged(consent, seq=seq + 1, kind="introduced",
                                          body={"id": mine["ref"], "first_name": "Eve", "contact": "email",
                                                "value": "eve@attacker.example"})):
        three.dovecot.append(rouen.user, "INBOX", raw)
    outcomes = [h.outcome for h in rouen.runner.cycle().handled]
    assert "refused: federation, number" in outcomes[0] and "refused: federation, bad signature" in outcomes[1]
    assert crossing(rouen, theirs["item"])["status"] == "consent"
    assert not rouen.outbox(purpose="crossing_introduction"), "nothing reached Omar"
    suspicious = rouen.outbox(to=ANIMATOR[ROUEN], purpose="federation_refused")
    assert len(suspicious) == refused + 4
    assert kinds(three.settle(), havre) == [], "an attacker's message is never answered"
