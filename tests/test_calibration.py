"""Calibration: the data-set mapping and k-fold scoring of the benchmark, and `rumour score`."""

from __future__ import annotations

import importlib.util
import io
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES
from rumour_ledger.cli.main import cli
from rumour_ledger.ledger.interchange import read_entries
from rumour_ledger.projections.calibration import forecasts, score
from rumour_ledger.projections.evidence import Moment
from rumour_ledger.projections.likelihood import Settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).resolve().parent / "data" / "invented_claims.jsonl"
DEMO = EXAMPLES / "alonso-2024.jsonl"


def benchmark():
    spec = importlib.util.spec_from_file_location(
        "calibration", ROOT / "benchmarks" / "calibration.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fixture_rows():
    return [json.loads(line) for line in FIXTURE.read_text().splitlines()]


def test_the_mapping_turns_stances_into_reports_and_denials_and_leaves_out_observing():
    lines, truth = benchmark().to_interchange(fixture_rows())
    rows = fixture_rows()
    counted = [r for r in rows if r["stance"] != "observing"]
    assert len(lines) == len(counted)
    assert {line["type"] for line in lines} == {"report", "denial"}
    assert sum(line["type"] == "denial" for line in lines) == sum(
        r["stance"] == "against" for r in rows
    )
    assert len(truth) == len({r["claim_id"] for r in rows if r["veracity"] != "unknown"})
    assert set(truth.values()) == {0, 1}


def test_a_transfer_row_is_a_move_and_mislabelled_rows_are_dropped():
    rows = [
        {
            "subject": "A Player",
            "from": "Club X",
            "to": "Club Y",
            "source": "Sun",
            "date": "2021",
            "stance": "report",
            "outcome": "happened",
            "flag_from_club_joined_same_year": False,
        },
        {
            "subject": "B Player",
            "from": "Club X",
            "to": "Club Z",
            "source": "Sun",
            "date": "2021",
            "stance": "report",
            "outcome": "not",
            "flag_from_club_joined_same_year": True,
        },
    ]
    lines, truth = benchmark().to_interchange(rows)
    assert [(x["subject"], x["to"], x["date"]) for x in lines] == [
        ("A Player", "Club Y", "2021-06-30")
    ]
    assert truth == {"A Player: Club X -> Club Y": 1}


def test_kfold_scores_the_invented_data_set_against_both_baselines(tmp_path):
    result = benchmark().evaluate(fixture_rows(), folds=5, seed=1, workdir=str(tmp_path))
    assert result["claims"] == 11 and result["folds"] == 5
    assert len(result["per_fold"]) == 5
    assert sum(f["claims"] for f in result["per_fold"]) == 11
    for scores in (result["model"], *result["baselines"].values()):
        assert {"brier", "log_loss", "auc", "accuracy"} <= scores.keys()
    # a source that is always right is learned on the other folds and beats the prior
    assert result["model"]["brier"] < result["baselines"]["prior"]["brier"]
    assert result["baselines"]["prior"]["auc"] == 0.5


def test_the_benchmark_script_prints_a_table_and_writes_json(tmp_path, capsys):
    out = tmp_path / "result.json"
    assert benchmark().main([str(FIXTURE), "--folds", "4", "--json", str(out)]) == 0
    assert "majority stance" in capsys.readouterr().out
    written = json.loads(out.read_text())
    assert {"dataset", "claims", "folds", "model", "baselines", "per_fold"} <= written.keys()
    assert set(written["baselines"]) == {"prior", "majority_stance"}


def load(ledger, objs) -> None:
    data = io.BytesIO("".join(json.dumps(o) + "\n" for o in objs).encode())
    entries = read_entries(data, "t.jsonl", today=ledger.app.today, now=ledger.app.clock())
    ledger.app.import_entries(entries, file="t.jsonl")


def test_score_reads_the_board_as_it_stood_before_each_resolution(ledger):
    load(ledger, [json.loads(x) for x in DEMO.read_text().splitlines()])
    with ledger.reading() as conn:
        made = forecasts(conn, Moment(date(2025, 12, 31)), Settings(), (30, 1))
    alonso = {
        f.days_before: f
        for f in made
        if f.label.startswith("Xabi Alonso: Bayer Leverkusen -> Real")
    }
    assert alonso[30].day == date(2025, 4, 25) and alonso[1].day == date(2025, 5, 24)
    assert alonso[1].model > alonso[30].model  # Alonso's own word on 9 May moved it
    assert all(f.happened in (0, 1) for f in made)
    result = score(made)
    assert result["rumours"] == 4 and result["forecasts"] == len(made)


MORE = st.lists(
    st.tuples(
        st.sampled_from(["report", "denial", "confirmation"]),
        st.sampled_from(["Xabi Alonso", "Carlo Ancelotti", "Somebody Else"]),
        st.sampled_from(["Real Madrid", "Bayern Munich", "Brazil"]),
        st.integers(1, 180),  # the test clock stands at 2026-01-15
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(MORE)
def test_scores_are_unchanged_by_events_dated_after_the_scoring_dates(open_fresh, more):
    demo = [json.loads(x) for x in DEMO.read_text().splitlines()]
    as_of = date(2025, 6, 30)
    later = [
        {
            "type": kind,
            "subject": subject,
            "to": to,
            "role": "coach",
            "source": "Late Outlet",
            "date": date.fromordinal(as_of.toordinal() + days).isoformat(),
        }
        for kind, subject, to, days in more
    ]
    with open_fresh() as one, open_fresh() as two:
        load(one, demo)
        load(two, demo + later)
        with one.reading() as a, two.reading() as b:
            moment = Moment(as_of)
            assert score(forecasts(a, moment, Settings())) == score(
                forecasts(b, moment, Settings())
            )


def test_the_score_command_prints_scores_and_draws_a_diagram(location, tmp_path):
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", location, "import", str(DEMO)]).exit_code == 0
    result = runner.invoke(cli, ["--db", location, "score"])
    assert result.exit_code == 0, result.output
    assert "majority stance" in result.stdout
    plot = tmp_path / "reliability.png"
    data = json.loads(
        runner.invoke(cli, ["--db", location, "score", "--json", "--plot", str(plot)]).stdout
    )
    assert {"brier", "log_loss", "auc", "reliability"} <= data["model"].keys()
    assert data["rumours"] == 4
    assert plot.read_bytes().startswith(b"\x89PNG")
    bad = runner.invoke(cli, ["--db", location, "score", "--horizon", "soon"])
    assert bad.exit_code == 2


def test_score_on_a_ledger_with_nothing_resolved_says_so(location):
    runner = CliRunner()
    made = runner.invoke(cli, ["--db", location, "import", "-"], input="")  # an empty ledger
    assert made.exit_code == 0, made.output
    result = runner.invoke(cli, ["--db", location, "score", "--as-of", "2024-01-01"])
    assert result.exit_code == 0
    assert "no resolved rumour" in result.stdout


@pytest.mark.parametrize("name", ["emergent.jsonl", "rumoureval2017.jsonl"])
def test_the_public_data_sets_map_when_present(name):
    path = ROOT.parent / "shared" / "datasets" / name
    if not path.exists():
        pytest.skip(f"{path} is not on this machine")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:300]]
    lines, truth = benchmark().to_interchange(rows)
    assert lines and truth


def test_score_reads_the_same_board_from_the_read_models_as_from_every_claim(ledger):
    from datetime import UTC, datetime

    from rumour_ledger.projections import reliability

    load(ledger, [json.loads(x) for x in DEMO.read_text().splitlines()])
    everything_known = datetime(2100, 1, 1, tzinfo=UTC)
    with ledger.reading() as conn:
        fast = forecasts(conn, Moment(date(2025, 12, 31)), Settings())
        slow = forecasts(conn, Moment(date(2025, 12, 31), everything_known), Settings())
        # Some forecasts weigh sources whose earlier calls had resolved by their day: read
        # without any record, they come out otherwise.
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(reliability, "learned_on", lambda conn, day, settings, keys: settings)
            unlearned = forecasts(conn, Moment(date(2025, 12, 31)), Settings())
    assert fast == slow
    assert fast != unlearned


def test_the_learned_protocol_learns_from_outcomes_in_the_ledger_never_the_scored_fold():
    calibration = benchmark()
    result = calibration.learned_protocol(fixture_rows(), Settings(), folds=2, seed=3)
    assert result["folds"] == 2
    assert sum(f["claims"] for f in result["per_fold"]) == result["claims"]
    assert set(result["pooled"]) == {"model", "majority_stance"}
    fresh = calibration.fresh_protocol(fixture_rows(), Settings())
    assert fresh["claims"] == result["claims"]
    # Outcomes are claims a user could record: a confirmation or a collapse, dated.
    found = calibration.moves_of(fixture_rows())
    _, truth = calibration.to_interchange(fixture_rows())
    told = calibration.outcome_lines(sorted(truth), found, truth, calibration.day_after)
    assert {line["type"] for line in told} == {"confirmation", "collapse"}
    assert all(
        line["date"] > found[label][1] for line, label in zip(told, sorted(truth), strict=True)
    )
