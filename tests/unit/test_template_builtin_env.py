"""A renderer without an animators' folder reads only the built-in files and renders them
without the sandbox; a renderer with one keeps the sandbox for every file. The built-in
mails must read the same either way."""
from __future__ import annotations

from datetime import datetime, timezone

import jinja2.sandbox
import pytest
from support import make_settings

from workflows.mail.render import BUILTIN_TEMPLATES, Renderer, example_context, example_data
from workflows.shell.templating import around

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)
MAILS = sorted(path.name[: -len(".subject.j2")] for path in (BUILTIN_TEMPLATES / "fr").glob("*.subject.j2"))


@pytest.mark.parametrize("language", ["fr", "en"])
def test_built_in_mails_read_the_same_with_and_without_the_sandbox(tmp_path, language):
    settings = make_settings(tmp_path / "robot")
    folder = tmp_path / "theirs"
    folder.mkdir()
    plain = Renderer(language)
    sandboxed = Renderer(language, folder)
    assert not any(isinstance(env, jinja2.sandbox.SandboxedEnvironment) for env in plain._preferred)
    assert all(isinstance(env, jinja2.sandbox.SandboxedEnvironment)
               for env in (*sandboxed._preferred, *sandboxed._fallback))
    context = around(settings, NOW, language)
    checked = 0
    for name in MAILS:
        if example_data(name) is None or not (BUILTIN_TEMPLATES / language / f"{name}.subject.j2").exists():
            continue
        data = example_context(name, context)
        assert plain.render(name, data) == sandboxed.render(name, data), name
        checked += 1
    assert checked > 30
