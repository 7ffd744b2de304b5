"""Parse time of the feedparser corpus with feedparser's HTML sanitizer on and off.

Prints the median of 3 passes for each setting (seconds, whole corpus). Numbers are printed, never
asserted. Run: PYTHONPATH=. python bench/sanitize_parse.py [corpus folder]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import feedparser


def main() -> None:
    root = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).resolve().parents[2] / "shared/corpora/feedparser"
    )
    bodies = [p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()]
    for sanitize in (True, False):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            for body in bodies:
                feedparser.parse(body, sanitize_html=sanitize)
            times.append(time.perf_counter() - start)
        print(f"sanitize_html={sanitize}: median {statistics.median(times):.2f} s for {len(bodies)} files")


if __name__ == "__main__":
    main()
