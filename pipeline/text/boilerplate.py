"""Per-feed boilerplate: text a feed repeats across many entries (footers, share lines).

Counts live in the state so a site's footer, once learned, stays learned. Two kinds of line are
counted per feed:

* whole paragraphs: a paragraph seen in ``min_entries`` or more entries of one feed is dropped
  from those entries' bodies wherever it stands;
* sentences: a footer glued to the text (same paragraph, or a plain-text feed) is caught sentence
  by sentence, but only at the very end or start of a body, where footers and headers sit. A
  repeated sentence in the middle of an article (a stock phrase, a quotation) is kept.

Entries of one feed that are copies of each other (one story carried in several sections of a
site, or re-sent in one fetch) count a line once between them: their shared lines are the story's,
not the site's furniture (issue 25: counted once each, a story carried three times lost its own
paragraphs).

A sentence trimmed from an edge this way is a stock sentence (a wire lead, a standing line) and is
kept in the state's stock set: it is trimmed from the edge of every feed's entries too, in this
run and later ones. Without that, a teaser on another feed keeps the stock lead that its
original lost, and half of its words no longer lie in the original's lead (issue 13's crowded
corpus: many unrelated articles sharing sentences).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

import numpy as np
import xxhash

from pipeline.models import Article

# Reads the stored counts and adds this run's: (feed, {line_hash: new entries}) -> {line_hash: total}.
CountStore = Callable[[str, dict[int, int]], dict[int, int]]

# A sentence ends at . ! ? … (or their CJK forms) followed by a space or a CJK character.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|(?<=[。！？])")
# Sentences shorter than this are not counted: "He said." recurs without being boilerplate.
MIN_SENTENCE_WORDS = 4
# Two entries of a feed are copies when they share more than this share of the larger one's own
# lines (lines not in more than half the feed's entries, which are furniture or stock text), and
# two of them (or all, for an entry of one line): two stories sharing a footer share one line. (A
# fifth instead of a half grouped a site's entries sharing a list of trending headlines: the wire
# corpus lost 0.015 F1.) Copies each edited here and there share fewer lines: ``_drop`` keeps them.
COPY_SHARE = 0.5
# A line held by more entries than this is not looked at as evidence of copying (bounded work).
MAX_HOLDERS = 64


def line_key(paragraph: str) -> int:
    """A 63-bit key of a paragraph, insensitive to case and spacing (fits SQLite INTEGER)."""
    return xxhash.xxh64_intdigest(" ".join(paragraph.casefold().split()).encode()) >> 1


def sentence_key(sentence: str) -> int:
    """Like ``line_key`` but in a namespace of its own, so a one-sentence paragraph counts twice."""
    return line_key(_SENTENCE_PREFIX + sentence)


_SENTENCE_PREFIX = "\x00sentence\x00"


def sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(paragraph) if s.strip()]


def _countable(sentence: str) -> bool:
    return len(sentence.split()) >= MIN_SENTENCE_WORDS or len(sentence) >= 20


def _paragraph_keys(paragraph: str) -> tuple[int, list[int | None]]:
    """(``line_key(paragraph)``, the ``sentence_key`` of each of its ``sentences``, None for one
    that does not count). Most paragraphs are ASCII with single spaces (``clean_line`` output): their
    sentences are cut from the case-folded line, the same strings the keys would fold, in C string
    methods instead of a regex with a lookbehind at every character (measured 3x faster)."""
    folded = " ".join(paragraph.casefold().split())
    key = xxhash.xxh64_intdigest(folded.encode()) >> 1
    if paragraph.isascii() and len(folded) == len(paragraph):
        # Only a space can follow a sentence end here, and folding ASCII moves no character.
        parts = folded.replace(". ", ".\n").replace("! ", "!\n").replace("? ", "?\n").split("\n")
        return key, [
            xxhash.xxh64_intdigest((_SENTENCE_PREFIX + part).encode()) >> 1
            if len(part) >= 20 or part.count(" ") >= MIN_SENTENCE_WORDS - 1
            else None
            for part in parts
        ]
    return key, [sentence_key(s) if _countable(s) else None for s in sentences(paragraph)]


def body_keys(body: str) -> tuple[list[int], set[int], tuple[int, ...]]:
    """``(*line_keys(body), edge_keys(body))`` in one pass over the body's paragraphs."""
    paragraph_keys: list[int] = []
    counted: set[int] = set()
    lines = body.split("\n")
    first: list[int | None] = []
    last: list[int | None] = []
    for index, paragraph in enumerate(lines):
        if paragraph:
            key, sentence_keys = _paragraph_keys(paragraph)
            paragraph_keys.append(key)
            counted.add(key)
            counted.update(k for k in sentence_keys if k is not None)
            if index == 0:
                first = sentence_keys
            if index == len(lines) - 1:
                last = sentence_keys
    return paragraph_keys, counted, _edges(first, last)


