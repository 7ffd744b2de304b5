"""Issue 23 item 8: editors' corrections are visible wherever a story is explained or shown, on
SQLite and Redis: ``explain`` forwards a story absorbed by ``story merge`` or ``rebuild`` to the
story that absorbed it, gives the pinned outlet's reasons after ``story pin``, and ``story list`` /
``story undo`` list and take back corrections."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.cli.test_control import AGGREGATOR, GAZETTE, VOA, set_dedup, stories, story_with
from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def test_explain_forwards_a_story_absorbed_by_an_editors_merge(backend_demo: Path, cli: Cli) -> None:
    demo = backend_demo
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    voa = story_with(demo, VOA)["story"]
    assert cli("story", "split", AGGREGATOR, "--config", config).code == 0
    alone = story_with(demo, AGGREGATOR)["story"]
    assert alone != voa
    assert cli("story", "merge", VOA, AGGREGATOR, "--config", config).code == 0
    assert stories(demo)[alone]["merged_into"] == voa  # the report says where it went ...

    for asked in (alone, f"urn:syndedup:story:{alone}"):  # ... and explain follows it
        explained = cli("explain", asked, "--config", config)
        assert explained.code == 0, explained.err
        head = explained.out.split("\n\nentry")[0]
        assert f"story      {alone} (urn:syndedup:story:{alone}) was merged into" in head
        assert f"story {voa} (urn:syndedup:story:{voa})" in head
        assert "named by  News Aggregator: " in head and AGGREGATOR in head
        assert "syndedup story merge" in head and "strongly in both" not in head
        assert f"\nentry      {VOA}\n" in explained.out  # then the story that absorbed it
    member = cli("explain", AGGREGATOR, "--config", config).out
    assert "stories merged into this story" in member and alone in member.split("why it is in")[0]


def test_explain_forwards_a_story_absorbed_by_a_rebuild(backend_demo: Path, cli: Cli) -> None:
    demo = backend_demo
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    voa = story_with(demo, VOA)["story"]
    set_dedup(demo, "min_tokens", "80")  # the teaser is too short to compare: a story of its own
    assert cli("rebuild", "--config", config).code == 0
    alone = story_with(demo, AGGREGATOR)["story"]
    set_dedup(demo, "min_tokens", "8")  # back: the rebuild merges it again into the older story
    assert cli("rebuild", "--config", config).code == 0
    assert story_with(demo, AGGREGATOR)["story"] == voa
    assert stories(demo)[alone]["merged_into"] == voa

    explained = cli("explain", f"urn:syndedup:story:{alone}", "--config", config)
    assert explained.code == 0, explained.err
    head = explained.out.split("\n\nentry")[0]
    assert f"{alone} (urn:syndedup:story:{alone}) was merged into" in head and voa in head
    assert "syndedup rebuild" in head
    assert "bridged by  News Aggregator: " in head  # the teaser's new match crosses the two stories
    assert f"\nentry      {VOA}\n" in explained.out


def test_explain_after_a_pin_gives_the_pinned_outlets_reasons(backend_demo: Path, cli: Cli) -> None:
    demo = backend_demo
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    before = cli("explain", GAZETTE, "--config", config).out
    assert "credited source  Voice of America (named by the credit line" in before
    assert cli("story", "pin", GAZETTE, "--config", config).code == 0
    for link in (GAZETTE, VOA, AGGREGATOR):  # every member's explanation tells the same story
        out = cli("explain", link, "--config", config).out
        story = out.split("\n\nwhy it is in")[0]
        assert f"original         {GAZETTE} (Syria News Gazette" in story
        assert "why original     pinned by an editor (`syndedup story pin`, " in story
        assert "earliest full" not in story
        credited = next(line for line in story.splitlines() if "credited source" in line)
        assert credited.startswith("  credited source  Syria News Gazette (the outlet of the pinned original")
        assert "named by the credit line" not in credited
    own = cli("explain", GAZETTE, "--config", config).out
    assert "An editor has since pinned it as the story's original" in own
    assert "Attribution has since made it" not in own


MUSEUM = "https://world-desk.example/2017/01/21/museum-reopens"


def test_story_list_and_undo_take_back_each_kind_of_correction(backend_demo: Path, cli: Cli) -> None:
    """Every correction is listed with an id; undoing it re-decides its stories with today's
    config: an unpinned story gets the rules' original back, an undone split rejoins the story it
    matches, an undone merge of two unrelated stories splits them again, each under its own GUID."""
    demo = backend_demo
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    before = (demo / "out" / "clusters.jsonl").read_bytes()
    voa, museum = story_with(demo, VOA)["story"], story_with(demo, MUSEUM)["story"]
    empty = cli("story", "list", "--config", config)
    assert empty.code == 0 and empty.out.startswith("no corrections")

    assert cli("story", "pin", GAZETTE, "--config", config).code == 0
    assert cli("story", "split", AGGREGATOR, "--config", config).code == 0
    assert cli("story", "merge", VOA, MUSEUM, "--config", config).code == 0
    # The museum story is the older one: it keeps its GUID and absorbs VOA's story.
    assert story_with(demo, VOA)["story"] == museum and stories(demo)[voa]["merged_into"] == museum
    listed = cli("story", "list", "--config", config)
    assert listed.code == 0, listed.err
    assert listed.out.startswith("3 corrections, oldest first")
    # Oldest first to the second: the three were made within a second or two, so found by kind.
    by_kind = {line.split()[0].split("-")[0]: line for line in listed.out.splitlines()[1:]}
    assert sorted(by_kind) == ["merge", "pin", "split"]
    ids = [by_kind[kind].split()[0] for kind in ("pin", "split", "merge")]
    assert f"pinned     Syria News Gazette {GAZETTE}" in by_kind["pin"]
    assert f"split out  News Aggregator {AGGREGATOR}" in by_kind["split"]
    assert f"merged     Voice of America {VOA} + World Desk {MUSEUM}" in by_kind["merge"]
    assert f"(story {museum})" in by_kind["merge"]

    unmerged = cli("story", "undo", ids[2], "--config", config)
    assert unmerged.code == 0, unmerged.err
    assert f"split {museum}" in unmerged.out
    assert story_with(demo, MUSEUM)["story"] == museum  # each story under its own GUID again
    assert story_with(demo, VOA)["story"] == voa and "merged_into" not in stories(demo)[voa]
    explained = cli("explain", voa, "--config", config)
    assert "was merged into" not in explained.out and f"entry      {GAZETTE}" in explained.out

    unsplit = cli("story", "undo", ids[1], "--config", config)
    assert unsplit.code == 0, unsplit.err
    assert "merge" in unsplit.out
    assert {m["link"] for m in story_with(demo, VOA)["members"]} == {VOA, GAZETTE, AGGREGATOR}

    unpinned = cli("story", "undo", ids[0], "--config", config)
    assert unpinned.code == 0, unpinned.err
    assert "Syria News Gazette -> Voice of America" in unpinned.out
    assert story_with(demo, VOA)["canonical"] == VOA
    assert cli("story", "list", "--config", config).out.startswith("no corrections")
    after = {k: v for k, v in stories(demo).items() if "merged_into" not in v}
    assert after == {line["story"]: line for line in stories_of(before)}  # as before any correction

    again = cli("story", "undo", ids[0], "--config", config)
    assert again.code == 1 and f"no correction {ids[0]} is stored" in again.err
    bogus = cli("story", "undo", "pin-x", "--config", config)
    assert bogus.code == 1 and "'pin-x' is not a correction id" in bogus.err


def stories_of(report: bytes) -> list[dict]:
    import json

    return [json.loads(line) for line in report.decode().splitlines()]
