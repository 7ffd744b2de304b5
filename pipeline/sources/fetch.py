"""Fetch a feed's bytes politely: local files, or HTTP(S) with httpx.

Conditional GET (ETag / Last-Modified), redirects followed by hand so that a 301/308 chain can be
remembered while a 302/307 is not, gzip and deflate (inflated here, ``decoded``), timeouts, and a
size cap enforced while the body streams in, so a 300 MB or gzip-bomb response is cut off, never
held in memory. The bytes say what they are (``unwrapped``): a body labelled gzip that is plain
XML is read as it is, a gzip body without the label (or compressed twice) is inflated. Failures
raise FetchError with a message naming the URL and the reason; ingest turns them into FetchResult
errors.
"""

from __future__ import annotations

import itertools
import os
import stat
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlparse

import httpx

from pipeline import __version__
from pipeline.config import FetchConfig
from pipeline.sources.deadline import CLOSE, Deadline

USER_AGENT = f"syndedup/{__version__} (+https://pypi.org/project/syndedup/)"
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
_PERMANENT = (301, 308)
_TEMPORARY = (302, 303, 307)


@dataclass(frozen=True, slots=True)
class RawFeed:
    """A feed's bytes and the HTTP headers that came with them (empty for files)."""

    body: bytes
    headers: dict[str, str]
    not_modified: bool = False
    status: int | None = None
    # Where a chain of 301/308 redirects from the requested URL ended; None without one.
    permanent_url: str | None = None
    # The URL the body came from after all redirects (the base of the feed's relative links);
    # None for a local file.
    url: str | None = None
    # What the bytes said that the headers did not (a gzip body unlabelled, labelled but plain,
    # compressed twice), in words: the feed's warnings when it is parsed.
    notes: tuple[str, ...] = ()


@dataclass(slots=True)
class FetchError(Exception):
    """A feed could not be fetched; ``message`` is shown to the user as is.

    ``gone`` marks a 410 (the feed is then skipped until its URL changes); ``retry_after`` is the
    server's Retry-After in seconds (429/503); ``permanent_url`` a 301/308 target seen on the way;
    ``connect_failed``: no connection could be made (name resolution, refused, unreachable, connect
    timeout), which is what every feed shows when the host's own network is down.
    """

    message: str
    status: int | None = None
    gone: bool = False
    retry_after: float | None = None
    permanent_url: str | None = field(default=None)
    connect_failed: bool = False

    def __str__(self) -> str:
        return self.message


def make_client(config: FetchConfig) -> httpx.Client:
    """One shared client (connection pooling) with our timeouts; redirects are followed by hand."""
    timeout = httpx.Timeout(config.timeout, connect=config.connect_timeout)
    limits = httpx.Limits(max_connections=config.concurrency, max_keepalive_connections=config.concurrency)
    return httpx.Client(
        timeout=timeout,
        limits=limits,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"},
    )


def local_path(url: str) -> Path:
    """The file a feed URL that is not http(s) names: a file:// URL or a plain path."""
    parsed = urlparse(url)
    return Path(unquote(parsed.path)) if parsed.scheme.lower() == "file" else Path(url)


def read_file(url: str, max_bytes: int) -> RawFeed:
    """A local feed file (path or file:// URL), refused when larger than ``max_bytes`` or when it
    is not a regular file: a FIFO without a writer would block the run for ever, a device never
    ends. Opened without blocking, then checked on the open descriptor (no race with a rename)."""
    path = local_path(url)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as handle:
            kind = file_kind(os.fstat(handle.fileno()).st_mode)
            if kind is not None:
                raise FetchError(f"is a {kind}, not a feed file: {path}")
            body = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise FetchError(f"file not found: {path} (check the feed's url in the config)") from None
    except OSError as exc:
        kind = _path_kind(path)  # a socket cannot be opened (ENXIO): say what it is
        if kind is not None:
            raise FetchError(f"is a {kind}, not a feed file: {path}") from None
        raise FetchError(f"cannot read {path}: {exc.strerror}") from None
    if len(body) > max_bytes:
        raise FetchError(f"file larger than {max_bytes} bytes ([fetch] max_bytes): {path}")
    notes: list[str] = []
    if body.startswith(GZIP_MAGIC):
        body = _gunzip_file(body, max_bytes, path, notes)
    return RawFeed(body=body, headers={}, notes=tuple(notes))


