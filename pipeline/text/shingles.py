"""A text's shingle hashes, computed once and shared by signing, dedup and attribution.

Signing needs each shingle's hash; the exact checks need the sorted set of them, and lead
containment needs the set of a prefix ("the first N words"). All three come from one array: the
hash of the shingle starting at each word, in order. Hashing is the costly part (a Python call per
shingle), so it is done once per text per run instead of once per comparison.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xxhash

from pipeline.text.signing import shingle_hash_list

# Texts shorter than this many words keep their words, for the character measure of short texts
# (``chars``; ``[dedup] short_tokens`` may not exceed it): a few hundred bytes each.
SHORT_KEPT = 200
# Characters in a character shingle: a typo or a changed number (one word) touches at most 5 + the
# word's length of them, where it touches 4 word 4-grams of a 4-gram set of a few dozen.
CHAR_SHINGLE = 5


class Shingles:
    """The shingle hashes of one token list, with its full and prefix sets on demand.

    ``prefix(n)`` equals ``fingerprint.shingle_hashes(tokens[:n], size)`` and ``unique`` equals
    ``shingle_hashes(tokens, size)``, without keeping the tokens (a few KB instead of ~24 KB), but
    for a short text (fewer than ``SHORT_KEPT`` words), which keeps them for ``chars``.
    """

    __slots__ = ("_chars", "_unique", "count", "head", "positions", "second_lead", "short", "size")

    def __init__(
        self, tokens: Sequence[str], size: int, positions: np.ndarray | None = None, second_lead: int = 0
    ) -> None:
        """``second_lead``: the word where a second lead starts (after a standfirst), 0 for none."""
        self.count = len(tokens)
        self.size = size
        self.second_lead = second_lead
        # The hash of the shingle starting at each word (one for a text of at most ``size`` words).
        self.positions = shingle_hash_list(tokens, size) if positions is None else positions
        self.head = tuple(tokens[:size])  # a prefix of at most one shingle is hashed from these
        self.short = tuple(tokens) if self.count < SHORT_KEPT else None
        self._unique: np.ndarray | None = None
        self._chars: np.ndarray | None = None

    @property
    def unique(self) -> np.ndarray:
        """The sorted unique shingle hashes of the whole text."""
        if self._unique is None:
            self._unique = np.unique(self.positions)
        return self._unique

    def chars(self) -> np.ndarray:
        """The sorted unique hashes of the ``CHAR_SHINGLE``-character shingles of a short text's
        words joined by spaces (empty for a text of ``SHORT_KEPT`` words or more)."""
        if self._chars is None:
            text = " ".join(self.short or ()).encode()
            grams = (text[i : i + CHAR_SHINGLE] for i in range(max(1, len(text) - CHAR_SHINGLE + 1)))
            hashes = map(xxhash.xxh32_intdigest, grams) if text else iter(())
            self._chars = np.unique(np.fromiter(hashes, dtype=np.uint32))
        return self._chars

    def window(self, start: int, words: int) -> np.ndarray:
        """The sorted unique shingle hashes of the ``words`` words from word ``start`` (empty when
        fewer than one shingle's words are left there)."""
        if start <= 0:
            return self.prefix(words)
        end = min(start + words, self.count) - self.size + 1
        if end <= start:
            return np.empty(0, dtype=np.uint32)
        return np.unique(self.positions[start:end])

    def prefix(self, words: int) -> np.ndarray:
        """The sorted unique shingle hashes of the text's first ``words`` words."""
        if words >= self.count:
            return self.unique
        if words > self.size:
            return np.unique(self.positions[: words - self.size + 1])
        if words <= 0:
            return np.empty(0, dtype=np.uint32)
        return np.array([xxhash.xxh32_intdigest(" ".join(self.head[:words]).encode())], dtype=np.uint32)
