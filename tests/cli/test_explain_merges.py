"""``syndedup explain`` on stories merged by a bridging entry (issue 13 item 3), through the CLI,
on SQLite and Redis: an absorbed story's id or GUID names the story that absorbed it, when, and the
bridging entry, then explains that story; a member's explanation lists the stories merged into its
story."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from tests.conftest import CliResult, RedisIndex, read_report
from tests.stages.test_stories import FRAGMENT_BRIDGE, VERSION, P

Cli = Callable[..., CliResult]

# The texts of tests/stages/test_stories.py's merge test: "first" and "second" are one story told
# twice too loosely to join, "bridge" is a partial reprint of both that arrives a run later.
FEEDS = {
    "First Post": ("first", P, "Mon, 06 Mar 2017 08:00:00 GMT"),
    "Second Wire": ("second", VERSION, "Mon, 06 Mar 2017 09:00:00 GMT"),
    "Bridge Daily": ("bridge", FRAGMENT_BRIDGE, "Mon, 06 Mar 2017 10:00:00 GMT"),
}


def link(slug: str) -> str:
    return f"https://{slug}.example/2017/03/06/story"


def write_feed(folder: Path, name: str, slug: str, paragraphs: list[str], published: str) -> None:
    """A one-entry RSS feed whose description is the full text, one <p> per paragraph."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    (folder / f"{slug}.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(name)}</title><link>https://{slug}.example/</link><description>news</description>"
        f"<item><title>{slug} headline</title><link>{link(slug)}</link><guid>{slug}-guid-1</guid>"
        f"<pubDate>{published}</pubDate><description>{escape(body)}</description></item>"
        "</channel></rss>\n",
        encoding="utf-8",
    )


def write_config(folder: Path, names: list[str]) -> Path:
    feeds = "".join(f'[[feeds]]\nname = "{n}"\nurl = "feeds/{FEEDS[n][0]}.xml"\n\n' for n in names)
    config = folder / "config.toml"
    config.write_text(
        feeds + '[output]\nrss = "out/feed.rss"\natom = "out/feed.atom"\nreport = "out/clusters.jsonl"\n\n'
        '[state]\npath = "state/syndedup.sqlite"\n',
        encoding="utf-8",
    )
    return config


def build_merged(folder: Path, cli: Cli, index: RedisIndex | None) -> tuple[Path, dict[str, str]]:
    """Two runs through the CLI, in which "Bridge Daily"'s entry, a run after the other two, merges
    their stories: (the config, feed slug -> the story id its entry started)."""
    (folder / "feeds").mkdir()
    for name, (slug, paragraphs, published) in FEEDS.items():
        write_feed(folder / "feeds", name, slug, paragraphs, published)
    config = write_config(folder, ["First Post", "Second Wire"])
    if index is not None:
        index.use_in(config)
    first_run = cli("run", "--config", str(config))
    assert first_run.code == 0, first_run.err
    before = {
        line["members"][0]["link"]: line["story"] for line in read_report(folder / "out/clusters.jsonl")
    }
    assert len(before) == 2  # two stories before the bridge came
    config = write_config(folder, list(FEEDS))
    if index is not None:
        index.use_in(config)
    second_run = cli("run", "--config", str(config))
    assert second_run.code == 0, second_run.err
    report = {line["story"]: line for line in read_report(folder / "out/clusters.jsonl")}
    first, second = before[link("first")], before[link("second")]
    assert report[second]["merged_into"] == first  # the report says so ...
    assert {m["link"] for m in report[first]["members"]} == {link(s) for s in ("first", "second", "bridge")}
    return config, {"first": first, "second": second}


@pytest.fixture(params=["sqlite", "redis"])
def merged(request: pytest.FixtureRequest, tmp_path: Path, cli: Cli) -> tuple[Path, dict[str, str]]:
    """The merged state of ``build_merged`` on each backend."""
    index = request.getfixturevalue("redis_index") if request.param == "redis" else None
    return build_merged(tmp_path, cli, index)


def test_an_absorbed_storys_id_or_guid_names_the_story_that_absorbed_it(merged, cli: Cli) -> None:
    config, ids = merged
    first, second = ids["first"], ids["second"]
    for asked in (second, f"urn:syndedup:story:{second}"):  # the report's id, the output feed's GUID
        result = cli("explain", "--config", str(config), asked)
        assert result.code == 0, result.err
        lines = result.out.splitlines()
        assert lines[0] == f"story      {second} (urn:syndedup:story:{second}) was merged into"
        assert lines[1].startswith(f"           story {first} (urn:syndedup:story:{first}) on 20")
        assert lines[2] == f'  bridged by  Bridge Daily: "bridge headline" {link("bridge")}'
        # ... then the story that absorbed it, explained as for its id: its original first.
        assert f"entry      {link('first')}" in lines
        assert f"story      {first} (3 entries)" in lines
        assert lines.index(f"entry      {link('first')}") > 2
    # The story that absorbed it, asked for itself, has no "was merged into" note.
    itself = cli("explain", "--config", str(config), first)
    assert itself.code == 0 and "was merged into" not in itself.out
    assert f"story      {first} (3 entries)" in itself.out


def test_a_members_explanation_lists_the_stories_merged_into_its_story(merged, cli: Cli) -> None:
    config, ids = merged
    first, second = ids["first"], ids["second"]
    result = cli("explain", "--config", str(config), link("second"))  # it started the absorbed story
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert "was merged into" not in result.out  # asked by link: no note about the question
    assert f"story      {first} (3 entries)" in lines
    heading = lines.index("stories merged into this story (their ids and GUIDs now lead here; oldest first)")
    assert lines[heading + 1].startswith(f"  {second} (urn:syndedup:story:{second}) on 20")
    assert lines[heading + 2] == f'    bridged by  Bridge Daily: "bridge headline" {link("bridge")}'
    assert "so it started a story: this one, or one merged into it since (listed above)." in result.out
    # Every member of the merged story says so, the bridge too; a story that absorbed nothing does not.
    for slug in ("first", "bridge"):
        assert (
            f"  {second} (urn:syndedup:story:{second}) on"
            in cli("explain", "--config", str(config), link(slug)).out
        )


def test_an_absorbed_story_whose_story_is_gone_says_where_it_went(tmp_path: Path, cli: Cli) -> None:
    import sqlite3

    config, ids = build_merged(tmp_path, cli, None)
    # As when every member of the absorbing story was purged: the tombstone stays, the story goes.
    db = sqlite3.connect(config.parent / "state/syndedup.sqlite")
    with db:
        db.execute("DELETE FROM stories WHERE id = ?", (ids["first"],))
    db.close()
    result = cli("explain", "--config", str(config), ids["second"])
    assert result.code == 1
    assert (
        result.out.splitlines()[0]
        == f"story      {ids['second']} (urn:syndedup:story:{ids['second']}) was merged into"
    )
    assert f"story {ids['first']} is no longer in the state (pruned or purged)" in result.err
