"""Calibration on public rumour data: map a data set into a fresh ledger through the real
import path, then score the likelihood of every claim with a known truth, k-fold, against
the prior alone and majority stance.

    python benchmarks/calibration.py ../shared/datasets/emergent.jsonl [--folds 10]
        [--json FILE] [--seed 7]
    python benchmarks/calibration.py --protocol all [--data ../shared/datasets] [--json FILE]

It reads Emergent, RumourEval 2017 and BBC gossip outcomes (see ../shared/datasets/README.md).

The protocols of issue 17 (`--protocol`), each printed against its baselines in the same run:
- emergent-fresh: a fresh ledger (no outcomes in it), each claim as of its last article,
  against majority stance, with the ratio of the two Brier scores.
- emergent-learned: 5-fold; the other folds' true claims are confirmed and their false ones
  collapsed in the ledger, so track records are learned as a user's ledger learns them.
- bbc-2022: BBC gossip; the outcomes of 2020-21 go into the ledger as confirmations and
  collapses, the moves rumoured in 2022 are scored as of 2022-07-01 (learned board, report
  counting, the unlearned board and the base rate of the learned outcomes).
- rumoureval: RumourEval 2017, fresh and 5-fold learned as for Emergent.

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


# The protocols of issue 17: outcomes reach the model only as a user's ledger holds them,
# as confirmations and collapses, and records are learned by the ledger's own read models.

OUTCOME_SOURCE = "calibration outcome"
Moves = dict[str, tuple[Any, list[Evidence]]]


def moves_of(rows: list[dict[str, Any]]) -> dict[str, tuple[dict[str, Any], str]]:
    """Each move of the rows that count, by label: the move and the day of its last row."""
    found: dict[str, tuple[dict[str, Any], str]] = {}
    for row in rows:
        if row.get("flag_from_club_joined_same_year"):
            continue
        move = move_of(row)
        label = move_label(move["subject"], move["from"], move["to"])
        last = max(day_of(row), found[label][1]) if label in found else day_of(row)
        found[label] = (move, last)
    return found


def outcome_lines(
    labels: list[str], found: dict[str, tuple[dict[str, Any], str]], truth: dict[str, int], on: Any
) -> list[dict[str, Any]]:
    """A confirmation for each move that happened, a collapse for each that did not, dated
    by `on` (a move's last day to the outcome's ISO day)."""
    lines = []
    for label in labels:
        move, last = found[label]
        kind = "confirmation" if truth[label] else "collapse"
        lines.append(
            {
                "type": kind,
                **move,
                "source": OUTCOME_SOURCE,
                "date": on(last),
                "recorded_by": "calibration",
            }
        )
    return lines


def day_after(day: str) -> str:
    return date.fromordinal(date.fromisoformat(day).toordinal() + 1).isoformat()


def weighed_ledger(lines: list[dict[str, Any]], learn_on: date, settings: Settings) -> Any:
    """Import the lines into a fresh ledger and read every move with the track records
    the ledger itself learned by a day (from the outcomes it holds)."""
    with tempfile.TemporaryDirectory() as tmp:
        ledger = load_ledger(str(Path(tmp) / "protocol.db"), lines)
        try:
            with ledger.reading() as conn:
                return weigh(conn, Moment(learn_on), settings)
        finally:
            ledger.close()


def by_label(weighing: Any) -> dict[str, Any]:
    return {move.ref.label: move for move in weighing.found.moves.values()}


def claim_forecasts(weighing: Any, label: str, move: Any, prior: float) -> dict[str, float]:
    """The board after all of a claim's articles (as of its last), and majority stance."""
    evidence = weighing.evidence.get(move.key, []) if move is not None else []
    if not evidence:
        return {"model": prior, "majority_stance": prior}
    explained = weighing.explain(move, max(e.published for e in evidence))
    stances = explained.reports + explained.denials
    majority = explained.reports / stances if stances else prior
    return {"model": explained.likelihood, "majority_stance": majority}


def scored(forecasts: dict[str, list[float]], outcomes: list[int]) -> dict[str, Any]:
    return {name: scores(values, outcomes) for name, values in forecasts.items()}


