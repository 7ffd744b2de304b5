"""Issue 22 on the real CLI, on inputs written here: each kind beyond its shared case.

Kind 1 (an item repeated in one feed), 2 (the field with the most text), 3 (surrogate references),
4 (a mojibake reprint still matches its original), 5 (campaign parameters and AMP links name one
page), 6 (aggregator items join the outlet's own entry, in either order and across runs), 7 (JSON
Feed, gzip twice, an HTML page naming its feed) and 8 (a re-keyed entry whose title was corrected
is updated in place). The store-facing kinds (5, 6, 8) run on SQLite and on Redis.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.models import Article, StoredEntry
from pipeline.store.sqlite import State
from pipeline.text.identity import URL_KEY_VERSION, content_hash, resolve, text_hash, url_key
from tests.conftest import read_report
from tests.feedserver import FeedServer, Route
from tests.stages.test_feeds_in_the_wild_identity import (
    LONG_A,
    LONG_B,
    LONG_C,
    atom_entries,
    backend,
    run,
    use_backend,
    write_config,
)

__all__ = ["backend"]  # the fixture, imported for its use here

NS = (
    'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/"'
)


def item(
    title: str, link: str, text: str, date: str = "Wed, 05 Nov 2025 07:00:00 +0000", **extra: str
) -> str:
    guid = extra.pop("guid", link)
    fields = "".join(extra.values())
    return (
        f"<item><title>{title}</title><link>{link}</link><guid isPermaLink='false'>{guid}</guid>"
        f"<pubDate>{date}</pubDate><description><![CDATA[{text}]]></description>{fields}</item>"
    )


def feed(folder: Path, file: str, title: str, *items: str, site: str = "") -> None:
    site = site or f"https://{title.lower().replace(' ', '-')}.example/"
    (folder / "feeds" / file).write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" {NS}><channel><title>{title}</title>'
        f"<link>{site}</link><description>d</description>{''.join(items)}</channel></rss>",
        encoding="utf-8",
    )


def report(folder: Path) -> list[dict]:
    return read_report(folder / "out/clusters.jsonl")


def story_of(folder: Path, link: str) -> dict:
    [found] = [s for s in report(folder) if any(m["link"] == link for m in s["members"])]
    return found


def feeds_of(story: dict) -> list[str]:
    return sorted(m["feed"] for m in story["members"])


def published_links(folder: Path) -> list[str]:
    """Every link a reader can follow in the outputs (item links and the links in item HTML)."""
    text = "".join((folder / "out" / name).read_text(encoding="utf-8") for name in ("feed.rss", "feed.atom"))
    items = json.loads((folder / "out/feed.json").read_text(encoding="utf-8"))["items"]
    return [text] + [json.dumps(i) for i in items] + [s["canonical"] for s in report(folder)]


# -- kind 1 ----------------------------------------------------------------------------------------------


def test_items_repeated_in_one_feed_are_one_entry_each(tmp_path: Path, cli) -> None:
    write_config(tmp_path, {"Harbour Herald": "herald.xml"})
    ferry = item("Night ferries", "https://harbour-herald.example/ferry", LONG_A)
    ferry_again = item(
        "Night ferries", "https://harbour-herald.example/ferry/", LONG_A, date="Wed, 05 Nov 2025 09:00:00 GMT"
    )
    fountain = item("Fountain repaired", "https://harbour-herald.example/fountain", "<p>Works again.</p>")
    feed(tmp_path, "herald.xml", "Harbour Herald", ferry, fountain, ferry_again, fountain)
    result = run(cli, tmp_path)
    assert "2 new entries" in result.out
    assert [len(s["members"]) for s in report(tmp_path)] == [1, 1]
    assert "(copy)" not in (tmp_path / "out/feed.rss").read_text(encoding="utf-8")
    assert "2 new entries" not in run(cli, tmp_path).out  # nothing new the second time


# -- kind 2 ----------------------------------------------------------------------------------------------


def test_podcast_description_is_compared_not_its_one_line_summary(tmp_path: Path, cli) -> None:
    write_config(tmp_path, {"City Radio": "radio.xml", "Metro Digest": "digest.xml"})
    episode = item(
        "Flood barrier",
        "https://city-radio.example/ep/1",
        LONG_A,
        image='<content:encoded><![CDATA[<p><img src="https://city-radio.example/c.jpg"/></p>]]></content:encoded>',
        summary="<itunes:summary>Our reporter on the barrier.</itunes:summary>",
    )
    feed(tmp_path, "radio.xml", "City Radio", episode)
    copy = item(
        "Barrier approved", "https://metro-digest.example/a/1", LONG_A, date="Wed, 05 Nov 2025 12:00:00 GMT"
    )
    feed(tmp_path, "digest.xml", "Metro Digest", copy)
    run(cli, tmp_path)
    [story] = report(tmp_path)
    assert feeds_of(story) == ["City Radio", "Metro Digest"]
    assert story["credited_source"] == "City Radio"
    assert story["canonical"] == "https://city-radio.example/ep/1"


# -- kinds 3 and 4 -----------------------------------------------------------------------------------------


def test_surrogate_references_keep_the_feed_and_its_copy_merges(tmp_path: Path, cli) -> None:
    write_config(tmp_path, {"City Times": "times.xml", "Metro Digest": "digest.xml"})
    feed(
        tmp_path,
        "times.xml",
        "City Times",
        item(
            "Library &#xD83D;&#xDCDA; opens",
            "https://city-times.example/lib",
            LONG_C + "<p>Lone &#55296;.</p>",
        ),
    )
    copy = item(
        "Library opens", "https://metro-digest.example/9", LONG_C, date="Wed, 05 Nov 2025 12:00:00 GMT"
    )
    feed(tmp_path, "digest.xml", "Metro Digest", copy)
    result = run(cli, tmp_path)
    assert "failed" not in result.err
    [story] = report(tmp_path)
    assert story["title"] == "Library \U0001f4da opens"
    assert feeds_of(story) == ["City Times", "Metro Digest"] and story["credited_source"] == "City Times"


RUSSIAN = (
    "<p>Городской совет во вторник одобрил строительство дамбы вдоль восточной набережной, завершив "
    "двухлетний спор о том, как защитить низменные районы от штормовых нагонов. Я, с, э: ещё раз.</p>"
    "<p>Строительство барьера из подвижных ворот и земляных валов обойдётся примерно в 410 миллионов "
    "и займёт шесть лет, сообщили инженеры совету на заседании в понедельник вечером.</p>"
)


@pytest.mark.parametrize("codec", ["latin-1", "sloppy-cp1252"])
def test_a_mojibake_reprint_with_invisible_characters_is_a_copy_of_its_original(
    tmp_path: Path, cli, codec: str
) -> None:
    """The reprint's UTF-8 was read as Latin-1 (or Windows-1252) somewhere on its way, and its words
    carry soft hyphens and zero-width spaces: it is still the same text as the original."""
    data = RUSSIAN.replace("строительство", "строи\u00adтель\u200bство").encode("utf-8")
    if codec == "latin-1":
        broken = data.decode("latin-1")
    else:
        broken = "".join(
            chr(b) if b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([b]).decode("cp1252") for b in data
        )
    write_config(tmp_path, {"Primorsk Vesti": "vesti.xml", "Coast Digest": "digest.xml"})
    feed(
        tmp_path,
        "vesti.xml",
        "Primorsk Vesti",
        item("Совет одобрил дамбу", "https://vesti.example/1", RUSSIAN),
    )
    reprint = item(
        "Сове\u00adт одобрил дамбу",
        "https://coast-digest.example/7",
        broken,
        date="Wed, 05 Nov 2025 12:00:00 GMT",
    )
    feed(tmp_path, "digest.xml", "Coast Digest", reprint)
    run(cli, tmp_path)
    [story] = report(tmp_path)
    assert feeds_of(story) == ["Coast Digest", "Primorsk Vesti"]
    assert {m["relation"] for m in story["members"]} == {"original", "copy"}
    assert story["credited_source"] == "Primorsk Vesti"
    assert story["title"] == "Совет одобрил дамбу"  # invisible characters gone from the title


# -- kind 5 ----------------------------------------------------------------------------------------------

PAIRS = [
    ("https://city-times.example/a/1/?cmpid=rss", "https://city-times.example/a/1/?CMP=twt_gu&ito=1"),
    ("https://city-times.example/a/2", "https://amp.city-times.example/a/2"),
    ("https://city-times.example/news/3", "https://city-times.example/news/amp/3"),
    ("https://city-times.example/a/4.html", "https://city-times.example/a/4.amp.html?ocid=msn"),
    ("https://city-times.example/a/5", "https://city-times.example/a/5?outputType=amp&mc_cid=1&mc_eid=2"),
    (
        "https://city-times.example/a/6",
        "https://www-city-times-example.cdn.ampproject.org/c/s/city-times.example/a/6",
    ),
]


def test_campaign_parameters_and_amp_links_name_one_page(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, cli
) -> None:
    """Two feeds of one outlet, different GUIDs, one-line texts (too short to compare): the links alone
    say each pair is one article."""
    config = write_config(tmp_path, {"City Times": "front.xml", "City Times Mobile": "mobile.xml"})
    use_backend(request, backend, config)
    front = [item(f"Story {n}", a, f"<p>Line {n}.</p>", guid=f"f-{n}") for n, (a, _) in enumerate(PAIRS)]
    mobile = [item(f"Story {n}", b, f"<p>Line {n}.</p>", guid=f"m-{n}") for n, (_, b) in enumerate(PAIRS)]
    feed(tmp_path, "front.xml", "City Times", *front, site="https://city-times.example/")
    feed(tmp_path, "mobile.xml", "City Times Mobile", *mobile, site="https://city-times.example/")
    run(cli, tmp_path)
    stories = report(tmp_path)
    assert len(stories) == len(PAIRS)
    assert all(feeds_of(s) == ["City Times", "City Times Mobile"] for s in stories)


def test_stored_link_keys_are_made_again_for_a_new_url_key(tmp_path: Path, cli) -> None:
    """A state written by an older url_key (which kept ?ncid=) has its link keys recomputed on open."""
    config = write_config(tmp_path, {"City Times": "front.xml"})
    link = "https://city-times.example/a/1/?ncid=rss"
    feed(tmp_path, "front.xml", "City Times", item("One", link, "<p>Line.</p>", guid="f-1"))
    run(cli, config.parent)
    db = sqlite3.connect(tmp_path / "state/syndedup.sqlite")
    with db:
        db.execute("UPDATE articles SET link_key='//city-times.example/a/1?ncid=rss'")
        db.execute("UPDATE meta SET value='1' WHERE key='url_key_version'")
    db.close()
    State(tmp_path / "state/syndedup.sqlite").close()
    db = sqlite3.connect(tmp_path / "state/syndedup.sqlite")
    assert db.execute("SELECT link_key FROM articles").fetchall() == [("//city-times.example/a/1",)]
    assert db.execute("SELECT value FROM meta WHERE key='url_key_version'").fetchone() == (
        str(URL_KEY_VERSION),
    )
    db.close()


# -- kind 6 ----------------------------------------------------------------------------------------------

OUTLET = "https://city-times.example/library-sundays"
REDIRECT = "https://news.search.example/rss/articles/CBMiQ2h0dHBz?oc=5"


def relayed(
    title: str, link: str = REDIRECT, date: str = "Wed, 05 Nov 2025 07:40:00 GMT", **source: str
) -> str:
    name, url = source.get("name", "City Times"), source.get("url", "https://city-times.example")
    element = f'<source url="{url}">{name}</source>' if url else f"<source>{name}</source>"
    text = f'&lt;a href="{link}"&gt;{title}&lt;/a&gt; {name}'
    return (
        f"<item><title>{title}</title><link>{link}</link><guid isPermaLink='false'>{link[-20:]}</guid>"
        f"<pubDate>{date}</pubDate><description>{text}</description>{element}</item>"
    )


def aggregator_case(folder: Path, request: pytest.FixtureRequest, backend: str, aliases: str = "") -> None:
    config = write_config(folder, {"City Times": "times.xml", "News Search": "search.xml"})
    if aliases:
        config.write_text(config.read_text(encoding="utf-8") + aliases, encoding="utf-8")
    use_backend(request, backend, config)


def outlet_entry(date: str = "Wed, 05 Nov 2025 07:00:00 +0000") -> str:
    return item("City library reopens on Sundays", OUTLET, LONG_C, date=date)


def assert_joined(folder: Path) -> None:
    story = story_of(folder, OUTLET)
    assert feeds_of(story) == ["City Times", "News Search"]
    assert story["credited_source"] == "City Times" and story["canonical"] == OUTLET
    assert story["title"] == "City library reopens on Sundays"
    assert all(REDIRECT not in text for text in published_links(folder))


@pytest.mark.parametrize(
    "suffix", [" - City Times", " | City Times", " — The City Times", " - city-times.example"]
)
def test_aggregator_item_published_before_the_outlet_joins_it(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, cli, suffix: str
) -> None:
    """One run; the aggregator's date is the earlier one, so it is deduplicated first."""
    aggregator_case(tmp_path, request, backend)
    feed(tmp_path, "times.xml", "City Times", outlet_entry("Wed, 05 Nov 2025 09:00:00 +0000"))
    aggregator_item = relayed(
        f"City library reopens on Sundays{suffix}", date="Wed, 05 Nov 2025 08:00:00 GMT"
    )
    feed(tmp_path, "search.xml", "News Search", aggregator_item)
    run(cli, tmp_path)
    assert len(report(tmp_path)) == 1
    assert_joined(tmp_path)


