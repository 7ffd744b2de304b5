"""Parse fetched feed bytes in worker processes, so that feedparser uses more than one core.

Fetching stays where it was: ingest's threads fetch each feed through the polite fetcher (backoff,
conditional GET, size and time limits) in the main process. Only the bytes it got are sent to a
worker, which runs ``ingest.parse_feed`` on them exactly as the thread would have, and sends back
the entries, warnings and error. A worker that crashes or an unforeseen exception becomes the
feed's error, as on the serial path; the run goes on.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime

from pipeline.config import FeedConfig
from pipeline.models import Article, FetchResult
from pipeline.sources.fetch import RawFeed
from pipeline.store.spool import pack_payload
from pipeline.text.boilerplate import keep_keys

_log = logging.getLogger(__name__)

# What a worker sends back: articles, warnings, error, feed title, feed link, traceback of a bug.
_Parsed = tuple[list[Article], list[str], str | None, str | None, str | None, str | None]
# Work done on the normalized new entries in the worker (boilerplate keys, signatures): set by the
# pool's initializer, so that it is sent to each worker once.
Prepare = Callable[[list[Article]], None]
_prepare: Prepare | None = None
# Whether the new entries' heavy fields go back pickled (``store.spool.pack_payload``): set by the
# pool's initializer for a run that spools them.
_pack = False


def _parse_in_worker(
    raw: RawFeed, feed: FeedConfig, now: datetime, max_entries: int | None, known: frozenset[str]
) -> _Parsed:
    from pipeline.sources.parse import parse_feed

    result = FetchResult(feed=feed.name, url=feed.url)
    try:
        parse_feed(raw, feed, now, result, max_entries)
    except Exception as exc:  # the serial path's last line of defence, with the traceback sent back
        return [], result.warnings, f"{type(exc).__name__}: {exc}", None, None, traceback.format_exc()
    _normalize_new(result.articles, known)
    if _prepare is not None:
        try:
            _prepare([a for a in result.articles if a.normalized and not a.raw_html])
        except Exception:  # the run's own stages redo it (and meet the problem there)
            for article in result.articles:
                article.prepared = None
    if _pack:
        for article in result.articles:
            if article.normalized and article.entry_key not in known:
                keep_keys(article)  # before its prepared keys are packed away
                pack_payload(article)
    return result.articles, result.warnings, result.error, result.feed_title, result.feed_link, None


def _normalize_new(articles: list[Article], known: frozenset[str]) -> None:
    """Normalize the entries not stored yet here too (the run would, in its one process); their
    raw HTML then need not travel back. A failure is left for the run's own normalize to meet."""
    from pipeline.text.article import normalize_article

    for article in articles:
        if article.entry_key in known:
            continue
        try:
            normalize_article(article)
        except Exception:  # the run's normalize stage repeats it and fails there, as it always did
            article.normalized = False
            continue
        article.raw_html = ""


def _ready() -> None:
    """A no-op task: submitting it starts the workers before any fetch thread exists."""


def _worker_init(parent: int, prepare: Prepare | None = None, pack: bool = False) -> None:
    """Tie a worker's life to the run: it dies with the run (even a kill -9) and leaves Ctrl-C to it.

    Without this, a run killed mid-fetch would leave its workers waiting for work for ever (and
    holding the run's stdout/stderr open, so whoever waits for the run's output would hang).
    """
    global _prepare, _pack
    _prepare, _pack = prepare, pack
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the run stops the pool itself on Ctrl-C
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # no prctl: it outlives a killed run
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if parent and os.getppid() != parent:  # the run died before prctl took effect
        os._exit(1)


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class ParsePool:
    """A process pool that fills a FetchResult from fetched bytes, like ``ingest.parse_feed``."""

    def __init__(
        self,
        processes: int,
        known: dict[str, frozenset[str]] | None = None,
        method: str | None = None,
        prepare: Prepare | None = None,
        pack: bool = False,
    ) -> None:
        """``known``: feed name -> entry keys already stored (not normalized again); ``prepare``:
        run on the normalized new entries in the worker; ``pack``: their heavy fields come back
        pickled in ``Article.payload`` (``store.spool.pack_payload``)."""
        self._known = known or {}  # feed name -> entry keys already stored (not normalized again)
        self._closing = False  # set by close(): futures cancelled, new ones refused
        # fork: workers start with the parent's modules loaded (no import cost); all of them are
        # forked at the first submit, made here before the fetch threads start. A process that
        # already runs other threads (an embedding server, a test's HTTP server) must not fork:
        # a lock held by one of them would stay locked in the child. It uses a fork server.
        method = method or ("fork" if threading.active_count() == 1 else "forkserver")
        self._pool = ProcessPoolExecutor(
            processes,
            mp_context=multiprocessing.get_context(method),
            initializer=_worker_init,
            initargs=(os.getpid() if method == "fork" else 0, prepare, pack),  # a fork server is their parent
        )
        self._pool.submit(_ready).result()

    def parse(
        self, raw: RawFeed, feed: FeedConfig, now: datetime, result: FetchResult, max_entries: int | None
    ) -> None:
        """Parse ``raw`` in a worker into ``result`` (entries, warnings, error, title, link); entries
        whose key is not in ``known`` for the feed come back normalized."""
        known = self._known.get(feed.name, frozenset())
        try:
            parsed = self._pool.submit(_parse_in_worker, raw, feed, now, max_entries, known).result()
        except Exception as exc:  # a worker killed (out of memory, signal) or a result not picklable
            if self._closing:  # the run is stopping (Ctrl-C): its results are thrown away, no error
                result.articles = []
                result.error = "not parsed: the run was interrupted"
                return
            _log.error("feed %r: parse worker failed: %s: %s", feed.name, type(exc).__name__, exc)
            result.articles = []
            result.error = f"unexpected error while parsing: {type(exc).__name__}: {exc}"
            return
        articles, warnings, error, title, link, trace = parsed
        result.warnings.extend(warnings)
        if trace is not None:
            _log.error("feed %r: unexpected error while parsing\n%s", feed.name, trace.rstrip())
            result.articles = []
            result.error = f"unexpected error while parsing: {error}"
            return
        result.articles, result.error, result.feed_title, result.feed_link = articles, error, title, link

    def close(self) -> None:
        """Stop the workers; a parse still asked for (a fetch thread that finished its fetch after
        the run was interrupted) gets an error result, quietly: a stopping run is no failure."""
        self._closing = True
        self._pool.shutdown(wait=True, cancel_futures=True)
