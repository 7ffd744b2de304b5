"""[index] backend = "redis": the same stories as SQLite, shards sharing one index, emit from the
shared state, the detect lock, and what a crash before the commit leaves."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import redis

from pipeline import runner
from pipeline.config import load_config
from pipeline.errors import ConfigError
from pipeline.shard import Shard
from pipeline.store.redis_store import RedisStore
from tests.conftest import REPO, RedisIndex, read_report

OUTPUTS = ("feed.rss", "feed.atom", "feed.json", "clusters.jsonl", "audit.html")


def outputs(folder: Path) -> dict[str, bytes]:
    return {name: (folder / "out" / name).read_bytes() for name in OUTPUTS}


def stories(folder: Path) -> set[tuple]:
    """Each story as (canonical link, credited source, {member link: relation}), without its id:
    the id is fixed by a story's first article, which differs when shards run in another order."""
    return {
        (
            s["canonical"],
            s["credited_source"],
            frozenset((m["link"], m["relation"]) for m in s["members"]),
        )
        for s in read_report(folder / "out/clusters.jsonl")
    }


def copy_demo(demo: Path, name: str) -> Path:
    """A second host: the same config and feeds in another folder, with its own SQLite state."""
    other = demo / "hosts" / name
    other.mkdir(parents=True)
    shutil.copytree(demo / "feeds", other / "feeds")
    shutil.copy(demo / "config.toml", other / "config.toml")
    return other


def test_redis_gives_the_same_outputs_as_sqlite(demo: Path, redis_index: RedisIndex, cli) -> None:
    on_redis = copy_demo(demo, "redis-host")
    redis_index.use_in(on_redis / "config.toml")
    assert cli("run", "--config", str(demo / "config.toml")).code == 0
    result = cli("run", "--config", str(on_redis / "config.toml"))
    assert result.code == 0, result.err
    assert "6 new entries (2 joined a story, 4 new stories)" in result.out
    assert outputs(on_redis) == outputs(demo)


def test_two_shards_one_after_another_give_the_stories_of_one_run(
    demo: Path, redis_index: RedisIndex, cli
) -> None:
    whole = copy_demo(demo, "whole")
    assert cli("run", "--config", str(whole / "config.toml")).code == 0
    # Two hosts, each with its own state file, one Redis. Shard 2/2 holds only the aggregator's
    # teaser, so the story starts from the teaser and the original joins it in the second run.
    hosts = [copy_demo(demo, "host1"), copy_demo(demo, "host2")]
    for host in hosts:
        redis_index.use_in(host / "config.toml")
    second = cli("run", "--config", str(hosts[1] / "config.toml"), "--shard", "2/2")
    assert "1 feed read; 1 new entry" in second.out, second.err
    first = cli("run", "--config", str(hosts[0] / "config.toml"), "--shard", "1/2")
    assert "3 feeds read; 5 new entries (2 joined a story, 3 new stories)" in first.out, first.err
    assert stories(hosts[0]) == stories(whole)
    # The other host's emit reads the same shared state, feed titles and links included.
    assert cli("emit", "--config", str(hosts[1] / "config.toml")).code == 0
    assert outputs(hosts[1]) == outputs(hosts[0])


def test_emit_writes_the_outputs_from_the_shared_state(demo: Path, redis_index: RedisIndex, cli) -> None:
    redis_index.use_in(demo / "config.toml")
    assert cli("run", "--config", str(demo / "config.toml")).code == 0
    written = outputs(demo)
    shutil.rmtree(demo / "out")
    elsewhere = copy_demo(demo, "emit-host")  # no run there: an empty SQLite state of its own
    result = cli("emit", "--config", str(elsewhere / "config.toml"))
    assert result.code == 0, result.err
    assert result.out == (
        "syndedup: 4 items written to feed.rss, feed.atom, feed.json and audit.html; "
        "4 stories in clusters.jsonl\n"
    )
    assert outputs(elsewhere) == written


