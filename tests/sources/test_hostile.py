"""Hostile and broken input: the feedparser corpus, entity bombs, XXE, garbage, HTML pages, truncated
feeds, wrong charsets, missing fields, duplicate GUIDs and active HTML. Each feed either gives entries
or a clear error naming the reason; the run goes on; nothing dangerous reaches the outputs."""

from __future__ import annotations

import os
import random
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import Config, FeedConfig, FetchConfig, parse_config
from pipeline.models import FeedHealth, FetchResult
from pipeline.runner import run
from pipeline.sources.xmlguard import defuse_dtd
from pipeline.stages.ingest import ingest
from tests.conftest import REPO, read_report
from tests.feedserver import FeedServer, Route, rss

NOW = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
STORY = (
    "The regional council met on Tuesday to discuss the repair of the northern bridge, which has "
    "been closed to heavy traffic since the spring floods damaged two of its supports."
)


def corpus_dir() -> Path | None:
    """../shared/corpora/feedparser next to the repository (or next to one of its parent folders)."""
    for folder in REPO.parents:
        candidate = folder / "shared" / "corpora" / "feedparser"
        if candidate.is_dir():
            return candidate
    return None


def ingest_files(paths: list[Path], **fetch: Any) -> list[FetchResult]:
    feeds = [FeedConfig(f"feed{n}", str(path)) for n, path in enumerate(paths)]
    return list(ingest(feeds, FetchConfig(**fetch), lambda _: FeedHealth(), NOW))


def ingest_bytes(tmp_path: Path, body: bytes, name: str = "feed.xml") -> FetchResult:
    path = tmp_path / name
    path.write_bytes(body)
    return ingest_files([path])[0]


def run_files(tmp_path: Path, feeds: dict[str, bytes]) -> tuple[Config, Any]:
    """A full run over the given feed files; returns the config and the run report."""
    (tmp_path / "in").mkdir(exist_ok=True)
    entries = []
    for name, body in feeds.items():
        path = tmp_path / "in" / f"{name}.xml"
        path.write_bytes(body)
        entries.append({"name": name, "url": str(path)})
    data = {
        "feeds": entries,
        "output": {"rss": "out/f.rss", "atom": "out/f.atom", "report": "out/r.jsonl"},
        "state": {"path": "state/s.sqlite"},
    }
    config = parse_config(data, tmp_path / "config.toml")
    return config, run(config, now=NOW)


def outputs_text(config: Config) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8") for p in (config.output.rss, config.output.atom, config.output.report)
    )


# -- the feedparser corpus ------------------------------------------------------------------------


def test_every_file_of_the_feedparser_corpus_gives_entries_or_a_clear_error() -> None:
    root = corpus_dir()
    if root is None:
        if os.environ.get("CI"):
            pytest.fail("../shared/corpora/feedparser is missing in CI")
        pytest.skip("../shared/corpora/feedparser not found next to the repository")
    paths = sorted(p for p in root.rglob("*") if p.is_file())
    assert len(paths) >= 2248
    results = ingest_files(paths, concurrency=2)
    assert [r.feed for r in results] == [f"feed{n}" for n in range(len(paths))]
    outcome: Counter[str] = Counter()
    unclear = []
    for path, result in zip(paths, results, strict=True):
        if result.articles:
            outcome["entries"] += 1
            assert result.ok
        elif result.error:
            outcome["error"] += 1
            # A clear error says what is wrong in words, not just an exception type.
            if len(result.error) < 20 or result.error.endswith(": "):
                unclear.append((path.name, result.error))
        elif "the feed has no entries" in result.warnings:
            outcome["empty feed"] += 1
        else:
            unclear.append((path.name, "no entries, no error and no warning"))
    assert unclear == []
    assert outcome["entries"] > 1000 and outcome["error"] > 100, outcome


# -- XML attacks ----------------------------------------------------------------------------------

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY lol "lol">\n'
    + b"".join(
        b'<!ENTITY lol%d "%s">\n' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
        for n in range(1, 10)
    )
    + b']>\n<rss version="2.0"><channel><title>&lol9;</title><item><guid>b1</guid>'
    + b"<title>&lol9;</title><description>&lol9; "
    + STORY.encode()
    + b"</description></item></channel></rss>"
)
QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "'
    + b"x" * 50_000
    + b'">]><rss version="2.0"><channel><title>q</title><item><guid>q1</guid><title>q</title>'
    + b"<description>"
    + b"&a;" * 50_000
    + b"</description></item></channel></rss>"
)


