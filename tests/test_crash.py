"""Cron safety: SIGKILL a real ``python -m pipeline run`` while it fetches, inside the detect
transaction, and between commit and emit; the state and the published feeds stay consistent and the
next run completes with nothing lost and nothing duplicated. Also the lock and its optional wait."""

from __future__ import annotations

import fcntl
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from pipeline.errors import RunLockedError
from pipeline.runner import run_lock
from tests.conftest import REPO, read_report
from tests.feedserver import FeedServer, Route, rss

STORIES = [
    ("w1", "Bridge", "The regional council met on Tuesday to discuss the repair of the northern bridge."),
    ("w2", "Harbour", "The harbour reopened on Monday after three weeks of dredging and repairs to piers."),
    ("w3", "Library", "The city library will open on Sundays from March, the mayor's office said today."),
    ("w4", "Rail", "Night trains between the two capitals return in May after a pause of ten years."),
    (
        "w5",
        "Bridge again",
        "The regional council met on Tuesday to discuss the repair of the northern bridge.",
    ),
]
FIRST = rss(*STORIES[:2], title="Wire")
SECOND = rss(*STORIES, title="Wire")


def write_config(folder: Path, wire_url: str) -> Path:
    (folder / "feeds").mkdir(parents=True, exist_ok=True)
    for name in ("voa.xml", "gazette.xml"):
        (folder / "feeds" / name).write_bytes((REPO / "feeds" / name).read_bytes())
    config = folder / "config.toml"
    config.write_text(
        f"""
[[feeds]]
name = "Voice of America"
url = "feeds/voa.xml"

[[feeds]]
name = "Syria News Gazette"
url = "feeds/gazette.xml"

[[feeds]]
name = "Wire"
url = "{wire_url}"

[output]
rss = "out/feed.rss"
atom = "out/feed.atom"
report = "out/clusters.jsonl"

[state]
path = "state/syndedup.sqlite"

[fetch]
timeout = 60
""",
        encoding="utf-8",
    )
    return config


def start(config: Path, kill_at: str | None = None) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "SYNDEDUP_KILL_AT"}
    if kill_at:
        env["SYNDEDUP_KILL_AT"] = kill_at
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", "--config", str(config)],
        cwd=config.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finish(proc: subprocess.Popen[bytes]) -> int:
    _out, err = proc.communicate(timeout=120)
    if proc.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"exit {proc.returncode}: {err.decode()}")
    return proc.returncode


def snapshot(folder: Path) -> dict[str, Any]:
    """Everything a run may change: stored entries, stories, feed health and the published files."""
    db = sqlite3.connect(folder / "state" / "syndedup.sqlite")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute("SELECT feed, entry_key, story_id, relation FROM articles ORDER BY id")
        articles = rows.fetchall()
        keys = [(feed, key) for feed, key, _, _ in articles]
        assert len(keys) == len(set(keys)), "an entry is stored twice"
        orphans = db.execute("SELECT COUNT(*) FROM articles WHERE story_id NOT IN (SELECT id FROM stories)")
        assert orphans.fetchone()[0] == 0
        unsigned = db.execute(
            "SELECT COUNT(*) FROM articles a LEFT JOIN signatures s ON s.article_id = a.id"
            " WHERE s.article_id IS NULL"
        ).fetchone()[0]
        return {
            "articles": articles,
            "stories": db.execute("SELECT * FROM stories ORDER BY id").fetchall(),
            "feeds": db.execute(
                "SELECT name, etag, last_success, consecutive_failures FROM feeds ORDER BY name"
            ).fetchall(),
            "buckets": db.execute(
                "SELECT (SELECT COUNT(*) FROM lsh_index) + (SELECT COUNT(*) FROM lsh_buckets)"
            ).fetchone()[0],
            "unsigned": unsigned,
            "outputs": {p.name: p.read_bytes() for p in sorted((folder / "out").iterdir())},
        }
    finally:
        db.close()


def stories_of(folder: Path) -> set[frozenset[tuple[str, str]]]:
    """Each story of the report as the set of its members (feed, guid)."""
    report = read_report(folder / "out" / "clusters.jsonl")
    members = [(m["feed"], m["guid"]) for story in report for m in story["members"]]
    assert len(members) == len(set(members)), "an entry is in two stories"
    return {frozenset((m["feed"], m["guid"]) for m in story["members"]) for story in report}


