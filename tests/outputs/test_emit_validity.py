"""The outputs are valid: Atom against RFC 4287's RELAX NG schema plus its prose rules, RSS 2.0's
structure, JSON Feed 1.1's required fields, and a clean feedparser round trip of each XML feed.

Each check is strict: any error fails the test. The schema is tests/schemas/atom.rng (RFC 4287
appendix B, converted from atom.rnc with trang; see the header of atom.rnc).
"""

from __future__ import annotations

import email.utils
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import feedparser
import pytest
from lxml import etree

from tests.conftest import read_report
from tests.emit_helpers import PUBLIC_URL, enable_all_outputs

SCHEMA = Path(__file__).parent / "schemas" / "atom.rng"
A = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"

# RSS 2.0 (https://www.rssboard.org/rss-specification): the channel's and the item's elements.
RSS_CHANNEL = {
    "title", "link", "description", "language", "copyright", "managingEditor", "webMaster",
    "pubDate", "lastBuildDate", "category", "generator", "docs", "cloud", "ttl", "image",
    "rating", "textInput", "skipHours", "skipDays", "item",
}  # fmt: skip
RSS_ITEM = {
    "title", "link", "description", "author", "category", "comments", "enclosure", "guid",
    "pubDate", "source",
}  # fmt: skip
JSON_FEED_TOP = {
    "version", "title", "home_page_url", "feed_url", "description", "user_comment", "next_url",
    "icon", "favicon", "authors", "language", "expired", "hubs", "items",
}  # fmt: skip
JSON_FEED_ITEM = {
    "id", "url", "external_url", "title", "content_html", "content_text", "summary", "image",
    "banner_image", "date_published", "date_modified", "authors", "tags", "language", "attachments",
}  # fmt: skip


@pytest.fixture
def outputs(demo: Path, cli) -> Path:
    """The demo run once with url, json and html configured; returns its out/ folder."""
    enable_all_outputs(demo / "config.toml")
    result = cli("run", "--config", str(demo / "config.toml"))
    assert result.code == 0, result.err
    return demo / "out"


def rfc3339_utc(text: str | None) -> datetime:
    """Parse an RFC 3339 date that must be in UTC written with a Z."""
    assert text is not None and text.endswith("Z"), text
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def absolute(url: str | None) -> bool:
    parsed = urlparse(url or "")
    return bool(parsed.scheme) and bool(parsed.netloc or parsed.scheme == "urn" or parsed.path)


def test_atom_is_valid_against_rfc4287_schema_and_rules(outputs: Path) -> None:
    schema = etree.RelaxNG(etree.parse(str(SCHEMA)))
    document = etree.parse(str(outputs / "feed.atom"))
    valid = schema.validate(document)
    assert valid, [str(e) for e in schema.error_log]
    assert len(schema.error_log) == 0

    feed = document.getroot()
    entries = feed.findall(f"{A}entry")
    assert len(entries) == 4
    # RFC 4287 4.1.1: a feed without an author needs one in every entry.
    if feed.find(f"{A}author") is None:
        assert all(e.find(f"{A}author/{A}name") is not None for e in entries)
    # 4.1.1: at most one alternate link per (type, hreflang); here, one self link with our URL.
    feed_links = feed.findall(f"{A}link")
    alternates = [(lk.get("type"), lk.get("hreflang")) for lk in feed_links if lk.get("rel") == "alternate"]
    assert len(alternates) == len(set(alternates))
    selfs = [lk for lk in feed_links if lk.get("rel") == "self"]
    assert [(lk.get("href"), lk.get("type")) for lk in selfs] == [
        (PUBLIC_URL + "feed.atom", "application/atom+xml")
    ]
    # 4.2.6 / 4.2.15: ids are absolute IRIs and unique; dates are RFC 3339, here UTC with Z.
    ids = [e.findtext(f"{A}id") for e in entries]
    assert len(set(ids)) == len(ids) and all(i and i.startswith("urn:syndedup:story:") for i in ids)
    assert absolute(feed.findtext(f"{A}id"))
    entry_updated = [rfc3339_utc(e.findtext(f"{A}updated")) for e in entries]
    # The feed's updated is the newest entry's (no clock), so unchanged runs are byte-identical.
    assert rfc3339_utc(feed.findtext(f"{A}updated")) == max(entry_updated)
    for entry in entries:
        published = rfc3339_utc(entry.findtext(f"{A}published"))
        assert published <= rfc3339_utc(entry.findtext(f"{A}updated"))
        # 4.1.2: an entry without content needs an alternate link; ours have both. feedgen drops
        # rel and type on entry links (feedgen #135, #143); emit puts them back.
        [link] = entry.findall(f"{A}link")
        assert link.get("rel") == "alternate" and link.get("type") == "text/html"
        assert absolute(link.get("href"))
        content = entry.find(f"{A}content")
        assert content is not None and content.get("type") == "html" and content.get("src") is None
        # 4.2.11: atom:source keeps the source feed's metadata: id, title, updated (feedgen
        # writes only title and link).
        source = entry.find(f"{A}source")
        assert source is not None
        assert absolute(source.findtext(f"{A}id"))
        assert source.findtext(f"{A}title")
        rfc3339_utc(source.findtext(f"{A}updated"))


