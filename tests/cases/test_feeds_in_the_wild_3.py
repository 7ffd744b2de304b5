"""The cases of ../shared/cases/feeds-in-the-wild-3 (issue 22), each run through the real CLI.

Acceptance tests: each copies one case folder, runs `python -m pipeline run` on it as its README.txt
says (serving its site/ with the case's own server.py on a free loopback port, swapping files
between two runs where it says so) and asserts the README's "Right:" line. Seven failed when the
issue was filed; six passed and are kept as guards. The kinds are tested beyond these cases, on
inputs of the repository's own, in tests/sources/test_wild_kinds_3.py and
tests/stages/test_wild_identity_3.py.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.cases.test_feeds_in_the_wild import Case, member, story_with

CASES = Path(__file__).resolve().parents[3] / "shared" / "cases" / "feeds-in-the-wild-3"


def open_case(name: str, tmp_path: Path) -> Case:
    return Case(name, tmp_path, CASES)


@contextmanager
def case_server(case: Case) -> Iterator[int]:
    """The case's own server.py (routes.json, read at every request) on a free port of 127.0.0.1;
    the config's 127.0.0.1:8765 is rewritten to it. Yields the port."""
    spec = importlib.util.spec_from_file_location(f"case_server_{id(case)}", case.folder / "server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    server = ThreadingHTTPServer(("127.0.0.1", 0), module.Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    port = server.server_address[1]
    config = case.folder / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("127.0.0.1:8765", f"127.0.0.1:{port}"))
    try:
        yield port
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def stories(case: Case) -> list[dict[str, Any]]:
    return case.report()


def titles(case: Case) -> set[str]:
    return {s["title"] for s in case.report()}


def every_output_link(case: Case) -> list[str]:
    """Every link a reader can follow: item links (RSS, Atom, JSON), member links, hrefs in HTML."""
    links = [e.link for e in case.feed("rss").entries if "link" in e]
    links += [link.href for e in case.feed("atom").entries for link in e.get("links", [])]
    links += [item.get("url", "") for item in case.json_items()]
    links += [m["link"] for s in case.report() for m in s["members"]] + [
        s["canonical"] for s in case.report()
    ]
    links += [href for html in case.html_bodies() for href in re.findall(r'href="([^"]*)"', html)]
    return links


# -- kind 1: the same item twice in one feed -----------------------------------------------------


def test_dup_item_in_feed(tmp_path: Path) -> None:
    """Kind 1: an item listed twice, byte for byte, is one entry; its outlet never copies itself."""
    case = open_case("dup-item-in-feed", tmp_path)
    result = case.run()
    report = stories(case)
    assert len(report) == 2 and len(case.feed("rss").entries) == 2
    assert [len(s["members"]) for s in report] == [1, 1]
    assert not any("(copy)" in html for html in case.html_bodies())
    assert "kept each as a distinct article" not in result.stderr
    assert result.stderr.count("repeat") <= 1


# -- kind 2: the wrong field taken as the entry's text --------------------------------------------


def test_itunes_summary_over_description(tmp_path: Path) -> None:
    """Kind 2: the full <description> is the text, not the one-line itunes:summary."""
    case = open_case("itunes-summary-over-description", tmp_path)
    case.run()
    [story] = stories(case)
    assert sorted(m["feed"] for m in story["members"]) == ["City Radio", "Metro Digest"]
    assert story["credited_source"] == "City Radio"
    assert story["canonical"] == "https://city-radio.example/episodes/library-sundays"


def test_media_description_only(tmp_path: Path) -> None:
    """Kind 2 (guard): an Atom entry whose only text is media:description."""
    case = open_case("media-description-only", tmp_path)
    case.run()
    [story] = stories(case)
    assert story["credited_source"] == "City TV"
    assert story["canonical"].startswith("https://")
    assert member(story, "City TV")["relation"] == "original"
    assert story["canonical"] == member(story, "City TV")["link"]


