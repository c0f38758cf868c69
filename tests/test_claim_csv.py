"""CSV import: the columns export --format csv writes come back, strictly, all or nothing."""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_roundtrip import claims, import_lines

from conftest import EXAMPLES
from rumour_ledger.cli.main import cli
from rumour_ledger.ledger.claim_csv import CSV_COLUMNS, csv_lines, read_csv_entries
from rumour_ledger.ledger.errors import ImportFailed
from rumour_ledger.ledger.interchange import read_entries
from rumour_ledger.projections.views import claim_table

DEMO = str(EXAMPLES / "alonso-2024.jsonl")
HEADER = ",".join(CSV_COLUMNS)


def exported_csv(ledger) -> str:
    with ledger.reading() as conn:
        return "".join(csv_lines(claim_table(conn)))


def import_csv(ledger, text: str, file: str = "claims.csv"):
    entries = read_csv_entries(
        io.BytesIO(text.encode("utf-8")),
        file,
        today=ledger.app.today,
        now=ledger.app.clock(),
        held=lambda claim_id: bool(ledger.claim_holders([claim_id])),
    )
    return ledger.app.import_entries(entries, file=file)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# An empty cell is null: a claim whose text is "" (possible only from JSON Lines) cannot come
# back from a CSV as itself (docs/format.md, "CSV").
@given(st.lists(claims().filter(lambda claim: claim["claim"] != ""), min_size=1, max_size=12))
def test_export_csv_import_into_a_fresh_ledger_export_csv_is_the_identity(open_fresh, generated):
    with open_fresh() as first, open_fresh() as second:
        added = import_lines(first, [json.dumps(obj, ensure_ascii=False) for obj in generated])
        table = exported_csv(first)
        assert import_csv(second, table).added == added.added
        assert exported_csv(second) == table
        assert import_csv(second, table).added == 0  # idempotent
        assert import_csv(first, table).added == 0


def test_the_demo_survives_a_spreadsheet_bom_crlf_and_capital_booleans(open_fresh):
    with open_fresh() as first, open_fresh() as second:
        with open(DEMO, "rb") as demo:
            entries = read_entries(demo, "demo", today=first.app.today, now=first.app.clock())
            first.app.import_entries(entries)
        table = exported_csv(first)
        spreadsheet = "\ufeff" + table.replace("false", "FALSE").replace("true", "TRUE")
        spreadsheet = spreadsheet.replace("\n", "\r\n")
        assert import_csv(second, spreadsheet).added == 17
        assert exported_csv(second) == table


def test_columns_may_come_in_any_order_and_be_left_out_and_empty_cells_are_null(ledger):
    text = (
        "date,source,type,subject,to,official\n"
        "2024-10-28,Sport,report,Xabi Alonso,Real Madrid,\n"
        "2024-10-29,Bild,denial,Xabi Alonso,Real Madrid\n"  # a trailing empty cell left off
    )
    assert import_csv(ledger, text).added == 2
    rows = exported_csv(ledger).splitlines()
    assert rows[1].startswith("report,")
    assert ",Xabi Alonso,,Real Madrid,player,Sport,,false,2024-10-28,,," in rows[1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{HEADER},notes\n", "claims.csv:1: column 'notes': not a column of export --format csv"),
        ("type,subject,type\n", "claims.csv:1: column type: given twice"),
        ("subject,source\n", "claims.csv:1: column type: missing"),
        ("", "claims.csv:1: no header"),
        (
            "type,subject,to,source,date\nreport,A,B,S,2024-01-01\nreport,A,,S,2024-01-01\n",
            "claims.csv:3: field to: a move needs a club",
        ),
        (
            "type,subject,to,source,date\nretraction,A,B,S,2024-01-01\n",
            "claims.csv:2: field type: 'retraction' is not one of report, denial, confirmation",
        ),
        (
            "type,subject,to,source,date,official\nreport,A,B,S,2024-01-01,yes\n",
            "claims.csv:2: field official: 'yes' is not true or false",
        ),
        (
            "type,subject,to,source,date\nreport,A,B,S,2024-01-01,extra\n",
            "claims.csv:2: 6 cells, but the header has 5 columns",
        ),
        (
            'type,subject,to,source,date,claim\nreport,A,B,S,2024-01-01,"two\nlines"\n'
            "report,A,B,S,2099-01-01,\n",
            "claims.csv:4: field date: ",
        ),
        (
            "type,subject,to,source,date,retracted\nreport,A,B,S,2024-01-01,true\n",
            "claims.csv:2: field retracted: the claim is not in the ledger",
        ),
    ],
)
def test_a_bad_csv_names_file_line_and_field_and_stores_nothing(ledger, text, message):
    good = "type,subject,to,source,date\nreport,Kept,Out,S,2024-01-01\n"
    with pytest.raises(ImportFailed) as raised:
        import_csv(ledger, text)
    assert str(raised.value).startswith(message), str(raised.value)
    assert "Kept" not in exported_csv(ledger)
    assert import_csv(ledger, good).added == 1


