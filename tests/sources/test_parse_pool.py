"""Parsing in worker processes gives what parsing in the fetch threads gives, errors included."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.config import FeedConfig, FetchConfig
from pipeline.models import FeedHealth
from pipeline.sources import parse as parse_module
from pipeline.stages.ingest import ingest
from pipeline.stages.normalize import normalize

NOW = datetime(2024, 1, 1, tzinfo=UTC)
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>http://t/</link>
<item><title>One</title><link>http://t/1</link><guid>g1</guid>
<description>First entry text.</description></item>
<item><title>Two</title><link>http://t/2</link><guid>g1</guid>
<description>Same id again.</description></item>
</channel></rss>"""
BROKEN = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>Only</title><guid>b1</guid><description>Text</description></item><item>"""


def no_health(_: str) -> FeedHealth:
    return FeedHealth()


def feeds(tmp_path: Path) -> list[FeedConfig]:
    (tmp_path / "good.xml").write_bytes(RSS)
    (tmp_path / "broken.xml").write_bytes(BROKEN)
    (tmp_path / "html.xml").write_bytes(b"<!doctype html><html><body>hi</body></html>")
    return [
        FeedConfig("Good", str(tmp_path / "good.xml")),
        FeedConfig("Missing", str(tmp_path / "nope.xml")),
        FeedConfig("Broken", str(tmp_path / "broken.xml")),
        FeedConfig("Html", str(tmp_path / "html.xml")),
    ]


def summary(processes: int, tmp_path: Path, known: dict[str, set[str]] | None = None) -> list[tuple]:
    """Each feed's result, its entries normalized here when the workers did not."""
    lookup = (lambda name: (known or {}).get(name, set())) if known is not None else None
    config = FetchConfig(parse_processes=processes)
    rows = []
    for r in ingest(feeds(tmp_path), config, no_health, NOW, known=lookup):
        entries = [
            (a.entry_key, a.normalized, a.title, a.text, a.body, a.credit, a.truncated) for a in r.articles
        ]
        list(normalize(r.articles))
        normalized = [(a.entry_key, a.title, a.text, a.body, a.credit, a.truncated) for a in r.articles]
        rows.append((r.feed, r.error, r.warnings, r.feed_title, r.feed_link, normalized, entries))
    return rows


def test_worker_processes_give_the_serial_results(tmp_path: Path) -> None:
    serial = summary(0, tmp_path)
    parallel = summary(2, tmp_path)
    assert [row[:6] for row in parallel] == [row[:6] for row in serial]
    assert [row[0] for row in serial] == ["Good", "Missing", "Broken", "Html"]
    assert serial[0][5] == [  # two entries sharing g1 are two articles (issue 12, F)
        ("g1\x1fhttp://t/1", "One", "First entry text.", "First entry text.", None, False),
        ("g1\x1fhttp://t/2", "Two", "Same id again.", "Same id again.", None, False),
    ]
    assert "share their id" in serial[0][2][0]
    assert serial[1][1] and "not found" in serial[1][1]
    assert serial[2][2] and "not well-formed" in serial[2][2][0]
    assert serial[3][1] and "HTML page" in serial[3][1]
    assert serial[0][6][0][1] is False and parallel[0][6][0][1] is True  # normalized in a worker


def test_workers_leave_stored_entries_unnormalized(tmp_path: Path) -> None:
    rows = summary(2, tmp_path, known={"Good": {"g1\x1fhttp://t/1"}, "Broken": set()})
    assert rows[0][6][0][:2] == (
        "g1\x1fhttp://t/1",
        False,
    )  # known: parsed, not normalized (it will be skipped)
    assert rows[2][6][0][:2] == ("b1", True)


def test_an_unexpected_error_in_a_worker_is_the_feeds_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(parse_module, "parse_feed", explode)  # the workers fork with it
    rows = summary(2, tmp_path)
    assert rows[0][1] == "unexpected error while parsing: RuntimeError: boom"
    assert rows[0][5] == []
    assert rows[1][1] and "not found" in rows[1][1]  # fetch errors are the fetcher's, as before
    assert "unexpected error while parsing" in caplog.text and "RuntimeError: boom" in caplog.text


def test_a_fork_server_pool_parses_like_a_forked_one(tmp_path: Path) -> None:
    from pipeline.models import FetchResult
    from pipeline.sources.fetch import read_file
    from pipeline.sources.parse_pool import ParsePool

    feed = feeds(tmp_path)[0]
    results = []
    for method in ("fork", "forkserver"):
        pool = ParsePool(1, {}, method)
        try:
            result = FetchResult(feed=feed.name, url=feed.url)
            pool.parse(read_file(feed.url, 1 << 20), feed, NOW, result, None)
        finally:
            pool.close()
        results.append((result.error, result.warnings, [(a.entry_key, a.body) for a in result.articles]))
    assert results[0] == results[1]
    assert results[0][2][0] == ("g1\x1fhttp://t/1", "First entry text.")


def _wait_for_byte(fd: int) -> None:
    """Runs in a worker: keeps it busy until the test writes a byte to the pipe."""
    import os

    os.read(fd, 1)


def test_a_stopping_pool_logs_no_parse_worker_failure(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 23 item 9: on Ctrl-C the run stops its parse pool while fetch threads still hand it
    feeds: a parse queued when the pool stops (cancelled) and one asked for after it stopped
    (refused) must end as quiet results, not as "parse worker failed" errors on stderr."""
    import os
    import threading

    from pipeline.models import FetchResult
    from pipeline.sources.fetch import RawFeed
    from pipeline.sources.parse_pool import ParsePool

    read_end, write_end = os.pipe()  # made before the pool forks: its worker inherits it
    pool = ParsePool(1, method="fork")
    # The one worker held until released, and two more calls queued behind it (the executor fills
    # its call queue, one call more than its workers, and those can no longer be cancelled): the
    # parse then waits among the pending calls, which a stop cancels.
    busy = [pool._pool.submit(_wait_for_byte, read_end) for _ in range(3)]
    submitted = threading.Event()
    submit = pool._pool.submit

    def submit_and_say(*args, **kwargs):
        future = submit(*args, **kwargs)
        submitted.set()
        return future

    pool._pool.submit = submit_and_say  # type: ignore[method-assign]
    feed = FeedConfig("Good", str(tmp_path / "good.xml"))
    queued = FetchResult(feed="Good", url=feed.url)
    raw = RawFeed(RSS, {}, url=feed.url)
    parsing = threading.Thread(target=pool.parse, args=(raw, feed, NOW, queued, None))
    with caplog.at_level("ERROR", logger="pipeline"):
        parsing.start()  # waits for a worker, behind the busy ones
        assert submitted.wait(timeout=60)
        stopping = threading.Thread(target=pool.close)  # what the run does on Ctrl-C
        stopping.start()
        parsing.join(timeout=60)  # cancelled by the stop
        os.write(write_end, b"xxx")
        stopping.join(timeout=60)
        late = FetchResult(feed="Good", url=feed.url)
        pool.parse(raw, feed, NOW, late, None)  # a fetch thread that finished after the stop
    for call in busy:  # the last may still have been pending, and cancelled with the parse
        if not call.cancelled():
            call.result(timeout=60)
    os.close(read_end)
    os.close(write_end)
    assert not parsing.is_alive() and not stopping.is_alive()
    assert [r.getMessage() for r in caplog.records if "parse worker failed" in r.getMessage()] == []
    for result in (queued, late):
        assert result.articles == [] and result.error == "not parsed: the run was interrupted"
