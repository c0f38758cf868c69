"""The code stays `ruff format` and `ruff check` clean, and imports the project by one name."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The folders at the top of the repository install as rumour_ledger.<folder>: imported by
# their bare names they would load a second copy of every module from the source tree.
FOLDERS = ("ledger", "projections", "cli")


def ruff() -> list[str]:
    local = Path(sys.executable).parent / "ruff"
    found = str(local) if local.exists() else shutil.which("ruff")
    if found is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    return [found]


@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]])
def test_ruff_is_clean(args):
    result = subprocess.run([*ruff(), *args], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def bare_imports(source: str) -> list[tuple[int, str]]:
    """Every import of a project folder by its bare name: (line, module), in the code and in
    the code a test hands a child python as a string."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = _imported_in_text(node.value)
        else:
            continue
        found += [(node.lineno, name) for name in names if name.split(".")[0] in FOLDERS]
    return found


def _imported_in_text(text: str) -> list[str]:
    if "import " not in text:
        return []
    try:
        tree = ast.parse(text.replace("{hook}", "pass"))
    except SyntaxError:
        return []
    return [module for _line, module in bare_imports(ast.unparse(tree))]


def test_bare_imports_are_found():
    assert bare_imports("import ledger.store\nfrom cli import main\nfrom os import path\n") == [
        (1, "ledger.store"),
        (2, "cli"),
    ]
    assert bare_imports("from rumour_ledger.ledger import store\nimport rumour_ledger.cli\n") == []
    child = 'code = "import sys\\nfrom cli.main import main\\nmain()\\n"\n'
    assert bare_imports(child) == [(1, "cli.main")]
    assert bare_imports('text = "an important import of ideas"\n') == []


def test_the_project_is_imported_only_under_its_namespace():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in sorted(ROOT.rglob("*.py"))
        # (this file's own examples of what is refused are left out)
        if ".venv" not in path.parts and path != Path(__file__).resolve()
        for line, module in bare_imports(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
