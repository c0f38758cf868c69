"""Calibration on public rumour data: map a data set into a fresh ledger through the real
import path, then score the likelihood of every claim with a known truth, k-fold, against
the prior alone and majority stance.

    python benchmarks/calibration.py ../shared/datasets/emergent.jsonl [--folds 10]
        [--json FILE] [--seed 7]

It reads Emergent, RumourEval 2017 and BBC gossip outcomes (see ../shared/datasets/README.md).

Mapping (docs/likelihood.md, "Calibration"): every data-set claim becomes one rumoured move
(subject: the claim's text, to: "true", role: other). Emergent stance `for` and RumourEval
`support` become reports; `against` and `deny` become denials; Emergent `observing` and
RumourEval `query`/`comment` are left out: they repeat or discuss a claim without taking a
side, and counting them would measure volume, not stance. BBC gossip rows are already moves
(player, from, to): each is an outlet's report; rows flagged as mislabelled are dropped. The
truth (veracity, outcome) is never an event: it is used only to learn track records on the
other folds and to score.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import tempfile
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rumour_ledger.ledger.claims import move_label
from rumour_ledger.ledger.interchange import read_entries
from rumour_ledger.projections import records as track
from rumour_ledger.projections.board import weigh
from rumour_ledger.projections.bootstrap import open_ledger
from rumour_ledger.projections.evidence import Moment
from rumour_ledger.projections.likelihood import DENIAL, REPORT, Evidence, Settings, explain
from rumour_ledger.projections.scoring import accuracy, auc, brier, log_loss, reliability_table

ROOT = Path(__file__).resolve().parent.parent

STANCES = {
    "for": "report",
    "support": "report",
    "report": "report",
    "against": "denial",
    "deny": "denial",
}
TRUTH = {"true": 1, "false": 0, "happened": 1, "not": 0}


def subject_of(row: dict[str, Any]) -> str:
    """The claim's text, shortened, with its id so two claims never merge."""
    text = " ".join(str(row["claim"]).split()) or "claim"
    return f"{text[:150]} [{str(row['claim_id'])[:12]}]"


def day_of(row: dict[str, Any]) -> str:
    """The publication day: a date in the URL if any, else the recorded one; a bare year
    (BBC gossip) is read as 30 June, the middle of that summer's window."""
    found = str(row.get("url_date") or row.get("date") or "")[:10]
    return f"{found}-06-30" if len(found) == 4 else found


def move_of(row: dict[str, Any]) -> dict[str, Any]:
    """A transfer row (BBC gossip) is a move already; any other claim becomes 'CLAIM -> true'."""
    if "claim_id" in row:
        return {"subject": subject_of(row), "from": None, "to": "true", "role": "other"}
    return {"subject": row["subject"], "from": row.get("from"), "to": row["to"], "role": "player"}


def truth_of(row: dict[str, Any]) -> int | None:
    return TRUTH.get(row.get("veracity", row.get("outcome")))


