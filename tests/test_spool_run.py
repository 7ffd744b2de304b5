"""A run whose entries wait in the spool (``runner.SPOOL_AFTER`` forced to 0) stores and publishes
exactly what a run that keeps them in memory does: reprints, teasers, feed footers, a stock lead, an
entry updated in place, with parse workers and without; and a run that fails with its entries
spooled leaves no file behind and the state as it was."""

from __future__ import annotations

import gc
import random
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline import runner
from pipeline.config import parse_config
from pipeline.models import Article
from pipeline.store import spool as spool_module
from pipeline.store.spool import Spool
from tests.open_files import open_files_in

FOOTER = "Follow our newsroom on social media for more stories like this one every day."
STOCK_LEAD = "One of the crew is believed to have died from injuries on the way to the hospital."
FIRST = datetime(2026, 3, 2, 12, tzinfo=UTC)
SECOND = datetime(2026, 3, 2, 13, tzinfo=UTC)
STATE_FILES = (".sqlite", ".lock", "-wal", "-shm")  # open for the state, not the spool


def _stories(rng: random.Random, count: int) -> list[list[str]]:
    """Unrelated articles of 3-5 paragraphs of made-up words, the first few leading with a stock sentence."""
    stories = []
    for n in range(count):
        paragraphs = [
            " ".join(f"w{rng.randrange(40_000)}" for _ in range(rng.randrange(30, 60))) + "."
            for _ in range(rng.randrange(3, 6))
        ]
        if n < 4:
            paragraphs[0] = f"{STOCK_LEAD} {paragraphs[0]}"
        stories.append(paragraphs)
    return stories


def _rss(title: str, items: list[tuple[str, str, int]], retitled: str = "") -> bytes:
    """RSS of (guid, html, minute) items, each published at its own minute; the one whose guid is
    ``retitled`` has a title of its own."""
    body = "".join(
        f"<item><guid>http://{title.lower()}.example/{guid}</guid>"
        f"<title>{'Corrected: ' if guid == retitled else ''}{title} {guid}</title>"
        f"<link>http://{title.lower()}.example/{guid}</link><description><![CDATA[{html}]]></description>"
        f"<pubDate>Mon, 02 Mar 2026 {9 + minute // 60:02d}:{minute % 60:02d}:00 GMT</pubDate></item>"
        for guid, html, minute in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>http://{title.lower()}.example/</link>{body}</channel></rss>"
    ).encode()


def _html(paragraphs: list[str]) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def write_corpus(folder: Path, parse_processes: int, updated: bool = False) -> Path:
    """Five feeds: a wire of originals, two outlets reprinting some (with their own footer and a
    credit line), a digest of teasers ("..."), and a blog; ``updated``: the wire corrects one
    entry in place, its title and text (identity matching then compares the texts), and adds one."""
    rng = random.Random(15)
    stories = _stories(rng, 24)
    blog = _stories(rng, 6)
    wire = [(f"w{n}", _html(p), n) for n, p in enumerate(stories)]
    if updated:
        wire[5] = ("w5", _html([*stories[5][:-1], "A correction: " + stories[5][-1]]), 5)
        wire.append(("w24", _html(_stories(rng, 1)[0]), 40))
    feeds = {
        "Wire": wire,
        "Gazette": [(f"g{n}", _html([*stories[n], "Source: Wire", FOOTER]), 60 + n) for n in range(0, 24, 2)],
        "Courier": [(f"c{n}", _html([*stories[n][:2], FOOTER]), 90 + n) for n in range(1, 24, 3)],
        "Digest": [
            (f"d{n}", " ".join(stories[n][0].split()[:30]) + " ...", 120 + n) for n in range(0, 24, 4)
        ],
        "Blog": [(f"b{n}", _html(p), 150 + n) for n, p in enumerate(blog)],
    }
    entries = []
    for name, items in feeds.items():
        path = folder / "feeds" / f"{name.lower()}.xml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_rss(name, items, "w5" if updated else ""))
        entries.append({"name": name, "url": str(path)})
    config = folder / "config.toml"
    config.write_text(
        "\n".join(
            [
                "[fetch]",
                f"parse_processes = {parse_processes}",
                "[state]",
                'path = "state/s.sqlite"',
                "[output]",
                'rss = "out/feed.rss"',
                'atom = "out/feed.atom"',
                'report = "out/clusters.jsonl"',
                *(f'[[feeds]]\nname = "{e["name"]}"\nurl = "{e["url"]}"' for e in entries),
            ]
        ),
        encoding="utf-8",
    )
    return config


def _load(config: Path):  # type: ignore[no-untyped-def]
    import tomllib

    return parse_config(tomllib.loads(config.read_text(encoding="utf-8")), config)


