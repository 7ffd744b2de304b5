"""Ingest: fetch each feed's bytes, parse them with feedparser, and turn entries into Articles.

This is the only module that uses feedparser. A feed that cannot be read or parsed becomes a
FetchResult with a clear ``error``; it never raises and never stops the run.
"""

from __future__ import annotations

import calendar
import hashlib
import logging
import re
import threading
import xml.sax
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from html import unescape
from typing import Any
from urllib.parse import urlparse

import feedparser
import httpx
import xxhash

from pipeline.config import FeedConfig, FetchConfig
from pipeline.health import FeedHealth, fetch_url, next_fetch_after, skip_reason
from pipeline.models import Article, FetchResult
from pipeline.stages.fetch import (
    USER_AGENT,
    FetchError,
    RawFeed,
    fetch_http,
    make_client,
    read_file,
)
from pipeline.stages.parse_pool import ParsePool
from pipeline.stages.xmlguard import defuse_dtd

__all__ = ["USER_AGENT", "FetchError", "RawFeed", "entry_to_article", "fetch", "ingest", "parse_feed"]

_log = logging.getLogger(__name__)

# Reads what the state remembers about a feed (validators, redirect, dead, backoff) by name.
HealthLookup = Callable[[str], FeedHealth]
# Reads the digest of a feed's bytes at its last successful parse (None if unknown).
Digests = Callable[[str], str | None]
# Fewer feeds than this are parsed in the fetch threads: starting workers would cost more than
# they save (a fork server, used when the process already runs threads, takes ~0.5 s).
MIN_FEEDS_FOR_WORKERS = 4
# The entry keys of a feed already stored (read before the fetch threads start).
KnownKeys = Callable[[str], set[str]]
# Fills a FetchResult from a feed's bytes: parse_feed itself, or ParsePool.parse.
ParseFeed = Callable[[RawFeed, FeedConfig, datetime, FetchResult, "int | None"], None]


def fetch(
    feed: FeedConfig,
    fetch_config: FetchConfig,
    health: FeedHealth,
    client: httpx.Client,
    now: datetime,
) -> RawFeed:
    """Return the feed's bytes from a local file or over HTTP(S); raise FetchError on failure."""
    url = fetch_url(feed, health)
    if urlparse(url).scheme.lower() in ("http", "https"):
        return fetch_http(client, url, fetch_config, now, health.etag, health.last_modified)
    return read_file(url, fetch_config.max_bytes)


def ingest(
    feeds: Iterable[FeedConfig],
    fetch_config: FetchConfig,
    health: HealthLookup,
    now: datetime,
    digests: Digests | None = None,
    known: KnownKeys | None = None,
) -> Iterator[FetchResult]:
    """Fetch and parse every feed, concurrently (bounded, per host), yielding results in config order.

    A dead feed (410) or one backing off after failures is not fetched: its result has ``skipped``.
    A feed whose bytes hash to ``digests(name)`` (the same bytes as at its last successful parse)
    is not parsed again and comes back ``not_modified``: files and servers without validators then
    cost a read and a hash, not a parse, when nothing changed.

    With parse worker processes, the entries whose keys ``known(name)`` does not list come back
    normalized too (``Article.normalized``), so that normalizing uses both cores as well.
    """
    feed_list = list(feeds)
    memory = {feed.name: health(feed.name).for_url(feed.url) for feed in feed_list}
    last_digest = {feed.name: digests(feed.name) if digests else None for feed in feed_list}
    # Parsing is CPU-bound: with [fetch] parse_processes, the fetched bytes are parsed in worker
    # processes (started here, before the fetch threads); fetching stays in this process.
    few = len(feed_list) < MIN_FEEDS_FOR_WORKERS
    processes = 0 if few else min(fetch_config.parse_processes, len(feed_list))
    stored = {feed.name: frozenset(known(feed.name)) for feed in feed_list} if known and processes else {}
    pool = ParsePool(processes, stored) if processes > 0 else None
    parse = pool.parse if pool else parse_feed
    try:
        with make_client(fetch_config) as client:

            def work(feed: FeedConfig) -> FetchResult:
                return ingest_one(
                    feed, fetch_config, memory[feed.name], client, now, last_digest[feed.name], parse
                )

            yield from run_bounded(feed_list, work, fetch_config.concurrency, fetch_config.per_host)
    finally:
        if pool:
            pool.close()