# The first bytes of a gzip member: ID1 ID2 and CM = 8 (deflate, the only method RFC 1952 defines).
GZIP_MAGIC = b"\x1f\x8b\x08"
# Layers of gzip inflated at most: a server that gzips a stored ``feed.xml.gz`` sends two; more
# than three is no feed.
MAX_GZIP_LAYERS = 3


def file_kind(mode: int) -> str | None:
    """What a file that is not a regular one is, from its ``st_mode`` ("FIFO (named pipe)", ...);
    None for a regular file, the only kind a feed is read from."""
    if stat.S_ISREG(mode):
        return None
    kinds = (
        (stat.S_ISDIR, "folder"),
        (stat.S_ISFIFO, "FIFO (named pipe)"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISSOCK, "socket"),
    )
    return next((name for test, name in kinds if test(mode)), "special file")


def _path_kind(path: Path) -> str | None:
    try:
        return file_kind(path.stat().st_mode)
    except OSError:
        return None


def _gunzip_file(body: bytes, max_bytes: int, path: Path, notes: list[str]) -> bytes:
    """A gzip-compressed feed file (``feed.xml.gz``, or a saved HTTP body, even compressed twice),
    inflated under the cap."""
    size = 0
    chunks: list[bytes] = []
    try:
        for chunk in unwrapped(iter((body,)), "gzip", str(path), notes):
            size += len(chunk)
            if size > max_bytes:
                break
            chunks.append(chunk)
    except FetchError as exc:
        raise FetchError(f"{exc.message} (the file is gzip-compressed)") from None
    if size > max_bytes:
        raise FetchError(f"gzip file inflates to more than {max_bytes} bytes ([fetch] max_bytes): {path}")
    return b"".join(chunks)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds from ``now``: either delta-seconds or an HTTP date; None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - now).total_seconds())


