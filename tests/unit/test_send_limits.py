"""Issue 20, send limits: when queued mails may leave (plain data), the presets, the
outbox's order and its pause on a server's « too many »."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from config.settings import ConfigError, SEND_LIMIT_PRESETS
from workflows.mail.pacing import SendLimits, departures, is_throttling, pause_after

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
S = timedelta(seconds=1)


def test_no_limits_everything_leaves_now():
    assert departures([1] * 5, [], SendLimits(), T0) == [T0] * 5


def test_thirty_a_minute_spreads_a_fan_out_over_minutes_in_order():
    times = departures([1] * 95, [], SendLimits(per_minute=30), T0)
    assert times[:30] == [T0] * 30
    assert times[30:60] == [T0 + timedelta(minutes=1)] * 30
    assert times[90:] == [T0 + timedelta(minutes=3)] * 5
    assert times == sorted(times)
    # In any 60 seconds, never more than 30.
    for i, t in enumerate(times):
        assert sum(1 for u in times if t <= u < t + timedelta(minutes=1)) <= 30, i


def test_what_was_sent_in_the_last_minute_counts():
    history = [(T0 - 50 * S, 1)] * 20 + [(T0 - 10 * S, 1)] * 10
    times = departures([1] * 3, history, SendLimits(per_minute=30), T0)
    assert times == [T0 + 10 * S] * 3  # the 20 of 50 s ago leave the window at T0 + 10 s


def test_recipients_a_day_count_each_recipient_over_a_rolling_day():
    history = [(T0 - timedelta(hours=23), 8)]
    times = departures([1, 1, 3], history, SendLimits(recipients_per_day=10), T0)
    assert times[:2] == [T0, T0]
    assert times[2] == T0 + timedelta(hours=1)  # 8 + 1 + 1 + 3 > 10 until the 8 leave the day


def test_a_mail_bigger_than_a_day_leaves_alone_and_nothing_overtakes_it():
    times = departures([1, 50, 1], [], SendLimits(recipients_per_day=10), T0)
    assert times[0] == T0
    assert times[1] == T0 + timedelta(days=1)  # alone in its day
    assert times[2] == times[1] + timedelta(days=1)


def test_a_pause_holds_everything_until_it_ends():
    until = T0 + timedelta(minutes=2)
    assert departures([1, 1], [], SendLimits(), T0, until) == [until, until]
    assert departures([1], [], SendLimits(), T0, T0 - S) == [T0]


def test_both_limits_together():
    times = departures([1] * 40, [], SendLimits(per_minute=30, recipients_per_day=35), T0)
    assert times[29] == T0 and times[30] == T0 + timedelta(minutes=1)
    assert times[35] == T0 + timedelta(days=1)


@pytest.mark.parametrize("code, text, throttled", [
    (451, "4.7.0 Too many messages, slow down", True),
    (421, "4.7.0 Try again later, closing connection.", True),
    (432, "4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded", True),
    (450, "4.7.1 rate limited", True),
    (452, "4.7.500 Server busy, message limit reached", True),
    (451, "4.3.0 local error in processing", False),
    (421, "4.4.2 connection dropped", False),
    (554, "5.2.0 too many recipients today", False),  # permanent: not a pause
    (None, "connection refused", False),
])
def test_what_asks_to_slow_down(code, text, throttled):
    assert is_throttling(code, text) is throttled


def test_pauses_grow_to_an_hour():
    assert [pause_after(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (1, 2, 4)]
    assert pause_after(20) == timedelta(hours=1)


def settings_with(transport: str, tmp_path):
    from support import make_settings

    return make_settings(tmp_path, transport=f'kind = "folder"\npath = "out"\n{transport}')


def test_presets_and_overrides(tmp_path):
    assert SEND_LIMIT_PRESETS["microsoft365"] == (30, 10000)
    t = settings_with('send_limits = "microsoft365"\n', tmp_path / "a").transport
    assert (t.max_per_minute, t.max_recipients_per_day) == (30, 10000)
    t = settings_with('send_limits = "google"\n', tmp_path / "b").transport
    assert (t.max_per_minute, t.max_recipients_per_day) == (None, 2000)
    t = settings_with('send_limits = "microsoft365"\nmax_per_minute = 10\n', tmp_path / "c").transport
    assert (t.max_per_minute, t.max_recipients_per_day) == (10, 10000)
    t = settings_with('', tmp_path / "d").transport
    assert (t.max_per_minute, t.max_recipients_per_day) == (None, None)


def test_a_wrong_preset_and_a_zero_limit_are_both_said(tmp_path):
    with pytest.raises(ConfigError) as error:
        settings_with('send_limits = "outlook"\nmax_per_minute = 0\n', tmp_path)
    text = str(error.value)
    assert "send_limits" in text and "microsoft365" in text
    assert "max_per_minute: must be at least 1" in text


@pytest.mark.parametrize("limits, said", [
    (SendLimits(5), "5 par minute"), (SendLimits(30, 12), "30 par minute, 12 destinataires par jour"),
    (SendLimits(None, 12), "12 destinataires par jour"), (SendLimits(), "aucune limite"),
])
def test_the_limits_are_said_in_french_and_logged_in_english(limits, said):
    from workflows.shell.language import Words
    from workflows.shell.outbox import limits_said

    assert limits_said(limits).said(Words("fr")) == said
    assert "par" not in str(limits_said(limits)) and "aucune" not in str(limits_said(limits))


def test_status_says_what_waits_with_the_mails_labels_and_no_empty_bracket(tmp_path):
    from email.message import EmailMessage

    from store import Store
    from workflows.shell.language import Words
    from workflows.shell.outbox import queue_message
    from workflows.shell.status import waiting_lines

    settings = settings_with("max_per_minute = 5\n", tmp_path)
    store = Store.open(settings.store.path)

    def queue(n: int, purpose: str) -> None:
        with store.transaction():
            for i in range(n):
                msg = EmailMessage()
                msg["To"], msg["Subject"], msg["Message-ID"] = f"m{i}@example.org", "[RERS] x", f"<{purpose}{i}@rers>"
                msg.set_content("x")
                queue_message(store, "rers@example.org", T0, msg, purpose=purpose, cause="<c@x>")

    queue(7, "join_confirmation")
    text = " ".join(waiting_lines(settings, store, T0, Words("fr")))
    assert "En attente : 7 réponse(s) et avis ; le prochain" in text and "groupée" not in text
    assert text.endswith("Limites d’envoi ([transport]) : 5 par minute.")
    queue(3, "invitation")
    text = " ".join(waiting_lines(settings, store, T0, Words("fr")))
    assert "puis 3 invitation(s) groupée(s) (invitation du calendrier) ;" in text
    assert "event_reminder" not in text
