"""The HTML audit page: for editors checking what syndedup merged.

One static file (no scripts): every story in the feed window with its original, copies and teasers,
their scores, and, for each copy or teaser, a side-by-side view of the words it changed against the
original. Like the feeds, it depends on the state alone, so an unchanged run rewrites the same bytes.
"""

from __future__ import annotations

import difflib
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pipeline.config import OutputConfig
from pipeline.models import Member, Override, Story
from pipeline.outputs.sanitize import clean_text, usable_link

# Words of unchanged text shown around each change; enough to find the place in the article.
CONTEXT_WORDS = 8
PARAGRAPH = "¶"

_MEASURE = {"copy": "Jaccard", "teaser": "lead containment", "partial": "overlap"}

_CSS = """
:root { --ink: #1d232b; --muted: #5b6673; --line: #d9dee4; --card: #fff; --bg: #f3f5f7;
  --del: #ffe0e0; --del-ink: #8a1010; --ins: #dcf5dc; --ins-ink: #0d5a1e; --accent: #1f5fa8; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
header.page { background: #18324f; color: #fff; padding: 20px 32px; }
header.page h1 { margin: 0 0 4px; font-size: 22px; }
header.page p { margin: 0; color: #c9d6e4; }
main { max-width: 1180px; margin: 0 auto; padding: 20px 24px 40px; }
.totals { display: flex; gap: 12px; flex-wrap: wrap; margin: 0 0 20px; padding: 0; list-style: none; }
.totals li { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 8px 14px; }
.totals b { font-size: 20px; margin-right: 4px; }
section.story, section.near { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 16px 20px; margin: 0 0 18px; box-shadow: 0 1px 2px rgba(0,0,0,.04); }
section.story h2, section.near h2 { margin: 0 0 4px; font-size: 18px; }
section.story h2 a { color: var(--ink); text-decoration: none; }
section.story h2 a:hover { text-decoration: underline; }
.meta { color: var(--muted); font-size: 13px; margin: 0 0 10px; }
.meta code { font-size: 12px; }
table { border-collapse: collapse; width: 100%; }
table.members th, table.members td { text-align: left; padding: 6px 8px;
  border-bottom: 1px solid var(--line); vertical-align: top; font-size: 14px; }
table.members th { color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase;
  letter-spacing: .04em; }
td.score { font-variant-numeric: tabular-nums; white-space: nowrap; }
td.when { white-space: nowrap; color: var(--muted); }
td.link { word-break: break-all; }
a { color: var(--accent); }
.badge { display: inline-block; border-radius: 999px; padding: 1px 9px; font-size: 12px;
  font-weight: 600; }
.badge.original { background: #e3edf9; color: #174a84; }
.badge.copy { background: #fff1d6; color: #7a4b00; }
.badge.teaser { background: #efe5fb; color: #5a2d91; }
.badge.partial { background: #e6f4f1; color: #0f5c4d; }
.badge.pin, .badge.split, .badge.merge { background: #fde8ef; color: #8a1c45; }
p.edit { margin: 0 0 8px; padding: 6px 10px; background: #fdf3f6; border-left: 3px solid #c2416b;
  border-radius: 4px; font-size: 14px; }
p.single { margin: 10px 0 0; color: var(--muted); font-style: italic; }
details.diff { margin: 12px 0 0; border: 1px solid var(--line); border-radius: 8px; }
details.diff > summary { cursor: pointer; padding: 8px 12px; background: #f8f9fb;
  border-radius: 8px; font-size: 14px; }
details.diff[open] > summary { border-bottom: 1px solid var(--line); border-radius: 8px 8px 0 0; }
table.sbs { table-layout: fixed; }
table.sbs th { background: #f8f9fb; text-align: left; font-size: 12px; color: var(--muted);
  padding: 6px 12px; width: 50%; }
table.sbs td { padding: 8px 12px; border-top: 1px solid var(--line); vertical-align: top;
  font-size: 14px; overflow-wrap: anywhere; }
table.sbs td + td, table.sbs th + th { border-left: 1px solid var(--line); }
del { background: var(--del); color: var(--del-ink); text-decoration: line-through;
  text-decoration-color: rgba(138,16,16,.45); border-radius: 3px; padding: 0 2px; }
ins { background: var(--ins); color: var(--ins-ink); text-decoration: none; border-radius: 3px;
  padding: 0 2px; }
.gap { color: var(--muted); }
p.same { margin: 0; padding: 10px 12px; color: var(--muted); }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 0 0 24px; }
"""


