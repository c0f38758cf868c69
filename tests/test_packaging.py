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


# What a virtual environment that already holds PyPI's `ledger` and `projections` must still
# have after this project is installed into it: each of their files as they recorded it, and
# each top-level module they declare importable. (On PyPI, `ledger` 1.0.1 ships the modules
# `src` and `tests`; `projections` 0.0.1 ships metadata only: neither is importable by its
# distribution's name, so their own RECORD and top_level.txt are what is checked.)
INTACT = """
import hashlib, base64, importlib, importlib.metadata as md, sys
for name in ("ledger", "projections"):
    dist = md.distribution(name)
    for file in dist.files:
        if file.hash is None:
            continue
        digest = hashlib.new(file.hash.mode, file.locate().read_bytes()).digest()
        encoded = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        assert encoded == file.hash.value, (name, str(file))
    for module in (dist.read_text("top_level.txt") or "").split():
        importlib.import_module(module)
    print(name, dist.version, "intact")
import rumour_ledger.cli.main
"""


@pytest.mark.slow
def test_installing_beside_pypis_ledger_and_projections_keeps_all_three_working(tmp_path):
    """A fresh venv, PyPI's `ledger` and `projections` installed first, then this project
    (`pip install ROOT`): their files are untouched, their modules import, `rumour` runs.
    Skipped when PyPI cannot be reached."""
    import time

    started = time.monotonic()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=60)
    python = str(venv / "bin" / "python")
    pip = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    pypi = subprocess.run(
        [*pip, "--index-url", "https://pypi.org/simple", "ledger", "projections"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if pypi.returncode != 0:
        pytest.skip(f"PyPI not reachable: {pypi.stderr.strip().splitlines()[-1:]}")
    ours = subprocess.run([*pip, str(ROOT)], capture_output=True, text=True, timeout=120)
    assert ours.returncode == 0, ours.stderr
    intact = subprocess.run([python, "-c", INTACT], capture_output=True, text=True, timeout=30)
    assert intact.returncode == 0, intact.stderr
    assert "ledger 1" in intact.stdout and "projections" in intact.stdout
    version = subprocess.run(
        [str(venv / "bin" / "rumour"), "--version"], capture_output=True, text=True, timeout=30
    )
    assert version.returncode == 0 and version.stdout.startswith("rumour, version")
    assert time.monotonic() - started < 90
