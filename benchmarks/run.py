"""The benchmark suite of issue 7: every figure beside its raw baseline, measured in one run.

    python benchmarks/run.py --sizes 10000,100000,1000000 \\
        --json benchmarks/results/latest.json \\
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test] \\
        [--names ../shared/datasets/transfermarkt_rumours.jsonl]

For each size it generates a ledger (benchmarks/generate.py) into --workdir (default
/tmp/rumour-bench), then measures, on SQLite and (with --postgres) on PostgreSQL in a fresh
schema that is dropped afterwards:

- import: `rumour --db LEDGER import FILE` in a child process (benchmarks/child.py runs the
  CLI's own entry point with its modules preloaded, so start-up is not counted), events/s,
  against plain `executemany` of the very rows the ledger stored into a table of the same
  shape, in one transaction (sqlite3; psycopg for PostgreSQL);
- rebuild: `rumour rebuild` the same way, stored events/s, against a plain SELECT of the
  stored events in order with JSON decoding of each;
- board (as of today and of 2019-12-31), why and timeline (CLI defaults: as of today, from
  the first claim to today) in this process through the same calls the CLI makes, median and
  95th percentile; for the planted probe rumour (the same 40 claims at every size) and the
  hottest rumour; and `rumour board --json` as a whole process; the same for the board's
  top moves (`--limit 50`), which is what a desk reads; and the whole board as a table;
- the web desk (`rumour serve`): the board page, its JSON, and the rumour page of the probe
  and of the hottest rumour, each a whole request through the ASGI app in this process,
  beside `board --limit 50` in process;
- one `rumour report` appended to the hottest rumour, as a whole process;
- peak memory (RSS high-water of the child process) of import and rebuild;
- once per run: `rumour --help` against `python -c "import click"`, whole process.

It prints one table (Markdown) and writes everything, samples included, as JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

PAST = "2019-12-31"
TOP = 50  # the board cut to the moves a desk reads first (`--limit`)
EVENTS_DDL = (
    "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, topic TEXT, "
    "state BLOB, PRIMARY KEY (originator_id, originator_version))"
)
PG_EVENTS_DDL = (
    "CREATE TABLE {table} (originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
    "topic text, state bytea, notification_id bigserial, "
    "PRIMARY KEY (originator_id, originator_version))"
)

# (key, label, target text, check(value) -> bool, applies at: "largest" | "every")
TARGETS: dict[str, tuple[str, Callable[[float], bool], str]] = {
    "import_ratio": (">= 25% of raw", lambda v: v >= 0.25, "every"),
    "import_rate": (">= 40,000 ev/s", lambda v: v >= 40_000, "every"),
    "import_seconds": ("< 30 s at 1M", lambda v: v < 30, "1M"),
    "rebuild_ratio": (">= 50% of raw", lambda v: v >= 0.50, "every"),
    "board_inprocess_ms": ("< 300 ms at 1M", lambda v: v < 300, "1M"),
    "board_cli_ms": ("< 1 s at 1M", lambda v: v < 1000, "1M"),
    "one_rumour_ms": ("< 50 ms", lambda v: v < 50, "every"),
    "append_cli_ms": ("< 0.5 s at 1M", lambda v: v < 500, "1M"),
    "append_read_ratio": ("<= 2x at 1M", lambda v: v <= 2, "1M"),
    "peak_mb": ("< 500 MB at 1M", lambda v: v < 500, "1M"),
    "help_ratio": ("<= 1.3x import click", lambda v: v <= 1.3, "every"),
}


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def short_error(error: BaseException) -> str:
    """One line for an error: its type and the first line of its message, bounded."""
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200] if text else ''}"


def measured(action: Callable[[], Any]) -> Any:
    """The figure, or {"error": ...} when the product fails to answer."""
    try:
        return action()
    except Exception as error:
        log(f"  failed: {short_error(error)}")
        return {"error": short_error(error)}


def summary_ms(samples: list[float]) -> dict[str, Any]:
    ms = [s * 1000 for s in samples]
    return {
        "samples_ms": [round(v, 3) for v in ms],
        "median_ms": round(median(ms), 3),
        "p95_ms": round(p95(ms), 3),
        "n": len(ms),
    }


def repeat(
    action: Callable[[], Any], repeats: int, budget_s: float, warmup: bool = True
) -> list[float]:
    """Time action up to `repeats` times, stopping early once past the budget (after at
    least 3 samples, or 1 if three would take over three budgets). A warm-up run is
    discarded unless it took over a second (then cold and warm hardly differ: it counts)."""
    samples: list[float] = []
    if warmup:
        started = time.perf_counter()
        action()
        took = time.perf_counter() - started
        if took > 1.0:
            samples.append(took)
    spent = sum(samples)
    while len(samples) < repeats:
        if spent > budget_s and len(samples) >= min(3, repeats):
            break
        if samples and spent + samples[-1] > budget_s * 3:
            break
        started = time.perf_counter()
        action()
        took = time.perf_counter() - started
        samples.append(took)
        spent += took
    return samples


class Stalled(TimeoutError):
    """A child that used no CPU for a long while: hung, not slow."""

    def __init__(self, message: str, stack: str) -> None:
        super().__init__(message)
        self.stack = stack


def cpu_ticks(pid: int) -> int | None:
    """CPU time used by a process and the processes it started (worker processes), in ticks."""
    total = None
    for each in process_tree(pid):
        try:
            with open(f"/proc/{each}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total = (total or 0) + int(fields[11]) + int(fields[12])  # utime + stime
        except (OSError, IndexError, ValueError):
            continue
    return total


def process_tree(pid: int) -> list[int]:
    """A process and its descendants (a rewrite of the read models starts worker processes)."""
    found, todo = [], [pid]
    while todo:
        each = todo.pop()
        found.append(each)
        try:
            with open(f"/proc/{each}/task/{each}/children", encoding="ascii") as children:
                todo.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue
    return found


def stack_of(pid: int) -> str:
    """Where a hung child waits (py-spy dump, if installed)."""
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if spy is None:
        return "(py-spy not installed)"
    try:
        dump = subprocess.run([spy, "dump", "--pid", str(pid)], capture_output=True, text=True)
    except OSError as error:
        return f"(py-spy failed: {error})"
    return dump.stdout[:4000]


def status_kb(pid: int, field: str) -> int | None:
    """A memory figure of /proc/PID/status (VmHWM, VmRSS), in kB."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def peak_rss_kb(pid: int) -> int | None:
    """The memory a process holds with its worker processes: its own RSS high-water mark
    (VmHWM), or the RSS of it and its descendants added up now, whichever is more. The
    sum is a sample: a peak shorter than the time between samples can be missed."""
    own = status_kb(pid, "VmHWM")
    if own is None:
        return None
    tree = process_tree(pid)
    if len(tree) == 1:
        return own
    return max(own, sum(status_kb(each, "VmRSS") or 0 for each in tree))


