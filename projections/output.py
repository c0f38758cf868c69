"""Files the read commands write (export FILE, --plot FILE): a new file or a regular one,
replaced whole and at once; never a write through a link or into a device or pipe."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from rumour_ledger.ledger.errors import LedgerError


def check_target(path: Path) -> None:
    """Refuse, before any work, a FILE that is not a regular file or has no folder to go in."""
    folder = path.parent
    if not folder.is_dir():
        raise LedgerError(f"no folder {folder} for {path}")
    try:
        found = path.lstat()  # lstat: a symbolic link is judged itself, not its target
    except FileNotFoundError:
        return
    except OSError as error:
        raise LedgerError(f"cannot write {path}: {error.strerror}") from None
    if not stat.S_ISREG(found.st_mode):
        raise LedgerError(f"{path} is not a regular file ({_kind(found.st_mode)})")


def _kind(mode: int) -> str:
    kinds = [
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((name for test, name in kinds if test(mode)), "a special file")


def write_atomically(path: Path, fill: Callable[[BinaryIO], None]) -> None:
    """Write a temporary file beside FILE, flush it to disk, then rename it over FILE: a
    reader sees the old file or the whole new one, and a failure leaves the old one."""
    check_target(path)
    mode = _mode_for(path)
    try:
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise LedgerError(f"cannot write {path}: {error.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as out:
            fill(out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except OSError as error:  # a full disk (ENOSPC), a quota, an I/O error
        Path(temp).unlink(missing_ok=True)
        raise LedgerError(f"cannot write {path}: {error.strerror or error}") from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_lines(path: Path, lines: Iterable[str]) -> None:
    """Text lines, UTF-8, written atomically."""

    def fill(out: BinaryIO) -> None:
        for line in lines:
            out.write(line.encode("utf-8"))

    write_atomically(path, fill)


def _mode_for(path: Path) -> int:
    """A replaced file keeps its permissions; a new one gets what the umask allows."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
