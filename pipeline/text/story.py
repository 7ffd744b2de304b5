"""How a new entry is judged against stories: the story's representative and the one decision.

Issue 25: a story used to be compared by the *union* of all the text its members gathered, and every
reprint adds its own site furniture and extra paragraphs, so two stories of one wire story (the
abridged version and the full one, each with its reprints) overlapped 0.24 on real reprints and
stayed apart; the union also grew with every member, and so did the cost of comparing with it.

A story is represented here by a bounded **sample** of its full-text members: its founder (the
first full text it gathered) and its first and latest few others (``[dedup] core_members`` in all).
From the sample come two sets of shingle hashes:

* the **core**: the founder's shingles and the shingles held by ``[dedup] core_agreement`` of the
  sampled members (and at least two). Site furniture and a paragraph some reprints added stay out;
  the story's own text, held by most, stays in. Story merges are gated on the overlap of two cores.
* the **sample union**: every shingle of the sample. A new entry's containment in it is the
  story-level measure (a reprint of a later version may match no single member well).

Both are bounded by the sample, whatever the story's size.

``decide`` is the decision that puts a new entry into a story, given the verdicts against the
candidate members and a ``StoryLookup`` for the representatives. The run (``stages/dedup.py``),
``syndedup rebuild`` (a replay through the same Deduplicator) and ``syndedup explain A B`` all call
it, so that they never decide differently.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from pipeline.config import DedupConfig
from pipeline.text.shingles import Shingles
from pipeline.text.similarity import Verdict, compare_shingles

# Evidence order: a copy beats a partial reprint beats a teaser, whatever the scores.
RANK = {"copy": 3, "partial": 2, "teaser": 1}
# A story of more members than this is never looked at member by member (``StoryLookup.short_members``:
# a story of teasers that missed its full text is a few entries; a bigger one is left alone).
SHORT_STORY_MEMBERS = 64


@dataclass(frozen=True, slots=True)
class Representative:
    """A story's bounded representative: sorted unique shingle hashes (uint32) of its core and of
    its sample's union, and how many full-text members the sample holds."""

    core: np.ndarray
    union: np.ndarray
    sampled: int


def representative(founder: np.ndarray, others: Sequence[np.ndarray], agreement: float) -> Representative:
    """The representative of a story from its founder's and other sampled full-text members'
    sorted unique shingle hashes (``others`` without the founder; at most ``core_members`` - 1):
    its core holds the founder's shingles and those at least ``agreement`` of the sample (and two
    members) hold."""
    if not others:
        return Representative(founder, founder, 1)
    together = np.concatenate([founder, *others])
    values, counts = np.unique(together, return_counts=True)
    held = values[counts >= max(2, math.ceil(agreement * (1 + len(others))))]
    core = np.union1d(founder, held)
    return Representative(core, values, 1 + len(others))


