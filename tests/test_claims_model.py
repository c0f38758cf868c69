"""The claims read model caught up fast yet row for row what the domain events say, on both stores:
decoded from stored states, loaded in bulk, rebuilt in one transaction, its errors clean."""

from __future__ import annotations

import io
import json
import threading
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Date, DateTime, create_engine, inspect, select, text
from sqlalchemy.dialects import sqlite

from conftest import NOW
from rumour_ledger.ledger.aliases import Alias
from rumour_ledger.ledger.claims import move_label
from rumour_ledger.ledger.domain import Rumour
from rumour_ledger.ledger.errors import LedgerBusy, StoreError
from rumour_ledger.ledger.interchange import read_entries
from rumour_ledger.ledger.names import name_key, optional_key
from rumour_ledger.projections import claim_rows
from rumour_ledger.projections import claims as claims_model
from rumour_ledger.projections.tables import aliases, claims, metadata, positions, rumours

MODEL = (rumours, claims, aliases)
PEOPLE = ["Xabi Alonso", "Kylian Mbappé", "Martin Ødegaard", "ŁUKASZ  Fabiański"]
CLUBS = ["Real Madrid", "Bayern München", "Arsenal", None]
SOURCES = ["Sport", "Marca", "Bild", "Diário AS", "The Athletic"]
ALIASES = ["Diario Sport", "SPORT.es", "Bild Zeitung"]
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --- generated ledgers ------------------------------------------------------------------------


@st.composite
def stamps(draw: st.DrawFn) -> str | None:
    """Recording times in the past, in any offset, with or without microseconds (or none)."""
    if draw(st.integers(0, 5)) == 0:
        return None
    moment = NOW - timedelta(
        days=draw(st.integers(1, 4000)),
        seconds=draw(st.integers(0, 86_399)),
        microseconds=draw(st.sampled_from([0, 1, 999_999, 123_456])),
    )
    offset = timedelta(minutes=draw(st.sampled_from([0, 0, 60, -300, 330, 14 * 60, -12 * 60])))
    return moment.astimezone(timezone(offset)).isoformat()


@st.composite
def ledger_lines(draw: st.DrawFn, max_size: int = 16) -> list[dict[str, Any]]:
    """Claims of every kind, retractions of earlier claims, aliases declared, changed, removed."""
    lines: list[dict[str, Any]] = []
    claim_ids: list[str] = []
    aliased: dict[str, str] = {}
    for _ in range(draw(st.integers(1, max_size))):
        recorded = {"recorded_at": draw(stamps()), "recorded_by": draw(st.sampled_from(["a", "b"]))}
        choice = draw(st.integers(0, 9))
        if choice == 0 and claim_ids:
            target = draw(st.sampled_from(claim_ids))
            claim_ids.remove(target)
            lines.append(
                {"type": "retraction", "retracts": target, "reason": "misread", **recorded}
            )
        elif choice == 1:
            name = draw(st.sampled_from(ALIASES))
            if name in aliased and draw(st.booleans()):
                lines.append({"type": "unalias", "kind": "source", "name": name, **recorded})
                del aliased[name]
            else:
                canonical = draw(st.sampled_from([s for s in SOURCES if s != aliased.get(name)]))
                aliased[name] = canonical
                lines.append(
                    {
                        "type": "alias",
                        "kind": "source",
                        "name": name,
                        "canonical": canonical,
                        **recorded,
                    }
                )
        else:
            # Unique: a file may give one id to claims of different rumours, which the read
            # model refuses (test_one_claim_id_in_two_rumours_is_a_clear_error).
            claim_id = str(uuid.UUID(int=draw(st.integers(0, 2**100)) << 16 | len(lines)))
            kind = draw(st.sampled_from(["report", "report", "denial", "confirmation", "collapse"]))
            to = draw(st.sampled_from(CLUBS))
            source = draw(st.sampled_from(SOURCES + ALIASES))
            lines.append(
                {
                    "type": kind,
                    "id": claim_id,
                    "subject": draw(st.sampled_from(PEOPLE)),
                    "from": "FC Somewhere" if to is None else None,
                    "to": to,
                    "source": source,
                    "cites": draw(st.none() | st.sampled_from([s for s in SOURCES if s != source])),
                    "official": kind == "confirmation" or draw(st.booleans()),
                    "date": (
                        date(2014, 1, 1) + timedelta(days=draw(st.integers(0, 4000)))
                    ).isoformat(),
                    "claim": draw(
                        st.none()
                        | st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)
                    ),
                    "url": draw(st.none() | st.just("https://example.com/a?b=c")),
                    **recorded,
                }
            )
            claim_ids.append(claim_id)
    return lines


