"""``python tests/rers_at.py WHEN ARG…``: the real `rers` command line ``ARG…`` run as at
``WHEN`` (ISO-8601, UTC when no offset is written), for the integration tests whose robots
read the real test servers: a moved clock (``--now``, ``RERS_NOW``) is refused there, as on
any network that is not a sandbox, so the clock is handed to :func:`workflows.cli.main`
in Python."""
from __future__ import annotations

import sys
from datetime import datetime, timezone

from workflows.cli import main


def at(when: str):
    """A clock stopped at ``when``."""
    instant = datetime.fromisoformat(when)
    instant = (instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    return lambda: instant


if __name__ == "__main__":
    sys.exit(main(sys.argv[2:], clock=at(sys.argv[1])))
