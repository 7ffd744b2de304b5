"""SQLite state: feeds' HTTP validators and health, articles, signatures, the LSH index, stories.

Everything a run changes is written inside one transaction (``State.transaction``), so a crash
leaves the state as the previous run left it. Article texts are stored zlib-compressed.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from pipeline.errors import StateError
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
from pipeline.store import report_cache
from pipeline.store.damage import state_error
from pipeline.store.lsh_index import LshIndex
from pipeline.store.run_index import RunIndex
from pipeline.text.identity import KEY_SEPARATOR, URL_KEY_VERSION, id_key, url_key

_log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

# ``merged_stories.via``: who merged an absorbed story into another (NULL: a run, on a bridging entry).
MERGED_BY_EDITOR = "editor"  # syndedup story merge
MERGED_BY_REBUILD = "rebuild"  # syndedup rebuild (today's config joins them), or undoing a correction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS signature_params (id INTEGER PRIMARY KEY, params TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS feeds (
    name TEXT PRIMARY KEY, url TEXT NOT NULL, title TEXT, link TEXT,
    etag TEXT, last_modified TEXT, last_attempt TEXT, last_success TEXT, last_error TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0, entries INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS stories (
    id TEXT PRIMARY KEY, canonical_id INTEGER, credited_source TEXT, updated TEXT
);
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY, feed TEXT NOT NULL, entry_key TEXT NOT NULL, guid TEXT NOT NULL,
    link TEXT NOT NULL, title TEXT NOT NULL, published TEXT NOT NULL, dated INTEGER NOT NULL,
    first_seen TEXT NOT NULL, credit TEXT, truncated INTEGER NOT NULL, tokens INTEGER NOT NULL,
    text BLOB NOT NULL, body BLOB NOT NULL, story_id TEXT NOT NULL REFERENCES stories(id),
    relation TEXT NOT NULL DEFAULT 'original', similarity REAL NOT NULL DEFAULT 1.0,
    match_article INTEGER, match_relation TEXT, match_measure TEXT, match_score REAL,
    match_threshold REAL,
    UNIQUE (feed, entry_key)
);
CREATE INDEX IF NOT EXISTS articles_story ON articles (story_id);
CREATE TABLE IF NOT EXISTS signatures (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id), params_id INTEGER NOT NULL,
    full BLOB NOT NULL, lead BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS lsh_buckets (
    bucket INTEGER NOT NULL, article_id INTEGER NOT NULL, PRIMARY KEY (bucket, article_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pages (
    url TEXT PRIMARY KEY, fetched_at TEXT NOT NULL, final_url TEXT, status INTEGER, etag TEXT,
    last_modified TEXT, canonical TEXT, text BLOB, error TEXT, retry INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS merged_stories (
    id TEXT PRIMARY KEY, merged_into TEXT NOT NULL, bridge INTEGER, merged_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS story_links (
    story TEXT NOT NULL, other TEXT NOT NULL, bridge INTEGER, PRIMARY KEY (story, other)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feed_digests (name TEXT PRIMARY KEY, digest TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feed_lines (
    feed TEXT NOT NULL, line INTEGER NOT NULL, entries INTEGER NOT NULL, PRIMARY KEY (feed, line)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stock_sentences (line INTEGER PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS overrides (
    kind TEXT NOT NULL, article_id INTEGER NOT NULL, other_id INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL, PRIMARY KEY (kind, article_id, other_id)
) WITHOUT ROWID;
"""


# Feed health beyond the base schema (issue 4). next_fetch_after: earliest next fetch after failures
# (backoff or Retry-After); dead: 1 after a 410 Gone, until the config URL changes; permanent_url:
# where a 301/308 chain led, fetched instead of url; last_status: the last HTTP status seen.
FEED_HEALTH_COLUMNS = {
    "next_fetch_after": "TEXT",
    "dead": "INTEGER NOT NULL DEFAULT 0",
    "permanent_url": "TEXT",
    "last_status": "INTEGER",
    # When a run first found the feed gone from the config (issue 14); NULL while it is configured.
    "removed_at": "TEXT",
}


# Entry identity (issue 12): content_hash (text/identity.py: title and text without digits, hashed),
# link_key (the normalized link), updated_at (when the entry last changed in place). Rows written
# before have NULL: link_key is filled on open, content_hash when the entry is next seen.
# text_hash (issue 22): the text alone hashed, for a re-keyed entry whose title was corrected; NULL
# for rows written before it (they are matched as before).
ARTICLE_IDENTITY_COLUMNS = {
    "content_hash": "TEXT",
    "link_key": "TEXT",
    "updated_at": "TEXT",
    "text_hash": "TEXT",
}


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, the one date format stored and published; always a 4-digit year.

    (``strftime("%Y")`` writes year 1 as "1" on glibc, which nothing reads back.)
    """
    m = moment.astimezone(UTC)
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}Z"


def parse_iso(text: str) -> datetime:
    """Read what ``iso()`` writes (and a year of fewer digits, as older versions wrote year 1).

    Raises ValueError for anything else; ``read_iso`` is the reading that never raises.
    """
    if _ISO_Z.fullmatch(text):  # what iso() writes: fromisoformat reads it ~50x faster than strptime
        return datetime.fromisoformat(text)
    short = _SHORT_YEAR.fullmatch(text)
    if short:
        return datetime.fromisoformat(f"{int(short.group(1)):04d}{short.group(2)}")
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def read_iso(text: str | None, what: str) -> datetime | None:
    """A stored date, or None (with a warning naming ``what`` and the value) when it cannot be read:
    one bad stored value must never stop a run."""
    if text is None:
        return None
    try:
        return parse_iso(text)
    except (ValueError, TypeError):
        _log.warning("state: %s has an unreadable date %r; treated as undated", what, str(text)[:60])
        return None


_ISO_Z = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_SHORT_YEAR = re.compile(r"([0-9]{1,3})(-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _pack(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), 6)


def _unpack(blob: bytes) -> str:
    return zlib.decompress(blob).decode("utf-8")


def _pack_body(body: str, text: str) -> bytes:
    """Compress the body against its text (zlib preset dictionary): a body is mostly the text's own
    lines, so it takes tens of bytes instead of a second compressed copy (~1 KB per article)."""
    packer = zlib.compressobj(6, zdict=text.encode("utf-8"))
    return packer.compress(body.encode("utf-8")) + packer.flush()


def pack_texts(text: str, body: str) -> tuple[bytes, bytes]:
    """An article's (text, body) as the stores keep them (zlib; the body against its text)."""
    return _pack(text), _pack_body(body, text)


