"""Issue 17 through real mail: four people join; Paco offers a knitting workshop
(« Modalité : atelier », « Places : 2 »), Lina, Awa and Zoé ask to learn knitting. The
robot proposes a group; an animator approves it from Outlook; Paco is asked to lead it
(how many, never who) and says yes; each asker gets their own question; the two first
OUIs take the places, the third waits. An animator schedules a session by mail: only
the group's members get it, each invitation naming its receiver alone (checked by
icalendar and recurring_ical_events, independent of the robot's own iCalendar code).
Lina changes her mind: her session leaves her calendar (a CANCEL), Awa takes her place
(told so, and invited). Zoé accepts from her calendar; the eve of the session the
animators' list names her. The day after the session, the real follow-up command asks
the bilan of the members and of Paco.

Mail goes in through Dovecot and out through aiosmtpd. Every mail of this file is also
checked by the session-wide privacy check (tests/privacy.py): no member's address,
phone or surname in any mail to another member.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage

import icalendar
import pytest
import recurring_ical_events

from membership_support import Network, mail, reply, text_of
from support import ANIMATORS, NETWORK

pytestmark = pytest.mark.integration

UTC = timezone.utc
A1, A2 = ANIMATORS
PACO, LINA, AWA, ZOE = ("paco.ruiz@example.net", "lina.petit@example.org", "awa.diallo@example.org",
                        "zoe.marchand@example.org")
PEOPLE = {PACO: ("Paco Ruiz", "06 11 22 33 44"), LINA: ("Lina Petit", "06 99 88 77 66"),
          AWA: ("Awa Diallo", "06 55 44 33 22"), ZOE: ("Zoé Marchand", "06 44 55 66 77")}
ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


class People(Network):
    def to(self, address: str, subject: str = "") -> list:
        return [m for m in super().to(address) if subject in str(m["Subject"])]

    def join(self, address: str) -> None:
        name, phone = PEOPLE[address]
        self.cycle(mail(address, "ADHÉSION", f"Bonjour,\nNom : {name}\nTéléphone : {phone}\n", name=name,
                        date=self.now))
        first = name.split()[0]
        self.cycle(reply(self.to(address)[-1], address, f"Oui, je confirme.\nPrénom : {first}", name=name,
                         date=self.now))
        assert self.store().members.find_one("address", address)["status"] == "confirmed"

    def answer(self, address: str, subject: str, words: str, **kw) -> list[str]:
        return self.cycle(reply(self.to(address, subject)[-1], address, words, name=PEOPLE.get(address, ("",))[0],
                                date=self.now, **kw))


@pytest.fixture
def people(imap_robot, imap_account, sink):
    return People(imap_robot, imap_account, sink)


def everything(msg) -> str:
    parts = [f"{k}: {v}" for k, v in msg.items()]
    for part in msg.walk():
        if part.get_content_maintype() == "text" or part.get_content_type() == "application/ics":
            payload = part.get_payload(decode=True) or b""
            parts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(parts)


def calendar_parts(msg) -> list[icalendar.Calendar]:
    return [icalendar.Calendar.from_ical(part.get_payload(decode=True)) for part in msg.walk()
            if part.get_content_type() in ("text/calendar", "application/ics")]


def attendees(cal: icalendar.Calendar) -> list[str]:
    found = []
    for event in cal.walk("VEVENT"):
        value = event.get("ATTENDEE")
        for one in value if isinstance(value, list) else [value] if value else []:
            found.append(str(one).lower().removeprefix("mailto:"))
    return found


def test_a_group_of_three_askers_for_two_places_through_real_mail(people, imap_robot):
    for address in PEOPLE:
        people.join(address)

    # Three ask to learn knitting; then Paco offers it as a workshop for two.
    outcomes = people.cycle(*(mail(a, "DEMANDE : apprendre le tricot", "Disponibilités : le mercredi\n",
                                   name=PEOPLE[a][0], date=people.now) for a in (LINA, AWA, ZOE)))
    assert outcomes == ["handled: recorded D-1", "handled: recorded D-2", "handled: recorded D-3"]
    assert people.cycle(mail(PACO, "OFFRE : atelier tricot", "Modalité : atelier\nPlaces : 2\n", name="Paco Ruiz",
                             date=people.now)) == ["handled: recorded O-1"]
    store = people.store()
    assert store.groups.find_one("ref", "G-1")["status"] == "proposed" and not store.introductions.all()
    (proposal,) = people.to(A1, "Groupe G-1 à approuver")
    assert "D-1" in text_of(proposal) and "Places : 2" in text_of(proposal)

    # An animator approves from Outlook; the other is told.
    assert people.cycle(reply(proposal, A1, "OUI", name="Anim One", style="outlook", date=people.now)) == \
        ["handled: G-1 approved by an animator: the offerer asked"]
    assert people.to(A2, "Groupe G-1 approuvé par anim.one@example.org")

    # Paco is asked how many, never who.
    (lead,) = people.to(PACO, "Animer un groupe")
    body = everything(lead)
    assert "3 personnes" in body
    for other in (LINA, AWA, ZOE):
        assert other not in body and PEOPLE[other][0].split()[0] not in body
    assert people.answer(PACO, "Animer un groupe", "Oui, avec plaisir") == \
        ["handled: G-1 led by its offerer: 3 asker(s) asked"]

    # Each asker gets their own question, alone in its envelope.
    for address in (LINA, AWA, ZOE):
        (question,) = people.to(address, "Rejoindre le groupe")
        assert "Paco" in text_of(question) and "Rejoindre le groupe autour de « atelier tricot »" in \
            str(question["Subject"])
        assert not set(ADDRESS.findall(everything(question))) & ({LINA, AWA, ZOE} - {address})
    assert all(len(m.rcpt_tos) == 1 for m in people.sink.received if "Rejoindre" in m.data.decode("ascii", "replace"))
    assert people.answer(ZOE, "Rejoindre le groupe", "OUI") == ["handled: G-1: M-4 has a place (1/2)"]
    assert people.answer(LINA, "Rejoindre le groupe", "D'accord !", style="outlook") == \
        ["handled: G-1: M-2 has a place (2/2)"]
    assert people.answer(AWA, "Rejoindre le groupe", "Oui") == ["handled: G-1: M-3 on the waiting list (1)"]
    assert "liste d'attente" in text_of(people.to(AWA, "Liste d'attente")[-1])
    news = people.to(PACO, "a rejoint votre groupe")
    assert len(news) == 2 and "Zoé et Lina" in text_of(news[-1])
    assert not any(s in everything(m) for m in news for s in ("Petit", "Marchand", LINA, ZOE, "99 88"))

    # An animator schedules a session: only Paco, Zoé and Lina are invited, each alone.
    assert people.cycle(mail(A1, "ATELIER G-1 2026-12-02 10:00-12:00 Salle du Havre", "", name="Anim One",
                             date=people.now)) == ["handled: group session G-1: done"]
    invited = {}
    for address in PEOPLE:
        found = people.to(address, "Invitation : Groupe : atelier tricot")
        if found:
            (invited[address],) = found
    assert set(invited) == {PACO, ZOE, LINA}
    window = (datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 4, tzinfo=UTC))
    for address, msg in invited.items():
        parts = calendar_parts(msg)
        assert len(parts) == 2
        for cal in parts:
            assert str(cal["METHOD"]) == "REQUEST" and attendees(cal) == [address]
            found = set(ADDRESS.findall(cal.to_ical().decode()))
            assert not found & ({*PEOPLE, *ANIMATORS} - {address}), "nobody else's address in any part"
            (event,) = recurring_ical_events.of(cal).between(*window)
            assert event["DTSTART"].dt.hour == 10 and str(event["LOCATION"]) == "Salle du Havre"
    uid = str(calendar_parts(invited[ZOE])[0].walk("VEVENT")[0]["UID"])
    assert uid.startswith("groupe-1-20261202-1000-")
    assert people.to(A1, "séance du groupe G-1 ajoutée")

    # Lina changes her mind: her session leaves her calendar; Awa takes the place.
    people.now += timedelta(hours=2)
    assert people.answer(LINA, "Rejoindre le groupe", "Non finalement, je ne peux pas.") == \
        ["handled: G-1: M-2 left the group"]
    (cancel,) = people.to(LINA, "Retiré de votre agenda")
    for cal in calendar_parts(cancel):
        assert str(cal["METHOD"]) == "CANCEL" and attendees(cal) == [LINA]
        assert str(cal.walk("VEVENT")[0]["UID"]) == uid
    assert people.to(AWA, "Une place s'est libérée pour vous")
    (awa_invited,) = people.to(AWA, "Invitation : Groupe : atelier tricot")
    assert all(attendees(cal) == [AWA] for cal in calendar_parts(awa_invited))
    group = people.store().groups.find_one("ref", "G-1")
    assert (group["places"], group["waiting"]) == (["M-4", "M-3"], [])

    # Zoé accepts from her calendar: the eve of the session, the animators' list names her.
    answer = EmailMessage()
    answer["From"], answer["To"], answer["Subject"] = f"Zoé Marchand <{ZOE}>", NETWORK, "Accepté : Groupe"
    answer["Message-ID"] = "<zoe-accepts@client.example>"
    answer.set_content("Zoé a accepté.")
    answer.add_alternative(f"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n"
                           f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{ZOE}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
                           subtype="calendar", params={"method": "REPLY"})
    assert people.cycle(answer.as_bytes(policy=policy.SMTP))[0].startswith("handled: rsvp accepted")
    eve = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
    imap_robot.command("jobs", now=eve.isoformat())
    (listing,) = people.to(A1, "Groupe : atelier tricot")[-1:]
    assert "Zoé Marchand" in text_of(listing)

    # The day after the session, the real follow-up command asks the bilan.
    later = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    result = imap_robot.command("introductions", "follow-up", now=later.isoformat())
    assert "1 question(s) de bilan" in result.stdout
    for address in (PACO, ZOE, AWA):
        assert people.to(address, "Comment s'est passé le groupe")
    assert not people.to(LINA, "Comment s'est passé le groupe")
    people.now = later
    assert people.answer(ZOE, "Comment s'est passé le groupe", "Échange réalisé : oui\nIntérêt : une écharpe !") == \
        ["handled: G-1 bilan M-4: yes"]
    shown = imap_robot.command("groups", "show", "G-1").stdout
    assert "G-1: bilan" in shown and "M-4" in shown and "bilan M-4 (demandeur) : a eu lieu : oui" in shown
    assert "G-1" in imap_robot.command("groups", "list").stdout