def load(ledger: Any, lines: list[dict[str, Any]]) -> None:
    data = io.BytesIO("".join(json.dumps(o) + "\n" for o in lines).encode("utf-8"))
    entries = read_entries(data, "t.jsonl", today=ledger.app.today, now=ledger.app.clock())
    ledger.app.import_entries(entries, file="t.jsonl")


def chunks(lines: list[Any], sizes: list[int]) -> list[list[Any]]:
    out, at = [], 0
    for size in sizes * len(lines):
        if at >= len(lines):
            break
        out.append(lines[at : at + size])
        at += size
    return out


# --- the specification: rows built from domain events, as the mapper decodes them -------------


def naive(stamp: datetime) -> datetime:
    return stamp.astimezone(UTC).replace(tzinfo=None)


def expected_model(app: Any) -> dict[str, list[dict[str, Any]]]:
    """The read model the domain events describe, built the slow, plain way."""
    rows: dict[str, list[dict[str, Any]]] = {"rumours": [], "claims": [], "aliases": []}
    claim_by_id: dict[str, dict[str, Any]] = {}
    alias_names: dict[str, Any] = {}
    for n in app.recorder.select_notifications(1, 1_000_000):
        event = app.mapper.to_domain_event(n)
        at = naive(event.timestamp)
        if isinstance(event, Alias.Declared | Alias.Redeclared | Alias.Removed):
            if isinstance(event, Alias.Declared):
                alias_names[event.originator_id.hex] = event
            first = alias_names[event.originator_id.hex]
            canonical = None if isinstance(event, Alias.Removed) else event.canonical
            rows["aliases"].append(
                {
                    "id": event.event_id.hex,
                    "alias_id": event.originator_id.hex,
                    "kind": first.kind,
                    "name": first.name,
                    "name_key": name_key(first.name),
                    "action": "unalias" if canonical is None else "alias",
                    "canonical": canonical,
                    "canonical_key": optional_key(canonical),
                    "position": n.id,
                    "recorded_by": event.recorded_by,
                    "recorded_at": at,
                }
            )
        elif isinstance(event, Rumour.Opened):
            rows["rumours"].append(
                {
                    "id": event.originator_id.hex,
                    "subject": event.subject,
                    "from_club": event.from_,
                    "to_club": event.to,
                    "role": event.role,
                    "subject_key": name_key(event.subject),
                    "from_key": optional_key(event.from_),
                    "to_key": optional_key(event.to),
                    "label": move_label(event.subject, event.from_, event.to),
                    "opened_at": at,
                    "position": n.id,
                }
            )
        else:
            retraction = isinstance(event, Rumour.Retracted)
            row = {
                "id": event.claim_id.hex,
                "rumour_id": event.originator_id.hex,
                "position": n.id,
                "kind": "retraction" if retraction else event.KIND.value,
                "source": None if retraction else event.source,
                "source_key": None if retraction else name_key(event.source),
                "cites": None if retraction else event.cites,
                "cites_key": None if retraction else optional_key(event.cites),
                "official": False if retraction else event.official,
                "published": event.published,
                "claim": None if retraction else event.claim,
                "url": None if retraction else event.url,
                "recorded_by": event.recorded_by,
                "recorded_at": at,
                "retracts": event.retracts.hex if retraction else None,
                "reason": event.reason if retraction else None,
                "retracted_by": None,
                "retracted_at": None,
            }
            rows["claims"].append(row)
            claim_by_id[row["id"]] = row
            if retraction:
                claim_by_id[event.retracts.hex].update(retracted_by=row["id"], retracted_at=at)
    return rows


