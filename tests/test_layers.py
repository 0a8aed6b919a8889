"""The house rules on imports: the domain never imports the bot nor yaml, and its areas import no circle."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> tuple[set[str], list[str]]:
    """Modules a file imports at its top, and the imports hidden inside functions (a sign of a cycle)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top: set[str] = set()
    hidden: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        if node in tree.body or any(
            node in getattr(n, "body", []) for n in tree.body if isinstance(n, ast.If)
        ):
            top.update(names)
        else:
            hidden.extend(f"{path.name}:{node.lineno} {n}" for n in names if n.startswith("models"))
    return top, hidden


def _domain() -> dict[str, set[str]]:
    graph = {}
    for path in sorted((ROOT / "models").glob("*.py")):
        name = f"models.{path.stem}"
        top, _hidden = _imports(path)
        graph[name] = {m for m in top if m.startswith("models.")}
    return graph


def test_the_domain_never_imports_the_bot_or_the_scheduler() -> None:
    offending = []
    for path in sorted((ROOT / "models").glob("*.py")):
        top, _hidden = _imports(path)
        offending += [f"{path.name}: {m}" for m in top if m.split(".")[0] in {"bot", "scheduler", "telegram"}]
    assert offending == []


def test_no_domain_module_imports_another_inside_a_function() -> None:
    """bookings and waitlist imported each other from inside functions: a circle in disguise."""
    hidden = [h for path in sorted((ROOT / "models").glob("*.py")) for h in _imports(path)[1]]
    assert hidden == []


def test_the_domain_areas_import_no_circle() -> None:
    graph = _domain()
    modules = set(graph)
    edges = {m: {d for d in deps if d in modules} for m, deps in graph.items()}
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> None:
        if module in path:
            raise AssertionError("import circle: " + " -> ".join([*path[path.index(module) :], module]))
        if module in done:
            return
        path.append(module)
        for dep in sorted(edges[module]):
            visit(dep)
        path.pop()
        done.add(module)

    for module in sorted(edges):
        visit(module)


def test_the_scheduler_never_imports_the_bot() -> None:
    """scheduler imported bot and bot/app.py imported scheduler: a package circle. The jobs are plain
    functions over a Lab; bot/jobs.py puts them on PTB's JobQueue."""
    offending = []
    for path in sorted((ROOT / "scheduler").glob("*.py")):
        top, _hidden = _imports(path)
        offending += [f"{path.name}: {m}" for m in top if m.split(".")[0] in {"bot", "telegram"}]
    assert offending == []


def test_the_domain_never_imports_yaml() -> None:
    """The inventory file is read by its adapter (bot/inventory_file.py): models/ takes plain entries."""
    offending = []
    for path in sorted((ROOT / "models").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            offending += [f"{path.name}:{node.lineno} {n}" for n in names if n.split(".")[0] == "yaml"]
    assert offending == []
