"""A cron run's cost against the state's size: 2,000 new entries against 5k, 50k and 500k stored.

    python bench/statesize.py --keep /tmp/statesize             # builds the states once (long), measures
    python bench/statesize.py --keep /tmp/statesize --before /tmp/base   # also a checkout of integ
    python bench/statesize.py --keep /tmp/statesize --sizes 5000,50000   # without the 500k state

What is measured: one ``syndedup run`` (bench/throughput.py's child: the real ``pipeline.runner.run``
in a fresh process) of ``--new`` new entries on ``--feeds`` feeds, each feed also listing its 20
newest entries already stored, against a copy of each stored state; ``--repeat`` times per build
and state (builds alternated), the median run shown with its stage seconds, CPU seconds (this
process and its parse workers: steadier than wall time on a shared machine) and peak RSS.

The states (cached in ``--keep``/states, reused by later invocations with the same parameters):
realistic entries (bench/throughput.py's load: real news lengths and paragraphs, 20% credited
copies, 10% teasers) on the same ``--feeds`` feeds. Every state ends with the same **recent** block
of ``min(--sizes)`` entries, stored by one run, and the new entries' copies and teasers are of
the recent block's originals or of each other, so that the new run finds the same work in every
state; what comes before the recent block is an older sequence of entries (its copies are of the
5,000 originals before them), stored in runs of at most ``--build-run`` entries: the 500k state is
the 50k state's older part continued, so building all three costs about 510k entries of runs. The
build time of each state is printed (and kept in its ``built.json``).

Before a build is measured on a state, it opens that state once, untimed (a state made by another
build may need its additive migration: a one-time cost that is not the run's). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.throughput import (  # noqa: E402  (bench/ is run as a script)
    PERTURB_EVERY,
    _child,
    _item,
    _load,
    _markup,
    _real_text,
)

ANCHOR = datetime(2020, 1, 1, tzinfo=UTC)  # entry i is published ANCHOR + i * SPACING
SPACING = timedelta(seconds=30)
# The recent block's first index (the new entries follow it): the same whatever the sizes, so that
# a state cached by one invocation serves another; the older sequence (indices from 0) stays below.
RECENT_FIRST = 2_000_000
KNOWN_LISTED = 20  # entries of each feed already stored that the new run's feed files list again
POOL = 5000  # an older entry's copies and teasers are of the last POOL originals before it
RECENT_SEED, NEW_SEED, OLD_SEED = 11, 12, 13


class Load:
    """Generates realistic entries (bench/throughput.py's realistic load) with global indices."""

    def __init__(self) -> None:
        self.paragraphs, self.lengths, self.tokens = _real_text()

    def entries(
        self, rng: random.Random, first: int, count: int, feeds: int, pool: collections.deque
    ) -> list[tuple[int, str]]:
        """``count`` entries (feed, RSS item) with indices from ``first``; 20% copies and 10%
        teasers of an original of ``pool`` (to which each new original is added)."""
        out = []
        for index in range(first, first + count):
            feed = index % feeds
            roll = rng.random()
            published = ANCHOR + index * SPACING
            if pool and roll < 0.20:  # a copy: one word changed, a credit line
                source, body, title = rng.choice(pool)
                body = [p.replace(" the ", " a ", 1) for p in body] + [f"Source: Outlet {source}"]
            elif pool and roll < 0.30:  # a teaser: the first 30 words and an ellipsis
                _, body, title = rng.choice(pool)
                body = [" ".join(body[0].split()[:30]) + " ..."]
            else:
                target = min(rng.choice(self.lengths), 1500)
                body, words_so_far = [], 0
                while words_so_far < target:
                    words = rng.choice(self.paragraphs).split()
                    for i in range(rng.randrange(PERTURB_EVERY), len(words), PERTURB_EVERY):
                        words[i] = rng.choice(self.tokens)
                    body.append(" ".join(words))
                    words_so_far += len(words)
                title = " ".join(body[0].split()[:9])
                pool.append((feed, body, title))
            out.append((feed, _item(feed, index, published, body[0], _markup(rng, feed, body), title)))
        return out


def write_run(folder: Path, items: list[tuple[int, str]], feeds: int, state: Path, out: Path) -> Path:
    """Feed files holding ``items`` and a config storing into ``state``; return the config's path."""
    by_feed: list[list[str]] = [[] for _ in range(feeds)]
    for feed, item in items:
        by_feed[feed].append(item)
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "feeds").mkdir(parents=True)
    config = [
        f'[output]\nrss = "{out}/feed.rss"\natom = "{out}/feed.atom"\nreport = "{out}/clusters.jsonl"\n',
        f'[state]\npath = "{state}"\n',
    ]
    for feed, feed_items in enumerate(by_feed):
        path = folder / "feeds" / f"outlet{feed}.xml"
        path.write_text(
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>Outlet {feed}</title><link>https://outlet{feed}.example/</link>"
            f"<description>bench</description>{''.join(feed_items)}</channel></rss>\n",
            encoding="utf-8",
        )
        config.append(f'[[feeds]]\nname = "Outlet {feed}"\nurl = "{path}"\n')
    (folder / "config.toml").write_text("\n".join(config), encoding="utf-8")
    return folder / "config.toml"


