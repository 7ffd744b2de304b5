"""ingest: files, file URLs and HTTP from a server on 127.0.0.1; bad feeds become clear errors."""

from __future__ import annotations

import threading
import typing
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.config import FeedConfig, FetchConfig
from pipeline.models import FeedHealth
from pipeline.sources.fetch import USER_AGENT
from pipeline.stages.ingest import ingest

NOW = datetime(2024, 1, 1, tzinfo=UTC)
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>http://t/</link>
<item><title>One</title><link>http://t/1</link><guid>g1</guid><description>First entry text.</description>
<pubDate>Mon, 23 Jan 2017 09:30:00 GMT</pubDate></item>
<item><title>Two</title><link>http://t/2</link><description>No guid, no date.</description></item>
<item><title>Dup</title><link>http://t/3</link><guid>g1</guid>
<description>Same guid again.</description></item>
</channel></rss>"""


def no_health(_: str) -> FeedHealth:
    return FeedHealth()


def one(feed: FeedConfig, health=no_health):
    return next(iter(ingest([feed], FetchConfig(timeout=5), health, NOW)))


def test_local_file_entries_become_articles(tmp_path: Path) -> None:
    path = tmp_path / "f.xml"
    path.write_bytes(RSS)
    result = one(FeedConfig("F", str(path)))
    assert result.ok
    assert [a.title for a in result.articles] == ["One", "Two", "Dup"]  # Dup shares g1: kept (issue 12, F)
    first, second, _dup = result.articles
    assert first.entry_key.startswith("g1\x1f")  # g1 is repeated: told apart (issue 12, F)
    assert first.published == datetime(2017, 1, 23, 9, 30, tzinfo=UTC)
    assert second.entry_key == "//t/2"  # a link as a key: normalized (text/identity.py)
    assert not second.dated
    assert second.published == NOW
    assert any("entries share their id" in w for w in result.warnings)
    assert one(FeedConfig("F", path.as_uri())).ok


def test_missing_file_is_an_error_not_an_exception(tmp_path: Path) -> None:
    result = one(FeedConfig("Gone", str(tmp_path / "missing.xml")))
    assert result.error == f"file not found: {tmp_path / 'missing.xml'} (check the feed's url in the config)"


def test_html_page_is_not_a_feed(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(b"<html><body><p>Hello</p></body></html>")
    result = one(FeedConfig("Page", str(path)))
    assert result.error is not None
    assert "not" in result.error and ("feed" in result.error)


def test_ill_formed_feed_with_entries_is_used_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "bad.xml"
    path.write_bytes(RSS.replace(b"</channel></rss>", b"<broken></channel>"))
    result = one(FeedConfig("Bad", str(path)))
    assert result.ok
    assert len(result.articles) == 3  # One, Two and Dup (Dup shares One's GUID: kept)
    assert any("not well-formed" in w for w in result.warnings)


class FeedHandler(BaseHTTPRequestHandler):
    requests: typing.ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        FeedHandler.requests.append(dict(self.headers))
        if self.path == "/gone":
            self.send_response(410)
            self.end_headers()
            return
        if self.headers.get("If-None-Match") == '"v1"':
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("ETag", '"v1"')
        self.send_header("Content-Length", str(len(RSS)))
        self.end_headers()
        self.wfile.write(RSS)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FeedHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    FeedHandler.requests = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_http_fetch_and_conditional_get(server: str) -> None:
    feed = FeedConfig("Web", server + "/rss")
    first = one(feed)
    assert first.ok and len(first.articles) == 3
    assert first.etag == '"v1"'
    assert FeedHandler.requests[0]["User-Agent"] == USER_AGENT
    second = one(feed, health=lambda _: FeedHealth(url=feed.url, etag='"v1"'))
    assert second.ok and second.not_modified and not second.articles
    assert FeedHandler.requests[1]["If-None-Match"] == '"v1"'


def test_http_error_names_status_and_url(server: str) -> None:
    result = one(FeedConfig("Gone", server + "/gone"))
    assert result.error is not None
    assert result.error.startswith(f"HTTP 410 Gone from {server}/gone; the feed is marked dead")
    assert result.dead


def test_connection_refused_is_an_error() -> None:
    result = one(FeedConfig("Down", "http://127.0.0.1:9/rss"))
    assert result.error is not None and result.error.startswith("cannot fetch http://127.0.0.1:9/rss")
