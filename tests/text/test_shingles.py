"""Shingles computed once equal the sets computed from the tokens each time."""

from __future__ import annotations

import random

import numpy as np
import pytest

from pipeline.config import DedupConfig
from pipeline.text.shingles import Shingles
from pipeline.text.similarity import Verdict, compare_shingles, lead_containment, shingles_lead_containment
from pipeline.text.tokens import shingle_hashes


@pytest.mark.parametrize("size", [1, 2, 4, 16])
def test_full_and_prefix_sets_equal_shingle_hashes(size: int) -> None:
    rng = random.Random(size)
    words = [f"w{i}" for i in range(12)]
    for length in range(0, 40):
        tokens = rng.choices(words, k=length)
        shingles = Shingles(tokens, size)
        assert np.array_equal(shingles.unique, shingle_hashes(tokens, size))
        for prefix in range(0, length + 5):
            assert np.array_equal(shingles.prefix(prefix), shingle_hashes(tokens[:prefix], size))


def _reference_compare(tokens_a: list[str], tokens_b: list[str], dedup: DedupConfig) -> Verdict:
    """The comparison written on sets from the tokens each time (copy, partial, teaser; issue 13)."""
    size = dedup.shingle_size
    if min(len(tokens_a), len(tokens_b)) < dedup.min_tokens:
        return Verdict("different", "jaccard", 0.0, dedup.copy_threshold)
    set_a, set_b = shingle_hashes(tokens_a, size), shingle_hashes(tokens_b, size)
    shared = np.intersect1d(set_a, set_b, assume_unique=True).size
    jaccard = shared / (set_a.size + set_b.size - shared)
    if jaccard >= dedup.copy_threshold:
        return Verdict("copy", "jaccard", jaccard, dedup.copy_threshold, shared)
    short_tokens, long_tokens = sorted((tokens_a, tokens_b), key=len)
    short_set = set_a if short_tokens is tokens_a else set_b
    long_set = set_b if short_set is set_a else set_a
    overlap = shared / min(set_a.size, set_b.size)
    partial = overlap >= dedup.partial_containment and shared >= dedup.partial_min_shared
    if partial and len(short_tokens) >= dedup.merge_min_tokens:
        return Verdict("partial", "overlap", overlap, dedup.partial_containment, shared)
    if short_set.size <= dedup.teaser_max_ratio * long_set.size:
        containment = lead_containment(short_tokens, short_set, long_tokens, size)
        if containment >= dedup.teaser_containment:
            return Verdict("teaser", "lead_containment", containment, dedup.teaser_containment, shared)
    if partial:
        return Verdict("partial", "overlap", overlap, dedup.partial_containment, shared)
    return Verdict("different", "jaccard", jaccard, dedup.copy_threshold, shared)


def test_compare_on_shingles_equals_compare_on_tokens() -> None:
    rng = random.Random(7)
    words = [f"w{i}" for i in range(30)]
    dedup = DedupConfig()
    base = rng.choices(words, k=120)
    texts = [base, base[:30], base[:50] + ["x"] * 5, rng.choices(words, k=120), base[5:], base[:8], base[:7]]
    for a in texts:
        for b in texts:
            expected = _reference_compare(a, b, dedup)
            assert compare_shingles(Shingles(a, 4), Shingles(b, 4), dedup) == expected
            short_set = shingle_hashes(a, 4)
            assert shingles_lead_containment(Shingles(a, 4), Shingles(b, 4)) == lead_containment(
                a, short_set, b, 4
            )
