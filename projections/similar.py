"""Sources that may be one outlet under two names, so a desk can join their records.

"Daily Mail" and "Daily Mail (Chris Wheeler)", "BBC" and "BBC Sport", "Sky Sports" and "Sky
Sport" each split one outlet's track record in two. These are suggestions: joining them is
an alias, which a person declares.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from rumour_ledger.ledger.aliases import AliasKind
from rumour_ledger.projections.aliases import names_in_force
from rumour_ledger.projections.claims import naive_utc
from rumour_ledger.projections.retracted import is_claim
from rumour_ledger.projections.tables import claims

# Below this a pair is not shown: fuzz.ratio of "sky sports" and "sky sport" is 95, of "sport"
# and "spox" 67, of "marca" and "mirror" 36.
THRESHOLD = 85
# One name is the other with a journalist or desk added: "daily mail (chris wheeler)".
SAME_OUTLET = 100.0
# One name starts with the other's words: "bbc" and "bbc sport" (but also "sport" and
# "sport bild", two papers: hence below SAME_OUTLET, for a person to judge).
SAME_START = 90.0
_BRACKETED = re.compile(r"\s*[(\[][^)\]]*[)\]]\s*")


def outlet(key: str) -> str:
    """A source's key without what is in brackets: the outlet, not the journalist."""
    return " ".join(_BRACKETED.sub(" ", key).split())


def likeness(a: str, b: str) -> float:
    """How alike two source keys are, 0 to 100, by the rules above."""
    from rapidfuzz import fuzz

    if a == b:
        return SAME_OUTLET
    if outlet(a) and outlet(a) == outlet(b):
        return SAME_OUTLET
    short, long = sorted((outlet(a) or a, outlet(b) or b), key=len)
    if long.startswith(short + " "):
        return SAME_START
    return float(fuzz.ratio(a, b))


def alike_pairs(keys: list[str], threshold: float = THRESHOLD) -> list[tuple[str, str, float]]:
    """Every pair of keys at least `threshold` alike, most alike first; each pair once."""
    from rapidfuzz import fuzz, process

    found: dict[tuple[str, str], float] = {}
    ordered = sorted(keys)
    # Shared starts and shared outlets, by sorting rather than comparing every pair.
    by_outlet: dict[str, list[str]] = defaultdict(list)
    for key in ordered:
        by_outlet[outlet(key) or key].append(key)
    stems = sorted(by_outlet)
    for stem in stems:
        # Names that start with "stem " sort together, right after "stem ".
        start = end = bisect.bisect_left(stems, stem + " ")
        while end < len(stems) and stems[end].startswith(stem + " "):
            end += 1
        longer = stems[start:end]
        for other in (stem, *longer):
            for a in by_outlet[stem]:
                for b in by_outlet[other]:
                    if a != b:
                        pair = (min(a, b), max(a, b))
                        found[pair] = likeness(*pair)
    # Spelling slips, with rapidfuzz's vectorised matrix (it skips pairs below the cutoff).
    # Its scores are 32-bit: it only finds the candidates, each then scored by the rule.
    if len(ordered) > 1:
        scores = process.cdist(ordered, ordered, scorer=fuzz.ratio, score_cutoff=threshold - 0.01)
        for i, j in zip(*scores.nonzero(), strict=True):
            if i < j:
                pair = (ordered[i], ordered[j])
                found.setdefault(pair, likeness(*pair))
    pairs = [(a, b, score) for (a, b), score in found.items() if score >= threshold]
    return sorted(pairs, key=lambda p: (-p[2], p[0], p[1]))


def similar_sources(
    conn: Connection, known_at: datetime | None = None, threshold: float = THRESHOLD
) -> list[dict[str, Any]]:
    """Pairs of sources that may be one outlet, with their claims and the alias that would
    join them (the one with fewer claims standing for the one with more)."""
    names = names_in_force(conn, known_at)
    recorded = [] if known_at is None else [claims.c.recorded_at <= naive_utc(known_at)]
    statement = (
        select(claims.c.source_key, func.min(claims.c.source), func.count())
        .where(claims.c.source_key.is_not(None), is_claim(), *recorded)
        .group_by(claims.c.source_key)
    )
    counts: dict[str, int] = defaultdict(int)
    shown: dict[str, str] = {}
    for key, source, n in conn.execute(statement):
        canonical = names.source(key) or key
        counts[canonical] += n
        shown.setdefault(canonical, names.canonical_name(AliasKind.SOURCE, canonical, source))
    rows = []
    for a, b, score in alike_pairs(list(counts), threshold):
        keep, fold = sorted((a, b), key=lambda k: (-counts[k], k))
        rows.append(
            {
                "source": shown[keep],
                "claims": counts[keep],
                "similar": shown[fold],
                "similar_claims": counts[fold],
                "likeness": round(score, 1),
                "alias": f"rumour alias source {_quoted(shown[fold])} {_quoted(shown[keep])}",
            }
        )
    return rows


def _quoted(name: str) -> str:
    import shlex

    return shlex.quote(name)