def _edges(first: list[int | None], last: list[int | None]) -> tuple[int, ...]:
    """The first paragraph's first sentence key and the last's last one, those that count."""
    return tuple(key for keys, edge in ((first, 0), (last, -1)) if keys and (key := keys[edge]) is not None)


def line_keys(body: str) -> tuple[list[int], set[int]]:
    """(key of each non-empty line of ``body`` in order, distinct keys an entry counts: its lines'
    and their countable sentences'). Pure, so parse workers compute it (``Article.prepared``)."""
    paragraph_keys, counted, _ = body_keys(body)
    return paragraph_keys, counted


def edge_keys(body: str) -> tuple[int, ...]:
    """Keys of the body's first and last sentences, those that count (what a footer or header glued
    to the text would be). Pure, so parse workers compute it (``Prepared.edge_keys``)."""
    first, _, _ = body.partition("\n")
    _, _, last = body.rpartition("\n")
    return _edges(*(_paragraph_keys(paragraph)[1] if paragraph else [] for paragraph in (first, last)))


def line_counts(keyed: list[tuple[list[int], Iterable[int]]]) -> Counter[int]:
    """Entries of one feed counting each key, from each entry's (paragraph keys, counted keys):
    a group of entries that are copies of each other (``copy_groups``) counts a key once."""
    groups: dict[int, set[int]] = {}
    for group, (_, counted) in zip(copy_groups([keys for keys, _ in keyed]), keyed, strict=True):
        groups.setdefault(group, set()).update(counted)
    counts: Counter[int] = Counter()
    for counted in groups.values():
        counts.update(counted)
    return counts