def fetch_http(
    client: httpx.Client,
    url: str,
    config: FetchConfig,
    now: datetime,
    etag: str | None = None,
    last_modified: str | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> RawFeed:
    """GET ``url`` with a conditional GET; follow up to max_redirects redirects; raise FetchError.

    The whole exchange, redirects included, has ``[fetch] total_timeout`` seconds from the first
    connect to the last byte (``Deadline``: a server trickling its headers is cut off too).
    ``monotonic`` is the clock of the same deadline while the body streams in (injectable for tests).
    """
    headers: dict[str, str] = {**CLOSE}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    deadline = monotonic() + config.total_timeout
    current = url
    permanent: str | None = None
    all_permanent = True
    with Deadline(config.total_timeout) as cutoff:
        for _ in range(config.max_redirects + 1):
            try:
                with client.stream("GET", current, headers=headers, extensions=cutoff.extensions) as response:
                    status = response.status_code
                    if status in _PERMANENT or status in _TEMPORARY:
                        target = _redirect_target(current, response.headers.get("location"))
                        all_permanent = all_permanent and status in _PERMANENT
                        if all_permanent:
                            permanent = target
                        current = target
                        continue
                    return _read_response(response, current, permanent, config, now, deadline, monotonic)
            except (httpx.HTTPError, FetchError) as exc:
                if cutoff.expired:  # the deadline shut the connection: whatever broke, that is why
                    raise _too_long(current, config, None, permanent) from None
                if isinstance(exc, FetchError):
                    raise
                raise _http_error(exc, current, permanent) from None
    raise FetchError(
        f"more than {config.max_redirects} redirects from {url} (last: {current})", permanent_url=permanent
    )


def _http_error(exc: httpx.HTTPError, url: str, permanent: str | None) -> FetchError:
    """The FetchError of an httpx failure; ``connect_failed`` when no connection could be made."""
    connect_failed = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
    if isinstance(exc, httpx.TimeoutException):
        kind = "connecting" if isinstance(exc, httpx.ConnectTimeout) else "waiting for data"
        return FetchError(
            f"timed out {kind} from {url} ([fetch] timeout/connect_timeout)",
            permanent_url=permanent,
            connect_failed=connect_failed,
        )
    return FetchError(
        f"cannot fetch {url}: {type(exc).__name__}: {exc}",
        permanent_url=permanent,
        connect_failed=connect_failed,
    )


def _too_long(url: str, config: FetchConfig, status: int | None, permanent: str | None) -> FetchError:
    return FetchError(
        f"response from {url} took longer than {config.total_timeout:g} s "
        "([fetch] total_timeout); stopped reading",
        status=status,
        permanent_url=permanent,
    )


def _redirect_target(current: str, location: str | None) -> str:
    if not location:
        raise FetchError(f"redirect without a Location header from {current}")
    target = urljoin(current, location.strip())
    if urlparse(target).scheme.lower() not in ("http", "https"):
        # Never let a server point us at file:// or another scheme.
        raise FetchError(f"redirect to a non-HTTP URL refused: {target[:200]} (from {current})")
    return target


def _read_response(
    response: httpx.Response,
    url: str,
    permanent: str | None,
    config: FetchConfig,
    now: datetime,
    deadline: float,
    monotonic: Callable[[], float],
) -> RawFeed:
    status = response.status_code
    headers = {k.lower(): v for k, v in response.headers.items()}
    if status == 304:
        return RawFeed(b"", headers, not_modified=True, status=304, permanent_url=permanent, url=url)
    if status >= 400 or status < 200:
        reason = f"HTTP {status} {response.reason_phrase} from {url}".rstrip()
        retry_after = parse_retry_after(headers.get("retry-after"), now) if status in (429, 503) else None
        if retry_after is not None:
            reason += f" (Retry-After: {retry_after:g} s)"
        if status == 410:
            reason += "; the feed is marked dead and skipped until its url in the config changes"
        raise FetchError(
            reason, status=status, gone=status == 410, retry_after=retry_after, permanent_url=permanent
        )
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > config.max_bytes:
        raise FetchError(
            f"response of {int(declared)} bytes from {url} is larger than {config.max_bytes} "
            "([fetch] max_bytes); not downloaded",
            status=status,
            permanent_url=permanent,
        )
    chunks: list[bytes] = []
    size = 0
    notes: list[str] = []
    for chunk in unwrapped(response.iter_raw(), headers.get("content-encoding", ""), url, notes):
        size += len(chunk)
        if size > config.max_bytes:
            raise FetchError(
                f"response from {url} is larger than {config.max_bytes} bytes "
                "([fetch] max_bytes); stopped reading",
                status=status,
                permanent_url=permanent,
            )
        if monotonic() > deadline:
            raise _too_long(url, config, status, permanent)
        chunks.append(chunk)
    return RawFeed(
        b"".join(chunks), headers, status=status, permanent_url=permanent, url=url, notes=tuple(notes)
    )


_DECODED_CHUNK = 64 * 1024
_COMPRESSED = ("gzip", "x-gzip", "deflate")


def unwrapped(raw: Iterator[bytes], encoding: str, url: str, notes: list[str]) -> Iterator[bytes]:
    """The body as its bytes say it is, inflated boundedly (``decoded``), whatever the label says.

    Servers get Content-Encoding wrong both ways: ``gzip`` on a plain body (a proxy that adds the
    header, curl#8928), a gzip body with no header (a stored ``.gz`` served as is), and a stored
    ``feed.xml.gz`` gzipped again on the way out. So the bytes decide: a labelled body that starts
    as a text document does (``<``, ``{``, a byte order mark) is read as it is; an unlabelled one
    that starts with the gzip magic bytes (``GZIP_MAGIC``) is inflated; and what an inflated body
    holds is inflated again while it starts with them (at most ``MAX_GZIP_LAYERS``). Each such
    surprise adds a sentence to ``notes``. Raises FetchError for a body that is neither what its
    label says nor a text document (junk, a truncated gzip), or an unknown encoding.
    """
    name = encoding.strip().lower()
    head, body = _peek(raw)
    if name in ("", "identity"):
        if head.startswith(GZIP_MAGIC):
            notes.append(f"the body from {url} is gzip-compressed without saying so: inflated")
            body = decoded(body, "gzip", url)
    elif _markup(head) and not head.startswith(GZIP_MAGIC):
        supported = "" if name in _COMPRESSED else " (not supported)"
        notes.append(
            f"the body from {url} is labelled {encoding.strip()!r}{supported} but is not compressed: "
            "read as it is"
        )
    else:
        body = decoded(body, name, url)
    for _ in range(MAX_GZIP_LAYERS - 1):
        head, body = _peek(body)
        if not head.startswith(GZIP_MAGIC):
            break
        notes.append(f"the body from {url} was gzip-compressed twice: inflated again")
        body = decoded(body, "gzip", url)
    yield from body


def _peek(chunks: Iterator[bytes], size: int = 4) -> tuple[bytes, Iterator[bytes]]:
    """The first ``size`` bytes of a stream (fewer if it is shorter), and the whole stream again."""
    taken: list[bytes] = []
    have = 0
    for chunk in chunks:
        taken.append(chunk)
        have += len(chunk)
        if have >= size:
            break
    return b"".join(taken)[:size], itertools.chain(taken, chunks)


# Where a text document (XML, HTML, JSON) may start: whitespace, a UTF-8/UTF-16 byte order mark, < or {.
_MARKUP_START = (b"<", b"{", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _markup(head: bytes) -> bool:
    """Whether a body's first bytes are those of a text document, not of compressed data."""
    return head.lstrip(b" \t\r\n").startswith(_MARKUP_START) or (not head.strip() and bool(head))


def decoded(raw: Iterator[bytes], encoding: str, url: str) -> Iterator[bytes]:
    """Decode a gzip/deflate body at most 64 KiB at a time.

    httpx would inflate each network chunk whole: 64 KiB of a gzip bomb is 64 MiB of memory
    before the size cap can look at it. Here no decoded piece is larger than 64 KiB.
    """
    name = encoding.strip().lower()
    if name in ("", "identity"):
        yield from raw
        return
    if name not in ("gzip", "x-gzip", "deflate"):
        raise FetchError(f"unsupported Content-Encoding {encoding!r} from {url}")
    inflater: Any = None
    try:
        for chunk in raw:
            data = chunk
            while data:
                if inflater is None:
                    inflater = zlib.decompressobj(_wbits(name, data))
                piece = inflater.decompress(data, _DECODED_CHUNK)
                if piece:
                    yield piece
                data = inflater.unconsumed_tail
                if inflater.eof:
                    # A concatenated (multi-member) gzip body: start over on what follows.
                    data = data + inflater.unused_data
                    inflater = None
        if inflater is not None:
            while tail := inflater.decompress(inflater.unconsumed_tail, _DECODED_CHUNK):
                yield tail
            if not inflater.eof:
                raise FetchError(f"truncated {name} body from {url}")
    except zlib.error as exc:
        raise FetchError(f"cannot decode {name} body from {url}: {exc}") from None


def _wbits(name: str, data: bytes) -> int:
    if name != "deflate":
        return 16 + zlib.MAX_WBITS
    # "deflate" is zlib-wrapped by the standard, raw deflate on some servers: look at the header.
    wrapped = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] * 256 + data[1]) % 31 == 0
    return zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS
