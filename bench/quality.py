"""Detection quality benchmark: syndedup vs the naive script, on one labelled corpus, in one run.

    pip install '.[bench]' && python bench/quality.py            # full corpus (fetches non-Latin texts once)
    python bench/quality.py --no-fetch                            # Lee corpus only, no download
    python bench/quality.py --failures                            # also list every miss and false merge

The corpus is built from real news text at run time (bench/sources.py), written as RSS/Atom files
in a temporary folder, and run through the real pipeline (``pipeline.runner.run``) in two runs
that share one state; the scores come from the clusters report. See bench/README.md.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import RUN_CUTOFF, Corpus, build_corpus
from bench.feeds import config_data, digest, slug, write_feeds
from bench.naive import naive_clusters
from bench.score import Cluster, Scores, clusters_from_report, score
from bench.sources import SourceUnavailable, fetch_non_latin, lee_background, lee_short
from pipeline.config import parse_config
from pipeline.runner import run
from pipeline.text.credits import AliasTable

TARGETS = {
    "f1": 0.98,
    "teaser_recall": 0.97,
    "false_boilerplate": 0,
    "credited_accuracy": 0.95,
    "canonical_accuracy": 0.98,
}


@dataclass(slots=True)
class Result:
    scores: Scores
    digest: str
    seconds: float
    clusters: list[Cluster] = field(default_factory=list)  # what was scored (per-kind breakdowns)


def run_syndedup(corpus: Corpus, work: Path, dedup: dict | None = None) -> Result:
    """Write both runs' feeds, run the pipeline twice on one state, and score the report."""
    files = {number: write_feeds(corpus, work / f"run{number}", number) for number in (1, 2)}
    feeds_digest = digest([work / "run1", work / "run2"])
    started = time.perf_counter()
    for number in (1, 2):
        config = parse_config(config_data(corpus, files[number], work, dedup), work / "config.toml")
        now = RUN_CUTOFF if number == 1 else RUN_CUTOFF + timedelta(days=3)
        run(config, now=now)
    seconds = time.perf_counter() - started
    scores = score(corpus, clusters_from_report(work / "out" / "clusters.jsonl"))
    credit_lines(corpus, work / "state" / "syndedup.sqlite", scores)
    return Result(scores, feeds_digest, seconds)


def credit_lines(corpus: Corpus, state: Path, scores: Scores) -> None:
    """Per entry: of the entries carrying a credit line, how many had it read and named right."""
    aliases = AliasTable(corpus.aliases, corpus.feeds)
    db = sqlite3.connect(f"file:{state}?mode=ro", uri=True)
    stored = {(f, g): c for f, g, c in db.execute("SELECT feed, guid, credit FROM articles")}
    db.close()
    carrying = [
        e for e in corpus.entries if any(k.startswith(("credit:", "inline", "trailing")) for k in e.kinds)
    ]
    right = 0
    for entry in carrying:
        credit = stored.get((entry.feed, entry.guid))
        if credit and aliases.resolve(credit) == entry.origin:
            right += 1
        else:
            scores.failures.append(f"CREDIT LINE {entry.story} [{entry.feed}] read {credit!r}: {entry.kinds}")
    scores.credit_lines = len(carrying)
    scores.credit_lines_read = right / len(carrying) if carrying else 1.0


def run_naive(corpus: Corpus, work: Path) -> Result:
    """The naive script over the same feed files (both runs), read in feed order."""
    started = time.perf_counter()
    files = [
        (feed, path)
        for number in (1, 2)
        for feed in corpus.feeds
        for path in sorted((work / f"run{number}").glob(f"{slug(feed)}.*"))
    ]
    clusters = naive_clusters(files)
    seconds = time.perf_counter() - started
    return Result(score(corpus, clusters), digest([work / "run1", work / "run2"]), seconds, clusters)


def table(ours: Scores, naive: Scores) -> str:
    rows = [
        ("pairwise precision", "precision", None),
        ("pairwise recall", "recall", None),
        ("pairwise F1", "f1", ">= 0.98"),
        ("teaser recall", "teaser_recall", ">= 0.97"),
        ("false-merge pairs", "false_pairs", None),
        ("  caused by shared boilerplate", "false_boilerplate", "0"),
        ("  caused by tiny texts", "false_tiny", None),
        ("credited-source accuracy", "credited_accuracy", ">= 0.95"),
        ("canonical accuracy", "canonical_accuracy", ">= 0.98"),
        ("credit lines read right (entries)", "credit_lines_read", None),
        ("clusters (largest)", "clusters", None),
    ]
    lines = [
        f"| {'measure':32} | {'syndedup':>10} | {'naive':>10} | {'target':>8} |",
        "|" + "-" * 34 + "|" + "-" * 12 + ":|" + "-" * 11 + ":|" + "-" * 9 + ":|",
    ]
    for label, attr, target in rows:
        a, b = getattr(ours, attr), getattr(naive, attr)
        if attr == "credit_lines_read":
            lines.append(f"| {label:32} | {a:>10.4f} | {'n/a':>10} | {'':>8} |")
            continue
        if attr == "clusters":
            cell_a, cell_b = f"{a} ({ours.largest_cluster})", f"{b} ({naive.largest_cluster})"
        elif isinstance(a, float):
            cell_a, cell_b = f"{a:.4f}", f"{b:.4f}"
        else:
            cell_a, cell_b = str(a), str(b)
        lines.append(f"| {label:32} | {cell_a:>10} | {cell_b:>10} | {target or '':>8} |")
    return "\n".join(lines)


