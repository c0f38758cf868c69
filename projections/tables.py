"""The read models' SQL tables, kept beside the events in the same database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

T = TypeVar("T")
metadata = MetaData()

# Names or ids bound into one IN (...) list: far below SQLite's (32,766) and PostgreSQL's
# (65,535) limits on parameters per statement, however large the ledger.
IN_LIST = 500


def chunked(items: Sequence[T], size: int = IN_LIST) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Where each read model has got to in the notification log; advanced in the same
# transaction as the rows it covers, so no event is applied twice or skipped. Every position
# is a notification id, which PostgreSQL keeps as BIGINT: so are they (an INTEGER column
# broke every read model once one id passed 2**31).
positions = Table(
    "projection_positions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
)

rumours = Table(
    "rumours",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("subject", Text, nullable=False),
    Column("from_club", Text),
    Column("to_club", Text),
    Column("role", String(16), nullable=False),
    Column("subject_key", Text, nullable=False),
    Column("from_key", Text),
    Column("to_key", Text),
    Column("label", Text, nullable=False),
    Column("opened_at", DateTime, nullable=False),
    Column("position", BigInteger, nullable=False),
    Index("ix_rumours_subject_key", "subject_key"),
    Index("ix_rumours_to_key", "to_key"),
)

claims = Table(
    "claims",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("rumour_id", String(32), nullable=False),
    Column("position", BigInteger, nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("source", Text),
    Column("source_key", Text),
    Column("cites", Text),
    Column("cites_key", Text),
    Column("official", Boolean, nullable=False, default=False),
    Column("published", Date, nullable=False),
    Column("claim", Text),
    Column("url", Text),
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("retracts", String(32)),
    Column("reason", Text),
    Column("retracted_by", String(32)),
    Column("retracted_at", DateTime),
    Index("ix_claims_rumour_published", "rumour_id", "published"),
    Index("ix_claims_source_key", "source_key"),
    Index("ix_claims_cites_key", "cites_key"),
    Index("ix_claims_published", "published"),
)
# Rivals are found by their confirmations, a few percent of claims: a coach rumour at a big
# club has thousands of rivals, and reading all their claims took PostgreSQL 1 s.
confirmations_index = Index(
    "ix_claims_confirmations",
    claims.c.rumour_id,
    claims.c.published,
    sqlite_where=text("kind = 'confirmation'"),
    postgresql_where=text("kind = 'confirmation'"),
)

# Each amendment's corrected claim and the claim it corrects (its retraction is a row of
# claims). Made by create_all when a ledger from before amendments is next opened: none of
# the events it already holds can be an amendment, so it is right to start empty.
amendments = Table(
    "amendments",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("amends", String(32), nullable=False),
    Column("position", BigInteger, nullable=False),
)

# Every hide and unhide of a rumour, so what was hidden can be read as of any recording
# time. Made by create_all when a ledger from before hiding is next opened: none of its
# events can be one, so it is right to start empty.
hidings = Table(
    "hidings",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("rumour_id", String(32), nullable=False),
    Column("hidden", Boolean, nullable=False),
    Column("reason", Text, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
)

# Every alias event, so the names in force can be read as of any recording time.
aliases = Table(
    "aliases",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("alias_id", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("name", Text, nullable=False),
    Column("name_key", Text, nullable=False),
    Column("action", String(16), nullable=False),
    Column("canonical", Text),
    Column("canonical_key", Text),
    Column("position", BigInteger, nullable=False, unique=True),
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Index("ix_aliases_kind_name", "kind", "name_key"),
)

# Every source's scored stance on every resolved move, one row per stretch of published
# days on which that resolution held (a rival's confirmation can be undone by a later
# report), so a track record as of any day is a count over an index, not a replay.
calls = Table(
    "calls",
    metadata,
    Column("move_id", String(32), nullable=False),
    Column("source_key", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("relayed", Boolean, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("published", Date, nullable=False),
    Column("claim_id", String(32), nullable=False),
    Column("happened", Boolean, nullable=False),
    Column("resolved_on", Date, nullable=False),
    Column("lead_days", Integer, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    Index("ix_calls_source_valid_from", "source_key", "valid_from"),
    Index("ix_calls_move_id", "move_id"),
)

# Each source's record (its own calls, scored with the default horizon) on every day it
# changed: counts so far, so a record as of a day is the last row on or before it.
record_days = Table(
    "record_days",
    metadata,
    Column("source_key", Text, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("scored", Integer, nullable=False),
    Column("right", Integer, nullable=False),
)

# Each move's stretches of published days over which it counts toward the ledger's base
# rate (the learned prior): resolved, and whether it happened. Their running sums are
# record_days' rows under OUTCOMES_KEY.
outcomes = Table(
    "outcomes",
    metadata,
    Column("move_id", String(32), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    Column("happened", Boolean, nullable=False),
    Index("ix_outcomes_move_id", "move_id"),
    Index("ix_outcomes_valid_from", "valid_from"),
    Index("ix_outcomes_valid_to", "valid_to"),
)
# The record_days key of the ledger's outcomes: (resolved, happened) as (scored, right). No
# source's key is empty: ledger.claims refuses a name whose key would be.
OUTCOMES_KEY = ""

# Each move as its claims leave it after the last one was published: on any later day only
# decay, its sources' records and rivals confirmed since move its likelihood, so the board
# weighs these rows instead of every claim of the ledger.
standings = Table(
    "standings",
    metadata,
    Column("move_id", String(32), primary_key=True),
    Column("id", String(36), nullable=False),  # as the board shows it
    Column("subject", Text, nullable=False),
    Column("from_club", Text),
    Column("to_club", Text),
    Column("role", String(16), nullable=False),
    Column("label", Text, nullable=False),
    Column("merged", Text, nullable=False),  # JSON list of the other rumours' ids
    Column("first_day", Date, nullable=False),
    Column("last_day", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("resolved_by", Text),
    Column("resolved_on", Date),
    Column("reports", Integer, nullable=False),
    Column("denials", Integer, nullable=False),
    Column("confirmations", Integer, nullable=False),
    Column("origins", Integer, nullable=False),
    Column("relays", Integer, nullable=False),
    Column("last_claim", Date),
    # JSON list of [origin key, kind, published day ordinal, first party] per counted origin.
    Column("parts", Text, nullable=False),
    # Rivals confirmed after the last claim: the first and last days, the last one's
    # reason, and all of them as a JSON list of [day ordinal, reason].
    Column("first_end", Date),
    Column("last_end", Date),
    Column("last_end_reason", Text),
    Column("ended_after", Text, nullable=False),
    Index("ix_standings_first_day", "first_day"),
)
# A whole board reads every collapse, fewer still than confirmations.
collapses_index = Index(
    "ix_claims_collapses",
    claims.c.rumour_id,
    claims.c.published,
    sqlite_where=text("kind = 'collapse'"),
    postgresql_where=text("kind = 'collapse'"),
)
# A claim's retractions, for a question asked as known at a past time about a claim once
# retracted and restored since (projections/retracted.py): a handful of rows, found by key.
retractions_index = Index(
    "ix_claims_retractions",
    claims.c.retracts,
    sqlite_where=text("kind = 'retraction'"),
    postgresql_where=text("kind = 'retraction'"),
)
# Added after ledgers were first made (see claims.create_tables): a board cut to its top
# moves reads only the recent ones, and the most origins any counts.
standings_last_day_index = Index("ix_standings_last_day", standings.c.last_day)
standings_origins_index = Index("ix_standings_origins", standings.c.origins)
# Indexes added after ledgers were first made: create_all makes no index on a table that
# already exists, so opening a ledger makes these (claims.create_tables).
ADDED_INDEXES = (
    confirmations_index,
    collapses_index,
    retractions_index,
    standings_last_day_index,
    standings_origins_index,
)


# The tables whose "position" is a notification id.
POSITIONED = (positions, rumours, claims, aliases)
_NARROW_POSITIONS = text(
    "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
    "AND column_name = 'position' AND data_type = 'integer' AND table_name = ANY(:names)"
)


def widen_positions(conn: Connection) -> None:
    """A PostgreSQL ledger whose read models were made with 32-bit positions gets them
    widened to BIGINT, once (one catalogue query after that). SQLite's integers are 64-bit."""
    if conn.dialect.name != "postgresql":
        return
    names = [table.name for table in POSITIONED]
    narrow = conn.execute(_NARROW_POSITIONS, {"names": names}).scalars().all()
    quote = conn.dialect.identifier_preparer.quote
    for name in narrow:
        conn.exec_driver_sql(f"ALTER TABLE {quote(name)} ALTER COLUMN position TYPE bigint")
