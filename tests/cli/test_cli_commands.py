"""check, explain and status through the CLI, on the demo; progress events; log formats."""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import sys
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.progress import ProgressEvent
from pipeline.runner import run
from tests.test_end_to_end import GAZETTE_LINK, TEASER_LINK, VOA_LINK

BAD_CONFIG = """\
# a config with four mistakes
[[feeds]]
name = "A"
url = "feeds/voa.xml"

[[feeds]]
name = "A"          # the same name twice
url = "feeds/gazette.xml"

[output]
rss = "out/a.rss"
atom = "out/a.atom"
report = "out/a.jsonl"
colour = "red"
max_items = 0

[state]
path = "state/s.sqlite"

[dedup]
copy_threshold = 7
"""


# -- check --------------------------------------------------------------------------------------


def test_check_accepts_the_demo_and_summarizes_it(demo: Path, cli) -> None:
    result = cli("check", "--config", str(demo / "config.toml"))
    assert result.code == 0, result.err
    # the demo keeps the default link, so check warns that its Atom id is every such install's
    assert result.err.startswith("syndedup: warning: [output] link is 'http://localhost/'")
    assert result.err.count("\n") == 1
    assert f"{demo / 'config.toml'}: ok" in result.out
    assert "4 feeds:" in result.out
    assert re.search(
        r"Voice of America\s+file exists\s+" + re.escape(str(demo / "feeds/voa.xml")), result.out
    )
    assert f"report  {demo / 'out/clusters.jsonl'}" in result.out
    assert "created by the first run" in result.out
    assert not (demo / "state").exists()  # check runs nothing and creates nothing


def test_check_after_a_run_counts_the_state(demo: Path, cli) -> None:
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    result = cli("check", "--config", config)
    assert f"state: {demo / 'state/syndedup.sqlite'} (exists: 6 entries in 4 stories)" in result.out


def test_check_warns_about_a_missing_feed_file_but_passes(demo: Path, cli) -> None:
    (demo / "feeds/gazette.xml").unlink()
    result = cli("check", "--config", str(demo / "config.toml"))
    assert result.code == 0
    assert "syndedup: warning: feed 'Syria News Gazette': its file does not exist" in result.err
    assert re.search(r"Syria News Gazette\s+FILE MISSING", result.out)


def test_check_reports_every_bad_key_with_value_and_line(tmp_path: Path, cli) -> None:
    config = tmp_path / "config.toml"
    config.write_text(BAD_CONFIG, encoding="utf-8")
    result = cli("check", "--config", str(config))
    assert result.code == 2
    assert result.out == ""
    lines = result.err.splitlines()
    assert lines == [
        f"syndedup: config error: {config}:7: feeds[1].name = \"A\": duplicate feed name 'A' "
        "(names must be unique)",
        f'syndedup: config error: {config}:14: output.colour = "red": unknown key '
        "(allowed here: rss, atom, report, title, link, description, max_items, url, json, html)",
        f"syndedup: config error: {config}:15: output.max_items = 0: must be >= 1, got 0",
        f"syndedup: config error: {config}:21: dedup.copy_threshold = 7: must be <= 1.0, got 7.0",
        f"syndedup: check: 4 problems in {config}; nothing was run",
    ]


def test_check_missing_required_key_points_at_its_table(tmp_path: Path, cli) -> None:
    config = tmp_path / "config.toml"
    config.write_text(BAD_CONFIG.replace('rss = "out/a.rss"\n', ""), encoding="utf-8")
    result = cli("check", "--config", str(config))
    assert result.code == 2
    assert f"{config}:10: output.rss: missing (required)" in result.err


def test_check_missing_table_is_reported_once(tmp_path: Path, cli) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[[feeds]]\nname = "A"\nurl = "a.xml"\n\n[state]\npath = 3\n', encoding="utf-8")
    result = cli("check", "--config", str(config))
    assert result.code == 2
    assert result.err.splitlines() == [
        f"syndedup: config error: {config}: [output]: missing table",
        f"syndedup: config error: {config}:6: state.path = 3: must be a non-empty string, got 3",
        f"syndedup: check: 2 problems in {config}; nothing was run",
    ]


