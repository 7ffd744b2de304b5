"""``syndedup explain LINK``: why an entry is in its story, from the evidence the state kept.

Every stored entry keeps the verified match that put it in its story when it arrived (the earlier
entry it matched, copy or teaser, the measure, the score and the threshold it passed); attribution
later gives each member its relation to the story's original. This module reads both back.

A story absorbed by another (issue 13: a later entry was strongly in both) leaves a tombstone; an
absorbed story's id or GUID is explained as the story that absorbed it, after a note that says so,
and every explanation lists the stories merged into its story, so that an old GUID can be found.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from pipeline.config import Config, DedupConfig
from pipeline.models import Signature, split_signature
from pipeline.outputs.feeds import story_guid
from pipeline.stages.dedup import Bander
from pipeline.stages.fingerprint import Fingerprinter
from pipeline.store.view import EntryRow, MergeRow, StateReader, StoryRow
from pipeline.text.credits import AliasTable
from pipeline.text.identity import url_key
from pipeline.text.pair import NEAR_MISS_FLOOR, PairMeasures, closeness, measure_texts
from pipeline.text.shingles import Shingles
from pipeline.text.similarity import Verdict, compare_shingles
from pipeline.text.story import (
    SHORT_STORY_MEMBERS,
    Candidate,
    Decision,
    Representative,
    decide,
    is_full_text,
    representative,
)
from pipeline.text.tokens import body_shingles

# Near misses: the entries nearest in publication date (other stories) that are compared with an
# explained entry; the closest few are shown. Bounded so that explain stays quick on a big state.
NEAR_MISS_CANDIDATES = 300
NEAR_MISSES = 3
# Tombstones are re-pointed when their story is absorbed in turn, so one step is the rule; a few
# more are followed in case an older state kept a chain, and a loop stops the walk.
MERGE_HOPS = 16
GUID_PREFIX = story_guid("")

MEASURES = {
    "jaccard": ("Jaccard similarity of word-shingle sets", "[dedup] copy_threshold"),
    "char_jaccard": (
        "Jaccard similarity of character-shingle sets (two short texts: a few typos break most of"
        " their word shingles)",
        "[dedup] short_copy_threshold",
    ),
    "lead_containment": (
        "lead containment (share of its shingles in the other's lead)",
        "[dedup] teaser_containment",
    ),
    "permalink": ("the same permalink (normalized link or URL GUID) in another feed", "identity (always 1)"),
    "overlap": (
        "overlap coefficient (share of the shorter text's shingles anywhere in the longer one)",
        "[dedup] partial_containment",
    ),
    "story_containment": (
        "story containment (share of its shingles in the union of the story's sampled full-text"
        " members; the entry named shares the most with it)",
        "[dedup] story_containment",
    ),
    "core_overlap": (
        "core overlap (share of the smaller story core found in the other: the shingles held by"
        " two or more sampled members, and the founder's)",
        "[dedup] story_overlap",
    ),
}


@dataclass(frozen=True, slots=True)
class MergeNote:
    """A story absorbed by another, and the entry that bridged them (None if no longer stored)."""

    merge: MergeRow
    bridge: EntryRow | None


@dataclass(frozen=True, slots=True)
class Explanation:
    """One entry, its story, and the earlier entry it matched (if any)."""

    entry: EntryRow
    story: StoryRow | None
    members: list[EntryRow]
    matched: EntryRow | None
    # Re-measured with today's [dedup]: the stored match, and the nearest entries not merged.
    today: PairMeasures | None = None
    # (entry, measures, whether the run's decision would put them in one story today)
    near: tuple[tuple[EntryRow, PairMeasures, bool], ...] = ()
    overrides: tuple[str, ...] = ()
    # The story asked for by id or GUID was absorbed: the merges that lead to this entry's story.
    asked: tuple[MergeNote, ...] = ()
    # Stories absorbed into this entry's story (their ids and GUIDs now lead here), oldest first.
    absorbed: tuple[MergeNote, ...] = ()
    # When an editor pinned the story's original (`syndedup story pin`), or None.
    pinned: str | None = None


def story_id_of(link: str) -> str:
    """A story id from a story id or an output item's GUID (``urn:syndedup:story:<id>``)."""
    return link[len(GUID_PREFIX) :] if link.startswith(GUID_PREFIX) else link


