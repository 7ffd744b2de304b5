"""The article-page client against sites served on 127.0.0.1: timeouts, size caps, content types,
redirects, robots.txt, conditional GET and the per-host delay."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipeline.sources.page_client import USER_AGENT, PageClient, PageRequest
from tests.feedserver import FeedServer
from tests.feedserver import Route as FeedRoute

PAGE = b"<html><head><title>T</title></head><body><p>Hello page.</p></body></html>"


@dataclass
class Route:
    """One canned answer. ``hold`` keeps the request waiting until the test ends (a hung server)."""

    body: bytes = PAGE
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})
    hold: bool = False
    length: bool = True  # send Content-Length (else the body ends when the connection closes)


class Site:
    """An HTTP server on 127.0.0.1 answering from ``routes`` and recording each request's path."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.release = threading.Event()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append((self.path, dict(self.headers)))
                route = site.routes.get(self.path, Route(b"not found", 404, {}))
                if route.hold:
                    site.release.wait(10)
                    return
                etag = route.headers.get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                if route.length:
                    self.send_header("Content-Length", route.headers.get("X-Length", str(len(route.body))))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(route.body)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Iterator[Site]:
    server = Site()
    yield server
    server.close()


@pytest.fixture
def sites() -> Iterator[Callable[[], Site]]:
    started: list[Site] = []

    def start() -> Site:
        started.append(Site())
        return started[-1]

    yield start
    for server in started:
        server.close()


def client(**options: float) -> PageClient:
    options.setdefault("allow_private", True)  # the test sites are on 127.0.0.1
    return PageClient(timeout=options.pop("timeout", 5.0), per_host_delay=0.0, **options)  # type: ignore[arg-type]


def test_html_page_is_fetched_with_our_user_agent(site: Site) -> None:
    site.routes["/a"] = Route()
    with client() as http:
        response = http.get(PageRequest(site.url("/a")))
    assert response.error is None
    assert response.body == PAGE
    assert response.encoding == "utf-8"
    assert site.paths() == ["/robots.txt", "/a"]
    assert site.requests[1][1]["User-Agent"] == USER_AGENT


def test_page_that_times_out_is_a_retryable_error(site: Site) -> None:
    site.routes["/slow"] = Route(hold=True)
    with client(timeout=0.2) as http:
        response = http.get(PageRequest(site.url("/slow")))
    assert response.error == f"timed out after 0.2 s fetching {site.url('/slow')}"
    assert response.retry


def test_a_page_trickling_its_headers_is_cut_off_after_three_timeouts() -> None:
    """Issue 23: a header byte every 50 ms (each read well inside the 0.5 s timeout) for 10 s; the
    page has 3 timeouts from connect to last byte, so the server never gets its headers out."""
    with FeedServer() as server:
        server.routes["/trickle"] = FeedRoute(body=PAGE, content_type="text/html", trickle_headers=200)
        with client(timeout=0.5, respect_robots=False) as http:
            response = http.get(PageRequest(server.url("/trickle")))
    assert response.error == f"page took over 1.5 s to arrive: {server.url('/trickle')}"
    assert response.retry
    assert server.hits[0].sent < 200


def test_huge_page_is_refused_by_its_declared_length(site: Site) -> None:
    site.routes["/huge"] = Route(b"<html>", headers={"Content-Type": "text/html", "X-Length": str(10**10)})
    with client() as http:
        response = http.get(PageRequest(site.url("/huge")))
    assert response.error == f"page larger than 5242880 bytes ({10**10} declared): {site.url('/huge')}"
    assert not response.retry


def test_huge_page_without_a_length_is_cut_off_while_streaming(site: Site) -> None:
    site.routes["/stream"] = Route(b"<html>" + b"x" * 200_000, length=False)
    with PageClient(timeout=5.0, per_host_delay=0.0, max_bytes=50_000, allow_private=True) as http:
        response = http.get(PageRequest(site.url("/stream")))
    assert response.error == f"page larger than 50000 bytes: {site.url('/stream')}"
    assert response.body == b""


def test_non_html_page_is_refused(site: Site) -> None:
    site.routes["/report.pdf"] = Route(b"%PDF-1.7", headers={"Content-Type": "application/pdf"})
    site.routes["/bare"] = Route(b"\x00\x01binary", headers={})
    with client() as http:
        pdf = http.get(PageRequest(site.url("/report.pdf")))
        bare = http.get(PageRequest(site.url("/bare")))
    assert pdf.error == f"not an HTML page (application/pdf): {site.url('/report.pdf')}"
    assert bare.error == f"not an HTML page (no Content-Type, no markup): {site.url('/bare')}"
    assert not pdf.retry and not bare.retry


def test_redirect_is_followed_to_another_host(sites: Callable[[], Site]) -> None:
    old, new = sites(), sites()
    new.routes["/story"] = Route()
    old.routes["/s/1"] = Route(b"", 301, {"Location": new.url("/story")})
    with client() as http:
        response = http.get(PageRequest(old.url("/s/1")))
    assert response.error is None
    assert response.url == old.url("/s/1")
    assert response.final_url == new.url("/story")
    assert response.body == PAGE
    assert new.paths() == ["/robots.txt", "/story"]  # the new host's robots.txt is asked too