@dataclass(frozen=True, slots=True)
class Change:
    """What one member changed against the original, as rows of a side-by-side table."""

    rows: tuple[tuple[str, str], ...]
    removed: int
    added: int
    compared: int  # words of the original compared (a teaser is compared with the lead only)
    original_words: int


def words(text: str) -> list[str]:
    """The text's words, with a pilcrow token between paragraphs so breaks show in the diff."""
    out: list[str] = []
    for paragraph in text.split("\n\n"):
        if paragraph.strip():
            if out:
                out.append(PARAGRAPH)
            out.extend(paragraph.split())
    return out


def diff_member(original: str, member: str, teaser: bool) -> Change:
    """Word-level diff of a member against the original (a teaser against the original's lead)."""
    left_all = words(original)
    right = words(member)
    left = left_all[: len(right)] if teaser else left_all
    # Compared with typography folded (’ and ', “ and ", — and -): a copy that only straightened
    # its quotes changed no word. The ¶ paragraph marks are shown but never counted as words.
    matcher = difflib.SequenceMatcher(None, _folded(left), _folded(right), autojunk=False)
    rows: list[tuple[str, str]] = []
    removed = added = 0
    for group in matcher.get_grouped_opcodes(CONTEXT_WORDS):
        left_html: list[str] = []
        right_html: list[str] = []
        if group[0][1] > 0:
            left_html.append('<span class="gap">…</span>')
        if group[0][3] > 0:
            right_html.append('<span class="gap">…</span>')
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                left_html.append(_plain(left[i1:i2]))
                right_html.append(_plain(right[j1:j2]))
                continue
            if i2 > i1:
                left_html.append(f"<del>{_plain(left[i1:i2])}</del>")
                removed += _word_count(left[i1:i2])
            if j2 > j1:
                right_html.append(f"<ins>{_plain(right[j1:j2])}</ins>")
                added += _word_count(right[j1:j2])
        if group[-1][2] < len(left):
            left_html.append('<span class="gap">…</span>')
        if group[-1][4] < len(right):
            right_html.append('<span class="gap">…</span>')
        rows.append((" ".join(left_html), " ".join(right_html)))
    return Change(tuple(rows), removed, added, _word_count(left), _word_count(left_all))


_TYPOGRAPHY = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "—": "-", "–": "-", "…": "..."})


def _folded(tokens: Sequence[str]) -> list[str]:
    """Tokens with curly quotes, dashes and the ellipsis folded to ASCII, for comparing only."""
    return [token.translate(_TYPOGRAPHY) for token in tokens]


def _word_count(tokens: Sequence[str]) -> int:
    """Words among diff tokens: the ¶ marks between paragraphs are not words."""
    return sum(token != PARAGRAPH for token in tokens)


def _plain(tokens: Sequence[str]) -> str:
    return " ".join(_esc(t) for t in tokens)


def _esc(text: str) -> str:
    """Plain text as HTML: control characters removed, then escaped."""
    return html.escape(clean_text(text))


def _anchor(link: str, text: str) -> str:
    """``text`` (HTML) linked to ``link`` when it is an absolute http(s) URL, else plain."""
    usable = usable_link(link)
    return f'<a href="{_esc(usable)}">{text}</a>' if usable else text


@dataclass(frozen=True, slots=True)
class NearMiss:
    """Two originals of different stories that came close to a merge (stages/emit.py finds them)."""

    a: Member
    b: Member
    jaccard: float
    lead_containment: float
    closeness: float  # the larger measure over its threshold (1.0 would be a merge)


@dataclass(frozen=True, slots=True)
class Edit:
    """One editor's correction (``syndedup story split|merge|pin``) as the page shows it."""

    kind: str  # "split", "merge" or "pin"
    created: datetime
    entries: tuple[Member | None, ...]  # the entries it names; None: not in the outputs (removed feed)
    stories: tuple[str | None, ...]  # the story each entry is in now