def merge_trail(view: StateReader, story_id: str) -> tuple[MergeNote, ...]:
    """The merges from an absorbed story ``story_id`` to the story that holds its entries now
    (usually one; empty when ``story_id`` was never absorbed)."""
    trail: list[MergeNote] = []
    seen = {story_id}
    merge = view.merge_of(story_id)
    while merge is not None and len(trail) < MERGE_HOPS:
        trail.append(_note(view, merge))
        if merge.into in seen or view.story(merge.into) is not None:
            break
        seen.add(merge.into)
        merge = view.merge_of(merge.into)
    return tuple(trail)


def _note(view: StateReader, merge: MergeRow) -> MergeNote:
    return MergeNote(merge, view.entry(merge.bridge) if merge.bridge is not None else None)


def explain(view: StateReader, link: str, config: Config | None = None) -> list[Explanation]:
    """Explanations for every entry whose link or GUID is ``link``, or of the original of the
    story whose id or output GUID is ``link`` (for an absorbed story: of the story that absorbed
    it, with the merges that lead there in ``asked``)."""
    entries = view.entries_for(link)
    asked: tuple[MergeNote, ...] = ()
    if not entries:
        story_id = story_id_of(link)
        story = view.story(story_id)
        if story is None:
            asked = merge_trail(view, story_id)
            story = view.story(asked[-1].merge.into) if asked else None
        if story is not None and story.canonical_id is not None:
            canonical = view.entry(story.canonical_id)
            entries = [canonical] if canonical else []
    out = []
    for entry in entries:
        matched = view.entry(entry.match_article) if entry.match_article is not None else None
        today = None
        if matched is not None and config is not None and entry.match_measure != "permalink":
            bodies = view.bodies([entry.id, matched.id])
            if len(bodies) == 2:
                today = measure_texts(bodies[entry.id], bodies[matched.id], config.dedup)
        near = near_misses(view, entry, config.dedup) if config is not None else ()
        notes = tuple(_override_notes(view, entry))
        members = view.members(entry.story_id)
        absorbed = tuple(_note(view, merge) for merge in view.merged_stories(entry.story_id))
        story = view.story(entry.story_id)
        pinned = _pinned(view, story)
        out.append(Explanation(entry, story, members, matched, today, near, notes, asked, absorbed, pinned))
    return out


def near_misses(
    view: StateReader, entry: EntryRow, dedup: DedupConfig, limit: int = NEAR_MISSES
) -> tuple[tuple[EntryRow, PairMeasures, bool], ...]:
    """The ``limit`` entries of other stories closest to ``entry`` (by their larger measure over
    its threshold), among the ``NEAR_MISS_CANDIDATES`` nearest in publication date."""
    ids = view.neighbours(entry, NEAR_MISS_CANDIDATES)
    bodies = view.bodies([entry.id, *ids])
    own = bodies.get(entry.id)
    if own is None:
        return ()
    scored = [(measure_texts(own, bodies[i], dedup), i) for i in ids if i in bodies]
    scored = [pair for pair in scored if closeness(pair[0], dedup) >= NEAR_MISS_FLOOR]
    scored.sort(key=lambda pair: (-closeness(pair[0], dedup), pair[1]))
    out = []
    for measures, article_id in scored[:limit]:
        row = view.entry(article_id)
        if row is not None:
            out.append((row, measures, judge(view, entry, row, dedup).together))
    return tuple(out)


def _pinned(view: StateReader, story: StoryRow | None) -> str | None:
    """When an editor pinned ``story``'s original, if they did (its latest pin)."""
    if story is None or story.canonical_id is None:
        return None
    pins = [
        created
        for kind, article_id, _, created in view.overrides()
        if kind == "pin" and article_id == story.canonical_id
    ]
    return max(pins) if pins else None