def test_aggregator_item_in_a_later_run_joins_the_stored_outlet_entry(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, cli
) -> None:
    aggregator_case(tmp_path, request, backend)
    feed(tmp_path, "times.xml", "City Times", outlet_entry())
    feed(tmp_path, "search.xml", "News Search")
    run(cli, tmp_path)
    feed(tmp_path, "times.xml", "City Times")  # the outlet's entry has left its feed: found stored
    feed(tmp_path, "search.xml", "News Search", relayed("City library reopens on Sundays - City Times"))
    run(cli, tmp_path)
    assert len(report(tmp_path)) == 1
    assert_joined(tmp_path)


def test_outlet_entry_in_a_later_run_joins_the_stored_aggregator_item(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, cli
) -> None:
    """The aggregator found the article before the outlet's feed listed it: the stored item takes the
    outlet's link when it appears, and the outlet's entry joins its story."""
    aggregator_case(tmp_path, request, backend)
    feed(tmp_path, "times.xml", "City Times")
    feed(tmp_path, "search.xml", "News Search", relayed("City library reopens on Sundays - City Times"))
    run(cli, tmp_path)
    [alone] = report(tmp_path)
    feed(tmp_path, "times.xml", "City Times", outlet_entry())
    run(cli, tmp_path)
    [story] = report(tmp_path)
    assert story["story"] == alone["story"]  # the item keeps its GUID
    assert_joined(tmp_path)


