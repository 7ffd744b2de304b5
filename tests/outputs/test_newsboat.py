"""A real feed reader: newsboat reads the RSS and the Atom output over http://127.0.0.1.

newsboat runs non-interactively (``-x reload``, ``-x print-unread``) with its own urls, config and
cache files in the test's folder; what it stored is read from its SQLite cache (table rss_item).
CI installs newsboat (.ci/run); elsewhere the test skips only when newsboat is missing.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from pipeline.config import load_config
from pipeline.outputs.serve import OutputServer, make_server
from tests.emit_helpers import drop_feed, enable_all_outputs

NEWSBOAT = shutil.which("newsboat")
pytestmark = pytest.mark.skipif(
    NEWSBOAT is None and not os.environ.get("CI"),
    reason="newsboat is not installed (CI installs it: apt-get install newsboat)",
)
GAZETTE = '[[feeds]]\nname = "Syria News Gazette"\nurl = "feeds/gazette.xml"\n\n'
ASTANA_TITLE = "Syrian Peace Talks Open in Astana Without Direct Negotiations"


class Newsboat:
    """One newsboat profile (urls, config, cache) subscribed to one feed URL."""

    def __init__(self, home: Path, url: str) -> None:
        assert NEWSBOAT is not None, "newsboat must be installed when CI is set"
        self.home = home
        home.mkdir()
        (home / "urls").write_text(url + "\n", encoding="utf-8")
        (home / "config").write_text("", encoding="utf-8")
        self.cache = home / "cache.db"

    def run(self, *commands: str) -> str:
        done = subprocess.run(
            [NEWSBOAT, "-u", str(self.home / "urls"), "-C", str(self.home / "config"), "-c", str(self.cache)]
            + [arg for command in commands for arg in ("-x", command)],
            env={**os.environ, "HOME": str(self.home), "XDG_CONFIG_HOME": str(self.home)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def items(self) -> list[tuple[str, str, str]]:
        """(guid, title, link) of every stored item, newest first."""
        with sqlite3.connect(self.cache) as db:
            rows = db.execute("SELECT guid, title, url FROM rss_item WHERE deleted = 0 ORDER BY pubDate DESC")
            return [tuple(r) for r in rows]

    def author(self, guid: str) -> str:
        with sqlite3.connect(self.cache) as db:
            return str(db.execute("SELECT author FROM rss_item WHERE guid = ?", (guid,)).fetchone()[0])

    def content(self, guid: str) -> str:
        with sqlite3.connect(self.cache) as db:
            return str(db.execute("SELECT content FROM rss_item WHERE guid = ?", (guid,)).fetchone()[0])

    def mark_all_read(self) -> None:
        """What a reader does after reading: every item it has is read."""
        with sqlite3.connect(self.cache) as db:
            db.execute("UPDATE rss_item SET unread = 0")


@pytest.fixture
def server(demo: Path, cli) -> Iterator[OutputServer]:
    """The demo without the gazette's copy, run once and served on a free loopback port."""
    enable_all_outputs(demo / "config.toml", url=None)
    drop_feed(demo / "config.toml", "Syria News Gazette")
    assert cli("run", "--config", str(demo / "config.toml")).code == 0
    server = make_server(load_config(demo / "config.toml").output, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("name", ["feed.rss", "feed.atom"])
def test_newsboat_reads_what_feedparser_reads_and_a_late_copy_is_no_new_item(
    server: OutputServer, demo: Path, cli, tmp_path: Path, name: str
) -> None:
    reader = Newsboat(tmp_path / "newsboat", server.url + name)
    reader.run("reload")
    parsed = feedparser.parse((demo / "out" / name).read_bytes())
    assert parsed.bozo == 0
    expected = [(e.id, e.title, e.link) for e in parsed.entries]
    assert len(expected) == 4
    assert reader.items() == expected
    assert reader.run("print-unread").strip() == "4 unread articles"
    [astana] = [guid for guid, title, _ in expected if title == ASTANA_TITLE]
    assert reader.author(astana) == "Voice of America"  # the credited outlet
    assert "News Aggregator" in reader.content(astana)
    assert "Syria News Gazette" not in reader.content(astana)
    reader.mark_all_read()

    # The gazette's full copy of the VOA story arrives in a later run.
    config = demo / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("[output]", GAZETTE + "[output]"), "utf-8")
    result = cli("run", "--config", str(config))
    assert result.code == 0, result.err
    assert "1 new entry (1 joined a story, 0 new stories)" in result.out
    reparsed = feedparser.parse((demo / "out" / name).read_bytes())
    assert [(e.id, e.title, e.link) for e in reparsed.entries] == expected  # same GUIDs, same items
    [item] = [e for e in reparsed.entries if e.id == astana]
    [before] = [e for e in parsed.entries if e.id == astana]
    assert "Syria News Gazette</a> (copy)" in item.content[0].value
    if name == "feed.atom":  # RSS 2.0 items have no updated date; Atom's shows the change
        assert item.updated_parsed > before.updated_parsed

    reader.run("reload")
    assert reader.items() == expected  # no new item
    assert reader.run("print-unread").strip() == "0 unread articles"
    assert "Syria News Gazette" in reader.content(astana)  # newsboat took the updated credit
