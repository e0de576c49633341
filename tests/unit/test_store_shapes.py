"""A store damaged by hand but still valid JSON (a member's address set to null, an item's
status « frobbed », an introduction's status 12) is not worked on: `rers doctor` lists
every problem at once, `rers poll` and `rers run` refuse to start with one line pointing
to the doctor, and the store is left as it was."""
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
              {"ref": "O-2", "kind": "offer", "member": "M-1", "title": "Couture", "status": "paused"}],
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
    assert found == ["item O-4: title missing", "member M-5: address is not readable: ['x']",
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
