"""``syndedup explain LINK``: why an entry is in its story, from the evidence the state kept.

Every stored entry keeps the verified match that put it in its story when it arrived (the earlier
entry it matched, copy or teaser, the measure, the score and the threshold it passed); attribution
later gives each member its relation to the story's original. This module reads both back.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.config import Config
from pipeline.store.view import EntryRow, StateReader, StoryRow
from pipeline.text.credits import AliasTable

MEASURES = {
    "jaccard": ("Jaccard similarity of word-shingle sets", "[dedup] copy_threshold"),
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
        "story containment (share of its shingles in the union of the story's full-text members;"
        " the entry named shares the most with it)",
        "[dedup] story_containment",
    ),
}


@dataclass(frozen=True, slots=True)
class Explanation:
    """One entry, its story, and the earlier entry it matched (if any)."""

    entry: EntryRow
    story: StoryRow | None
    members: list[EntryRow]
    matched: EntryRow | None


def explain(view: StateReader, link: str) -> list[Explanation]:
    """Explanations for every entry whose link or GUID is ``link`` (or the original of story ``link``)."""
    entries = view.entries_for(link)
    if not entries:
        story = view.story(link)
        if story is not None and story.canonical_id is not None:
            canonical = view.entry(story.canonical_id)
            entries = [canonical] if canonical else []
    out = []
    for entry in entries:
        matched = view.entry(entry.match_article) if entry.match_article is not None else None
        out.append(Explanation(entry, view.story(entry.story_id), view.members(entry.story_id), matched))
    return out


def format_explanation(item: Explanation, config: Config) -> str:
    """The explanation as text for a person: entry, story, why it joined, and every member."""
    entry, story, members = item.entry, item.story, item.members
    by_id = {m.id: m for m in members}
    canonical = by_id.get(story.canonical_id) if story and story.canonical_id is not None else None
    lines = [
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
        lines.append(f"  why original     {_why_original(canonical, story, members, config)}")
    credited = story.credited_source if story else None
    lines.append(f"  credited source  {credited or '-'}{_credit_origin(credited, members)}")
    lines.append(f"  this entry is    {_relation(entry, canonical)}")
    lines += ["", "why it is in this story", *(f"  {line}" for line in _why_joined(item, config))]
    lines += ["", "members (oldest first)"]
    width = max(len(m.feed) for m in members) if members else 0
    for member in members:
        mark = "  <- this entry" if member.id == entry.id else ""
        lines.append(
            f"  {member.relation:<8}  {member.feed:<{width}}  {member.published}  "
            f"{member.similarity:.2f}  {member.link}{mark}"
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
    return f"a copy of the original: Jaccard similarity {entry.similarity:.2f} of their word-shingle sets"


def _why_original(
    canonical: EntryRow, story: StoryRow | None, members: list[EntryRow], config: Config
) -> str:
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


def _credit_origin(credited: str | None, members: list[EntryRow]) -> str:
    if not credited:
        return ""
    credits = [m for m in members if m.credit]
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
        lines.append(f"(The config's threshold is now {current:.2f}; stored matches are not re-decided.)")
    if entry.relation not in ("original", entry.match_relation):
        lines.append(
            f"Attribution, which compares every member with the story's original, now calls it a "
            f"{entry.relation}."
        )
    if entry.relation == "original":
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
    return None
