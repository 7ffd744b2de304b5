"""The run's in-memory LSH index (the same neighbours as a plain dict of sets, written at commit),
and the Redis lock renewal that must not break a fenced write."""

from __future__ import annotations

import random
import threading
from collections import Counter
from types import SimpleNamespace

import numpy as np
import pytest

from pipeline.store import redis_store, run_index
from pipeline.store.redis_store import RedisStore
from pipeline.store.run_index import KeyFilter, RunIndex, Segment, pairs


def _brute(truth: dict[int, set[int]], keys: list[int]) -> Counter[int]:
    return Counter(article_id for key in keys for article_id in truth.get(key, ()))


@pytest.mark.parametrize("merge_keys", [run_index.MERGE_KEYS, 1500])
def test_neighbours_match_a_dict_of_sets_across_sealed_and_merged_segments(
    merge_keys: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_index, "MERGE_KEYS", merge_keys)  # 1500: large segments left apart
    rng = random.Random(3)
    index = RunIndex(buffer_keys=500)
    truth: dict[int, set[int]] = {}
    for article_id in range(1, 1500):
        # a third of the keys from a small range, so that many buckets hold several articles
        keys = {rng.randrange(3000) if rng.random() < 0.3 else rng.getrandbits(47) for _ in range(40)}
        index.add(keys, article_id)
        for key in keys:
            truth.setdefault(key, set()).add(article_id)
    for article_id in (5, 17, 1400):  # signed again: pairs already held count once
        keys = {rng.getrandbits(47) for _ in range(10)} | set(list(truth)[:20])
        index.add(keys, article_id)
        for key in keys:
            truth.setdefault(key, set()).add(article_id)
    assert len(index._segments) > 1  # the test reaches sealed segments, merged and not
    sizes = [len(segment.keys) for segment in index._segments]
    assert merge_keys > 1500 or sum(size >= 1500 for size in sizes) > 2  # several large ones kept apart
    assert len(index) == sum(map(len, truth.values()))
    for _ in range(200):
        query = sorted(set(rng.sample(list(truth), 50)) | {rng.getrandbits(47) for _ in range(50)})
        keys, ids = index.neighbours(query)
        found: dict[int, list[int]] = {}
        for key, article_id in zip(keys.tolist(), ids.tolist(), strict=True):
            found.setdefault(key, []).append(article_id)
        assert {key: sorted(held) for key, held in found.items()} == {
            key: sorted(truth[key]) for key in query if key in truth
        }
        assert Counter(ids.tolist()) == _brute(truth, query)
    segments = index.drain()
    assert sorted(pairs(segments)) == sorted(
        (key, article_id) for key, held in truth.items() for article_id in held
    )
    assert all(np.all(np.diff(keys) >= 0) for keys, _ in segments)  # each written in key order
    assert len(index) == 0 and len(index.neighbours(sorted(truth)[:5])[1]) == 0


def test_a_key_filter_never_rules_out_a_key_it_was_given() -> None:
    rng = np.random.default_rng(7)
    added = rng.integers(0, 2**47, 50_000)
    bloom = KeyFilter(len(added))
    bloom.add(added[:25_000])
    bloom.add(added[25_000:])
    assert bloom.may_hold(added).all()
    others = rng.integers(0, 2**47, 50_000)
    assert bloom.may_hold(others).mean() < 0.07  # 16-32 bits a key: at most ~6% false positives


@pytest.mark.parametrize("id_type", [np.uint32, np.int64])
def test_a_merged_segment_is_the_sorted_segment_of_both_and_its_filter_the_same(
    id_type: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Interleaving two sorted segments gives what sorting their pairs (stable: the older's first
    among equal keys) gave, bit for bit, filter included (filled in batches here)."""
    monkeypatch.setattr(run_index, "FILTER_BATCH", 1000)
    rng = np.random.default_rng(5)
    pool = rng.integers(0, 2**62, 3000)  # few distinct keys: many equal keys across both
    older_keys, newer_keys = rng.choice(pool, 5000), rng.choice(pool, 2600)
    older = Segment(older_keys, rng.integers(0, 2**32 if id_type is np.uint32 else 2**40, 5000))
    newer = Segment(newer_keys, rng.integers(0, 2**32, 2600))
    merged = Segment.merged(older, newer)
    expected = Segment(
        np.concatenate((older.keys, newer.keys)),
        np.concatenate((older.ids.astype(np.int64), newer.ids.astype(np.int64))),
    )
    assert merged.keys.tolist() == expected.keys.tolist()
    assert merged.ids.tolist() == expected.ids.tolist() and merged.ids.dtype == expected.ids.dtype
    assert merged.ids.dtype == id_type
    monkeypatch.setattr(run_index, "FILTER_BATCH", 1 << 18)
    whole = KeyFilter(len(merged.keys))
    whole.add(merged.keys)
    assert merged.filter._bits.tobytes() == whole._bits.tobytes()


def test_the_lock_renewal_waits_for_a_fenced_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """A renewal touches the lock key a fenced write WATCHes: in that window the run's own staging
    failed with "the detect lock changed hands" (seen on a loaded host). It must wait instead."""
    monkeypatch.setattr(redis_store, "LOCK_TTL", 0.03)  # a renewal every 10 ms
    renewed, stop = threading.Event(), threading.Event()
    lock = SimpleNamespace(reacquire=renewed.set)
    store = SimpleNamespace(_fence=threading.Lock())
    renewer = threading.Thread(target=RedisStore._renew, args=(store, lock, stop), daemon=True)
    with store._fence:  # a fenced write, from WATCH to EXEC
        renewer.start()
        assert not renewed.wait(0.3)  # 30 renewal periods: never inside the write
    assert renewed.wait(10)  # and right after it
    stop.set()
    renewer.join(10)
