"""Run the stages once, in order, under a lock, with every state change in one transaction.

    ingest -> normalize -> (boilerplate) -> fingerprint -> dedup -> attribute -> emit

Fetching happens before the transaction opens (it is slow and changes nothing); emit happens after
it commits, from the state alone, so a crash at any point leaves the previous outputs and state.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from pipeline.config import Config
from pipeline.errors import RunLockedError, StateError
from pipeline.models import Article, FetchResult, RunReport
from pipeline.parallel import FeedJob, default_workers, ingest_parallel
from pipeline.stages.attribute import AliasTable, attribute
from pipeline.stages.boilerplate import strip_boilerplate
from pipeline.stages.dedup import Deduplicator
from pipeline.stages.emit import emit
from pipeline.stages.fingerprint import Fingerprinter
from pipeline.stages.ingest import ingest
from pipeline.stages.normalize import normalize
from pipeline.state import State, now_utc
from pipeline.timing import StageClock

log = logging.getLogger(__name__)


@contextmanager
def run_lock(state_path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside the state file so that overlapping cron runs never both write."""
    lock_path = state_path.with_name(state_path.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StateError(f"{lock_path}: cannot create lock file: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLockedError(f"{lock_path}: another syndedup run is in progress; skipped") from None
        yield
    finally:
        os.close(fd)


def run(config: Config, now: datetime | None = None, workers: int | None = None) -> RunReport:
    """Run every stage once for ``config``; return the counts. Raises SyndedupError subclasses.

    ``workers`` > 1 parses and normalizes feeds in that many processes (default: one per core for
    configs with many feeds, see ``pipeline.parallel.default_workers``).
    """
    workers = default_workers(len(config.feeds)) if workers is None else workers
    moment = now or now_utc()
    with run_lock(config.state.path):
        state = State(config.state.path)
        try:
            report = RunReport()
            clock = StageClock(report.stage_seconds)
            with clock.stage("fetch_parse"):
                if workers > 1:
                    results = ingest_parallel(_feed_jobs(state, config), config.fetch, moment, workers)
                else:
                    results = list(
                        ingest(config.feeds, config.fetch, state.feed_validators, moment, state.feed_digest)
                    )
            with clock.stage("commit"), state.transaction():
                with clock.stage("record"):
                    new_articles = _record_fetches(state, results, report, moment)
                _detect(state, config, new_articles, report, moment, clock, normalized=workers > 1)
            del results, new_articles  # stored; emit reads the state (keeps its peak memory apart)
            # "commit" then holds only what the stages inside the transaction did not take.
            report.stage_seconds["commit"] -= sum(
                report.stage_seconds.get(name, 0.0) for name in _DETECT_STAGES
            )
            with clock.stage("emit"):
                report.items_written = emit(state, config.output)
                report.stories_total = len(state.stories())
            log.info(
                "seconds per stage: %s",
                ", ".join(f"{name} {seconds:.2f}" for name, seconds in report.stage_seconds.items()),
            )
        finally:
            state.close()
    return report


def _record_fetches(
    state: State, results: list[FetchResult], report: RunReport, moment: datetime
) -> list[Article]:
    """Store each feed's health; log its problems; return its entries not seen in earlier runs."""
    new_articles: list[Article] = []
    for result in results:
        state.record_fetch(result, moment)
        for warning in result.warnings:
            log.warning("feed %r: %s", result.feed, warning)
        if not result.ok:
            report.feeds_failed += 1
            report.failures.append(f"{result.feed}: {result.error}")
            log.error("feed %r failed: %s (skipped; other feeds go on)", result.feed, result.error)
            continue
        report.feeds_ok += 1
        if result.body_digest and not result.not_modified:  # stored in this run's transaction
            state.set_feed_digest(result.feed, result.body_digest)
        known = state.known_entry_keys(result.feed)
        report.entries_seen += len(result.articles)
        fresh = [a for a in result.articles if a.entry_key not in known]
        report.entries_known += len(result.articles) - len(fresh)
        new_articles.extend(fresh)
        log.info("feed %r: %d entries, %d new", result.feed, len(result.articles), len(fresh))
    report.entries_new = len(new_articles)
    return new_articles


DETECT_CHUNK = 2048  # entries signed and deduplicated per step (their token lists are then freed)


def _feed_jobs(state: State, config: Config) -> list[FeedJob]:
    """What the parse workers need from the state, read once before they start."""
    jobs = []
    for feed in config.feeds:
        etag, last_modified = state.feed_validators(feed.name)
        known = frozenset(state.known_entry_keys(feed.name))
        jobs.append(FeedJob(feed, etag, last_modified, state.feed_digest(feed.name), known))
    return jobs


_DETECT_STAGES = ("record", "normalize", "boilerplate", "signature", "dedup", "attribute")


def _detect(
    state: State,
    config: Config,
    articles: list[Article],
    report: RunReport,
    moment: datetime,
    clock: StageClock | None = None,
    normalized: bool = False,
) -> None:
    """normalize -> boilerplate -> fingerprint -> dedup -> attribute, all inside the open transaction."""
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
    # Memory stays bounded at 100k entries a run: each feed's raw HTML is dropped once it is
    # normalized, and the entries are then signed and deduplicated in publication-ordered chunks
    # whose token lists are dropped once stored (the Deduplicator keeps a bounded cache of them).
    by_feed: dict[str, list[Article]] = {}
    for article in articles:
        by_feed.setdefault(article.feed, []).append(article)
    for feed_articles in by_feed.values():
        with clock.stage("normalize"):
            for _ in normalize([] if normalized else feed_articles):  # else done by parallel workers
                pass
        with clock.stage("boilerplate"):
            strip_boilerplate(feed_articles, config.dedup.boilerplate_min_entries, state.add_line_counts)
        for article in feed_articles:
            article.raw_html = ""
    ordered = sorted(articles, key=lambda a: (a.published, a.feed, a.entry_key))  # Deduplicator's order
    deduplicator = Deduplicator(state, config.dedup, params_id, moment)
    for start in range(0, len(ordered), DETECT_CHUNK):
        chunk = ordered[start : start + DETECT_CHUNK]
        with clock.stage("signature"):
            fingerprinter.sign_many(chunk)
        with clock.stage("dedup"):
            for article in deduplicator(chunk):
                if article.signature is None:
                    report.entries_unsigned += 1
        for article in chunk:  # stored: free the texts, tokens and signature (~35 KB an article)
            article.tokens, article.text, article.body, article.signature = [], "", "", None
    report.joined_story = deduplicator.joined
    report.new_stories = deduplicator.created
    with clock.stage("attribute"):
        aliases = AliasTable(config.attribution.aliases, (feed.name for feed in config.feeds))
        attribute(state, deduplicator.touched, config.dedup, aliases)
