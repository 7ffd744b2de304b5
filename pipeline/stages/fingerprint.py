"""Fingerprint: tokenize an article's body by Unicode word boundaries and sign it with MinHash.

Each article gets two signatures made with one set of permutations: ``full`` over all its word
shingles (finds copies) and ``lead`` over the shingles of its first ``lead_tokens`` words (finds
teasers, which are an article's first lines). Scripts written without spaces (Chinese, Japanese,
Thai, ...) are split into single characters, so their shingles are character n-grams.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import datasketch
import numpy as np
from datasketch import MinHash

from pipeline.config import DedupConfig
from pipeline.models import Article, Prepared, Signature, SignatureParams
from pipeline.store.sqlite import pack_texts
from pipeline.text.article import NORMALIZER_VERSION
from pipeline.text.boilerplate import edge_keys, line_keys, predicted_bodies
from pipeline.text.shingles import Shingles
from pipeline.text.signing import BatchSigner, shingle_hash_list
from pipeline.text.tokens import shingle_hashes, tokenize

SCHEME = "affine32"
HASH_FUNCTION = "xxh32-utf8-seed0"
SIGN_BATCH = 256  # articles signed per numpy pass: enough to amortise the per-call overhead


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
        self._signer = BatchSigner(dedup.num_perm, dedup.seed)  # same permutations, many texts a pass

    def minhash(self, hashes: np.ndarray) -> tuple[int, ...]:
        """MinHash of already-hashed shingles, identical to datasketch's for the same inputs."""
        return tuple(self._signer.sign([hashes])[0].tolist())

    def sign(self, article: Article) -> None:
        """Set ``tokens`` and ``signature`` (None when the body is too short to compare safely)."""
        article.tokens = tokenize(article.body)
        article.token_count = len(article.tokens)
        if len(article.tokens) < self.dedup.min_tokens:
            article.signature = None
            return
        size = self.dedup.shingle_size
        full = self.minhash(shingle_hashes(article.tokens, size))
        lead = self.minhash(shingle_hashes(article.tokens[: self.dedup.lead_tokens], size))
        article.signature = Signature(self.params, full, lead)

    def sign_many(self, articles: list[Article]) -> None:
        """``sign`` for a batch: the same signatures, with one numpy pass for all of them. An
        article a parse worker signed (``prepared``) keeps that signature when its body is the one
        the worker signed (``Prepared.signed_body``, else ``Prepared.body``)."""
        size, lead_tokens = self.dedup.shingle_size, self.dedup.lead_tokens
        signed: list[Article] = []
        hash_sets: list[np.ndarray] = []
        for article in articles:
            prepared = article.prepared  # kept until stored (``store.sqlite.packed_texts``)
            if prepared is not None and article.shingles is not None:
                signed_body = prepared.body if prepared.signed_body is None else prepared.signed_body
                if signed_body == article.body:
                    article.signature = self._unpack(prepared.signature)
                    continue
            article.tokens = tokenize(article.body)
            article.token_count = len(article.tokens)
            article.signature = None
            article.shingles = None
            if len(article.tokens) >= self.dedup.min_tokens:
                signed.append(article)
                full = shingle_hash_list(article.tokens, size)
                article.shingles = Shingles(article.tokens, size, positions=full)  # reused by dedup
                lead_words = min(len(article.tokens), lead_tokens)
                lead = (  # a lead longer than one shingle is the first shingles of the full list
                    full[: lead_words - size + 1]
                    if lead_words > size
                    else shingle_hash_list(article.tokens[:lead_tokens], size)
                )
                hash_sets += (full, lead)
        if not hash_sets:
            return
        rows = self._signer.sign(hash_sets).tolist()
        for index, article in enumerate(signed):
            full_row, lead_row = rows[2 * index], rows[2 * index + 1]
            article.signature = Signature(self.params, tuple(full_row), tuple(lead_row))

    def _unpack(self, packed: bytes | None) -> Signature | None:
        if packed is None:
            return None
        values = np.frombuffer(packed, np.uint32).tolist()
        half = len(values) // 2
        return Signature(self.params, tuple(values[:half]), tuple(values[half:]))

    def prepare(self, articles: list[Article]) -> None:
        """In a parse worker: boilerplate keys and signature of each normalized article's body, as
        ``Article.prepared`` (tokens freed; ``shingles`` and ``token_count`` kept for dedup)."""
        ready = [a for a in articles if a.normalized]
        bodies = [a.body for a in ready]
        keyed = [line_keys(body) for body in bodies]
        edges = [edge_keys(body) for body in bodies]
        # Signed as boilerplate removal will most likely leave them (lines repeated in this feed's
        # new entries removed), so that the run need not sign them again after it.
        predicted = predicted_bodies(bodies, keyed, edges, self.dedup.boilerplate_min_entries)
        for article, body in zip(ready, predicted, strict=True):
            article.body = body
        self.sign_many(ready)
        for article, body, (paragraph_keys, counted), edge in zip(ready, bodies, keyed, edges, strict=True):
            if article.shingles is not None:
                article.shingles.unique  # noqa: B018  (sorted here, in parallel: dedup compares with it)
            signature = article.signature
            article.prepared = Prepared(
                body,
                np.array(paragraph_keys, np.int64).tobytes(),
                np.array(sorted(counted), np.int64).tobytes(),
                None if signature is None else np.array(signature.full + signature.lead, np.uint32).tobytes(),
                None if article.body is body else article.body,
                article.text,
                pack_texts(article.text, article.body),  # zlib here, in parallel, not in the run
                edge,
            )
            article.body = body
            article.tokens, article.signature = [], None

    def __call__(self, articles: Iterable[Article]) -> Iterator[Article]:
        batch: list[Article] = []
        for article in articles:
            batch.append(article)
            if len(batch) == SIGN_BATCH:
                self.sign_many(batch)
                yield from batch
                batch = []
        if batch:
            self.sign_many(batch)
            yield from batch


class Preparer:
    """A picklable ``Fingerprinter.prepare`` for parse workers (built once per worker process)."""

    def __init__(self, dedup: DedupConfig) -> None:
        self.dedup = dedup
        self._fingerprinter: Fingerprinter | None = None

    def __getstate__(self) -> DedupConfig:
        return self.dedup

    def __setstate__(self, dedup: DedupConfig) -> None:
        self.dedup, self._fingerprinter = dedup, None

    def __call__(self, articles: list[Article]) -> None:
        if self._fingerprinter is None:
            self._fingerprinter = Fingerprinter(self.dedup)
        self._fingerprinter.prepare(articles)
