"""Issue 22, parse and fetch side: inputs of each kind written here, beyond the shared cases.

Kind 1 (an item repeated in one feed), kind 2 (which field is the entry's text), kind 3 (character
references to UTF-16 surrogates), kind 4 (mojibake repaired before control characters go; invisible
format characters), kind 6 (an item's <source> and its title suffix) and kind 7 (gzip whatever the
label says, JSON Feed 1.0 and 1.1, HTML pages that name their feed). Link identity (kind 5) and the
kinds that touch stored entries (6, 8) are in tests/stages/test_wild_identity_3.py.
"""

from __future__ import annotations

import gzip
import itertools
import json
import re
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.config import FeedConfig
from pipeline.models import FetchResult
from pipeline.sources.fetch import RawFeed, read_file
from pipeline.sources.parse import parse_feed
from pipeline.text.aggregator import same_headline
from pipeline.text.article import normalize_article
from pipeline.text.clean import clean_line, strip_invisible, surrogate_charrefs
from pipeline.text.identity import url_key
from pipeline.text.tokens import tokenize
from tests.feedserver import FeedServer, Route
from tests.sources.test_fetch import fetch_one

NOW = datetime(2025, 11, 6, 12, 0, tzinfo=UTC)
FULL = (
    "<p>The city library will open its reading rooms on Sundays from the first weekend of spring, the "
    "council announced, reversing a decision taken four years ago to close the building at weekends.</p>"
    "<p>Volunteers will staff the information desk, while two new librarians will run the archive.</p>"
)
FULL_TEXT_START = "The city library will open its reading rooms on Sundays"
NS = (
    'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:media="http://search.yahoo.com/mrss/" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"'
)


def parse(body: bytes | str, headers: dict[str, str] | None = None) -> FetchResult:
    data = body.encode("utf-8") if isinstance(body, str) else body
    result = FetchResult(feed="Wild", url="wild.xml")
    parse_feed(RawFeed(data, headers or {}), FeedConfig("Wild", "wild.xml"), NOW, result)
    return result


def rss(*items: str) -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {NS}><channel><title>Wild</title>'
        f"<link>https://wild.example/</link>{''.join(items)}</channel></rss>"
    )


def item(*fields: str, guid: str = "w-1", title: str = "Library opens on Sundays", link: str = "") -> str:
    parts = f"<title>{title}</title><guid isPermaLink='false'>{guid}</guid>"
    parts += f"<link>{link or 'https://wild.example/' + guid}</link>"
    parts += "<pubDate>Wed, 05 Nov 2025 07:00:00 +0000</pubDate>"
    return f"<item>{parts}{''.join(fields)}</item>"


def normalized(result: FetchResult) -> list[str]:
    for article in result.articles:
        normalize_article(article)
    return [a.text for a in result.articles]


# -- kind 1: the same item twice in one feed -------------------------------------------------------


def test_byte_identical_items_are_read_once_with_one_warning() -> None:
    twice = item(f"<description><![CDATA[{FULL}]]></description>")
    other = item("<description>Other text entirely.</description>", guid="w-2", title="Other")
    result = parse(rss(twice, other, twice, other))
    assert [a.entry_key for a in result.articles] == ["w-1", "w-2"]
    assert len([w for w in result.warnings if "repeat" in w]) == 1
    assert not any("share their id" in w for w in result.warnings)


def test_same_id_and_content_with_other_date_or_order_is_one_entry() -> None:
    """A repeat need not be byte-identical: same GUID, link and text, another pubDate or order."""
    first = item(f"<description><![CDATA[{FULL}]]></description>")
    again = (
        f"<item><description><![CDATA[{FULL}]]></description><pubDate>Wed, 05 Nov 2025 09:30:00 GMT</pubDate>"
        "<link>https://WWW.wild.example/w-1/</link><guid isPermaLink='false'>w-1</guid>"
        "<title>Library opens on Sundays</title></item>"
    )
    assert len(parse(rss(first, again)).articles) == 1


