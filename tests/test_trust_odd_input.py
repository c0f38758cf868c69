"""Odd values a user can type or a damaged store can hold: each is one clear line and exit 1
(or click's usage error, exit 2), never an "internal error", and nothing is stored."""

from __future__ import annotations

import errno
import json
import os
import stat
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_trust_support import DEMO, raw_db

from rumour_ledger.cli.main import cli
from rumour_ledger.ledger.claims import Kind, check_name, make_claim, make_move
from rumour_ledger.ledger.errors import DamagedEvent, InvalidClaim, LedgerError
from rumour_ledger.ledger.integrity import parse_digest
from rumour_ledger.projections.calibration import check_horizons
from rumour_ledger.projections.config import LARGEST_CONFIG_BYTES, load_settings
from rumour_ledger.projections.evidence import parse_moment

HEX = "a" * 64


def clean_refusal(result, code: int = 1) -> str:
    """The one line a refused command prints; fails on a traceback or an internal error."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    lines = result.stderr.strip().splitlines()
    if code == 2:  # click's usage error: the usage, a blank line, then its one line
        lines = lines[-1:]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


@pytest.fixture
def demo(location: str) -> str:
    assert CliRunner().invoke(cli, ["--db", location, "import", str(DEMO)]).exit_code == 0
    return location


# The rules, where they live ----------------------------------------------------------------


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_known_at_that_does_not_exist_in_utc_is_refused(stamp):
    with pytest.raises(InvalidClaim, match=r"known-at: .* outside the years 1 to 9999"):
        parse_moment(None, stamp, date(2024, 1, 1))


def test_the_ends_of_time_in_utc_are_still_accepted():
    assert parse_moment(None, "0001-01-01T00:00:00+00:00", date(2024, 1, 1)).known_at
    assert parse_moment(None, "9999-12-31", date(2024, 1, 1)).known_at


@pytest.mark.parametrize("count", ["9" * 5000, "٢١", "２１", "1" * 20])
def test_a_digest_count_is_ascii_digits_of_a_sane_length(count):
    with pytest.raises(LedgerError, match="is not a ledger digest") as caught:
        parse_digest(f"rl1:{count}:{HEX}")
    assert len(str(caught.value)) < 300


def test_a_digest_count_of_ascii_digits_parses():
    assert parse_digest(f"rl1:21:{HEX}") == (21, HEX)


@pytest.mark.parametrize("offsets", [(20240101,), (36_526, 1), (0,), ()])
def test_a_horizon_is_from_one_day_to_a_century(offsets):
    with pytest.raises(InvalidClaim, match="horizon: days before resolution must be"):
        check_horizons(offsets)
    assert check_horizons((36_525, 1)) == (36_525, 1)


# The command line ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["board", "--known-at", "0001-01-01T00:00:00+14:00"], 1, "known-at: "),
        (["board", "--known-at", "9999-12-31T23:59:59-14:00"], 1, "known-at: "),
        (
            ["why", "Alonso -> Real Madrid", "--known-at", "9999-12-31T23:59:59-14:00"],
            1,
            "known-at: ",
        ),
        (["board", "--min", "nan"], 2, "'--min': 'nan' is not a number from 0 to 1"),
        (["score", "--horizon", "20240101"], 2, "'--horizon': days before resolution"),
        (["verify", "--digest", f"rl1:{'9' * 5000}:{HEX}"], 1, "is not a ledger digest"),
        (["verify", "--digest", f"rl1:٢١:{HEX}"], 1, "is not a ledger digest"),
    ],
    ids=[
        "known-at-early",
        "known-at-late",
        "why-known-at",
        "min-nan",
        "horizon",
        "digest",
        "arabic",
    ],
)
def test_odd_option_values_are_one_clear_line(demo, args, code, says):
    assert says in clean_refusal(CliRunner().invoke(cli, ["--db", demo, *args]), code)


def test_a_huge_limit_means_every_move(demo):
    every = CliRunner().invoke(cli, ["--db", demo, "board", "--json"])
    huge = CliRunner().invoke(
        cli, ["--db", demo, "board", "--json", "--limit", "99999999999999999999999"]
    )
    assert huge.exit_code == 0, huge.output
    assert huge.stdout == every.stdout


def test_arguments_that_are_not_utf8_are_refused_before_any_command(demo):
    undecodable = b"\xff\xfe".decode("utf-8", "surrogateescape")  # as Python hands argv over
    before = CliRunner().invoke(cli, ["--db", demo, "digest"]).stdout
    for args in (["show", undecodable], ["report", undecodable, "--to", "B", "--source", "S"]):
        message = clean_refusal(CliRunner().invoke(cli, ["--db", demo, *args]))
        assert message == "Error: argument 4 ('\\\\xff\\\\xfe') is not valid UTF-8"
    assert CliRunner().invoke(cli, ["--db", demo, "digest"]).stdout == before


# Stores that cannot be written or read -----------------------------------------------------


def test_rebuild_on_a_read_only_ledger_is_a_clear_error(tmp_path):
    path = tmp_path / "ro.db"
    assert CliRunner().invoke(cli, ["--db", str(path), "import", str(DEMO)]).exit_code == 0
    before = path.read_bytes()
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{path}?mode=ro", "rebuild"])
    assert clean_refusal(result) == (
        "Error: the ledger is read-only here: cannot update its read models"
    )
    assert path.read_bytes() == before


def damage_one_event(location: str) -> tuple[str, int]:
    """Overwrite one stored event's state with bytes that are not JSON; its (stream, version)."""
    with raw_db(location) as db:
        db.drop_guards()
        row = db.rows()[-1]
        db.execute(
            f"UPDATE {db.events} SET state = ? WHERE {db.position} = ?", (b"\xff\xfe{", row[0])
        )
        db.commit()
    return row[1], row[2]


