"""Shared fixtures: a private copy of the demo (config.toml + feeds/) per test, and a CLI runner."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.cli.app import main

REPO = Path(__file__).resolve().parent.parent
SEED = REPO.parent / "shared" / "seeds" / "000_eadd4f7e77c9299d.txt"


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A copy of the bundled demo (config.toml and feeds/) in a temporary folder."""
    shutil.copytree(REPO / "feeds", tmp_path / "feeds")
    shutil.copy(REPO / "config.toml", tmp_path / "config.toml")
    return tmp_path


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``syndedup ARGS`` in-process and capture its exit code and output."""

    def run(*args: str) -> CliResult:
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def read_report(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -- Redis (the [index] backend = "redis" tests) ---------------------------------------------------
# .ci/run installs and starts redis-server on 127.0.0.1:6379. Tests use DB 15 and a key prefix of
# their own, deleted afterwards; they skip when no server answers, except under CI, where they fail.
REDIS_URL = "redis://127.0.0.1:6379/15"


@dataclass
class RedisIndex:
    url: str
    prefix: str

    def toml(self) -> str:
        return f'\n[index]\nbackend = "redis"\nurl = "{self.url}"\nprefix = "{self.prefix}"\n'

    def use_in(self, config: Path) -> None:
        """Point a config file at this Redis index."""
        with config.open("a", encoding="utf-8") as out:
            out.write(self.toml())


@pytest.fixture
def redis_index() -> Iterator[RedisIndex]:
    """A private, empty key space in the local Redis server."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but Redis at {REDIS_URL} does not answer ({exc}); .ci/run starts it")
        pytest.skip(f"no Redis server at {REDIS_URL} (start one: redis-server --port 6379 --daemonize yes)")
    index = RedisIndex(REDIS_URL, f"syndedup-test:{uuid.uuid4().hex}:")
    try:
        yield index
    finally:
        keys = list(client.scan_iter(match=index.prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture(params=["sqlite", "redis", "redis-staged"])
def backend_demo(request: pytest.FixtureRequest, demo: Path) -> Path:
    """The demo on each index backend: as is (SQLite), with its dedup state in Redis, and in Redis
    staging every article before the commit (as a large run does every 2,048)."""
    if request.param.startswith("redis"):
        request.getfixturevalue("redis_index").use_in(demo / "config.toml")
    if request.param == "redis-staged":
        from pipeline.store.redis_store import RedisStore

        request.getfixturevalue("monkeypatch").setattr(RedisStore, "STAGE_ARTICLES", 1)
    return demo