def test_aggregator_source_named_by_an_alias_and_without_url(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, cli
) -> None:
    aggregator_case(tmp_path, request, backend, '\n[attribution.aliases]\n"City Times" = ["CT Online"]\n')
    feed(tmp_path, "times.xml", "City Times", outlet_entry())
    feed(
        tmp_path,
        "search.xml",
        "News Search",
        relayed("City library reopens on Sundays - CT Online", name="CT Online", url=""),
    )
    run(cli, tmp_path)
    assert len(report(tmp_path)) == 1
    assert_joined(tmp_path)


def test_aggregator_item_of_an_outlet_not_configured(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, cli
) -> None:
    """Credited to the outlet its <source> names, titled without the suffix, linked as it is; an
    unrelated headline of the configured outlet is not joined."""
    aggregator_case(tmp_path, request, backend)
    feed(tmp_path, "times.xml", "City Times", outlet_entry())
    feed(
        tmp_path,
        "search.xml",
        "News Search",
        relayed(
            "Frost halves the apple harvest - Valley Courier",
            name="Valley Courier",
            url="https://valley-courier.example",
        ),
        relayed("A different story - City Times", link="https://news.search.example/rss/articles/XYZ"),
    )
    run(cli, tmp_path)
    stories = {s["title"]: s for s in report(tmp_path)}
    assert set(stories) == {
        "City library reopens on Sundays",
        "Frost halves the apple harvest",
        "A different story",
    }
    frost = stories["Frost halves the apple harvest"]
    assert frost["credited_source"] == "Valley Courier" and frost["canonical"] == REDIRECT
    assert stories["A different story"]["credited_source"] == "City Times"
    assert feeds_of(stories["City library reopens on Sundays"]) == ["City Times"]


