"""PostgreSQL roles, set up exactly as docs/trust.md says: a writer with only INSERT and SELECT on
the events table appends, reads and verifies; it cannot change or remove an event; an auditor
with SELECT only verifies and is refused a write, clearly."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from test_trust_support import DEMO, generated_lines

from conftest import POSTGRES_URL
from rumour_ledger.cli.main import cli

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="RUMOUR_TEST_POSTGRES_URL is not set")
DOC = Path(__file__).resolve().parent.parent / "docs" / "trust.md"


def doc_sql() -> dict[str, str]:
    """The SQL blocks of docs/trust.md, by the step each begins with (`-- 1.` ...)."""
    blocks = re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    return {block.split(".", 1)[0].removeprefix("-- ").strip(): block for block in blocks}


def url_for(user: str, database: str) -> str:
    parts = urlsplit(POSTGRES_URL)
    netloc = f"{user}@{parts.hostname}:{parts.port or 5432}"
    return parts._replace(netloc=netloc, path=f"/{database}", query="").geturl()


def run_sql(url: str, sql: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(
        dbname=parts.path.lstrip("/"),
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        autocommit=True,
    ) as conn:
        for statement in (s.strip() for s in sql.split(";")):
            lines = [line for line in statement.splitlines() if not line.startswith("--")]
            if "\n".join(lines).strip():
                conn.execute("\n".join(lines))


def refused(url: str, sql: str) -> str:
    import psycopg

    try:
        run_sql(url, sql)
    except psycopg.Error as error:
        return str(error)
    raise AssertionError(f"not refused: {sql}")


@pytest.fixture
def roles():
    """A database, an owner, a writer and an auditor of its own, made by the documented SQL."""
    tag = uuid.uuid4().hex[:8]
    names = {
        "transfers": f"rumour_roles_{tag}",
        "ledger_owner": f"rumour_owner_{tag}",
        "ledger_writer": f"rumour_writer_{tag}",
        "ledger_auditor": f"rumour_auditor_{tag}",
    }

    def named(sql: str) -> str:
        for doc_name, name in names.items():
            sql = re.sub(rf"\b{doc_name}\b", name, sql)
        return sql

    steps = doc_sql()
    admin = POSTGRES_URL
    run_sql(admin, named(steps["1"]))
    try:
        yield named, steps, names
    finally:
        run_sql(admin, f'DROP DATABASE IF EXISTS "{names["transfers"]}" WITH (FORCE)')
        for role in ("ledger_writer", "ledger_auditor", "ledger_owner"):
            run_sql(admin, f'DROP ROLE IF EXISTS "{names[role]}"')


def rumour(url: str, *args: str):
    return CliRunner().invoke(cli, ["--db", url, *args])


def test_a_writer_with_only_insert_and_select_on_events_appends_reads_and_verifies(roles, tmp_path):
    named, steps, names = roles
    owner = url_for(names["ledger_owner"], names["transfers"])
    writer = url_for(names["ledger_writer"], names["transfers"])
    auditor = url_for(names["ledger_auditor"], names["transfers"])

    assert rumour(owner, "import", str(DEMO)).exit_code == 0  # step 2: the owner creates it
    run_sql(owner, named(steps["3"]))
    run_sql(owner, named(steps["4"]))

    # The writer appends, by command and by import, reads, verifies and digests.
    added = rumour(
        writer, "report", "Xabi Alonso", "--to", "Real Madrid", "--role", "coach",
        "--source", "Kicker", "--date", "2024-11-05",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    more = tmp_path / "more.jsonl"
    more.write_text("\n".join(generated_lines(30, tag="writer")) + "\n", encoding="utf-8")
    imported = rumour(writer, "import", str(more))
    assert imported.exit_code == 0, imported.output
    listed = rumour(writer, "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert len(json.loads(listed.stdout)) > 4
    assert rumour(writer, "verify").exit_code == 0
    digest = rumour(writer, "digest").stdout.strip()

    # It cannot change or remove a stored event, nor lift the guards.
    for sql in (
        "UPDATE rumour_events SET topic = 'x'",
        "DELETE FROM rumour_events",
        "TRUNCATE rumour_events",
        "DROP TRIGGER rumour_ledger_no_change ON rumour_events",
        "ALTER TABLE rumour_events DISABLE TRIGGER ALL",
    ):
        message = refused(writer, sql)
        assert "permission denied" in message or "must be owner" in message, (sql, message)

    # The auditor verifies; a write is refused in one clear line, and nothing changes.
    assert rumour(auditor, "verify", "--digest", digest).exit_code == 0
    result = rumour(auditor, "report", "A", "--to", "B", "--source", "S", "--date", "2024-10-28")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot write to the ledger: permission denied")
    assert len(result.stderr.strip().splitlines()) == 1
    assert rumour(owner, "verify", "--digest", digest).exit_code == 0


def test_the_writer_finishes_a_bulk_import_and_a_rebuild(roles, tmp_path, monkeypatch):
    """Item 4 of issue 16: a catch-up of >= 20,000 events dropped and made the read models'
    indexes, which only their owner may do (`must be owner of index ix_rumours_to_key`)."""
    from rumour_ledger.projections import calls, claims

    # The bulk paths, reached with a small file (the thresholds are 20,000 events).
    monkeypatch.setattr(claims, "BULK_FROM", 10)
    monkeypatch.setattr(calls, "FULL_AFTER", 10)
    monkeypatch.setattr(calls, "SPREAD_FROM", 10**9)  # in this process: the patches hold
    named, steps, names = roles
    owner = url_for(names["ledger_owner"], names["transfers"])
    writer = url_for(names["ledger_writer"], names["transfers"])
    assert rumour(owner, "list").exit_code == 1  # no ledger yet: a read creates none
    assert rumour(owner, "import", str(DEMO)).exit_code == 0
    run_sql(owner, named(steps["3"]))

    more = tmp_path / "more.jsonl"
    more.write_text("\n".join(generated_lines(40, tag="bulk")) + "\n", encoding="utf-8")
    imported = rumour(writer, "import", str(more))
    assert imported.exit_code == 0, imported.output
    for args in (("list", "--json"), ("board",), ("rebuild",), ("sources",)):
        result = rumour(writer, *args)
        assert result.exit_code == 0, (args, result.output)
    owned = rumour(owner, "rebuild")
    assert owned.exit_code == 0, owned.output
    assert rumour(writer, "verify").exit_code == 0