def test_bytes_that_are_not_utf8_are_refused_with_their_line(ledger):
    data = b"type,subject,to,source,date\nreport,A\xff,B,S,2024-01-01\n"
    with pytest.raises(ImportFailed, match=r"^c.csv:2: not valid UTF-8"):
        list(
            read_csv_entries(
                io.BytesIO(data), "c.csv", today=ledger.app.today, now=ledger.app.clock()
            )
        )


def test_a_retracted_row_the_ledger_holds_is_skipped_and_its_retraction_stays(
    rumour_on_demo, tmp_path
):
    retracted = rumour_on_demo("retract", "6fd07a73", "--reason", "wrong")
    assert retracted.exit_code == 0, retracted.output
    table = rumour_on_demo("export", "--format", "csv").stdout
    assert ",true," in table
    path = tmp_path / "claims.csv"
    path.write_text(table, encoding="utf-8")
    again = rumour_on_demo("import", str(path))
    assert again.exit_code == 0, again.output
    assert again.stdout.strip() == f"{path}: 0 added, 17 skipped"
    assert rumour_on_demo("export", "--format", "csv").stdout == table


def test_the_cli_reads_csv_by_extension_by_format_and_from_stdin(
    rumour_on_demo, tmp_path, location
):
    table = rumour_on_demo("export", "--format", "csv").stdout
    runner = CliRunner()
    fresh = str(tmp_path / "fresh.db")
    by_name = tmp_path / "claims.CSV"
    by_name.write_text(table, encoding="utf-8")
    result = runner.invoke(cli, ["import", str(by_name), "--db", fresh, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"file": str(by_name), "added": 17, "skipped": 0}
    forced = tmp_path / "claims.txt"
    forced.write_text(table, encoding="utf-8")
    result = runner.invoke(cli, ["import", str(forced), "--format", "csv", "--db", fresh])
    assert result.stdout.strip() == f"{forced}: 0 added, 17 skipped"
    result = runner.invoke(cli, ["import", "-", "--format", "csv", "--db", fresh], input=table)
    assert result.stdout.strip() == "<stdin>: 0 added, 17 skipped"
    # Without --format, standard input is JSON Lines: the CSV header is not a JSON object.
    result = runner.invoke(cli, ["import", "-", "--db", fresh], input=table)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: <stdin>:1: not valid JSON")


def test_a_bad_csv_through_the_cli_is_one_line_exit_1_and_nothing_stored(tmp_path):
    path = tmp_path / "claims.csv"
    path.write_text(
        "type,subject,to,source,date\nreport,A,B,S,2024-01-01\nreport,A,B,,2024-01-02\n"
    )
    fresh = str(tmp_path / "fresh.db")
    result = CliRunner().invoke(cli, ["import", str(path), "--db", fresh])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {path}:3: field source: ")
    assert len(result.stderr.splitlines()) == 1
    listed = CliRunner().invoke(cli, ["export", "--db", fresh])
    assert listed.stdout == ""
