"""Issue 14 walls 1 and 7 and purge, end to end through the CLI on SQLite and Redis: ``rebuild``
after a threshold change, the editorial overrides (``story split|merge|pin``) and ``purge``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO, CliResult, read_report

VOA = "https://www.voanews.com/a/syria-talks-astana/3687000.html"
GAZETTE = "https://syrianewsgazette.com/2017/01/23/syrian-peace-talks-open-in-astana/"
AGGREGATOR = "https://news-aggregator.example/item/88213"

Cli = Callable[..., CliResult]


def stories(demo: Path) -> dict[str, dict]:
    """story GUID -> its report line."""
    return {line["story"]: line for line in read_report(demo / "out" / "clusters.jsonl")}


def story_with(demo: Path, link: str) -> dict:
    found = [s for s in stories(demo).values() if link in {m["link"] for m in s["members"]}]
    assert len(found) == 1, found
    return found[0]


def set_dedup(demo: Path, key: str, value: str) -> None:
    config = demo / "config.toml"
    lines = config.read_text(encoding="utf-8").splitlines()
    lines = [f"{key} = {value}" if line.startswith(f"{key} = ") else line for line in lines]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_rebuild_after_a_threshold_change_splits_the_story(backend_demo: Path, cli: Cli) -> None:
    demo = backend_demo
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    voa = story_with(demo, VOA)
    assert AGGREGATOR in {m["link"] for m in voa["members"]}
    before = (demo / "out" / "clusters.jsonl").read_bytes()
    assert "no story changes" in cli("rebuild", "--dry-run", "--config", config).out

    set_dedup(demo, "min_tokens", "80")  # the aggregator's teaser is now too short to compare
    dry = cli("rebuild", "--dry-run", "--config", config)
    assert dry.code == 0, dry.err
    assert "min_tokens 80" in dry.out
    assert f"would split {voa['story']}" in dry.out
    assert f"News Aggregator {AGGREGATOR}" in dry.out
    assert "nothing changed (dry run)" in dry.out
    assert (demo / "out" / "clusters.jsonl").read_bytes() == before
    assert cli("rebuild", "--dry-run", "--config", config).out == dry.out  # still nothing written

    done = cli("rebuild", "--config", config)
    assert done.code == 0, done.err
    assert f"split {voa['story']}" in done.out and "would" not in done.out
    after = story_with(demo, VOA)
    assert after["story"] == voa["story"]  # the surviving story keeps its GUID
    assert {m["link"] for m in after["members"]} == {VOA, GAZETTE}
    alone = story_with(demo, AGGREGATOR)
    assert len(alone["members"]) == 1 and alone["story"] != voa["story"]
    others = {k for k, s in stories(demo).items() if k not in (voa["story"], alone["story"])}
    assert others == set(stories_before(before)) - {voa["story"]}  # untouched stories keep theirs

    assert "no story changes" in cli("rebuild", "--dry-run", "--config", config).out
    assert cli("run", "--config", config).code == 0
    assert story_with(demo, AGGREGATOR)["story"] == alone["story"]

    set_dedup(demo, "min_tokens", "8")  # back: the rebuild merges it again, the GUID is the old one
    merged = cli("rebuild", "--config", config)
    assert f"merge {alone['story']}, {voa['story']}" in merged.out or "merge" in merged.out
    assert {m["link"] for m in story_with(demo, VOA)["members"]} == {VOA, GAZETTE, AGGREGATOR}
    assert story_with(demo, VOA)["story"] == voa["story"]


def stories_before(report: bytes) -> list[str]:
    import json

    return [json.loads(line)["story"] for line in report.decode().splitlines()]


def test_story_split_merge_and_pin_hold_in_later_runs_and_rebuilds(backend_demo: Path, cli: Cli) -> None:
    demo = backend_demo
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    voa = story_with(demo, VOA)

    split = cli("story", "split", AGGREGATOR, "--config", config)
    assert split.code == 0, split.err
    assert f"split {voa['story']}" in split.out and f"News Aggregator {AGGREGATOR}" in split.out
    assert "outputs: " in split.out and "clusters.jsonl" in split.out
    alone = story_with(demo, AGGREGATOR)
    assert len(alone["members"]) == 1 and story_with(demo, VOA)["story"] == voa["story"]
    for command in (("run",), ("rebuild",)):
        assert cli(*command, "--config", config).code == 0
        assert story_with(demo, AGGREGATOR)["story"] == alone["story"], command
        assert len(story_with(demo, AGGREGATOR)["members"]) == 1, command

    pin = cli("story", "pin", GAZETTE, "--config", config)
    assert pin.code == 0, pin.err
    assert "re-credit" in pin.out and "Voice of America -> Syria News Gazette" in pin.out
    assert "re-canonicalise" in pin.out
    for command in (("run",), ("rebuild",), ("rebuild", "--dry-run")):
        assert cli(*command, "--config", config).code == 0
        story = story_with(demo, VOA)
        assert story["canonical"] == GAZETTE and story["credited_source"] == "Syria News Gazette", command

    merge = cli("story", "merge", VOA, AGGREGATOR, "--config", config)
    assert merge.code == 0, merge.err
    assert "merge" in merge.out
    story = story_with(demo, VOA)
    assert story["story"] == voa["story"]  # the older story keeps its GUID
    assert {m["link"] for m in story["members"]} == {VOA, GAZETTE, AGGREGATOR}
    for command in (("run",), ("rebuild",)):
        assert cli(*command, "--config", config).code == 0
        assert len(story_with(demo, VOA)["members"]) == 3, command
        assert story_with(demo, VOA)["canonical"] == GAZETTE, command

    explained = cli("explain", AGGREGATOR, "--config", config)
    assert "story merge" in explained.out or "merged by an editor" in explained.out


def test_story_commands_say_which_link_is_unknown(demo: Path, cli: Cli) -> None:
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    result = cli("story", "split", "https://nowhere.example/x", "--config", config)
    assert result.code == 1
    assert "no stored entry has the link or GUID 'https://nowhere.example/x'" in result.err


def test_purge_deletes_a_feeds_entries_and_redecides_its_stories(backend_demo: Path, cli: Cli) -> None:
    demo = backend_demo
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    voa = story_with(demo, VOA)
    unknown = cli("purge", "Nobody", "--config", config)
    assert unknown.code == 1 and "no stored feed is named 'Nobody'" in unknown.err

    text = (demo / "config.toml").read_text(encoding="utf-8")
    text = text.replace('[[feeds]]\nname = "Syria News Gazette"\nurl = "feeds/gazette.xml"\n', "")
    (demo / "config.toml").write_text(text, encoding="utf-8")
    purged = cli("purge", "Syria News Gazette", "--config", config)
    assert purged.code == 0, purged.err
    assert "deleted 1 entry of 'Syria News Gazette'" in purged.out
    story = story_with(demo, VOA)
    assert story["story"] == voa["story"]
    assert {m["link"] for m in story["members"]} == {VOA, AGGREGATOR}
    assert all(m["feed"] != "Syria News Gazette" for s in stories(demo).values() for m in s["members"])
    status = cli("status", "--config", config)
    assert "Syria News Gazette" not in status.out
    assert cli("run", "--config", config).code == 0
    assert {m["link"] for m in story_with(demo, VOA)["members"]} == {VOA, AGGREGATOR}


def _articles(demo: Path) -> list[tuple]:
    import sqlite3

    db = sqlite3.connect(demo / "state" / "syndedup.sqlite")
    try:
        return db.execute("SELECT id, story_id, relation FROM articles ORDER BY id").fetchall()
    finally:
        db.close()


@pytest.mark.parametrize("where", ["sqlite", "redis"])
def test_a_killed_rebuild_leaves_the_state_as_before(
    demo: Path, cli: Cli, where: str, request: pytest.FixtureRequest
) -> None:
    if where == "redis":
        request.getfixturevalue("redis_index").use_in(demo / "config.toml")
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    before = stories(demo)
    stored = _articles(demo) if where == "sqlite" else None
    set_dedup(demo, "min_tokens", "80")
    env = {**os.environ, "SYNDEDUP_KILL_AT": "rebuild-before-commit", "PYTHONPATH": str(REPO)}
    killed = subprocess.run(
        [sys.executable, "-m", "pipeline", "rebuild", "--config", config], cwd=demo, env=env, check=False
    )
    assert killed.returncode == -9
    if stored is not None:
        assert _articles(demo) == stored
    else:  # the dead process's detect lock would expire after LOCK_TTL (60 s): expire it now
        import redis

        index = request.getfixturevalue("redis_index")
        redis.Redis.from_url(index.url).delete(index.prefix + "lock")
    assert "would split" in cli("rebuild", "--dry-run", "--config", config).out  # not applied
    assert cli("emit", "--config", config).code == 0
    assert stories(demo) == before
    assert cli("rebuild", "--config", config).code == 0
    assert len(story_with(demo, AGGREGATOR)["members"]) == 1


FILLER = (
    "Farmers in the northern valley began the harvest early this year after a dry spring, and "
    "co-operatives said prices for grain would stay close to last season's while storage costs rose. "
)


def add_near_miss_feed(demo: Path) -> str:
    """A feed whose one entry reuses 38 words from the middle of VOA's story and adds unrelated text:
    below every threshold (a near miss), not a copy, a teaser or a partial reprint."""
    import html as html_module

    import feedparser

    voa = feedparser.parse((demo / "feeds" / "voa.xml").read_bytes()).entries[0]
    raw = voa.content[0].value if "content" in voa else voa.summary
    words = re.sub(r"<[^>]+>", " ", html_module.unescape(raw)).split()
    # 38 words: fewer shared shingles than a partial reprint needs ([dedup] partial_min_shared 40).
    text = " ".join(words[len(words) // 3 : len(words) // 3 + 38]) + " " + FILLER * 12
    from tests.feedserver import rss

    (demo / "feeds" / "near.xml").write_bytes(rss(("near-1", "Talks and harvest", html_module.escape(text))))
    with (demo / "config.toml").open("a", encoding="utf-8") as out:
        out.write('\n[[feeds]]\nname = "Near Desk"\nurl = "feeds/near.xml"\n')
    return "http://example.org/near-1"


def test_explain_a_near_miss_pair_and_the_near_misses_of_an_entry(backend_demo: Path, cli: Cli) -> None:
    demo = backend_demo
    config = str(demo / "config.toml")
    text = (demo / "config.toml").read_text(encoding="utf-8")
    near = add_near_miss_feed(demo)
    (demo / "config.toml").write_text((demo / "config.toml").read_text().replace("[output]", "[output]", 1))
    assert cli("run", "--config", config).code == 0
    assert text  # the config was extended, not replaced
    assert len(story_with(demo, near)["members"]) == 1

    pair = cli("explain", near, VOA, "--config", config)
    assert pair.code == 0, pair.err
    assert "Jaccard" in pair.out and "<  0.50" in pair.out and "[dedup] copy_threshold" in pair.out
    assert "lead containment" in pair.out and "[dedup] teaser_containment" in pair.out
    assert "[dedup] partial_containment" in pair.out  # the partial reprint's overlap, and its guard:
    assert re.search(r"shared shingles +\d+ <  40 +\(\[dedup\] partial_min_shared", pair.out), pair.out
    assert "same permalink        no" in pair.out and "same feed             no" in pair.out
    assert "verdict today   different stories" in pair.out
    assert "stored          in different stories" in pair.out
    jaccard = float(pair.out.split("Jaccard               ")[1].split()[0])
    assert 0.05 < jaccard < 0.5

    single = cli("explain", near, "--config", config)
    assert single.code == 0, single.err
    misses = single.out.split("near misses")[1].splitlines()[1:]
    assert VOA in misses[0]  # the closest entry not merged comes first, with its scores
    assert f"Jaccard {jaccard:.2f}" in misses[0]
    assert len([line for line in misses if "Jaccard" in line]) <= 3

    set_dedup(demo, "copy_threshold", "0.05")  # a copy by Jaccard now, but the run never compares them:
    changed = cli("explain", near, VOA, "--config", config)  # their signatures share no LSH band
    assert re.search(r"Jaccard +0\.\d\d >= 0\.05", changed.out), changed.out
    assert "verdict today   different stories: never compared" in changed.out
    assert "decides differently" not in changed.out  # as the run and rebuild decide
    assert "today's config would merge these" not in cli("explain", near, "--config", config).out

    audit = (demo / "out" / "audit.html").read_text(encoding="utf-8")
    assert 'id="near-misses"' in audit and near in audit.split('id="near-misses"')[1]


def test_explain_says_when_todays_config_would_not_merge_a_stored_pair(demo: Path, cli: Cli) -> None:
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    set_dedup(demo, "min_tokens", "80")
    out = cli("explain", AGGREGATOR, "--config", config).out
    assert "min_tokens 80" in out
    assert "Today's config would decide differently" in out and "rebuild --dry-run" in out
