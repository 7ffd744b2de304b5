"""A polite HTTP client for article pages: robots.txt, one request at a time per host with a delay
between two, timeouts, a size cap, conditional GET, and HTML only.

Kept apart from the stage (``stages/fulltext.py``) so that feed fetching can share it later. Every
failure is returned as a ``PageResponse.error`` with a reason a person can act on; ``get`` never
raises for bad pages or servers.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlparse
from urllib.robotparser import RobotFileParser

import httpx

from pipeline.sources.deadline import CLOSE, Deadline
from pipeline.sources.fetch import USER_AGENT, FetchError, decoded  # shared with the feed fetcher

ROBOTS_AGENT = "syndedup"  # the product token robots.txt groups are matched against
# News pages are 50 KB - 1 MB of HTML; 5 MB leaves room for inline scripts and stops a runaway stream.
MAX_PAGE_BYTES = 5 * 1024 * 1024
# RFC 9309 asks crawlers to parse at least 500 KiB of robots.txt.
MAX_ROBOTS_BYTES = 512 * 1024
MAX_REDIRECTS = 5
# A robots.txt Crawl-delay above a minute would stall a 15-minute cron run; such hosts wait 60 s.
MAX_CRAWL_DELAY = 60.0
# Hosts fetched at once; each host still gets one request at a time (the per-host concurrency limit).
MAX_WORKERS = 8
HTML_TYPES = frozenset(["text/html", "application/xhtml+xml"])


@dataclass(frozen=True, slots=True)
class PageRequest:
    """A page to get, with the validators of an earlier fetch for a conditional GET."""

    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class PageResponse:
    """What getting one page gave: ``error`` means no usable body; ``retry``: trying later may help."""

    url: str
    final_url: str
    status: int | None = None
    body: bytes = b""
    encoding: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    error: str | None = None
    retry: bool = False


class PageError(Exception):
    """Internal: one page cannot be had; becomes a PageResponse error."""

    def __init__(self, message: str, retry: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.retry = retry
        self.status = status


@dataclass(slots=True)
class _Host:
    """Per-host politeness state: one request at a time, the time the last one ended, its robots.txt."""

    gate: threading.Lock = field(default_factory=threading.Lock)
    robots_lock: threading.Lock = field(default_factory=threading.Lock)
    last: float | None = None
    robots: RobotFileParser | None = None
    robots_error: str | None = None
    delay: float = 0.0


class PageClient:
    """Gets HTML pages politely. Use as a context manager; safe to call from several threads."""

    def __init__(
        self,
        timeout: float,
        per_host_delay: float,
        respect_robots: bool = True,
        max_bytes: int = MAX_PAGE_BYTES,
        allow_private: bool = False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.timeout = timeout
        self.per_host_delay = per_host_delay
        self.respect_robots = respect_robots
        self.max_bytes = max_bytes
        self.allow_private = allow_private
        self._clock = clock
        self._sleep = sleep
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()
        self._http = httpx.Client(timeout=timeout, follow_redirects=False, headers={"User-Agent": USER_AGENT})

    def __enter__(self) -> PageClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def get_many(self, requests: Iterable[PageRequest]) -> Iterator[PageResponse]:
        """Get every page: hosts in parallel, each host's pages one after another. Order not kept."""
        by_host: dict[str, list[PageRequest]] = {}
        for request in requests:
            by_host.setdefault(urlparse(request.url).netloc.lower(), []).append(request)
        if not by_host:
            return
        with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(by_host))) as pool:
            futures = [pool.submit(lambda rs: [self.get(r) for r in rs], rs) for rs in by_host.values()]
            for future in as_completed(futures):
                yield from future.result()

    def get(self, request: PageRequest) -> PageResponse:
        """Get one page, following up to 5 redirects (each hop checked against its host's robots.txt)."""
        url = request.url
        try:
            for _ in range(MAX_REDIRECTS + 1):
                parsed = urlparse(url)
                if parsed.scheme not in ("http", "https") or not parsed.netloc:
                    raise PageError(f"not an http(s) URL: {url}", retry=False)
                if not self.allow_private:
                    refuse_private_host(parsed.hostname or "", url)
                host = self._host(parsed.netloc.lower())
                if self.respect_robots:
                    self._check_robots(host, parsed.scheme, parsed.netloc, url)
                headers = {
                    "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
                    "Accept-Encoding": "gzip, deflate",  # the two that decoded() inflates boundedly
                }
                if request.etag:
                    headers["If-None-Match"] = request.etag
                if request.last_modified:
                    headers["If-Modified-Since"] = request.last_modified
                with self._turn(host):
                    outcome = self._once(url, headers)
                if isinstance(outcome, str):
                    url = outcome
                    continue
                return PageResponse(request.url, **outcome)
            raise PageError(f"more than {MAX_REDIRECTS} redirects from {request.url}", retry=False)
        except PageError as exc:
            return PageResponse(request.url, url, status=exc.status, error=str(exc), retry=exc.retry)

    def _once(self, url: str, headers: dict[str, str]) -> str | dict:
        """One request: the next URL for a redirect, else the response fields. The whole exchange,
        headers included, has 3 timeouts (``Deadline``; the body loop checks the same with ``_clock``)."""
        start = self._clock()
        cutoff = Deadline(3 * self.timeout)
        try:
            with (
                cutoff,
                self._http.stream(
                    "GET", url, headers={**headers, **CLOSE}, extensions=cutoff.extensions
                ) as response,
            ):
                status = response.status_code
                if response.is_redirect and response.headers.get("location"):
                    return urljoin(url, response.headers["location"])
                validators = {
                    "etag": response.headers.get("etag"),
                    "last_modified": response.headers.get("last-modified"),
                }
                if status == 304:
                    return {"final_url": url, "status": 304, "not_modified": True, **validators}
                if status >= 400:
                    raise PageError(
                        f"HTTP {status} {response.reason_phrase} from {url}",
                        retry=status >= 500 or status in (408, 429),
                        status=status,
                    )
                content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if content_type and content_type not in HTML_TYPES:
                    raise PageError(f"not an HTML page ({content_type}): {url}", retry=False, status=status)
                body = self._read(response, url, start, self.max_bytes)
                if not content_type and not body.lstrip()[:1] == b"<":
                    raise PageError(f"not an HTML page (no Content-Type, no markup): {url}", False, status)
                return {
                    "final_url": url,
                    "status": status,
                    "body": body,
                    "encoding": response.charset_encoding,
                    **validators,
                }
        except (httpx.HTTPError, PageError) as exc:
            if cutoff.expired:  # the deadline shut the connection
                raise PageError(self._too_long(url), retry=True) from None
            if isinstance(exc, PageError):
                raise
            if isinstance(exc, httpx.TimeoutException):
                raise PageError(f"timed out after {self.timeout:g} s fetching {url}", retry=True) from None
            raise PageError(f"cannot fetch {url}: {exc}", retry=True) from None

    def _too_long(self, url: str) -> str:
        return f"page took over {3 * self.timeout:g} s to arrive: {url}"

    def _read(self, response: httpx.Response, url: str, start: float, limit: int) -> bytes:
        """The body, refusing more than ``limit`` bytes or a trickle slower than 3 timeouts in total."""
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise PageError(f"page larger than {limit} bytes ({declared} declared): {url}", retry=False)
        chunks: list[bytes] = []
        size = 0
        encoding = response.headers.get("content-encoding", "")
        try:  # decoded(): a gzip bomb is inflated 64 KiB at a time, so the cap stops it early
            for chunk in decoded(response.iter_raw(), encoding, url):
                size += len(chunk)
                if size > limit:
                    raise PageError(f"page larger than {limit} bytes: {url}", retry=False)
                if self._clock() - start > 3 * self.timeout:
                    raise PageError(self._too_long(url), retry=True)
                chunks.append(chunk)
        except FetchError as exc:
            raise PageError(exc.message, retry=False) from None
        return b"".join(chunks)

    def _host(self, netloc: str) -> _Host:
        with self._hosts_lock:
            return self._hosts.setdefault(netloc, _Host(delay=self.per_host_delay))

    @contextmanager
    def _turn(self, host: _Host) -> Iterator[None]:
        """Hold the host's one request slot, after waiting out its delay since the last request ended."""
        with host.gate:
            if host.last is not None:
                wait = host.last + host.delay - self._clock()
                if wait > 0:
                    self._sleep(wait)
            try:
                yield
            finally:
                host.last = self._clock()

    def _check_robots(self, host: _Host, scheme: str, netloc: str, url: str) -> None:
        with host.robots_lock:
            if host.robots is None and host.robots_error is None:
                self._load_robots(host, f"{scheme}://{netloc}/robots.txt")
        if host.robots_error is not None:
            raise PageError(host.robots_error, retry=True)
        robots = host.robots
        if robots is not None and not robots.can_fetch(ROBOTS_AGENT, url):
            raise PageError(f"robots.txt of {netloc} disallows {url}", retry=False)

    def _load_robots(self, host: _Host, robots_url: str) -> None:
        """RFC 9309: 4xx means no rules (401/403: keep out), 5xx or no answer means keep out for now."""
        parser = RobotFileParser(robots_url)
        cutoff = Deadline(3 * self.timeout)
        try:
            with (
                self._turn(host),
                cutoff,
                self._http.stream(
                    "GET", robots_url, headers=CLOSE, follow_redirects=True, extensions=cutoff.extensions
                ) as response,
            ):
                status = response.status_code
                body = (
                    self._read(response, robots_url, self._clock(), MAX_ROBOTS_BYTES) if status < 400 else b""
                )
        except (httpx.HTTPError, PageError) as exc:
            reason = self._too_long(robots_url) if cutoff.expired else str(exc)
            host.robots_error = (
                f"robots.txt unreachable ({reason}); not fetching from {urlparse(robots_url).netloc}"
            )
            return
        if status in (401, 403):
            parser.disallow_all = True  # type: ignore[attr-defined]  # set by its own read()
        elif status >= 500:
            host.robots_error = (
                f"robots.txt answered HTTP {status}; not fetching from {urlparse(robots_url).netloc}"
            )
            return
        elif status >= 400:
            parser.allow_all = True  # type: ignore[attr-defined]
        else:
            parser.parse(body.decode("utf-8", errors="replace").splitlines())
            delay = parser.crawl_delay(ROBOTS_AGENT)
            if delay is not None:
                host.delay = max(host.delay, min(float(delay), MAX_CRAWL_DELAY))
        host.robots = parser


def refuse_private_host(hostname: str, url: str) -> None:
    """Refuse a link whose host is, or resolves to, a loopback, private, link-local or reserved
    address. Entry links come from feed content that anybody can write; without this a feed could
    make syndedup request http://127.0.0.1:..., a cloud metadata address or the LAN. Operators who
    fetch pages from their own network set ``[fetch] allow_private_pages = true``."""
    try:
        infos = socket.getaddrinfo(hostname, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise PageError(f"cannot resolve the host of {url}", retry=True) from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address.is_global or address.is_multicast:
            raise PageError(
                f"link points to a non-public address ({address}), not fetched: {url} "
                "(set [fetch] allow_private_pages = true to allow it)",
                retry=False,
            )
