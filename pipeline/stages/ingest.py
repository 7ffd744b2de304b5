"""Ingest: fetch each feed's bytes, parse them with feedparser, and turn entries into Articles.

This is the only module that uses feedparser. A feed that cannot be read or parsed becomes a
FetchResult with a clear ``error``; it never raises and never stops the run.
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import feedparser
import httpx
import xxhash

from pipeline import __version__
from pipeline.config import FeedConfig, FetchConfig
from pipeline.models import Article, FetchResult

USER_AGENT = f"syndedup/{__version__} (+https://pypi.org/project/syndedup/)"
MAX_BODY_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RawFeed:
    """A feed's bytes and the HTTP headers that came with them (empty for files)."""

    body: bytes
    headers: dict[str, str]
    not_modified: bool = False


class FetchError(Exception):
    """A feed could not be fetched; the message is shown to the user as is."""


# Reads stored (etag, last_modified) for a feed name, for conditional GET.
Validators = Callable[[str], tuple[str | None, str | None]]
# Reads the digest of a feed's bytes at its last successful parse (None if unknown).
Digests = Callable[[str], str | None]


def fetch(
    feed: FeedConfig,
    fetch_config: FetchConfig,
    validators: Validators,
    client: httpx.Client | None = None,
) -> RawFeed:
    """Return the feed's bytes from a local file or over HTTP(S); raise FetchError on failure."""
    parsed = urlparse(feed.url)
    scheme = parsed.scheme.lower()
    if scheme in ("http", "https"):
        return _fetch_http(feed, fetch_config, validators, client)
    path = Path(unquote(parsed.path)) if scheme == "file" else Path(feed.url)
    try:
        with path.open("rb") as handle:
            body = handle.read(MAX_BODY_BYTES + 1)
    except FileNotFoundError:
        raise FetchError(f"file not found: {path} (check the feed's url in the config)") from None
    except IsADirectoryError:
        raise FetchError(f"is a folder, not a feed file: {path}") from None
    except OSError as exc:
        raise FetchError(f"cannot read {path}: {exc.strerror}") from None
    if len(body) > MAX_BODY_BYTES:
        raise FetchError(f"file larger than {MAX_BODY_BYTES} bytes: {path}")
    return RawFeed(body=body, headers={})


def _fetch_http(
    feed: FeedConfig, fetch_config: FetchConfig, validators: Validators, client: httpx.Client | None
) -> RawFeed:
    etag, last_modified = validators(feed.name)
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "application/rss+xml, application/atom+xml, "
        "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    own_client = client is None
    http = client or httpx.Client(timeout=fetch_config.timeout, follow_redirects=True)
    try:
        with http.stream("GET", feed.url, headers=headers) as response:
            if response.status_code == 304:
                return RawFeed(body=b"", headers=dict(response.headers), not_modified=True)
            if response.status_code >= 400:
                raise FetchError(f"HTTP {response.status_code} {response.reason_phrase} from {feed.url}")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise FetchError(f"response larger than {MAX_BODY_BYTES} bytes from {feed.url}")
                chunks.append(chunk)
            return RawFeed(body=b"".join(chunks), headers=dict(response.headers))
    except httpx.TimeoutException:
        raise FetchError(f"timed out after {fetch_config.timeout:g} s fetching {feed.url}") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"cannot fetch {feed.url}: {exc}") from None
    finally:
        if own_client:
            http.close()


def ingest(
    feeds: Iterable[FeedConfig],
    fetch_config: FetchConfig,
    validators: Validators,
    now: datetime,
    digests: Digests | None = None,
) -> Iterator[FetchResult]:
    """Fetch and parse every feed in turn, yielding one FetchResult per feed.

    A feed whose bytes hash to ``digests(name)`` (the same bytes as at its last successful parse)
    is not parsed again and comes back ``not_modified``: files and servers without validators then
    cost a read and a hash, not a parse, when nothing changed.
    """
    with httpx.Client(timeout=fetch_config.timeout, follow_redirects=True) as client:
        for feed in feeds:
            result = FetchResult(feed=feed.name, url=feed.url)
            try:
                raw = fetch(feed, fetch_config, validators, client)
            except FetchError as exc:
                result.error = str(exc)
                yield result
                continue
            if raw.not_modified:
                result.not_modified = True
            else:
                result.body_digest = xxhash.xxh3_128_hexdigest(raw.body)
                if digests is not None and digests(feed.name) == result.body_digest:
                    result.not_modified = True
                else:
                    parse_feed(raw, feed, now, result)
            result.etag = raw.headers.get("etag")
            result.last_modified = raw.headers.get("last-modified")
            yield result


def parse_feed(raw: RawFeed, feed: FeedConfig, now: datetime, result: FetchResult) -> None:
    """Parse a feed's bytes into ``result``: entries, or an error when nothing usable is there."""
    parsed = feedparser.parse(raw.body, response_headers=raw.headers or None)
    problem = _bozo_reason(parsed)
    if not parsed.entries:
        if problem:
            result.error = f"not a usable feed: {problem}"
        elif not parsed.get("version"):
            result.error = "not an RSS or Atom feed (no feed element found)"
        return
    if problem:
        result.warnings.append(
            f"feed is not well-formed, using its {len(parsed.entries)} entries anyway: {problem}"
        )
    result.feed_title = parsed.feed.get("title")
    result.feed_link = parsed.feed.get("link")
    seen: set[str] = set()
    for entry in parsed.entries:
        article = entry_to_article(entry, feed.name, now)
        if article.entry_key in seen:
            result.warnings.append(f"duplicate entry id {article.entry_key!r}: kept the first")
            continue
        seen.add(article.entry_key)
        result.articles.append(article)


def _bozo_reason(parsed: Any) -> str | None:
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    line = getattr(exc, "getLineNumber", lambda: None)()
    where = f" (line {line})" if line else ""
    return f"{type(exc).__name__}: {exc}{where}"


def entry_to_article(entry: Any, feed_name: str, now: datetime) -> Article:
    """Convert one feedparser entry to an Article (the edge where feedparser's dicts stop)."""
    title = str(entry.get("title", "") or "")
    link = str(entry.get("link", "") or "")
    contents = [c.get("value", "") for c in entry.get("content", []) if c.get("value")]
    html = max(contents, key=len) if contents else str(entry.get("summary", "") or "")
    guid = str(entry.get("id", "") or "")
    if guid:
        entry_key = guid
    elif link:
        entry_key = link
    else:
        entry_key = "sha1:" + hashlib.sha1(f"{title}\n{html}".encode()).hexdigest()
    parsed_time = entry.get("published_parsed") or entry.get("updated_parsed")
    published = datetime.fromtimestamp(calendar.timegm(parsed_time), UTC) if parsed_time else now
    return Article(
        feed=feed_name,
        entry_key=entry_key,
        guid=guid or link or entry_key,
        link=link,
        title=title,
        published=published,
        raw_html=html,
        dated=parsed_time is not None,
    )