def _override_notes(view: StateReader, entry: EntryRow) -> list[str]:
    notes = []
    for kind, article_id, other_id, created in view.overrides():
        if entry.id not in (article_id, other_id):
            continue
        if kind == "split":
            notes.append(
                f"split out into a story of its own by an editor (`syndedup story split`, {created})"
            )
        elif kind == "pin":
            notes.append(f"pinned as its story's original by an editor (`syndedup story pin`, {created})")
        else:
            other = view.entry(other_id if article_id == entry.id else article_id)
            name = f"{other.feed} {other.link}" if other else "an entry no longer stored"
            notes.append(f"merged by an editor with {name} (`syndedup story merge`, {created})")
    return notes


@dataclass(frozen=True, slots=True)
class PairExplanation:
    """Two entries, every measure between them under today's config, what the run's decision makes
    of them (``judgement``: None when they share a permalink), and what is stored."""

    a: EntryRow
    b: EntryRow
    measures: PairMeasures
    same_permalink: bool
    judgement: Judgement | None = None


@dataclass(frozen=True, slots=True)
class Judgement:
    """The run's decision (``text.story.decide``, also rebuild's) on the later of two entries, as it
    arrived: against the earlier entry's story and its own story, each as it was then (members
    stored before it). ``together``: whether that decision puts the two in one story."""

    earlier: EntryRow
    later: EntryRow
    decision: Decision | None
    together: bool
    skipped_teaser: bool  # the earlier is a teaser of the later, a full text: no evidence then
    lsh_missed: bool = False  # the run's LSH never met them: it never compared them


def explain_pair(view: StateReader, a: EntryRow, b: EntryRow, config: Config) -> PairExplanation:
    bodies = view.bodies([a.id, b.id])
    measures = measure_texts(bodies.get(a.id, ""), bodies.get(b.id, ""), config.dedup)
    same_permalink = a.feed != b.feed and bool(_permalinks(a) & _permalinks(b))
    judgement = None if same_permalink else judge(view, a, b, config.dedup)
    return PairExplanation(a, b, measures, same_permalink, judgement)


def judge(view: StateReader, a: EntryRow, b: EntryRow, dedup: DedupConfig) -> Judgement:
    """The decision the run (and rebuild) makes on the later of ``a`` and ``b`` (by id: ids are given
    in arrival order), with the earlier as a candidate, and its own stored match when that is in
    another story: the same ``decide`` with the same measures and thresholds."""
    earlier, later = sorted((a, b), key=lambda entry: entry.id)
    past = _AsOf(view, later.id, dedup)
    own = past.shingles([later.id]).get(later.id)
    if own is None or not later.signed or own.count < dedup.min_tokens:
        return Judgement(earlier, later, None, False, False)
    met = _met_by_lsh(view, later.id, dedup)
    if met is not None and earlier.id not in met:
        return Judgement(earlier, later, None, False, False, lsh_missed=True)
    wanted = [earlier.id]
    if later.match_article is not None and later.match_article < later.id:
        wanted.append(later.match_article)
    found = past.shingles(wanted)
    candidates = []
    for member_id in dict.fromkeys(wanted):
        row = earlier if member_id == earlier.id else view.entry(member_id)
        other = found.get(member_id)
        if row is None or other is None or (member_id != earlier.id and row.story_id == earlier.story_id):
            continue
        candidates.append(Candidate(member_id, row.story_id, compare_shingles(own, other, dedup), other))
    decision = decide(own, later.truncated, candidates, past, dedup)
    together = decision is not None and (
        decision.story_id == earlier.story_id or earlier.story_id in decision.absorbed
    )
    pairwise = candidates[0].verdict if candidates and candidates[0].member_id == earlier.id else None
    skipped = (
        pairwise is not None
        and pairwise.relation == "teaser"
        and (decision is None or earlier.story_id not in decision.scored)
        and past.representative(earlier.story_id) is not None
    )
    return Judgement(earlier, later, decision, together, skipped)


