"""SQLite state: the LSH index in generations with filters (issue 24). A run writes only to the open
generation; lookups find every stored pair whatever generation (or an older state's ``lsh_buckets``)
holds it; a rolled-back transaction leaves every generation and filter as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from pipeline.config import DedupConfig
from pipeline.models import Signature
from pipeline.stages.fingerprint import Fingerprinter
from pipeline.store import lsh_index
from pipeline.store.lsh_index import BlockFilter
from pipeline.store.sqlite import State
from pipeline.store.view import StateView


def test_a_filter_never_loses_a_key_and_lets_few_others_through() -> None:
    rng = np.random.default_rng(24)
    keys = rng.integers(0, 1 << 47, 200_000)
    bloom = BlockFilter.sized(len(keys))
    bloom.add(keys)
    assert bloom.may_hold(keys).all()
    others = rng.integers(0, 1 << 47, 200_000)
    assert bloom.may_hold(others).mean() < 0.02  # ~1.1% at capacity
    again = BlockFilter.from_bytes(bloom.to_bytes())
    assert (again.may_hold(others) == bloom.may_hold(others)).all()


def signed_state(path: Path) -> tuple[State, Signature, int]:
    state = State(path)
    state.db.execute("PRAGMA foreign_keys=OFF")  # signatures of articles this test does not store
    signature = Signature(Fingerprinter(DedupConfig()).params, (1,) * 4, (2,) * 4)
    return state, signature, state.params_id(signature.params)


def generations(state: State) -> list[tuple[int, int]]:
    """(generation, pairs) of lsh_index."""
    return state.db.execute("SELECT gen, COUNT(*) FROM lsh_index GROUP BY gen ORDER BY gen").fetchall()


def test_runs_fill_one_generation_after_another_and_lookups_see_them_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lsh_index, "GEN_KEYS", 10)
    monkeypatch.setattr(lsh_index, "FIRST_FILTER_KEYS", 2)  # the open filter is made again as it fills
    state, signature, params = signed_state(tmp_path / "s.sqlite")
    expected: dict[int, dict[int, int]] = {}  # key -> article -> 1
    try:
        for run in range(5):
            with state.transaction():
                for article in range(run * 3, run * 3 + 3):
                    keys = [1000 + (article * 7 + k) % 40 for k in range(4)]
                    state.add_signature(article, params, signature, keys)
                    for key in keys:
                        expected.setdefault(key, {})[article] = 1
        gens = generations(state)
        assert [pairs for _, pairs in gens] == [10, 10, 10, 10, 10, 10]  # 60 pairs, 10 a generation
        assert [gen for gen, _ in gens] == [1, 2, 3, 4, 5, 6]
        every = sorted(expected)
        for key in every:
            assert state.bucket_neighbours([key]) == expected[key]
        pairs = sorted((key, article) for key in every for article in expected[key])
        direct = state.bucket_hits(every)
        state.prefetch(every, [])  # read ahead: the same pairs
        ahead = state.bucket_hits(every)
        for keys, ids in (direct, ahead):
            assert sorted(zip(keys.tolist(), ids.tolist(), strict=True)) == pairs
        view = StateView(tmp_path / "s.sqlite")  # explain reads every generation too
        try:
            assert view.bucket_members(every[:5]) == {a for key in every[:5] for a in expected[key]}
        finally:
            view.close()

        before = (generations(state), state.db.execute("SELECT * FROM lsh_generations").fetchall())
        with pytest.raises(RuntimeError), state.transaction():
            for article in range(100, 110):  # ten entries, into two more generations, then undone
                state.add_signature(article, params, signature, [5000 + article, 1000])
            assert state.bucket_neighbours([5105]) == {105: 1}
            state._flush_buckets()  # written to SQLite, filters too
            raise RuntimeError("crash")
        assert (generations(state), state.db.execute("SELECT * FROM lsh_generations").fetchall()) == before
        assert state.bucket_neighbours([5105]) == {}
        assert state.bucket_neighbours([1000]) == expected[1000]
        with state.transaction():  # the open generation goes on as if nothing had happened
            state.add_signature(200, params, signature, [1000])
        assert state.bucket_neighbours([1000]) == {**expected[1000], 200: 1}
    finally:
        state.close()


def test_an_older_states_index_is_generation_zero(tmp_path: Path) -> None:
    """``lsh_buckets`` as a version before generations left it: read through a filter made of it
    when first opened; a version before this one writing to it again makes the next open remake it."""
    path = tmp_path / "s.sqlite"
    state, signature, params = signed_state(path)
    state.close()
    with sqlite3.connect(path) as db:  # an older version's rows
        db.executemany("INSERT INTO lsh_buckets VALUES (?, ?)", [(key, 1) for key in range(1, 500)])
        db.execute("DELETE FROM lsh_generations")
    state, signature, params = signed_state(path)
    try:
        assert state.db.execute("SELECT gen, keys FROM lsh_generations").fetchall() == [(0, 499)]
        with state.transaction():
            state.add_signature(2, params, signature, [7, 9000])
        assert state.bucket_neighbours([7, 9000, 123456]) == {1: 1, 2: 2}
        state.db.execute("INSERT INTO lsh_buckets VALUES (777777, 3)")  # an older version writes
        assert state.db.execute("SELECT gen FROM lsh_generations").fetchall() == [(1,)]
    finally:
        state.close()
    state = State(path)
    try:
        assert state.bucket_neighbours([777777, 7]) == {3: 1, 1: 1, 2: 1}
    finally:
        state.close()
    view = StateView(path)
    try:
        assert view.bucket_members([777777, 9000, 123456]) == {3, 2}
    finally:
        view.close()
