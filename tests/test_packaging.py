"""The wheel installs one top-level package, rumour_ledger, and the one `rumour` script."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    command = ["pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(ROOT), "-w", str(out)]
    built = subprocess.run(
        [sys.executable, "-m", *command],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    [path] = out.glob("rumour_ledger-*.whl")
    return zipfile.ZipFile(path)


def test_the_wheel_holds_nothing_outside_its_namespace(wheel: zipfile.ZipFile):
    # PyPI has distributions named `ledger` and `projections`: a generic top-level package
    # of ours would overwrite their files, or be overwritten by them.
    tops = {name.split("/")[0] for name in wheel.namelist()}
    assert tops == {"rumour_ledger", next(t for t in tops if t.endswith(".dist-info"))}
    [top_level] = [n for n in wheel.namelist() if n.endswith("top_level.txt")]
    assert wheel.read(top_level).decode().split() == ["rumour_ledger"]
    for folder in ("ledger", "projections", "cli"):
        assert f"rumour_ledger/{folder}/__init__.py" in wheel.namelist()


def test_the_wheel_names_one_console_script(wheel: zipfile.ZipFile):
    [entry_points] = [n for n in wheel.namelist() if n.endswith("entry_points.txt")]
    text = wheel.read(entry_points).decode()
    assert "[console_scripts]\nrumour = rumour_ledger.cli.main:main" in text


def test_the_wheel_holds_the_web_desks_templates_and_static_files(wheel: zipfile.ZipFile):
    names = set(wheel.namelist())
    for template in ("base", "board", "rumour", "source", "sources", "audit", "error"):
        assert f"rumour_ledger/cli/web/templates/{template}.html" in names
    for static in ("desk.css", "desk.js"):
        assert f"rumour_ledger/cli/web/static/{static}" in names