def _met_by_lsh(view: StateReader, article_id: int, dedup: DedupConfig) -> set[int] | None:
    """The entries stored under any LSH bucket of entry ``article_id``'s signature, as the run looks
    them up (``stages.dedup.Bander``): the only ones the run compares it with. None when its
    signature was made with other parameters than today's (the run would sign it again)."""
    found = view.signature(article_id)
    params = Fingerprinter(dedup).params
    if found is None or found[1] != json.dumps(asdict(params), sort_keys=True):
        return None
    params_id, _, raw = found
    signature = Signature(params, *split_signature(raw, dedup.num_perm), raw=raw)
    return view.bucket_members(Bander(dedup, params_id).keys(signature))


class _AsOf:
    """``text.story.StoryLookup`` over the view, as the stories were when entry ``cutoff`` arrived
    (their members with smaller ids), for ``judge``."""

    def __init__(self, view: StateReader, cutoff: int, dedup: DedupConfig) -> None:
        self.view, self.cutoff, self.dedup = view, cutoff, dedup
        self._members: dict[str, list[EntryRow]] = {}
        self._shingles: dict[int, Shingles] = {}

    def members(self, story_id: str) -> list[EntryRow]:
        if story_id not in self._members:
            rows = [m for m in self.view.members(story_id) if m.id < self.cutoff]
            self._members[story_id] = sorted(rows, key=lambda m: m.id)
        return self._members[story_id]

    def shingles(self, ids: Iterable[int]) -> dict[int, Shingles]:
        missing = [i for i in ids if i not in self._shingles]
        for article_id, body in self.view.bodies(missing).items():
            self._shingles[article_id] = body_shingles(body, self.dedup.shingle_size)
        return {i: self._shingles[i] for i in ids if i in self._shingles}

    def representative(self, story_id: str) -> Representative | None:
        full = [m.id for m in self.members(story_id) if is_full_text(m.truncated, m.tokens, self.dedup)]
        ends = self.dedup.core_members // 2
        ids = list(dict.fromkeys([*full[:ends], *full[-ends:]]))
        found = self.shingles(ids)
        sets = [found[i].unique for i in ids if i in found]
        return representative(sets[0], sets[1:], self.dedup.core_agreement) if sets else None

    def first_ids(self, story_ids: Iterable[str]) -> dict[str, int]:
        return {s: members[0].id for s in story_ids if (members := self.members(s))}

    def short_members(self, story_id: str) -> list[Shingles] | None:
        members = self.members(story_id)
        if len(members) > SHORT_STORY_MEMBERS or self.representative(story_id) is not None:
            return None
        found = self.shingles([m.id for m in members])
        out = [found[m.id] for m in members if m.id in found]
        return None if any(s.count >= self.dedup.merge_min_tokens for s in out) else out


def _permalinks(entry: EntryRow) -> set[str]:
    keys = {url_key(entry.link), url_key(entry.guid)}
    return {k for k in keys if k and k.startswith("//") and "/" in k[2:]}


def thresholds(config: Config) -> str:
    """Today's [dedup] thresholds, one line."""
    d = config.dedup
    return (
        f"copy_threshold {d.copy_threshold:.2f}, teaser_containment {d.teaser_containment:.2f}, "
        f"teaser_max_ratio {d.teaser_max_ratio:.2f}, min_tokens {d.min_tokens}, "
        f"partial_containment {d.partial_containment:.2f}, partial_min_shared {d.partial_min_shared}"
    )


