"""The one-line summary ``syndedup run`` prints on stdout (a cron mail), and what counts as an outage.

    syndedup: 3 feeds read, 1 unchanged, 1 skipped (Gazette until 2026-11-27T10:09:37Z); 5 new
    entries (1 joined a story, 4 new stories); 4 items written to feed.rss, feed.atom, feed.json and
    audit.html; 4 stories in clusters.jsonl

Feeds are counted apart: *read* (parsed), *unchanged* (a 304, or the same bytes as last time: the
server answered), *failed*, *skipped* (backing off after failures, or dead after a 410; each named
with the time it is fetched again). Every count agrees with its noun ("1 feed", "1 new entry").
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.config import Config
from pipeline.models import RunReport
from pipeline.store.sqlite import iso


def plural(n: int, one: str, many: str | None = None) -> str:
    """``n`` with its noun: "1 feed", "2 feeds", "1 story" (``many`` when not ``one`` + "s")."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def join_names(names: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def is_outage(report: RunReport) -> bool:
    """Feeds were to be read and none could be (every one failed, backed off or was dead).

    An unchanged feed (304, same bytes) was reached, so it is not an outage."""
    return report.feeds_total > 0 and report.feeds_ok == 0


def feeds_clause(report: RunReport) -> str:
    """ "3 feeds read, 1 unchanged, 1 failed, 1 skipped (X until T)"; the first count carries the noun."""
    read = report.feeds_ok - report.feeds_not_modified
    counts = [
        (read, "read"),
        (report.feeds_not_modified, "unchanged"),
        (report.feeds_failed, "failed"),
        (report.feeds_skipped, "skipped"),
    ]
    shown = [(n, what) for n, what in counts if n] or [(0, "read")]
    parts = [f"{plural(shown[0][0], 'feed')} {shown[0][1]}"] + [f"{n} {what}" for n, what in shown[1:]]
    if report.skipped_feeds:
        names = [
            f"{name} until {iso(until)}" if until else f"{name}: dead after a 410 Gone"
            for name, until in report.skipped_feeds.items()
        ]
        parts[-1] += f" ({', '.join(names)})"
    return ", ".join(parts)


def entries_clause(report: RunReport) -> str:
    """ "5 new entries, 1 updated in place (1 joined a story, 4 new stories)"; "0 new entries" when none."""
    text = plural(report.entries_new, "new entry", "new entries")
    if report.entries_updated:
        text += f", {report.entries_updated} updated in place"
    if report.entries_new:
        stories = plural(report.new_stories, "new story", "new stories")
        text += f" ({report.joined_story} joined a story, {stories})"
    return text


def outputs_clause(report: RunReport, config: Config) -> str:
    """Which outputs were rewritten, by file name; "outputs unchanged (...)" when none was."""
    return outputs_text(report.items_written, report.stories_total, report.outputs_written, config)


def outputs_text(
    items_written: int, stories_total: int, rewritten_names: Sequence[str], config: Config
) -> str:
    """The outputs part of a summary (``run`` and ``emit``): the files rewritten by name (RSS,
    Atom, JSON Feed, audit page, report), those left unchanged, or "outputs unchanged (...)"."""
    items = plural(items_written, "item")
    stories = plural(stories_total, "story", "stories")
    written = set(rewritten_names)
    if not written:
        return f"outputs unchanged ({items}, {stories})"
    output = config.output
    item_files = [p.name for p in (output.rss, output.atom, output.json, output.html) if p is not None]
    rewritten = [name for name in item_files if name in written]
    kept = [name for name in item_files if name not in written]
    text = f"{items} written to {join_names(rewritten)}" if rewritten else f"{items} unchanged"
    if rewritten and kept:
        text += f" ({join_names(kept)} unchanged)"
    report_name = output.report.name
    text += f"; {stories} in {report_name}" + ("" if report_name in written else " (unchanged)")
    return text


def run_summary(report: RunReport, config: Config) -> str:
    """The whole summary line, ``syndedup: ...``."""
    return f"syndedup: {feeds_clause(report)}; {entries_clause(report)}; {outputs_clause(report, config)}"


def outage_message(report: RunReport) -> str:
    """The error line of an outage run (exit 3): what happened to the feeds, and what was written."""
    why = (
        "; every remote feed failed to connect: this host's network looks down" if report.network_down else ""
    )
    return (
        f"no feed could be read ({feeds_clause(report)}{why}); "
        "the outputs come from the stored state (exit status 3)"
    )