def test_escaped_cdata_description(tmp_path: Path) -> None:
    """Kind 2 (guard): a description holding an escaped CDATA section is its text."""
    case = open_case("escaped-cdata-description", tmp_path)
    case.run()
    [story] = stories(case)
    assert story["credited_source"] == "City Times"
    assert story["canonical"] == member(story, "City Times")["link"]
    assert not any("CDATA" in html for html in case.html_bodies())


# -- kind 3: one bad character loses the whole feed -----------------------------------------------


def test_surrogate_charrefs(tmp_path: Path) -> None:
    """Kind 3: '&#55357;&#56538;' is the emoji it pairs into; the feed is read."""
    case = open_case("surrogate-charrefs", tmp_path)
    case.run()
    report = stories(case)
    assert "City library reopens on Sundays \U0001f4da" in titles(case)
    library = next(s for s in report if s["title"].startswith("City library"))
    assert sorted(m["feed"] for m in library["members"]) == ["City Times", "Metro Digest"]
    assert library["credited_source"] == "City Times"
    assert any(s["title"].startswith("Bridge") for s in report)
    assert {e.title for e in case.feed("rss").entries} == titles(case)


def test_double_encoded_title(tmp_path: Path) -> None:
    """Charsets (guard): titles escaped twice are shown once decoded, in every output."""
    case = open_case("double-encoded-title", tmp_path)
    case.run()
    expected = {
        "Mayor's plan: library & archive open on Sundays",
        "Q&A: what the bridge closure means for lorries",
    }
    assert titles(case) == expected
    assert {e.title for e in case.feed("rss").entries} == expected
    assert {e.title for e in case.feed("atom").entries} == expected
    assert {item["title"] for item in case.json_items()} == expected


# -- kind 5: links that name the same page ---------------------------------------------------------


def test_tracking_params_amp(tmp_path: Path) -> None:
    """Kind 5: '?ncid=' and a trailing '/amp/' name the same article: 2 stories, 2 items."""
    case = open_case("tracking-params-amp", tmp_path)
    case.run()
    report = stories(case)
    assert len(report) == 2 and len(case.feed("rss").entries) == 2
    assert titles(case) == {"Library to open on Sundays", "Bridge closed to lorries"}
    for story in report:
        assert sorted(m["feed"] for m in story["members"]) == ["City Times", "City Times Mobile"]


# -- kind 6: aggregator items ---------------------------------------------------------------------


def test_aggregator_source_element(tmp_path: Path) -> None:
    """Kind 6: the aggregator's item joins City Times' story (no redirect link published); the
    Valley Courier item is credited to Valley Courier, its title without the suffix."""
    case = open_case("aggregator-source-element", tmp_path)
    case.run()
    report = stories(case)
    assert len(report) == 2
    library = story_with(report, "https://city-times.example/library-sundays")
    assert sorted(m["feed"] for m in library["members"]) == ["City Times", "News Search"]
    assert library["credited_source"] == "City Times"
    assert library["canonical"] == "https://city-times.example/library-sundays"
    assert library["title"] == "City library reopens on Sundays"
    [orchards] = [s for s in report if s is not library]
    assert orchards["credited_source"] == "Valley Courier"
    assert orchards["title"] == "Frost halves the valley's apple harvest"
    # No output item links to the redirect for the library story.
    [item] = [e for e in case.feed("rss").entries if e.title.startswith("City library")]
    assert "news.google.example" not in item.link
    assert "news.google.example" not in item.get("content", [{}])[0].get("value", "")
    assert not any("City Times" in t and " - " in t for t in titles(case))


# -- kind 7: the bytes say what they are ----------------------------------------------------------


def test_json_feed_input(tmp_path: Path) -> None:
    """Kind 7: a JSON Feed 1.1 is read (content_html and content_text items)."""
    case = open_case("json-feed-input", tmp_path)
    case.run()
    report = stories(case)
    library = story_with(report, "https://city-times.example/library-sundays")
    assert sorted(m["feed"] for m in library["members"]) == ["City Times", "Metro Digest"]
    assert library["credited_source"] == "City Times"
    assert "Bridge closed to lorries" in titles(case)