def format_pair(item: PairExplanation, config: Config) -> str:
    """Every measure between two entries against its threshold, and today's verdict."""
    a, b, m, d = item.a, item.b, item.measures, config.dedup

    def cmp(value: float, threshold: float) -> str:
        return f"{value:.2f} {'>=' if value >= threshold else '< '} {threshold:.2f}"

    shorter = "A" if m.words_a <= m.words_b else "B"
    teaser_shape = m.share <= d.teaser_max_ratio
    lines = [
        f"A  {a.link}  ({a.feed}, {a.published}, story {a.story_id})",
        f"B  {b.link}  ({b.feed}, {b.published}, story {b.story_id})",
        "",
        f"measures with today's [dedup] ({thresholds(config)})",
        f"  words                 A {m.words_a}, B {m.words_b}"
        + (
            ""
            if min(m.words_a, m.words_b) >= d.min_tokens
            else f" (< [dedup] min_tokens {d.min_tokens}: never compared)"
        ),
        f"  Jaccard               {cmp(m.jaccard, d.copy_threshold)}"
        "  ([dedup] copy_threshold: a copy at or above)",
        f"  shingle share         {m.share:.2f} {'<=' if teaser_shape else '> '} {d.teaser_max_ratio:.2f}"
        f"  ([dedup] teaser_max_ratio: {shorter}, the shorter, can be a teaser at or below)",
        f"  lead containment      {cmp(m.lead_containment, d.teaser_containment)}"
        f"  ([dedup] teaser_containment: share of {shorter}'s shingles in the other's lead)",
        f"  overlap               {cmp(m.overlap, d.partial_containment)}"
        "  ([dedup] partial_containment: a partial reprint at or above, anywhere in the other)",
        f"  shared shingles       {m.shared} {'>=' if m.shared >= d.partial_min_shared else '< '} "
        f"{d.partial_min_shared}  ([dedup] partial_min_shared: a partial reprint needs at least)",
        *(
            [
                f"  character Jaccard     {cmp(m.chars, d.short_copy_threshold)}"
                f"  ([dedup] short_copy_threshold: two texts under short_tokens {d.short_tokens} words)"
            ]
            if max(m.words_a, m.words_b) < d.short_tokens
            else []
        ),
        f"  same permalink        {'yes (one story whatever the text)' if item.same_permalink else 'no'}",
        f"  same feed             {'yes' if a.feed == b.feed else 'no'}",
        "",
    ]
    if item.same_permalink:
        verdict, decided = "one story (the same permalink in two feeds)", True
    elif item.judgement is not None:
        later = "A" if item.judgement.later.id == a.id else "B"
        lines += _judgement_lines(item.judgement, later)
        verdict, decided = _judgement_verdict(item.judgement), item.judgement.together
    else:
        verdict, decided = "different stories (no measure reaches its threshold)", False
    lines.append(f"verdict today   {verdict}")
    together = a.story_id == b.story_id
    lines.append(f"stored          {'in the same story' if together else 'in different stories'}")
    joined_directly = (
        item.judgement is not None and item.judgement.later.match_article == item.judgement.earlier.id
    )
    if together != decided:
        if together and not joined_directly:
            lines.append(
                "(They can be in one story through other members, or an editor's merge; "
                "`syndedup rebuild --dry-run` shows whether today's config keeps them together.)"
            )
        else:
            lines.append(
                "Today's config decides differently from the stored decision: "
                "`syndedup rebuild --dry-run` shows what a rebuild would change."
            )
    return "\n".join(lines)


def _judgement_lines(judgement: Judgement, later: str) -> list[str]:
    """What the run's decision weighed, story by story (``text.story.decide``)."""
    decision = judgement.decision
    lines = [f"the run's decision on {later} (the later), as it arrived (rebuild decides the same)"]
    if judgement.lsh_missed:
        lines.append("  the LSH index never gave it the other as a candidate: they were never compared")
        return [*lines, ""]
    if decision is None:
        lines.append("  no story gives evidence: it starts a story of its own")
        return [*lines, ""]
    for story_id, (member_id, verdict) in decision.scored.items():
        name = "the earlier's story" if story_id == judgement.earlier.story_id else "its own story"
        lines.append(f"  {name} {story_id}: {_evidence(member_id, verdict)}")
    for story_id, verdict in decision.blocked:
        lines.append(
            f"  kept apart from {story_id}: {_measure_line(verdict)} (the stories' cores are not one text)"
        )
    if decision.absorbed:
        lines.append(f"  merges {', '.join(decision.absorbed)} into {decision.story_id} (cores one text)")
    lines.append(f"  -> joins story {decision.story_id}")
    return [*lines, ""]


