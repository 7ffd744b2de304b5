"""Issue 23 item 9 and "what operators expect": a followed permanent redirect is reported (so that
the operator can update config.toml), and ``status --json`` gives each feed's health for monitoring.
Feeds are served on 127.0.0.1 by the test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult
from tests.feedserver import FeedServer, Route, rss

Cli = Callable[..., CliResult]
TEXT = (
    "The harbour authority approved a new ferry timetable on Monday, adding two evening crossings "
    "and moving the first morning departure earlier by twenty minutes for commuters."
)


def write_config(folder: Path, feeds: dict[str, str]) -> Path:
    tables = "".join(f'[[feeds]]\nname = "{name}"\nurl = "{url}"\n\n' for name, url in feeds.items())
    config = folder / "config.toml"
    config.write_text(
        tables + '[output]\nrss = "out/feed.rss"\natom = "out/feed.atom"\nreport = "out/clusters.jsonl"\n\n'
        '[state]\npath = "state/syndedup.sqlite"\n',
        encoding="utf-8",
    )
    return config


def test_a_followed_permanent_redirect_is_reported_and_status_json_shows_health(
    tmp_path: Path, cli: Cli
) -> None:
    with FeedServer() as server:
        server.routes["/old.xml"] = Route(status=301, location=server.url("/new.xml"))
        server.routes["/new.xml"] = Route(rss(("n-1", "Ferry timetable", TEXT), title="Harbour News"))
        server.routes["/broken.xml"] = Route(b"oops", status=500, content_type="text/plain")
        config = write_config(
            tmp_path, {"Harbour News": server.url("/old.xml"), "Broken Wire": server.url("/broken.xml")}
        )
        first = cli("run", "--config", str(config))
        assert first.code == 0, first.err
        moved = [line for line in first.err.splitlines() if "moved permanently" in line]
        assert moved == [
            f"syndedup: WARNING: feed 'Harbour News' moved permanently (HTTP 301/308) from "
            f"{server.url('/old.xml')} to {server.url('/new.xml')}; fetched from there from now on: "
            "put the new address in the config's [[feeds]] url"
        ]
        status = cli("status", "--config", str(config))
        assert "moved permanently (HTTP 301/308" in status.out
        assert f"Harbour News: now fetched from {server.url('/new.xml')}" in status.out

        second = cli("run", "--config", str(config))  # fetched from the new address: no redirect
        assert "moved permanently" not in second.err
        assert server.statuses("/old.xml") == [301]

        report = cli("status", "--json", "--config", str(config))
        assert report.code == 0, report.err
        document = json.loads(report.out)
    assert document["state"] == str(tmp_path / "state" / "syndedup.sqlite")
    assert document["backend"] == "sqlite" and document["checked"].endswith("Z")
    assert document["totals"] == {"feeds": 2, "failing": 1, "backing_off": 1, "dead": 0, "moved": 1}
    harbour, broken = document["feeds"]
    assert harbour["name"] == "Harbour News" and harbour["health"] == "ok"
    assert harbour["url"] == server.url("/old.xml")
    assert harbour["fetched_from"] == harbour["moved_to"] == server.url("/new.xml")
    assert harbour["last_success"] == harbour["last_attempt"] and harbour["last_success"].endswith("Z")
    assert harbour["consecutive_failures"] == 0 and harbour["last_error"] is None
    assert harbour["entries"] == 1 and harbour["stored"] == 1 and harbour["backing_off"] is False
    assert broken["health"] == "failed" and broken["last_success"] is None
    assert broken["consecutive_failures"] == 1  # the second run did not try it: it backs off
    assert "500" in broken["last_error"]
    assert broken["backing_off"] is True and broken["next_fetch_after"] > document["checked"]


def test_status_json_before_any_run(tmp_path: Path, cli: Cli) -> None:
    config = write_config(tmp_path, {"Quiet": "feeds/quiet.xml"})
    document = json.loads(cli("status", "--json", "--config", str(config)).out)
    assert document["state_created"] is False
    assert document["feeds"][0]["health"] == "not fetched yet"
    assert document["totals"]["feeds"] == 1


def test_export_opml_lists_the_feeds_and_import_opml_reads_them_back(tmp_path: Path, cli: Cli) -> None:
    """``syndedup export-opml``: the configured feeds as OPML 2.0 (a moved feed under its new
    address, an IRI as a URI), a local file left out and named; import-opml of it into a new
    config gives the same feeds."""
    with FeedServer() as server:
        server.routes["/old.xml"] = Route(status=301, location=server.url("/new.xml"))
        server.routes["/new.xml"] = Route(
            rss(("n-1", "Ferry timetable", TEXT), title="Harbour News").replace(
                b"<link>http://example.org/</link>", b"<link>https://harbour.example/</link>", 1
            )
        )
        server.routes["/b%C3%BCcher.xml"] = Route(rss(("b-1", "Bücher", TEXT)))
        (tmp_path / "local.xml").write_bytes(rss(("l-1", "Local", TEXT)))
        feeds = {
            "Harbour News": server.url("/old.xml"),
            "Bücher Nachrichten": server.url("/bücher.xml"),  # an IRI: published as a URI
            "Local Desk": "local.xml",
        }
        config = write_config(tmp_path, feeds)
        assert cli("run", "--config", str(config)).code == 0
        exported = cli("export-opml", "--config", str(config))
        assert exported.code == 0, exported.err
        moved_to, buecher = server.url("/new.xml"), server.url("/b%C3%BCcher.xml")
        assert server.statuses("/b%C3%BCcher.xml") == [200]
    assert exported.out.startswith("<?xml version='1.0' encoding='UTF-8'?>\n<opml version=\"2.0\">")
    assert "syndedup: warning: feed 'Local Desk' left out: read from a local file" in exported.err
    assert f'xmlUrl="{moved_to}"' in exported.out and 'htmlUrl="https://harbour.example/"' in exported.out
    assert f'xmlUrl="{buecher}"' in exported.out

    written = tmp_path / "subscriptions.opml"
    to_file = cli("export-opml", "-o", str(written), "--config", str(config))
    assert to_file.code == 0 and to_file.out == f"syndedup: wrote 2 feeds to {written}\n"
    assert written.read_text(encoding="utf-8") == exported.out

    fresh = tmp_path / "reader" / "config.toml"
    fresh.parent.mkdir()
    imported = cli("import-opml", str(written), "--config", str(fresh))
    assert imported.code == 0, imported.err
    assert f"  + Harbour News  {moved_to}" in imported.out
    assert f"  + Bücher Nachrichten  {buecher}" in imported.out
    assert cli("check", "--config", str(fresh)).code == 0


def test_a_reader_that_closed_the_pipe_gets_no_traceback(tmp_path: Path) -> None:
    """``syndedup export-opml | head``: when the reader has closed the pipe, the command ends
    quietly with exit 0 (no BrokenPipeError traceback on stderr), as ``git log | head`` does. The
    pipe's read end is closed before the command writes, so that every write fails."""
    config = write_config(tmp_path, {"Harbour News": "https://harbour.example/rss.xml"})
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pipeline", "export-opml", "--config", str(config)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    err = done.stderr.decode()
    assert done.returncode == 0, err
    assert "Traceback" not in err and "BrokenPipeError" not in err
