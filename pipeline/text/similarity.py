"""Exact similarity of two texts' shingle sets: Jaccard (copies), lead containment (teasers) and the
overlap coefficient (partial reprints: the shorter text contained anywhere in the longer one)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.config import DedupConfig
from pipeline.text.shingles import Shingles
from pipeline.text.tokens import shingle_hashes


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of comparing two texts exactly."""

    relation: str  # "copy" | "partial" | "teaser" | "different"
    # "jaccard" | "overlap" | "lead_containment" | "char_jaccard"; story-level (text/story.py):
    # "story_containment" | "core_overlap"
    measure: str
    score: float
    threshold: float

    shared: int = 0  # shingles the two texts share

    @property
    def same_story(self) -> bool:
        return self.relation != "different"

    @property
    def strong(self) -> bool:
        """Copy- or partial-level: evidence that may merge two stories (a teaser never does)."""
        return self.relation in ("copy", "partial")


def compare(tokens_a: list[str], tokens_b: list[str], dedup: DedupConfig) -> Verdict:
    """Decide on exact shingle sets whether two token lists are one story, and how."""
    size = dedup.shingle_size
    return compare_shingles(Shingles(tokens_a, size), Shingles(tokens_b, size), dedup)


def compare_shingles(a: Shingles, b: Shingles, dedup: DedupConfig) -> Verdict:
    """``compare`` on shingles computed beforehand (each text's hashed once, not per pair)."""
    if min(a.count, b.count) < dedup.min_tokens:
        return Verdict("different", "jaccard", 0.0, dedup.copy_threshold)
    set_a, set_b = a.unique, b.unique
    shared = np.intersect1d(set_a, set_b, assume_unique=True).size
    jaccard = shared / (set_a.size + set_b.size - shared)
    if jaccard >= dedup.copy_threshold:
        return Verdict("copy", "jaccard", jaccard, dedup.copy_threshold, shared)
    if max(a.count, b.count) < dedup.short_tokens:
        # Two short texts: a few typo-level edits break most of their few word 4-grams, so they
        # are compared on character shingles (``Shingles.chars``) instead.
        chars = char_jaccard(a, b)
        if chars >= dedup.short_copy_threshold:
            return Verdict("copy", "char_jaccard", chars, dedup.short_copy_threshold, shared)
    short, long = (a, b) if a.count <= b.count else (b, a)  # equal lengths: a is the short one
    overlap = shared / min(set_a.size, set_b.size)
    partial = is_partial(overlap, shared, dedup)
    # A text of article length in another's lead is a cut reprint, not a teaser: partial first.
    if partial and short.count >= dedup.merge_min_tokens:
        return Verdict("partial", "overlap", overlap, dedup.partial_containment, shared)
    # the lead containment is at most shared / the short text's shingles: skip it when that is below
    if short.unique.size <= dedup.teaser_max_ratio * long.unique.size and (
        shared >= dedup.teaser_containment * short.unique.size
    ):
        containment = shingles_lead_containment(short, long)
        if containment >= dedup.teaser_containment:
            return Verdict("teaser", "lead_containment", containment, dedup.teaser_containment, shared)
    if partial:
        return Verdict("partial", "overlap", overlap, dedup.partial_containment, shared)
    return Verdict("different", "jaccard", jaccard, dedup.copy_threshold, shared)


def char_jaccard(a: Shingles, b: Shingles) -> float:
    """Jaccard similarity of two short texts' character shingle sets (0.0 for longer texts)."""
    set_a, set_b = a.chars(), b.chars()
    if not set_a.size or not set_b.size:
        return 0.0
    shared = np.intersect1d(set_a, set_b, assume_unique=True).size
    return shared / (set_a.size + set_b.size - shared)


def is_partial(overlap: float, shared: int, dedup: DedupConfig) -> bool:
    """A partial reprint: the shorter text's shingles lie ``partial_containment`` in the longer one
    (anywhere, in any order), and they share at least ``partial_min_shared`` shingles, so that one
    quotation or a stock sentence two articles share (at most ~35 words) is not enough."""
    return overlap >= dedup.partial_containment and shared >= dedup.partial_min_shared


def overlap_coefficient(a: Shingles, b: Shingles) -> tuple[float, int]:
    """(shared / the smaller set's size, shared) of two texts' shingle sets; (0.0, 0) when one is empty."""
    shared = np.intersect1d(a.unique, b.unique, assume_unique=True).size
    smaller = min(a.unique.size, b.unique.size)
    return (shared / smaller if smaller else 0.0), shared


def lead_containment(
    short_tokens: list[str], short_set: np.ndarray, long_tokens: list[str], size: int
) -> float:
    """Share of the short text's shingles found in the long text's lead.

    The lead is a little longer than the short text (50% + 10 words of slack) so that a teaser
    that skips or adds a dateline or a sentence still lines up, while a long quotation that two
    different articles share in their middles does not count.
    """
    lead_length = len(short_tokens) + len(short_tokens) // 2 + 10
    lead_set = shingle_hashes(long_tokens[:lead_length], size)
    shared = np.intersect1d(short_set, lead_set, assume_unique=True).size
    return shared / short_set.size if short_set.size else 0.0


def shingles_lead_containment(short: Shingles, long: Shingles) -> float:
    """``lead_containment`` on shingles computed beforehand; the long text's lead starts at its
    first word or, when it opens with a standfirst, at its second paragraph (the better of both)."""
    short_set = short.unique
    if not short_set.size:
        return 0.0
    words = short.count + short.count // 2 + 10
    shared = np.intersect1d(short_set, long.prefix(words), assume_unique=True).size
    if long.second_lead:
        second = np.intersect1d(short_set, long.window(long.second_lead, words), assume_unique=True).size
        shared = max(shared, second)
    return shared / short_set.size
