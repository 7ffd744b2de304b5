"""Fast MinHash signing: many texts' shingle hashes through datasketch's permutations at once.

datasketch's ``MinHash.update_batch`` costs a Python call and a fresh numpy pass per text; at 100k
articles a run that overhead dominates. ``BatchSigner`` applies the very same "affine32" scheme --
the MurmurHash3 ``fmix32`` pre-mix, then ``a * h + b mod 2**32`` per permutation, then the minimum
over a text's shingles -- to the concatenated shingle hashes of a whole batch, and splits the
minima per text with ``np.minimum.reduceat``. The permutations are datasketch's, drawn the way it
draws them (``affine32_permutations``), so the signatures are bit-for-bit those of
``MinHash(num_perm, seed, scheme="affine32")`` updated with the same 32-bit hashes
(``tests/text/test_signing.py`` checks this on random inputs).

datasketch is not imported to run: importing the package loads its LSH module, which loads SciPy
(~0.7 s of CPU, 40% of a run's start), for one integral. ``lsh_bands`` computes the same bands and
rows as ``datasketch.MinHashLSH``, and ``DATASKETCH_VERSION`` is read from the installed
distribution's metadata, as datasketch reads its ``__version__``. The tests hold both to datasketch.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib.metadata import version

import numpy as np
import xxhash

# The installed datasketch release (``datasketch.__version__``), persisted with each signature's
# parameters: a release that draws permutations another way makes old signatures incomparable.
DATASKETCH_VERSION = version("datasketch")

# Shingles per numpy pass: 4k x 128 permutations x 4 bytes = 2 MB of scratch, which stays in the CPU
# cache (measured: 7x faster than 16k) and keeps memory flat whatever the batch size.
CHUNK_SHINGLES = 4_096

_MAX = np.uint32(0xFFFFFFFF)
# datasketch.minhash._FMIX_CONSTANTS[32]: MurmurHash3's 32-bit finalizer.
_S1, _M1, _S2, _M2, _S3 = (
    np.uint32(16),
    np.uint32(0x85EBCA6B),
    np.uint32(13),
    np.uint32(0xC2B2AE35),
    np.uint32(16),
)


def fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's finalizer on a uint32 array (wrapping multiplication is the modulo 2**32)."""
    values = values ^ (values >> _S1)
    values = values * _M1
    values = values ^ (values >> _S2)
    values = values * _M2
    return values ^ (values >> _S3)


def shingle_hash_list(tokens: Sequence[str], size: int) -> np.ndarray:
    """xxh32 of each ``size``-word shingle (words joined by one space, UTF-8), duplicates kept.

    Equal to ``fingerprint.shingle_hashes`` before its sort/unique step: a text shorter than
    ``size`` words is one shingle of all its words; no words, no shingles. Duplicates do not change
    a minimum, so signing skips the sort.
    """
    if not tokens:
        return np.empty(0, dtype=np.uint32)
    if len(tokens) <= size:
        return np.array([xxhash.xxh32_intdigest(" ".join(tokens).encode())], dtype=np.uint32)
    # Shingles joined as bytes, all in C-level map/zip (measured ~20% faster than formatting and
    # encoding each shingle); UTF-8 of the joined words is the joined UTF-8. The words are encoded
    # in one join, encode and split (tokens hold no space; 1.4x faster than an encode per word).
    words = " ".join(tokens).encode().split(b" ")
    if len(words) != len(tokens):
        words = [token.encode() for token in tokens]
    shifted = [words[i:] for i in range(size)]
    hashes = map(xxhash.xxh32_intdigest, map(b" ".join, zip(*shifted, strict=False)))
    return np.fromiter(hashes, dtype=np.uint32, count=len(tokens) - size + 1)