def test_same_link_without_guid_and_same_content_is_one_entry() -> None:
    entry = (
        "<item><title>Fountain repaired</title><link>https://wild.example/fountain</link>"
        "<description>The fountain in the market square works again.</description></item>"
    )
    result = parse(rss(entry, entry, entry))
    assert len(result.articles) == 1


def test_same_id_and_text_under_two_links_is_one_entry() -> None:
    """One article listed under two section links (same GUID, same title and text): one entry, so
    that its outlet is never shown copying itself."""
    a = item(DESCRIPTION, link="https://wild.example/news/library")
    b = item(DESCRIPTION, link="https://wild.example/culture/library")
    assert len(parse(rss(a, b)).articles) == 1


def test_bulletins_sharing_an_id_that_differ_in_numbers_are_two_entries() -> None:
    a = item("<description>Winning numbers: 5 12 33 41.</description>", title="Lottery")
    b = item("<description>Winning numbers: 7 19 21 40.</description>", title="Lottery")
    assert len(parse(rss(a, b)).articles) == 2


def test_entries_sharing_an_id_with_other_text_are_all_kept() -> None:
    """Not repeats: one GUID for two different notices (told apart, as before)."""
    a = item("<description>The museum returns twelve statues.</description>", title="Museum")
    b = item("<description>The bakery on Mill Street closes.</description>", title="Bakery")
    result = parse(rss(a, b))
    assert len(result.articles) == 2
    assert len({x.entry_key for x in result.articles}) == 2
    assert any("share their id" in w for w in result.warnings)


# -- kind 2: the field with the most text is the entry's text ---------------------------------------

DESCRIPTION = f"<description><![CDATA[{FULL}]]></description>"
ITUNES = "<itunes:summary>Our reporter on the library's new hours.</itunes:summary>"
MEDIA = "<media:description>Library hours, the video.</media:description>"
IMAGE_ONLY = (
    '<content:encoded><![CDATA[<p><img src="https://wild.example/a.jpg"/></p><p> </p>]]></content:encoded>'
)


@pytest.mark.parametrize("fields", list(itertools.permutations([DESCRIPTION, ITUNES, MEDIA, IMAGE_ONLY])))
def test_the_full_description_wins_in_any_order(fields: tuple[str, ...]) -> None:
    """feedparser lets a later itunes:summary or media:description overwrite the description
    (feedparser#324); an image-only content:encoded has no text. In every order, the description."""
    [text] = normalized(parse(rss(item(*fields))))
    assert text.startswith(FULL_TEXT_START)


def test_longer_content_beats_a_short_description() -> None:
    content = f"<content:encoded><![CDATA[{FULL}<p>A third paragraph with more.</p>]]></content:encoded>"
    [text] = normalized(parse(rss(item("<description>Short teaser.</description>", content))))
    assert text.endswith("A third paragraph with more.")


def test_empty_paragraph_content_counts_as_absent() -> None:
    fields = ("<content:encoded><![CDATA[<p></p><p>&nbsp;</p>]]></content:encoded>", DESCRIPTION)
    [text] = normalized(parse(rss(item(*fields))))
    assert text.startswith(FULL_TEXT_START)


def test_atom_media_group_description_and_a_short_summary() -> None:
    atom = (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">'
        "<title>TV</title><id>tv</id><updated>2025-11-05T07:00:00Z</updated>"
        "<entry><id>tv-1</id><title>Library</title><updated>2025-11-05T07:00:00Z</updated>"
        '<link href="https://tv.example/watch?v=1"/><summary>Watch.</summary>'
        f"<media:group><media:title>Library</media:title><media:description>{FULL_TEXT_START}, the council "
        "announced, reversing a decision taken four years ago.</media:description></media:group>"
        "</entry></feed>"
    )
    [text] = normalized(parse(atom))
    assert text.startswith(FULL_TEXT_START)


