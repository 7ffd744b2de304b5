"""Dedup: put each new article into the story it matches best, as a whole, or start a new story.

Candidates come from two LSH indexes kept in the state (``store.lsh_index``): one over whole-text
signatures (copies) and one over lead signatures (teasers). Every candidate is verified on exact
shingle sets (text/similarity.py):

* copy    -- Jaccard of the two shingle sets >= ``copy_threshold``;
* teaser  -- the shorter text has at most ``teaser_max_ratio`` of the longer one's shingles and
  at least ``teaser_containment`` of them lie in the longer text's lead (its first words, or the
  words after its standfirst: the lead index holds both leads' bands);
* partial -- the shorter text lies ``partial_containment`` anywhere in the longer one (overlap
  coefficient) and they share ``partial_min_shared`` shingles (more than one quotation).

The verified candidates go to ``text.story.decide``, the one decision that the run, ``syndedup
rebuild`` (a replay through this class) and ``syndedup explain A B`` share: candidates grouped by
story, each story scored by its best member's verdict or the article's containment in the story's
bounded representative; the best story wins; stories the article is strongly in whose *cores* are
one text with the winner's are merged into the oldest (``Store.merge_story`` keeps a tombstone).
A merge the cores did not allow is remembered (``Store.add_story_link``) and looked at again when
either story grows (at sizes 2, 3, 4, 6, 8, 12, 16, 24, ...: a representative changes as its
sample fills, then rarely).

Work per article is bounded whatever the size of its story or of the crowd sharing its sentences:

* an LSH bucket holding ``bucket_cap`` entries takes no more (a new entry is not added under it)
  and is *crowded*: its entries rank below those met in ordinary buckets (stock text, or a story so
  big that its first ``bucket_cap`` members stand for it);
* at most ``crowded_candidates`` candidates met only in crowded buckets are kept;
* at most ``max_candidates`` candidates, and at most ``story_candidates`` of one story, are
  verified; verification stops after a copy of Jaccard >= ``strong_copy``, and within one story
  once one of its members is a copy of a full text;
* a story is compared through its representative (``text.story``: a sample of at most
  ``core_members`` full-text members), never through all its members.

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
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from datetime import datetime

import numpy as np
import xxhash

from pipeline.config import DedupConfig
from pipeline.models import Article, Match, Signature, StorySample
from pipeline.recent import RecentMap
from pipeline.store import Store
from pipeline.text.identity import permalink_keys
from pipeline.text.shingles import Shingles
from pipeline.text.signing import lsh_bands
from pipeline.text.similarity import Verdict, compare_shingles
from pipeline.text.story import (
    SHORT_STORY_MEMBERS,
    Candidate,
    Decision,
    Representative,
    decide,
    is_full_text,
    oldest_first,
    one_text,
    representative,
)
from pipeline.text.tokens import body_shingles, second_lead_start

_NATIVE_IS_STORED = sys.byteorder == "little"  # bucket keys hash native words; signatures store little-endian
# Entries whose bucket and permalink keys are read ahead at once (``Store.prefetch``): a Redis
# round trip per 256 entries instead of two per entry, and a bounded read-ahead (~40k keys).
PREFETCH_ENTRIES = 256
# Shingles kept for candidates (~4 KB each for a 500-word text): the 5k most recently used bound
# this at ~20 MB (token lists, kept before, cost ~24 KB each). With 1,024-entry detect chunks it
# took a 100k first run's peak from 506 to 488 MB at the same dedup and attribute seconds; 7,500
# new entries against a 40k-entry state spent ~2 s more in attribution than with 10k (two runs each).
SHINGLE_CACHE = 5_000
# Stories whose sample and representative are kept (a representative is a few thousand hashes).
STORY_CACHE = 2_000
_FULL, _LEAD = 0, 1
# Weight of a bucket shared in an ordinary bucket against a crowded one (more buckets than any entry has).
_ORDINARY = 1 << 16
_UINT32 = next(code for code in "IL" if array(code).itemsize == 4)  # array typecode of a uint32
_NO_REPRESENTATIVE = Representative.__new__(Representative)  # cached "the story holds no full text"


def _match(member_id: int, verdict: Verdict) -> Match:
    return Match(
        article_id=member_id,
        relation=verdict.relation,  # type: ignore[arg-type]
        measure=verdict.measure,  # type: ignore[arg-type]
        score=round(verdict.score, 4),
        threshold=verdict.threshold,
    )


def recheck_point(size: int) -> bool:
    """Whether a story that just reached ``size`` members re-checks its blocked merges: at 2, 3, 4,
    6, 8, 12, 16, 24, ... (powers of two and 1.5 times them), so a story of n members re-checks
    O(log n) times, and early, while its representative's sample fills."""
    if size < 2:
        return False
    if size & (size - 1) == 0:
        return True
    third = size // 3
    return size % 3 == 0 and third & (third - 1) == 0


