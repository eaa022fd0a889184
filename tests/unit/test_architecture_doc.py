"""ARCHITECTURE.md names every module with the first line of its docstring (STYLE habit 9)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "switchboard"


def module_lines() -> dict[str, str]:
    lines = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc, f"{path.relative_to(ROOT)} has no module docstring saying its role"
        lines[str(path.relative_to(ROOT / "src"))] = doc.splitlines()[0]
    return lines


def test_every_module_has_its_line_in_architecture_md() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    missing = [
        f"`{name}` — {line}"
        for name, line in module_lines().items()
        if f"`{name}` — {line}" not in text
    ]
    assert not missing, "add to ARCHITECTURE.md:\n" + "\n".join(missing)