def packed_texts(article: Article) -> tuple[bytes, bytes]:
    """``pack_texts`` of the article's text and body, or the blobs its parse worker made
    (``Prepared.packed``) while the text is still the one it compressed (the body blob while the
    body is the one the worker signed): zlib was ~15% of a run's single-process time."""
    prepared = article.prepared
    if prepared is None or prepared.packed is None or prepared.text is not article.text:
        return pack_texts(article.text, article.body)
    text_blob, body_blob = prepared.packed
    signed_body = prepared.body if prepared.signed_body is None else prepared.signed_body
    if signed_body != article.body:
        body_blob = _pack_body(article.body, article.text)
    return text_blob, body_blob


def _unpack_body(blob: bytes, text_blob: bytes, text: str | None = None) -> str:
    """Inverse of ``_pack_body``; also reads bodies stored alone (no FDICT flag in the zlib header).
    ``text``: ``text_blob`` already decompressed, if the caller has it (saves decompressing twice)."""
    if len(blob) < 2 or not blob[1] & 0x20:
        return _unpack(blob)
    zdict = zlib.decompress(text_blob) if text is None else text.encode("utf-8")
    unpacker = zlib.decompressobj(zdict=zdict)
    return (unpacker.decompress(blob) + unpacker.flush()).decode("utf-8")


# LSH bucket keys are folded to 47 bits: SQLite then stores 6 bytes instead of 8 per key (~150 bytes
# per article). 31 bits would save 150 more, but at 100k articles its chance collisions gave 0.29
# extra candidates per lookup, each costing a body read and an exact comparison (measured ~10% of
# the dedup stage); at 47 bits they are negligible. States whose index was written with whole keys
# keep them (meta 'bucket_mask').
BUCKET_MASK = (1 << 47) - 1
_WHOLE_KEYS = (1 << 63) - 1

# SQLite's page cache, in KiB (the default, 2 MiB, missed on most LSH lookups and inserts at 100k
# articles). 16 MiB instead of 64 took ~50 MB off the peak of a run, at the same seconds: a first
# run of 40k realistic entries (146 s either way, with ``run_index.MEMORY_KEYS`` 4M), and 7,500 new
# entries looked up in a state of 40k (51.0 and 54.7 s at 64 MiB, 50.4 and 55.2 s at 16 MiB).
PAGE_CACHE_KIB = 16384