def test_chinese_description_beats_a_one_line_summary() -> None:
    """Measured in characters, not words: Chinese has no spaces."""
    chinese = (
        "市图书馆将从春季第一个周末起在星期日开放阅览室，市议会宣布，"
        "这推翻了四年前为节省开支而在周末关闭大楼的决定。"
    )
    fields = (
        f"<description>{chinese}</description>",
        "<itunes:summary>图书馆 新 开放 时间 报道</itunes:summary>",
    )
    for order in (fields, fields[::-1]):
        [text] = normalized(parse(rss(item(*order))))
        assert text == clean_line(chinese)


# -- kind 3: character references to surrogates -------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("&#55357;&#56538;", "\U0001f4da"),  # decimal pair
        ("&#xD83D;&#xDE00;", "\U0001f600"),  # hexadecimal pair
        ("&#xd83d;&#56841;", "\U0001f609"),  # mixed
        ("&#55296;", "\ufffd"),  # a lone high surrogate (feedparser#591)
        ("&#57343;", "\ufffd"),  # a lone low surrogate
    ],
)
def test_surrogate_references_in_titles_keep_the_feed(written: str, read: str) -> None:
    result = parse(rss(item(DESCRIPTION, title=f"Library {written} open"), item(DESCRIPTION, guid="w-2")))
    assert result.ok and len(result.articles) == 2
    assert result.articles[0].title == f"Library {read} open"
    assert any("surrogate" in w for w in result.warnings)


def test_surrogate_references_escaped_in_html_text() -> None:
    """In escaped HTML the pair is written '&amp;#55357;&amp;#56538;': read as the emoji too."""
    body = rss(
        item(
            "<description>&lt;p&gt;Books &amp;#55357;&amp;#56538; for all, open on Sundays.&lt;/p&gt;"
            "</description>"
        )
    )
    [text] = normalized(parse(body))
    assert text == "Books \U0001f4da for all, open on Sundays."


def test_surrogate_charrefs_leaves_other_references_alone() -> None:
    assert surrogate_charrefs("&#169; &#x1F4DA; &amp; &#55295;") == ("&#169; &#x1F4DA; &amp; &#55295;", 0)


def test_json_feed_surrogate_escapes() -> None:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "J",
        "items": [
            {"id": "1", "title": "Books \\ud83d\\udcda", "content_text": "A lone\\ud83dsurrogate."},
        ],
    }
    body = json.dumps(feed).replace("\\\\u", "\\u").encode()
    [article] = parse(body).articles
    normalize_article(article)
    assert article.title == "Books \U0001f4da"
    assert article.text == "A lone\ufffdsurrogate."


# -- kind 4: text repair before control and invisible characters go -----------------------------------

RUSSIAN = "Библиотека откроется в воскресенье: я, с, э и ещё раз я."
ARABIC = "ستفتح المكتبة أبوابها يوم الأحد، حسب ما أعلن المجلس البلدي."
JAPANESE = "図書館は日曜日に開館します。市議会が発表した。"
CHINESE = "市图书馆将在星期日开放阅览室，此后每周如此。"


def mojibake(text: str, codec: str) -> str:
    """UTF-8 bytes read as Latin-1, or as Windows-1252 by a lenient decoder (undefined bytes kept as C1)."""
    data = text.encode("utf-8")
    if codec == "latin-1":
        return data.decode("latin-1")
    return "".join(
        bytes([b]).decode("cp1252") if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else chr(b) for b in data
    )


@pytest.mark.parametrize("original", [RUSSIAN, ARABIC, JAPANESE, CHINESE])
@pytest.mark.parametrize("codec", ["latin-1", "cp1252"])
def test_mojibake_with_c1_bytes_is_repaired_in_text_and_title(original: str, codec: str) -> None:
    broken = mojibake(original, codec)
    assert re.search("[\x80-\x9f\xad]", broken), "the case needs bytes 0x80-0x9F (or 0xAD)"
    headline = original[:12]
    result = parse(rss(item(f"<description>{broken}</description>", title=mojibake(headline, codec))))
    [article] = result.articles
    normalize_article(article)
    assert article.text == clean_line(original)
    assert article.title == clean_line(headline)
    assert tokenize(article.body) == tokenize(clean_line(original))


