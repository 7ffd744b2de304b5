"""Serve the folder that holds the outputs over HTTP, the way feed readers like it.

Files are served by name from that one folder (no subfolders, no hidden or temporary files), with a
strong ETag (a hash of the bytes, so a byte-identical rerun keeps it), Last-Modified (the file's
mtime; emit leaves unchanged files alone), 304 on a conditional GET, gzip when the client asks,
and the media type of each output. It binds to loopback unless told otherwise: put a real web server
in front of it to publish to the world.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import html
import logging
import os
import signal
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipeline.config import OutputConfig
from pipeline.errors import ServeError
from pipeline.outputs.feeds import MEDIA_TYPES

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
# Readers should revalidate each time (a cheap 304) rather than trust a stale copy.
CACHE_CONTROL = "no-cache"
# Below this size gzip saves too little to be worth the CPU and the extra header bytes.
GZIP_MIN_BYTES = 256

_TEXTUAL = ("text/", "application/rss+xml", "application/atom+xml", "application/feed+json")


@dataclass(frozen=True, slots=True)
class Site:
    """What is served: the outputs' folder and the media type of each configured output file."""

    root: Path
    types: dict[str, str]

    @classmethod
    def for_outputs(cls, output: OutputConfig) -> Site:
        """The folder holding the RSS output, with each output's media type fixed by its role."""
        root = output.rss.parent
        roles = {
            output.rss: MEDIA_TYPES["rss"],
            output.atom: MEDIA_TYPES["atom"],
            output.report: "application/x-ndjson",
        }
        if output.json is not None:
            roles[output.json] = MEDIA_TYPES["json"]
        if output.html is not None:
            roles[output.html] = MEDIA_TYPES["html"]
        types = {path.name: kind for path, kind in roles.items() if path.parent == root}
        return cls(root, types)

    def media_type(self, name: str) -> str:
        kind = self.types[name]
        if kind.startswith(_TEXTUAL) or kind.endswith(("+xml", "+json", "json", "ndjson")):
            kind += "; charset=utf-8"
        return kind

    def file(self, url_path: str) -> Path | None:
        """The output a request path names, or None: only configured outputs are served, never the
        config, the state database or anything else that shares their folder."""
        name = unquote(urlsplit(url_path).path).lstrip("/")
        if name not in self.types:
            return None
        path = self.root / name
        return path if path.is_file() and not path.is_symlink() else None


def read_output(path: Path) -> tuple[bytes, float]:
    """The bytes of an output and the mtime of those very bytes. The file is statted through the
    open descriptor: emit replaces an output by a rename, so a stat by path after reading could
    give the next version's mtime with this version's bytes (a reader would then keep the old
    body under the new Last-Modified)."""
    with open(path, "rb") as handle:
        mtime = os.fstat(handle.fileno()).st_mtime
        return handle.read(), mtime


def etag_for(data: bytes, gzipped: bool) -> str:
    digest = hashlib.sha256(data).hexdigest()[:32]
    return f'"{digest}-gz"' if gzipped else f'"{digest}"'


def wants_gzip(accept_encoding: str | None) -> bool:
    """True when Accept-Encoding lists gzip (or *) without q=0."""
    for part in (accept_encoding or "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip", "*"):
            q = params.strip().lower()
            if q.startswith("q="):
                try:
                    return float(q[2:]) > 0
                except ValueError:
                    return False
            return True
    return False


def _etag_matches(header: str, etags: tuple[str, ...]) -> bool:
    """If-None-Match uses the weak comparison: W/ prefixes are ignored."""
    if header.strip() == "*":
        return True
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return any(tag in tags for tag in etags)


class OutputHandler(BaseHTTPRequestHandler):
    """GET and HEAD of the files in the site's folder; everything else is refused."""

    server_version = "syndedup"
    server: OutputServer

    @property
    def site(self) -> Site:
        return self.server.site

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def _serve(self, send_body: bool) -> None:
        if urlsplit(self.path).path in ("", "/"):
            self._index(send_body)
            return
        path = self.site.file(self.path)
        if path is None:
            self._error(HTTPStatus.NOT_FOUND, "no such file")
            return
        try:
            data, mtime = read_output(path)
        except OSError:
            self._error(HTTPStatus.NOT_FOUND, "no such file")
            return
        use_gzip = wants_gzip(self.headers.get("Accept-Encoding")) and len(data) >= GZIP_MIN_BYTES
        etag = etag_for(data, use_gzip)
        last_modified = email.utils.formatdate(int(mtime), usegmt=True)
        if self._not_modified(data, mtime):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self._validators(etag, last_modified)
            self.end_headers()
            return
        body = gzip.compress(data, mtime=0) if use_gzip else data
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", self.site.media_type(path.name))
        self.send_header("Content-Length", str(len(body)))
        if use_gzip:
            self.send_header("Content-Encoding", "gzip")
        self._validators(etag, last_modified)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _not_modified(self, data: bytes, mtime: float) -> bool:
        """RFC 9110 13.2.2: If-None-Match decides when present; otherwise If-Modified-Since."""
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return _etag_matches(if_none_match, (etag_for(data, False), etag_for(data, True)))
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                moment = email.utils.parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
            return int(mtime) <= int(moment.timestamp())
        return False

    def _validators(self, etag: str, last_modified: str) -> None:
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", last_modified)
        self.send_header("Cache-Control", CACHE_CONTROL)
        self.send_header("Vary", "Accept-Encoding")

    def _index(self, send_body: bool) -> None:
        names = sorted(name for name in self.site.types if (self.site.root / name).is_file())
        items = "".join(f'<li><a href="{html.escape(n)}">{html.escape(n)}</a></li>' for n in names)
        body = (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>syndedup outputs</title>'
            f"</head><body><h1>syndedup outputs</h1><ul>{items}</ul></body></html>\n"
        ).encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", CACHE_CONTROL)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _error(self, status: HTTPStatus, message: str) -> None:
        body = f"{status.value} {message}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.info("%s %s", self.address_string(), format % args)


class OutputServer(ThreadingHTTPServer):
    """A threading HTTP server that knows the site it serves."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], site: Site) -> None:
        self.site = site
        super().__init__(address, OutputHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://[{name}]:{port}/" if ":" in name else f"http://{name}:{port}/"


def make_server(output: OutputConfig, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> OutputServer:
    """A server for the outputs' folder, bound but not yet serving; port 0 picks a free port."""
    site = Site.for_outputs(output)
    if not site.root.is_dir():
        raise ServeError(f"{site.root}: output folder does not exist yet (run `syndedup run` first)")
    try:
        return OutputServer((host, port), site)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


class _Stop(BaseException):
    """Raised in the main thread by the SIGTERM handler to leave serve_forever. Not an Exception:
    socketserver catches Exception around a request's dispatch (``handle_error``), so a SIGTERM
    arriving while the main thread starts a request's thread would be swallowed and serving go on."""


def serve_until_stopped(server: OutputServer) -> None:
    """Serve until SIGINT (Ctrl-C) or SIGTERM (what systemd and ``kill`` send), then close."""

    def stop(_signum: int, _frame: object) -> None:
        raise _Stop

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()
