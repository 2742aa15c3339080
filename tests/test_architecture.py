"""The layering rule: engines/ never imports Slack or bot/; bot/ may import engines/."""

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
