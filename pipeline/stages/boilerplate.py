"""Per-feed boilerplate: paragraphs a feed repeats across many entries (footers, share lines).

Counts live in the state so a site's footer, once learned, stays learned. A paragraph seen in
``min_entries`` or more entries of one feed is dropped from those entries' bodies before signing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import xxhash

from pipeline.models import Article

# Reads the stored counts and adds this run's: (feed, {line_hash: new entries}) -> {line_hash: total}.
CountStore = Callable[[str, dict[int, int]], dict[int, int]]


def line_key(paragraph: str) -> int:
    """A 63-bit key of a paragraph, insensitive to case and spacing (fits SQLite INTEGER)."""
    return xxhash.xxh64_intdigest(" ".join(paragraph.casefold().split()).encode()) >> 1


def strip_boilerplate(articles: list[Article], min_entries: int, counts: CountStore) -> int:
    """Drop each feed's repeated paragraphs from ``body``; return how many paragraphs were dropped."""
    by_feed: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        by_feed[article.feed].append(article)
    dropped = 0
    for feed, feed_articles in by_feed.items():
        new_counts: dict[int, int] = defaultdict(int)
        for article in feed_articles:
            for key in {line_key(p) for p in article.body.split("\n") if p}:
                new_counts[key] += 1
        totals = counts(feed, dict(new_counts))
        repeated = {key for key, total in totals.items() if total >= min_entries}
        for article in feed_articles:
            dropped += _drop(article, repeated)
    return dropped


def _drop(article: Article, repeated: set[int]) -> int:
    paragraphs = [p for p in article.body.split("\n") if p]
    kept = [p for p in paragraphs if line_key(p) not in repeated]
    if not kept:  # the whole entry is repeated text (a re-post): keep it rather than sign nothing
        return 0
    article.body = "\n".join(kept)
    return len(paragraphs) - len(kept)
