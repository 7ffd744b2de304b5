"""What can go wrong with the state file itself, said in one line: SQLite's errors (a full disk, a
damaged page, an I/O error) as StateErrors naming the file, what happened and what to do; a file
that holds no state at all; and the whole-file check ``status`` runs.

Issue 23: a full disk at commit and a damaged page reached the user as tracebacks, ``status``
showed a damaged state as fine, and a 0-byte state file was silently taken as a fresh database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from pipeline.errors import StateDamagedError, StateError

# SQLite's primary result codes (sqlite3.h) that say what happened to the file; an error raised
# without a code (Python's own, or a test's) is read from its message.
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26
# The tables every syndedup state file has had since its first version.
STATE_TABLES = frozenset(["feeds", "articles", "stories"])


def _recover(path: Path) -> str:
    return (
        "restore it from a backup, or recover what SQLite can still read "
        f"(sqlite3 {path} .recover | sqlite3 {path}.recovered) and set [state] path to the "
        "recovered file, or move it aside to start afresh (the outputs then keep only what the "
        "feeds still list)"
    )


def problem(exc: sqlite3.Error) -> tuple[str, str, bool]:
    """(what happened, what to do, whether the file itself is damaged) for an SQLite error."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc)
    lowered = text.lower()
    if primary == _FULL or "disk is full" in lowered:
        return f"the disk is full ({text})", "free space on its disk, then run again", False
    if primary in (_CORRUPT, _NOTADB) or "malformed" in lowered or "not a database" in lowered:
        return f"the state file is damaged ({text})", "", True
    if primary == _IOERR or "i/o error" in lowered:
        return (
            f"the disk failed to read or write it ({text})",
            "check the disk (dmesg), then run again",
            False,
        )
    if primary == _READONLY or "readonly" in lowered:
        return (
            f"it cannot be written ({text})",
            "let the user running syndedup write the file and its folder",
            False,
        )
    if primary in (_BUSY, _LOCKED) or "locked" in lowered:
        return f"another program holds it ({text})", "stop that program, then run again", False
    if primary == _CANTOPEN:
        return f"it cannot be opened ({text})", "check that its folder exists and can be written", False
    return f"SQLite failed ({text})", "run again; if it keeps failing, check the file", False


def state_error(path: Path, exc: sqlite3.Error, consequence: str) -> StateError:
    """One line: the file, what happened, ``consequence`` (what became of the command's work), and
    what to do. A damaged file is a StateDamagedError (exit code 4)."""
    what, todo, damaged = problem(exc)
    if damaged:
        return damaged_state(path, str(exc), consequence)
    return StateError(f"{path}: {what}; {consequence}: {todo}")


def damaged_state(path: Path, detail: str, consequence: str) -> StateDamagedError:
    """The error of a damaged state file: ``detail`` is what SQLite said or found."""
    return StateDamagedError(f"{path}: the state file is damaged ({detail}); {consequence}; {_recover(path)}")


@contextmanager
def state_errors(path: Path, consequence: str) -> Iterator[None]:
    """Turn an SQLite error raised inside into ``state_error(path, exc, consequence)``."""
    try:
        yield
    except sqlite3.Error as exc:
        raise state_error(path, exc, consequence) from None


def read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection: inspecting never creates, migrates or locks the file."""
    return sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)


def holds_no_state(path: Path) -> str | None:
    """How a state file that exists holds no state ("is empty (0 bytes)", "holds none of syndedup's
    tables"), or None: it has the tables, does not exist yet (a first run), or is not an SQLite
    database at all (opening it says it is damaged)."""
    try:
        if path.stat().st_size == 0:
            return "is empty (0 bytes)"
    except FileNotFoundError:
        return None
    try:
        db = read_only(path)
        try:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            db.close()
    except sqlite3.Error:
        return None
    return None if tables & STATE_TABLES else "holds none of syndedup's tables"


def refuse_empty_state(path: Path, outputs: list[Path]) -> None:
    """Raise StateDamagedError when the state file holds no state but outputs were written from one.

    Taken as a fresh database, it would make the next outputs hold only what the feeds list now
    (issue 23: 1,559 of 4,196 stories vanished). Starting afresh is a choice: ``run --force``, or
    deleting the file."""
    emptied = holds_no_state(path)
    written = [output.name for output in outputs if output.is_file() and output.stat().st_size > 0]
    if emptied is None or not written:
        return
    raise StateDamagedError(
        f"{path}: the state file {emptied}, but the outputs ({', '.join(written)}) were written from "
        "a state: starting afresh would drop every story the feeds no longer list; restore the "
        "state file from a backup, or run `syndedup run --force` to start afresh with an empty state"
    )


def damage(db: sqlite3.Connection, limit: int = 3) -> str | None:
    """The first problems SQLite's ``quick_check`` finds in the whole file (every page of every
    table and index, without cross-checking indexes against their tables), or None when it is
    sound. Reads the whole file: ~ the time to read it from disk once."""
    try:
        rows = [" ".join(str(row[0]).split()) for row in db.execute(f"PRAGMA quick_check({int(limit)})")]
    except sqlite3.Error as exc:  # a page so damaged that the check itself stops on it
        if not problem(exc)[2]:
            raise
        return str(exc)
    return None if rows == ["ok"] else "; ".join(rows)  # one line: SQLite's own spans several
