"""Re-decide stored stories with today's ``[dedup]`` and ``[attribution]``: ``syndedup rebuild``,
the editorial overrides (``syndedup story split|merge|pin``) and ``syndedup purge``.

A replay, not a second matcher: the stored entries are fed, in the order runs first saw them (one
group per run, each sorted as the run sorts it), through the same ``Deduplicator`` and
``attribute`` a run uses, into a scratch SQLite state in a temporary folder. Entries keep their
ids there, so the scratch result (story of each entry, match, original, credit, relations) maps
straight back. Stored signatures made with today's parameters are reused; the others (parameters
changed, or an entry that was too short before) are signed again, and stored by ``apply``.

Overrides are applied in the replay as a run applies them: a split entry is isolated in dedup,
merged entries' stories are joined after dedup, a pinned entry is the original in attribution.

GUIDs (the rule, also in the README): each stored story's GUID goes to the rebuilt story holding
most of its entries; ties go to the one that is not an entry split out by an editor, then to the
one holding the stored original, then to the one with the earliest entry. A rebuilt story given
several GUIDs (a merge) keeps the oldest story's (the one with the earliest entry); the others
end. A rebuilt story given none gets a new GUID. So an unchanged story keeps its GUID, a split
leaves the GUID with the larger part, and a merge with the older story.

Every change is written in one store transaction (SQLite, or Redis's fenced commit), so a crash
leaves the state as it was; the outputs are re-emitted after the commit, from the state alone.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipeline.config import Config
from pipeline.models import Article, Match, Override, Signature, SignatureValues, StoredRecord
from pipeline.sources.fulltext import feed_hosts
from pipeline.stages.attribute import attribute
from pipeline.stages.dedup import Deduplicator
from pipeline.stages.fingerprint import Fingerprinter
from pipeline.store import Store
from pipeline.store.sqlite import MERGED_BY_REBUILD, State
from pipeline.text.credits import AliasTable
from pipeline.text.identity import permalink_keys
from pipeline.text.tokens import tokenize

log = logging.getLogger(__name__)

# Similarities are stored rounded to 4 places: a smaller difference is no change.
_SAME_SCORE = 1e-4


@dataclass(frozen=True, slots=True)
class StoryDecision:
    """A story as stored or as rebuilt: its entries (ids, oldest first), original, credit, relations."""

    id: str
    members: tuple[int, ...]
    canonical: int | None
    credited: str | None
    relations: dict[int, tuple[str, float]]

    def same_as(self, other: StoryDecision) -> bool:
        if (self.members, self.canonical, self.credited) != (other.members, other.canonical, other.credited):
            return False
        for article_id, (relation, score) in self.relations.items():
            theirs = other.relations.get(article_id)
            if theirs is None or theirs[0] != relation or abs(theirs[1] - score) > _SAME_SCORE:
                return False
        return True


@dataclass(slots=True)
class Changes:
    """What a replay changes, for a person: each list names stories by GUID."""

    split: list[tuple[str, list[tuple[str, int]]]] = field(default_factory=list)  # old -> (new, n)
    merged: list[tuple[str, list[str]]] = field(default_factory=list)  # new -> old GUIDs joined
    recredited: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    recanonicalised: list[tuple[str, int | None, int | None]] = field(default_factory=list)
    relations: list[tuple[int, str, str]] = field(default_factory=list)  # entry, old, new relation
    new_stories: list[str] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)  # GUIDs no rebuilt story keeps

    @property
    def empty(self) -> bool:
        return not (
            self.split or self.merged or self.recredited or self.recanonicalised or self.relations
        ) and not (self.new_stories or self.ended)


@dataclass(slots=True)
class Plan:
    """The stored and the rebuilt decisions of the replayed stories, and what apply writes."""

    records: dict[int, StoredRecord]
    old: dict[str, StoryDecision]
    new: dict[str, StoryDecision]
    matches: dict[int, Match | None]
    resigned: dict[int, Signature]
    purged: tuple[str, int] | None = None  # (feed, entries deleted) for purge
    # blocked merges between rebuilt stories (GUIDs, sorted pair) -> bridging entry (issue 25)
    links: dict[tuple[str, str], int | None] = field(default_factory=dict)
    # Who re-decided: the tombstone of a story this plan absorbs says so (``State.merge_story``).
    via: str = MERGED_BY_REBUILD
    named: tuple[int, ...] = ()  # the entries an editor's `story merge` named (its bridges)

    @property
    def story_of(self) -> dict[int, str]:
        return {i: story.id for story in self.new.values() for i in story.members}

    def changes(self) -> Changes:
        out = Changes()
        story_of = self.story_of
        for guid, stored in sorted(self.old.items()):
            parts = Counter(story_of[i] for i in stored.members if i in story_of)
            if len(parts) > 1:
                out.split.append((guid, sorted(parts.items(), key=lambda p: (-p[1], p[0]))))
        for guid, new in sorted(self.new.items()):
            sources = Counter(self.records[i].story_id for i in new.members)
            if len(sources) > 1:
                out.merged.append((guid, sorted(sources)))
            old = self.old.get(guid)
            if old is None:
                out.new_stories.append(guid)
                continue
            if old.credited != new.credited:
                out.recredited.append((guid, old.credited, new.credited))
            if old.canonical != new.canonical:
                out.recanonicalised.append((guid, old.canonical, new.canonical))
            for article_id, (relation, _) in sorted(new.relations.items()):
                before = self.records[article_id]
                if before.story_id == guid and before.relation != relation:
                    out.relations.append((article_id, before.relation, relation))
        out.ended = sorted(set(self.old) - set(self.new))
        return out

    def absorbed(self) -> list[tuple[str, str, int | None]]:
        """(stored GUID that ends, the rebuilt story holding most of its entries, the bridging
        entry) for every stored story whose entries now live in another's story: a merge. A story
        left without entries (a purge) is not listed. The bridge is the entry an editor named in
        that story, else the first entry whose new match crosses from one stored story to the
        other, else None."""
        story_of = self.story_of
        out = []
        for guid, stored in sorted(self.old.items()):
            if guid in self.new:
                continue
            held = Counter(story_of[i] for i in stored.members if i in story_of)
            if not held:
                continue
            into = min(held, key=lambda part: (-held[part], part))
            out.append((guid, into, self._bridge(guid, into)))
        return out

    def _bridge(self, absorbed: str, into: str) -> int | None:
        for article_id in self.named:
            record = self.records.get(article_id)
            if record is not None and record.story_id == absorbed:
                return article_id
        for article_id in self.new[into].members:
            match = self.matches.get(article_id)
            if match is None or match.article_id not in self.records:
                continue
            pair = {self.records[article_id].story_id, self.records[match.article_id].story_id}
            if absorbed in pair and len(pair) == 2:
                return article_id
        return None

    def changed_stories(self) -> list[str]:
        return sorted(
            guid for guid, new in self.new.items() if guid not in self.old or not new.same_as(self.old[guid])
        )


class _Scratch(State):
    """A throw-away SQLite state where entries keep their stored ids (so results map back as is)."""

    def add_article(self, article: Article, now: datetime) -> int:
        wanted = article.id
        given = super().add_article(article, now)
        if wanted is not None and wanted != given:
            self.db.execute("UPDATE articles SET id=? WHERE id=?", (wanted, given))
            return wanted
        return given

    def join_stories(self, keep_of: int, other_of: int) -> None:
        """Put every entry of ``other_of``'s story into ``keep_of``'s story (an editor's merge)."""
        row = self.db.execute(
            "SELECT (SELECT story_id FROM articles WHERE id=?), (SELECT story_id FROM articles WHERE id=?)",
            (keep_of, other_of),
        ).fetchone()
        keep, other = row
        if keep is None or other is None or keep == other:
            return
        self.db.execute("UPDATE articles SET story_id=? WHERE story_id=?", (keep, other))
        self.db.execute("DELETE FROM stories WHERE id=?", (other,))

    def story_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM stories")]

    def decisions(self) -> tuple[dict[str, StoryDecision], dict[int, Match | None]]:
        rows = self.db.execute(
            "SELECT id, story_id, relation, similarity, match_article, match_relation, match_measure,"
            " match_score, match_threshold FROM articles ORDER BY published, id"
        ).fetchall()
        members: dict[str, list[int]] = {}
        relations: dict[str, dict[int, tuple[str, float]]] = {}
        matches: dict[int, Match | None] = {}
        for r in rows:
            members.setdefault(r[1], []).append(r[0])
            relations.setdefault(r[1], {})[r[0]] = (r[2], round(float(r[3]), 4))
            matches[r[0]] = Match(r[4], r[5], r[6], r[7], r[8]) if r[4] is not None else None
        stories = {}
        for story_id, canonical, credited, _ in self.stories():
            if story_id in members:
                stories[story_id] = StoryDecision(
                    story_id, tuple(members[story_id]), canonical, credited, relations[story_id]
                )
        return stories, matches


def scratch_prefix(state_path: Path) -> str:
    """The name a replay's scratch folder starts with, beside the state file it replays (one per
    state file, so that ``remove_stale_scratch`` never touches another state's)."""
    return f"{state_path.name}.rebuild-"


def remove_stale_scratch(state_path: Path) -> list[Path]:
    """Delete the scratch folders that killed replays of ``state_path`` left beside it (a replay
    deletes its own when it ends, even on an error; a SIGKILL or a power cut does not let it).
    Call with the run lock held: no replay of this state runs then."""
    removed: list[Path] = []
    try:
        found = list(state_path.parent.glob(glob.escape(scratch_prefix(state_path)) + "*"))
    except OSError:
        return removed
    for folder in found:
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def replay(state: Store, config: Config, moment: datetime, story_ids: Iterable[str] | None = None) -> Plan:
    """Re-decide every stored story (or only ``story_ids``) with today's config; change nothing.

    Returns the plan ``apply`` writes. Raises StateError when the state cannot be read.
    """
    scope = None if story_ids is None else sorted(set(story_ids))
    records = {r.id: r for r in state.stored_records(scope)}
    overrides = [o for o in state.overrides() if o.article_id in records]
    isolated = {o.article_id for o in overrides if o.kind == "split"}
    pinned = {o.article_id for o in overrides if o.kind == "pin"}
    merges = [(o.article_id, o.other_id) for o in overrides if o.kind == "merge" and o.other_id in records]
    fingerprinter = Fingerprinter(config.dedup)
    stored_signatures = state.signatures_for(fingerprinter.params)
    aliases = AliasTable(config.attribution.aliases, (f.name for f in config.feeds), feed_hosts(state))
    resigned: dict[int, Signature] = {}
    runs: dict[datetime, list[StoredRecord]] = {}
    for record in records.values():
        runs.setdefault(record.first_seen, []).append(record)
    folder = config.state.path.parent if config.state.path.parent.exists() else None
    prefix = scratch_prefix(config.state.path)
    with tempfile.TemporaryDirectory(prefix=prefix, dir=folder) as scratch_folder:
        scratch = _Scratch(Path(scratch_folder) / "replay.sqlite")
        try:
            with scratch.transaction():
                params_id = scratch.params_id(fingerprinter.params)
                deduplicator = Deduplicator(scratch, config.dedup, params_id, moment, isolated)
                for first_seen in sorted(runs):
                    articles = [article_of(record) for record in runs[first_seen]]
                    _sign(articles, stored_signatures, fingerprinter, resigned)
                    deduplicator.now = first_seen
                    for article in deduplicator(articles):
                        article.tokens, article.body, article.shingles = [], "", None
                for keep, other in merges:
                    scratch.join_stories(keep, other)
                attribute(scratch, scratch.story_ids(), config.dedup, aliases, deduplicator.shingles, pinned)
                rebuilt, matches = scratch.decisions()
                scratch_links = scratch.story_links()
        finally:
            scratch.close()
    old = _stored_decisions(state, records, scope)
    new, guid_of = _with_guids(rebuilt, records, old, isolated)
    links: dict[tuple[str, str], int | None] = {}
    for pair, bridge in scratch_links.items():
        if pair[0] in guid_of and pair[1] in guid_of:
            a, b = sorted((guid_of[pair[0]], guid_of[pair[1]]))
            links[a, b] = bridge
    return Plan(records, old, new, matches, resigned, links=links)


def neighbour_stories(state: Store, config: Config, article_id: int, moment: datetime) -> set[str]:
    """The stories a run would compare stored entry ``article_id`` with: those of the entries that
    share an LSH band with its signature (signed with today's parameters) or its permalink in
    another feed; its own story included. Undoing a split replays these, so that the entry can
    go back to the story it matches. Raises StateError when the state cannot be read."""
    found = state.article_bodies([article_id])
    if article_id not in found:
        return set()
    own = found[article_id][0]
    record = next((r for r in state.stored_records([own]) if r.id == article_id), None)
    if record is None:
        return {own}
    article = article_of(record)
    fingerprinter = Fingerprinter(config.dedup)
    fingerprinter.sign_many([article])
    ids: set[int] = set()
    if article.signature is not None:
        bucketer = Deduplicator(state, config.dedup, state.params_id(fingerprinter.params), moment)
        ids.update(state.bucket_neighbours(bucketer.buckets(article.signature)))
    ids.update(owner for owner, _ in state.permalink_owners(permalink_keys(article), article.feed).values())
    return {own} | {story for story, _ in state.article_bodies(sorted(ids)).values()}


def article_of(record: StoredRecord) -> Article:
    """The stored entry as the Article a run would have deduplicated (normalized; no raw HTML)."""
    article = Article(
        feed=record.feed,
        entry_key=record.entry_key,
        guid=record.guid,
        link=record.link,
        title=record.title,
        published=record.published,
        raw_html="",
        dated=record.dated,
        body=record.body,
        credit=record.credit,
        truncated=record.truncated,
        content_hash=record.content_hash,
        normalized=True,
    )
    article.id = record.id  # the scratch state keeps it; dedup's isolation hook reads it
    return article


def _sign(
    articles: list[Article],
    stored: dict[int, SignatureValues],
    fingerprinter: Fingerprinter,
    resigned: dict[int, Signature],
) -> None:
    """Reuse each stored signature made with today's parameters; sign the others again."""
    again = []
    for article in articles:
        values = stored.get(article.id or 0)
        if values is None:
            again.append(article)
            continue
        article.tokens = tokenize(article.body)
        too_short = len(article.tokens) < fingerprinter.dedup.min_tokens
        article.signature = None if too_short else Signature(fingerprinter.params, *values)
    if again:
        fingerprinter.sign_many(again)
        resigned.update({a.id: a.signature for a in again if a.id is not None and a.signature is not None})


def _stored_decisions(
    state: Store, records: dict[int, StoredRecord], scope: list[str] | None
) -> dict[str, StoryDecision]:
    members: dict[str, list[StoredRecord]] = {}
    for record in records.values():
        members.setdefault(record.story_id, []).append(record)
    for story_id in scope or ():
        members.setdefault(story_id, [])  # emptied by a purge: it ends
    attributed = {s[0]: (s[1], s[2]) for s in state.stories() if s[0] in members}
    out = {}
    for story_id, rows in members.items():
        rows.sort(key=lambda r: (r.published, r.id))
        canonical, credited = attributed.get(story_id, (None, None))
        out[story_id] = StoryDecision(
            story_id,
            tuple(r.id for r in rows),
            canonical,
            credited,
            {r.id: (r.relation, round(r.similarity, 4)) for r in rows},
        )
    return out


def _with_guids(
    rebuilt: dict[str, StoryDecision],
    records: dict[int, StoredRecord],
    old: dict[str, StoryDecision],
    isolated: set[int],
) -> tuple[dict[str, StoryDecision], dict[str, str]]:
    """The rebuilt stories under their GUIDs, by the rule in the module docstring; and the GUID of
    each rebuilt story's scratch id."""
    story_of = {i: story.id for story in rebuilt.values() for i in story.members}

    def earliest(story: StoryDecision) -> tuple[datetime, int]:
        return min((records[i].published, i) for i in story.members)

    won: dict[str, list[str]] = {}  # rebuilt id -> stored GUIDs it won
    for guid, story in old.items():
        if not story.members:
            continue
        held = Counter(story_of[i] for i in story.members if i in story_of)

        def rank(rebuilt_id: str, held: Counter[str] = held, story: StoryDecision = story) -> tuple:
            part = rebuilt[rebuilt_id]
            split_out = len(part.members) == 1 and part.members[0] in isolated
            return (-held[rebuilt_id], split_out, story.canonical not in part.members, earliest(part))

        winner = min(held, key=rank)
        won.setdefault(winner, []).append(guid)
    out: dict[str, StoryDecision] = {}
    guid_of: dict[str, str] = {}
    for rebuilt_id, story in sorted(rebuilt.items(), key=lambda item: earliest(item[1])):
        guids = won.get(rebuilt_id)
        if guids:
            guid = min(guids, key=lambda g: min((records[i].published, i) for i in old[g].members))
        else:
            guid = rebuilt_id
            if guid in old or guid in out:  # its first entry's own id is a stored story's: derive one
                seed = f"{rebuilt_id}:rebuilt:{','.join(map(str, story.members))}"
                guid = hashlib.sha1(seed.encode()).hexdigest()[:20]
        out[guid] = StoryDecision(guid, story.members, story.canonical, story.credited, story.relations)
        guid_of[rebuilt_id] = guid
    return out, guid_of


def apply(state: Store, config: Config, plan: Plan, moment: datetime) -> list[str]:
    """Write ``plan`` into the open transaction of ``state``; return the GUIDs of changed stories.

    Changed stories get ``updated`` = ``moment`` (readers see the item change); unchanged ones are
    not written. Signatures made again are stored with today's parameters and LSH buckets.
    """
    story_of = plan.story_of
    for guid in plan.new:
        if guid not in plan.old:
            state.add_story(guid)
            state.forget_merge(guid)  # a story absorbed once, whose GUID a correction gave back
    for article_id, record in sorted(plan.records.items()):
        target, match = story_of[article_id], plan.matches.get(article_id)
        if target != record.story_id or match != record.match:
            state.move_article(article_id, target, match)
    absorbed = plan.absorbed()
    for guid, into, bridge in absorbed:  # a tombstone, so that the old GUID leads to its entries
        state.merge_story(guid, into, bridge, moment, plan.via)
    merged = {guid for guid, _, _ in absorbed}
    for guid in plan.old:
        if guid not in plan.new and guid not in merged:
            state.drop_story(guid)
    for pair in state.story_links():
        if (pair[0] in plan.old or pair[1] in plan.old) and pair not in plan.links:
            state.drop_story_link(*pair)
    for (first, second), bridge in plan.links.items():
        state.add_story_link(first, second, bridge)
    changed = plan.changed_stories()
    for guid in changed:
        story = plan.new[guid]
        if story.canonical is not None:
            state.set_story(guid, story.canonical, story.credited, moment, story.relations)
    if plan.resigned:
        fingerprinter = Fingerprinter(config.dedup)
        params_id = state.params_id(fingerprinter.params)
        bucketer = Deduplicator(state, config.dedup, params_id, moment)
        for article_id, signature in sorted(plan.resigned.items()):
            state.add_signature(article_id, params_id, signature, bucketer.buckets(signature))
    return changed


def overrides_after(kind: str, article_id: int, other_id: int, current: list[Override]) -> list[Override]:
    """The overrides a new one replaces: a split ends the entry's merges, a merge ends the two
    entries' splits, a pin ends the other pins of the same entry (story-wide pins: see ``pin``)."""
    ids = {article_id, other_id} - {0}
    if kind == "split":
        return [o for o in current if o.kind == "merge" and ids & {o.article_id, o.other_id}]
    if kind == "merge":
        return [o for o in current if o.kind == "split" and o.article_id in ids]
    return []
