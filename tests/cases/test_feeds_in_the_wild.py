"""The cases of ../shared/cases/feeds-in-the-wild: real-world feed faults, each run through the real CLI.

Each test copies one case folder, runs `python -m pipeline run` on it as its README.txt says (swapping in the
run-2 feed files between two runs where it says so) and asserts the README's "Right:" line on the outputs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
import tomllib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import feedparser
import pytest

REPO = Path(__file__).resolve().parents[2]
CASES = REPO.parent / "shared" / "cases" / "feeds-in-the-wild"


class Case:
    """A private copy of one case folder, its runs and its outputs (paths from its config.toml)."""

    def __init__(self, name: str, tmp_path: Path, cases: Path = CASES) -> None:
        if not cases.is_dir():
            if os.environ.get("CI"):
                pytest.fail(f"{cases} is missing in CI")
            pytest.skip(f"{cases} not found next to the repository")
        self.folder = tmp_path / name
        shutil.copytree(cases / name, self.folder)
        for path in [self.folder, *self.folder.rglob("*")]:  # the shared folder is read-only
            path.chmod(path.stat().st_mode | stat.S_IWUSR)

    def run(self) -> subprocess.CompletedProcess[str]:
        """`syndedup run` on the copy, as the README says; every case must exit 0."""
        config = self.folder / "config.toml"
        env = {**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}  # the only server is ours
        result = subprocess.run(
            [sys.executable, "-m", "pipeline", "run", "--config", str(config)],
            cwd=self.folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        last = (result.stderr.strip().splitlines() or [""])[-1]
        assert result.returncode == 0, f"exit {result.returncode}: {last}\n{result.stderr[-2000:]}"
        return result

    def swap(self, run2: str, target: str) -> None:
        """`cp feeds/RUN2 feeds/TARGET` between the two runs."""
        shutil.copyfile(self.folder / "feeds" / run2, self.folder / "feeds" / target)

    def output(self, key: str) -> Path:
        config = tomllib.loads((self.folder / "config.toml").read_text(encoding="utf-8"))
        return self.folder / config["output"][key]

    def report(self) -> list[dict[str, Any]]:
        lines = self.output("report").read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]

    def feed(self, key: str) -> Any:
        """The RSS or Atom output as a reader decodes it (no sanitizing, no link resolution)."""
        data = self.output(key).read_bytes()
        return feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)

    def json_items(self) -> list[dict[str, Any]]:
        return json.loads(self.output("json").read_text(encoding="utf-8"))["items"]

    def html_bodies(self) -> list[str]:
        """Every item's HTML: RSS description and content:encoded, Atom content, JSON content_html."""
        bodies = []
        for key in ("rss", "atom"):
            for entry in self.feed(key).entries:
                bodies += [entry.get("summary", "")] + [c.value for c in entry.get("content", [])]
        return bodies + [item.get("content_html", "") for item in self.json_items()]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """The start tags (name, attributes) an HTML parser finds in html."""
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def story_with(report: list[dict[str, Any]], guid: str) -> dict[str, Any]:
    [story] = [s for s in report if any(m["guid"] == guid for m in s["members"])]
    return story


def member(story: dict[str, Any], feed: str) -> dict[str, Any]:
    [found] = [m for m in story["members"] if m["feed"] == feed]
    return found


def utc(parsed: Any) -> datetime:
    return datetime(*parsed[:6], tzinfo=UTC)


