"""Feed health: what the state remembers about fetching each feed, and when to fetch it next.

Pure functions of a FeedHealth record, the config and an explicit ``now``, so that backoff and
Retry-After are tested with a fake clock instead of sleeping.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pipeline.config import FeedConfig, FetchConfig
from pipeline.models import FeedHealth


def skip_reason(health: FeedHealth, now: datetime) -> str | None:
    """Why a feed must not be fetched now, or None to fetch it."""
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
