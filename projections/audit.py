"""The audit: who claimed what, how each rumour turned out, and each source's track record."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, or_, select, union_all

from rumour_ledger.ledger.aliases import AliasKind
from rumour_ledger.ledger.errors import UnknownName
from rumour_ledger.ledger.names import name_key
from rumour_ledger.projections import records as track
from rumour_ledger.projections import reliability
from rumour_ledger.projections.aliases import Names
from rumour_ledger.projections.board import Weighing, weigh, weigh_move, weigh_moves
from rumour_ledger.projections.claims import naive_utc
from rumour_ledger.projections.evidence import Moment, MoveKey, live, names_at
from rumour_ledger.projections.likelihood import Settings
from rumour_ledger.projections.retracted import is_claim
from rumour_ledger.projections.tables import aliases, claims, hidings, rumours
from rumour_ledger.projections.views import RumourRef, entry_window, event_dict, with_amends

SORTS = ("reliability", "claims", "brier")
TOO_FEW = 5  # fewer scored calls than this is "not enough data"


def outcome_word(weighing: Weighing, key: MoveKey) -> str:
    move = weighing.found.moves.get(key)
    evidence = weighing.evidence.get(key, [])
    if move is None or not evidence:
        return "open"
    result = track.outcome(move, evidence, weighing.rivals, weighing.moment.as_of)
    if result is None:
        return "open"
    return "happened" if result.happened else "did not happen"


def known_sources(conn: Connection) -> dict[str, str]:
    """Every source name the ledger has seen (as a source or cited), by key."""
    names: dict[str, str] = {}
    query = union_all(
        select(claims.c.source_key.label("key"), claims.c.source.label("name")).where(
            claims.c.source_key.is_not(None)
        ),
        select(claims.c.cites_key, claims.c.cites).where(claims.c.cites_key.is_not(None)),
    )
    for row in conn.execute(query):
        names.setdefault(row.key, row.name)
    return names


def resolve_source(conn: Connection, names: Names, name: str) -> tuple[str, list[str]]:
    """The canonical key of a source and every spelling of it; unknown names get suggestions."""
    canonical = names.source(name_key(name))
    spellings = names.aliases_of(AliasKind.SOURCE, canonical)
    if _shown_name(conn, spellings) is None:
        raise UnknownName(_unknown("source", name, list(known_sources(conn).values())))
    return canonical, spellings


def _shown_name(conn: Connection, spellings: list[str]) -> str | None:
    """The name the earliest claim by or citing one of these spellings wrote, if any."""
    c = claims.c
    by = select(c.source.label("name"), c.position).where(c.source_key.in_(spellings))
    citing = select(c.cites.label("name"), c.position).where(c.cites_key.in_(spellings))
    first = [conn.execute(query.order_by(c.position).limit(1)).first() for query in (by, citing)]
    found = [row for row in first if row is not None]
    return min(found, key=lambda row: row.position).name if found else None


def _unknown(kind: str, name: str, candidates: list[str]) -> str:
    from rapidfuzz import fuzz, process

    matches = process.extract(
        name_key(name),
        {c: name_key(c) for c in candidates},
        scorer=fuzz.WRatio,
        limit=3,
        score_cutoff=60,
    )
    message = f"no {kind} named {name!r} in the ledger"
    if matches:
        message += "; did you mean " + ", ".join(repr(m[2]) for m in matches) + "?"
    return message


def source_audit(conn: Connection, name: str, moment: Moment, settings: Settings) -> dict[str, Any]:
    """Every claim by a source and every relay of it, in date order, with its track record.

    Its calls are all on the moves of these claims, so only those moves are read."""
    names = names_at(conn, moment)
    canonical, spellings = resolve_source(conn, names, name)
    settings = reliability.with_outcomes(conn, moment, settings)
    query = (
        select(claims, rumours.c.label)
        .join(rumours, rumours.c.id == claims.c.rumour_id)
        .where(
            is_claim(),
            *entry_window(moment.as_of, moment.known_at),
            or_(claims.c.source_key.in_(spellings), claims.c.cites_key.in_(spellings)),
        )
        .order_by(claims.c.published, claims.c.position)
    )
    rows = conn.execute(query).all()
    weighing = weigh_moves(conn, moment, settings, [row.rumour_id for row in rows])
    own, relayed = [], []
    outcomes: dict[MoveKey, str] = {}
    for row in rows:
        key = weighing.found.key_of[row.rumour_id]
        if key not in outcomes:
            outcomes[key] = outcome_word(weighing, key)
        entry = {
            **event_dict(row, moment.known_at, conn),
            "rumour": row.label,
            "rumour_id": str(uuid.UUID(row.rumour_id)),
            "outcome": outcomes[key],
        }
        (own if row.source_key in spellings else relayed).append(entry)
    found = weighing.found.moves
    calls = track.all_calls(found, weighing.evidence, weighing.rivals, moment.as_of, settings)
    theirs = sorted((c for c in calls if c.source_key == canonical), key=_call_order)
    record = track.records(theirs, settings).get(canonical) or track.Record(canonical, name)
    if not record.calls:
        record.prior = record.reliability = settings.reliability_for(canonical)
    shown = _shown_name(conn, [canonical]) or names.canonical_name(
        AliasKind.SOURCE, canonical, name
    )
    return {
        "source": shown,
        "aliases": [s for s in spellings if s != canonical],
        "as_of": moment.as_of.isoformat(),
        "claims": own,
        "relayed_by_others": relayed,
        "track_record": {
            **record.to_dict(),
            "source": shown,
            "enough_data": len(record.calls) >= TOO_FEW,
        },
        "calls": [_call_dict(c) for c in record.calls],
        "relayed_calls": [_call_dict(c) for c in record.relay_calls],
    }


def _call_order(call: track.Call) -> tuple[Any, ...]:
    return (call.published, call.label, call.claim_id, call.relayed)


def _call_dict(call: track.Call) -> dict[str, Any]:
    return {
        "rumour": call.label,
        "stance": call.kind,
        "date": call.published.isoformat(),
        "claim_id": str(uuid.UUID(call.claim_id)),
        "outcome": "happened" if call.happened else "did not happen",
        "resolved_on": call.resolved_on.isoformat(),
        "right": call.right,
    }


def rumour_audit(
    conn: Connection, ref: RumourRef, moment: Moment, settings: Settings
) -> dict[str, Any]:
    """Who said what about one move, grouped by origin with relays, and who was right."""
    weighing = weigh_move(conn, ref, moment, settings)
    move = weighing.found.of(ref.id)
    rows = conn.execute(
        select(claims)
        .where(claims.c.rumour_id.in_(move.ids), *entry_window(moment.as_of, moment.known_at))
        .order_by(claims.c.published, claims.c.position)
    ).all()
    names = weighing.found.names
    by_origin: dict[str, dict[str, Any]] = {}
    listed = with_amends(conn, [event_dict(row, moment.known_at, conn) for row in rows])
    shown = {row.id: entry for row, entry in zip(rows, listed, strict=True)}
    reports = [r for r in rows if r.kind == "report" and not shown[r.id]["retracted"]]
    denials = [r for r in rows if r.kind == "denial" and not shown[r.id]["retracted"]]
    first_report = reports[0].id if reports else None
    last_denial = denials[-1].id if denials else None
    retractions = []
    for row in rows:
        if row.kind == "retraction":
            retractions.append(shown[row.id])
            continue
        origin_key = names.source(row.cites_key or row.source_key)
        relay = names.source(row.source_key) != origin_key
        group = by_origin.setdefault(
            origin_key,
            {"origin": row.cites if relay else row.source, "claims": [], "relays": []},
        )
        entry = {
            **shown[row.id],
            "first_to_report": row.id == first_report,
            "last_to_deny": row.id == last_denial,
        }
        group["relays" if relay else "claims"].append(entry)
    result = track.outcome(move, weighing.evidence.get(move.key, []), weighing.rivals, moment.as_of)
    verdicts: dict[str, track.Call] = {}
    if result is not None:
        for call in track.calls_on(move, weighing.evidence.get(move.key, []), result, settings):
            if not call.relayed:
                verdicts[call.source_key] = call
    for key, group in by_origin.items():
        call = verdicts.get(key)
        group["turned_out_right"] = None if call is None else call.right
        group["scored_claim"] = None if call is None else str(uuid.UUID(call.claim_id))
    return {
        "rumour": ref.to_dict(),
        "merged": [str(uuid.UUID(i)) for i in move.ids if i != ref.id],
        "as_of": moment.as_of.isoformat(),
        "outcome": "open"
        if result is None
        else ("happened" if result.happened else "did not happen"),
        "resolved_on": None if result is None else result.resolved_on.isoformat(),
        "resolved_by": None if result is None else result.by,
        "origins": list(by_origin.values()),
        "retractions": retractions,
    }


def league(
    conn: Connection, moment: Moment, settings: Settings, sort: str = "reliability"
) -> list[dict[str, Any]]:
    """Every source with its claims and track record as of the moment."""
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    names = names_at(conn, moment)
    counts, shown = _claims_by_source(conn, moment, names)
    settings, tallies = _tallies(conn, moment, settings)
    table = []
    for key, counted in counts.items():
        prior = settings.reliability_for(key)
        tally = tallies.get(key) or track.Tally(0, 0, 0, 0, 0, prior, prior)
        table.append(
            {
                "source": shown[key],
                **tally.to_dict(),
                **counted,
                "reliability": tally.reliability if tally.scored else prior,
                "prior_reliability": prior,
                "enough_data": tally.scored >= TOO_FEW,
            }
        )
    order = {
        "reliability": lambda r: (-r["reliability"], -r["claims"], r["source"]),
        "claims": lambda r: (-r["claims"], -r["reliability"], r["source"]),
        "brier": lambda r: (r["brier"] is None, r["brier"] or 0.0, -r["claims"], r["source"]),
    }
    return sorted(table, key=order[sort])


def _tallies(
    conn: Connection, moment: Moment, settings: Settings
) -> tuple[Settings, dict[str, track.Tally]]:
    """The settings with the ledger's outcomes as of the moment, and every scored source's
    record: from the calls model as the ledger stands now, or worked out from the claims as
    it stood at a past recording time."""
    if moment.known_at is None:
        settings = reliability.with_outcomes(conn, moment, settings)
        return settings, reliability.tallies_on(conn, moment.as_of, settings)
    weighing = weigh(conn, moment, settings)
    settings = replace(settings, outcomes=weighing.settings.outcomes)
    return settings, {key: record.tally() for key, record in weighing.records.items()}


def _claims_by_source(
    conn: Connection, moment: Moment, names: Names
) -> tuple[dict[str, dict[str, int]], dict[str, str]]:
    """Each source's claims and the relays of it by others, and the name it is shown
    under: the name of its earliest claim, as it was written there."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"claims": 0, "relayed_by_others": 0})
    shown: dict[str, str] = {}
    c = claims.c
    # Grouped in the database: a million claims come back as their distinct spellings.
    query = (
        select(c.source, c.source_key, c.cites, c.cites_key, func.count(), func.min(c.position))
        .where(live(moment))
        .group_by(c.source, c.source_key, c.cites, c.cites_key)
        .order_by(func.min(c.position))
    )
    for row in conn.execute(query):
        source = names.source(row.source_key)
        counts[source]["claims"] += row[4]
        shown.setdefault(source, row.source)
        if row.cites_key is not None:
            origin = names.source(row.cites_key)
            if origin != source:
                counts[origin]["relayed_by_others"] += row[4]
                shown.setdefault(origin, row.cites)
    return counts, shown


