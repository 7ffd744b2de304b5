"""The LSH bucket keys added during one run, held in memory as sorted arrays until they are written.

A run looks up the bucket keys of each new entry right after storing the previous ones. Before,
keys past a small in-memory buffer were written to SQLite's ``lsh_buckets`` B-tree and looked up
there: one B-tree probe per band and entry (~0.4 ms an entry, a third of the dedup stage on 10k
real-length articles, issue 15). Here a small dict takes the newest keys; when it fills, it becomes
a sorted segment (numpy arrays of keys and article ids, 12 bytes a key instead of a dict entry's
~150), and segments of similar size are merged, as in a log-structured merge tree (O'Neil et al.,
"The log-structured merge-tree", Acta Informatica 33, 1996), so a lookup is a binary search
(``numpy.searchsorted``) in a few arrays. The caller writes ``drain()``'s segments to its store at
commit, or earlier when ``full``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np

# Keys in the dict before it becomes a sorted segment: a dict of 20k keys (~3 MB) stays in the CPU's
# cache, where lookups are fast; smaller ones make more segments to merge (each merge re-sorts).
BUFFER_KEYS = 20_000
# Keys held in memory in all (dict and segments) before the caller should write them out: 4M keys
# are ~55 MB with their filters (an int64 key, a uint32 id and 2-4 bytes of filter each), the keys
# of ~27k real-length articles. A first run of 40k took as long with 4M as with 8M (dedup 8 s more
# with the spill, commit 9 s less) and peaked ~70 MB lower with the smaller page cache (sqlite.py).
MEMORY_KEYS = 4_000_000
# Segments this large are not merged further (see ``RunIndex._seal``): ~3 of them at MEMORY_KEYS.
MERGE_KEYS = 1_000_000
# Keys a KeyFilter sorts at a time when it is filled (its sort holds ~40 bytes a key).
FILTER_BATCH = 1 << 18


class RunIndex:
    """bucket key -> article ids, for the keys added since the last ``drain``.

    Each (key, article id) pair is held once: adding the same pair again (an entry signed twice in
    one run) is ignored, so a neighbour's count is the number of distinct keys it shares.
    """

    def __init__(self, buffer_keys: int | None = None) -> None:
        self._buffer_keys = buffer_keys or BUFFER_KEYS
        self._first: dict[int, int] = {}  # key -> its first article id (most keys hold one)
        self._more: dict[int, list[int]] = {}  # key -> the other article ids, in the dict only
        self._buffered = 0  # pairs in the dict
        self._ids: set[int] = set()  # article ids with a pair anywhere here
        self._segments: list[Segment] = []  # oldest (largest) first

    def __len__(self) -> int:
        """The number of (key, article id) pairs held."""
        return self._buffered + sum(len(segment.keys) for segment in self._segments)

    @property
    def full(self) -> bool:
        """Whether the pairs held passed ``MEMORY_KEYS`` (the caller then writes them out)."""
        return len(self) >= MEMORY_KEYS

    def add(self, keys: set[int], article_id: int) -> None:
        """Add ``article_id`` under each key of ``keys`` (distinct keys, non-negative, < 2**63)."""
        first, more = self._first, self._more
        shared = first.keys() & keys  # set operations in C: most keys are new buckets
        if article_id in self._ids:  # signed again in this run: add only pairs not held yet
            keys = {key for key in keys if not self._held(key, article_id)}
            shared &= keys
        else:
            self._ids.add(article_id)
        first.update(dict.fromkeys(keys - shared, article_id))
        for key in shared:
            more.setdefault(key, []).append(article_id)
        self._buffered += len(keys)
        if self._buffered >= self._buffer_keys:
            self._seal()

    def neighbours(self, keys: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """(key, article id) pairs held under ``keys`` (distinct), as two int64 arrays."""
        first, more = self._first, self._more
        hit = first.keys() & keys
        found_keys = list(hit)
        found_ids = [first[key] for key in found_keys]
        for key in more.keys() & hit:
            found_keys += [key] * len(more[key])
            found_ids += more[key]
        key_parts = [np.array(found_keys, np.int64)]
        id_parts = [np.array(found_ids, np.int64)]
        if self._segments:
            # Most keys of an entry are in no bucket yet, and a key found is in one segment: each
            # segment's filter rules out ~94% of the others without a binary search (~20 cache
            # misses in an array of 1M keys). Then one search a key, and only the keys found are
            # looked at again. (At 7.4M keys in 8 segments, ~400 -> ~330 us a lookup against one
            # filter for all segments and two searches a key; most of the rest is numpy's cost.)
            query = np.fromiter(keys, np.int64, len(keys))
            for segment in self._segments:
                maybe = query[segment.filter.may_hold(query)]
                if not len(maybe):
                    continue
                starts = segment.keys.searchsorted(maybe)
                hit_mask = segment.keys[np.minimum(starts, len(segment.keys) - 1)] == maybe  # found here
                if not hit_mask.any():
                    continue
                starts = starts[hit_mask]
                lengths = segment.keys.searchsorted(maybe[hit_mask], "right") - starts
                # every position starts[i] .. starts[i] + lengths[i] - 1, in one array
                offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
                positions = np.arange(int(lengths.sum())) + offsets
                key_parts.append(np.repeat(maybe[hit_mask], lengths))
                id_parts.append(segment.ids[positions].astype(np.int64))
        return np.concatenate(key_parts), np.concatenate(id_parts)

    def drain(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Every pair held, as a few (keys int64, ids) segments each sorted by key; empties the index.

        Not merged into one: written segment after segment, each is a sequential sweep of the
        B-tree, and a merge would briefly double their memory (~60 MB at 1.5M keys). (Merged a key
        range at a time into one sweep, the writes took 2.03 instead of 2.35 us a row at 7.4M keys,
        but the merging cost as much as that saved.)"""
        self._seal()
        segments = [(segment.keys, segment.ids) for segment in self._segments]
        self.clear()
        return segments

    def clear(self) -> None:
        """Forget every pair (a rolled-back transaction)."""
        self._first, self._more, self._buffered, self._ids, self._segments = {}, {}, 0, set(), []

    def holds(self, key: int, article_id: int) -> bool:
        """Whether the pair (``key``, ``article_id``) is held."""
        return article_id in self._ids and self._held(key, article_id)

    def _held(self, key: int, article_id: int) -> bool:
        if self._first.get(key) == article_id or article_id in self._more.get(key, ()):
            return True
        for segment in self._segments:
            start, end = segment.keys.searchsorted(key, "left"), segment.keys.searchsorted(key, "right")
            if article_id in segment.ids[start:end].tolist():
                return True
        return False

    def _seal(self) -> None:
        """Turn the dict into a sorted segment, then merge segments of similar size."""
        if not self._buffered:
            return
        first, more = self._first, self._more
        counts = np.fromiter(map(len, more.values()), np.int64, len(more))
        keys = np.concatenate(
            (
                np.fromiter(first, np.int64, len(first)),
                np.repeat(np.fromiter(more, np.int64, len(more)), counts),
            )
        )
        ids = np.concatenate(
            (
                np.fromiter(first.values(), np.int64, len(first)),
                np.fromiter(itertools.chain.from_iterable(more.values()), np.int64, int(counts.sum())),
            )
        )
        self._first, self._more, self._buffered = {}, {}, 0
        self._segments.append(Segment(keys, ids))
        # Merge while the newest segment is at least half its predecessor: sizes then at least
        # double from the newest to the oldest, so there are O(log n) segments to search. Segments
        # of MERGE_KEYS or more stay apart: a merge briefly holds ~40 bytes a key (at 40k articles,
        # merging everything put ~300 MB on the run's peak), and the filter spares their searches.
        while (
            len(self._segments) > 1
            and len(self._segments[-2].keys) < MERGE_KEYS
            and 2 * len(self._segments[-1].keys) >= len(self._segments[-2].keys)
        ):
            older, newer = self._segments[-2:]
            self._segments[-2:] = [Segment.merged(older, newer)]