class State:
    """The one place that reads and writes the SQLite state file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
            # LSH bucket keys added in the open transaction: looked up in memory and written to
            # the index in key order when the transaction commits (a B-tree insert per key and
            # band in random order cost more than the rest of dedup, and a B-tree probe per band
            # and entry a third of it).
            self._run = RunIndex()
            # What earlier transactions stored (``store.lsh_index``: generations with filters)
            self._lsh = LshIndex(self.db)
            # (keys asked for, key -> stored article ids) read ahead for the next entries
            self._prefetched: tuple[set[int], dict[int, list[int]]] | None = None
        except sqlite3.Error as exc:
            raise state_error(path, exc, "nothing was read or written") from None
        except OSError as exc:
            raise StateError(f"{path}: cannot create state folder: {exc.strerror}") from None

    def close(self) -> None:
        self.db.close()

    def created(self) -> datetime:
        """When this state file was made (meta ``created``): the date of an output with no item,
        which must come from the state (an unchanged run rewrites nothing) and not be 1970."""
        row = self.db.execute("SELECT value FROM meta WHERE key='created'").fetchone()
        return (read_iso(row[0], "meta created") if row else None) or now_utc()

    def _migrate(self) -> None:
        row = None
        tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "meta" in tables:
            row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is not None and int(row[0]) != SCHEMA_VERSION:
            raise StateError(
                f"{self.path}: state schema version {row[0]} is not {SCHEMA_VERSION}; "
                "use a new [state] path or the syndedup version that wrote it"
            )
        self.db.executescript(_SCHEMA)
        self.db.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
            (SCHEMA_VERSION,),
        )
        # When the state began (for a file older than this key: when this version first opened it).
        self.db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('created', ?)", (iso(now_utc()),))
        self._add_feed_health_columns()
        self._add_identity_columns()
        self._add_merge_columns()
        row = self.db.execute("SELECT value FROM meta WHERE key='bucket_mask'").fetchone()
        if row is None:
            indexed = self.db.execute("SELECT 1 FROM lsh_buckets LIMIT 1").fetchone()
            row = (_WHOLE_KEYS if indexed else BUCKET_MASK,)
            self.db.execute("INSERT INTO meta (key, value) VALUES ('bucket_mask', ?)", (str(row[0]),))
        self._bucket_mask = int(row[0])
        LshIndex.install(self.db)

    def _add_feed_health_columns(self) -> None:
        """Add the feed-health columns to a state file written before they existed (additive only)."""
        have = {row[1] for row in self.db.execute("PRAGMA table_info(feeds)")}
        for name, declaration in FEED_HEALTH_COLUMNS.items():
            if name not in have:
                self.db.execute(f"ALTER TABLE feeds ADD COLUMN {name} {declaration}")

    def _add_merge_columns(self) -> None:
        """Add ``merged_stories.via`` to a state file written before editors' and rebuilds' merges
        left tombstones (NULL: a run's merge, which is what every older row is)."""
        have = {row[1] for row in self.db.execute("PRAGMA table_info(merged_stories)")}
        if "via" not in have:
            self.db.execute("ALTER TABLE merged_stories ADD COLUMN via TEXT")

    def _add_identity_columns(self) -> None:
        """Add the entry-identity columns to a state file written before them, and fill link_key."""
        have = {row[1] for row in self.db.execute("PRAGMA table_info(articles)")}
        missing = [name for name in ARTICLE_IDENTITY_COLUMNS if name not in have]
        for name in missing:
            self.db.execute(f"ALTER TABLE articles ADD COLUMN {name} {ARTICLE_IDENTITY_COLUMNS[name]}")
        row = self.db.execute("SELECT value FROM meta WHERE key='url_key_version'").fetchone()
        if "link_key" in missing or row is None or int(row[0]) != URL_KEY_VERSION:
            # Link keys made by another version of ``url_key`` (tracking parameters, AMP forms) are
            # made again, so that a link matches the same page across feeds and runs.
            rows = self.db.execute("SELECT id, link FROM articles").fetchall()
            self.db.executemany(
                "UPDATE articles SET link_key=? WHERE id=?", [(url_key(link) or "", i) for i, link in rows]
            )
            self.db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('url_key_version', ?)", (URL_KEY_VERSION,)
            )
        self.db.execute("CREATE INDEX IF NOT EXISTS articles_link_key ON articles (link_key)")
        self.db.execute("CREATE INDEX IF NOT EXISTS articles_entry_key ON articles (entry_key)")
        # Identity matching reads a feed's stored entries by key, link and hashes (``feed_entries``)
        # instead of all of them; the count of other signature parameters reads its index alone.
        self.db.execute("CREATE INDEX IF NOT EXISTS articles_content_hash ON articles (content_hash)")
        self.db.execute("CREATE INDEX IF NOT EXISTS articles_text_hash ON articles (text_hash)")
        self.db.execute("CREATE INDEX IF NOT EXISTS signatures_params ON signatures (params_id)")
        row = self.db.execute("SELECT value FROM meta WHERE key='entry_keys_normal'").fetchone()
        if row is None:
            # Keys stored by versions before entry identity may not be in key form (``id_key``):
            # identity matching then reads every stored entry of a feed. Every key written since is.
            normal = all(id_key(key) == key for (key,) in self.db.execute("SELECT entry_key FROM articles"))
            row = ("1" if normal else "0",)
            self.db.execute("INSERT INTO meta (key, value) VALUES ('entry_keys_normal', ?)", row)
        self._normal_keys = row[0] == "1"
        # emit's dates of a feed's newest members (``member_dates``)
        self.db.execute("CREATE INDEX IF NOT EXISTS articles_feed_published ON articles (feed, published)")
        report_cache.install(self.db)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: commit on success, roll back on any exception (including KeyboardInterrupt)."""
        self.db.execute("BEGIN IMMEDIATE")
        self._run.clear()
        self._lsh.forget()
        self._prefetched = None
        try:
            yield
            self._flush_buckets()
        except BaseException:
            self._run.clear()
            self._lsh.forget()
            self._prefetched = None
            self._rollback()
            raise
        try:
            self.db.execute("COMMIT")
        except sqlite3.Error:  # a full disk, an I/O error: SQLite may leave the transaction open
            self._rollback()
            raise

    def _rollback(self) -> None:
        """Roll back the open transaction, if SQLite has not already (it does after some errors)."""
        if self.db.in_transaction:
            with suppress(sqlite3.Error):  # the error that brought us here is the one to report
                self.db.execute("ROLLBACK")

    def _flush_buckets(self) -> None:
        """Write this transaction's LSH bucket keys held in memory to the index, a few runs of keys
        in key order (``RunIndex.drain``); what was read ahead no longer holds them all."""
        segments = self._run.drain()
        if segments:
            self._lsh.write(segments)
            self._prefetched = None

    # -- feeds ------------------------------------------------------------------------------------

    def feed_health(self, name: str) -> FeedHealth:
        """What is remembered about fetching a feed (a fresh record for a feed never fetched)."""
        row = self.db.execute(
            "SELECT url, etag, last_modified, permanent_url, dead, consecutive_failures,"
            " next_fetch_after, last_error FROM feeds WHERE name=?",
            (name,),
        ).fetchone()
        if row is None:
            return FeedHealth()
        return FeedHealth(
            url=row[0],
            etag=row[1],
            last_modified=row[2],
            permanent_url=row[3],
            dead=bool(row[4]),
            consecutive_failures=int(row[5]),
            next_fetch_after=read_iso(row[6], f"feed {name!r}") if row[6] else None,
            last_error=row[7],
        )

    def record_fetch(self, result: FetchResult, now: datetime) -> None:
        """Remember a feed's validators and health after a fetch attempt."""
        # A new config URL starts over: what was learned about the old URL no longer applies.
        self.db.execute(
            "UPDATE feeds SET etag=NULL, last_modified=NULL, permanent_url=NULL, dead=0,"
            " next_fetch_after=NULL, consecutive_failures=0 WHERE name=? AND url != ?",
            (result.feed, result.url),
        )
        self.db.execute(
            "INSERT INTO feeds (name, url) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET url=excluded.url",
            (result.feed, result.url),
        )
        if result.skipped:
            return
        self.db.execute(
            "UPDATE feeds SET last_status=?, permanent_url=COALESCE(?, permanent_url), dead=?,"
            " next_fetch_after=? WHERE name=?",
            (
                result.status,
                result.permanent_url,
                result.dead,
                iso(result.next_fetch_after) if result.next_fetch_after else None,
                result.feed,
            ),
        )
        if result.ok:
            self.db.execute(
                "UPDATE feeds SET last_attempt=?, last_success=?, last_error=NULL, consecutive_failures=0,"
                " etag=COALESCE(?, etag), last_modified=COALESCE(?, last_modified),"
                " title=COALESCE(?, title), link=COALESCE(?, link),"
                " entries=CASE WHEN ? THEN entries ELSE ? END WHERE name=?",
                (
                    iso(now),
                    iso(now),
                    result.etag,
                    result.last_modified,
                    result.feed_title,
                    result.feed_link,
                    result.not_modified,
                    len(result.articles),
                    result.feed,
                ),
            )
        elif result.host_failure:  # the host's network was down: not the feed's failure
            self.db.execute(
                "UPDATE feeds SET last_attempt=?, last_error=? WHERE name=?",
                (iso(now), result.error, result.feed),
            )
        else:
            self.db.execute(
                "UPDATE feeds SET last_attempt=?, last_error=?,"
                " consecutive_failures=consecutive_failures+1 WHERE name=?",
                (iso(now), result.error, result.feed),
            )

    def feed_digest(self, name: str) -> str | None:
        """Digest of the feed's bytes at its last successful parse (see ingest's ``digests``)."""
        row = self.db.execute("SELECT digest FROM feed_digests WHERE name=?", (name,)).fetchone()
        return str(row[0]) if row else None

    def set_feed_digest(self, name: str, digest: str) -> None:
        self.db.execute(
            "INSERT INTO feed_digests (name, digest) VALUES (?, ?)"
            " ON CONFLICT(name) DO UPDATE SET digest=excluded.digest",
            (name, digest),
        )

    def forget_fetches(self) -> None:
        """Forget every feed's HTTP validators and body digest, so that the next fetch of each reads
        and parses it whole (the shared index they were read into was lost: ``RedisStore``)."""
        self.db.execute("UPDATE feeds SET etag=NULL, last_modified=NULL")
        self.db.execute("DELETE FROM feed_digests")

    def index_mark(self) -> dict[str, str | int] | None:
        """What this host last committed to a Redis index: {"epoch", "version", "url", "prefix"}."""
        row = self.db.execute("SELECT value FROM meta WHERE key='redis_index'").fetchone()
        return json.loads(row[0]) if row else None

    def set_index_mark(self, mark: dict[str, str | int]) -> None:
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES ('redis_index', ?)"
            " ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (json.dumps(mark, sort_keys=True),),
        )

    def feed_info(self) -> dict[str, tuple[str, str | None, str | None, str | None]]:
        """name -> (url, title, link, last_success) for every feed ever fetched."""
        rows = self.db.execute("SELECT name, url, title, link, last_success FROM feeds")
        return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}

    def add_line_counts(self, feed: str, counts: dict[int, int]) -> dict[int, int]:
        """Add this run's per-paragraph entry counts for a feed; return the totals for those paragraphs.

        The stored counts are read first, so only lines seen before come back (reading back every
        line just written was ~2/3 of the time), and rows are written in key order (B-tree appends)."""
        keys = sorted(counts)
        stored: dict[int, int] = {}
        for start in range(0, len(keys), 500):  # one query per 500 keys, not one per key
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            stored.update(
                self.db.execute(
                    f"SELECT line, entries FROM feed_lines WHERE feed=? AND line IN ({marks})",
                    [feed, *chunk],
                )
            )
        self.db.executemany(
            "INSERT INTO feed_lines (feed, line, entries) VALUES (?, ?, ?) "
            "ON CONFLICT(feed, line) DO UPDATE SET entries = entries + excluded.entries",
            [(feed, key, counts[key]) for key in keys],
        )
        return {key: stored.get(key, 0) + count for key, count in counts.items()}

    def stock_sentences(self) -> set[int]:
        """Keys (``boilerplate.sentence_key``) of the sentences some feed repeats at its entries'
        edges: trimmed from the edges of every feed's entries (``strip_boilerplate``)."""
        return {row[0] for row in self.db.execute("SELECT line FROM stock_sentences")}

    def add_stock_sentences(self, keys: Iterable[int]) -> None:
        """Remember stock sentence keys (see ``stock_sentences``)."""
        self.db.executemany("INSERT OR IGNORE INTO stock_sentences (line) VALUES (?)", [(k,) for k in keys])

    def rename_feed(self, old: str, new: str) -> int:
        """Give feed ``old``'s rows the name ``new`` (its config name changed, its URL did not):
        health, digest, boilerplate counts, stored entries, and the credit of stories credited to
        ``old``. Returns how many stored entries were renamed. Call inside a transaction; does
        nothing when ``new`` already has a feed row (the rename was done already)."""
        if self.db.execute("SELECT 1 FROM feeds WHERE name=?", (new,)).fetchone():
            return 0
        self.db.execute("UPDATE feeds SET name=?, removed_at=NULL WHERE name=?", (new, old))
        self.db.execute("UPDATE feed_digests SET name=? WHERE name=?", (new, old))
        self.db.execute("UPDATE feed_lines SET feed=? WHERE feed=?", (new, old))
        self.db.execute("UPDATE stories SET credited_source=? WHERE credited_source=?", (new, old))
        return self.db.execute("UPDATE articles SET feed=? WHERE feed=?", (new, old)).rowcount

    def mark_removed_feeds(self, configured: Iterable[str], now: datetime) -> dict[str, datetime]:
        """Note when each feed of the state left the config (``now`` if this is the first run that
        sees it gone; cleared for configured feeds); return name -> removed since."""
        names = set(configured)
        removed: dict[str, datetime] = {}
        for name, since in self.db.execute("SELECT name, removed_at FROM feeds").fetchall():
            if name in names:
                if since is not None:
                    self.db.execute("UPDATE feeds SET removed_at=NULL WHERE name=?", (name,))
                continue
            if since is None:
                self.db.execute("UPDATE feeds SET removed_at=? WHERE name=?", (iso(now), name))
            removed[name] = parse_iso(since) if since else now
        return removed

    # -- articles ---------------------------------------------------------------------------------

    def known_entry_keys(self, feed: str) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT entry_key FROM articles WHERE feed=?", (feed,))}

    def params_id(self, params: SignatureParams) -> int:
        """The id of a signature parameter set, added on first use."""
        text = json.dumps(asdict(params), sort_keys=True)
        self.db.execute("INSERT OR IGNORE INTO signature_params (params) VALUES (?)", (text,))
        return int(self.db.execute("SELECT id FROM signature_params WHERE params=?", (text,)).fetchone()[0])

    def count_signatures_with_other_params(self, params_id: int) -> int:
        """Stored signatures made with another parameter set: two ranges of ``signatures_params``
        (``!=`` read the whole table, ~3 KB a stored entry, at every run)."""
        row = self.db.execute(
            "SELECT (SELECT COUNT(*) FROM signatures WHERE params_id < ?)"
            " + (SELECT COUNT(*) FROM signatures WHERE params_id > ?)",
            (params_id, params_id),
        )
        return int(row.fetchone()[0])

    def add_story(self, story_id: str) -> None:
        self.db.execute("INSERT INTO stories (id) VALUES (?)", (story_id,))

    def add_article(self, article: Article, now: datetime) -> int:
        """Store a new article (its story must exist) and return its id."""
        match: Match | None = article.match
        cursor = self.db.execute(
            "INSERT INTO articles (feed, entry_key, guid, link, title, published, dated, first_seen,"
            " credit, truncated, tokens, text, body, story_id, match_article, match_relation,"
            " match_measure, match_score, match_threshold, content_hash, link_key, text_hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                article.feed,
                article.entry_key,
                article.guid,
                article.link,
                article.title,
                iso(article.published),
                article.dated,
                iso(now),
                article.credit,
                article.truncated,
                article.token_count or len(article.tokens),
                *packed_texts(article),
                article.story_id,
                match.article_id if match else None,
                match.relation if match else None,
                match.measure if match else None,
                match.score if match else None,
                match.threshold if match else None,
                article.content_hash or None,
                url_key(article.link) or "",
                article.text_hash or None,
            ),
        )
        return int(cursor.lastrowid or 0)

    def feed_entries(self, feed: str, articles: Iterable[Article] | None = None) -> list[StoredEntry]:
        """The stored entries of a feed as identity matching needs them (text/identity.py), by id.

        With ``articles`` (one fetch of the feed), only those ``identity.resolve`` could match with
        them: the entries with one of their keys (or a key re-keyed by its content hash), links,
        content hashes or text hashes, read by index, so that it costs the fetch's size and not the
        feed's (reading every entry of every fetched feed was ~14 µs a stored entry at each run).
        ``resolve`` decides the same with them as with every entry: the others are neither looked
        up by key nor counted by link or hash."""
        columns = "id, entry_key, link, link_key, title, content_hash, story_id, text_hash"
        if articles is None or not self._normal_keys:
            rows = self.db.execute(f"SELECT {columns} FROM articles WHERE feed=? ORDER BY id", (feed,))
            return [_stored_entry(r) for r in rows]
        fetched = list(articles)
        wanted = {
            "entry_key": {a.entry_key for a in fetched}
            | {f"{a.entry_key}{KEY_SEPARATOR}{a.content_hash}" for a in fetched},
            "link_key": {key for a in fetched if (key := url_key(a.link))},
            "content_hash": {a.content_hash for a in fetched if a.content_hash},
            "text_hash": {a.text_hash for a in fetched if a.text_hash},
        }
        found: dict[int, StoredEntry] = {}
        for column, values in wanted.items():
            # "+feed": the feed is not what to look up by (without statistics, SQLite's planner
            # took the feed's own index and read every entry of it), except with its key
            by_feed = "feed" if column == "entry_key" else "+feed"
            ordered = sorted(values)
            for start in range(0, len(ordered), 500):
                chunk = ordered[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for r in self.db.execute(
                    f"SELECT {columns} FROM articles WHERE {column} IN ({marks}) AND {by_feed}=?",
                    [*chunk, feed],
                ):
                    found[r[0]] = _stored_entry(r)
        return [found[i] for i in sorted(found)]

    def rekey_articles(self, changes: list[tuple[int, Article]], now: datetime | None) -> None:
        """Store each entry's current key, GUID, link, title and date on its stored row (no text change).

        ``now`` is the time of an update readers should see (None for a silent re-key). Keys are
        moved in two steps so that two entries swapping keys never meet the UNIQUE constraint.
        """
        self.db.executemany(
            "UPDATE articles SET entry_key=? WHERE id=?", [(f"\x00moving:{i}", i) for i, _ in changes]
        )
        self.db.executemany(
            "UPDATE articles SET entry_key=?, guid=?, link=?, link_key=?, title=?, published=?, dated=?,"
            " content_hash=COALESCE(?, content_hash), text_hash=COALESCE(?, text_hash),"
            " updated_at=COALESCE(?, updated_at) WHERE id=?",
            [
                (
                    a.entry_key,
                    a.guid,
                    a.link,
                    url_key(a.link) or "",
                    a.title,
                    iso(a.published),
                    a.dated,
                    a.content_hash or None,
                    a.text_hash or None,
                    iso(now) if now else None,
                    i,
                )
                for i, a in changes
            ],
        )

    def replace_article(self, article_id: int, article: Article, now: datetime) -> None:
        """Overwrite a stored article with its updated version (text, story and match included)."""
        match: Match | None = article.match
        self.db.execute(
            "UPDATE articles SET entry_key=?, guid=?, link=?, link_key=?, title=?, published=?, dated=?,"
            " credit=?, truncated=?, tokens=?, text=?, body=?, story_id=?, match_article=?,"
            " match_relation=?, match_measure=?, match_score=?, match_threshold=?, content_hash=?,"
            " text_hash=?, updated_at=? WHERE id=?",
            (
                article.entry_key,
                article.guid,
                article.link,
                url_key(article.link) or "",
                article.title,
                iso(article.published),
                article.dated,
                article.credit,
                article.truncated,
                article.token_count or len(article.tokens),
                *packed_texts(article),
                article.story_id,
                match.article_id if match else None,
                match.relation if match else None,
                match.measure if match else None,
                match.score if match else None,
                match.threshold if match else None,
                article.content_hash or None,
                article.text_hash or None,
                iso(now),
                article_id,
            ),
        )
        self.db.execute("DELETE FROM signatures WHERE article_id=?", (article_id,))

    def permalink_owners(self, keys: list[str], feed: str) -> dict[str, tuple[int, str]]:
        """key -> (article id, story id) of the earliest stored article of another feed whose
        normalized link or URL key is that key (text/identity.py ``permalink_keys``)."""
        if not keys:
            return {}
        marks = ",".join("?" * len(keys))
        out: dict[str, tuple[int, str]] = {}
        for article_id, story_id, link_key, key in self.db.execute(
            f"SELECT id, story_id, link_key, entry_key FROM articles WHERE feed != ? AND"
            f" (link_key IN ({marks}) OR entry_key IN ({marks})) ORDER BY id",
            [feed, *keys, *keys],
        ):
            for found in (link_key, key):
                if found in keys:
                    out.setdefault(found, (article_id, story_id))
        return out

    def drop_story(self, story_id: str) -> None:
        """Delete a story left without members (its only entry moved to another story)."""
        self.db.execute(
            "DELETE FROM stories WHERE id=? AND NOT EXISTS (SELECT 1 FROM articles WHERE story_id=?)",
            (story_id, story_id),
        )

    def merge_story(
        self, absorbed: str, into: str, bridge: int | None, now: datetime, via: str | None = None
    ) -> None:
        """Move every member of story ``absorbed`` into story ``into`` and keep a tombstone
        (``merged_stories``: absorbed -> into, the entry that bridged them, when, and ``via``: None
        for a run's merge, ``MERGED_BY_EDITOR`` or ``MERGED_BY_REBUILD``), so that the report and
        ``explain`` can say where the absorbed story's GUID went. Earlier tombstones that pointed at
        ``absorbed`` now point at ``into``."""
        self.db.execute("UPDATE articles SET story_id=? WHERE story_id=?", (into, absorbed))
        self.db.execute("UPDATE merged_stories SET merged_into=? WHERE merged_into=?", (into, absorbed))
        self.db.execute(
            "INSERT OR REPLACE INTO merged_stories (id, merged_into, bridge, merged_at, via)"
            " VALUES (?, ?, ?, ?, ?)",
            (absorbed, into, bridge, iso(now), via),
        )
        self.db.execute("DELETE FROM stories WHERE id=?", (absorbed,))

    def forget_merge(self, story_id: str) -> None:
        """Delete the tombstone of ``story_id``: the story exists again (an editor undid the merge
        that absorbed it, and the story got its GUID back)."""
        self.db.execute("DELETE FROM merged_stories WHERE id=?", (story_id,))

    def merged_stories(self) -> dict[str, tuple[str, int | None, datetime]]:
        """absorbed story id -> (the story that absorbed it, the bridging entry's id, when)."""
        rows = self.db.execute("SELECT id, merged_into, bridge, merged_at FROM merged_stories")
        return {r[0]: (r[1], r[2], read_iso(r[3], f"merged story {r[0]}") or EPOCH) for r in rows}

    def story_links(self) -> dict[tuple[str, str], int | None]:
        """(story, other) -> the entry strongly in both, for each pair of stories a merge was
        blocked between (``text.story``: re-checked when either grows); both stories still stored."""
        rows = self.db.execute(
            "SELECT story, other, bridge FROM story_links WHERE story IN (SELECT id FROM stories)"
            " AND other IN (SELECT id FROM stories)"
        )
        return {(r[0], r[1]): r[2] for r in rows}

    def add_story_link(self, story: str, other: str, bridge: int | None) -> None:
        """Remember that a merge of ``story`` and ``other`` was blocked (``bridge``: the entry)."""
        self.db.execute(
            "INSERT OR REPLACE INTO story_links (story, other, bridge) VALUES (?, ?, ?)",
            (story, other, bridge),
        )

    def drop_story_link(self, story: str, other: str) -> None:
        self.db.execute("DELETE FROM story_links WHERE story=? AND other=?", (story, other))

    def story_first_ids(self, story_ids: Iterable[str]) -> dict[str, int]:
        """story id -> its lowest member id (the story created first has the lowest)."""
        ids = sorted(set(story_ids))
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f"SELECT story_id, MIN(id) FROM articles WHERE story_id IN ({marks}) GROUP BY story_id", ids
        )
        return {r[0]: int(r[1]) for r in rows}

    def add_signature(
        self, article_id: int, params_id: int, signature: Signature, buckets: Iterable[int]
    ) -> None:
        """Store a signature and its LSH bucket keys."""
        stored, size = signature.stored_bytes(), 4 * len(signature.full)
        self.db.execute(
            "INSERT OR REPLACE INTO signatures (article_id, params_id, full, lead) VALUES (?, ?, ?, ?)",
            (
                article_id,
                params_id,
                stored[:size],
                stored[size:],  # the short and second leads (issue 13) follow the lead in its column
            ),
        )
        self._run.add({bucket & self._bucket_mask for bucket in buckets}, article_id)
        # Outside a run's transaction (tests, tools) write now; in one, at commit, or once the keys
        # held would cost more memory than ``run_index.MEMORY_KEYS`` allows.
        if not self.db.in_transaction or self._run.full:
            self._flush_buckets()

    def prefetch(self, buckets: Iterable[int], permalinks: Iterable[str]) -> None:
        """Read what earlier transactions stored under these bucket keys, for the entries about to
        be deduplicated: each generation's filter is asked once for all of them (``Store.prefetch``).
        Replaces the previous read-ahead."""
        keys = sorted({bucket & self._bucket_mask for bucket in buckets})
        found: dict[int, list[int]] = {}
        stored_keys, stored_ids = self._lsh.hits(keys)
        for key, article_id in zip(stored_keys.tolist(), stored_ids.tolist(), strict=True):
            found.setdefault(key, []).append(article_id)
        self._prefetched = (set(keys), found)

    def bucket_neighbours(self, buckets: list[int]) -> dict[int, int]:
        """article id -> number of the given buckets it shares (stored, and added in this run)."""
        return Counter(self.bucket_hits(buckets)[1].tolist())

    def bucket_hits(self, buckets: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """(bucket key as given, article id) pairs under the given buckets (stored, and added in
        this run), as two int64 arrays."""
        mask = self._bucket_mask
        given = {bucket & mask: bucket for bucket in buckets}
        keys = sorted(given)
        run_keys, run_ids = self._run.neighbours(keys)
        key_parts, id_parts = [run_keys], [run_ids]
        asked, read = self._prefetched or (set(), {})
        if asked.issuperset(keys):
            pairs_found = [(key, i) for key in keys for i in read.get(key, ())]
            key_parts.append(np.array([k for k, _ in pairs_found], np.int64))
            id_parts.append(np.array([i for _, i in pairs_found], np.int64))
        else:
            stored_keys, stored_ids = self._lsh.hits(keys)
            key_parts.append(stored_keys)
            id_parts.append(stored_ids)
        found_keys = np.concatenate(key_parts)
        if mask != _WHOLE_KEYS and len(found_keys):  # back to the keys as given
            masked = np.array(sorted(given), np.int64)
            found_keys = np.array([given[key] for key in masked.tolist()], np.int64)[
                masked.searchsorted(found_keys)
            ]
        return found_keys, np.concatenate(id_parts)

    def story_of(self, ids: Iterable[int]) -> dict[int, str]:
        """id -> story id for the given articles (missing ids left out)."""
        out: dict[int, str] = {}
        wanted = list(ids)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            out.update(self.db.execute(f"SELECT id, story_id FROM articles WHERE id IN ({marks})", chunk))
        return out

    def story_sample(self, story_id: str, ends: int, min_tokens: int) -> StorySample:
        """The story's size and the ids of its first and last ``ends`` full-text members (not cut
        short, at least ``min_tokens`` words), each ascending; two index range reads, whatever the
        story's size (``text.story``: a story's bounded representative)."""
        size = self.db.execute("SELECT COUNT(*) FROM articles WHERE story_id=?", (story_id,)).fetchone()[0]
        full = "story_id=? AND truncated=0 AND tokens>=?"
        first = [
            r[0]
            for r in self.db.execute(
                f"SELECT id FROM articles WHERE {full} ORDER BY id LIMIT ?", (story_id, min_tokens, ends)
            )
        ]
        last = [
            r[0]
            for r in self.db.execute(
                f"SELECT id FROM articles WHERE {full} ORDER BY id DESC LIMIT ?", (story_id, min_tokens, ends)
            )
        ]
        return StorySample(int(size), first, last[::-1])

    def article_bodies(self, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        """id -> (story id, body) for the given articles."""
        out: dict[int, tuple[str, str]] = {}
        wanted = list(ids)
        for start in range(0, len(wanted), 500):  # one query per 500 ids, not one per id
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for article_id, story_id, body, text in self.db.execute(
                f"SELECT id, story_id, body, text FROM articles WHERE id IN ({marks})", chunk
            ):
                out[article_id] = (story_id, _unpack_body(body, text))
        return out

    # -- article pages (full text) -----------------------------------------------------------------

    def cached_page(self, url: str) -> Page | None:
        """The page fetched earlier for ``url`` (its text or its error), if any."""
        row = self.db.execute(
            "SELECT url, fetched_at, final_url, status, etag, last_modified, canonical, text, error, retry"
            " FROM pages WHERE url=?",
            (url,),
        ).fetchone()
        if row is None:
            return None
        text = _unpack(row[7]) if row[7] is not None else None
        return Page(
            row[0],
            read_iso(row[1], f"page {row[0]!r}") or EPOCH,
            row[2],
            row[3],
            row[4],
            row[5],
            row[6],
            text,
            row[8],
            bool(row[9]),
        )

    def save_page(self, page: Page) -> None:
        """Remember a page's text or error (replacing an earlier attempt)."""
        self.db.execute(
            "INSERT OR REPLACE INTO pages (url, fetched_at, final_url, status, etag, last_modified,"
            " canonical, text, error, retry) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                page.url,
                iso(page.fetched_at),
                page.final_url,
                page.status,
                page.etag,
                page.last_modified,
                page.canonical,
                _pack(page.text) if page.text is not None else None,
                page.error,
                page.retry,
            ),
        )

    # -- stories ----------------------------------------------------------------------------------

    def story_members(self, story_id: str, texts: bool = True) -> list[StoredArticle]:
        """Every member of a story with what attribution needs, oldest first. ``texts`` False:
        ``body`` and ``text`` are left empty, not read nor decompressed (attribution has most
        members' shingles already; decompressing was ~30% of its time)."""
        columns = "body, text" if texts else "NULL, NULL"
        rows = self.db.execute(
            f"SELECT id, feed, guid, link, title, published, credit, truncated, {columns}, dated,"
            " first_seen, tokens, relation FROM articles WHERE story_id=? ORDER BY published, id",
            (story_id,),
        )
        members = []
        for r in rows:
            published = read_iso(r[5], f"article {r[0]}")
            text = _unpack(r[9]) if texts else ""
            members.append(
                StoredArticle(
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    published or read_iso(r[11], f"article {r[0]}") or EPOCH,
                    r[6],
                    bool(r[7]),
                    _unpack_body(r[8], r[9], text) if texts else "",
                    text,
                    dated=bool(r[10]) and published is not None,
                    tokens=int(r[12]),
                    relation=r[13],
                )
            )
        return members

    def set_story(
        self,
        story_id: str,
        canonical_id: int,
        credited_source: str | None,
        updated: datetime,
        relations: dict[int, tuple[str, float]],
    ) -> None:
        """Record a story's attribution and each member's relation and similarity."""
        self.db.execute(
            "UPDATE stories SET canonical_id=?, credited_source=?, updated=? WHERE id=?",
            (canonical_id, credited_source, iso(updated), story_id),
        )
        self.db.executemany(
            "UPDATE articles SET relation=?, similarity=? WHERE id=?",
            [(rel, round(sim, 4), aid) for aid, (rel, sim) in relations.items()],
        )

    def stories(self, story_ids: Iterable[str] | None = None) -> list[tuple[str, int, str | None, datetime]]:
        """(id, canonical article id, credited source, updated) of every attributed story (or of
        those of ``story_ids``)."""
        query = "SELECT id, canonical_id, credited_source, updated FROM stories WHERE canonical_id NOTNULL"
        rows = self._rows_in(query, "id", story_ids)
        return [(r[0], r[1], r[2], read_iso(r[3], f"story {r[0]}") or EPOCH) for r in rows]

    def members_for_output(self, story_ids: Iterable[str] | None = None) -> dict[str, list[tuple]]:
        """story id -> member rows (id, feed, link, guid, title, published, relation, similarity,
        first_seen), each story's by date and id; of every story, or of those of ``story_ids``."""
        out: dict[str, list[tuple]] = {}
        query = (
            "SELECT story_id, id, feed, link, guid, title, published, relation, similarity, first_seen"
            " FROM articles WHERE 1"
        )
        rows = self._rows_in(query, "story_id", story_ids)
        rows.sort(key=lambda r: (r[6], r[1]))
        for row in rows:
            out.setdefault(row[0], []).append(row[1:])
        return out

    def _rows_in(self, query: str, column: str, values: Iterable[str] | None) -> list[tuple]:
        """``query`` (ending in a WHERE clause) for every row, or for rows whose ``column`` is one
        of ``values`` (one query per 500)."""
        if values is None:
            return self.db.execute(query).fetchall()
        wanted, rows = sorted(set(values)), list[tuple]()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows += self.db.execute(f"{query} AND {column} IN ({','.join('?' * len(chunk))})", chunk)
        return rows

    def report_cache(self) -> report_cache.ReportCache:
        """The clusters report's kept lines and what emit reads instead of every story
        (``store.report_cache``)."""
        return report_cache.ReportCache(self.db)

    def last_article_id(self) -> int:
        """The highest article id stored so far (0 when empty); later articles have higher ids."""
        return int(self.db.execute("SELECT COALESCE(MAX(id), 0) FROM articles").fetchone()[0])

    def touch_grown_stories(self, story_ids: Iterable[str], moment: datetime, last_old_id: int) -> int:
        """Move ``updated`` to ``moment`` for the given stories that already had an article with an
        id up to ``last_old_id`` (they gained a member in this run), so that readers see the item
        change even when the newcomer's own date is older than the story's. Returns the count."""
        ids = sorted(story_ids)
        touched = 0
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            cursor = self.db.execute(
                f"UPDATE stories SET updated = MAX(updated, ?) WHERE id IN ({marks}) AND "
                "(SELECT MIN(id) FROM articles WHERE story_id = stories.id) <= ?",
                [iso(moment), *chunk, last_old_id],
            )
            touched += cursor.rowcount
        return touched

    def prune_stories(self, cutoff: datetime, batch: timedelta = timedelta(0)) -> int:
        """Delete every story last updated before ``cutoff`` (its newest member's date, or the run
        that last added a member to it), with its
        articles, signatures and LSH buckets; return how many stories went. Call inside the
        run's transaction, after detection, so that a story that just gained a member is kept.

        Deleting LSH buckets by article scans that table once (its key starts with the bucket),
        so nothing is deleted until the oldest story is ``batch`` past the cutoff: with a batch of
        a day, the scan happens about once a day rather than on every run."""
        oldest = self.db.execute(
            "SELECT MIN(updated) FROM stories WHERE canonical_id IS NOT NULL"
        ).fetchone()[0]
        if oldest is None or oldest >= iso(cutoff - batch):
            return 0
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS pruned_stories (id TEXT PRIMARY KEY)")
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS pruned_articles (id INTEGER PRIMARY KEY)")
        self.db.execute("DELETE FROM pruned_stories")
        self.db.execute("DELETE FROM pruned_articles")
        self.db.execute(
            "INSERT INTO pruned_stories SELECT id FROM stories"
            " WHERE canonical_id IS NOT NULL AND updated < ?",
            (iso(cutoff),),
        )
        self.db.execute(
            "INSERT INTO pruned_articles SELECT id FROM articles"
            " WHERE story_id IN (SELECT id FROM pruned_stories)"
        )
        doomed = "(SELECT id FROM pruned_articles)"
        self._flush_buckets()
        self._lsh.delete(doomed)
        self.db.execute(f"DELETE FROM signatures WHERE article_id IN {doomed}")
        self.db.execute(f"DELETE FROM overrides WHERE article_id IN {doomed} OR other_id IN {doomed}")
        self.db.execute(f"DELETE FROM articles WHERE id IN {doomed}")
        self.db.execute("DELETE FROM stories WHERE id IN (SELECT id FROM pruned_stories)")
        self.db.execute("DELETE FROM merged_stories WHERE merged_into IN (SELECT id FROM pruned_stories)")
        self.db.execute(
            "DELETE FROM story_links WHERE story IN (SELECT id FROM pruned_stories)"
            " OR other IN (SELECT id FROM pruned_stories)"
        )
        count = int(self.db.execute("SELECT COUNT(*) FROM pruned_stories").fetchone()[0])
        self.db.execute("DELETE FROM pruned_stories")
        self.db.execute("DELETE FROM pruned_articles")
        return count

    def article_text(self, article_id: int) -> str:
        row = self.db.execute("SELECT text FROM articles WHERE id=?", (article_id,)).fetchone()
        return _unpack(row[0]) if row else ""

    def article_texts(self, ids: Iterable[int]) -> dict[int, str]:
        """id -> display text for the given articles (one query per 500 ids); missing ids are left out."""
        out: dict[int, str] = {}
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for article_id, text in self.db.execute(
                f"SELECT id, text FROM articles WHERE id IN ({marks})", chunk
            ):
                out[article_id] = _unpack(text)
        return out

    # -- re-deciding stories (rebuild, editorial overrides, purge: issue 14) -----------------------

    def stored_records(self, story_ids: Iterable[str] | None = None) -> list[StoredRecord]:
        """Every stored entry (or those of ``story_ids``) with what a replay needs, by id."""
        query = (
            "SELECT id, feed, entry_key, guid, link, title, published, dated, first_seen, credit,"
            " truncated, body, text, content_hash, story_id, relation, match_article, match_relation,"
            " match_measure, match_score, match_threshold, similarity FROM articles"
        )
        if story_ids is None:
            rows = self.db.execute(query + " ORDER BY id").fetchall()
        else:
            wanted, rows = sorted(set(story_ids)), []
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows += self.db.execute(query + f" WHERE story_id IN ({marks})", chunk).fetchall()
            rows.sort(key=lambda r: r[0])
        out = []
        for r in rows:
            published = read_iso(r[6], f"article {r[0]}")
            first_seen = read_iso(r[8], f"article {r[0]}") or EPOCH
            match = Match(r[16], r[17], r[18], r[19], r[20]) if r[16] is not None else None
            out.append(
                StoredRecord(
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    r[5],
                    published or first_seen,
                    bool(r[7]) and published is not None,
                    first_seen,
                    r[9],
                    bool(r[10]),
                    _unpack_body(r[11], r[12]),
                    r[13] or "",
                    r[14],
                    r[15],
                    float(r[21]),
                    match,
                )
            )
        return out

    def signatures_for(self, params: SignatureParams) -> dict[int, SignatureValues]:
        """article id -> (full, lead, second lead or ()) MinHash values of the signatures stored
        with ``params``."""
        text = json.dumps(asdict(params), sort_keys=True)
        rows = self.db.execute(
            "SELECT s.article_id, s.full, s.lead FROM signatures s JOIN signature_params p"
            " ON p.id = s.params_id WHERE p.params = ?",
            (text,),
        )
        return {r[0]: split_signature(r[1] + r[2], params.num_perm) for r in rows}

    def move_article(self, article_id: int, story_id: str, match: Match | None) -> None:
        """Put a stored entry in another story (which must exist) with the match that put it there."""
        self.db.execute(
            "UPDATE articles SET story_id=?, match_article=?, match_relation=?, match_measure=?,"
            " match_score=?, match_threshold=? WHERE id=?",
            (
                story_id,
                match.article_id if match else None,
                match.relation if match else None,
                match.measure if match else None,
                match.score if match else None,
                match.threshold if match else None,
                article_id,
            ),
        )

    def overrides(self) -> list[Override]:
        """Every editorial override, oldest first."""
        rows = self.db.execute(
            "SELECT kind, article_id, other_id, created FROM overrides ORDER BY created, kind, article_id"
        )
        return [Override(r[0], r[1], r[2], read_iso(r[3], "override") or EPOCH) for r in rows]

    def add_override(self, override: Override) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO overrides (kind, article_id, other_id, created) VALUES (?, ?, ?, ?)",
            (override.kind, override.article_id, override.other_id, iso(override.created)),
        )

    def remove_override(self, override: Override) -> None:
        self.db.execute(
            "DELETE FROM overrides WHERE kind=? AND article_id=? AND other_id=?",
            (override.kind, override.article_id, override.other_id),
        )

    def delete_feed(self, feed: str) -> tuple[int, set[str]]:
        """Delete a feed's stored entries (signatures, LSH buckets, overrides) and its health,
        validators, digest and boilerplate counts; return (entries deleted, their stories). The
        stories are left for the caller to re-decide (or drop when empty). Call in a transaction."""
        ids = [r[0] for r in self.db.execute("SELECT id FROM articles WHERE feed=?", (feed,))]
        stories = {
            r[0] for r in self.db.execute("SELECT DISTINCT story_id FROM articles WHERE feed=?", (feed,))
        }
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS purged (id INTEGER PRIMARY KEY)")
        self.db.execute("DELETE FROM purged")
        self.db.executemany("INSERT INTO purged (id) VALUES (?)", [(i,) for i in ids])
        doomed = "(SELECT id FROM purged)"
        self._flush_buckets()  # this transaction's pending LSH keys are in memory until written
        self._lsh.delete(doomed)
        self.db.execute(f"DELETE FROM signatures WHERE article_id IN {doomed}")
        self.db.execute(f"DELETE FROM overrides WHERE article_id IN {doomed} OR other_id IN {doomed}")
        self.db.execute(f"UPDATE stories SET canonical_id=NULL WHERE canonical_id IN {doomed}")
        self.db.execute(f"DELETE FROM articles WHERE id IN {doomed}")
        self.db.execute("DELETE FROM purged")
        for table, column in (("feeds", "name"), ("feed_digests", "name"), ("feed_lines", "feed")):
            self.db.execute(f"DELETE FROM {table} WHERE {column}=?", (feed,))
        return len(ids), stories


def _stored_entry(r: tuple) -> StoredEntry:
    return StoredEntry(r[0], r[1], r[2], r[3] or "", r[4], r[5] or "", r[6], r[7] or "")


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
