"""The command line as users meet it: CliRunner for each command, a real subprocess for a few."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from conftest import EXAMPLES
from rumour_ledger.cli.main import cli

DEMO = str(EXAMPLES / "alonso-2024.jsonl")
ALONSO = [
    "Xabi Alonso",
    "--from",
    "Bayer Leverkusen",
    "--to",
    "Real Madrid",
    "--role",
    "coach",
]


@pytest.fixture
def rumour(location):
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(cli, [*args, "--db", location], input=input)

    return run


def count_events(rumour) -> int:
    result = rumour("export")
    assert result.exit_code == 0, result.output
    return len(result.stdout.splitlines())


def test_report_prints_the_stored_events_id(rumour):
    result = rumour("report", *ALONSO, "--source", "Sport", "--date", "2024-10-28")
    assert result.exit_code == 0, result.output
    event_id = result.stdout.strip()
    assert len(event_id) == 36
    shown = json.loads(rumour("show", "Xabi Alonso -> Real Madrid", "--json").stdout)
    assert shown["events"][0]["id"] == event_id


def test_deny_and_confirm_record_their_kinds(rumour):
    rumour("deny", *ALONSO, "--source", "Xabi Alonso", "--official", "--date", "2024-03-29")
    rumour("confirm", *ALONSO, "--source", "Real Madrid", "--date", "2025-05-25")
    events = json.loads(rumour("show", "Alonso -> Real Madrid", "--json").stdout)["events"]
    assert [(e["type"], e["official"]) for e in events] == [
        ("denial", True),
        ("confirmation", True),
    ]


def test_a_relay_is_recorded_with_the_source_it_cites(rumour):
    rumour(
        "report",
        *ALONSO,
        "--source",
        "SPOX",
        "--cites",
        "Sport",
        "--date",
        "2024-10-28",
    )
    (event,) = json.loads(rumour("show", "Xabi Alonso -> Real Madrid", "--json").stdout)["events"]
    assert (event["source"], event["cites"]) == ("SPOX", "Sport")


def test_list_json_has_the_promised_keys(rumour):
    assert rumour("import", DEMO).exit_code == 0
    rows = json.loads(rumour("list", "--json").stdout)
    assert len(rows) == 4
    for row in rows:
        assert {
            "id",
            "subject",
            "from",
            "to",
            "role",
            "reports",
            "denials",
            "confirmations",
            "last_claim",
        } <= row.keys()
    real = next(r for r in rows if r["to"] == "Real Madrid")
    assert (real["reports"], real["denials"], real["confirmations"]) == (4, 1, 1)
    assert real["last_claim"] == "2025-05-25"


def test_list_and_show_render_tables(rumour):
    rumour("import", DEMO)
    listed = rumour("list")
    assert "Carlo Ancelotti leaves Real Madrid" in listed.stdout
    shown = rumour("show", "Ancelotti leaves Real Madrid")
    assert shown.exit_code == 0
    assert "Real Madrid" in shown.stdout and "denial" in shown.stdout


def test_reimport_adds_nothing_and_says_so(rumour):
    first = rumour("import", DEMO, "--json")
    second = rumour("import", DEMO, "--json")
    assert json.loads(first.stdout)["added"] == 17
    assert json.loads(second.stdout) == {"file": DEMO, "added": 0, "skipped": 17}


def test_import_reads_standard_input(rumour):
    result = rumour("import", "-", input=Path(DEMO).read_text(encoding="utf-8"))
    assert result.exit_code == 0
    assert "17 added" in result.stdout


def test_a_bad_line_stores_nothing_and_names_the_line(rumour, tmp_path):
    lines = Path(DEMO).read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace('"date": "', '"date": "x')
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = rumour("import", str(bad))
    assert result.exit_code == 1
    assert f"{bad}:4: field date:" in result.stderr
    assert "Traceback" not in result.output
    assert count_events(rumour) == 0


def test_export_writes_a_file_that_imports_into_another_ledger(rumour, tmp_path, new_location):
    rumour("import", DEMO)
    out = tmp_path / "out.jsonl"
    assert rumour("export", str(out)).exit_code == 0
    other = new_location()
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", other, "import", str(out)])
    assert result.exit_code == 0 and "17 added" in result.stdout
    again = runner.invoke(cli, ["--db", other, "export"])
    assert again.stdout == out.read_text(encoding="utf-8")


def test_retract_by_short_id_marks_the_original(rumour):
    event_id = rumour("report", *ALONSO, "--source", "Sport", "--date", "2024-10-28").stdout
    result = rumour("retract", event_id[:8], "--reason", "wrong club")
    assert result.exit_code == 0, result.output
    events = json.loads(rumour("show", "Alonso -> Real Madrid", "--json").stdout)["events"]
    assert events[0]["retracted"] is True
    assert events[1]["reason"] == "wrong club"
    again = rumour("retract", event_id[:8], "--reason", "again")
    assert again.exit_code == 1
    assert "already retracted" in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2024-02-30"], "date: '2024-02-30' is not a real calendar date"),
        (["--date", "2999-01-01"], "date: 2999-01-01 is in the future"),
        (
            ["--date", "2024-10-28", "--url", "ftp://x"],
            "url: 'ftp://x' is not an http(s) URL",
        ),
        (["--date", "2024-10-28", "--source", " "], "source: must not be empty"),
    ],
)
def test_bad_input_is_one_line_exit_1_and_stores_nothing(rumour, args, message):
    base = {"--source": "Sport"}
    argv = ["report", *ALONSO]
    if "--source" not in args:
        argv += ["--source", base["--source"]]
    result = rumour(*argv, *args)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {message}"
    assert count_events(rumour) == 0


def test_a_move_with_neither_from_nor_to_is_bad_input(rumour):
    result = rumour("report", "Xabi Alonso", "--source", "Sport", "--date", "2024-10-28")
    assert result.exit_code == 1
    assert "a move needs a club" in result.stderr


def test_misuse_of_the_command_line_exits_2(rumour):
    assert rumour("report", *ALONSO, "--date", "2024-10-28").exit_code == 2  # no --source
    assert (
        rumour(
            "report", *ALONSO, "--role", "boss", "--source", "S", "--date", "2024-10-28"
        ).exit_code
        == 2
    )
    assert rumour("frobnicate").exit_code == 2


def test_an_unknown_rumour_suggests_the_closest_names(rumour):
    rumour("import", DEMO)
    result = rumour("show", "Xabi Alonzo -> Real Madird")
    assert result.exit_code == 1
    assert "did you mean 'Xabi Alonso: Bayer Leverkusen -> Real Madrid'" in result.stderr


def test_an_ambiguous_rumour_lists_the_candidates(rumour):
    rumour("import", DEMO)
    result = rumour("show", "Xabi Alonso")
    assert result.exit_code == 1
    assert "matches several rumours" in result.stderr


def test_control_characters_in_stored_text_are_escaped_on_the_terminal(rumour):
    rumour(
        "report",
        *ALONSO,
        "--source",
        "Sport",
        "--date",
        "2024-10-28",
        "--claim",
        "line one\nline two\t'; DROP TABLE claims; --",
    )
    shown = rumour("show", "Alonso -> Real Madrid")
    assert "line one\\nline two\\t'; DROP TABLE claims; --" in shown.stdout
    events = json.loads(rumour("show", "Alonso -> Real Madrid", "--json").stdout)["events"]
    assert events[0]["claim"] == "line one\nline two\t'; DROP TABLE claims; --"


def test_every_command_has_help_with_an_example():
    runner = CliRunner()
    ctx = click.Context(cli)
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        assert command is not None, name
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Example:" in result.stdout, name
        assert command.get_short_help_str()


def test_help_imports_nothing_heavy():
    code = (
        "import sys\n"
        "from rumour_ledger.cli.main import cli\n"
        "try:\n"
        "    cli(['--help'], prog_name='rumour')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('eventsourcing', 'sqlalchemy', 'psycopg', 'rich')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout


def installed_script() -> str:
    script = Path(sys.executable).parent / "rumour"
    if not script.exists():
        pytest.skip("the rumour script is not installed in this environment")
    return str(script)


def test_the_installed_script_imports_the_demo_and_lists_it(location):
    env = {**os.environ, "RUMOUR_DB": location}
    script = installed_script()
    imported = subprocess.run([script, "import", DEMO], capture_output=True, text=True, env=env)
    assert imported.returncode == 0, imported.stderr
    listed = subprocess.run([script, "list", "--json"], capture_output=True, text=True, env=env)
    assert listed.returncode == 0
    assert len(json.loads(listed.stdout)) == 4


def test_the_installed_script_reports_bad_input_without_a_traceback(location):
    env = {**os.environ, "RUMOUR_DB": location}
    assert CliRunner().invoke(cli, ["--db", location, "import", DEMO]).exit_code == 0
    result = subprocess.run(
        [installed_script(), "show", "Nobody -> Nowhere"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("Error: no rumour matches")
    assert "Traceback" not in result.stderr


def test_rumour_alone_prints_short_help_and_succeeds():
    result = CliRunner().invoke(cli, [], prog_name="rumour")
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: rumour ")
    assert "\n  board " in result.stdout and "rumour help COMMAND" in result.stdout
    assert "--db URL" not in result.stdout  # short: the options are in --help
    assert result.stderr == ""


def test_help_shows_the_help_of_any_command_nested_or_not():
    runner = CliRunner()
    assert runner.invoke(cli, ["help"]).stdout == runner.invoke(cli, ["--help"]).stdout
    nested = runner.invoke(cli, ["help", "audit", "source"])
    assert nested.exit_code == 0
    assert nested.stdout == runner.invoke(cli, ["audit", "source", "--help"]).stdout
    unknown = runner.invoke(cli, ["help", "audit", "nothing"])
    assert unknown.exit_code == 2
    assert "no such command: audit nothing" in unknown.stderr


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_the_version_is_one_flag_away(flag):
    result = CliRunner().invoke(cli, [flag])
    assert result.exit_code == 0
    assert result.stdout.startswith("rumour, version ")


@pytest.mark.parametrize("where", ["before", "after"])
def test_an_explicit_db_flag_beats_rumour_db_wherever_it_is_given(tmp_path, where):
    env_db, flag_db = tmp_path / "a.db", tmp_path / "b.db"
    report = ["report", *ALONSO, "--source", "Sport", "--date", "2024-10-28"]
    args = ["--db", str(flag_db), *report] if where == "before" else [*report, "--db", str(flag_db)]
    result = CliRunner().invoke(cli, args, env={"RUMOUR_DB": str(env_db)})
    assert result.exit_code == 0, result.output
    assert flag_db.exists()
    assert not env_db.exists()


def test_rumour_db_names_the_ledger_when_no_flag_is_given(tmp_path):
    env_db = tmp_path / "a.db"
    report = ["report", *ALONSO, "--source", "Sport", "--date", "2024-10-28"]
    result = CliRunner().invoke(cli, report, env={"RUMOUR_DB": str(env_db)})
    assert result.exit_code == 0, result.output
    assert env_db.exists()