def test_check_syntax_error_names_the_line(tmp_path: Path, cli) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[output\n", encoding="utf-8")
    result = cli("check", "--config", str(config))
    assert result.code == 2
    assert "invalid TOML" in result.err
    assert "line 1" in result.err


def test_check_missing_file(tmp_path: Path, cli) -> None:
    result = cli("check", "--config", str(tmp_path / "nope.toml"))
    assert result.code == 2
    assert "config file not found" in result.err


def test_key_lines_handles_quoted_dotted_keys_and_multiline_values() -> None:
    from pipeline.cli.toml_lines import key_lines, line_of

    text = (
        '[output]\ndescription = """\nfake = 1\n"""\nrss = "a"\n'
        '[attribution.aliases]\n"voanews.com" = [\n  "VOA",\n]\n"Agence France-Presse" = ["AFP"]\n'
        "[[feeds]]\nname = 'x'\n[[feeds]]\nname = 'y'\n"
    )
    lines = key_lines(text)
    assert lines["output.rss"] == 5
    assert "output.fake" not in lines
    assert line_of(lines, "attribution.aliases.voanews.com") == 7
    assert line_of(lines, "attribution.aliases.Agence France-Presse") == 10
    assert line_of(lines, "feeds[1].name") == 14
    assert line_of(lines, "feeds[1].url") == 13  # missing key: its table's header
    assert line_of(lines, "[state]") is None


# -- explain ------------------------------------------------------------------------------------


def test_explain_the_seed_teaser(demo: Path, cli) -> None:
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    result = cli("explain", "--config", config, TEASER_LINK)
    assert result.code == 0, result.err
    out = result.out
    assert f"entry      {TEASER_LINK}" in out
    assert "  feed       News Aggregator" in out
    assert f"  original         {VOA_LINK} (Voice of America, 2017-01-23T09:30:00Z)" in out
    assert (
        'credited source  Voice of America (named by the credit line: "Voice of America" in '
        "Syria News Gazette)" in out
    )
    assert "this entry is    a teaser of the original: lead containment 1.00" in out
    assert "as a teaser: lead containment" in out
    assert "1.00 >= 0.70 ([dedup] teaser_containment)" in out
    assert re.search(r"teaser\s+News Aggregator\s+2017-01-23T16:40:00Z\s+1.00\s+\S+  <- this entry", out)
    assert re.search(
        r"copy\s+Syria News Gazette\s+2017-01-23T14:05:00Z\s+1.00\s+" + re.escape(GAZETTE_LINK), out
    )


def test_explain_an_original_and_a_lone_story(demo: Path, cli) -> None:
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    voa = cli("explain", "--config", config, VOA_LINK)
    assert voa.code == 0
    assert "this entry is    the original" in voa.out
    assert "matched no earlier entry, so it started this story" in voa.out
    assert "Entries that joined by matching it: Syria News Gazette, News Aggregator." in voa.out
    lone = cli("explain", "--config", config, "https://world-desk.example/2017/01/22/ferry-timetable")
    assert lone.code == 0
    assert "(1 entry)" in lone.out
    assert "the only entry of the story" in lone.out


def test_explain_accepts_a_guid_and_a_story_id(demo: Path, cli) -> None:
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    by_guid = cli("explain", "--config", config, "agg-88213")
    assert by_guid.code == 0
    assert f"entry      {TEASER_LINK}" in by_guid.out
    story_id = re.search(r"story      (\w+)", by_guid.out)
    assert story_id
    by_story = cli("explain", "--config", config, story_id.group(1))
    assert f"entry      {VOA_LINK}" in by_story.out


def test_explain_unknown_link_and_no_state(demo: Path, cli) -> None:
    config = str(demo / "config.toml")
    before = cli("explain", "--config", config, TEASER_LINK)
    assert before.code == 1
    assert "no state file yet (run `syndedup run` first)" in before.err
    assert not (demo / "state/syndedup.sqlite").exists()
    assert cli("run", "--config", config).code == 0
    unknown = cli("explain", "--config", config, "https://nowhere.example/x")
    assert unknown.code == 1
    assert "no stored entry has the link or GUID 'https://nowhere.example/x'" in unknown.err


# -- status -------------------------------------------------------------------------------------


def status_rows(out: str) -> dict[str, list[str]]:
    rows = {}
    for line in out.splitlines()[2:]:
        if not line.strip():
            break
        cells = re.split(r"\s{2,}", line)
        rows[cells[0]] = cells[1:]
    return rows


def test_status_after_a_run_with_one_failing_feed(demo: Path, cli) -> None:
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    (demo / "feeds/gazette.xml").unlink()
    assert cli("run", "--config", config).code == 0
    result = cli("status", "--config", config)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == f"state: {demo / 'state/syndedup.sqlite'}"
    assert re.split(r"\s{2,}", lines[1]) == [
        "feed",
        "last fetch",
        "result",
        "entries",
        "stored",
        "failures",
        "next fetch",
    ]
    rows = status_rows(result.out)
    assert rows["Syria News Gazette"][1:5] == ["failed", "1", "1", "1"]
    # a failing local file does not back off: it is read again at the next run
    assert rows["Syria News Gazette"][5] == "next run"
    assert rows["Voice of America"][1:] == ["ok", "1", "1", "0", "next run"]
    assert rows["World Desk"][1:] == ["ok", "3", "3", "0", "next run"]
    assert "last errors:" in result.out
    assert re.search(
        r"  Syria News Gazette \(last success \d{4}-\d\d-\d\dT[\d:]+Z\): file not found: "
        + re.escape(str(demo / "feeds/gazette.xml")),
        result.out,
    )


def test_status_before_any_run(demo: Path, cli) -> None:
    result = cli("status", "--config", str(demo / "config.toml"))
    assert result.code == 0
    assert "not created yet" in result.out
    assert status_rows(result.out)["News Aggregator"] == ["never", "not fetched yet", "-", "0", "0", "-"]
    assert not (demo / "state").exists()


def test_status_reads_next_fetch_and_dead_when_the_state_has_them(demo: Path, cli) -> None:
    """The backoff columns of feed health are shown: next allowed fetch, and dead feeds."""
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    db = sqlite3.connect(demo / "state/syndedup.sqlite")
    db.execute("UPDATE feeds SET next_fetch_after='2030-01-01T00:00:00Z' WHERE name='World Desk'")
    db.execute("UPDATE feeds SET dead=1 WHERE name='News Aggregator'")
    db.execute("INSERT INTO feeds (name, url) VALUES ('Old Feed', 'https://old.example/rss')")
    db.commit()
    db.close()
    rows = status_rows(cli("status", "--config", config).out)
    assert rows["World Desk"][-1] == "2030-01-01T00:00:00Z"
    assert rows["Voice of America"][-1] == "next run"
    assert rows["News Aggregator"][1] == "dead"
    assert rows["News Aggregator"][-1] == "never (dead)"
    assert rows["Old Feed (removed from config)"][:2] == ["never", "not fetched yet"]
    assert rows["Old Feed (removed from config)"][-1] == "never (removed)"


# -- feedback while running ---------------------------------------------------------------------


def test_runner_reports_progress_through_the_callback(demo: Path) -> None:
    events: list[ProgressEvent] = []
    (demo / "feeds/gazette.xml").unlink()
    run(load_config(demo / "config.toml"), progress=events.append)
    fetch = [e for e in events if e.stage == "fetch"]
    assert [(e.done, e.total) for e in fetch] == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
    assert [e.item for e in fetch if not e.ok] == ["Syria News Gazette"]
    detect = [e for e in events if e.stage == "detect"]
    assert detect[0].done == 0 and detect[-1].done == detect[-1].total == 5
    assert [e.done for e in events if e.stage == "emit"] == [0, 1]


def test_json_log_format_one_object_per_line_with_feed(demo: Path, cli) -> None:
    (demo / "feeds/gazette.xml").unlink()
    result = cli("run", "--config", str(demo / "config.toml"), "--log-format", "json", "--verbose")
    assert result.code == 0
    records = [json.loads(line) for line in result.err.splitlines()]
    assert records, "expected log records"
    for record in records:
        assert {"time", "level", "logger", "message"} <= set(record)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", record["time"])
    [error] = [r for r in records if r["level"] == "ERROR"]
    assert error["feed"] == "Syria News Gazette"
    assert error["logger"] == "pipeline.runner"
    assert error["message"].startswith("feed 'Syria News Gazette' failed: file not found")
    assert {r["feed"] for r in records if r["level"] == "INFO" and "feed" in r} >= {"Voice of America"}
    assert "3 feeds read, 1 failed" in result.out  # the summary stays on stdout


def test_quiet_and_verbose(demo: Path, cli) -> None:
    config = str(demo / "config.toml")
    (demo / "feeds/gazette.xml").unlink()
    quiet = cli("run", "--config", config, "--quiet")
    assert quiet.code == 0
    assert quiet.out == ""
    assert "feed 'Syria News Gazette' failed" in quiet.err
    verbose = cli("run", "--config", config, "--verbose")
    assert "syndedup: INFO: feed 'Voice of America': unchanged since the last run" in verbose.err
    assert cli("run", "--config", config, "--quiet", "--verbose").code == 2


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_keeps_log_lines_and_summary(
    demo: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    (demo / "feeds/gazette.xml").unlink()
    result = cli("run", "--config", str(demo / "config.toml"))
    assert result.code == 0
    assert "3 feeds read, 1 failed" in result.out
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal.getvalue())
    assert "syndedup: ERROR: feed 'Syria News Gazette' failed: file not found" in shown.replace("\n", "")


def test_json_log_format_keeps_cli_errors_json(tmp_path: Path, cli) -> None:
    result = cli("run", "--config", str(tmp_path / "nope.toml"), "--log-format", "json")
    assert result.code == 2
    [record] = [json.loads(line) for line in result.err.splitlines()]
    assert record["level"] == "ERROR"
    assert record["logger"] == "pipeline.cli.app.app"
    assert record["message"].startswith(f"config error: {tmp_path / 'nope.toml'}: config file not found")


def test_interrupted_run_exits_130_and_keeps_the_state(
    demo: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    before = (demo / "out/clusters.jsonl").read_bytes()

    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("pipeline.runner.strip_feed", interrupt)  # inside the transaction
    (demo / "feeds/extra.xml").write_bytes((demo / "feeds/world-desk.xml").read_bytes())
    text = (demo / "config.toml").read_text(encoding="utf-8")
    (demo / "config.toml").write_text(
        text.replace("[output]", '[[feeds]]\nname = "Extra"\nurl = "feeds/extra.xml"\n\n[output]'),
        encoding="utf-8",
    )
    result = cli("run", "--config", config)
    assert result.code == 130
    assert "interrupted; the state is as the last complete run left it" in result.err
    assert (demo / "out/clusters.jsonl").read_bytes() == before
    rows = status_rows(cli("status", "--config", config).out)
    assert rows["Extra"][:2] == ["never", "not fetched yet"]  # the fetch record was rolled back too


def test_an_output_on_the_state_file_is_refused_before_anything_is_written(demo: Path, cli) -> None:
    """Issue 23: `check` and `run` refuse it at load, naming both keys; the state stays as it was."""
    assert cli("run", "--config", str(demo / "config.toml")).code == 0
    state = demo / "state/syndedup.sqlite"
    before = state.read_bytes()
    config = demo / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('"out/clusters.jsonl"', '"state/syndedup.sqlite"'),
        encoding="utf-8",
    )
    checked = cli("check", "--config", str(config))
    assert checked.code == 2
    line = next(n for n, text in enumerate(config.read_text().splitlines(), 1) if text.startswith("report ="))
    assert (
        f'config.toml:{line}: output.report = "state/syndedup.sqlite": {state} is also state.path'
        in checked.err
    )
    ran = cli("run", "--config", str(config))
    assert ran.code == 2
    assert ran.err.startswith("syndedup: config error: ")
    assert f"output.report: {state} is also state.path (the state file)" in ran.err
    assert state.read_bytes() == before


def test_check_warns_about_a_feed_path_that_is_a_fifo(demo: Path, cli) -> None:
    (demo / "feeds/gazette.xml").unlink()
    os.mkfifo(demo / "feeds/gazette.xml")
    result = cli("check", "--config", str(demo / "config.toml"))
    assert result.code == 0
    assert (
        "syndedup: warning: feed 'Syria News Gazette': its file is a FIFO (named pipe), not a regular "
        "file (the run will skip it)"
    ) in result.err
    assert re.search(r"Syria News Gazette\s+NOT A FILE", result.out)