def ingest_one(
    feed: FeedConfig,
    fetch_config: FetchConfig,
    health: FeedHealth,
    client: httpx.Client,
    now: datetime,
    last_digest: str | None = None,
    parse: ParseFeed | None = None,
) -> FetchResult:
    """Fetch and parse one feed; every failure becomes ``result.error``, never an exception.

    ``parse`` is ``parse_feed`` or a stand-in that runs it elsewhere (a worker process).
    """
    result = FetchResult(feed=feed.name, url=feed.url)
    reason = skip_reason(health, now)
    if reason:
        result.skipped = reason
        result.dead = health.dead
        return result
    try:
        raw = fetch(feed, fetch_config, health, client, now)
    except FetchError as exc:
        result.error = exc.message
        result.status = exc.status
        result.dead = exc.gone
        result.permanent_url = exc.permanent_url
        result.next_fetch_after = next_fetch_after(
            health.consecutive_failures + 1, exc.retry_after, now, fetch_config
        )
        return result
    except Exception as exc:  # a bug or an input we did not foresee must not stop the other feeds
        _log.exception("feed %r: unexpected error while fetching", feed.name)
        result.error = f"unexpected error while fetching: {type(exc).__name__}: {exc}"
        result.next_fetch_after = next_fetch_after(health.consecutive_failures + 1, None, now, fetch_config)
        return result
    result.status = raw.status
    result.permanent_url = raw.permanent_url
    if not raw.not_modified:
        result.body_digest = xxhash.xxh3_128_hexdigest(raw.body)
    if raw.not_modified or result.body_digest == last_digest:
        result.not_modified = True
    else:
        try:
            (parse or parse_feed)(raw, feed, now, result, fetch_config.max_entries)
        except Exception as exc:  # feedparser is very robust; this is a last line of defence
            _log.exception("feed %r: unexpected error while parsing", feed.name)
            result.articles = []
            result.error = f"unexpected error while parsing: {type(exc).__name__}: {exc}"
    if result.error:
        result.next_fetch_after = next_fetch_after(health.consecutive_failures + 1, None, now, fetch_config)
    result.etag = raw.headers.get("etag")
    result.last_modified = raw.headers.get("last-modified")
    return result


def run_bounded(
    feeds: list[FeedConfig], work: Callable[[FeedConfig], FetchResult], concurrency: int, per_host: int
) -> Iterator[FetchResult]:
    """Run ``work`` on every feed with at most ``concurrency`` threads and ``per_host`` per HTTP host.

    Results come back in the order of ``feeds``, as soon as each and all before it are done.
    """
    pending = list(enumerate(feeds))
    busy: dict[str, int] = {}
    results: dict[int, FetchResult] = {}
    cond = threading.Condition()

    def host(feed: FeedConfig) -> str | None:
        parsed = urlparse(feed.url)
        return parsed.netloc.lower() if parsed.scheme.lower() in ("http", "https") else None

    def take() -> tuple[int, FeedConfig] | None:
        with cond:
            while pending:
                for position, (index, feed) in enumerate(pending):
                    name = host(feed)
                    if name is None or busy.get(name, 0) < per_host:
                        pending.pop(position)
                        if name is not None:
                            busy[name] = busy.get(name, 0) + 1
                        return index, feed
                cond.wait()
            return None

    def worker() -> None:
        while (job := take()) is not None:
            index, feed = job
            try:
                result = work(feed)
            except BaseException as exc:  # keep the pool alive; work() itself never raises on input
                result = FetchResult(feed=feed.name, url=feed.url, error=f"internal error: {exc!r}")
            with cond:
                name = host(feed)
                if name is not None:
                    busy[name] -= 1
                results[index] = result
                cond.notify_all()

    threads = [
        threading.Thread(target=worker, name=f"syndedup-fetch-{n}", daemon=True)
        for n in range(min(concurrency, len(feeds)))
    ]
    for thread in threads:
        thread.start()
    for index in range(len(feeds)):
        with cond:
            while index not in results:
                cond.wait()
            result = results.pop(index)
        yield result
    for thread in threads:
        thread.join()


