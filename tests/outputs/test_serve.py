"""``syndedup serve``: files by name, validators, 304s, gzip, media types, loopback by default."""

from __future__ import annotations

import gzip
import http.client
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.outputs.serve import OutputServer, make_server, serve_until_stopped, wants_gzip
from tests.conftest import REPO
from tests.emit_helpers import enable_all_outputs


@pytest.fixture
def served(demo: Path, cli) -> Iterator[tuple[OutputServer, Path]]:
    """The demo's outputs (all five) served on a free loopback port for the test's duration."""
    enable_all_outputs(demo / "config.toml")
    assert cli("run", "--config", str(demo / "config.toml")).code == 0
    server = make_server(load_config(demo / "config.toml").output, "127.0.0.1", 0)
    # A short poll interval only makes shutdown() return sooner at the end of each test.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield server, demo / "out"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def get(server: OutputServer, path: str, headers: dict[str, str] | None = None, method: str = "GET"):
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(str(host), port)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("feed.rss", "application/rss+xml; charset=utf-8"),
        ("feed.atom", "application/atom+xml; charset=utf-8"),
        ("feed.json", "application/feed+json; charset=utf-8"),
        ("audit.html", "text/html; charset=utf-8"),
        ("clusters.jsonl", "application/x-ndjson; charset=utf-8"),
    ],
)
def test_files_are_served_by_name_with_their_media_type(served, name: str, media_type: str) -> None:
    server, out = served
    status, headers, body = get(server, f"/{name}")
    assert status == 200
    assert headers["content-type"] == media_type
    assert body == (out / name).read_bytes()
    assert headers["content-length"] == str(len(body))
    assert headers["etag"].startswith('"') and headers["etag"].endswith('"')
    assert headers["last-modified"].endswith(" GMT")
    assert "content-encoding" not in headers


