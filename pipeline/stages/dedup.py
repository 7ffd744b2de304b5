"""Dedup: put each new article into the story it matches best, as a whole, or start a new story.

Candidates come from two LSH indexes kept in the state (``lsh_buckets``): one over whole-text
signatures (copies) and one over lead signatures (teasers). Every candidate is verified on exact
shingle sets (text/similarity.py):

* copy    -- Jaccard of the two shingle sets >= ``copy_threshold``;
* teaser  -- the shorter text has at most ``teaser_max_ratio`` of the longer one's shingles and
  at least ``teaser_containment`` of them lie in the longer text's lead (its first words, or the
  words after its standfirst: the lead index holds both leads' bands);
* partial -- the shorter text lies ``partial_containment`` anywhere in the longer one (overlap
  coefficient) and they share ``partial_min_shared`` shingles (more than one quotation).

Candidates are then grouped by story (issue 13: real reprints are loose, and a reprint of a later
version may match no single member well), and each candidate story is scored as a whole: its best
member's verdict, or else the containment of the new article in the union of the story's full-text
members' shingles (measure ``story_containment``, same guard on shared shingles). The article joins
the best story. When it is strongly (copy or partial, never teaser-level, and at least
``merge_min_tokens`` words, not cut short) in several stories, they are one story: the oldest keeps
its GUID and absorbs the others (``Store.merge_story`` keeps a tombstone, the report says
``merged_into``). A teaser or a short text never bridges two stories.

A teaser or a short or cut text goes with the full text it was cut from: evidence against a
member of article length ranks before a copy of another teaser, and stories holding only teasers
that all lie in that full text's lead are absorbed (a story of teasers that missed its original,
measured: teaser recall 0.889 -> 0.945 on bench/quality_real.py, plain).

A full text does not join a story through a teaser member once the story holds a full text (the
teaser is evidence about that full text, and stock leads chained unrelated articles this way), and
two stories merge only when their full texts overlap (``BRIDGE_OVERLAP``), not just the bridge.

Work per article is bounded: at most ``MAX_CANDIDATES`` candidates, ranked by shared LSH buckets,
and verification stops after a copy of Jaccard >= ``strong_copy``. (Crowded buckets are not
down-weighted: measured crowded dedup cost stays within 2x plain, see bench/README.md.)

Before that, an article whose page another feed already gave (the same normalized permalink or URL
GUID, ``text.identity.permalink_keys``: one outlet's story in its sport and TV feeds) joins that
article's story whatever its length (measure ``permalink``). An entry that updates a stored one
(``Article.replaces``: its text changed in place) is deduplicated again, not against itself, and
keeps its id and, when it matches nothing, its story (so the output item keeps its GUID).
"""

from __future__ import annotations

import hashlib
import itertools
import sys
from array import array
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
from pipeline.text.tokens import body_shingles, second_lead_start

MAX_CANDIDATES = 64
_NATIVE_IS_STORED = sys.byteorder == "little"  # bucket keys hash native words; signatures store little-endian
# Entries whose bucket and permalink keys are read ahead at once (``Store.prefetch``): a Redis
# round trip per 256 entries instead of two per entry, and a bounded read-ahead (~40k keys).
PREFETCH_ENTRIES = 256
# Shingles kept for candidates (~4 KB each for a 500-word text): the 5k most recently used bound
# this at ~20 MB (token lists, kept before, cost ~24 KB each). With 1,024-entry detect chunks it
# took a 100k first run's peak from 506 to 488 MB at the same dedup and attribute seconds; 7,500
# new entries against a 40k-entry state spent ~2 s more in attribution than with 10k (two runs each).
SHINGLE_CACHE = 5_000
# Unions of stories' full-text shingles kept (a few hundred KB for a story of 150 entries).
UNION_CACHE = 2_000
_FULL, _LEAD = 0, 1
# Overlap coefficient of two stories' full-text unions needed for a bridge to merge them. On the
# reprints corpus (bench/quality_real.py, size 3000) true fragment merges overlap 0.45-0.94 and the
# one false merge (a story whose reprints carry another story's first paragraphs as background,
# bench/reprints.py "extended") 0.36; 0.42 sits between, biased high because one false merge of two
# big stories costs thousands of false pairs and a missed merge only a fragment. Thin margin.
BRIDGE_OVERLAP = 0.42
_UINT32 = next(code for code in "IL" if array(code).itemsize == 4)  # array typecode of a uint32
# Evidence order: a copy beats a partial reprint beats a teaser, whatever the scores.
_RANK = {"copy": 3, "partial": 2, "teaser": 1}