@pytest.mark.parametrize("title", ["افتتاح المكتبة اليوم", "ПРИМОРСКИЙ ТЕАТР", "市图书馆开放阅", "Café"])
def test_mojibake_ending_in_a_space_like_byte_is_repaired(title: str) -> None:
    """م read as Latin-1 ends with U+0085, Р with U+00A0 (阅 with U+0085): characters str.strip()
    takes for spaces, which feedparser strips from the end of every value."""
    broken = mojibake(title, "latin-1")
    assert broken[-1] in "\x85\xa0" or title == "Café"
    result = parse(rss(item(f"<description>{broken}</description>", title=broken)))
    [article] = result.articles
    normalize_article(article)
    assert article.title == clean_line(title)
    assert clean_line(title) in article.text


@pytest.mark.parametrize("mark", ["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])
def test_invisible_characters_inside_words_are_removed(mark: str) -> None:
    word = f"Bür{mark}ger{mark}meister"
    result = parse(rss(item(f"<description>Der {word} eröffnet die Bibliothek.</description>", title=word)))
    [article] = result.articles
    normalize_article(article)
    assert article.title == "Bürgermeister"
    assert "Bürgermeister" in article.text.split()
    assert "burgermeister" in tokenize(article.body)


def test_emoji_joiner_sequences_stay_whole() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert strip_invisible(f"Family {family} day") == f"Family {family} day"
    assert strip_invisible("Wash\u200bing\u00adton\u200d") == "Washington"


def test_remaining_control_characters_go_after_the_repair() -> None:
    assert clean_line("a\x01b\x7fc") == "abc"
    assert not re.search("[\x00-\x1f\x7f-\x9f]", clean_line(mojibake(RUSSIAN, "latin-1") + "\x9d"))


# -- kind 5: links that name the same page ---------------------------------------------------------------

SAME_PAGE = "//city-times.example/2025/11/05/library-sundays"


@pytest.mark.parametrize(
    "link",
    [
        "https://city-times.example/2025/11/05/library-sundays/?ncid=rss",
        "https://city-times.example/2025/11/05/library-sundays?cmpid=rss&CMP=twt_gu&INTCMP=sfl",
        "https://www.city-times.example/2025/11/05/library-sundays/?ito=792&ocid=msn&icid=x&smid=tw",
        "https://city-times.example/2025/11/05/library-sundays?mc_cid=1a&mc_eid=2b&fbclid=3&gclid=4&msclkid=5",
        "https://city-times.example/2025/11/05/library-sundays?ns_campaign=a&ns_mchannel=b&at_medium=c&WT.mc_id=d",
        "https://city-times.example/2025/11/05/library-sundays/amp/",
        "https://city-times.example/2025/11/05/library-sundays/amp",
        "https://amp.city-times.example/2025/11/05/library-sundays",
        "https://city-times.example/amp/2025/11/05/library-sundays",
        "https://city-times.example/2025/11/05/library-sundays?amp",
        "https://city-times.example/2025/11/05/library-sundays?amp=1",
        "https://city-times.example/2025/11/05/library-sundays?outputType=amp&utm_source=tw",
        "https://city-times-example.cdn.ampproject.org/c/s/city-times.example/2025/11/05/library-sundays/amp/",
        "https://www.google.com/amp/s/www.city-times.example/2025/11/05/library-sundays",
    ],
)
def test_campaign_and_amp_forms_are_one_page(link: str) -> None:
    assert url_key(link) == SAME_PAGE


def test_amp_file_suffix_and_parameters_that_name_another_page() -> None:
    assert url_key("https://x.example/news/story-1.amp.html") == url_key(
        "https://x.example/news/story-1.html"
    )
    assert url_key("https://x.example/index.php?p=48213&ncid=rss") == "//x.example/index.php?p=48213"
    assert url_key("https://x.example/a?page=2") != url_key("https://x.example/a?page=3")
    assert url_key("https://x.example/amplifiers/42") == "//x.example/amplifiers/42"  # not an AMP mark
    assert url_key("https://amp.example/a") == "//amp.example/a"  # a site called amp, not an amp. host


# -- kind 6: an item's <source> ---------------------------------------------------------------------------


def test_rss_source_element_is_kept_and_its_title_suffix_removed() -> None:
    body = rss(
        item(
            "<description>Frost halves the harvest.</description>",
            '<source url="https://valley-courier.example">Valley Courier</source>',
            title="Frost halves the valley's apple harvest - Valley Courier",
            link="https://news.example/rss/articles/CBMi123?oc=5",
        ),
        item(
            '<source url="https://www.city-times.example/rss">The City Times</source>',
            title="Bridge closed | city-times.example",
            guid="w-2",
        ),
        item(
            '<source url="https://city-times.example">City Times</source>',
            title="Q&amp;A - what it means",
            guid="w-3",
        ),
    )
    frost, bridge, qa = parse(body).articles
    assert (frost.title, frost.source, frost.source_url) == (
        "Frost halves the valley's apple harvest",
        "Valley Courier",
        "https://valley-courier.example",
    )
    assert bridge.title == "Bridge closed"
    assert qa.title == "Q&A - what it means"
    normalize_article(frost)
    assert frost.credit == "Valley Courier"


def test_a_credit_line_in_the_text_wins_over_source() -> None:
    body = rss(
        item(
            "<description>The text.\n\nSource: Reuters</description>",
            "<source url='https://a.example'>A</source>",
        )
    )
    [article] = parse(body).articles
    normalize_article(article)
    assert article.credit == "Reuters"


@pytest.mark.parametrize(
    ("relayed", "original", "same"),
    [
        ("City library reopens on Sundays", "City library reopens on Sundays", True),
        ("City library reopens on ‘Sundays’", "City library reopens on 'Sundays'", True),
        (
            "City library to reopen on Sundays after four years...",
            "City library to reopen on Sundays after four years of closure",
            True,
        ),
        ("City library...", "City library reopens on Sundays", False),  # too short a start to say
        ("City library reopens on Mondays", "City library reopens on Sundays", False),
    ],
)
def test_same_headline(relayed: str, original: str, same: bool) -> None:
    assert same_headline(relayed, original) is same


def test_atom_source_element() -> None:
    atom = (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Planet</title><id>p</id>'
        "<updated>2025-11-05T07:00:00Z</updated><entry><id>p-1</id>"
        "<title>Rail order signed — Valley Post</title>"
        '<updated>2025-11-05T07:00:00Z</updated><link href="https://valley-post.example/rail"/>'
        '<source><title>Valley Post</title><link href="https://valley-post.example/"/><id>vp</id></source>'
        "<content>The rail order was signed.</content></entry></feed>"
    )
    [article] = parse(atom).articles
    assert (article.title, article.source, article.source_url) == (
        "Rail order signed",
        "Valley Post",
        "https://valley-post.example/",
    )


# -- kind 7: the bytes say what they are --------------------------------------------------------------

FEED_XML = rss(
    item(DESCRIPTION), item("<description>Bridge closed to lorries.</description>", guid="w-2")
).encode()


@pytest.fixture
def server():
    with FeedServer() as srv:
        yield srv


@pytest.mark.parametrize(
    ("body", "headers", "note"),
    [
        (FEED_XML, {"Content-Encoding": "gzip"}, "is labelled 'gzip' but is not compressed"),
        (FEED_XML, {"Content-Encoding": "x-gzip"}, "is labelled 'x-gzip' but is not compressed"),
        (FEED_XML, {"Content-Encoding": "deflate"}, "is labelled 'deflate' but is not compressed"),
        (FEED_XML, {"Content-Encoding": "br"}, "(not supported) but is not compressed"),
        (b"\n\n  " + FEED_XML, {"Content-Encoding": "gzip"}, "but is not compressed"),
        (gzip.compress(FEED_XML), {}, "gzip-compressed without saying so"),
        (gzip.compress(FEED_XML), {"Content-Encoding": "identity"}, "gzip-compressed without saying so"),
        (gzip.compress(gzip.compress(FEED_XML)), {"Content-Encoding": "gzip"}, "gzip-compressed twice"),
        (gzip.compress(gzip.compress(FEED_XML)), {}, "gzip-compressed twice"),
        (gzip.compress(gzip.compress(gzip.compress(FEED_XML))), {"Content-Encoding": "gzip"}, "twice"),
        (zlib.compress(gzip.compress(FEED_XML)), {"Content-Encoding": "deflate"}, "gzip-compressed twice"),
        (gzip.compress(FEED_XML), {"Content-Encoding": "gzip"}, None),  # as labelled: no warning
    ],
)
def test_gzip_whatever_the_label_says(
    server: FeedServer, body: bytes, headers: dict[str, str], note: str | None
) -> None:
    server.routes["/feed"] = Route(body=body, headers=headers)
    result = fetch_one(server.url("/feed"))
    assert result.ok, result.error
    assert [a.entry_key for a in result.articles] == ["w-1", "w-2"]
    notes = [w for w in result.warnings if "the body from" in w]
    if note is None:
        assert notes == []
    else:
        assert any(note in w for w in notes), result.warnings


def test_junk_labelled_gzip_is_still_a_clear_error(server: FeedServer) -> None:
    server.routes["/junk"] = Route(body=b"\x00\x01garbage", headers={"Content-Encoding": "gzip"})
    result = fetch_one(server.url("/junk"))
    assert result.error is not None and result.error.startswith("cannot decode gzip body from")


def test_a_local_file_gzipped_twice_is_read(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml.gz"
    path.write_bytes(gzip.compress(gzip.compress(FEED_XML)))
    raw = read_file(str(path), 1_000_000)
    assert raw.body == FEED_XML
    assert any("twice" in note for note in raw.notes)


def json_feed(version: str, items: list[dict[str, object]], **feed: object) -> bytes:
    return json.dumps({"version": version, "title": "City Times", "items": items, **feed}).encode()


def test_json_feed_1_0_with_author_and_content_text() -> None:
    body = json_feed(
        "https://jsonfeed.org/version/1",
        [
            {
                "id": 2071,
                "url": "https://city-times.example/bridge",
                "title": "Bridge <closed> to lorries",
                "content_text": "Engineers found cracks & the county closed it.\n\nBuses may still cross.",
                "date_published": "2025-11-04T07:00:00+01:00",
                "author": {"name": "A. Reporter"},
            }
        ],
        home_page_url="https://city-times.example/",
        author={"name": "City Times"},
    )
    result = parse(body)
    assert (
        result.ok and result.feed_title == "City Times" and result.feed_link == "https://city-times.example/"
    )
    [article] = result.articles
    assert (article.guid, article.link, article.title) == (
        "2071",
        "https://city-times.example/bridge",
        "Bridge <closed> to lorries",
    )
    assert article.published == datetime(2025, 11, 4, 6, 0, tzinfo=UTC)
    normalize_article(article)
    assert article.text == "Engineers found cracks & the county closed it.\n\nBuses may still cross."


def test_json_feed_1_1_with_authors_content_html_and_summary() -> None:
    body = b"\xef\xbb\xbf  " + json_feed(
        "https://jsonfeed.org/version/1.1",
        [
            {
                "id": "lib",
                "external_url": "https://city-times.example/library",
                "title": "Library",
                "summary": "Short.",
                "content_html": FULL,
                "date_modified": "2025-11-05T07:00:00Z",
                "authors": [{"name": "B. Writer"}, {"url": "https://x.example"}],
            },
            {
                "id": "only-summary",
                "url": "https://city-times.example/s",
                "title": "S",
                "summary": "Summary text only.",
            },
            "not an item",
        ],
    )
    result = parse(body, {"content-type": "application/feed+json"})
    library, summary_only = result.articles
    assert library.link == "https://city-times.example/library"
    assert library.published == datetime(2025, 11, 5, 7, 0, tzinfo=UTC)
    normalize_article(library)
    normalize_article(summary_only)
    assert library.text.startswith(FULL_TEXT_START)
    assert summary_only.text == "Summary text only."


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"title": "not a feed", "items": []}', "not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [', "not valid JSON"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": "x"}', "not a JSON Feed"),
    ],
)
def test_json_that_is_not_a_json_feed_says_so(body: bytes, says: str) -> None:
    result = parse(body, {"content-type": "application/json"})
    assert result.error is not None and says in result.error and "XML" not in result.error


