"""Issue 12, parse side: new inputs of each kind beyond the shared cases (dates, out-of-range years,
future dates, relative links, literal title text, charsets, the max_entries cap, gzip and empty feeds)."""

from __future__ import annotations

import gzip
import json
import logging
import re
import sqlite3
import tomllib
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.config import FeedConfig, parse_config
from pipeline.models import FetchResult
from pipeline.runner import run
from pipeline.sources.charset import decode_feed
from pipeline.sources.dates import read_date
from pipeline.sources.fetch import FetchError, RawFeed, read_file
from pipeline.sources.parse import parse_feed
from pipeline.store.sqlite import iso, parse_iso
from pipeline.text.article import normalize_article
from tests.conftest import read_report
from tests.feedserver import FeedServer, Route
from tests.sources.test_fetch import fetch_one

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
STORY = (
    "The regional council met on Tuesday to discuss the repair of the northern bridge, which has "
    "been closed to heavy traffic since the spring floods damaged two of its supports. Engineers "
    "told the council that the work would take most of the summer and cost about four million."
)


def parse(body: bytes, max_entries: int | None = None, headers: dict[str, str] | None = None) -> FetchResult:
    result = FetchResult(feed="Wild", url="wild.xml")
    parse_feed(RawFeed(body, headers or {}), FeedConfig("Wild", "wild.xml"), NOW, result, max_entries)
    return result


def rss(*items: str, channel: str = "", encoding: str = "utf-8") -> str:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>Wild</title>'
        f"{channel}{''.join(items)}</channel></rss>"
    )


def item(guid: str, date: str = "", title: str = "T", link: str = "", text: str = STORY) -> str:
    parts = f"<guid isPermaLink='false'>{guid}</guid><title>{title}</title><description>{text}</description>"
    if date:
        parts += f"<pubDate>{date}</pubDate>"
    if link:
        parts += f"<link>{link}</link>"
    return f"<item>{parts}</item>"


# -- A: zone abbreviations, Y/M/D forms, unreadable dates ----------------------------------------


@pytest.mark.parametrize(
    ("raw", "utc"),
    [
        ("Tue, 10 Jun 2023 08:00:00 JST", "2023-06-09T23:00:00Z"),
        ("Tue, 10 Jun 2023 08:00:00 BST", "2023-06-10T07:00:00Z"),
        ("Tue, 10 Jun 2023 08:00:00 AEST", "2023-06-09T22:00:00Z"),
        ("Tue, 10 Jun 2023 08:00:00 IST", "2023-06-10T02:30:00Z"),
        ("Tue, 10 Jun 2023 08:00 MSK", "2023-06-10T05:00:00Z"),
        ("Tue, 10 Jun 2023 08:00:00 CET", "2023-06-10T07:00:00Z"),
        ("Tue, 10 Jun 2023 08:00:00 EDT", "2023-06-10T12:00:00Z"),
        ("Tue, 10 Jun 2023 08:00:00 PST", "2023-06-10T16:00:00Z"),
        ("Tue, 10 Jun 2023 08:00:00", "2023-06-10T08:00:00Z"),  # zone-less: UTC
        ("2023/06/10 08:00", "2023-06-10T08:00:00Z"),
        ("2023.06.10 08:00:00", "2023-06-10T08:00:00Z"),
        ("2023-6-10 8:00:00", "2023-06-10T08:00:00Z"),
        ("June 10, 2023 8:00 AM PDT", "2023-06-10T15:00:00Z"),
        ("2023-06-10T08:00:00+05:30", "2023-06-10T02:30:00Z"),
    ],
)
def test_dates_with_zone_names_and_other_forms_are_read(raw: str, utc: str) -> None:
    reading = read_date(raw)
    assert reading.moment is not None and iso(reading.moment) == utc and reading.problem is None


@pytest.mark.parametrize("raw", ["soon", "2023", "Tue, 31 Feb 2023 08:00:00 GMT", "10:00"])
def test_unreadable_dates_give_no_moment(raw: str) -> None:
    assert read_date(raw).moment is None


