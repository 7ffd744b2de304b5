"""Emit: write the deduplicated RSS 2.0, Atom 1.0 and JSON feeds, the clusters report and the audit
page from the state (the formats themselves are in ``pipeline.outputs``).

Outputs depend on the state alone (no clock), so a run that changes nothing rewrites byte-identical
files (and leaves their mtime alone, so Last-Modified stays true when they are served). Every file
is written atomically. No date shown is ever in the future: an entry dated after the run that first
stored it is shown as of that run (``shown_date``), which also comes from the state, not the clock.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from pipeline.config import DedupConfig, OutputConfig
from pipeline.models import Member, Story
from pipeline.outputs.atomic import write_chunks_if_changed, write_if_changed
from pipeline.outputs.audit import Corrections, NearMiss, render_audit
from pipeline.outputs.feeds import (
    add_rss_self_link,
    build_generator,
    complete_atom_sources,
    feed_url_for_output,
    json_feed,
    report_chunks,
    report_line,
    report_order,
    self_link,
)
from pipeline.outputs.sanitize import EARLIEST_PLAUSIBLE, shown_date
from pipeline.store import Store
from pipeline.store.report_cache import ReportCache
from pipeline.store.sqlite import iso, read_iso
from pipeline.text.pair import NEAR_MISS_FLOOR, closeness, measure
from pipeline.text.tokens import body_shingles

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class EmitSummary:
    """What emit did, for the run summary: items and stories written, and which files changed."""

    items: int = 0
    stories: int = 0
    written: list[Path] = field(default_factory=list)  # rewritten, in the order written
    unchanged: list[Path] = field(default_factory=list)  # already held exactly these bytes


def _stored(value: str | None, article_id: int) -> datetime:
    """A member's stored date; an unreadable one (reported by ``read_iso``) reads as 1970."""
    return read_iso(value, f"article {article_id}") or _EPOCH


def _shown(row: tuple) -> datetime:
    """The date shown for a member row (see ``shown_date``); its first-seen time stands in for an
    unreadable published date, and the published date for an unreadable first-seen time."""
    published = read_iso(row[5], f"article {row[0]}")
    first_seen = read_iso(row[8], f"article {row[0]}") if row[8] is not None else None
    if first_seen is None:
        return published or _EPOCH
    return shown_date(published or first_seen, first_seen)


def load_stories(
    state: Store,
    texts_for: int | None = None,
    removed: Collection[str] = frozenset(),
    story_ids: Iterable[str] | None = None,
) -> list[Story]:
    """Every attributed story (or those of ``story_ids``), newest original first (ties broken by
    story id).

    Only the first ``texts_for`` stories (all when None) carry their canonical text: the feeds
    show a window of the newest stories, and the report needs no text at all. Members of the
    ``removed`` feeds (removed from the config) are left out: see ``without_feeds``.
    """
    wanted = None if story_ids is None else set(story_ids)
    members_by_story = state.members_for_output(wanted)
    stories: list[Story] = []
    for story_id, canonical_id, credited, updated in state.stories(wanted):
        rows = members_by_story.get(story_id, [])
        members = tuple(
            Member(
                article_id=row[0],
                feed=row[1],
                link=row[2],
                guid=row[3],
                title=row[4],
                published=_shown(row),
                relation=row[6],
                similarity=row[7],
            )
            for row in rows
        )
        canonical = next((m for m in members if m.article_id == canonical_id), None)
        if canonical is None:
            log.warning("story %s: its original cannot be read from the state; left out", story_id)
            continue
        # ``updated`` is either the newest member's own date (shown as that member's is) or, when
        # later than every member's date, the time of the run in which the story grew or changed.
        newest_shown = max(m.published for m in members)
        if updated <= max(_stored(row[5], row[0]) for row in rows):
            updated = newest_shown
        updated = max(updated, newest_shown)
        story = Story(story_id, canonical, credited, canonical.title, "", updated, members)
        visible = without_feeds(story, removed) if removed else story
        if visible is not None:
            stories.append(visible)
    stories.sort(key=report_order)
    shown = stories if texts_for is None else stories[:texts_for]
    texts = state.article_texts([s.canonical.article_id for s in shown])  # one query per 500
    for index, story in enumerate(shown):
        stories[index] = replace(story, text=texts.get(story.canonical.article_id, ""))
    return stories