def test_xml_served_as_json_is_read_as_xml() -> None:
    assert len(parse(FEED_XML, {"content-type": "application/json"}).articles) == 2


PAGE = (
    "<!DOCTYPE html><html><head><title>City Times</title>"
    '<link rel="stylesheet" href="/s.css"><link rel="alternate" type="application/atom+xml" href="/atom.xml">'
    '<link rel="Alternate" type="application/rss+xml" title="RSS" href="{href}"></head>'
    "<body>News</body></html>"
)


@pytest.mark.parametrize("href", ["/feed.xml", "feed.xml", "http://127.0.0.1:{port}/feed.xml"])
def test_an_html_page_naming_its_feed_is_followed(server: FeedServer, href: str) -> None:
    port = server.url("/").split(":")[-1].rstrip("/")
    server.routes["/"] = Route(
        body=PAGE.format(href=href.format(port=port)).encode(), content_type="text/html"
    )
    server.routes["/feed.xml"] = Route(body=FEED_XML, etag='"v1"')
    result = fetch_one(server.url("/"))
    assert result.ok, result.error
    assert [a.entry_key for a in result.articles] == ["w-1", "w-2"]
    [warning] = [w for w in result.warnings if "HTML page" in w]
    assert server.url("/feed.xml") in warning and "config.toml" in warning
    assert result.etag is None  # the feed's validators are not kept for the page's URL
    assert server.statuses("/atom.xml") == []  # RSS is preferred when a page names both


