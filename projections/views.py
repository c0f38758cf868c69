"""Questions the claims read model answers: which rumours there are, and what was said of one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select

from rumour_ledger.ledger.aliases import AliasKind
from rumour_ledger.ledger.claim_csv import CSV_COLUMNS
from rumour_ledger.ledger.claims import RESTORATION
from rumour_ledger.ledger.errors import AmbiguousRumour, UnknownEvent, UnknownRumour
from rumour_ledger.ledger.names import name_key
from rumour_ledger.projections.aliases import Names, names_in_force
from rumour_ledger.projections.claim_rows import naive_utc
from rumour_ledger.projections.retracted import is_claim, retracted_ids, retracted_then
from rumour_ledger.projections.tables import claims, rumours

SHORT_ID = 8


@dataclass(frozen=True, slots=True)
class RumourRef:
    """A rumour as the user names it."""

    id: str
    subject: str
    from_: str | None
    to: str | None
    role: str
    label: str

    @property
    def uuid(self) -> uuid.UUID:
        return uuid.UUID(self.id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.uuid),
            "subject": self.subject,
            "from": self.from_,
            "to": self.to,
            "role": self.role,
            "label": self.label,
        }


def _ref(row: Any) -> RumourRef:
    return RumourRef(row.id, row.subject, row.from_club, row.to_club, row.role, row.label)


def _retracted(known_at: datetime | None) -> Any:
    """The entry was retracted: now, or by the recording time known_at."""
    return retracted_then(known_at)


def entry_window(as_of: date | None, known_at: datetime | None) -> list[Any]:
    """Entries published by as_of and recorded by known_at (each only when given)."""
    where = []
    if as_of is not None:
        where.append(claims.c.published <= as_of)
    if known_at is not None:
        where.append(claims.c.recorded_at <= naive_utc(known_at))
    return where


def _counted(kind: str, known_at: datetime | None) -> Any:
    live = and_(claims.c.kind == kind, ~_retracted(known_at))
    return func.coalesce(func.sum(case((live, 1), else_=0)), 0)


def rumour_list(
    conn: Connection, as_of: date | None = None, known_at: datetime | None = None
) -> list[dict[str, Any]]:
    """Every rumoured move with counts of live reports, denials, confirmations and its latest
    claim; stored rumours that the aliases in force make one move are one row, as on the
    board (its earliest stored rumour names it, `merged` lists the others).

    As of a day, or as known at a time, a move is listed once it has an entry by then, and
    counts what was published and recorded by then (a claim retracted later still counts)."""
    from rumour_ledger.projections.evidence import Catalogue

    window = entry_window(as_of, known_at)
    live_claim = and_(is_claim(), ~_retracted(known_at))
    query = (
        select(
            rumours,
            _counted("report", known_at).label("reports"),
            _counted("denial", known_at).label("denials"),
            _counted("confirmation", known_at).label("confirmations"),
            _counted("collapse", known_at).label("collapses"),
            func.max(case((live_claim, claims.c.published))).label("last_claim"),
        )
        .select_from(rumours.outerjoin(claims, and_(claims.c.rumour_id == rumours.c.id, *window)))
        .group_by(rumours.c.id)
    )
    if window:
        query = query.having(func.count(claims.c.id) > 0)
    from rumour_ledger.projections.hidden import hidden_rumours

    hidden = hidden_rumours(conn, known_at)
    rows = [row for row in conn.execute(query).all() if row.id not in hidden]
    moves = Catalogue(rows, names_in_force(conn, known_at)).moves.values()
    listed = []
    for move in moves:
        days = [m.last_claim for m in move.members if m.last_claim is not None]
        listed.append(
            {
                **_ref(move.ref).to_dict(),
                "reports": sum(int(m.reports) for m in move.members),
                "denials": sum(int(m.denials) for m in move.members),
                "confirmations": sum(int(m.confirmations) for m in move.members),
                "collapses": sum(int(m.collapses) for m in move.members),
                "last_claim": _iso(max(days)) if days else None,
                "merged": [str(uuid.UUID(m.id)) for m in move.members[1:]],
            }
        )
    return sorted(listed, key=lambda r: (name_key(r["subject"]), r["label"]))


def rumour_history(
    conn: Connection,
    rumour: RumourRef,
    as_of: date | None = None,
    known_at: datetime | None = None,
) -> list[dict[str, Any]]:
    """Every event of one rumoured move in published-date order, retracted ones marked: the
    claims of every stored rumour that the aliases in force make the same move; as of a day
    and as known at a time when given."""
    from rumour_ledger.projections.evidence import catalogue

    names = names_in_force(conn, known_at)
    row = conn.execute(select(rumours).where(rumours.c.id == rumour.id)).one()
    move = catalogue(conn, names, related_to=row).of(rumour.id)
    query = (
        select(claims)
        .where(claims.c.rumour_id.in_(move.ids), *entry_window(as_of, known_at))
        .order_by(claims.c.published, claims.c.position)
    )
    rows = conn.execute(query).all()
    return with_amends(conn, [event_dict(row, known_at, conn) for row in rows])


def with_amends(conn: Connection, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries (event_dict), each with `amends`: the id of the claim it corrects, if it
    is an amendment's corrected claim, else None."""
    from rumour_ledger.projections.tables import amendments, chunked

    wanted = [uuid.UUID(e["id"]).hex for e in entries if e["type"] != "retraction"]
    found: dict[str, str] = {}
    for ids in chunked(wanted):
        query = select(amendments.c.id, amendments.c.amends).where(amendments.c.id.in_(ids))
        found.update((row.id, row.amends) for row in conn.execute(query))
    return [{**e, "amends": _dashed(found.get(uuid.UUID(e["id"]).hex))} for e in entries]


