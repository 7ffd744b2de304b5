"""The naive script a new user would write, measured in the same run as syndedup.

feedparser + datasketch ``MinHashLSH`` at Jaccard 0.5 (128 permutations) on 5-word shingles of the
raw entry text (tags stripped with a regex, lower-cased, split on whitespace), every LSH hit a
merge, clusters the union of all pairs. The story's canonical entry is its earliest member and the
credited source is that member's feed: the obvious choice without credit-line parsing.
"""

from __future__ import annotations

import calendar
import re
from pathlib import Path

import feedparser
from datasketch import MinHash, MinHashLSH

from bench.score import Cluster, Key

_TAG = re.compile(r"<[^>]+>")


def naive_clusters(feed_files: list[tuple[str, Path]]) -> list[Cluster]:
    """Cluster every entry of the given (feed name, file) pairs; a file seen twice adds nothing new."""
    seen: dict[Key, tuple[float, list[str]]] = {}
    for name, path in feed_files:
        for entry in feedparser.parse(path.read_bytes()).entries:
            key = (name, entry.get("id") or entry.get("link"))
            if key in seen:
                continue
            raw = entry.get("content", [{}])[0].get("value") or entry.get("summary", "")
            words = _TAG.sub(" ", raw).lower().split()
            stamp = calendar.timegm(entry.published_parsed) if entry.get("published_parsed") else 0
            seen[key] = (stamp, words)
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    parent: dict[Key, Key] = {k: k for k in seen}

    def find(k: Key) -> Key:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for key, (_, words) in sorted(seen.items(), key=lambda kv: (kv[1][0], kv[0])):
        sketch = MinHash(num_perm=128)
        for i in range(len(words) - 4):
            sketch.update(" ".join(words[i : i + 5]).encode("utf-8"))
        for other in lsh.query(sketch):
            parent[find(other)] = find(key)
        lsh.insert(key, sketch)
    groups: dict[Key, list[Key]] = {}
    for key in seen:
        groups.setdefault(find(key), []).append(key)
    clusters = []
    for members in groups.values():
        first = min(members, key=lambda k: (seen[k][0], k))
        clusters.append(Cluster(tuple(members), first, first[0]))
    return clusters