ONE_LINE_LAUGHS = BILLION_LAUGHS.replace(b"\n", b"")


@pytest.mark.parametrize(
    "body",
    [BILLION_LAUGHS, ONE_LINE_LAUGHS, BILLION_LAUGHS.decode().encode("utf-16"), QUADRATIC],
    ids=["billion-laughs", "one-line", "utf-16", "quadratic"],
)
def test_entity_expansion_bombs_are_not_expanded(tmp_path: Path, body: bytes) -> None:
    result = ingest_bytes(tmp_path, body)
    assert result.error or result.articles
    expanded = sum(len(a.raw_html) + len(a.title) for a in result.articles)
    assert expanded < 1_000_000
    assert "lollol" not in repr(result)


def test_dtd_is_defused_before_parsing(tmp_path: Path) -> None:
    result = ingest_bytes(tmp_path, ONE_LINE_LAUGHS)
    assert (
        "dropped 9 unsafe entity declaration(s) from the feed's DTD (external, parameter or nested "
        "entities are never expanded)" in result.warnings
    )


@pytest.mark.parametrize(
    ("before", "after", "dropped"),
    [
        (
            '<!DOCTYPE rss [<!ENTITY a "x"><!ENTITY b "&a;&a;">]><rss/>',
            '<!DOCTYPE rss [\n<!ENTITY a "x">\n]><rss/>',
            1,
        ),
        (
            '<!DOCTYPE rss SYSTEM "file:///etc/passwd"><rss/>',
            '<!DOCTYPE rss SYSTEM "file:///etc/passwd"><rss/>',
            0,
        ),
        ('<!DOCTYPE rss [<!-- a ] > --><!ENTITY x SYSTEM "file:///e">]><rss/>', "<!DOCTYPE rss><rss/>", 1),
        ("<!DOCTYPE rss [<!ENTITY % p SYSTEM 'x.dtd'> %p;]><rss/>", "<!DOCTYPE rss><rss/>", 1),
        ('<!DOCTYPE rss [<!ENTITY q "a]b">]><rss/>', '<!DOCTYPE rss [<!ENTITY q "a]b">]><rss/>', 0),
        (
            "<rss><!DOCTYPE x [<!ENTITY b SYSTEM 'f'>]></rss>",
            "<rss><!DOCTYPE x [<!ENTITY b SYSTEM 'f'>]></rss>",
            0,
        ),
        ('<!DOCTYPE rss [<!ENTITY b SYSTEM "f"', '<!DOCTYPE rss [<!ENTITY b SYSTEM "f"', 0),
    ],
)
def test_defuse_dtd_keeps_only_plain_text_entities(before: str, after: str, dropped: int) -> None:
    result = defuse_dtd(before.encode())
    assert (result.body.decode(), result.dropped) == (after, dropped)


def xxe_feeds(secret: Path) -> dict[str, bytes]:
    """Every way we know to make an XML parser read a local file."""
    uri = secret.as_uri()
    item = (
        "<item><guid>{g}</guid><title>{t} &xxe;</title><link>http://example.org/{g}</link>"
        "<description>" + STORY + " &xxe;</description></item>"
    )
    feeds = {}
    for name, decl in {
        "general": f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{uri}">]>',
        "plain-path": f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{secret}">]>',
        "public": f'<!DOCTYPE rss [<!ENTITY xxe PUBLIC "-//X//Y" "{uri}">]>',
        "parameter": f'<!DOCTYPE rss [<!ENTITY % p SYSTEM "{uri}"> %p; <!ENTITY xxe "x">]>',
        "external-dtd": f'<!DOCTYPE rss SYSTEM "{uri}">',
    }.items():
        body = (
            f'<?xml version="1.0"?>\n{decl}\n<rss version="2.0"><channel><title>X &xxe;</title>'
            + item.format(g=name, t=name)
            + "</channel></rss>"
        )
        feeds[f"xxe-{name}"] = body.encode()
    return feeds


