"""The layering rules: engines/ never imports Slack or bot/; bot/ may import engines/; no module of
bot/ imports itself back through others. (The layers inside bot/ are import-linter's contracts in
pyproject.toml, run by ``make lint``.)"""

from __future__ import annotations

import ast
from pathlib import Path

ENGINES = Path(__file__).resolve().parent.parent / "engines"
FORBIDDEN = ("slack_bolt", "slack_sdk", "bot")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_engines_never_import_slack_or_bot() -> None:
    offenders = []
    files = sorted(ENGINES.rglob("*.py"))
    assert files, "engines/ has no modules"
    for path in files:
        for module in _imported_modules(path):
            if module.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.relative_to(ENGINES.parent)} imports {module}")
    assert offenders == []


BOT = Path(__file__).resolve().parent.parent / "bot"


def _module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _bot_imports(path: Path, module: str) -> set[str]:
    """The ``bot`` modules ``path`` imports, absolute or relative, with ``from pkg import name``
    resolved to the submodule when ``name`` is one."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "bot" or name.startswith("bot.")}


def _bot_graph() -> dict[str, set[str]]:
    modules = {_module_name(path): path for path in sorted(BOT.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        graph[module] = {name for name in _bot_imports(path, module) if name in modules and name != module}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), i.e. each import cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_no_import_cycle_in_bot() -> None:
    """No bot module imports itself back through others (a package's __init__ counts as a module:
    ``from bot.blocks import x`` runs bot/blocks/__init__.py)."""
    graph = _bot_graph()
    assert len(graph) > 40, "the walk found too few bot modules"
    assert any(targets for targets in graph.values()), "the walk found no imports"
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