def state_and_outputs(folder: Path) -> dict[str, object]:
    """Every row of every table (paths made relative) and every output file."""
    db = sqlite3.connect(folder / "state" / "s.sqlite")
    try:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        found: dict[str, object] = {
            table: sorted(repr(row).replace(str(folder), "F") for row in db.execute(f"SELECT * FROM {table}"))
            for table in sorted(tables)
        }
        # meta 'created' is when each state file was made (the wall clock), not something a run stored
        found["meta"] = [row for row in found["meta"] if "'created'" not in row]  # type: ignore[union-attr]
    finally:
        db.close()
    for path in sorted((folder / "out").iterdir()):
        found[path.name] = path.read_bytes().replace(str(folder).encode(), b"F")
    return found


class CountingSpool(Spool):
    """A Spool that remembers how many entries it wrote in all (the runner makes its own)."""

    written = 0

    def close(self) -> None:
        CountingSpool.written += self.entries_offloaded
        super().close()


def _two_runs(folder: Path, parse_processes: int) -> dict[str, object]:
    first = runner.run(_load(write_corpus(folder, parse_processes)), now=FIRST)
    second = runner.run(_load(write_corpus(folder, parse_processes, updated=True)), now=SECOND)
    assert (first.entries_new, second.entries_new, second.entries_updated) == (56, 1, 1)
    assert first.joined_story > 0
    return state_and_outputs(folder)


@pytest.mark.parametrize("parse_processes", [2, 0], ids=["parse-workers", "no-workers"])
def test_a_spooled_run_stores_and_publishes_what_an_in_memory_run_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parse_processes: int
) -> None:
    monkeypatch.setattr(runner, "DETECT_CHUNK", 7)  # several chunks, each read back from the spool
    monkeypatch.setattr(runner, "Spool", CountingSpool)
    monkeypatch.setattr(runner, "SPOOL_AFTER", 10**9)
    CountingSpool.written = 0
    in_memory = _two_runs(tmp_path / "memory", parse_processes)
    assert CountingSpool.written == 0

    monkeypatch.setattr(runner, "SPOOL_AFTER", 0)
    spooled = _two_runs(tmp_path / "spool", parse_processes)
    # Every entry of both runs' feeds went out (then each feed's new ones again after boilerplate).
    assert CountingSpool.written > 2 * 56

    assert spooled == in_memory
    # The corpus exercised what the spool must carry: copies, teasers, footers, a stock lead.
    relations = " ".join(str(row) for row in spooled["articles"])  # type: ignore[union-attr]
    assert "'copy'" in relations and "'teaser'" in relations
    assert spooled["stock_sentences"] and spooled["feed_lines"]


