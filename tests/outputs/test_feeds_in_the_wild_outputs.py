"""Issue 12, output side: the cases of ../shared/cases/feeds-in-the-wild on output safety and
unusable links, run through the real CLI on a copy of each folder, plus inputs of the same kinds
written here (L: text that shows markup, active links in content; H: unusable links; C: dates
in the future or before 1990; control characters)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import lxml.html
import pytest

from pipeline.config import Config, parse_config
from pipeline.runner import run
from tests.conftest import REPO, read_report
from tests.outputs.feed_warnings import atom_warnings, json_warnings, report_warnings, rss_warnings

NOW = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
STORY = (
    "The regional council met on Tuesday to discuss the repair of the northern bridge, which has "
    "been closed to heavy traffic since the spring floods damaged two of its supports."
)


def case_folder(name: str, tmp_path: Path) -> Path:
    """A copy of ../shared/cases/feeds-in-the-wild/NAME (skip when absent, fail under CI)."""
    source = REPO.parent / "shared" / "cases" / "feeds-in-the-wild" / name
    if not source.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{source} is missing in CI")
        pytest.skip(f"{source} not found next to the repository")
    return Path(shutil.copytree(source, tmp_path / name))


def run_cli(folder: Path) -> None:
    """``python -m pipeline run --config config.toml`` in the folder, as a user would."""
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--config", "config.toml"],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert done.returncode == 0, done.stderr


def decoded_html(folder: Path) -> list[str]:
    """Every HTML value a reader renders: RSS description and content:encoded, Atom content and
    JSON content_html, decoded as a reader decodes them (feedparser, its sanitizer off)."""
    values: list[str] = []
    for name in ("feed.rss", "feed.atom"):
        parsed = feedparser.parse((folder / "out" / name).read_bytes(), sanitize_html=False)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        for entry in parsed.entries:
            values.extend(content.value for content in entry.get("content", []))
            if name == "feed.rss":
                values.append(entry.summary)
    feed = json.loads((folder / "out" / "feed.json").read_text(encoding="utf-8"))
    values.extend(item["content_html"] for item in feed["items"])
    return values


def active_markup(fragment: str) -> list[str]:
    """<script> elements and on* attributes of an HTML fragment, as a browser would parse it."""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    found = [f"<{e.tag}>" for e in root.iter("script", "iframe", "object", "embed")]
    for element in root.iter():
        found += [f"{element.tag}@{a}" for a in element.attrib if a.lower().startswith("on")]
    return found


def anchors(fragment: str) -> list[str | None]:
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    return [a.get("href") for a in root.iter("a")]


def all_warnings(output: Path, now: datetime) -> list[str]:
    return (
        rss_warnings((output / "feed.rss").read_bytes(), now)
        + atom_warnings((output / "feed.atom").read_bytes(), now)
        + json_warnings((output / "feed.json").read_bytes(), now)
        + report_warnings((output / "clusters.jsonl").read_bytes())
    )


# -- the cases ------------------------------------------------------------------------------------


def test_script_text_in_description_is_shown_as_text_never_run(tmp_path: Path) -> None:
    folder = case_folder("script-text-in-description", tmp_path)
    run_cli(folder)
    values = decoded_html(folder)
    assert len(values) == 2 * 3 + 2  # RSS description + content, Atom content, JSON: two items
    assert [found for value in values for found in active_markup(value)] == []
    # The quoted attack strings stay visible, as text.
    texts = [lxml.html.fragment_fromstring(v, create_parent="div").text_content() for v in values]
    assert sum("entering <script>alert(1)</script> made" in t for t in texts) == 4
    assert sum("<img src=x onerror=alert(1)> did the same" in t for t in texts) == 4
    assert all_warnings(folder / "out", datetime.now(UTC)) == []


def test_missing_and_mailto_links_are_left_out(tmp_path: Path) -> None:
    folder = case_folder("missing-link", tmp_path)
    run_cli(folder)
    rss = feedparser.parse((folder / "out/feed.rss").read_bytes(), sanitize_html=False)
    atom = feedparser.parse((folder / "out/feed.atom").read_bytes(), sanitize_html=False)
    feed = json.loads((folder / "out/feed.json").read_text(encoding="utf-8"))
    assert len(rss.entries) == len(atom.entries) == len(feed["items"]) == 3
    hrefs = [href for value in decoded_html(folder) for href in anchors(value)]
    assert hrefs and all(href and href.startswith("https://") for href in hrefs)
    links = [entry.get("link") for entry in rss.entries]
    links += [link.href for entry in atom.entries for link in entry.get("links", [])]
    links += [item.get("url") for item in feed["items"]]
    links += [story["canonical"] for story in read_report(folder / "out/clusters.jsonl")]
    present = [link for link in links if link is not None]
    assert present and all(link.startswith("https://hillside-notes.example/") for link in present)
    # The two link-less items have no link at all (not the output's own home page).
    assert links.count(None) == 2 * 3
    assert all_warnings(folder / "out", datetime.now(UTC)) == []


def test_future_dated_entry_is_not_dated_in_the_future(tmp_path: Path) -> None:
    folder = case_folder("future-date", tmp_path)
    before = datetime.now(UTC)
    run_cli(folder)
    after = datetime.now(UTC)
    assert all_warnings(folder / "out", after) == []
    atom = feedparser.parse((folder / "out/feed.atom").read_bytes())
    assert datetime(*atom.feed.updated_parsed[:6], tzinfo=UTC) <= after
    assert max(datetime(*e.updated_parsed[:6], tzinfo=UTC) for e in atom.entries) >= before.replace(
        microsecond=0
    )  # the 2035 entry is shown as of the run that first saw it


# -- inputs of the same kinds, written here -------------------------------------------------------


def run_feeds(tmp_path: Path, feeds: dict[str, bytes], now: datetime = NOW) -> Config:
    (tmp_path / "in").mkdir(exist_ok=True)
    entries = []
    for name, body in feeds.items():
        path = tmp_path / "in" / f"{name}.xml"
        path.write_bytes(body)
        entries.append({"name": name, "url": str(path)})
    data = {
        "feeds": entries,
        "output": {
            "rss": "out/feed.rss",
            "atom": "out/feed.atom",
            "report": "out/clusters.jsonl",
            "json": "out/feed.json",
            "html": "out/audit.html",
        },
        "state": {"path": "state/s.sqlite"},
    }
    config = parse_config(data, tmp_path / "config.toml")
    run(config, now=now)
    return config


def rss_feed(*items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        "<link>https://outlet.example/</link><description>d</description>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def item(guid: str, title: str, description: str, link: str | None = None, date: str | None = None) -> str:
    parts = [f"<item><guid isPermaLink='false'>{guid}</guid><title>{title}</title>"]
    if link is not None:
        parts.append(f"<link>{link}</link>")
    if date is not None:
        parts.append(f"<pubDate>{date}</pubDate>")
    parts.append(f"<description><![CDATA[{description}]]></description></item>")
    return "".join(parts)


HOSTILE_TEXT = (
    "<p>The security column explains three tricks seen this week: typing "
    "&lt;iframe src=https://evil.example/&gt;&lt;/iframe&gt; into a comment box, "
    "&lt;svg onload=alert(1)&gt; in a profile name, and a link written as "
    "&lt;a href=&quot;javascript:alert(2)&quot;&gt;click&lt;/a&gt; in a forum post. " + STORY + "</p>"
    '<p>Read the <a href="javascript:alert(3)">advisory</a>, the <a href="data:text/html;base64,'
    'PHNjcmlwdD5hbGVydCg0KTwvc2NyaXB0Pg==">data sheet</a>, the <a href="/2025/01/notes">notes</a> '
    'and the <a href="mailto:desk@outlet.example">desk</a>; see <img src="/x.png" onerror="alert(5)">'
    "the <a href=''>archive</a>.</p>"
)


def test_markup_shown_as_text_and_active_links_in_content_never_reach_a_reader(tmp_path: Path) -> None:
    config = run_feeds(tmp_path, {"Column": rss_feed(item("h1", "Three tricks", HOSTILE_TEXT))})
    output = config.output.rss.parent
    values = decoded_html(output.parent)
    assert values and [found for value in values for found in active_markup(value)] == []
    texts = [lxml.html.fragment_fromstring(v, create_parent="div").text_content() for v in values]
    assert any("&lt;" not in t and "<svg onload=alert(1)> in a profile name" in t for t in texts)
    for value in values:  # the content's own links are text only; ours are absolute http(s)
        assert all(href and href.startswith(("https://", "http://")) for href in anchors(value)), value
    assert all_warnings(output, NOW) == []
    audit = (output / "audit.html").read_text(encoding="utf-8")
    assert active_markup(audit.split("<body>", 1)[1].rsplit("</body>", 1)[0]) == []


def test_unusable_links_of_members_are_left_out_of_every_output(tmp_path: Path) -> None:
    """ftp:, empty and mailto: links (one of them on a copy, credited without a link) are left out."""
    feeds = {
        "Wire": rss_feed(item("w1", "Bridge repair", f"<p>{STORY}</p>", "ftp://wire.example/bridge")),
        "Daily": rss_feed(item("d1", "Bridge repair", f"<p>{STORY}</p>", "https://daily.example/bridge")),
        "Empty": rss_feed(item("e1", "Ferry times", "<p>The ferry leaves earlier. " * 20 + "</p>", "")),
        "Relative": rss_feed(item("r1", "Market opens", "<p>The market opens. " * 20 + "</p>", "/m")),
        "Mail": rss_feed(item("m1", "Potholes", "<p>Report potholes. " * 20 + "</p>", "mailto:x@y.example")),
    }
    config = run_feeds(tmp_path, feeds)
    output = config.output.rss.parent
    assert all_warnings(output, NOW) == []
    for value in decoded_html(output.parent):
        assert all(href and href.startswith("https://") for href in anchors(value)), value
    audit = (output / "audit.html").read_text(encoding="utf-8")
    assert 'href=""' not in audit and "mailto:" not in audit and "ftp:" not in audit
    report = read_report(config.output.report)
    links = [m["link"] for story in report for m in story["members"]]
    # The relative "/m" resolves against the feed's own <link> (a local file has no URL of its own).
    expected = ["", "", "", "https://daily.example/bridge", "https://outlet.example/m"]
    assert sorted(link or "" for link in links) == expected


def test_no_date_after_first_seen_or_before_1990_and_reruns_are_byte_identical(tmp_path: Path) -> None:
    feeds = {
        "Events": rss_feed(
            item("f1", "Festival", "<p>The festival " * 30 + "</p>", None, "Tue, 30 Jan 2035 13:00:00 +0000"),
            item("o1", "Epoch", "<p>The epoch " * 30 + "</p>", None, "Thu, 01 Jan 1970 00:00:00 +0000"),
            item("n1", "Normal", "<p>The normal " * 30 + "</p>", None, "Sun, 31 Dec 2023 09:00:00 +0000"),
        )
    }
    config = run_feeds(tmp_path, feeds)
    output = config.output.rss.parent
    assert all_warnings(output, NOW) == []
    before = {p.name: p.read_bytes() for p in output.iterdir()}
    run(config, now=NOW + timedelta(days=400))  # a later run that changes nothing
    assert {p.name: p.read_bytes() for p in output.iterdir()} == before
    atom = feedparser.parse(before["feed.atom"])
    shown = {e.title: datetime(*e.updated_parsed[:6], tzinfo=UTC) for e in atom.entries}
    assert shown == {"Festival": NOW, "Epoch": NOW, "Normal": datetime(2023, 12, 31, 9, tzinfo=UTC)}


def test_control_characters_never_reach_an_output(tmp_path: Path) -> None:
    c1 = "&#x85;&#x9C;&#x80;\ufffd"
    body = rss_feed(
        item(
            "c1", f"Council{c1} meets", f"<p>The regional{c1} council met. {STORY}</p>", "https://o.example/1"
        )
    )
    config = run_feeds(tmp_path, {f"Outlet{chr(0x9C)}": body})
    output = config.output.rss.parent
    assert all_warnings(output, NOW) == []
    rss = feedparser.parse(config.output.rss.read_bytes())
    title = rss.entries[0].title  # ftfy reads C1 characters as the windows-1252 ones they mean
    assert title.startswith("Council") and title.endswith(" meets")
    assert not any(0x80 <= ord(c) <= 0x9F or c == "\ufffd" for c in title)
