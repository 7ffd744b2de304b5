"""The output layer's own defences, on records made here (no parser in the way): HTML through
nh3, usable links, titles with literal ``<``, ``>`` and ``&`` in every format, control characters."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import feedparser
import pytest

from pipeline.config import OutputConfig
from pipeline.models import Member, Story
from pipeline.outputs.audit import render_audit
from pipeline.outputs.feeds import build_generator, complete_atom_sources, item_html, json_feed
from pipeline.outputs.sanitize import clean_html, shown_date, usable_link
from tests.outputs.feed_warnings import atom_warnings, html_warnings, json_warnings, rss_warnings

NOW = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "fragment",
    [
        "<script>alert(1)</script><p>kept</p>",
        "<scr<script>ipt>alert(1)</script><p>kept</p>",
        '<p>kept</p><img src=x onerror="alert(1)">',
        '<p>kept <a href="javascript:alert(1)">x</a></p>',
        '<p>kept <a href="java&#x09;script:alert(1)">x</a></p>',
        '<p>kept <a href=" JaVaScRiPt:alert(1)">x</a></p>',
        '<p>kept <a href="data:text/html;base64,PHNjcmlwdD4=">x</a></p>',
        '<p>kept <a href="/relative/path">x</a> <a href="">y</a> <a href="mailto:a@b.example">z</a></p>',
        '<p>kept</p><iframe src="https://evil.example/"></iframe><svg onload="alert(1)"></svg>',
        '<p onclick="alert(1)" style="background:url(javascript:alert(1))">kept</p>',
        "<p>kept</p><?import namespace='x' implementation='y.htc'><math><mi>x</mi></math>",
    ],
)
def test_clean_html_leaves_no_active_markup_or_unusable_link(fragment: str) -> None:
    cleaned = clean_html(fragment)
    assert "kept" in cleaned
    assert html_warnings(cleaned, "test") == []
    lowered = cleaned.lower()
    for word in ("<script", "onerror", "onload", "onclick", "javascript", "data:", "<iframe", 'href=""'):
        assert word not in lowered


@pytest.mark.parametrize(
    ("link", "usable"),
    [
        ("https://outlet.example/a", True),
        ("HTTP://outlet.example/a", True),
        (" https://outlet.example/a ", True),
        ("", False),
        (None, False),
        ("mailto:desk@outlet.example", False),
        ("ftp://outlet.example/a", False),
        ("/2025/01/a", False),
        ("javascript:alert(1)", False),
        ("https:///no-host", False),
        ("https://outlet.example/a b", False),
        ("https://outlet.example/a\x9cb", False),
    ],
)
def test_usable_link_keeps_absolute_http_links_only(link: str | None, usable: bool) -> None:
    assert (usable_link(link) is not None) is usable


def test_shown_date_is_never_after_first_seen_nor_before_1990() -> None:
    assert shown_date(datetime(2035, 1, 1, tzinfo=UTC), NOW) == NOW
    assert shown_date(datetime(1970, 1, 1, tzinfo=UTC), NOW) == NOW
    assert shown_date(datetime(2023, 5, 1, tzinfo=UTC), NOW) == datetime(2023, 5, 1, tzinfo=UTC)


def story(title: str, text: str, feed: str = "Q&A <Site>", link: str = "https://qa.example/1") -> Story:
    member = Member(1, feed, link, "g1", title, datetime(2023, 5, 1, tzinfo=UTC), "original", 1.0)
    copy = Member(2, "Copy\x1b Co", "mailto:x@y.example", "g2", title, NOW, "copy", 0.9)
    return Story("s1", member, None, title, text, NOW, (member, copy))


TITLES = ["AT&T <3 C++", "Why does x < y && y > z fail in my template?", "The <br> tag vs CSS margins"]


@pytest.mark.parametrize("title", TITLES)
def test_titles_with_literal_markup_characters_read_back_the_same_everywhere(title: str) -> None:
    stories = [story(title, "One paragraph of text.\n\nAnother one.")]
    output = OutputConfig(rss=None, atom=None, report=None)  # type: ignore[arg-type]
    generator = build_generator(stories, output, {})
    rss = generator.rss_str(pretty=True)
    atom = complete_atom_sources(generator.atom_str(pretty=True), stories, {}, {})
    for data in (rss, atom):
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0
        assert parsed.entries[0].title == title
    assert json.loads(json_feed(stories, output))["items"][0]["title"] == title
    audit = render_audit(stories, {1: stories[0].text}, output).decode()
    escaped = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert f">{escaped}</h2>" in audit or f">{escaped}</a></h2>" in audit


def test_control_characters_are_stripped_from_every_output() -> None:
    title = "Council\x01 meets\x85 \x9c today\ufffd"
    text = "The council\x0b met\x7f on Tuesday.\x1b\n\nIt voted\x9d."
    stories = [story(title, text, feed="Outlet\x02")]
    output = OutputConfig(rss=None, atom=None, report=None)  # type: ignore[arg-type]
    generator = build_generator(stories, output, {})  # lxml refuses C0 characters: no crash
    rss = generator.rss_str(pretty=True)
    atom = complete_atom_sources(generator.atom_str(pretty=True), stories, {}, {})
    json_data = json_feed(stories, output)
    assert rss_warnings(rss, NOW) == atom_warnings(atom, NOW) == json_warnings(json_data, NOW) == []
    assert feedparser.parse(rss).entries[0].title == "Council meets today"
    audit = render_audit(stories, {1: text}, output).decode()
    assert not any((ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F for c in audit)


def test_item_html_credits_a_member_without_a_usable_link_by_name_only() -> None:
    html = item_html(story("T", "Text."))
    assert '<a href="https://qa.example/1">Q&amp;A &lt;Site&gt;</a>' in html
    assert "Copy Co (copy)" in html and "mailto" not in html