@pytest.mark.parametrize(
    "args", [["rebuild"], ["export"], ["import", str(DEMO)]], ids=lambda a: a[0]
)
def test_an_undecodable_stored_event_is_named_by_every_command(demo, args):
    stream, version = damage_one_event(demo)
    message = clean_refusal(CliRunner().invoke(cli, ["--db", demo, *args]))
    assert f"stored event {stream[:8]} version {version} cannot be read" in message
    assert "`rumour verify`" in message
    verified = CliRunner().invoke(cli, ["--db", demo, "verify"])
    assert verified.exit_code == 1
    assert f"version {version}: undecodable" in verified.stdout


def test_an_undecodable_event_is_a_damaged_event_to_the_application(ledger, location):
    assert CliRunner().invoke(cli, ["--db", location, "import", str(DEMO)]).exit_code == 0
    damage_one_event(location)
    with pytest.raises(DamagedEvent):
        list(ledger.app.export_entries())


# Files the commands write: export FILE, --plot FILE ----------------------------------------


def special_files(folder) -> dict[str, object]:
    """A symbolic link to a file, a named pipe and (where allowed) a device node."""
    target = folder / "target.txt"
    target.write_text("keep me\n")
    made = {"link": folder / "link"}
    made["link"].symlink_to(target)
    made["fifo"] = folder / "fifo"
    os.mkfifo(made["fifo"])
    try:
        os.mknod(folder / "device", 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null
        made["device"] = folder / "device"
    except (OSError, AttributeError):
        pass
    return made


def test_export_refuses_a_link_a_pipe_or_a_device_untouched(demo, tmp_path):
    for kind, path in special_files(tmp_path).items():
        before = os.lstat(path)
        message = clean_refusal(CliRunner().invoke(cli, ["--db", demo, "export", str(path)]))
        assert message.startswith(f"Error: {path} is not a regular file ("), kind
        after = os.lstat(path)
        assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino), kind
    assert (tmp_path / "target.txt").read_text() == "keep me\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_plot_never_writes_through_a_link(demo, tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "target.png"
    target.write_bytes(b"keep me")
    link = tmp_path / "chart.png"
    link.symlink_to(target)
    for args in (["timeline", "Alonso -> Real Madrid"], ["score"]):
        result = CliRunner().invoke(cli, ["--db", demo, *args, "--plot", str(link)])
        assert clean_refusal(result).startswith(f"Error: {link} is not a regular file")
    assert target.read_bytes() == b"keep me" and link.is_symlink()


@pytest.mark.parametrize("args", [["export"], ["timeline", "Alonso -> Real Madrid", "--plot"]])
def test_a_missing_folder_is_named(demo, tmp_path, args):
    path = tmp_path / "nothere" / "out.png"
    message = clean_refusal(CliRunner().invoke(cli, ["--db", demo, *args, str(path)]))
    assert message == f"Error: no folder {path.parent} for {path}"
    assert not path.parent.exists()


def test_export_replaces_a_regular_file_whole_keeping_its_mode(demo, tmp_path):
    path = tmp_path / "backup.jsonl"
    path.write_text("old\n")
    path.chmod(0o640)
    result = CliRunner().invoke(cli, ["--db", demo, "export", str(path)])
    assert result.exit_code == 0, result.output
    assert path.read_text() == CliRunner().invoke(cli, ["--db", demo, "export"]).stdout
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_full_disk_during_export_is_one_line_and_leaves_the_old_file(demo, tmp_path, monkeypatch):
    from rumour_ledger.projections import output

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(output.os, "fsync", full)
    path = tmp_path / "backup.jsonl"
    path.write_text("old\n")
    message = clean_refusal(CliRunner().invoke(cli, ["--db", demo, "export", str(path)]))
    assert message == f"Error: cannot write {path}: No space left on device"
    assert path.read_text() == "old\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


# The settings file (TOML) ------------------------------------------------------------------

