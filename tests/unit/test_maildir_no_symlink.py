"""The Maildir reader reads regular files only: a symbolic link dropped in ``new/`` (to
/etc/passwd, say) is never followed, never forwarded; it stays where it is and is logged
by name, without its content."""
from __future__ import annotations

import logging
import os

from support import make_settings, member_mail
from workflows.shell.mailboxes.maildir import MaildirMailbox


def test_a_symlink_or_a_fifo_in_the_maildir_is_left_alone_and_logged(tmp_path, caplog):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:SECRET-CONTENT\n")
    settings = make_settings(tmp_path / "robot")
    box = MaildirMailbox(settings.mailbox)
    with box, caplog.at_level(logging.WARNING):
        box.box.add(member_mail("a@example.com", "aide", "aide\n"))
        root = settings.mailbox.path
        os.symlink(secret, os.path.join(root, "new", "link.eml"))
        os.mkfifo(os.path.join(root, "new", "pipe.eml"))
        (batch,) = list(box.batches(10))
        assert len(batch) == 1 and b"SECRET-CONTENT" not in batch[0].raw
        box.mark_done([batch[0].key])
        assert list(box.batches(10)) == []
    assert os.path.islink(os.path.join(root, "new", "link.eml"))
    assert os.path.exists(os.path.join(root, "new", "pipe.eml"))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("new/link.eml" in w for w in warnings) and any("new/pipe.eml" in w for w in warnings)
    assert not any("SECRET-CONTENT" in w for w in warnings)