def test_an_unreadable_date_marks_the_entry_undated_with_a_warning_naming_the_value() -> None:
    result = parse(rss(item("a", "next Tuesday-ish"), item("b", "Tue, 10 Jun 2023 08:00:00 CEST")).encode())
    undated, dated = result.articles
    assert not undated.dated and undated.published == NOW
    assert dated.dated and iso(dated.published) == "2023-06-10T06:00:00Z"
    assert result.warnings == [
        "1 entry has a date that cannot be used ('next Tuesday-ish'): "
        "treated as undated, dated when first seen"
    ]


def test_an_unknown_zone_is_read_as_utc_with_a_warning() -> None:
    result = parse(rss(item("a", "Tue, 10 Jun 2023 08:00:00 QQT")).encode())
    assert iso(result.articles[0].published) == "2023-06-10T08:00:00Z" and result.articles[0].dated
    assert "unknown time zone 'QQT'; read as UTC" in result.warnings[0]


def write_feeds(tmp_path: Path, feeds: dict[str, str]) -> Path:
    lines = []
    for name, body in feeds.items():
        (tmp_path / f"{name}.xml").write_text(body, encoding="utf-8")
        lines.append(f'[[feeds]]\nname = "{name}"\nurl = "{name}.xml"\n')
    lines.append(
        '[output]\nrss = "out/feed.rss"\natom = "out/feed.atom"\nreport = "out/clusters.jsonl"\n'
        'json = "out/feed.json"\n[state]\npath = "state/s.sqlite"\n'
    )
    config = tmp_path / "config.toml"
    config.write_text("\n".join(lines), encoding="utf-8")
    return config


def test_an_undated_entry_seen_earlier_never_wins_original_over_a_dated_one(tmp_path: Path) -> None:
    # Run 1 sees Undated's entry (no usable date: dated when first seen, Mar 1); run 2 sees
    # Dated's copy, dated Mar 2, later than that first-seen time. The dated entry is the original.
    config_path = write_feeds(tmp_path, {"Undated": rss(item("u1", "whenever")), "Dated": rss()})
    config = parse_config(tomllib.loads(config_path.read_text()), config_path)
    assert run(config, now=NOW).entries_new == 1
    (tmp_path / "Dated.xml").write_text(rss(item("d1", "Sat, 02 Mar 2024 08:00:00 +0000")), encoding="utf-8")
    assert run(config, now=NOW + timedelta(days=2)).entries_new == 1
    (story,) = read_report(tmp_path / "out" / "clusters.jsonl")
    relations = {m["feed"]: m["relation"] for m in story["members"]}
    assert relations == {"Dated": "original", "Undated": "copy"}
    assert story["credited_source"] == "Dated"


# -- B: years outside 1000-9999; stored dates ----------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "0001-01-01T00:00:00+01:00",  # year 0 in UTC
        "0999-12-31T23:00:00Z",
        "9999-12-31T23:30:00-01:00",  # year 10000 in UTC
        "Sat, 01 Jan 10000 00:00:00 +0000",
        "Mon, 01 Jan 0001 00:00:00 GMT",
    ],
)
def test_dates_outside_years_1000_to_9999_are_no_date(raw: str) -> None:
    reading = read_date(raw)
    assert reading.moment is None and reading.problem is not None


def test_an_atom_entry_in_year_zero_is_undated_and_the_feed_is_kept() -> None:
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>W</title><id>urn:w</id>'
        b"<updated>2024-01-01T00:00:00Z</updated>"
        b"<entry><id>urn:1</id><title>Zero</title><updated>0001-01-01T00:00:00+01:00</updated>"
        b"<link href='https://w.example/1'/></entry>"
        b"<entry><id>urn:2</id><title>Fine</title><updated>2024-01-01T00:00:00Z</updated>"
        b"<link href='https://w.example/2'/></entry></feed>"
    )
    result = parse(body)
    assert result.ok and [(a.title, a.dated) for a in result.articles] == [("Zero", False), ("Fine", True)]
    assert "'0001-01-01T00:00:00+01:00'" in result.warnings[0]


