"""The HTML audit page: its content for the seed case, its word diffs, and a real browser rendering
it (headless Chromium: the DOM it built, and a screenshot)."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from lxml import html as lxml_html

from pipeline.outputs.audit import diff_member
from tests.emit_helpers import enable_all_outputs

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="chromium is not installed (CI installs it: apt-get install chromium)",
)
VOA_LINK = "https://www.voanews.com/a/syria-talks-astana/3687000.html"


def select(element: lxml_html.HtmlElement, selector: str) -> list:
    """A tiny CSS subset (``tag.class.class`` steps separated by spaces) as XPath, so that the test
    needs no cssselect package."""
    path = "."
    for step in selector.split():
        tag, *classes = step.split(".")
        path += "//" + (tag or "*")
        for name in classes:
            path += f"[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"
    return element.xpath(path)


@pytest.fixture
def audit_page(demo: Path, cli) -> Path:
    enable_all_outputs(demo / "config.toml")
    result = cli("run", "--config", str(demo / "config.toml"))
    assert result.code == 0, result.err
    return demo / "out" / "audit.html"


def check_seed_case_dom(root: lxml_html.HtmlElement) -> None:
    """What an editor must see for the demo: four stories, one merged with its copy and teaser."""
    stories = select(root, "section.story")
    assert len(stories) == 4
    assert root.get_element_by_id("total-stories").text_content().split() == ["4", "stories"]
    assert root.get_element_by_id("total-copies").text_content().split() == ["1", "copy"]
    assert root.get_element_by_id("total-teasers").text_content().split() == ["1", "teaser"]
    [merged] = select(root, "section.story.merged")
    assert select(merged, "h2 a")[0].get("href") == VOA_LINK
    assert select(merged, "b.credited")[0].text_content() == "Voice of America"
    rows = [
        [cell.text_content().strip() for cell in select(row, "td")[:4]] for row in select(merged, "tr.member")
    ]
    assert [r[:2] for r in rows] == [
        ["original", "Voice of America"],
        ["copy", "Syria News Gazette"],
        ["teaser", "News Aggregator"],
    ]
    assert rows[0][3] == "—"
    assert rows[1][3].endswith("Jaccard") and 0.9 <= float(rows[1][3].split()[0]) <= 1.0
    assert rows[2][3].endswith("lead containment") and 0.9 <= float(rows[2][3].split()[0]) <= 1.0
    copy_diff, teaser_diff = select(merged, "details.diff")
    # The gazette lost the space after a closing quote ("talks.”It") and added a credit line.
    assert "Syria News Gazette (copy, Jaccard" in select(copy_diff, "summary")[0].text_content()
    deleted = " ".join(d.text_content() for d in select(copy_diff, "del"))
    inserted = " ".join(i.text_content() for i in select(copy_diff, "ins"))
    assert "talks." in deleted and "talks.”" in inserted
    assert "Source: Voice of America" in inserted
    [left_head, right_head] = select(copy_diff, "table.sbs th")
    assert left_head.text_content() == "original · Voice of America"
    assert right_head.text_content() == "copy · Syria News Gazette"
    assert "compared with the original's first" in select(teaser_diff, "summary")[0].text_content()
    singles = select(root, "section.story.single")
    assert len(singles) == 3
    for single in singles:
        assert select(single, "p.single")[0].text_content() == (
            "Story of one: no copy or teaser of it was found."
        )
        assert not select(single, "details")
    assert not select(root, "script")


def test_audit_page_shows_every_story_with_its_members_scores_and_diffs(audit_page: Path) -> None:
    check_seed_case_dom(lxml_html.fromstring(audit_page.read_bytes()))


def test_diff_marks_removed_and_added_words_with_context() -> None:
    original = "One two three four five six seven eight nine ten eleven twelve.\n\nSecond paragraph here."
    copy = "One two three four five 6 seven eight nine ten eleven twelve.\n\nSecond paragraph here. Source: X"
    change = diff_member(original, copy, teaser=False)
    assert (change.removed, change.added) == (1, 3)
    html = " ".join(left + right for left, right in change.rows)
    assert "<del>six</del>" in html and "<ins>6</ins>" in html and "<ins>Source: X</ins>" in html
    assert diff_member(original, original, teaser=False).rows == ()


def test_teaser_is_compared_with_the_lead_only() -> None:
    original = " ".join(f"w{i}" for i in range(200))
    teaser = " ".join(f"w{i}" for i in range(30)) + " w30..."
    change = diff_member(original, teaser, teaser=True)
    assert (change.compared, change.original_words) == (31, 200)
    assert (change.removed, change.added) == (1, 1)


def test_typography_alone_is_no_change_and_paragraph_marks_are_not_words() -> None:
    original = "He said \u201cno\u201d \u2014 it\u2019s over.\n\nSecond paragraph here."
    straightened = 'He said "no" - it\'s over.\n\nSecond paragraph here.'
    assert diff_member(original, straightened, teaser=False).rows == ()
    joined = "He said \u201cno\u201d \u2014 it\u2019s over. Second paragraph here."  # one break lost
    change = diff_member(original, joined, teaser=False)
    assert (change.removed, change.added) == (0, 0) and change.rows  # the lost break shows, uncounted
    assert (change.compared, change.original_words) == (9, 9)


def test_html_escapes_feed_text() -> None:
    change = diff_member("a <b> c d", "a <i> c d", teaser=False)
    [(left, right)] = change.rows
    assert "&lt;b&gt;" in left and "&lt;i&gt;" in right and "<b>" not in left


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@needs_chromium
def test_headless_chromium_renders_the_audit_page(audit_page: Path, tmp_path: Path) -> None:
    assert CHROMIUM is not None, "chromium must be installed when CI is set"
    flags = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    url = audit_page.as_uri()
    dumped = subprocess.run([*flags, "--dump-dom", url], capture_output=True, timeout=120, check=False)
    assert dumped.returncode == 0, dumped.stderr.decode(errors="replace")[-2000:]
    check_seed_case_dom(lxml_html.fromstring(dumped.stdout))

    screenshot = tmp_path / "audit.png"
    shot = subprocess.run(
        [*flags, "--window-size=1280,1800", f"--screenshot={screenshot}", url],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert shot.returncode == 0, shot.stderr.decode(errors="replace")[-2000:]
    data = screenshot.read_bytes()
    assert png_size(data) == (1280, 1800)
    assert len(data) > 50_000  # a rendered page, not a blank one (a blank PNG is about 10 kB)


VOA_WORDS = 6  # an unrelated entry quoting six words of VOA's story: 3 shared shingles, Jaccard ~0.00
MUSEUM_LINK = "https://world-desk.example/2017/01/21/museum-reopens"
AGGREGATOR_LINK = "https://news-aggregator.example/item/88213"
GAZETTE_LINK = "https://syrianewsgazette.com/2017/01/23/syrian-peace-talks-open-in-astana/"


def add_quoting_feed(demo: Path) -> str:
    """A feed whose one entry is about something else and quotes six words of VOA's story."""
    import html as html_module

    import feedparser

    from tests.feedserver import rss

    voa = feedparser.parse((demo / "feeds" / "voa.xml").read_bytes()).entries[0]
    words = lxml_html.fromstring(voa.summary).text_content().split()
    quote = " ".join(words[40 : 40 + VOA_WORDS])
    filler = (
        "The city council voted to extend the tram line to the harbour, and residents said the "
        "works would close two streets for most of the summer while new stops are built. "
    )
    text = filler * 6 + f"A visitor said {quote} and then left. " + filler * 4
    (demo / "feeds" / "quoting.xml").write_bytes(rss(("q-1", "Tram line", html_module.escape(text))))
    with (demo / "config.toml").open("a", encoding="utf-8") as out:
        out.write('\n[[feeds]]\nname = "Quoting Post"\nurl = "feeds/quoting.xml"\n')
    return "http://example.org/q-1"


