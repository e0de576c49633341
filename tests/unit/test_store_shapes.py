"""A store damaged by hand but still valid JSON (a member's address set to null, an item's
status « frobbed », an introduction's status 12, an asker's state « frobbed », an item of a
member who does not exist) is not worked on: `rers doctor` lists every problem at once,
`rers poll` and `rers run` refuse to start with one line pointing to the doctor, and the
store is left as it was. A store the real steps built — groups, introductions, bilans,
pauses, erasures — has no problem: a false alarm would stop a network's robot."""
from __future__ import annotations

import json

from support import make_settings
from store import Store
from workflows.cli import main
from workflows.model.shapes import problems
from workflows.shell.doctor import check_store
from workflows.shell.host import Host
from workflows.shell.language import Words

SOUND = {
    "members": [{"ref": "M-1", "address": "a@example.org", "status": "confirmed", "name": "Léa"},
                {"ref": "M-2", "address": None, "registered_by": "anim@example.org", "status": "confirmed"},
                {"ref": "M-3", "address": "c@example.org", "status": "pending"}],
    "items": [{"ref": "O-1", "kind": "offer", "member": "M-1", "title": "Tricot", "status": "open"},
              {"ref": "O-2", "kind": "offer", "member": "M-1", "title": "Couture", "status": "paused"},
              {"ref": "D-1", "kind": "demand", "member": "M-3", "title": "Tricoter", "status": "held"}],
    "introductions": [{"ref": "MR-1", "offer": "O-1", "demand": "D-1", "status": "proposed"}],
}


def damaged() -> dict:
    data = json.loads(json.dumps(SOUND))
    data["members"][2]["address"] = None
    data["items"][1]["status"] = "frobbed"
    data["introductions"][0]["status"] = 12
    return data


def test_a_sound_store_has_no_problem():
    assert problems(SOUND) == []


def test_every_problem_is_listed_in_the_networks_language():
    found = problems(damaged())
    assert found == ["member M-3: address missing", 'item O-2: unknown status "frobbed"',
                     'introduction MR-1: unknown status "12"']
    say = Words("fr")
    assert [problem.said(say) for problem in found] == [
        "membre M-3 : champ « adresse » manquant", "savoir O-2 : statut inconnu « frobbed »",
        "mise en relation MR-1 : statut inconnu « 12 »"]


def test_a_key_missing_or_of_another_type():
    found = problems({"items": [{"ref": "O-4", "kind": "offer", "member": "M-1", "status": "open"}],
                      "members": [{"ref": "M-5", "address": ["x"], "status": "confirmed", "invitations": "oui"}]})
    assert found == ["item O-4: member names M-1, which does not exist", "item O-4: title missing", "member M-5: address is not readable: ['x']",
                     "member M-5: invitations is not readable: 'oui'"]


def damage_store(settings) -> bytes:
    store = Store.open(settings.store.path)
    with store.transaction():
        for name, documents in damaged().items():
            for document in documents:
                getattr(store, name).insert(document)
    return settings.store.path.read_bytes()


def test_doctor_lists_them_all_and_poll_refuses_leaving_the_store_as_it_is(tmp_path, capsys):
    settings = make_settings(tmp_path / "robot")
    before = damage_store(settings)
    findings = list(check_store(settings))
    assert not any(f.level == "ok" for f in findings), "never « ok » above its own FAIL lines"
    assert any("est lisible, mais 3 document(s) abîmé(s)" in f.text for f in findings if f.level == "warn")
    texts = [f.text for f in findings if f.level == "fail"]
    assert texts == ["membre M-3 : champ « adresse » manquant", "savoir O-2 : statut inconnu « frobbed »",
                     "mise en relation MR-1 : statut inconnu « 12 »"]
    config = str(settings.source)
    assert main(["poll", "--config", config]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "rers doctor" in err and "3 document(s)" in err and "membre M-3" in err, err
    assert main(["run", "--config", config]) == 2  # systemd's RestartPreventExitStatus=2: not restarted forever
    assert "rers doctor" in capsys.readouterr().err
    assert settings.store.path.read_bytes() == before


def test_a_network_served_with_others_is_not_started_on_a_damaged_store(tmp_path):
    make_settings(tmp_path / "sound")
    damage_store(make_settings(tmp_path / "broken"))
    host = Host(tmp_path)
    host.prepare()
    started = {n.name: n.daemon is not None for n in host.networks}
    assert started == {"sound": True, "broken": False}
    assert any("rers doctor" in line for line in host.said_lines())


def test_run_on_a_store_cut_short_exits_2_so_systemd_does_not_restart_it(tmp_path, capsys):
    settings = make_settings(tmp_path / "robot")
    damage_store(settings)
    cut = settings.store.path.read_bytes()[:300]  # `head -c 300 rers.json > rers.json`, near enough
    settings.store.path.write_bytes(cut)
    assert main(["run", "--config", str(settings.source)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "JSON" in err and "rers.json.bak" in err, err
    assert settings.store.path.read_bytes() == cut


def test_status_says_the_damage_and_fails_alone_or_with_other_networks(tmp_path, capsys):
    sound_one = make_settings(tmp_path / "sound")
    main(["poll", "--config", str(sound_one.source)])  # a successful cycle: « Dernier cycle réussi »
    broken = make_settings(tmp_path / "broken")
    main(["poll", "--config", str(broken.source)])
    damage_store(broken)
    assert main(["poll", "--config", str(broken.source)]) == 1
    capsys.readouterr()
    assert main(["status", "--config", str(broken.source)]) == 1
    out = capsys.readouterr().out
    damage_lines = [line for line in out.splitlines() if "rers doctor" in line]
    assert len(damage_lines) == 1 and "3 document(s)" in damage_lines[0] and "membre M-3" in damage_lines[0], out
    assert main(["status", "--networks", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "2 réseau(x) : 1 en ordre, 1 en échec (broken).", out


def test_time_stamps_and_a_members_language_are_checked_as_the_steps_read_them():
    stamped = {"members": [{**SOUND["members"][0], "created": "2026-12-01T09:00:00+00:00", "confirmed": None,
                            "language": "fr"}],
               "introductions": [{**SOUND["introductions"][0], "created": "2026-12-01T09:00:00+00:00",
                                  "again_after": None}]}
    assert problems(stamped) == []
    stamped["members"][0].update(created="hier", language=12)
    stamped["introductions"][0].update(closed="2026-12-01T09:00:00", approved=20261201)  # no offset; a number
    found = problems(stamped)
    assert found == ['member M-1: unknown language "12"',
                     "member M-1: created is not a date and time with its offset (ISO 8601, as "
                     "2026-12-07T09:00:00+00:00): 'hier'",
                     "introduction MR-1: approved is not readable: 20261201",
                     "introduction MR-1: closed is not a date and time with its offset (ISO 8601, as "
                     "2026-12-07T09:00:00+00:00): '2026-12-01T09:00:00'"]
    assert [problem.said(Words("fr")) for problem in found[:2]] == [
        "membre M-1 : code de langue inconnu « 12 »",
        "membre M-1 : champ « created » : pas une date et heure avec son décalage (ISO 8601, comme "
        "2026-12-07T09:00:00+00:00) : 'hier'"]


def test_a_store_damaged_by_hand_while_the_daemon_runs_stops_it_with_2(tmp_path, caplog):
    """Checked at start, and again whenever the file is read again after another process
    wrote it: the daemon stops (exit 2: systemd does not restart it for ever) rather than
    work on a member whose address was set to null, and writes nothing over the file."""
    import logging
    import threading
    import time

    from workflows.shell.daemon import EXIT_UNFIXABLE, Daemon
    from workflows.shell.soundness import sound

    settings = make_settings(tmp_path / "robot", extra="[schedule]\npoll_seconds = 1\n")
    daemon = Daemon(settings, sound(Store.open(settings.store.path)), jobs=[])
    caplog.set_level(logging.INFO)
    result = {}
    thread = threading.Thread(target=lambda: result.update(status=daemon.run()), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while daemon.state.cycles < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert daemon.state.cycles >= 1
        damaged_bytes = damage_store(settings)  # as another process (an editor) would
        thread.join(timeout=30)
    finally:
        daemon.stop_event.set()
        thread.join(timeout=30)
    assert result["status"] == EXIT_UNFIXABLE
    assert settings.store.path.read_bytes() == damaged_bytes
    stops = [r.getMessage() for r in caplog.records if r.levelno == logging.CRITICAL]
    assert len(stops) == 1 and "rers doctor" in stops[0] and "3 damaged document(s)" in stops[0], stops
    assert not [r for r in caplog.records if r.exc_info], "a damaged store is no error of the code"


def test_nested_entries_and_other_collections_are_checked_and_said_in_french():
    sound = json.loads(json.dumps(SOUND))
    sound["members"][0]["pause"] = {"since": "2026-12-01T09:00:00+00:00", "until": "2027-03-15"}
    sound["introductions"][0].update(
        consents={"offer": "yes", "demand": None}, contacts={"offer": "phone", "demand": None},
        bilans={"offer": {"happened": "ongoing", "text": "Bien", "at": "2026-12-01T09:00:00+00:00"}, "demand": None},
        history=[{"at": "2026-12-01T09:00:00+00:00", "event": "proposed"}])
    sound["groups"] = [{"ref": "G-1", "offer": "O-1", "offer_member": "M-1", "status": "open", "capacity": 2,
                        "askers": [{"member": "M-3", "demand": "D-1", "state": "member",
                                    "since": "2026-12-01T09:00:00+00:00", "round": 1},
                                   {"member": None, "demand": None, "state": "left",  # erased: anonymous
                                    "since": "2026-12-01T09:00:00+00:00", "round": 0}],
                        "places": ["M-3", None], "waiting": [], "first_session": "2026-12-02",
                        "bilans": [{"member": "M-3", "side": "asker", "happened": "yes",
                                    "at": "2026-12-03T09:00:00+00:00"}],
                        "history": [{"at": "2026-12-01T09:00:00+00:00", "event": "proposed"}]}]
    sound["questions"] = [{"id": 4, "token_hash": "ab", "kind": "consent", "subject_ref": "MR-1", "member": "M-1",
                           "address": "a@example.org", "status": "open", "created": "2026-12-01T09:00:00+00:00",
                           "expires": "2026-12-31T09:00:00+00:00", "answered": None}]
    sound["outbox"] = [{"id": 7, "message_id": "<x@example.org>", "recipients": ["a@example.org"],
                        "status": "queued", "attempts": 0, "created": "2026-12-01T09:00:00+00:00",
                        "next_attempt": "2026-12-01T09:00:00+00:00"}]
    assert problems(sound) == []
    broken = json.loads(json.dumps(sound))
    broken["members"][0]["pause"]["until"] = "15 mars"
    broken["items"][0]["member"] = "M-9"
    broken["introductions"][0].update(offer="O-99", offer_member="M-1")
    broken["introductions"][0]["bilans"]["offer"]["happened"] = "peut-être"
    broken["introductions"][0]["history"][0]["at"] = "hier"
    group = broken["groups"][0]
    group["offer"] = "O-98"
    group["askers"][0].update(state="frobbed", since=None)
    group["askers"].append("M-4")
    group["places"][0] = "M-7"
    broken["questions"][0]["expires"] = "2026-12-31"
    broken["outbox"][0].update(status="stuck", recipients="a@example.org")
    found = problems(broken)
    assert found == [
        "member M-1, pause: until is not a date (as 2026-12-07): '15 mars'",
        "item O-1: member names M-9, which does not exist",
        "introduction MR-1: offer names O-99, which does not exist",
        'introduction MR-1, bilans, offer: unknown happened "peut-être"',
        "introduction MR-1, history no. 1: at is not a date and time with its offset (ISO 8601, as "
        "2026-12-07T09:00:00+00:00): 'hier'",
        "group G-1: offer names O-98, which does not exist",
        'group G-1, askers no. 1: unknown state "frobbed"',
        "group G-1, askers no. 1: since missing",
        "group G-1, askers no. 3: askers is not readable: 'M-4'",
        "group G-1: member names M-7, which does not exist",
        "question #4: expires is not a date and time with its offset (ISO 8601, as 2026-12-07T09:00:00+00:00): "
        "'2026-12-31'",
        "mail #7: recipients is not readable: 'a@example.org'",
        'mail #7: unknown status "stuck"']
    say = Words("fr")
    assert [problem.said(say) for problem in found[:4] + found[6:8]] == [
        "membre M-1, pause : champ « until » : pas une date (comme 2026-12-07) : '15 mars'",
        "savoir O-1 : champ « membre » : M-9 n’existe pas",
        "mise en relation MR-1 : champ « offre » : O-99 n’existe pas",
        "mise en relation MR-1, bilans, offre : échange réalisé inconnu « peut-être »",
        "groupe G-1, demandeurs n° 1 : état inconnu « frobbed »",
        "groupe G-1, demandeurs n° 1 : champ « since » manquant"]


def test_a_reference_of_another_type_is_said_not_crashed_on():
    store = json.loads(json.dumps(SOUND))
    store["members"][0]["ref"] = ["M-1"]
    store["items"][0]["member"] = {"ref": "M-3"}
    assert problems(store) == ["member #?: reference is not readable: ['M-1']",
                               "item O-1: member is not readable: {'ref': 'M-3'}",
                               "item O-2: member names M-1, which does not exist"]


def test_references_to_what_an_erasure_deleted_are_no_problem():
    """An erased member's items are deleted; their introductions keep the refs, the
    member's side emptied (``offer_member``: null), and so do their groups."""
    store = json.loads(json.dumps(SOUND))
    store["introductions"][0].update(offer="O-50", offer_member=None, demand_member="M-3")
    store["groups"] = [{"ref": "G-2", "offer": "O-51", "offer_member": None, "status": "cancelled", "askers": []}]
    assert problems(store) == []
    store["introductions"][0]["demand"] = "D-50"
    assert problems(store) == ["introduction MR-1: demand names D-50, which does not exist"]


def test_a_store_the_real_steps_built_has_no_problem(tmp_path):
    """Groups with places, a waiting list, a session and bilans; an introduction taken to
    its bilans; a pause until a date; members erased from both: what the steps write is
    what the table expects (no false alarm that would stop the robot)."""
    from datetime import datetime, timezone

    from group_support import A1, AWA, LINA, PACO, ZOE, Net, group, led
    from workflows.shell.soundness import damage

    net = Net(tmp_path / "robot")
    led(net, capacity=2)
    for address in (LINA, AWA, ZOE):
        net.answer(address, "question:group_join", "OUI")
    assert net.send(A1, "ATELIER G-1 2026-12-02 10:00-12:00 Salle du Havre", "") == "group session G-1: done"
    net.now = datetime(2026, 12, 3, 8, 0, tzinfo=timezone.utc)
    assert net.later(0).bilans == ["G-1"]
    net.answer(LINA, "question:group_bilan", "Échange réalisé : oui\nIntérêt : une écharpe")
    odile, marc = net.member("odile@example.org", "Odile Roux"), net.member("marc@example.org", "Marc Lenoir")
    net.item(odile, "offer", "Cours d'espagnol")
    net.item(marc, "demand", "Apprendre l'espagnol")
    intro_ref = net.store.introductions.all()[-1]["ref"]
    net.answer(A1, "question:approve", "OUI")
    net.answer("odile@example.org", "question:consent", "oui")
    net.answer("marc@example.org", "question:consent", "oui")
    assert net.later(21).bilans == [intro_ref]
    net.answer("odile@example.org", "question:bilan", "Échange réalisé : en cours")
    assert net.send(ZOE, "PAUSE jusqu'au 15 mars", "").startswith("pause")
    for address in (AWA, "marc@example.org"):
        net.send(address, "RETRAIT", "")
        assert net.answer(address, "question:withdraw", "OUI").startswith("withdraw")
    intro = net.store.introductions.find_one("ref", intro_ref)
    assert intro["demand_member"] is None and intro["bilans"]["offer"]["happened"] == "ongoing"
    assert net.store.items.find_one("ref", intro["demand"]) is None, "a reference erasure left behind"
    g = group(net)
    assert g["bilans"] and None in [a["member"] for a in g["askers"]] and g["history"]
    assert net.store.members.find_one("address", ZOE)["pause"]["until"] == "2027-03-15"
    assert damage(net.store) == []


def test_the_demos_store_has_no_problem(tmp_path, capsys):
    from workflows.shell.soundness import damage

    assert main(["demo", str(tmp_path / "demo")]) == 0
    store = Store.open(tmp_path / "demo" / "store" / "rers.json")
    assert store.members.count() and store.items.count() and store.outbox.count() and store.questions.count()
    assert damage(store) == []
