"""Crash-safe file writes: readers see the old file or the new one, never half of one.

A write goes to a temporary file beside its target (``.NAME.XXXXXXXX.tmp``), locked (flock) while
it is written, then renamed over the target. A process killed in between leaves that temporary
file behind; the next write of the same target removes it (``remove_stale_temps``), so they never
pile up.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from pipeline.errors import OutputError

# A temporary file younger than this may have just been made by a writer that has not locked it
# yet (mkstemp, then flock: microseconds apart); an interrupted write's file is older by far.
STALE_AFTER = 60.0


def _temp_prefix(path: Path) -> str:
    return f".{path.name}."


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk, then rename it over
    ``path``. Temporary files of interrupted writes of ``path`` are removed first. Raises
    OutputError naming the file when it cannot be written."""
    write_chunks_if_changed(path, [data], compare=False)  # always writes


def write_chunks_if_changed(path: Path, chunks: Iterable[bytes], compare: bool = True) -> bool:
    """Write ``chunks`` atomically to ``path`` as ``write_atomic`` does, without holding them all in
    memory; with ``compare``, unless the file already holds exactly those bytes (it is read along
    as they are written; then the temporary file is removed and the file keeps its mtime).

    Returns True when the file was (re)written. Raises OutputError naming the file when it cannot
    be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(path)
        fd, temp_name = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write output: {exc.strerror}") from None
    old = _open_for_compare(path) if compare else None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # held until the rename: "being written, not stale"
        same = old is not None
        with os.fdopen(fd, "wb", closefd=False) as handle:
            for chunk in chunks:
                handle.write(chunk)
                same = same and old is not None and _read(old, len(chunk)) == chunk
            if same and old is not None and _read(old, 1) == b"":
                os.unlink(temp_name)
                return False
            handle.flush()
            os.fsync(handle.fileno())
        os.fchmod(fd, 0o644)
        os.replace(temp_name, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise OutputError(f"{path}: cannot write output: {exc.strerror}") from None
    except BaseException:  # the chunks' maker failed (or the run was interrupted): nothing is left
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    finally:
        os.close(fd)
        if old is not None:
            old.close()
    with contextlib.suppress(OSError):  # make the rename itself durable where the OS allows it
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return True


def remove_stale_temps(path: Path, now: float | None = None) -> list[Path]:
    """Delete the temporary files that interrupted writes of ``path`` left beside it (regular
    files named as ``write_atomic`` names them, older than ``STALE_AFTER`` seconds, that no
    writer holds locked); return them. A file that cannot be removed is left for the next write."""
    pattern = re.compile(re.escape(_temp_prefix(path)) + r"[A-Za-z0-9_]{8}\.tmp")
    moment = time.time() if now is None else now
    removed: list[Path] = []
    try:
        candidates = [entry for entry in os.scandir(path.parent) if pattern.fullmatch(entry.name)]
    except OSError:
        return removed
    for entry in candidates:
        try:
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or moment - info.st_mtime < STALE_AFTER:
                continue
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another writer's: BlockingIOError
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            continue
        finally:
            os.close(fd)
    return removed


def _read(handle: BinaryIO, size: int) -> bytes | None:
    """The next ``size`` bytes of the file being compared with (None when it cannot be read)."""
    try:
        return handle.read(size)
    except OSError:
        return None


def _open_for_compare(path: Path) -> BinaryIO | None:
    try:
        return path.open("rb")
    except OSError:  # none yet (or unreadable): written afresh
        return None


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write atomically unless the file already holds exactly ``data`` (keeps its mtime; stale
    temporary files beside it are removed either way).

    Returns True when the file was (re)written, False when it already held ``data``.
    """
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            remove_stale_temps(path)
            return False
    except OSError:
        pass
    write_atomic(path, data)
    return True