def _dashed(hex_id: str | None) -> str | None:
    return None if hex_id is None else str(uuid.UUID(hex_id))


def event_dict(
    row: Any, known_at: datetime | None = None, conn: Connection | None = None
) -> dict[str, Any]:
    """One stored entry as plain data, in the interchange format's words; retracted as the
    ledger held it at known_at, when given (asking conn, for an entry ever retracted: it
    may have been restored since)."""
    if known_at is not None and conn is not None and row.retracted_at is not None:
        retracted = row.id in retracted_ids(conn, [row], known_at)
    else:
        retracted = row.retracted_by is not None and (
            known_at is None or row.retracted_at <= naive_utc(known_at)
        )
    restoration = row.kind == RESTORATION
    withdrawn = str(uuid.UUID(row.retracts)) if row.retracts else None
    return {
        "id": str(uuid.UUID(row.id)),
        "type": row.kind,
        "source": row.source,
        "cites": row.cites,
        "official": bool(row.official),
        "date": _iso(row.published),
        "claim": row.claim,
        "url": row.url,
        "recorded_by": row.recorded_by,
        "recorded_at": _iso(row.recorded_at),
        "retracts": None if restoration else withdrawn,
        "restores": withdrawn if restoration else None,
        "reason": row.reason,
        "retracted": retracted,
        # As the ledger stood then: the retraction standing at known_at, not one since.
        "retracted_by": _retraction_then(conn, row, known_at) if retracted else None,
    }


def _retraction_then(conn: Connection | None, row: Any, known_at: datetime | None) -> str | None:
    """The id of the retraction standing against this entry at known_at."""
    if row.retracted_by is not None and (
        known_at is None or conn is None or row.retracted_at <= naive_utc(known_at)
    ):
        return str(uuid.UUID(row.retracted_by))
    if conn is None or known_at is None:
        return None
    then = naive_utc(known_at)
    query = (
        select(claims.c.id)
        .where(
            claims.c.kind == "retraction",
            claims.c.retracts == row.id,
            claims.c.recorded_at <= then,
            or_(claims.c.retracted_at.is_(None), claims.c.retracted_at > then),
        )
        .order_by(claims.c.position.desc())
        .limit(1)
    )
    found = conn.execute(query).scalar()
    return None if found is None else str(uuid.UUID(found))


