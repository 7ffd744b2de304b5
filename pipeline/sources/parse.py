"""Parse a feed's bytes with feedparser and turn its entries into Articles.

This is the only module that uses feedparser. A feed that cannot be parsed becomes a FetchResult
with a clear ``error``; it never raises.
"""

from __future__ import annotations

import logging
import re
import xml.sax
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlparse

import feedparser

from pipeline.config import FeedConfig
from pipeline.models import Article, FetchResult
from pipeline.sources.charset import decode_feed
from pipeline.sources.dates import in_range, read_date
from pipeline.sources.fetch import RawFeed
from pipeline.sources.item_fields import item_texts
from pipeline.sources.jsonfeed import looks_like_json, read_json_feed
from pipeline.sources.xmlguard import defuse_dtd
from pipeline.text.aggregator import strip_source_suffix
from pipeline.text.clean import clean_line
from pipeline.text.html import visible_length
from pipeline.text.identity import assign_keys, drop_repeats, entry_hashes
from pipeline.text.identity import entry_key as identity_key

_log = logging.getLogger(__name__)


# An entry dated more than this after the moment it is first seen is dated when first seen. Clocks
# of publishers' servers are often a few minutes off, and a post is sometimes stamped with the
# minute it is scheduled for; ten minutes allows for both, while a post dated hours, days or years
# ahead (a typo, an event date, a scheduled post leaked early) can no longer sit on top of the
# output or move its lastBuildDate into the future.
FUTURE_TOLERANCE = timedelta(minutes=10)


def parse_feed(
    raw: RawFeed, feed: FeedConfig, now: datetime, result: FetchResult, max_entries: int | None = None
) -> None:
    """Parse a feed's bytes into ``result``: entries, or an error when nothing usable is there.

    The bytes are decoded here first (``charset.decode_feed``) and handed to feedparser as UTF-8.
    feedparser never raises on bad input; it refuses external entities and drops unsafe entity
    declarations. Its HTML sanitizer and its resolution of links inside entry HTML are off (they
    took about 40% of its time, bench/sanitize_parse.py): entry HTML is only ever read as text
    here (``text.html`` drops scripts, styles, iframes; titles go through ``_plain_text``), links
    through ``_safe_link``, and what is published is sanitized again by nh3 (outputs/sanitize.py).
    ``bench/sanitize_text.py`` lists the entries of the feedparser corpus whose text differs.
    Relative links are resolved by feedparser against xml:base, then here against the URL the
    feed came from after redirects (or its Content-Location); a feed read from a file resolves
    them against its own ``<link>`` when that is an http(s) URL. feedparser is not given the
    document URL itself: it would also resolve every GUID (``<guid>g1</guid>`` becoming
    ``https://site/g1``), which changes entry keys already stored.

    A body that opens a JSON object is read as a JSON Feed (``sources.jsonfeed``), into the same
    entry shape.
    """
    if looks_like_json(raw.body):  # the bytes say what they are, whatever the Content-Type says
        _parse_json_feed(raw, feed, now, result, max_entries)
        return
    decoded = decode_feed(raw.body, raw.headers.get("content-type", ""))
    result.warnings.extend(f"encoding: {warning}" for warning in decoded.warnings)
    defused = defuse_dtd(decoded.body)
    if defused.dropped:
        result.warnings.append(
            f"dropped {defused.dropped} unsafe entity declaration(s) from the feed's DTD "
            "(external, parameter or nested entities are never expanded)"
        )
    parsed = feedparser.parse(
        _hold(defused.body),
        response_headers=_feedparser_headers(raw),
        sanitize_html=False,  # see the docstring: about 1.7x faster, and nothing here needs it
        resolve_relative_uris=False,
    )
    problem = _bozo_reason(parsed, raw)
    if not parsed.entries:
        if _looks_like_html(raw, parsed):
            result.error = (
                "got an HTML page, not an RSS or Atom feed (check the feed's url; the site's "
                "feed is often linked from the page as <link rel=alternate>)"
            )
        elif problem:
            result.error = f"not a usable feed: {problem}"
        elif parsed.get("version") or _FEED_ROOT.match(decoded.body[:4096]):
            result.warnings.append("the feed has no entries")
        else:
            result.error = "not an RSS or Atom feed (no feed element found)"
        return
    if problem:
        result.warnings.append(
            f"feed is not well-formed, using its {len(parsed.entries)} entries anyway: {problem}"
        )
    title = _plain_text(str(parsed.feed.get("title", "") or ""), _kind(parsed.feed, "title"))
    # Every field of each item, for those feedparser folded into one (``item_fields``); only when
    # lxml saw the same items as feedparser.
    fields = item_texts(_hold(defused.body))
    if fields is not None and len(fields) != len(parsed.entries):
        fields = None
    _add_articles(
        result,
        parsed.entries,
        title,
        str(parsed.feed.get("link", "") or ""),
        raw,
        feed,
        now,
        max_entries,
        fields,
    )


