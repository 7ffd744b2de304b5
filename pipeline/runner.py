"""Run the stages once, in order, under a lock, with every state change in one transaction.

    ingest -> (fetch pages) -> normalize -> (full text) -> (boilerplate) -> fingerprint -> dedup
    -> attribute -> emit

Fetching happens before the transaction opens (it is slow and changes nothing); emit happens after
it commits, from the state alone, so a crash at any point leaves the previous outputs and state.
"""

from __future__ import annotations

import ctypes
import fcntl
import logging
import os
import signal
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from pipeline.config import Config, FeedConfig
from pipeline.errors import OutputError, RunLockedError, StateError
from pipeline.models import Article, FetchResult, RunReport
from pipeline.progress import ProgressCallback, ProgressEvent, no_progress
from pipeline.shard import Shard
from pipeline.sources.fulltext import (
    WantedPages,
    feed_hosts,
    get_pages,
    may_fetch,
    use_full_text,
    want_pages,
)
from pipeline.sources.health import forgive_host_failures, network_down
from pipeline.stages.attribute import attribute
from pipeline.stages.dedup import Deduplicator
from pipeline.stages.emit import EmitSummary, emit, refresh_report_lines
from pipeline.stages.fingerprint import Fingerprinter, Preparer
from pipeline.stages.ingest import ingest
from pipeline.stages.normalize import normalize
from pipeline.store import Store, open_store
from pipeline.store.damage import problem, refuse_empty_state, state_error, state_errors
from pipeline.store.spool import Spool, unpack_payload
from pipeline.store.sqlite import State, now_utc
from pipeline.text.aggregator import host_of, outlet_page
from pipeline.text.boilerplate import stock_edged, strip_feed, trim_stock
from pipeline.text.clean import clean_line
from pipeline.text.credits import AliasTable
from pipeline.text.identity import resolve
from pipeline.timing import StageClock

log = logging.getLogger(__name__)

# Old stories are pruned once the oldest is this far past [state] retention_days: pruning scans the
# LSH bucket table once, so a 15-minute cron pays that about once a day instead of on every run.
PRUNE_BATCH = timedelta(days=1)
# A run's entries beyond this many are spooled (``store.spool``): their texts, shingles and prepared
# signatures wait in a temporary file instead of memory (~18 KB an entry) until their feed is
# stripped of boilerplate and their chunk is signed. One detect chunk's worth stays in memory, so
# that a run of a few feeds never writes a file.
SPOOL_AFTER = 2048
# An aggregator's item waits this long for its outlet's own entry (``link_relayed_items``): an
# outlet's feed lists its article within hours of a news search finding it, and an item older than
# this whose outlet never listed it must not keep its feed read in full at every run.
WAIT_FOR_OUTLET = timedelta(days=2)


