"""Feed health: what the state remembers about fetching each feed, and when to fetch it next.

Pure functions of a FeedHealth record, the config and an explicit ``now``, so that backoff and
Retry-After are tested with a fake clock instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlparse

from pipeline.config import FeedConfig, FetchConfig
from pipeline.models import FeedHealth, FetchResult


def is_remote(url: str) -> bool:
    """True for an http(s) URL: the only feeds that back off (a local file costs nobody anything,
    and once it is fixed it must be read at the next run, not hours later)."""
    return urlparse(url).scheme.lower() in ("http", "https")


def skip_reason(health: FeedHealth, now: datetime, url: str | None = None, force: bool = False) -> str | None:
    """Why a feed must not be fetched now, or None to fetch it.

    ``url``: the feed's config URL; a local file (not http(s)) is never backed off, whatever an older
    state file remembers. ``force`` (``syndedup run --force``) ignores backoff and the dead mark of a
    410 for this run: a success clears them, another failure sets them again.
    """
    if force or (url is not None and not is_remote(url)):
        return None
    if health.dead:
        return (
            "skipped: its server answered 410 Gone, so it is marked dead; it stays skipped until "
            "its url in the config changes"
        )
    if health.next_fetch_after is not None and now < health.next_fetch_after:
        return (
            f"skipped until {health.next_fetch_after:%Y-%m-%dT%H:%M:%SZ} after "
            f"{health.consecutive_failures} failure(s) in a row (last: {health.last_error or 'unknown'})"
        )
    return None


def backoff_seconds(failures: int, config: FetchConfig) -> float:
    """Seconds to wait after ``failures`` failures in a row: base * 2**(n-1), capped at backoff_max."""
    if failures <= 0 or config.backoff_base <= 0:
        return 0.0
    # min() on the exponent first: 2**failures for a feed failing for years would overflow a float.
    return float(min(config.backoff_base * 2 ** min(failures - 1, 40), config.backoff_max))


def next_fetch_after(
    failures: int, retry_after: float | None, now: datetime, config: FetchConfig
) -> datetime | None:
    """The earliest next fetch after a failure: the later of backoff and Retry-After, capped."""
    wait = backoff_seconds(failures, config)
    if retry_after is not None:
        wait = min(max(wait, retry_after), config.backoff_max)
    return now + timedelta(seconds=wait) if wait > 0 else None


def fetch_url(feed: FeedConfig, health: FeedHealth) -> str:
    """Where to fetch a feed from: the target of a remembered permanent redirect, else its config URL."""
    return health.permanent_url or feed.url


def network_down(results: Sequence[FetchResult]) -> bool:
    """Whether every remote feed fetched in this run failed before a connection was made (name
    resolution, refused, unreachable, connect timeout): then it is this host's own network or name
    server that is down, not the feeds (issue 23: an outage put every feed into backoff, and runs
    kept exiting 3 for hours after the network was back). Feeds skipped or read from files do not
    count; one remote feed that answered anything (even an error) means the network works."""
    fetched = [result for result in results if not result.skipped and is_remote(result.url)]
    return bool(fetched) and all(result.connect_failed for result in fetched)


def forgive_host_failures(results: Sequence[FetchResult]) -> int:
    """Mark the connection failures of a run whose network was down (``network_down``) as the
    host's: their feeds are not backed off and the failure is not counted (a later failure of the
    feed's own backs off from where it was). Returns how many were marked."""
    marked = 0
    for result in results:
        if result.connect_failed and not result.skipped:
            result.host_failure = True
            result.next_fetch_after = None
            result.error = f"{result.error} (not counted: every remote feed failed to connect)"
            marked += 1
    return marked
