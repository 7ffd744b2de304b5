"""The run's in-memory LSH index (the same neighbours as a plain dict of sets, written at commit),
and the Redis lock renewal that must not break a fenced write."""

from __future__ import annotations

import random
import threading
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from pipeline.config import DedupConfig
from pipeline.models import Signature
from pipeline.stages.fingerprint import Fingerprinter
from pipeline.store import redis_store, run_index
from pipeline.store.redis_store import RedisStore
from pipeline.store.run_index import RunIndex
from pipeline.store.sqlite import State


def _brute(truth: dict[int, set[int]], keys: list[int]) -> Counter[int]:
    return Counter(article_id for key in keys for article_id in truth.get(key, ()))


def test_neighbours_match_a_dict_of_sets_across_sealed_and_merged_segments() -> None:
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
    assert len(index) == sum(map(len, truth.values()))
    for _ in range(200):
        query = sorted(set(rng.sample(list(truth), 50)) | {rng.getrandbits(47) for _ in range(50)})
        assert Counter(index.neighbours(query)) == _brute(truth, query)
    keys, ids = index.drain()
    assert sorted(zip(keys.tolist(), ids.tolist(), strict=True)) == sorted(
        (key, article_id) for key, held in truth.items() for article_id in held
    )
    assert np.all(np.diff(keys) >= 0) and len(index) == 0 and index.neighbours(sorted(truth)[:5]) == []


def test_a_run_past_its_memory_budget_writes_the_keys_and_still_finds_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_index, "BUFFER_KEYS", 4)
    monkeypatch.setattr(run_index, "MEMORY_KEYS", 30)
    state = State(tmp_path / "state.sqlite")
    state.db.execute("PRAGMA foreign_keys=OFF")  # signatures of articles this test does not store
    signature = Signature(Fingerprinter(DedupConfig()).params, (1,) * 4, (2,) * 4)
    params = state.params_id(signature.params)

    def stored() -> int:
        return int(state.db.execute("SELECT COUNT(*) FROM lsh_buckets").fetchone()[0])

    try:
        with state.transaction():
            state.add_signature(1, params, signature, range(100, 120))  # 20 keys: sealed, in memory
            assert stored() == 0
            state.add_signature(2, params, signature, range(110, 125))  # 35 held: written out
            assert stored() == 35
            state.add_signature(3, params, signature, [100, 124, 200])
            assert state.bucket_neighbours([100, 115, 124, 200]) == {1: 2, 2: 2, 3: 3}
        assert stored() == 38
        assert state.bucket_neighbours([100, 115, 124, 200]) == {1: 2, 2: 2, 3: 3}
        with pytest.raises(RuntimeError), state.transaction():
            state.add_signature(4, params, signature, range(300, 340))  # past the budget, then undone
            raise RuntimeError("crash")
        assert stored() == 38 and state.bucket_neighbours([300]) == {}
    finally:
        state.close()


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
