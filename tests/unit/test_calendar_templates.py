"""Every calendar template renders, in French and in English, with its example data
(``templates/examples/<name>.json``), and writes dates the way each language does."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from workflows.mail.render import BUILTIN_TEMPLATES, Renderer

CALENDAR_TEMPLATES = ("invitation", "cancellation", "event_command_done", "event_reminder", "event_attendees",
                      "attendance_noted")
BASE = {"network": {"name": "RERS de Souday", "address": "rers.souday@example.org", "animators": [],
                    "permanence": {"weekday": "monday", "start": "2026-01-05T09:00:00",
                                   "end": "2026-01-05T12:00:00", "place": "salle du Havre"}},
        "now": "2026-11-23T09:00:00+00:00"}


def example(name: str) -> dict:
    return json.loads((BUILTIN_TEMPLATES / "examples" / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("name", CALENDAR_TEMPLATES)
def test_renders_with_its_example(name, language):
    rendered = Renderer(language).render(name, {**BASE, **example(name)})
    assert rendered.subject and "\n" not in rendered.subject
    assert rendered.text.strip() and rendered.html and "</html>" in rendered.html
    assert "{{" not in rendered.text and "{%" not in rendered.html


def test_french_dates():
    rendered = Renderer("fr").render("cancellation", {**BASE, **example("cancellation")})
    assert rendered.subject == "Annulé : Permanence du RERS de Souday – lundi 7 décembre 2026 à 9 h"
    assert "n'aura pas lieu le lundi\n7 décembre 2026 (de 9 h à 12 h)" in rendered.text, "a day stays with its month"


def test_english_dates():
    rendered = Renderer("en").render("cancellation", {**BASE, **example("cancellation")})
    assert rendered.subject == "Cancelled: Permanence du RERS de Souday – Monday 7 December 2026 at 9:00 AM"
    assert "will not take place on Monday 7 December 2026" in rendered.text


@pytest.mark.parametrize("reason", ["no_permanence", "no_date", "no_time", "bad_times", "past",
                                    "not_permanence_day", "beyond_calendar", "holiday", "closure",
                                    "already_cancelled", "unknown_event", "configured_event"])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_refusal_is_explained(reason, language):
    data = {**example("event_command_done"), "status": "refused", "reason": reason, "action": "cancel_permanence",
            "day": "2026-12-08",
            "detail": {"weekday": "monday", "holiday": "Noël", "until": "2027-12-31", "uid": "x@example.org",
                       "default_end": False, "updated": False}}
    rendered = Renderer(language).render("event_command_done", {**BASE, **data})
    body = rendered.text.split("\n\n", 1)[1].split("-- ")[0]
    assert len(body.strip()) > 20


def test_the_english_folder_has_every_calendar_template():
    english = {p.name for p in (Path(BUILTIN_TEMPLATES) / "en").glob("*.j2")}
    french = {p.name for p in (Path(BUILTIN_TEMPLATES) / "fr").glob("*.j2")}
    mine = {n for n in french if n.split(".")[0] in CALENDAR_TEMPLATES
            or n.startswith(("_event", "_attendees", "_command_reason"))}
    assert mine <= english