def _parse_json_feed(
    raw: RawFeed, feed: FeedConfig, now: datetime, result: FetchResult, max_entries: int | None
) -> None:
    """A JSON Feed's entries into ``result`` (``sources.jsonfeed``), or an error that says it is JSON."""
    found = read_json_feed(raw.body)
    if found.error is not None:
        result.error = found.error
        return
    if not found.entries:
        result.warnings.append("the feed has no entries")
        return
    _add_articles(
        result, found.entries, _plain_text(found.title, "text/plain"), found.link, raw, feed, now, max_entries
    )


def _add_articles(
    result: FetchResult,
    entries: list[Any],
    title: str,
    link: str,
    raw: RawFeed,
    feed: FeedConfig,
    now: datetime,
    max_entries: int | None,
    fields: list[list[str]] | None = None,
) -> None:
    """Turn a parsed feed's entries (feedparser's, or a JSON Feed's in the same shape) into Articles."""
    result.feed_title = clean_line(title)
    document = urljoin(raw.url, raw.headers.get("content-location", "").strip()) if raw.url else None
    feed_link = _safe_link(link, document)
    result.feed_link = feed_link or None
    # Without a document URL (a local file), relative entry links are read against the feed's link.
    base = document or feed_link or None
    problems = DateProblems()
    articles: list[Article] = []
    for index, entry in enumerate(entries):
        extra = fields[index] if fields is not None else ()
        articles.append(entry_to_article(entry, feed.name, now, base=base, problems=problems, extra=extra))
    result.warnings.extend(problems.warnings())
    repeats = drop_repeats(articles)
    if repeats:
        result.warnings.append(
            f"{repeats} entries repeat an earlier entry of the feed (same id, title and text): each read once"
        )
    shared = assign_keys(articles)
    if shared:
        result.warnings.append(
            f"{shared} entries share their id (GUID, or link without a GUID) with another entry: "
            "kept each as a distinct article, told apart by link, title or text"
        )
    if max_entries is not None and len(articles) > max_entries:
        kept = newest(articles, max_entries)
        result.warnings.append(
            f"feed has {len(articles)} entries; kept the newest {max_entries} by date and dropped "
            f"{len(articles) - max_entries} ([fetch] max_entries)"
        )
        articles = kept
    result.articles.extend(articles)


# feedparser strips every value with str.strip(), which takes U+0085 and U+00A0 for spaces; in
# mojibake they are bytes of a letter (Arabic م read as Latin-1 is "Ù\x85", Russian Р is "Ð\xa0"),
# and a title or text ending with one could no longer be repaired. They are held as private-use
# characters while feedparser (and lxml, ``item_fields``) read the document, and put back after.
_HELD = ((b"\xc2\x85", "\ue085".encode()), (b"\xc2\xa0", "\ue0a0".encode()))
_UNHOLD = str.maketrans({"\ue085": "\x85", "\ue0a0": "\xa0"})


def _hold(body: bytes) -> bytes:
    """The UTF-8 document with U+0085 and U+00A0 held (see ``_HELD``)."""
    for char, held in _HELD:
        if char in body:
            body = body.replace(char, held)
    return body