def test_emit_on_sqlite_rewrites_the_same_outputs(demo: Path, cli) -> None:
    assert cli("run", "--config", str(demo / "config.toml")).code == 0
    written = outputs(demo)
    shutil.rmtree(demo / "out")
    assert cli("emit", "--config", str(demo / "config.toml")).code == 0
    assert outputs(demo) == written


def test_a_run_finding_another_host_detecting_stores_nothing(
    demo: Path, redis_index: RedisIndex, cli
) -> None:
    redis_index.use_in(demo / "config.toml")
    client = redis.Redis.from_url(redis_index.url)
    client.set(redis_index.prefix + "lock", "another-host", px=60_000)
    result = cli("run", "--config", str(demo / "config.toml"))
    assert result.code == 0
    assert "another host is detecting; skipped" in result.err
    assert client.keys(redis_index.prefix + "a:*") == []
    client.delete(redis_index.prefix + "lock")
    # Nothing of the skipped run was kept locally either: the next run reads every entry.
    assert "6 new entries" in cli("run", "--config", str(demo / "config.toml")).out


def test_a_run_killed_before_its_commit_leaves_redis_as_it_was(
    demo: Path, redis_index: RedisIndex, cli
) -> None:
    redis_index.use_in(demo / "config.toml")
    reference = copy_demo(demo, "reference")
    env = {**os.environ, "SYNDEDUP_KILL_AT": "before-commit"}
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--config", str(demo / "config.toml")],
        cwd=REPO,
        env=env,
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == -signal.SIGKILL
    client = redis.Redis.from_url(redis_index.url)
    left = {key.decode().removeprefix(redis_index.prefix) for key in client.keys(redis_index.prefix + "*")}
    assert left <= {"lock", "params", "params_count"}  # no article, bucket, story or entry key
    # The dead run's lock expires by itself (no renewal); deleting it stands in for that wait.
    assert 0 < client.pttl(redis_index.prefix + "lock") <= 60_000
    client.delete(redis_index.prefix + "lock")
    result = cli("run", "--config", str(demo / "config.toml"))
    assert "6 new entries (2 joined a story, 4 new stories)" in result.out, result.err
    assert cli("run", "--config", str(reference / "config.toml")).code == 0
    assert outputs(demo) == outputs(reference)