def fresh_protocol(rows: list[dict[str, Any]], settings: Settings) -> dict[str, Any]:
    """A fresh ledger, no outcome in it: every claim as of its last article, with what the
    ledger knows just after the data's last article (not today: by today every move of
    the data has run out of time)."""
    lines, truth = to_interchange(rows)
    last = max(day for _, day in moves_of(rows).values())
    weighing = weighed_ledger(lines, date.fromisoformat(day_after(day_after(last))), settings)
    moves = by_label(weighing)
    labels = sorted(truth)
    forecasts: dict[str, list[float]] = defaultdict(list)
    for label in labels:
        for name, value in claim_forecasts(
            weighing, label, moves.get(label), weighing.settings.base_rate
        ).items():
            forecasts[name].append(value)
    return {"claims": len(labels), "pooled": scored(forecasts, [truth[c] for c in labels])}


def learned_protocol(
    rows: list[dict[str, Any]], settings: Settings, folds: int = 5, seed: int = 7
) -> dict[str, Any]:
    """k-fold: the other folds' outcomes in the ledger (true claims confirmed, false ones
    collapsed, the day after their last article), this fold's claims scored as of their
    last article with the records the ledger learned from them."""
    lines, truth = to_interchange(rows)
    found = moves_of(rows)
    claims = sorted(truth)
    random.Random(seed).shuffle(claims)
    split = [claims[i::folds] for i in range(folds)]
    last = max(day for _, day in found.values())
    learn_on = date.fromisoformat(day_after(day_after(last)))
    forecasts: dict[str, list[float]] = defaultdict(list)
    outcomes: list[int] = []
    per_fold = []
    for index, test in enumerate(split):
        train = [c for i, part in enumerate(split) if i != index for c in part]
        told = outcome_lines(train, found, truth, day_after)
        weighing = weighed_ledger(lines + told, learn_on, settings)
        moves = by_label(weighing)
        fold: dict[str, list[float]] = defaultdict(list)
        for label in test:
            for name, value in claim_forecasts(
                weighing, label, moves.get(label), weighing.settings.base_rate
            ).items():
                fold[name].append(value)
        ys = [truth[c] for c in test]
        for name, values in fold.items():
            forecasts[name].extend(values)
        outcomes.extend(ys)
        per_fold.append({"fold": index, "claims": len(test), **scored(fold, ys)})
    return {
        "claims": len(claims),
        "folds": folds,
        "pooled": scored(forecasts, outcomes),
        "per_fold": per_fold,
    }


BBC_SCORED_ON = date(2022, 7, 1)


def bbc_protocol(rows: list[dict[str, Any]], settings: Settings) -> dict[str, Any]:
    """Learn 2020-21 (outcomes as confirmations and collapses on 31 August of the move's
    last year), score the moves rumoured in 2022 as of 2022-07-01."""
    kept = [r for r in rows if not r.get("flag_from_club_joined_same_year")]
    lines, _ = to_interchange(kept)
    found = moves_of(kept)
    truth_then: dict[str, int] = {}
    truth_2022: dict[str, int] = {}
    for row in kept:
        move = move_of(row)
        label = move_label(move["subject"], move["from"], move["to"])
        happened = truth_of(row)
        if happened is None:
            continue
        target = truth_2022 if str(row["date"]).startswith("2022") else truth_then
        target[label] = max(target.get(label, 0), happened)
    learned_from = sorted(set(truth_then) - set(truth_2022))
    scored_on = sorted(truth_2022)
    told = outcome_lines(learned_from, found, truth_then, lambda last: f"{last[:4]}-08-31")
    weighing = weighed_ledger(lines + told, BBC_SCORED_ON, settings)
    unlearned = replace(weighing, settings=settings)
    moves = by_label(weighing)
    base_rate = sum(truth_then[c] for c in learned_from) / len(learned_from)
    forecasts: dict[str, list[float]] = defaultdict(list)
    for label in scored_on:
        move = moves[label]
        learned = weighing.explain(move, BBC_SCORED_ON)
        forecasts["model"].append(learned.likelihood)
        forecasts["report_counting"].append(float(learned.reports))
        forecasts["unlearned_board"].append(unlearned.explain(move, BBC_SCORED_ON).likelihood)
        forecasts["base_rate"].append(base_rate)
    outcomes = [truth_2022[c] for c in scored_on]
    pooled = scored(forecasts, outcomes)
    # A count of reports is a ranking, not a probability: only its AUC means anything.
    pooled["report_counting"] = {"auc": pooled["report_counting"]["auc"]}
    return {
        "claims": len(scored_on),
        "learned_from": len(learned_from),
        "base_rate": base_rate,
        "share_2022": sum(outcomes) / len(outcomes),
        "pooled": pooled,
    }


