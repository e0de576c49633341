"""With a trusted authserv_id, an animator's command is carried out only with DKIM or DMARC
pass: anyone can write an animator's address in From."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from store import Store
from support import ANIMATORS, make_settings, member_mail
from workflows.steps.calendar import load_series
from workflows.shell.publish import publish_calendar
from workflows.shell.mailboxes.base import SourceMessage
from workflows.shell.runner import Runner

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
PASS = "mx.example.org; dkim=pass header.d=example.org; dmarc=pass header.from=example.org"
FORGED = "evil.example; dkim=pass header.d=example.org; dmarc=pass header.from=example.org"


@pytest.mark.parametrize("results, carried_out", [(None, False), (FORGED, False), (PASS, True)])
def test_calendar_command_needs_authentication(tmp_path, results, carried_out):
    settings = make_settings(tmp_path, network='authserv_id = "mx.example.org"')
    store = Store.open(settings.store.path)
    publish_calendar(settings, store, NOW)
    headers = {"Authentication-Results": results} if results else {}
    raw = member_mail(ANIMATORS[0], "PERMANENCE ANNULÉE 2026-12-07", "Salle fermée.\n", headers=headers,
                      message_id=f"<cmd-{bool(results)}-{carried_out}@client.example>")
    (handled,) = Runner(settings, store, clock=lambda: NOW).handle_batch([SourceMessage("t:1", raw)])
    (permanence,) = [s for s in load_series(store).values() if s.kind == "permanence"]
    cancelled = any(d.isoformat() == "2026-12-07" for d in permanence.cancelled_dates)
    assert cancelled is carried_out, handled.outcome
    if not carried_out:
        assert handled.outcome == "handled: refused: not authenticated"
        assert any(m["purpose"] == "refused_command" for m in store.outbox.all())


def test_the_first_cycle_with_a_calendar_command_publishes_the_feed(tmp_path):
    import mailbox

    import icalendar
    import recurring_ical_events

    settings = make_settings(tmp_path)
    mailbox.Maildir(settings.mailbox.path, create=True).add(
        member_mail(ANIMATORS[0], "PERMANENCE ANNULÉE 2026-12-07", "Salle fermée.\n", message_id="<first@x>"))
    Runner(settings, Store.open(settings.store.path), clock=lambda: NOW).cycle()
    feed = settings.calendar.output_dir / settings.calendar.feed_file
    assert feed.exists(), "the command's answer says the feed no longer shows the day: it must be true"
    cal = icalendar.Calendar.from_ical(feed.read_bytes())
    days = {e["DTSTART"].dt.date().isoformat() for e in recurring_ical_events.of(cal).between((2026, 12, 1), (2026, 12, 31))}
    assert "2026-12-07" not in days and "2026-12-14" in days
