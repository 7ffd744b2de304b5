"""How like real reprints the wire corpus is, and how detection scores on each of its kinds.

``wire_statistics`` measures the corpus (bench/wire.py) against the issue's numbers for real
reprints (``REAL``); ``breakdown`` scores predicted stories per kind: recall of pairs across
versions, within a version, of short texts, of a site's repeats and of one-entry feeds; false
pairs between same-event stories and between short texts sharing a headline.
"""

from __future__ import annotations

import statistics
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from bench.corpus import Entry
from bench.reprints import OUTLETS, shingles, words_of
from bench.score import Cluster
from bench.wire import WireCorpus

# The numbers for real reprints (issue 25; issue 13 for containment): word 5-shingles for
# Jaccard and containment against the story's original; the pipeline's word 4-shingles for the
# overlap coefficients of two version-stories' unions and of their cores (shingles held by >= 2 members).
REAL = {
    "jaccard_median": 0.5,
    "containment_median": 0.67,
    "union_overlap": 0.24,
    "core_overlap": 0.47,
    "short_edits_per_41_words": 6.0,
}
BIG_GROUP = 8  # version groups of at least this many members (the case: 22 and 68)

Quartiles = tuple[float, float, float]


def tag(entry: Entry, prefix: str) -> str | None:
    """The value of the entry's first kind starting with ``prefix`` ("typos-6" -> "6")."""
    return next((k[len(prefix) :] for k in entry.kinds if k.startswith(prefix)), None)


def version(entry: Entry) -> str:
    """The version an entry comes from: "A" (abridged), "F" (full) or "W" (write-thru)."""
    return (tag(entry, "v=") or "F")[:1]


def version_kind(entry: Entry) -> str:
    """``version`` with an abridged version's kind: "A trimmed", "A early", "F", "W"."""
    found = tag(entry, "v=") or "F"
    return f"{found[:1]} {found[1:]}" if found[1:] else found


def _text(entry: Entry) -> str:
    return "\n".join(entry.paragraphs)


def _quartiles(values: list[float]) -> Quartiles:
    if len(values) < 2:
        return (values[0],) * 3 if values else (0.0, 0.0, 0.0)
    q = statistics.quantiles(values, n=4)
    return (q[0], q[1], q[2])


def _overlap(a: set[int], b: set[int]) -> float:
    """Overlap coefficient |a & b| / min(|a|, |b|), the pipeline's measure for merging stories."""
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def shingles4(text: str) -> set[int]:
    """Word 4-shingles (the pipeline's default ``shingle_size``) as CRC-32 values."""
    words = words_of(text)
    return {zlib.crc32(" ".join(words[i : i + 4]).encode()) for i in range(len(words) - 3)}


def core(sets: list[set[int]]) -> set[int]:
    """Shingles held by two or more of ``sets``."""
    seen: Counter[int] = Counter()
    for s in sets:
        seen.update(s)
    return {k for k, n in seen.items() if n >= 2}


@dataclass(slots=True)
class Similarity:
    """Jaccard and containment quartiles of ``count`` reprints against a source text."""

    jaccard: Quartiles
    containment: Quartiles
    count: int


@dataclass(slots=True)
class Overlaps:
    """Median overlap coefficients of version-group pairs: unions, cores; ``pairs`` measured."""

    union: float
    core: float
    pairs: int


@dataclass(slots=True)
class WireStats:
    """How the corpus compares with the real data (see ``REAL``)."""

    vs_original: Similarity  # full-text reprints vs their story's full version
    vs_version: Similarity  # ... vs the version they were made from
    overlaps: dict[str, Overlaps]  # "all", "A-F", "F-W", "A-W", "both >= 8 members"
    feeds: dict[str, int]  # republisher feeds by entries: "1", "2", "3-5", "6-20", ">20"; "largest"
    one_entry_share: float  # share of republished entries that stand on a one-entry feed
    short_edits_per_41: float  # median typo edits per 41 words of the short reprints
    counts: dict[str, int] = field(default_factory=dict)