# -- kind 7 ----------------------------------------------------------------------------------------------


BAKERY_TEXT = (
    "A family bakery that has operated on Mill Street for ninety years will close at the end of the "
    "month because the owners could not find anyone to take it over, the founder's granddaughter said."
    "\n\nThe shop is known across the district for its rye loaves and poppy seed rolls, and queues "
    "form outside its door every Saturday morning."
)


def test_a_json_feed_1_0_and_its_xml_reprint(tmp_path: Path, cli) -> None:
    config = write_config(tmp_path, {"City Times": "times.json", "Metro Digest": "digest.xml"})
    (tmp_path / "feeds" / "times.json").write_text(
        json.dumps(
            {
                "version": "https://jsonfeed.org/version/1",
                "title": "City Times",
                "home_page_url": "https://city-times.example/",
                "author": {"name": "City Times desk"},
                "items": [
                    {
                        "id": "ct-1",
                        "url": "https://city-times.example/bakery",
                        "title": "Bakery to close",
                        "content_text": BAKERY_TEXT,
                        "date_published": "2025-11-05T07:00:00Z",
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    feed(
        tmp_path,
        "digest.xml",
        "Metro Digest",
        item("Bakery closes", "https://metro-digest.example/b", LONG_B, date="Wed, 05 Nov 2025 12:00:00 GMT"),
    )
    run(cli, config.parent)
    [story] = report(tmp_path)
    assert feeds_of(story) == ["City Times", "Metro Digest"]
    assert (
        story["credited_source"] == "City Times" and story["canonical"] == "https://city-times.example/bakery"
    )


def test_a_feed_file_gzipped_twice(tmp_path: Path, cli) -> None:
    write_config(tmp_path, {"County Roads": "roads.xml.gz"})
    feed(tmp_path, "roads.xml", "County Roads", item("Bridge", "https://county-roads.example/b", LONG_A))
    raw = (tmp_path / "feeds/roads.xml").read_bytes()
    (tmp_path / "feeds/roads.xml.gz").write_bytes(gzip.compress(gzip.compress(raw)))
    result = run(cli, tmp_path)
    assert "1 new entry" in result.out and "twice" in result.err


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv


def test_a_configured_home_page_is_followed_to_its_feed(tmp_path: Path, cli, server: FeedServer) -> None:
    body = (
        '<!doctype html><html><head><link rel="alternate" type="application/atom+xml" href="/feed.atom">'
        "</head><body>Home</body></html>"
    )
    atom = (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Hill</title><id>h</id>'
        "<updated>2025-11-05T07:00:00Z</updated><entry><id>h-1</id><title>Barrier</title>"
        f'<updated>2025-11-05T07:00:00Z</updated><link href="https://hill.example/1"/><content type="html">'
        f"{LONG_A.replace('<', '&lt;')}</content></entry></feed>"
    )
    server.routes["/"] = Route(body=body.encode(), content_type="text/html; charset=utf-8")
    server.routes["/feed.atom"] = Route(body=atom.encode(), content_type="application/atom+xml")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[feeds]]\nname = "Hill"\nurl = "{server.url("/")}"\nfull_text = false\n'
        '[output]\nrss = "out/feed.rss"\natom = "out/feed.atom"\nreport = "out/clusters.jsonl"\n'
        '[state]\npath = "state/syndedup.sqlite"\n',
        encoding="utf-8",
    )
    result = run(cli, tmp_path)
    assert "1 new entry" in result.out
    assert server.url("/feed.atom") in result.err and "config.toml" in result.err
    assert [e["title"] for e in atom_entries(tmp_path)] == ["Barrier"]


# -- kind 8 ----------------------------------------------------------------------------------------------


def test_a_slug_and_title_corrected_together_update_the_entry_in_place(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, cli
) -> None:
    config = write_config(tmp_path, {"Capital Times": "capital.xml"})
    use_backend(request, backend, config)
    wrong = "https://capital-times.example/2025/11/libary-stays-opne-late"
    right = "https://capital-times.example/2025/11/library-stays-open-late"
    feed(tmp_path, "capital.xml", "Capital Times", item("Libary stays opne late", wrong, LONG_C))
    run(cli, tmp_path)
    [before] = atom_entries(tmp_path)
    feed(tmp_path, "capital.xml", "Capital Times", item("Library stays open late", right, LONG_C))
    result = run(cli, tmp_path)
    assert "0 new entries, 1 updated in place" in result.out
    [after] = atom_entries(tmp_path)
    assert (after["id"], after["title"], after["link"]) == (before["id"], "Library stays open late", right)
    [story] = report(tmp_path)
    assert [(m["feed"], m["relation"], m["link"]) for m in story["members"]] == [
        ("Capital Times", "original", right)
    ]
    assert "updated in place" not in run(cli, tmp_path).out  # and it stays so


def test_a_corrected_headline_repeated_in_the_text_still_matches(tmp_path: Path, cli) -> None:
    """The text starts with the headline, which was corrected with the title and the slug."""
    write_config(tmp_path, {"Capital Times": "capital.xml"})
    wrong, right = "Bakery to clsoe", "Bakery to close"
    feed(
        tmp_path,
        "capital.xml",
        "Capital Times",
        item(wrong, "https://capital-times.example/clsoe", f"<p>{wrong}</p>{LONG_B}"),
    )
    run(cli, tmp_path)
    feed(
        tmp_path,
        "capital.xml",
        "Capital Times",
        item(right, "https://capital-times.example/close", f"<p>{right}</p>{LONG_B}"),
    )
    assert "0 new entries, 1 updated in place" in run(cli, tmp_path).out
    assert [e["title"] for e in atom_entries(tmp_path)] == [right]


def test_a_new_article_with_the_text_of_an_entry_still_listed_is_new(tmp_path: Path, cli) -> None:
    """Only an entry gone from the feed can have been re-keyed: the same text under a new key while the
    old entry is still there is another entry (deduplicated as such)."""
    write_config(tmp_path, {"Capital Times": "capital.xml"})
    first = item("Library stays open late", "https://capital-times.example/a", LONG_C)
    feed(tmp_path, "capital.xml", "Capital Times", first)
    run(cli, tmp_path)
    second = item("Library hours extended", "https://capital-times.example/b", LONG_C)
    feed(tmp_path, "capital.xml", "Capital Times", first, second)
    assert "1 new entry" in run(cli, tmp_path).out


def stored(entry_id: int, key: str, title: str, html: str) -> StoredEntry:
    return StoredEntry(
        entry_id,
        key,
        key,
        url_key(key) or "",
        title,
        content_hash(title, html),
        f"s{entry_id}",
        text_hash(title, html),
    )


def incoming(key: str, title: str, html: str) -> Article:
    from datetime import UTC, datetime

    return Article(
        feed="F",
        entry_key=url_key(key) or key,
        guid=key,
        link=key,
        title=title,
        published=datetime(2025, 11, 5, tzinfo=UTC),
        raw_html=html,
        content_hash=content_hash(title, html),
        text_hash=text_hash(title, html),
    )


def test_resolve_matches_a_re_keyed_entry_by_its_text_alone() -> None:
    old = stored(1, "https://x.example/libary", "Libary", LONG_C)
    new = incoming("https://x.example/library", "Library", LONG_C)
    found = resolve([new], [old], lambda _: LONG_C)
    assert [(a.link, e.id) for a, e in found.text] == [("https://x.example/library", 1)] and not found.new


def test_resolve_text_alone_needs_one_candidate_each_side_and_a_long_text() -> None:
    twins = [stored(1, "https://x.example/a", "A", LONG_C), stored(2, "https://x.example/b", "B", LONG_C)]
    assert len(resolve([incoming("https://x.example/c", "C", LONG_C)], twins, lambda _: "").new) == 1
    both = [incoming("https://x.example/c", "C", LONG_C), incoming("https://x.example/d", "D", LONG_C)]
    assert len(resolve(both, twins[:1], lambda _: "").new) == 2
    short = "<p>Watch the video.</p>"
    assert text_hash("E", short) == ""
    assert (
        len(
            resolve(
                [incoming("https://x.example/e", "E", short)],
                [stored(3, "https://x.example/f", "F", short)],
                lambda _: "",
            ).new
        )
        == 1
    )