def affine32_permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(a, b): the uint32 multipliers (odd) and offsets of datasketch's ``affine32`` scheme, drawn
    as ``MinHash(num_perm, seed, scheme="affine32")`` draws them (datasketch 2.x
    ``MinHash._init_permutations``: ``numpy.random.RandomState(seed)``, all a's then all b's)."""
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


@cache
def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) of the LSH index for ``threshold``, as ``datasketch.MinHashLSH(threshold,
    num_perm)`` picks them: of every (b, r) with b * r <= num_perm, the first (b ascending, then r)
    that minimizes the mean of the false-positive probability (the integral of
    1 - (1 - s^r)^b over s in [0, threshold]) and the false-negative one (the integral of
    (1 - s^r)^b over [threshold, 1]).

    datasketch integrates with SciPy's ``quad``; here each integrand is a polynomial of degree
    b * r <= num_perm, which Gauss-Legendre quadrature with num_perm / 2 + 1 nodes integrates
    exactly (to rounding): the same (b, r) for every threshold 0.05-1.0 in steps of 0.01 and
    num_perm 16-256 (``tests/text/test_signing.py`` checks a grid). ~17 ms for 128 permutations.
    Raises ValueError for fewer than two bands (a threshold near 1), as datasketch does."""
    pairs = [(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)]
    bands = np.array([b for b, _ in pairs], dtype=np.float64)[:, None]
    rows = np.array([r for _, r in pairs], dtype=np.float64)[:, None]
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 1)

    def integral(low: float, high: float, hit: bool) -> np.ndarray:
        s = (high - low) / 2 * nodes[None, :] + (high + low) / 2
        candidate = 1 - (1 - s**rows) ** bands  # chance that a pair of Jaccard s shares a band
        values = candidate if hit else 1 - candidate
        return (values * weights[None, :]).sum(axis=1) * (high - low) / 2

    error = integral(0.0, threshold, True) * 0.5 + integral(threshold, 1.0, False) * 0.5
    best_bands, best_rows = pairs[int(np.argmin(error))]  # the first minimum, as datasketch's loop
    if best_bands < 2:
        raise ValueError("The number of bands are too small (b < 2)")
    return best_bands, best_rows


class BatchSigner:
    """datasketch affine32 MinHash for many hash sets per numpy pass."""

    def __init__(self, num_perm: int, seed: int) -> None:
        a, b = affine32_permutations(num_perm, seed)
        self.num_perm = num_perm
        self._a = np.ascontiguousarray(a, dtype=np.uint32)
        self._b = np.ascontiguousarray(b, dtype=np.uint32)

    def sign(self, hash_sets: Sequence[np.ndarray]) -> np.ndarray:
        """One row of ``num_perm`` uint32 minima per hash set (an empty set gives all 0xFFFFFFFF)."""
        out = np.full((len(hash_sets), self.num_perm), _MAX, dtype=np.uint32)
        rows: list[int] = []
        total = 0
        for row, hashes in enumerate(hash_sets):
            if hashes.size == 0:
                continue
            if rows and total + hashes.size > CHUNK_SHINGLES:
                self._sign_chunk(hash_sets, rows, out)
                rows, total = [], 0
            rows.append(row)
            total += hashes.size
        if rows:
            self._sign_chunk(hash_sets, rows, out)
        return out

    def _sign_chunk(self, hash_sets: Sequence[np.ndarray], rows: list[int], out: np.ndarray) -> None:
        parts = [np.asarray(hash_sets[row], dtype=np.uint32) for row in rows]
        sizes = np.fromiter((p.size for p in parts), dtype=np.int64, count=len(parts))
        starts = np.zeros(len(parts), dtype=np.int64)
        np.cumsum(sizes[:-1], out=starts[1:])
        mixed = fmix32(np.concatenate(parts))
        # Permutations along rows, shingles along columns: each text's minimum is then a reduction
        # over contiguous memory (reduceat over axis 0 of the transposed layout was 7x slower).
        permuted = self._a[:, None] * mixed[None, :]
        permuted += self._b[:, None]
        out[rows] = np.minimum.reduceat(permuted, starts, axis=1).T
