"""The clusters report's lines, kept in the SQLite state so that emit need not read every story.

The report has one line per story the state knows, newest original first: made from every story and
member at every run, it cost emit ~90 µs a stored entry (3.4 s of a 2,000-entry run against 50k
stored, issue 24). Here each story's line is kept with its sort key (``report_lines``) and made
again only for the stories that changed since (``report_stale``).

What marks a story stale is SQLite itself: triggers on ``articles`` and ``stories`` add the story of
every row inserted, deleted or changed in a column a line shows (story, feed, link, GUID, title,
dates, relation, similarity; canonical member, credited source), whatever code wrote it (a run,
``rebuild``, an editor's correction, ``purge``, a prune, a rename). A run makes the stale lines
again in its own transaction (``stages.emit.refresh_report_lines``), so that the lines and the
stories they show commit together; emit makes those still stale in memory (after ``rebuild`` or an
editor's command) and reads the others in order. A line is made without the feeds removed from the
config: emit makes the lines of their stories afresh.

``LINES_VERSION`` (with the package version) names how lines are made: a state whose lines another
one made has them all made again (every story is stale), once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator

from pipeline import __version__

# Bump when a report line's content or the order of lines changes (``outputs.feeds.report_line``).
LINES_VERSION = 1

_COLUMNS = "story_id, feed, link, guid, title, published, first_seen, relation, similarity"
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS report_lines (
    sort INTEGER NOT NULL, story TEXT NOT NULL, line TEXT NOT NULL, PRIMARY KEY (sort, story)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS report_lines_story ON report_lines (story);
CREATE TABLE IF NOT EXISTS report_stale (story TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS report_article_added AFTER INSERT ON articles BEGIN
    INSERT OR IGNORE INTO report_stale (story) VALUES (NEW.story_id);
END;
CREATE TRIGGER IF NOT EXISTS report_article_changed AFTER UPDATE OF {_COLUMNS} ON articles BEGIN
    INSERT OR IGNORE INTO report_stale (story) VALUES (OLD.story_id);
    INSERT OR IGNORE INTO report_stale (story) VALUES (NEW.story_id);
END;
CREATE TRIGGER IF NOT EXISTS report_article_deleted AFTER DELETE ON articles BEGIN
    INSERT OR IGNORE INTO report_stale (story) VALUES (OLD.story_id);
END;
CREATE TRIGGER IF NOT EXISTS report_story_added AFTER INSERT ON stories BEGIN
    INSERT OR IGNORE INTO report_stale (story) VALUES (NEW.id);
END;
CREATE TRIGGER IF NOT EXISTS report_story_changed AFTER UPDATE OF id, canonical_id, credited_source
    ON stories BEGIN
    INSERT OR IGNORE INTO report_stale (story) VALUES (OLD.id);
    INSERT OR IGNORE INTO report_stale (story) VALUES (NEW.id);
END;
CREATE TRIGGER IF NOT EXISTS report_story_deleted AFTER DELETE ON stories BEGIN
    INSERT OR IGNORE INTO report_stale (story) VALUES (OLD.id);
END;
"""


def lines_version() -> str:
    return f"{LINES_VERSION}/{__version__}"


def install(db: sqlite3.Connection) -> None:
    """Create the tables and triggers; when the lines were made by another version (or never),
    forget them and mark every story stale."""
    db.executescript(SCHEMA)
    row = db.execute("SELECT value FROM meta WHERE key='report_lines'").fetchone()
    if row is None or row[0] != lines_version():
        db.execute("DELETE FROM report_lines")
        db.execute("INSERT OR IGNORE INTO report_stale (story) SELECT id FROM stories")
        db.execute(
            "INSERT INTO meta (key, value) VALUES ('report_lines', ?)"
            " ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (lines_version(),),
        )


class ReportCache:
    """The kept lines of one SQLite state (``State.report_cache``), and the other reads that let emit
    leave the stories outside its window alone."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def stale(self) -> set[str]:
        """Ids of the stories whose line must be made again (some may no longer exist)."""
        return {row[0] for row in self.db.execute("SELECT story FROM report_stale")}

    def lines(self) -> Iterator[tuple[int, str, str]]:
        """(sort key, story id, line) of every kept line, in the report's order (stale ones included:
        the caller skips them)."""
        cursor = self.db.execute("SELECT sort, story, line FROM report_lines ORDER BY sort, story")
        while rows := cursor.fetchmany(2048):
            yield from rows

    def replace(self, stories: Iterable[str], lines: Iterable[tuple[int, str, str]]) -> None:
        """Forget the lines of ``stories`` and keep ``lines`` (sort key, story id, line) instead;
        those stories are no longer stale. Call inside the transaction that changed them."""
        ids = [(story,) for story in stories]
        self.db.executemany("DELETE FROM report_lines WHERE story=?", ids)
        self.db.executemany("INSERT INTO report_lines (sort, story, line) VALUES (?, ?, ?)", lines)
        self.db.executemany("DELETE FROM report_stale WHERE story=?", ids)

    def stories_with_feeds(self, feeds: Iterable[str]) -> set[str]:
        """Ids of the stories with a member of one of ``feeds`` (reads their entries)."""
        wanted, found = sorted(set(feeds)), set[str]()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            query = f"SELECT story_id FROM articles WHERE feed IN ({','.join('?' * len(chunk))})"
            found.update(r[0] for r in self.db.execute(query, chunk))
        return found

    def member_dates(self, feed: str, before: str | None = None) -> Iterator[tuple[int, str, str]]:
        """(id, published, first seen) of the feed's members of attributed stories, newest
        published first (an index range read: the caller stops when no older one can matter);
        with ``before`` (a stored date), only those published before it."""
        query = (
            "SELECT a.id, a.published, a.first_seen FROM articles a JOIN stories s ON s.id = a.story_id"
            " WHERE a.feed=? AND s.canonical_id IS NOT NULL AND EXISTS"
            " (SELECT 1 FROM articles c WHERE c.id = s.canonical_id AND c.story_id = s.id)"
        )
        if before is None:
            cursor = self.db.execute(query + " ORDER BY a.published DESC", (feed,))
        else:
            cursor = self.db.execute(query + " AND a.published < ? ORDER BY a.published DESC", (feed, before))
        while rows := cursor.fetchmany(16):
            yield from rows