def _judgement_verdict(judgement: Judgement) -> str:
    decision = judgement.decision
    earlier = judgement.earlier.story_id
    if decision is not None and judgement.together:
        _member_id, verdict = decision.scored.get(earlier, (decision.member_id, decision.verdict))
        if earlier in decision.absorbed or (decision.absorbed and decision.story_id == earlier):
            return f"one story: the stories merge ({_measure_line(verdict)})"
        if verdict.measure == "story_containment":
            return f"one story: a partial reprint of the story as a whole ({_measure_line(verdict)})"
        return f"one story: a {verdict.relation} ({_measure_line(verdict)})"
    if judgement.lsh_missed:
        return (
            "different stories: never compared (their signatures share no LSH band; MinHash banding "
            "misses a loose pair now and then, [dedup] lsh_threshold)"
        )
    if judgement.skipped_teaser:
        return (
            "different stories: the earlier is a teaser of the later, and a full text joins a story "
            "through its full texts, not through a teaser"
        )
    if decision is not None:
        blocked = dict(decision.blocked)
        if earlier in blocked:
            return f"different stories: strongly in both, but {_measure_line(blocked[earlier])}"
        if earlier in decision.scored:
            _, best = decision.scored[decision.story_id]
            return f"different stories: its own story fits better ({_measure_line(best)})"
    return "different stories (no measure reaches its threshold)"


def _measure_line(verdict: Verdict) -> str:
    sign = ">=" if verdict.score >= verdict.threshold else "<"
    key = MEASURES.get(verdict.measure, ("", "threshold"))[1]
    return f"{verdict.measure} {verdict.score:.2f} {sign} {verdict.threshold:.2f}, {key}"


def _evidence(member_id: int, verdict: Verdict) -> str:
    relation = (
        "a partial reprint of it as a whole"
        if verdict.measure == "story_containment"
        else (f"a {verdict.relation} of entry {member_id}")
    )
    return f"{relation} ({_measure_line(verdict)})"


# Who merged an absorbed story (its tombstone's ``via``): what joined the two, and how it is named.
MERGED_BY = {
    None: (
        "bridged by",
        "a later entry was strongly in both stories: the older kept its GUID and absorbed the other",
    ),
    "editor": ("named by", "an editor merged them with `syndedup story merge`: the older kept its GUID"),
    "rebuild": (
        "bridged by",
        "re-decided with the config of that day (`syndedup rebuild`, or a correction undone): "
        "one story now, and the older kept its GUID",
    ),
}


def format_merge_trail(trail: tuple[MergeNote, ...]) -> list[str]:
    """Where an absorbed story went: one paragraph per merge, naming the story by id and GUID."""
    lines = []
    for note in trail:
        merge = note.merge
        label, how = MERGED_BY.get(merge.via, MERGED_BY["rebuild"])
        lines += [
            f"story      {merge.absorbed} ({story_guid(merge.absorbed)}) was merged into",
            f"           story {merge.into} ({story_guid(merge.into)}) on {merge.merged_at}",
            f"  {label}  {_bridge(note)}",
            f"  ({how})",
            "",
        ]
    return lines


def _bridge(note: MergeNote) -> str:
    """The bridging entry as feed, title and link."""
    entry = note.bridge
    if entry is None:
        if note.merge.bridge is None:
            return (
                "an entry not recorded" if note.merge.via is None else "no one entry (re-decided as a whole)"
            )
        return f"entry {note.merge.bridge}, no longer stored"
    return f'{entry.feed}: "{entry.title}" {entry.link}'