def test_stored_dates_always_have_four_digit_years() -> None:
    assert iso(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00Z"
    assert iso(datetime(999, 5, 6, 7, 8, 9, tzinfo=UTC)) == "0999-05-06T07:08:09Z"
    assert parse_iso("1-01-01T00:00:00Z") == datetime(1, 1, 1, tzinfo=UTC)  # as older versions wrote it


def test_an_unreadable_stored_date_is_reported_and_the_run_still_writes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config_path = write_feeds(tmp_path, {"A": rss(item("a1", "Fri, 01 Mar 2024 08:00:00 +0000"))})
    config = parse_config(tomllib.loads(config_path.read_text()), config_path)
    run(config, now=NOW)
    with sqlite3.connect(tmp_path / "state" / "s.sqlite") as db:  # a state damaged by hand or a bug
        db.execute("UPDATE articles SET published='1-13-99T??'")
        db.execute("UPDATE stories SET updated='not a date'")
    (tmp_path / "out" / "feed.rss").unlink()
    copy = item("a2", "Fri, 01 Mar 2024 09:00:00 +0000", text=STORY + " More.")
    (tmp_path / "A.xml").write_text(
        rss(item("a1", "Fri, 01 Mar 2024 08:00:00 +0000"), copy), encoding="utf-8"
    )
    with caplog.at_level(logging.WARNING):
        report = run(config, now=NOW + timedelta(hours=1))
    assert report.entries_new == 1
    assert (tmp_path / "out" / "feed.rss").is_file()
    assert "unreadable date '1-13-99T??'" in caplog.text
    (story,) = read_report(tmp_path / "out" / "clusters.jsonl")
    original = next(m for m in story["members"] if m["relation"] == "original")
    assert original["guid"] == "a2"  # the row whose date could not be read is treated as undated


# -- C: future dates ------------------------------------------------------------------------------


def test_future_dates_beyond_the_tolerance_are_dated_when_first_seen() -> None:
    soon = (NOW + timedelta(minutes=5)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    later = (NOW + timedelta(hours=2)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    result = parse(
        rss(item("soon", soon), item("later", later), item("year", "2099-01-01T00:00:00Z")).encode()
    )
    published = {a.guid: a.published for a in result.articles}
    assert published == {"soon": NOW + timedelta(minutes=5), "later": NOW, "year": NOW}
    assert all(a.dated for a in result.articles)
    assert result.warnings == [
        f"2 entries have a date in the future ('{later}', '2099-01-01T00:00:00Z'): dated when first seen"
    ]


# -- H: relative links ----------------------------------------------------------------------------


def test_xml_base_and_the_feeds_own_link_resolve_relative_links_in_a_file() -> None:
    body = (
        '<rss version="2.0" xml:base="https://base.example/news/"><channel><title>W</title>'
        "<link>https://site.example/</link>" + item("a", link="2024/a.html") + "</channel></rss>"
    ).encode()
    assert parse(body).articles[0].link == "https://base.example/news/2024/a.html"
    no_base = rss(item("b", link="/2024/b.html"), channel="<link>https://site.example/blog/</link>")
    assert parse(no_base.encode()).articles[0].link == "https://site.example/2024/b.html"
    # A file without any base: the relative link cannot be made absolute, so there is no link.
    assert parse(rss(item("c", link="c.html")).encode()).articles[0].link == ""


@pytest.mark.parametrize("link", ["mailto:desk@site.example", "ftp://site.example/a", "javascript:x()", " "])
def test_unusable_links_are_left_out_and_the_entry_keeps_a_key(link: str) -> None:
    (article,) = parse(rss(item("", link=link)).encode()).articles
    assert article.link == "" and article.entry_key.startswith("text:")  # keyed by its content hash


def test_relative_links_resolve_against_the_url_after_redirects() -> None:
    body = rss(
        item("r1", link="2024/r1.html"),
        item("r2", link="/top.html"),
        channel="<link>https://elsewhere.example/</link>",
    )
    with FeedServer() as server:
        server.routes["/old"] = Route(status=301, location="/news/feed.xml")
        server.routes["/news/feed.xml"] = Route(body=body.encode())
        result = fetch_one(server.url("/old"))
        root = server.url("")
    assert [a.link for a in result.articles] == [f"{root}/news/2024/r1.html", f"{root}/top.html"]
    assert [a.guid for a in result.articles] == ["r1", "r2"]  # GUIDs stay as the feed wrote them


# -- I: titles keep literal text ------------------------------------------------------------------


def test_only_real_markup_is_removed_from_titles() -> None:
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>W</title><id>urn:w</id>'
        b"<updated>2024-01-01T00:00:00Z</updated>"
        b'<entry><id>urn:1</id><title type="html">&lt;b&gt;Bold&lt;/b&gt; move: a &amp;lt; b</title>'
        b"<updated>2024-01-01T00:00:00Z</updated></entry>"
        b'<entry><id>urn:2</id><title type="text">if (a &lt; b &amp;&amp; c &gt; d) &lt;stop&gt;</title>'
        b"<updated>2024-01-01T00:00:00Z</updated></entry>"
        b"</feed>"
    )
    assert [a.title for a in parse(atom).articles] == ["Bold move: a < b", "if (a < b && c > d) <stop>"]
    body = rss(
        item("1", title="&lt;em&gt;Breaking&lt;/em&gt;: rates &lt; 2% &amp; falling"),
        item("2", title="Vector&lt;int&gt; vs std::array&lt;T, N&gt;"),
        item("3", title="Council &lt;script&gt;alert(1)&lt;/script&gt; meets"),
    )
    assert [a.title for a in parse(body.encode()).articles] == [
        "Breaking : rates < 2% & falling",
        "Vector<int> vs std::array<T, N>",
        "Council meets",
    ]


def test_literal_angle_brackets_round_trip_through_every_output(tmp_path: Path) -> None:
    title = "Vector<int> vs std::array<T, N> & why a < b"
    escaped = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    config_path = write_feeds(tmp_path, {"Q": rss(item("q1", "Fri, 01 Mar 2024 08:00:00 +0000", escaped))})
    config = parse_config(tomllib.loads(config_path.read_text()), config_path)
    run(config, now=NOW)
    out = tmp_path / "out"
    assert ET.parse(out / "feed.rss").getroot().findtext("channel/item/title") == title
    atom_ns = "{http://www.w3.org/2005/Atom}"
    assert ET.parse(out / "feed.atom").getroot().findtext(f"{atom_ns}entry/{atom_ns}title") == title
    assert json.loads((out / "feed.json").read_text(encoding="utf-8"))["items"][0]["title"] == title


# -- J: charsets ----------------------------------------------------------------------------------

RUSSIAN = "Городской совет утвердил строительство новой дамбы на реке после весеннего наводнения"
JAPANESE = (
    "市議会は火曜日、春の洪水で損傷した北の橋の修理について話し合った。技術者によると、工事は夏の大半を要し、"
    "費用は約四百万円になる見込みだという。住民は早期の再開を求めている。"
)


def test_a_windows_1251_feed_with_a_newline_before_its_declaration() -> None:
    body = b"\n\n  " + rss(item("c1", title=RUSSIAN, text=RUSSIAN), encoding="windows-1251").encode("cp1251")
    result = parse(body)
    assert result.ok and result.articles[0].title == RUSSIAN
    assert not any("not well-formed" in w for w in result.warnings)


def test_a_bom_before_whitespace_and_declaration_is_read() -> None:
    body = b"\xef\xbb\xbf" + rss(item("b1", title=RUSSIAN)).encode()
    assert parse(body).articles[0].title == RUSSIAN


def test_undeclared_shift_jis_is_detected_and_no_control_characters_pass() -> None:
    xml = '<?xml version="1.0"?><rss version="2.0"><channel><title>市報</title>' + "".join(
        item(f"j{n}", title=f"市議会 {n} 号", text=JAPANESE) for n in range(3)
    )
    body = (xml + "</channel></rss>").encode("shift_jis")
    result = parse(body)
    assert [a.title for a in result.articles] == ["市議会 0 号", "市議会 1 号", "市議会 2 号"]
    assert "市議会は火曜日" in result.articles[0].raw_html
    assert any("read as shift_jis" in w.lower() or "read as cp932" in w.lower() for w in result.warnings)
    for raw in (
        b"<rss><title>a\x85b\x1bc\x7f</title></rss>",
        "<rss><title>a\x85b\x9fc</title></rss>".encode(),
    ):
        # C0 controls (XML forbids them) go at once; C1 ones wait for the repair (issue 22, kind 4).
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", decode_feed(raw).body.decode("utf-8"))


def test_control_characters_never_reach_titles_or_text() -> None:
    body = rss(item("c", title="Bell\x07 and \u0085next\u009f line", text="Tab\tand esc\x1b here")).encode()
    (article,) = parse(body).articles
    assert "\x1b" not in article.raw_html
    normalize_article(article)
    # Repaired first (a lone C1 character is the Windows-1252 one it stood for), and no control
    # character is left once normalized.
    assert article.title == "Bell and ...nextŸ line"  # NFKC writes "…" as "..."
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", article.title + article.text)


def test_encoding_messages_name_no_feedparser_class_and_no_false_declaration() -> None:
    latin = rss(item("l", title="Café crème à Zürich"), encoding="utf-8").encode("latin-1")
    result = parse(latin)
    assert result.articles[0].title == "Café crème à Zürich"
    text = " ".join(result.warnings)
    assert "CharacterEncoding" not in text and "says it is utf-8" in text
    undeclared = rss(item("u", title="Café crème"), encoding="utf-8").replace(' encoding="utf-8"', "")
    result = parse(undeclared.encode("latin-1"))
    assert result.articles[0].title == "Café crème"
    assert result.warnings == [
        "encoding: the feed does not say its encoding and is not UTF-8; read as cp1252"
    ]


# -- K: max_entries keeps the newest --------------------------------------------------------------


def days(n: int) -> str:
    return (NOW - timedelta(days=n)).strftime("%a, %d %b %Y %H:%M:%S +0000")


def test_cap_keeps_the_newest_whatever_the_order_and_undated_entries_last() -> None:
    newest_first = rss(*(item(f"n{d}", days(d)) for d in range(5)))
    assert [a.guid for a in parse(newest_first.encode(), 3).articles] == ["n0", "n1", "n2"]
    shuffled = rss(item("d3", days(3)), item("u1"), item("d0", days(0)), item("u2"), item("d1", days(1)))
    result = parse(shuffled.encode(), 4)
    assert [a.guid for a in result.articles] == ["d3", "u1", "d0", "d1"]  # document order kept
    assert (
        "feed has 5 entries; kept the newest 4 by date and dropped 1 ([fetch] max_entries)" in result.warnings
    )
    undated_only = rss(*(item(f"u{n}") for n in range(4)))
    assert [a.guid for a in parse(undated_only.encode(), 2).articles] == ["u0", "u1"]


# -- Also: gzip files, empty feeds ----------------------------------------------------------------


def test_a_gzipped_feed_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml.gz"
    path.write_bytes(gzip.compress(rss(item("g1", title="Packed")).encode()))
    raw = read_file(str(path), 1_000_000)
    result = FetchResult(feed="Wild", url=str(path))
    parse_feed(raw, FeedConfig("Wild", str(path)), NOW, result)
    assert [a.title for a in result.articles] == ["Packed"] and result.ok
    path.write_bytes(gzip.compress(b"x" * 2000))
    with pytest.raises(FetchError, match="gzip file inflates to more than 1000 bytes"):
        read_file(str(path), 1000)
    path.write_bytes(gzip.compress(b"<rss/>")[:-6])
    with pytest.raises(FetchError, match=r"truncated gzip body .* \(the file is gzip-compressed\)"):
        read_file(str(path), 1000)


@pytest.mark.parametrize(
    "body",
    [
        rss(),
        '<rss version="2.0"><channel><title>x</title></channel></rss>',
        "<channel><title>x</title><link>https://x.example/</link></channel>",
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>',
        '<?xml version="1.0"?>\n<!-- empty for now -->\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/"><channel><title>x</title></channel></rdf:RDF>',
    ],
)
def test_a_valid_feed_with_no_items_is_a_warning(body: str) -> None:
    result = parse(body.encode())
    assert result.ok and result.articles == [] and result.warnings == ["the feed has no entries"]
