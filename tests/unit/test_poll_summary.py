"""At a terminal, `rers poll` says what the flood limits held back at its cycle (the audit's
warnings are not shown there): how many confirmation requests were not sent, and why."""
from __future__ import annotations

import mailbox

from support import make_settings, member_mail
from workflows.cli import main


def test_poll_says_the_confirmation_requests_held_back(tmp_path, capsys):
    settings = make_settings(tmp_path, extra="[limits]\nmax_join_questions_per_hour = 1\n")
    box = mailbox.Maildir(settings.mailbox.path, create=True)
    for n in range(3):
        box.add(member_mail(f"new{n}@example.net", "ADHÉSION", "Nom : Inconnu"))
    assert main(["poll", "--config", str(settings.source)]) == 0
    out = capsys.readouterr().out
    assert "2 demande(s) de confirmation non envoyée(s)" in out, out
    assert main(["poll", "--config", str(settings.source)]) == 0
    assert "demande(s) de confirmation non envoyée(s)" not in capsys.readouterr().out, "said once, at its cycle"
