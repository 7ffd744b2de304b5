"""``syndedup status``: every feed's last fetch, result, entry count, failures and next fetch.

Configured feeds come first, in config order; feeds the state remembers but the config no longer
lists follow, marked "(removed from config)": they are not fetched any more, and their entries leave
the outputs after ``[state] removed_feed_days`` (they stay in the state). Columns a state file may
not have (next fetch, dead) show "-".
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.config import Config
from pipeline.store.view import FeedRow, StateReader

NONE = "-"


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """One line of the status table."""

    name: str
    last_fetch: str
    result: str
    entries: str
    stored: str
    failures: str
    next_fetch: str
    error: str | None
    in_config: bool
    last_success: str | None = None


def feed_statuses(config: Config, view: StateReader | None) -> list[FeedStatus]:
    """One FeedStatus per configured feed, then per feed only the state knows."""
    health = {feed.name: feed for feed in view.feeds()} if view else {}
    rows = [_status(feed.name, health.pop(feed.name, None), True) for feed in config.feeds]
    rows += [_status(name, health[name], False) for name in sorted(health)]
    return rows


def _status(name: str, feed: FeedRow | None, in_config: bool) -> FeedStatus:
    if feed is None:
        return FeedStatus(name, "never", "not fetched yet", NONE, "0", "0", NONE, None, in_config)
    failed = feed.last_error is not None
    result = "failed" if failed else "ok" if feed.last_success else "not fetched yet"
    if feed.dead:
        result = "dead"
    next_fetch = NONE
    if feed.has_next_fetch:
        next_fetch = feed.next_fetch_after or "next run"
    if feed.dead:
        next_fetch = "never (dead)"
    if not in_config:
        next_fetch = "never (removed)"
    return FeedStatus(
        name=name,
        last_fetch=feed.last_attempt or "never",
        result=result,
        entries=str(feed.entries) if feed.last_success else NONE,
        stored=str(feed.stored),
        failures=str(feed.consecutive_failures),
        next_fetch=next_fetch,
        error=feed.last_error,
        in_config=in_config,
        last_success=feed.last_success,
    )


HEADERS = ("feed", "last fetch", "result", "entries", "stored", "failures", "next fetch")


def format_status(rows: list[FeedStatus]) -> str:
    """A plain aligned table (readable in a terminal, a mail from cron, or through grep)."""
    table = [HEADERS] + [
        (
            row.name if row.in_config else f"{row.name} (removed from config)",
            row.last_fetch,
            row.result,
            row.entries,
            row.stored,
            row.failures,
            row.next_fetch,
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADERS))]
    numeric = {3, 4, 5}
    lines = []
    for line in table:
        cells = [
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i]) for i, cell in enumerate(line)
        ]
        lines.append("  ".join(cells).rstrip())
    errors = [
        f"{row.name} (last success {row.last_success or 'never'}): {row.error}" for row in rows if row.error
    ]
    if errors:
        lines += ["", "last errors:", *(f"  {line}" for line in errors)]
    return "\n".join(lines)