def copy_groups(paragraph_keys: list[list[int]]) -> list[int]:
    """A group number for each entry: entries sharing more than ``COPY_SHARE`` of the larger one's
    own lines (those in at most half the entries; furniture is in most), and two of them, are one
    group, transitively."""
    size = len(paragraph_keys)
    parent = list(range(size))
    if size < 2:
        return parent

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    sets = [set(keys) for keys in paragraph_keys]
    holders: dict[int, list[int]] = defaultdict(list)
    for index, keys in enumerate(sets):
        for key in keys:
            holders[key].append(index)
    common = max(2, size // 2)  # a line in more entries than this is furniture or stock, not evidence
    own = [sum(1 for key in keys if len(holders[key]) <= common) for keys in sets]
    for index, keys in enumerate(sets):
        shared = Counter(
            other
            for key in keys
            if 2 <= len(holders[key]) <= min(common, MAX_HOLDERS)
            for other in holders[key]
            if other > index
        )
        for other, count in shared.items():
            if count >= min(2, own[index], own[other]) and count > COPY_SHARE * max(own[index], own[other]):
                parent[root(other)] = root(index)
    return [root(i) for i in range(size)]


def keep_keys(article: Article) -> None:
    """Keep the parse worker's boilerplate keys on the entry itself (``Article.boilerplate_keys``)
    while its body is the one they were made from: once its texts are spooled, ``strip_feed`` then
    reads back only the entries whose lines it drops (on the realistic 10k benchmark load, ~2,400
    of ~8,000 spooled entries; the others stay in the spool until their detect chunk)."""
    prepared = article.prepared
    if (
        article.normalized
        and prepared is not None
        and prepared.body is article.body
        and prepared.edge_keys is not None
    ):
        article.boilerplate_keys = (prepared.paragraph_keys, prepared.counted_keys, prepared.edge_keys)


def _article_keys(article: Article) -> tuple[list[int], set[int] | list[int], tuple[int, ...] | None]:
    if article.spooled is not None:  # its texts are out of memory: the keys kept for it
        if article.boilerplate_keys is None:
            raise ValueError(f"feed {article.feed!r}: a spooled entry without its boilerplate keys")
        paragraph_keys, counted_keys, edges = article.boilerplate_keys
        return (
            np.frombuffer(paragraph_keys, np.int64).tolist(),
            np.frombuffer(counted_keys, np.int64).tolist(),
            edges,
        )
    prepared = article.prepared
    if prepared is not None and prepared.body == article.body:
        return (
            np.frombuffer(prepared.paragraph_keys, np.int64).tolist(),
            np.frombuffer(prepared.counted_keys, np.int64).tolist(),
            prepared.edge_keys,
        )
    return (*line_keys(article.body), None)


def strip_boilerplate(
    articles: list[Article], min_entries: int, counts: CountStore, stock: set[int] | None = None
) -> int:
    """Drop each feed's repeated paragraphs and edge sentences from ``body``; return how many.

    ``stock``: sentence keys (``sentence_key``) known as stock edge sentences; the sentences this
    call trims from an edge are added to it, and every article's edges are then trimmed of them,
    whatever its feed. ``strip_feed`` then ``trim_stock`` (the run calls them in turn, with each
    feed's texts in memory only while it is stripped)."""
    stock = set() if stock is None else stock
    by_feed: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        by_feed[article.feed].append(article)
    dropped = 0
    edges: list[tuple[Article, tuple[int, ...]]] = []
    for feed_articles in by_feed.values():
        dropped += strip_feed(feed_articles, min_entries, counts, stock, edges)
    return dropped + trim_stock(stock_edged(edges, stock), stock)


def strip_feed(
    articles: list[Article],
    min_entries: int,
    counts: CountStore,
    stock: set[int],
    edges: list[tuple[Article, tuple[int, ...]]],
    texts: Callable[[list[Article]], object] | None = None,
) -> int:
    """``strip_boilerplate``'s first step for one feed's ``articles``: count their lines (adding
    them to the state's counts), drop the repeated ones; return how many were dropped. Appends
    each article with the ``edge_keys`` of its body as left (for ``stock_edged``) to ``edges``.

    A spooled article (``Article.spooled``) is counted by its ``boilerplate_keys`` (ValueError when
    it has none); ``texts`` reads back the texts of those whose lines are dropped, before they are
    (``Spool.restore``); the others are left as they are. Clears every ``boilerplate_keys``."""
    if not articles:
        return 0
    keyed: list[tuple[Article, list[int], tuple[int, ...] | None]] = []
    counted_keys: list[tuple[list[int], Iterable[int]]] = []
    for article in articles:
        paragraph_keys, counted, article_edges = _article_keys(article)
        keyed.append((article, paragraph_keys, article_edges))
        counted_keys.append((paragraph_keys, counted))
        article.boilerplate_keys = None
    totals = counts(articles[0].feed, dict(line_counts(counted_keys)))
    repeated = {key for key, total in totals.items() if total >= min_entries}
    minority = _minority(repeated, [keys for keys, _ in counted_keys])
    changing = [
        article
        for article, paragraph_keys, article_edges in keyed
        if article.spooled is not None
        and not (repeated.isdisjoint(paragraph_keys) and repeated.isdisjoint(article_edges or ()))
    ]
    if changing:
        if texts is None:
            raise ValueError(f"feed {articles[0].feed!r}: spooled entries to strip and no way to read them")
        texts(changing)
    dropped = 0
    for article, paragraph_keys, article_edges in keyed:
        if article.spooled is not None:  # nothing of it is dropped: its body stays as it is
            edges.append((article, article_edges or ()))
            continue
        body = article.body
        article.body, removed = stripped(body, repeated, paragraph_keys, article_edges, stock, minority)
        dropped += removed
        if article_edges is None or article.body is not body:
            article_edges = edge_keys(article.body)
        edges.append((article, article_edges))
    return dropped


def stock_edged(edges: list[tuple[Article, tuple[int, ...]]], stock: set[int]) -> list[Article]:
    """The articles of ``edges`` (``strip_feed``'s) whose body starts or ends with a ``stock``
    sentence: the only ones ``trim_stock`` changes (no texts needed to find them)."""
    if not stock:
        return []
    return [article for article, keys in edges if not stock.isdisjoint(keys)]


def trim_stock(articles: list[Article], stock: set[int]) -> int:
    """Trim ``stock`` sentences from the edges of each article's body (``stock_edged``'s); return
    how many were trimmed. A body that would be left empty is kept whole."""
    dropped = 0
    for article in articles:
        paragraphs = [p for p in article.body.split("\n") if p]
        kept, trimmed = _trim_edges(paragraphs, stock, set())
        if kept:
            article.body = "\n".join(kept)
            dropped += trimmed
    return dropped


def stripped(
    body: str,
    repeated: set[int],
    paragraph_keys: list[int],
    edges: tuple[int, ...] | None = None,
    stock: set[int] | None = None,
    minority: set[int] | frozenset[int] = frozenset(),
) -> tuple[str, int]:
    """(``body`` without its ``repeated`` paragraphs and edge sentences, how many were removed);
    ``body`` itself (the same object) when nothing is removed or everything would be. ``edges``:
    ``edge_keys(body)`` if known; the keys of edge sentences removed are added to ``stock``.
    ``minority``: repeated paragraphs that most of the feed's entries at hand lack (``_minority``):
    kept when dropping them would take more than a third of the body's words (a site's furniture
    that only some entries carry, a list of trending headlines, is a fifth of an entry's words on
    the wire corpus)."""
    edges = edge_keys(body) if edges is None else edges
    if repeated.isdisjoint(paragraph_keys) and repeated.isdisjoint(edges):
        return body, 0  # nothing to drop (most entries): the body, and its signature, stay
    return _drop(body, repeated, paragraph_keys, set() if stock is None else stock, minority)


def _minority(repeated: set[int], paragraph_keys: list[list[int]]) -> set[int]:
    """The ``repeated`` paragraph keys held by at most half of these entries of one feed: a site's
    furniture stands in most of its entries; paragraphs a few near-identical copies share (one story
    carried many times, each copy edited here and there) do not."""
    held: Counter[int] = Counter()
    for keys in paragraph_keys:
        held.update(repeated.intersection(keys))
    return {key for key, count in held.items() if 2 * count <= len(paragraph_keys)}


def predicted_bodies(
    bodies: list[str],
    keyed: list[tuple[list[int], set[int]]],
    edges: list[tuple[int, ...]],
    min_entries: int,
) -> list[str]:
    """Each body as ``strip_boilerplate`` will leave it if the only counts were these bodies'
    (one feed's new entries, in a parse worker; ``keyed``: their ``line_keys``, ``edges``: their
    ``edge_keys``). Stored counts can only add lines to drop, so this is a guess the run checks
    (``Prepared.signed_body``)."""
    counts = line_counts([(keys, counted) for keys, counted in keyed])
    repeated = {key for key, total in counts.items() if total >= min_entries}
    if not repeated:
        return bodies
    minority = _minority(repeated, [keys for keys, _ in keyed])
    return [
        stripped(body, repeated, keys, edge, None, minority)[0]
        for body, (keys, _), edge in zip(bodies, keyed, edges, strict=True)
    ]


def _drop(
    body: str,
    repeated: set[int],
    paragraph_keys: list[int],
    stock: set[int],
    minority: set[int] | frozenset[int] = frozenset(),
) -> tuple[str, int]:
    paragraphs = [p for p in body.split("\n") if p]
    if minority:  # a story's own paragraphs, not furniture, when they are a third of its words
        words = sum(len(p.split()) for p in paragraphs)
        lost = sum(
            len(p.split()) for p, key in zip(paragraphs, paragraph_keys, strict=True) if key in minority
        )
        if 3 * lost > words:
            repeated = repeated - minority
    kept = [p for p, key in zip(paragraphs, paragraph_keys, strict=True) if key not in repeated]
    removed = len(paragraphs) - len(kept)
    kept, trimmed = _trim_edges(kept, repeated, stock)
    if not kept:  # the whole entry is repeated text (a re-post): keep it rather than sign nothing
        return body, 0
    return "\n".join(kept), removed + trimmed


def _trim_edges(paragraphs: list[str], repeated: set[int], stock: set[int]) -> tuple[list[str], int]:
    """Remove repeated sentences from the end of the last paragraph and the start of the first;
    add the keys of those removed to ``stock``."""
    trimmed = 0
    if not paragraphs:
        return paragraphs, 0
    out = list(paragraphs)
    for edge in (-1, 0):
        parts = sentences(out[edge])
        while parts and _countable(parts[edge]) and (key := sentence_key(parts[edge])) in repeated:
            parts.pop(edge)
            stock.add(key)
            trimmed += 1
        if not parts and len(out) == 1:
            return [], trimmed
        if parts:
            out[edge] = " ".join(parts)
        else:
            out.pop(edge)
    return out, trimmed