def test_the_schema_rejects_invalid_atom() -> None:
    """The validator is live: a feed without its required id, or with a bad date, fails."""
    schema = etree.RelaxNG(etree.parse(str(SCHEMA)))
    good = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:x</id><title>t</title>'
        "<updated>2017-01-23T16:40:00Z</updated></feed>"
    )
    assert schema.validate(etree.fromstring(good))
    assert not schema.validate(etree.fromstring(good.replace("<id>urn:x</id>", "")))
    assert not schema.validate(etree.fromstring(good.replace("2017-01-23T16:40:00Z", "Monday")))
    assert not schema.validate(etree.fromstring(good.replace("</feed>", "<entry><id>x</id></entry></feed>")))


def test_rss_has_rss2_structure(outputs: Path) -> None:
    raw = (outputs / "feed.rss").read_bytes()
    assert raw.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = etree.fromstring(raw)
    assert root.tag == "rss" and root.get("version") == "2.0"
    [channel] = list(root)
    assert channel.tag == "channel"
    for name in ("title", "link", "description"):  # the three required channel elements
        assert (channel.findtext(name) or "").strip(), name
    plain = [c.tag for c in channel if isinstance(c.tag, str) and not c.tag.startswith("{")]
    assert set(plain) <= RSS_CHANNEL, set(plain) - RSS_CHANNEL
    for name in set(plain) - {"category", "item"}:
        assert plain.count(name) == 1, f"channel has {plain.count(name)} <{name}>"
    [self_link] = channel.findall(f"{A}link")
    assert self_link.attrib == {
        "href": PUBLIC_URL + "feed.rss",
        "rel": "self",
        "type": "application/rss+xml",
    }
    items = channel.findall("item")
    assert len(items) == 4
    item_dates = []
    guids = []
    for item in items:
        tags = [c.tag for c in item if not c.tag.startswith("{")]
        assert set(tags) <= RSS_ITEM, set(tags) - RSS_ITEM
        assert all(tags.count(t) == 1 for t in tags)
        assert item.findtext("title") or item.findtext("description")  # one of them is required
        assert absolute(item.findtext("link"))
        guid = item.find("guid")
        assert guid is not None and guid.get("isPermaLink") == "false"
        guids.append(guid.text)
        # RFC 822 dates, in UTC.
        moment = email.utils.parsedate_to_datetime(item.findtext("pubDate"))
        assert moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0
        item_dates.append(moment)
        source = item.find("source")
        assert source is not None and absolute(source.get("url")) and source.text
        assert item.find(f"{CONTENT}encoded") is not None
        assert item.findtext(f"{DC}creator")  # the credited outlet, shown by readers as the author
    assert len(set(guids)) == len(guids)
    # lastBuildDate is the newest item's update time, never "now".
    assert email.utils.parsedate_to_datetime(channel.findtext("lastBuildDate")) >= max(item_dates)
    assert email.utils.parsedate_to_datetime(channel.findtext("lastBuildDate")).year == 2017


