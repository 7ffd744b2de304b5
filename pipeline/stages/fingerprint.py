"""Fingerprint: tokenize an article's body by Unicode word boundaries and sign it with MinHash.

Each article gets three or four signatures made with one set of permutations: ``full`` over all
its word shingles (finds copies), ``lead`` over the shingles of its first ``lead_tokens`` words
(finds teasers, which are an article's first lines), ``short_lead`` over its first
``SHORT_LEAD_WORDS`` (one-sentence teasers) and, when its first paragraph is a standfirst,
``second_lead`` over the ``lead_tokens`` words after it (teasers that skip the standfirst).
Scripts written without spaces (Chinese, Japanese, Thai, ...) are split into single characters, so
their shingles are character n-grams.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from pipeline.config import DedupConfig
from pipeline.models import Article, Prepared, Signature, SignatureParams, split_signature
from pipeline.store.sqlite import pack_texts
from pipeline.text.article import NORMALIZER_VERSION
from pipeline.text.boilerplate import body_keys, predicted_bodies
from pipeline.text.shingles import Shingles
from pipeline.text.signing import DATASKETCH_VERSION, BatchSigner, shingle_hash_list
from pipeline.text.tokens import second_lead_start, shingle_hashes, tokenize

SCHEME = "affine32"
HASH_FUNCTION = "xxh32-utf8-seed0"
# The short lead: a teaser of 8-20 words (one sentence) and an original's first 40 words share
# Jaccard 0.1-0.45, where the lead index's bands (threshold 0.3) often miss them; against the first
# 15 words they share 0.4-1.0 (bench/quality_real.py: half the teasers still missed were of this
# kind). Longer teasers meet the 40-word lead.
SHORT_LEAD_WORDS = 15
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
            datasketch_version=DATASKETCH_VERSION,
        )
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
        size, lead_tokens = self.dedup.shingle_size, self.dedup.lead_tokens
        full = self.minhash(shingle_hashes(article.tokens, size))
        lead = self.minhash(shingle_hashes(article.tokens[:lead_tokens], size))
        start = second_lead_start(article.body)
        second = article.tokens[start : start + lead_tokens] if start else []
        second_lead = self.minhash(shingle_hashes(second, size)) if len(second) >= size else ()
        short_lead = self.minhash(shingle_hashes(article.tokens[:SHORT_LEAD_WORDS], size))
        article.signature = Signature(self.params, full, lead, second_lead, short_lead)

    def sign_many(self, articles: list[Article]) -> None:
        """``sign`` for a batch: the same signatures, with one numpy pass for all of them. An
        article a parse worker signed (``prepared``) keeps that signature when its body is the one
        the worker signed (``Prepared.signed_body``, else ``Prepared.body``)."""
        unsigned: list[Article] = []
        for article in articles:
            prepared = article.prepared  # kept until stored (``store.sqlite.packed_texts``)
            if prepared is not None and article.shingles is not None:
                signed_body = prepared.body if prepared.signed_body is None else prepared.signed_body
                if signed_body == article.body:
                    article.signature = self._unpack(prepared.signature)
                    continue
            unsigned.append(article)
        signed, hash_sets = self._hash_sets(unsigned)
        if not hash_sets:
            return
        rows = self._signer.sign(hash_sets).tolist()
        row = 0
        for article, has_second in signed:
            full_row, lead_row, short_row = rows[row], rows[row + 1], rows[row + 2]
            second_row = rows[row + 3] if has_second else ()
            row += 4 if has_second else 3
            article.signature = Signature(
                self.params, tuple(full_row), tuple(lead_row), tuple(second_row), tuple(short_row)
            )

    def _hash_sets(self, articles: list[Article]) -> tuple[list[tuple[Article, bool]], list[np.ndarray]]:
        """Tokenize each article (``tokens``, ``token_count``, ``shingles``; ``signature`` None) and
        return (the articles long enough to sign, each with whether it has a second lead; their
        shingle hash sets to sign, in the order full, lead, short lead, second lead if any)."""
        size, lead_tokens = self.dedup.shingle_size, self.dedup.lead_tokens
        signed: list[tuple[Article, bool]] = []  # (article, has a second lead)
        hash_sets: list[np.ndarray] = []
        for article in articles:
            article.tokens = tokenize(article.body)
            article.token_count = len(article.tokens)
            article.signature = None
            article.shingles = None
            if len(article.tokens) >= self.dedup.min_tokens:
                full = shingle_hash_list(article.tokens, size)
                start = second_lead_start(article.body)
                # reused by dedup
                article.shingles = Shingles(article.tokens, size, positions=full, second_lead=start)
                hash_sets += (full, self._lead(article.tokens, full, lead_tokens))
                hash_sets.append(self._lead(article.tokens, full, SHORT_LEAD_WORDS))
                # the second lead: the shingles of its words, when it has at least one shingle
                second_end = min(start + lead_tokens, len(article.tokens)) - size + 1
                has_second = bool(start) and second_end > start
                if has_second:
                    hash_sets.append(full[start:second_end])
                signed.append((article, has_second))
        return signed, hash_sets

    def _packed_signatures(self, articles: list[Article]) -> dict[int, bytes]:
        """``_hash_sets`` and signing for a parse worker: id of each signed article -> its signature
        as stored (full + ``Signature.packed_leads``: the rows are signed in that order already),
        straight from the signed array (no Python ints made and packed again)."""
        signed, hash_sets = self._hash_sets(articles)
        if not hash_sets:
            return {}
        rows = self._signer.sign(hash_sets)
        packed: dict[int, bytes] = {}
        row = 0
        for article, has_second in signed:
            count = 4 if has_second else 3
            packed[id(article)] = rows[row : row + count].tobytes()
            row += count
        return packed

    def _lead(self, tokens: list[str], full: np.ndarray, words: int) -> np.ndarray:
        """The shingle hashes of the first ``words`` tokens: the first shingles of ``full`` when
        the lead is longer than one shingle."""
        size = self.dedup.shingle_size
        lead_words = min(len(tokens), words)
        return full[: lead_words - size + 1] if lead_words > size else shingle_hash_list(tokens[:words], size)

    def _unpack(self, packed: bytes | None) -> Signature | None:
        if packed is None:
            return None
        return Signature(self.params, *split_signature(packed, self.dedup.num_perm), raw=packed)

    def prepare(self, articles: list[Article]) -> None:
        """In a parse worker: boilerplate keys and signature of each normalized article's body, as
        ``Article.prepared`` (tokens freed; ``shingles`` and ``token_count`` kept for dedup)."""
        ready = [a for a in articles if a.normalized]
        bodies = [a.body for a in ready]
        keyed_edges = [body_keys(body) for body in bodies]
        keyed = [(paragraph_keys, counted) for paragraph_keys, counted, _ in keyed_edges]
        edges = [edge for _, _, edge in keyed_edges]
        # Signed as boilerplate removal will most likely leave them (lines repeated in this feed's
        # new entries removed), so that the run need not sign them again after it.
        predicted = predicted_bodies(bodies, keyed, edges, self.dedup.boilerplate_min_entries)
        for article, body in zip(ready, predicted, strict=True):
            article.body = body
        signatures = self._packed_signatures(ready)
        for article, body, (paragraph_keys, counted), edge in zip(ready, bodies, keyed, edges, strict=True):
            if article.shingles is not None:
                article.shingles.unique  # noqa: B018  (sorted here, in parallel: dedup compares with it)
            article.prepared = Prepared(
                body,
                np.array(paragraph_keys, np.int64).tobytes(),
                np.array(sorted(counted), np.int64).tobytes(),
                signatures.get(id(article)),
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
