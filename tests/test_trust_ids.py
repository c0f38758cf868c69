"""A reused event id: one id names one entry, ever. A file that gives a used id to another
entry (of another rumour, or a different one of the same rumour, in any spelling of the UUID)
is refused whole, naming the line and the id's first use; the ledger stays fully usable."""

from __future__ import annotations

import json
import uuid

import pytest
from click.testing import CliRunner

from rumour_ledger.cli.main import cli

ID = uuid.UUID("6f1c1a52-9a43-4c55-8b1e-3f0c2a7d9e10")


def line(subject: str, source: str = "Sport", claim_id: str = str(ID)) -> str:
    obj = {
        "type": "report",
        "id": claim_id,
        "subject": subject,
        "to": "Real Madrid",
        "source": source,
        "date": "2024-10-28",
    }
    return json.dumps(obj) + "\n"


def run(location: str, *args: str):
    return CliRunner().invoke(cli, ["--db", location, *args])


def import_file(location: str, tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return run(location, "import", str(path)), str(path)


def still_usable(location: str, exported: str) -> None:
    for command in (["board"], ["list"], ["verify"], ["rebuild"]):
        result = run(location, *command)
        assert result.exit_code == 0, (command, result.output)
    assert run(location, "export").stdout == exported


@pytest.fixture
def first(location, tmp_path) -> str:
    result, _ = import_file(location, tmp_path, "first.jsonl", line("Xabi Alonso"))
    assert result.exit_code == 0, result.output
    return run(location, "export").stdout


def test_an_id_in_the_ledger_reused_for_another_rumour_is_refused(location, tmp_path, first):
    result, path = import_file(location, tmp_path, "b.jsonl", line("Luka Modric"))
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: {path}:1: id {ID} is already used by another entry (already in the ledger)"
    )
    still_usable(location, first)


def test_a_different_claim_of_the_same_rumour_under_a_used_id_is_refused(location, tmp_path, first):
    result, path = import_file(location, tmp_path, "b.jsonl", line("Xabi Alonso", "Marca"))
    assert result.exit_code == 1
    assert f"{path}:1: id {ID} is already used" in result.stderr
    still_usable(location, first)


@pytest.mark.parametrize(
    "spelling", [f"{{{ID}}}", f"urn:uuid:{ID}", ID.hex, str(ID).upper()], ids=str
)
def test_two_lines_of_one_file_sharing_an_id_in_any_spelling_are_refused(
    location, tmp_path, spelling
):
    text = line("Xabi Alonso") + "\n" + line("Luka Modric", claim_id=spelling)
    result, path = import_file(location, tmp_path, "b.jsonl", text)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: {path}:3: id {ID} is already used by another entry (first used on line 1)"
    )
    still_usable(location, "")


def test_an_identical_line_under_the_same_id_is_still_a_skip(location, tmp_path, first):
    result, _ = import_file(location, tmp_path, "b.jsonl", line("Xabi Alonso") * 2)
    assert result.exit_code == 0, result.output
    assert "0 added, 2 skipped" in result.stdout
    still_usable(location, first)


def test_a_retraction_may_not_take_a_claims_id(location, tmp_path, first):
    retraction = {"type": "retraction", "id": str(ID), "retracts": str(ID), "reason": "wrong"}
    result, path = import_file(location, tmp_path, "b.jsonl", json.dumps(retraction) + "\n")
    assert result.exit_code == 1
    assert f"{path}:1: id {ID} is already used" in result.stderr
    still_usable(location, first)


def test_an_id_recorded_but_not_yet_in_the_read_model_is_refused_too(ledger):
    # Another writer's import, committed after this one caught the read models up: the
    # check reads the events past the claims model's position, writing nothing.
    from test_trust_support import import_text

    from rumour_ledger.ledger.errors import ImportFailed

    ledger.app.aliases = lambda kind: {}  # asking for aliases would catch the models up
    assert import_text(ledger, line("Xabi Alonso"), "a.jsonl").added == 1
    with pytest.raises(ImportFailed, match=r"^b\.jsonl:1: id .* \(already in the ledger\)$"):
        import_text(ledger, line("Luka Modric"), "b.jsonl")
    ledger.catch_up()
    assert len(list(ledger.app.export_entries())) == 1
