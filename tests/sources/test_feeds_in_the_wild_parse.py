"""The parse-side cases of ../shared/cases/feeds-in-the-wild (issue 12, kinds A, B, C, H, I, J, K):
each copies the case folder, runs the real CLI on it as its README.txt says, and checks the right
result the README names."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from tests.conftest import REPO, read_report
from tests.feedserver import FeedServer, Route

CASES = REPO.parent / "shared" / "cases" / "feeds-in-the-wild"
ATOM = "{http://www.w3.org/2005/Atom}"


def case(name: str, tmp_path: Path) -> Path:
    """A private copy of one case folder."""
    if not CASES.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{CASES} is missing in CI")
        pytest.skip(f"{CASES} not found next to the repository")
    return Path(shutil.copytree(CASES / name, tmp_path / name))


def syndedup_run(folder: Path) -> subprocess.CompletedProcess[str]:
    """``syndedup run`` on the folder's config.toml, as a user runs it (a separate process)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--config", str(folder / "config.toml")],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def rss_items(folder: Path) -> list[dict[str, str]]:
    channel = ET.parse(folder / "out" / "feed.rss").getroot().find("channel")
    assert channel is not None
    return [{child.tag: child.text or "" for child in item} for item in channel.findall("item")]


def all_output_dates(folder: Path) -> list[datetime]:
    """Every date the RSS, Atom and JSON outputs publish."""
    rss = ET.parse(folder / "out" / "feed.rss").getroot()
    dates = [parsedate_to_datetime(e.text or "") for e in rss.iter() if e.tag in ("pubDate", "lastBuildDate")]
    atom = ET.parse(folder / "out" / "feed.atom").getroot()
    dates += [
        datetime.fromisoformat(e.text or "")
        for e in atom.iter()
        if e.tag in (f"{ATOM}updated", f"{ATOM}published")
    ]
    feed = json.loads((folder / "out" / "feed.json").read_text(encoding="utf-8"))
    for item in feed["items"]:
        dates += [datetime.fromisoformat(item[k]) for k in ("date_published", "date_modified") if k in item]
    return dates


def member(report: list[dict], feed: str) -> tuple[dict, dict]:
    """(story, member) of the one report member from ``feed``."""
    found = [(s, m) for s in report for m in s["members"] if m["feed"] == feed]
    assert len(found) == 1, found
    return found[0]


# -- A: dates -------------------------------------------------------------------------------------


def test_no_tz_date_is_utc_and_its_entry_is_the_original(tmp_path: Path) -> None:
    folder = case("no-tz-date", tmp_path)
    done = syndedup_run(folder)
    assert done.returncode == 0, done.stderr
    report = read_report(folder / "out" / "clusters.jsonl")
    story, capital = member(report, "Capital Times")
    assert capital["published"] == "2017-05-04T19:40:17Z"
    assert capital["relation"] == "original" and story["credited_source"] == "Capital Times"
    assert member(report, "Culture Digest")[1]["relation"] == "copy"
    rss = ET.parse(folder / "out" / "feed.rss").getroot()
    assert rss.findtext("channel/lastBuildDate") == "Thu, 04 May 2017 22:10:00 +0000"  # not the clock


def test_slash_date_is_read_and_its_entry_is_the_original(tmp_path: Path) -> None:
    folder = case("slash-date", tmp_path)
    done = syndedup_run(folder)
    assert done.returncode == 0, done.stderr
    report = read_report(folder / "out" / "clusters.jsonl")
    story, harbor = member(report, "Harbor Daily")
    assert harbor["published"] == "2016-06-29T15:07:41Z"
    assert harbor["relation"] == "original" and story["credited_source"] == "Harbor Daily"
    assert story["canonical"] == "https://harbor-daily.example/2016/06/29/flood-barrier"
    rss = ET.parse(folder / "out" / "feed.rss").getroot()
    assert rss.findtext("channel/lastBuildDate") == "Wed, 29 Jun 2016 18:30:00 +0000"


# -- B: dates outside years 1000-9999 --------------------------------------------------------------


def test_zero_year_date_is_undated_and_never_stops_a_run(tmp_path: Path) -> None:
    folder = case("zero-year-date", tmp_path)
    for _ in range(2):
        done = syndedup_run(folder)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        titles = sorted(i["title"] for i in rss_items(folder))
        assert titles == [
            "About",
            "Family bakery on Mill Street to close",
            "Regional operator orders forty electric trains",  # Rail Weekly's copy joined it
        ]
        members = [m for s in read_report(folder / "out" / "clusters.jsonl") for m in s["members"]]
        assert len(members) == 4  # every entry of both feeds
    with sqlite3.connect(folder / "state" / "syndedup.sqlite") as db:
        rows = db.execute("SELECT title, published, dated FROM articles").fetchall()
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", published) for _, published, _ in rows)
    assert [bool(dated) for title, _, dated in rows if title == "About"] == [False]


def test_zero_year_date_warning_names_the_feed_and_the_value(tmp_path: Path) -> None:
    folder = case("zero-year-date", tmp_path)
    done = syndedup_run(folder)
    assert done.returncode == 0
    assert "feed 'Valley Post'" in done.stderr and "'Mon, 01 Jan 0001 00:00:00 +0000'" in done.stderr


