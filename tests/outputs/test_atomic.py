"""Issue 23 item 9: the temporary files of an interrupted output write do not stay for ever.

A process killed between writing an output's temporary file and renaming it leaves the file; the
next write of that output (``syndedup run`` or ``emit``, changed or not) removes it, but never a
temporary file another writer is still writing (it holds a lock on it) or has just made. A killed
``rebuild`` leaves its scratch folder beside the state; the next re-deciding command removes it.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

from pipeline.outputs.atomic import STALE_AFTER, remove_stale_temps
from tests.conftest import REPO

# Writes an output the way emit does, and dies (SIGKILL) just before the rename.
KILLED_WRITE = """
import os, signal, sys
from pathlib import Path
from pipeline.outputs import atomic
atomic.os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
atomic.write_atomic(Path(sys.argv[1]), b"half of a new feed")
"""


def killed_write(target: Path) -> Path:
    """The temporary file a write of ``target`` killed before its rename leaves, aged past
    ``STALE_AFTER`` (as by the next cron run)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", KILLED_WRITE, str(target)], env=env, check=False)
    assert done.returncode == -9
    [left] = [p for p in target.parent.iterdir() if p.name.startswith(f".{target.name}.")]
    old = time.time() - STALE_AFTER - 1
    os.utime(left, (old, old))
    return left


def temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_the_next_run_removes_what_a_killed_output_write_left(demo: Path, cli) -> None:
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    out = demo / "out"
    rss_before = (out / "feed.rss").read_bytes()
    left_rss = killed_write(out / "feed.rss")
    left_atom = killed_write(out / "feed.atom")
    assert (out / "feed.rss").read_bytes() == rss_before  # the killed write changed nothing
    assert temps(out) == sorted([left_rss.name, left_atom.name])

    result = cli("run", "--config", config)  # nothing new: every output is left unchanged ...
    assert result.code == 0 and "outputs unchanged" in result.out
    assert temps(out) == []  # ... and the leftovers are gone all the same
    assert (out / "feed.rss").read_bytes() == rss_before


def test_a_temporary_file_being_written_or_just_made_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "feed.rss"
    writing = tmp_path / ".feed.rss.abcd1234.tmp"
    fresh = tmp_path / ".feed.rss.efgh5678.tmp"
    stale = tmp_path / ".feed.rss.ijkl9012.tmp"
    other = tmp_path / ".feed.atom.mnop3456.tmp"  # another output's: its own write cleans it
    for path in (writing, fresh, stale, other):
        path.write_bytes(b"partial")
    now = time.time()
    for path in (writing, stale, other):
        os.utime(path, (now - 3600, now - 3600))
    with writing.open("rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # a writer still at work (a slow disk)
        removed = remove_stale_temps(target)
    assert removed == [stale]
    assert temps(tmp_path) == sorted(p.name for p in (writing, fresh, other))


def test_a_killed_rebuilds_scratch_folder_is_removed_by_the_next_one(demo: Path, cli) -> None:
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    state = demo / "state"
    left = state / "syndedup.sqlite.rebuild-k1ll3d"  # what a replay killed by SIGKILL leaves
    left.mkdir()
    (left / "replay.sqlite").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    other = state / "other.sqlite.rebuild-x"  # another state file's: not this lock's to remove
    other.mkdir()
    assert cli("rebuild", "--dry-run", "--config", config).code == 0
    assert not left.exists() and other.exists()
    assert sorted(p.name for p in state.iterdir() if "rebuild" in p.name) == ["other.sqlite.rebuild-x"]
