"""`rers demo`: the embedded default works, and never touches a folder it did not make."""
from __future__ import annotations

import pytest

from workflows.cli import main
from workflows.shell.language import Words


def test_demo_runs_and_fresh_starts_over(tmp_path, capsys):
    folder = tmp_path / "demo"
    assert main(["demo", str(folder)]) == 0
    out = capsys.readouterr().out
    # The demo speaks the network's language (French, the default): the catalogue's words,
    # each message's outcome and the store's code words (intents, statuses) too.
    assert "Messages lus" in out and "calendrier.ics" in out
    read = out.split("Messages lus", 1)[1].split("Membres dans la base", 1)[0]
    assert "adhésion — traité : nouvelle adhésion M-1, confirmation demandée" in read
    assert "demande d'aide — traité : aide envoyée" in read
    assert "réponse automatique — traité : ignoré : mail automatique" in read
    english = ("handled", "join", "confirmation asked", "forwarded", "ignored", "automatic", "help sent", "new",
               "pending", "held", "confirmed")
    assert not [word for word in english if word in read], read
    assert "  M-1    en attente " in out and "  O-1    retenue " in out and " pending " not in out
    assert len(list((folder / "outbox").glob("*.eml"))) >= 10
    from store import Store
    assert Store.open(folder / "store" / "rers.json").outbox.count("status", "queued") == 0, \
        "the calendar's invitations are sent in the same run, and listed"
    assert main(["demo", str(folder)]) == 0  # again: nothing new to read
    assert "Messages lus dans" in capsys.readouterr().out
    (folder / "outbox" / "mine.txt").write_text("x")
    assert main(["demo", "--fresh", str(folder)]) == 0
    assert not (folder / "outbox" / "mine.txt").exists()


@pytest.mark.parametrize("fresh", [False, True])
def test_a_folder_not_made_by_the_demo_is_left_alone(tmp_path, capsys, fresh):
    real = tmp_path / "network"
    assert main(["init", str(real)]) == 0
    (real / "keep.txt").write_text("precious")
    before = sorted(p.name for p in real.rglob("*"))
    assert main(["demo", *(["--fresh"] if fresh else []), str(real)]) == 1
    assert "n’est pas un dossier de démonstration" in capsys.readouterr().err
    assert sorted(p.name for p in real.rglob("*")) == before
    assert (real / "keep.txt").read_text() == "precious"


def test_a_demo_killed_while_filling_its_mailbox_is_finished_next_time(tmp_path, capsys):
    """Killed after 5 of the sample mails were put in mail/new: the next run puts the
    others, once each, and reads all of them."""
    import mailbox

    from workflows.shell.demo import SAMPLES, _FILLING
    from workflows.shell.init import init_folder

    demo = tmp_path / "demo"
    init_folder(demo)
    (demo / _FILLING).write_text("killed while filling\n", encoding="utf-8")
    box = mailbox.Maildir(demo / "mail", create=True)
    samples = sorted(SAMPLES.glob("*.eml"))
    for sample in samples[:5]:
        box.add(sample.read_bytes())
    assert main(["demo", str(demo)]) == 0
    out = capsys.readouterr().out
    assert Words("fr")("Messages read from {path}: {n}", path=demo / "mail", n=len(samples)) in out
    assert not (demo / _FILLING).exists()