def test_external_entities_never_read_the_local_disk(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("XXE-CANARY-7f3a", encoding="utf-8")
    config, report = run_files(tmp_path, xxe_feeds(secret))
    assert report.feeds_ok + report.feeds_failed == 5
    assert "XXE-CANARY" not in outputs_text(config)
    results = ingest_files(sorted((tmp_path / "in").glob("*.xml")))
    for result in results:
        for article in result.articles:
            assert "XXE-CANARY" not in article.raw_html + article.title + article.link


# -- broken bytes ---------------------------------------------------------------------------------


def test_binary_garbage_is_a_clear_error(tmp_path: Path) -> None:
    garbage = random.Random(4).randbytes(200_000)
    result = ingest_bytes(tmp_path, garbage)
    assert result.error is not None and result.error.startswith("not a usable feed: ")
    assert not result.articles


def test_html_page_served_instead_of_a_feed(tmp_path: Path) -> None:
    page = b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Welcome</p></body></html>"
    with FeedServer() as server:
        server.routes["/news"] = Route(body=page, content_type="text/html; charset=utf-8")
        feed = FeedConfig("Site", server.url("/news"))
        result = next(iter(ingest([feed], FetchConfig(), lambda _: FeedHealth(), NOW)))
    assert result.error is not None
    assert result.error.startswith("got an HTML page, not an RSS or Atom feed (check the feed's url")
    assert ingest_bytes(tmp_path, page, "page.html").error == result.error


def test_truncated_feed_keeps_the_complete_entries_with_a_warning(tmp_path: Path) -> None:
    whole = rss(("t1", "One", STORY), ("t2", "Two", "Second " + STORY), ("t3", "Three", "Third " + STORY))
    cut = whole[: whole.index(b"<guid>t3</guid>") + 30]
    result = ingest_bytes(tmp_path, cut)
    assert result.ok
    assert [a.guid for a in result.articles][:2] == ["t1", "t2"]
    assert any(w.startswith("feed is not well-formed, using its") for w in result.warnings)


@pytest.mark.parametrize(
    ("declared", "encoding"),
    [("utf-8", "latin-1"), ("iso-8859-1", "utf-8")],
    ids=["utf8-declared-latin1-sent", "latin1-declared-utf8-sent"],
)
def test_wrong_declared_charset_still_gives_readable_text(
    tmp_path: Path, declared: str, encoding: str
) -> None:
    text = "Le café est très bon à Zürich, où le conseil régional a discuté du pont du nord hier."
    body = (
        f'<?xml version="1.0" encoding="{declared}"?><rss version="2.0"><channel><title>c</title>'
        f"<item><guid>c1</guid><title>Café crème</title><description>{text}</description></item>"
        "</channel></rss>"
    ).encode(encoding)
    config, report = run_files(tmp_path, {"Charset": body})
    assert report.feeds_ok == 1 and report.entries_new == 1
    out = config.output.rss.read_text(encoding="utf-8")
    assert "Café crème" in out and "Zürich" in out
    assert "Ã©" not in out


def test_missing_dates_links_and_guids(tmp_path: Path) -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>m</title>'
        b"<item><title>No guid, no link, no date</title><description>"
        + STORY.encode()
        + b"</description></item>"
        b"<item><description>Only a description: " + STORY.encode() + b"</description></item>"
        b"</channel></rss>"
    )
    result = ingest_bytes(tmp_path, body)
    assert result.ok and len(result.articles) == 2
    for article in result.articles:
        assert article.entry_key.startswith("text:") and not article.dated and article.link == ""
        assert article.published == NOW
    config, report = run_files(tmp_path, {"Bare": body})
    assert report.entries_new == 2
    # The two entries tell the same story: one story, two members, each stored once.
    assert sorted(len(story["members"]) for story in read_report(config.output.report)) == [2]
    # A second run recognises the same entries by their content hash: nothing duplicated. (The
    # file's bytes change, so it is parsed again rather than skipped as unchanged.)
    feed_file = tmp_path / "in" / "Bare.xml"
    feed_file.write_bytes(feed_file.read_bytes() + b"\n")
    again = run(config, now=NOW)
    assert again.entries_new == 0 and again.entries_known == 2