def met(s: Scores) -> list[str]:
    """Targets missed, as text (empty when all are met)."""
    gaps = []
    for attr, floor in TARGETS.items():
        value = getattr(s, attr)
        ok = value == floor if attr == "false_boilerplate" else value >= floor
        if not ok:
            gaps.append(f"{attr} = {value:.4f} (target {floor})")
    return gaps


def corpus_summary(corpus: Corpus) -> str:
    """What the corpus holds beyond counts: arrival orders, runs, scripts, hard negatives."""
    entries = corpus.entries
    runs: dict[str, set[int]] = {}
    for e in entries:
        runs.setdefault(e.story, set()).add(e.run)
    fed = {e.story for e in entries if e.role == "original"}
    before = [e for e in entries if "before-original" in e.kinds and e.story in fed]
    wire_only = len(corpus.canonical) - len(fed)
    non_latin = sum(1 for e in entries if e.story.startswith("nl"))
    negatives = {
        k: sum(k in e.kinds for e in entries)
        for k in ("brief-sharing-footer", "tiny-entry", "same-topic-negative")
    }
    negatives["stories-quoting-one-statement"] = len(
        {e.story for e in entries if any(p.startswith("The statement read:") for p in e.paragraphs)}
    )
    return (
        f"arrival: {sum(e.role == 'teaser' for e in before)} teasers and "
        f"{sum(e.role == 'copy' for e in before)} credited copies before their original; "
        f"{sum(len(r) > 1 for r in runs.values())} stories span both runs; {wire_only} stories from "
        f"wire services without a feed; {non_latin} ar/zh/ja entries; {len(corpus.canonical)} stories; "
        f"hard negatives: {negatives}"
    )


def load_corpus(fetch: bool, limit: int | None, seed: int) -> tuple[Corpus, str]:
    background, short = lee_background(), lee_short()
    note = "gensim lee_background.cor + lee.cor"
    non_latin = None
    if fetch:
        try:
            non_latin = fetch_non_latin()
            note += " + newspaper4k 0.9.6 ar/zh/ja"
        except SourceUnavailable as exc:
            print(f"warning: non-Latin texts skipped: {exc}", file=sys.stderr)
    if limit:
        background = background[:limit]
    return build_corpus(background, short, non_latin, seed), note


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=2001)
    parser.add_argument("--limit", type=int, help="use only the first N background articles")
    parser.add_argument("--no-fetch", action="store_true", help="skip the non-Latin texts (no download)")
    parser.add_argument("--failures", action="store_true", help="list every miss and false merge")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a [dedup] key, e.g. --set copy_threshold=0.4",
    )
    args = parser.parse_args(argv)
    try:
        corpus, note = load_corpus(not args.no_fetch, args.limit, args.seed)
    except SourceUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    dedup = {k: (float(v) if "." in v else int(v)) for k, v in (s.split("=", 1) for s in args.set)}
    roles = {r: sum(e.role == r for e in corpus.entries) for r in ("original", "copy", "teaser")}
    with tempfile.TemporaryDirectory(prefix="syndedup-quality-") as tmp:
        ours = run_syndedup(corpus, Path(tmp), dedup or None)
        naive = run_naive(corpus, Path(tmp))
    print(
        f"corpus: {note}; seed {args.seed}; {len(corpus.entries)} entries "
        f"({roles['original']} originals, {roles['copy']} copies, {roles['teaser']} teasers) "
        f"in {len(corpus.feeds)} feeds, two runs; {ours.scores.true_pairs} true pairs; "
        f"{ours.scores.stories_scored} multi-entry stories"
    )
    print(corpus_summary(corpus))
    print(f"feed files sha256 {ours.digest[:16]}; syndedup {ours.seconds:.1f} s, naive {naive.seconds:.1f} s")
    if dedup:
        print(f"[dedup] overrides: {dedup}")
    print(table(ours.scores, naive.scores))
    if args.failures:
        print("\n".join(ours.scores.failures))
    gaps = met(ours.scores)
    print("syndedup: all targets met" if not gaps else "syndedup misses: " + "; ".join(gaps))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