BAD_CONFIGS = {
    "likelihood = 5\n": "likelihood must be a table ([likelihood]), got an integer",
    'reliability = "x"\n': "reliability must be a table ([reliability]), got a string",
    "[[likelihood]]\n": "likelihood must be a table ([likelihood]), got an array",
    "[likelihood]\nreliability_prior_strength = 1e-300\n": (
        "likelihood.reliability_prior_strength must be at least 0.01, got 1e-300"
    ),
    "[likelihood]\nprior = true\n": "likelihood.prior must be a number, got a boolean",
    '[reliability]\n"BBC" = "x"\n': "reliability.'BBC' must be a number, got a string",
    '[reliability]\n"BBC" = 1\n': "reliability.'BBC' must be strictly between 0 and 1, got 1",
    "[likelihood]\nprior = nan\n": "likelihood.prior must be strictly between 0 and 1, got nan",
    "[likelihood]\nhorizon_days = 1"
    + "0" * 400
    + "\n": "likelihood.horizon_days is too large a number",
    "a = " + "[" * 5000 + "]" * 5000 + "\n": "not a valid TOML file (nested too deeply)",
}


@pytest.mark.parametrize("text", BAD_CONFIGS, ids=range(len(BAD_CONFIGS)))
def test_a_bad_setting_is_named_with_what_it_should_be(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(LedgerError) as caught:
        load_settings(path)
    assert str(caught.value) == f"{path}: {BAD_CONFIGS[text]}"


def test_a_config_that_is_not_a_regular_file_is_refused_unread(tmp_path):
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)  # opening it to read would wait for a writer forever
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(LedgerError, match="is not a regular file"):
            load_settings(path)


def test_a_config_larger_than_a_mebibyte_is_refused(tmp_path):
    path = tmp_path / "big.toml"
    path.write_text("# " + "x" * LARGEST_CONFIG_BYTES + "\n")
    with pytest.raises(LedgerError, match="is larger than 1,048,576 bytes"):
        load_settings(path)


def test_a_bad_config_on_the_command_line_is_one_line(demo, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("likelihood = 5\n")
    for config, says in ((str(path), "likelihood must be a table"), ("/dev/zero", "regular")):
        result = CliRunner(env={"RUMOUR_CONFIG": config}).invoke(cli, ["--db", demo, "board"])
        assert says in clean_refusal(result)


# Names nobody can see, or that move the text around them -----------------------------------

UNSEEN = ["a\u200bb", "\ufeffArsenal", "\u202eevil", "Rice\u2066", "x\u2028y", "club\ue000"]


@pytest.mark.parametrize("name", UNSEEN)
@pytest.mark.parametrize("field", ["subject", "to", "source"])
def test_a_name_with_an_invisible_or_direction_changing_character_is_refused(name, field):
    fields = {"subject": "A", "to": "B", "source": "S"} | {field: name}
    with pytest.raises(InvalidClaim, match=f"^{field}: contains an invisible or direction"):
        make_claim(
            Kind.REPORT,
            make_move(fields["subject"], None, fields["to"]),
            source=fields["source"],
            published="2024-10-28",
            today=date(2025, 1, 1),
        )


@pytest.mark.parametrize("name", ["\u0301", " \u0301\u0308 "])
def test_a_name_that_folds_to_an_empty_key_is_refused(name):
    with pytest.raises(InvalidClaim, match=r"^subject: has no letters, digits or symbols"):
        check_name("subject", name)


@pytest.mark.parametrize(
    "name", ["e\u0301", "\u200fשלום\u200e", "👨\u200d👩\u200d👧", "می\u200cخواهم"]
)
def test_joiners_marks_and_accents_that_spell_a_name_are_kept(name):
    assert check_name("subject", name) == name


def test_the_command_line_and_an_import_refuse_such_a_name_naming_field_and_line(
    location, tmp_path
):
    runner = CliRunner()
    args = ["report", "\u202eevil", "--to", "B", "--source", "S", "--date", "2024-10-28"]
    message = clean_refusal(runner.invoke(cli, ["--db", location, *args]))
    assert message == (
        "Error: subject: contains an invisible or direction-changing character, "
        "U+202E RIGHT-TO-LEFT OVERRIDE"
    )
    path = tmp_path / "names.jsonl"
    line = {"type": "report", "subject": "A", "to": "B\u200b", "source": "S", "date": "2024-10-28"}
    path.write_text(json.dumps(line) + "\n")
    message = clean_refusal(runner.invoke(cli, ["--db", location, "import", str(path)]))
    assert message.startswith(f"Error: {path}:1: field to: contains an invisible")
    assert runner.invoke(cli, ["--db", location, "export"]).stdout == ""


def test_a_name_stored_before_the_rule_is_shown_escaped(location, monkeypatch):
    from rumour_ledger.ledger import claims

    monkeypatch.setattr(
        claims, "first_unseen", lambda _text: None, raising=False
    )  # as an old ledger was
    args = ["report", "\u202eevil", "--to", "B\u200b", "--source", "S", "--date", "2024-10-28"]
    assert CliRunner().invoke(cli, ["--db", location, *args]).exit_code == 0
    monkeypatch.undo()
    for command in (["list"], ["board"], ["show", "evil"]):
        shown = CliRunner().invoke(cli, ["--db", location, *command])
        assert shown.exit_code == 0, shown.output
        assert "\u202e" not in shown.stdout and "\u200b" not in shown.stdout, command
        assert "\\u202eevil" in shown.stdout, command