@dataclass(frozen=True, slots=True)
class Corrections:
    """What editors and merges changed: every correction, and the stories absorbed into each story."""

    edits: tuple[Edit, ...] = ()
    absorbed: Mapping[str, tuple[tuple[str, datetime], ...]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        stories: Sequence[Story],
        overrides: Sequence[Override],
        merged: Mapping[str, tuple[str, int | None, datetime]],
    ) -> Corrections:
        """From every story the outputs know (not only the window), the state's overrides and its
        tombstones (absorbed story id -> (the story that absorbed it, bridge, when))."""
        where = {m.article_id: (m, s.id) for s in stories for m in s.members}
        edits = []
        for o in overrides:
            named = (o.article_id, o.other_id) if o.kind == "merge" else (o.article_id,)
            found = [where.get(i) for i in named]
            entries = tuple(f[0] if f else None for f in found)
            edits.append(Edit(o.kind, o.created, entries, tuple(f[1] if f else None for f in found)))
        absorbed: dict[str, list[tuple[str, datetime]]] = {}
        for story_id, (into, _, when) in sorted(merged.items(), key=lambda item: (item[1][2], item[0])):
            absorbed.setdefault(into, []).append((story_id, when))
        return cls(tuple(edits), {k: tuple(v) for k, v in absorbed.items()})

    @property
    def pinned(self) -> set[int]:
        """Ids of the entries an editor pinned as their story's original."""
        return {m.article_id for e in self.edits if e.kind == "pin" for m in e.entries if m is not None}

    def notes(self, story: Story) -> list[str]:
        """What editors and merges did to ``story``, as HTML lines."""
        ids = {m.article_id for m in story.members}
        out = []
        for edit in self.edits:
            named = [m for m in edit.entries if m is not None and m.article_id in ids]
            if not named:
                continue
            when = _date(edit.created)
            if edit.kind == "pin":
                out.append(f"Original pinned by an editor ({_code('syndedup story pin')}, {when}).")
            elif edit.kind == "split":
                out.append(
                    f"{_esc(named[0].feed)}'s entry split out of its story by an editor "
                    f"({_code('syndedup story split')}, {when}): it joins no story and no entry joins it."
                )
            else:
                pair = " and ".join(_entry_name(m) for m in edit.entries)
                out.append(f"Merged by an editor: {pair} ({_code('syndedup story merge')}, {when}).")
        for absorbed, merged_at in self.absorbed.get(story.id, ()):
            out.append(
                f"Story <code>{_esc(absorbed)}</code> merged into this one ({_date(merged_at)}): "
                "its GUID now leads here."
            )
        return out


def _code(text: str) -> str:
    return f"<code>{_esc(text)}</code>"


def _entry_name(member: Member | None) -> str:
    return f"{_esc(member.feed)}: {_pair_link(member)}" if member is not None else "an entry not shown"