class Bander:
    """LSH bucket keys of signatures: one per band of each signature, salted with its kind (full or
    lead) and the signature parameter set (``params_id``); bands and rows from datasketch's
    ``MinHashLSH`` for ``[dedup] lsh_threshold`` and ``num_perm``. The short and second leads'
    bands share the lead's salt: a teaser's lead meets any lead. Used by the run and by explain
    (whether the run's LSH met two entries)."""

    def __init__(self, dedup: DedupConfig, params_id: int) -> None:
        self.bands, self.rows = lsh_bands(dedup.lsh_threshold, dedup.num_perm)  # datasketch's MinHashLSH
        self._bands = [  # (salt, byte offset) per kind and band, built once (formatting them cost ~100 µs)
            [(f"{params_id}:{kind}:{band}:".encode(), band * 4 * self.rows) for band in range(self.bands)]
            for kind in (_FULL, _LEAD)
        ]

    def keys(self, signature: Signature) -> list[int]:
        """The distinct bucket keys (non-negative, < 2**63) of ``signature``, full then leads."""
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


def story_id_for(article: Article) -> str:
    """A story's id is fixed by its first article, so it stays the same across runs.

    The content hash is part of it: a key given up by a re-keyed entry may later name another
    article (text/identity.py), whose story must not take the first one's id.
    """
    seed = f"{article.feed}\n{article.entry_key}\n{article.content_hash}"
    return hashlib.sha1(seed.encode()).hexdigest()[:20]