class Child:
    """A child process, timed whole. Its peak RSS is its VmHWM, or its RSS and its worker
    processes' added up, read every few ms while it runs: the rusage of wait4 (ru_maxrss)
    would count the parent's own RSS, which a child inherits across fork and exec. Killed
    when over `timeout`, or as hung when it and its workers use no CPU for `stall` seconds."""

    def __init__(
        self, args: list[str], env: dict[str, str], timeout: float, stall: float = 180.0
    ) -> None:
        self.args = args
        self.env = env
        self.timeout = timeout
        self.stall = stall

    def run(self, stdout: Any = subprocess.DEVNULL) -> dict[str, Any]:
        with tempfile.TemporaryFile() as errors:
            started = time.perf_counter()
            proc = subprocess.Popen(self.args, env=self.env, stdout=stdout, stderr=errors)
            deadline = started + self.timeout
            ticks, idle_since, checked = cpu_ticks(proc.pid), started, started
            peak_kb = 0
            while True:
                high = peak_rss_kb(proc.pid)
                pid, status, _usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                peak_kb = max(peak_kb, high or 0)
                now = time.perf_counter()
                if now - checked >= 1.0:
                    checked = now
                    current = cpu_ticks(proc.pid)
                    # Idle threads (a connection pool's) tick now and then: a hung
                    # child is one that used under 0.05 s of CPU since idle_since. A
                    # drop is workers ending, their time leaving the sum: not idleness.
                    if current is None or ticks is None or abs(current - ticks) > 5:
                        ticks, idle_since = current, now
                    elif now - idle_since > self.stall:
                        stack = stack_of(proc.pid)
                        self._kill(proc)
                        raise Stalled(
                            f"{self.what()} hung: no CPU for {self.stall:.0f} s",
                            stack,
                        )
                if now > deadline:
                    self._kill(proc)
                    raise TimeoutError(f"{self.what()} over {self.timeout:.0f} s")
                time.sleep(0.002 if now - started < 2 else 0.02)
            wall = time.perf_counter() - started
            proc.returncode = os.waitstatus_to_exitcode(status)
            if proc.returncode != 0:
                errors.seek(0)
                text = errors.read().decode("utf-8", "replace").strip()
                last = text.splitlines()[-1] if text else ""
                log(f"  {' '.join(self.args)} failed ({proc.returncode}):\n{text[-3000:]}")
                raise RuntimeError(f"{self.what()} exited {proc.returncode}: {last}")
        return {"wall_s": wall, "peak_rss_mb": peak_kb / 1024}

    def what(self) -> str:
        """The command in a few words: rumour's subcommand, or the program."""
        for word in ("import", "rebuild", "board", "report", "--help"):
            if word in self.args:
                return f"rumour {word}"
        return " ".join(self.args[:3])

    @staticmethod
    def _kill(proc: subprocess.Popen[bytes]) -> None:
        proc.kill()
        os.wait4(proc.pid, 0)
        proc.returncode = -9


class LockProbe:
    """Another writer, tried every PROBE_EVERY seconds while an import runs: it asks for the
    ledger's write lock without waiting (SQLite BEGIN IMMEDIATE with no busy timeout;
    PostgreSQL the events table's EXCLUSIVE lock with NOWAIT) and lets it go at once. The
    longest run of refusals is how long any other writer would have waited: the time the
    import held the lock, to within two probe intervals."""

    PROBE_EVERY = 0.05

    def __init__(self, attempt: Callable[[], bool]) -> None:
        self.attempt = attempt
        self.stop = threading.Event()
        self.refused_since: float | None = None
        self.longest = 0.0
        self.refusals = 0
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> LockProbe:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()

    def _watch(self) -> None:
        while not self.stop.wait(self.PROBE_EVERY):
            now = time.perf_counter()
            if self.attempt():
                self.refused_since = None
                continue
            self.refusals += 1
            if self.refused_since is None:
                self.refused_since = now
            self.longest = max(self.longest, now - self.refused_since + self.PROBE_EVERY)


def sqlite_lock_free(path: str) -> Callable[[], bool]:
    def attempt() -> bool:
        if not Path(path).exists():
            return True
        conn = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            conn.close()

    return attempt