def test_redirect_loop_stops(site: Site) -> None:
    site.routes["/loop"] = Route(b"", 302, {"Location": "/loop"})
    with client() as http:
        response = http.get(PageRequest(site.url("/loop")))
    assert response.error == f"more than 5 redirects from {site.url('/loop')}"


def test_robots_txt_disallow_is_respected(site: Site) -> None:
    site.routes["/robots.txt"] = Route(
        b"User-agent: *\nDisallow: /private/\n", headers={"Content-Type": "text/plain"}
    )
    site.routes["/private/a"] = Route()
    site.routes["/public/a"] = Route()
    with client() as http:
        private = http.get(PageRequest(site.url("/private/a")))
        public = http.get(PageRequest(site.url("/public/a")))
    assert private.error == f"robots.txt of {site.base[7:]} disallows {site.url('/private/a')}"
    assert not private.retry
    assert public.error is None
    assert site.paths() == ["/robots.txt", "/public/a"]  # robots.txt read once; /private never asked
    with PageClient(timeout=5.0, per_host_delay=0.0, respect_robots=False, allow_private=True) as http:
        assert http.get(PageRequest(site.url("/private/a"))).error is None


def test_robots_txt_server_error_keeps_out_for_now(site: Site) -> None:
    site.routes["/robots.txt"] = Route(b"oops", 503, {})
    site.routes["/a"] = Route()
    with client() as http:
        response = http.get(PageRequest(site.url("/a")))
    assert response.error == f"robots.txt answered HTTP 503; not fetching from {site.base[7:]}"
    assert response.retry
    assert site.paths() == ["/robots.txt"]


def test_conditional_get_sends_validators(site: Site) -> None:
    site.routes["/a"] = Route(headers={"Content-Type": "text/html", "ETag": '"v1"'})
    with client() as http:
        first = http.get(PageRequest(site.url("/a")))
        second = http.get(PageRequest(site.url("/a"), etag=first.etag))
    assert first.etag == '"v1"' and not first.not_modified
    assert second.not_modified and second.status == 304 and second.error is None
    assert site.requests[-1][1]["If-None-Match"] == '"v1"'


def test_http_errors_say_whether_to_retry(site: Site) -> None:
    site.routes["/gone"] = Route(b"", 404, {})
    site.routes["/busy"] = Route(b"", 503, {})
    with client() as http:
        gone = http.get(PageRequest(site.url("/gone")))
        busy = http.get(PageRequest(site.url("/busy")))
    assert gone.error == f"HTTP 404 Not Found from {site.url('/gone')}" and not gone.retry
    assert busy.status == 503 and busy.retry


class FakeClock:
    """A clock that only moves when the client sleeps, to see the waits it asks for."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def test_per_host_delay_and_crawl_delay_space_out_requests(sites: Callable[[], Site]) -> None:
    plain, slow = sites(), sites()
    slow.routes["/robots.txt"] = Route(
        b"User-agent: *\nCrawl-delay: 3\n", headers={"Content-Type": "text/plain"}
    )
    for server in (plain, slow):
        server.routes["/1"] = Route()
        server.routes["/2"] = Route()
    clock = FakeClock()
    with PageClient(
        timeout=5.0, per_host_delay=1.5, clock=clock, sleep=clock.sleep, allow_private=True
    ) as http:
        for server in (plain, slow):
            for path in ("/1", "/2"):
                assert http.get(PageRequest(server.url(path))).error is None
    # Each host: robots.txt, then two pages, each after the host's delay; hosts do not wait on each other.
    assert clock.sleeps == [1.5, 1.5, 3.0, 3.0]


def test_get_many_fetches_every_page_once(sites: Callable[[], Site]) -> None:
    one, two = sites(), sites()
    for server in (one, two):
        for path in ("/1", "/2", "/3"):
            server.routes[path] = Route()
    urls = [server.url(path) for server in (one, two) for path in ("/1", "/2", "/3")]
    with client() as http:
        responses = list(http.get_many(PageRequest(url) for url in urls))
    assert sorted(r.url for r in responses) == sorted(urls)
    assert all(r.error is None for r in responses)
    assert sorted(one.paths()) == ["/1", "/2", "/3", "/robots.txt"]


def test_links_to_private_addresses_are_refused_by_default(site: Site) -> None:
    site.routes["/a"] = Route()
    with PageClient(timeout=5.0, per_host_delay=0.0) as http:
        for url in (site.url("/a"), "http://169.254.169.254/latest/meta-data/", "http://[::1]/x"):
            response = http.get(PageRequest(url))
            assert response.error is not None and "non-public address" in response.error, url
            assert response.retry is False


def test_gzip_bomb_page_is_cut_off_at_the_cap(site: Site) -> None:
    import gzip

    bomb = gzip.compress(b"<html><body>" + b"a" * (60 * 1024 * 1024), compresslevel=9)
    site.routes["/bomb"] = Route(bomb, 200, {"Content-Type": "text/html", "Content-Encoding": "gzip"})
    with PageClient(timeout=5.0, per_host_delay=0.0, max_bytes=1_000_000, allow_private=True) as http:
        response = http.get(PageRequest(site.url("/bomb")))
    assert response.error == f"page larger than 1000000 bytes: {site.url('/bomb')}"