def near_miss_links(root: lxml_html.HtmlElement) -> list[set[str]]:
    section = root.get_element_by_id("near-misses")
    return [{a.get("href") for a in select(row, "a")} for row in select(section, "tbody tr")]


def test_audit_near_misses_leave_out_unrelated_pairs_and_split_entries(demo: Path, cli) -> None:
    """Issue 23 item 8: a pair sharing one quoted phrase (scores 0.00) is no near miss, and an
    entry an editor split out is listed under the corrections, not as a near miss of its old story."""
    enable_all_outputs(demo / "config.toml")
    quoting = add_quoting_feed(demo)
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    explained = cli("explain", quoting, VOA_LINK, "--config", config).out
    shared = int(explained.split("shared shingles")[1].split()[0])
    jaccard = float(explained.split("Jaccard ")[1].split()[0])
    assert shared > 0 and jaccard < 0.05  # a pair the page compares, nowhere near a merge
    root = lxml_html.fromstring((demo / "out" / "audit.html").read_bytes())
    assert near_miss_links(root) == []

    assert cli("story", "split", AGGREGATOR_LINK, "--config", config).code == 0
    root = lxml_html.fromstring((demo / "out" / "audit.html").read_bytes())
    assert all(AGGREGATOR_LINK not in pair for pair in near_miss_links(root))
    assert "near misses" in cli("explain", quoting, "--config", config).out
    assert VOA_LINK not in cli("explain", quoting, "--config", config).out.split("near misses")[1]