def stored_model(ledger: Any) -> dict[str, list[dict[str, Any]]]:
    with ledger.engine.connect() as conn:
        return {
            table.name: sorted(
                (r._asdict() for r in conn.execute(select(table))), key=lambda r: r["position"]
            )
            for table in MODEL
        }


def raw_model(conn: Any) -> list[list[tuple]]:
    """Every row as the database holds it, unconverted (SQLite keeps dates as text)."""
    return [
        sorted(tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {table.name}"))
        for table in MODEL
    ]


def assert_as_sqlalchemy_writes_them(ledger: Any, expected: dict[str, list[dict]]) -> None:
    """On SQLite, the very text stored is what SQLAlchemy's own types would have stored."""
    if ledger.store.dialect != "sqlite":
        return
    reference = create_engine("sqlite://")
    metadata.create_all(reference)
    with reference.begin() as conn:
        for table in MODEL:
            if expected[table.name]:
                conn.execute(table.insert(), expected[table.name])
        want = raw_model(conn)
    with ledger.engine.connect() as conn:
        assert raw_model(conn) == want


def positions_of(ledger: Any) -> list[tuple]:
    """The claims model's position (the per-move models keep their own)."""
    with ledger.engine.connect() as conn:
        mine = select(positions).where(positions.c.name == claims_model.NAME)
        return [tuple(r) for r in conn.execute(mine)]


def index_names(ledger: Any) -> set[str]:
    found = inspect(ledger.engine)
    return {i["name"] for table in MODEL for i in found.get_indexes(table.name)}


# --- equal to the specification, however it is caught up --------------------------------------


@SETTINGS
@given(
    ledger_lines(),
    st.lists(st.integers(1, 6), min_size=1, max_size=3),
    st.lists(st.integers(1, 7), min_size=1, max_size=3),
    st.sampled_from([1, 3, 1_000_000]),
)
def test_the_read_model_is_what_the_domain_events_say_in_any_batches_and_modes(
    open_fresh, monkeypatch, lines, imports, batches, bulk_from
):
    monkeypatch.setattr(claims_model, "BULK_FROM", bulk_from)
    with open_fresh() as ledger:
        for chunk, size in zip(chunks(lines, imports), batches * len(lines), strict=False):
            load(ledger, chunk)
            claims_model.catch_up(ledger.app, ledger.engine, batch=size)
        expected = expected_model(ledger.app)
        assert stored_model(ledger) == expected
        assert_as_sqlalchemy_writes_them(ledger, expected)
        last = ledger.app.recorder.max_notification_id()
        assert positions_of(ledger) == [("claims", last)]

        assert claims_model.rebuild(ledger.app, ledger.engine, batch=batches[0]) == len(
            ledger.app.recorder.select_notifications(1, 1_000_000)
        )
        assert stored_model(ledger) == expected
        assert positions_of(ledger) == [("claims", last)]
        assert index_names(ledger) >= {i.name for t in MODEL for i in t.indexes}


@settings(max_examples=300, deadline=None)
@given(st.datetimes(timezones=st.timezones()), st.dates())
def test_the_stored_text_of_times_and_days_is_sqlalchemys_own(stamp, day):
    dialect = sqlite.dialect()
    as_time = DateTime().dialect_impl(dialect).bind_processor(dialect)
    as_day = Date().dialect_impl(dialect).bind_processor(dialect)
    assert claim_rows.moment_text(stamp) == as_time(stamp.astimezone(UTC).replace(tzinfo=None))
    assert claim_rows.moment_of({"_type_": "datetime_iso", "_data_": stamp.isoformat()}) == (
        claim_rows.moment_text(stamp)
    )
    assert claim_rows.day_text(day) == as_day(day)
    assert claim_rows.day_of({"_type_": "date_iso", "_data_": day.isoformat()}) == as_day(day)


def test_states_are_read_without_decoding_only_with_the_ledgers_own_transcoder(ledger):
    assert claim_rows.plain_json(ledger.app.mapper.transcoder)
    assert not claim_rows.plain_json(object())


def test_an_event_under_a_topic_nobody_knows_is_a_clear_error():
    with pytest.raises(StoreError, match="unknown topic"):
        claim_rows.Batch().add("somewhere:Nothing", {}, "0" * 32, 1)


# --- one transaction: all or nothing ------------------------------------------------------------


def many_lines(count: int) -> list[dict[str, Any]]:
    return [
        {
            "type": "report",
            "subject": f"Player {i % 7}",
            "to": f"Club {i % 5}",
            "source": SOURCES[i % len(SOURCES)],
            "date": "2024-10-28",
            "claim": f"line {i}",
        }
        for i in range(count)
    ]


@pytest.mark.parametrize("bulk_from", [1, 1_000_000])
def test_a_rebuild_that_fails_half_way_leaves_the_read_model_as_it_was(
    ledger, monkeypatch, bulk_from
):
    monkeypatch.setattr(claims_model, "BULK_FROM", bulk_from)
    load(ledger, many_lines(30))
    ledger.catch_up()
    before, indexes, where = stored_model(ledger), index_names(ledger), positions_of(ledger)
    real = ledger.app.recorder.select_notifications
    calls = []

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) == 3:
            raise RuntimeError("the lights went out")
        return real(*args, **kwargs)

    monkeypatch.setattr(ledger.app.recorder, "select_notifications", failing)
    with pytest.raises(RuntimeError, match="lights"):
        claims_model.rebuild(ledger.app, ledger.engine, batch=5)
    assert len(calls) == 3  # it failed reading the third slice, after writing one or two
    assert stored_model(ledger) == before
    assert index_names(ledger) == indexes
    assert positions_of(ledger) == where


