"""``syndedup rebuild``, ``syndedup story split|merge|pin`` and ``syndedup purge``: re-decide stored
stories under the run lock, in one transaction, then re-emit the outputs (``pipeline.rebuild``)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

from pipeline.cli.corrections import correction_id
from pipeline.config import Config
from pipeline.errors import StateError
from pipeline.models import Override, StoredRecord
from pipeline.rebuild import (
    Plan,
    StoryDecision,
    apply,
    article_of,
    neighbour_stories,
    overrides_after,
    remove_stale_scratch,
    replay,
)
from pipeline.runner import crash_point, emit_errors, open_state, removed_feeds, run_lock
from pipeline.stages.dedup import story_id_for
from pipeline.stages.emit import EmitSummary, emit
from pipeline.store import Store, open_store
from pipeline.store.damage import state_errors
from pipeline.store.readers import open_view
from pipeline.store.sqlite import MERGED_BY_EDITOR, now_utc
from pipeline.store.view import EntryRow


@contextmanager
def locked_store(config: Config) -> Iterator[Store]:
    """The store under the run lock (no run writes meanwhile); closed afterwards. An SQLite error
    inside is a one-line StateError: nothing changed (the transaction rolled back)."""
    with run_lock(config.state.path, config.state.lock_wait):
        remove_stale_scratch(config.state.path)  # a killed replay's folder (none runs now)
        local = open_state(config)
        state: Store = local
        try:
            with state_errors(config.state.path, "nothing changed"):
                state = open_store(config, local)
                yield state
        finally:
            state.close()


def redecide(
    config: Config,
    operation: Callable[[Store, datetime], Plan],
    dry_run: bool = False,
    now: datetime | None = None,
) -> tuple[Plan, EmitSummary | None]:
    """Run ``operation`` (which makes its changes and returns the replay's plan) in one transaction,
    write the plan, commit, and re-emit the outputs. With ``dry_run``, only the plan (no writes)."""
    moment = now or now_utc()
    with locked_store(config) as state:
        if dry_run:
            return operation(state, moment), None
        with state.transaction():
            plan = operation(state, moment)
            apply(state, config, plan, moment)
            crash_point("rebuild-before-commit")
        summary = EmitSummary()
        with emit_errors(config.state.path):
            emit(state, config.output, removed_feeds(state, config, moment), summary, config.dedup)
        return plan, summary


def rebuild_all(config: Config) -> Callable[[Store, datetime], Plan]:
    """Every stored story re-decided with today's config."""

    def operation(state: Store, moment: datetime) -> Plan:
        return replay(state, config, moment)

    return operation


def split(config: Config, article_id: int) -> Callable[[Store, datetime], Plan]:
    """The entry becomes a story of its own, now and in later runs and rebuilds."""

    def operation(state: Store, moment: datetime) -> Plan:
        story = _story_of(state, article_id)
        for old in overrides_after("split", article_id, 0, state.overrides()):
            state.remove_override(old)
        state.add_override(Override("split", article_id, 0, moment))
        return replay(state, config, moment, [story])

    return operation


def merge(config: Config, first: int, second: int) -> Callable[[Store, datetime], Plan]:
    """The two entries' stories become one (the older story keeps its GUID)."""

    def operation(state: Store, moment: datetime) -> Plan:
        stories = [_story_of(state, first), _story_of(state, second)]
        for old in overrides_after("merge", first, second, state.overrides()):
            state.remove_override(old)
        state.add_override(Override("merge", first, second, moment))
        plan = replay(state, config, moment, stories)
        plan.via, plan.named = MERGED_BY_EDITOR, (first, second)
        return plan

    return operation


def pin(config: Config, article_id: int) -> Callable[[Store, datetime], Plan]:
    """The entry becomes its story's original and its outlet the credit (other pins there end)."""

    def operation(state: Store, moment: datetime) -> Plan:
        story = _story_of(state, article_id)
        members = {m.id for m in state.story_members(story)}
        for old in state.overrides():
            if old.kind == "pin" and old.article_id in members:
                state.remove_override(old)
        state.add_override(Override("pin", article_id, 0, moment))
        return replay(state, config, moment, [story])

    return operation


def undo(config: Config, kind: str, article_id: int, other_id: int) -> Callable[[Store, datetime], Plan]:
    """Take back one correction (``syndedup story list`` names it) and re-decide the stories it
    touched with today's config: the entry's story (and the other entry's, for a merge); for a
    split, also the stories a run would compare the entry with, so that it can rejoin one.
    Raises StateError when no such correction is stored."""

    def operation(state: Store, moment: datetime) -> Plan:
        found = [
            o for o in state.overrides() if (o.kind, o.article_id, o.other_id) == (kind, article_id, other_id)
        ]
        if not found:
            raise StateError(
                f"no correction {correction_id(kind, article_id, other_id)} is stored "
                "(`syndedup story list` lists them)"
            )
        state.remove_override(found[0])
        named = [i for i in (article_id, other_id) if i and i in state.article_bodies([i])]
        stories = {_story_of(state, i) for i in named}
        if kind == "split" and named:
            stories |= neighbour_stories(state, config, article_id, moment)
        plan = replay(state, config, moment, stories)
        _give_back_guids(plan, {absorbed: into for absorbed, (into, _, _) in state.merged_stories().items()})
        return plan

    return operation


def _give_back_guids(plan: Plan, absorbed_into: dict[str, str]) -> None:
    """After an undo, a rebuilt story holding the entry that founded one of the replayed stories,
    or a story absorbed into one of them (a story's id is ``story_id_for`` its first entry), gets
    that story's GUID back: an undone merge leaves both stories under the GUIDs they had before it
    (``rebuild``'s rule, most entries win, would give the larger part the older GUID). A part
    founded by several keeps the oldest one's; the others keep the GUID the replay gave them,
    unless it went back to another part (then a new one)."""
    wanted = set(plan.old) | {absorbed for absorbed, into in absorbed_into.items() if into in plan.old}
    founders: dict[str, StoredRecord] = {}
    for record in plan.records.values():
        founded = story_id_for(article_of(record))
        if founded in wanted and (founded not in founders or record.id < founders[founded].id):
            founders[founded] = record
    story_of = plan.story_of
    claims: dict[str, str] = {}  # GUID the replay gave a part -> the GUID it gets back
    for guid, record in sorted(founders.items(), key=lambda item: (item[1].published, item[1].id)):
        claims.setdefault(story_of[record.id], guid)
    if all(part == guid for part, guid in claims.items()):
        return
    given_back = set(claims.values())
    new: dict[str, StoryDecision] = {}
    for guid, story in plan.new.items():
        target = claims.get(guid)
        if target is None:
            target = guid
            if guid in given_back:
                seed = f"{guid}:undone:{','.join(map(str, story.members))}"
                target = hashlib.sha1(seed.encode()).hexdigest()[:20]
        new[target] = replace(story, id=target)
    plan.new = new


def purge(config: Config, feed: str) -> Callable[[Store, datetime], Plan]:
    """Delete the feed's entries and stored health; re-decide the stories they were in."""

    def operation(state: Store, moment: datetime) -> Plan:
        known = state.feed_info()
        count, stories = state.delete_feed(feed)
        if not count and feed not in known:
            names = ", ".join(sorted(known)) or "none"
            raise StateError(f"no stored feed is named {feed!r} (stored feeds: {names}); nothing purged")
        plan = replay(state, config, moment, stories)
        plan.purged = (feed, count)
        return plan

    return operation


def _story_of(state: Store, article_id: int) -> str:
    found = state.article_bodies([article_id])
    if article_id not in found:
        raise StateError(f"entry {article_id} is no longer stored (pruned or purged); nothing changed")
    return found[article_id][0]


def find_entry(config: Config, link: str) -> EntryRow:
    """The one stored entry whose link or GUID is ``link``. Raises StateError naming the candidates
    when there is none or several (one link in several feeds: pass an entry's GUID instead)."""
    view = open_view(config)
    try:
        entries = view.entries_for(link)
    finally:
        view.close()
    if not entries:
        raise StateError(f"no stored entry has the link or GUID {link!r}")
    if len(entries) > 1:
        feeds = "; ".join(f"{e.feed}: guid {e.guid}" for e in entries)
        raise StateError(f"{len(entries)} stored entries have the link {link!r} ({feeds}); pass one GUID")
    return entries[0]


def format_changes(plan: Plan, dry_run: bool, what: str) -> str:
    """What the plan changes (or would, with ``dry_run``), one line per story or entry."""
    records = plan.records
    changes = plan.changes()
    would = "would " if dry_run else ""

    def story_name(guid: str) -> str:
        story = plan.new.get(guid) or plan.old.get(guid)
        if story is None or not story.members:
            return guid
        first = records[story.canonical] if story.canonical in records else records[story.members[0]]
        return f'{guid} "{_short(first.title)}"'

    def entry(article_id: int | None) -> str:
        if article_id is None or article_id not in records:
            return "-"
        record = records[article_id]
        return f"{record.feed} {record.link}"

    lines = [what]
    if plan.purged:
        feed, count = plan.purged
        lines.append(
            f"  {'would delete' if dry_run else 'deleted'} {_n(count, 'entry', 'entries')} of {feed!r}"
        )

    def part_name(part: str, n: int, guid: str) -> str:
        if part == guid:
            return f"{part} ({_n(n, 'entry', 'entries')}, keeps the GUID)"
        members = plan.new[part].members
        shown = "; ".join(entry(i) for i in members[:3]) + ("; ..." if len(members) > 3 else "")
        return f"{part} ({_n(n, 'entry', 'entries')}: {shown})"

    for guid, parts in changes.split:
        pieces = ", ".join(part_name(part, n, guid) for part, n in parts)
        lines.append(f"  {would}split {story_name(guid)} into {pieces}")
    for guid, sources in changes.merged:
        lines.append(f"  {would}merge {', '.join(sources)} into {story_name(guid)}")
    for guid, before, after in changes.recredited:
        lines.append(f"  {would}re-credit {story_name(guid)}: {before or '-'} -> {after or '-'}")
    for guid, before_id, after_id in changes.recanonicalised:
        lines.append(
            f"  {would}re-canonicalise {story_name(guid)}: original {entry(before_id)} -> {entry(after_id)}"
        )
    for article_id, before_rel, after_rel in changes.relations:
        lines.append(f"  {would}change relation of {entry(article_id)}: {before_rel} -> {after_rel}")
    for guid in changes.ended:
        if not any(guid in sources for _, sources in changes.merged):
            lines.append(f"  {would}end story {guid} (no entries left)")
    if changes.empty:
        lines.append("  no story changes")
    return "\n".join(lines)


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _short(text: str, limit: int = 50) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
