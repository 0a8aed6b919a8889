"""The house rules on imports: the domain never imports the bot nor yaml, and its areas import no circle."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# Imports a function of models/ may make, with the reason: only a heavy third-party library loaded
# when first needed would belong here, never a models module (that is a circle in disguise).
LAZY_IMPORTS_ALLOWED: dict[str, str] = {
    "dateparser.date": "typed days and times: ~8 MB and up to 0.5 s, paid by the first typed text only",
}


def _imports(path: Path) -> tuple[set[str], list[str]]:
    """Modules a file imports at its top, and the imports made inside a function body."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    in_functions = {
        id(node)
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for node in ast.walk(function)
    }
    top: set[str] = set()
    hidden: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        if id(node) in in_functions:
            hidden.extend(f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names[:1])
        else:
            top.update(names)
    return top, hidden


def _domain_files() -> dict[str, Path]:
    """Every module of models/, packages' modules included, by dotted name."""
    files = {}
    for path in sorted((ROOT / "models").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return files


def _domain() -> dict[str, set[str]]:
    files = _domain_files()
    return {name: {m for m in _imports(path)[0] if m.startswith("models.")} for name, path in files.items()}


def test_the_domain_never_imports_the_bot_or_the_scheduler() -> None:
    offending = []
    for name, path in _domain_files().items():
        top, _hidden = _imports(path)
        offending += [f"{name}: {m}" for m in top if m.split(".")[0] in {"bot", "scheduler", "telegram"}]
    assert offending == []


def test_no_domain_module_imports_inside_a_function() -> None:
    """bookings and waitlist imported each other from inside functions: a circle in disguise. Areas
    meet through a call one way (waitlist.cancel_booking cancels, then offers the slot)."""
    hidden = [
        h
        for path in _domain_files().values()
        for h in _imports(path)[1]
        if h.split(" ")[1] not in LAZY_IMPORTS_ALLOWED
    ]
    assert hidden == []


def test_a_packages_modules_do_not_hide_the_names_it_exports() -> None:
    """models/projects had a module owners.py and exported a function owners(): importing the module
    replaced the function by the module on the package, or the other way round, by import order."""
    clashes = []
    for name in _domain_files():
        module = importlib.import_module(name)
        if not hasattr(module, "__path__"):
            continue
        submodules = {info.name for info in pkgutil.iter_modules(module.__path__)}
        clashes += [f"{name}.{n}" for n in getattr(module, "__all__", []) if n in submodules]
    assert clashes == []


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
    """scheduler imported bot and bot/core/app.py imported scheduler: a package circle. The jobs are plain
    functions over a Lab; bot/core/jobs.py puts them on PTB's JobQueue."""
    offending = []
    for path in sorted((ROOT / "scheduler").glob("*.py")):
        top, _hidden = _imports(path)
        offending += [f"{path.name}: {m}" for m in top if m.split(".")[0] in {"bot", "telegram"}]
    assert offending == []


def test_the_domain_never_imports_yaml() -> None:
    """The inventory file is read by its adapter (bot/core/inventory_file.py): models/ takes plain entries."""
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
