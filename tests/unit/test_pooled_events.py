"""Pooled events (issue 19): a linked network's published calendar reaches only the
members who chose « Invitations : réseaux voisins », with the peer as ORGANIZER by name
and this robot's address; their answers come back here; the peer gets a signed count.
Robots without servers (the integration test does it through Dovecot and aiosmtpd)."""
from __future__ import annotations

import json
import logging
from datetime import date, time

import pytest
import recurring_ical_events

from config.settings import ConfigError, loads
from calendar_support import text_of
from federation_support import Network, json_part, parse, peers_toml
from workflows.shell.outbox import raw_bytes
from pooled_support import (WORKSHOP_DAY, calendar_of, choose_invitations, client_reply, feed_toml,
                            publish_workshop)
from support import config_text
from workflows.commands.federation import status
from workflows.events.feeds import pooled_series
from workflows.events.ical import feed
from workflows.events.model import EventSeries, Rule
from workflows.events.state import reconcile
from workflows.shell.jobs import pooled_job
from workflows.steps.invitations import wanted_kind
from workflows.steps.pooled_counts import read_counts

HAVRE, ROUEN = "rers@havre.example", "rers@rouen.example"


def test_a_feed_written_by_rers_reads_back_as_the_same_events(tmp_path):
    from datetime import datetime, timezone
    now = datetime(2026, 12, 7, 9, tzinfo=timezone.utc)
    made = [
        EventSeries(uid="atelier-20270114-1400-1a2b3c4d@rouen.example", kind="workshop", title="Cuisine",
                    rule=Rule.once(date(2027, 1, 14)), start_time=time(14), end_time=time(16), place="Salle 2"),
        EventSeries(uid="permanence-1a2b3c4d@rouen.example", kind="permanence", title="Permanence",
                    rule=Rule.weekly(0, date(2026, 1, 5), date(2027, 12, 27)), start_time=time(9, 30),
                    end_time=time(12), cancelled_dates=(date(2026, 12, 14),)),
        EventSeries(uid="rencontre-1a2b3c4d@rouen.example", kind="monthly_meeting", title="Rencontre",
                    rule=Rule.yearly([1, 6], -1, 4, date(2026, 1, 30), date(2027, 6, 25)), start_time=time(18),
                    end_time=time(20)),
    ]
    state, _ = reconcile({}, {s.uid: s for s in made}, now)
    text = feed(state.values(), name="RERS de Rouen", tzid="Europe/Paris")
    read = pooled_series(text, peer=ROUEN, address=HAVRE, domain="havre.example", zone="Europe/Paris",
                         today=date(2026, 12, 7))
    assert read.skipped == []
    by_peer_uid = {s.peer_uid: s for s in read.series.values()}
    for original in made:
        pooled = by_peer_uid[original.uid]
        assert pooled.kind == "pooled" and pooled.peer == ROUEN and pooled.organizer == HAVRE
        assert pooled.uid.startswith("voisin-") and pooled.uid.endswith("@havre.example")
        assert (pooled.rule, pooled.start_time, pooled.end_time, pooled.title) == (
            original.rule, original.start_time, original.end_time, original.title)
    # The same occurrences as an independent expander finds in the peer's feed.
    ours, _ = reconcile({}, read.series, now)
    window = (date(2026, 12, 1), date(2027, 7, 1))
    theirs = sorted(str(e["DTSTART"].dt) for e in recurring_ical_events.of(
        __import__("icalendar").Calendar.from_ical(text)).between(*window))
    mine = sorted(str(e["DTSTART"].dt) for e in recurring_ical_events.of(
        __import__("icalendar").Calendar.from_ical(feed(ours.values(), name="x", tzid="Europe/Paris"))).between(*window))
    assert mine == theirs and len(mine) > 20
    # The kind travels (X-RERS-KIND): a network may leave a neighbour's permanence out.
    kept = pooled_series(text, peer=ROUEN, address=HAVRE, domain="havre.example", zone="Europe/Paris",
                         today=date(2026, 12, 7), leave_out={"permanence"})
    assert sorted(s.peer_uid for s in kept.series.values()) == sorted(
        o.uid for o in made if o.kind != "permanence") and kept.skipped == []