def test_feedparser_round_trip_is_clean_and_consistent(outputs: Path) -> None:
    rss = feedparser.parse((outputs / "feed.rss").read_bytes())
    atom = feedparser.parse((outputs / "feed.atom").read_bytes())
    for parsed, version in ((rss, "rss20"), (atom, "atom10")):
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert parsed.version == version
        assert len(parsed.entries) == 4
    assert rss.feed.title == atom.feed.title == "syndedup demo"
    report = read_report(outputs / "clusters.jsonl")
    expected = [(f"urn:syndedup:story:{s['story']}", s["title"], s["canonical"]) for s in report]
    for parsed in (rss, atom):
        assert [(e.id, e.title, e.link) for e in parsed.entries] == expected
    links = {(lk.rel, lk.href) for lk in atom.feed.links}
    assert ("self", PUBLIC_URL + "feed.atom") in links
    for r_entry, a_entry in zip(rss.entries, atom.entries, strict=True):
        assert r_entry.published_parsed == a_entry.published_parsed
        assert r_entry.source.title == a_entry.source.title
        assert r_entry.author == a_entry.author  # dc:creator in RSS, atom:author in Atom
        assert r_entry.content[0].value == a_entry.content[0].value


def test_json_feed_follows_version_1_1(outputs: Path) -> None:
    feed = json.loads((outputs / "feed.json").read_text(encoding="utf-8"))
    assert set(feed) <= JSON_FEED_TOP
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "syndedup demo"
    assert feed["feed_url"] == PUBLIC_URL + "feed.json"
    assert absolute(feed["home_page_url"])
    report = read_report(outputs / "clusters.jsonl")
    assert [item["id"] for item in feed["items"]] == [f"urn:syndedup:story:{s['story']}" for s in report]
    for item, story in zip(feed["items"], report, strict=True):
        assert {k for k in item if not k.startswith("_")} <= JSON_FEED_ITEM
        assert isinstance(item["id"], str) and item["id"]
        assert item["content_html"]  # content_html or content_text is required
        assert item["url"] == story["canonical"]
        rfc3339_utc(item["date_published"])
        assert rfc3339_utc(item["date_modified"]) >= rfc3339_utc(item["date_published"])
        extension = item["_syndedup"]
        assert extension["story"] == story["story"]
        assert extension["credited_source"] == story["credited_source"]
        assert item["authors"] == [{"name": story["credited_source"]}]
        members = [extension["original"], *extension["republishers"]]
        assert {(m["url"], m["relation"]) for m in members} == {
            (m["link"], m["relation"]) for m in story["members"]
        }
        assert extension["original"]["relation"] == "original"
    astana = next(i for i in feed["items"] if "Astana Without" in i["title"])
    assert astana["_syndedup"]["original"]["feed"] == "Voice of America"
    assert [(r["feed"], r["relation"]) for r in astana["_syndedup"]["republishers"]] == [
        ("Syria News Gazette", "copy"),
        ("News Aggregator", "teaser"),
    ]


def test_unchanged_rerun_leaves_every_output_byte_identical_and_untouched(demo: Path, cli) -> None:
    enable_all_outputs(demo / "config.toml")
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    names = ("feed.rss", "feed.atom", "feed.json", "audit.html", "clusters.jsonl")
    before = {n: ((demo / "out" / n).read_bytes(), (demo / "out" / n).stat().st_mtime_ns) for n in names}
    assert cli("run", "--config", config).code == 0
    after = {n: ((demo / "out" / n).read_bytes(), (demo / "out" / n).stat().st_mtime_ns) for n in names}
    assert after == before  # same bytes, and not even rewritten (Last-Modified stays true)


