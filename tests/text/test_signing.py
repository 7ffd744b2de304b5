"""signing: batched numpy MinHash is bit-for-bit datasketch's affine32 MinHash.update_batch; the
permutations, the LSH bands and rows and the version are datasketch's, without importing it to run."""

import subprocess
import sys

import datasketch
import numpy as np
import pytest
import xxhash
from datasketch import MinHash, MinHashLSH

from pipeline.text.signing import (
    CHUNK_SHINGLES,
    DATASKETCH_VERSION,
    BatchSigner,
    affine32_permutations,
    lsh_bands,
    shingle_hash_list,
)
from pipeline.text.tokens import shingle_hashes


def _identity(value: int) -> int:
    return value


@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (64, 7), (256, 42)])
def test_batch_signatures_equal_datasketch_update_batch(num_perm: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    sizes = [0, 1, 2, 5, 300, CHUNK_SHINGLES + 3, 17, 0, 1000]
    sets = [rng.integers(0, 2**32, size=n, dtype=np.uint64).astype(np.uint32) for n in sizes]
    sets.append(np.array([0, 0xFFFFFFFF, 0, 1], dtype=np.uint32))  # extremes and duplicates
    signatures = BatchSigner(num_perm, seed).sign(sets)
    assert signatures.shape == (len(sets), num_perm)
    assert signatures.dtype == np.uint32
    for hashes, signature in zip(sets, signatures, strict=True):
        reference = MinHash(num_perm=num_perm, seed=seed, hashfunc=_identity, scheme="affine32")
        reference.update_batch(hashes.tolist())
        assert np.array_equal(signature, reference.hashvalues)


@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (16, 0), (1024, 2**32 - 1), (200, 12345)])
def test_permutations_are_datasketch_s(num_perm: int, seed: int) -> None:
    a, b = affine32_permutations(num_perm, seed)
    reference_a, reference_b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    assert a.dtype == b.dtype == np.uint32
    assert np.array_equal(a, reference_a) and np.array_equal(b, reference_b)


@pytest.mark.parametrize("num_perm", [16, 64, 128, 256])
def test_lsh_bands_and_rows_are_datasketch_minhashlsh_s(num_perm: int) -> None:
    """The grid of [dedup] values (lsh_threshold 0.05-0.95 in steps of 0.05; near 1 datasketch
    refuses, with fewer than two bands, and so does ``lsh_bands``)."""
    for step in range(1, 20):
        threshold = round(0.05 * step, 2)
        try:
            reference = MinHashLSH(threshold=threshold, num_perm=num_perm)
        except ValueError as exc:
            with pytest.raises(ValueError, match="too small"):
                lsh_bands(threshold, num_perm)
            assert "too small" in str(exc)
            continue
        assert lsh_bands(threshold, num_perm) == (reference.b, reference.r), threshold


def test_the_version_is_datasketch_s() -> None:
    assert datasketch.__version__ == DATASKETCH_VERSION


def test_a_run_s_modules_load_neither_datasketch_nor_scipy_nor_trafilatura() -> None:
    """Importing them costs ~1 s of CPU at every start (a cron run's most): a run signs with
    ``BatchSigner``, and imports trafilatura only to extract an article page."""
    probe = "import sys, pipeline.cli.app; print(sorted({m.split('.')[0] for m in sys.modules}))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    for heavy in ("datasketch", "scipy", "trafilatura"):
        assert f"'{heavy}'" not in loaded


def test_text_signature_equals_datasketch_hashing_the_shingles_itself() -> None:
    words = [
        "Der",
        "Bürgermeister",
        "sagte",
        "am",
        "Montag,",
        "die",
        "Brücke",
        "über",
        "den",
        "Fluss",
        "werde",
        "neu",
        "gebaut",
    ]
    signature = BatchSigner(128, 1).sign([shingle_hash_list(words, 4)])[0]
    reference = MinHash(num_perm=128, seed=1, hashfunc=xxhash.xxh32_intdigest)
    reference.update_batch([" ".join(words[i : i + 4]).encode() for i in range(len(words) - 3)])
    assert np.array_equal(signature, reference.hashvalues)