def test_events_outside_the_subset_are_left_out_and_said():
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
            "BEGIN:VEVENT\r\nUID:a@x\r\nDTSTAMP:20261201T000000Z\r\nDTSTART;VALUE=DATE:20270110\r\nSUMMARY:Fête\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:b@x\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:20270110T090000Z\r\nDTEND:20270110T100000Z\r\n"
            "RRULE:FREQ=DAILY;COUNT=3\r\nSUMMARY:Stage\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:c@x\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:20270110T090000Z\r\nDTEND:20270110T100000Z\r\n"
            "SUMMARY:Café\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    read = pooled_series(text, peer=ROUEN, address=HAVRE, domain="havre.example", zone="Europe/Paris",
                         today=date(2026, 12, 7))
    assert [s.title for s in read.series.values()] == ["Café"]
    (cafe,) = read.series.values()
    assert cafe.start_time == time(10) and cafe.tzid == "Europe/Paris", "a UTC time in the network's zone"
    assert [line.split(":")[0] for line in read.skipped] == ["a@x", "b@x"]


def test_feeds_are_validated_with_every_problem_at_once(tmp_path):
    rouen = Network(tmp_path / "rouen", "RERS de Rouen", ROUEN, "anim@rouen.example")
    feeds = [{"peer": "RERS de Lille", "url": "ftp://lille.example/cal.ics"},
             {"peer": "RERS de Rouen", "path": "rouen.ics", "url": "https://rouen.example/cal.ics", "colour": "red"},
             {"url": "https://x.example/cal.ics"}]
    text = config_text(tmp_path, address=HAVRE, extra=peers_toml(rouen) + "".join(
        "\n[[federation.feeds]]\n" + "".join(f'{key} = "{value}"\n' for key, value in table.items())
        for table in feeds))
    with pytest.raises(ConfigError) as caught:
        loads(text, base=tmp_path)
    problems = "\n".join(caught.value.problems)
    for expected in ("#1 peer: 'RERS de Lille' is not the name of a [[federation.peers]]",
                     "#1 url: 'ftp://lille.example/cal.ics' is not an http",
                     "#2 path: give either path (a file) or url", "#2 colour: unknown key", "#3 peer: this key is required"):
        assert expected in problems, problems
    good = text.split("[[federation.feeds]]")[0] + '[[federation.feeds]]\npeer = "rers de rouen"\npath = "r.ics"\n'
    (one,) = loads(good, base=tmp_path).federation.feeds
    assert one.address == ROUEN and one.path == tmp_path / "r.ics" and one.url is None


def test_only_members_who_named_linked_networks_get_their_events():
    assert wanted_kind(["réseaux voisins"], "pooled") and wanted_kind(["ateliers", "réseaux voisins"], "pooled")
    assert not wanted_kind(None, "pooled") and not wanted_kind([], "pooled") and not wanted_kind(["ateliers"], "pooled")
    assert wanted_kind(None, "workshop"), "a plain oui still means every event of the network"


def test_counts_are_read_as_numbers_only():
    body = {"counts": [{"uid": "a@x", "occurrence": None, "yes": 3, "who": ["marie@example.com"]},
                       {"uid": "b@x", "occurrence": "2027-01-14", "yes": 1},
                       {"uid": "c@x", "occurrence": "demain", "yes": 2}, {"uid": "d@x", "yes": "3"},
                       {"uid": "e@x", "yes": True}, {"uid": "f@x", "yes": -1}, "x"]}
    assert read_counts(body) == [{"uid": "a@x", "occurrence": None, "yes": 3},
                                 {"uid": "b@x", "occurrence": "2027-01-14", "yes": 1}]


@pytest.fixture
def linked(tmp_path):
    havre = Network(tmp_path / "havre", "RERS du Havre", HAVRE, "anim@havre.example")
    rouen = Network(tmp_path / "rouen", "RERS de Rouen", ROUEN, "anim@rouen.example")
    havre.link(rouen, extra=feed_toml(rouen))
    rouen.link(havre)
    havre.share()
    havre.carry(rouen)
    rouen.carry(havre)
    return havre, rouen