def test_a_feed_served_as_html_is_not_taken_for_a_page(server: FeedServer) -> None:
    """An Atom feed served as text/html that links its RSS twin as an alternate is read itself."""
    atom = (
        '<?xml version="1.0"?><!-- generated --><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        "<id>a</id><updated>2025-11-05T07:00:00Z</updated>"
        '<link rel="alternate" type="application/rss+xml" href="/twin.xml"/>'
        "<entry><id>a-1</id><title>Atom entry</title><updated>2025-11-05T07:00:00Z</updated>"
        '<link href="https://a.example/1"/><content>Text.</content></entry></feed>'
    )
    server.routes["/atom"] = Route(body=atom.encode(), content_type="text/html")
    server.routes["/twin.xml"] = Route(body=FEED_XML)
    result = fetch_one(server.url("/atom"))
    assert [a.title for a in result.articles] == ["Atom entry"]
    assert server.statuses("/twin.xml") == []


def test_an_html_page_naming_no_feed_is_still_an_error(server: FeedServer) -> None:
    server.routes["/"] = Route(
        body=b"<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>"
    )
    result = fetch_one(server.url("/"))
    assert result.error is not None and "HTML page" in result.error


def test_a_remote_page_never_leads_to_a_local_file(server: FeedServer, tmp_path: Path) -> None:
    (tmp_path / "secret.xml").write_bytes(FEED_XML)
    page = PAGE.format(href=(tmp_path / "secret.xml").as_uri()).replace("/atom.xml", "file:///etc/hostname")
    server.routes["/"] = Route(body=page.encode(), content_type="text/html")
    result = fetch_one(server.url("/"))
    assert result.error is not None and result.articles == []


def test_a_local_html_file_naming_its_feed(tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "feed.xml").write_bytes(FEED_XML)
    page = tmp_path / "index.html"
    page.write_text(PAGE.format(href="feeds/feed.xml").replace('href="/atom.xml"', 'href="feeds/atom.xml"'))
    result = fetch_one(str(page))
    assert result.ok, result.error
    assert len(result.articles) == 2
    assert any("feeds/feed.xml" in w for w in result.warnings)
