"""Per-feed boilerplate: text a feed repeats across many entries (footers, share lines).

Counts live in the state so a site's footer, once learned, stays learned. Two kinds of line are
counted per feed:

* whole paragraphs: a paragraph seen in ``min_entries`` or more entries of one feed is dropped
  from those entries' bodies wherever it stands;
* sentences: a footer glued to the text (same paragraph, or a plain-text feed) is caught sentence
  by sentence, but only at the very end or start of a body, where footers and headers sit. A
  repeated sentence in the middle of an article (a stock phrase, a quotation) is kept.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable

import xxhash

from pipeline.models import Article

# Reads the stored counts and adds this run's: (feed, {line_hash: new entries}) -> {line_hash: total}.
CountStore = Callable[[str, dict[int, int]], dict[int, int]]

# A sentence ends at . ! ? … (or their CJK forms) followed by a space or a CJK character.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|(?<=[。！？])")
# Sentences shorter than this are not counted: "He said." recurs without being boilerplate.
MIN_SENTENCE_WORDS = 4


def line_key(paragraph: str) -> int:
    """A 63-bit key of a paragraph, insensitive to case and spacing (fits SQLite INTEGER)."""
    return xxhash.xxh64_intdigest(" ".join(paragraph.casefold().split()).encode()) >> 1


def sentence_key(sentence: str) -> int:
    """Like ``line_key`` but in a namespace of its own, so a one-sentence paragraph counts twice."""
    return line_key("\x00sentence\x00" + sentence)


def sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(paragraph) if s.strip()]


def _countable(sentence: str) -> bool:
    return len(sentence.split()) >= MIN_SENTENCE_WORDS or len(sentence) >= 20


def strip_boilerplate(articles: list[Article], min_entries: int, counts: CountStore) -> int:
    """Drop each feed's repeated paragraphs and edge sentences from ``body``; return how many."""
    by_feed: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        by_feed[article.feed].append(article)
    dropped = 0
    for feed, feed_articles in by_feed.items():
        new_counts: dict[int, int] = defaultdict(int)
        paragraph_keys: dict[str, int] = {}  # each paragraph's key, computed once for both passes
        for article in feed_articles:
            keys: set[int] = set()
            for paragraph in article.body.split("\n"):
                if paragraph:
                    key = paragraph_keys.get(paragraph)
                    if key is None:
                        key = paragraph_keys[paragraph] = line_key(paragraph)
                    keys.add(key)
                    keys.update(sentence_key(s) for s in sentences(paragraph) if _countable(s))
            for key in keys:
                new_counts[key] += 1
        totals = counts(feed, dict(new_counts))
        repeated = {key for key, total in totals.items() if total >= min_entries}
        for article in feed_articles:
            dropped += _drop(article, repeated, paragraph_keys)
    return dropped


def _drop(article: Article, repeated: set[int], paragraph_keys: dict[str, int]) -> int:
    paragraphs = [p for p in article.body.split("\n") if p]
    kept = [p for p in paragraphs if paragraph_keys[p] not in repeated]
    removed = len(paragraphs) - len(kept)
    kept, trimmed = _trim_edges(kept, repeated)
    if not kept:  # the whole entry is repeated text (a re-post): keep it rather than sign nothing
        return 0
    article.body = "\n".join(kept)
    return removed + trimmed


def _trim_edges(paragraphs: list[str], repeated: set[int]) -> tuple[list[str], int]:
    """Remove repeated sentences from the end of the last paragraph and the start of the first."""
    trimmed = 0
    if not paragraphs:
        return paragraphs, 0
    out = list(paragraphs)
    for edge in (-1, 0):
        parts = sentences(out[edge])
        while parts and _countable(parts[edge]) and sentence_key(parts[edge]) in repeated:
            parts.pop(edge)
            trimmed += 1
        if not parts and len(out) == 1:
            return [], trimmed
        if parts:
            out[edge] = " ".join(parts)
        else:
            out.pop(edge)
    return out, trimmed