def test_stories_attributed_chunk_by_chunk_end_as_when_attributed_once_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk's stories are attributed once the next chunk left them alone (``runner._detect``);
    one that a later chunk grows is attributed again. With one chunk for the whole run, every story
    is attributed once, at the end: both runs store and publish the same."""
    monkeypatch.setattr(runner, "DETECT_CHUNK", 10**9)
    at_the_end = _two_runs(tmp_path / "once", 0)
    monkeypatch.setattr(runner, "DETECT_CHUNK", 3)  # stories grow across many chunks
    assert _two_runs(tmp_path / "chunks", 0) == at_the_end


def _names(directory: Path) -> list[str]:
    """The files of the state's directory but SQLite's WAL and shared memory (there while it is open)."""
    return sorted(p.name for p in directory.iterdir() if not p.name.endswith(("-wal", "-shm")))


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_a_run_failing_with_its_entries_spooled_leaves_no_file_and_the_state_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "fails"
    runner.run(_load(write_corpus(folder, 0)), now=FIRST)
    before = state_and_outputs(folder)
    listing = _names(folder / "state")

    monkeypatch.setattr(runner, "SPOOL_AFTER", 0)
    seen: list[list[str]] = []

    def fail(name: str) -> None:  # every entry stored and spooled, the transaction still open
        if name == "before-commit":
            seen.append(open_files_in(folder / "state", STATE_FILES))
            assert _names(folder / "state") == listing  # the spool file has no name
            raise OSError("disk gone")

    monkeypatch.setattr(runner, "crash_point", fail)
    with pytest.raises(OSError, match="disk gone"):
        runner.run(_load(write_corpus(folder, 0, updated=True)), now=SECOND)
    assert len(seen) == 1 and len(seen[0]) == 1, seen  # the spool was open then
    assert open_files_in(folder / "state", STATE_FILES) == []  # and is gone (closed, so deleted) now
    assert _names(folder / "state") == listing
    assert state_and_outputs(folder) == before


def _live_entries() -> int:
    """Article objects alive in this process (they hold references, so the collector tracks them)."""
    return sum(type(o) is Article for o in gc.get_objects())


@pytest.mark.parametrize("parse_processes", [2, 0], ids=["parse-workers", "no-workers"])
def test_each_detect_chunk_s_entries_are_freed_once_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parse_processes: int
) -> None:
    """A first run holds each new entry only until its chunk is stored: the feeds' results, the
    list of new entries and detect's ordered list let go of it (at 100k entries, ~70 MB)."""
    monkeypatch.setattr(runner, "DETECT_CHUNK", 7)
    monkeypatch.setattr(runner, "SPOOL_AFTER", 0)
    live: list[int] = []
    attribute = runner.attribute

    def counting(*args: object, **kwargs: object) -> None:
        live.append(_live_entries())  # once after each chunk is stored, then once at the end
        attribute(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "attribute", counting)
    gc.collect()
    before = _live_entries()
    report = runner.run(_load(write_corpus(tmp_path, parse_processes)), now=FIRST)

    assert report.entries_new == 56
    chunks = -(-56 // 7)
    assert len(live) == chunks + 1
    # While chunk n is attributed, the entries of chunks n + 1... wait and chunk n is still held.
    assert [count - before for count in live[:chunks]] == [56 - 7 * n for n in range(chunks)]
    assert live[-1] - before <= 7  # the last chunk, until detect returns


def test_boilerplate_removal_reads_back_only_the_spooled_entries_whose_lines_it_drops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A spooled entry keeps its parse worker's boilerplate keys (``Article.boilerplate_keys``):
    the feeds whose entries lose a footer are read back from the spool for it, the others stay
    there until their detect chunk (the run stores what an in-memory run does: the test above)."""
    monkeypatch.setattr(runner, "SPOOL_AFTER", 0)
    left: dict[str, tuple[int, int]] = {}  # feed -> (entries still spooled, entries) after strip_feed
    strip_feed = runner.strip_feed

    def recording(articles: list[Article], *args: object) -> int:
        dropped = strip_feed(articles, *args)  # type: ignore[arg-type]
        left[articles[0].feed] = (sum(a.spooled is not None for a in articles), len(articles))
        assert all(a.boilerplate_keys is None for a in articles)  # freed once counted
        return dropped

    monkeypatch.setattr(runner, "strip_feed", recording)
    runner.run(_load(write_corpus(tmp_path, 2)), now=FIRST)

    assert left["Gazette"] == (0, 12) and left["Courier"] == (0, 8)  # each lost the feed's footer
    # The Wire's and the Blog's first four lead with the same stock sentence, dropped from their
    # edge; nothing of their other entries or of the Digest's teasers is.
    assert left["Wire"] == (20, 24) and left["Blog"] == (2, 6) and left["Digest"] == (6, 6)


@pytest.mark.parametrize("parse_processes", [2, 0], ids=["parse-workers", "no-workers"])
def test_the_run_process_pickles_only_what_it_changed_when_parse_workers_packed_the_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parse_processes: int
) -> None:
    """Parse workers send each new entry's heavy fields pickled (``spool.pack_payload``): the run's
    process writes those bytes to its spool as they are and pickles again only the entries that
    boilerplate removal changed. Without workers, it pickles every entry it spools."""
    monkeypatch.setattr(runner, "SPOOL_AFTER", 0)
    pickled: list[str] = []
    original = spool_module._pickled

    def counting(article: Article) -> bytes:
        pickled.append(article.feed)
        return original(article)

    monkeypatch.setattr(spool_module, "_pickled", counting)  # the workers fork after this, too
    changed: list[int] = []  # entries of each feed read back (with workers: changed) by strip_feed
    strip_feed = runner.strip_feed

    def recording(articles: list[Article], *args: object) -> int:
        dropped = strip_feed(articles, *args)  # type: ignore[arg-type]
        changed.append(sum(a.spooled is None for a in articles))
        return dropped

    trimmed: list[int] = []
    trim_stock = runner.trim_stock

    def trimming(articles: list[Article], stock: set[int]) -> int:
        bodies = [a.body for a in articles]
        dropped = trim_stock(articles, stock)
        trimmed.append(sum(a.body is not body for a, body in zip(articles, bodies, strict=True)))
        return dropped

    monkeypatch.setattr(runner, "strip_feed", recording)
    monkeypatch.setattr(runner, "trim_stock", trimming)
    report = runner.run(_load(write_corpus(tmp_path, parse_processes)), now=FIRST)

    assert report.entries_new == 56
    if parse_processes:  # read back for a footer or a stock lead, or trimmed of a stock sentence
        assert 0 < len(pickled) == sum(changed) + sum(trimmed) < 56
    else:  # each entry once as its feed arrived, then those changed again
        assert len(pickled) > 56
