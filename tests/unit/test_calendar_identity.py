"""Issue 14, calendar identity: every UID is globally unique — two networks on one mail
domain never publish the same UID, so one's cancellations never touch the other's events
in the agenda of a member of both —; the series an older rers stored keep their UID (no
duplicate in anyone's agenda after an upgrade); and an event keeps the ORGANIZER it was
published under, so that its cancellation after a change of the functional address is
still accepted by the agendas that hold it (RFC 5546 §3.2.5)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, time

import pytest

from calendar_support import NOW, calendar_part, command, in_transaction, robot
from config.settings import NetworkSettings
from workflows.events.state import (configured_uid, legacy_uid, network_tag, one_off, series_from_settings,
                                    short_uid)
from workflows.shell.publish import publish_calendar
from workflows.steps.calendar import load_series
from workflows.steps.event_commands import cancel_event, normalise_uid, on_event_command

from events_support import calendar, network

ONE = NetworkSettings(name="RERS de Souday", address="rers.souday@gmail.com", animators=())
TWO = NetworkSettings(name="RERS du Havre", address="rers.havre@gmail.com", animators=())


def test_two_networks_on_one_mail_domain_never_share_a_uid():
    cal = calendar()
    ours = {s.uid for s in series_from_settings(cal, ONE, today=date(2027, 1, 15))}
    theirs = {s.uid for s in series_from_settings(cal, TWO, today=date(2027, 1, 15))}
    assert len(ours) == 3 and not ours & theirs
    assert all(uid.endswith("@gmail.com") for uid in ours | theirs)
    meeting = [one_off("meeting", "Rencontre", date(2027, 1, 14), time(14), time(16), network=n) for n in (ONE, TWO)]
    assert meeting[0].uid != meeting[1].uid


def test_the_tag_is_the_address_whatever_its_case_and_short_names_drop_it():
    assert network_tag("RERS.Souday@Gmail.com ") == network_tag("rers.souday@gmail.com")
    uid = configured_uid("permanence", ONE)
    assert uid == f"permanence-{network_tag(ONE.address)}@gmail.com"
    assert legacy_uid(uid) == "permanence@gmail.com" and legacy_uid("permanence@gmail.com") is None
    assert short_uid(uid) == "permanence" and short_uid("rencontre-20270114-1400@x.org") == "rencontre-20270114-1400"


def test_every_new_series_records_its_organizer():
    assert {s.organizer for s in series_from_settings(calendar(), ONE, today=date(2027, 1, 15))} == {ONE.address}


@pytest.fixture
def bot(tmp_path):
    bot = robot(tmp_path)
    bot.add_member("M-1", "marie@example.org", name="Marie Dupont")
    return bot


def _as_an_older_rers_stored_it(bot) -> None:
    """The stored series under the UIDs an older rers gave (``permanence@example.org``),
    without an organizer, as the store of a network that upgrades holds them."""
    with bot.store.transaction():
        for doc in bot.store.events.all():
            series = dict(doc["series"])
            series["uid"] = legacy_uid(series["uid"])
            series.pop("organizer", None)
            bot.store.events.replace(doc["id"], {"uid": series["uid"], "series": series})
        for mail in bot.store.outbox.all():  # the invitations it sent named those UIDs
            uid, _, rest = (mail.get("cause") or "").partition(" ")
            if legacy_uid(uid):
                bot.store.outbox.update(mail["id"], cause=f"{legacy_uid(uid)} {rest}")


def test_an_upgrade_keeps_the_stored_uids_and_sends_nothing(bot):
    publish_calendar(bot.settings, bot.store, NOW)
    _as_an_older_rers_stored_it(bot)
    before = {doc["message_id"] for doc in bot.store.outbox.all()}
    stored = load_series(bot.store)
    assert set(stored) == {"permanence@example.org"}
    publish_calendar(bot.settings, bot.store, NOW.replace(hour=10))
    after = load_series(bot.store)
    assert set(after) == {"permanence@example.org"}, "no second permanence in anyone's agenda"
    assert after["permanence@example.org"].sequence == stored["permanence@example.org"].sequence
    assert after["permanence@example.org"].organizer == bot.settings.network.address, "stored from now on"
    assert {doc["message_id"] for doc in bot.store.outbox.all()} == before, "no invitation, no cancellation"
    feed = (bot.root / "calendar" / "calendrier.ics").read_text()
    assert "UID:permanence@example.org" in feed


def test_an_old_one_off_is_corrected_and_cancelled_under_its_own_uid(bot):
    publish_calendar(bot.settings, bot.store, NOW)
    handle = lambda incoming: in_transaction(bot.store, on_event_command, bot.ctx(), incoming)  # noqa: E731
    handle(command("meeting", date="2027-01-14", start="14:00", end="16:00", place="Salle A", title=None))
    _as_an_older_rers_stored_it(bot)
    old = "rencontre-20270114-1400@example.org"
    assert old in load_series(bot.store)
    handle(command("meeting", date="2027-01-14", start="14:00", end="16:00", place="Salle B", title=None,
                   message_id="<cmd-2@client.example>"))
    series = load_series(bot.store)
    assert set(series) == {"permanence@example.org", old}, "corrected in place, not doubled"
    assert series[old].place == "Salle B" and series[old].sequence == 1
    assert normalise_uid(bot.ctx(), "rencontre-20270114-1400") == old
    assert in_transaction(bot.store, cancel_event, bot.ctx(), "rencontre-20270114-1400").status == "done"
    assert load_series(bot.store)[old].cancelled


def _organizers(bot, purpose: str, uid: str) -> set[str]:
    found = set()
    for doc, msg in bot.mails(purpose):
        if doc["cause"].split(" ")[0] == uid:
            _, cal = calendar_part(msg)
            found.update(str(event["ORGANIZER"]) for event in cal.walk("VEVENT"))
    return found


def test_after_a_change_of_address_the_old_events_are_cancelled_by_their_own_organizer(bot):
    publish_calendar(bot.settings, bot.store, NOW)
    in_transaction(bot.store, on_event_command, bot.ctx(),
                   command("meeting", date="2027-01-14", start="14:00", end="16:00", place="Salle A", title=None))
    old_address = bot.settings.network.address
    old = load_series(bot.store)
    permanence = configured_uid("permanence", bot.settings.network)
    meeting = next(uid for uid in old if uid.startswith("rencontre-2027"))
    # The network moves to a new functional address.
    bot.settings = replace(bot.settings, network=replace(bot.settings.network, address="reseau@nouveau.example"))
    publish_calendar(bot.settings, bot.store, NOW.replace(hour=10))
    now = load_series(bot.store)
    new_permanence = configured_uid("permanence", bot.settings.network)
    assert new_permanence != permanence and now[permanence].cancelled and not now[new_permanence].cancelled
    assert _organizers(bot, "cancellation", permanence) == {f"mailto:{old_address}"}, \
        "the CANCEL comes from the organizer the agendas know"
    assert _organizers(bot, "invitation", new_permanence) == {"mailto:reseau@nouveau.example"}
    assert now[permanence].organizer == old_address and now[new_permanence].organizer == "reseau@nouveau.example"
    # A one-off published before the move, cancelled after it: its own organizer too.
    assert in_transaction(bot.store, cancel_event, bot.ctx(), meeting).status == "done"
    assert _organizers(bot, "cancellation", meeting) == {f"mailto:{old_address}"}
