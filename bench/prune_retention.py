"""Time State.prune_stories on a synthetic state: N one-article stories with 74 LSH buckets each
(the bucket count for lsh_threshold=0.3, num_perm=128), of which a share is past retention.

    python bench/prune_retention.py --articles 100000 --old 0.01 --repeat 3

Prints the median seconds of the prune (one transaction) next to a baseline measured in the same
run: a full scan of lsh_buckets (a COUNT with a WHERE on article_id), the cost the delete cannot
go below without an index on article_id. Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.store.sqlite import State, iso

BUCKETS_PER_ARTICLE = 74


def build(path: Path, articles: int, old_share: float) -> None:
    state = State(path)
    rng = random.Random(1)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with state.transaction():
        for start in range(0, articles, 10_000):
            ids = range(start + 1, min(articles, start + 10_000) + 1)
            rows = []
            for i in ids:
                old = rng.random() < old_share
                when = iso(now - timedelta(days=60 if old else 1))
                rows.append((f"s{i}", i, when))
            state.db.executemany(
                "INSERT INTO stories (id, canonical_id, updated) VALUES (?, ?, ?)",
                [(s, i, w) for s, i, w in rows],
            )
            state.db.executemany(
                "INSERT INTO articles (id, feed, entry_key, guid, link, title, published, dated,"
                " first_seen, truncated, tokens, text, body, story_id)"
                " VALUES (?, 'f', ?, ?, '', '', ?, 1, ?, 0, 0, x'', x'', ?)",
                [(i, f"k{i}", f"g{i}", w, w, s) for s, i, w in rows],
            )
            state.db.executemany(
                "INSERT INTO signatures (article_id, params_id, full, lead) VALUES (?, 1, x'', x'')",
                [(i,) for i in ids],
            )
            state.db.executemany(
                "INSERT OR IGNORE INTO lsh_buckets (bucket, article_id) VALUES (?, ?)",
                [(rng.getrandbits(62), i) for i in ids for _ in range(BUCKETS_PER_ARTICLE)],
            )
    state.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--old", type=float, default=0.01, help="share of stories past retention")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="syndedup-bench-"))
    try:
        master = folder / "master.sqlite"
        build(master, args.articles, args.old)
        prune_times, scan_times, pruned = [], [], 0
        for run in range(args.repeat):
            copy = folder / f"run{run}.sqlite"
            shutil.copy(master, copy)
            state = State(copy)
            started = time.perf_counter()
            state.db.execute("SELECT COUNT(*) FROM lsh_buckets WHERE article_id < 0").fetchone()
            scan_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            with state.transaction():
                pruned = state.prune_stories(datetime(2025, 12, 1, tzinfo=UTC))
            prune_times.append(time.perf_counter() - started)
            state.close()
            copy.unlink()
        rows = args.articles * BUCKETS_PER_ARTICLE
        print(f"articles={args.articles} lsh_rows={rows} pruned_stories={pruned}")
        print(f"baseline full scan of lsh_buckets: median {statistics.median(scan_times):.3f} s")
        print(f"prune_stories (one transaction):   median {statistics.median(prune_times):.3f} s")
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