def _similarity(wire: WireCorpus, by_version: bool) -> Similarity:
    cache: dict[tuple[str, str], set[int]] = {}
    jaccards, containments = [], []
    for entry in wire.corpus.entries:
        if entry.role != "copy" or "short" in entry.kinds:
            continue
        key = (entry.story, version(entry) if by_version else "full")
        if key not in cache:
            paragraphs = wire.versions[key] if by_version else wire.full[entry.story]
            cache[key] = shingles("\n".join(paragraphs))
        source, mine = cache[key], shingles(_text(entry))
        common = len(source & mine)
        jaccards.append(common / len(source | mine) if source | mine else 0.0)
        containments.append(common / len(source) if source else 0.0)
    return Similarity(_quartiles(jaccards), _quartiles(containments), len(jaccards))


def _overlaps(wire: WireCorpus) -> dict[str, Overlaps]:
    """Version groups: a story's full-text entries by the version they come from (its original in
    the full version's). Pairs of groups of >= 2 members each (a core needs two)."""
    groups: dict[str, dict[str, list[set[int]]]] = defaultdict(lambda: defaultdict(list))
    for entry in wire.corpus.entries:
        if entry.role != "teaser" and "short" not in entry.kinds:
            groups[entry.story][version(entry)].append(shingles4(_text(entry)))
    found: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for by_label in groups.values():
        for a, b in combinations(sorted(by_label), 2):
            sets_a, sets_b = by_label[a], by_label[b]
            if len(sets_a) < 2 or len(sets_b) < 2:
                continue
            measured = (
                _overlap(set().union(*sets_a), set().union(*sets_b)),
                _overlap(core(sets_a), core(sets_b)),
            )
            found["all"].append(measured)
            found[f"{a}-{b}"].append(measured)
            if min(len(sets_a), len(sets_b)) >= BIG_GROUP:
                found[f"both >= {BIG_GROUP} members"].append(measured)
    keys = ("all", "A-F", "F-W", "A-W", f"both >= {BIG_GROUP} members")
    return {
        k: Overlaps(
            statistics.median(u for u, _ in found[k]) if found[k] else 0.0,
            statistics.median(c for _, c in found[k]) if found[k] else 0.0,
            len(found[k]),
        )
        for k in keys
    }


def _bucket(count: int) -> str:
    if count <= 2:
        return str(count)
    return "3-5" if count <= 5 else "6-20" if count <= 20 else ">20"


def wire_statistics(wire: WireCorpus) -> WireStats:
    """Jaccard/containment quartiles of full-text reprints (word 5-shingles, furniture and credit
    lines included) vs their story's full version and vs their own version; median overlap
    coefficients of the version groups' unions and cores (word 4-shingles); feed sizes; counts."""
    corpus = wire.corpus
    per_feed = Counter(e.feed for e in corpus.entries if e.feed not in OUTLETS)
    buckets = Counter(_bucket(n) for n in per_feed.values())
    feeds = {k: buckets[k] for k in ("1", "2", "3-5", "6-20", ">20")}
    feeds["largest"] = max(per_feed.values(), default=0)
    republished = [e for e in corpus.entries if e.feed not in OUTLETS]
    one = sum(per_feed[e.feed] == 1 for e in republished) / len(republished) if republished else 0.0
    typos = [
        int(t) * 41 / len(wire.full[e.story][0].split())
        for e in corpus.entries
        if (t := tag(e, "typos-")) is not None
    ]
    counts = Counter(wire.counts)
    counts["entries"] = len(corpus.entries)
    counts["stories"] = len({e.story for e in corpus.entries})
    counts["stories of more than one entry"] = sum(
        n > 1 for n in Counter(e.story for e in corpus.entries).values()
    )
    for entry in corpus.entries:
        counts[{"original": "originals", "copy": "reprints", "teaser": "teasers"}[entry.role]] += 1
        counts["with context paragraphs"] += any(k.startswith("context-") for k in entry.kinds)
        counts["with furniture"] += any(k.startswith("furniture-") for k in entry.kinds)
    counts["same-event story pairs"] = len(wire.partners)
    counts["headline groups"] = len(wire.headline_groups)
    counts["short stories sharing a headline"] = sum(len(g) for g in wire.headline_groups)
    counts["republisher feeds"] = len(per_feed)
    return WireStats(
        _similarity(wire, by_version=False),
        _similarity(wire, by_version=True),
        _overlaps(wire),
        feeds,
        one,
        statistics.median(typos) if typos else 0.0,
        dict(counts),
    )