def dates_in(where: str, parsed: Any) -> list[tuple[str, datetime]]:
    """The published/updated dates feedparser found in a feed, entry or source (without its fallbacks)."""
    found = [(f, dict.get(parsed, f"{f}_parsed")) for f in ("published", "updated")] if parsed else []
    return [(f"{where} {f}", utc(value)) for f, value in found if value]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(folder: Path) -> Iterator[int]:
    """Serve folder on 127.0.0.1 on a free port; yields the port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# -- dates ---------------------------------------------------------------------------------------------------


def test_future_date(tmp_path: Path) -> None:
    """Dates: an entry dated 2035 is not dated in the future anywhere in the outputs, nor is the feed."""
    case = Case("future-date", tmp_path)
    case.run()
    now = datetime.now(UTC)
    dates: list[tuple[str, datetime]] = []
    for key in ("rss", "atom"):
        parsed = case.feed(key)
        dates += dates_in(f"{key} feed", parsed.feed)
        for entry in parsed.entries:
            dates += dates_in(f"{key} {entry.title!r}", entry)
            dates += dates_in(f"{key} {entry.title!r} source", dict.get(entry, "source"))
    for item in case.json_items():
        for field in ("date_published", "date_modified"):
            if item.get(field):
                dates.append((f"json {item['title']!r} {field}", datetime.fromisoformat(item[field])))
    for story in case.report():
        for m in story["members"]:
            if m.get("published"):
                dates.append((f"report {m['guid']} published", datetime.fromisoformat(m["published"])))
    assert len(dates) > 4
    assert [(where, when.isoformat()) for where, when in dates if when > now] == []


def test_no_tz_date(tmp_path: Path) -> None:
    """Dates: a zone-less RFC 822 pubDate is read as UTC, so the earlier outlet is the original."""
    case = Case("no-tz-date", tmp_path)
    case.run()
    story = story_with(case.report(), "ct-4411")
    capital = member(story, "Capital Times")
    assert capital["published"] == "2017-05-04T19:40:17Z"
    assert capital["relation"] == "original"
    assert story["canonical"] == "https://capital-times.example/culture/4411"
    assert story["credited_source"] == "Capital Times"


def test_slash_date(tmp_path: Path) -> None:
    """Dates: pubDate '2016/6/29 15:07:41' is that date (or undated with a warning), never 2016-11-01."""
    case = Case("slash-date", tmp_path)
    result = case.run()
    story = story_with(case.report(), "hd-1001")
    harbor = member(story, "Harbor Daily")
    if harbor.get("published"):
        assert harbor["published"] == "2016-06-29T15:07:41Z"
    else:
        assert "Harbor Daily" in result.stderr, "an unreadable date is warned about"
    assert harbor["relation"] == "original"
    assert story["canonical"] == "https://harbor-daily.example/2016/06/29/flood-barrier"
    assert story["credited_source"] == "Harbor Daily"


def test_zero_year_date(tmp_path: Path) -> None:
    """Dates: a year-0001 pubDate does not crash the run; every entry of both feeds is written, twice."""
    case = Case("zero-year-date", tmp_path)
    for attempt in range(2):
        result = case.run()
        report = case.report()
        members = {m["guid"]: m for s in report for m in s["members"]}
        about = "https://valley-post.example/about/"
        assert set(members) == {"https://valley-post.example/rail-order/", about, "rw-551", "rw-552"}
        if attempt == 0:  # treated as undated: dated when first seen, with a warning naming the value
            assert "0001" in result.stderr and "undated" in result.stderr, result.stderr
        assert members[about]["published"][:4] >= "1990", "a year-1 date is never published"
        assert len(case.feed("rss").entries) == len(report)


# -- entry identity ------------------------------------------------------------------------------------------


def unchanged_view(case: Case) -> dict[str, Any]:
    """What must not move on a rerun that brings nothing new: items, members, feed and item dates."""
    atom = case.feed("atom")
    return {
        "rss items": len(case.feed("rss").entries),
        "atom updated": atom.feed.updated,
        "atom entries": [(e.id, e.title, e.updated) for e in atom.entries],
        # The stored GUID may follow the feed to its new form (http -> https): compare without the scheme.
        "stories": {
            s["story"]: sorted(re.sub(r"^https?://", "", m["guid"]) for m in s["members"])
            for s in case.report()
        },
    }


def test_guid_scheme_change(tmp_path: Path) -> None:
    """Identity: GUIDs and links moving from http to https are the same entries, not new ones."""
    case = Case("guid-scheme-change", tmp_path)
    case.run()
    before = unchanged_view(case)
    assert len(before["stories"]) == 2
    case.swap("lakeside-run2-https.xml", "lakeside.xml")
    case.run()
    assert unchanged_view(case) == before


def test_no_id_changing_text(tmp_path: Path) -> None:
    """Identity: entries without GUID or link whose view counter changed are the same entries."""
    case = Case("no-id-changing-text", tmp_path)
    case.run()
    before = unchanged_view(case)
    assert len(before["stories"]) == 2
    case.swap("blog-run2.xml", "blog.xml")
    case.run()
    assert unchanged_view(case) == before


def test_same_link_two_feeds(tmp_path: Path) -> None:
    """Identity: one outlet's entry in two of its feeds (same GUID and link) is one story."""
    case = Case("same-link-two-feeds", tmp_path)
    case.run()
    links = [e.link for e in case.feed("rss").entries]
    assert sorted(links) == [
        "https://daily-planet.example/sport/2025/nov/18/cup-final-free-to-air",
        "https://daily-planet.example/tv/2025/nov/18/quiz-host",
    ]
    report = case.report()
    assert len(report) == 2
    for story in report:
        assert sorted(m["feed"] for m in story["members"]) == ["Daily Planet Sport", "Daily Planet TV"]


