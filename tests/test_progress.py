"""Import and rebuild progress: every phase shown as it runs on a terminal, nothing in a pipe."""

from __future__ import annotations

import io
import re

import pytest
from click.testing import CliRunner

from conftest import EXAMPLES
from rumour_ledger.cli import progress
from rumour_ledger.cli.main import cli
from rumour_ledger.cli.progress import CLEAR, Phases
from rumour_ledger.ledger.sqlitestore import LedgerSQLiteApplicationRecorder

DEMO = str(EXAMPLES / "alonso-2024.jsonl")


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def shown(text: str) -> list[str]:
    """What the status line showed, one state after another."""
    return [part for part in text.split(CLEAR) if part]


def test_each_stage_replaces_the_last_and_the_line_is_cleared_at_the_end():
    ticks = iter(range(100))
    stream = Terminal()
    phases = Phases(stream, clock=lambda: next(ticks) / 1000)
    phases.stage("one")
    phases.count(5, 10)
    phases.count(10, 10)
    phases.stage("two")
    phases.close()
    assert shown(stream.getvalue()) == ["one ...", "one: 10 of 10", "two ..."]
    assert stream.getvalue().endswith(CLEAR)


def test_counts_are_drawn_at_most_ten_times_a_second_but_the_last_always():
    now = [0.0]
    stream = Terminal()
    phases = Phases(stream, clock=lambda: now[0])
    items = list(phases.counted(range(5_000), "lines", then="committing", every=1_000))
    assert items == list(range(5_000))
    # 1,000 ... 4,000 came within the same instant: only the stage and the final count show.
    assert shown(stream.getvalue()) == ["lines ...", "lines: 5,000", "committing ..."]


def test_a_phase_running_a_second_or_more_shows_its_time():
    now = [0.0]
    stream = Terminal()
    phases = Phases(stream, clock=lambda: now[0])
    phases.stage("indexes")
    now[0] = 2.4
    phases.count(3)
    assert shown(stream.getvalue())[-1] == "indexes: 3 (2 s)"


def test_progress_is_wanted_on_a_terminal_or_when_asked_for():
    assert progress.wanted(False, Terminal())
    assert not progress.wanted(False, io.StringIO())
    assert progress.wanted(True, io.StringIO())


def _stages(stderr: str) -> list[str]:
    return [re.sub(r": [\d,]+( of [\d,]+)?( \(\d+ s\))?$| \.\.\.$", "", s) for s in shown(stderr)]


@pytest.mark.parametrize("parses_first", [False, True], ids=["locked", "lean"])
def test_an_import_shows_reading_writing_and_every_read_model_stage(
    tmp_path, monkeypatch, parses_first
):
    # SQLite parses under the lock; the lean path (PostgreSQL's) is forced here to see its
    # phases on the same store.
    monkeypatch.setattr(LedgerSQLiteApplicationRecorder, "parses_before_locking", parses_first)
    result = CliRunner().invoke(cli, ["import", DEMO, "--progress", "--db", str(tmp_path / "l.db")])
    assert result.exit_code == 0, result.output
    stages = list(dict.fromkeys(_stages(result.stderr)))
    reading = (
        "reading, checking and encoding lines"
        if parses_first
        else ("reading, checking and writing lines")
    )
    writing = ["writing the events"] if parses_first else ["committing the import"]
    assert stages == [
        "before the import: claims read model",
        "before the import: calls read model: scoring the sources' calls",
        reading,
        *writing,
        "claims read model",
        "calls read model: scoring the sources' calls",
    ]
    assert f"{reading}: 17" in result.stderr
    assert result.stdout == f"{DEMO}: 17 added, 0 skipped\n"


def test_a_dry_run_import_still_shows_the_locked_phases(tmp_path):
    db = str(tmp_path / "l.db")
    result = CliRunner().invoke(cli, ["import", DEMO, "--progress", "--dry-run", "--db", db])
    assert result.exit_code == 0, result.output
    stages = list(dict.fromkeys(_stages(result.stderr)))
    assert "reading, checking and writing lines" in stages
    assert "committing the import" in stages
    assert "writing the events" not in stages


def test_a_rebuild_shows_each_stage_and_the_index_build_after_the_count(tmp_path):
    db = str(tmp_path / "l.db")
    assert CliRunner().invoke(cli, ["import", DEMO, "--db", db]).exit_code == 0
    result = CliRunner().invoke(cli, ["rebuild", "--progress", "--db", db])
    assert result.exit_code == 0, result.output
    assert list(dict.fromkeys(_stages(result.stderr))) == [
        "calls read model: clearing it",
        "claims read model",
        "claims read model: building its indexes",
        "calls read model: scoring the sources' calls",
    ]


@pytest.mark.parametrize("command", [["import", DEMO], ["rebuild"]])
def test_nothing_is_printed_on_stderr_when_it_is_not_a_terminal(tmp_path, command):
    db = str(tmp_path / "l.db")
    CliRunner().invoke(cli, ["import", DEMO, "--db", db])
    result = CliRunner().invoke(cli, [*command, "--db", db])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
