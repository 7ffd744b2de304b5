"""Issue 24: the clusters report's lines are kept in the SQLite state, and emit reads only the
window's stories, the stale ones and those of removed feeds. Whatever changed the stories (a run, an
editor's correction, a rename, a removed feed, ``rebuild``, ``purge``), every output is byte for
byte what reading every story writes (the Redis path, forced here on SQLite)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.outputs.atomic import write_chunks_if_changed
from pipeline.runner import emit_outputs
from pipeline.stages.emit import load_stories
from pipeline.store.sqlite import State
from tests.cli.test_control import AGGREGATOR, GAZETTE, VOA, set_dedup
from tests.conftest import CliResult
from tests.emit_helpers import drop_feed, enable_all_outputs

Cli = Callable[..., CliResult]
MUSEUM = "https://world-desk.example/2017/01/21/museum-reopens"
OUTPUTS = ("clusters.jsonl", "feed.rss", "feed.atom", "feed.json", "audit.html")


def outputs_agree(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """emit from the kept lines, then as if none were kept (every story read): the same bytes."""
    config = demo / "config.toml"
    emit_outputs(load_config(config))
    kept = {name: (demo / "out" / name).read_bytes() for name in OUTPUTS}
    every = demo / "config-every.toml"
    every.write_text(config.read_text(encoding="utf-8").replace('"out/', '"out-every/'), encoding="utf-8")
    with monkeypatch.context() as patch:
        patch.setattr(State, "report_cache", lambda self: None)
        emit_outputs(load_config(every))
    for name in OUTPUTS:
        assert kept[name] == (demo / "out-every" / name).read_bytes(), name


def stale(demo: Path) -> set[str]:
    with sqlite3.connect(demo / "state" / "syndedup.sqlite") as db:
        return {row[0] for row in db.execute("SELECT story FROM report_stale")}


def test_every_change_to_the_stories_emits_what_reading_them_all_does(
    demo: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = demo / "config.toml"
    enable_all_outputs(config, extra="max_items = 2")  # a window smaller than the report
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("max_items = 100 ", "# max_items = 100 "), encoding="utf-8")
    args = ("--config", str(config))
    assert cli("run", *args).code == 0
    assert stale(demo) == set()  # the run made every line in its transaction
    outputs_agree(demo, monkeypatch)

    for command in (
        ("story", "split", AGGREGATOR),
        ("story", "merge", VOA, MUSEUM),
        ("story", "pin", GAZETTE),
    ):
        assert cli(*command, *args).code == 0
        assert stale(demo)  # an editor's change marks its stories (made again in memory by emit)
        outputs_agree(demo, monkeypatch)
    assert cli("run", *args).code == 0
    assert stale(demo) == set()
    outputs_agree(demo, monkeypatch)

    # a renamed feed (same URL): every line naming it changes
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('name = "World Desk"', 'name = "World Desk Daily"'), encoding="utf-8")
    assert cli("run", *args).code == 0
    assert "World Desk Daily" in (demo / "out" / "clusters.jsonl").read_text(encoding="utf-8")
    outputs_agree(demo, monkeypatch)

    set_dedup(demo, "min_tokens", "80")  # rebuild re-decides every story
    assert cli("rebuild", *args).code == 0
    outputs_agree(demo, monkeypatch)

    drop_feed(config, "Voice of America")  # a removed feed leaves the outputs at once
    outputs_agree(demo, monkeypatch)
    assert "voanews" not in (demo / "out" / "clusters.jsonl").read_text(encoding="utf-8")
    assert cli("purge", "Voice of America", *args).code == 0
    outputs_agree(demo, monkeypatch)


def test_lines_kept_by_another_version_are_all_made_again(demo: Path, cli: Cli) -> None:
    config = demo / "config.toml"
    assert cli("run", "--config", str(config)).code == 0
    report = (demo / "out" / "clusters.jsonl").read_bytes()
    path = demo / "state" / "syndedup.sqlite"
    with sqlite3.connect(path) as db:
        count = db.execute("SELECT COUNT(*) FROM report_lines").fetchone()[0]
        db.execute("UPDATE report_lines SET line = 'old'")
        db.execute("UPDATE meta SET value = 'another' WHERE key = 'report_lines'")
    state = State(path)  # opened by this version: every story is stale, no old line is kept
    try:
        assert len(state.report_cache().stale()) == count
        assert list(state.report_cache().lines()) == []
    finally:
        state.close()
    (demo / "out" / "clusters.jsonl").unlink()
    assert cli("emit", "--config", str(config)).code == 0
    assert (demo / "out" / "clusters.jsonl").read_bytes() == report
    assert cli("run", "--config", str(config)).code == 0
    assert stale(demo) == set()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM report_lines WHERE line = 'old'").fetchone()[0] == 0


def test_any_write_to_a_story_or_member_marks_it_stale(demo: Path, cli: Cli) -> None:
    """The triggers, not the code that writes: a member moved, a story's credit changed, a member's
    relation changed, an entry deleted."""
    assert cli("run", "--config", str(demo / "config.toml")).code == 0
    state = State(demo / "state" / "syndedup.sqlite")
    try:
        stories = load_stories(state)
        one, other = stories[0], stories[1]
        cache = state.report_cache()
        writes = [
            ("UPDATE stories SET credited_source = 'X' WHERE id = ?", (one.id,), {one.id}),
            ("UPDATE articles SET relation = 'copy' WHERE id = ?", (one.canonical.article_id,), {one.id}),
            (
                "UPDATE articles SET story_id = ? WHERE id = ?",
                (other.id, one.canonical.article_id),
                {one.id, other.id},
            ),
            ("UPDATE articles SET link_key = 'x' WHERE story_id = ?", (other.id,), set()),  # not shown
            ("DELETE FROM articles WHERE id = ?", (one.canonical.article_id,), {other.id}),
        ]
        for sql, values, marked in writes:
            state.db.execute("DELETE FROM report_stale")
            if sql.startswith("DELETE"):  # (its signature first: a foreign key)
                state.db.execute("DELETE FROM signatures WHERE article_id = ?", values)
            state.db.execute(sql, values)
            assert cache.stale() == marked, sql
    finally:
        state.close()


def test_the_report_is_compared_as_it_is_written(tmp_path: Path) -> None:
    path = tmp_path / "report.jsonl"
    assert write_chunks_if_changed(path, [b"a\n", b"b\n"])
    stamp = path.stat().st_mtime_ns
    assert not write_chunks_if_changed(path, (c for c in [b"a", b"\nb\n"]))  # same bytes: left alone
    assert path.stat().st_mtime_ns == stamp
    for changed in ([b"a\n"], [b"a\n", b"b\n", b"c\n"], [b"a\n", b"x\n"]):
        assert write_chunks_if_changed(path, changed)
        assert path.read_bytes() == b"".join(changed)

    def failing():  # the lines' maker fails half-way: the old file stays, no temporary file
        yield b"new\n"
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_chunks_if_changed(path, failing())
    assert path.read_bytes() == b"a\nx\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.jsonl"]
    assert re.fullmatch(rb"a\nx\n", path.read_bytes())


@pytest.mark.parametrize(
    "published, first_seen",
    [
        ("1970-01-01T00:00:00Z", "2030-05-01T00:00:00Z"),  # before 1990: shown as first seen
        ("2031-01-01T00:00:00Z", "2030-06-01T00:00:00Z"),  # after it was first seen: the same
        ("2017-01-20T00:00:00Z", "2017-01-24T00:00:00Z"),  # an ordinary older one
    ],
)
def test_the_newest_date_of_a_feed_is_read_from_its_newest_members(
    demo: Path, cli: Cli, published: str, first_seen: str
) -> None:
    """The Atom source's updated date (a feed's newest member shown) from an index read, as from
    every story, when an older member shows a later date (``shown_date``)."""
    from pipeline.stages.emit import _newest_member_dates, _newest_members

    assert cli("run", "--config", str(demo / "config.toml")).code == 0
    state = State(demo / "state" / "syndedup.sqlite")
    try:
        oldest = state.db.execute(
            "SELECT id FROM articles WHERE feed = 'World Desk' ORDER BY published LIMIT 1"
        ).fetchone()[0]
        state.db.execute(
            "UPDATE articles SET published = ?, first_seen = ? WHERE id = ?", (published, first_seen, oldest)
        )
        every = _newest_members(load_stories(state))
        assert _newest_member_dates(state.report_cache(), every) == every
    finally:
        state.close()