class Deduplicator:
    """Assigns stories to new articles in publication order and stores them with their signatures.

    It is also the ``text.story.StoryLookup`` of ``decide``: representatives, first ids and short
    members of the candidate stories, read from the store and cached for the run."""

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
        self._bander = Bander(dedup, params_id)
        self.bands, self.rows = self._bander.bands, self._bander.rows
        # article id -> (story id, shingles): an article's story never changes during a run.
        self._known: RecentMap[int, tuple[str, Shingles]] = RecentMap(SHINGLE_CACHE)
        self.touched: set[str] = set()
        self._fresh: set[str] = set()  # stories touched since the last ``take_touched``
        self.updated: set[str] = set()  # stories with a member updated in place (their `updated` moves)
        self.emptied: set[str] = set()  # stories whose only member moved to another story
        self.joined = 0
        self.created = 0
        self.merges = 0
        self.rechecks = 0  # blocked merges looked at again as a story grew
        self.merged: dict[str, str] = {}  # story absorbed in this run -> the story that absorbed it
        self.absorbed: set[str] = set()
        # story id -> members added since it was last attributed (``take_fresh``); None when it
        # must be attributed from scratch (a merge, a move, an entry updated in place)
        self._fresh_members: dict[str, set[int] | None] = {}
        # story id -> its size and sampled members, and its representative (``text.story``)
        self._samples: RecentMap[str, StorySample] = RecentMap(STORY_CACHE)
        self._representatives: RecentMap[str, Representative] = RecentMap(STORY_CACHE)
        # story id -> other story -> bridging entry: merges the cores did not allow (both ways)
        self._links: dict[str, dict[str, int | None]] = {}
        for (story, other), bridge in state.story_links().items():
            self._links.setdefault(story, {})[other] = bridge
            self._links.setdefault(other, {})[story] = bridge

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
        """LSH bucket keys of ``signature`` (``Bander.keys``)."""
        return self._bander.keys(signature)

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
        decision: Decision | None = None
        crowded: set[int] = set()
        if permalink is None and buckets:
            candidates, crowded = self.candidates(article, buckets)
            decision = decide(self._own_shingles(article), article.truncated, candidates, self, self.dedup)
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
            story_id = article.story_id = decision.story_id
            article.match = _match(decision.member_id, decision.verdict)
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
                self._forget(article.old_story)
        else:
            article.id = self.state.add_article(article, self.now)
        self._note_member(story_id, article.id if article.replaces is None else None)
        if article.old_story is not None and article.old_story != story_id:
            self._note_member(article.old_story, None)
        if article.signature:
            # a crowded bucket takes no more entries: its first ``bucket_cap`` stand for the rest
            kept = [b for b in signature_buckets if b not in crowded] if crowded else signature_buckets
            self.state.add_signature(article.id, self.params_id, article.signature, kept)
            self._known[article.id] = (story_id, self._own_shingles(article))
        self._grew(story_id, article)
        if decision is not None:
            for other in decision.absorbed:  # after the bridging entry is stored, so the tombstone names it
                self._merge(other, story_id, article.id)
            for other, _ in decision.blocked:
                self._link(story_id, other, article.id)
        self._recheck(story_id, force=decision is not None and bool(decision.absorbed))

    def take_touched(self) -> set[str]:
        """The stories touched since the last call (as ``resolve`` names them now), then forgets
        them: attributed while their members' shingles are still in the cache."""
        fresh, self._fresh = self._fresh, set()
        return {self.resolve(story_id) for story_id in fresh}

    def take_fresh(self, story_ids: Iterable[str]) -> dict[str, set[int]]:
        """story id -> the members it gained since it was last attributed, for those of
        ``story_ids`` (as ``resolve`` names them) that only gained members; forgets them all."""
        out = {}
        for story_id in story_ids:
            members = self._fresh_members.pop(self.resolve(story_id), None)
            if members:
                out[self.resolve(story_id)] = members
        return out

    def _note_member(self, story_id: str, article_id: int | None) -> None:
        """Note a member added to ``story_id`` (None: a change that needs attribution from scratch)."""
        if article_id is None:
            self._fresh_members[story_id] = None
            return
        known = self._fresh_members.setdefault(story_id, set())
        if known is not None:
            known.add(article_id)

    def resolve(self, story_id: str) -> str:
        """The story ``story_id`` now is (itself, or the story that absorbed it in this run)."""
        while story_id in self.merged:
            story_id = self.merged[story_id]
        return story_id

    # -- candidates ---------------------------------------------------------------------------------

    def candidates(self, article: Article, buckets: list[int]) -> tuple[list[Candidate], set[int]]:
        """(the verified candidates of ``article``, best-ranked first; its crowded bucket keys).

        Entries met in ordinary buckets rank before those met only in crowded ones (``bucket_cap``
        entries or more), then by shared buckets, then oldest first; at most ``crowded_candidates``
        of those met only in crowded buckets are kept. Of the first ``max_candidates``, at most
        ``story_candidates`` of one story are verified, and none more once one is a copy of a full
        text. Verification stops after a copy of Jaccard >= ``strong_copy``
        (of a full text: a copy of another teaser says only "the same teaser")."""
        dedup = self.dedup
        keys, ids = self.state.bucket_hits(buckets)
        crowded: set[int] = set()
        if len(ids):
            unique_keys, of_key, sizes = np.unique(keys, return_inverse=True, return_counts=True)
            full = sizes >= dedup.bucket_cap
            crowded = set(unique_keys[full].tolist())
            # an entry met in an ordinary bucket outranks any number of crowded ones
            weights = np.where(full[of_key], 1.0, float(_ORDINARY))
            found, of_id = np.unique(ids, return_inverse=True)
            score = np.bincount(of_id, weights)
            keep = ~np.isin(found, self._skip(article))
            found, score = found[keep], score[keep]
            order = np.lexsort((found, -score))
            # met only in crowded buckets (stock text, or a big story's members): the best few
            crowded_only = np.flatnonzero(score[order] < _ORDINARY)[dedup.crowded_candidates :]
            order = np.delete(order, crowded_only)
            ranked = found[order][: dedup.max_candidates].tolist()
        else:
            ranked = []
        stories = self._stories_of(ranked)
        per_story: Counter[str] = Counter()
        chosen = []
        for candidate_id in ranked:
            story_id = stories.get(candidate_id)
            if story_id is None:
                continue
            per_story[story_id] += 1
            if per_story[story_id] <= dedup.story_candidates:
                chosen.append(candidate_id)
        shingles = self._shingles_of(chosen)
        own = self._own_shingles(article)
        verified: list[Candidate] = []
        settled: set[str] = set()  # stories a member of which is a copy: the rest add nothing
        for candidate_id in chosen:
            other = shingles.get(candidate_id)
            if other is None or stories[candidate_id] in settled:
                continue
            verdict = compare_shingles(own, other, dedup)
            verified.append(Candidate(candidate_id, stories[candidate_id], verdict, other))
            if verdict.relation == "copy" and other.count >= dedup.merge_min_tokens:
                settled.add(stories[candidate_id])
                if verdict.score >= dedup.strong_copy:
                    break
        return verified, crowded

    def _skip(self, article: Article) -> list[int]:
        """Stored entries never candidates of ``article``: those split out, and the entry it updates."""
        skip = list(self.isolated)
        if article.replaces is not None:  # an updated entry is not its own copy
            skip.append(article.replaces)
        return skip

    def _cached(self, ids: list[int]) -> tuple[dict[int, tuple[str, Shingles]], list[int]]:
        """(id -> (story, shingles) of the cached ones, the ids not cached)."""
        found: dict[int, tuple[str, Shingles]] = {}
        missing = []
        for article_id in ids:
            known = self._known.get(article_id)
            if known is None:
                missing.append(article_id)
            else:
                found[article_id] = known
        return found, missing

    def _stories_of(self, ids: list[int]) -> dict[int, str]:
        """id -> its story now (resolved through this run's merges), from the cache or the store."""
        found, missing = self._cached(ids)
        out = {article_id: story_id for article_id, (story_id, _) in found.items()}
        if missing:
            out.update(self.state.story_of(missing))
        return {article_id: self.resolve(story_id) for article_id, story_id in out.items()}

    def _shingles_of(self, ids: list[int]) -> dict[int, Shingles]:
        """id -> shingles of stored articles, from the cache, else from their stored bodies (cached)."""
        found, missing = self._cached(ids)
        out = {article_id: shingles for article_id, (_, shingles) in found.items()}
        if missing:
            for article_id, (story_id, body) in self.state.article_bodies(missing).items():
                shingles = body_shingles(body, self.dedup.shingle_size)
                self._known[article_id] = (story_id, shingles)
                out[article_id] = shingles
        return out

    # -- text.story.StoryLookup -----------------------------------------------------------------------

    def representative(self, story_id: str) -> Representative | None:
        """The story's representative from its sample (``text.story``); None: no full text."""
        story_id = self.resolve(story_id)
        found = self._representatives.get(story_id)
        if found is None:
            sample = self._sample(story_id)
            ids = list(dict.fromkeys([*sample.first, *sample.last]))
            shingles = self._shingles_of(ids)
            sets = [shingles[i].unique for i in ids if i in shingles]
            found = (
                representative(sets[0], sets[1:], self.dedup.core_agreement) if sets else _NO_REPRESENTATIVE
            )
            self._representatives[story_id] = found
        return None if found is _NO_REPRESENTATIVE else found

    def first_ids(self, story_ids: Iterable[str]) -> dict[str, int]:
        return self.state.story_first_ids(self.resolve(s) for s in story_ids)

    def short_members(self, story_id: str) -> list[Shingles] | None:
        """Every member's shingles when all are short texts none of which an editor split out."""
        story_id = self.resolve(story_id)
        if self._sample(story_id).size > SHORT_STORY_MEMBERS or self.representative(story_id) is not None:
            return None
        members = self.state.story_members(story_id)
        if any(member.id in self.isolated for member in members):
            return None
        out = []
        for member in members:
            shingles = self.shingles(member.id) or body_shingles(member.body, self.dedup.shingle_size)
            if shingles.count >= self.dedup.merge_min_tokens:
                return None
            out.append(shingles)
        return out

    def _sample(self, story_id: str) -> StorySample:
        sample = self._samples.get(story_id)
        if sample is None:
            ends = self.dedup.core_members // 2
            sample = self.state.story_sample(story_id, ends, self.dedup.merge_min_tokens)
            self._samples[story_id] = sample
        return sample

    # -- a story grows, merges, or is linked -------------------------------------------------------------

    def _grew(self, story_id: str, article: Article) -> None:
        """Keep the story's cached sample as the store would give it now that ``article`` is in it."""
        sample = self._samples.get(story_id)
        if sample is None:
            self._representatives.pop(story_id, None)
            return
        newest = max([*sample.first, *sample.last], default=0)
        if article.replaces is not None or article.id is None or article.id <= newest:
            self._forget(story_id)  # not simply the newest member: read it again when needed
            return
        first, last = list(sample.first), list(sample.last)
        own = self._own_shingles(article)
        if is_full_text(article.truncated, own.count, self.dedup):
            ends = self.dedup.core_members // 2
            if len(first) < ends:
                first.append(article.id)
            last = [*last, article.id][-ends:]
            self._representatives.pop(story_id, None)
        self._samples[story_id] = StorySample(sample.size + 1, first, last)

    def _forget(self, story_id: str) -> None:
        self._samples.pop(story_id, None)
        self._representatives.pop(story_id, None)

    def _recheck(self, story_id: str, force: bool = False) -> None:
        """At a re-check point of the story's size (or after a merge: ``force``), merge the stories
        linked to it (a merge their cores did not allow when an entry was strongly in both) whose
        cores are one text now."""
        story_id = self.resolve(story_id)
        links = self._links.get(story_id)
        if not links or not self.dedup.merge_stories:
            return
        if not force and not recheck_point(self._sample(story_id).size):
            return
        mine = self.representative(story_id)
        if mine is None:
            return
        for other, bridge in sorted(links.items()):
            other = self.resolve(other)
            theirs = self.representative(other) if other != story_id else None
            self.rechecks += 1
            if theirs is not None and one_text(mine, theirs, self.dedup).same_story:
                keep, gone = oldest_first(self, [story_id, other])
                self._merge(gone, keep, bridge)
                self._recheck(keep, force=True)  # one merge may allow another
                return

    def _link(self, story: str, other: str, bridge: int | None) -> None:
        """Remember that a merge of two stories was blocked (re-checked as either grows)."""
        story, other = self.resolve(story), self.resolve(other)
        if story == other or other in self._links.get(story, {}):
            return
        a, b = sorted((story, other))
        self.state.add_story_link(a, b, bridge)
        self._links.setdefault(a, {})[b] = bridge
        self._links.setdefault(b, {})[a] = bridge

    def _merge(self, absorbed: str, into: str, bridge: int | None) -> None:
        """Move every member of ``absorbed`` into ``into`` (the older story) and keep a tombstone;
        the links of ``absorbed`` become links of ``into``."""
        absorbed, into = self.resolve(absorbed), self.resolve(into)
        if absorbed == into:
            return
        self.state.merge_story(absorbed, into, bridge, self.now)
        self.merged[absorbed] = into
        self._forget(absorbed)
        self._forget(into)
        self._fresh_members.pop(absorbed, None)
        self._fresh_members[into] = None  # its members' relations were to two originals
        for other, link_bridge in self._links.pop(absorbed, {}).items():
            self.state.drop_story_link(*sorted((absorbed, other)))
            self._links.get(other, {}).pop(absorbed, None)
            if other != into:
                self._link(into, other, link_bridge)
            else:
                self._links.get(into, {}).pop(absorbed, None)
        self.touched.add(into)
        self.touched.discard(absorbed)
        self._fresh.add(into)
        self._fresh.discard(absorbed)
        self.absorbed.add(absorbed)
        self.merges += 1

    # -- identity and shingles ------------------------------------------------------------------------

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
