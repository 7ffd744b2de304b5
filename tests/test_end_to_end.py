"""The whole pipeline through the CLI: the seed case, reruns, late copies, exit codes and messages."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest

from tests.conftest import REPO, read_report

VOA_LINK = "https://www.voanews.com/a/syria-talks-astana/3687000.html"
GAZETTE_LINK = "https://syrianewsgazette.com/2017/01/23/syrian-peace-talks-open-in-astana/"
TEASER_LINK = "https://news-aggregator.example/item/88213"


@pytest.fixture
def demo(backend_demo: Path) -> Path:
    """Every test here runs on both index backends (SQLite and Redis) and expects the same stories."""
    return backend_demo


def astana(report: list[dict]) -> dict:
    [story] = [s for s in report if any(m["link"] == GAZETTE_LINK for m in s["members"])]
    return story


def drop_feed(config: Path, name: str) -> None:
    text = config.read_text(encoding="utf-8")
    text = re.sub(rf'\[\[feeds\]\]\nname = "{name}"\nurl = "[^"]+"\n\n', "", text)
    config.write_text(text, encoding="utf-8")


def test_seed_case_is_one_item_credited_to_voa(demo: Path, cli) -> None:
    result = cli("run", "--config", str(demo / "config.toml"))
    assert result.code == 0, result.err
    assert "4 items written" in result.out
    report = read_report(demo / "out/clusters.jsonl")
    story = astana(report)
    assert story["canonical"] == VOA_LINK
    assert story["credited_source"] == "Voice of America"
    relations = {m["link"]: m["relation"] for m in story["members"]}
    assert relations == {VOA_LINK: "original", GAZETTE_LINK: "copy", TEASER_LINK: "teaser"}
    assert all(0.9 <= m["similarity"] <= 1.0 for m in story["members"])
    # The World Desk's own report on the same talks stays a story of its own.
    assert len(report) == 4
    assert sum(len(s["members"]) for s in report) == 6

    rss = feedparser.parse((demo / "out/feed.rss").read_bytes())
    assert rss.bozo == 0
    astana_items = [e for e in rss.entries if "Astana Without" in e.title]
    assert len(astana_items) == 1
    item = astana_items[0]
    assert item.link == VOA_LINK
    assert item.id == f"urn:syndedup:story:{story['story']}"
    assert item.guidislink is False
    assert item.source.title == "Voice of America"
    assert (
        "Originally published by Voice of America. Also published by: Syria News Gazette (copy), "
        "News Aggregator (teaser)." in item.summary
    )


def test_credit_line_alone_credits_voa_when_its_feed_is_absent(demo: Path, cli) -> None:
    drop_feed(demo / "config.toml", "Voice of America")
    result = cli("run", "--config", str(demo / "config.toml"))
    assert result.code == 0, result.err
    story = astana(read_report(demo / "out/clusters.jsonl"))
    assert story["credited_source"] == "Voice of America"
    assert story["canonical"] == GAZETTE_LINK
    relations = {m["link"]: m["relation"] for m in story["members"]}
    assert relations == {GAZETTE_LINK: "original", TEASER_LINK: "teaser"}
    atom = feedparser.parse((demo / "out/feed.atom").read_bytes())
    entry = next(e for e in atom.entries if e.link == GAZETTE_LINK)
    html = entry.content[0].value
    assert "Voice of America</a> (this text from Syria News Gazette)." in html
    assert html.startswith("<p>ASTANA — Syrian government")  # the lost dash is restored


def test_second_run_is_idempotent(demo: Path, cli) -> None:
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    before = {
        name: (demo / "out" / name).read_bytes() for name in ("feed.rss", "feed.atom", "clusters.jsonl")
    }
    second = cli("run", "--config", config)
    assert second.code == 0
    assert "0 new entries" in second.out
    after = {name: (demo / "out" / name).read_bytes() for name in before}
    assert after == before


def test_copy_arriving_in_a_later_run_joins_the_story(demo: Path, cli) -> None:
    config = demo / "config.toml"
    full = config.read_text(encoding="utf-8")
    drop_feed(config, "Syria News Gazette")
    drop_feed(config, "News Aggregator")
    assert cli("run", "--config", str(config)).code == 0
    first = read_report(demo / "out/clusters.jsonl")
    [voa_story] = [s for s in first if s["canonical"] == VOA_LINK]
    items_before = len(feedparser.parse((demo / "out/feed.rss").read_bytes()).entries)

    config.write_text(full, encoding="utf-8")
    result = cli("run", "--config", str(config))
    assert "2 joined a story, 0 new stories" in result.out
    story = astana(read_report(demo / "out/clusters.jsonl"))
    assert story["story"] == voa_story["story"]
    assert len(story["members"]) == 3
    rss = feedparser.parse((demo / "out/feed.rss").read_bytes())
    assert len(rss.entries) == items_before
    item = next(e for e in rss.entries if e.link == VOA_LINK)
    assert "Syria News Gazette (copy)" in item.summary


def test_teaser_first_then_original_in_a_later_run(demo: Path, cli) -> None:
    config = demo / "config.toml"
    full = config.read_text(encoding="utf-8")
    drop_feed(config, "Voice of America")
    drop_feed(config, "Syria News Gazette")
    assert cli("run", "--config", str(config)).code == 0
    [teaser_story] = [s for s in read_report(demo / "out/clusters.jsonl") if s["canonical"] == TEASER_LINK]
    config.write_text(full, encoding="utf-8")
    assert cli("run", "--config", str(config)).code == 0
    story = astana(read_report(demo / "out/clusters.jsonl"))
    assert story["story"] == teaser_story["story"]
    assert story["canonical"] == VOA_LINK
    assert story["credited_source"] == "Voice of America"


def test_missing_config_file_exits_2(tmp_path: Path, cli) -> None:
    result = cli("run", "--config", str(tmp_path / "nope.toml"))
    assert result.code == 2
    assert result.err == (
        f"syndedup: config error: {tmp_path / 'nope.toml'}: config file not found "
        "(pass --config PATH or create ./config.toml)\n"
    )
    assert not (tmp_path / "out").exists()


def test_unknown_key_exits_2_naming_it(demo: Path, cli) -> None:
    config = demo / "config.toml"
    config.write_text(config.read_text().replace("[output]", "[output]\ncolor = 1"), encoding="utf-8")
    result = cli("run", "--config", str(config))
    assert result.code == 2
    assert result.err == (
        f"syndedup: config error: {config}: output.color: unknown key (allowed here: rss, atom, "
        "report, title, link, description, max_items, url, json, html)\n"
    )


def test_missing_feed_file_is_logged_and_the_run_goes_on(demo: Path, cli) -> None:
    (demo / "feeds/gazette.xml").unlink()
    result = cli("run", "--config", str(demo / "config.toml"))
    assert result.code == 0
    assert (
        f"syndedup: ERROR: feed 'Syria News Gazette' failed: file not found: "
        f"{demo / 'feeds/gazette.xml'} (check the feed's url in the config) (skipped; other feeds go on)"
    ) in result.err
    assert "3 feeds read, 1 failed" in result.out
    story = astana_by_voa(read_report(demo / "out/clusters.jsonl"))
    assert {m["relation"] for m in story["members"]} == {"original", "teaser"}


def astana_by_voa(report: list[dict]) -> dict:
    [story] = [s for s in report if s["canonical"] == VOA_LINK]
    return story


def test_usage_error_exits_2(cli) -> None:
    assert cli().code == 2
    assert cli("frobnicate").code == 2


def test_python_m_pipeline_runs_the_demo(demo: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--config", str(demo / "config.toml")],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (demo / "out/feed.atom").exists()
    assert (demo / "state/syndedup.sqlite").exists()
