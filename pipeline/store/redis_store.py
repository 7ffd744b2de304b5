"""The dedup state in Redis, shared by several hosts that each run a shard of the feeds.

What lives where:

* Redis (under ``[index] prefix``): article records (``a:<id>`` hashes: feed, entry key, dates,
  credit, compressed text and body, story id, relation, match, signature), LSH buckets
  (``b:<group>`` hashes of packed article ids), stories (``s:<id>`` hashes, ``sm:<id>`` member
  sets, the ``stories`` set), each feed's known entry keys (``k:<feed>``, and ``ki:<feed>``: key ->
  article id, built from the article records on the first run of a version that has it, marked by
  ``ki_built``), permalinks (``pl``: normalized link or URL GUID -> first article id), the feeds' titles and
  links for emit (``feeds``), signature parameter ids, the article id counter (``ids``) and a
  commit counter (``version``).
* The host's SQLite [state] file (``State``): feed health and HTTP validators, feed digests, the
  article-page cache and boilerplate line counts. A feed is always run by the same shard, so these
  need not be shared.

Detection order matters (an article joins the story of the best match stored *before* it), so the
detect phase is serialized across hosts by a Redis lock (``lock``: SET NX PX, renewed by a thread
while the run holds it). A run's writes are kept in memory (its reads see them merged with Redis);
every ``STAGE_ARTICLES`` new articles, the finished ones and their buckets are staged in Redis
so that memory stays bounded: articles under ids above the committed ``ids`` counter, bucket
entries appended to the bucket hashes (only the lock holder reads those; the touched groups are
listed in ``run:groups``). Stories, members, entry keys and ``ids`` never refer to staged records.
Staging and the final commit are each one MULTI/EXEC that first checks, under WATCH, that the lock
is still this run's; the commit adds the stories, members, entry keys and relations and moves
``ids``.

A crash or kill before that EXEC leaves the committed state untouched (a new signature-parameter id
aside, which is idempotent); the next run to take the lock first deletes the staged articles and
strips the ids above ``ids`` from the bucket hashes listed in ``run:groups``. The lock expires
after ``LOCK_TTL`` seconds, and the next run re-reads the entries, because neither their keys
(Redis) nor the feed's validators and digest (SQLite, committed after Redis) were stored. A crash
after the EXEC and before the SQLite commit makes the next run fetch the feeds again and skip the
stored entries by key; only that run's boilerplate line counts are lost.

datasketch's Redis storage (``MinHashLSH(storage_config={"type": "redis"})``) is not used: its
buffered inserts cannot join our MULTI/EXEC with the article records, it keys buckets by its own
band bytes (our keys are salted with the signature parameters and the full/lead kind so two kinds
and parameter sets share one index), and it would need a ``MinHashLSH`` object per run.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict
from datetime import datetime, timedelta

import numpy as np
import redis
from redis.exceptions import LockError, RedisError, WatchError

from pipeline.config import IndexConfig
from pipeline.errors import RunLockedError, StateDamagedError, StateError
from pipeline.models import (
    Article,
    FeedHealth,
    FetchResult,
    Match,
    Override,
    Page,
    Signature,
    SignatureParams,
    SignatureValues,
    StoredArticle,
    StoredEntry,
    StoredRecord,
    StorySample,
    split_signature,
)
from pipeline.store.run_index import RunIndex
from pipeline.store.sqlite import (
    BUCKET_MASK,
    EPOCH,
    State,
    _unpack,
    _unpack_body,
    iso,
    packed_texts,
    read_iso,
)
from pipeline.text.identity import url_key

_log = logging.getLogger(__name__)

# LSH buckets are grouped into hashes: key b:<bucket >> 32> (2^15 hashes), field <bucket & 2^32-1>,
# value the bucket's article ids as packed little-endian uint32s. A set per bucket cost ~150 bytes
# of Redis overhead for each of an article's 74 buckets; a field in a small hash (listpack) ~20.
# Up to ~200k articles a hash stays under 512 entries (Debian's hash-max-listpack-entries; the
# upstream default is 128: raise it on such a server).
_GROUP_BITS = 32
_FIELD_MASK = (1 << _GROUP_BITS) - 1
# One call per lookup and a few per commit instead of one command per bucket (redis-py spends
# ~10 µs packing and parsing each command).
# ARGV: bucket prefix, (group, field) uint32 pairs; returns the number of ids under each key, then
# the ids, as two blobs of uint32. Key names are built in the
# script (not passed as KEYS: 148 arguments per lookup cost more to pack than the lookup itself),
# which is fine on one server and would not be on Redis Cluster.
_LOOKUP = """
local prefix, blob = ARGV[1], ARGV[2]
local counts, ids, pos = {}, {}, 1
while pos <= #blob do
    local group, field
    group, field, pos = struct.unpack('<II', blob, pos)
    local packed = redis.call('HGET', prefix .. group, field) or ''
    counts[#counts + 1] = struct.pack('<I', #packed / 4)
    if #packed > 0 then ids[#ids + 1] = packed end
end
return {table.concat(counts), table.concat(ids)}
"""
# ARGV: (group, field, id) uint32 triples sorted by group (ids of a field in the order added),
# bucket prefix: each id is appended to its field's packed ids. One HMGET and one HSET per group
# (an HGET and an HSET per triple kept the server busy ~8 us a triple, most of a Redis run's
# staging); at most 1000 fields a call (Lua's unpack has a stack limit).
_APPEND = """
local blob, prefix, pos, n = ARGV[1], ARGV[2], 1, #ARGV[1]
while pos <= n do
    local group = struct.unpack('<I', blob, pos)
    local order, added = {}, {}
    while pos <= n and #order < 1000 do
        local g, field, id, after = struct.unpack('<III', blob, pos)
        if g ~= group then break end
        pos = after
        if added[field] == nil then
            added[field] = {}
            order[#order + 1] = field
        end
        local ids = added[field]
        ids[#ids + 1] = struct.pack('<I', id)
    end
    local key = prefix .. group
    local old = redis.call('HMGET', key, unpack(order))
    local args = {}
    for i, field in ipairs(order) do
        args[#args + 1] = field
        args[#args + 1] = (old[i] or '') .. table.concat(added[field])
    end
    redis.call('HSET', key, unpack(args))
end
return 0
"""
_APPEND_CHUNK = 50_000  # (group, field, id) triples per script call
_LOOKUP_CHUNK = 20_000  # bucket keys per lookup script call
# ARGV: bucket prefix, the last committed article id, groups: drop the ids above it (staged by a
# run that died before its commit) from those bucket hashes.
_STRIP = """
local prefix, last = ARGV[1], tonumber(ARGV[2])
for i = 3, #ARGV do
    local key = prefix .. ARGV[i]
    local fields = redis.call('HGETALL', key)
    for j = 1, #fields, 2 do
        local value, kept, pos = fields[j + 1], {}, 1
        while pos <= #value do
            local id
            id, pos = struct.unpack('<I', value, pos)
            if id <= last then kept[#kept + 1] = struct.pack('<I', id) end
        end
        if #kept == 0 then
            redis.call('HDEL', key, fields[j])
        elseif #kept * 4 < #value then
            redis.call('HSET', key, fields[j], table.concat(kept))
        end
    end
end
return 0
"""

LOCK_TTL = 60.0  # seconds a crashed host's lock outlives it; a live run renews it every third of that
_CHUNK = 1000  # keys per pipeline round trip
_SNAPSHOT_TRIES = 20  # emit re-reads when a commit lands between its reads

Fields = dict[bytes, bytes]


def _enc(value: str | bytes | int | float | bool) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, bool):
        return b"1" if value else b"0"
    return str(value).encode("utf-8")


def _str(value: bytes | str) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _text(value: bytes | None) -> str | None:
    return value.decode("utf-8") if value is not None else None


def connect(index: IndexConfig) -> redis.Redis:
    """A client for ``[index] url`` that has answered a PING; StateError naming the URL if not."""
    try:
        client = redis.Redis.from_url(index.url)
        client.ping()
    except (RedisError, ValueError) as exc:
        raise StateError(
            f"{index.url}: cannot reach Redis ([index] url): {exc}; start redis-server or fix the URL"
        ) from None
    return client


def _identity_fields(article: Article) -> dict[str, str | bytes | int | float | bool]:
    """The fields that say which entry an article is (rewritten when a feed re-keys or edits it)."""
    return {
        "entry_key": article.entry_key,
        "guid": article.guid,
        "link": article.link,
        "link_key": url_key(article.link) or "",
        "title": article.title,
        "published": iso(article.published),
        "dated": article.dated,
    }


class RedisStore:
    """The ``Store`` protocol over a shared Redis index and the host's own SQLite ``State``."""

    def __init__(self, local: State, index: IndexConfig, lock_wait: float = 0.0, fresh: bool = False) -> None:
        """Raises StateDamagedError when the index lost what this host committed to it (``_lost``),
        unless ``fresh`` (``run --force``): then this host's feeds are all read again into it."""
        self.local = local
        self.url = index.url
        self.prefix = index.prefix
        self.lock_wait = lock_wait
        self.redis = connect(index)
        self._check_index(fresh)
        self._lookup = self.redis.register_script(_LOOKUP)
        self._append = self.redis.register_script(_APPEND)
        self._strip = self.redis.register_script(_STRIP)
        self._token: bytes | None = None  # the held lock's value (set while a transaction is open)
        # Held by a fenced write from its WATCH to its EXEC, and by the lock's renewal: a renewal
        # touches the watched lock key, and in that window it made the run's own write fail
        # ("the detect lock changed hands") on a slow host.
        self._fence = threading.Lock()
        self._reset()

    def _key(self, *parts: str | int) -> str:
        return self.prefix + ":".join(str(part) for part in parts)

    # -- a lost index ------------------------------------------------------------------------------
    # Redis restarted without persistence comes back empty, or from an older snapshot, while this
    # host's SQLite file still has the validators and digests of the feeds it read into it: every
    # feed is then "unchanged", nothing is read again, and emit publishes an empty feed (issue 23).
    # The first commit to an index stores a random ``epoch`` in it; each host notes the epoch and
    # the commit counter (``version``) of its own last commit in its SQLite file, and compares.

    def _lost(self) -> str | None:
        """Why the index does not hold what this host committed to it, or None."""
        mark = self.local.index_mark()
        if mark is None:  # this host never committed (or did before epochs existed): nothing to compare
            return None
        try:
            epoch, version = self.redis.mget(self._key("epoch"), self._key("version"))
        except RedisError as exc:
            raise StateError(f"{self.url}: cannot read the index: {exc}") from None
        if epoch is None:
            return "it has no epoch: it is empty or was emptied"
        if _str(epoch) != mark["epoch"]:
            return (
                f"its epoch is {_str(epoch)}, this host last committed to epoch {mark['epoch']}: "
                "it is another index, or one started afresh"
            )
        if int(version or 0) < int(mark["version"]):
            return (
                f"it is at commit {int(version or 0)}, this host already saw commit {mark['version']}: "
                "it went back to an older copy"
            )
        return None

    def _check_index(self, fresh: bool) -> None:
        """Refuse a lost index; with ``fresh``, forget this host's validators and digests at once, so
        that this run's fetches read every feed whole and its entries go into the index again."""
        why = self._lost()
        if why is None:
            return
        where = f"{self.url} (prefix {self.prefix!r}): the Redis index lost its data ({why})"
        if not fresh:
            raise StateDamagedError(
                f"{where}; this host's state file {self.local.path} still remembers what its feeds "
                "sent, so a run would find nothing new and publish what is left: nothing was written. "
                "If Redis restarted without persistence, run `syndedup run --force` on every host to "
                "read all their feeds again (what the feeds no longer list is lost), and turn on "
                "Redis persistence (README: Many hosts: a shared Redis index)"
            )
        _log.warning("%s; reading every feed again (run --force)", where)
        self.local.forget_fetches()

    def _mark_index(self) -> None:
        """After this host's commit to Redis: note the index's epoch and commit counter in its
        SQLite file (committed with its transaction)."""
        epoch, version = self.redis.mget(self._key("epoch"), self._key("version"))
        if epoch is None or version is None:
            raise StateError(f"{self.url}: the index lost its epoch right after this run's commit")
        mark: dict[str, str | int] = {"epoch": _str(epoch), "version": int(version)}
        self.local.set_index_mark({**mark, "url": self.url, "prefix": self.prefix})

    def close(self) -> None:
        self.redis.close()
        self.local.close()

    # -- the run's transaction ---------------------------------------------------------------------

    def _reset(self) -> None:
        """Forget the writes of this run that were not committed."""
        self._articles: dict[int, Fields] = {}  # new article id -> its hash fields
        self._relations: dict[int, Fields] = {}  # older article id -> changed fields (relation, update)
        self._unstaged: list[tuple[set[int], int]] = []  # (bucket keys, article id) not staged yet
        self._run_index = RunIndex()  # every bucket key of this run (staged or not) -> article ids
        self._run_first = 0  # the first article id of this run: lower ids were committed before it
        # Prefetched for the entries about to be deduplicated (``prefetch``): bucket key -> ids
        # committed before this run, and permalink key -> its owner's id (None: no owner).
        self._stored_buckets: dict[int, tuple[int, ...]] = {}
        self._stored_permalinks: dict[str, int | None] = {}
        self._new_stories: list[str] = []
        self._story_fields: dict[str, Fields] = {}
        self._members: dict[str, list[int]] = {}  # story id -> new member ids
        self._entry_keys: dict[str, set[str]] = {}
        self._key_ids: dict[str, dict[str, int]] = {}  # feed -> entry key -> article id (new or moved)
        self._old_keys: dict[str, set[str]] = {}  # feed -> entry keys no longer used (re-keyed)
        self._removed: dict[str, set[int]] = {}  # story id -> members that moved to another story
        self._dropped: set[str] = set()  # stories left without members
        self._permalinks: dict[str, int] = {}  # permalink key -> first article id (this run)
        self._ki_pending = False  # ki:<feed> built in this run's writes (committed with ki_built)
        self._signatures: dict[int, int] = {}  # params id -> new signatures
        self._next_id = 0
        self._snapshot: tuple[list[tuple[str, int, str | None, datetime]], dict[str, list[tuple]]] | None
        self._snapshot = None
        self._stored_members: dict[str, set[int]] = {}
        self._texts: dict[int, bytes] = {}  # canonical texts read with the snapshot, for emit
        self._renames: list[tuple[str, str]] = []  # feeds renamed in this transaction (old, new)
        self._credit_renames: dict[str, bytes] = {}  # story id -> new credited source
        self._overrides_set: dict[bytes, bytes] = {}  # ov field -> created (added in this run)
        self._overrides_gone: set[bytes] = set()  # ov fields removed in this run
        self._deleted: set[int] = set()  # articles deleted by a purge
        self._deleted_feeds: set[str] = set()
        self._deleted_permalinks: set[str] = set()
        self._links_set: dict[bytes, bytes] = {}  # "story|other" -> bridge id ("" for none), this run
        self._links_gone: set[bytes] = set()  # "story|other" dropped in this run
        self._merges: dict[str, bytes] = {}  # absorbed story id -> JSON [into, bridge, when(, via)]
        self._unmerged: set[str] = set()  # tombstones deleted in this run (``forget_merge``)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the shared detect lock; commit to Redis (one fenced MULTI/EXEC), then to SQLite."""
        lock = self.redis.lock(
            self._key("lock"), timeout=LOCK_TTL, sleep=0.1, thread_local=False, blocking=self.lock_wait > 0
        )
        try:
            acquired = lock.acquire(blocking_timeout=self.lock_wait if self.lock_wait > 0 else None)
        except RedisError as exc:
            raise StateError(f"{self.url}: cannot take the detect lock: {exc}") from None
        if not acquired:
            waited = f" after waiting {self.lock_wait:g} s ([state] lock_wait)" if self.lock_wait > 0 else ""
            raise RunLockedError(f"{self.url}: another host is detecting{waited}; skipped")
        self._token = lock.local.token
        stop = threading.Event()
        renewer = threading.Thread(target=self._renew, args=(lock, stop), daemon=True)
        renewer.start()
        try:
            with self.local.transaction():
                self._reset()
                self._next_id = self._run_first = int(self.redis.get(self._key("ids")) or 0) + 1
                try:
                    self._drop_staged()
                    self._build_key_ids()
                    yield
                    self._fenced(self._queue_writes, "commit")
                    self._mark_index()
                except RedisError as exc:  # the server went away mid-run: nothing was committed
                    raise StateError(
                        f"{self.url}: Redis failed during the run, nothing committed: {exc}"
                    ) from None
                finally:
                    self._reset()
        finally:
            stop.set()
            renewer.join()
            # Expired or taken over: the fenced commit already refused to write.
            with suppress(LockError, RedisError):
                lock.release()

    def _build_key_ids(self) -> None:
        """Index every stored article's entry key (``ki:<feed>``) once, for a state written before it.

        The index is kept with this run's writes and committed with them (with ``ki_built``), so a
        run that dies first leaves Redis as it was."""
        if self._ki_pending or self.redis.get(self._key("ki_built")):
            return
        self._ki_pending = True
        last = int(self.redis.get(self._key("ids")) or 0)
        for start in range(1, last + 1, _CHUNK):
            ids = list(range(start, min(start + _CHUNK, last + 1)))
            with self.redis.pipeline(transaction=False) as pipe:
                for article_id in ids:
                    pipe.hmget(self._key("a", article_id), ("feed", "entry_key"))
                rows = pipe.execute()
            for article_id, (feed, key) in zip(ids, rows, strict=True):
                if feed is not None and key is not None:
                    self._key_ids.setdefault(_str(feed), {}).setdefault(_str(key), article_id)

    def _renew(self, lock: redis.lock.Lock, stop: threading.Event) -> None:
        while not stop.wait(LOCK_TTL / 3):
            try:
                with self._fence:
                    lock.reacquire()
            except (LockError, RedisError):
                return  # the commit's fence will notice

    # A run's new articles and buckets are staged in Redis every STAGE_ARTICLES articles, so that
    # its memory stays bounded: articles as a:<id> above the committed id counter, bucket entries
    # appended to the bucket hashes (only the lock holder reads those). Nothing else committed refers
    # to them until the run's EXEC moves the counter; the next run deletes what a dead run staged.
    STAGE_ARTICLES = 2048

    def _stage(self) -> None:
        """Send the finished articles and their buckets of this run to Redis (not yet committed)."""
        self._fenced(self._queue_stage, "staging")
        self._articles.clear()
        self._unstaged.clear()

    def _queue_stage(self, pipe: redis.client.Pipeline) -> None:
        for article_id, fields in self._articles.items():
            pipe.delete(self._key("a", article_id))  # a dead run may have left one under this id
            pipe.hset(self._key("a", article_id), mapping=fields)  # type: ignore[arg-type]
        pipe.set(self._key("staged_max"), max(self._articles))
        triples = self._unstaged_triples()
        if len(triples):
            pipe.sadd(self._key("run", "groups"), *np.unique(triples[:, 0]).tolist())
        self._queue_buckets(pipe, self._key("b", ""), triples)

    def _drop_staged(self) -> None:
        """Delete what a run that died before its commit staged (called holding the lock)."""
        groups = sorted(int(group) for group in self.redis.smembers(self._key("run", "groups")))
        last = self._next_id - 1
        for start in range(0, len(groups), _CHUNK):
            args: list[str | int] = [self._key("b", ""), last, *groups[start : start + _CHUNK]]
            self._strip(keys=[], args=args)
        staged_max = int(self.redis.get(self._key("staged_max")) or 0)
        doomed = [self._key("a", i) for i in range(self._next_id, staged_max + 1)]
        for start in range(0, len(doomed), _CHUNK):
            self.redis.delete(*doomed[start : start + _CHUNK])
        self.redis.delete(self._key("run", "groups"), self._key("staged_max"))

    def _unstaged_triples(self) -> np.ndarray:
        """This run's unstaged bucket entries as (group, field, article id) rows of uint32, in the
        order they were added (an entry signed twice before staging keeps each pair once)."""
        unstaged = self._unstaged
        sizes = np.fromiter(map(len, (keys for keys, _ in unstaged)), np.int64, len(unstaged))
        keys = np.fromiter(
            itertools.chain.from_iterable(keys for keys, _ in unstaged), np.int64, int(sizes.sum())
        )
        ids = np.repeat(np.fromiter((i for _, i in unstaged), np.int64, len(unstaged)), sizes)
        if len({i for _, i in unstaged}) < len(unstaged):
            _, first = np.unique(np.stack((keys, ids), axis=1), axis=0, return_index=True)
            first.sort()
            keys, ids = keys[first], ids[first]
        return np.stack((keys >> _GROUP_BITS, keys & _FIELD_MASK, ids), axis=1).astype("<u4")

    def _queue_buckets(
        self, pipe: redis.client.Pipeline, prefix: str, triples: np.ndarray | None = None
    ) -> None:
        """Append this run's unstaged bucket entries (``_unstaged_triples``) to the hashes under
        ``prefix``."""
        if triples is None:
            triples = self._unstaged_triples()
        triples = triples[
            np.lexsort((triples[:, 1], triples[:, 0]))
        ]  # stable: a field's ids keep their order
        for start in range(0, len(triples), _APPEND_CHUNK):
            chunk = triples[start : start + _APPEND_CHUNK].tobytes()
            self._append(keys=[], args=[chunk, prefix], client=pipe)

    def _fenced(self, queue: Callable[[redis.client.Pipeline], None], what: str) -> None:
        """Run ``queue``'s commands as one MULTI/EXEC, only while this run still holds the lock (a
        host paused past the lock's expiry must not write over the next holder's records)."""
        with self._fence, self.redis.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(self._key("lock"))
                if pipe.get(self._key("lock")) != self._token:
                    raise StateError(
                        f"{self.url}: the detect lock expired before the {what} (host too slow or "
                        "paused); nothing committed, the next run redoes this one"
                    )
                pipe.multi()
                queue(pipe)
                pipe.execute()
            except WatchError:
                raise StateError(
                    f"{self.url}: the detect lock changed hands during the {what}; nothing committed"
                ) from None
            except RedisError as exc:
                raise StateError(f"{self.url}: {what} in Redis failed, nothing committed: {exc}") from None

    def _queue_writes(self, pipe: redis.client.Pipeline) -> None:
        for article_id in self._deleted:
            self._relations.pop(article_id, None)
        for article_id, fields in self._articles.items():
            pipe.hset(self._key("a", article_id), mapping=fields)  # type: ignore[arg-type]
        for article_id, fields in self._relations.items():
            pipe.hset(self._key("a", article_id), mapping=fields)  # type: ignore[arg-type]
        self._queue_buckets(pipe, self._key("b", ""))
        pipe.delete(self._key("run", "groups"), self._key("staged_max"))
        for old, new in self._renames:
            pipe.sunionstore(self._key("k", new), [self._key("k", new), self._key("k", old)])
            pipe.delete(self._key("k", old))
            pipe.hdel(self._key("feeds"), old)
        for story_id, credited in self._credit_renames.items():
            pipe.hset(self._key("s", story_id), b"credited", credited)
        if self._new_stories:
            pipe.sadd(self._key("stories"), *self._new_stories)
        for story_id, fields in self._story_fields.items():
            pipe.hset(self._key("s", story_id), mapping=fields)  # type: ignore[arg-type]
        for story_id, ids in self._members.items():
            if ids:
                pipe.sadd(self._key("sm", story_id), *ids)
        for feed, gone in self._old_keys.items():
            if gone:
                pipe.srem(self._key("k", feed), *gone)
                pipe.hdel(self._key("ki", feed), *gone)
        for feed, keys in self._entry_keys.items():
            pipe.sadd(self._key("k", feed), *keys)
        for feed, key_ids in self._key_ids.items():
            pipe.hset(self._key("ki", feed), mapping=key_ids)  # type: ignore[arg-type]
        for story_id, moved in self._removed.items():
            if moved:
                pipe.srem(self._key("sm", story_id), *moved)
        for story_id in self._dropped:
            pipe.srem(self._key("stories"), story_id)
            pipe.delete(self._key("s", story_id), self._key("sm", story_id))
        if self._unmerged:
            pipe.hdel(self._key("merged"), *self._unmerged)
        if self._merges:
            pipe.hset(self._key("merged"), mapping=self._merges)  # type: ignore[arg-type]
        if self._links_gone:
            pipe.hdel(self._key("links"), *self._links_gone)
        if self._links_set:
            pipe.hset(self._key("links"), mapping=self._links_set)  # type: ignore[arg-type]
        for key, article_id in self._permalinks.items():
            pipe.hsetnx(self._key("pl"), key, article_id)
        if self._ki_pending:
            pipe.set(self._key("ki_built"), 1)
        for params_id, count in self._signatures.items():
            pipe.hincrby(self._key("signatures"), str(params_id), count)
        if self._overrides_gone:
            pipe.hdel(self._key("ov"), *self._overrides_gone)
        if self._overrides_set:
            pipe.hset(self._key("ov"), mapping=self._overrides_set)  # type: ignore[arg-type]
        self._queue_deletes(pipe)
        feeds = {name: json.dumps(info) for name, info in self.local.feed_info().items()}
        if feeds:
            pipe.hset(self._key("feeds"), mapping=feeds)  # type: ignore[arg-type]
        pipe.set(self._key("ids"), self._next_id - 1)
        pipe.incr(self._key("version"))
        pipe.set(self._key("epoch"), uuid.uuid4().hex, nx=True)  # the index's first commit names it

    # -- feeds: the host's SQLite file ---------------------------------------------------------------

    def created(self) -> datetime:
        """As ``State.created``: the host's own state file's."""
        return self.local.created()

    def feed_health(self, name: str) -> FeedHealth:
        return self.local.feed_health(name)

    def record_fetch(self, result: FetchResult, now: datetime) -> None:
        self.local.record_fetch(result, now)

    def feed_digest(self, name: str) -> str | None:
        return self.local.feed_digest(name)

    def set_feed_digest(self, name: str, digest: str) -> None:
        self.local.set_feed_digest(name, digest)

    def add_line_counts(self, feed: str, counts: dict[int, int]) -> dict[int, int]:
        return self.local.add_line_counts(feed, counts)

    def stock_sentences(self) -> set[int]:
        return self.local.stock_sentences()  # kept with the boilerplate counts, in the local state

    def add_stock_sentences(self, keys: Iterable[int]) -> None:
        self.local.add_stock_sentences(keys)

    def cached_page(self, url: str) -> Page | None:
        return self.local.cached_page(url)

    def save_page(self, page: Page) -> None:
        self.local.save_page(page)

    def rename_feed(self, old: str, new: str) -> int:
        """As ``State.rename_feed``, and in Redis: the entries' ``feed`` field, the feed's entry keys,
        its row of the shared feeds hash and the stories credited to ``old``, all committed with
        the transaction. Finding the entries reads every committed story (a rename is rare)."""
        self.local.rename_feed(old, new)
        story_ids = sorted(_str(member) for member in self.redis.smembers(self._key("stories")))
        member_ids: list[int] = []
        for start in range(0, len(story_ids), _CHUNK):
            chunk = story_ids[start : start + _CHUNK]
            with self.redis.pipeline(transaction=False) as pipe:
                for story_id in chunk:
                    pipe.smembers(self._key("sm", story_id))
                    pipe.hget(self._key("s", story_id), "credited")
                rows = pipe.execute()
            for index, story_id in enumerate(chunk):
                member_ids.extend(int(member) for member in rows[2 * index])
                if rows[2 * index + 1] == _enc(old):
                    self._credit_renames[story_id] = _enc(new)
        renamed = [i for i, row in self._records(member_ids, ("feed",)).items() if row[0] == _enc(old)]
        for article_id in renamed:
            self._relations.setdefault(article_id, {})[b"feed"] = _enc(new)
        self._renames.append((old, new))
        return len(renamed)

    def mark_removed_feeds(self, configured: Iterable[str], now: datetime) -> dict[str, datetime]:
        return self.local.mark_removed_feeds(configured, now)

    def feed_info(self) -> dict[str, tuple[str, str | None, str | None, str | None]]:
        """Every host's feeds (as of their last commit), this host's own as it has them now."""
        shared = {
            _str(name): tuple(json.loads(info))
            for name, info in self.redis.hgetall(self._key("feeds")).items()
        }
        return {**shared, **self.local.feed_info()}  # type: ignore[dict-item]

    # -- articles and the index -------------------------------------------------------------------

    def known_entry_keys(self, feed: str) -> set[str]:
        try:
            stored = {_str(key) for key in self.redis.smembers(self._key("k", feed))}
        except RedisError as exc:
            raise StateError(
                f"{self.url}: cannot read feed {feed!r}'s entry keys from Redis: {exc}"
            ) from None
        return stored | self._entry_keys.get(feed, set())

    def params_id(self, params: SignatureParams) -> int:
        """The id of a parameter set, shared by all hosts (added at once: the same on a rerun)."""
        text = json.dumps(asdict(params), sort_keys=True)
        found = self.redis.hget(self._key("params"), text)
        if found is None:
            candidate = int(self.redis.incr(self._key("params_count")))
            self.redis.hsetnx(self._key("params"), text, candidate)
            found = self.redis.hget(self._key("params"), text)
        return int(found)  # type: ignore[arg-type]

    def count_signatures_with_other_params(self, params_id: int) -> int:
        counts = self.redis.hgetall(self._key("signatures"))
        return sum(int(n) for pid, n in counts.items() if int(pid) != params_id)

    def add_story(self, story_id: str) -> None:
        self._new_stories.append(story_id)

    def add_article(self, article: Article, now: datetime) -> int:
        if len(self._articles) >= self.STAGE_ARTICLES:
            self._stage()
        article_id = self._next_id
        self._next_id += 1
        text_blob, body_blob = packed_texts(article)
        fields: dict[str, str | bytes | int | float | bool] = {
            "feed": article.feed,
            "entry_key": article.entry_key,
            "guid": article.guid,
            "link": article.link,
            "title": article.title,
            "published": iso(article.published),
            "dated": article.dated,
            "first_seen": iso(now),
            "truncated": article.truncated,
            "tokens": article.token_count or len(article.tokens),
            "text": text_blob,
            "body": body_blob,
            "story": article.story_id or "",
            "relation": "original",
            "similarity": 1.0,
            "content_hash": article.content_hash,
            "text_hash": article.text_hash,
            "link_key": url_key(article.link) or "",
        }
        if article.credit is not None:
            fields["credit"] = article.credit
        if article.match is not None:
            match = article.match
            fields |= {
                "match_article": match.article_id,
                "match_relation": match.relation,
                "match_measure": match.measure,
                "match_score": match.score,
                "match_threshold": match.threshold,
            }
        self._articles[article_id] = {key.encode(): _enc(value) for key, value in fields.items()}
        self._members.setdefault(article.story_id or "", []).append(article_id)
        self._entry_keys.setdefault(article.feed, set()).add(article.entry_key)
        self._key_ids.setdefault(article.feed, {})[article.entry_key] = article_id
        self._add_permalinks(article, article_id)
        return article_id

    def _add_permalinks(self, article: Article, article_id: int) -> None:
        """Record the article's normalized link and URL key as permalinks (the first owner stays)."""
        for key in (url_key(article.link), article.entry_key):
            if key and key.startswith("//"):
                self._permalinks.setdefault(key, article_id)

    def feed_entries(self, feed: str, articles: Iterable[Article] | None = None) -> list[StoredEntry]:
        """Every stored entry of a feed, as identity matching needs it (text/identity.py), by id.
        ``articles`` is not used: Redis keeps no index by hash, and every entry is a superset of
        what ``State.feed_entries`` reads for them."""
        self._build_key_ids()
        ids = {int(i) for i in self.redis.hvals(self._key("ki", feed))}
        ids.update(self._key_ids.get(feed, {}).values())
        names = ("entry_key", "link", "link_key", "title", "content_hash", "story", "text_hash")
        out = []
        for article_id, row in sorted(self._records(sorted(ids), names).items()):
            key, link, link_key, title, digest, story, text = (_text(value) or "" for value in row)
            out.append(
                StoredEntry(
                    article_id, key, link, link_key or url_key(link) or "", title, digest, story, text
                )
            )
        return out

    def _update(self, article_id: int, fields: dict[str, str | bytes | int | float | bool]) -> None:
        """Change fields of an article (new in this run or stored) in this run's writes."""
        encoded = {key.encode(): _enc(value) for key, value in fields.items()}
        target = self._articles.get(article_id)
        if target is not None:
            target.update(encoded)
        else:
            self._relations.setdefault(article_id, {}).update(encoded)

    def _move_key(self, article_id: int, feed: str, old: str, new: str) -> None:
        if old != new:
            self._old_keys.setdefault(feed, set()).add(old)
        self._entry_keys.setdefault(feed, set()).add(new)
        self._key_ids.setdefault(feed, {})[new] = article_id

    def _finish_key_moves(self) -> None:
        """A key given up by one entry and taken by another in the same run stays."""
        for feed, keys in self._old_keys.items():
            keys -= self._entry_keys.get(feed, set())

    def rekey_articles(self, changes: list[tuple[int, Article]], now: datetime | None) -> None:
        """As ``State.rekey_articles``."""
        old = self._records([i for i, _ in changes], ("entry_key",))
        for article_id, article in changes:
            fields = _identity_fields(article)
            if article.content_hash:
                fields["content_hash"] = article.content_hash
            if article.text_hash:
                fields["text_hash"] = article.text_hash
            if now is not None:
                fields["updated_at"] = iso(now)
            self._update(article_id, fields)
            previous = _text(old.get(article_id, [None])[0]) or article.entry_key
            self._move_key(article_id, article.feed, previous, article.entry_key)
            self._add_permalinks(article, article_id)  # its new link names its page too
        self._finish_key_moves()

    def replace_article(self, article_id: int, article: Article, now: datetime) -> None:
        """As ``State.replace_article``."""
        old = self._records([article_id], ("entry_key", "story"))
        previous_key, previous_story = (_text(v) or "" for v in old.get(article_id, [None, None]))
        text_blob, body_blob = packed_texts(article)
        fields = _identity_fields(article) | {
            "truncated": article.truncated,
            "tokens": article.token_count or len(article.tokens),
            "text": text_blob,
            "body": body_blob,
            "story": article.story_id or "",
            "content_hash": article.content_hash,
            "text_hash": article.text_hash,
            "updated_at": iso(now),
            "credit": article.credit or "",
        }
        match = article.match
        fields |= {
            "match_article": match.article_id if match else "",
            "match_relation": match.relation if match else "",
            "match_measure": match.measure if match else "",
            "match_score": match.score if match else "",
            "match_threshold": match.threshold if match else "",
        }
        self._update(article_id, fields)
        self._move_key(article_id, article.feed, previous_key or article.entry_key, article.entry_key)
        self._finish_key_moves()
        if previous_story and previous_story != article.story_id:
            self._removed.setdefault(previous_story, set()).add(article_id)
            self._members.setdefault(article.story_id or "", []).append(article_id)

    def permalink_owners(self, keys: list[str], feed: str) -> dict[str, tuple[int, str]]:
        """As ``State.permalink_owners``."""
        found: dict[str, int] = {}
        missing = [key for key in keys if key not in self._stored_permalinks and not self._index_was_empty]
        values = self.redis.hmget(self._key("pl"), missing) if missing else []
        self._stored_permalinks.update(
            (key, None if value is None else int(value)) for key, value in zip(missing, values, strict=True)
        )
        stored = [self._stored_permalinks.get(key) for key in keys]
        for key, value in zip(keys, stored, strict=True):
            if key in self._permalinks:
                found[key] = self._permalinks[key]
            elif value is not None:
                found[key] = int(value)
        rows = self._records(sorted(set(found.values())), ("story", "feed"))
        out = {}
        for key, article_id in found.items():
            row = rows.get(article_id)
            if row is not None and _text(row[1]) != feed:
                out[key] = (article_id, _text(row[0]) or "")
        return out

    def drop_story(self, story_id: str) -> None:
        """As ``State.drop_story``."""
        if not self._member_ids(story_id):
            self._dropped.add(story_id)

    def merge_story(
        self, absorbed: str, into: str, bridge: int | None, now: datetime, via: str | None = None
    ) -> None:
        """As ``State.merge_story``; the tombstones live in the hash ``merged`` as JSON
        [into, bridge, when] (a run's merge), or [into, bridge, when, via]."""
        moved = self._member_ids(absorbed)
        for article_id in moved:
            self._update(article_id, {"story": into})
        self._removed.setdefault(absorbed, set()).update(moved)
        self._members.setdefault(into, []).extend(moved)
        self._dropped.add(absorbed)
        self._story_fields.pop(absorbed, None)
        for story_id, value in self._tombstones().items():
            tombstone = json.loads(value)
            if tombstone[0] == absorbed:
                self._merges[story_id] = json.dumps([into, *tombstone[1:]]).encode()
        self._unmerged.discard(absorbed)
        self._merges[absorbed] = json.dumps([into, bridge, iso(now), *([via] if via else [])]).encode()

    def forget_merge(self, story_id: str) -> None:
        """As ``State.forget_merge``."""
        self._merges.pop(story_id, None)
        self._unmerged.add(story_id)

    def _tombstones(self) -> dict[str, bytes | str]:
        """absorbed story id -> its tombstone's JSON, committed and of this transaction."""
        stored: dict[str, bytes | str] = {
            _str(k): v for k, v in self.redis.hgetall(self._key("merged")).items()
        }
        stored.update(self._merges)
        return {k: v for k, v in stored.items() if k not in self._unmerged}

    def merged_stories(self) -> dict[str, tuple[str, int | None, datetime]]:
        """As ``State.merged_stories`` (this run's merges included)."""
        out = {}
        for story_id, value in self._tombstones().items():
            into, bridge, when = json.loads(value)[:3]
            out[story_id] = (into, bridge, read_iso(when, f"merged story {story_id}") or EPOCH)
        return out

    def story_links(self) -> dict[tuple[str, str], int | None]:
        """As ``State.story_links``; the links live in the hash ``links`` ("story|other" -> bridge)."""
        stored: dict[bytes, bytes] = {
            _enc(field): _enc(value)
            for field, value in self.redis.hgetall(self._key("links")).items()
            if _enc(field) not in self._links_gone
        }
        stored.update(self._links_set)
        pairs: dict[tuple[str, str], bytes] = {}
        for field, value in stored.items():
            story, _, other = _str(field).partition("|")
            pairs[story, other] = value
        stories = sorted({story for pair in pairs for story in pair})
        exists: dict[str, bool] = {}
        if stories:
            found = self.redis.smismember(self._key("stories"), stories)
            exists = {story: bool(there) for story, there in zip(stories, found, strict=True)}
        exists.update(dict.fromkeys(self._new_stories, True))
        exists.update(dict.fromkeys(self._dropped, False))
        return {
            pair: int(value) if value else None
            for pair, value in pairs.items()
            if exists.get(pair[0]) and exists.get(pair[1])
        }

    def add_story_link(self, story: str, other: str, bridge: int | None) -> None:
        field = f"{story}|{other}".encode()
        self._links_gone.discard(field)
        self._links_set[field] = b"" if bridge is None else _enc(bridge)

    def drop_story_link(self, story: str, other: str) -> None:
        field = f"{story}|{other}".encode()
        self._links_set.pop(field, None)
        self._links_gone.add(field)

    def story_first_ids(self, story_ids: Iterable[str]) -> dict[str, int]:
        """As ``State.story_first_ids``."""
        out = {}
        for story_id in set(story_ids):
            members = self._member_ids(story_id)
            if members:
                out[story_id] = members[0]
        return out

    def add_signature(
        self, article_id: int, params_id: int, signature: Signature, buckets: Iterable[int]
    ) -> None:
        sig = signature.stored_bytes()
        replaced = article_id not in self._articles  # an updated article keeps its id
        if replaced:  # re-signed (rebuild, or an update in place): count it under its new params
            old = self._records([article_id], ("params",)).get(article_id, [None])[0]
            if old != _enc(params_id):
                if old:
                    self._signatures[int(old)] = self._signatures.get(int(old), 0) - 1
                self._signatures[params_id] = self._signatures.get(params_id, 0) + 1
        self._update(article_id, {"params": params_id, "sig": sig})
        keys = {bucket & BUCKET_MASK for bucket in buckets}
        self._unstaged.append((keys, article_id))
        self._run_index.add(keys, article_id)
        if not replaced:
            self._signatures[params_id] = self._signatures.get(params_id, 0) + 1

    @property
    def _index_was_empty(self) -> bool:
        """Whether nothing was committed before this run: no stored buckets or permalinks to read."""
        return self._run_first <= 1

    def prefetch(self, buckets: Iterable[int], permalinks: Iterable[str]) -> None:
        """Read what was committed before this run under these bucket and permalink keys, in a few
        round trips, for the entries about to be deduplicated (one round trip per entry and kind
        cost ~4 ms an entry). Replaces the previous prefetch (memory stays bounded)."""
        self._stored_buckets, self._stored_permalinks = {}, {}
        if self._index_was_empty:  # nothing to read
            return
        self._fetch_stored_buckets(sorted({bucket & BUCKET_MASK for bucket in buckets}))
        keys = sorted(set(permalinks))
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            values = self.redis.hmget(self._key("pl"), chunk)
            self._stored_permalinks.update(
                (key, None if value is None else int(value)) for key, value in zip(chunk, values, strict=True)
            )

    def _fetch_stored_buckets(self, keys: list[int]) -> None:
        """Add the committed article ids (those before this run) under ``keys`` to the prefetch."""
        for start in range(0, len(keys), _LOOKUP_CHUNK):
            chunk = keys[start : start + _LOOKUP_CHUNK]
            pairs = np.array([(key >> _GROUP_BITS, key & _FIELD_MASK) for key in chunk], dtype="<u4")
            # two blobs: the number of ids under each key (uint32), then all those ids (uint32): one
            # reply element per key cost ~20 us each to parse in redis-py (40% of a Redis run)
            counts_blob, ids_blob = self._lookup(keys=[], args=[self._key("b", ""), pairs.tobytes()])
            counts = np.frombuffer(counts_blob, dtype="<u4")
            ids = np.frombuffer(ids_blob, dtype="<u4")
            ends = np.cumsum(counts).tolist()
            first = self._run_first
            self._stored_buckets.update(dict.fromkeys(chunk, ()))
            for hit in np.flatnonzero(counts).tolist():
                held = ids[ends[hit] - int(counts[hit]) : ends[hit]].tolist()
                # this run's staged ids are in the run index; a bucket may hold an id twice
                self._stored_buckets[chunk[hit]] = tuple(dict.fromkeys(i for i in held if i < first))

    def bucket_neighbours(self, buckets: list[int]) -> dict[int, int]:
        """article id -> number of the given buckets it shares."""
        return Counter(self.bucket_hits(buckets)[1].tolist())

    def bucket_hits(self, buckets: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """As ``State.bucket_hits``."""
        given = {bucket & BUCKET_MASK: bucket for bucket in buckets}
        keys = sorted(given)
        index = self._run_index
        run_keys, run_ids = index.neighbours(keys)
        found_keys, found_ids = run_keys.tolist(), run_ids.tolist()
        if not self._index_was_empty:
            missing = [key for key in keys if key not in self._stored_buckets]
            if missing:  # not prefetched (a caller that does not prefetch)
                self._fetch_stored_buckets(missing)
            for key in keys:
                for article_id in self._stored_buckets[key]:
                    if not index.holds(key, article_id):  # an older entry signed again in this run
                        found_keys.append(key)
                        found_ids.append(article_id)
        return (
            np.array([given[key] for key in found_keys], np.int64),
            np.array(found_ids, np.int64),
        )

    def _records(self, ids: Iterable[int], fields: tuple[str, ...]) -> dict[int, list[bytes | None]]:
        """The given fields of each article, from this run's writes or Redis (missing ids left out)."""
        out: dict[int, list[bytes | None]] = {}
        missing: list[int] = []
        for article_id in ids:
            record = self._articles.get(article_id)
            if record is None:
                missing.append(article_id)
            else:
                out[article_id] = [record.get(name.encode()) for name in fields]
        if self._deleted:
            missing = [i for i in missing if i not in self._deleted]
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start : start + _CHUNK]
            with self.redis.pipeline(transaction=False) as pipe:
                for article_id in chunk:
                    pipe.hmget(self._key("a", article_id), fields)
                rows = pipe.execute()
            for article_id, row in zip(chunk, rows, strict=True):
                if row[0] is not None:
                    relation = self._relations.get(article_id, {})
                    out[article_id] = [
                        relation.get(name.encode(), value) for name, value in zip(fields, row, strict=True)
                    ]
        return out

    def story_of(self, ids: Iterable[int]) -> dict[int, str]:
        """As ``State.story_of``."""
        return {i: _str(row[0]) for i, row in self._records(ids, ("story",)).items() if row[0] is not None}

    def story_sample(self, story_id: str, ends: int, min_tokens: int) -> StorySample:
        """As ``State.story_sample`` (reads every member's length: one pipelined read a story)."""
        members = self._member_ids(story_id)
        rows = self._records(members, ("truncated", "tokens"))
        full = [i for i in members if i in rows and rows[i][0] != b"1" and int(rows[i][1] or 0) >= min_tokens]
        return StorySample(len(members), full[:ends], full[-ends:] if ends else [])

    def article_bodies(self, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        """id -> (story id, body) for the given articles."""
        return {
            article_id: (row[0].decode(), _unpack_body(row[1], row[2]))  # type: ignore[union-attr,arg-type]
            for article_id, row in self._records(ids, ("story", "body", "text")).items()
        }

    def article_text(self, article_id: int) -> str:
        return self.article_texts([article_id]).get(article_id, "")

    def article_texts(self, ids: Iterable[int]) -> dict[int, str]:
        """id -> display text for the given articles, read in pipelined chunks; missing ids left out."""
        wanted = list(dict.fromkeys(ids))
        out = {i: _unpack(self._texts[i]) for i in wanted if i in self._texts}
        rows = self._records([i for i in wanted if i not in out], ("text",))
        out.update({i: _unpack(row[0]) for i, row in rows.items() if row and row[0] is not None})
        return out

    # -- stories ----------------------------------------------------------------------------------

    def _member_ids(self, story_id: str) -> list[int]:
        stored = self._stored_members.get(story_id)
        if stored is None:  # committed members cannot change while this run holds the lock
            stored = {int(member) for member in self.redis.smembers(self._key("sm", story_id))}
            self._stored_members[story_id] = stored
        removed = self._removed.get(story_id, set())
        return sorted((stored | set(self._members.get(story_id, ()))) - removed)

    def story_members(self, story_id: str, texts: bool = True) -> list[StoredArticle]:
        """Every member of a story with what attribution needs, oldest first; ``body`` and
        ``text`` empty when not ``texts`` (as ``State.story_members``)."""
        names = (
            "feed",
            "guid",
            "link",
            "title",
            "published",
            "credit",
            "truncated",
            "body",
            "text",
            "dated",
            "first_seen",
            "tokens",
            "relation",
        )
        rows = self._records(self._member_ids(story_id), names)
        members = []
        for article_id, row in rows.items():
            published = read_iso(_text(row[4]), f"article {article_id}")
            text = _unpack(row[8]) if texts else ""  # type: ignore[arg-type]
            members.append(
                StoredArticle(
                    article_id,
                    _text(row[0]) or "",
                    _text(row[1]) or "",
                    _text(row[2]) or "",
                    _text(row[3]) or "",
                    published or read_iso(_text(row[10]), f"article {article_id}") or EPOCH,
                    _text(row[5]),
                    row[6] == b"1",
                    _unpack_body(row[7], row[8], text) if texts else "",  # type: ignore[arg-type]
                    text,
                    dated=row[9] != b"0" and published is not None,
                    tokens=int(row[11] or 0),
                    relation=_text(row[12]) or "",
                )
            )
        members.sort(key=lambda m: (m.published, m.id))
        return members

    def set_story(
        self,
        story_id: str,
        canonical_id: int,
        credited_source: str | None,
        updated: datetime,
        relations: dict[int, tuple[str, float]],
    ) -> None:
        fields = {b"canonical": _enc(canonical_id), b"updated": _enc(iso(updated))}
        fields[b"credited"] = _enc(credited_source) if credited_source is not None else b""
        self._story_fields[story_id] = fields
        for article_id, (relation, similarity) in relations.items():
            change = {b"relation": _enc(relation), b"similarity": _enc(round(similarity, 4))}
            target = self._articles.get(article_id)
            if target is not None:
                target.update(change)
            else:
                self._relations.setdefault(article_id, {}).update(change)

    def last_article_id(self) -> int:
        """The highest article id given so far (this run's included); later articles have higher ids."""
        if self._next_id:
            return self._next_id - 1
        return int(self.redis.get(self._key("ids")) or 0)

    def touch_grown_stories(self, story_ids: Iterable[str], moment: datetime, last_old_id: int) -> int:
        """As ``State.touch_grown_stories``: stories that gained a member get ``updated`` = now."""
        touched = 0
        for story_id in sorted(story_ids):
            members = self._member_ids(story_id)
            fields = self._story_fields.get(story_id)
            if not members or members[0] > last_old_id or fields is None:
                continue
            fields[b"updated"] = max(fields[b"updated"], _enc(iso(moment)))
            touched += 1
        return touched

    def prune_stories(self, cutoff: datetime, batch: timedelta = timedelta(0)) -> int:
        raise StateError("pruning ([state] retention_days) is not supported with [index] backend = 'redis'")

    # -- output: one consistent snapshot of the committed stories ----------------------------------

    def _read_snapshot(self) -> tuple[list[tuple[str, int, str | None, datetime]], dict[str, list[tuple]]]:
        """Every committed story and its members, read between two equal ``version`` values, so that
        no other host's commit lands between the reads."""
        for _ in range(_SNAPSHOT_TRIES):
            try:
                version = self.redis.get(self._key("version"))
                snapshot = self._read_stories()
                if self.redis.get(self._key("version")) == version:
                    return snapshot
            except RedisError as exc:
                raise StateError(f"{self.url}: cannot read the stories from Redis: {exc}") from None
        raise StateError(f"{self.url}: the state kept changing while emit read it; try again")

    def _read_stories(self) -> tuple[list[tuple[str, int, str | None, datetime]], dict[str, list[tuple]]]:
        story_ids = sorted(_str(member) for member in self.redis.smembers(self._key("stories")))
        stories: list[tuple[str, int, str | None, datetime]] = []
        member_ids: dict[str, list[int]] = {}
        for start in range(0, len(story_ids), _CHUNK):
            chunk = story_ids[start : start + _CHUNK]
            with self.redis.pipeline(transaction=False) as pipe:
                for story_id in chunk:
                    pipe.hmget(self._key("s", story_id), ("canonical", "credited", "updated"))
                    pipe.smembers(self._key("sm", story_id))
                rows = pipe.execute()
            for index, story_id in enumerate(chunk):
                canonical, credited, updated = rows[2 * index]
                member_ids[story_id] = [int(member) for member in rows[2 * index + 1]]
                if canonical is not None:
                    stories.append(
                        (
                            story_id,
                            int(canonical),
                            _text(credited) or None,
                            read_iso(updated.decode(), f"story {story_id}") or EPOCH,
                        )
                    )
        names = ("feed", "link", "guid", "title", "published", "relation", "similarity", "first_seen")
        rows_by_id = self._records([i for ids in member_ids.values() for i in ids], names)
        members: dict[str, list[tuple]] = {}
        for story_id, ids in member_ids.items():
            found = []
            for article_id in ids:
                row = rows_by_id.get(article_id)
                if row is None:
                    continue
                feed, link, guid, title, published, relation, similarity, first_seen = (
                    _text(value) for value in row
                )
                found.append(
                    (
                        article_id,
                        feed,
                        link,
                        guid,
                        title,
                        published,
                        relation,
                        float(similarity or 0),
                        first_seen or published,
                    )
                )
            found.sort(key=lambda r: (r[5], r[0]))
            members[story_id] = found
        return stories, members

    def members_for_output(self, story_ids: Iterable[str] | None = None) -> dict[str, list[tuple]]:
        """story id -> member rows, from the snapshot that ``stories()`` then also answers from
        (every story's: ``story_ids`` only filters them)."""
        self._snapshot = self._read_snapshot()
        canonical = [story[1] for story in self._snapshot[0]]  # emit asks for each one's text next
        self._texts = {i: row[0] for i, row in self._records(canonical, ("text",)).items() if row[0]}
        if story_ids is None:
            return self._snapshot[1]
        wanted = set(story_ids)
        return {story: rows for story, rows in self._snapshot[1].items() if story in wanted}

    def stories(self, story_ids: Iterable[str] | None = None) -> list[tuple[str, int, str | None, datetime]]:
        """(id, canonical article id, credited source, updated) of every committed, attributed story
        (or of those of ``story_ids``)."""
        if self._snapshot is None:
            self._snapshot = self._read_snapshot()
        if story_ids is None:
            return self._snapshot[0]
        wanted = set(story_ids)
        return [story for story in self._snapshot[0] if story[0] in wanted]

    def report_cache(self) -> None:
        """None: emit reads every committed story in one snapshot (no lines are kept in Redis)."""
        return None

    # -- re-deciding stories (rebuild, editorial overrides, purge: issue 14) -----------------------

    def _all_member_ids(self, story_ids: Iterable[str] | None = None) -> list[int]:
        if story_ids is None:
            story_ids = [_str(member) for member in self.redis.smembers(self._key("stories"))]
            story_ids += self._new_stories
        wanted = sorted(set(story_ids))
        missing = [story_id for story_id in wanted if story_id not in self._stored_members]
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start : start + _CHUNK]
            with self.redis.pipeline(transaction=False) as pipe:
                for story_id in chunk:
                    pipe.smembers(self._key("sm", story_id))
                rows = pipe.execute()
            for story_id, ids in zip(chunk, rows, strict=True):
                self._stored_members[story_id] = {int(i) for i in ids}
        return sorted({i for story_id in wanted for i in self._member_ids(story_id)})

    def stored_records(self, story_ids: Iterable[str] | None = None) -> list[StoredRecord]:
        """As ``State.stored_records``."""
        names = (
            "feed",
            "entry_key",
            "guid",
            "link",
            "title",
            "published",
            "dated",
            "first_seen",
            "credit",
            "truncated",
            "body",
            "text",
            "content_hash",
            "story",
            "relation",
            "match_article",
            "match_relation",
            "match_measure",
            "match_score",
            "match_threshold",
            "similarity",
        )
        out = []
        for article_id, row in sorted(self._records(self._all_member_ids(story_ids), names).items()):
            t = [_text(value) if i not in (10, 11) else None for i, value in enumerate(row)]
            published = read_iso(t[5], f"article {article_id}")
            first_seen = read_iso(t[7], f"article {article_id}") or EPOCH
            match = (
                Match(int(t[15]), t[16], t[17], float(t[18] or 0), float(t[19] or 0))  # type: ignore[arg-type]
                if t[15]
                else None
            )
            out.append(
                StoredRecord(
                    article_id,
                    t[0] or "",
                    t[1] or "",
                    t[2] or "",
                    t[3] or "",
                    t[4] or "",
                    published or first_seen,
                    t[6] != "0" and published is not None,
                    first_seen,
                    t[8] or None,
                    t[9] == "1",
                    _unpack_body(row[10], row[11]),  # type: ignore[arg-type]
                    t[12] or "",
                    t[13] or "",
                    t[14] or "original",
                    float(t[20] or 0),
                    match,
                )
            )
        return out

    def signatures_for(self, params: SignatureParams) -> dict[int, SignatureValues]:
        """As ``State.signatures_for``."""
        found = self.redis.hget(self._key("params"), json.dumps(asdict(params), sort_keys=True))
        if found is None:
            return {}
        width = 4 * params.num_perm
        out = {}
        for article_id, (pid, sig) in self._records(self._all_member_ids(), ("params", "sig")).items():
            if pid == found and sig is not None and len(sig) in (2 * width, 3 * width, 4 * width):
                out[article_id] = split_signature(sig, params.num_perm)
        return out

    def move_article(self, article_id: int, story_id: str, match: Match | None) -> None:
        """As ``State.move_article``."""
        old = _text(self._records([article_id], ("story",)).get(article_id, [None])[0]) or ""
        self._update(
            article_id,
            {
                "story": story_id,
                "match_article": match.article_id if match else "",
                "match_relation": match.relation if match else "",
                "match_measure": match.measure if match else "",
                "match_score": match.score if match else "",
                "match_threshold": match.threshold if match else "",
            },
        )
        if old != story_id:
            self._removed.setdefault(old, set()).add(article_id)
            self._members.setdefault(story_id, []).append(article_id)
            if article_id in self._removed.get(story_id, set()):  # moved back in this transaction
                self._removed[story_id].discard(article_id)

    @staticmethod
    def _override_field(override: Override) -> bytes:
        return f"{override.kind}:{override.article_id}:{override.other_id}".encode()

    def overrides(self) -> list[Override]:
        """As ``State.overrides``: the committed ones with this transaction's changes."""
        stored: dict[bytes, bytes] = self.redis.hgetall(self._key("ov"))  # type: ignore[assignment]
        fields = {**stored, **self._overrides_set}
        out = []
        for field, created in fields.items():
            if field in self._overrides_gone:
                continue
            kind, article_id, other_id = _str(field).split(":")
            moment = read_iso(_str(created), "override") or EPOCH
            out.append(Override(kind, int(article_id), int(other_id), moment))  # type: ignore[arg-type]
        out.sort(key=lambda o: (o.created, o.kind, o.article_id))
        return out

    def add_override(self, override: Override) -> None:
        field = self._override_field(override)
        self._overrides_gone.discard(field)
        self._overrides_set[field] = _enc(iso(override.created))

    def remove_override(self, override: Override) -> None:
        field = self._override_field(override)
        self._overrides_set.pop(field, None)
        self._overrides_gone.add(field)

    def delete_feed(self, feed: str) -> tuple[int, set[str]]:
        """As ``State.delete_feed``: the entries' records, entry keys, permalinks and overrides go
        with the commit; their ids stay in LSH buckets, where a missing record is skipped."""
        self.local.delete_feed(feed)
        names = ("feed", "story", "link_key", "entry_key", "params")
        rows = self._records(self._all_member_ids(), names)
        doomed = {i: row for i, row in rows.items() if row[0] == _enc(feed)}
        stories: set[str] = set()
        for article_id, (_, story, link_key, entry_key, params) in doomed.items():
            story_id = _text(story) or ""
            stories.add(story_id)
            self._removed.setdefault(story_id, set()).add(article_id)
            for key in (_text(link_key), _text(entry_key)):
                if key and key.startswith("//"):
                    self._deleted_permalinks.add(key)
            if params:
                self._signatures[int(params)] = self._signatures.get(int(params), 0) - 1
        self._deleted.update(doomed)
        self._deleted_feeds.add(feed)
        for override in self.overrides():
            if override.article_id in doomed or override.other_id in doomed:
                self.remove_override(override)
        return len(doomed), stories

    def _queue_deletes(self, pipe: redis.client.Pipeline) -> None:
        doomed = sorted(self._deleted)
        for start in range(0, len(doomed), _CHUNK):
            pipe.delete(*(self._key("a", i) for i in doomed[start : start + _CHUNK]))
        for feed in self._deleted_feeds:
            pipe.delete(self._key("k", feed), self._key("ki", feed))
            pipe.hdel(self._key("feeds"), feed)
        if self._deleted_permalinks:
            owners = self.redis.hmget(self._key("pl"), sorted(self._deleted_permalinks))
            gone = [
                key
                for key, owner in zip(sorted(self._deleted_permalinks), owners, strict=True)
                if owner is not None and int(owner) in self._deleted
            ]
            if gone:
                pipe.hdel(self._key("pl"), *gone)
