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
