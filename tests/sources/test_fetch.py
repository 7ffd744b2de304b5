"""Polite fetching over HTTP from a server on 127.0.0.1: conditional GET, redirects, 410, Retry-After,
backoff with an injected clock, timeouts, resets, size caps, concurrency limits and feed health."""

from __future__ import annotations

import gzip
import logging
import os
import socket
import sqlite3
import threading
import tracemalloc
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from pipeline import __version__
from pipeline.config import Config, FeedConfig, FetchConfig, parse_config
from pipeline.models import FeedHealth, FetchResult
from pipeline.runner import run
from pipeline.sources.fetch import FetchError, fetch_http, parse_retry_after
from pipeline.sources.health import (
    backoff_seconds,
    forgive_host_failures,
    network_down,
    next_fetch_after,
    skip_reason,
)
from pipeline.stages.ingest import ingest, run_bounded
from pipeline.store.sqlite import State
from tests.feedserver import FeedServer, Route, rss

NOW = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
FEED = rss(
    ("a1", "Alpha", "Alpha one is a story about the harbour and the boats that came in at dawn."),
    ("a2", "Beta", "Beta two is a story about the market and the prices of bread this week."),
)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv


def fetch_one(url: str, health: FeedHealth | None = None, **fetch: Any):
    config = FetchConfig(**{"timeout": 5.0, **fetch})
    memory = health or FeedHealth()
    return next(iter(ingest([FeedConfig("F", url)], config, lambda _: memory.for_url(url), NOW)))


def make_config(
    tmp_path: Path, feeds: dict[str, str], full_text: bool | str = "auto", **fetch: Any
) -> Config:
    data = {
        "feeds": [{"name": name, "url": url, "full_text": full_text} for name, url in feeds.items()],
        "output": {"rss": "out/f.rss", "atom": "out/f.atom", "report": "out/r.jsonl"},
        "state": {"path": "state/s.sqlite"},
        "fetch": {"timeout": 5.0, **fetch},
    }
    return parse_config(data, tmp_path / "config.toml")


def health_row(config: Config, name: str) -> dict[str, Any]:
    db = sqlite3.connect(config.state.path)
    db.row_factory = sqlite3.Row
    row = db.execute("SELECT * FROM feeds WHERE name=?", (name,)).fetchone()
    db.close()
    return dict(row)


# -- the request itself ---------------------------------------------------------------------------


def test_user_agent_names_syndedup_and_version_and_gzip_is_decoded(server: FeedServer) -> None:
    server.routes["/gz"] = Route(body=FEED, gzip=True)
    result = fetch_one(server.url("/gz"))
    assert result.ok and [a.title for a in result.articles] == ["Alpha", "Beta"]
    headers = server.hits[0].headers
    assert headers["User-Agent"].startswith(f"syndedup/{__version__}")
    assert "gzip" in headers["Accept-Encoding"]