def test_a_failed_run_leaves_staged_records_that_the_next_run_deletes(
    demo: Path, redis_index: RedisIndex, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis_index.use_in(demo / "config.toml")
    reference = copy_demo(demo, "reference")
    monkeypatch.setattr(RedisStore, "STAGE_ARTICLES", 1)  # stage every article, as a big run does

    def broken(*_args: object) -> None:
        raise RuntimeError("attribute failed")

    working = runner.attribute
    monkeypatch.setattr(runner, "attribute", broken)
    with pytest.raises(RuntimeError, match="attribute failed"):
        runner.run(load_config(demo / "config.toml"))
    client = redis.Redis.from_url(redis_index.url)
    keys = {key.decode().removeprefix(redis_index.prefix) for key in client.keys(redis_index.prefix + "*")}
    assert "run:groups" in keys and any(key.startswith("a:") for key in keys)  # staged, not committed
    assert not keys & {"ids", "stories", "version"} and not any(key.startswith("k:") for key in keys)
    monkeypatch.setattr(runner, "attribute", working)
    result = cli("run", "--config", str(demo / "config.toml"))
    assert "6 new entries (2 joined a story, 4 new stories)" in result.out, result.err
    keys = {key.decode().removeprefix(redis_index.prefix) for key in client.keys(redis_index.prefix + "*")}
    assert not any(key.startswith("run:") for key in keys) and "staged_max" not in keys
    assert len([key for key in keys if key.startswith("a:")]) == 6
    # The dead run's bucket entries were stripped: the new run's ids (the same numbers) appear once.
    buckets = [client.hgetall(redis_index.prefix + key) for key in keys if key.startswith("b:")]
    entries = [np.frombuffer(value, dtype="<u4").tolist() for fields in buckets for value in fields.values()]
    assert entries and all(len(ids) == len(set(ids)) for ids in entries)
    assert {i for ids in entries for i in ids} == set(range(1, 7))
    assert cli("run", "--config", str(reference / "config.toml")).code == 0
    assert outputs(demo) == outputs(reference)


def test_a_run_whose_lock_was_taken_over_commits_nothing(
    demo: Path, redis_index: RedisIndex, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host paused past the lock's expiry must not write over the next holder's state."""
    redis_index.use_in(demo / "config.toml")
    client = redis.Redis.from_url(redis_index.url)
    working = runner.attribute

    def taken_over(*args: object) -> None:
        working(*args)  # type: ignore[arg-type]
        client.set(redis_index.prefix + "lock", "another-host", px=60_000)  # as after an expiry

    monkeypatch.setattr(runner, "attribute", taken_over)
    result = cli("run", "--config", str(demo / "config.toml"))
    assert result.code == 1
    assert "the detect lock expired before the commit" in result.err
    assert client.get(redis_index.prefix + "lock") == b"another-host"  # the other host's lock stays
    assert client.keys(redis_index.prefix + "k:*") == [] and client.get(redis_index.prefix + "ids") is None


def test_redis_failing_mid_run_fails_the_run_and_commits_nothing(
    demo: Path, redis_index: RedisIndex, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis_index.use_in(demo / "config.toml")

    def gone(*_args: object) -> None:
        raise redis.ConnectionError("Connection closed by server.")

    monkeypatch.setattr(RedisStore, "bucket_hits", gone)
    result = cli("run", "--config", str(demo / "config.toml"))
    assert result.code == 1
    assert "Redis failed during the run, nothing committed: Connection closed by server." in result.err
    assert not (demo / "out").exists()
    monkeypatch.undo()
    assert "6 new entries" in cli("run", "--config", str(demo / "config.toml")).out


def test_unreachable_redis_fails_the_run_with_the_url(demo: Path, cli) -> None:
    config = demo / "config.toml"
    config.write_text(
        config.read_text() + '\n[index]\nbackend = "redis"\nurl = "redis://127.0.0.1:1/0"\n', encoding="utf-8"
    )
    result = cli("run", "--config", str(config))
    assert result.code == 1
    assert "redis://127.0.0.1:1/0: cannot reach Redis ([index] url)" in result.err
    assert not (demo / "out").exists()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('backend = "mongo"', "index.backend: 'mongo' is not one of sqlite, redis"),
        ('url = "http://x"', "index.url: 'http://x' is not a redis://, rediss:// or unix:// URL"),
        ("colour = 1", "index.colour: unknown key (allowed here: backend, url, prefix)"),
    ],
)
def test_index_config_errors_name_the_key(demo: Path, cli, table: str, message: str) -> None:
    config = demo / "config.toml"
    config.write_text(config.read_text() + f"\n[index]\n{table}\n", encoding="utf-8")
    result = cli("run", "--config", str(config))
    assert result.code == 2
    assert message in result.err


def test_shards_split_the_feeds_by_a_stable_hash() -> None:
    names = [f"feed {n}" for n in range(200)]
    held = [[name for name in names if Shard(k, 4).holds(name)] for k in range(1, 5)]
    assert sorted(name for part in held for name in part) == sorted(names)  # each in one shard
    assert all(len(part) > 20 for part in held)
    assert Shard(2, 2).holds("News Aggregator")  # CRC-32: the same on every host and run
    assert Shard.parse("2/4") == Shard(2, 4)
    for bad in ("0/4", "5/4", "two", "1/0"):
        with pytest.raises(ConfigError, match="--shard"):
            Shard.parse(bad)
