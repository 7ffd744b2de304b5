"""The feed window and retention: max_items caps every feed, retention_days prunes old stories in the
run's transaction, and a story that gains a member keeps its GUID and gets a new updated date."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from pipeline.config import load_config
from pipeline.runner import run
from tests.conftest import read_report
from tests.emit_helpers import drop_feed, enable_all_outputs

# The demo's entries are dated 2017-01-21 .. 2017-01-23; runs are pinned to dates after them.
AFTER_DEMO = datetime(2017, 1, 24, 12, 0, tzinfo=UTC)
GAZETTE = '[[feeds]]\nname = "Syria News Gazette"\nurl = "feeds/gazette.xml"\n\n'


def counts(state: Path) -> dict[str, int]:
    with sqlite3.connect(state) as db:
        return {
            table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("stories", "articles", "signatures", "lsh_index")
        }


def set_retention(config: Path, days: int) -> None:
    text = re.sub(r"(?m)^retention_days = .*\n", "", config.read_text(encoding="utf-8"))
    config.write_text(text.replace("[state]\n", f"[state]\nretention_days = {days}\n"), encoding="utf-8")


def test_max_items_caps_every_feed_but_not_the_report(demo: Path, cli) -> None:
    enable_all_outputs(demo / "config.toml", extra="max_items = 2")
    text = (demo / "config.toml").read_text(encoding="utf-8")
    (demo / "config.toml").write_text(text.replace("max_items = 100 ", "# max_items = 100 "), "utf-8")
    result = cli("run", "--config", str(demo / "config.toml"))
    assert result.code == 0, result.err
    assert "2 items written" in result.out
    report = read_report(demo / "out/clusters.jsonl")
    assert len(report) == 4
    newest_two = [f"urn:syndedup:story:{s['story']}" for s in report[:2]]
    for name in ("feed.rss", "feed.atom"):
        assert [e.id for e in feedparser.parse((demo / "out" / name).read_bytes()).entries] == newest_two
    items = json.loads((demo / "out/feed.json").read_text(encoding="utf-8"))["items"]
    assert [i["id"] for i in items] == newest_two
    assert (demo / "out/audit.html").read_text(encoding="utf-8").count('<section class="story') == 2


def test_story_that_gains_a_copy_keeps_its_guid_and_gets_a_new_updated_date(demo: Path) -> None:
    config_path = demo / "config.toml"
    full = config_path.read_text(encoding="utf-8")
    enable_all_outputs(config_path)
    drop_feed(config_path, "Syria News Gazette")
    run(load_config(config_path), now=AFTER_DEMO)
    before = {e.id: e for e in feedparser.parse((demo / "out/feed.atom").read_bytes()).entries}
    [astana_id] = [i for i, e in before.items() if "Astana Without" in e.title]
    assert before[astana_id].updated == "2017-01-23T16:40:00Z"  # the teaser, its newest member

    # The gazette's copy (published 14:05, before the teaser) arrives two days later.
    config_path.write_text(full, encoding="utf-8")
    enable_all_outputs(config_path)
    later = datetime(2017, 1, 26, 8, 0, tzinfo=UTC)
    report = run(load_config(config_path), now=later)
    assert (report.joined_story, report.new_stories) == (1, 0)
    after = {e.id: e for e in feedparser.parse((demo / "out/feed.atom").read_bytes()).entries}
    assert set(after) == set(before)  # same GUIDs: no new item
    assert after[astana_id].updated == "2017-01-26T08:00:00Z"
    assert after[astana_id].published == before[astana_id].published
    for other in set(after) - {astana_id}:
        assert after[other].updated == before[other].updated
    atom = feedparser.parse((demo / "out/feed.atom").read_bytes())
    assert atom.feed.updated == "2017-01-26T08:00:00Z"  # the feed's is its newest item's
    items = json.loads((demo / "out/feed.json").read_text(encoding="utf-8"))["items"]
    [item] = [i for i in items if i["id"] == astana_id]
    assert item["date_modified"] == "2017-01-26T08:00:00Z"


def test_retention_prunes_old_stories_with_their_rows(demo: Path) -> None:
    config_path = demo / "config.toml"
    enable_all_outputs(config_path)
    run(load_config(config_path), now=AFTER_DEMO)
    state = demo / "state/syndedup.sqlite"
    full = counts(state)
    assert full["stories"] == 4 and full["articles"] == 6 and full["lsh_index"] > 0

    # Two days at 2017-01-23 12:00: the museum story (01-21 10:30) is past the cutoff by 1.5 hours,
    # less than the one-day batch, so nothing is pruned yet (pruning scans the LSH table).
    set_retention(config_path, 2)
    early = run(load_config(config_path), now=datetime(2017, 1, 23, 12, 0, tzinfo=UTC))
    assert early.stories_pruned == 0 and counts(state) == full

    # One day: the cutoff is 01-22 12:00 and the museum story is more than a day past it, so every
    # story older than the cutoff goes: the museum (01-21) and the ferry (01-22 08:00) stories.
    set_retention(config_path, 1)
    report = run(load_config(config_path), now=datetime(2017, 1, 23, 12, 0, tzinfo=UTC))
    assert report.stories_pruned == 2
    assert report.entries_new == 0  # entries still stored are not re-added
    pruned = counts(state)
    assert (pruned["stories"], pruned["articles"], pruned["signatures"]) == (2, 4, 4)
    assert pruned["lsh_index"] < full["lsh_index"]
    with sqlite3.connect(state) as db:
        orphans = db.execute(
            "SELECT COUNT(*) FROM lsh_index WHERE article_id NOT IN (SELECT id FROM articles)"
        ).fetchone()[0]
    assert orphans == 0
    titles = [e.title for e in feedparser.parse((demo / "out/feed.rss").read_bytes()).entries]
    assert "Museum reopens after two-year restoration of its glass roof" not in titles
    assert "Harbour authority approves new ferry timetable" not in titles
    assert len(titles) == 2
    assert len(read_report(demo / "out/clusters.jsonl")) == 2

    # The feeds still list the pruned entries: older than the window, they are not re-added. (Each
    # file's bytes change, so the feeds are parsed again rather than skipped as unchanged.)
    for feed_file in (demo / "feeds").glob("*.xml"):
        feed_file.write_bytes(feed_file.read_bytes() + b"\n")
    again = run(load_config(config_path), now=datetime(2017, 1, 23, 12, 0, tzinfo=UTC))
    assert (again.entries_new, again.entries_too_old, again.stories_pruned) == (0, 2, 0)
    assert counts(state) == pruned


def test_retention_keeps_a_story_that_gains_a_member_in_the_same_run(demo: Path) -> None:
    """Pruning runs after detection in the same transaction: a copy arriving now keeps its story."""
    config_path = demo / "config.toml"
    full = config_path.read_text(encoding="utf-8")
    drop_feed(config_path, "Syria News Gazette")
    drop_feed(config_path, "News Aggregator")
    run(load_config(config_path), now=AFTER_DEMO)
    config_path.write_text(full, encoding="utf-8")
    set_retention(config_path, 3)
    # 2017-01-26 18:00: VOA's 01-23 09:30 story alone would be past 3 days; its copies from 14:05
    # and 16:40 arrive in this run and are within 3 days, so the story stays.
    report = run(load_config(config_path), now=datetime(2017, 1, 26, 12, 0, tzinfo=UTC))
    assert report.joined_story == 2
    story = next(s for s in read_report(demo / "out/clusters.jsonl") if "Astana Without" in s["title"])
    assert len(story["members"]) == 3
    assert report.stories_pruned == 2  # the ferry (01-22) and museum (01-21) stories


@pytest.mark.parametrize("value", ["0", "-1", "1.5", '"7"'])
def test_bad_retention_days_is_a_config_error(demo: Path, cli, value: str) -> None:
    text = (demo / "config.toml").read_text(encoding="utf-8")
    (demo / "config.toml").write_text(text.replace("[state]\n", f"[state]\nretention_days = {value}\n"))
    result = cli("run", "--config", str(demo / "config.toml"))
    assert result.code == 2
    assert "state.retention_days: must be" in result.err