def test_a_pooled_workshop_reaches_only_those_who_chose_it_and_the_count_goes_back(linked):
    havre, rouen = linked
    publish_workshop(rouen)
    marie = havre.member("marie@example.com", "Marie Dupont")
    paul = havre.member("paul@example.com", "Paul Martin")
    lea = havre.member("lea@example.com", "Léa Petit")
    choose_invitations(havre, marie, ["réseaux voisins"])
    choose_invitations(havre, paul, None)
    choose_invitations(havre, lea, ["ateliers"])

    report = pooled_job(havre.settings, havre.store, havre.now)
    # Its workshop; its weekly permanence, published too, is left out (kinds' default).
    assert report.lines == ["RERS de Rouen: 1 event(s)"] and report.counts == []
    pooled = [d for d in havre.store.outbox.all() if d["cause"].startswith("voisin-")]
    assert {tuple(d["recipients"]) for d in pooled} == {("marie@example.com",)}, \
        "not Paul (plain oui), Léa (ateliers), nor the animators"
    invitation = next(d for d in havre.outbox(to="marie@example.com", purpose="invitation")
                      if b"Cuisine du monde" in raw_bytes(d["raw"]))
    raw = raw_bytes(invitation["raw"])
    (event,) = calendar_of(raw).walk("VEVENT")
    assert str(event["ORGANIZER"]).lower() == f"mailto:{HAVRE}" and event["ORGANIZER"].params["CN"] == "RERS de Rouen"
    assert str(event["SUMMARY"]) == "Cuisine du monde" and event["DTSTART"].dt.date() == WORKSHOP_DAY
    assert "Le RERS de Rouen, réseau voisin du RERS du Havre, vous invite" in text_of(parse(raw))
    assert not [p for p in (havre.root / "calendar").glob("*.ics")
                if b"Cuisine" in p.read_bytes()], "not in this network's own feed"
    assert pooled_job(havre.settings, havre.store, havre.now).changes == [], "the same feed: nothing more"

    # Marie accepts in her calendar: the REPLY goes to the ORGANIZER's address, Le Havre's.
    to, reply = client_reply(raw, "marie@example.com", when=havre.now)
    assert to == HAVRE
    assert havre.deliver(reply).startswith("rsvp accepted: voisin-")
    havre.later(hours=1)
    report = pooled_job(havre.settings, havre.store, havre.now)
    assert report.counts == ["RERS de Rouen"]
    (count,) = [m for m in havre.robot_mail(rouen) if json.loads(json_part(m))["kind"] == "count"]
    (entry,) = json.loads(json_part(count))["body"]["counts"]
    assert entry["uid"].startswith("atelier-20270114-1400-") and (entry["occurrence"], entry["yes"]) == (None, 1)
    assert b"marie" not in count.lower() and b"Dupont" not in count
    assert rouen.deliver(count) == "federation: 1 count(s) of RERS du Havre"
    (peer,) = status(rouen.settings, rouen.store, rouen.now)["peers"]
    assert [(c["title"], c["yes"]) for c in peer["pooled_counts"]["counts"]] == [("Cuisine du monde", 1)]

    # Unchanged numbers: no new count; the workshop moved in the feed: an update to Marie.
    havre.later(days=1)
    assert pooled_job(havre.settings, havre.store, havre.now).counts == []
    from workflows.steps.event_commands import add_one_off
    from workflows.shell.apply import run
    from workflows.shell.publish import publish_calendar
    run(rouen.settings, rouen.store, rouen.now, add_one_off, "workshop", WORKSHOP_DAY, time(14), time(17),
        title="Cuisine du monde", place="Salle des fêtes")
    publish_calendar(rouen.settings, rouen.store, rouen.now)
    assert [c.split()[1] for c in pooled_job(havre.settings, havre.store, havre.now).changes] == ["changed"]
    updates = [d for d in havre.outbox(to="marie@example.com", purpose="invitation")
               if b"Cuisine du monde" in raw_bytes(d["raw"])]
    assert len(updates) == 2 and b"Salle des f" in raw_bytes(updates[-1]["raw"])

    # Marie turns linked networks off: a CANCEL for what reached her.
    havre.runner.flush()
    from workflows.steps.invitations import follow_preference
    before = havre.store.members.find_one("ref", marie["ref"])
    after = {**before, "invitation_kinds": ["ateliers"]}
    queued = run(havre.settings, havre.store, havre.now, lambda plan: (
        plan.members.update(before["id"], invitation_kinds=["ateliers"]), follow_preference(plan, before, after))[1])
    withdrawn = havre.outbox(to="marie@example.com", purpose="invitation_withdrawn")
    assert len(queued) == len(withdrawn) == 1, "the workshop"
    assert {str(calendar_of(raw_bytes(d["raw"]))["METHOD"]) for d in withdrawn} == {"CANCEL"}