def test_shared_guid(tmp_path: Path) -> None:
    """Identity: distinct articles that share one GUID/link are all kept, in both runs."""
    # The README counts 5 and 7 "stories": those are the entries. Each feed carries the same library and
    # bakery articles (same text, same date), which dedup rightly merges: 3 and 5 stories of 5 and 7 entries.
    case = Case("shared-guid", tmp_path)
    case.run()
    assert entries_per_feed(case) == {"Town Hall Notices": 3, "Parish Newsletter": 2}
    titles = {
        "Museum to return bronze statues",
        "Library to stay open until midnight",
        "Mill Street bakery to close",
    }
    assert {s["title"] for s in case.report()} == titles
    case.swap("townhall-run2.xml", "townhall.xml")
    case.swap("parish-run2.xml", "parish.xml")
    case.run()
    assert entries_per_feed(case) == {"Town Hall Notices": 4, "Parish Newsletter": 3}
    titles |= {"Council approves flood barrier", "Warblers fitted with radio tags"}
    assert {s["title"] for s in case.report()} == titles


def entries_per_feed(case: Case) -> Counter[str]:
    return Counter(m["feed"] for s in case.report() for m in s["members"])


# -- updates -------------------------------------------------------------------------------------------------


def test_updated_in_place(tmp_path: Path) -> None:
    """Updates: an entry corrected in place (same GUID) shows the correction and a new Atom updated."""
    case = Case("updated-in-place", tmp_path)
    case.run()
    [first] = case.feed("atom").entries
    case.swap("capital-run2.xml", "capital.xml")
    case.run()
    title = "National museum to return fourteen bronze statues"
    assert [s["title"] for s in case.report()] == [title]
    assert [e.title for e in case.feed("rss").entries] == [title]
    [entry] = case.feed("atom").entries
    assert entry.title == title
    assert "fourteen statues, not twelve" in entry.content[0].value
    assert utc(entry.updated_parsed) > utc(first.updated_parsed)


# -- links ---------------------------------------------------------------------------------------------------


def test_missing_link(tmp_path: Path) -> None:
    """Links: items without a usable link are written with no empty or mailto: link anywhere."""
    case = Case("missing-link", tmp_path)
    case.run()
    rss, atom, items = case.feed("rss"), case.feed("atom"), case.json_items()
    assert len(rss.entries) == len(atom.entries) == len(items) == len(case.report()) == 3
    hrefs = [attrs.get("href") for html in case.html_bodies() for tag, attrs in tags(html) if tag == "a"]
    assert [href for href in hrefs if not href or href.startswith("mailto:")] == []
    links = [e.link for e in rss.entries if "link" in e]
    links += [link.href for e in atom.entries for link in e.get("links", []) if link.rel == "alternate"]
    links += [item["url"] for item in items if "url" in item]
    links += [s["canonical"] for s in case.report() if s.get("canonical") is not None]
    assert [link for link in links if not link or link.startswith("mailto:")] == []


def test_relative_links(tmp_path: Path) -> None:
    """Links: relative item links are resolved against the feed URL, not dropped."""
    case = Case("relative-links", tmp_path)
    with serve(case.folder / "site") as port:
        for path in [*case.folder.rglob("*.toml"), *case.folder.rglob("*.xml")]:
            text = path.read_text(encoding="utf-8")
            path.write_text(text.replace("127.0.0.1:8765", f"127.0.0.1:{port}"), encoding="utf-8")
        case.run()
    base = f"http://127.0.0.1:{port}/en/news/2025/11"
    expected = {f"{base}/rail-order", f"{base}/statues"}
    report = case.report()
    assert {m["link"] for s in report for m in s["members"] if m["feed"] == "Arcade News"} == expected
    assert expected <= {e.link for e in case.feed("rss").entries}


