"""Rows and bytes per stored entry on both backends, and what a large window would need (issue 24, item 5).

    python bench/indexsize.py                          # 20k realistic entries, thresholds 0.3 and 0.4
    python bench/indexsize.py --articles 40000 --scale 200000
    python bench/indexsize.py --state /tmp/statesize/states/500000/syndedup.sqlite   # a big SQLite state

1. **Real entries.** bench/throughput.py's realistic load (``--articles``) is read by ``syndedup
   run`` into SQLite once per ``--threshold`` ([dedup] lsh_threshold: its bands set the LSH keys an
   entry), and into Redis (own key prefix, deleted afterwards) at the default threshold. Printed
   per stored entry: LSH keys (rows of the index), SQLite bytes per table and index (dbstat), Redis
   bytes per kind of key (``MEMORY USAGE``, exact) and ``used_memory``.
2. **The LSH index at scale** (``--scale`` entries, synthetic): Redis packs a bucket's ids in
   fields of 2^15 hashes, whose encoding changes past 512 fields a hash (listpack to hashtable), so
   its bytes per key depend on the index's size. Random 47-bit keys (bucket keys are hashes), the
   keys per entry measured in part 1, appended with the store's own Lua script; SQLite's
   ``lsh_index`` filled likewise (dbstat).
3. ``--state``: rows and bytes per entry of an existing SQLite state (e.g. bench/statesize.py's).

Then what a window of ``--per-day`` entries a day for ``--days`` days would hold. Nothing asserted.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.throughput import _child, delete_prefix, generate_real_corpus  # noqa: E402  (bench/ is run as a script)
from pipeline.config import DedupConfig  # noqa: E402

PREFIX = "syndedup-bench24:"


def sqlite_sizes(path: Path) -> dict:
    """Entries, LSH rows and bytes per table/index of a state file (dbstat)."""
    db = sqlite3.connect(path)
    try:
        entries = db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        rows = sum(
            db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("lsh_buckets", "lsh_index")
            if t in tables
        )
        sizes = dict(db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"))
    finally:
        db.close()
    total = sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())
    return {"entries": entries, "lsh_rows": rows, "tables": sizes, "file_bytes": total}


def redis_sizes(client, prefix: str) -> dict:  # type: ignore[no-untyped-def]
    """Bytes of every key under ``prefix`` by kind (the part of its name before the first ':')."""
    kinds: dict[str, list[int]] = {}
    batch: list[bytes] = []

    def measure() -> None:
        with client.pipeline(transaction=False) as pipe:
            for key in batch:
                pipe.memory_usage(key, samples=0)
            for key, size in zip(batch, pipe.execute(), strict=True):
                kind = key.decode()[len(prefix) :].split(":")[0]
                entry = kinds.setdefault(kind, [0, 0])
                entry[0] += 1
                entry[1] += int(size or 0)
        batch.clear()

    for key in client.scan_iter(match=prefix + "*", count=10_000):
        batch.append(key)
        if len(batch) >= 5000:
            measure()
    if batch:
        measure()
    return {kind: {"keys": n, "bytes": b} for kind, (n, b) in kinds.items()}


def run_sqlite(folder: Path, config: Path, threshold: float, code: Path) -> dict:
    state = folder / f"state-{threshold}"
    shutil.rmtree(state, ignore_errors=True)
    text = config.read_text(encoding="utf-8").replace(
        "state/syndedup.sqlite", f"{state.name}/syndedup.sqlite"
    )
    text = text.replace("out/", f"out-{threshold}/")
    path = folder / f"config-{threshold}.toml"
    path.write_text(text + f"\n[dedup]\nlsh_threshold = {threshold}\n", encoding="utf-8")
    done = _child("run", str(path), code=code)
    return {"run": done, **sqlite_sizes(state / "syndedup.sqlite")}


def run_redis(folder: Path, config: Path, url: str, code: Path) -> dict:
    import redis

    client = redis.Redis.from_url(url)
    delete_prefix(client, PREFIX)
    text = config.read_text(encoding="utf-8").replace("state/syndedup.sqlite", "state-redis/syndedup.sqlite")
    path = folder / "config-redis.toml"
    path.write_text(
        text.replace("out/", "out-redis/")
        + f'\n[index]\nbackend = "redis"\nurl = "{url}"\nprefix = "{PREFIX}"\n',
        encoding="utf-8",
    )
    shutil.rmtree(folder / "state-redis", ignore_errors=True)
    try:
        before = int(client.info("memory")["used_memory"])
        done = _child("run", str(path), code=code)
        after = int(client.info("memory")["used_memory"])
        kinds = redis_sizes(client, PREFIX)
        groups = [k for k in client.scan_iter(match=PREFIX + "b:*", count=10_000)]
        fields = 0
        with client.pipeline(transaction=False) as pipe:
            for key in groups:
                pipe.hlen(key)
            fields = sum(pipe.execute())
        local = sqlite_sizes(folder / "state-redis" / "syndedup.sqlite")["file_bytes"]
        return {
            "run": done,
            "used_memory": after - before,
            "kinds": kinds,
            "bucket_fields": fields,
            "local": local,
        }
    finally:
        delete_prefix(client, PREFIX)
        client.close()


def scale_redis(url: str, entries: int, keys_per_entry: int, seed: int = 1) -> dict:
    """The bucket hashes of ``entries`` entries of random keys, appended as a run stages them."""
    import numpy as np
    import redis

    from pipeline.store.redis_store import _APPEND, _APPEND_CHUNK, _FIELD_MASK, _GROUP_BITS
    from pipeline.store.sqlite import BUCKET_MASK

    client = redis.Redis.from_url(url)
    prefix = PREFIX + "scale:"
    delete_prefix(client, prefix)
    append = client.register_script(_APPEND)
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    try:
        before = int(client.info("memory")["used_memory"])
        step = 10_000  # entries a batch
        for first in range(0, entries, step):
            count = min(step, entries - first)
            keys = rng.integers(0, BUCKET_MASK + 1, count * keys_per_entry, dtype=np.int64)
            ids = np.repeat(np.arange(first + 1, first + count + 1, dtype=np.int64), keys_per_entry)
            triples = np.stack([keys >> _GROUP_BITS, keys & _FIELD_MASK, ids], axis=1).astype("<u4")
            triples = triples[np.lexsort((triples[:, 2], triples[:, 1], triples[:, 0]))]
            for start in range(0, len(triples), _APPEND_CHUNK):
                append(keys=[], args=[triples[start : start + _APPEND_CHUNK].tobytes(), prefix + "b:"])
        after = int(client.info("memory")["used_memory"])
        kinds = redis_sizes(client, prefix)
        encodings: dict[str, int] = {}
        for key in list(client.scan_iter(match=prefix + "b:*", count=10_000))[:200]:
            encoding = client.object("encoding", key).decode()
            encodings[encoding] = encodings.get(encoding, 0) + 1
        return {
            "entries": entries,
            "keys": entries * keys_per_entry,
            "used_memory": after - before,
            "bytes": sum(k["bytes"] for k in kinds.values()),
            "encodings (200 sampled)": encodings,
            "seconds": time.perf_counter() - started,
        }
    finally:
        delete_prefix(client, prefix)
        client.close()


def scale_sqlite(folder: Path, entries: int, keys_per_entry: int, seed: int = 1) -> dict:
    """``lsh_index`` of ``entries`` entries of random keys, written in generations as runs write them."""
    import numpy as np

    from pipeline.store.sqlite import BUCKET_MASK, State

    path = folder / "scale.sqlite"
    for leftover in folder.glob("scale.sqlite*"):
        leftover.unlink()
    state = State(path)
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    try:
        step = 2000  # entries a run
        for first in range(0, entries, step):
            count = min(step, entries - first)
            keys = rng.integers(0, BUCKET_MASK + 1, count * keys_per_entry, dtype=np.int64)
            ids = np.repeat(np.arange(first + 1, first + count + 1, dtype=np.int64), keys_per_entry)
            order = np.lexsort((ids, keys))
            with state.transaction():
                state._lsh.write([(keys[order], ids[order])])
    finally:
        state.close()
    sizes = sqlite_sizes(path)
    lsh = {k: v for k, v in sizes["tables"].items() if k.startswith("lsh_")}
    out = {
        "entries": entries,
        "keys": entries * keys_per_entry,
        "lsh": lsh,
        "seconds": time.perf_counter() - started,
    }
    for leftover in folder.glob("scale.sqlite*"):
        leftover.unlink()
    return out


def per(value: float, entries: int) -> str:
    return f"{value / max(entries, 1):,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--threshold", action="append", type=float, help="[dedup] lsh_threshold (repeatable)")
    parser.add_argument(
        "--scale", type=int, default=200_000, help="entries of the synthetic LSH index (0: none)"
    )
    parser.add_argument("--state", type=Path, help="also an existing SQLite state file")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--no-redis", action="store_true")
    parser.add_argument("--per-day", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--keep", type=Path, help="use this folder and keep it")
    args = parser.parse_args()
    thresholds = args.threshold or [0.3, 0.4]
    root = args.keep or Path(tempfile.mkdtemp(prefix="syndedup-indexsize-"))
    results: dict = {"sqlite": {}, "redis": None, "scale": {}}
    try:
        config = generate_real_corpus(root, args.articles, max(1, args.articles // 100))
        for threshold in thresholds:
            results["sqlite"][threshold] = run_sqlite(root, config, threshold, REPO)
            print(f"sqlite, lsh_threshold {threshold}: done", flush=True)
        if not args.no_redis:
            results["redis"] = run_redis(root, config, args.redis_url, REPO)
            print("redis: done", flush=True)
        if args.scale:
            for threshold in thresholds:
                measured = results["sqlite"][threshold]
                keys = round(measured["lsh_rows"] / max(measured["entries"], 1))
                results["scale"][threshold] = {
                    "keys_per_entry": keys,
                    "sqlite": scale_sqlite(root, args.scale, keys),
                    "redis": None if args.no_redis else scale_redis(args.redis_url, args.scale, keys),
                }
                print(f"scale, lsh_threshold {threshold}: done", flush=True)
        if args.state:
            results["state"] = sqlite_sizes(args.state)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    report(results, args)
    print()
    print(json.dumps(results, default=str)[:200000])


def report(results: dict, args: argparse.Namespace) -> None:
    print(f"\n## Per stored entry ({args.articles} realistic entries)\n")
    print(
        "| backend | lsh_threshold | entries | LSH keys (index rows) | bytes: LSH index | bytes: everything |"
    )
    print("|---|---|---|---|---|---|")
    for threshold, m in results["sqlite"].items():
        n = m["entries"]
        lsh = sum(v for k, v in m["tables"].items() if k.startswith("lsh_"))
        print(
            f"| SQLite | {threshold} | {n} | {m['lsh_rows'] / n:.1f} | {per(lsh, n)} | "
            f"{per(m['file_bytes'], n)} (file) |"
        )
    redis = results["redis"]
    if redis:
        n = redis["run"]["entries_new"]
        buckets = redis["kinds"].get("b", {}).get("bytes", 0)
        total = sum(k["bytes"] for k in redis["kinds"].values())
        print(
            f"| Redis | {DedupConfig().lsh_threshold} | {n} | "
            f"{redis['bucket_fields'] / n:.1f} (bucket fields) | "
            f"{per(buckets, n)} | {per(total, n)} (keys), {per(redis['used_memory'], n)} (used_memory) "
            f"+ {per(redis['local'], n)} of SQLite |"
        )
    for threshold, m in results["sqlite"].items():
        n = m["entries"]
        rows = sorted(m["tables"].items(), key=lambda kv: -kv[1])
        print(
            f"\nSQLite tables and indexes, lsh_threshold {threshold}, bytes per entry: "
            + ", ".join(f"{name} {per(size, n)}" for name, size in rows if size > 4096 * 4)
        )
    if redis:
        n = redis["run"]["entries_new"]
        print(
            "\nRedis keys by kind, bytes per entry: "
            + ", ".join(
                f"{kind}: ({v['keys']} keys) {per(v['bytes'], n)}"
                for kind, v in sorted(redis["kinds"].items(), key=lambda kv: -kv[1]["bytes"])
            )
        )
    if "state" in results:
        m = results["state"]
        n = m["entries"]
        print(
            f"\n{args.state}: {n} entries, {m['lsh_rows'] / n:.1f} LSH rows and "
            f"{per(m['file_bytes'], n)} bytes per entry: "
            + ", ".join(
                f"{name} {per(size, n)}"
                for name, size in sorted(m["tables"].items(), key=lambda kv: -kv[1])
                if size > 4096 * 16
            )
        )
    window = args.per_day * args.days
    print(
        f"\n## The LSH index at scale, and a window of {args.per_day:,} entries a day for {args.days} days "
        f"({window:,})\n"
    )
    print(
        "| lsh_threshold | keys an entry | synthetic entries | SQLite lsh_* bytes a key | Redis bytes a key "
        "(encodings) | window: keys | window: SQLite | window: Redis |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for threshold, s in results["scale"].items():
        keys = s["keys_per_entry"]
        lite = sum(s["sqlite"]["lsh"].values()) / s["sqlite"]["keys"]
        red = s["redis"]
        red_key = red["bytes"] / red["keys"] if red else float("nan")
        print(
            f"| {threshold} | {keys} | {s['sqlite']['entries']:,} | {lite:.1f} | {red_key:.1f} "
            f"({red['encodings (200 sampled)'] if red else '-'}) | {window * keys / 1e9:.1f} billion | "
            f"{window * keys * lite / 1e12:.2f} TB | {window * keys * red_key / 1e12:.2f} TB |"
        )


if __name__ == "__main__":
    main()