def test_duplicate_guids_within_a_feed_are_distinct_articles(tmp_path: Path) -> None:
    body = rss(("d1", "First", STORY), ("d1", "Again", "Other text " + STORY), ("d1", "Third", "x"))
    result = ingest_bytes(tmp_path, body)
    assert [a.title for a in result.articles] == ["First", "Again", "Third"]
    assert len({a.entry_key for a in result.articles}) == 3
    assert result.warnings == [
        "3 entries share their id (GUID, or link without a GUID) with another entry: "
        "kept each as a distinct article, told apart by link, title or text"
    ]


# -- active content -------------------------------------------------------------------------------

ACTIVE_RSS = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Evil &lt;script&gt;x()&lt;/script&gt;</title>'
    "<link>javascript:alert(0)</link>"
    "<item><guid>e1</guid><title>Council &lt;script&gt;alert(1)&lt;/script&gt; meets</title>"
    "<link>javascript:alert(document.cookie)</link>"
    "<description><![CDATA[<p>" + STORY + "</p><script>alert('x')</script>"
    '<iframe src="http://evil.example/"></iframe><img src="x.png" onerror="alert(1)">'
    '<a href="javascript:alert(2)">click here</a><p onclick="steal()">The vote is next week.</p>'
    '<svg onload="alert(3)"></svg><object data="x.swf"></object>]]></description></item>'
    "</channel></rss>"
).encode()
ACTIVE_ATOM = (
    b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
    b"<title>Atom evil</title><id>urn:x</id><updated>2024-01-01T00:00:00Z</updated>"
    b'<entry><id>urn:e2</id><title type="html">Harbour &lt;iframe src=x&gt;&lt;/iframe&gt; reopens</title>'
    b'<link href="javascript:alert(4)"/><updated>2024-01-01T00:00:00Z</updated>'
    b'<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>The harbour reopened on Monday '
    b"after three weeks of dredging, and the first ferries arrived full of visitors from the coast.</p>"
    b'<script>alert(5)</script><img src="y" onerror="alert(6)"/><a href="JaVaScRiPt:alert(7)">x</a>'
    b"</div></content></entry></feed>"
)
FORBIDDEN = (
    "<script",
    "&lt;script",
    "script>",
    "<iframe",
    "&lt;iframe",
    "onerror",
    "onload",
    "onclick",
    "javascript:",
    "alert(",
)


def test_scripts_iframes_handlers_and_javascript_urls_never_reach_the_outputs(tmp_path: Path) -> None:
    config, report = run_files(tmp_path, {"Evil": ACTIVE_RSS, "AtomEvil": ACTIVE_ATOM})
    assert report.feeds_ok == 2 and report.entries_new == 2
    text = outputs_text(config).lower()
    found = [word for word in FORBIDDEN if word in text]
    assert found == []
    # The harmless text survives.
    assert "regional council met on tuesday" in text and "harbour reopened on monday" in text
    assert "council meets" in text and "harbour reopens" in text


def test_huge_and_hostile_feeds_beside_good_ones_in_one_run(tmp_path: Path) -> None:
    with FeedServer() as server:
        server.routes["/good"] = Route(body=rss(("g1", "Good", STORY)))
        server.routes["/huge"] = Route(stream_bytes=300 * 1024 * 1024)
        server.routes["/garbage"] = Route(body=random.Random(1).randbytes(50_000))
        server.routes["/reset"] = Route(reset=True)
        data = {
            "feeds": [{"name": p.strip("/"), "url": server.url(p)} for p in server.routes],
            "output": {"rss": "out/f.rss", "atom": "out/f.atom", "report": "out/r.jsonl"},
            "state": {"path": "state/s.sqlite"},
        }
        config = parse_config(data, tmp_path / "config.toml")
        report = run(config, now=NOW)
    assert report.feeds_ok == 1 and report.feeds_failed == 3 and report.entries_new == 1
    assert [f.split(":")[0] for f in report.failures] == ["huge", "garbage", "reset"]
    assert len(read_report(config.output.report)) == 1