def test_etag_and_last_modified_are_sent_and_304_changes_nothing(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/f"] = Route(body=FEED, etag='"v1"', last_modified="Mon, 01 Jan 2024 10:00:00 GMT")
    config = make_config(tmp_path, {"F": server.url("/f")})
    first = run(config, now=NOW)
    rss_before = config.output.rss.read_bytes()
    assert first.entries_new == 2 and first.feeds_not_modified == 0
    second = run(config, now=NOW + timedelta(minutes=15))
    assert second.feeds_not_modified == 1 and second.entries_new == 0 and second.entries_seen == 0
    assert server.statuses("/f") == [200, 304]
    assert server.hits[1].headers["If-None-Match"] == '"v1"'
    assert server.hits[1].headers["If-Modified-Since"] == "Mon, 01 Jan 2024 10:00:00 GMT"
    assert config.output.rss.read_bytes() == rss_before
    row = health_row(config, "F")
    assert row["entries"] == 2 and row["consecutive_failures"] == 0 and row["last_status"] == 304


def test_last_modified_alone_gives_304(server: FeedServer) -> None:
    server.routes["/lm"] = Route(body=FEED, last_modified="Mon, 01 Jan 2024 10:00:00 GMT")
    url = server.url("/lm")
    result = fetch_one(url, FeedHealth(url=url, last_modified="Mon, 01 Jan 2024 10:00:00 GMT"))
    assert result.ok and result.not_modified and not result.articles


# -- redirects ------------------------------------------------------------------------------------


def test_301_is_remembered_for_the_next_run(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/old"] = Route(status=301, location="/new")
    server.routes["/new"] = Route(body=FEED)
    config = make_config(tmp_path, {"F": server.url("/old")})
    assert run(config, now=NOW).entries_new == 2
    assert health_row(config, "F")["permanent_url"] == server.url("/new")
    run(config, now=NOW + timedelta(minutes=15))
    assert [hit.path for hit in server.hits] == ["/old", "/new", "/new"]


def test_302_and_307_are_not_remembered(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/a"] = Route(status=302, location="/b")
    server.routes["/b"] = Route(status=307, location="/new")
    server.routes["/new"] = Route(body=FEED)
    config = make_config(tmp_path, {"F": server.url("/a")})
    run(config, now=NOW)
    run(config, now=NOW + timedelta(minutes=15))
    assert [hit.path for hit in server.hits] == ["/a", "/b", "/new"] * 2
    assert health_row(config, "F")["permanent_url"] is None


def test_only_the_permanent_part_of_a_chain_is_remembered(server: FeedServer) -> None:
    server.routes["/p"] = Route(status=308, location="/q")
    server.routes["/q"] = Route(status=302, location="/r")
    server.routes["/r"] = Route(body=FEED)
    result = fetch_one(server.url("/p"))
    assert result.ok and result.permanent_url == server.url("/q")


def test_redirect_loops_and_non_http_targets_are_errors(server: FeedServer) -> None:
    server.routes["/loop"] = Route(status=302, location="/loop")
    server.routes["/file"] = Route(status=301, location="file:///etc/passwd")
    loop = fetch_one(server.url("/loop"), max_redirects=3)
    assert loop.error == f"more than 3 redirects from {server.url('/loop')} (last: {server.url('/loop')})"
    assert len(server.hits) == 4
    local = fetch_one(server.url("/file"))
    assert local.error is not None and "redirect to a non-HTTP URL refused: file:///etc/passwd" in local.error


# -- 410, 429/503, backoff ------------------------------------------------------------------------


def test_410_marks_the_feed_dead_until_its_url_changes(
    server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server.routes["/gone"] = Route(status=410)
    server.routes["/moved"] = Route(body=FEED)
    config = make_config(tmp_path, {"F": server.url("/gone")})
    first = run(config, now=NOW)
    assert first.feeds_failed == 1
    assert health_row(config, "F")["dead"] == 1
    caplog.set_level(logging.WARNING, logger="pipeline")
    later = run(config, now=NOW + timedelta(days=30))
    assert later.feeds_skipped == 1 and later.feeds_failed == 0
    assert len(server.hits) == 1
    assert any("'F' skipped: its server answered 410 Gone" in r.getMessage() for r in caplog.records)
    assert any("until its url in the config changes" in r.getMessage() for r in caplog.records)
    changed = make_config(tmp_path, {"F": server.url("/moved")})
    assert run(changed, now=NOW + timedelta(days=31)).entries_new == 2
    row = health_row(changed, "F")
    assert row["dead"] == 0 and row["consecutive_failures"] == 0 and row["url"] == server.url("/moved")


def test_429_retry_after_is_honoured_with_an_injected_clock(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/busy"] = Route(status=429, headers={"Retry-After": "3600"})
    config = make_config(tmp_path, {"F": server.url("/busy")})
    run(config, now=NOW)
    row = health_row(config, "F")
    assert row["next_fetch_after"] == "2024-01-01T13:00:00Z"
    assert "Retry-After: 3600 s" in row["last_error"]
    assert run(config, now=NOW + timedelta(minutes=59)).feeds_skipped == 1
    assert len(server.hits) == 1
    server.routes["/busy"] = Route(body=FEED)
    assert run(config, now=NOW + timedelta(minutes=61)).entries_new == 2
    row = health_row(config, "F")
    assert len(server.hits) == 2
    assert row["next_fetch_after"] is None and row["consecutive_failures"] == 0 and row["last_error"] is None


def test_503_with_an_http_date_retry_after(server: FeedServer) -> None:
    server.routes["/down"] = Route(status=503, headers={"Retry-After": "Mon, 01 Jan 2024 18:00:00 GMT"})
    result = fetch_one(server.url("/down"), backoff_base=60)
    assert result.error is not None and result.error.startswith("HTTP 503")
    assert result.next_fetch_after == datetime(2024, 1, 1, 18, 0, tzinfo=UTC)


def test_retry_after_parsing() -> None:
    assert parse_retry_after("120", NOW) == 120
    assert parse_retry_after("Mon, 01 Jan 2024 12:01:00 GMT", NOW) == 60
    assert parse_retry_after("Sun, 31 Dec 2023 12:00:00 GMT", NOW) == 0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None


def test_backoff_doubles_per_failure_and_is_capped() -> None:
    config = FetchConfig(backoff_base=600, backoff_max=86400)
    assert [backoff_seconds(n, config) for n in range(0, 5)] == [0, 600, 1200, 2400, 4800]
    assert backoff_seconds(10_000, config) == 86400
    assert next_fetch_after(1, 7200, NOW, config) == NOW + timedelta(hours=2)
    assert next_fetch_after(1, 10**9, NOW, config) == NOW + timedelta(days=1)
    assert next_fetch_after(0, None, NOW, FetchConfig(backoff_base=0)) is None


def test_failing_feed_backs_off_exponentially(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/err"] = Route(status=500)
    config = make_config(tmp_path, {"F": server.url("/err")}, backoff_base=600)
    moment = NOW
    waits = []
    for _ in range(3):
        report = run(config, now=moment)
        assert report.feeds_failed == 1
        row = health_row(config, "F")
        due = datetime.strptime(row["next_fetch_after"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        waits.append((due - moment).total_seconds())
        # A run just before the due time does not touch the server.
        assert run(config, now=due - timedelta(seconds=1)).feeds_skipped == 1
        moment = due
    assert waits == [600, 1200, 2400]
    assert health_row(config, "F")["consecutive_failures"] == 3
    assert len(server.hits) == 3


def test_skip_reason_names_failures_and_due_time() -> None:
    health = FeedHealth(
        url="u", consecutive_failures=2, next_fetch_after=NOW + timedelta(minutes=5), last_error="HTTP 500"
    )
    assert skip_reason(health, NOW) == (
        "skipped until 2024-01-01T12:05:00Z after 2 failure(s) in a row (last: HTTP 500)"
    )
    assert skip_reason(health, NOW + timedelta(minutes=5)) is None
    assert skip_reason(health.for_url("other"), NOW) is None


def test_only_a_failure_to_connect_is_marked_as_one(server: FeedServer) -> None:
    with FeedServer() as gone:
        refused = gone.url("/feed.xml")  # nothing listens there once it is stopped
    server.routes["/reset"] = Route(reset=True)
    server.routes["/err"] = Route(status=500)
    assert fetch_one(refused).connect_failed
    assert not fetch_one(server.url("/reset")).connect_failed  # connected, then the server broke off
    assert not fetch_one(server.url("/err")).connect_failed


def test_the_network_is_down_when_every_fetched_remote_feed_failed_to_connect() -> None:
    def result(url: str, connect_failed: bool = False, skipped: str | None = None) -> FetchResult:
        error = "cannot fetch" if connect_failed else None
        return FetchResult("F", url, error=error, connect_failed=connect_failed, skipped=skipped)

    down = [result("http://a.test/", True), result("https://b.test/", True)]
    assert network_down(down)
    assert network_down([*down, result("http://c.test/", skipped="backing off"), result("/srv/f.xml")])
    assert not network_down([*down, result("http://c.test/")])  # one remote feed answered
    assert not network_down([result("/srv/f.xml"), result("http://c.test/", skipped="dead")])
    assert not network_down([])
    assert forgive_host_failures(down) == 2
    assert all(r.host_failure and r.next_fetch_after is None for r in down)
    assert down[0].error == "cannot fetch (not counted: every remote feed failed to connect)"


# -- slow, broken and huge responses --------------------------------------------------------------


def test_slow_server_times_out_and_other_feeds_go_on(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/slow"] = Route(body=FEED, release=threading.Event())
    server.routes["/fast"] = Route(body=FEED)
    config = make_config(tmp_path, {"Slow": server.url("/slow"), "Fast": server.url("/fast")}, timeout=0.5)
    report = run(config, now=NOW)
    assert report.feeds_ok == 1 and report.feeds_failed == 1
    assert report.failures == [
        f"Slow: timed out waiting for data from {server.url('/slow')} ([fetch] timeout/connect_timeout)"
    ]


def test_a_response_trickling_past_total_timeout_is_cut_off(server: FeedServer) -> None:
    server.routes["/trickle"] = Route(stream_bytes=2 * 1024 * 1024)
    ticks = iter(range(0, 10_000, 7))  # a fake clock: every look at it is 7 s later

    with httpx.Client() as client, pytest.raises(FetchError) as caught:
        fetch_http(client, server.url("/trickle"), FetchConfig(), NOW, monotonic=lambda: float(next(ticks)))
    assert caught.value.message == (
        f"response from {server.url('/trickle')} took longer than 60 s "
        "([fetch] total_timeout); stopped reading"
    )


def test_a_server_trickling_its_headers_is_cut_off_at_total_timeout(server: FeedServer) -> None:
    """Issue 23: the status line, then a header byte every 50 ms (each read well inside the 5 s read
    timeout) for 5 s. The deadline runs from connect to the last byte, headers included: the fetch
    is cut off before the server could send its headers (a fetch that waited for them got them all)."""
    server.routes["/trickle-head"] = Route(body=FEED, trickle_headers=100)
    result = fetch_one(server.url("/trickle-head"), total_timeout=0.3)
    assert result.error == (
        f"response from {server.url('/trickle-head')} took longer than 0.3 s "
        "([fetch] total_timeout); stopped reading"
    )
    assert server.hits[0].sent < 100  # cut off while the headers trickled in


def test_a_feed_trickling_its_headers_fails_in_a_run_and_the_others_go_on(
    server: FeedServer, tmp_path: Path
) -> None:
    server.routes["/trickle-head"] = Route(body=FEED, trickle_headers=100)
    server.routes["/fast"] = Route(body=FEED)
    feeds = {"Trickle": server.url("/trickle-head"), "Fast": server.url("/fast")}
    report = run(make_config(tmp_path, feeds, full_text=False, total_timeout=0.3), now=NOW)
    assert report.feeds_ok == 1 and report.feeds_failed == 1
    assert report.failures == [
        f"Trickle: response from {server.url('/trickle-head')} took longer than 0.3 s "
        "([fetch] total_timeout); stopped reading"
    ]
    [trickled] = [hit for hit in server.hits if hit.path == "/trickle-head"]
    assert trickled.sent < 100


def test_feed_paths_naming_a_fifo_a_device_or_a_socket_fail_that_feed(tmp_path: Path) -> None:
    """Issue 23: a FIFO with no writer blocked the run for ever in open(); any file that is not a
    regular one fails its feed with its kind named, and the other feeds go on."""
    fifo = tmp_path / "feed.fifo"
    os.mkfifo(fifo)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tmp_path / "feed.sock"))
    (tmp_path / "good.xml").write_bytes(FEED)
    feeds = {
        "Fifo": str(fifo),
        "Fifo URL": fifo.as_uri(),
        "Device": "/dev/null",
        "Socket": str(tmp_path / "feed.sock"),
        "Folder": str(tmp_path),
        "Good": str(tmp_path / "good.xml"),
    }
    config = make_config(tmp_path, feeds)
    outcome: list[Any] = []
    worker = threading.Thread(target=lambda: outcome.append(run(config, now=NOW)), daemon=True)
    worker.start()
    worker.join(30)  # a bound for a hang, not a timing: the run returns at once
    if worker.is_alive():  # the run is stuck in open(): give it a writer so that the test can end
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(60)
        listener.close()
        pytest.fail("the run hung on the FIFO")
    listener.close()
    [report] = outcome
    assert report.feeds_ok == 1 and report.feeds_failed == 5
    assert report.failures == [
        f"Fifo: is a FIFO (named pipe), not a feed file: {fifo}",
        f"Fifo URL: is a FIFO (named pipe), not a feed file: {fifo}",
        "Device: is a character device, not a feed file: /dev/null",
        f"Socket: is a socket, not a feed file: {tmp_path / 'feed.sock'}",
        f"Folder: is a folder, not a feed file: {tmp_path}",
    ]


def test_connection_reset_is_a_clear_error(server: FeedServer) -> None:
    server.routes["/reset"] = Route(reset=True)
    result = fetch_one(server.url("/reset"))
    assert result.error is not None
    assert result.error.startswith(f"cannot fetch {server.url('/reset')}: ")


def test_300_mb_body_is_cut_off_while_streaming(server: FeedServer) -> None:
    server.routes["/huge"] = Route(stream_bytes=300 * 1024 * 1024)
    tracemalloc.start()
    try:
        result = fetch_one(server.url("/huge"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.error == (
        f"response from {server.url('/huge')} is larger than 10485760 bytes "
        "([fetch] max_bytes); stopped reading"
    )
    # Streamed, not allocated: Python never held much more than the 10 MiB cap.
    assert peak < 40 * 1024 * 1024
    assert server.hits[0].sent < 100 * 1024 * 1024


def test_declared_huge_length_is_refused_before_download(server: FeedServer) -> None:
    server.routes["/big"] = Route(stream_bytes=1024 * 1024, declare_length=300 * 1024 * 1024)
    result = fetch_one(server.url("/big"))
    assert result.error == (
        f"response of {300 * 1024 * 1024} bytes from {server.url('/big')} is larger than 10485760 "
        "([fetch] max_bytes); not downloaded"
    )


def test_gzip_bomb_is_cut_off_while_decoding(server: FeedServer) -> None:
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    body = bomb.compress(b"\0" * (64 * 1024 * 1024)) + bomb.flush()
    assert len(body) < 200_000 and gzip.decompress(body)[:1] == b"\0"
    server.routes["/bomb"] = Route(body=body, headers={"Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        result = fetch_one(server.url("/bomb"), max_bytes=1024 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.error is not None and "larger than 1048576 bytes" in result.error
    # Inflated 64 KiB at a time: never anywhere near the 64 MiB the bomb expands to.
    assert peak < 8 * 1024 * 1024


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib", "raw"])
def test_deflate_bodies_in_both_dialects(server: FeedServer, wbits: int) -> None:
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    server.routes["/d"] = Route(
        body=packer.compress(FEED) + packer.flush(), headers={"Content-Encoding": "deflate"}
    )
    result = fetch_one(server.url("/d"))
    assert result.ok and len(result.articles) == 2


def test_concatenated_gzip_members_are_all_read(server: FeedServer) -> None:
    half = len(FEED) // 2
    server.routes["/m"] = Route(
        body=gzip.compress(FEED[:half]) + gzip.compress(FEED[half:]), headers={"Content-Encoding": "gzip"}
    )
    result = fetch_one(server.url("/m"))
    assert result.ok and len(result.articles) == 2


def test_broken_and_unknown_encodings_are_clear_errors(server: FeedServer) -> None:
    server.routes["/cut"] = Route(body=gzip.compress(FEED)[:-30], headers={"Content-Encoding": "gzip"})
    server.routes["/junk"] = Route(body=b"not gzip at all", headers={"Content-Encoding": "gzip"})
    server.routes["/br"] = Route(body=b"x", headers={"Content-Encoding": "br"})
    assert fetch_one(server.url("/cut")).error == f"truncated gzip body from {server.url('/cut')}"
    junk = fetch_one(server.url("/junk")).error
    assert junk is not None and junk.startswith(f"cannot decode gzip body from {server.url('/junk')}: ")
    assert fetch_one(server.url("/br")).error == f"unsupported Content-Encoding 'br' from {server.url('/br')}"


def test_entries_per_feed_are_capped(server: FeedServer) -> None:
    server.routes["/many"] = Route(body=rss(*[(f"g{n}", f"T{n}", f"Text {n}") for n in range(7)]))
    result = fetch_one(server.url("/many"), max_entries=3)
    assert [a.guid for a in result.articles] == ["g0", "g1", "g2"]
    kept = "feed has 7 entries; kept the newest 3 by date and dropped 4 ([fetch] max_entries)"
    assert kept in result.warnings


# -- concurrency ----------------------------------------------------------------------------------


def test_run_bounded_respects_per_host_limit_and_keeps_order() -> None:
    feeds = [FeedConfig(f"{host}{n}", f"http://{host}.test/{n}") for n in range(4) for host in "ab"]
    lock = threading.Condition()
    inflight: dict[str, int] = {"a": 0, "b": 0}
    peak = {"a": 0, "b": 0, "total": 0}

    def work(feed: FeedConfig) -> Any:
        host = feed.name[0]
        with lock:
            inflight[host] += 1
            peak[host] = max(peak[host], inflight[host])
            peak["total"] = max(peak["total"], inflight["a"] + inflight["b"])
            lock.notify_all()
            # Hold until 4 are in flight (2 per host), so overlap is certain; bounded for safety.
            lock.wait_for(lambda: inflight["a"] + inflight["b"] >= 4 or peak["total"] >= 4, timeout=10)
            inflight[host] -= 1
        return feed.name

    names = list(run_bounded(feeds, work, concurrency=8, per_host=2))
    assert names == [feed.name for feed in feeds]
    assert peak == {"a": 2, "b": 2, "total": 4}


def test_many_feeds_from_one_host_are_fetched_concurrently_within_the_limit(server: FeedServer) -> None:
    for n in range(6):
        server.routes[f"/c{n}"] = Route(body=rss((f"c{n}", f"T{n}", f"Text {n}")))
    feeds = [FeedConfig(f"F{n}", server.url(f"/c{n}")) for n in range(6)]
    results = list(ingest(feeds, FetchConfig(per_host=2), lambda _: FeedHealth(), NOW))
    assert [r.feed for r in results] == [f"F{n}" for n in range(6)]
    assert all(r.ok and len(r.articles) == 1 for r in results)
    assert server.max_inflight <= 2


# -- state ----------------------------------------------------------------------------------------


def test_old_state_files_get_the_health_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE feeds (name TEXT PRIMARY KEY, url TEXT NOT NULL, title TEXT, link TEXT,"
        " etag TEXT, last_modified TEXT, last_attempt TEXT, last_success TEXT, last_error TEXT,"
        " consecutive_failures INTEGER NOT NULL DEFAULT 0, entries INTEGER NOT NULL DEFAULT 0);"
        "INSERT INTO feeds (name, url, etag) VALUES ('F', 'http://x/', '\"e\"');"
    )
    db.commit()
    db.close()
    state = State(path)
    try:
        health = state.feed_health("F")
        columns = {row[1] for row in state.db.execute("PRAGMA table_info(feeds)")}
    finally:
        state.close()
    assert {"next_fetch_after", "dead", "permanent_url", "last_status"} <= columns
    assert health == FeedHealth(url="http://x/", etag='"e"')
    State(path).close()  # a second open finds nothing to add
