"""``syndedup status``: every feed's last fetch, result, entry count, failures and next fetch.

Configured feeds come first, in config order; feeds the state remembers but the config no longer
lists follow, marked "(removed from config)": they are not fetched any more, and their entries leave
the outputs after ``[state] removed_feed_days`` (they stay in the state). Columns a state file may
not have (next fetch, dead) show "-".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from pipeline.config import Config
from pipeline.store.sqlite import iso, read_iso
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
    moved_to: str | None = None  # where a permanent redirect (301/308) led


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
        moved_to=feed.permanent_url,
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
    moved = [f"{row.name}: now fetched from {row.moved_to}" for row in rows if row.moved_to and row.in_config]
    if moved:
        lines += [
            "",
            "moved permanently (HTTP 301/308; put the new address in the config's [[feeds]] url):",
            *(f"  {line}" for line in moved),
        ]
    return "\n".join(lines)


def status_json(config: Config, view: StateReader | None, now: datetime, note: dict[str, object]) -> str:
    """Every feed's health as one JSON document, for monitoring (Prometheus exporters, Nagios
    checks, jq): per feed its config URL and where it is fetched from, health ("ok", "failed",
    "dead", "not fetched yet" or "removed"), last attempt and success (ISO 8601 UTC), consecutive
    failures, last error, entries at the last success and stored, the earliest next fetch and
    whether it is backing off at ``now``; then totals."""
    rows = {feed.name: feed for feed in view.feeds()} if view else {}
    configured = {feed.name: feed.url for feed in config.feeds}
    feeds = []
    for name in [*configured, *sorted(set(rows) - set(configured))]:
        feeds.append(_feed_json(name, configured.get(name), rows.get(name), now))
    totals = {
        "feeds": sum(1 for f in feeds if f["in_config"]),
        "failing": sum(1 for f in feeds if f["in_config"] and f["health"] == "failed"),
        "backing_off": sum(1 for f in feeds if f["in_config"] and f["backing_off"]),
        "dead": sum(1 for f in feeds if f["in_config"] and f["health"] == "dead"),
        "moved": sum(1 for f in feeds if f["in_config"] and f["moved_to"]),
    }
    document = {**note, "checked": iso(now), "totals": totals, "feeds": feeds}
    return json.dumps(document, ensure_ascii=False, indent=2)


def _feed_json(name: str, url: str | None, feed: FeedRow | None, now: datetime) -> dict[str, object]:
    in_config = url is not None
    if feed is None:
        health = "not fetched yet"
    elif not in_config:
        health = "removed"
    elif feed.dead:
        health = "dead"
    elif feed.last_error is not None:
        health = "failed"
    else:
        health = "ok" if feed.last_success else "not fetched yet"
    next_fetch = feed.next_fetch_after if feed is not None else None
    waiting = read_iso(next_fetch, f"feed {name!r}") if next_fetch else None
    return {
        "name": name,
        "url": url if in_config else (feed.url if feed else None),
        "fetched_from": (feed.permanent_url if feed and feed.permanent_url else None) or url,
        "moved_to": feed.permanent_url if feed else None,
        "in_config": in_config,
        "health": health,
        "last_attempt": feed.last_attempt if feed else None,
        "last_success": feed.last_success if feed else None,
        "consecutive_failures": feed.consecutive_failures if feed else 0,
        "last_error": feed.last_error if feed else None,
        "entries": feed.entries if feed and feed.last_success else None,
        "stored": feed.stored if feed else 0,
        "next_fetch_after": next_fetch,
        "backing_off": bool(in_config and waiting is not None and waiting > now and not (feed and feed.dead)),
    }