def audit_log(
    conn: Connection,
    since: datetime | None = None,
    recorded_by: str | None = None,
    known_at: datetime | None = None,
) -> list[dict[str, Any]]:
    """The raw trail of entries in recorded order: claims, retractions, restorations, hides
    and aliases; with known_at, those recorded by then, each retracted as it stood then."""
    entries = []
    claim_query = select(claims, rumours.c.label).join(rumours, rumours.c.id == claims.c.rumour_id)
    alias_query = select(aliases)
    hiding_query = select(hidings, rumours.c.label).join(
        rumours, rumours.c.id == hidings.c.rumour_id
    )
    if since is not None:
        claim_query = claim_query.where(claims.c.recorded_at >= naive_utc(since))
        alias_query = alias_query.where(aliases.c.recorded_at >= naive_utc(since))
        hiding_query = hiding_query.where(hidings.c.recorded_at >= naive_utc(since))
    if recorded_by is not None:
        claim_query = claim_query.where(claims.c.recorded_by == recorded_by)
        alias_query = alias_query.where(aliases.c.recorded_by == recorded_by)
        hiding_query = hiding_query.where(hidings.c.recorded_by == recorded_by)
    if known_at is not None:
        then = naive_utc(known_at)
        claim_query = claim_query.where(claims.c.recorded_at <= then)
        alias_query = alias_query.where(aliases.c.recorded_at <= then)
        hiding_query = hiding_query.where(hidings.c.recorded_at <= then)
    for row in conn.execute(claim_query):
        entries.append((row.position, {**event_dict(row, known_at, conn), "rumour": row.label}))
    for row in conn.execute(hiding_query):
        entries.append(
            (
                row.position,
                {
                    "id": str(uuid.UUID(row.id)),
                    "type": "hide" if row.hidden else "unhide",
                    "rumour": row.label,
                    "reason": row.reason,
                    "recorded_by": row.recorded_by,
                    "recorded_at": row.recorded_at.isoformat() + "Z",
                },
            )
        )
    for row in conn.execute(alias_query):
        entries.append(
            (
                row.position,
                {
                    "id": str(uuid.UUID(row.id)),
                    "type": row.action,
                    "kind": row.kind,
                    "name": row.name,
                    "canonical": row.canonical,
                    "recorded_by": row.recorded_by,
                    "recorded_at": row.recorded_at.isoformat() + "Z",
                },
            )
        )
    trail = [entry for _position, entry in sorted(entries, key=lambda e: e[0])]
    others = ("alias", "unalias", "hide", "unhide")
    claims_only = with_amends(conn, [e for e in trail if e["type"] not in others])
    amends = {e["id"]: e["amends"] for e in claims_only}
    # Claims and retractions say what they amend (None: nothing); aliases have no such key.
    return [{**e, "amends": amends[e["id"]]} if e["id"] in amends else e for e in trail]


def aliases_in_force(conn: Connection, known_at: datetime | None = None) -> list[dict[str, str]]:
    """Each name that stands for another, and the canonical name it finally resolves to."""
    from rumour_ledger.projections.aliases import declarations_in_force, names_in_force

    names = names_in_force(conn, known_at)
    result = []
    for row in declarations_in_force(conn, known_at):
        kind = AliasKind(row.kind)
        final = names.resolve(kind, row.name_key)
        result.append(
            {
                "kind": row.kind,
                "name": row.name,
                "canonical": row.canonical,
                "resolves_to": names.canonical_name(kind, final, row.canonical),
            }
        )
    return result
