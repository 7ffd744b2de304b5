"""import-opml: feeds from an OPML file into config.toml, keeping the file's comments and layout."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomlkit

from pipeline.cli.import_opml import OpmlError, parse_opml, plan_import
from pipeline.config import load_config

SUBSCRIPTIONS = """\
<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My subscriptions</title></head>
  <body>
    <outline text="News" title="News">
      <outline type="rss" text="VOA again" title="VOA again" xmlUrl="https://www.voanews.com/rss/"/>
      <outline type="rss" text="Le Monde" title="Le Monde – International"
               xmlUrl="https://www.lemonde.fr/international/rss_full.xml" htmlUrl="https://www.lemonde.fr/"/>
      <outline type="rss" text="World Desk" xmlUrl="https://world-desk.example/rss"/>
    </outline>
    <outline type="rss" text="  BBC
       World " xmlurl="https://feeds.bbci.co.uk/news/world/rss.xml"/>
    <outline type="rss" xmlUrl="https://www.example.org/feed/"/>
    <outline type="link" text="Not a feed" url="https://example.net/"/>
    <outline type="rss" text="Le Monde twice" xmlUrl="https://lemonde.fr/international/rss_full.xml/"/>
  </body>
</opml>
"""


@pytest.fixture
def opml(demo: Path) -> Path:
    path = demo / "subscriptions.opml"
    path.write_text(SUBSCRIPTIONS, encoding="utf-8")
    config = demo / "config.toml"
    # The VOA feed is configured by its http URL here, so that the OPML's copy of it is recognized.
    text = config.read_text(encoding="utf-8").replace(
        'url = "feeds/voa.xml"', 'url = "https://www.voanews.com/rss"  # kept comment'
    )
    config.write_text(text, encoding="utf-8")
    return path


def test_parse_opml_reads_nested_outlines_and_names() -> None:
    feeds = parse_opml(SUBSCRIPTIONS.encode())
    assert [(f.name, f.url) for f in feeds] == [
        ("VOA again", "https://www.voanews.com/rss/"),
        ("Le Monde – International", "https://www.lemonde.fr/international/rss_full.xml"),
        ("World Desk", "https://world-desk.example/rss"),
        ("BBC World", "https://feeds.bbci.co.uk/news/world/rss.xml"),
        ("example.org", "https://www.example.org/feed/"),
        ("Le Monde twice", "https://lemonde.fr/international/rss_full.xml/"),
    ]


def test_import_adds_new_feeds_and_keeps_the_file_as_it_was(demo: Path, opml: Path, cli) -> None:
    config = demo / "config.toml"
    before = config.read_text(encoding="utf-8")
    result = cli("import-opml", "--config", str(config), str(opml))
    assert result.code == 0, result.err
    assert f"syndedup: added 3 of 6 feeds from subscriptions.opml to {config}" in result.out
    assert "skipped VOA again  https://www.voanews.com/rss/: its URL is already in the config" in result.out
    assert (
        "skipped World Desk  https://world-desk.example/rss: another feed already has this name" in result.out
    )
    assert "skipped Le Monde twice" in result.out
    after = config.read_text(encoding="utf-8")
    added = (
        '[[feeds]]\nname = "Le Monde – International"\n'
        'url = "https://www.lemonde.fr/international/rss_full.xml"\n\n'
        '[[feeds]]\nname = "BBC World"\nurl = "https://feeds.bbci.co.uk/news/world/rss.xml"\n\n'
        '[[feeds]]\nname = "example.org"\nurl = "https://www.example.org/feed/"\n\n'
    )
    # Every byte of the old file is still there, in order; the new tables follow the last feed.
    assert after == before.replace("\n[output]\n", "\n" + added + "[output]\n")
    assert "# kept comment" in after
    config_loaded = load_config(config)
    assert [f.name for f in config_loaded.feeds][-3:] == [
        "Le Monde – International",
        "BBC World",
        "example.org",
    ]
    again = cli("import-opml", "--config", str(config), str(opml))
    assert "added 0 of 6 feeds" in again.out
    assert config.read_text(encoding="utf-8") == after


def test_dry_run_changes_nothing(demo: Path, opml: Path, cli) -> None:
    config = demo / "config.toml"
    before = config.read_text(encoding="utf-8")
    result = cli("import-opml", "--config", str(config), str(opml), "--dry-run")
    assert result.code == 0
    assert "would add 3 of 6 feeds" in result.out
    assert config.read_text(encoding="utf-8") == before


def test_import_into_a_config_without_feeds_creates_them(tmp_path: Path, opml: Path, cli) -> None:
    config = tmp_path / "new.toml"
    config.write_text(
        '# outputs first\n[output]\nrss = "a.rss"\natom = "a.atom"\nreport = "a.jsonl"\n\n'
        '[state]\npath = "s.sqlite"\n',
        encoding="utf-8",
    )
    result = cli("import-opml", "--config", str(config), str(opml))
    assert result.code == 0, result.err
    assert len(load_config(config).feeds) == 5
    assert config.read_text(encoding="utf-8").startswith("# outputs first\n[output]\n")


def test_invalid_config_is_not_written(demo: Path, opml: Path, cli) -> None:
    config = demo / "config.toml"
    config.write_text(config.read_text().replace("[output]", "[output]\ncolor = 1"), encoding="utf-8")
    before = config.read_text(encoding="utf-8")
    result = cli("import-opml", "--config", str(config), str(opml))
    assert result.code == 2
    assert "output.color: unknown key" in result.err
    assert "config unchanged" in result.err
    assert config.read_text(encoding="utf-8") == before


BOMB = """<?xml version="1.0"?>
<!DOCTYPE opml [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<opml version="2.0"><body><outline text="&d;" xmlUrl="https://x.example/rss"/></body></opml>
"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="&secret;" xmlUrl="https://x.example/rss"/></body></opml>
"""


@pytest.mark.parametrize(
    "data",
    [BOMB.encode(), XXE.encode(), BOMB.encode("utf-16")],  # UTF-16 hides "<!ENTITY" from a byte search
    ids=["bomb", "xxe", "bomb-utf16"],
)
def test_entities_are_refused(data: bytes) -> None:
    with pytest.raises(OpmlError, match="declares XML entities, which OPML never needs"):
        parse_opml(data, "subs.opml")


def test_entity_bomb_through_the_cli(demo: Path, cli) -> None:
    bomb = demo / "bomb.opml"
    bomb.write_text(BOMB, encoding="utf-8")
    before = (demo / "config.toml").read_bytes()
    result = cli("import-opml", "--config", str(demo / "config.toml"), str(bomb))
    assert result.code == 2
    assert result.err == (
        f"syndedup: config error: {bomb}: declares XML entities, which OPML never needs; refused for safety\n"
    )
    assert (demo / "config.toml").read_bytes() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<opml><body><outline", "not well-formed XML"),
        (b"<rss><channel/></rss>", "not an OPML file (root element is <rss>"),
    ],
)
def test_bad_opml_names_the_problem(data: bytes, message: str) -> None:
    with pytest.raises(OpmlError, match=re.escape(message)):
        parse_opml(data, "subs.opml")


def test_missing_opml_file(demo: Path, cli) -> None:
    result = cli("import-opml", "--config", str(demo / "config.toml"), str(demo / "nope.opml"))
    assert result.code == 2
    assert "nope.opml: OPML file not found" in result.err


def test_plan_skips_duplicates_within_the_opml() -> None:
    document = tomlkit.parse('[[feeds]]\nname = "A"\nurl = "https://a.example/rss"\n')
    feeds = parse_opml(
        b'<opml><body><outline text="B" xmlUrl="https://b.example/rss"/>'
        b'<outline text="b" xmlUrl="https://other.example/rss"/>'
        b'<outline text="A2" xmlUrl="HTTPS://WWW.A.example/rss/"/></body></opml>'
    )
    plan = plan_import(document, feeds)
    assert [f.name for f in plan.added] == ["B"]
    assert [reason for _, reason in plan.skipped] == [
        "another feed already has this name; add it by hand with another name",
        "its URL is already in the config",
    ]