class KeyFilter:
    """A one-hash Bloom filter of bucket keys, 16 to 32 bits a key: a key not added passes it with a
    chance of at most 1 - e^(-1/16) ~ 6% (Bloom, "Space/time trade-offs in hash coding with
    allowable errors", CACM 13(7), 1970). Bucket keys are already hashes (xxh64), so their low bits
    index it directly."""

    __slots__ = ("_bits", "_mask")

    def __init__(self, keys: int) -> None:
        """Sized for ``keys`` keys (a power of two of bits, 16 to 32 a key; 64 bits at least)."""
        size = max(64, 1 << (16 * keys).bit_length())
        self._bits, self._mask = np.zeros(size >> 3, np.uint8), size - 1

    def add(self, keys: np.ndarray) -> None:
        """Set the bits of ``keys`` (int64, non-negative), ``FILTER_BATCH`` keys at a time: all at
        once, the sort and ``unique`` took ~40 bytes a key (~80 MB on a run's peak at 2M keys)."""
        for start in range(0, len(keys), FILTER_BATCH):
            slots = np.sort(keys[start : start + FILTER_BATCH] & self._mask)
            cells, starts = np.unique(slots >> 3, return_index=True)  # OR each byte's bits once
            self._bits[cells] |= np.bitwise_or.reduceat(np.left_shift(1, slots & 7).astype(np.uint8), starts)

    def may_hold(self, keys: np.ndarray) -> np.ndarray:
        """A bool mask over ``keys`` (int64): False where a key was surely never added."""
        slots = keys & self._mask
        return ((self._bits[slots >> 3] >> (slots & 7).astype(np.uint8)) & 1).astype(bool)


