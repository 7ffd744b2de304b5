"""Score predicted stories against the corpus truth: pairwise P/R/F1, teasers, attribution."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from bench.corpus import Corpus, Entry

Key = tuple[str, str]  # (feed, guid)


@dataclass(frozen=True, slots=True)
class Cluster:
    """A predicted story: its members, its canonical member and the outlet it is credited to."""

    members: tuple[Key, ...]
    canonical: Key
    credited: str | None


@dataclass(slots=True)
class Scores:
    precision: float = 0.0
    recall: float = 0.0
    f1: float = 0.0
    teaser_recall: float = 0.0
    teasers: int = 0
    true_pairs: int = 0
    predicted_pairs: int = 0
    false_pairs: int = 0
    false_boilerplate: int = 0
    false_tiny: int = 0
    credited_accuracy: float = 0.0
    canonical_accuracy: float = 0.0
    stories_scored: int = 0
    clusters: int = 0
    teaser_only: int = 0
    credit_lines: int = 0
    credit_lines_read: float = 0.0
    largest_cluster: int = 0
    failures: list[str] = field(default_factory=list)


def clusters_from_report(path: Path) -> list[Cluster]:
    """Read syndedup's clusters report (JSON Lines)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        story = json.loads(line)
        if "merged_into" in story:  # the tombstone of a story absorbed by another: no members
            continue
        members = tuple((m["feed"], m["guid"]) for m in story["members"])
        canonical = next((m["feed"], m["guid"]) for m in story["members"] if m["link"] == story["canonical"])
        out.append(Cluster(members, canonical, story["credited_source"]))
    return out


def score(corpus: Corpus, clusters: list[Cluster]) -> Scores:
    """Compare predicted clusters with the truth; every entry must be in exactly one cluster."""
    entries: dict[Key, Entry] = {(e.feed, e.guid): e for e in corpus.entries}
    where: dict[Key, int] = {}
    for index, cluster in enumerate(clusters):
        for key in cluster.members:
            where[key] = index
    missing = [k for k in entries if k not in where]
    if missing:
        raise ValueError(f"{len(missing)} entries are in no cluster, e.g. {missing[0]}")
    truth: dict[str, list[Key]] = defaultdict(list)
    for key, entry in entries.items():
        truth[entry.story].append(key)
    true_pairs = {frozenset(p) for keys in truth.values() for p in combinations(keys, 2)}
    predicted = {frozenset(p) for c in clusters for p in combinations(c.members, 2)}
    s = Scores(true_pairs=len(true_pairs), predicted_pairs=len(predicted), clusters=len(clusters))
    s.largest_cluster = max((len(c.members) for c in clusters), default=0)
    hit = len(true_pairs & predicted)
    s.precision = hit / len(predicted) if predicted else 1.0
    s.recall = hit / len(true_pairs) if true_pairs else 1.0
    s.f1 = 2 * s.precision * s.recall / (s.precision + s.recall) if hit else 0.0
    for pair in sorted(predicted - true_pairs, key=sorted):
        a, b = (entries[k] for k in sorted(pair))
        s.false_pairs += 1
        if a.feed == b.feed and a.footer and b.footer:
            s.false_boilerplate += 1
        elif a.tiny or b.tiny:
            s.false_tiny += 1
        if len(s.failures) < 400:
            s.failures.append(f"FALSE MERGE {a.story}/{a.role}[{a.feed}] + {b.story}/{b.role}[{b.feed}]")
    originals = corpus.canonical
    teasers = [e for e in entries.values() if e.role == "teaser" and originals[e.story] != (e.feed, e.guid)]
    s.teasers = len(teasers)
    found = 0
    for teaser in teasers:
        if where[(teaser.feed, teaser.guid)] == where[originals[teaser.story]]:
            found += 1
        else:
            s.failures.append(f"MISSED TEASER {teaser.story} [{teaser.feed}] {' '.join(teaser.kinds)}")
    s.teaser_recall = found / len(teasers) if teasers else 1.0
    for story, keys in truth.items():
        for key in keys:
            entry = entries[key]
            if entry.role == "copy" and where[key] != where[originals[story]]:
                s.failures.append(f"MISSED COPY {story} [{entry.feed}] {' '.join(entry.kinds)}")
    credited = canonical = 0
    multi = [(story, keys) for story, keys in truth.items() if len(keys) > 1]
    # A story seen only as teasers has no full text: any member may stand for it.
    s.teaser_only = sum(all(entries[k].role == "teaser" for k in keys) for _, keys in multi)
    for story, keys in multi:
        votes = Counter(where[k] for k in keys)
        best = max(votes, key=lambda i: (votes[i], i == where[originals[story]]))
        cluster = clusters[best]
        origin = corpus.credited[story]
        teasers_only = all(entries[k].role == "teaser" for k in keys)
        uncredited = not any(
            k.startswith(("credit:", "inline", "trailing")) for x in keys for k in entries[x].kinds
        )
        # Seen only as uncredited teasers, a story may stand under any member's feed.
        if cluster.credited == origin or (
            teasers_only and uncredited and cluster.credited in {f for f, _ in keys}
        ):
            credited += 1
        else:
            s.failures.append(f"CREDIT {story}: got {cluster.credited!r}, want {origin!r}")
        if all(entries[k].role == "teaser" for k in keys) or cluster.canonical == originals[story]:
            canonical += 1
        else:
            got = entries[cluster.canonical]
            s.failures.append(f"CANONICAL {story}: got {got.role}[{got.feed}] {' '.join(got.kinds)}")
    s.stories_scored = len(multi)
    s.credited_accuracy = credited / len(multi) if multi else 1.0
    s.canonical_accuracy = canonical / len(multi) if multi else 1.0
    return s