def test_kill_9_at_any_point_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    with FeedServer() as server:
        server.routes["/wire"] = Route(body=FIRST, etag='"first"')
        folder = tmp_path / "crash"
        config = write_config(folder, server.url("/wire"))
        assert finish(start(config)) == 0
        before = snapshot(folder)
        assert len(before["articles"]) > 2

        # 1. Killed while fetching: the Wire server holds the request until the kill.
        server.routes["/wire"] = slow = Route(body=SECOND, etag='"second"', release=threading.Event())
        proc = start(config)
        assert slow.arrived.wait(timeout=60), "the run never asked for the slow feed"
        proc.kill()
        assert finish(proc) == -signal.SIGKILL
        slow.release.set()  # type: ignore[union-attr]
        assert snapshot(folder) == before

        # 2. Killed inside the detect transaction, after every new row was written, before commit.
        server.routes["/wire"] = Route(body=SECOND, etag='"second"')
        assert finish(start(config, kill_at="before-commit")) == -signal.SIGKILL
        assert snapshot(folder) == before

        # 3. Killed after commit, before emit: the state has the new entries, the outputs are the old
        #    ones, whole; the next run writes them.
        assert finish(start(config, kill_at="before-emit")) == -signal.SIGKILL
        committed = snapshot(folder)
        assert committed["outputs"] == before["outputs"]
        assert len(committed["articles"]) == len(before["articles"]) + 3
        assert committed["unsigned"] == 0

        # 4. The next run completes: the feed is unchanged (304), nothing is lost or added twice.
        hits = len(server.hits)
        assert finish(start(config)) == 0
        assert server.statuses("/wire")[hits:] == [304]
        after = snapshot(folder)
        assert after["articles"] == committed["articles"]
        assert after["outputs"] != before["outputs"]

        # The same feeds without any kill give the same stories.
        server.routes["/wire"] = Route(body=FIRST, etag='"first"')
        reference = tmp_path / "reference"
        reference_config = write_config(reference, server.url("/wire"))
        assert finish(start(reference_config)) == 0
        server.routes["/wire"] = Route(body=SECOND, etag='"second"')
        assert finish(start(reference_config)) == 0
    assert stories_of(folder) == stories_of(reference)
    assert snapshot(reference)["articles"] == after["articles"]
    rss_guids = after["outputs"]["feed.rss"].count(b"<guid")
    assert rss_guids == len(stories_of(folder))


# -- the lock -------------------------------------------------------------------------------------


def hold(lock_path: Path) -> int:
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def test_second_run_exits_0_with_a_message_when_the_lock_is_held(tmp_path: Path) -> None:
    with FeedServer() as server:
        server.routes["/wire"] = Route(body=FIRST)
        folder = tmp_path / "locked"
        config = write_config(folder, server.url("/wire"))
        (folder / "state").mkdir()
        fd = hold(folder / "state" / "syndedup.sqlite.lock")
        try:
            proc = start(config)
            _out, err = proc.communicate(timeout=120)
        finally:
            os.close(fd)
    assert proc.returncode == 0
    assert b"another syndedup run is in progress; skipped" in err
    assert not (folder / "out").exists()
    assert server.hits == []


def test_lock_wait_retries_until_the_other_run_is_done(tmp_path: Path) -> None:
    state = tmp_path / "s.sqlite"
    fd = hold(tmp_path / "s.sqlite.lock")
    clock = [0.0]
    waits: list[float] = []

    def fake_sleep(seconds: float) -> None:
        """Time passes only here; the other run finishes during the third wait."""
        waits.append(seconds)
        clock[0] += seconds
        if len(waits) == 3:
            os.close(fd)

    with run_lock(state, wait=30, sleep=fake_sleep, clock=lambda: clock[0]):
        pass
    assert waits == [0.2, 0.2, 0.2]


def test_lock_wait_gives_up_after_the_configured_time(tmp_path: Path) -> None:
    state = tmp_path / "s.sqlite"
    fd = hold(tmp_path / "s.sqlite.lock")
    clock = [0.0]

    def fake_sleep(seconds: float) -> None:
        clock[0] += seconds

    try:
        with (
            pytest.raises(RunLockedError, match=r"in progress after waiting 1 s \(\[state\] lock_wait\)"),
            run_lock(state, wait=1, sleep=fake_sleep, clock=lambda: clock[0]),
        ):
            pass
    finally:
        os.close(fd)
    assert clock[0] == pytest.approx(1.0)
