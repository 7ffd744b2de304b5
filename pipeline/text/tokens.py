"""Unicode word tokens (one character a token in scripts without spaces) and hashed word shingles."""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from pipeline.text.signing import shingle_hash_list

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
    bare = decomposed if decomposed.isascii() else _NON_ASCII.sub(_drop_mark, decomposed)
    return _TOKEN.findall(bare.replace("\u0640", ""))  # U+0640 Arabic tatweel only stretches a word


# Only non-ASCII characters can be combining marks: look those up alone (5x faster on news text).
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _drop_mark(found: re.Match[str]) -> str:
    char = found.group()
    return "" if unicodedata.category(char) == "Mn" else char


def shingle_hashes(tokens: list[str], size: int) -> np.ndarray:
    """Return the sorted unique 32-bit hashes of the ``size``-word shingles of ``tokens``.

    A text shorter than ``size`` words is one shingle of all its words, so that two short texts
    collide only when they are equal (an empty shingle set would make every short text alike).
    """
    return np.unique(shingle_hash_list(tokens, size))
