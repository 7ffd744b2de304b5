"""Full text through a whole run: feeds and article pages served on 127.0.0.1 by the test."""

from __future__ import annotations

import html
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest

from pipeline import runner
from pipeline.config import FeedConfig, load_config
from pipeline.errors import ConfigError
from pipeline.models import Article
from pipeline.runner import run
from pipeline.sources.fulltext import extract, wants_page
from pipeline.text.article import normalize_article
from pipeline.text.html import html_to_paragraphs
from tests.conftest import REPO, read_report
from tests.sources.test_fulltext_client import Route, Site

NOW = datetime(2017, 1, 24, tzinfo=UTC)
TITLE = "Syrian Peace Talks Open in Astana Without Direct Negotiations"


def voa_paragraphs() -> list[str]:
    """The demo's public-domain VOA article, as paragraphs."""
    entry = feedparser.parse((REPO / "feeds/voa.xml").read_bytes()).entries[0]
    return [p.strip() for p in html_to_paragraphs(entry.summary) if p.strip()]


def page(title: str, paragraphs: list[str], site: str, canonical: str | None = None) -> bytes:
    """An article page with its site's chrome around the text."""
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html><head><title>{title} | {site}</title>{link}</head><body>"
        f'<header><nav><a href="/">{site}</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>'
        f"</header><main><article><h1>{title}</h1>{body}</article>"
        f"<aside><h2>Most read</h2><ul><li><a href='/x'>Weather for the weekend</a></li></ul></aside></main>"
        f"<footer><p>Copyright 2017 {site}. All rights reserved.</p></footer></body></html>"
    ).encode()


def rss(site: Site, items: list[tuple[str, str, str, str, str]]) -> bytes:
    """An RSS feed of (guid, title, link, description html, RFC 822 date) items."""
    parts = [
        f"<item><guid>{guid}</guid><title>{html.escape(title)}</title><link>{link}</link>"
        f"<description>{html.escape(text)}</description><pubDate>{date}</pubDate></item>"
        for guid, title, link, text, date in items
    ]
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>{site.base}/</link>'
        f"<description>d</description>{''.join(parts)}</channel></rss>"
    ).encode()


def serve_feed(site: Site, items: list[tuple[str, str, str, str, str]]) -> None:
    site.routes["/feed.xml"] = Route(rss(site, items), headers={"Content-Type": "application/rss+xml"})


def write_config(
    folder: Path,
    feeds: list[tuple[str, str, str]],
    aliases: dict[str, str] | None = None,
    timeout: float = 5.0,
) -> Path:
    lines = [f'[[feeds]]\nname = "{n}"\nurl = "{u}"\nfull_text = {m}\n' for n, u, m in feeds]
    lines.append('[output]\nrss = "out/feed.rss"\natom = "out/feed.atom"\nreport = "out/clusters.jsonl"\n')
    lines.append(
        f'[state]\npath = "state.sqlite"\n[fetch]\ntimeout = {timeout}\nper_host_delay = 0\n'
        "allow_private_pages = true\n"
    )
    if aliases:
        lines.append("[attribution.aliases]\n" + "".join(f'"{k}" = ["{v}"]\n' for k, v in aliases.items()))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def run_config(path: Path) -> list[dict]:
    run(load_config(path), NOW)
    return read_report(path.parent / "out/clusters.jsonl")


@pytest.fixture
def wire_and_mirror() -> Iterator[tuple[Site, Site]]:
    """A wire service with the full article in its feed; a mirror whose feed has only title and link."""
    wire, mirror = Site(), Site()
    text = voa_paragraphs()
    serve_feed(
        wire,
        [
            (
                "w1",
                TITLE,
                wire.url("/a/1"),
                "".join(f"<p>{p}</p>" for p in text),
                "Mon, 23 Jan 2017 09:30:00 GMT",
            )
        ],
    )
    wire.routes["/a/1"] = Route(page(TITLE, text, "Wire"))
    serve_feed(mirror, [("m1", TITLE, mirror.url("/2017/astana"), "", "Mon, 23 Jan 2017 14:05:00 GMT")])
    mirror.routes["/2017/astana"] = Route(page(TITLE, text, "Mirror Daily"))
    yield wire, mirror
    wire.close()
    mirror.close()


