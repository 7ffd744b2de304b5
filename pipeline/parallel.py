"""Parse and normalize feeds in worker processes: the per-entry text work that needs no state.

feedparser (~1,000 full-content entries/s per core) and normalize are pure functions of a feed's
bytes, so each worker runs the ordinary ``ingest`` on one feed at a time and normalizes the entries
the state does not know yet. What the workers need from the state (HTTP validators, last digests,
known entry keys) is read before they start and sent with each feed; they never open the state.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from pipeline.config import FeedConfig, FetchConfig
from pipeline.models import FetchResult
from pipeline.stages.ingest import ingest
from pipeline.stages.normalize import normalize

# Below this many feeds a pool costs more (process start, pickling) than it saves.
MIN_FEEDS_FOR_POOL = 8
MAX_WORKERS = 4
FEEDS_PER_TASK = 25


def default_workers(feeds: int) -> int:
    """1 (no pool) for small configs, else one worker per core up to MAX_WORKERS."""
    if feeds < MIN_FEEDS_FOR_POOL:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


@dataclass(frozen=True, slots=True)
class FeedJob:
    """One feed and the stored facts a worker needs to fetch it conditionally and skip known entries."""

    feed: FeedConfig
    etag: str | None
    last_modified: str | None
    digest: str | None
    known: frozenset[str]


def ingest_parallel(
    jobs: Sequence[FeedJob], fetch_config: FetchConfig, now: datetime, workers: int
) -> list[FetchResult]:
    """Fetch, parse and normalize the feeds in ``workers`` processes; results in ``jobs`` order.

    Every entry comes back without its raw HTML; those not in the job's ``known`` come back
    normalized (the runner then skips its own normalize step).
    """
    # A few feeds per task: one HTTP client per task (creating one costs ~10 ms of TLS setup), and
    # still small enough tasks that a slow feed does not leave the other workers idle.
    size = max(1, min(FEEDS_PER_TASK, len(jobs) // (4 * workers)))
    tasks = [jobs[start : start + size] for start in range(0, len(jobs), size)]
    context = multiprocessing.get_context("fork")  # workers inherit the imported modules
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        done = pool.map(_ingest_task, tasks, [fetch_config] * len(tasks), [now] * len(tasks))
        return [result for results in done for result in results]


def _ingest_task(jobs: Sequence[FeedJob], fetch_config: FetchConfig, now: datetime) -> list[FetchResult]:
    by_name: Mapping[str, FeedJob] = {job.feed.name: job for job in jobs}
    results = list(
        ingest(
            [job.feed for job in jobs],
            fetch_config,
            lambda name: (by_name[name].etag, by_name[name].last_modified),
            now,
            lambda name: by_name[name].digest,
        )
    )
    for result in results:
        known = by_name[result.feed].known
        for _ in normalize(a for a in result.articles if a.entry_key not in known):
            pass
        for article in result.articles:
            article.raw_html = ""
    return results
