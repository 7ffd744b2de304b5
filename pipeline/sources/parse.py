"""Parse a feed's bytes with feedparser and turn its entries into Articles.

This is the only module that uses feedparser. A feed that cannot be parsed becomes a FetchResult
with a clear ``error``; it never raises.
"""

from __future__ import annotations

import calendar
import logging
import re
import xml.sax
from datetime import UTC, datetime
from html import unescape
from typing import Any
from urllib.parse import urlparse

import feedparser

from pipeline.config import FeedConfig
from pipeline.models import Article, FetchResult
from pipeline.sources.fetch import RawFeed
from pipeline.sources.xmlguard import defuse_dtd
from pipeline.text.identity import assign_keys, content_hash
from pipeline.text.identity import entry_key as identity_key

_log = logging.getLogger(__name__)


def parse_feed(
    raw: RawFeed, feed: FeedConfig, now: datetime, result: FetchResult, max_entries: int | None = None
) -> None:
    """Parse a feed's bytes into ``result``: entries, or an error when nothing usable is there.

    feedparser never raises on bad input; it refuses external entities and drops unsafe entity
    declarations, and sanitizes entry HTML (script, iframe, event handlers, javascript: URLs).
    """
    defused = defuse_dtd(raw.body)
    if defused.dropped:
        result.warnings.append(
            f"dropped {defused.dropped} unsafe entity declaration(s) from the feed's DTD "
            "(external, parameter or nested entities are never expanded)"
        )
    parsed = feedparser.parse(defused.body, response_headers=raw.headers or None)
    problem = _bozo_reason(parsed)
    if not parsed.entries:
        if _looks_like_html(raw, parsed):
            result.error = (
                "got an HTML page, not an RSS or Atom feed (check the feed's url; the site's "
                "feed is often linked from the page as <link rel=alternate>)"
            )
        elif problem:
            result.error = f"not a usable feed: {problem}"
        elif not parsed.get("version"):
            result.error = "not an RSS or Atom feed (no feed element found)"
        else:
            result.warnings.append("the feed has no entries")
        return
    if problem:
        result.warnings.append(
            f"feed is not well-formed, using its {len(parsed.entries)} entries anyway: {problem}"
        )
    result.feed_title = _plain_text(str(parsed.feed.get("title", "") or "")) or None
    result.feed_link = _safe_link(str(parsed.feed.get("link", "") or "")) or None
    entries = parsed.entries
    if max_entries is not None and len(entries) > max_entries:
        result.warnings.append(
            f"feed has {len(entries)} entries; kept the first {max_entries} ([fetch] max_entries)"
        )
        entries = entries[:max_entries]
    articles = [entry_to_article(entry, feed.name, now) for entry in entries]
    shared = assign_keys(articles)
    result.articles.extend(articles)
    if shared:
        result.warnings.append(
            f"{shared} entries share their id (GUID, or link without a GUID) with another entry: "
            "kept each as a distinct article, told apart by link, title or text"
        )


def _looks_like_html(raw: RawFeed, parsed: Any) -> bool:
    content_type = raw.headers.get("content-type", "").lower()
    if "html" in content_type and "xhtml+xml" not in content_type:
        return True
    head = raw.body[:2048].lstrip().lower()
    return not parsed.get("version") and (head.startswith(b"<!doctype html") or b"<html" in head)


_SCRIPT_BLOCK = re.compile(r"<(script|style)\b.*?(</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>?")
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _plain_text(value: str) -> str:
    """A title as plain text: markup and scripts removed, entities decoded, spaces collapsed.

    Repeated until stable, so that ``&lt;script&gt;`` cannot come back as a tag after decoding.
    """
    for _ in range(4):
        cleaned = unescape(_TAG.sub(" ", _SCRIPT_BLOCK.sub(" ", value)))
        if cleaned == value:
            break
        value = cleaned
    return " ".join(_UNSAFE.sub("", _TAG.sub(" ", value)).split())


def _safe_link(link: str) -> str:
    """Keep http(s) links only: ``javascript:``, ``data:`` or ``file:`` must never reach the output."""
    link = link.strip()
    return link if urlparse(link).scheme.lower() in ("http", "https") else ""


def _bozo_reason(parsed: Any) -> str | None:
    """feedparser's complaint about a feed in words, with the line for XML errors."""
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    if isinstance(exc, xml.sax.SAXParseException):
        return (
            f"not well-formed XML at line {exc.getLineNumber()}, column {exc.getColumnNumber()}: "
            f"{exc.getMessage()}"
        )
    return f"{type(exc).__name__}: {exc}"


def entry_to_article(entry: Any, feed_name: str, now: datetime) -> Article:
    """Convert one feedparser entry to an Article (the edge where feedparser's dicts stop)."""
    title = _plain_text(str(entry.get("title", "") or ""))
    link = _safe_link(str(entry.get("link", "") or ""))
    contents = [c.get("value", "") for c in entry.get("content", []) if c.get("value")]
    html = max(contents, key=len) if contents else str(entry.get("summary", "") or "")
    guid = str(entry.get("id", "") or "")
    digest = content_hash(title, html)
    entry_key = identity_key(guid, link, digest)
    parsed_time = entry.get("published_parsed") or entry.get("updated_parsed")
    published = datetime.fromtimestamp(calendar.timegm(parsed_time), UTC) if parsed_time else now
    return Article(
        feed=feed_name,
        entry_key=entry_key,
        guid=guid or link or entry_key,
        link=link,
        title=title,
        published=published,
        raw_html=html,
        dated=parsed_time is not None,
        content_hash=digest,
    )