# -- charsets ------------------------------------------------------------------------------------------------


def test_utf8_one_bad_byte(tmp_path: Path) -> None:
    """Charsets: a UTF-8 feed with one invalid byte is still read as UTF-8, not as iso-8859-2."""
    case = Case("utf8-one-bad-byte", tmp_path)
    case.run()
    report = case.report()
    titles = {"Совет одобрил строительство дамбы", "Пекарня на Мельничной улице закроется"}
    assert {s["title"] for s in report} == titles
    assert {e.title for e in case.feed("rss").entries} == titles
    dam = story_with(report, "rc-7")
    assert member(dam, "Primorsk Vesti")["published"] == "2025-11-18T07:00:00Z"
    assert dam["canonical"] == "https://primorsk-vesti.example/news/101"
    assert dam["credited_source"] == "Primorsk Vesti"


def test_title_angle_brackets(tmp_path: Path) -> None:
    """Charsets: escaped angle brackets in titles are text, kept in every output."""
    case = Case("title-angle-brackets", tmp_path)
    case.run()
    titles = {
        "does the SVG library have any similar feature to <animate [etc.]>?",
        "Why does x < y && y > z fail in my template?",
        "The <br> tag vs CSS margins",
    }
    assert {s["title"] for s in case.report()} == titles
    assert {e.title for e in case.feed("rss").entries} == titles
    assert {e.title for e in case.feed("atom").entries} == titles
    assert {item["title"] for item in case.json_items()} == titles


# -- caps ----------------------------------------------------------------------------------------------------


def test_oldest_first_cap(tmp_path: Path) -> None:
    """Caps: max_entries keeps the newest entries of a feed sorted oldest first."""
    case = Case("oldest-first-cap", tmp_path)
    case.run()
    newest = {"Bulletin 3: birds", "Bulletin 4: museum", "Bulletin 5: rail"}
    assert {s["title"] for s in case.report()} == newest
    case.swap("chrono-run2.xml", "chrono.xml")
    case.run()
    titles = {s["title"] for s in case.report()}
    assert "Bulletin 6: flood" in titles
    assert not {"Bulletin 1: bakery", "Bulletin 2: library"} & titles


# -- output safety -------------------------------------------------------------------------------------------


def test_script_text_in_description(tmp_path: Path) -> None:
    """Output safety: attack strings quoted as text stay text; no output item has a live script or on*."""
    case = Case("script-text-in-description", tmp_path)
    case.run()
    bodies = case.html_bodies()
    assert any("alert(1)" in html for html in bodies)
    live = [
        (tag, attrs)
        for html in bodies
        for tag, attrs in tags(html)
        if tag == "script" or any(name.startswith("on") for name in attrs)
    ]
    assert live == []


# -- credit lines --------------------------------------------------------------------------------------------


def test_credit_the_outlet(tmp_path: Path) -> None:
    """Credit lines: 'first appeared in the Valley Courier' credits the configured feed 'Valley Courier'."""
    case = Case("credit-the-outlet", tmp_path)
    case.run()
    story = story_with(case.report(), "hd-2207")
    assert sorted(m["guid"] for m in story["members"]) == ["hd-2207", "vc-8841"]
    assert story["credited_source"] == "Valley Courier"
    assert story["canonical"] == "https://valley-courier.example/news/2025/08/reservoir-low"


def test_dateline_number(tmp_path: Path) -> None:
    """Credit lines: a number in parentheses after a dateline is not a wire credit."""
    case = Case("dateline-number", tmp_path)
    case.run()
    report = case.report()
    sydney = story_with(report, "scw-2805")
    assert sorted(m["feed"] for m in sydney["members"]) == ["Coastline Digest", "Southern Cross Wire"]
    wire = [s for s in report if s["canonical"].startswith("https://southern-cross-wire.example/")]
    assert [s["credited_source"] for s in wire] == ["Southern Cross Wire"] * 2
    assert [s["credited_source"] for s in report if s["credited_source"].strip().isdigit()] == []