def format_explanation(item: Explanation, config: Config) -> str:
    """The explanation as text for a person: entry, story, why it joined, and every member."""
    entry, story, members = item.entry, item.story, item.members
    by_id = {m.id: m for m in members}
    canonical = by_id.get(story.canonical_id) if story and story.canonical_id is not None else None
    lines = format_merge_trail(item.asked)
    lines += [
        f"entry      {entry.link}",
        f"  feed       {entry.feed}",
        f"  title      {entry.title}",
        f"  guid       {entry.guid}",
        f"  published  {entry.published} (first seen {entry.first_seen})",
        f"  words      {entry.tokens}"
        + (" (ends in a teaser tail such as '...')" if entry.truncated else ""),
    ]
    if entry.credit:
        lines.append(f'  credit     "{entry.credit}"')
    lines += ["", f"story      {entry.story_id} ({_count(len(members), 'entry', 'entries')})"]
    if canonical is not None:
        lines.append(f"  original         {canonical.link} ({canonical.feed}, {canonical.published})")
        why = _why_original(canonical, story, members, config, item.pinned)
        lines.append(f"  why original     {why}")
    credited = story.credited_source if story else None
    origin = _credit_origin(credited, members, canonical if item.pinned else None)
    lines.append(f"  credited source  {credited or '-'}{origin}")
    lines.append(f"  this entry is    {_relation(entry, canonical)}")
    if item.absorbed:
        lines += ["", "stories merged into this story (their ids and GUIDs now lead here; oldest first)"]
        for note in item.absorbed:
            merge = note.merge
            label, how = MERGED_BY.get(merge.via, MERGED_BY["rebuild"])
            by = "" if merge.via is None else f" ({how.split(':')[0]})"
            lines.append(f"  {merge.absorbed} ({story_guid(merge.absorbed)}) on {merge.merged_at}{by}")
            lines.append(f"    {label}  {_bridge(note)}")
    lines += ["", "why it is in this story", *(f"  {line}" for line in _why_joined(item, config))]
    if item.overrides:
        lines += ["", "editorial corrections", *(f"  {note}" for note in item.overrides)]
    lines += ["", "members (oldest first)"]
    width = max(len(m.feed) for m in members) if members else 0
    for member in members:
        mark = "  <- this entry" if member.id == entry.id else ""
        lines.append(
            f"  {member.relation:<8}  {member.feed:<{width}}  {member.published}  "
            f"{member.similarity:.2f}  {member.link}{mark}"
        )
    lines += ["", f"near misses (closest entries of other stories; today's {thresholds(config)})"]
    if not item.near:
        lines.append(
            "  none: no entry of another story nearest in date comes a quarter of the way to a threshold"
        )
    for other, m, together in item.near:
        would = "  <- today's config would merge these" if together else ""
        lines.append(
            f"  Jaccard {m.jaccard:.2f}  lead containment {m.lead_containment:.2f}  "
            f"overlap {m.overlap:.2f}  share {m.share:.2f}  {other.feed}  {other.link}{would}"
        )
    return "\n".join(lines)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _relation(entry: EntryRow, canonical: EntryRow | None) -> str:
    if entry.relation == "original" or canonical is None:
        return "the original"
    if entry.relation == "teaser":
        return (
            f"a teaser of the original: lead containment {entry.similarity:.2f} "
            "(share of its word shingles found in the original's lead)"
        )
    if entry.relation == "partial":
        return (
            f"a partial reprint of the original: overlap {entry.similarity:.2f} "
            "(share of the smaller word-shingle set found anywhere in the other)"
        )
    return f"a copy of the original: Jaccard similarity {entry.similarity:.2f} of their word-shingle sets"


def _why_original(
    canonical: EntryRow,
    story: StoryRow | None,
    members: list[EntryRow],
    config: Config,
    pinned: str | None = None,
) -> str:
    if pinned is not None:  # attribution takes a pinned entry whatever its rules say
        return (
            f"pinned by an editor (`syndedup story pin`, {pinned}), whatever the dates and credit lines say"
        )
    if len(members) == 1:
        return "the only entry of the story"
    teasers = sum(1 for m in members if m.relation == "teaser")
    aliases = AliasTable(config.attribution.aliases, (feed.name for feed in config.feeds))
    credited = story.credited_source if story else None
    base = "earliest full entry" if not teasers else "earliest full (non-teaser) entry"
    if credited and aliases.resolve(canonical.feed) == credited:
        others = [m for m in members if m.relation != "teaser" and m.id != canonical.id]
        earlier = [m for m in others if (m.published, m.id) < (canonical.published, canonical.id)]
        if earlier:
            return f"{base} from the credited outlet (credited outlets win over earlier entries)"
        return f"{base}, and from the credited outlet"
    return base


