"""Read-only views of the state for ``syndedup status`` and ``syndedup explain``.

The file is opened read-only (SQLite ``mode=ro``), so inspecting never creates, migrates or
locks it, and works while a run is writing (WAL readers see the last committed run).
Columns that another version may not have yet (``next_fetch_after``, ``dead``) are read only
when ``PRAGMA table_info`` shows them.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pipeline.errors import StateDamagedError, StateError
from pipeline.store.damage import STATE_TABLES, damage, holds_no_state, read_only, state_error, state_errors
from pipeline.text.uri import link_forms


@dataclass(frozen=True, slots=True)
class FeedRow:
    """One feed's row of the ``feeds`` table, plus how many of its entries the state keeps."""

    name: str
    url: str
    last_attempt: str | None
    last_success: str | None
    last_error: str | None
    consecutive_failures: int
    entries: int
    stored: int
    next_fetch_after: str | None = None
    dead: bool | None = None
    has_next_fetch: bool = False
    has_dead: bool = False
    removed_at: str | None = None  # when a run first found it gone from the config
    permanent_url: str | None = None  # where a 301/308 led: fetched instead of url
    link: str | None = None  # the site the feed links to (its <link>)


@dataclass(frozen=True, slots=True)
class EntryRow:
    """One stored entry with the evidence that put it in its story."""

    id: int
    feed: str
    guid: str
    link: str
    title: str
    published: str
    first_seen: str
    credit: str | None
    truncated: bool
    tokens: int
    story_id: str
    relation: str
    similarity: float
    signed: bool
    match_article: int | None
    match_relation: str | None
    match_measure: str | None
    match_score: float | None
    match_threshold: float | None


@dataclass(frozen=True, slots=True)
class StoryRow:
    id: str
    canonical_id: int | None
    credited_source: str | None
    updated: str | None


@dataclass(frozen=True, slots=True)
class MergeRow:
    """A story absorbed by another (issue 13): its tombstone, which keeps its id findable."""

    absorbed: str  # the absorbed story's id (its GUID is urn:syndedup:story:<id>)
    into: str  # the story that absorbed it (tombstones are re-pointed when that one is absorbed too)
    bridge: int | None  # the entry strongly in both stories that merged them, if it was stored
    merged_at: str  # ISO 8601 UTC, the run's clock
    via: str | None = None  # None: a run's merge; "editor": `story merge`; "rebuild": a re-decision


# What a read-only command did to a state file it could not read.
READ_ONLY = "it was only read, and left as it is"

_ENTRY_COLUMNS = (
    "a.id, a.feed, a.guid, a.link, a.title, a.published, a.first_seen, a.credit, a.truncated,"
    " a.tokens, a.story_id, a.relation, a.similarity, s.article_id IS NOT NULL, a.match_article,"
    " a.match_relation, a.match_measure, a.match_score, a.match_threshold"
)


class StateReader(Protocol):
    """What status and explain read: ``StateView`` (SQLite) or ``RedisView`` (the shared index)."""

    def close(self) -> None: ...
    def damage(self) -> str | None: ...
    def counts(self) -> tuple[int, int]: ...
    def feeds(self) -> list[FeedRow]: ...
    def entries_for(self, link: str) -> list[EntryRow]: ...
    def entry(self, article_id: int) -> EntryRow | None: ...
    def members(self, story_id: str) -> list[EntryRow]: ...
    def story(self, story_id: str) -> StoryRow | None: ...
    def bodies(self, ids: list[int]) -> dict[int, str]: ...
    def neighbours(self, entry: EntryRow, limit: int) -> list[int]: ...
    def overrides(self) -> list[tuple[str, int, int, str]]: ...
    def merge_of(self, story_id: str) -> MergeRow | None: ...
    def merged_stories(self, into: str | None = None) -> list[MergeRow]: ...
    # whether the run's LSH met two entries (explain): a signature as stored, the entries under keys
    def signature(self, article_id: int) -> tuple[int, str, bytes] | None: ...
    def bucket_members(self, keys: list[int]) -> set[int]: ...


