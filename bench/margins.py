"""Margins and assignment: how far apart copies, teasers and negatives lie, and what union would do.

    python bench/margins.py [--seed N] [--fetch]

Runs the pipeline on the quality corpus, reads every stored body back from the state, and compares
every pair of entries that share at least one shingle with the pipeline's own exact ``compare``:
* per truth class (copy pair, teaser pair, different stories), the lowest / highest scores, which
  show the room the thresholds have;
* single-link union of every verified pair (what a simple script would do), scored like syndedup's
  best-match assignment, to show what chaining costs.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.quality import load_corpus, run_syndedup
from bench.score import Cluster, score
from pipeline.config import DedupConfig
from pipeline.store.view import StateView
from pipeline.text.similarity import compare, lead_containment
from pipeline.text.tokens import shingle_hashes, tokenize


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=2001)
    parser.add_argument("--fetch", action="store_true")
    args = parser.parse_args(argv)
    corpus, note = load_corpus(args.fetch, None, args.seed)
    dedup = DedupConfig()
    truth = {(e.feed, e.guid): e for e in corpus.entries}
    with tempfile.TemporaryDirectory() as tmp:
        ours = run_syndedup(corpus, Path(tmp)).scores
        state_file = Path(tmp) / "state" / "syndedup.sqlite"
        db = sqlite3.connect(state_file)
        rows = list(db.execute("SELECT feed, guid, id, published FROM articles ORDER BY published, id"))
        db.close()
        # bodies are stored compressed against their text (a preset dictionary): read them as explain does
        view = StateView(state_file)
        bodies = view.bodies([r[2] for r in rows])
        view.close()
    keys = [(r[0], r[1]) for r in rows]
    tokens = {k: tokenize(bodies[r[2]]) for k, r in zip(keys, rows, strict=True)}
    index: dict[int, list[int]] = defaultdict(list)
    for i, k in enumerate(keys):
        for h in shingle_hashes(tokens[k], dedup.shingle_size).tolist():
            index[h].append(i)
    pairs = {p for ids in index.values() if len(ids) < 200 for p in combinations(ids, 2)}
    stats: dict[str, list[float]] = defaultdict(list)
    parent = list(range(len(keys)))
    worst: list[tuple[float, str]] = []
    weakest: list[tuple[float, str]] = []

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in sorted(pairs):
        a, b = truth[keys[i]], truth[keys[j]]
        ta, tb = tokens[keys[i]], tokens[keys[j]]
        verdict = compare(ta, tb, dedup)
        sa, sb = shingle_hashes(ta, dedup.shingle_size), shingle_hashes(tb, dedup.shingle_size)
        shared = np.intersect1d(sa, sb, assume_unique=True).size
        jaccard = shared / (sa.size + sb.size - shared) if sa.size and sb.size else 0.0
        short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
        short_set = shingle_hashes(short, dedup.shingle_size)
        contain = lead_containment(short, short_set, long_, dedup.shingle_size) if short_set.size else 0.0
        if a.story == b.story:
            kind = "teaser" if "teaser" in (a.role, b.role) else "copy"
            stats[f"{kind} pairs: jaccard"].append(jaccard)
            stats[f"{kind} pairs: lead containment"].append(contain)
            if kind == "teaser" and contain < 0.85:
                weakest.append(
                    (
                        contain,
                        f"{a.story}/{a.role}[{a.feed}] {' '.join(a.kinds[1:3])} ~ "
                        f"{b.role}[{b.feed}] {' '.join(b.kinds[1:3])}",
                    )
                )
        else:
            stats["different stories: jaccard"].append(jaccard)
            if jaccard >= 0.2:
                worst.append(
                    (jaccard, f"jaccard {a.story}/{a.role}[{a.feed}] ~ {b.story}/{b.role}[{b.feed}]")
                )
            stats["different stories: lead containment"].append(contain)
            if contain >= 0.5 and min(len(ta), len(tb)) >= dedup.min_tokens:
                stats["different stories >= min_tokens: lead containment"].append(contain)
                worst.append(
                    (
                        contain,
                        f"{a.story}/{a.role}[{a.feed}] {len(ta)}w ~ {b.story}/{b.role}[{b.feed}] {len(tb)}w",
                    )
                )
        if verdict.same_story:
            parent[find(i)] = find(j)
    print(f"corpus: {note}; seed {args.seed}; {len(keys)} entries; {len(pairs)} pairs sharing a shingle")
    for name, values in sorted(stats.items()):
        v = np.array(values)
        print(
            f"{name:38} n={v.size:6d}  min {v.min():.3f}  p1 {np.percentile(v, 1):.3f}"
            f"  p99 {np.percentile(v, 99):.3f}  max {v.max():.3f}"
        )
    for contain, text in sorted(worst, reverse=True)[:5]:
        print(f"  closest negative pair {contain:.3f}: {text}")
    for contain, text in sorted(weakest)[:5]:
        print(f"  weakest teaser pair {contain:.3f}: {text}")
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(keys)):
        groups[find(i)].append(i)
    clusters = [Cluster(tuple(keys[i] for i in g), keys[g[0]], None) for g in groups.values()]
    union = score(corpus, clusters)
    print("assignment                precision  recall     F1  teaser  false pairs  largest")
    for name, s in (("best match (syndedup)", ours), ("single-link union", union)):
        print(
            f"{name:25} {s.precision:9.4f} {s.recall:7.4f} {s.f1:6.4f} {s.teaser_recall:7.4f}"
            f" {s.false_pairs:12d} {s.largest_cluster:8d}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