def parse_feed(
    raw: RawFeed, feed: FeedConfig, now: datetime, result: FetchResult, max_entries: int | None = None
) -> None:
    """Parse a feed's bytes into ``result``: entries, or an error when nothing usable is there.

    feedparser never raises on bad input; it refuses external entities and drops unsafe entity
    declarations, and sanitizes entry HTML (script, iframe, event handlers, javascript: URLs).
    """
    defused = defuse_dtd(raw.body)
    if defused.dropped:
        result.warnings.append(
            f"dropped {defused.dropped} unsafe entity declaration(s) from the feed's DTD "
            "(external, parameter or nested entities are never expanded)"
        )
    parsed = feedparser.parse(defused.body, response_headers=raw.headers or None)
    problem = _bozo_reason(parsed)
    if not parsed.entries:
        if _looks_like_html(raw, parsed):
            result.error = (
                "got an HTML page, not an RSS or Atom feed (check the feed's url; the site's "
                "feed is often linked from the page as <link rel=alternate>)"
            )
        elif problem:
            result.error = f"not a usable feed: {problem}"
        elif not parsed.get("version"):
            result.error = "not an RSS or Atom feed (no feed element found)"
        else:
            result.warnings.append("the feed has no entries")
        return
    if problem:
        result.warnings.append(
            f"feed is not well-formed, using its {len(parsed.entries)} entries anyway: {problem}"
        )
    result.feed_title = _plain_text(str(parsed.feed.get("title", "") or "")) or None
    result.feed_link = _safe_link(str(parsed.feed.get("link", "") or "")) or None
    entries = parsed.entries
    if max_entries is not None and len(entries) > max_entries:
        result.warnings.append(
            f"feed has {len(entries)} entries; kept the first {max_entries} ([fetch] max_entries)"
        )
        entries = entries[:max_entries]
    seen: set[str] = set()
    duplicates: list[str] = []
    for entry in entries:
        article = entry_to_article(entry, feed.name, now)
        if article.entry_key in seen:
            duplicates.append(article.entry_key)
            continue
        seen.add(article.entry_key)
        result.articles.append(article)
    if duplicates:
        distinct = list(dict.fromkeys(duplicates))
        shown = ", ".join(repr(key[:80]) for key in distinct[:3])
        more = f" and {len(distinct) - 3} more ids" if len(distinct) > 3 else ""
        result.warnings.append(
            f"{len(duplicates)} entries repeat an earlier entry's id ({shown}{more}): "
            "kept the first entry with each id"
        )


def _looks_like_html(raw: RawFeed, parsed: Any) -> bool:
    content_type = raw.headers.get("content-type", "").lower()
    if "html" in content_type and "xhtml+xml" not in content_type:
        return True
    head = raw.body[:2048].lstrip().lower()
    return not parsed.get("version") and (head.startswith(b"<!doctype html") or b"<html" in head)


_SCRIPT_BLOCK = re.compile(r"<(script|style)\b.*?(</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>?")
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _plain_text(value: str) -> str:
    """A title as plain text: markup and scripts removed, entities decoded, spaces collapsed.

    Repeated until stable, so that ``&lt;script&gt;`` cannot come back as a tag after decoding.
    """
    for _ in range(4):
        cleaned = unescape(_TAG.sub(" ", _SCRIPT_BLOCK.sub(" ", value)))
        if cleaned == value:
            break
        value = cleaned
    return " ".join(_UNSAFE.sub("", _TAG.sub(" ", value)).split())


def _safe_link(link: str) -> str:
    """Keep http(s) links only: ``javascript:``, ``data:`` or ``file:`` must never reach the output."""
    link = link.strip()
    return link if urlparse(link).scheme.lower() in ("http", "https") else ""


def _bozo_reason(parsed: Any) -> str | None:
    """feedparser's complaint about a feed in words, with the line for XML errors."""
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    if isinstance(exc, xml.sax.SAXParseException):
        return (
            f"not well-formed XML at line {exc.getLineNumber()}, column {exc.getColumnNumber()}: "
            f"{exc.getMessage()}"
        )
    return f"{type(exc).__name__}: {exc}"


def entry_to_article(entry: Any, feed_name: str, now: datetime) -> Article:
    """Convert one feedparser entry to an Article (the edge where feedparser's dicts stop)."""
    title = _plain_text(str(entry.get("title", "") or ""))
    link = _safe_link(str(entry.get("link", "") or ""))
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