class Segment:
    """(key, article id) pairs sorted by key."""

    __slots__ = ("filter", "ids", "keys")

    def __init__(self, keys: np.ndarray, ids: np.ndarray) -> None:
        """``keys``: int64 bucket keys (any order); ``ids``: int64 article ids, one per key."""
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        ids = ids[order]
        self.ids = ids.astype(np.uint32) if len(ids) and int(ids.max()) < 2**32 else ids  # 4 bytes saved
        self.filter = KeyFilter(len(keys))  # 2-4 bytes a key
        self.filter.add(self.keys)

    @classmethod
    def merged(cls, older: Segment, newer: Segment) -> Segment:
        """One segment of both, as ``Segment(older + newer pairs)`` would be (equal keys: older's
        pairs first), without sorting: each newer key's place is found by binary search and the two
        are interleaved. Holds ~13 bytes a key and 8 a newer key beyond the result, where sorting
        the concatenation held ~40 a key (the run's peak at 10k and 40k entries was in a merge)."""
        size = len(older.keys) + len(newer.keys)
        places = older.keys.searchsorted(newer.keys, "right")  # after the older keys <= it
        places += np.arange(len(newer.keys))
        olders = np.ones(size, bool)
        olders[places] = False
        keys = np.empty(size, np.int64)
        keys[places], keys[olders] = newer.keys, older.keys
        ids = np.empty(size, np.result_type(older.ids, newer.ids))
        ids[places], ids[olders] = newer.ids, older.ids
        del places, olders
        segment = cls.__new__(cls)
        segment.keys, segment.ids = keys, ids
        segment.filter = KeyFilter(size)
        segment.filter.add(keys)
        return segment


def pairs(segments: list[tuple[np.ndarray, np.ndarray]], chunk: int = 65_536) -> Iterator[tuple[int, int]]:
    """(key, id) rows for ``executemany`` from ``drain``'s segments, converted to Python ints a
    chunk at a time (all at once, 1.5M pairs took ~100 MB more at the run's peak)."""
    for keys, ids in segments:
        for start in range(0, len(keys), chunk):
            yield from zip(
                keys[start : start + chunk].tolist(), ids[start : start + chunk].tolist(), strict=True
            )
