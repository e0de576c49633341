"""Why a message goes to the animators (workflows.mail.reasons): one table of French and
English sentences, each call site naming a key of it with the values it needs."""
from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from membership_support import World, mail, text_of
from support import ANIMATORS
from workflows.mail.reasons import REASONS, reason_text

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
SENDER = "paul.durand@example.com"


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("language, reason", [("fr", "Le robot n'a pas compris ce message."),
                                              ("en", "The robot did not understand this message.")])
def test_an_unknown_message_reaches_the_animators_with_the_reason_in_the_network_s_language(tmp_path, language,
                                                                                              reason):
    world = World(tmp_path / "robot", network=f'language = "{language}"')
    assert world.deliver(mail(SENDER, "Une question", "Bonjour, vous ouvrez quand ?")) == \
        "handled: forwarded to the animators"
    forward = world.last(ANIMATORS[0], "forward")
    assert reason in " ".join(text_of(forward).split())


def test_a_robot_name_in_a_reason_is_in_words_of_the_language():
    from workflows.mail.labels import label_of

    assert reason_text("not_automated", "fr", intent=label_of("offer", "intent", "fr")) == \
        "Message reconnu (offre) mais pas encore traité par le robot."
    assert reason_text("question_not_handled", "en", question=label_of("consent", "question", "en")) == \
        "Answer to a question (consent to an introduction) that the robot cannot handle yet."


@pytest.mark.parametrize("key", sorted(REASONS))
def test_every_reason_has_both_languages_with_the_same_placeholders(key):
    french, english = REASONS[key]
    assert french.strip() and english.strip() and french != english
    assert placeholders(french) == placeholders(english)


def test_an_unknown_key_is_an_error():
    with pytest.raises(KeyError):
        reason_text("no such reason", "fr")


def _refusals() -> set[str]:
    """The refusals :func:`workflows.steps.questions.match` can give (``Match(q, t,
    Said("..."))``, and the texts :func:`workflows.steps.questions.answerer_refusal` returns,
    each a ``Said`` of a constant English message)."""
    tree = ast.parse((WORKFLOWS / "steps" / "questions.py").read_text(encoding="utf-8"))
    found = {_said_text(call.args[2]) for call in ast.walk(tree)
             if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Match" and len(call.args) == 3
             and _said_text(call.args[2])}
    (answerer,) = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == "answerer_refusal"]
    returned = {_said_text(node.value) for node in ast.walk(answerer)
                if isinstance(node, ast.Return) and node.value is not None and _said_text(node.value)}
    assert returned == {"wrong address", "wrong member", "not authenticated"}
    return found | returned


def _said_text(node: ast.expr) -> str | None:
    """The English message of ``Said("...")`` (or of a bare string constant), else None."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Said" and node.args:
        node = node.args[0]
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _keys(node: ast.expr) -> set[str]:
    """The REASONS keys a ``reason=`` argument can name: a string, either string of a
    conditional, or ``f"refused:{...}"`` (every refusal of a question's match)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _keys(node.body) | _keys(node.orelse)
    if isinstance(node, ast.JoinedStr) and ast.unparse(node) == "f'refused:{found.refusal}'":
        return {f"refused:{refusal}" for refusal in _refusals()}
    raise AssertionError(f"a reason the test cannot read: {ast.unparse(node)}")


def _call_sites() -> list[tuple[str, set[str], set[str]]]:
    """Each ``forward_to_animators(...)`` of the workflows: where, the keys it may name,
    the values it gives."""
    sites = []
    for path in sorted(WORKFLOWS.rglob("*.py")):
        for call in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "forward_to_animators":
                kwargs = {k.arg: k.value for k in call.keywords}
                values = set(kwargs) - {"reason", "purpose", "without_original"}
                sites.append((f"{path.name}:{call.lineno}", _keys(kwargs["reason"]), values))
    return sites


def test_every_call_site_names_a_known_reason_with_exactly_its_values():
    sites = _call_sites()
    assert len(sites) >= 25
    for where, keys, values in sites:
        for key in keys:
            assert key in REASONS, f"{where}: unknown reason {key!r}"
            assert placeholders(REASONS[key][0]) == values, f"{where}: values {values} for {key!r}"


def test_every_reason_is_used():
    used = set().union(*(keys for _, keys, _ in _call_sites()))
    assert set(REASONS) - used == set()


def _mail_purposes() -> set[str]:
    """Every ``purpose="..."`` a workflow gives a mail (consents, recorded by
    ``consents.record``, have purposes of their own)."""
    found = set()
    for path in WORKFLOWS.rglob("*.py"):
        for call in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(call, ast.Call) or getattr(call.func, "attr", None) == "record":
                continue
            found |= {kw.value.value for kw in call.keywords if kw.arg == "purpose"
                      and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str)}
    return found


def test_every_mail_purpose_is_in_words_in_both_languages():
    from workflows.mail.labels import LABELS, label_of

    purposes = _mail_purposes()
    assert {"attendance_no_event", "unclear", "help"} <= purposes
    missing = sorted(p for p in purposes if p not in LABELS["purpose"])
    assert missing == []
    for purpose in purposes:
        assert label_of(purpose, "purpose", "fr") != label_of(purpose, "purpose", "en") or purpose == "catalogue"
