"""The shape of the house (docs/architecture.md), checked on the code itself: no import
cycle — imports inside functions included —, arrows that go down only, and steps that
touch neither the shell, the store, an I/O library, nor the clock."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("workflows", "store", "config")
IO = ("store", "workflows.shell", "workflows.commands", "workflows.cli", "workflows.mail.render", "imapclient",
      "smtplib", "tinydb", "secrets", "socket", "subprocess", "filelock", "shutil", "os", "tempfile", "random", "time",
      "io", "importlib", "uuid", "mmap", "glob", "urllib", "http", "requests")
"""What a step must not import: the shell's code, the store, the renderer (mails are
rendered when the plan is carried out), and libraries that reach the disk, the network,
other processes, the clock or randomness."""
STEPS_ONLY = ("pathlib",)
"""Not for steps, routes, lookup or decision either (``model/`` names where its data lives)."""
FILE_METHODS = frozenset({"read_text", "read_bytes", "write_text", "write_bytes", "iterdir", "mkdir", "unlink",
                          "import_module", "open"})
CLOCK_METHODS = frozenset({"now", "utcnow", "today"})
LAYERS = ("workflows.cli", "workflows.commands", "workflows.shell", "workflows.routes", "workflows.steps",
          "workflows.lookup", "workflows.decision", "workflows.model", "workflows.mail", "workflows.events")
"""Top to bottom: a module may import the modules of its own layer and of the layers
below, never one above."""


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(path: Path, name: str) -> set[str]:
    """Every module ``path`` imports, at any depth of its code (functions included)."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: {m for m in imports(path, name) if m in known and m != name} for name, path in known.items()}


def test_no_import_cycle_not_even_inside_a_function(graph):
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    assert cycles == []


def _layer(module: str) -> int | None:
    for rank, prefix in enumerate(LAYERS):
        if module == prefix or module.startswith(prefix + "."):
            return rank
    return None


def test_arrows_go_down_only(graph):
    upward = []
    for module, targets in graph.items():
        mine = _layer(module)
        for target in targets:
            theirs = _layer(target)
            if mine is not None and theirs is not None and theirs < mine:
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_no_step_touches_the_shell_the_store_io_or_the_clock():
    found = []
    decisions = {n: p for n, p in modules().items()
                 if n.startswith(("workflows.steps", "workflows.model"))
                 or n in ("workflows.routes", "workflows.lookup", "workflows.decision")}
    for name, path in decisions.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        banned = IO if name.startswith("workflows.model") else IO + STEPS_ONLY
        for module in imports(path, name):
            if any(module == io or module.startswith(io + ".") for io in banned):
                found.append(f"{name} imports {module}")
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name) and func.id in ("open", "__import__", "exec", "eval"):
                found.append(f"{name}:{node.lineno} calls {func.id}()")
            elif isinstance(func, ast.Attribute):
                receiver = func.value.id if isinstance(func.value, ast.Name) else ""
                # the clock is the plan's (plan.now); files are the shell's
                if func.attr in CLOCK_METHODS or func.attr in FILE_METHODS or (
                        receiver == "time" and func.attr in ("time", "monotonic", "perf_counter")):
                    found.append(f"{name}:{node.lineno} calls .{func.attr}()")
    assert found == []


def test_the_steps_folder_holds_decisions_only():
    steps = ROOT / "workflows" / "steps"
    assert steps.is_dir()
    for path in steps.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "ctx.store" not in text and ".transaction()" not in text, path.name


def test_every_mail_to_a_person_or_the_animators_is_decided_by_speaking():
    """One way to speak: answer a person, tell a member, an invitee or the animators
    (``workflows/steps/speaking.py``); a question's mail is the questions module's."""
    callers = sorted(path.name for path in (ROOT / "workflows").rglob("*.py")
                     if "plan.mail(" in path.read_text(encoding="utf-8") and path.name != "speaking.py")
    assert callers == []