@pytest.mark.parametrize("spool_after", [runner.SPOOL_AFTER, 0], ids=["in-memory", "spooled"])
def test_title_only_entry_joins_its_story_through_the_page(
    tmp_path: Path, wire_and_mirror, monkeypatch: pytest.MonkeyPatch, spool_after: int
) -> None:
    """Also with the entries spooled (``runner.SPOOL_AFTER``): which entries want their page is
    decided while their texts are in memory."""
    monkeypatch.setattr(runner, "SPOOL_AFTER", spool_after)
    wire, mirror = wire_and_mirror
    feeds = [("Wire", wire.url("/feed.xml"), "false"), ("Mirror", mirror.url("/feed.xml"), '"auto"')]
    on = run_config(write_config(tmp_path / "on", feeds))
    [story] = on
    assert story["canonical"] == wire.url("/a/1")
    relations = {m["feed"]: (m["relation"], m["similarity"]) for m in story["members"]}
    assert relations["Mirror"][0] == "copy" and relations["Mirror"][1] >= 0.9
    assert mirror.paths() == ["/feed.xml", "/robots.txt", "/2017/astana"]
    assert "/a/1" not in wire.paths()  # full_text = false: the wire's page is never asked for

    off = run_config(write_config(tmp_path / "off", [feeds[0], ("Mirror", mirror.url("/feed.xml"), "false")]))
    assert len(off) == 2  # without its page, a title-only entry matches nothing