def _unhold(value: str) -> str:
    """A parsed value with U+0085 and U+00A0 put back."""
    return value.translate(_UNHOLD) if "\ue085" in value or "\ue0a0" in value else value


# The root of a feed document (after the XML declaration, comments, a DOCTYPE): an RSS, Atom or RDF
# document with no items is an empty feed, even when feedparser could not tell its version.
_FEED_ROOT = re.compile(
    rb"(?:\s|<\?[^>]*\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*<(?:[A-Za-z_][\w.-]*:)?(?:rss|feed|RDF|channel)[\s>/]",
    re.DOTALL,
)


def newest(articles: list[Article], count: int) -> list[Article]:
    """The ``count`` newest articles: dated ones newest first, then undated ones in document order.

    Feeds list their entries newest first or oldest first; only the dates say which are new.
    An undated entry has no date to compare, so it comes after every dated one.
    """
    dated = sorted((a for a in articles if a.dated), key=lambda a: a.published, reverse=True)
    kept = {id(a) for a in (dated + [a for a in articles if not a.dated])[:count]}
    return [a for a in articles if id(a) in kept]  # in document order


@dataclass(slots=True)
class DateProblems:
    """Raw date values of one feed that were not used as they stand, for one warning per kind."""

    undated: list[str] = field(default_factory=list)  # unreadable or out of range: dated when first seen
    future: list[str] = field(default_factory=list)  # beyond FUTURE_TOLERANCE: dated when first seen
    guessed: list[str] = field(default_factory=list)  # read, but with a guess (an unknown zone as UTC)

    def warnings(self) -> list[str]:
        out = []
        for values, what in (
            (self.undated, "a date that cannot be used ({}): treated as undated, dated when first seen"),
            (self.future, "a date in the future ({}): dated when first seen"),
            (self.guessed, "a date read with a guess: {}"),
        ):
            if values:
                shown = ", ".join(values[:3]) + (f" and {len(values) - 3} more" if len(values) > 3 else "")
                has = "1 entry has" if len(values) == 1 else f"{len(values)} entries have"
                out.append(f"{has} " + what.format(shown))
        return out


def _feedparser_headers(raw: RawFeed) -> dict[str, str] | None:
    """The HTTP headers as feedparser should see them: the body is UTF-8 now (and no base URL,
    see ``parse_feed``)."""
    headers = {k: v for k, v in raw.headers.items() if k not in ("content-type", "content-location")}
    media = raw.headers.get("content-type", "").split(";")[0].strip()
    if media:
        headers["content-type"] = f"{media}; charset=utf-8"
    return headers or None


def _looks_like_html(raw: RawFeed, parsed: Any) -> bool:
    content_type = raw.headers.get("content-type", "").lower()
    if "html" in content_type and "xhtml+xml" not in content_type:
        return True
    head = raw.body[:2048].lstrip().lower()
    return not parsed.get("version") and (head.startswith(b"<!doctype html") or b"<html" in head)


# Elements whose content is never text: dropped with their content when a title is markup.
_HIDDEN = frozenset({"script", "style", "applet", "template", "noscript", "iframe", "svg", "math"})
# A closing tag: a title with one (``<b>x</b>``, ``<script>..</script>``) is markup; a lone ``<br>``
# or ``<animate [etc.]>`` in a title that is plain text is the text itself.
_CLOSING_TAG = re.compile(r"</[A-Za-z][A-Za-z0-9:-]*\s*>")
# C0 controls: never text. (C1 characters stay until normalizing has repaired the mojibake they are
# often part of, and removes those left: ``text.clean``.)
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SPACES = re.compile("[^\\S\x85\xa0]+")


class _TextOnly(HTMLParser):
    """The text of an HTML fragment, as a browser tokenizes it (``x < y`` is text, not a tag)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        self.chunks.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN and self._hidden:
            self._hidden -= 1
        self.chunks.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.chunks.append(data)


def _html_text(value: str) -> str:
    parser = _TextOnly()
    parser.feed(value)
    parser.close()
    return "".join(parser.chunks)


def _kind(element: Any, name: str) -> str:
    """feedparser's content type of ``element[name]`` (text/plain, text/html, application/xhtml+xml)."""
    detail = element.get(f"{name}_detail") or {}
    return str(detail.get("type", "") or "text/plain")


