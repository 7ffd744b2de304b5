"""What parsing makes of the feedparser corpus, and how two versions differ: errors, entries, keys,
titles, texts and links of every file, and the seconds spent in ``parse_feed``. Nothing is asserted.

Dump with the ``pipeline`` on the path, once per version (another version: ``git archive REV pipeline``
into a folder, and that folder first on PYTHONPATH), then compare the dumps:

    PYTHONPATH=/tmp/main python bench/parse_corpus.py dump /tmp/before.json
    PYTHONPATH=. python bench/parse_corpus.py dump /tmp/after.json
    python bench/parse_corpus.py diff /tmp/before.json /tmp/after.json [--show 6]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "feedparser"
FIELDS = ("key", "title", "text", "link")


def dump(corpus: Path, out: Path) -> None:
    from pipeline.config import FeedConfig
    from pipeline.models import FetchResult
    from pipeline.sources.fetch import FetchError, read_file
    from pipeline.sources.parse import parse_feed

    now = datetime(2024, 1, 1, tzinfo=UTC)
    files: dict[str, Any] = {}
    seconds = 0.0
    for path in sorted(p for p in corpus.rglob("*") if p.is_file()):
        name = str(path.relative_to(corpus))
        try:
            raw = read_file(str(path), 10_000_000)
        except FetchError as exc:
            files[name] = {"error": exc.message, "entries": []}
            continue
        result = FetchResult(feed="corpus", url=str(path))
        start = time.perf_counter()
        parse_feed(raw, FeedConfig("corpus", str(path)), now, result)
        seconds += time.perf_counter() - start
        entries = [(a.entry_key, a.title, a.raw_html, a.link) for a in result.articles]
        files[name] = {"error": result.error, "entries": entries}
    out.write_text(json.dumps({"seconds": seconds, "files": files}), encoding="utf-8")
    print(f"{len(files)} files parsed in {seconds:.2f} s (parse_feed only) -> {out}")


def diff(before_path: Path, after_path: Path, show: int) -> None:
    before = json.loads(before_path.read_text(encoding="utf-8"))
    after = json.loads(after_path.read_text(encoding="utf-8"))
    a, b = before["files"], after["files"]
    print(f"parse_feed seconds: {before['seconds']:.2f} -> {after['seconds']:.2f}")
    errors = [sum(bool(v["error"]) for v in files.values()) for files in (a, b)]
    print(f"files with an error: {errors[0]} -> {errors[1]}")
    for name in sorted(a):
        if bool(a[name]["error"]) != bool(b.get(name, {}).get("error")):
            print(f"  error changed: {name}: {a[name]['error']!r} -> {b[name]['error']!r}")
    counts = {field: 0 for field in ("entries", *FIELDS)}
    shown = {field: 0 for field in counts}
    for name in sorted(a):
        old, new = a[name]["entries"], b.get(name, {}).get("entries", [])
        if len(old) != len(new):
            counts["entries"] += 1
            if shown["entries"] < show:
                shown["entries"] += 1
                print(f"  entries {name}: {len(old)} -> {len(new)}")
            continue
        for x, y in zip(old, new, strict=True):
            for index, field in enumerate(FIELDS):
                if x[index] != y[index]:
                    counts[field] += 1
                    if shown[field] < show:
                        shown[field] += 1
                        print(f"  {field} {name}: {x[index]!r:.90} -> {y[index]!r:.90}")
    print("files whose entry count changed, and entries whose field changed:", counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    dumping = commands.add_parser("dump")
    dumping.add_argument("out", type=Path)
    dumping.add_argument("--corpus", type=Path, default=CORPUS)
    comparing = commands.add_parser("diff")
    comparing.add_argument("before", type=Path)
    comparing.add_argument("after", type=Path)
    comparing.add_argument("--show", type=int, default=6)
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.corpus, args.out)
    else:
        diff(args.before, args.after, args.show)


if __name__ == "__main__":
    main()
