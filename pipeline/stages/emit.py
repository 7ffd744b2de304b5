"""Emit: write the deduplicated RSS 2.0 and Atom 1.0 feeds and the clusters report from the state.

This is the only module that uses feedgen. Outputs depend on the state alone (no clock), so a run
that changes nothing rewrites byte-identical files. Every file is written atomically.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from feedgen.feed import FeedGenerator
from lxml import etree

from pipeline import __version__
from pipeline.atomic import write_atomic
from pipeline.config import OutputConfig
from pipeline.models import Member, Story
from pipeline.state import State, iso

ATOM_NS = "http://www.w3.org/2005/Atom"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def story_guid(story_id: str) -> str:
    """The GUID (RSS) and id (Atom) of a story's item; fixed for the story's lifetime."""
    return f"urn:syndedup:story:{story_id}"


def load_stories(state: State) -> list[Story]:
    """Every attributed story, newest original first (ties broken by story id)."""
    members_by_story = state.members_for_output()
    stories: list[Story] = []
    for story_id, canonical_id, credited, updated in state.stories():
        members = tuple(
            Member(
                article_id=row[0],
                feed=row[1],
                link=row[2],
                guid=row[3],
                title=row[4],
                published=datetime.strptime(row[5], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC),
                relation=row[6],
                similarity=row[7],
            )
            for row in members_by_story.get(story_id, [])
        )
        canonical = next(m for m in members if m.article_id == canonical_id)
        stories.append(
            Story(
                story_id,
                canonical,
                credited,
                canonical.title,
                state.article_text(canonical_id),
                updated,
                members,
            )
        )
    stories.sort(key=lambda s: (-s.canonical.published.timestamp(), s.id))
    return stories


def attribution_line(story: Story) -> str:
    """The plain-text credit shown at the end of every item."""
    source = story.credited_source or story.canonical.feed
    line = f"Originally published by {source}"
    if source != story.canonical.feed:
        line += f" (this text from {story.canonical.feed})"
    line += "."
    others = [m for m in story.members if m is not story.canonical]
    if others:
        line += " Also published by: " + ", ".join(f"{m.feed} ({m.relation})" for m in others) + "."
    return line


def item_html(story: Story) -> str:
    """The item's content: the canonical text, then the attribution with links to every member."""
    paragraphs = [f"<p>{html.escape(p)}</p>" for p in story.text.split("\n\n") if p.strip()]
    source = html.escape(story.credited_source or story.canonical.feed)
    credit = f'Originally published by <a href="{html.escape(story.canonical.link)}">{source}</a>'
    if story.credited_source and story.credited_source != story.canonical.feed:
        credit += f" (this text from {html.escape(story.canonical.feed)})"
    credit += "."
    others = [m for m in story.members if m is not story.canonical]
    if others:
        links = ", ".join(
            f'<a href="{html.escape(m.link)}">{html.escape(m.feed)}</a> ({m.relation})' for m in others
        )
        credit += f" Also published by: {links}."
    return "\n".join([*paragraphs, f"<p><em>{credit}</em></p>"])


def summary_text(story: Story, limit: int = 300) -> str:
    """A short plain-text description for readers that do not show full content."""
    text = " ".join(story.text.split())
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + " …"
    return f"{text}\n\n{attribution_line(story)}"


def build_generator(
    stories: Sequence[Story], output: OutputConfig, feed_urls: dict[str, str]
) -> FeedGenerator:
    """A FeedGenerator with one entry per story, in the given order."""
    newest = max((s.updated for s in stories), default=_EPOCH)
    generator = FeedGenerator()
    generator.id(output.link)
    generator.title(output.title)
    generator.link(href=output.link, rel="alternate")
    generator.description(output.description)
    generator.generator("syndedup", version=__version__)
    generator.updated(newest)
    generator.lastBuildDate(newest)
    for story in stories:
        entry = generator.add_entry(order="append")
        entry.id(story_guid(story.id))
        entry.guid(story_guid(story.id), permalink=False)
        entry.title(story.title or "(untitled)")
        entry.link(href=story.canonical.link or output.link, rel="alternate")
        entry.published(story.canonical.published)
        entry.updated(story.updated)
        entry.author(name=story.credited_source or story.canonical.feed)
        entry.description(summary_text(story))
        entry.content(item_html(story), type="html")
        entry.source(url=feed_urls.get(story.canonical.feed, ""), title=story.canonical.feed)
    return generator


def complete_atom_sources(
    atom: bytes,
    stories: Sequence[Story],
    feed_urls: dict[str, str],
    feed_updated: dict[str, datetime],
) -> bytes:
    """Add the <id> and <updated> that feedgen leaves out of each entry's atom:source."""
    root = etree.fromstring(atom)
    by_guid = {story_guid(s.id): s for s in stories}
    for entry in root.iter(f"{{{ATOM_NS}}}entry"):
        story = by_guid[entry.findtext(f"{{{ATOM_NS}}}id")]
        source = entry.find(f"{{{ATOM_NS}}}source")
        if source is None:
            continue
        feed = story.canonical.feed
        source_id = etree.Element(f"{{{ATOM_NS}}}id")
        source_id.text = feed_urls.get(feed, "")
        source.insert(0, source_id)
        updated = etree.SubElement(source, f"{{{ATOM_NS}}}updated")
        updated.text = iso(feed_updated.get(feed, story.canonical.published))
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def report_lines(stories: Sequence[Story]) -> bytes:
    """The clusters report: one JSON object per line, per story."""
    lines = []
    for story in stories:
        record = {
            "story": story.id,
            "canonical": story.canonical.link,
            "credited_source": story.credited_source,
            "title": story.title,
            "members": [
                {
                    "link": m.link,
                    "feed": m.feed,
                    "guid": m.guid,
                    "published": iso(m.published),
                    "relation": m.relation,
                    "similarity": m.similarity,
                }
                for m in story.members
            ],
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def feed_url_for_output(url: str) -> str:
    """A feed's address as a URL (local paths become file: URLs)."""
    return url if "://" in url else Path(url).resolve().as_uri()


def emit(state: State, output: OutputConfig) -> int:
    """Write RSS, Atom and the report from the state; return the number of feed items written."""
    stories = load_stories(state)
    window = stories[: output.max_items]
    feed_urls = {name: feed_url_for_output(info[0]) for name, info in state.feed_info().items()}
    feed_updated: dict[str, datetime] = {}
    for story in stories:
        for member in story.members:
            if member.published > feed_updated.get(member.feed, _EPOCH):
                feed_updated[member.feed] = member.published
    generator = build_generator(window, output, feed_urls)
    rss = generator.rss_str(pretty=True)
    atom = complete_atom_sources(generator.atom_str(pretty=True), window, feed_urls, feed_updated)
    write_atomic(output.report, report_lines(stories))
    write_atomic(output.rss, rss)
    write_atomic(output.atom, atom)
    return len(window)