def without_feeds(story: Story, removed: Collection[str]) -> Story | None:
    """The story as the outputs show it once the ``removed`` feeds left the config: None when all its
    members came from them; else its other members, and when its original was one of the removed,
    the earliest remaining full (non-teaser) member shown as the original. The credited source is
    kept: the story was first published by that outlet whether or not we still follow its feed.
    The state is not changed, so putting the feed back in the config shows the story as it was."""
    kept = tuple(m for m in story.members if m.feed not in removed)
    if len(kept) == len(story.members):
        return story
    if not kept:
        return None
    if story.canonical in kept:
        return replace(story, members=kept)
    full = [m for m in kept if m.relation != "teaser"] or list(kept)
    first = min(full, key=lambda m: (m.published, m.article_id))
    canonical = replace(first, relation="original", similarity=1.0)
    members = tuple(canonical if m is first else m for m in kept)
    return replace(story, canonical=canonical, title=canonical.title, members=members)


def emit(
    state: Store,
    output: OutputConfig,
    removed: Collection[str] = frozenset(),
    summary: EmitSummary | None = None,
    dedup: DedupConfig | None = None,
) -> int:
    """Write every configured output from the state; return the number of feed items written.

    ``removed``: names of feeds removed from the config, whose entries the outputs leave out.
    ``summary``, when given, is filled with the counts and the files rewritten or left unchanged.

    With the lines of the clusters report kept in the state (SQLite: ``store.report_cache``), only
    the window's stories, those whose line is stale and those with members of ``removed`` feeds
    are read, and the report is written from the kept lines as they are read: the cost of emit
    does not grow with the stories stored (bar writing the report's bytes). Otherwise (Redis)
    every story is read; both ways write the same bytes.
    """
    summary = summary if summary is not None else EmitSummary()
    merged_stories = state.merged_stories()
    merged = {absorbed: into for absorbed, (into, _, _) in merged_stories.items()}
    cache = state.report_cache()
    if cache is None:
        stories = load_stories(state, texts_for=output.max_items, removed=removed)
        window = stories[: output.max_items]
        _write_chunks(output.report, report_chunks(map(report_line, stories), merged), summary)
        total = len(stories)
        feed_updated = _newest_members(stories)
    else:
        window, total = _emit_report(state, cache, output, removed, merged, summary)
        feed_updated = _newest_member_dates(cache, {m.feed for s in window for m in s.members})
    feed_urls = {name: feed_url_for_output(info[0], info[2]) for name, info in state.feed_info().items()}
    generator = build_generator(window, output, feed_urls, state.created())
    rss = add_rss_self_link(generator.rss_str(pretty=True), self_link(output, output.rss))
    atom = complete_atom_sources(
        generator.atom_str(pretty=True), window, feed_urls, feed_updated, self_link(output, output.atom)
    )
    _write(output.rss, rss, summary)
    _write(output.atom, atom, summary)
    if output.json is not None:
        _write(output.json, json_feed(window, output), summary)
    if output.html is not None:
        texts = state.article_texts([m.article_id for s in window for m in s.members])
        overrides = state.overrides()
        split_out = {o.article_id for o in overrides if o.kind == "split"}
        bodies = state.article_bodies([s.canonical.article_id for s in window])
        near = near_miss_pairs(window, bodies, dedup, split_out)
        # the stories holding the entries editors corrected (every story, read above, without a cache)
        if cache is None:
            corrected = stories
        else:
            named = [i for o in overrides for i in (o.article_id, o.other_id) if i]
            corrected = load_stories(state, 0, removed, set(state.story_of(named).values()))
        edits = Corrections.of(corrected, overrides, merged_stories)
        _write(output.html, render_audit(window, texts, output, near, edits), summary)
    summary.items, summary.stories = len(window), total
    return len(window)


def _emit_report(
    state: Store,
    cache: ReportCache,
    output: OutputConfig,
    removed: Collection[str],
    merged: Mapping[str, str],
    summary: EmitSummary,
) -> tuple[list[Story], int]:
    """Write the clusters report from the kept lines, those made afresh in memory (stale lines, and
    the stories of ``removed`` feeds) merged in by order; return the window's stories (with their
    canonical text) and the number of stories written."""
    fresh_ids = cache.stale() | (cache.stories_with_feeds(removed) if removed else set())
    fresh = {s.id: s for s in load_stories(state, 0, removed, fresh_ids)} if fresh_ids else {}
    made = sorted((*report_order(s), report_line(s)) for s in fresh.values())
    kept = (row for row in cache.lines() if row[1] not in fresh_ids)
    window_ids: list[str] = []
    total = 0

    def lines() -> Iterator[str]:
        nonlocal total
        for _, story_id, line in heapq.merge(made, kept):
            if total < output.max_items:
                window_ids.append(story_id)
            total += 1
            yield line

    _write_chunks(output.report, report_chunks(lines(), merged), summary)
    loaded = {s.id: s for s in load_stories(state, 0, removed, set(window_ids) - fresh.keys())}
    window = [fresh.get(story_id) or loaded[story_id] for story_id in window_ids]
    texts = state.article_texts([s.canonical.article_id for s in window])
    return [replace(s, text=texts.get(s.canonical.article_id, "")) for s in window], total