def render_audit(
    stories: Sequence[Story],
    texts: Mapping[int, str],
    output: OutputConfig,
    near_misses: Sequence[NearMiss] = (),
    corrections: Corrections | None = None,
) -> bytes:
    """The audit page for ``stories`` (the feed window); ``texts`` maps article id to display text;
    ``near_misses``: the closest unmerged pairs, listed in their own section; ``corrections``: the
    editors' corrections and story merges, shown on each story and in their own section."""
    corrections = corrections or Corrections()
    merged = [s for s in stories if len(s.members) > 1]
    copies = sum(1 for s in stories for m in s.members if m.relation == "copy")
    teasers = sum(1 for s in stories for m in s.members if m.relation == "teaser")
    newest = max((s.updated for s in stories), default=None)
    title = _esc(f"{output.title} — audit")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="syndedup">',
        f"<title>{title}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        '<header class="page">',
        f"<h1>{title}</h1>",
        "<p>Every story in the feed window with its original, copies and teasers; "
        "for each copy or teaser, the words it changed against the original.</p>",
        "</header>",
        "<main>",
        '<ul class="totals">',
        f'<li id="total-stories"><b>{len(stories)}</b> {_noun(len(stories), "story", "stories")}</li>',
        f'<li id="total-merged"><b>{len(merged)}</b> with republished copies or teasers</li>',
        f'<li id="total-copies"><b>{copies}</b> {_noun(copies, "copy", "copies")}</li>',
        f'<li id="total-teasers"><b>{teasers}</b> {_noun(teasers, "teaser", "teasers")}</li>',
        f'<li id="total-corrections"><b>{len(corrections.edits)}</b> '
        f"{_noun(len(corrections.edits), 'correction', 'corrections')} by editors</li>",
        f"<li><b>{_date(newest) if newest else '–'}</b> newest update</li>",
        "</ul>",
    ]
    parts.extend(_story(story, texts, corrections) for story in stories)
    if not stories:
        parts.append('<p class="single">No stories yet.</p>')
    parts.append(_corrections(corrections))
    parts.append(_near_misses(near_misses))
    parts.extend(
        [
            "</main>",
            "<footer>Scores compare each member with the original: Jaccard similarity of word "
            "4-gram sets for a copy, lead containment for a teaser. They are computed on normalized "
            "text (typography repaired, credit lines and datelines set aside), so a copy can score "
            "1.00 while the diff, made on the text as published, still shows such changes.</footer>",
            "</body>",
            "</html>",
            "",
        ]
    )
    return "\n".join(parts).encode("utf-8")


def _corrections(corrections: Corrections) -> str:
    """Every editor's correction, oldest first: what it did, to which entries, and where they are."""
    out = [
        '<section class="near" id="corrections">',
        "<h2>Editors' corrections</h2>",
        '<p class="meta">Kept by every later run and rebuild; <code>syndedup story list</code> '
        "gives their ids, <code>syndedup story undo ID</code> takes one back.</p>",
    ]
    if not corrections.edits:
        out.append('<p class="single">No corrections.</p>')
        out.append("</section>")
        return "\n".join(out)
    out.append(
        '<table class="members"><thead><tr><th>correction</th><th>made</th><th>entries</th>'
        "<th>story now</th></tr></thead><tbody>"
    )
    for edit in corrections.edits:
        entries = "<br>".join(_entry_name(m) for m in edit.entries)
        stories = "<br>".join(f"<code>{_esc(s)}</code>" if s else "–" for s in dict.fromkeys(edit.stories))
        out.append(
            f'<tr class="correction {edit.kind}"><td><span class="badge {edit.kind}">{_EDIT[edit.kind]}'
            f'</span></td><td class="when">{_date(edit.created)}</td><td class="link">{entries}</td>'
            f"<td>{stories}</td></tr>"
        )
    out.append("</tbody></table>")
    out.append("</section>")
    return "\n".join(out)


_EDIT = {"split": "split out", "merge": "merged", "pin": "pinned"}


def _near_misses(pairs: Sequence[NearMiss]) -> str:
    """The closest pairs of originals that were not merged: where a threshold may be wrong, or an
    editor may want ``syndedup story merge``."""
    out = [
        '<section class="near" id="near-misses">',
        "<h2>Near misses</h2>",
        '<p class="meta">The closest pairs of originals of different stories among those shown, '
        "by their largest measure over its threshold, at least a quarter of the way to it; entries "
        "an editor split out are not listed; <code>syndedup explain LINK_A LINK_B</code> "
        "shows every measure, <code>syndedup story merge</code> joins two stories.</p>",
    ]
    if not pairs:
        out.append(
            '<p class="single">No two originals shown come a quarter of the way to a threshold '
            "(entries an editor split out are left out).</p>"
        )
    else:
        out.append(
            '<table class="members"><thead><tr><th>Jaccard</th><th>lead containment</th>'
            "<th>entry</th><th>entry</th></tr></thead><tbody>"
        )
        for pair in pairs:
            out.append(
                f'<tr><td class="score">{pair.jaccard:.2f}</td>'
                f'<td class="score">{pair.lead_containment:.2f}</td>'
                + "".join(f'<td class="link">{_esc(m.feed)}: {_pair_link(m)}</td>' for m in (pair.a, pair.b))
                + "</tr>"
            )
        out.append("</tbody></table>")
    out.append("</section>")
    return "\n".join(out)