def overlap(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    """(overlap coefficient, shared) of two sorted unique hash arrays: shared / the smaller's size."""
    shared = int(np.intersect1d(a, b, assume_unique=True).size)
    smaller = min(a.size, b.size)
    return (shared / smaller if smaller else 0.0), shared


def story_containment(own: Shingles, rep: Representative, dedup: DedupConfig) -> Verdict:
    """The entry's containment in the story's sample union, as a verdict (a partial reprint of the
    story as a whole at ``story_containment``, with the ``partial_min_shared`` guard)."""
    shared = int(np.intersect1d(own.unique, rep.union, assume_unique=True).size)
    contained = shared / own.unique.size if own.unique.size else 0.0
    threshold = dedup.story_containment
    if contained >= threshold and shared >= dedup.partial_min_shared:
        return Verdict("partial", "story_containment", contained, threshold, shared)
    return Verdict("different", "story_containment", contained, threshold, shared)


def one_text(a: Representative, b: Representative, dedup: DedupConfig) -> Verdict:
    """Whether two stories are one text: their cores overlap by ``story_overlap`` of the smaller
    (overlap coefficient; measure ``core_overlap``).

    Fragments of one story (its abridged and full versions, each with its reprints) share most of
    their cores, which leave out each member's site furniture and added paragraphs: on real
    reprints two such stories' unions overlapped 0.24, the shingles held by two or more members of
    each 0.47. A round-up of two reports, or reprints carrying another story's first paragraphs as
    background, are one member's text (or a few members'): they stay out of the cores. Looking for
    one core in the other story's *union* instead (which drifted version chains need) merged a
    round-up's two stories as soon as the round-up had joined one of them (README "How a story is
    compared": what each rule measured)."""
    score, shared = overlap(a.core, b.core)
    relation = "partial" if score >= dedup.story_overlap else "different"
    return Verdict(relation, "core_overlap", score, dedup.story_overlap, shared)


class StoryLookup(Protocol):
    """What ``decide`` reads about candidate stories (the run's store, or explain's view)."""

    def representative(self, story_id: str) -> Representative | None:
        """The story's representative; None when it holds no full text."""
        ...

    def first_ids(self, story_ids: Iterable[str]) -> dict[str, int]:
        """story id -> its first entry's id (the story started first keeps its GUID on a merge)."""
        ...

    def short_members(self, story_id: str) -> list[Shingles] | None:
        """Every member's shingles when all of them are short texts (under ``merge_min_tokens``);
        None when one is a full text, or the story is too big to look at."""
        ...


@dataclass(frozen=True, slots=True)
class Candidate:
    """A stored member verified against the new entry: its id, story, verdict and shingles."""

    member_id: int
    story_id: str
    verdict: Verdict
    shingles: Shingles

    @property
    def words(self) -> int:
        return self.shingles.count


@dataclass(slots=True)
class Decision:
    """Where a new entry goes: the story, the evidence (member and verdict), the stories it absorbs
    (one text with it), and the stories it is strongly in but that stay apart (with the measure
    that kept them apart: re-checked when either story grows)."""

    story_id: str
    member_id: int
    verdict: Verdict
    absorbed: list[str] = field(default_factory=list)
    blocked: list[tuple[str, Verdict]] = field(default_factory=list)
    # Per candidate story: its evidence (member, verdict), for explain.
    scored: dict[str, tuple[int, Verdict]] = field(default_factory=dict)


def is_full_text(truncated: bool, words: int, dedup: DedupConfig) -> bool:
    """Long enough and not cut short: may count in a story's representative and bridge stories."""
    return not truncated and words >= dedup.merge_min_tokens


def decide(
    own: Shingles,
    truncated: bool,
    candidates: Iterable[Candidate],
    lookup: StoryLookup,
    dedup: DedupConfig,
) -> Decision | None:
    """The story a new entry joins (None: it starts one), from its verified candidates.

    Candidates are grouped by story; each story's evidence is its best member verdict (a copy
    beats a partial beats a teaser), or the entry's containment in the story's representative
    when that is stronger. A full text does not join a story through a teaser member once the story
    holds a full text (the teaser is evidence about that full text; stock leads chained unrelated
    articles this way). A teaser or a short or cut text goes with the full text it was cut from
    (``_decide_short``). When a full text is strongly (copy or partial) in several stories, those
    whose cores are one text with the best story's are absorbed by the oldest of them.
    """
    full_text = is_full_text(truncated, own.count, dedup)
    by_story: dict[str, list[Candidate]] = {}
    long_members: set[int] = set()  # candidates of article length (not teasers or briefs)
    for candidate in candidates:
        if candidate.words >= dedup.merge_min_tokens:
            long_members.add(candidate.member_id)
        if (
            candidate.verdict.relation == "teaser"
            and full_text
            and candidate.words < own.count
            and lookup.representative(candidate.story_id) is not None
        ):
            continue
        by_story.setdefault(candidate.story_id, []).append(candidate)
    if not by_story:
        return None
    scored: dict[str, tuple[int, Verdict]] = {}
    for story_id, found in by_story.items():
        best = max(found, key=_strength)
        evidence = (best.member_id, best.verdict)
        shared = sum(c.verdict.shared for c in found)
        if not best.verdict.strong and full_text and dedup.story_level and shared >= dedup.partial_min_shared:
            rep = lookup.representative(story_id)
            contained = story_containment(own, rep, dedup) if rep is not None else None
            if contained is not None and contained.same_story:
                top = max(found, key=lambda c: (c.verdict.shared, -c.member_id))
                evidence = (top.member_id, contained)
        if evidence[1].same_story:
            scored[story_id] = evidence
    if not scored:
        return None
    if not full_text:
        return _decide_short(by_story, scored, long_members, lookup, own, dedup)
    ranked = sorted(
        scored.items(), key=lambda s: (RANK[s[1][1].relation], s[1][1].score, -s[1][0]), reverse=True
    )
    story_id, (member_id, verdict) = ranked[0]
    decision = Decision(story_id, member_id, verdict, scored=scored)
    strong = [s for s, (_, v) in ranked[1:] if v.strong]
    if dedup.merge_stories and strong and verdict.strong:
        decision.absorbed, decision.blocked = _one_text_with(story_id, strong, lookup, dedup)
        if decision.absorbed:
            decision.story_id, *decision.absorbed = oldest_first(lookup, [story_id, *decision.absorbed])
    return decision


def _strength(candidate: Candidate) -> tuple[int, float, int]:
    return (RANK.get(candidate.verdict.relation, 0), candidate.verdict.score, -candidate.member_id)


def _one_text_with(
    best: str, strong: list[str], lookup: StoryLookup, dedup: DedupConfig
) -> tuple[list[str], list[tuple[str, Verdict]]]:
    """(the strong stories that are one text with ``best``, the others with their core overlap)."""
    mine = lookup.representative(best)
    if mine is None:
        return [], []
    joined: list[str] = []
    blocked: list[tuple[str, Verdict]] = []
    for other in strong:
        theirs = lookup.representative(other)
        if theirs is None:
            continue
        verdict = one_text(mine, theirs, dedup)
        (joined.append(other) if verdict.same_story else blocked.append((other, verdict)))
    return joined, blocked


def oldest_first(lookup: StoryLookup, stories: list[str]) -> list[str]:
    """``stories`` by their first stored entry: the first keeps its GUID and absorbs the rest."""
    first = lookup.first_ids(stories)
    return sorted(stories, key=lambda s: (first.get(s, 1 << 62), s))


def _decide_short(
    by_story: dict[str, list[Candidate]],
    scored: dict[str, tuple[int, Verdict]],
    long_members: set[int],
    lookup: StoryLookup,
    own: Shingles,
    dedup: DedupConfig,
) -> Decision:
    """``decide`` for a teaser or a short or cut text: it belongs with the full text it was cut
    from, so evidence against a member of article length ranks first (a copy of another teaser
    only says "the same teaser"; a story of such teasers may have missed its full text). The
    stories holding only short texts that are each in that full text's story too are the same
    story: the oldest keeps its GUID and absorbs the others. A short text never joins two stories
    that hold full texts (stock leads chain unrelated articles)."""

    def evidence(story_id: str) -> tuple[int, Verdict]:
        found = [c for c in by_story[story_id] if c.member_id in long_members and c.verdict.same_story]
        if not found:
            return scored[story_id]
        best = max(found, key=_strength)
        return best.member_id, best.verdict

    best = {story_id: evidence(story_id) for story_id in scored}
    ranked = sorted(
        best.items(),
        key=lambda s: (s[1][0] in long_members, RANK[s[1][1].relation], s[1][1].score, -s[1][0]),
        reverse=True,
    )
    story_id, (member_id, verdict) = ranked[0]
    decision = Decision(story_id, member_id, verdict, scored=dict(best))
    if dedup.merge_stories and member_id in long_members:
        full = _member_shingles(by_story[story_id], member_id)
        if full is not None:
            teasers_only = [
                other
                for other, (other_member, _) in ranked[1:]
                if other_member not in long_members and _all_in(lookup.short_members(other), full, dedup)
            ]
            if teasers_only:
                decision.story_id, *decision.absorbed = oldest_first(lookup, [story_id, *teasers_only])
    return decision


def _member_shingles(found: list[Candidate], member_id: int) -> Shingles | None:
    return next((c.shingles for c in found if c.member_id == member_id), None)


def _all_in(members: list[Shingles] | None, full: Shingles, dedup: DedupConfig) -> bool:
    """Whether every one of ``members`` (short texts) is in the same story as ``full``."""
    return bool(members) and all(compare_shingles(m, full, dedup).same_story for m in members or ())
