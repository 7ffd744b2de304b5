"""Entry identity (issue 12, kinds D-G and the store part of B), on the real CLI.

The case folders of ../shared/cases/feeds-in-the-wild/ are run as their README.txt says (on both
index backends); each kind also has inputs written here. Outside CI a missing shared folder skips
the case tests; under CI=true it fails them.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path
from xml.etree import ElementTree

import pytest

from pipeline.models import Article
from pipeline.text.identity import assign_keys, content_hash, entry_key, url_key
from tests.conftest import read_report

CASES = Path(__file__).resolve().parents[3] / "shared" / "cases" / "feeds-in-the-wild"
DATA = Path(__file__).resolve().parent / "data"
ATOM = "{http://www.w3.org/2005/Atom}"

CONFIG = """
[output]
rss = "out/feed.rss"
atom = "out/feed.atom"
report = "out/clusters.jsonl"
json = "out/feed.json"

[state]
path = "state/syndedup.sqlite"
"""


@pytest.fixture(params=["sqlite", "redis", "redis-staged"])
def backend(request: pytest.FixtureRequest) -> str:
    """Every test taking this runs on SQLite and on Redis (also staging each article)."""
    if request.param == "redis-staged":
        from pipeline.store.redis_store import RedisStore

        request.getfixturevalue("monkeypatch").setattr(RedisStore, "STAGE_ARTICLES", 1)
    return request.param


def use_backend(request: pytest.FixtureRequest, backend: str, config: Path) -> None:
    if backend.startswith("redis"):
        request.getfixturevalue("redis_index").use_in(config)


def case(name: str, tmp_path: Path) -> Path:
    """A private copy of a case folder."""
    source = CASES / name
    if not source.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but the case folder {source} is missing")
        pytest.skip(f"no case folder {source} (../shared is not checked out here)")
    target = tmp_path / name
    shutil.copytree(source, target)
    return target


def run(cli, folder: Path):
    result = cli("run", "--config", str(folder / "config.toml"))
    assert result.code == 0, result.err
    return result


def atom_entries(folder: Path) -> list[dict[str, str]]:
    root = ElementTree.parse(folder / "out/feed.atom").getroot()
    return [
        {
            "id": entry.findtext(f"{ATOM}id") or "",
            "title": entry.findtext(f"{ATOM}title") or "",
            "updated": entry.findtext(f"{ATOM}updated") or "",
            "content": entry.findtext(f"{ATOM}content") or "",
            "link": next((e.get("href") or "" for e in entry.iter(f"{ATOM}link")), ""),  # "": no link
        }
        for entry in root.iter(f"{ATOM}entry")
    ]


def rss_guids(folder: Path) -> list[str]:
    root = ElementTree.parse(folder / "out/feed.rss").getroot()
    return [item.findtext("guid") or "" for item in root.iter("item")]


def rss(title: str, items: list[dict[str, str]]) -> str:
    """An RSS 2.0 document; each item dict gives title, link, guid, date, text (any may be left out)."""
    out = [f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>{title}</title>']
    out.append(f"<link>https://{title.lower().replace(' ', '-')}.example/</link><description>d</description>")
    for item in items:
        out.append("<item>")
        out.append(f"<title>{item['title']}</title>")
        if "link" in item:
            out.append(f"<link>{item['link']}</link>")
        if "guid" in item:
            out.append(f'<guid isPermaLink="false">{item["guid"]}</guid>')
        out.append(f"<pubDate>{item.get('date', 'Mon, 10 Nov 2025 08:00:00 +0000')}</pubDate>")
        out.append(f"<description><![CDATA[{item.get('text', '')}]]></description></item>")
    out.append("</channel></rss>")
    return "".join(out)


def write_config(folder: Path, feeds: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f'[[feeds]]\nname = "{name}"\nurl = "feeds/{file}"\n' for name, file in feeds.items()]
    config = folder / "config.toml"
    config.write_text("\n".join(lines) + CONFIG, encoding="utf-8")
    (folder / "feeds").mkdir(exist_ok=True)
    return config


def write_feed(folder: Path, file: str, title: str, items: list[dict[str, str]]) -> None:
    (folder / "feeds" / file).write_text(rss(title, items), encoding="utf-8")


def members_by_title(folder: Path) -> dict[str, list[dict]]:
    return {story["title"]: story["members"] for story in read_report(folder / "out/clusters.jsonl")}


LONG_A = (
    "<p>The city council voted eight to three on Tuesday to fund a flood barrier along the eastern "
    "waterfront, ending two years of debate over how to protect low-lying neighbourhoods from storm "
    "surges.</p><p>The barrier, a chain of movable gates and raised earth walls, is expected to cost "
    "about 410 million dollars and take six years to build, engineers told the council.</p>"
)
LONG_B = (
    "<p>A family bakery that has operated on Mill Street for ninety years will close at the end of "
    "the month because the owners could not find anyone to take it over, the founder's granddaughter "
    "said.</p><p>The shop is known across the district for its rye loaves and poppy seed rolls, and "
    "queues form outside its door every Saturday morning.</p>"
)
LONG_C = (
    "<p>The county library will stay open until midnight during the exam season after students "
    "complained that they had nowhere quiet to study in the evenings, the library board decided on "
    "Monday.</p><p>The longer hours will run for six weeks and cost about forty thousand dollars, "
    "mostly for extra staff and security.</p>"
)


# -- D: an entry's identity is its normalized key (or its text) ------------------------------------


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://lakeside-blog.example/?p=9817", "//lakeside-blog.example?p=9817"),
        ("https://lakeside-blog.example/?p=9817", "//lakeside-blog.example?p=9817"),
        ("HTTPS://WWW.Site.example:443/a/b/?utm_source=rss&fbclid=x&id=3#top", "//site.example/a/b?id=3"),
        ("http://site.example:80/a?gclid=1&b=2&a=1", "//site.example/a?a=1&b=2"),
        ("mailto:desk@site.example", None),
        ("ct-4411", None),
    ],
)
def test_url_key_normalizes_scheme_host_port_slash_and_tracking(url: str, key: str | None) -> None:
    assert url_key(url) == key


def test_entry_key_is_the_guid_then_the_link_then_the_text() -> None:
    digest = content_hash("Title", "<p>Viewed 120 times</p>")
    assert digest == content_hash("Title", "<p>Viewed 348 times</p>")  # digits do not count
    assert digest != content_hash("Title", "<p>Viewed many times</p>")
    assert entry_key("ct-4411", "https://x.example/1", digest) == "ct-4411"
    assert entry_key("", "https://www.x.example/1/", digest) == "//x.example/1"
    assert entry_key("", "", digest) == "text:" + digest


def test_guid_scheme_change_keeps_one_item_per_article(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, cli
) -> None:
    folder = case("guid-scheme-change", tmp_path)
    use_backend(request, backend, folder / "config.toml")
    run(cli, folder)
    before = atom_entries(folder)
    shutil.copy(folder / "feeds/lakeside-run2-https.xml", folder / "feeds/lakeside.xml")
    second = run(cli, folder)
    assert "0 new entries" in second.out and "updated in place" not in second.out
    after = atom_entries(folder)
    assert len(after) == 2
    assert [e["id"] for e in after] == [e["id"] for e in before]
    assert [e["updated"] for e in after] == [e["updated"] for e in before]  # no 'updated' bump
    members = members_by_title(folder)
    assert [m["feed"] for m in members["Library hours extended"]] == ["Lakeside Blog"]
    flood = members["Council approves flood barrier"]
    assert sorted(m["feed"] for m in flood) == ["Coastal Wire", "Lakeside Blog"]  # never its own copy
    # the current (https) link is kept
    assert all(e["link"].startswith("https://") for e in after)


def test_no_id_changing_text_is_not_an_update(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, cli
) -> None:
    folder = case("no-id-changing-text", tmp_path)
    use_backend(request, backend, folder / "config.toml")
    run(cli, folder)
    before = atom_entries(folder)
    shutil.copy(folder / "feeds/blog-run2.xml", folder / "feeds/blog.xml")
    assert "0 new entries" in run(cli, folder).out
    after = atom_entries(folder)
    assert after == before  # still 2 items, unchanged (only a view counter changed)
    feed = ElementTree.parse(folder / "out/feed.rss").getroot()
    assert feed.findtext("channel/lastBuildDate") == "Tue, 18 Nov 2025 12:00:00 +0000"
    assert all(len(m) == 1 for m in members_by_title(folder).values())


def test_slug_correction_and_tracking_parameters(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, cli
) -> None:
    """A corrected slug (GUID = link) replaces the entry with its new link; tracking parameters,
    ``www.`` and a trailing slash added to the link change nothing."""
    config = write_config(tmp_path, {"Hill Gazette": "hill.xml"})
    use_backend(request, backend, config)
    old = "http://hill-gazette.example/2025/11/flod-barrier"
    new = "https://hill-gazette.example/2025/11/flood-barrier"
    short = {"title": "Library open late", "date": "Tue, 11 Nov 2025 08:00:00 +0000", "text": "Open late."}
    write_feed(
        tmp_path,
        "hill.xml",
        "Hill Gazette",
        [
            {"title": "Flood barrier", "link": old, "text": LONG_A},
            {**short, "link": "https://hill-gazette.example/library"},
        ],
    )
    run(cli, tmp_path)
    [first_id] = [e["id"] for e in atom_entries(tmp_path) if e["title"] == "Flood barrier"]
    tracked = "https://www.hill-gazette.example/library/?utm_source=rss&utm_medium=feed&fbclid=abc"
    write_feed(
        tmp_path,
        "hill.xml",
        "Hill Gazette",
        [{"title": "Flood barrier", "link": new, "text": LONG_A}, {**short, "link": tracked}],
    )
    result = run(cli, tmp_path)
    assert "0 new entries, 1 updated in place" in result.out
    entries = {e["title"]: e for e in atom_entries(tmp_path)}
    assert len(entries) == 2
    assert entries["Flood barrier"]["id"] == first_id and entries["Flood barrier"]["link"] == new
    assert entries["Flood barrier"]["updated"] > "2025-11-11T08:00:00Z"  # the new link is an update
    assert entries["Library open late"]["updated"] == "2025-11-11T08:00:00Z"  # tracking: no update
    assert all(len(m) == 1 for m in members_by_title(tmp_path).values())


# -- E: updates in place ------------------------------------------------------------------------------


def test_updated_in_place_shows_the_corrected_text(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, cli
) -> None:
    folder = case("updated-in-place", tmp_path)
    use_backend(request, backend, folder / "config.toml")
    run(cli, folder)
    [before] = atom_entries(folder)
    guids = rss_guids(folder)
    shutil.copy(folder / "feeds/capital-run2.xml", folder / "feeds/capital.xml")
    assert "0 new entries, 1 updated in place" in run(cli, folder).out
    [after] = atom_entries(folder)
    assert after["title"] == "National museum to return fourteen bronze statues"
    assert "will return fourteen bronze statues" in after["content"]
    assert "will return twelve" not in after["content"]
    assert after["id"] == before["id"] and rss_guids(folder) == guids  # RSS keeps the GUID
    assert after["updated"] > before["updated"]  # a new Atom updated
    [item] = json.loads((folder / "out/feed.json").read_text(encoding="utf-8"))["items"]
    assert item["date_modified"] == after["updated"] and item["title"] == after["title"]
    assert len(read_report(folder / "out/clusters.jsonl")) == 1


def test_title_only_correction_updates_the_item(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, cli
) -> None:
    config = write_config(tmp_path, {"Capital Times": "capital.xml"})
    use_backend(request, backend, config)
    item = {"guid": "ct-1", "link": "https://capital-times.example/1", "text": LONG_B}
    write_feed(tmp_path, "capital.xml", "Capital Times", [{**item, "title": "Bakery to clsoe"}])
    run(cli, tmp_path)
    [before] = atom_entries(tmp_path)
    write_feed(tmp_path, "capital.xml", "Capital Times", [{**item, "title": "Bakery to close"}])
    assert "1 updated in place" in run(cli, tmp_path).out
    [after] = atom_entries(tmp_path)
    assert (after["title"], after["id"]) == ("Bakery to close", before["id"])
    assert after["updated"] > before["updated"]
    # a third run with nothing changed is not an update again
    (tmp_path / "feeds/capital.xml").write_text(
        (tmp_path / "feeds/capital.xml").read_text(encoding="utf-8") + "\n", encoding="utf-8"
    )
    assert "updated in place" not in run(cli, tmp_path).out
    assert atom_entries(tmp_path) == [after]


def test_text_update_rechecks_story_membership(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, cli
) -> None:
    """An entry whose text is replaced by another outlet's article joins that article's story,
    and its old story, left empty, goes."""
    config = write_config(tmp_path, {"Wire": "wire.xml", "Blog": "blog.xml"})
    use_backend(request, backend, config)
    write_feed(tmp_path, "wire.xml", "Wire", [{"title": "Flood barrier", "guid": "w-1", "text": LONG_A}])
    blog = {"title": "Flood barrier", "guid": "b-1", "date": "Tue, 11 Nov 2025 08:00:00 +0000"}
    write_feed(tmp_path, "blog.xml", "Blog", [{**blog, "text": LONG_C + LONG_B}])
    run(cli, tmp_path)
    assert len(read_report(tmp_path / "out/clusters.jsonl")) == 2
    write_feed(tmp_path, "blog.xml", "Blog", [{**blog, "text": LONG_A}])  # now a copy of the wire's
    run(cli, tmp_path)
    [story] = read_report(tmp_path / "out/clusters.jsonl")
    assert sorted((m["feed"], m["relation"]) for m in story["members"]) == [
        ("Blog", "copy"),
        ("Wire", "original"),
    ]


# -- F: articles sharing an id are all kept ---------------------------------------------------------


def test_shared_guid_keeps_every_article(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, cli
) -> None:
    folder = case("shared-guid", tmp_path)
    use_backend(request, backend, folder / "config.toml")
    first = run(cli, folder)
    assert "5 new entries" in first.out
    assert "entries share their id" in first.err and "Town Hall Notices" in first.err
    titles = {
        "Museum to return bronze statues",
        "Library to stay open until midnight",
        "Mill Street bakery to close",
    }
    members = members_by_title(folder)
    assert {(m["feed"], t) for t, ms in members.items() for m in ms} == {
        *(("Town Hall Notices", t) for t in titles),
        ("Parish Newsletter", "Library to stay open until midnight"),
        ("Parish Newsletter", "Mill Street bakery to close"),
    }
    shutil.copy(folder / "feeds/townhall-run2.xml", folder / "feeds/townhall.xml")
    shutil.copy(folder / "feeds/parish-run2.xml", folder / "feeds/parish.xml")
    second = run(cli, folder)
    assert "2 new entries" in second.out and "updated in place" not in second.out
    members = members_by_title(folder)
    assert sum(len(m) for m in members.values()) == 7  # every entry of both runs is kept
    assert [m["feed"] for m in members["Council approves flood barrier"]] == ["Town Hall Notices"]
    assert [m["feed"] for m in members["Warblers fitted with radio tags"]] == ["Parish Newsletter"]
    assert {e["title"] for e in atom_entries(folder)} >= {
        "Council approves flood barrier",
        "Warblers fitted with radio tags",
    }


def test_articles_sharing_one_link_across_runs(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, cli
) -> None:
    """No GUID and one link for all: an article alone in one fetch, two in the next, a third alone:
    three articles, none taken for an update of another."""
    config = write_config(tmp_path, {"Parish": "parish.xml"})
    use_backend(request, backend, config)
    link = "https://parish.example/news"
    a = {"title": "Flood barrier", "link": link, "text": LONG_A, "date": "Mon, 10 Nov 2025 08:00:00 +0000"}
    b = {"title": "Bakery", "link": link, "text": LONG_B, "date": "Tue, 11 Nov 2025 08:00:00 +0000"}
    c = {"title": "Library", "link": link, "text": LONG_C, "date": "Wed, 12 Nov 2025 08:00:00 +0000"}
    for items, new in (([a], 1), ([b, a], 1), ([c], 1)):
        write_feed(tmp_path, "parish.xml", "Parish", items)
        result = run(cli, tmp_path)
        assert f"{new} new entr" in result.out and "updated in place" not in result.out
    assert sorted(e["title"] for e in atom_entries(tmp_path)) == ["Bakery", "Flood barrier", "Library"]


def test_one_entry_reusing_a_stored_id_is_a_new_article(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, cli
) -> None:
    """A feed of one item that always has the same GUID: each new article is kept, with a warning."""
    config = write_config(tmp_path, {"Latest": "latest.xml"})
    use_backend(request, backend, config)
    for title, text in (("Flood barrier", LONG_A), ("Bakery", LONG_B)):
        write_feed(tmp_path, "latest.xml", "Latest", [{"title": title, "guid": "latest", "text": text}])
        result = run(cli, tmp_path)
        assert "1 new entry" in result.out
    assert "reuse the id of an earlier, different article" in result.err and "'Latest'" in result.err
    assert sorted(e["title"] for e in atom_entries(tmp_path)) == ["Bakery", "Flood barrier"]


def test_identical_entries_sharing_an_id_get_distinct_keys() -> None:
    def article(title: str, link: str) -> Article:
        from datetime import UTC, datetime

        return Article(
            "F", "//x.example/n", "g", link, title, datetime(2025, 1, 1, tzinfo=UTC), "", content_hash="h"
        )

    group = [article("A", "https://x.example/n#1"), article("B", "https://x.example/n#2")]
    assert assign_keys(group) == 2
    assert len({a.entry_key for a in group}) == 2
    same = [article("A", "https://x.example/n"), article("A", "https://x.example/n")]
    assign_keys(same)
    assert len({a.entry_key for a in same}) == 2


# -- G: the same permalink in two feeds is one story ---------------------------------------------------


def test_same_link_two_feeds_is_one_story(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, cli
) -> None:
    folder = case("same-link-two-feeds", tmp_path)
    use_backend(request, backend, folder / "config.toml")
    run(cli, folder)
    entries = atom_entries(folder)
    assert len(entries) == 2
    assert len({e["link"] for e in entries}) == 2  # one item per URL
    for members in members_by_title(folder).values():
        assert sorted(m["feed"] for m in members) == ["Daily Planet Sport", "Daily Planet TV"]
    # a second run over the same feeds changes nothing
    run(cli, folder)
    assert atom_entries(folder) == entries


def test_same_guid_in_two_feeds_with_long_different_texts(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, cli
) -> None:
    """One outlet's article in its sport and TV feeds, each with a long but different text, and the
    link written differently (http, trailing slash, a tracking parameter): one story."""
    config = write_config(tmp_path, {"Planet Sport": "sport.xml", "Planet TV": "tv.xml"})
    use_backend(request, backend, config)
    url = "https://daily-planet.example/sport/2025/cup-final"
    write_feed(
        tmp_path,
        "sport.xml",
        "Planet Sport",
        [{"title": "Cup final", "guid": url, "link": url, "text": LONG_A}],
    )
    tv_link = "http://daily-planet.example/sport/2025/cup-final/?utm_source=tv"
    write_feed(
        tmp_path, "tv.xml", "Planet TV", [{"title": "Cup final on TV", "link": tv_link, "text": LONG_B}]
    )
    run(cli, tmp_path)
    [story] = read_report(tmp_path / "out/clusters.jsonl")
    assert sorted(m["feed"] for m in story["members"]) == ["Planet Sport", "Planet TV"]
    # A shared section link (the same URL for every entry of a feed) names no one article.
    config2 = write_config(tmp_path / "two", {"A": "a.xml", "B": "b.xml"})
    use_backend(request, backend, config2)
    home = "https://daily-planet.example/"
    write_feed(tmp_path / "two", "a.xml", "A", [{"title": "One", "link": home, "text": LONG_A}])
    write_feed(tmp_path / "two", "b.xml", "B", [{"title": "Two", "link": home, "text": LONG_C}])
    run(cli, tmp_path / "two")
    assert len(read_report(tmp_path / "two/out/clusters.jsonl")) == 2


# -- B (store): no stored value can stop a run -------------------------------------------------------


def test_unreadable_stored_date_is_reported_and_skipped(tmp_path: Path, cli) -> None:
    config = write_config(tmp_path, {"Wire": "wire.xml"})
    write_feed(
        tmp_path,
        "wire.xml",
        "Wire",
        [
            {"title": "Flood barrier", "guid": "w-1", "text": LONG_A},
            {"title": "Bakery", "guid": "w-2", "text": LONG_B, "date": "Tue, 11 Nov 2025 08:00:00 +0000"},
        ],
    )
    run(cli, tmp_path)
    db = sqlite3.connect(tmp_path / "state/syndedup.sqlite")
    with db:
        # A value nothing can read (short years such as '1-01-01T...' from older versions are read).
        db.execute("UPDATE articles SET published='Mon, 01 Jan 0001 ??' WHERE guid='w-1'")
    db.close()
    (tmp_path / "out/feed.rss").unlink()
    write_feed(
        tmp_path,
        "wire.xml",
        "Wire",
        [
            {"title": "Flood barrier", "guid": "w-1", "text": LONG_A},
            {"title": "Bakery", "guid": "w-2", "text": LONG_B, "date": "Tue, 11 Nov 2025 08:00:00 +0000"},
            {"title": "Library", "guid": "w-3", "text": LONG_C, "date": "Wed, 12 Nov 2025 08:00:00 +0000"},
        ],
    )
    result = cli("run", "--config", str(config))
    assert result.code == 0, result.err
    assert "'Mon, 01 Jan 0001 ??'" in result.err and "unreadable date" in result.err
    assert (tmp_path / "out/feed.rss").exists()
    assert {"Bakery", "Library"} <= {e["title"] for e in atom_entries(tmp_path)}


def test_zero_year_date_run_writes_outputs(tmp_path: Path, cli) -> None:
    folder = case("zero-year-date", tmp_path)
    for _ in range(2):  # the README runs it twice: the second run reads what the first stored
        run(cli, folder)
        assert (folder / "out/feed.atom").exists()
    titles = {e["title"] for e in atom_entries(folder)}
    assert len(titles) >= 2


# -- schema: a state file written by the previous version ---------------------------------------------


def test_state_written_by_previous_version(tmp_path: Path, cli) -> None:
    """tests/stages/data/state_v1_guid_scheme_change.sqlite was written by the version before
    issue 12 (its articles table has no content_hash/link_key/updated_at, and raw http GUIDs as
    keys) running guid-scheme-change's first run; this version opens it, adds the columns, and
    reads the site's move to https as the same two articles."""
    folder = case("guid-scheme-change", tmp_path)
    (folder / "state").mkdir()
    shutil.copy(DATA / "state_v1_guid_scheme_change.sqlite", folder / "state/syndedup.sqlite")
    old = sqlite3.connect(folder / "state/syndedup.sqlite")
    assert "content_hash" not in {row[1] for row in old.execute("PRAGMA table_info(articles)")}
    old.close()
    shutil.copy(folder / "feeds/lakeside-run2-https.xml", folder / "feeds/lakeside.xml")
    result = run(cli, folder)
    assert "0 new entries" in result.out
    members = members_by_title(folder)
    assert len(members) == 2
    assert sorted(m["feed"] for m in members["Council approves flood barrier"]) == [
        "Coastal Wire",
        "Lakeside Blog",
    ]
    db = sqlite3.connect(folder / "state/syndedup.sqlite")
    columns = {row[1] for row in db.execute("PRAGMA table_info(articles)")}
    assert {"content_hash", "link_key", "updated_at"} <= columns
    keys = dict(db.execute("SELECT guid, entry_key FROM articles WHERE feed='Lakeside Blog'"))
    db.close()
    assert keys["https://lakeside-blog.example/?p=9817"] == "//lakeside-blog.example?p=9817"
