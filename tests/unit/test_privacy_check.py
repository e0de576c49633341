"""The session-wide privacy check (tests/privacy.py) finds what it must find: it would be
worthless if it passed everything."""
from __future__ import annotations

from email.message import EmailMessage

import pytest

from privacy import violations
from servers import Received
from store import Store
from support import ANIMATORS, NETWORK, make_settings

PACO, LINA = "paco@example.net", "lina@example.org"


@pytest.fixture
def base(tmp_path):
    settings = make_settings(tmp_path / "robot")
    store = Store.open(settings.store.path)
    with store.transaction():
        for ref, address, phone in (("M-1", PACO, "+33611223344"), ("M-2", LINA, "+33699887766")):
            store.members.insert({"ref": ref, "address": address, "phone": phone, "name": ref, "status": "confirmed"})
        store.introductions.insert({"ref": "MR-1", "offer_member": "M-1", "demand_member": "M-2", "status": "introduced",
                                    "consents": {"offer": "yes", "demand": "yes"}})
        store.introductions.insert({"ref": "MR-2", "offer_member": "M-1", "demand_member": "M-2", "status": "consent",
                                    "consents": {"offer": "yes", "demand": None}})
        for n, (purpose, cause) in enumerate([("question:consent", "MR-2"), ("introduction", "MR-1"),
                                              ("introduction", "MR-2"), ("items_ack", "x")]):
            store.outbox.insert({"message_id": f"<m{n}@example.org>", "purpose": purpose, "cause": cause,
                                 "recipients": [PACO], "status": "sent"})
    return tmp_path


def sent(n: int, to: str, body: str) -> Received:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = NETWORK, to, "x", f"<m{n}@example.org>"
    msg.set_content(body)
    return Received(mail_from=NETWORK, rcpt_tos=(to,), data=bytes(msg))


@pytest.mark.parametrize("mail,found", [
    (sent(0, PACO, f"Lina ({LINA}) vous propose…"), 1),
    (sent(0, PACO, "Appelez le 06.99.88.77.66"), 1),
    (sent(0, PACO, "Appelez le +33 6 99 88 77 66"), 1),
    (sent(0, PACO, f"votre adresse : {PACO}, votre numéro : 06 11 22 33 44"), 0),
    (sent(0, ANIMATORS[0], f"{LINA} et {PACO}"), 0),
    (sent(1, PACO, f"Lina : {LINA}, 06 99 88 77 66"), 0),
    (sent(2, PACO, f"Lina : {LINA}"), 1),
    (sent(3, PACO, f"{LINA}"), 1),
    (sent(9, PACO, f"{LINA}"), 0),  # not a robot mail of a known store
])
def test_the_check_finds_every_leak_and_only_leaks(base, mail, found):
    problems, _ = violations([mail], base)
    assert len(problems) == found, problems