def test_a_bulk_catch_up_that_fails_half_way_applies_nothing(ledger, monkeypatch):
    monkeypatch.setattr(claims_model, "BULK_FROM", 1)
    load(ledger, many_lines(30))
    indexes = index_names(ledger)

    def failing(*args: Any) -> None:
        raise RuntimeError("disk full")

    real = claims_model._write
    written = []

    def write_then_fail(conn: Any, rows: Any) -> None:
        written.append(rows)
        if len(written) == 2:
            failing()
        real(conn, rows)

    monkeypatch.setattr(claims_model, "_write", write_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        claims_model.catch_up(ledger.app, ledger.engine, batch=5)
    assert stored_model(ledger) == {"rumours": [], "claims": [], "aliases": []}
    assert positions_of(ledger) == []
    assert index_names(ledger) == indexes
    monkeypatch.setattr(claims_model, "_write", real)
    assert ledger.catch_up() == ledger.app.recorder.max_notification_id()
    assert stored_model(ledger) == expected_model(ledger.app)


@pytest.mark.parametrize("bulk_from", [1, 1_000_000])
def test_two_catching_up_at_once_apply_every_event_once(location, clock, monkeypatch, bulk_from):
    from rumour_ledger.projections.bootstrap import open_ledger

    monkeypatch.setattr(claims_model, "BULK_FROM", bulk_from)
    with open_ledger(location, clock=clock) as first, open_ledger(location, clock=clock) as other:
        load(first, many_lines(60))
        applied: list[int] = []
        errors: list[BaseException] = []

        def run(ledger: Any) -> None:
            try:
                applied.append(claims_model.catch_up(ledger.app, ledger.engine, batch=7))
            except BaseException as error:  # reported below, not lost in the thread
                errors.append(error)

        threads = [threading.Thread(target=run, args=(x,)) for x in (first, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert sum(applied) == first.app.recorder.max_notification_id()
        assert stored_model(first) == expected_model(first.app)


def seen_by(seen: list[tuple[int, int]]) -> claims_model.Progress:
    return lambda done, total: seen.append((done, total))


def test_progress_counts_up_to_every_event(ledger, monkeypatch):
    load(ledger, many_lines(25))
    total = ledger.app.recorder.max_notification_id()
    for bulk_from in (1, 1_000_000):
        monkeypatch.setattr(claims_model, "BULK_FROM", bulk_from)
        seen: list[tuple[int, int]] = []
        claims_model.rebuild(ledger.app, ledger.engine, batch=4, progress=seen_by(seen))
        assert seen[-1] == (total, total)
        assert [d for d, _ in seen] == sorted({d for d, _ in seen})
        assert all(t == total for _, t in seen)


# --- clean errors -----------------------------------------------------------------------------


@pytest.mark.parametrize("bulk_from", [1, 1_000_000])
def test_catching_up_a_read_only_ledger_is_a_clear_error_and_changes_nothing(
    tmp_path, monkeypatch, bulk_from
):
    from rumour_ledger.projections.bootstrap import open_ledger

    monkeypatch.setattr(claims_model, "BULK_FROM", bulk_from)
    path = tmp_path / "ro.db"
    with open_ledger(path) as ledger:
        load(ledger, many_lines(5))  # recorded, not yet in the read model
    before = path.read_bytes()
    with open_ledger(f"sqlite:///{path}?mode=ro") as ledger:
        with pytest.raises(StoreError, match="read-only"):
            ledger.catch_up()
        with pytest.raises(StoreError, match="read-only"):
            claims_model.rebuild(ledger.app, ledger.engine)
    assert path.read_bytes() == before


@pytest.mark.parametrize("bulk_from", [1, 1_000_000])
def test_a_busy_sqlite_lock_is_a_clear_error(tmp_path, monkeypatch, bulk_from):
    import sqlite3

    from rumour_ledger.projections.bootstrap import open_ledger

    monkeypatch.setenv("RUMOUR_LOCK_TIMEOUT", "1")
    monkeypatch.setattr(claims_model, "BULK_FROM", bulk_from)
    path = tmp_path / "busy.db"
    with open_ledger(path) as opened:
        load(opened, many_lines(5))
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(LedgerBusy):
                opened.catch_up()
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert opened.catch_up() == 5 + 5  # five rumours opened, five claims
        with opened.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM claims")).scalar() == 5


@pytest.mark.parametrize("bulk_from", [1, 1_000_000])
def test_one_claim_id_in_two_rumours_is_a_clear_error(ledger, monkeypatch, bulk_from):
    """An import refuses a reused id (tests/test_trust_ids.py); events saved past that check,
    as a writer of the events table could, still find the read model unable to hold both,
    and saying so once instead of retrying for ever as if another process had got there."""
    from rumour_ledger.ledger.claims import Kind, make_claim, make_move

    monkeypatch.setattr(claims_model, "BULK_FROM", bulk_from)
    when = datetime(2025, 3, 1, tzinfo=UTC)
    rumours = []
    for line in many_lines(2):
        move = make_move(line["subject"], None, line["to"])
        report = make_claim(
            Kind.REPORT, move, source=line["source"], published=line["date"], today=NOW.date()
        )
        rumour = Rumour.open(move, "desk", when)
        rumour.record(report, "desk", when, uuid.UUID(int=7))
        rumours.append(rumour)
    ledger.app.save(*rumours)
    with pytest.raises(StoreError, match=r"database error: .*(unique|UNIQUE)"):
        ledger.catch_up()
    assert positions_of(ledger) == []


@pytest.mark.parametrize(
    ("table", "index"),
    [
        ("claims", "ix_claims_confirmations"),
        ("standings", "ix_standings_last_day"),
        ("standings", "ix_standings_origins"),
    ],
)
def test_a_ledger_made_before_an_index_was_added_gets_it_when_opened(ledger, table, index):
    engine = ledger.engine
    with engine.begin() as conn:
        conn.execute(text(f"DROP INDEX {index}"))
    assert index not in {i["name"] for i in inspect(engine).get_indexes(table)}
    claims_model.create_tables(engine)
    assert index in {i["name"] for i in inspect(engine).get_indexes(table)}
