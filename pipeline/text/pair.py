"""Every measure dedup uses between two texts, with today's verdict: for ``syndedup explain A B``,
its near misses and the audit page's (the decision itself is ``similarity.compare_shingles``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.config import DedupConfig
from pipeline.text.shingles import Shingles
from pipeline.text.similarity import Verdict, char_jaccard, compare_shingles, shingles_lead_containment
from pipeline.text.tokens import body_shingles


@dataclass(frozen=True, slots=True)
class PairMeasures:
    """Measures between texts A and B (word counts, Jaccard, the shorter's share of the longer's
    shingles, its lead containment, the overlap coefficient and shared shingles of a partial
    reprint) and the verdict of ``compare_shingles`` under ``dedup``."""

    words_a: int
    words_b: int
    jaccard: float
    share: float  # unique shingles of the shorter / of the longer (a teaser has <= teaser_max_ratio)
    lead_containment: float  # share of the shorter's shingles found in the longer's lead
    overlap: float  # share of the smaller shingle set found anywhere in the other (a partial reprint)
    shared: int  # shingles the two texts share
    verdict: Verdict
    chars: float = 0.0  # Jaccard of character shingles, when both are short texts (else 0.0)


# A near miss (explain's and the audit page's) is a pair at least this close to a merge, by
# ``closeness``: a quarter of the way to a threshold (Jaccard 0.125, lead containment 0.175 or
# overlap 0.15 at the defaults). Measured by bench/near_misses.py over every pair of stored texts
# sharing a shingle: on bench/quality.py's corpus (seed 2001) 0.99% of 7,294 different-story
# pairs reach it (median 0.010, p99 0.243) and every one of 992 same-story pairs; on
# bench/quality_real.py's plain corpus (seed 2017, 1,455 entries) 0.46% of 48,920 different-story
# pairs (median 0.003, p99 0.110) and 96.7% of 19,870 same-story pairs. Below it the scores shown
# round to 0.0x: unrelated news sharing a phrase ("the United States and"), not a decision an
# editor needs to check.
NEAR_MISS_FLOOR = 0.25


def closeness(m: PairMeasures, dedup: DedupConfig) -> float:
    """How near a pair came to a merge: the largest of its measures over that measure's threshold
    (1.0 or more: today's config would merge it). Lead containment counts only when the shorter
    has a teaser's share, the overlap only with ``partial_min_shared`` shingles in common."""
    teaser = m.lead_containment / dedup.teaser_containment if m.share <= dedup.teaser_max_ratio else 0.0
    partial = m.overlap / dedup.partial_containment if m.shared >= dedup.partial_min_shared else 0.0
    return max(m.jaccard / dedup.copy_threshold, teaser, partial)


def measure(a: Shingles, b: Shingles, dedup: DedupConfig) -> PairMeasures:
    """All measures between two shingled texts (their ``size`` must be ``dedup.shingle_size``)."""
    set_a, set_b = a.unique, b.unique
    shared = np.intersect1d(set_a, set_b, assume_unique=True).size
    union = set_a.size + set_b.size - shared
    short, long = (a, b) if a.count <= b.count else (b, a)
    share = short.unique.size / long.unique.size if long.unique.size else 0.0
    return PairMeasures(
        words_a=a.count,
        words_b=b.count,
        jaccard=shared / union if union else 0.0,
        share=share,
        lead_containment=shingles_lead_containment(short, long),
        overlap=shared / min(set_a.size, set_b.size) if min(set_a.size, set_b.size) else 0.0,
        shared=shared,
        verdict=compare_shingles(a, b, dedup),
        chars=char_jaccard(a, b) if max(a.count, b.count) < dedup.short_tokens else 0.0,
    )


def measure_texts(a: str, b: str, dedup: DedupConfig) -> PairMeasures:
    """``measure`` on two bodies as stored (tokenized here)."""
    size = dedup.shingle_size
    return measure(body_shingles(a, size), body_shingles(b, size), dedup)