def with_dashed_ids(explained: dict[str, Any]) -> dict[str, Any]:
    """An explanation (Explanation.to_dict) with its claim ids as every command prints ids:
    UUIDs with dashes. The model keys claims by whatever id it is given."""

    def dashed(claim_id: str) -> str:
        return str(uuid.UUID(claim_id))

    def relay(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "claim_ids": [dashed(i) for i in data["claim_ids"]]}

    contributions = [
        {
            **c,
            "claim_ids": [dashed(i) for i in c["claim_ids"]],
            "counted_claim_id": dashed(c["counted_claim_id"]),
            "relays": [relay(r) for r in c["relays"]],
        }
        for c in explained["contributions"]
    ]
    return {**explained, "contributions": contributions}


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat() + "Z"
    return value.isoformat()


def find_rumour(conn: Connection, query: str) -> RumourRef:
    """A rumour by short id, by 'Subject -> Club', 'Subject: From -> To', 'Subject leaves
    Club', or a subject with only one rumour; otherwise an error with suggestions."""
    text = query.strip()
    found = _by_id_prefix(conn, text) if _looks_like_id(text) else []
    if not found:
        names = names_in_force(conn)
        found = _by_names(conn, text, names, exact=True) or _by_names(
            conn, text, names, exact=False
        )
    if len(found) > 1:
        found = _from_nowhere(found, text) or _shown(conn, found) or found
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise AmbiguousRumour(query, [r.label for r in found])
    raise UnknownRumour(query, suggest(conn, text))


def _shown(conn: Connection, found: list[RumourRef]) -> list[RumourRef]:
    """Of several rumours a text matches, those not hidden (a hidden one is still named by
    its id or its very label, as `unhide` must name it)."""
    from rumour_ledger.projections.hidden import hidden_rumours

    hidden = hidden_rumours(conn)
    return [ref for ref in found if ref.id not in hidden]


def _from_nowhere(found: list[RumourRef], text: str) -> list[RumourRef]:
    """Of several rumours 'Subject -> Club' matches, the one that text is the very label
    of: the rumour without a from club (else it could never be named by its own label)."""
    _subject, from_, _to, no_to = parse_move_text(text)
    if "->" not in text or from_ is not None or no_to:
        return []
    own = [ref for ref in found if ref.from_ is None]
    return own if len(own) == 1 else []


def _looks_like_id(text: str) -> bool:
    bare = text.replace("-", "").lower()
    return 4 <= len(bare) <= 32 and all(c in "0123456789abcdef" for c in bare)


def _by_id_prefix(conn: Connection, text: str) -> list[RumourRef]:
    prefix = text.replace("-", "").lower()
    query = select(rumours).where(rumours.c.id >= prefix, rumours.c.id < prefix + "g").limit(10)
    return [_ref(row) for row in conn.execute(query)]


def parse_move_text(text: str) -> tuple[str, str | None, str | None, bool]:
    """Split 'S: F -> T', 'S -> T', 'S leaves F' into keys; the flag says a
    missing 'to' was asked for explicitly."""
    if "->" in text:
        left, right = (part.strip() for part in text.split("->", 1))
        subject, _, from_ = left.partition(":")
        to = right or None
        return (
            name_key(subject),
            name_key(from_) if from_.strip() else None,
            (name_key(to) if to and to != "?" else None),
            to in (None, "?"),
        )
    subject, sep, from_ = text.partition(" leaves ")
    if sep:
        return name_key(subject), name_key(from_), None, True
    return name_key(text), None, None, False


def _by_names(conn: Connection, text: str, names: Names, *, exact: bool) -> list[RumourRef]:
    """Rumours whose names equal (through the aliases in force) or, failing that, contain
    the names typed; several stored rumours of one aliased move count as one."""
    subject, from_, to, no_to = parse_move_text(text)

    def matches(column: Any, key: str) -> Any:
        if exact:
            kind = AliasKind.PERSON if column is rumours.c.subject_key else AliasKind.CLUB
            return column.in_(names.aliases_of(kind, names.resolve(kind, key)))
        escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return column.like(f"%{escaped}%", escape="\\")

    if not subject:
        return []
    conditions = [matches(rumours.c.subject_key, subject)]
    if from_ is not None:
        conditions.append(matches(rumours.c.from_key, from_))
    if to is not None:
        conditions.append(matches(rumours.c.to_key, to))
    elif no_to:
        conditions.append(rumours.c.to_key.is_(None))
    rows = conn.execute(select(rumours).where(*conditions).order_by(rumours.c.position).limit(20))
    moves: dict[tuple[Any, ...], RumourRef] = {}
    for row in rows:
        key = (names.person(row.subject_key), names.club(row.from_key), names.club(row.to_key))
        moves.setdefault(key, _ref(row))
    return list(moves.values())


