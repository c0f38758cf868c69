"""Smoke test: the benchmark suite (benchmarks/) still runs end to end at a tiny size.

Only the shape of the output is checked, never how fast anything was.
"""

from __future__ import annotations

import collections
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
SIZE = 2_000

pytestmark = pytest.mark.slow


def generate(out: Path, *extra: str) -> list[dict]:
    subprocess.run(
        [sys.executable, str(BENCHMARKS / "generate.py"), str(SIZE), str(out), *extra],
        check=True,
        capture_output=True,
    )
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_the_generator_writes_a_seeded_ledger_of_the_exact_size(tmp_path):
    events = generate(tmp_path / "a.jsonl")
    again = generate(tmp_path / "b.jsonl")
    other = generate(tmp_path / "c.jsonl", "--seed", "1")

    assert len(events) == SIZE
    assert events == again
    assert events != other
    kinds = collections.Counter(e["type"] for e in events)
    assert set(kinds) <= {"report", "denial", "confirmation", "retraction"}
    assert kinds["report"] > kinds["denial"] > kinds["confirmation"] > 0
    probe = [e for e in events if e.get("subject") == "Xabi Alonso" and e.get("to")]
    assert len(probe) == 40


def test_the_runner_measures_every_figure_and_writes_json(tmp_path):
    out = tmp_path / "results.json"
    result = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "run.py"),
            "--sizes",
            str(SIZE),
            "--json",
            str(out),
            "--workdir",
            str(tmp_path / "work"),
            "--repeats",
            "1",
            "--heavy-repeats",
            "1",
            "--start-repeats",
            "1",
            "--budget",
            "0.5",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr

    data = json.loads(out.read_text(encoding="utf-8"))
    assert {"machine", "config", "cli_start", "sizes", "verdicts", "table"} <= set(data)
    assert {"rumour_help", "import_click", "help_ratio"} <= set(data["cli_start"])
    sqlite = data["sizes"][str(SIZE)]["sqlite"]
    assert "error" not in sqlite
    assert {
        "import",
        "raw_insert",
        "import_ratio",
        "rebuild",
        "raw_read",
        "rebuild_ratio",
        "ledger",
        "board_today_inprocess",
        "board_past_inprocess",
        "board_today_cli",
        "board_past_cli",
        "board_top_inprocess",
        "board_top_cli",
        "board_table_cli",
        "why_probe",
        "timeline_probe",
        "why_hottest",
        "timeline_hottest",
        "append_cli",
        "web_board_page",
        "web_board_api",
        "web_rumour_probe_page",
        "web_rumour_hottest_page",
        "web_board_ratio",
    } <= set(sqlite)
    assert sqlite["import"]["events"] == SIZE
    assert sqlite["import"]["peak_rss_mb"] > 0
    assert sqlite["rebuild"]["peak_rss_mb"] > 0
    assert sqlite["ledger"]["events"] == SIZE
    assert {"median_ms", "p95_ms", "samples_ms"} <= set(sqlite["board_today_inprocess"])
    assert data["table"] in result.stdout
    assert not list((tmp_path / "work").glob("*.db")), "ledgers are cleaned up"