@contextmanager
def run_lock(
    state_path: Path,
    wait: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[None]:
    """Hold an exclusive lock beside the state file so that overlapping cron runs never both write.

    With ``wait`` > 0, retry for up to that many seconds before giving up. The kernel drops an
    flock when its process dies, so a killed run never leaves a stale lock behind.
    """
    lock_path = state_path.with_name(state_path.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StateError(f"{lock_path}: cannot create lock file: {exc.strerror}") from None
    try:
        deadline = clock() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if clock() >= deadline:
                    waited = f" after waiting {wait:g} s ([state] lock_wait)" if wait > 0 else ""
                    raise RunLockedError(
                        f"{lock_path}: another syndedup run is in progress{waited}; skipped"
                    ) from None
                sleep(min(0.2, max(0.0, deadline - clock())))
        yield
    finally:
        os.close(fd)


def crash_point(name: str) -> None:
    """Test hook: SIGKILL this process at ``name`` when SYNDEDUP_KILL_AT names it.

    Lets the crash-safety test kill a real run at an exact point (inside the detect transaction,
    between commit and emit) without timing guesses. Does nothing unless the variable is set.
    """
    if os.environ.get("SYNDEDUP_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def run(
    config: Config,
    now: datetime | None = None,
    progress: ProgressCallback = no_progress,
    shard: Shard | None = None,
    force: bool = False,
) -> RunReport:
    """Run every stage once for ``config``; return the counts. Raises SyndedupError subclasses.

    ``progress`` is called after each feed is fetched, each entry is detected and when emit ends.
    With ``shard``, only that shard's feeds are fetched (the others are another host's). ``force``
    fetches feeds that are backing off or marked dead too (``syndedup run --force``).
    """
    moment = now or now_utc()
    feeds = shard.select(config.feeds) if shard else config.feeds
    with run_lock(config.state.path, config.state.lock_wait):
        local = open_state(config, fresh=force)
        state: Store = local
        spool = Spool(config.state.path.parent)
        try:
            with state_errors(config.state.path, ROLLED_BACK):
                state = open_store(config, local, fresh=force)
                report, removed = _detect_run(config, feeds, state, moment, progress, force, spool)
            crash_point("before-emit")
            progress(ProgressEvent("emit", 0, 1))
            with StageClock(report.stage_seconds).stage("emit"), emit_errors(config.state.path):
                written = EmitSummary()
                report.items_written = emit(state, config.output, removed, written, config.dedup)
                report.stories_total = written.stories
                report.removed_feeds = sorted(removed)
                report.outputs_written = [path.name for path in written.written]
                report.outputs_unchanged = [path.name for path in written.unchanged]
            progress(ProgressEvent("emit", 1, 1))
            log.info(
                "seconds per stage: %s",
                ", ".join(f"{name} {seconds:.2f}" for name, seconds in report.stage_seconds.items()),
            )
        finally:
            spool.close()
            state.close()
    return report


# What a run that failed on an SQLite error before its commit did (``damage.state_errors``).
ROLLED_BACK = "the run's changes to it were rolled back, the outputs are as the last run left them"


def open_state(config: Config, fresh: bool = False) -> State:
    """The host's SQLite state file, refusing one that holds no state while the outputs were written
    from one (``damage.refuse_empty_state``), unless ``fresh`` (``run --force``: start afresh).
    With the Redis index the file holds only what fetching learnt, so an empty one is no loss."""
    if config.index.backend == "sqlite" and not fresh:
        out = config.output
        written = [path for path in (out.rss, out.atom, out.report, out.json, out.html) if path is not None]
        refuse_empty_state(config.state.path, written)
    return State(config.state.path)


@contextmanager
def emit_errors(path: Path) -> Iterator[None]:
    """SQLite errors once the state is committed, while the outputs are written from it: the outputs
    were not rewritten (OutputError: the next run rewrites them), or the file is damaged."""
    try:
        yield
    except sqlite3.Error as exc:
        what, todo, damaged = problem(exc)
        if damaged:
            raise state_error(path, exc, "the outputs were not rewritten") from None
        raise OutputError(f"{path}: {what} ({todo})") from None


def _detect_run(
    config: Config,
    feeds: tuple[FeedConfig, ...],
    state: Store,
    moment: datetime,
    progress: ProgressCallback,
    force: bool,
    spool: Spool,
) -> tuple[RunReport, frozenset[str]]:
    """Everything a run does before emit: fetch, then record and detect in one transaction.
    Returns the counts and the removed feeds whose entries leave the outputs (``removed_feeds``)."""
    report = RunReport(feeds_total=len(feeds))
    report.renamed_feeds = follow_renames(state, config, feeds)
    clock = StageClock(report.stage_seconds)
    with clock.stage("fetch_parse"):
        wanted: WantedPages = {}
        results = _fetch_all(config, feeds, state, moment, progress, force, spool, wanted)
        _forgive_a_network_outage(results, report)
        get_pages(wanted, config, state, moment)  # article pages for teasers, cached
        wanted.clear()  # its entries are freed once stored (``_detect``)
    with clock.stage("commit"), state.transaction():
        with clock.stage("record"):
            updated: set[str] = set()
            new_articles = _record_fetches(state, results, report, moment, updated, spool, config)
            new_articles = _within_retention(new_articles, config, report, moment)
        _detect(state, config, new_articles, report, moment, progress, clock, updated, spool)
        # ``_record_fetches`` and ``_detect`` emptied ``results``' and ``new_articles``' lists
        _prune(state, config, report, moment)
        removed = removed_feeds(state, config, moment)
        refresh_report_lines(state)  # the report's kept lines commit with the stories they show
        crash_point("before-commit")
    del results, new_articles  # stored; emit reads the state (keeps its peak memory apart)
    # "commit" then holds only what the stages inside the transaction did not take.
    report.stage_seconds["commit"] -= sum(report.stage_seconds.get(name, 0.0) for name in _DETECT_STAGES)
    return report, removed


def emit_outputs(config: Config, now: datetime | None = None) -> EmitSummary:
    """Write the outputs from the stored state alone; return what was written (items, stories,
    the files rewritten and those already holding the same bytes).

    With Redis, the stories every host committed (read as one snapshot, so no lock is needed);
    with SQLite, under the run lock, so that a run's commit never lands between emit's reads.
    """
    moment = now or now_utc()
    summary = EmitSummary()
    unwritten = "the outputs were not written, the previous ones are as they were"
    if config.index.backend == "redis":
        local = open_state(config)
        state: Store = local
        try:
            with state_errors(config.state.path, unwritten):
                state = open_store(config, local)
                emit(state, config.output, removed_feeds(state, config, moment), summary, config.dedup)
            return summary
        finally:
            state.close()
    with run_lock(config.state.path, config.state.lock_wait):
        local = open_state(config)
        try:
            with state_errors(config.state.path, unwritten):
                emit(local, config.output, removed_feeds(local, config, moment), summary, config.dedup)
            return summary
        finally:
            local.close()


def follow_renames(state: Store, config: Config, feeds: tuple[FeedConfig, ...]) -> list[tuple[str, str]]:
    """Rename the stored feeds whose config name changed while their URL did not; return (old, new).

    A configured feed the state does not know by name is the renamed one when exactly one stored
    feed that the config no longer names has its URL (and no other configured feed has it). Without
    this, its entries would all look new under the new name and the outlet would republish itself.
    """
    known = state.feed_info()
    configured = {feed.name for feed in config.feeds}
    gone_by_url: dict[str, list[str]] = {}
    for name, info in known.items():
        if name not in configured:
            gone_by_url.setdefault(info[0], []).append(name)
    same_url = {feed.url: sum(f.url == feed.url for f in config.feeds) for feed in feeds}
    renames = [
        (gone_by_url[feed.url][0], feed.name)
        for feed in feeds
        if feed.name not in known and len(gone_by_url.get(feed.url, ())) == 1 and same_url[feed.url] == 1
    ]
    if renames:
        with state.transaction():
            for old, new in renames:
                entries = state.rename_feed(old, new)
                log.warning(
                    "feed %r was renamed %r (same url): its %d stored entries follow the new name",
                    old,
                    new,
                    entries,
                    extra={"feed": new},
                )
    return renames


def removed_feeds(state: Store, config: Config, moment: datetime) -> frozenset[str]:
    """Feeds of the state that the config no longer lists and that have been gone for
    ``[state] removed_feed_days``: the outputs leave their entries out. Notes in the host's state
    when each feed was first seen gone (a feed only another host fetched counts from now)."""
    configured = {feed.name for feed in config.feeds}
    since = state.mark_removed_feeds(configured, moment)
    cutoff = moment - timedelta(days=config.state.removed_feed_days)
    gone = [name for name in state.feed_info() if name not in configured]
    return frozenset(name for name in gone if since.get(name, moment) <= cutoff)


def _fetch_all(
    config: Config,
    feeds: tuple[FeedConfig, ...],
    state: Store,
    moment: datetime,
    progress: ProgressCallback,
    force: bool = False,
    spool: Spool | None = None,
    wanted: WantedPages | None = None,
) -> list[FetchResult]:
    """ingest every feed, reporting each one to ``progress`` as it finishes.

    Adds the entries that want their article page to ``wanted`` (``fulltext.want_pages``); past
    ``SPOOL_AFTER`` entries, then moves each feed's entries' heavy fields to ``spool``."""
    total = len(feeds)
    progress(ProgressEvent("fetch", 0, total))
    results: list[FetchResult] = []
    configs = {feed.name: feed for feed in config.feeds}
    wanted = {} if wanted is None else wanted
    entries = 0
    for result in ingest(
        feeds,
        config.fetch,
        state.feed_health,
        moment,
        state.feed_digest,
        state.known_entry_keys,
        force,
        Preparer(config.dedup),
        pack=spool is not None,  # parse workers pickle the entries' heavy fields for the spool
    ):
        entries += len(result.articles)
        spooling = spool if spool is not None and entries > SPOOL_AFTER else None
        feed = configs.get(result.feed)
        if spooling is None or (feed is not None and may_fetch(feed)):  # want_pages reads their bodies
            for article in result.articles:
                unpack_payload(article)
        want_pages(result, feed, state, wanted)
        if spooling is not None:  # the workers kept each entry's boilerplate keys on it (keep_keys)
            spooling.offload(result.articles)
        results.append(result)
        progress(ProgressEvent("fetch", len(results), total, result.feed, result.ok))
    return results


def _forgive_a_network_outage(results: list[FetchResult], report: RunReport) -> None:
    """When every remote feed failed to connect, the host's network is down, not the feeds: none of
    them backs off or counts the failure (``health.network_down``)."""
    if not network_down(results):
        return
    report.network_down = True
    count = forgive_host_failures(results)
    log.warning(
        "every remote feed failed to connect (%d %s): this host's network looks down, so no feed "
        "backs off for it",
        count,
        "feed" if count == 1 else "feeds",
    )


def _record_fetches(
    state: Store,
    results: list[FetchResult],
    report: RunReport,
    moment: datetime,
    touched: set[str] | None = None,
    spool: Spool | None = None,
    config: Config | None = None,
) -> list[Article]:
    """Store each feed's health; log its problems; return its entries not seen in earlier runs and
    those whose text changed in place. Stories whose entry changed only its title or link are added
    to ``touched`` (to be attributed again and shown as updated). With ``config``, aggregator items
    first take their outlet's own link (``link_relayed_items``).

    Empties each result's ``articles`` once recorded: the entries returned are then held by the
    returned list alone, so that ``_detect`` can free each one once it is stored."""
    touched = set() if touched is None else touched
    new_articles: list[Article] = []
    waiting = link_relayed_items(state, config, results, moment) if config is not None else set()
    for result in results:
        if result.feed in waiting:  # read in full next time: no validators, no digest (see above)
            result.etag, result.last_modified, result.body_digest = "", "", ""
            state.set_feed_digest(result.feed, "")
        state.record_fetch(result, moment)
        for warning in result.warnings:
            log.warning("feed %r: %s", result.feed, warning, extra={"feed": result.feed})
        if result.skipped:
            report.feeds_skipped += 1
            report.skipped_feeds[result.feed] = result.next_fetch_after
            (log.warning if result.dead else log.info)(
                "feed %r %s", result.feed, result.skipped, extra={"feed": result.feed}
            )
            continue
        if result.permanent_url:  # the operator should know, and write it into the config
            log.warning(
                "feed %r moved permanently (HTTP 301/308) from %s to %s; fetched from there from now "
                "on: put the new address in the config's [[feeds]] url",
                result.feed,
                result.url,
                result.permanent_url,
                extra={"feed": result.feed},
            )
        if not result.ok:
            report.feeds_failed += 1
            report.failures.append(f"{result.feed}: {result.error}")
            log.error(
                "feed %r failed: %s (skipped; other feeds go on)",
                result.feed,
                result.error,
                extra={"feed": result.feed},
            )
            continue
        report.feeds_ok += 1
        if result.not_modified:  # a 304, or the same bytes as at the last parse: nothing to read
            report.feeds_not_modified += 1
            log.info("feed %r: unchanged since the last run", result.feed, extra={"feed": result.feed})
            continue
        if result.body_digest:  # stored in this run's transaction
            state.set_feed_digest(result.feed, result.body_digest)
        report.entries_seen += len(result.articles)
        fresh = _resolve_identities(state, result, report, moment, touched, spool)
        new_articles.extend(fresh)
        log.info(
            "feed %r: %d entries, %d new",
            result.feed,
            len(result.articles),
            len(fresh),
            extra={"feed": result.feed},
        )
        result.articles = []
    report.entries_new = len([a for a in new_articles if a.replaces is None])
    return new_articles


def link_relayed_items(
    state: Store, config: Config, results: list[FetchResult], moment: datetime
) -> set[str]:
    """Give each aggregator item the link of its outlet's own entry, when that feed is configured;
    return the feeds whose items still wait for their outlet's entry.

    An item whose ``<source>`` names a configured feed (by its site's host or its name, through
    ``[attribution.aliases]``), whose link is not on that outlet's site (a redirect), and whose
    headline is that of one of the outlet's entries (in this run's fetch, else stored) takes that
    entry's link (``text.aggregator.outlet_page``). Its permalink is then the outlet's page: dedup
    puts the two in one story (whichever comes first), and no output links to the redirect. Done
    before identity matching, so that a stored item already given the link stays unchanged.

    An item new in this run, or published in the last ``WAIT_FOR_OUTLET``, that found no such entry
    waits for it: its feed is read in full at the next run (no conditional GET, no skip for unchanged
    bytes), so that the stored item takes the outlet's link, and the outlet's entry joins its story,
    when the entry appears.
    """
    relayed = [(r, a) for r in results for a in r.articles if a.source or a.source_url]
    if not relayed:
        return set()
    configured = [feed.name for feed in config.feeds]
    hosts = feed_hosts(state) | {r.feed: host_of(r.feed_link) for r in results if r.feed_link}
    aliases = AliasTable(config.attribution.aliases, configured, hosts)
    fetched: dict[str, list[tuple[str, str, datetime | None]]] = {}
    for result in results:
        fetched.setdefault(result.feed, []).extend((a.title, a.link, a.published) for a in result.articles)
    stored: dict[str, list[tuple[str, str, datetime | None]]] = {}
    linked = 0
    waiting: set[str] = set()
    known: dict[str, set[str]] = {}  # feed -> its stored entry keys (an item new in this run waits)
    for result, article in relayed:
        named = [aliases.resolve(value) for value in (article.source_url, article.source or "") if value]
        outlet = next((name for name in named if name in configured and name != result.feed), None)
        if outlet is None or (hosts.get(outlet) and host_of(article.link) == hosts[outlet]):
            continue
        page = outlet_page(article, fetched.get(outlet, []))
        if page is None:
            if outlet not in stored:
                stored[outlet] = [(e.title, e.link, None) for e in state.feed_entries(outlet)]
            page = outlet_page(article, stored[outlet])
        if page is None:
            if result.feed not in known:
                known[result.feed] = state.known_entry_keys(result.feed)
            if article.entry_key not in known[result.feed] or article.published >= moment - WAIT_FOR_OUTLET:
                waiting.add(result.feed)
        elif page != article.link:
            article.link = page
            linked += 1
    if linked:
        log.info("%d aggregator items linked to their outlet's own entry", linked)
    return waiting


def _resolve_identities(
    state: Store,
    result: FetchResult,
    report: RunReport,
    moment: datetime,
    touched: set[str],
    spool: Spool | None = None,
) -> list[Article]:
    """Match a feed's entries to its stored ones (``text.identity``); store re-keys and title or link
    changes at once; return the new entries and those whose text changed (to be deduplicated)."""
    peek = spool.peek if spool is not None else lambda article: article
    resolution = resolve(
        result.articles,
        state.feed_entries(result.feed, result.articles),
        state.article_text,
        clean_line,
        lambda article: (entry := peek(article)).raw_html or entry.text,
    )
    if resolution.reused_ids:
        log.warning(
            "feed %r: %d entries reuse the id of an earlier, different article; kept as new articles",
            result.feed,
            resolution.reused_ids,
            extra={"feed": result.feed},
        )
    silent = [
        (entry.id, article)
        for article, entry in resolution.unchanged
        if article.entry_key != entry.entry_key or article.link != entry.link or not entry.content_hash
    ]
    for _, article in silent + [(0, a) for a, _ in resolution.metadata]:
        article.title = clean_line(article.title)
    if silent:  # same article, same content: its current key and link are kept, no update shown
        state.rekey_articles(silent, None)
    if resolution.metadata:
        state.rekey_articles([(entry.id, article) for article, entry in resolution.metadata], moment)
        touched.update(entry.story_id for _, entry in resolution.metadata)
    for article, entry in resolution.text:
        article.replaces, article.old_story = entry.id, entry.story_id
    report.entries_known += len(resolution.unchanged)
    report.entries_updated += len(resolution.metadata) + len(resolution.text)
    if resolution.metadata or resolution.text:
        log.info(
            "feed %r: %d entries updated in place",
            result.feed,
            len(resolution.metadata) + len(resolution.text),
            extra={"feed": result.feed},
        )
    return resolution.new + [article for article, _ in resolution.text]


def _retention_cutoff(config: Config, moment: datetime) -> datetime | None:
    days = config.state.retention_days
    return moment - timedelta(days=days) if days else None


def _within_retention(
    articles: list[Article], config: Config, report: RunReport, moment: datetime
) -> list[Article]:
    """Drop new entries already older than the retention window: stored, they would be pruned at
    once, and a feed that keeps listing them would have them re-added on every run."""
    cutoff = _retention_cutoff(config, moment)
    if cutoff is None:
        return articles
    kept = [a for a in articles if a.published >= cutoff or a.replaces is not None]
    report.entries_too_old = len(articles) - len(kept)
    report.entries_new -= report.entries_too_old
    if report.entries_too_old:
        log.info("%d new entries are older than state.retention_days; skipped", report.entries_too_old)
    return kept


def _prune(state: Store, config: Config, report: RunReport, moment: datetime) -> None:
    """Delete stories past the retention window, in the transaction that added this run's entries."""
    cutoff = _retention_cutoff(config, moment)
    if cutoff is not None:
        report.stories_pruned = state.prune_stories(cutoff, PRUNE_BATCH)
        if report.stories_pruned:
            log.info("pruned %d stories older than %s", report.stories_pruned, cutoff.isoformat())


# Entries signed and deduplicated per step (their texts are then freed). A chunk's texts and token
# lists rise and fall by ~35 KB an entry: 1,024 rather than 2,048 took a 100k first run's peak from
# 532 to 506 MB (crowded 10k with the smaller shingle cache: 391 -> 317 MB). With that cache, a 10k
# first run costs ~5% more CPU (three alternated pairs: 41.0, 37.2, 40.7 vs 43.8, 41.7, 42.0 s).
DETECT_CHUNK = 1024
_DETECT_STAGES = ("record", "normalize", "boilerplate", "signature", "dedup", "attribute")


def _detect(
    state: Store,
    config: Config,
    articles: list[Article],
    report: RunReport,
    moment: datetime,
    progress: ProgressCallback = no_progress,
    clock: StageClock | None = None,
    updated: set[str] | None = None,
    spool: Spool | None = None,
) -> None:
    """normalize -> boilerplate -> fingerprint -> dedup -> attribute, all inside the open transaction.

    ``updated``: stories whose entry changed its title or link in place (attributed again and
    shown as updated, like those whose entry changed its text). ``spool``: where the entries'
    heavy fields wait (``_fetch_all``); each feed's are read back to strip it and written again,
    each chunk's to sign and deduplicate it.

    Empties ``articles``: each entry is dropped once its chunk is stored (a first run of 100k
    entries would otherwise hold all of them, ~720 bytes each, while the run index and caches grow)."""
    fingerprinter = Fingerprinter(config.dedup)
    params_id = state.params_id(fingerprinter.params)
    incomparable = state.count_signatures_with_other_params(params_id)
    if incomparable:
        log.warning(
            "%d stored signatures were made with other [dedup] parameters or another version; "
            "new entries are not compared with them",
            incomparable,
        )
    clock = clock or StageClock({})
    # Memory stays bounded at 100k entries a run: an entry's raw HTML is dropped once it is
    # normalized, and the entries are then signed and deduplicated in publication-ordered chunks
    # whose texts and token lists are dropped once stored (the Deduplicator keeps a bounded cache).
    # One alias table for the run: configured aliases, feed names and the feeds' site hosts, used
    # alike by full text (canonical links) and attribution (credit lines).
    hosts = feed_hosts(state)
    aliases = AliasTable(config.attribution.aliases, (feed.name for feed in config.feeds), hosts)
    spool = spool or Spool()  # nothing spooled: never opens a file
    _strip_boilerplate(state, config, articles, spool, clock, aliases, hosts)
    last_old_id = state.last_article_id()
    ordered = sorted(articles, key=lambda a: (a.published, a.feed, a.entry_key))  # Deduplicator's order
    articles.clear()  # ``ordered`` holds them now, and lets each chunk go once stored
    total = len(ordered)
    # Editors' corrections (``syndedup story split|pin``) hold in every run: a split entry stays
    # alone, a pinned one stays the original (a merge is already one stored story).
    overrides = state.overrides()
    isolated = {o.article_id for o in overrides if o.kind == "split"}
    pinned = {o.article_id for o in overrides if o.kind == "pin"}
    deduplicator = Deduplicator(state, config.dedup, params_id, moment, isolated)
    progress(ProgressEvent("detect", 0, total))
    done = 0
    waiting: set[str] = set()  # stories the last chunk touched, attributed once the next one is done
    while ordered:
        chunk = ordered[:DETECT_CHUNK]
        del ordered[:DETECT_CHUNK]  # the chunk's entries are freed when ``chunk`` is rebound
        with clock.stage("signature"):
            spool.restore(chunk)
            fingerprinter.sign_many(chunk)
        with clock.stage("dedup"):
            for article in deduplicator(chunk):
                if article.signature is None:
                    report.entries_unsigned += 1
                done += 1
                progress(ProgressEvent("detect", done, total, article.feed))
        for article in chunk:  # stored: free the texts, tokens and signature (~35 KB an article)
            article.tokens, article.text, article.body, article.signature = [], "", "", None
            article.shingles = None  # the Deduplicator's bounded cache keeps what later chunks need
            article.prepared = None
        _trim_heap()
        # A chunk's stories are attributed once the next chunk has left them alone, while the cache
        # still holds their members' shingles (at the end of a 100k run it held the last 10k
        # entries', and attribution read and tokenized most bodies again: 41 s of the run). One
        # touched again later is attributed again then: its last attribution sees its final
        # members, as one at the end of the run would.
        fresh = deduplicator.take_touched()
        with clock.stage("attribute"):
            settled = {deduplicator.resolve(story_id) for story_id in waiting} - fresh
            grown = deduplicator.take_fresh(settled)
            attribute(state, settled, config.dedup, aliases, deduplicator.shingles, pinned, grown)
        waiting = fresh
    report.joined_story = deduplicator.joined
    report.new_stories = deduplicator.created
    changed = (updated or set()) | deduplicator.updated
    with clock.stage("attribute"):
        touched = {deduplicator.resolve(story_id) for story_id in waiting | changed}
        grown = deduplicator.take_fresh(touched - {deduplicator.resolve(s) for s in changed})
        attribute(state, touched, config.dedup, aliases, deduplicator.shingles, pinned, grown)
        state.touch_grown_stories(deduplicator.touched, moment, last_old_id)  # same GUID, new updated
        state.touch_grown_stories(changed - deduplicator.emptied, moment, last_old_id)


def _trim_heap() -> None:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``; elsewhere nothing).

    A chunk's texts, token lists and arrays are freed piecemeal, and glibc keeps the pages they
    lay on: a 40k first run trimmed every 0.5 s peaked at 418 instead of 446 MB (and 389 instead
    of 445 MB sampled). Called once a detect chunk (~100 times in a 100k first run)."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None


_MALLOC_TRIM = _malloc_trim()


def _restore_into(spool: Spool, restored: list[Article], articles: list[Article]) -> None:
    """Read back ``articles``' spooled fields (to be offloaded again) and add them to ``restored``."""
    restored.extend(spool.restore(articles, again=True))


def _strip_boilerplate(
    state: Store,
    config: Config,
    articles: list[Article],
    spool: Spool,
    clock: StageClock,
    aliases: AliasTable,
    hosts: dict[str, str],
) -> None:
    """normalize and strip each feed's boilerplate, then trim stock sentences from every feed's
    edges; each feed's spooled fields are read back for it and written again (no entry is held
    here past the return)."""
    stock = state.stock_sentences()
    known_stock = frozenset(stock)
    edges: list[tuple[Article, tuple[int, ...]]] = []
    by_feed: dict[str, list[Article]] = {}
    for article in articles:
        by_feed.setdefault(article.feed, []).append(article)
    for feed_articles in by_feed.values():  # one feed's texts in memory at a time
        # Entries with their boilerplate keys kept (normalized in a parse worker) and no page to
        # apply stay spooled; ``strip_feed`` reads back those it changes.
        heavy = [a for a in feed_articles if a.boilerplate_keys is None or a.page is not None]
        restored = spool.restore(heavy, again=True)
        with clock.stage("normalize"):
            for article in use_full_text(normalize(heavy), aliases, hosts):
                article.raw_html = ""
        with clock.stage("boilerplate"):
            min_entries = config.dedup.boilerplate_min_entries
            texts = partial(_restore_into, spool, restored)
            strip_feed(feed_articles, min_entries, state.add_line_counts, stock, edges, texts)
        spool.offload(restored)
    with clock.stage("boilerplate"):
        # Stock sentences learned from any feed are trimmed from every feed's edges (``text.boilerplate``).
        edged = stock_edged(edges, stock)
        for start in range(0, len(edged), DETECT_CHUNK):  # a chunk's texts in memory at a time
            batch = edged[start : start + DETECT_CHUNK]
            restored = spool.restore(batch, again=True)
            trim_stock(batch, stock)
            spool.offload(restored)
        if len(stock) > len(known_stock):
            state.add_stock_sentences(stock - known_stock)  # only the sentences learned in this run