def refresh_report_lines(state: Store) -> int:
    """Make again the kept report lines of the stories changed since they were made (SQLite; a run
    calls it in its transaction, so that they commit with the stories); return how many."""
    cache = state.report_cache()
    if cache is None:
        return 0
    stale = sorted(cache.stale())
    for start in range(0, len(stale), REFRESH_STORIES):
        chunk = stale[start : start + REFRESH_STORIES]
        stories = load_stories(state, 0, story_ids=chunk)
        cache.replace(chunk, [(*report_order(s), report_line(s)) for s in stories])
    return len(stale)


# Stories whose line is made again per step (their members' rows are held meanwhile).
REFRESH_STORIES = 1000


def _newest_members(stories: Iterable[Story]) -> dict[str, datetime]:
    """feed -> the newest date shown for a member of it among ``stories``."""
    newest: dict[str, datetime] = {}
    for story in stories:
        for member in story.members:
            if member.published > newest.get(member.feed, _EPOCH):
                newest[member.feed] = member.published
    return newest


def _newest_member_dates(cache: ReportCache, feeds: Iterable[str]) -> dict[str, datetime]:
    """``_newest_members`` of every story, for ``feeds`` (the window's), read newest first by feed.

    A member shows its own date unless that is after its first-seen time or before 1990 (then its
    first-seen time, ``shown_date``): past the first member dated no later than the newest found,
    only those dated before 1990 can show a later date, and they are read apart."""
    newest: dict[str, datetime] = {}
    floor = iso(EARLIEST_PLAUSIBLE)
    for feed in sorted(feeds):
        best = max((_shown_dates(row) for row in cache.member_dates(feed, before=floor)), default=_EPOCH)
        for row in cache.member_dates(feed):
            published = read_iso(row[1], f"article {row[0]}")
            if published is not None and EARLIEST_PLAUSIBLE <= published <= best:
                break
            best = max(best, _shown_dates(row))
        newest[feed] = best
    return newest


def _shown_dates(row: tuple[int, str, str]) -> datetime:
    """``_shown`` of a (id, published, first seen) row."""
    return _shown((row[0], None, None, None, None, row[1], None, None, row[2]))


# The audit page's near misses: the closest pairs of originals of different stories among the
# window's newest NEAR_MISS_STORIES (at most 100 * 99 / 2 exact comparisons), the top NEAR_MISS_PAIRS.
NEAR_MISS_STORIES = 100
NEAR_MISS_PAIRS = 10


def near_miss_pairs(
    window: Sequence[Story],
    bodies: Mapping[int, tuple[str, str]],
    dedup: DedupConfig | None,
    split_out: Collection[int] = frozenset(),
) -> list[NearMiss]:
    """The unmerged pairs of stories in ``window`` whose originals came closest to a merge, at
    least ``NEAR_MISS_FLOOR`` close. An entry an editor split out (``split_out``) is kept apart
    on purpose: the page lists it under the corrections, not as a near miss."""
    if dedup is None:
        return []
    shingled = [
        (story, body_shingles(bodies[story.canonical.article_id][1], dedup.shingle_size))
        for story in window[:NEAR_MISS_STORIES]
        if story.canonical.article_id in bodies and story.canonical.article_id not in split_out
    ]
    found = []
    for i, (story_a, a) in enumerate(shingled):
        for story_b, b in shingled[i + 1 :]:
            m = measure(a, b, dedup)
            near = closeness(m, dedup)
            if near >= NEAR_MISS_FLOOR:
                found.append(
                    NearMiss(story_a.canonical, story_b.canonical, m.jaccard, m.lead_containment, near)
                )
    found.sort(key=lambda n: (-n.closeness, n.a.article_id, n.b.article_id))
    return found[:NEAR_MISS_PAIRS]


def _write(path: Path, data: bytes, summary: EmitSummary) -> None:
    (summary.written if write_if_changed(path, data) else summary.unchanged).append(path)


def _write_chunks(path: Path, chunks: Iterable[bytes], summary: EmitSummary) -> None:
    (summary.written if write_chunks_if_changed(path, chunks) else summary.unchanged).append(path)
