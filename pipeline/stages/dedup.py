"""Dedup: put each new article into the story of its best verified match, or start a new story.

Candidates come from two LSH indexes kept in the state (``lsh_buckets``): one over whole-text
signatures (copies) and one over lead signatures (teasers). Every candidate is verified on exact
shingle sets before anything is merged:

* copy   -- Jaccard of the two shingle sets >= ``copy_threshold``;
* teaser -- the shorter text has at most ``teaser_max_ratio`` of the longer one's shingles and
  at least ``teaser_containment`` of them lie in the longer text's lead (its first words).

An article joins the story of its single best match; stories are never unioned, so a weak link
or a short teaser cannot chain two stories together.

Before that, an article whose page another feed already gave (the same normalized permalink or URL
GUID, ``text.identity.permalink_keys``: one outlet's story in its sport and TV feeds) joins that
article's story whatever its length (measure ``permalink``). An entry that updates a stored one
(``Article.replaces``: its text changed in place) is deduplicated again, not against itself, and
keeps its id and, when it matches nothing, its story (so the output item keeps its GUID).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Iterator
from datetime import datetime

import numpy as np
import xxhash
from datasketch import MinHashLSH

from pipeline.config import DedupConfig
from pipeline.models import Article, Match, Signature
from pipeline.recent import RecentMap
from pipeline.store import Store
from pipeline.text.identity import permalink_keys
from pipeline.text.shingles import Shingles
from pipeline.text.similarity import Verdict, compare_shingles
from pipeline.text.tokens import tokenize

MAX_CANDIDATES = 64
# Shingles kept for candidates (~4 KB each for a 500-word text): the 10k most recently used bound
# this at ~40 MB (token lists, kept before, cost ~24 KB each).
SHINGLE_CACHE = 10_000
_FULL, _LEAD = 0, 1


def story_id_for(article: Article) -> str:
    """A story's id is fixed by its first article, so it stays the same across runs.

    The content hash is part of it: a key given up by a re-keyed entry may later name another
    article (text/identity.py), whose story must not take the first one's id.
    """
    seed = f"{article.feed}\n{article.entry_key}\n{article.content_hash}"
    return hashlib.sha1(seed.encode()).hexdigest()[:20]


class Deduplicator:
    """Assigns stories to new articles in publication order and stores them with their signatures."""

    def __init__(
        self,
        state: Store,
        dedup: DedupConfig,
        params_id: int,
        now: datetime,
        isolated: Collection[int] = frozenset(),
    ) -> None:
        """``isolated``: ids of stored entries an editor split out (``syndedup story split``): they
        join no story and no entry joins theirs."""
        self.state = state
        self.isolated = isolated
        self.dedup = dedup
        self.params_id = params_id
        self.now = now
        lsh = MinHashLSH(threshold=dedup.lsh_threshold, num_perm=dedup.num_perm)
        self.bands, self.rows = lsh.b, lsh.r
        self._salts = [  # per kind and band, built once (formatting them per article cost ~100 µs)
            [f"{params_id}:{kind}:{band}:".encode() for band in range(self.bands)] for kind in (_FULL, _LEAD)
        ]
        # article id -> (story id, shingles): an article's story never changes during a run.
        self._known: RecentMap[int, tuple[str, Shingles]] = RecentMap(SHINGLE_CACHE)
        self.touched: set[str] = set()
        self.updated: set[str] = set()  # stories with a member updated in place (their `updated` moves)
        self.emptied: set[str] = set()  # stories whose only member moved to another story
        self.joined = 0
        self.created = 0

    def __call__(self, articles: Iterable[Article]) -> Iterator[Article]:
        ordered = sorted(articles, key=lambda a: (a.published, a.feed, a.entry_key))
        for article in ordered:
            self.assign(article)
            yield article

    def buckets(self, signature: Signature) -> list[int]:
        """LSH bucket keys: one per band of each signature, salted with kind and parameter set."""
        keys = []
        width = 4 * self.rows
        for kind, values in ((_FULL, signature.full), (_LEAD, signature.lead)):
            data = np.array(values, dtype=np.uint32).tobytes()
            for band, salt in enumerate(self._salts[kind]):
                keys.append(xxhash.xxh64_intdigest(salt + data[band * width : (band + 1) * width]) >> 1)
        return keys

    def assign(self, article: Article) -> None:
        """Attach ``article`` to the story of its best verified match, or open a new story."""
        buckets = self.buckets(article.signature) if article.signature else []
        best: tuple[float, int, str, Verdict] | None = None
        own_id = article.replaces if article.replaces is not None else article.id
        if own_id is not None and own_id in self.isolated:  # split out by an editor: alone
            buckets, permalink = [], None
            signature_buckets = self.buckets(article.signature) if article.signature else []
        else:
            permalink = self._permalink_owner(article)
            signature_buckets = buckets
        if permalink is None and buckets:
            for candidate_id, story_id, verdict in self._verified(article, buckets):
                if candidate_id == article.replaces:  # an updated entry is not its own copy
                    continue
                rank = (verdict.score + (1.0 if verdict.relation == "copy" else 0.0), -candidate_id)
                if best is None or rank > (best[0], -best[1]):
                    best = (rank[0], candidate_id, story_id, verdict)
        if permalink is not None:
            candidate_id, story_id = permalink
            article.story_id = story_id
            article.match = Match(candidate_id, "copy", "permalink", 1.0, 1.0)
            self.joined += article.replaces is None
        elif best is None:
            if article.old_story is not None:  # an update that matches nothing keeps its story
                story_id = article.story_id = article.old_story
            else:
                story_id = article.story_id = story_id_for(article)
                self.state.add_story(story_id)
                self.created += 1
        else:
            _, candidate_id, story_id, verdict = best
            article.story_id = story_id
            article.match = Match(
                article_id=candidate_id,
                relation="teaser" if verdict.relation == "teaser" else "copy",
                measure="lead_containment" if verdict.measure == "lead_containment" else "jaccard",
                score=round(verdict.score, 4),
                threshold=verdict.threshold,
            )
            self.joined += article.replaces is None
        self.touched.add(story_id)
        if article.replaces is not None:
            article.id = article.replaces
            self._known.pop(article.id, None)  # its old text is gone
            self.state.replace_article(article.id, article, self.now)
            self.updated.add(story_id)
            if article.old_story is not None and article.old_story != story_id:
                self.touched.add(article.old_story)
                self.emptied.add(article.old_story)
        else:
            article.id = self.state.add_article(article, self.now)
        if article.signature:
            self.state.add_signature(article.id, self.params_id, article.signature, signature_buckets)
            self._known[article.id] = (story_id, self._own_shingles(article))

    def _permalink_owner(self, article: Article) -> tuple[int, str] | None:
        """(article id, story id) of another feed's stored article with this article's permalink."""
        keys = permalink_keys(article)
        owners = self.state.permalink_owners(keys, article.feed) if keys else {}
        for key in keys:
            owner = owners.get(key)
            if owner is not None and owner[0] != article.replaces and owner[0] not in self.isolated:
                return owner
        return None

    def _verified(self, article: Article, buckets: list[int]) -> Iterator[tuple[int, str, Verdict]]:
        shared = self.state.bucket_neighbours(buckets)
        ranked = sorted(shared, key=lambda i: (-shared[i], i))[:MAX_CANDIDATES]
        # Only candidates not in the cache are read (and their bodies decompressed and tokenized).
        rows = self.state.article_bodies([i for i in ranked if i not in self._known])
        own = self._own_shingles(article)
        for candidate_id in ranked:
            if candidate_id in self.isolated:
                continue
            known = self._known.get(candidate_id)
            if known is None:
                if candidate_id not in rows:
                    continue
                story_id, body = rows[candidate_id]
                known = (story_id, Shingles(tokenize(body), self.dedup.shingle_size))
                self._known[candidate_id] = known
            story_id, other = known
            verdict = compare_shingles(own, other, self.dedup)
            if verdict.same_story:
                yield candidate_id, story_id, verdict

    def shingles(self, article_id: int) -> Shingles | None:
        """The cached shingles of a stored article, if still in the cache (attribution reuses them)."""
        known = self._known.get(article_id)
        return known[1] if known else None

    def _own_shingles(self, article: Article) -> Shingles:
        if article.shingles is None or article.shingles.size != self.dedup.shingle_size:
            article.shingles = Shingles(article.tokens, self.dedup.shingle_size)
        return article.shingles
