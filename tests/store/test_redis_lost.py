"""Redis restarted without its data (issue 23, fault 6): the host's SQLite file still holds the feeds'
validators and digests, so a run found nothing new and published an empty feed ("0 items written",
exit 0), and `run --force` did not recover. An epoch and a commit counter kept on both sides tell a
lost or older index; commands refuse it (exit 4) and `run --force` reads every feed again."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import RedisIndex, read_report
from tests.store.test_redis_index import OUTPUTS, outputs, stories

EXIT_STATE_DAMAGED = 4


def prefix_keys(client: redis.Redis, prefix: str) -> list[bytes]:
    return list(client.scan_iter(match=prefix + "*", count=1000))


def one_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


def add_an_entry(demo: Path) -> None:
    feed = demo / "feeds/world-desk.xml"
    item = (
        "<item><title>Night trains return</title><link>https://world-desk.example/trains</link>"
        "<guid>wd-trains</guid><pubDate>Tue, 24 Jan 2017 10:00:00 GMT</pubDate><description>Night "
        "trains between the two capitals return in May after a pause of ten years, the operator "
        "said on Tuesday, with four departures a week in each direction.</description></item>"
    )
    feed.write_text(feed.read_text(encoding="utf-8").replace("</channel>", item + "</channel>"))


def test_a_redis_index_that_lost_its_data_is_refused_and_force_reads_every_feed_again(
    demo: Path, redis_index: RedisIndex, cli
) -> None:
    redis_index.use_in(demo / "config.toml")
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    published, before = outputs(demo), stories(demo)
    guids = [story["story"] for story in read_report(demo / "out/clusters.jsonl")]
    client = redis.Redis.from_url(redis_index.url)
    client.delete(*prefix_keys(client, redis_index.prefix))  # what a restart without persistence leaves
    for command in (("run",), ("emit",), ("rebuild",)):
        result = cli(*command, "--config", config)
        assert result.code == EXIT_STATE_DAMAGED, (command, result.err)
        line = one_line(result.err)
        assert line.startswith(
            f"syndedup: {redis_index.url} (prefix {redis_index.prefix!r}): the Redis index lost its data "
            "(it has no epoch: it is empty or was emptied);"
        ), line
        assert "run `syndedup run --force` on every host" in line
        assert outputs(demo) == published  # the published feed was not emptied
    assert prefix_keys(client, redis_index.prefix) == []  # and nothing was half-written to Redis
    forced = cli("run", "--config", config, "--force")
    assert forced.code == 0, forced.err
    assert "the Redis index lost its data" in forced.err and "reading every feed again" in forced.err
    assert "6 new entries (2 joined a story, 4 new stories)" in forced.out
    assert stories(demo) == before
    assert [story["story"] for story in read_report(demo / "out/clusters.jsonl")] == guids  # same GUIDs
    again = cli("run", "--config", config)
    assert again.code == 0 and again.err == ""
    client.close()


def test_a_redis_index_gone_back_to_an_older_copy_is_refused(
    demo: Path, redis_index: RedisIndex, cli
) -> None:
    """Redis restarted from a snapshot older than this host's last commit: its newer entries are
    gone, while this host's validators say that its feeds sent nothing new since."""
    redis_index.use_in(demo / "config.toml")
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    client = redis.Redis.from_url(redis_index.url)
    snapshot = {key: client.dump(key) for key in prefix_keys(client, redis_index.prefix)}
    add_an_entry(demo)
    assert "1 new entry" in cli("run", "--config", config).out
    published = outputs(demo)
    client.delete(*prefix_keys(client, redis_index.prefix))
    for key, value in snapshot.items():
        client.restore(key, 0, value)
    result = cli("run", "--config", config)
    assert result.code == EXIT_STATE_DAMAGED
    assert (
        "the Redis index lost its data (it is at commit 1, this host already saw commit 2: it went "
        "back to an older copy)"
    ) in one_line(result.err)
    assert outputs(demo) == published
    forced = cli("run", "--config", config, "--force")
    assert forced.code == 0, forced.err
    assert "1 new entry" in forced.out  # read again; the entries the older copy kept are skipped
    assert len(read_report(demo / "out/clusters.jsonl")) == 5
    client.close()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A redis-server of this test's own on a free port, without persistence, as .ci/run starts the
    shared one; yields its URL and the folder to restart it in."""
    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but redis-server is not installed; .ci/run installs it")
        pytest.skip("redis-server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yield f"redis://127.0.0.1:{port}/0", tmp_path


def start_redis(url: str, folder: Path) -> subprocess.Popen[str]:
    """Start redis-server and return once it accepts connections (it says so on stdout)."""
    port = url.rsplit(":", 1)[1].split("/")[0]
    server = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            port,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    for line in server.stdout:
        if "Ready to accept connections" in line:
            return server
    raise AssertionError(f"redis-server on port {port} did not start (exit {server.wait()})")


def stop_redis(server: subprocess.Popen[str]) -> None:
    server.terminate()  # SIGTERM: with --save "" nothing is written, as a crash or reboot would leave it
    server.wait()
    assert server.stdout is not None
    server.stdout.close()


def test_a_redis_server_restarted_without_persistence_is_detected(
    demo: Path, private_redis: tuple[str, Path], cli
) -> None:
    url, folder = private_redis
    RedisIndex(url, "syndedup:").use_in(demo / "config.toml")
    config = str(demo / "config.toml")
    server = start_redis(url, folder)
    try:
        assert cli("run", "--config", config).code == 0
        published = outputs(demo)
        stop_redis(server)
        server = start_redis(url, folder)
        result = cli("run", "--config", config)
        assert result.code == EXIT_STATE_DAMAGED
        assert f"syndedup: {url} (prefix 'syndedup:'): the Redis index lost its data" in one_line(result.err)
        assert outputs(demo) == published
        forced = cli("run", "--config", config, "--force")
        assert forced.code == 0, forced.err
        assert all((demo / "out" / name).read_bytes() for name in OUTPUTS)
        assert len(read_report(demo / "out/clusters.jsonl")) == 4
    finally:
        stop_redis(server)
