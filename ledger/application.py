"""RumourLedger: the application service that records claims and reads them back as plain data."""

from __future__ import annotations

import gc
import random
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import chain, islice
from typing import Any, ClassVar, Protocol

from eventsourcing.application import AggregateNotFoundError, Application, Repository
from eventsourcing.persistence import (
    IntegrityError,
    Mapper,
    MapperDeserialisationError,
    PersistenceError,
    StoredEvent,
    Transcoder,
    Transcoding,
)

from rumour_ledger.ledger.aliases import (
    Alias,
    AliasDeclaration,
    AliasKind,
    AliasRemoval,
    check_no_cycle,
)
from rumour_ledger.ledger.bulk import BulkRecorder, BulkSession, LedgerMoved
from rumour_ledger.ledger.claims import (
    RESTORATION,
    Amendment,
    Claim,
    Hiding,
    Kind,
    Move,
    Recasting,
    Restoration,
    Retraction,
    Role,
    make_amendment,
)
from rumour_ledger.ledger.domain import Rumour
from rumour_ledger.ledger.errors import (
    AlreadyRetracted,
    DamagedEvent,
    ImportFailed,
    LedgerBusy,
    LedgerError,
    ReusedId,
    StoreError,
    UnknownEvent,
    UnknownName,
)
from rumour_ledger.ledger.names import name_key
from rumour_ledger.ledger.spool import Spool
from rumour_ledger.ledger.whereabouts import Whereabouts

Clock = Callable[[], datetime]
# Where a claim id lives, for retractions that name only the claim: answered by the
# claims read model, which the wiring passes in.
Locator = Callable[[uuid.UUID], uuid.UUID | None]
# Which of these event ids the ledger already holds, and in which rumour: an import asks
# once per chunk, so that no id is ever recorded for two entries.
Holders = Callable[[list[uuid.UUID]], dict[uuid.UUID, uuid.UUID]]
# The aliases in force (name key -> canonical key) for one kind, for the cycle check.
AliasMap = Callable[[AliasKind], dict[str, str]]
# Writers racing for one rumour can lose many times in a row (8 at once: 45 seen).
MAX_CONFLICT_RETRIES = 200
# Entries whose event ids come from their own stream, not from the claims they name: no
# claim id of the ledger is ever theirs.
StreamEntry = AliasDeclaration | AliasRemoval | Recasting | Hiding
# Entries an import applies and writes at a time: one existence query and one insert per
# chunk, and memory for one chunk's events rather than the whole file's.
IMPORT_CHUNK = 5_000
# Aggregates an import keeps in memory, the most recently touched; any other it reads back
# (through its own transaction) if touched again. In a generated 1M-event ledger, 20,000
# kept means 7,000 reads of 22,000 events in all, and memory for 20,000 rumours, not 277,000.
AGGREGATES_KEPT = 20_000


class _RolledBack(Exception):
    """Raised inside a dry run's import transaction, so that it rolls back."""


# The phases of a lean import after its lines are read, checked and encoded.
WRITING_STAGE = "writing the events"
FALLBACK_STAGE = "the ledger changed meanwhile: checking the lines again under its lock"