def _plain_text(value: str, kind: str = "text/html") -> str:
    """A title as plain text: real markup (and scripts) removed, literal ``<`` and ``>`` kept.

    ``kind`` is feedparser's type of the value: HTML is read as HTML (tags removed, entities
    decoded); plain text stays as it is unless it holds complete elements (a closing tag), which
    RSS titles use as markup. Repeated while markup remains, so that a double-escaped
    ``&lt;script&gt;...&lt;/script&gt;`` cannot come back as a tag.
    """
    value = _unhold(value)
    if "html" in kind:
        value = _html_text(value)
    for _ in range(4):
        if not _CLOSING_TAG.search(value):
            break
        value = _html_text(value)
    # Spaces collapsed, but not U+0085 or U+00A0: str.split() takes them for spaces, and they are
    # bytes of mojibake that normalizing repairs (阅 read as Latin-1 is "é\x98\x85").
    return _SPACES.sub(" ", _UNSAFE.sub("", value)).strip(" ")


def _safe_link(link: str, base: str | None = None) -> str:
    """An absolute http(s) link, or "" (no link): relative links are resolved against ``base``;
    ``javascript:``, ``data:``, ``file:``, ``mailto:`` or ``ftp:`` must never reach the output."""
    link = _unhold(link).strip()
    if base and link and not urlparse(link).scheme:
        link = urljoin(base, link)
    parsed = urlparse(link)
    return link if parsed.scheme.lower() in ("http", "https") and parsed.netloc else ""


# feedparser's names for what it found wrong with a feed's encoding; the feed is decoded before
# feedparser sees it (charset.decode_feed), so these say nothing the user needs to know.
_ENCODING_NOTES = ("CharacterEncodingOverride", "CharacterEncodingUnknown")


def _bozo_reason(parsed: Any, raw: RawFeed) -> str | None:
    """feedparser's complaint about a feed in words, with the line for XML errors."""
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    if isinstance(exc, xml.sax.SAXParseException):
        return (
            f"not well-formed XML at line {exc.getLineNumber()}, column {exc.getColumnNumber()}: "
            f"{exc.getMessage()}"
        )
    name = type(exc).__name__
    if name in _ENCODING_NOTES:
        return None
    if name == "NonXMLContentType":
        media = raw.headers.get("content-type", "").split(";")[0].strip() or "no type"
        return f"served as {media!r}, not as an XML type"
    return f"{name}: {exc}"


def entry_to_article(
    entry: Any,
    feed_name: str,
    now: datetime,
    base: str | None = None,
    problems: DateProblems | None = None,
    extra: Sequence[str] = (),
) -> Article:
    """Convert one feedparser entry to an Article (the edge where feedparser's dicts stop).

    ``now`` is when the entry is first seen: an entry without a usable date is dated then and
    marked undated; one dated more than FUTURE_TOLERANCE after ``now`` is dated ``now``. Both
    are noted, with the raw value, in ``problems`` (as is a zone read as UTC for want of a better one).
    ``base`` resolves the relative links that xml:base did not (the feed's URL, or its link).
    ``extra``: the item's text fields as the XML has them (``item_fields``), those feedparser lost.

    The entry's text is the field with the most visible text (``entry_text``). An item's
    ``<source>`` (an aggregator naming the outlet) is kept as ``Article.source``, and a " - Outlet"
    title suffix that names it is removed (``text.aggregator``).
    """
    source, source_url = _source(entry)
    title = _plain_text(str(entry.get("title", "") or ""), _kind(entry, "title"))
    title = strip_source_suffix(title, source, source_url)
    link = _entry_link(entry, base)
    html = entry_text(entry, extra)
    guid = _unhold(str(entry.get("id", "") or "")).strip()
    digest, text_digest = entry_hashes(title, html)
    entry_key = identity_key(guid, link, digest)
    problems = problems if problems is not None else DateProblems()
    published, raw_date, dated = _entry_date(entry, problems)
    if published is None:
        published = now
        if raw_date is not None:
            problems.undated.append(repr(raw_date[:60]))
    elif published > now + FUTURE_TOLERANCE:
        problems.future.append(repr(raw_date[:60] if raw_date else published.isoformat()))
        published = now
    # A GUID equal to the link (most are permalinks) is the link's string: one object, also once
    # pickled back from a parse worker, held by every entry until it is stored (~80 bytes an entry).
    guid = link if guid == link else guid
    return Article(
        feed=feed_name,
        entry_key=entry_key,
        guid=guid or link or entry_key,
        link=link,
        title=title,
        published=published,
        raw_html=html,
        dated=dated,
        content_hash=digest,
        text_hash=text_digest,
        source=source,
        source_url=source_url,
    )


