"""Attribute: for each story, pick the canonical entry (the original), name the credited source,
and label every other member a copy or a teaser of it.

* A member is a teaser when it is shorter than the story's longest member and ends like a teaser
  ("...", "Read more"), or when it has at most half its shingles and lies in its lead.
* Every other member is compared with the original (never with the entry it joined through): a
  copy when their Jaccard passes ``copy_threshold``, else a partial reprint (its similarity is then
  the overlap coefficient with the original).
* The credited source is the outlet most members' credit lines name ("Source: Voice of America"),
  with aliases folded to one name, ignoring a member's credit of its own site ("© Daily Planet");
  without a credit line it is the original's feed name.
* The canonical entry is the earliest-published non-teaser member, preferring dated members over
  undated ones (no usable date in the feed), members not cut short ("...") over those that are,
  and then members whose feed *is* the credited source.

A story that only gained members since it was last attributed (``fresh``: no merge, move or update)
and whose longest member and original stay the same keeps its members' relations: only the new
members are compared, so attributing a story of thousands costs its metadata and its newcomers'
shingles, not every member's (issue 25).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping

from pipeline.config import DedupConfig
from pipeline.models import StoredArticle
from pipeline.store import Store
from pipeline.text.credits import AliasTable, is_outlet_name
from pipeline.text.shingles import Shingles
from pipeline.text.similarity import compare_shingles, overlap_coefficient, shingles_lead_containment
from pipeline.text.tokens import body_shingles

# Without a "..." an entry is a teaser only when it has at most half the longest member's shingles:
# an early copy that dropped the last of three paragraphs keeps about 60% and is still a copy
# (measured by bench/quality.py: canonical accuracy 0.9947 -> 1.0 on seeds 1, 2 and 42).
UNCUT_TEASER_RATIO = 0.5


# Shingles already computed for an article id (the Deduplicator's cache), or None.
ShinglesLookup = Callable[[int], "Shingles | None"]


def _no_shingles(_article_id: int) -> Shingles | None:
    return None


def attribute(
    state: Store,
    story_ids: Iterable[str],
    dedup: DedupConfig,
    aliases: AliasTable,
    known: ShinglesLookup = _no_shingles,
    pinned: Collection[int] = frozenset(),
    fresh: Mapping[str, set[int]] | None = None,
) -> None:
    """Recompute canonical entry, credited source and member relations of the given stories.

    ``known`` gives shingles computed earlier in the run, so that members are not re-tokenized.
    ``pinned``: ids of entries an editor made the original (``syndedup story pin``). ``fresh``:
    story id -> its members added since its last attribution, for stories that only gained members
    (the others are attributed from scratch).
    """
    credits = _CreditCache(aliases)  # a run's stories repeat a few outlet names: each read once
    fresh = fresh or {}
    for story_id in sorted(story_ids):
        attribute_story(state, story_id, dedup, credits, known, pinned, fresh.get(story_id))


class _CreditCache:
    """``AliasTable.resolve``, ``AliasTable.names`` and ``is_outlet_name`` remembered per name for one
    ``attribute`` call (the table does not change during it); each took ~50-80 µs of regexes."""

    def __init__(self, aliases: AliasTable) -> None:
        self.aliases = aliases
        self._resolved: dict[str, str] = {}
        self._own: dict[tuple[str, str], bool] = {}
        self._outlet: dict[str, bool] = {}

    def resolve(self, name: str) -> str:
        found = self._resolved.get(name)
        if found is None:
            found = self._resolved[name] = self.aliases.resolve(name)
        return found

    def names(self, credit: str, feed: str) -> bool:
        found = self._own.get((credit, feed))
        if found is None:
            found = self._own[credit, feed] = self.aliases.names(credit, feed)
        return found

    def is_outlet_name(self, name: str) -> bool:
        found = self._outlet.get(name)
        if found is None:
            found = self._outlet[name] = is_outlet_name(name)
        return found


def attribute_story(
    state: Store,
    story_id: str,
    dedup: DedupConfig,
    aliases: AliasTable | _CreditCache,
    known: ShinglesLookup = _no_shingles,
    pinned: Collection[int] = frozenset(),
    fresh: set[int] | None = None,
) -> None:
    """Attribute one story from all its stored members; a ``pinned`` member is the original and its
    feed the credited source, whatever the rules below say (the latest-stored pin if several).
    ``fresh``: the members added since its last attribution, when it only gained members."""
    credits_of = aliases if isinstance(aliases, _CreditCache) else _CreditCache(aliases)
    members = state.story_members(story_id, texts=False)  # oldest first; bodies read when needed
    if not members:  # its only entry moved to another story when updated (or is unreadable)
        state.drop_story(story_id)
        return
    if fresh and _attribute_newcomers(state, story_id, members, fresh, dedup, credits_of, known, pinned):
        return
    if len(members) == 1:  # most stories: nothing to compare, so no shingles needed
        longest, teasers = members[0], set()
        shingles: dict[int, Shingles] = {}
    else:
        shingles = _member_shingles(state, [m.id for m in members], dedup, known)
        longest = max(members, key=lambda m: (m.tokens or shingles[m.id].count, -m.id))
        teasers = {
            m.id
            for m in members
            if m is not longest and _is_teaser(shingles[m.id], shingles[longest.id], m.truncated, dedup)
        }
    canonical, credited = _original(members, teasers, credits_of, pinned)
    relations = {m.id: _relation(m, teasers, shingles, canonical, dedup) for m in members}
    updated = max(m.published for m in members)
    state.set_story(story_id, canonical.id, credited, updated, relations)


def _original(
    members: list[StoredArticle], teasers: set[int], credits_of: _CreditCache, pinned: Collection[int]
) -> tuple[StoredArticle, str]:
    """(the canonical member, the credited source) of a story whose teasers are known (a pinned
    member leaves ``teasers``)."""
    # A site's own sign-off ("© 2001 Daily Planet Media") is not a credit to another outlet; a number
    # or a date stored by an earlier version ("SYDNEY (2805) -" read as "2805") names no outlet.
    credits = [
        credits_of.resolve(m.credit)
        for m in members
        if m.credit and credits_of.is_outlet_name(m.credit) and not credits_of.names(m.credit, m.feed)
    ]
    credited = Counter(credits).most_common(1)[0][0] if credits else None
    full_members = [m for m in members if m.id not in teasers]
    # An entry whose feed gave no usable date is dated when first seen, which says nothing about
    # who published first: it is never the original while a dated entry is there.
    full_members = [m for m in full_members if m.dated] or full_members
    # An entry cut short ("...", "Read more") is never the original while an uncut one is there.
    full_members = [m for m in full_members if not m.truncated] or full_members
    from_credited = [m for m in full_members if credited and credits_of.resolve(m.feed) == credited]
    canonical = (from_credited or full_members)[0]
    pins = [m for m in members if m.id in pinned]
    if pins:
        canonical = max(pins, key=lambda m: m.id)
        credited = credits_of.resolve(canonical.feed)
        teasers.discard(canonical.id)
    if credited is None:
        credited = credits_of.resolve(canonical.feed)
    return canonical, credited


def _attribute_newcomers(
    state: Store,
    story_id: str,
    members: list[StoredArticle],
    fresh: set[int],
    dedup: DedupConfig,
    credits_of: _CreditCache,
    known: ShinglesLookup,
    pinned: Collection[int],
) -> bool:
    """Attribute a story that only gained the ``fresh`` members, comparing only those: when its
    longest member and its original are the ones of its last attribution, every other member's
    relation stands. False (nothing written) when they are not: attribute it from scratch."""
    old = [m for m in members if m.id not in fresh]
    originals = [m for m in old if m.relation == "original"]
    if len(originals) != 1 or len(old) + len(fresh) != len(members) or any(m.id in pinned for m in members):
        return False

    def length(m: StoredArticle) -> tuple[int, int]:
        return (m.tokens, -m.id)

    longest = max(members, key=length)
    if longest.id in fresh or longest is not max(old, key=length):
        return False
    newcomers = [m for m in members if m.id in fresh]
    shingles = _member_shingles(
        state, [longest.id, originals[0].id, *(m.id for m in newcomers)], dedup, known
    )
    teasers = {m.id for m in old if m.relation == "teaser"}
    teasers |= {
        m.id for m in newcomers if _is_teaser(shingles[m.id], shingles[longest.id], m.truncated, dedup)
    }
    canonical, credited = _original(members, teasers, credits_of, pinned)
    if canonical is not originals[0]:
        return False
    relations = {m.id: _relation(m, teasers, shingles, canonical, dedup) for m in newcomers}
    updated = max(m.published for m in members)
    state.set_story(story_id, canonical.id, credited, updated, relations)
    return True


def _relation(
    member: StoredArticle,
    teasers: set[int],
    shingles: dict[int, Shingles],
    canonical: StoredArticle,
    dedup: DedupConfig,
) -> tuple[str, float]:
    """A member's relation to the story's original and its similarity to it."""
    if member.id == canonical.id:
        return ("original", 1.0)
    if member.id in teasers:
        return ("teaser", shingles_lead_containment(shingles[member.id], shingles[canonical.id]))
    # against the original, never a go-between: a copy, or else a partial reprint
    verdict = compare_shingles(shingles[member.id], shingles[canonical.id], dedup)
    if verdict.relation == "copy":
        return ("copy", verdict.score)
    overlap, _ = overlap_coefficient(shingles[member.id], shingles[canonical.id])
    return ("partial", overlap)


def _member_shingles(
    state: Store, ids: list[int], dedup: DedupConfig, known: ShinglesLookup
) -> dict[int, Shingles]:
    """Each member's shingles: from ``known`` (computed earlier in the run), else from its stored
    body (read in one query for those missing)."""
    shingles: dict[int, Shingles] = {}
    for article_id in ids:
        found = known(article_id)
        if found is not None and found.size == dedup.shingle_size:
            shingles[article_id] = found
    missing = [article_id for article_id in ids if article_id not in shingles]
    if missing:
        bodies = state.article_bodies(missing)
        for article_id in missing:
            body = bodies[article_id][1] if article_id in bodies else ""
            shingles[article_id] = body_shingles(body, dedup.shingle_size)
    return {article_id: shingles[article_id] for article_id in ids}


def _is_teaser(short: Shingles, long: Shingles, truncated: bool, dedup: DedupConfig) -> bool:
    if short.count >= long.count:
        return False
    if truncated:
        return True
    if short.unique.size > min(dedup.teaser_max_ratio, UNCUT_TEASER_RATIO) * long.unique.size:
        return False
    return shingles_lead_containment(short, long) >= dedup.teaser_containment
