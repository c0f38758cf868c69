"""Run one `rumour` command in this process and time it apart from start-up.

    python benchmarks/child.py RESULT.json --db LEDGER import FILE

The command runs through the CLI's own entry point (`rumour_ledger.cli.main.cli`, as the
installed `rumour` script does), after the modules it would import lazily have been imported,
so the figure is the command's own work; start-up is timed too and reported beside it. The
parent reads the process's peak memory (RSS) from the operating system when it exits.

With BENCH_PROFILE=FILE in the environment the command runs under pyinstrument and its
profile is written to FILE as text (pip install pyinstrument).
"""

from __future__ import annotations

import json
import os
import sys
import time


def main() -> int:
    result_path, args = sys.argv[1], sys.argv[2:]
    started = time.perf_counter()
    import eventsourcing.postgres
    import eventsourcing.sqlite  # noqa: F401
    import sqlalchemy  # noqa: F401

    import rumour_ledger.ledger.interchange
    import rumour_ledger.projections.board
    import rumour_ledger.projections.bootstrap
    import rumour_ledger.projections.claims  # noqa: F401
    from rumour_ledger.cli.main import cli

    ready = time.perf_counter()
    profile = os.environ.get("BENCH_PROFILE")
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.002)
        profiler.start()
    cli.main(args, prog_name="rumour", standalone_mode=False)
    done = time.perf_counter()
    if profiler is not None:
        profiler.stop()
        with open(profile, "w", encoding="utf-8") as out:
            out.write(profiler.output_text(unicode=True, color=False, show_all=False))
    with open(result_path, "w", encoding="utf-8") as out:
        json.dump({"startup_s": ready - started, "command_s": done - ready}, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