def postgres_lock_free(connect: Callable[[], Any], schema: str) -> Callable[[], bool]:
    import psycopg

    def attempt() -> bool:
        try:
            with connect() as conn:
                conn.execute(f'LOCK TABLE "{schema}".rumour_events IN EXCLUSIVE MODE NOWAIT')
                conn.rollback()
            return True
        except psycopg.errors.LockNotAvailable:
            return False
        except psycopg.Error:
            return True  # no table yet: nothing to hold

    return attempt


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.workdir: Path = args.workdir
        self.python = sys.executable
        self.rumour = shutil.which("rumour", path=str(Path(sys.executable).parent)) or "rumour"
        config = self.workdir / "config"
        config.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in ("RUMOUR_DB", "RUMOUR_CONFIG")}
        env.update(
            {
                "RUMOUR_USER": "bench",
                "XDG_CONFIG_HOME": str(config),
                "XDG_DATA_HOME": str(self.workdir / "data"),
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        env.pop("BENCH_PROFILE", None)
        extra = dict(item.split("=", 1) for item in args.env)
        env.update(extra)
        os.environ.update(extra)
        self.env = env
        # The in-process measurements read settings the same way.
        os.environ.update({k: env[k] for k in ("RUMOUR_USER", "XDG_CONFIG_HOME", "XDG_DATA_HOME")})
        self.results: dict[str, Any] = {}

    # -- helpers ---------------------------------------------------------------------------

    def heavy_repeats(self, n: int) -> int:
        if self.args.heavy_repeats:
            return self.args.heavy_repeats
        return 3 if n <= 100_000 else 1

    def child_command(self, db: str, *command: str, profile: str | None = None) -> dict[str, Any]:
        """Run a command in a child; a hung child (no CPU for --stall seconds) is killed,
        its stack kept, and the command run again (its transaction was rolled back)."""
        result = self.workdir / f"child-{uuid.uuid4().hex[:8]}.json"
        env = dict(self.env)
        if profile and self.args.profile:
            env["BENCH_PROFILE"] = str(self.args.profile / profile)
        child = Child(
            [self.python, str(HERE / "child.py"), str(result), "--db", db, *command],
            env,
            self.args.timeout,
            self.args.stall,
        )
        hangs: list[dict[str, str]] = []
        while True:
            try:
                with LockProbe(self.lock_free(db)) as probe:
                    measured = child.run()
                measured["lock_held_s"] = probe.longest
                break
            except Stalled as stalled:
                log(f"  {stalled}; stack:\n{stalled.stack}")
                hangs.append({"command": command[0], "error": str(stalled), "stack": stalled.stack})
                if len(hangs) > self.args.retries:
                    raise
        timing = json.loads(result.read_text())
        result.unlink()
        return {**measured, **timing, "hangs": hangs}

    def lock_free(self, db: str) -> Callable[[], bool]:
        """Whether another writer could take the ledger's write lock right now."""
        if "://" not in db:
            return sqlite_lock_free(db)
        schema = db.rsplit("schema=", 1)[1]
        return postgres_lock_free(lambda: self.pg_connect(self.args.postgres), schema)

    def cli(self, *command: str) -> dict[str, Any]:
        return Child([self.rumour, *command], self.env, self.args.timeout).run()

    # -- CLI start -----------------------------------------------------------------------

    def cli_start(self) -> dict[str, Any]:
        log("CLI start: rumour --help against python -c 'import click'")
        runs = {
            "rumour_help": [self.rumour, "--help"],
            "import_click": [self.python, "-c", "import click"],
            "python_pass": [self.python, "-c", "pass"],
        }
        samples: dict[str, list[float]] = {k: [] for k in runs}
        for _ in range(2):
            for argv in runs.values():
                Child(argv, self.env, 60).run()
        for _ in range(self.args.start_repeats):
            for key, argv in runs.items():
                samples[key].append(Child(argv, self.env, 60).run()["wall_s"])
        out = {key: summary_ms(values) for key, values in samples.items()}
        out["help_ratio"] = out["rumour_help"]["median_ms"] / out["import_click"]["median_ms"]
        return out

    # -- one size on one store -------------------------------------------------------------

    def measure(self, n: int, file: Path, store: str) -> dict[str, Any]:
        out: dict[str, Any] = {"store": store}
        repeats = self.heavy_repeats(n)
        schemas: list[str] = []
        db = ""

        def location() -> str:
            if store == "sqlite":
                path = self.workdir / f"ledger-{n}-{uuid.uuid4().hex[:6]}.db"
                return str(path)
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            schemas.append(schema)
            sep = "&" if "?" in self.args.postgres else "?"
            return f"{self.args.postgres}{sep}schema={schema}"

        try:
            # Import: a fresh ledger each time; the last one is kept for what follows.
            runs = []
            for i in range(repeats):
                if db:
                    self.discard(store, db, schemas)
                db = location()
                log(f"{store} {n}: import {i + 1}/{repeats}")
                profile = f"import-{store}-{n}.txt" if i == repeats - 1 else None
                runs.append(self.child_command(db, "import", str(file), profile=profile))
            out["hangs"] = [h for r in runs for h in r["hangs"]]
            seconds = [r["command_s"] for r in runs]
            out["import"] = {
                "method": "rumour import via cli.main.cli in a child process, modules preloaded",
                "events": n,
                "seconds": seconds,
                "median_s": median(seconds),
                "events_per_s": n / median(seconds),
                "wall_s": [r["wall_s"] for r in runs],
                "startup_s": [r["startup_s"] for r in runs],
                "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
                "lock_held_s": [r["lock_held_s"] for r in runs],
            }
            out["ledger"] = self.describe_ledger(store, db)
            stored = out["ledger"]["stored_events"]

            log(f"{store} {n}: raw insert baseline")
            rows = self.stored_rows(store, db)
            raw = [self.raw_insert(store, db, rows) for _ in range(repeats)]
            del rows
            out["raw_insert"] = {
                "method": "executemany of the stored rows into a same-shaped table, one "
                "transaction",
                "rows": stored,
                "seconds": raw,
                "median_s": median(raw),
                "events_per_s": n / median(raw),
                "rows_per_s": stored / median(raw),
            }
            out["import_ratio"] = out["import"]["events_per_s"] / out["raw_insert"]["events_per_s"]
            if self.args.only_import:
                return out

            runs = []
            for i in range(repeats):
                log(f"{store} {n}: rebuild {i + 1}/{repeats}")
                profile = f"rebuild-{store}-{n}.txt" if i == repeats - 1 else None
                runs.append(self.child_command(db, "rebuild", profile=profile))
            out["hangs"] += [h for r in runs for h in r["hangs"]]
            seconds = [r["command_s"] for r in runs]
            out["rebuild"] = {
                "method": "rumour rebuild via cli.main.cli in a child process, modules preloaded",
                "stored_events": stored,
                "seconds": seconds,
                "median_s": median(seconds),
                "events_per_s": stored / median(seconds),
                "wall_s": [r["wall_s"] for r in runs],
                "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            }
            log(f"{store} {n}: raw read baseline")
            raw = [self.raw_read(store, db) for _ in range(repeats)]
            out["raw_read"] = {
                "method": "SELECT every stored event in order, json.loads of each state",
                "rows": stored,
                "seconds": raw,
                "median_s": median(raw),
                "events_per_s": stored / median(raw),
            }
            out["rebuild_ratio"] = out["rebuild"]["events_per_s"] / out["raw_read"]["events_per_s"]

            log(f"{store} {n}: queries in process")
            out.update(self.queries(db, out["ledger"]))
            log(f"{store} {n}: board as a whole process")
            budget = self.args.budget
            for key, extra in (
                ("board_today_cli", ["--json"]),
                ("board_past_cli", ["--json", "--as-of", PAST]),
                ("board_top_cli", ["--json", "--limit", str(TOP)]),
                ("board_table_cli", []),
            ):
                samples = repeat(
                    lambda extra=extra: self.cli("--db", db, "board", *extra)["wall_s"],
                    self.args.repeats,
                    budget,
                    warmup=False,
                )
                out[key] = summary_ms(samples)
            log(f"{store} {n}: append one report")
            hot = out["ledger"]["hottest"]
            counter = iter(range(1_000_000))

            def append() -> None:
                command = ["--db", db, "report", hot["subject"], "--source", "Benchmark Desk"]
                command += ["--role", hot["role"], "--date", generate.END.isoformat()]
                command += ["--claim", f"benchmark append {next(counter)} {uuid.uuid4().hex}"]
                if hot["from"]:
                    command += ["--from", hot["from"]]
                if hot["to"]:
                    command += ["--to", hot["to"]]
                self.cli(*command)

            out["append_cli"] = summary_ms(
                repeat(append, min(self.args.repeats, 5), budget, warmup=False)
            )
            log(f"{store} {n}: the read right after an append by the busiest source")
            busiest = out["ledger"]["busiest_source"]
            after: list[float] = []
            settled: list[float] = []
            why = ["--db", db, "why", hot["id"], "--json"]
            for _ in range(min(self.args.repeats, 5)):
                command = ["--db", db, "report", hot["subject"], "--source", busiest]
                command += ["--role", hot["role"], "--date", generate.END.isoformat()]
                command += ["--claim", f"benchmark busiest {next(counter)} {uuid.uuid4().hex}"]
                command += ["--from", hot["from"]] if hot["from"] else []
                command += ["--to", hot["to"]] if hot["to"] else []
                self.cli(*command)
                after.append(self.cli(*why)["wall_s"])  # pays the catch-up
                settled.append(self.cli(*why)["wall_s"])  # nothing left to catch up
            out["read_after_append_cli"] = summary_ms(after)
            out["read_settled_cli"] = summary_ms(settled)
            out["read_after_append_ratio"] = median(after) / median(settled)
        except Exception as error:  # the product failing is a result too: keep going
            log(f"{store} {n}: stopped: {error}")
            out["error"] = short_error(error)
        finally:
            for schema in schemas:
                self.drop_schema(schema)
            if store == "sqlite" and db and not self.args.keep:
                self.discard(store, db, [])
        return out

    def discard(self, store: str, db: str, schemas: list[str]) -> None:
        if store == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(db + suffix).unlink(missing_ok=True)
        else:
            schema = db.rsplit("schema=", 1)[1]
            self.drop_schema(schema)
            schemas.remove(schema)

    # -- what the ledger holds -------------------------------------------------------------

    def describe_ledger(self, store: str, db: str) -> dict[str, Any]:
        from sqlalchemy import func, select

        from rumour_ledger.projections.bootstrap import open_ledger
        from rumour_ledger.projections.tables import claims, rumours

        with open_ledger(db, user="bench") as ledger, ledger.reading() as conn:
            counted = func.count().label("claims")
            hot = conn.execute(
                select(claims.c.rumour_id, counted)
                .group_by(claims.c.rumour_id)
                .order_by(counted.desc())
                .limit(1)
            ).one()
            row = conn.execute(select(rumours).where(rumours.c.id == hot.rumour_id)).one()
            busiest = conn.execute(
                select(claims.c.source, counted)
                .group_by(claims.c.source)
                .order_by(counted.desc())
                .limit(1)
            ).one()
            described = {
                "events": conn.execute(select(func.count()).select_from(claims)).scalar(),
                "rumours": conn.execute(select(func.count()).select_from(rumours)).scalar(),
                "stored_events": ledger.app.recorder.max_notification_id(),
                "hottest": {
                    "id": row.id,
                    "label": row.label,
                    "subject": row.subject,
                    "from": row.from_club,
                    "to": row.to_club,
                    "role": row.role,
                    "claims": hot.claims,
                },
                "busiest_source": busiest.source,
            }
        if store == "sqlite":
            described["file_mb"] = os.path.getsize(db) / 2**20
        return described

    # -- raw baselines ---------------------------------------------------------------------

    def pg_connect(self, db: str) -> Any:
        import psycopg

        from rumour_ledger.ledger.store import open_store

        env = open_store(db).event_env()
        return psycopg.connect(
            dbname=env["POSTGRES_DBNAME"],
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"] or None,
        )

    def pg_events_table(self, db: str) -> str:
        schema = db.rsplit("schema=", 1)[1]
        with self.pg_connect(db) as conn:
            found = conn.execute(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = %s "
                "AND column_name = 'notification_id' AND table_name LIKE '%%events'",
                (schema,),
            ).fetchone()
        assert found, f"no events table in schema {schema}"
        return f'"{schema}"."{found[0]}"'

    def stored_rows(self, store: str, db: str) -> list[tuple[Any, ...]]:
        query = "SELECT originator_id, originator_version, topic, state FROM {} ORDER BY {}"
        if store == "sqlite":
            with sqlite3.connect(db) as conn:
                rows = conn.execute(query.format("stored_events", "rowid")).fetchall()
            conn.close()
            return rows
        with self.pg_connect(db) as conn:
            table = self.pg_events_table(db)
            return conn.execute(query.format(table, "notification_id")).fetchall()

    def raw_insert(self, store: str, db: str, rows: list[tuple[Any, ...]]) -> float:
        """Seconds to insert the rows in one transaction into a fresh same-shaped table."""
        if store == "sqlite":
            path = self.workdir / f"raw-{uuid.uuid4().hex[:6]}.db"
            conn = sqlite3.connect(path, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=WAL")  # as eventsourcing sets it
                conn.execute(EVENTS_DDL)
                started = time.perf_counter()
                conn.execute("BEGIN")
                conn.executemany("INSERT INTO stored_events VALUES (?,?,?,?)", rows)
                conn.execute("COMMIT")
                return time.perf_counter() - started
            finally:
                conn.close()
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
        schema = db.rsplit("schema=", 1)[1]
        table = f'"{schema}"."raw_events_{uuid.uuid4().hex[:6]}"'
        with self.pg_connect(db) as conn:
            conn.execute(PG_EVENTS_DDL.format(table=table))
            conn.commit()
            started = time.perf_counter()
            with conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO {table} (originator_id, originator_version, topic, state) "
                    "VALUES (%s, %s, %s, %s)",
                    rows,
                )
            conn.commit()
            took = time.perf_counter() - started
            conn.execute(f"DROP TABLE {table}")
            conn.commit()
        return took

    def raw_read(self, store: str, db: str) -> float:
        """Seconds to select every stored event in order and decode its JSON state."""
        loads = json.loads
        if store == "sqlite":
            conn = sqlite3.connect(db)
            try:
                started = time.perf_counter()
                for row in conn.execute(
                    "SELECT rowid, originator_id, originator_version, topic, state "
                    "FROM stored_events ORDER BY rowid"
                ):
                    loads(row[4])
                return time.perf_counter() - started
            finally:
                conn.close()
        table = self.pg_events_table(db)
        with self.pg_connect(db) as conn:
            started = time.perf_counter()
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT notification_id, originator_id, originator_version, topic, state "
                    f"FROM {table} ORDER BY notification_id"
                )
                for row in cur:
                    loads(row[4])
            return time.perf_counter() - started

    def drop_schema(self, schema: str) -> None:
        with self.pg_connect(self.args.postgres) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.commit()

    # -- queries in process ----------------------------------------------------------------

    def queries(self, db: str, described: dict[str, Any]) -> dict[str, Any]:
        from rumour_ledger.projections.board import board, explain_rumour, parse_moment, timeline
        from rumour_ledger.projections.bootstrap import open_ledger
        from rumour_ledger.projections.config import load_settings
        from rumour_ledger.projections.views import find_rumour

        settings = load_settings(None)
        out: dict[str, Any] = {}
        budget = self.args.budget
        repeats = self.args.repeats
        with open_ledger(db, user="bench") as ledger:
            today = ledger.app.clock().astimezone().date()

            def board_at(as_of: str | None, limit: int | None = None) -> Callable[[], Any]:
                def run() -> Any:
                    with ledger.reading() as conn:
                        moment = parse_moment(as_of, None, today)
                        return board(conn, moment, settings, "all", 0.0, limit)

                return run

            def why(name: str) -> Callable[[], Any]:
                def run() -> Any:
                    with ledger.reading() as conn:
                        ref = find_rumour(conn, name)
                        moment = parse_moment(None, None, today)
                        return explain_rumour(conn, ref, moment, settings)

                return run

            def days(name: str) -> Callable[[], Any]:
                def run() -> Any:
                    with ledger.reading() as conn:
                        ref = find_rumour(conn, name)
                        moment = parse_moment(None, None, today)
                        return timeline(conn, ref, None, moment.as_of, settings, None)

                return run

            hot = described["hottest"]["id"][:16]
            probe = generate.PROBE_LABEL
            quick = max(repeats, 15)
            figures: list[tuple[str, Callable[[], Any], int]] = [
                ("board_today_inprocess", board_at(None), repeats),
                ("board_past_inprocess", board_at(PAST), repeats),
                ("board_top_inprocess", board_at(None, TOP), repeats),
                ("why_probe", why(probe), quick),
                ("timeline_probe", days(probe), quick),
                ("why_hottest", why(hot), quick),
                ("timeline_hottest", days(hot), repeats),
            ]
            for key, action, times in figures:
                log(f"  {key}")
                out[key] = measured(lambda a=action, t=times: summary_ms(repeat(a, t, budget)))
            out["board_rows"] = measured(lambda: len(board_at(None)()))
            out["timeline_probe_days"] = measured(lambda: len(days(probe)()))
            pages = measured(lambda: self.web_pages(ledger, settings, hot, probe))
            out.update({"web_pages": pages} if "error" in pages else pages)
        if "median_ms" in out.get("web_board_page", {}):
            top = out["board_top_inprocess"]["median_ms"]
            out["web_board_ratio"] = out["web_board_page"]["median_ms"] / top
        return out

    def web_pages(self, ledger: Any, settings: Any, hot: str, probe: str) -> dict[str, Any]:
        """The web desk's pages (`rumour serve`), each a whole request through the ASGI app in
        this process (Starlette's test client: routing, the answer, the template, headers),
        on the same open ledger as the figures above, so the board page sits beside
        `board --limit 50` of the same run."""
        from urllib.parse import quote

        from starlette.testclient import TestClient

        from rumour_ledger.cli.web.app import create_app

        out: dict[str, Any] = {}
        pages = [
            ("web_board_page", "/"),
            ("web_rumour_probe_page", f"/rumour/{quote(probe, safe='')}"),
            ("web_rumour_hottest_page", f"/rumour/{quote(hot, safe='')}"),
            ("web_board_api", "/api/board"),
        ]
        # A long interval: the watcher catches up once at start, then stays out of the way.
        app = create_app(ledger, settings, interval=3600)
        with TestClient(app, base_url="http://localhost") as client:
            for key, url in pages:
                log(f"  {key}")

                def get(url: str = url) -> None:
                    answer = client.get(url)
                    if answer.status_code != 200:
                        raise RuntimeError(f"GET {url}: {answer.status_code} {answer.text[:200]}")

                out[key] = measured(
                    lambda g=get: summary_ms(repeat(g, self.args.repeats, self.args.budget))
                )
        return out

    # -- the whole run -------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        started = datetime.now(UTC)
        stores = ["sqlite"] + (["postgresql"] if self.args.postgres else [])
        results: dict[str, Any] = {
            "started": started.isoformat(timespec="seconds"),
            "machine": machine(self.args.postgres, self),
            "config": {
                "sizes": self.args.sizes,
                "seed": self.args.seed,
                "names": bool(self.args.names),
                "repeats": self.args.repeats,
                "budget_s": self.args.budget,
                "past_as_of": PAST,
                "top": TOP,
                "probe": generate.PROBE_LABEL,
                "postgres": bool(self.args.postgres),
                "env": self.args.env,
            },
            "code": {"start": code_digest()},
            "cli_start": self.cli_start(),
            "sizes": {},
        }
        self.results = results
        for n in self.args.sizes:
            file = self.workdir / f"ledger-{n}-seed{self.args.seed}.jsonl"
            log(f"generate {n} events -> {file}")
            begun = time.perf_counter()
            generate.write(n, file, self.args.seed, self.args.names)
            took = time.perf_counter() - begun
            per_size: dict[str, Any] = {
                "generate": {"seconds": took, "events_per_s": n / took, "file_mb": file_mb(file)}
            }
            results["sizes"][str(n)] = per_size
            for store in stores:
                per_size[store] = self.measure(n, file, store)
                self.save()
            if not self.args.keep:
                file.unlink(missing_ok=True)
        results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
        results["code"]["end"] = code_digest()
        results["code"]["changed_during_run"] = results["code"]["end"] != results["code"]["start"]
        if results["code"]["changed_during_run"]:
            log("warning: the code under ledger/, projections/ or cli/ changed during the run")
        results["verdicts"] = verdicts(results)
        results["table"] = table(results)
        self.save()
        return results

    def save(self) -> None:
        if self.args.json:
            self.args.json.parent.mkdir(parents=True, exist_ok=True)
            self.args.json.write_text(json.dumps(self.results, indent=2, default=str) + "\n")


def code_digest() -> str:
    """A digest of the product's code, to tell whether it changed during a run."""
    digest = hashlib.sha256()
    for folder in ("ledger", "projections", "cli"):
        for path in sorted((ROOT / folder).glob("*.py")):
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def file_mb(path: Path) -> float:
    return path.stat().st_size / 2**20


def machine(postgres: str | None, bench: Bench) -> dict[str, Any]:
    import eventsourcing
    import sqlalchemy

    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "eventsourcing": getattr(eventsourcing, "__version__", "?"),
        "sqlalchemy": sqlalchemy.__version__,
        "date": date.today().isoformat(),
    }
    try:
        import importlib.metadata

        info["eventsourcing"] = importlib.metadata.version("eventsourcing")
    except Exception:  # pragma: no cover - informational only
        pass
    try:
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            info["memory_gb"] = round(int(meminfo.readline().split()[1]) / 2**20, 1)
    except OSError:
        pass
    try:
        info["commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        info["commit"] = "?"
    if postgres:
        with bench.pg_connect(postgres) as conn:
            info["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
    return info


# -- the table ---------------------------------------------------------------------------


def size_name(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def rate(v: float) -> str:
    return f"{v / 1000:,.1f}k/s" if v >= 1000 else f"{v:,.0f}/s"


def ms(v: float) -> str:
    return f"{v:,.0f} ms" if v >= 10 else f"{v:.1f} ms"


def get(d: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


# Row definitions: (store or None, label, cell(size_result) -> str | None, target key, value)
Cell = Callable[[dict[str, Any]], str | None]
Value = Callable[[dict[str, Any]], float | None]


def _latency(key: str) -> tuple[Cell, Value]:
    def cell(r: dict[str, Any]) -> str | None:
        s = r.get(key)
        if s is None:
            return None
        if "error" in s:
            return "ERROR (see below)"
        return f"{ms(s['median_ms'])} (p95 {ms(s['p95_ms'])})"

    def value(r: dict[str, Any]) -> float | None:
        s = r.get(key)
        if isinstance(s, dict) and "error" in s:
            return math.inf  # failing to answer misses any latency target
        return get(r, key, "median_ms")

    return cell, value


STORE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def rows_for(store: str) -> list[tuple[str, Cell, str | None, Value]]:
    def imp(r: dict[str, Any]) -> str | None:
        if "import" not in r:
            return None
        return f"{rate(r['import']['events_per_s'])} ({r['import_ratio']:.1%} of raw)"

    rows: list[tuple[str, Cell, str | None, Value]] = [
        ("import, events/s", imp, "import_ratio", lambda r: r.get("import_ratio")),
        (
            "  import rate, absolute",
            lambda r: None if "import" not in r else rate(r["import"]["events_per_s"]),
            "import_rate",
            lambda r: get(r, "import", "events_per_s"),
        ),
        (
            "  import time, s",
            lambda r: None if "import" not in r else f"{r['import']['median_s']:,.1f} s",
            "import_seconds",
            lambda r: get(r, "import", "median_s"),
        ),
        (
            "  raw executemany, same rows",
            lambda r: None if "raw_insert" not in r else rate(r["raw_insert"]["events_per_s"]),
            None,
            lambda r: None,
        ),
        (
            "  import: longest wait of another writer",
            lambda r: (
                None
                if not get(r, "import", "lock_held_s")
                else f"{max(r['import']['lock_held_s']):,.1f} s"
            ),
            None,
            lambda r: None,
        ),
        (
            "  import peak RSS",
            lambda r: None if "import" not in r else f"{r['import']['peak_rss_mb']:,.0f} MB",
            "peak_mb",
            lambda r: get(r, "import", "peak_rss_mb"),
        ),
        (
            "rebuild, stored events/s",
            lambda r: (
                None
                if "rebuild" not in r
                else f"{rate(r['rebuild']['events_per_s'])} ({r['rebuild_ratio']:.1%} of raw)"
            ),
            "rebuild_ratio",
            lambda r: r.get("rebuild_ratio"),
        ),
        (
            "  raw SELECT + json.loads",
            lambda r: None if "raw_read" not in r else rate(r["raw_read"]["events_per_s"]),
            None,
            lambda r: None,
        ),
        (
            "  rebuild peak RSS",
            lambda r: None if "rebuild" not in r else f"{r['rebuild']['peak_rss_mb']:,.0f} MB",
            "peak_mb",
            lambda r: get(r, "rebuild", "peak_rss_mb"),
        ),
    ]
    latency = [
        ("board today, in process", "board_today_inprocess", "board_inprocess_ms"),
        (f"board {PAST}, in process", "board_past_inprocess", "board_inprocess_ms"),
        ("board today, whole process (--json)", "board_today_cli", "board_cli_ms"),
        (f"board {PAST}, whole process (--json)", "board_past_cli", "board_cli_ms"),
        (f"board --limit {TOP}, in process", "board_top_inprocess", "board_inprocess_ms"),
        (f"board --limit {TOP}, whole process (--json)", "board_top_cli", "board_cli_ms"),
        ("board today, whole process (table)", "board_table_cli", "board_cli_ms"),
        ("why, probe rumour (40 claims), in process", "why_probe", "one_rumour_ms"),
        ("timeline, probe rumour, in process", "timeline_probe", "one_rumour_ms"),
        ("why, hottest rumour, in process", "why_hottest", "one_rumour_ms"),
        ("timeline, hottest rumour, in process", "timeline_hottest", "one_rumour_ms"),
        ("web desk: board page (GET /), in process", "web_board_page", None),
        ("web desk: board JSON (GET /api/board)", "web_board_api", None),
        ("web desk: rumour page, probe rumour", "web_rumour_probe_page", None),
        ("web desk: rumour page, hottest rumour", "web_rumour_hottest_page", None),
        ("append one report, whole process", "append_cli", "append_cli_ms"),
        ("why right after an append by the busiest source", "read_after_append_cli", None),
        ("  the same why with nothing to catch up", "read_settled_cli", None),
    ]
    for label, key, target in latency:
        cell, value = _latency(key)
        rows.append((label, cell, target, value))
    rows.append(
        (
            "  read after an append / settled read",
            lambda r: (
                None
                if "read_after_append_ratio" not in r
                else f"{r['read_after_append_ratio']:.2f}x"
            ),
            "append_read_ratio",
            lambda r: r.get("read_after_append_ratio"),
        )
    )
    rows.append(
        (
            f"  board page / board --limit {TOP} in process",
            lambda r: None if "web_board_ratio" not in r else f"{r['web_board_ratio']:.2f}x",
            None,
            lambda r: None,
        )
    )
    rows.append(
        (
            "import/rebuild runs that hung (killed, run again)",
            lambda r: None if "hangs" not in r else str(len(r["hangs"])),
            None,
            lambda r: None,
        )
    )
    return rows


def verdict(target: str, values: dict[int, float | None]) -> str:
    _text, check, applies = TARGETS[target]
    measured = {n: v for n, v in values.items() if v is not None}
    if not measured:
        return "not measured / failed"
    if applies == "1M":
        if 1_000_000 not in measured:
            largest = max(measured)
            ok = check(measured[largest])
            return ("on track" if ok else "missed") + f" at {size_name(largest)} (1M not run)"
        return "met" if check(measured[1_000_000]) else "MISSED"
    failed = [size_name(n) for n, v in sorted(measured.items()) if not check(v)]
    return "met" if not failed else "MISSED at " + ", ".join(failed)


def judged_value(value: Value, r: dict[str, Any]) -> float | None:
    """A figure for judging; a run that stopped before measuring it misses its target."""
    found = value(r)
    if found is None and "error" in r:
        return math.inf
    return found


def verdicts(results: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    sizes = [int(n) for n in results["sizes"]]
    for store in ("sqlite", "postgresql"):
        if not any(store in results["sizes"][str(n)] for n in sizes):
            continue
        for label, _cell, target, value in rows_for(store):
            if target is None:
                continue
            per_size = [(n, results["sizes"][str(n)].get(store, {})) for n in sizes]
            values = {n: judged_value(value, r) for n, r in per_size}
            out.append(
                {
                    "store": store,
                    "measure": label.strip(),
                    "target": TARGETS[target][0],
                    "verdict": verdict(target, values),
                    "values": values,
                }
            )
    start = results["cli_start"]
    out.append(
        {
            "store": None,
            "measure": "rumour --help / python -c 'import click'",
            "target": TARGETS["help_ratio"][0],
            "verdict": "met" if TARGETS["help_ratio"][1](start["help_ratio"]) else "MISSED",
            "values": {"ratio": start["help_ratio"]},
        }
    )
    return out


def table(results: dict[str, Any]) -> str:
    sizes = [int(n) for n in results["sizes"]]
    header = ["measure", *(size_name(n) for n in sizes), "target", "verdict"]
    lines = [header]
    gen = ["generate ledger, events/s"]
    gen += [rate(results["sizes"][str(n)]["generate"]["events_per_s"]) for n in sizes]
    lines.append([*gen, "", ""])
    judged = {(v["store"], v["measure"]): v["verdict"] for v in results.get("verdicts", [])}
    for store in ("sqlite", "postgresql"):
        if not any(store in results["sizes"][str(n)] for n in sizes):
            continue
        lines.append([f"**{STORE_NAMES[store]}**", *([""] * (len(header) - 1))])
        for label, cell, target, _value in rows_for(store):
            cells = []
            for n in sizes:
                r = results["sizes"][str(n)].get(store, {})
                shown = cell(r)
                cells.append(shown if shown is not None else ("error" if "error" in r else "-"))
            lines.append(
                [
                    label,
                    *cells,
                    TARGETS[target][0] if target else "",
                    judged.get((store, label.strip()), "") if target else "",
                ]
            )
    start = results["cli_start"]
    help_cell = (
        f"{ms(start['rumour_help']['median_ms'])} vs {ms(start['import_click']['median_ms'])}"
        f" ({start['help_ratio']:.2f}x)"
    )
    lines.append(
        [
            "rumour --help vs python -c 'import click'",
            help_cell,
            *([""] * (len(sizes) - 1)),
            TARGETS["help_ratio"][0],
            judged.get((None, "rumour --help / python -c 'import click'"), ""),
        ]
    )
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    out = []
    for i, row in enumerate(lines):
        out.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if i == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    errors = [
        f"- {size_name(int(n))} {STORE_NAMES.get(store, store)} {key}: {value['error']}"
        for n, per_size in results["sizes"].items()
        for store, r in per_size.items()
        if isinstance(r, dict)
        for key, value in [("run", r), *r.items()]
        if isinstance(value, dict) and "error" in value and isinstance(value["error"], str)
    ]
    if errors:
        out.append("\nErrors (the product failed to answer, or the run stopped):")
        out.extend(errors)
    if get(results, "config", "env"):
        out.append("\nSet for every measurement: " + ", ".join(results["config"]["env"]))
    if get(results, "code", "changed_during_run"):
        out.append("\nNote: the product's code changed during this run (see code in the JSON).")
    return "\n".join(out)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark rumour-ledger against raw baselines (issue 7)."
    )
    parser.add_argument(
        "--sizes",
        default="10000,100000",
        type=lambda s: [int(x.replace("_", "")) for x in s.split(",") if x.strip()],
        help="comma-separated ledger sizes in events (default 10000,100000)",
    )
    parser.add_argument("--json", type=Path, help="write all results here (JSON)")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="also measure PostgreSQL: postgresql+psycopg://USER@HOST:PORT/DB (a fresh "
        "schema per ledger, dropped afterwards)",
    )
    parser.add_argument("--names", metavar="PATH", help="transfermarkt_rumours.jsonl for names")
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/rumour-bench"))
    parser.add_argument("--repeats", type=int, default=7, help="samples per latency figure")
    parser.add_argument(
        "--heavy-repeats",
        type=int,
        default=0,
        help="imports and rebuilds per size (default 3 up to 100k events, else 1)",
    )
    parser.add_argument("--start-repeats", type=int, default=15, help="samples of CLI start")
    parser.add_argument(
        "--budget", type=float, default=60.0, help="seconds per latency figure before stopping"
    )
    parser.add_argument(
        "--timeout", type=float, default=1800.0, help="seconds before a child process is killed"
    )
    parser.add_argument(
        "--stall",
        type=float,
        default=180.0,
        help="seconds without CPU after which an import or rebuild child counts as hung",
    )
    parser.add_argument(
        "--retries", type=int, default=2, help="runs again of a hung import or rebuild"
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set in the environment of every measurement (recorded in the JSON), e.g. "
        "POSTGRES_ENABLE_DB_FUNCTIONS=y",
    )
    parser.add_argument(
        "--report",
        nargs="+",
        type=Path,
        metavar="RESULTS.json",
        help="measure nothing: print one table from earlier result files (merged by size; "
        "with --json, write the merged results there)",
    )
    parser.add_argument("--keep", action="store_true", help="keep generated files and ledgers")
    parser.add_argument(
        "--only-import",
        action="store_true",
        help="measure only the import and its raw baseline (and the CLI start), not the rest",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="profile the last import and rebuild of each size with pyinstrument into DIR",
    )
    args = parser.parse_args(argv)
    for item in args.env:
        if "=" not in item:
            parser.error(f"--env takes KEY=VALUE, not {item!r}")
    if args.names:
        args.names = str(Path(args.names).resolve())
    args.workdir = args.workdir.resolve()
    if args.profile:
        args.profile = args.profile.resolve()
        args.profile.mkdir(parents=True, exist_ok=True)
    return args


def report(paths: list[Path], out: Path | None) -> dict[str, Any]:
    """One table from several result files (later files win for the same size)."""
    merged: dict[str, Any] = {}
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        sizes = {**merged.get("sizes", {}), **data["sizes"]}
        runs = [*merged.get("runs", []), {"file": str(path), **{k: data.get(k) for k in RUN_KEYS}}]
        merged = {**data, "sizes": dict(sorted(sizes.items(), key=lambda kv: int(kv[0])))}
        merged["runs"] = runs
    merged["verdicts"] = verdicts(merged)
    merged["table"] = table(merged)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(merged, indent=2, default=str) + "\n")
    return merged


RUN_KEYS = ("started", "finished", "code", "config", "machine")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report:
        print(report(args.report, args.json)["table"])
        return 0
    args.workdir.mkdir(parents=True, exist_ok=True)
    bench = Bench(args)
    results = bench.run()
    print(results["table"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
