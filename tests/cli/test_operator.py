"""Operator control (issue 14) through the CLI: renamed and removed feeds, backoff and --force,
the run summary and exit status 3, explain and status on Redis, and the smaller CLI fixes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.runner import run
from tests.cli.test_cli_commands import status_rows
from tests.conftest import REPO, read_report
from tests.feedserver import FeedServer, Route
from tests.test_end_to_end import GAZETTE_LINK, TEASER_LINK, VOA_LINK

WORLD_DESK = "World Desk"


def edit_config(demo: Path, old: str, new: str) -> None:
    config = demo / "config.toml"
    text = config.read_text(encoding="utf-8")
    assert old in text
    config.write_text(text.replace(old, new), encoding="utf-8")


def drop_feed(demo: Path, name: str) -> None:
    """Remove one [[feeds]] table from the demo config."""
    config = demo / "config.toml"
    text = config.read_text(encoding="utf-8")
    text, count = re.subn(rf'\[\[feeds\]\]\nname = "{name}"\nurl = "[^"]+"\n\n', "", text)
    assert count == 1
    config.write_text(text, encoding="utf-8")


def members_by_feed(report: list[dict]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for story in report:
        for member in story["members"]:
            out.setdefault(member["feed"], []).append(member["link"])
    return out


# -- 3. a renamed feed keeps its identity --------------------------------------------------------


def test_renamed_feed_keeps_its_entries_and_does_not_republish_itself(backend_demo: Path, cli) -> None:
    config = str(backend_demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    before = read_report(backend_demo / "out/clusters.jsonl")
    edit_config(backend_demo, 'name = "World Desk"', 'name = "World Desk Online"')
    edit_config(backend_demo, 'name = "Syria News Gazette"', 'name = "Syria News Gazette Online"')
    result = cli("run", "--config", config)
    assert result.code == 0, result.err
    assert "0 new entries" in result.out  # nothing of theirs looks new under the new name
    assert "feed 'World Desk' was renamed 'World Desk Online' (same url): its 3 stored entries" in result.err
    after = read_report(backend_demo / "out/clusters.jsonl")
    assert len(after) == len(before) == 4
    feeds = members_by_feed(after)
    renamed = {"Syria News Gazette Online", "World Desk Online"}
    assert set(feeds) == {"Voice of America", "News Aggregator"} | renamed
    assert len(feeds["World Desk Online"]) == 3
    lone = [s for s in after if s["members"][0]["feed"] == "World Desk Online"]
    assert [s["credited_source"] for s in lone] == ["World Desk Online"] * 3  # no "World Desk" left
    assert [len(s["members"]) for s in lone] == [1, 1, 1]  # the outlet does not republish itself
    assert [s["story"] for s in after] == [s["story"] for s in before]  # same stories, same GUIDs
    rss = (backend_demo / "out/feed.rss").read_text(encoding="utf-8")
    assert "World Desk Online" in rss
    assert not re.search(r"World Desk(?! Online)", rss)
    status = status_rows(cli("status", "--config", config).out)
    assert status["World Desk Online"][3] == "3"  # stored entries follow the name
    assert not any("removed from config" in name for name in status)
    explained = cli("explain", "--config", config, GAZETTE_LINK)
    assert "  feed       Syria News Gazette Online" in explained.out
    third = cli("run", "--config", config)
    assert "0 new entries" in third.out and "renamed" not in third.err


# -- 4. a removed feed leaves the outputs --------------------------------------------------------


def test_removed_feed_leaves_the_outputs_and_comes_back_when_re_added(backend_demo: Path, cli) -> None:
    config = str(backend_demo / "config.toml")
    original = (backend_demo / "config.toml").read_text(encoding="utf-8")
    assert cli("run", "--config", config).code == 0
    before = (backend_demo / "out/clusters.jsonl").read_bytes()
    drop_feed(backend_demo, WORLD_DESK)
    drop_feed(backend_demo, "News Aggregator")
    result = cli("run", "--config", config)
    assert result.code == 0, result.err
    report = read_report(backend_demo / "out/clusters.jsonl")
    assert len(report) == 1  # World Desk's stories of one are gone
    [story] = report
    assert [m["feed"] for m in story["members"]] == ["Voice of America", "Syria News Gazette"]
    for name in ("feed.rss", "feed.atom", "feed.json", "audit.html"):
        text = (backend_demo / "out" / name).read_text(encoding="utf-8")
        assert TEASER_LINK not in text and "world-desk.example" not in text, name
    rows = status_rows(cli("status", "--config", config).out)
    assert rows["World Desk (removed from config)"][-1] == "never (removed)"
    assert rows["World Desk (removed from config)"][3] == "3"  # its entries stay in the state
    # Put back: the same stories again, nothing read as new.
    (backend_demo / "config.toml").write_text(original, encoding="utf-8")
    again = cli("run", "--config", config)
    assert "0 new entries" in again.out
    assert (backend_demo / "out/clusters.jsonl").read_bytes() == before


def test_removing_the_original_s_feed_shows_the_next_full_member_as_original(demo: Path, cli) -> None:
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    drop_feed(demo, "Voice of America")
    assert cli("run", "--config", config).code == 0
    [story] = [s for s in read_report(demo / "out/clusters.jsonl") if len(s["members"]) > 1]
    assert story["canonical"] == GAZETTE_LINK
    assert story["credited_source"] == "Voice of America"  # the Gazette's credit line still says so
    assert [(m["feed"], m["relation"]) for m in story["members"]] == [
        ("Syria News Gazette", "original"),
        ("News Aggregator", "teaser"),
    ]
    assert VOA_LINK not in (demo / "out/feed.atom").read_text(encoding="utf-8")


def test_removed_feed_days_keeps_a_removed_feed_in_the_outputs_until_due(demo: Path) -> None:
    edit_config(demo, "removed_feed_days = 0 ", "removed_feed_days = 2 ")
    start = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    run(load_config(demo / "config.toml"), now=start)
    drop_feed(demo, WORLD_DESK)
    config = load_config(demo / "config.toml")
    report = run(config, now=start + timedelta(hours=1))  # first run without it: removed since now
    assert report.removed_feeds == [] and report.stories_total == 4
    report = run(config, now=start + timedelta(days=2))
    assert report.removed_feeds == [] and report.stories_total == 4  # 47 hours gone: not yet
    report = run(config, now=start + timedelta(days=2, hours=1))
    assert report.removed_feeds == [WORLD_DESK] and report.stories_total == 1
    assert WORLD_DESK not in members_by_feed(read_report(demo / "out/clusters.jsonl"))


# -- 5. backoff: never for files; --force; skipped feeds named -----------------------------------


def test_a_fixed_local_file_is_read_at_the_next_run(demo: Path, cli) -> None:
    config = str(demo / "config.toml")
    moved = demo / "gazette.xml"
    (demo / "feeds/gazette.xml").rename(moved)
    failed = cli("run", "--config", config)
    assert "3 feeds read, 1 failed" in failed.out
    assert status_rows(cli("status", "--config", config).out)["Syria News Gazette"][-1] == "next run"
    moved.rename(demo / "feeds/gazette.xml")
    fixed = cli("run", "--config", config)
    assert fixed.out.startswith(
        "syndedup: 1 feed read, 3 unchanged; 1 new entry (1 joined a story, 0 new stories);"
    )
    assert "skipped" not in fixed.out + fixed.err


def test_skipped_feeds_are_named_with_their_time_and_force_fetches_them(demo: Path, cli) -> None:
    with FeedServer() as server:
        server.routes["/voa.xml"] = Route(status=500)
        edit_config(demo, 'url = "feeds/voa.xml"', f'url = "{server.url("/voa.xml")}"')
        config = str(demo / "config.toml")
        failing = cli("run", "--config", config)
        assert "3 feeds read, 1 failed" in failing.out
        server.routes["/voa.xml"] = Route(body=(REPO / "feeds/voa.xml").read_bytes())
        skipped = cli("run", "--config", config)
        assert skipped.code == 0
        until = status_rows(cli("status", "--config", config).out)["Voice of America"][-1]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", until)
        assert f"3 feeds unchanged, 1 skipped (Voice of America until {until})" in skipped.out
        assert server.statuses("/voa.xml") == [500]  # not fetched while backing off
        forced = cli("run", "--config", config, "--force")
        assert forced.code == 0
        assert forced.out.startswith(
            "syndedup: 1 feed read, 3 unchanged; 1 new entry (1 joined a story, 0 new stories);"
        )
        assert server.statuses("/voa.xml") == [500, 200]
        assert status_rows(cli("status", "--config", config).out)["Voice of America"][1:] == [
            "ok",
            "1",
            "1",
            "0",
            "next run",
        ]


def test_when_every_remote_feed_fails_to_connect_no_feed_backs_off(demo: Path, cli) -> None:
    """Issue 23: the host's own network down (here: nothing listens at the feeds' address, every
    connection is refused) is not the feeds' fault. No feed backs off, so the first run after the
    network is back reads them all instead of exiting 3 for hours."""
    with FeedServer() as gone:
        port = gone.port  # closed again below: connecting to it is refused
    names = {"voa.xml": "Voice of America", "gazette.xml": "Syria News Gazette"}
    names |= {"aggregator.xml": "News Aggregator", "world-desk.xml": WORLD_DESK}
    for file in names:  # full_text = false: the entries' links are not ours to fetch in a test
        new = f'url = "http://127.0.0.1:{port}/{file}"\nfull_text = false'
        edit_config(demo, f'url = "feeds/{file}"', new)
    config = str(demo / "config.toml")
    down = cli("run", "--config", config)
    assert down.code == 3
    assert (
        "syndedup: WARNING: every remote feed failed to connect (4 feeds): this host's network looks "
        "down, so no feed backs off for it"
    ) in down.err
    assert (
        "syndedup: no feed could be read (4 feeds failed; every remote feed failed to connect: this "
        "host's network looks down); the outputs come from the stored state (exit status 3)"
    ) in down.err
    rows = status_rows(cli("status", "--config", config).out)
    assert [rows[name][1:] for name in names.values()] == [["failed", "-", "0", "0", "next run"]] * 4
    with FeedServer(port) as back:
        for file in names:
            back.routes[f"/{file}"] = Route(body=(REPO / "feeds" / file).read_bytes())
        result = cli("run", "--config", config)
    assert result.code == 0, result.err
    assert result.out.startswith("syndedup: 4 feeds read; 6 new entries")


def test_feeds_back_off_when_some_remote_feed_could_be_reached(demo: Path, cli) -> None:
    """A refused connection while another remote feed answers (even with an error) is that feed's
    own trouble: it backs off as before."""
    with FeedServer() as gone:
        port = gone.port
    with FeedServer() as server:
        server.routes["/gazette.xml"] = Route(status=500)
        edit_config(demo, 'url = "feeds/voa.xml"', f'url = "http://127.0.0.1:{port}/voa.xml"')
        edit_config(demo, 'url = "feeds/gazette.xml"', f'url = "{server.url("/gazette.xml")}"')
        config = str(demo / "config.toml")
        result = cli("run", "--config", config)
        assert "network looks down" not in result.err
        rows = status_rows(cli("status", "--config", config).out)
    for name in ("Voice of America", "Syria News Gazette"):
        assert rows[name][1] == "failed" and rows[name][4] == "1"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", rows[name][5])


# -- 6. the summary and exit status 3 ------------------------------------------------------------


def test_summary_pluralises_and_names_every_output(demo: Path, cli) -> None:
    for name in ("Syria News Gazette", "News Aggregator", WORLD_DESK):
        drop_feed(demo, name)
    config = str(demo / "config.toml")
    first = cli("run", "--config", config)
    assert first.out == (
        "syndedup: 1 feed read; 1 new entry (0 joined a story, 1 new story); 1 item written to "
        "feed.rss, feed.atom, feed.json and audit.html; 1 story in clusters.jsonl\n"
    )
    second = cli("run", "--config", config)
    assert second.out == "syndedup: 1 feed unchanged; 0 new entries; outputs unchanged (1 item, 1 story)\n"


def test_exit_3_when_no_feed_can_be_read_and_outputs_still_come_from_the_state(demo: Path, cli) -> None:
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    report_before = (demo / "out/clusters.jsonl").read_bytes()
    for path in (demo / "feeds").glob("*.xml"):
        path.unlink()
    result = cli("run", "--config", config)
    assert result.code == 3
    assert result.out == "syndedup: 4 feeds failed; 0 new entries; outputs unchanged (4 items, 4 stories)\n"
    assert "syndedup: no feed could be read (4 feeds failed); the outputs come from the stored state" in (
        result.err
    )
    assert (demo / "out/clusters.jsonl").read_bytes() == report_before
    quiet = cli("run", "--config", config, "--quiet")
    assert quiet.code == 3 and quiet.out == ""
    assert "no feed could be read" in quiet.err  # an error: cron mails it even with --quiet


def test_exit_3_on_a_first_run_writes_empty_outputs(demo: Path, cli) -> None:
    for path in (demo / "feeds").glob("*.xml"):
        path.unlink()
    result = cli("run", "--config", str(demo / "config.toml"))
    assert result.code == 3
    assert "0 items written to feed.rss, feed.atom, feed.json and audit.html" in result.out
    assert (demo / "out/feed.rss").exists()


def test_unchanged_feeds_are_counted_apart_from_read_ones(demo: Path, cli) -> None:
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    extra = (demo / "feeds/world-desk.xml").read_text(encoding="utf-8")
    (demo / "feeds/world-desk.xml").write_text(extra.replace("</channel>", "<!-- x --></channel>"))
    result = cli("run", "--config", config)
    assert result.out.startswith("syndedup: 1 feed read, 3 unchanged; 0 new entries;")


# -- 8. explain and status on the Redis index ----------------------------------------------------


def test_explain_and_status_read_the_backend(backend_demo: Path, cli) -> None:
    config = str(backend_demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    result = cli("explain", "--config", config, TEASER_LINK)
    assert result.code == 0, result.err
    assert f"  original         {VOA_LINK} (Voice of America, 2017-01-23T09:30:00Z)" in result.out
    assert "1.00 >= 0.70 ([dedup] teaser_containment)" in result.out
    teaser_row = r"teaser\s+News Aggregator\s+2017-01-23T16:40:00Z\s+1.00\s+\S+  <- this entry"
    assert re.search(teaser_row, result.out)
    story_id = re.search(r"story      (\w+) \(3 entries\)", result.out)
    assert story_id
    by_story = cli("explain", "--config", config, story_id.group(1))
    assert f"entry      {VOA_LINK}" in by_story.out
    assert cli("explain", "--config", config, "https://nowhere.example/x").code == 1
    rows = status_rows(cli("status", "--config", config).out)
    assert rows[WORLD_DESK][1:5] == ["ok", "3", "3", "0"]
    assert rows["News Aggregator"][1:5] == ["ok", "1", "1", "0"]


# -- smaller items -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["ftp://ftp.example/feed.xml", "javascript:alert(1)", "mailto:a@example"])
def test_non_http_feed_urls_are_config_errors_naming_the_key(demo: Path, cli, url: str) -> None:
    edit_config(demo, 'url = "feeds/voa.xml"', f'url = "{url}"')
    config = str(demo / "config.toml")
    scheme = url.split(":")[0]
    for command in ("check", "run"):
        result = cli(command, "--config", config)
        assert result.code == 2, command
        assert "feeds[0].url" in result.err and f"the {scheme}: scheme is not supported" in result.err
        assert "file not found" not in result.err


def test_import_opml_refuses_other_urls_and_creates_the_config(tmp_path: Path, cli) -> None:
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<opml version="2.0"><body>'
        '<outline text="Good" xmlUrl="https://good.example/rss"/>'
        '<outline text="Old FTP" xmlUrl="ftp://old.example/feed.xml"/>'
        '<outline text="Relative" xmlUrl="/feed.xml"/>'
        "</body></opml>",
        encoding="utf-8",
    )
    config = tmp_path / "config.toml"
    result = cli("import-opml", "--config", str(config), str(opml))
    assert result.code == 0, result.err
    assert f"syndedup: created {config}" in result.out
    assert "added 1 of 3 feeds" in result.out
    assert "outline 'Old FTP': 'ftp://old.example/feed.xml' is not an http(s) URL; refused" in result.err
    assert "outline 'Relative': '/feed.xml' is a relative URL; refused" in result.err
    loaded = load_config(config)
    assert [(f.name, f.url) for f in loaded.feeds] == [("Good", "https://good.example/rss")]
    assert cli("check", "--config", str(config)).code == 0


def test_serve_with_a_bad_port_is_one_line_exit_2(demo: Path, cli) -> None:
    result = cli("serve", "--config", str(demo / "config.toml"), "--port", "99999")
    assert result.code == 2
    assert result.err == "syndedup: --port 99999: not a TCP port (0 to 65535; 0 picks a free one)\n"


def test_config_may_come_before_the_command(demo: Path, cli) -> None:
    config = str(demo / "config.toml")
    result = cli("--config", config, "run")
    assert result.code == 0, result.err
    assert "4 feeds read" in result.out
    twice = cli("--config", config, "status", "--config", str(demo / "other.toml"))
    assert twice.code == 2
    assert "--config given twice" in twice.err


def test_check_warns_about_the_shared_default_atom_id(demo: Path, cli) -> None:
    config = str(demo / "config.toml")
    warned = cli("check", "--config", config)
    assert warned.code == 0
    assert "warning: [output] link is 'http://localhost/', which is also the Atom feed id" in warned.err
    edit_config(demo, 'link = "http://localhost/"', 'link = "https://news.example.org/"')
    assert "[output] link" not in cli("check", "--config", config).err


def test_counts_agree_with_their_nouns(demo: Path, cli) -> None:
    for name in ("Syria News Gazette", "News Aggregator", WORLD_DESK):
        drop_feed(demo, name)
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    audit = (demo / "out/audit.html").read_text(encoding="utf-8")
    assert "<b>1</b> story</li>" in audit
    assert "<b>0</b> copies</li>" in audit and "<b>0</b> teasers</li>" in audit
    check = cli("check", "--config", config)
    assert "(exists: 1 entry in 1 story)" in check.out
    emitted = cli("emit", "--config", config)
    assert "outputs unchanged (1 item, 1 story)" in emitted.out
    (demo / "out" / "feed.rss").unlink()
    emitted = cli("emit", "--config", config)
    assert "1 item written to feed.rss" in emitted.out and "1 story in" in emitted.out


def test_emit_names_the_files_it_rewrote_and_those_it_left(demo: Path, cli) -> None:
    """Issue 23 item 9: emit says which outputs it rewrote (feed.json and audit.html included) and
    which it left unchanged, as run does; it never claims to have written a file it left alone."""
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    out = demo / "out"
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    same = cli("emit", "--config", config)
    assert same.code == 0, same.err
    assert same.out == "syndedup: outputs unchanged (4 items, 4 stories)\n"
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    (out / "feed.json").unlink()
    (out / "audit.html").unlink()
    some = cli("emit", "--config", config)
    assert some.out == (
        "syndedup: 4 items written to feed.json and audit.html (feed.rss and feed.atom unchanged); "
        "4 stories in clusters.jsonl (unchanged)\n"
    )
