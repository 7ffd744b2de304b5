"""fingerprint: Unicode tokenization, short-text guard, signatures equal to datasketch's own."""

from datetime import UTC, datetime

import numpy as np
import xxhash
from datasketch import MinHash

from pipeline.config import DedupConfig
from pipeline.models import Article
from pipeline.stages.fingerprint import Fingerprinter
from pipeline.text.tokens import shingle_hashes, tokenize


def test_tokenize_latin_arabic_and_unspaced_scripts() -> None:
    assert tokenize("Kazakhstan’s Capital, ASTANA!") == ["kazakhstan", "s", "capital", "astana"]
    assert tokenize("محادثات السلام في أستانا") == ["محادثات", "السلام", "في", "استانا"]
    assert tokenize("مُحَادَثَات") == ["محادثات"]  # vowel marks do not split or change a word
    assert tokenize("和平谈判") == ["和", "平", "谈", "判"]
    assert tokenize("การเจรจา") == ["ก", "า", "ร", "เ", "จ", "ร", "จ", "า"]


def test_short_texts_are_one_shingle_and_do_not_all_collide() -> None:
    assert shingle_hashes(["a", "b"], 4).size == 1
    assert shingle_hashes([], 4).size == 0
    assert not np.array_equal(shingle_hashes(["a", "b"], 4), shingle_hashes(["c", "d"], 4))


def test_signature_matches_datasketch_for_the_same_hashed_shingles() -> None:
    dedup = DedupConfig()
    fingerprinter = Fingerprinter(dedup)
    words = [
        "the",
        "talks",
        "come",
        "just",
        "weeks",
        "after",
        "the",
        "army",
        "overtook",
        "the",
        "last",
        "rebel",
        "districts",
    ]
    article = Article("f", "k", "g", "l", "t", datetime(2020, 1, 1, tzinfo=UTC), "", body=" ".join(words))
    fingerprinter.sign(article)
    assert article.signature is not None
    reference = MinHash(num_perm=dedup.num_perm, seed=dedup.seed, hashfunc=xxhash.xxh32_intdigest)
    reference.update_batch([" ".join(words[i : i + 4]).encode() for i in range(len(words) - 3)])
    assert article.signature.full == tuple(int(v) for v in reference.hashvalues)
    assert article.signature.params.scheme == "affine32"


def test_too_short_bodies_are_not_signed() -> None:
    article = Article("f", "k", "g", "l", "t", datetime(2020, 1, 1, tzinfo=UTC), "", body="Photos of the day")
    Fingerprinter(DedupConfig()).sign(article)
    assert article.signature is None
