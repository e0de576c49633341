"""The public catalogue page, opened in a real browser: headless Chromium (Debian's
``chromium``, installed here when missing, as ``make servers`` does) at phone width.

Members join and offer through the real robot; ``rers catalogue publish`` writes the
page; Chromium renders it (``--dump-dom``: what a reader gets; ``--screenshot``: a
390 px wide picture). The titles are there, no member's name, address or phone is.
"""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest

from membership_support import World, mail, reply
from workflows import cli

PHONE_WIDTH, PHONE_HEIGHT = 390, 844
INSTALL = ["apt-get", "install", "-y", "-qq", "chromium"]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PEOPLE = {
    "elise.martin@example.com": ("Élise Martin", "OFFRE : Cours d'espagnol pour débutants"),
    "karim.benali@example.net": ("Karim Benali", "OFFRE : Guitare, appelez-moi au 06 12 34 56 78"),
    "odile.roux@example.org": ("Odile Roux", "DEMANDE : Utiliser un tableur"),
}


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium binary; installed with apt-get when missing and allowed (root), else a
    failure that says how — never a silent skip."""
    found = shutil.which("chromium")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600)
        subprocess.run(INSTALL, env=env, capture_output=True, timeout=1200)
        found = shutil.which("chromium")
    if found is None:
        pytest.fail("the catalogue page test needs Chromium: run 'sudo apt-get install -y chromium' "
                    "(or 'make servers') and try again", pytrace=False)
    return found


def browse(chromium: str, page: Path, *action: str) -> subprocess.CompletedProcess:
    """Chromium on ``page`` with a fresh profile, at phone size, doing ``action``."""
    with tempfile.TemporaryDirectory(prefix="rers-chromium-") as profile:
        return subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", f"--window-size={PHONE_WIDTH},{PHONE_HEIGHT}",
             *action, page.as_uri()],
            capture_output=True, text=True, timeout=120, check=True,
        )


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def published(tmp_path, monkeypatch, capsys) -> tuple[World, Path]:
    world = World(tmp_path / "robot")
    for address, (name, subject) in PEOPLE.items():
        world.deliver(mail(address, subject, f"Nom : {name}\nTéléphone : 07 98 76 54 32\n", name=name))
        world.deliver(reply(world.last(address, "question:join"), address, "OUI"))
    world.deliver(mail("lea.pending@example.org", "OFFRE : Tricot", "Nom : Léa Attente\n", name="Léa Attente"))
    monkeypatch.setenv("RERS_NOW", "2026-11-23T09:00:00+00:00")
    assert cli.main(["catalogue", "publish", "--config", str(world.settings.source)]) == 0
    page = Path(world.settings.calendar.output_dir) / "catalogue.html"
    assert capsys.readouterr().out.strip() == f"écrit : {page}"
    return world, page


def test_the_page_in_a_phone_sized_browser_shows_titles_and_no_person(chromium, published, tmp_path):
    world, page = published
    dom = browse(chromium, page, "--dump-dom").stdout
    assert '<html lang="fr">' in dom and "Les savoirs du RERS de Test" in dom
    for title in ("Cours d'espagnol pour débutants", "Utiliser un tableur", "Guitare"):
        assert title in dom
    assert "O-1" in dom and "O-2" in dom and "D-1" in dom
    assert "Tricot" not in dom, "a join not confirmed shows nothing"
    for address, (name, _subject) in PEOPLE.items():
        assert address not in dom and name not in dom and name.split()[0] not in dom
    for phone in ("06 12 34 56 78", "0612345678", "07 98 76 54 32", "+33"):
        assert phone not in dom
    assert "Léa" not in dom and "lea.pending" not in dom
    assert 'href="mailto:rers.test@example.org?subject=ADH%C3%89SION"' in dom, "how to join"
    assert 'href="calendrier.ics"' in dom and "le lundi de 9 h à 12 h" in dom
    assert "Aucun savoir ne vaut plus qu'un autre" in dom
    assert "lundi 23 novembre 2026" in dom

    screenshot = tmp_path / "catalogue.png"
    browse(chromium, page, f"--screenshot={screenshot}")
    assert png_size(screenshot) == (PHONE_WIDTH, PHONE_HEIGHT)


def test_the_page_follows_the_catalogue(chromium, published, monkeypatch, capsys):
    world, page = published
    world.deliver(mail("odile.roux@example.org", "RETRAIT D-1", "Merci\n"))
    world.deliver(reply(world.last("odile.roux@example.org", "question:withdraw_item"), "odile.roux@example.org",
                        "OUI"))
    monkeypatch.setenv("RERS_NOW", "2026-11-24T06:00:00+00:00")
    assert cli.main(["catalogue", "publish", "--config", str(world.settings.source)]) == 0
    dom = browse(chromium, page, "--dump-dom").stdout
    assert "Utiliser un tableur" not in dom and "Aucun pour le moment." in dom and "mardi 24 novembre 2026" in dom
    assert cli.main(["catalogue", "publish", "--config", str(world.settings.source)]) == 0
    assert capsys.readouterr().out.strip().endswith(f"inchangé : {page}")