PROTOCOLS = ("emergent-fresh", "emergent-learned", "bbc-2022", "rumoureval")


def run_protocols(chosen: str, data: Path, settings: Settings) -> dict[str, Any]:
    """The chosen protocol (or all), each with its baselines, as plain data."""

    def rows_of(name: str) -> list[dict[str, Any]]:
        with (data / name).open(encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]

    wanted = PROTOCOLS if chosen == "all" else (chosen,)
    results: dict[str, Any] = {}
    if "emergent-fresh" in wanted:
        results["emergent-fresh"] = fresh_protocol(rows_of("emergent.jsonl"), settings)
    if "emergent-learned" in wanted:
        results["emergent-learned"] = learned_protocol(rows_of("emergent.jsonl"), settings)
    if "bbc-2022" in wanted:
        results["bbc-2022"] = bbc_protocol(rows_of("bbc_gossip_outcomes.jsonl"), settings)
    if "rumoureval" in wanted:
        rows = rows_of("rumoureval2017.jsonl")
        results["rumoureval-fresh"] = fresh_protocol(rows, settings)
        results["rumoureval-learned"] = learned_protocol(rows, settings)
    return results


def print_protocols(results: dict[str, Any]) -> None:
    for name, result in results.items():
        extra = f", {result['folds']} folds" if "folds" in result else ""
        if "learned_from" in result:
            extra += (
                f", learned from {result['learned_from']} moves of 2020-21 "
                f"(base rate {result['base_rate']:.1%}; 2022: {result['share_2022']:.1%})"
            )
        print(f"\n{name}: {result['claims']} claims{extra}")
        print(f"{'forecast':<18}{'Brier':>8}{'log loss':>10}{'AUC':>8}{'Brier per fold':>22}")
        for forecast, s in result["pooled"].items():
            auc_text = "-" if s.get("auc") is None else f"{s['auc']:.3f}"
            brier_text = f"{s['brier']:.3f}" if "brier" in s else "-"
            loss_text = f"{s['log_loss']:.3f}" if "log_loss" in s else "-"
            folds = spread(result, forecast, "brier") if "per_fold" in result else "-"
            label = forecast.replace("_", " ")
            print(f"{label:<18}{brier_text:>8}{loss_text:>10}{auc_text:>8}{folds:>22}")
        majority = result["pooled"].get("majority_stance")
        if majority:
            ratio = result["pooled"]["model"]["brier"] / majority["brier"]
            print(f"model Brier / majority stance Brier = {ratio:.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "dataset", type=Path, nargs="?", help="a JSON Lines data set (see its README)"
    )
    parser.add_argument(
        "--protocol",
        choices=(*PROTOCOLS, "all"),
        help="run one of issue 17's protocols (or all) instead of the k-fold table",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("../shared/datasets"),
        help="the folder holding the data sets, for --protocol",
    )
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the result to this file")
    parser.add_argument(
        "--sweep", action="store_true", help="also score a grid of settings (k-fold each)"
    )
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="NAME=NUMBER",
        help="a likelihood setting for --protocol, e.g. concurring_discount=0 (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.protocol:
        chosen = {name: float(value) for name, value in (s.split("=", 1) for s in args.setting)}
        found = run_protocols(args.protocol, args.data, Settings(**chosen))
        print_protocols(found)
        if args.json:
            args.json.write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")
        return 0
    if args.dataset is None:
        parser.error("give a data set, or --protocol")
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
