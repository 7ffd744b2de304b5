"""Fingerprint: tokenize an article's body by Unicode word boundaries and sign it with MinHash.

Each article gets two signatures made with one set of permutations: ``full`` over all its word
shingles (finds copies) and ``lead`` over the shingles of its first ``lead_tokens`` words (finds
teasers, which are an article's first lines). Scripts written without spaces (Chinese, Japanese,
Thai, ...) are split into single characters, so their shingles are character n-grams.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

import datasketch
import numpy as np
import xxhash
from datasketch import MinHash

from pipeline.config import DedupConfig
from pipeline.models import Article, Signature, SignatureParams
from pipeline.stages.normalize import NORMALIZER_VERSION

SCHEME = "affine32"
HASH_FUNCTION = "xxh32-utf8-seed0"

# Scripts without spaces between words: each character is a token of its own.
_UNSPACED = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1780-\u17ff"  # Khmer
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
)
_TOKEN = re.compile(rf"[{_UNSPACED}]|[^\W{_UNSPACED}]+")


def tokenize(text: str) -> list[str]:
    """Split text into case-folded word tokens with accents and Arabic vowel marks removed."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _TOKEN.findall(bare.replace("\u0640", ""))  # U+0640 Arabic tatweel only stretches a word


def shingle_hashes(tokens: list[str], size: int) -> np.ndarray:
    """Return the sorted unique 32-bit hashes of the ``size``-word shingles of ``tokens``.

    A text shorter than ``size`` words is one shingle of all its words, so that two short texts
    collide only when they are equal (an empty shingle set would make every short text alike).
    """
    if not tokens:
        return np.empty(0, dtype=np.uint32)
    count = max(1, len(tokens) - size + 1)
    hashes = [xxhash.xxh32_intdigest(" ".join(tokens[i : i + size]).encode()) for i in range(count)]
    return np.unique(np.array(hashes, dtype=np.uint32))


def _identity(value: int) -> int:
    """Shingles arrive already hashed (xxh32); MinHash only permutes them."""
    return value


class Fingerprinter:
    """Signs articles with one fixed set of MinHash permutations (built once per run)."""

    def __init__(self, dedup: DedupConfig) -> None:
        self.dedup = dedup
        self.params = SignatureParams(
            num_perm=dedup.num_perm,
            seed=dedup.seed,
            scheme=SCHEME,
            shingle_size=dedup.shingle_size,
            lead_tokens=dedup.lead_tokens,
            hash_function=HASH_FUNCTION,
            normalizer_version=NORMALIZER_VERSION,
            datasketch_version=datasketch.__version__,
        )
        self._template = MinHash(num_perm=dedup.num_perm, seed=dedup.seed, scheme=SCHEME)

    def minhash(self, hashes: np.ndarray) -> tuple[int, ...]:
        """MinHash of already-hashed shingles, identical to datasketch's for the same inputs."""
        sketch = MinHash(
            num_perm=self.dedup.num_perm,
            seed=self.dedup.seed,
            hashfunc=_identity,
            permutations=self._template.permutations,
            scheme=SCHEME,
        )
        sketch.update_batch(hashes.tolist())
        return tuple(int(v) for v in sketch.hashvalues)

    def sign(self, article: Article) -> None:
        """Set ``tokens`` and ``signature`` (None when the body is too short to compare safely)."""
        article.tokens = tokenize(article.body)
        if len(article.tokens) < self.dedup.min_tokens:
            article.signature = None
            return
        size = self.dedup.shingle_size
        full = self.minhash(shingle_hashes(article.tokens, size))
        lead = self.minhash(shingle_hashes(article.tokens[: self.dedup.lead_tokens], size))
        article.signature = Signature(self.params, full, lead)

    def __call__(self, articles: Iterable[Article]) -> Iterator[Article]:
        for article in articles:
            self.sign(article)
            yield article
