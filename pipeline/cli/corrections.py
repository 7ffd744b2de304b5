"""``syndedup story list``: every editor's correction (split, merge, pin) with the id that
``syndedup story undo ID`` takes back.

A correction's id is made of its kind and the ids of the entries it names (``split-17``,
``pin-23``, ``merge-12-40``): stable as long as the correction exists, unlike a position in the
list, so that undoing one never undoes another by mistake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.store.view import EntryRow, StateReader

_ID = re.compile(r"(split|pin)-(\d+)|merge-(\d+)-(\d+)")
WHAT = {"split": "split out", "pin": "pinned", "merge": "merged"}


@dataclass(frozen=True, slots=True)
class Correction:
    """One stored correction and the entries it names (None: no longer stored)."""

    kind: str
    article_id: int
    other_id: int
    created: str
    entry: EntryRow | None
    other: EntryRow | None

    @property
    def id(self) -> str:
        return correction_id(self.kind, self.article_id, self.other_id)


def correction_id(kind: str, article_id: int, other_id: int) -> str:
    """``split-17``, ``pin-23``, ``merge-12-40``."""
    return f"merge-{article_id}-{other_id}" if kind == "merge" else f"{kind}-{article_id}"


def parse_correction_id(text: str) -> tuple[str, int, int] | None:
    """(kind, entry id, other entry id or 0) of a correction id, or None when it is not one."""
    found = _ID.fullmatch(text.strip())
    if found is None:
        return None
    if found.group(1):
        return found.group(1), int(found.group(2)), 0
    return "merge", int(found.group(3)), int(found.group(4))


def corrections(view: StateReader) -> list[Correction]:
    """Every stored correction, oldest first, with its entries as stored now."""
    out = []
    for kind, article_id, other_id, created in view.overrides():
        other = view.entry(other_id) if other_id else None
        out.append(Correction(kind, article_id, other_id, created, view.entry(article_id), other))
    return out


def _entry(entry: EntryRow | None, article_id: int) -> str:
    return f"{entry.feed} {entry.link}" if entry is not None else f"entry {article_id} (no longer stored)"


def format_corrections(found: list[Correction]) -> str:
    """One line per correction: id, when, what, the entries, and the story it concerns now."""
    if not found:
        return "no corrections (`syndedup story split|merge|pin` make them)"
    width = max(len(c.id) for c in found)
    noun = "correction" if len(found) == 1 else "corrections"
    lines = [f"{len(found)} {noun}, oldest first (`syndedup story undo ID` takes one back):"]
    for c in found:
        named = _entry(c.entry, c.article_id)
        if c.kind == "merge":
            named += f" + {_entry(c.other, c.other_id)}"
        story = f"  (story {c.entry.story_id})" if c.entry is not None else ""
        lines.append(f"  {c.id:<{width}}  {c.created}  {WHAT.get(c.kind, c.kind):<9}  {named}{story}")
    return "\n".join(lines)