def test_a_workshop_removed_from_the_feed_is_cancelled_and_an_unreadable_feed_told_once(linked):
    havre, rouen = linked
    publish_workshop(rouen)
    marie = havre.member("marie@example.com", "Marie Dupont")
    choose_invitations(havre, marie, ["réseaux voisins"])
    pooled_job(havre.settings, havre.store, havre.now)
    havre.runner.flush()
    feed_file = rouen.root / "calendar" / "calendrier.ics"
    text = feed_file.read_text(encoding="utf-8")
    feed_file.unlink()
    for _ in range(3):
        havre.later(hours=1)
        assert pooled_job(havre.settings, havre.store, havre.now).lines[0].startswith("RERS de Rouen: unreadable")
    (told,) = havre.outbox(purpose="federation_notice")
    assert told["recipients"] == ["anim@havre.example"]
    assert not havre.outbox(to="marie@example.com", purpose="cancellation"), "an unreadable feed keeps its events"
    cut = text[:text.index("BEGIN:VEVENT")] + "END:VCALENDAR\r\n"
    feed_file.write_text(cut, encoding="utf-8")
    havre.later(hours=1)
    assert [c.split()[1] for c in pooled_job(havre.settings, havre.store, havre.now).changes] == ["cancelled"]
    assert len(havre.outbox(to="marie@example.com", purpose="cancellation")) == 1
    assert len(havre.outbox(purpose="federation_notice")) == 2, "and once when it is read again"


def test_doctor_reads_each_feed(linked):
    from workflows.shell.doctor import check_feeds
    havre, rouen = linked
    publish_workshop(rouen)
    (found,) = check_feeds(havre.settings)
    assert found.level == "ok" and "RERS de Rouen" in found.text and "1" in found.text
    (rouen.root / "calendar" / "calendrier.ics").unlink()
    (found,) = check_feeds(havre.settings)
    assert found.level == "warn" and "calendrier.ics" in found.text


def _marie_says_yes(havre: Network, rouen: Network) -> list[str]:
    """Rouen's workshop pooled in Le Havre, Marie (who chose linked networks) says yes in
    her calendar; an hour later the job: the peers a count went to."""
    publish_workshop(rouen)
    marie = havre.member("marie@example.com", "Marie Dupont")
    choose_invitations(havre, marie, ["réseaux voisins"])
    pooled_job(havre.settings, havre.store, havre.now)
    invitation = next(d for d in havre.outbox(to="marie@example.com", purpose="invitation")
                      if b"Cuisine du monde" in raw_bytes(d["raw"]))
    havre.deliver(client_reply(raw_bytes(invitation["raw"]), "marie@example.com", when=havre.now)[1])
    havre.later(hours=1)
    return pooled_job(havre.settings, havre.store, havre.now).counts


def _counts(havre: Network, rouen: Network) -> list[bytes]:
    return [m for m in havre.robot_mail(rouen) if json.loads(json_part(m))["kind"] == "count"]


