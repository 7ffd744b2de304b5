"""A state file that was emptied, damaged or could not be written (issue 23, faults 3 and 5): each
command says so in one line naming the file, what happened and what to do, with its exit status,
and nothing already stored or published is lost."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline.store.sqlite import State
from tests.conftest import read_report

OUTPUTS = ("feed.rss", "feed.atom", "feed.json", "clusters.jsonl", "audit.html")
EXIT_STATE_DAMAGED = 4


def outputs(demo: Path) -> dict[str, bytes]:
    return {name: (demo / "out" / name).read_bytes() for name in OUTPUTS}


def first_run(demo: Path, cli: Callable[..., Any]) -> tuple[str, Path]:
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    return config, demo / "state/syndedup.sqlite"


def one_line(err: str) -> str:
    """stderr holds exactly one line and no traceback; that line."""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


def entries(state: Path) -> int:
    db = sqlite3.connect(state)
    try:
        return int(db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
    finally:
        db.close()


# -- fault 3: an emptied state file next to published outputs ---------------------------------------


def empty_state(state: Path, how: str) -> None:
    for companion in ("-wal", "-shm"):
        state.with_name(state.name + companion).unlink(missing_ok=True)
    state.unlink()
    if how == "zero bytes":
        state.write_bytes(b"")
    else:  # a SQLite file without syndedup's tables (a restore of the wrong file, a tool's new db)
        db = sqlite3.connect(state)
        db.execute("CREATE TABLE notes (line TEXT)")
        db.commit()
        db.close()


@pytest.mark.parametrize(
    ("how", "what"), [("zero bytes", "is empty (0 bytes)"), ("no tables", "holds none of syndedup's tables")]
)
def test_an_emptied_state_next_to_outputs_is_refused_and_force_starts_afresh(
    demo: Path, cli, how: str, what: str
) -> None:
    config, state = first_run(demo, cli)
    published = outputs(demo)
    empty_state(state, how)
    emptied = state.read_bytes()
    for command in (("run",), ("emit",), ("rebuild",)):
        result = cli(*command, "--config", config)
        assert result.code == EXIT_STATE_DAMAGED, (command, result.err)
        line = one_line(result.err)
        assert line.startswith(f"syndedup: {state}: the state file {what}, but the outputs (")
        assert "restore the state file from a backup, or run `syndedup run --force`" in line
        assert outputs(demo) == published  # nothing published was lost
        assert state.read_bytes() == emptied  # nor made into a fresh database
    fresh = cli("run", "--config", config, "--force")
    assert fresh.code == 0, fresh.err
    assert len(read_report(demo / "out/clusters.jsonl")) == 4  # what the feeds still list


def test_an_empty_state_file_without_outputs_is_a_first_run(demo: Path, cli) -> None:
    (demo / "state").mkdir()
    (demo / "state/syndedup.sqlite").write_bytes(b"")
    result = cli("run", "--config", str(demo / "config.toml"))
    assert result.code == 0, result.err
    assert len(read_report(demo / "out/clusters.jsonl")) == 4


# -- fault 5: disk full, a damaged page --------------------------------------------------------------


class _FullAtCommit:
    """A connection whose COMMIT fails as SQLite's does on a full disk."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql == "COMMIT":
            raise sqlite3.OperationalError("database or disk is full")
        return self._db.execute(sql, *args)


def add_an_entry(demo: Path) -> None:
    feed = demo / "feeds/world-desk.xml"
    text = feed.read_text(encoding="utf-8")
    item = (
        "<item><title>Night trains return</title><link>https://world-desk.example/trains</link>"
        "<guid>wd-trains</guid><pubDate>Tue, 24 Jan 2017 10:00:00 GMT</pubDate><description>Night "
        "trains between the two capitals return in May after a pause of ten years, the operator "
        "said on Tuesday, with four departures a week in each direction.</description></item>"
    )
    feed.write_text(text.replace("</channel>", item + "</channel>"), encoding="utf-8")


@pytest.mark.parametrize("where", ["at commit", "while writing"])
def test_a_full_disk_is_one_line_naming_the_state_file_and_loses_nothing(
    demo: Path, cli, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    config, state = first_run(demo, cli)
    published, stored = outputs(demo), entries(state)
    add_an_entry(demo)
    opened = State.__init__

    def full_disk(self: State, path: Path) -> None:
        opened(self, path)
        if where == "at commit":  # the injected error of a full disk, where the issue met it
            self.db = _FullAtCommit(self.db)  # type: ignore[assignment]
        else:  # SQLite's own SQLITE_FULL: the file may not grow by a single page
            pages = self.db.execute("PRAGMA page_count").fetchone()[0]
            self.db.execute(f"PRAGMA max_page_count = {pages}")

    monkeypatch.setattr(State, "__init__", full_disk)
    result = cli("run", "--config", config)
    assert result.code == 1
    line = one_line(result.err)
    assert line.startswith(f"syndedup: run failed, nothing written: {state}: the disk is full (")
    assert "the run's changes to it were rolled back" in line
    assert line.endswith("free space on its disk, then run again")
    monkeypatch.undo()
    assert entries(state) == stored and outputs(demo) == published
    again = cli("run", "--config", config)
    assert again.code == 0 and "1 new entry" in again.out


def damage(state: Path, table: str) -> None:
    """Overwrite the first page of ``table``'s B-tree with garbage, as a bad sector or a torn copy
    would leave it."""
    db = sqlite3.connect(state)
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    root = db.execute("SELECT rootpage FROM sqlite_master WHERE name=?", (table,)).fetchone()[0]
    db.close()
    assert not state.with_name(state.name + "-wal").exists()  # all of it is in the main file
    with state.open("r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xff" * 64)


def test_a_damaged_state_is_one_line_with_exit_4_from_run_emit_status_and_explain(demo: Path, cli) -> None:
    config, state = first_run(demo, cli)
    published = outputs(demo)
    damage(state, "articles")
    for command, prefix in (
        (("run",), ""),
        (("emit",), ""),
        (("status",), ""),
        (("explain", "https://news-aggregator.example/item/88213"), ""),
    ):
        result = cli(*command, "--config", config)
        assert result.code == EXIT_STATE_DAMAGED, (command, result.err)
        line = (
            one_line(result.err) if command[0] != "status" else result.err.splitlines()[-1]
        )  # status also prints what it could read
        assert line.startswith(f"syndedup: {prefix}{state}: the state file is damaged ("), line
        assert "restore it from a backup, or recover what SQLite can still read" in line
        assert outputs(demo) == published


def test_status_shows_damage_where_its_own_queries_do_not_reach(demo: Path, cli) -> None:
    """The feed table reads fine, but a page of the stored signatures is garbage: status checks the
    whole file and says the state is damaged (it said all was well)."""
    config, state = first_run(demo, cli)
    damage(state, "signatures")
    result = cli("status", "--config", config)
    assert result.code == EXIT_STATE_DAMAGED
    assert result.out.startswith(f"state: {state} (DAMAGED: see below)\n")
    assert "Voice of America" in result.out  # what could be read is still shown
    line = result.err.splitlines()[-1]
    assert line.startswith(f"syndedup: {state}: the state file is damaged (")