def entry_text(entry: Any, extra: Sequence[str] = ()) -> str:
    """The entry's text: among its content, description/summary (feedparser's ``summary``, which
    also holds media:description) and the ``extra`` fields feedparser lost, the one with the most
    visible text (``text.html.visible_length``); the first of equals in that order.

    A field that is only markup (an image, an empty paragraph) has none, so it never hides the
    description; a one-line itunes:summary never replaces a full description (feedparser#324).
    """
    candidates = [str(c.get("value", "") or "") for c in entry.get("content", []) or []]
    candidates.append(str(entry.get("summary", "") or ""))
    candidates.extend(extra)
    candidates = [_unhold(candidate) for candidate in candidates if candidate]
    if len(candidates) < 2:  # most entries: one field, nothing to weigh
        return candidates[0] if candidates else ""
    best, best_length = "", -1
    for candidate in candidates:
        length = visible_length(candidate)
        if length > best_length:
            best, best_length = candidate, length
    return best


def _source(entry: Any) -> tuple[str | None, str]:
    """(name, URL) of the outlet an entry's ``<source>`` names: RSS ``<source url="...">Name</source>``
    or Atom's ``<source>`` with its title and link; (None, "") without one."""
    source = entry.get("source")
    if not isinstance(source, dict):
        return None, ""
    name = _plain_text(str(source.get("title", "") or ""), "text/plain")
    url = _safe_link(str(source.get("href", "") or source.get("link", "") or ""))
    if not url:
        for item in source.get("links", []) or []:
            url = _safe_link(str(item.get("href", "") or ""))
            if url:
                break
    return (name or None), url


def _entry_link(entry: Any, base: str | None) -> str:
    """The entry's first usable (absolute http(s)) alternate link, or ""."""
    link = _safe_link(str(entry.get("link", "") or ""), base)
    if link:
        return link
    for item in entry.get("links", []) or []:
        if item.get("rel", "alternate") == "alternate" and item.get("href"):
            link = _safe_link(str(item["href"]), base)
            if link:
                return link
    return ""


def _entry_date(entry: Any, problems: DateProblems) -> tuple[datetime | None, str | None, bool]:
    """(moment, raw value, dated) of an entry's published date, else its updated date.

    Read from the raw strings (``dates.read_date``); feedparser's own reading is used only for a
    string that python-dateutil cannot read either (feedparser knows a few national formats).
    """
    for name in ("published", "updated", "created"):
        raw = entry.get(name)
        if not raw:
            continue
        raw = str(raw)
        reading = read_date(raw)
        if reading.moment is None and reading.problem == "cannot be read as a date":
            parsed = entry.get(f"{name}_parsed")
            if parsed:
                try:
                    moment = datetime(
                        parsed[0], parsed[1], parsed[2], parsed[3], parsed[4], parsed[5], tzinfo=UTC
                    )
                except (TypeError, ValueError):
                    return None, raw, False
                reading = in_range(moment)
        if reading.moment is None:
            return None, raw, False
        if reading.problem:
            problems.guessed.append(f"{raw[:60]!r} {reading.problem}")
        return reading.moment, raw, True
    return None, None, False
