"""Sweep one [dedup] tunable at a time on the quality corpus; one line of scores per value.

    python bench/sweep.py                       # every tunable, seed 2001, no download needed
    python bench/sweep.py --seed 1 --fetch      # another corpus, with the non-Latin texts

The defaults in pipeline/config.py are the values this sweep chose (see bench/README.md).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.quality import load_corpus, run_syndedup

GRID: dict[str, tuple[float | int, ...]] = {
    "shingle_size": (3, 4, 5),
    "lead_tokens": (25, 40, 60),
    "lsh_threshold": (0.2, 0.3, 0.5),
    "copy_threshold": (0.3, 0.4, 0.5, 0.6, 0.7),
    "teaser_containment": (0.5, 0.6, 0.7, 0.8, 0.9),
    "teaser_max_ratio": (0.4, 0.6, 0.8),
    "min_tokens": (4, 8, 12),
    "boilerplate_min_entries": (2, 3, 5),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=2001)
    parser.add_argument("--fetch", action="store_true", help="include the non-Latin texts (downloads once)")
    parser.add_argument("--only", help="sweep only this tunable")
    args = parser.parse_args(argv)
    corpus, note = load_corpus(args.fetch, None, args.seed)
    print(f"corpus: {note}; seed {args.seed}; {len(corpus.entries)} entries")
    print("tunable                  value     P       R       F1   teaser  FM  boil  credit  canon")
    for key, values in GRID.items():
        if args.only and key != args.only:
            continue
        for value in values:
            with tempfile.TemporaryDirectory(prefix="syndedup-sweep-") as tmp:
                s = run_syndedup(corpus, Path(tmp), {key: value}).scores
            print(
                f"{key:24} {value!s:>5}  {s.precision:.4f} {s.recall:.4f} {s.f1:.4f} {s.teaser_recall:.4f}"
                f" {s.false_pairs:3d} {s.false_boilerplate:4d}"
                f"  {s.credited_accuracy:.4f} {s.canonical_accuracy:.4f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