def test_gzip_mislabelled(tmp_path: Path) -> None:
    """Kind 7: plain XML labelled gzip, gzip without the label, gzip twice: all three feeds read."""
    case = open_case("gzip-mislabelled", tmp_path)
    with case_server(case):
        result = case.run()
    assert [line for line in result.stderr.splitlines() if "failed" in line] == []
    report = stories(case)
    assert len(report) == 3
    ferry = next(s for s in report if "ferr" in s["title"].lower())
    assert ferry["credited_source"] == "Harbour Herald"
    assert sorted(m["feed"] for m in ferry["members"]) == ["Harbour Herald", "Island Post"]
    for feed in ("Harbour Herald", "Island Post", "County Roads Bulletin"):
        assert (
            len([line for line in result.stderr.splitlines() if "WARNING" in line and f"'{feed}'" in line])
            <= 1
        )


def test_cloudflare_challenge(tmp_path: Path) -> None:
    """Guard: a challenge page (200 HTML, or 403) fails its feed by name and makes no entry."""
    case = open_case("cloudflare-challenge", tmp_path)
    with case_server(case):
        case.run()
        before = {s["story"]: s for s in stories(case)}
        shutil.copyfile(case.folder / "site" / "routes-run2.json", case.folder / "routes.json")
        result = case.run()
    failed = [line for line in result.stderr.splitlines() if "failed" in line]
    assert any("City Times" in line and "HTML" in line for line in failed), result.stderr
    assert any("Valley Wire" in line and "403" in line for line in failed), result.stderr
    after = {s["story"]: s for s in stories(case)}
    assert set(after) == set(before) and len(after) == 3
    assert not any("Just a moment" in s["title"] for s in after.values())
    library = next(s for s in after.values() if "ibrary" in s["title"])
    assert library["credited_source"] == "City Times"
    assert "Metro Digest" in [m["feed"] for m in library["members"]]


# -- guards: entry links, dates ---------------------------------------------------------------------


def test_xml_base_entries(tmp_path: Path) -> None:
    """Links (guard): entry-level xml:base resolves each entry's relative link."""
    case = open_case("xml-base-entries", tmp_path)
    case.run()
    base = "https://town-notebook.example/ongoing/When/2025/11"
    expected = {f"{base}/05/Library-Sundays", f"{base}/04/Bridge-Lorries"}
    report = stories(case)
    assert {m["link"] for s in report for m in s["members"] if m["feed"] == "Town Notebook"} == expected
    assert expected <= {e.link for e in case.feed("rss").entries}
    library = next(s for s in report if s["canonical"] == f"{base}/05/Library-Sundays")
    assert sorted(m["feed"] for m in library["members"]) == ["Metro Digest", "Town Notebook"]
    assert library["credited_source"] == "Town Notebook"


def test_pubdate_refresh_reorder(tmp_path: Path) -> None:
    """Dates (guard): a feed re-stamping every pubDate and reversing its order changes nothing."""
    case = open_case("pubdate-refresh-reorder", tmp_path)
    case.run()
    outputs = {key: case.output(key).read_bytes() for key in ("rss", "atom", "json", "report")}
    case.swap("times-run2.xml", "times.xml")
    case.run()
    assert {key: case.output(key).read_bytes() for key in outputs} == outputs
    published = sorted(
        m["published"] for s in stories(case) for m in s["members"] if m["feed"] == "City Times"
    )
    assert published == ["2025-11-05T05:00:00Z", "2025-11-05T06:00:00Z", "2025-11-05T07:00:00Z"]
    library = next(s for s in stories(case) if len(s["members"]) == 2)
    assert library["credited_source"] == "City Times"
    assert json.loads(case.output("json").read_text())["items"]