def suggest(conn: Connection, text: str, limit: int = 3) -> list[str]:
    """The closest known rumour labels and subjects, accent- and case-insensitive."""
    from rapidfuzz import fuzz, process, utils

    from rumour_ledger.projections.hidden import hidden_rumours

    hidden = hidden_rumours(conn)
    rows = conn.execute(select(rumours.c.id, rumours.c.label))
    labels = [row.label for row in rows if row.id not in hidden]
    matches = process.extract(
        name_key(text),
        {label: name_key(label) for label in labels},
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=60,
    )
    return [label for _key, _score, label in matches]


def locate_claim(conn: Connection, claim_id: uuid.UUID) -> uuid.UUID | None:
    """The rumour that holds a claim, by the claim's full id."""
    row = conn.execute(select(claims.c.rumour_id).where(claims.c.id == claim_id.hex)).first()
    return None if row is None else uuid.UUID(row.rumour_id)


def claim_holders(conn: Connection, claim_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Which of these claim and retraction ids the read model holds, and in which rumour."""
    found: dict[uuid.UUID, uuid.UUID] = {}
    wanted = sorted({claim_id.hex for claim_id in claim_ids})
    for start in range(0, len(wanted), 1_000):  # well inside every driver's parameter limit
        rows = conn.execute(
            select(claims.c.id, claims.c.rumour_id).where(
                claims.c.id.in_(wanted[start : start + 1_000])
            )
        )
        found.update((uuid.UUID(row.id), uuid.UUID(row.rumour_id)) for row in rows)
    return found


def find_event_id(conn: Connection, text: str) -> uuid.UUID:
    """A full event id from a unique prefix of at least four hex digits."""
    prefix = text.strip().replace("-", "").lower()
    if not _looks_like_id(prefix):
        raise UnknownEvent(f"{text!r} is not an event id")
    rows = conn.execute(
        select(claims.c.id)
        .where(
            or_(
                claims.c.id == prefix,
                and_(claims.c.id >= prefix, claims.c.id < prefix + "g"),
            )
        )
        .limit(2)
    ).all()
    if not rows:
        raise UnknownEvent(f"no event with id {text!r} in the ledger")
    if len(rows) > 1:
        raise UnknownEvent(f"{text!r} matches several events: give more of the id")
    return uuid.UUID(rows[0].id)


def retracted_claim(conn: Connection, retraction_id: uuid.UUID) -> uuid.UUID | None:
    """The claim a retraction withdraws; None if the id is no retraction's."""
    query = select(claims.c.retracts).where(
        claims.c.id == retraction_id.hex, claims.c.kind == "retraction"
    )
    found = conn.execute(query).scalar()
    return None if found is None else uuid.UUID(found)


def claim_table(
    conn: Connection,
    known_at: datetime | None = None,
    roles_then: Mapping[str, str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every claim as one flat row, in recorded order, for spreadsheets; with known_at, the
    claims recorded by then, retracted as the ledger held them then, each rumour in the role
    roles_then gives it (Application.roles_known_at: the ones recast since)."""
    roles_then = roles_then or {}
    recorded = [] if known_at is None else [claims.c.recorded_at <= naive_utc(known_at)]
    query = (
        select(claims, rumours.c.subject, rumours.c.from_club, rumours.c.to_club, rumours.c.role)
        .join(rumours, rumours.c.id == claims.c.rumour_id)
        .where(is_claim(), *recorded)
        .order_by(claims.c.position)
    )
    for row in conn.execute(query):
        event = event_dict(row, known_at, conn)
        event["official"] = "true" if event["official"] else "false"
        event["retracted"] = "true" if event["retracted"] else "false"
        yield {
            **{k: event[k] for k in CSV_COLUMNS if k in event},
            "subject": row.subject,
            "from": row.from_club,
            "to": row.to_club,
            "role": roles_then.get(row.rumour_id, row.role),
        }
