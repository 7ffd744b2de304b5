"""The persisted LSH index of the SQLite state, in generations, so that a run's cost does not grow
with the index (issue 24).

One B-tree of every bucket key (``lsh_buckets``, which states written before this version hold)
made a run's commit and lookups grow with it: a run's ~135 keys an entry are spread over the whole
key space, so 2,000 new entries (270k keys) dirtied nearly every leaf page of the index, 110 MB
written to the WAL (and again by the checkpoint) at 50k stored entries and ~1 GB at 500k, and their
lookups missed SQLite's page cache once the index outgrew it (1.2 us a key at 5k stored, 3.5 us at
50k).

Here keys are written to ``lsh_index`` under a *generation*: the open one takes every run's keys
until it holds ``GEN_KEYS``, then the next one opens. A run's writes dirty the open generation's
pages only, whatever the index's size. Each generation has a Bloom filter (``lsh_generations``,
written with the keys, in the same transaction): a lookup asks a generation's B-tree only for the
keys its filter may hold (~1% of the others), so that it costs the keys found, not the index's
size. What a run reads that does grow with the state is the filters, 1.5 bytes a stored key
(~100 MB at 500k stored entries, read once a run), a tenth of the index they stand for.

``lsh_buckets`` (the whole index of an older state) is generation 0: kept as it is, with a filter
made of its keys when this version first opens it (once: ~1 s per million keys). A version before
this one writing to it again drops that filter (trigger), and the next open makes it again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import numpy as np

# Keys per generation. A run's writes dirty up to this many keys' pages (~14 bytes a key: 56 MB at
# the end of a generation, as 4M keys' B-tree, the index of ~30k real-length entries); a lookup
# checks one filter per generation (~19 at 500k stored entries).
GEN_KEYS = 4_000_000
# Bloom filter bits a key and bits set a key, all in one 64-bit word (one memory read a key): 1.1%
# of absent keys pass at capacity, measured (Putze, Sanders and Singler, "Cache-, hash- and
# space-efficient bloom filters", WEA 2007, blocked filters; 16 bits a key gave 0.5% for a third
# more memory). 4M keys: 0.6 s of CPU to add, 7 ms to ask for 270k.
FILTER_BITS = 12
FILTER_HASHES = 4
# The open generation's filter starts for this many keys and doubles as it fills (made again from
# its keys, at most GEN_KEYS read twice over a generation's life): a small state's is small.
FIRST_FILTER_KEYS = 1 << 16
_LEGACY = 0  # the generation of ``lsh_buckets``

SCHEMA = """
CREATE TABLE IF NOT EXISTS lsh_index (
    gen INTEGER NOT NULL, bucket INTEGER NOT NULL, article_id INTEGER NOT NULL,
    PRIMARY KEY (gen, bucket, article_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lsh_generations (
    gen INTEGER PRIMARY KEY, keys INTEGER NOT NULL, filter BLOB NOT NULL
);
CREATE TRIGGER IF NOT EXISTS lsh_legacy_written AFTER INSERT ON lsh_buckets BEGIN
    DELETE FROM lsh_generations WHERE gen = 0;
END;
"""


class BlockFilter:
    """A blocked Bloom filter of bucket keys (non-negative int64 hashes, mixed by multiplications):
    no false negatives, ~1% false positives at capacity."""

    __slots__ = ("words",)

    def __init__(self, words: np.ndarray) -> None:
        self.words = words  # uint64: one block each

    @classmethod
    def sized(cls, keys: int) -> BlockFilter:
        """An empty filter for ``keys`` keys."""
        return cls(np.zeros(max(1, -(-keys * FILTER_BITS // 64)), np.uint64))

    @property
    def capacity(self) -> int:
        """The keys it was sized for."""
        return len(self.words) * 64 // FILTER_BITS

    @classmethod
    def from_bytes(cls, data: bytes) -> BlockFilter:
        return cls(np.frombuffer(data, np.uint64).copy())

    def to_bytes(self) -> bytes:
        return self.words.tobytes()

    def bits(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(each key's word, its FILTER_HASHES bits in it): the word from one mix of the key, the
        bits from another (multiplications by odd constants, wrapping). Filters of one size take
        the same (``may_hold``'s ``bits``)."""
        unsigned = keys.astype(np.uint64)
        high = (unsigned * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)
        word = ((high * np.uint64(len(self.words))) >> np.uint64(32)).astype(np.intp)
        spread = unsigned * np.uint64(0xC2B2AE3D27D4EB4F)
        mask = np.zeros(len(keys), np.uint64)
        for i in range(FILTER_HASHES):
            mask |= np.uint64(1) << ((spread >> np.uint64(64 - 6 * (i + 1))) & np.uint64(63))
        return word, mask

    def add(self, keys: np.ndarray) -> None:
        """Set the bits of ``keys`` (int64)."""
        words, masks = self.bits(keys)
        np.bitwise_or.at(self.words, words, masks)

    def may_hold(self, keys: np.ndarray, bits: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """A bool mask over ``keys`` (int64): False where a key was surely never added. ``bits``:
        ``self.bits(keys)`` if the caller has it (from a filter of the same size)."""
        words, masks = bits or self.bits(keys)
        return (self.words[words] & masks) == masks


class LshIndex:
    """The generations of one SQLite state's LSH index: writes to the open one, lookups in all."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self._filters: dict[int, BlockFilter] | None = None  # loaded on first use in a transaction
        self._open = 0  # the open generation (>= 1) and its keys, with _filters
        self._open_keys = 0

    @staticmethod
    def install(db: sqlite3.Connection) -> None:
        """Create the tables; give ``lsh_buckets`` (an older state's index) its filter if it has
        none (read its keys once)."""
        db.executescript(SCHEMA)
        if db.execute("SELECT 1 FROM lsh_generations WHERE gen = ?", (_LEGACY,)).fetchone():
            return
        if not db.execute("SELECT 1 FROM lsh_buckets LIMIT 1").fetchone():
            return
        count = int(db.execute("SELECT COUNT(*) FROM lsh_buckets").fetchone()[0])
        legacy = BlockFilter.sized(count)
        cursor = db.execute("SELECT bucket FROM lsh_buckets")
        while rows := cursor.fetchmany(1 << 20):
            legacy.add(np.array(rows, np.int64).ravel())
        db.execute(
            "INSERT INTO lsh_generations (gen, keys, filter) VALUES (?, ?, ?)",
            (_LEGACY, count, legacy.to_bytes()),
        )

    def forget(self) -> None:
        """Drop the filters held (a transaction began or rolled back: read them again)."""
        self._filters = None

    def _load(self) -> dict[int, BlockFilter]:
        if self._filters is None:
            self._filters = {
                gen: BlockFilter.from_bytes(blob)
                for gen, blob in self.db.execute("SELECT gen, filter FROM lsh_generations")
            }
            row = self.db.execute(
                "SELECT gen, keys FROM lsh_generations WHERE gen > ? ORDER BY gen DESC LIMIT 1", (_LEGACY,)
            ).fetchone()
            if row is None or row[1] >= GEN_KEYS:
                self._open, self._open_keys = (row[0] + 1 if row else 1), 0
                self._filters[self._open] = BlockFilter.sized(FIRST_FILTER_KEYS)
            else:
                self._open, self._open_keys = row
        return self._filters

    def write(self, segments: Iterable[tuple[np.ndarray, np.ndarray]]) -> None:
        """Add (keys, article ids) segments, each sorted by key, to the open generation (and the
        next ones as each fills), with their filters; call inside the transaction."""
        filters = self._load()
        for keys, ids in segments:
            start = 0
            while start < len(keys):
                end = start + GEN_KEYS - self._open_keys  # the open generation is never full here
                part_keys, part_ids = keys[start:end], ids[start:end]
                before = self.db.total_changes
                self.db.executemany(
                    "INSERT OR IGNORE INTO lsh_index (gen, bucket, article_id) VALUES (?, ?, ?)",
                    zip([self._open] * len(part_keys), part_keys.tolist(), part_ids.tolist(), strict=True),
                )
                self._open_keys += self.db.total_changes - before
                if self._open_keys <= filters[self._open].capacity:
                    filters[self._open].add(part_keys)
                else:  # made again, twice as large, from the generation's keys
                    filters[self._open] = self._filter_of(self._open, self._open_keys)
                start = end
                if self._open_keys >= GEN_KEYS:  # full: it is kept as it is, the next one opens
                    self._save(self._open)
                    self._open, self._open_keys = self._open + 1, 0
                    filters[self._open] = BlockFilter.sized(FIRST_FILTER_KEYS)
        self._save(self._open)

    def _filter_of(self, gen: int, keys: int) -> BlockFilter:
        """A filter of generation ``gen``'s ``keys`` keys, for twice as many (GEN_KEYS at most)."""
        capacity = FIRST_FILTER_KEYS
        while capacity < 2 * keys and capacity < GEN_KEYS:
            capacity *= 2
        bloom = BlockFilter.sized(max(capacity, keys))
        cursor = self.db.execute("SELECT bucket FROM lsh_index WHERE gen = ?", (gen,))
        while rows := cursor.fetchmany(1 << 18):
            bloom.add(np.array(rows, np.int64).ravel())
        return bloom

    def _save(self, gen: int) -> None:
        assert self._filters is not None
        self.db.execute(
            "INSERT OR REPLACE INTO lsh_generations (gen, keys, filter) VALUES (?, ?, ?)",
            (gen, self._open_keys if gen == self._open else GEN_KEYS, self._filters[gen].to_bytes()),
        )

    def hits(self, keys: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """(key, article id) pairs stored under ``keys`` (distinct, masked), as two int64 arrays:
        each generation's B-tree asked only for the keys its filter may hold."""
        filters = self._load()
        query = np.array(keys, np.int64)
        key_parts, id_parts = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
        bits: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # filter size -> the keys' bits
        for gen, bloom in filters.items():
            if not len(query):
                break
            size = len(bloom.words)
            if size not in bits:
                bits[size] = bloom.bits(query)
            maybe = query[bloom.may_hold(query, bits[size])].tolist()
            table, where = ("lsh_buckets", "") if gen == _LEGACY else ("lsh_index", f"gen = {int(gen)} AND ")
            for start in range(0, len(maybe), 500):
                chunk = maybe[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self.db.execute(
                    f"SELECT bucket, article_id FROM {table} WHERE {where}bucket IN ({marks})", chunk
                ).fetchall()
                if rows:
                    found = np.array(rows, np.int64)
                    key_parts.append(found[:, 0])
                    id_parts.append(found[:, 1])
        return np.concatenate(key_parts), np.concatenate(id_parts)

    def delete(self, doomed: str) -> None:
        """Delete the pairs of the articles ``doomed`` (an SQL subquery of ids) from every
        generation; their filters keep the keys (a filter only ever errs towards asking)."""
        self.db.execute(f"DELETE FROM lsh_buckets WHERE article_id IN {doomed}")
        self.db.execute(f"DELETE FROM lsh_index WHERE article_id IN {doomed}")