class _UnlockedStreams:
    """A lean import's answer to which streams exist, with no transaction held: the
    recorder's stored streams and those its spool opens."""

    def __init__(self, recorder: BulkRecorder) -> None:
        self.recorder = recorder

    def existing(self, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        return self.recorder.existing_streams(ids)

    def last_notification_id(self) -> int:
        return self.recorder.max_notification_id() or 0


class Where(Protocol):
    """Claim id, as its 128-bit int (a third of a UUID's memory), -> the rumour that holds
    it, and the line it came on (0: in the ledger): an import's Whereabouts."""

    def get(self, claim: int, /) -> uuid.UUID | None: ...

    def first_use(self, claim: int, /) -> tuple[uuid.UUID, int] | None: ...

    def place(self, claim: int, rumour: uuid.UUID, line: int, /) -> None: ...


def write_error(error: BaseException) -> StoreError:
    """A failed write as the user should read it: busy, read-only, or the database's reason."""
    lines = str(error).strip().splitlines()
    detail = lines[0] if lines else type(error).__name__
    if "database is locked" in detail or "lock timeout" in detail:
        return LedgerBusy(
            "the ledger is busy: another process held its write lock too long; try again "
            "(entries already stored are skipped)"
        )
    if "readonly" in detail or "read-only" in detail:
        return StoreError("the ledger is read-only here: nothing was stored")
    return StoreError(f"cannot write to the ledger: {detail}")


@contextmanager
def _import_errors() -> Iterator[None]:
    """A store's refusal of an import, as the one-line errors a user reads."""
    try:
        yield
    except IntegrityError:
        # The locked path takes the write lock before any check, and the lean one checks
        # under it that nothing was stored since: only a writer that ignores it gets here.
        raise LedgerError(
            "another writer changed the ledger during the import: nothing was stored"
        ) from None
    except PersistenceError as error:
        raise write_error(error) from None


@contextmanager
def _frozen_survivors() -> Iterator[Callable[[], None]]:
    """A function that moves every object alive now out of the collector's sight, until the
    block ends (gc.freeze, gc.unfreeze).

    An import keeps a growing heap of aggregates and claim ids, and each full collection
    walks all of it: called after each chunk, this took a 300k-event import from 27.6 s of
    CPU to 22.3 s. Frozen objects are still freed by reference counting when dropped.
    """
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()


def utc_now() -> datetime:
    return datetime.now(UTC)


def latest_today(now: datetime) -> date:
    """The latest calendar day anywhere on Earth at this moment (UTC+14)."""
    return (now.astimezone(UTC) + timedelta(hours=14)).date()


class DateAsISO(Transcoding):
    """Stores published dates as ISO text, as the interchange format writes them."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


@dataclass(frozen=True, slots=True)
class Entry:
    """One thing to record: a claim, retraction, alias change or recast, with who and when
    if already known."""

    item: Claim | Retraction | Restoration | AliasDeclaration | AliasRemoval | Recasting | Hiding
    event_id: uuid.UUID | None = None
    recorded_by: str | None = None
    recorded_at: datetime | None = None
    line: int = 0

    @property
    def id(self) -> uuid.UUID:
        if isinstance(self.item, StreamEntry):
            raise TypeError("alias and recast events take their ids from their stream")
        return self.event_id or self.item.claim_id


@dataclass(frozen=True, slots=True)
class Recorded:
    """The outcome of one append: the event's id, and whether it was new."""

    id: uuid.UUID
    rumour_id: uuid.UUID
    added: bool


@dataclass(frozen=True, slots=True)
class Imported:
    added: int
    skipped: int


@dataclass
class ImportRun:
    """What a streamed import keeps between chunks, until its one transaction commits."""

    file: str
    now: datetime
    # The aggregates kept, least recently touched first.
    aggregates: dict[uuid.UUID, Any] = field(default_factory=dict)
    where: Whereabouts = field(default_factory=Whereabouts)  # every claim so far
    names: dict[AliasKind, dict[str, str]] = field(default_factory=dict)
    absent: set[uuid.UUID] = field(default_factory=set)  # of this chunk: new rumours
    seen: int = 0
    added: int = 0

    def touched(self, aggregates: Iterable[Any]) -> None:
        """Keep these, as the most recent, and forget the least recent beyond the limit."""
        for aggregate in aggregates:
            self.aggregates.pop(aggregate.id, None)
            self.aggregates[aggregate.id] = aggregate
        excess = len(self.aggregates) - AGGREGATES_KEPT
        for stale in list(islice(self.aggregates, max(excess, 0))):
            del self.aggregates[stale]


class CheckedMapper(Mapper[uuid.UUID]):
    """The library's mapper, but a stored event it cannot decode is a DamagedEvent naming
    the event, not the library's error with a Python traceback behind it."""

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        try:
            return super().to_domain_event(stored_event)
        except MapperDeserialisationError as error:
            cause = error.__cause__ or error
            raise DamagedEvent(
                str(getattr(stored_event.originator_id, "hex", stored_event.originator_id)),
                stored_event.originator_version,
                f"{type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else ''}",
            ) from None


class RumourLedger(Application):
    """Records reports, denials, confirmations and retractions of rumoured moves."""

    # Fixes the names of the stored tables: never rename.
    name = "rumour"
    # No snapshots are taken or read. A snapshot row is not sealed by the chain, so anyone
    # who may insert one could make a rumour forget its claims; and for rumours of a few
    # hundred events replaying them costs milliseconds (docs/performance.md). The table is
    # still created, as older ledgers have it and the guards and grants name it.
    is_snapshotting_enabled = True
    snapshotting_intervals: ClassVar[dict[type, int]] = {}

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        clock: Clock = utc_now,
        user: str = "unknown",
        locate: Locator | None = None,
        aliases: AliasMap | None = None,
        holders: Holders | None = None,
    ) -> None:
        super().__init__(env=env)
        self.clock = clock
        self.user = user
        self.locate = locate or (lambda _id: None)
        self.holders = holders or (lambda _ids: {})
        self.aliases = aliases or (lambda _kind: {})
        # Lean imports that found the ledger changed under the lock and checked again.
        self.fallbacks = 0

    def construct_repository(self) -> Repository:
        """The library's repository, told of no snapshot store: aggregates are always
        rebuilt from their sealed events, and any row in the snapshots table is ignored."""
        return Repository(event_store=self.events, snapshot_store=None)

    def construct_mapper(self) -> Mapper[uuid.UUID]:
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=CheckedMapper
        )

    def register_transcodings(self, transcoder: Transcoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    @property
    def today(self) -> date:
        return latest_today(self.clock())

    def record(self, claim: Claim, recorded_by: str | None = None) -> Recorded:
        """Append a report, denial or confirmation; the same claim twice is stored once."""
        entry = Entry(claim, recorded_by=recorded_by)
        added = self._append([entry])
        return Recorded(entry.id, claim.move.rumour_id, bool(added))

    def retract(self, retraction: Retraction, recorded_by: str | None = None) -> Recorded:
        """Withdraw a wrong entry by its id; the original stays in the record."""
        rumour_id = self.locate(retraction.retracts)
        if rumour_id is None:
            raise UnknownEvent(f"no claim with id {retraction.retracts} in the ledger")
        self._check_not_undone(rumour_id, retraction)
        entry = Entry(retraction, recorded_by=recorded_by)
        added = self._append([entry], {retraction.retracts.int: rumour_id})
        return Recorded(entry.id, rumour_id, bool(added))

    def _check_not_undone(self, rumour_id: uuid.UUID, retraction: Retraction) -> None:
        """Refuse a retraction whose id (derived from the claim and the reason) names one
        already undone: stored again it would be a skip, and the claim would still count."""
        rumour = self.rumour(rumour_id)
        retraction_id = retraction.claim_id
        undone = rumour is not None and rumour.holds(retraction_id)
        if undone and rumour is not None and retraction_id.hex not in rumour.standing:
            raise AlreadyRetracted(
                f"retraction {retraction_id} of this claim for this reason was undone: "
                "to retract the claim again, give another reason"
            )

    def restore(
        self, restoration: Restoration, recorded_by: str | None = None, *, dry_run: bool = False
    ) -> Recorded:
        """Withdraw a retraction by its id: its claim counts again from now on; both stay in
        the record. With dry_run, every rule is checked and nothing stored."""
        rumour_id = self.locate(restoration.restores)
        if rumour_id is None:
            raise UnknownEvent(f"no retraction with id {restoration.restores} in the ledger")
        entry = Entry(restoration, recorded_by=recorded_by)
        known = {restoration.restores.int: rumour_id}
        added = self.rehearse([entry], known) if dry_run else self._append([entry], known)
        return Recorded(entry.id, rumour_id, bool(added))

    def preview_record(self, claim: Claim, recorded_by: str | None = None) -> Recorded:
        """What `record` would store, every rule checked, nothing stored: a dry run."""
        entry = Entry(claim, recorded_by=recorded_by)
        added = self.rehearse([entry])
        return Recorded(entry.id, claim.move.rumour_id, bool(added))

    def preview_retract(self, retraction: Retraction, recorded_by: str | None = None) -> Recorded:
        """What `retract` would store, every rule checked, nothing stored: a dry run."""
        rumour_id = self.locate(retraction.retracts)
        if rumour_id is None:
            raise UnknownEvent(f"no claim with id {retraction.retracts} in the ledger")
        self._check_not_undone(rumour_id, retraction)
        entry = Entry(retraction, recorded_by=recorded_by)
        added = self.rehearse([entry], {retraction.retracts.int: rumour_id})
        return Recorded(entry.id, rumour_id, bool(added))

    def stored_claim(self, claim_id: uuid.UUID) -> tuple[Claim, uuid.UUID]:
        """A report, denial or confirmation as it was recorded, by its full id, with the
        rumour that holds it; UnknownEvent for a retraction or an id not in the ledger."""
        rumour_id = self.locate(claim_id)
        rumour = None if rumour_id is None else self.rumour(rumour_id)
        if rumour is None or rumour_id is None:
            raise UnknownEvent(f"no claim with id {claim_id} in the ledger")
        for event in self.events.get(rumour_id):
            if isinstance(event, Rumour.Claimed) and event.claim_id == claim_id:
                opened = next(iter(self.events.get(rumour_id, lte=1)))
                # A claim stored before claims kept a role has its rumour's first one.
                move = Move(
                    opened.subject, opened.from_, opened.to, Role(event.role or opened.role)
                )
                claim = Claim(
                    kind=event.KIND,
                    move=move,
                    source=event.source,
                    cites=event.cites,
                    official=event.official,
                    published=event.published,
                    text=event.claim,
                    url=event.url,
                    amends=event.amends,
                )
                return claim, rumour_id
        raise UnknownEvent(f"{claim_id} is a retraction, not a claim: only a claim is amended")

    def make_amendment(
        self, claim_id: uuid.UUID, changes: dict[str, object], reason: object, published: object
    ) -> Amendment:
        """The amendment of a stored claim: its retraction and the corrected claim."""
        old, _rumour_id = self.stored_claim(claim_id)
        return make_amendment(old, claim_id, changes, reason, published, self.today)

    def amend(
        self, amendment: Amendment, recorded_by: str | None = None, *, dry_run: bool = False
    ) -> tuple[Recorded, Recorded]:
        """Store an amendment: the retraction and the corrected claim in one transaction,
        even when the corrected claim lands on another rumour, so that neither is ever
        stored without the other. With dry_run, every rule is checked and nothing stored."""
        old = amendment.retraction.retracts
        rumour_id = self.locate(old)
        if rumour_id is None:
            raise UnknownEvent(f"no claim with id {old} in the ledger")
        entries = [
            Entry(amendment.retraction, recorded_by=recorded_by),
            Entry(amendment.claim, recorded_by=recorded_by),
        ]
        known = {old.int: rumour_id}
        self._check_not_undone(rumour_id, amendment.retraction)
        added = self.rehearse(entries, known)
        if added == 1:
            # The same retraction is stored, by an amendment that corrected it otherwise:
            # a second correction of one claim would leave two claims standing for it.
            raise AlreadyRetracted(
                f"claim {old} was already amended or retracted: amend its correction instead"
            )
        if not dry_run and added:
            added = self._append(entries, known)
        # Both or neither: ids derive from content, so the same amend again adds nothing.
        return (
            Recorded(entries[0].id, rumour_id, bool(added)),
            Recorded(entries[1].id, amendment.claim.move.rumour_id, bool(added)),
        )

    def rehearse(
        self, entries: list[Entry], known: dict[int, uuid.UUID] | None = None, file: str = "-"
    ) -> int:
        """How many of these entries appending them would add, applied by the very rules
        `_append` applies, with the events thrown away instead of saved."""
        where = Whereabouts()
        for claim, rumour_id in (known or {}).items():
            where[claim] = rumour_id
        _events, added = self._apply(entries, where, file, self.clock())
        return added

    def declare_alias(self, declaration: AliasDeclaration, recorded_by: str | None = None) -> bool:
        """Make a name stand for another from now on; False if it already does."""
        return bool(self._append([Entry(declaration, recorded_by=recorded_by)]))

    def remove_alias(self, removal: AliasRemoval, recorded_by: str | None = None) -> bool:
        """Make a name stand only for itself again; False if it already does."""
        return bool(self._append([Entry(removal, recorded_by=recorded_by)]))

    def hide(
        self, hiding: Hiding, recorded_by: str | None = None, *, dry_run: bool = False
    ) -> bool:
        """Leave a rumour with no live claim out of the lists from now on (or, unhiding, put
        it back); False if it already is (is not). With dry_run, nothing is stored."""
        entries = [Entry(hiding, recorded_by=recorded_by)]
        return bool(self.rehearse(entries) if dry_run else self._append(entries))

    def recast(self, recasting: Recasting, recorded_by: str | None = None) -> bool:
        """Show a rumour with another role from now on; False if it already has that role."""
        return bool(self._append([Entry(recasting, recorded_by=recorded_by)]))

    def import_entries(
        self,
        entries: Iterable[Entry],
        file: str = "-",
        *,
        dry_run: bool = False,
        lean: bool | None = None,
        stage: Callable[[str], None] | None = None,
        again: Callable[[], Iterable[Entry]] | None = None,
    ) -> Imported:
        """Append many entries in one transaction: all of them, or none on any error.

        Lean (the default where the store says `parses_before_locking`): every line is
        read, checked, applied and encoded into stored events before the write lock is
        taken, the rows kept in a spool on disk (ledger/spool.py).
        Then, under the lock, one query asks whether the ledger changed
        since the checks began; if not, the spooled rows go in through the recorder's own
        insert, in batches, in that one transaction. If it did, the rows are thrown away and
        the spooled entries imported by the locked path, checked again against what is
        stored now. A file that fails its checks never takes the lock. `stage`, if given,
        is told the name of each phase after the parsing as it begins. `again`, if given,
        reads the same entries anew (a file read again from its start): the fallback
        takes them from it, so the entries are not kept in the spool.

        Not lean, and for a dry run: the locked path (`_import_locked`), which holds the
        lock while it parses, and for a dry run rolls the transaction back at the end.
        """
        if not isinstance(self.recorder, BulkRecorder):
            listed = list(entries)
            held = self.holders([e.id for e in listed if not isinstance(e.item, StreamEntry)])
            known = {k.int: v for k, v in held.items()}
            if dry_run:
                added = self.rehearse(listed, known, file=file)
            else:
                added = self._append(listed, known, file=file)
            return Imported(added=added, skipped=len(listed) - added)
        if lean is None:
            lean = self.parses_before_locking()
        if dry_run or not lean:
            return self._import_locked(entries, file, dry_run=dry_run)
        return self._import_lean(entries, file, stage or (lambda _name: None), again)

    def parses_before_locking(self) -> bool:
        """Whether an import here reads, checks and encodes its lines before the write lock."""
        return bool(getattr(self.recorder, "parses_before_locking", False))

    def _import_lean(
        self,
        entries: Iterable[Entry],
        file: str,
        stage: Callable[[str], None],
        again: Callable[[], Iterable[Entry]] | None,
    ) -> Imported:
        assert isinstance(self.recorder, BulkRecorder)
        now = self.clock()
        stream = iter(entries)
        with Spool() as spool, _import_errors():
            # Read before any check: whatever is stored after it makes the checks stale.
            mark = self.recorder.max_notification_id() or 0
            try:
                run = self._spool_entries(stream, file, now, spool, keep=again is None)
                stage(WRITING_STAGE)
                with self.recorder.bulk() as session:
                    if session.last_notification_id() != mark:
                        raise LedgerMoved("events were stored since the checks began")
                    for batch in spool.batches(IMPORT_CHUNK):
                        self.recorder.insert_events(batch)
            except LedgerMoved:
                # Nothing was written: the spooled entries, then the lines not read yet,
                # go down the locked path, checked against what is stored now.
                stage(FALLBACK_STAGE)
                self.fallbacks += 1
                replay = chain(spool.entries(), stream) if again is None else again()
                return self._import_locked(replay, file, now=now)
        return Imported(added=run.added, skipped=run.seen - run.added)

    def _spool_entries(
        self, stream: Iterator[Entry], file: str, now: datetime, spool: Spool, *, keep: bool
    ) -> ImportRun:
        """Apply every entry as the locked path does, a chunk at a time, with the events
        encoded by the library's own mapper into the spool instead of the ledger; and,
        with keep, the entries themselves (for a fallback with no other way to read them)."""
        assert isinstance(self.recorder, BulkRecorder)
        run = ImportRun(file=file, now=now)
        chunk = list(islice(stream, IMPORT_CHUNK))
        self._ask_read_models(chunk, run)
        session = _UnlockedStreams(self.recorder)
        with self.recorder.spooling(spool), _frozen_survivors() as settle:
            while chunk:
                if keep:
                    spool.write_entries(chunk)
                self._import_chunk(chunk, run, session)
                settle()
                chunk = list(islice(stream, IMPORT_CHUNK))
        return run

    def _import_locked(
        self,
        entries: Iterable[Entry],
        file: str,
        *,
        dry_run: bool = False,
        now: datetime | None = None,
    ) -> Imported:
        """The import that parses under the lock.

        Streamed: a chunk of entries at a time is applied and written inside that one
        transaction, which holds the ledger's write lock from its start. Questions to the
        read models are asked before the lock is taken where they can be: the aliases in
        force of every kind, and where the first chunk's retractions point. Later chunks'
        retractions of claims already in the ledger ask `locate` under the lock; asking
        first is what catches the read models up (the wiring's `locate` and `aliases` do),
        so they have nothing left to write then (on SQLite it would wait for our lock).

        With dry_run, everything is read, checked and written just the same, and the one
        transaction is then rolled back: the counts say what the import would add.
        """
        assert isinstance(self.recorder, BulkRecorder)
        run = ImportRun(file=file, now=now or self.clock())
        stream = iter(entries)
        chunk = list(islice(stream, IMPORT_CHUNK))
        self._ask_read_models(chunk, run)
        try:
            with (
                _import_errors(),
                self.recorder.bulk() as session,
                _frozen_survivors() as settle,
            ):
                while chunk:
                    self._import_chunk(chunk, run, session)
                    settle()
                    chunk = list(islice(stream, IMPORT_CHUNK))
                if dry_run:
                    raise _RolledBack
        except _RolledBack:
            pass
        return Imported(added=run.added, skipped=run.seen - run.added)

    def _ask_read_models(self, chunk: list[Entry], run: ImportRun) -> None:
        """The aliases in force (any later line may change them), and where the chunk's
        retractions of claims before the file live: asked before the write lock is taken."""
        run.names.update((kind, dict(self.aliases(kind))) for kind in AliasKind)
        # Asked again under the lock, for what was recorded meanwhile (_import_chunk).
        self._note_held(chunk, run.where)
        own = {entry.id for entry in chunk if not isinstance(entry.item, StreamEntry)}
        for entry in chunk:
            item = entry.item
            target = _target(item)
            if target is not None and target not in own:
                found = self.locate(target)
                if found is not None:
                    run.where[target.int] = found

    def _import_chunk(self, chunk: list[Entry], run: ImportRun, session: BulkSession) -> None:
        self._load_rumours(chunk, run, session)
        self._note_held(chunk, run.where)
        touched: dict[uuid.UUID, Any] = {}
        events: list[Any] = []
        for entry in chunk:
            aggregate, changed = self._apply_entry(
                entry, run.aggregates, run.names, run.where, run.file, run.now, run.absent
            )
            run.added += changed
            touched.setdefault(aggregate.id, aggregate)
            # Stored in the order of the lines, not rumour by rumour: export writes the log's
            # order, so importing an export rebuilds the same log, and the same digest.
            events.extend(aggregate.collect_events())
        run.seen += len(chunk)
        run.where.seal()
        if events:
            self.events.put(events)
        run.touched(touched.values())

    def _note_held(self, chunk: list[Entry], where: Where) -> None:
        """Note the chunk's ids that the ledger already holds (line 0), so a line that reuses
        one for another rumour is refused before anything is written."""
        ids = [entry.id for entry in chunk if not isinstance(entry.item, StreamEntry)]
        for claim_id, rumour_id in self.holders(ids).items():
            if where.first_use(claim_id.int) is None:
                where.place(claim_id.int, rumour_id, 0)

    def _load_rumours(self, chunk: list[Entry], run: ImportRun, session: BulkSession) -> None:
        """The chunk's rumours not yet touched: loaded if stored, else noted as new."""
        claims = (entry.item for entry in chunk if isinstance(entry.item, Claim))
        wanted = {item.move.rumour_id for item in claims}
        # Probed id by id: set.difference_update(dict) would walk every aggregate kept.
        wanted = {rumour_id for rumour_id in wanted if rumour_id not in run.aggregates}
        found = session.existing(wanted) if wanted else set()
        for rumour_id in found:
            run.aggregates[rumour_id] = self.repository.get(rumour_id)
        run.absent = wanted - found

    def rumour(self, rumour_id: uuid.UUID) -> Rumour | None:
        try:
            return self.repository.get(rumour_id)
        except AggregateNotFoundError:
            return None

    def _append(
        self,
        entries: list[Entry],
        known: dict[int, uuid.UUID] | None = None,
        file: str = "-",
    ) -> int:
        # Optimistic concurrency: another writer may have appended to the same rumour
        # since we loaded it; reload and apply again (idempotent by event id).
        now = self.clock()  # one recording moment for everything appended together
        for attempt in range(MAX_CONFLICT_RETRIES):
            where = Whereabouts()
            for claim, rumour_id in (known or {}).items():
                where[claim] = rumour_id
            events, added = self._apply(entries, where, file, now)
            if not added:
                return 0
            try:
                self.save(*events)
            except IntegrityError:
                # Back off a random while, so writers racing for one rumour take turns
                # instead of colliding again at once (up to 64 ms).
                time.sleep(random.uniform(0, 0.001 * 2 ** min(attempt, 6)))
                continue
            except PersistenceError as error:
                raise write_error(error) from None
            return added
        raise LedgerError("too many concurrent writers: gave up after repeated conflicts")

    def _apply(
        self,
        entries: list[Entry],
        where: Where,
        file: str,
        now: datetime,
    ) -> tuple[list[Any], int]:
        """The new events, in the order of the entries (as an import stores them), and how
        many entries added one."""
        aggregates: dict[uuid.UUID, Any] = {}
        names: dict[AliasKind, dict[str, str]] = {}
        events: list[Any] = []
        added = 0
        for entry in entries:
            aggregate, changed = self._apply_entry(entry, aggregates, names, where, file, now)
            added += changed
            events.extend(aggregate.collect_events())
        return events, added

    def _apply_entry(
        self,
        entry: Entry,
        aggregates: dict[uuid.UUID, Any],
        names: dict[AliasKind, dict[str, str]],
        where: Where,
        file: str,
        now: datetime,
        absent: set[uuid.UUID] | frozenset[uuid.UUID] = frozenset(),
    ) -> tuple[Rumour | Alias, bool]:
        """Apply one entry to its aggregate; the aggregate, and whether anything changed."""
        try:
            if isinstance(entry.item, AliasDeclaration | AliasRemoval):
                return self._apply_alias(entry, aggregates, names, now)
            if isinstance(entry.item, Recasting | Hiding):
                return self._apply_recast(entry, entry.item, aggregates, where, now, absent)
            rumour = self._rumour_for(entry, aggregates, where, now, absent)
            earlier = where.first_use(entry.id.int)
            if earlier is not None and earlier[0] != rumour.id:
                raise ReusedId(entry.id, _first_use(earlier[1]))
            try:
                changed = self._apply_one(rumour, entry, now)
            except ReusedId:
                raise ReusedId(entry.id, _first_use(earlier[1] if earlier else 0)) from None
            if earlier is None:
                where.place(entry.id.int, rumour.id, entry.line)
            return rumour, changed
        except LedgerError as error:
            if entry.line:
                raise ImportFailed(file, entry.line, str(error)) from None
            raise

    def _apply_alias(
        self,
        entry: Entry,
        aggregates: dict[uuid.UUID, Any],
        names: dict[AliasKind, dict[str, str]],
        now: datetime,
    ) -> tuple[Alias, bool]:
        item = entry.item
        assert isinstance(item, AliasDeclaration | AliasRemoval)
        if item.kind not in names:
            names[item.kind] = dict(self.aliases(item.kind))
        in_force = names[item.kind]
        alias = aggregates.get(item.alias_id) or self._alias(item.alias_id)
        who, when = self._who(entry), entry.recorded_at or now
        if isinstance(item, AliasRemoval):
            if alias is None:
                raise UnknownName(f"{item.name!r} is not an alias of any {item.kind} name")
            changed = alias.remove(who, when, entry.event_id)
            in_force.pop(name_key(item.name), None)
        elif alias is not None and entry.event_id is not None and alias.holds(entry.event_id):
            changed = False
        else:
            check_no_cycle(in_force, item.name, item.canonical)
            if alias is None:
                alias = Alias.declare(
                    item.kind, item.name, item.canonical, who, when, entry.event_id
                )
                changed = True
            else:
                changed = alias.redeclare(item.canonical, who, when, entry.event_id)
            in_force[name_key(item.name)] = name_key(item.canonical)
        aggregates[item.alias_id] = alias
        return alias, changed

    def _apply_recast(
        self,
        entry: Entry,
        item: Recasting | Hiding,
        aggregates: dict[uuid.UUID, Any],
        where: Where,
        now: datetime,
        absent: set[uuid.UUID] | frozenset[uuid.UUID],
    ) -> tuple[Rumour, bool]:
        """Recast (or hide, or unhide) a rumour already recorded (here, or earlier in the
        same import)."""
        if entry.event_id is not None:
            # One id, one entry: a recast given a claim's id (of this file or the ledger)
            # would be stored, and verify would then find the id twice.
            earlier = where.first_use(entry.event_id.int)
            if earlier is not None or self.holders([entry.event_id]):
                raise ReusedId(entry.event_id, _first_use(earlier[1] if earlier else 0))
        rumour_id = item.move.rumour_id
        rumour = aggregates.get(rumour_id)
        if rumour is None and rumour_id not in absent:
            rumour = self.rumour(rumour_id)
        if rumour is None:
            raise UnknownEvent(f"no rumour {item.move.label!r} in the ledger")
        aggregates[rumour_id] = rumour
        who, when = self._who(entry), entry.recorded_at or now
        if isinstance(item, Hiding):
            changed = rumour.hide(item, who, when, entry.event_id)
        else:
            changed = rumour.recast(item, who, when, entry.event_id)
        return rumour, changed

    def _alias(self, alias_id: uuid.UUID) -> Alias | None:
        try:
            return self.repository.get(alias_id)
        except AggregateNotFoundError:
            return None

    def _rumour_for(
        self,
        entry: Entry,
        rumours: dict[uuid.UUID, Any],
        where: Where,
        now: datetime,
        absent: set[uuid.UUID] | frozenset[uuid.UUID] = frozenset(),
    ) -> Rumour:
        """The entry's rumour: touched already, else loaded, else opened (`absent`: known new)."""
        item = entry.item
        if isinstance(item, Retraction):
            rumour_id = where.get(item.retracts.int) or self.locate(item.retracts)
            if rumour_id is None:
                raise UnknownEvent(f"retracts: no claim with id {item.retracts}")
        elif isinstance(item, Restoration):
            rumour_id = where.get(item.restores.int) or self.locate(item.restores)
            if rumour_id is None:
                raise UnknownEvent(f"restores: no retraction with id {item.restores}")
        else:
            rumour_id = item.move.rumour_id
        if rumour_id not in rumours:
            found = None if rumour_id in absent else self.rumour(rumour_id)
            if found is None:
                assert isinstance(item, Claim)
                found = Rumour.open(item.move, self._who(entry), entry.recorded_at or now)
            rumours[rumour_id] = found
        return rumours[rumour_id]

    def _apply_one(self, rumour: Rumour, entry: Entry, now: datetime) -> bool:
        when = entry.recorded_at or now
        if isinstance(entry.item, Retraction):
            return rumour.retract(entry.item, self._who(entry), when, entry.id)
        if isinstance(entry.item, Restoration):
            return rumour.restore(entry.item, self._who(entry), when, entry.id)
        return rumour.record(entry.item, self._who(entry), when, entry.id)

    def _who(self, entry: Entry) -> str:
        return entry.recorded_by or self.user

    def export_entries(
        self, batch: int = 5_000, known_at: datetime | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every claim, retraction, alias and recast in the order it was recorded, as
        interchange objects; with known_at, only those recorded by then: what a ledger that
        had received nothing later would export."""
        moves: dict[uuid.UUID, dict[str, Any]] = {}
        start = 1
        while True:
            notifications = self.recorder.select_notifications(start, batch)
            if not notifications:
                return
            for notification in notifications:
                event = self.mapper.to_domain_event(notification)
                line = export_line(event, moves)  # an opening's move is noted whenever
                if line is not None and (known_at is None or event.timestamp <= known_at):
                    yield line
            start = notifications[-1].id + 1

    def roles_known_at(self, known_at: datetime) -> dict[str, str]:
        """The role each rumour recast since known_at had then, keyed by its 32 hex digits:
        the read models keep only a rumour's latest role, and a recast is rare enough that
        reading them all (only them) is cheap."""
        then: dict[str, str] = {}
        changed: set[str] = set()
        start = 1
        while True:
            notifications = self.recorder.select_notifications(
                start, 5_000, topics=(Rumour.Recast.TOPIC,)
            )
            if not notifications:
                break
            for notification in notifications:
                event = self.mapper.to_domain_event(notification)
                key = event.originator_id.hex
                if event.timestamp <= known_at:
                    then[key] = event.role
                else:
                    changed.add(key)
            start = notifications[-1].id + 1
        return {
            key: then.get(key) or self.repository.get(uuid.UUID(key), version=1).role
            for key in changed
        }


def _target(item: object) -> uuid.UUID | None:
    """The entry an entry withdraws (a retraction's claim, a restoration's retraction)."""
    if isinstance(item, Retraction):
        return item.retracts
    if isinstance(item, Restoration):
        return item.restores
    return None


def _first_use(line: int) -> str:
    return f"first used on line {line}" if line else "already in the ledger"


def export_line(event: Any, moves: dict[uuid.UUID, dict[str, Any]]) -> dict[str, Any] | None:
    """The interchange object for one stored event (None for a rumour's opening)."""
    if isinstance(event, Alias.Declared | Alias.Redeclared | Alias.Removed):
        return _alias_line(event, moves)
    if isinstance(event, Rumour.Opened):
        moves[event.originator_id] = {
            "subject": event.subject,
            "from": event.from_,
            "to": event.to,
            "role": event.role,
        }
        return None
    recorded = {
        "recorded_by": event.recorded_by,
        "recorded_at": event.timestamp.astimezone(UTC).isoformat(),
    }
    if isinstance(event, Rumour.Recast):
        move = moves[event.originator_id]
        return {
            "type": "recast",
            "id": str(event.event_id),
            "subject": move["subject"],
            "from": move["from"],
            "to": move["to"],
            "role": event.role,
            "reason": event.reason,
            **recorded,
        }
    if isinstance(event, Rumour.Hidden | Rumour.Unhidden):
        move = moves[event.originator_id]
        return {
            "type": "hide" if isinstance(event, Rumour.Hidden) else "unhide",
            "id": str(event.event_id),
            "subject": move["subject"],
            "from": move["from"],
            "to": move["to"],
            "reason": event.reason,
            **recorded,
        }
    if isinstance(event, Rumour.Restored):
        return {
            "type": RESTORATION,
            "id": str(event.claim_id),
            "restores": str(event.restores),
            "reason": event.reason,
            **recorded,
        }
    if isinstance(event, Rumour.Retracted):
        return {
            "type": Kind.RETRACTION.value,
            "id": str(event.claim_id),
            "retracts": str(event.retracts),
            "reason": event.reason,
            "date": event.published.isoformat(),
            **recorded,
        }
    move = moves[event.originator_id]
    return {
        "type": event.KIND.value,
        "id": str(event.claim_id),
        **move,
        # The claim's own role, in the move's place among the keys; one stored before
        # claims kept a role has none and reads as its rumour's.
        "role": event.role or move["role"],
        "source": event.source,
        "cites": event.cites,
        "official": event.official,
        "date": event.published.isoformat(),
        "claim": event.claim,
        "url": event.url,
        # Only a correction has the key: every export of claims that amend nothing reads
        # as it did before amendments existed.
        **({} if event.amends is None else {"amends": str(event.amends)}),
        **recorded,
    }


def _alias_line(event: Any, names: dict[uuid.UUID, dict[str, Any]]) -> dict[str, Any]:
    if isinstance(event, Alias.Declared):
        names[event.originator_id] = {"kind": event.kind, "name": event.name}
    recorded = {
        "recorded_by": event.recorded_by,
        "recorded_at": event.timestamp.astimezone(UTC).isoformat(),
    }
    if isinstance(event, Alias.Removed):
        return {
            "type": "unalias",
            "id": str(event.event_id),
            **names[event.originator_id],
            **recorded,
        }
    return {
        "type": "alias",
        "id": str(event.event_id),
        **names[event.originator_id],
        "canonical": event.canonical,
        **recorded,
    }
