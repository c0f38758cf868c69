"""Whether this process may start worker processes, set once by the `rumour` entry point.

A worker starts a fresh interpreter that re-runs the caller's main module; a script that
calls the library without an `if __name__ == "__main__":` guard would start workers from
every worker, and the pool would wait for ever. The `rumour` command's entry point has the
guard and says so here; any other caller works in one process unless it sets
RUMOUR_WORKERS itself. Kept apart from `spread` so the CLI can say it without importing
the database stack.
"""

from __future__ import annotations

_allowed = False


def allow() -> None:
    """Called by the `rumour` entry point: its main module is safe to re-run in a worker."""
    global _allowed
    _allowed = True


def allowed() -> bool:
    return _allowed