def to_interchange(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Interchange lines for the stances that count, and the truth of each move, by label."""
    lines, truth = [], {}
    for row in rows:
        if row.get("flag_from_club_joined_same_year"):
            continue  # mislabelled in the BBC data: the 'from' club is where he went
        move = move_of(row)
        label = move_label(move["subject"], move["from"], move["to"])
        if truth_of(row) is not None:
            truth[label] = truth_of(row)
        kind = STANCES.get(row.get("stance", ""))
        source = " ".join(str(row.get("source") or "").split())
        if kind is None or not source:
            continue
        url = row.get("url")
        lines.append(
            {
                "type": kind,
                **move,
                "source": source[:200],
                "date": day_of(row),
                "claim": row.get("headline") or row.get("text"),
                "url": url
                if isinstance(url, str) and url.startswith(("http://", "https://"))
                else None,
                "recorded_by": "calibration",
            }
        )
    return lines, truth


def load_ledger(location: str, lines: list[dict[str, Any]]) -> Any:
    """Import through the same path as `rumour import`."""
    ledger = open_ledger(location, user="calibration")
    data = io.BytesIO("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in lines).encode())
    entries = read_entries(data, "dataset", today=ledger.app.today, now=datetime.now(UTC))
    ledger.app.import_entries(entries, file="dataset")
    return ledger


def evidence_by_label(ledger: Any) -> dict[str, tuple[Any, list[Evidence]]]:
    with ledger.reading() as conn:
        weighing = weigh(conn, Moment(date.today()), Settings())
    return {
        move.ref.label: (move, weighing.evidence.get(key, []))
        for key, move in weighing.found.moves.items()
    }


def learn(
    train: list[str],
    moves: dict[str, tuple[Any, list[Evidence]]],
    truth: dict[str, int],
    settings: Settings,
) -> Settings:
    """Reliabilities from the training claims: each origin's last stance, right or wrong."""
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for subject in train:
        if subject not in moves:
            continue
        latest: dict[str, Evidence] = {}
        for e in sorted(moves[subject][1], key=lambda e: (e.published, e.position)):
            if e.kind in (REPORT, DENIAL):
                latest[e.origin_key] = e
        for origin, e in latest.items():
            right = (e.kind == REPORT) == bool(truth[subject])
            tally[origin][0 if right else 1] += 1
    reliabilities = {
        origin: track.posterior(
            settings.reliability_for(origin), settings.reliability_prior_strength, right, wrong
        )
        for origin, (right, wrong) in tally.items()
    }
    return replace(settings, reliabilities={**settings.reliabilities, **reliabilities})


def predict(
    subject: str, moves: dict[str, tuple[Any, list[Evidence]]], settings: Settings
) -> tuple[float, float]:
    """The model's likelihood after all the claim's evidence, and majority stance."""
    if subject not in moves:
        return settings.prior, settings.prior
    move, evidence = moves[subject]
    if not evidence:
        return settings.prior, settings.prior
    as_of = max(e.published for e in evidence)
    explained = explain(move.move, evidence, as_of, settings)
    stances = explained.reports + explained.denials
    return explained.likelihood, (explained.reports / stances if stances else settings.prior)


def scores(predictions: list[float], outcomes: list[int]) -> dict[str, Any]:
    return {
        "brier": brier(predictions, outcomes),
        "log_loss": log_loss(predictions, outcomes),
        "auc": auc(predictions, outcomes),
        "accuracy": accuracy(predictions, outcomes),
    }


Prepared = tuple[dict[str, tuple[Any, list[Evidence]]], dict[str, int], int]


def prepare(rows: list[dict[str, Any]], workdir: str | None = None) -> Prepared:
    """Map the rows, import them into a fresh ledger, and read every move's evidence back."""
    lines, truth = to_interchange(rows)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        ledger = load_ledger(str(Path(tmp) / "calibration.db"), lines)
        try:
            moves = evidence_by_label(ledger)
        finally:
            ledger.close()
    return moves, truth, len(lines)


def evaluate(
    rows: list[dict[str, Any]],
    *,
    folds: int = 10,
    seed: int = 7,
    settings: Settings | None = None,
    workdir: str | None = None,
) -> dict[str, Any]:
    """Import, then k-fold: learn on the other folds, score this one; pooled and per fold."""
    return kfold(prepare(rows, workdir), folds=folds, seed=seed, settings=settings)


def kfold(
    prepared: Prepared, *, folds: int = 10, seed: int = 7, settings: Settings | None = None
) -> dict[str, Any]:
    """Learn track records on the other folds, score this one; pooled and per fold."""
    settings = settings or Settings()
    moves, truth, events = prepared
    claims = sorted(truth)
    random.Random(seed).shuffle(claims)
    folds = max(2, min(folds, len(claims)))
    split = [claims[i::folds] for i in range(folds)]
    pooled: dict[str, list[float]] = {"model": [], "prior": [], "majority_stance": []}
    outcomes: list[int] = []
    per_fold = []
    for index, test in enumerate(split):
        train = [c for i, part in enumerate(split) if i != index for c in part]
        learned = learn(train, moves, truth, settings)
        fold: dict[str, list[float]] = {"model": [], "prior": [], "majority_stance": []}
        ys = [truth[c] for c in test]
        for subject in test:
            model, majority = predict(subject, moves, learned)
            fold["model"].append(model)
            fold["prior"].append(settings.prior)
            fold["majority_stance"].append(majority)
        for name, values in fold.items():
            pooled[name].extend(values)
        outcomes.extend(ys)
        per_fold.append(
            {
                "fold": index,
                "claims": len(test),
                **{name: scores(values, ys) for name, values in fold.items()},
            }
        )
    model = scores(pooled["model"], outcomes)
    model["reliability"] = [b.to_dict() for b in reliability_table(pooled["model"], outcomes)]
    return {
        "claims": len(claims),
        "folds": folds,
        "events": events,
        "base_rate": sum(outcomes) / len(outcomes),
        "settings": {k: v for k, v in settings.to_dict().items() if k != "reliabilities"},
        "model": model,
        "baselines": {
            "prior": scores(pooled["prior"], outcomes),
            "majority_stance": scores(pooled["majority_stance"], outcomes),
        },
        "per_fold": per_fold,
    }


def spread(result: dict[str, Any], name: str, metric: str) -> str:
    values = [f[name][metric] for f in result["per_fold"] if f[name][metric] is not None]
    if len(values) < 2:
        return "-"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def print_table(result: dict[str, Any]) -> None:
    print(
        f"{result['dataset']}: {result['claims']} claims with a known truth "
        f"({result['base_rate']:.0%} true), {result['events']} events, {result['folds']} folds"
    )
    header = f"{'forecast':<16}{'Brier':>8}{'log loss':>10}{'AUC':>8}{'accuracy':>10}"
    print(header + f"{'Brier per fold':>22}{'AUC per fold':>22}")
    rows = [("model", result["model"]), *result["baselines"].items()]
    for name, s in rows:
        auc_text = "-" if s["auc"] is None else f"{s['auc']:.3f}"
        print(
            f"{name.replace('_', ' '):<16}{s['brier']:>8.3f}{s['log_loss']:>10.3f}"
            f"{auc_text:>8}{s['accuracy']:>10.1%}"
            f"{spread(result, name, 'brier'):>22}{spread(result, name, 'auc'):>22}"
        )


SWEEP = {
    "prior": (0.17, 0.25, 0.35),
    "default_reliability": (0.35, 0.45),
    "reliability_prior_strength": (2.0, 5.0, 10.0, 20.0),
    "half_life_days": (30.0, 60.0, 120.0),
}


def sweep(prepared: Prepared, folds: int, seed: int) -> list[dict[str, Any]]:
    """The honest k-fold scores of every combination of the grid, best log loss first."""
    import itertools

    results = []
    for values in itertools.product(*SWEEP.values()):
        chosen = dict(zip(SWEEP, values, strict=True))
        if chosen["default_reliability"] <= chosen["prior"]:
            continue  # an unrated source would then count for nothing at all
        result = kfold(prepared, folds=folds, seed=seed, settings=Settings(**chosen))
        results.append({**chosen, **{k: result["model"][k] for k in ("brier", "log_loss", "auc")}})
    return sorted(results, key=lambda r: r["log_loss"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="a JSON Lines data set (see its README)")
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the result to this file")
    parser.add_argument(
        "--sweep", action="store_true", help="also score a grid of settings (k-fold each)"
    )
    args = parser.parse_args(argv)
    with args.dataset.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    prepared = prepare(rows)
    result = {"dataset": args.dataset.name, **kfold(prepared, folds=args.folds, seed=args.seed)}
    print_table(result)
    if args.sweep:
        result["sweep"] = sweep(prepared, args.folds, args.seed)
        print(f"\nsweep, best 8 of {len(result['sweep'])} by log loss:")
        print(
            f"{'prior':>6}{'unrated':>9}{'strength':>10}{'half-life':>11}"
            f"{'Brier':>8}{'log loss':>10}{'AUC':>8}"
        )
        for r in result["sweep"][:8]:
            print(
                f"{r['prior']:>6}{r['default_reliability']:>9}"
                f"{r['reliability_prior_strength']:>10}{r['half_life_days']:>11}"
                f"{r['brier']:>8.3f}{r['log_loss']:>10.3f}{r['auc'] or 0:>8.3f}"
            )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
