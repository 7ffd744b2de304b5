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

    @property
    def closeness(self) -> float:
        """How near the pair came to a merge: the larger of each measure over its threshold."""
        return max(self.jaccard / self.verdict_threshold("copy"), self.lead_containment)

    def verdict_threshold(self, kind: str) -> float:
        return self.verdict.threshold if self.verdict.measure == kind else 1.0


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