def _pair_link(member: Member) -> str:
    usable = usable_link(member.link)
    return _anchor(usable, _esc(_short(usable))) if usable else _esc(clean_text(member.title) or "(no link)")


def _noun(n: int, one: str, many: str) -> str:
    """The noun that agrees with ``n`` ("1 teaser", "2 teasers")."""
    return one if n == 1 else many


def _story(story: Story, texts: Mapping[int, str], corrections: Corrections) -> str:
    canonical = story.canonical
    credited = story.credited_source or canonical.feed
    kind = "single" if len(story.members) == 1 else "merged"
    title = " ".join(clean_text(story.title).split()) or "(untitled)"
    notes = corrections.notes(story)
    out = [
        f'<section class="story {kind}{" corrected" if notes else ""}" id="story-{_esc(story.id)}">',
        f"<h2>{_anchor(canonical.link, _esc(title))}</h2>",
        f'<p class="meta">Credited to <b class="credited">{_esc(credited)}</b> · '
        f"updated {_date(story.updated)} · GUID <code>urn:syndedup:story:{_esc(story.id)}</code></p>",
        *(f'<p class="edit">{note}</p>' for note in notes),
        '<table class="members"><thead><tr><th>relation</th><th>outlet</th><th>published</th>'
        "<th>score</th><th>link</th></tr></thead><tbody>",
    ]
    pinned = corrections.pinned
    out.extend(_member_row(m, m.article_id in pinned) for m in story.members)
    out.append("</tbody></table>")
    if len(story.members) == 1:
        out.append('<p class="single">Story of one: no copy or teaser of it was found.</p>')
    original_text = texts.get(canonical.article_id, "")
    for member in story.members:
        if member is canonical:
            continue
        out.append(_diff_block(member, canonical, original_text, texts.get(member.article_id, "")))
    out.append("</section>")
    return "\n".join(out)


def _member_row(member: Member, pinned: bool = False) -> str:
    if member.relation == "original":
        score = "— <small>pinned by an editor</small>" if pinned else "—"
    else:
        score = f"{member.similarity:.2f} <small>{_MEASURE[member.relation]}</small>"
    return (
        f'<tr class="member {member.relation}"><td><span class="badge {member.relation}">'
        f"{member.relation}</span></td><td>{_esc(member.feed)}</td>"
        f'<td class="when">{_date(member.published)}</td><td class="score">{score}</td>'
        f'<td class="link">{_anchor(member.link, _esc(_short(member.link)))}</td></tr>'
    )


def _diff_block(member: Member, canonical: Member, original_text: str, member_text: str) -> str:
    teaser = member.relation == "teaser"
    change = diff_member(original_text, member_text, teaser)
    what = f"{_esc(member.feed)} ({member.relation}, {_MEASURE[member.relation]} {member.similarity:.2f})"
    counts = f"{change.removed} {_noun(change.removed, 'word', 'words')} removed, {change.added} added"
    if teaser:
        words_total = _noun(change.original_words, "word", "words")
        counts += (
            f"; compared with the original's first {change.compared} of {change.original_words} {words_total}"
        )
    out = [
        f'<details class="diff {member.relation}" open>',
        f"<summary>What {what} changed: {counts}</summary>",
    ]
    if not change.rows:
        out.append('<p class="same">No word differs from the original.</p>')
    else:
        out.append(
            '<table class="sbs"><thead><tr>'
            f"<th>original · {_esc(canonical.feed)}</th>"
            f"<th>{member.relation} · {_esc(member.feed)}</th></tr></thead><tbody>"
        )
        out.extend(f"<tr><td>{left}</td><td>{right}</td></tr>" for left, right in change.rows)
        out.append("</tbody></table>")
    out.append("</details>")
    return "\n".join(out)


def _date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _short(link: str, limit: int = 60) -> str:
    text = link.split("://", 1)[-1]
    return text if len(text) <= limit else text[: limit - 1] + "…"