@pytest.mark.parametrize("size", [1, 3, 4, 5])
def test_shingle_hashes_are_xxh32_of_space_joined_word_shingles(size: int) -> None:
    rng = np.random.default_rng(size)
    vocabulary = ["a", "bé", "c", "дом", "和", "the", "x"]
    for length in (0, 1, size - 1, size, size + 1, 50):
        tokens = [vocabulary[i] for i in rng.integers(0, len(vocabulary), size=max(length, 0))]
        count = max(1, len(tokens) - size + 1) if tokens else 0
        reference = {xxhash.xxh32_intdigest(" ".join(tokens[i : i + size]).encode()) for i in range(count)}
        assert sorted(reference) == shingle_hashes(tokens, size).tolist()
        assert set(shingle_hash_list(tokens, size).tolist()) == reference


@pytest.mark.parametrize(("shingle_size", "lead_tokens", "min_tokens"), [(4, 40, 8), (16, 8, 1), (2, 8, 1)])
def test_batched_fingerprinter_equals_one_by_one_signing(
    shingle_size: int, lead_tokens: int, min_tokens: int
) -> None:
    from datetime import UTC, datetime

    from pipeline.config import DedupConfig
    from pipeline.models import Article
    from pipeline.stages.fingerprint import Fingerprinter
    from pipeline.text.tokens import tokenize

    dedup = DedupConfig(shingle_size=shingle_size, lead_tokens=lead_tokens, min_tokens=min_tokens)
    fingerprinter = Fingerprinter(dedup)
    rng = np.random.default_rng(shingle_size)
    words = ["Crème", "brûlée", "القاهرة", "和平", "talks", "in", "Astana", "resume", "on", "Monday"]
    bodies = [" ".join(rng.choice(words, size=n)) for n in (0, 3, 8, 12, 39, 40, 41, 300)]
    articles = [
        Article("f", str(i), "g", "l", "t", datetime(2020, 1, 1, tzinfo=UTC), "", body=body)
        for i, body in enumerate(bodies)
    ]
    batched = list(fingerprinter(articles))
    for article in batched:
        tokens = tokenize(article.body)
        if len(tokens) < min_tokens:
            assert article.signature is None
            continue
        assert article.signature is not None
        for values, part in (
            (article.signature.full, tokens),
            (article.signature.lead, tokens[:lead_tokens]),
        ):
            reference = MinHash(num_perm=128, seed=1, hashfunc=xxhash.xxh32_intdigest)
            reference.update_batch(
                [
                    " ".join(part[i : i + shingle_size]).encode()
                    for i in range(max(1, len(part) - shingle_size + 1))
                ]
            )
            assert values == tuple(int(v) for v in reference.hashvalues)


def test_tokenize_strips_the_same_marks_as_a_per_character_scan() -> None:
    import unicodedata

    from pipeline.text.tokens import _TOKEN, tokenize

    def slow(text: str) -> list[str]:
        decomposed = unicodedata.normalize("NFKD", text.casefold())
        bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
        return _TOKEN.findall(bare.replace("\u0640", ""))

    for text in (
        "plain ascii text, 42!",
        "Crème brûlée à São Paulo",
        "مُحَادَثَات السلام",
        "和平谈判 ไทย ẞtraße",
    ):
        assert tokenize(text) == slow(text)


def test_shingle_hash_list_is_each_shingle_in_order_even_for_words_with_spaces() -> None:
    """The words are encoded by one join and split: words holding a space must not shift them."""
    rng = np.random.default_rng(15)
    vocabulary = ["a", "bé", "c", "дом", "和", "the", "", "two words", " "]
    for length in (4, 5, 50):
        for _ in range(50):
            tokens = [vocabulary[i] for i in rng.integers(0, len(vocabulary), size=length)]
            shingles = [" ".join(tokens[i : i + 3]) for i in range(length - 2)]
            reference = [xxhash.xxh32_intdigest(shingle.encode()) for shingle in shingles]
            assert shingle_hash_list(tokens, 3).tolist() == reference


def test_tokenize_on_ascii_equals_the_token_regex() -> None:
    """ASCII text takes a bytes translate and split instead of the token regex: the same tokens."""
    import random

    from pipeline.text.tokens import _TOKEN, tokenize

    rng = random.Random(15)
    characters = [chr(c) for c in range(128)] + ["ab", "Z9", "_x", " ", ". "]
    for _ in range(2000):
        text = "".join(rng.choice(characters) for _ in range(rng.randint(0, 40)))
        assert tokenize(text) == _TOKEN.findall(text.casefold()), repr(text)
