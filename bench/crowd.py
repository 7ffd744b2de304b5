"""Cost under crowding and under near-identical copies (issue 25): numbers printed, nothing asserted.

    python bench/crowd.py                        # 40,000 articles a load; copies 2,000 / 4,000 / 8,000
    python bench/crowd.py --quick                # 8,000 articles; copies 1,000 / 2,000 / 4,000
    python bench/crowd.py --part copies --copies 2000,4000,8000,16000
    python bench/crowd.py --before /tmp/main --repeat 3   # an older checkout on the same files

Part 1, **crowding**: ``--articles`` unrelated articles built only from a pool of ``POOL_SENTENCES``
real sentences (NewsArticles and Lee) kept verbatim, so that thousands of articles share a lead and
every sentence stands in hundreds of articles, as wire text and stock paragraphs do; against the same
number of ordinary unrelated articles (real lengths, real paragraphs with one word in four replaced,
as bench/throughput.py's realistic load makes its originals). Each article is a story of its own:
every merge is a false one.

Part 2, **near-identical copies**: N copies of one real article of about 500 words, each with 3% of
its words replaced by other corpus words (at positions of its own), for each N of ``--copies``: all
of them are one story; the time of each doubling shows whether an entry's cost grows with its story.

Both write 100 entries per full-content RSS file (bench/throughput.py's format), and each run is
the real pipeline (``pipeline.runner.run``) on an empty state in a fresh subprocess (bench/throughput.py's
child: seconds, stage seconds, peak RSS, CPU seconds); ``--before`` runs the child with an older
checkout first on its path, on the same files, in the same invocation; ``--repeat K`` shows the
median of K runs. The stories come from the clusters report.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.throughput import REPO, _child, _item, _markup, _real_text, _write_feeds, perturbed_paragraphs

POOL_SENTENCES = 2100  # the crowded load: ~2,100 real sentences kept verbatim
PER_FEED = 100  # entries per RSS file
COPY_WORDS = 500  # the near-identical copies' article: the real article closest to this many words
COPY_SWAPPED = 0.03  # share of its words each copy replaces
START = datetime(2024, 1, 1, tzinfo=UTC)


# -- loads ----------------------------------------------------------------------------------------


def sentence_pool(rng: random.Random, count: int = POOL_SENTENCES) -> list[str]:
    """``count`` distinct real sentences of 8-45 words (NewsArticles and the Lee corpus)."""
    from bench.sources import lee_background, news_articles, news_sentences

    texts = [" ".join(a.paragraphs) for a in news_articles()]
    texts += [" ".join(a.paragraphs) for a in lee_background()]
    found = sorted({s for t in texts for s in news_sentences(t) if 8 <= len(s.split()) <= 45})
    return rng.sample(found, count)


def _paragraphs_of(sentences: list[str]) -> list[str]:
    """Sentences grouped into paragraphs of 30 words or more, as news sites break them."""
    out: list[str] = []
    current: list[str] = []
    for sentence in sentences:
        current.append(sentence)
        if sum(len(s.split()) for s in current) >= 30:
            out.append(" ".join(current))
            current = []
    if current:
        out.append(" ".join(current))
    return out


RealText = tuple[list[str], list[int], list[str]]  # bench/throughput.py's _real_text()


def write_crowd(folder: Path, articles: int, real: RealText, pool: list[str] | None, seed: int = 1) -> Path:
    """``articles`` unrelated articles of real lengths (capped at 1,500 words), 100 a feed file:
    made of ``pool`` sentences kept verbatim (crowded), or without a pool of real paragraphs with one
    word in ``PERTURB_EVERY`` replaced (plain). Returns the config path."""
    rng = random.Random(seed)
    paragraphs, lengths, tokens = real
    feeds = max(1, -(-articles // PER_FEED))
    items: list[list[str]] = [[] for _ in range(feeds)]
    for index in range(articles):
        target = min(rng.choice(lengths), 1500)
        body: list[str] = []
        count = 0
        if pool:
            picked: list[str] = []
            for sentence in rng.sample(pool, 80):  # 80 sentences hold more than 1,500 words
                picked.append(sentence)
                count += len(sentence.split())
                if count >= target:
                    break
            body = _paragraphs_of(picked)
        else:
            body = perturbed_paragraphs(rng, paragraphs, tokens, target)
        feed = index // PER_FEED
        title = " ".join(body[0].split()[:9])
        published = START + timedelta(minutes=index)
        items[feed].append(_item(feed, index, published, body[0], _markup(rng, feed, body), title))
    return _write_feeds(folder, items)


def copy_source() -> tuple[str, list[str]]:
    """(title, paragraphs) of the real article whose length is closest to ``COPY_WORDS`` words
    (NewsArticles, the lowest article id among equals)."""
    from bench.sources import news_articles

    best = min(
        news_articles(),
        key=lambda a: (abs(sum(len(p.split()) for p in a.paragraphs) - COPY_WORDS), a.article_id),
    )
    return best.title, list(best.paragraphs)


def write_copies(folder: Path, copies: int, real: RealText, seed: int = 1) -> Path:
    """``copies`` copies of ``copy_source()``, each with ``COPY_SWAPPED`` of its words replaced by
    random corpus words at positions of its own, 100 a feed file. Returns the config path."""
    rng = random.Random(seed)
    title, paragraphs = copy_source()
    _, _, tokens = real
    split = [p.split() for p in paragraphs]
    where = [(i, j) for i, words in enumerate(split) for j in range(len(words))]
    swaps = round(COPY_SWAPPED * len(where))
    feeds = max(1, -(-copies // PER_FEED))
    items: list[list[str]] = [[] for _ in range(feeds)]
    for index in range(copies):
        words = [list(w) for w in split]
        for i, j in rng.sample(where, swaps):
            words[i][j] = rng.choice(tokens)
        body = [" ".join(w) for w in words]
        feed = index // PER_FEED
        published = START + timedelta(minutes=index)
        items[feed].append(_item(feed, index, published, body[0], _markup(rng, feed, body), title))
    return _write_feeds(folder, items)


# -- runs -----------------------------------------------------------------------------------------


def story_sizes(folder: Path) -> list[int]:
    """Members of each story in the run's clusters report, largest first."""
    sizes = []
    for line in (folder / "out" / "clusters.jsonl").read_text(encoding="utf-8").splitlines():
        story = json.loads(line)
        if "merged_into" not in story:  # an absorbed story's tombstone
            sizes.append(len(story["members"]))
    return sorted(sizes, reverse=True)