def copy_state(source: Path, target: Path) -> None:
    """Copy a state folder (the SQLite file, and the outputs the last run wrote beside it)."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("built.json", "*.lock"))


class Builder:
    """Builds and caches the states of every size in ``root``/states."""

    def __init__(self, root: Path, sizes: list[int], feeds: int, build_run: int, code: Path) -> None:
        self.root, self.sizes, self.feeds, self.build_run, self.code = root, sizes, feeds, build_run, code
        self.recent = min(sizes)
        self.load = Load()
        self.signature = {"feeds": feeds, "recent": self.recent, "version": 1}

    def state_dir(self, size: int) -> Path:
        return self.root / "states" / str(size)

    def cached(self, size: int) -> dict | None:
        meta = self.state_dir(size) / "built.json"
        if not meta.exists():
            return None
        data = json.loads(meta.read_text())
        return data if all(data.get(k) == v for k, v in self.signature.items()) else None

    def recent_items(self) -> tuple[list[tuple[int, str]], collections.deque]:
        """The recent block, and its originals."""
        pool: collections.deque = collections.deque()
        items = self.load.entries(random.Random(RECENT_SEED), RECENT_FIRST, self.recent, self.feeds, pool)
        return items, pool

    def _run(self, items: list[tuple[int, str]], state_dir: Path) -> float:
        config = write_run(
            self.root / "work-build", items, self.feeds, state_dir / "syndedup.sqlite", state_dir / "out"
        )
        start = time.perf_counter()
        done = _child("run", str(config), code=self.code)
        print(
            f"    stored {done['entries_new']} entries in {done['seconds']:.0f} s "
            f"({done['entries_new'] / done['seconds']:.0f}/s, peak {done['rss_mb']:.0f} MB)",
            flush=True,
        )
        return time.perf_counter() - start

    def build(self) -> dict[int, dict]:
        """Build the missing states; return size -> its built.json."""
        out = {size: meta for size in self.sizes if (meta := self.cached(size)) is not None}
        missing = [size for size in self.sizes if size not in out]
        if not missing:
            return out
        if max(self.sizes) - self.recent > RECENT_FIRST:
            sys.exit(f"sizes above {RECENT_FIRST} entries are not supported")
        recent, _ = self.recent_items()
        chain = self.root / "states" / "older"  # the older sequence, grown run by run (kept to resume)
        rng, pool = random.Random(OLD_SEED), collections.deque(maxlen=POOL)
        stored, spent = self._resume(chain, rng, pool)
        for size in sorted(missing):
            older = size - self.recent
            if stored > older:  # the chain is past this state's older part: start it again
                shutil.rmtree(chain, ignore_errors=True)
                rng, pool = random.Random(OLD_SEED), collections.deque(maxlen=POOL)
                stored, spent = 0, 0.0
            while stored < older:
                count = min(self.build_run, older - stored)
                start = time.perf_counter()
                items = self.load.entries(rng, stored, count, self.feeds, pool)
                generated = time.perf_counter() - start
                print(
                    f"  older entries {stored}-{stored + count} (generated in {generated:.0f} s)", flush=True
                )
                spent += generated + self._run(items, chain)
                stored += count
                (chain / "built.json").write_text(
                    json.dumps(dict(self.signature, stored=stored, seconds=spent))
                )
            target = self.state_dir(size)
            shutil.rmtree(target, ignore_errors=True)
            if older:
                start = time.perf_counter()
                copy_state(chain, target)
                spent += time.perf_counter() - start
            print(f"  state {size}: the recent block ({self.recent} entries)", flush=True)
            spent_here = spent + self._run(recent, target)
            meta = dict(
                self.signature,
                built_with=_commit(self.code),
                size=size,
                build_seconds=round(spent_here, 1),
                bytes=_folder_bytes(target),
                built=datetime.now(UTC).isoformat(),
            )
            (target / "built.json").write_text(json.dumps(meta, indent=1))
            out[size] = meta
            print(f"  state {size} built in {spent_here:.0f} s (cumulative, older runs included)", flush=True)
        shutil.rmtree(chain, ignore_errors=True)
        shutil.rmtree(self.root / "work-build", ignore_errors=True)
        return out

    def _resume(self, chain: Path, rng: random.Random, pool: collections.deque) -> tuple[int, float]:
        """(entries stored, seconds spent) of an older chain an interrupted build left, its
        generator advanced past them; (0, 0.0) without one."""
        meta = chain / "built.json"
        data = json.loads(meta.read_text()) if meta.exists() else {}
        if not data or any(data.get(k) != v for k, v in self.signature.items()):
            shutil.rmtree(chain, ignore_errors=True)
            return 0, 0.0
        for first in range(0, data["stored"], self.build_run):
            self.load.entries(rng, first, min(self.build_run, data["stored"] - first), self.feeds, pool)
        print(f"  resuming the older entries after {data['stored']}", flush=True)
        return int(data["stored"]), float(data["seconds"])

    def new_run(self, new: int, folder: Path, state: Path, out: Path) -> Path:
        """The measured run's feed files: ``new`` new entries, and each feed's last KNOWN_LISTED
        entries of the recent block (stored in every state)."""
        recent, pool = self.recent_items()
        items = self.load.entries(random.Random(NEW_SEED), RECENT_FIRST + self.recent, new, self.feeds, pool)
        listed: dict[int, list[tuple[int, str]]] = {}
        for feed, item in recent:
            listed.setdefault(feed, []).append((feed, item))
        known = [pair for feed_items in listed.values() for pair in feed_items[-KNOWN_LISTED:]]
        return write_run(folder, known + items, self.feeds, state, out)


def _commit(code: Path) -> str:
    """The checkout's commit, with "+changes" when its pipeline/ has uncommitted changes."""
    head = subprocess.run(
        ["git", "-C", str(code), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "-C", str(code), "status", "--porcelain", "pipeline"], capture_output=True, text=True
    )
    return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _own_child(*args: str, code: Path) -> dict:
    """Run one of this script's children in a fresh process with ``code`` first on the path."""
    env = dict(os.environ, PYTHONPATH=f"{code}{os.pathsep}{REPO}")
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        sys.exit(f"child {args[0]} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def child_open(state_path: str) -> None:
    """Open the state once with this build: its migrations, and the report lines it keeps made
    (a one-time cost of the first run of a version that keeps them), untimed by the caller."""
    from pipeline.stages import emit
    from pipeline.store.sqlite import State

    start = time.perf_counter()
    state = State(Path(state_path))
    migrated = time.perf_counter()
    lines = 0
    if hasattr(emit, "refresh_report_lines"):
        with state.transaction():
            lines = emit.refresh_report_lines(state)
    state.close()
    end = time.perf_counter()
    print(json.dumps({"migrate_seconds": migrated - start, "lines_seconds": end - migrated, "lines": lines}))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="5000,50000,500000", help="stored entries, comma-separated")
    parser.add_argument("--new", type=int, default=2000, help="new entries in the measured run")
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--build-run", type=int, default=50_000, help="entries per run building a state")
    parser.add_argument(
        "--before", type=Path, help="a checkout of another build, measured in the same invocation"
    )
    parser.add_argument(
        "--keep", type=Path, help="cache the states here and keep them (default: a temp folder)"
    )
    parser.add_argument(
        "--build-with",
        type=Path,
        help="the checkout whose runs build the states (default: --before, else this)",
    )
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    builds = [("after", REPO)] + ([("before", args.before.resolve())] if args.before else [])
    root = args.keep or Path(tempfile.mkdtemp(prefix="syndedup-statesize-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"load average at the start: {_load()} ({os.cpu_count()} cores)", flush=True)
    build_with = (args.build_with or args.before or REPO).resolve()
    builder = Builder(root, sizes, args.feeds, args.build_run, build_with)
    try:
        built = builder.build()
        for size in sizes:
            meta = built[size]
            print(
                f"state {size}: {meta['bytes'] / 1e6:.0f} MB, built in {meta['build_seconds']:.0f} s "
                f"({meta['built']})",
                flush=True,
            )
        work = root / "work"
        runs: dict[tuple[str, int], list[dict]] = {}
        for size in sizes:
            for repeat in range(args.repeat):
                for build, code in builds if repeat % 2 == 0 else builds[::-1]:
                    state_dir = work / "state"
                    copy_state(builder.state_dir(size), state_dir)
                    config = builder.new_run(
                        args.new, work / "run", state_dir / "syndedup.sqlite", state_dir / "out"
                    )
                    opened = _own_child("open", str(state_dir / "syndedup.sqlite"), code=code)
                    if opened["migrate_seconds"] > 0.5 or opened["lines"] > 1000:
                        print(
                            f"  {build}, {size} stored: first open {opened['migrate_seconds']:.1f} s, "
                            f"{opened['lines']} report lines made in {opened['lines_seconds']:.1f} s "
                            "(once per state, untimed)",
                            flush=True,
                        )
                    done = _child("run", str(config), code=code)
                    runs.setdefault((build, size), []).append(done)
                    print(
                        f"  {build}, {size} stored: {done['seconds']:.1f} s, "
                        f"CPU {done['cpu_seconds']:.1f} s, {done['entries_new']} new",
                        flush=True,
                    )
        shutil.rmtree(work, ignore_errors=True)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print()
    print(
        f"load average at the end: {_load()} ({os.cpu_count()} cores); {args.new} new entries, "
        f"{args.feeds} feeds, median of {args.repeat}"
    )
    table(runs, builds, sizes)


def table(runs: dict[tuple[str, int], list[dict]], builds: list[tuple[str, Path]], sizes: list[int]) -> None:
    names = list(dict.fromkeys(n for done in runs.values() for r in done for n in r["stages"]))
    print(
        f"| build | stored | seconds (each run) | vs {sizes[0]} | CPU s (each) | CPU vs {sizes[0]} | "
        f"peak RSS | {' | '.join(names)} |"
    )
    print(f"|---|---|---|---|---|---|---|{'---|' * len(names)}")
    for build, _ in builds:
        base = runs[(build, sizes[0])]
        base_s = statistics.median(r["seconds"] for r in base)
        base_cpu = statistics.median(r["cpu_seconds"] for r in base)
        for size in sizes:
            done = runs[(build, size)]
            median = sorted(done, key=lambda r: r["seconds"])[len(done) // 2]
            seconds = statistics.median(r["seconds"] for r in done)
            cpu = statistics.median(r["cpu_seconds"] for r in done)
            cells = " | ".join(f"{median['stages'].get(n, 0.0):.2f}" for n in names)
            each = ", ".join(f"{r['seconds']:.1f}" for r in done)
            each_cpu = ", ".join(f"{r['cpu_seconds']:.1f}" for r in done)
            print(
                f"| {build} | {size} | {seconds:.1f} ({each}) | {seconds / base_s:.2f}x | {cpu:.1f} "
                f"({each_cpu}) | {cpu / base_cpu:.2f}x | {median['rss_mb']:.0f} MB | {cells} |"
            )


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        # The build measured comes first on PYTHONPATH: not this checkout, put first above for bench/.
        sys.path.remove(str(REPO))
        {"open": child_open}[sys.argv[2]](*sys.argv[3:])
    else:
        main()