def test_audit_page_shows_pins_splits_and_merges(demo: Path, cli) -> None:
    enable_all_outputs(demo / "config.toml")
    config = str(demo / "config.toml")
    assert cli("run", "--config", config).code == 0
    root = lxml_html.fromstring((demo / "out" / "audit.html").read_bytes())
    assert root.get_element_by_id("total-corrections").text_content().split()[:2] == ["0", "corrections"]
    assert "No corrections." in root.get_element_by_id("corrections").text_content()

    assert cli("story", "split", AGGREGATOR_LINK, "--config", config).code == 0
    assert cli("story", "pin", GAZETTE_LINK, "--config", config).code == 0
    assert cli("story", "merge", VOA_LINK, MUSEUM_LINK, "--config", config).code == 0
    root = lxml_html.fromstring((demo / "out" / "audit.html").read_bytes())
    assert root.get_element_by_id("total-corrections").text_content().split()[:2] == ["3", "corrections"]
    rows = select(root.get_element_by_id("corrections"), "tr.correction")
    kinds = {row.get("class").split()[1]: row for row in rows}
    assert sorted(kinds) == ["merge", "pin", "split"]
    assert {a.get("href") for a in select(kinds["merge"], "a")} == {VOA_LINK, MUSEUM_LINK}
    assert {a.get("href") for a in select(kinds["pin"], "a")} == {GAZETTE_LINK}

    sections = select(root, "section.story")
    [alone] = [s for s in sections if AGGREGATOR_LINK in {a.get("href") for a in select(s, "a")}]
    assert "split out of its story by an editor" in select(alone, "p.edit")[0].text_content()
    [joined] = [s for s in sections if MUSEUM_LINK in {a.get("href") for a in select(s, "tr.member a")}]
    notes = " ".join(p.text_content() for p in select(joined, "p.edit"))
    assert "Original pinned by an editor" in notes and "Merged by an editor" in notes
    assert "merged into this one" in notes  # the absorbed story's GUID leads here
    [pinned] = [r for r in select(joined, "tr.member") if select(r, "a")[0].get("href") == GAZETTE_LINK]
    assert "pinned by an editor" in pinned.text_content()