def _credit_origin(credited: str | None, members: list[EntryRow], pinned: EntryRow | None = None) -> str:
    if not credited:
        return ""
    credits = [m for m in members if m.credit]
    if pinned is not None:  # a pin makes the pinned entry's outlet the credit, over any credit line
        lines = ", ".join(f'"{m.credit}" in {m.feed}' for m in credits)
        aside = f"; set aside: the credit line {lines}" if len(credits) == 1 else f"; set aside: {lines}"
        return f" (the outlet of the pinned original: a pin names the credit{aside if credits else ''})"
    if not credits:
        return " (no credit line in any member: the original's feed)"
    sources = ", ".join(f'"{m.credit}" in {m.feed}' for m in credits)
    return f" (named by the credit line: {sources})"


def _why_joined(item: Explanation, config: Config) -> list[str]:
    entry, matched = item.entry, item.matched
    if entry.match_article is None:
        if not entry.signed:
            return [
                f"It has {_count(entry.tokens, 'word', 'words')}, fewer than [dedup] min_tokens = "
                f"{config.dedup.min_tokens} "
                "when it arrived, so it has no signature and is never compared: a story of its own."
            ]
        if item.absorbed:
            # The state does not keep which absorbed story an entry started; the list above has them.
            lines = [
                "When it arrived it matched no earlier entry, so it started a story: this one, or "
                "one merged into it since (listed above)."
            ]
        else:
            lines = ["When it arrived it matched no earlier entry, so it started this story."]
        joined = [m for m in item.members if m.match_article == entry.id]
        if joined:
            lines.append(f"Entries that joined by matching it: {', '.join(m.feed for m in joined)}.")
        return lines
    measure_name, threshold_key = MEASURES.get(entry.match_measure or "", (entry.match_measure, "threshold"))
    target = (
        f"{matched.link} ({matched.feed}, {matched.published})" if matched else f"entry {entry.match_article}"
    )
    lines = [
        f"When it arrived ({entry.first_seen}), its best verified match among earlier entries was",
        f"  {target}",
        f"as a {entry.match_relation}: {measure_name}",
        f"  {entry.match_score:.2f} >= {entry.match_threshold:.2f} ({threshold_key})",
        "so it joined that entry's story.",
    ]
    current = _current_threshold(entry.match_measure, config)
    if (
        current is not None
        and entry.match_threshold is not None
        and abs(current - entry.match_threshold) > 1e-9
    ):
        lines.append(f"The config's threshold is now {current:.2f} (it was {entry.match_threshold:.2f}).")
    if item.today is not None:
        v = item.today.verdict
        if not v.same_story:
            lines.append(
                f"Today's config would decide differently: these two are not one story now "
                f"(Jaccard {item.today.jaccard:.2f}, lead containment {item.today.lead_containment:.2f}); "
                "`syndedup rebuild --dry-run` shows what a rebuild would change."
            )
        elif v.relation != entry.match_relation:
            lines.append(
                f"Today's config would call it a {v.relation} ({v.measure} {v.score:.2f}); "
                "`syndedup rebuild` re-decides stored stories."
            )
        else:
            lines.append(f"Today's config decides the same ({v.measure} {v.score:.2f} >= {v.threshold:.2f}).")
    if entry.relation not in ("original", entry.match_relation):
        lines.append(
            f"Attribution, which compares every member with the story's original, now calls it a "
            f"{entry.relation}."
        )
    if entry.relation == "original":
        if item.pinned is not None:
            lines.append(f"An editor has since pinned it as the story's original ({item.pinned}).")
        else:
            lines.append("Attribution has since made it the story's original.")
    return lines


def _current_threshold(measure: str | None, config: Config) -> float | None:
    if measure == "jaccard":
        return config.dedup.copy_threshold
    if measure == "lead_containment":
        return config.dedup.teaser_containment
    if measure == "overlap":
        return config.dedup.partial_containment
    if measure == "story_containment":
        return config.dedup.story_containment
    if measure == "char_jaccard":
        return config.dedup.short_copy_threshold
    return None