def test_the_monthly_reports_count_pooled_events_both_ways(linked):
    from workflows.mail.render import Renderer
    from workflows.steps.reports import build_report

    havre, rouen = linked
    assert _marie_says_yes(havre, rouen) == ["RERS de Rouen"]
    (count,) = _counts(havre, rouen)
    rouen.deliver(count)

    month = (WORKSHOP_DAY.replace(day=1), WORKSHOP_DAY.replace(day=28))
    theirs = build_report(havre.settings, havre.store, *month, today=month[1])["pooled"]
    assert (theirs["dates"], theirs["yes"], theirs["counted"]) == (1, 1, [])
    ours = build_report(rouen.settings, rouen.store, *month, today=month[1])
    assert ours["pooled"]["counted"] == [{"peer": "RERS du Havre", "dates": 1, "yes": 1}]
    text = Renderer("fr").render("report", {"network": {"name": "RERS de Rouen", "address": ROUEN},
                                            "now": rouen.now, "report": ours}).text
    assert "Nos dates comptées par RERS du Havre : 1 (1 « oui » de ses membres)" in text
    before = build_report(rouen.settings, rouen.store, date(2026, 11, 1), date(2026, 11, 30), today=month[1])
    assert before["pooled"]["counted"] == [], "a count is reported in the month of its date"


def test_a_feed_may_ask_for_the_neighbours_permanences_and_bad_kinds_are_said(linked):
    havre, rouen = linked
    publish_workshop(rouen)
    marie = havre.member("marie@example.com", "Marie Dupont")
    choose_invitations(havre, marie, ["réseaux voisins"])
    wider = feed_toml(rouen) + 'kinds = ["permanences", "ateliers"]\n'
    havre.link(rouen, extra=wider)
    assert havre.settings.federation.feeds[0].kinds == ("permanences", "ateliers")
    assert pooled_job(havre.settings, havre.store, havre.now).lines == ["RERS de Rouen: 2 event(s)"]
    bad = (havre.root / "rers.toml").read_text(encoding="utf-8").replace(
        wider, feed_toml(rouen) + 'kinds = ["ateliers", "permanance"]\n')
    with pytest.raises(ConfigError) as error:
        loads(bad, base=havre.root)
    assert "'permanance' is not one of" in str(error.value) and "did you mean 'permanences'" in str(error.value)


def test_a_pooled_event_nobody_chose_is_logged_as_announced_to_nobody(linked, caplog):
    havre, rouen = linked
    publish_workshop(rouen)
    choose_invitations(havre, havre.member("paul@example.com", "Paul Martin"), None)
    choose_invitations(havre, havre.member("lea@example.com", "Léa Petit"), ["ateliers"])
    caplog.set_level(logging.INFO, logger="rers.audit")
    pooled_job(havre.settings, havre.store, havre.now)
    announced = [r.getMessage() for r in caplog.records if "voisin-" in r.getMessage() and "announced" in r.getMessage()]
    assert announced and all(line.endswith("announced to 0 people") for line in announced), announced
    assert not [d for d in havre.store.outbox.all() if d["cause"].startswith("voisin-")]


def test_counts_go_again_to_a_peer_that_restarted_from_an_empty_store(linked):
    havre, rouen = linked
    assert _marie_says_yes(havre, rouen) == ["RERS de Rouen"]
    havre.later(hours=1)
    assert pooled_job(havre.settings, havre.store, havre.now).counts == [], "unchanged numbers: nothing"

    # Rouen loses its store (a new one, the same key): its hello under a newer epoch.
    rouen.restart(havre)
    assert rouen.share() == ["hello to RERS du Havre"]
    (hello,) = rouen.robot_mail(havre)
    assert havre.deliver(hello).endswith("restarted, what was kept of it forgotten")
    havre.later(hours=1)
    # The same numbers, within the day: sent again all the same, the peer lost them.
    assert pooled_job(havre.settings, havre.store, havre.now).counts == ["RERS de Rouen"]
    counts = [json.loads(json_part(m)) for m in _counts(havre, rouen)]
    assert len(counts) == 2 and counts[0]["body"] == counts[1]["body"]
    assert counts[1]["body"]["counts"][0]["yes"] == 1
    havre.later(hours=1)
    assert pooled_job(havre.settings, havre.store, havre.now).counts == [], "once for that epoch"