def test_conditional_get_gives_304(served) -> None:
    server, _ = served
    _, headers, _ = get(server, "/feed.rss")
    status, again, body = get(server, "/feed.rss", {"If-None-Match": headers["etag"]})
    assert (status, body) == (304, b"")
    assert again["etag"] == headers["etag"]
    status, _, body = get(server, "/feed.rss", {"If-Modified-Since": headers["last-modified"]})
    assert (status, body) == (304, b"")
    # If-None-Match decides when both are sent: a stale ETag means a full response.
    status, _, body = get(
        server, "/feed.rss", {"If-None-Match": '"stale"', "If-Modified-Since": headers["last-modified"]}
    )
    assert status == 200 and body
    status, _, _ = get(server, "/feed.rss", {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert status == 200


def test_a_byte_identical_rerun_keeps_etag_and_last_modified(served, cli) -> None:
    server, out = served
    _, first, _ = get(server, "/feed.atom")
    assert cli("run", "--config", str(out.parent / "config.toml")).code == 0
    status, _, _ = get(
        server,
        "/feed.atom",
        {"If-None-Match": first["etag"]},
    )
    assert status == 304
    _, second, _ = get(server, "/feed.atom")
    assert (second["etag"], second["last-modified"]) == (first["etag"], first["last-modified"])


def test_gzip_when_asked(served) -> None:
    server, out = served
    status, headers, body = get(server, "/feed.atom", {"Accept-Encoding": "gzip, deflate"})
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(body) == (out / "feed.atom").read_bytes()
    assert len(body) < (out / "feed.atom").stat().st_size
    # The gzip variant has its own ETag, and revalidates to 304 with it.
    _, plain, _ = get(server, "/feed.atom")
    assert headers["etag"] != plain["etag"]
    status, _, body = get(server, "/feed.atom", {"Accept-Encoding": "gzip", "If-None-Match": headers["etag"]})
    assert (status, body) == (304, b"")
    _, refused, _ = get(server, "/feed.atom", {"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused


def test_head_has_headers_and_no_body(served) -> None:
    server, out = served
    status, headers, body = get(server, "/feed.json", method="HEAD")
    assert status == 200 and body == b""
    assert headers["content-length"] == str((out / "feed.json").stat().st_size)


@pytest.mark.parametrize(
    "path",
    ["/nothing.xml", "/../config.toml", "/%2e%2e/config.toml", "/sub/feed.rss", "/.feed.rss.abc.tmp"],
)
def test_only_files_in_the_output_folder_are_served(served, path: str) -> None:
    server, out = served
    (out / ".feed.rss.abc.tmp").write_bytes(b"half-written")
    status, _, _ = get(server, path)
    assert status == 404


def test_index_lists_the_outputs(served) -> None:
    server, _ = served
    status, headers, body = get(server, "/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    for name in ("feed.rss", "feed.atom", "feed.json", "audit.html", "clusters.jsonl"):
        assert f'href="{name}"'.encode() in body


def test_post_is_refused(served) -> None:
    server, _ = served
    status, _, _ = get(server, "/feed.rss", method="POST")
    assert status == 501


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("br, gzip;q=0.5", True),
        ("*", True),
        ("gzip;q=0", False),
        ("identity", False),
        (None, False),
    ],
)
def test_accept_encoding(header: str | None, expected: bool) -> None:
    assert wants_gzip(header) is expected


def test_serve_command_binds_loopback_and_serves(demo: Path, cli) -> None:
    """The real console command: it prints where it serves, on 127.0.0.1 unless told otherwise."""
    assert cli("run", "--config", str(demo / "config.toml")).code == 0
    command = [
        sys.executable,
        "-m",
        "pipeline",
        "serve",
        "--config",
        str(demo / "config.toml"),
        "--port",
        "0",
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line.startswith(f"syndedup: serving {demo / 'out'} at http://127.0.0.1:"), line
            port = int(line.rstrip().rstrip("/").rsplit(":", 1)[1])
            connection = http.client.HTTPConnection("127.0.0.1", port)
            connection.request("GET", "/feed.rss")
            response = connection.getresponse()
            assert response.status == 200
            assert response.read() == (demo / "out/feed.rss").read_bytes()
            connection.close()
        finally:
            process.terminate()  # SIGTERM, as systemd sends: a clean stop
        assert process.wait(timeout=30) == 0


def test_serve_without_outputs_exits_1(demo: Path, cli) -> None:
    result = cli("serve", "--config", str(demo / "config.toml"), "--port", "0")
    assert result.code == 1
    assert result.err == (
        f"syndedup: {demo / 'out'}: output folder does not exist yet (run `syndedup run` first)\n"
    )


def test_serve_with_bad_config_exits_2(tmp_path: Path, cli) -> None:
    result = cli("serve", "--config", str(tmp_path / "nope.toml"))
    assert result.code == 2
    assert "config file not found" in result.err


def test_only_configured_outputs_are_served_not_their_neighbours(tmp_path: Path, cli) -> None:
    """Outputs written next to the config and the state: neither of those may be served."""
    shutil.copytree(REPO / "feeds", tmp_path / "feeds")
    config = tmp_path / "config.toml"
    text = (REPO / "config.toml").read_text(encoding="utf-8")
    text = text.replace('"out/', '"').replace('path = "state/syndedup.sqlite"', 'path = "syndedup.sqlite"')
    config.write_text(text, encoding="utf-8")
    assert cli("run", "--config", str(config)).code == 0
    (tmp_path / "notes.txt").write_text("private", encoding="utf-8")
    server = make_server(load_config(config).output, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        assert get(server, "/feed.rss")[0] == 200
        for name in ("config.toml", "syndedup.sqlite", "syndedup.sqlite.lock", "notes.txt", "feeds"):
            assert get(server, f"/{name}")[0] == 404, name
        index = get(server, "/")[2].decode()
        assert "feed.rss" in index
        assert "config.toml" not in index and "sqlite" not in index
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_body_and_last_modified_come_from_one_version_of_the_file(
    served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 23 item 9: emit replaces an output (rename) while serve reads it. The body and the
    Last-Modified sent must describe the same version, or a reader keeps the old body under the new
    date and never fetches the new one. The replacement is made to land right after the server
    read the old bytes (the open file is wrapped), so the race is hit every time."""
    import builtins
    import email.utils
    import io
    import os

    server, out = served
    target = out / "feed.atom"
    os.utime(target, (1_600_000_000, 1_600_000_000))  # the old version: 2020-09-13
    old_body = target.read_bytes()
    real_open = io.open

    class ReplacedAfterRead:
        def __init__(self, handle):
            self.handle = handle

        def read(self, *args):
            data = self.handle.read(*args)
            replacement = out / ".next.atom"
            replacement.write_bytes(old_body.replace(b"syndedup demo", b"syndedup demo, next run"))
            os.utime(replacement, (1_700_000_000, 1_700_000_000))  # the new version: 2023-11-14
            os.replace(replacement, target)
            return data

        def __getattr__(self, name):
            return getattr(self.handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

    def opening(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        if str(file) == str(target) and "r" in mode and "b" in mode:
            return ReplacedAfterRead(handle)
        return handle

    monkeypatch.setattr(io, "open", opening)
    monkeypatch.setattr(builtins, "open", opening)
    status, headers, body = get(server, "/feed.atom")
    monkeypatch.undo()
    assert status == 200
    assert body == old_body
    assert headers["last-modified"] == email.utils.formatdate(1_600_000_000, usegmt=True)
    status, headers, body = get(server, "/feed.atom")  # the next request gets the new version
    assert b"syndedup demo, next run" in body
    assert headers["last-modified"] == email.utils.formatdate(1_700_000_000, usegmt=True)


def test_a_sigterm_during_a_request_still_stops_the_server(demo: Path, cli) -> None:
    """SIGTERM arriving while the main thread dispatches a request (socketserver catches Exception
    there): serving stops all the same, it is not logged as the request's error."""
    assert cli("run", "--config", str(demo / "config.toml")).code == 0
    server = make_server(load_config(demo / "config.toml").output, "127.0.0.1", 0)
    dispatch = server.process_request

    def process_request(request, client_address) -> None:  # type: ignore[no-untyped-def]
        os.kill(os.getpid(), signal.SIGTERM)  # the handler runs inside this dispatch
        dispatch(request, client_address)

    server.process_request = process_request  # type: ignore[method-assign]
    swallowed = threading.Event()

    def give_up() -> None:  # only if SIGTERM was swallowed
        swallowed.set()
        server.shutdown()

    fallback = threading.Timer(20, give_up)
    host, port = server.server_address[:2]

    def client() -> None:
        connection = http.client.HTTPConnection(str(host), int(port), timeout=20)
        try:
            connection.request("GET", "/feed.rss")
            connection.getresponse().read()
        except OSError:
            pass  # the server may close before answering
        finally:
            connection.close()

    fallback.start()
    requester = threading.Thread(target=client, daemon=True)
    requester.start()
    try:
        serve_until_stopped(server)
    finally:
        fallback.cancel()
        requester.join(timeout=20)
    assert not swallowed.is_set()