def _match(member_id: int, verdict: Verdict) -> Match:
    return Match(
        article_id=member_id,
        relation=verdict.relation,  # type: ignore[arg-type]
        measure=verdict.measure,  # type: ignore[arg-type]
        score=round(verdict.score, 4),
        threshold=verdict.threshold,
    )


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
        self._bands = [  # (salt, byte offset) per kind and band, built once (formatting them cost ~100 µs)
            [(f"{params_id}:{kind}:{band}:".encode(), band * 4 * self.rows) for band in range(self.bands)]
            for kind in (_FULL, _LEAD)
        ]
        # article id -> (story id, shingles): an article's story never changes during a run.
        self._known: RecentMap[int, tuple[str, Shingles]] = RecentMap(SHINGLE_CACHE)
        self.touched: set[str] = set()
        self._fresh: set[str] = set()  # stories touched since the last ``take_touched``
        self.updated: set[str] = set()  # stories with a member updated in place (their `updated` moves)
        self.emptied: set[str] = set()  # stories whose only member moved to another story
        self.joined = 0
        self.created = 0
        self.merges = 0
        self.merged: dict[str, str] = {}  # story absorbed in this run -> the story that absorbed it
        self.absorbed: set[str] = set()
        # story id -> sorted unique shingles of its full-text members (story-level matching)
        self._unions: RecentMap[str, np.ndarray] = RecentMap(UNION_CACHE)

    def __call__(self, articles: Iterable[Article]) -> Iterator[Article]:
        ordered = sorted(articles, key=lambda a: (a.published, a.feed, a.entry_key))
        for start in range(0, len(ordered), PREFETCH_ENTRIES):
            chunk = ordered[start : start + PREFETCH_ENTRIES]
            buckets = [self.buckets(a.signature) if a.signature else [] for a in chunk]
            permalinks = [permalink_keys(a) for a in chunk]
            self.state.prefetch(
                itertools.chain.from_iterable(buckets), itertools.chain.from_iterable(permalinks)
            )
            for article, keys, links in zip(chunk, buckets, permalinks, strict=True):
                self.assign(article, keys, links)
                yield article

    def buckets(self, signature: Signature) -> list[int]:
        """LSH bucket keys: one per band of each signature, salted with kind and parameter set. The
        short and second leads' bands share the lead's salt: a teaser's lead meets any lead."""
        keys: list[int] = []
        width = 4 * self.rows
        digest = xxhash.xxh64_intdigest
        # full, lead, short lead, second lead: the order of ``Signature.stored_bytes`` too
        signatures = [(_FULL, signature.full), (_LEAD, signature.lead)]
        signatures += [(_LEAD, lead) for lead in (signature.short_lead, signature.second_lead) if lead]
        raw = signature.raw if _NATIVE_IS_STORED else b""
        size = 4 * len(signature.full)
        for block, (kind, values) in enumerate(signatures):
            # the stored bytes are the native uint32 words already (array() beat np.array 3x)
            data = raw[block * size : (block + 1) * size] if raw else array(_UINT32, values).tobytes()
            keys += [digest(salt + data[start : start + width]) >> 1 for salt, start in self._bands[kind]]
        return list(dict.fromkeys(keys))

    def assign(
        self, article: Article, buckets: list[int] | None = None, permalinks: list[str] | None = None
    ) -> None:
        """Attach ``article`` to the story it matches best, merging stories it strongly bridges.
        ``buckets``, ``permalinks``: its signature's ``buckets`` and its ``permalink_keys`` when
        already computed."""
        if buckets is None:
            buckets = self.buckets(article.signature) if article.signature else []
        own_id = article.replaces if article.replaces is not None else article.id
        if own_id is not None and own_id in self.isolated:  # split out by an editor: alone
            signature_buckets, buckets, permalink = buckets, [], None
        else:
            permalink = self._permalink_owner(article, permalinks)
            signature_buckets = buckets
        decision: tuple[str, Match, list[str]] | None = None
        absorbed: list[str] = []
        if permalink is None and buckets:
            decision = self._decide(article, buckets)
        if permalink is not None:
            candidate_id, story_id = permalink
            story_id = article.story_id = self.resolve(story_id)
            article.match = Match(candidate_id, "copy", "permalink", 1.0, 1.0)
            self.joined += article.replaces is None
        elif decision is None:
            if article.old_story is not None:  # an update that matches nothing keeps its story
                story_id = article.story_id = self.resolve(article.old_story)
            else:
                story_id = article.story_id = story_id_for(article)
                self.state.add_story(story_id)
                self.created += 1
        else:
            story_id, article.match, absorbed = decision
            article.story_id = story_id
            self.joined += article.replaces is None
        self.touched.add(story_id)
        self._fresh.add(story_id)
        if article.replaces is not None:
            article.id = article.replaces
            self._known.pop(article.id, None)  # its old text is gone
            self.state.replace_article(article.id, article, self.now)
            self.updated.add(story_id)
            if article.old_story is not None and article.old_story != story_id:
                self.touched.add(article.old_story)
                self._fresh.add(article.old_story)
                self.emptied.add(article.old_story)
        else:
            article.id = self.state.add_article(article, self.now)
        if article.signature:
            self.state.add_signature(article.id, self.params_id, article.signature, signature_buckets)
            own = self._own_shingles(article)
            self._known[article.id] = (story_id, own)
            union = self._unions.get(story_id)
            if union is not None and self._full_text(article.truncated, own):
                self._unions[story_id] = np.union1d(union, own.unique)
        for other in absorbed:  # after the bridging entry is stored, so the tombstone names it
            self._merge(other, story_id, article)

    def take_touched(self) -> set[str]:
        """The stories touched since the last call (as ``resolve`` names them now), then forgets
        them: attributed while their members' shingles are still in the cache."""
        fresh, self._fresh = self._fresh, set()
        return {self.resolve(story_id) for story_id in fresh}

    def resolve(self, story_id: str) -> str:
        """The story ``story_id`` now is (itself, or the story that absorbed it in this run)."""
        while story_id in self.merged:
            story_id = self.merged[story_id]
        return story_id

    def _merge(self, absorbed: str, into: str, bridge: Article) -> None:
        """Move every member of ``absorbed`` into ``into`` (the older story) and keep a tombstone."""
        absorbed, into = self.resolve(absorbed), self.resolve(into)
        if absorbed == into:
            return
        self.state.merge_story(absorbed, into, bridge.id if bridge.id else None, self.now)
        self.merged[absorbed] = into
        mine, theirs = self._unions.pop(absorbed, None), self._unions.get(into)
        if mine is not None and theirs is not None:
            self._unions[into] = np.union1d(mine, theirs)
        else:
            self._unions.pop(into, None)  # rebuilt from the store when next needed
        self.touched.add(into)
        self.touched.discard(absorbed)
        self._fresh.add(into)
        self._fresh.discard(absorbed)
        self.absorbed.add(absorbed)
        self.merges += 1

    def _decide(self, article: Article, buckets: list[int]) -> tuple[str, Match, list[str]] | None:
        """(story to join, the evidence, stories it absorbs) for ``article``, or None for a new story.

        Candidates are grouped by story; each story's evidence is its best member verdict, or the
        article's containment in the union of its full-text members when that is stronger."""
        own = self._own_shingles(article)
        by_story: dict[str, list[tuple[int, Verdict]]] = {}
        full_text = self._full_text(article.truncated, own)
        long_members: set[int] = set()  # candidates of article length (not teasers or briefs)
        for candidate_id, story_id, verdict, other in self._verified(article, buckets):
            if other.count >= self.dedup.merge_min_tokens:
                long_members.add(candidate_id)
            if candidate_id == article.replaces:  # an updated entry is not its own copy
                continue
            if (
                verdict.relation == "teaser"
                and full_text
                and other.count < own.count
                and self._story_union(story_id) is not None
            ):
                # The member is a teaser lying in this full text's lead: evidence about the
                # teaser's own full text, which is in the story and did not match. Stock leads
                # chain unrelated articles this way (issue 13); a teaser that came before its
                # full text (a story of teasers only) still takes it in.
                continue
            by_story.setdefault(story_id, []).append((candidate_id, verdict))
        if not by_story:
            return None
        scored: dict[str, tuple[int, Verdict]] = {}
        for story_id, found in by_story.items():
            best_id, best = max(found, key=lambda f: (_RANK.get(f[1].relation, 0), f[1].score, -f[0]))
            if not best.strong and full_text and self.dedup.story_level:
                top_id, _ = max(found, key=lambda f: (f[1].shared, -f[0]))
                if sum(f[1].shared for f in found) >= self.dedup.partial_min_shared:
                    contained = self._story_containment(story_id, own)
                    if contained is not None and contained.same_story:
                        best_id, best = top_id, contained
            if best.same_story:
                scored[story_id] = (best_id, best)
        if not scored:
            return None
        if not full_text:
            return self._decide_short(by_story, scored, long_members)
        ranked = sorted(
            scored.items(), key=lambda s: (_RANK[s[1][1].relation], s[1][1].score, -s[1][0]), reverse=True
        )
        story_id, (member_id, verdict) = ranked[0]
        absorbed: list[str] = []
        strong = [s for s, (_, v) in scored.items() if v.strong]
        if (
            self.dedup.merge_stories
            and len(strong) > 1
            and verdict.strong
            and full_text
            and own.count >= self.dedup.merge_min_tokens
        ):
            strong = self._one_text(story_id, strong)
            if len(strong) > 1:
                story_id, *absorbed = self._oldest_first(strong)
        return story_id, _match(member_id, verdict), absorbed

    def _decide_short(
        self,
        by_story: dict[str, list[tuple[int, Verdict]]],
        scored: dict[str, tuple[int, Verdict]],
        long_members: set[int],
    ) -> tuple[str, Match, list[str]]:
        """``_decide`` for a teaser or a short or cut text: it belongs with the full text it was cut
        from, so evidence against a member of article length ranks first (a copy of another
        teaser only says "the same teaser"; a story of such teasers may have missed its full
        text). The stories holding only teasers that are each in that full text's lead too are
        the same story: the oldest story keeps its GUID and absorbs the others. A short text
        never joins two stories that hold full texts (stock leads chain unrelated articles)."""

        def evidence(story_id: str) -> tuple[int, Verdict]:
            found = [f for f in by_story[story_id] if f[0] in long_members and f[1].same_story]
            if not found:
                return scored[story_id]
            return max(found, key=lambda f: (_RANK.get(f[1].relation, 0), f[1].score, -f[0]))

        best = {story_id: evidence(story_id) for story_id in scored}
        ranked = sorted(
            best.items(),
            key=lambda s: (s[1][0] in long_members, _RANK[s[1][1].relation], s[1][1].score, -s[1][0]),
            reverse=True,
        )
        story_id, (member_id, verdict) = ranked[0]
        absorbed: list[str] = []
        if self.dedup.merge_stories and member_id in long_members:
            full = self._known.get(member_id)
            teasers_only = [
                other
                for other, (other_member, _) in ranked[1:]
                if other_member not in long_members
                and full is not None
                and self._all_teasers_of(other, full[1])
            ]
            if teasers_only:
                story_id, *absorbed = self._oldest_first([story_id, *teasers_only])
        return story_id, _match(member_id, verdict), absorbed

    def _oldest_first(self, stories: list[str]) -> list[str]:
        """``stories`` by their first stored entry: the first keeps its GUID and absorbs the rest."""
        first = self.state.story_first_ids(stories)
        return sorted(stories, key=lambda s: (first.get(s, 1 << 62), s))

    def _all_teasers_of(self, story_id: str, full: Shingles) -> bool:
        """Whether every member of ``story_id`` is a short text in the same story as ``full``
        (at most ``MAX_CANDIDATES`` members are checked; a bigger story is left alone)."""
        members = self.state.story_members(story_id)
        if not members or len(members) > MAX_CANDIDATES:
            return False
        for member in members:
            if member.id in self.isolated:
                return False
            shingles = self.shingles(member.id)
            if shingles is None:
                shingles = body_shingles(member.body, self.dedup.shingle_size)
            if shingles.count >= self.dedup.merge_min_tokens:
                return False
            if not compare_shingles(shingles, full, self.dedup).same_story:
                return False
        return True

    def _one_text(self, best: str, strong: list[str]) -> list[str]:
        """The strong stories (``best`` first) that are one text with ``best``.

        A strong bridge is not enough: a round-up of two reports, or a reprint extended with
        paragraphs of another story (background that every reprint of one story may carry), is
        strongly in both. Fragments of one story share most of their text, so a story is kept
        when its full-text union and ``best``'s overlap by at least ``BRIDGE_OVERLAP`` of the
        smaller union (overlap coefficient)."""
        mine = self._story_union(best)
        if mine is None:
            return [best]
        kept = [best]
        for other in strong:
            theirs = self._story_union(other) if other != best else None
            if theirs is None or not theirs.size:
                continue
            common = np.intersect1d(mine, theirs, assume_unique=True).size
            if common >= BRIDGE_OVERLAP * min(mine.size, theirs.size):
                kept.append(other)
        return kept

    def _full_text(self, truncated: bool, shingles: Shingles) -> bool:
        """Long enough and not cut short: may count towards a story's union and bridge stories."""
        return not truncated and shingles.count >= self.dedup.merge_min_tokens

    def _story_containment(self, story_id: str, own: Shingles) -> Verdict | None:
        """The article's containment in the union of the story's full-text members, as a verdict."""
        union = self._story_union(story_id)
        if union is None:
            return None
        shared = np.intersect1d(own.unique, union, assume_unique=True).size
        contained = shared / own.unique.size if own.unique.size else 0.0
        threshold = self.dedup.story_containment
        if contained >= threshold and shared >= self.dedup.partial_min_shared:
            return Verdict("partial", "story_containment", contained, threshold, shared)
        return Verdict("different", "story_containment", contained, threshold, shared)

    def _story_union(self, story_id: str) -> np.ndarray | None:
        """Sorted unique shingles of the story's full-text members; None when it has none."""
        union = self._unions.get(story_id)
        if union is None:
            parts = []
            for member in self.state.story_members(story_id):
                shingles = self.shingles(member.id)
                if shingles is None:
                    shingles = body_shingles(member.body, self.dedup.shingle_size)
                if self._full_text(member.truncated, shingles):
                    parts.append(shingles.unique)
            if not parts:
                return None
            union = np.unique(np.concatenate(parts))
            self._unions[story_id] = union
        return union

    def _permalink_owner(self, article: Article, keys: list[str] | None = None) -> tuple[int, str] | None:
        """(article id, story id) of another feed's stored article with this article's permalink
        (``keys``: its ``permalink_keys``, when already computed)."""
        keys = permalink_keys(article) if keys is None else keys
        owners = self.state.permalink_owners(keys, article.feed) if keys else {}
        for key in keys:
            owner = owners.get(key)
            if owner is not None and owner[0] != article.replaces and owner[0] not in self.isolated:
                return owner
        return None

    def _verified(self, article: Article, buckets: list[int]) -> Iterator[tuple[int, str, Verdict, Shingles]]:
        """Every verified candidate (story resolved through this run's merges), best-ranked first;
        stops after a copy of Jaccard >= ``strong_copy``."""
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
                known = (story_id, body_shingles(body, self.dedup.shingle_size))
                self._known[candidate_id] = known
            story_id, other = known
            verdict = compare_shingles(own, other, self.dedup)
            yield candidate_id, self.resolve(story_id), verdict, other
            if (
                verdict.relation == "copy"
                and verdict.score >= self.dedup.strong_copy
                and other.count >= self.dedup.merge_min_tokens
            ):
                # A copy of another teaser says only "the same teaser": go on to its full text.
                return

    def shingles(self, article_id: int) -> Shingles | None:
        """The cached shingles of a stored article, if still in the cache (attribution reuses them)."""
        known = self._known.get(article_id)
        return known[1] if known else None

    def _own_shingles(self, article: Article) -> Shingles:
        if article.shingles is None or article.shingles.size != self.dedup.shingle_size:
            article.shingles = Shingles(
                article.tokens, self.dedup.shingle_size, second_lead=second_lead_start(article.body)
            )
        return article.shingles