# -- C: future dates ------------------------------------------------------------------------------


def test_future_date_is_dated_when_first_seen_and_no_output_date_is_in_the_future(tmp_path: Path) -> None:
    folder = case("future-date", tmp_path)
    done = syndedup_run(folder)
    after = datetime.now(UTC)
    assert done.returncode == 0, done.stderr
    assert "feed 'Events Bulletin'" in done.stderr and "date in the future" in done.stderr
    dates = all_output_dates(folder)
    assert dates and max(dates) <= after
    assert all(d.year < 2035 for d in dates)
    assert len(rss_items(folder)) == 4  # the entry is kept, only its date is not believed


# -- H: relative links ----------------------------------------------------------------------------


def test_relative_links_resolve_against_the_feed_url(tmp_path: Path) -> None:
    folder = case("relative-links", tmp_path)
    with FeedServer() as server:
        body = (folder / "site" / "en" / "news" / "rss.xml").read_bytes()
        server.routes["/en/news/rss.xml"] = Route(body=body)
        config = folder / "config.toml"
        url = server.url("/en/news/rss.xml")
        config.write_text(config.read_text().replace("http://127.0.0.1:8765/en/news/rss.xml", url))
        done = syndedup_run(folder)
    assert done.returncode == 0, done.stderr
    root = url.removesuffix("/en/news/rss.xml")
    report = read_report(folder / "out" / "clusters.jsonl")
    arcade = [m for s in report for m in s["members"] if m["feed"] == "Arcade News"]
    assert sorted(m["link"] for m in arcade) == [
        f"{root}/en/news/2025/11/rail-order",
        f"{root}/en/news/2025/11/statues",
    ]
    assert all(not m["guid"].startswith("sha1:") for m in arcade)  # keyed by the link, not a hash
    assert all(s["canonical"] for s in report)
    links = [i["link"] for i in rss_items(folder)]
    assert f"{root}/en/news/2025/11/statues" in links and "http://localhost/" not in links


# -- I: titles keep literal text ------------------------------------------------------------------


TITLES = [
    "The <br> tag vs CSS margins",
    "Why does x < y && y > z fail in my template?",
    "does the SVG library have any similar feature to <animate [etc.]>?",
]


def test_title_angle_brackets_stay_text_in_every_output(tmp_path: Path) -> None:
    folder = case("title-angle-brackets", tmp_path)
    done = syndedup_run(folder)
    assert done.returncode == 0, done.stderr
    assert [i["title"] for i in rss_items(folder)] == TITLES
    atom = ET.parse(folder / "out" / "feed.atom").getroot()
    assert [e.findtext(f"{ATOM}title") for e in atom.findall(f"{ATOM}entry")] == TITLES
    feed = json.loads((folder / "out" / "feed.json").read_text(encoding="utf-8"))
    assert [item["title"] for item in feed["items"]] == TITLES
    assert sorted(s["title"] for s in read_report(folder / "out" / "clusters.jsonl")) == sorted(TITLES)


# -- J: charsets ----------------------------------------------------------------------------------


def test_utf8_feed_with_one_bad_byte_stays_utf8(tmp_path: Path) -> None:
    folder = case("utf8-one-bad-byte", tmp_path)
    done = syndedup_run(folder)
    assert done.returncode == 0, done.stderr
    assert "CharacterEncodingOverride" not in done.stderr and "iso-8859-2" not in done.stderr
    assert "not valid utf-8" in done.stderr.lower()
    report = read_report(folder / "out" / "clusters.jsonl")
    assert len(report) == 2
    dam = next(s for s in report if any(m["feed"] == "Regional Courier" for m in s["members"]))
    assert dam["credited_source"] == "Primorsk Vesti"
    original = next(m for m in dam["members"] if m["relation"] == "original")
    assert original["feed"] == "Primorsk Vesti" and original["published"] == "2025-11-18T07:00:00Z"
    titles = {i["title"] for i in rss_items(folder)}
    assert titles == {"Совет одобрил строительство дамбы", "Пекарня на Мельничной улице закроется"}
    text = (folder / "out" / "feed.rss").read_text(encoding="utf-8")
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", text)


# -- K: max_entries keeps the newest --------------------------------------------------------------


def test_oldest_first_cap_keeps_the_newest_entries(tmp_path: Path) -> None:
    folder = case("oldest-first-cap", tmp_path)
    done = syndedup_run(folder)
    assert done.returncode == 0, done.stderr
    assert sorted(i["title"] for i in rss_items(folder)) == [
        "Bulletin 3: birds",
        "Bulletin 4: museum",
        "Bulletin 5: rail",
    ]
    assert "kept the newest 3 by date and dropped 2" in done.stderr
    shutil.copy(folder / "feeds" / "chrono-run2.xml", folder / "feeds" / "chrono.xml")
    again = syndedup_run(folder)
    assert again.returncode == 0, again.stderr
    assert "1 new entry" in again.stdout + again.stderr
    assert rss_items(folder)[0]["title"] == "Bulletin 6: flood"
