"""The documents stay true: the README's commands are the ones CI runs and the CLI has."""

from __future__ import annotations

import re
from pathlib import Path

import click

from rumour_ledger.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_console_blocks() -> list[str]:
    return re.findall(r"```console\n(.*?)```", README, flags=re.S)


def test_ci_runs_exactly_the_test_command_the_readme_gives():
    test_command = readme_console_blocks()[1].strip()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ci[-1].strip() == test_command


def test_the_readme_demo_command_installs_and_imports_the_shipped_demo():
    demo = readme_console_blocks()[0].strip()
    assert "pip install ." in demo
    assert "rumour import examples/alonso-2024.jsonl" in demo
    assert (ROOT / "examples" / "alonso-2024.jsonl").exists()


def test_every_command_is_in_the_readme():
    for name in cli.list_commands(click.Context(cli)):
        assert f"rumour {name}" in README, name


def test_every_interchange_field_is_documented():
    from rumour_ledger.ledger.interchange import FIELDS_BY_TYPE

    fmt = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    for kind, fields in FIELDS_BY_TYPE.items():
        assert f'`"{kind}"`' in fmt, kind
        for field in fields:
            assert f"`{field}`" in fmt, field


def tour_commands() -> list[tuple[str, list[str]]]:
    """The README's `$ rumour ...` lines in order (continuations joined), each with the output
    lines the README shows under it."""
    found: list[tuple[str, list[str]]] = []
    for block in readme_console_blocks():
        lines = block.splitlines()
        at = 0
        while at < len(lines):
            line = lines[at]
            at += 1
            if not line.startswith("$ "):
                continue
            command = line[2:]
            while command.endswith("\\") and at < len(lines):
                command = command[:-1] + " " + lines[at].strip()
                at += 1
            shown = []
            while at < len(lines) and not lines[at].startswith("$ "):
                shown.append(lines[at])
                at += 1
            found.append((command, shown))
    return found


# Tour lines not run, and why.
NOT_RUN = {
    "rumour serve": "serves until stopped",
    "curl ": "asks the web desk, which the tour does not start",
    "python benchmarks/calibration.py": "needs a public data set outside the repository",
}


def test_the_readme_tour_runs_as_written(tmp_path):
    """Every `$ rumour` line of the tour, in order, on a fresh ledger: it exits as shown (0,
    unless the README shows an error) and prints the output lines the README shows. Run in a
    folder of its own (with the repository's examples/), so its files land there."""
    import os
    import subprocess
    import sys

    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = {
        **os.environ,
        "RUMOUR_DB": str(tmp_path / "tour.db"),
        "RUMOUR_USER": "desk",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "COLUMNS": "200",
    }
    ran = 0
    for command, shown in tour_commands():
        if any(command.startswith(skipped) for skipped in NOT_RUN) or "rumour" not in command:
            continue
        result = subprocess.run(
            ["bash", "-c", command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        output = result.stdout + result.stderr
        failing = any(line.startswith("Error:") for line in shown)
        assert (result.returncode != 0) == failing, f"{command}\n{output}"
        for line in shown:
            assert line.strip() in output, f"{command}: {line!r} not in\n{output}"
        ran += 1
    assert ran >= 40
