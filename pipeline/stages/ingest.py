"""Ingest: fetch each feed's bytes (``pipeline.sources``), parse them, and yield one FetchResult per feed.

A feed that cannot be read or parsed becomes a FetchResult with a clear ``error``; it never raises and
never stops the run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from urllib.parse import urlparse

import httpx
import xxhash

from pipeline.config import FeedConfig, FetchConfig
from pipeline.models import FeedHealth, FetchResult
from pipeline.sources.discover import feed_links, is_html_page
from pipeline.sources.fetch import FetchError, RawFeed, fetch_http, local_path, make_client, read_file
from pipeline.sources.health import fetch_url, is_remote, next_fetch_after, skip_reason
from pipeline.sources.parse import parse_feed
from pipeline.sources.parse_pool import ParsePool, Prepare

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
    """Return the feed's bytes from a local file or over HTTP(S); raise FetchError on failure.

    An HTML page that names its feed (``<link rel="alternate" type="application/rss+xml">``) is
    followed to that feed once (``discover``); the feed's bytes then come with a note naming its URL.
    """
    url = fetch_url(feed, health)
    if urlparse(url).scheme.lower() in ("http", "https"):
        raw = fetch_http(client, url, fetch_config, now, health.etag, health.last_modified)
    else:
        raw = read_file(url, fetch_config.max_bytes)
    if raw.not_modified or not is_html_page(raw.body, raw.headers.get("content-type", "")):
        return raw
    return _follow_feed_link(raw, url, fetch_config, client, now)


def _follow_feed_link(
    page: RawFeed, url: str, fetch_config: FetchConfig, client: httpx.Client, now: datetime
) -> RawFeed:
    """The feed an HTML page names (autodiscovery), or the page itself when it names none.

    A remote page may only lead to an http(s) feed (never to a local file); a local page to either.
    The feed is fetched without the page's validators, and its own are not kept (they would be
    sent to the page next time), so such a feed is read in full at every run.
    """
    remote = urlparse(url).scheme.lower() in ("http", "https")
    page_url = page.url or (url if remote else local_path(url).resolve().as_uri())
    allowed = ("http", "https") if remote else ("http", "https", "file")
    links = [link for link in feed_links(page.body, page_url) if urlparse(link).scheme.lower() in allowed]
    if not links:
        return page
    link = links[0]
    note = (
        f"{url} is an HTML page, not a feed; read the feed it names, {link} "
        f'(put url = "{link}" for this feed in config.toml)'
    )
    try:
        if urlparse(link).scheme.lower() in ("http", "https"):
            raw = fetch_http(client, link, fetch_config, now)
        else:
            raw = read_file(link, fetch_config.max_bytes)
    except FetchError as exc:
        raise FetchError(
            f"{url} is an HTML page naming the feed {link}, which could not be fetched: {exc.message}",
            status=exc.status,
            permanent_url=page.permanent_url,
        ) from None
    headers = {k: v for k, v in raw.headers.items() if k not in ("etag", "last-modified")}
    return replace(raw, headers=headers, permanent_url=page.permanent_url, notes=(note, *raw.notes))


def ingest(
    feeds: Iterable[FeedConfig],
    fetch_config: FetchConfig,
    health: HealthLookup,
    now: datetime,
    digests: Digests | None = None,
    known: KnownKeys | None = None,
    force: bool = False,
    prepare: Prepare | None = None,
    pack: bool = False,
) -> Iterator[FetchResult]:
    """Fetch and parse every feed, concurrently (bounded, per host), yielding results in config order.

    A dead feed (410) or one backing off after failures is not fetched: its result has ``skipped``.
    A feed whose bytes hash to ``digests(name)`` (the same bytes as at its last successful parse)
    is not parsed again and comes back ``not_modified``: files and servers without validators then
    cost a read and a hash, not a parse, when nothing changed.

    With parse worker processes, the entries whose keys ``known(name)`` does not list come back
    normalized too (``Article.normalized``), so that normalizing uses both cores as well.
    ``force`` fetches every feed, backing off or dead (``syndedup run --force``). ``prepare`` runs
    on those normalized entries in the worker too (``Fingerprinter.prepare``: boilerplate keys and
    signatures, so that the run's one process need not compute them). ``pack``: those entries'
    heavy fields come back pickled in ``Article.payload`` (``store.spool.pack_payload``; a run that
    spools them writes the bytes as they are, and ``unpack_payload`` puts them back).
    """
    feed_list = list(feeds)
    memory = {feed.name: health(feed.name).for_url(feed.url) for feed in feed_list}
    last_digest = {feed.name: digests(feed.name) if digests else None for feed in feed_list}
    # Parsing is CPU-bound: with [fetch] parse_processes, the fetched bytes are parsed in worker
    # processes (started here, before the fetch threads); fetching stays in this process.
    few = len(feed_list) < MIN_FEEDS_FOR_WORKERS
    processes = 0 if few else min(fetch_config.parse_processes, len(feed_list))
    stored = {feed.name: frozenset(known(feed.name)) for feed in feed_list} if known and processes else {}
    pool = ParsePool(processes, stored, prepare=prepare, pack=pack) if processes > 0 else None
    parse = pool.parse if pool else parse_feed
    try:
        with make_client(fetch_config) as client:

            def work(feed: FeedConfig) -> FetchResult:
                return ingest_one(
                    feed, fetch_config, memory[feed.name], client, now, last_digest[feed.name], parse, force
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
    force: bool = False,
) -> FetchResult:
    """Fetch and parse one feed; every failure becomes ``result.error``, never an exception.

    ``parse`` is ``parse_feed`` or a stand-in that runs it elsewhere (a worker process). A skipped
    feed's result carries the time it may be fetched again in ``next_fetch_after`` (None: dead).
    Only http(s) feeds back off: a failing local file is read again at the next run.
    """
    result = FetchResult(feed=feed.name, url=feed.url)
    reason = skip_reason(health, now, feed.url, force)
    if reason:
        result.skipped = reason
        result.dead = health.dead
        result.next_fetch_after = None if health.dead else health.next_fetch_after
        return result
    if not is_remote(feed.url):  # files never back off: a zero backoff leaves next_fetch_after None
        fetch_config = replace(fetch_config, backoff_base=0.0)
    try:
        raw = fetch(feed, fetch_config, health, client, now)
    except FetchError as exc:
        result.error = exc.message
        result.status = exc.status
        result.dead = exc.gone
        result.permanent_url = exc.permanent_url
        result.connect_failed = exc.connect_failed
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
        result.warnings.extend(raw.notes)  # what the bytes said that the headers did not
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
    try:
        for index in range(len(feeds)):
            with cond:
                while index not in results:
                    cond.wait()
                result = results.pop(index)
            yield result
    finally:  # also when the consumer stops early (Ctrl-C): no thread starts another feed
        with cond:
            pending.clear()
            cond.notify_all()
    for thread in threads:
        thread.join()