def test_without_url_there_are_no_self_links(demo: Path, cli) -> None:
    enable_all_outputs(demo / "config.toml", url=None)
    assert cli("run", "--config", str(demo / "config.toml")).code == 0
    assert b'rel="self"' not in (demo / "out/feed.rss").read_bytes()
    atom = etree.parse(str(demo / "out/feed.atom")).getroot()
    assert [lk.get("rel") for lk in atom.findall(f"{A}link")] == ["alternate"]
    assert "feed_url" not in json.loads((demo / "out/feed.json").read_text(encoding="utf-8"))
    schema = etree.RelaxNG(etree.parse(str(SCHEMA)))
    assert schema.validate(atom), schema.error_log


def test_bad_output_url_is_a_config_error(demo: Path, cli) -> None:
    enable_all_outputs(demo / "config.toml", url="feeds.example.org/news")
    result = cli("run", "--config", str(demo / "config.toml"))
    assert result.code == 2
    assert "output.url: must be an http(s) URL" in result.err


def test_outputs_are_valid_when_no_feed_could_be_read(demo: Path, cli) -> None:
    enable_all_outputs(demo / "config.toml")
    for name in ("voa.xml", "gazette.xml", "aggregator.xml", "world-desk.xml"):
        (demo / "feeds" / name).unlink()
    result = cli("run", "--config", str(demo / "config.toml"))
    assert result.code == 3  # no feed could be read: an outage, yet every output is written
    assert "0 items written" in result.out
    schema = etree.RelaxNG(etree.parse(str(SCHEMA)))
    assert schema.validate(etree.parse(str(demo / "out/feed.atom"))), schema.error_log
    for name in ("feed.rss", "feed.atom"):
        parsed = feedparser.parse((demo / "out" / name).read_bytes())
        assert parsed.bozo == 0 and parsed.entries == []
    assert json.loads((demo / "out/feed.json").read_text(encoding="utf-8"))["items"] == []
    assert "No stories yet." in (demo / "out/audit.html").read_text(encoding="utf-8")


def test_an_empty_feed_is_dated_when_the_state_began_not_1970(tmp_path: Path, cli) -> None:
    """Issue 23 item 9: with no item to date it, the feed's date (Atom ``updated``, RSS
    ``lastBuildDate``) is the state's creation, from the state: plausible, and the same at every
    run, so an unchanged rerun still rewrites nothing."""
    import sqlite3
    from email.utils import parsedate_to_datetime

    from lxml import etree

    (tmp_path / "empty.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title>'
        "<link>https://quiet.example/</link><description>d</description></channel></rss>",
        encoding="utf-8",
    )
    config = tmp_path / "config.toml"
    config.write_text(
        '[[feeds]]\nname = "Quiet"\nurl = "empty.xml"\n\n[output]\nrss = "out/feed.rss"\n'
        'atom = "out/feed.atom"\nreport = "out/clusters.jsonl"\njson = "out/feed.json"\n\n'
        '[state]\npath = "state.sqlite"\n',
        encoding="utf-8",
    )
    assert cli("run", "--config", str(config)).code == 0
    atom = etree.parse(str(tmp_path / "out/feed.atom"))
    [updated] = atom.xpath("/*[local-name()='feed']/*[local-name()='updated']/text()")
    rss = etree.parse(str(tmp_path / "out/feed.rss"))
    [built] = rss.xpath("/rss/channel/lastBuildDate/text()")
    assert not updated.startswith("1970") and parsedate_to_datetime(built).year >= 2025
    db = sqlite3.connect(tmp_path / "state.sqlite")
    [(created,)] = db.execute("SELECT value FROM meta WHERE key='created'").fetchall()
    db.close()
    assert updated == created
    assert not rss.xpath("//item")
    again = cli("run", "--config", str(config))
    assert "outputs unchanged (0 items, 0 stories)" in again.out