class StateView:
    """Read-only queries over a state file written by ``syndedup run``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.exists():
            raise StateError(f"{path}: no state file yet (run `syndedup run` first)")
        emptied = holds_no_state(path)
        if emptied is not None:
            raise StateDamagedError(
                f"{path}: the state file {emptied}; restore it from a backup, or run "
                "`syndedup run --force` to start afresh with an empty state"
            )
        try:
            self.db = read_only(path)
            tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.Error as exc:
            raise state_error(path, exc, READ_ONLY) from None
        missing = STATE_TABLES - tables
        if missing:
            self.db.close()
            raise StateError(f"{path}: not a syndedup state file (no {', '.join(sorted(missing))} table)")

    def damage(self) -> str | None:
        """What SQLite's check of the whole file finds wrong (``damage.damage``), or None."""
        with state_errors(self.path, READ_ONLY):
            return damage(self.db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> StateView:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def counts(self) -> tuple[int, int]:
        """(entries, stories) the state holds."""
        entries = self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        stories = self.db.execute("SELECT COUNT(*) FROM stories").fetchone()[0]
        return int(entries), int(stories)

    def _columns(self, table: str) -> set[str]:
        return {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}

    def feeds(self) -> list[FeedRow]:
        """Every feed the state has fetched, with its health and stored entry count."""
        columns = self._columns("feeds")
        has_next, has_dead = "next_fetch_after" in columns, "dead" in columns
        extra = (", next_fetch_after" if has_next else ", NULL") + (", dead" if has_dead else ", NULL")
        extra += ", removed_at" if "removed_at" in columns else ", NULL"
        extra += ", permanent_url" if "permanent_url" in columns else ", NULL"
        rows = self.db.execute(
            "SELECT f.name, f.url, f.last_attempt, f.last_success, f.last_error,"
            " f.consecutive_failures, f.entries,"
            " (SELECT COUNT(*) FROM articles a WHERE a.feed = f.name)" + extra + ", f.link FROM feeds f"
        )
        return [
            FeedRow(
                name=row[0],
                url=row[1],
                last_attempt=row[2],
                last_success=row[3],
                last_error=row[4],
                consecutive_failures=int(row[5]),
                entries=int(row[6]),
                stored=int(row[7]),
                next_fetch_after=row[8],
                dead=None if row[9] is None else bool(row[9]),
                has_next_fetch=has_next,
                has_dead=has_dead,
                removed_at=row[10],
                permanent_url=row[11],
                link=row[12],
            )
            for row in rows
        ]

    def entries_for(self, link: str) -> list[EntryRow]:
        """Entries whose link or GUID is ``link``, or its URI or IRI form (one link can be in
        several feeds)."""
        forms = link_forms(link)  # the outputs publish a link with non-ASCII letters as a URI
        marks = ",".join("?" * len(forms))
        rows = self.db.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM articles a LEFT JOIN signatures s ON s.article_id = a.id"
            f" WHERE a.link IN ({marks}) OR a.guid IN ({marks}) ORDER BY a.published, a.id",
            (*forms, *forms),
        )
        return [_entry(row) for row in rows]

    def entry(self, article_id: int) -> EntryRow | None:
        row = self.db.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM articles a LEFT JOIN signatures s ON s.article_id = a.id"
            " WHERE a.id = ?",
            (article_id,),
        ).fetchone()
        return _entry(row) if row else None

    def members(self, story_id: str) -> list[EntryRow]:
        """A story's members, oldest first."""
        rows = self.db.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM articles a LEFT JOIN signatures s ON s.article_id = a.id"
            " WHERE a.story_id = ? ORDER BY a.published, a.id",
            (story_id,),
        )
        return [_entry(row) for row in rows]

    def story(self, story_id: str) -> StoryRow | None:
        row = self.db.execute(
            "SELECT id, canonical_id, credited_source, updated FROM stories WHERE id=?", (story_id,)
        ).fetchone()
        return StoryRow(*row) if row else None

    def bodies(self, ids: list[int]) -> dict[int, str]:
        """id -> the text detection compared (missing ids left out)."""
        from pipeline.store.sqlite import _unpack_body

        out: dict[int, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for article_id, body, text in self.db.execute(
                f"SELECT id, body, text FROM articles WHERE id IN ({marks})", chunk
            ):
                out[article_id] = _unpack_body(body, text)
        return out

    def neighbours(self, entry: EntryRow, limit: int) -> list[int]:
        """Ids of up to ``limit`` entries of other stories, nearest in publication date first."""
        rows = self.db.execute(
            "SELECT id FROM articles WHERE story_id != ?"
            " ORDER BY ABS(julianday(published) - julianday(?)), id LIMIT ?",
            (entry.story_id, entry.published.rstrip("Z"), limit),
        )
        return [r[0] for r in rows]

    def overrides(self) -> list[tuple[str, int, int, str]]:
        """(kind, entry id, other entry id or 0, created) of every editorial override."""
        if "overrides" not in {r[0] for r in self.db.execute("SELECT name FROM sqlite_master")}:
            return []
        rows = self.db.execute("SELECT kind, article_id, other_id, created FROM overrides ORDER BY created")
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def _has_merges(self) -> bool:
        """Whether the file has the tombstone table (files written before issue 13 do not)."""
        found = self.db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='merged_stories'")
        return found.fetchone() is not None

    def _merge_columns(self) -> str:
        """The tombstone columns, ``via`` as NULL in a file written before it existed."""
        via = "via" if "via" in self._columns("merged_stories") else "NULL"
        return f"id, merged_into, bridge, merged_at, {via}"

    def merge_of(self, story_id: str) -> MergeRow | None:
        """The tombstone of story ``story_id`` if another story absorbed it, else None."""
        if not self._has_merges():
            return None
        row = self.db.execute(
            f"SELECT {self._merge_columns()} FROM merged_stories WHERE id = ?", (story_id,)
        ).fetchone()
        return MergeRow(*row) if row else None

    def merged_stories(self, into: str | None = None) -> list[MergeRow]:
        """Every tombstone, or those of the stories absorbed into ``into``; oldest merge first."""
        if not self._has_merges():
            return []
        sql = f"SELECT {self._merge_columns()} FROM merged_stories"
        rows = self.db.execute(
            sql + (" WHERE merged_into = ?" if into is not None else "") + " ORDER BY merged_at, id",
            (into,) if into is not None else (),
        )
        return [MergeRow(*row) for row in rows]

    def signature(self, article_id: int) -> tuple[int, str, bytes] | None:
        """(parameter set id, its JSON text, stored bytes: full then leads) of an entry's signature."""
        row = self.db.execute(
            "SELECT s.params_id, p.params, s.full, s.lead FROM signatures s"
            " JOIN signature_params p ON p.id = s.params_id WHERE s.article_id = ?",
            (article_id,),
        ).fetchone()
        return (int(row[0]), str(row[1]), bytes(row[2]) + bytes(row[3])) if row else None

    def bucket_members(self, keys: list[int]) -> set[int]:
        """The entries stored under any of the LSH bucket ``keys`` (as the run's ``Bander`` makes them)."""
        row = self.db.execute("SELECT value FROM meta WHERE key='bucket_mask'").fetchone()
        mask = int(row[0]) if row else (1 << 63) - 1
        wanted = sorted({key & mask for key in keys})
        # An older state's index is lsh_buckets; later runs add generations to lsh_index
        # (store.lsh_index), each asked by its own key prefix (gen, bucket).
        tables = [("lsh_buckets", "")]
        if self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'lsh_generations'").fetchone():
            gens = self.db.execute("SELECT gen FROM lsh_generations WHERE gen > 0 ORDER BY gen")
            tables += [("lsh_index", f"gen = {int(gen)} AND ") for (gen,) in gens]
        found: set[int] = set()
        for table, where in tables:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                found.update(
                    r[0]
                    for r in self.db.execute(
                        f"SELECT article_id FROM {table} WHERE {where}bucket IN ({marks})", chunk
                    )
                )
        return found


def _entry(row: tuple) -> EntryRow:
    values = list(row)
    values[8] = bool(values[8])
    values[13] = bool(values[13])
    return EntryRow(*values)