# -- per-kind scores --------------------------------------------------------------------------------


@dataclass(slots=True)
class Breakdown:
    """Pair recall by kind, (pairs found, true pairs) each, and false pairs between stories that must
    stay apart."""

    cross_version: tuple[int, int] = (0, 0)  # pairs of one story from two versions
    by_versions: dict[str, tuple[int, int]] = field(default_factory=dict)  # ... by the two versions' kinds
    same_version: tuple[int, int] = (0, 0)
    short_pairs: tuple[int, int] = (0, 0)  # pairs of a short text and its republications
    repeat_pairs: tuple[int, int] = (0, 0)  # pairs with an entry of a site that repeats the story
    one_entry_pairs: tuple[int, int] = (0, 0)  # pairs with an entry of a one-entry feed
    same_event_false: int = 0  # predicted pairs between a story and its same-event partner
    same_event_merged: int = 0  # same-event story pairs with any such pair
    headline_false: int = 0  # predicted pairs between different short texts sharing a headline
    short_false: int = 0  # predicted pairs between a short text's entry and another story's


def breakdown(wire: WireCorpus, clusters: list[Cluster]) -> Breakdown:
    """Per-kind recall and false pairs of predicted ``clusters`` (bench/score.py's)."""
    corpus = wire.corpus
    where = {key: i for i, c in enumerate(clusters) for key in c.members}

    def cluster(entry: Entry) -> int:
        return where[(entry.feed, entry.guid)]

    by_story: dict[str, list[Entry]] = defaultdict(list)
    by_cluster: dict[int, list[Entry]] = defaultdict(list)
    for entry in corpus.entries:
        by_story[entry.story].append(entry)
        by_cluster[cluster(entry)].append(entry)
    per_feed = Counter(e.feed for e in corpus.entries)
    tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for members in by_story.values():
        for a, b in combinations(members, 2):
            hit = int(cluster(a) == cluster(b))
            if "short" in a.kinds:
                kinds = ["short_pairs"]
            elif version(a) == version(b):
                kinds = ["same_version"]
            else:
                kinds = ["cross_version", " / ".join(sorted((version_kind(a), version_kind(b))))]
            if any(k.startswith("repeat-") for k in (*a.kinds, *b.kinds)):
                kinds.append("repeat_pairs")
            if per_feed[a.feed] == 1 or per_feed[b.feed] == 1:
                kinds.append("one_entry_pairs")
            for kind in kinds:
                tallies[kind][0] += hit
                tallies[kind][1] += 1
    out = Breakdown(
        **{kind: (hit, total) for kind, (hit, total) in tallies.items() if kind.isidentifier()},
        by_versions={kind: (hit, total) for kind, (hit, total) in sorted(tallies.items()) if "/" in kind},
    )

    def false_pairs(a: str, b: str) -> int:
        theirs = Counter(cluster(e) for e in by_story[b])
        return sum(theirs[cluster(e)] for e in by_story[a])

    for a, b in wire.partners:
        found = false_pairs(a, b)
        out.same_event_false += found
        out.same_event_merged += found > 0
    for group in wire.headline_groups:
        out.headline_false += sum(false_pairs(a, b) for a, b in combinations(group, 2))
    for members in by_cluster.values():
        stories = Counter(e.story for e in members)
        short = [n for s, n in stories.items() if s.startswith("t")]
        # pairs of a short text's entry with another story's entry, each pair once
        out.short_false += sum(n * (len(members) - n) for n in short) - sum(
            a * b for a, b in combinations(short, 2)
        )
    return out