def measure(folder: Path, config: Path, code: Path, repeat: int) -> dict:
    """``repeat`` runs on an empty state; the one of median seconds, with every run's seconds
    (``all``) and its stories' sizes (``sizes``)."""
    runs = []
    for _ in range(repeat):
        shutil.rmtree(folder / "state", ignore_errors=True)
        shutil.rmtree(folder / "out", ignore_errors=True)
        result = _child("run", str(config), code=code)
        result["sizes"] = story_sizes(folder)
        runs.append(result)
    runs.sort(key=lambda r: r["seconds"])
    median = runs[len(runs) // 2]
    median["all"] = [r["seconds"] for r in runs]
    return median


def _seconds(run: dict) -> str:
    each = ", ".join(f"{s:.1f}" for s in run["all"]) if len(run["all"]) > 1 else ""
    return f"{run['seconds']:.1f}" + (f" ({each})" if each else "")


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def crowding(root: Path, articles: int, builds: list[tuple[str, Path]], repeat: int) -> list[str]:
    """Part 1: the plain and the crowded load, each build; returns the printed lines."""
    real = _real_text()
    pool = sentence_pool(random.Random(1))
    results: dict[tuple[str, str], dict] = {}
    for load in ("plain", "crowded"):
        folder = root / load
        started = time.perf_counter()
        config = write_crowd(folder, articles, real, pool if load == "crowded" else None)
        print(f"{load}: {articles} articles written in {time.perf_counter() - started:.1f} s", flush=True)
        for build, code in builds:
            results[(load, build)] = run = measure(folder, config, code, repeat)
            print(f"  {build}: {_seconds(run)} s, {run['stories']} stories", flush=True)
    lines = [
        f"## Crowding: {articles} unrelated articles a load, {PER_FEED} a feed file "
        f"(crowded: only {POOL_SENTENCES} real sentences, verbatim)",
        "",
        "| load | build | seconds (median; each run) | ms per article | CPU s | peak RSS | stories "
        "| false merges: stories of > 1 entry (entries, pairs) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for (load, build), run in results.items():
        multi = [n for n in run["sizes"] if n > 1]
        pairs = sum(n * (n - 1) // 2 for n in multi)
        lines.append(
            f"| {load} | {build} | {_seconds(run)} | {1000 * run['seconds'] / articles:.2f} | "
            f"{run['cpu_seconds']:.0f} | {run['rss_mb']:.0f} MB | {run['stories']} | "
            f"{len(multi)} ({sum(multi)}, {pairs}) |"
        )
    lines.append("")
    for build, _ in builds:
        plain, crowded = results[("plain", build)], results[("crowded", build)]
        lines.append(
            f"{build}: crowded / plain = {crowded['seconds'] / plain['seconds']:.2f}x seconds, "
            f"{crowded['cpu_seconds'] / plain['cpu_seconds']:.2f}x CPU seconds (issue 25 target: <= 2x)"
        )
    lines += ["", *_stage_table([(f"{load}, {build}", run) for (load, build), run in results.items()])]
    return lines


def near_copies(root: Path, counts: list[int], builds: list[tuple[str, Path]], repeat: int) -> list[str]:
    """Part 2: N near-identical copies for each N, each build; returns the printed lines."""
    title, paragraphs = copy_source()
    words = sum(len(p.split()) for p in paragraphs)
    real = _real_text()
    results: dict[tuple[int, str], dict] = {}
    for count in counts:
        folder = root / f"copies-{count}"
        config = write_copies(folder, count, real)
        print(f"copies: {count} written", flush=True)
        for build, code in builds:
            results[(count, build)] = run = measure(folder, config, code, repeat)
            print(f"  {build}: {_seconds(run)} s, {run['stories']} stories", flush=True)
    lines = [
        f'## Near-identical copies: "{title}" ({words} words), {COPY_SWAPPED:.0%} of the words '
        f"replaced in each, {PER_FEED} a feed file",
        "",
        "| copies | build | seconds (median; each run) | x the previous size | ms per copy | CPU s "
        "| peak RSS | stories (want 1) | largest story |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for build, _ in builds:
        previous = None
        for count in counts:
            run = results[(count, build)]
            ratio = f"{run['seconds'] / previous:.2f}x" if previous else "-"
            previous = run["seconds"]
            lines.append(
                f"| {count} | {build} | {_seconds(run)} | {ratio} | {1000 * run['seconds'] / count:.2f} | "
                f"{run['cpu_seconds']:.0f} | {run['rss_mb']:.0f} MB | {len(run['sizes'])} | "
                f"{run['sizes'][0] if run['sizes'] else 0} |"
            )
    lines.append("")
    lines.append("issue 25 target: all copies one story; 8,000 copies take <= 2.4x the time of 4,000")
    lines += [
        "",
        *_stage_table([(f"{count} copies, {build}", run) for (count, build), run in results.items()]),
    ]
    return lines


def _stage_table(rows: list[tuple[str, dict]]) -> list[str]:
    names = list(dict.fromkeys(n for _, run in rows for n in run["stages"]))
    out = [
        f"| seconds per stage (median run) | total | {' | '.join(names)} |",
        "|---|---:|" + "---:|" * len(names),
    ]
    for label, run in rows:
        cells = " | ".join(f"{run['stages'].get(n, 0.0):.1f}" for n in names)
        out.append(f"| {label} | {run['seconds']:.1f} | {cells} |")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--articles", type=int, help="articles a load in part 1 (default 40,000; quick 8,000)"
    )
    parser.add_argument(
        "--copies",
        help="comma-separated copy counts of part 2 (default 2000,4000,8000; quick 1000,2000,4000)",
    )
    parser.add_argument("--quick", action="store_true", help="smaller defaults (a few minutes)")
    parser.add_argument("--part", choices=("crowd", "copies", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement; the median is shown")
    parser.add_argument("--before", type=Path, help="also run this checkout of the repo, on the same files")
    parser.add_argument(
        "--keep", type=Path, help="write the loads here and keep the folder (default: a temp folder)"
    )
    args = parser.parse_args(argv)
    articles = args.articles or (8_000 if args.quick else 40_000)
    copies = [
        int(c) for c in (args.copies or ("1000,2000,4000" if args.quick else "2000,4000,8000")).split(",")
    ]
    builds = [("after", REPO)] + ([("before", args.before.resolve())] if args.before else [])
    root = args.keep or Path(tempfile.mkdtemp(prefix="syndedup-crowd-"))
    print(f"load average at the start: {_load()} ({os.cpu_count()} cores)", flush=True)
    started = time.perf_counter()
    lines: list[str] = []
    try:
        if args.part in ("crowd", "both"):
            lines += crowding(root, articles, builds, args.repeat)
        if args.part in ("copies", "both"):
            lines += ["", *near_copies(root, copies, builds, args.repeat)]
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print()
    for build, code in builds:
        print(f"{build}: {code}")
    print(f"load average at the end: {_load()}; total {time.perf_counter() - started:.0f} s")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