def test_a_spooled_entry_in_full_is_not_taken_for_a_teaser(
    tmp_path: Path, wire_and_mirror, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spooled entries have empty texts until read back: the page decision is made before."""
    monkeypatch.setattr(runner, "SPOOL_AFTER", 0)
    wire, mirror = wire_and_mirror
    feeds = [("Wire", wire.url("/feed.xml"), '"auto"'), ("Mirror", mirror.url("/feed.xml"), '"auto"')]
    [story] = run_config(write_config(tmp_path, feeds))
    assert {m["feed"] for m in story["members"]} == {"Wire", "Mirror"}
    assert "/a/1" not in wire.paths()  # the wire's entry is in full: its page is not wanted
    assert "/2017/astana" in mirror.paths()


def test_canonical_link_on_another_outlet_credits_that_outlet(tmp_path: Path, wire_and_mirror) -> None:
    wire, mirror = wire_and_mirror
    # The mirror's page names the wire's article as canonical, and the mirror posted it earlier.
    mirror.routes["/2017/astana"] = Route(page(TITLE, voa_paragraphs(), "Mirror Daily", wire.url("/a/1")))
    serve_feed(mirror, [("m1", TITLE, mirror.url("/2017/astana"), "", "Mon, 23 Jan 2017 08:00:00 GMT")])
    feeds = [("Wire", wire.url("/feed.xml"), "false"), ("Mirror", mirror.url("/feed.xml"), '"auto"')]
    [story] = run_config(write_config(tmp_path / "both", feeds))
    # Resolved through the wire feed's own <link>: credited, and its entry is the original though later.
    assert story["credited_source"] == "Wire"
    assert story["canonical"] == wire.url("/a/1")

    # Without the wire's feed, the [attribution.aliases] name its site.
    host = wire.base.removeprefix("http://")
    alone = run_config(write_config(tmp_path / "alone", feeds[1:], aliases={"Wire Service": host}))
    [story] = alone
    assert story["credited_source"] == "Wire Service"
    assert story["canonical"] == mirror.url("/2017/astana")


def test_credit_line_on_the_page_credits_its_outlet(tmp_path: Path, wire_and_mirror) -> None:
    wire, mirror = wire_and_mirror
    mirror.routes["/2017/astana"] = Route(page(TITLE, [*voa_paragraphs(), "Source: Wire"], "Mirror Daily"))
    serve_feed(mirror, [("m1", TITLE, mirror.url("/2017/astana"), "", "Mon, 23 Jan 2017 08:00:00 GMT")])
    feeds = [("Wire", wire.url("/feed.xml"), "false"), ("Mirror", mirror.url("/feed.xml"), '"auto"')]
    [story] = run_config(write_config(tmp_path, feeds))
    assert story["credited_source"] == "Wire"
    assert story["canonical"] == wire.url("/a/1")
    assert {m["feed"]: m["relation"] for m in story["members"]} == {"Wire": "original", "Mirror": "copy"}


def test_canonical_link_to_its_own_site_is_no_credit(tmp_path: Path, wire_and_mirror) -> None:
    _, mirror = wire_and_mirror
    mirror.routes["/2017/astana"] = Route(page(TITLE, voa_paragraphs(), "Mirror Daily", "/2017/astana?amp=0"))
    [story] = run_config(write_config(tmp_path, [("Mirror", mirror.url("/feed.xml"), '"auto"')]))
    assert story["credited_source"] == "Mirror"


def test_pages_that_fail_leave_the_feed_text_and_log_why(
    tmp_path: Path, wire_and_mirror, caplog: pytest.LogCaptureFixture
) -> None:
    wire, mirror = wire_and_mirror
    teaser = " ".join(voa_paragraphs()[0].split()[:30]) + " ..."
    serve_feed(
        mirror,
        [
            ("m1", TITLE, mirror.url("/gone"), teaser, "Mon, 23 Jan 2017 14:05:00 GMT"),
            ("m2", "Slow", mirror.url("/slow"), "A slow page.", "Mon, 23 Jan 2017 15:00:00 GMT"),
            ("m3", "Doc", mirror.url("/doc.pdf"), "A document.", "Mon, 23 Jan 2017 16:00:00 GMT"),
        ],
    )
    mirror.routes["/slow"] = Route(hold=True)
    mirror.routes["/doc.pdf"] = Route(b"%PDF", headers={"Content-Type": "application/pdf"})
    feeds = [("Wire", wire.url("/feed.xml"), "false"), ("Mirror", mirror.url("/feed.xml"), "true")]
    with caplog.at_level(logging.INFO, logger="pipeline"):
        report = run_config(write_config(tmp_path, feeds, timeout=0.3))
    gone, slow, doc = (mirror.url(p) for p in ("/gone", "/slow", "/doc.pdf"))
    # Issue 23 item 9: one warning for the run (what cron mails), each page's reason under -v.
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [w for w in warnings if "full text" in w] == [
        "full text: 3 of 3 article pages could not be used (entries per feed: Mirror 3); those "
        "entries are compared on their feed's text (each page and its reason with -v)"
    ]
    details = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert (
        f"feed 'Mirror': full text of {gone} not used (HTTP 404 Not Found from {gone}); "
        "detected on the feed's text" in details
    )
    assert (
        f"feed 'Mirror': full text of {slow} not used (timed out after 0.3 s fetching {slow}); "
        "detected on the feed's text" in details
    )
    assert any(f"not an HTML page (application/pdf): {doc}" in d for d in details)
    # The teaser was still detected on its feed text: a teaser of the wire's story.
    [astana] = [s for s in report if s["canonical"] == wire.url("/a/1")]
    assert {m["link"]: m["relation"] for m in astana["members"]}[gone] == "teaser"
    assert sum(len(s["members"]) for s in report) == 4


def test_a_page_is_fetched_once_across_runs(tmp_path: Path, wire_and_mirror) -> None:
    wire, mirror = wire_and_mirror
    config = write_config(
        tmp_path, [("Wire", wire.url("/feed.xml"), "false"), ("Mirror", mirror.url("/feed.xml"), '"auto"')]
    )
    run_config(config)
    # Next run: the mirror re-posts the same article under a new guid (same link).
    first = ("m1", TITLE, mirror.url("/2017/astana"), "", "Mon, 23 Jan 2017 14:05:00 GMT")
    serve_feed(mirror, [first, ("m2", TITLE + " (updated)", first[2], "", "Mon, 23 Jan 2017 18:00:00 GMT")])
    [story] = run_config(config)
    assert {m["guid"]: m["relation"] for m in story["members"]} == {
        "w1": "original",
        "m1": "copy",
        "m2": "copy",
    }
    assert mirror.paths() == ["/feed.xml", "/robots.txt", "/2017/astana", "/feed.xml"]


def test_robots_txt_disallow_keeps_the_feed_text(tmp_path: Path, wire_and_mirror, caplog) -> None:
    wire, mirror = wire_and_mirror
    mirror.routes["/robots.txt"] = Route(
        b"User-agent: syndedup\nDisallow: /2017/\n", headers={"Content-Type": "text/plain"}
    )
    feeds = [("Wire", wire.url("/feed.xml"), "false"), ("Mirror", mirror.url("/feed.xml"), '"auto"')]
    with caplog.at_level(logging.INFO, logger="pipeline"):
        report = run_config(write_config(tmp_path, feeds))
    assert len(report) == 2
    assert "/2017/astana" not in mirror.paths()
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any("robots.txt of 127.0.0.1:" in message for message in infos)  # the reason, under -v
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(w.startswith("full text: 1 of 1 article pages could not be used") for w in warnings)


def test_page_with_less_text_than_the_entry_is_not_used(tmp_path: Path, wire_and_mirror) -> None:
    wire, mirror = wire_and_mirror
    text = voa_paragraphs()
    serve_feed(
        mirror,
        [
            (
                "m1",
                TITLE,
                mirror.url("/2017/astana"),
                "".join(f"<p>{p}</p>" for p in text[:6]),
                "Mon, 23 Jan 2017 14:05:00 GMT",
            )
        ],
    )
    mirror.routes["/2017/astana"] = Route(
        page(TITLE, ["Subscribe to read this article. " * 3], "Mirror Daily")
    )
    feeds = [("Wire", wire.url("/feed.xml"), "false"), ("Mirror", mirror.url("/feed.xml"), "true")]
    [story] = run_config(write_config(tmp_path, feeds))
    assert {m["feed"]: m["relation"] for m in story["members"]} == {"Wire": "original", "Mirror": "teaser"}


def test_extract_drops_site_chrome_and_resolves_the_canonical_link() -> None:
    body = page(TITLE, voa_paragraphs(), "Mirror Daily", "/a/1")
    canonical, text = extract(body, "utf-8", "http://mirror.test/2017/astana")
    assert canonical == "http://mirror.test/a/1"
    assert text is not None
    assert "Kazakhstan" in text
    for chrome in ("Most read", "Weather for the weekend", "All rights reserved", "Sport"):
        assert chrome not in text
    xhtml = b'<?xml version="1.0" encoding="utf-8"?>' + body.replace(b"<!DOCTYPE html>", b"")
    assert extract(xhtml, "utf-8", "http://mirror.test/2017/astana") == (canonical, text)
    assert extract(b"", None, "http://x.test/") == (None, None)
    assert extract(b"<html><body><script>app()</script></body></html>", None, "http://x.test/")[1] is None


def article(link: str, body: str, truncated: bool = False) -> Article:
    a = Article("F", "k", "g", link, "T", NOW, body)
    normalize_article(a)
    a.truncated = a.truncated or truncated
    return a


def test_which_entries_want_their_page() -> None:
    http = FeedConfig("F", "https://f.test/rss")
    short = article("https://f.test/1", "A short summary of the story.")
    long = article("https://f.test/2", "word " * 200)
    teaser = article("https://f.test/3", "word " * 200 + "Read more")
    assert teaser.truncated
    assert wants_page(short, http) and wants_page(teaser, http) and not wants_page(long, http)
    assert wants_page(long, FeedConfig("F", "https://f.test/rss", full_text=True))
    assert not wants_page(short, FeedConfig("F", "https://f.test/rss", full_text=False))
    assert not wants_page(short, FeedConfig("F", "/srv/feeds/f.xml"))  # a feed file: offline, "auto" skips it
    assert wants_page(short, FeedConfig("F", "/srv/feeds/f.xml", full_text=True))
    assert not wants_page(article("urn:x:1", "Short."), FeedConfig("F", "https://f.test/rss", full_text=True))


def test_full_text_and_per_host_delay_config(tmp_path: Path) -> None:
    base = (
        '[[feeds]]\nname = "A"\nurl = "a.xml"\n{extra}\n'
        '[output]\nrss = "r"\natom = "a"\nreport = "c"\n[state]\npath = "s"\n'
    )
    path = tmp_path / "c.toml"
    path.write_text(base.format(extra=""), encoding="utf-8")
    config = load_config(path)
    assert config.feeds[0].full_text == "auto"
    assert config.fetch.per_host_delay == 1.0
    path.write_text(base.format(extra="full_text = true") + "[fetch]\nper_host_delay = 0\n", encoding="utf-8")
    config = load_config(path)
    assert config.feeds[0].full_text is True and config.fetch.per_host_delay == 0.0
    path.write_text(base.format(extra='full_text = "yes"'), encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"feeds\[0\]\.full_text: must be true, false or \"auto\", got 'yes'"
    ):
        load_config(path)
    path.write_text(base.format(extra="") + "[fetch]\nper_host_delay = -1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"fetch\.per_host_delay: must be >= 0"):
        load_config(path)


def test_failed_fetch_is_retried_later_only_when_retrying_can_help(tmp_path: Path, wire_and_mirror) -> None:
    wire, mirror = wire_and_mirror
    entry = ("m1", TITLE, mirror.url("/2017/astana"), "", "Mon, 23 Jan 2017 14:05:00 GMT")
    gone = ("m2", "Gone", mirror.url("/gone"), "", "Mon, 23 Jan 2017 15:00:00 GMT")
    serve_feed(mirror, [entry, gone])
    mirror.routes["/2017/astana"] = Route(b"busy", 503, {})
    feeds = [("Wire", wire.url("/feed.xml"), "false"), ("Mirror", mirror.url("/feed.xml"), '"auto"')]
    config = load_config(write_config(tmp_path, feeds))
    run(config, NOW)
    assert mirror.paths().count("/2017/astana") == 1 and mirror.paths().count("/gone") == 1
    # Both links come back under new guids: within the hour nothing is asked again; later only the 503.
    mirror.routes["/2017/astana"] = Route(page(TITLE, voa_paragraphs(), "Mirror Daily"))
    serve_feed(mirror, [entry, gone, ("m3", *entry[1:]), ("m4", *gone[1:])])
    run(config, NOW + timedelta(minutes=30))
    assert mirror.paths().count("/2017/astana") == 1
    # (m1..m4 stay listed: were they gone, m5 and m6 would be their re-keyed selves, not new entries)
    serve_feed(
        mirror, [entry, gone, ("m3", *entry[1:]), ("m4", *gone[1:]), ("m5", *entry[1:]), ("m6", *gone[1:])]
    )
    run(config, NOW + timedelta(hours=2))
    assert mirror.paths().count("/2017/astana") == 2 and mirror.paths().count("/gone") == 1
    [story] = [s for s in read_report(tmp_path / "out/clusters.jsonl") if len(s["members"]) > 1]
    assert {m["guid"]: m["relation"] for m in story["members"]} == {"w1": "original", "m5": "copy"}
