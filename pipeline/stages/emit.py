"""Emit: write the deduplicated RSS 2.0, Atom 1.0 and JSON feeds, the clusters report and the audit
page from the state (the formats themselves are in ``pipeline.outputs``).

Outputs depend on the state alone (no clock), so a run that changes nothing rewrites byte-identical
files (and leaves their mtime alone, so Last-Modified stays true when they are served). Every file
is written atomically. No date shown is ever in the future: an entry dated after the run that first
stored it is shown as of that run (``shown_date``), which also comes from the state, not the clock.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from pipeline.config import OutputConfig
from pipeline.models import Member, Story
from pipeline.outputs.atomic import write_if_changed
from pipeline.outputs.audit import render_audit
from pipeline.outputs.feeds import (
    add_rss_self_link,
    build_generator,
    complete_atom_sources,
    feed_url_for_output,
    json_feed,
    report_lines,
    self_link,
)
from pipeline.outputs.sanitize import shown_date
from pipeline.store import Store
from pipeline.store.sqlite import parse_iso

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def load_stories(state: Store, texts_for: int | None = None) -> list[Story]:
    """Every attributed story, newest original first (ties broken by story id).

    Only the first ``texts_for`` stories (all when None) carry their canonical text: the feeds
    show a window of the newest stories, and the report needs no text at all.
    """
    members_by_story = state.members_for_output()
    stories: list[Story] = []
    for story_id, canonical_id, credited, updated in state.stories():
        rows = members_by_story.get(story_id, [])
        members = tuple(
            Member(
                article_id=row[0],
                feed=row[1],
                link=row[2],
                guid=row[3],
                title=row[4],
                published=shown_date(parse_iso(row[5]), parse_iso(row[8])),
                relation=row[6],
                similarity=row[7],
            )
            for row in rows
        )
        canonical = next(m for m in members if m.article_id == canonical_id)
        # ``updated`` is either the newest member's own date (shown as that member's is) or, when
        # later than every member's date, the time of the run in which the story grew or changed.
        newest_shown = max(m.published for m in members)
        if updated <= max(parse_iso(row[5]) for row in rows):
            updated = newest_shown
        updated = max(updated, newest_shown)
        stories.append(
            Story(
                story_id,
                canonical,
                credited,
                canonical.title,
                "",
                updated,
                members,
            )
        )
    stories.sort(key=lambda s: (-s.canonical.published.timestamp(), s.id))
    shown = stories if texts_for is None else stories[:texts_for]
    texts = state.article_texts([s.canonical.article_id for s in shown])  # one query per 500
    for index, story in enumerate(shown):
        stories[index] = replace(story, text=texts.get(story.canonical.article_id, ""))
    return stories


def emit(state: Store, output: OutputConfig) -> int:
    """Write every configured output from the state; return the number of feed items written."""
    stories = load_stories(state, texts_for=output.max_items)
    window = stories[: output.max_items]
    feed_urls = {name: feed_url_for_output(info[0], info[2]) for name, info in state.feed_info().items()}
    feed_updated: dict[str, datetime] = {}
    for story in stories:
        for member in story.members:
            if member.published > feed_updated.get(member.feed, _EPOCH):
                feed_updated[member.feed] = member.published
    generator = build_generator(window, output, feed_urls)
    rss = add_rss_self_link(generator.rss_str(pretty=True), self_link(output, output.rss))
    atom = complete_atom_sources(
        generator.atom_str(pretty=True), window, feed_urls, feed_updated, self_link(output, output.atom)
    )
    write_if_changed(output.report, report_lines(stories))
    write_if_changed(output.rss, rss)
    write_if_changed(output.atom, atom)
    if output.json is not None:
        write_if_changed(output.json, json_feed(window, output))
    if output.html is not None:
        texts = state.article_texts([m.article_id for s in window for m in s.members])
        write_if_changed(output.html, render_audit(window, texts, output))
    return len(window)
